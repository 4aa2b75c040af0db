/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <gio/gio.h>
#include "mcam/mcam-tensor.h"

G_BEGIN_DECLS

/* The graph IR of the CNN engine (private to the core; see README.md here).
 *
 * A McamGraph is a list of values (fixed-shape float32 tensors) and of nodes
 * in topological order: a node may only read values that exist when it is
 * added, so a cycle or a dangling input is refused by the builder itself.
 * Every loader (the torchvision-safetensors ResNet loader, the ONNX
 * translation) builds the graph with the builder below, then calls
 * mcam_graph_finish(), which checks it, rewrites it (constant folding,
 * BatchNorm folded into the preceding conv, activations and residual adds
 * fused into the conv's epilogue) and prepares the kernels.
 *
 * Shapes are static except the batch: a value that depends on the image
 * input is "batched", its axis 0 is the batch and is stored as 1 in shape[0];
 * the executor scales it at run time. Batched values are stored with axes 0
 * and 1 swapped (for a 4-D activation [B,C,H,W] that is the engine's CNHW
 * layout, mcam-conv.h; for [B,F] it is [F][B]), so a convolution or a linear
 * layer over the whole batch is one GEMM. Constants are plain row-major.
 *
 * Values are named: ONNX tensor names, or torchvision module paths
 * ("layer4.1.relu_1", "fc") for the safetensors loader. */

#define MCAM_GRAPH_MAX_DIMS 6

typedef enum
{
  MCAM_OP_CONV,          /* x [, w, b]: conv with groups (depthwise = groups == C);
                          * fused: BN, act, + residual (inputs[1] after fusion) */
  MCAM_OP_BATCHNORM,     /* x, scale, bias, mean, var: folded into the conv before it,
                          * else turned into MCAM_OP_SCALE_SHIFT */
  MCAM_OP_SCALE_SHIFT,   /* x, s [C], t [C]: y = x s + t per channel (axis 1), + act */
  MCAM_OP_MAXPOOL,
  MCAM_OP_AVGPOOL,       /* count_include_pad as the attribute says */
  MCAM_OP_GLOBAL_AVGPOOL,
  MCAM_OP_FLATTEN,       /* axis 1 only (the batch stays) */
  MCAM_OP_RESHAPE,       /* to attrs.shape (batch kept in axis 0) */
  MCAM_OP_GEMM,          /* x [B,K], w [O,K] (transB) or [K,O], b [O]: + act */
  MCAM_OP_MATMUL,        /* x [..., K] · w [K, O] (w constant) + optional b [O] */
  MCAM_OP_ADD,           /* binary, numpy broadcasting; + act */
  MCAM_OP_SUB,
  MCAM_OP_MUL,
  MCAM_OP_DIV,
  MCAM_OP_POW,
  MCAM_OP_UNARY,         /* attrs.act: relu, clip, sigmoid, hard-sigmoid/-swish, SiLU,
                          * GELU, sqrt, erf, identity */
  MCAM_OP_CONCAT,        /* any number of inputs, attrs.axis */
  MCAM_OP_PAD,           /* constant mode, attrs.pads, attrs.value */
  MCAM_OP_TRANSPOSE,     /* attrs.perm (batch axis must stay in place) */
  MCAM_OP_REDUCE_MEAN,   /* attrs.axes_mask, attrs.keepdims */
  MCAM_OP_LAYERNORM,     /* x, gamma, beta over the last axis, attrs.eps */
  MCAM_OP_SOFTMAX,       /* not used by the engine's heads; refused for now */
  MCAM_OP_N_TYPES
} McamOpType;

typedef enum
{
  MCAM_ACT_NONE,
  MCAM_ACT_RELU,
  MCAM_ACT_CLIP,         /* min(max(x, lo), hi) */
  MCAM_ACT_SIGMOID,
  MCAM_ACT_HARD_SIGMOID, /* max(0, min(1, alpha x + beta)) */
  MCAM_ACT_HARD_SWISH,   /* x · hard_sigmoid(x; 1/6, 1/2) */
  MCAM_ACT_SILU,         /* x · sigmoid(x) */
  MCAM_ACT_GELU,         /* x · Φ(x), erf form */
  MCAM_ACT_SQRT,
  MCAM_ACT_ERF,
} McamActKind;

typedef struct
{
  McamActKind kind;
  float       a, b;      /* clip: lo, hi; hard-sigmoid: alpha, beta */
} McamAct;

/* Attributes of a node: only those of its op type are read. */
typedef struct
{
  int     kernel[2];     /* kh, kw (pools; conv takes them from its weight) */
  int     stride[2];
  int     pads[4];       /* top, left, bottom, right */
  int     dilation[2];
  int     group;
  gboolean count_include_pad;
  gboolean ceil_mode;
  int     axis;          /* flatten, concat, softmax */
  int     perm[MCAM_GRAPH_MAX_DIMS];
  guint   axes_mask;     /* reduce-mean: bit i = axis i */
  gboolean keepdims;
  gboolean trans_b;      /* gemm */
  float   alpha, beta;   /* gemm */
  float   eps;           /* batchnorm, layernorm */
  float   value;         /* pad */
  int     ndim;          /* reshape target */
  gint64  shape[MCAM_GRAPH_MAX_DIMS];
  McamAct act;           /* MCAM_OP_UNARY, and the fused epilogue of conv/gemm/... */
} McamNodeAttrs;

