/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What test-onnx and test-onnx-damaged share: the fixtures of
 * tools/make_onnx_fixtures.py and their expected.json, and parsing a copy
 * of exactly the given length (so ASan sees any over-read). */

#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "mcam/mcam.h"
#include "mcam-onnx.h"
#include "mcam-test-util.h"

static JsonObject *expected_root;

static inline JsonObject *
expected_for (const char *file)
{
  return json_object_get_object_member (expected_root, file);
}

/* Loads onnx-reader/expected.json into expected_root (the parser owns it). */
static inline JsonParser *
expected_load (void)
{
  JsonParser *parser = json_parser_new ();
  g_autofree char *expected = mcam_test_fixture ("onnx-reader/expected.json");
  g_autoptr(GError) error = NULL;

  g_assert_true (json_parser_load_from_file (parser, expected, &error));
  expected_root = json_node_get_object (json_parser_get_root (parser));
  return parser;
}

static inline GBytes *
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
static inline McamOnnxModel *
parse_exact (const guint8 *data, gsize len, GError **error)
{
  g_autoptr(GBytes) bytes = g_bytes_new (data, len);

  return mcam_onnx_model_parse (bytes, "test.onnx", error);
}
