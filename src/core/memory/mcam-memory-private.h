/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The small math of the M-CAM memory module (DESIGN 4), shared by inference
 * (mcam-memory.c, mcam-analysis.c, mcam-health.c) and the trainer
 * (mcam-memory-train.c). Single-image versions; the trainer batches with
 * sgemm on its own but must agree with these to rounding.
 *
 * Implemented in mcam-memory-math.c. Not part of the public API. */

#include <glib.h>
#include "mcam/mcam-memory.h"

G_BEGIN_DECLS

/* The floor of the cosine's denominator: cos(a,b) = a·b / max(‖a‖‖b‖, 1e-8). */
#define MCAM_COSINE_EPS 1e-8

/* cos(a, b) over n floats, accumulated in double. */
float _mcam_cosine (const float *a, const float *b, gsize n);

/* cos(a, b) where a and b are strided: a[i*stride_a], b[i*stride_b]. */
float _mcam_cosine_strided (const float *a, gsize stride_a, const float *b, gsize stride_b,
                            gsize n);

/* Numerically stable softmax in place. */
void _mcam_softmax (float *x, int n);

/* Eq. (1): p_out[i] = softmax_i (scale · cos (x, M_i)), M is [N, dim]
 * row-major. Also used with dim = c·h·w for the spatial address p_s. */
void _mcam_address (const float *x, const float *M, int N, gsize dim, float scale,
                    float *p_out);

/* q = GAP(f): f is [c, hw], q is [c]. */
void _mcam_gap (const float *f, int c, int hw, float *q);

/* v = p V: p is [N], V is [N, c], v is [c]. */
void _mcam_read_value (const McamMemory *mem, const float *p, float *v);

/* G(y) = G2 · ReLU(G0 · y + b0) + b2: y is [C], v_out is [c]. When hidden_out
 * is not NULL it receives ReLU(G0 · y + b0) [c] (the trainer's backward needs it). */
void _mcam_encode_value_full (const McamMemory *mem, const float *y, float *hidden_out,
                              float *v_out);
void _mcam_encode_value      (const McamMemory *mem, const float *y, float *v_out);

/* z = fc([v ; q]): read value first, query second (DESIGN 4.2). z is [C]. */
void _mcam_memory_logits (const McamMemory *mem, const float *v, const float *q, float *z);

/* p' of a class: the value address of G(e_class) over V, [N]. */
void _mcam_value_address_of_class (const McamMemory *mem, int class_index, float *p_out);

/* Deterministic random numbers, the same on every platform: xoshiro256**
 * seeded through splitmix64, normals by Box-Muller (both values used). Used by
 * the slot search (Algorithm 1) and by the trainer (random init, shuffling). */
typedef struct
{
  guint64 s[4];
  gboolean have_spare;
  double   spare;
} McamRng;

void    _mcam_rng_init    (McamRng *rng, guint64 seed);
guint64 _mcam_rng_next    (McamRng *rng);
/* Uniform double in [0, 1) with 53 random bits. */
double  _mcam_rng_uniform (McamRng *rng);
/* Uniform integer in [0, n), n > 0, without modulo bias. */
guint64 _mcam_rng_below   (McamRng *rng, guint64 n);
/* Standard normal N(0, 1). */
double  _mcam_rng_normal  (McamRng *rng);

G_END_DECLS
