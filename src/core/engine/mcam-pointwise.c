/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The 1×1 stride-1 convolution as a register-blocked product of its own
 * (issue 10 item 8): Y[Cout][N] = W[Cout][Cin] · X[Cin][N] + bias (+ res),
 * ReLU, N = the batch's pixels in the engine's CNHW planes. OpenBLAS re-packs
 * W on every call and leaves the epilogue to a second pass over Y; here W is
 * packed once ([⌈Cout/8⌉][Cin][8]), X is read in place, and a tile of 8
 * output channels × 48 pixels lives in 24 AVX-512 registers through the K
 * loop (3 pixel-vector loads and 8 broadcast weights per step), gets its
 * bias, residual and activation there and is written once. The activation
 * is any of McamVecAct's but GELU and erf, with the vector math of
 * mcam-act-vec-inline.h: a SiLU or hard-swish after the conv used to be a
 * second pass over an output that had left the cache (16>96 on 112×112 in
 * EfficientNet-B0: 1.20 ms with the pass, 0.89 ms so). A k×k conv's im2col
 * matrix is the same product with K = Cin·k² (the stems, mcam-conv.c). */

#include "config.h"

#include <string.h>

#include "mcam/mcam-blas.h"
#include "mcam-act-vec-inline.h"
#include "mcam-conv.h"
#include "mcam-multiversion.h"
#include "mcam-parallel.h"

#define MR 8          /* output channels per tile */
#define NV 3          /* 16-pixel vectors per tile */
#define NB (NV * 16)  /* pixels per tile */
#define KC 128        /* input channels per pass over a tile... */
#define KC_ONE 256    /* ...but up to this many in one pass */
#define RG 32         /* output rows per pass over the pixels (a multiple of MR) */
#define RG_MIN_PIXELS 2048   /* ...from this many pixels on */
#define RG_MAX_K 128         /* ...below this many input channels */
#define RG_ALL_K_PIXELS 4096 /* ...or any, from this many pixels on */
#define PC_BYTES (512u * 1024u)   /* x chunk per pass of the row groups */

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
      const float *restrict res, const McamVecAct act, float act_a, float act_b,
      const gboolean fast, gboolean full, gboolean first, gboolean last, float *restrict tmp,
      const int NVC)
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
        a = vec_act_apply_isa (act, a, act_a, act_b, fast);
        memcpy (y + (gsize) r * ldy + v * 16, &a, sizeof a);
      }
}

typedef struct
{
  const McamConv *conv;
  const float    *wp, *x, *res;
  gsize           ldx, ldy, n;
  float          *y;
  McamConvAct     act;
  gboolean        split_rows;
  int             pieces;
} Job;

/* Up to this many pixels past a block's whole 16-pixel vectors (49 = 48 +
 * 1 on 7×7 maps, 196 = 4 · 48 + 4 on 14×14) go through narrow_tail
 * instead of a tile whose vectors are mostly padding. */
#define NARROW_MAX 4

typedef float V8 __attribute__ ((vector_size (32)));

/* nt <= NARROW_MAX pixels at column c0, x their first column, rows [m, m1)
 * (at most two MR blocks): vectors over the 8 output channels of a packed
 * block, one broadcast pixel value per column and step, KU partial sums
 * per column so that the FMAs do not wait on each other. A tile (8 × 16
 * lanes, 8 FMAs per step for 1 pixel, and a padded copy of x) cost as much
 * for 1 pixel as for 16. */
