/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The graph engine's kernels, each against a plain-loop reference on NCHW
 * data: small graphs built with the builder, run in batches (the engine's
 * CNHW layout inside), the op's output read back through `keep`. Also the
 * load-time rewrites (folded vs unfolded BatchNorm, fused residual and
 * activation). The builder's refusals, a run at another image size and the
 * reverse pass are in test-graph-run.c. */

#include <math.h>
#include <string.h>

#include "mcam-test-util.h"
#include "mcam/mcam-error.h"
#include "mcam-graph-private.h"
#include "test-graph-util.h"

/* ---- convolution ---------------------------------------------------------- */

typedef struct
{
  int C, O, G, k, s, pad[4];
} ConvCase;

static void
conv_case (const ConvCase *cc)
{
  const int B = 3, H = 9, W = 11;
  g_autoptr (McamGraph) g = mcam_graph_new ("conv");
  g_autoptr (McamTensor) x = rnd_tensor (B, cc->C, H, W, 1);
  g_autoptr (McamTensor) y = NULL;
  g_autofree float *ref = NULL;
  gint64 in_shape[4] = { 1, cc->C, H, W };
  gint64 wshape[4] = { cc->O, cc->C / cc->G, cc->k, cc->k }, bshape[1] = { cc->O };
  McamNodeAttrs at;
  int in[3], OH, OW;

  mcam_node_attrs_init (&at);
  at.group = cc->G;
  at.stride[0] = at.stride[1] = cc->s;
  memcpy (at.pads, cc->pad, sizeof at.pads);
  in[0] = mcam_graph_add_input (g, "x", 4, in_shape, NULL);
  in[1] = constant (g, "w", 4, wshape, 2);
  in[2] = constant (g, "b", 1, bshape, 3);
  OH = (H + cc->pad[0] + cc->pad[2] - cc->k) / cc->s + 1;
  OW = (W + cc->pad[1] + cc->pad[3] - cc->k) / cc->s + 1;
  ref = g_new (float, (gsize) B * cc->O * OH * OW);
  conv_ref (x->data, B, cc->C, H, W, mcam_graph_get_value (g, in[1])->data,
            mcam_graph_get_value (g, in[2])->data, cc->O, cc->G, cc->k, cc->k, cc->s, cc->pad,
            OH, OW, ref);
  y = finish_and_run (g, node (g, MCAM_OP_CONV, "conv", in, 3, &at), x, NULL);
  g_assert_cmpint (y->shape[2], ==, OH);
  g_assert_cmpint (y->shape[3], ==, OW);
  g_assert_cmpfloat (mcam_test_rel_error (y->data, ref, y->n, 1e-3), <=, TOL);
}

/* one and two threads: on two, the groups of a grouped conv run side by side */
static void
test_conv (gconstpointer data)
{
  for (int t = 1; t <= 2; t++)
    {
      mcam_blas_set_threads (t);
      conv_case (data);
    }
  mcam_blas_set_threads (1);
}

static const ConvCase conv_cases[] = {
  { 8, 12, 1, 3, 1, { 1, 1, 1, 1 } },   /* plain */
  { 8, 12, 4, 3, 2, { 1, 1, 1, 1 } },   /* grouped, strided */
  { 32, 32, 8, 3, 1, { 1, 1, 1, 1 } },  /* 8 groups of 4 */
  { 6, 6, 6, 3, 1, { 1, 1, 1, 1 } },    /* depthwise */
  { 6, 6, 6, 5, 2, { 1, 2, 2, 1 } },    /* depthwise, strided, asymmetric pads */
  { 4, 4, 4, 7, 1, { 3, 3, 3, 3 } },    /* ConvNeXt's 7x7 depthwise */
};

/* conv -> BN -> Add(residual) -> ReLU: the rewrites fold and fuse all of it
 * into one conv; the result must equal the unfused graph's (the BN made a
 * standalone scale/shift by a second reader of the conv's output). */
