/* SPDX-License-Identifier: GPL-3.0-or-later */
/* mcam info MODEL | mcam info --system */

#include "config.h"

#include <stdio.h>
#include <string.h>

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
}

static int
describe_model (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(McamSafetensors) st = mcam_safetensors_open (path, &error);

  if (st == NULL)
    return mcam_cli_fail ("info", error);
  printf ("File:            %s\n", path);
  printf ("Tensors:         %u\n", mcam_safetensors_get_n_tensors (st));
  return MCAM_EXIT_OK;
}

int
mcam_cmd_info (int argc, char **argv)
{
  gboolean system = FALSE;
  GOptionEntry entries[] = {
    { "system", 0, 0, G_OPTION_ARG_NONE, &system, "Print the BLAS configuration and CPU", NULL },
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
  return describe_model (argv[1]);
}
