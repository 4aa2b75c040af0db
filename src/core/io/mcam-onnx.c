/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ONNX reader: a hand-written protobuf walker for the part of onnx.ModelProto
 * a CNN needs (the wire level is in mcam-onnx-wire.c, tensors in
 * mcam-onnx-tensor.c). Zero-copy for tensor values (they stay in the file's
 * bytes); strings are copied into one GStringChunk. Why hand-written: ONNX.md. */

#include "config.h"

#include <string.h>

#include "mcam/mcam-error.h"
#include "mcam-file.h"
#include "mcam-onnx.h"
#include "mcam-onnx-private.h"

/* ---- ValueInfoProto (graph inputs/outputs) ---- */

static gboolean
parse_dim (McamOnnxParser *ps, const McamOnnxField *outer, const char *where, McamOnnxDim *d)
{
  const guint8 *p = outer->data, *end = outer->data + outer->len;
  McamOnnxField f;
  guint64 seen = 0;
  int r;

  d->value = -1;
  d->param = NULL;
  while ((r = _mcam_onnx_next_field (&p, end, &f)) == 1)
    {
      if (f.number == 1)
        {
          if (!_mcam_onnx_expect_wire (ps, &f, 0, where, "dim_value") || !_mcam_onnx_once (ps, &f, &seen, where, "dim_value"))
            return FALSE;
          if ((gint64) f.value < 0)
            return _mcam_onnx_fail (ps, f.start, where, "negative dim_value");
          d->value = (gint64) f.value;
        }
      else if (f.number == 2)
        {
          if (!_mcam_onnx_expect_wire (ps, &f, 2, where, "dim_param") || !_mcam_onnx_once (ps, &f, &seen, where, "dim_param"))
            return FALSE;
          d->param = _mcam_onnx_intern (ps, &f);
        }
    }
  if (r < 0)
    return _mcam_onnx_fail_field (ps, f.start, end, where);
  return TRUE;
}

/* TypeProto.Tensor: elem_type, shape { dim* }. */
static gboolean
parse_tensor_type (McamOnnxParser *ps, const McamOnnxField *outer, const char *where,
                   McamOnnxValueInfo *vi)
{
  const guint8 *p = outer->data, *end = outer->data + outer->len;
  McamOnnxField f;
  guint64 seen = 0;
  int r;

  while ((r = _mcam_onnx_next_field (&p, end, &f)) == 1)
    {
      if (f.number == 1)
        {
          if (!_mcam_onnx_expect_wire (ps, &f, 0, where, "elem_type") || !_mcam_onnx_once (ps, &f, &seen, where, "elem_type"))
            return FALSE;
          vi->elem_type = f.value <= 64 ? (McamOnnxDtype) f.value : MCAM_ONNX_DTYPE_UNDEFINED;
        }
      else if (f.number == 2)
        {
          const guint8 *q, *qe;
          McamOnnxField d;
          int rd;

          if (!_mcam_onnx_expect_wire (ps, &f, 2, where, "shape") || !_mcam_onnx_once (ps, &f, &seen, where, "shape"))
            return FALSE;
          vi->has_shape = TRUE;
          for (q = f.data, qe = f.data + f.len; (rd = _mcam_onnx_next_field (&q, qe, &d)) == 1;)
            {
              if (d.number != 1)
                continue;
              if (!_mcam_onnx_expect_wire (ps, &d, 2, where, "dim"))
                return FALSE;
              if (vi->ndim >= MCAM_ONNX_MAX_DIMS)
                return _mcam_onnx_unsupported (ps, where, "'%s' has more than %d dimensions", vi->name,
                                    MCAM_ONNX_MAX_DIMS);
              if (!parse_dim (ps, &d, where, &vi->dims[vi->ndim++]))
                return FALSE;
            }
          if (rd < 0)
            return _mcam_onnx_fail_field (ps, d.start, qe, where);
        }
    }
  if (r < 0)
    return _mcam_onnx_fail_field (ps, f.start, end, where);
  return TRUE;
}

