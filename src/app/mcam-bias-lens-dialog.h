/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>
#include "mcam-head-lens.h"
#include "mcam-worker.h"

G_BEGIN_DECLS

/* The bias lens (DESIGN 5, issue 5 item 5b): for a folder with labels.csv
 * and boxes.csv, where each class's map peaks — on its own object, on
 * another class's object (which one), on the background — as a class x
 * landing-place table. The maps are computed on the worker with progress
 * and Cancel; the tally is the core's (mcam_pointing_tally_add). Clicking a
 * cell lists its images; activating one emits "image-activated" (path) so
 * the window can open it. */
#define MCAM_TYPE_BIAS_LENS_DIALOG (mcam_bias_lens_dialog_get_type ())
G_DECLARE_FINAL_TYPE (McamBiasLensDialog, mcam_bias_lens_dialog, MCAM, BIAS_LENS_DIALOG,
                      GtkWindow)

/* The landing columns of the table (besides "another class's object"). */
typedef enum
{
  MCAM_BIAS_LENS_OWN,
  MCAM_BIAS_LENS_OTHER,
  MCAM_BIAS_LENS_BACKGROUND,
  MCAM_BIAS_LENS_NO_MAP,
  MCAM_BIAS_LENS_N_PLACES
} McamBiasLensPlace;

McamBiasLensDialog *mcam_bias_lens_dialog_new (GtkWindow *parent, McamWorker *worker);

void     mcam_bias_lens_dialog_set_folder (McamBiasLensDialog *self, const char *folder);
void     mcam_bias_lens_dialog_set_method (McamBiasLensDialog *self, McamMethod method);
/* The class of the cell whose images are listed and the method the table
 * was made with; FALSE when no cell is shown. */
gboolean mcam_bias_lens_dialog_get_shown_cell (McamBiasLensDialog *self, int *class_index,
                                               McamMethod *method);
/* As the Run button / the Cancel button. */
void     mcam_bias_lens_dialog_run        (McamBiasLensDialog *self);
void     mcam_bias_lens_dialog_cancel     (McamBiasLensDialog *self);
gboolean mcam_bias_lens_dialog_is_running (McamBiasLensDialog *self);
/* The status line (progress, the summary, "Cancelled.", or the error). */
const char *mcam_bias_lens_dialog_get_status (McamBiasLensDialog *self);
/* After a run: pairs of class c landing at `place` (-1 before any result). */
int      mcam_bias_lens_dialog_get_count  (McamBiasLensDialog *self, int class_index,
                                           McamBiasLensPlace place);
/* The re-fit lens (issue 12). With a re-fit head (NULL: none; the selector
 * hides), a run of a method that reads a head tallies both heads in one
 * pass; the selector (Network's head / Re-fit head, kept while the dialog
 * is open) picks the tally the table, the counts and the cells show, and
 * the table adds each class's own-object rates under both heads and the
 * core's verdict (mcam-head-verdict.h). follow_head keeps the dialog on
 * the window's head ("head-changed"). */
void     mcam_bias_lens_dialog_set_head   (McamBiasLensDialog *self, McamHeadRef *head);
void     mcam_bias_lens_dialog_follow_head (McamBiasLensDialog *self, McamWindow *window);
void     mcam_bias_lens_dialog_set_use_refit_head (McamBiasLensDialog *self, gboolean refit);
/* TRUE when the table shows the re-fit head's tally. */
gboolean mcam_bias_lens_dialog_get_use_refit_head (McamBiasLensDialog *self);
/* The verdict of a class after a run with both heads (g_free), else NULL. */
char    *mcam_bias_lens_dialog_get_verdict (McamBiasLensDialog *self, int class_index);
/* As a click on a cell: lists its images; returns how many. */
int      mcam_bias_lens_dialog_show_cell  (McamBiasLensDialog *self, int class_index,
                                           McamBiasLensPlace place);

G_END_DECLS
