/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: explanations of adversarial memories and features. On
 * the fixture network net-bottleneck and its memory module, the input sets
 * the features f (scaled bytes, or raw float32 bit patterns: NaN, inf,
 * denormals) and overwrites some of the memory's tensors with values up to
 * 3.4e38 (finite, as the loader requires). The heads and every explanation
 * method that needs no extra forward pass run on them. Whatever happens:
 * no crash; mcam_analysis_check_finite / mcam_explanation_check_finite
 * refuse exactly the results that hold a non-finite value; an accepted map
 * is >= 0 (after the ReLU) and agrees with any_positive; and the JSON of
 * every result (mcam_json_to_string) parses strictly: no NaN or Infinity
 * token, whatever the numbers. MCAM_FIXTURES_DIR (default tests/fixtures). */

#include "config.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "mcam/mcam.h"

static McamNet *net;
static McamMemory *base;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  const char *dir = g_getenv ("MCAM_FIXTURES_DIR");
  g_autofree char *np = g_build_filename (dir ? dir : "tests/fixtures",
                                          "net-bottleneck.safetensors", NULL);
  g_autofree char *mp = g_build_filename (dir ? dir : "tests/fixtures",
                                          "memory-bottleneck.safetensors", NULL);
  g_autoptr(GError) error = NULL;

  net = mcam_net_load (np, &error);
  if (net != NULL)
    base = mcam_memory_load (mp, net, &error);
  if (base == NULL)
    g_error ("fuzz-explain needs the fixtures (set MCAM_FIXTURES_DIR): %s", error->message);
  return 0;
}

/* Value k of a stream: a signed byte times 10^e (e <= 38: finite in float). */
static float
scaled (const uint8_t *v, gsize nv, gsize k, int e)
{
  if (nv == 0)
    return 0.0f;
  float x = (float) (int8_t) v[k % nv] / 127.0f * (float) pow (10.0, e);
  return isfinite (x) ? x : (x > 0 ? 3.4e38f : -3.4e38f);
}

static gboolean
any_non_finite (const float *v, gsize n)
{
  for (gsize i = 0; v != NULL && i < n; i++)
    if (!isfinite (v[i]))
      return TRUE;
  return FALSE;
}

/* The JSON of an array: strict (digits, signs, '.', 'e', ',', brackets,
 * "null"), and as many elements as given. */
static void
check_json (const float *v, gsize n)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  mcam_json_add_floats (b, v, n);
  g_autoptr(JsonNode) root = json_builder_get_root (b);
  g_autofree char *text = mcam_json_to_string (root, FALSE, NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();

  for (const char *p = text; *p; p++)
    g_assert (strchr ("0123456789+-.eE,[]nul ", *p) != NULL);
  g_assert (json_parser_load_from_data (parser, text, -1, NULL));
  g_assert (json_array_get_length (json_node_get_array (json_parser_get_root (parser))) == n);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const McamMethod methods[] = {
    MCAM_METHOD_MCAM, MCAM_METHOD_MCAM_PROFILE, MCAM_METHOD_CAM, MCAM_METHOD_GRADCAM,
    MCAM_METHOD_GRADCAM_PP, MCAM_METHOD_HIRESCAM, MCAM_METHOD_XGRADCAM,
    MCAM_METHOD_LAYERCAM, MCAM_METHOD_EIGENCAM, MCAM_METHOD_EIGENGRADCAM,
  };
  if (size < 6)
    return 0;

  McamMemory *mem = mcam_memory_copy (base);
  gsize chw = (gsize) mem->c * mem->h * mem->w, N = (gsize) mem->n_slots;
  const uint8_t *v = data + 6;
  gsize nv = size - 6;
  int ef = data[1] % 39, em = data[2] % 39;
  float *f = g_new (float, chw);

  if (data[1] & 0x80)   /* raw float32 bit patterns */
    for (gsize i = 0; i < chw; i++)
      {
        guint32 bits = 0;
        for (int k = 0; k < 4; k++)
          bits |= (guint32) (nv ? v[(4 * i + k) % nv] : 0) << (8 * k);
        memcpy (&f[i], &bits, 4);
      }
  else
    for (gsize i = 0; i < chw; i++)
      f[i] = scaled (v, nv, i, ef);

  struct { float *p; gsize n; } tensors[] = {
    { mem->S, N * chw }, { mem->K, N * mem->c }, { mem->V, N * mem->c },
    { mem->G0_w, (gsize) mem->c * mem->n_classes }, { mem->G2_w, (gsize) mem->c * mem->c },
    { mem->fc_w, (gsize) mem->n_classes * 2 * mem->c }, { mem->fc_b, (gsize) mem->n_classes },
  };
  for (guint t = 0; t < G_N_ELEMENTS (tensors); t++)
    if (data[3] & (1u << t))
      for (gsize i = 0; i < tensors[t].n; i++)
        tensors[t].p[i] = scaled (v, nv, i + 7 * t, em);

  McamAnalysis *a = mcam_analysis_new_from_features (net, mem, f);
  GError *error = NULL;
  gboolean bad = any_non_finite (a->features, chw) || any_non_finite (a->q, mem->c) ||
                 any_non_finite (a->logits, a->n_classes) ||
                 any_non_finite (a->scores, a->n_classes) || any_non_finite (a->p, N) ||
                 any_non_finite (a->p_s, N) || any_non_finite (a->v, mem->c) ||
                 any_non_finite (a->memory_logits, a->n_classes) ||
                 any_non_finite (a->memory_scores, a->n_classes);
  gboolean ok = mcam_analysis_check_finite (a, "model.safetensors", "memory.safetensors", &error);

  g_assert (ok == !bad);
  if (!ok)
    {
      g_assert (error->domain == MCAM_ERROR && error->code == MCAM_ERROR_VALUE);
      g_assert (strstr (error->message, ".safetensors") != NULL);
      g_clear_error (&error);
    }
  check_json (a->logits, a->n_classes);
  check_json (a->memory_scores, a->n_classes);
  check_json (a->p, N);

  /* The methods run even on a refused analysis (the app may call them): no
   * crash, and their own results are checked the same way. */
  McamExplainOptions opts;
  mcam_explain_options_init (&opts);
  opts.seed = data[4];
  opts.slot = data[5] < 0x80 ? -1 : (int) (data[5] % N);
  int cls = data[0] % a->n_classes;
  McamMethod m = methods[(data[0] >> 2) % G_N_ELEMENTS (methods)];
  McamExplanation *e = mcam_explain (a, cls, m, &opts, NULL, &error);

  if (e == NULL)
    {
      g_assert (error != NULL);
      g_clear_error (&error);
    }
  else
    {
      gsize hw = (gsize) e->h * e->w;
      gboolean ebad = any_non_finite (e->map, hw) || any_non_finite (e->weights, e->c) ||
                      any_non_finite (e->delta, e->n_slots) ||
                      any_non_finite (e->p_value, e->n_slots);
      gboolean eok = mcam_explanation_check_finite (e, a, "model.safetensors",
                                                    "memory.safetensors", &error);
      g_assert (eok == !ebad);
      g_clear_error (&error);
      if (eok)
        {
          gboolean pos = FALSE;
          for (gsize i = 0; i < hw; i++)
            {
              g_assert (e->map[i] >= 0.0f);
              pos |= e->map[i] > 0.0f;
            }
          g_assert (pos == e->any_positive);
        }
      check_json (e->map, hw);
      mcam_explanation_free (e);
    }

  mcam_analysis_free (a);
  g_free (f);
  mcam_memory_free (mem);
  return 0;
}