static gboolean
parse_value_info (McamOnnxParser *ps, const McamOnnxField *outer, const char *where,
                  McamOnnxValueInfo *vi)
{
  const guint8 *p = outer->data, *end = outer->data + outer->len;
  McamOnnxField f;
  guint64 seen = 0;
  int r;

  memset (vi, 0, sizeof *vi);
  while ((r = _mcam_onnx_next_field (&p, end, &f)) == 1)
    {
      if (f.number == 1)
        {
          if (!_mcam_onnx_expect_wire (ps, &f, 2, where, "name") || !_mcam_onnx_once (ps, &f, &seen, where, "name"))
            return FALSE;
          vi->name = _mcam_onnx_intern (ps, &f);
        }
      else if (f.number == 2)
        {
          const guint8 *q, *qe;
          McamOnnxField t;
          int rt;

          if (!_mcam_onnx_expect_wire (ps, &f, 2, where, "type") || !_mcam_onnx_once (ps, &f, &seen, where, "type"))
            return FALSE;
          /* only tensor_type (1) is read; sequence/map/optional leave elem_type UNDEFINED */
          for (q = f.data, qe = f.data + f.len; (rt = _mcam_onnx_next_field (&q, qe, &t)) == 1;)
            if (t.number == 1)
              {
                if (!_mcam_onnx_expect_wire (ps, &t, 2, where, "tensor_type") ||
                    !parse_tensor_type (ps, &t, where, vi))
                  return FALSE;
              }
          if (rt < 0)
            return _mcam_onnx_fail_field (ps, t.start, qe, where);
        }
    }
  if (r < 0)
    return _mcam_onnx_fail_field (ps, f.start, end, where);
  if (vi->name == NULL || vi->name[0] == '\0')
    return _mcam_onnx_fail (ps, outer->data, where, "a graph input or output has no name");
  return TRUE;
}

/* ---- AttributeProto ---- */

/* The attribute type a value field implies (for files without `type`). */
static McamOnnxAttrType
attr_type_of_field (guint32 number)
{
  switch (number)
    {
    case 2: return MCAM_ONNX_ATTR_FLOAT;
    case 3: return MCAM_ONNX_ATTR_INT;
    case 4: return MCAM_ONNX_ATTR_STRING;
    case 5: return MCAM_ONNX_ATTR_TENSOR;
    case 6: return MCAM_ONNX_ATTR_GRAPH;
    case 7: return MCAM_ONNX_ATTR_FLOATS;
    case 8: return MCAM_ONNX_ATTR_INTS;
    case 9: return MCAM_ONNX_ATTR_STRINGS;
    case 10: return MCAM_ONNX_ATTR_TENSORS;
    case 11: return MCAM_ONNX_ATTR_GRAPHS;
    case 22: return MCAM_ONNX_ATTR_SPARSE_TENSOR;
    case 23: return MCAM_ONNX_ATTR_SPARSE_TENSORS;
    case 14: return MCAM_ONNX_ATTR_TYPE_PROTO;
    case 15: return MCAM_ONNX_ATTR_TYPE_PROTOS;
    default: return MCAM_ONNX_ATTR_UNDEFINED;
    }
}

