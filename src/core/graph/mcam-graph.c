/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The graph IR's builder: values and nodes added in topological order, every
 * node's output shape inferred and its inputs checked as it is added, small
 * all-constant nodes folded on the spot. See README.md in this folder. */

#include "config.h"

#include <string.h>

#include "mcam/mcam-error.h"
#include "mcam-graph-private.h"
#include "mcam-graph-run.h"

/* Bounds that keep a hostile file from asking for absurd allocations. */
#define MAX_ELEMENTS ((gint64) 1 << 31)

static const char *const op_names[MCAM_OP_N_TYPES] = {
  [MCAM_OP_CONV] = "Conv",
  [MCAM_OP_BATCHNORM] = "BatchNormalization",
  [MCAM_OP_SCALE_SHIFT] = "ScaleShift",
  [MCAM_OP_MAXPOOL] = "MaxPool",
  [MCAM_OP_AVGPOOL] = "AveragePool",
  [MCAM_OP_GLOBAL_AVGPOOL] = "GlobalAveragePool",
  [MCAM_OP_FLATTEN] = "Flatten",
  [MCAM_OP_RESHAPE] = "Reshape",
  [MCAM_OP_GEMM] = "Gemm",
  [MCAM_OP_MATMUL] = "MatMul",
  [MCAM_OP_ADD] = "Add",
  [MCAM_OP_SUB] = "Sub",
  [MCAM_OP_MUL] = "Mul",
  [MCAM_OP_DIV] = "Div",
  [MCAM_OP_POW] = "Pow",
  [MCAM_OP_UNARY] = "Unary",
  [MCAM_OP_CONCAT] = "Concat",
  [MCAM_OP_PAD] = "Pad",
  [MCAM_OP_TRANSPOSE] = "Transpose",
  [MCAM_OP_REDUCE_MEAN] = "ReduceMean",
  [MCAM_OP_LAYERNORM] = "LayerNormalization",
  [MCAM_OP_SOFTMAX] = "Softmax",
};

const char *
mcam_op_type_to_string (McamOpType op)
{
  return op < MCAM_OP_N_TYPES ? op_names[op] : "?";
}

void
mcam_node_attrs_init (McamNodeAttrs *a)
{
  memset (a, 0, sizeof *a);
  a->stride[0] = a->stride[1] = 1;
  a->dilation[0] = a->dilation[1] = 1;
  a->group = 1;
  a->axis = 1;
  a->alpha = a->beta = 1.0f;
  a->eps = 1e-5f;
  a->keepdims = TRUE;
}

static void
node_free (gpointer p)
{
  McamNode *node = p;

  _mcam_node_clear_prepared (node);
  g_free (node->name);
  g_free (node->inputs);
  g_free (node);
}

McamGraph *
mcam_graph_new (const char *source)
{
  McamGraph *g = g_new0 (McamGraph, 1);

  g->source = g_strdup (source ? source : "(graph)");
  g->values = g_array_new (FALSE, TRUE, sizeof (McamValue));
  g->nodes = g_ptr_array_new_with_free_func (node_free);
  g->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  g->input = g->output = -1;
  g_mutex_init (&g->ws_lock);
  return g;
}

void
mcam_graph_free (McamGraph *g)
{
  if (g == NULL)
    return;
  for (guint i = 0; i < g->values->len; i++)
    {
      McamValue *v = _mcam_graph_value (g, i);
      g_free (v->name);
      g_free (v->data);
    }
  g_hash_table_destroy (g->by_name);
  g_array_free (g->values, TRUE);
  g_ptr_array_free (g->nodes, TRUE);
  _mcam_graph_buffer_free (g->ws);
  g_mutex_clear (&g->ws_lock);
  g_free (g->source);
  g_free (g);
}

int
mcam_graph_find_value (McamGraph *g, const char *name)
{
  return GPOINTER_TO_INT (g_hash_table_lookup (g->by_name, name)) - 1;
}

