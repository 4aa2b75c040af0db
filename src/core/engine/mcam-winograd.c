/* SPDX-License-Identifier: GPL-3.0-or-later */
/* 3x3 stride-1 pad-1 convolution with Winograd's minimal filtering F(2x2,3x3)
 * (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2016).
 *
 * Each 2x2 output tile is computed from a 4x4 input tile d and the 3x3 kernel
 * g as  Y = A^T [ (G g G^T) ⊙ (B^T d B) ] A : 16 multiplications instead of
 * 36. Over a layer the element-wise products become 16 independent GEMMs
 * (one per position xi of the 4x4 tile), [O,C] x [C,tiles], so the work still
 * runs on mcam_sgemm, with 2.25x fewer multiply-adds than im2col + GEMM, and
 * the transformed input (4x the input) is smaller than the im2col matrix (9x).
 * In float32 the transforms add an error of a few 1e-7 relative (only
 * additions and halvings), far inside the engine's 1e-4 bar. */

#include "config.h"

#include <string.h>

#include "mcam/mcam-blas.h"
#include "mcam-conv.h"
#include "mcam-parallel.h"
#include "mcam-winograd-vec.h"

/* Scratch per chunk of tiles: 16 x (C + O) floats per tile, at most about
 * this many floats, but never fewer than MIN_TILES tiles (narrow GEMMs). */
#define WINO_BUDGET (2u * 1024u * 1024u)
#define WINO_MIN_TILES 256
#define WINO_PIECES 8

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define WINO_VECTOR 1
#endif

gboolean
mcam_winograd_applies (const McamConv *conv)
{
  return conv->kh == 3 && conv->kw == 3 && conv->stride == 1 && conv->pad == 1;
}

/* U[xi][o][c] = (G g G^T)[xi] with G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1]. */
float *
mcam_winograd_transform_weights (const McamConv *conv)
{
  gsize oc = (gsize) conv->out_c * conv->in_c;
  float *u = g_new (float, 16 * oc);

  for (int o = 0; o < conv->out_c; o++)
    for (int c = 0; c < conv->in_c; c++)
      {
        const float *g = conv->weight + ((gsize) o * conv->in_c + c) * 9;
        double t[4][3], r[4][4];

        /* t = G g (4x3) */
        for (int j = 0; j < 3; j++)
          {
            double g0 = g[j], g1 = g[3 + j], g2 = g[6 + j];
            t[0][j] = g0;
            t[1][j] = 0.5 * (g0 + g1 + g2);
            t[2][j] = 0.5 * (g0 - g1 + g2);
            t[3][j] = g2;
          }
        /* r = t G^T (4x4) */
        for (int i = 0; i < 4; i++)
          {
            r[i][0] = t[i][0];
            r[i][1] = 0.5 * (t[i][0] + t[i][1] + t[i][2]);
            r[i][2] = 0.5 * (t[i][0] - t[i][1] + t[i][2]);
            r[i][3] = t[i][2];
          }
        for (int xi = 0; xi < 16; xi++)
          u[xi * oc + (gsize) o * conv->in_c + c] = (float) r[xi / 4][xi % 4];
      }
  return u;
}

static gsize
tiles_per_chunk (const McamConv *conv, gsize n_tiles)
{
  return mcam_wino_tiles_per_chunk (16 * (gsize) (conv->in_c + conv->out_c), WINO_BUDGET, WINO_MIN_TILES,
                                    n_tiles);
}

gsize
mcam_winograd_workspace_size (const McamConv *conv, int B, int H, int W)
{
  gsize n_tiles = (gsize) B * ((H + 1) / 2) * ((W + 1) / 2);

  return 16 * (gsize) (conv->in_c + conv->out_c) * tiles_per_chunk (conv, n_tiles);
}