static gboolean
parse_attribute (McamOnnxParser *ps, const McamOnnxField *outer, const char *where,
                 McamOnnxAttribute *a)
{
  const guint8 *p = outer->data, *end = outer->data + outer->len;
  g_autoptr(GArray) floats = g_array_new (FALSE, FALSE, sizeof (float));
  g_autoptr(GArray) ints = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GPtrArray) strings = g_ptr_array_new ();
  g_autoptr(GArray) tensors = g_array_new (FALSE, TRUE, sizeof (McamOnnxTensor));
  McamOnnxAttrType value_type = MCAM_ONNX_ATTR_UNDEFINED;
  guint64 seen = 0, declared = 0;
  McamOnnxField f;
  int r;

  memset (a, 0, sizeof *a);
  while ((r = _mcam_onnx_next_field (&p, end, &f)) == 1)
    {
      McamOnnxAttrType implied = attr_type_of_field (f.number);

      if (implied != MCAM_ONNX_ATTR_UNDEFINED)
        {
          if (value_type != MCAM_ONNX_ATTR_UNDEFINED && value_type != implied)
            return _mcam_onnx_fail (ps, f.start, where, "attribute '%s' carries values of two types",
                         a->name ? a->name : "");
          value_type = implied;
        }
      switch (f.number)
        {
        case 1:
          if (!_mcam_onnx_expect_wire (ps, &f, 2, where, "name") || !_mcam_onnx_once (ps, &f, &seen, where, "name"))
            return FALSE;
          a->name = _mcam_onnx_intern (ps, &f);
          break;
        case 20:
          if (!_mcam_onnx_expect_wire (ps, &f, 0, where, "type") || !_mcam_onnx_once (ps, &f, &seen, where, "type"))
            return FALSE;
          declared = f.value;
          break;
        case 2:
          if (!_mcam_onnx_expect_wire (ps, &f, 5, where, "f") || !_mcam_onnx_once (ps, &f, &seen, where, "f"))
            return FALSE;
          {
            guint32 bits = (guint32) f.value;
            memcpy (&a->f, &bits, 4);
          }
          break;
        case 3:
          if (!_mcam_onnx_expect_wire (ps, &f, 0, where, "i") || !_mcam_onnx_once (ps, &f, &seen, where, "i"))
            return FALSE;
          a->i = (gint64) f.value;
          break;
        case 4:
          if (!_mcam_onnx_expect_wire (ps, &f, 2, where, "s") || !_mcam_onnx_once (ps, &f, &seen, where, "s"))
            return FALSE;
          a->s = _mcam_onnx_intern (ps, &f);
          a->s_len = f.len;
          break;
        case 5:
          if (!_mcam_onnx_expect_wire (ps, &f, 2, where, "t") || !_mcam_onnx_once (ps, &f, &seen, where, "t"))
            return FALSE;
          a->t = _mcam_onnx_own (ps, g_new0 (McamOnnxTensor, 1));
          if (!_mcam_onnx_parse_tensor (ps, f.data, f.len, where, a->t))
            return FALSE;
          break;
        case 7:
          if (!_mcam_onnx_append_floats (ps, &f, floats, where, "floats"))
            return FALSE;
          break;
        case 8:
          if (!_mcam_onnx_append_ints (ps, &f, ints, where, "ints"))
            return FALSE;
          break;
        case 9:
          if (!_mcam_onnx_expect_wire (ps, &f, 2, where, "strings"))
            return FALSE;
          if (strings->len >= MCAM_ONNX_MAX_LIST)
            return _mcam_onnx_fail (ps, f.start, where, "too many strings");
          g_ptr_array_add (strings, (gpointer) _mcam_onnx_intern (ps, &f));
          break;
        case 10:
          {
            McamOnnxTensor t;

            if (!_mcam_onnx_expect_wire (ps, &f, 2, where, "tensors"))
              return FALSE;
            if (tensors->len >= MCAM_ONNX_MAX_LIST)
              return _mcam_onnx_fail (ps, f.start, where, "too many tensors");
            if (!_mcam_onnx_parse_tensor (ps, f.data, f.len, where, &t))
              return FALSE;
            g_array_append_val (tensors, t);
            break;
          }
        case 6: case 11: case 22: case 23: case 14: case 15:
          /* sub-graphs, sparse tensors, type protos: the type is recorded, the
           * value is not read (no CNN op we run takes one) */
          if (!_mcam_onnx_expect_wire (ps, &f, 2, where, "value"))
            return FALSE;
          break;
        default:    /* doc_string, ref_attr_name */
          break;
        }
    }
  if (r < 0)
    return _mcam_onnx_fail_field (ps, f.start, end, where);
  if (a->name == NULL || a->name[0] == '\0')
    return _mcam_onnx_fail (ps, outer->data, where, "an attribute has no name");
  if (declared > MCAM_ONNX_ATTR_TYPE_PROTOS)
    return _mcam_onnx_fail (ps, outer->data, where, "attribute '%s' has type %" G_GUINT64_FORMAT
                 ", not an ONNX attribute type", a->name, declared);
  if (declared != 0 && value_type != MCAM_ONNX_ATTR_UNDEFINED &&
      (McamOnnxAttrType) declared != value_type)
    return _mcam_onnx_fail (ps, outer->data, where, "attribute '%s' is declared of type %d but "
                 "carries a value of type %d", a->name, (int) declared, (int) value_type);
  a->type = declared != 0 ? (McamOnnxAttrType) declared : value_type;
  if (a->type == MCAM_ONNX_ATTR_UNDEFINED)
    return _mcam_onnx_fail (ps, outer->data, where, "attribute '%s' has neither a type nor a value", a->name);
  if (a->type == MCAM_ONNX_ATTR_STRING && a->s == NULL)
    a->s = "";
  if (a->type == MCAM_ONNX_ATTR_TENSOR && a->t == NULL)
    return _mcam_onnx_fail (ps, outer->data, where, "tensor attribute '%s' has no tensor", a->name);

  a->floats = _mcam_onnx_own_array (ps, g_steal_pointer (&floats), &a->n_floats);
  a->ints = _mcam_onnx_own_array (ps, g_steal_pointer (&ints), &a->n_ints);
  a->tensors = _mcam_onnx_own_array (ps, g_steal_pointer (&tensors), &a->n_tensors);
  a->n_strings = strings->len;
  g_ptr_array_add (strings, NULL);
  a->strings = _mcam_onnx_own (ps, g_ptr_array_free (g_steal_pointer (&strings), FALSE));
  return TRUE;
}

