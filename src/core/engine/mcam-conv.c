/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Convolution: im2col + GEMM (mcam_sgemm, or the own kernels of
 * mcam-pointwise.c and mcam-smalln.c), the 1x1 path without im2col,
 * Winograd F(4x4,3x3) / F(2x2,3x3) for 3x3 stride-1 layers (mcam-winograd4.c,
 * mcam-winograd.c), and the fused bias (+ residual) + activation epilogue.
 * Which kernel runs which geometry, and why: mcam-conv-plan.c.
 *
 * Which Winograd (resnet50 batch 1, one thread, ms per layer, F(2x2) /
 * F(4x4) / im2col): 64>64 56x56 (196 4x4 tiles) 1.7 / 0.9-1.0; 128>128
 * 28x28 (49) 1.25 / 1.35-1.55; 256>256 14x14 (16) 2.0 / 2.7-3.0; 512>512
 * 7x7 (4) im2col 3.0 / F(4x4) 7.3-8.0. F(4x4)'s 36 GEMMs need wide
 * operands more than F(2x2)'s 16: so F(4x4) from 128 4x4 tiles on. */

#include "config.h"

#include <math.h>
#include <string.h>

#include "mcam/mcam-blas.h"
#include "mcam-conv.h"
#include "mcam-dnnl.h"
#include "mcam-conv-plan.h"
#include "mcam-parallel.h"

/* im2col works on column chunks of at most this many floats (1 MB), so the
 * column matrix is still in the core's L2 (2 MB here) when the GEMM packs
 * it, and a batch of 8 224x224 images does not need a 60 MB scratch buffer.
 * (8 MB chunks: the stem, 7x7/2 on 224x224, took 3.0-3.3 ms on one thread;
 * 1 MB chunks: 2.4-2.5 ms.) */
#define MCAM_CONV_COL_BUDGET (256u * 1024u)
/* ...but never fewer columns than this, or the GEMM gets too narrow. */
#define MCAM_CONV_MIN_COLS 1024

McamConv *
mcam_conv_new (int in_c, int out_c, int kh, int kw, int stride, int pad)
{
  McamConv *conv = g_new0 (McamConv, 1);

  conv->in_c = in_c;
  conv->out_c = out_c;
  conv->kh = kh;
  conv->kw = kw;
  conv->stride = stride;
  conv->pad = pad;
  conv->weight = g_new0 (float, (gsize) out_c * in_c * kh * kw);
  conv->bias = g_new0 (float, out_c);
  return conv;
}

void
mcam_conv_free (McamConv *conv)
{
  if (conv == NULL)
    return;
  g_free (conv->weight);
  g_free (conv->bias);
  g_free (conv->wino);
  g_free (conv->wino4);
  g_clear_pointer (&conv->pw, mcam_pointwise_pack_free);
  g_clear_pointer (&conv->sn, mcam_smalln_pack_free);
  g_clear_pointer (&conv->wino_sn, mcam_smalln_pack_free);
  g_clear_pointer (&conv->wino4_sn, mcam_smalln_pack_free);
  g_clear_pointer (&conv->dnnl, _mcam_dnnl_conv_free);
  g_free (conv);
}

void
mcam_conv_fold_batchnorm (McamConv *conv, const float *gamma, const float *beta,
                          const float *mean, const float *var, double eps)
{
  gsize k = (gsize) conv->in_c * conv->kh * conv->kw;

  for (int o = 0; o < conv->out_c; o++)
    {
      double scale = (double) gamma[o] / sqrt ((double) var[o] + eps);
      float *w = conv->weight + (gsize) o * k;

      for (gsize i = 0; i < k; i++)
        w[i] = (float) ((double) w[i] * scale);
      conv->bias[o] = (float) ((double) beta[o] +
                               ((double) conv->bias[o] - (double) mean[o]) * scale);
    }
}

