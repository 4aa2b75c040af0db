/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "mcam/mcam-dataset.h"

G_BEGIN_DECLS

/* One image of the browser: its file, thumbnail and ground truth (from a
 * labels.csv / boxes.csv beside it, when there is one). */
#define MCAM_TYPE_IMAGE_ITEM (mcam_image_item_get_type ())
G_DECLARE_FINAL_TYPE (McamImageItem, mcam_image_item, MCAM, IMAGE_ITEM, GObject)

McamImageItem *mcam_image_item_new            (GFile *file);
GFile         *mcam_image_item_get_file       (McamImageItem *self);
const char    *mcam_image_item_get_path       (McamImageItem *self);
const char    *mcam_image_item_get_name       (McamImageItem *self);
void           mcam_image_item_set_thumbnail  (McamImageItem *self, GdkPaintable *thumbnail);

/* Ground truth in the model's class order: n_classes flags and the boxes.
 * class_names names the labels for the row ("Sneaker · Ankle boot"). */
void           mcam_image_item_set_ground_truth (McamImageItem *self, const float *labels,
                                                 int n_classes, const McamBox *boxes,
                                                 int n_boxes, const char *const *class_names);
void           mcam_image_item_clear_ground_truth (McamImageItem *self);
gboolean       mcam_image_item_has_ground_truth (McamImageItem *self);
/* NULL when unknown; else n_classes floats (0 or 1). */
const float   *mcam_image_item_get_labels     (McamImageItem *self, int *n_classes);
const McamBox *mcam_image_item_get_boxes      (McamImageItem *self, int *n_boxes);
/* Why the image could not be analysed (NULL: it could, or was not tried);
 * properties "error" and "failed" follow it. */
void           mcam_image_item_set_error      (McamImageItem *self, const char *error);
const char    *mcam_image_item_get_error      (McamImageItem *self);

G_END_DECLS
