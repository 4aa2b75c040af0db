/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The target network (DESIGN 2) as the rest of the core sees it: a graph
 * (src/core/graph/) run from the image to the logits, keeping the target
 * layer's map f, or from f to the logits (the head). Loading a safetensors
 * ResNet lives in mcam-net-arch.c. */

#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mcam/mcam-error.h"
#include "mcam-model-file.h"
#include "mcam-net-private.h"

McamNet *
mcam_net_load_from (McamSafetensors *st, GError **error)
{
  g_autoptr (McamNet) net = g_new0 (McamNet, 1);

  g_return_val_if_fail (st != NULL, NULL);
  net->target = -1;
  net->path = g_strdup (mcam_safetensors_get_path (st));
  if (!_mcam_net_build (net, st, error))
    return NULL;
  return g_steal_pointer (&net);
}

McamNet *
mcam_net_load (const char *path, GError **error)
{
  g_autoptr (McamSafetensors) st = NULL;
  McamModelFileKind kind;

  g_return_val_if_fail (path != NULL, NULL);
  /* by the first bytes (mcam-model-file.h): a PyTorch file is refused with
   * the way in instead of being misread; a FIFO or a folder is refused by
   * name without blocking. A .onnx that does not look like one goes to the
   * ONNX reader, whose message says what is wrong with it. */
  if (!mcam_model_file_probe (path, &kind, error))
    return NULL;
  if (kind == MCAM_MODEL_FILE_ONNX ||
      (kind == MCAM_MODEL_FILE_UNKNOWN && g_str_has_suffix (path, ".onnx")))
    {
      g_autoptr (McamNet) net = g_new0 (McamNet, 1);

      net->target = -1;
      net->path = g_strdup (path);
      if (!_mcam_net_build_onnx (net, path, error))
        return NULL;
      return g_steal_pointer (&net);
    }
  st = mcam_safetensors_open (path, error);
  if (st == NULL)
    return NULL;
  return mcam_net_load_from (st, error);
}

gsize
mcam_net_get_weight_bytes (McamNet *net, gsize *transformed)
{
  g_return_val_if_fail (net != NULL, 0);
  return mcam_graph_get_weight_bytes (net->graph, transformed);
}

void
mcam_net_free (McamNet *net)
{
  if (net == NULL)
    return;
  mcam_graph_free (net->graph);
  g_free (net->info.arch);
  g_free (net->info.description);
  g_free (net->info.target);
  g_strfreev (net->info.classes);
  g_strfreev (net->info.unknown_keys);
  g_free (net->info.fingerprint);
  g_free (net->path);
  g_free (net);
}

static void
use_target (McamNet *net, int target)
{
  const McamValue *f = mcam_graph_get_value (net->graph, target);

  net->target = target;
  g_free (net->info.target);
  net->info.target = g_strdup (f->name);
  net->info.feat_c = (int) f->shape[1];
  net->info.feat_h = (int) f->shape[2];
  net->info.feat_w = (int) f->shape[3];
  if (!mcam_graph_get_linear_head (net->graph, net->target, &net->head_w, &net->head_b))
    net->head_w = net->head_b = NULL;
}

gboolean
_mcam_net_set_graph (McamNet *net, McamGraph *graph, GError **error)
{
  int target;

  net->graph = graph;
  net->flops = mcam_graph_flops (graph);
  target = mcam_graph_default_target (graph);
  if (target < 0)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_UNSUPPORTED,
                   "%s: no spatial-reducing node (pooling, flatten of a map) on the way to "
                   "the logits: no layer to explain; name one with --layer", net->path);
      return FALSE;
    }
  use_target (net, target);
  return TRUE;
}

char **
mcam_net_list_layers (McamNet *net)
{
  g_autoptr (GArray) maps = NULL;
  GPtrArray *names = g_ptr_array_new ();

  g_return_val_if_fail (net != NULL, NULL);
  maps = mcam_graph_list_maps (net->graph);
  for (guint i = 0; i < maps->len; i++)
    {
      int v = g_array_index (maps, int, i);

      /* not the image, nor a 1 x 1 map (pooled: nothing to locate) */
      if (v != mcam_graph_get_input (net->graph) &&
          mcam_graph_get_value (net->graph, v)->shape[2] *
          mcam_graph_get_value (net->graph, v)->shape[3] > 1)
        g_ptr_array_add (names, g_strdup (mcam_graph_get_value (net->graph, v)->name));
    }
  g_ptr_array_add (names, NULL);
  return (char **) g_ptr_array_free (names, FALSE);
}

gboolean
mcam_net_set_target (McamNet *net, const char *layer, GError **error)
{
  g_autoptr (GArray) maps = NULL;
  g_autoptr (McamTensor) zeros = NULL, logits = NULL;
  const McamValue *f;
  int v;

  g_return_val_if_fail (net != NULL && layer != NULL, FALSE);
  v = mcam_graph_find_value (net->graph, layer);
  maps = mcam_graph_list_maps (net->graph);
  for (guint i = 0; v >= 0 && i < maps->len; i++)
    if (g_array_index (maps, int, i) == v)
      break;
    else if (i + 1 == maps->len)
      v = -1;
  if (v < 0 || v == mcam_graph_get_input (net->graph))
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE,
                   "%s: no layer '%s' with a feature map [N,C,H,W] (mcam info --layers "
                   "lists them)", net->path, layer);
      return FALSE;
    }
  /* the logits must follow from this layer alone (no skip connection around it) */
  f = mcam_graph_get_value (net->graph, v);
  zeros = mcam_tensor_new (4, f->shape);
  if (!mcam_graph_run (net->graph, v, zeros, -1, NULL, &logits, NULL, error))
    return FALSE;
  use_target (net, v);
  return TRUE;
}

