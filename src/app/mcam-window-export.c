/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Export (DESIGN 6): the overlay as PNG (rendered on the worker, at the
 * image's own resolution or enlarged, with a caption and colour bar when
 * chosen, and its provenance in text chunks: mcam/mcam-png.h), the raw map
 * and the class scores as JSON (mcam-window-export-data.c), all classes of an image, every image of the
 * browser × chosen classes × chosen methods in batch (the dialog is
 * mcam-batch-export-dialog.c), and the clipboard. Existing files are never replaced
 * without asking. */

#define G_LOG_DOMAIN "mcam-export"

#include "config.h"

#include <glib/gi18n.h>
#include <stdlib.h>

#include "mcam-batch-export-dialog.h"
#include "mcam-window-private.h"

enum { RESPONSE_SKIP = 1, RESPONSE_REPLACE = 2 };

McamExportRequest *
_mcam_window_new_export_request (McamWindow *self)
{
  McamExportRequest *req = mcam_export_request_new ();
  McamMapRequest map;

  _mcam_window_fill_request (self, &map);
  req->colormap = map.colormap;
  req->seed = map.seed;
  req->draws = map.draws;
  req->temperature = map.temperature;
  req->opacity = mcam_overlay_view_get_opacity (self->overlay_view);
  if (self->settings != NULL)
    {
      req->caption = g_settings_get_boolean (self->settings, "export-caption");
      req->colorbar = g_settings_get_boolean (self->settings, "export-colorbar");
      req->min_width = g_settings_get_int (self->settings, "export-min-width");
    }
  return req;
}

/* ---------------------------------------------------------------- the folder */

/* Whether dir holds an opened image: exports there would be listed as
 * images the next time the folder is opened. */
static gboolean
is_input_folder (McamWindow *self, const char *dir)
{
  GListModel *items = mcam_image_browser_get_items (self->image_browser);
  g_autoptr(GFile) d = g_file_new_for_path (dir);

  for (guint i = 0; i < g_list_model_get_n_items (items); i++)
    {
      g_autoptr(McamImageItem) item = g_list_model_get_item (items, i);
      g_autoptr(GFile) parent = g_file_get_parent (mcam_image_item_get_file (item));

      if (parent != NULL && g_file_equal (parent, d))
        return TRUE;
    }
  return FALSE;
}

char *
_mcam_window_default_export_folder (McamWindow *self)
{
  g_autofree char *last = self->settings ? g_settings_get_string (self->settings,
                                                                  "export-folder") : NULL;
  const char *pictures = g_get_user_special_dir (G_USER_DIRECTORY_PICTURES);
  char *dir;

  if (last != NULL && last[0] != '\0' && g_file_test (last, G_FILE_TEST_IS_DIR) &&
      !is_input_folder (self, last))
    return g_steal_pointer (&last);
  /* Translators: a folder name, made in the Pictures folder. */
  dir = g_build_filename (pictures ? pictures : g_get_home_dir (), _("M-CAM Exports"), NULL);
  if (is_input_folder (self, dir))
    {
      g_free (dir);
      dir = g_build_filename (g_get_home_dir (), _("M-CAM Exports"), NULL);
    }
  g_mkdir_with_parents (dir, 0755);
  return dir;
}

void
_mcam_window_remember_export_folder (McamWindow *self, const char *dir)
{
  if (self->settings != NULL && dir != NULL)
    g_settings_set_string (self->settings, "export-folder", dir);
}

static void
export_progress_cb (double fraction, const char *text, gpointer user_data)
{
  McamWindow *self = user_data;

  gtk_progress_bar_set_fraction (self->status_progress, fraction);
}

static void
export_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(McamWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  guint n = 0;
  gboolean ok;

  ok = mcam_worker_export_finish (MCAM_WORKER (source), result, &n, &error);
  if (self->worker == NULL)
    return;
  if (ok)
    {
      g_autofree char *text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                            "Exported %u overlay",
                                                            "Exported %u overlays", n), n);

      gtk_label_set_label (self->status_label, text);
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    gtk_label_set_label (self->status_label, _("Export cancelled"));
  else
    mcam_window_show_error (self, _("The export failed"), error->message);
  g_signal_emit_by_name (self, "export-done", ok, error ? error->message : NULL);
}

static void
start_export (McamWindow *self, McamExportRequest *req)
{
  if (req->items->len == 0)
    {
      mcam_export_request_free (req);
      return;
    }
  mcam_worker_export_async (self->worker, req, export_progress_cb, self, NULL, export_done_cb,
                            g_object_ref (self));
}

