/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The convolution product for few columns (issue 14): Y[M][N] =
 * W[M][K] · X[K][N] + bias (+ res), ReLU, with N small — the 7x7
 * maps of a ResNet's last stage at batch 1 (N = 49) and the Winograd
 * products of its 14x14 maps (49 tiles), where K and M
 * are large (512-4608). OpenBLAS re-packs the whole weight matrix (1-9 MB)
 * on every call for those 49 columns and ran them at 65-72 GFLOP/s; the
 * pixel-vector 1x1 kernel (mcam-pointwise.c) wastes most of a 16-pixel
 * vector on 49 = 48 + 1.
 *
 * So here the vectors run along the OUTPUT CHANNELS: W is packed once
 * ([⌈M/64⌉][K][64]), a tile is 64 channels × 6 pixels in 24 AVX-512
 * registers, and every K step is 4 vector loads of W and 6 broadcast pixels
 * (24 FMAs, 10 loads). Any N works without padding: a narrower pixel tile
 * is the same loop with fewer accumulators. K goes in blocks of KC so the
 * block's weights (KC × 64 floats, 32 KB) stay in L1 across the pixel
 * tiles; each block's sums are added to the partial sums of the blocks
 * before it, which wait in a small [N][64] buffer, and the last block
 * adds bias and residual and applies ReLU in registers, then scatters each
 * channel vector into its 16 output rows. Threads take whole 64-channel
 * blocks.
 *
 * Measured (one thread, CPU ms; alone: best of 200 calls, hot caches; in
 * the network: resnet50 batch 1, MCAM_PROFILE medians): 2048x512 by 49
 * columns 0.77 here, 0.95 OpenBLAS alone; in the network 512>2048 7x7
 * 1.32 -> 1.09, 1024>2048 s2 2.53 -> 2.11, 3x3 512>512 7x7 3.0 -> 2.8, the
 * 16 Winograd products of 256>256 14x14 (49 tiles) 2.2 -> 1.9 for the
 * layer. With 196 columns OpenBLAS is as fast or faster (145 against 136
 * GFLOP/s alone; 1x1 14x14 layers 0.81 -> 0.90 in the network), so
 * mcam-conv.c uses this up to 64 columns ($MCAM_SMALLN_MAX). */

#include "config.h"

#include <string.h>

#include "mcam-conv.h"
#include "mcam-parallel.h"
#include "mcam/mcam-blas.h"

#define SN_MR 64   /* output channels per tile: 4 vectors of 16 */
#define SN_P 6     /* pixels per tile */
#define SN_KC 128  /* K per block (64-512 measured the same) */

gsize
mcam_smalln_packed_size (int m, int k)
{
  return (gsize) ((m + SN_MR - 1) / SN_MR) * k * SN_MR;
}

float *
mcam_smalln_pack (const float *w, int count, int m, int k)
{
  gsize size = mcam_smalln_packed_size (m, k);
  float *p = g_aligned_alloc0 (size * count, sizeof (float), 64);

  for (int i = 0; i < count; i++)
    {
      const float *wi = w + (gsize) i * m * k;
      float *pi = p + (gsize) i * size;

      for (int o = 0; o < m; o++)
        for (int c = 0; c < k; c++)
          pi[((gsize) (o / SN_MR) * k + c) * SN_MR + o % SN_MR] = wi[(gsize) o * k + c];
    }
  return p;
}