const McamNetInfo *
mcam_net_get_info (McamNet *net)
{
  g_return_val_if_fail (net != NULL, NULL);
  return &net->info;
}

const char *
mcam_net_get_path (McamNet *net)
{
  g_return_val_if_fail (net != NULL, NULL);
  return net->path;
}

const float *
mcam_net_get_head_weight (McamNet *net)
{
  return net->head_w;
}

const float *
mcam_net_get_head_bias (McamNet *net)
{
  return net->head_b;
}

double
mcam_net_flops (McamNet *net)
{
  return net->flops;
}

/* ---- forward ----------------------------------------------------------- */

static gboolean
check_input (McamNet *net, const McamTensor *input, GError **error)
{
  if (input->ndim != 4 || input->shape[1] != 3 || input->shape[0] < 1 ||
      input->shape[2] < 1 || input->shape[3] < 1 ||
      input->shape[2] > G_MAXINT / 4 || input->shape[3] > G_MAXINT / 4)
    {
      g_autofree char *s = mcam_tensor_shape_to_string (input->ndim, input->shape);
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_SHAPE,
                   "%s: input has shape %s, expected [B,3,H,W]", net->path, s);
      return FALSE;
    }
  return TRUE;
}

gboolean
mcam_net_forward (McamNet *net, const McamTensor *input,
                  McamTensor **features, McamTensor **logits,
                  GCancellable *cancellable, GError **error)
{
  g_autoptr (McamTensor) f = NULL, l = NULL;

  g_return_val_if_fail (net != NULL && input != NULL, FALSE);
  if (features)
    *features = NULL;
  if (logits)
    *logits = NULL;
  if (!check_input (net, input, error))
    return FALSE;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  if (!mcam_graph_run (net->graph, mcam_graph_get_input (net->graph), input,
                       features ? net->target : -1, &f, &l, cancellable, error))
    return FALSE;
  if (features)
    *features = g_steal_pointer (&f);
  if (logits)
    *logits = g_steal_pointer (&l);
  return TRUE;
}

McamTensor *
mcam_net_head_forward (McamNet *net, const McamTensor *features)
{
  g_autoptr (GError) error = NULL;
  McamTensor *logits = NULL;

  g_return_val_if_fail (net != NULL && features != NULL, NULL);
  g_return_val_if_fail (features->ndim == 4 && features->shape[1] == net->info.feat_c, NULL);
  if (!mcam_graph_run (net->graph, net->target, features, -1, NULL, &logits, NULL, &error))
    {
      g_warning ("%s: the head failed: %s", net->path, error->message);
      return NULL;
    }
  return logits;
}

gboolean
mcam_net_head_gradient (McamNet *net, const float *f, int class_index, float *grad,
                        GError **error)
{
  const McamNetInfo *info = &net->info;
  gint64 shape[4] = { 1, info->feat_c, info->feat_h, info->feat_w };
  g_autoptr (McamTensor) view = NULL, g = NULL;
  g_autofree float *seed = NULL;

  g_return_val_if_fail (class_index >= 0 && class_index < info->n_classes, FALSE);
  view = mcam_tensor_new_view ((float *) f, 4, shape);
  seed = g_new0 (float, info->n_classes);
  seed[class_index] = 1.0f;
  if (!mcam_graph_gradient (net->graph, net->target, view, seed, &g, NULL, error))
    return FALSE;
  memcpy (grad, g->data, sizeof (float) * g->n);
  return TRUE;
}

void
mcam_net_scores (McamNet *net, const float *logits, float *scores)
{
  int n = net->info.n_classes;

  if (net->info.multilabel)
    {
      for (int i = 0; i < n; i++)
        scores[i] = (float) (1.0 / (1.0 + exp (-(double) logits[i])));
      return;
    }

  double max = logits[0], sum = 0.0;

  for (int i = 1; i < n; i++)
    max = MAX (max, (double) logits[i]);
  for (int i = 0; i < n; i++)
    sum += exp ((double) logits[i] - max);
  for (int i = 0; i < n; i++)
    scores[i] = (float) (exp ((double) logits[i] - max) / sum);
}

int
mcam_net_find_class (McamNet *net, const char *name_or_index)
{
  char *end = NULL;
  gint64 idx;

  g_return_val_if_fail (net != NULL, -1);
  if (name_or_index == NULL || *name_or_index == '\0')
    return -1;
  /* A name wins over an index: a class may be called "3". */
  for (int i = 0; i < net->info.n_classes; i++)
    if (strcmp (net->info.classes[i], name_or_index) == 0)
      return i;
  if (!g_ascii_isdigit (name_or_index[0]))
    return -1;
  errno = 0;
  idx = g_ascii_strtoll (name_or_index, &end, 10);
  if (errno != 0 || *end != '\0' || idx < 0 || idx >= net->info.n_classes)
    return -1;
  return (int) idx;
}
