/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: any bytes given as labels.csv or boxes.csv must yield a
 * dataset or a GError naming the file — never a crash or an out-of-bounds read.
 * Build: meson setup build-fuzz -Dfuzz=true -Dapp=false (CC=clang). */

#include "config.h"

#include <stdint.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include <stdio.h>

#include "mcam/mcam.h"
#include "mcam/mcam-dataset.h"

/* Compile the parser into this target so that libFuzzer's coverage
 * instrumentation sees it (libmcam itself is built without it). */
#include "mcam-dataset.c"

static const char *const classes[] = { "cat", "dog", "hot dog", NULL };

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static char *dir, *csv;
  McamDataset *ds;
  GError *error = NULL;

  if (dir == NULL)
    {
      char *img;
      dir = g_strdup_printf ("%s/mcam-fuzz-labels-%d", g_get_tmp_dir (), (int) getpid ());
      g_mkdir_with_parents (dir, 0700);
      img = g_build_filename (dir, "a.png", NULL);
      g_file_set_contents (img, "x", 1, NULL);
      g_free (img);
      csv = g_build_filename (dir, "in.csv", NULL);
    }
  {
    /* plain stdio: g_file_set_contents fsyncs, which makes fuzzing crawl */
    FILE *fp = fopen (csv, "wb");
    if (fp == NULL)
      return 0;
    fwrite (data, 1, size, fp);
    fclose (fp);
  }

  ds = mcam_dataset_new (dir, classes, 3);
  if (!mcam_dataset_load_labels (ds, csv, &error))
    {
      g_assert (error != NULL && g_str_has_prefix (error->message, csv));
      g_clear_error (&error);
    }
  if (!mcam_dataset_load_boxes (ds, csv, &error))
    {
      g_assert (error != NULL && g_str_has_prefix (error->message, csv));
      g_clear_error (&error);
    }
  for (int i = 0; i < ds->n; i++)
    for (int k = 0; k < ds->box_count[i]; k++)
      g_assert (ds->boxes[ds->box_start[i] + k].class_index < 3);
  mcam_dataset_free (ds);
  return 0;
}
