/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* One class of the model in the class list, with its two scores on the
 * image shown. */
#define MCAM_TYPE_CLASS_ITEM (mcam_class_item_get_type ())
G_DECLARE_FINAL_TYPE (McamClassItem, mcam_class_item, MCAM, CLASS_ITEM, GObject)

McamClassItem *mcam_class_item_new             (int index, const char *name);
int            mcam_class_item_get_index       (McamClassItem *self);
const char    *mcam_class_item_get_name        (McamClassItem *self);
/* The score as given (for sorting); < 0: unknown. */
double         mcam_class_item_get_score       (McamClassItem *self);
/* What a row shows: the target network's score (memory = FALSE) or the
 * memory classifier's, quantised to thousandths (-1: unknown), and as text
 * ("0.91", or "–" when unknown). */
double         mcam_class_item_get_shown_score (McamClassItem *self, gboolean memory);
const char    *mcam_class_item_get_score_text  (McamClassItem *self, gboolean memory);
gboolean       mcam_class_item_get_ground_truth (McamClassItem *self);
/* score, memory_score < 0: unknown (no image yet / no memory module).
 * Emits "changed" when what a row shows changes, and only if a row watches. */
void           mcam_class_item_update          (McamClassItem *self, double score,
                                                double memory_score, gboolean ground_truth);
/* The re-fit head's score (issue 12), quantised like the others; < 0:
 * unknown ("–") or no head loaded (without one the row leaves its column
 * out, so it does not come and go with each image while a head is loaded). */
double         mcam_class_item_get_head_score  (McamClassItem *self);
const char    *mcam_class_item_get_head_text   (McamClassItem *self);
gboolean       mcam_class_item_has_head        (McamClassItem *self);
void           mcam_class_item_set_head_score  (McamClassItem *self, gboolean has_head,
                                                double head_score);

G_END_DECLS
