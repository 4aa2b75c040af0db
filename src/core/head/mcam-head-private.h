/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include "mcam/mcam-head.h"

G_BEGIN_DECLS

/* The re-fit head's objective on a set of rows of (X, Y) (mcam-head.h gives
 * the formula). θ = [W (C × c, row-major) ; b (C)], in double. */
typedef struct
{
  int      m, c, C;         /* rows, channels, classes */
  float   *X;               /* [m, c], owned (the rows gathered) */
  float   *Y;               /* [m, C], owned */
  gboolean multilabel;
  double   l2;
  double  *pos_w;           /* [C] a_k (multi-label) or w_k (softmax) */
  double  *neg_w;           /* [C] b_k (multi-label only) */
  gboolean use_blas;        /* float GEMMs for the two big products */
  /* workspace */
  double  *Z;               /* [m, C] logits, then ∂L/∂z */
  float   *Zf;              /* [m, C] float copy for the GEMMs */
  float   *Wf;              /* [C, c] */
  float   *Gf;              /* [C, c] */
} McamHeadProblem;

/* rows: indices into X/Y (NULL: all n rows). Class weights from these rows. */
McamHeadProblem *_mcam_head_problem_new (const float *X, const float *Y, int n, int c, int C,
                                         const int *rows, int m, gboolean multilabel,
                                         gboolean balanced, double l2);
void             _mcam_head_problem_free (McamHeadProblem *p);

/* L(θ), and ∂L/∂θ into grad when it is not NULL. */
double _mcam_head_objective (McamHeadProblem *p, const double *theta, double *grad);

/* Minimise L by L-BFGS (10 pairs, backtracking Armijo line search) from θ
 * (updated in place). Returns the number of iterations; *converged says
 * whether max |∂L/∂θ| fell under tol (else the iterations ran out or the
 * line search could not decrease L any further, at float precision). */
int _mcam_head_lbfgs (McamHeadProblem *p, double *theta, int max_iter, double tol,
                      gboolean *converged);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (McamHeadProblem, _mcam_head_problem_free)

G_END_DECLS
