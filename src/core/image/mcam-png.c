/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Exported overlays that say what they show: the provenance as PNG text
 * chunks (written by gdk-pixbuf's "tEXt::key" save options: tEXt when the
 * value is Latin-1, else iTXt in UTF-8), and the layout a shared picture
 * needs (enlarged, colour bar, caption). */

#include "config.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <math.h>
#include <string.h>

#include "mcam/mcam-error.h"
#include "mcam/mcam-png.h"
#include "mcam/mcam-safetensors.h"   /* mcam_file_write_atomic */

void
mcam_provenance_init (McamProvenance *p)
{
  memset (p, 0, sizeof *p);
  p->class_index = -1;
  p->slot = -1;
  p->score = NAN;
}

static void
add (GPtrArray *keys, GPtrArray *values, const char *key, char *value /* transfer full */)
{
  if (value == NULL)
    return;
  g_ptr_array_add (keys, g_strdup (key));
  g_ptr_array_add (values, value);
}

char *
mcam_provenance_caption (const McamProvenance *p)
{
  GString *s = g_string_new (NULL);

  if (p->image != NULL)
    {
      g_autofree char *base = g_path_get_basename (p->image);

      g_string_append_printf (s, "%s · ", base);
    }
  g_string_append (s, mcam_method_get_label (p->method));
  if (p->class_name != NULL)
    g_string_append_printf (s, " · %s", p->class_name);
  if (p->slot >= 0)
    g_string_append_printf (s, " · slot %d (%s)", p->slot + 1,
                            p->slot_by_user ? "user's choice" : "Algorithm 1");
  if (isfinite (p->score))
    g_string_append_printf (s, " · score %.3f", p->score);
  return g_string_free (s, FALSE);
}

void
mcam_provenance_to_text (const McamProvenance *p, char ***keys_out, char ***values_out)
{
  g_autoptr(GPtrArray) keys = g_ptr_array_new ();
  g_autoptr(GPtrArray) values = g_ptr_array_new ();

  /* The PNG specification's own keywords first, for viewers that show them. */
  add (keys, values, "Software", g_strdup (p->software));
  add (keys, values, "Source", p->model ? g_path_get_basename (p->model) : NULL);
  add (keys, values, "Description", mcam_provenance_caption (p));
  add (keys, values, "mcam:image", g_strdup (p->image));
  add (keys, values, "mcam:model", g_strdup (p->model));
  add (keys, values, "mcam:model-fingerprint", g_strdup (p->fingerprint));
  add (keys, values, "mcam:memory", g_strdup (p->memory));
  add (keys, values, "mcam:method", g_strdup (mcam_method_get_name (p->method)));
  add (keys, values, "mcam:class", g_strdup (p->class_name));
  if (p->class_index >= 0)
    add (keys, values, "mcam:class-index", g_strdup_printf ("%d", p->class_index));
  if (p->slot >= 0)
    {
      /* Slots are 0-based here, as --slot takes them. */
      add (keys, values, "mcam:slot", g_strdup_printf ("%d", p->slot));
      add (keys, values, "mcam:slot-chosen-by",
           g_strdup (p->slot_by_user ? "user" : "algorithm-1"));
    }
  add (keys, values, "mcam:layer", g_strdup (p->layer));
  if (isfinite (p->score))
    add (keys, values, "mcam:score", g_strdup_printf ("%.6g", p->score));
  g_ptr_array_add (keys, NULL);
  g_ptr_array_add (values, NULL);
  *keys_out = (char **) g_ptr_array_free (g_steal_pointer (&keys), FALSE);
  *values_out = (char **) g_ptr_array_free (g_steal_pointer (&values), FALSE);
}

/* ---------------------------------------------------------------- layout */

#define BAR_WIDTH   16
#define BAR_MARGIN  12
#define BAR_LABELS  36
#define FONT_SIZE   14.0

void
mcam_export_layout_init (McamExportLayout *layout)
{
  memset (layout, 0, sizeof *layout);
  layout->colormap = MCAM_COLORMAP_TURBO;
}

/* The caption shortened with "…" to fit `width`. */
static char *
fit_text (cairo_t *cr, const char *text, double width)
{
  cairo_text_extents_t ext;
  g_autofree char *buf = g_strdup (text);
  glong n = g_utf8_strlen (text, -1);

  cairo_text_extents (cr, buf, &ext);
  while (ext.x_advance > width && n > 1)
    {
      g_autofree char *cut = NULL;

      n--;
      cut = g_utf8_substring (text, 0, n);
      g_free (buf);
      buf = g_strconcat (cut, "…", NULL);
      cairo_text_extents (cr, buf, &ext);
    }
  return g_steal_pointer (&buf);
}

