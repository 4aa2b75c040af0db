/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The ONNX reader against what tools/make_onnx_fixtures.py wrote (every
 * parsed field compared with expected.json, written from python3-onnx's own
 * view of the files), and malformed files: every truncation, flipped bytes,
 * and one hand-made file per kind of damage, each an error naming the file
 * and the problem. Run under tools/sanitize for the over-read checks: every
 * buffer handed to the parser is exactly as long as the file. */

#include "config.h"

#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "mcam/mcam.h"
#include "mcam-onnx.h"
#include "mcam-test-util.h"

static JsonObject *expected_root;
static char *tmpdir;

static JsonObject *
expected_for (const char *file)
{
  return json_object_get_object_member (expected_root, file);
}

static GBytes *
fixture_bytes (const char *file)
{
  g_autofree char *rel = g_build_filename ("onnx-reader", file, NULL);
  g_autofree char *path = mcam_test_fixture (rel);
  g_autoptr(GError) error = NULL;
  char *contents;
  gsize len;

  g_assert_true (g_file_get_contents (path, &contents, &len, &error));
  g_assert_no_error (error);
  return g_bytes_new_take (contents, len);
}

/* A copy in a buffer of exactly `len` bytes, so ASan sees any over-read. */
static McamOnnxModel *
parse_exact (const guint8 *data, gsize len, GError **error)
{
  g_autoptr(GBytes) bytes = g_bytes_new (data, len);

  return mcam_onnx_model_parse (bytes, "test.onnx", error);
}

/* ---- comparing with expected.json ---- */

static void
check_tensor (const McamOnnxTensor *t, JsonObject *e)
{
  JsonArray *dims = json_object_get_array_member (e, "dims");
  JsonArray *values = json_object_get_array_member (e, "values");
  const char *storage = json_object_get_string_member (e, "storage");
  McamOnnxStorage want_storage = g_str_equal (storage, "raw") ? MCAM_ONNX_STORAGE_RAW
                               : g_str_equal (storage, "field") ? MCAM_ONNX_STORAGE_FIELD
                               : MCAM_ONNX_STORAGE_NONE;
  guint n = json_array_get_length (values);

  g_test_message ("tensor %s", t->name);
  g_assert_cmpstr (t->name, ==, json_object_get_string_member (e, "name"));
  g_assert_cmpint (t->dtype, ==, json_object_get_int_member (e, "dtype"));
  g_assert_cmpint (t->ndim, ==, json_array_get_length (dims));
  for (int i = 0; i < t->ndim; i++)
    g_assert_cmpint (t->dims[i], ==, json_array_get_int_element (dims, i));
  g_assert_cmpint (t->n_elements, ==, n);
  g_assert_cmpint (t->storage, ==, want_storage);

  if (t->dtype == MCAM_ONNX_DTYPE_FLOAT || t->dtype == MCAM_ONNX_DTYPE_FLOAT16 ||
      t->dtype == MCAM_ONNX_DTYPE_DOUBLE)
    {
      g_autofree float *v = g_new0 (float, n + 1);
      g_autoptr(GError) error = NULL;

      g_assert_true (mcam_onnx_tensor_get_floats (t, v, &error));
      g_assert_no_error (error);
      for (guint i = 0; i < n; i++)
        g_assert_cmpfloat (v[i], ==, (float) json_array_get_double_element (values, i));
      /* a float tensor is not read as integers */
      g_assert_false (mcam_onnx_tensor_get_int64s (t, (gint64 *) v, &error));
      g_assert_error (error, MCAM_ERROR, MCAM_ERROR_UNSUPPORTED);
      g_assert_nonnull (strstr (error->message, t->name));
    }
  else
    {
      g_autofree gint64 *v = g_new0 (gint64, n + 1);
      g_autoptr(GError) error = NULL;

      g_assert_true (mcam_onnx_tensor_get_int64s (t, v, &error));
      g_assert_no_error (error);
      for (guint i = 0; i < n; i++)
        g_assert_cmpint (v[i], ==, json_array_get_int_element (values, i));
      g_assert_false (mcam_onnx_tensor_get_floats (t, (float *) v, &error));
      g_assert_error (error, MCAM_ERROR, MCAM_ERROR_UNSUPPORTED);
    }
}

