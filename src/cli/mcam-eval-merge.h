/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* `mcam eval --shard I/N` and `--merge` (issue 15): what one image
 * contributes to every figure of a run (a record), the one function that
 * turns records into the figures (used by a whole run, a shard and a merge
 * alike, so a merge equals the whole run), and the records in and out of
 * the JSON report. */

#include "mcam-eval.h"

G_BEGIN_DECLS

/* One (image, present class) pair of one method. */
typedef struct
{
  int      class_index;
  int      landing;       /* pointing tally column (mcam_pointing_tally_add), -1: none */
  int      net_landing;   /* --head: the network head's map, -1: none */
  gboolean no_map;        /* the map had no positive value */
  gboolean measured;      /* the input metrics ran for this pair */
  double   Y, O;          /* drop: scores on the image and on the masked image */
  double   deletion, insertion, morf, lerf, infidelity, sensitivity;
} McamEvalPair;

typedef struct
{
  double  explain_ms;
  double  timing_ms;      /* --timing */
  gboolean timed;
  GArray *pairs;          /* McamEvalPair */
} McamEvalMethodRecord;

typedef struct
{
  int    index;           /* row of the image in the labels.csv (after --limit) */
  char  *name;            /* as written in the CSV */
  float *labels;          /* [C] multi-hot */
  float *scores;          /* [C] of the head explained (the re-fit one with --head) */
  float *memory_scores;   /* [C] or NULL: no memory module */
  float *network_scores;  /* [C] or NULL: no --head */
  double forward_ms;
  int    n_methods;
  McamEvalMethodRecord *methods;
} McamEvalRecord;

/* A method of the run, with empty tallies; frees as a GPtrArray's free func. */
McamEvalMethod *mcam_eval_method_new  (McamMethod method, gboolean memory_head, int n_classes);
void            mcam_eval_method_free (gpointer method);

/* --head: a tally of the network head's maps for every method that reads
 * a head, or the reason it cannot have one (net_head_skipped). */
void            mcam_eval_methods_init_head (GPtrArray *methods, McamNet *net,
                                             const McamHead *head);

McamEvalRecord *mcam_eval_record_new  (int index, const char *name, const float *labels,
                                       int n_classes, int n_methods);
void            mcam_eval_record_free (gpointer record);

/* The figures of `records` (any order; taken by index) into run's methods
 * (fresh tallies), forward time, image count and mAP; ap_* are [C]
 * buffers the run points to afterwards (ap_memory / ap_network only used
 * when the records carry those scores). */
void mcam_eval_aggregate (McamEvalRun *run, GPtrArray *records, int n_classes,
                          double *ap_target, double *ap_memory, double *ap_network);

/* The partition of images 0..n-1: the names sorted bytewise (strcmp), cut
 * into `count` contiguous blocks whose sizes differ by at most one; shard
 * `index` (from 1). Returns the image indices, ascending. */
GArray  *mcam_eval_shard_select (char **names, int n, int index, int count);
/* "I/N" (or MCAM_SHARD's value) into index and count. */
gboolean mcam_eval_shard_parse  (const char *spec, const char *where, int *index, int *count,
                                 GError **error);

/* What a part must share with the others to be merged: the model, the data
 * set, the methods and every option that changes a figure. */
typedef struct
{
  int         shard_index, shard_count, images_total;
  const char *model_path, *memory_path, *head_path, *classes_path, *layer;
  const char *fingerprint;
  char       *labels_hash;      /* mcam_eval_labels_hash () */
  gboolean    has_memory, has_boxes;
} McamEvalShardInfo;

/* SHA-256 of the first n images of ds: names, labels and boxes. */
char    *mcam_eval_labels_hash (McamDataset *ds, int n);

/* Add "shard" and "records" members to the report `root` (an object). */
void     mcam_eval_records_to_json (JsonNode *root, McamEvalRun *run,
                                    const McamEvalShardInfo *si, GPtrArray *records);

/* `mcam eval --merge PART...`: reads and checks the parts, loads the model
 * they name (or model_override), aggregates and reports (JSON or Markdown). */
int      mcam_eval_merge_main (char **parts, int n_parts, const char *model_override,
                               gboolean json, const char *out, gboolean force);

G_END_DECLS
