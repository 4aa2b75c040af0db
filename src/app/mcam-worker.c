/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The compute thread: one GThread, a queue of jobs, the loaded model and the
 * LRU cache of analysed images. Only this thread touches McamNet and
 * McamMemory, so the core needs no locking; the main thread only ever sees
 * snapshots (McamModelInfo, McamImageResult, McamMapResult). */

#define G_LOG_DOMAIN "mcam-worker"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "mcam-worker-private.h"

/* Progress reaches the main loop at most this often. */
#define PROGRESS_INTERVAL_US (50 * 1000)

typedef struct _McamJob
{
  McamWorker            *worker;
  char                  *label;
  char                  *channel;
  McamWorkerFunc         func;
  gpointer               data;
  GDestroyNotify         data_destroy;
  GDestroyNotify         result_destroy;
  McamWorkerProgressFunc progress;
  gpointer               progress_data;
  GTask                 *task;
  GCancellable          *cancellable;
  gboolean               is_stop;

  GMutex                 lock;              /* the progress fields below */
  double                 fraction;
  char                  *text;
  gboolean               progress_pending;
  gint64                 last_progress_us;
} Job;

G_DEFINE_FINAL_TYPE (McamWorker, mcam_worker, G_TYPE_OBJECT)

enum { MODEL_CHANGED, JOB_STARTED, JOB_PROGRESS, JOB_FINISHED, N_SIGNALS };
static guint signals[N_SIGNALS];

/* ---------------------------------------------------------------- jobs */

static void
job_free (Job *job)
{
  if (job->data_destroy != NULL && job->data != NULL)
    job->data_destroy (job->data);
  g_free (job->label);
  g_free (job->channel);
  g_free (job->text);
  g_clear_object (&job->task);
  g_clear_object (&job->cancellable);
  g_mutex_clear (&job->lock);
}

static Job *
job_ref (Job *job)
{
  return g_atomic_rc_box_acquire (job);
}

static void
job_unref (Job *job)
{
  g_atomic_rc_box_release_full (job, (GDestroyNotify) job_free);
}

typedef struct
{
  McamWorker *worker;
  Job        *job;
  int         kind;
  McamModelInfo *info;
} Notify;

static gboolean
notify_main (gpointer user_data)
{
  Notify *n = user_data;
  McamWorker *self = n->worker;

  switch (n->kind)
    {
    case JOB_STARTED:
      g_signal_emit (self, signals[JOB_STARTED], 0, n->job->label);
      break;

    case JOB_PROGRESS:
      {
        double fraction;
        g_autofree char *text = NULL;

        g_mutex_lock (&n->job->lock);
        fraction = n->job->fraction;
        text = g_strdup (n->job->text);
        n->job->progress_pending = FALSE;
        g_mutex_unlock (&n->job->lock);
        if (n->job->progress != NULL)
          n->job->progress (fraction, text, n->job->progress_data);
        g_signal_emit (self, signals[JOB_PROGRESS], 0, fraction, text);
      }
      break;

    case JOB_FINISHED:
      g_signal_emit (self, signals[JOB_FINISHED], 0, n->job->label);
      break;

    case MODEL_CHANGED:
      g_clear_pointer (&self->info, mcam_model_info_unref);
      self->info = g_steal_pointer (&n->info);
      g_signal_emit (self, signals[MODEL_CHANGED], 0);
      break;

    default:
      g_assert_not_reached ();
    }
  return G_SOURCE_REMOVE;
}

static void
notify_free (gpointer user_data)
{
  Notify *n = user_data;

  g_clear_pointer (&n->job, job_unref);
  g_clear_pointer (&n->info, mcam_model_info_unref);
  g_object_unref (n->worker);
  g_free (n);
}

static void
post_notify (McamWorker *self, int kind, Job *job, McamModelInfo *info)
{
  Notify *n = g_new0 (Notify, 1);
  GSource *source;

  n->worker = g_object_ref (self);
  n->job = job ? job_ref (job) : NULL;
  n->kind = kind;
  n->info = info ? mcam_model_info_ref (info) : NULL;
  /* Not g_main_context_invoke (): while the main thread is between two
   * iterations, invoke would run the function right here, on this thread,
   * when the context is the default one (it is also this thread's default). */
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, notify_main, n, notify_free);
  g_source_set_static_name (source, "[mcam] worker notify");
  g_source_attach (source, self->main_context);
  g_source_unref (source);
}

