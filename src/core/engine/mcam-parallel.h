/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A small fork-join helper for the engine's memory-bound passes (im2col,
 * bias/ReLU epilogue, pooling) that run between the GEMMs. The GEMMs are
 * threaded by OpenBLAS; these passes would otherwise run on one core while
 * the other waits, which on a 2-core machine costs about a tenth of a ResNet
 * forward.
 *
 * func (data, i) is called once for every i in [0, n), on up to
 * mcam_blas_get_threads () threads (the caller is one of them); returns when
 * all calls are done. Calls must be independent. When another thread is
 * already running a parallel job, this one simply runs on the caller. */
typedef void (*McamParallelFunc) (gpointer data, int i);

void mcam_parallel_for (int n, McamParallelFunc func, gpointer data);

G_END_DECLS
