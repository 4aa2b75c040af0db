/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Batch export (issue 5 item 7) through the dialog's API, under Xvfb: two
 * images × two ticked classes × two ticked methods write 8 PNGs named
 * `<image>__<class>__<method>.png` at each image's own size; the class modes
 * count what they would write (every class, each image's ground truth); an
 * existing file is never replaced without the one question for the batch,
 * whose three answers (cancel, skip existing, replace all) do what they say. */

#include "config.h"

#include <gtk/gtk.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <string.h>

#include "mcam-test-util.h"
#include "mcam-app-test-util.h"
#include "mcam-window-test-util.h"
#include "mcam-application.h"
#include "mcam-batch-export-dialog.h"
#include "mcam-image-browser.h"
#include "mcam-window-private.h"

/* The dialog's answers (mcam-window-export.c). */
enum { RESPONSE_SKIP = 1, RESPONSE_REPLACE = 2 };

/* Two demo images, one with three ground-truth classes and one with two. */
static const char *const image_names[] = { "test-00000.png", "test-00001.png" };

typedef struct
{
  McamWindow *window;
  char       *tmpdir;
  char       *outdir;
  char       *images[2];
  int         width[2], height[2];
  int         n_labels;       /* ground-truth classes over both images */
  gboolean    skip;
} Fixture;

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
}

static gboolean
export_finished (gpointer data)
{
  return ((ExportWait *) data)->done;
}

static gboolean
ground_truth_known (gpointer data)
{
  Fixture *fx = data;
  /* The window's own browser (mcam-window-private.h). */
  GListModel *items = mcam_image_browser_get_items (fx->window->image_browser);

  if (g_list_model_get_n_items (items) != 2)
    return FALSE;
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(McamImageItem) item = g_list_model_get_item (items, i);

      if (!mcam_image_item_has_ground_truth (item))
        return FALSE;
    }
  return TRUE;
}

static void
copy_file (const char *from, const char *to)
{
  g_autofree char *data = NULL;
  gsize len;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_get_contents (from, &data, &len, &error));
  g_assert_true (g_file_set_contents (to, data, len, &error));
  g_assert_no_error (error);
}

static void
fixture_set_up (Fixture *fx, gconstpointer unused)
{
  g_autofree char *model = NULL, *memory = NULL, *demo_images = NULL;
  g_autofree char *labels_path = NULL, *labels = NULL;
  g_autoptr(GString) csv = g_string_new ("file,labels\n");
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = NULL;
  g_autofree char *images_dir = NULL;

  if (!mcam_find_demo (&model, &memory, &demo_images))
    {
      fx->skip = TRUE;
      g_test_skip ("the demo (data/demo) is not there");
      return;
    }
  fx->tmpdir = g_dir_make_tmp ("mcam-batch-XXXXXX", &error);
  g_assert_no_error (error);
  images_dir = g_build_filename (fx->tmpdir, "images", NULL);
  fx->outdir = g_build_filename (fx->tmpdir, "out", NULL);
  g_assert_cmpint (g_mkdir (images_dir, 0700), ==, 0);
  g_assert_cmpint (g_mkdir (fx->outdir, 0700), ==, 0);

  /* The two images and their lines of the demo's labels.csv. */
  labels_path = g_build_filename (demo_images, "labels.csv", NULL);
  g_assert_true (g_file_get_contents (labels_path, &labels, NULL, &error));
  lines = g_strsplit (labels, "\n", -1);
  for (int i = 0; i < 2; i++)
    {
      g_autofree char *from = g_build_filename (demo_images, image_names[i], NULL);
      g_autofree char *prefix = g_strconcat (image_names[i], ",", NULL);

      fx->images[i] = g_build_filename (images_dir, image_names[i], NULL);
      copy_file (from, fx->images[i]);
      g_assert_nonnull (gdk_pixbuf_get_file_info (fx->images[i], &fx->width[i],
                                                  &fx->height[i]));
      for (int l = 0; lines[l] != NULL; l++)
        if (g_str_has_prefix (lines[l], prefix))
          {
            g_auto(GStrv) classes = g_strsplit (lines[l] + strlen (prefix), ";", -1);

            fx->n_labels += g_strv_length (classes);
            g_string_append_printf (csv, "%s\n", lines[l]);
          }
    }
  g_assert_cmpint (fx->n_labels, >=, 2);
  g_free (labels_path);
  labels_path = g_build_filename (images_dir, "labels.csv", NULL);
  g_assert_true (g_file_set_contents (labels_path, csv->str, -1, &error));

  fx->window = mcam_app_test_open_window (model, memory, images_dir);
  /* These tests compare the exported overlay with mcam_overlay_render's:
   * no caption, colour bar or enlargement (test-export-share has those). */
  g_settings_set_boolean (fx->window->settings, "export-caption", FALSE);
  g_settings_set_boolean (fx->window->settings, "export-colorbar", FALSE);
  g_settings_set_int (fx->window->settings, "export-min-width", 0);
  mcam_app_test_wait_for (ground_truth_known, fx, "both images with their ground truth");
  mcam_app_test_settle ();
  g_assert_null (mcam_window_get_error_text (fx->window));
}

