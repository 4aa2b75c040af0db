/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The train dialog and the bias lens dialog against the real worker, on a
 * tiny committed backbone and a temporary folder of fixture images with
 * labels.csv and boxes.csv: training plots its losses live, loads the new
 * memory into the worker, and Cancel stops it leaving the loaded memory as it
 * was; the bias lens fills a table whose rows add up to the pairs and whose
 * cells list their images. */
#include "config.h"

#include <gtk/gtk.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>
#include <string.h>

#include "mcam-test-util.h"
#define MCAM_APP_TEST_TIMEOUT_S 120
#include "mcam-app-test-util.h"
#include "mcam-worker.h"
#include "mcam-loss-plot.h"
#include "mcam-train-dialog.h"
#include "mcam-bias-lens-dialog.h"

/* ---- a labelled folder: 6 fixture images, classes of net-basic ---------- */

static const char *const images[] = {
  "img-photo.jpg", "img-photo.png", "img-pattern.png", "img-gray.png", "img-rgba.png",
  "img-orient1.jpg",
};
static const char *const labels[] = { "cat", "dog", "cat;dog", "bird", "fish", "dog" };

static char *
make_folder (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("mcam-dialogs-XXXXXX", &error);
  g_autoptr(GString) lcsv = g_string_new ("file,labels\n");
  g_autoptr(GString) bcsv = g_string_new ("file,class,x0,y0,x1,y1\n");
  g_autofree char *lpath = NULL, *bpath = NULL;

  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (images); i++)
    {
      g_autofree char *src = mcam_test_fixture (images[i]);
      g_autofree char *dst = g_build_filename (dir, images[i], NULL);
      g_autofree char *contents = NULL;
      g_auto(GStrv) classes = g_strsplit (labels[i], ";", -1);
      gsize len;
      int w, h;

      g_assert_true (g_file_get_contents (src, &contents, &len, &error));
      g_assert_true (g_file_set_contents (dst, contents, len, &error));
      g_assert_nonnull (gdk_pixbuf_get_file_info (dst, &w, &h));
      g_string_append_printf (lcsv, "%s,%s\n", images[i], labels[i]);
      /* The first class fills the left half, a second one the right half. */
      for (int k = 0; classes[k]; k++)
        g_string_append_printf (bcsv, "%s,%s,%d,0,%d,%d\n", images[i], classes[k],
                                k == 0 ? 0 : w / 2, k == 0 ? w / 2 : w, h);
    }
  lpath = g_build_filename (dir, "labels.csv", NULL);
  bpath = g_build_filename (dir, "boxes.csv", NULL);
  g_assert_true (g_file_set_contents (lpath, lcsv->str, -1, &error));
  g_assert_true (g_file_set_contents (bpath, bcsv->str, -1, &error));
  return dir;
}

/* ---- the worker with the fixture backbone ------------------------------- */

typedef struct
{
  McamModelInfo *info;
  GError        *error;
  gboolean       done;
} LoadWait;

static void
loaded_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  LoadWait *w = user_data;

  w->info = mcam_worker_load_model_finish (MCAM_WORKER (source), res, &w->error);
  w->done = TRUE;
}

static gboolean
load_done (gpointer data)
{
  return ((LoadWait *) data)->done;
}

static McamWorker *
worker_with_model (char **model_path_out)
{
  McamWorker *worker = mcam_worker_new ();
  g_autofree char *model = mcam_test_fixture ("net-basic.safetensors");
  LoadWait w = { 0 };

  mcam_worker_load_model_async (worker, model, NULL, NULL, loaded_cb, &w);
  mcam_app_test_wait_for (load_done, &w, "the model");
  g_assert_no_error (w.error);
  g_assert_nonnull (w.info);
  g_assert_cmpint (w.info->n_classes, ==, 5);
  mcam_model_info_unref (w.info);
  *model_path_out = g_steal_pointer (&model);
  return worker;
}

/* ---- tests ---------------------------------------------------------------- */