static gsize
col_chunk (const McamConv *conv, gsize n_total)
{
  gsize k = (gsize) conv->in_c * conv->kh * conv->kw;
  gsize cols = MAX (MCAM_CONV_COL_BUDGET / k, MCAM_CONV_MIN_COLS);

  /* Equal chunks: a last sliver of a few columns would run the GEMM badly. */
  gsize n_chunks = (n_total + cols - 1) / cols;
  return (n_total + n_chunks - 1) / n_chunks;
}

gsize
mcam_conv_workspace_size (const McamConv *conv, int B, int H, int W)
{
  int oh = mcam_conv_out_size (H, conv->kh, conv->stride, conv->pad);
  int ow = mcam_conv_out_size (W, conv->kw, conv->stride, conv->pad);
  gsize k = (gsize) conv->in_c * conv->kh * conv->kw;

  if (_mcam_conv_is_pointwise (conv))
    return 0;
  switch (_mcam_conv_use_winograd (conv, B, H, W))
    {
    case MCAM_WINO_4:
      return mcam_winograd4_workspace_size (conv, B, H, W);
    case MCAM_WINO_2:
      return mcam_winograd_workspace_size (conv, B, H, W);
    case MCAM_WINO_NONE:
      break;
    }
  return k * col_chunk (conv, (gsize) B * oh * ow);
}

typedef float McamV16 __attribute__ ((vector_size (64)));
typedef gint32 McamI16 __attribute__ ((vector_size (64)));

/* MCAM_MULTIVERSION: off under every sanitizer (see the header). */
#include "mcam-multiversion.h"

/* dst[i] = src[2 i], i < n: the stride-2 convolutions' im2col rows. */
MCAM_MULTIVERSION
static void
gather_stride2 (float *restrict dst, const float *restrict src, int n)
{
  int i = 0;

#if defined(__GNUC__) && !defined(__clang__)
  const McamI16 even = { 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30 };

  /* 17, not 16: the second load reaches src[2i+31], one past the last
   * element this block needs, which may lie past the end of the input */
  for (; i + 17 <= n; i += 16)
    {
      McamV16 lo, hi, r;

      memcpy (&lo, src + 2 * i, sizeof lo);
      memcpy (&hi, src + 2 * i + 16, sizeof hi);
      r = __builtin_shuffle (lo, hi, even);
      memcpy (dst + i, &r, sizeof r);
    }
#endif
  for (; i < n; i++)
    dst[i] = src[2 * i];
}

/* Columns [n0, n1) of the im2col matrix of the batch, n = b*OH*OW + oy*OW + ox,
 * into col[K][n1-n0]. Row (c, ky, kx) holds in[b, c, oy*s-p+ky, ox*s-p+kx]. */
static void
im2col_range (const McamConv *conv, int H, int W, int oh, int ow,
              const float *in, McamActLayout in_l, gsize n0, gsize n1, float *col,
              int c_begin, int c_end)
{
  const int s = conv->stride, p = conv->pad;
  const gsize ohw = (gsize) oh * ow, ld = n1 - n0;

  for (int c = c_begin; c < c_end; c++)
    for (int ky = 0; ky < conv->kh; ky++)
      for (int kx = 0; kx < conv->kw; kx++)
        {
          float *dst = col + ((gsize) (c * conv->kh + ky) * conv->kw + kx) * ld;
          /* ox range whose input column ix = ox*s - p + kx lies in [0, W) */
          int ox_lo = p - kx > 0 ? (p - kx + s - 1) / s : 0;
          int ox_hi = (W - 1 + p - kx) >= 0 ? (W - 1 + p - kx) / s + 1 : 0;
          gsize n = n0;
          /* (b, oy, ox0) of column n, stepped without divisions: a 7x7
           * map has 7-column segments and a 64-bit division per segment
           * cost more than the copy */
          gsize b = n0 / ohw;
          int oy = (int) ((n0 % ohw) / ow), ox0 = (int) (n0 % ow);

          ox_hi = MIN (ox_hi, ow);
          while (n < n1)
            {
              int ox1 = (int) MIN ((gsize) ow, ox0 + (n1 - n));
              int iy = oy * s - p + ky;
              int len = ox1 - ox0;

              if (iy < 0 || iy >= H || ox_lo >= ox_hi)
                memset (dst, 0, sizeof (float) * len);
              else
                {
                  const float *src = in + b * in_l.img_stride + (gsize) c * in_l.chan_stride +
                                     (gsize) iy * W;
                  /* zeros in [ox0, a), input in [a, e), zeros in [e, ox1) */
                  int a = MIN (MAX (ox0, ox_lo), ox1);
                  int e = MAX (MIN (ox1, ox_hi), a);
                  int ox;

                  for (ox = ox0; ox < a; ox++)
                    dst[ox - ox0] = 0.0f;
                  if (s == 1 && e > a)
                    memcpy (dst + (a - ox0), src + (a - p + kx), sizeof (float) * (e - a));
                  else if (s == 2)
                    gather_stride2 (dst + (a - ox0), src + (2 * a - p + kx), e - a);
                  else if (s != 1)
                    for (ox = a; ox < e; ox++)
                      dst[ox - ox0] = src[ox * s - p + kx];
                  for (ox = e; ox < ox1; ox++)
                    dst[ox - ox0] = 0.0f;
                }
              ox0 = 0;
              if (++oy == oh)
                {
                  oy = 0;
                  b++;
                }
              dst += len;
              n += len;
            }
        }
}

