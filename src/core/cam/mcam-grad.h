/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Gradients of a class logit with respect to the feature map f, for the
 * gradient-based baselines (DESIGN 5). Written as a small hand-made reverse
 * pass: every operation of a head has its forward and its backward, and a
 * head's gradient is the chain of those backwards — nothing is special-cased,
 * so the same code serves the target network's GAP + linear head and the
 * memory classifier (q → p → v → fc, plus fc's direct q input).
 *
 * Implemented in mcam-grad.c. Not part of the public API. */

#include <glib.h>
#include "mcam/mcam-memory.h"

G_BEGIN_DECLS

/* The backward of each operation: d_in from d_out (d_in is overwritten). */

/* q = GAP(f), f [c, hw]: df[k, j] = dq[k] / hw. */
void _mcam_gap_backward (const float *dq, int c, int hw, float *df);

/* y = W x + b, W [n_out, n_in] row-major: dx = W^T dy. */
void _mcam_linear_backward_input (const float *W, int n_out, int n_in, int ld,
                                  const float *dy, float *dx);

/* p = softmax (a): da = p ⊙ (dp − p·dp). */
void _mcam_softmax_backward (const float *p, const float *dp, int n, float *da);

/* a_i = s · cos (x, M_i), M [N, dim]: dx += s Σ_i da_i ∂cos(x, M_i)/∂x, with the
 * denominator's floor max(‖x‖‖M_i‖, 1e-8) treated as in the forward pass. */
void _mcam_address_logits_backward_add (const float *x, const float *M, int N, int dim,
                                        float scale, const float *da, float *dx);

/* v = p V, V [N, c]: dp_i = dv · V_i. */
void _mcam_read_value_backward_p (const float *V, int N, int c, const float *dv, float *dp);

/* dlogit_class / df for the target network's head logits = W · GAP(f) + b,
 * W [n_classes, c]. grad is [c, hw]. */
void _mcam_grad_linear_head (const float *W, int n_classes, int c, int hw,
                             int class_index, float *grad);

/* dz_class / df for the memory classifier z = fc([pV ; q]), p = addr (q, K),
 * q = GAP(f). f and grad are [c, hw] with hw = mem->h * mem->w. */
void _mcam_grad_memory_head (const McamMemory *mem, const float *f, int class_index,
                             float *grad);

/* The same two reverse passes stopped one step early, at q = GAP(f): dz_class / dq
 * [c]. Both heads begin with GAP, so df[k, j] = dq[k] / hw at every position j
 * (_mcam_gap_backward); the baselines use this to work on c numbers per class
 * instead of c × hw (mcam-baselines.c). */
void _mcam_grad_linear_head_q (const float *W, int n_classes, int c, int class_index,
                               float *dq);
void _mcam_grad_memory_head_q (const McamMemory *mem, const float *f, int class_index,
                               float *dq);

/* The memory classifier's logits z [C] for features f [c, hw]. */
void _mcam_memory_head_logits (const McamMemory *mem, const float *f, float *z);

G_END_DECLS
