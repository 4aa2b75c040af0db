/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The main window's image: the selected image analysed on the worker and
 * shown (overlay, scores, ground truth), the reason in place when it could
 * not be, and the files opened or dropped on the window. */

#define G_LOG_DOMAIN "mcam-window"

#include "config.h"

#include <glib/gi18n.h>

#include "mcam-memory-inspector.h"
#include "mcam-profile.h"
#include "mcam-window-private.h"
#include "mcam-head-lens.h"

static void
show_ground_truth (McamWindow *self)
{
  const McamBox *boxes = NULL;
  const float *labels = NULL;
  int n_boxes = 0, n_labels = 0;

  if (self->item != NULL)
    {
      boxes = mcam_image_item_get_boxes (self->item, &n_boxes);
      labels = mcam_image_item_get_labels (self->item, &n_labels);
    }
  if (self->model == NULL || self->image == NULL)
    return;
  mcam_overlay_view_set_boxes (self->overlay_view, boxes, n_boxes,
                               (const char *const *) self->model->classes);
  mcam_class_list_set_scores (self->class_list, self->image->scores,
                              self->image->memory_scores,
                              n_labels == self->model->n_classes ? labels : NULL);
  _mcam_window_head_image_changed (self);
}

/* The image being analysed could not be: nothing of the image shown before
 * stays on screen under its name (overlay, map, scores, inspector); the
 * reason is shown in place and its row is marked. */
static void
show_image_failure (McamWindow *self, const char *path, const GError *error)
{
  g_autofree char *name = g_path_get_basename (path);
  g_autofree char *title = g_strdup_printf (_("%s could not be analysed"), name);

  g_clear_pointer (&self->image, mcam_image_result_unref);
  self->class_index = -1;
  self->slot = -1;
  mcam_overlay_view_show_failure (self->overlay_view, title, error->message);
  mcam_class_list_set_scores (self->class_list, NULL, NULL, NULL);
  _mcam_window_update_caption (self, NULL);
  _mcam_window_update_agnostic (self, NULL);
  if (MCAM_IS_MEMORY_INSPECTOR (self->inspector) && self->model != NULL &&
      self->model->n_slots > 0)
    {
      /* The charts were the image before's: dropped, not dimmed. */
      mcam_memory_inspector_set_data (MCAM_MEMORY_INSPECTOR (self->inspector), NULL);
      mcam_memory_inspector_set_message (MCAM_MEMORY_INSPECTOR (self->inspector), title);
    }
  if (self->item != NULL && g_strcmp0 (mcam_image_item_get_path (self->item), path) == 0)
    mcam_image_item_set_error (self->item, error->message);
  /* The map message was about the image that is gone. */
  _mcam_window_clear_message (self, MCAM_MESSAGE_MAP);
  g_signal_emit_by_name (self, "image-changed");
  g_signal_emit_by_name (self, "map-changed");
}

typedef struct
{
  McamWindow *self;
  char       *path;
} AnalyseData;

static void
analyse_data_free (AnalyseData *d)
{
  g_object_unref (d->self);
  g_free (d->path);
  g_free (d);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AnalyseData, analyse_data_free)

static void
analysed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(AnalyseData) d = user_data;
  McamWindow *self = d->self;
  g_autoptr(McamImageResult) image = NULL;
  g_autoptr(GError) error = NULL;
  gint64 t0;
  int top;

  image = mcam_worker_analyse_finish (MCAM_WORKER (source), result, &error);
  if (self->worker == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  /* A result for an image the user has left is not shown. */
  if (g_strcmp0 (d->path, self->pending_path) != 0)
    return;
  if (image == NULL)
    {
      show_image_failure (self, d->path, error);
      return;
    }
  if (self->model == NULL || image->generation != self->model->generation)
    return;
  /* The same image analysed twice (the model's arrival and the selection
   * both ask): the second answer must not undo the class picked since. */
  if (self->image != NULL && g_strcmp0 (self->image->path, image->path) == 0 &&
      self->image->generation == image->generation)
    return;

  mcam_profile_report ("analysis", (g_get_monotonic_time () - self->analysis_start_us) / 1000.0);

  t0 = g_get_monotonic_time ();
  if (self->item != NULL)
    mcam_image_item_set_error (self->item, NULL);
  _mcam_window_clear_message (self, MCAM_MESSAGE_MAP);
  g_clear_pointer (&self->image, mcam_image_result_unref);
  self->image = mcam_image_result_ref (image);
  mcam_overlay_view_set_image (self->overlay_view, image);
  show_ground_truth (self);
  g_signal_emit_by_name (self, "image-changed");

  /* Each image opens on its top class (the first after a start on the
   * class picked last time); 1–9 pick the next ones. */
  top = _mcam_window_session_take_class (self);
  if (top < 0)
    top = mcam_class_list_get_class_at_rank (self->class_list, 1);
  self->class_index = -1;
  if (top >= 0)
    {
      self->opening_image = TRUE;
      mcam_class_list_select_class (self->class_list, top);
      self->opening_image = FALSE;
      self->class_index = top;
      self->slot = -1;
      self->method_before_slot = -1;
      _mcam_window_request_map (self);
    }
  mcam_profile_report ("main:new-image-handler", (g_get_monotonic_time () - t0) / 1000.0);
}