static int
add_value (McamGraph *g, const char *name, const McamShape *s, gboolean batched, float *data,
           int producer, GError **error)
{
  McamValue v = { 0 };
  gint64 n = 1;

  if (name == NULL || *name == '\0' || mcam_graph_find_value (g, name) >= 0)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_FORMAT,
                   "%s: value '%s' is %s", g->source, name ? name : "",
                   name && *name ? "defined twice" : "unnamed");
      g_free (data);
      return -1;
    }
  if (s->ndim < 0 || s->ndim > MCAM_GRAPH_MAX_DIMS)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_UNSUPPORTED,
                   "%s: value '%s' has %d dimensions (at most %d supported)", g->source, name,
                   s->ndim, MCAM_GRAPH_MAX_DIMS);
      g_free (data);
      return -1;
    }
  for (int k = 0; k < s->ndim; k++)
    {
      if (s->d[k] < 1 || s->d[k] > MAX_ELEMENTS || (n *= s->d[k]) > MAX_ELEMENTS)
        {
          g_autofree char *str = mcam_tensor_shape_to_string (s->ndim, s->d);
          g_set_error (error, MCAM_ERROR, MCAM_ERROR_SHAPE,
                       "%s: value '%s' would have shape %s (empty or too large)", g->source,
                       name, str);
          g_free (data);
          return -1;
        }
    }
  v.name = g_strdup (name);
  v.ndim = s->ndim;
  memcpy (v.shape, s->d, sizeof v.shape);
  v.batched = batched;
  v.data = data;
  v.producer = producer;
  v.last_use = -1;
  g_array_append_val (g->values, v);
  g_hash_table_insert (g->by_name, _mcam_graph_value (g, g->values->len - 1)->name,
                       GINT_TO_POINTER (g->values->len));
  return (int) g->values->len - 1;
}

int
mcam_graph_add_input (McamGraph *g, const char *name, int ndim, const gint64 *shape,
                      GError **error)
{
  McamShape s = { ndim, { 0 } };

  g_return_val_if_fail (!g->finished, -1);
  if (g->input >= 0)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_UNSUPPORTED,
                   "%s: a second image input '%s' (only a single image input is supported)",
                   g->source, name);
      return -1;
    }
  if (ndim != 4)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_UNSUPPORTED,
                   "%s: input '%s' has %d dimensions, expected an image batch [N,C,H,W]",
                   g->source, name, ndim);
      return -1;
    }
  memcpy (s.d, shape, sizeof (gint64) * ndim);
  s.d[0] = 1;
  g->input = add_value (g, name, &s, TRUE, NULL, -1, error);
  return g->input;
}

int
mcam_graph_add_constant (McamGraph *g, const char *name, int ndim, const gint64 *shape,
                         float *data, GError **error)
{
  McamShape s = { ndim, { 0 } };

  g_return_val_if_fail (!g->finished && data != NULL, -1);
  if (ndim > MCAM_GRAPH_MAX_DIMS || ndim < 0)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_UNSUPPORTED,
                   "%s: constant '%s' has %d dimensions (at most %d supported)", g->source,
                   name, ndim, MCAM_GRAPH_MAX_DIMS);
      g_free (data);
      return -1;
    }
  memcpy (s.d, shape, sizeof (gint64) * ndim);
  return add_value (g, name, &s, FALSE, data, -1, error);
}

/* ---- shape inference ------------------------------------------------------ */

static gboolean
shape_error (McamGraph *g, const McamNode *node, const McamShape *in, const char *why,
             GError **error)
{
  GString *s = g_string_new (NULL);

  for (int i = 0; i < node->n_inputs; i++)
    {
      g_autofree char *str = mcam_tensor_shape_to_string (in[i].ndim, in[i].d);
      g_string_append_printf (s, "%s%s", i ? ", " : "", str);
    }
  g_set_error (error, MCAM_ERROR, MCAM_ERROR_SHAPE, "%s: node '%s' (%s) on inputs %s: %s",
               g->source, node->name, mcam_op_type_to_string (node->op), s->str, why);
  g_string_free (s, TRUE);
  return FALSE;
}

static gboolean
unsupported (McamGraph *g, const McamNode *node, const char *why, GError **error)
{
  g_set_error (error, MCAM_ERROR, MCAM_ERROR_UNSUPPORTED, "%s: node '%s' (%s): %s",
               g->source, node->name, mcam_op_type_to_string (node->op), why);
  return FALSE;
}

