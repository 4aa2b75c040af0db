/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The user's work, kept: the last model, memory, images, method and class
 * come back at the next start (GSettings), recent models are in the main
 * menu, a memory trained here is marked unsaved in the title until it is
 * saved (Save Memory As…), and closing the window with it unsaved asks. */

#define G_LOG_DOMAIN "mcam-window"

#include "config.h"

#include <glib/gi18n.h>

#include "mcam-window-private.h"

#define MAX_RECENT 6

/* ---------------------------------------------------------------- title */

void
_mcam_window_session_update_title (McamWindow *self)
{
  g_autofree char *subtitle = NULL;

  if (self->model == NULL)
    return;
  if (self->memory_unsaved)
    /* Translators: the window subtitle while a trained memory is in no file. */
    subtitle = g_strdup_printf (_("%s — memory not saved"), self->model->title);
  gtk_label_set_label (self->subtitle_label, subtitle ? subtitle : self->model->title);
  gtk_window_set_title (GTK_WINDOW (self), self->memory_unsaved ? _("• M-CAM Explorer")
                                                                : _("M-CAM Explorer"));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.save-memory", self->model->n_slots > 0);
}

/* ---------------------------------------------------------------- remembering */

static void
add_recent_model (McamWindow *self, const char *path)
{
  g_auto(GStrv) old = g_settings_get_strv (self->settings, "recent-models");
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
  g_auto(GStrv) list = NULL;
  guint n = 1;

  g_strv_builder_add (b, path);
  for (guint i = 0; old[i] != NULL && n < MAX_RECENT; i++)
    if (g_strcmp0 (old[i], path) != 0)
      {
        g_strv_builder_add (b, old[i]);
        n++;
      }
  list = g_strv_builder_end (b);
  g_settings_set_strv (self->settings, "recent-models", (const char *const *) list);
}

void
_mcam_window_session_model_changed (McamWindow *self)
{
  self->memory_unsaved = self->model->memory_unsaved;
  _mcam_window_session_update_title (self);
  if (self->settings == NULL || self->model->memory_unsaved)
    return;
  g_settings_set_string (self->settings, "last-model", self->model->model_path);
  g_settings_set_string (self->settings, "last-memory",
                         self->model->memory_path ? self->model->memory_path : "");
  add_recent_model (self, self->model->model_path);
  _mcam_window_session_update_recent_menu (self);
}

void
_mcam_window_session_opened (McamWindow *self, GFile *file)
{
  g_autofree char *path = g_file_get_path (file);

  if (self->settings != NULL && path != NULL)
    g_settings_set_string (self->settings, "last-images", path);
}

void
_mcam_window_session_picked (McamWindow *self)
{
  if (self->settings == NULL || self->restoring_session)
    return;
  g_settings_set_string (self->settings, "method", mcam_method_get_name (self->method));
  if (self->model != NULL && self->class_index >= 0 && self->class_index < self->model->n_classes)
    g_settings_set_string (self->settings, "class", self->model->classes[self->class_index]);
}

int
_mcam_window_session_take_class (McamWindow *self)
{
  g_autofree char *name = self->restore_class;

  self->restore_class = NULL;
  if (name == NULL || self->model == NULL)
    return -1;
  for (int c = 0; c < self->model->n_classes; c++)
    if (g_strcmp0 (self->model->classes[c], name) == 0)
      return c;
  return -1;
}