static void
check_strings (guint n, const char *const *got, JsonArray *want)
{
  g_assert_cmpint (n, ==, json_array_get_length (want));
  for (guint i = 0; i < n; i++)
    g_assert_cmpstr (got[i], ==, json_array_get_string_element (want, i));
}

static void
check_attribute (const McamOnnxAttribute *a, JsonObject *e)
{
  g_test_message ("attribute %s", a->name);
  g_assert_cmpstr (a->name, ==, json_object_get_string_member (e, "name"));
  g_assert_cmpint (a->type, ==, json_object_get_int_member (e, "type"));
  switch (a->type)
    {
    case MCAM_ONNX_ATTR_FLOAT:
      g_assert_cmpfloat (a->f, ==, (float) json_object_get_double_member (e, "f"));
      break;
    case MCAM_ONNX_ATTR_INT:
      g_assert_cmpint (a->i, ==, json_object_get_int_member (e, "i"));
      break;
    case MCAM_ONNX_ATTR_STRING:
      g_assert_cmpstr (a->s, ==, json_object_get_string_member (e, "s"));
      g_assert_cmpint (a->s_len, ==, strlen (a->s));
      break;
    case MCAM_ONNX_ATTR_TENSOR:
      g_assert_nonnull (a->t);
      check_tensor (a->t, json_object_get_object_member (e, "t"));
      break;
    case MCAM_ONNX_ATTR_FLOATS:
      {
        JsonArray *w = json_object_get_array_member (e, "floats");

        g_assert_cmpint (a->n_floats, ==, json_array_get_length (w));
        for (guint i = 0; i < a->n_floats; i++)
          g_assert_cmpfloat (a->floats[i], ==, (float) json_array_get_double_element (w, i));
        break;
      }
    case MCAM_ONNX_ATTR_INTS:
      {
        JsonArray *w = json_object_get_array_member (e, "ints");

        g_assert_cmpint (a->n_ints, ==, json_array_get_length (w));
        for (guint i = 0; i < a->n_ints; i++)
          g_assert_cmpint (a->ints[i], ==, json_array_get_int_element (w, i));
        break;
      }
    case MCAM_ONNX_ATTR_STRINGS:
      check_strings (a->n_strings, a->strings, json_object_get_array_member (e, "strings"));
      g_assert_null (a->strings[a->n_strings]);
      break;
    case MCAM_ONNX_ATTR_TENSORS:
      {
        JsonArray *w = json_object_get_array_member (e, "tensors");

        g_assert_cmpint (a->n_tensors, ==, json_array_get_length (w));
        for (guint i = 0; i < a->n_tensors; i++)
          check_tensor (&a->tensors[i], json_array_get_object_element (w, i));
        break;
      }
    default:   /* GRAPH: the type only */
      break;
    }
}

static void
check_value_infos (guint n, const McamOnnxValueInfo *vi, JsonArray *want)
{
  g_assert_cmpint (n, ==, json_array_get_length (want));
  for (guint i = 0; i < n; i++)
    {
      JsonObject *e = json_array_get_object_element (want, i);
      JsonNode *dims = json_object_get_member (e, "dims");

      g_assert_cmpstr (vi[i].name, ==, json_object_get_string_member (e, "name"));
      g_assert_cmpint (vi[i].elem_type, ==, json_object_get_int_member (e, "elem_type"));
      if (JSON_NODE_HOLDS_NULL (dims))
        {
          g_assert_false (vi[i].has_shape);
          continue;
        }
      g_assert_true (vi[i].has_shape);
      g_assert_cmpint (vi[i].ndim, ==, json_array_get_length (json_node_get_array (dims)));
      for (int d = 0; d < vi[i].ndim; d++)
        {
          JsonNode *dn = json_array_get_element (json_node_get_array (dims), d);

          if (JSON_NODE_HOLDS_NULL (dn))
            {
              g_assert_cmpint (vi[i].dims[d].value, ==, -1);
              g_assert_null (vi[i].dims[d].param);
            }
          else if (json_node_get_value_type (dn) == G_TYPE_STRING)
            {
              g_assert_cmpint (vi[i].dims[d].value, ==, -1);
              g_assert_cmpstr (vi[i].dims[d].param, ==, json_node_get_string (dn));
            }
          else
            {
              g_assert_cmpint (vi[i].dims[d].value, ==, json_node_get_int (dn));
              g_assert_null (vi[i].dims[d].param);
            }
        }
    }
}

