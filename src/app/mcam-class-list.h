/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "mcam/mcam.h"

G_BEGIN_DECLS

/* The right pane: the method selector and every class of the model with the
 * target network's and the memory classifier's scores as bars, the
 * ground-truth mark, sorted by the target network's score. Signals:
 *   class-selected (int class_index)
 *   method-changed (int McamMethod) */
#define MCAM_TYPE_CLASS_LIST (mcam_class_list_get_type ())
G_DECLARE_FINAL_TYPE (McamClassList, mcam_class_list, MCAM, CLASS_LIST, GtkBox)

GtkWidget *mcam_class_list_new            (void);
void       mcam_class_list_set_classes    (McamClassList *self, const char *const *classes,
                                           int n_classes);
/* memory_scores and labels (ground truth, 0/1) may be NULL. */
void       mcam_class_list_set_scores     (McamClassList *self, const float *scores,
                                           const float *memory_scores, const float *labels);
/* The re-fit head's scores [C] on the image shown (issue 12), a third
 * column while has_head; head_scores NULL: not known yet ("–"). */
void       mcam_class_list_set_head_scores (McamClassList *self, gboolean has_head,
                                            const float *head_scores);
/* The re-fit head's score shown for a class (thousandths); < 0: none. */
double     mcam_class_list_get_head_score  (McamClassList *self, int class_index);
void       mcam_class_list_select_class   (McamClassList *self, int class_index);
int        mcam_class_list_get_selected_class (McamClassList *self);  /* -1: none */
/* The class at rank k (1 = highest score) of the sorted list, -1 if none. */
int        mcam_class_list_get_class_at_rank (McamClassList *self, guint rank);
McamMethod mcam_class_list_get_method     (McamClassList *self);
/* The target network's score the list shows for a class; < 0: none. */
double     mcam_class_list_get_score      (McamClassList *self, int class_index);
void       mcam_class_list_set_method     (McamClassList *self, McamMethod method);

G_END_DECLS