gboolean
mcam_window_restore_session (McamWindow *self)
{
  g_autofree char *model = NULL, *memory = NULL, *images = NULL, *method = NULL;

  g_return_val_if_fail (MCAM_IS_WINDOW (self), FALSE);
  if (self->settings == NULL)
    return FALSE;
  model = g_settings_get_string (self->settings, "last-model");
  memory = g_settings_get_string (self->settings, "last-memory");
  images = g_settings_get_string (self->settings, "last-images");
  method = g_settings_get_string (self->settings, "method");
  if (model[0] == '\0' || !g_file_test (model, G_FILE_TEST_IS_REGULAR))
    return FALSE;

  for (int m = 0; m < MCAM_N_METHODS; m++)
    if (g_strcmp0 (mcam_method_get_name (m), method) == 0)
      {
        self->restoring_session = TRUE;
        mcam_window_set_method (self, m);
        self->restoring_session = FALSE;
      }
  g_free (self->restore_class);
  self->restore_class = g_settings_get_string (self->settings, "class");
  mcam_window_load_model (self, model,
                          memory[0] != '\0' && g_file_test (memory, G_FILE_TEST_IS_REGULAR)
                          ? memory : NULL);
  if (images[0] != '\0' && g_file_test (images, G_FILE_TEST_EXISTS))
    {
      g_autoptr(GFile) file = g_file_new_for_path (images);

      mcam_window_open_files (self, &file, 1);
    }
  return TRUE;
}

/* ---------------------------------------------------------------- recent models */

void
_mcam_window_session_update_recent_menu (McamWindow *self)
{
  g_auto(GStrv) list = NULL;

  if (self->recent_menu == NULL || self->settings == NULL)
    return;
  g_menu_remove_all (self->recent_menu);
  list = g_settings_get_strv (self->settings, "recent-models");
  for (guint i = 0; list[i] != NULL; i++)
    {
      g_autofree char *base = g_path_get_basename (list[i]);
      g_autoptr(GMenuItem) item = g_menu_item_new (base, NULL);

      g_menu_item_set_action_and_target_value (item, "win.open-recent-model",
                                               g_variant_new_string (list[i]));
      g_menu_append_item (self->recent_menu, item);
    }
}

static void
open_recent_model_action (GtkWidget *widget, const char *name, GVariant *param)
{
  McamWindow *self = MCAM_WINDOW (widget);
  const char *path = g_variant_get_string (param, NULL);

  /* A recent model opens with the memory it was last used with. */
  g_autofree char *last_model = self->settings ? g_settings_get_string (self->settings,
                                                                        "last-model") : NULL;
  g_autofree char *last_memory = self->settings ? g_settings_get_string (self->settings,
                                                                         "last-memory") : NULL;
  gboolean same = g_strcmp0 (last_model, path) == 0 && last_memory != NULL &&
                  last_memory[0] != '\0';

  mcam_window_load_model (self, path, same ? last_memory : NULL);
}

/* ---------------------------------------------------------------- saving the memory */

static gpointer
save_memory_func (McamWorkerContext *ctx, gpointer data, GCancellable *cancellable,
                  GError **error)
{
  McamMemory *mem = mcam_worker_context_get_memory (ctx);

  if (mem == NULL)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE, _("There is no memory module to save"));
      return NULL;
    }
  if (!mcam_memory_save (mem, data, error))
    return NULL;
  return g_strdup (data);
}

static void
save_memory_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(McamWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = mcam_worker_run_finish (MCAM_WORKER (source), result, &error);
  gboolean close = self->close_after_save;

  self->close_after_save = FALSE;
  if (self->worker == NULL)
    return;
  if (path == NULL)
    {
      _mcam_window_show_message (self, MCAM_MESSAGE_MEMORY,
                                 _("The memory module could not be saved"), error->message);
      return;
    }
  _mcam_window_memory_saved (self, path);
  {
    g_autofree char *base = g_path_get_basename (path);
    g_autofree char *text = g_strdup_printf (_("Memory saved as %s"), base);

    gtk_label_set_label (self->status_label, text);
  }
  if (close)
    gtk_window_destroy (GTK_WINDOW (self));
}

void
_mcam_window_memory_saved (McamWindow *self, const char *path)
{
  self->memory_unsaved = FALSE;
  if (self->settings != NULL && self->model != NULL)
    {
      g_settings_set_string (self->settings, "last-model", self->model->model_path);
      g_settings_set_string (self->settings, "last-memory", path);
    }
  _mcam_window_session_update_title (self);
}

