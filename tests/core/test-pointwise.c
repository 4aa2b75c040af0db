/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The own 1x1 convolution kernel (mcam-pointwise.c) against plain loops:
 * channel counts and pixel counts that are and are not multiples of its 8×48
 * tile, every fused epilogue (none, ReLU, residual, residual + ReLU, the
 * residual accumulated in place, and the smooth activations: SiLU,
 * hard-swish, sigmoid, hard-sigmoid, ReLU6, with and without a residual),
 * batch 1 and the CNHW batch of 2, one and two threads; and through
 * mcam_conv_forward / mcam_conv_forward_act, which choose between it and
 * OpenBLAS (then the activation is a pass after; GELU always is). */

#include <math.h>
#include <string.h>

#include "mcam-test-util.h"

#include "mcam/mcam-blas.h"
#include "mcam-conv.h"

#define TOL 2e-5

typedef struct
{
  int in_c, out_c, H, W, B;
} Case;

static const Case cases[] = {
  { 16, 64, 12, 16, 1 },   /* N = 192 = 4 tiles */
  { 16, 16, 7, 7, 1 },     /* N = 49: one tile and a 1-pixel tail */
  { 24, 72, 14, 14, 2 },   /* batch 2, N = 392 */
  { 5, 3, 7, 5, 3 },       /* tiny: fewer rows than a tile */
  { 67, 13, 9, 11, 1 },    /* odd everything: row tail 5, column tail 3 */
  { 960, 17, 4, 5, 1 },    /* deep K, N = 20 */
  { 3, 9, 1, 16, 1 },      /* exactly one vector */
  { 33, 40, 31, 33, 2 },   /* N = 2046, several threads' blocks */
  { 120, 200, 1, 33, 1 },  /* more row blocks than pixel blocks */
  { 300, 20, 12, 8, 1 },   /* K in three blocks, partial sums through the output */
  { 2048, 24, 7, 7, 2 },   /* resnet50's deepest, batch 2 */
  { 64, 40, 48, 48, 2 },   /* N = 4608: row groups of 32 + 8 over pixel chunks of 2016 */
};

static void
fill_random (GRand *rng, float *v, gsize n)
{
  for (gsize i = 0; i < n; i++)
    v[i] = (float) g_rand_double_range (rng, -1.0, 1.0);
}

/* the activation of modes 5.. (mode - 5 indexes it; 5 + N_ACTS.. the same
 * with a residual, the last of those with it accumulated in out) */
static const McamConvAct acts[] = {
  { MCAM_VEC_SILU, 0, 0 },
  { MCAM_VEC_HARD_SWISH, 0, 0 },
  { MCAM_VEC_SIGMOID, 0, 0 },
  { MCAM_VEC_HARD_SIGMOID, 0.2f, 0.5f },
  { MCAM_VEC_CLIP, 0.0f, 6.0f },
  { MCAM_VEC_GELU, 0, 0 },   /* not in the kernel: mcam_conv_forward_act's pass */
};
#define N_ACTS ((int) G_N_ELEMENTS (acts))
#define N_MODES (5 + 2 * N_ACTS)

/* the activations in double, from their definitions */
static double
act_ref (const McamConvAct *a, double x)
{
  switch (a->kind)
    {
    case MCAM_VEC_SILU:
      return x / (1.0 + exp (-x));
    case MCAM_VEC_HARD_SWISH:
      return x * MIN (1.0, MAX (0.0, x / 6.0 + 0.5));
    case MCAM_VEC_SIGMOID:
      return 1.0 / (1.0 + exp (-x));
    case MCAM_VEC_HARD_SIGMOID:
      return MIN (1.0, MAX (0.0, a->a * x + a->b));
    case MCAM_VEC_CLIP:
      return MIN (a->b, MAX (a->a, x));
    case MCAM_VEC_GELU:
      return x * 0.5 * (1.0 + erf (x / sqrt (2.0)));
    default:
      return x;
    }
}

