/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "mcam-conv.h"

G_BEGIN_DECLS

/* Which kernel runs a convolution of a given geometry, and the packed
 * copies of its weights that kernel reads (made at the first forward that
 * needs them; g_once makes concurrent first calls safe). Private to
 * mcam-conv.c; the measurements behind every rule are in mcam-conv-plan.c. */

typedef enum { MCAM_WINO_NONE, MCAM_WINO_2, MCAM_WINO_4 } McamWinoKind;

gboolean     _mcam_conv_is_pointwise      (const McamConv *conv);
/* Winograd F(4x4), F(2x2) or neither for a 3x3 stride-1 layer on B images of H x W. */
McamWinoKind _mcam_conv_use_winograd      (const McamConv *conv, int B, int H, int W);
/* Few output channels (the groups of ResNeXt, RegNet): im2col + the 1x1 kernel. */
gboolean     _mcam_conv_use_small_m       (const McamConv *conv, int B, int H, int W);
/* The own 1x1 kernel for K inputs, M outputs, N pixels (else OpenBLAS). */
gboolean     _mcam_conv_use_own_pointwise (int k, int m, gsize n);
/* The few-columns kernel for N columns and M outputs (else OpenBLAS). */
gboolean     _mcam_conv_use_smalln        (gsize n, int m);

const float *_mcam_conv_winograd_weights       (const McamConv *conv);
const float *_mcam_conv_winograd4_weights      (const McamConv *conv);
const float *_mcam_conv_pointwise_weights      (const McamConv *conv);
const float *_mcam_conv_smalln_weights         (const McamConv *conv);
/* u (points Winograd matrices) packed for the few-columns kernel when
 * n_tiles columns are few enough for it, else NULL; cached in *slot. */
const float *_mcam_conv_winograd_small_weights (const McamConv *conv, const float *u,
                                                int points, gsize n_tiles, float **slot);

G_END_DECLS
