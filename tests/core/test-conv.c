/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The CNN engine's layers against plain loops: conv2d (im2col + GEMM, the
 * 1x1 path, chunking, layouts, fused bias/residual/ReLU), BatchNorm folding,
 * max and average pooling, linear. */

#include "mcam-test-util.h"

/* private core headers, by path: the tests link the static core */
#include "mcam-conv.h"
#include "mcam-pool.h"

/* The GEMM sums in a different order than the double-precision loops. */
#define CONV_TOL 1e-5
/* F(4x4,3x3)'s transforms (coefficients up to 8, and 1/6, 1/24) lose about
 * one more decimal on these uniform [-1, 1] weights; see winograd-error for
 * realistic layers. */
#define CONV_TOL_W4 1e-4

static double conv_tol = CONV_TOL;

static void
fill_random (GRand *rng, float *v, gsize n)
{
  for (gsize i = 0; i < n; i++)
    v[i] = (float) g_rand_double_range (rng, -1.0, 1.0);
}

typedef struct
{
  int in_c, out_c, k, stride, pad, H, W, B;
} ConvCase;

static const ConvCase conv_cases[] = {
  { 3, 5, 7, 2, 3, 13, 11, 2 },    /* ImageNet stem shape, odd sizes */
  { 4, 6, 3, 1, 1, 9, 7, 3 },      /* 3x3 stride 1 */
  { 4, 6, 3, 2, 1, 10, 9, 2 },     /* 3x3 stride 2, even/odd */
  { 5, 3, 1, 1, 0, 7, 5, 3 },      /* 1x1 stride 1: the direct GEMM path */
  { 5, 3, 1, 2, 0, 9, 8, 2 },      /* 1x1 stride 2: downsample */
  { 3, 4, 3, 2, 0, 11, 11, 1 },    /* no padding */
  { 2, 3, 5, 1, 3, 6, 5, 2 },      /* padding larger than half the kernel */
  { 2, 3, 3, 3, 1, 8, 10, 2 },     /* stride 3 */
  { 64, 8, 3, 1, 1, 40, 38, 3 },   /* several im2col chunks, crossing images */
  { 3, 4, 3, 2, 1, 9, 70, 2 },     /* stride 2, rows long enough for the vector gather */
  { 3, 4, 7, 2, 3, 5, 75, 2 },     /* the stem's 7x7/2 on a wide odd row */
  { 6, 5, 1, 2, 0, 6, 67, 3 },     /* 1x1/2 downsample, wide rows */
  { 3, 4, 3, 1, 0, 7, 9, 2 },      /* 3x3/1 unpadded on a small map: the padded-plane im2col */
  { 2, 3, 5, 1, 2, 8, 6, 1 },      /* 5x5/1, pad 2, one image */
};

typedef enum { LAYOUT_NCHW, LAYOUT_CNHW } Layout;

static McamActLayout
layout_for (Layout l, int B, int C, int H, int W)
{
  return l == LAYOUT_NCHW ? mcam_layout_nchw (C, H, W) : mcam_layout_cnhw (B, H, W);
}

