/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Decoding images into packed 8-bit RGB (McamImage).
 *
 * Every format goes through a GdkPixbufLoader fed in chunks from the file
 * read into memory, so that the image's size is known from its header before
 * any pixel buffer exists: an image over the pixel limit is refused at that
 * point, without decoding it. The file is read, not mapped: a mapped file
 * rewritten in place while it is decoded (`cat a.png > x.png`, as editors and
 * sync tools do) made the next access SIGBUS. gdk-pixbuf accepts some
 * truncated files (JPEG, BMP, WebP, PNG read incrementally) as complete;
 * those are caught here. */

#include "config.h"

#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <gdk-pixbuf/gdk-pixbuf.h>

#include "mcam/mcam-error.h"
#include "mcam/mcam-image.h"
#include "mcam-file.h"

/* The largest image file read: 8 bytes a pixel (16-bit RGBA, uncompressed)
 * of the largest image allowed, plus room for metadata (EXIF, ICC, XMP).
 * Anything bigger cannot be a valid image within the pixel limit. */
#define MAX_FILE_BYTES_PER_PIXEL 8u
#define MAX_FILE_BYTES_EXTRA     (64u << 20)

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

McamImage *
mcam_image_scale_to_fit (const McamImage *img, int max_side)
{
  double scale;
  int w, h;
  g_autoptr(GdkPixbuf) src = NULL;
  g_autoptr(GdkPixbuf) dst = NULL;
  McamImage *out;
  const guint8 *pixels;
  int stride;

  g_return_val_if_fail (img != NULL && max_side > 0, NULL);

  scale = MIN (1.0, (double) max_side / MAX (img->width, img->height));
  w = MAX (1, (int) lround (img->width * scale));
  h = MAX (1, (int) lround (img->height * scale));
  if (w == img->width && h == img->height)
    return mcam_image_copy (img);
  /* gdk-pixbuf's bilinear filter integrates over the source when it reduces
   * (no aliasing), and the rows are the image's own: no copy. */
  src = gdk_pixbuf_new_from_data (img->rgb, GDK_COLORSPACE_RGB, FALSE, 8, img->width,
                                  img->height, img->width * 3, NULL, NULL);
  dst = gdk_pixbuf_scale_simple (src, w, h, GDK_INTERP_BILINEAR);
  if (dst == NULL)
    return NULL;
  out = mcam_image_new (w, h);
  pixels = gdk_pixbuf_read_pixels (dst);
  stride = gdk_pixbuf_get_rowstride (dst);
  for (int y = 0; y < h; y++)
    memcpy (out->rgb + (gsize) y * w * 3, pixels + (gsize) y * stride, (gsize) w * 3);
  return out;
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
  guint8  *rows_done;   /* one bit per row the loader reported as decoded */
} LoadState;

static void
on_size_prepared (GdkPixbufLoader *loader, int width, int height, gpointer user_data)
{
  LoadState *state = user_data;

  state->width = width;
  state->height = height;
  if (width <= 0 || height <= 0
      || (guint64) width * (guint64) height > state->max_pixels)
    {
      state->too_large = TRUE;
      /* A zero target size makes every gdk-pixbuf loader stop before it
       * allocates the pixel buffer (the same trick gdk_pixbuf_get_file_info
       * uses to read only the header). */
      gdk_pixbuf_loader_set_size (loader, 0, 0);
    }
}

static void
on_area_updated (GdkPixbufLoader *loader, int x, int y, int width, int height,
                 gpointer user_data)
{
  LoadState *state = user_data;

  if (state->height <= 0)
    return;
  if (state->rows_done == NULL)
    state->rows_done = g_malloc0 ((gsize) state->height / 8 + 1);
  for (int r = MAX (y, 0); r < MIN (y + height, state->height); r++)
    state->rows_done[r / 8] |= (guint8) (1u << (r % 8));
}

static gboolean
all_rows_done (const LoadState *state)
{
  if (state->rows_done == NULL)
    return FALSE;
  for (int r = 0; r < state->height; r++)
    if (!(state->rows_done[r / 8] & (1u << (r % 8))))
      return FALSE;
  return TRUE;
}

/* libjpeg treats a missing end as a warning and paints the rest gray, and
 * gdk-pixbuf passes that on as success. So walk the JPEG's markers: the
 * segments before and between scans carry their length, entropy-coded data
 * ends at the first 0xFF not followed by 0x00 or a restart marker. A complete
 * file reaches EOI (0xFFD9); data after it (as some cameras append) is fine. */
