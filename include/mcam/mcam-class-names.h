/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include "mcam-net.h"

G_BEGIN_DECLS

/* Class names from a text file, for models whose file has no mcam.classes
 * (most ONNX exports): one name a line, in the order of the network's
 * outputs, UTF-8. A trailing "\r" and blank lines at the end are dropped;
 * a blank line before the last name, or a name given twice, is an error
 * naming the file and the line (either would put names on the wrong rows). */
char   **mcam_class_names_load   (const char *path, GError **error);

/* "classes.txt" in the model file's folder when there is one, else NULL. */
char    *mcam_class_names_beside (const char *model_path);

/* Gives the net the names of `classes_path`, or, when it is NULL, those of a
 * classes.txt beside the model (none there: nothing changes, TRUE). The count
 * must equal the model's outputs. The names then count as read, not assumed
 * (McamNetInfo.meta_assumed). *used_path (may be NULL) receives the file
 * whose names were taken, or NULL. */
gboolean mcam_class_names_apply  (McamNet *net, const char *classes_path, char **used_path,
                                  GError **error);

G_END_DECLS
