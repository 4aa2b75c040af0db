/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Export the numbers behind the overlay on screen (win.export-data): the raw
 * map at feature resolution (the explanation's h x w grid, after the ReLU,
 * before upsampling and normalisation) and every class's scores, as one
 * JSON document with the same provenance the exported PNGs carry. */

#define G_LOG_DOMAIN "mcam-export"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "mcam/mcam-json.h"
#include "mcam/mcam-safetensors.h"   /* mcam_file_write_atomic */
#include "mcam-window-private.h"

/* The core's one JSON path (mcam-json.h): no NaN or infinity, null instead. */
static void
add_number (JsonBuilder *b, double v)
{
  mcam_json_add_double (b, v);
}

char *
_mcam_window_export_data_json (McamWindow *self, McamMapResult *map)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  McamExplanation *e = map->explanation;
  McamImageResult *image = map->image;
  McamModelInfo *model = self->model;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "software");
  json_builder_add_string_value (b, "M-CAM Explorer " PACKAGE_VERSION);
  json_builder_set_member_name (b, "image");
  json_builder_add_string_value (b, map->request->path);
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, model->model_path);
  json_builder_set_member_name (b, "model_fingerprint");
  json_builder_add_string_value (b, model->fingerprint);
  json_builder_set_member_name (b, "memory");
  if (model->memory_path != NULL)
    json_builder_add_string_value (b, model->memory_path);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "method");
  json_builder_add_string_value (b, mcam_method_get_name (map->request->method));
  json_builder_set_member_name (b, "class");
  json_builder_add_string_value (b, model->classes[map->request->class_index]);
  json_builder_set_member_name (b, "class_index");
  json_builder_add_int_value (b, map->request->class_index);
  json_builder_set_member_name (b, "slot");
  if (e->slot >= 0)
    json_builder_add_int_value (b, e->slot);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "slot_chosen_by");
  if (e->slot >= 0)
    json_builder_add_string_value (b, map->request->slot >= 0 ? "user" : "algorithm-1");
  else
    json_builder_add_null_value (b);
  /* The layer the map was read at: the net's target when this model
   * snapshot was taken (the layer chooser re-targets and re-snapshots). */
  json_builder_set_member_name (b, "layer");
  json_builder_add_string_value (b, model->target);

  /* The map as computed, row by row. */
  json_builder_set_member_name (b, "map");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "height");
  json_builder_add_int_value (b, e->h);
  json_builder_set_member_name (b, "width");
  json_builder_add_int_value (b, e->w);
  json_builder_set_member_name (b, "values");
  json_builder_begin_array (b);
  for (int y = 0; y < e->h; y++)
    {
      json_builder_begin_array (b);
      for (int x = 0; x < e->w; x++)
        add_number (b, e->map[(gsize) y * e->w + x]);
      json_builder_end_array (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "scores");
  json_builder_begin_array (b);
  for (int c = 0; c < image->n_classes; c++)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "class");
      json_builder_add_string_value (b, model->classes[c]);
      json_builder_set_member_name (b, "score");
      add_number (b, image->scores[c]);
      json_builder_set_member_name (b, "memory_score");
      if (image->memory_scores != NULL)
        add_number (b, image->memory_scores[c]);
      else
        json_builder_add_null_value (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  return mcam_json_to_string (root, TRUE, NULL);
}

gboolean
_mcam_window_export_data_to (McamWindow *self, const char *path, GError **error)
{
  McamMapResult *map = mcam_window_get_map_result (self);
  g_autofree char *json = NULL;

  if (map == NULL || self->model == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   _("No map is shown: open a model and an image first"));
      return FALSE;
    }
  json = _mcam_window_export_data_json (self, map);
  return mcam_file_write_atomic (path, json, strlen (json), error);
}

static void
data_chooser_cb (GtkNativeDialog *native, int response, McamWindow *self)
{
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (native));
      path = g_file_get_path (file);
    }
  if (path != NULL)
    {
      g_autofree char *dir = g_path_get_dirname (path);

      _mcam_window_remember_export_folder (self, dir);
      if (_mcam_window_export_data_to (self, path, &error))
        gtk_label_set_label (self->status_label, _("Map and scores exported"));
      else
        _mcam_window_show_message (self, MCAM_MESSAGE_EXPORT,
                                   _("The map and scores could not be exported"),
                                   error->message);
    }
  gtk_native_dialog_destroy (native);
  g_object_unref (native);
}

static void
export_data_action (GtkWidget *widget, const char *name, GVariant *param)
{
  McamWindow *self = MCAM_WINDOW (widget);
  McamMapResult *map = mcam_window_get_map_result (self);
  GtkFileChooserNative *native;
  g_autofree char *dir = NULL;
  g_autofree char *png = NULL;
  g_autofree char *json = NULL;
  g_autoptr(GFile) folder = NULL;

  if (map == NULL || self->model == NULL)
    {
      mcam_window_show_error (self, _("Nothing to export"),
                              _("Open a model and an image, and pick a class first."));
      return;
    }
  png = _mcam_window_export_name (self, map->request->path, map->request->class_index,
                                  map->request->method);
  json = g_strconcat (png, NULL);
  strcpy (json + strlen (json) - 4, ".json");   /* "…__method.png" → "…__method.json" */
  native = gtk_file_chooser_native_new (_("Export the Map and Scores"), GTK_WINDOW (self),
                                        GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"),
                                        _("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (native), json);
  dir = _mcam_window_default_export_folder (self);
  folder = g_file_new_for_path (dir);
  gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (native), folder, NULL);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  g_signal_connect (native, "response", G_CALLBACK (data_chooser_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

void
_mcam_window_class_install_export_data_actions (GtkWidgetClass *klass)
{
  gtk_widget_class_install_action (klass, "win.export-data", NULL, export_data_action);
}
