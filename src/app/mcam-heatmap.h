/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>
#include "mcam/mcam-map.h"

G_BEGIN_DECLS

/* The class x slot heat map of value addresses p'(G(e_c)) (DESIGN 4.6): one
 * row per class (named at the left), one column per slot, a colormap cell
 * per value, the value in the tooltip. The current class's row and the chosen
 * slot's column are outlined. Clicking a cell emits "cell-activated"
 * (class, slot). Drawn as one image, so C x N = 1000 x 512 stays cheap. */
#define MCAM_TYPE_HEATMAP (mcam_heatmap_get_type ())
G_DECLARE_FINAL_TYPE (McamHeatmap, mcam_heatmap, MCAM, HEATMAP, GtkWidget)

GtkWidget *mcam_heatmap_new (void);
/* values: [n_rows, n_cols] row-major (copied); row_names: n_rows names (copied, may be NULL). */
void  mcam_heatmap_set_data     (McamHeatmap *self, int n_rows, int n_cols, const float *values,
                                 const char *const *row_names);
void  mcam_heatmap_set_marked   (McamHeatmap *self, int row, int col);   /* -1: none */
void  mcam_heatmap_set_colormap (McamHeatmap *self, McamColormap cm);
/* The cell under (x, y) in widget coordinates; FALSE outside the cells. */
gboolean mcam_heatmap_cell_at   (McamHeatmap *self, double x, double y, int *row, int *col);

G_END_DECLS
