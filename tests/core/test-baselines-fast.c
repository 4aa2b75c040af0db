/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The baselines' fast paths: the dispatcher working on ∂y/∂q against the
 * per-position definitions, and mcam_explain_all_classes against
 * mcam_explain class by class, on the fixture ResNet. (Split from
 * test-baselines.c, which holds the known-answer and PyTorch cases.) */

#include "mcam-test-util.h"

#include <string.h>

#include "mcam/mcam.h"
/* private core headers, by path: the tests link the static core */
#include "mcam-cam-methods.h"
#include "mcam-grad.h"
#include "mcam-baselines.h"
#include "baselines-test-util.h"

/* The dispatcher works on dq = ∂y/∂q (c numbers per class: the GAP backward
 * spreads dq / hw over every position, mcam-baselines.c). Here every
 * gradient method, every class and both heads of the fixture ResNet against
 * the per-position definitions (mcam-cam-methods.h) fed the full [c, hw]
 * gradient of the general backward: equal within 1e-5 of the map's scale.
 * Once on the fixture image's features and once with one channel zeroed and
 * one made negative (XGrad-CAM's zero-sum guard, mixed signs). */
static void
check_fast_path (McamAnalysis *a, McamMemory *mem)
{
  int c = a->c, hw = a->h * a->w;
  const float *f = a->features;
  const McamMethod methods[] = { MCAM_METHOD_GRADCAM, MCAM_METHOD_GRADCAM_PP,
                                 MCAM_METHOD_HIRESCAM, MCAM_METHOD_XGRADCAM,
                                 MCAM_METHOD_LAYERCAM, MCAM_METHOD_EIGENGRADCAM };
  g_autofree float *grad = g_new (float, (gsize) c * hw);
  g_autofree float *x = g_new (float, (gsize) c * hw);
  g_autofree float *want = g_new (float, hw);
  g_autofree float *w = g_new (float, c);
  McamExplainOptions opts;
  g_autoptr(GError) error = NULL;
  double worst = 0.0, worst_w = 0.0;

  mcam_explain_options_init (&opts);
  for (int head = 0; head < 2; head++)
    for (int k = 0; k < a->n_classes; k++)
      {
        opts.use_memory_classifier = head == 1;
        if (head == 1)
          _mcam_grad_memory_head (mem, f, k, grad);
        else
          _mcam_grad_linear_head (mcam_net_get_head_weight (a->net), a->n_classes, c, hw, k,
                                  grad);
        for (guint m = 0; m < G_N_ELEMENTS (methods); m++)
          {
            g_autoptr(McamExplanation) e = mcam_explain (a, k, methods[m], &opts, NULL,
                                                         &error);
            gboolean has_w = FALSE;
            float scale = 0.0f;
            double err = 0.0;

            g_assert_no_error (error);
            switch (methods[m])
              {
              case MCAM_METHOD_GRADCAM:
                _mcam_gradcam_weights (grad, c, hw, w);
                has_w = TRUE;
                break;
              case MCAM_METHOD_GRADCAM_PP:
                _mcam_gradcampp_weights (f, grad, c, hw, w);
                has_w = TRUE;
                break;
              case MCAM_METHOD_XGRADCAM:
                _mcam_xgradcam_weights (f, grad, c, hw, w);
                has_w = TRUE;
                break;
              case MCAM_METHOD_HIRESCAM:
                _mcam_hirescam_map (f, grad, c, hw, want);
                break;
              case MCAM_METHOD_LAYERCAM:
                _mcam_layercam_map (f, grad, c, hw, want);
                break;
              default:
                for (gsize i = 0; i < (gsize) c * hw; i++)
                  x[i] = grad[i] * f[i];
                _mcam_eigen_map (x, c, hw, want);
                break;
              }
            if (has_w)
              {
                float wscale = 0.0f;
                double werr = 0.0;
                _mcam_weighted_map (f, w, c, hw, want);
                g_assert_nonnull (e->weights);
                for (int i = 0; i < c; i++)
                  wscale = MAX (wscale, fabsf (w[i]));
                for (int i = 0; i < c; i++)
                  werr = MAX (werr, fabs ((double) e->weights[i] - w[i]));
                werr /= MAX (wscale, 1e-30f);
                worst_w = MAX (worst_w, werr);
                g_assert_cmpfloat (werr, <, 1e-5);
              }
            else
              g_assert_null (e->weights);
            for (int j = 0; j < hw; j++)
              scale = MAX (scale, fabsf (want[j]));
            relu (want, hw);
            for (int j = 0; j < hw; j++)
              err = MAX (err, fabs ((double) e->map[j] - want[j]));
            err /= MAX (scale, 1e-30f);
            if (err >= 1e-5)
              g_test_message ("%s, class %d, %s head: %g", mcam_method_get_name (methods[m]), k,
                              head ? "memory" : "target", err);
            worst = MAX (worst, err);
            g_assert_cmpfloat (err, <, 1e-5);
          }
      }
  g_test_message ("fast path vs per-position definitions: maps %.2g, weights %.2g of their scale",
                  worst, worst_w);
}