static void
check_model (const McamOnnxModel *m, JsonObject *e)
{
  JsonArray *opsets = json_object_get_array_member (e, "opsets");
  JsonArray *meta = json_object_get_array_member (e, "metadata");
  JsonArray *inits = json_object_get_array_member (e, "initializers");
  JsonArray *nodes = json_object_get_array_member (e, "nodes");

  g_assert_cmpint (m->ir_version, ==, json_object_get_int_member (e, "ir_version"));
  g_assert_cmpstr (m->producer_name, ==, json_object_get_string_member (e, "producer_name"));
  g_assert_cmpstr (m->producer_version, ==,
                   json_object_get_string_member (e, "producer_version"));
  g_assert_cmpstr (m->graph_name, ==, json_object_get_string_member (e, "graph_name"));

  g_assert_cmpint (m->n_opsets, ==, json_array_get_length (opsets));
  for (guint i = 0; i < m->n_opsets; i++)
    {
      JsonArray *o = json_array_get_array_element (opsets, i);

      g_assert_cmpstr (m->opsets[i].domain, ==, json_array_get_string_element (o, 0));
      g_assert_cmpint (m->opsets[i].version, ==, json_array_get_int_element (o, 1));
      g_assert_cmpint (mcam_onnx_model_get_opset (m, json_array_get_string_element (o, 0)), ==,
                       json_array_get_int_element (o, 1));
    }
  g_assert_cmpint (mcam_onnx_model_get_opset (m, "ai.onnx"), ==,
                   mcam_onnx_model_get_opset (m, ""));
  g_assert_cmpint (mcam_onnx_model_get_opset (m, "com.microsoft"), ==, -1);

  g_assert_cmpint (m->n_metadata, ==, json_array_get_length (meta));
  for (guint i = 0; i < m->n_metadata; i++)
    {
      JsonArray *kv = json_array_get_array_element (meta, i);

      g_assert_cmpstr (m->metadata[i].key, ==, json_array_get_string_element (kv, 0));
      g_assert_cmpstr (m->metadata[i].value, ==, json_array_get_string_element (kv, 1));
      g_assert_cmpstr (mcam_onnx_model_get_metadata (m, m->metadata[i].key), ==,
                       m->metadata[i].value);
    }
  g_assert_null (mcam_onnx_model_get_metadata (m, "mcam.no-such-key"));

  check_value_infos (m->n_inputs, m->inputs, json_object_get_array_member (e, "inputs"));
  check_value_infos (m->n_outputs, m->outputs, json_object_get_array_member (e, "outputs"));

  g_assert_cmpint (m->n_initializers, ==, json_array_get_length (inits));
  for (guint i = 0; i < m->n_initializers; i++)
    {
      check_tensor (&m->initializers[i], json_array_get_object_element (inits, i));
      g_assert_true (mcam_onnx_model_get_initializer (m, m->initializers[i].name) ==
                     &m->initializers[i]);
    }
  g_assert_null (mcam_onnx_model_get_initializer (m, "no-such-tensor"));

  g_assert_cmpint (m->n_nodes, ==, json_array_get_length (nodes));
  for (guint i = 0; i < m->n_nodes; i++)
    {
      const McamOnnxNode *node = &m->nodes[i];
      JsonObject *en = json_array_get_object_element (nodes, i);
      JsonArray *attrs = json_object_get_array_member (en, "attributes");

      g_test_message ("node %u '%s'", i, node->name);
      g_assert_cmpstr (node->name, ==, json_object_get_string_member (en, "name"));
      g_assert_cmpstr (node->op_type, ==, json_object_get_string_member (en, "op_type"));
      g_assert_cmpstr (node->domain, ==, json_object_get_string_member (en, "domain"));
      check_strings (node->n_inputs, node->inputs, json_object_get_array_member (en, "inputs"));
      check_strings (node->n_outputs, node->outputs,
                     json_object_get_array_member (en, "outputs"));
      g_assert_cmpint (node->n_attributes, ==, json_array_get_length (attrs));
      for (guint a = 0; a < node->n_attributes; a++)
        {
          check_attribute (&node->attributes[a], json_array_get_object_element (attrs, a));
          g_assert_true (mcam_onnx_node_get_attribute (node, node->attributes[a].name) ==
                         &node->attributes[a]);
        }
      g_assert_null (mcam_onnx_node_get_attribute (node, "no-such-attribute"));
    }
}

