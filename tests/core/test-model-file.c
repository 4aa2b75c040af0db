/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Model-file sniffing: each kind recognised from its first bytes (real
 * torch.save outputs, real ONNX exports, the safetensors fixtures), PyTorch
 * files refused with the way in, and the rest left alone. */

#include "config.h"

#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "mcam/mcam.h"
#include "mcam-model-file.h"
#include "mcam-test-util.h"

static char *tmpdir;

static McamModelFileKind
sniff_file (const char *path, gsize at_most)
{
  g_autofree char *data = NULL;
  gsize len;

  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  return mcam_model_file_sniff ((const guint8 *) data, MIN (len, at_most));
}

static McamModelFileKind
sniff_bytes (const void *data, gsize len)
{
  /* an exact-size copy, for ASan */
  g_autofree guint8 *copy = g_memdup2 (data, len);

  return mcam_model_file_sniff (copy, len);
}

static void
test_kinds (void)
{
  static const struct { const char *file; McamModelFileKind kind; } cases[] = {
    { "onnx-reader/tiny.onnx", MCAM_MODEL_FILE_ONNX },
    { "onnx-reader/unpacked.onnx", MCAM_MODEL_FILE_ONNX },
    { "onnx-reader/state-dict.pth", MCAM_MODEL_FILE_PYTORCH_ZIP },
    { "onnx-reader/legacy.pth", MCAM_MODEL_FILE_PYTORCH_PICKLE },
    { "net-basic.safetensors", MCAM_MODEL_FILE_SAFETENSORS },
    { "memory-tiny.safetensors", MCAM_MODEL_FILE_SAFETENSORS },
    { "img-photo.png", MCAM_MODEL_FILE_UNKNOWN },
    { "img-photo.jpg", MCAM_MODEL_FILE_UNKNOWN },
    { "onnx-reader/expected.json", MCAM_MODEL_FILE_UNKNOWN },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = mcam_test_fixture (cases[i].file);

      g_test_message ("%s", cases[i].file);
      g_assert_cmpstr (mcam_model_file_kind_get_name (sniff_file (path, G_MAXSIZE)), ==,
                       mcam_model_file_kind_get_name (cases[i].kind));
      /* the first 4 KiB decide, and the first 64 bytes are enough */
      g_assert_cmpint (sniff_file (path, MCAM_MODEL_FILE_SNIFF_BYTES), ==, cases[i].kind);
      g_assert_cmpint (sniff_file (path, 64), ==, cases[i].kind);
    }
}

/* Every real torchvision export among the fixtures (tools/export_model.py). */
static void
test_torchvision_exports (void)
{
  g_autofree char *dir_path = mcam_test_fixture ("onnx");
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *name;
  guint n = 0;

  if (dir == NULL)
    {
      g_test_skip ("tests/fixtures/onnx is not there");
      return;
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir_path, name, NULL);

      if (g_str_has_suffix (name, ".onnx"))
        {
          g_assert_cmpint (sniff_file (path, MCAM_MODEL_FILE_SNIFF_BYTES), ==,
                           MCAM_MODEL_FILE_ONNX);
          n++;
        }
      else if (g_str_has_suffix (name, ".safetensors"))
        g_assert_cmpint (sniff_file (path, MCAM_MODEL_FILE_SNIFF_BYTES), ==,
                         MCAM_MODEL_FILE_SAFETENSORS);
    }
  g_test_message ("%u ONNX exports", n);
  g_assert_cmpuint (n, >=, 1);
}

