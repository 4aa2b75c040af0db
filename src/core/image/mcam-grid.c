/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A grid of overlays, each with a one-line label, composed onto one surface:
 * the app's compare mode exports it, and the CLI can reuse it. Pure Cairo
 * (its toy text API): the core stays free of GTK and Pango. */

#include "config.h"

#include <math.h>
#include <string.h>

#include "mcam/mcam-error.h"
#include "mcam/mcam-map.h"

/* Large enough to read beside a 160-320 px tile, small enough for "EigenGrad-CAM". */
#define LABEL_FONT_SIZE 13.0
/* Cairo image surfaces are limited to 32767 pixels a side. */
#define MAX_SIDE 32767

static int
columns_for (int n_tiles, int columns)
{
  if (columns > 0)
    return columns;
  return MAX (1, (int) ceil (sqrt ((double) MAX (n_tiles, 1))));
}

void
mcam_grid_get_layout (int n_tiles, int columns, int tile_width, int tile_height,
                      gboolean with_title, int *columns_out, int *width_out, int *height_out)
{
  int cols = columns_for (n_tiles, columns);
  int rows = n_tiles > 0 ? (n_tiles + cols - 1) / cols : 0;
  int title = with_title ? MCAM_GRID_LABEL_HEIGHT : 0;
  /* 64-bit so that absurd sizes are seen as such, not wrapped. */
  gint64 w = (gint64) cols * (tile_width + MCAM_GRID_GAP) + MCAM_GRID_GAP;
  gint64 h = title + (gint64) rows * (tile_height + MCAM_GRID_LABEL_HEIGHT + MCAM_GRID_GAP)
             + MCAM_GRID_GAP;

  if (columns_out != NULL)
    *columns_out = cols;
  if (width_out != NULL)
    *width_out = (int) MIN (w, G_MAXINT);
  if (height_out != NULL)
    *height_out = (int) MIN (h, G_MAXINT);
}

void
mcam_grid_get_tile_origin (int index, int columns, int tile_width, int tile_height,
                           gboolean with_title, int *x_out, int *y_out)
{
  int cols = MAX (columns, 1);
  int title = with_title ? MCAM_GRID_LABEL_HEIGHT : 0;

  if (x_out != NULL)
    *x_out = MCAM_GRID_GAP + (index % cols) * (tile_width + MCAM_GRID_GAP);
  if (y_out != NULL)
    *y_out = title + MCAM_GRID_GAP
             + (index / cols) * (tile_height + MCAM_GRID_LABEL_HEIGHT + MCAM_GRID_GAP);
}

/* The longest prefix of `text` (whole UTF-8 characters) that, with "…", fits
 * in max_width; the text itself when it fits. */
static char *
fit_text (cairo_t *cr, const char *text, double max_width)
{
  cairo_text_extents_t ext;
  g_autofree char *buf = NULL;
  const char *end;

  cairo_text_extents (cr, text, &ext);
  if (ext.x_advance <= max_width)
    return g_strdup (text);

  end = text + strlen (text);
  while (end > text)
    {
      end = g_utf8_find_prev_char (text, end);
      if (end == NULL)
        break;
      g_free (buf);
      buf = g_strdup_printf ("%.*s…", (int) (end - text), text);
      cairo_text_extents (cr, buf, &ext);
      if (ext.x_advance <= max_width)
        return g_steal_pointer (&buf);
    }
  return g_strdup ("…");
}

/* One line of text centred in the band [x, x + width) x [y, y + height). */
static void
draw_label (cairo_t *cr, const char *text, double x, double y, double width, double height)
{
  cairo_font_extents_t fext;
  cairo_text_extents_t ext;
  g_autofree char *shown = NULL;

  if (text == NULL || *text == '\0' || !g_utf8_validate (text, -1, NULL))
    return;
  shown = fit_text (cr, text, width - 4);
  cairo_font_extents (cr, &fext);
  cairo_text_extents (cr, shown, &ext);
  cairo_move_to (cr, x + (width - ext.x_advance) / 2,
                 y + (height - (fext.ascent + fext.descent)) / 2 + fext.ascent);
  cairo_show_text (cr, shown);
}

