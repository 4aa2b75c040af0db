/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Class activation maps as float grids: upsampling to the image, ReLU and
 * min-max normalisation (DESIGN 4.5), and placing a map computed on a centre
 * crop back onto the whole image. */

#include "config.h"

#include <math.h>

#include "mcam/mcam-map.h"

/* One axis of a bilinear resize with align_corners = false: output sample o
 * covers input coordinate start + (o + 0.5)·step − 0.5, clamped at 0 below and
 * at the last sample above (PyTorch's rule, F.interpolate's default). The
 * clamp is applied in double, before the conversion to int: far outside a
 * small crop the coordinate can pass INT_MAX (a map larger than the network
 * input on an image of extreme aspect), and the conversion would then be
 * undefined (on x86, INT_MIN: a read before the map). */
typedef struct
{
  int   i0;
  int   i1;
  float t;     /* weight of i1 */
} Lerp;

static inline Lerp
lerp_at (double start, double step, int o, int in)
{
  double s = start + (o + 0.5) * step - 0.5;
  Lerp l;

  if (!(s > 0.0))          /* also NaN */
    s = 0.0;
  if (s >= in - 1)
    {
      l.i0 = l.i1 = in - 1;
      l.t = 0.0f;
      return l;
    }
  l.i0 = (int) s;
  l.i1 = l.i0 + 1;
  l.t = (float) (s - l.i0);
  return l;
}

/* A map row interpolated along x to the output width, kept while the
 * output rows read it. */
typedef struct
{
  int    index;   /* map row, −1: none yet */
  float *values;
} Row;

/* Map row `row` along x, from the cache or computed into the slot that does
 * not hold row `keep`. */
static const float *
row_along_x (Row cache[2], int keep, const float *src, int sw, int row,
             double x_start, double x_step, int dw)
{
  const float *in = src + (gsize) row * sw;
  Row *r;

  for (int k = 0; k < 2; k++)
    if (cache[k].index == row)
      return cache[k].values;
  r = cache[0].index == keep ? &cache[1] : &cache[0];
  for (int x = 0; x < dw; x++)
    {
      Lerp l = lerp_at (x_start, x_step, x, sw);

      r->values[x] = in[l.i0] + (in[l.i1] - in[l.i0]) * l.t;
    }
  r->index = row;
  return r->values;
}

/* Separable, streamed: output row y blends two map rows, each interpolated
 * along x once and kept while the output rows need it (they are read in
 * order), so that beyond dst only two rows at output width are held — the
 * same arithmetic, in the same order, as interpolating the four neighbours
 * of each pixel. */
static void
lerp_2d (const float *src, int sh, int sw, double y_start, double y_step, int dh,
         double x_start, double x_step, int dw, float *dst)
{
  g_autofree float *buffer = g_new (float, (gsize) dw * 2);
  Row cache[2] = { { -1, buffer }, { -1, buffer + dw } };

  for (int y = 0; y < dh; y++)
    {
      Lerp ly = lerp_at (y_start, y_step, y, sh);
      /* rows only move down: the older slot goes first */
      int newer = MAX (cache[0].index, cache[1].index);
      const float *top = row_along_x (cache, newer, src, sw, ly.i0, x_start, x_step, dw);
      const float *bottom = row_along_x (cache, ly.i0, src, sw, ly.i1, x_start, x_step, dw);
      float *out = dst + (gsize) y * dw;

      for (int x = 0; x < dw; x++)
        out[x] = top[x] + (bottom[x] - top[x]) * ly.t;
    }
}

void
mcam_map_upsample (const float *src, int sh, int sw, float *dst, int dh, int dw)
{
  g_return_if_fail (src != NULL && dst != NULL);
  g_return_if_fail (sh > 0 && sw > 0 && dh > 0 && dw > 0);

  lerp_2d (src, sh, sw, 0.0, (double) sh / dh, dh, 0.0, (double) sw / dw, dw, dst);
}

