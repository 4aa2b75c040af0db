/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Shared by the worker's thread (mcam-worker.c) and its built-in jobs
 * (mcam-worker-jobs.c). Fields marked "worker thread" are touched only there. */

#include "mcam-worker.h"

G_BEGIN_DECLS

#define CACHE_CAPACITY 24

/* The longer side of what the main window draws of an image. A 12-megapixel
 * photo would otherwise be upsampled, colour-mapped, copied to the main
 * thread and uploaded as a texture at 4000 x 3000 on every class switch
 * (~0.3 s of worker time and a main-loop stall; docs/BENCHMARKS.md): the
 * overlay pane is ~850 px wide in the default window and ~1350 px maximised on
 * a 1920 x 1080 screen. Measured under Xvfb (cairo renderer, resnet50, load 13):
 * class switch 875 ms at full size, 240 ms with a 2048 px copy, 146 ms at
 * 1600, 71 ms at 1280. Zoomed in past the copy, the view says it enlarges. The
 * network still sees the full image; exports are made from it too. */
#define MCAM_DISPLAY_MAX_SIDE 1280

typedef struct
{
  char            *path;
  McamImage       *image;
  McamImage       *display;   /* image scaled to MCAM_DISPLAY_MAX_SIDE, or NULL: image */
  McamAnalysis    *analysis;
  McamImageResult *result;    /* built on first request */
} CacheEntry;

struct _McamWorkerContext
{
  McamWorker *worker;
  struct _McamJob *job;
};

struct _McamWorker
{
  GObject        parent_instance;

  GMainContext  *main_context;
  GThread       *thread;
  GAsyncQueue   *queue;

  GMutex         lock;        /* guards the fields up to `n_unreturned` */
  GPtrArray     *pending;     /* Job*, queued and not yet started */
  GHashTable    *channels;    /* channel -> Job* (borrowed; removed when done) */
  struct _McamJob *current;
  guint          n_unreturned; /* posted jobs whose GTask has not returned yet */
  GCond          returned;    /* signalled whenever a job's GTask returns */

  /* main thread */
  McamModelInfo *info;
  gint           n_cached;    /* atomic: cached images, for the status line */
  gboolean       shut_down;

  /* worker thread only */
  McamNet       *net;
  McamMemory    *memory;
  McamModelInfo *worker_info;
  gboolean       installing_unsaved;  /* the next install is a memory in no file */
  char          *default_target;      /* the net's target as loaded (McamModelInfo) */
  GQueue         lru;         /* CacheEntry*, most recent first */
  guint          generation;
};

/* Worker thread only. */
static inline const McamImage *
_mcam_cache_entry_display (const CacheEntry *e)
{
  return e->display != NULL ? e->display : e->image;
}

CacheEntry      *_mcam_worker_cache_lookup           (McamWorker *self, const char *path,
                                                      GCancellable *cancellable,
                                                      GError **error);
McamImageResult *_mcam_worker_cache_entry_get_result (McamWorker *self, CacheEntry *e);
McamModelInfo   *_mcam_worker_install_model          (McamWorker *self, McamNet *net,
                                                      McamMemory *memory,
                                                      const char *model_path,
                                                      const char *memory_path);

G_END_DECLS