/* ---------------------------------------------------------------- cache (worker thread) */

static void
cache_entry_free (CacheEntry *e)
{
  g_free (e->path);
  g_clear_pointer (&e->image, mcam_image_free);
  g_clear_pointer (&e->display, mcam_image_free);
  g_clear_pointer (&e->analysis, mcam_analysis_free);
  g_clear_pointer (&e->result, mcam_image_result_unref);
  g_free (e);
}

static void
cache_clear (McamWorker *self)
{
  g_queue_clear_full (&self->lru, (GDestroyNotify) cache_entry_free);
  g_atomic_int_set (&self->n_cached, 0);
}

static float *
dup_floats (const float *src, int n)
{
  return src != NULL ? g_memdup2 (src, sizeof (float) * (gsize) n) : NULL;
}

McamImageResult *
_mcam_worker_cache_entry_get_result (McamWorker *self, CacheEntry *e)
{
  McamAnalysis *a = e->analysis;
  const McamImage *shown = _mcam_cache_entry_display (e);
  McamImageResult *r;

  if (e->result != NULL)
    return mcam_image_result_ref (e->result);

  r = g_atomic_rc_box_new0 (McamImageResult);
  r->path = g_strdup (e->path);
  r->generation = self->generation;
  r->width = e->image->width;
  r->height = e->image->height;
  r->display_width = shown->width;
  r->display_height = shown->height;
  r->rgb = g_bytes_new (shown->rgb, (gsize) shown->width * shown->height * 3);
  r->n_classes = a->n_classes;
  r->scores = dup_floats (a->scores, a->n_classes);
  r->memory_scores = dup_floats (a->memory_scores, a->n_classes);
  r->n_slots = a->memory != NULL ? a->n_slots : 0;
  r->p = dup_floats (a->p, r->n_slots);
  r->p_s = dup_floats (a->p_s, r->n_slots);
  e->result = r;
  return mcam_image_result_ref (r);
}

CacheEntry *
_mcam_worker_cache_lookup (McamWorker *self, const char *path, GCancellable *cancellable,
                           GError **error)
{
  g_autoptr(McamImage) image = NULL;
  McamAnalysis *analysis;
  CacheEntry *e;

  if (self->net == NULL)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE,
                   _("No model is loaded: open a model first (Ctrl+Shift+O)"));
      return NULL;
    }

  for (GList *l = self->lru.head; l != NULL; l = l->next)
    {
      e = l->data;
      if (g_strcmp0 (e->path, path) == 0)
        {
          g_queue_unlink (&self->lru, l);
          g_queue_push_head_link (&self->lru, l);
          return e;
        }
    }

  image = mcam_image_load (path, 0, error);
  if (image == NULL)
    return NULL;
  analysis = mcam_analysis_new (self->net, self->memory, image, cancellable, error);
  if (analysis == NULL)
    return NULL;

  e = g_new0 (CacheEntry, 1);
  e->path = g_strdup (path);
  e->image = g_steal_pointer (&image);
  if (MAX (e->image->width, e->image->height) > MCAM_DISPLAY_MAX_SIDE)
    e->display = mcam_image_scale_to_fit (e->image, MCAM_DISPLAY_MAX_SIDE);
  e->analysis = analysis;
  g_queue_push_head (&self->lru, e);
  while (self->lru.length > CACHE_CAPACITY)
    cache_entry_free (g_queue_pop_tail (&self->lru));
  g_atomic_int_set (&self->n_cached, (gint) self->lru.length);
  return e;
}

/* ---------------------------------------------------------------- context API */

McamNet *
mcam_worker_context_get_net (McamWorkerContext *ctx)
{
  return ctx->worker->net;
}

McamMemory *
mcam_worker_context_get_memory (McamWorkerContext *ctx)
{
  return ctx->worker->memory;
}

McamModelInfo *
mcam_worker_context_get_info (McamWorkerContext *ctx)
{
  return ctx->worker->worker_info;
}

McamAnalysis *
mcam_worker_context_get_analysis (McamWorkerContext *ctx, const char *path,
                                  const McamImage **image_out,
                                  GCancellable *cancellable, GError **error)
{
  CacheEntry *e = _mcam_worker_cache_lookup (ctx->worker, path, cancellable, error);

  if (e == NULL)
    return NULL;
  if (image_out != NULL)
    *image_out = e->image;
  return e->analysis;
}

