/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The graph as a whole (split from test-graph-ops.c, which checks each
 * kernel): the builder's refusals of malformed graphs, a run from any map at
 * another H x W, and the reverse pass (mcam_graph_gradient) against finite
 * differences. */

#include <math.h>
#include <string.h>

#include "mcam-test-util.h"
#include "mcam/mcam-error.h"
#include "mcam-graph-private.h"
#include "test-graph-util.h"

static void
test_refusals (void)
{
  g_autoptr (McamGraph) g = mcam_graph_new ("bad.onnx");
  g_autoptr (GError) error = NULL;
  gint64 in_shape[4] = { 1, 3, 8, 8 }, wshape[4] = { 4, 5, 3, 3 }, cs[1] = { 7 };
  int in[3], bad[2] = { 0, 42 };

  in[0] = mcam_graph_add_input (g, "x", 4, in_shape, NULL);
  in[1] = constant (g, "w", 4, wshape, 1);
  /* shape mismatch: 5 input channels in w, 3 in x */
  g_assert_cmpint (mcam_graph_add_node (g, MCAM_OP_CONV, "conv7", in, 2, "y", NULL, &error), ==, -1);
  g_assert_error (error, MCAM_ERROR, MCAM_ERROR_SHAPE);
  g_assert_nonnull (strstr (error->message, "conv7"));
  g_assert_nonnull (strstr (error->message, "Conv"));
  g_clear_error (&error);
  /* a dangling input (or a cycle: a value read before it is made) */
  g_assert_cmpint (mcam_graph_add_node (g, MCAM_OP_ADD, "add3", bad, 2, "z", NULL, &error), ==, -1);
  g_assert_error (error, MCAM_ERROR, MCAM_ERROR_FORMAT);
  g_assert_nonnull (strstr (error->message, "add3"));
  g_clear_error (&error);
  /* broadcast mismatch */
  in[1] = constant (g, "c", 1, cs, 2);
  g_assert_cmpint (mcam_graph_add_node (g, MCAM_OP_MUL, "mul", in, 2, "m", NULL, &error), ==, -1);
  g_assert_error (error, MCAM_ERROR, MCAM_ERROR_SHAPE);
  g_clear_error (&error);
  /* a value named twice */
  g_assert_cmpint (mcam_graph_add_constant (g, "c", 1, cs, g_new0 (float, 7), &error), ==, -1);
  g_assert_error (error, MCAM_ERROR, MCAM_ERROR_FORMAT);
  g_clear_error (&error);
  /* the output must be [N, classes] */
  g_assert_false (mcam_graph_finish (g, in[0], &error));
  g_assert_error (error, MCAM_ERROR, MCAM_ERROR_UNSUPPORTED);
}

/* Another image size than the graph was built for: shapes follow. */
static void
test_other_size (void)
{
  g_autoptr (McamGraph) g = mcam_graph_new ("size");
  g_autoptr (GError) error = NULL;
  g_autoptr (McamTensor) x = rnd_tensor (2, 4, 13, 7, 70), y = NULL, o = NULL;
  g_autofree float *ref = NULL;
  gint64 in_shape[4] = { 1, 4, 8, 8 }, wshape[4] = { 5, 4, 3, 3 }, bshape[1] = { 5 };
  static const int pads[4] = { 1, 1, 1, 1 };
  McamNodeAttrs at;
  int in[3], c, p, f;
  const float *wv, *bv;

  mcam_node_attrs_init (&at);
  memcpy (at.pads, pads, sizeof pads);
  in[0] = mcam_graph_add_input (g, "x", 4, in_shape, NULL);
  in[1] = constant (g, "w", 4, wshape, 71);
  in[2] = constant (g, "b", 1, bshape, 72);
  /* read before mcam_graph_finish, which hands the parameters to the node */
  wv = mcam_graph_get_value (g, in[1])->data;
  bv = mcam_graph_get_value (g, in[2])->data;
  c = node (g, MCAM_OP_CONV, "conv", in, 3, &at);
  p = node (g, MCAM_OP_GLOBAL_AVGPOOL, "gap", &c, 1, NULL);
  f = node (g, MCAM_OP_FLATTEN, "flat", &p, 1, NULL);
  g_assert_true (mcam_graph_finish (g, f, &error));
  g_assert_cmpint (mcam_graph_default_target (g), ==, c);
  g_assert_true (mcam_graph_run (g, in[0], x, c, &y, &o, NULL, &error));
  g_assert_no_error (error);
  ref = g_new (float, 2 * 5 * 13 * 7);
  conv_ref (x->data, 2, 4, 13, 7, wv, bv, 5, 1, 3, 3, 1, pads, 13, 7, ref);
  g_assert_cmpfloat (mcam_test_rel_error (y->data, ref, y->n, 1e-3), <=, TOL);
  /* a head pass from the target gives the same output */
  {
    g_autoptr (McamTensor) o2 = NULL;
    g_assert_true (mcam_graph_run (g, c, y, -1, NULL, &o2, NULL, &error));
    g_assert_cmpfloat (mcam_test_rel_error (o2->data, o->data, o->n, 1e-6), <=, 1e-6);
  }
}


