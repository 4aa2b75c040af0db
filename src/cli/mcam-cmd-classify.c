/* SPDX-License-Identifier: GPL-3.0-or-later */
/* mcam classify --model MODEL [--memory MEM] [--json] [--top K] IMAGE... */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "mcam-cli.h"
#include "mcam-cli-head.h"

typedef struct
{
  int   index;
  float score;
} Ranked;

static int
compare_ranked (const void *a, const void *b)
{
  const Ranked *ra = a, *rb = b;

  return (ra->score < rb->score) - (ra->score > rb->score);
}

/* The columns a name takes in a terminal: wide (CJK) characters two,
 * combining marks none; printf's %-20s counts bytes, so Korean names
 * pushed the scores out of line. */
static int
display_width (const char *s)
{
  int w = 0;

  for (const char *p = s; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar u = g_utf8_get_char (p);

      w += g_unichar_iszerowidth (u) ? 0 : g_unichar_iswide (u) ? 2 : 1;
    }
  return w;
}

static void
print_text (McamNet *net, const char *file, McamAnalysis *a, int top)
{
  const McamNetInfo *info = mcam_net_get_info (net);
  g_autofree Ranked *ranked = g_new (Ranked, info->n_classes);

  for (int c = 0; c < info->n_classes; c++)
    ranked[c] = (Ranked) { c, a->scores[c] };
  qsort (ranked, info->n_classes, sizeof (Ranked), compare_ranked);

  printf ("%s\n", file);
  for (int i = 0; i < MIN (top, info->n_classes); i++)
    {
      int c = ranked[i].index;

      printf ("  %s%*s %.4f", info->classes[c], MAX (0, 20 - display_width (info->classes[c])),
              "", a->scores[c]);
      if (a->memory_scores != NULL)
        printf ("   memory %.4f", a->memory_scores[c]);
      printf ("\n");
    }
}

static void
add_json (JsonBuilder *b, const char *file, McamAnalysis *a, int n_classes)
{
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "file");
  json_builder_add_string_value (b, file);
  json_builder_set_member_name (b, "logits");
  mcam_json_add_floats (b, a->logits, n_classes);
  json_builder_set_member_name (b, "scores");
  mcam_json_add_floats (b, a->scores, n_classes);
  if (a->memory_logits != NULL)
    {
      json_builder_set_member_name (b, "memory_logits");
      mcam_json_add_floats (b, a->memory_logits, n_classes);
      json_builder_set_member_name (b, "memory_scores");
      mcam_json_add_floats (b, a->memory_scores, n_classes);
    }
  json_builder_end_object (b);
}

int
mcam_cmd_classify (int argc, char **argv)
{
  g_autofree char *model = NULL, *memory_path = NULL, *head_path = NULL;
  gboolean json = FALSE;
  int top = 5, threads = 0, status = MCAM_EXIT_OK;
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model, "Backbone model (ONNX or safetensors)", "FILE" },
    { "memory", 0, 0, G_OPTION_ARG_FILENAME, &memory_path, "Memory module (safetensors)", "FILE" },
    MCAM_CLI_HEAD_OPTION (head_path),
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print one JSON document on stdout", NULL },
    { "top", 0, 0, G_OPTION_ARG_INT, &top, "Classes to print per image (text output)", "K" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads, "BLAS threads (0: all cores)", "T" },
    MCAM_CLI_CLASSES_OPTION,
    MCAM_CLI_LAYER_OPTION,
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("IMAGE… — score images");
  g_autoptr(GError) error = NULL;
  g_autoptr(McamNet) net = NULL;
  g_autoptr(McamMemory) memory = NULL;
  g_autoptr(McamHead) head = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  const McamNetInfo *info;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!mcam_cli_parse (ctx, &argc, &argv))
    return MCAM_EXIT_USAGE;
  if (model == NULL || argc < 2)
    {
      fprintf (stderr, "mcam classify: give --model FILE and at least one image\n");
      return MCAM_EXIT_USAGE;
    }
  if (top < 1)
    {
      fprintf (stderr, "mcam classify: --top takes a number ≥ 1, not %d\n", top);
      return MCAM_EXIT_USAGE;
    }
  if (threads < 0)
    {
      fprintf (stderr, "mcam classify: --threads takes 0 (all cores) or a number ≥ 1, "
               "not %d\n", threads);
      return MCAM_EXIT_USAGE;
    }
  mcam_blas_set_threads (threads);
  if (!mcam_cli_load_model (model, memory_path, &net, &memory, &error))
    return mcam_cli_fail ("classify", error);
  info = mcam_net_get_info (net);
  if (!mcam_cli_head_load (head_path, net, &head, &error))
    return mcam_cli_fail ("classify", error);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, model);
  mcam_cli_head_json (b, head_path, head);
  json_builder_set_member_name (b, "classes");
  json_builder_begin_array (b);
  for (int c = 0; c < info->n_classes; c++)
    json_builder_add_string_value (b, info->classes[c]);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "images");
  json_builder_begin_array (b);

  for (int i = 1; i < argc; i++)
    {
      g_autoptr(GError) local = NULL;
      g_autoptr(McamImage) image = mcam_image_load (argv[i], 0, &local);
      g_autoptr(McamAnalysis) a = NULL;

      if (image != NULL)
        a = mcam_analysis_new (net, memory, image, NULL, &local);
      /* Overflowed logits are refused, never printed as a confident score. */
      if (a != NULL && !mcam_analysis_check_finite (a, model, memory_path, &local))
        g_clear_pointer (&a, mcam_analysis_free);
      if (a == NULL)
        {
          /* One bad image does not stop the others; the exit status tells. */
          fprintf (stderr, "mcam classify: %s\n", local->message);
          status = MCAM_EXIT_ERROR;
          continue;
        }
      /* --head: the scores are the re-fit head's. */
      if (head != NULL)
        mcam_cli_head_apply (a, head, NULL, NULL);
      if (json)
        add_json (b, argv[i], a, info->n_classes);
      else
        print_text (net, argv[i], a, top);
    }

  json_builder_end_array (b);
  json_builder_end_object (b);
  if (json)
    {
      g_autoptr(JsonNode) root = json_builder_get_root (b);
      mcam_cli_print_json (root);
    }
  return status;
}