/* row[i] = act(row[i] + bias (+ res[i])) over n contiguous floats.
 *
 * This pass touches every output once; written as plain scalar C it cost
 * 12% of a ResNet-50 forward (GCC's -O2 does not vectorise it: unknown trip
 * count, possible aliasing). So: explicit 16-float vectors, compiled for
 * AVX-512, AVX2 and baseline x86-64, picked at load time (ifunc). */
MCAM_MULTIVERSION
static void
epilogue_row (float *restrict row, gsize n, float bias, const float *restrict res,
              gboolean relu)
{
  const McamV16 vb = { bias, bias, bias, bias, bias, bias, bias, bias,
                       bias, bias, bias, bias, bias, bias, bias, bias };
  const McamV16 zero = { 0 };
  gsize i = 0;

  for (; i + 16 <= n; i += 16)
    {
      McamV16 v;

      memcpy (&v, row + i, sizeof v);
      v += vb;
      if (res != NULL)
        {
          McamV16 r;
          memcpy (&r, res + i, sizeof r);
          v += r;
        }
      if (relu)
        v = (McamV16) ((McamI16) v & (McamI16) (v > zero));
      memcpy (row + i, &v, sizeof v);
    }
  for (; i < n; i++)
    {
      float v = row[i] + bias + (res != NULL ? res[i] : 0.0f);
      row[i] = relu && !(v > 0.0f) ? 0.0f : v;
    }
}

/* The passes around each GEMM are split into this many pieces (channel
 * ranges) for mcam_parallel_for(), when they are big enough to be worth it. */
#define PARALLEL_PIECES 8
#define PARALLEL_MIN_FLOATS 32768

typedef struct
{
  const McamConv *conv;
  int             H, W, oh, ow;
  const float    *in;
  McamActLayout   in_l;
  gsize           n0, n1;
  float          *col;
  /* epilogue */
  float          *c;
  gsize           ldc, ncols;
  const float    *res;
  gboolean        relu;
} Pass;

static void
piece_range (int n, int pieces, int i, int *begin, int *end)
{
  *begin = (int) ((gint64) n * i / pieces);
  *end = (int) ((gint64) n * (i + 1) / pieces);
}

/* im2col_range for stride 1 on small maps and whole images: each input
 * plane once into a zero-padded copy, then every row of the im2col matrix
 * is whole-width slices of it. The general loop's per-segment bookkeeping
 * and libc calls (14-float segments on a 14x14 map) took 3/4 of the time
 * of RegNetY's 8-channel group convolutions: one 8>8 3x3 group on 14x14
 * 10.6 -> 6.8 us, on 7x7 5.1 -> 3.4, ResNeXt's 16>16 on 14x14 23.4 ->
 * 16.3. (no-tree-loop-distribute-patterns: GCC turned the short row copies
 * into memcpy calls, which cost as much as the work here.) */
