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

G_END_DECLS