void
mcam_worker_context_progress (McamWorkerContext *ctx, double fraction, const char *text)
{
  Job *job = ctx->job;
  gint64 now = g_get_monotonic_time ();
  gboolean post = FALSE;

  g_mutex_lock (&job->lock);
  job->fraction = CLAMP (fraction, 0.0, 1.0);
  if (text != NULL)
    {
      g_free (job->text);
      job->text = g_strdup (text);
    }
  if (!job->progress_pending &&
      (now - job->last_progress_us >= PROGRESS_INTERVAL_US || fraction >= 1.0))
    {
      job->progress_pending = TRUE;
      job->last_progress_us = now;
      post = TRUE;
    }
  g_mutex_unlock (&job->lock);

  if (post)
    post_notify (ctx->worker, JOB_PROGRESS, job, NULL);
}

static McamModelInfo *
make_info (McamWorker *self, const char *model_path, const char *memory_path)
{
  const McamNetInfo *ni = mcam_net_get_info (self->net);
  McamModelInfo *info = g_atomic_rc_box_new0 (McamModelInfo);
  g_autofree char *base = g_path_get_basename (model_path);

  info->model_path = g_strdup (model_path);
  info->memory_path = g_strdup (memory_path);
  info->classes = g_strdupv (ni->classes);
  info->fingerprint = g_strdup (ni->fingerprint);
  info->target = g_strdup (ni->target);
  info->default_target = g_strdup (self->default_target ? self->default_target : ni->target);
  info->n_classes = ni->n_classes;
  info->n_slots = self->memory != NULL ? self->memory->n_slots : 0;
  info->multilabel = ni->multilabel;
  info->feat_c = ni->feat_c;
  info->feat_h = ni->feat_h;
  info->feat_w = ni->feat_w;
  info->generation = ++self->generation;
  info->memory_unsaved = self->installing_unsaved && self->memory != NULL;
  if (self->memory != NULL)
    /* Translators: the window subtitle, e.g. "demo.safetensors + memory (N = 40 slots)" */
    info->title = g_strdup_printf (_("%s + memory (N = %d slots)"), base, info->n_slots);
  else
    info->title = g_strdup_printf (_("%s (no memory module)"), base);
  return info;
}

/* Install a new model (worker thread); the snapshot reaches the main loop
 * before the job's own result does (same priority, posted first). */
McamModelInfo *
_mcam_worker_install_model (McamWorker *self, McamNet *net, McamMemory *memory,
                            const char *model_path, const char *memory_path)
{
  cache_clear (self);
  if (net != self->net)
    g_clear_pointer (&self->net, mcam_net_free);
  if (memory != self->memory)
    g_clear_pointer (&self->memory, mcam_memory_free);
  self->net = net;
  self->memory = memory;
  g_clear_pointer (&self->worker_info, mcam_model_info_unref);
  self->worker_info = make_info (self, model_path, memory_path);
  post_notify (self, MODEL_CHANGED, NULL, self->worker_info);
  return mcam_model_info_ref (self->worker_info);
}

gboolean
mcam_worker_context_set_memory (McamWorkerContext *ctx, McamMemory *memory,
                                const char *memory_path, GError **error)
{
  McamWorker *self = ctx->worker;
  g_autoptr(McamMemory) owned = memory;
  g_autofree char *model_path = NULL;
  McamModelInfo *info;

  if (self->net == NULL)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE, _("No model is loaded"));
      return FALSE;
    }
  if (owned != NULL && !mcam_memory_check_net (owned, self->net, memory_path, error))
    return FALSE;
  /* A copy: installing frees the snapshot the path lives in. */
  model_path = g_strdup (self->worker_info->model_path);
  /* A memory given without its file (just trained) is marked unsaved. */
  self->installing_unsaved = memory_path == NULL;
  info = _mcam_worker_install_model (self, self->net, g_steal_pointer (&owned), model_path,
                                     memory_path);
  self->installing_unsaved = FALSE;
  mcam_model_info_unref (info);
  return TRUE;
}

/* ---------------------------------------------------------------- the thread */

static gboolean
unref_object_cb (gpointer data)
{
  g_object_unref (data);
  return G_SOURCE_REMOVE;
}

