/* SPDX-License-Identifier: GPL-3.0-or-later */
/* mcam: the command-line tool over the compute core (DESIGN 7). */

#include "config.h"

#include <locale.h>
#include <string.h>

#include "mcam-cli.h"

typedef struct
{
  const char *name;
  int (*run) (int argc, char **argv);
  const char *summary;
} McamCommand;

static const McamCommand commands[] = {
  { "info",     mcam_cmd_info,     "describe a model file (or --system: BLAS and CPU)" },
  { "classify", mcam_cmd_classify, "score images with a model (and its memory module)" },
  { "explain",  mcam_cmd_explain,  "explain one class of an image: M-CAM map, memory read-out, overlay" },
  { "train",    mcam_cmd_train,    "train a memory module for a backbone on labelled images" },
  { "features", mcam_cmd_features, "backbone features of one shard of an image set, for train/refit --features" },
  { "refit",    mcam_cmd_refit,    "re-fit a linear head on the pooled features (the re-fit lens)" },
  { "eval",     mcam_cmd_eval,     "explanation quality on labelled images: pointing game, bias lens, Average Drop, ..." },
  { "bench",    mcam_cmd_bench,    "time the backbone forward pass" },
  { NULL, NULL, NULL }
};

static void
print_usage (FILE *out)
{
  fprintf (out, "Usage: mcam COMMAND [OPTION…]\n\nCommands:\n");
  for (gsize i = 0; commands[i].name; i++)
    fprintf (out, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf (out, "\nRun 'mcam COMMAND --help' for the options of a command.\n");
}

int
main (int argc, char **argv)
{
  mcam_blas_ensure_fast_core (argc, argv);
  setlocale (LC_ALL, "");

  if (argc < 2)
    {
      print_usage (stderr);
      return MCAM_EXIT_USAGE;
    }
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0 ||
      strcmp (argv[1], "help") == 0)
    {
      print_usage (stdout);
      return MCAM_EXIT_OK;
    }
  if (strcmp (argv[1], "--version") == 0)
    {
      printf ("mcam %s\n", PACKAGE_VERSION);
      return MCAM_EXIT_OK;
    }

  for (gsize i = 0; commands[i].name; i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      {
        /* JSON and numbers are always written with a '.' decimal point. */
        setlocale (LC_NUMERIC, "C");
        return commands[i].run (argc - 1, argv + 1);
      }

  fprintf (stderr, "mcam: unknown command '%s'\n\n", argv[1]);
  print_usage (stderr);
  return MCAM_EXIT_USAGE;
}
