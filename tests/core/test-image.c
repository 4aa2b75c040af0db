/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Image decoding and preprocessing. The preprocessing reference is
 * torchvision's transforms on PIL images (tools/make_image_fixtures.py). */

#include <string.h>
#include <gdk-pixbuf/gdk-pixbuf.h>

#include "mcam/mcam-error.h"
#include "mcam/mcam-image.h"
#include "mcam/mcam-safetensors.h"
#include "mcam-test-util.h"

static McamImage *
load_fixture (const char *name, guint64 max_pixels, GError **error)
{
  g_autofree char *path = mcam_test_fixture (name);
  return mcam_image_load (path, max_pixels, error);
}

static gboolean
have_loader (const char *name)
{
  g_autoptr(GSList) formats = gdk_pixbuf_get_formats ();

  for (GSList *l = formats; l; l = l->next)
    {
      g_autofree char *format_name = gdk_pixbuf_format_get_name (l->data);

      if (g_strcmp0 (format_name, name) == 0)
        return TRUE;
    }
  return FALSE;
}

/* The same 12×8 pattern of few colours, stored losslessly in each format,
 * must decode to exactly the bytes PIL wrote. */
static void
test_decode_formats (void)
{
  const char *files[][2] = {
    { "img-pattern.png", "png" },
    { "img-pattern.bmp", "bmp" },
    { "img-pattern.tiff", "tiff" },
    { "img-pattern.gif", "gif" },
    { "img-pattern.webp", "webp" },
  };
  g_autofree char *rgb_path = mcam_test_fixture ("img-pattern.rgb");
  g_autofree char *expected = NULL;
  gsize len = 0;

  g_assert_true (g_file_get_contents (rgb_path, &expected, &len, NULL));
  g_assert_cmpuint (len, ==, 12 * 8 * 3);

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(McamImage) img = NULL;

      if (!have_loader (files[i][1]))
        {
          g_test_message ("no gdk-pixbuf loader for %s: skipped", files[i][1]);
          continue;
        }
      img = load_fixture (files[i][0], 0, &error);
      g_assert_no_error (error);
      g_assert_cmpint (img->width, ==, 12);
      g_assert_cmpint (img->height, ==, 8);
      if (memcmp (img->rgb, expected, len) != 0)
        g_error ("%s does not decode to the pattern", files[i][0]);
    }
}

/* gdk-pixbuf and PIL both decode with libjpeg/libpng: the bytes agree with
 * what the preprocessing fixture was computed from. */
static void
test_decode_matches_pil (void)
{
  const char *names[] = { "img-photo.png", "img-photo.jpg" };
  g_autofree char *path = mcam_test_fixture ("img-preprocess.safetensors");
  g_autoptr(GError) error = NULL;
  g_autoptr(McamSafetensors) st = mcam_safetensors_open (path, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *key = g_strdup_printf ("%s|rgb", names[i]);
      g_autoptr(McamImage) img = load_fixture (names[i], 0, &error);
      g_autoptr(McamTensor) ref = NULL;
      int max_diff = 0;

      g_assert_no_error (error);
      ref = mcam_safetensors_read (st, key, 3, (gint64[]) { img->height, img->width, 3 }, &error);
      g_assert_no_error (error);
      for (gsize k = 0; k < ref->n; k++)
        max_diff = MAX (max_diff, abs ((int) img->rgb[k] - (int) ref->data[k]));
      g_test_message ("%s: max |gdk-pixbuf − PIL| = %d", names[i], max_diff);
      g_assert_cmpint (max_diff, ==, 0);
    }
}

static void
assert_rgb_near (const McamImage *img, int x, int y, int r, int g, int b, int tol)
{
  const guint8 *p = img->rgb + ((gsize) y * img->width + x) * 3;

  if (abs (p[0] - r) > tol || abs (p[1] - g) > tol || abs (p[2] - b) > tol)
    g_error ("pixel (%d,%d) is (%d,%d,%d), expected (%d,%d,%d) ± %d",
             x, y, p[0], p[1], p[2], r, g, b, tol);
}

/* Stored 16×8: left half red with a green top-left quarter, right half
 * blue, under each of the eight EXIF orientations. 1–4 keep the size (as is,
 * mirrored, turned 180°, flipped), 5–8 swap it (transposed, turned 90°
 * clockwise, transversed, turned 90° anticlockwise). Where the green quarter
 * lands was checked against PIL's ImageOps.exif_transpose by the generator. */