cairo_surface_t *
mcam_export_decorate (cairo_surface_t *overlay, const McamExportLayout *layout)
{
  int w = cairo_image_surface_get_width (overlay);
  int h = cairo_image_surface_get_height (overlay);
  int factor = 1, pw, ph, out_w, out_h, caption_h;
  cairo_surface_t *out;
  cairo_t *cr;

  if (layout->min_width > 0 && w > 0)
    factor = MAX (1, (layout->min_width + w - 1) / w);
  pw = w * factor;
  ph = h * factor;
  caption_h = layout->caption != NULL ? (int) (FONT_SIZE * 2) : 0;
  out_w = pw + (layout->colorbar ? BAR_MARGIN + BAR_WIDTH + BAR_LABELS : 0);
  out_h = ph + caption_h;
  out = cairo_image_surface_create (CAIRO_FORMAT_RGB24, out_w, out_h);
  if (cairo_surface_status (out) != CAIRO_STATUS_SUCCESS)
    return out;
  cr = cairo_create (out);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);

  /* Whole factors, nearest pixel: every map cell stays a sharp block, the
   * colours are the overlay's own. */
  cairo_save (cr);
  cairo_scale (cr, factor, factor);
  cairo_set_source_surface (cr, overlay, 0, 0);
  cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_NEAREST);
  cairo_rectangle (cr, 0, 0, w, h);
  cairo_fill (cr);
  cairo_restore (cr);

  cairo_select_font_face (cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size (cr, FONT_SIZE * 0.85);
  if (layout->colorbar)
    {
      int x = pw + BAR_MARGIN;
      int top = 8, bottom = ph - 8;

      for (int y = top; y < bottom; y++)
        {
          guint8 rgb[3];

          mcam_colormap_lookup (layout->colormap,
                                1.0f - (float) (y - top) / (float) MAX (1, bottom - top - 1), rgb);
          cairo_set_source_rgb (cr, rgb[0] / 255.0, rgb[1] / 255.0, rgb[2] / 255.0);
          cairo_rectangle (cr, x, y, BAR_WIDTH, 1);
          cairo_fill (cr);
        }
      cairo_set_source_rgb (cr, 0, 0, 0);
      cairo_move_to (cr, x + BAR_WIDTH + 4, top + FONT_SIZE * 0.7);
      cairo_show_text (cr, "1.0");
      cairo_move_to (cr, x + BAR_WIDTH + 4, bottom);
      cairo_show_text (cr, "0.0");
    }
  if (layout->caption != NULL)
    {
      g_autofree char *shown = NULL;

      cairo_set_font_size (cr, FONT_SIZE);
      shown = fit_text (cr, layout->caption, out_w - 12);
      cairo_set_source_rgb (cr, 0, 0, 0);
      cairo_move_to (cr, 6, ph + FONT_SIZE * 1.4);
      cairo_show_text (cr, shown);
    }
  cairo_destroy (cr);
  cairo_surface_flush (out);
  return out;
}

/* ---------------------------------------------------------------- writing */

gboolean
mcam_png_write (cairo_surface_t *surface, const char *const *keys, const char *const *values,
                const char *path, GError **error)
{
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  g_autoptr(GError) local = NULL;
  g_autofree char *buffer = NULL;
  g_autoptr(GPtrArray) option_keys = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) option_values = g_ptr_array_new ();
  gsize size = 0;
  int w, h;

  g_return_val_if_fail (surface != NULL && path != NULL, FALSE);

  if (cairo_surface_status (surface) != CAIRO_STATUS_SUCCESS ||
      cairo_surface_get_type (surface) != CAIRO_SURFACE_TYPE_IMAGE)
    /* The same messages as for a plain overlay (too large, not made). */
    return mcam_surface_write_png (surface, path, error);

  cairo_surface_flush (surface);
  w = cairo_image_surface_get_width (surface);
  h = cairo_image_surface_get_height (surface);
  pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, w, h);
  if (pixbuf == NULL)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_TOO_LARGE,
                   "Cannot write “%s”: no memory for a %d×%d picture", path, w, h);
      return FALSE;
    }
  {
    const guint8 *src = cairo_image_surface_get_data (surface);
    int stride = cairo_image_surface_get_stride (surface);
    guint8 *dst = gdk_pixbuf_get_pixels (pixbuf);
    int dstride = gdk_pixbuf_get_rowstride (pixbuf);

    /* RGB24 is xRGB in native-endian 32-bit words. */
    for (int y = 0; y < h; y++)
      {
        const guint32 *row = (const guint32 *) (src + (gsize) y * stride);
        guint8 *d = dst + (gsize) y * dstride;

        for (int x = 0; x < w; x++)
          {
            d[3 * x] = (row[x] >> 16) & 0xff;
            d[3 * x + 1] = (row[x] >> 8) & 0xff;
            d[3 * x + 2] = row[x] & 0xff;
          }
      }
  }

  for (guint i = 0; keys != NULL && values != NULL && keys[i] != NULL; i++)
    {
      g_ptr_array_add (option_keys, g_strconcat ("tEXt::", keys[i], NULL));
      g_ptr_array_add (option_values, (gpointer) values[i]);
    }
  g_ptr_array_add (option_keys, NULL);
  g_ptr_array_add (option_values, NULL);
  if (!gdk_pixbuf_save_to_bufferv (pixbuf, &buffer, &size, "png",
                                   (char **) option_keys->pdata,
                                   (char **) option_values->pdata, &local))
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_FAILED, "Cannot encode “%s” as PNG: %s", path,
                   local->message);
      return FALSE;
    }
  return mcam_file_write_atomic (path, buffer, size, error);
}
