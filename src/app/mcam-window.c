/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The main window (DESIGN 6): it wires the image browser, the overlay view,
 * the class list and the bottom pane to the worker. It never computes: it
 * posts jobs and shows their results. Actions live in mcam-window-actions.c,
 * export in mcam-window-export.c, the error bar and the status area in
 * mcam-window-status.c, the image analysed and shown in mcam-window-images.c. */

#define G_LOG_DOMAIN "mcam-window"

#include "config.h"

#include <glib/gi18n.h>

#include "mcam-application.h"
#include "mcam-caption-row.h"
#include "mcam-layer-chooser.h"
#include "mcam-model-details.h"
#include "mcam-profile.h"
#include "mcam-window-private.h"
#include "mcam-head-lens.h"
#include "mcam-head-pair.h"
#include "mcam-head-dialog.h"

G_DEFINE_FINAL_TYPE (McamWindow, mcam_window, GTK_TYPE_APPLICATION_WINDOW)

enum { MODEL_CHANGED, IMAGE_CHANGED, MAP_CHANGED, EXPORT_DONE, N_SIGNALS };
static guint signals[N_SIGNALS];

/* ---------------------------------------------------------------- maps */

void
_mcam_window_fill_request (McamWindow *self, McamMapRequest *req)
{
  mcam_map_request_init (req);
  req->path = self->image != NULL ? self->image->path : NULL;
  req->class_index = self->class_index;
  req->method = self->method;
  req->colormap = mcam_overlay_view_get_colormap (self->overlay_view);
  req->slot = self->slot;
  if (self->settings != NULL)
    {
      req->seed = g_settings_get_uint64 (self->settings, "slot-search-seed");
      req->draws = g_settings_get_int (self->settings, "slot-search-draws");
      req->temperature = (float) g_settings_get_double (self->settings, "temperature");
    }
}

/* Algorithm 1's slot n_ĉ of an explanation: the first slot with the largest
 * Δ_i, as mcam_memory_search_slot picks it (the explanation keeps every Δ_i
 * even when the user imposed another slot). -1 for methods without one. */
static int
algorithm1_slot (const McamExplanation *e)
{
  int best = 0;

  if (e->delta == NULL || e->n_slots <= 0)
    return -1;
  for (int i = 1; i < e->n_slots; i++)
    if (e->delta[i] > e->delta[best])
      best = i;
  return best;
}

/* The slot bar (DESIGN 6): a map of a slot the user picked is its own mode,
 * said above the overlay with the way back; Algorithm 1's choice keeps its ★. */
static void
update_slot_bar (McamWindow *self, McamMapResult *map)
{
  g_autofree char *text = NULL;
  int chosen;

  if (map == NULL || map->request->slot < 0 || map->explanation->slot < 0)
    {
      gtk_info_bar_set_revealed (self->slot_bar, FALSE);
      gtk_widget_set_visible (GTK_WIDGET (self->slot_bar), FALSE);
      return;
    }
  chosen = algorithm1_slot (map->explanation);
  if (self->method_before_slot >= 0 && (McamMethod) self->method_before_slot != self->method)
    /* Translators: slot numbers from 1; the methods' names. */
    text = g_strdup_printf (_("Showing slot %d, your choice (Algorithm 1 chose slot %d). "
                              "A slot map needs %s: the method was %s and comes back with "
                              "Algorithm 1's slot."),
                            map->explanation->slot + 1, chosen + 1,
                            mcam_method_get_label (self->method),
                            mcam_method_get_label (self->method_before_slot));
  else
    text = g_strdup_printf (_("Showing slot %d, your choice (Algorithm 1 chose slot %d)."),
                            map->explanation->slot + 1, chosen + 1);
  gtk_label_set_label (self->slot_bar_label, text);
  gtk_widget_set_visible (GTK_WIDGET (self->slot_bar), TRUE);
  gtk_info_bar_set_revealed (self->slot_bar, TRUE);
}

