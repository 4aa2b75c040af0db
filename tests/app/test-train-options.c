/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Issue 11, item 4 (gap 1), under Xvfb: every `mcam train` option reaches
 * the core trainer from the train dialog. The dialog and `mcam train` get the
 * same values — slots and epochs (batch, learning rate, scale, init and seed
 * at their defaults, the CLI's) and the three the dialog lacked: --val,
 * --val-images, --classes — and must
 * give the same memory (every tensor) and the same validation mAP. The
 * inputs are chosen so that a dropped option shows: the class names file
 * permutes net-basic's names (labels then map to other outputs), the
 * validation images live only in their own folder, and the validation mAP
 * exists only with --val. Also: validation images without validation labels
 * grey Train and say why. */

#include "config.h"

#include <gtk/gtk.h>
#include <math.h>
#include <string.h>

#include "mcam-test-util.h"
#include "mcam-app-test-util.h"
#include "mcam-train-dialog.h"
#include "mcam/mcam-memory.h"
#include "mcam/mcam-net.h"

static const char *const train_images[] = {
  "img-photo.jpg", "img-photo.png", "img-pattern.png", "img-gray.png", "img-rgba.png",
  "img-orient1.jpg",
};
static const char *const train_labels[] = { "cat", "dog", "cat;dog", "bird", "fish", "dog" };
static const char *const val_images[] = { "img-orient2.jpg", "img-orient3.jpg", "img-pattern.bmp" };
static const char *const val_labels[] = { "dog", "cat", "bird" };

static void
copy_images (const char *dir, const char *const *images, const char *const *labels, guint n,
             const char *csv_name)
{
  g_autoptr(GString) csv = g_string_new ("file,labels\n");
  g_autofree char *csv_path = g_build_filename (dir, csv_name, NULL);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *src = mcam_test_fixture (images[i]);
      g_autofree char *dst = g_build_filename (dir, images[i], NULL);
      g_autofree char *contents = NULL;
      gsize len;

      g_assert_true (g_file_get_contents (src, &contents, &len, &error));
      g_assert_true (g_file_set_contents (dst, contents, len, &error));
      g_string_append_printf (csv, "%s,%s\n", images[i], labels[i]);
    }
  g_assert_true (g_file_set_contents (csv_path, csv->str, -1, &error));
}

static gboolean
dialog_idle (gpointer data)
{
  return !mcam_train_dialog_is_running (data);
}

static gboolean
saved_status (gpointer data)
{
  return g_str_has_prefix (mcam_train_dialog_get_status (data), "Saved");
}

static void
assert_close (const char *what, const float *a, const float *b, gsize n)
{
  double worst = 0.0;

  for (gsize i = 0; i < n; i++)
    worst = MAX (worst, fabs ((double) a[i] - b[i]));
  g_test_message ("%s: max |dialog - cli| = %.3g over %" G_GSIZE_FORMAT " values", what, worst,
                  n);
  /* the dialog and the CLI may run BLAS on different thread counts: last bits only */
  g_assert_cmpfloat (worst, <=, 1e-4);
}