static void
test_exif_orientation (void)
{
  enum { TL, TR, BR, BL };
  const int green_at[9] = { 0, TL, TR, BR, BL, TL, TR, BR, BL };

  for (int o = 1; o <= 8; o++)
    {
      g_autofree char *name = g_strdup_printf ("img-orient%d.jpg", o);
      g_autoptr(GError) error = NULL;
      g_autoptr(McamImage) img = load_fixture (name, 0, &error);
      int w = o <= 4 ? 16 : 8, h = o <= 4 ? 8 : 16;
      int gx, gy;

      g_assert_no_error (error);
      g_assert_cmpint (img->width, ==, w);
      g_assert_cmpint (img->height, ==, h);
      gx = green_at[o] == TL || green_at[o] == BL ? 1 : w - 2;
      gy = green_at[o] == TL || green_at[o] == TR ? 1 : h - 2;
      assert_rgb_near (img, gx, gy, 0, 255, 0, 24);
      /* the opposite corner is always in the blue half */
      assert_rgb_near (img, w - 1 - gx, h - 1 - gy, 0, 0, 255, 24);
    }
}

/* Red with alpha 255, 0, 128, 255 / 64, 192, 0, 255 on white:
 * channel = (c·a + 255·(255 − a)) / 255, rounded. */
static void
test_alpha_onto_white (void)
{
  const int alpha[2][4] = { { 255, 0, 128, 255 }, { 64, 192, 0, 255 } };
  g_autoptr(GError) error = NULL;
  g_autoptr(McamImage) img = load_fixture ("img-rgba.png", 0, &error);

  g_assert_no_error (error);
  g_assert_cmpint (img->width, ==, 4);
  g_assert_cmpint (img->height, ==, 2);
  for (int y = 0; y < 2; y++)
    for (int x = 0; x < 4; x++)
      {
        int a = alpha[y][x];
        int gb = (int) (255.0 * (255 - a) / 255.0 + 0.5);
        assert_rgb_near (img, x, y, 255, gb, gb, 0);
      }
}

static void
test_gray (void)
{
  const int v[2][3] = { { 0, 77, 255 }, { 128, 3, 200 } };
  g_autoptr(GError) error = NULL;
  g_autoptr(McamImage) img = load_fixture ("img-gray.png", 0, &error);

  g_assert_no_error (error);
  g_assert_cmpint (img->width, ==, 3);
  g_assert_cmpint (img->height, ==, 2);
  for (int y = 0; y < 2; y++)
    for (int x = 0; x < 3; x++)
      assert_rgb_near (img, x, y, v[y][x], v[y][x], v[y][x], 0);
}

static void
assert_error_names_file (GError *error, const char *name)
{
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, name));
}

/* img-huge.png declares 20000 × 20000 pixels in a valid header but holds a
 * few rows: it must be refused from its header, with TOO_LARGE (decoding
 * would have to allocate 1.6 GB and then fail on the missing data). */
static void
test_too_large (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(McamImage) img = load_fixture ("img-huge.png", 0, &error);

  g_assert_null (img);
  g_assert_error (error, MCAM_ERROR, MCAM_ERROR_TOO_LARGE);
  assert_error_names_file (error, "img-huge.png");
  g_assert_nonnull (strstr (error->message, "20000"));
  g_clear_error (&error);

  /* An explicit limit: 61×47 = 2867 pixels is over 2866 and within 2867. */
  img = load_fixture ("img-photo.png", 2866, &error);
  g_assert_null (img);
  g_assert_error (error, MCAM_ERROR, MCAM_ERROR_TOO_LARGE);
  g_clear_error (&error);
  img = load_fixture ("img-photo.png", 2867, &error);
  g_assert_no_error (error);
  g_assert_cmpint (img->width * img->height, ==, 2867);
  g_clear_pointer (&img, mcam_image_free);

  /* TIFF learns its size late (at close): the limit holds there too. */
  img = load_fixture ("img-pattern.tiff", 95, &error);
  g_assert_null (img);
  g_assert_error (error, MCAM_ERROR, MCAM_ERROR_TOO_LARGE);
}

