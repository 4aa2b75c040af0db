/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Preprocessing an image for the network, byte for byte like torchvision's
 * transforms on a PIL image: Resize (bilinear; PIL always antialiases), an
 * optional CenterCrop, ToTensor (/255) and Normalize.
 *
 * PIL resizes with a separable convolution: a triangle filter whose support
 * grows with the downscale factor, weights normalised per output pixel and
 * turned into 22-bit fixed point, a horizontal pass then a vertical pass,
 * each rounded back to 8 bits. We do the same arithmetic so that the network
 * sees exactly the pixels it saw in PyTorch. Only the output pixels inside the
 * crop are computed: every output pixel depends on its own weights alone, so
 * this changes no value. */

#include "config.h"

#include <math.h>
#include <string.h>

#include "mcam/mcam-image.h"
#include "mcam/mcam-tensor.h"

#define FIXED_BITS 22   /* 32 bits − 8 bits of pixel − 2 bits of headroom, as PIL */

/* The weights of a set of consecutive output positions along one axis. */
typedef struct
{
  int     ksize;     /* taps reserved per output */
  int    *first;     /* first input index for each output */
  int    *count;     /* number of taps for each output */
  gint32 *weight;    /* ksize fixed-point weights per output */
} Taps;

static void
taps_clear (Taps *t)
{
  g_free (t->first);
  g_free (t->count);
  g_free (t->weight);
}

static double
triangle (double x)
{
  x = fabs (x);
  return x < 1.0 ? 1.0 - x : 0.0;
}

/* Weights for outputs out_first .. out_first + n_out − 1 of a resize from
 * in_size to out_size samples. Output o is centred on input coordinate
 * (o + 0.5)·scale; when shrinking, the filter is stretched by the scale so
 * that every input sample contributes (antialiasing). */
static void
taps_compute (Taps *t, int in_size, int out_size, int out_first, int n_out)
{
  double scale = (double) in_size / out_size;
  double stretch = scale < 1.0 ? 1.0 : scale;
  double support = 1.0 * stretch;          /* the triangle reaches ±1 */
  double inv_stretch = 1.0 / stretch;
  double *w;

  t->ksize = (int) ceil (support) * 2 + 1;
  t->first = g_new (int, n_out);
  t->count = g_new (int, n_out);
  t->weight = g_new0 (gint32, (gsize) n_out * t->ksize);
  w = g_new (double, t->ksize);

  for (int i = 0; i < n_out; i++)
    {
      int o = out_first + i;
      double center = (o + 0.5) * scale;
      double total = 0.0;
      /* +0.5 then truncation: PIL's rounding of the window ends */
      int lo = (int) (center - support + 0.5);
      int hi = (int) (center + support + 0.5);

      if (lo < 0)
        lo = 0;
      if (hi > in_size)
        hi = in_size;
      if (hi - lo > t->ksize)
        hi = lo + t->ksize;

      for (int j = 0; j < hi - lo; j++)
        {
          w[j] = triangle ((j + lo - center + 0.5) * inv_stretch);
          total += w[j];
        }
      for (int j = 0; j < hi - lo; j++)
        {
          double v = total != 0.0 ? w[j] / total : w[j];
          double f = v * (double) (1 << FIXED_BITS);
          t->weight[(gsize) i * t->ksize + j] = (gint32) (v < 0 ? f - 0.5 : f + 0.5);
        }
      t->first[i] = lo;
      t->count[i] = hi - lo;
    }
  g_free (w);
}

static inline guint8
fixed_to_u8 (gint32 acc)
{
  gint32 v = acc >> FIXED_BITS;
  return (guint8) (v < 0 ? 0 : v > 255 ? 255 : v);
}

/* Resize src (sw × sh, RGB) to rw × rh and return the window
 * [cx, cx + ow) × [cy, cy + oh) of the result in dst (ow × oh, RGB). */