/* Output side of a window op; ceil mode drops a last window that would start
 * in the end padding (PyTorch's and ONNX's rule). */
static gint64
window_out (gint64 in, int k, int s, int p0, int p1, gboolean ceil_mode)
{
  gint64 span = in + p0 + p1 - k;
  gint64 o;

  if (span < 0 || s < 1)
    return 0;
  o = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
  if (ceil_mode && (o - 1) * s >= in + p0)
    o--;
  return o;
}

static gboolean
infer_broadcast (McamGraph *g, const McamNode *node, const McamShape *in, McamShape *out,
                 GError **error)
{
  *out = in[0];
  for (int i = 1; i < node->n_inputs; i++)
    {
      McamShape r = { MAX (out->ndim, in[i].ndim), { 0 } };

      for (int k = 0; k < r.ndim; k++)
        {
          int ka = k - (r.ndim - out->ndim), kb = k - (r.ndim - in[i].ndim);
          gint64 a = ka >= 0 ? out->d[ka] : 1, b = kb >= 0 ? in[i].d[kb] : 1;

          if (a != b && a != 1 && b != 1)
            return shape_error (g, node, in, "the shapes do not broadcast", error);
          r.d[k] = a == 1 ? b : a;
        }
      *out = r;
    }
  return TRUE;
}