typedef struct
{
  const McamConv *conv;
  int             B, H, W, th, tw;
  const float    *in;
  McamActLayout   in_l;
  float          *out;
  McamActLayout   out_l;
  const float    *res;
  gboolean        relu;
  gsize           t0, t1;    /* tile range of this chunk */
  float          *v;         /* [16][C][t1-t0] */
  float          *m;         /* [16][O][t1-t0] */
  const float    *u;         /* [16][O][C] */
  const float    *u_small;   /* the same, packed for mcam_smalln_forward, or NULL */
} WinoJob;

/* Where tile t of the batch lies: image *b, tile row *ty, tile column *tx
 * (tiles run in raster order, image after image). */
static inline void
tile_locate (const WinoJob *j, gsize t, gsize *b, int *ty, int *tx)
{
  *b = t / ((gsize) j->th * j->tw);
  *ty = (int) ((t / j->tw) % j->th);
  *tx = (int) (t % j->tw);
}

/* The F(2x2, 3x3) transforms, written once for the scalar path (T = float,
 * one tile) and the vector path (T = V16, 16 tiles side by side). Macros,
 * not functions: see the note on the vector helpers below. */

/* r = B^T d B, B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]; d (T[4][4])
 * is overwritten. */
#define WINO_INPUT_TRANSFORM(T, d, r)                                       \
  do {                                                                      \
    for (int x_ = 0; x_ < 4; x_++)                                          \
      {                                                                     \
        T a_ = (d)[0][x_], e_ = (d)[1][x_], f_ = (d)[2][x_], h_ = (d)[3][x_]; \
        (d)[0][x_] = a_ - f_;                                               \
        (d)[1][x_] = e_ + f_;                                               \
        (d)[2][x_] = f_ - e_;                                               \
        (d)[3][x_] = e_ - h_;                                               \
      }                                                                     \
    for (int y_ = 0; y_ < 4; y_++)                                          \
      {                                                                     \
        (r)[y_][0] = (d)[y_][0] - (d)[y_][2];                               \
        (r)[y_][1] = (d)[y_][1] + (d)[y_][2];                               \
        (r)[y_][2] = (d)[y_][2] - (d)[y_][1];                               \
        (r)[y_][3] = (d)[y_][1] - (d)[y_][3];                               \
      }                                                                     \
  } while (0)

/* y = A^T s A + bias, A^T = [1 1 1 0; 0 1 -1 -1]; s T[4][4], q T[2][4]
 * scratch, y T[2][2]. */
#define WINO_OUTPUT_TRANSFORM(s, q, y, bias)                                \
  do {                                                                      \
    for (int x_ = 0; x_ < 4; x_++)                                          \
      {                                                                     \
        (q)[0][x_] = (s)[0][x_] + (s)[1][x_] + (s)[2][x_];                  \
        (q)[1][x_] = (s)[1][x_] - (s)[2][x_] - (s)[3][x_];                  \
      }                                                                     \
    for (int r_ = 0; r_ < 2; r_++)                                          \
      {                                                                     \
        (y)[r_][0] = (q)[r_][0] + (q)[r_][1] + (q)[r_][2] + (bias);         \
        (y)[r_][1] = (q)[r_][1] - (q)[r_][2] - (q)[r_][3] + (bias);         \
      }                                                                     \
  } while (0)

#ifndef WINO_VECTOR
/* Steps (b, ty, tx) to the next tile in that order. */
static inline void
tile_advance (const WinoJob *j, gsize *b, int *ty, int *tx)
{
  if (++*tx == j->tw)
    {
      *tx = 0;
      if (++*ty == j->th)
        {
          *ty = 0;
          (*b)++;
        }
    }
}