/* ---- NodeProto ---- */

static gboolean
parse_node (McamOnnxParser *ps, const McamOnnxField *outer, const char *where, McamOnnxNode *node)
{
  const guint8 *p = outer->data, *end = outer->data + outer->len;
  g_autoptr(GPtrArray) inputs = g_ptr_array_new ();
  g_autoptr(GPtrArray) outputs = g_ptr_array_new ();
  g_autoptr(GArray) attrs = g_array_new (FALSE, TRUE, sizeof (McamOnnxAttribute));
  guint64 seen = 0;
  McamOnnxField f;
  int r;

  memset (node, 0, sizeof *node);
  node->name = "";
  node->domain = "";
  while ((r = _mcam_onnx_next_field (&p, end, &f)) == 1)
    {
      switch (f.number)
        {
        case 1:
        case 2:
          {
            GPtrArray *list = f.number == 1 ? inputs : outputs;

            if (!_mcam_onnx_expect_wire (ps, &f, 2, where, f.number == 1 ? "input" : "output"))
              return FALSE;
            if (list->len >= MCAM_ONNX_MAX_LIST)
              return _mcam_onnx_fail (ps, f.start, where, "too many inputs or outputs");
            g_ptr_array_add (list, (gpointer) _mcam_onnx_intern (ps, &f));
            break;
          }
        case 3:
          if (!_mcam_onnx_expect_wire (ps, &f, 2, where, "name") || !_mcam_onnx_once (ps, &f, &seen, where, "name"))
            return FALSE;
          node->name = _mcam_onnx_intern (ps, &f);
          break;
        case 4:
          if (!_mcam_onnx_expect_wire (ps, &f, 2, where, "op_type") || !_mcam_onnx_once (ps, &f, &seen, where, "op_type"))
            return FALSE;
          node->op_type = _mcam_onnx_intern (ps, &f);
          break;
        case 7:
          if (!_mcam_onnx_expect_wire (ps, &f, 2, where, "domain") || !_mcam_onnx_once (ps, &f, &seen, where, "domain"))
            return FALSE;
          node->domain = _mcam_onnx_intern (ps, &f);
          break;
        case 5:
          {
            McamOnnxAttribute a;
            const char *at;

            if (!_mcam_onnx_expect_wire (ps, &f, 2, where, "attribute"))
              return FALSE;
            if (attrs->len >= MCAM_ONNX_MAX_LIST)
              return _mcam_onnx_fail (ps, f.start, where, "too many attributes");
            at = _mcam_onnx_where (ps, where, "attribute", attrs->len);
            if (!parse_attribute (ps, &f, at, &a))
              return FALSE;
            for (guint i = 0; i < attrs->len; i++)
              if (strcmp (g_array_index (attrs, McamOnnxAttribute, i).name, a.name) == 0)
                return _mcam_onnx_fail (ps, f.start, where, "attribute '%s' appears twice", a.name);
            g_array_append_val (attrs, a);
            break;
          }
        default:    /* doc_string, overload, metadata_props */
          break;
        }
    }
  if (r < 0)
    return _mcam_onnx_fail_field (ps, f.start, end, where);
  if (node->op_type == NULL || node->op_type[0] == '\0')
    return _mcam_onnx_fail (ps, outer->data, where, "node '%s' has no op_type", node->name);

  node->n_inputs = inputs->len;
  g_ptr_array_add (inputs, NULL);
  node->inputs = _mcam_onnx_own (ps, g_ptr_array_free (g_steal_pointer (&inputs), FALSE));
  node->n_outputs = outputs->len;
  g_ptr_array_add (outputs, NULL);
  node->outputs = _mcam_onnx_own (ps, g_ptr_array_free (g_steal_pointer (&outputs), FALSE));
  node->attributes = _mcam_onnx_own_array (ps, g_steal_pointer (&attrs), &node->n_attributes);
  return TRUE;
}

