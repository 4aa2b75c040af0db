/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "mcam-class-item.h"

G_BEGIN_DECLS

/* One row of the class list, drawn by one widget: the ground-truth mark, the
 * class name, and the two scores as bars with their values. GtkListView
 * keeps ~200 rows bound; built from a template of labels and boxes they cost
 * ~0.5 ms each to create and lay out, so a 1000-class model's first image
 * stalled the window (docs/BENCHMARKS.md). */
#define MCAM_TYPE_CLASS_ROW (mcam_class_row_get_type ())
G_DECLARE_FINAL_TYPE (McamClassRow, mcam_class_row, MCAM, CLASS_ROW, GtkWidget)

/* Where a row's parts are drawn, for tests and tooltips (widget coordinates). */
typedef enum
{
  MCAM_CLASS_ROW_NOWHERE,
  MCAM_CLASS_ROW_MARK,
  MCAM_CLASS_ROW_NAME,
  MCAM_CLASS_ROW_SCORE,
  MCAM_CLASS_ROW_MEMORY_SCORE,
  MCAM_CLASS_ROW_HEAD_SCORE,    /* the re-fit head's, when one is loaded */
} McamClassRowPart;

GtkWidget        *mcam_class_row_new          (void);
/* The item shown (NULL: none); the row follows its changes. */
void              mcam_class_row_set_item     (McamClassRow *self, McamClassItem *item);
McamClassItem    *mcam_class_row_get_item     (McamClassRow *self);
McamClassRowPart  mcam_class_row_get_part_at  (McamClassRow *self, double x, double y);
/* The rectangle of a score bar's full extent (score or memory score). */
gboolean          mcam_class_row_get_bar_rect (McamClassRow *self, gboolean memory,
                                               graphene_rect_t *rect);
/* The texts shown, for tests: "0.91" or "–". */
const char       *mcam_class_row_get_score_text (McamClassRow *self, gboolean memory);
/* The re-fit head's column (left of the target network's, shown while the
 * item has a head score): its text and bar; FALSE when not shown. */
const char       *mcam_class_row_get_head_text (McamClassRow *self);
gboolean          mcam_class_row_get_head_bar_rect (McamClassRow *self, graphene_rect_t *rect);

G_END_DECLS
