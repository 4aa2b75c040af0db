/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The vectorised depthwise and max-pool planes of mcam-dwconv.h. */

#include "config.h"

#include <math.h>
#include <string.h>

#include "mcam-dwconv.h"
#include "mcam-multiversion.h"

typedef float V __attribute__ ((vector_size (64)));

#pragma GCC diagnostic ignored "-Wpsabi"

/* rows: the padded rows, each `ld` floats apart; for stride 2, `rows` holds
 * the even columns and `odd` the odd ones (tap kx reads column ox + kx/2 of
 * one of them). NV vectors of 16 outputs are accumulated in registers while
 * the taps go by (NV is a constant in each inlined copy); the tap pointers
 * are worked out once. Lanes past OW are computed from the padding and
 * dropped. */
#define MAX_TAPS 49

static inline __attribute__ ((always_inline)) void
compute_nv (const float *const *tap, const float *wt, int taps, gsize row_step, float bias,
            float *y, int OH, int OW, const int NV)
{
  for (int oy = 0; oy < OH; oy++)
    {
      float *yr = y + (gsize) oy * OW;
      gsize off = (gsize) oy * row_step;

      for (int ox = 0; ox < OW; ox += 16 * NV)
        {
          V acc[4];

          for (int v = 0; v < NV; v++)
            acc[v] = (V) { bias, bias, bias, bias, bias, bias, bias, bias,
                           bias, bias, bias, bias, bias, bias, bias, bias };
          for (int t = 0; t < taps; t++)
            {
              const float *src = tap[t] + off + ox;
              float wv = wt[t];

              for (int v = 0; v < NV; v++)
                {
                  V x;

                  memcpy (&x, src + 16 * v, sizeof x);
                  acc[v] += x * wv;
                }
            }
          for (int v = 0; v < NV; v++)
            {
              int n = MIN (16, OW - ox - 16 * v);

              if (n == 16)
                memcpy (yr + ox + 16 * v, &acc[v], sizeof acc[v]);
              else if (n > 0)
                memcpy (yr + ox + 16 * v, &acc[v], sizeof (float) * n);
            }
        }
    }
}

/* Where tap (ky, kx) of output (0, 0) reads in the padded copy. */
static int
make_taps (const float *rows, const float *odd, gsize ld, int kh, int kw, int s,
           const float **tap)
{
  int taps = 0;

  for (int ky = 0; ky < kh; ky++)
    for (int kx = 0; kx < kw; kx++)
      tap[taps++] = s == 1 ? rows + (gsize) ky * ld + kx
                           : (kx & 1 ? odd : rows) + (gsize) ky * ld + kx / 2;
  return taps;
}

MCAM_MULTIVERSION
static void
compute (const float *rows, const float *odd, gsize ld, const float *w, float bias, int kh,
         int kw, int s, float *y, int OH, int OW)
{
  const float *tap[MAX_TAPS];
  int taps = make_taps (rows, odd, ld, kh, kw, s, tap);
  if (OW <= 16)
    compute_nv (tap, w, taps, (gsize) s * ld, bias, y, OH, OW, 1);
  else if (OW <= 32)
    compute_nv (tap, w, taps, (gsize) s * ld, bias, y, OH, OW, 2);
  else
    compute_nv (tap, w, taps, (gsize) s * ld, bias, y, OH, OW, 4);
}

/* even[i] = src[2 i], odd[i] = src[2 i + 1], i < n */
MCAM_MULTIVERSION
static void
deinterleave (const float *restrict src, int n, float *restrict even, float *restrict odd)
{
  int i = 0;

#if defined(__GNUC__) && !defined(__clang__)
  typedef gint32 I __attribute__ ((vector_size (64)));
  const I ie = { 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30 };
  const I io = { 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31 };

  for (; i + 16 <= n; i += 16)
    {
      V lo, hi, e, o;

      memcpy (&lo, src + 2 * i, sizeof lo);
      memcpy (&hi, src + 2 * i + 16, sizeof hi);
      e = __builtin_shuffle (lo, hi, ie);
      o = __builtin_shuffle (lo, hi, io);
      memcpy (even + i, &e, sizeof e);
      memcpy (odd + i, &o, sizeof o);
    }
#endif
  for (; i < n; i++)
    {
      even[i] = src[2 * i];
      odd[i] = src[2 * i + 1];
    }
}

/* One buffer per thread, kept between planes and calls (a 7×7 plane of a
 * 960-channel layer is less work than a malloc and a memset of its copy),
 * shared with the blocked kernel; 64-byte aligned for its tiles. */
static void
aligned_free (gpointer p)
{
  g_aligned_free (p);
}

static GPrivate scratch_key = G_PRIVATE_INIT (aligned_free);
static GPrivate scratch_cap = G_PRIVATE_INIT (NULL);

float *
_mcam_dwconv_scratch (gsize n)
{
  gsize cap = GPOINTER_TO_SIZE (g_private_get (&scratch_cap));
  float *p = g_private_get (&scratch_key);

  if (p == NULL || cap < n)
    {
      p = g_aligned_alloc (n, sizeof (float), 64);
      g_private_replace (&scratch_key, p);
      g_private_set (&scratch_cap, GSIZE_TO_POINTER (n));
    }
  return p;
}

