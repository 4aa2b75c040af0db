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

/* Declared by OpenBLAS but not always in its cblas.h. */
extern char *openblas_get_corename (void);
extern char *openblas_get_config (void);
extern void  openblas_set_num_threads (int num_threads);
extern int   openblas_get_num_threads (void);

#define REEXEC_MARK "MCAM_BLAS_REEXEC"

static const char *core_note = "not checked";

void
mcam_sgemm (gboolean trans_a, gboolean trans_b, int M, int N, int K, float alpha,
            const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
  cblas_sgemm (CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
               trans_b ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda, B, ldb,
               beta, C, ldc);
}

void
mcam_sgemv (gboolean trans_a, int M, int N, float alpha, const float *A, int lda,
            const float *x, float beta, float *y)
{
  cblas_sgemv (CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, M, N, alpha, A, lda,
               x, 1, beta, y, 1);
}

void
mcam_blas_set_threads (int n)
{
  if (n <= 0)
    {
      long cpus = sysconf (_SC_NPROCESSORS_ONLN);
      n = cpus > 0 ? (int) cpus : 1;
    }
  openblas_set_num_threads (n);
}

int
mcam_blas_get_threads (void)
{
  return openblas_get_num_threads ();
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

void
mcam_blas_ensure_fast_core (int argc, char **argv)
{
  static gboolean done;
  const char *user = g_getenv ("OPENBLAS_CORETYPE");
  const char *mark = g_getenv (REEXEC_MARK);
  const char *core, *best;

  if (done)
    return;
  done = TRUE;

  if (mark != NULL)
    {
      /* We are the re-executed process; OPENBLAS_CORETYPE was set by us. */
      core_note = "OPENBLAS_CORETYPE set at start-up by mcam (OpenBLAS chose a generic kernel)";
      return;
    }
  if (user != NULL)
    {
      core_note = "OPENBLAS_CORETYPE set by the user (left as is)";
      return;
    }

  core = openblas_get_corename ();
  best = mcam_blas_best_core_for_cpu ();
  if (!core_is_generic (core) || best == NULL)
    {
      core_note = "OpenBLAS chose its kernel by itself";
      return;
    }

  /* OpenBLAS reads OPENBLAS_CORETYPE only in its library constructor, so the
   * variable must be in place before the process starts: re-execute once. */
  g_setenv ("OPENBLAS_CORETYPE", best, TRUE);
  g_setenv (REEXEC_MARK, best, TRUE);
  if (argc > 0 && argv != NULL)
    execv ("/proc/self/exe", argv);

  /* exec failed (no /proc?): go on with the slow kernel, and say so. */
  g_unsetenv ("OPENBLAS_CORETYPE");
  g_unsetenv (REEXEC_MARK);
  core_note = "OpenBLAS runs a generic kernel; re-executing with OPENBLAS_CORETYPE failed";
}