/* mcam_explain_all_classes: every method, class and head equal to
 * mcam_explain one class at a time within 1e-5 of the map's scale (weights
 * too), including a bad request's error. */
static void
check_all_classes (McamAnalysis *a)
{
  int hw = a->h * a->w;
  McamExplainOptions opts;
  g_autoptr(GError) error = NULL;
  double worst = 0.0;

  mcam_explain_options_init (&opts);
  for (int head = 0; head < 2; head++)
    for (McamMethod m = MCAM_METHOD_CAM; m <= MCAM_METHOD_EIGENGRADCAM; m++)
      {
        g_autoptr(GPtrArray) all = NULL;
        opts.use_memory_classifier = head == 1;
        all = mcam_explain_all_classes (a, m, &opts, NULL, &error);
        g_assert_no_error (error);
        g_assert_cmpuint (all->len, ==, a->n_classes);
        for (int k = 0; k < a->n_classes; k++)
          {
            g_autoptr(McamExplanation) one = mcam_explain (a, k, m, &opts, NULL, &error);
            McamExplanation *e = g_ptr_array_index (all, k);
            float scale = 0.0f, wscale = 0.0f;
            double err = 0.0, werr = 0.0;
            g_assert_no_error (error);
            g_assert_cmpint (e->class_index, ==, k);
            g_assert_cmpint (e->method, ==, m);
            g_assert_cmpint (e->any_positive, ==, one->any_positive);
            for (int j = 0; j < hw; j++)
              scale = MAX (scale, fabsf (one->map[j]));
            for (int j = 0; j < hw; j++)
              err = MAX (err, fabs ((double) e->map[j] - one->map[j]));
            err /= MAX (scale, 1e-30f);
            worst = MAX (worst, err);
            if (err >= 1e-5)
              g_test_message ("%s, class %d, head %d: %g", mcam_method_get_name (m), k, head,
                              err);
            g_assert_cmpfloat (err, <, 1e-5);
            g_assert_true ((e->weights == NULL) == (one->weights == NULL));
            if (one->weights)
              {
                for (int i = 0; i < a->c; i++)
                  wscale = MAX (wscale, fabsf (one->weights[i]));
                for (int i = 0; i < a->c; i++)
                  werr = MAX (werr, fabs ((double) e->weights[i] - one->weights[i]));
                g_assert_cmpfloat (werr / MAX (wscale, 1e-30f), <, 1e-5);
              }
          }
      }
  g_test_message ("all classes at once vs one by one: maps %.2g of their scale", worst);

  /* The memory classifier without a memory: the same error as per class. */
  {
    McamMemory *keep = a->memory;
    g_autoptr(GPtrArray) none = NULL;
    a->memory = NULL;
    opts.use_memory_classifier = TRUE;
    none = mcam_explain_all_classes (a, MCAM_METHOD_GRADCAM, &opts, NULL, &error);
    g_assert_null (none);
    g_assert_error (error, MCAM_ERROR, MCAM_ERROR_USAGE);
    g_clear_error (&error);
    a->memory = keep;
  }
}

static void
test_fast_path (void)
{
  BaselinesFixtureNet fx;
  g_autoptr(GError) error = NULL;
  g_autoptr(McamTensor) in = NULL;
  g_autoptr(McamAnalysis) a = NULL;
  McamMemory *mem;
  int hw;

  baselines_fixture_net_open (&fx);
  mem = fx.memory;
  in = baselines_fixture_net_input (&fx, 0);
  a = mcam_analysis_new_from_input (fx.net, mem, in, NULL, &error);
  g_assert_no_error (error);
  hw = a->h * a->w;

  check_fast_path (a, mem);
  check_all_classes (a);

  g_autofree float *f2 = g_memdup2 (a->features, sizeof (float) * a->c * hw);
  for (int j = 0; j < hw; j++)
    {
      f2[j] = 0.0f;                       /* channel 0: Σ A = 0 */
      f2[hw + j] = -f2[hw + j] - 0.1f;    /* channel 1: negative */
    }
  {
    g_autoptr(McamAnalysis) b = mcam_analysis_new_from_features (fx.net, mem, f2);

    check_fast_path (b, mem);
    check_all_classes (b);
  }
  g_clear_pointer (&a, mcam_analysis_free);
  g_clear_pointer (&in, mcam_tensor_free);
  baselines_fixture_net_close (&fx);
}

int
main (int argc, char **argv)
{
  mcam_test_init (&argc, &argv);
  g_test_add_func ("/mcam/baselines/fast-path", test_fast_path);
  return g_test_run ();
}