static void
release_on_main (McamWorker *self, gpointer object)
{
  g_autoptr(GSource) source = g_idle_source_new ();

  g_source_set_callback (source, unref_object_cb, object, NULL);
  g_source_set_static_name (source, "[mcam] release task");
  g_source_attach (source, self->main_context);
}

static gpointer
worker_thread (gpointer user_data)
{
  McamWorker *self = user_data;

  for (;;)
    {
      Job *job = g_async_queue_pop (self->queue);
      McamWorkerContext ctx = { self, job };
      g_autoptr(GError) error = NULL;
      gpointer result = NULL;
      GTask *task;

      if (job->is_stop)
        {
          job_unref (job);
          break;
        }

      g_mutex_lock (&self->lock);
      g_ptr_array_remove (self->pending, job);
      self->current = job;
      g_mutex_unlock (&self->lock);

      /* A job cancelled while it waited costs nothing. */
      if (!g_cancellable_set_error_if_cancelled (job->cancellable, &error))
        {
          post_notify (self, JOB_STARTED, job, NULL);
          result = job->func (&ctx, job->data, job->cancellable, &error);
          post_notify (self, JOB_FINISHED, job, NULL);
        }

      g_mutex_lock (&self->lock);
      self->current = NULL;
      if (job->channel != NULL && g_hash_table_lookup (self->channels, job->channel) == job)
        g_hash_table_remove (self->channels, job->channel);
      g_mutex_unlock (&self->lock);

      task = g_steal_pointer (&job->task);
      if (error != NULL)
        {
          if (result != NULL && job->result_destroy != NULL)
            job->result_destroy (result);
          g_task_return_error (task, g_steal_pointer (&error));
        }
      else
        g_task_return_pointer (task, result, job->result_destroy);
      /* The last reference to a task (and so perhaps to the worker, its
       * source object) must not be dropped on this thread. */
      release_on_main (self, task);

      g_mutex_lock (&self->lock);
      self->n_unreturned--;
      g_cond_broadcast (&self->returned);
      g_mutex_unlock (&self->lock);

      /* Free the job's data here, on the thread that used it. */
      job_unref (job);
    }
  return NULL;
}

void
mcam_worker_run_async (McamWorker            *self,
                       const char            *label,
                       const char            *channel,
                       McamWorkerFunc         func,
                       gpointer               data,
                       GDestroyNotify         data_destroy,
                       GDestroyNotify         result_destroy,
                       McamWorkerProgressFunc progress,
                       gpointer               progress_data,
                       GCancellable          *cancellable,
                       GAsyncReadyCallback    callback,
                       gpointer               user_data)
{
  Job *job;

  g_return_if_fail (MCAM_IS_WORKER (self));
  g_return_if_fail (func != NULL);

  job = g_atomic_rc_box_new0 (Job);
  g_mutex_init (&job->lock);
  job->worker = self;
  job->label = g_strdup (label);
  job->channel = g_strdup (channel);
  job->func = func;
  job->data = data;
  job->data_destroy = data_destroy;
  job->result_destroy = result_destroy;
  job->progress = progress;
  job->progress_data = progress_data;
  job->cancellable = cancellable ? g_object_ref (cancellable) : g_cancellable_new ();
  job->task = g_task_new (self, job->cancellable, callback, user_data);
  g_task_set_source_tag (job->task, mcam_worker_run_async);
  g_task_set_name (job->task, label);

  if (self->shut_down)
    {
      g_task_return_new_error (job->task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               "The worker has stopped");
      job_unref (job);
      return;
    }

  g_mutex_lock (&self->lock);
  if (channel != NULL)
    {
      Job *stale = g_hash_table_lookup (self->channels, channel);

      if (stale != NULL)
        g_cancellable_cancel (stale->cancellable);
      g_hash_table_insert (self->channels, g_strdup (channel), job);
    }
  g_ptr_array_add (self->pending, job);
  self->n_unreturned++;
  g_mutex_unlock (&self->lock);

  g_async_queue_push (self->queue, job);
}