/* ---- GraphProto ---- */

static gboolean
parse_graph (McamOnnxParser *ps, McamOnnxModel *model, const McamOnnxField *outer)
{
  const guint8 *p = outer->data, *end = outer->data + outer->len;
  g_autoptr(GArray) nodes = g_array_new (FALSE, TRUE, sizeof (McamOnnxNode));
  g_autoptr(GArray) inits = g_array_new (FALSE, TRUE, sizeof (McamOnnxTensor));
  g_autoptr(GArray) inputs = g_array_new (FALSE, TRUE, sizeof (McamOnnxValueInfo));
  g_autoptr(GArray) outputs = g_array_new (FALSE, TRUE, sizeof (McamOnnxValueInfo));
  guint64 seen = 0;
  McamOnnxField f;
  int r;

  model->graph_name = "";
  while ((r = _mcam_onnx_next_field (&p, end, &f)) == 1)
    {
      switch (f.number)
        {
        case 1:
          {
            McamOnnxNode node;

            if (!_mcam_onnx_expect_wire (ps, &f, 2, "graph", "node"))
              return FALSE;
            if (nodes->len >= MCAM_ONNX_MAX_NODES)
              return _mcam_onnx_unsupported (ps, "graph", "more than %d nodes", MCAM_ONNX_MAX_NODES);
            if (!parse_node (ps, &f, _mcam_onnx_where (ps, "graph", "node", nodes->len), &node))
              return FALSE;
            g_array_append_val (nodes, node);
            break;
          }
        case 2:
          if (!_mcam_onnx_expect_wire (ps, &f, 2, "graph", "name") || !_mcam_onnx_once (ps, &f, &seen, "graph", "name"))
            return FALSE;
          model->graph_name = _mcam_onnx_intern (ps, &f);
          break;
        case 5:
          {
            McamOnnxTensor t;
            const char *w;

            if (!_mcam_onnx_expect_wire (ps, &f, 2, "graph", "initializer"))
              return FALSE;
            if (inits->len >= MCAM_ONNX_MAX_LIST)
              return _mcam_onnx_unsupported (ps, "graph", "more than %d initializers", MCAM_ONNX_MAX_LIST);
            w = _mcam_onnx_where (ps, "graph", "initializer", inits->len);
            if (!_mcam_onnx_parse_tensor (ps, f.data, f.len, w, &t))
              return FALSE;
            if (t.name[0] == '\0')
              return _mcam_onnx_fail (ps, f.data, w, "an initializer has no name");
            g_array_append_val (inits, t);
            break;
          }
        case 11:
        case 12:
          {
            GArray *list = f.number == 11 ? inputs : outputs;
            const char *field = f.number == 11 ? "input" : "output";
            McamOnnxValueInfo vi;

            if (!_mcam_onnx_expect_wire (ps, &f, 2, "graph", field))
              return FALSE;
            if (list->len >= MCAM_ONNX_MAX_LIST)
              return _mcam_onnx_unsupported (ps, "graph", "more than %d %ss", MCAM_ONNX_MAX_LIST, field);
            if (!parse_value_info (ps, &f, _mcam_onnx_where (ps, "graph", field, list->len), &vi))
              return FALSE;
            g_array_append_val (list, vi);
            break;
          }
        case 15:
          return _mcam_onnx_unsupported (ps, "graph", "sparse initializers are not supported");
        default:    /* doc_string, value_info, quantization_annotation, metadata */
          break;
        }
    }
  if (r < 0)
    return _mcam_onnx_fail_field (ps, f.start, end, "graph");

  for (guint i = 0; i < inits->len; i++)
    {
      McamOnnxTensor *t = &g_array_index (inits, McamOnnxTensor, i);

      if (!g_hash_table_insert (ps->priv->initializers, (gpointer) t->name, NULL))
        return _mcam_onnx_fail (ps, outer->data, "graph", "two initializers are named '%s'", t->name);
    }
  model->nodes = _mcam_onnx_own_array (ps, g_steal_pointer (&nodes), &model->n_nodes);
  model->initializers = _mcam_onnx_own_array (ps, g_steal_pointer (&inits), &model->n_initializers);
  model->inputs = _mcam_onnx_own_array (ps, g_steal_pointer (&inputs), &model->n_inputs);
  model->outputs = _mcam_onnx_own_array (ps, g_steal_pointer (&outputs), &model->n_outputs);
  /* the table points into the final array */
  for (guint i = 0; i < model->n_initializers; i++)
    g_hash_table_insert (ps->priv->initializers, (gpointer) model->initializers[i].name,
                         &model->initializers[i]);
  return TRUE;
}