void
_mcam_window_update_caption (McamWindow *self, McamMapResult *map)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *image_name = NULL;
  const char *class_name;

  update_slot_bar (self, map);
  if (map == NULL || self->model == NULL)
    {
      gtk_label_set_label (self->caption_label, "");
      return;
    }
  /* The image's name first: what is on screen always says whose it is. */
  image_name = g_path_get_basename (map->request->path);
  class_name = self->model->classes[map->request->class_index];
  g_string_append_printf (text, "%s · %s · %s", image_name,
                          mcam_method_get_label (map->request->method), class_name);
  if (map->explanation->slot >= 0 && map->request->slot >= 0)
    /* Translators: slots are numbered from 1 as in the memory inspector. */
    g_string_append_printf (text, _(" · slot %d (your choice)"), map->explanation->slot + 1);
  else if (map->explanation->slot >= 0)
    /* Translators: slots are numbered from 1 as in the memory inspector. */
    g_string_append_printf (text, _(" · slot %d chosen by Algorithm 1"),
                            map->explanation->slot + 1);
  if (!map->explanation->any_positive)
    g_string_append (text, _(" — no positive evidence (empty map)"));
  gtk_label_set_label (self->caption_label, text->str);
}

static void
map_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(McamWindow) self = user_data;
  g_autoptr(McamMapResult) map = NULL;
  g_autoptr(GError) error = NULL;
  gboolean newest;
  gint64 t0;

  map = mcam_worker_compute_map_finish (MCAM_WORKER (source), result, &error);
  if (self->worker == NULL)
    return;
  newest = ++self->maps_returned == self->maps_requested;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (map == NULL)
    {
      g_autofree char *what = NULL;

      /* A failure of a map the view has moved on from says nothing of what
       * is on screen now. */
      if (!newest)
        return;
      what = g_strdup_printf ("%s — %s", self->image ? self->image->path : "", error->message);
      _mcam_window_show_message (self, MCAM_MESSAGE_MAP, _("The map could not be computed"),
                                 what);
      mcam_overlay_view_set_map (self->overlay_view, NULL);
      _mcam_window_update_caption (self, NULL);
      return;
    }
  /* A map for a view that has moved on is dropped. */
  if (self->image == NULL || g_strcmp0 (map->request->path, self->image->path) != 0 ||
      map->request->class_index != self->class_index || map->request->method != self->method ||
      map->request->slot != self->slot ||
      self->model == NULL || map->generation != self->model->generation)
    return;

  t0 = g_get_monotonic_time ();
  /* The map this message was about has been replaced by one that works. */
  _mcam_window_clear_message (self, MCAM_MESSAGE_MAP);
  mcam_overlay_view_set_map (self->overlay_view, map);
  mcam_overlay_view_set_highlight_class (self->overlay_view, map->request->class_index);
  _mcam_window_update_caption (self, map);
  _mcam_window_head_map_shown (self, map);
  _mcam_window_update_inspector (self, map);
  g_signal_emit (self, signals[MAP_CHANGED], 0);
  mcam_profile_report ("main:new-map-handler", (g_get_monotonic_time () - t0) / 1000.0);
  mcam_profile_report ("worker:map-job", map->compute_us / 1000.0);
}

void
_mcam_window_request_map (McamWindow *self)
{
  McamMapRequest req;

  if (self->image == NULL || self->model == NULL || self->class_index < 0 ||
      self->class_index >= self->model->n_classes)
    return;
  _mcam_window_fill_request (self, &req);
  self->maps_requested++;
  mcam_worker_compute_map_async (self->worker, &req, NULL, map_done_cb, g_object_ref (self));
}

/* A class, method or slot switch on an analysed image is a small worker job
 * (explain on the cached f: 0.3 ms on the demo, ~2.4 ms on a 1000-class
 * resnet18). The click's own feedback (the list's selection) starts a frame
 * at once, and the job's result usually came back after that frame's paint
 * had begun: the overlay then waited for the next frame, 16.7 ms later (the
 * class switch was 4-8 ms or 13-34 ms, about half the time each). When the
 * worker had nothing else to do, the main thread now waits for the result,
 * at most half a frame: its callback is then queued ahead of the frame's
 * paint, and the overlay changes in the same frame as the selection. A job
 * behind others is never waited for. */
#define SWITCH_WAIT_US (8 * 1000)