static void
test_fusion (void)
{
  const int B = 2, C = 6, H = 8, W = 8;
  g_autoptr (McamTensor) x = rnd_tensor (B, C, H, W, 7);
  McamTensor *y[2] = { NULL, NULL };
  gint64 in_shape[4] = { 1, C, H, W }, wshape[4] = { C, C, 3, 3 }, cs[1] = { C };

  for (int variant = 0; variant < 2; variant++)
    {
      g_autoptr (McamGraph) g = mcam_graph_new ("fusion");
      McamNodeAttrs at;
      int in[5], c, bn, add, r;

      mcam_node_attrs_init (&at);
      at.pads[0] = at.pads[1] = at.pads[2] = at.pads[3] = 1;
      in[0] = mcam_graph_add_input (g, "x", 4, in_shape, NULL);
      in[1] = constant (g, "w", 4, wshape, 8);
      c = node (g, MCAM_OP_CONV, "conv", in, 2, &at);
      in[0] = c;
      in[1] = constant (g, "gamma", 1, cs, 9);
      in[2] = constant (g, "beta", 1, cs, 10);
      in[3] = constant (g, "mean", 1, cs, 11);
      {
        float *var = rnd_array (C, 12);
        for (int i = 0; i < C; i++)
          var[i] = fabsf (var[i]) + 0.1f;
        in[4] = mcam_graph_add_constant (g, "var", 1, cs, var, NULL);
      }
      bn = node (g, MCAM_OP_BATCHNORM, "bn", in, 5, NULL);
      in[0] = bn;
      in[1] = mcam_graph_get_input (g);
      add = node (g, MCAM_OP_ADD, "add", in, 2, NULL);
      at.act.kind = MCAM_ACT_RELU;
      r = node (g, MCAM_OP_UNARY, "relu", &add, 1, &at);
      if (variant == 1)
        {
          /* a second reader of the conv output keeps BN unfolded */
          in[0] = c;
          in[1] = r;
          r = node (g, MCAM_OP_ADD, "sum", in, 2, NULL);
          in[0] = r;
          in[1] = c;
          r = node (g, MCAM_OP_SUB, "diff", in, 2, NULL);
        }
      y[variant] = finish_and_run (g, r, x, NULL);
    }
  g_assert_cmpfloat (mcam_test_rel_error (y[0]->data, y[1]->data, y[0]->n, 1e-3), <=, TOL);
  /* and ReLU happened */
  for (gsize i = 0; i < y[0]->n; i++)
    g_assert_cmpfloat (y[0]->data[i], >=, 0.0f);
  mcam_tensor_free (y[0]);
  mcam_tensor_free (y[1]);
}

/* Add(depthwise(x), x) -> ReLU: the Add and ReLU go into the depthwise
 * conv, whose output takes over the residual's buffer when the residual
 * dies there (here the graph input); the residual must still be added. */
static void
test_depthwise_residual (void)
{
  const int B = 2, C = 20, H = 9, W = 8, pads[4] = { 1, 1, 1, 1 };
  g_autoptr (McamGraph) g = mcam_graph_new ("dw-residual");
  g_autoptr (McamTensor) x = rnd_tensor (B, C, H, W, 40);
  g_autoptr (McamTensor) y = NULL;
  g_autofree float *ref = g_new (float, (gsize) B * C * H * W);
  gint64 in_shape[4] = { 1, C, H, W }, wshape[4] = { C, 1, 3, 3 }, bshape[1] = { C };
  McamNodeAttrs at;
  int in[3], add;

  mcam_node_attrs_init (&at);
  at.group = C;
  memcpy (at.pads, pads, sizeof at.pads);
  in[0] = mcam_graph_add_input (g, "x", 4, in_shape, NULL);
  in[1] = constant (g, "w", 4, wshape, 41);
  in[2] = constant (g, "b", 1, bshape, 42);
  conv_ref (x->data, B, C, H, W, mcam_graph_get_value (g, in[1])->data,
            mcam_graph_get_value (g, in[2])->data, C, C, 3, 3, 1, pads, H, W, ref);
  for (gsize i = 0; i < x->n; i++)
    ref[i] = MAX (0.0f, ref[i] + x->data[i]);
  in[0] = node (g, MCAM_OP_CONV, "dw", in, 3, &at);
  in[1] = mcam_graph_get_input (g);
  add = node (g, MCAM_OP_ADD, "add", in, 2, NULL);
  mcam_node_attrs_init (&at);
  at.act.kind = MCAM_ACT_RELU;
  y = finish_and_run (g, node (g, MCAM_OP_UNARY, "relu", &add, 1, &at), x, NULL);
  g_assert_cmpfloat (mcam_test_rel_error (y->data, ref, y->n, 1e-3), <=, TOL);
}

