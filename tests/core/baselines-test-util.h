/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Shared by the baseline tests (test-baselines*.c): small array helpers and
 * the fixture ResNet with the inputs of its PyTorch fixture. */

#include <math.h>

#include "mcam-test-util.h"
#include "mcam/mcam.h"

static inline void
fill_random (GRand *rng, float *v, gsize n, double lo, double hi)
{
  for (gsize i = 0; i < n; i++)
    v[i] = (float) g_rand_double_range (rng, lo, hi);
}

static inline void
relu (float *v, gsize n)
{
  for (gsize i = 0; i < n; i++)
    v[i] = MAX (v[i], 0.0f);
}

/* Maps equal up to a positive scale: compare after dividing by the max. */
static inline double
scale_free_error (const float *a, const float *b, gsize n)
{
  float ma = 0.0f, mb = 0.0f;
  double err = 0.0;
  for (gsize i = 0; i < n; i++)
    {
      ma = MAX (ma, a[i]);
      mb = MAX (mb, b[i]);
    }
  g_assert_cmpfloat (ma, >, 0.0f);
  g_assert_cmpfloat (mb, >, 0.0f);
  for (gsize i = 0; i < n; i++)
    err = MAX (err, fabs (a[i] / ma - b[i] / mb));
  return err;
}

/* net-bottleneck and memory-bottleneck, and the input images their PyTorch
 * fixture (net-bottleneck-expected) was computed on, [n, 3, H, W]. */
typedef struct
{
  McamNet    *net;
  McamMemory *memory;
  McamTensor *inputs;
} BaselinesFixtureNet;

static inline void
baselines_fixture_net_open (BaselinesFixtureNet *fx)
{
  g_autofree char *net_path = mcam_test_fixture ("net-bottleneck.safetensors");
  g_autofree char *mem_path = mcam_test_fixture ("memory-bottleneck.safetensors");
  g_autofree char *exp_path = mcam_test_fixture ("net-bottleneck-expected.safetensors");
  g_autoptr(GError) error = NULL;
  g_autoptr(McamSafetensors) exp = NULL;

  fx->net = mcam_net_load (net_path, &error);
  g_assert_no_error (error);
  fx->memory = mcam_memory_load (mem_path, fx->net, &error);
  g_assert_no_error (error);
  exp = mcam_safetensors_open (exp_path, &error);
  g_assert_no_error (error);
  fx->inputs = mcam_safetensors_read (exp, "input", 0, NULL, &error);
  g_assert_no_error (error);
}

/* Image i of the inputs as a [1, 3, H, W] view. */
static inline McamTensor *
baselines_fixture_net_input (BaselinesFixtureNet *fx, int i)
{
  gint64 shape[4] = { 1, fx->inputs->shape[1], fx->inputs->shape[2], fx->inputs->shape[3] };

  return mcam_tensor_new_view (fx->inputs->data + i * (fx->inputs->n / fx->inputs->shape[0]),
                               4, shape);
}

static inline void
baselines_fixture_net_close (BaselinesFixtureNet *fx)
{
  g_clear_pointer (&fx->inputs, mcam_tensor_free);
  g_clear_pointer (&fx->memory, mcam_memory_free);
  g_clear_pointer (&fx->net, mcam_net_free);
}