static void
test_edge_bytes (void)
{
  static const guint8 plain_zip[] = "PK\3\4\24\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
                                     "\11\0\0\0hello.txt";
  static const guint8 pickle4[] = { 0x80, 0x04, 0x95, 0x10, 0, 0, 0, 0, 0, 0, 0 };
  static const guint8 safetensors_tiny[] = { 2, 0, 0, 0, 0, 0, 0, 0, '{', '}' };
  /* ir_version 8 then a graph cut short: a prefix of an ONNX file */
  static const guint8 onnx_prefix[] = { 0x08, 0x08, 0x3a, 0xff, 0x7f, 0x0a };
  /* a protobuf-looking start with a field ModelProto does not have */
  static const guint8 not_onnx[] = { 0x08, 0x08, 0x78, 0x01 };

  g_assert_cmpint (sniff_bytes ("", 0), ==, MCAM_MODEL_FILE_UNKNOWN);
  g_assert_cmpint (sniff_bytes ("\x80", 1), ==, MCAM_MODEL_FILE_UNKNOWN);
  g_assert_cmpint (sniff_bytes (plain_zip, sizeof plain_zip - 1), ==, MCAM_MODEL_FILE_UNKNOWN);
  g_assert_cmpint (sniff_bytes (plain_zip, 10), ==, MCAM_MODEL_FILE_UNKNOWN);
  g_assert_cmpint (sniff_bytes (pickle4, sizeof pickle4), ==, MCAM_MODEL_FILE_PYTORCH_PICKLE);
  g_assert_cmpint (sniff_bytes (safetensors_tiny, sizeof safetensors_tiny), ==,
                   MCAM_MODEL_FILE_SAFETENSORS);
  g_assert_cmpint (sniff_bytes (onnx_prefix, sizeof onnx_prefix), ==, MCAM_MODEL_FILE_ONNX);
  g_assert_cmpint (sniff_bytes (not_onnx, sizeof not_onnx), ==, MCAM_MODEL_FILE_UNKNOWN);
  g_assert_cmpint (sniff_bytes ("hello, world\n", 13), ==, MCAM_MODEL_FILE_UNKNOWN);
}

static void
test_probe_refuses_pytorch (void)
{
  static const char *const files[] = { "onnx-reader/state-dict.pth", "onnx-reader/legacy.pth" };

  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = mcam_test_fixture (files[i]);
      g_autoptr(GError) error = NULL;
      McamModelFileKind kind = MCAM_MODEL_FILE_UNKNOWN;

      g_assert_false (mcam_model_file_probe (path, &kind, &error));
      g_assert_error (error, MCAM_ERROR, MCAM_ERROR_UNSUPPORTED);
      g_test_message ("%s", error->message);
      g_assert_true (g_str_has_prefix (error->message, path));
      g_assert_nonnull (strstr (error->message, "PyTorch"));
      g_assert_nonnull (strstr (error->message, "tools/export_model.py"));
      g_assert_nonnull (strstr (error->message, "docs/BRING-YOUR-MODEL.md"));
      g_assert_true (kind == MCAM_MODEL_FILE_PYTORCH_ZIP || kind == MCAM_MODEL_FILE_PYTORCH_PICKLE);
    }
}

static void
test_probe_passes_the_rest (void)
{
  g_autofree char *onnx = mcam_test_fixture ("onnx-reader/tiny.onnx");
  g_autofree char *st = mcam_test_fixture ("net-basic.safetensors");
  g_autofree char *empty = g_build_filename (tmpdir, "empty.pth", NULL);
  g_autofree char *fifo = g_build_filename (tmpdir, "fifo.pth", NULL);
  g_autoptr(GError) error = NULL;
  McamModelFileKind kind;

  g_assert_true (mcam_model_file_probe (onnx, &kind, &error));
  g_assert_no_error (error);
  g_assert_cmpint (kind, ==, MCAM_MODEL_FILE_ONNX);
  g_assert_true (mcam_model_file_probe (st, &kind, &error));
  g_assert_cmpint (kind, ==, MCAM_MODEL_FILE_SAFETENSORS);
  /* an empty file, even named .pth, is not refused as PyTorch: the reader
   * that gets it says what is wrong */
  g_assert_true (g_file_set_contents (empty, "", 0, NULL));
  g_assert_true (mcam_model_file_probe (empty, &kind, &error));
  g_assert_cmpint (kind, ==, MCAM_MODEL_FILE_UNKNOWN);
  /* a FIFO is refused by mcam-file without blocking */
  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  g_assert_false (mcam_model_file_probe (fifo, &kind, &error));
  g_assert_nonnull (error);
  g_unlink (fifo);
  g_unlink (empty);
}

int
main (int argc, char **argv)
{
  int ret;

  mcam_test_init (&argc, &argv);
  tmpdir = g_dir_make_tmp ("mcam-model-file-XXXXXX", NULL);
  g_test_add_func ("/model-file/sniff/kinds", test_kinds);
  g_test_add_func ("/model-file/sniff/torchvision-exports", test_torchvision_exports);
  g_test_add_func ("/model-file/sniff/edge-bytes", test_edge_bytes);
  g_test_add_func ("/model-file/probe/refuses-pytorch", test_probe_refuses_pytorch);
  g_test_add_func ("/model-file/probe/passes-the-rest", test_probe_passes_the_rest);
  ret = g_test_run ();
  g_rmdir (tmpdir);
  return ret;
}
