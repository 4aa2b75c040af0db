/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Preprocessing an image for the network, byte for byte like torchvision's
 * transforms on a PIL image: Resize (bilinear, bicubic or nearest, as PIL
 * computes them), an optional CenterCrop, ToTensor (/255) and Normalize.
 *
 * PIL resizes bilinearly and bicubically with a separable convolution: a
 * filter whose support grows with the downscale factor (antialiasing),
 * weights normalised per output pixel and turned into 22-bit fixed point, a
 * horizontal pass then a vertical pass, each rounded back to 8 bits. We do the
 * same arithmetic so that the network sees exactly the pixels it saw in
 * PyTorch. Nearest is PIL's affine nearest-neighbour scaling.
 *
 * Memory is bounded by the output, not the input (issue #13): only the
 * output pixels inside the crop are computed (each depends on its own weights
 * alone, so this changes no value), the source is streamed row by row through
 * the horizontal pass, and each row is added at once into the few output rows
 * whose vertical window holds it. Integer sums do not depend on the order, so
 * the result is PIL's to the byte. Weight tables are kept only when small;
 * for a filter spanning millions of source pixels (a 1 × 30,000,000 image)
 * each weight is recomputed where it is used, by the same expression. */

#include "config.h"

#include <math.h>
#include <string.h>

#include "mcam/mcam-image.h"
#include "mcam/mcam-tensor.h"

#define FIXED_BITS 22   /* 32 bits − 8 bits of pixel − 2 bits of headroom, as PIL */
/* Weight tables up to this many entries (4 MB) are kept; beyond, recomputed. */
#define MAX_TABLE_ENTRIES (1 << 20)
/* The resized longer side is capped: an image of extreme aspect (10^7 × 1
 * pixels for a 224 input) would otherwise scale past INT_MAX. */
#define MAX_RESIZED_SIDE (1 << 30)

typedef double (*FilterFunc) (double x);

static double
triangle_filter (double x)
{
  if (x < 0.0)
    x = -x;
  return x < 1.0 ? 1.0 - x : 0.0;
}

/* Keys' cubic with a = −0.5, written as PIL writes it (the same operations
 * in the same order give the same doubles). */
static double
bicubic_filter (double x)
{
  const double a = -0.5;

  if (x < 0.0)
    x = -x;
  if (x < 1.0)
    return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0)
    return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

/* One axis of a convolution resize: outputs out_first .. out_first + n_out − 1
 * of a resize from in_size to out_size samples. Output o is centred on input
 * coordinate (o + 0.5)·scale; when shrinking, the filter is stretched by the
 * scale so that every input sample contributes. */
typedef struct
{
  FilterFunc filter;
  double     scale;
  double     support;
  double     inv_stretch;
  int        out_first;
  int        n_out;
  int        ksize;
  int       *first;   /* per output: first input index */
  int       *count;   /* per output: number of taps */
  double    *total;   /* per output: sum of the filter weights */
  gint32    *table;   /* ksize fixed-point weights per output, or NULL */
} Axis;

static inline gint32
axis_weight_at (const Axis *a, int i, int j)
{
  double center = (a->out_first + i + 0.5) * a->scale;
  double w = a->filter ((j + a->first[i] - center + 0.5) * a->inv_stretch);
  double v = a->total[i] != 0.0 ? w / a->total[i] : w;
  double f = v * (double) (1 << FIXED_BITS);

  return (gint32) (v < 0 ? f - 0.5 : f + 0.5);
}

/* The fixed-point weight of tap j of output i (0-based within the axis). */
static inline gint32
axis_weight (const Axis *a, int i, int j)
{
  return a->table != NULL ? a->table[(gsize) i * a->ksize + j] : axis_weight_at (a, i, j);
}

static void
axis_init (Axis *a, FilterFunc filter, double support, int in_size, int out_size,
           int out_first, int n_out)
{
  double stretch;

  a->filter = filter;
  /* PIL keeps the resize box in float: above 2^24 pixels the size is
   * rounded to float before the scale is taken. */
  a->scale = (double) (float) in_size / out_size;
  stretch = a->scale < 1.0 ? 1.0 : a->scale;
  a->support = support * stretch;
  a->inv_stretch = 1.0 / stretch;
  a->out_first = out_first;
  a->n_out = n_out;
  a->ksize = (int) ceil (a->support) * 2 + 1;
  a->first = g_new (int, n_out);
  a->count = g_new (int, n_out);
  a->total = g_new (double, n_out);

  for (int i = 0; i < n_out; i++)
    {
      double center = (out_first + i + 0.5) * a->scale;
      double total = 0.0;
      /* +0.5 then truncation: PIL's rounding of the window ends */
      int lo = (int) (center - a->support + 0.5);
      int hi = (int) (center + a->support + 0.5);

      if (lo < 0)
        lo = 0;
      if (hi > in_size)
        hi = in_size;
      if (hi - lo > a->ksize)
        hi = lo + a->ksize;
      for (int j = 0; j < hi - lo; j++)
        total += filter ((j + lo - center + 0.5) * a->inv_stretch);
      a->first[i] = lo;
      a->count[i] = hi - lo;
      a->total[i] = total;
    }

  a->table = NULL;
  if ((gint64) n_out * a->ksize <= MAX_TABLE_ENTRIES)
    {
      a->table = g_new0 (gint32, (gsize) n_out * a->ksize);
      for (int i = 0; i < n_out; i++)
        for (int j = 0; j < a->count[i]; j++)
          a->table[(gsize) i * a->ksize + j] = axis_weight_at (a, i, j);
    }
}

static void
axis_clear (Axis *a)
{
  g_free (a->first);
  g_free (a->count);
  g_free (a->total);
  g_free (a->table);
}

static inline guint8
fixed_to_u8 (gint32 acc)
{
  gint32 v = acc >> FIXED_BITS;
  return (guint8) (v < 0 ? 0 : v > 255 ? 255 : v);
}

/* The horizontal pass on one source row, for the n output columns listed
 * (or a copy of those columns of the window when the width does not
 * change). */
static void
horizontal_row (const Axis *h, const guint8 *in, int cx, const int *cols, int n, guint8 *out)
{
  if (h == NULL)
    {
      for (int i = 0; i < n; i++)
        memcpy (out + i * 3, in + (gsize) (cx + cols[i]) * 3, 3);
      return;
    }
  if (h->table != NULL)
    {
      for (int i = 0; i < n; i++)
        {
          int x = cols[i], count = h->count[x];
          const gint32 *k = h->table + (gsize) x * h->ksize;
          const guint8 *p = in + (gsize) h->first[x] * 3;
          gint32 r = 1 << (FIXED_BITS - 1), g = r, b = r;

          for (int j = 0; j < count; j++, p += 3)
            {
              r += p[0] * k[j];
              g += p[1] * k[j];
              b += p[2] * k[j];
            }
          out[i * 3 + 0] = fixed_to_u8 (r);
          out[i * 3 + 1] = fixed_to_u8 (g);
          out[i * 3 + 2] = fixed_to_u8 (b);
        }
      return;
    }
  for (int i = 0; i < n; i++)
    {
      int x = cols[i];
      const guint8 *p = in + (gsize) h->first[x] * 3;
      gint32 r = 1 << (FIXED_BITS - 1), g = r, b = r;

      for (int j = 0; j < h->count[x]; j++, p += 3)
        {
          gint32 k = axis_weight_at (h, x, j);

          r += p[0] * k;
          g += p[1] * k;
          b += p[2] * k;
        }
      out[i * 3 + 0] = fixed_to_u8 (r);
      out[i * 3 + 1] = fixed_to_u8 (g);
      out[i * 3 + 2] = fixed_to_u8 (b);
    }
}

/* Output columns with the same taps hold the same values in every row: the
 * vertical pass needs each only once. Rare in pictures, but an image one
 * pixel wide stretched to 224 has 224 equal columns, and 30 million rows of
 * vertical pass would otherwise be done 224 times. Fills col_of (ow entries:
 * the index of each column among the distinct ones) and returns the
 * distinct columns (*n of them). */
static int *
distinct_columns (const Axis *h, int ow, int *col_of, int *n)
{
  int *cols = g_new (int, ow);
  int nd = 0;

  for (int x = 0; x < ow; x++)
    {
      gboolean same = FALSE;

      if (h != NULL && x > 0 && h->first[x] == h->first[x - 1] &&
          h->count[x] == h->count[x - 1])
        {
          same = TRUE;
          for (int j = 0; same && j < h->count[x]; j++)
            same = axis_weight (h, x, j) == axis_weight (h, x - 1, j);
        }
      if (!same)
        cols[nd++] = x;
      col_of[x] = nd - 1;
    }
  *n = nd;
  return cols;
}

static inline void
write_row (const gint32 *acc, const int *col_of, int ow, guint8 *out)
{
  for (int x = 0; x < ow; x++)
    for (int c = 0; c < 3; c++)
      out[x * 3 + c] = fixed_to_u8 (acc[col_of[x] * 3 + c]);
}

/* The most output windows that hold one source row at the same time (the
 * windows' ends never decrease, so a sweep finds it). */
static int
max_open (const Axis *v)
{
  int most = 1;

  for (int o = 0, c = 0; o < v->n_out; o++)
    {
      while (v->first[c] + v->count[c] <= v->first[o])
        c++;
      most = MAX (most, o - c + 1);
    }
  return most;
}

/* Resize src (sw × sh, RGB) to rw × rh with a convolution filter and write
 * the window [cx, cx + ow) × [cy, cy + oh) of the result to dst (ow × oh,
 * RGB). Besides dst: one row at ow, and one int32 row per output row whose
 * window is open (≤ 2·support + 2 when shrinking, at most oh). */
static void
resample_convolution (const guint8 *src, int sw, int sh, int rw, int rh, int cx, int cy,
                      int ow, int oh, FilterFunc filter, double support, guint8 *dst)
{
  Axis ha = { 0 }, va = { 0 };
  const Axis *h = NULL;
  g_autofree int *col_of = g_new (int, ow);
  g_autofree int *cols = NULL;
  g_autofree guint8 *row = NULL;
  g_autofree gint32 *acc = NULL;
  int nd, open_max, next_open = 0, next_close = 0;
  gsize nd_bytes;

  if (rw != sw)
    {
      axis_init (&ha, filter, support, sw, rw, cx, ow);
      h = &ha;
    }
  cols = distinct_columns (h, ow, col_of, &nd);
  nd_bytes = (gsize) nd * 3;
  row = g_malloc (nd_bytes);

  if (rh == sh)
    {
      for (int y = 0; y < oh; y++)
        {
          guint8 *out = dst + (gsize) y * ow * 3;

          horizontal_row (h, src + (gsize) (cy + y) * sw * 3, cx, cols, nd, row);
          for (int x = 0; x < ow; x++)
            memcpy (out + x * 3, row + col_of[x] * 3, 3);
        }
      axis_clear (&ha);
      return;
    }

  axis_init (&va, filter, support, sh, rh, cy, oh);
  open_max = max_open (&va);
  acc = g_new (gint32, (gsize) open_max * nd_bytes);

  for (int y = va.first[0]; next_close < oh; y++)
    {
      /* Output rows whose window starts here open (their sums start at
       * PIL's rounding constant) ... */
      while (next_open < oh && va.first[next_open] <= y)
        {
          gint32 *a = acc + (gsize) (next_open % open_max) * nd_bytes;

          for (gsize i = 0; i < nd_bytes; i++)
            a[i] = 1 << (FIXED_BITS - 1);
          next_open++;
        }
      /* ... this row is added into every open one ... */
      horizontal_row (h, src + (gsize) y * sw * 3, cx, cols, nd, row);
      for (int o = next_close; o < next_open; o++)
        {
          gint32 *a = acc + (gsize) (o % open_max) * nd_bytes;
          gint32 k;

          if (y >= va.first[o] + va.count[o])
            continue;
          k = axis_weight (&va, o, y - va.first[o]);
          for (gsize i = 0; i < nd_bytes; i++)
            a[i] += row[i] * k;
        }
      /* ... and those whose window ends here are done. */
      while (next_close < next_open && va.first[next_close] + va.count[next_close] <= y + 1)
        {
          write_row (acc + (gsize) (next_close % open_max) * nd_bytes, col_of, ow,
                     dst + (gsize) next_close * ow * 3);
          next_close++;
        }
    }
  axis_clear (&ha);
  axis_clear (&va);
}

/* PIL's nearest-neighbour scaling (an affine transform without rotation):
 * the source position starts at half a step and is advanced by adding the
 * step, in double, output by output; it is truncated to pick the pixel. The
 * additions are kept as they are so that the rounding is PIL's. */
static int *
nearest_table (int in_size, int out_size, int out_first, int n_out)
{
  double step = (double) (float) in_size / out_size;   /* PIL's box is float */
  double pos = step * 0.5;
  int *table = g_new (int, n_out);

  for (int o = 0; o < out_first + n_out; o++, pos += step)
    if (o >= out_first)
      {
        int i = pos < 0.0 ? -1 : (int) pos;

        table[o - out_first] = CLAMP (i, 0, in_size - 1);
      }
  return table;
}

static void
resample_nearest (const guint8 *src, int sw, int sh, int rw, int rh, int cx, int cy,
                  int ow, int oh, guint8 *dst)
{
  g_autofree int *xs = nearest_table (sw, rw, cx, ow);
  g_autofree int *ys = nearest_table (sh, rh, cy, oh);

  for (int y = 0; y < oh; y++)
    {
      const guint8 *in = src + (gsize) ys[y] * sw * 3;
      guint8 *out = dst + (gsize) y * ow * 3;

      for (int x = 0; x < ow; x++)
        memcpy (out + x * 3, in + (gsize) xs[x] * 3, 3);
    }
}

/* The resized size and the crop window. With resize_size, torchvision's
 * Resize(resize_size) + CenterCrop: the shorter side to resize_size, the
 * longer one scaled and truncated. Without, for a square input the same with
 * the input's size; for a non-square input the image is scaled so that it
 * covers the input, by that rule applied to the side that limits. */
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

  if (pp->resize_size > 0)
    {
      gint64 s = MAX (pp->resize_size, MAX (W, H));   /* never a crop past the image */

      /* Python's int (s * long / short): the product is exact in a double
       * below 2^53 and the quotient rounded once, as Python's true division. */
      if (sw <= sh)
        {
          *rw = (int) s;
          *rh = (int) MIN ((double) (s * sh) / sw, MAX_RESIZED_SIDE);
        }
      else
        {
          *rh = (int) s;
          *rw = (int) MIN ((double) (s * sw) / sh, MAX_RESIZED_SIDE);
        }
      *rw = MAX (*rw, W);
      *rh = MAX (*rh, H);
    }
  else if ((gint64) W * sh >= (gint64) H * sw)
    {
      *rw = W;
      *rh = MAX (H, (int) MIN ((double) ((gint64) W * sh) / sw, MAX_RESIZED_SIDE));
    }
  else
    {
      *rh = H;
      *rw = MAX (W, (int) MIN ((double) ((gint64) H * sw) / sh, MAX_RESIZED_SIDE));
    }
  /* Python's round(): halves go to the even neighbour, as rint() does. */
  *cx = (int) rint ((*rw - W) / 2.0);
  *cy = (int) rint ((*rh - H) / 2.0);
}

