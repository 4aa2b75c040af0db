/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <cairo.h>
#include "mcam-image.h"

G_BEGIN_DECLS

/* Maps: a class activation map is a float grid, h x w at feature resolution,
 * then upsampled to the image and normalised to [0,1]. Rendering (colormaps,
 * overlays, PNG) lives here too: the CLI, the app and exports share it. */

/* Bilinear, align_corners = false (PyTorch's F.interpolate default). */
void  mcam_map_upsample  (const float *src, int sh, int sw, float *dst, int dh, int dw);
/* Min-max to [0,1] in place; a constant map becomes all zeros. */
void  mcam_map_normalize (float *map, gsize n);
/* ReLU in place; returns TRUE when any value was positive. */
gboolean mcam_map_relu   (float *map, gsize n);
/* Upsample a feature-resolution map onto an image's own pixels (taking a
 * centre crop into account) and normalise: returns img->width*img->height floats
 * (g_free). With a centre crop, pixels outside the rectangle the network saw
 * are 0 and the normalisation is over the rectangle only. pp NULL: stretch. */
float *mcam_map_to_image (const float *map, int h, int w, const McamImage *img,
                          const McamPreprocess *pp);
/* The same onto a W x H copy of the image (the app's display copy of a large
 * photo): the crop rectangle is img's, scaled by W / img->width and
 * H / img->height. W x H = img's size gives mcam_map_to_image's result. */
float *mcam_map_to_size  (const float *map, int h, int w, const McamImage *img,
                          const McamPreprocess *pp, int W, int H);

typedef enum
{
  MCAM_COLORMAP_TURBO,
  MCAM_COLORMAP_JET,
  MCAM_COLORMAP_VIRIDIS,
  MCAM_COLORMAP_INFERNO,
  MCAM_N_COLORMAPS
} McamColormap;

const char *mcam_colormap_get_name (McamColormap cm);           /* "turbo" */
gboolean    mcam_colormap_from_name (const char *name, McamColormap *out);
/* value in [0,1] -> rgb bytes */
void        mcam_colormap_lookup (McamColormap cm, float value, guint8 rgb[3]);

/* The image with the map (same size as the image, in [0,1]) blended on it:
 * out = (1 - opacity) * image + opacity * colormap(map), rounded. A
 * CAIRO_FORMAT_RGB24 surface (cairo_surface_destroy); on failure an error
 * surface (check cairo_surface_status), which mcam_surface_write_png refuses. */
cairo_surface_t *mcam_overlay_render (const McamImage *img, const float *map,
                                      McamColormap cm, double opacity);
cairo_surface_t *mcam_image_to_surface (const McamImage *img);

/* Write a surface as PNG atomically (temp file + rename); fails cleanly on a
 * full disk or unwritable folder, leaving any earlier file whole. */
gboolean mcam_surface_write_png (cairo_surface_t *surface, const char *path, GError **error);

/* A grid of overlays with a label under each (the app's compare mode, and
 * anything else that puts maps side by side). Each tile's surface is scaled
 * to fit tile_width x tile_height (aspect kept, centred on white); the label
 * is one line under it, shortened with "…" when too wide. An optional title
 * line goes above the grid. Layout, in pixels, with g = MCAM_GRID_GAP and
 * l = MCAM_GRID_LABEL_HEIGHT (t = l with a title, else 0):
 *   width  = columns * (tile_width + g) + g
 *   height = t + rows * (tile_height + l + g) + g,  rows = ceil(n / columns)
 *   tile i: x = g + (i % columns) * (tile_width + g),
 *           y = t + g + (i / columns) * (tile_height + l + g)
 * columns <= 0 picks ceil(sqrt(n)). Returns a CAIRO_FORMAT_RGB24 surface, or
 * NULL with MCAM_ERROR_USAGE when the sizes make no grid (nothing to draw, or
 * more than 32767 pixels a side). */
#define MCAM_GRID_GAP          8
#define MCAM_GRID_LABEL_HEIGHT 22

typedef struct
{
  cairo_surface_t *surface;   /* borrowed; NULL: an empty tile */
  const char      *label;     /* UTF-8, nullable */
} McamGridTile;

void             mcam_grid_get_layout (int n_tiles, int columns, int tile_width,
                                       int tile_height, gboolean with_title,
                                       int *columns_out, int *width_out, int *height_out);
void             mcam_grid_get_tile_origin (int index, int columns, int tile_width,
                                            int tile_height, gboolean with_title,
                                            int *x_out, int *y_out);
cairo_surface_t *mcam_grid_compose (const McamGridTile *tiles, int n_tiles, int columns,
                                    int tile_width, int tile_height, const char *title,
                                    GError **error);

G_END_DECLS
