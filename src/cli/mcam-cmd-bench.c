/* SPDX-License-Identifier: GPL-3.0-or-later */
/* mcam bench --model MODEL [--batch B] [--runs R] [--threads T] [--json]
 *
 * Times the backbone forward pass (features and logits) on a fixed random
 * batch, and puts the speed in context: GFLOP/s, and the share of this
 * machine's sgemm peak, measured right after the passes. */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mcam-cli.h"

static double
now_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

/* CPU time of the whole process (all threads): on a shared, loaded machine
 * the work done is a steadier figure than the wall-clock time. */
static double
cpu_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

/* A large square sgemm: what this BLAS, core and thread count can do at
 * most, measured now: as many as there are timed passes, right after them,
 * so that on a shared machine the forward and its reference meet about the
 * same load (pass r is set against probe r; the median share reported).
 * Not between the passes: its 28 MB flushed the caches before each one,
 * which ONNX Runtime's and PyTorch's back-to-back passes (tools/bench_ort)
 * never pay: MobileNetV3-Large took 6.9 ms CPU a forward so, 5.6-6.2 ms
 * back to back. */
typedef struct
{
  int    n;
  float *a, *b, *c;
} SgemmProbe;

static void
probe_init (SgemmProbe *p)
{
  gsize nn;

  p->n = 1536;
  nn = (gsize) p->n * p->n;
  p->a = g_new (float, nn);
  p->b = g_new (float, nn);
  p->c = g_new0 (float, nn);
  for (gsize i = 0; i < nn; i++)
    {
      p->a[i] = (float) ((i * 7 + 3) % 13) / 13.0f - 0.5f;
      p->b[i] = (float) ((i * 5 + 1) % 11) / 11.0f - 0.5f;
    }
}

static void
probe_clear (SgemmProbe *p)
{
  g_free (p->a);
  g_free (p->b);
  g_free (p->c);
}

/* GFLOP/s of one sgemm */
static double
probe_run (SgemmProbe *p)
{
  int n = p->n;
  double t = now_ms ();

  mcam_sgemm (FALSE, FALSE, n, n, n, 1.0f, p->a, n, p->b, n, 0.0f, p->c, n);
  t = now_ms () - t;
  return 2.0 * n * (double) n * n / (t * 1e-3) / 1e9;
}