#define IM2COL_SMALL_MAX_W 64
#if defined(__GNUC__) && !defined(__clang__)
#  define MCAM_NO_MEMCPY_IDIOM __attribute__ ((optimize ("no-tree-loop-distribute-patterns")))
#else
#  define MCAM_NO_MEMCPY_IDIOM
#endif

MCAM_MULTIVERSION MCAM_NO_MEMCPY_IDIOM
static void
im2col_small_s1 (const McamConv *conv, int H, int W, int oh, int ow, const float *in,
                 McamActLayout in_l, gsize b0, gsize b1, float *col, gsize ld,
                 int c_begin, int c_end)
{
  const int p = conv->pad, PW = W + 2 * p, PH = H + 2 * p;
  float padded[(IM2COL_SMALL_MAX_W + 6) * (IM2COL_SMALL_MAX_W + 6)];

  for (int c = c_begin; c < c_end; c++)
    for (gsize b = b0; b < b1; b++)
      {
        const float *src = in + b * in_l.img_stride + (gsize) c * in_l.chan_stride;

        for (int y = 0; y < PH; y++)
          {
            float *prow = padded + y * PW;
            int iy = y - p;

            if (iy < 0 || iy >= H)
              {
                for (int x = 0; x < PW; x++)
                  prow[x] = 0.0f;
                continue;
              }
            for (int x = 0; x < p; x++)
              prow[x] = prow[p + W + x] = 0.0f;
            for (int x = 0; x < W; x++)
              prow[p + x] = src[iy * W + x];
          }
        for (int ky = 0; ky < conv->kh; ky++)
          for (int kx = 0; kx < conv->kw; kx++)
            {
              float *dst = col + ((gsize) (c * conv->kh + ky) * conv->kw + kx) * ld +
                           (b - b0) * oh * ow;

              for (int oy = 0; oy < oh; oy++, dst += ow)
                {
                  const float *row = padded + (oy + ky) * PW + kx;

                  for (int ox = 0; ox < ow; ox++)
                    dst[ox] = row[ox];
                }
            }
      }
}

static void
im2col_piece (gpointer data, int i)
{
  Pass *p = data;
  int c0, c1;
  gsize ohw = (gsize) p->oh * p->ow;

  piece_range (p->conv->in_c, MIN (PARALLEL_PIECES, p->conv->in_c), i, &c0, &c1);
  if (p->conv->stride == 1 && p->W <= IM2COL_SMALL_MAX_W && p->H <= IM2COL_SMALL_MAX_W &&
      p->conv->pad <= 3 && p->n0 % ohw == 0 && p->n1 % ohw == 0)
    im2col_small_s1 (p->conv, p->H, p->W, p->oh, p->ow, p->in, p->in_l, p->n0 / ohw,
                     p->n1 / ohw, p->col, p->n1 - p->n0, c0, c1);
  else
    im2col_range (p->conv, p->H, p->W, p->oh, p->ow, p->in, p->in_l, p->n0, p->n1, p->col,
                  c0, c1);
}

static void
epilogue_piece (gpointer data, int i)
{
  Pass *p = data;
  int o0, o1;

  piece_range (p->conv->out_c, MIN (PARALLEL_PIECES, p->conv->out_c), i, &o0, &o1);
  for (int o = o0; o < o1; o++)
    {
      gsize off = (gsize) o * p->ldc;
      epilogue_row (p->c + off, p->ncols, p->conv->bias[o], p->res ? p->res + off : NULL,
                    p->relu);
    }
}

static void
run_pieces (int n_items, gsize work, McamParallelFunc func, Pass *pass)
{
  int pieces = MIN (PARALLEL_PIECES, n_items);

  if (work < PARALLEL_MIN_FLOATS)
    for (int i = 0; i < pieces; i++)
      func (pass, i);
  else
    mcam_parallel_for (pieces, func, pass);
}

/* With more than one thread the GEMM and its epilogue run as one parallel
 * job: each thread takes a block of output rows (channels) or columns,
 * multiplies it (mcam_sgemm, serial inside the job) and finishes it while
 * it is still in cache: one fork-join per convolution instead of one inside
 * the GEMM and one for the epilogue. Blocks are multiples of 16. */
