/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The ONNX reader against what tools/make_onnx_fixtures.py wrote (every
 * parsed field compared with expected.json, written from python3-onnx's own
 * view of the files), the torchvision exports and the file-level entry.
 * Damaged files (truncations, flipped bytes, hand-made damage) are in
 * test-onnx-damaged.c. */

#include "config.h"

#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "test-onnx-util.h"

static char *tmpdir;

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
  g_autoptr(JsonParser) parser = NULL;
  int ret;

  mcam_test_init (&argc, &argv);
  parser = expected_load ();
  tmpdir = g_dir_make_tmp ("mcam-onnx-XXXXXX", NULL);

  g_test_add_data_func ("/onnx/reader/tiny", "tiny.onnx", test_fixture);
  g_test_add_data_func ("/onnx/reader/unpacked", "unpacked.onnx", test_fixture);
  g_test_add_func ("/onnx/reader/torchvision-exports", test_torchvision_exports);
  g_test_add_func ("/onnx/reader/unaligned", test_unaligned);
  g_test_add_func ("/onnx/reader/load", test_load);
  ret = g_test_run ();

  {
    g_autofree char *fifo = g_build_filename (tmpdir, "fifo.onnx", NULL);
    g_unlink (fifo);
    g_rmdir (tmpdir);
  }
  return ret;
}
