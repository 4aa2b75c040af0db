/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/mcam-act-vec.c against the libm formulas: every activation over
 * [-100, 100] (both clamps of the exponent reached), lengths that leave
 * every tail size, NaN kept NaN. Sigmoid and SiLU within 1e-6 relative
 * (the vectorised exp: measured 1.3e-7 and 1.4e-7). erf and GELU against
 * double erf()/erfc() over floats spread across the whole float range (every
 * float with `-m slow`): erf within 1.5e-7 absolute, GELU within 1.5e-7
 * absolute where |GELU| <= 1 and 2e-7 relative above (measured on every
 * float: 1.18e-7, 1.25e-7 and 1.62e-7). */

#include <math.h>
#include <stdint.h>
#include <string.h>

#include <glib.h>

#include "mcam-act-vec.h"

typedef void (*VecFn) (float *x, gsize n);

static double
ref (int kind, double x)
{
  switch (kind)
    {
    case 0:
      return 1.0 / (1.0 + exp (-x));
    case 1:
      return x / (1.0 + exp (-x));
    case 2:
      return x * fmax (0.0, fmin (1.0, x / 6.0 + 0.5));
    default:
      return fmax (0.0, fmin (1.0, 0.2 * x + 0.5));
    }
}

static void
run (int kind, float *x, gsize n)
{
  switch (kind)
    {
    case 0:
      mcam_vec_sigmoid (x, n);
      break;
    case 1:
      mcam_vec_silu (x, n);
      break;
    case 2:
      mcam_vec_hard_swish (x, n);
      break;
    default:
      mcam_vec_hard_sigmoid (x, n, 0.2f, 0.5f);
    }
}

static void
test_accuracy (gconstpointer data)
{
  int kind = GPOINTER_TO_INT (data);
  const gsize n = 200001;
  g_autofree float *x = g_new (float, n);
  double worst = 0.0;

  for (gsize i = 0; i < n; i++)
    x[i] = -100.0f + 200.0f * (float) i / (float) (n - 1);
  run (kind, x, n);
  for (gsize i = 0; i < n; i++)
    {
      float in = -100.0f + 200.0f * (float) i / (float) (n - 1);
      double r = ref (kind, in), err = fabs (x[i] - r) / fmax (fabs (r), 1e-30);

      /* the piecewise-linear ones: x/6 + 1/2 in float cancels near -3,
       * as in the scalar code; their error is absolute */
      if (kind >= 2)
        err = fabs (x[i] - r) / fmax (fabs (r), 1.0);

      /* relative error, except where the result underflows */
      if (fabs (r) > 1e-30)
        worst = fmax (worst, err);
      else
        g_assert_cmpfloat (fabs (x[i]), <, 1e-30);
    }
  g_test_message ("worst relative error %.3g", worst);
  g_assert_cmpfloat (worst, <, 1e-6);
}

static void
test_tails (void)
{
  for (gsize n = 0; n < 40; n++)
    {
      float x[48];

      for (gsize i = 0; i < 48; i++)
        x[i] = i < n ? (float) i - 20.0f : 12345.0f;
      mcam_vec_silu (x, n);
      for (gsize i = 0; i < 48; i++)
        if (i < n)
          g_assert_cmpfloat (fabs (x[i] - ref (1, (double) i - 20.0)), <,
                             1e-6 * fmax (1.0, fabs (ref (1, (double) i - 20.0))));
        else
          g_assert_cmpfloat (x[i], ==, 12345.0f);   /* nothing written past n */
    }
}

static void
test_nan (void)
{
  float x[3] = { NAN, 1.0f, NAN };

  mcam_vec_sigmoid (x, 3);
  g_assert_true (isnan (x[0]) && isnan (x[2]));
  g_assert_cmpfloat (fabs (x[1] - ref (0, 1.0)), <, 1e-7);
  x[0] = NAN;
  mcam_vec_silu (x, 1);
  g_assert_true (isnan (x[0]));
}

static void
test_clip (void)
{
  float x[37];

  for (int i = 0; i < 37; i++)
    x[i] = (float) i - 18.5f;
  x[5] = NAN;
  mcam_vec_clip (x, 37, 0.0f, INFINITY);   /* ReLU */
  for (int i = 0; i < 37; i++)
    g_assert_cmpfloat (x[i], ==, i == 5 ? 0.0f : fmaxf ((float) i - 18.5f, 0.0f));
  for (int i = 0; i < 37; i++)
    x[i] = (float) i - 18.5f;
  mcam_vec_clip (x, 37, -2.0f, 6.0f);      /* ReLU6-like */
  for (int i = 0; i < 37; i++)
    g_assert_cmpfloat (x[i], ==, fminf (fmaxf ((float) i - 18.5f, -2.0f), 6.0f));
}