static void
test_fixture (gconstpointer data)
{
  const char *file = data;
  g_autoptr(GBytes) bytes = fixture_bytes (file);
  g_autoptr(McamOnnxModel) m = NULL;
  g_autoptr(GError) error = NULL;

  m = mcam_onnx_model_parse (bytes, file, &error);
  g_assert_no_error (error);
  g_assert_nonnull (m);
  check_model (m, expected_for (file));
}

/* Real exporter output (tools/make_onnx_model_fixtures.py: torch.onnx.export
 * of ten torchvision families, 13 files): each parses; every node input is a graph
 * input, an initializer, an earlier node's output or "" (so names and
 * repeated fields were split right), every FLOAT initializer reads back
 * finite, and the single output is what some node produces. */
static void
test_torchvision_exports (void)
{
  g_autofree char *dir_path = mcam_test_fixture ("onnx");
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *name;
  guint n_files = 0;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir_path, name, NULL);
      g_autoptr(McamOnnxModel) m = NULL;
      g_autoptr(GHashTable) known = g_hash_table_new (g_str_hash, g_str_equal);
      g_autoptr(GError) error = NULL;

      if (!g_str_has_suffix (name, ".onnx"))
        continue;
      g_test_message ("%s", name);
      m = mcam_onnx_model_load (path, &error);
      g_assert_no_error (error);
      g_assert_cmpint (mcam_onnx_model_get_opset (m, ""), >=, 13);
      g_assert_cmpuint (m->n_nodes, >, 0);
      g_assert_cmpuint (m->n_outputs, ==, 1);
      g_assert_nonnull (mcam_onnx_model_get_metadata (m, "mcam.classes"));
      for (guint i = 0; i < m->n_inputs; i++)
        g_hash_table_add (known, (gpointer) m->inputs[i].name);
      for (guint i = 0; i < m->n_initializers; i++)
        {
          const McamOnnxTensor *t = &m->initializers[i];

          g_hash_table_add (known, (gpointer) t->name);
          if (t->dtype == MCAM_ONNX_DTYPE_FLOAT && t->n_elements > 0)
            {
              g_autofree float *v = g_new (float, t->n_elements);

              g_assert_true (mcam_onnx_tensor_get_floats (t, v, NULL));
              for (gint64 k = 0; k < t->n_elements; k++)
                g_assert_true (isfinite (v[k]));
            }
        }
      for (guint i = 0; i < m->n_nodes; i++)
        {
          for (guint k = 0; k < m->nodes[i].n_inputs; k++)
            if (m->nodes[i].inputs[k][0] != '\0' &&
                !g_hash_table_contains (known, m->nodes[i].inputs[k]))
              g_error ("%s: node %u (%s) reads '%s', which nothing before it makes", name, i,
                       m->nodes[i].op_type, m->nodes[i].inputs[k]);
          for (guint k = 0; k < m->nodes[i].n_outputs; k++)
            g_hash_table_add (known, (gpointer) m->nodes[i].outputs[k]);
        }
      g_assert_true (g_hash_table_contains (known, m->outputs[0].name));
      n_files++;
    }
  g_test_message ("%u exports", n_files);
  g_assert_cmpuint (n_files, >=, 10);
}

/* raw_data lands wherever the protobuf puts it: the reader must not assume
 * alignment. The fixture has unaligned FLOAT payloads (the values were
 * checked above through the accessor). */
