/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "mcam-window.h"

G_BEGIN_DECLS

/* Batch export (issue 5 item 7): every image of the browser × the classes
 * and methods the user picks, into one folder, as
 * `<image>__<class>__<method>.png`. The export itself runs on the window's
 * worker with the status area's progress and Cancel; existing files are
 * asked about once for the whole batch. */

#define MCAM_TYPE_BATCH_EXPORT_DIALOG (mcam_batch_export_dialog_get_type ())
G_DECLARE_FINAL_TYPE (McamBatchExportDialog, mcam_batch_export_dialog, MCAM,
                      BATCH_EXPORT_DIALOG, GtkWindow)

typedef enum
{
  MCAM_BATCH_CLASSES_CHOSEN,        /* the classes ticked in the list */
  MCAM_BATCH_CLASSES_ALL,           /* every class of the model */
  MCAM_BATCH_CLASSES_GROUND_TRUTH,  /* each image's labels.csv classes */
  MCAM_BATCH_CLASSES_TOP_K,         /* each image's k best target-network scores */
} McamBatchClassMode;

/* Transient for `window`; starts with the window's class and method ticked
 * and the current image's folder as the output folder. */
McamBatchExportDialog *mcam_batch_export_dialog_new (McamWindow *window);

void     mcam_batch_export_dialog_set_folder       (McamBatchExportDialog *self, GFile *folder);
GFile   *mcam_batch_export_dialog_get_folder       (McamBatchExportDialog *self);
void     mcam_batch_export_dialog_set_class_mode   (McamBatchExportDialog *self,
                                                    McamBatchClassMode mode);
void     mcam_batch_export_dialog_set_class_chosen (McamBatchExportDialog *self,
                                                    int class_index, gboolean chosen);
void     mcam_batch_export_dialog_set_method_chosen (McamBatchExportDialog *self,
                                                     McamMethod method, gboolean chosen);
void     mcam_batch_export_dialog_set_top_k        (McamBatchExportDialog *self, int k);
/* The number of overlays the choices make now; -1 for top-k before ranking
 * (it is images × k × methods then). */
int      mcam_batch_export_dialog_get_n_overlays   (McamBatchExportDialog *self);
/* What the Export button does: builds the request, closes the dialog and
 * hands the request to the window (which asks about existing files). */
void     mcam_batch_export_dialog_export           (McamBatchExportDialog *self);

G_END_DECLS
