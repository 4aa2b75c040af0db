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
/* The bytes of an image file, read as mcam_image_load () reads them (never
 * mapped; a FIFO, device or folder refused at once; at most 8 bytes a pixel
 * of max_pixels plus 64 MiB), for callers that decode it themselves (the
 * app's thumbnails). */
GBytes    *mcam_image_read_file (const char *path, guint64 max_pixels, GError **error);
McamImage *mcam_image_new       (int width, int height);            /* zero-filled */
McamImage *mcam_image_copy      (const McamImage *img);
/* A copy whose longer side is at most max_side (the image itself, copied,
 * when it is already that small); NULL if gdk-pixbuf cannot allocate it. For
 * display and thumbnails only: the network's input comes from
 * mcam_image_preprocess on the full image. */
McamImage *mcam_image_scale_to_fit (const McamImage *img, int max_side);
void       mcam_image_free      (McamImage *img);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (McamImage, mcam_image_free)

typedef enum
{
  MCAM_RESIZE_STRETCH,      /* resize to the input size */
  MCAM_RESIZE_CENTER_CROP,  /* resize the shorter side, crop the centre at the input size */
} McamResizeMode;

/* The resampling filter, each exactly as PIL computes it (torchvision's
 * Resize on a PIL image): bilinear and bicubic (a = -0.5) antialias when
 * shrinking; nearest picks the pixel under each output centre. */
typedef enum
{
  MCAM_INTERP_BILINEAR,
  MCAM_INTERP_BICUBIC,
  MCAM_INTERP_NEAREST,
} McamInterpolation;

/* New fields go at the end: code that fills this struct positionally keeps
 * the old meaning (0 = no separate resize size, bilinear). */
typedef struct
{
  int            width;     /* network input size */
  int            height;
  McamResizeMode resize;
  float          mean[3];   /* on pixel values scaled to [0,1] */
  float          std[3];
  /* center-crop: the shorter side after resizing, before the centre crop to
   * width x height (torchvision's Resize(resize_size) + CenterCrop); at
   * least MAX (width, height). 0: the image is scaled so that it just covers
   * the input (Resize(size) + CenterCrop(size) for a square input). */
  int            resize_size;
  McamInterpolation interpolation;
} McamPreprocess;

/* Memory: preprocessing streams the source rows, so that beside the image
 * itself it needs O(output + a few rows at output width) whatever the image's
 * size or aspect: for a 224 x 224 input, under 1 MB of int32 sums, one row
 * and the weight tables (at most 4 MB each, recomputed beyond). Images are
 * capped at MCAM_IMAGE_MAX_PIXELS_DEFAULT pixels (300 MB decoded) by
 * mcam_image_load before any pixel is allocated; a 1 x 30,000,000 image
 * classifies in ~250 MB peak RSS (docs/MODEL-FORMAT.md). */

/* Resize like torchvision's Resize on a PIL image (PIL's fixed-point
 * separable filters, antialiased when shrinking), crop, then scale to [0,1]
 * and normalise. Writes 3*H*W floats (CHW) into `out`. */
void mcam_image_preprocess_into (const McamImage *img, const McamPreprocess *pp, float *out);

/* The same, returning a new [1,3,H,W] tensor. */
McamTensor *mcam_image_preprocess (const McamImage *img, const McamPreprocess *pp);

/* The same up to the 8-bit pixels: the W*H*3 bytes (RGB, packed) the
 * network sees before ToTensor and Normalize (tests compare them with
 * PIL's bytes). */
void mcam_image_preprocess_pixels (const McamImage *img, const McamPreprocess *pp, guint8 *out);

/* For center-crop: the rectangle of the original image the network sees, so
 * that maps can be placed back on the original (x0,y0,w,h in source pixels;
 * the whole image for stretch). With resize_size, torchvision's
 * Resize(resize_size) + CenterCrop(height, width); without, for a square
 * input, Resize(size) + CenterCrop(size), and for a non-square input the
 * image is scaled so that it just covers the input, then centre-cropped. */
void mcam_image_preprocess_source_rect (const McamImage *img, const McamPreprocess *pp,
                                        double *x0, double *y0, double *w, double *h);

G_END_DECLS