/* mode 0 plain, 1 ReLU, 2 residual, 3 residual + ReLU, 4 residual in out + ReLU,
 * 5.. acts[] as above; direct: call mcam_pointwise_forward, else
 * mcam_conv_forward (modes 0-4) or mcam_conv_forward_act */
static void
check (const Case *cc, int mode, gboolean direct, GRand *rng)
{
  const McamConvAct *act = mode >= 5 ? &acts[(mode - 5) % N_ACTS] : NULL;
  McamConv *conv = mcam_conv_new (cc->in_c, cc->out_c, 1, 1, 1, 0);
  gsize n = (gsize) cc->B * cc->H * cc->W;
  McamActLayout l = mcam_layout_cnhw (cc->B, cc->H, cc->W);
  g_autofree float *x = g_new (float, n * cc->in_c);
  g_autofree float *res = g_new (float, n * cc->out_c);
  g_autofree float *want = g_new (float, n * cc->out_c);
  g_autofree float *got = g_new (float, n * cc->out_c);
  gboolean relu = mode == 1 || mode == 3 || mode == 4;
  /* float sums of K terms of size ~1 against double: error ~ sqrt(K) */
  float tol = (float) (TOL * MAX (1.0, sqrt (cc->in_c / 16.0)));
  gboolean with_res = (mode >= 2 && mode <= 4) || mode >= 5 + N_ACTS;
  gboolean in_out = mode == 4 || mode == N_MODES - 1;
  const float *r = with_res ? res : NULL;
  McamConvAct relu_act = { relu ? MCAM_VEC_CLIP : MCAM_VEC_NONE, 0.0f, INFINITY };

  if (direct && act != NULL && !mcam_pointwise_takes_act (act->kind))
    {
      mcam_conv_free (conv);
      return;
    }
  fill_random (rng, conv->weight, (gsize) cc->in_c * cc->out_c);
  fill_random (rng, conv->bias, cc->out_c);
  fill_random (rng, x, n * cc->in_c);
  fill_random (rng, res, n * cc->out_c);
  mcam_conv_forward_naive (conv, cc->B, cc->H, cc->W, x, l, want, l, r, relu);
  for (gsize i = 0; act != NULL && i < n * cc->out_c; i++)
    want[i] = (float) act_ref (act, want[i]);
  if (in_out)
    {
      memcpy (got, res, sizeof (float) * n * cc->out_c);
      r = got;
    }
  else
    for (gsize i = 0; i < n * cc->out_c; i++)
      got[i] = NAN;
  if (direct)
    {
      float *packed = mcam_pointwise_pack (conv);

      mcam_pointwise_forward (conv, packed, x, l.chan_stride, n, got, l.chan_stride, r,
                              act != NULL ? act : &relu_act);
      mcam_pointwise_pack_free (packed);
    }
  else if (act != NULL)
    mcam_conv_forward_act (conv, cc->B, cc->H, cc->W, x, l, got, l, r, act, NULL);
  else
    mcam_conv_forward (conv, cc->B, cc->H, cc->W, x, l, got, l, r, relu, NULL);
  for (gsize i = 0; i < n * cc->out_c; i++)
    if (!(fabsf (got[i] - want[i]) <= tol * (1.0f + fabsf (want[i]))))
      g_error ("%d>%d %dx%d B%d mode %d direct %d: [%zu] %g, want %g", cc->in_c, cc->out_c,
               cc->H, cc->W, cc->B, mode, direct, i, got[i], want[i]);
  mcam_conv_free (conv);
}

static void
run_all (gboolean direct)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (11);

  for (int t = 1; t <= 2; t++)
    {
      mcam_blas_set_threads (t);
      for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
        for (int mode = 0; mode < N_MODES; mode++)
          check (&cases[c], mode, direct, rng);
    }
  mcam_blas_set_threads (1);
}

static void
test_direct (void)
{
  if (!mcam_pointwise_available ())
    {
      g_test_skip ("no AVX-512 here");
      return;
    }
  run_all (TRUE);
}

