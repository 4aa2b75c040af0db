/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Shared by every test program: g_test_init, the OpenBLAS core fix (every
 * program of the project runs the fast kernel), and fixture paths. */

#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include "mcam/mcam-blas.h"

static inline void
mcam_test_init (int *argc, char ***argv)
{
  mcam_blas_ensure_fast_core (*argc, *argv);
  g_test_init (argc, argv, NULL);
}

/* Absolute path of a file in tests/fixtures (caller frees). */
static inline char *
mcam_test_fixture (const char *name)
{
  const char *dir = g_getenv ("MCAM_FIXTURES_DIR");
  return g_build_filename (dir ? dir : "tests/fixtures", name, NULL);
}

static inline char *
mcam_test_source_path (const char *rel)
{
  const char *dir = g_getenv ("MCAM_SOURCE_DIR");
  return g_build_filename (dir ? dir : ".", rel, NULL);
}

/* max |a-b| / max(max|b|, floor): a tolerance normalised by the reference's scale. */
static inline double
mcam_test_rel_error (const float *a, const float *b, gsize n, double floor_)
{
  double max_diff = 0.0, max_ref = floor_;
  for (gsize i = 0; i < n; i++)
    {
      double d = fabs ((double) a[i] - (double) b[i]);
      if (d > max_diff || isnan (d))
        max_diff = isnan (d) ? INFINITY : d;
      if (fabs ((double) b[i]) > max_ref)
        max_ref = fabs ((double) b[i]);
    }
  return max_diff / max_ref;
}