static inline __attribute__ ((always_inline)) void
narrow_cols (const Job *j, const float *restrict x, int K, int m, int m1, gsize c0,
             const McamVecAct act, float act_a, float act_b, const gboolean fast, const int NT,
             const int KU)
{
  const gsize ldx = j->ldx, ldy = j->ldy;
  int nb = m1 - m > MR ? 2 : 1;
  V8 acc[2][NARROW_MAX][4];
  float t[2 * MR][16] __attribute__ ((aligned (64)));
  int k = 0;

  memset (acc, 0, sizeof acc);
  for (; k + KU <= K; k += KU)
    for (int u = 0; u < KU; u++)
      for (int b = 0; b < 2; b++)
        {
          V8 w;

          if (b >= nb)
            continue;
          memcpy (&w, j->wp + ((gsize) (m / MR + b) * K + k + u) * MR, sizeof w);
          for (int c = 0; c < NT; c++)
            acc[b][c][u] += w * x[(gsize) (k + u) * ldx + c];
        }
  for (; k < K; k++)
    for (int b = 0; b < nb; b++)
      {
        V8 w;

        memcpy (&w, j->wp + ((gsize) (m / MR + b) * K + k) * MR, sizeof w);
        for (int c = 0; c < NT; c++)
          acc[b][c][0] += w * x[(gsize) k * ldx + c];
      }
  /* rows of t: one output channel's NT pixels (then padding), with the
   * bias and residual, through the activation as one vector */
  memset (t, 0, sizeof t);
  for (int r = 0; r < m1 - m; r++)
    for (int c = 0; c < NT; c++)
      {
        float v = j->conv->bias[m + r];

        for (int u = 0; u < KU; u++)
          v += acc[r / MR][c][u][r % MR];
        if (j->res != NULL)
          v += j->res[(gsize) (m + r) * ldy + c0 + c];
        t[r][c] = v;
      }
  for (int r = 0; r < m1 - m; r++)
    {
      V a;

      memcpy (&a, t[r], sizeof a);
      a = vec_act_apply_isa (act, a, act_a, act_b, fast);
      memcpy (j->y + (gsize) (m + r) * ldy + c0, &a, sizeof (float) * NT);
    }
}

static inline __attribute__ ((always_inline)) void
narrow_tail (const Job *j, const float *x, int K, int m, int m1, gsize c0, int nt,
             const McamVecAct act, float act_a, float act_b, const gboolean fast)
{
  switch (nt)
    {
    case 1: narrow_cols (j, x, K, m, m1, c0, act, act_a, act_b, fast, 1, 4); break;
    case 2: narrow_cols (j, x, K, m, m1, c0, act, act_a, act_b, fast, 2, 2); break;
    case 3: narrow_cols (j, x, K, m, m1, c0, act, act_a, act_b, fast, 3, 2); break;
    default: narrow_cols (j, x, K, m, m1, c0, act, act_a, act_b, fast, 4, 1); break;
    }
}

/* Pixels [n0, n1), output rows [m0, m1) (m0 a multiple of MR); act is a
 * constant where this is inlined (run_range), so each activation gets its
 * own tiles. */