static void
resample_window (const guint8 *src, int sw, int sh, int rw, int rh,
                 int cx, int cy, int ow, int oh, guint8 *dst)
{
  gboolean horizontal = rw != sw;
  gboolean vertical = rh != sh;
  Taps ht = { 0 }, vt = { 0 };
  int row0, row1;
  guint8 *tmp;

  if (vertical)
    {
      taps_compute (&vt, sh, rh, cy, oh);
      row0 = sh;
      row1 = 0;
      for (int i = 0; i < oh; i++)
        {
          row0 = MIN (row0, vt.first[i]);
          row1 = MAX (row1, vt.first[i] + vt.count[i]);
        }
    }
  else
    {
      row0 = cy;
      row1 = cy + oh;
    }

  /* Horizontal pass over the source rows the vertical pass will read. */
  tmp = g_malloc_n ((gsize) (row1 - row0) * ow, 3);
  if (horizontal)
    {
      taps_compute (&ht, sw, rw, cx, ow);
      for (int y = row0; y < row1; y++)
        {
          const guint8 *in = src + (gsize) y * sw * 3;
          guint8 *out = tmp + (gsize) (y - row0) * ow * 3;

          for (int x = 0; x < ow; x++)
            {
              const gint32 *k = ht.weight + (gsize) x * ht.ksize;
              const guint8 *p = in + (gsize) ht.first[x] * 3;
              gint32 r = 1 << (FIXED_BITS - 1), g = r, b = r;

              for (int j = 0; j < ht.count[x]; j++, p += 3)
                {
                  r += p[0] * k[j];
                  g += p[1] * k[j];
                  b += p[2] * k[j];
                }
              out[x * 3 + 0] = fixed_to_u8 (r);
              out[x * 3 + 1] = fixed_to_u8 (g);
              out[x * 3 + 2] = fixed_to_u8 (b);
            }
        }
    }
  else
    {
      for (int y = row0; y < row1; y++)
        memcpy (tmp + (gsize) (y - row0) * ow * 3, src + ((gsize) y * sw + cx) * 3,
                (gsize) ow * 3);
    }

  /* Vertical pass on the 8-bit result of the horizontal one. */
  if (vertical)
    {
      gsize row_bytes = (gsize) ow * 3;

      for (int y = 0; y < oh; y++)
        {
          const gint32 *k = vt.weight + (gsize) y * vt.ksize;
          const guint8 *in = tmp + (gsize) (vt.first[y] - row0) * row_bytes;
          guint8 *out = dst + (gsize) y * row_bytes;

          for (gsize i = 0; i < row_bytes; i++)
            {
              gint32 acc = 1 << (FIXED_BITS - 1);
              const guint8 *p = in + i;

              for (int j = 0; j < vt.count[y]; j++, p += row_bytes)
                acc += *p * k[j];
              out[i] = fixed_to_u8 (acc);
            }
        }
    }
  else
    {
      memcpy (dst, tmp + (gsize) (cy - row0) * ow * 3, (gsize) ow * oh * 3);
    }

  g_free (tmp);
  taps_clear (&ht);
  taps_clear (&vt);
}

/* The resized size and the crop window, like torchvision's Resize(size) +
 * CenterCrop. For a square input this is exactly torchvision's rule (shorter
 * side to the size, the longer one scaled and truncated); for a non-square
 * input the image is scaled so that it covers the input, by the same rule
 * applied to the side that limits. */
static void
compute_geometry (int sw, int sh, const McamPreprocess *pp,
                  int *rw, int *rh, int *cx, int *cy)
{
  int W = pp->width, H = pp->height;

  if (pp->resize == MCAM_RESIZE_STRETCH)
    {
      *rw = W;
      *rh = H;
      *cx = *cy = 0;
      return;
    }

  /* The scaled longer side is capped at 2^30: an image of extreme aspect
   * (10^7 × 1 pixels for a 224 input) would otherwise scale past INT_MAX,
   * and converting that double to int is undefined. Below the cap nothing
   * changes; above it the crop is the centre of a slightly squeezed image. */
  if ((gint64) W * sh >= (gint64) H * sw)
    {
      *rw = W;
      *rh = MAX (H, (int) MIN ((double) ((gint64) W * sh) / sw, 1 << 30));
    }
  else
    {
      *rh = H;
      *rw = MAX (W, (int) MIN ((double) ((gint64) H * sw) / sh, 1 << 30));
    }
  /* Python's round(): halves go to the even neighbour, as rint() does. */
  *cx = (int) rint ((*rw - W) / 2.0);
  *cy = (int) rint ((*rh - H) / 2.0);
}

void
mcam_image_preprocess_into (const McamImage *img, const McamPreprocess *pp, float *out)
{
  int rw, rh, cx, cy;
  int W, H;
  gsize plane;
  g_autofree guint8 *window = NULL;

  g_return_if_fail (img != NULL && pp != NULL && out != NULL);
  g_return_if_fail (pp->width > 0 && pp->height > 0);

  W = pp->width;
  H = pp->height;
  plane = (gsize) W * H;
  compute_geometry (img->width, img->height, pp, &rw, &rh, &cx, &cy);

  window = g_malloc_n (plane, 3);
  resample_window (img->rgb, img->width, img->height, rw, rh, cx, cy, W, H, window);

  /* ToTensor then Normalize, in float32 and in torchvision's order. */
  for (int c = 0; c < 3; c++)
    {
      float mean = pp->mean[c], std = pp->std[c];
      float *o = out + c * plane;

      for (gsize i = 0; i < plane; i++)
        o[i] = ((float) window[i * 3 + c] / 255.0f - mean) / std;
    }
}

McamTensor *
mcam_image_preprocess (const McamImage *img, const McamPreprocess *pp)
{
  McamTensor *t;

  g_return_val_if_fail (img != NULL && pp != NULL, NULL);

  t = mcam_tensor_new_4d (1, 3, pp->height, pp->width);
  mcam_image_preprocess_into (img, pp, t->data);
  return t;
}

void
mcam_image_preprocess_source_rect (const McamImage *img, const McamPreprocess *pp,
                                   double *x0, double *y0, double *w, double *h)
{
  int rw, rh, cx, cy;
  double sx, sy;

  g_return_if_fail (img != NULL && pp != NULL);

  compute_geometry (img->width, img->height, pp, &rw, &rh, &cx, &cy);
  /* PIL maps resized coordinate u to source coordinate u · (source / resized). */
  sx = (double) img->width / rw;
  sy = (double) img->height / rh;
  if (x0) *x0 = cx * sx;
  if (y0) *y0 = cy * sy;
  if (w)  *w = pp->width * sx;
  if (h)  *h = pp->height * sy;
}
