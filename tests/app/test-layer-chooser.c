/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The layer chooser and the model details (issues 10 and 17), checked
 * against the core: the chooser lists what mcam_net_list_layers lists with
 * the load-time target as default; choosing an inner layer shows the map the
 * core computes at that layer; a memory module trained for another layer is
 * not used and the window says which layer it was trained for; the details
 * say "(assumed)" exactly beside the values the file left out, and an
 * unknown mcam.* key is named. */

#include "config.h"

#include <gtk/gtk.h>
#include <string.h>

#include "mcam-test-util.h"
#include "mcam-app-test-util.h"
#include "mcam-window-test-util.h"
#include "mcam-layer-chooser.h"
#include "mcam-model-details.h"
#include "mcam/mcam-model-meta.h"
#include "mcam/mcam-train.h"

static McamLayerChooser *
get_chooser (McamWindow *window)
{
  GtkWidget *w = mcam_app_test_find_widget (gtk_window_get_titlebar (GTK_WINDOW (window)),
                              MCAM_TYPE_LAYER_CHOOSER);

  g_assert_nonnull (w);
  return MCAM_LAYER_CHOOSER (w);
}

static McamModelDetails *
get_details (McamWindow *window)
{
  GtkWidget *w = mcam_app_test_find_widget (gtk_window_get_titlebar (GTK_WINDOW (window)),
                              MCAM_TYPE_MODEL_DETAILS);

  g_assert_nonnull (w);
  return MCAM_MODEL_DETAILS (w);
}

static gboolean
chooser_filled (gpointer data)
{
  return mcam_layer_chooser_get_layer (data) != NULL;
}

typedef struct
{
  McamLayerChooser *chooser;
  const char       *layer;
} LayerWait;

static gboolean
chooser_at (gpointer data)
{
  LayerWait *w = data;

  return g_strcmp0 (mcam_layer_chooser_get_layer (w->chooser), w->layer) == 0;
}

typedef struct
{
  McamWindow *window;
  int         h, w;
  McamMethod  method;
} MapSizeWait;

static gboolean
map_at_size (gpointer data)
{
  MapSizeWait *w = data;
  McamMapResult *map = mcam_window_get_map_result (w->window);

  return map != NULL && map->request->method == w->method && map->explanation->h == w->h &&
         map->explanation->w == w->w;
}

/* The map of `method` for `class_index` at `layer`, computed by the core alone. */
static McamExplanation *
core_explain (const char *model, const char *layer, const char *image_path, int class_index,
              McamMethod method, int *c, int *h, int *w)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(McamNet) net = mcam_net_load (model, &error);
  g_autoptr(McamImage) image = NULL;
  McamAnalysis *a;
  McamExplanation *e;
  McamExplainOptions opts;

  g_assert_no_error (error);
  g_assert_true (mcam_net_set_target (net, layer, &error));
  g_assert_no_error (error);
  image = mcam_image_load (image_path, MCAM_IMAGE_MAX_PIXELS_DEFAULT, &error);
  g_assert_no_error (error);
  a = mcam_analysis_new (net, NULL, image, NULL, &error);
  g_assert_no_error (error);
  mcam_explain_options_init (&opts);
  opts.image = image;
  e = mcam_explain (a, class_index, method, &opts, NULL, &error);
  g_assert_no_error (error);
  *c = a->c;
  *h = a->h;
  *w = a->w;
  mcam_analysis_free (a);
  return e;
}