static inline __attribute__ ((always_inline)) void
run_range_act (const Job *j, gsize n0, gsize n1, int m0, int m1, const McamVecAct act,
               const gboolean fast)
{
  float act_a = j->act.a, act_b = j->act.b;
  const McamConv *conv = j->conv;
  int K = conv->in_c * conv->kh * conv->kw;
  /* the last partial tile: its columns copied, zero-padded, to xpad */
  float tmp[MR * NB] __attribute__ ((aligned (64)));
  g_autofree float *xpad = NULL;

  /* On large maps RG output rows at a time over all the pixels: 16>96 on
   * 112x112 (SiLU after) took 2.1 ms with all 96 rows per 48-pixel block
   * (96 write streams 50 KB apart), 1.1 ms so, 1.5 ms with OpenBLAS. On
   * 14x14 and 7x7 maps the x panel is small and re-reading it per group
   * cost 20% (112>672 14x14 0.275 -> 0.339 ms): all rows at once there.
   * So too from K = 128 on, where the x panel is re-read from memory per
   * group (3 MB for ResNet-50's 256>128 on 56x56: 1.79 -> 1.52 ms, 256>64
   * 0.86 -> 0.76; but 64>256 0.77 -> 0.87 with all rows). Not on the maps
   * of a batch (4096+ pixels), with x in chunks (below): there the groups
   * win at any K (ResNet-50 batch 8: 128>512 on 28x28 8.6 -> 6.8 ms,
   * 256>128 on 56x56 15.1 -> 13.8, the forward 493 -> 472). */
  int rg = n1 - n0 >= RG_MIN_PIXELS && (K < RG_MAX_K || n1 - n0 >= RG_ALL_K_PIXELS)
           ? RG : m1 - m0;
  /* ...and with groups, the pixels in chunks whose x panel stays in L2
   * while the groups pass over it (a batch of 8: ResNet-50's 64>256 on
   * 8x56x56 re-read 6 MB of x from memory per group) */
  gsize pc = rg < m1 - m0 ? MAX ((gsize) NB, PC_BYTES / (sizeof (float) * K) / NB * NB)
                          : n1 - n0;

  for (gsize c0 = n0; c0 < n1; c0 += pc)
  for (int g0 = m0; g0 < m1; g0 += rg)
  for (gsize p = c0; p < MIN (n1, c0 + pc); p += NB)
    {
      int g1 = MIN (m1, g0 + rg);
      gsize cols = MIN ((gsize) NB, n1 - p);
      /* a few pixels past the whole vectors: those by narrow_tail */
      int narrow = cols % 16 <= NARROW_MAX ? (int) (cols % 16) : 0;
      int nvc;
      gboolean full;
      const float *x = j->x + p;
      gsize ldx = j->ldx;

      if (narrow > 0)
        {
          for (int m = g0; m < g1; m += 2 * MR)
            narrow_tail (j, j->x + p + cols - narrow, K, m, MIN (g1, m + 2 * MR),
                         p + cols - narrow, narrow, act, act_a, act_b, fast);
          cols -= narrow;
          if (cols == 0)
            continue;
        }
      nvc = (int) ((cols + 15) / 16);
      full = cols == (gsize) nvc * 16;
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
       * through y. Up to KC_ONE in one pass: the second pass over y cost
       * more than the panel's leaving L1 (EfficientNet-B0 192>1152 7x7
       * 0.28 -> 0.225 ms, MobileNetV3-L 160>960 7x7 0.165 -> 0.143), but
       * not above (1152>192 7x7 0.205 -> 0.218 with KC 256). A tail tile
       * takes all of K at once (through tmp). */
      for (int k0 = 0, kb = K <= KC_ONE ? K : KC; k0 < K; k0 += full ? kb : K)
        {
          int kc = full ? MIN (kb, K - k0) : K;
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
                  tile (wp, kc, xk, ldx, bias, nr, y, j->ldy, res, act, act_a, act_b, fast, full,
                        first, last, tmp, 3);
                  break;
                case 2:
                  tile (wp, kc, xk, ldx, bias, nr, y, j->ldy, res, act, act_a, act_b, fast, full,
                        first, last, tmp, 2);
                  break;
                default:
                  tile (wp, kc, xk, ldx, bias, nr, y, j->ldy, res, act, act_a, act_b, fast, full,
                        first, last, tmp, 1);
                  break;
                }
              if (!full)
                for (int r = 0; r < nr; r++)
                  {
                    float *t = tmp + r * NB;

                    for (gsize c = 0; res != NULL && c < cols; c++)
                      t[c] += res[r * j->ldy + c];
                    for (int v = 0; v < nvc; v++)
                      {
                        V a;

                        memcpy (&a, t + v * 16, sizeof a);
                        a = vec_act_apply_isa (act, a, act_a, act_b, fast);
                        memcpy (t + v * 16, &a, sizeof a);
                      }
                    memcpy (y + r * j->ldy, t, sizeof (float) * cols);
                  }
            }
        }
    }
}