/* ---- element-wise and layout ops ----------------------------------------- */

static void
test_binary_broadcast (void)
{
  const int B = 2, C = 3, H = 4, W = 5;
  static const McamOpType ops[] = { MCAM_OP_ADD, MCAM_OP_SUB, MCAM_OP_MUL, MCAM_OP_DIV };

  for (gsize k = 0; k < G_N_ELEMENTS (ops); k++)
    {
      g_autoptr (McamGraph) g = mcam_graph_new ("binary");
      g_autoptr (McamTensor) x = rnd_tensor (B, C, H, W, 20);
      g_autoptr (McamTensor) y = NULL;
      gint64 in_shape[4] = { 1, C, H, W }, cshape[3] = { C, 1, W };
      int in[2], se[2], sq;
      const float *cv;

      in[0] = mcam_graph_add_input (g, "x", 4, in_shape, NULL);
      in[1] = constant (g, "c", 3, cshape, 21);
      cv = mcam_graph_get_value (g, in[1])->data;
      /* x (op) c, then a [B,C,1,1] squeeze-excite style product with a map */
      sq = node (g, ops[k], "bin", in, 2, NULL);
      se[0] = node (g, MCAM_OP_GLOBAL_AVGPOOL, "pool", &in[0], 1, NULL);
      se[1] = sq;
      y = finish_and_run (g, node (g, MCAM_OP_MUL, "se", se, 2, NULL), x, NULL);
      for (int b = 0; b < B; b++)
        for (int c = 0; c < C; c++)
          {
            double mean = 0;
            for (int i = 0; i < H * W; i++)
              mean += x->data[((gsize) b * C + c) * H * W + i];
            mean /= H * W;
            for (int h = 0; h < H; h++)
              for (int w = 0; w < W; w++)
                {
                  gsize i = (((gsize) b * C + c) * H + h) * W + w;
                  float a = x->data[i], v = cv[c * W + w], r;
                  r = ops[k] == MCAM_OP_ADD ? a + v : ops[k] == MCAM_OP_SUB ? a - v
                      : ops[k] == MCAM_OP_MUL ? a * v : a / v;
                  g_assert_cmpfloat (fabs (y->data[i] - mean * r), <=, 1e-4 * (1 + fabs (mean * r)));
                }
          }
    }
}

/* The per-channel fast path of the binary ops (one value per plane, either
 * operand order): Mul(map, SE scale [B,C,1,1]) and Add(constant [C,1,1], map)
 * at batch 2 on 7x7 planes (rows that are not a multiple of a vector). */
static void
test_binary_per_channel (void)
{
  const int B = 2, C = 5, H = 7, W = 7;

  for (int order = 0; order < 2; order++)
    {
      g_autoptr (McamGraph) g = mcam_graph_new ("per-channel");
      g_autoptr (McamTensor) x = rnd_tensor (B, C, H, W, 30 + order);
      g_autoptr (McamTensor) y = NULL;
      gint64 in_shape[4] = { 1, C, H, W }, cshape[3] = { C, 1, 1 };
      int in, c, pool, t[2], u;
      const float *cv;

      in = mcam_graph_add_input (g, "x", 4, in_shape, NULL);
      c = constant (g, "c", 3, cshape, 31);
      cv = mcam_graph_get_value (g, c)->data;
      pool = node (g, MCAM_OP_GLOBAL_AVGPOOL, "pool", &in, 1, NULL);
      t[0] = order == 0 ? in : pool;
      t[1] = order == 0 ? pool : in;
      u = node (g, MCAM_OP_MUL, "scale", t, 2, NULL);
      t[0] = order == 0 ? c : u;
      t[1] = order == 0 ? u : c;
      y = finish_and_run (g, node (g, MCAM_OP_ADD, "shift", t, 2, NULL), x, NULL);
      for (int b = 0; b < B; b++)
        for (int ch = 0; ch < C; ch++)
          {
            const float *xp = x->data + ((gsize) b * C + ch) * H * W;
            double mean = 0;

            for (int i = 0; i < H * W; i++)
              mean += xp[i];
            mean /= H * W;
            for (int i = 0; i < H * W; i++)
              {
                double r = xp[i] * mean + cv[ch];

                g_assert_cmpfloat (fabs (y->data[((gsize) b * C + ch) * H * W + i] - r), <=,
                                   1e-5 * (1 + fabs (r)));
              }
          }
    }
}

