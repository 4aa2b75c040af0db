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

/* Every class at once into out [n_classes] (as _mcam_explain_baseline per
 * class, within float rounding), sharing the work across classes: for the
 * gradient-based methods and EigenCAM. FALSE without error for any other method (the
 * caller goes class by class); FALSE with error on a bad request. */
gboolean _mcam_explain_baseline_all (McamAnalysis *a, McamMethod method,
                                     const McamExplainOptions *opts, McamExplanation **out,
                                     GError **error);

G_END_DECLS
