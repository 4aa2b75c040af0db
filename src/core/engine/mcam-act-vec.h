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

G_END_DECLS
