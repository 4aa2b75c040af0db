/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Shared by mcam-metrics*.c. Not part of the public API. */

#include <glib.h>

G_BEGIN_DECLS

/* Pixel indices by decreasing map value (ties in row-major order); g_free. */
int *_mcam_metrics_order_desc (const float *m, gsize hw);

G_END_DECLS
