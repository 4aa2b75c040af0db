/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Issue 12 in the app, under Xvfb: Fit a Re-fit Head… fits on the demo
 * images (λ by 3-fold cross-validation, seed 0) on its own thread, and the
 * head equals mcam_head_fit on the same pooled features and labels, computed
 * here apart from the dialog; the result is unsaved until saved, and the
 * saved file loads back with the same weights. Skipped without data/demo. */

#include "config.h"

#include <gtk/gtk.h>
#include <glib/gstdio.h>
#include <math.h>

#include "mcam-test-util.h"
#include "mcam-app-test-util.h"
#include "mcam-window-test-util.h"
#include "mcam-head-dialog.h"
#include "mcam-layer-chooser.h"
#include "mcam-window-private.h"

static gboolean
head_fitted (gpointer data)
{
  return mcam_head_dialog_get_head (data) != NULL;
}

/* The reference: the same inputs straight through the core. */
static McamHead *
reference_fit (const char *model, const char *layer, const char *images, const char *labels,
               double l2)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(McamNet) net = mcam_net_load (model, &error);
  g_autoptr(McamDataset) ds = NULL;
  g_autoptr(McamFeatureCache) cache = NULL;
  g_autofree float *X = NULL;
  g_autofree McamHeadCvPoint *curve = NULL;
  const McamNetInfo *info;
  McamHeadFitOptions opt;
  McamHead *head;
  int n_curve = 0;

  g_assert_no_error (error);
  if (layer != NULL)
    g_assert_true (mcam_net_set_target (net, layer, &error));
  info = mcam_net_get_info (net);
  ds = mcam_dataset_load (labels, NULL, images, (const char *const *) info->classes,
                          info->n_classes, &error);
  g_assert_no_error (error);
  cache = mcam_feature_cache_open (NULL, net, (const char *const *) ds->paths, ds->n, 16,
                                   NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  X = g_new (float, (gsize) ds->n * info->feat_c);
  mcam_head_pool_features (mcam_feature_cache_get_features (cache), ds->n, info->feat_c,
                           info->feat_h * info->feat_w, X);
  mcam_head_fit_options_init (&opt);
  opt.folds = 3;
  opt.seed = 0;
  opt.l2 = l2;
  opt.multilabel = info->multilabel;
  head = mcam_head_fit (X, ds->labels, ds->n, info->feat_c, info->n_classes, &opt, &curve,
                        &n_curve, NULL, NULL, &error);
  g_assert_no_error (error);
  if (l2 < 0)
    g_assert_cmpint (n_curve, >, 1);
  return head;
}

static void
assert_same_head (const McamHead *a, const McamHead *b)
{
  double max_diff = 0;

  g_assert_cmpint (a->n_classes, ==, b->n_classes);
  g_assert_cmpint (a->c, ==, b->c);
  g_assert_cmpfloat (a->l2, ==, b->l2);
  for (int i = 0; i < a->n_classes * a->c; i++)
    max_diff = MAX (max_diff, fabsf (a->weight[i] - b->weight[i]));
  for (int k = 0; k < a->n_classes; k++)
    max_diff = MAX (max_diff, fabsf (a->bias[k] - b->bias[k]));
  g_test_message ("λ %g; max |dialog - core| over W and b: %g", a->l2, max_diff);
  g_assert_cmpfloat (max_diff, <=, 1e-6);
}

static void
test_fit (void)
{
  g_autofree char *model = NULL, *memory = NULL, *images = NULL, *labels = NULL;
  g_autofree char *image = NULL, *dir = NULL, *out = NULL;
  g_autoptr(McamHead) ref = NULL, saved = NULL;
  g_autoptr(GError) error = NULL;
  McamWindow *window;
  McamHeadDialog *dialog;

  if (!mcam_find_demo (&model, &memory, &images))
    {
      g_test_skip ("no data/demo");
      return;
    }
  labels = g_build_filename (images, "labels.csv", NULL);
  image = g_build_filename (images, "bag-00000.png", NULL);
  window = mcam_app_test_open_window (model, memory, image);

  dialog = mcam_head_dialog_new (window);
  gtk_window_present (GTK_WINDOW (dialog));
  mcam_head_dialog_set_inputs (dialog, images, labels, -1, 3, 0);
  mcam_head_dialog_start (dialog);
  /* Not modal: the window keeps answering while the dialog fits. */
  g_assert_false (gtk_window_get_modal (GTK_WINDOW (dialog)));
  mcam_app_test_wait_for (head_fitted, dialog, "the fitted head");
  g_assert_true (mcam_head_dialog_get_unsaved (dialog));

  ref = reference_fit (model, NULL, images, labels, -1);
  assert_same_head (mcam_head_dialog_get_head (dialog), ref);

  dir = g_dir_make_tmp ("mcam-test-head-dialog-XXXXXX", &error);
  g_assert_no_error (error);
  out = g_build_filename (dir, "fitted.safetensors", NULL);
  g_assert_true (mcam_head_dialog_save_to (dialog, out, &error));
  g_assert_no_error (error);
  g_assert_false (mcam_head_dialog_get_unsaved (dialog));
  saved = mcam_head_load (out, NULL, &error);
  g_assert_no_error (error);
  assert_same_head (saved, ref);

  gtk_window_destroy (GTK_WINDOW (dialog));
  gtk_window_destroy (GTK_WINDOW (window));
  g_unlink (out);
  g_rmdir (dir);
}

static gboolean
layer_listed (gpointer data)
{
  return mcam_layer_chooser_get_layer (data) != NULL;
}