static void
test_unaligned (void)
{
  g_autoptr(GBytes) bytes = fixture_bytes ("tiny.onnx");
  g_autoptr(McamOnnxModel) m = mcam_onnx_model_parse (bytes, "tiny.onnx", NULL);
  guint unaligned = 0, raw_float = 0;

  g_assert_nonnull (m);
  for (guint i = 0; i < m->n_initializers; i++)
    if (m->initializers[i].storage == MCAM_ONNX_STORAGE_RAW &&
        m->initializers[i].dtype == MCAM_ONNX_DTYPE_FLOAT)
      {
        raw_float++;
        unaligned += ((guintptr) m->initializers[i].data % 4) != 0;
        /* zero-copy: the payload is inside the file's bytes */
        g_assert_true (m->initializers[i].data >= (const guint8 *) g_bytes_get_data (bytes, NULL));
      }
  g_test_message ("%u of %u raw FLOAT initializers unaligned", unaligned, raw_float);
  g_assert_cmpuint (raw_float, >=, 3);
  g_assert_cmpuint (unaligned, >=, 1);
}

/* Every prefix of a valid file: an error or (cut between top-level fields
 * after the graph) a model — never a crash. Cut inside the graph: an error
 * that names the file. */
static void
test_truncated (void)
{
  g_autoptr(GBytes) bytes = fixture_bytes ("tiny.onnx");
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  gint64 graph_end = json_object_get_int_member (expected_for ("tiny.onnx"), "graph_end");
  guint failed = 0;

  for (gsize cut = 0; cut < len; cut++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(McamOnnxModel) m = parse_exact (data, cut, &error);

      if ((gint64) cut < graph_end)
        {
          g_assert_null (m);
          g_assert_error (error, MCAM_ERROR, MCAM_ERROR_FORMAT);
          g_assert_true (g_str_has_prefix (error->message, "test.onnx: not a valid ONNX file: "));
          failed++;
        }
      else if (m == NULL)
        g_assert_nonnull (error);
      else
        g_assert_cmpint (m->n_nodes, ==, 8);
    }
  g_assert_cmpuint (failed, ==, graph_end);
}

/* Each byte changed in a few ways: any outcome but a crash or an over-read
 * (and an error always comes with a message). */
static void
test_flipped_bytes (void)
{
  static const guint8 masks[] = { 0x01, 0x02, 0x05, 0x07, 0x40, 0x80, 0xff };
  g_autoptr(GBytes) bytes = fixture_bytes ("tiny.onnx");
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  g_autofree guint8 *copy = g_memdup2 (data, len);
  guint refused = 0, runs = 0;

  for (gsize i = 0; i < len; i++)
    for (gsize k = 0; k < G_N_ELEMENTS (masks); k++)
      {
        g_autoptr(GError) error = NULL;
        g_autoptr(McamOnnxModel) m = NULL;

        copy[i] = data[i] ^ masks[k];
        m = parse_exact (copy, len, &error);
        copy[i] = data[i];
        runs++;
        if (m == NULL)
          {
            g_assert_nonnull (error);
            g_assert_true (g_str_has_prefix (error->message, "test.onnx: "));
            refused++;
            continue;
          }
        /* what parsed must read back without trouble */
        for (guint t = 0; t < m->n_initializers; t++)
          {
            const McamOnnxTensor *tensor = &m->initializers[t];
            g_autofree gint64 *v = g_new (gint64, MAX (tensor->n_elements, 1));

            if (!mcam_onnx_tensor_get_floats (tensor, (float *) v, NULL))
              mcam_onnx_tensor_get_int64s (tensor, v, NULL);
          }
      }
  g_test_message ("%u of %u changed files refused", refused, runs);
  g_assert_cmpuint (refused, >, runs / 10);
}

/* ---- one hand-made file per kind of damage ---- */

static void
put_varint (GByteArray *b, guint64 v)
{
  do
    {
      guint8 c = (v & 0x7f) | (v > 0x7f ? 0x80 : 0);
      g_byte_array_append (b, &c, 1);
      v >>= 7;
    }
  while (v);
}

static void
put_key (GByteArray *b, guint field, guint wire)
{
  put_varint (b, (guint64) field << 3 | wire);
}

static void
put_ld (GByteArray *b, guint field, const void *data, gsize len)
{
  put_key (b, field, 2);
  put_varint (b, len);
  g_byte_array_append (b, data, len);
}