static void
test_same_as_cli (void)
{
  g_autofree char *model = mcam_test_fixture ("net-basic.safetensors");
  g_autofree char *mcam = g_build_filename (g_getenv ("MCAM_BUILD_DIR"), "src", "cli", "mcam",
                                            NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("mcam-train-options-XXXXXX", &error);
  g_autofree char *tdir = g_build_filename (dir, "train", NULL);
  g_autofree char *vdir = g_build_filename (dir, "val", NULL);
  g_autofree char *vcsv = g_build_filename (dir, "val.csv", NULL);
  g_autofree char *classes = g_build_filename (dir, "names.txt", NULL);
  g_autofree char *app_out = g_build_filename (dir, "app.safetensors", NULL);
  g_autofree char *cli_out = g_build_filename (dir, "cli.safetensors", NULL);
  g_autofree char *cli_stdout = NULL, *cli_stderr = NULL;
  g_autoptr(McamWorker) worker = mcam_worker_new ();
  g_autoptr(McamNet) net = NULL;
  g_autoptr(McamMemory) app_mem = NULL, cli_mem = NULL;
  McamTrainDialog *dialog;
  const char *line;
  double cli_map;
  int status;
  gsize n;

  g_assert_no_error (error);
  g_assert_cmpint (g_mkdir (tdir, 0700), ==, 0);
  g_assert_cmpint (g_mkdir (vdir, 0700), ==, 0);
  copy_images (tdir, train_images, train_labels, G_N_ELEMENTS (train_images), "labels.csv");
  copy_images (vdir, val_images, val_labels, G_N_ELEMENTS (val_images), "labels.csv");
  /* the validation CSV outside its image folder: --val-images is needed */
  {
    g_autofree char *in_vdir = g_build_filename (vdir, "labels.csv", NULL);
    g_assert_cmpint (g_rename (in_vdir, vcsv), ==, 0);
  }
  /* net-basic's outputs are cat, dog, bird, 3, fish: the file permutes them */
  g_assert_true (g_file_set_contents (classes, "fish\nbird\n3\ndog\ncat\n", -1, &error));

  dialog = mcam_train_dialog_new (NULL, worker);
  gtk_window_present (GTK_WINDOW (dialog));

  /* validation images alone: Train is greyed and says why */
  mcam_train_dialog_set_inputs (dialog, model, tdir, NULL, 10, 3);
  mcam_train_dialog_set_extra_inputs (dialog, NULL, vdir, NULL);
  mcam_train_dialog_start (dialog);
  g_assert_false (mcam_train_dialog_is_running (dialog));
  g_test_message ("%s", mcam_train_dialog_get_status (dialog));
  g_assert_nonnull (strstr (mcam_train_dialog_get_status (dialog), "validation labels"));

  mcam_train_dialog_set_extra_inputs (dialog, vcsv, NULL, classes);
  mcam_train_dialog_start (dialog);
  g_assert_true (mcam_train_dialog_is_running (dialog));
  mcam_app_test_wait_for (dialog_idle, dialog, "training");
  g_test_message ("%s", mcam_train_dialog_get_status (dialog));
  g_assert_true (g_str_has_prefix (mcam_train_dialog_get_status (dialog), "Trained on 6 images"));
  g_assert_false (isnan (mcam_train_dialog_get_val_map (dialog)));
  mcam_train_dialog_save (dialog, app_out);
  mcam_app_test_wait_for (saved_status, dialog, "the saved file");

  /* the CLI with the same values: the dialog's defaults for what was not
   * set (batch 128, lr 1e-3, scale 10, init class, seed 0) are the CLI's */
  {
    const char *argv[] = { mcam, "train", "-m", model, "--images", tdir, "--labels",
                           NULL, "--slots", "10", "--epochs", "3", "--val", vcsv,
                           "--val-images", vdir, "--classes", classes, "-o", cli_out, NULL };
    g_autofree char *labels = g_build_filename (tdir, "labels.csv", NULL);

    argv[7] = labels;
    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                                 &cli_stdout, &cli_stderr, &status, &error));
    g_assert_no_error (error);
    if (!g_spawn_check_wait_status (status, NULL))
      g_error ("mcam train failed: %s", cli_stderr);
  }
  line = strstr (cli_stdout, "validation mAP: memory classifier ");
  g_assert_nonnull (line);
  cli_map = g_ascii_strtod (line + strlen ("validation mAP: memory classifier "), NULL);
  g_test_message ("validation mAP: dialog %.6f, mcam train %.4f",
                  mcam_train_dialog_get_val_map (dialog), cli_map);
  g_assert_cmpfloat_with_epsilon (mcam_train_dialog_get_val_map (dialog), cli_map, 6e-5);

  net = mcam_net_load (model, &error);
  g_assert_no_error (error);
  app_mem = mcam_memory_load (app_out, net, &error);
  g_assert_no_error (error);
  cli_mem = mcam_memory_load (cli_out, net, &error);
  g_assert_no_error (error);
  g_assert_cmpint (app_mem->n_slots, ==, cli_mem->n_slots);
  g_assert_cmpfloat (app_mem->scale, ==, cli_mem->scale);
  n = (gsize) app_mem->n_slots * app_mem->c;
  assert_close ("K", app_mem->K, cli_mem->K, n);
  assert_close ("V", app_mem->V, cli_mem->V, n);
  assert_close ("S", app_mem->S, cli_mem->S, n * app_mem->h * app_mem->w);
  assert_close ("fc_w", app_mem->fc_w, cli_mem->fc_w,
                (gsize) app_mem->n_classes * 2 * app_mem->c);
  assert_close ("fc_b", app_mem->fc_b, cli_mem->fc_b, app_mem->n_classes);

  gtk_window_destroy (GTK_WINDOW (dialog));
  mcam_worker_shutdown (worker);
  mcam_app_test_remove_tree (dir);
}

int
main (int argc, char **argv)
{
  mcam_app_test_init (&argc, &argv);

  g_test_add_func ("/mcam/app/train-options/same-as-cli", test_same_as_cli);
  return g_test_run ();
}
