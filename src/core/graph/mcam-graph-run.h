/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "mcam-graph-ops.h"

G_BEGIN_DECLS

/* The ops that need no prepared parameters (binary, unary, concat, pad,
 * transpose, flatten, reshape, reduce-mean) on views: used by the executor
 * and by the builder's constant folding. */
void _mcam_graph_eval_simple (const McamNode *node, const McamView *in, const McamView *out);

/* One node on views of its inputs and output (col: conv scratch). */
void _mcam_graph_run_node (McamGraph *g, const McamNode *n, McamView *views, float *col);

/* A run that keeps every value it computes (for the reverse pass). */
typedef struct
{
  int        from;
  McamShape *shapes;
  gboolean  *needed;
  McamView  *views;
  float     *data;
  float     *col;     /* conv scratch, sized for this run */
} McamGraphTrace;

McamGraphTrace *_mcam_graph_trace      (McamGraph *g, int from, const McamTensor *from_data,
                                        GError **error);
void            _mcam_graph_trace_free (McamGraphTrace *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McamGraphTrace, _mcam_graph_trace_free)

G_END_DECLS
