/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The memory module at inference (DESIGN 4.3-4.7): every read-out against an
 * independent PyTorch implementation (tools/make_memory_fixtures.py, float64)
 * within 1e-4, Algorithm 1 on a hand-made memory whose answer is known, the
 * maps on an analytic case, save/load, and health on hand-made memories. */

#include "config.h"

#include <math.h>
#include <string.h>
#include <glib/gstdio.h>

#include "mcam/mcam.h"
#include "mcam/mcam-health.h"
#include "mcam-test-util.h"

#define TOL 1e-4

static McamMemory *
load_tiny (void)
{
  g_autofree char *path = mcam_test_fixture ("memory-tiny.safetensors");
  g_autoptr(GError) error = NULL;
  McamMemory *mem = mcam_memory_load (path, NULL, &error);
  g_assert_no_error (error);
  return mem;
}

static McamSafetensors *
open_expected (void)
{
  g_autofree char *path = mcam_test_fixture ("memory-tiny-expected.safetensors");
  g_autoptr(GError) error = NULL;
  McamSafetensors *st = mcam_safetensors_open (path, &error);
  g_assert_no_error (error);
  return st;
}

static McamTensor *
expected (McamSafetensors *st, const char *name)
{
  g_autoptr(GError) error = NULL;
  McamTensor *t = mcam_safetensors_read (st, name, 0, NULL, &error);
  g_assert_no_error (error);
  return t;
}

static void
assert_close (const char *what, const float *got, const float *want, gsize n)
{
  double err = mcam_test_rel_error (got, want, n, 1e-6);
  if (err > TOL)
    g_error ("%s: relative error %g > %g", what, err, TOL);
}

static void
test_load (void)
{
  g_autoptr(McamMemory) mem = load_tiny ();

  g_assert_cmpint (mem->n_slots, ==, 5);
  g_assert_cmpint (mem->c, ==, 6);
  g_assert_cmpint (mem->h, ==, 3);
  g_assert_cmpint (mem->w, ==, 4);
  g_assert_cmpint (mem->n_classes, ==, 4);
  g_assert_cmpfloat (mem->scale, ==, 10.0f);
  g_assert_cmpstr (g_hash_table_lookup (mem->metadata, "mcam.memory.init"), ==, "random");

  g_autofree char *path = mcam_test_fixture ("memory-tiny.safetensors");
  g_assert_true (mcam_memory_has_memory (path));
}

/* q, p, p_s, v, z, p', slot classes, similarity maps, both map weightings,
 * and Δ of Algorithm 1 (same generator re-implemented in Python). */