static void
check_conv_case (const ConvCase *cc, Layout lin, Layout lout, int mode, GRand *rng)
{
  /* mode 0: plain; 1: ReLU; 2: residual + ReLU; 3: accumulate into out + ReLU */
  McamConv *conv = mcam_conv_new (cc->in_c, cc->out_c, cc->k, cc->k, cc->stride, cc->pad);
  int oh = mcam_conv_out_size (cc->H, cc->k, cc->stride, cc->pad);
  int ow = mcam_conv_out_size (cc->W, cc->k, cc->stride, cc->pad);
  gsize n_in = (gsize) cc->B * cc->in_c * cc->H * cc->W;
  gsize n_out = (gsize) cc->B * cc->out_c * oh * ow;
  McamActLayout il = layout_for (lin, cc->B, cc->in_c, cc->H, cc->W);
  McamActLayout ol = layout_for (lout, cc->B, cc->out_c, oh, ow);
  g_autofree float *in = g_new (float, n_in);
  g_autofree float *out = g_new (float, n_out);
  g_autofree float *ref = g_new (float, n_out);
  g_autofree float *res = g_new (float, n_out);
  g_autofree float *ws = NULL;
  double err;

  fill_random (rng, in, n_in);
  fill_random (rng, conv->weight, (gsize) cc->out_c * cc->in_c * cc->k * cc->k);
  fill_random (rng, conv->bias, cc->out_c);
  fill_random (rng, res, n_out);
  ws = g_new (float, mcam_conv_workspace_size (conv, cc->B, cc->H, cc->W) + 1);

  mcam_conv_forward_naive (conv, cc->B, cc->H, cc->W, in, il, ref, ol,
                           mode >= 2 ? res : NULL, mode >= 1);
  if (mode == 3)
    {
      memcpy (out, res, sizeof (float) * n_out);
      mcam_conv_forward (conv, cc->B, cc->H, cc->W, in, il, out, ol, out, TRUE, ws);
    }
  else
    {
      /* poison, so a column the engine forgets to write is seen */
      for (gsize i = 0; i < n_out; i++)
        out[i] = NAN;
      mcam_conv_forward (conv, cc->B, cc->H, cc->W, in, il, out, ol,
                         mode == 2 ? res : NULL, mode >= 1, ws);
    }
  err = mcam_test_rel_error (out, ref, n_out, 1e-3);
  if (err > conv_tol)
    g_test_message ("conv %d->%d k%d s%d p%d %dx%d B%d layouts %d->%d mode %d: rel err %g",
                    cc->in_c, cc->out_c, cc->k, cc->stride, cc->pad, cc->H, cc->W, cc->B,
                    lin, lout, mode, err);
  g_assert_cmpfloat (err, <=, conv_tol);
  mcam_conv_free (conv);
}

static void
test_conv_vs_naive (void)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (1);

  /* im2col + GEMM for every geometry (Winograd off) */
  mcam_conv_set_winograd_min_tiles (0);
  for (gsize i = 0; i < G_N_ELEMENTS (conv_cases); i++)
    for (int lin = 0; lin < 2; lin++)
      for (int lout = 0; lout < 2; lout++)
        for (int mode = 0; mode < 4; mode++)
          check_conv_case (&conv_cases[i], lin, lout, mode, rng);
  mcam_conv_set_winograd_min_tiles (256);
}

static const ConvCase winograd_cases[] = {
  { 4, 6, 3, 1, 1, 9, 7, 3 },      /* odd sizes: tiles hang over two edges */
  { 5, 3, 3, 1, 1, 1, 1, 2 },      /* a 1x1 map: one tile, all padding */
  { 3, 4, 3, 1, 1, 8, 10, 1 },     /* even sizes */
  { 64, 40, 3, 1, 1, 40, 38, 3 },  /* several tile chunks, crossing images */
};

/* Winograd F(2x2,3x3), forced on however few tiles there are. */
static void
test_conv_winograd (void)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (6);

  mcam_conv_set_winograd_min_tiles (1);
  mcam_conv_set_winograd4_min_tiles (0);
  for (gsize i = 0; i < G_N_ELEMENTS (winograd_cases); i++)
    for (int lin = 0; lin < 2; lin++)
      for (int lout = 0; lout < 2; lout++)
        for (int mode = 0; mode < 4; mode++)
          check_conv_case (&winograd_cases[i], lin, lout, mode, rng);
  mcam_conv_set_winograd_min_tiles (256);
}

static const ConvCase winograd4_cases[] = {
  { 4, 6, 3, 1, 1, 9, 7, 3 },      /* odd sizes: tiles hang over two edges */
  { 5, 3, 3, 1, 1, 1, 1, 2 },      /* a 1x1 map: one tile, all padding */
  { 3, 4, 3, 1, 1, 8, 10, 1 },     /* even sizes, a partial tile column */
  { 3, 4, 3, 1, 1, 9, 70, 2 },     /* 18 tiles a row: two vector blocks */
  { 2, 3, 3, 1, 1, 14, 14, 1 },    /* resnet's 14x14: 4x4 tiles over 16x16 */
  { 64, 40, 3, 1, 1, 40, 38, 3 },
};

/* Winograd F(4x4,3x3), forced on however few tiles there are. */
static void
test_conv_winograd4 (void)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (7);
  /* several tile chunks (128 tiles at least; 72 here), crossing images and
   * tile rows: one layout and mode, the naive loops are slow */
  const ConvCase big = { 450, 8, 3, 1, 1, 21, 23, 4 };

  if (!mcam_winograd4_available ())
    {
      g_test_skip ("F(4x4) is built only with GCC on x86-64");
      return;
    }
  mcam_conv_set_winograd_min_tiles (1);
  mcam_conv_set_winograd4_min_tiles (1);
  conv_tol = CONV_TOL_W4;
  for (gsize i = 0; i < G_N_ELEMENTS (winograd4_cases); i++)
    for (int lin = 0; lin < 2; lin++)
      for (int lout = 0; lout < 2; lout++)
        for (int mode = 0; mode < 4; mode++)
          check_conv_case (&winograd4_cases[i], lin, lout, mode, rng);
  check_conv_case (&big, LAYOUT_CNHW, LAYOUT_NCHW, 2, rng);
  conv_tol = CONV_TOL;
  mcam_conv_set_winograd_min_tiles (256);
  mcam_conv_set_winograd4_min_tiles (0);
}

