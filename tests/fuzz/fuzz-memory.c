/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: any bytes given to mcam_memory_load must yield a memory
 * module or a GError naming the file — never a crash or an out-of-bounds read.
 * Each input is loaded twice: alone (only its own shapes are checked) and
 * against the fixture network net-bottleneck (shapes, classes, fingerprint).
 * A module that loads is then used once (query, addresses, classifier), so
 * that whatever the loader accepts is something inference can run on.
 * MCAM_FIXTURES_DIR (default tests/fixtures) locates the network. */

#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mcam/mcam.h"

static McamNet *net;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  const char *dir = g_getenv ("MCAM_FIXTURES_DIR");
  g_autofree char *path = g_build_filename (dir ? dir : "tests/fixtures",
                                            "net-bottleneck.safetensors", NULL);
  g_autoptr(GError) error = NULL;

  net = mcam_net_load (path, &error);
  if (net == NULL)
    g_error ("fuzz-memory needs the fixture network (set MCAM_FIXTURES_DIR): %s",
             error->message);
  return 0;
}

static void
exercise (const McamMemory *mem)
{
  gsize chw = (gsize) mem->c * mem->h * mem->w;
  float *f = g_new0 (float, chw);
  float *q = g_new0 (float, mem->c);
  float *v = g_new0 (float, mem->c);
  float *p = g_new0 (float, mem->n_slots);
  float *z = g_new0 (float, mem->n_classes);

  g_assert (mem->n_slots > 0 && mem->c > 0 && mem->h > 0 && mem->w > 0
            && mem->n_classes > 0);
  for (gsize i = 0; i < chw; i++)
    f[i] = (float) (i % 7) * 0.25f;
  mcam_memory_query (mem, f, q);
  mcam_memory_key_address (mem, q, p);
  mcam_memory_read (mem, p, v);
  mcam_memory_classify (mem, v, q, z);
  mcam_memory_spatial_address (mem, f, p);
  mcam_memory_value_address (mem, 0, p);
  g_free (f);
  g_free (q);
  g_free (v);
  g_free (p);
  g_free (z);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static char *path;
  GError *error = NULL;
  McamMemory *mem;
  FILE *fp;

  if (path == NULL)
    path = g_strdup_printf ("%s/mcam-fuzz-memory-%d.safetensors", g_get_tmp_dir (),
                            (int) getpid ());
  /* plain stdio: g_file_set_contents fsyncs, which makes fuzzing crawl */
  fp = fopen (path, "wb");
  if (fp == NULL)
    return 0;
  fwrite (data, 1, size, fp);
  fclose (fp);

  for (int with_net = 0; with_net < 2; with_net++)
    {
      mem = mcam_memory_load (path, with_net ? net : NULL, &error);
      if (mem == NULL)
        {
          g_assert (error != NULL && strstr (error->message, path) != NULL);
          g_clear_error (&error);
          continue;
        }
      g_assert (error == NULL);
      if (with_net)
        {
          const McamNetInfo *info = mcam_net_get_info (net);
          g_assert (mem->c == info->feat_c && mem->h == info->feat_h
                    && mem->w == info->feat_w && mem->n_classes == info->n_classes);
        }
      exercise (mem);
      mcam_memory_free (mem);
    }
  return 0;
}
