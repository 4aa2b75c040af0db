/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <gio/gio.h>
#include "mcam-net.h"
#include "mcam-metrics.h"

G_BEGIN_DECLS

/* The re-fit lens (issue 12): a linear head re-fitted on the globally pooled
 * target-layer features q = GAP(f) of a frozen backbone,
 *
 *   z = W q + b,   W [C, c], b [C],
 *
 * by L2-regularised, class-balanced logistic regression (per-class sigmoid
 * when the model is multi-label, softmax otherwise). Explaining this head
 * instead of the network's own shows what the features could support: if the
 * re-fit head's CAM finds the object, the backbone encodes it and a bias sits
 * in the network's head; if not, the features themselves do not separate it
 * (last-layer re-training, Kirichenko et al. 2022, used as a lens).
 *
 * The objective (on the mean loss, so λ does not scale with n):
 *   multi-label: L = 1/(n C) Σ_i Σ_k [ a_k y_ik softplus(−z_ik)
 *                                     + b_k (1 − y_ik) softplus(z_ik) ]
 *                    + λ/2 ‖W‖²
 *     with a_k = n / (2 n_k⁺), b_k = n / (2 n_k⁻) (each class's positives
 *     and negatives weigh half; 1 when a side is empty);
 *   softmax:     L = 1/n Σ_i Σ_k t_ik w_k (−log softmax(z_i)_k) + λ/2 ‖W‖²
 *     with t_i = y_i / Σ_k y_ik (images without a label are left out) and
 *     w_k = n / (C n_k) (0 for a class without images).
 * The bias is not regularised. Without class balancing every weight is 1. */

typedef struct _McamHead
{
  int      n_classes;     /* C */
  int      c;             /* channels of f */
  float   *weight;        /* [C, c] */
  float   *bias;          /* [C] */
  gboolean multilabel;    /* sigmoid scores, else softmax */
  char   **classes;       /* NULL-terminated, the backbone's class names */
  /* What it was fitted on (NULL / 0 / NAN when unknown): */
  char    *backbone;      /* the backbone's fingerprint (McamNetInfo) */
  char    *layer;         /* the net's target layer (McamNetInfo.target) whose
                           * pooled features it reads; NULL: not recorded */
  int      n_images;
  char    *images_hash;   /* SHA-256 of the image list (names, labels, bytes) */
  double   l2;            /* λ */
  int      folds;         /* K of the cross-validation, 0 when λ was given */
  double   val_score;     /* cross-validated mAP at λ (NAN when λ was given) */
  char    *cv_curve;      /* JSON [{"l2":…,"map":…,"sd":…},…] or NULL */
  guint64  seed;
} McamHead;

/* What heads recorded as their layer before the target layer was movable
 * (mcam_net_set_target): they were fitted at the network's default target,
 * the layer its own GAP + linear head reads, and are taken as such. */
#define MCAM_HEAD_LAYER_LEGACY "layer4"

McamHead *mcam_head_new  (int n_classes, int c, gboolean multilabel);
void      mcam_head_free (McamHead *head);

/* The network's own head as a McamHead (NULL when the network does not have
 * a GAP + linear head), so both heads can be handled alike. */
McamHead *mcam_head_new_from_net (McamNet *net);

/* Save as safetensors: head.weight, head.bias and mcam.head.* metadata
 * (atomically). */
gboolean  mcam_head_save (const McamHead *head, const char *path, GError **error);
/* Load a head. With `net`, it must have been fitted on that backbone (the
 * fingerprint), at its current target layer (a head fitted at another is
 * refused naming the --layer to use) and for its classes; else the load
 * fails with MCAM_ERROR_MISMATCH and a message naming both. */
McamHead *mcam_head_load (const char *path, McamNet *net, GError **error);
/* The same checks on a head already loaded. */
gboolean  mcam_head_check_net (const McamHead *head, const char *path, McamNet *net,
                               GError **error);

/* logits [C] = W q + b for q [c]. */
void mcam_head_logits (const McamHead *head, const float *q, float *logits);
/* logits for features f [c, hw] (q = GAP(f)). */
void mcam_head_logits_from_features (const McamHead *head, const float *f, int hw,
                                     float *logits);
/* Scores: sigmoid (multi-label) or softmax of logits [C]. */
void mcam_head_scores (const McamHead *head, const float *logits, float *scores);

/* A scorer (mcam-metrics.h) that runs the backbone and this head: what the
 * perturbation metrics and Score-CAM re-run when the re-fit head is
 * explained. net and head are borrowed and must outlive the scorer. */
void mcam_head_scorer_init (McamScorer *s, McamNet *net, const McamHead *head);

/* ---- fitting ---- */

typedef struct
{
  double   l2;            /* λ >= 0; < 0 (the default): chosen by cross-validation */
  int      folds;         /* K, 5 */
  guint64  seed;          /* fold assignment, 0 */
  gboolean multilabel;    /* TRUE */
  gboolean balanced;      /* class-balanced weights, TRUE */
  int      max_iter;      /* L-BFGS iterations, 1000 */
  double   tol;           /* stop when max |∂L/∂θ| < tol, 1e-7 */
  const double *grid;     /* λ candidates (NULL: 1e-6 … 1 in half decades) */
  int      n_grid;
} McamHeadFitOptions;

void mcam_head_fit_options_init (McamHeadFitOptions *opt);

/* One point of the cross-validation curve. */
typedef struct
{
  double l2;
  double map;      /* mean over the folds of the held-out mAP */
  double sd;       /* standard deviation over the folds */
} McamHeadCvPoint;

/* Per fit (stage "cv" with the λ index and fold, or "fit"); return FALSE to
 * cancel (the fit then fails with G_IO_ERROR_CANCELLED). */
typedef gboolean (*McamHeadFitProgress) (const char *stage, int step, int n_steps,
                                         gpointer user_data);

/* Fit on pooled features X [n, c] and multi-hot labels Y [n, C]. When
 * opt->l2 < 0, λ is chosen by K-fold cross-validation (the largest λ whose
 * held-out mAP is the best) and the curve returned in *curve (nullable;
 * g_free it); then the head is fitted on all n images. Deterministic for a
 * seed and a BLAS thread count. The provenance fields other than l2, folds,
 * val_score, cv_curve and seed are left for the caller. */
McamHead *mcam_head_fit (const float *X, const float *Y, int n, int c, int C,
                         const McamHeadFitOptions *opt, McamHeadCvPoint **curve,
                         int *n_curve, McamHeadFitProgress progress, gpointer user_data,
                         GError **error);

/* SHA-256 (hex) over every image's name as listed, its labels (y > 0.5) and
 * its bytes: what a head records as the images it was fitted on. names,
 * paths [n], labels [n, C]. NULL with an error naming an unreadable file. */
char *mcam_head_hash_images (const char *const *names, const char *const *paths,
                             const float *labels, int n, int C, GError **error);

/* The pooled features q_i = GAP(f_i) of n feature maps [n, c, hw] into X [n, c]. */
void mcam_head_pool_features (const float *features, int n, int c, int hw, float *X);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (McamHead, mcam_head_free)

G_END_DECLS
