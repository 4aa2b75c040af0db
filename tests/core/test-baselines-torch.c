/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The baseline CAM methods (DESIGN 5) against PyTorch autograd
 * (tools/make_baseline_fixtures.py, float64): the gradients of both heads and
 * every gradient method's map, Ablation-CAM through the memory classifier,
 * the memory head's gradient against finite differences, the dispatcher, and
 * the fixture ResNet end to end. (Split from test-baselines.c.) */

#include "mcam-test-util.h"

#include <string.h>

#include "mcam/mcam.h"
/* private core headers, by path: the tests link the static core */
#include "mcam-cam-methods.h"
#include "mcam-grad.h"
#include "mcam-baselines.h"
#include "baselines-test-util.h"

/* Float32 C against a float64 reference, normalised by the reference's scale. */
#define REF_TOL 1e-3

typedef struct
{
  McamSafetensors *st;
  int c, h, w, C, N;
} Ref;

static float *
ref_read (Ref *r, const char *name, gsize expect_n)
{
  g_autoptr(GError) error = NULL;
  McamTensor *t = mcam_safetensors_read (r->st, name, 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (t);
  g_assert_cmpuint (t->n, ==, expect_n);
  float *data = g_memdup2 (t->data, sizeof (float) * t->n);
  mcam_tensor_free (t);
  return data;
}

static McamMemory *
ref_memory (Ref *r)
{
  McamMemory *mem = mcam_memory_new (r->N, r->c, r->h, r->w, r->C,
                                     g_ascii_strtod (mcam_safetensors_get_metadata (r->st, "mcam.memory.scale"), NULL));
  g_autofree float *K = ref_read (r, "K", r->N * r->c);
  g_autofree float *V = ref_read (r, "V", r->N * r->c);
  g_autofree float *fc_w = ref_read (r, "fc_w", r->C * 2 * r->c);
  g_autofree float *fc_b = ref_read (r, "fc_b", r->C);
  memcpy (mem->K, K, sizeof (float) * r->N * r->c);
  memcpy (mem->V, V, sizeof (float) * r->N * r->c);
  memcpy (mem->fc_w, fc_w, sizeof (float) * r->C * 2 * r->c);
  memcpy (mem->fc_b, fc_b, sizeof (float) * r->C);
  return mem;
}

static Ref *
ref_open (void)
{
  g_autofree char *path = mcam_test_fixture ("baselines-reference.safetensors");
  g_autoptr(GError) error = NULL;
  Ref *r = g_new0 (Ref, 1);
  int ndim;
  gint64 shape[8];

  r->st = mcam_safetensors_open (path, &error);
  g_assert_no_error (error);
  g_assert_true (mcam_safetensors_get_shape (r->st, "f", &ndim, shape));
  r->c = shape[0];
  r->h = shape[1];
  r->w = shape[2];
  g_assert_true (mcam_safetensors_get_shape (r->st, "W", &ndim, shape));
  r->C = shape[0];
  g_assert_true (mcam_safetensors_get_shape (r->st, "K", &ndim, shape));
  r->N = shape[0];
  return r;
}

static void
ref_close (Ref *r)
{
  mcam_safetensors_free (r->st);
  g_free (r);
}

static void
compare_ref (Ref *r, const char *name, const float *got, gsize n)
{
  g_autofree float *want = ref_read (r, name, n);
  double err = mcam_test_rel_error (got, want, n, 1e-6);
  if (err >= REF_TOL)
    g_test_message ("%s: relative error %g", name, err);
  g_assert_cmpfloat (err, <, REF_TOL);
}

/* The gradients of both heads, and each gradient method's map, for every class. */
static void
test_pytorch_reference (void)
{
  Ref *r = ref_open ();
  int c = r->c, hw = r->h * r->w, C = r->C;
  g_autofree float *f = ref_read (r, "f", c * hw);
  g_autofree float *W = ref_read (r, "W", C * c);
  g_autoptr(McamMemory) mem = ref_memory (r);
  g_autofree float *grad = g_new (float, c * hw);
  g_autofree float *gf = g_new (float, c * hw);
  g_autofree float *w = g_new (float, c);
  g_autofree float *map = g_new (float, hw);

  _mcam_eigen_map (f, c, hw, map);
  relu (map, hw);
  compare_ref (r, "eigencam", map, hw);
  {
    g_autofree float *f2 = ref_read (r, "f2", 96 * 49);
    float map2[49];
    _mcam_eigen_map (f2, 96, 49, map2);
    relu (map2, 49);
    compare_ref (r, "eigencam2", map2, 49);
  }

  for (int head = 0; head < 2; head++)
    for (int k = 0; k < C; k++)
      {
        const char *hn = head == 0 ? "target" : "memory";
        g_autofree char *name = NULL;

#define REF_NAME(what) (g_free (name), name = g_strdup_printf ("%s.%d.%s", hn, k, what))
        if (head == 0)
          _mcam_grad_linear_head (W, C, c, hw, k, grad);
        else
          _mcam_grad_memory_head (mem, f, k, grad);
        compare_ref (r, REF_NAME ("grad"), grad, c * hw);

        _mcam_gradcam_weights (grad, c, hw, w);
        compare_ref (r, REF_NAME ("gradcam.weights"), w, c);
        _mcam_weighted_map (f, w, c, hw, map);
        relu (map, hw);
        compare_ref (r, REF_NAME ("gradcam"), map, hw);

        _mcam_gradcampp_weights (f, grad, c, hw, w);
        compare_ref (r, REF_NAME ("gradcampp.weights"), w, c);
        _mcam_weighted_map (f, w, c, hw, map);
        relu (map, hw);
        compare_ref (r, REF_NAME ("gradcampp"), map, hw);

        _mcam_xgradcam_weights (f, grad, c, hw, w);
        compare_ref (r, REF_NAME ("xgradcam.weights"), w, c);
        _mcam_weighted_map (f, w, c, hw, map);
        relu (map, hw);
        compare_ref (r, REF_NAME ("xgradcam"), map, hw);

        _mcam_hirescam_map (f, grad, c, hw, map);
        relu (map, hw);
        compare_ref (r, REF_NAME ("hirescam"), map, hw);

        _mcam_layercam_map (f, grad, c, hw, map);
        relu (map, hw);
        compare_ref (r, REF_NAME ("layercam"), map, hw);

        for (int i = 0; i < c * hw; i++)
          gf[i] = grad[i] * f[i];
        _mcam_eigen_map (gf, c, hw, map);
        relu (map, hw);
        compare_ref (r, REF_NAME ("eigengradcam"), map, hw);
#undef REF_NAME
      }
  ref_close (r);
}

static gboolean
memory_head_func (gpointer user_data, const float *features, int batch, float *logits,
                  GError **error)
{
  McamMemory *mem = user_data;
  for (int b = 0; b < batch; b++)
    _mcam_memory_head_logits (mem, features + (gsize) b * mem->c * mem->h * mem->w,
                              logits + b * mem->n_classes);
  return TRUE;
}

/* Ablation on the memory classifier (not linear: the addressing) against
 * PyTorch's drops. */
static void
test_pytorch_ablation_memory (void)
{
  Ref *r = ref_open ();
  int c = r->c, hw = r->h * r->w, C = r->C;
  g_autofree float *f = ref_read (r, "f", c * hw);
  g_autoptr(McamMemory) mem = ref_memory (r);
  g_autofree float *w = g_new (float, c);
  g_autoptr(GError) error = NULL;

  for (int k = 0; k < C; k++)
    {
      g_autofree char *name = g_strdup_printf ("memory.%d.ablationcam.weights", k);
      g_assert_true (_mcam_ablation_weights (memory_head_func, mem, NULL, f, c, hw, C, k, NULL, c,
                                             w, NULL, &error));
      g_assert_no_error (error);
      compare_ref (r, name, w, c);
    }
  ref_close (r);
}

/* The memory head's backward against central finite differences of its
 * forward (float32 forward: a loose tolerance, independent of PyTorch). */
static void
test_memory_grad_fd (void)
{
  Ref *r = ref_open ();
  int c = r->c, hw = r->h * r->w, C = r->C;
  g_autofree float *f = ref_read (r, "f", c * hw);
  g_autoptr(McamMemory) mem = ref_memory (r);
  g_autofree float *grad = g_new (float, c * hw);
  g_autofree float *zp = g_new (float, C);
  g_autofree float *zm = g_new (float, C);
  double max_err = 0.0, max_g = 0.0;

  for (int cls = 0; cls < C; cls++)
    {
      _mcam_grad_memory_head (mem, f, cls, grad);
      for (int i = 0; i < c * hw; i += 7)
        {
          float keep = f[i], eps = 1e-2f;
          double fd;
          f[i] = keep + eps;
          _mcam_memory_head_logits (mem, f, zp);
          f[i] = keep - eps;
          _mcam_memory_head_logits (mem, f, zm);
          f[i] = keep;
          fd = ((double) zp[cls] - zm[cls]) / (2.0 * eps);
          max_err = MAX (max_err, fabs (fd - grad[i]));
          max_g = MAX (max_g, fabs (grad[i]));
        }
    }
  g_assert_cmpfloat (max_err / max_g, <, 2e-2);
  ref_close (r);
}

/* The dispatcher on a hand-made analysis (the memory classifier path needs
 * no network): ReLU'd maps, weights kept, and a map without a positive value
 * flagged, not NaN. */
static void
test_dispatch_memory (void)
{
  Ref *r = ref_open ();
  int c = r->c, hw = r->h * r->w, C = r->C;
  g_autofree float *f = ref_read (r, "f", c * hw);
  g_autofree float *zero = g_new0 (float, c * hw);
  g_autoptr(McamMemory) mem = ref_memory (r);
  McamAnalysis a = { 0 };
  McamExplainOptions opts;
  g_autoptr(GError) error = NULL;

  a.memory = mem;
  a.c = c;
  a.h = r->h;
  a.w = r->w;
  a.n_classes = C;
  a.n_slots = r->N;
  a.features = f;
  mcam_explain_options_init (&opts);
  opts.use_memory_classifier = TRUE;

  for (int k = 0; k < C; k++)
    {
      g_autoptr(McamExplanation) e = _mcam_explain_baseline (&a, k, MCAM_METHOD_GRADCAM_PP,
                                                             &opts, NULL, &error);
      g_autofree char *name = g_strdup_printf ("memory.%d.gradcampp", k);
      g_autofree char *wname = g_strdup_printf ("memory.%d.gradcampp.weights", k);
      g_assert_no_error (error);
      g_assert_cmpint (e->h, ==, r->h);
      g_assert_cmpint (e->slot, ==, -1);
      compare_ref (r, name, e->map, hw);
      compare_ref (r, wname, e->weights, c);
    }

  /* All-zero features: every method's map is zero, flagged, finite. */
  a.features = zero;
  for (McamMethod m = MCAM_METHOD_GRADCAM; m <= MCAM_METHOD_ABLATIONCAM; m++)
    {
      g_autoptr(McamExplanation) e = _mcam_explain_baseline (&a, 0, m, &opts, NULL, &error);
      g_assert_no_error (error);
      g_assert_false (e->any_positive);
      for (int j = 0; j < hw; j++)
        g_assert_cmpfloat (e->map[j], ==, 0.0f);
    }

  /* Score-CAM without an image: a clear error, no crash. */
  {
    g_autoptr(McamExplanation) e = NULL;
    a.features = f;
    opts.image = NULL;
    a.net = NULL;
    /* use_memory needs the net for Score-CAM's forward passes: we only
     * check the missing-image message here. */
    e = _mcam_explain_baseline (&a, 0, MCAM_METHOD_SCORECAM, &opts, NULL, &error);
    g_assert_null (e);
    g_assert_error (error, MCAM_ERROR, MCAM_ERROR_USAGE);
  }
  ref_close (r);
}

/* Through the real engine: the fixture ResNet (net-bottleneck) on the inputs
 * of its PyTorch fixture, explained by mcam_explain(), against maps computed
 * by PyTorch from its own features — for the target network and, with
 * use_memory_classifier, for the memory classifier of memory-bottleneck. */
static void
test_pytorch_network (void)
{
  Ref *r = ref_open ();
  BaselinesFixtureNet fx;
  g_autoptr(GError) error = NULL;
  const McamNetInfo *info;
  int n_img, hw;
  const McamMethod methods[] = { MCAM_METHOD_GRADCAM, MCAM_METHOD_GRADCAM_PP,
                                 MCAM_METHOD_EIGENGRADCAM };
  const char *names[] = { "gradcam", "gradcampp", "eigengradcam" };

  baselines_fixture_net_open (&fx);
  info = mcam_net_get_info (fx.net);
  n_img = fx.inputs->shape[0];
  hw = info->feat_h * info->feat_w;
  for (int i = 0; i < n_img; i++)
    {
      g_autoptr(McamTensor) in = baselines_fixture_net_input (&fx, i);
      g_autoptr(McamAnalysis) a = mcam_analysis_new_from_input (fx.net, fx.memory, in, NULL,
                                                                &error);
      McamExplainOptions opts;
      g_assert_no_error (error);
      mcam_explain_options_init (&opts);

      {
        g_autoptr(McamExplanation) e = mcam_explain (a, 0, MCAM_METHOD_EIGENCAM, &opts, NULL,
                                                     &error);
        g_autofree char *name = g_strdup_printf ("net.%d.eigencam", i);
        g_assert_no_error (error);
        compare_ref (r, name, e->map, hw);
      }
      for (int head = 0; head < 2; head++)
        for (int k = 0; k < info->n_classes; k++)
          for (guint m = 0; m < G_N_ELEMENTS (methods); m++)
            {
              g_autofree char *name = g_strdup_printf ("net.%d.%s.%d.%s", i,
                                                       head ? "memory" : "target", k, names[m]);
              g_autoptr(McamExplanation) e = NULL;
              opts.use_memory_classifier = head == 1;
              e = mcam_explain (a, k, methods[m], &opts, NULL, &error);
              g_assert_no_error (error);
              g_assert_cmpint (e->h * e->w, ==, hw);
              compare_ref (r, name, e->map, hw);
            }
    }
  baselines_fixture_net_close (&fx);
  ref_close (r);
}

int
main (int argc, char **argv)
{
  mcam_test_init (&argc, &argv);
  g_test_add_func ("/mcam/baselines/pytorch-reference", test_pytorch_reference);
  g_test_add_func ("/mcam/baselines/pytorch-ablation-memory", test_pytorch_ablation_memory);
  g_test_add_func ("/mcam/baselines/memory-grad-fd", test_memory_grad_fd);
  g_test_add_func ("/mcam/baselines/dispatch-memory", test_dispatch_memory);
  g_test_add_func ("/mcam/baselines/pytorch-network", test_pytorch_network);
  return g_test_run ();
}
