/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Issue 12 in the app, under Xvfb: a re-fit head loaded beside the demo
 * model puts its scores in the class list's third column, and they are the
 * core's (mcam_head_scores on the image's own features, computed here apart
 * from the app); a head fitted on another backbone is refused with the
 * core's message; unloading takes the column away. Needs the demo's shipped
 * heads (skipped without data/demo). */

#include "config.h"

#include <gtk/gtk.h>
#include <math.h>
#include <string.h>
#include <glib/gstdio.h>

#include "mcam-test-util.h"
#include "mcam-app-test-util.h"
#include "mcam-window-test-util.h"
#include "mcam-class-item.h"
#include "mcam-class-list.h"
#include "mcam-class-row.h"
#include "mcam/mcam-dataset.h"
#include "mcam/mcam-head-verdict.h"
#include "mcam-bias-lens-dialog.h"
#include "mcam-compare-window.h"
#include "mcam-head-lens.h"
#include "mcam-head-pair.h"
#include "mcam-window-private.h"

static gboolean
head_column_shown (gpointer data)
{
  McamWindow *window = data;

  return mcam_class_list_get_head_score (window->class_list, 0) >= 0;
}

static gboolean
error_shown (gpointer data)
{
  return mcam_window_get_error_text (data) != NULL;
}

/* The core's scores of the head on the image, apart from the app. */
static float *
reference_scores (const char *model, const char *head_path, const char *image_path, int *n)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(McamNet) net = mcam_net_load (model, &error);
  g_autoptr(McamImage) image = NULL;
  g_autoptr(McamAnalysis) a = NULL;
  g_autoptr(McamHead) head = NULL;
  g_autofree float *logits = NULL;
  float *scores;

  g_assert_no_error (error);
  image = mcam_image_load (image_path, 0, &error);
  g_assert_no_error (error);
  a = mcam_analysis_new (net, NULL, image, NULL, &error);
  g_assert_no_error (error);
  head = mcam_head_load (head_path, net, &error);
  g_assert_no_error (error);
  logits = g_new (float, head->n_classes);
  scores = g_new (float, head->n_classes);
  mcam_head_logits_from_features (head, a->features, a->h * a->w, logits);
  mcam_head_scores (head, logits, scores);
  *n = head->n_classes;
  return scores;
}

/* The shipped re-fit head of the demo model mcam_find_demo gives. */
static char *
demo_head_for (const char *model, const char *images)
{
  static const char *const names[] = { "fashion-mosaic-refit-head.safetensors",
                                       "fashion-longtail-refit-head.safetensors" };
  g_autoptr(McamNet) net = mcam_net_load (model, NULL);

  g_assert_nonnull (net);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_build_filename (images, "..", names[i], NULL);
      g_autoptr(McamHead) head = mcam_head_load (path, net, NULL);

      if (head != NULL)
        return g_steal_pointer (&path);
    }
  return NULL;
}

/* The demo's head as if fitted on another backbone (its recorded
 * fingerprint changed), in a temporary file. */
