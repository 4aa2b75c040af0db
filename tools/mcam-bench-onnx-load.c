/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The ONNX reader's cost on a real model: wall and CPU time of
 * mcam_onnx_model_load () (read the file + parse), of copying every FLOAT
 * initializer out into aligned memory (what building the graph does), best
 * of R runs, and the process's peak RSS (the file in memory + the parsed
 * structs + one copy of the weights). See src/core/io/ONNX.md.
 *
 * Not built by meson; against a build directory B:
 *   cc -O2 -o /tmp/bench-onnx-load tools/mcam-bench-onnx-load.c -Iinclude -Isrc/core/io -IB \
 *      B/src/core/libmcam.a $(pkg-config --cflags --libs gio-2.0 gdk-pixbuf-2.0 \
 *      json-glib-1.0 cairo) -lopenblas -lm [-ldnnl -fopenmp: a core built with oneDNN]
 *   /tmp/bench-onnx-load MODEL.onnx [REPEATS] */

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "mcam/mcam-blas.h"
#include "mcam-onnx.h"

static double
now_ms (clockid_t clock)
{
  struct timespec t;
  clock_gettime (clock, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int
main (int argc, char **argv)
{
  int repeats = argc > 2 ? atoi (argv[2]) : 5;
  double best_parse = 1e30, best_parse_cpu = 1e30, best_copy = 1e30;
  guint64 weight_bytes = 0;
  struct rusage ru;

  mcam_blas_ensure_fast_core (argc, argv);
  if (argc < 2)
    {
      fprintf (stderr, "usage: %s MODEL.onnx [REPEATS]\n", argv[0]);
      return 2;
    }
  for (int r = 0; r < repeats; r++)
    {
      GError *error = NULL;
      double t0 = now_ms (CLOCK_MONOTONIC), c0 = now_ms (CLOCK_PROCESS_CPUTIME_ID), t1, c1, t2;
      McamOnnxModel *m = mcam_onnx_model_load (argv[1], &error);
      float **copies;

      if (m == NULL)
        {
          fprintf (stderr, "%s\n", error->message);
          return 1;
        }
      t1 = now_ms (CLOCK_MONOTONIC);
      c1 = now_ms (CLOCK_PROCESS_CPUTIME_ID);
      copies = g_new0 (float *, m->n_initializers);
      weight_bytes = 0;
      for (guint i = 0; i < m->n_initializers; i++)
        if (m->initializers[i].dtype == MCAM_ONNX_DTYPE_FLOAT)
          {
            copies[i] = g_new (float, MAX (m->initializers[i].n_elements, 1));
            if (!mcam_onnx_tensor_get_floats (&m->initializers[i], copies[i], &error))
              {
                fprintf (stderr, "%s\n", error->message);
                return 1;
              }
            weight_bytes += (guint64) m->initializers[i].n_elements * 4;
          }
      t2 = now_ms (CLOCK_MONOTONIC);
      best_parse = MIN (best_parse, t1 - t0);
      best_parse_cpu = MIN (best_parse_cpu, c1 - c0);
      best_copy = MIN (best_copy, t2 - t1);
      if (r == repeats - 1)
        printf ("%s: %u nodes, %u initializers, %.1f MB of FLOAT weights\n", argv[1],
                m->n_nodes, m->n_initializers, weight_bytes / 1e6);
      for (guint i = 0; i < m->n_initializers; i++)
        g_free (copies[i]);
      g_free (copies);
      mcam_onnx_model_free (m);
    }
  getrusage (RUSAGE_SELF, &ru);
  printf ("load (read + parse): %.1f ms wall, %.1f ms CPU; weights copied out: %.1f ms "
          "(best of %d)\npeak RSS %.1f MB (%.2f x the weights)\n",
          best_parse, best_parse_cpu, best_copy, repeats, ru.ru_maxrss / 1024.0,
          ru.ru_maxrss * 1024.0 / (double) weight_bytes);
  return 0;
}
