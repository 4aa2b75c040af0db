/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <gio/gio.h>
#include "mcam-memory.h"

G_BEGIN_DECLS

/* Training of the M-CAM memory module beside a frozen backbone (DESIGN 4.2).
 *
 * The data is the backbone's features f [n, c*h*w] (layer4 output, computed
 * once, see mcam-feature-cache.h) and multi-hot labels y [n, C].
 *
 * Determinism: initialisation and shuffling use a seeded xoshiro256** (McamRng),
 * and the reductions of the hand-written parts run in a fixed order. OpenBLAS
 * sgemm gives identical results for identical inputs with the same number of
 * threads, so the same seed, data and thread count give the same file; a
 * different thread count may change the last bits. */

typedef enum
{
  MCAM_TRAIN_INIT_CLASS,    /* class-anchored slots (default, DESIGN 4.2) */
  MCAM_TRAIN_INIT_RANDOM,   /* K, V, S ~ N(0, 0.1^2): the paper's setting */
} McamTrainInit;

typedef struct
{
  int           epochs;       /* 30 */
  int           batch;        /* 128 */
  float         lr;           /* Adam, 1e-3 */
  float         beta1;        /* 0.9 */
  float         beta2;        /* 0.999 */
  float         eps;          /* 1e-8 */
  float         scale;        /* s of Eq. (1), 10 */
  McamTrainInit init;         /* class */
  guint64       seed;         /* 0 */
  int           g_fit_steps;  /* class init: steps fitting G(e_c) ~ V_c alone, 300 */
  float         g_fit_lr;     /* 1e-2 */
} McamTrainOptions;

void        mcam_train_options_init  (McamTrainOptions *opt);
const char *mcam_train_init_to_string (McamTrainInit init);   /* "class", "random" */
gboolean    mcam_train_init_from_string (const char *s, McamTrainInit *init);

/* The loss terms of DESIGN 4.2, each averaged over the images. */
typedef struct
{
  double total;
  double bce_target;   /* BCE(z_t, y): classifier on the value read with p' */
  double bce_read;     /* BCE(z, y):   classifier on the value read with p */
  double sparse;       /* mean_j (v_j - v_t,j)^2 */
  double kl_spatial;   /* KL(p' || p_s) */
  double kl_key;       /* KL(p' || p) */
} McamTrainLosses;

/* A new memory module with N = n_slots, initialised as `opt->init` says from
 * the training data (class: K_i, S_i = means over the images of class
 * i mod C, V_i = K_i, then G fitted alone; random: K, V, S ~ N(0, 0.1^2)).
 * G and fc get PyTorch's default Linear init (uniform, bound 1/sqrt(fan_in)). */
McamMemory *mcam_train_init_memory (int n_slots, int c, int h, int w, int n_classes,
                                    const float *features, const float *labels, int n,
                                    const McamTrainOptions *opt, GError **error);

/* One trainer: the workspace, the gradients and Adam's state for a memory
 * module it borrows (and updates in place). */
typedef struct _McamTrainer McamTrainer;

McamTrainer *mcam_trainer_new  (McamMemory *mem, const McamTrainOptions *opt);
void         mcam_trainer_free (McamTrainer *tr);

/* Forward and backward on one batch: f [B, c*h*w], y [B, C]. Returns the
 * total loss, fills `losses` (nullable); the gradients (same shapes as the
 * parameters, in a McamMemory used as a container) replace the previous ones. */
double       mcam_trainer_compute (McamTrainer *tr, const float *f, const float *y, int B,
                                   McamTrainLosses *losses);
/* Loss only (no gradient): for finite differences and validation. */
double       mcam_trainer_loss    (McamTrainer *tr, const float *f, const float *y, int B,
                                   McamTrainLosses *losses);
/* The gradients of the last mcam_trainer_compute(). Borrowed. */
const McamMemory *mcam_trainer_get_grads (McamTrainer *tr);
/* One Adam step (PyTorch's torch.optim.Adam, no weight decay) with the
 * current gradients. */
void         mcam_trainer_adam_step (McamTrainer *tr);

/* Per batch (epoch_done = FALSE) and per epoch (epoch_done = TRUE, losses
 * are the epoch's means). Return FALSE to stop training (not an error). */
typedef struct
{
  int             epoch;       /* 1-based */
  int             n_epochs;
  int             batch;       /* 1-based within the epoch */
  int             n_batches;
  gboolean        epoch_done;
  McamTrainLosses losses;      /* running mean over the epoch so far */
} McamTrainProgress;

typedef gboolean (*McamTrainProgressFunc) (const McamTrainProgress *progress,
                                           gpointer user_data);

/* Train for opt->epochs over the data, shuffled each epoch with the seeded
 * generator. Checks `cancellable` between batches (fails with
 * G_IO_ERROR_CANCELLED, the memory then holds the last finished step). */
gboolean mcam_trainer_run (McamTrainer *tr, const float *features, const float *labels,
                           int n, McamTrainProgressFunc func, gpointer user_data,
                           GCancellable *cancellable, GError **error);

/* The memory classifier's scores (sigmoid of z = fc([pV ; q])) for n images,
 * into scores [n, C]; batched. */
void mcam_train_memory_scores (const McamMemory *mem, const float *features, int n,
                               float *scores);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (McamTrainer, mcam_trainer_free)

G_END_DECLS
