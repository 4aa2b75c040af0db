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

G_END_DECLS
