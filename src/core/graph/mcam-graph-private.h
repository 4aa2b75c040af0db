/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "mcam-graph.h"
#include "mcam-conv.h"

G_BEGIN_DECLS

/* Internals of the graph IR shared by the builder (mcam-graph.c), the
 * load-time rewrites (mcam-graph-rewrite.c), the executor (mcam-graph-run.c)
 * and the kernels (mcam-graph-ops.c). */

typedef struct
{
  int    ndim;
  gint64 d[MCAM_GRAPH_MAX_DIMS];
} McamShape;

typedef struct
{
  McamOpType    op;
  char         *name;
  int          *inputs;
  int           n_inputs;
  int           output;
  McamNodeAttrs attrs;
  gboolean      dead;       /* removed by a rewrite */

  /* Prepared at mcam_graph_finish() (conv, gemm, matmul, scale-shift): the
   * node's own copies of its parameters, with BatchNorm folded in. */
  float        *weight;
  float        *bias;
  McamConv    **convs;      /* conv: one per group (NULL for depthwise) */
  float        *dw_packed;  /* depthwise: weight and bias for the blocked kernel */
  gpointer      dnnl_pool;  /* max-pool: oneDNN's primitives (engine/mcam-dnnl.h), made
                             * when a plan first gives it to oneDNN */
  McamConv     *dnnl_conv;  /* grouped conv: the whole conv for oneDNN (borrows weight
                             * and bias), made as dnnl_pool is */
  int           n_convs;
  int           residual;   /* conv: value added before the activation, or -1 */
  int           in_c, out_c, kh, kw;   /* conv / gemm geometry */
} McamNode;

struct _McamGraph
{
  char       *source;
  GArray     *values;      /* McamValue */
  GPtrArray  *nodes;       /* McamNode * */
  GHashTable *by_name;     /* value name -> index + 1 */
  int         input;
  int         output;
  gboolean    finished;

  /* Scratch memory of the last run, reused by the next (see mcam-graph-run.c). */
  GMutex      ws_lock;
  float      *ws;
  gsize       ws_size;
};

static inline McamValue *
_mcam_graph_value (McamGraph *g, int i)
{
  return &g_array_index (g->values, McamValue, i);
}

static inline McamNode *
_mcam_graph_node (McamGraph *g, int i)
{
  return g_ptr_array_index (g->nodes, i);
}

static inline gint64
_mcam_shape_numel (const McamShape *s)
{
  gint64 n = 1;
  for (int i = 0; i < s->ndim; i++)
    n *= s->d[i];
  return n;
}

/* Output shape of `node` from its inputs' shapes (batch axis as given).
 * Used when the node is added and again at run time for other image sizes. */
gboolean _mcam_graph_infer (McamGraph *g, const McamNode *node, const McamShape *in,
                            McamShape *out, GError **error);

/* mcam-graph-run.c: the executor's buffers, 64-byte aligned (free with
 * _mcam_graph_buffer_free); NULL when memory is short. */
float *_mcam_graph_buffer_new  (gsize floats);
void   _mcam_graph_buffer_free (float *buffer);

/* mcam-graph-dnnl.c: a node's oneDNN state freed (its max-pool primitives,
 * the whole conv of a grouped one). */
void _mcam_graph_dnnl_node_clear (McamNode *node);

/* mcam-graph-rewrite.c: BN folding, fusions, kernel preparation. */
gboolean _mcam_graph_rewrite (McamGraph *g, GError **error);
void     _mcam_node_clear_prepared (McamNode *node);
/* ... and its helpers for the passes of mcam-graph-fold.c: readers of every
 * value among live nodes (g_free it), the live node of type op producing v
 * when nothing else reads v, `into` taking over `gone`'s output, a node
 * removed with its output value. */
int      *_mcam_graph_count_uses    (McamGraph *g);
McamNode *_mcam_graph_sole_producer (McamGraph *g, const int *uses, int v, McamOpType op);
void      _mcam_graph_absorb        (McamGraph *g, McamNode *into, McamNode *gone);
void      _mcam_graph_drop_node     (McamGraph *g, McamNode *n);

/* mcam-graph-fold.c: model-specific rewrites (see there). */
void _mcam_graph_drop_zero_pads           (McamGraph *g);
void _mcam_graph_fold_channel_scale       (McamGraph *g);
void _mcam_graph_fuse_concat_scale_shift  (McamGraph *g);

G_END_DECLS
