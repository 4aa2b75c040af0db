/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Vectorised activations: see mcam-act-vec.h. Written with GCC's generic
 * vectors and compiled for AVX-512, AVX2 and baseline x86-64 (ifunc); the
 * last partial vector goes through a padded copy. */

#include "config.h"

#include <math.h>
#include <string.h>

#include "mcam-act-vec.h"
#include "mcam-multiversion.h"

typedef float V __attribute__ ((vector_size (64)));
typedef gint32 I __attribute__ ((vector_size (64)));

#define SPLAT(c) ((V) { c, c, c, c, c, c, c, c, c, c, c, c, c, c, c, c })

/* the helpers are always inlined into the multiversioned loop, so they are
 * compiled for its target; no vector crosses a call (hence no ABI warning) */
#pragma GCC diagnostic ignored "-Wpsabi"
#define INLINE static inline __attribute__ ((always_inline))

INLINE V
vsel (I m, V a, V b)
{
  I ia, ib, r;
  V v;

  memcpy (&ia, &a, sizeof a);
  memcpy (&ib, &b, sizeof b);
  r = (m & ia) | (~m & ib);
  memcpy (&v, &r, sizeof v);
  return v;
}

/* a NaN in a stays NaN (the clamps below must not hide one) */
INLINE V
vmin (V a, V b)
{
  return vsel (b < a, b, a);
}

INLINE V
vmax (V a, V b)
{
  return vsel (b > a, b, a);
}

/* e^x = 2^e · e^f: x = n ln2 + f, |f| <= ln2/2, ln2 split in two so that
 * n ln2 is exact enough; e^f by Horner. Returns e^f, sets e = n. */
INLINE V
exp_reduced (V x, I *e)
{
  const V magic = SPLAT (12582912.0f);   /* 1.5 * 2^23: round to nearest */
  V t, n, f, p;

  t = x * SPLAT (1.44269504088896341f) + magic;
  n = t - magic;
  f = x - n * SPLAT (0.693359375f);
  f = f + n * SPLAT (2.12194440e-4f);
  p = SPLAT (1.0f / 5040);
  p = p * f + SPLAT (1.0f / 720);
  p = p * f + SPLAT (1.0f / 120);
  p = p * f + SPLAT (1.0f / 24);
  p = p * f + SPLAT (1.0f / 6);
  p = p * f + SPLAT (0.5f);
  p = p * f + SPLAT (1.0f);
  p = p * f + SPLAT (1.0f);
  *e = __builtin_convertvector (n, I);
  return p;
}

/* e^x for x in [-87.3, 88.7] (clamped) */
INLINE V
vexp (V x)
{
  V p;
  I e;

  x = vmax (vmin (x, SPLAT (88.7f)), SPLAT (-87.3f));   /* NaN passes */
  p = exp_reduced (x, &e);
  /* 2^n by the exponent bits; n = 128 (x near 88.7) in two steps */
  {
    I half = e >> 1;
    V s1, s2;
    I b1 = (half + 127) << 23, b2 = (e - half + 127) << 23;

    memcpy (&s1, &b1, sizeof s1);
    memcpy (&s2, &b2, sizeof s2);
    return p * s1 * s2;
  }
}

/* e^x for x in [-16, -1] (erfc's e^(-x²)): no clamps, 2^n in one step
 * (n >= -24) */
INLINE V
vexp_small (V x)
{
  V p, s;
  I e;

  p = exp_reduced (x, &e);
  e = (e + 127) << 23;
  memcpy (&s, &e, sizeof s);
  return p * s;
}