/* V[xi][c][t] = (B^T d B)[xi], B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1] */
static void
input_piece (gpointer data, int piece)
{
  WinoJob *j = data;
  const int C = j->conv->in_c, H = j->H, W = j->W;
  const gsize nt = j->t1 - j->t0, plane = (gsize) C * nt;
  int c0 = (int) ((gint64) C * piece / WINO_PIECES);
  int c1 = (int) ((gint64) C * (piece + 1) / WINO_PIECES);

  for (int c = c0; c < c1; c++)
    {
      gsize b;
      int ty, tx;
      float *v = j->v + (gsize) c * nt;

      tile_locate (j, j->t0, &b, &ty, &tx);
      for (gsize k = 0; k < nt; k++)
        {
          const float *src = j->in + b * j->in_l.img_stride + (gsize) c * j->in_l.chan_stride;
          int y0 = 2 * ty - 1, x0 = 2 * tx - 1;
          float d[4][4], r[4][4];

          if (y0 >= 0 && x0 >= 0 && y0 + 4 <= H && x0 + 4 <= W)
            for (int y = 0; y < 4; y++)
              memcpy (d[y], src + (gsize) (y0 + y) * W + x0, sizeof d[y]);
          else
            for (int y = 0; y < 4; y++)
              for (int x = 0; x < 4; x++)
                {
                  int iy = y0 + y, ix = x0 + x;
                  d[y][x] = (iy >= 0 && iy < H && ix >= 0 && ix < W)
                            ? src[(gsize) iy * W + ix] : 0.0f;
                }
          WINO_INPUT_TRANSFORM (float, d, r);
          for (int xi = 0; xi < 16; xi++)
            v[xi * plane + k] = r[xi / 4][xi % 4];

          tile_advance (j, &b, &ty, &tx);
        }
    }
}

/* Y = A^T m A + bias (+ residual), ReLU; A^T = [1 1 1 0; 0 1 -1 -1].
 * Tiles hanging over the bottom/right edge (odd sizes) are cropped. */
static void
output_piece (gpointer data, int piece)
{
  WinoJob *j = data;
  const int O = j->conv->out_c, H = j->H, W = j->W;
  const gsize nt = j->t1 - j->t0, plane = (gsize) O * nt;
  int o0 = (int) ((gint64) O * piece / WINO_PIECES);
  int o1 = (int) ((gint64) O * (piece + 1) / WINO_PIECES);

  for (int o = o0; o < o1; o++)
    {
      gsize b;
      int ty, tx;
      const float *m = j->m + (gsize) o * nt;
      float bias = j->conv->bias[o];

      tile_locate (j, j->t0, &b, &ty, &tx);
      for (gsize k = 0; k < nt; k++)
        {
          gsize base = b * j->out_l.img_stride + (gsize) o * j->out_l.chan_stride;
          float s[4][4], q[2][4], y[2][2];

          for (int xi = 0; xi < 16; xi++)
            s[xi / 4][xi % 4] = m[xi * plane + k];
          WINO_OUTPUT_TRANSFORM (s, q, y, bias);
          for (int r = 0; r < 2; r++)
            {
              int oy = 2 * ty + r;
              if (oy >= H)
                break;
              for (int cc = 0; cc < 2; cc++)
                {
                  int ox = 2 * tx + cc;
                  gsize idx = base + (gsize) oy * W + ox;
                  float val = y[r][cc];

                  if (ox >= W)
                    break;
                  if (j->res != NULL)
                    val += j->res[idx];
                  if (j->relu && !(val > 0.0f))
                    val = 0.0f;
                  j->out[idx] = val;
                }
            }

          tile_advance (j, &b, &ty, &tx);
        }
    }
}

#endif

#ifdef WINO_VECTOR
/* The transforms, 16 tiles of a tile row at a time in 16-float vectors: the
 * scalar versions above took 80% of a Winograd layer's time. The stride-2
 * access (neighbouring tiles overlap by 2 columns) becomes even/odd shuffles
 * of two loads. GCC vector extensions, compiled for AVX-512/AVX2/x86-64. */
/* target_clones, off under every sanitizer (see the header). */
#include "mcam-multiversion.h"
#define WINO_MULTIVERSION MCAM_MULTIVERSION

/* A variable-size memcpy here became `rep movsq` (slow to start, 16 per
 * block): full vectors are stored whole, tails element by element. */