static void
test_loss_plot (void)
{
  McamLossPlot *plot = MCAM_LOSS_PLOT (g_object_ref_sink (mcam_loss_plot_new ()));
  const char *names[] = { "a", "b" };
  double v[2] = { 0.5, 0.01 };

  mcam_loss_plot_set_series (plot, names, 2);
  g_assert_cmpint (mcam_loss_plot_get_n_series (plot), ==, 2);
  mcam_loss_plot_add_point (plot, 0.5, v);
  v[1] = NAN;   /* kept, not drawn */
  mcam_loss_plot_add_point (plot, 1.0, v);
  g_assert_cmpint (mcam_loss_plot_get_n_points (plot), ==, 2);
  mcam_loss_plot_set_series (plot, names, 1);
  g_assert_cmpint (mcam_loss_plot_get_n_points (plot), ==, 0);
  g_object_unref (plot);
}

static gboolean
dialog_idle (gpointer data)
{
  return !mcam_train_dialog_is_running (data);
}

static gboolean
has_points (gpointer data)
{
  return mcam_train_dialog_get_n_points (data) > 0 || !mcam_train_dialog_is_running (data);
}

static gboolean
saved_status (gpointer data)
{
  return g_str_has_prefix (mcam_train_dialog_get_status (data), "Saved")
         || g_str_has_prefix (mcam_train_dialog_get_status (data), "Could not");
}

static void
test_train_dialog (void)
{
  g_autofree char *model = NULL;
  g_autofree char *dir = make_folder ();
  g_autoptr(McamWorker) worker = worker_with_model (&model);
  McamTrainDialog *dialog = mcam_train_dialog_new (NULL, worker);
  /* Snapshots: a new one each time a model or memory is installed. */
  McamModelInfo *before = mcam_worker_get_model_info (worker);
  McamModelInfo *after, *after_cancel;

  g_assert_cmpint (before->n_slots, ==, 0);
  gtk_window_present (GTK_WINDOW (dialog));

  /* labels.csv beside the images is found without being named. */
  mcam_train_dialog_set_inputs (dialog, model, dir, NULL, 5, 4);
  mcam_train_dialog_start (dialog);
  g_assert_true (mcam_train_dialog_is_running (dialog));
  mcam_app_test_wait_for (dialog_idle, dialog, "training");
  /* One point per epoch end at least. */
  g_test_message ("loss points plotted: %d", mcam_train_dialog_get_n_points (dialog));
  g_assert_cmpint (mcam_train_dialog_get_n_points (dialog), >=, 4);
  /* The new memory was loaded into the worker. */
  g_test_message ("%s", mcam_train_dialog_get_status (dialog));
  g_assert_true (g_str_has_prefix (mcam_train_dialog_get_status (dialog), "Trained on 6 images and loaded"));
  after = mcam_worker_get_model_info (worker);
  g_assert_nonnull (after);
  g_assert_cmpint (after->n_slots, ==, 5);

  /* Save As writes a memory file that loads with this backbone. */
  {
    g_autofree char *saved = g_build_filename (dir, "trained.safetensors", NULL);
    g_autoptr(McamNet) net = NULL;
    g_autoptr(McamMemory) mem = NULL;
    g_autoptr(GError) error = NULL;

    mcam_train_dialog_save (dialog, saved);
    mcam_app_test_wait_for (saved_status, dialog, "the saved file");
    net = mcam_net_load (model, &error);
    g_assert_no_error (error);
    mem = mcam_memory_load (saved, net, &error);
    g_assert_no_error (error);
    g_assert_cmpint (mem->n_slots, ==, 5);
    g_assert_nonnull (g_hash_table_lookup (mem->metadata, "mcam.memory.train.epochs"));
    /* the layer it was trained for, as mcam train records it */
    g_assert_cmpstr (g_hash_table_lookup (mem->metadata, "mcam.memory.layer"), ==,
                     mcam_net_get_info (net)->target);
  }

  /* A long run, cancelled once it has started: the memory loaded stays. */
  mcam_train_dialog_set_inputs (dialog, NULL, NULL, NULL, 10, 1000);
  mcam_train_dialog_start (dialog);
  mcam_app_test_wait_for (has_points, dialog, "the first loss point");
  mcam_train_dialog_cancel (dialog);
  mcam_app_test_wait_for (dialog_idle, dialog, "the cancellation");
  g_assert_true (g_str_has_prefix (mcam_train_dialog_get_status (dialog), "Training cancelled"));
  after_cancel = mcam_worker_get_model_info (worker);
  g_assert_cmpint (after_cancel->n_slots, ==, 5);

  gtk_window_destroy (GTK_WINDOW (dialog));
  mcam_worker_shutdown (worker);
  mcam_app_test_remove_tree (dir);
}

