/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Colormaps, overlay blending and PNG export. */

#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <gdk-pixbuf/gdk-pixbuf.h>

#include "mcam/mcam-error.h"
#include "mcam/mcam-map.h"
#include "mcam-test-util.h"

static void
surface_pixel (cairo_surface_t *s, int x, int y, guint8 rgb[3])
{
  const guint8 *row = cairo_image_surface_get_data (s) + (gsize) y * cairo_image_surface_get_stride (s);
  guint32 px;

  memcpy (&px, row + x * 4, 4);
  rgb[0] = (px >> 16) & 0xff;
  rgb[1] = (px >> 8) & 0xff;
  rgb[2] = px & 0xff;
}

/* Names round trip; the ends of each table are the published colours
 * (matplotlib's tables: viridis #440154 → #fde725, inferno #000004 →
 * #fcffa4, turbo #30123b → #7a0403, jet #000080 → #800000). */
static void
test_colormap (void)
{
  const struct { const char *name; guint8 lo[3]; guint8 hi[3]; } ends[] = {
    { "turbo", { 0x30, 0x12, 0x3b }, { 0x7a, 0x04, 0x03 } },
    { "jet", { 0x00, 0x00, 0x80 }, { 0x80, 0x00, 0x00 } },
    { "viridis", { 0x44, 0x01, 0x54 }, { 0xfd, 0xe7, 0x25 } },
    { "inferno", { 0x00, 0x00, 0x04 }, { 0xfc, 0xff, 0xa4 } },
  };
  McamColormap cm;

  g_assert_cmpint (G_N_ELEMENTS (ends), ==, MCAM_N_COLORMAPS);
  for (guint i = 0; i < G_N_ELEMENTS (ends); i++)
    {
      guint8 rgb[3];

      g_assert_true (mcam_colormap_from_name (ends[i].name, &cm));
      g_assert_cmpstr (mcam_colormap_get_name (cm), ==, ends[i].name);
      mcam_colormap_lookup (cm, 0.0f, rgb);
      g_assert_cmpmem (rgb, 3, ends[i].lo, 3);
      mcam_colormap_lookup (cm, 1.0f, rgb);
      g_assert_cmpmem (rgb, 3, ends[i].hi, 3);
      /* out of range and NaN are clamped, never read outside the table */
      mcam_colormap_lookup (cm, 7.0f, rgb);
      g_assert_cmpmem (rgb, 3, ends[i].hi, 3);
      mcam_colormap_lookup (cm, -1.0f, rgb);
      g_assert_cmpmem (rgb, 3, ends[i].lo, 3);
      mcam_colormap_lookup (cm, NAN, rgb);
      g_assert_cmpmem (rgb, 3, ends[i].lo, 3);
    }
  g_assert_false (mcam_colormap_from_name ("rainbow", &cm));
  g_assert_true (mcam_colormap_from_name ("Viridis", &cm));
  g_assert_cmpint (cm, ==, MCAM_COLORMAP_VIRIDIS);

  /* viridis runs from dark to light: its luminance rises monotonically */
  {
    double last = -1.0;

    for (int i = 0; i <= 255; i++)
      {
        guint8 rgb[3];
        double lum;

        mcam_colormap_lookup (MCAM_COLORMAP_VIRIDIS, i / 255.0f, rgb);
        lum = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
        g_assert_cmpfloat (lum, >=, last - 0.5);
        last = lum;
      }
  }
}

/* out = (1 − opacity)·image + opacity·colour, per channel, rounded. */
static void
test_blend_pixels (void)
{
  g_autoptr(McamImage) img = mcam_image_new (3, 2);
  const float map[6] = { 0.0f, 1.0f, 0.5f, 1.0f, 0.0f, 0.25f };
  const guint8 src[6][3] = { { 0, 0, 0 }, { 255, 255, 255 }, { 10, 200, 90 },
                             { 100, 50, 25 }, { 7, 8, 9 }, { 128, 128, 128 } };
  const double opacities[] = { 0.0, 0.5, 1.0, 0.3 };

  memcpy (img->rgb, src, sizeof src);
  for (guint k = 0; k < G_N_ELEMENTS (opacities); k++)
    {
      double o = opacities[k];
      cairo_surface_t *s = mcam_overlay_render (img, map, MCAM_COLORMAP_JET, o);

      g_assert_cmpint (cairo_surface_status (s), ==, CAIRO_STATUS_SUCCESS);
      g_assert_cmpint (cairo_image_surface_get_format (s), ==, CAIRO_FORMAT_RGB24);
      g_assert_cmpint (cairo_image_surface_get_width (s), ==, 3);
      g_assert_cmpint (cairo_image_surface_get_height (s), ==, 2);
      for (int i = 0; i < 6; i++)
        {
          guint8 got[3], c[3];

          surface_pixel (s, i % 3, i / 3, got);
          mcam_colormap_lookup (MCAM_COLORMAP_JET, map[i], c);
          for (int ch = 0; ch < 3; ch++)
            {
              double want = (1.0 - o) * src[i][ch] + o * c[ch];
              if (fabs (got[ch] - want) > 0.51)
                g_error ("opacity %.2f pixel %d channel %d: %d, expected %.2f",
                         o, i, ch, got[ch], want);
            }
          if (o == 0.0)
            g_assert_cmpmem (got, 3, src[i], 3);
          if (o == 1.0)
            g_assert_cmpmem (got, 3, c, 3);
        }
      cairo_surface_destroy (s);
    }

  /* Two known pixels written out: jet at 1.0 is #800000, at 0.0 #000080;
   * half of black + half of #800000 = (64, 0, 0); half of white + half of
   * #000080 = (128, 128, 192). */
  {
    const float m2[2] = { 1.0f, 0.0f };
    g_autoptr(McamImage) two = mcam_image_new (2, 1);
    cairo_surface_t *s;
    guint8 got[3];

    memset (two->rgb + 3, 255, 3);
    s = mcam_overlay_render (two, m2, MCAM_COLORMAP_JET, 0.5);
    surface_pixel (s, 0, 0, got);
    g_assert_cmpmem (got, 3, ((guint8[]) { 64, 0, 0 }), 3);
    surface_pixel (s, 1, 0, got);
    g_assert_cmpmem (got, 3, ((guint8[]) { 128, 128, 192 }), 3);
    cairo_surface_destroy (s);
  }
}

