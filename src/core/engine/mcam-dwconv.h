/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* One plane of a depthwise convolution, vectorised (issue 14): y[OH][OW] =
 * bias + Σ w[ky][kx] · x[oy·s − pt + ky][ox·s − pl + kx] (zeros outside x).
 * The plane is copied once into a zero-padded buffer (for stride 2 split into
 * even and odd columns), so every tap is a contiguous 16-float load with no
 * border test. MobileNetV3 and EfficientNet spent half their time in the
 * scalar loops this replaces. Returns FALSE (nothing written) for a geometry
 * it does not take: stride other than 1 or 2, kernel wider than 7. */
gboolean mcam_dwconv_plane (const float *x, int H, int W, const float *w, float bias,
                            int kh, int kw, int stride, int pt, int pl,
                            float *y, int OH, int OW);

/* The same for a k×k max-pool with equal pads (the copy padded with -inf):
 * ResNet's 3×3/2 stem pool took 1.4 ms a forward in the scalar loops, ORT's
 * 0.2. FALSE for stride other than 1 or 2 or k > 7. */
gboolean mcam_maxpool_plane (const float *x, int H, int W, int k, int stride, int pad,
                             float *y, int OH, int OW);

/* The channel-blocked kernel (mcam-dwconv-blocked.c): 16 channels per
 * vector instead of 16 output columns. The plane kernel above wastes most
 * lanes on 14×14 and 7×7 maps and pays a padded copy per plane (MobileNetV3's
 * and EfficientNet's late depthwise layers ran at 4–10 GFLOP/s); here one
 * padded tile [TH][TW][16] is made per 16 planes by a 16×16 transpose, every
 * tap is one FMA with 16 channels' weights, and the outputs go back to the
 * planes the same way.
 *
 * The weights and bias packed for it: [⌈C/16⌉][kh·kw + 1][16] (the taps, then
 * the bias; zeros past C), 64-byte aligned; free with mcam_dwconv_pack_free. */
float   *mcam_dwconv_pack      (const float *w, const float *bias, int C, int kh, int kw);
void     mcam_dwconv_pack_free (float *packed);

/* The activation the graph fused into the conv: a clip (ReLU is 0, +inf;
 * ReLU6 0, 6) or hard-swish in registers, or any other as a function over
 * the block's outputs ([OH·OW][16] pixel-major) before they are stored. */
typedef void (*McamDwActFunc) (float *x, gsize n, gconstpointer data);

typedef enum
{
  MCAM_DW_ACT_NONE,
  MCAM_DW_ACT_CLIP,
  MCAM_DW_ACT_HARD_SWISH,
  MCAM_DW_ACT_FUNC,
} McamDwActKind;

typedef struct
{
  McamDwActKind kind;
  float         lo, hi;   /* CLIP */
  McamDwActFunc func;     /* FUNC */
  gconstpointer data;
} McamDwAct;

/* Whether mcam_dwconv_block takes this geometry: stride 1 or 2, kernel up to
 * 7×7, input and output planes of at least 16 pixels. */
gboolean mcam_dwconv_block_takes (int H, int W, int kh, int kw, int stride, int OH, int OW);

/* nc ≤ 16 channels: input plane c at x + c·x_cstride ([H][W]), output plane
 * at y + c·y_cstride ([OH][OW]); packed = the block's [kh·kw + 1][16] of
 * mcam_dwconv_pack. Zero padding pt on top, pl on the left, whatever the
 * output size implies on the other sides. FALSE (nothing written) for a
 * geometry mcam_dwconv_block_takes refuses. act: NULL for none. */
gboolean mcam_dwconv_block (const float *x, gsize x_cstride, int nc, int H, int W,
                            const float *packed, int kh, int kw, int stride, int pt, int pl,
                            float *y, gsize y_cstride, int OH, int OW,
                            const McamDwAct *act);

/* Internal to the two kernels: the calling thread's scratch buffer of at
 * least n floats, 64-byte aligned, kept for the next call. */
float   *_mcam_dwconv_scratch (gsize n);

G_END_DECLS