static void
test_concat_pad_transpose (void)
{
  const int B = 2, C = 3, H = 4, W = 5;
  g_autoptr (McamGraph) g = mcam_graph_new ("layout");
  g_autoptr (McamTensor) x = rnd_tensor (B, C, H, W, 30);
  g_autoptr (McamTensor) y = NULL;
  gint64 in_shape[4] = { 1, C, H, W };
  McamNodeAttrs at;
  int in[2], cat, pad, t1, t2;

  in[0] = mcam_graph_add_input (g, "x", 4, in_shape, NULL);
  mcam_node_attrs_init (&at);
  at.pads[0] = 1; at.pads[1] = 0; at.pads[2] = 2; at.pads[3] = 1;
  at.value = 0.5f;
  pad = node (g, MCAM_OP_PAD, "pad", in, 1, &at);           /* [B,C,7,6] */
  /* NCHW -> NHWC -> NCHW, the ConvNeXt way */
  mcam_node_attrs_init (&at);
  at.perm[0] = 0; at.perm[1] = 2; at.perm[2] = 3; at.perm[3] = 1;
  t1 = node (g, MCAM_OP_TRANSPOSE, "t1", &pad, 1, &at);
  at.perm[0] = 0; at.perm[1] = 3; at.perm[2] = 1; at.perm[3] = 2;
  t2 = node (g, MCAM_OP_TRANSPOSE, "t2", &t1, 1, &at);
  in[0] = pad;
  in[1] = t2;
  mcam_node_attrs_init (&at);
  at.axis = 1;
  cat = node (g, MCAM_OP_CONCAT, "cat", in, 2, &at);       /* [B,2C,7,6] */
  y = finish_and_run (g, cat, x, NULL);
  g_assert_cmpint (y->shape[1], ==, 2 * C);
  g_assert_cmpint (y->shape[2], ==, H + 3);
  g_assert_cmpint (y->shape[3], ==, W + 1);
  for (int b = 0; b < B; b++)
    for (int c = 0; c < 2 * C; c++)
      for (int h = 0; h < H + 3; h++)
        for (int w = 0; w < W + 1; w++)
          {
            int ih = h - 1, iw = w;
            float want = ih >= 0 && ih < H && iw < W
                           ? x->data[(((gsize) b * C + c % C) * H + ih) * W + iw] : 0.5f;
            g_assert_cmpfloat (y->data[(((gsize) b * 2 * C + c) * (H + 3) + h) * (W + 1) + w], ==,
                               want);
          }
}

