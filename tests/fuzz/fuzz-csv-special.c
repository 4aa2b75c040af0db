/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: the data-set CSV readers (labels.csv, boxes.csv) among
 * special files. The images folder holds a regular file a.png and, under
 * image-like names, a FIFO, a symbolic-link loop, a dangling link, a folder
 * and a link to /dev/null; the committed corpus lists them (and a name of
 * 10,000 bytes). The CSV itself is the fuzzed bytes, or (first
 * byte) one of those special files. Whatever the input: no hang (a FIFO is
 * never opened for reading), no crash; a load fails with a GError that names
 * the CSV and stays under 2 KB (names are cut, not copied whole), or every
 * file it accepted is a regular file. */

#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "mcam/mcam.h"

static const char *const classes[] = { "cat", "dog", "hot dog", NULL };
static char *dir, *csv;
static const char *const specials[] = { "fifo.png", "loop.png", "dir.png", "null.png",
                                        "gone.png" };

static void
setup (void)
{
  g_autofree char *a = NULL, *fifo = NULL, *loop = NULL, *sub = NULL, *null = NULL,
                  *gone = NULL;

  dir = g_strdup_printf ("%s/mcam-fuzz-csv-special-%d", g_get_tmp_dir (), (int) getpid ());
  g_mkdir_with_parents (dir, 0700);
  a = g_build_filename (dir, "a.png", NULL);
  g_file_set_contents (a, "x", 1, NULL);
  fifo = g_build_filename (dir, "fifo.png", NULL);
  mkfifo (fifo, 0600);
  loop = g_build_filename (dir, "loop.png", NULL);
  if (symlink ("loop.png", loop) != 0) {}
  sub = g_build_filename (dir, "dir.png", NULL);
  g_mkdir (sub, 0700);
  null = g_build_filename (dir, "null.png", NULL);
  if (symlink ("/dev/null", null) != 0) {}
  gone = g_build_filename (dir, "gone.png", NULL);
  if (symlink ("nowhere/else.png", gone) != 0) {}
  csv = g_build_filename (dir, "in.csv", NULL);
}

static void
check (McamDataset *ds, gboolean ok, GError *error, const char *path)
{
  if (!ok)
    {
      g_assert (error != NULL && strstr (error->message, path) != NULL);
      g_assert (strlen (error->message) < 2048);
      return;
    }
  g_assert (error == NULL);
  for (int i = 0; i < ds->n; i++)
    {
      struct stat st;
      g_assert (g_stat (ds->paths[i], &st) == 0 && S_ISREG (st.st_mode));
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  GError *error = NULL;
  g_autofree char *path = NULL;

  if (dir == NULL)
    setup ();
  if (size == 0)
    return 0;
  if (data[0] < 0xf0)
    {
      /* plain stdio: g_file_set_contents fsyncs, which makes fuzzing crawl */
      FILE *fp = fopen (csv, "wb");
      if (fp == NULL)
        return 0;
      fwrite (data + 1, 1, size - 1, fp);
      fclose (fp);
      path = g_strdup (csv);
    }
  else
    path = g_build_filename (dir, specials[data[0] % G_N_ELEMENTS (specials)], NULL);

  McamDataset *ds = mcam_dataset_new (dir, classes, 3);
  gboolean ok = mcam_dataset_load_labels (ds, path, &error);
  check (ds, ok, error, path);
  g_clear_error (&error);
  ok = mcam_dataset_load_boxes (ds, path, &error);
  check (ds, ok, error, path);
  g_clear_error (&error);
  mcam_dataset_free (ds);
  return 0;
}
