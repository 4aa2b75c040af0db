/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: any bytes given to mcam_net_load must yield a network or
 * a GError naming the file — never a crash, a hang or an out-of-bounds read.
 * A network that loads must also run: a forward pass on a zero image checks
 * that the loader accepted nothing the engine cannot handle (only for small
 * inputs and networks, so that one run stays fast). */

#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mcam/mcam.h"

static char *
write_input (const char *stem, const uint8_t *data, size_t size)
{
  static char *path;
  FILE *fp;

  if (path == NULL)
    path = g_strdup_printf ("%s/mcam-fuzz-%s-%d.safetensors", g_get_tmp_dir (), stem,
                            (int) getpid ());
  /* plain stdio: g_file_set_contents fsyncs, which makes fuzzing crawl */
  fp = fopen (path, "wb");
  if (fp == NULL)
    return NULL;
  fwrite (data, 1, size, fp);
  fclose (fp);
  return path;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *path = write_input ("net", data, size);
  GError *error = NULL;
  McamNet *net;
  const McamNetInfo *info;

  if (path == NULL)
    return 0;
  net = mcam_net_load (path, &error);
  if (net == NULL)
    {
      g_assert (error != NULL && strstr (error->message, path) != NULL);
      g_error_free (error);
      return 0;
    }
  g_assert (error == NULL);
  info = mcam_net_get_info (net);
  g_assert (info->n_classes > 0 && info->classes != NULL);
  g_assert (g_strv_length (info->classes) == (guint) info->n_classes);
  g_assert (info->feat_c > 0 && info->feat_h > 0 && info->feat_w > 0);

  if (info->preprocess.width <= 64 && info->preprocess.height <= 64
      && info->n_params < 200000)
    {
      McamTensor *input = mcam_tensor_new_4d (1, 3, info->preprocess.height,
                                              info->preprocess.width);
      McamTensor *features = NULL, *logits = NULL;

      g_assert (mcam_net_forward (net, input, &features, &logits, NULL, &error));
      g_assert (features->shape[1] == info->feat_c && features->shape[2] == info->feat_h
                && features->shape[3] == info->feat_w);
      g_assert (logits->shape[1] == info->n_classes);
      mcam_tensor_free (features);
      mcam_tensor_free (logits);
      mcam_tensor_free (input);
    }
  mcam_net_free (net);
  return 0;
}
