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
 * n ln2 is exact enough; e^f by Horner. Returns e^f, sets e = n (and *nf
 * to n as a float, when not NULL). */
INLINE V
exp_reduced_n (V x, I *e, V *nf)
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
  if (e != NULL)
    *e = __builtin_convertvector (n, I);
  if (nf != NULL)
    *nf = n;
  return p;
}

INLINE V
exp_reduced (V x, I *e)
{
  return exp_reduced_n (x, e, NULL);
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

/* Sigmoid without vdivps where AVX-512 is known to be there (the callers
 * compiled for it: target ("avx512f"), not the ifunc clones, whose one body
 * serves every ISA). The division took about half of a SiLU vector (8 of
 * ~17 cycles): here 1 / d is vrcp14ps (14 bits) and one Newton step in
 * FMAs (relative error ~2^-28 before rounding), and 2^n of e^x is
 * vscalefps. Not always_inline: a generic caller never reaches it (fast is
 * a constant FALSE there) and keeps a dead call instead of an inlining
 * error. GCC only: clang refuses even that dead call (a 64-byte vector
 * argument into an AVX-512 function from generic code); the clang builds
 * (fuzzing) keep the division. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#  include <immintrin.h>
#  define MCAM_ACT_FAST_SIGMOID 1

static inline __attribute__ ((target ("avx512f"))) V
sigmoid_avx512 (V x)
{
  V nf, p, d;
  __m512 r, e;

  /* e^-x, -x clamped to [-87.3, 88.7] as vexp's; vminps / vmaxps return
   * their second operand for a NaN, so x there: NaN passes (one uop each,
   * where vmin / vmax are a compare and a blend) */
  x = (V) _mm512_max_ps ((__m512) SPLAT (-88.7f),
                         _mm512_min_ps ((__m512) SPLAT (87.3f), (__m512) x));
  p = exp_reduced_n (-x, NULL, &nf);
  d = SPLAT (1.0f) + (V) _mm512_scalef_ps ((__m512) p, (__m512) nf);
  r = _mm512_rcp14_ps ((__m512) d);
  e = _mm512_fnmadd_ps ((__m512) d, r, (__m512) SPLAT (1.0f));   /* 1 - d r */
  return (V) _mm512_fmadd_ps (r, e, r);
}
#endif

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

/* vec_act_apply, with sigmoid and SiLU by sigmoid_avx512 when fast (a
 * constant, TRUE only in functions compiled for AVX-512) */
INLINE V
vec_act_apply_isa (McamVecAct kind, V x, float alpha, float beta, const gboolean fast)
{
#ifdef MCAM_ACT_FAST_SIGMOID
  if (fast && kind == MCAM_VEC_SIGMOID)
    return sigmoid_avx512 (x);
  if (fast && kind == MCAM_VEC_SILU)
    return x * sigmoid_avx512 (x);
#endif
  return vec_act_apply (kind, x, alpha, beta);
}