/* erf in two pieces (coefficients: tools/fit_erf.py, fitted on Chebyshev
 * nodes in double and rounded to float):
 *   |x| < 1:       erf(x)  = x · P(x²), P of degree 5;
 *   1 <= |x| <= 4: erfc(x) = e^(-x²) · R((|x| - 2.5) / 1.5), R of degree 10
 *                  (R fits erfcx, smooth there); past 4 erf is ±1 in float.
 * Both are computed for every lane and one is selected. Measured against
 * double erf() on EVERY float (tests/core/test-act-vec.c, `-m slow`, the
 * AVX-512 clone): max absolute error 1.18e-7 (at x = 0.9995; two ulps of
 * erf there). The GELU below takes erfc from the second piece directly, so
 * its negative tail keeps relative accuracy instead of the cancellation in
 * 1 + erf: on every float, 1.25e-7 absolute where |GELU| <= 1, 1.62e-7
 * relative above. */
INLINE V
erf_small (V x)   /* x · P(x²), |x| < 1 */
{
  V s = x * x, p = SPLAT (-5.654105917e-04f);

  p = p * s + SPLAT (4.923277535e-03f);
  p = p * s + SPLAT (-2.671638504e-02f);
  p = p * s + SPLAT (1.128036454e-01f);
  p = p * s + SPLAT (-3.761234879e-01f);
  p = p * s + SPLAT (1.128379107e+00f);
  return x * p;
}

INLINE V
erfc_big (V a)   /* erfc(a) for a in [1, 4] (a is clamped there: NaN passes) */
{
  V u, p = SPLAT (9.640451754e-05f);

  a = vmax (vmin (a, SPLAT (4.0f)), SPLAT (1.0f));
  u = (a - SPLAT (2.5f)) * SPLAT (1.0f / 1.5f);
  p = p * u + SPLAT (-2.455025970e-04f);
  p = p * u + SPLAT (3.678686626e-04f);
  p = p * u + SPLAT (-9.155637817e-04f);
  p = p * u + SPLAT (2.425885061e-03f);
  p = p * u + SPLAT (-5.611762870e-03f);
  p = p * u + SPLAT (1.248403545e-02f);
  p = p * u + SPLAT (-2.699779160e-02f);
  p = p * u + SPLAT (5.611095950e-02f);
  p = p * u + SPLAT (-1.115214005e-01f);
  p = p * u + SPLAT (2.108063549e-01f);
  return vexp_small (-(a * a)) * p;
}

INLINE V
vabs (V x)
{
  return vsel (x < SPLAT (0.0f), -x, x);
}

INLINE V
verf (V x)
{
  V a = vabs (x), big = SPLAT (1.0f) - erfc_big (a);

  big = vsel (a > SPLAT (4.0f), SPLAT (1.0f), big);
  return vsel (a < SPLAT (1.0f), erf_small (x), vsel (x < SPLAT (0.0f), -big, big));
}

/* x · Φ(x), Φ(x) = ½ (1 + erf(x/√2)) = ½ erfc(-x/√2): for x/√2 <= -1 Φ is
 * ½ erfc(|x|/√2), accurate relative to itself; past |x/√2| = 4 Φ is 0 or 1
 * (GELU is then 0 or x: |x · ½ erfc(4)| < 1e-8 |x|). */
INLINE V
vgelu (V x)
{
  V z = x * SPLAT (0.70710678118654752f), a = vabs (z), c = SPLAT (0.5f) * erfc_big (a);
  V phi;

  c = vsel (a > SPLAT (4.0f), SPLAT (0.0f), c);
  phi = vsel (z < SPLAT (0.0f), c, SPLAT (1.0f) - c);
  phi = vsel (a < SPLAT (1.0f), SPLAT (0.5f) + SPLAT (0.5f) * erf_small (z), phi);
  /* -inf · 0 would be NaN: GELU(-inf) is 0 */
  return vsel (phi == SPLAT (0.0f), SPLAT (0.0f), x * phi);
}

