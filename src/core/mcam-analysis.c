/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One image analysed once (DESIGN 2): the backbone's features and logits,
 * and the memory module's read-out (DESIGN 4.3). Every map of every class
 * and method is computed from this without another backbone pass. */

#include "config.h"

#include <math.h>
#include <string.h>

#include "mcam/mcam-cam.h"
#include "mcam/mcam-error.h"
#include "mcam-memory-private.h"

static void
analysis_run_memory (McamAnalysis *a)
{
  McamMemory *mem = a->memory;
  int N = mem->n_slots, C = a->n_classes;

  a->n_slots = N;
  a->p = g_new (float, N);
  a->p_s = g_new (float, N);
  a->v = g_new (float, a->c);
  a->memory_logits = g_new (float, C);
  a->memory_scores = g_new (float, C);

  mcam_memory_key_address (mem, a->q, a->p);            /* p = addr(q, K) */
  mcam_memory_spatial_address (mem, a->features, a->p_s);  /* p_s = addr(vec f, vec S) */
  mcam_memory_read (mem, a->p, a->v);                   /* v = pV */
  mcam_memory_classify (mem, a->v, a->q, a->memory_logits);  /* z = fc([v ; q]) */
  /* The memory classifier is trained with BCE (DESIGN 4.2): sigmoid scores. */
  for (int k = 0; k < C; k++)
    a->memory_scores[k] = 1.0f / (1.0f + expf (-a->memory_logits[k]));
}

/* Takes ownership of nothing: copies f and logits. */
static McamAnalysis *
analysis_build (McamNet *net, McamMemory *memory, const float *features, const float *logits)
{
  const McamNetInfo *info = mcam_net_get_info (net);
  McamAnalysis *a = g_new0 (McamAnalysis, 1);
  gsize chw = (gsize) info->feat_c * info->feat_h * info->feat_w;

  a->net = net;
  a->memory = memory;
  a->c = info->feat_c;
  a->h = info->feat_h;
  a->w = info->feat_w;
  a->n_classes = info->n_classes;
  a->features = g_memdup2 (features, sizeof (float) * chw);
  a->logits = g_memdup2 (logits, sizeof (float) * a->n_classes);
  a->scores = g_new (float, a->n_classes);
  mcam_net_scores (net, a->logits, a->scores);
  a->q = g_new (float, a->c);
  _mcam_gap (a->features, a->c, a->h * a->w, a->q);   /* q = GAP(f) */
  if (memory != NULL)
    analysis_run_memory (a);
  return a;
}

static gboolean
memory_fits (McamNet *net, McamMemory *memory)
{
  const McamNetInfo *info = mcam_net_get_info (net);
  return memory == NULL ||
         (memory->c == info->feat_c && memory->h == info->feat_h &&
          memory->w == info->feat_w && memory->n_classes == info->n_classes);
}

McamAnalysis *
mcam_analysis_new_from_features (McamNet *net, McamMemory *memory, const float *features)
{
  g_return_val_if_fail (net != NULL && features != NULL, NULL);
  g_return_val_if_fail (memory_fits (net, memory), NULL);

  const McamNetInfo *info = mcam_net_get_info (net);
  gint64 shape[4] = { 1, info->feat_c, info->feat_h, info->feat_w };
  g_autoptr(McamTensor) view = mcam_tensor_new_view ((float *) features, 4, shape);
  g_autoptr(McamTensor) logits = mcam_net_head_forward (net, view);
  return analysis_build (net, memory, features, logits->data);
}

McamAnalysis *
mcam_analysis_new_from_input (McamNet *net, McamMemory *memory, const McamTensor *input,
                              GCancellable *cancellable, GError **error)
{
  g_return_val_if_fail (net != NULL && input != NULL, NULL);

  if (!memory_fits (net, memory))
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_MISMATCH,
                   "The memory module does not fit the backbone %s",
                   mcam_net_get_path (net));
      return NULL;
    }
  if (input->ndim != 4 || input->shape[0] != 1)
    {
      g_autofree char *s = mcam_tensor_shape_to_string (input->ndim, input->shape);
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_SHAPE,
                   "An analysis takes one image [1,3,H,W], not %s", s);
      return NULL;
    }

  g_autoptr(McamTensor) features = NULL;
  g_autoptr(McamTensor) logits = NULL;
  if (!mcam_net_forward (net, input, &features, &logits, cancellable, error))
    return NULL;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  return analysis_build (net, memory, features->data, logits->data);
}

McamAnalysis *
mcam_analysis_new (McamNet *net, McamMemory *memory, const McamImage *image,
                   GCancellable *cancellable, GError **error)
{
  g_return_val_if_fail (net != NULL && image != NULL, NULL);

  const McamNetInfo *info = mcam_net_get_info (net);
  g_autoptr(McamTensor) input = mcam_image_preprocess (image, &info->preprocess);
  return mcam_analysis_new_from_input (net, memory, input, cancellable, error);
}

void
mcam_analysis_free (McamAnalysis *a)
{
  if (a == NULL)
    return;
  g_free (a->features);
  g_free (a->logits);
  g_free (a->scores);
  g_free (a->q);
  g_free (a->p);
  g_free (a->p_s);
  g_free (a->v);
  g_free (a->memory_logits);
  g_free (a->memory_scores);
  g_free (a);
}
