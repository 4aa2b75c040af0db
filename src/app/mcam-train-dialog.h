/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>
#include "mcam-worker.h"

G_BEGIN_DECLS

/* Train a memory module from the app (DESIGN 4.2): backbone, image folder,
 * labels CSV, slots, epochs. The C trainer runs on the worker with a live
 * loss plot (every term of the loss) and Cancel; when it is done and the
 * backbone is the loaded model, the new memory is loaded into the worker
 * (the window hears "model-changed"). Save As writes the memory file. */
#define MCAM_TYPE_TRAIN_DIALOG (mcam_train_dialog_get_type ())
G_DECLARE_FINAL_TYPE (McamTrainDialog, mcam_train_dialog, MCAM, TRAIN_DIALOG, GtkWindow)

McamTrainDialog *mcam_train_dialog_new (GtkWindow *parent, McamWorker *worker);

/* Fill the form (any may be NULL / <= 0 to keep the current value): scripts,
 * tests and screenshots. */
void     mcam_train_dialog_set_inputs (McamTrainDialog *self, const char *model_path,
                                       const char *image_folder, const char *labels_csv,
                                       int n_slots, int epochs);
/* The optional inputs of `mcam train` (NULL: keep, "": clear): validation
 * labels CSV (--val: the memory classifier's mAP after each epoch),
 * validation image folder (--val-images; default: the training folder) and a
 * class names file (--classes; default: classes.txt beside the model). */
void     mcam_train_dialog_set_extra_inputs (McamTrainDialog *self, const char *val_csv,
                                             const char *val_folder, const char *classes_path);
/* The last run's validation mAP (memory classifier), NAN without --val. */
double   mcam_train_dialog_get_val_map (McamTrainDialog *self);
/* As the Train button. */
void     mcam_train_dialog_start      (McamTrainDialog *self);
/* As Save As: writes the trained memory (atomically) on the worker. */
void     mcam_train_dialog_save       (McamTrainDialog *self, const char *path);
/* As the Cancel button while training. */
void     mcam_train_dialog_cancel     (McamTrainDialog *self);
gboolean mcam_train_dialog_is_running (McamTrainDialog *self);
/* The status line (what happened last: progress, done, cancelled, failed). */
const char *mcam_train_dialog_get_status (McamTrainDialog *self);
/* Loss points plotted so far. */
int      mcam_train_dialog_get_n_points (McamTrainDialog *self);

G_END_DECLS
