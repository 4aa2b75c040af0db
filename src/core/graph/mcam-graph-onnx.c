/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ONNX (the plain structs of io/mcam-onnx.c) to the graph IR: each node
 * translated to one IR node (Identity/Dropout to an alias, Constant and
 * int64 shape inputs to constants), in the file's order, which ONNX
 * requires to be topological. Scope: fp32, the default domain, opset 11-18,
 * static H x W (a dynamic batch axis is fine), one image input, one logits
 * output; anything else is refused naming the node, its op type and opset. */

#include "config.h"

#include <math.h>
#include <string.h>

#include "mcam/mcam-error.h"
#include "mcam-graph-onnx.h"
#include "mcam-graph-private.h"

#define MIN_OPSET 11
#define MAX_OPSET 18
#define SCOPE "(supported: fp32, default domain, opset 11-18, static H x W, one image input, one logits output)"

typedef struct
{
  const McamOnnxModel *m;
  McamGraph   *g;
  gint64       opset;
  GHashTable  *alias;     /* ONNX name -> value index + 1 (Identity, Dropout) */
  GHashTable  *ints;      /* ONNX name -> GArray of gint64 (shape inputs) */
  GChecksum   *sum;
  gint64       n_params;
} Tr;

static gboolean
refuse (Tr *tr, const McamOnnxNode *n, int code, const char *why, GError **error)
{
  g_set_error (error, MCAM_ERROR, code, "%s: node '%s' (%s, opset %" G_GINT64_FORMAT "): %s %s",
               tr->m->path, *n->name ? n->name : (n->n_outputs ? n->outputs[0] : "?"),
               n->op_type, tr->opset, why, SCOPE);
  return FALSE;
}

/* The value an ONNX name refers to: a value already made, or a float
 * initializer made a constant now. -1 (no error) for "", -2 on error. */
static int
value_of (Tr *tr, const McamOnnxNode *n, const char *name, GError **error)
{
  gpointer p;
  const McamOnnxTensor *t;
  int v;

  if (name == NULL || *name == '\0')
    return -1;
  if ((p = g_hash_table_lookup (tr->alias, name)) != NULL)
    return GPOINTER_TO_INT (p) - 1;
  if ((v = mcam_graph_find_value (tr->g, name)) >= 0)
    return v;
  t = mcam_onnx_model_get_initializer (tr->m, name);
  if (t != NULL)
    {
      float *data;

      if (t->dtype != MCAM_ONNX_DTYPE_FLOAT && t->dtype != MCAM_ONNX_DTYPE_DOUBLE &&
          t->dtype != MCAM_ONNX_DTYPE_FLOAT16)
        {
          g_autofree char *why = g_strdup_printf ("initializer '%s' is %s, not a float tensor",
                                                  name, mcam_onnx_dtype_name (t->dtype));
          return refuse (tr, n, MCAM_ERROR_UNSUPPORTED, why, error), -2;
        }
      if (t->ndim > MCAM_GRAPH_MAX_DIMS)
        return refuse (tr, n, MCAM_ERROR_UNSUPPORTED, "an initializer has too many dimensions",
                       error), -2;
      data = g_try_new (float, MAX (t->n_elements, 1));
      if (data == NULL || !mcam_onnx_tensor_get_floats (t, data, error))
        {
          g_free (data);
          if (error && *error == NULL)
            g_set_error (error, MCAM_ERROR, MCAM_ERROR_TOO_LARGE, "%s: initializer '%s' is too large",
                         tr->m->path, name);
          return -2;
        }
      for (gint64 i = 0; i < t->n_elements; i++)
        if (!isfinite (data[i]))
          {
            g_set_error (error, MCAM_ERROR, MCAM_ERROR_VALUE,
                         "%s: initializer '%s' holds a non-finite value at element %" G_GINT64_FORMAT,
                         tr->m->path, name, i);
            g_free (data);
            return -2;
          }
      g_checksum_update (tr->sum, (const guchar *) name, strlen (name) + 1);
      g_checksum_update (tr->sum, (const guchar *) t->dims, sizeof (gint64) * t->ndim);
      g_checksum_update (tr->sum, (const guchar *) data, sizeof (float) * t->n_elements);
      tr->n_params += t->n_elements;
      v = mcam_graph_add_constant (tr->g, name, t->ndim, t->dims, data, error);
      return v < 0 ? -2 : v;
    }
  g_set_error (error, MCAM_ERROR, MCAM_ERROR_FORMAT,
               "%s: node '%s' (%s) reads '%s', which no earlier node, input or initializer "
               "defines (dangling input, or a cycle)", tr->m->path,
               *n->name ? n->name : n->outputs[0], n->op_type, name);
  return -2;
}

