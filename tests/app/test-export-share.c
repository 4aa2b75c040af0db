/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Issue 11, item 5, under Xvfb: exports a user can share. The export folder
 * the dialogs propose is never a folder of opened images (not even when it
 * was the last one used); an exported PNG carries its provenance as text
 * chunks (model, fingerprint, method, class, slot and who chose it, layer,
 * score, version) — the app's and `mcam explain --out`'s alike; the caption,
 * colour bar and size options change the picture as asked (the bar's top
 * pixel is the colormap's 1.0); the raw map and the class scores export as
 * JSON equal to what the window holds. HOME and XDG_* point into a
 * temporary folder: nothing is written to the real Pictures folder. */

#include "config.h"

#include <gtk/gtk.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "mcam-test-util.h"
#include "mcam-app-test-util.h"
#include "mcam-window-test-util.h"
#include "mcam-application.h"
#include "mcam-memory-inspector.h"
#include "mcam-window-private.h"

static char *home;   /* the temporary HOME */

typedef struct
{
  McamWindow *window;
  char       *model;
  char       *memory;
  char       *image;
  char       *out_dir;
} Fixture;

static void
fixture_set_up (Fixture *fx, gconstpointer unused)
{
  g_autofree char *images_dir = NULL;

  mcam_app_test_demo_or_fixtures (&fx->model, &fx->memory, &images_dir, &fx->image);
  fx->out_dir = g_build_filename (home, "out", NULL);
  g_mkdir_with_parents (fx->out_dir, 0755);
  fx->window = mcam_app_test_open_window (fx->model, fx->memory, fx->image);
  mcam_app_test_settle ();
}

static void
fixture_tear_down (Fixture *fx, gconstpointer unused)
{
  /* out_dir is in the test's HOME, deleted at the end of main() */
  mcam_app_test_tear_down (&fx->window, NULL, &fx->model, &fx->memory, &fx->image, &fx->out_dir,
                           NULL);
}

typedef struct
{
  gboolean done;
  gboolean ok;
} ExportWait;

static void
export_done_cb (McamWindow *window, gboolean ok, const char *message, ExportWait *w)
{
  w->done = TRUE;
  w->ok = ok;
  if (!ok)
    g_test_message ("export failed: %s", message);
}

static gboolean
export_finished (gpointer data)
{
  return ((ExportWait *) data)->done;
}

/* Exports the overlay on screen to path and loads it back. */
static GdkPixbuf *
export_and_load (Fixture *fx, const char *path)
{
  ExportWait w = { FALSE, FALSE };
  gulong id = g_signal_connect (fx->window, "export-done", G_CALLBACK (export_done_cb), &w);
  g_autoptr(GError) error = NULL;
  GdkPixbuf *pixbuf;

  g_unlink (path);
  gtk_widget_activate_action (GTK_WIDGET (fx->window), "win.export-to", "s", path);
  mcam_app_test_wait_for (export_finished, &w, "the export");
  g_signal_handler_disconnect (fx->window, id);
  g_assert_true (w.ok);
  pixbuf = gdk_pixbuf_new_from_file (path, &error);
  g_assert_no_error (error);
  return pixbuf;
}

static void
test_default_folder (Fixture *fx, gconstpointer unused)
{
  g_autofree char *input_dir = g_path_get_dirname (fx->image);
  g_autofree char *dir = NULL;
  g_autofree char *last = NULL;
  g_autoptr(GFile) a = NULL, b = NULL;

  g_settings_set_string (fx->window->settings, "export-folder", "");
  dir = _mcam_window_default_export_folder (fx->window);
  g_test_message ("default export folder: %s", dir);
  g_assert_true (g_str_has_prefix (dir, home));
  g_assert_true (g_str_has_suffix (dir, "M-CAM Exports"));
  g_assert_true (g_file_test (dir, G_FILE_TEST_IS_DIR));

  /* The last export folder comes back... */
  g_settings_set_string (fx->window->settings, "export-folder", fx->out_dir);
  last = _mcam_window_default_export_folder (fx->window);
  g_assert_cmpstr (last, ==, fx->out_dir);
  g_clear_pointer (&last, g_free);

  /* ...unless it holds opened images. */
  g_settings_set_string (fx->window->settings, "export-folder", input_dir);
  last = _mcam_window_default_export_folder (fx->window);
  a = g_file_new_for_path (last);
  b = g_file_new_for_path (input_dir);
  g_assert_false (g_file_equal (a, b));
}

static void
test_png_provenance (Fixture *fx, gconstpointer unused)
{
  g_autofree char *plain = g_build_filename (fx->out_dir, "plain.png", NULL);
  g_autofree char *shared = g_build_filename (fx->out_dir, "shared.png", NULL);
  g_autoptr(GdkPixbuf) p1 = NULL, p2 = NULL;
  McamMapResult *map;
  McamImageResult *image = mcam_window_get_image_result (fx->window);
  GSettings *settings = fx->window->settings;
  McamAppTestMapWait mw = { fx->window, 0, MCAM_METHOD_MCAM };
  const guint8 *px;
  guint8 top[3];
  int chosen, pick, stride, bar_x;
  char buf[32];

  /* The image's own size, no caption or bar: the overlay alone. */
  g_settings_set_boolean (settings, "export-caption", FALSE);
  g_settings_set_boolean (settings, "export-colorbar", FALSE);
  g_settings_set_int (settings, "export-min-width", 0);
  mcam_window_set_method (fx->window, MCAM_METHOD_MCAM);
  mcam_window_select_class (fx->window, 0);
  mcam_app_test_wait_for (mcam_app_test_map_shown, &mw, "the M-CAM map");
  map = mcam_window_get_map_result (fx->window);
  chosen = map->explanation->slot;
  p1 = export_and_load (fx, plain);
  g_assert_cmpint (gdk_pixbuf_get_width (p1), ==, image->width);
  g_assert_cmpint (gdk_pixbuf_get_height (p1), ==, image->height);
  g_assert_cmpstr (gdk_pixbuf_get_option (p1, "tEXt::mcam:method"), ==, "mcam");
  g_assert_cmpstr (gdk_pixbuf_get_option (p1, "tEXt::mcam:class"), ==,
                   fx->window->model->classes[0]);
  g_assert_cmpstr (gdk_pixbuf_get_option (p1, "tEXt::mcam:model"), ==, fx->model);
  g_assert_cmpstr (gdk_pixbuf_get_option (p1, "tEXt::mcam:model-fingerprint"), ==,
                   fx->window->model->fingerprint);
  /* The net's target layer: the last stage's output for these ResNets. */
  g_assert_true (g_str_has_prefix (gdk_pixbuf_get_option (p1, "tEXt::mcam:layer"), "layer4"));
  g_assert_cmpstr (gdk_pixbuf_get_option (p1, "tEXt::mcam:slot-chosen-by"), ==, "algorithm-1");
  g_snprintf (buf, sizeof buf, "%d", chosen);
  g_assert_cmpstr (gdk_pixbuf_get_option (p1, "tEXt::mcam:slot"), ==, buf);
  g_assert_cmpfloat_with_epsilon (g_ascii_strtod (gdk_pixbuf_get_option (p1, "tEXt::mcam:score"),
                                                  NULL), image->scores[0], 1e-5);
  g_assert_true (g_str_has_prefix (gdk_pixbuf_get_option (p1, "tEXt::Software"),
                                   "M-CAM Explorer " PACKAGE_VERSION));

  /* The user's slot, enlarged, with a caption and a colour bar. */
  pick = (chosen + 1) % map->explanation->n_slots;
  mcam_window_set_slot (fx->window, pick);
  while (mcam_window_get_map_result (fx->window) == NULL ||
         mcam_window_get_map_result (fx->window)->request->slot != pick)
    g_main_context_iteration (NULL, TRUE);
  g_settings_set_boolean (settings, "export-caption", TRUE);
  g_settings_set_boolean (settings, "export-colorbar", TRUE);
  g_settings_set_int (settings, "export-min-width", 512);
  p2 = export_and_load (fx, shared);
  g_test_message ("shared: %dx%d from %dx%d", gdk_pixbuf_get_width (p2),
                  gdk_pixbuf_get_height (p2), image->width, image->height);
  g_assert_cmpint (gdk_pixbuf_get_width (p2), >=, 512);
  g_assert_cmpint (gdk_pixbuf_get_height (p2), >, image->height * (512 / image->width));
  g_snprintf (buf, sizeof buf, "%d", pick);
  g_assert_cmpstr (gdk_pixbuf_get_option (p2, "tEXt::mcam:slot"), ==, buf);
  g_assert_cmpstr (gdk_pixbuf_get_option (p2, "tEXt::mcam:slot-chosen-by"), ==, "user");
  /* The caption says it too. */
  g_assert_nonnull (strstr (gdk_pixbuf_get_option (p2, "tEXt::Description"), "user's choice"));
  /* The colour bar's top is the colormap's 1.0. */
  mcam_colormap_lookup (mcam_overlay_view_get_colormap (fx->window->overlay_view), 1.0f, top);
  stride = gdk_pixbuf_get_rowstride (p2);
  px = gdk_pixbuf_read_pixels (p2);
  bar_x = (512 + image->width - 1) / image->width * image->width + 12 + 8;
  {
    const guint8 *q = px + (gsize) 9 * stride + (gsize) bar_x * gdk_pixbuf_get_n_channels (p2);

    g_test_message ("bar top (%d, 9): %d %d %d, turbo(1) %d %d %d", bar_x, q[0], q[1], q[2],
                    top[0], top[1], top[2]);
    for (int k = 0; k < 3; k++)
      g_assert_cmpint (ABS ((int) q[k] - (int) top[k]), <=, 8);
  }
}

static void
test_cli_png (Fixture *fx, gconstpointer unused)
{
  g_autofree char *mcam = g_build_filename (g_getenv ("MCAM_BUILD_DIR"), "src", "cli", "mcam",
                                            NULL);
  g_autofree char *out = g_build_filename (fx->out_dir, "cli.png", NULL);
  g_autoptr(GdkPixbuf) p = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  int status;
  const char *argv[] = { mcam, "explain", "-m", fx->model, "--memory", fx->memory, "-c", "0",
                         "--slot", "2", "--out", out, fx->image, NULL };

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
                               NULL, NULL, &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("mcam explain failed: %s", err);
  p = gdk_pixbuf_new_from_file (out, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (gdk_pixbuf_get_option (p, "tEXt::mcam:method"), ==, "mcam");
  g_assert_cmpstr (gdk_pixbuf_get_option (p, "tEXt::mcam:slot"), ==, "2");
  g_assert_cmpstr (gdk_pixbuf_get_option (p, "tEXt::mcam:slot-chosen-by"), ==, "user");
  g_assert_cmpstr (gdk_pixbuf_get_option (p, "tEXt::mcam:model-fingerprint"), ==,
                   fx->window->model->fingerprint);
  g_assert_true (g_str_has_prefix (gdk_pixbuf_get_option (p, "tEXt::Software"), "mcam "));
}

static void
test_data_json (Fixture *fx, gconstpointer unused)
{
  g_autofree char *path = g_build_filename (fx->out_dir, "data.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  McamMapResult *map = mcam_window_get_map_result (fx->window);
  McamExplanation *e = map->explanation;
  McamImageResult *image = map->image;
  JsonObject *root, *m;
  JsonArray *rows, *scores;

  g_assert_true (_mcam_window_export_data_to (fx->window, path, &error));
  g_assert_no_error (error);
  g_assert_true (json_parser_load_from_file (parser, path, &error));
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (root, "method"), ==,
                   mcam_method_get_name (map->request->method));
  g_assert_cmpint (json_object_get_int_member (root, "class_index"), ==,
                   map->request->class_index);
  m = json_object_get_object_member (root, "map");
  g_assert_cmpint (json_object_get_int_member (m, "height"), ==, e->h);
  g_assert_cmpint (json_object_get_int_member (m, "width"), ==, e->w);
  rows = json_object_get_array_member (m, "values");
  g_assert_cmpuint (json_array_get_length (rows), ==, e->h);
  for (int y = 0; y < e->h; y++)
    for (int x = 0; x < e->w; x++)
      g_assert_cmpfloat_with_epsilon (
        json_array_get_double_element (json_array_get_array_element (rows, y), x),
        e->map[y * e->w + x], 1e-6 * MAX (1.0, fabs (e->map[y * e->w + x])));
  scores = json_object_get_array_member (root, "scores");
  g_assert_cmpuint (json_array_get_length (scores), ==, image->n_classes);
  for (int c = 0; c < image->n_classes; c++)
    {
      JsonObject *s = json_array_get_object_element (scores, c);

      g_assert_cmpstr (json_object_get_string_member (s, "class"), ==,
                       fx->window->model->classes[c]);
      g_assert_cmpfloat_with_epsilon (json_object_get_double_member (s, "score"),
                                      image->scores[c], 1e-6);
    }
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  int status;

  g_setenv ("GSK_RENDERER", "cairo", TRUE);
  g_setenv ("GTK_A11Y", "none", TRUE);
  /* Exports go to the Pictures folder by default: a temporary one. */
  home = g_dir_make_tmp ("mcam-share-XXXXXX", &error);
  g_assert_no_error (error);
  g_setenv ("HOME", home, TRUE);
  g_setenv ("XDG_CONFIG_HOME", home, TRUE);
  g_setenv ("XDG_CACHE_HOME", home, TRUE);
  g_setenv ("XDG_DATA_HOME", home, TRUE);
  mcam_test_init (&argc, &argv);
  gtk_init ();

  g_test_add ("/mcam/app/export-share/default-folder", Fixture, NULL, fixture_set_up,
              test_default_folder, fixture_tear_down);
  g_test_add ("/mcam/app/export-share/png-provenance", Fixture, NULL, fixture_set_up,
              test_png_provenance, fixture_tear_down);
  g_test_add ("/mcam/app/export-share/cli-png", Fixture, NULL, fixture_set_up, test_cli_png,
              fixture_tear_down);
  g_test_add ("/mcam/app/export-share/data-json", Fixture, NULL, fixture_set_up, test_data_json,
              fixture_tear_down);
  status = g_test_run ();
  mcam_app_test_remove_tree (home);
  g_free (home);
  return status;
}