void
mcam_image_preprocess_pixels (const McamImage *img, const McamPreprocess *pp, guint8 *out)
{
  int rw, rh, cx, cy;

  g_return_if_fail (img != NULL && pp != NULL && out != NULL);
  g_return_if_fail (pp->width > 0 && pp->height > 0);

  compute_geometry (img->width, img->height, pp, &rw, &rh, &cx, &cy);
  switch (pp->interpolation)
    {
    case MCAM_INTERP_NEAREST:
      resample_nearest (img->rgb, img->width, img->height, rw, rh, cx, cy,
                        pp->width, pp->height, out);
      break;
    case MCAM_INTERP_BICUBIC:
      resample_convolution (img->rgb, img->width, img->height, rw, rh, cx, cy,
                            pp->width, pp->height, bicubic_filter, 2.0, out);
      break;
    case MCAM_INTERP_BILINEAR:
    default:
      resample_convolution (img->rgb, img->width, img->height, rw, rh, cx, cy,
                            pp->width, pp->height, triangle_filter, 1.0, out);
      break;
    }
}

void
mcam_image_preprocess_into (const McamImage *img, const McamPreprocess *pp, float *out)
{
  gsize plane;
  g_autofree guint8 *window = NULL;

  g_return_if_fail (img != NULL && pp != NULL && out != NULL);
  g_return_if_fail (pp->width > 0 && pp->height > 0);

  plane = (gsize) pp->width * pp->height;
  window = g_malloc_n (plane, 3);
  mcam_image_preprocess_pixels (img, pp, window);

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