/* An int64 (shape, pads, axes) input: an initializer or a Constant. */
static GArray *
ints_of (Tr *tr, const McamOnnxNode *n, const char *name, GError **error)
{
  const McamOnnxTensor *t;
  GArray *a;

  if ((a = g_hash_table_lookup (tr->ints, name)) != NULL)
    return a;
  t = mcam_onnx_model_get_initializer (tr->m, name);
  if (t == NULL || t->n_elements > 64)
    {
      g_autofree char *why = g_strdup_printf ("input '%s' must be a constant int64 tensor "
                                              "(computed shapes are not supported)", name);
      refuse (tr, n, MCAM_ERROR_UNSUPPORTED, why, error);
      return NULL;
    }
  a = g_array_sized_new (FALSE, TRUE, sizeof (gint64), (guint) t->n_elements);
  g_array_set_size (a, (guint) t->n_elements);
  if (!mcam_onnx_tensor_get_int64s (t, (gint64 *) a->data, error))
    {
      g_array_unref (a);
      return NULL;
    }
  g_hash_table_insert (tr->ints, g_strdup (name), a);
  return a;
}

static gint64
attr_int (const McamOnnxNode *n, const char *name, gint64 dflt)
{
  const McamOnnxAttribute *a = mcam_onnx_node_get_attribute (n, name);
  return a && a->type == MCAM_ONNX_ATTR_INT ? a->i : dflt;
}

static float
attr_float (const McamOnnxNode *n, const char *name, float dflt)
{
  const McamOnnxAttribute *a = mcam_onnx_node_get_attribute (n, name);
  return a && a->type == MCAM_ONNX_ATTR_FLOAT ? a->f : dflt;
}

/* INTS attribute into out[0..n): FALSE when present with another length. */
static gboolean
attr_ints (const McamOnnxNode *n, const char *name, int count, int *out)
{
  const McamOnnxAttribute *a = mcam_onnx_node_get_attribute (n, name);

  if (a == NULL)
    return TRUE;
  if (a->type != MCAM_ONNX_ATTR_INTS || (int) a->n_ints != count)
    return FALSE;
  for (int i = 0; i < count; i++)
    {
      if (a->ints[i] < -65536 || a->ints[i] > 65536)
        return FALSE;
      out[i] = (int) a->ints[i];
    }
  return TRUE;
}

static gboolean
window_attrs (Tr *tr, const McamOnnxNode *n, McamNodeAttrs *at, gboolean has_kernel,
              GError **error)
{
  const McamOnnxAttribute *ap = mcam_onnx_node_get_attribute (n, "auto_pad");
  int dil[2] = { 1, 1 };

  if (ap != NULL && ap->type == MCAM_ONNX_ATTR_STRING && strcmp (ap->s, "NOTSET") != 0 &&
      strcmp (ap->s, "VALID") != 0)
    return refuse (tr, n, MCAM_ERROR_UNSUPPORTED, "auto_pad SAME_* is not supported", error);
  if ((has_kernel && !attr_ints (n, "kernel_shape", 2, at->kernel)) ||
      !attr_ints (n, "strides", 2, at->stride) || !attr_ints (n, "pads", 4, at->pads) ||
      !attr_ints (n, "dilations", 2, dil))
    return refuse (tr, n, MCAM_ERROR_UNSUPPORTED,
                   "kernel_shape/strides/pads/dilations must describe a 2-D window", error);
  at->dilation[0] = dil[0];
  at->dilation[1] = dil[1];
  if (at->stride[0] < 1 || at->stride[1] < 1 || at->pads[0] < 0 || at->pads[1] < 0 ||
      at->pads[2] < 0 || at->pads[3] < 0)
    return refuse (tr, n, MCAM_ERROR_FORMAT, "negative pads or non-positive strides", error);
  if (n->op_type[0] != 'C' && (dil[0] != 1 || dil[1] != 1))
    return refuse (tr, n, MCAM_ERROR_UNSUPPORTED, "dilated pooling is not supported", error);
  return TRUE;
}