void
mcam_map_normalize (float *map, gsize n)
{
  float lo = INFINITY, hi = -INFINITY;
  float range;

  g_return_if_fail (map != NULL || n == 0);

  for (gsize i = 0; i < n; i++)
    {
      if (map[i] < lo)
        lo = map[i];
      if (map[i] > hi)
        hi = map[i];
    }

  range = hi - lo;
  /* A constant map carries no location: all zeros, never a division by 0. */
  if (n == 0 || !(range > 0.0f) || !isfinite (range))
    {
      for (gsize i = 0; i < n; i++)
        map[i] = 0.0f;
      return;
    }

  for (gsize i = 0; i < n; i++)
    map[i] = (map[i] - lo) / range;
}

gboolean
mcam_map_relu (float *map, gsize n)
{
  gboolean any = FALSE;

  g_return_val_if_fail (map != NULL || n == 0, FALSE);

  for (gsize i = 0; i < n; i++)
    {
      if (map[i] > 0.0f)
        any = TRUE;
      else
        map[i] = 0.0f;   /* also turns NaN into 0 */
    }
  return any;
}

float *
mcam_map_to_image (const float *map, int h, int w, const McamImage *img,
                   const McamPreprocess *pp)
{
  g_return_val_if_fail (img != NULL, NULL);
  return mcam_map_to_size (map, h, w, img, pp, img->width, img->height);
}

float *
mcam_map_to_size (const float *map, int h, int w, const McamImage *img,
                  const McamPreprocess *pp, int W, int H)
{
  double x0 = 0.0, y0 = 0.0, cw, ch;
  int xa, xb, ya, yb;
  float *out;
  float lo = INFINITY, hi = -INFINITY;

  g_return_val_if_fail (map != NULL && img != NULL, NULL);
  g_return_val_if_fail (h > 0 && w > 0 && W > 0 && H > 0, NULL);

  out = g_new (float, (gsize) W * H);   /* every entry is written below */

  if (pp == NULL || pp->resize == MCAM_RESIZE_STRETCH)
    {
      mcam_map_upsample (map, h, w, out, H, W);
      mcam_map_normalize (out, (gsize) W * H);
      return out;
    }

  /* Centre crop: the network saw the rectangle (x0, y0, cw, ch) of the image,
   * in the image's own pixels, scaled here to the W x H output (a display
   * copy of a large photo is smaller than the photo; the rectangle is the
   * photo's, not one recomputed from the copy's rounded size). Pixels whose
   * centre lies inside it get the map upsampled onto that rectangle; the
   * rest of the image was never seen and stays 0. Map coordinate of pixel
   * centre p: (p + 0.5 − x0)·(w / cw) − 0.5. */
  mcam_image_preprocess_source_rect (img, pp, &x0, &y0, &cw, &ch);
  if (W != img->width || H != img->height)
    {
      double sx = (double) W / img->width, sy = (double) H / img->height;

      x0 *= sx;
      cw *= sx;
      y0 *= sy;
      ch *= sy;
    }
  lerp_2d (map, h, w, -y0 * (h / ch), h / ch, H, -x0 * (w / cw), w / cw, W, out);

  /* The pixels whose centre is inside: columns [xa, xb), rows [ya, yb). */
  for (xa = 0; xa < W && !(xa + 0.5 >= x0); xa++)
    ;
  for (xb = xa; xb < W && xb + 0.5 < x0 + cw; xb++)
    ;
  for (ya = 0; ya < H && !(ya + 0.5 >= y0); ya++)
    ;
  for (yb = ya; yb < H && yb + 0.5 < y0 + ch; yb++)
    ;

  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      {
        float v = out[(gsize) y * W + x];

        if (y >= ya && y < yb && x >= xa && x < xb)
          {
            lo = MIN (lo, v);
            hi = MAX (hi, v);
          }
        else
          out[(gsize) y * W + x] = 0.0f;
      }

  /* Normalise over the seen rectangle only, so that negative maps are not
   * distorted by the zeros outside it. */
  for (int y = ya; y < yb; y++)
    for (int x = xa; x < xb; x++)
      {
        float *v = &out[(gsize) y * W + x];
        *v = hi > lo && isfinite (hi - lo) ? (*v - lo) / (hi - lo) : 0.0f;
      }

  return out;
}
