/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The compare view's state, shared by mcam-compare-view.c (tiles, jobs,
 * settings) and mcam-compare-export.c (the grid PNG). */

#include "mcam-compare-job.h"
#include "mcam-compare-view.h"

G_BEGIN_DECLS

/* One tile on screen. */
typedef struct
{
  McamCompareView *view;    /* unowned: tiles live no longer than the view */
  int              class_index;
  McamMethod       method;
  McamCompareHead  head;
  char            *label;
  char            *tooltip;
  float           *map;
  gboolean         any_positive;
  cairo_surface_t *surface;
  GtkWidget       *area;
  GtkWidget       *caption;
} Tile;

struct _McamCompareView
{
  GtkBox           parent_instance;

  /* template */
  GtkToggleButton *methods_toggle;
  GtkToggleButton *classes_toggle;
  GtkDropDown     *class_dropdown;
  GtkDropDown     *method_dropdown;
  GtkDropDown     *size_dropdown;
  GtkDropDown     *head_dropdown;
  GtkButton       *export_button;
  GtkLabel        *status_label;
  GtkProgressBar  *progress_bar;
  GtkButton       *cancel_button;
  GtkFlowBox      *flow_box;

  McamWorker      *worker;
  McamModelInfo   *model;
  char            *path;
  McamCompareMode  mode;
  int              class_index;
  McamMethod       method;
  guint64          seed;
  int              draws;
  float            temperature;
  McamColormap     colormap;
  double           opacity;
  int              tile_size;
  McamHeadRef     *head;          /* the re-fit head loaded beside the model, or NULL */
  gboolean         prefer_refit;  /* the selector's choice, kept across an unload */

  McamImage       *thumb;
  GPtrArray       *tiles;         /* Tile, in grid order */
  char            *tiles_title;   /* what the shown tiles are of */
  char            *message;
  guint            serial;        /* of the newest job */
  guint            partial_serial; /* the job whose early tiles are shown */
  McamCompareSink *sink;
  gboolean         busy;
  GCancellable    *cancellable;
  guint            idle_id;
  gboolean         updating;      /* setting widgets from code: no feedback */
};

/* mcam-compare-view.c */
void        _mcam_compare_view_set_message (McamCompareView *self, const char *message);
/* The box a tile's overlay fits in: the thumbnail's shape, longer side = tile size. */
void        _mcam_compare_view_tile_box    (McamCompareView *self, int *w, int *h);
const char *_mcam_compare_view_class_name  (McamCompareView *self, int class_index);

/* Coalesced on idle: one job for many setter calls. */
void        _mcam_compare_view_schedule_refresh (McamCompareView *self);

/* mcam-compare-head.c: the head selector's "notify::selected" */
void        _mcam_compare_view_head_selected (McamCompareView *self);

/* mcam-compare-export.c: "Export Grid…" */
void        _mcam_compare_view_run_export_dialog (McamCompareView *self);

G_END_DECLS