void
mcam_smalln_pack_free (float *packed)
{
  g_aligned_free (packed);
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define SN_TARGET __attribute__ ((target ("avx512f"), always_inline)) inline

/* One tile: NP pixels (x: K rows ldx apart, NP columns) × 64 channels (wp:
 * [kc][64]). first: start from zero, else from part ([NP][64]); last: the
 * epilogue into y (rows ldy apart, nr of the 64 valid), else back to part. */
static SN_TARGET void
tile (const float *restrict wp, int kc, const float *restrict x, gsize ldx,
      float *restrict part, gboolean first, gboolean last, gboolean prefetch,
      const float *restrict bias, int nr, float *y, gsize ldy,
      const float *res, gboolean relu, const int NP)
{
  __m512 acc[4][SN_P];

  for (int p = 0; p < NP; p++)
    for (int v = 0; v < 4; v++)
      acc[v][p] = _mm512_setzero_ps ();
  for (int k = 0; k < kc; k++, wp += SN_MR, x += ldx)
    {
      __m512 w0 = _mm512_load_ps (wp), w1 = _mm512_load_ps (wp + 16);
      __m512 w2 = _mm512_load_ps (wp + 32), w3 = _mm512_load_ps (wp + 48);

      if (prefetch)
        for (int l = 0; l < 4; l++)
          _mm_prefetch ((const char *) (wp + SN_KC * SN_MR + l * 16), _MM_HINT_T1);

      for (int p = 0; p < NP; p++)
        {
          __m512 xb = _mm512_set1_ps (x[p]);

          acc[0][p] = _mm512_fmadd_ps (w0, xb, acc[0][p]);
          acc[1][p] = _mm512_fmadd_ps (w1, xb, acc[1][p]);
          acc[2][p] = _mm512_fmadd_ps (w2, xb, acc[2][p]);
          acc[3][p] = _mm512_fmadd_ps (w3, xb, acc[3][p]);
        }
    }
  /* Each block sums from zero and is then added to the blocks before it:
   * one running sum over K = 2304 had 4.7x the rounding error of
   * OpenBLAS's (2.1e-6 against 4.5e-7 relative on a 256>256 3x3 14x14). */
  if (!first)
    for (int p = 0; p < NP; p++)
      for (int v = 0; v < 4; v++)
        acc[v][p] = _mm512_add_ps (acc[v][p], _mm512_load_ps (part + p * SN_MR + v * 16));
  if (!last)
    {
      for (int p = 0; p < NP; p++)
        for (int v = 0; v < 4; v++)
          _mm512_store_ps (part + p * SN_MR + v * 16, acc[v][p]);
      return;
    }

  /* Channel c of vector v is row 16 v + c of y: a scatter with row offsets. */
  __m512i rows = _mm512_mullo_epi32 (_mm512_set_epi32 (15, 14, 13, 12, 11, 10, 9, 8,
                                                       7, 6, 5, 4, 3, 2, 1, 0),
                                     _mm512_set1_epi32 ((int) ldy));
  for (int v = 0; v < 4; v++)
    {
      int valid = nr - v * 16;
      __mmask16 mask = valid >= 16 ? 0xffff : valid <= 0 ? 0 : (__mmask16) ((1u << valid) - 1);
      __m512 b;
      float *yv = y + (gsize) v * 16 * ldy;
      const float *rv = res != NULL ? res + (gsize) v * 16 * ldy : NULL;

      if (mask == 0)
        break;
      b = bias != NULL ? _mm512_maskz_loadu_ps (mask, bias + v * 16) : _mm512_setzero_ps ();
      for (int p = 0; p < NP; p++)
        {
          __m512 a = _mm512_add_ps (acc[v][p], b);

          if (rv != NULL)
            a = _mm512_add_ps (a, _mm512_mask_i32gather_ps (_mm512_setzero_ps (), mask, rows,
                                                            rv + p, 4));
          if (relu)
            a = _mm512_max_ps (a, _mm512_setzero_ps ());
          _mm512_mask_i32scatter_ps (yv + p, mask, rows, a, 4);
        }
    }
}

typedef struct
{
  const float *wp;
  float       *xp;
  const float *bias, *res;
  gsize        n, ldy;
  float       *y;
  int          m, k, pieces;
  gboolean     relu;
  const float *x;      /* for pack_x */
  gsize        ldx, tiles;
} Job;

/* Tiles [t0, t1) of x into xp. */
static void
pack_x (const Job *j, gsize t0, gsize t1)
{
  for (gsize t = t0; t < t1; t++)
    {
      gsize p0 = t * SN_P, np = MIN ((gsize) SN_P, j->n - p0);
      const float *src = j->x + p0;
      float *dst = j->xp + t * j->k * SN_P;

      if (np == SN_P)
        for (int c = 0; c < j->k; c++, dst += SN_P, src += j->ldx)
          memcpy (dst, src, sizeof (float) * SN_P);
      else
        for (int c = 0; c < j->k; c++, dst += SN_P, src += j->ldx)
          for (gsize i = 0; i < SN_P; i++)
            dst[i] = i < np ? src[i] : 0.0f;
    }
}

static void
pack_piece (gpointer data, int i)
{
  const Job *j = data;
  gsize t0, t1;

  mcam_parallel_block (j->tiles, j->pieces, 1, i, &t0, &t1);
  pack_x (j, t0, t1);
}

/* The 64-channel blocks [b0, b1): every pixel, all of K. */
__attribute__ ((target ("avx512f")))
static void
run_blocks (const Job *j, int b0, int b1)
{
  float *part = g_aligned_alloc (j->n * SN_MR, sizeof (float), 64);

  for (int b = b0; b < b1; b++)
    {
      int m0 = b * SN_MR, nr = MIN (SN_MR, j->m - m0);
      float *y = j->y + (gsize) m0 * j->ldy;
      const float *res = j->res != NULL ? j->res + (gsize) m0 * j->ldy : NULL;

      for (int k0 = 0; k0 < j->k; k0 += SN_KC)
        {
          int kc = MIN (SN_KC, j->k - k0);
          gboolean first = k0 == 0, last = k0 + kc == j->k;
          const float *wp = j->wp + ((gsize) b * j->k + k0) * SN_MR;

          for (gsize p = 0; p < j->n; p += SN_P)
            {
              float *pp = part + p * SN_MR;
              const float *bias = j->bias != NULL ? j->bias + m0 : NULL;
              /* the tile's pixels, packed: [k][SN_P] */
              const float *x = j->xp + (p / SN_P * j->k + k0) * SN_P;
              /* the first tile fetches the next block's weights: they
               * come from memory (a network's weights do not stay in cache
               * from one forward to the next), into L2: resnet50's layer4
               * convs 3-9% faster, the forward 67.9 -> 66.0 ms; into L1
               * instead 1-2% slower than into L2, two blocks ahead the same */
              gboolean pf = p == 0;

              switch (MIN ((gsize) SN_P, j->n - p))
                {
                case 6: tile (wp, kc, x, SN_P, pp, first, last, pf, bias, nr, y + p, j->ldy, res ? res + p : NULL, j->relu, 6); break;
                case 5: tile (wp, kc, x, SN_P, pp, first, last, pf, bias, nr, y + p, j->ldy, res ? res + p : NULL, j->relu, 5); break;
                case 4: tile (wp, kc, x, SN_P, pp, first, last, pf, bias, nr, y + p, j->ldy, res ? res + p : NULL, j->relu, 4); break;
                case 3: tile (wp, kc, x, SN_P, pp, first, last, pf, bias, nr, y + p, j->ldy, res ? res + p : NULL, j->relu, 3); break;
                case 2: tile (wp, kc, x, SN_P, pp, first, last, pf, bias, nr, y + p, j->ldy, res ? res + p : NULL, j->relu, 2); break;
                default: tile (wp, kc, x, SN_P, pp, first, last, pf, bias, nr, y + p, j->ldy, res ? res + p : NULL, j->relu, 1); break;
                }
            }
        }
    }
  g_aligned_free (part);
}

static void
run_piece (gpointer data, int i)
{
  const Job *j = data;
  gsize b0, b1;

  mcam_parallel_block ((gsize) (j->m + SN_MR - 1) / SN_MR, j->pieces, 1, i, &b0, &b1);
  if (b1 > b0)
    run_blocks (j, (int) b0, (int) b1);
}

gboolean
mcam_smalln_available (void)
{
  static gsize avail = 0;

  if (g_once_init_enter (&avail))
    g_once_init_leave (&avail, __builtin_cpu_supports ("avx512f") ? 2 : 1);
  return avail == 2;
}

void
mcam_smalln_forward (const float *packed, int m, int k, const float *bias,
                     const float *x, gsize ldx, gsize n, float *y, gsize ldy,
                     const float *res, gboolean relu)
{
  int blocks = (m + SN_MR - 1) / SN_MR;
  gsize tiles = (n + SN_P - 1) / SN_P;
  g_autofree float *xp = g_malloc (tiles * k * SN_P * sizeof (float));
  int threads = mcam_blas_get_threads ();
  Job j = { packed, xp, bias, res, n, ldy, y, m, k, 1, relu };

  /* x's columns by tile, [tile][k][SN_P] (the last one zero-padded): the
   * broadcasts then read one contiguous stream instead of one cache line
   * of every row per K step (256x1024 by 196 columns: 112 -> 136 GFLOP/s) */
  j.x = x;
  j.ldx = ldx;
  j.tiles = tiles;
  j.pieces = threads;
  if (threads > 1 && tiles * k >= 16384)
    mcam_parallel_for (threads, pack_piece, &j);
  else
    pack_x (&j, 0, tiles);

  j.pieces = MIN (threads, blocks);
  if (j.pieces > 1 && (guint64) m * n * k >= (1u << 20))
    mcam_parallel_for (j.pieces, run_piece, &j);
  else
    run_blocks (&j, 0, blocks);
}

#else  /* not x86-64: never chosen */

gboolean
mcam_smalln_available (void)
{
  return FALSE;
}

void
mcam_smalln_forward (const float *packed, int m, int k, const float *bias,
                     const float *x, gsize ldx, gsize n, float *y, gsize ldy,
                     const float *res, gboolean relu)
{
  g_return_if_reached ();
}

#endif