#define GEMM_BLOCK_ALIGN 16
#define GEMM_SPLIT_MIN_MACS (1u << 20)

typedef struct
{
  const McamConv *conv;
  const float    *bmat;
  gsize           ldb, ncols;
  gboolean        split_m, accumulate;
  int             pieces;
  Pass            pass;
} GemmJob;

static void
gemm_block (gpointer data, int i)
{
  const GemmJob *j = data;
  const McamConv *conv = j->conv;
  const Pass *p = &j->pass;
  int K = conv->in_c * conv->kh * conv->kw;
  gsize m0 = 0, m1 = conv->out_c, n0 = 0, n1 = j->ncols;

  if (j->split_m)
    mcam_parallel_block (conv->out_c, j->pieces, GEMM_BLOCK_ALIGN, i, &m0, &m1);
  else
    mcam_parallel_block (j->ncols, j->pieces, GEMM_BLOCK_ALIGN, i, &n0, &n1);
  if (m1 <= m0 || n1 <= n0)
    return;
  mcam_sgemm (FALSE, FALSE, (int) (m1 - m0), (int) (n1 - n0), K, 1.0f,
              conv->weight + m0 * K, K, j->bmat + n0, (int) j->ldb,
              j->accumulate ? 1.0f : 0.0f, p->c + m0 * p->ldc + n0, (int) p->ldc);
  for (gsize o = m0; o < m1; o++)
    {
      gsize off = o * p->ldc + n0;
      epilogue_row (p->c + off, n1 - n0, conv->bias[o], p->res ? p->res + off : NULL,
                    p->relu);
    }
}

/* One GEMM over columns [n0, n1) that lie in a single contiguous run of the
 * output (one image, or several images in a batch-contiguous layout). */
static void
gemm_columns (const McamConv *conv, const float *bmat, gsize ldb, gsize ncols,
              float *out, McamActLayout out_l, gsize out_off,
              const float *residual, gboolean accumulate, gboolean relu)
{
  int K = conv->in_c * conv->kh * conv->kw;
  int threads = mcam_blas_get_threads ();
  GemmJob job = { conv, bmat, ldb, ncols, conv->out_c > (int) ncols, accumulate };
  Pass *pass = &job.pass;

  pass->conv = conv;
  pass->c = out + out_off;
  pass->ldc = out_l.chan_stride;
  pass->ncols = ncols;
  pass->res = residual != NULL && !accumulate ? residual + out_off : NULL;
  pass->relu = relu;
  if (_mcam_conv_use_smalln (ncols, conv->out_c))
    {
      mcam_smalln_forward (_mcam_conv_smalln_weights (conv), conv->out_c, K, conv->bias, bmat, ldb, ncols,
                           pass->c, pass->ldc, residual != NULL ? residual + out_off : NULL,
                           relu);
      return;
    }
  job.pieces = MIN (threads, (int) (((job.split_m ? (gsize) conv->out_c : ncols) +
                                     GEMM_BLOCK_ALIGN - 1) / GEMM_BLOCK_ALIGN));
  if (job.pieces > 1 && (guint64) conv->out_c * ncols * K >= GEMM_SPLIT_MIN_MACS)
    {
      mcam_parallel_for (job.pieces, gemm_block, &job);
      return;
    }
  mcam_sgemm (FALSE, FALSE, conv->out_c, (int) ncols, K, 1.0f, conv->weight, K,
              bmat, (int) ldb, accumulate ? 1.0f : 0.0f, pass->c, (int) out_l.chan_stride);
  run_pieces (conv->out_c, ncols * conv->out_c, epilogue_piece, pass);
}

/* A k×k convolution as its im2col matrix, chunk by chunk, times the
 * weights by the 1x1 kernel (mcam-pointwise.c), the activation in its
 * epilogue: for the stems (K = Cin·k² <= 32) and for few output channels
 * (_mcam_conv_use_small_m). The output must take columns of several images at once
 * (CNHW, or batch 1). */