/* ---------------------------------------------------------------- never overwrite silently */

static void
confirm_response_cb (GtkDialog *dialog, int response, McamWindow *self)
{
  McamExportRequest *req = g_object_steal_data (G_OBJECT (dialog), "request");

  if (response == RESPONSE_SKIP)
    {
      for (guint i = req->items->len; i > 0; i--)
        {
          McamExportItem *item = g_ptr_array_index (req->items, i - 1);

          if (g_file_test (item->out_path, G_FILE_TEST_EXISTS))
            g_ptr_array_remove_index (req->items, i - 1);
        }
      start_export (self, req);
    }
  else if (response == RESPONSE_REPLACE)
    start_export (self, req);
  else
    mcam_export_request_free (req);
  gtk_window_destroy (GTK_WINDOW (dialog));
}

/* Takes `req`. Asks first when any output file exists: one question for the
 * whole batch (replace all, skip existing, cancel). */
void
_mcam_window_run_export (McamWindow *self, McamExportRequest *req)
{
  guint n_existing = 0;
  const char *first = NULL;
  GtkWidget *dialog;

  for (guint i = 0; i < req->items->len; i++)
    {
      McamExportItem *item = g_ptr_array_index (req->items, i);

      if (g_file_test (item->out_path, G_FILE_TEST_EXISTS))
        {
          if (first == NULL)
            first = item->out_path;
          n_existing++;
        }
    }
  if (n_existing == 0)
    {
      start_export (self, req);
      return;
    }

  dialog = gtk_message_dialog_new (GTK_WINDOW (self),
                                   GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
                                   GTK_MESSAGE_QUESTION, GTK_BUTTONS_NONE,
                                   g_dngettext (GETTEXT_PACKAGE, "%u file already exists",
                                                "%u files already exist", n_existing),
                                   n_existing);
  gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (dialog),
                                            n_existing == 1 ? _("%s will be replaced.")
                                                            : _("The first is %s."),
                                            first);
  gtk_dialog_add_button (GTK_DIALOG (dialog), _("_Cancel"), GTK_RESPONSE_CANCEL);
  if (n_existing < req->items->len)
    gtk_dialog_add_button (GTK_DIALOG (dialog), _("_Skip Existing"), RESPONSE_SKIP);
  gtk_dialog_add_button (GTK_DIALOG (dialog), _("_Replace"), RESPONSE_REPLACE);
  gtk_dialog_set_default_response (GTK_DIALOG (dialog), GTK_RESPONSE_CANCEL);
  g_object_set_data_full (G_OBJECT (dialog), "request", req,
                          (GDestroyNotify) mcam_export_request_free);
  g_signal_connect (dialog, "response", G_CALLBACK (confirm_response_cb), self);
  gtk_window_present (GTK_WINDOW (dialog));
}

static gboolean
check_ready (McamWindow *self)
{
  if (self->image != NULL && self->class_index >= 0)
    return TRUE;
  mcam_window_show_error (self, _("Nothing to export"),
                          _("Open a model and an image, and pick a class first."));
  return FALSE;
}

void
_mcam_window_export_to (McamWindow *self, const char *path)
{
  McamExportRequest *req;

  if (!check_ready (self))
    return;
  req = _mcam_window_new_export_request (self);
  mcam_export_request_add (req, self->image->path, self->class_index, self->method, path);
  /* The overlay on screen, with the user's slot when there is one. */
  ((McamExportItem *) g_ptr_array_index (req->items, 0))->slot = self->slot;
  _mcam_window_run_export (self, req);
}

/* ---------------------------------------------------------------- dialogs */

typedef enum { EXPORT_ONE, EXPORT_ALL_CLASSES, EXPORT_BATCH } ExportKind;

static void
fill_folder_request (McamWindow *self, ExportKind kind, const char *dir,
                     McamExportRequest *req)
{
  if (kind == EXPORT_ALL_CLASSES)
    {
      for (int c = 0; c < self->model->n_classes; c++)
        {
          g_autofree char *name = _mcam_window_export_name (self, self->image->path, c,
                                                            self->method);
          g_autofree char *out = g_build_filename (dir, name, NULL);

          mcam_export_request_add (req, self->image->path, c, self->method, out);
        }
    }
  else
    {
      GListModel *items = mcam_image_browser_get_items (self->image_browser);
      guint n = g_list_model_get_n_items (items);

      for (guint i = 0; i < n; i++)
        {
          g_autoptr(McamImageItem) item = g_list_model_get_item (items, i);
          const char *path = mcam_image_item_get_path (item);
          g_autofree char *name = _mcam_window_export_name (self, path, self->class_index,
                                                            self->method);
          g_autofree char *out = g_build_filename (dir, name, NULL);

          mcam_export_request_add (req, path, self->class_index, self->method, out);
        }
    }
}