/* No model loaded in the worker: the backbone is loaded for the job only,
 * the memory is not installed, and Save As writes the dialog's copy. */
static void
test_train_dialog_other_backbone (void)
{
  g_autofree char *model = mcam_test_fixture ("net-basic.safetensors");
  g_autofree char *dir = make_folder ();
  g_autofree char *saved = g_build_filename (dir, "other.safetensors", NULL);
  g_autoptr(McamWorker) worker = mcam_worker_new ();
  McamTrainDialog *dialog = mcam_train_dialog_new (NULL, worker);
  g_autoptr(McamNet) net = NULL;
  g_autoptr(McamMemory) mem = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_null (mcam_worker_get_model_info (worker));
  mcam_train_dialog_set_inputs (dialog, model, dir, NULL, 5, 2);
  mcam_train_dialog_start (dialog);
  mcam_app_test_wait_for (dialog_idle, dialog, "training");
  g_test_message ("%s", mcam_train_dialog_get_status (dialog));
  g_assert_nonnull (strstr (mcam_train_dialog_get_status (dialog), "not the loaded model"));
  g_assert_null (mcam_worker_get_model_info (worker));

  mcam_train_dialog_save (dialog, saved);
  mcam_app_test_wait_for (saved_status, dialog, "the saved file");
  g_assert_true (g_str_has_prefix (mcam_train_dialog_get_status (dialog), "Saved"));
  net = mcam_net_load (model, &error);
  g_assert_no_error (error);
  mem = mcam_memory_load (saved, net, &error);
  g_assert_no_error (error);
  g_assert_cmpint (mem->n_slots, ==, 5);

  gtk_window_destroy (GTK_WINDOW (dialog));
  mcam_worker_shutdown (worker);
  mcam_app_test_remove_tree (dir);
}

static gboolean
lens_idle (gpointer data)
{
  return !mcam_bias_lens_dialog_is_running (data);
}