/* ---- ModelProto ---- */

static gboolean
parse_string_pair (McamOnnxParser *ps, const McamOnnxField *outer, const char *where,
                   McamOnnxProp *prop)
{
  const guint8 *p = outer->data, *end = outer->data + outer->len;
  guint64 seen = 0;
  McamOnnxField f;
  int r;

  prop->key = NULL;
  prop->value = "";
  while ((r = _mcam_onnx_next_field (&p, end, &f)) == 1)
    {
      if (f.number == 1)
        {
          if (!_mcam_onnx_expect_wire (ps, &f, 2, where, "key") || !_mcam_onnx_once (ps, &f, &seen, where, "key"))
            return FALSE;
          prop->key = _mcam_onnx_intern (ps, &f);
        }
      else if (f.number == 2)
        {
          if (!_mcam_onnx_expect_wire (ps, &f, 2, where, "value") || !_mcam_onnx_once (ps, &f, &seen, where, "value"))
            return FALSE;
          prop->value = _mcam_onnx_intern (ps, &f);
        }
    }
  if (r < 0)
    return _mcam_onnx_fail_field (ps, f.start, end, where);
  if (prop->key == NULL)
    return _mcam_onnx_fail (ps, outer->data, where, "a metadata entry has no key");
  return TRUE;
}

