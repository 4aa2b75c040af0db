/* SPDX-License-Identifier: GPL-3.0-or-later */
/* mcam explain --model MODEL [--memory MEM] --class NAME|INDEX [--method M]
 *              [--seed S] [--draws R] [--slot N] [--out PNG [--force]] [--json] IMAGE
 *
 * One image, one class, one method: the map (and, for the M-CAM methods, the
 * memory's read-out and Algorithm 1's Δ), as an overlay PNG and/or JSON. */

#include "config.h"

#include <math.h>
#include <stdio.h>

#include "mcam-cli.h"
#include "mcam-cli-head.h"
#include "mcam/mcam-health.h"
#include "mcam/mcam-png.h"

static void
add_floats_or_null (JsonBuilder *b, const char *name, const float *v, gsize n)
{
  json_builder_set_member_name (b, name);
  if (v != NULL)
    mcam_json_add_floats (b, v, n);
  else
    json_builder_add_null_value (b);
}

/* H(p) / log N: 0 = one slot, 1 = uniform. */
static double
normalised_entropy (const float *p, int n)
{
  double H = 0.0;
  if (n < 2)
    return 0.0;
  for (int i = 0; i < n; i++)
    if (p[i] > 0.0f)
      H -= (double) p[i] * log ((double) p[i]);
  return H / log ((double) n);
}

/* The stored health figures (or, for a memory without them, those that need
 * no images: slot use and value-address sharpness), this map's r with the
 * channel sum, and the verdict. */
static JsonNode *
health_json (McamAnalysis *a, McamExplanation *e, char **verdict_out)
{
  g_autoptr(McamHealth) h = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  double r = mcam_health_map_sum_r (e->map, a->features, a->c, a->h, a->w);
  gboolean stored = FALSE;

  if (a->memory != NULL)
    {
      h = mcam_health_from_metadata (a->memory->metadata);
      stored = h != NULL;
      if (h == NULL)
        {
          /* No stored figures: what this one image can tell (sharpness, slot
           * use, the maps of its top classes). Reliance needs the mean read
           * value over many images, so it stays unknown. */
          h = mcam_health_compute (a->memory, a->features, 1, NULL, NULL, NULL, NULL);
          if (h != NULL)
            h->reliance = h->reliance_max = NAN;
        }
    }
  *verdict_out = mcam_health_verdict (h, r);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "stored");
  json_builder_add_boolean_value (b, stored);
  json_builder_set_member_name (b, "memory");
  if (h != NULL)
    json_builder_add_value (b, mcam_health_to_json (h));
  else
    json_builder_add_null_value (b);
  /* This image's addresses: how sharp they are (DESIGN 4.7, sharpness). */
  json_builder_set_member_name (b, "image");
  if (a->memory != NULL)
    {
      int N = a->n_slots;
      float max_p = a->p[0];
      for (int i = 1; i < N; i++)
        max_p = MAX (max_p, a->p[i]);
      json_builder_begin_object (b);
      mcam_json_set_double (b, "max_p", max_p);
      mcam_json_set_double (b, "entropy_p", normalised_entropy (a->p, N));
      mcam_json_set_double (b, "entropy_p_s", normalised_entropy (a->p_s, N));
      if (e->p_value != NULL)
        {
          mcam_json_set_double (b, "entropy_p_value", normalised_entropy (e->p_value, N));
        }
      json_builder_end_object (b);
    }
  else
    json_builder_add_null_value (b);
  mcam_json_set_double (b, "map_sum_r", r);
  json_builder_set_member_name (b, "verdict");
  json_builder_add_string_value (b, *verdict_out);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static JsonNode *
