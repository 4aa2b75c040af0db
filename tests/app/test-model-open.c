/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Opening models in the app: ONNX exports open and show a map; a PyTorch
 * checkpoint, chosen in the Open Model dialog (its filter shows .pth/.pt) or
 * dropped on the window, gets the core's refusal with the way in, in the
 * error bar; a classes.txt beside the model names the classes, as in the
 * CLI. */

#include "config.h"

#include <gtk/gtk.h>
#include <glib/gstdio.h>
#include <string.h>

#include "mcam-test-util.h"
#include "mcam-app-test-util.h"
#include "mcam-window-test-util.h"
#include "mcam-worker.h"

static gboolean
error_shown (gpointer data)
{
  return mcam_window_get_error_text (data) != NULL;
}

static gboolean
model_loaded (gpointer data)
{
  return mcam_window_get_model_info (data) != NULL;
}

static void
check_pytorch_refusal (McamWindow *window, const char *file)
{
  const char *text;

  mcam_app_test_wait_for (error_shown, window, "the error bar");
  text = mcam_window_get_error_text (window);
  g_test_message ("%s", text);
  g_assert_nonnull (strstr (text, file));
  g_assert_nonnull (strstr (text, "PyTorch"));
  g_assert_nonnull (strstr (text, "tools/export_model.py"));
  g_assert_null (strstr (text, "header claims"));
  g_assert_null (mcam_window_get_model_info (window));
}

static void
test_pytorch_refused (void)
{
  g_autofree char *zip = mcam_test_fixture ("onnx-reader/state-dict.pth");
  g_autofree char *pickle = mcam_test_fixture ("onnx-reader/legacy.pth");
  McamWindow *window = mcam_window_new (NULL);

  gtk_window_present (GTK_WINDOW (window));
  /* as the Open Model dialog does with the chosen file */
  mcam_window_load_model (window, zip, NULL);
  check_pytorch_refusal (window, "state-dict.pth");
  mcam_window_clear_error (window);

  /* dropped on the window: taken as a model, not as an image */
  {
    g_autoptr(GFile) file = g_file_new_for_path (pickle);

    mcam_window_open_files (window, &file, 1);
    check_pytorch_refusal (window, "legacy.pth");
  }
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_classes_beside (void)
{
  g_autofree char *model = mcam_test_fixture ("net-basic.safetensors");
  g_autofree char *dir = g_dir_make_tmp ("mcam-model-open-XXXXXX", NULL);
  g_autofree char *copy = g_build_filename (dir, "net.safetensors", NULL);
  g_autofree char *classes = g_build_filename (dir, "classes.txt", NULL);
  g_autofree char *contents = NULL;
  GString *names = g_string_new (NULL);
  McamModelInfo *info;
  McamWindow *window;
  gsize len;
  int n;

  g_assert_true (g_file_get_contents (model, &contents, &len, NULL));
  g_assert_true (g_file_set_contents (copy, contents, len, NULL));

  /* the model's class count first, from the file without a classes.txt */
  window = mcam_window_new (NULL);
  gtk_window_present (GTK_WINDOW (window));
  mcam_window_load_model (window, copy, NULL);
  mcam_app_test_wait_for (model_loaded, window, "the model");
  n = mcam_window_get_model_info (window)->n_classes;
  gtk_window_destroy (GTK_WINDOW (window));

  for (int i = 0; i < n; i++)
    g_string_append_printf (names, "class number %d\n", i);
  g_assert_true (g_file_set_contents (classes, names->str, -1, NULL));
  g_string_free (names, TRUE);

  window = mcam_window_new (NULL);
  gtk_window_present (GTK_WINDOW (window));
  mcam_window_load_model (window, copy, NULL);
  mcam_app_test_wait_for (model_loaded, window, "the model with classes.txt");
  info = mcam_window_get_model_info (window);
  g_assert_cmpint (info->n_classes, ==, n);
  for (int i = 0; i < n; i++)
    {
      g_autofree char *want = g_strdup_printf ("class number %d", i);
      g_assert_cmpstr (info->classes[i], ==, want);
    }
  gtk_window_destroy (GTK_WINDOW (window));
  mcam_app_test_remove_tree (dir);
}

/* Two ONNX exports (tools/make_onnx_model_fixtures.py), opened as the Open
 * Model dialog does, each showing its first map. */
static void
test_onnx_opens (void)
{
  static const char *const models[] = { "onnx/resnet.onnx", "onnx/densenet.onnx" };

  for (gsize i = 0; i < G_N_ELEMENTS (models); i++)
    {
      g_autofree char *model = mcam_test_fixture (models[i]);
      g_autofree char *image = mcam_test_fixture ("img-photo.png");
      McamWindow *window = mcam_app_test_open_window (model, NULL, image);
      McamModelInfo *info = mcam_window_get_model_info (window);

      g_assert_cmpstr (info->model_path, ==, model);
      g_assert_cmpint (info->n_classes, ==, 5);
      g_assert_cmpstr (info->classes[4], ==, "frog");
      g_assert_null (mcam_window_get_error_text (window));
      gtk_window_destroy (GTK_WINDOW (window));
    }
}

int
main (int argc, char **argv)
{
  mcam_app_test_init (&argc, &argv);

  g_test_add_func ("/mcam/app/model-open/onnx", test_onnx_opens);
  g_test_add_func ("/mcam/app/model-open/pytorch-refused", test_pytorch_refused);
  g_test_add_func ("/mcam/app/model-open/classes-beside", test_classes_beside);
  return g_test_run ();
}