gboolean
_mcam_graph_infer (McamGraph *g, const McamNode *node, const McamShape *in, McamShape *out,
                   GError **error)
{
  const McamNodeAttrs *at = &node->attrs;
  const McamShape *x = &in[0];

  memset (out, 0, sizeof *out);
  switch (node->op)
    {
    case MCAM_OP_CONV:
      {
        const McamShape *w = &in[1];

        if (node->n_inputs < 2 || x->ndim != 4 || w->ndim != 4 || at->group < 1 ||
            w->d[1] * at->group != x->d[1] || w->d[0] % at->group != 0 ||
            (node->n_inputs > 2 && (in[2].ndim != 1 || in[2].d[0] != w->d[0])))
          return shape_error (g, node, in, "expected x [N,C,H,W], w [O,C/group,kh,kw], b [O]",
                              error);
        out->ndim = 4;
        out->d[0] = x->d[0];
        out->d[1] = w->d[0];
        out->d[2] = window_out (x->d[2], (int) w->d[2], at->stride[0], at->pads[0], at->pads[2], FALSE);
        out->d[3] = window_out (x->d[3], (int) w->d[3], at->stride[1], at->pads[1], at->pads[3], FALSE);
        if (out->d[2] < 1 || out->d[3] < 1)
          return shape_error (g, node, in, "the input is smaller than the kernel", error);
        return TRUE;
      }
    case MCAM_OP_BATCHNORM:
    case MCAM_OP_SCALE_SHIFT:
      /* a BatchNorm the rewrites made a scale/shift keeps its 5 inputs */
      if (x->ndim < 2 || (node->op == MCAM_OP_BATCHNORM ? node->n_inputs != 5 : node->n_inputs < 3))
        return shape_error (g, node, in, node->op == MCAM_OP_BATCHNORM
                                           ? "expected x [N,C,...], scale, bias, mean, var [C]"
                                           : "expected x [N,C,...], scale, shift [C]", error);
      for (int i = 1; i < node->n_inputs; i++)
        if (in[i].ndim != 1 || in[i].d[0] != x->d[1])
          return shape_error (g, node, in, "each parameter must be [C]", error);
      *out = *x;
      return TRUE;
    case MCAM_OP_MAXPOOL:
    case MCAM_OP_AVGPOOL:
      if (x->ndim != 4)
        return shape_error (g, node, in, "expected x [N,C,H,W]", error);
      *out = *x;
      out->d[2] = window_out (x->d[2], at->kernel[0], at->stride[0], at->pads[0], at->pads[2],
                              at->ceil_mode);
      out->d[3] = window_out (x->d[3], at->kernel[1], at->stride[1], at->pads[1], at->pads[3],
                              at->ceil_mode);
      if (out->d[2] < 1 || out->d[3] < 1 || at->kernel[0] < 1 || at->kernel[1] < 1)
        return shape_error (g, node, in, "the input is smaller than the window", error);
      return TRUE;
    case MCAM_OP_GLOBAL_AVGPOOL:
      if (x->ndim != 4)
        return shape_error (g, node, in, "expected x [N,C,H,W]", error);
      *out = *x;
      out->d[2] = out->d[3] = 1;
      return TRUE;
    case MCAM_OP_FLATTEN:
      {
        int axis = at->axis < 0 ? at->axis + x->ndim : at->axis;

        if (axis != 1 || x->ndim < 2)
          return unsupported (g, node, "only Flatten at axis 1 (the batch stays) is supported",
                              error);
        out->ndim = 2;
        out->d[0] = x->d[0];
        out->d[1] = 1;
        for (int k = 1; k < x->ndim; k++)
          out->d[1] *= x->d[k];
        return TRUE;
      }
    case MCAM_OP_RESHAPE:
      {
        gint64 known = 1, total = _mcam_shape_numel (x);
        int infer = -1;

        out->ndim = at->ndim;
        for (int k = 0; k < at->ndim; k++)
          {
            out->d[k] = at->shape[k] == 0 && k < x->ndim ? x->d[k] : at->shape[k];
            if (k == 0 && at->shape[k] != 0 && at->shape[k] != -1 &&
                g_array_index (g->values, McamValue, node->inputs[0]).batched)
              out->d[0] = x->d[0];
            if (out->d[k] == -1 && infer < 0)
              infer = k;
            else if (out->d[k] < 1 || out->d[k] > MAX_ELEMENTS)
              return shape_error (g, node, in, "a target size is not positive, or too large",
                                  error);
            else
              known *= out->d[k];
          }
        if (infer >= 0)
          out->d[infer] = known > 0 && total % known == 0 ? total / known : -1;
        if (out->ndim < 1 || _mcam_shape_numel (out) != total)
          return shape_error (g, node, in, "the target shape holds another number of elements",
                              error);
        return TRUE;
      }
    case MCAM_OP_GEMM:
      {
        const McamShape *w = &in[node->n_inputs < 2 ? 0 : 1];
        gint64 K = w->d[at->trans_b ? 1 : 0], O = w->d[at->trans_b ? 0 : 1];

        if (node->n_inputs < 2 || x->ndim != 2 || w->ndim != 2 || x->d[1] != K ||
            (node->n_inputs > 2 && _mcam_shape_numel (&in[2]) != O && _mcam_shape_numel (&in[2]) != 1))
          return shape_error (g, node, in, "expected x [N,K], w [O,K] (transB) or [K,O], b [O]",
                              error);
        out->ndim = 2;
        out->d[0] = x->d[0];
        out->d[1] = O;
        return TRUE;
      }
    case MCAM_OP_MATMUL:
      {
        const McamShape *w = &in[1];

        if (node->n_inputs != 2 || x->ndim < 2 || w->ndim != 2 || x->d[x->ndim - 1] != w->d[0])
          return shape_error (g, node, in, "expected x [..., K] and a constant w [K, O]", error);
        *out = *x;
        out->d[x->ndim - 1] = w->d[1];
        return TRUE;
      }
    case MCAM_OP_ADD:
    case MCAM_OP_SUB:
    case MCAM_OP_MUL:
    case MCAM_OP_DIV:
    case MCAM_OP_POW:
      if (node->n_inputs != 2)
        return shape_error (g, node, in, "expected two inputs", error);
      return infer_broadcast (g, node, in, out, error);
    case MCAM_OP_UNARY:
      *out = *x;
      return TRUE;
    case MCAM_OP_CONCAT:
      {
        int axis = at->axis < 0 ? at->axis + x->ndim : at->axis;

        if (axis < 0 || axis >= x->ndim)
          return shape_error (g, node, in, "the axis is out of range", error);
        *out = *x;
        for (int i = 1; i < node->n_inputs; i++)
          {
            if (in[i].ndim != x->ndim)
              return shape_error (g, node, in, "the inputs differ in rank", error);
            for (int k = 0; k < x->ndim; k++)
              if (k != axis && in[i].d[k] != x->d[k])
                return shape_error (g, node, in, "the inputs differ off the concat axis", error);
            out->d[axis] += in[i].d[axis];
          }
        return TRUE;
      }
    case MCAM_OP_PAD:
      if (x->ndim != 4)
        return unsupported (g, node, "only the H and W axes of a 4-D map can be padded", error);
      *out = *x;
      out->d[2] += at->pads[0] + at->pads[2];
      out->d[3] += at->pads[1] + at->pads[3];
      if (out->d[2] < 1 || out->d[3] < 1)
        return shape_error (g, node, in, "negative pads leave nothing", error);
      return TRUE;
    case MCAM_OP_TRANSPOSE:
      {
        guint seen = 0;

        out->ndim = x->ndim;
        for (int k = 0; k < x->ndim; k++)
          {
            int p = at->perm[k];

            if (p < 0 || p >= x->ndim || (seen & (1u << p)))
              return shape_error (g, node, in, "perm is not a permutation", error);
            seen |= 1u << p;
            out->d[k] = x->d[p];
          }
        if (at->perm[0] != 0 && g_array_index (g->values, McamValue, node->inputs[0]).batched)
          return unsupported (g, node, "a transpose may not move the batch axis", error);
        return TRUE;
      }
    case MCAM_OP_REDUCE_MEAN:
      *out = *x;
      if (at->axes_mask == 0 || (at->axes_mask >> x->ndim) != 0)
        return shape_error (g, node, in, "the axes are out of range", error);
      if ((at->axes_mask & 1) && g_array_index (g->values, McamValue, node->inputs[0]).batched)
        return unsupported (g, node, "a reduction over the batch axis", error);
      out->ndim = 0;
      for (int k = 0; k < x->ndim; k++)
        if (!(at->axes_mask & (1u << k)))
          out->d[out->ndim++] = x->d[k];
        else if (at->keepdims)
          out->d[out->ndim++] = 1;
      return TRUE;
    case MCAM_OP_LAYERNORM:
      if (node->n_inputs != 3 || x->ndim < 3 || in[1].ndim != 1 || in[2].ndim != 1 ||
          in[1].d[0] != x->d[x->ndim - 1] || in[2].d[0] != x->d[x->ndim - 1])
        return shape_error (g, node, in, "expected x [N,...,D] (3-D or more), gamma [D], beta [D]",
                            error);
      *out = *x;
      return TRUE;
    case MCAM_OP_SOFTMAX:
    case MCAM_OP_N_TYPES:
      break;
    }
  return unsupported (g, node, "not supported by the engine", error);
}