static void
request_map_for_switch (McamWindow *self)
{
  gboolean worker_was_idle = !mcam_worker_is_busy (self->worker);

  self->click_us = g_get_monotonic_time ();
  _mcam_window_request_map (self);
  if (worker_was_idle && self->image != NULL)
    mcam_worker_wait_returned (self->worker, SWITCH_WAIT_US);
}

static void
map_painted_cb (McamWindow *self, gint64 frame_us)
{
  if (self->click_us != 0)
    {
      self->last_switch_ms = (frame_us - self->click_us) / 1000.0;
      self->click_us = 0;
      mcam_profile_report ("class-switch", self->last_switch_ms);
      _mcam_window_update_status_info (self);
    }
  if (self->image_start_us != 0)
    {
      mcam_profile_report ("image-to-overlay", (frame_us - self->image_start_us) / 1000.0);
      self->image_start_us = 0;
    }
  if (self->measuring_stall)
    {
      self->measuring_stall = FALSE;
      mcam_profile_report (self->measuring_load ? "longest-main-loop-stall-model-load-to-overlay"
                                                : "longest-main-loop-stall-while-analysing",
                           mcam_profile_stall_end ());
      self->measuring_load = FALSE;
    }
  if (!self->first_overlay_done)
    {
      self->first_overlay_done = TRUE;
      mcam_profile_report ("startup-to-first-overlay",
                           (frame_us - mcam_profile_get_start_time ()) / 1000.0);
    }
}

void
mcam_window_select_class (McamWindow *self, int class_index)
{
  g_return_if_fail (MCAM_IS_WINDOW (self));

  if (mcam_class_list_get_selected_class (self->class_list) != class_index)
    {
      /* The list calls back into class_selected_cb. */
      mcam_class_list_select_class (self->class_list, class_index);
      return;
    }
  /* A new image picks its top class itself (analysed_cb). */
  if (self->opening_image)
    return;
  self->class_index = class_index;
  self->slot = -1;
  self->method_before_slot = -1;
  _mcam_window_session_picked (self);
  request_map_for_switch (self);
}

static void
class_selected_cb (McamWindow *self, int class_index)
{
  mcam_window_select_class (self, class_index);
}

void
mcam_window_set_method (McamWindow *self, McamMethod method)
{
  if (mcam_class_list_get_method (self->class_list) != method)
    {
      mcam_class_list_set_method (self->class_list, method);
      return;
    }
  self->method = method;
  self->slot = -1;
  if (method != MCAM_METHOD_MCAM)
    _mcam_window_update_agnostic (self, NULL);
  /* A method picked while a slot was shown is the user's new choice. */
  if (!self->restoring_method)
    {
      self->method_before_slot = -1;
      _mcam_window_session_picked (self);
    }
  request_map_for_switch (self);
}

static void
method_changed_cb (McamWindow *self, int method)
{
  mcam_window_set_method (self, (McamMethod) method);
}

void
mcam_window_set_slot (McamWindow *self, int slot)
{
  g_return_if_fail (MCAM_IS_WINDOW (self));

  if (slot < 0)
    {
      /* Back to Algorithm 1's slot, with the method the user had before the
       * slot map needed an M-CAM one. */
      int before = self->method_before_slot;

      self->method_before_slot = -1;
      if (before >= 0 && (McamMethod) before != self->method)
        {
          self->restoring_method = TRUE;
          mcam_window_set_method (self, (McamMethod) before);
          self->restoring_method = FALSE;
          return;
        }
      self->slot = -1;
      request_map_for_switch (self);
      return;
    }
  /* A slot's map needs an M-CAM method; the one shown before comes back
   * with Algorithm 1's slot, and the slot bar says so meanwhile. */
  if (!mcam_method_needs_memory (self->method))
    {
      self->method_before_slot = self->method;
      self->restoring_method = TRUE;
      mcam_window_set_method (self, MCAM_METHOD_MCAM);
      self->restoring_method = FALSE;
    }
  self->slot = slot;
  request_map_for_switch (self);
}

int
mcam_window_get_slot (McamWindow *self)
{
  return self->slot;
}

static void
agnostic_profile_cb (McamWindow *self)
{
  gtk_menu_button_popdown (self->agnostic_button);
  mcam_window_set_method (self, MCAM_METHOD_MCAM_PROFILE);
}

