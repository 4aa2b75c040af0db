/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Decoding images into packed 8-bit RGB (McamImage).
 *
 * Every format goes through a GdkPixbufLoader fed in chunks, so that the
 * image's size is known from its header before any pixel buffer exists: an
 * image over the pixel limit is refused at that point, without decoding it. */

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <glib/gstdio.h>
#include <gdk-pixbuf/gdk-pixbuf.h>

#include "mcam/mcam-error.h"
#include "mcam/mcam-image.h"

McamImage *
mcam_image_new (int width, int height)
{
  McamImage *img;

  g_return_val_if_fail (width > 0 && height > 0, NULL);

  img = g_new0 (McamImage, 1);
  img->width = width;
  img->height = height;
  img->rgb = g_malloc0_n ((gsize) width * (gsize) height, 3);
  return img;
}

McamImage *
mcam_image_copy (const McamImage *img)
{
  McamImage *copy;

  g_return_val_if_fail (img != NULL, NULL);

  copy = g_new0 (McamImage, 1);
  copy->width = img->width;
  copy->height = img->height;
  copy->rgb = g_memdup2 (img->rgb, (gsize) img->width * (gsize) img->height * 3);
  return copy;
}

void
mcam_image_free (McamImage *img)
{
  if (img == NULL)
    return;
  g_free (img->rgb);
  g_free (img);
}

typedef struct
{
  guint64  max_pixels;
  gboolean too_large;
  int      width;
  int      height;
} SizeCheck;

static void
on_size_prepared (GdkPixbufLoader *loader, int width, int height, gpointer user_data)
{
  SizeCheck *check = user_data;

  check->width = width;
  check->height = height;
  if (width <= 0 || height <= 0
      || (guint64) width * (guint64) height > check->max_pixels)
    {
      check->too_large = TRUE;
      /* A zero target size makes every gdk-pixbuf loader stop before it
       * allocates the pixel buffer (the same trick gdk_pixbuf_get_file_info
       * uses to read only the header). */
      gdk_pixbuf_loader_set_size (loader, 0, 0);
    }
}

static gboolean
set_too_large_error (GError **error, const char *path, const SizeCheck *check)
{
  g_set_error (error, MCAM_ERROR, MCAM_ERROR_TOO_LARGE,
               "Image “%s” is too large: %d × %d pixels (%.1f megapixels), "
               "the limit is %.1f megapixels",
               path, check->width, check->height,
               (double) check->width * (double) check->height / 1e6,
               (double) check->max_pixels / 1e6);
  return FALSE;
}

/* Packs a pixbuf (RGB or RGBA, any rowstride) into our RGB layout,
 * compositing alpha onto white: out = (c·a + 255·(255 − a)) / 255, rounded. */
static McamImage *
image_from_pixbuf (GdkPixbuf *pixbuf)
{
  int width = gdk_pixbuf_get_width (pixbuf);
  int height = gdk_pixbuf_get_height (pixbuf);
  int n_channels = gdk_pixbuf_get_n_channels (pixbuf);
  int rowstride = gdk_pixbuf_get_rowstride (pixbuf);
  gboolean has_alpha = gdk_pixbuf_get_has_alpha (pixbuf);
  const guint8 *pixels = gdk_pixbuf_read_pixels (pixbuf);
  McamImage *img = mcam_image_new (width, height);

  for (int y = 0; y < height; y++)
    {
      const guint8 *src = pixels + (gsize) y * rowstride;
      guint8 *dst = img->rgb + (gsize) y * width * 3;

      for (int x = 0; x < width; x++, src += n_channels, dst += 3)
        {
          if (has_alpha && n_channels >= 4)
            {
              unsigned a = src[3];
              for (int c = 0; c < 3; c++)
                dst[c] = (guint8) ((src[c] * a + 255u * (255u - a) + 127u) / 255u);
            }
          else if (n_channels >= 3)
            {
              dst[0] = src[0];
              dst[1] = src[1];
              dst[2] = src[2];
            }
          else
            {
              /* gdk-pixbuf always expands gray, but be safe with 1 or 2 channels. */
              dst[0] = dst[1] = dst[2] = src[0];
            }
        }
    }
  return img;
}