static void
put_msg (GByteArray *b, guint field, GByteArray *msg)
{
  put_ld (b, field, msg->data, msg->len);
}

static void
put_str (GByteArray *b, guint field, const char *s)
{
  put_ld (b, field, s, strlen (s));
}

static void
put_int (GByteArray *b, guint field, guint64 v)
{
  put_key (b, field, 0);
  put_varint (b, v);
}

/* A model around one graph. */
static GByteArray *
model_with_graph (GByteArray *graph)
{
  GByteArray *m = g_byte_array_new ();
  g_autoptr(GByteArray) opset = g_byte_array_new ();

  put_int (m, 1, 8);
  put_int (opset, 2, 13);
  put_msg (m, 8, opset);
  put_msg (m, 7, graph);
  return m;
}

/* A graph with one initializer. */
static GByteArray *
model_with_tensor (GByteArray *tensor)
{
  g_autoptr(GByteArray) graph = g_byte_array_new ();

  put_msg (graph, 5, tensor);
  return model_with_graph (graph);
}

static void
expect_refusal (GByteArray *file, int code, const char *fragment)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(McamOnnxModel) m = parse_exact (file->data, file->len, &error);

  g_assert_null (m);
  g_assert_error (error, MCAM_ERROR, code);
  g_test_message ("%s", error->message);
  g_assert_true (g_str_has_prefix (error->message, "test.onnx: "));
  if (strstr (error->message, fragment) == NULL)
    g_error ("'%s' does not say '%s'", error->message, fragment);
}

/* The start of a FLOAT TensorProto: data_type and name (dims may follow:
 * protobuf fields can come in any order). */
static GByteArray *
float_tensor (const char *name)
{
  GByteArray *t = g_byte_array_new ();

  put_int (t, 2, MCAM_ONNX_DTYPE_FLOAT);
  put_str (t, 8, name);
  return t;
}

static void
expect_tensor_refusal (GByteArray *tensor, int code, const char *fragment)
{
  g_autoptr(GByteArray) file = model_with_tensor (tensor);

  expect_refusal (file, code, fragment);
}

