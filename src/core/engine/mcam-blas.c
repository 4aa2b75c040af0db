/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The one file that talks to OpenBLAS: GEMM/GEMV wrappers, threads, and the
 * start-up fix for OpenBLAS's kernel choice (see mcam-blas.h and
 * docs/OPENBLAS.md). */

#include "config.h"

#include <cblas.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mcam/mcam-blas.h"
#include "mcam-parallel.h"

/* Declared by OpenBLAS but not always in its cblas.h. */
extern char *openblas_get_corename (void);
extern char *openblas_get_config (void);
extern void  openblas_set_num_threads (int num_threads);
extern int   openblas_get_num_threads (void);

#define REEXEC_MARK "MCAM_BLAS_REEXEC"

static const char *core_note = "not checked";

/* Threads: OpenBLAS runs every call on ONE thread; a product big enough to
 * share is cut here into blocks of rows or columns that the engine's own
 * persistent pool (mcam-parallel.c) runs side by side. OpenBLAS 0.3.21
 * threaded each call itself: a fork-join per GEMM whose idle threads spin
 * (sched_yield) between the many small GEMMs of a batch-1 forward; at two
 * threads our process used 90 ms of CPU for a 46 ms resnet50 forward
 * (issue 14). Callers that run whole GEMMs on the pool's threads (Winograd's
 * 16 products, a conv's GEMM + epilogue blocks) get the serial product here,
 * because a nested mcam_parallel_for runs on its caller. */
static int engine_threads;

/* Read OpenBLAS's own default (OPENBLAS_NUM_THREADS or the CPU count) once,
 * then keep OpenBLAS single-threaded for good. */
static void
blas_init (void)
{
  static gsize once;

  if (g_once_init_enter (&once))
    {
      int n = openblas_get_num_threads ();

      g_atomic_int_set (&engine_threads, MAX (n, 1));
      openblas_set_num_threads (1);
      g_once_init_leave (&once, 1);
    }
}

/* Below this many multiply-adds (~20 us on one core) a split costs more in
 * the fork-join and the duplicated packing than the second core saves. */
#define SPLIT_MIN_MACS (1u << 21)
/* Blocks are multiples of this many rows or columns (the SkylakeX sgemm
 * kernel's 16-row/4-column register tiles). */
#define SPLIT_ALIGN 16

typedef struct
{
  gboolean     trans_a, trans_b, split_m;
  int          M, N, K, pieces;
  float        alpha, beta;
  const float *A, *B;
  int          lda, ldb, ldc;
  float       *C;
} GemmSplit;

static void
gemm_piece (gpointer data, int i)
{
  const GemmSplit *g = data;
  gsize b, e;

  if (g->split_m)
    {
      mcam_parallel_block (g->M, g->pieces, SPLIT_ALIGN, i, &b, &e);
      if (e > b)
        cblas_sgemm (CblasRowMajor, g->trans_a ? CblasTrans : CblasNoTrans,
                     g->trans_b ? CblasTrans : CblasNoTrans, (int) (e - b), g->N, g->K, g->alpha,
                     g->A + (g->trans_a ? b : b * g->lda), g->lda, g->B,
                     g->ldb, g->beta, g->C + b * g->ldc, g->ldc);
    }
  else
    {
      mcam_parallel_block (g->N, g->pieces, SPLIT_ALIGN, i, &b, &e);
      if (e > b)
        cblas_sgemm (CblasRowMajor, g->trans_a ? CblasTrans : CblasNoTrans,
                     g->trans_b ? CblasTrans : CblasNoTrans, g->M, (int) (e - b), g->K, g->alpha,
                     g->A, g->lda, g->B + (g->trans_b ? b * g->ldb : b),
                     g->ldb, g->beta, g->C + b, g->ldc);
    }
}

void
mcam_sgemm (gboolean trans_a, gboolean trans_b, int M, int N, int K, float alpha,
            const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
  int threads;
  GemmSplit g = { trans_a, trans_b, FALSE, M, N, K, 0, alpha, beta, A, B, lda, ldb, ldc, C };

  blas_init ();
  threads = g_atomic_int_get (&engine_threads);
  /* Cut the larger of M and N: each block packs its share of that side and
   * all of the other, so the smaller side is the one packed twice. */
  g.split_m = M > N;
  g.pieces = MIN (threads, ((g.split_m ? M : N) + SPLIT_ALIGN - 1) / SPLIT_ALIGN);
  if (g.pieces <= 1 || (guint64) M * N * K < SPLIT_MIN_MACS)
    cblas_sgemm (CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                 trans_b ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda, B, ldb,
                 beta, C, ldc);
  else
    mcam_parallel_for (g.pieces, gemm_piece, &g);
}

typedef struct
{
  gboolean     trans_a;
  int          M, N, pieces;
  float        alpha, beta;
  const float *A, *x;
  int          lda;
  float       *y;
} GemvSplit;

/* Blocks of y: rows of A, or columns when transposed. */
static void
gemv_piece (gpointer data, int i)
{
  const GemvSplit *g = data;
  gsize b, e;

  mcam_parallel_block (g->trans_a ? g->N : g->M, g->pieces, SPLIT_ALIGN, i, &b, &e);
  if (e <= b)
    return;
  if (g->trans_a)
    cblas_sgemv (CblasRowMajor, CblasTrans, g->M, (int) (e - b), g->alpha, g->A + b, g->lda,
                 g->x, 1, g->beta, g->y + b, 1);
  else
    cblas_sgemv (CblasRowMajor, CblasNoTrans, (int) (e - b), g->N, g->alpha,
                 g->A + b * g->lda, g->lda, g->x, 1, g->beta, g->y + b, 1);
}

