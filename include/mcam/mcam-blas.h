/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Every BLAS call of the project goes through this file (src/core/mcam-blas.c). */

/* C[M,N] = alpha * op(A) op(B) + beta * C, row-major. */
void mcam_sgemm (gboolean trans_a, gboolean trans_b, int M, int N, int K,
                 float alpha, const float *A, int lda, const float *B, int ldb,
                 float beta, float *C, int ldc);

/* y = alpha * op(A) x + beta * y, row-major A[M,N]. */
void mcam_sgemv (gboolean trans_a, int M, int N, float alpha, const float *A, int lda,
                 const float *x, float beta, float *y);

/* Threads of the engine (n <= 0: one per CPU; default: OpenBLAS's own
 * default, OPENBLAS_NUM_THREADS or the CPU count). OpenBLAS itself runs
 * single-threaded; mcam_sgemm/mcam_sgemv cut large products into blocks run
 * on the engine's thread pool (src/core/engine/mcam-blas.c). */
void        mcam_blas_set_threads (int n);
int         mcam_blas_get_threads (void);
const char *mcam_blas_get_core    (void);   /* e.g. "Haswell", "SkylakeX", "Prescott" */
const char *mcam_blas_get_config  (void);   /* openblas_get_config () */

/* OpenBLAS 0.3.21 does not know this CPU's model and falls back to its generic
 * Prescott kernel (~4.5x slower sgemm). OPENBLAS_CORETYPE only works when set
 * before the process starts, so every program calls this first thing in
 * main(): when OpenBLAS runs a generic core while the CPU has AVX-512 or AVX2,
 * and the user has not set OPENBLAS_CORETYPE, it re-executes the program once
 * with the variable set (SkylakeX or Haswell). The same re-exec sets
 * OPENBLAS_THREAD_TIMEOUT=20 when unset, so idle BLAS threads sleep after
 * ~0.4 ms instead of spinning ~0.1 s. Returns only when no re-exec happens
 * (or the re-exec failed, in which case we simply go on as we are). */
void mcam_blas_ensure_fast_core (int argc, char **argv);

/* What mcam_blas_ensure_fast_core() decided, for `mcam info --system`. */
const char *mcam_blas_get_core_note (void);

/* The best core for this CPU ("SkylakeX", "Haswell") or NULL. */
const char *mcam_blas_best_core_for_cpu (void);

G_END_DECLS
