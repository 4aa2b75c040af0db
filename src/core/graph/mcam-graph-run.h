/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "mcam-graph-ops.h"

G_BEGIN_DECLS

/* The ops that need no prepared parameters (binary, unary, concat, pad,
 * transpose, flatten, reshape, reduce-mean) on views: used by the executor
 * and by the builder's constant folding. */
void _mcam_graph_eval_simple (const McamNode *node, const McamView *in, const McamView *out);

/* mcam-graph-node.c: one node on views of its inputs and output (col: conv
 * scratch; dnnl: a conv oneDNN runs, as the plan of the run chose;
 * blocked[v]: value v is stored blocked (mcam-dnnl.h), NULL: all plain). */
void _mcam_graph_run_node (McamGraph *g, const McamNode *n, McamView *views, gboolean dnnl,
                           const guint8 *blocked, float *col);

/* mcam-graph-dnnl.c: oneDNN takes this conv on B images of H×W (act: its
 * epilogue), by the conv alone; and the plan of a run: which convs oneDNN
 * runs (dn, per node) and which maps stay blocked between them (blocked,
 * per value). */
gboolean _mcam_graph_node_dnnl (const McamNode *n, int B, int H, int W, McamConvAct *act);
/* ...the McamConv oneDNN runs for a conv node (a grouped one's as one) */
const McamConv *_mcam_graph_dnnl_conv (const McamNode *n);
void     _mcam_graph_plan_dnnl (McamGraph *g, int from, int keep, const McamShape *shapes,
                                const gboolean *needed, guint8 *dn, guint8 *blocked);

/* A run that keeps every value it computes (for the reverse pass). */
typedef struct
{
  int        from;
  McamShape *shapes;
  gboolean  *needed;
  guint8    *dnnl;    /* per node: oneDNN runs it */
  McamView  *views;
  float     *data;
  float     *col;     /* conv scratch, sized for this run */
} McamGraphTrace;

McamGraphTrace *_mcam_graph_trace      (McamGraph *g, int from, const McamTensor *from_data,
                                        GError **error);
void            _mcam_graph_trace_free (McamGraphTrace *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McamGraphTrace, _mcam_graph_trace_free)

G_END_DECLS