/* The notice's words are part of it: a click opens its popover. */
static void
agnostic_words_pressed_cb (McamWindow *self)
{
  gtk_menu_button_popup (self->agnostic_button);
}

static void
agnostic_cam_cb (McamWindow *self)
{
  gtk_menu_button_popdown (self->agnostic_button);
  mcam_window_set_method (self, MCAM_METHOD_CAM);
}

static void
slot_reset_cb (McamWindow *self)
{
  mcam_window_set_slot (self, -1);
}

static void
colormap_changed_cb (McamWindow *self)
{
  McamColormap cm = gtk_drop_down_get_selected (self->colormap_dropdown);

  if (cm >= MCAM_N_COLORMAPS)
    return;
  mcam_overlay_view_set_colormap (self->overlay_view, cm);
  if (self->settings != NULL)
    g_settings_set_string (self->settings, "colormap", mcam_colormap_get_name (cm));
  _mcam_window_request_map (self);
}

/* ---------------------------------------------------------------- model */

static void
model_changed_cb (McamWindow *self)
{
  McamModelInfo *info = mcam_worker_get_model_info (self->worker);

  g_clear_pointer (&self->model, mcam_model_info_unref);
  g_clear_pointer (&self->image, mcam_image_result_unref);
  if (info == NULL)
    return;
  self->model = mcam_model_info_ref (info);
  /* Messages about the model, memory or maps before are about the past. */
  _mcam_window_clear_message (self, MCAM_MESSAGE_MODEL);
  _mcam_window_clear_message (self, MCAM_MESSAGE_MEMORY);
  _mcam_window_clear_message (self, MCAM_MESSAGE_MAP);
  gtk_label_set_label (self->subtitle_label, info->title);
  _mcam_window_session_model_changed (self);
  mcam_class_list_set_classes (self->class_list, (const char *const *) info->classes,
                               info->n_classes);
  mcam_image_browser_set_classes (self->image_browser, (const char *const *) info->classes,
                                  info->n_classes);
  /* Without a memory the M-CAM methods cannot run: fall back to CAM. */
  if (info->n_slots == 0 && mcam_method_needs_memory (self->method))
    mcam_class_list_set_method (self->class_list, MCAM_METHOD_CAM);
  mcam_overlay_view_set_map (self->overlay_view, NULL);
  _mcam_window_update_caption (self, NULL);
  _mcam_window_update_inspector (self, NULL);
  _mcam_window_update_actions (self);
  g_signal_emit (self, signals[MODEL_CHANGED], 0);
  _mcam_window_analyse_current (self);
}

static void
model_loaded_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(McamWindow) self = user_data;
  g_autoptr(McamModelInfo) info = NULL;
  g_autoptr(GError) error = NULL;

  info = mcam_worker_load_model_finish (MCAM_WORKER (source), result, &error);
  if (self->worker == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (info == NULL)
    {
      const char *keep = self->model != NULL
                         ? _("The model and memory loaded before stay in use.")
                         : _("Open another model with Open Model (Ctrl+Shift+O).");
      g_autofree char *message = g_strdup_printf ("%s\n%s", error->message, keep);

      if (error->domain == MCAM_WORKER_MEMORY_ERROR)
        _mcam_window_show_message (self, MCAM_MESSAGE_MEMORY,
                                   _("The memory module could not be opened"), message);
      else
        _mcam_window_show_message (self, MCAM_MESSAGE_MODEL, _("The model could not be opened"),
                                   message);
    }
}

void
mcam_window_load_model (McamWindow *self, const char *model_path, const char *memory_path)
{
  g_return_if_fail (MCAM_IS_WINDOW (self));
  /* The main loop's longest stall from here to the first overlay with the new
   * model: the class list is rebuilt on the way. */
  if (mcam_profile_enabled ())
    {
      mcam_profile_stall_begin ();
      self->measuring_stall = TRUE;
      self->measuring_load = TRUE;
    }
  mcam_worker_load_model_async (self->worker, model_path, memory_path, NULL, model_loaded_cb,
                                g_object_ref (self));
}

/* ---------------------------------------------------------------- export names */

/* `<image>__<class>__<method>.png`, with characters that file systems or
 * shells dislike replaced by '_'. */