McamImage *
mcam_image_load (const char *path, guint64 max_pixels, GError **error)
{
  g_autoptr(GdkPixbufLoader) loader = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GdkPixbuf) oriented = NULL;
  g_autofree guint8 *buffer = NULL;
  GdkPixbuf *pixbuf;
  SizeCheck check = { 0, FALSE, 0, 0 };
  gboolean wrote_any = FALSE;
  gboolean ok = TRUE;
  FILE *file;

  g_return_val_if_fail (path != NULL, NULL);

  check.max_pixels = max_pixels ? max_pixels : MCAM_IMAGE_MAX_PIXELS_DEFAULT;

  file = g_fopen (path, "rb");
  if (file == NULL)
    {
      int saved = errno;
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_IO,
                   "Cannot open image “%s”: %s", path, g_strerror (saved));
      return NULL;
    }

  loader = gdk_pixbuf_loader_new ();
  g_signal_connect (loader, "size-prepared", G_CALLBACK (on_size_prepared), &check);

  buffer = g_malloc (64 * 1024);
  while (ok && !check.too_large)
    {
      size_t n = fread (buffer, 1, 64 * 1024, file);

      if (n == 0)
        {
          if (ferror (file))
            {
              int saved = errno;
              fclose (file);
              gdk_pixbuf_loader_close (loader, NULL);
              g_set_error (error, MCAM_ERROR, MCAM_ERROR_IO,
                           "Cannot read image “%s”: %s", path, g_strerror (saved));
              return NULL;
            }
          break;
        }
      wrote_any = TRUE;
      ok = gdk_pixbuf_loader_write (loader, buffer, n, &local_error);
    }
  fclose (file);

  if (check.too_large)
    {
      gdk_pixbuf_loader_close (loader, NULL);
      return set_too_large_error (error, path, &check), NULL;
    }

  if (!wrote_any)
    {
      gdk_pixbuf_loader_close (loader, NULL);
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_FORMAT,
                   "Cannot read image “%s”: the file is empty", path);
      return NULL;
    }

  if (ok)
    ok = gdk_pixbuf_loader_close (loader, &local_error);
  else
    gdk_pixbuf_loader_close (loader, NULL);

  /* Some loaders (TIFF) only learn the size when the loader is closed. */
  if (check.too_large)
    return set_too_large_error (error, path, &check), NULL;

  if (!ok)
    {
      int code = MCAM_ERROR_FORMAT;

      if (local_error != NULL
          && g_error_matches (local_error, GDK_PIXBUF_ERROR, GDK_PIXBUF_ERROR_UNKNOWN_TYPE))
        code = MCAM_ERROR_UNSUPPORTED;
      g_set_error (error, MCAM_ERROR, code,
                   "Cannot decode image “%s”: %s", path,
                   local_error ? local_error->message : "unknown error");
      return NULL;
    }

  pixbuf = gdk_pixbuf_loader_get_pixbuf (loader);   /* borrowed */
  if (pixbuf == NULL)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_FORMAT,
                   "Cannot decode image “%s”: the file holds no complete image", path);
      return NULL;
    }

  if (gdk_pixbuf_get_bits_per_sample (pixbuf) != 8
      || gdk_pixbuf_get_colorspace (pixbuf) != GDK_COLORSPACE_RGB)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_UNSUPPORTED,
                   "Cannot decode image “%s”: unsupported pixel layout", path);
      return NULL;
    }

  /* EXIF orientation (JPEG, TIFF): rotate/flip so the image stands as the
   * camera saw it. Returns a new reference, the same pixbuf when no tag. */
  oriented = gdk_pixbuf_apply_embedded_orientation (pixbuf);
  if (oriented == NULL)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_FAILED,
                   "Cannot apply the orientation of image “%s”: out of memory", path);
      return NULL;
    }

  return image_from_pixbuf (oriented);
}