/* ---- nodes ------------------------------------------------------------------ */

/* Nodes every input of which is a constant are computed now (shape
 * arithmetic, constant sub-expressions of an exporter). */
static gboolean
foldable (McamOpType op)
{
  switch (op)
    {
    case MCAM_OP_ADD: case MCAM_OP_SUB: case MCAM_OP_MUL: case MCAM_OP_DIV: case MCAM_OP_POW:
    case MCAM_OP_UNARY: case MCAM_OP_CONCAT: case MCAM_OP_TRANSPOSE: case MCAM_OP_FLATTEN:
    case MCAM_OP_RESHAPE: case MCAM_OP_REDUCE_MEAN:
      return TRUE;
    default:
      return FALSE;
    }
}

int
mcam_graph_add_node (McamGraph *g, McamOpType op, const char *node_name, const int *inputs,
                     int n_inputs, const char *output_name, const McamNodeAttrs *attrs,
                     GError **error)
{
  g_autofree McamShape *in = NULL;
  McamNode *node;
  McamShape out;
  gboolean batched = FALSE;
  int index;

  g_return_val_if_fail (!g->finished && n_inputs >= 1, -1);
  node = g_new0 (McamNode, 1);
  node->op = op;
  node->name = g_strdup (node_name && *node_name ? node_name : output_name);
  node->inputs = g_memdup2 (inputs, sizeof (int) * n_inputs);
  node->n_inputs = n_inputs;
  node->residual = -1;
  if (attrs != NULL)
    node->attrs = *attrs;
  else
    mcam_node_attrs_init (&node->attrs);

  in = g_new0 (McamShape, n_inputs);
  for (int i = 0; i < n_inputs; i++)
    {
      const McamValue *v;

      if (inputs[i] < 0 || inputs[i] >= (int) g->values->len)
        {
          g_set_error (error, MCAM_ERROR, MCAM_ERROR_FORMAT,
                       "%s: node '%s' (%s) reads input %d, which no earlier node or "
                       "initializer defines (dangling input, or a cycle)", g->source,
                       node->name, mcam_op_type_to_string (op), i);
          node_free (node);
          return -1;
        }
      v = _mcam_graph_value (g, inputs[i]);
      in[i].ndim = v->ndim;
      memcpy (in[i].d, v->shape, sizeof in[i].d);
      batched |= v->batched;
    }
  if (!_mcam_graph_infer (g, node, in, &out, error))
    {
      node_free (node);
      return -1;
    }

  if (!batched && foldable (op))
    {
      g_autofree McamView *views = g_new0 (McamView, n_inputs);
      McamView ov;
      gint64 n = _mcam_shape_numel (&out);
      float *data;

      if (n > MAX_ELEMENTS)
        {
          node_free (node);
          return shape_error (g, node, in, "the result is too large", error), -1;
        }
      data = g_new0 (float, n);
      for (int i = 0; i < n_inputs; i++)
        _mcam_view_init (&views[i], _mcam_graph_value (g, inputs[i])->data, &in[i], FALSE);
      _mcam_view_init (&ov, data, &out, FALSE);
      _mcam_graph_eval_simple (node, views, &ov);
      node_free (node);
      return add_value (g, output_name, &out, FALSE, data, -1, error);
    }
  if (!batched)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_UNSUPPORTED,
                   "%s: node '%s' (%s) computes from constants only and is not folded",
                   g->source, node->name, mcam_op_type_to_string (op));
      node_free (node);
      return -1;
    }

  index = add_value (g, output_name, &out, TRUE, NULL, (int) g->nodes->len, error);
  if (index < 0)
    {
      node_free (node);
      return -1;
    }
  node->output = index;
  g_ptr_array_add (g->nodes, node);
  return index;
}

