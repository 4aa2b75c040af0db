/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The 1×1 stride-1 convolution as a register-blocked product of its own
 * (issue 10 item 8): Y[Cout][N] = W[Cout][Cin] · X[Cin][N] + bias (+ res),
 * ReLU, N = the batch's pixels in the engine's CNHW planes. OpenBLAS re-packs
 * W on every call and leaves the epilogue to a second pass over Y; here W is
 * packed once ([⌈Cout/8⌉][Cin][8]), X is read in place, and a tile of 8
 * output channels × 48 pixels lives in 24 AVX-512 registers through the K
 * loop (3 pixel-vector loads and 8 broadcast weights per step), gets its
 * bias, residual and ReLU there and is written once. */

#include "config.h"

#include <string.h>

#include "mcam/mcam-blas.h"
#include "mcam-conv.h"
#include "mcam-multiversion.h"
#include "mcam-parallel.h"

typedef float V __attribute__ ((vector_size (64)));
typedef gint32 I __attribute__ ((vector_size (64)));

#pragma GCC diagnostic ignored "-Wpsabi"

#define MR 8          /* output channels per tile */
#define NV 3          /* 16-pixel vectors per tile */
#define NB (NV * 16)  /* pixels per tile */
#define KC 128        /* input channels per pass over a tile */
#define RG 32         /* output rows per pass over the pixels (a multiple of MR) */
#define RG_MIN_PIXELS 2048   /* ...from this many pixels on */

float *
mcam_pointwise_pack (const McamConv *conv)
{
  int K = conv->in_c * conv->kh * conv->kw, blocks = (conv->out_c + MR - 1) / MR;
  float *p = g_aligned_alloc0 ((gsize) blocks * K * MR, sizeof (float), 64);

  for (int o = 0; o < conv->out_c; o++)
    for (int k = 0; k < K; k++)
      p[((gsize) (o / MR) * K + k) * MR + o % MR] = conv->weight[(gsize) o * K + k];
  return p;
}

void
mcam_pointwise_pack_free (float *packed)
{
  g_aligned_free (packed);
}

/* One tile: rows [0, nr) of the packed block wp ([K][MR]), NVC pixel
 * vectors of x (row stride ldx), over K input channels. full: all NVC·16
 * columns are outputs; then first: start from the bias (+ res), else from
 * the partial sums in y; last: the epilogue, else y gets the partial sums. Not full
 * (always first and last): bias-only sums go to tmp [MR][NB]. */
static inline __attribute__ ((always_inline)) void
tile (const float *restrict wp, int K, const float *restrict x, gsize ldx,
      const float *restrict bias, int nr, float *restrict y, gsize ldy,
      const float *restrict res, gboolean relu, gboolean full, gboolean first,
      gboolean last, float *restrict tmp, const int NVC)
{
  V acc[MR][NV];

  for (int r = 0; r < MR; r++)
    for (int v = 0; v < NVC; v++)
      {
        V b = { 0 };

        if (first || r >= nr)
          {
            acc[r][v] = b + (r < nr ? bias[r] : 0.0f);
            /* the residual now, not in the epilogue: y may be the
             * residual and the passes before the last overwrite it */
            if (full && res != NULL && r < nr)
              {
                memcpy (&b, res + (gsize) r * ldy + v * 16, sizeof b);
                acc[r][v] += b;
              }
          }
        else
          memcpy (&acc[r][v], y + (gsize) r * ldy + v * 16, sizeof (V));
      }
  for (int k = 0; k < K; k++, x += ldx, wp += MR)
    {
      V xv[NV];

      for (int v = 0; v < NVC; v++)
        memcpy (&xv[v], x + v * 16, sizeof (V));
      for (int r = 0; r < MR; r++)
        {
          float w = wp[r];

          for (int v = 0; v < NVC; v++)
            acc[r][v] += xv[v] * w;
        }
    }
  if (!full)
    {
      for (int r = 0; r < MR; r++)
        for (int v = 0; v < NVC; v++)
          memcpy (tmp + (gsize) r * NB + v * 16, &acc[r][v], sizeof (V));
      return;
    }
  for (int r = 0; r < nr; r++)
    for (int v = 0; v < NVC; v++)
      {
        V a = acc[r][v];

        if (!last)
          {
            memcpy (y + (gsize) r * ldy + v * 16, &a, sizeof a);
            continue;
          }
        if (relu)
          {
            V zero = { 0 };
            a = (V) ((I) a & (I) (a > zero));
          }
        memcpy (y + (gsize) r * ldy + v * 16, &a, sizeof a);
      }
}

typedef struct
{
  const McamConv *conv;
  const float    *wp, *x, *res;
  gsize           ldx, ldy, n;
  float          *y;
  gboolean        relu;
  gboolean        split_rows;
  int             pieces;
} Job;

