/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "mcam-graph-private.h"

G_BEGIN_DECLS

/* The graph's kernels other than the convolutions of mcam-conv.c (private).
 *
 * A McamView is a tensor as the executor stores it: a logical shape (the
 * batch included) and the physical stride of every logical axis. Batched
 * values swap axes 0 and 1 (CNHW for maps), constants are row-major; a
 * stride of 0 broadcasts. The generic kernels (binary ops, copies) walk the
 * output in its physical order so the innermost loop is contiguous. */
typedef struct
{
  float    *data;
  McamShape shape;
  gint64    stride[MCAM_GRAPH_MAX_DIMS];
} McamView;

/* Strides of a value of shape s stored batched (axes 0,1 swapped) or not. */
void _mcam_view_init (McamView *v, float *data, const McamShape *s, gboolean batched);
/* v broadcast to ndim axes (right-aligned, stride 0 where the size is 1
 * and the target's is not). */
void _mcam_view_broadcast (McamView *v, const McamShape *to);

/* out = a op b, op one of ADD, SUB, MUL, DIV, POW; a and b broadcast to out. */
void _mcam_op_binary (McamOpType op, const McamView *out, const McamView *a, const McamView *b);
/* out = in element by element (same logical shape; any strides). */
void _mcam_op_copy (const McamView *out, const McamView *in);
/* out += in where out has stride 0 on the axes in sums over (reduce). */
void _mcam_op_accumulate (const McamView *out, const McamView *in);

/* x[i] = act(x[i]) over n contiguous floats. */
void _mcam_op_act (McamAct act, float *x, gsize n);
float _mcam_act_scalar (McamAct act, float x);
/* x[r][i] = act(x[r][i] + bias[i]) over rows of n floats (bias may be NULL). */
void _mcam_op_bias_act (McamAct act, float *x, gsize rows, gsize n, const float *bias);
/* act as a convolution's epilogue (engine/mcam-conv.h); FALSE (and *out
 * NONE) for one the vector kernels do not have (Sqrt). */
gboolean _mcam_act_conv_epilogue (McamAct act, McamConvAct *out);

/* Planes (n_planes contiguous H x W maps): max or average pooling with
 * kernel/stride/pads (top, left, bottom, right) as attrs says. */
void _mcam_op_pool (gboolean is_max, const McamNodeAttrs *attrs, const float *in,
                    gsize n_planes, int H, int W, float *out, int OH, int OW);

/* Depthwise conv over CNHW planes: channel c of every image uses weight
 * [c][kh][kw] and bias[c]; act fused. packed: the same weights and bias
 * from mcam_dwconv_pack (engine/mcam-dwconv.h) for the channel-blocked
 * kernel, or NULL for the plane kernel only. */
void _mcam_op_depthwise (const float *in, int C, int B, int H, int W,
                         const float *weight, const float *bias, const float *packed,
                         int kh, int kw,
                         int stride, int pad_t, int pad_l, float *out, int OH, int OW,
                         McamAct act);

/* rows of n contiguous floats: y = (x - mean) / sqrt(var + eps) * gamma + beta. */
void _mcam_op_layernorm (const float *in, float *out, gsize rows, int n,
                         const float *gamma, const float *beta, float eps);

/* y = x * s[c] + t[c] on blocks of `inner` floats per channel c (batched:
 * a channel of the whole batch is contiguous). */
void _mcam_op_scale_shift (const float *in, float *out, int C, gsize inner,
                           const float *s, const float *t, McamAct act);

G_END_DECLS