/* ---- the reverse pass ------------------------------------------------------ */

/* A small random graph through every op with a backward; its output
 * seed · logits as a function of the value `from`. */
static McamGraph *
fd_graph (int *a_out)
{
  McamGraph *g = mcam_graph_new ("fd");
  gint64 xs[4] = { 1, 3, 8, 8 }, ws[4] = { 6, 3, 3, 3 }, cs[1] = { 6 }, dws[4] = { 6, 1, 3, 3 };
  gint64 ln[1] = { 6 }, mm[2] = { 6, 5 }, fc[2] = { 4, 22 }, fb[1] = { 4 }, one[1] = { 1 };
  McamNodeAttrs at;
  int in[5], a, b, c, d, e, f, h, se;

  in[0] = mcam_graph_add_input (g, "x", 4, xs, NULL);
  mcam_node_attrs_init (&at);
  at.pads[0] = at.pads[1] = at.pads[2] = at.pads[3] = 1;
  in[1] = constant (g, "w", 4, ws, 80);
  in[2] = constant (g, "b", 1, cs, 81);
  a = node (g, MCAM_OP_CONV, "conv", in, 3, &at);
  in[0] = a;
  in[1] = constant (g, "gamma", 1, cs, 82);
  in[2] = constant (g, "beta", 1, cs, 83);
  in[3] = constant (g, "mean", 1, cs, 84);
  {
    float *var = rnd_array (6, 85);
    for (int i = 0; i < 6; i++)
      var[i] = fabsf (var[i]) + 0.5f;
    in[4] = mcam_graph_add_constant (g, "var", 1, cs, var, NULL);
  }
  a = node (g, MCAM_OP_BATCHNORM, "bn", in, 5, NULL);
  a = unary (g, "silu", a, MCAM_ACT_SILU);
  *a_out = a;
  /* 1×1 convs on the 64 pixels (the own kernel, AVX-512: the activation in
   * its tile epilogue): hard-swish, then SiLU over a residual */
  {
    gint64 pws[4] = { 6, 6, 1, 1 };
    int p;

    mcam_node_attrs_init (&at);
    in[0] = a;
    in[1] = constant (g, "pw1.w", 4, pws, 99);
    in[2] = constant (g, "pw1.b", 1, cs, 100);
    p = node (g, MCAM_OP_CONV, "pw1", in, 3, &at);
    p = unary (g, "pw1.hswish", p, MCAM_ACT_HARD_SWISH);
    in[0] = p;
    in[1] = constant (g, "pw2.w", 4, pws, 101);
    in[2] = constant (g, "pw2.b", 1, cs, 102);
    p = node (g, MCAM_OP_CONV, "pw2", in, 3, &at);
    in[0] = p;
    in[1] = a;
    p = node (g, MCAM_OP_ADD, "pw2.add", in, 2, NULL);
    a = unary (g, "pw2.silu", p, MCAM_ACT_SILU);
  }
  /* depthwise, strided, asymmetric pads; hard-swish */
  mcam_node_attrs_init (&at);
  at.group = 6;
  at.stride[0] = at.stride[1] = 2;
  at.pads[0] = 1; at.pads[1] = 0; at.pads[2] = 1; at.pads[3] = 1;
  in[0] = a;
  in[1] = constant (g, "dw", 4, dws, 86);
  b = node (g, MCAM_OP_CONV, "dwconv", in, 2, &at);
  b = unary (g, "hswish", b, MCAM_ACT_HARD_SWISH);
  /* squeeze-excite */
  se = node (g, MCAM_OP_GLOBAL_AVGPOOL, "se.pool", &b, 1, NULL);
  se = unary (g, "se.sigmoid", se, MCAM_ACT_SIGMOID);
  in[0] = b;
  in[1] = se;
  c = node (g, MCAM_OP_MUL, "se.mul", in, 2, NULL);
  /* ConvNeXt-style: NHWC LayerNorm, MatMul, GELU, back */
  mcam_node_attrs_init (&at);
  at.perm[0] = 0; at.perm[1] = 2; at.perm[2] = 3; at.perm[3] = 1;
  d = node (g, MCAM_OP_TRANSPOSE, "nhwc", &c, 1, &at);
  in[0] = d;
  in[1] = constant (g, "ln.g", 1, ln, 87);
  in[2] = constant (g, "ln.b", 1, ln, 88);
  d = node (g, MCAM_OP_LAYERNORM, "ln", in, 3, NULL);
  in[0] = d;
  in[1] = constant (g, "mm", 2, mm, 89);
  d = node (g, MCAM_OP_MATMUL, "mm.out", in, 2, NULL);
  in[0] = d;
  in[1] = constant (g, "mm.b", 1, (gint64[]) { 5 }, 94);
  d = node (g, MCAM_OP_ADD, "mm.bias", in, 2, NULL);
  d = unary (g, "gelu", d, MCAM_ACT_GELU);
  mcam_node_attrs_init (&at);
  at.perm[0] = 0; at.perm[1] = 3; at.perm[2] = 1; at.perm[3] = 2;
  d = node (g, MCAM_OP_TRANSPOSE, "nchw", &d, 1, &at);
  /* DenseNet-style concat, pad, average and max pooling */
  in[0] = c;
  in[1] = d;
  mcam_node_attrs_init (&at);
  e = node (g, MCAM_OP_CONCAT, "cat", in, 2, &at);
  /* a BatchNorm + SiLU over the concat only, whose inputs a later concat
   * reads again (a DenseNet layer's input): fused into it */
  {
    gint64 c12[1] = { 11 };   /* 6 + 5 channels */
    float *var = rnd_array (11, 95);

    for (int i = 0; i < 11; i++)
      var[i] = fabsf (var[i]) + 0.5f;
    in[0] = e;
    in[1] = constant (g, "cat.bn.g", 1, c12, 96);
    in[2] = constant (g, "cat.bn.b", 1, c12, 97);
    in[3] = constant (g, "cat.bn.m", 1, c12, 98);
    in[4] = mcam_graph_add_constant (g, "cat.bn.v", 1, c12, var, NULL);
    e = node (g, MCAM_OP_BATCHNORM, "cat.bn", in, 5, NULL);
    e = unary (g, "cat.silu", e, MCAM_ACT_SILU);
    in[0] = c;
    in[1] = d;
    in[2] = e;
    mcam_node_attrs_init (&at);
    at.axis = 1;
    e = node (g, MCAM_OP_CONCAT, "cat2", in, 3, &at);   /* [1,22,4,4] */
  }
  mcam_node_attrs_init (&at);
  at.pads[0] = 1; at.pads[3] = 1;
  e = node (g, MCAM_OP_PAD, "pad", &e, 1, &at);
  mcam_node_attrs_init (&at);
  at.kernel[0] = at.kernel[1] = 2;
  at.count_include_pad = TRUE;
  f = node (g, MCAM_OP_AVGPOOL, "avg", &e, 1, &at);
  at.stride[0] = at.stride[1] = 2;
  f = node (g, MCAM_OP_MAXPOOL, "max", &f, 1, &at);
  /* (f - k) / k2, squared, mean over H and W */
  in[0] = f;
  in[1] = constant (g, "k", 1, one, 90);
  h = node (g, MCAM_OP_SUB, "sub", in, 2, NULL);
  in[0] = h;
  in[1] = mcam_graph_add_constant (g, "k2", 1, one, g_memdup2 ((float[]) { 1.5f }, sizeof (float)), NULL);
  h = node (g, MCAM_OP_DIV, "div", in, 2, NULL);
  in[0] = h;
  in[1] = mcam_graph_add_constant (g, "two", 1, one, g_memdup2 ((float[]) { 2.0f }, sizeof (float)), NULL);
  h = node (g, MCAM_OP_POW, "sq", in, 2, NULL);
  mcam_node_attrs_init (&at);
  at.axes_mask = 0xc;
  h = node (g, MCAM_OP_REDUCE_MEAN, "rm", &h, 1, &at);
  h = node (g, MCAM_OP_FLATTEN, "flat", &h, 1, NULL);
  in[0] = h;
  in[1] = constant (g, "fc.w", 2, fc, 91);
  in[2] = constant (g, "fc.b", 1, fb, 92);
  mcam_node_attrs_init (&at);
  at.trans_b = TRUE;
  h = node (g, MCAM_OP_GEMM, "fc", in, 3, &at);
  g_assert_true (mcam_graph_finish (g, h, NULL));
  return g;
}

