/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The window's GActions (DESIGN 6 keyboard): open images, folder, model,
 * memory, demo; next/previous image; the k-th top class; zoom; cancel. And
 * the image keys (Left/Right, Page Up/Down), which give way to a focused
 * control that uses them. */

#define G_LOG_DOMAIN "mcam-window"

#include "config.h"

#include <glib/gi18n.h>

#include "mcam-application.h"
#include "mcam-compare-window.h"
#include "mcam-slot-grid.h"
#include "mcam-window-private.h"

static GtkFileFilter *
image_filter (void)
{
  GtkFileFilter *filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, _("Images"));
  gtk_file_filter_add_pixbuf_formats (filter);
  return filter;
}

static GtkFileFilter *
model_filter (void)
{
  GtkFileFilter *filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, _("Models (ONNX, safetensors)"));
  gtk_file_filter_add_pattern (filter, "*.onnx");
  gtk_file_filter_add_pattern (filter, "*.safetensors");
  return filter;
}

/* PyTorch checkpoints are shown, not hidden: choosing one gets the core's
 * refusal, which says how to export the network to ONNX. */
static GtkFileFilter *
pytorch_filter (void)
{
  GtkFileFilter *filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, _("PyTorch checkpoints (*.pth, *.pt: export to ONNX first)"));
  gtk_file_filter_add_pattern (filter, "*.pth");
  gtk_file_filter_add_pattern (filter, "*.pt");
  return filter;
}

static GtkFileFilter *
memory_filter (void)
{
  GtkFileFilter *filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, _("Memory modules (safetensors)"));
  gtk_file_filter_add_pattern (filter, "*.safetensors");
  return filter;
}

typedef enum { OPEN_IMAGES, OPEN_FOLDER, OPEN_MODEL, OPEN_MEMORY } OpenKind;

static void
chooser_response_cb (GtkNativeDialog *native, int response, McamWindow *self)
{
  OpenKind kind = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (native), "kind"));
  g_autoptr(GListModel) files = NULL;
  g_autoptr(GPtrArray) array = g_ptr_array_new_with_free_func (g_object_unref);
  guint n;

  if (response != GTK_RESPONSE_ACCEPT)
    goto out;
  files = gtk_file_chooser_get_files (GTK_FILE_CHOOSER (native));
  n = g_list_model_get_n_items (files);
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (array, g_list_model_get_item (files, i));
  if (array->len == 0)
    goto out;

  switch (kind)
    {
    case OPEN_IMAGES:
    case OPEN_FOLDER:
      {
        /* The user's choice in the dialog: add to the list or replace it. */
        const char *replace = gtk_file_chooser_get_choice (GTK_FILE_CHOOSER (native), "replace");

        if (self->settings != NULL && replace != NULL)
          g_settings_set_boolean (self->settings, "open-replaces",
                                  g_strcmp0 (replace, "true") == 0);
        if (g_strcmp0 (replace, "true") == 0)
          mcam_image_browser_clear (self->image_browser);
        mcam_window_open_files (self, (GFile **) array->pdata, array->len);
      }
      break;

    case OPEN_MODEL:
      {
        g_autofree char *path = g_file_get_path (g_ptr_array_index (array, 0));

        mcam_window_load_model (self, path, NULL);
      }
      break;

    case OPEN_MEMORY:
      {
        g_autofree char *path = g_file_get_path (g_ptr_array_index (array, 0));

        if (self->model == NULL)
          mcam_window_show_error (self, _("No model is loaded"),
                                  _("A memory module belongs to a backbone: open the model "
                                    "first."));
        else
          mcam_window_load_model (self, self->model->model_path, path);
      }
      break;

    default:
      g_assert_not_reached ();
    }

out:
  gtk_native_dialog_destroy (native);
  g_object_unref (native);
}

static void
remove_image_action (GtkWidget *widget, const char *name, GVariant *param)
{
  mcam_image_browser_remove_selected (MCAM_WINDOW (widget)->image_browser);
}

static void
clear_images_action (GtkWidget *widget, const char *name, GVariant *param)
{
  mcam_image_browser_clear (MCAM_WINDOW (widget)->image_browser);
}

