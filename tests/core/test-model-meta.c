/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The mcam.* metadata reader (mcam-model-meta.c) on a plain key → value
 * table: defaults and which ones were assumed, every value checked with a
 * message naming the key, unknown keys collected by name. */

#include "config.h"

#include <string.h>

#include "mcam/mcam-error.h"
#include "mcam-model-meta.h"

static const char *
table_get (gpointer source, const char *key)
{
  return g_hash_table_lookup (source, key);
}

/* Reads the metadata given as NULL-terminated key, value pairs. */
static gboolean
read_pairs (McamModelMeta *meta, GError **error, ...)
{
  g_autoptr (GHashTable) t = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree const char **keys = NULL;
  const char *k;
  va_list ap;
  static const char *const arch[] = { "mcam.arch", "mcam.layers", NULL };

  va_start (ap, error);
  while ((k = va_arg (ap, const char *)) != NULL)
    g_hash_table_insert (t, (gpointer) k, va_arg (ap, char *));
  va_end (ap);
  keys = (const char **) g_hash_table_get_keys_as_array (t, NULL);
  return mcam_model_meta_read (meta, table_get, t, keys, arch, "m.safetensors", error);
}

static void
test_defaults (void)
{
  McamModelMeta meta;
  g_autoptr (GError) error = NULL;

  g_assert_true (read_pairs (&meta, &error, NULL));
  g_assert_no_error (error);
  g_assert_cmpint (meta.preprocess.width, ==, 224);
  g_assert_cmpint (meta.preprocess.height, ==, 224);
  g_assert_cmpint (meta.preprocess.resize, ==, MCAM_RESIZE_CENTER_CROP);
  /* torchvision's ImageNet evaluation preset: Resize(256) + CenterCrop(224) */
  g_assert_cmpint (meta.preprocess.resize_size, ==, 256);
  g_assert_cmpint (meta.preprocess.interpolation, ==, MCAM_INTERP_BILINEAR);
  g_assert_cmpfloat (meta.preprocess.mean[0], ==, 0.485f);
  g_assert_cmpfloat (meta.preprocess.std[2], ==, 0.225f);
  g_assert_null (meta.classes);
  g_assert_false (meta.multilabel);
  g_assert_cmpuint (meta.assumed, ==, MCAM_META_INPUT | MCAM_META_RESIZE | MCAM_META_RESIZE_SIZE |
                    MCAM_META_INTERPOLATION | MCAM_META_MEAN | MCAM_META_STD |
                    MCAM_META_CLASSES | MCAM_META_MULTILABEL);
  g_assert_nonnull (meta.unknown_keys);
  g_assert_null (meta.unknown_keys[0]);
  mcam_model_meta_clear (&meta);

  /* round(input / 0.875) for other inputs, from the larger side */
  g_assert_cmpint (mcam_preprocess_default_resize_size (160, 160), ==, 183);
  g_assert_cmpint (mcam_preprocess_default_resize_size (224, 160), ==, 256);
  g_assert_cmpint (mcam_preprocess_default_resize_size (384, 384), ==, 439);
}

static void
test_given (void)
{
  McamModelMeta meta;
  g_autoptr (GError) error = NULL;

  g_assert_true (read_pairs (&meta, &error, "mcam.input", "160x128", "mcam.resize", "center-crop",
                             "mcam.resize-size", "232", "mcam.interpolation", "bicubic",
                             "mcam.classes", "[\"a\",\"b\"]", "mcam.multilabel", "true",
                             "mcam.format", "1", NULL));
  g_assert_no_error (error);
  g_assert_cmpint (meta.preprocess.width, ==, 160);
  g_assert_cmpint (meta.preprocess.height, ==, 128);
  g_assert_cmpint (meta.preprocess.resize_size, ==, 232);
  g_assert_cmpint (meta.preprocess.interpolation, ==, MCAM_INTERP_BICUBIC);
  g_assert_cmpstrv (meta.classes, ((const char *const[]) { "a", "b", NULL }));
  g_assert_true (meta.multilabel);
  g_assert_cmpuint (meta.assumed, ==, MCAM_META_MEAN | MCAM_META_STD);
  mcam_model_meta_clear (&meta);

  g_assert_true (read_pairs (&meta, &error, "mcam.resize", "stretch",
                             "mcam.interpolation", "nearest", NULL));
  g_assert_cmpint (meta.preprocess.resize, ==, MCAM_RESIZE_STRETCH);
  g_assert_cmpint (meta.preprocess.resize_size, ==, 0);
  g_assert_cmpint (meta.preprocess.interpolation, ==, MCAM_INTERP_NEAREST);
  /* absent, so marked assumed (stretch does not use it: mcam info omits it) */
  g_assert_true (meta.assumed & MCAM_META_RESIZE_SIZE);
  mcam_model_meta_clear (&meta);
}