static gboolean
jpeg_is_complete (const guint8 *d, gsize n)
{
  gsize i = 2;

  if (n < 4 || d[0] != 0xFF || d[1] != 0xD8)
    return FALSE;

  while (i + 1 < n)
    {
      guint8 marker;

      if (d[i] != 0xFF)
        return FALSE;
      marker = d[i + 1];
      if (marker == 0xFF)          /* fill byte */
        {
          i++;
          continue;
        }
      if (marker == 0xD9)          /* EOI */
        return TRUE;
      if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7))
        {
          i += 2;
          continue;
        }
      if (i + 3 >= n)
        return FALSE;
      i += 2 + ((gsize) d[i + 2] << 8 | d[i + 3]);
      if (marker == 0xDA)          /* SOS: skip the entropy-coded data */
        {
          while (i + 1 < n
                 && !(d[i] == 0xFF && d[i + 1] != 0x00
                      && !(d[i + 1] >= 0xD0 && d[i + 1] <= 0xD7)))
            i++;
        }
    }
  return FALSE;
}

/* A WebP file is one RIFF chunk whose header gives its length. */
static gboolean
webp_is_complete (const guint8 *d, gsize n)
{
  guint32 riff_len;

  if (n < 12 || memcmp (d, "RIFF", 4) != 0)
    return FALSE;
  riff_len = (guint32) d[4] | (guint32) d[5] << 8 | (guint32) d[6] << 16 | (guint32) d[7] << 24;
  return (guint64) riff_len + 8 <= n;
}

/* gdk-pixbuf's BMP loader grows its buffer to the sizes the file's headers
 * claim, before anything else: a 241-byte file claiming a 4 GB info header,
 * or pixel data 4 GB in, makes it ask for 4 GB (found by fuzzing). The
 * largest info header there is, BITMAPV5HEADER, is 124 bytes, and the pixel
 * data of a whole file starts inside it: anything else is damage. */
/* biClrUsed of a BITMAPINFOHEADER or later (bytes 46-49 of the file). */
static guint32
bmp_colours_used (const guint8 *d)
{
  return (guint32) d[46] | (guint32) d[47] << 8 | (guint32) d[48] << 16 | (guint32) d[49] << 24;
}

static gboolean
bmp_header_is_sane (const guint8 *d, gsize n, char **problem)
{
  guint32 data_offset, header_size;

  if (n < 18 || d[0] != 'B' || d[1] != 'M')
    return TRUE;
  data_offset = (guint32) d[10] | (guint32) d[11] << 8 | (guint32) d[12] << 16
                | (guint32) d[13] << 24;
  header_size = (guint32) d[14] | (guint32) d[15] << 8 | (guint32) d[16] << 16
                | (guint32) d[17] << 24;
  if (header_size > 124)
    *problem = g_strdup_printf ("its info header claims %" G_GUINT32_FORMAT " bytes",
                                header_size);
  else if (data_offset > n)
    *problem = g_strdup_printf ("its pixels would start at byte %" G_GUINT32_FORMAT
                                " of a %" G_GSIZE_FORMAT "-byte file", data_offset, n);
  else if (header_size >= 40 && n >= 50 && bmp_colours_used (d) > 256)
    /* the loader sizes its palette as colours x 4 in 32 bits: 0xFFFFFFFF
     * colours asked realloc for 4,294,967,292 bytes (found by the CI fuzz
     * smoke); no BMP palette has more than 256 entries */
    *problem = g_strdup_printf ("its palette claims %" G_GUINT32_FORMAT " colours",
                                bmp_colours_used (d));
  else
    return TRUE;
  return FALSE;
}

/* Some loaders accept a file that ends early and return an image partly
 * unpainted. Catch that for the formats where it can be told for sure. */
