/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Every gradient-based baseline (and EigenCAM) for every class of one
 * feature map, after the forward pass: the CPU time of mcam_explain() over
 * all classes, and of mcam_explain_all_classes() (if the build has it,
 * -DHAVE_ALL_CLASSES), best of R repeats (the machine is shared: CPU time, not wall
 * time), one BLAS thread. The features are a fixed pseudo-random ReLU'd map,
 * so the timing does not depend on an image. Optionally writes every map
 * (method-major, then class, [h*w] float32) to compare two builds.
 *
 * Not built by meson; against a build directory B:
 *   cc -O2 -DHAVE_ALL_CLASSES -o /tmp/bench-baselines tools/mcam-bench-baselines.c -Iinclude \
 *      B/src/core/libmcam.a $(pkg-config --cflags --libs gio-2.0 gdk-pixbuf-2.0 \
 *      json-glib-1.0 cairo) -lopenblas -lm [-ldnnl -fopenmp: a core built with oneDNN]
 *   /tmp/bench-baselines tools/out/resnet18.safetensors [REPEATS [MAPS.bin]] */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "mcam/mcam-blas.h"
#include "mcam/mcam-cam.h"

static double
cpu_ms (void)
{
  struct timespec t;
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int
main (int argc, char **argv)
{
  const McamMethod methods[] = { MCAM_METHOD_GRADCAM, MCAM_METHOD_GRADCAM_PP,
                                 MCAM_METHOD_HIRESCAM, MCAM_METHOD_XGRADCAM,
                                 MCAM_METHOD_LAYERCAM, MCAM_METHOD_EIGENGRADCAM,
                                 MCAM_METHOD_EIGENCAM };
  g_autoptr(GError) error = NULL;
  g_autoptr(McamNet) net = NULL;
  g_autoptr(McamAnalysis) a = NULL;
  g_autofree float *f = NULL;
  g_autoptr(GRand) rng = NULL;
  FILE *dump = NULL;
  int reps;
  double total = 0.0, total_all = 0.0;

  if (argc < 2)
    {
      fprintf (stderr, "usage: %s MODEL.safetensors [REPEATS [MAPS.bin]]\n", argv[0]);
      return 2;
    }
  mcam_blas_ensure_fast_core (argc, argv);
  mcam_blas_set_threads (1);
  net = mcam_net_load (argv[1], &error);
  if (net == NULL)
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }
  reps = argc > 2 ? MAX (atoi (argv[2]), 1) : 3;
  if (argc > 3 && (dump = fopen (argv[3], "wb")) == NULL)
    {
      fprintf (stderr, "cannot write %s\n", argv[3]);
      return 1;
    }

  const McamNetInfo *info = mcam_net_get_info (net);
  gsize n = (gsize) info->feat_c * info->feat_h * info->feat_w;
  f = g_new (float, n);
  rng = g_rand_new_with_seed (7);
  for (gsize i = 0; i < n; i++)
    {
      double v = g_rand_double_range (rng, -1.0, 2.0);
      f[i] = v > 0.0 ? (float) (v * v) : 0.0f;
    }
  a = mcam_analysis_new_from_features (net, NULL, f);

  for (guint m = 0; m < G_N_ELEMENTS (methods); m++)
    {
      double best = INFINITY;
      for (int r = 0; r < reps; r++)
        {
          double t0 = cpu_ms (), t;
          for (int k = 0; k < a->n_classes; k++)
            {
              g_autoptr(McamExplanation) e = mcam_explain (a, k, methods[m], NULL, NULL, &error);
              if (e == NULL)
                {
                  fprintf (stderr, "%s\n", error->message);
                  return 1;
                }
              if (dump && r == 0)
                fwrite (e->map, sizeof (float), (gsize) e->h * e->w, dump);
            }
          t = cpu_ms () - t0;
          best = MIN (best, t);
        }
      double best_all = NAN;
#ifdef HAVE_ALL_CLASSES
      best_all = INFINITY;
      for (int r = 0; r < reps; r++)
        {
          double t0 = cpu_ms (), t;
          g_autoptr(GPtrArray) all = mcam_explain_all_classes (a, methods[m], NULL, NULL, &error);
          if (all == NULL)
            {
              fprintf (stderr, "%s\n", error->message);
              return 1;
            }
          g_clear_pointer (&all, g_ptr_array_unref);
          t = cpu_ms () - t0;
          best_all = MIN (best_all, t);
        }
#endif
      if (methods[m] != MCAM_METHOD_EIGENCAM)
        {
          total += best;
          total_all += best_all;
        }
      printf ("%-14s %9.2f ms one by one, %9.2f ms all at once  (%d classes, best of %d, "
              "CPU time)\n", mcam_method_get_name (methods[m]), best, best_all, a->n_classes,
              reps);
    }
  printf ("%-14s %9.2f ms one by one, %9.2f ms all at once  (the six gradient-based "
          "methods; EigenCAM not counted)\n", "total", total, total_all);
  if (dump)
    fclose (dump);
  return 0;
}