#define POINTWISE_TILE_PIXELS 48   /* mcam-pointwise.c's NB */

static void
im2col_pointwise (const McamConv *conv, int B, int H, int W,
                  const float *in, McamActLayout in_l, float *out, McamActLayout out_l,
                  const float *residual, const McamConvAct *act, float *workspace)
{
  int oh = mcam_conv_out_size (H, conv->kh, conv->stride, conv->pad);
  int ow = mcam_conv_out_size (W, conv->kw, conv->stride, conv->pad);
  gsize n_total = (gsize) B * oh * ow, chunk = col_chunk (conv, n_total);
  gsize k = (gsize) conv->in_c * conv->kh * conv->kw;

  /* Chunks of whole 48-pixel tiles (fewer columns than the workspace
   * holds): a column's sums then never depend on where the batch put it.
   * Equal chunks of 1639 columns sent some columns of a batch of 16 into
   * a tile's narrow tail and the same image's columns in a batch of 13
   * into a full tile: different rounding, and features extracted in
   * shards were no longer the bytes of one run (tests/cli/shard.sh). */
  if (chunk < n_total && chunk >= POINTWISE_TILE_PIXELS)
    chunk = chunk / POINTWISE_TILE_PIXELS * POINTWISE_TILE_PIXELS;

  for (gsize n0 = 0; n0 < n_total; n0 += chunk)
    {
      gsize n1 = MIN (n_total, n0 + chunk);
      Pass pass = { conv, H, W, oh, ow, in, in_l, n0, n1, workspace };

      run_pieces (conv->in_c, (n1 - n0) * k, im2col_piece, &pass);
      mcam_pointwise_forward (conv, _mcam_conv_pointwise_weights (conv), workspace, n1 - n0, n1 - n0,
                              out + n0, out_l.chan_stride,
                              residual != NULL ? residual + n0 : NULL, act);
    }
}

void
mcam_conv_forward (const McamConv *conv, int B, int H, int W,
                   const float *in, McamActLayout in_l,
                   float *out, McamActLayout out_l,
                   const float *residual, gboolean relu, float *workspace)
{
  int oh = mcam_conv_out_size (H, conv->kh, conv->stride, conv->pad);
  int ow = mcam_conv_out_size (W, conv->kw, conv->stride, conv->pad);
  gsize ohw = (gsize) oh * ow, n_total = (gsize) B * ohw;
  gboolean accumulate = residual != NULL && residual == out;
  /* Can one GEMM write columns of several images?  Only when image b+1
   * starts right where image b ends in every channel (CNHW, or B == 1). */
  gboolean out_batched = out_l.img_stride == ohw || B == 1;
  gsize chunk, n0 = 0;

  g_return_if_fail (oh > 0 && ow > 0);

  if (_mcam_conv_is_pointwise (conv))
    {
      gboolean in_batched = in_l.img_stride == ohw || B == 1;

      if (in_batched && out_batched && _mcam_conv_use_own_pointwise (conv->in_c, conv->out_c, n_total))
        {
          McamConvAct act = { relu ? MCAM_VEC_CLIP : MCAM_VEC_NONE, 0.0f, INFINITY };

          mcam_pointwise_forward (conv, _mcam_conv_pointwise_weights (conv), in, in_l.chan_stride, n_total,
                                  out, out_l.chan_stride, residual, &act);
        }
      else if (in_batched && out_batched)
        gemm_columns (conv, in, in_l.chan_stride, n_total, out, out_l, 0,
                      residual, accumulate, relu);
      else
        for (int b = 0; b < B; b++)
          gemm_columns (conv, in + b * in_l.img_stride, in_l.chan_stride, ohw,
                        out, out_l, b * out_l.img_stride, residual, accumulate, relu);
      return;
    }

  switch (_mcam_conv_use_winograd (conv, B, H, W))
    {
    case MCAM_WINO_4:
      mcam_winograd4_forward (conv, _mcam_conv_winograd4_weights (conv),
                              _mcam_conv_winograd_small_weights (conv, _mcam_conv_winograd4_weights (conv), 36,
                                                      (gsize) B * ((H + 3) / 4) * ((W + 3) / 4),
                                                      &((McamConv *) conv)->wino4_sn),
                              B, H, W, in, in_l, out, out_l, residual, relu, workspace);
      return;
    case MCAM_WINO_2:
      mcam_winograd_forward (conv, _mcam_conv_winograd_weights (conv),
                             _mcam_conv_winograd_small_weights (conv, _mcam_conv_winograd_weights (conv), 16,
                                                     (gsize) B * ((H + 1) / 2) * ((W + 1) / 2),
                                                     &((McamConv *) conv)->wino_sn),
                             B, H, W, in, in_l, out, out_l, residual, relu, workspace);
      return;
    case MCAM_WINO_NONE:
      break;
    }

  if (_mcam_conv_use_small_m (conv, B, H, W) && out_batched)
    {
      McamConvAct act = { relu ? MCAM_VEC_CLIP : MCAM_VEC_NONE, 0.0f, INFINITY };

      im2col_pointwise (conv, B, H, W, in, in_l, out, out_l, residual, &act, workspace);
      return;
    }

  chunk = col_chunk (conv, n_total);

  while (n0 < n_total)
    {
      gsize n1 = MIN (n_total, n0 + chunk);
      gsize b = n0 / ohw, r = n0 % ohw;
      gsize off;
      Pass pass = { conv, H, W, oh, ow, in, in_l, n0, 0, workspace };

      /* Do not cross an image boundary unless the output allows it. */
      if (!out_batched)
        n1 = MIN (n1, (b + 1) * ohw);
      off = out_batched ? n0 : b * out_l.img_stride + r;
      pass.n1 = n1;

      run_pieces (conv->in_c, (n1 - n0) * conv->in_c * conv->kh * conv->kw, im2col_piece,
                  &pass);
      gemm_columns (conv, workspace, n1 - n0, n1 - n0, out, out_l, off,
                    residual, accumulate, relu);
      n0 = n1;
    }
}

