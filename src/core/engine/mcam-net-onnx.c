/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A McamNet from an ONNX file: the graph (graph/mcam-graph-onnx.c), the
 * mcam.* keys from metadata_props (what is missing is assumed and marked so),
 * the class count from the logits output. */

#include "config.h"

#include <string.h>

#include "mcam/mcam-error.h"
#include "mcam-graph-onnx.h"
#include "mcam-model-meta.h"
#include "mcam-net-private.h"

static const char *
get_meta (gpointer source, const char *key)
{
  return mcam_onnx_model_get_metadata (source, key);
}

/* mcam.target names the layer to explain; mcam.arch a family name for show. */
static const char *const onnx_keys[] = { "mcam.target", "mcam.arch", NULL };

gboolean
_mcam_net_build_onnx (McamNet *net, const char *path, GError **error)
{
  g_autoptr (McamOnnxModel) m = mcam_onnx_model_load (path, error);
  g_autofree const char **keys = NULL;
  McamNetInfo *info = &net->info;
  McamModelMeta meta = { { 0 } };
  McamGraph *graph;
  const McamValue *out;
  const char *arch, *target;
  int n_nodes = 0;

  if (m == NULL)
    return FALSE;
  keys = g_new0 (const char *, m->n_metadata + 1);
  for (guint i = 0; i < m->n_metadata; i++)
    keys[i] = m->metadata[i].key;
  if (!mcam_model_meta_read (&meta, get_meta, m, keys, onnx_keys, path, error))
    return FALSE;
  graph = mcam_graph_from_onnx (m, &info->fingerprint, &info->n_params, error);
  if (graph == NULL)
    {
      mcam_model_meta_clear (&meta);
      return FALSE;
    }
  /* images are RGB, and the graph's H x W is static (the scope) */
  {
    const McamValue *in = mcam_graph_get_value (graph, mcam_graph_get_input (graph));

    if (in->shape[1] != 3 ||
        (!(meta.assumed & MCAM_META_INPUT) &&
         (meta.preprocess.width != in->shape[3] || meta.preprocess.height != in->shape[2])))
      {
        g_set_error (error, MCAM_ERROR, MCAM_ERROR_MISMATCH,
                     "%s: input '%s' is [N,%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT ",%"
                     G_GINT64_FORMAT "]; expected 3 channels (RGB) and H x W = mcam.input "
                     "(%dx%d, width x height)", path, in->name, in->shape[1], in->shape[2],
                     in->shape[3], meta.preprocess.width, meta.preprocess.height);
        mcam_model_meta_clear (&meta);
        mcam_graph_free (graph);
        return FALSE;
      }
  }
  /* no mcam.input: the graph's own input size */
  if (meta.assumed & MCAM_META_INPUT)
    {
      const McamValue *in = mcam_graph_get_value (graph, mcam_graph_get_input (graph));

      meta.preprocess.width = (int) in->shape[3];
      meta.preprocess.height = (int) in->shape[2];
      if (meta.assumed & MCAM_META_RESIZE_SIZE)
        meta.preprocess.resize_size =
          mcam_preprocess_default_resize_size (meta.preprocess.width, meta.preprocess.height);
    }
  info->preprocess = meta.preprocess;
  info->multilabel = meta.multilabel;
  info->meta_assumed = meta.assumed;
  info->unknown_keys = g_steal_pointer (&meta.unknown_keys);
  out = mcam_graph_get_value (graph, mcam_graph_get_output (graph));
  if (!_mcam_model_meta_take_classes (&meta, (int) out->shape[1], path, out->name,
                                      &info->classes, error))
    {
      mcam_model_meta_clear (&meta);
      mcam_graph_free (graph);
      return FALSE;
    }
  info->n_classes = (int) out->shape[1];
  mcam_model_meta_clear (&meta);
  arch = mcam_onnx_model_get_metadata (m, "mcam.arch");
  info->arch = g_strdup (arch ? arch : "onnx");
  for (guint i = 0; i < m->n_nodes; i++)
    n_nodes += strcmp (m->nodes[i].op_type, "Constant") != 0;
  info->description = g_strdup_printf ("ONNX graph, opset %" G_GINT64_FORMAT ", %d nodes%s%s",
                                       mcam_onnx_model_get_opset (m, ""), n_nodes,
                                       *m->producer_name ? ", from " : "", m->producer_name);
  info->n_tensors = m->n_initializers;
  if (!_mcam_net_set_graph (net, graph, error))
    return FALSE;
  target = mcam_onnx_model_get_metadata (m, "mcam.target");
  return target == NULL || mcam_net_set_target (net, target, error);
}
