/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The bias lens's worker job: every class's map on every image of a folder
 * with boxes, tallied by where it peaks (the core's mcam_pointing_tally_add).
 * With a re-fit head loaded, the methods that read a head are tallied under
 * the network's head and under the re-fit head in the same pass (issue 12):
 * the backbone runs once per image either way. */

#define G_LOG_DOMAIN "mcam-bias-lens"

#include "config.h"

#include <glib/gi18n.h>

#include "mcam/mcam-dataset.h"
#include "mcam/mcam-head-verdict.h"
#include "mcam/mcam-metrics.h"
#include "mcam-bias-lens-job.h"

void
mcam_bias_job_free (gpointer data)
{
  McamBiasJob *job = data;

  g_free (job->folder);
  g_clear_pointer (&job->head, mcam_head_ref_release);
  g_free (job);
}

void
mcam_bias_result_free (gpointer data)
{
  McamBiasResult *r = data;

  for (int k = 0; k < MCAM_BIAS_N_HEADS; k++)
    {
      if (r->cells[k])
        for (int i = 0; i < r->n_classes * (r->n_classes + 2); i++)
          g_clear_pointer (&r->cells[k][i], g_ptr_array_unref);
      g_free (r->cells[k]);
      g_clear_pointer (&r->tally[k], mcam_pointing_tally_free);
    }
  g_strfreev (r->classes);
  g_free (r->head_path);
  g_free (r->first_failure);
  g_free (r);
}

/* An image that would not load or a map that failed: counted (the first
 * message kept), unless the job was cancelled, which goes to the caller.
 * Returns TRUE when the job must stop. */
static gboolean
note_failure (McamBiasResult *r, GError **local, GError **error)
{
  if (g_error_matches (*local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_propagate_error (error, g_steal_pointer (local));
      return TRUE;
    }
  if (r->n_failed++ == 0)
    r->first_failure = g_strdup ((*local)->message);
  g_clear_error (local);
  return FALSE;
}

gpointer
mcam_bias_job_run (McamWorkerContext *ctx, gpointer data, GCancellable *cancellable,
                   GError **error)
{
  McamBiasJob *job = data;
  McamNet *net = mcam_worker_context_get_net (ctx);
  McamMemory *memory = mcam_worker_context_get_memory (ctx);
  g_autofree char *labels_csv = g_build_filename (job->folder, "labels.csv", NULL);
  g_autofree char *boxes_csv = g_build_filename (job->folder, "boxes.csv", NULL);
  g_autoptr(McamDataset) ds = NULL;
  const McamNetInfo *info;
  const McamHead *heads[MCAM_BIAS_N_HEADS] = { NULL, NULL };
  McamExplainOptions opts;
  McamBiasResult *r;
  int C, n_with_boxes = 0, done = 0;

  if (net == NULL)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE, _("No model is loaded"));
      return NULL;
    }
  if (mcam_method_needs_memory (job->method) && memory == NULL)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE,
                   _("%s needs a memory module, and the loaded model has none"),
                   mcam_method_get_label (job->method));
      return NULL;
    }
  if (!g_file_test (boxes_csv, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_IO,
                   _("%s: not found. The bias lens needs the objects' boxes (boxes.csv, with labels.csv) beside the images."),
                   boxes_csv);
      return NULL;
    }
  info = mcam_net_get_info (net);
  C = info->n_classes;
  ds = mcam_dataset_load (g_file_test (labels_csv, G_FILE_TEST_IS_REGULAR) ? labels_csv : NULL,
                          boxes_csv, job->folder, (const char *const *) info->classes, C,
                          error);
  if (ds == NULL)
    return NULL;

  r = g_new0 (McamBiasResult, 1);
  r->n_classes = C;
  r->classes = g_strdupv (info->classes);
  r->method = job->method;
  r->n_heads = job->head != NULL && mcam_method_reads_head (job->method) ? 2 : 1;
  if (r->n_heads == 2)
    {
      heads[MCAM_BIAS_REFIT_HEAD] = mcam_head_ref_get_head (job->head);
      r->head_path = g_strdup (mcam_head_ref_get_path (job->head));
    }
  for (int k = 0; k < r->n_heads; k++)
    {
      r->tally[k] = mcam_pointing_tally_new (C);
      r->cells[k] = g_new0 (GPtrArray *, C * (C + 2));
      for (int i = 0; i < C * (C + 2); i++)
        r->cells[k][i] = g_ptr_array_new_with_free_func (g_free);
    }
  for (int i = 0; i < ds->n; i++)
    n_with_boxes += ds->box_count[i] > 0;

  mcam_explain_options_init (&opts);
  for (int i = 0; i < ds->n; i++)
    {
      const McamBox *boxes = ds->boxes + ds->box_start[i];
      int nb = ds->box_count[i];
      g_autoptr(GError) local = NULL;
      g_autoptr(McamImage) image = NULL;
      g_autoptr(McamAnalysis) a = NULL;
      g_autofree gboolean *seen = NULL;

      if (nb == 0)
        continue;
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          mcam_bias_result_free (r);
          return NULL;
        }
      /* Its own analysis, not the window's cache: a folder pass must not
       * evict the images the user is looking at. */
      image = mcam_image_load (ds->paths[i], 0, &local);
      if (image != NULL)
        a = mcam_analysis_new (net, memory, image, cancellable, &local);
      if (a == NULL)
        {
          if (note_failure (r, &local, error))
            {
              mcam_bias_result_free (r);
              return NULL;
            }
          continue;
        }
      r->n_images++;

      seen = g_new0 (gboolean, C);
      opts.image = image;
      for (int b = 0; b < nb; b++)
        {
          int c = boxes[b].class_index;

          if (c < 0 || c >= C || seen[c])
            continue;
          seen[c] = TRUE;
          for (int k = 0; k < r->n_heads; k++)
            {
              g_autoptr(McamExplanation) e = NULL;
              g_autofree float *map = NULL;
              int col;

              opts.head = heads[k];
              e = mcam_explain (a, c, job->method, &opts, cancellable, &local);
              if (e == NULL)
                {
                  if (note_failure (r, &local, error))
                    {
                      mcam_bias_result_free (r);
                      return NULL;
                    }
                  continue;
                }
              map = mcam_map_to_image (e->map, e->h, e->w, image, &info->preprocess);
              col = mcam_pointing_tally_add (r->tally[k], boxes, nb, c, map, image->width,
                                             image->height, MCAM_POINTING_TOLERANCE);
              if (col >= 0)
                g_ptr_array_add (r->cells[k][c * (C + 2) + col], g_strdup (ds->paths[i]));
            }
        }

      done++;
      {
        g_autofree char *text = g_strdup_printf (_("Explained %d of %d images"), done,
                                                 n_with_boxes);
        mcam_worker_context_progress (ctx, (double) done / MAX (1, n_with_boxes), text);
      }
    }
  return r;
}
