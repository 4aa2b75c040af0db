/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Shared by the worker's thread (mcam-worker.c) and its built-in jobs
 * (mcam-worker-jobs.c). Fields marked "worker thread" are touched only there. */

#include "mcam-worker.h"

G_BEGIN_DECLS

#define CACHE_CAPACITY 24

typedef struct
{
  char            *path;
  McamImage       *image;
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
CacheEntry      *_mcam_worker_cache_lookup           (McamWorker *self, const char *path,
                                                      GCancellable *cancellable,
                                                      GError **error);
McamImageResult *_mcam_worker_cache_entry_get_result (McamWorker *self, CacheEntry *e);
McamModelInfo   *_mcam_worker_install_model          (McamWorker *self, McamNet *net,
                                                      McamMemory *memory,
                                                      const char *model_path,
                                                      const char *memory_path);

G_END_DECLS