static gboolean
parse_opset (McamOnnxParser *ps, const McamOnnxField *outer, const char *where, McamOnnxOpset *op)
{
  const guint8 *p = outer->data, *end = outer->data + outer->len;
  guint64 seen = 0;
  McamOnnxField f;
  int r;

  op->domain = "";
  op->version = -1;
  while ((r = _mcam_onnx_next_field (&p, end, &f)) == 1)
    {
      if (f.number == 1)
        {
          if (!_mcam_onnx_expect_wire (ps, &f, 2, where, "domain") || !_mcam_onnx_once (ps, &f, &seen, where, "domain"))
            return FALSE;
          op->domain = _mcam_onnx_intern (ps, &f);
        }
      else if (f.number == 2)
        {
          if (!_mcam_onnx_expect_wire (ps, &f, 0, where, "version") || !_mcam_onnx_once (ps, &f, &seen, where, "version"))
            return FALSE;
          op->version = (gint64) f.value;
        }
    }
  if (r < 0)
    return _mcam_onnx_fail_field (ps, f.start, end, where);
  if (op->version < 0)
    return _mcam_onnx_fail (ps, outer->data, where, "opset import of domain '%s' has no version",
                 op->domain);
  /* "ai.onnx" is the default domain's long name */
  if (strcmp (op->domain, "ai.onnx") == 0)
    op->domain = "";
  return TRUE;
}

static gboolean
parse_model (McamOnnxParser *ps, McamOnnxModel *model, const guint8 *data, gsize len)
{
  const guint8 *p = data, *end = data + len;
  g_autoptr(GArray) opsets = g_array_new (FALSE, TRUE, sizeof (McamOnnxOpset));
  g_autoptr(GArray) props = g_array_new (FALSE, TRUE, sizeof (McamOnnxProp));
  guint64 seen = 0;
  McamOnnxField f;
  int r;

  model->producer_name = "";
  model->producer_version = "";
  model->graph_name = "";
  while ((r = _mcam_onnx_next_field (&p, end, &f)) == 1)
    {
      switch (f.number)
        {
        case 1:
          if (!_mcam_onnx_expect_wire (ps, &f, 0, "model", "ir_version") ||
              !_mcam_onnx_once (ps, &f, &seen, "model", "ir_version"))
            return FALSE;
          model->ir_version = (gint64) f.value;
          break;
        case 2:
        case 3:
          {
            const char *field = f.number == 2 ? "producer_name" : "producer_version";

            if (!_mcam_onnx_expect_wire (ps, &f, 2, "model", field) || !_mcam_onnx_once (ps, &f, &seen, "model", field))
              return FALSE;
            *(f.number == 2 ? &model->producer_name : &model->producer_version) = _mcam_onnx_intern (ps, &f);
            break;
          }
        case 7:
          if (!_mcam_onnx_expect_wire (ps, &f, 2, "model", "graph") || !_mcam_onnx_once (ps, &f, &seen, "model", "graph"))
            return FALSE;
          if (!parse_graph (ps, model, &f))
            return FALSE;
          break;
        case 8:
          {
            McamOnnxOpset op;
            const char *w;

            if (!_mcam_onnx_expect_wire (ps, &f, 2, "model", "opset_import"))
              return FALSE;
            if (opsets->len >= 1000)
              return _mcam_onnx_fail (ps, f.start, "model", "more than 1000 opset imports");
            w = _mcam_onnx_where (ps, "model", "opset_import", opsets->len);
            if (!parse_opset (ps, &f, w, &op))
              return FALSE;
            for (guint i = 0; i < opsets->len; i++)
              if (strcmp (g_array_index (opsets, McamOnnxOpset, i).domain, op.domain) == 0)
                return _mcam_onnx_fail (ps, f.start, w, "domain '%s' is imported twice", op.domain);
            g_array_append_val (opsets, op);
            break;
          }
        case 14:
          {
            McamOnnxProp prop;
            const char *w;

            if (!_mcam_onnx_expect_wire (ps, &f, 2, "model", "metadata_props"))
              return FALSE;
            if (props->len >= MCAM_ONNX_MAX_LIST)
              return _mcam_onnx_fail (ps, f.start, "model", "too many metadata_props");
            w = _mcam_onnx_where (ps, "model", "metadata_props", props->len);
            if (!parse_string_pair (ps, &f, w, &prop))
              return FALSE;
            for (guint i = 0; i < props->len; i++)
              if (strcmp (g_array_index (props, McamOnnxProp, i).key, prop.key) == 0)
                return _mcam_onnx_fail (ps, f.start, w, "metadata key '%s' appears twice", prop.key);
            g_array_append_val (props, prop);
            break;
          }
        default:    /* domain, model_version, doc_string, training_info, functions */
          break;
        }
    }
  if (r < 0)
    return _mcam_onnx_fail_field (ps, f.start, end, "model");
  if (!(seen & (1u << 7)))
    return _mcam_onnx_fail (ps, data, "model", "there is no graph (is this an ONNX model?)");
  model->opsets = _mcam_onnx_own_array (ps, g_steal_pointer (&opsets), &model->n_opsets);
  model->metadata = _mcam_onnx_own_array (ps, g_steal_pointer (&props), &model->n_metadata);
  return TRUE;
}

