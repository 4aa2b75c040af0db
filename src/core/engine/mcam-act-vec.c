/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Vectorised activations: see mcam-act-vec.h. Written with GCC's generic
 * vectors and compiled for AVX-512, AVX2 and baseline x86-64 (ifunc); the
 * last partial vector goes through a padded copy. The vector math itself
 * (exp, erf, the activations) is in mcam-act-vec-inline.h. */

#include "config.h"

#include <math.h>
#include <string.h>

#include "mcam-act-vec-inline.h"
#include "mcam-multiversion.h"

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
      v = vec_act_apply (kind, v, alpha, beta);
      memcpy (out + i, &v, sizeof v);
    }
  if (i < n && n >= 16)
    {
      last = vec_act_apply (kind, last * SPLAT (s) + SPLAT (t) + last_r, alpha, beta);
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
      v = vec_act_apply (kind, v, alpha, beta);
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
