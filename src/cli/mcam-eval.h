/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* `mcam eval`: the accumulated results of one run (mcam-cmd-eval.c) and
 * their report as Markdown or JSON (mcam-eval-report.c). */

#include "mcam-cli.h"
#include "mcam/mcam-metrics.h"
#include "mcam/mcam-dataset.h"
#include "mcam/mcam-head.h"

G_BEGIN_DECLS

/* Which metrics a run computes (--metrics). */
typedef enum
{
  MCAM_EVAL_POINTING    = 1 << 0,   /* pointing game and bias lens (needs boxes) */
  MCAM_EVAL_DROP        = 1 << 1,   /* Average Drop, Increase in Confidence */
  MCAM_EVAL_DELETION    = 1 << 2,   /* deletion and insertion AUC */
  MCAM_EVAL_ROAD        = 1 << 3,   /* ROAD MoRF / LeRF */
  MCAM_EVAL_INFIDELITY  = 1 << 4,
  MCAM_EVAL_SENSITIVITY = 1 << 5,   /* Max-Sensitivity */
} McamEvalMetric;

#define MCAM_EVAL_N_METRICS 6

typedef struct
{
  McamMethod         method;
  gboolean           memory_head;   /* the baseline explains the memory classifier */
  McamPointingTally *tally;
  /* --head, a method that reads a head: the same maps of the network's own
   * head, for the re-fit lens's verdict (tally is the re-fit head's). */
  McamPointingTally *net_tally;
  /* --head, a method that reads a head but whose map of the network's own
   * head is not defined at the target layer (CAM at an inner layer): why
   * the comparison is left out (net_tally then stays NULL). */
  char              *net_head_skipped;
  GArray            *Y, *O;         /* double, per (image, class) pair */
  double             deletion_sum, insertion_sum;
  double             morf_sum, lerf_sum;
  double             infidelity_sum, sensitivity_sum;
  int                n_metric_pairs;
  int                n_no_map;      /* pairs whose map had no positive value */
  double             explain_ms;    /* explaining the classes of the images */
  int                n_images;
  double             timing_ms;     /* --timing: every class of every image */
  int                n_timed;
} McamEvalMethod;

typedef struct
{
  const char    *model_path;
  const char    *memory_path;   /* NULL: none, or the model file's own */
  McamNet       *net;
  McamMemory    *memory;
  McamDataset   *ds;
  guint          metrics;        /* McamEvalMetric bits */
  McamFill       fill;
  gboolean       timing;
  int            n_images;       /* evaluated */
  double         forward_ms;
  GPtrArray     *methods;        /* McamEvalMethod* */
  double         map_target, map_memory;   /* NAN when not available */
  double        *ap_target, *ap_memory;    /* [C] */
  int            n_samples;      /* infidelity / sensitivity draws */
  int            top_k;          /* Score-CAM / Ablation-CAM channels (0: all) */
  guint64        seed;
  /* --head (issue 12): the re-fit head explained instead of the network's
   * own; map_target / ap_target are then its figures, and these the
   * network head's. */
  const McamHead *head;
  const char     *head_path;
  double          map_network;
  double         *ap_network;    /* [C] */
} McamEvalRun;

void mcam_eval_print_markdown (McamEvalRun *run, FILE *out);
JsonNode *mcam_eval_to_json   (McamEvalRun *run);

const char *mcam_eval_metric_name (McamEvalMetric m);

/* The re-fit lens (mcam-eval-head.c): does a method read a head (and so
 * explain the re-fit one with --head)? */
gboolean  mcam_eval_method_reads_head (const McamEvalMethod *m);
/* Own-object rates under both heads and a verdict per class with boxes. */
void      mcam_eval_head_markdown (McamEvalRun *run, FILE *out);
void      mcam_eval_head_json     (McamEvalRun *run, JsonBuilder *b);

G_END_DECLS