/* K (Cin·kh·kw) up to which a k×k conv goes through the 1×1 kernel; for
 * a stem on the image (at most 4 input channels) up to the larger bound:
 * ResNet's 7x7 stride-2 stem, K = 147, 2.79 -> 2.30-2.49 ms (OpenBLAS's
 * 64-row product with an im2col of 12544 columns). */
#define OWN_IM2COL_MAX_K 32
#define OWN_IM2COL_STEM_MAX_K 160

void
mcam_conv_forward_act (const McamConv *conv, int B, int H, int W,
                       const float *in, McamActLayout in_l,
                       float *out, McamActLayout out_l,
                       const float *residual, const McamConvAct *act, float *workspace)
{
  int oh = mcam_conv_out_size (H, conv->kh, conv->stride, conv->pad);
  int ow = mcam_conv_out_size (W, conv->kw, conv->stride, conv->pad);
  gsize ohw = (gsize) oh * ow, n_total = (gsize) B * ohw;
  int k = conv->in_c * conv->kh * conv->kw;
  gboolean relu = act->kind == MCAM_VEC_CLIP && act->a == 0.0f && act->b == INFINITY;

  g_return_if_fail (oh > 0 && ow > 0);

  /* The stems (3 input channels, 3×3: K = 27) and few output channels
   * (_mcam_conv_use_small_m): the im2col matrix times W by the 1×1 kernel, the
   * activation in its epilogue. OpenBLAS with K =
   * 27 and a SiLU / hard-swish pass over the output took 0.90 ms of
   * EfficientNet-B0's 3>32 stride-2 stem (MobileNetV3-L's 3>16: 0.43),
   * 0.49 ms so (0.25). */
  if (!_mcam_conv_is_pointwise (conv) && (out_l.img_stride == ohw || B == 1) &&
      mcam_pointwise_takes_act (act->kind) &&
      ((k <= (conv->in_c <= 4 ? OWN_IM2COL_STEM_MAX_K : OWN_IM2COL_MAX_K) && _mcam_conv_use_winograd (conv, B, H, W) == MCAM_WINO_NONE &&
        _mcam_conv_use_own_pointwise (k, conv->out_c, n_total)) || _mcam_conv_use_small_m (conv, B, H, W)))
    {
      im2col_pointwise (conv, B, H, W, in, in_l, out, out_l, residual, act, workspace);
      return;
    }

  if (_mcam_conv_is_pointwise (conv) && (in_l.img_stride == ohw || B == 1) &&
      (out_l.img_stride == ohw || B == 1) && mcam_pointwise_takes_act (act->kind) &&
      _mcam_conv_use_own_pointwise (conv->in_c, conv->out_c, (gsize) B * ohw))
    {
      mcam_pointwise_forward (conv, _mcam_conv_pointwise_weights (conv), in, in_l.chan_stride,
                              (gsize) B * ohw, out, out_l.chan_stride, residual, act);
      return;
    }
  mcam_conv_forward (conv, B, H, W, in, in_l, out, out_l, residual, relu, workspace);
  if (relu || act->kind == MCAM_VEC_NONE)
    return;
  /* a channel of the whole batch is one run of floats in CNHW */
  if (out_l.img_stride == ohw && out_l.chan_stride == (gsize) B * ohw)
    mcam_vec_act_rows (act->kind, out, 1, (gsize) conv->out_c * B * ohw, NULL, act->a, act->b);
  else
    for (int b = 0; b < B; b++)
      for (int c = 0; c < conv->out_c; c++)
        mcam_vec_act_rows (act->kind, out + b * out_l.img_stride + c * out_l.chan_stride, 1,
                           ohw, NULL, act->a, act->b);
}