static void
test_inner_layer (void)
{
  g_autofree char *model = mcam_test_fixture ("onnx/resnet.onnx");
  g_autofree char *image = mcam_test_fixture ("img-photo.png");
  g_autoptr(GError) error = NULL;
  g_autoptr(McamNet) net = mcam_net_load (model, &error);
  g_auto(GStrv) core_layers = NULL;
  g_autofree char *def = NULL;
  const char *const *layers;
  const char *inner = NULL;
  McamWindow *window;
  McamLayerChooser *chooser;
  McamMapResult *map;
  McamExplanation *want;
  int c, h, w, class_index;
  guint n;

  g_assert_no_error (error);
  core_layers = mcam_net_list_layers (net);
  def = g_strdup (mcam_net_get_info (net)->target);

  window = mcam_app_test_open_window (model, NULL, image);
  chooser = get_chooser (window);
  mcam_app_test_wait_for (chooser_filled, chooser, "the layer list");
  layers = mcam_layer_chooser_get_layers (chooser);
  n = g_strv_length ((char **) layers);
  g_assert_cmpuint (n, ==, g_strv_length (core_layers));
  g_assert_cmpuint (n, >=, 3);
  for (guint i = 0; i < n; i++)
    g_assert_cmpstr (layers[i], ==, core_layers[i]);
  g_assert_cmpstr (mcam_layer_chooser_get_default (chooser), ==, def);
  g_assert_cmpstr (mcam_layer_chooser_get_layer (chooser), ==, def);

  /* an inner layer the core accepts (not one a skip connection bypasses),
   * with another feature size than the default's */
  for (guint i = n; i-- > 0 && inner == NULL;)
    {
      g_autoptr(McamNet) probe = mcam_net_load (model, NULL);

      if (mcam_net_set_target (probe, core_layers[i], NULL) &&
          mcam_net_get_info (probe)->feat_h != mcam_net_get_info (net)->feat_h)
        inner = core_layers[i];
    }
  g_assert_nonnull (inner);
  g_test_message ("inner layer %s (default %s)", inner, def);

  mcam_window_set_method (window, MCAM_METHOD_GRADCAM);
  class_index = mcam_window_get_map_result (window)->request->class_index;
  want = core_explain (model, inner, image, class_index, MCAM_METHOD_GRADCAM, &c, &h, &w);

  g_assert_true (mcam_layer_chooser_select (chooser, inner));
  {
    MapSizeWait mw = { window, h, w, MCAM_METHOD_GRADCAM };
    LayerWait lw = { chooser, inner };

    mcam_app_test_wait_for (chooser_at, &lw, "the chosen layer");
    mcam_app_test_wait_for (map_at_size, &mw, "the map at the inner layer");
  }
  g_assert_null (mcam_layer_chooser_get_message (chooser));
  g_assert_cmpstr (mcam_layer_chooser_get_default (chooser), ==, def);
  g_assert_cmpint (mcam_window_get_model_info (window)->feat_c, ==, c);
  map = mcam_window_get_map_result (window);
  g_assert_cmpint (map->request->class_index, ==, class_index);
  g_assert_cmpint (map->explanation->h * map->explanation->w, ==, h * w);
  for (int i = 0; i < h * w; i++)
    g_assert_cmpfloat_with_epsilon (map->explanation->map[i], want->map[i], 1e-5);
  mcam_explanation_free (want);

  /* back to the default: the map of the default layer again */
  want = core_explain (model, def, image, class_index, MCAM_METHOD_GRADCAM, &c, &h, &w);
  g_assert_true (mcam_layer_chooser_select (chooser, def));
  {
    MapSizeWait mw = { window, h, w, MCAM_METHOD_GRADCAM };

    mcam_app_test_wait_for (map_at_size, &mw, "the map at the default layer");
  }
  map = mcam_window_get_map_result (window);
  for (int i = 0; i < h * w; i++)
    g_assert_cmpfloat_with_epsilon (map->explanation->map[i], want->map[i], 1e-5);
  mcam_explanation_free (want);
  gtk_window_destroy (GTK_WINDOW (window));
}

static gboolean
slots_are (gpointer data)
{
  McamWindow *window = ((gpointer *) data)[0];
  int want = GPOINTER_TO_INT (((gpointer *) data)[1]);
  McamModelInfo *info = mcam_window_get_model_info (window);

  return info != NULL && info->n_slots == want;
}

static gboolean
gradcam_shown (gpointer data)
{
  McamMapResult *map = mcam_window_get_map_result (data);

  return map != NULL && map->request->method == MCAM_METHOD_GRADCAM;
}

static gboolean
chooser_has_message (gpointer data)
{
  return mcam_layer_chooser_get_message (data) != NULL;
}

