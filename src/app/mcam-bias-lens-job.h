/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Private to the bias lens: the worker job behind McamBiasLensDialog
 * (mcam-bias-lens-job.c) and what it hands back. */

#include "mcam-head-lens.h"
#include "mcam-worker.h"

G_BEGIN_DECLS

typedef struct
{
  char        *folder;
  McamMethod   method;
  McamHeadRef *head;        /* a re-fit head loaded beside the model, or NULL */
} McamBiasJob;

/* Which head a tally is of: with a re-fit head loaded and a method that
 * reads a head (mcam_method_reads_head), both are computed in one pass over
 * the folder, so the dialog switches between them, and gives the verdict,
 * without another run. */
enum { MCAM_BIAS_NETWORK_HEAD, MCAM_BIAS_REFIT_HEAD, MCAM_BIAS_N_HEADS };

typedef struct
{
  int                n_classes;
  char             **classes;
  McamMethod         method;
  int                n_heads;     /* 1 (the network's head, or none read) or 2 */
  char              *head_path;   /* the re-fit head's file with n_heads 2, else NULL */
  McamPointingTally *tally[MCAM_BIAS_N_HEADS];
  GPtrArray        **cells[MCAM_BIAS_N_HEADS]; /* [C * (C + 2)]: image paths per
                                                * (class, landing column) */
  int                n_images;    /* images with at least one box */
  int                n_failed;    /* unreadable images, skipped */
  char              *first_failure;
} McamBiasResult;

void     mcam_bias_job_free    (gpointer job);
void     mcam_bias_result_free (gpointer result);
/* A McamWorkerFunc: returns a McamBiasResult. */
gpointer mcam_bias_job_run     (McamWorkerContext *ctx, gpointer data,
                                GCancellable *cancellable, GError **error);

G_END_DECLS