static void
test_malformed (void)
{
  /* varint over 64 bits */
  {
    g_autoptr(GByteArray) f = g_byte_array_new ();
    static const guint8 over[] = { 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                   0xff, 0x7f };
    g_byte_array_append (f, over, sizeof over);
    expect_refusal (f, MCAM_ERROR_FORMAT, "over 64 bits");
  }
  /* ir_version sent as a string */
  {
    g_autoptr(GByteArray) f = g_byte_array_new ();
    put_str (f, 1, "8");
    expect_refusal (f, MCAM_ERROR_FORMAT, "'ir_version' (1) has wire type 2, expected varint");
  }
  /* a group (wire type 3) */
  {
    g_autoptr(GByteArray) f = g_byte_array_new ();
    put_key (f, 30, 3);
    expect_refusal (f, MCAM_ERROR_FORMAT, "wire type 3");
  }
  /* field number 0 */
  {
    g_autoptr(GByteArray) f = g_byte_array_new ();
    put_int (f, 0, 1);
    expect_refusal (f, MCAM_ERROR_FORMAT, "field number 0");
  }
  /* a node whose length runs past its graph (but not past the file) */
  {
    g_autoptr(GByteArray) graph = g_byte_array_new ();
    g_autoptr(GByteArray) f = NULL;
    put_key (graph, 1, 2);
    put_varint (graph, 40);
    put_str (graph, 4, "Relu");
    f = model_with_graph (graph);
    put_str (f, 2, "padding so that the file goes on well past the node's claimed end");
    expect_refusal (f, MCAM_ERROR_FORMAT, "runs past the end of its message");
  }
  /* a length beyond the file */
  {
    g_autoptr(GByteArray) f = g_byte_array_new ();
    put_key (f, 7, 2);
    put_varint (f, G_GUINT64_CONSTANT (1) << 62);
    expect_refusal (f, MCAM_ERROR_FORMAT, "runs past the end");
  }
  /* two graphs */
  {
    g_autoptr(GByteArray) graph = g_byte_array_new ();
    g_autoptr(GByteArray) f = model_with_graph (graph);
    put_msg (f, 7, graph);
    expect_refusal (f, MCAM_ERROR_FORMAT, "'graph' appears twice");
  }
  /* no graph: not an ONNX model (an empty file, or a text file) */
  {
    g_autoptr(GByteArray) f = g_byte_array_new ();
    expect_refusal (f, MCAM_ERROR_FORMAT, "there is no graph");
  }
  /* a node without op_type */
  {
    g_autoptr(GByteArray) graph = g_byte_array_new ();
    g_autoptr(GByteArray) node = g_byte_array_new ();
    g_autoptr(GByteArray) f = NULL;
    put_str (node, 3, "nameless-op");
    put_msg (graph, 1, node);
    f = model_with_graph (graph);
    expect_refusal (f, MCAM_ERROR_FORMAT, "graph.node[0]: node 'nameless-op' has no op_type");
  }
  /* a tensor without data_type */
  {
    g_autoptr(GByteArray) t = g_byte_array_new ();
    put_str (t, 8, "w");
    expect_tensor_refusal (t, MCAM_ERROR_FORMAT, "tensor 'w' has no data_type");
  }
  /* raw_data shorter than the shape needs */
  {
    g_autoptr(GByteArray) t = float_tensor ("w");
    put_int (t, 1, 2);
    put_int (t, 1, 3);
    put_ld (t, 9, "0123456789a", 11);
    expect_tensor_refusal (t, MCAM_ERROR_FORMAT, "6 FLOAT values need 24 bytes but raw_data has 11");
  }
  /* dims whose product overflows */
  {
    g_autoptr(GByteArray) t = g_byte_array_new ();
    g_autoptr(GByteArray) f = NULL;
    for (int i = 0; i < 3; i++)
      put_int (t, 1, G_GUINT64_CONSTANT (1) << 31);
    put_int (t, 2, MCAM_ONNX_DTYPE_FLOAT);
    put_str (t, 8, "huge");
    put_ld (t, 9, "0123", 4);
    f = model_with_tensor (t);
    expect_refusal (f, MCAM_ERROR_FORMAT, "tensor 'huge' is impossibly large");
  }
  /* float_data with a different count than the shape */
  {
    g_autoptr(GByteArray) t = float_tensor ("w");
    put_int (t, 1, 3);
    put_ld (t, 4, "\0\0\0\0\0\0\0\0", 8);
    expect_tensor_refusal (t, MCAM_ERROR_FORMAT, "tensor 'w' has 2 values for 3 elements");
  }
  /* a FLOAT tensor's values in int64_data */
  {
    g_autoptr(GByteArray) t = float_tensor ("w");
    put_int (t, 7, 1);
    expect_tensor_refusal (t, MCAM_ERROR_FORMAT, "of type FLOAT has its values in field 7");
  }
  /* packed float_data not a multiple of 4 */
  {
    g_autoptr(GByteArray) t = float_tensor ("w");
    put_ld (t, 4, "\0\0\0\0\0", 5);
    expect_tensor_refusal (t, MCAM_ERROR_FORMAT, "5 bytes, not a multiple of 4");
  }
  /* weights in an external file */
  {
    g_autoptr(GByteArray) t = float_tensor ("w");
    put_int (t, 14, 1);
    expect_tensor_refusal (t, MCAM_ERROR_UNSUPPORTED, "external file");
  }
  /* two initializers with one name */
  {
    g_autoptr(GByteArray) t = g_byte_array_new ();
    g_autoptr(GByteArray) graph = g_byte_array_new ();
    g_autoptr(GByteArray) f = NULL;
    put_int (t, 1, 0);     /* empty: no values needed */
    put_int (t, 2, MCAM_ONNX_DTYPE_FLOAT);
    put_str (t, 8, "w");
    put_msg (graph, 5, t);
    put_msg (graph, 5, t);
    f = model_with_graph (graph);
    expect_refusal (f, MCAM_ERROR_FORMAT, "two initializers are named 'w'");
  }
  /* an attribute declared INT carrying a float */
  {
    g_autoptr(GByteArray) a = g_byte_array_new ();
    g_autoptr(GByteArray) node = g_byte_array_new ();
    g_autoptr(GByteArray) graph = g_byte_array_new ();
    g_autoptr(GByteArray) f = NULL;
    static const guint8 one[4] = { 0, 0, 0x80, 0x3f };
    put_str (a, 1, "axis");
    put_int (a, 20, MCAM_ONNX_ATTR_INT);
    put_key (a, 2, 5);
    g_byte_array_append (a, one, 4);
    put_str (node, 4, "Flatten");
    put_msg (node, 5, a);
    put_msg (graph, 1, node);
    f = model_with_graph (graph);
    expect_refusal (f, MCAM_ERROR_FORMAT, "graph.node[0].attribute[0]: attribute 'axis' is "
                    "declared of type 2 but carries a value of type 1");
  }
  /* one attribute name twice in a node */
  {
    g_autoptr(GByteArray) a = g_byte_array_new ();
    g_autoptr(GByteArray) node = g_byte_array_new ();
    g_autoptr(GByteArray) graph = g_byte_array_new ();
    g_autoptr(GByteArray) f = NULL;
    put_str (a, 1, "axis");
    put_int (a, 3, 1);
    put_str (node, 4, "Flatten");
    put_msg (node, 5, a);
    put_msg (node, 5, a);
    put_msg (graph, 1, node);
    f = model_with_graph (graph);
    expect_refusal (f, MCAM_ERROR_FORMAT, "attribute 'axis' appears twice");
  }
  /* a duplicate metadata key */
  {
    g_autoptr(GByteArray) graph = g_byte_array_new ();
    g_autoptr(GByteArray) kv = g_byte_array_new ();
    g_autoptr(GByteArray) f = model_with_graph (graph);
    put_str (kv, 1, "mcam.classes");
    put_str (kv, 2, "[]");
    put_msg (f, 14, kv);
    put_msg (f, 14, kv);
    expect_refusal (f, MCAM_ERROR_FORMAT, "metadata key 'mcam.classes' appears twice");
  }
}

