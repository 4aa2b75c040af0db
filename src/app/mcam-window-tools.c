/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The window's bottom pane and tools: the memory inspector (its data is made
 * by a worker job after each map), the train dialog and the bias lens. */

#define G_LOG_DOMAIN "mcam-window"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "mcam-bias-lens-dialog.h"
#include "mcam-head-pair.h"
#include "mcam-memory-inspector.h"
#include "mcam-profile.h"
#include "mcam-train-dialog.h"
#include "mcam-window-private.h"

/* What depends only on the memory module — p'(G(e_c)) for every class, the
 * C x N value addresses (C·c² work: ~0.2 s for 1000 classes and c = 512) —
 * is computed once per model, not once per map. Touched only by inspector
 * jobs, which all run on the worker thread, one at a time. */
struct _McamInspectorCache
{
  guint  generation;
  float *value_addresses;   /* [C, N] */
};

void
_mcam_inspector_cache_free (McamInspectorCache *cache)
{
  if (cache == NULL)
    return;
  g_free (cache->value_addresses);
  g_free (cache);
}

typedef struct
{
  McamMapResult      *map;
  char              **class_names;
  McamInspectorCache *cache;   /* the window's; outlives every job */
} InspectorJob;

static void
inspector_job_free (InspectorJob *job)
{
  mcam_map_result_unref (job->map);
  g_strfreev (job->class_names);
  g_free (job);
}

/* Worker thread: slot maps, value addresses, health for one map. */
static gpointer
inspector_job_func (McamWorkerContext *ctx, gpointer data, GCancellable *cancellable,
                    GError **error)
{
  InspectorJob *job = data;
  McamExplanation *e = job->map->explanation;
  McamMemory *memory = mcam_worker_context_get_memory (ctx);
  McamInspectorCache *cache = job->cache;
  gsize n_va;
  McamAnalysis *a;
  McamInspectorData *out;
  g_autoptr(McamHealth) health = NULL;
  double r;
  int N;

  if (memory == NULL)
    return NULL;
  a = mcam_worker_context_get_analysis (ctx, job->map->request->path, NULL, cancellable,
                                        error);
  if (a == NULL)
    return NULL;

  N = memory->n_slots;
  n_va = (gsize) memory->n_classes * N;
  if (cache->value_addresses == NULL ||
      cache->generation != mcam_worker_context_get_info (ctx)->generation)
    {
      g_free (cache->value_addresses);
      cache->value_addresses = mcam_memory_class_slot_matrix (memory);
      cache->generation = mcam_worker_context_get_info (ctx)->generation;
    }

  /* As mcam_inspector_data_new_from_analysis, with the cached matrix. */
  out = mcam_inspector_data_new (N, memory->n_classes, memory->h, memory->w);
  out->class_names = g_strdupv (job->class_names);
  out->class_index = job->map->request->class_index;
  out->p = g_memdup2 (a->p, sizeof (float) * N);
  out->p_s = g_memdup2 (a->p_s, sizeof (float) * N);
  out->value_addresses = g_memdup2 (cache->value_addresses, sizeof (float) * n_va);
  if (e->slot >= 0 && e->n_slots == N && e->delta != NULL)
    {
      /* The ★ stays on Algorithm 1's n_ĉ (the first largest Δ_i, as
       * mcam_memory_search_slot picks it), whatever slot the user shows. */
      out->chosen_slot = 0;
      for (int i = 1; i < N; i++)
        if (e->delta[i] > e->delta[out->chosen_slot])
          out->chosen_slot = i;
      out->user_slot = job->map->request->slot >= 0 ? e->slot : -1;
      out->p_value = g_memdup2 (e->p_value, sizeof (float) * N);
      out->delta = g_memdup2 (e->delta, sizeof (float) * N);
    }
  else
    out->p_value = g_memdup2 (cache->value_addresses + (gsize) out->class_index * N,
                              sizeof (float) * N);
  out->slot_maps = g_new (float, (gsize) N * memory->h * memory->w);
  mcam_inspector_slot_maps (memory, a->features, out->slot_maps);
  health = mcam_health_from_metadata (memory->metadata);
  r = mcam_health_map_sum_r (e->map, a->features, a->c, e->h, e->w);
  mcam_inspector_data_set_health (out, health, r);
  return out;
}

