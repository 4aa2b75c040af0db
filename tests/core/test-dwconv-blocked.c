/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/mcam-dwconv-blocked.c against a plain loop in double: channel counts
 * below, at and past a block of 16 (tails), maps from 4×4 (16 pixels, the
 * smallest it takes) to 30×30 with odd and non-square sizes, kernels 1–7,
 * strides 1 and 2, symmetric and asymmetric pads, two images in the engine's
 * CNHW layout (the planes of a channel block are B·H·W floats apart), the
 * fused activations (clip and hard-swish in registers, or a function), and
 * nothing written outside the block's output planes. */

#include <math.h>
#include <string.h>

#include <glib.h>

#include "mcam-dwconv.h"

/* y[c][b] = bias[c] + Σ w[c] · x[c][b] (zero padding), CNHW */
static void
naive (const float *x, int C, int B, int H, int W, const float *w, const float *bias, int k,
       int s, int pt, int pl, float *y, int OH, int OW)
{
  for (int c = 0; c < C; c++)
    for (int b = 0; b < B; b++)
      {
        const float *xp = x + ((gsize) c * B + b) * H * W;
        float *yp = y + ((gsize) c * B + b) * OH * OW;

        for (int oy = 0; oy < OH; oy++)
          for (int ox = 0; ox < OW; ox++)
            {
              double acc = bias[c];

              for (int ky = 0; ky < k; ky++)
                for (int kx = 0; kx < k; kx++)
                  {
                    int iy = oy * s - pt + ky, ix = ox * s - pl + kx;

                    if (iy >= 0 && iy < H && ix >= 0 && ix < W)
                      acc += (double) w[((gsize) c * k + ky) * k + kx] * xp[iy * W + ix];
                  }
              yp[oy * OW + ox] = (float) acc;
            }
      }
}

/* the activations the graph fuses: a clip (here ReLU6, so that both ends
 * show) and hard-swish in the kernel's registers, any other as a function
 * (here the same ReLU6 as a loop) */
static void
relu6 (float *x, gsize n, gconstpointer data)
{
  g_assert_true (data == (gconstpointer) relu6);
  for (gsize i = 0; i < n; i++)
    x[i] = x[i] < 0 ? 0 : (x[i] > 6 ? 6 : x[i]);
}

static void
hard_swish (float *x, gsize n)
{
  for (gsize i = 0; i < n; i++)
    x[i] = (float) (x[i] * fmin (fmax ((double) x[i] / 6.0 + 0.5, 0.0), 1.0));
}

static int
run_case (GRand *rng, int C, int B, int H, int W, int k, int s, int pt, int pl, int pb, int pr,
          McamDwActKind act)
{
  const McamDwAct acts[] = { { MCAM_DW_ACT_NONE }, { MCAM_DW_ACT_CLIP, 0.0f, 6.0f },
                             { MCAM_DW_ACT_HARD_SWISH },
                             { MCAM_DW_ACT_FUNC, 0, 0, relu6, relu6 } };
  int OH = (H + pt + pb - k) / s + 1, OW = (W + pl + pr - k) / s + 1;
  gsize n_in = (gsize) C * B * H * W, n_out = (gsize) C * B * OH * OW;
  g_autofree float *x = NULL, *w = NULL, *bias = NULL, *r = NULL, *y = NULL;
  float *packed;

  if (H + pt + pb < k || W + pl + pr < k || !mcam_dwconv_block_takes (H, W, k, k, s, OH, OW))
    return 0;
  x = g_new (float, n_in);
  w = g_new (float, (gsize) C * k * k);
  bias = g_new (float, C);
  r = g_new (float, n_out);
  y = g_new (float, n_out + 32);
  for (gsize i = 0; i < n_in; i++)
    x[i] = (float) g_rand_double_range (rng, -3, 3);
  for (gsize i = 0; i < (gsize) C * k * k; i++)
    w[i] = (float) g_rand_double_range (rng, -1, 1);
  for (int c = 0; c < C; c++)
    bias[c] = (float) g_rand_double_range (rng, -1, 1);
  for (gsize i = 0; i < n_out + 32; i++)
    y[i] = 777.0f;
  naive (x, C, B, H, W, w, bias, k, s, pt, pl, r, OH, OW);
  if (act == MCAM_DW_ACT_CLIP || act == MCAM_DW_ACT_FUNC)
    relu6 (r, n_out, relu6);
  else if (act == MCAM_DW_ACT_HARD_SWISH)
    hard_swish (r, n_out);

  packed = mcam_dwconv_pack (w, bias, C, k, k);
  for (int c0 = 0; c0 < C; c0 += 16)
    for (int b = 0; b < B; b++)
      g_assert_true (mcam_dwconv_block (x + ((gsize) c0 * B + b) * H * W, (gsize) B * H * W,
                                        MIN (16, C - c0), H, W,
                                        packed + (gsize) (c0 / 16) * (k * k + 1) * 16, k, k, s,
                                        pt, pl, y + ((gsize) c0 * B + b) * OH * OW,
                                        (gsize) B * OH * OW, OH, OW,
                                        act == MCAM_DW_ACT_NONE ? NULL : &acts[act]));
  mcam_dwconv_pack_free (packed);

  for (gsize i = 0; i < n_out; i++)
    if (fabs (y[i] - r[i]) > 1e-5 * (1 + fabs (r[i])))
      g_error ("C %d B %d %dx%d k%d s%d pads %d,%d,%d,%d: element %" G_GSIZE_FORMAT
               " is %g, the loop says %g", C, B, H, W, k, s, pt, pl, pb, pr, i, y[i], r[i]);
  for (int i = 0; i < 32; i++)
    g_assert_cmpfloat (y[n_out + i], ==, 777.0f);   /* nothing past the last plane */
  return 1;
}

