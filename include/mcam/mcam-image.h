/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <gio/gio.h>
#include "mcam-tensor.h"

G_BEGIN_DECLS

/* A decoded image: 8-bit RGB, packed (stride = 3 * width), EXIF orientation
 * applied, alpha flattened onto white, gray expanded to RGB. */
typedef struct
{
  int     width;
  int     height;
  guint8 *rgb;
} McamImage;

#define MCAM_IMAGE_MAX_PIXELS_DEFAULT (100u * 1000u * 1000u)

/* Decodes PNG, JPEG, BMP, TIFF, GIF (first frame), WebP and whatever else
 * gdk-pixbuf has a loader for. Reads the size from the header first and
 * refuses images with more than max_pixels pixels (0: the default) before
 * any pixel buffer is allocated (MCAM_ERROR_TOO_LARGE). Errors name the file:
 * MCAM_ERROR_IO (cannot open or read, not a regular file), MCAM_ERROR_FORMAT
 * (empty, truncated, damaged), MCAM_ERROR_UNSUPPORTED (unknown format). */
McamImage *mcam_image_load      (const char *path, guint64 max_pixels, GError **error);
McamImage *mcam_image_new       (int width, int height);            /* zero-filled */
McamImage *mcam_image_copy      (const McamImage *img);
void       mcam_image_free      (McamImage *img);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (McamImage, mcam_image_free)

typedef enum
{
  MCAM_RESIZE_STRETCH,      /* resize to the input size */
  MCAM_RESIZE_CENTER_CROP,  /* resize the shorter side to the input size, crop the centre */
} McamResizeMode;

typedef struct
{
  int            width;     /* network input size */
  int            height;
  McamResizeMode resize;
  float          mean[3];   /* on pixel values scaled to [0,1] */
  float          std[3];
} McamPreprocess;

/* Resize like torchvision's Resize on a PIL image (bilinear with antialiasing:
 * PIL's triangle filter scaled by the downscale factor), then scale to [0,1]
 * and normalise. Writes 3*H*W floats (CHW) into `out`. */
void mcam_image_preprocess_into (const McamImage *img, const McamPreprocess *pp, float *out);

/* The same, returning a new [1,3,H,W] tensor. */
McamTensor *mcam_image_preprocess (const McamImage *img, const McamPreprocess *pp);

/* For center-crop: the rectangle of the original image the network sees, so
 * that maps can be placed back on the original (x0,y0,w,h in source pixels;
 * the whole image for stretch). For a square input, centre crop is exactly
 * torchvision's Resize(size) + CenterCrop(size); for a non-square input the
 * image is scaled so that it just covers the input, then centre-cropped. */
void mcam_image_preprocess_source_rect (const McamImage *img, const McamPreprocess *pp,
                                        double *x0, double *y0, double *w, double *h);

G_END_DECLS