typedef struct
{
  char    *name;
  int      ndim;
  gint64   shape[MCAM_GRAPH_MAX_DIMS]; /* batched: shape[0] == 1 (one image) */
  gboolean batched;                    /* depends on the image input */
  float   *data;                       /* constants: owned, row-major; else NULL */
  int      producer;                   /* node index; -1 for the input and constants */
  int      last_use;                   /* index of the last node reading it (plan) */
} McamValue;

typedef struct _McamGraph McamGraph;

McamGraph *mcam_graph_new  (const char *source);   /* source: file path, for messages */
void       mcam_graph_free (McamGraph *graph);

/* The single image input [B, C, H, W] (shape[0] is ignored: batch is dynamic). */
int  mcam_graph_add_input    (McamGraph *graph, const char *name, int ndim,
                              const gint64 *shape, GError **error);
/* A constant; takes ownership of data (g_malloc'd, row-major). */
int  mcam_graph_add_constant (McamGraph *graph, const char *name, int ndim,
                              const gint64 *shape, float *data, GError **error);
/* A node reading the values `inputs` (indices returned by the calls above or
 * by earlier add_node calls) and writing one new value named output_name.
 * The output's shape is inferred and the inputs' shapes checked here; the
 * error names the node, its op and the shapes. Returns the output value's
 * index or -1. attrs may be NULL (all defaults: stride 1, no pads, group 1). */
int  mcam_graph_add_node     (McamGraph *graph, McamOpType op, const char *node_name,
                              const int *inputs, int n_inputs, const char *output_name,
                              const McamNodeAttrs *attrs, GError **error);
/* Default attributes (stride/dilation/group 1, alpha/beta 1, eps 1e-5). */
void mcam_node_attrs_init    (McamNodeAttrs *attrs);

/* Value index by name; -1 when absent. */
int  mcam_graph_find_value   (McamGraph *graph, const char *name);

/* Marks the logits output, checks (single input, output batched [B, C]),
 * rewrites and prepares. After this the graph is immutable, and holds each
 * parameter once: a constant read only as a node's parameters (weights,
 * bias, BatchNorm statistics) is handed to that node or freed, so its
 * McamValue keeps its shape but data is NULL (read it before finishing). */
gboolean mcam_graph_finish   (McamGraph *graph, int output, GError **error);

int              mcam_graph_get_n_values (McamGraph *graph);
const McamValue *mcam_graph_get_value    (McamGraph *graph, int index);
int              mcam_graph_get_input    (McamGraph *graph);
int              mcam_graph_get_output   (McamGraph *graph);
const char      *mcam_op_type_to_string  (McamOpType op);

/* Bytes of parameters the graph holds (each node's weights and bias after
 * the folds, and the constants still read as tensors); *transformed (may be
 * NULL) gets those of the kernels' transformed copies made so far (Winograd
 * F(2x2,3x3): 16/9 of a 3x3 conv's weights, made at its first forward). */
gsize mcam_graph_get_weight_bytes (McamGraph *graph, gsize *transformed);

/* Multiply-adds x 2 of one image's forward. */
double mcam_graph_flops (McamGraph *graph);

/* The default explanation target: the input of the last spatial-reducing
 * node (global/average/max pool, reduce-mean over H,W, flatten of a map) on
 * the way to the logits; -1 when there is none. */
int mcam_graph_default_target (McamGraph *graph);

/* When the graph after `target` is logits = W · GAP(target) + b (GAP,
 * Flatten, Gemm): W [classes, C] and b, borrowed; FALSE otherwise. */
gboolean mcam_graph_get_linear_head (McamGraph *graph, int target, const float **weight,
                                     const float **bias);

/* The 4-D batched values (candidate targets), in execution order. */
GArray *mcam_graph_list_maps (McamGraph *graph);

/* Runs the nodes that produce `output` from the value `from` (the input, or
 * a target for "head" passes): `from_data` is NCHW-ordered [B, ...].
 * Results: `output` as a row-major tensor [B, C]; when `keep` >= 0 that value
 * is also returned (NCHW) in *kept. Thread-safe: concurrent calls use their
 * own scratch memory. */
gboolean mcam_graph_run (McamGraph *graph, int from, const McamTensor *from_data,
                         int keep, McamTensor **kept, McamTensor **output,
                         GCancellable *cancellable, GError **error);

/* The reverse pass (mcam-graph-grad.c) for ONE image: x [1, ...] is the
 * value `from` (NCHW), seed [classes] the gradient of the output (a one-hot
 * for d logit_c); *grad gets d(seed · output)/d from, shaped like x, and
 * *output (may be NULL) the logits. */
gboolean mcam_graph_gradient (McamGraph *graph, int from, const McamTensor *x, const float *seed,
                              McamTensor **grad, McamTensor **output, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (McamGraph, mcam_graph_free)

G_END_DECLS
