/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What the Winograd convolutions of mcam-winograd.c (F(2x2,3x3)) and
 * mcam-winograd4.c (F(4x4,3x3)) share: the chunking, and for the vectorised
 * transforms 16-float vectors (16 tiles of a
 * tile row side by side), the padded input rows, the output store with the
 * residual and ReLU, the walk over a chunk's tile rows. GCC vector
 * extensions; the including file compiles them for AVX-512/AVX2/x86-64.
 *
 * Helpers that take vectors are macros: a V16 passed by value to a function
 * that is not itself an AVX-512 clone would change the ABI (-Wpsabi). */

#include <string.h>

#include <glib.h>

#include "mcam/mcam-blas.h"
#include "mcam-conv.h"

typedef float V16 __attribute__ ((vector_size (64)));
typedef gint32 I16 __attribute__ ((vector_size (64)));

#define LOAD16(v, p) memcpy (&(v), (p), sizeof (V16))

/* Tiles per chunk when a tile needs per_tile floats of scratch: at most
 * about budget floats, never fewer than min_tiles (narrow GEMMs), and
 * chunks of equal size. */
static inline gsize
mcam_wino_tiles_per_chunk (gsize per_tile, gsize budget, gsize min_tiles, gsize n_tiles)
{
  gsize t = MAX (budget / per_tile, min_tiles);
  gsize n_chunks = (n_tiles + t - 1) / t;

  return (n_tiles + n_chunks - 1) / n_chunks;
}

/* Product xi of the Winograd transform: M[xi] = U[xi] V[xi], U [O][C]
 * (u_small: the same packed for mcam_smalln_forward, or NULL: OpenBLAS),
 * V [C][nt], M [O][nt]. */
static inline void
mcam_wino_product (const float *u, const float *u_small, int xi, int O, int C,
                   const float *v, float *m, gsize nt)
{
  if (u_small != NULL)
    mcam_smalln_forward (u_small + xi * mcam_smalln_packed_size (O, C), O, C, NULL,
                         v + xi * (gsize) C * nt, nt, nt, m + xi * (gsize) O * nt, nt, NULL,
                         FALSE);
  else
    mcam_sgemm (FALSE, FALSE, O, (int) nt, C, 1.0f, u + xi * (gsize) O * C, C,
                v + xi * (gsize) C * nt, (int) nt, 0.0f, m + xi * (gsize) O * nt, (int) nt);
}

/* rows[y][i] = src[y0 + y][i - 1] for y < n_rows, i < len, zero outside
 * the H x W plane src (len > W). */
static inline void
mcam_wino_pad_rows (float *rows, int n_rows, int len, const float *src, int y0, int H,
                    int W)
{
  for (int y = 0; y < n_rows; y++)
    {
      float *row = rows + (gsize) y * len;
      int iy = y0 + y;

      if (iy < 0 || iy >= H)
        memset (row, 0, sizeof (float) * len);
      else
        {
          row[0] = 0.0f;
          memcpy (row + 1, src + (gsize) iy * W, sizeof (float) * W);
          memset (row + 1 + W, 0, sizeof (float) * (len - 1 - W));
        }
    }
}

/* dst[i] = act(w[i / 16][i % 16] + res[i]) for i < count (res may be NULL,
 * act = ReLU when relu): whole vectors stored whole, the tail one by one. */
#define WINO_STORE_VECS(dst, res, w, n_vecs, count, relu)                    \
  do {                                                                       \
    const V16 zero_ = { 0 };                                                 \
    for (int h_ = 0; h_ < (n_vecs); h_++)                                    \
      {                                                                      \
        int n_ = MIN (16, (count) - 16 * h_);                                \
        if (n_ <= 0)                                                         \
          break;                                                             \
        if (n_ == 16)                                                        \
          {                                                                  \
            if ((res) != NULL)                                               \
              {                                                              \
                V16 r_;                                                      \
                LOAD16 (r_, (res) + 16 * h_);                                \
                (w)[h_] += r_;                                               \
              }                                                              \
            if (relu)                                                        \
              (w)[h_] = (V16) ((I16) (w)[h_] & (I16) ((w)[h_] > zero_));     \
            memcpy ((dst) + 16 * h_, &(w)[h_], sizeof (V16));                \
          }                                                                  \
        else                                                                 \
          for (int i_ = 0; i_ < n_; i_++)                                    \
            {                                                                \
              float val_ = (w)[h_][i_] + ((res) != NULL ? (res)[16 * h_ + i_] : 0.0f); \
              (dst)[16 * h_ + i_] = (relu) && !(val_ > 0.0f) ? 0.0f : val_;  \
            }                                                                \
      }                                                                      \
  } while (0)

/* Runs body for every tile-row run (image b, tile row ty, tiles [tx0, tx1),
 * column k in the chunk) of job j's tiles [j->t0, j->t1) (th x tw tiles per
 * image, raster order, image after image). */
#define WINO_FOR_TILE_ROWS(j, body)                                         \
  do {                                                                      \
    gsize t_ = (j)->t0;                                                     \
    while (t_ < (j)->t1)                                                    \
      {                                                                     \
        gsize b = t_ / ((gsize) (j)->th * (j)->tw);                         \
        int ty = (int) ((t_ / (j)->tw) % (j)->th);                          \
        int tx0 = (int) (t_ % (j)->tw);                                     \
        int tx1 = (int) MIN ((gsize) (j)->tw, tx0 + ((j)->t1 - t_));        \
        gsize k = t_ - (j)->t0;                                             \
        body;                                                               \
        t_ += tx1 - tx0;                                                    \
      }                                                                     \
  } while (0)