/* ---- public ---- */

McamOnnxModel *
mcam_onnx_model_parse (GBytes *bytes, const char *name, GError **error)
{
  g_autoptr(McamOnnxModel) model = g_new0 (McamOnnxModel, 1);
  McamOnnxModelPrivate *priv;
  McamOnnxParser ps = { 0 };
  gsize len;
  const guint8 *data;

  g_return_val_if_fail (bytes != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  priv = model->priv = g_new0 (McamOnnxModelPrivate, 1);
  priv->bytes = g_bytes_ref (bytes);
  priv->strings = g_string_chunk_new (4096);
  priv->blocks = g_ptr_array_new_with_free_func (g_free);
  priv->initializers = g_hash_table_new (g_str_hash, g_str_equal);
  model->path = g_string_chunk_insert (priv->strings, name ? name : "(memory)");

  data = g_bytes_get_data (bytes, &len);
  if (data == NULL)
    data = (const guint8 *) "";
  ps.path = model->path;
  ps.base = data;
  ps.priv = priv;
  ps.error = error;
  if (!parse_model (&ps, model, data, len))
    return NULL;
  return g_steal_pointer (&model);
}

McamOnnxModel *
mcam_onnx_model_load (const char *path, GError **error)
{
  g_autoptr(GBytes) bytes = NULL;

  bytes = mcam_file_read (path, MCAM_ONNX_MAX_FILE, "model", error);
  if (bytes == NULL)
    return NULL;
  return mcam_onnx_model_parse (bytes, path, error);
}

void
mcam_onnx_model_free (McamOnnxModel *model)
{
  if (model == NULL)
    return;
  if (model->priv != NULL)
    {
      g_clear_pointer (&model->priv->initializers, g_hash_table_unref);
      g_clear_pointer (&model->priv->blocks, g_ptr_array_unref);
      g_clear_pointer (&model->priv->strings, g_string_chunk_free);
      g_clear_pointer (&model->priv->bytes, g_bytes_unref);
      g_free (model->priv);
    }
  g_free (model);
}

gint64
mcam_onnx_model_get_opset (const McamOnnxModel *model, const char *domain)
{
  g_return_val_if_fail (model != NULL, -1);

  if (domain == NULL || strcmp (domain, "ai.onnx") == 0)
    domain = "";
  for (guint i = 0; i < model->n_opsets; i++)
    if (strcmp (model->opsets[i].domain, domain) == 0)
      return model->opsets[i].version;
  return -1;
}

const char *
mcam_onnx_model_get_metadata (const McamOnnxModel *model, const char *key)
{
  g_return_val_if_fail (model != NULL && key != NULL, NULL);

  for (guint i = 0; i < model->n_metadata; i++)
    if (strcmp (model->metadata[i].key, key) == 0)
      return model->metadata[i].value;
  return NULL;
}

const McamOnnxTensor *
mcam_onnx_model_get_initializer (const McamOnnxModel *model, const char *name)
{
  g_return_val_if_fail (model != NULL && name != NULL, NULL);

  return g_hash_table_lookup (model->priv->initializers, name);
}

const McamOnnxAttribute *
mcam_onnx_node_get_attribute (const McamOnnxNode *node, const char *name)
{
  g_return_val_if_fail (node != NULL && name != NULL, NULL);

  for (guint i = 0; i < node->n_attributes; i++)
    if (strcmp (node->attributes[i].name, name) == 0)
      return &node->attributes[i];
  return NULL;
}