static void
test_unknown (void)
{
  McamModelMeta meta;
  g_autoptr (GError) error = NULL;

  g_assert_true (read_pairs (&meta, &error, "mcam.resize_size", "232", "mcam.arch", "resnet18",
                             "mcam.layers", "[1,1,1,1]", "mcam.memory.scale", "10",
                             "mcam.Interpolation", "bicubic", "mcam.description", "x",
                             "other.key", "not ours", NULL));
  g_assert_no_error (error);
  /* sorted; the architecture's keys (passed by the caller), the memory
   * module's and keys outside mcam.* are not reported */
  g_assert_cmpstrv (meta.unknown_keys,
                    ((const char *const[]) { "mcam.Interpolation", "mcam.resize_size", NULL }));
  /* and the typo did not set the value */
  g_assert_cmpint (meta.preprocess.resize_size, ==, 256);
  g_assert_cmpint (meta.preprocess.interpolation, ==, MCAM_INTERP_BILINEAR);
  mcam_model_meta_clear (&meta);
}

static void
expect_error (const char *key, const char *value, const char *message_part)
{
  McamModelMeta meta;
  g_autoptr (GError) error = NULL;

  g_assert_false (read_pairs (&meta, &error, key, value, NULL));
  g_assert_error (error, MCAM_ERROR, MCAM_ERROR_FORMAT);
  g_assert_nonnull (strstr (error->message, "m.safetensors: metadata "));
  g_assert_nonnull (strstr (error->message, key));
  if (strstr (error->message, message_part) == NULL)
    g_error ("'%s' not in '%s'", message_part, error->message);
  /* left cleared */
  g_assert_null (meta.unknown_keys);
  g_assert_null (meta.classes);
}

static void
test_errors (void)
{
  expect_error ("mcam.resize-size", "200", "an integer from 224 (the input's larger side) to 32768");
  expect_error ("mcam.resize-size", "256.0", "an integer from 224");
  expect_error ("mcam.resize-size", "+256", "an integer from 224");
  expect_error ("mcam.resize-size", "99999999999999999999", "an integer from 224");
  expect_error ("mcam.interpolation", "lanczos", "expected bilinear, bicubic or nearest");
  expect_error ("mcam.resize", "crop", "expected stretch or center-crop");
  expect_error ("mcam.input", "224", "WIDTHxHEIGHT");
  expect_error ("mcam.input", "0x10", "sides 1 to 8192");
  expect_error ("mcam.mean", "[1e300,0,0]", "within the range of float32");
  expect_error ("mcam.std", "[1e-300,1,1]", "3 positive numbers");
  expect_error ("mcam.classes", "[1,2]", "a JSON array of class names");
  expect_error ("mcam.multilabel", "yes", "true or false");
  expect_error ("mcam.format", "2", "a newer program");

  /* a resize size beside stretch would be ignored: refused */
  {
    McamModelMeta meta;
    g_autoptr (GError) error = NULL;

    g_assert_false (read_pairs (&meta, &error, "mcam.resize", "stretch",
                                "mcam.resize-size", "256", NULL));
    g_assert_error (error, MCAM_ERROR, MCAM_ERROR_FORMAT);
    g_assert_nonnull (strstr (error->message, "no value with mcam.resize = stretch"));
  }
}

static void
test_classes (void)
{
  McamModelMeta meta;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) names = NULL;

  g_assert_true (read_pairs (&meta, &error, "mcam.classes", "[\"a\",\"b\"]", NULL));
  g_assert_false (_mcam_model_meta_take_classes (&meta, 3, "m.onnx", "logits", &names, &error));
  g_assert_error (error, MCAM_ERROR, MCAM_ERROR_SHAPE);
  g_assert_cmpstr (error->message, ==,
                   "m.onnx: metadata mcam.classes names 2 classes but tensor 'logits' has 3 rows");
  g_clear_error (&error);
  g_assert_true (_mcam_model_meta_take_classes (&meta, 2, "m.onnx", "logits", &names, &error));
  g_assert_cmpstrv (names, ((const char *const[]) { "a", "b", NULL }));
  mcam_model_meta_clear (&meta);
  g_clear_pointer (&names, g_strfreev);

  g_assert_true (read_pairs (&meta, &error, NULL));
  g_assert_true (_mcam_model_meta_take_classes (&meta, 3, "m.onnx", "logits", &names, &error));
  g_assert_cmpstrv (names, ((const char *const[]) { "0", "1", "2", NULL }));
  mcam_model_meta_clear (&meta);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/mcam/model-meta/defaults", test_defaults);
  g_test_add_func ("/mcam/model-meta/given", test_given);
  g_test_add_func ("/mcam/model-meta/unknown", test_unknown);
  g_test_add_func ("/mcam/model-meta/errors", test_errors);
  g_test_add_func ("/mcam/model-meta/classes", test_classes);
  return g_test_run ();
}