#define STORE_N(p, v, n)                                                   \
  do {                                                                     \
    if ((n) == 16)                                                         \
      memcpy ((p), &(v), sizeof (V16));                                    \
    else                                                                   \
      for (int i_ = 0; i_ < (n); i_++)                                     \
        (p)[i_] = (v)[i_];                                                 \
  } while (0)

/* Tiles [tx0, tx1) of tile row ty of image b, channel c; k: their column
 * in V. prow: 4 scratch rows of 2*tw + 36 floats. */
WINO_MULTIVERSION
static void
input_row_vec (WinoJob *j, int c, gsize b, int ty, int tx0, int tx1, gsize k, float *prow)
{
  const I16 even = { 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30 };
  const I16 odd = { 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31 };
  const int H = j->H, W = j->W, len = 2 * j->tw + 36;
  const gsize nt = j->t1 - j->t0, plane = (gsize) j->conv->in_c * nt;
  const float *src = j->in + b * j->in_l.img_stride + (gsize) c * j->in_l.chan_stride;
  float *v = j->v + (gsize) c * nt;

  /* padded rows: prow[y][i] = in[2ty-1+y][i-1], zero outside the image */
  mcam_wino_pad_rows (prow, 4, len, src, 2 * ty - 1, H, W);

  for (int tx = tx0; tx < tx1; tx += 16, k += 16)
    {
      int n = MIN (16, tx1 - tx);
      V16 d[4][4], r[4][4];

      for (int y = 0; y < 4; y++)
        {
          const float *row = prow + (gsize) y * len + 2 * tx;
          V16 lo, hi, lo2, hi2;

          LOAD16 (lo, row);
          LOAD16 (hi, row + 16);
          LOAD16 (lo2, row + 2);
          LOAD16 (hi2, row + 18);

          d[y][0] = __builtin_shuffle (lo, hi, even);
          d[y][1] = __builtin_shuffle (lo, hi, odd);
          d[y][2] = __builtin_shuffle (lo2, hi2, even);
          d[y][3] = __builtin_shuffle (lo2, hi2, odd);
        }
      WINO_INPUT_TRANSFORM (V16, d, r);
      /* Lanes past the tile row hold the next row's tiles' slots: storing
       * them whole is harmless (that row is written after this one, by this
       * same call sequence), only the chunk's very end needs a short store. */
      if (k + 16 <= nt)
        n = 16;
      for (int xi = 0; xi < 16; xi++)
        STORE_N (v + xi * plane + k, r[xi / 4][xi % 4], n);
    }
}

/* One output row (2 floats per tile) from the interleaved tile results. */
static inline __attribute__ ((always_inline)) void
output_store (WinoJob *j, float *dst, const float *res, const V16 *a, const V16 *b, int count)
{
  const I16 lo = { 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23 };
  const I16 hi = { 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31 };
  V16 w[2];

  w[0] = __builtin_shuffle (*a, *b, lo);
  w[1] = __builtin_shuffle (*a, *b, hi);
  WINO_STORE_VECS (dst, res, w, 2, count, j->relu);
}

WINO_MULTIVERSION
static void
output_row_vec (WinoJob *j, int o, gsize b, int ty, int tx0, int tx1, gsize k)
{
  const int H = j->H, W = j->W;
  const gsize nt = j->t1 - j->t0, plane = (gsize) j->conv->out_c * nt;
  const float *m = j->m + (gsize) o * nt;
  const float bias = j->conv->bias[o];
  const V16 vb = { bias, bias, bias, bias, bias, bias, bias, bias,
                   bias, bias, bias, bias, bias, bias, bias, bias };
  gsize base = b * j->out_l.img_stride + (gsize) o * j->out_l.chan_stride;

  for (int tx = tx0; tx < tx1; tx += 16, k += 16)
    {
      int n = MIN (16, tx1 - tx);
      int count = MIN (2 * n, W - 2 * tx);
      V16 sv[4][4], q[2][4], y[2][2];

      for (int xi = 0; xi < 16; xi++)
        {
          if (k + 16 <= nt)   /* lanes past the row: read, never stored */
            LOAD16 (sv[xi / 4][xi % 4], m + xi * plane + k);
          else
            {
              float tmp[16] = { 0 };
              memcpy (tmp, m + xi * plane + k, sizeof (float) * n);
              memcpy (&sv[xi / 4][xi % 4], tmp, sizeof tmp);
            }
        }
      WINO_OUTPUT_TRANSFORM (sv, q, y, vb);
      for (int r = 0; r < 2; r++)
        {
          int oy = 2 * ty + r;
          gsize idx = base + (gsize) oy * W + 2 * tx;

          if (oy >= H)
            break;
          output_store (j, j->out + idx, j->res ? j->res + idx : NULL, &y[r][0], &y[r][1], count);
        }
    }
}