static void
test_bias_lens (void)
{
  g_autofree char *model = NULL;
  g_autofree char *dir = make_folder ();
  g_autoptr(McamWorker) worker = worker_with_model (&model);
  McamBiasLensDialog *lens = mcam_bias_lens_dialog_new (NULL, worker);
  /* Pairs per class in the folder above: cat 2, dog 3, bird 1, "3" 0, fish 1. */
  const int pairs[5] = { 2, 3, 1, 0, 1 };
  int total = 0;

  gtk_window_present (GTK_WINDOW (lens));
  g_assert_cmpint (mcam_bias_lens_dialog_get_count (lens, 0, MCAM_BIAS_LENS_OWN), ==, -1);

  /* mcam needs a memory and this model has none: a clear failure, no table. */
  mcam_bias_lens_dialog_set_folder (lens, dir);
  mcam_bias_lens_dialog_set_method (lens, MCAM_METHOD_MCAM);
  mcam_bias_lens_dialog_run (lens);
  mcam_app_test_wait_for (lens_idle, lens, "the refused run");
  g_test_message ("%s", mcam_bias_lens_dialog_get_status (lens));
  g_assert_nonnull (strstr (mcam_bias_lens_dialog_get_status (lens), "needs a memory module"));
  g_assert_cmpint (mcam_bias_lens_dialog_get_count (lens, 0, MCAM_BIAS_LENS_OWN), ==, -1);

  /* Cancelled at once: no table, said so. */
  mcam_bias_lens_dialog_set_method (lens, MCAM_METHOD_SCORECAM);
  mcam_bias_lens_dialog_run (lens);
  mcam_bias_lens_dialog_cancel (lens);
  mcam_app_test_wait_for (lens_idle, lens, "the cancelled run");
  g_assert_cmpstr (mcam_bias_lens_dialog_get_status (lens), ==, "Cancelled.");
  g_assert_cmpint (mcam_bias_lens_dialog_get_count (lens, 0, MCAM_BIAS_LENS_OWN), ==, -1);

  /* A folder without boxes.csv is refused with the file named. */
  {
    g_autofree char *boxes = g_build_filename (dir, "boxes.csv", NULL);
    g_autofree char *moved = g_build_filename (dir, "boxes.bak", NULL);
    g_assert_cmpint (g_rename (boxes, moved), ==, 0);
    mcam_bias_lens_dialog_set_folder (lens, dir);
    mcam_bias_lens_dialog_set_method (lens, MCAM_METHOD_CAM);
    mcam_bias_lens_dialog_run (lens);
    mcam_app_test_wait_for (lens_idle, lens, "the run without boxes");
    g_assert_nonnull (strstr (mcam_bias_lens_dialog_get_status (lens), "boxes.csv"));
    g_assert_cmpint (g_rename (moved, boxes), ==, 0);
  }

  mcam_bias_lens_dialog_set_method (lens, MCAM_METHOD_CAM);
  mcam_bias_lens_dialog_run (lens);
  g_assert_true (mcam_bias_lens_dialog_is_running (lens));
  mcam_app_test_wait_for (lens_idle, lens, "the bias lens");

  for (int c = 0; c < 5; c++)
    {
      int sum = 0;
      for (int place = 0; place < MCAM_BIAS_LENS_N_PLACES; place++)
        {
          int n = mcam_bias_lens_dialog_get_count (lens, c, place);
          g_assert_cmpint (n, >=, 0);
          /* A cell lists exactly its images. */
          g_assert_cmpint (mcam_bias_lens_dialog_show_cell (lens, c, place), ==, n);
          sum += n;
        }
      g_test_message ("class %d: %d pairs (own %d, other %d, background %d, no map %d)", c,
                      sum, mcam_bias_lens_dialog_get_count (lens, c, MCAM_BIAS_LENS_OWN),
                      mcam_bias_lens_dialog_get_count (lens, c, MCAM_BIAS_LENS_OTHER),
                      mcam_bias_lens_dialog_get_count (lens, c, MCAM_BIAS_LENS_BACKGROUND),
                      mcam_bias_lens_dialog_get_count (lens, c, MCAM_BIAS_LENS_NO_MAP));
      g_assert_cmpint (sum, ==, pairs[c]);
      total += sum;
    }
  g_assert_cmpint (total, ==, 7);
  /* Class "3" has no box anywhere: no other class's map can land on it. */
  for (int c = 0; c < 5; c++)
    if (c != 3)
      g_assert_cmpint (mcam_bias_lens_dialog_get_count (lens, c, MCAM_BIAS_LENS_OWN)
                       + mcam_bias_lens_dialog_get_count (lens, c, MCAM_BIAS_LENS_OTHER)
                       + mcam_bias_lens_dialog_get_count (lens, c, MCAM_BIAS_LENS_BACKGROUND)
                       + mcam_bias_lens_dialog_get_count (lens, c, MCAM_BIAS_LENS_NO_MAP),
                       ==, pairs[c]);

  gtk_window_destroy (GTK_WINDOW (lens));
  mcam_worker_shutdown (worker);
  mcam_app_test_remove_tree (dir);
}

int
main (int argc, char **argv)
{
  g_autofree char *cache = NULL;
  int status;

  g_setenv ("GSK_RENDERER", "cairo", TRUE);
  g_setenv ("GTK_A11Y", "none", TRUE);
  /* May start the program again (OpenBLAS kernel): make nothing before it. */
  mcam_test_init (&argc, &argv);
  /* The train dialog keeps features in the user's cache folder: a private one. */
  cache = g_dir_make_tmp ("mcam-dialogs-cache-XXXXXX", NULL);
  g_setenv ("XDG_CACHE_HOME", cache, TRUE);
  gtk_init ();

  g_test_add_func ("/mcam/app/loss-plot/points", test_loss_plot);
  g_test_add_func ("/mcam/app/train-dialog/train-load-cancel", test_train_dialog);
  g_test_add_func ("/mcam/app/train-dialog/other-backbone", test_train_dialog_other_backbone);
  g_test_add_func ("/mcam/app/bias-lens/table", test_bias_lens);
  status = g_test_run ();
  mcam_app_test_remove_tree (cache);
  return status;
}
