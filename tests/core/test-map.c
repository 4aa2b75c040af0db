/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Map post-processing: bilinear upsampling against torch F.interpolate
 * (align_corners=False, fixture from tools/make_image_fixtures.py) and against
 * the definition written out in doubles; ReLU, min-max normalisation, and
 * placing a map on the image through a centre crop. */

#include <string.h>

#include "mcam/mcam-map.h"
#include "mcam/mcam-safetensors.h"
#include "mcam-test-util.h"

/* The definition, in double: output pixel o samples the input at
 * (o + 0.5)·in/out − 0.5, clamped to [0, in − 1], linear between the two
 * neighbouring samples, separably in y and x. */
static double
naive_sample (const float *src, int sh, int sw, int dh, int dw, int oy, int ox)
{
  double sy = MIN (MAX ((oy + 0.5) * sh / dh - 0.5, 0.0), sh - 1.0);
  double sx = MIN (MAX ((ox + 0.5) * sw / dw - 0.5, 0.0), sw - 1.0);
  int y0 = (int) floor (sy), x0 = (int) floor (sx);
  int y1 = MIN (y0 + 1, sh - 1), x1 = MIN (x0 + 1, sw - 1);
  double ty = sy - y0, tx = sx - x0;
  double top = src[y0 * sw + x0] * (1 - tx) + src[y0 * sw + x1] * tx;
  double bottom = src[y1 * sw + x0] * (1 - tx) + src[y1 * sw + x1] * tx;

  return top * (1 - ty) + bottom * ty;
}

static void
test_upsample_torch (void)
{
  g_autofree char *path = mcam_test_fixture ("img-upsample.safetensors");
  g_autoptr(GError) error = NULL;
  g_autoptr(McamSafetensors) st = mcam_safetensors_open (path, &error);
  const char *const *names;
  int n_cases = 0;

  g_assert_no_error (error);
  names = mcam_safetensors_get_names (st);
  for (guint i = 0; names[i]; i++)
    {
      int sh, sw, dh, dw;
      g_autofree char *dst_name = NULL;
      g_autoptr(McamTensor) src = NULL;
      g_autoptr(McamTensor) ref = NULL;
      g_autofree float *got = NULL;
      double err_torch, err_naive = 0.0, scale = 1e-6;

      if (!g_str_has_suffix (names[i], "|src"))
        continue;
      g_assert_cmpint (sscanf (names[i], "%dx%d->%dx%d", &sh, &sw, &dh, &dw), ==, 4);
      dst_name = g_strdup_printf ("%dx%d->%dx%d|dst", sh, sw, dh, dw);
      src = mcam_safetensors_read (st, names[i], 2, (gint64[]) { sh, sw }, &error);
      g_assert_no_error (error);
      ref = mcam_safetensors_read (st, dst_name, 2, (gint64[]) { dh, dw }, &error);
      g_assert_no_error (error);

      got = g_new (float, (gsize) dh * dw);
      mcam_map_upsample (src->data, sh, sw, got, dh, dw);
      err_torch = mcam_test_rel_error (got, ref->data, ref->n, 1e-6);
      for (int y = 0; y < dh; y++)
        for (int x = 0; x < dw; x++)
          {
            double v = naive_sample (src->data, sh, sw, dh, dw, y, x);
            err_naive = MAX (err_naive, fabs (got[y * dw + x] - v));
            scale = MAX (scale, fabs (v));
          }
      err_naive /= scale;
      g_test_message ("%s: rel. error vs torch %.2g, vs definition %.2g",
                      names[i], err_torch, err_naive);
      g_assert_cmpfloat (err_torch, <, 1e-5);
      g_assert_cmpfloat (err_naive, <, 1e-5);
      n_cases++;
    }
  g_assert_cmpint (n_cases, ==, 6);
}

static void
test_normalize (void)
{
  float m[] = { 2.0f, -1.0f, 5.0f, 2.0f };
  float c[] = { 3.0f, 3.0f, 3.0f };
  float one[] = { 7.0f };
  float z[] = { 0.0f, 0.0f };

  mcam_map_normalize (m, 4);
  g_assert_cmpfloat (m[0], ==, 0.5f);
  g_assert_cmpfloat (m[1], ==, 0.0f);
  g_assert_cmpfloat (m[2], ==, 1.0f);
  g_assert_cmpfloat (m[3], ==, 0.5f);

  /* A constant map says nothing about where: all zeros, no NaN. */
  mcam_map_normalize (c, 3);
  for (int i = 0; i < 3; i++)
    g_assert_cmpfloat (c[i], ==, 0.0f);
  mcam_map_normalize (one, 1);
  g_assert_cmpfloat (one[0], ==, 0.0f);
  mcam_map_normalize (z, 2);
  g_assert_cmpfloat (z[0], ==, 0.0f);
  mcam_map_normalize (NULL, 0);
}