INLINE V
apply (McamVecAct kind, V x, float alpha, float beta)
{
  switch (kind)
    {
    case MCAM_VEC_NONE:
      return x;
    case MCAM_VEC_SIGMOID:
      return SPLAT (1.0f) / (SPLAT (1.0f) + vexp (-x));
    case MCAM_VEC_SILU:
      return x / (SPLAT (1.0f) + vexp (-x));
    case MCAM_VEC_HARD_SWISH:
      /* x / 6 was a vdivps per vector, the most expensive thing here */
      return x * vmax (SPLAT (0.0f), vmin (SPLAT (1.0f), x * SPLAT (1.0f / 6.0f) + SPLAT (0.5f)));
    case MCAM_VEC_CLIP:   /* lo = 0, hi = inf is ReLU; NaN gives lo, as fmaxf() did */
      x = vsel (x > SPLAT (alpha), x, SPLAT (alpha));
      return vsel (x < SPLAT (beta), x, SPLAT (beta));
    case MCAM_VEC_GELU:
      return vgelu (x);
    case MCAM_VEC_ERF:
      return verf (x);
    case MCAM_VEC_HARD_SIGMOID:
    default:
      return vmax (SPLAT (0.0f), vmin (SPLAT (1.0f), x * SPLAT (alpha) + SPLAT (beta)));
    }
}

/* out[i] = act(in[i] · s + t + row[i]) (row may be NULL); kind is a
 * constant where this is inlined, so each activation gets its own loop */
INLINE void
run_one (McamVecAct kind, const float *in, float *out, gsize n, float alpha, float beta,
         const float *row, float s, float t)
{
  gsize i = 0;
  V last = SPLAT (0.0f), last_r = SPLAT (0.0f);

  /* n >= 16: the last partial vector is done as the full vector ending at
   * n, read before the loop (in may be out) and stored after it, so the
   * overlap gets the same values again; the memcpy calls of a partial
   * vector cost more than the work on 49- or 196-float planes */
  if (n >= 16 && n % 16 != 0)
    {
      memcpy (&last, in + n - 16, sizeof last);
      if (row != NULL)
        memcpy (&last_r, row + n - 16, sizeof last_r);
    }
  for (; i + 16 <= n; i += 16)
    {
      V v, r;

      memcpy (&v, in + i, sizeof v);
      v = v * SPLAT (s) + SPLAT (t);
      if (row != NULL)
        {
          memcpy (&r, row + i, sizeof r);
          v += r;
        }
      v = apply (kind, v, alpha, beta);
      memcpy (out + i, &v, sizeof v);
    }
  if (i < n && n >= 16)
    {
      last = apply (kind, last * SPLAT (s) + SPLAT (t) + last_r, alpha, beta);
      memcpy (out + n - 16, &last, sizeof last);
    }
  else if (i < n)
    {
      V v = SPLAT (0.0f), r = SPLAT (0.0f);

      memcpy (&v, in + i, sizeof (float) * (n - i));
      v = v * SPLAT (s) + SPLAT (t);
      if (row != NULL)
        {
          memcpy (&r, row + i, sizeof (float) * (n - i));
          v += r;
        }
      v = apply (kind, v, alpha, beta);
      memcpy (out + i, &v, sizeof (float) * (n - i));
    }
}

#define CASE(k) \
  case k: \
    for (gsize r = 0; r < rows; r++) \
      run_one (k, in + r * n, out + r * n, n, alpha, beta, row, \
               sv != NULL ? sv[r] : 1.0f, tv != NULL ? tv[r] : 0.0f); \
    break

/* rows of n floats, each: out = act(in · s[r] + t[r] + row) (s, t, row
 * may be NULL) */
MCAM_MULTIVERSION
static void
run_rows (McamVecAct kind, const float *in, float *out, gsize rows, gsize n, float alpha,
          float beta, const float *row, const float *sv, const float *tv)
{
  switch (kind)
    {
    CASE (MCAM_VEC_NONE);
    CASE (MCAM_VEC_SIGMOID);
    CASE (MCAM_VEC_SILU);
    CASE (MCAM_VEC_HARD_SWISH);
    CASE (MCAM_VEC_HARD_SIGMOID);
    CASE (MCAM_VEC_CLIP);
    CASE (MCAM_VEC_GELU);
    CASE (MCAM_VEC_ERF);
    }
}
#undef CASE

static void
run (McamVecAct kind, float *x, gsize n, float alpha, float beta)
{
  run_rows (kind, x, x, 1, n, alpha, beta, NULL, NULL, NULL);
}