void
mcam_window_save_memory_to (McamWindow *self, const char *path)
{
  g_return_if_fail (MCAM_IS_WINDOW (self));
  mcam_worker_run_async (self->worker, _("Saving the memory module"), NULL, save_memory_func,
                         g_strdup (path), g_free, g_free, NULL, NULL, NULL,
                         save_memory_done_cb, g_object_ref (self));
}

gboolean
mcam_window_get_memory_unsaved (McamWindow *self)
{
  return self->memory_unsaved;
}

static void
save_chooser_cb (GtkNativeDialog *native, int response, McamWindow *self)
{
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (native));
      path = g_file_get_path (file);
    }
  if (path != NULL)
    mcam_window_save_memory_to (self, path);
  else
    self->close_after_save = FALSE;
  gtk_native_dialog_destroy (native);
  g_object_unref (native);
}

static void
save_memory_action (GtkWidget *widget, const char *name, GVariant *param)
{
  McamWindow *self = MCAM_WINDOW (widget);
  GtkFileChooserNative *native;

  native = gtk_file_chooser_native_new (_("Save the Memory Module"), GTK_WINDOW (self),
                                        GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"),
                                        _("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (native), "memory.safetensors");
  if (self->model != NULL)
    {
      g_autofree char *dir = g_path_get_dirname (self->model->model_path);
      g_autoptr(GFile) folder = g_file_new_for_path (dir);

      gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (native), folder, NULL);
    }
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  g_signal_connect (native, "response", G_CALLBACK (save_chooser_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

/* ---------------------------------------------------------------- closing */

enum { RESPONSE_DISCARD = 1, RESPONSE_SAVE = 2 };

static gboolean
close_idle_cb (gpointer data)
{
  gtk_window_close (GTK_WINDOW (data));
  return G_SOURCE_REMOVE;
}

static void
close_response_cb (GtkDialog *dialog, int response, McamWindow *self)
{
  gtk_window_destroy (GTK_WINDOW (dialog));
  if (response == RESPONSE_DISCARD)
    {
      self->memory_unsaved = FALSE;
      /* After the dialog is gone: it is transient for this window. */
      g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, close_idle_cb, g_object_ref (self),
                       g_object_unref);
    }
  else if (response == RESPONSE_SAVE)
    {
      self->close_after_save = TRUE;
      save_memory_action (GTK_WIDGET (self), "win.save-memory", NULL);
    }
}

static gboolean
close_request_cb (McamWindow *self)
{
  GtkWidget *dialog;

  if (!self->memory_unsaved)
    return FALSE;
  dialog = gtk_message_dialog_new (GTK_WINDOW (self),
                                   GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
                                   GTK_MESSAGE_QUESTION, GTK_BUTTONS_NONE,
                                   _("Save the trained memory module?"));
  gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (dialog), "%s",
                                            _("It was trained in this window and is in no "
                                              "file yet: closing without saving loses it."));
  gtk_dialog_add_button (GTK_DIALOG (dialog), _("_Cancel"), GTK_RESPONSE_CANCEL);
  gtk_dialog_add_button (GTK_DIALOG (dialog), _("Close _Without Saving"), RESPONSE_DISCARD);
  gtk_dialog_add_button (GTK_DIALOG (dialog), _("_Save…"), RESPONSE_SAVE);
  gtk_dialog_set_default_response (GTK_DIALOG (dialog), RESPONSE_SAVE);
  g_signal_connect (dialog, "response", G_CALLBACK (close_response_cb), self);
  gtk_window_present (GTK_WINDOW (dialog));
  return TRUE;
}

void
_mcam_window_class_install_session_actions (GtkWidgetClass *klass)
{
  gtk_widget_class_install_action (klass, "win.save-memory", NULL, save_memory_action);
  gtk_widget_class_install_action (klass, "win.open-recent-model", "s",
                                   open_recent_model_action);
}

void
_mcam_window_setup_session (McamWindow *self)
{
  g_signal_connect (self, "close-request", G_CALLBACK (close_request_cb), NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.save-memory", FALSE);
  _mcam_window_session_update_recent_menu (self);
}
