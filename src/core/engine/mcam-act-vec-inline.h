/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The vector math of mcam-act-vec.c as inline functions on 16-float
 * vectors, for the kernels that apply an activation in their own epilogue
 * (the 1×1 convolution's tile, mcam-pointwise.c): one definition of exp,
 * erf and the activations. Include it only in a file compiled with
 * MCAM_MULTIVERSION loops: the helpers are always inlined into them and so
 * get their target; no vector crosses a call. */
#pragma once

#include <string.h>

#include "mcam-act-vec.h"

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
vec_act_apply (McamVecAct kind, V x, float alpha, float beta)
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