/* Floats whose bit patterns are step apart (every float with step 1), in
 * blocks, through mcam_vec_erf and mcam_vec_gelu; the worst errors. */
static void
test_erf_gelu (void)
{
  enum { N = 1 << 16 };
  const guint64 step = g_test_slow () ? 1 : 211;   /* 211: ~20 M floats, odd: every exponent */
  g_autofree float *x = g_new (float, N), *e = g_new (float, N), *ge = g_new (float, N);
  double w_erf = 0.0, w_abs = 0.0, w_rel = 0.0;
  float at_erf = 0.0f, at_abs = 0.0f, at_rel = 0.0f;

  for (guint64 b = 0; b < ((guint64) 1 << 32); b += (guint64) N * step)
    {
      for (int i = 0; i < N; i++)
        {
          guint32 u = (guint32) (b + (guint64) i * step);
          memcpy (&x[i], &u, sizeof u);
        }
      memcpy (e, x, sizeof (float) * N);
      memcpy (ge, x, sizeof (float) * N);
      mcam_vec_erf (e, N);
      mcam_vec_gelu (ge, N);
      for (int i = 0; i < N; i++)
        {
          double xi = x[i], r, d;

          if (isnan (x[i]))
            {
              g_assert_true (isnan (e[i]) && isnan (ge[i]));
              continue;
            }
          r = erf (xi);
          d = fabs (e[i] - r);
          if (d > w_erf)
            w_erf = d, at_erf = x[i];
          if (isinf (x[i]))
            {
              g_assert_cmpfloat (ge[i], ==, x[i] > 0 ? x[i] : 0.0f);   /* GELU(-inf) = 0 */
              continue;
            }
          r = 0.5 * xi * erfc (-xi / G_SQRT2);
          d = fabs (ge[i] - r);
          if (fabs (r) <= 1.0 && d > w_abs)
            w_abs = d, at_abs = x[i];
          if (fabs (r) > 1.0 && d / fabs (r) > w_rel)
            w_rel = d / fabs (r), at_rel = x[i];
        }
    }
  g_test_message ("every %" G_GUINT64_FORMAT "th float: erf %.3g abs (at %.9g); GELU %.3g abs "
                  "(at %.9g), %.3g rel (at %.9g)", step, w_erf, at_erf, w_abs, at_abs, w_rel,
                  at_rel);
  g_assert_cmpfloat (w_erf, <=, 1.5e-7);
  g_assert_cmpfloat (w_abs, <=, 1.5e-7);
  g_assert_cmpfloat (w_rel, <=, 2e-7);
}

/* the GELU's negative tail comes from erfc, not 1 + erf: relative accuracy
 * where float erf would round 1 + erf to 0 or to a few ulps */
static void
test_gelu_tail (void)
{
  float x[4] = { -3.0f, -4.0f, -5.0f, -5.5f };

  mcam_vec_gelu (x, 4);
  for (int i = 0; i < 4; i++)
    {
      double v = -3.0 - (i == 3 ? 2.5 : i), r = 0.5 * v * erfc (-v / G_SQRT2);

      g_assert_cmpfloat (fabs (x[i] - r), <=, 1e-6 * fabs (r));
    }
}

/* DenseNet's unfolded BatchNorm + ReLU on planes of 49, 7 and 196 floats
 * (every tail case), in place and not; a linear layer's bias + GELU by rows */
