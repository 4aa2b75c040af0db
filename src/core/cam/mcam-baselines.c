/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The baseline CAM methods (DESIGN 5): the gradient-based ones here, and the
 * dispatcher that mcam_explain() calls for every method but mcam,
 * mcam-profile and cam. EigenCAM is in mcam-eigencam.c, Ablation-CAM and
 * Score-CAM in mcam-perturb.c. */

#include "config.h"

#include <math.h>
#include <string.h>

#include "mcam/mcam-blas.h"
#include "mcam/mcam-error.h"
#include "mcam/mcam-head.h"
#include "mcam/mcam-metrics.h"
#include "mcam-baselines.h"
#include "mcam-cam-methods.h"
#include "mcam-grad.h"
#include "mcam-memory-private.h"

void
_mcam_gradcam_weights (const float *grad, int c, int hw, float *w)
{
  for (int k = 0; k < c; k++)
    {
      double s = 0.0;
      const float *g = grad + (gsize) k * hw;
      for (int j = 0; j < hw; j++)
        s += g[j];
      w[k] = (float) (s / hw);
    }
}

void
_mcam_gradcampp_weights (const float *f, const float *grad, int c, int hw, float *w)
{
  for (int k = 0; k < c; k++)
    {
      const float *a = f + (gsize) k * hw;
      const float *g = grad + (gsize) k * hw;
      double sum_a = 0.0, wk = 0.0;
      for (int j = 0; j < hw; j++)
        sum_a += a[j];
      for (int j = 0; j < hw; j++)
        {
          double g1 = g[j], g2 = g1 * g1, g3 = g2 * g1;
          double denom = 2.0 * g2 + sum_a * g3;
          /* Eq. 19 as published: no constant in the denominator; where it is
           * zero the coefficient is zero (g = 0 there, or a degenerate sum). */
          double alpha = denom != 0.0 ? g2 / denom : 0.0;
          if (g1 > 0.0)
            wk += alpha * g1;
        }
      w[k] = (float) wk;
    }
}

void
_mcam_xgradcam_weights (const float *f, const float *grad, int c, int hw, float *w)
{
  for (int k = 0; k < c; k++)
    {
      const float *a = f + (gsize) k * hw;
      const float *g = grad + (gsize) k * hw;
      double sum_a = 0.0, s = 0.0;
      for (int j = 0; j < hw; j++)
        {
          sum_a += a[j];
          s += (double) a[j] * g[j];
        }
      w[k] = sum_a != 0.0 ? (float) (s / sum_a) : 0.0f;
    }
}

void
_mcam_weighted_map (const float *f, const float *w, int c, int hw, float *map)
{
  g_autofree double *acc = g_new0 (double, hw);
  for (int k = 0; k < c; k++)
    {
      const float *a = f + (gsize) k * hw;
      if (w[k] == 0.0f)
        continue;
      for (int j = 0; j < hw; j++)
        acc[j] += (double) w[k] * a[j];
    }
  for (int j = 0; j < hw; j++)
    map[j] = (float) acc[j];
}

void
_mcam_hirescam_map (const float *f, const float *grad, int c, int hw, float *map)
{
  g_autofree double *acc = g_new0 (double, hw);
  for (gsize i = 0; i < (gsize) c * hw; i++)
    acc[i % hw] += (double) grad[i] * f[i];
  for (int j = 0; j < hw; j++)
    map[j] = (float) acc[j];
}

void
_mcam_layercam_map (const float *f, const float *grad, int c, int hw, float *map)
{
  g_autofree double *acc = g_new0 (double, hw);
  for (gsize i = 0; i < (gsize) c * hw; i++)
    if (grad[i] > 0.0f)
      acc[i % hw] += (double) grad[i] * f[i];
  for (int j = 0; j < hw; j++)
    map[j] = (float) acc[j];
}

