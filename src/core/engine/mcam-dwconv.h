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

G_END_DECLS
