/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "mcam-head-lens.h"
#include "mcam-worker.h"

G_BEGIN_DECLS

/* Compare mode (DESIGN 6): a grid of overlays of one image, either every
 * method for one class or every class for one method, each tile labelled.
 * All tiles are computed by ONE worker job on the "compare" channel (a newer
 * request cancels the older one), with progress and Cancel; the colormap and
 * opacity only re-render the tiles. "Export Grid…" writes the grid as one
 * PNG (mcam_grid_compose + mcam_surface_write_png).
 *
 * Signals:
 *   tiles-changed ()                       a job ended: tiles, message or error
 *   tile-activated (int class, int method) a tile was clicked twice / activated */

typedef enum
{
  MCAM_COMPARE_ALL_METHODS,   /* every method for the chosen class */
  MCAM_COMPARE_ALL_CLASSES,   /* every class for the chosen method */
} McamCompareMode;

/* Whose map a tile shows (a re-fit head loaded beside the model, issue 12). */
typedef enum
{
  MCAM_COMPARE_HEAD_NETWORK,  /* the network's own head */
  MCAM_COMPARE_HEAD_REFIT,    /* the re-fit head */
  MCAM_COMPARE_HEAD_MEMORY,   /* M-CAM methods: the memory module, no head */
  MCAM_COMPARE_HEAD_NONE,     /* Eigen-CAM: depends on no head */
} McamCompareHead;

#define MCAM_TYPE_COMPARE_VIEW (mcam_compare_view_get_type ())
G_DECLARE_FINAL_TYPE (McamCompareView, mcam_compare_view, MCAM, COMPARE_VIEW, GtkBox)

GtkWidget      *mcam_compare_view_new          (McamWorker *worker);

/* What to compare. Each setter schedules one recomputation (coalesced on
 * idle) when it changes what the tiles show. */
void            mcam_compare_view_set_model    (McamCompareView *self, McamModelInfo *info);
void            mcam_compare_view_set_image    (McamCompareView *self, const char *path);
void            mcam_compare_view_set_class    (McamCompareView *self, int class_index);
void            mcam_compare_view_set_method   (McamCompareView *self, McamMethod method);
void            mcam_compare_view_set_mode     (McamCompareView *self, McamCompareMode mode);
McamCompareMode mcam_compare_view_get_mode     (McamCompareView *self);
/* Slot search options for the M-CAM tiles (the main window's settings). */
void            mcam_compare_view_set_options  (McamCompareView *self, guint64 seed, int draws,
                                                float temperature);

/* The re-fit head loaded beside the model (NULL: none; the head selector
 * hides) and whether the tiles explain it instead of the network's own head
 * (remembered while the view lives, also across an unload). */
void            mcam_compare_view_set_head     (McamCompareView *self, McamHeadRef *head);
void            mcam_compare_view_set_use_refit_head (McamCompareView *self, gboolean refit);
gboolean        mcam_compare_view_get_use_refit_head (McamCompareView *self);

/* Drawing only: no recomputation. */
void            mcam_compare_view_set_colormap (McamCompareView *self, McamColormap colormap);
void            mcam_compare_view_set_opacity  (McamCompareView *self, double opacity);
/* The longer side of a tile in pixels, on screen and in the exported grid. */
void            mcam_compare_view_set_tile_size (McamCompareView *self, int size);
int             mcam_compare_view_get_tile_size (McamCompareView *self);

/* Start now (instead of on idle); Cancel stops the running job. */
void            mcam_compare_view_refresh      (McamCompareView *self);
void            mcam_compare_view_cancel       (McamCompareView *self);
gboolean        mcam_compare_view_is_busy      (McamCompareView *self);
/* The status line: progress, a note (methods left out), or the last error. */
const char     *mcam_compare_view_get_message  (McamCompareView *self);

guint            mcam_compare_view_get_n_tiles       (McamCompareView *self);
/* Borrowed: the tile's overlay as drawn (at the computed resolution). */
cairo_surface_t *mcam_compare_view_get_tile_surface  (McamCompareView *self, guint i);
const char      *mcam_compare_view_get_tile_label    (McamCompareView *self, guint i);
int              mcam_compare_view_get_tile_class    (McamCompareView *self, guint i);
McamMethod       mcam_compare_view_get_tile_method   (McamCompareView *self, guint i);
McamCompareHead  mcam_compare_view_get_tile_head     (McamCompareView *self, guint i);
/* The tile's map in [0,1] on the computed image (*width x *height, the
 * image the tiles are drawn on); NULL when it failed or had no positive
 * value. Borrowed. */
const float     *mcam_compare_view_get_tile_map      (McamCompareView *self, guint i,
                                                      int *width, int *height);

/* Columns of the exported grid for n tiles: n up to 4, then 4, from 17 on 6. */
int              mcam_compare_view_grid_columns (guint n_tiles);
/* The whole grid (tiles at the tile size, labels, a title) as one surface. */
cairo_surface_t *mcam_compare_view_render_grid (McamCompareView *self, GError **error);
/* Writes the grid as PNG, atomically. An existing file is replaced only
 * when `replace` is TRUE (the save dialog has asked); else G_IO_ERROR_EXISTS. */
gboolean         mcam_compare_view_export_to   (McamCompareView *self, const char *path,
                                                gboolean replace, GError **error);
/* The same on a thread of its own (what "Export Grid…" uses). */
void             mcam_compare_view_export_async  (McamCompareView *self, const char *path,
                                                  gboolean replace,
                                                  GAsyncReadyCallback callback,
                                                  gpointer user_data);
gboolean         mcam_compare_view_export_finish (McamCompareView *self, GAsyncResult *result,
                                                  GError **error);
/* A file name for the grid: <image>__<class>__all-methods.png or
 * <image>__all-classes__<method>.png, with __refit-head before .png when
 * the tiles explain the re-fit head. */
char            *mcam_compare_view_suggest_name (McamCompareView *self);

G_END_DECLS
