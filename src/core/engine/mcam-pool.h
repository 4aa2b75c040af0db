/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Pooling over independent H x W planes (private to the core). The planes are
 * contiguous and consecutive, so the same code serves NCHW (B*C planes) and
 * the engine's CNHW layout (C*B planes). */

/* Max pool, k x k window, stride s, zero-size padding p (padded cells never
 * win, like PyTorch's -inf padding). out: n_planes x OH x OW. */
void mcam_maxpool2d (const float *in, gsize n_planes, int H, int W,
                     int k, int s, int p, float *out);

/* Adaptive average pool to oh x ow bins (PyTorch's bin edges: floor(i*H/oh)
 * to ceil((i+1)*H/oh)). oh = ow = 1 is global average pooling. */
void mcam_adaptive_avgpool2d (const float *in, gsize n_planes, int H, int W,
                              int oh, int ow, float *out);

/* Global average pool: out[i] = mean of plane i. */
void mcam_global_avgpool (const float *in, gsize n_planes, int H, int W, float *out);

/* Reference max pool with plain loops (tests). */
void mcam_maxpool2d_naive (const float *in, gsize n_planes, int H, int W,
                           int k, int s, int p, float *out);

G_END_DECLS
