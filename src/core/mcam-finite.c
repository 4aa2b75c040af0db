/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Results that must be finite. A model or memory module whose values are all
 * finite can still overflow float32 in use (weights of 1e30 make inf
 * features, softmax of inf is NaN, sigmoid of inf is a confident 1.0). Such
 * a result is refused, naming the file and the first tensor that went bad,
 * instead of being shown as a score or a map. */

#include "config.h"

#include <math.h>

#include "mcam/mcam.h"

typedef struct
{
  const char  *name;    /* what the user can look up: "features f", "logits", ... */
  const float *v;
  gsize        n;
  gboolean     memory;  /* made by the memory module (else by the backbone) */
} Checked;

static gboolean
check_list (const Checked *list, gsize n_list, const char *model_path,
            const char *memory_path, const char *what, GError **error)
{
  for (gsize k = 0; k < n_list; k++)
    {
      if (list[k].v == NULL)
        continue;
      for (gsize i = 0; i < list[k].n; i++)
        {
          float x = list[k].v[i];
          if (isfinite (x))
            continue;
          gboolean mem = list[k].memory;
          const char *file = mem && memory_path != NULL ? memory_path : model_path;
          g_set_error (error, MCAM_ERROR, MCAM_ERROR_VALUE,
                       "%s%s “%s”: a non-finite value (%s) in %s%s, element %"
                       G_GSIZE_FORMAT ": its %s overflow float32 on this input, so no "
                       "score or map from it means anything",
                       mem ? "memory module" : "model",
                       mem && memory_path == NULL ? " in the model file" : "",
                       file ? file : "(unnamed)", isnan (x) ? "NaN" : x > 0 ? "+inf" : "-inf",
                       list[k].name, what, i, mem ? "values" : "weights");
          return FALSE;
        }
    }
  return TRUE;
}

gboolean
mcam_analysis_check_finite (const McamAnalysis *a, const char *model_path,
                            const char *memory_path, GError **error)
{
  gsize C = (gsize) a->n_classes, N = (gsize) a->n_slots, c = (gsize) a->c;
  /* In the order they are computed: the first one named is the cause. */
  const Checked list[] = {
    { "the features f", a->features, c * (gsize) a->h * (gsize) a->w, FALSE },
    { "the pooled features q", a->q, c, FALSE },
    { "the logits", a->logits, C, FALSE },
    { "the scores", a->scores, C, FALSE },
    { "the key address p", a->p, N, TRUE },
    { "the spatial address p_s", a->p_s, N, TRUE },
    { "the read value v", a->v, c, TRUE },
    { "the memory logits z", a->memory_logits, C, TRUE },
    { "the memory scores", a->memory_scores, C, TRUE },
  };

  if (model_path == NULL && a->net != NULL)
    model_path = mcam_net_get_path (a->net);
  return check_list (list, G_N_ELEMENTS (list), model_path, memory_path, "", error);
}

gboolean
mcam_explanation_check_finite (const McamExplanation *e, const McamAnalysis *a,
                               const char *model_path, const char *memory_path,
                               GError **error)
{
  gboolean mem = mcam_method_needs_memory (e->method);
  const Checked list[] = {
    { "the slot search Δ", e->delta, (gsize) e->n_slots, TRUE },
    { "the value address p'", e->p_value, (gsize) e->n_slots, TRUE },
    { "the channel weights", e->weights, (gsize) e->c, mem },
    { "the map", e->map, (gsize) e->h * (gsize) e->w, mem },
  };
  g_autofree char *what = g_strdup_printf (" (%s)", mcam_method_get_label (e->method));

  if (model_path == NULL && a != NULL && a->net != NULL)
    model_path = mcam_net_get_path (a->net);
  return check_list (list, G_N_ELEMENTS (list), model_path, memory_path, what, error);
}