/* The file-level entry: missing files and non-regular files are refused by
 * name without reading. */
static void
test_load (void)
{
  g_autofree char *rel = g_build_filename ("onnx-reader", "tiny.onnx", NULL);
  g_autofree char *path = mcam_test_fixture (rel);
  g_autofree char *missing = g_build_filename (tmpdir, "missing.onnx", NULL);
  g_autofree char *fifo = g_build_filename (tmpdir, "fifo.onnx", NULL);
  g_autoptr(McamOnnxModel) m = NULL;
  g_autoptr(GError) error = NULL;

  m = mcam_onnx_model_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (m->path, ==, path);
  g_assert_cmpint (m->n_nodes, ==, 8);

  g_assert_null (mcam_onnx_model_load (missing, &error));
  g_assert_error (error, MCAM_ERROR, MCAM_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "missing.onnx"));
  g_clear_error (&error);

  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  g_assert_null (mcam_onnx_model_load (fifo, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "fifo.onnx"));
}

int
main (int argc, char **argv)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *expected = mcam_test_fixture ("onnx-reader/expected.json");
  g_autoptr(GError) error = NULL;
  int ret;

  mcam_test_init (&argc, &argv);
  g_assert_true (json_parser_load_from_file (parser, expected, &error));
  expected_root = json_node_get_object (json_parser_get_root (parser));
  tmpdir = g_dir_make_tmp ("mcam-onnx-XXXXXX", NULL);

  g_test_add_data_func ("/onnx/reader/tiny", "tiny.onnx", test_fixture);
  g_test_add_data_func ("/onnx/reader/unpacked", "unpacked.onnx", test_fixture);
  g_test_add_func ("/onnx/reader/torchvision-exports", test_torchvision_exports);
  g_test_add_func ("/onnx/reader/unaligned", test_unaligned);
  g_test_add_func ("/onnx/reader/truncated", test_truncated);
  g_test_add_func ("/onnx/reader/flipped-bytes", test_flipped_bytes);
  g_test_add_func ("/onnx/reader/malformed", test_malformed);
  g_test_add_func ("/onnx/reader/load", test_load);
  ret = g_test_run ();

  {
    g_autofree char *fifo = g_build_filename (tmpdir, "fifo.onnx", NULL);
    g_unlink (fifo);
    g_rmdir (tmpdir);
  }
  return ret;
}
