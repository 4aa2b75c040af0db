/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "mcam-act-vec.h"

G_BEGIN_DECLS

/* Convolution and linear layers of the CNN engine (private to the core).
 *
 * Activations of a batch are described by a McamActLayout: where image b,
 * channel c starts is  data + b * img_stride + c * chan_stride, and each
 * (b, c) plane is H*W contiguous floats. Two layouts are used:
 *   NCHW  img_stride = C*H*W, chan_stride = H*W      (the public tensors)
 *   CNHW  img_stride = H*W,   chan_stride = B*H*W    (inside the network)
 * CNHW keeps one channel of the whole batch contiguous, so a convolution of
 * the whole batch is ONE matrix product with N = B*OH*OW columns: late
 * ResNet stages (7x7 maps) then still feed the GEMM a wide matrix. */
typedef struct
{
  gsize img_stride;
  gsize chan_stride;
} McamActLayout;

static inline McamActLayout
mcam_layout_nchw (int C, int H, int W)
{
  McamActLayout l = { (gsize) C * H * W, (gsize) H * W };
  return l;
}

static inline McamActLayout
mcam_layout_cnhw (int B, int H, int W)
{
  McamActLayout l = { (gsize) H * W, (gsize) B * H * W };
  return l;
}

/* A 2-D convolution (no groups, no dilation) with BatchNorm already folded in. */
typedef struct
{
  int    in_c, out_c;
  int    kh, kw;
  int    stride, pad;
  float *weight;   /* [out_c, in_c*kh*kw], owned */
  float *bias;     /* [out_c], owned (zeros when the conv had none) */
  float *wino;     /* Winograd F(2x2,3x3) weights [16][out_c][in_c], owned; made
                    * on first use (3x3 stride-1 pad-1 only): set the weights
                    * before the first forward, never after */
  float *wino4;    /* the same for F(4x4,3x3): [36][out_c][in_c] */
  float *pw;       /* 1x1 stride-1: mcam_pointwise_pack's copy, made on first use */
  float *sn;       /* mcam_smalln_pack's copy of weight, made on first use */
  float *wino_sn;  /* ...and of wino / wino4, when their products are narrow */
  float *wino4_sn;
  gpointer dnnl;   /* mcam-dnnl.c's primitives and weights, made on first use */
  int    groups;   /* mcam-dnnl.c only: a grouped conv as one ([out_c][in_c / groups]
                    * [kh][kw] weights); 0 or 1: none. The other kernels take one
                    * McamConv per group. */
} McamConv;

/* 0 when the (padded) input is smaller than the kernel. */
static inline int
mcam_conv_out_size (int in, int k, int stride, int pad)
{
  if (in < 1 || in + 2 * pad < k)
    return 0;
  return (in + 2 * pad - k) / stride + 1;
}

McamConv *mcam_conv_new  (int in_c, int out_c, int kh, int kw, int stride, int pad);
void      mcam_conv_free (McamConv *conv);

/* Fold an eval-mode BatchNorm (y = gamma (x - mean) / sqrt(var + eps) + beta)
 * into the convolution's weight and bias; computed in double. */
void mcam_conv_fold_batchnorm (McamConv *conv, const float *gamma, const float *beta,
                               const float *mean, const float *var, double eps);

/* Use Winograd for 3x3/1 layers with at least n 2x2 output tiles in the
 * batch (n <= 0: never). Default 32, or $MCAM_WINOGRAD_MIN_TILES. */
void mcam_conv_set_winograd_min_tiles (gint64 n);

/* Use Winograd F(4x4,3x3) instead of F(2x2) for 3x3/1 layers with at least
 * n 4x4 output tiles in the batch (n <= 0: never). Default
 * MCAM_WINOGRAD4_MIN_TILES_DEFAULT in mcam-conv.c, or
 * $MCAM_WINOGRAD4_MIN_TILES. */
void mcam_conv_set_winograd4_min_tiles (gint64 n);

/* Floats of scratch memory mcam_conv_forward() needs for this geometry. */
gsize mcam_conv_workspace_size (const McamConv *conv, int B, int H, int W);

/* out = act(conv(in) + bias [+ residual]), act = ReLU when relu is TRUE.
 * residual (may be NULL) has the output's layout; when residual == out the
 * product is accumulated into out (GEMM beta = 1), saving a pass.
 * workspace: mcam_conv_workspace_size() floats (may be NULL when that is 0). */
void mcam_conv_forward (const McamConv *conv, int B, int H, int W,
                        const float *in, McamActLayout in_l,
                        float *out, McamActLayout out_l,
                        const float *residual, gboolean relu, float *workspace);

/* The activation of a convolution's epilogue: McamVecAct's kind and its
 * parameters (CLIP a = 0, b = +inf is ReLU; HARD_SIGMOID alpha, beta). */