/* The head of the network as a feature → logits function, for Ablation-CAM. */
static gboolean
target_head_func (gpointer user_data, const float *features, int batch, float *logits,
                  GError **error)
{
  McamNet *net = user_data;
  const McamNetInfo *info = mcam_net_get_info (net);
  gint64 shape[4] = { batch, info->feat_c, info->feat_h, info->feat_w };
  g_autoptr(McamTensor) in = mcam_tensor_new_view ((float *) features, 4, shape);
  g_autoptr(McamTensor) out = mcam_net_head_forward (net, in);

  if (out == NULL)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_FAILED,
                   "The head of %s failed on ablated features", mcam_net_get_path (net));
      return FALSE;
    }
  memcpy (logits, out->data, sizeof (float) * batch * info->n_classes);
  return TRUE;
}

/* A re-fit head (mcam-head.h) as a feature → logits function. */
typedef struct
{
  const McamHead *head;
  int             hw;
} RefitHead;

static gboolean
refit_head_func (gpointer user_data, const float *features, int batch, float *logits,
                 GError **error)
{
  const RefitHead *rh = user_data;
  gsize fsize = (gsize) rh->head->c * rh->hw;

  for (int b = 0; b < batch; b++)
    mcam_head_logits_from_features (rh->head, features + b * fsize, rh->hw,
                                    logits + (gsize) b * rh->head->n_classes);
  return TRUE;
}

static gboolean
memory_head_func (gpointer user_data, const float *features, int batch, float *logits,
                  GError **error)
{
  McamMemory *mem = user_data;
  gsize fsize = (gsize) mem->c * mem->h * mem->w;

  for (int b = 0; b < batch; b++)
    _mcam_memory_head_logits (mem, features + b * fsize, logits + (gsize) b * mem->n_classes);
  return TRUE;
}

/* Bytes that identify what the perturbation weights depend on besides f and
 * the input: the head's parameters (the memory classifier's, or the network's
 * own head) and, for Score-CAM, the whole network (its fingerprint). */
static GBytes *
head_identity (McamAnalysis *a, gboolean use_memory, const McamHead *head,
               gboolean whole_network)
{
  GByteArray *k = g_byte_array_new ();
  gpointer who[3] = { a->net, use_memory ? a->memory : NULL,
                      use_memory ? NULL : (gpointer) head };

  g_byte_array_append (k, (const guint8 *) who, sizeof who);
  if (whole_network || !use_memory)
    {
      const McamNetInfo *info = mcam_net_get_info (a->net);
      if (whole_network && info->fingerprint)
        g_byte_array_append (k, (const guint8 *) info->fingerprint,
                             strlen (info->fingerprint) + 1);
      if (!use_memory && head != NULL)
        {
          g_byte_array_append (k, (const guint8 *) head->weight,
                               sizeof (float) * head->n_classes * head->c);
          g_byte_array_append (k, (const guint8 *) head->bias,
                               sizeof (float) * head->n_classes);
        }
      else if (!use_memory && mcam_net_get_head_weight (a->net) == NULL)
        {
          /* a general head (the graph after the target): the network's
           * fingerprint and the target layer identify it */
          const char *fp = info->fingerprint ? info->fingerprint : "";
          g_byte_array_append (k, (const guint8 *) fp, strlen (fp) + 1);
          g_byte_array_append (k, (const guint8 *) info->target, strlen (info->target) + 1);
        }
      else if (!use_memory)
        {
          g_byte_array_append (k, (const guint8 *) mcam_net_get_head_weight (a->net),
                               sizeof (float) * a->n_classes * a->c);
          g_byte_array_append (k, (const guint8 *) mcam_net_get_head_bias (a->net),
                               sizeof (float) * a->n_classes);
        }
    }
  if (use_memory)
    {
      const McamMemory *m = a->memory;
      g_byte_array_append (k, (const guint8 *) &m->scale, sizeof m->scale);
      g_byte_array_append (k, (const guint8 *) m->K, sizeof (float) * m->n_slots * m->c);
      g_byte_array_append (k, (const guint8 *) m->V, sizeof (float) * m->n_slots * m->c);
      g_byte_array_append (k, (const guint8 *) m->fc_w, sizeof (float) * m->n_classes * 2 * m->c);
      g_byte_array_append (k, (const guint8 *) m->fc_b, sizeof (float) * m->n_classes);
    }
  return g_byte_array_free_to_bytes (k);
}

