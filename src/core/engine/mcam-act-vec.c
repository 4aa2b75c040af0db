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

/* out[i] = act(in[i] · s + t + row[i]) (row may be NULL); kind and fast
 * (vec_act_apply_isa) are constants where this is inlined, so each
 * activation gets its own loop */
INLINE void
run_one (McamVecAct kind, const float *in, float *out, gsize n, float alpha, float beta,
         const float *row, float s, float t, const gboolean fast)
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
      v = vec_act_apply_isa (kind, v, alpha, beta, fast);
      memcpy (out + i, &v, sizeof v);
    }
  if (i < n && n >= 16)
    {
      last = vec_act_apply_isa (kind, last * SPLAT (s) + SPLAT (t) + last_r, alpha, beta,
                                fast);
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
      v = vec_act_apply_isa (kind, v, alpha, beta, fast);
      memcpy (out + i, &v, sizeof (float) * (n - i));
    }
}

#define CASE(k, fast) \
  case k: \
    for (gsize r = 0; r < rows; r++) \
      run_one (k, in + r * n, out + r * n, n, alpha, beta, row, \
               sv != NULL ? sv[r] : 1.0f, tv != NULL ? tv[r] : 0.0f, fast); \
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
    CASE (MCAM_VEC_NONE, FALSE);
    CASE (MCAM_VEC_SIGMOID, FALSE);
    CASE (MCAM_VEC_SILU, FALSE);
    CASE (MCAM_VEC_HARD_SWISH, FALSE);
    CASE (MCAM_VEC_HARD_SIGMOID, FALSE);
    CASE (MCAM_VEC_CLIP, FALSE);
    CASE (MCAM_VEC_GELU, FALSE);
    CASE (MCAM_VEC_ERF, FALSE);
    }
}

#ifdef MCAM_ACT_FAST_SIGMOID
/* sigmoid and SiLU on AVX-512 without the division (mcam-act-vec-inline.h):
 * EfficientNet-B0 has 6.2M SiLU outputs a forward */
__attribute__ ((target ("avx512f"), flatten))
static void
run_rows_avx512 (McamVecAct kind, const float *in, float *out, gsize rows, gsize n,
                 float alpha, float beta, const float *row, const float *sv, const float *tv)
{
  switch (kind)
    {
    CASE (MCAM_VEC_SIGMOID, TRUE);
    CASE (MCAM_VEC_SILU, TRUE);
    default:
      g_assert_not_reached ();
    }
}
#endif
#undef CASE

gboolean
_mcam_vec_fast_sigmoid (void)
{
#ifdef MCAM_ACT_FAST_SIGMOID
  static gsize avail = 0;

  if (g_once_init_enter (&avail))
    {
      const char *env = g_getenv ("MCAM_FAST_SIGMOID");
      gboolean ok = __builtin_cpu_supports ("avx512f") && g_strcmp0 (env, "0") != 0;

      g_once_init_leave (&avail, ok ? 2 : 1);
    }
  return avail == 2;
#else
  return FALSE;
#endif
}

static void
rows_any (McamVecAct kind, const float *in, float *out, gsize rows, gsize n, float alpha,
          float beta, const float *row, const float *sv, const float *tv)
{
#ifdef MCAM_ACT_FAST_SIGMOID
  if ((kind == MCAM_VEC_SIGMOID || kind == MCAM_VEC_SILU) && _mcam_vec_fast_sigmoid ())
    {
      run_rows_avx512 (kind, in, out, rows, n, alpha, beta, row, sv, tv);
      return;
    }
#endif
  run_rows (kind, in, out, rows, n, alpha, beta, row, sv, tv);
}

static void
run (McamVecAct kind, float *x, gsize n, float alpha, float beta)
{
  rows_any (kind, x, x, 1, n, alpha, beta, NULL, NULL, NULL);
}

void
mcam_vec_act_rows (McamVecAct kind, float *x, gsize rows, gsize n, const float *bias,
                   float a, float b)
{
  rows_any (kind, x, x, rows, n, a, b, bias, NULL, NULL);
}

void
mcam_vec_scale_shift_act (McamVecAct kind, const float *in, float *out, gsize planes,
                          gsize n, const float *s, const float *t, float a, float b)
{
  rows_any (kind, in, out, planes, n, a, b, NULL, s, t);
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
