/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The trainer's state, shared by mcam-train.c (initialisation, Adam, the
 * epoch loop) and mcam-train-step.c (the batched forward and backward). */

#include "mcam/mcam-train.h"
#include "mcam-memory-private.h"

G_BEGIN_DECLS

struct _McamTrainer
{
  McamMemory      *mem;         /* borrowed, updated in place */
  McamTrainOptions opt;
  int              max_batch;   /* workspace size in images */

  McamMemory      *grad;        /* gradients, same shapes as mem */
  McamMemory      *adam_m;      /* Adam's first and second moments (lazily) */
  McamMemory      *adam_v;
  gint64           adam_t;

  /* Workspace, sized for max_batch images: B = batch, N = slots, D = c·h·w. */
  float *q;        /* [B, c]  q = GAP(f) */
  double *nf;      /* [B]     ‖vec f‖ */
  double *nq;      /* [B]     ‖q‖ */
  double *nvp;     /* [B]     ‖v'‖ */
  double *nK, *nV, *nS;   /* [N] row norms */
  float *a1;       /* [B, c]  G0 y + b0 (before the ReLU) */
  float *r1;       /* [B, c]  ReLU(a1) */
  float *vp;       /* [B, c]  v' = G(y) */
  float *cos_k, *cos_v, *cos_s;   /* [B, N] cosines of q/K, v'/V, f/S */
  float *p, *pv, *ps;             /* [B, N] p, p', p_s */
  float *lp, *lpv, *lps;          /* [B, N] their logarithms */
  float *v, *vt;   /* [B, c]  v = pV, v_t = p'V */
  float *zq;       /* [B, C]  the q half of fc plus its bias */
  float *z, *zt;   /* [B, C]  logits */
  /* backward */
  float *dz, *dzt;         /* [B, C] */
  float *dv, *dvt, *dvp;   /* [B, c] */
  float *dr1;              /* [B, c] */
  float *dp, *dpv;         /* [B, N] */
  float *gl;               /* [B, N] gradient of the cosine logits, scratch */
  double *corr_x;          /* [B] */
  double *corr_m;          /* [N] */
  float *ones;             /* [B] all 1, for bias gradients */
};

/* Forward (and, when with_grad, backward into tr->grad) on one batch. */
double _mcam_trainer_forward_backward (McamTrainer *tr, const float *f, const float *y,
                                       int B, gboolean with_grad, McamTrainLosses *losses);

/* The read path only (q, p, v, z): z [B, C] into tr->z. */
void   _mcam_trainer_forward_read (McamTrainer *tr, const float *f, int B);

/* Allocate the workspace for max_batch images (frees a previous one). */
void   _mcam_trainer_alloc_workspace (McamTrainer *tr, int max_batch);
void   _mcam_trainer_free_workspace  (McamTrainer *tr);

G_END_DECLS
