/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The small math of the memory module (DESIGN 4.1-4.3), shared by inference
 * and training: cosine, the address of Eq. (1), G, fc, and a seeded generator. */

#include "config.h"

#include <math.h>
#include <string.h>

#include "mcam/mcam-blas.h"
#include "mcam-memory-private.h"

float
_mcam_cosine_strided (const float *a, gsize stride_a, const float *b, gsize stride_b,
                      gsize n)
{
  /* Accumulate in double: dim is c·h·w for p_s (up to ~10^5 terms). */
  double dot = 0.0, na = 0.0, nb = 0.0;
  for (gsize i = 0; i < n; i++)
    {
      double x = a[i * stride_a], y = b[i * stride_b];
      dot += x * y;
      na += x * x;
      nb += y * y;
    }
  double denom = sqrt (na) * sqrt (nb);
  if (denom < MCAM_COSINE_EPS)
    denom = MCAM_COSINE_EPS;
  return (float) (dot / denom);
}

float
_mcam_cosine (const float *a, const float *b, gsize n)
{
  return _mcam_cosine_strided (a, 1, b, 1, n);
}

void
_mcam_softmax (float *x, int n)
{
  if (n <= 0)
    return;
  float m = x[0];
  for (int i = 1; i < n; i++)
    if (x[i] > m)
      m = x[i];
  double sum = 0.0;
  for (int i = 0; i < n; i++)
    {
      x[i] = expf (x[i] - m);
      sum += x[i];
    }
  for (int i = 0; i < n; i++)
    x[i] = (float) (x[i] / sum);
}

void
_mcam_address (const float *x, const float *M, int N, gsize dim, float scale,
               float *p_out)
{
  for (int i = 0; i < N; i++)
    p_out[i] = scale * _mcam_cosine (x, M + (gsize) i * dim, dim);
  _mcam_softmax (p_out, N);
}

void
_mcam_gap (const float *f, int c, int hw, float *q)
{
  for (int k = 0; k < c; k++)
    {
      double s = 0.0;
      const float *fk = f + (gsize) k * hw;
      for (int j = 0; j < hw; j++)
        s += fk[j];
      q[k] = (float) (s / hw);
    }
}

void
_mcam_read_value (const McamMemory *mem, const float *p, float *v)
{
  /* v = p V = V^T p */
  mcam_sgemv (TRUE, mem->n_slots, mem->c, 1.0f, mem->V, mem->c, p, 0.0f, v);
}

void
_mcam_encode_value_full (const McamMemory *mem, const float *y, float *hidden_out,
                         float *v_out)
{
  int c = mem->c;
  g_autofree float *hbuf = hidden_out ? NULL : g_new (float, c);
  float *h = hidden_out ? hidden_out : hbuf;

  memcpy (h, mem->G0_b, sizeof (float) * c);
  mcam_sgemv (FALSE, c, mem->n_classes, 1.0f, mem->G0_w, mem->n_classes, y, 1.0f, h);
  for (int k = 0; k < c; k++)
    if (h[k] < 0.0f)
      h[k] = 0.0f;
  memcpy (v_out, mem->G2_b, sizeof (float) * c);
  mcam_sgemv (FALSE, c, c, 1.0f, mem->G2_w, c, h, 1.0f, v_out);
}

void
_mcam_encode_value (const McamMemory *mem, const float *y, float *v_out)
{
  _mcam_encode_value_full (mem, y, NULL, v_out);
}

void
_mcam_memory_logits (const McamMemory *mem, const float *v, const float *q, float *z)
{
  int c = mem->c, C = mem->n_classes;

  /* fc_w is [C, 2c]: columns 0..c-1 multiply v, c..2c-1 multiply q. */
  memcpy (z, mem->fc_b, sizeof (float) * C);
  mcam_sgemv (FALSE, C, c, 1.0f, mem->fc_w, 2 * c, v, 1.0f, z);
  mcam_sgemv (FALSE, C, c, 1.0f, mem->fc_w + c, 2 * c, q, 1.0f, z);
}

void
_mcam_value_address_of_class (const McamMemory *mem, int class_index, float *p_out)
{
  g_autofree float *e = g_new0 (float, mem->n_classes);
  g_autofree float *g = g_new (float, mem->c);

  e[class_index] = 1.0f;
  _mcam_encode_value (mem, e, g);
  _mcam_address (g, mem->V, mem->n_slots, mem->c, mem->scale, p_out);
}

/* splitmix64 (Steele, Lea, Flood 2014): expands one seed into the state. */
static guint64
splitmix64 (guint64 *x)
{
  guint64 z = (*x += G_GUINT64_CONSTANT (0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94D049BB133111EB);
  return z ^ (z >> 31);
}

static inline guint64
rotl (guint64 x, int k)
{
  return (x << k) | (x >> (64 - k));
}

void
_mcam_rng_init (McamRng *rng, guint64 seed)
{
  guint64 x = seed;
  for (int i = 0; i < 4; i++)
    rng->s[i] = splitmix64 (&x);
  rng->have_spare = FALSE;
  rng->spare = 0.0;
}

/* xoshiro256** (Blackman, Vigna 2018). */
guint64
_mcam_rng_next (McamRng *rng)
{
  guint64 *s = rng->s;
  guint64 result = rotl (s[1] * 5, 7) * 9;
  guint64 t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl (s[3], 45);
  return result;
}

double
_mcam_rng_uniform (McamRng *rng)
{
  return (double) (_mcam_rng_next (rng) >> 11) * 0x1.0p-53;
}

guint64
_mcam_rng_below (McamRng *rng, guint64 n)
{
  g_return_val_if_fail (n > 0, 0);
  /* Reject the top partial range so every value is equally likely. */
  guint64 limit = G_MAXUINT64 - (G_MAXUINT64 % n);
  guint64 x;
  do
    x = _mcam_rng_next (rng);
  while (x >= limit);
  return x % n;
}

double
_mcam_rng_normal (McamRng *rng)
{
  if (rng->have_spare)
    {
      rng->have_spare = FALSE;
      return rng->spare;
    }
  /* Box-Muller; u1 in (0, 1] so the log is finite. */
  double u1 = 1.0 - _mcam_rng_uniform (rng);
  double u2 = _mcam_rng_uniform (rng);
  double r = sqrt (-2.0 * log (u1));
  double theta = 2.0 * G_PI * u2;
  rng->spare = r * sin (theta);
  rng->have_spare = TRUE;
  return r * cos (theta);
}
