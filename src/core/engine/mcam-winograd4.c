/* SPDX-License-Identifier: GPL-3.0-or-later */
/* 3x3 stride-1 pad-1 convolution with Winograd F(4x4,3x3) (Lavin & Gray
 * 2016): a 4x4 output tile from a 6x6 input tile, Y = A^T [U ⊙ V] A with
 * U = G g G^T and V = B^T d B, 36 multiplications for 144 direct ones: 4x
 * fewer multiply-adds than im2col (F(2x2,3x3) in mcam-winograd.c: 2.25x).
 * The element-wise products are 36 GEMMs [O,C] x [C,tiles].
 *
 * The price is precision: the transforms use the points 0, ±1, ±2, so their
 * coefficients reach 8 (A) and 5 (B) and the error grows to ~1e-6..1e-5
 * relative per layer against ~1e-7 for F(2x2) (measured in test-conv,
 * /mcam/conv/winograd-error). The engine's bar is logits within 1e-4 of
 * PyTorch (tools/check_models.py).
 *
 * Only the vectorised path exists (GCC, x86-64: 16 tiles of a tile row per
 * 16-float vector); elsewhere mcam_winograd4_available() is FALSE and the
 * layer runs F(2x2). */

#include "config.h"

#include <string.h>

#include "mcam/mcam-blas.h"
#include "mcam-conv.h"
#include "mcam-parallel.h"
#include "mcam-winograd-vec.h"

#define W4_BUDGET (2u * 1024u * 1024u)
#define W4_MIN_TILES 128
#define W4_PIECES 8

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define W4_VECTOR 1
#endif

gboolean
mcam_winograd4_available (void)
{
#ifdef W4_VECTOR
  return TRUE;
#else
  return FALSE;
#endif
}

/* U[xi][o][c] = (G g G^T)[xi], G = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6;
 * 1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1], computed in double. */
float *
mcam_winograd4_transform_weights (const McamConv *conv)
{
  static const double G[6][3] = {
    { 1.0 / 4, 0, 0 },
    { -1.0 / 6, -1.0 / 6, -1.0 / 6 },
    { -1.0 / 6, 1.0 / 6, -1.0 / 6 },
    { 1.0 / 24, 1.0 / 12, 1.0 / 6 },
    { 1.0 / 24, -1.0 / 12, 1.0 / 6 },
    { 0, 0, 1 },
  };
  gsize oc = (gsize) conv->out_c * conv->in_c;
  float *u = g_new (float, 36 * oc);

  for (gsize i = 0; i < oc; i++)
    {
      const float *g = conv->weight + i * 9;
      double t[6][3];

      for (int a = 0; a < 6; a++)
        for (int j = 0; j < 3; j++)
          t[a][j] = G[a][0] * g[j] + G[a][1] * g[3 + j] + G[a][2] * g[6 + j];
      for (int a = 0; a < 6; a++)
        for (int b = 0; b < 6; b++)
          u[(a * 6 + b) * oc + i] =
            (float) (t[a][0] * G[b][0] + t[a][1] * G[b][1] + t[a][2] * G[b][2]);
    }
  return u;
}

static gsize
tiles_per_chunk (const McamConv *conv, gsize n_tiles)
{
  return mcam_wino_tiles_per_chunk (36 * (gsize) (conv->in_c + conv->out_c), W4_BUDGET, W4_MIN_TILES,
                                    n_tiles);
}

gsize
mcam_winograd4_workspace_size (const McamConv *conv, int B, int H, int W)
{
  gsize n_tiles = (gsize) B * ((H + 3) / 4) * ((W + 3) / 4);

  return 36 * (gsize) (conv->in_c + conv->out_c) * tiles_per_chunk (conv, n_tiles);
}

#ifdef W4_VECTOR
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
  float          *v;         /* [36][C][t1-t0] */
  float          *m;         /* [36][O][t1-t0] */
  const float    *u;         /* [36][O][C] */
  const float    *u_small;   /* the same, packed for mcam_smalln_forward, or NULL */
} W4Job;

#include "mcam-multiversion.h"

#define SPLAT(x) ((V16) { x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x })

/* r = B^T d over one axis: B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0;
 * 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]. */
#define W4_BT(T, d, r)                                                     \
  do {                                                                     \
    T t1_ = (d)[4] - 4.0f * (d)[2], t2_ = (d)[3] - 4.0f * (d)[1];                \
    T t3_ = (d)[4] - (d)[2], t4_ = 2.0f * ((d)[3] - (d)[1]);                  \
    (r)[0] = 4.0f * (d)[0] - 5.0f * (d)[2] + (d)[4];                             \
    (r)[1] = t1_ + t2_;                                                    \
    (r)[2] = t1_ - t2_;                                                    \
    (r)[3] = t3_ + t4_;                                                    \
    (r)[4] = t3_ - t4_;                                                    \
    (r)[5] = 4.0f * (d)[1] - 5.0f * (d)[3] + (d)[5];                             \
  } while (0)

