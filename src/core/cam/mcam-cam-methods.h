/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The baseline CAM methods of DESIGN 5 on plain arrays, so that tests can
 * check them on hand-made cases without a network. f, grad and x are
 * [c, hw] row-major (channel k is f + k*hw); maps are [hw], before the ReLU.
 *
 * mcam-baselines.c (gradient methods), mcam-eigencam.c, mcam-perturb.c.
 * Not part of the public API. */

#include <glib.h>
#include <gio/gio.h>
#include "mcam/mcam-metrics.h"

G_BEGIN_DECLS

/* Grad-CAM (Selvaraju et al. 2017): w_k = mean_j grad[k, j]. */
void _mcam_gradcam_weights   (const float *grad, int c, int hw, float *w);

/* Grad-CAM++ (Chattopadhay et al. 2018), the closed form of its Eq. 19 with
 * g = ∂y/∂A: α_kj = g² / (2g² + Σ_j' A_kj' · g³), no constant in the
 * denominator, α = 0 where the denominator is 0; w_k = Σ_j α_kj ReLU(g_kj). */
void _mcam_gradcampp_weights (const float *f, const float *grad, int c, int hw, float *w);

/* XGrad-CAM (Fu et al. 2020): w_k = Σ_j (A_kj / Σ_j' A_kj') g_kj; 0 when Σ A_k = 0. */
void _mcam_xgradcam_weights  (const float *f, const float *grad, int c, int hw, float *w);

/* map[j] = Σ_k w_k f[k, j]. */
void _mcam_weighted_map      (const float *f, const float *w, int c, int hw, float *map);

/* HiResCAM (Draelos & Carin 2020): map[j] = Σ_k grad[k, j] f[k, j]. */
void _mcam_hirescam_map      (const float *f, const float *grad, int c, int hw, float *map);

/* LayerCAM (Jiang et al. 2021): map[j] = Σ_k ReLU(grad[k, j]) f[k, j]. */
void _mcam_layercam_map      (const float *f, const float *grad, int c, int hw, float *map);

/* EigenCAM (Muhammad & Yeasin 2020): x seen as hw samples of c values,
 * each channel centred over the positions; map = the samples projected on
 * the first principal axis (σ₁ u₁). The sign of a principal axis is
 * arbitrary: we take the one whose map correlates positively with the mean
 * over channels of x (the mean activation for EigenCAM). */
void _mcam_eigen_map         (const float *x, int c, int hw, float *map);

/* The same map for x = diag(s) f, i.e. x[k, j] = s[k] f[k, j], without forming
 * x: EigenGradCAM when the gradient is the same at every position (a head
 * that begins with GAP), s = ∂y/∂q / hw. mean [c] is f's channel means
 * (GAP(f), the analysis' q), or NULL to compute them. */
void _mcam_eigen_map_scaled  (const float *f, const float *mean, const float *s, int c,
                              int hw, float *map);

/* The EigenCAM map from the Gram matrix Xc Xcᵀ of the centred data (hw × hw,
 * float, row stride ld, symmetric) and the mean activation at each position. */
void _mcam_eigen_map_from_gram (const float *G, int ld, const double *mean_act, int hw,
                                float *map);

/* _mcam_eigen_map_scaled for n scale vectors at once (S [n, c], maps [n, hw]),
 * sharing the work: every Gram matrix from one GEMM. mean as there, not NULL.
 * FALSE (nothing written) when that does not pay: hw > c, or too large. */
gboolean _mcam_eigen_maps_scaled_all (const float *f, const float *mean, const float *S,
                                      int n, int c, int hw, float *maps);

/* The symmetric eigenproblem A = U diag(λ) Uᵀ of an n × n matrix (cyclic
 * Jacobi, in double). A is destroyed; eigenvectors are the columns of U
 * (n × n row-major), eigenvalues unsorted in lambda. */
void _mcam_symmetric_eigen   (double *A, int n, double *lambda, double *U);

/* The largest eigenvalue of a symmetric n × n matrix (returned) and its unit
 * eigenvector u: bisection on the Sturm sequence of the Householder
 * tridiagonal form, then inverse iteration. What EigenCAM uses (the Jacobi
 * solver above is its reference in the tests). A is kept. */
double _mcam_leading_eigenvector (const double *A, int n, double *u);

/* The head a perturbation method re-runs on changed features: features
 * [batch, c, h, w] -> logits [batch, C]. */
typedef gboolean (*McamFeatureHeadFunc) (gpointer user_data, const float *features,
                                         int batch, float *logits, GError **error);

/* Ablation-CAM (Desai & Ramaswamy 2020): w_k = y_c − y_c(f with channel k
 * zeroed), in batches. `channels` (NULL: all) limits which channels are
 * ablated; the others get weight 0. The passes give every class's weights
 * at once: when head_id (bytes that identify the head's parameters) is not
 * NULL they are kept, and the next class of the same f costs nothing. */
gboolean _mcam_ablation_weights (McamFeatureHeadFunc head, gpointer user_data, GBytes *head_id,
                                 const float *f, int c, int hw, int n_classes,
                                 int class_index, const int *channels, int n_channels,
                                 float *w, GCancellable *cancellable, GError **error);

/* Score-CAM (Wang et al. 2020): each channel upsampled to the input size and
 * min-max normalised gives a mask H_k; w_k = s_c(x ∘ H_k) − s_c(x_b) with the
 * baseline x_b = 0 in the preprocessed input (the data set's mean colour),
 * s the score after sigmoid/softmax. input is [3, H, W] at the scorer's size.
 * head_id as for Ablation-CAM (it must identify the whole network then). */
gboolean _mcam_scorecam_weights (const McamScorer *scorer, GBytes *head_id, const float *input,
                                 const float *f, int c, int fh, int fw, int class_index,
                                 const int *channels, int n_channels, float *w,
                                 GCancellable *cancellable, GError **error);

/* The k channels with the largest mean activation (k <= 0 or >= c: NULL, all). */
int *_mcam_top_channels (const float *f, int c, int hw, int k, int *n_out);

G_END_DECLS