static gboolean
layer_explained (gpointer data)
{
  McamWindow *window = data;
  McamModelInfo *info = mcam_window_get_model_info (window);
  const char *want = g_object_get_data (G_OBJECT (window), "test-layer");

  return info != NULL && g_strcmp0 (info->target, want) == 0;
}

/* The dialog fits at the layer chosen in the header's layer chooser, not at
 * the model's default: on the demo, an inner layer (other channels than the
 * default's) chosen in the chooser, a tiny image set and a fixed λ, the
 * fitted head reads that layer's channels, equals the core's fit on that
 * layer's pooled features, and its file records the chooser's layer (a net
 * at the default layer refuses it; one at the chosen layer takes it). */
static void
test_layer (void)
{
  g_autofree char *model = NULL, *memory = NULL, *images = NULL, *image = NULL;
  g_autofree char *dir = NULL, *labels = NULL, *out = NULL, *all = NULL;
  g_autoptr(McamHead) ref = NULL, saved = NULL;
  g_autoptr(McamNet) net = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) layers = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GString) tiny = g_string_new (NULL);
  const McamHead *head;
  const char *inner = NULL;
  const char *def;
  McamLayerChooser *chooser;
  McamHeadDialog *dialog;
  McamWindow *window;

  if (!mcam_find_demo (&model, &memory, &images))
    {
      g_test_skip ("no data/demo");
      return;
    }
  net = mcam_net_load (model, &error);
  g_assert_no_error (error);
  def = mcam_net_get_info (net)->target;
  layers = mcam_net_list_layers (net);
  /* The last layer before the default whose channels differ from it. */
  for (guint i = g_strv_length (layers); i-- > 0 && inner == NULL;)
    {
      g_autoptr(McamNet) probe = mcam_net_load (model, NULL);

      if (mcam_net_set_target (probe, layers[i], NULL) &&
          mcam_net_get_info (probe)->feat_c != mcam_net_get_info (net)->feat_c)
        inner = layers[i];
    }
  g_assert_nonnull (inner);
  g_test_message ("fit at %s (default %s)", inner, def);

  /* Ten images of the demo folder. */
  dir = g_dir_make_tmp ("mcam-test-head-layer-XXXXXX", &error);
  g_assert_no_error (error);
  all = g_build_filename (images, "labels.csv", NULL);
  {
    g_autofree char *text = NULL;

    g_assert_true (g_file_get_contents (all, &text, NULL, &error));
    lines = g_strsplit (text, "\n", -1);
  }
  for (guint i = 0; i < 11 && lines[i] != NULL; i++)
    g_string_append_printf (tiny, "%s\n", lines[i]);
  labels = g_build_filename (dir, "labels.csv", NULL);
  g_assert_true (g_file_set_contents (labels, tiny->str, -1, &error));

  image = g_build_filename (images, "bag-00000.png", NULL);
  window = mcam_app_test_open_window (model, NULL, image);
  chooser = MCAM_LAYER_CHOOSER (mcam_app_test_find_widget (
              gtk_window_get_titlebar (GTK_WINDOW (window)), MCAM_TYPE_LAYER_CHOOSER));
  g_assert_nonnull (chooser);
  dialog = mcam_head_dialog_new (window);
  gtk_window_present (GTK_WINDOW (dialog));
  g_assert_cmpstr (mcam_head_dialog_get_layer (dialog), ==, def);

  /* Chosen while the dialog is open: the dialog follows. */
  g_object_set_data_full (G_OBJECT (window), "test-layer", g_strdup (inner), g_free);
  mcam_app_test_wait_for (layer_listed, chooser, "the layer list");
  g_assert_true (mcam_layer_chooser_select (chooser, inner));
  mcam_app_test_wait_for (layer_explained, window, "the inner layer explained");
  mcam_app_test_settle ();
  g_assert_cmpstr (mcam_head_dialog_get_layer (dialog), ==, inner);

  mcam_head_dialog_set_inputs (dialog, images, labels, 1e-2, 5, 0);
  mcam_head_dialog_start (dialog);
  mcam_app_test_wait_for (head_fitted, dialog, "the head at the inner layer");
  head = mcam_head_dialog_get_head (dialog);
  g_assert_cmpstr (head->layer, ==, inner);
  g_assert_cmpint (head->n_images, ==, 10);
  ref = reference_fit (model, inner, images, labels, 1e-2);
  g_assert_cmpint (ref->c, !=, mcam_net_get_info (net)->feat_c);
  assert_same_head (head, ref);

  out = g_build_filename (dir, "inner.safetensors", NULL);
  g_assert_true (mcam_head_dialog_save_to (dialog, out, &error));
  g_assert_no_error (error);
  saved = mcam_head_load (out, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (saved->layer, ==, inner);
  {
    g_autoptr(McamHead) refused = mcam_head_load (out, net, &error);

    g_assert_null (refused);
    g_assert_error (error, MCAM_ERROR, MCAM_ERROR_MISMATCH);
    g_test_message ("at the default layer: %s", error->message);
    g_clear_error (&error);
  }
  {
    g_autoptr(McamHead) taken = NULL;

    g_assert_true (mcam_net_set_target (net, inner, &error));
    taken = mcam_head_load (out, net, &error);
    g_assert_no_error (error);
    g_assert_nonnull (taken);
  }

  gtk_window_destroy (GTK_WINDOW (dialog));
  gtk_window_destroy (GTK_WINDOW (window));
  g_unlink (out);
  g_unlink (labels);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  mcam_app_test_init (&argc, &argv);

  g_test_add_func ("/mcam/app/head-dialog/fit", test_fit);
  g_test_add_func ("/mcam/app/head-dialog/layer", test_layer);
  return g_test_run ();
}
