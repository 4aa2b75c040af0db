/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The ONNX reader on damaged files: every truncation of tiny.onnx, flipped
 * bytes, and one hand-made file per kind of damage, each an error naming the
 * file and the problem (split out of test-onnx.c). Run under tools/sanitize
 * for the over-read checks: every buffer handed to the parser is exactly as
 * long as the file. */

#include "config.h"

#include <string.h>

#include "test-onnx-util.h"

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
  /* an INT64 tensor's one value in string_data: counted as a value, but
   * nothing that reads int64s could read it (found by the fuzz smoke) */
  {
    g_autoptr(GByteArray) t = g_byte_array_new ();
    put_int (t, 1, 1);
    put_int (t, 2, MCAM_ONNX_DTYPE_INT64);
    put_str (t, 8, "shape");
    put_ld (t, 6, "7", 1);
    expect_tensor_refusal (t, MCAM_ERROR_FORMAT, "tensor 'shape' of type INT64 has its values in string_data");
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


int
main (int argc, char **argv)
{
  g_autoptr(JsonParser) parser = NULL;

  mcam_test_init (&argc, &argv);
  parser = expected_load ();

  g_test_add_func ("/onnx/reader/truncated", test_truncated);
  g_test_add_func ("/onnx/reader/flipped-bytes", test_flipped_bytes);
  g_test_add_func ("/onnx/reader/malformed", test_malformed);
  return g_test_run ();
}