explanation_json (const char *model, const char *image_path, McamNet *net, McamAnalysis *a,
                  McamExplanation *e, double t_forward, double t_explain, char **verdict)
{
  const McamNetInfo *info = mcam_net_get_info (net);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  int C = a->n_classes, N = a->n_slots;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, model);
  json_builder_set_member_name (b, "image");
  json_builder_add_string_value (b, image_path);
  json_builder_set_member_name (b, "class");
  json_builder_add_string_value (b, info->classes[e->class_index]);
  json_builder_set_member_name (b, "class_index");
  json_builder_add_int_value (b, e->class_index);
  json_builder_set_member_name (b, "method");
  json_builder_add_string_value (b, mcam_method_get_name (e->method));
  json_builder_set_member_name (b, "method_label");
  json_builder_add_string_value (b, mcam_method_get_label (e->method));
  add_floats_or_null (b, "logits", a->logits, C);
  add_floats_or_null (b, "scores", a->scores, C);
  add_floats_or_null (b, "memory_logits", a->memory_logits, C);
  add_floats_or_null (b, "memory_scores", a->memory_scores, C);
  json_builder_set_member_name (b, "feature_shape");
  json_builder_begin_array (b);
  json_builder_add_int_value (b, a->c);
  json_builder_add_int_value (b, a->h);
  json_builder_add_int_value (b, a->w);
  json_builder_end_array (b);

  json_builder_set_member_name (b, "slot");
  if (e->slot >= 0)
    json_builder_add_int_value (b, e->slot);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "slot_class");
  if (e->slot >= 0 && a->memory != NULL)
    {
      g_autofree int *sc = g_new (int, N);
      g_autofree float *peak = g_new (float, N);
      mcam_memory_slot_classes (a->memory, sc, peak);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "class");
      json_builder_add_string_value (b, info->classes[sc[e->slot]]);
      mcam_json_set_double (b, "peak", peak[e->slot]);
      json_builder_end_object (b);
    }
  else
    json_builder_add_null_value (b);
  add_floats_or_null (b, "delta", e->delta, e->n_slots);
  add_floats_or_null (b, "p", a->p, N);
  add_floats_or_null (b, "p_s", a->p_s, N);
  /* p' of the chosen class: a property of the memory, so any method shows it. */
  if (e->p_value == NULL && a->memory != NULL)
    {
      g_autofree float *pv = g_new (float, N);
      mcam_memory_value_address (a->memory, e->class_index, pv);
      add_floats_or_null (b, "p_value", pv, N);
    }
  else
    add_floats_or_null (b, "p_value", e->p_value, e->n_slots);
  add_floats_or_null (b, "weights", e->weights, e->c);

  json_builder_set_member_name (b, "map");
  json_builder_begin_array (b);
  for (int y = 0; y < e->h; y++)
    mcam_json_add_floats (b, e->map + (gsize) y * e->w, e->w);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "map_any_positive");
  json_builder_add_boolean_value (b, e->any_positive);

  json_builder_set_member_name (b, "health");
  json_builder_add_value (b, health_json (a, e, verdict));

  json_builder_set_member_name (b, "time_ms");
  json_builder_begin_object (b);
  mcam_json_set_double (b, "forward", t_forward);
  mcam_json_set_double (b, "explain", t_explain);
  json_builder_end_object (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static gboolean
write_overlay (McamNet *net, const McamImage *image, const McamAnalysis *a, McamExplanation *e,
               const char *out, const char *image_path, const char *model,
               const char *memory_path, int user_slot, GError **error)
{
  const McamNetInfo *info = mcam_net_get_info (net);
  /* Upsampled (bilinear, align_corners = false) onto the image's own pixels
   * and normalised to [0, 1]; turbo at opacity 0.5. */
  g_autofree float *full = mcam_map_to_image (e->map, e->h, e->w, image, &info->preprocess);
  cairo_surface_t *surface = mcam_overlay_render (image, full, MCAM_COLORMAP_TURBO, 0.5);
  McamProvenance prov;
  g_auto(GStrv) keys = NULL, values = NULL;
  gboolean ok;

  /* The PNG says what it shows (text chunks, as the app's exports). */
  mcam_provenance_init (&prov);
  prov.image = image_path;
  prov.model = model;
  prov.fingerprint = info->fingerprint;
  prov.memory = mcam_method_needs_memory (e->method) ? (memory_path ? memory_path : model) : NULL;
  prov.method = e->method;
  prov.class_name = info->classes[e->class_index];
  prov.class_index = e->class_index;
  prov.slot = e->slot;
  prov.slot_by_user = user_slot >= 0;
  prov.layer = info->target;
  prov.score = a->scores != NULL ? a->scores[e->class_index] : NAN;
  prov.software = "mcam " PACKAGE_VERSION;
  mcam_provenance_to_text (&prov, &keys, &values);
  ok = mcam_png_write (surface, (const char *const *) keys, (const char *const *) values, out,
                       error);
  cairo_surface_destroy (surface);
  return ok;
}

int
mcam_cmd_explain (int argc, char **argv)
{
  g_autofree char *model = NULL, *memory_path = NULL, *class_name = NULL, *head_path = NULL;
  g_autofree char *method_name = NULL, *out = NULL, *seed_s = NULL;
  gboolean json = FALSE, force = FALSE;
  int draws = 1, slot = -1, threads = 0;
  double temperature = 1.0;
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model, "Backbone model (ONNX or safetensors)", "FILE" },
    { "memory", 0, 0, G_OPTION_ARG_FILENAME, &memory_path,
      "Memory module (safetensors); default: the model file's own, if any", "FILE" },
    MCAM_CLI_HEAD_OPTION (head_path),
    { "class", 'c', 0, G_OPTION_ARG_STRING, &class_name, "Class to explain", "NAME|INDEX" },
    { "method", 0, 0, G_OPTION_ARG_STRING, &method_name,
      "mcam (default with a memory), mcam-profile, cam (default without), gradcam, "
      "gradcam++, hirescam, xgradcam, layercam, eigencam, eigengradcam, ablationcam, "
      "scorecam", "METHOD" },
    { "seed", 0, 0, G_OPTION_ARG_STRING, &seed_s, "Slot search noise seed (0)", "S" },
    { "draws", 0, 0, G_OPTION_ARG_INT, &draws, "Slot search draws averaged (1: the paper)", "R" },
    { "slot", 0, 0, G_OPTION_ARG_INT, &slot, "Use this slot instead of searching", "N" },
    { "temperature", 0, 0, G_OPTION_ARG_DOUBLE, &temperature, "T of the M-CAM weights (1)", "T" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out,
      "Write the overlay PNG here (an existing file is replaced only with --force; "
      "never the model, memory or image)", "PNG" },
    { "force", 0, 0, G_OPTION_ARG_NONE, &force, "Let --out replace an existing file", NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print one JSON document on stdout", NULL },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads, "BLAS threads (0: all cores)", "T" },
    MCAM_CLI_CLASSES_OPTION,
    MCAM_CLI_LAYER_OPTION,
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("IMAGE — explain one class of an image");
  g_autoptr(GError) error = NULL;
  g_autoptr(McamNet) net = NULL;
  g_autoptr(McamMemory) memory = NULL;
  g_autoptr(McamHead) head = NULL;
  McamExplainOptions opts;
  McamMethod method;
  guint64 seed = 0;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!mcam_cli_parse (ctx, &argc, &argv))
    return MCAM_EXIT_USAGE;
  if (model == NULL || class_name == NULL || argc != 2)
    {
      fprintf (stderr, "mcam explain: give --model FILE, --class NAME|INDEX and one image\n");
      return MCAM_EXIT_USAGE;
    }
  if (method_name != NULL && !mcam_method_from_name (method_name, &method))
    {
      fprintf (stderr, "mcam explain: unknown method “%s”; one of mcam, mcam-profile, cam, "
               "gradcam, gradcam++, hirescam, xgradcam, layercam, eigencam, eigengradcam, "
               "ablationcam, scorecam\n", method_name);
      return MCAM_EXIT_USAGE;
    }
  if (seed_s != NULL && !g_ascii_string_to_unsigned (seed_s, 10, 0, G_MAXUINT64, &seed, NULL))
    {
      fprintf (stderr, "mcam explain: --seed takes a whole number ≥ 0, not “%s”\n", seed_s);
      return MCAM_EXIT_USAGE;
    }
  if (draws < 1 || draws > 100000)
    {
      fprintf (stderr, "mcam explain: --draws takes a number from 1 to 100000, not %d\n", draws);
      return MCAM_EXIT_USAGE;
    }
  if (!(temperature > 0.0) || !isfinite (temperature))
    {
      fprintf (stderr, "mcam explain: --temperature must be positive\n");
      return MCAM_EXIT_USAGE;
    }
  if (threads < 0)
    {
      fprintf (stderr, "mcam explain: --threads takes 0 (all cores) or a number ≥ 1, "
               "not %d\n", threads);
      return MCAM_EXIT_USAGE;
    }
  if (out != NULL)
    {
      const McamCliInput inputs[] = {
        { "model", model }, { "memory module", memory_path }, { "image", argv[1] },
        { "class names", mcam_cli_classes },
      };

      if (!mcam_cli_check_out ("--out", out, force, inputs, G_N_ELEMENTS (inputs), &error))
        return mcam_cli_fail ("explain", error);
    }
  mcam_blas_set_threads (threads);

  if (!mcam_cli_load_model (model, memory_path, &net, &memory, &error))
    return mcam_cli_fail ("explain", error);
  if (!mcam_cli_head_load (head_path, net, &head, &error))
    return mcam_cli_fail ("explain", error);
  if (method_name == NULL)
    method = memory != NULL ? MCAM_METHOD_MCAM : MCAM_METHOD_CAM;
  if (mcam_method_needs_memory (method) && memory == NULL)
    {
      fprintf (stderr, "mcam explain: %s needs a memory module, and %s holds none; "
               "give --memory FILE (train one with mcam train)\n",
               mcam_method_get_name (method), model);
      return MCAM_EXIT_USAGE;
    }

  const McamNetInfo *info = mcam_net_get_info (net);
  int class_index = mcam_net_find_class (net, class_name);
  if (class_index < 0)
    {
      fprintf (stderr, "mcam explain: %s has no class “%s” (classes: 0 to %d, or a name "
               "such as “%s”)\n", model, class_name, info->n_classes - 1, info->classes[0]);
      return MCAM_EXIT_USAGE;
    }
  if (memory != NULL && slot >= memory->n_slots)
    {
      fprintf (stderr, "mcam explain: --slot %d, but the memory has %d slots\n", slot,
               memory->n_slots);
      return MCAM_EXIT_USAGE;
    }

  const char *image_path = argv[1];
  g_autoptr(McamImage) image = mcam_image_load (image_path, 0, &error);
  if (image == NULL)
    return mcam_cli_fail ("explain", error);

  gint64 t0 = g_get_monotonic_time ();
  g_autoptr(McamAnalysis) a = mcam_analysis_new (net, memory, image, NULL, &error);
  if (a == NULL || !mcam_analysis_check_finite (a, model, memory_path, &error))
    return mcam_cli_fail ("explain", error);
  gint64 t1 = g_get_monotonic_time ();
  /* --head: the scores and every map but M-CAM's are the re-fit head's. */
  if (head != NULL)
    mcam_cli_head_apply (a, head, NULL, NULL);

  mcam_explain_options_init (&opts);
  opts.seed = seed;
  opts.draws = draws;
  opts.slot = slot;
  opts.temperature = (float) temperature;
  opts.image = image;
  opts.head = head;
  g_autoptr(McamExplanation) e = mcam_explain (a, class_index, method, &opts, NULL, &error);
  if (e == NULL || !mcam_explanation_check_finite (e, a, model, memory_path, &error))
    return mcam_cli_fail ("explain", error);
  gint64 t2 = g_get_monotonic_time ();

  if (out != NULL && !write_overlay (net, image, a, e, out, image_path, model, memory_path, slot,
                                     &error))
    return mcam_cli_fail ("explain", error);

  g_autofree char *verdict = NULL;
  g_autoptr(JsonNode) root = explanation_json (model, image_path, net, a, e,
                                               (t1 - t0) / 1000.0, (t2 - t1) / 1000.0,
                                               &verdict);
  if (head != NULL)
    {
      JsonObject *o = json_node_get_object (root);
      json_object_set_string_member (o, "explains",
                                     mcam_method_needs_memory (method) ? "memory module"
                                     : method == MCAM_METHOD_EIGENCAM ? "features (no head)"
                                     : "re-fit head");
      json_object_set_string_member (o, "head", head_path);
    }
  if (json)
    mcam_cli_print_json (root);
  else
    {
      printf ("%s: %s, %s\n", image_path, info->classes[class_index],
              mcam_method_get_label (method));
      printf ("  score %.4f", a->scores[class_index]);
      if (a->memory_scores)
        printf ("   memory %.4f", a->memory_scores[class_index]);
      printf ("\n");
      if (e->slot >= 0)
        printf ("  slot %d (Δ = %.4f)\n", e->slot, e->delta[e->slot]);
      if (!e->any_positive)
        printf ("  the map has no positive value\n");
      printf ("  health: %s\n", verdict);
      if (out != NULL)
        printf ("  overlay: %s\n", out);
    }
  return MCAM_EXIT_OK;
}