static void
test_pools (void)
{
  const int B = 2, C = 3, H = 7, W = 6;
  for (int variant = 0; variant < 3; variant++)
    {
      g_autoptr (McamGraph) g = mcam_graph_new ("pool");
      g_autoptr (McamTensor) x = rnd_tensor (B, C, H, W, 40 + variant);
      g_autoptr (McamTensor) y = NULL;
      gint64 in_shape[4] = { 1, C, H, W };
      McamNodeAttrs at;
      int in;
      gboolean is_max = variant == 0;

      mcam_node_attrs_init (&at);
      at.kernel[0] = 3; at.kernel[1] = 2;
      at.stride[0] = 2; at.stride[1] = 2;
      at.pads[0] = 1; at.pads[1] = 1; at.pads[2] = 1; at.pads[3] = 0;
      at.count_include_pad = variant == 2;
      at.ceil_mode = variant == 1;
      in = mcam_graph_add_input (g, "x", 4, in_shape, NULL);
      y = finish_and_run (g, node (g, is_max ? MCAM_OP_MAXPOOL : MCAM_OP_AVGPOOL, "pool",
                                   &in, 1, &at), x, NULL);
      for (int b = 0; b < B; b++)
        for (int c = 0; c < C; c++)
          for (int oy = 0; oy < y->shape[2]; oy++)
            for (int ox = 0; ox < y->shape[3]; ox++)
              {
                double acc = 0, m = -INFINITY;
                int n = 0, area = 0;

                for (int ky = 0; ky < 3; ky++)
                  for (int kx = 0; kx < 2; kx++)
                    {
                      int iy = oy * 2 - 1 + ky, ix = ox * 2 - 1 + kx;
                      if (iy < H + 1 && ix < W)
                        area++;
                      if (iy < 0 || iy >= H || ix < 0 || ix >= W)
                        continue;
                      float v = x->data[(((gsize) b * C + c) * H + iy) * W + ix];
                      acc += v;
                      m = MAX (m, v);
                      n++;
                    }
                float want = is_max ? (float) m : (float) (acc / (variant == 2 ? area : n));
                float got = y->data[(((gsize) b * C + c) * y->shape[2] + oy) * y->shape[3] + ox];
                g_assert_cmpfloat (fabs (got - want), <=, 1e-6);
              }
    }
  /* DenseNet's transition pool as exported: a Pad of zeros (dropped) then
   * 2×2, stride 2, no pads (its own loop); an odd H leaves the last row out */
  {
    g_autoptr (McamGraph) g = mcam_graph_new ("pool2");
    g_autoptr (McamTensor) x = rnd_tensor (B, C, H, W, 44), y = NULL;
    gint64 in_shape[4] = { 1, C, H, W };
    McamNodeAttrs at;
    int in;

    in = mcam_graph_add_input (g, "x", 4, in_shape, NULL);
    mcam_node_attrs_init (&at);
    in = node (g, MCAM_OP_PAD, "zero-pad", &in, 1, &at);
    at.kernel[0] = at.kernel[1] = 2;
    at.stride[0] = at.stride[1] = 2;
    y = finish_and_run (g, node (g, MCAM_OP_AVGPOOL, "pool", &in, 1, &at), x, NULL);
    g_assert_true (((McamNode *) g_ptr_array_index (g->nodes, 0))->dead);   /* the Pad */
    g_assert_cmpint (y->shape[2], ==, H / 2);
    g_assert_cmpint (y->shape[3], ==, W / 2);
    for (int p = 0; p < B * C; p++)
      for (int oy = 0; oy < H / 2; oy++)
        for (int ox = 0; ox < W / 2; ox++)
          {
            const float *r = x->data + ((gsize) p * H + 2 * oy) * W + 2 * ox;
            double want = (r[0] + (double) r[1] + r[W] + r[W + 1]) / 4.0;

            g_assert_cmpfloat (fabs (y->data[((gsize) p * (H / 2) + oy) * (W / 2) + ox] - want),
                               <=, 1e-6);
          }
  }
}

/* LayerNorm over channels on NHWC, the MatMul linear layer and GELU;
 * ReduceMean over H, W with keepdims. */