static McamExplanation *
explanation_new (McamMethod method, int class_index, int c, int h, int w)
{
  McamExplanation *e = g_new0 (McamExplanation, 1);
  e->method = method;
  e->class_index = class_index;
  e->h = h;
  e->w = w;
  e->c = c;
  e->map = g_new0 (float, (gsize) h * w);
  e->slot = -1;
  return e;
}

/* ∂y_class/∂f of the explained head, which begins with GAP: the general
 * reverse pass down to q, then GAP's backward in closed form — the same
 * g_k = dq_k / hw at every position of channel k (rounded as
 * _mcam_gap_backward rounds it). */
static void
head_gradient_per_channel (McamAnalysis *a, gboolean use_memory, const McamHead *head,
                           int class_index, float *g)
{
  int c = a->c, hw = a->h * a->w;

  if (use_memory)
    _mcam_grad_memory_head_q (a->memory, a->features, class_index, g);
  else
    /* A GAP + linear head: the gradient is the class's weight row (the re-fit
     * head's when one is given) spread over the map. */
    _mcam_grad_linear_head_q (head != NULL ? head->weight : mcam_net_get_head_weight (a->net),
                              a->n_classes, c, class_index, g);
  for (int k = 0; k < c; k++)
    g[k] = g[k] / (float) hw;
}

/* The channel weights w with map = Σ_k w_k f_k of Grad-CAM, Grad-CAM++,
 * XGrad-CAM, HiResCAM and LayerCAM, each its per-position definition
 * (mcam-cam-methods.h, the reference in test-baselines) with the gradient g_k
 * constant over the positions summed in closed form. q is GAP(f). */
static void
gap_form_weights (McamMethod method, const float *g, const float *q, int c, int hw, float *w)
{
  for (int k = 0; k < c; k++)
    {
      double gk = g[k];
      double sum_a = (double) q[k] * hw;   /* Σ_j f[k, j] */
      switch (method)
        {
        case MCAM_METHOD_GRADCAM_PP:
          {
            /* hw equal terms α g, α = g² / (2g² + Σ_j A_kj g³) (Eq. 19). */
            double g2 = gk * gk, g3 = g2 * gk, denom = 2.0 * g2 + sum_a * g3;
            w[k] = gk > 0.0 && denom != 0.0 ? (float) (hw * (g2 / denom) * gk) : 0.0f;
          }
          break;
        case MCAM_METHOD_XGRADCAM:
          /* Σ_j (A_kj / Σ A_k) g = g; 0 where Σ A_k = 0. */
          w[k] = sum_a != 0.0 ? g[k] : 0.0f;
          break;
        case MCAM_METHOD_LAYERCAM:
          /* Σ_k ReLU(g_k) f[k, j]: the map of the weights ReLU(g). */
          w[k] = g[k] > 0.0f ? g[k] : 0.0f;
          break;
        default:
          /* Grad-CAM: the mean of g over positions; HiResCAM: Σ_k g_k f[k, j],
           * the map of the same weights. */
          w[k] = g[k];
          break;
        }
    }
}

/* The analysis' q = GAP(f), or (for an analysis put together by hand
 * without it) computed into *own. */
static const float *
analysis_q (McamAnalysis *a, float **own)
{
  if (a->q != NULL)
    return a->q;
  *own = g_new (float, a->c);
  _mcam_gap (a->features, a->c, a->h * a->w, *own);
  return *own;
}

/* After the ReLU: a map without a positive value is all zeros, flagged, never NaN. */
static void
explanation_finish (McamExplanation *e)
{
  int hw = e->h * e->w;

  e->any_positive = FALSE;
  for (int j = 0; j < hw; j++)
    {
      if (!(e->map[j] > 0.0f) || !isfinite (e->map[j]))
        e->map[j] = 0.0f;
      else
        e->any_positive = TRUE;
    }
}

static gboolean
check_request (McamAnalysis *a, int class_index, McamMethod method, gboolean use_memory,
               GError **error)
{
  if (class_index < 0 || class_index >= a->n_classes)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE,
                   "Class %d is out of range: the model has %d classes",
                   class_index, a->n_classes);
      return FALSE;
    }
  if (use_memory && a->memory == NULL)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE,
                   "%s of the memory classifier needs a memory module, and none is loaded",
                   mcam_method_get_label (method));
      return FALSE;
    }
  return TRUE;
}