/* Pixels [n0, n1), output rows [m0, m1) (m0 a multiple of MR). */
MCAM_MULTIVERSION
static void
run_range (const Job *j, gsize n0, gsize n1, int m0, int m1)
{
  const McamConv *conv = j->conv;
  int K = conv->in_c * conv->kh * conv->kw;   /* x: im2col rows when not 1x1 */
  /* the last partial tile: its columns copied, zero-padded, to xpad */
  float tmp[MR * NB] __attribute__ ((aligned (64)));
  g_autofree float *xpad = NULL;

  /* On large maps RG output rows at a time over all the pixels: 16>96 on
   * 112x112 (SiLU after) took 2.1 ms with all 96 rows per 48-pixel block
   * (96 write streams 50 KB apart), 1.1 ms so, 1.5 ms with OpenBLAS. On
   * 14x14 and 7x7 maps the x panel is small and re-reading it per group
   * cost 20% (112>672 14x14 0.275 -> 0.339 ms): all rows at once there. */
  int rg = n1 - n0 >= RG_MIN_PIXELS ? RG : m1 - m0;

  for (int g0 = m0; g0 < m1; g0 += rg)
  for (gsize p = n0; p < n1; p += NB)
    {
      int g1 = MIN (m1, g0 + rg);
      gsize cols = MIN ((gsize) NB, n1 - p);
      int nvc = (int) ((cols + 15) / 16);
      gboolean full = cols == (gsize) nvc * 16;
      const float *x = j->x + p;
      gsize ldx = j->ldx;

      if (!full)
        {
          if (xpad == NULL)
            xpad = g_new (float, (gsize) K * NB);
          for (int k = 0; k < K; k++)
            {
              memcpy (xpad + (gsize) k * NB, j->x + (gsize) k * j->ldx + p, sizeof (float) * cols);
              memset (xpad + (gsize) k * NB + cols, 0, sizeof (float) * (NB - cols));
            }
          x = xpad;
          ldx = NB;
        }
      /* K in blocks of KC: the block's x panel (KC × 48 floats) stays in
       * L1 while every row tile passes over it; the partial sums go
       * through y. A tail tile takes all of K at once (through tmp). */
      for (int k0 = 0; k0 < K; k0 += full ? KC : K)
        {
          int kc = full ? MIN (KC, K - k0) : K;
          gboolean first = k0 == 0, last = k0 + kc == K;

          for (int m = g0; m < g1; m += MR)
            {
              int nr = MIN (MR, g1 - m);
              const float *wp = j->wp + ((gsize) (m / MR) * K + k0) * MR;
              const float *xk = x + (gsize) k0 * ldx;
              float *y = j->y + (gsize) m * j->ldy + p;
              const float *res = j->res != NULL ? j->res + (gsize) m * j->ldy + p : NULL;
              const float *bias = conv->bias + m;

              switch (nvc)
                {
                case 3:
                  tile (wp, kc, xk, ldx, bias, nr, y, j->ldy, res, j->relu, full, first, last,
                        tmp, 3);
                  break;
                case 2:
                  tile (wp, kc, xk, ldx, bias, nr, y, j->ldy, res, j->relu, full, first, last,
                        tmp, 2);
                  break;
                default:
                  tile (wp, kc, xk, ldx, bias, nr, y, j->ldy, res, j->relu, full, first, last,
                        tmp, 1);
                  break;
                }
              if (!full)
                for (int r = 0; r < nr; r++)
                  for (gsize c = 0; c < cols; c++)
                    {
                      float v = tmp[r * NB + c] + (res != NULL ? res[r * j->ldy + c] : 0.0f);
                      y[r * j->ldy + c] = j->relu && !(v > 0.0f) ? 0.0f : v;
                    }
            }
        }
    }
}

static void
run_piece (gpointer data, int i)
{
  const Job *j = data;
  gsize b, e;

  if (j->split_rows)
    {
      mcam_parallel_block (j->conv->out_c, j->pieces, MR, i, &b, &e);
      if (e > b)
        run_range (j, 0, j->n, (int) b, (int) e);
    }
  else
    {
      mcam_parallel_block (j->n, j->pieces, NB, i, &b, &e);
      if (e > b)
        run_range (j, b, e, 0, j->conv->out_c);
    }
}

gboolean
mcam_pointwise_available (void)
{
  static gsize avail = 0;

  if (g_once_init_enter (&avail))
    {
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
      gboolean ok = __builtin_cpu_supports ("avx512f");
#else
      gboolean ok = FALSE;
#endif
      g_once_init_leave (&avail, ok ? 2 : 1);
    }
  return avail == 2;
}

void
mcam_pointwise_forward (const McamConv *conv, const float *packed, const float *x, gsize ldx,
                        gsize n, float *y, gsize ldy, const float *res, gboolean relu)
{
  int threads = mcam_blas_get_threads ();
  Job j = { conv, packed, x, res, ldx, ldy, n, y, relu };
  gsize pblocks = (n + NB - 1) / NB;
  gsize rblocks = (gsize) (conv->out_c + MR - 1) / MR;

  j.split_rows = pblocks < (gsize) threads * 2 && rblocks > pblocks;
  j.pieces = (int) MIN ((gsize) threads, j.split_rows ? rblocks : pblocks);
  if (j.pieces > 1 && (guint64) conv->out_c * n * conv->in_c * conv->kh * conv->kw >= (1u << 20))
    mcam_parallel_for (j.pieces, run_piece, &j);
  else
    run_range (&j, 0, n, 0, conv->out_c);
}
