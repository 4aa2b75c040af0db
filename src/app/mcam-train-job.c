/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mcam-train-dialog"

#include "config.h"

#include <math.h>
#include <glib/gi18n.h>

#include "mcam/mcam-class-names.h"
#include "mcam/mcam-dataset.h"
#include "mcam/mcam-feature-cache.h"
#include "mcam-train-job.h"

/* ------------------------------------------------------------ the job */

static void
loss_sink_clear (gpointer data)
{
  g_weak_ref_clear (&((McamTrainLossSink *) data)->dialog);
}

void
_mcam_train_loss_sink_unref (McamTrainLossSink *sink)
{
  g_atomic_rc_box_release_full (sink, loss_sink_clear);
}

typedef struct
{
  McamTrainLossSink *sink;
  double   x;
  double   values[MCAM_TRAIN_N_LOSS_SERIES];
} LossPoint;

void
_mcam_train_job_free (gpointer data)
{
  McamTrainJob *job = data;

  g_free (job->model_path);
  g_free (job->folder);
  g_free (job->labels_csv);
  g_free (job->val_csv);
  g_free (job->val_folder);
  g_free (job->classes_path);
  g_free (job->val_scores);
  _mcam_train_loss_sink_unref (job->sink);
  g_free (job);
}

void
_mcam_train_result_free (gpointer data)
{
  McamTrainResult *r = data;

  g_clear_pointer (&r->memory, mcam_memory_free);
  g_clear_pointer (&r->health, mcam_health_free);
  g_free (r);
}

static gboolean
loss_point_deliver (gpointer data)
{
  LossPoint *pt = data;
  g_autoptr(McamTrainDialog) self = g_weak_ref_get (&pt->sink->dialog);

  if (self != NULL)
    _mcam_train_dialog_add_loss_point (self, pt->x, pt->values);
  return G_SOURCE_REMOVE;
}

static void
loss_point_free (gpointer data)
{
  LossPoint *pt = data;

  _mcam_train_loss_sink_unref (pt->sink);
  g_free (pt);
}

static void
feature_progress (int done, int total, gpointer user_data)
{
  McamTrainJob *job = user_data;
  g_autofree char *text = g_strdup_printf (_("Computing backbone features: %d of %d images"),
                                           done, total);

  /* Features are the first ~third of the time on small data; show them as 0–20%. */
  mcam_worker_context_progress (job->ctx, total > 0 ? 0.2 * done / total : 0.0, text);
}

static gboolean
train_progress (const McamTrainProgress *p, gpointer user_data)
{
  McamTrainJob *job = user_data;
  gint64 now = g_get_monotonic_time ();
  double x = (p->epoch - 1) + (double) p->batch / MAX (1, p->n_batches);
  g_autofree char *text = NULL;

  text = g_strdup_printf (_("Epoch %d of %d, batch %d of %d: loss %.4f"), p->epoch,
                          p->n_epochs, p->batch, p->n_batches, p->losses.total);
  if (p->epoch_done && job->val_n > 0)
    {
      /* mcam train --val: the memory classifier's mAP on the validation set */
      mcam_train_memory_scores (job->mem, job->val_f, job->val_n, job->val_scores);
      job->val_map = mcam_mean_average_precision (job->val_scores, job->val_y, job->val_n,
                                                  job->mem->n_classes, NULL);
      g_free (text);
      text = g_strdup_printf (_("Epoch %d of %d: loss %.4f, validation mAP %.4f"), p->epoch,
                              p->n_epochs, p->losses.total, job->val_map);
    }
  mcam_worker_context_progress (job->ctx, 0.2 + 0.75 * x / MAX (1, p->n_epochs), text);

  /* A point per epoch end and at most ~20 per second in between: a live
   * plot without flooding the main loop. */
  if (p->epoch_done || now - job->last_point_us > 50000)
    {
      LossPoint *pt = g_new0 (LossPoint, 1);

      job->last_point_us = now;
      pt->sink = g_atomic_rc_box_acquire (job->sink);
      pt->x = x;
      pt->values[0] = p->losses.total;
      pt->values[1] = p->losses.bce_target;
      pt->values[2] = p->losses.bce_read;
      pt->values[3] = p->losses.sparse;
      pt->values[4] = p->losses.kl_spatial;
      pt->values[5] = p->losses.kl_key;
      /* An idle source, never g_main_context_invoke (): from a worker thread it
       * can run the callback right here when the main loop is idle. */
      g_idle_add_full (G_PRIORITY_DEFAULT, loss_point_deliver, pt, loss_point_free);
    }
  return TRUE;
}