void
mcam_conv_forward_naive (const McamConv *conv, int B, int H, int W,
                         const float *in, McamActLayout in_l,
                         float *out, McamActLayout out_l,
                         const float *residual, gboolean relu)
{
  int oh = mcam_conv_out_size (H, conv->kh, conv->stride, conv->pad);
  int ow = mcam_conv_out_size (W, conv->kw, conv->stride, conv->pad);

  for (int b = 0; b < B; b++)
    for (int o = 0; o < conv->out_c; o++)
      for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++)
          {
            double acc = conv->bias[o];
            gsize oi = b * out_l.img_stride + o * out_l.chan_stride + (gsize) oy * ow + ox;

            for (int c = 0; c < conv->in_c; c++)
              for (int ky = 0; ky < conv->kh; ky++)
                for (int kx = 0; kx < conv->kw; kx++)
                  {
                    int iy = oy * conv->stride - conv->pad + ky;
                    int ix = ox * conv->stride - conv->pad + kx;

                    if (iy < 0 || iy >= H || ix < 0 || ix >= W)
                      continue;
                    acc += (double) conv->weight[((gsize) (o * conv->in_c + c) * conv->kh + ky) *
                                                 conv->kw + kx] *
                           in[b * in_l.img_stride + c * in_l.chan_stride + (gsize) iy * W + ix];
                  }
            if (residual != NULL)
              acc += residual[oi];
            out[oi] = (float) (relu && acc < 0.0 ? 0.0 : acc);
          }
}

void
mcam_linear_forward (int B, int I, int O, const float *in, const float *weight,
                     const float *bias, float *out)
{
  mcam_sgemm (FALSE, TRUE, B, O, I, 1.0f, in, I, weight, I, 0.0f, out, O);
  if (bias != NULL)
    for (int b = 0; b < B; b++)
      for (int o = 0; o < O; o++)
        out[(gsize) b * O + o] += bias[o];
}

void
mcam_act_copy (int B, int C, int H, int W, const float *src, McamActLayout src_l,
               float *dst, McamActLayout dst_l)
{
  gsize hw = (gsize) H * W;

  for (int b = 0; b < B; b++)
    for (int c = 0; c < C; c++)
      memcpy (dst + b * dst_l.img_stride + c * dst_l.chan_stride,
              src + b * src_l.img_stride + c * src_l.chan_stride, sizeof (float) * hw);
}