/* ---- the finished graph --------------------------------------------------- */

gboolean
mcam_graph_finish (McamGraph *g, int output, GError **error)
{
  const McamValue *o;

  g_return_val_if_fail (!g->finished, FALSE);
  if (g->input < 0)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_FORMAT, "%s: the graph has no image input",
                   g->source);
      return FALSE;
    }
  if (output < 0 || output >= (int) g->values->len)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_FORMAT, "%s: the graph has no output",
                   g->source);
      return FALSE;
    }
  o = _mcam_graph_value (g, output);
  if (!o->batched || o->ndim != 2)
    {
      g_autofree char *s = mcam_tensor_shape_to_string (o->ndim, o->shape);
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_UNSUPPORTED,
                   "%s: output '%s' has shape %s; expected logits [N, classes] computed "
                   "from the image", g->source, o->name, s);
      return FALSE;
    }
  g->output = output;
  if (!_mcam_graph_rewrite (g, error))
    return FALSE;
  g->finished = TRUE;
  return TRUE;
}

int
mcam_graph_get_n_values (McamGraph *g)
{
  return (int) g->values->len;
}

const McamValue *
mcam_graph_get_value (McamGraph *g, int index)
{
  g_return_val_if_fail (index >= 0 && index < (int) g->values->len, NULL);
  return _mcam_graph_value (g, index);
}

int
mcam_graph_get_input (McamGraph *g)
{
  return g->input;
}

int
mcam_graph_get_output (McamGraph *g)
{
  return g->output;
}

double
mcam_graph_flops (McamGraph *g)
{
  double flops = 0.0;

  for (guint i = 0; i < g->nodes->len; i++)
    {
      McamNode *n = _mcam_graph_node (g, i);
      const McamValue *o = _mcam_graph_value (g, n->output);

      if (n->dead)
        continue;
      if (n->op == MCAM_OP_CONV)
        flops += 2.0 * o->shape[1] * o->shape[2] * o->shape[3] *
                 (double) (n->in_c / n->attrs.group) * n->kh * n->kw;
      else if (n->op == MCAM_OP_GEMM || n->op == MCAM_OP_MATMUL)
        flops += 2.0 * mcam_shape_numel (o->ndim, o->shape) * n->in_c;
    }
  return flops;
}