void
_mcam_window_analyse_current (McamWindow *self)
{
  if (self->item == NULL || self->model == NULL)
    return;
  g_free (self->pending_path);
  self->pending_path = g_strdup (mcam_image_item_get_path (self->item));
  self->analysis_start_us = g_get_monotonic_time ();
  self->image_start_us = self->analysis_start_us;
  /* After a model load the measure goes on from the load (see below). */
  if (mcam_profile_enabled () && !self->measuring_load)
    {
      mcam_profile_stall_begin ();
      self->measuring_stall = TRUE;
    }
  {
    AnalyseData *d = g_new0 (AnalyseData, 1);

    d->self = g_object_ref (self);
    d->path = g_strdup (self->pending_path);
    mcam_worker_analyse_async (self->worker, self->pending_path, NULL, analysed_cb, d);
  }
}

void
_mcam_window_image_selected_cb (McamWindow *self, McamImageItem *item)
{
  /* No image left (the list was cleared or its last image removed): nothing
   * of the image before stays on screen. */
  if (item == NULL)
    {
      g_clear_object (&self->item);
      g_clear_pointer (&self->pending_path, g_free);
      g_clear_pointer (&self->image, mcam_image_result_unref);
      self->class_index = -1;
      self->slot = -1;
      mcam_overlay_view_set_map (self->overlay_view, NULL);
      mcam_overlay_view_set_image (self->overlay_view, NULL);
      mcam_class_list_set_scores (self->class_list, NULL, NULL, NULL);
      _mcam_window_update_caption (self, NULL);
      _mcam_window_update_agnostic (self, NULL);
      _mcam_window_clear_message (self, MCAM_MESSAGE_MAP);
      g_signal_emit_by_name (self, "image-changed");
      g_signal_emit_by_name (self, "map-changed");
      return;
    }
  /* The browser re-announces an item when its ground truth arrives. */
  if (item == self->item && self->image != NULL &&
      g_strcmp0 (self->image->path, mcam_image_item_get_path (item)) == 0)
    {
      show_ground_truth (self);
      return;
    }
  g_set_object (&self->item, item);
  _mcam_window_analyse_current (self);
}

void
_mcam_window_browser_error_cb (McamWindow *self, const char *title, const char *message)
{
  mcam_window_show_error (self, title, message);
}

void
mcam_window_open_files (McamWindow *self, GFile **files, int n_files)
{
  g_autoptr(GPtrArray) images = g_ptr_array_new ();

  for (int i = 0; i < n_files; i++)
    {
      g_autofree char *path = g_file_get_path (files[i]);

      /* A re-fit head dropped on the window goes beside the model; a model
       * is opened as the model (a PyTorch file too: the core's refusal says
       * how to convert it). */
      if (path != NULL && _mcam_head_file_is_head (path))
        _mcam_window_load_head (self, path);
      else if (path != NULL && (g_str_has_suffix (path, ".safetensors") ||
                           g_str_has_suffix (path, ".onnx") ||
                           g_str_has_suffix (path, ".pth") || g_str_has_suffix (path, ".pt")))
        mcam_window_load_model (self, path, NULL);
      else
        g_ptr_array_add (images, files[i]);
    }
  if (images->len > 0)
    {
      _mcam_window_session_opened (self, g_ptr_array_index (images, 0));
      mcam_image_browser_add_files (self->image_browser, (GFile **) images->pdata, images->len);
    }
}

gboolean
_mcam_window_drop_cb (GtkDropTarget *target, const GValue *value, double x, double y,
                      McamWindow *self)
{
  GSList *list = g_value_get_boxed (value);
  g_autoptr(GPtrArray) files = g_ptr_array_new ();

  for (GSList *l = list; l != NULL; l = l->next)
    g_ptr_array_add (files, l->data);
  if (files->len == 0)
    return FALSE;
  mcam_window_open_files (self, (GFile **) files->pdata, files->len);
  return TRUE;
}