char *
_mcam_window_export_name (McamWindow *self, const char *image_path, int class_index,
                          McamMethod method)
{
  g_autofree char *base = g_path_get_basename (image_path);
  char *dot = strrchr (base, '.');
  g_autofree char *cls = NULL;
  char *name;

  if (dot != NULL && dot != base)
    *dot = '\0';
  cls = g_strdup (self->model != NULL ? self->model->classes[class_index] : "class");
  g_strcanon (cls, G_CSET_A_2_Z G_CSET_a_2_z G_CSET_DIGITS "-+.,()", '_');
  name = g_strdup_printf ("%s__%s__%s.png", base, cls, mcam_method_get_name (method));
  return name;
}

/* ---------------------------------------------------------------- public */

void
mcam_window_set_inspector (McamWindow *self, GtkWidget *inspector)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->memory_inspector_box))))
    gtk_box_remove (self->memory_inspector_box, child);
  self->inspector = inspector;
  if (inspector != NULL)
    {
      gtk_widget_set_vexpand (inspector, TRUE);
      gtk_box_append (self->memory_inspector_box, inspector);
    }
}

void
mcam_window_set_header_badge (McamWindow *self, GtkWidget *badge)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->header_badge_box))))
    gtk_box_remove (self->header_badge_box, child);
  if (badge != NULL)
    gtk_box_append (self->header_badge_box, badge);
}

McamWorker *
mcam_window_get_worker (McamWindow *self)
{
  return self->worker;
}

GtkWidget *
mcam_window_get_overlay_view (McamWindow *self)
{
  return GTK_WIDGET (self->overlay_view);
}

McamModelInfo *
mcam_window_get_model_info (McamWindow *self)
{
  return self->model;
}

McamImageResult *
mcam_window_get_image_result (McamWindow *self)
{
  return self->image;
}

McamMapResult *
mcam_window_get_map_result (McamWindow *self)
{
  return mcam_overlay_view_get_map (self->overlay_view);
}

/* ---------------------------------------------------------------- object */

static gboolean
colormap_get_mapping (GValue *value, GVariant *variant, gpointer user_data)
{
  McamColormap cm;

  if (!mcam_colormap_from_name (g_variant_get_string (variant, NULL), &cm))
    return FALSE;
  g_value_set_uint (value, cm);
  return TRUE;
}

static GVariant *
colormap_set_mapping (const GValue *value, const GVariantType *type, gpointer user_data)
{
  guint cm = g_value_get_uint (value);

  return cm < MCAM_N_COLORMAPS ? g_variant_new_string (mcam_colormap_get_name (cm)) : NULL;
}

static void
mcam_window_dispose (GObject *object)
{
  McamWindow *self = MCAM_WINDOW (object);

  /* The worker goes first: pending callbacks see worker == NULL and stop. */
  if (self->worker != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->worker, self);
      mcam_worker_shutdown (self->worker);
      g_clear_object (&self->worker);
    }
  g_clear_pointer (&self->inspector_cache, _mcam_inspector_cache_free);
  g_clear_handle_id (&self->status_timeout_id, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), MCAM_TYPE_WINDOW);
  g_clear_object (&self->settings);
  g_clear_object (&self->item);
  g_clear_pointer (&self->model, mcam_model_info_unref);
  g_clear_pointer (&self->image, mcam_image_result_unref);
  g_clear_pointer (&self->pending_path, g_free);
  _mcam_window_free_messages (self);
  g_clear_pointer (&self->restore_class, g_free);
  G_OBJECT_CLASS (mcam_window_parent_class)->dispose (object);
}

