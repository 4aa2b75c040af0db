/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* One row of the class list: a class of the model with its two scores. */
#define MCAM_TYPE_CLASS_ITEM (mcam_class_item_get_type ())
G_DECLARE_FINAL_TYPE (McamClassItem, mcam_class_item, MCAM, CLASS_ITEM, GObject)

McamClassItem *mcam_class_item_new          (int index, const char *name);
int            mcam_class_item_get_index    (McamClassItem *self);
const char    *mcam_class_item_get_name     (McamClassItem *self);
double         mcam_class_item_get_score    (McamClassItem *self);
/* score, memory_score < 0: unknown (no image yet / no memory module).
 * Notifies only if something watches the item (a row bound to it). */
void           mcam_class_item_update       (McamClassItem *self, double score,
                                             double memory_score, gboolean ground_truth);

G_END_DECLS
