/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/mcam-dwconv.c against plain loops in double: kernels 1-7, strides
 * 1 and 2, symmetric and asymmetric pads (TF-style "same" pads of
 * EfficientNet exports), maps from 1x1 to wider than two vectors; the
 * max-pool plane likewise (padding never wins: -inf). */

#include <math.h>

#include <glib.h>

#include "mcam-dwconv.h"

static void
naive (const float *x, int H, int W, const float *w, float bias, int kh, int kw, int s,
       int pt, int pl, float *y, int OH, int OW)
{
  for (int oy = 0; oy < OH; oy++)
    for (int ox = 0; ox < OW; ox++)
      {
        double acc = bias;

        for (int ky = 0; ky < kh; ky++)
          for (int kx = 0; kx < kw; kx++)
            {
              int iy = oy * s - pt + ky, ix = ox * s - pl + kx;

              if (iy >= 0 && iy < H && ix >= 0 && ix < W)
                acc += (double) w[ky * kw + kx] * x[iy * W + ix];
            }
        y[oy * OW + ox] = (float) acc;
      }
}

static void
test_geometries (void)
{
  static const int sizes[] = { 1, 2, 5, 7, 14, 15, 17, 33, 56 };
  GRand *rng = g_rand_new_with_seed (14);
  int cases = 0;

  for (guint si = 0; si < G_N_ELEMENTS (sizes); si++)
    for (int k = 1; k <= 7; k += 2)
      for (int s = 1; s <= 2; s++)
        for (int asym = 0; asym <= 1; asym++)
          {
            int H = sizes[si], W = sizes[(si + 3) % G_N_ELEMENTS (sizes)];
            int pt = k / 2, pl = k / 2, pb = k / 2 + asym, pr = k / 2 - asym;
            int OH, OW;
            g_autofree float *x = NULL, *w = NULL, *y = NULL, *r = NULL;

            if (pr < 0)
              pr = 0;
            OH = (H + pt + pb - k) / s + 1;
            OW = (W + pl + pr - k) / s + 1;
            if (H + pt + pb < k || W + pl + pr < k)
              continue;
            x = g_new (float, H * W);
            w = g_new (float, k * k);
            y = g_new (float, OH * OW + 1);
            r = g_new (float, OH * OW);
            for (int i = 0; i < H * W; i++)
              x[i] = (float) g_rand_double_range (rng, -2, 2);
            for (int i = 0; i < k * k; i++)
              w[i] = (float) g_rand_double_range (rng, -1, 1);
            y[OH * OW] = 777.0f;
            g_assert_true (mcam_dwconv_plane (x, H, W, w, 0.25f, k, k, s, pt, pl, y, OH, OW));
            naive (x, H, W, w, 0.25f, k, k, s, pt, pl, r, OH, OW);
            for (int i = 0; i < OH * OW; i++)
              g_assert_cmpfloat (fabs (y[i] - r[i]), <, 1e-5 * (1 + fabs (r[i])));
            g_assert_cmpfloat (y[OH * OW], ==, 777.0f);   /* nothing past the plane */
            cases++;
          }
  g_test_message ("%d geometries", cases);
  g_assert_cmpint (cases, >, 100);
  g_rand_free (rng);
}

static void
test_maxpool (void)
{
  static const int sizes[] = { 1, 3, 7, 14, 17, 33, 56, 112 };
  GRand *rng = g_rand_new_with_seed (15);
  int cases = 0;

  for (guint si = 0; si < G_N_ELEMENTS (sizes); si++)
    for (int k = 1; k <= 7; k++)
      for (int s = 1; s <= 2; s++)
        for (int p = 0; p <= k / 2; p++)
          {
            int H = sizes[si], W = sizes[(si + 2) % G_N_ELEMENTS (sizes)];
            int OH = (H + 2 * p - k) / s + 1, OW = (W + 2 * p - k) / s + 1;
            g_autofree float *x = NULL, *y = NULL;

            if (H + 2 * p < k || W + 2 * p < k)
              continue;
            x = g_new (float, H * W);
            y = g_new (float, OH * OW + 1);
            for (int i = 0; i < H * W; i++)
              x[i] = (float) g_rand_double_range (rng, -3, 3);
            y[OH * OW] = 777.0f;
            g_assert_true (mcam_maxpool_plane (x, H, W, k, s, p, y, OH, OW));
            for (int oy = 0; oy < OH; oy++)
              for (int ox = 0; ox < OW; ox++)
                {
                  float m = -INFINITY;

                  for (int iy = oy * s - p; iy < oy * s - p + k; iy++)
                    for (int ix = ox * s - p; ix < ox * s - p + k; ix++)
                      if (iy >= 0 && iy < H && ix >= 0 && ix < W)
                        m = MAX (m, x[iy * W + ix]);
                  g_assert_cmpfloat (y[oy * OW + ox], ==, m);
                }
            g_assert_cmpfloat (y[OH * OW], ==, 777.0f);
            cases++;
          }
  g_test_message ("%d max-pool geometries", cases);
  g_assert_cmpint (cases, >, 100);
  g_rand_free (rng);
}

static void
test_refuses (void)
{
  float x[64] = { 0 }, w[81] = { 0 }, y[64] = { 0 };

  /* stride 3 and a 9-wide kernel are left to the caller's loops */
  g_assert_false (mcam_dwconv_plane (x, 8, 8, w, 0, 3, 3, 3, 1, 1, y, 3, 3));
  g_assert_false (mcam_dwconv_plane (x, 8, 8, w, 0, 9, 9, 1, 4, 4, y, 8, 8));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/dwconv/geometries", test_geometries);
  g_test_add_func ("/dwconv/maxpool", test_maxpool);
  g_test_add_func ("/dwconv/refuses", test_refuses);
  return g_test_run ();
}
