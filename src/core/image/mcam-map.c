/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Class activation maps as float grids: upsampling to the image, ReLU and
 * min-max normalisation (DESIGN 4.5), and placing a map computed on a centre
 * crop back onto the whole image. */

#include "config.h"

#include <math.h>

#include "mcam/mcam-map.h"

/* One axis of a bilinear resize with align_corners = false: output sample o
 * covers input coordinate (o + 0.5)·(in/out) − 0.5, clamped at 0 below and at
 * the last sample above (PyTorch's rule, F.interpolate's default). */
typedef struct
{
  int   i0;
  int   i1;
  float t;     /* weight of i1 */
} Lerp;

static void
lerp_axis (Lerp *l, double start, double step, int out, int in)
{
  for (int o = 0; o < out; o++)
    {
      double s = start + (o + 0.5) * step - 0.5;
      int i0;

      if (s < 0.0)
        s = 0.0;
      i0 = (int) s;
      if (i0 > in - 1)
        i0 = in - 1;
      l[o].i0 = i0;
      l[o].i1 = i0 < in - 1 ? i0 + 1 : i0;
      l[o].t = (float) (s - i0);
      if (l[o].i1 == i0)
        l[o].t = 0.0f;
    }
}

/* Separable: each source row is interpolated along x once (sh × dw), then
 * every output row blends two of those rows — the same arithmetic, in the
 * same order, as interpolating the four neighbours of each pixel. */
static void
lerp_2d (const float *src, int sh, int sw, const Lerp *ly, int dh, const Lerp *lx, int dw,
         float *dst)
{
  g_autofree float *rows = g_new (float, (gsize) sh * dw);

  for (int y = 0; y < sh; y++)
    {
      const float *in = src + (gsize) y * sw;
      float *out = rows + (gsize) y * dw;

      for (int x = 0; x < dw; x++)
        out[x] = in[lx[x].i0] + (in[lx[x].i1] - in[lx[x].i0]) * lx[x].t;
    }

  for (int y = 0; y < dh; y++)
    {
      const float *top = rows + (gsize) ly[y].i0 * dw;
      const float *bottom = rows + (gsize) ly[y].i1 * dw;
      float t = ly[y].t;
      float *out = dst + (gsize) y * dw;

      for (int x = 0; x < dw; x++)
        out[x] = top[x] + (bottom[x] - top[x]) * t;
    }
}

void
mcam_map_upsample (const float *src, int sh, int sw, float *dst, int dh, int dw)
{
  g_autofree Lerp *lx = NULL;
  g_autofree Lerp *ly = NULL;

  g_return_if_fail (src != NULL && dst != NULL);
  g_return_if_fail (sh > 0 && sw > 0 && dh > 0 && dw > 0);

  lx = g_new (Lerp, dw);
  ly = g_new (Lerp, dh);
  lerp_axis (lx, 0.0, (double) sw / dw, dw, sw);
  lerp_axis (ly, 0.0, (double) sh / dh, dh, sh);
  lerp_2d (src, sh, sw, ly, dh, lx, dw, dst);
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
  int W, H;
  double x0 = 0.0, y0 = 0.0, cw, ch;
  g_autofree Lerp *lx = NULL;
  g_autofree Lerp *ly = NULL;
  g_autofree gboolean *in_x = NULL;
  g_autofree gboolean *in_y = NULL;
  float *out;
  float lo = INFINITY, hi = -INFINITY;

  g_return_val_if_fail (map != NULL && img != NULL, NULL);
  g_return_val_if_fail (h > 0 && w > 0, NULL);

  W = img->width;
  H = img->height;
  out = g_new (float, (gsize) W * H);   /* every entry is written below */

  if (pp == NULL || pp->resize == MCAM_RESIZE_STRETCH)
    {
      mcam_map_upsample (map, h, w, out, H, W);
      mcam_map_normalize (out, (gsize) W * H);
      return out;
    }

  /* Centre crop: the network saw the rectangle (x0, y0, cw, ch) of the image.
   * Pixels whose centre lies inside it get the map upsampled onto that
   * rectangle; the rest of the image was never seen and stays 0. */
  mcam_image_preprocess_source_rect (img, pp, &x0, &y0, &cw, &ch);

  lx = g_new (Lerp, W);
  ly = g_new (Lerp, H);
  in_x = g_new (gboolean, W);
  in_y = g_new (gboolean, H);
  /* Map coordinate of pixel centre p: (p + 0.5 − x0)·(w / cw) − 0.5. */
  lerp_axis (lx, -x0 * (w / cw), w / cw, W, w);
  lerp_axis (ly, -y0 * (h / ch), h / ch, H, h);
  for (int x = 0; x < W; x++)
    in_x[x] = x + 0.5 >= x0 && x + 0.5 < x0 + cw;
  for (int y = 0; y < H; y++)
    in_y[y] = y + 0.5 >= y0 && y + 0.5 < y0 + ch;

  lerp_2d (map, h, w, ly, H, lx, W, out);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      {
        float v = out[(gsize) y * W + x];

        if (in_y[y] && in_x[x])
          {
            lo = MIN (lo, v);
            hi = MAX (hi, v);
          }
        else
          out[(gsize) y * W + x] = 0.0f;
      }

  /* Normalise over the seen rectangle only, so that negative maps are not
   * distorted by the zeros outside it. */
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      if (in_y[y] && in_x[x])
        {
          float *v = &out[(gsize) y * W + x];
          *v = hi > lo && isfinite (hi - lo) ? (*v - lo) / (hi - lo) : 0.0f;
        }

  return out;
}
