/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The rewrites of graph/mcam-graph-fold.c and the kernels they lean on, each
 * against a plain-loop reference: ConvNeXt's Linear (MatMul + bias + GELU,
 * in blocks of rows when large) and its layer scale, one image's NCHW <->
 * NHWC transposes in tiles, DenseNet's BatchNorm + ReLU taken by a Concat.
 * The rewrites are checked to have happened (dead nodes) and to have left
 * what should stay (a block's output as a map). */

#include "test-graph-util.h"

/* One image: NCHW -> NHWC -> NCHW is a 2-D transpose ([C][HW] <-> [HW][C]),
 * done in tiles; sizes that leave partial tiles on both axes */
static void
test_transpose_tiles (void)
{
  const int C = 37, H = 5, W = 9;
  g_autoptr (McamGraph) g = mcam_graph_new ("tiles");
  g_autoptr (McamTensor) x = rnd_tensor (1, C, H, W, 45), y = NULL, back = NULL;
  g_autoptr (GError) error = NULL;
  gint64 in_shape[4] = { 1, C, H, W };
  McamNodeAttrs at;
  int in, t1, t2, r;

  in = mcam_graph_add_input (g, "x", 4, in_shape, NULL);
  mcam_node_attrs_init (&at);
  at.perm[0] = 0; at.perm[1] = 2; at.perm[2] = 3; at.perm[3] = 1;
  t1 = node (g, MCAM_OP_TRANSPOSE, "t1", &in, 1, &at);
  at.perm[0] = 0; at.perm[1] = 3; at.perm[2] = 1; at.perm[3] = 2;
  t2 = node (g, MCAM_OP_TRANSPOSE, "t2", &t1, 1, &at);
  r = node (g, MCAM_OP_GLOBAL_AVGPOOL, "gap", &t2, 1, NULL);
  r = node (g, MCAM_OP_FLATTEN, "flat", &r, 1, NULL);
  g_assert_true (mcam_graph_finish (g, r, &error));
  g_assert_true (mcam_graph_run (g, in, x, t1, &y, NULL, NULL, &error));
  g_assert_no_error (error);
  for (int c = 0; c < C; c++)
    for (int p = 0; p < H * W; p++)
      g_assert_cmpfloat (y->data[(gsize) p * C + c], ==, x->data[(gsize) c * H * W + p]);
  g_assert_true (mcam_graph_run (g, in, x, t2, &back, NULL, NULL, &error));
  g_assert_cmpmem (back->data, sizeof (float) * back->n, x->data, sizeof (float) * x->n);
}

/* x [1,C,H,W] -> NHWC -> MatMul w [C,O] -> Add b [O], ConvNeXt's Linear as
 * exported; *wm and *bias get copies (finish takes or frees the constants) */
static int
nhwc_linear (McamGraph *g, int x, int C, int O, guint32 seed, float **wm, float **bias)
{
  gint64 ws[2] = { C, O }, os[1] = { O };
  McamNodeAttrs at;
  int in[2];

  mcam_node_attrs_init (&at);
  at.perm[0] = 0; at.perm[1] = 2; at.perm[2] = 3; at.perm[3] = 1;
  in[0] = node (g, MCAM_OP_TRANSPOSE, "nhwc", &x, 1, &at);
  in[1] = constant (g, "w", 2, ws, seed);
  *wm = g_memdup2 (mcam_graph_get_value (g, in[1])->data, sizeof (float) * C * O);
  in[0] = node (g, MCAM_OP_MATMUL, "mm", in, 2, NULL);
  in[1] = constant (g, "b", 1, os, seed + 1);
  *bias = g_memdup2 (mcam_graph_get_value (g, in[1])->data, sizeof (float) * O);
  return node (g, MCAM_OP_ADD, "bias", in, 2, NULL);
}

static int
to_nchw (McamGraph *g, int v)
{
  McamNodeAttrs at;

  mcam_node_attrs_init (&at);
  at.perm[0] = 0; at.perm[1] = 3; at.perm[2] = 1; at.perm[3] = 2;
  return node (g, MCAM_OP_TRANSPOSE, "nchw", &v, 1, &at);
}

/* A MatMul whose output passes 1 MB runs in blocks of rows, each block's
 * bias and GELU applied after its product: 2 × 32 × 32 rows of 160 outputs
 * give blocks of 819, 819 and 410 rows. */
static void
test_matmul_blocks (void)
{
  const int B = 2, C = 8, H = 32, W = 32, O = 160;
  g_autoptr (McamGraph) g = mcam_graph_new ("blocks");
  g_autoptr (McamTensor) x = rnd_tensor (B, C, H, W, 75), y = NULL;
  gint64 in_shape[4] = { 1, C, H, W };
  g_autofree float *wm = NULL, *bias = NULL;
  int v;
  double worst = 0.0;

  v = mcam_graph_add_input (g, "x", 4, in_shape, NULL);
  v = nhwc_linear (g, v, C, O, 76, &wm, &bias);
  v = to_nchw (g, unary (g, "gelu", v, MCAM_ACT_GELU));
  y = finish_and_run (g, v, x, NULL);
  for (int b = 0; b < B; b++)
    for (int p = 0; p < H * W; p++)
      for (int o = 0; o < O; o++)
        {
          double a = bias[o];

          for (int c = 0; c < C; c++)
            a += (double) x->data[((gsize) b * C + c) * H * W + p] * wm[c * O + o];
          a = 0.5 * a * erfc (-a / G_SQRT2);
          worst = fmax (worst, fabs (y->data[((gsize) b * O + o) * H * W + p] - a));
        }
  g_assert_cmpfloat (worst, <=, 1e-5);
}

/* DenseNet's layer input: Concat of three maps, BatchNorm, ReLU; the
 * BatchNorm cannot fold (no conv before it) and goes into the Concat. */
static void
test_concat_scale_shift (void)
{
  const int B = 2, H = 5, W = 3, C = 12;   /* pieces of 4, 1 and 7 channels */
  g_autoptr (McamGraph) g = mcam_graph_new ("dense");
  g_autoptr (McamTensor) x = rnd_tensor (B, 4, H, W, 64), y = NULL;
  gint64 in_shape[4] = { 1, 4, H, W }, cs[1] = { C };
  g_autofree float *gamma = rnd_array (C, 65), *beta = rnd_array (C, 66);
  g_autofree float *mean = rnd_array (C, 67), *var = rnd_array (C, 68);
  McamNodeAttrs at;
  int in[5], piece[3], v, cat2, last;

  in[0] = mcam_graph_add_input (g, "x", 4, in_shape, NULL);
  /* the pieces: x and two 1×1 convs of it */
  piece[0] = in[0];
  {
    gint64 w1[4] = { 1, 4, 1, 1 }, w2[4] = { 7, 4, 1, 1 };
    int ci[2] = { in[0], constant (g, "w1", 4, w1, 69) };

    piece[1] = node (g, MCAM_OP_CONV, "p1", ci, 2, NULL);
    ci[1] = constant (g, "w2", 4, w2, 70);
    piece[2] = node (g, MCAM_OP_CONV, "p2", ci, 2, NULL);
  }
  mcam_node_attrs_init (&at);
  at.axis = 1;
  v = node (g, MCAM_OP_CONCAT, "cat", piece, 3, &at);
  for (int c = 0; c < C; c++)
    var[c] = fabsf (var[c]) + 0.2f;
  in[0] = v;
  in[1] = mcam_graph_add_constant (g, "g", 1, cs, g_memdup2 (gamma, sizeof (float) * C), NULL);
  in[2] = mcam_graph_add_constant (g, "b", 1, cs, g_memdup2 (beta, sizeof (float) * C), NULL);
  in[3] = mcam_graph_add_constant (g, "m", 1, cs, g_memdup2 (mean, sizeof (float) * C), NULL);
  in[4] = mcam_graph_add_constant (g, "v", 1, cs, g_memdup2 (var, sizeof (float) * C), NULL);
  v = node (g, MCAM_OP_BATCHNORM, "bn", in, 5, NULL);
  mcam_node_attrs_init (&at);
  at.act.kind = MCAM_ACT_RELU;
  v = node (g, MCAM_OP_UNARY, "relu", &v, 1, &at);
  /* the next layer: its input is every piece again and a new one (cat2,
   * the block's output here: it stays unfused, a map one can choose) */
  {
    gint64 w3[4] = { 2, C, 1, 1 }, c14[1] = { C + 2 };
    int ci[2] = { v, constant (g, "w3", 4, w3, 71) }, p4[4];
    float *var2 = rnd_array (C + 2, 72);

    for (int c = 0; c < C + 2; c++)
      var2[c] = fabsf (var2[c]) + 0.2f;
    memcpy (p4, piece, sizeof piece);
    p4[3] = node (g, MCAM_OP_CONV, "p3", ci, 2, NULL);
    mcam_node_attrs_init (&at);
    at.axis = 1;
    cat2 = node (g, MCAM_OP_CONCAT, "cat2", p4, 4, &at);
    in[0] = cat2;
    in[1] = constant (g, "g2", 1, c14, 73);
    in[2] = constant (g, "b2", 1, c14, 74);
    in[3] = constant (g, "m2", 1, c14, 75);
    in[4] = mcam_graph_add_constant (g, "v2", 1, c14, var2, NULL);
    last = node (g, MCAM_OP_BATCHNORM, "bn2", in, 5, NULL);
  }
  /* the reference reads the pieces as the graph computes them */
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (McamTensor) p1 = NULL, p2 = NULL, o = NULL;
    int y_out;

    y_out = node (g, MCAM_OP_GLOBAL_AVGPOOL, "test.gap", &last, 1, NULL);
    y_out = node (g, MCAM_OP_FLATTEN, "test.flat", &y_out, 1, NULL);
    g_assert_true (mcam_graph_finish (g, y_out, &error));
    g_assert_true (mcam_graph_run (g, mcam_graph_get_input (g), x, v, &y, &o, NULL, &error));
    g_assert_true (mcam_graph_run (g, mcam_graph_get_input (g), x, piece[1], &p1, NULL, NULL, &error));
    g_assert_true (mcam_graph_run (g, mcam_graph_get_input (g), x, piece[2], &p2, NULL, NULL, &error));
    g_assert_no_error (error);
    for (int b = 0; b < B; b++)
      for (int c = 0; c < C; c++)
        for (int p = 0; p < H * W; p++)
          {
            float in_v = c < 4 ? x->data[((gsize) b * 4 + c) * H * W + p]
                       : c < 5 ? p1->data[(gsize) b * H * W + p]
                               : p2->data[((gsize) b * 7 + c - 5) * H * W + p];
            double s = gamma[c] / sqrt (var[c] + 1e-5), ref = (in_v - mean[c]) * s + beta[c];

            g_assert_cmpfloat (fabs (y->data[((gsize) b * C + c) * H * W + p] - fmax (ref, 0.0)),
                               <=, 1e-5 * fmax (1.0, fabs (ref)));
          }
  }
  for (guint i = 0; i < g->nodes->len; i++)
    {
      const McamNode *n = g_ptr_array_index (g->nodes, i);

      if (strcmp (n->name, "bn") == 0 || strcmp (n->name, "relu") == 0)
        g_assert_true (n->dead);
      if (strcmp (n->name, "cat") == 0)
        g_assert_true (!n->dead && n->weight != NULL && n->attrs.act.kind == MCAM_ACT_RELU);
      if (strcmp (n->name, "cat2") == 0)
        g_assert_true (!n->dead && n->weight == NULL);
      if (strcmp (n->name, "bn2") == 0)
        g_assert_true (!n->dead && n->op == MCAM_OP_SCALE_SHIFT);
    }
  {
    g_autoptr (GArray) maps = mcam_graph_list_maps (g);
    gboolean listed = FALSE;

    for (guint i = 0; i < maps->len; i++)
      listed = listed || g_array_index (maps, int, i) == cat2;
    g_assert_true (listed);
  }
}