/* Max |error| / max |reference| of one forward against the double loops. */
static double
conv_error (McamConv *conv, int H, int W, const float *in, const float *ref)
{
  McamActLayout l = mcam_layout_nchw (conv->in_c, H, W), ol = mcam_layout_nchw (conv->out_c, H, W);
  gsize n_out = (gsize) conv->out_c * H * W;
  g_autofree float *out = g_new (float, n_out);
  g_autofree float *ws = g_new (float, mcam_conv_workspace_size (conv, 1, H, W) + 1);

  mcam_conv_forward (conv, 1, H, W, in, l, out, ol, NULL, FALSE, ws);
  return mcam_test_rel_error (out, ref, n_out, 1e-3);
}

/* The numerical price of Winograd on resnet-like layers: He-scaled random
 * weights, inputs in [0, 1) like a ReLU's output, batch 1. im2col, F(2x2)
 * and F(4x4) against the same double-precision loops (docs/BENCHMARKS.md
 * quotes the messages). */
static void
test_conv_winograd_error (void)
{
  static const int layers[][3] = { { 64, 56, 56 }, { 128, 28, 28 }, { 256, 14, 14 } };
  g_autoptr (GRand) rng = g_rand_new_with_seed (8);

  for (gsize li = 0; li < G_N_ELEMENTS (layers); li++)
    {
      int C = layers[li][0], H = layers[li][1], W = layers[li][2];
      McamConv *conv = mcam_conv_new (C, C, 3, 3, 1, 1);
      gsize n_in = (gsize) C * H * W;
      g_autofree float *in = g_new (float, n_in);
      g_autofree float *ref = g_new (float, n_in);
      double scale = sqrt (3.0 * 2.0 / (9.0 * C)), e_direct, e2, e4;

      for (gsize i = 0; i < n_in; i++)
        in[i] = (float) g_rand_double (rng);
      for (gsize i = 0; i < (gsize) C * C * 9; i++)
        conv->weight[i] = (float) g_rand_double_range (rng, -scale, scale);
      fill_random (rng, conv->bias, C);
      mcam_conv_forward_naive (conv, 1, H, W, in, mcam_layout_nchw (C, H, W), ref,
                               mcam_layout_nchw (C, H, W), NULL, FALSE);

      mcam_conv_set_winograd_min_tiles (0);
      e_direct = conv_error (conv, H, W, in, ref);
      mcam_conv_set_winograd_min_tiles (1);
      mcam_conv_set_winograd4_min_tiles (0);
      e2 = conv_error (conv, H, W, in, ref);
      e4 = e2;
      if (mcam_winograd4_available ())
        {
          mcam_conv_set_winograd4_min_tiles (1);
          e4 = conv_error (conv, H, W, in, ref);
        }
      g_test_message ("%d>%d 3x3 %dx%d: max rel error im2col %.2e, F(2x2) %.2e, F(4x4) %.2e",
                      C, C, H, W, e_direct, e2, e4);
      /* float32 GEMM sums: ~1e-7; F(2x2) adds halvings only; F(4x4)'s
       * coefficients (up to 8, and 1/6, 1/24 in G) cost about one more
       * decimal: each bar is ~10x what this machine measures */
      g_assert_cmpfloat (e_direct, <=, 2e-6);
      g_assert_cmpfloat (e2, <=, 5e-6);
      g_assert_cmpfloat (e4, <=, 5e-5);
      mcam_conv_free (conv);
    }
  mcam_conv_set_winograd_min_tiles (256);
  mcam_conv_set_winograd4_min_tiles (0);
}