void
mcam_vec_act_rows (McamVecAct kind, float *x, gsize rows, gsize n, const float *bias,
                   float a, float b)
{
  run_rows (kind, x, x, rows, n, a, b, bias, NULL, NULL);
}

void
mcam_vec_scale_shift_act (McamVecAct kind, const float *in, float *out, gsize planes,
                          gsize n, const float *s, const float *t, float a, float b)
{
  run_rows (kind, in, out, planes, n, a, b, NULL, s, t);
}

void
mcam_vec_sigmoid (float *x, gsize n)
{
  run (MCAM_VEC_SIGMOID, x, n, 0, 0);
}

void
mcam_vec_silu (float *x, gsize n)
{
  run (MCAM_VEC_SILU, x, n, 0, 0);
}

void
mcam_vec_hard_swish (float *x, gsize n)
{
  run (MCAM_VEC_HARD_SWISH, x, n, 0, 0);
}

void
mcam_vec_hard_sigmoid (float *x, gsize n, float alpha, float beta)
{
  run (MCAM_VEC_HARD_SIGMOID, x, n, alpha, beta);
}

void
mcam_vec_clip (float *x, gsize n, float lo, float hi)
{
  run (MCAM_VEC_CLIP, x, n, lo, hi);
}

void
mcam_vec_gelu (float *x, gsize n)
{
  run (MCAM_VEC_GELU, x, n, 0, 0);
}

void
mcam_vec_erf (float *x, gsize n)
{
  run (MCAM_VEC_ERF, x, n, 0, 0);
}

/* ---- LayerNorm over rows ------------------------------------------------- */

INLINE float
hsum (V v)
{
  float r = 0.0f;

  for (int i = 0; i < 16; i++)
    r += v[i];
  return r;
}

/* two passes over the row (mean, then the variance of x - mean: no
 * cancellation), float accumulators in 16 lanes; the row tail (n % 16)
 * in scalar code */
MCAM_MULTIVERSION
static void
layernorm_rows (const float *in, float *out, gsize rows, gsize n, const float *gamma,
                const float *beta, float eps)
{
  gsize nv = n & ~(gsize) 15;

  for (gsize r = 0; r < rows; r++)
    {
      const float *x = in + r * n;
      float *y = out + r * n;
      V acc = SPLAT (0.0f), v, m, inv, g, b;
      float mean, var, inv_s;

      /* summed around the row's first value: a large common offset does
       * not eat the float sum's precision */
      m = SPLAT (x[0]);
      for (gsize i = 0; i < nv; i += 16)
        {
          memcpy (&v, x + i, sizeof v);
          acc += v - m;
        }
      mean = hsum (acc);
      for (gsize i = nv; i < n; i++)
        mean += x[i] - x[0];
      mean = x[0] + mean / (float) n;
      m = SPLAT (mean);
      acc = SPLAT (0.0f);
      for (gsize i = 0; i < nv; i += 16)
        {
          memcpy (&v, x + i, sizeof v);
          v -= m;
          acc += v * v;
        }
      var = hsum (acc);
      for (gsize i = nv; i < n; i++)
        var += (x[i] - mean) * (x[i] - mean);
      var /= (float) n;
      inv_s = 1.0f / sqrtf (var + eps);
      inv = SPLAT (inv_s);
      for (gsize i = 0; i < nv; i += 16)
        {
          memcpy (&v, x + i, sizeof v);
          memcpy (&g, gamma + i, sizeof g);
          memcpy (&b, beta + i, sizeof b);
          v = (v - m) * inv * g + b;
          memcpy (y + i, &v, sizeof v);
        }
      for (gsize i = nv; i < n; i++)
        y[i] = (x[i] - mean) * inv_s * gamma[i] + beta[i];
    }
}

void
mcam_vec_layernorm_rows (const float *in, float *out, gsize rows, gsize n, const float *gamma,
                         const float *beta, float eps)
{
  layernorm_rows (in, out, rows, n, gamma, beta, eps);
}