/* ConvNeXt's second Linear and layer scale: MatMul + bias -> NCHW ->
 * Mul by [O,1,1]; the scale goes into the MatMul's weights and bias. */
static void
test_layer_scale (void)
{
  const int B = 2, C = 5, H = 3, W = 4, O = 6;
  g_autoptr (McamGraph) g = mcam_graph_new ("scale");
  g_autoptr (McamTensor) x = rnd_tensor (B, C, H, W, 60), y = NULL;
  gint64 in_shape[4] = { 1, C, H, W }, ls[3] = { O, 1, 1 };
  g_autofree float *wm = NULL, *bias = NULL, *scale = NULL;
  int in[2], v;

  v = mcam_graph_add_input (g, "x", 4, in_shape, NULL);
  v = to_nchw (g, nhwc_linear (g, v, C, O, 61, &wm, &bias));
  in[0] = constant (g, "gamma", 3, ls, 63);
  in[1] = v;
  scale = g_memdup2 (mcam_graph_get_value (g, in[0])->data, sizeof (float) * O);
  v = node (g, MCAM_OP_MUL, "ls", in, 2, NULL);
  y = finish_and_run (g, v, x, NULL);
  for (int b = 0; b < B; b++)
    for (int o = 0; o < O; o++)
      for (int p = 0; p < H * W; p++)
        {
          double a = bias[o];

          for (int c = 0; c < C; c++)
            a += (double) x->data[((gsize) b * C + c) * H * W + p] * wm[c * O + o];
          g_assert_cmpfloat (fabs (y->data[((gsize) b * O + o) * H * W + p] - a * scale[o]), <=,
                             1e-5);
        }
  for (guint i = 0; i < g->nodes->len; i++)
    {
      const McamNode *n = g_ptr_array_index (g->nodes, i);

      if (strcmp (n->name, "ls") == 0 || strcmp (n->name, "bias") == 0)
        g_assert_true (n->dead);
    }
}

int
main (int argc, char **argv)
{
  mcam_test_init (&argc, &argv);
  g_test_add_func ("/mcam/graph-fold/transpose-tiles", test_transpose_tiles);
  g_test_add_func ("/mcam/graph-fold/matmul-blocks", test_matmul_blocks);
  g_test_add_func ("/mcam/graph-fold/layer-scale", test_layer_scale);
  g_test_add_func ("/mcam/graph-fold/concat-scale-shift", test_concat_scale_shift);
  return g_test_run ();
}
