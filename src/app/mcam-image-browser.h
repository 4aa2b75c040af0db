/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "mcam-image-item.h"

G_BEGIN_DECLS

/* The left pane: the opened images with thumbnails (made in the background),
 * names and ground-truth labels. Signals:
 *   image-selected (McamImageItem *item)     the user picked an image (NULL: none left)
 *   error (const char *title, const char *message)   something could not be read */
#define MCAM_TYPE_IMAGE_BROWSER (mcam_image_browser_get_type ())
G_DECLARE_FINAL_TYPE (McamImageBrowser, mcam_image_browser, MCAM, IMAGE_BROWSER, GtkBox)

GtkWidget     *mcam_image_browser_new           (void);
/* Files are added as they are; folders are listed (images only, sorted).
 * The first new image is selected once listed. */
void           mcam_image_browser_add_files     (McamImageBrowser *self, GFile **files,
                                                 int n_files);
/* The model's classes: ground truth is read (again) against them. */
void           mcam_image_browser_set_classes   (McamImageBrowser *self,
                                                 const char *const *classes, int n_classes);
McamImageItem *mcam_image_browser_get_selected  (McamImageBrowser *self);
GListModel    *mcam_image_browser_get_items     (McamImageBrowser *self);
gboolean       mcam_image_browser_select_next   (McamImageBrowser *self, int step);
/* Selects the image, adding it first when it is not in the list yet. */
void           mcam_image_browser_select_path   (McamImageBrowser *self, const char *path);
gboolean       mcam_image_browser_is_image_file (const char *name);
/* Empty the list; image-selected (NULL) follows. */
void           mcam_image_browser_clear         (McamImageBrowser *self);
/* Remove the selected image from the list (not the file); the next one is
 * selected, or image-selected (NULL) when none is left. */
gboolean       mcam_image_browser_remove_selected (McamImageBrowser *self);

G_END_DECLS