static void
run_chooser (McamWindow *self, OpenKind kind)
{
  static const char *titles[] = {
    N_("Open Images"), N_("Open a Folder of Images"), N_("Open a Model"),
    N_("Open a Memory Module")
  };
  GtkFileChooserAction action = kind == OPEN_FOLDER ? GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER
                                                    : GTK_FILE_CHOOSER_ACTION_OPEN;
  GtkFileChooserNative *native =
    gtk_file_chooser_native_new (_(titles[kind]), GTK_WINDOW (self), action, _("_Open"),
                                 _("_Cancel"));

  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  g_object_set_data (G_OBJECT (native), "kind", GINT_TO_POINTER (kind));
  if ((kind == OPEN_IMAGES || kind == OPEN_FOLDER) && self->settings != NULL)
    {
      gtk_file_chooser_add_choice (GTK_FILE_CHOOSER (native), "replace",
                                   _("Replace the images in the list"), NULL, NULL);
      gtk_file_chooser_set_choice (GTK_FILE_CHOOSER (native), "replace",
                                   g_settings_get_boolean (self->settings, "open-replaces")
                                   ? "true" : "false");
    }
  if (kind == OPEN_IMAGES)
    {
      g_autoptr(GtkFileFilter) filter = image_filter ();

      gtk_file_chooser_set_select_multiple (GTK_FILE_CHOOSER (native), TRUE);
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), filter);
    }
  else if (kind == OPEN_MODEL)
    {
      g_autoptr(GtkFileFilter) filter = model_filter ();
      g_autoptr(GtkFileFilter) pytorch = pytorch_filter ();

      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), filter);
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), pytorch);
    }
  else if (kind == OPEN_MEMORY)
    {
      g_autoptr(GtkFileFilter) filter = memory_filter ();

      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), filter);
    }
  g_signal_connect (native, "response", G_CALLBACK (chooser_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

static void
open_images_action (GtkWidget *widget, const char *name, GVariant *param)
{
  run_chooser (MCAM_WINDOW (widget), OPEN_IMAGES);
}

static void
open_folder_action (GtkWidget *widget, const char *name, GVariant *param)
{
  run_chooser (MCAM_WINDOW (widget), OPEN_FOLDER);
}

static void
open_model_action (GtkWidget *widget, const char *name, GVariant *param)
{
  run_chooser (MCAM_WINDOW (widget), OPEN_MODEL);
}

static void
open_memory_action (GtkWidget *widget, const char *name, GVariant *param)
{
  run_chooser (MCAM_WINDOW (widget), OPEN_MEMORY);
}

static void
open_demo_action (GtkWidget *widget, const char *name, GVariant *param)
{
  McamWindow *self = MCAM_WINDOW (widget);
  g_autofree char *model = NULL;
  g_autofree char *memory = NULL;
  g_autofree char *images = NULL;
  g_autoptr(GFile) dir = NULL;

  if (!mcam_find_demo (&model, &memory, &images))
    {
      mcam_window_show_error (self, _("The demo is not installed"),
                              _("Neither data/demo in the source tree nor the installed copy "
                                "was found."));
      return;
    }
  mcam_window_load_model (self, model, memory);
  dir = g_file_new_for_path (images);
  mcam_window_open_files (self, &dir, 1);
}

static void
next_image_action (GtkWidget *widget, const char *name, GVariant *param)
{
  McamWindow *self = MCAM_WINDOW (widget);

  mcam_image_browser_select_next (self->image_browser,
                                  g_str_equal (name, "win.next-image") ? 1 : -1);
}

static void
select_top_class_action (GtkWidget *widget, const char *name, GVariant *param)
{
  McamWindow *self = MCAM_WINDOW (widget);
  int k = mcam_class_list_get_class_at_rank (self->class_list,
                                             (guint) g_variant_get_int32 (param));

  if (k >= 0)
    mcam_window_select_class (self, k);
}

static void
zoom_action (GtkWidget *widget, const char *name, GVariant *param)
{
  McamWindow *self = MCAM_WINDOW (widget);

  if (g_str_equal (name, "win.zoom-fit"))
    mcam_overlay_view_zoom_fit (self->overlay_view);
  else
    mcam_overlay_view_zoom_one (self->overlay_view);
}

/* Compare mode opens beside the main window (mcam-compare-window.c). */
static void
compare_action (GtkWidget *widget, const char *name, GVariant *param)
{
  mcam_compare_window_present_for (MCAM_WINDOW (widget));
}

static void
cancel_action (GtkWidget *widget, const char *name, GVariant *param)
{
  mcam_worker_cancel_all (MCAM_WINDOW (widget)->worker);
}

/* ---------------------------------------------------------------- image keys */

gboolean
_mcam_window_focus_takes_arrows (McamWindow *self)
{
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (self));

  /* The browser's own list moves through the images anyway. */
  if (focus == NULL || gtk_widget_is_ancestor (focus, GTK_WIDGET (self->image_browser)))
    return FALSE;
  for (GtkWidget *w = focus; w != NULL && w != GTK_WIDGET (self); w = gtk_widget_get_parent (w))
    {
      if (GTK_IS_RANGE (w) || GTK_IS_DROP_DOWN (w) || GTK_IS_LIST_VIEW (w) ||
          GTK_IS_GRID_VIEW (w) || GTK_IS_COLUMN_VIEW (w) || GTK_IS_LIST_BOX (w) ||
          GTK_IS_FLOW_BOX (w) || GTK_IS_EDITABLE (w) || GTK_IS_TEXT_VIEW (w) ||
          GTK_IS_POPOVER (w) || GTK_IS_NOTEBOOK (w) ||
          MCAM_IS_SLOT_GRID (w))
        return TRUE;
    }
  return FALSE;
}

static gboolean
image_key_cb (GtkWidget *widget, GVariant *args, gpointer user_data)
{
  McamWindow *self = MCAM_WINDOW (widget);

  /* Not handled: the key goes on to the focused control. */
  if (_mcam_window_focus_takes_arrows (self))
    return FALSE;
  gtk_widget_activate_action (widget, GPOINTER_TO_INT (user_data) > 0 ? "win.next-image"
                                                                      : "win.previous-image",
                              NULL);
  return TRUE;
}

/* Application accelerators run in the capture phase for every window and
 * would take the arrows from the opacity slider, the drop-downs and the
 * lists; these keys live on the window instead, with a callback that lets
 * the key through when the focused control uses it. */
void
_mcam_window_setup_image_keys (McamWindow *self)
{
  static const struct { guint keyval; int step; } keys[] = {
    { GDK_KEY_Right, 1 }, { GDK_KEY_KP_Right, 1 }, { GDK_KEY_Page_Down, 1 },
    { GDK_KEY_Left, -1 }, { GDK_KEY_KP_Left, -1 }, { GDK_KEY_Page_Up, -1 },
  };
  GtkEventController *controller = gtk_shortcut_controller_new ();

  gtk_event_controller_set_name (controller, "mcam-image-keys");
  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  gtk_shortcut_controller_set_scope (GTK_SHORTCUT_CONTROLLER (controller),
                                     GTK_SHORTCUT_SCOPE_LOCAL);
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    gtk_shortcut_controller_add_shortcut (
        GTK_SHORTCUT_CONTROLLER (controller),
        gtk_shortcut_new (gtk_keyval_trigger_new (keys[i].keyval, 0),
                          gtk_callback_action_new (image_key_cb,
                                                   GINT_TO_POINTER (keys[i].step), NULL)));
  gtk_widget_add_controller (GTK_WIDGET (self), controller);
}

void
_mcam_window_update_actions (McamWindow *self)
{
  GtkWidget *w = GTK_WIDGET (self);
  gboolean have_model = self->model != NULL;

  gtk_widget_action_set_enabled (w, "win.open-memory", have_model);
  gtk_widget_action_set_enabled (w, "win.export", have_model);
  gtk_widget_action_set_enabled (w, "win.export-all-classes", have_model);
  gtk_widget_action_set_enabled (w, "win.export-batch", have_model);
  gtk_widget_action_set_enabled (w, "win.copy", have_model);
  gtk_widget_action_set_enabled (w, "win.compare", have_model);
}

void
_mcam_window_class_install_actions (GtkWidgetClass *klass)
{
  gtk_widget_class_install_action (klass, "win.open-images", NULL, open_images_action);
  gtk_widget_class_install_action (klass, "win.remove-image", NULL, remove_image_action);
  gtk_widget_class_install_action (klass, "win.clear-images", NULL, clear_images_action);
  gtk_widget_class_install_action (klass, "win.open-folder", NULL, open_folder_action);
  gtk_widget_class_install_action (klass, "win.open-model", NULL, open_model_action);
  gtk_widget_class_install_action (klass, "win.open-memory", NULL, open_memory_action);
  gtk_widget_class_install_action (klass, "win.open-demo", NULL, open_demo_action);
  gtk_widget_class_install_action (klass, "win.next-image", NULL, next_image_action);
  gtk_widget_class_install_action (klass, "win.previous-image", NULL, next_image_action);
  gtk_widget_class_install_action (klass, "win.select-top-class", "i",
                                   select_top_class_action);
  gtk_widget_class_install_action (klass, "win.zoom-fit", NULL, zoom_action);
  gtk_widget_class_install_action (klass, "win.zoom-one", NULL, zoom_action);
  gtk_widget_class_install_action (klass, "win.cancel", NULL, cancel_action);
  gtk_widget_class_install_action (klass, "win.compare", NULL, compare_action);
}