/* The naive reference itself, on a case small enough to check by hand. */
static void
test_conv_naive_by_hand (void)
{
  McamConv *conv = mcam_conv_new (1, 1, 3, 3, 1, 1);
  float in[9] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
  float out[9];
  /* all-ones kernel: each output is the sum of its 3x3 neighbourhood */
  const float expected[9] = { 12, 21, 16, 27, 45, 33, 24, 39, 28 };

  for (int i = 0; i < 9; i++)
    conv->weight[i] = 1.0f;
  conv->bias[0] = 0.5f;
  mcam_conv_forward_naive (conv, 1, 3, 3, in, mcam_layout_nchw (1, 3, 3), out,
                           mcam_layout_nchw (1, 3, 3), NULL, FALSE);
  for (int i = 0; i < 9; i++)
    g_assert_cmpfloat_with_epsilon (out[i], expected[i] + 0.5f, 1e-6);
  mcam_conv_free (conv);
}

static void
test_conv_fold_batchnorm (void)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (2);
  const int C = 3, O = 4, H = 6, W = 5;
  McamConv *conv = mcam_conv_new (C, O, 3, 3, 1, 1);
  float gamma[4], beta[4], mean[4], var[4];
  float in[3 * 6 * 5], raw[4 * 6 * 5], folded[4 * 6 * 5];
  McamActLayout il = mcam_layout_nchw (C, H, W), ol = mcam_layout_nchw (O, H, W);

  fill_random (rng, in, G_N_ELEMENTS (in));
  fill_random (rng, conv->weight, (gsize) O * C * 9);
  fill_random (rng, conv->bias, O);
  fill_random (rng, gamma, O);
  fill_random (rng, beta, O);
  fill_random (rng, mean, O);
  for (int o = 0; o < O; o++)
    var[o] = (float) g_rand_double_range (rng, 0.1, 3.0);

  mcam_conv_forward_naive (conv, 1, H, W, in, il, raw, ol, NULL, FALSE);
  for (int o = 0; o < O; o++)
    for (int i = 0; i < H * W; i++)
      {
        float *v = &raw[o * H * W + i];
        *v = gamma[o] * (*v - mean[o]) / sqrtf (var[o] + 1e-5f) + beta[o];
      }
  mcam_conv_fold_batchnorm (conv, gamma, beta, mean, var, 1e-5);
  mcam_conv_forward_naive (conv, 1, H, W, in, il, folded, ol, NULL, FALSE);
  g_assert_cmpfloat (mcam_test_rel_error (folded, raw, G_N_ELEMENTS (raw), 1e-3), <=, 1e-6);
  mcam_conv_free (conv);
}

static void
test_maxpool (void)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (3);
  static const int sizes[][2] = { { 9, 7 }, { 8, 8 }, { 112, 112 }, { 5, 6 }, { 2, 3 } };
  static const int params[][3] = { { 3, 2, 1 }, { 2, 2, 0 }, { 3, 1, 1 }, { 3, 2, 0 } };

  for (gsize i = 0; i < G_N_ELEMENTS (sizes); i++)
    for (gsize j = 0; j < G_N_ELEMENTS (params); j++)
      {
        int H = sizes[i][0], W = sizes[i][1];
        int k = params[j][0], s = params[j][1], p = params[j][2];
        int oh = mcam_conv_out_size (H, k, s, p), ow = mcam_conv_out_size (W, k, s, p);
        gsize planes = 5;
        g_autofree float *in = NULL, *out = NULL, *ref = NULL;

        if (oh <= 0 || ow <= 0)
          continue;
        in = g_new (float, planes * H * W);
        out = g_new (float, planes * oh * ow);
        ref = g_new (float, planes * oh * ow);
        /* negative values: padding must never win (PyTorch pads with -inf) */
        for (gsize n = 0; n < planes * H * W; n++)
          in[n] = (float) g_rand_double_range (rng, -2.0, -0.5);
        mcam_maxpool2d (in, planes, H, W, k, s, p, out);
        mcam_maxpool2d_naive (in, planes, H, W, k, s, p, ref);
        for (gsize n = 0; n < planes * oh * ow; n++)
          g_assert_cmpfloat (out[n], ==, ref[n]);
      }
}

static void
test_maxpool_by_hand (void)
{
  /* 4x4 ramp, 3x3/2 pad 1 -> 2x2: the max of each clipped window */
  float in[16], out[4];
  const float expected[4] = { 5, 7, 13, 15 };

  for (int i = 0; i < 16; i++)
    in[i] = (float) i;
  mcam_maxpool2d (in, 1, 4, 4, 3, 2, 1, out);
  for (int i = 0; i < 4; i++)
    g_assert_cmpfloat (out[i], ==, expected[i]);
}

