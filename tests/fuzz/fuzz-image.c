/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: any bytes given to mcam_image_load must yield an image or
 * a GError naming the file — never a crash or an out-of-bounds read. The
 * pixel limit is set low (4 megapixels) so that a forged header that passes
 * it cannot exhaust the fuzzer's memory; images that load are preprocessed
 * once (stretch and centre-crop), the next thing every caller does. */

#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mcam/mcam.h"

#define FUZZ_MAX_PIXELS (4u * 1024u * 1024u)

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static char *path;
  GError *error = NULL;
  McamImage *img;
  FILE *fp;

  if (path == NULL)
    path = g_strdup_printf ("%s/mcam-fuzz-image-%d.img", g_get_tmp_dir (), (int) getpid ());
  /* plain stdio: g_file_set_contents fsyncs, which makes fuzzing crawl */
  fp = fopen (path, "wb");
  if (fp == NULL)
    return 0;
  fwrite (data, 1, size, fp);
  fclose (fp);

  img = mcam_image_load (path, FUZZ_MAX_PIXELS, &error);
  if (img == NULL)
    {
      g_assert (error != NULL && error->domain == MCAM_ERROR
                && strstr (error->message, path) != NULL);
      g_error_free (error);
      return 0;
    }
  g_assert (error == NULL);
  g_assert (img->width > 0 && img->height > 0
            && (guint64) img->width * (guint64) img->height <= FUZZ_MAX_PIXELS);
  {
    McamPreprocess pp = { 16, 12, MCAM_RESIZE_STRETCH,
                          { 0.485f, 0.456f, 0.406f }, { 0.229f, 0.224f, 0.225f } };
    McamTensor *t = mcam_image_preprocess (img, &pp);
    double x0, y0, w, h;

    mcam_tensor_free (t);
    pp.resize = MCAM_RESIZE_CENTER_CROP;
    t = mcam_image_preprocess (img, &pp);
    mcam_image_preprocess_source_rect (img, &pp, &x0, &y0, &w, &h);
    g_assert (w > 0 && h > 0 && x0 >= 0 && y0 >= 0);
    mcam_tensor_free (t);
  }
  mcam_image_free (img);
  return 0;
}
