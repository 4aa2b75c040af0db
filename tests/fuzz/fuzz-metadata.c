/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: the model metadata (mcam.* keys) of a safetensors model.
 * The input is text, one "key=value" a line (the grammar libFuzzer mutates
 * best); it becomes the __metadata__ of the fixture network net-bottleneck,
 * whose tensors stay as they are, and the file is loaded with mcam_net_load.
 * So every reader of those keys runs: the architecture's (mcam.arch, block,
 * layers, widths, stem, ...) and the model-level ones (mcam.input, resize,
 * resize-size, interpolation, mean, std, classes, multilabel). Either the
 * load fails with a GError naming the file, or what it accepted is usable:
 * positive input size, finite mean and positive finite std, one class name
 * per logit, and (for inputs up to 96 x 96) preprocessing and a forward pass
 * give finite logits. MCAM_FIXTURES_DIR (default tests/fixtures). */

#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mcam/mcam.h"

static JsonObject *tensors;     /* the fixture's header without __metadata__ */
static guint8 *blob;            /* its tensor bytes */
static gsize blob_len;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  const char *dir = g_getenv ("MCAM_FIXTURES_DIR");
  g_autofree char *path = g_build_filename (dir ? dir : "tests/fixtures",
                                            "net-bottleneck.safetensors", NULL);
  g_autofree char *bytes = NULL;
  gsize len = 0;
  guint64 hlen = 0;
  g_autoptr(JsonParser) parser = json_parser_new ();

  if (!g_file_get_contents (path, &bytes, &len, NULL) || len < 8)
    g_error ("fuzz-metadata needs %s (set MCAM_FIXTURES_DIR)", path);
  for (int i = 7; i >= 0; i--)
    hlen = hlen << 8 | (guint8) bytes[i];
  if (hlen > len - 8 || !json_parser_load_from_data (parser, bytes + 8, (gssize) hlen, NULL))
    g_error ("%s: not a safetensors file", path);
  tensors = json_object_ref (json_node_get_object (json_parser_get_root (parser)));
  json_object_remove_member (tensors, "__metadata__");
  blob_len = len - 8 - hlen;
  blob = g_memdup2 (bytes + 8 + hlen, blob_len);
  return 0;
}

static gboolean
write_model (const char *path, const uint8_t *data, size_t size)
{
  g_autoptr(JsonObject) header = json_object_new ();
  g_autoptr(JsonObject) meta = json_object_new ();
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_auto(GStrv) lines = g_strsplit (text, "\n", 64);
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  json_object_iter_init (&iter, tensors);
  while (json_object_iter_next (&iter, &name, &node))
    json_object_set_member (header, name, json_node_copy (node));
  for (int i = 0; lines[i] != NULL; i++)
    {
      char *eq = strchr (lines[i], '=');
      if (eq == NULL)
        continue;
      *eq = '\0';
      /* JSON strings must be UTF-8: others could not be in a real file. */
      if (!g_utf8_validate (lines[i], -1, NULL) || !g_utf8_validate (eq + 1, -1, NULL))
        return FALSE;
      json_object_set_string_member (meta, lines[i], eq + 1);
    }
  json_object_set_object_member (header, "__metadata__", json_object_ref (meta));

  g_autoptr(JsonNode) root = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (root, header);
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  json_generator_set_root (gen, root);
  gsize hlen = 0;
  g_autofree char *htext = json_generator_to_data (gen, &hlen);
  guint8 len8[8];
  for (int i = 0; i < 8; i++)
    len8[i] = (guint8) ((guint64) hlen >> (8 * i));

  /* plain stdio: g_file_set_contents fsyncs, which makes fuzzing crawl */
  FILE *fp = fopen (path, "wb");
  if (fp == NULL)
    return FALSE;
  fwrite (len8, 1, 8, fp);
  fwrite (htext, 1, hlen, fp);
  fwrite (blob, 1, blob_len, fp);
  fclose (fp);
  return TRUE;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static char *path;
  GError *error = NULL;

  if (path == NULL)
    path = g_strdup_printf ("%s/mcam-fuzz-metadata-%d.safetensors", g_get_tmp_dir (),
                            (int) getpid ());
  if (size > 4096 || !write_model (path, data, size))
    return 0;

  McamNet *net = mcam_net_load (path, &error);
  if (net == NULL)
    {
      g_assert (error != NULL && strstr (error->message, path) != NULL);
      g_error_free (error);
      return 0;
    }

  const McamNetInfo *info = mcam_net_get_info (net);
  const McamPreprocess *pp = &info->preprocess;
  g_assert (pp->width > 0 && pp->height > 0);
  g_assert (pp->resize == MCAM_RESIZE_STRETCH || pp->resize == MCAM_RESIZE_CENTER_CROP);
  g_assert (pp->resize_size == 0 || pp->resize_size >= MAX (pp->width, pp->height));
  for (int c = 0; c < 3; c++)
    g_assert (isfinite (pp->mean[c]) && isfinite (pp->std[c]) && pp->std[c] > 0.0f);
  g_assert (info->n_classes > 0 && g_strv_length (info->classes) == (guint) info->n_classes);
  g_assert (info->unknown_keys != NULL);

  if ((gint64) pp->width * pp->height <= 96 * 96)
    {
      g_autoptr(McamImage) img = mcam_image_new (7, 5);
      for (int i = 0; i < 7 * 5 * 3; i++)
        img->rgb[i] = (guint8) (i * 37);
      g_autoptr(McamTensor) x = mcam_image_preprocess (img, pp);
      g_autoptr(McamTensor) f = NULL, logits = NULL;
      if (mcam_net_forward (net, x, &f, &logits, NULL, &error))
        {
          g_assert (logits->n == (gsize) info->n_classes);
          for (gsize i = 0; i < logits->n; i++)
            g_assert (isfinite (logits->data[i]));
        }
      else
        {
          /* Too small for the network (the features would be empty) is a
           * refusal, not a crash. */
          g_assert (error != NULL);
          g_clear_error (&error);
        }
    }
  mcam_net_free (net);
  return 0;
}