static void
test_layernorm_matmul (void)
{
  const int B = 2, C = 4, H = 3, W = 5, O = 6;
  g_autoptr (McamGraph) g = mcam_graph_new ("ln");
  g_autoptr (McamTensor) x = rnd_tensor (B, C, H, W, 50);
  g_autoptr (McamTensor) y = NULL;
  gint64 in_shape[4] = { 1, C, H, W }, cs[1] = { C }, ws[2] = { C, O }, os[1] = { O };
  McamNodeAttrs at;
  int in[3], t, ln, mm, add, ge, rm;
  const float *gamma, *beta, *wm;
  g_autofree float *bias = NULL;   /* a copy: the fused constant is freed by finish */

  in[0] = mcam_graph_add_input (g, "x", 4, in_shape, NULL);
  mcam_node_attrs_init (&at);
  at.perm[0] = 0; at.perm[1] = 2; at.perm[2] = 3; at.perm[3] = 1;
  t = node (g, MCAM_OP_TRANSPOSE, "nhwc", in, 1, &at);
  in[0] = t;
  in[1] = constant (g, "gamma", 1, cs, 51);
  in[2] = constant (g, "beta", 1, cs, 52);
  gamma = mcam_graph_get_value (g, in[1])->data;
  beta = mcam_graph_get_value (g, in[2])->data;
  mcam_node_attrs_init (&at);
  at.eps = 1e-6f;
  ln = node (g, MCAM_OP_LAYERNORM, "ln", in, 3, &at);
  in[0] = ln;
  in[1] = constant (g, "w", 2, ws, 53);
  wm = mcam_graph_get_value (g, in[1])->data;
  mm = node (g, MCAM_OP_MATMUL, "mm", in, 2, NULL);
  /* the bias as exported: Add (b, MatMul), fused into the MatMul */
  in[0] = constant (g, "b", 1, os, 54);
  in[1] = mm;
  bias = g_memdup2 (mcam_graph_get_value (g, in[0])->data, sizeof (float) * O);
  add = node (g, MCAM_OP_ADD, "add", in, 2, NULL);
  mcam_node_attrs_init (&at);
  at.act.kind = MCAM_ACT_GELU;
  ge = node (g, MCAM_OP_UNARY, "gelu", &add, 1, &at);
  mcam_node_attrs_init (&at);
  at.perm[0] = 0; at.perm[1] = 3; at.perm[2] = 1; at.perm[3] = 2;
  t = node (g, MCAM_OP_TRANSPOSE, "nchw", &ge, 1, &at);
  mcam_node_attrs_init (&at);
  at.axes_mask = (1u << 2) | (1u << 3);
  at.keepdims = TRUE;
  rm = node (g, MCAM_OP_REDUCE_MEAN, "rm", &t, 1, &at);
  y = finish_and_run (g, t, x, NULL);
  for (int b = 0; b < B; b++)
    for (int h = 0; h < H; h++)
      for (int w = 0; w < W; w++)
        {
          double mean = 0, var = 0, z[C];
          for (int c = 0; c < C; c++)
            mean += x->data[(((gsize) b * C + c) * H + h) * W + w];
          mean /= C;
          for (int c = 0; c < C; c++)
            {
              double d = x->data[(((gsize) b * C + c) * H + h) * W + w] - mean;
              var += d * d;
            }
          var /= C;
          for (int c = 0; c < C; c++)
            z[c] = (x->data[(((gsize) b * C + c) * H + h) * W + w] - mean) / sqrt (var + 1e-6) *
                   gamma[c] + beta[c];
          for (int o = 0; o < O; o++)
            {
              double a = bias[o];
              for (int c = 0; c < C; c++)
                a += z[c] * wm[c * O + o];
              a = 0.5 * a * (1 + erf (a / sqrt (2.0)));
              g_assert_cmpfloat (fabs (y->data[(((gsize) b * O + o) * H + h) * W + w] - a), <=,
                                 1e-5);
            }
        }
  /* the Add and the GELU went into the MatMul (bias and epilogue) */
  for (guint i = 0; i < g->nodes->len; i++)
    {
      const McamNode *n = g_ptr_array_index (g->nodes, i);

      if (n->op == MCAM_OP_MATMUL)
        g_assert_true (!n->dead && n->bias != NULL && n->attrs.act.kind == MCAM_ACT_GELU);
      if (strcmp (n->name, "add") == 0 || strcmp (n->name, "gelu") == 0)
        g_assert_true (n->dead);
    }
  (void) rm;
}

