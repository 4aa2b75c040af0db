/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Vectorised activations: see mcam-act-vec.h. Written with GCC's generic
 * vectors and compiled for AVX-512, AVX2 and baseline x86-64 (ifunc); the
 * last partial vector goes through a padded copy. */

#include "config.h"

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

/* e^x for x in [-87.3, 88.7] (clamped): x = n ln2 + f, |f| <= ln2/2,
 * ln2 split in two so that n ln2 is exact enough; e^f by Horner. */
INLINE V
vexp (V x)
{
  const V magic = SPLAT (12582912.0f);   /* 1.5 * 2^23: round to nearest */
  V t, n, f, p;
  I e;

  x = vmax (vmin (x, SPLAT (88.7f)), SPLAT (-87.3f));   /* NaN passes */
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
  /* 2^n by the exponent bits; n = 128 (x near 88.7) in two steps */
  e = __builtin_convertvector (n, I);
  {
    I half = e >> 1;
    V s1, s2;
    I b1 = (half + 127) << 23, b2 = (e - half + 127) << 23;

    memcpy (&s1, &b1, sizeof s1);
    memcpy (&s2, &b2, sizeof s2);
    return p * s1 * s2;
  }
}

enum { SIGMOID, SILU, HARD_SWISH, HARD_SIGMOID, CLIP };

INLINE V
apply (int kind, V x, float alpha, float beta)
{
  switch (kind)
    {
    case SIGMOID:
      return SPLAT (1.0f) / (SPLAT (1.0f) + vexp (-x));
    case SILU:
      return x / (SPLAT (1.0f) + vexp (-x));
    case HARD_SWISH:
      /* x / 6 was a vdivps per vector, the most expensive thing here */
      return x * vmax (SPLAT (0.0f), vmin (SPLAT (1.0f), x * SPLAT (1.0f / 6.0f) + SPLAT (0.5f)));
    case CLIP:   /* lo = 0, hi = inf is ReLU; NaN gives lo, as fmaxf() did */
      x = vsel (x > SPLAT (alpha), x, SPLAT (alpha));
      return vsel (x < SPLAT (beta), x, SPLAT (beta));
    default:
      return vmax (SPLAT (0.0f), vmin (SPLAT (1.0f), x * SPLAT (alpha) + SPLAT (beta)));
    }
}

MCAM_MULTIVERSION
static void
run (int kind, float *x, gsize n, float alpha, float beta)
{
  gsize i = 0;

  for (; i + 16 <= n; i += 16)
    {
      V v;

      memcpy (&v, x + i, sizeof v);
      v = apply (kind, v, alpha, beta);
      memcpy (x + i, &v, sizeof v);
    }
  if (i < n)
    {
      V v = SPLAT (0.0f);

      memcpy (&v, x + i, sizeof (float) * (n - i));
      v = apply (kind, v, alpha, beta);
      memcpy (x + i, &v, sizeof (float) * (n - i));
    }
}

void
mcam_vec_sigmoid (float *x, gsize n)
{
  run (SIGMOID, x, n, 0, 0);
}

void
mcam_vec_silu (float *x, gsize n)
{
  run (SILU, x, n, 0, 0);
}

void
mcam_vec_hard_swish (float *x, gsize n)
{
  run (HARD_SWISH, x, n, 0, 0);
}

void
mcam_vec_hard_sigmoid (float *x, gsize n, float alpha, float beta)
{
  run (HARD_SIGMOID, x, n, alpha, beta);
}

void
mcam_vec_clip (float *x, gsize n, float lo, float hi)
{
  run (CLIP, x, n, lo, hi);
}