static void
inspector_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(McamWindow) self = user_data;
  g_autoptr(McamInspectorData) data = NULL;
  g_autoptr(GError) error = NULL;
  McamMemoryInspector *inspector;
  McamMapResult *map;
  gint64 t0;

  data = mcam_worker_run_finish (MCAM_WORKER (source), result, &error);
  if (self->worker == NULL || !MCAM_IS_MEMORY_INSPECTOR (self->inspector) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  inspector = MCAM_MEMORY_INSPECTOR (self->inspector);
  if (error != NULL)
    {
      mcam_memory_inspector_set_message (inspector, error->message);
      return;
    }
  /* No map on screen any more (a failed or removed image): the figures of
   * the map before are not shown. */
  if (mcam_window_get_map_result (self) == NULL)
    return;
  t0 = g_get_monotonic_time ();
  mcam_memory_inspector_set_data (inspector, data);
  _mcam_window_update_agnostic (self, data);
  map = mcam_window_get_map_result (self);
  mcam_memory_inspector_set_shown_slot (inspector, map ? map->explanation->slot : -1);
  mcam_memory_inspector_set_colormap (inspector,
                                      mcam_overlay_view_get_colormap (self->overlay_view));
  mcam_profile_report ("main:inspector-handler", (g_get_monotonic_time () - t0) / 1000.0);
}

void
_mcam_window_update_inspector (McamWindow *self, McamMapResult *map)
{
  InspectorJob *job;

  if (!MCAM_IS_MEMORY_INSPECTOR (self->inspector))
    return;
  if (self->model == NULL || self->model->n_slots == 0)
    {
      mcam_memory_inspector_set_data (MCAM_MEMORY_INSPECTOR (self->inspector), NULL);
      return;
    }
  if (map == NULL)
    return;
  job = g_new0 (InspectorJob, 1);
  job->map = mcam_map_result_ref (map);
  job->class_names = g_strdupv (self->model->classes);
  if (self->inspector_cache == NULL)
    self->inspector_cache = g_new0 (McamInspectorCache, 1);
  job->cache = self->inspector_cache;
  mcam_worker_run_async (self->worker, NULL, "inspector", inspector_job_func, job,
                         (GDestroyNotify) inspector_job_free,
                         (GDestroyNotify) mcam_inspector_data_unref, NULL, NULL, NULL,
                         inspector_done_cb, g_object_ref (self));
}

/* The paper's M-CAM map of a memory that reads every slot alike is nearly
 * the class-agnostic ReLU(Σ_k f_k): the same picture for every class, and
 * class selection looks broken. Said beside the caption above the overlay
 * (McamCaptionRow: a warning button and a few words, or the button alone
 * when the caption needs the width), with the two methods that do depend on the class in its
 * popover, one click each. */
#define AGNOSTIC_R 0.9

void
_mcam_window_update_agnostic (McamWindow *self, McamInspectorData *data)
{
  double r = data != NULL ? data->map_sum_r : NAN;
  double between = data != NULL && data->health != NULL ? data->health->mcam_between_r : NAN;
  /* The memory's own figure when it has one (the same for every class, so
   * the notice does not flicker from class to class), else this map's. */
  gboolean show = data != NULL && self->method == MCAM_METHOD_MCAM &&
                  (isfinite (between) ? between >= AGNOSTIC_R
                                      : isfinite (r) && r >= AGNOSTIC_R);

  if (show)
    {
      g_autofree char *text = NULL;

      if (isfinite (between))
        /* Translators: r are correlations; the methods' names as in the list. */
        text = g_strdup_printf (_("With this memory, M-CAM (paper) draws nearly the same map for "
                                  "every class (r = %.2f with the class-agnostic Σf, %.2f between "
                                  "classes)."), r, between);
      else
        text = g_strdup_printf (_("With this memory, M-CAM (paper) draws nearly the same map for "
                                  "every class (r = %.2f with the class-agnostic Σf)."), r);
      /* The short line beside the caption; the figures on hover and in
       * its popover, above the two buttons. */
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->agnostic_button), text);
      gtk_label_set_label (self->agnostic_details, text);
    }
  else
    gtk_menu_button_popdown (self->agnostic_button);
  gtk_widget_set_visible (GTK_WIDGET (self->agnostic_button), show);
}

