/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The channel-blocked depthwise convolution of mcam-dwconv.h: 16 channels
 * per vector lane, so a 7×7 or 14×14 map wastes no lanes and needs no
 * per-plane padded copy. One block of 16 planes goes through a padded tile
 * [TH][TW][16] (a local transpose of the planes), every tap is one vector FMA
 * with the 16 channels' weights, and the outputs are transposed back to the
 * engine's planes. */

#include "config.h"

#include <string.h>

#include "mcam-dwconv.h"
#include "mcam-multiversion.h"

typedef float V __attribute__ ((vector_size (64)));
typedef gint32 I __attribute__ ((vector_size (64)));

#pragma GCC diagnostic ignored "-Wpsabi"

#define LANES 16
#define MAX_K 7

float *
mcam_dwconv_pack (const float *w, const float *bias, int C, int kh, int kw)
{
  int blocks = (C + LANES - 1) / LANES, taps = kh * kw;
  gsize per = (gsize) (taps + 1) * LANES;
  float *p = g_aligned_alloc0 ((gsize) blocks * per, sizeof (float), 64);

  for (int c = 0; c < C; c++)
    {
      float *blk = p + (gsize) (c / LANES) * per;

      for (int t = 0; t < taps; t++)
        blk[(gsize) t * LANES + c % LANES] = w[(gsize) c * taps + t];
      blk[(gsize) taps * LANES + c % LANES] = bias != NULL ? bias[c] : 0.0f;
    }
  return p;
}

void
mcam_dwconv_pack_free (float *packed)
{
  g_aligned_free (packed);
}

/* ---- the 16×16 transpose ------------------------------------------------- */

/* Four stages; stage j swaps bit j of the row index with bit j of the column
 * index, rows r and r | m (m = 1 << j) exchanging the halves that differ:
 * new a[c] = c&m ? b[c^m] : a[c], new b[c] = c&m ? b[c] : a[c^m]. */
#define SA(m, c) (((c) & (m)) ? 16 + ((c) ^ (m)) : (c))
#define SB(m, c) (((c) & (m)) ? 16 + (c) : ((c) ^ (m)))
/* __builtin_shufflevector with constant indices: GCC (>= 12) and clang both
 * have it (GCC's __builtin_shuffle with a mask vector is GCC's alone, and the
 * fuzzing build is clang's). */
#define SHUF(a, b, S, m) \
  __builtin_shufflevector (a, b, S (m, 0), S (m, 1), S (m, 2), S (m, 3), S (m, 4), S (m, 5), \
                           S (m, 6), S (m, 7), S (m, 8), S (m, 9), S (m, 10), S (m, 11), \
                           S (m, 12), S (m, 13), S (m, 14), S (m, 15))

#define STAGE(m) \
  for (int r = 0; r < 16; r++) \
    if (!(r & (m))) \
      { \
        V a = v[r], b = v[r | (m)]; \
        v[r] = SHUF (a, b, SA, m); \
        v[r | (m)] = SHUF (a, b, SB, m); \
      }

static inline __attribute__ ((always_inline)) void
transpose16 (V v[16])
{
  STAGE (1);
  STAGE (2);
  STAGE (4);
  STAGE (8);
}

/* ---- the kernel ---------------------------------------------------------- */

typedef struct
{
  const float *x;
  gsize        xcs;   /* floats between two channels' planes */
  int          nc, H, W, kh, kw, s, pt, pl;
  const float *wp;    /* [kh·kw + 1][16]: taps, then the bias */
  float       *y;
  gsize        ycs;
  int          OH, OW, TH, TW;
  float       *tile;  /* [TH][TW][16] */
  float       *out;   /* [OH·OW][16] */
} Block;

/* The block's planes into the tile: 16 pixels of 16 channels at a time (the
 * last group overlaps the one before, H·W ≥ 16), transposed, each pixel's
 * vector stored at its padded place. The border is zeroed first. */
static inline __attribute__ ((always_inline)) void
fill_tile (const Block *k)
{
  const V zero = { 0 };
  int HW = k->H * k->W;

  for (int r = 0; r < k->TH; r++)
    {
      V *row = (V *) (k->tile + (gsize) r * k->TW * LANES);

      if (r < k->pt || r >= k->pt + k->H)
        for (int c = 0; c < k->TW; c++)
          row[c] = zero;
      else
        {
          for (int c = 0; c < k->pl; c++)
            row[c] = zero;
          for (int c = k->pl + k->W; c < k->TW; c++)
            row[c] = zero;
        }
    }
  for (int p0 = 0; p0 < HW; p0 += 16)
    {
      V v[16];
      int p = MIN (p0, HW - 16), iy = p / k->W, ix = p % k->W;

      for (int c = 0; c < 16; c++)
        if (c < k->nc)
          memcpy (&v[c], k->x + (gsize) c * k->xcs + p, sizeof (V));
        else
          v[c] = zero;
      transpose16 (v);
      for (int i = 0; i < 16; i++)
        {
          memcpy (k->tile + ((gsize) (iy + k->pt) * k->TW + ix + k->pl) * LANES, &v[i],
                  sizeof (V));
          if (++ix == k->W)
            {
              ix = 0;
              iy++;
            }
        }
    }
}

/* min(max(x, lo), hi), a NaN giving lo (as mcam_vec_clip); the casts
 * between vector types reinterpret the bits */
static inline __attribute__ ((always_inline)) V
vclip (V x, V lo, V hi)
{
  I m = x > lo;

  x = (V) ((m & (I) x) | (~m & (I) lo));
  m = x < hi;
  return (V) ((m & (I) x) | (~m & (I) hi));
}

