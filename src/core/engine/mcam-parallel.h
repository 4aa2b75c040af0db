/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The engine's one thread pool: a fork-join over persistent workers for the
 * GEMMs (mcam-blas.c cuts large products into blocks; the conv code runs a
 * GEMM and its epilogue, or Winograd's 16/36 products, as one job; OpenBLAS
 * itself is single-threaded) and the memory-bound passes between them
 * (im2col, Winograd transforms, pooling).
 *
 * func (data, i) is called once for every i in [0, n), on up to
 * mcam_blas_get_threads () threads (the caller is one of them); returns when
 * all calls are done. Calls must be independent. When another thread is
 * already running a parallel job, this one simply runs on the caller. */
typedef void (*McamParallelFunc) (gpointer data, int i);

void mcam_parallel_for (int n, McamParallelFunc func, gpointer data);

/* Block i of n items cut into `pieces` blocks whose size is a multiple of
 * align (the last one shorter, trailing ones possibly empty): [*begin, *end). */
static inline void
mcam_parallel_block (gsize n, int pieces, gsize align, int i, gsize *begin, gsize *end)
{
  gsize step = (n + pieces - 1) / pieces;

  step = (step + align - 1) / align * align;
  *begin = MIN (n, step * i);
  *end = MIN (n, step * (i + 1));
}

G_END_DECLS