static double
seeded_output (McamGraph *g, int from, const McamTensor *x, const float *seed)
{
  g_autoptr (McamTensor) out = NULL;
  g_autoptr (GError) error = NULL;
  double s = 0;

  g_assert_true (mcam_graph_run (g, from, x, -1, NULL, &out, NULL, &error));
  for (gsize i = 0; i < out->n; i++)
    s += (double) seed[i] * out->data[i];
  return s;
}

/* The reverse pass vs central differences, from the input and from an
 * inner value (the head segment only). */
static void
test_gradient_fd (void)
{
  int a;
  g_autoptr (McamGraph) g = fd_graph (&a);
  const float seed[4] = { 0.7f, -1.3f, 0.4f, 2.0f };

  for (int which = 0; which < 2; which++)
    {
      int from = which == 0 ? mcam_graph_get_input (g) : a;
      g_autoptr (McamTensor) x = NULL, grad = NULL, logits = NULL;
      g_autoptr (GError) error = NULL;
      double worst = 0, scale = 1e-3;

      if (which == 0)
        x = rnd_tensor (1, 3, 8, 8, 93);
      else
        {
          g_autoptr (McamTensor) x0 = rnd_tensor (1, 3, 8, 8, 93), o = NULL;
          g_assert_true (mcam_graph_run (g, mcam_graph_get_input (g), x0, a, &x, &o, NULL, &error));
        }
      g_assert_true (mcam_graph_gradient (g, from, x, seed, &grad, &logits, &error));
      g_assert_no_error (error);
      for (gsize i = 0; i < grad->n; i++)
        scale = MAX (scale, fabs (grad->data[i]));
      for (gsize i = 0; i < x->n; i++)
        {
          float keep = x->data[i];
          double up, down, fd;
          const float eps = 1e-2f;

          x->data[i] = keep + eps;
          up = seeded_output (g, from, x, seed);
          x->data[i] = keep - eps;
          down = seeded_output (g, from, x, seed);
          x->data[i] = keep;
          fd = (up - down) / (2.0 * eps);
          worst = MAX (worst, fabs (fd - grad->data[i]) / scale);
        }
      g_test_message ("%s: worst |fd - grad| / max|grad| = %.3g (max|grad| %.3g)",
                      which == 0 ? "from the input" : "from the SiLU output", worst, scale);
      g_assert_cmpfloat (worst, <=, 2e-2);
    }
}

int
main (int argc, char **argv)
{
  mcam_test_init (&argc, &argv);
  g_test_add_func ("/mcam/graph-ops/refusals", test_refusals);
  g_test_add_func ("/mcam/graph-ops/other-size", test_other_size);
  g_test_add_func ("/mcam/graph-ops/gradient-fd", test_gradient_fd);
  return g_test_run ();
}