static void
fixture_tear_down (Fixture *fx, gconstpointer unused)
{
  if (fx->skip)
    return;
  /* outdir and the images are inside tmpdir */
  mcam_app_test_tear_down (&fx->window, &fx->tmpdir, &fx->outdir, &fx->images[0], &fx->images[1],
                           NULL);
}

static const int chosen_classes[] = { 0, 2 };
static const McamMethod chosen_methods[] = { MCAM_METHOD_CAM, MCAM_METHOD_MCAM };

/* A dialog with classes 0 and 2 and methods CAM and M-CAM ticked, writing
 * into the fixture's out folder. */
static McamBatchExportDialog *
new_dialog (Fixture *fx)
{
  McamBatchExportDialog *dialog = mcam_batch_export_dialog_new (fx->window);
  McamModelInfo *info = mcam_window_get_model_info (fx->window);
  g_autoptr(GFile) out = g_file_new_for_path (fx->outdir);

  gtk_window_present (GTK_WINDOW (dialog));
  mcam_batch_export_dialog_set_folder (dialog, out);
  mcam_batch_export_dialog_set_class_mode (dialog, MCAM_BATCH_CLASSES_CHOSEN);
  for (int c = 0; c < info->n_classes; c++)
    mcam_batch_export_dialog_set_class_chosen (dialog, c, c == chosen_classes[0] ||
                                                          c == chosen_classes[1]);
  for (int m = 0; m < MCAM_N_METHODS; m++)
    mcam_batch_export_dialog_set_method_chosen (dialog, m, m == (int) chosen_methods[0] ||
                                                           m == (int) chosen_methods[1]);
  return dialog;
}

static char *
out_path (Fixture *fx, int image, int class_index, McamMethod method)
{
  McamModelInfo *info = mcam_window_get_model_info (fx->window);
  g_autofree char *stem = g_strndup (image_names[image], strlen (image_names[image]) - 4);
  g_autofree char *cls = g_strdup (info->classes[class_index]);
  g_autofree char *name = NULL;

  /* As the window names them: unsafe characters become '_'. */
  g_strcanon (cls, G_CSET_A_2_Z G_CSET_a_2_z G_CSET_DIGITS "-+.,()", '_');
  name = g_strdup_printf ("%s__%s__%s.png", stem, cls, mcam_method_get_name (method));
  return g_build_filename (fx->outdir, name, NULL);
}

static int
count_files (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  int n = 0;

  while (d != NULL && g_dir_read_name (d) != NULL)
    n++;
  return n;
}

static void
test_modes_count (Fixture *fx, gconstpointer unused)
{
  McamBatchExportDialog *dialog;
  McamModelInfo *info;

  if (fx->skip)
    return;
  info = mcam_window_get_model_info (fx->window);
  dialog = new_dialog (fx);
  g_assert_cmpint (mcam_batch_export_dialog_get_n_overlays (dialog), ==, 2 * 2 * 2);
  mcam_batch_export_dialog_set_class_mode (dialog, MCAM_BATCH_CLASSES_ALL);
  g_assert_cmpint (mcam_batch_export_dialog_get_n_overlays (dialog), ==,
                   2 * info->n_classes * 2);
  mcam_batch_export_dialog_set_class_mode (dialog, MCAM_BATCH_CLASSES_GROUND_TRUTH);
  g_assert_cmpint (mcam_batch_export_dialog_get_n_overlays (dialog), ==, fx->n_labels * 2);
  mcam_batch_export_dialog_set_class_mode (dialog, MCAM_BATCH_CLASSES_TOP_K);
  g_assert_cmpint (mcam_batch_export_dialog_get_n_overlays (dialog), ==, -1);
  gtk_window_destroy (GTK_WINDOW (dialog));
}

/* Runs the dialog's Export; returns once the export ended or, when a
 * question about existing files shows, with that question. */
static GtkWidget *
run_export (Fixture *fx, McamBatchExportDialog *dialog, ExportWait *w)
{
  GtkWidget *question = NULL;
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  w->done = FALSE;
  mcam_batch_export_dialog_export (dialog);
  while (!w->done && (question = mcam_app_test_find_message_dialog ()) == NULL)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  return question;
}