int
mcam_cmd_bench (int argc, char **argv)
{
  g_autofree char *model = NULL;
  int batch = 1, runs = 10, threads = 0, warmup = 2;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model, "Model file (ONNX or safetensors)", "MODEL" },
    { "batch", 'b', 0, G_OPTION_ARG_INT, &batch, "Images per forward pass (default 1)", "B" },
    { "runs", 'r', 0, G_OPTION_ARG_INT, &runs, "Timed forward passes (default 10)", "R" },
    { "warmup", 0, 0, G_OPTION_ARG_INT, &warmup, "Untimed passes first (default 2)", "N" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads,
      "BLAS threads (default: OpenBLAS's choice)", "T" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print one JSON document", NULL },
    MCAM_CLI_CLASSES_OPTION,
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- time the backbone forward pass");
  g_autoptr (GError) error = NULL;
  g_autoptr (McamNet) net = NULL;
  g_autoptr (McamTensor) input = NULL;
  g_autofree double *times = NULL, *cpu = NULL, *share = NULL;
  SgemmProbe probe;
  const McamNetInfo *info;
  GRand *rng;
  double flops, median, gflops, peak;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!mcam_cli_parse (ctx, &argc, &argv))
    return MCAM_EXIT_USAGE;
  if (model == NULL || argc > 1 || batch < 1 || batch > 4096 || runs < 1 || runs > 100000 ||
      warmup < 0 || threads < 0 || threads > 1024)
    {
      fprintf (stderr, "mcam bench: %s\n",
               model == NULL ? "--model MODEL is required"
               : argc > 1    ? "unexpected argument (the model goes after --model)"
                             : "--batch, --runs, --warmup and --threads must be positive");
      return MCAM_EXIT_USAGE;
    }
  if (threads > 0)
    mcam_blas_set_threads (threads);

  net = mcam_net_load (model, &error);
  if (net == NULL)
    return mcam_cli_fail ("bench", error);
  if (!mcam_cli_apply_classes (net, &error))
    return mcam_cli_fail ("bench", error);
  mcam_cli_warn_metadata (model, net);
  info = mcam_net_get_info (net);

  /* a fixed pseudo-random batch: timing must not depend on the data, but
   * all-zero inputs would make every ReLU trivially sparse */
  input = mcam_tensor_new_4d (batch, 3, info->preprocess.height, info->preprocess.width);
  rng = g_rand_new_with_seed (42);
  for (gsize i = 0; i < input->n; i++)
    input->data[i] = (float) g_rand_double_range (rng, -2.0, 2.0);
  g_rand_free (rng);

  times = g_new (double, runs);
  cpu = g_new (double, runs);
  share = g_new (double, runs);
  flops = mcam_net_flops (net) * batch;
  probe_init (&probe);
  probe_run (&probe);   /* warms up the BLAS threads and buffers */
  peak = 0.0;
  for (int r = -warmup; r < runs; r++)
    {
      g_autoptr (McamTensor) f = NULL, logits = NULL;
      double t = now_ms (), c = cpu_ms ();

      if (!mcam_net_forward (net, input, &f, &logits, NULL, &error))
        {
          probe_clear (&probe);
          return mcam_cli_fail ("bench", error);
        }
      if (r >= 0)
        {
          times[r] = now_ms () - t;
          cpu[r] = cpu_ms () - c;
        }
    }
  for (int r = 0; r < runs; r++)
    {
      double p = probe_run (&probe);

      peak = MAX (peak, p);
      share[r] = flops / (times[r] * 1e-3) / 1e9 / p;
    }
  probe_clear (&probe);
  qsort (times, runs, sizeof (double), cmp_double);
  qsort (cpu, runs, sizeof (double), cmp_double);
  qsort (share, runs, sizeof (double), cmp_double);
  median = runs % 2 ? times[runs / 2] : 0.5 * (times[runs / 2 - 1] + times[runs / 2]);
  gflops = flops / (median * 1e-3) / 1e9;

  if (json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "model");
      json_builder_add_string_value (b, model);
      json_builder_set_member_name (b, "arch");
      json_builder_add_string_value (b, info->arch);
      json_builder_set_member_name (b, "input");
      json_builder_begin_array (b);
      json_builder_add_int_value (b, info->preprocess.width);
      json_builder_add_int_value (b, info->preprocess.height);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "batch");
      json_builder_add_int_value (b, batch);
      json_builder_set_member_name (b, "runs");
      json_builder_add_int_value (b, runs);
      json_builder_set_member_name (b, "threads");
      json_builder_add_int_value (b, mcam_blas_get_threads ());
      json_builder_set_member_name (b, "blas_core");
      json_builder_add_string_value (b, mcam_blas_get_core ());
      mcam_json_set_double (b, "median_ms", median);
      mcam_json_set_double (b, "min_ms", times[0]);
      mcam_json_set_double (b, "max_ms", times[runs - 1]);
      mcam_json_set_double (b, "cpu_ms", cpu[runs / 2]);
      json_builder_set_member_name (b, "times_ms");
      json_builder_begin_array (b);
      for (int r = 0; r < runs; r++)
        mcam_json_add_double (b, times[r]);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "cpu_times_ms");
      json_builder_begin_array (b);
      for (int r = 0; r < runs; r++)
        mcam_json_add_double (b, cpu[r]);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "peak_shares");
      json_builder_begin_array (b);
      for (int r = 0; r < runs; r++)
        mcam_json_add_double (b, share[r]);
      json_builder_end_array (b);
      mcam_json_set_double (b, "gflop_per_forward", flops / 1e9);
      mcam_json_set_double (b, "gflops", gflops);
      mcam_json_set_double (b, "sgemm_peak_gflops", peak);
      mcam_json_set_double (b, "peak_share", share[runs / 2]);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      mcam_cli_print_json (root);
    }
  else
    {
      printf ("Model:        %s (%s, %dx%d)\n", model, info->arch, info->preprocess.width,
              info->preprocess.height);
      printf ("Batch:        %d, %d runs (+%d warm-up), %d BLAS threads, core %s\n", batch, runs,
              warmup, mcam_blas_get_threads (), mcam_blas_get_core ());
      printf ("Forward:      median %.2f ms, min %.2f ms, max %.2f ms (%.2f ms per image)\n",
              median, times[0], times[runs - 1], median / batch);
      printf ("CPU time:     median %.2f ms per forward (all threads)\n", cpu[runs / 2]);
      printf ("Throughput:   %.1f GFLOP/s (%.2f GFLOP per forward)\n", gflops, flops / 1e9);
      printf ("sgemm peak:   %.1f GFLOP/s (best 1536^3 sgemm, one per pass after the passes); a "
              "pass reaches %.0f%% of its sgemm (median)\n", peak,
              100.0 * share[runs / 2]);
    }
  return MCAM_EXIT_OK;
}