/* y = A^T s over one axis: A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0;
 * 0 1 1 4 4 0; 0 1 -1 8 -8 1]. */
#define W4_AT(s, y)                                                        \
  do {                                                                     \
    V16 p_ = (s)[1] + (s)[2], q_ = (s)[1] - (s)[2];                        \
    V16 r_ = (s)[3] + (s)[4], w_ = (s)[3] - (s)[4];                        \
    (y)[0] = (s)[0] + p_ + r_;                                             \
    (y)[1] = q_ + 2.0f * w_;                                                  \
    (y)[2] = p_ + 4.0f * r_;                                                  \
    (y)[3] = q_ + 8.0f * w_ + (s)[5];                                         \
  } while (0)

/* g[t] = w[4t + x], t < 16, from the 80 floats at w (x <= 4). */
#define GATHER4(g, w, x)                                                   \
  do {                                                                     \
    const I16 i4_ = { (x), (x) + 4, (x) + 8, (x) + 12, (x) + 16, (x) + 20,  \
                      (x) + 24, (x) + 28, 0, 0, 0, 0, 0, 0, 0, 0 };         \
    const I16 cat_ = { 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23 }; \
    V16 a_, b_, c_, d_;                                                    \
    LOAD16 (a_, (w));                                                      \
    LOAD16 (b_, (w) + 16);                                                 \
    LOAD16 (c_, (w) + 32);                                                 \
    LOAD16 (d_, (w) + 48);                                                 \
    (g) = __builtin_shuffle (__builtin_shuffle (a_, b_, i4_),              \
                             __builtin_shuffle (c_, d_, i4_), cat_);        \
  } while (0)

/* Padded row length: 4 tw + 2 columns of the tile grid plus room for the
 * vector loads of the last 16-tile block (up to 4 (tx + 15) + 1 + 64). */
static inline int
row_len (int tw)
{
  return (4 * tw + 96 + 15) / 16 * 16;
}

/* Tiles [tx0, tx1) of tile row ty of image b, channel c, into V at column
 * k. rows: 12 scratch rows of row_len floats (6 padded input rows, then
 * their 6 combinations along y). */
MCAM_MULTIVERSION
static void
input_row (W4Job *j, int c, gsize b, int ty, int tx0, int tx1, gsize k, float *rows)
{
  const int H = j->H, W = j->W, len = row_len (j->tw);
  const gsize nt = j->t1 - j->t0, plane = (gsize) j->conv->in_c * nt;
  const float *src = j->in + b * j->in_l.img_stride + (gsize) c * j->in_l.chan_stride;
  float *v = j->v + (gsize) c * nt;
  float *r = rows + 6 * (gsize) len;

  /* rows[y][i] = in[4ty-1+y][i-1], zero outside the image */
  mcam_wino_pad_rows (rows, 6, len, src, 4 * ty - 1, H, W);
  /* B^T along y, whole rows at a time */
  for (int i = 0; i < len; i += 16)
    {
      V16 d[6], e[6];

      for (int y = 0; y < 6; y++)
        LOAD16 (d[y], rows + (gsize) y * len + i);
      W4_BT (V16, d, e);
      for (int y = 0; y < 6; y++)
        memcpy (r + (gsize) y * len + i, &e[y], sizeof (V16));
    }
  /* B^T along x, 16 tiles at a time */
  for (int tx = tx0; tx < tx1; tx += 16, k += 16)
    {
      int n = MIN (16, tx1 - tx);

      /* lanes past the tile row hold the next row's slots, written after
       * this one: only the chunk's very end needs a short store */
      if (k + 16 <= nt)
        n = 16;
      for (int y = 0; y < 6; y++)
        {
          const float *w = r + (gsize) y * len + 4 * tx;
          V16 d[6], e[6];

          GATHER4 (d[0], w, 0);
          GATHER4 (d[1], w, 1);
          GATHER4 (d[2], w, 2);
          GATHER4 (d[3], w, 3);
          GATHER4 (d[4], w + 4, 0);
          GATHER4 (d[5], w + 4, 1);
          W4_BT (V16, d, e);
          for (int x = 0; x < 6; x++)
            {
              float *dst = v + (gsize) (y * 6 + x) * plane + k;

              if (n == 16)
                memcpy (dst, &e[x], sizeof (V16));
              else
                for (int l = 0; l < n; l++)
                  dst[l] = e[x][l];
            }
        }
    }
}

/* Four tile columns y[0..3] (16 tiles each) of one output row, interleaved
 * to 64 contiguous floats, plus residual and ReLU; count floats stored. */
static inline __attribute__ ((always_inline)) void
output_store (const W4Job *j, float *dst, const float *res, const V16 *y, int count)
{
  const I16 lo = { 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23 };
  const I16 hi = { 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31 };
  V16 p0 = __builtin_shuffle (y[0], y[2], lo), p1 = __builtin_shuffle (y[0], y[2], hi);
  V16 q0 = __builtin_shuffle (y[1], y[3], lo), q1 = __builtin_shuffle (y[1], y[3], hi);
  V16 w[4];

  w[0] = __builtin_shuffle (p0, q0, lo);
  w[1] = __builtin_shuffle (p0, q0, hi);
  w[2] = __builtin_shuffle (p1, q1, lo);
  w[3] = __builtin_shuffle (p1, q1, hi);
  WINO_STORE_VECS (dst, res, w, 4, count, j->relu);
}