/* NX outputs of one row (NX and the stride S constants in each inlined copy):
 * tile row pointer t at the first output's top-left tap. The cheap
 * activations are applied here, in registers; the others after the block. */
static inline __attribute__ ((always_inline)) void
row_block (const float *t, gsize row, const float *wp, int kh, int kw, float *o, const int NX,
           const int S, const McamDwAct *act)
{
  V acc[8], bias;

  memcpy (&bias, wp + (gsize) kh * kw * LANES, sizeof bias);
  for (int j = 0; j < NX; j++)
    acc[j] = bias;
  for (int ky = 0; ky < kh; ky++, t += row)
    for (int kx = 0; kx < kw; kx++)
      {
        V w;
        const float *p = t + (gsize) kx * LANES;

        memcpy (&w, wp + (gsize) (ky * kw + kx) * LANES, sizeof w);
        for (int j = 0; j < NX; j++)
          {
            V xv;

            memcpy (&xv, p + (gsize) j * S * LANES, sizeof xv);
            acc[j] += xv * w;
          }
      }
  if (act->kind == MCAM_DW_ACT_CLIP)
    {
      V lo = { 0 }, hi;

      lo += act->lo;
      hi = lo - act->lo + act->hi;
      for (int j = 0; j < NX; j++)
        acc[j] = vclip (acc[j], lo, hi);
    }
  else if (act->kind == MCAM_DW_ACT_HARD_SWISH)
    {
      /* x · min(max(x / 6 + 1/2, 0), 1), as mcam_vec_hard_swish */
      V zero = { 0 }, one = zero + 1.0f;

      for (int j = 0; j < NX; j++)
        acc[j] = acc[j] * vclip (acc[j] * (1.0f / 6.0f) + 0.5f, zero, one);
    }
  for (int j = 0; j < NX; j++)
    memcpy (o + (gsize) j * LANES, &acc[j], sizeof acc[j]);
}

static inline __attribute__ ((always_inline)) void
compute_rows (const Block *k, const int S, const McamDwAct *act)
{
  gsize row = (gsize) k->TW * LANES;

  for (int oy = 0; oy < k->OH; oy++)
    for (int ox = 0; ox < k->OW; ox += 8)
      {
        const float *t = k->tile + (gsize) oy * S * row + (gsize) ox * S * LANES;
        float *o = k->out + ((gsize) oy * k->OW + ox) * LANES;

        switch (MIN (8, k->OW - ox))
          {
          case 8: row_block (t, row, k->wp, k->kh, k->kw, o, 8, S, act); break;
          case 7: row_block (t, row, k->wp, k->kh, k->kw, o, 7, S, act); break;
          case 6: row_block (t, row, k->wp, k->kh, k->kw, o, 6, S, act); break;
          case 5: row_block (t, row, k->wp, k->kh, k->kw, o, 5, S, act); break;
          case 4: row_block (t, row, k->wp, k->kh, k->kw, o, 4, S, act); break;
          case 3: row_block (t, row, k->wp, k->kh, k->kw, o, 3, S, act); break;
          case 2: row_block (t, row, k->wp, k->kh, k->kw, o, 2, S, act); break;
          default: row_block (t, row, k->wp, k->kh, k->kw, o, 1, S, act); break;
          }
      }
}

/* The outputs [OH·OW][16] back to the block's planes, 16 pixels at a time. */
static inline __attribute__ ((always_inline)) void
store_planes (const Block *k)
{
  int OHW = k->OH * k->OW;

  for (int q0 = 0; q0 < OHW; q0 += 16)
    {
      V v[16];
      int q = MIN (q0, OHW - 16);

      memcpy (v, k->out + (gsize) q * LANES, sizeof v);
      transpose16 (v);
      for (int c = 0; c < k->nc; c++)
        memcpy (k->y + (gsize) c * k->ycs + q, &v[c], sizeof (V));
    }
}

MCAM_MULTIVERSION
static void
run_block (const Block *k, const McamDwAct *act)
{
  fill_tile (k);
  if (k->s == 1)
    compute_rows (k, 1, act);
  else
    compute_rows (k, 2, act);
  if (act->kind == MCAM_DW_ACT_FUNC)
    act->func (k->out, (gsize) k->OH * k->OW * LANES, act->data);
  store_planes (k);
}

gboolean
mcam_dwconv_block_takes (int H, int W, int kh, int kw, int stride, int OH, int OW)
{
  return (stride == 1 || stride == 2) && kh >= 1 && kw >= 1 && kh <= MAX_K && kw <= MAX_K &&
         H * W >= 16 && OH * OW >= 16;
}

gboolean
mcam_dwconv_block (const float *x, gsize x_cstride, int nc, int H, int W, const float *packed,
                   int kh, int kw, int stride, int pt, int pl, float *y, gsize y_cstride,
                   int OH, int OW, const McamDwAct *act)
{
  static const McamDwAct none = { MCAM_DW_ACT_NONE };
  Block k = { x, x_cstride, nc, H, W, kh, kw, stride, pt, pl, packed, y, y_cstride, OH, OW };

  if (!mcam_dwconv_block_takes (H, W, kh, kw, stride, OH, OW) || nc < 1 || nc > LANES ||
      pt < 0 || pl < 0)
    return FALSE;
  /* the tile holds every tap of every output and every input pixel */
  k.TH = MAX ((OH - 1) * stride + kh, pt + H);
  k.TW = MAX ((OW - 1) * stride + kw, pl + W);
  k.tile = _mcam_dwconv_scratch ((gsize) (k.TH * k.TW + OH * OW) * LANES);
  k.out = k.tile + (gsize) k.TH * k.TW * LANES;
  run_block (&k, act != NULL ? act : &none);
  return TRUE;
}