static void
test_inference (void)
{
  g_autoptr(McamMemory) mem = load_tiny ();
  g_autoptr(McamSafetensors) st = open_expected ();
  int N = mem->n_slots, c = mem->c, C = mem->n_classes;
  gsize hw = (gsize) mem->h * mem->w;
  int slot = atoi (mcam_safetensors_get_metadata (st, "slot"));
  guint64 seed = g_ascii_strtoull (mcam_safetensors_get_metadata (st, "seed"), NULL, 10);
  int draws = atoi (mcam_safetensors_get_metadata (st, "draws"));

  g_autoptr(McamTensor) F = expected (st, "features");
  g_autoptr(McamTensor) Q = expected (st, "q");
  g_autoptr(McamTensor) P = expected (st, "p");
  g_autoptr(McamTensor) PS = expected (st, "p_s");
  g_autoptr(McamTensor) Vv = expected (st, "v");
  g_autoptr(McamTensor) Z = expected (st, "z");
  g_autoptr(McamTensor) PV = expected (st, "p_value");
  g_autoptr(McamTensor) SC = expected (st, "slot_class");
  g_autoptr(McamTensor) SP = expected (st, "slot_peak");
  g_autoptr(McamTensor) SIM = expected (st, "similarity");
  g_autoptr(McamTensor) WM = expected (st, "mcam_weights");
  g_autoptr(McamTensor) MM = expected (st, "mcam_map");
  g_autoptr(McamTensor) WP = expected (st, "profile_weights");
  g_autoptr(McamTensor) MP = expected (st, "profile_map");
  g_autoptr(McamTensor) D = expected (st, "delta");
  g_autoptr(McamTensor) SL = expected (st, "slot");
  int B = (int) F->shape[0];

  g_autofree float *q = g_new (float, c);
  g_autofree float *p = g_new (float, N);
  g_autofree float *p_s = g_new (float, N);
  g_autofree float *v = g_new (float, c);
  g_autofree float *z = g_new (float, C);
  g_autofree float *map = g_new (float, hw);
  g_autofree float *wts = g_new (float, c);
  g_autofree float *delta = g_new (float, N);

  for (int b = 0; b < B; b++)
    {
      const float *f = F->data + (gsize) b * c * hw;
      mcam_memory_query (mem, f, q);
      assert_close ("q", q, Q->data + b * c, c);
      mcam_memory_key_address (mem, q, p);
      assert_close ("p", p, P->data + b * N, N);
      mcam_memory_spatial_address (mem, f, p_s);
      assert_close ("p_s", p_s, PS->data + b * N, N);
      mcam_memory_read (mem, p, v);
      assert_close ("v", v, Vv->data + b * c, c);
      mcam_memory_classify (mem, v, q, z);
      assert_close ("z", z, Z->data + b * C, C);

      mcam_memory_slot_similarity (mem, f, slot, map);
      assert_close ("slot similarity", map, SIM->data + b * hw, hw);
      mcam_memory_mcam_weights (mem, f, slot, 1.0f, wts);
      assert_close ("mcam weights", wts, WM->data + b * c, c);
      mcam_weighted_channel_sum (f, wts, c, mem->h, mem->w, map);
      assert_close ("mcam map", map, MM->data + b * hw, hw);
      mcam_memory_profile_weights (mem, slot, 1.0f, wts);
      assert_close ("profile weights", wts, WP->data, c);
      mcam_weighted_channel_sum (f, wts, c, mem->h, mem->w, map);
      assert_close ("profile map", map, MP->data + b * hw, hw);

      for (int k = 0; k < C; k++)
        {
          int n = mcam_memory_search_slot (mem, q, k, seed, draws, delta);
          assert_close ("delta", delta, D->data + ((gsize) b * C + k) * N, N);
          g_assert_cmpint (n, ==, (int) SL->data[b * C + k]);
        }
    }

  g_autofree float *m = mcam_memory_class_slot_matrix (mem);
  assert_close ("class x slot p'", m, PV->data, (gsize) C * N);
  for (int k = 0; k < C; k++)
    {
      mcam_memory_value_address (mem, k, p);
      assert_close ("p' of a class", p, PV->data + k * N, N);
    }
  g_autofree int *sc = g_new (int, N);
  g_autofree float *peak = g_new (float, N);
  mcam_memory_slot_classes (mem, sc, peak);
  for (int i = 0; i < N; i++)
    g_assert_cmpint (sc[i], ==, (int) SC->data[i]);
  assert_close ("slot peak", peak, SP->data, N);
}

/* A memory whose answer is known: q = (e0 + e2)/√2 addresses slots 0 and 2
 * half and half; class 0 reads component 0 of v (slot 0's value), class 1
 * component 2 (slot 2's). Taking slot 0's key away moves its mass to slot 2,
 * so class 0 loses most from slot 0, class 1 from slot 2. c = 32 keeps the
 * noise key nearly orthogonal to q. */
static McamMemory *
make_known_memory (void)
{
  int N = 3, c = 32, C = 2;
  McamMemory *mem = mcam_memory_new (N, c, 2, 2, C, 10.0f);
  for (int i = 0; i < N; i++)
    {
      mem->K[i * c + i] = 1.0f;
      mem->V[i * c + i] = 1.0f;
    }
  mem->fc_w[0 * 2 * c + 0] = 1.0f;   /* z_0 = v_0 */
  mem->fc_w[1 * 2 * c + 2] = 1.0f;   /* z_1 = v_2 */
  return mem;
}

