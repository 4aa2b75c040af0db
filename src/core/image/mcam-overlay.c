/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Overlays: an image with a colour-mapped class activation map blended on it,
 * as a Cairo surface, and PNG export that never leaves a partial file. */

#include "config.h"

#include <math.h>
#include <string.h>

#include "mcam/mcam-error.h"
#include "mcam/mcam-map.h"
#include "mcam/mcam-safetensors.h"

/* Writes opaque RGB into a CAIRO_FORMAT_RGB24 pixel (native-endian
 * 0x00RRGGBB in a 32-bit word). */
static inline void
put_rgb24 (guint8 *row, int x, guint8 r, guint8 g, guint8 b)
{
  guint32 px = 0xff000000u | ((guint32) r << 16) | ((guint32) g << 8) | b;
  memcpy (row + (gsize) x * 4, &px, 4);
}

extern const guint8 _mcam_colormap_data[MCAM_N_COLORMAPS][256][3];

/* mcam_colormap_lookup() without the per-call checks, for the pixel loop:
 * nearest of the 256 entries, clamped, NaN as 0. */
#define colormap_lookup_fast(table, v, c)                                 \
  do {                                                                   \
    float v_ = (v);                                                      \
    int i_ = !(v_ > 0.0f) ? 0 : v_ >= 1.0f ? 255 : (int) (v_ * 255.0f + 0.5f); \
    (c) = (table)[i_];                                                   \
  } while (0)

/* An RGB24 surface of the image's size, flushed and ready for the pixel
 * loop (*data, *stride); the caller marks it dirty. On failure Cairo returns
 * an error surface, never NULL: then *data is NULL and the caller returns the
 * surface as it is (its callers check cairo_surface_status()). */
static cairo_surface_t *
begin_rgb24 (const McamImage *img, guint8 **data, int *stride)
{
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24,
                                                         img->width, img->height);

  *data = NULL;
  *stride = 0;
  if (cairo_surface_status (surface) != CAIRO_STATUS_SUCCESS)
    return surface;
  cairo_surface_flush (surface);
  *data = cairo_image_surface_get_data (surface);
  *stride = cairo_image_surface_get_stride (surface);
  return surface;
}

cairo_surface_t *
mcam_image_to_surface (const McamImage *img)
{
  cairo_surface_t *surface;
  guint8 *data;
  int stride;

  g_return_val_if_fail (img != NULL, NULL);

  surface = begin_rgb24 (img, &data, &stride);
  if (data == NULL)
    return surface;
  for (int y = 0; y < img->height; y++)
    {
      const guint8 *src = img->rgb + (gsize) y * img->width * 3;
      guint8 *row = data + (gsize) y * stride;

      for (int x = 0; x < img->width; x++, src += 3)
        put_rgb24 (row, x, src[0], src[1], src[2]);
    }
  cairo_surface_mark_dirty (surface);
  return surface;
}

cairo_surface_t *
mcam_overlay_render (const McamImage *img, const float *map,
                     McamColormap cm, double opacity)
{
  cairo_surface_t *surface;
  guint8 *data;
  int stride;
  int alpha;
  const guint8 (*table)[3];

  g_return_val_if_fail (img != NULL && map != NULL, NULL);
  g_return_val_if_fail ((unsigned) cm < MCAM_N_COLORMAPS, NULL);

  /* Opacity in 1/65536 steps keeps the blend in integers, within 0.01 of
   * the exact value before rounding:
   * out = ((65536 − α)·image + α·colour + 32768) / 65536. */
  if (!(opacity > 0.0))
    opacity = 0.0;
  if (opacity > 1.0)
    opacity = 1.0;
  alpha = (int) lround (opacity * 65536.0);

  table = _mcam_colormap_data[cm];

  surface = begin_rgb24 (img, &data, &stride);
  if (data == NULL)
    return surface;
  for (int y = 0; y < img->height; y++)
    {
      const guint8 *src = img->rgb + (gsize) y * img->width * 3;
      const float *m = map + (gsize) y * img->width;
      guint8 *row = data + (gsize) y * stride;

      for (int x = 0; x < img->width; x++, src += 3)
        {
          const guint8 *c;
          guint8 out[3];

          colormap_lookup_fast (table, m[x], c);
          for (int k = 0; k < 3; k++)
            out[k] = (guint8) (((guint32) (65536 - alpha) * src[k] + (guint32) alpha * c[k] + 32768u) >> 16);
          put_rgb24 (row, x, out[0], out[1], out[2]);
        }
    }
  cairo_surface_mark_dirty (surface);
  return surface;
}

static cairo_status_t
append_to_array (void *closure, const unsigned char *data, unsigned int length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

gboolean
mcam_surface_write_png (cairo_surface_t *surface, const char *path, GError **error)
{
  g_autoptr(GByteArray) png = NULL;
  cairo_status_t status;

  g_return_val_if_fail (surface != NULL && path != NULL, FALSE);

  status = cairo_surface_status (surface);
  if (status == CAIRO_STATUS_INVALID_SIZE)
    {
      /* Cairo's image surfaces stop at 32767 pixels a side; its own message
       * ("invalid value (typically too big) for the size of the input") does
       * not say which limit. */
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_TOO_LARGE,
                   "Cannot write “%s”: the image is too large to draw "
                   "(at most 32767 pixels a side)", path);
      return FALSE;
    }
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_FAILED,
                   "Cannot write “%s”: the image could not be made (%s)",
                   path, cairo_status_to_string (status));
      return FALSE;
    }

  /* Encode in memory first: the file is then written in one atomic step
   * (temp file + rename), so a failure never leaves a partial PNG behind. */
  png = g_byte_array_new ();
  status = cairo_surface_write_to_png_stream (surface, append_to_array, png);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_FAILED,
                   "Cannot encode “%s” as PNG: %s", path, cairo_status_to_string (status));
      return FALSE;
    }

  return mcam_file_write_atomic (path, png->data, png->len, error);
}