static void
test_relu (void)
{
  float m[] = { -1.0f, 0.0f, 2.5f, -0.0f, NAN };
  float neg[] = { -3.0f, 0.0f };

  g_assert_true (mcam_map_relu (m, 5));
  g_assert_cmpfloat (m[0], ==, 0.0f);
  g_assert_cmpfloat (m[1], ==, 0.0f);
  g_assert_cmpfloat (m[2], ==, 2.5f);
  g_assert_cmpfloat (m[3], ==, 0.0f);
  g_assert_cmpfloat (m[4], ==, 0.0f);   /* NaN never reaches a colormap */

  g_assert_false (mcam_map_relu (neg, 2));
  g_assert_cmpfloat (neg[0], ==, 0.0f);
  g_assert_cmpfloat (neg[1], ==, 0.0f);
}

static void
fill_map (float *m, int n)
{
  for (int i = 0; i < n; i++)
    m[i] = (float) ((i * 37) % 11) - 2.0f;
}

/* Stretch: the map covers the whole image — upsample then normalise. */
static void
test_to_image_stretch (void)
{
  g_autoptr(McamImage) img = mcam_image_new (45, 31);
  McamPreprocess pp = { 28, 28, MCAM_RESIZE_STRETCH, { 0, 0, 0 }, { 1, 1, 1 } };
  float map[5 * 7];
  g_autofree float *ref = g_new (float, 45 * 31);
  g_autofree float *got = NULL;

  fill_map (map, 35);
  mcam_map_upsample (map, 5, 7, ref, 31, 45);
  mcam_map_normalize (ref, 45 * 31);
  got = mcam_map_to_image (map, 5, 7, img, &pp);
  g_assert_cmpmem (got, 45 * 31 * sizeof (float), ref, 45 * 31 * sizeof (float));

  g_clear_pointer (&got, g_free);
  got = mcam_map_to_image (map, 5, 7, img, NULL);   /* no preprocessing: stretch */
  g_assert_cmpmem (got, 45 * 31 * sizeof (float), ref, 45 * 31 * sizeof (float));
}

/* Centre crop of a 64×48 image to 24×24: the image is resized by 1/2 to
 * 32×24 and columns 4..27 are kept, i.e. source columns 8..55. There the map
 * must be the map upsampled to 48×48 (normalised), and 0 elsewhere. */
static void
test_to_image_center_crop (void)
{
  g_autoptr(McamImage) img = mcam_image_new (64, 48);
  McamPreprocess pp = { 24, 24, MCAM_RESIZE_CENTER_CROP, { 0, 0, 0 }, { 1, 1, 1 } };
  float map[3 * 4];
  g_autofree float *ref = g_new (float, 48 * 48);
  g_autofree float *got = NULL;
  double max_diff = 0.0;

  fill_map (map, 12);
  mcam_map_upsample (map, 3, 4, ref, 48, 48);
  mcam_map_normalize (ref, 48 * 48);
  got = mcam_map_to_image (map, 3, 4, img, &pp);

  for (int y = 0; y < 48; y++)
    for (int x = 0; x < 64; x++)
      {
        float v = got[y * 64 + x];

        if (x < 8 || x >= 56)
          g_assert_cmpfloat (v, ==, 0.0f);
        else
          max_diff = MAX (max_diff, fabs (v - ref[y * 48 + (x - 8)]));
      }
  g_test_message ("centre crop: max difference from the upsampled crop %.2g", max_diff);
  g_assert_cmpfloat (max_diff, <, 1e-6);

  /* Portrait image: the crop cuts rows instead (48×64 → rows 8..55). */
  {
    g_autoptr(McamImage) tall = mcam_image_new (48, 64);
    g_autofree float *t = mcam_map_to_image (map, 3, 4, tall, &pp);

    max_diff = 0.0;
    for (int y = 0; y < 64; y++)
      for (int x = 0; x < 48; x++)
        {
          float v = t[y * 48 + x];

          if (y < 8 || y >= 56)
            g_assert_cmpfloat (v, ==, 0.0f);
          else
            max_diff = MAX (max_diff, fabs (v - ref[(y - 8) * 48 + x]));
        }
    g_assert_cmpfloat (max_diff, <, 1e-6);
  }
}

