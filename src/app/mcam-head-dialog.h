/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "mcam/mcam.h"
#include "mcam/mcam-head.h"
#include "mcam/mcam-feature-cache.h"
#include "mcam-window.h"

G_BEGIN_DECLS

/* Fit a Re-fit Head… (issue 12): not modal, its own thread, progress,
 * Cancel, the CV curve when done; unsaved until saved. Signal: fitted. */
#define MCAM_TYPE_HEAD_DIALOG (mcam_head_dialog_get_type ())
G_DECLARE_FINAL_TYPE (McamHeadDialog, mcam_head_dialog, MCAM, HEAD_DIALOG, GtkWindow)

McamHeadDialog *mcam_head_dialog_new        (McamWindow *window);
/* l2 < 0: λ by cross-validation with `folds` folds. */
void            mcam_head_dialog_set_inputs (McamHeadDialog *self, const char *images,
                                             const char *labels, double l2, int folds,
                                             guint64 seed);
void            mcam_head_dialog_start      (McamHeadDialog *self);   /* Fit */
const McamHead *mcam_head_dialog_get_head   (McamHeadDialog *self);   /* NULL before */
gboolean        mcam_head_dialog_get_unsaved (McamHeadDialog *self);
gboolean        mcam_head_dialog_save_to    (McamHeadDialog *self, const char *path,
                                             GError **error);

/* The layer the next fit reads: the one the window explains (its layer
 * chooser's), followed while the dialog is open. */
const char     *mcam_head_dialog_get_layer  (McamHeadDialog *self);

/* What the dialog's thread runs: features of the listed images (in memory)
 * at `layer` (NULL: the model's default target), then mcam_head_fit, with
 * the head's provenance filled as `mcam refit` fills it. */
McamHead *mcam_head_dialog_fit_images (const char *model_path, const char *layer,
                                       const char *images,
                                       const char *labels, const McamHeadFitOptions *opt,
                                       McamHeadCvPoint **curve, int *n_curve,
                                       McamFeatureCacheProgress feature_progress,
                                       McamHeadFitProgress fit_progress, gpointer user_data,
                                       GCancellable *cancellable, GError **error);

/* win.fit-head */
void _mcam_window_class_install_head_dialog_actions (GtkWidgetClass *klass);

G_END_DECLS
