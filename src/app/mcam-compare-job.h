/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Private to compare mode: the worker job behind McamCompareView
 * (mcam-compare-job.c) and what it hands back. */

#include "mcam-compare-view.h"

G_BEGIN_DECLS

/* One tile's map, made on the worker. */
typedef struct
{
  int         class_index;
  McamMethod  method;
  char       *label;
  float      *map;          /* [thumb] in [0,1]; NULL when the method failed */
  gboolean    any_positive;
  char       *error;        /* why the map is missing */
  float       score;        /* of the classifier the method explains */
  McamCompareHead head;     /* whose map it is */
} McamCompareTile;

void mcam_compare_tile_free (McamCompareTile *t);

typedef struct
{
  McamImage *thumb;         /* the image the maps are on (longer side <= 320) */
  GPtrArray *tiles;         /* McamCompareTile, in grid order */
  char      *note;          /* what was left out or approximated, or NULL */
} McamCompareResult;

void mcam_compare_result_free (McamCompareResult *r);

/* Where the job's early tiles go: the target is set and cleared on the main
 * thread only, and the sink is reference counted, so a message arriving
 * after the view is gone finds NULL. early_tile takes thumb (non-NULL with
 * the first tile of a job) and tile. */
typedef void (*McamCompareEarlyTileFunc) (gpointer target, guint serial, McamImage *thumb,
                                          McamCompareTile *tile);
typedef struct _McamCompareSink McamCompareSink;

McamCompareSink *mcam_compare_sink_new        (gpointer target,
                                               McamCompareEarlyTileFunc early_tile);
McamCompareSink *mcam_compare_sink_ref        (McamCompareSink *sink);
void             mcam_compare_sink_unref      (McamCompareSink *sink);
void             mcam_compare_sink_detach     (McamCompareSink *sink);      /* main thread */
gpointer         mcam_compare_sink_get_target (McamCompareSink *sink);      /* main thread */

/* What one job computes. */
typedef struct
{
  McamCompareSink *sink;
  guint            serial;
  char            *path;
  McamCompareMode  mode;
  int              class_index;
  McamMethod       method;
  guint64          seed;
  int              draws;
  float            temperature;
  char           **class_names;
  McamHeadRef     *head;    /* explained by every method that reads a head; NULL:
                             * the network's own */
  gboolean         head_loaded; /* a re-fit head is loaded (the labels say whose map) */
} McamCompareJob;

void     mcam_compare_job_free (McamCompareJob *job);
/* A McamWorkerFunc: returns a McamCompareResult. */
gpointer mcam_compare_job_run  (McamWorkerContext *ctx, gpointer data,
                                GCancellable *cancellable, GError **error);

G_END_DECLS