gpointer
_mcam_train_job_run (McamWorkerContext *ctx, gpointer data, GCancellable *cancellable,
               GError **error)
{
  McamTrainJob *job = data;
  McamNet *net = mcam_worker_context_get_net (ctx);
  g_autoptr(McamNet) own_net = NULL;
  g_autoptr(McamDataset) ds = NULL;
  g_autoptr(McamFeatureCache) cache = NULL;
  g_autoptr(McamDataset) vds = NULL;
  g_autoptr(McamFeatureCache) vcache = NULL;
  g_autoptr(McamMemory) mem = NULL;
  g_autoptr(McamTrainer) trainer = NULL;
  g_autoptr(McamHealth) health = NULL;
  const McamNetInfo *info;
  const float *features;
  McamTrainResult *result;

  job->ctx = ctx;
  /* The loaded backbone when it is the one asked for: its memory can then be
   * swapped in at the end. Any other backbone is loaded for this job only. */
  if (net == NULL || g_strcmp0 (mcam_net_get_path (net), job->model_path) != 0 ||
      job->classes_path != NULL)
    {
      mcam_worker_context_progress (ctx, 0.0, _("Loading the backbone"));
      own_net = mcam_net_load (job->model_path, error);
      if (own_net == NULL)
        return NULL;
      /* --classes: the names the labels CSV is read against */
      if (!mcam_class_names_apply (own_net, job->classes_path, NULL, error))
        return NULL;
      net = own_net;
    }
  info = mcam_net_get_info (net);

  ds = mcam_dataset_load (job->labels_csv, NULL, job->folder,
                          (const char *const *) info->classes, info->n_classes, error);
  if (ds == NULL)
    return NULL;
  if (ds->n == 0)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_FORMAT, _("%s: no images listed"),
                   job->labels_csv);
      return NULL;
    }

  {
    /* Features kept in the user's cache folder, so training again on the
     * same images (other slots, epochs) skips the backbone; the cache checks
     * the backbone fingerprint and every image's size and time itself. */
    g_autofree char *key = g_strconcat (job->model_path, "\n", job->folder, "\n",
                                        job->labels_csv, NULL);
    g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA1, key, -1);
    g_autofree char *dir = g_build_filename (g_get_user_cache_dir (), "mcam-explorer", NULL);
    g_autofree char *name = g_strconcat ("train-", hash, ".features", NULL);
    g_autofree char *cache_path = g_build_filename (dir, name, NULL);

    if (g_mkdir_with_parents (dir, 0700) != 0)
      g_clear_pointer (&cache_path, g_free);   /* no cache folder: keep them in memory */
    cache = mcam_feature_cache_open (cache_path, net, (const char *const *) ds->paths, ds->n,
                                     16, feature_progress, job, cancellable, error);
  }
  if (cache == NULL)
    return NULL;
  features = mcam_feature_cache_get_features (cache);

  if (job->val_csv != NULL)
    {
      /* mcam train --val / --val-images: features kept in memory only */
      vds = mcam_dataset_load (job->val_csv, NULL, job->val_folder ? job->val_folder : job->folder,
                               (const char *const *) info->classes, info->n_classes, error);
      if (vds == NULL)
        return NULL;
      if (vds->n == 0)
        {
          g_set_error (error, MCAM_ERROR, MCAM_ERROR_FORMAT, _("%s: no images listed"),
                       job->val_csv);
          return NULL;
        }
      mcam_worker_context_progress (ctx, 0.2, _("Computing the validation images' features"));
      vcache = mcam_feature_cache_open (NULL, net, (const char *const *) vds->paths, vds->n, 16,
                                        NULL, NULL, cancellable, error);
      if (vcache == NULL)
        return NULL;
      job->val_f = mcam_feature_cache_get_features (vcache);
      job->val_y = vds->labels;
      job->val_n = vds->n;
      job->val_scores = g_new (float, (gsize) vds->n * info->n_classes);
    }

  mcam_worker_context_progress (ctx, 0.2, _("Initialising the slots"));
  mem = mcam_train_init_memory (job->n_slots, info->feat_c, info->feat_h, info->feat_w,
                                info->n_classes, features, ds->labels, ds->n, &job->opt,
                                error);
  if (mem == NULL)
    return NULL;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  job->mem = mem;
  trainer = mcam_trainer_new (mem, &job->opt);
  if (!mcam_trainer_run (trainer, features, ds->labels, ds->n, train_progress, job,
                         cancellable, error))
    return NULL;

  mcam_worker_context_progress (ctx, 0.95, _("Measuring the memory's health"));
  health = mcam_health_compute (mem, features, ds->n, ds->labels, NULL, cancellable, error);
  if (health == NULL)
    return NULL;
  mcam_health_to_metadata (health, mem->metadata);
  if (info->fingerprint != NULL)
    g_hash_table_replace (mem->metadata, g_strdup ("mcam.memory.backbone"),
                          g_strdup (info->fingerprint));
  /* the layer whose f it was trained on: refused at another (as mcam train writes it) */
  if (info->target != NULL)
    g_hash_table_replace (mem->metadata, g_strdup ("mcam.memory.layer"),
                          g_strdup (info->target));
  g_hash_table_replace (mem->metadata, g_strdup ("mcam.memory.train.epochs"),
                        g_strdup_printf ("%d", job->opt.epochs));
  g_hash_table_replace (mem->metadata, g_strdup ("mcam.memory.train.images"),
                        g_strdup_printf ("%d", ds->n));
  g_hash_table_replace (mem->metadata, g_strdup ("mcam.memory.train.seed"),
                        g_strdup_printf ("%" G_GUINT64_FORMAT, job->opt.seed));

  result = g_new0 (McamTrainResult, 1);
  result->n_images = ds->n;
  result->val_map = job->val_n > 0 ? job->val_map : NAN;
  result->health = g_steal_pointer (&health);
  g_clear_pointer (&trainer, mcam_trainer_free);
  if (own_net == NULL)
    {
      GError *local = NULL;
      if (mcam_worker_context_set_memory (ctx, g_steal_pointer (&mem), NULL, &local))
        result->installed = TRUE;
      else
        {
          g_propagate_error (error, local);
          _mcam_train_result_free (result);
          return NULL;
        }
    }
  else
    result->memory = g_steal_pointer (&mem);
  mcam_worker_context_progress (ctx, 1.0, _("Done"));
  return result;
}

/* ------------------------------------------------------------ save */

void
_mcam_train_save_job_free (gpointer data)
{
  McamTrainSaveJob *job = data;

  g_free (job->path);
  g_free (job);
}

gpointer
_mcam_train_save_job_run (McamWorkerContext *ctx, gpointer data, GCancellable *cancellable,
              GError **error)
{
  McamTrainSaveJob *job = data;
  McamMemory *mem = job->memory ? job->memory : mcam_worker_context_get_memory (ctx);

  if (mem == NULL)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE, _("There is no memory module to save"));
      return NULL;
    }
  if (!mcam_memory_save (mem, job->path, error))
    return NULL;
  return g_strdup (job->path);
}