gpointer
mcam_worker_run_finish (McamWorker *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---------------------------------------------------------------- object */

McamModelInfo *
mcam_worker_get_model_info (McamWorker *self)
{
  g_return_val_if_fail (MCAM_IS_WORKER (self), NULL);
  return self->info;
}

void
mcam_worker_cancel_all (McamWorker *self)
{
  g_mutex_lock (&self->lock);
  if (self->current != NULL)
    g_cancellable_cancel (self->current->cancellable);
  for (guint i = 0; i < self->pending->len; i++)
    g_cancellable_cancel (((Job *) g_ptr_array_index (self->pending, i))->cancellable);
  g_mutex_unlock (&self->lock);
}

gboolean
mcam_worker_is_busy (McamWorker *self)
{
  gboolean busy;

  g_mutex_lock (&self->lock);
  busy = self->current != NULL || self->pending->len > 0;
  g_mutex_unlock (&self->lock);
  return busy;
}

gboolean
mcam_worker_wait_returned (McamWorker *self, gint64 timeout_us)
{
  gint64 deadline = g_get_monotonic_time () + timeout_us;
  gboolean all_returned;

  g_return_val_if_fail (MCAM_IS_WORKER (self), FALSE);

  g_mutex_lock (&self->lock);
  while (self->n_unreturned > 0 &&
         g_cond_wait_until (&self->returned, &self->lock, deadline))
    ;
  all_returned = self->n_unreturned == 0;
  g_mutex_unlock (&self->lock);
  return all_returned;
}

/* Refreshed by the worker thread whenever the cache changes. */
guint
mcam_worker_get_n_cached (McamWorker *self)
{
  return (guint) g_atomic_int_get (&self->n_cached);
}

void
mcam_worker_shutdown (McamWorker *self)
{
  Job *stop;

  if (self->shut_down)
    return;
  self->shut_down = TRUE;
  mcam_worker_cancel_all (self);

  stop = g_atomic_rc_box_new0 (Job);
  g_mutex_init (&stop->lock);
  stop->is_stop = TRUE;
  g_async_queue_push (self->queue, stop);
  g_thread_join (self->thread);
  self->thread = NULL;

  /* The thread has gone: what it owned can be freed here. */
  cache_clear (self);
  g_clear_pointer (&self->net, mcam_net_free);
  g_clear_pointer (&self->memory, mcam_memory_free);
  g_clear_pointer (&self->worker_info, mcam_model_info_unref);
  g_clear_pointer (&self->default_target, g_free);
}

static void
mcam_worker_dispose (GObject *object)
{
  mcam_worker_shutdown (MCAM_WORKER (object));
  G_OBJECT_CLASS (mcam_worker_parent_class)->dispose (object);
}

static void
mcam_worker_finalize (GObject *object)
{
  McamWorker *self = MCAM_WORKER (object);

  g_clear_pointer (&self->info, mcam_model_info_unref);
  g_async_queue_unref (self->queue);
  g_ptr_array_unref (self->pending);
  g_hash_table_unref (self->channels);
  g_main_context_unref (self->main_context);
  g_cond_clear (&self->returned);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (mcam_worker_parent_class)->finalize (object);
}

static void
mcam_worker_class_init (McamWorkerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mcam_worker_dispose;
  object_class->finalize = mcam_worker_finalize;

  /* All signals are emitted on the main loop. */
  signals[MODEL_CHANGED] = g_signal_new ("model-changed", G_TYPE_FROM_CLASS (klass),
                                         G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                         G_TYPE_NONE, 0);
  signals[JOB_STARTED] = g_signal_new ("job-started", G_TYPE_FROM_CLASS (klass),
                                       G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                       G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[JOB_PROGRESS] = g_signal_new ("job-progress", G_TYPE_FROM_CLASS (klass),
                                        G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                        G_TYPE_NONE, 2, G_TYPE_DOUBLE, G_TYPE_STRING);
  signals[JOB_FINISHED] = g_signal_new ("job-finished", G_TYPE_FROM_CLASS (klass),
                                        G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                        G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
mcam_worker_init (McamWorker *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->returned);
  self->main_context = g_main_context_ref_thread_default ();
  self->queue = g_async_queue_new ();
  self->pending = g_ptr_array_new ();
  self->channels = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_queue_init (&self->lru);
  self->thread = g_thread_new ("mcam-worker", worker_thread, self);
}

G_DEFINE_QUARK (mcam-worker-memory-error-quark, mcam_worker_memory_error)

McamWorker *
mcam_worker_new (void)
{
  return g_object_new (MCAM_TYPE_WORKER, NULL);
}