static char *
make_other_backbone_head (const char *head_path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(McamHead) head = mcam_head_load (head_path, NULL, &error);
  g_autofree char *dir = NULL;
  char *path;

  g_assert_no_error (error);
  dir = g_dir_make_tmp ("mcam-test-head-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (dir, "other-backbone-head.safetensors", NULL);
  g_free (head->backbone);
  head->backbone = g_strdup ("0000000000000000000000000000000000000000000000000000000000000000");
  g_assert_true (mcam_head_save (head, path, &error));
  g_assert_no_error (error);
  return path;
}

static void
test_third_column (void)
{
  g_autofree char *model = NULL, *memory = NULL, *images = NULL;
  g_autofree char *image = NULL, *head = NULL, *other = NULL;
  g_autofree float *ref = NULL;
  g_autoptr(GError) error = NULL;
  McamWindow *window;
  McamClassRow *row;
  int n = 0;

  if (!mcam_find_demo (&model, &memory, &images))
    {
      g_test_skip ("no data/demo");
      return;
    }
  head = demo_head_for (model, images);
  if (head == NULL)
    {
      g_test_skip ("no re-fit head for the demo model in data/demo");
      return;
    }
  other = make_other_backbone_head (head);
  image = g_build_filename (images, "pairs-00003.png", NULL);
  window = mcam_app_test_open_window (model, memory, image);

  /* A head of another backbone: refused with the core's own message. */
  {
    g_autoptr(McamNet) net = mcam_net_load (model, &error);
    g_autoptr(McamHead) refused = NULL;

    g_assert_no_error (error);
    refused = mcam_head_load (other, net, &error);
    g_assert_null (refused);
    g_assert_nonnull (error);
    mcam_window_clear_error (window);
    _mcam_window_load_head (window, other);
    mcam_app_test_wait_for (error_shown, window, "the refusal");
    g_test_message ("refusal: %s", mcam_window_get_error_text (window));
    g_assert_nonnull (strstr (mcam_window_get_error_text (window), error->message));
    g_assert_null (_mcam_window_get_head (window));
    g_clear_error (&error);
  }

  /* Told apart from a model by its header: dropped (open_files, as the
   * drop target calls it), it is loaded as the head. */
  g_assert_true (_mcam_head_file_is_head (head));
  g_assert_false (_mcam_head_file_is_head (model));
  {
    g_autoptr(GFile) file = g_file_new_for_path (head);

    mcam_window_open_files (window, &file, 1);
  }
  mcam_app_test_wait_for (head_column_shown, window, "the re-fit head's column");
  ref = reference_scores (model, head, image, &n);
  g_assert_cmpint (n, ==, window->model->n_classes);
  for (int c = 0; c < n; c++)
    {
      double shown = mcam_class_list_get_head_score (window->class_list, c);

      g_test_message ("class %d: shown %.3f, core %.6f", c, shown, ref[c]);
      g_assert_cmpint (lround (shown * 1000), ==, lround (MIN (ref[c], 1.0f) * 1000.0));
    }

  /* The row draws it: the top row's third column names its class's score. */
  mcam_app_test_settle ();
  row = MCAM_CLASS_ROW (mcam_app_test_find_widget (GTK_WIDGET (window->class_list),
                                                   MCAM_TYPE_CLASS_ROW));
  g_assert_nonnull (row);
  {
    McamClassItem *item = mcam_class_row_get_item (row);
    int c = mcam_class_item_get_index (item);
    long centi = lround (ref[c] * 100);
    g_autofree char *want = g_strdup_printf ("%ld.%02ld", centi / 100, centi % 100);
    graphene_rect_t bar, target;

    g_assert_cmpstr (mcam_class_row_get_head_text (row), ==, want);
    g_assert_true (mcam_class_row_get_head_bar_rect (row, &bar));
    g_assert_true (mcam_class_row_get_bar_rect (row, FALSE, &target));
    g_assert_cmpfloat (bar.origin.x + bar.size.width, <, target.origin.x);
  }

  /* A new image: the column follows it. */
  {
    g_autofree char *image2 = g_build_filename (images, "test-00004.png", NULL);
    g_autoptr(GFile) file = g_file_new_for_path (image2);
    g_autofree float *ref2 = NULL;
    gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
    gboolean same = FALSE;

    mcam_window_open_files (window, &file, 1);
    ref2 = reference_scores (model, head, image2, &n);
    while (!same && g_get_monotonic_time () < deadline)
      {
        same = TRUE;
        for (int c = 0; c < n && same; c++)
          same = lround (mcam_class_list_get_head_score (window->class_list, c) * 1000) ==
                 lround (MIN (ref2[c], 1.0f) * 1000.0);
        g_main_context_iteration (NULL, FALSE);
        g_usleep (1000);
      }
    g_assert_true (same);
  }

  /* Side by side: the right map is the core's map of the head (CAM, the
   * Sneaker class where the demo has one, else class 0), the left one the
   * network's own. */
  {
    g_autofree char *image2 = g_build_filename (images, "test-00004.png", NULL);
    g_autoptr(McamNet) net = mcam_net_load (model, &error);
    g_autoptr(McamImage) img = mcam_image_load (image2, 0, NULL);
    g_autoptr(McamAnalysis) a = NULL;
    g_autoptr(McamHead) h = NULL;
    McamHeadPair *pair = NULL;
    int k = 0;
    gint64 deadline;

    g_assert_no_error (error);
    for (int c = 0; c < window->model->n_classes; c++)
      if (g_strcmp0 (window->model->classes[c], "Sneaker") == 0)
        k = c;
    mcam_window_set_method (window, MCAM_METHOD_CAM);
    mcam_window_select_class (window, k);
    _mcam_window_set_head_side_by_side (window, TRUE);
    deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
    while (g_get_monotonic_time () < deadline)
      {
        pair = _mcam_window_get_head_pair (window);
        if (pair != NULL && mcam_head_pair_get_request (pair)->class_index == k &&
            mcam_head_pair_get_request (pair)->method == MCAM_METHOD_CAM)
          break;
        pair = NULL;
        g_main_context_iteration (NULL, FALSE);
        g_usleep (1000);
      }
    g_assert_nonnull (pair);
    g_assert_false (gtk_widget_get_visible (GTK_WIDGET (window->overlay_view)));
    a = mcam_analysis_new (net, NULL, img, NULL, &error);
    g_assert_no_error (error);
    h = mcam_head_load (head, net, &error);
    g_assert_no_error (error);
    for (int side = 0; side < 2; side++)
      {
        McamExplainOptions opts;
        g_autoptr(McamExplanation) want = NULL;
        const McamExplanation *got = mcam_head_pair_get_explanation (pair, side == 1);
        double max_diff = 0, max_lr = 0;

        mcam_explain_options_init (&opts);
        opts.head = side == 1 ? h : NULL;
        want = mcam_explain (a, k, MCAM_METHOD_CAM, &opts, NULL, &error);
        g_assert_no_error (error);
        g_assert_nonnull (got);
        g_assert_cmpint (got->h * got->w, ==, want->h * want->w);
        for (int i = 0; i < want->h * want->w; i++)
          max_diff = MAX (max_diff, fabsf (got->map[i] - want->map[i]));
        g_test_message ("side %d: max |app - core| = %g", side, max_diff);
        g_assert_cmpfloat (max_diff, <=, 1e-6);
        if (side == 1)
          {
            const McamExplanation *left = mcam_head_pair_get_explanation (pair, FALSE);

            for (int i = 0; i < want->h * want->w; i++)
              max_lr = MAX (max_lr, fabsf (left->map[i] - want->map[i]));
            g_test_message ("network vs re-fit head map: max diff %g", max_lr);
          }
      }
    _mcam_window_set_head_side_by_side (window, FALSE);
    g_assert_true (gtk_widget_get_visible (GTK_WIDGET (window->overlay_view)));
  }

  /* Unloaded: the column goes. */
  _mcam_window_unload_head (window);
  g_assert_null (_mcam_window_get_head (window));
  g_assert_cmpfloat (mcam_class_list_get_head_score (window->class_list, 0), <, 0);

  gtk_window_destroy (GTK_WINDOW (window));
  g_unlink (other);
  {
    g_autofree char *dir = g_path_get_dirname (other);

    g_rmdir (dir);
  }
}

typedef gboolean (*WidgetTest) (GtkWidget *widget, const char *text);

/* The first widget under root (root included) that passes `test`. */
static GtkWidget *
find_widget_where (GtkWidget *root, WidgetTest test, const char *text)
{
  if (test (root, text))
    return root;
  for (GtkWidget *c = gtk_widget_get_first_child (root); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_widget_where (c, test, text);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* The head selectors are found as a user finds them: by their tooltip. */
static gboolean
tooltip_starts (GtkWidget *widget, const char *prefix)
{
  const char *tip = gtk_widget_get_tooltip_text (widget);

  return tip != NULL && g_str_has_prefix (tip, prefix);
}

static gboolean
label_holds (GtkWidget *widget, const char *text)
{
  return GTK_IS_LABEL (widget) && gtk_widget_get_visible (widget) &&
         strstr (gtk_label_get_text (GTK_LABEL (widget)), text) != NULL;
}

static gboolean
head_loaded (gpointer data)
{
  return _mcam_window_get_head (data) != NULL;
}

static gboolean
view_idle (gpointer data)
{
  return !mcam_compare_view_is_busy (data);
}

/* The main demo (fashion-mosaic-resnet and its memory) on pairs-00003.png,
 * a Sneaker + Ankle boot pair, and its shipped re-fit head's path; NULL
 * (the test skipped) without them. */
static McamWindow *
open_mosaic_demo (char **model, char **images, char **head_path)
{
  g_autofree char *memory = NULL, *image = NULL;

  if (!mcam_find_demo (model, &memory, images))
    {
      g_test_skip ("no data/demo");
      return NULL;
    }
  *head_path = g_build_filename (*images, "..", "fashion-mosaic-refit-head.safetensors", NULL);
  if (!g_file_test (*head_path, G_FILE_TEST_IS_REGULAR) ||
      !g_str_has_suffix (*model, "fashion-mosaic-resnet.safetensors"))
    {
      g_test_skip ("the demo is not fashion-mosaic-resnet with its re-fit head");
      return NULL;
    }
  image = g_build_filename (*images, "pairs-00003.png", NULL);
  return mcam_app_test_open_window (*model, memory, image);
}

static int
class_named (McamWindow *window, const char *name)
{
  for (int c = 0; c < window->model->n_classes; c++)
    if (g_strcmp0 (window->model->classes[c], name) == 0)
      return c;
  return 0;
}

/* The tile of this method, or -1. */
static int
find_tile (McamCompareView *view, McamMethod m)
{
  for (guint i = 0; i < mcam_compare_view_get_n_tiles (view); i++)
    if (mcam_compare_view_get_tile_method (view, i) == m)
      return (int) i;
  return -1;
}

/* max |tile's map - the core's map of class k by `m` under `head` (NULL:
 * the network's)|, the core's map brought onto the same image as the job
 * does (mcam_map_to_image). */
static double
tile_vs_core (McamCompareView *view, int tile, McamNet *net, McamAnalysis *a,
              const McamImage *img, const McamHead *head, int k, McamMethod m)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(McamExplanation) e = NULL;
  g_autofree float *want = NULL;
  McamExplainOptions opts;
  const float *got;
  double max_diff = 0;
  int w = 0, h = 0;

  got = mcam_compare_view_get_tile_map (view, tile, &w, &h);
  g_assert_nonnull (got);
  g_assert_cmpint (w, ==, img->width);
  g_assert_cmpint (h, ==, img->height);
  mcam_explain_options_init (&opts);
  opts.head = head;
  opts.image = img;
  e = mcam_explain (a, k, m, &opts, NULL, &error);
  g_assert_no_error (error);
  want = mcam_map_to_image (e->map, e->h, e->w, img, &mcam_net_get_info (net)->preprocess);
  for (int i = 0; i < w * h; i++)
    max_diff = MAX (max_diff, fabsf (got[i] - want[i]));
  return max_diff;
}

/* Compare takes the re-fit head as a target: with the head loaded the view
 * offers the selector; "Re-fit head" makes the CAM and Grad-CAM tiles of
 * Sneaker on a Sneaker + Ankle boot pair the core's maps of that head (and
 * not the network's), labelled so; "Network's head" brings the network's
 * maps back; M-CAM tiles say they read the memory. Unloading the head hides
 * the selector. */
static void
test_compare (void)
{
  g_autofree char *model = NULL, *images = NULL;
  g_autofree char *image = NULL, *head_path = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(McamNet) net = NULL;
  g_autoptr(McamImage) img = NULL;
  g_autoptr(McamAnalysis) a = NULL;
  g_autoptr(McamHead) head = NULL;
  static const McamMethod checked[] = { MCAM_METHOD_CAM, MCAM_METHOD_GRADCAM };
  McamCompareWindow *compare;
  McamCompareView *view;
  McamWindow *window;
  GtkWidget *selector;
  int k;

  window = open_mosaic_demo (&model, &images, &head_path);
  if (window == NULL)
    return;
  image = g_build_filename (images, "pairs-00003.png", NULL);
  k = class_named (window, "Sneaker");

  compare = mcam_compare_window_present_for (window);
  view = mcam_compare_window_get_view (compare);
  selector = find_widget_where (GTK_WIDGET (view), tooltip_starts, "Whose maps");
  g_assert_nonnull (selector);
  g_assert_false (gtk_widget_get_visible (selector));

  _mcam_window_load_head (window, head_path);
  mcam_app_test_wait_for (head_loaded, window, "the re-fit head");
  g_assert_true (gtk_widget_get_visible (selector));
  g_assert_false (mcam_compare_view_get_use_refit_head (view));
  mcam_compare_view_set_mode (view, MCAM_COMPARE_ALL_METHODS);
  mcam_compare_view_set_class (view, k);
  /* As the user picks it in the selector. */
  gtk_drop_down_set_selected (GTK_DROP_DOWN (selector), 1);
  g_assert_true (mcam_compare_view_get_use_refit_head (view));
  mcam_compare_view_refresh (view);
  mcam_app_test_wait_for (view_idle, view, "the re-fit head's tiles");
  g_test_message ("%s", mcam_compare_view_get_message (view));
  g_assert_nonnull (strstr (mcam_compare_view_get_message (view), "re-fit head"));

  net = mcam_net_load (model, &error);
  g_assert_no_error (error);
  img = mcam_image_load (image, 0, &error);
  g_assert_no_error (error);
  a = mcam_analysis_new (net, NULL, img, NULL, &error);
  g_assert_no_error (error);
  head = mcam_head_load (head_path, net, &error);
  g_assert_no_error (error);

  for (guint j = 0; j < G_N_ELEMENTS (checked); j++)
    {
      int t = find_tile (view, checked[j]);
      double d_refit, d_network;

      g_assert_cmpint (t, >=, 0);
      g_assert_cmpint (mcam_compare_view_get_tile_head (view, t), ==, MCAM_COMPARE_HEAD_REFIT);
      g_assert_nonnull (strstr (mcam_compare_view_get_tile_label (view, t), "re-fit head"));
      d_refit = tile_vs_core (view, t, net, a, img, head, k, checked[j]);
      d_network = tile_vs_core (view, t, net, a, img, NULL, k, checked[j]);
      g_test_message ("%s, re-fit head: max |tile - core| %g; vs the network's map %g",
                      mcam_method_get_name (checked[j]), d_refit, d_network);
      g_assert_cmpfloat (d_refit, <=, 1e-5);
      /* The pair's Sneaker map moves from the boot to the sneaker. */
      g_assert_cmpfloat (d_network, >, 0.2);
    }
  {
    int t = find_tile (view, MCAM_METHOD_MCAM);

    g_assert_cmpint (t, >=, 0);
    g_assert_cmpint (mcam_compare_view_get_tile_head (view, t), ==, MCAM_COMPARE_HEAD_MEMORY);
    g_assert_nonnull (strstr (mcam_compare_view_get_tile_label (view, t), "memory"));
  }

  /* Back to the network's head: its own maps, labelled so. */
  gtk_drop_down_set_selected (GTK_DROP_DOWN (selector), 0);
  mcam_compare_view_refresh (view);
  mcam_app_test_wait_for (view_idle, view, "the network head's tiles");
  {
    int t = find_tile (view, MCAM_METHOD_CAM);

    g_assert_cmpint (mcam_compare_view_get_tile_head (view, t), ==, MCAM_COMPARE_HEAD_NETWORK);
    g_assert_nonnull (strstr (mcam_compare_view_get_tile_label (view, t), "network's head"));
    g_assert_cmpfloat (tile_vs_core (view, t, net, a, img, NULL, k, MCAM_METHOD_CAM), <=, 1e-5);
  }

  /* All classes for CAM under the re-fit head: ordered by its scores. */
  gtk_drop_down_set_selected (GTK_DROP_DOWN (selector), 1);
  mcam_compare_view_set_method (view, MCAM_METHOD_CAM);
  mcam_compare_view_set_mode (view, MCAM_COMPARE_ALL_CLASSES);
  mcam_compare_view_refresh (view);
  mcam_app_test_wait_for (view_idle, view, "every class under the re-fit head");
  {
    g_autofree float *logits = g_new (float, head->n_classes);
    g_autofree float *scores = g_new (float, head->n_classes);

    mcam_head_logits_from_features (head, a->features, a->h * a->w, logits);
    mcam_head_scores (head, logits, scores);
    g_assert_cmpuint (mcam_compare_view_get_n_tiles (view), ==, head->n_classes);
    for (guint i = 1; i < mcam_compare_view_get_n_tiles (view); i++)
      g_assert_cmpfloat (scores[mcam_compare_view_get_tile_class (view, i - 1)], >=,
                         scores[mcam_compare_view_get_tile_class (view, i)]);
  }

  /* The grid's file name says whose maps they are. */
  {
    g_autofree char *name = mcam_compare_view_suggest_name (view);

    g_assert_cmpstr (name, ==, "pairs-00003__all-classes__cam__refit-head.png");
  }

  /* Unloaded: no selector; the choice is kept for the next head. */
  _mcam_window_unload_head (window);
  g_assert_false (gtk_widget_get_visible (selector));
  g_assert_false (mcam_compare_view_get_use_refit_head (view));

  gtk_window_destroy (GTK_WINDOW (compare));
  gtk_window_destroy (GTK_WINDOW (window));
}

static gboolean
lens_idle (gpointer data)
{
  return !mcam_bias_lens_dialog_is_running (data);
}

/* The bias lens's tallies of `m`, apart from the app: every class with a
 * box on every image of the folder, under the network's head (k = 0) and
 * the re-fit head (k = 1). */
static void
reference_tallies (const char *model, const char *head_path, const char *folder, McamMethod m,
                   McamPointingTally **tally)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(McamNet) net = mcam_net_load (model, &error);
  g_autofree char *labels = g_build_filename (folder, "labels.csv", NULL);
  g_autofree char *boxes_csv = g_build_filename (folder, "boxes.csv", NULL);
  g_autoptr(McamDataset) ds = NULL;
  g_autoptr(McamHead) head = NULL;
  const McamNetInfo *info;

  g_assert_no_error (error);
  info = mcam_net_get_info (net);
  head = mcam_head_load (head_path, net, &error);
  g_assert_no_error (error);
  ds = mcam_dataset_load (labels, boxes_csv, folder, (const char *const *) info->classes,
                          info->n_classes, &error);
  g_assert_no_error (error);
  for (int k = 0; k < 2; k++)
    tally[k] = mcam_pointing_tally_new (info->n_classes);
  for (int i = 0; i < ds->n; i++)
    {
      const McamBox *boxes = ds->boxes + ds->box_start[i];
      g_autoptr(McamImage) img = NULL;
      g_autoptr(McamAnalysis) a = NULL;
      g_autofree gboolean *seen = g_new0 (gboolean, info->n_classes);

      if (ds->box_count[i] == 0)
        continue;
      img = mcam_image_load (ds->paths[i], 0, &error);
      g_assert_no_error (error);
      a = mcam_analysis_new (net, NULL, img, NULL, &error);
      g_assert_no_error (error);
      for (int b = 0; b < ds->box_count[i]; b++)
        {
          int c = boxes[b].class_index;

          if (seen[c])
            continue;
          seen[c] = TRUE;
          for (int k = 0; k < 2; k++)
            {
              McamExplainOptions opts;
              g_autoptr(McamExplanation) e = NULL;
              g_autofree float *map = NULL;

              mcam_explain_options_init (&opts);
              opts.image = img;
              opts.head = k == 1 ? head : NULL;
              e = mcam_explain (a, c, m, &opts, NULL, &error);
              g_assert_no_error (error);
              map = mcam_map_to_image (e->map, e->h, e->w, img, &info->preprocess);
              mcam_pointing_tally_add (tally[k], boxes, ds->box_count[i], c, map, img->width,
                                       img->height, MCAM_POINTING_TOLERANCE);
            }
        }
    }
}

/* The bias lens takes the re-fit head too, and gives the verdict: with the
 * demo's head loaded, one CAM run over the demo images tallies both heads;
 * the selector switches the table between the network's tally and the re-fit
 * head's, each equal to the core's computed here; the verdict of every class
 * is the core's (mcam_head_verdict_make on those tallies), and for Sneaker
 * it names the head bias on the Ankle boot. */
static void
test_bias_lens (void)
{
  g_autofree char *model = NULL, *images = NULL, *head_path = NULL;
  McamPointingTally *ref[2] = { NULL, NULL };
  McamBiasLensDialog *lens;
  McamWindow *window;
  GtkWidget *selector;
  int sneaker;

  window = open_mosaic_demo (&model, &images, &head_path);
  if (window == NULL)
    return;
  sneaker = class_named (window, "Sneaker");

  lens = mcam_bias_lens_dialog_new (GTK_WINDOW (window), mcam_window_get_worker (window));
  mcam_bias_lens_dialog_follow_head (lens, window);
  gtk_window_present (GTK_WINDOW (lens));
  selector = find_widget_where (GTK_WIDGET (lens), tooltip_starts, "Whose maps the table shows");
  g_assert_nonnull (selector);
  g_assert_false (gtk_widget_get_visible (selector));
  _mcam_window_load_head (window, head_path);
  mcam_app_test_wait_for (head_loaded, window, "the re-fit head");
  g_assert_true (gtk_widget_get_visible (selector));

  mcam_bias_lens_dialog_set_folder (lens, images);
  mcam_bias_lens_dialog_set_method (lens, MCAM_METHOD_CAM);
  mcam_bias_lens_dialog_run (lens);
  mcam_app_test_wait_for (lens_idle, lens, "the bias lens with both heads");
  g_test_message ("%s", mcam_bias_lens_dialog_get_status (lens));

  reference_tallies (model, head_path, images, MCAM_METHOD_CAM, ref);
  for (int k = 0; k < 2; k++)
    {
      gtk_drop_down_set_selected (GTK_DROP_DOWN (selector), k);
      g_assert_cmpint (mcam_bias_lens_dialog_get_use_refit_head (lens), ==, k == 1);
      g_assert_nonnull (strstr (mcam_bias_lens_dialog_get_status (lens),
                                k == 1 ? "re-fit head" : "network's own head"));
      for (int c = 0; c < window->model->n_classes; c++)
        {
          const int *row = ref[k]->landing + c * (window->model->n_classes + 2);

          g_assert_cmpint (mcam_bias_lens_dialog_get_count (lens, c, MCAM_BIAS_LENS_OWN), ==,
                           row[c]);
          g_assert_cmpint (mcam_bias_lens_dialog_get_count (lens, c, MCAM_BIAS_LENS_BACKGROUND),
                           ==, row[window->model->n_classes]);
        }
    }
  /* Sneaker's own-object count moves between the two tallies. */
  g_test_message ("Sneaker own object: network %d, re-fit head %d of %d",
                  ref[0]->landing[sneaker * (window->model->n_classes + 2) + sneaker],
                  ref[1]->landing[sneaker * (window->model->n_classes + 2) + sneaker],
                  ref[1]->pairs[sneaker]);
  for (int c = 0; c < window->model->n_classes; c++)
    {
      g_auto(McamHeadVerdict) want = { 0 };
      g_autofree char *got = mcam_bias_lens_dialog_get_verdict (lens, c);

      if (!mcam_head_verdict_make (&want, ref[0], ref[1], c,
                                   (const char *const *) window->model->classes))
        {
          g_assert_null (got);
          continue;
        }
      g_test_message ("%s: %s", window->model->classes[c], got);
      g_assert_cmpstr (got, ==, want.text);
    }
  {
    g_autofree char *v = mcam_bias_lens_dialog_get_verdict (lens, sneaker);

    g_assert_cmpstr (v, ==, "the features locate Sneaker; the network's head relies on Ankle "
                            "boot (head bias)");
  }

  /* And the dialog shows it, a line per class. */
  g_assert_nonnull (find_widget_where (GTK_WIDGET (lens), label_holds, "Sneaker 24% → 94%: the features "
                                           "locate Sneaker; the network's head relies on Ankle "
                                           "boot (head bias)"));

  /* The head unloaded: the run with both heads can still be read both ways. */
  _mcam_window_unload_head (window);
  g_assert_true (gtk_widget_get_visible (selector));
  {
    g_autofree char *v = mcam_bias_lens_dialog_get_verdict (lens, sneaker);

    g_assert_nonnull (v);
  }
  _mcam_window_load_head (window, head_path);
  mcam_app_test_wait_for (head_loaded, window, "the re-fit head again");

  /* A method that reads no head: one tally, no verdict. */
  mcam_bias_lens_dialog_set_method (lens, MCAM_METHOD_EIGENCAM);
  mcam_bias_lens_dialog_run (lens);
  mcam_app_test_wait_for (lens_idle, lens, "the bias lens with Eigen-CAM");
  g_assert_false (mcam_bias_lens_dialog_get_use_refit_head (lens));
  g_assert_null (mcam_bias_lens_dialog_get_verdict (lens, sneaker));
  g_assert_nonnull (strstr (mcam_bias_lens_dialog_get_status (lens), "no head"));

  /* Unloaded: the selector goes. */
  _mcam_window_unload_head (window);
  g_assert_false (gtk_widget_get_visible (selector));

  for (int k = 0; k < 2; k++)
    mcam_pointing_tally_free (ref[k]);
  gtk_window_destroy (GTK_WINDOW (lens));
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int argc, char **argv)
{
  mcam_app_test_init (&argc, &argv);

  g_test_add_func ("/mcam/app/head/third-column", test_third_column);
  g_test_add_func ("/mcam/app/head/compare", test_compare);
  g_test_add_func ("/mcam/app/head/bias-lens", test_bias_lens);
  return g_test_run ();
}
