/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "mcam/mcam-dataset.h"
#include "mcam-worker.h"

G_BEGIN_DECLS

/* The centre of the window: the image with the map blended on it
 * (out = (1 - opacity) · image + opacity · colormap(map), as
 * mcam_overlay_render computes it for export), zoom (fit, 1:1, wheel) and pan
 * (drag), the map value under the pointer, ground-truth boxes and a colour
 * bar. Properties: opacity, colormap (McamColormap), show-boxes.
 * Signal map-painted (gint64 frame_time_us): a newly set map reached the screen. */
#define MCAM_TYPE_OVERLAY_VIEW (mcam_overlay_view_get_type ())
G_DECLARE_FINAL_TYPE (McamOverlayView, mcam_overlay_view, MCAM, OVERLAY_VIEW, GtkWidget)

GtkWidget     *mcam_overlay_view_new            (void);
void           mcam_overlay_view_set_image      (McamOverlayView *self, McamImageResult *image);
void           mcam_overlay_view_set_map        (McamOverlayView *self, McamMapResult *map);
McamMapResult *mcam_overlay_view_get_map        (McamOverlayView *self);
McamImageResult *mcam_overlay_view_get_image    (McamOverlayView *self);
/* Drops the image and the map and shows, in their place, why the image
 * could not be shown; the next image clears it. */
void           mcam_overlay_view_show_failure   (McamOverlayView *self, const char *title,
                                                 const char *text);
/* The failure's text while one is shown, else NULL. */
const char    *mcam_overlay_view_get_failure    (McamOverlayView *self);
/* Boxes in the image's pixels; names indexed by McamBox.class_index. */
void           mcam_overlay_view_set_boxes      (McamOverlayView *self, const McamBox *boxes,
                                                 int n_boxes, const char *const *names);
void           mcam_overlay_view_set_highlight_class (McamOverlayView *self, int class_index);
void           mcam_overlay_view_zoom_fit       (McamOverlayView *self);
void           mcam_overlay_view_zoom_one       (McamOverlayView *self);
double         mcam_overlay_view_get_opacity    (McamOverlayView *self);
void           mcam_overlay_view_set_opacity    (McamOverlayView *self, double opacity);
McamColormap   mcam_overlay_view_get_colormap   (McamOverlayView *self);
void           mcam_overlay_view_set_colormap   (McamOverlayView *self, McamColormap colormap);
/* The map value at an image pixel; FALSE outside the image or without a map. */
gboolean       mcam_overlay_view_get_value_at   (McamOverlayView *self, int x, int y,
                                                 float *value);

/* Tests: maps larger than this many pixels are blended through an opacity
 * node instead of a premultiplied copy (0: always). */
void           _mcam_overlay_view_set_max_baked_pixels (McamOverlayView *self,
                                                        gsize            max_pixels);

G_END_DECLS