static McamImage *
noisy_image (int w, int h, guint32 seed)
{
  McamImage *img = mcam_image_new (w, h);
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);

  for (gsize i = 0; i < (gsize) w * h * 3; i++)
    img->rgb[i] = (guint8) g_rand_int_range (rand, 0, 256);
  return img;
}

/* Written, then read back by gdk-pixbuf: the same pixels, the same size. */
static void
test_png_round_trip (void)
{
  g_autofree char *dir = g_dir_make_tmp ("mcam-test-overlay-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "overlay.png", NULL);
  g_autoptr(McamImage) img = noisy_image (37, 21, 1);
  g_autofree float *map = g_new (float, 37 * 21);
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkPixbuf) back = NULL;
  g_autoptr(McamImage) back_img = NULL;
  cairo_surface_t *s;

  for (int i = 0; i < 37 * 21; i++)
    map[i] = (float) (i % 37) / 36.0f;
  s = mcam_overlay_render (img, map, MCAM_COLORMAP_TURBO, 0.5);
  g_assert_true (mcam_surface_write_png (s, path, &error));
  g_assert_no_error (error);

  back = gdk_pixbuf_new_from_file (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gdk_pixbuf_get_width (back), ==, 37);
  g_assert_cmpint (gdk_pixbuf_get_height (back), ==, 21);
  back_img = mcam_image_load (path, 0, &error);
  g_assert_no_error (error);
  for (int y = 0; y < 21; y++)
    for (int x = 0; x < 37; x++)
      {
        guint8 want[3];
        const guint8 *p = gdk_pixbuf_read_pixels (back)
                          + y * gdk_pixbuf_get_rowstride (back)
                          + x * gdk_pixbuf_get_n_channels (back);

        surface_pixel (s, x, y, want);
        g_assert_cmpmem (p, 3, want, 3);
        g_assert_cmpmem (back_img->rgb + (y * 37 + x) * 3, 3, want, 3);
      }
  cairo_surface_destroy (s);

  /* The plain image surface round-trips to the image itself. */
  s = mcam_image_to_surface (img);
  g_assert_true (mcam_surface_write_png (s, path, &error));
  g_clear_pointer (&back_img, mcam_image_free);
  back_img = mcam_image_load (path, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (back_img->rgb, 37 * 21 * 3, img->rgb, 37 * 21 * 3);
  cairo_surface_destroy (s);

  g_unlink (path);
  g_rmdir (dir);
}

static guint
count_entries (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  while (d && g_dir_read_name (d))
    n++;
  return n;
}

/* Failed writes: a missing folder, a target that is a folder, a file size
 * limit hit half-way (as a full disk would): each is a GError naming the
 * path, and leaves no partial file and the earlier file byte for byte. */
static void
test_write_failures (void)
{
  g_autofree char *dir = g_dir_make_tmp ("mcam-test-overlay-XXXXXX", NULL);
  g_autofree char *missing = g_build_filename (dir, "no", "such", "dir", "o.png", NULL);
  g_autofree char *target = g_build_filename (dir, "keep.png", NULL);
  g_autofree char *subdir = g_build_filename (dir, "a-folder", NULL);
  g_autoptr(McamImage) small = noisy_image (4, 4, 2);
  g_autoptr(McamImage) big = noisy_image (200, 200, 3);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  gsize before_len, after_len;
  cairo_surface_t *s_small = mcam_image_to_surface (small);
  cairo_surface_t *s_big = mcam_image_to_surface (big);
  struct rlimit old_limit, limit;
  void (*old_handler) (int);
  gboolean ok;

  /* missing folder */
  {
    g_autoptr(GError) error = NULL;

    g_assert_false (mcam_surface_write_png (s_small, missing, &error));
    g_assert_error (error, MCAM_ERROR, MCAM_ERROR_IO);
    g_assert_nonnull (strstr (error->message, "o.png"));
    g_assert_false (g_file_test (missing, G_FILE_TEST_EXISTS));
  }

  /* the target is a folder */
  g_assert_cmpint (g_mkdir (subdir, 0755), ==, 0);
  {
    g_autoptr(GError) error = NULL;

    g_assert_false (mcam_surface_write_png (s_small, subdir, &error));
    g_assert_nonnull (error);
    g_assert_true (g_file_test (subdir, G_FILE_TEST_IS_DIR));
    g_assert_cmpuint (count_entries (dir), ==, 1);   /* no temp file left */
  }

  /* an earlier export, then a write that runs out of room half-way */
  {
    g_autoptr(GError) error = NULL;

    g_assert_true (mcam_surface_write_png (s_small, target, &error));
    g_assert_no_error (error);
    g_assert_true (g_file_get_contents (target, &before, &before_len, NULL));
  }

  g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &old_limit), ==, 0);
  limit = old_limit;
  limit.rlim_cur = 4096;   /* the 200×200 noise PNG is ~120 kB, the 4×4 one < 200 B */
  g_assert_cmpuint (before_len, <, 4096);
  old_handler = signal (SIGXFSZ, SIG_IGN);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &limit), ==, 0);
  {
    g_autoptr(GError) error = NULL;

    ok = mcam_surface_write_png (s_big, target, &error);
    setrlimit (RLIMIT_FSIZE, &old_limit);
    signal (SIGXFSZ, old_handler);
    g_assert_false (ok);
    g_assert_error (error, MCAM_ERROR, MCAM_ERROR_IO);
    g_assert_nonnull (strstr (error->message, "keep.png"));
    g_test_message ("size limit: %s", error->message);
  }
  g_assert_true (g_file_get_contents (target, &after, &after_len, NULL));
  g_assert_cmpmem (after, after_len, before, before_len);
  g_assert_cmpuint (count_entries (dir), ==, 2);     /* keep.png and a-folder */

  /* an unwritable folder, where permissions apply (not as root) */
  if (geteuid () != 0)
    {
      g_autoptr(GError) error = NULL;

      g_assert_cmpint (g_chmod (dir, 0555), ==, 0);
      g_assert_false (mcam_surface_write_png (s_big, target, &error));
      g_assert_nonnull (error);
      g_assert_cmpint (g_chmod (dir, 0755), ==, 0);
      g_clear_pointer (&after, g_free);
      g_assert_true (g_file_get_contents (target, &after, &after_len, NULL));
      g_assert_cmpmem (after, after_len, before, before_len);
    }
  else
    g_test_message ("running as root: the read-only folder case is skipped");

  /* and a good write still replaces the file */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(McamImage) back = NULL;

    g_assert_true (mcam_surface_write_png (s_big, target, &error));
    back = mcam_image_load (target, 0, &error);
    g_assert_no_error (error);
    g_assert_cmpmem (back->rgb, 200 * 200 * 3, big->rgb, 200 * 200 * 3);
  }

  cairo_surface_destroy (s_small);
  cairo_surface_destroy (s_big);
  g_unlink (target);
  g_rmdir (subdir);
  g_rmdir (dir);
}

