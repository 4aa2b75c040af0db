/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Private to the Train dialog: the worker jobs behind McamTrainDialog
 * (mcam-train-job.c) — training a memory module, saving it — and what
 * they hand back. */

#include "mcam/mcam-health.h"
#include "mcam/mcam-train.h"
#include "mcam-train-dialog.h"

G_BEGIN_DECLS

/* The series of the loss plot, in McamTrainLosses order. */
#define MCAM_TRAIN_N_LOSS_SERIES 6

/* Where loss points go: a weak reference to the dialog, shared by the job
 * and the points in flight, dereferenced only on the main thread (so the
 * worker never holds, and never drops, a reference to a widget). */
typedef struct
{
  GWeakRef dialog;
} McamTrainLossSink;

void _mcam_train_loss_sink_unref (McamTrainLossSink *sink);

typedef struct
{
  char          *model_path;
  char          *folder;
  char          *labels_csv;
  char          *val_csv;
  char          *val_folder;
  char          *classes_path;
  int            n_slots;
  /* validation (with val_csv): features, labels, scores; mAP after each epoch */
  const McamMemory *mem;      /* borrowed while training */
  const float   *val_f;
  const float   *val_y;
  int            val_n;
  float         *val_scores;
  double         val_map;
  McamTrainOptions opt;
  McamWorkerContext *ctx;     /* during the job */
  McamTrainLossSink *sink;
  gint64         last_point_us;
} McamTrainJob;

typedef struct
{
  McamMemory *memory;         /* NULL when installed in the worker */
  McamHealth *health;
  gboolean    installed;
  int         n_images;
  double      val_map;        /* NAN without validation */
  McamTrainLosses last;
} McamTrainResult;

typedef struct
{
  char       *path;
  McamMemory *memory;   /* borrowed from the dialog, or NULL: the worker's */
} McamTrainSaveJob;

void     _mcam_train_job_free      (gpointer data);
void     _mcam_train_result_free   (gpointer data);
gpointer _mcam_train_job_run       (McamWorkerContext *ctx, gpointer data,
                                    GCancellable *cancellable, GError **error);
void     _mcam_train_save_job_free (gpointer data);
gpointer _mcam_train_save_job_run  (McamWorkerContext *ctx, gpointer data,
                                    GCancellable *cancellable, GError **error);

/* On the main thread, for a loss point of the running job (mcam-train-dialog.c). */
void _mcam_train_dialog_add_loss_point (McamTrainDialog *self, double x, const double *values);

G_END_DECLS