static void
test_geometries (void)
{
  static const int sizes[][2] = { { 4, 4 }, { 7, 7 }, { 5, 9 }, { 14, 14 }, { 13, 11 },
                                  { 8, 3 }, { 28, 28 }, { 30, 17 } };
  static const int channels[] = { 1, 5, 16, 17, 40 };
  GRand *rng = g_rand_new_with_seed (1014);
  int cases = 0;

  for (guint si = 0; si < G_N_ELEMENTS (sizes); si++)
    for (int k = 1; k <= 7; k += 2)
      for (int s = 1; s <= 2; s++)
        for (int asym = 0; asym <= 2; asym++)
          {
            int H = sizes[si][0], W = sizes[si][1];
            int C = channels[(si + k + asym) % G_N_ELEMENTS (channels)];
            int B = 1 + (si + s) % 2;
            /* 0: symmetric; 1: TF "same" (more at the bottom/right); 2: none */
            int pt = asym == 2 ? 0 : k / 2, pl = pt;
            int pb = asym == 1 ? k / 2 + 1 : pt, pr = asym == 1 ? k / 2 + (s == 2) : pl;

            cases += run_case (rng, C, B, H, W, k, s, pt, pl, pb, pr, (k / 2 + s + asym) % 4);
          }
  /* the mobile nets' own layers, at batch 2 */
  cases += run_case (rng, 120, 2, 28, 28, 5, 1, 2, 2, 2, 2, MCAM_DW_ACT_CLIP);
  cases += run_case (rng, 72, 2, 28, 28, 3, 2, 1, 1, 1, 1, MCAM_DW_ACT_CLIP);
  cases += run_case (rng, 184, 2, 14, 14, 3, 1, 1, 1, 1, 1, MCAM_DW_ACT_HARD_SWISH);
  cases += run_case (rng, 67, 2, 7, 7, 5, 1, 2, 2, 2, 2, MCAM_DW_ACT_HARD_SWISH);
  cases += run_case (rng, 33, 2, 14, 14, 5, 2, 1, 1, 2, 2, MCAM_DW_ACT_FUNC);  /* TF "same" */
  cases += run_case (rng, 40, 1, 56, 56, 7, 1, 3, 3, 3, 3, MCAM_DW_ACT_NONE);  /* ConvNeXt's */
  g_test_message ("%d geometries", cases);
  g_assert_cmpint (cases, >, 140);
  g_rand_free (rng);
}

static void
test_refuses (void)
{
  float x[256] = { 0 }, y[256] = { 0 }, p[16 * 82] = { 0 };

  /* fewer than 16 pixels in or out, stride 3, a 9-wide kernel */
  g_assert_false (mcam_dwconv_block_takes (3, 5, 3, 3, 1, 3, 5));
  g_assert_false (mcam_dwconv_block_takes (7, 7, 3, 3, 2, 3, 3));
  g_assert_false (mcam_dwconv_block (x, 16, 1, 16, 16, p, 3, 3, 3, 1, 1, y, 36, 6, 6, NULL));
  g_assert_false (mcam_dwconv_block (x, 16, 1, 16, 16, p, 9, 9, 1, 4, 4, y, 256, 16, 16, NULL));
  g_assert_true (mcam_dwconv_block_takes (4, 4, 3, 3, 1, 4, 4));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/dwconv-blocked/geometries", test_geometries);
  g_test_add_func ("/dwconv-blocked/refuses", test_refuses);
  return g_test_run ();
}