/* A surface in an error state (e.g. out of memory) is reported, not written. */
static void
test_error_surface (void)
{
  g_autofree char *dir = g_dir_make_tmp ("mcam-test-overlay-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "x.png", NULL);
  cairo_surface_t *bad = cairo_image_surface_create (CAIRO_FORMAT_RGB24, -1, -1);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (cairo_surface_status (bad), !=, CAIRO_STATUS_SUCCESS);
  g_assert_false (mcam_surface_write_png (bad, path, &error));
  g_assert_nonnull (error);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  cairo_surface_destroy (bad);

  /* An image wider than Cairo can draw (inside the pixel limit): the error
   * says which limit, not Cairo's "invalid value (typically too big)". */
  {
    g_autoptr(McamImage) wide = mcam_image_new (40000, 2);
    g_autoptr(GError) error2 = NULL;
    g_autofree float *map = g_new0 (float, 40000 * 2);
    cairo_surface_t *s = mcam_overlay_render (wide, map, MCAM_COLORMAP_JET, 0.5);

    g_assert_false (mcam_surface_write_png (s, path, &error2));
    g_assert_error (error2, MCAM_ERROR, MCAM_ERROR_TOO_LARGE);
    g_assert_nonnull (strstr (error2->message, "32767"));
    g_assert_nonnull (strstr (error2->message, path));
    g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
    cairo_surface_destroy (s);
  }
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  mcam_test_init (&argc, &argv);

  g_test_add_func ("/mcam/overlay/colormap", test_colormap);
  g_test_add_func ("/mcam/overlay/blend-pixels", test_blend_pixels);
  g_test_add_func ("/mcam/overlay/png-round-trip", test_png_round_trip);
  g_test_add_func ("/mcam/overlay/write-failures", test_write_failures);
  g_test_add_func ("/mcam/overlay/error-surface", test_error_surface);

  return g_test_run ();
}