static void
test_search_known (void)
{
  g_autoptr(McamMemory) mem = make_known_memory ();
  int c = mem->c, N = mem->n_slots;
  g_autofree float *q = g_new0 (float, c);
  g_autofree float *d1 = g_new (float, N);
  g_autofree float *d2 = g_new (float, N);
  g_autofree float *d3 = g_new (float, N);

  q[0] = q[2] = (float) (1.0 / G_SQRT2);
  for (guint64 seed = 0; seed < 20; seed++)
    {
      g_assert_cmpint (mcam_memory_search_slot (mem, q, 0, seed, 1, d1), ==, 0);
      g_assert_cmpint (mcam_memory_search_slot (mem, q, 1, seed, 1, d1), ==, 2);
      g_assert_cmpint (mcam_memory_search_slot (mem, q, 1, seed, 4, d1), ==, 2);
    }
  /* Class 0 on slot 0: z_0 = p_0 ≈ 0.5 falls to ≈ 0, Δ_0 ≈ 0.5; removing
   * slot 2 raises p_0, so Δ_2 < 0; slot 1 barely matters (a noise key gets e^{10 cos} of weight, cos ~ 0.2). */
  mcam_memory_search_slot (mem, q, 0, 42, 1, d1);
  g_assert_cmpfloat (d1[0], >, 0.4f);
  g_assert_cmpfloat (d1[2], <, -0.4f);
  g_assert_cmpfloat (fabsf (d1[1]), <, 0.05f);

  /* Determinism: the same seed gives the same Δ bit for bit; another seed
   * other noise; the noise of a slot does not depend on the class. */
  mcam_memory_search_slot (mem, q, 0, 42, 3, d1);
  mcam_memory_search_slot (mem, q, 0, 42, 3, d2);
  g_assert_cmpmem (d1, sizeof (float) * N, d2, sizeof (float) * N);
  mcam_memory_search_slot (mem, q, 0, 43, 3, d3);
  g_assert_true (memcmp (d1, d3, sizeof (float) * N) != 0);
}

/* f: 2 channels on 2x2; the slot equals f, so τ_k = 1 and w_k = e; the map
 * is e·(f0 + f1) after the ReLU. Profile: slot means (1,0) and (0,1) give
 * d = (0.5,-0.5), sample std √0.5, z = ±√2/2, w = (e^{√2/2}, e^{-√2/2}). */
static void
test_map_analytic (void)
{
  McamMemory *mem = mcam_memory_new (2, 2, 2, 2, 1, 1.0f);
  float f[8] = { 1, 2, 0, 3,     0.5f, -4, 1, 0 };
  float map[4], w[2];

  memcpy (mem->S, f, sizeof f);              /* slot 0 = f */
  mcam_memory_mcam_weights (mem, f, 0, 1.0f, w);
  g_assert_cmpfloat_with_epsilon (w[0], expf (1.0f), 1e-5);
  g_assert_cmpfloat_with_epsilon (w[1], expf (1.0f), 1e-5);
  gboolean any = mcam_weighted_channel_sum (f, w, 2, 2, 2, map);
  g_assert_true (any);
  float e = expf (1.0f);
  float want[4] = { e * 1.5f, 0.0f, e * 1.0f, e * 3.0f };
  for (int j = 0; j < 4; j++)
    g_assert_cmpfloat_with_epsilon (map[j], want[j], 1e-5);

  /* T = 2 halves τ: w = e^0.5 */
  mcam_memory_mcam_weights (mem, f, 0, 2.0f, w);
  g_assert_cmpfloat_with_epsilon (w[0], expf (0.5f), 1e-5);

  for (int j = 0; j < 4; j++)
    {
      mem->S[0 * 8 + 0 * 4 + j] = 1.0f;   /* slot 0: channel 0 mean 1, channel 1 mean 0 */
      mem->S[0 * 8 + 1 * 4 + j] = 0.0f;
      mem->S[1 * 8 + 0 * 4 + j] = 0.0f;   /* slot 1: (0, 1) */
      mem->S[1 * 8 + 1 * 4 + j] = 1.0f;
    }
  float zp = (float) (1.0 / G_SQRT2);
  mcam_memory_profile_weights (mem, 0, 1.0f, w);
  g_assert_cmpfloat_with_epsilon (w[0], expf (zp), 1e-5);
  g_assert_cmpfloat_with_epsilon (w[1], expf (-zp), 1e-5);
  mcam_memory_profile_weights (mem, 1, 1.0f, w);
  g_assert_cmpfloat_with_epsilon (w[0], expf (-zp), 1e-5);

  /* Everything negative: the ReLU leaves nothing, and says so. */
  float neg[8] = { -1, -1, -1, -1, -1, -1, -1, -1 };
  g_assert_false (mcam_weighted_channel_sum (neg, w, 2, 2, 2, map));
  for (int j = 0; j < 4; j++)
    g_assert_cmpfloat (map[j], ==, 0.0f);
  mcam_memory_free (mem);
}