static void
fill (float *p, gsize n, float v)
{
  if (v == 0.0f)
    memset (p, 0, sizeof (float) * n);
  else
    for (gsize i = 0; i < n; i++)
      p[i] = v;
}

/* The padded copy of a plane (padding = padv) in the thread's scratch
 * buffer; *ld_out is the row length given to compute() (ld, or ld/2 for
 * stride 2 with the odd columns at *odd_out), NULL for a geometry not taken. */
static float *
pad_copy (const float *x, int H, int W, int kh, int kw, int stride, int pt, int pl, int OH,
          int OW, float padv, gsize *ld_out, float **odd_out)
{
  int s = stride, PH = (OH - 1) * s + kh;
  int owr = OW <= 32 ? (OW + 15) & ~15 : (OW + 63) & ~63;   /* compute()'s blocks */
  /* a row: the columns the last vector of the widest tap reads, + slack;
   * a multiple of 32, so that it splits into two halves of 16 for stride 2 */
  gsize ld = ((gsize) owr * s + kw + 16 + 31) & ~(gsize) 31, plane = (gsize) PH * ld;
  /* the copy's rows: ld floats for stride 1, ld/2 even + ld/2 odd for 2 */
  gsize half = ld / 2;
  float *p;

  if ((s != 1 && s != 2) || kw > 7 || kh > 7 || OH <= 0 || OW <= 0)
    return NULL;
  p = _mcam_dwconv_scratch (plane + 16);
  for (int r = 0; r < PH; r++)
    {
      int iy = r - pt;
      /* padded columns [c0, c1) hold input; only the rest is zeroed */
      int c0 = MAX (0, pl), c1 = (int) MIN ((gsize) (pl + W), ld);
      float *row = p + (gsize) r * (s == 2 ? half : ld);
      float *odd = p + plane / 2 + (gsize) r * half;

      if (iy < 0 || iy >= H || c1 <= c0)
        {
          fill (row, s == 2 ? half : ld, padv);
          if (s == 2)
            fill (odd, half, padv);
          continue;
        }
      if (s == 1)
        {
          fill (row, c0, padv);
          memcpy (row + c0, x + (gsize) iy * W + (c0 - pl), sizeof (float) * (c1 - c0));
          fill (row + c1, ld - c1, padv);
        }
      else
        {
          /* padded column c goes to (c odd ? odd : row)[c / 2] */
          const float *src = x + (gsize) iy * W - pl;
          int e0 = c0 / 2, e1 = c1 / 2;   /* pairs (2i, 2i+1) fully inside */
          int pairs = e1 - (c0 + 1) / 2;

          fill (row, half, padv);
          fill (odd, half, padv);
          if (c0 & 1)
            odd[e0] = src[c0];
          if (pairs > 0)
            deinterleave (src + 2 * ((c0 + 1) / 2), pairs, row + (c0 + 1) / 2,
                          odd + (c0 + 1) / 2);
          if (c1 & 1)
            row[e1] = src[c1 - 1];
        }
    }
  *ld_out = s == 2 ? half : ld;
  *odd_out = s == 2 ? p + plane / 2 : NULL;
  return p;
}

gboolean
mcam_dwconv_plane (const float *x, int H, int W, const float *w, float bias, int kh, int kw,
                   int stride, int pt, int pl, float *y, int OH, int OW)
{
  gsize ld;
  float *odd, *p = pad_copy (x, H, W, kh, kw, stride, pt, pl, OH, OW, 0.0f, &ld, &odd);

  if (p == NULL)
    return FALSE;
  compute (p, odd, ld, w, bias, kh, kw, stride, y, OH, OW);
  return TRUE;
}

/* compute()'s loop with max for the sum: 16 outputs per vector */
MCAM_MULTIVERSION
static void
compute_max (const float *rows, const float *odd, gsize ld, int kh, int kw, int s, float *y,
             int OH, int OW)
{
  const float *tap[MAX_TAPS];
  int taps = make_taps (rows, odd, ld, kh, kw, s, tap);
  for (int oy = 0; oy < OH; oy++)
    {
      float *yr = y + (gsize) oy * OW;
      gsize off = (gsize) oy * s * ld;

      for (int ox = 0; ox < OW; ox += 16)
        {
          V m;

          memcpy (&m, tap[0] + off + ox, sizeof m);
          for (int t = 1; t < taps; t++)
            {
              V v;
              typedef gint32 I __attribute__ ((vector_size (64)));
              I gt, im, iv;

              memcpy (&v, tap[t] + off + ox, sizeof v);
              gt = v > m;
              memcpy (&im, &m, sizeof m);
              memcpy (&iv, &v, sizeof v);
              im = (gt & iv) | (~gt & im);
              memcpy (&m, &im, sizeof m);
            }
          memcpy (yr + ox, &m, sizeof (float) * MIN (16, OW - ox));
        }
    }
}

gboolean
mcam_maxpool_plane (const float *x, int H, int W, int k, int stride, int pad, float *y,
                    int OH, int OW)
{
  gsize ld;
  float *odd, *p = pad_copy (x, H, W, k, k, stride, pad, pad, OH, OW, -INFINITY, &ld, &odd);

  if (p == NULL)
    return FALSE;
  compute_max (p, odd, ld, k, k, stride, y, OH, OW);
  return TRUE;
}