/* The tile's surface scaled to fit the box, aspect kept, centred. */
static void
draw_tile (cairo_t *cr, cairo_surface_t *surface, double x, double y, double box_w,
           double box_h)
{
  int sw, sh;
  double scale;

  if (surface == NULL || cairo_surface_status (surface) != CAIRO_STATUS_SUCCESS ||
      cairo_surface_get_type (surface) != CAIRO_SURFACE_TYPE_IMAGE)
    return;
  sw = cairo_image_surface_get_width (surface);
  sh = cairo_image_surface_get_height (surface);
  if (sw <= 0 || sh <= 0)
    return;
  scale = MIN (box_w / sw, box_h / sh);

  cairo_save (cr);
  cairo_translate (cr, x + (box_w - sw * scale) / 2, y + (box_h - sh * scale) / 2);
  cairo_scale (cr, scale, scale);
  /* Only the image's own rectangle: padding the edges keeps them from
   * fading into the white around them when scaled. */
  cairo_rectangle (cr, 0, 0, sw, sh);
  cairo_clip (cr);
  cairo_set_source_surface (cr, surface, 0, 0);
  cairo_pattern_set_extend (cairo_get_source (cr), CAIRO_EXTEND_PAD);
  /* A tile of the exact size is copied pixel for pixel. */
  cairo_pattern_set_filter (cairo_get_source (cr),
                            scale == 1.0 ? CAIRO_FILTER_NEAREST : CAIRO_FILTER_GOOD);
  cairo_paint (cr);
  cairo_restore (cr);
}

cairo_surface_t *
mcam_grid_compose (const McamGridTile *tiles, int n_tiles, int columns, int tile_width,
                   int tile_height, const char *title, GError **error)
{
  gboolean with_title = title != NULL && *title != '\0';
  cairo_surface_t *surface;
  cairo_t *cr;
  int cols, width, height;

  g_return_val_if_fail (n_tiles == 0 || tiles != NULL, NULL);

  if (n_tiles <= 0 || tile_width <= 0 || tile_height <= 0)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE,
                   "A grid needs at least one tile of a positive size (got %d tiles of "
                     "%d x %d)", n_tiles, tile_width, tile_height);
      return NULL;
    }
  if (tile_width > MAX_SIDE || tile_height > MAX_SIDE)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE,
                   "A grid tile of %d x %d pixels is too large", tile_width, tile_height);
      return NULL;
    }
  mcam_grid_get_layout (n_tiles, columns, tile_width, tile_height, with_title, &cols, &width,
                        &height);
  if (width > MAX_SIDE || height > MAX_SIDE)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE,
                   "A grid of %d tiles of %d x %d pixels would be %d x %d pixels, over "
                     "the limit of %d a side", n_tiles, tile_width, tile_height, width,
                   height, MAX_SIDE);
      return NULL;
    }

  surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, width, height);
  if (cairo_surface_status (surface) != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_FAILED,
                   "Cannot make a %d x %d grid image: %s", width, height,
                   cairo_status_to_string (cairo_surface_status (surface)));
      cairo_surface_destroy (surface);
      return NULL;
    }

  cr = cairo_create (surface);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);

  cairo_select_font_face (cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size (cr, LABEL_FONT_SIZE);

  if (with_title)
    {
      cairo_set_source_rgb (cr, 0.1, 0.1, 0.1);
      cairo_select_font_face (cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                              CAIRO_FONT_WEIGHT_BOLD);
      draw_label (cr, title, 0, MCAM_GRID_GAP / 2.0, width, MCAM_GRID_LABEL_HEIGHT);
      cairo_select_font_face (cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                              CAIRO_FONT_WEIGHT_NORMAL);
    }

  for (int i = 0; i < n_tiles; i++)
    {
      int x, y;

      mcam_grid_get_tile_origin (i, cols, tile_width, tile_height, with_title, &x, &y);
      draw_tile (cr, tiles[i].surface, x, y, tile_width, tile_height);
      cairo_set_source_rgb (cr, 0.1, 0.1, 0.1);
      draw_label (cr, tiles[i].label, x, y + tile_height, tile_width,
                  MCAM_GRID_LABEL_HEIGHT);
    }

  cairo_destroy (cr);
  cairo_surface_flush (surface);
  return surface;
}