MCAM_MULTIVERSION
static void
output_row (W4Job *j, int o, gsize b, int ty, int tx0, int tx1, gsize k)
{
  const int H = j->H, W = j->W;
  const gsize nt = j->t1 - j->t0, plane = (gsize) j->conv->out_c * nt;
  const float *m = j->m + (gsize) o * nt;
  const V16 vb = SPLAT (j->conv->bias[o]);
  gsize base = b * j->out_l.img_stride + (gsize) o * j->out_l.chan_stride;

  for (int tx = tx0; tx < tx1; tx += 16, k += 16)
    {
      int n = MIN (16, tx1 - tx);
      int count = MIN (4 * n, W - 4 * tx);
      V16 q[4][6];

      /* A^T along y first: q[r][x] over the six columns x */
      for (int x = 0; x < 6; x++)
        {
          V16 s[6], y[4];

          for (int i = 0; i < 6; i++)
            {
              const float *p = m + (gsize) (i * 6 + x) * plane + k;

              if (k + 16 <= nt)   /* lanes past the row: read, never stored */
                LOAD16 (s[i], p);
              else
                {
                  float tmp[16] = { 0 };
                  memcpy (tmp, p, sizeof (float) * n);
                  memcpy (&s[i], tmp, sizeof tmp);
                }
            }
          W4_AT (s, y);
          for (int r = 0; r < 4; r++)
            q[r][x] = y[r];
        }
      for (int r = 0; r < 4; r++)
        {
          int oy = 4 * ty + r;
          gsize idx = base + (gsize) oy * W + 4 * tx;
          V16 y[4];

          if (oy >= H)
            break;
          W4_AT (q[r], y);
          for (int c = 0; c < 4; c++)
            y[c] += vb;
          output_store (j, j->out + idx, j->res ? j->res + idx : NULL, y, count);
        }
    }
}

static void
input_piece (gpointer data, int piece)
{
  W4Job *j = data;
  const int C = j->conv->in_c;
  int c0 = (int) ((gint64) C * piece / W4_PIECES);
  int c1 = (int) ((gint64) C * (piece + 1) / W4_PIECES);
  g_autofree float *rows = g_new (float, 12 * (gsize) row_len (j->tw));

  for (int c = c0; c < c1; c++)
    WINO_FOR_TILE_ROWS (j, input_row (j, c, b, ty, tx0, tx1, k, rows));
}

static void
output_piece (gpointer data, int piece)
{
  W4Job *j = data;
  const int O = j->conv->out_c;
  int o0 = (int) ((gint64) O * piece / W4_PIECES);
  int o1 = (int) ((gint64) O * (piece + 1) / W4_PIECES);

  for (int o = o0; o < o1; o++)
    WINO_FOR_TILE_ROWS (j, output_row (j, o, b, ty, tx0, tx1, k));
}

/* The 36 products, whole ones per thread (serial GEMMs inside the job). */
static void
w4_gemm (gpointer data, int xi)
{
  const W4Job *j = data;

  mcam_wino_product (j->u, j->u_small, xi, j->conv->out_c, j->conv->in_c, j->v, j->m,
                     j->t1 - j->t0);
}
#endif

void
mcam_winograd4_forward (const McamConv *conv, const float *u, const float *u_small,
                         int B, int H, int W,
                        const float *in, McamActLayout in_l,
                        float *out, McamActLayout out_l,
                        const float *residual, gboolean relu, float *workspace)
{
#ifdef W4_VECTOR
  const int C = conv->in_c;
  int th = (H + 3) / 4, tw = (W + 3) / 4;
  gsize n_tiles = (gsize) B * th * tw;
  gsize chunk = tiles_per_chunk (conv, n_tiles);

  /* the packed products take all the tiles at once (the caller chose them
   * for few tiles, which are always one chunk) */
  if (chunk < n_tiles)
    u_small = NULL;
  W4Job job = { conv, B, H, W, th, tw, in, in_l, out, out_l, residual, relu };

  job.u = u;
  job.u_small = u_small;
  for (gsize t0 = 0; t0 < n_tiles; t0 += chunk)
    {
      gsize nt;

      job.t0 = t0;
      job.t1 = MIN (n_tiles, t0 + chunk);
      nt = job.t1 - job.t0;
      job.v = workspace;
      job.m = workspace + 36 * (gsize) C * nt;
      mcam_parallel_for (W4_PIECES, input_piece, &job);
      mcam_parallel_for (36, w4_gemm, &job);
      mcam_parallel_for (W4_PIECES, output_piece, &job);
    }
#else
  g_return_if_reached ();
#endif
}