static void
test_save_load (void)
{
  g_autoptr(McamMemory) mem = load_tiny ();
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("mcam-memory-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *path = g_build_filename (dir, "mem.safetensors", NULL);

  mem->scale = 3.5f;
  g_hash_table_insert (mem->metadata, g_strdup ("mcam.memory.backbone"), g_strdup ("abc123"));
  g_assert_true (mcam_memory_save (mem, path, &error));
  g_assert_no_error (error);

  g_autoptr(McamMemory) back = mcam_memory_load (path, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (back->n_slots, ==, mem->n_slots);
  g_assert_cmpfloat (back->scale, ==, 3.5f);
  gsize chw = (gsize) mem->c * mem->h * mem->w;
  g_assert_cmpmem (back->S, sizeof (float) * mem->n_slots * chw,
                   mem->S, sizeof (float) * mem->n_slots * chw);
  g_assert_cmpmem (back->K, sizeof (float) * mem->n_slots * mem->c,
                   mem->K, sizeof (float) * mem->n_slots * mem->c);
  g_assert_cmpmem (back->G2_w, sizeof (float) * mem->c * mem->c,
                   mem->G2_w, sizeof (float) * mem->c * mem->c);
  g_assert_cmpmem (back->fc_w, sizeof (float) * mem->n_classes * 2 * mem->c,
                   mem->fc_w, sizeof (float) * mem->n_classes * 2 * mem->c);
  g_assert_cmpstr (g_hash_table_lookup (back->metadata, "mcam.memory.backbone"), ==, "abc123");
  g_assert_cmpstr (g_hash_table_lookup (back->metadata, "mcam.memory.init"), ==, "random");

  g_autoptr(McamMemory) copy = mcam_memory_copy (back);
  g_assert_cmpmem (copy->V, sizeof (float) * mem->n_slots * mem->c,
                   mem->V, sizeof (float) * mem->n_slots * mem->c);

  g_remove (path);
  g_rmdir (dir);
}

/* Files that are not a usable memory are refused with a message naming them. */
static void
test_load_errors (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *expected = mcam_test_fixture ("memory-tiny-expected.safetensors");

  g_assert_null (mcam_memory_load (expected, NULL, &error));
  g_assert_error (error, MCAM_ERROR, MCAM_ERROR_SHAPE);
  g_assert_nonnull (strstr (error->message, "memory-tiny-expected.safetensors"));
  g_assert_false (mcam_memory_has_memory (expected));
  g_clear_error (&error);

  g_assert_null (mcam_memory_load ("/nonexistent/mem.safetensors", NULL, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);

  /* Forged files: a wrong shape, a missing tensor, a NaN. Each names the tensor. */
  g_autoptr(McamMemory) mem = load_tiny ();
  g_autofree char *dir = g_dir_make_tmp ("mcam-memory-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *path = g_build_filename (dir, "bad.safetensors", NULL);
  int N = mem->n_slots, c = mem->c, C = mem->n_classes;
  for (int variant = 0; variant < 3; variant++)
    {
      g_autoptr(McamSafetensorsWriter) wr = mcam_safetensors_writer_new ();
      g_autofree float *K = g_memdup2 (mem->K, sizeof (float) * N * c);
      if (variant == 2)
        K[3] = NAN;
      mcam_safetensors_writer_add (wr, "memory.S", 4,
                                   (gint64[]) { N, c, mem->h, mem->w }, mem->S);
      mcam_safetensors_writer_add (wr, "memory.K", 2, (gint64[]) { N, c }, K);
      mcam_safetensors_writer_add (wr, "memory.V", 2, (gint64[]) { N, c }, mem->V);
      mcam_safetensors_writer_add (wr, "memory.G.0.weight", 2, (gint64[]) { c, C }, mem->G0_w);
      mcam_safetensors_writer_add (wr, "memory.G.0.bias", 1, (gint64[]) { c }, mem->G0_b);
      if (variant == 0)
        mcam_safetensors_writer_add (wr, "memory.G.2.weight", 2, (gint64[]) { c, c - 1 },
                                     mem->G2_w);
      else
        mcam_safetensors_writer_add (wr, "memory.G.2.weight", 2, (gint64[]) { c, c }, mem->G2_w);
      mcam_safetensors_writer_add (wr, "memory.G.2.bias", 1, (gint64[]) { c }, mem->G2_b);
      if (variant != 1)
        mcam_safetensors_writer_add (wr, "memory.fc.weight", 2, (gint64[]) { C, 2 * c },
                                     mem->fc_w);
      mcam_safetensors_writer_add (wr, "memory.fc.bias", 1, (gint64[]) { C }, mem->fc_b);
      g_assert_true (mcam_safetensors_writer_save (wr, path, &error));
      g_assert_no_error (error);

      g_assert_null (mcam_memory_load (path, NULL, &error));
      g_assert_nonnull (error);
      g_assert_nonnull (strstr (error->message, "bad.safetensors"));
      const char *tensor = variant == 0 ? "memory.G.2.weight"
                           : variant == 1 ? "memory.fc.weight" : "memory.K";
      if (strstr (error->message, tensor) == NULL)
        g_error ("variant %d: “%s” does not name %s", variant, error->message, tensor);
      g_clear_error (&error);
    }
  g_remove (path);
  g_rmdir (dir);
}


/* The whole path on a real (tiny) backbone: the C engine's features feed the
 * memory; every read-out and map against PyTorch on the same inputs. */
static void
test_analysis_bottleneck (void)
{
  g_autofree char *net_path = mcam_test_fixture ("net-bottleneck.safetensors");
  g_autofree char *mem_path = mcam_test_fixture ("memory-bottleneck.safetensors");
  g_autofree char *in_path = mcam_test_fixture ("net-bottleneck-expected.safetensors");
  g_autofree char *exp_path = mcam_test_fixture ("memory-bottleneck-expected.safetensors");
  g_autoptr(GError) error = NULL;

  g_autoptr(McamNet) net = mcam_net_load (net_path, &error);
  g_assert_no_error (error);
  g_autoptr(McamMemory) mem = mcam_memory_load (mem_path, net, &error);
  g_assert_no_error (error);
  g_autoptr(McamSafetensors) in = mcam_safetensors_open (in_path, &error);
  g_assert_no_error (error);
  g_autoptr(McamSafetensors) st = mcam_safetensors_open (exp_path, &error);
  g_assert_no_error (error);
  g_autoptr(McamTensor) X = expected (in, "input");
  g_autoptr(McamTensor) P = expected (st, "p");
  g_autoptr(McamTensor) PS = expected (st, "p_s");
  g_autoptr(McamTensor) Z = expected (st, "z");
  g_autoptr(McamTensor) PV = expected (st, "p_value");
  g_autoptr(McamTensor) MM = expected (st, "mcam_maps");
  g_autoptr(McamTensor) MP = expected (st, "profile_maps");
  g_autoptr(McamTensor) CM = expected (st, "cam_maps");
  int B = (int) X->shape[0], N = mem->n_slots, C = mem->n_classes;
  gsize hw = (gsize) mem->h * mem->w, in_n = X->n / B;

  for (int b = 0; b < B; b++)
    {
      gint64 shape[4] = { 1, X->shape[1], X->shape[2], X->shape[3] };
      g_autoptr(McamTensor) x = mcam_tensor_new_view (X->data + b * in_n, 4, shape);
      g_autoptr(McamAnalysis) a = mcam_analysis_new_from_input (net, mem, x, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpint (a->n_slots, ==, N);
      assert_close ("p", a->p, P->data + b * N, N);
      assert_close ("p_s", a->p_s, PS->data + b * N, N);
      assert_close ("z", a->memory_logits, Z->data + b * C, C);

      for (int k = 0; k < C; k++)
        {
          McamExplainOptions opts;
          mcam_explain_options_init (&opts);
          opts.seed = (guint64) b * 7 + k;

          g_autoptr(McamExplanation) e = mcam_explain (a, k, MCAM_METHOD_MCAM, &opts, NULL,
                                                       &error);
          g_assert_no_error (error);
          int best = 0;
          for (int i = 1; i < N; i++)
            if (e->delta[i] > e->delta[best])
              best = i;
          g_assert_cmpint (e->slot, ==, best);
          assert_close ("p' of the class", e->p_value, PV->data + k * N, N);
          assert_close ("mcam map", e->map, MM->data + ((gsize) b * N + e->slot) * hw, hw);

          opts.slot = (k + 3) % N;    /* an imposed slot */
          g_autoptr(McamExplanation) pe = mcam_explain (a, k, MCAM_METHOD_MCAM_PROFILE, &opts,
                                                        NULL, &error);
          g_assert_no_error (error);
          g_assert_cmpint (pe->slot, ==, opts.slot);
          assert_close ("profile map", pe->map, MP->data + ((gsize) b * N + pe->slot) * hw, hw);

          g_autoptr(McamExplanation) ce = mcam_explain (a, k, MCAM_METHOD_CAM, &opts, NULL,
                                                        &error);
          g_assert_no_error (error);
          g_assert_cmpint (ce->slot, ==, -1);
          assert_close ("cam map", ce->map, CM->data + ((gsize) b * C + k) * hw, hw);
        }

      /* Bad requests are errors, not crashes. */
      g_assert_null (mcam_explain (a, C, MCAM_METHOD_MCAM, NULL, NULL, &error));
      g_assert_error (error, MCAM_ERROR, MCAM_ERROR_USAGE);
      g_clear_error (&error);
    }

  /* Without a memory the M-CAM methods say what is missing. */
  g_autoptr(McamTensor) x0 = mcam_tensor_new_view (X->data, 4,
                                                   (gint64[]) { 1, X->shape[1], X->shape[2],
                                                                X->shape[3] });
  g_autoptr(McamAnalysis) plain = mcam_analysis_new_from_input (net, NULL, x0, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (plain->p);
  g_assert_null (mcam_explain (plain, 0, MCAM_METHOD_MCAM_PROFILE, NULL, NULL, &error));
  g_assert_error (error, MCAM_ERROR, MCAM_ERROR_USAGE);
  g_assert_nonnull (strstr (error->message, "memory"));
}

/* A memory made for another backbone is refused, and the message says why. */
static void
test_mismatch (void)
{
  g_autofree char *net_path = mcam_test_fixture ("net-bottleneck.safetensors");
  g_autofree char *other = mcam_test_fixture ("memory-bottleneck-otherfp.safetensors");
  g_autofree char *tiny = mcam_test_fixture ("memory-tiny.safetensors");
  g_autoptr(GError) error = NULL;
  g_autoptr(McamNet) net = mcam_net_load (net_path, &error);
  g_assert_no_error (error);

  g_assert_null (mcam_memory_load (other, net, &error));
  g_assert_error (error, MCAM_ERROR, MCAM_ERROR_MISMATCH);
  g_assert_nonnull (strstr (error->message, "different backbone"));
  g_assert_nonnull (strstr (error->message, "memory-bottleneck-otherfp.safetensors"));
  g_clear_error (&error);

  /* Without a net the same file loads (only the shapes can be checked later). */
  g_autoptr(McamMemory) loose = mcam_memory_load (other, NULL, &error);
  g_assert_no_error (error);

  g_assert_null (mcam_memory_load (tiny, net, &error));
  g_assert_error (error, MCAM_ERROR, MCAM_ERROR_MISMATCH);
  g_assert_nonnull (strstr (error->message, "6×3×4"));
  g_clear_error (&error);

  /* The same fingerprint is accepted. */
  g_hash_table_insert (loose->metadata, g_strdup ("mcam.memory.backbone"),
                       g_strdup (mcam_net_get_info (net)->fingerprint));
  g_assert_true (mcam_memory_check_net (loose, net, other, &error));
  g_assert_no_error (error);
}

/* Two classes, two slots, c = 4, features whose channel 0 or 1 dominates:
 * p follows the image, G(e_c) addresses slot c. */
static McamMemory *
make_health_memory (gboolean use_v, float **features_out, float **labels_out, int *n_out)
{
  int N = 2, c = 4, C = 2, h = 3, w = 3, n = 16;
  gsize hw = 9;
  McamMemory *mem = mcam_memory_new (N, c, h, w, C, 10.0f);
  for (int i = 0; i < N; i++)
    {
      mem->K[i * c + i] = 1.0f;
      mem->V[i * c + i] = 1.0f;
      mem->G0_w[i * C + i] = 1.0f;            /* G(e_c) = e_c */
    }
  for (int k = 0; k < c; k++)
    mem->G2_w[k * c + k] = 1.0f;
  for (int k = 0; k < C; k++)
    {
      if (use_v)
        mem->fc_w[k * 2 * c + k] = 8.0f;       /* z_k = 8 v_k + ... */
      mem->fc_w[k * 2 * c + c + k] = 1.0f;     /* + q_k */
      mem->fc_b[k] = -2.0f;
    }
  /* S = 0: τ_k = 0 and a = 0, so both maps weigh every channel the same —
   * exactly the class-agnostic channel sum. */

  float *f = g_new0 (float, (gsize) n * c * hw);
  float *y = g_new0 (float, (gsize) n * C);
  GRand *rand = g_rand_new_with_seed (5);
  for (int i = 0; i < n; i++)
    {
      int cls = i % 2;
      y[i * C + cls] = 1.0f;
      for (int k = 0; k < c; k++)
        for (gsize j = 0; j < hw; j++)
          f[((gsize) i * c + k) * hw + j] =
            (float) g_rand_double_range (rand, 0.0, 0.3) + (k == cls ? 1.0f : 0.0f);
    }
  g_rand_free (rand);
  *features_out = f;
  *labels_out = y;
  *n_out = n;
  return mem;
}

static void
test_health_unused (void)
{
  float *f, *y;
  int n;
  g_autoptr(McamMemory) mem = make_health_memory (FALSE, &f, &y, &n);
  g_autoptr(GError) error = NULL;
  g_autoptr(McamHealth) h = mcam_health_compute (mem, f, n, y, NULL, NULL, &error);
  g_assert_no_error (error);

  g_assert_cmpfloat (h->reliance, ==, 0.0);
  g_assert_cmpfloat (h->map_drop, ==, 0.0);
  g_autofree char *verdict = mcam_health_verdict (h, NAN);
  g_assert_nonnull (strstr (verdict, "does not use the memory"));
  g_free (f);
  g_free (y);
}

static void
test_health_agnostic (void)
{
  float *f, *y;
  int n;
  g_autoptr(McamMemory) mem = make_health_memory (TRUE, &f, &y, &n);
  g_autoptr(GError) error = NULL;
  g_autoptr(McamHealth) h = mcam_health_compute (mem, f, n, y, NULL, NULL, &error);
  g_assert_no_error (error);

  /* The memory is used and sharp, every class has its own slot ... */
  g_assert_cmpfloat (h->reliance_max, >, 0.1);
  g_assert_cmpint (h->distinct_slots, ==, 2);
  g_assert_cmpint (h->unused_slots, ==, 0);
  g_assert_cmpint (h->slot_of_class[0], ==, 0);
  g_assert_cmpint (h->slot_of_class[1], ==, 1);
  g_assert_cmpfloat (h->mean_max_p, >, 0.9);
  g_assert_cmpfloat (h->entropy_p_value, <, 0.5);
  g_assert_cmpfloat (h->map_score, ==, 1.0);
  /* q alone still ranks the classes perfectly here, so mAP does not drop */
  g_assert_cmpfloat (h->map_drop, ==, 0.0);
  /* ... but both maps are the channel sum */
  g_assert_cmpfloat_with_epsilon (h->mcam_sum_r, 1.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (h->profile_sum_r, 1.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (h->mcam_between_r, 1.0, 1e-6);
  g_autofree char *verdict = mcam_health_verdict (h, NAN);
  g_assert_nonnull (strstr (verdict, "do not depend on the class"));

  /* One map shown: its own r decides */
  float map[9], sum[9];
  mcam_weighted_channel_sum (f, NULL, mem->c, 3, 3, sum);
  for (int j = 0; j < 9; j++)
    map[j] = 2.0f * sum[j] + 1.0f;
  double r = mcam_health_map_sum_r (map, f, mem->c, 3, 3);
  g_assert_cmpfloat_with_epsilon (r, 1.0, 1e-9);
  g_autofree char *v2 = mcam_health_verdict (h, r);
  g_assert_nonnull (strstr (v2, "this map does not depend on the class (r = 1.00"));

  /* Flat key addresses are named before the maps. */
  g_autoptr(McamHealth) flat = mcam_health_copy (h);
  flat->entropy_p = 0.99;
  g_autofree char *v3 = mcam_health_verdict (flat, r);
  g_assert_nonnull (strstr (v3, "key addresses are nearly uniform"));

  /* Metadata round trip */
  g_autoptr(GHashTable) meta = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  mcam_health_to_metadata (h, meta);
  g_assert_nonnull (g_hash_table_lookup (meta, "mcam.memory.health.reliance"));
  g_assert_nonnull (g_hash_table_lookup (meta, "mcam.memory.health.verdict"));
  g_autoptr(McamHealth) back = mcam_health_from_metadata (meta);
  g_assert_nonnull (back);
  g_assert_cmpfloat_with_epsilon (back->reliance, h->reliance, 1e-5 * h->reliance);
  g_assert_cmpint (back->distinct_slots, ==, 2);
  g_assert_cmpint (back->slot_of_class[1], ==, 1);

  g_autoptr(JsonNode) node = mcam_health_to_json (h);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  g_free (f);
  g_free (y);
}

static double
entropy_ref (const float *p, int n)
{
  double H = 0.0;
  for (int i = 0; i < n; i++)
    H -= p[i] > 0 ? p[i] * log (p[i]) : 0.0;
  return H / log (n);
}

/* Sharpness and reliance figures equal the same quantities computed image by
 * image with the inference functions (the health code batches p_s with sgemm
 * and gets reliance from z − fc_v v). */
static void
test_health_figures (void)
{
  g_autoptr(McamMemory) mem = load_tiny ();
  g_autoptr(McamSafetensors) st = open_expected ();
  g_autoptr(McamTensor) F = expected (st, "features");
  int B = (int) F->shape[0], N = mem->n_slots, c = mem->c, C = mem->n_classes;
  gsize chw = (gsize) c * mem->h * mem->w;
  g_autoptr(GError) error = NULL;
  g_autoptr(McamHealth) h = mcam_health_compute (mem, F->data, B, NULL, NULL, NULL, &error);
  g_assert_no_error (error);

  g_autofree float *q = g_new (float, c), *p = g_new (float, N), *p_s = g_new (float, N);
  g_autofree float *v = g_new (float, (gsize) B * c), *vbar = g_new0 (float, c);
  g_autofree float *z = g_new (float, C), *zb = g_new (float, C);
  double max_p = 0, ep = 0, eps = 0, rel = 0;
  for (int b = 0; b < B; b++)
    {
      const float *f = F->data + b * chw;
      mcam_memory_query (mem, f, q);
      mcam_memory_key_address (mem, q, p);
      mcam_memory_spatial_address (mem, f, p_s);
      mcam_memory_read (mem, p, v + b * c);
      float m = p[0];
      for (int i = 1; i < N; i++)
        m = MAX (m, p[i]);
      max_p += m / B;
      ep += entropy_ref (p, N) / B;
      eps += entropy_ref (p_s, N) / B;
      for (int k = 0; k < c; k++)
        vbar[k] += v[b * c + k] / B;
    }
  for (int b = 0; b < B; b++)
    {
      mcam_memory_query (mem, F->data + b * chw, q);
      mcam_memory_classify (mem, v + b * c, q, z);
      mcam_memory_classify (mem, vbar, q, zb);
      for (int k = 0; k < C; k++)
        rel += fabs (1.0 / (1.0 + exp (-z[k])) - 1.0 / (1.0 + exp (-zb[k]))) / (B * C);
    }
  g_assert_cmpfloat_with_epsilon (h->mean_max_p, max_p, 1e-5);
  g_assert_cmpfloat_with_epsilon (h->entropy_p, ep, 1e-5);
  g_assert_cmpfloat_with_epsilon (h->entropy_p_s, eps, 1e-5);
  g_assert_cmpfloat_with_epsilon (h->reliance, rel, 1e-5);
  g_assert_true (isnan (h->map_score));
  g_assert_cmpint (h->n_images, ==, B);
}

static void
test_pearson (void)
{
  float a[4] = { 1, 2, 3, 4 }, b[4] = { 2, 4, 6, 8 }, c[4] = { 4, 3, 2, 1 }, k[4] = { 1, 1, 1, 1 };
  g_assert_cmpfloat_with_epsilon (mcam_pearson (a, b, 4), 1.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (mcam_pearson (a, c, 4), -1.0, 1e-12);
  g_assert_true (isnan (mcam_pearson (a, k, 4)));
}

int
main (int argc, char **argv)
{
  mcam_test_init (&argc, &argv);

  g_test_add_func ("/mcam/memory/load", test_load);
  g_test_add_func ("/mcam/memory/load-errors", test_load_errors);
  g_test_add_func ("/mcam/memory/inference-vs-pytorch", test_inference);
  g_test_add_func ("/mcam/memory/search-known", test_search_known);
  g_test_add_func ("/mcam/memory/map-analytic", test_map_analytic);
  g_test_add_func ("/mcam/memory/save-load", test_save_load);
  g_test_add_func ("/mcam/memory/mismatch", test_mismatch);
  g_test_add_func ("/mcam/analysis/bottleneck", test_analysis_bottleneck);
  g_test_add_func ("/mcam/health/pearson", test_pearson);
  g_test_add_func ("/mcam/health/figures", test_health_figures);
  g_test_add_func ("/mcam/health/unused", test_health_unused);
  g_test_add_func ("/mcam/health/class-agnostic", test_health_agnostic);
  return g_test_run ();
}
