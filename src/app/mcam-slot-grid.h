/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>
#include "mcam/mcam-map.h"

G_BEGIN_DECLS

/* The memory's slots as a grid of thumbnails (DESIGN 4.6): for every slot i
 * the map of where its pattern appears in this image (per position
 * cos(f[:,y,x], S_i[:,y,x]), h x w) drawn with a colormap, the slot's class
 * and that class's peak p' value. One drawn canvas in a scrolled window that
 * paints only the rows in view: no widget per slot, so 512 slots cost what 8
 * do (a GtkGridView in GTK 4.8 builds ~30 rows of item widgets up front,
 * which took ~0.2 s per update at N = 512).
 *
 * A click on a slot emits "slot-activated" (0-based slot index) and selects it. */
#define MCAM_TYPE_SLOT_GRID (mcam_slot_grid_get_type ())
G_DECLARE_FINAL_TYPE (McamSlotGrid, mcam_slot_grid, MCAM, SLOT_GRID, GtkWidget)

/* The size of one slot's cell, in pixels. */
#define MCAM_SLOT_GRID_CELL_WIDTH  112
#define MCAM_SLOT_GRID_CELL_HEIGHT 52

GtkWidget *mcam_slot_grid_new (void);

/* maps: [n_slots, h, w] (may be NULL: no thumbnails); slot_class: [n_slots]
 * class index of each slot, or -1 (may be NULL); slot_peak: [n_slots] that
 * class's p' at the slot (may be NULL); class_names: n_classes names (may be
 * NULL). Everything is copied. */
void mcam_slot_grid_set_slots (McamSlotGrid *self, int n_slots, int h, int w,
                               const float *maps, const int *slot_class,
                               const float *slot_peak,
                               const char *const *class_names, int n_classes);
int  mcam_slot_grid_get_n_slots  (McamSlotGrid *self);
/* n_ĉ, the slot Algorithm 1 chose: drawn highlighted. -1 for none. */
void mcam_slot_grid_set_chosen   (McamSlotGrid *self, int slot);
int  mcam_slot_grid_get_chosen   (McamSlotGrid *self);
/* The slot whose map is shown (selected), -1 for none; scrolled into view. */
void mcam_slot_grid_set_selected (McamSlotGrid *self, int slot);
int  mcam_slot_grid_get_selected (McamSlotGrid *self);
void mcam_slot_grid_set_colormap (McamSlotGrid *self, McamColormap cm);
/* Emits "slot-activated" as a click on that slot does. */
void mcam_slot_grid_activate_slot (McamSlotGrid *self, int slot);

/* The canvas that draws the cells and takes the clicks (tests click on it),
 * the cell of a slot in its coordinates, and the slot at a point (-1: none). */
GtkWidget *mcam_slot_grid_get_canvas    (McamSlotGrid *self);
gboolean   mcam_slot_grid_get_slot_area (McamSlotGrid *self, int slot, graphene_rect_t *area);
int        mcam_slot_grid_slot_at       (McamSlotGrid *self, double x, double y);

G_END_DECLS