static gboolean
image_is_complete (GdkPixbufLoader *loader, const LoadState *state,
                   const guint8 *data, gsize length)
{
  GdkPixbufFormat *format = gdk_pixbuf_loader_get_format (loader);
  g_autofree char *name = format ? gdk_pixbuf_format_get_name (format) : g_strdup ("");

  if (g_str_equal (name, "jpeg"))
    return jpeg_is_complete (data, length);
  if (g_str_equal (name, "webp"))
    return webp_is_complete (data, length);
  /* PNG and BMP decode row by row: every row must have been decoded. */
  if (g_str_equal (name, "png") || g_str_equal (name, "bmp"))
    return all_rows_done (state);
  return TRUE;
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
  McamImage *img;
  guint8 *rgb;

  /* A big image within the limit can still exceed the memory at hand:
   * report that instead of aborting in g_malloc. */
  rgb = g_try_malloc_n ((gsize) width * (gsize) height, 3);
  if (rgb == NULL)
    return NULL;
  img = g_new0 (McamImage, 1);
  img->width = width;
  img->height = height;
  img->rgb = rgb;

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

static gboolean
set_too_large_error (GError **error, const char *path, const LoadState *state)
{
  g_set_error (error, MCAM_ERROR, MCAM_ERROR_TOO_LARGE,
               "Image “%s” is too large: %d × %d pixels (%.1f megapixels), "
               "the limit is %.1f megapixels",
               path, state->width, state->height,
               (double) state->width * (double) state->height / 1e6,
               (double) state->max_pixels / 1e6);
  return FALSE;
}

GBytes *
mcam_image_read_file (const char *path, guint64 max_pixels, GError **error)
{
  guint64 max_bytes;

  g_return_val_if_fail (path != NULL, NULL);

  if (max_pixels == 0)
    max_pixels = MCAM_IMAGE_MAX_PIXELS_DEFAULT;
  max_bytes = MIN (max_pixels, G_MAXUINT64 / 16) * MAX_FILE_BYTES_PER_PIXEL
              + MAX_FILE_BYTES_EXTRA;
  /* Opened without blocking and checked before reading (a FIFO or a device
   * is refused at once), then read whole under the byte cap. */
  return mcam_file_read (path, (gsize) MIN (max_bytes, (guint64) G_MAXSIZE), "image", error);
}

McamImage *
mcam_image_load (const char *path, guint64 max_pixels, GError **error)
{
  g_autoptr(GBytes) contents = NULL;
  g_autoptr(GdkPixbufLoader) loader = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GdkPixbuf) oriented = NULL;
  LoadState state = { 0 };
  const guint8 *data;
  gsize length, offset = 0;
  GdkPixbuf *pixbuf;
  gboolean ok = TRUE;
  McamImage *img = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  state.max_pixels = max_pixels ? max_pixels : MCAM_IMAGE_MAX_PIXELS_DEFAULT;
  contents = mcam_image_read_file (path, state.max_pixels, error);
  if (contents == NULL)
    return NULL;
  data = g_bytes_get_data (contents, &length);
  if (length == 0)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_FORMAT,
                   "Cannot read image “%s”: the file is empty", path);
      return NULL;
    }

  {
    g_autofree char *problem = NULL;

    if (!bmp_header_is_sane (data, length, &problem))
      {
        g_set_error (error, MCAM_ERROR, MCAM_ERROR_FORMAT,
                     "Cannot decode image “%s”: the BMP header is damaged (%s)", path, problem);
        return NULL;
      }
  }

  loader = gdk_pixbuf_loader_new ();
  g_signal_connect (loader, "size-prepared", G_CALLBACK (on_size_prepared), &state);
  g_signal_connect (loader, "area-updated", G_CALLBACK (on_area_updated), &state);

  while (ok && !state.too_large && offset < length)
    {
      gsize n = MIN (length - offset, 64 * 1024);

      ok = gdk_pixbuf_loader_write (loader, data + offset, n, &local_error);
      offset += n;
    }

  if (ok && !state.too_large)
    ok = gdk_pixbuf_loader_close (loader, &local_error);
  else
    gdk_pixbuf_loader_close (loader, NULL);

  /* Some loaders (TIFF) only learn the size when the loader is closed. */
  if (state.too_large)
    {
      set_too_large_error (error, path, &state);
      goto out;
    }

  if (!ok)
    {
      int code = MCAM_ERROR_FORMAT;

      if (local_error != NULL
          && g_error_matches (local_error, GDK_PIXBUF_ERROR, GDK_PIXBUF_ERROR_UNKNOWN_TYPE))
        code = MCAM_ERROR_UNSUPPORTED;
      g_set_error (error, MCAM_ERROR, code,
                   "Cannot decode image “%s”: %s", path,
                   local_error ? local_error->message : "unknown error");
      goto out;
    }

  pixbuf = gdk_pixbuf_loader_get_pixbuf (loader);   /* borrowed */
  if (pixbuf == NULL || !image_is_complete (loader, &state, data, length))
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_FORMAT,
                   "Cannot decode image “%s”: the file is truncated or damaged", path);
      goto out;
    }

  if (gdk_pixbuf_get_bits_per_sample (pixbuf) != 8
      || gdk_pixbuf_get_colorspace (pixbuf) != GDK_COLORSPACE_RGB)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_UNSUPPORTED,
                   "Cannot decode image “%s”: unsupported pixel layout", path);
      goto out;
    }

  /* EXIF orientation (JPEG, TIFF): rotate/flip so the image stands as the
   * camera saw it. Returns a new reference, the same pixbuf when no tag. */
  oriented = gdk_pixbuf_apply_embedded_orientation (pixbuf);
  if (oriented == NULL)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_FAILED,
                   "Cannot apply the orientation of image “%s”: out of memory", path);
      goto out;
    }

  img = image_from_pixbuf (oriented);
  if (img == NULL)
    g_set_error (error, MCAM_ERROR, MCAM_ERROR_TOO_LARGE,
                 "Image “%s” (%d × %d pixels) does not fit in memory", path,
                 gdk_pixbuf_get_width (oriented), gdk_pixbuf_get_height (oriented));

out:
  g_free (state.rows_done);
  return img;
}