/* Onto a smaller copy (the app's display copy of a large photo): the crop
 * rectangle is the full image's, scaled. A 128x96 image shown at 64x48 must
 * get exactly the map of a 64x48 image (same geometry, half the size); at
 * the image's own size it is mcam_map_to_image. */
static void
test_to_size (void)
{
  g_autoptr(McamImage) big = mcam_image_new (128, 96);
  g_autoptr(McamImage) small = mcam_image_new (64, 48);
  McamPreprocess pp = { 24, 24, MCAM_RESIZE_CENTER_CROP, { 0, 0, 0 }, { 1, 1, 1 } };
  float map[3 * 4];
  g_autofree float *want = NULL;
  g_autofree float *got = NULL;
  g_autofree float *full = NULL;
  g_autofree float *same = NULL;

  fill_map (map, 12);
  want = mcam_map_to_image (map, 3, 4, small, &pp);
  got = mcam_map_to_size (map, 3, 4, big, &pp, 64, 48);
  for (int i = 0; i < 64 * 48; i++)
    g_assert_cmpfloat (fabs (got[i] - want[i]), <, 1e-6);

  full = mcam_map_to_image (map, 3, 4, big, &pp);
  same = mcam_map_to_size (map, 3, 4, big, &pp, 128, 96);
  g_assert_cmpmem (full, 128 * 96 * sizeof (float), same, 128 * 96 * sizeof (float));
  /* Columns 0..15 of the full-size map were never seen by the network. */
  for (int y = 0; y < 96; y++)
    g_assert_cmpfloat (full[y * 128 + 15], ==, 0.0f);
}

/* The display copy: its longer side at most max_side, the aspect kept, a
 * flat colour stays that colour (the filter averages), a small image is
 * copied as it is. */
static void
test_scale_to_fit (void)
{
  g_autoptr(McamImage) img = mcam_image_new (3000, 1000);
  g_autoptr(McamImage) fit = NULL;
  g_autoptr(McamImage) copy = NULL;

  for (gsize i = 0; i < (gsize) 3000 * 1000; i++)
    {
      img->rgb[3 * i] = 200;
      img->rgb[3 * i + 1] = 100;
      img->rgb[3 * i + 2] = 7;
    }
  fit = mcam_image_scale_to_fit (img, 2048);
  g_assert_cmpint (fit->width, ==, 2048);
  g_assert_cmpint (fit->height, ==, 683);   /* 1000 * 2048 / 3000 = 682.7 */
  for (gsize i = 0; i < (gsize) fit->width * fit->height; i++)
    {
      g_assert_cmpint (fit->rgb[3 * i], ==, 200);
      g_assert_cmpint (fit->rgb[3 * i + 1], ==, 100);
      g_assert_cmpint (fit->rgb[3 * i + 2], ==, 7);
    }
  copy = mcam_image_scale_to_fit (fit, 4096);
  g_assert_cmpint (copy->width, ==, fit->width);
  g_assert_cmpmem (copy->rgb, (gsize) fit->width * fit->height * 3, fit->rgb,
                   (gsize) fit->width * fit->height * 3);
}

/* A map that is all zero (after the ReLU nothing fired) stays all zero. */
static void
test_to_image_flat (void)
{
  g_autoptr(McamImage) img = mcam_image_new (9, 9);
  float map[4] = { -1.0f, -2.0f, -0.5f, -3.0f };
  g_autofree float *got = NULL;

  g_assert_false (mcam_map_relu (map, 4));
  got = mcam_map_to_image (map, 2, 2, img, NULL);
  for (int i = 0; i < 81; i++)
    g_assert_cmpfloat (got[i], ==, 0.0f);
}

/* mcam_map_to_image against a per-pixel reference in double: the map
 * coordinate of every pixel centre, clamped, interpolated from its four
 * neighbours; 0 outside the rectangle the network saw; min-max over it. */