/* The chooser's options for the picture: caption, colour bar, size. */
static const char *const size_ids[] = { "0", "512", "1024", "2048", NULL };

static void
add_choices (McamWindow *self, GtkFileChooser *chooser)
{
  const char *size_labels[] = { _("the image's own"), _("at least 512 px wide"),
                                _("at least 1024 px wide"), _("at least 2048 px wide"), NULL };
  g_autofree char *width = NULL;

  if (self->settings == NULL)
    return;
  gtk_file_chooser_add_choice (chooser, "caption", _("Caption"), NULL, NULL);
  gtk_file_chooser_set_choice (chooser, "caption",
                               g_settings_get_boolean (self->settings, "export-caption")
                               ? "true" : "false");
  gtk_file_chooser_add_choice (chooser, "colorbar", _("Colour bar"), NULL, NULL);
  gtk_file_chooser_set_choice (chooser, "colorbar",
                               g_settings_get_boolean (self->settings, "export-colorbar")
                               ? "true" : "false");
  gtk_file_chooser_add_choice (chooser, "size", _("Size"), (const char **) size_ids,
                               size_labels);
  width = g_strdup_printf ("%d", g_settings_get_int (self->settings, "export-min-width"));
  gtk_file_chooser_set_choice (chooser, "size", g_strv_contains (size_ids, width) ? width : "0");
}

static void
read_choices (McamWindow *self, GtkFileChooser *chooser)
{
  const char *v;

  if (self->settings == NULL)
    return;
  if ((v = gtk_file_chooser_get_choice (chooser, "caption")) != NULL)
    g_settings_set_boolean (self->settings, "export-caption", g_strcmp0 (v, "true") == 0);
  if ((v = gtk_file_chooser_get_choice (chooser, "colorbar")) != NULL)
    g_settings_set_boolean (self->settings, "export-colorbar", g_strcmp0 (v, "true") == 0);
  if ((v = gtk_file_chooser_get_choice (chooser, "size")) != NULL)
    g_settings_set_int (self->settings, "export-min-width", atoi (v));
}

static void
export_chooser_cb (GtkNativeDialog *native, int response, McamWindow *self)
{
  ExportKind kind = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (native), "kind"));
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT && self->image != NULL)
    {
      file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (native));
      path = g_file_get_path (file);
      read_choices (self, GTK_FILE_CHOOSER (native));
    }
  if (path != NULL)
    {
      g_autofree char *dir = kind == EXPORT_ONE ? g_path_get_dirname (path) : g_strdup (path);

      _mcam_window_remember_export_folder (self, dir);
    }
  if (path != NULL && kind == EXPORT_ONE)
    {
      McamExportRequest *req = _mcam_window_new_export_request (self);

      /* The save dialog has already asked before replacing a file. */
      mcam_export_request_add (req, self->image->path, self->class_index, self->method, path);
      ((McamExportItem *) g_ptr_array_index (req->items, 0))->slot = self->slot;
      start_export (self, req);
    }
  else if (path != NULL)
    {
      McamExportRequest *req = _mcam_window_new_export_request (self);

      fill_folder_request (self, kind, path, req);
      _mcam_window_run_export (self, req);
    }
  gtk_native_dialog_destroy (native);
  g_object_unref (native);
}