static void
mcam_window_class_init (McamWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = mcam_window_dispose;

  /* For the bottom pane and the badge (main loop): a new model, a new
   * analysed image, a new map on screen. */
  signals[MODEL_CHANGED] = g_signal_new ("model-changed", G_TYPE_FROM_CLASS (klass),
                                         G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                         G_TYPE_NONE, 0);
  signals[IMAGE_CHANGED] = g_signal_new ("image-changed", G_TYPE_FROM_CLASS (klass),
                                         G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                         G_TYPE_NONE, 0);
  signals[MAP_CHANGED] = g_signal_new ("map-changed", G_TYPE_FROM_CLASS (klass),
                                       G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                       G_TYPE_NONE, 0);
  /* An export job ended: (success, error message or NULL). */
  signals[EXPORT_DONE] = g_signal_new ("export-done", G_TYPE_FROM_CLASS (klass),
                                       G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                       G_TYPE_NONE, 2, G_TYPE_BOOLEAN, G_TYPE_STRING);

  g_type_ensure (MCAM_TYPE_IMAGE_BROWSER);
  g_type_ensure (MCAM_TYPE_OVERLAY_VIEW);
  g_type_ensure (MCAM_TYPE_CLASS_LIST);
  g_type_ensure (MCAM_TYPE_CAPTION_ROW);

  gtk_widget_class_set_template_from_resource (widget_class,
      "/io/github/mcam_explorer/MCamExplorer/ui/mcam-window.ui");
  gtk_widget_class_bind_template_child (widget_class, McamWindow, title_label);
  gtk_widget_class_bind_template_child (widget_class, McamWindow, subtitle_label);
  gtk_widget_class_bind_template_child (widget_class, McamWindow, header_badge_box);
  gtk_widget_class_bind_template_child (widget_class, McamWindow, error_bar);
  gtk_widget_class_bind_template_child (widget_class, McamWindow, error_title);
  gtk_widget_class_bind_template_child (widget_class, McamWindow, error_label);
  gtk_widget_class_bind_template_child (widget_class, McamWindow, image_browser);
  gtk_widget_class_bind_template_child (widget_class, McamWindow, overlay_view);
  gtk_widget_class_bind_template_child (widget_class, McamWindow, class_list);
  gtk_widget_class_bind_template_child (widget_class, McamWindow, memory_inspector_box);
  gtk_widget_class_bind_template_child (widget_class, McamWindow, opacity_adjustment);
  gtk_widget_class_bind_template_child (widget_class, McamWindow, colormap_dropdown);
  gtk_widget_class_bind_template_child (widget_class, McamWindow, boxes_toggle);
  gtk_widget_class_bind_template_child (widget_class, McamWindow, caption_label);
  gtk_widget_class_bind_template_child (widget_class, McamWindow, status_label);
  gtk_widget_class_bind_template_child (widget_class, McamWindow, status_progress);
  gtk_widget_class_bind_template_child (widget_class, McamWindow, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, McamWindow, status_info);
  gtk_widget_class_bind_template_child (widget_class, McamWindow, slot_bar);
  gtk_widget_class_bind_template_child (widget_class, McamWindow, slot_bar_label);
  gtk_widget_class_bind_template_child (widget_class, McamWindow, slot_reset_button);
  gtk_widget_class_bind_template_callback (widget_class, slot_reset_cb);
  gtk_widget_class_bind_template_child (widget_class, McamWindow, agnostic_button);
  gtk_widget_class_bind_template_child (widget_class, McamWindow, agnostic_label);
  gtk_widget_class_bind_template_child (widget_class, McamWindow, agnostic_details);
  gtk_widget_class_bind_template_callback (widget_class, agnostic_profile_cb);
  gtk_widget_class_bind_template_callback (widget_class, agnostic_cam_cb);
  gtk_widget_class_bind_template_callback (widget_class, agnostic_words_pressed_cb);
  gtk_widget_class_bind_template_child_full (widget_class, "recent_menu", FALSE,
                                             G_STRUCT_OFFSET (McamWindow, recent_menu));
  _mcam_window_class_install_session_actions (widget_class);
  _mcam_window_class_setup_status (widget_class);

  _mcam_window_class_install_actions (widget_class);
  _mcam_window_class_install_export_actions (widget_class);
  _mcam_window_class_install_export_data_actions (widget_class);
  _mcam_window_class_install_tool_actions (widget_class);
  _mcam_window_class_install_head_actions (widget_class);
  _mcam_window_class_install_head_pair_actions (widget_class);
  _mcam_window_class_install_head_dialog_actions (widget_class);
}

/* style.css, once per process. GtkApplication does not load it from the
 * resource base path (AdwApplication would; GTK 4.8 loads only icons and
 * gtk/ there): the app ran without it — class list headings uncoloured,
 * row fades on — while the tests and screenshots, with no application,
 * had it. */