static gboolean
translate (Tr *tr, const McamOnnxNode *n, GError **error)
{
  const char *op = n->op_type;
  const char *name = *n->name ? n->name : n->outputs[0];
  McamNodeAttrs at;
  McamOpType type;
  g_autofree int *in = NULL;
  int n_in = 0, out;

  if (n->n_outputs < 1)
    return refuse (tr, n, MCAM_ERROR_FORMAT, "has no output", error);
  if (*n->domain != '\0' && strcmp (n->domain, "ai.onnx") != 0)
    return refuse (tr, n, MCAM_ERROR_UNSUPPORTED, "is not in the default domain", error);
  mcam_node_attrs_init (&at);

  if (strcmp (op, "Constant") == 0)
    {
      const McamOnnxAttribute *a = mcam_onnx_node_get_attribute (n, "value");
      float *data;

      if (a == NULL || a->type != MCAM_ONNX_ATTR_TENSOR || a->t == NULL)
        return refuse (tr, n, MCAM_ERROR_UNSUPPORTED, "only a tensor 'value' is supported", error);
      if (a->t->dtype == MCAM_ONNX_DTYPE_INT64 || a->t->dtype == MCAM_ONNX_DTYPE_INT32)
        {
          GArray *ia;

          if (a->t->n_elements > 64)
            return refuse (tr, n, MCAM_ERROR_UNSUPPORTED, "a large integer constant", error);
          ia = g_array_sized_new (FALSE, TRUE, sizeof (gint64), (guint) a->t->n_elements);
          g_array_set_size (ia, (guint) a->t->n_elements);
          if (!mcam_onnx_tensor_get_int64s (a->t, (gint64 *) ia->data, error))
            {
              g_array_unref (ia);
              return FALSE;
            }
          g_hash_table_insert (tr->ints, g_strdup (n->outputs[0]), ia);
          return TRUE;
        }
      if (a->t->ndim > MCAM_GRAPH_MAX_DIMS || a->t->n_elements > (1 << 26))
        return refuse (tr, n, MCAM_ERROR_UNSUPPORTED, "constant too large", error);
      data = g_new (float, MAX (a->t->n_elements, 1));
      if (!mcam_onnx_tensor_get_floats (a->t, data, error))
        {
          g_free (data);
          return FALSE;
        }
      return mcam_graph_add_constant (tr->g, n->outputs[0], a->t->ndim, a->t->dims, data,
                                      error) >= 0;
    }

  /* every data input; "" (omitted optional) stays -1 */
  in = g_new (int, MAX (n->n_inputs, 5));
  for (guint i = 0; i < MAX (n->n_inputs, 5); i++)
    in[i] = -1;
  for (guint i = 0; i < n->n_inputs; i++)
    {
      gboolean shape_input =
        (i == 1 && (strcmp (op, "Reshape") == 0 || strcmp (op, "Pad") == 0 ||
                    strcmp (op, "ReduceMean") == 0)) ||
        (i == 2 && strcmp (op, "Pad") == 0);
      if (shape_input || ((i == 1 || i == 2) && strcmp (op, "Clip") == 0))
        {
          in[i] = -1;
          continue;
        }
      if ((in[i] = value_of (tr, n, n->inputs[i], error)) == -2)
        return FALSE;
    }
  n_in = (int) n->n_inputs;

  if (strcmp (op, "Identity") == 0 || strcmp (op, "Dropout") == 0)
    {
      if (n_in < 1 || in[0] < 0)
        return refuse (tr, n, MCAM_ERROR_FORMAT, "has no input", error);
      g_hash_table_insert (tr->alias, g_strdup (n->outputs[0]), GINT_TO_POINTER (in[0] + 1));
      return TRUE;
    }

  if (strcmp (op, "Conv") == 0)
    {
      type = MCAM_OP_CONV;
      if (!window_attrs (tr, n, &at, FALSE, error))
        return FALSE;
      at.group = (int) CLAMP (attr_int (n, "group", 1), 0, 1 << 20);
      n_in = in[2] >= 0 && n_in > 2 ? 3 : MIN (n_in, 2);
    }
  else if (strcmp (op, "BatchNormalization") == 0)
    {
      type = MCAM_OP_BATCHNORM;
      at.eps = attr_float (n, "epsilon", 1e-5f);
      n_in = MIN (n_in, 5);
    }
  else if (strcmp (op, "MaxPool") == 0 || strcmp (op, "AveragePool") == 0)
    {
      type = op[0] == 'M' ? MCAM_OP_MAXPOOL : MCAM_OP_AVGPOOL;
      if (!window_attrs (tr, n, &at, TRUE, error))
        return FALSE;
      at.ceil_mode = attr_int (n, "ceil_mode", 0) != 0;
      at.count_include_pad = attr_int (n, "count_include_pad", 0) != 0;
      if (n->n_outputs > 1 && *n->outputs[1])
        return refuse (tr, n, MCAM_ERROR_UNSUPPORTED, "the Indices output", error);
      n_in = 1;
    }
  else if (strcmp (op, "GlobalAveragePool") == 0)
    type = MCAM_OP_GLOBAL_AVGPOOL, n_in = 1;
  else if (strcmp (op, "Flatten") == 0)
    {
      type = MCAM_OP_FLATTEN;
      at.axis = (int) attr_int (n, "axis", 1);
      n_in = 1;
    }
  else if (strcmp (op, "Reshape") == 0)
    {
      GArray *shape;

      type = MCAM_OP_RESHAPE;
      if (n->n_inputs < 2 || (shape = ints_of (tr, n, n->inputs[1], error)) == NULL)
        return FALSE;
      if (shape->len < 1 || shape->len > MCAM_GRAPH_MAX_DIMS)
        return refuse (tr, n, MCAM_ERROR_UNSUPPORTED, "target rank out of range", error);
      at.ndim = (int) shape->len;
      for (guint i = 0; i < shape->len; i++)
        at.shape[i] = g_array_index (shape, gint64, i);
      n_in = 1;
    }
  else if (strcmp (op, "Gemm") == 0)
    {
      type = MCAM_OP_GEMM;
      if (attr_int (n, "transA", 0) != 0)
        return refuse (tr, n, MCAM_ERROR_UNSUPPORTED, "transA = 1", error);
      at.trans_b = attr_int (n, "transB", 0) != 0;
      at.alpha = attr_float (n, "alpha", 1.0f);
      at.beta = attr_float (n, "beta", 1.0f);
      n_in = in[2] >= 0 && n_in > 2 ? 3 : MIN (n_in, 2);
    }
  else if (strcmp (op, "MatMul") == 0)
    type = MCAM_OP_MATMUL, n_in = 2;
  else if (strcmp (op, "Add") == 0)
    type = MCAM_OP_ADD, n_in = 2;
  else if (strcmp (op, "Sub") == 0)
    type = MCAM_OP_SUB, n_in = 2;
  else if (strcmp (op, "Mul") == 0)
    type = MCAM_OP_MUL, n_in = 2;
  else if (strcmp (op, "Div") == 0)
    type = MCAM_OP_DIV, n_in = 2;
  else if (strcmp (op, "Pow") == 0)
    type = MCAM_OP_POW, n_in = 2;
  else if (strcmp (op, "Concat") == 0)
    {
      type = MCAM_OP_CONCAT;
      at.axis = (int) attr_int (n, "axis", 1);
    }
  else if (strcmp (op, "Transpose") == 0)
    {
      const McamOnnxAttribute *a = mcam_onnx_node_get_attribute (n, "perm");

      type = MCAM_OP_TRANSPOSE;
      if (a == NULL || a->type != MCAM_ONNX_ATTR_INTS || a->n_ints > MCAM_GRAPH_MAX_DIMS)
        return refuse (tr, n, MCAM_ERROR_UNSUPPORTED, "needs a perm attribute", error);
      for (guint i = 0; i < a->n_ints; i++)
        at.perm[i] = (int) CLAMP (a->ints[i], -1, MCAM_GRAPH_MAX_DIMS);
      n_in = 1;
    }
  else if (strcmp (op, "ReduceMean") == 0)
    {
      const McamOnnxAttribute *a = mcam_onnx_node_get_attribute (n, "axes");
      int rank = in[0] >= 0 ? mcam_graph_get_value (tr->g, in[0])->ndim : 0;
      GArray *axes = NULL;

      type = MCAM_OP_REDUCE_MEAN;
      at.keepdims = attr_int (n, "keepdims", 1) != 0;
      if (n->n_inputs > 1 && *n->inputs[1] && (axes = ints_of (tr, n, n->inputs[1], error)) == NULL)
        return FALSE;
      for (guint i = 0; axes ? i < axes->len : a && i < a->n_ints; i++)
        {
          gint64 ax = axes ? g_array_index (axes, gint64, i) : a->ints[i];
          ax = ax < 0 ? ax + rank : ax;
          if (ax < 0 || ax >= rank)
            return refuse (tr, n, MCAM_ERROR_FORMAT, "an axis is out of range", error);
          at.axes_mask |= 1u << ax;
        }
      if (at.axes_mask == 0)
        return refuse (tr, n, MCAM_ERROR_UNSUPPORTED, "a reduction over every axis", error);
      n_in = 1;
    }
  else if (strcmp (op, "LayerNormalization") == 0)
    {
      int rank = in[0] >= 0 ? mcam_graph_get_value (tr->g, in[0])->ndim : 0;
      gint64 axis = attr_int (n, "axis", -1);

      type = MCAM_OP_LAYERNORM;
      if (axis != -1 && axis != rank - 1)
        return refuse (tr, n, MCAM_ERROR_UNSUPPORTED, "only the last axis is normalised", error);
      at.eps = attr_float (n, "epsilon", 1e-5f);
      if (n_in < 3 || in[2] < 0)
        return refuse (tr, n, MCAM_ERROR_UNSUPPORTED, "needs both Scale and B", error);
      n_in = 3;
    }
  else if (strcmp (op, "Pad") == 0)
    {
      const McamOnnxAttribute *mode = mcam_onnx_node_get_attribute (n, "mode");
      GArray *pads;

      type = MCAM_OP_PAD;
      if (mode != NULL && mode->type == MCAM_ONNX_ATTR_STRING && strcmp (mode->s, "constant") != 0)
        return refuse (tr, n, MCAM_ERROR_UNSUPPORTED, "only constant padding", error);
      if (n->n_inputs < 2 || (pads = ints_of (tr, n, n->inputs[1], error)) == NULL)
        return FALSE;
      if (pads->len != 8)
        return refuse (tr, n, MCAM_ERROR_UNSUPPORTED, "pads of a 4-D map expected", error);
#define P(i) g_array_index (pads, gint64, i)
      if (P (0) || P (1) || P (4) || P (5) || P (2) < 0 || P (3) < 0 || P (6) < 0 || P (7) < 0 ||
          P (2) > 4096 || P (3) > 4096 || P (6) > 4096 || P (7) > 4096)
        return refuse (tr, n, MCAM_ERROR_UNSUPPORTED, "only non-negative H and W pads", error);
      at.pads[0] = (int) P (2);
      at.pads[1] = (int) P (3);
      at.pads[2] = (int) P (6);
      at.pads[3] = (int) P (7);
#undef P
      if (n->n_inputs > 2 && *n->inputs[2])
        {
          int cv = value_of (tr, n, n->inputs[2], error);
          if (cv < 0)
            return cv == -2 ? FALSE : refuse (tr, n, MCAM_ERROR_FORMAT, "bad constant_value", error);
          at.value = mcam_graph_get_value (tr->g, cv)->data[0];
        }
      n_in = 1;
    }
  else
    {
      static const struct { const char *name; McamActKind act; } unary[] = {
        { "Relu", MCAM_ACT_RELU }, { "Clip", MCAM_ACT_CLIP }, { "Sigmoid", MCAM_ACT_SIGMOID },
        { "HardSigmoid", MCAM_ACT_HARD_SIGMOID }, { "HardSwish", MCAM_ACT_HARD_SWISH },
        { "Sqrt", MCAM_ACT_SQRT }, { "Erf", MCAM_ACT_ERF }, { "Gelu", MCAM_ACT_GELU },
      };
      gsize k;

      for (k = 0; k < G_N_ELEMENTS (unary); k++)
        if (strcmp (op, unary[k].name) == 0)
          break;
      if (k == G_N_ELEMENTS (unary))
        return refuse (tr, n, MCAM_ERROR_UNSUPPORTED, "this op type is not supported", error);
      type = MCAM_OP_UNARY;
      at.act.kind = unary[k].act;
      if (at.act.kind == MCAM_ACT_HARD_SIGMOID)
        {
          at.act.a = attr_float (n, "alpha", 0.2f);
          at.act.b = attr_float (n, "beta", 0.5f);
        }
      if (at.act.kind == MCAM_ACT_CLIP)
        {
          at.act.a = -INFINITY;
          at.act.b = INFINITY;
          for (guint i = 1; i < 3 && i < n->n_inputs; i++)
            if (*n->inputs[i])
              {
                int cv = value_of (tr, n, n->inputs[i], error);
                const McamValue *c;

                if (cv == -2)
                  return FALSE;
                c = mcam_graph_get_value (tr->g, cv);
                if (c->batched || mcam_shape_numel (c->ndim, c->shape) != 1)
                  return refuse (tr, n, MCAM_ERROR_UNSUPPORTED, "min/max must be constant scalars",
                                 error);
                if (i == 1)
                  at.act.a = c->data[0];
                else
                  at.act.b = c->data[0];
              }
          at.act.a = attr_float (n, "min", at.act.a);
          at.act.b = attr_float (n, "max", at.act.b);
        }
      n_in = 1;
    }

  for (int i = 0; i < n_in; i++)
    if (in[i] < 0)
      return refuse (tr, n, MCAM_ERROR_FORMAT, "a required input is missing", error);
  out = mcam_graph_add_node (tr->g, type, name, in, n_in, n->outputs[0], &at, error);
  if (out < 0)
    return FALSE;
  for (guint i = 1; i < n->n_outputs; i++)
    if (*n->outputs[i] && strcmp (op, "Dropout") != 0 && strcmp (op, "BatchNormalization") != 0)
      return refuse (tr, n, MCAM_ERROR_UNSUPPORTED, "a second output", error);
  return TRUE;
}