static void
test_conv_forward (void)
{
  run_all (FALSE);
}

/* mcam_conv_forward_act on the other paths, against the same reference:
 * a stem (3 channels, 3×3, stride 2: K = 27, its im2col matrix through the
 * own kernel with the activation; 2 column chunks at 160×160), and what the
 * own kernel does not take (a 3×3 conv of K = 45, a 1×1 conv on NCHW planes
 * of a batch of 2, the stem on them too): the conv, then the activation as
 * a pass over the output. And ResNet's 7x7 stem (K = 147), own too. */
static void
test_act_other_paths (void)
{
  static const struct { int C, k, s, H, W, nchw; } cfg[] = {
    { 3, 3, 2, 9, 6, 0 }, { 3, 3, 2, 160, 160, 0 }, { 3, 3, 1, 9, 6, 1 }, { 5, 3, 1, 9, 6, 0 },
    { 5, 1, 1, 9, 6, 1 },
    { 3, 7, 2, 40, 36, 0 },   /* ResNet's stem: K = 147, own on the image's 3 channels */
  };
  g_autoptr (GRand) rng = g_rand_new_with_seed (12);
  const McamConvAct silu = { MCAM_VEC_SILU, 0, 0 };

  for (guint t = 0; t < G_N_ELEMENTS (cfg); t++)
    {
      int B = 2, C = cfg[t].C, O = 7, k = cfg[t].k, H = cfg[t].H, W = cfg[t].W;
      McamConv *conv = mcam_conv_new (C, O, k, k, cfg[t].s, k / 2);
      int OH = mcam_conv_out_size (H, k, cfg[t].s, k / 2);
      int OW = mcam_conv_out_size (W, k, cfg[t].s, k / 2);
      McamActLayout il = cfg[t].nchw ? mcam_layout_nchw (C, H, W) : mcam_layout_cnhw (B, H, W);
      McamActLayout ol = cfg[t].nchw ? mcam_layout_nchw (O, OH, OW) : mcam_layout_cnhw (B, OH, OW);
      gsize n = (gsize) B * OH * OW;
      g_autofree float *x = g_new (float, (gsize) B * H * W * C);
      g_autofree float *want = g_new (float, n * O);
      g_autofree float *got = g_new (float, n * O);
      g_autofree float *ws = g_new0 (float, mcam_conv_workspace_size (conv, B, H, W) + 1);

      fill_random (rng, conv->weight, (gsize) O * C * k * k);
      fill_random (rng, conv->bias, O);
      fill_random (rng, x, (gsize) B * H * W * C);
      mcam_conv_forward_naive (conv, B, H, W, x, il, want, ol, NULL, FALSE);
      mcam_conv_forward_act (conv, B, H, W, x, il, got, ol, NULL, &silu, ws);
      /* the packed weights tell that the own kernel ran */
      g_assert_true ((conv->pw != NULL) ==
                     (C == 3 && !cfg[t].nchw && mcam_pointwise_available ()));
      for (gsize i = 0; i < n * O; i++)
        {
          float w = (float) act_ref (&silu, want[i]);

          if (!(fabsf (got[i] - w) <= TOL * (1.0f + fabsf (w))))
            g_error ("config %u: [%zu] %g, want %g", t, i, got[i], w);
        }
      mcam_conv_free (conv);
    }
}

/* The packed copy is what the kernel reads: rows of 8 channels, K-major. */
static void
test_pack_layout (void)
{
  McamConv *conv = mcam_conv_new (3, 10, 1, 1, 1, 0);
  float *p;

  for (int i = 0; i < 30; i++)
    conv->weight[i] = (float) i;
  p = mcam_pointwise_pack (conv);
  g_assert_cmpfloat (p[0 * 8 + 0], ==, 0.0f);      /* o 0, k 0 */
  g_assert_cmpfloat (p[1 * 8 + 2], ==, 7.0f);      /* o 2, k 1 */
  g_assert_cmpfloat (p[(1 * 3 + 2) * 8 + 1], ==, 29.0f);   /* o 9, k 2 */
  g_assert_cmpfloat (p[(1 * 3 + 2) * 8 + 2], ==, 0.0f);    /* padding past o 9 */
  mcam_pointwise_pack_free (p);
  mcam_conv_free (conv);
}