#define CASE(k) \
  case k: \
    run_range_act (j, n0, n1, m0, m1, k, FALSE); \
    break

#ifdef MCAM_ACT_FAST_SIGMOID
/* sigmoid and SiLU without the division (mcam-act-vec-inline.h): the
 * kernel runs on AVX-512 only, so its tiles can be built for it */
__attribute__ ((target ("avx512f"), flatten))
static void
run_range_fast (const Job *j, gsize n0, gsize n1, int m0, int m1)
{
  if (j->act.kind == MCAM_VEC_SILU)
    run_range_act (j, n0, n1, m0, m1, MCAM_VEC_SILU, TRUE);
  else
    run_range_act (j, n0, n1, m0, m1, MCAM_VEC_SIGMOID, TRUE);
}
#endif

MCAM_MULTIVERSION
static void
run_range (const Job *j, gsize n0, gsize n1, int m0, int m1)
{
#ifdef MCAM_ACT_FAST_SIGMOID
  if ((j->act.kind == MCAM_VEC_SILU || j->act.kind == MCAM_VEC_SIGMOID) &&
      _mcam_vec_fast_sigmoid ())
    {
      run_range_fast (j, n0, n1, m0, m1);
      return;
    }
#endif
  switch (j->act.kind)
    {
    CASE (MCAM_VEC_CLIP);
    CASE (MCAM_VEC_SIGMOID);
    CASE (MCAM_VEC_SILU);
    CASE (MCAM_VEC_HARD_SWISH);
    CASE (MCAM_VEC_HARD_SIGMOID);
    default:   /* GELU and erf are not taken (mcam_pointwise_takes_act) */
      run_range_act (j, n0, n1, m0, m1, MCAM_VEC_NONE, FALSE);
      break;
    }
}
#undef CASE

/* Pixels are split among threads at multiples of this (a whole vector). */
#define SPLIT_ALIGN 16

/* The largest of the blocks mcam_parallel_block cuts n into. */
static gsize
largest_piece (gsize n, int pieces, gsize align)
{
  gsize b, e;

  mcam_parallel_block (n, pieces, align, 0, &b, &e);
  return e - b;
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
      mcam_parallel_block (j->n, j->pieces, SPLIT_ALIGN, i, &b, &e);
      if (e > b)
        run_range (j, b, e, 0, j->conv->out_c);
    }
}

gboolean
mcam_pointwise_takes_act (McamVecAct kind)
{
  return kind != MCAM_VEC_GELU && kind != MCAM_VEC_ERF;
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
                        gsize n, float *y, gsize ldy, const float *res, const McamConvAct *act)
{
  int threads = mcam_blas_get_threads ();
  Job j = { conv, packed, x, res, ldx, ldy, n, y, *act };
  gsize rblocks = (gsize) (conv->out_c + MR - 1) / MR;

  g_return_if_fail (mcam_pointwise_takes_act (act->kind));
  /* Split the pixels or the output rows, whichever gives the threads the
   * more even shares: the pixels cut at multiples of 48 gave a 14x14 map
   * 144 + 52 (MobileNetV3-L's 1x1 convs ran 1.19x faster on two threads
   * than on one); at multiples of 16 the tail is a narrower tile. */
  {
    gsize piece_px = largest_piece (n, threads, SPLIT_ALIGN);
    gsize piece_rows = largest_piece ((gsize) conv->out_c, threads, MR);

    j.split_rows = piece_rows * n < piece_px * (gsize) conv->out_c;
  }
  j.pieces = (int) MIN ((gsize) threads, j.split_rows ? rblocks : (n + SPLIT_ALIGN - 1) / SPLIT_ALIGN);
  if (j.pieces > 1 && (guint64) conv->out_c * n * conv->in_c * conv->kh * conv->kw >= (1u << 20))
    mcam_parallel_for (j.pieces, run_piece, &j);
  else
    run_range (&j, 0, n, 0, conv->out_c);
}