static void
run_export_chooser (McamWindow *self, ExportKind kind)
{
  GtkFileChooserNative *native;
  g_autoptr(GFile) folder = NULL;
  g_autofree char *dir = NULL;

  if (!check_ready (self))
    return;
  if (kind == EXPORT_ONE)
    {
      g_autofree char *name = _mcam_window_export_name (self, self->image->path,
                                                        self->class_index, self->method);

      native = gtk_file_chooser_native_new (_("Export Overlay"), GTK_WINDOW (self),
                                            GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"),
                                            _("_Cancel"));
      gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (native), name);
    }
  else
    native = gtk_file_chooser_native_new (_("Export All Classes to a Folder"),
                                          GTK_WINDOW (self),
                                          GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                          _("_Export"), _("_Cancel"));
  /* Never the input images' folder: a batch would mix its PNGs with them. */
  dir = _mcam_window_default_export_folder (self);
  folder = g_file_new_for_path (dir);
  gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (native), folder, NULL);
  add_choices (self, GTK_FILE_CHOOSER (native));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  g_object_set_data (G_OBJECT (native), "kind", GINT_TO_POINTER (kind));
  g_signal_connect (native, "response", G_CALLBACK (export_chooser_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

static void
export_action (GtkWidget *widget, const char *name, GVariant *param)
{
  run_export_chooser (MCAM_WINDOW (widget), EXPORT_ONE);
}

static void
export_to_action (GtkWidget *widget, const char *name, GVariant *param)
{
  _mcam_window_export_to (MCAM_WINDOW (widget), g_variant_get_string (param, NULL));
}

static void
export_all_classes_action (GtkWidget *widget, const char *name, GVariant *param)
{
  run_export_chooser (MCAM_WINDOW (widget), EXPORT_ALL_CLASSES);
}

/* Every image × chosen classes × chosen methods (mcam-batch-export-dialog.c). */
static void
export_batch_action (GtkWidget *widget, const char *name, GVariant *param)
{
  McamWindow *self = MCAM_WINDOW (widget);

  if (!check_ready (self))
    return;
  gtk_window_present (GTK_WINDOW (mcam_batch_export_dialog_new (self)));
}

/* export-folder(s): every image × the current class into a folder, without
 * a dialog (scripts and tests); existing files still ask. */
static void
export_folder_action (GtkWidget *widget, const char *name, GVariant *param)
{
  McamWindow *self = MCAM_WINDOW (widget);
  McamExportRequest *req;

  if (!check_ready (self))
    return;
  req = _mcam_window_new_export_request (self);
  fill_folder_request (self, EXPORT_BATCH, g_variant_get_string (param, NULL), req);
  _mcam_window_run_export (self, req);
}

/* ---------------------------------------------------------------- clipboard */

static void
copy_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(McamWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  cairo_surface_t *surface;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  int w, h, stride;
  const guint8 *src;
  guint8 *rgb;

  surface = mcam_worker_render_overlay_finish (MCAM_WORKER (source), result, &error);
  if (self->worker == NULL || surface == NULL)
    {
      if (surface == NULL && self->worker != NULL &&
          !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        mcam_window_show_error (self, _("The overlay could not be copied"), error->message);
      g_clear_pointer (&surface, cairo_surface_destroy);
      return;
    }

  /* CAIRO_FORMAT_RGB24 is xRGB in native-endian 32-bit words. */
  cairo_surface_flush (surface);
  w = cairo_image_surface_get_width (surface);
  h = cairo_image_surface_get_height (surface);
  stride = cairo_image_surface_get_stride (surface);
  src = cairo_image_surface_get_data (surface);
  rgb = g_malloc ((gsize) w * h * 3);
  for (int y = 0; y < h; y++)
    {
      const guint32 *row = (const guint32 *) (src + (gsize) y * stride);

      for (int x = 0; x < w; x++)
        {
          guint8 *px = rgb + ((gsize) y * w + x) * 3;

          px[0] = (row[x] >> 16) & 0xff;
          px[1] = (row[x] >> 8) & 0xff;
          px[2] = row[x] & 0xff;
        }
    }
  cairo_surface_destroy (surface);
  bytes = g_bytes_new_take (rgb, (gsize) w * h * 3);
  texture = gdk_memory_texture_new (w, h, GDK_MEMORY_R8G8B8, bytes, (gsize) w * 3);
  gdk_clipboard_set_texture (gtk_widget_get_clipboard (GTK_WIDGET (self)), texture);
  gtk_label_set_label (self->status_label, _("Overlay copied"));
}

static void
copy_action (GtkWidget *widget, const char *name, GVariant *param)
{
  McamWindow *self = MCAM_WINDOW (widget);
  McamMapRequest req;

  if (!check_ready (self))
    return;
  _mcam_window_fill_request (self, &req);
  mcam_worker_render_overlay_async (self->worker, &req,
                                    mcam_overlay_view_get_opacity (self->overlay_view), NULL,
                                    copy_done_cb, g_object_ref (self));
}

void
_mcam_window_class_install_export_actions (GtkWidgetClass *klass)
{
  gtk_widget_class_install_action (klass, "win.export", NULL, export_action);
  gtk_widget_class_install_action (klass, "win.export-to", "s", export_to_action);
  gtk_widget_class_install_action (klass, "win.export-all-classes", NULL,
                                   export_all_classes_action);
  gtk_widget_class_install_action (klass, "win.export-batch", NULL, export_batch_action);
  gtk_widget_class_install_action (klass, "win.export-folder", "s", export_folder_action);
  gtk_widget_class_install_action (klass, "win.copy", NULL, copy_action);
}
