/* SPDX-License-Identifier: GPL-3.0-or-later */
/* mcam info MODEL | mcam info --system */

#include "config.h"

#include <stdio.h>
#include <math.h>
#include <string.h>

#include "mcam/mcam-health.h"
#include "mcam/mcam-model-meta.h"

#include "mcam-cli.h"

static void
print_system (void)
{
  g_autofree char *cpu = NULL;
  const char *best = mcam_blas_best_core_for_cpu ();

  if (g_file_get_contents ("/proc/cpuinfo", &cpu, NULL, NULL))
    {
      char *name = strstr (cpu, "model name");

      if (name && (name = strchr (name, ':')))
        {
          char *end = strchr (name, '\n');
          if (end)
            *end = '\0';
          printf ("CPU:             %s\n", g_strstrip (name + 1));
        }
    }
  printf ("CPU cores:       %u\n", g_get_num_processors ());
  printf ("Best kernel:     %s\n", best ? best : "(none: no AVX2)");
  printf ("BLAS config:     %s\n", mcam_blas_get_config ());
  printf ("BLAS core:       %s\n", mcam_blas_get_core ());
  printf ("BLAS threads:    %d\n", mcam_blas_get_threads ());
  printf ("Kernel choice:   %s\n", mcam_blas_get_core_note ());
  printf ("OPENBLAS_CORETYPE=%s\n", g_getenv ("OPENBLAS_CORETYPE") ? g_getenv ("OPENBLAS_CORETYPE") : "(unset)");
  /* Idle BLAS threads spin 2^n cycles before they sleep (mcam-blas.c). */
  printf ("OPENBLAS_THREAD_TIMEOUT=%s\n",
          g_getenv ("OPENBLAS_THREAD_TIMEOUT") ? g_getenv ("OPENBLAS_THREAD_TIMEOUT") : "(unset)");
}

static void
print_health (McamMemory *mem)
{
  g_autoptr(McamHealth) h = mcam_health_from_metadata (mem->metadata);
  g_autofree char *verdict = NULL;

  if (h == NULL)
    {
      printf ("Health:          not measured (train with `mcam train` to record it)\n");
      return;
    }
  verdict = mcam_health_verdict (h, NAN);
  printf ("Health:          %s\n", verdict);
  printf ("  reliance:      %.4f mean |Δ score| when v is replaced by its mean", h->reliance);
  if (!isnan (h->map_drop))
    printf (" (mAP drop %.4f)", h->map_drop);
  printf ("\n");
  printf ("  sharpness:     mean max p %.3f; entropy/log N: p %.3f, p_s %.3f, p' %.3f\n",
          h->mean_max_p, h->entropy_p, h->entropy_p_s, h->entropy_p_value);
  printf ("  slot use:      %d distinct class slots of %d; %d slots no class uses\n",
          h->distinct_slots, h->n_slots, h->unused_slots);
  printf ("  class maps:    mcam r with channel sum %.2f (between classes %.2f); "
          "mcam-profile %.2f (%.2f)\n",
          h->mcam_sum_r, h->mcam_between_r, h->profile_sum_r, h->profile_between_r);
}

/* " (assumed)" beside a value the file does not give. */
static const char *
assumed (const McamNetInfo *info, McamMetaField field)
{
  return (info->meta_assumed & field) ? " (assumed)" : "";
}

/* What the network sees: each value, and which ones are defaults. */
static void
print_preprocess (const McamNetInfo *info)
{
  const McamPreprocess *pp = &info->preprocess;

  printf ("Input:           %dx%d%s\n", pp->width, pp->height, assumed (info, MCAM_META_INPUT));
  printf ("Resize:          %s%s", mcam_resize_mode_get_name (pp->resize),
          assumed (info, MCAM_META_RESIZE));
  if (pp->resize == MCAM_RESIZE_CENTER_CROP && pp->resize_size > 0)
    printf (", shorter side to %d%s, then the centre %dx%d", pp->resize_size,
            assumed (info, MCAM_META_RESIZE_SIZE), pp->width, pp->height);
  printf ("\n");
  printf ("Interpolation:   %s%s\n", mcam_interpolation_get_name (pp->interpolation),
          assumed (info, MCAM_META_INTERPOLATION));
  printf ("Normalisation:   mean [%.3f,%.3f,%.3f]%s, std [%.3f,%.3f,%.3f]%s\n",
          pp->mean[0], pp->mean[1], pp->mean[2], assumed (info, MCAM_META_MEAN),
          pp->std[0], pp->std[1], pp->std[2], assumed (info, MCAM_META_STD));
  if (info->unknown_keys != NULL && info->unknown_keys[0] != NULL)
    {
      g_autofree char *keys = g_strjoinv (", ", info->unknown_keys);

      printf ("Unknown keys:    %s (ignored: not read by this program)\n", keys);
    }
}

