/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Whole models through the graph engine against PyTorch: the fixtures of
 * tests/fixtures/onnx (tiny random torchvision-family networks; see its
 * README) — logits, and the feature map at the default target and at an
 * inner layer chosen by name; ResNeXt and Wide ResNet also in the
 * safetensors dialect (the same graph, built by the ResNet loader). */

#include <stdlib.h>
#include <string.h>

#include "mcam-test-util.h"
#include "mcam/mcam-cam.h"
#include "mcam/mcam-error.h"
#include "mcam/mcam-net.h"
#include "mcam/mcam-safetensors.h"

#define LOGITS_TOL 1e-4
#define FEATURES_TOL 1e-4

static McamTensor *
read_expected (McamSafetensors *st, const char *name)
{
  g_autoptr (GError) error = NULL;
  McamTensor *t = mcam_safetensors_read (st, name, 0, NULL, &error);

  g_assert_no_error (error);
  return t;
}

/* dy_c/dA by the graph's reverse pass vs PyTorch autograd (which.grad),
 * and Grad-CAM from it (which.cam), image by image. */
static void
check_gradient (McamNet *net, McamSafetensors *st, const char *which, const McamTensor *f)
{
  g_autofree char *gname = g_strdup_printf ("%s.grad", which);
  g_autofree char *cname = g_strdup_printf ("%s.cam", which);
  const char *cls = mcam_safetensors_get_metadata (st, "class");
  g_autoptr (McamTensor) g_ref = NULL, cam_ref = NULL;
  int c = (int) f->shape[1], hw = (int) (f->shape[2] * f->shape[3]);
  gsize per = (gsize) c * hw;

  if (cls == NULL || !mcam_safetensors_has (st, gname))
    return;
  g_ref = read_expected (st, gname);
  cam_ref = read_expected (st, cname);
  for (gint64 b = 0; b < f->shape[0]; b++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree float *grad = g_new (float, per);
      g_autofree float *cam = g_new0 (float, hw);
      double ge, ce;

      g_assert_true (mcam_net_head_gradient (net, f->data + b * per, atoi (cls), grad, &error));
      g_assert_no_error (error);
      for (int k = 0; k < c; k++)
        {
          double w = 0;
          for (int j = 0; j < hw; j++)
            w += grad[(gsize) k * hw + j];
          w /= hw;
          for (int j = 0; j < hw; j++)
            cam[j] += (float) (w * f->data[b * per + (gsize) k * hw + j]);
        }
      for (int j = 0; j < hw; j++)
        cam[j] = MAX (cam[j], 0.0f);
      /* the same through the methods' entry point, whatever the head */
      {
        g_autoptr (McamAnalysis) an = mcam_analysis_new_from_features (net, NULL, f->data + b * per);
        g_autoptr (McamExplanation) ex = NULL;

        ex = mcam_explain (an, atoi (cls), MCAM_METHOD_GRADCAM, NULL, NULL, &error);
        g_assert_no_error (error);
        g_assert_cmpfloat (mcam_test_rel_error (ex->map, cam_ref->data + b * hw, hw, 1e-6), <=,
                           1e-3);
        /* CAM only for a GAP + linear head */
        g_clear_pointer (&ex, mcam_explanation_free);
        ex = mcam_explain (an, atoi (cls), MCAM_METHOD_CAM, NULL, NULL, &error);
        if (mcam_net_get_head_weight (net) == NULL)
          {
            g_assert_null (ex);
            g_assert_error (error, MCAM_ERROR, MCAM_ERROR_UNSUPPORTED);
            g_assert_nonnull (strstr (error->message, "Grad-CAM"));
            g_clear_error (&error);
          }
        else
          g_assert_nonnull (ex);
      }
      ge = mcam_test_rel_error (grad, g_ref->data + b * per, per, 1e-6);
      ce = mcam_test_rel_error (cam, cam_ref->data + b * hw, hw, 1e-6);
      g_test_message ("  %s image %" G_GINT64_FORMAT ": gradient rel err %.3g, Grad-CAM rel err %.3g",
                      which, b, ge, ce);
      g_assert_cmpfloat (ge, <=, 1e-3);
      g_assert_cmpfloat (ce, <=, 1e-3);
    }
}