static void
test_bad_files (void)
{
  const char *bad[] = { "img-truncated.png", "img-garbage.png", "no-such-image.png" };
  g_autofree char *tmpdir = g_dir_make_tmp ("mcam-test-image-XXXXXX", NULL);
  g_autofree char *empty = g_build_filename (tmpdir, "empty.png", NULL);
  const struct { const char *name; guint keep; } cuts[] = {
    { "img-photo.jpg", 1200 },
    { "img-photo.jpg", 2000 },
    { "img-pattern.bmp", 300 },
    { "img-pattern.webp", 80 },
    { "img-pattern.gif", 400 },
    { "img-pattern.tiff", 100 },
    { "img-photo.png", 3000 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(McamImage) img = load_fixture (bad[i], 0, &error);

      g_assert_null (img);
      g_assert_true (error->domain == MCAM_ERROR);
      assert_error_names_file (error, bad[i]);
      g_test_message ("%s: %s", bad[i], error->message);
    }

  /* An empty file, and files cut short in formats whose gdk-pixbuf loader
   * takes a short file for a whole one (it paints the rest gray or black). */
  g_assert_true (g_file_set_contents (empty, "", 0, NULL));
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(McamImage) img = mcam_image_load (empty, 0, &error);

    g_assert_null (img);
    g_assert_error (error, MCAM_ERROR, MCAM_ERROR_FORMAT);
    assert_error_names_file (error, "empty.png");
  }
  for (guint i = 0; i < G_N_ELEMENTS (cuts); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(McamImage) img = NULL;
      g_autofree char *src = mcam_test_fixture (cuts[i].name);
      g_autofree char *contents = NULL;
      g_autofree char *cut = g_build_filename (tmpdir, cuts[i].name, NULL);
      gsize len;

      g_assert_true (g_file_get_contents (src, &contents, &len, NULL));
      g_assert_cmpuint (cuts[i].keep, <, len);
      g_assert_true (g_file_set_contents (cut, contents, cuts[i].keep, NULL));
      img = mcam_image_load (cut, 0, &error);
      g_assert_null (img);
      g_assert_error (error, MCAM_ERROR, MCAM_ERROR_FORMAT);
      assert_error_names_file (error, cuts[i].name);
      g_test_message ("%s cut to %u bytes: %s", cuts[i].name, cuts[i].keep, error->message);
      g_unlink (cut);
    }

  /* BMPs whose info header claims 0xffff0028 bytes, or whose pixels start
   * 0xfeffff36 bytes in (both found by fuzz-image: gdk-pixbuf's BMP loader
   * then asks for 4 GB before reading anything), or whose palette claims
   * 0xffffffff colours (found by the CI fuzz smoke: 4 x that in 32 bits is
   * a 4,294,967,292-byte realloc), are refused from their header, before
   * the loader sees them. */
  for (int k = 0; k < 3; k++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(McamImage) img = NULL;
      g_autofree char *src = mcam_test_fixture ("img-pattern.bmp");
      g_autofree char *contents = NULL;
      g_autofree char *forged = g_build_filename (tmpdir, "forged.bmp", NULL);
      gsize len;

      g_assert_true (g_file_get_contents (src, &contents, &len, NULL));
      g_assert_cmpuint (len, >, 18);
      if (k == 0)
        contents[16] = contents[17] = (char) 0xff;
      else if (k == 1)
        contents[11] = contents[12] = contents[13] = (char) 0xff;
      else
        contents[46] = contents[47] = contents[48] = contents[49] = (char) 0xff;
      g_assert_true (g_file_set_contents (forged, contents, len, NULL));
      img = mcam_image_load (forged, 0, &error);
      g_assert_null (img);
      g_assert_error (error, MCAM_ERROR, MCAM_ERROR_FORMAT);
      assert_error_names_file (error, "forged.bmp");
      g_assert_nonnull (strstr (error->message, "BMP header"));
      g_test_message ("forged BMP header: %s", error->message);
      g_unlink (forged);
    }

  /* A folder is not an image. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(McamImage) img = mcam_image_load (tmpdir, 0, &error);

    g_assert_null (img);
    g_assert_error (error, MCAM_ERROR, MCAM_ERROR_IO);
  }
  g_unlink (empty);
  g_rmdir (tmpdir);
}

static void
test_new_copy (void)
{
  g_autoptr(McamImage) a = mcam_image_new (5, 3);
  g_autoptr(McamImage) b = NULL;

  for (int i = 0; i < 5 * 3 * 3; i++)
    g_assert_cmpint (a->rgb[i], ==, 0);
  a->rgb[7] = 42;
  b = mcam_image_copy (a);
  g_assert_cmpint (b->width, ==, 5);
  g_assert_cmpint (b->height, ==, 3);
  g_assert_true (b->rgb != a->rgb);
  g_assert_cmpmem (a->rgb, 45, b->rgb, 45);
}

/* Every "<file>|<mode>|<W>x<H>" tensor of the fixture against our
 * preprocessing of the same file: 1e-5 absolute (normalised values are of
 * order 1; PIL's fixed-point resize is reproduced exactly, so the only
 * differences are float rounding, if any). */
static void
test_preprocess_torchvision (void)
{
  g_autofree char *path = mcam_test_fixture ("img-preprocess.safetensors");
  g_autoptr(GError) error = NULL;
  g_autoptr(McamSafetensors) st = mcam_safetensors_open (path, &error);
  const char *const *names;
  int n_cases = 0;
  double worst = 0.0;

  g_assert_no_error (error);
  names = mcam_safetensors_get_names (st);
  for (guint i = 0; names[i]; i++)
    {
      g_auto(GStrv) parts = g_strsplit (names[i], "|", -1);
      McamPreprocess pp = {
        .mean = { 0.485f, 0.456f, 0.406f },
        .std = { 0.229f, 0.224f, 0.225f },
      };
      g_autoptr(McamImage) img = NULL;
      g_autoptr(McamTensor) ref = NULL;
      g_autoptr(McamTensor) got = NULL;
      double max_diff = 0.0;

      if (g_strv_length (parts) != 3)
        continue;
      g_assert_cmpint (sscanf (parts[2], "%dx%d", &pp.width, &pp.height), ==, 2);
      if (g_str_equal (parts[1], "stretch"))
        pp.resize = MCAM_RESIZE_STRETCH;
      else if (g_str_equal (parts[1], "center-crop"))
        pp.resize = MCAM_RESIZE_CENTER_CROP;
      else
        g_assert_not_reached ();

      img = load_fixture (parts[0], 0, &error);
      g_assert_no_error (error);
      ref = mcam_safetensors_read (st, names[i], 3,
                                   (gint64[]) { 3, pp.height, pp.width }, &error);
      g_assert_no_error (error);
      got = mcam_image_preprocess (img, &pp);
      g_assert_cmpint (got->ndim, ==, 4);
      g_assert_cmpint (got->shape[0], ==, 1);
      g_assert_cmpint (got->shape[1], ==, 3);
      g_assert_cmpint (got->shape[2], ==, pp.height);
      g_assert_cmpint (got->shape[3], ==, pp.width);
      for (gsize k = 0; k < ref->n; k++)
        max_diff = MAX (max_diff, fabs ((double) got->data[k] - ref->data[k]));
      g_test_message ("%s: max |ours − torchvision| = %.3g", names[i], max_diff);
      if (max_diff > 1e-5)
        g_error ("%s differs from torchvision by %g", names[i], max_diff);
      worst = MAX (worst, max_diff);
      n_cases++;
    }
  g_test_message ("%d cases, worst difference %.3g", n_cases, worst);
  g_assert_cmpint (n_cases, ==, 16);
}

/* The rectangle the network sees: the whole image for stretch; for a centre
 * crop of 61×47 to 32×32, the resize is 41×32 (torchvision truncates
 * 32·61/47 = 41.5) and the crop starts at round(4.5) = 4 (Python rounds
 * halves to even), i.e. at 4·61/41 source pixels, 32·61/41 wide. */
static void
test_source_rect (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(McamImage) img = load_fixture ("img-photo.png", 0, &error);
  McamPreprocess pp = { 32, 32, MCAM_RESIZE_STRETCH, { 0, 0, 0 }, { 1, 1, 1 } };
  double x0, y0, w, h;

  g_assert_no_error (error);
  mcam_image_preprocess_source_rect (img, &pp, &x0, &y0, &w, &h);
  g_assert_cmpfloat (x0, ==, 0.0);
  g_assert_cmpfloat (y0, ==, 0.0);
  g_assert_cmpfloat (w, ==, 61.0);
  g_assert_cmpfloat (h, ==, 47.0);

  pp.resize = MCAM_RESIZE_CENTER_CROP;
  mcam_image_preprocess_source_rect (img, &pp, &x0, &y0, &w, &h);
  g_assert_cmpfloat_with_epsilon (x0, 4.0 * 61.0 / 41.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (w, 32.0 * 61.0 / 41.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (y0, 0.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (h, 47.0, 1e-12);
}

/* Invariants every resize keeps (a constant image stays constant, the
 * identity size copies the pixels), and one case worked by hand: 4×1 → 2×1
 * halves the width, so the triangle is stretched to ±2 input pixels. Output 0
 * is centred at 1.0 and reads inputs 0..2 with weights 0.75, 0.75, 0.25
 * (normalised 3/7, 3/7, 1/7): 0, 70, 140 → 350/7 = 50; output 1, centred at
 * 3.0, reads inputs 1..3 with 1/7, 3/7, 3/7: 70, 140, 210 → 1120/7 = 160.
 * (PIL gives 50 and 160 too.) */
static void
test_preprocess_invariants (void)
{
  g_autoptr(McamImage) img = mcam_image_new (37, 23);
  McamPreprocess pp = { 16, 16, MCAM_RESIZE_CENTER_CROP, { 0, 0, 0 }, { 1, 1, 1 } };
  g_autofree float *out = g_new (float, 3 * 37 * 23);

  for (gsize i = 0; i < 37 * 23; i++)
    {
      img->rgb[i * 3 + 0] = 17;
      img->rgb[i * 3 + 1] = 128;
      img->rgb[i * 3 + 2] = 255;
    }
  mcam_image_preprocess_into (img, &pp, out);
  for (int i = 0; i < 16 * 16; i++)
    {
      g_assert_cmpfloat (out[i], ==, 17.0f / 255.0f);
      g_assert_cmpfloat (out[256 + i], ==, 128.0f / 255.0f);
      g_assert_cmpfloat (out[512 + i], ==, 1.0f);
    }

  for (gsize i = 0; i < 37 * 23 * 3; i++)
    img->rgb[i] = (guint8) (i * 7919 % 256);
  pp.width = 37;
  pp.height = 23;
  pp.resize = MCAM_RESIZE_STRETCH;
  mcam_image_preprocess_into (img, &pp, out);
  for (int y = 0; y < 23; y++)
    for (int x = 0; x < 37; x++)
      for (int c = 0; c < 3; c++)
        g_assert_cmpfloat (out[c * 37 * 23 + y * 37 + x], ==,
                           img->rgb[(y * 37 + x) * 3 + c] / 255.0f);

  {
    g_autoptr(McamImage) line = mcam_image_new (4, 1);
    McamPreprocess half = { 2, 1, MCAM_RESIZE_STRETCH, { 0, 0, 0 }, { 1, 1, 1 } };
    float two[6];

    for (int x = 0; x < 4; x++)
      memset (line->rgb + x * 3, 70 * x, 3);
    mcam_image_preprocess_into (line, &half, two);
    g_assert_cmpfloat (two[0], ==, 50.0f / 255.0f);
    g_assert_cmpfloat (two[1], ==, 160.0f / 255.0f);
  }
}

/* An image of extreme aspect (4·10^6 × 1 pixels, 4 megapixels, inside the
 * limit) centre-cropped to 1024×1024: scaling it to cover the input would
 * make it 4·10^9 pixels wide, past INT_MAX. The scaled side is capped
 * (2^30), so the crop is still a thin centre slice of the image (it used to
 * overflow and silently become a stretch of the whole image), and a
 * constant image stays constant. */
static void
test_preprocess_extreme_aspect (void)
{
  const int width = 4000000;
  g_autoptr(McamImage) img = mcam_image_new (width, 1);
  McamPreprocess pp = { 1024, 1024, MCAM_RESIZE_CENTER_CROP, { 0, 0, 0 }, { 1, 1, 1 } };
  g_autoptr(McamTensor) t = NULL;
  double x0, y0, w, h;

  memset (img->rgb, 200, (gsize) width * 3);
  mcam_image_preprocess_source_rect (img, &pp, &x0, &y0, &w, &h);
  g_assert_cmpfloat (w, >, 0.0);
  g_assert_cmpfloat (w, <, 16.0);
  g_assert_cmpfloat (x0, >, width / 2 - 16);
  g_assert_cmpfloat (x0 + w, <=, width);
  g_assert_cmpfloat_with_epsilon (h, 1.0, 1e-9);

  t = mcam_image_preprocess (img, &pp);
  for (gsize i = 0; i < t->n; i++)
    g_assert_cmpfloat (t->data[i], ==, 200.0f / 255.0f);
}

int
main (int argc, char **argv)
{
  mcam_test_init (&argc, &argv);

  g_test_add_func ("/mcam/image/decode-formats", test_decode_formats);
  g_test_add_func ("/mcam/image/decode-matches-pil", test_decode_matches_pil);
  g_test_add_func ("/mcam/image/exif-orientation", test_exif_orientation);
  g_test_add_func ("/mcam/image/alpha-onto-white", test_alpha_onto_white);
  g_test_add_func ("/mcam/image/gray", test_gray);
  g_test_add_func ("/mcam/image/too-large", test_too_large);
  g_test_add_func ("/mcam/image/bad-files", test_bad_files);
  g_test_add_func ("/mcam/image/new-copy", test_new_copy);
  g_test_add_func ("/mcam/image/preprocess-torchvision", test_preprocess_torchvision);
  g_test_add_func ("/mcam/image/preprocess-invariants", test_preprocess_invariants);
  g_test_add_func ("/mcam/image/source-rect", test_source_rect);
  g_test_add_func ("/mcam/image/preprocess-extreme-aspect", test_preprocess_extreme_aspect);

  return g_test_run ();
}
