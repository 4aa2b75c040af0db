/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Placeholder until the baseline methods land: they answer "not yet". */

#include "config.h"

#include "mcam/mcam-error.h"
#include "mcam-baselines.h"

McamExplanation *
_mcam_explain_baseline (McamAnalysis *a, int class_index, McamMethod method,
                        const McamExplainOptions *opts, GCancellable *cancellable,
                        GError **error)
{
  (void) a;
  (void) class_index;
  (void) opts;
  (void) cancellable;
  g_set_error (error, MCAM_ERROR, MCAM_ERROR_UNSUPPORTED,
               "The method “%s” is not available in this build",
               mcam_method_get_name (method));
  return NULL;
}