static void
slot_activated_cb (McamWindow *self, int slot)
{
  /* The window switches to an M-CAM method if needed, and says so. */
  mcam_window_set_slot (self, slot);
}

void
_mcam_window_setup_inspector (McamWindow *self)
{
  GtkWidget *inspector = mcam_memory_inspector_new ();

  self->inspector = inspector;
  g_signal_connect_swapped (inspector, "slot-activated", G_CALLBACK (slot_activated_cb), self);
  mcam_window_set_inspector (self, inspector);
}

/* ---------------------------------------------------------------- tools */

static void
train_action (GtkWidget *widget, const char *name, GVariant *param)
{
  McamWindow *self = MCAM_WINDOW (widget);
  McamTrainDialog *dialog = mcam_train_dialog_new (GTK_WINDOW (self), self->worker);
  g_autofree char *folder = NULL;
  g_autofree char *labels = NULL;

  if (self->image != NULL)
    {
      folder = g_path_get_dirname (self->image->path);
      labels = g_build_filename (folder, "labels.csv", NULL);
      if (!g_file_test (labels, G_FILE_TEST_EXISTS))
        g_clear_pointer (&labels, g_free);
    }
  mcam_train_dialog_set_inputs (dialog, self->model ? self->model->model_path : NULL, folder,
                                labels, -1, -1);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* An image listed for a cell opens for that cell's class and method. */
static void
bias_lens_image_cb (McamWindow *self, const char *path, gpointer dialog)
{
  McamBiasLensDialog *lens = MCAM_BIAS_LENS_DIALOG (dialog);
  McamMethod method;
  int c;

  if (mcam_bias_lens_dialog_get_shown_cell (lens, &c, &method) && self->model != NULL &&
      c < self->model->n_classes)
    {
      mcam_window_set_method (self, method);
      /* A cell of the re-fit head's table: both heads' maps, side by side. */
      if (mcam_bias_lens_dialog_get_use_refit_head (lens))
        _mcam_window_set_head_side_by_side (self, TRUE);
      if (self->image != NULL && g_strcmp0 (self->image->path, path) == 0)
        {
          mcam_window_select_class (self, c);
          return;
        }
      /* The class the image opens on, once analysed. */
      g_free (self->restore_class);
      self->restore_class = g_strdup (self->model->classes[c]);
    }
  mcam_image_browser_select_path (self->image_browser, path);
}

static void
bias_lens_action (GtkWidget *widget, const char *name, GVariant *param)
{
  McamWindow *self = MCAM_WINDOW (widget);
  McamBiasLensDialog *dialog = mcam_bias_lens_dialog_new (GTK_WINDOW (self), self->worker);

  if (self->image != NULL)
    {
      g_autofree char *folder = g_path_get_dirname (self->image->path);

      mcam_bias_lens_dialog_set_folder (dialog, folder);
    }
  mcam_bias_lens_dialog_set_method (dialog, self->method);
  mcam_bias_lens_dialog_follow_head (dialog, self);
  g_signal_connect_object (dialog, "image-activated", G_CALLBACK (bias_lens_image_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

void
_mcam_window_class_install_tool_actions (GtkWidgetClass *klass)
{
  gtk_widget_class_install_action (klass, "win.train", NULL, train_action);
  gtk_widget_class_install_action (klass, "win.bias-lens", NULL, bias_lens_action);
}