static void
input_piece_vec (gpointer data, int piece)
{
  WinoJob *j = data;
  const int C = j->conv->in_c;
  int c0 = (int) ((gint64) C * piece / WINO_PIECES);
  int c1 = (int) ((gint64) C * (piece + 1) / WINO_PIECES);
  g_autofree float *prow = g_new (float, 4 * (gsize) (2 * j->tw + 36));

  for (int c = c0; c < c1; c++)
    WINO_FOR_TILE_ROWS (j, input_row_vec (j, c, b, ty, tx0, tx1, k, prow));
}

static void
output_piece_vec (gpointer data, int piece)
{
  WinoJob *j = data;
  const int O = j->conv->out_c;
  int o0 = (int) ((gint64) O * piece / WINO_PIECES);
  int o1 = (int) ((gint64) O * (piece + 1) / WINO_PIECES);

  for (int o = o0; o < o1; o++)
    WINO_FOR_TILE_ROWS (j, output_row_vec (j, o, b, ty, tx0, tx1, k));
}
#endif

/* The 16 products M[xi] = U[xi] V[xi], whole ones per thread: each packs
 * its own operands once, and the pool balances 16 equal items (mcam_sgemm
 * runs serially inside a parallel job). */
static void
wino_gemm (gpointer data, int xi)
{
  const WinoJob *j = data;

  mcam_wino_product (j->u, j->u_small, xi, j->conv->out_c, j->conv->in_c, j->v, j->m,
                     j->t1 - j->t0);
}

void
mcam_winograd_forward (const McamConv *conv, const float *u, const float *u_small,
                        int B, int H, int W,
                       const float *in, McamActLayout in_l,
                       float *out, McamActLayout out_l,
                       const float *residual, gboolean relu, float *workspace)
{
  const int C = conv->in_c;
  int th = (H + 1) / 2, tw = (W + 1) / 2;
  gsize n_tiles = (gsize) B * th * tw;
  gsize chunk = tiles_per_chunk (conv, n_tiles);

  /* the packed products take all the tiles at once (the caller chose them
   * for few tiles, which are always one chunk) */
  if (chunk < n_tiles)
    u_small = NULL;
  WinoJob job = { conv, B, H, W, th, tw, in, in_l, out, out_l, residual, relu };

  for (gsize t0 = 0; t0 < n_tiles; t0 += chunk)
    {
      gsize nt;

      job.t0 = t0;
      job.t1 = MIN (n_tiles, t0 + chunk);
      nt = job.t1 - job.t0;
      job.v = workspace;
      job.m = workspace + 16 * (gsize) C * nt;
      job.u = u;
      job.u_small = u_small;
#ifdef WINO_VECTOR
      mcam_parallel_for (WINO_PIECES, input_piece_vec, &job);
#else
      mcam_parallel_for (WINO_PIECES, input_piece, &job);
#endif
      mcam_parallel_for (16, wino_gemm, &job);
#ifdef WINO_VECTOR
      mcam_parallel_for (WINO_PIECES, output_piece_vec, &job);
#else
      mcam_parallel_for (WINO_PIECES, output_piece, &job);
#endif
    }
}
