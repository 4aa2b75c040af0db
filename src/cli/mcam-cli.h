/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <stdio.h>
#include <json-glib/json-glib.h>
#include "mcam/mcam.h"

G_BEGIN_DECLS

/* Exit status of every subcommand (DESIGN 7). */
enum
{
  MCAM_EXIT_OK = 0,
  MCAM_EXIT_ERROR = 1,   /* a runtime error: bad file, failed computation */
  MCAM_EXIT_USAGE = 2,   /* a usage error: unknown option, missing argument */
};

/* Each subcommand: argv[0] is the subcommand's name. */
int mcam_cmd_info     (int argc, char **argv);
int mcam_cmd_classify (int argc, char **argv);
int mcam_cmd_bench    (int argc, char **argv);
int mcam_cmd_explain  (int argc, char **argv);
int mcam_cmd_train    (int argc, char **argv);
int mcam_cmd_eval     (int argc, char **argv);
int mcam_cmd_refit    (int argc, char **argv);
int mcam_cmd_features (int argc, char **argv);

/* Shared helpers (mcam-cli-util.c). */

/* Parse options; prints the error and returns FALSE on a usage error. */
gboolean mcam_cli_parse (GOptionContext *ctx, int *argc, char ***argv);
/* Print "mcam <cmd>: message" to stderr and return the exit status for it
 * (USAGE for MCAM_ERROR_USAGE and G_OPTION_ERROR, else ERROR). */
int      mcam_cli_fail  (const char *cmd, GError *error);
/* Print a JSON node to stdout, pretty, with a final newline (mcam-json.h:
 * every non-finite number is null). */
void     mcam_cli_print_json (JsonNode *root);
/* Warn on stderr about each mcam.* key of the model nobody reads. */
void     mcam_cli_warn_metadata (const char *model_path, McamNet *net);
/* Load a backbone, and a memory module from `memory_path` or, when NULL and
 * the model file holds memory.* tensors, from the model file; warns about
 * unknown metadata keys (mcam_cli_warn_metadata). */
gboolean mcam_cli_load_model (const char *model_path, const char *memory_path,
                              McamNet **net, McamMemory **memory, GError **error);
/* --classes FILE, in every command that takes a model: class names, one a
 * line (mcam-class-names.h); NULL: a classes.txt beside the model, if any.
 * mcam_cli_load_model () applies it; a command that loads the net itself
 * calls mcam_cli_apply_classes (). */
extern char *mcam_cli_classes;
#define MCAM_CLI_CLASSES_OPTION \
  { "classes", 0, 0, G_OPTION_ARG_FILENAME, &mcam_cli_classes, \
    "Class names, one a line, in the order of the outputs (default: classes.txt beside the model)", \
    "FILE" }
gboolean mcam_cli_apply_classes (McamNet *net, GError **error);
/* The file whose names mcam_cli_apply_classes () took, or NULL. */
extern char *mcam_cli_classes_used;
/* --layer NAME (classify, explain, train, eval, info): explain this 4-D
 * feature map instead of the default target (mcam info --layers lists
 * them). mcam_cli_load_model () applies it; a command that loads the net
 * itself calls mcam_cli_apply_layer (). */
extern char *mcam_cli_layer;
#define MCAM_CLI_LAYER_OPTION \
  { "layer", 0, 0, G_OPTION_ARG_STRING, &mcam_cli_layer, \
    "Explain this layer (a feature map; mcam info --layers lists them) instead of the default", \
    "NAME" }
gboolean mcam_cli_apply_layer (McamNet *net, GError **error);
/* Progress on stderr, only when stderr is a terminal (a bar with ETA). */
typedef struct _McamCliProgress McamCliProgress;
McamCliProgress *mcam_cli_progress_new    (const char *what, gint64 total);
void             mcam_cli_progress_update (McamCliProgress *p, gint64 done);
void             mcam_cli_progress_free   (McamCliProgress *p);
/* TRUE when stderr is a terminal. */
gboolean         mcam_cli_stderr_is_tty   (void);
/* The feature pass's progress: the bar, else a line "WHAT: done/total
 * images" at every tenth (last_decile starts at 0). */
void             mcam_cli_feature_progress (McamCliProgress *bar, const char *what,
                                            int *last_decile, int done, int total);

/* An input a command reads, for mcam_cli_check_out (): what it is ("model",
 * "labels") and its path (NULL: not given). */
typedef struct
{
  const char *what;
  const char *path;
} McamCliInput;
/* Before any work, for an output option (`option` is "--out"): refuses with
 * MCAM_ERROR_USAGE (exit 2) an existing regular file unless `force`, and an
 * output that is one of the inputs (the same file by st_dev/st_ino, so
 * through links and other spellings too) even with `force`; with
 * MCAM_ERROR_IO (exit 1) a folder, or a path whose folder does not exist. */
gboolean mcam_cli_check_out        (const char *option, const char *out, gboolean force,
                                    const McamCliInput *inputs, gsize n_inputs,
                                    GError **error);
/* The second rule alone, for inputs known later (the images a CSV lists). */
gboolean mcam_cli_check_out_not_in (const char *option, const char *out, const char *what,
                                    const char *const *paths, gsize n_paths,
                                    GError **error);

G_END_DECLS