McamGraph *
mcam_graph_from_onnx (const McamOnnxModel *m, char **fingerprint, gint64 *n_params,
                      GError **error)
{
  g_autoptr (McamGraph) g = mcam_graph_new (m->path);
  g_autoptr (GHashTable) alias = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) ints = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                       (GDestroyNotify) g_array_unref);
  Tr tr = { m, g, mcam_onnx_model_get_opset (m, ""), alias, ints, NULL, 0 };
  const McamOnnxValueInfo *image = NULL;
  gint64 shape[4];
  int output;
  gboolean ok = TRUE;

  if (tr.opset < MIN_OPSET || tr.opset > MAX_OPSET)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_UNSUPPORTED,
                   "%s: default-domain opset %" G_GINT64_FORMAT " %s", m->path, tr.opset, SCOPE);
      return NULL;
    }
  for (guint i = 0; i < m->n_inputs; i++)
    if (mcam_onnx_model_get_initializer (m, m->inputs[i].name) == NULL)
      {
        if (image != NULL)
          {
            g_set_error (error, MCAM_ERROR, MCAM_ERROR_UNSUPPORTED,
                         "%s: a second input '%s' %s", m->path, m->inputs[i].name, SCOPE);
            return NULL;
          }
        image = &m->inputs[i];
      }
  if (image == NULL || image->elem_type != MCAM_ONNX_DTYPE_FLOAT || !image->has_shape ||
      image->ndim != 4 || image->dims[1].value < 1 || image->dims[2].value < 1 ||
      image->dims[3].value < 1)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_UNSUPPORTED,
                   "%s: the input must be a float image batch [N,C,H,W] with fixed C, H and W %s",
                   m->path, SCOPE);
      return NULL;
    }
  if (m->n_outputs != 1)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_UNSUPPORTED, "%s: %u outputs %s", m->path,
                   m->n_outputs, SCOPE);
      return NULL;
    }
  for (int k = 0; k < 4; k++)
    shape[k] = image->dims[k].value;
  if (mcam_graph_add_input (g, image->name, 4, shape, error) < 0)
    return NULL;

  tr.sum = g_checksum_new (G_CHECKSUM_SHA256);
  for (guint i = 0; ok && i < m->n_nodes; i++)
    ok = translate (&tr, &m->nodes[i], error);
  if (ok)
    {
      gpointer p = g_hash_table_lookup (alias, m->outputs[0].name);
      output = p ? GPOINTER_TO_INT (p) - 1 : mcam_graph_find_value (g, m->outputs[0].name);
      ok = mcam_graph_finish (g, output, error);
    }
  if (ok && fingerprint)
    *fingerprint = g_strdup (g_checksum_get_string (tr.sum));
  g_checksum_free (tr.sum);
  if (!ok)
    return NULL;
  if (n_params)
    *n_params = tr.n_params;
  return g_steal_pointer (&g);
}