/* Pooling (or a mean over H and W) that makes a map smaller; with
 * `flatten`, also a Flatten/Reshape of a map (a head without pooling). A
 * ReduceMean over the last axis of a transposed map (a LayerNorm's
 * statistics) does not count. */
static gboolean
reduces_space (McamGraph *g, const McamNode *n, gboolean flatten)
{
  const McamValue *x = _mcam_graph_value (g, n->inputs[0]);
  const McamValue *o = _mcam_graph_value (g, n->output);

  if (x->ndim != 4 || !x->batched || x->shape[2] * x->shape[3] == 1)
    return FALSE;
  if (n->op == MCAM_OP_REDUCE_MEAN)
    return (n->attrs.axes_mask & 0xc) == 0xc;
  if (o->ndim != 4)
    return flatten && (n->op == MCAM_OP_FLATTEN || n->op == MCAM_OP_RESHAPE);
  return o->shape[2] * o->shape[3] < x->shape[2] * x->shape[3] &&
         (n->op == MCAM_OP_GLOBAL_AVGPOOL || n->op == MCAM_OP_AVGPOOL ||
          n->op == MCAM_OP_MAXPOOL);
}

static int
last_reducing (McamGraph *g, gboolean flatten)
{
  g_autofree gboolean *needed = g_new0 (gboolean, g->values->len);

  needed[g->output] = TRUE;
  for (int i = (int) g->nodes->len - 1; i >= 0; i--)
    {
      McamNode *n = _mcam_graph_node (g, i);

      if (n->dead || !needed[n->output])
        continue;
      if (reduces_space (g, n, flatten))
        return n->inputs[0];
      for (int k = 0; k < n->n_inputs; k++)
        needed[n->inputs[k]] = TRUE;
      if (n->residual >= 0)
        needed[n->residual] = TRUE;
    }
  return -1;
}

int
mcam_graph_default_target (McamGraph *g)
{
  int t;

  g_return_val_if_fail (g->output >= 0, -1);
  t = last_reducing (g, FALSE);
  return t >= 0 ? t : last_reducing (g, TRUE);
}

gboolean
mcam_graph_get_linear_head (McamGraph *g, int target, const float **weight, const float **bias)
{
  const McamValue *o = _mcam_graph_value (g, g->output);
  McamNode *gemm, *flat, *gap;

  if (o->producer < 0)
    return FALSE;
  gemm = _mcam_graph_node (g, o->producer);
  if (gemm->op != MCAM_OP_GEMM || gemm->attrs.act.kind != MCAM_ACT_NONE ||
      _mcam_graph_value (g, gemm->inputs[0])->producer < 0)
    return FALSE;
  flat = _mcam_graph_node (g, _mcam_graph_value (g, gemm->inputs[0])->producer);
  if ((flat->op != MCAM_OP_FLATTEN && flat->op != MCAM_OP_RESHAPE) ||
      _mcam_graph_value (g, flat->inputs[0])->producer < 0)
    return FALSE;
  gap = _mcam_graph_node (g, _mcam_graph_value (g, flat->inputs[0])->producer);
  if (gap->op != MCAM_OP_GLOBAL_AVGPOOL || gap->inputs[0] != target)
    return FALSE;
  *weight = gemm->weight;
  *bias = gemm->bias;
  return TRUE;
}

GArray *
mcam_graph_list_maps (McamGraph *g)
{
  GArray *maps = g_array_new (FALSE, FALSE, sizeof (int));

  for (guint i = 0; i < g->values->len; i++)
    {
      const McamValue *v = _mcam_graph_value (g, i);

      /* producer -2: a value a rewrite fused away */
      if (v->batched && v->ndim == 4 && v->producer != -2)
        g_array_append_val (maps, i);
    }
  return maps;
}