typedef struct
{
  McamVecAct kind;
  float      a, b;
} McamConvAct;

/* mcam_conv_forward with any activation: the own 1×1 kernel applies it in
 * its tile epilogue (issue 14: EfficientNet's SiLU and MobileNetV3's
 * hard-swish were a second pass over the output), the other paths take
 * ReLU in theirs and any other activation in a pass over the output. */
void mcam_conv_forward_act (const McamConv *conv, int B, int H, int W,
                            const float *in, McamActLayout in_l,
                            float *out, McamActLayout out_l,
                            const float *residual, const McamConvAct *act, float *workspace);

/* Reference: the same computation with plain loops (tests only; slow). */
void mcam_conv_forward_naive (const McamConv *conv, int B, int H, int W,
                              const float *in, McamActLayout in_l,
                              float *out, McamActLayout out_l,
                              const float *residual, gboolean relu);

/* out[B,O] = in[B,I] · weight[O,I]^T + bias[O] (bias may be NULL). */
void mcam_linear_forward (int B, int I, int O, const float *in, const float *weight,
                          const float *bias, float *out);

/* Copy between layouts (e.g. NCHW input into the CNHW working layout). */
void mcam_act_copy (int B, int C, int H, int W, const float *src, McamActLayout src_l,
                    float *dst, McamActLayout dst_l);

/* mcam-winograd.c: F(2x2,3x3) for 3x3 stride-1 pad-1 convolutions. u_small:
 * u packed by mcam_smalln_pack, or NULL: the products by mcam_smalln_forward
 * (all tiles must then be one chunk) instead of OpenBLAS. */
gboolean mcam_winograd_applies           (const McamConv *conv);
float   *mcam_winograd_transform_weights (const McamConv *conv);
gsize    mcam_winograd_workspace_size    (const McamConv *conv, int B, int H, int W);
void     mcam_winograd_forward           (const McamConv *conv, const float *u, const float *u_small,
                                          int B, int H, int W,
                                          const float *in, McamActLayout in_l,
                                          float *out, McamActLayout out_l,
                                          const float *residual, gboolean relu,
                                          float *workspace);

/* mcam-winograd4.c: F(4x4,3x3), same contract (FALSE: not built here). */
gboolean mcam_winograd4_available         (void);
float   *mcam_winograd4_transform_weights (const McamConv *conv);
gsize    mcam_winograd4_workspace_size    (const McamConv *conv, int B, int H, int W);
void     mcam_winograd4_forward           (const McamConv *conv, const float *u, const float *u_small,
                                           int B, int H, int W,
                                           const float *in, McamActLayout in_l,
                                           float *out, McamActLayout out_l,
                                           const float *residual, gboolean relu,
                                           float *workspace);

/* mcam-pointwise.c: 1x1 stride-1 convolutions without OpenBLAS (issue 10):
 * weights packed once, the bias/residual/activation epilogue in registers.
 * y[o][i] = act(bias[o] + Σ_c W[o][c] x[c][i] (+ res[o][i])), i < n, rows
 * ldx / ldy apart; res may be y. c < in_c·kh·kw: for a k×k conv x is its
 * im2col matrix. Needs AVX-512 (mcam_pointwise_available) and an
 * activation it takes (all but GELU and erf). */
gboolean mcam_pointwise_available (void);
gboolean mcam_pointwise_takes_act (McamVecAct kind);
float   *mcam_pointwise_pack      (const McamConv *conv);
void     mcam_pointwise_pack_free (float *packed);
void     mcam_pointwise_forward   (const McamConv *conv, const float *packed,
                                   const float *x, gsize ldx, gsize n,
                                   float *y, gsize ldy, const float *res,
                                   const McamConvAct *act);

/* mcam-smalln.c: the product for few columns (7x7 maps at batch 1, the
 * Winograd products of small maps): y[o][i] = relu?(bias[o] + Σ_c W[o][c]
 * x[c][i] (+ res[o][i])), o < m, c < k, i < n, rows ldx / ldy apart, res
 * may be y, bias may be NULL; W packed once by mcam_smalln_pack (count
 * matrices [m][k] one after the other, each mcam_smalln_packed_size floats
 * in the copy). Needs AVX-512 (mcam_smalln_available). */
gboolean mcam_smalln_available   (void);
gsize    mcam_smalln_packed_size (int m, int k);
float   *mcam_smalln_pack        (const float *w, int count, int m, int k);
void     mcam_smalln_pack_free (float *packed);
void     mcam_smalln_forward   (const float *packed, int m, int k, const float *bias,
                                const float *x, gsize ldx, gsize n, float *y, gsize ldy,
                                const float *res, gboolean relu);

G_END_DECLS