/* Activations vs their formulas, on a Gemm's output (fused epilogue). */
static void
test_gemm_acts (void)
{
  static const McamActKind acts[] = { MCAM_ACT_RELU, MCAM_ACT_CLIP, MCAM_ACT_SIGMOID,
                                      MCAM_ACT_HARD_SIGMOID, MCAM_ACT_HARD_SWISH, MCAM_ACT_SILU,
                                      MCAM_ACT_GELU };
  const int B = 3, C = 5, H = 2, W = 3, O = 7;

  for (gsize k = 0; k < G_N_ELEMENTS (acts); k++)
    {
      g_autoptr (McamGraph) g = mcam_graph_new ("gemm");
      g_autoptr (McamTensor) x = rnd_tensor (B, C, H, W, 60);
      g_autoptr (McamTensor) y = NULL, out = NULL;
      gint64 in_shape[4] = { 1, C, H, W }, ws[2] = { O, C * H * W }, bs[1] = { O };
      McamNodeAttrs at;
      int in[3], f, gm, a;
      const float *wv, *bv;

      in[0] = mcam_graph_add_input (g, "x", 4, in_shape, NULL);
      f = node (g, MCAM_OP_FLATTEN, "flat", in, 1, NULL);
      in[0] = f;
      in[1] = constant (g, "w", 2, ws, 61);
      in[2] = constant (g, "b", 1, bs, 62);
      wv = mcam_graph_get_value (g, in[1])->data;
      bv = mcam_graph_get_value (g, in[2])->data;
      mcam_node_attrs_init (&at);
      at.trans_b = TRUE;
      gm = node (g, MCAM_OP_GEMM, "fc", in, 3, &at);
      mcam_node_attrs_init (&at);
      at.act.kind = acts[k];
      at.act.a = acts[k] == MCAM_ACT_CLIP ? -0.2f : 0.2f;
      at.act.b = acts[k] == MCAM_ACT_CLIP ? 0.3f : 0.5f;
      a = node (g, MCAM_OP_UNARY, "act", &gm, 1, &at);
      y = finish_and_run (g, a, x, &out);
      g_assert_cmpint (out->shape[0], ==, B);
      g_assert_cmpint (out->shape[1], ==, O);
      for (int b = 0; b < B; b++)
        for (int o = 0; o < O; o++)
          {
            double z = bv[o], r;
            for (int i = 0; i < C * H * W; i++)
              z += (double) wv[o * C * H * W + i] * x->data[(gsize) b * C * H * W + i];
            switch (acts[k])
              {
              case MCAM_ACT_RELU: r = MAX (z, 0); break;
              case MCAM_ACT_CLIP: r = CLAMP (z, -0.2, 0.3); break;
              case MCAM_ACT_SIGMOID: r = 1 / (1 + exp (-z)); break;
              case MCAM_ACT_HARD_SIGMOID: r = CLAMP (0.2 * z + 0.5, 0, 1); break;
              case MCAM_ACT_HARD_SWISH: r = z * CLAMP (z / 6 + 0.5, 0, 1); break;
              case MCAM_ACT_SILU: r = z / (1 + exp (-z)); break;
              default: r = 0.5 * z * (1 + erf (z / sqrt (2.0))); break;
              }
            g_assert_cmpfloat (fabs (out->data[(gsize) b * O + o] - r), <=, 1e-5);
          }
    }
}

/* ---- refusals ------------------------------------------------------------- */

int
main (int argc, char **argv)
{
  mcam_test_init (&argc, &argv);
  for (gsize i = 0; i < G_N_ELEMENTS (conv_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/mcam/graph-ops/conv/%" G_GSIZE_FORMAT, i);
      g_test_add_data_func (path, &conv_cases[i], test_conv);
    }
  g_test_add_func ("/mcam/graph-ops/fusion", test_fusion);
  g_test_add_func ("/mcam/graph-ops/depthwise-residual", test_depthwise_residual);
  g_test_add_func ("/mcam/graph-ops/binary-broadcast", test_binary_broadcast);
  g_test_add_func ("/mcam/graph-ops/binary-per-channel", test_binary_per_channel);
  g_test_add_func ("/mcam/graph-ops/concat-pad-transpose", test_concat_pad_transpose);
  g_test_add_func ("/mcam/graph-ops/pools", test_pools);
  g_test_add_func ("/mcam/graph-ops/layernorm-matmul", test_layernorm_matmul);
  g_test_add_func ("/mcam/graph-ops/gemm-acts", test_gemm_acts);
  return g_test_run ();
}