/* --layers: the names --layer takes */
static gboolean list_layers;

static int
describe_model (const char *path, const char *memory_path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(McamNet) net = NULL;
  g_autoptr(McamMemory) mem = NULL;
  const McamNetInfo *info;
  g_autofree char *classes = NULL;

  if (!mcam_cli_load_model (path, memory_path, &net, &mem, &error))
    return mcam_cli_fail ("info", error);
  info = mcam_net_get_info (net);
  classes = g_strjoinv (", ", info->classes);

  printf ("File:            %s\n", path);
  printf ("Architecture:    %s (%s)\n", info->arch, info->description);
  print_preprocess (info);
  printf ("Features f:      %d x %d x %d (c x h x w) of %s\n", info->feat_c, info->feat_h,
          info->feat_w, info->target);
  printf ("Classes:         %d (%s%s): %s%s\n", info->n_classes,
          info->multilabel ? "multi-label, sigmoid" : "single-label, softmax",
          assumed (info, MCAM_META_MULTILABEL), classes, assumed (info, MCAM_META_CLASSES));
  /* a classes.txt beside the model is taken without being asked for: say so */
  if (mcam_cli_classes_used != NULL)
    printf ("Class names:     from %s\n", mcam_cli_classes_used);
  printf ("Tensors:         %u\n", info->n_tensors);
  printf ("Parameters:      %" G_GINT64_FORMAT "\n", info->n_params);
  printf ("Forward:         %.2f GFLOP per image\n", mcam_net_flops (net) / 1e9);
  printf ("Fingerprint:     %s\n", info->fingerprint);
  if (list_layers)
    {
      g_auto (GStrv) layers = mcam_net_list_layers (net);

      for (gsize i = 0; layers[i] != NULL; i++)
        printf ("%s%s%s\n", i == 0 ? "Layers:          " : "                 ", layers[i],
                g_strcmp0 (layers[i], info->target) == 0 ? "  (target)" : "");
    }
  if (mem == NULL)
    {
      printf ("Memory module:   none\n");
      return MCAM_EXIT_OK;
    }
  printf ("Memory module:   %s: N = %d slots, s = %g, init %s\n",
          memory_path ? memory_path : path, mem->n_slots, mem->scale,
          mem->metadata && g_hash_table_lookup (mem->metadata, "mcam.memory.init")
            ? (const char *) g_hash_table_lookup (mem->metadata, "mcam.memory.init")
            : "unknown");
  print_health (mem);
  return MCAM_EXIT_OK;
}

int
mcam_cmd_info (int argc, char **argv)
{
  gboolean system = FALSE;
  g_autofree char *memory_path = NULL;
  GOptionEntry entries[] = {
    { "memory", 0, 0, G_OPTION_ARG_FILENAME, &memory_path, "Memory module (safetensors)", "FILE" },
    { "system", 0, 0, G_OPTION_ARG_NONE, &system, "Print the BLAS configuration and CPU", NULL },
    { "layers", 0, 0, G_OPTION_ARG_NONE, &list_layers, "List the layers --layer can name", NULL },
    MCAM_CLI_CLASSES_OPTION,
    MCAM_CLI_LAYER_OPTION,
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("MODEL — describe a model file");

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!mcam_cli_parse (ctx, &argc, &argv))
    return MCAM_EXIT_USAGE;

  if (system)
    {
      print_system ();
      return MCAM_EXIT_OK;
    }
  if (argc != 2)
    {
      fprintf (stderr, "mcam info: give one model file (or --system)\n");
      return MCAM_EXIT_USAGE;
    }
  return describe_model (argv[1], memory_path);
}
