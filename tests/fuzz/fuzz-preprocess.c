/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: preprocessing at extreme sizes and aspect ratios. The
 * first 16 bytes choose a synthetic image (1 to 65536 pixels a side, at most
 * 65536 pixels: 1 x 65536 and 65536 x 1 are allowed) and a network input
 * (1 to 160 a side, stretch or centre crop, resize size, filter); the rest
 * are the pixels, repeated. Every output must be finite and inside what normalising bytes
 * can give, the source rectangle inside the image, the 8-bit pixels equal to
 * the tensor's, and the map placed back on the image (mcam_map_to_image)
 * finite in [0,1]. No file: the decoders have their own target. */

#include "config.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "mcam/mcam.h"

#define MAX_SIDE (1u << 16)
#define MAX_PIXELS (1u << 16)   /* 1 x 65536 takes ~0.3 s under ASan */
#define MAX_INPUT_SIDE 160   /* bicubic 8225 -> 129 rows: ~0.4 s a call under ASan */

static guint
take (const uint8_t *data, int k)   /* little-endian 16 bits */
{
  return data[k] | ((guint) data[k + 1] << 8);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 16)
    return 0;

  /* Image: side = 1 + (16 bits << shift) mod 2^20, so that both tiny and
   * huge sides are a few mutations away. */
  guint iw = 1 + ((take (data, 0) << (data[4] % 5)) % MAX_SIDE);
  guint ih = 1 + ((take (data, 2) << (data[5] % 5)) % MAX_SIDE);
  if ((guint64) iw * ih > MAX_PIXELS)
    return 0;

  McamPreprocess pp = {
    .width = 1 + take (data, 6) % MAX_INPUT_SIDE,
    .height = 1 + take (data, 8) % MAX_INPUT_SIDE,
    .resize = data[10] & 1 ? MCAM_RESIZE_CENTER_CROP : MCAM_RESIZE_STRETCH,
    .mean = { 0.485f, 0.456f, 0.406f },
    .std = { 0.229f, 0.224f, 0.225f },
    .resize_size = 0,
    .interpolation = (McamInterpolation) (data[11] % 3),
  };
  /* resize_size: 0 (cover the input) or at least the larger input side. */
  if (data[12] & 1)
    pp.resize_size = MAX (pp.width, pp.height) + 2 * data[13];

  McamImage *img = mcam_image_new ((int) iw, (int) ih);
  gsize n = (gsize) iw * ih * 3, avail = size - 16;
  if (avail > 0)
    for (gsize i = 0; i < n; i++)
      img->rgb[i] = data[16 + i % avail];

  McamTensor *t = mcam_image_preprocess (img, &pp);
  gsize hw = (gsize) pp.width * pp.height;
  g_assert (t != NULL && t->n == 3 * hw);
  for (int c = 0; c < 3; c++)
    {
      float lo = (0.0f - pp.mean[c]) / pp.std[c] - 1e-4f;
      float hi = (1.0f - pp.mean[c]) / pp.std[c] + 1e-4f;
      for (gsize i = 0; i < hw; i++)
        {
          float x = t->data[c * hw + i];
          g_assert (isfinite (x) && x >= lo && x <= hi);
        }
    }

  /* The 8-bit pixels are the tensor before normalising. */
  guint8 *px = g_malloc (3 * hw);
  mcam_image_preprocess_pixels (img, &pp, px);
  for (gsize i = 0; i < hw; i++)
    for (int c = 0; c < 3; c++)
      {
        float want = (px[i * 3 + c] / 255.0f - pp.mean[c]) / pp.std[c];
        g_assert (fabsf (t->data[c * hw + i] - want) <= 1e-4f);
      }
  g_free (px);

  double x0, y0, w, h;
  mcam_image_preprocess_source_rect (img, &pp, &x0, &y0, &w, &h);
  g_assert (w > 0 && h > 0 && x0 >= -1e-6 && y0 >= -1e-6);
  g_assert (x0 + w <= iw + 1e-6 && y0 + h <= ih + 1e-6);

  /* A map at feature resolution (at most the input's size, as a network
   * gives) placed back on the image. */
  int mh = 1 + data[14] % pp.height, mw = 1 + data[15] % pp.width;
  float *map = g_new (float, (gsize) mh * mw);
  for (int i = 0; i < mh * mw; i++)
    map[i] = (float) (avail ? data[16 + (gsize) i % avail] : i % 7) - 100.0f;
  float *full = mcam_map_to_image (map, mh, mw, img, &pp);
  g_assert (full != NULL);
  for (gsize i = 0; i < (gsize) iw * ih; i++)
    g_assert (isfinite (full[i]) && full[i] >= 0.0f && full[i] <= 1.0f);
  g_free (full);
  g_free (map);

  mcam_tensor_free (t);
  mcam_image_free (img);
  return 0;
}