McamExplanation *
_mcam_explain_baseline (McamAnalysis *a, int class_index, McamMethod method,
                        const McamExplainOptions *opts, GCancellable *cancellable,
                        GError **error)
{
  McamExplainOptions defaults;
  int c = a->c, hw = a->h * a->w;
  const float *f = a->features;
  gboolean use_memory;
  const McamHead *head;
  g_autoptr(McamExplanation) e = NULL;
  g_autofree float *grad = NULL;
  g_autofree float *w = NULL;
  g_autofree int *channels = NULL;
  int n_channels = 0;

  if (opts == NULL)
    {
      mcam_explain_options_init (&defaults);
      opts = &defaults;
    }
  use_memory = opts->use_memory_classifier;
  head = use_memory ? NULL : opts->head;

  if (!check_request (a, class_index, method, use_memory, error))
    return NULL;

  e = explanation_new (method, class_index, c, a->h, a->w);

  /* A head that is not GAP + linear (MobileNetV3's, ConvNeXt's, a target
   * inside the network): the gradient varies over the positions, from the
   * reverse pass over the graph after the target; each method by its
   * per-position definition. */
  if (!use_memory && head == NULL && mcam_net_get_head_weight (a->net) == NULL &&
      (method == MCAM_METHOD_GRADCAM || method == MCAM_METHOD_GRADCAM_PP ||
       method == MCAM_METHOD_HIRESCAM || method == MCAM_METHOD_XGRADCAM ||
       method == MCAM_METHOD_LAYERCAM || method == MCAM_METHOD_EIGENGRADCAM))
    {
      grad = g_new (float, (gsize) c * hw);
      if (!mcam_net_head_gradient (a->net, f, class_index, grad, error))
        return NULL;
      switch (method)
        {
        case MCAM_METHOD_GRADCAM:
        case MCAM_METHOD_GRADCAM_PP:
        case MCAM_METHOD_XGRADCAM:
          w = g_new (float, c);
          if (method == MCAM_METHOD_GRADCAM)
            _mcam_gradcam_weights (grad, c, hw, w);
          else if (method == MCAM_METHOD_GRADCAM_PP)
            _mcam_gradcampp_weights (f, grad, c, hw, w);
          else
            _mcam_xgradcam_weights (f, grad, c, hw, w);
          _mcam_weighted_map (f, w, c, hw, e->map);
          break;
        case MCAM_METHOD_HIRESCAM:
          _mcam_hirescam_map (f, grad, c, hw, e->map);
          break;
        case MCAM_METHOD_LAYERCAM:
          _mcam_layercam_map (f, grad, c, hw, e->map);
          break;
        default:
          /* Eigen-Grad-CAM: the principal component of grad ⊙ f */
          for (gsize i = 0; i < (gsize) c * hw; i++)
            grad[i] *= f[i];
          _mcam_eigen_map (grad, c, hw, e->map);
          break;
        }
      explanation_finish (e);
      e->weights = g_steal_pointer (&w);
      return g_steal_pointer (&e);
    }

  switch (method)
    {
    case MCAM_METHOD_GRADCAM:
    case MCAM_METHOD_GRADCAM_PP:
    case MCAM_METHOD_HIRESCAM:
    case MCAM_METHOD_XGRADCAM:
    case MCAM_METHOD_LAYERCAM:
    case MCAM_METHOD_EIGENGRADCAM:
      /* The general reverse pass, down to q = GAP(f). Both heads begin with
       * GAP, whose backward spreads dq[k] / hw over every position of
       * channel k: each method below is its per-position definition with
       * that constant gradient summed over the positions in closed form —
       * c numbers per class instead of c × hw, which is what makes every
       * class of a 1000-class model cheap. */
      grad = g_new (float, c);
      head_gradient_per_channel (a, use_memory, head, class_index, grad);
      break;
    default:
      break;
    }

  switch (method)
    {
    case MCAM_METHOD_GRADCAM:
    case MCAM_METHOD_GRADCAM_PP:
    case MCAM_METHOD_XGRADCAM:
    case MCAM_METHOD_HIRESCAM:
    case MCAM_METHOD_LAYERCAM:
      {
        g_autofree float *own_q = NULL;
        w = g_new (float, c);
        gap_form_weights (method, grad, analysis_q (a, &own_q), c, hw, w);
        /* map = fᵀ w, one matrix-vector product. */
        mcam_sgemv (TRUE, c, hw, 1.0f, f, hw, w, 0.0f, e->map);
        if (method == MCAM_METHOD_HIRESCAM || method == MCAM_METHOD_LAYERCAM)
          g_clear_pointer (&w, g_free);   /* these methods have no channel weights */
      }
      break;

    case MCAM_METHOD_EIGENCAM:
      /* Class-agnostic by definition: the same map for every class and head. */
      _mcam_eigen_map (f, c, hw, e->map);
      break;

    case MCAM_METHOD_EIGENGRADCAM:
      /* The principal component of grad ⊙ f = diag(g) f. */
      _mcam_eigen_map_scaled (f, a->q, grad, c, hw, e->map);
      break;

    case MCAM_METHOD_ABLATIONCAM:
      {
        g_autoptr(GBytes) id = head_identity (a, use_memory, head, FALSE);
        w = g_new0 (float, c);
        channels = _mcam_top_channels (f, c, hw, opts->top_k_channels, &n_channels);
        if (use_memory)
          {
            if (!_mcam_ablation_weights (memory_head_func, a->memory, id, f, c, hw,
                                         a->n_classes, class_index, channels, n_channels, w,
                                         cancellable, error))
              return NULL;
          }
        else if (head != NULL)
          {
            RefitHead rh = { head, hw };
            if (!_mcam_ablation_weights (refit_head_func, &rh, id, f, c, hw, a->n_classes,
                                         class_index, channels, n_channels, w, cancellable,
                                         error))
              return NULL;
          }
        else if (!_mcam_ablation_weights (target_head_func, a->net, id, f, c, hw,
                                          a->n_classes, class_index, channels, n_channels, w,
                                          cancellable, error))
          return NULL;
      }
      _mcam_weighted_map (f, w, c, hw, e->map);
      break;

    case MCAM_METHOD_SCORECAM:
      {
        McamScorer scorer;
        const McamNetInfo *info;
        g_autoptr(McamTensor) input = NULL;

        if (opts->image == NULL)
          {
            g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE,
                         "Score-CAM re-runs the network on masked copies of the image, "
                         "and no image was given");
            return NULL;
          }
        info = mcam_net_get_info (a->net);
        input = mcam_image_preprocess (opts->image, &info->preprocess);
        if (head != NULL)
          mcam_head_scorer_init (&scorer, a->net, head);
        else
          mcam_scorer_init_net (&scorer, a->net, a->memory, use_memory);
        w = g_new0 (float, c);
        channels = _mcam_top_channels (f, c, hw, opts->top_k_channels, &n_channels);
        g_autoptr(GBytes) id = head_identity (a, use_memory, head, TRUE);
        if (!_mcam_scorecam_weights (&scorer, id, input->data, f, c, a->h, a->w, class_index,
                                     channels, n_channels, w, cancellable, error))
          return NULL;
        _mcam_weighted_map (f, w, c, hw, e->map);
      }
      break;

    default:
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_UNSUPPORTED,
                   "“%s” is not a baseline method", mcam_method_get_name (method));
      return NULL;
    }

  explanation_finish (e);
  e->weights = g_steal_pointer (&w);
  return g_steal_pointer (&e);
}