static void
test_memory_other_layer (void)
{
  g_autofree char *model = mcam_test_fixture ("net-bottleneck.safetensors");
  g_autofree char *fixture_memory = mcam_test_fixture ("memory-bottleneck.safetensors");
  g_autofree char *image = mcam_test_fixture ("img-photo.png");
  g_autofree char *dir = g_dir_make_tmp ("mcam-layer-chooser-XXXXXX", NULL);
  g_autofree char *memory = g_build_filename (dir, "memory.safetensors", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(McamNet) net = mcam_net_load (model, &error);
  g_autoptr(McamMemory) mem = NULL;
  McamLayerChooser *chooser;
  McamWindow *window;
  g_autofree char *trained_for = NULL;
  int n_slots;

  /* the fixture memory, recording the layer it was made for as mcam train does */
  g_assert_no_error (error);
  mem = mcam_memory_load (fixture_memory, net, &error);
  g_assert_no_error (error);
  n_slots = mem->n_slots;
  g_hash_table_replace (mem->metadata, g_strdup ("mcam.memory.layer"),
                        g_strdup (mcam_net_get_info (net)->target));
  g_assert_true (mcam_memory_save (mem, memory, &error));
  g_assert_no_error (error);
  trained_for = g_strdup_printf ("trained for layer '%s'", mcam_net_get_info (net)->target);

  window = mcam_app_test_open_window (model, memory, image);
  chooser = get_chooser (window);
  mcam_app_test_wait_for (chooser_filled, chooser, "the layer list");
  g_assert_cmpint (mcam_window_get_model_info (window)->n_slots, ==, n_slots);

  g_assert_true (mcam_layer_chooser_select (chooser, "layer3.0"));
  mcam_app_test_wait_for (chooser_has_message, chooser, "the memory's refusal");
  g_test_message ("%s", mcam_layer_chooser_get_message (chooser));
  g_assert_nonnull (strstr (mcam_layer_chooser_get_message (chooser), trained_for));
  g_assert_nonnull (strstr (mcam_window_get_error_text (window), trained_for));
  {
    gpointer wait[2] = { window, GINT_TO_POINTER (0) };

    LayerWait lw = { chooser, "layer3.0" };

    mcam_app_test_wait_for (slots_are, wait, "the model without its memory");
    mcam_app_test_wait_for (chooser_at, &lw, "the chooser at layer3.0");
  }
  /* M-CAM was shown: without its memory the window goes on with Grad-CAM
   * (CAM needs a GAP + linear head after the layer, which layer3.0 has not),
   * and the memory's refusal stays in view */
  mcam_app_test_wait_for (gradcam_shown, window, "Grad-CAM at layer3.0");
  g_assert_nonnull (strstr (mcam_window_get_error_text (window), trained_for));

  /* back at its layer, the memory is used again */
  g_assert_true (mcam_layer_chooser_select (chooser, mcam_net_get_info (net)->target));
  {
    gpointer wait[2] = { window, GINT_TO_POINTER (n_slots) };

    mcam_app_test_wait_for (slots_are, wait, "the memory back");
  }
  g_assert_null (mcam_layer_chooser_get_message (chooser));
  gtk_window_destroy (GTK_WINDOW (window));
  mcam_app_test_remove_tree (dir);
}

/* A memory trained for an inner layer opens at that layer, its default
 * still marked as the file's. */
static void
test_memory_at_its_layer (void)
{
  g_autofree char *model = mcam_test_fixture ("net-bottleneck.safetensors");
  g_autofree char *image_path = mcam_test_fixture ("img-photo.png");
  g_autofree char *dir = g_dir_make_tmp ("mcam-layer-chooser-XXXXXX", NULL);
  g_autofree char *memory = g_build_filename (dir, "memory3.safetensors", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(McamNet) net = mcam_net_load (model, &error);
  g_autoptr(McamImage) image = NULL;
  g_autoptr(McamMemory) mem = NULL;
  g_autofree char *def = NULL;
  g_autofree float *labels = NULL;
  McamTrainOptions opt;
  McamAnalysis *a;
  McamLayerChooser *chooser;
  McamWindow *window;
  const McamNetInfo *ni;

  g_assert_no_error (error);
  def = g_strdup (mcam_net_get_info (net)->target);
  g_assert_true (mcam_net_set_target (net, "layer3.0", &error));
  ni = mcam_net_get_info (net);
  image = mcam_image_load (image_path, MCAM_IMAGE_MAX_PIXELS_DEFAULT, &error);
  g_assert_no_error (error);
  a = mcam_analysis_new (net, NULL, image, NULL, &error);
  g_assert_no_error (error);
  labels = g_new0 (float, ni->n_classes);
  labels[0] = 1.0f;
  mcam_train_options_init (&opt);
  opt.init = MCAM_TRAIN_INIT_RANDOM;
  mem = mcam_train_init_memory (4, ni->feat_c, ni->feat_h, ni->feat_w, ni->n_classes,
                                a->features, labels, 1, &opt, &error);
  g_assert_no_error (error);
  mcam_analysis_free (a);
  g_hash_table_replace (mem->metadata, g_strdup ("mcam.memory.layer"), g_strdup ("layer3.0"));
  g_assert_true (mcam_memory_save (mem, memory, &error));
  g_assert_no_error (error);

  window = mcam_app_test_open_window (model, memory, image_path);
  chooser = get_chooser (window);
  mcam_app_test_wait_for (chooser_filled, chooser, "the layer list");
  g_assert_null (mcam_window_get_error_text (window));
  g_assert_cmpint (mcam_window_get_model_info (window)->n_slots, ==, 4);
  g_assert_cmpint (mcam_window_get_model_info (window)->feat_h, ==, ni->feat_h);
  g_assert_cmpstr (mcam_layer_chooser_get_layer (chooser), ==, "layer3.0");
  g_assert_cmpstr (mcam_layer_chooser_get_default (chooser), ==, def);
  gtk_window_destroy (GTK_WINDOW (window));
  mcam_app_test_remove_tree (dir);
}

static gboolean
details_filled (gpointer data)
{
  return *mcam_model_details_get_text (data) != '\0';
}

/* Every line of the details that shows a field that can be assumed says
 * "(assumed)" exactly when the core assumed it. */
static void
check_details (const char *fixture, guint expect_some)
{
  static const struct { const char *label; McamMetaField field; } lines[] = {
    { "Input:", MCAM_META_INPUT },
    { "Resize:", MCAM_META_RESIZE },
    { "Resize size:", MCAM_META_RESIZE_SIZE },
    { "Interpolation:", MCAM_META_INTERPOLATION },
    { "Mean:", MCAM_META_MEAN },
    { "Std:", MCAM_META_STD },
    { "Scores:", MCAM_META_MULTILABEL },
    { "Classes:", MCAM_META_CLASSES },
  };
  g_autofree char *model = mcam_test_fixture (fixture);
  g_autofree char *image = mcam_test_fixture ("img-photo.png");
  g_autoptr(GError) error = NULL;
  g_autoptr(McamNet) net = mcam_net_load (model, &error);
  const McamNetInfo *ni;
  McamWindow *window;
  McamModelDetails *details;
  g_auto(GStrv) text = NULL;
  guint n_checked = 0;

  g_assert_no_error (error);
  ni = mcam_net_get_info (net);
  g_assert_cmpuint (ni->meta_assumed & expect_some, ==, expect_some);
  window = mcam_app_test_open_window (model, NULL, image);
  details = get_details (window);
  mcam_app_test_wait_for (details_filled, details, "the model details");
  g_test_message ("%s", mcam_model_details_get_text (details));
  text = g_strsplit (mcam_model_details_get_text (details), "\n", -1);
  for (gsize i = 0; i < G_N_ELEMENTS (lines); i++)
    for (gsize j = 0; text[j] != NULL; j++)
      if (g_str_has_prefix (text[j], lines[i].label))
        {
          gboolean said = strstr (text[j], "(assumed)") != NULL;

          if (said != ((ni->meta_assumed & lines[i].field) != 0))
            g_error ("%s: '%s' and the core's assumed bit %d", fixture, text[j],
                     (ni->meta_assumed & lines[i].field) != 0);
          n_checked++;
        }
  /* the resize size shows only for centre-crop models */
  g_assert_cmpuint (n_checked, >=, G_N_ELEMENTS (lines) - 1);
  {
    g_autofree char *target = g_strdup_printf ("Target layer: %s", ni->target);
    g_autofree char *fp = g_strdup_printf ("Fingerprint: %s", ni->fingerprint);

    g_assert_nonnull (strstr (mcam_model_details_get_text (details), target));
    g_assert_nonnull (strstr (mcam_model_details_get_text (details), fp));
  }
  for (gsize k = 0; ni->unknown_keys[k] != NULL; k++)
    {
      g_assert_nonnull (strstr (mcam_model_details_get_text (details), ni->unknown_keys[k]));
      /* and the window warned once */
      g_assert_nonnull (mcam_window_get_error_text (window));
      g_assert_nonnull (strstr (mcam_window_get_error_text (window), ni->unknown_keys[k]));
    }
  if (ni->unknown_keys[0] == NULL)
    g_assert_null (strstr (mcam_model_details_get_text (details), "unknown keys"));
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_details (void)
{
  /* a typo'd key, most values assumed, centre-crop */
  check_details ("pp-resnet-typo.safetensors",
                 MCAM_META_INPUT | MCAM_META_MEAN | MCAM_META_CLASSES);
  /* the interpolation alone assumed, stretch */
  check_details ("net-bottleneck.safetensors", MCAM_META_INTERPOLATION);
  /* an ONNX export */
  check_details ("onnx/densenet.onnx", 0);
}

typedef struct
{
  McamWindow *window;
  McamMethod  method;
} MethodWait;

static gboolean
method_done (gpointer data)
{
  MethodWait *w = data;
  McamMapResult *map = mcam_window_get_map_result (w->window);

  return mcam_window_get_error_text (w->window) != NULL ||
         (map != NULL && map->request->method == w->method);
}

/* Every method at the default layer and at an inner one, on a model whose
 * head is not GAP + linear (MobileNetV3: CAM alone is refused, saying why).
 * MCAM_TEST_MODEL / MCAM_TEST_MEMORY run it on another model (the memory
 * methods too, then). */
static void
test_every_method (void)
{
  g_autofree char *fixture = mcam_test_fixture ("onnx/mobilenet-v3.onnx");
  g_autofree char *image = mcam_test_fixture ("img-photo.png");
  const char *model = g_getenv ("MCAM_TEST_MODEL") ? g_getenv ("MCAM_TEST_MODEL") : fixture;
  const char *memory = g_getenv ("MCAM_TEST_MEMORY");
  g_autoptr(McamNet) net = mcam_net_load (model, NULL);
  g_auto(GStrv) layers = mcam_net_list_layers (net);
  const char *inner = NULL;
  McamWindow *window = mcam_window_new (NULL);
  McamLayerChooser *chooser = get_chooser (window);
  guint n = g_strv_length (layers);
  g_autoptr(GFile) file = g_file_new_for_path (image);

  /* the first map may be CAM's refusal: no map to wait for */
  gtk_window_present (GTK_WINDOW (window));
  mcam_window_load_model (window, model, memory);
  mcam_window_open_files (window, &file, 1);

  mcam_app_test_wait_for (chooser_filled, chooser, "the layer list");
  /* the last layer before the default's that the core accepts */
  for (guint i = n; i-- > 0 && inner == NULL;)
    {
      g_autoptr(McamNet) probe = mcam_net_load (model, NULL);

      if (g_strcmp0 (layers[i], mcam_net_get_info (net)->target) != 0 &&
          mcam_net_set_target (probe, layers[i], NULL) &&
          mcam_net_get_info (probe)->feat_h > mcam_net_get_info (net)->feat_h)
        inner = layers[i];
    }
  g_assert_nonnull (inner);
  for (int pass = 0; pass < 2; pass++)
    {
      const char *layer = pass == 0 ? mcam_net_get_info (net)->target : inner;

      if (pass == 1)
        {
          LayerWait lw = { chooser, layer };

          g_assert_true (mcam_layer_chooser_select (chooser, layer));
          mcam_app_test_wait_for (chooser_at, &lw, "the inner layer");
        }
      for (McamMethod m = 0; m < MCAM_N_METHODS; m++)
        {
          MethodWait mw = { window, m };
          const char *error;

          if (mcam_method_needs_memory (m) &&
              (memory == NULL || mcam_window_get_model_info (window)->n_slots == 0))
            continue;
          mcam_window_clear_error (window);
          mcam_window_set_method (window, m);
          mcam_app_test_wait_for (method_done, &mw, mcam_method_get_name (m));
          error = mcam_window_get_error_text (window);
          g_test_message ("%s at %s: %s", mcam_method_get_name (m), layer,
                          error != NULL ? error : "map shown");
          /* an inner layer is never followed by GAP + linear alone */
          if (m == MCAM_METHOD_CAM && (pass == 1 || mcam_net_get_head_weight (net) == NULL))
            g_assert_nonnull (error != NULL ? strstr (error, "GAP + linear") : NULL);
          else
            g_assert_null (error);
        }
    }
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int argc, char **argv)
{
  mcam_app_test_init (&argc, &argv);

  g_test_add_func ("/mcam/app/layer-chooser/inner-layer", test_inner_layer);
  g_test_add_func ("/mcam/app/layer-chooser/memory-other-layer", test_memory_other_layer);
  g_test_add_func ("/mcam/app/layer-chooser/memory-at-its-layer", test_memory_at_its_layer);
  g_test_add_func ("/mcam/app/layer-chooser/details", test_details);
  g_test_add_func ("/mcam/app/layer-chooser/every-method", test_every_method);
  return g_test_run ();
}