void
mcam_sgemv (gboolean trans_a, int M, int N, float alpha, const float *A, int lda,
            const float *x, float beta, float *y)
{
  GemvSplit g = { trans_a, M, N, 0, alpha, beta, A, x, lda, y };
  int threads;

  blas_init ();
  threads = g_atomic_int_get (&engine_threads);
  g.pieces = MIN (threads, ((trans_a ? N : M) + SPLIT_ALIGN - 1) / SPLIT_ALIGN);
  /* memory-bound: worth a second core only for a few MB of A */
  if (g.pieces <= 1 || (guint64) M * N < (1u << 19))
    cblas_sgemv (CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, M, N, alpha, A, lda,
                 x, 1, beta, y, 1);
  else
    mcam_parallel_for (g.pieces, gemv_piece, &g);
}

void
mcam_blas_set_threads (int n)
{
  blas_init ();
  if (n <= 0)
    {
      long cpus = sysconf (_SC_NPROCESSORS_ONLN);
      n = cpus > 0 ? (int) cpus : 1;
    }
  g_atomic_int_set (&engine_threads, n);
}

int
mcam_blas_get_threads (void)
{
  blas_init ();
  return g_atomic_int_get (&engine_threads);
}

const char *
mcam_blas_get_core (void)
{
  return openblas_get_corename ();
}

const char *
mcam_blas_get_config (void)
{
  return openblas_get_config ();
}

const char *
mcam_blas_get_core_note (void)
{
  return core_note;
}

const char *
mcam_blas_best_core_for_cpu (void)
{
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init ();
  if (__builtin_cpu_supports ("avx512f") && __builtin_cpu_supports ("avx512bw") &&
      __builtin_cpu_supports ("avx512vl") && __builtin_cpu_supports ("avx512dq"))
    return "SkylakeX";
  if (__builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma"))
    return "Haswell";
#endif
  return NULL;
}

/* Kernels OpenBLAS falls back to when it does not recognise the CPU model:
 * the generic x86-64 ones, none of which use AVX2/AVX-512. */
static gboolean
core_is_generic (const char *core)
{
  static const char *const generic[] = {
    "Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Atom", "Katmai",
    "Coppermine", "Northwood", "Banias", "Opteron", "Barcelona",
  };

  if (core == NULL)
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (generic); i++)
    if (g_ascii_strcasecmp (core, generic[i]) == 0)
      return TRUE;
  return FALSE;
}

/* OpenBLAS's idle threads spin (sched_yield) for 2^28 cycles, ~0.1 s, after
 * every parallel call before they sleep. In the app that burned a core after
 * each small job, beside the main thread and the X server: a class pick took
 * 11.4 ms instead of 9.0 and the process used 4.6 s of CPU instead of 1.2 s
 * for the same 14.5 s benchmark (docs/OPENBLAS.md). 2^20 cycles (~0.4 ms)
 * still bridges the gaps between the GEMMs of one forward pass (resnet18
 * forward unchanged: 24.6-25.4 ms against 25.0-25.6). */
#define THREAD_TIMEOUT_EXPONENT "20"

void
mcam_blas_ensure_fast_core (int argc, char **argv)
{
  static gboolean done;
  const char *mark = g_getenv (REEXEC_MARK);
  const char *core, *best;
  gboolean set_core = FALSE, set_timeout = FALSE;

  if (done)
    return;
  done = TRUE;

  core = openblas_get_corename ();
  best = mcam_blas_best_core_for_cpu ();
  if (mark != NULL && !g_str_equal (mark, "timeout"))
    core_note = "OPENBLAS_CORETYPE set at start-up by mcam (OpenBLAS chose a generic kernel)";
  else if (g_getenv ("OPENBLAS_CORETYPE") != NULL)
    core_note = "OPENBLAS_CORETYPE set by the user (left as is)";
  else if (!core_is_generic (core) || best == NULL)
    core_note = "OpenBLAS chose its kernel by itself";
  else
    set_core = TRUE;
  /* The re-executed process: what could be set, was. */
  if (mark != NULL)
    return;
  set_timeout = g_getenv ("OPENBLAS_THREAD_TIMEOUT") == NULL;
  if (!set_core && !set_timeout)
    return;

  /* OpenBLAS reads both variables only in its library constructor, so they
   * must be in place before the process starts: re-execute once. */
  if (set_core)
    g_setenv ("OPENBLAS_CORETYPE", best, TRUE);
  if (set_timeout)
    g_setenv ("OPENBLAS_THREAD_TIMEOUT", THREAD_TIMEOUT_EXPONENT, TRUE);
  g_setenv (REEXEC_MARK, set_core ? best : "timeout", TRUE);
  if (argc > 0 && argv != NULL)
    execv ("/proc/self/exe", argv);

  /* exec failed (no /proc?): go on as we are, and say so. */
  if (set_core)
    g_unsetenv ("OPENBLAS_CORETYPE");
  if (set_timeout)
    g_unsetenv ("OPENBLAS_THREAD_TIMEOUT");
  g_unsetenv (REEXEC_MARK);
  if (set_core)
    core_note = "OpenBLAS runs a generic kernel; re-executing with OPENBLAS_CORETYPE failed";
}
