/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Element-wise activations in place, 16 floats at a time (issue 14). The
 * scalar loops over expf() cost MobileNetV3 and EfficientNet more than their
 * convolutions: a SiLU after a 1×1 conv took 5 ns per element. exp here is
 * 2^n · e^f with f in [-ln2/2, ln2/2] and a degree-7 polynomial: relative
 * error below 2e-7 (checked against expf() in tests/core/test-act-vec.c). */
void mcam_vec_sigmoid      (float *x, gsize n);
void mcam_vec_silu         (float *x, gsize n);
void mcam_vec_hard_swish   (float *x, gsize n);
void mcam_vec_hard_sigmoid (float *x, gsize n, float alpha, float beta);
/* min(max(x, lo), hi); ReLU is lo = 0, hi = +inf. A NaN gives lo (as the
 * scalar fmaxf() loop it replaces did). The
 * plain loops were not vectorised by GCC's -O2: MobileNetV3's ReLUs after its
 * depthwise convs cost 70% of the convs themselves. */
void mcam_vec_clip         (float *x, gsize n, float lo, float hi);
typedef enum
{
  MCAM_VEC_NONE,
  MCAM_VEC_SIGMOID,
  MCAM_VEC_SILU,
  MCAM_VEC_HARD_SWISH,
  MCAM_VEC_HARD_SIGMOID,   /* a, b: alpha, beta */
  MCAM_VEC_CLIP,           /* a, b: lo, hi */
  MCAM_VEC_GELU,
  MCAM_VEC_ERF,
} McamVecAct;

/* x[r][i] = act(x[r][i] + bias[i]) over rows of n floats (bias may be NULL):
 * a linear layer's bias and activation in one pass over its output. */
void mcam_vec_act_rows (McamVecAct kind, float *x, gsize rows, gsize n, const float *bias,
                        float a, float b);
/* out[p][i] = act(in[p][i] · s[p] + t[p]) over planes of n floats (in ==
 * out allowed): a BatchNorm that could not be folded, and the ReLU after it,
 * in one pass. */
void mcam_vec_scale_shift_act (McamVecAct kind, const float *in, float *out, gsize planes,
                               gsize n, const float *s, const float *t, float a, float b);

/* erf and GELU (x · ½ (1 + erf(x/√2))) from a piecewise polynomial erf:
 * absolute error of erf 1.18e-7 over every float (mcam-act-vec.c says how).
 * ConvNeXt's GELUs took 47% of its forward with libm's erff per element. */
void mcam_vec_erf          (float *x, gsize n);
void mcam_vec_gelu         (float *x, gsize n);

/* Whether sigmoid and SiLU take the AVX-512 path without a division
 * (mcam-act-vec-inline.h; $MCAM_FAST_SIGMOID=0 turns it off for A/B runs):
 * the kernels that apply them in their own epilogue ask. */
gboolean _mcam_vec_fast_sigmoid (void);

/* Rows of n floats: y = (x - mean) / sqrt(var + eps) · gamma + beta (in ==
 * out allowed). Float accumulators, summed around the row's first value,
 * then the variance around the mean: 3e-6 from a double-precision loop on
 * rows with means up to 80 (test-act-vec, bound 1e-5). */
void mcam_vec_layernorm_rows (const float *in, float *out, gsize rows, gsize n,
                              const float *gamma, const float *beta, float eps);

G_END_DECLS