static void
test_scale_shift_rows (void)
{
  static const gsize sizes[] = { 49, 7, 196, 16 };

  for (gsize k = 0; k < G_N_ELEMENTS (sizes); k++)
    for (int in_place = 0; in_place < 2; in_place++)
      {
        const gsize P = 5, n = sizes[k];
        g_autofree float *x = g_new (float, P * n + 1), *y = g_new (float, P * n + 1);
        float s[5], t[5];

        for (gsize p = 0; p < P; p++)
          s[p] = 0.5f + (float) p, t[p] = 0.25f - 0.2f * (float) p;
        for (gsize i = 0; i < P * n + 1; i++)
          x[i] = (float) ((i * 37) % 23) - 11.0f, y[i] = 777.0f;
        mcam_vec_scale_shift_act (MCAM_VEC_CLIP, x, in_place ? x : y, P, n, s, t, 0.0f,
                                  INFINITY);
        for (gsize p = 0; p < P; p++)
          for (gsize i = 0; i < n; i++)
            {
              float v = (float) (((p * n + i) * 37) % 23) - 11.0f;
              g_assert_cmpfloat (fabsf ((in_place ? x : y)[p * n + i] - fmaxf (v * s[p] + t[p], 0.0f)),
                                 <=, 1e-6f * fmaxf (1.0f, fabsf (v * s[p])));
            }
        g_assert_cmpfloat ((in_place ? x : y)[P * n], ==, in_place ? -11.0f + (float) ((P * n * 37) % 23) : 777.0f);
      }
  {
    const gsize R = 3, n = 40;
    float x[3 * 40 + 1], bias[40];

    for (gsize i = 0; i < n; i++)
      bias[i] = 0.1f * (float) i - 2.0f;
    for (gsize i = 0; i < R * n + 1; i++)
      x[i] = 0.05f * (float) i - 3.0f;
    mcam_vec_act_rows (MCAM_VEC_GELU, x, R, n, bias, 0.0f, 0.0f);
    for (gsize i = 0; i < R * n; i++)
      {
        double v = 0.05 * (double) i - 3.0 + (0.1 * (double) (i % n) - 2.0);
        g_assert_cmpfloat (fabs (x[i] - 0.5 * v * erfc (-v / G_SQRT2)), <=, 1e-6);
      }
    g_assert_cmpfloat (x[R * n], ==, 0.05f * (float) (R * n) - 3.0f);
  }
}

/* LayerNorm rows (n = 96, a multiple of 16, and 41, with a tail) against a
 * double-precision loop, on rows with means up to 80 for a spread of 1.3
 * (the sums are taken around the first value, then the mean) */
static void
test_layernorm (void)
{
  static const gsize sizes[] = { 96, 41, 7 };

  for (gsize k = 0; k < G_N_ELEMENTS (sizes); k++)
    {
      const gsize R = 9, n = sizes[k];
      g_autofree float *x = g_new (float, R * n), *y = g_new (float, R * n);
      g_autofree float *gamma = g_new (float, n), *beta = g_new (float, n);
      double worst = 0.0;

      for (gsize i = 0; i < n; i++)
        gamma[i] = 0.5f + 0.01f * (float) i, beta[i] = 0.1f * (float) (i % 7) - 0.3f;
      for (gsize i = 0; i < R * n; i++)
        x[i] = 10.0f * (float) (i / n) + (float) ((i * 29) % 31) / 7.0f;
      mcam_vec_layernorm_rows (x, y, R, n, gamma, beta, 1e-6f);
      for (gsize r = 0; r < R; r++)
        {
          double mean = 0.0, var = 0.0;

          for (gsize i = 0; i < n; i++)
            mean += x[r * n + i];
          mean /= (double) n;
          for (gsize i = 0; i < n; i++)
            var += (x[r * n + i] - mean) * (x[r * n + i] - mean);
          var /= (double) n;
          for (gsize i = 0; i < n; i++)
            {
              double ref = (x[r * n + i] - mean) / sqrt (var + 1e-6) * gamma[i] + beta[i];
              worst = fmax (worst, fabs (y[r * n + i] - ref) / fmax (1.0, fabs (ref)));
            }
        }
      g_test_message ("LayerNorm, rows of %" G_GSIZE_FORMAT ": worst error %.3g", n, worst);
      g_assert_cmpfloat (worst, <=, 1e-5);
      mcam_vec_layernorm_rows (x, x, R, n, gamma, beta, 1e-6f);   /* in place: the same */
      g_assert_cmpmem (x, sizeof (float) * R * n, y, sizeof (float) * R * n);
    }
}

int
main (int argc, char **argv)
{
  static const char *names[] = { "sigmoid", "silu", "hard-swish", "hard-sigmoid" };

  g_test_init (&argc, &argv, NULL);
  for (int k = 0; k < 4; k++)
    {
      g_autofree char *path = g_strdup_printf ("/act-vec/accuracy/%s", names[k]);
      g_test_add_data_func (path, GINT_TO_POINTER (k), test_accuracy);
    }
  g_test_add_func ("/act-vec/tails", test_tails);
  g_test_add_func ("/act-vec/nan", test_nan);
  g_test_add_func ("/act-vec/clip", test_clip);
  g_test_add_func ("/act-vec/erf-gelu", test_erf_gelu);
  g_test_add_func ("/act-vec/gelu-tail", test_gelu_tail);
  g_test_add_func ("/act-vec/scale-shift-rows", test_scale_shift_rows);
  g_test_add_func ("/act-vec/layernorm", test_layernorm);
  return g_test_run ();
}