gboolean
_mcam_explain_baseline_all (McamAnalysis *a, McamMethod method, const McamExplainOptions *opts,
                            McamExplanation **out, GError **error)
{
  McamExplainOptions defaults;
  int c = a->c, hw = a->h * a->w, C = a->n_classes;
  gboolean use_memory;
  const McamHead *head;
  g_autofree float *G = NULL;
  g_autofree float *maps = NULL;
  g_autofree float *own_q = NULL;
  const float *q;

  switch (method)
    {
    case MCAM_METHOD_GRADCAM:
    case MCAM_METHOD_GRADCAM_PP:
    case MCAM_METHOD_HIRESCAM:
    case MCAM_METHOD_XGRADCAM:
    case MCAM_METHOD_LAYERCAM:
    case MCAM_METHOD_EIGENGRADCAM:
    case MCAM_METHOD_EIGENCAM:
      break;
    default:
      return FALSE;
    }
  if (opts == NULL)
    {
      mcam_explain_options_init (&defaults);
      opts = &defaults;
    }
  use_memory = opts->use_memory_classifier;
  head = use_memory ? NULL : opts->head;
  if (!use_memory && head == NULL && mcam_net_get_head_weight (a->net) == NULL &&
      method != MCAM_METHOD_EIGENCAM)
    return FALSE;   /* a general head: class by class (mcam_explain) */
  if (!check_request (a, 0, method, use_memory, error))
    return FALSE;
  if (head != NULL && (head->c != c || head->n_classes != C))
    return FALSE;   /* mcam_explain says what does not fit */

  /* Every class's per-channel gradient [C, c] (the reverse pass per class is
   * c or N·c numbers), then the maps of all classes from shared products.
   * EigenCAM needs no gradient: its one map serves every class. */
  q = analysis_q (a, &own_q);
  G = g_new (float, (gsize) C * c);
  maps = g_new (float, (gsize) C * hw);
  if (method != MCAM_METHOD_EIGENCAM)
    for (int k = 0; k < C; k++)
      head_gradient_per_channel (a, use_memory, head, k, G + (gsize) k * c);

  if (method == MCAM_METHOD_EIGENCAM)
    {
      /* Class-agnostic: one map, copied. */
      _mcam_eigen_map (a->features, c, hw, maps);
      for (int k = 1; k < C; k++)
        memcpy (maps + (gsize) k * hw, maps, sizeof (float) * hw);
    }
  else if (method == MCAM_METHOD_EIGENGRADCAM)
    {
      if (!_mcam_eigen_maps_scaled_all (a->features, q, G, C, c, hw, maps))
        for (int k = 0; k < C; k++)
          _mcam_eigen_map_scaled (a->features, q, G + (gsize) k * c, c, hw,
                                  maps + (gsize) k * hw);
    }
  else
    {
      /* G becomes the weights in place; maps = W f, one GEMM. */
      g_autofree float *w = g_new (float, c);
      for (int k = 0; k < C; k++)
        {
          gap_form_weights (method, G + (gsize) k * c, q, c, hw, w);
          memcpy (G + (gsize) k * c, w, sizeof (float) * c);
        }
      mcam_sgemm (FALSE, FALSE, C, hw, c, 1.0f, G, c, a->features, hw, 0.0f, maps, hw);
    }

  for (int k = 0; k < C; k++)
    {
      McamExplanation *e = explanation_new (method, k, c, a->h, a->w);
      memcpy (e->map, maps + (gsize) k * hw, sizeof (float) * hw);
      if (method == MCAM_METHOD_GRADCAM || method == MCAM_METHOD_GRADCAM_PP ||
          method == MCAM_METHOD_XGRADCAM)
        e->weights = g_memdup2 (G + (gsize) k * c, sizeof (float) * c);
      explanation_finish (e);
      out[k] = e;
    }
  return TRUE;
}

GPtrArray *
mcam_explain_all_classes (McamAnalysis *a, McamMethod method, const McamExplainOptions *opts,
                          GCancellable *cancellable, GError **error)
{
  g_autoptr(GPtrArray) out = NULL;
  GError *local = NULL;

  g_return_val_if_fail (a != NULL, NULL);

  out = g_ptr_array_new_full (a->n_classes, (GDestroyNotify) mcam_explanation_free);
  g_ptr_array_set_size (out, a->n_classes);
  if (_mcam_explain_baseline_all (a, method, opts, (McamExplanation **) out->pdata, &local))
    return g_steal_pointer (&out);
  if (local != NULL)
    {
      g_propagate_error (error, local);
      return NULL;
    }
  for (int k = 0; k < a->n_classes; k++)
    {
      out->pdata[k] = mcam_explain (a, k, method, opts, cancellable, error);
      if (out->pdata[k] == NULL)
        return NULL;
    }
  return g_steal_pointer (&out);
}
