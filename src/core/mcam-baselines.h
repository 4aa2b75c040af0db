/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The baseline CAM methods of DESIGN 5 (everything but mcam, mcam-profile and
 * cam), called by mcam_explain(). Implemented in mcam-baselines*.c. */

#include <glib.h>
#include <gio/gio.h>
#include "mcam/mcam-cam.h"

G_BEGIN_DECLS

McamExplanation *_mcam_explain_baseline (McamAnalysis *a, int class_index, McamMethod method,
                                         const McamExplainOptions *opts,
                                         GCancellable *cancellable, GError **error);

G_END_DECLS