static void
test_export_and_existing (Fixture *fx, gconstpointer unused)
{
  ExportWait w = { 0 };
  g_autofree char *marked = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  GtkWidget *question;
  gulong id;
  int n_removed = 0;

  if (fx->skip)
    return;
  id = g_signal_connect (fx->window, "export-done", G_CALLBACK (export_done_cb), &w);

  /* 2 images × 2 classes × 2 methods, into an empty folder: no question. */
  question = run_export (fx, new_dialog (fx), &w);
  g_assert_null (question);
  g_assert_true (w.ok);
  g_assert_cmpint (count_files (fx->outdir), ==, 8);
  for (int i = 0; i < 2; i++)
    for (int c = 0; c < 2; c++)
      for (int m = 0; m < 2; m++)
        {
          g_autofree char *path = out_path (fx, i, chosen_classes[c], chosen_methods[m]);
          g_autoptr(GdkPixbuf) png = gdk_pixbuf_new_from_file (path, &error);

          g_assert_no_error (error);
          g_assert_cmpint (gdk_pixbuf_get_width (png), ==, fx->width[i]);
          g_assert_cmpint (gdk_pixbuf_get_height (png), ==, fx->height[i]);
        }

  /* One file replaced by a marker, two removed. */
  marked = out_path (fx, 0, chosen_classes[0], chosen_methods[0]);
  g_assert_true (g_file_set_contents (marked, "marker", -1, &error));
  for (int m = 0; m < 2; m++)
    {
      g_autofree char *path = out_path (fx, 1, chosen_classes[1], chosen_methods[m]);

      n_removed += g_remove (path) == 0;
    }
  g_assert_cmpint (n_removed, ==, 2);

  /* Cancel: the question shows before anything is written, and nothing is. */
  question = run_export (fx, new_dialog (fx), &w);
  g_assert_nonnull (question);
  g_assert_false (w.done);
  gtk_dialog_response (GTK_DIALOG (question), GTK_RESPONSE_CANCEL);
  mcam_app_test_settle ();
  g_assert_false (w.done);
  g_assert_cmpint (count_files (fx->outdir), ==, 6);
  g_assert_true (g_file_get_contents (marked, &text, NULL, NULL));
  g_assert_cmpstr (text, ==, "marker");
  g_clear_pointer (&text, g_free);

  /* Skip existing: the two missing files are written, the marker stays. */
  question = run_export (fx, new_dialog (fx), &w);
  g_assert_nonnull (question);
  gtk_dialog_response (GTK_DIALOG (question), RESPONSE_SKIP);
  mcam_app_test_wait_for (export_finished, &w, "the export of the missing files");
  g_assert_true (w.ok);
  g_assert_cmpint (count_files (fx->outdir), ==, 8);
  g_assert_true (g_file_get_contents (marked, &text, NULL, NULL));
  g_assert_cmpstr (text, ==, "marker");
  g_clear_pointer (&text, g_free);

  /* Replace all: the marker becomes an overlay again. */
  question = run_export (fx, new_dialog (fx), &w);
  g_assert_nonnull (question);
  gtk_dialog_response (GTK_DIALOG (question), RESPONSE_REPLACE);
  mcam_app_test_wait_for (export_finished, &w, "the export replacing every file");
  g_assert_true (w.ok);
  g_assert_cmpint (count_files (fx->outdir), ==, 8);
  {
    g_autoptr(GdkPixbuf) png = gdk_pixbuf_new_from_file (marked, &error);

    g_assert_no_error (error);
    g_assert_cmpint (gdk_pixbuf_get_width (png), ==, fx->width[0]);
  }
  g_signal_handler_disconnect (fx->window, id);
}

/* Top k: the classes are ranked on the worker, then exported. */
static void
test_top_k (Fixture *fx, gconstpointer unused)
{
  ExportWait w = { 0 };
  McamBatchExportDialog *dialog;
  gulong id;

  if (fx->skip)
    return;
  id = g_signal_connect (fx->window, "export-done", G_CALLBACK (export_done_cb), &w);
  dialog = new_dialog (fx);
  mcam_batch_export_dialog_set_class_mode (dialog, MCAM_BATCH_CLASSES_TOP_K);
  mcam_batch_export_dialog_set_top_k (dialog, 3);
  mcam_batch_export_dialog_set_method_chosen (dialog, MCAM_METHOD_MCAM, FALSE);
  g_assert_null (run_export (fx, dialog, &w));
  g_assert_true (w.ok);
  g_assert_cmpint (count_files (fx->outdir), ==, 2 * 3);
  g_signal_handler_disconnect (fx->window, id);
}

int
main (int argc, char **argv)
{
  mcam_app_test_init (&argc, &argv);

  g_test_add ("/mcam/app/batch-export/modes-count", Fixture, NULL, fixture_set_up,
              test_modes_count, fixture_tear_down);
  g_test_add ("/mcam/app/batch-export/export-and-existing", Fixture, NULL, fixture_set_up,
              test_export_and_existing, fixture_tear_down);
  g_test_add ("/mcam/app/batch-export/top-k", Fixture, NULL, fixture_set_up, test_top_k,
              fixture_tear_down);
  return g_test_run ();
}
