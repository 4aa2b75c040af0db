/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The few-columns product (mcam-smalln.c) against double-precision loops:
 * output channel counts that are and are not multiples of its 64-channel
 * tile, pixel counts around its 6-pixel tile, K across its blocks, row
 * strides wider than the row, every epilogue (none, ReLU, residual,
 * residual + ReLU, the residual accumulated in place), no bias, the second
 * of two packed matrices, one and two threads. */

#include <math.h>
#include <string.h>

#include "mcam-test-util.h"

#include "mcam/mcam-blas.h"
#include "mcam-conv.h"

typedef struct
{
  int m, k, n;
} Case;

static const Case cases[] = {
  { 64, 64, 6 },       /* one tile */
  { 2048, 512, 49 },   /* resnet50's 512>2048 on 7x7 */
  { 512, 300, 49 },    /* K in three blocks with a tail */
  { 70, 33, 13 },      /* a 6-channel row tail, 1-pixel column tail */
  { 13, 5, 1 },        /* less than one vector of channels, one pixel */
  { 130, 129, 64 },    /* three channel blocks, the last 2 rows */
  { 256, 256, 16 },    /* a Winograd product of a 7x7 map */
  { 17, 1, 11 },       /* K = 1 */
};

static void
fill_random (GRand *rng, float *v, gsize n)
{
  for (gsize i = 0; i < n; i++)
    v[i] = (float) g_rand_double_range (rng, -1.0, 1.0);
}

/* mode 0 plain, 1 ReLU, 2 residual, 3 residual + ReLU, 4 residual in y +
 * ReLU, 5 no bias */
static void
check (const Case *cc, int mode, GRand *rng)
{
  int m = cc->m, k = cc->k;
  gsize n = cc->n, ldx = n + 3, ldy = n + 5;
  g_autofree float *w = g_new (float, 2 * (gsize) m * k);   /* two matrices: the second is used */
  g_autofree float *bias = g_new (float, m);
  g_autofree float *x = g_new (float, (gsize) k * ldx);
  g_autofree float *res = g_new (float, (gsize) m * ldy);
  g_autofree float *y = g_new (float, (gsize) m * ldy);
  gboolean relu = mode == 1 || mode == 3 || mode == 4;
  const float *r = mode >= 2 && mode <= 3 ? res : mode == 4 ? y : NULL;
  float *packed;

  fill_random (rng, w, 2 * (gsize) m * k);
  fill_random (rng, bias, m);
  fill_random (rng, x, (gsize) k * ldx);
  fill_random (rng, res, (gsize) m * ldy);
  if (mode == 4)
    memcpy (y, res, sizeof (float) * m * ldy);
  else
    for (gsize i = 0; i < (gsize) m * ldy; i++)
      y[i] = NAN;
  /* the padding between rows must stay as it was */
  for (int o = 0; o < m; o++)
    for (gsize i = n; i < ldy; i++)
      y[o * ldy + i] = 42.0f;

  packed = mcam_smalln_pack (w, 2, m, k);
  mcam_smalln_forward (packed + mcam_smalln_packed_size (m, k), m, k, mode == 5 ? NULL : bias,
                       x, ldx, n, y, ldy, r, relu);
  mcam_smalln_pack_free (packed);

  for (int o = 0; o < m; o++)
    {
      const float *wo = w + (gsize) (m + o) * k;

      for (gsize i = 0; i < n; i++)
        {
          double want = mode == 5 ? 0.0 : bias[o], scale = 1.0;
          float got = y[o * ldy + i];

          for (int c = 0; c < k; c++)
            {
              want += (double) wo[c] * x[c * ldx + i];
              scale += fabs ((double) wo[c] * x[c * ldx + i]);
            }
          if (mode >= 2 && mode <= 4)
            want += res[o * ldy + i];
          if (relu && want < 0.0)
            want = 0.0;
          /* float sums against double: relative to the sum of |terms| */
          if (!(fabs (got - want) <= 1e-6 * scale))
            g_error ("%dx%dx%zu mode %d: y[%d][%zu] = %g, want %g", m, k, n, mode, o, i, got,
                     want);
        }
      for (gsize i = n; i < ldy; i++)
        g_assert_cmpfloat (y[o * ldy + i], ==, 42.0f);
    }
}

static void
test_against_loops (void)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (5);

  if (!mcam_smalln_available ())
    {
      g_test_skip ("no AVX-512 here");
      return;
    }
  for (int t = 1; t <= 2; t++)
    {
      mcam_blas_set_threads (t);
      for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
        for (int mode = 0; mode <= 5; mode++)
          check (&cases[c], mode, rng);
    }
  mcam_blas_set_threads (1);
}

/* The packed copy: blocks of 64 channels, K-major, zero past the last row. */
static void
test_pack_layout (void)
{
  float w[3 * 70];
  float *p;

  for (int i = 0; i < 3 * 70; i++)
    w[i] = (float) i;
  p = mcam_smalln_pack (w, 1, 70, 3);
  g_assert_cmpuint (mcam_smalln_packed_size (70, 3), ==, 2 * 3 * 64);
  g_assert_cmpfloat (p[0], ==, 0.0f);                  /* o 0, k 0 */
  g_assert_cmpfloat (p[1 * 64 + 2], ==, 7.0f);         /* o 2, k 1 */
  g_assert_cmpfloat (p[(3 + 2) * 64 + 5], ==, 69.0f * 3 + 2);   /* o 69, k 2 */
  g_assert_cmpfloat (p[(3 + 2) * 64 + 6], ==, 0.0f);   /* padding past o 69 */
  mcam_smalln_pack_free (p);
}

int
main (int argc, char **argv)
{
  mcam_blas_ensure_fast_core (argc, argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/smalln/pack-layout", test_pack_layout);
  g_test_add_func ("/smalln/against-loops", test_against_loops);
  return g_test_run ();
}