static float *
naive_to_image (const float *map, int h, int w, const McamImage *img, const McamPreprocess *pp)
{
  int W = img->width, H = img->height;
  double x0 = 0, y0 = 0, cw = W, ch = H;
  g_autofree double *v = g_new (double, (gsize) W * H);
  float *out = g_new (float, (gsize) W * H);
  double lo = INFINITY, hi = -INFINITY;
  gboolean crop = pp != NULL && pp->resize == MCAM_RESIZE_CENTER_CROP;

  if (crop)
    mcam_image_preprocess_source_rect (img, pp, &x0, &y0, &cw, &ch);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      {
        double mx = CLAMP ((x + 0.5 - x0) * w / cw - 0.5, 0.0, w - 1.0);
        double my = CLAMP ((y + 0.5 - y0) * h / ch - 0.5, 0.0, h - 1.0);
        int ix = MIN ((int) mx, w - 2 < 0 ? 0 : w - 2), iy = MIN ((int) my, h - 2 < 0 ? 0 : h - 2);
        int jx = MIN (ix + 1, w - 1), jy = MIN (iy + 1, h - 1);
        double tx = mx - ix, ty = my - iy;
        double top = map[iy * w + ix] * (1 - tx) + map[iy * w + jx] * tx;
        double bottom = map[jy * w + ix] * (1 - tx) + map[jy * w + jx] * tx;
        gboolean inside = !crop || (x + 0.5 >= x0 && x + 0.5 < x0 + cw &&
                                    y + 0.5 >= y0 && y + 0.5 < y0 + ch);
        double value = top * (1 - ty) + bottom * ty;

        v[(gsize) y * W + x] = inside ? value : NAN;
        if (inside)
          {
            lo = MIN (lo, value);
            hi = MAX (hi, value);
          }
      }
  for (gsize i = 0; i < (gsize) W * H; i++)
    out[i] = isnan (v[i]) || !(hi > lo) ? 0.0f : (float) ((v[i] - lo) / (hi - lo));
  return out;
}

/* Maps larger than the network input, on ordinary and extreme images: a
 * 2,000,000 x 8 image centre-cropped shows the network a slice 7 pixels
 * wide, so with a map 20000 wide the map coordinate of the image's far end is
 * 2.9e9, past INT_MAX (it was converted to int unclamped: on x86 INT_MIN, a
 * read before the map). Every case against the naive reference to 1e-5. */
static void
test_to_image_large_map (void)
{
  const struct { int iw, ih, mh, mw; McamResizeMode mode; int resize_size; } cases[] = {
    { 61, 47, 9, 600, MCAM_RESIZE_CENTER_CROP, 0 },
    { 61, 47, 500, 3, MCAM_RESIZE_CENTER_CROP, 256 },
    { 47, 61, 448, 448, MCAM_RESIZE_STRETCH, 0 },
    { 2000000, 8, 2, 20000, MCAM_RESIZE_CENTER_CROP, 256 },
    { 8, 2000000, 20000, 2, MCAM_RESIZE_CENTER_CROP, 0 },
  };

  for (gsize c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autoptr (McamImage) img = mcam_image_new (cases[c].iw, cases[c].ih);
      McamPreprocess pp = { 224, 224, cases[c].mode, { 0, 0, 0 }, { 1, 1, 1 },
                            cases[c].resize_size, MCAM_INTERP_BILINEAR };
      int n = cases[c].mh * cases[c].mw;
      g_autofree float *map = g_new (float, n);
      g_autofree float *got = NULL;
      g_autofree float *want = NULL;
      double diff = 0.0;
      guint32 state = 99 + c;

      for (int i = 0; i < n; i++)
        {
          state = state * 1664525u + 1013904223u;
          map[i] = (float) (state >> 8) / (1 << 24) - 0.3f;
        }
      got = mcam_map_to_image (map, cases[c].mh, cases[c].mw, img, &pp);
      want = naive_to_image (map, cases[c].mh, cases[c].mw, img, &pp);
      for (gsize i = 0; i < (gsize) cases[c].iw * cases[c].ih; i++)
        diff = MAX (diff, fabs ((double) got[i] - want[i]));
      g_test_message ("image %dx%d, map %dx%d: max |ours - naive| = %.3g", cases[c].iw,
                      cases[c].ih, cases[c].mw, cases[c].mh, diff);
      g_assert_cmpfloat (diff, <=, 1e-5);
    }
}

int
main (int argc, char **argv)
{
  mcam_test_init (&argc, &argv);

  g_test_add_func ("/mcam/map/upsample-torch", test_upsample_torch);
  g_test_add_func ("/mcam/map/normalize", test_normalize);
  g_test_add_func ("/mcam/map/relu", test_relu);
  g_test_add_func ("/mcam/map/to-image-stretch", test_to_image_stretch);
  g_test_add_func ("/mcam/map/to-image-center-crop", test_to_image_center_crop);
  g_test_add_func ("/mcam/map/to-image-flat", test_to_image_flat);
  g_test_add_func ("/mcam/map/to-size", test_to_size);
  g_test_add_func ("/mcam/map/scale-to-fit", test_scale_to_fit);
  g_test_add_func ("/mcam/map/to-image-large-map", test_to_image_large_map);

  return g_test_run ();
}