/* Convolutions of few output channels that mcam_conv_forward runs as
 * im2col + this kernel (use_small_m in mcam-conv.c): a 14x14 map where
 * F(2x2) would have few tiles, and a large strided map; 3x3 with padding,
 * every epilogue, one and two threads, against the plain loops. */
static void
test_small_m_conv (void)
{
  static const struct { int in_c, out_c, H, W, stride; } convs[] = {
    { 16, 16, 14, 14, 1 },    /* ResNeXt-50 layer3's groups: F(2x2) had 49 tiles */
    { 8, 8, 112, 112, 2 },    /* RegNetY's first grouped conv: 3136 outputs */
    { 24, 32, 13, 15, 1 },    /* odd map, 32 rows */
  };
  g_autoptr (GRand) rng = g_rand_new_with_seed (12);

  for (int t = 1; t <= 2; t++)
    {
      mcam_blas_set_threads (t);
      for (guint c = 0; c < G_N_ELEMENTS (convs); c++)
        for (int mode = 0; mode <= 4; mode++)
          {
            McamConv *conv = mcam_conv_new (convs[c].in_c, convs[c].out_c, 3, 3, convs[c].stride, 1);
            int H = convs[c].H, W = convs[c].W;
            int oh = mcam_conv_out_size (H, 3, convs[c].stride, 1);
            int ow = mcam_conv_out_size (W, 3, convs[c].stride, 1);
            gsize n_in = (gsize) conv->in_c * H * W, n_out = (gsize) conv->out_c * oh * ow;
            McamActLayout il = mcam_layout_nchw (conv->in_c, H, W);
            McamActLayout ol = mcam_layout_nchw (conv->out_c, oh, ow);
            g_autofree float *x = g_new (float, n_in);
            g_autofree float *res = g_new (float, n_out);
            g_autofree float *want = g_new (float, n_out);
            g_autofree float *got = g_new (float, n_out);
            g_autofree float *ws = g_new (float, mcam_conv_workspace_size (conv, 1, H, W) + 1);
            gboolean relu = mode == 1 || mode >= 3;
            const float *r = mode >= 2 ? res : NULL;

            fill_random (rng, conv->weight, (gsize) conv->out_c * conv->in_c * 9);
            fill_random (rng, conv->bias, conv->out_c);
            fill_random (rng, x, n_in);
            fill_random (rng, res, n_out);
            mcam_conv_forward_naive (conv, 1, H, W, x, il, want, ol, r, relu);
            if (mode == 4)
              {
                memcpy (got, res, sizeof (float) * n_out);
                r = got;
              }
            mcam_conv_forward (conv, 1, H, W, x, il, got, ol, r, relu, ws);
            for (gsize i = 0; i < n_out; i++)
              if (!(fabsf (got[i] - want[i]) <= 5 * TOL * (1.0f + fabsf (want[i]))))
                g_error ("%d>%d 3x3/%d %dx%d mode %d, %d threads: [%zu] %g, want %g",
                         conv->in_c, conv->out_c, convs[c].stride, H, W, mode, t, i, got[i],
                         want[i]);
            mcam_conv_free (conv);
          }
    }
  mcam_blas_set_threads (1);
}

int
main (int argc, char **argv)
{
  mcam_blas_ensure_fast_core (argc, argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/pointwise/pack-layout", test_pack_layout);
  g_test_add_func ("/pointwise/direct", test_direct);
  g_test_add_func ("/pointwise/conv-forward", test_conv_forward);
  g_test_add_func ("/pointwise/small-m-conv", test_small_m_conv);
  g_test_add_func ("/pointwise/act-other-paths", test_act_other_paths);
  return g_test_run ();
}