static void
check_model (const char *model_file, const char *expected_file, gboolean inner)
{
  g_autofree char *path = mcam_test_fixture (model_file);
  g_autofree char *epath = mcam_test_fixture (expected_file);
  g_autoptr (GError) error = NULL;
  g_autoptr (McamNet) net = mcam_net_load (path, &error);
  g_autoptr (McamSafetensors) st = NULL;
  g_autoptr (McamTensor) input = NULL, logits_ref = NULL, f_ref = NULL, f = NULL, logits = NULL;
  const char *want_target;
  double le, fe;

  g_assert_no_error (error);
  g_assert_nonnull (net);
  st = mcam_safetensors_open (epath, &error);
  g_assert_no_error (error);
  input = read_expected (st, "input");
  logits_ref = read_expected (st, mcam_safetensors_has (st, "logits") ? "logits" : "logits");
  f_ref = read_expected (st, mcam_safetensors_has (st, "target.features") ? "target.features"
                                                                          : "features");
  want_target = mcam_safetensors_get_metadata (st, "onnx.target");
  if (want_target != NULL)
    g_assert_cmpstr (mcam_net_get_info (net)->target, ==, want_target);

  g_assert_true (mcam_net_forward (net, input, &f, &logits, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (mcam_tensor_has_shape (logits, 2, logits_ref->shape));
  g_assert_true (mcam_tensor_has_shape (f, 4, f_ref->shape));
  le = mcam_test_rel_error (logits->data, logits_ref->data, logits->n, 1e-6);
  fe = mcam_test_rel_error (f->data, f_ref->data, f->n, 1e-6);
  g_test_message ("%s: target %s, logits rel err %.3g, features rel err %.3g", model_file,
                  mcam_net_get_info (net)->target, le, fe);
  g_assert_cmpfloat (le, <=, LOGITS_TOL);
  g_assert_cmpfloat (fe, <=, FEATURES_TOL);

  /* the head alone from the target gives the same logits */
  {
    g_autoptr (McamTensor) head = mcam_net_head_forward (net, f);
    g_assert_nonnull (head);
    g_assert_cmpfloat (mcam_test_rel_error (head->data, logits->data, head->n, 1e-6), <=, 1e-5);
  }

  check_gradient (net, st, "target", f);

  if (inner && mcam_safetensors_get_metadata (st, "onnx.inner") != NULL)
    {
      const char *layer = mcam_safetensors_get_metadata (st, "onnx.inner");
      g_autoptr (McamTensor) fi_ref = read_expected (st, "inner.features");
      g_autoptr (McamTensor) fi = NULL, li = NULL;
      g_auto (GStrv) layers = mcam_net_list_layers (net);

      g_assert_true (g_strv_contains ((const char *const *) layers, layer));
      if (!mcam_net_set_target (net, layer, &error))
        {
          /* an inner layer bypassed by a skip connection is refused by name */
          g_assert_error (error, MCAM_ERROR, MCAM_ERROR_UNSUPPORTED);
          g_test_message ("%s: inner layer %s refused: %s", model_file, layer, error->message);
          return;
        }
      g_assert_cmpstr (mcam_net_get_info (net)->target, ==, layer);
      g_assert_cmpint (mcam_net_get_info (net)->feat_c, ==, fi_ref->shape[1]);
      g_assert_true (mcam_net_forward (net, input, &fi, &li, NULL, &error));
      g_assert_no_error (error);
      fe = mcam_test_rel_error (fi->data, fi_ref->data, fi->n, 1e-6);
      g_test_message ("%s: inner %s, features rel err %.3g", model_file, layer, fe);
      g_assert_cmpfloat (fe, <=, FEATURES_TOL);
      g_assert_cmpfloat (mcam_test_rel_error (li->data, logits_ref->data, li->n, 1e-6), <=,
                         LOGITS_TOL);
      check_gradient (net, st, "inner", fi);
    }
}

static void
test_onnx (gconstpointer data)
{
  const char *name = data;
  g_autofree char *model = g_strdup_printf ("onnx/%s.onnx", name);
  g_autofree char *expected = g_strdup_printf ("onnx/%s-expected.safetensors", name);

  check_model (model, expected, TRUE);
}

static void
test_safetensors (gconstpointer data)
{
  const char *name = data;
  g_autofree char *model = g_strdup_printf ("onnx/%s-st.safetensors", name);
  g_autofree char *expected = g_strdup_printf ("onnx/%s-st-expected.safetensors", name);
  g_autofree char *path = mcam_test_fixture (model);
  g_autoptr (McamNet) net = mcam_net_load (path, NULL);

  g_assert_nonnull (net);
  g_assert_nonnull (strstr (mcam_net_get_info (net)->description,
                            strcmp (name, "resnext") == 0 ? "ResNeXt" : "Wide ResNet"));
  check_model (model, expected, FALSE);
}

static void
test_not_a_layer (void)
{
  g_autofree char *path = mcam_test_fixture ("onnx/resnet.onnx");
  g_autoptr (GError) error = NULL;
  g_autoptr (McamNet) net = mcam_net_load (path, &error);

  g_assert_no_error (error);
  g_assert_false (mcam_net_set_target (net, "no-such-layer", &error));
  g_assert_error (error, MCAM_ERROR, MCAM_ERROR_USAGE);
  g_assert_nonnull (strstr (error->message, "no-such-layer"));
}

/* ONNX files out of scope or malformed (tools/make_graph_refusal_fixtures.py):
 * refused at load with the file, the node, its op type (and opset) named. */
static void
test_refusals (void)
{
  static const struct
  {
    const char *file;
    int         code;
    const char *mentions[3];
  } cases[] = {
    { "unsupported-op", MCAM_ERROR_UNSUPPORTED, { "'norm7'", "LpNormalization", "opset 13" } },
    { "old-opset", MCAM_ERROR_UNSUPPORTED, { "opset 9", "opset 11-18", NULL } },
    { "cycle", MCAM_ERROR_FORMAT, { "node 'a'", "reads 'b'", "cycle" } },
    { "dangling", MCAM_ERROR_FORMAT, { "'add_ghost'", "'ghost'", "dangling" } },
    { "shape-mismatch", MCAM_ERROR_SHAPE, { "'conv_bad'", "[3,5,3,3]", "[1,3,8,8]" } },
    { "other-domain", MCAM_ERROR_UNSUPPORTED, { "'fused'", "FusedConv", "default domain" } },
    { "two-inputs", MCAM_ERROR_UNSUPPORTED, { "'input2'", "one image input", NULL } },
    { "dynamic-size", MCAM_ERROR_UNSUPPORTED, { "static H x W", NULL, NULL } },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("onnx-graph/%s.onnx", cases[i].file);
      g_autofree char *path = mcam_test_fixture (name);
      g_autoptr (GError) error = NULL;
      g_autoptr (McamNet) net = mcam_net_load (path, &error);

      g_assert_null (net);
      g_assert_error (error, MCAM_ERROR, cases[i].code);
      g_test_message ("%s", error->message);
      g_assert_nonnull (strstr (error->message, path));
      for (int k = 0; k < 3 && cases[i].mentions[k] != NULL; k++)
        g_assert_nonnull (strstr (error->message, cases[i].mentions[k]));
    }
}

int
main (int argc, char **argv)
{
  static const char *const onnx[] = {
    "resnet", "resnext", "wide-resnet", "densenet", "mobilenet-v2", "mobilenet-v3",
    "mobilenet-v3-op17", "efficientnet", "convnext", "convnext-op17", "regnety", "vgg",
  };

  mcam_test_init (&argc, &argv);
  for (gsize i = 0; i < G_N_ELEMENTS (onnx); i++)
    {
      g_autofree char *p = g_strdup_printf ("/mcam/graph-models/onnx/%s", onnx[i]);
      g_test_add_data_func (p, onnx[i], test_onnx);
    }
  g_test_add_data_func ("/mcam/graph-models/safetensors/resnext", "resnext", test_safetensors);
  g_test_add_data_func ("/mcam/graph-models/safetensors/wide-resnet", "wide-resnet",
                        test_safetensors);
  g_test_add_func ("/mcam/graph-models/not-a-layer", test_not_a_layer);
  g_test_add_func ("/mcam/graph-models/refusals", test_refusals);
  return g_test_run ();
}
