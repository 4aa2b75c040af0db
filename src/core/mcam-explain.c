/* SPDX-License-Identifier: GPL-3.0-or-later */
/* mcam_explain(): one map for one class and method. The M-CAM maps (DESIGN
 * 4.4, 4.5) and the target network's CAM are computed here; every other
 * method goes to the baselines (mcam-baselines.h). */

#include "config.h"

#include <math.h>
#include <string.h>

#include "mcam/mcam-cam.h"
#include "mcam/mcam-error.h"
#include "mcam/mcam-head.h"
#include "mcam-baselines.h"
#include "mcam-memory-private.h"

void
mcam_explain_options_init (McamExplainOptions *opts)
{
  memset (opts, 0, sizeof *opts);
  opts->seed = 0;
  opts->draws = 1;
  opts->temperature = 1.0f;
  opts->slot = -1;
  opts->use_memory_classifier = FALSE;
  opts->top_k_channels = 0;
  opts->image = NULL;
}

void
mcam_explanation_free (McamExplanation *e)
{
  if (e == NULL)
    return;
  g_free (e->map);
  g_free (e->weights);
  g_free (e->delta);
  g_free (e->p_value);
  g_free (e);
}

static McamExplanation *
explanation_new (McamAnalysis *a, int class_index, McamMethod method)
{
  McamExplanation *e = g_new0 (McamExplanation, 1);
  e->method = method;
  e->class_index = class_index;
  e->h = a->h;
  e->w = a->w;
  e->c = a->c;
  e->slot = -1;
  e->map = g_new0 (float, (gsize) a->h * a->w);
  return e;
}

/* The target network's CAM (Zhou et al. 2016): ReLU(Σ_k W_ĉk f_k), with the
 * re-fit head's W when one is given. */
static McamExplanation *
explain_cam (McamAnalysis *a, int class_index, const McamExplainOptions *opts, GError **error)
{
  const float *W = opts->head != NULL ? opts->head->weight : mcam_net_get_head_weight (a->net);
  McamExplanation *e;

  if (W == NULL)
    {
      /* CAM is defined for logits = W · GAP(f) + b only */
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_UNSUPPORTED,
                   "%s: CAM needs a GAP + linear head after layer '%s'; use Grad-CAM",
                   mcam_net_get_path (a->net), mcam_net_get_info (a->net)->target);
      return NULL;
    }
  e = explanation_new (a, class_index, MCAM_METHOD_CAM);

  e->weights = g_memdup2 (W + (gsize) class_index * a->c, sizeof (float) * a->c);
  e->any_positive = mcam_weighted_channel_sum (a->features, e->weights, a->c, a->h, a->w,
                                               e->map);
  return e;
}

static McamExplanation *
explain_mcam (McamAnalysis *a, int class_index, McamMethod method,
              const McamExplainOptions *opts, GError **error)
{
  McamMemory *mem = a->memory;
  int N = mem->n_slots;

  if (opts->slot >= N)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE,
                   "Slot %d does not exist: the memory has %d slots (0 to %d)",
                   opts->slot, N, N - 1);
      return NULL;
    }

  /* The weights are exp(·/T) in float: T must survive the conversion to
   * float (1e-300 became 0, which the weight code takes for "unset", i.e.
   * T = 1), and a small T overflows them (checked below). */
  if (!(opts->temperature > 0.0f) || !isfinite (opts->temperature))
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE,
                   "The temperature of the %s weights must be a positive number, not %g",
                   mcam_method_get_label (method), (double) opts->temperature);
      return NULL;
    }

  g_autoptr(McamExplanation) e = explanation_new (a, class_index, method);
  e->n_slots = N;
  e->delta = g_new (float, N);
  e->p_value = g_new (float, N);

  /* Algorithm 1: n_ĉ and every Δ_i (kept even when the slot is imposed). */
  int searched = mcam_memory_search_slot (mem, a->q, class_index, opts->seed,
                                          MAX (opts->draws, 1), e->delta);
  e->slot = opts->slot >= 0 ? opts->slot : searched;
  mcam_memory_value_address (mem, class_index, e->p_value);   /* p'(G(e_ĉ)) */

  e->weights = g_new (float, a->c);
  if (method == MCAM_METHOD_MCAM)
    mcam_memory_mcam_weights (mem, a->features, e->slot, opts->temperature, e->weights);
  else
    mcam_memory_profile_weights (mem, e->slot, opts->temperature, e->weights);
  /* An overflowed weight would make the map NaN, shown as "no positive
   * value" and written to JSON as inf: say what happened instead. */
  for (int k = 0; k < a->c; k++)
    if (!isfinite (e->weights[k]))
      {
        g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE,
                     "The %s weights overflow at temperature %g (channel %d); "
                     "use a larger temperature", mcam_method_get_label (method),
                     (double) opts->temperature, k);
        return NULL;
      }
  e->any_positive = mcam_weighted_channel_sum (a->features, e->weights, a->c, a->h, a->w,
                                               e->map);
  return g_steal_pointer (&e);
}

McamExplanation *
mcam_explain (McamAnalysis *a, int class_index, McamMethod method,
              const McamExplainOptions *opts, GCancellable *cancellable, GError **error)
{
  McamExplainOptions defaults;

  g_return_val_if_fail (a != NULL, NULL);
  if (opts == NULL)
    {
      mcam_explain_options_init (&defaults);
      opts = &defaults;
    }
  if ((int) method < 0 || method >= MCAM_N_METHODS)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE, "Unknown explanation method %d",
                   (int) method);
      return NULL;
    }
  if (class_index < 0 || class_index >= a->n_classes)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE,
                   "Class %d does not exist: the model has %d classes (0 to %d)",
                   class_index, a->n_classes, a->n_classes - 1);
      return NULL;
    }
  if (opts->head != NULL && !opts->use_memory_classifier &&
      (opts->head->c != a->c || opts->head->n_classes != a->n_classes))
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_MISMATCH,
                   "The re-fit head (%d classes on %d channels) does not fit the model "
                   "(%d classes on %d channels)", opts->head->n_classes, opts->head->c,
                   a->n_classes, a->c);
      return NULL;
    }
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  switch (method)
    {
    case MCAM_METHOD_MCAM:
    case MCAM_METHOD_MCAM_PROFILE:
      if (a->memory == NULL)
        {
          g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE,
                       "%s needs a memory module; open one with the model "
                       "(mcam explain --memory FILE)",
                       mcam_method_get_label (method));
          return NULL;
        }
      return explain_mcam (a, class_index, method, opts, error);
    case MCAM_METHOD_CAM:
      return explain_cam (a, class_index, opts, error);
    default:
      return _mcam_explain_baseline (a, class_index, method, opts, cancellable, error);
    }
}