static void
ensure_style (McamWindow *self)
{
  static gboolean loaded;
  g_autoptr(GtkCssProvider) provider = NULL;

  if (loaded)
    return;
  loaded = TRUE;
  provider = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (provider,
                                       "/io/github/mcam_explorer/MCamExplorer/style.css");
  gtk_style_context_add_provider_for_display (gtk_widget_get_display (GTK_WIDGET (self)),
                                              GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
}

static void
mcam_window_init (McamWindow *self)
{
  GtkDropTarget *drop;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->class_index = -1;
  self->slot = -1;
  self->method_before_slot = -1;
  self->method = mcam_class_list_get_method (self->class_list);
  self->worker = mcam_worker_new ();
  self->settings = mcam_settings_new ();

  g_signal_connect_swapped (self->worker, "model-changed", G_CALLBACK (model_changed_cb), self);
  /* The layer explained and the model details, after Open Images (issue 10). */
  gtk_header_bar_pack_start (GTK_HEADER_BAR (gtk_window_get_titlebar (GTK_WINDOW (self))),
                             mcam_layer_chooser_new (self));
  gtk_header_bar_pack_start (GTK_HEADER_BAR (gtk_window_get_titlebar (GTK_WINDOW (self))),
                             mcam_model_details_new (self));

  g_signal_connect_swapped (self->image_browser, "image-selected",
                            G_CALLBACK (_mcam_window_image_selected_cb), self);
  g_signal_connect_swapped (self->image_browser, "error", G_CALLBACK (_mcam_window_browser_error_cb), self);
  g_signal_connect_swapped (self->class_list, "class-selected",
                            G_CALLBACK (class_selected_cb), self);
  g_signal_connect_swapped (self->class_list, "method-changed",
                            G_CALLBACK (method_changed_cb), self);
  g_signal_connect_swapped (self->overlay_view, "map-painted", G_CALLBACK (map_painted_cb),
                            self);

  g_object_bind_property (self->opacity_adjustment, "value", self->overlay_view, "opacity",
                          G_BINDING_SYNC_CREATE | G_BINDING_BIDIRECTIONAL);
  g_object_bind_property (self->boxes_toggle, "active", self->overlay_view, "show-boxes",
                          G_BINDING_SYNC_CREATE | G_BINDING_BIDIRECTIONAL);
  if (self->settings != NULL)
    {
      g_settings_bind (self->settings, "opacity", self->opacity_adjustment, "value",
                       G_SETTINGS_BIND_DEFAULT);
      g_settings_bind_with_mapping (self->settings, "colormap", self->colormap_dropdown,
                                    "selected", G_SETTINGS_BIND_GET, colormap_get_mapping,
                                    colormap_set_mapping, NULL, NULL);
      mcam_overlay_view_set_colormap (self->overlay_view,
                                      gtk_drop_down_get_selected (self->colormap_dropdown));
      if (g_settings_get_int (self->settings, "threads") > 0)
        mcam_blas_set_threads (g_settings_get_int (self->settings, "threads"));
    }
  g_signal_connect_swapped (self->colormap_dropdown, "notify::selected",
                            G_CALLBACK (colormap_changed_cb), self);

  drop = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect (drop, "drop", G_CALLBACK (_mcam_window_drop_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));

  /* The caption keeps the height of two lines whatever it says: a longer
   * caption must not move the overlay by a pixel (McamCaptionRow reads
   * this request as the height to keep; only a window too narrow for two
   * lines gives it a third). */
  {
    g_autoptr(PangoLayout) two = gtk_widget_create_pango_layout (GTK_WIDGET (self->caption_label),
                                                                 "Ag\nAg");
    int h;

    pango_layout_get_pixel_size (two, NULL, &h);
    gtk_widget_set_size_request (GTK_WIDGET (self->caption_label), -1, h);
  }
  _mcam_window_setup_image_keys (self);
  _mcam_window_setup_inspector (self);
  _mcam_window_setup_layout (self);
  _mcam_window_update_actions (self);
  _mcam_window_setup_status (self);
  _mcam_window_setup_session (self);
}

McamWindow *
mcam_window_new (GtkApplication *app)
{
  McamWindow *self = g_object_new (MCAM_TYPE_WINDOW, "application", app, NULL);

  ensure_style (self);
  return self;
}