static void
test_avgpool (void)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (4);
  const int H = 7, W = 5;
  const gsize planes = 6;
  float in[6 * 7 * 5], gap[6], gap2[6], ad[6 * 3 * 2];

  fill_random (rng, in, G_N_ELEMENTS (in));
  mcam_global_avgpool (in, planes, H, W, gap);
  mcam_adaptive_avgpool2d (in, planes, H, W, 1, 1, gap2);
  for (gsize i = 0; i < planes; i++)
    {
      double sum = 0.0;
      for (int j = 0; j < H * W; j++)
        sum += in[i * H * W + j];
      g_assert_cmpfloat_with_epsilon (gap[i], sum / (H * W), 1e-6);
      g_assert_cmpfloat_with_epsilon (gap2[i], sum / (H * W), 1e-6);
    }

  /* 7x5 -> 3x2 with PyTorch's overlapping bins: rows [0,3) [2,5) [4,7),
   * columns [0,3) [2,5). */
  mcam_adaptive_avgpool2d (in, planes, H, W, 3, 2, ad);
  for (gsize i = 0; i < planes; i++)
    for (int oy = 0; oy < 3; oy++)
      for (int ox = 0; ox < 2; ox++)
        {
          double sum = 0.0;
          for (int y = 2 * oy; y < 2 * oy + 3; y++)
            for (int x = 2 * ox; x < 2 * ox + 3; x++)
              sum += in[(i * H + y) * W + x];
          g_assert_cmpfloat_with_epsilon (ad[(i * 3 + oy) * 2 + ox], sum / 9.0, 1e-6);
        }
}

static void
test_linear (void)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (5);
  const int B = 3, I = 37, O = 11;
  float in[3 * 37], w[11 * 37], bias[11], out[3 * 11], ref[3 * 11];

  fill_random (rng, in, G_N_ELEMENTS (in));
  fill_random (rng, w, G_N_ELEMENTS (w));
  fill_random (rng, bias, O);
  for (int b = 0; b < B; b++)
    for (int o = 0; o < O; o++)
      {
        double acc = bias[o];
        for (int i = 0; i < I; i++)
          acc += (double) in[b * I + i] * w[o * I + i];
        ref[b * O + o] = (float) acc;
      }
  mcam_linear_forward (B, I, O, in, w, bias, out);
  g_assert_cmpfloat (mcam_test_rel_error (out, ref, G_N_ELEMENTS (out), 1e-3), <=, CONV_TOL);
}

static void
test_act_copy (void)
{
  const int B = 2, C = 3, H = 2, W = 2;
  float nchw[24], cnhw[24], back[24];

  for (int i = 0; i < 24; i++)
    nchw[i] = (float) i;
  mcam_act_copy (B, C, H, W, nchw, mcam_layout_nchw (C, H, W), cnhw, mcam_layout_cnhw (B, H, W));
  /* CNHW: channel 1 of image 0 is followed by channel 1 of image 1 */
  g_assert_cmpfloat (cnhw[8], ==, 4.0f);
  g_assert_cmpfloat (cnhw[12], ==, 16.0f);
  mcam_act_copy (B, C, H, W, cnhw, mcam_layout_cnhw (B, H, W), back, mcam_layout_nchw (C, H, W));
  for (int i = 0; i < 24; i++)
    g_assert_cmpfloat (back[i], ==, nchw[i]);
}

int
main (int argc, char **argv)
{
  mcam_test_init (&argc, &argv);

  g_test_add_func ("/mcam/conv/naive-by-hand", test_conv_naive_by_hand);
  g_test_add_func ("/mcam/conv/vs-naive", test_conv_vs_naive);
  g_test_add_func ("/mcam/conv/winograd", test_conv_winograd);
  g_test_add_func ("/mcam/conv/winograd4", test_conv_winograd4);
  g_test_add_func ("/mcam/conv/winograd-error", test_conv_winograd_error);
  g_test_add_func ("/mcam/conv/fold-batchnorm", test_conv_fold_batchnorm);
  g_test_add_func ("/mcam/conv/layout-copy", test_act_copy);
  g_test_add_func ("/mcam/pool/max", test_maxpool);
  g_test_add_func ("/mcam/pool/max-by-hand", test_maxpool_by_hand);
  g_test_add_func ("/mcam/pool/avg", test_avgpool);
  g_test_add_func ("/mcam/linear/vs-naive", test_linear);
  return g_test_run ();
}
