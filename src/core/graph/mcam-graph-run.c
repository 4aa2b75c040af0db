/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The graph executor: which nodes a run needs, their shapes at this batch
 * and image size, a buffer plan that reuses dead values' memory, and one
 * kernel call per node. Maps stay in the CNHW layout from the first node to
 * the last, so every convolution and linear layer of the batch is one GEMM. */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "mcam/mcam-blas.h"
#include "mcam/mcam-error.h"
#include "mcam-graph-profile.h"
#include "mcam-dnnl.h"
#include "mcam-dwconv.h"
#include "mcam-graph-run.h"
#include "mcam-parallel.h"
#include "mcam-pool.h"

/* ---- the simple ops ------------------------------------------------------- */

static void
reshape_copy (const McamView *in, const McamView *out)
{
  /* element order of one image's row-major tensor is what Flatten and
   * Reshape keep: go through a row-major copy of the input */
  gint64 n = _mcam_shape_numel (&in->shape);
  g_autofree float *tmp = g_new (float, n);
  McamView t, t2;

  _mcam_view_init (&t, tmp, &in->shape, FALSE);
  _mcam_op_copy (&t, in);
  _mcam_view_init (&t2, tmp, &out->shape, FALSE);
  _mcam_op_copy (out, &t2);
}

void
_mcam_graph_eval_simple (const McamNode *node, const McamView *in, const McamView *out)
{
  const McamNodeAttrs *at = &node->attrs;

  switch (node->op)
    {
    case MCAM_OP_ADD:
    case MCAM_OP_SUB:
    case MCAM_OP_MUL:
    case MCAM_OP_DIV:
    case MCAM_OP_POW:
      {
        McamView a = in[0], b = in[1];

        _mcam_view_broadcast (&a, &out->shape);
        _mcam_view_broadcast (&b, &out->shape);
        _mcam_op_binary (node->op, out, &a, &b);
        if (at->act.kind != MCAM_ACT_NONE)
          _mcam_op_act (at->act, out->data, _mcam_shape_numel (&out->shape));
        return;
      }
    case MCAM_OP_UNARY:
      _mcam_op_copy (out, &in[0]);
      _mcam_op_act (at->act, out->data, _mcam_shape_numel (&out->shape));
      return;
    case MCAM_OP_CONCAT:
      {
        int axis = at->axis < 0 ? at->axis + out->shape.ndim : at->axis;
        gint64 off = 0;

        for (int i = 0; i < node->n_inputs; i++)
          {
            McamView sub = *out;

            sub.shape = in[i].shape;
            sub.data = out->data + off * out->stride[axis];
            _mcam_op_copy (&sub, &in[i]);
            off += in[i].shape.d[axis];
          }
        return;
      }
    case MCAM_OP_PAD:
      {
        McamView sub = *out;
        gint64 n = _mcam_shape_numel (&out->shape);

        for (gint64 i = 0; i < n; i++)
          out->data[i] = at->value;
        sub.shape = in[0].shape;
        sub.data = out->data + at->pads[0] * out->stride[2] + at->pads[1] * out->stride[3];
        _mcam_op_copy (&sub, &in[0]);
        return;
      }
    case MCAM_OP_TRANSPOSE:
      {
        McamView p = in[0];

        for (int k = 0; k < out->shape.ndim; k++)
          {
            p.shape.d[k] = in[0].shape.d[at->perm[k]];
            p.stride[k] = in[0].stride[at->perm[k]];
          }
        _mcam_op_copy (out, &p);
        return;
      }
    case MCAM_OP_FLATTEN:
    case MCAM_OP_RESHAPE:
      reshape_copy (&in[0], out);
      return;
    case MCAM_OP_REDUCE_MEAN:
      {
        McamView o = { out->data, in[0].shape, { 0 } };
        gint64 n = _mcam_shape_numel (&out->shape), count = 1;
        int k2 = 0;

        /* out seen with the input's shape, stride 0 on the reduced axes */
        for (int k = 0; k < in[0].shape.ndim; k++)
          if (at->axes_mask & (1u << k))
            {
              o.stride[k] = 0;
              count *= in[0].shape.d[k];
              k2 += at->keepdims;
            }
          else
            o.stride[k] = out->stride[k2++];
        memset (out->data, 0, sizeof (float) * n);
        _mcam_op_accumulate (&o, &in[0]);
        for (gint64 i = 0; i < n; i++)
          out->data[i] /= (float) count;
        return;
      }
    default:
      g_assert_not_reached ();
    }
}

/* ---- the prepared ops --------------------------------------------------- */

/* The groups of a grouped convolution, [g0, g1), with workspace col. */
typedef struct
{
  const McamNode *n;
  const McamView *x, *res, *out;
  int             B, H, W;
  McamActLayout   in_l, out_l;
  const McamConvAct *act;
  float          *col;
  int             pieces;
} GroupJob;

/* A group's product of fewer multiply-adds than this runs on one thread. */
#define GROUP_SPLIT_MAX_MACS (1u << 22)

static void
run_groups (const GroupJob *j, int g0, int g1, float *col)
{
  for (int gi = g0; gi < g1; gi++)
    {
      const McamConv *c = j->n->convs[gi];
      gsize in_off = (gsize) gi * c->in_c * j->in_l.chan_stride;
      gsize out_off = (gsize) gi * c->out_c * j->out_l.chan_stride;
      const float *r = NULL;

      if (j->res != NULL)
        r = j->res->data == j->out->data ? j->out->data + out_off : j->res->data + out_off;
      mcam_conv_forward_act (c, j->B, j->H, j->W, j->x->data + in_off, j->in_l,
                             j->out->data + out_off, j->out_l, r, j->act, col);
    }
}

static void
run_groups_piece (gpointer data, int i)
{
  const GroupJob *j = data;
  gsize g0, g1;
  g_autofree float *col = NULL;

  mcam_parallel_block (j->n->n_convs, j->pieces, 1, i, &g0, &g1);
  if (g1 <= g0)
    return;
  /* the first piece uses the plan's workspace, the others their own */
  if (i > 0)
    col = g_new (float, mcam_conv_workspace_size (j->n->convs[0], j->B, j->H, j->W) + 1);
  run_groups (j, (int) g0, (int) g1, i > 0 ? col : j->col);
}

/* oneDNN runs a conv (mcam-dnnl.c) when it is one group with an activation
 * oneDNN has and takes this geometry; act: the epilogue. */
static gboolean
node_dnnl (const McamNode *n, int B, int H, int W, McamConvAct *act)
{
  return n->op == MCAM_OP_CONV && n->convs != NULL && n->n_convs == 1 &&
         mcam_dnnl_available () && _mcam_act_conv_epilogue (n->attrs.act, act) &&
         mcam_dnnl_takes (n->convs[0], B, H, W, act);
}

static void
run_conv (const McamNode *n, const McamView *x, const McamView *res, const McamView *out,
          const guint8 *blocked, float *col)
{
  int B = (int) x->shape.d[0], H = (int) x->shape.d[2], W = (int) x->shape.d[3];
  int OH = (int) out->shape.d[2], OW = (int) out->shape.d[3];
  McamActLayout in_l = mcam_layout_cnhw (B, H, W), out_l = mcam_layout_cnhw (B, OH, OW);
  McamConvAct act;
  gboolean fused;

  if (node_dnnl (n, B, H, W, &act))
    {
      McamDnnlIo io = { blocked && blocked[n->inputs[0]], blocked && blocked[n->output],
                        res != NULL, res != NULL && blocked && blocked[n->residual] };
      gboolean ok = mcam_dnnl_forward (n->convs[0], B, H, W, &io, x->data, out->data,
                                       res ? res->data : NULL, &act, col);

      /* the plan asked for this geometry's workspace: it was prepared */
      g_assert (ok);
      return;
    }
  if (n->convs == NULL)
    {
      float **packed = (float **) &n->dw_packed;

      /* the blocked kernel's copy of the weights, made at the first forward
       * as Winograd's are (mcam_graph_get_weight_bytes counts it) */
      if (g_once_init_enter (packed))
        g_once_init_leave (packed, mcam_dwconv_pack (n->weight, n->bias, n->in_c, n->kh, n->kw));
      if (res != NULL)
        {
          /* rare: depthwise + residual; add before the activation. The
           * output may have taken over the residual's buffer (the plan
           * hands it over when the residual dies here): keep a copy. */
          McamAct none = { MCAM_ACT_NONE, 0, 0 };
          gsize total = (gsize) _mcam_shape_numel (&out->shape);
          g_autofree float *saved = NULL;
          const float *r = res->data;

          if (res->data == out->data)
            r = saved = g_memdup2 (res->data, sizeof (float) * total);
          /* and when the residual is the conv's own input, read the copy
           * (the scalar fallback's loops do not work in place) */
          _mcam_op_depthwise (x->data == out->data ? r : x->data, n->in_c, B, H, W, n->weight, n->bias, n->dw_packed,
                              n->kh, n->kw, n->attrs.stride[0], n->attrs.pads[0],
                              n->attrs.pads[1], out->data, OH, OW, none);
          for (gsize i = 0; i < total; i++)
            out->data[i] += r[i];
          _mcam_op_act (n->attrs.act, out->data, total);
          return;
        }
      _mcam_op_depthwise (x->data, n->in_c, B, H, W, n->weight, n->bias, n->dw_packed,
                          n->kh, n->kw, n->attrs.stride[0], n->attrs.pads[0], n->attrs.pads[1],
                          out->data, OH, OW, n->attrs.act);
      return;
    }
  /* the activation in the conv's epilogue (Sqrt, which has no vector
   * kernel, after it) */
  fused = _mcam_act_conv_epilogue (n->attrs.act, &act);
  {
    GroupJob j = { n, x, res, out, B, H, W, in_l, out_l, &act, col,
                   MIN (mcam_blas_get_threads (), n->n_convs) };

    /* Small groups (RegNet's 8 channels, ResNeXt's 4-32) side by side, one
     * thread a range of whole groups: each group's product split over the
     * threads cost more in fork-joins than it saved (RegNetY-400MF's grouped
     * convs 10.1 ms on one thread, 13.1 on two). */
    if (j.pieces > 1 && n->n_convs >= 2 * j.pieces &&
        (guint64) n->convs[0]->out_c * OH * OW * B * n->convs[0]->in_c * n->kh * n->kw <
        GROUP_SPLIT_MAX_MACS)
      mcam_parallel_for (j.pieces, run_groups_piece, &j);
    else
      run_groups (&j, 0, n->n_convs, col);
  }
  if (!fused)
    _mcam_op_act (n->attrs.act, out->data, (gsize) _mcam_shape_numel (&out->shape));
}

static void
run_linear (const McamNode *n, const McamView *x, const McamView *out)
{
  int B = (int) x->shape.d[0], K = n->in_c, O = n->out_c;

  if (x->shape.ndim == 2)
    {
      /* batched [B,K] is stored [K][B]: out [O][B] = W [O,K] X [K,B] */
      if (B == 1)   /* a GEMV: OpenBLAS's sgemm with one column is ~2x slower */
        mcam_sgemv (n->op == MCAM_OP_MATMUL, n->op == MCAM_OP_GEMM ? O : K,
                    n->op == MCAM_OP_GEMM ? K : O, 1.0f, n->weight,
                    n->op == MCAM_OP_GEMM ? K : O, x->data, 0.0f, out->data);
      else if (n->op == MCAM_OP_GEMM)
        mcam_sgemm (FALSE, FALSE, O, B, K, 1.0f, n->weight, K, x->data, B, 0.0f, out->data, B);
      else
        mcam_sgemm (TRUE, FALSE, O, B, K, 1.0f, n->weight, O, x->data, B, 0.0f, out->data, B);
      /* one image: the bias and activation as one vector pass over the O
       * outputs (per row they were O calls on one float each) */
      if (B == 1)
        {
          _mcam_op_bias_act (n->attrs.act, out->data, 1, O, n->bias);
          return;
        }
      for (int o = 0; o < O; o++)
        {
          float *row = out->data + (gsize) o * B;
          for (int b = 0; b < B; b++)
            row[b] += n->bias ? n->bias[o] : 0.0f;
          _mcam_op_act (n->attrs.act, row, B);
        }
      return;
    }
  /* 3-D and more: the last axis is contiguous, rows of K. The product goes
   * in blocks of rows whose output stays in L2 (~512 KB), so that the bias
   * and the activation (ConvNeXt's GELU) are applied in one pass while the
   * block is still in cache: on the whole 56×56×384 output (4.8 MB) the
   * two extra passes went to memory. */
  {
    gint64 M = _mcam_shape_numel (&x->shape) / K;
    gint64 step = MAX (256, (gint64) 131072 / O);

    if (M * O <= 262144)   /* small enough for L2 at once; OpenBLAS is faster in one call */
      step = M;

    for (gint64 m0 = 0; m0 < M; m0 += step)
      {
        int rows = (int) MIN (step, M - m0);
        float *y = out->data + m0 * O;

        mcam_sgemm (FALSE, FALSE, rows, O, K, 1.0f, x->data + m0 * K, K, n->weight, O, 0.0f, y,
                    O);
        _mcam_op_bias_act (n->attrs.act, y, rows, O, n->bias);
      }
  }
}

/* blocked[v]: value v is stored blocked (mcam-dnnl.h), NULL: all plain. */
static void
run_node (McamGraph *g, const McamNode *n, McamView *views, const guint8 *blocked, float *col)
{
  const McamView *x = &views[n->inputs[0]], *out = &views[n->output];
  gsize total = (gsize) _mcam_shape_numel (&out->shape);

  switch (n->op)
    {
    case MCAM_OP_CONV:
      run_conv (n, x, n->residual >= 0 ? &views[n->residual] : NULL, out, blocked, col);
      return;
    case MCAM_OP_GEMM:
    case MCAM_OP_MATMUL:
      run_linear (n, x, out);
      return;
    case MCAM_OP_SCALE_SHIFT:
      _mcam_op_scale_shift (x->data, out->data, n->out_c, total / n->out_c, n->weight, n->bias,
                            n->attrs.act);
      return;
    case MCAM_OP_CONCAT:
      if (n->weight != NULL)   /* with DenseNet's BatchNorm + ReLU: each input once */
        {
          gsize off = 0;

          for (int i = 0; i < n->n_inputs; i++)
            {
              const McamView *in = &views[n->inputs[i]];
              int ck = (int) in->shape.d[1];
              gsize inner = (gsize) _mcam_shape_numel (&in->shape) / ck;

              _mcam_op_scale_shift (in->data, out->data + off * inner, ck, inner,
                                    n->weight + off, n->bias + off, n->attrs.act);
              off += ck;
            }
          return;
        }
      break;
    case MCAM_OP_LAYERNORM:
      {
        int D = (int) x->shape.d[x->shape.ndim - 1];
        _mcam_op_layernorm (x->data, out->data, total / D, D, n->weight, n->bias, n->attrs.eps);
        return;
      }
    case MCAM_OP_GLOBAL_AVGPOOL:
      mcam_global_avgpool (x->data, (gsize) x->shape.d[0] * x->shape.d[1], (int) x->shape.d[2],
                           (int) x->shape.d[3], out->data);
      return;
    case MCAM_OP_MAXPOOL:
    case MCAM_OP_AVGPOOL:
      {
        const McamNodeAttrs *a = &n->attrs;
        gsize planes = (gsize) x->shape.d[0] * x->shape.d[1];
        int H = (int) x->shape.d[2], W = (int) x->shape.d[3];

        if (n->op == MCAM_OP_MAXPOOL && !a->ceil_mode && a->kernel[0] == a->kernel[1] &&
            a->stride[0] == a->stride[1] && a->pads[0] == a->pads[1] &&
            a->pads[0] == a->pads[2] && a->pads[0] == a->pads[3])
          mcam_maxpool2d (x->data, planes, H, W, a->kernel[0], a->stride[0], a->pads[0],
                          out->data);
        else
          _mcam_op_pool (n->op == MCAM_OP_MAXPOOL, a, x->data, planes, H, W, out->data,
                         (int) out->shape.d[2], (int) out->shape.d[3]);
        return;
      }
    default:
      break;
    }
  {
    g_autofree McamView *in = g_new (McamView, n->n_inputs);

    for (int i = 0; i < n->n_inputs; i++)
      in[i] = views[n->inputs[i]];
    _mcam_graph_eval_simple (n, in, out);
  }
}

void
_mcam_graph_run_node (McamGraph *g, const McamNode *n, McamView *views, float *col)
{
  run_node (g, n, views, NULL, col);
}

/* ---- planning ------------------------------------------------------------ */

typedef struct
{
  gsize cap;
  gboolean busy;
} Slot;

/* Buffers of maps start on a cache line (every slot is a multiple of 16
 * floats): malloc's large blocks start 16 bytes past a page, and a 64-byte
 * vector load from such an address spans two lines (oneDNN's convolutions
 * ran up to 2x slower so). NULL when there is not enough memory. */
float *
_mcam_graph_buffer_new (gsize floats)
{
  void *p = NULL;

  if (floats > G_MAXSIZE / sizeof (float) || posix_memalign (&p, 64, MAX (floats, 1) * sizeof (float)) != 0)
    return NULL;
  return p;
}

void
_mcam_graph_buffer_free (float *buffer)
{
  free (buffer);
}

/* The scratch buffer of the last run, or a private one when another thread
 * holds it (page faults on ~100 MB of fresh buffers would otherwise cost
 * tens of ms per call). */
static float *
workspace_acquire (McamGraph *g, gsize size, gboolean *cached)
{
  *cached = g_mutex_trylock (&g->ws_lock);
  if (!*cached)
    return _mcam_graph_buffer_new (size);
  if (g->ws_size < size)
    {
      _mcam_graph_buffer_free (g->ws);
      g->ws_size = 0;
      g->ws = _mcam_graph_buffer_new (size);
      if (g->ws == NULL)
        {
          g_mutex_unlock (&g->ws_lock);
          *cached = FALSE;
          return NULL;
        }
      g->ws_size = size;
    }
  return g->ws;
}

static void
workspace_release (McamGraph *g, float *ws, gboolean cached)
{
  if (cached)
    g_mutex_unlock (&g->ws_lock);
  else
    _mcam_graph_buffer_free (ws);
}

static gboolean
check_from (McamGraph *g, int from, const McamTensor *t, McamShape *s, GError **error)
{
  const McamValue *v = _mcam_graph_value (g, from);
  gboolean ok = t->ndim == v->ndim && t->shape[0] >= 1 && t->shape[0] <= G_MAXINT / 4;

  for (int k = 1; ok && k < v->ndim; k++)
    {
      /* another H x W than the graph was built for: shapes are re-inferred */
      if (k >= 2 && v->ndim == 4)
        ok = t->shape[k] >= 1 && t->shape[k] <= 65536;
      else
        ok = t->shape[k] == v->shape[k];
    }
  if (!ok)
    {
      g_autofree char *got = mcam_tensor_shape_to_string (t->ndim, t->shape);
      g_autofree char *want = mcam_tensor_shape_to_string (v->ndim, v->shape);
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_SHAPE,
                   "%s: '%s' given with shape %s, expected %s (batch%s free)", g->source,
                   v->name, got, want, v->ndim == 4 ? ", H and W" : "");
      return FALSE;
    }
  s->ndim = t->ndim;
  memcpy (s->d, t->shape, sizeof (gint64) * t->ndim);
  return TRUE;
}

/* Which values a run from `from` needs (ancestors of the output and of
 * `keep`), their shapes at this batch and image size, the last node reading
 * each (-1: none). */
static gboolean
plan_run (McamGraph *g, int from, const McamTensor *from_data, int keep, McamShape *shapes,
          gboolean *needed, int *last, GError **error)
{
  int nv = (int) g->values->len, nn = (int) g->nodes->len;
  int B;

  if (!check_from (g, from, from_data, &shapes[from], error))
    return FALSE;
  B = (int) from_data->shape[0];
  needed[g->output] = TRUE;
  if (keep >= 0)
    needed[keep] = TRUE;
  for (int i = nn - 1; i >= 0; i--)
    {
      McamNode *n = _mcam_graph_node (g, i);

      if (n->dead || !needed[n->output] || n->output == from)
        continue;
      for (int k = 0; k < n->n_inputs; k++)
        needed[n->inputs[k]] = TRUE;
      if (n->residual >= 0)
        needed[n->residual] = TRUE;
    }
  for (int v = 0; v < nv; v++)
    {
      const McamValue *val = _mcam_graph_value (g, v);

      if (needed[v] && val->batched && v != from && val->producer < 0)
        {
          g_set_error (error, MCAM_ERROR, MCAM_ERROR_UNSUPPORTED,
                       "%s: the logits do not follow from '%s' alone: a skip connection "
                       "bypasses it (choose a block's output, or the default layer)",
                       g->source, _mcam_graph_value (g, from)->name);
          return FALSE;
        }
      if (!val->batched)
        {
          shapes[v].ndim = val->ndim;
          memcpy (shapes[v].d, val->shape, sizeof shapes[v].d);
        }
      last[v] = -1;
    }
  for (int i = 0; i < nn; i++)
    {
      McamNode *n = _mcam_graph_node (g, i);
      g_autofree McamShape *in = NULL;

      if (n->dead || !needed[n->output] || n->output == from)
        continue;
      in = g_new (McamShape, n->n_inputs);
      for (int k = 0; k < n->n_inputs; k++)
        {
          in[k] = shapes[n->inputs[k]];
          last[n->inputs[k]] = i;
        }
      if (n->residual >= 0)
        last[n->residual] = i;
      if (!_mcam_graph_infer (g, n, in, &shapes[n->output], error))
        return FALSE;
      if (_mcam_shape_numel (&shapes[n->output]) > ((gint64) 1 << 34))
        {
          g_set_error (error, MCAM_ERROR, MCAM_ERROR_TOO_LARGE,
                       "%s: a batch of %d images of this size needs too much memory",
                       g->source, B);
          return FALSE;
        }
    }
  return TRUE;
}

/* Which values stay blocked between oneDNN convs (mcam-dnnl.h): those a
 * oneDNN conv writes and only oneDNN convs read, as their input or
 * residual; not `from`, the output or `keep`, which leave the run. */
static void
plan_layouts (McamGraph *g, int from, int keep, const McamShape *shapes,
              const gboolean *needed, guint8 *blocked)
{
  int nv = (int) g->values->len, nn = (int) g->nodes->len;
  g_autofree guint8 *dn = g_new0 (guint8, nn);
  g_autofree guint8 *bad = g_new0 (guint8, nv);

  for (int i = 0; i < nn; i++)
    {
      McamNode *n = _mcam_graph_node (g, i);
      const McamShape *xs;
      McamConvAct act;

      if (n->dead || !needed[n->output] || n->output == from)
        continue;
      xs = &shapes[n->inputs[0]];
      dn[i] = xs->ndim == 4 && node_dnnl (n, (int) xs->d[0], (int) xs->d[2], (int) xs->d[3], &act);
      /* every input of a node oneDNN does not run, and every input of a
       * oneDNN conv but its first, is read plain */
      for (int k = dn[i] ? 1 : 0; k < n->n_inputs; k++)
        bad[n->inputs[k]] = TRUE;
      if (n->residual >= 0 && !dn[i])
        bad[n->residual] = TRUE;
    }
  for (int v = 0; v < nv; v++)
    {
      const McamValue *val = _mcam_graph_value (g, v);

      blocked[v] = needed[v] && val->batched && v != from && v != g->output && v != keep &&
                   val->producer >= 0 && dn[val->producer] && !bad[v] && shapes[v].ndim == 4;
    }
}

/* Floats of scratch memory the convolutions of this run need; blocked
 * NULL: a trace (all plain), whose reverse pass re-runs convs without their
 * activation. */
static gsize
plan_workspace (McamGraph *g, int from, const McamShape *shapes, const gboolean *needed,
                const guint8 *blocked, gboolean *refused)
{
  gsize col = 0;

  for (int i = 0; i < (int) g->nodes->len; i++)
    {
      McamNode *n = _mcam_graph_node (g, i);
      const McamShape *xs;
      int B, H, W;
      McamConvAct act;

      if (n->dead || !needed[n->output] || n->output == from || n->op != MCAM_OP_CONV ||
          n->convs == NULL)
        continue;
      xs = &shapes[n->inputs[0]];
      B = (int) xs->d[0], H = (int) xs->d[2], W = (int) xs->d[3];
      if (node_dnnl (n, B, H, W, &act))
        {
          McamDnnlIo io = { blocked && blocked[n->inputs[0]], blocked && blocked[n->output],
                            n->residual >= 0,
                            n->residual >= 0 && blocked && blocked[n->residual] };
          McamConvAct none = { MCAM_VEC_NONE, 0, 0 };

          gsize need = mcam_dnnl_workspace_size (n->convs[0], B, H, W, &io, &act);

          if (blocked == NULL && need > 0)
            need = MAX (need, mcam_dnnl_workspace_size (n->convs[0], B, H, W, &io, &none));
          /* 0: oneDNN refused the geometry, the engine's kernel takes the
           * conv from now on (node_dnnl), and the layouts are planned again */
          *refused |= need == 0;
          col = MAX (col, need);
        }
      else
        col = MAX (col, mcam_conv_workspace_size (n->convs[0], B, H, W));
    }
  return col;
}

McamGraphTrace *
_mcam_graph_trace (McamGraph *g, int from, const McamTensor *from_data, GError **error)
{
  int nv = (int) g->values->len, nn = (int) g->nodes->len;
  g_autoptr (McamGraphTrace) t = g_new0 (McamGraphTrace, 1);
  g_autofree int *last = g_new (int, nv);
  g_autofree gsize *off = g_new0 (gsize, nv);
  gsize col, total = 0;

  t->shapes = g_new0 (McamShape, nv);
  t->needed = g_new0 (gboolean, nv);
  t->views = g_new0 (McamView, nv);
  t->from = from;
  if (!plan_run (g, from, from_data, -1, t->shapes, t->needed, last, error))
    return NULL;
  {
    gboolean refused;

    do
      {
        refused = FALSE;
        col = plan_workspace (g, from, t->shapes, t->needed, NULL, &refused);
      }
    while (refused);
  }
  /* every needed value in its own buffer: the reverse pass reads them all */
  for (int v = 0; v < nv; v++)
    if (t->needed[v] && _mcam_graph_value (g, v)->batched)
      {
        off[v] = total;
        total += ((gsize) _mcam_shape_numel (&t->shapes[v]) + 15) & ~(gsize) 15;
      }
  t->data = _mcam_graph_buffer_new (total + col + 16);
  if (t->data == NULL)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_TOO_LARGE, "%s: not enough memory", g->source);
      return NULL;
    }
  for (int v = 0; v < nv; v++)
    {
      const McamValue *val = _mcam_graph_value (g, v);

      if (!val->batched)
        _mcam_view_init (&t->views[v], val->data, &t->shapes[v], FALSE);
      else if (t->needed[v])
        _mcam_view_init (&t->views[v], t->data + off[v], &t->shapes[v], TRUE);
    }
  {
    McamView src;

    _mcam_view_init (&src, from_data->data, &t->shapes[from], FALSE);
    _mcam_op_copy (&t->views[from], &src);
  }
  for (int i = 0; i < nn; i++)
    {
      McamNode *n = _mcam_graph_node (g, i);

      if (n->dead || !t->needed[n->output] || n->output == from)
        continue;
      _mcam_graph_run_node (g, n, t->views, t->data + total);
    }
  t->col = t->data + total;
  return g_steal_pointer (&t);
}

void
_mcam_graph_trace_free (McamGraphTrace *t)
{
  if (t == NULL)
    return;
  g_free (t->shapes);
  g_free (t->needed);
  g_free (t->views);
  _mcam_graph_buffer_free (t->data);
  g_free (t);
}

gboolean
mcam_graph_run (McamGraph *g, int from, const McamTensor *from_data, int keep,
                McamTensor **kept, McamTensor **output, GCancellable *cancellable,
                GError **error)
{
  int nv = (int) g->values->len, nn = (int) g->nodes->len;
  g_autofree McamShape *shapes = g_new0 (McamShape, nv);
  g_autofree gboolean *needed = g_new0 (gboolean, nv);
  g_autofree int *last = g_new (int, nv);
  g_autofree int *slot_of = g_new (int, nv);
  g_autofree McamView *views = g_new0 (McamView, nv);
  g_autofree guint8 *blocked = g_new0 (guint8, nv);
  g_autoptr (GArray) slots = g_array_new (FALSE, TRUE, sizeof (Slot));
  gsize col = 0, total = 0;
  g_autofree gsize *offsets = NULL;
  gboolean cached;
  float *ws;
  int B;

  g_return_val_if_fail (g->finished && from >= 0 && from < nv, FALSE);
  if (kept)
    *kept = NULL;
  if (output)
    *output = NULL;
  if (!plan_run (g, from, from_data, keep, shapes, needed, last, error))
    return FALSE;
  {
    gboolean refused;

    do
      {
        refused = FALSE;
        plan_layouts (g, from, keep, shapes, needed, blocked);
        col = plan_workspace (g, from, shapes, needed, blocked, &refused);
      }
    while (refused);
  }
  B = (int) from_data->shape[0];
  for (int v = 0; v < nv; v++)
    slot_of[v] = -1;
  last[g->output] = G_MAXINT;
  if (keep >= 0)
    last[keep] = G_MAXINT;

  /* Buffers: a value takes a free slot (grown when needed) and frees its
   * inputs' slots after its node; a conv adding a residual that dies there
   * writes over it (the GEMM accumulates into it). */
  {
    Slot s = { (gsize) _mcam_shape_numel (&shapes[from]), TRUE };

    g_array_append_val (slots, s);
    slot_of[from] = 0;
  }
  for (int i = 0; i < nn; i++)
    {
      McamNode *n = _mcam_graph_node (g, i);
      gsize need;
      int best = -1;

      if (n->dead || !needed[n->output] || n->output == from)
        continue;
      need = (gsize) _mcam_shape_numel (&shapes[n->output]);
      if (blocked[n->output])
        need = mcam_dnnl_blocked_size ((int) shapes[n->output].d[0], (int) shapes[n->output].d[1],
                                       (int) shapes[n->output].d[2], (int) shapes[n->output].d[3]);
      /* (a blocked and a plain map of one shape differ in size) */
      if (n->op == MCAM_OP_CONV && n->residual >= 0 && last[n->residual] == i &&
          slot_of[n->residual] >= 0 && blocked[n->residual] == blocked[n->output])
        {
          slot_of[n->output] = slot_of[n->residual];
          last[n->residual] = -2;   /* handed over, not freed */
        }
      else
        {
          for (guint k = 0; k < slots->len; k++)
            {
              Slot *sl = &g_array_index (slots, Slot, k);
              if (sl->busy)
                continue;
              if (best < 0 || (sl->cap >= need && (g_array_index (slots, Slot, best).cap < need ||
                                                  sl->cap < g_array_index (slots, Slot, best).cap)) ||
                  (sl->cap < need && g_array_index (slots, Slot, best).cap < sl->cap))
                best = (int) k;
            }
          if (best < 0)
            {
              Slot s = { 0, FALSE };
              g_array_append_val (slots, s);
              best = (int) slots->len - 1;
            }
          g_array_index (slots, Slot, best).busy = TRUE;
          g_array_index (slots, Slot, best).cap = MAX (g_array_index (slots, Slot, best).cap, need);
          slot_of[n->output] = best;
        }
      for (int k = 0; k <= n->n_inputs; k++)
        {
          int v = k < n->n_inputs ? n->inputs[k] : n->residual;
          if (v >= 0 && last[v] == i && slot_of[v] >= 0 && v != n->output)
            {
              g_array_index (slots, Slot, slot_of[v]).busy = FALSE;
              last[v] = -2;   /* freed once even when read twice */
            }
        }
    }
  offsets = g_new (gsize, slots->len + 1);
  for (guint k = 0; k < slots->len; k++)
    {
      offsets[k] = total;
      /* 16-float alignment: the kernels' vector loads stay on cache lines */
      total += (g_array_index (slots, Slot, k).cap + 15) & ~(gsize) 15;
    }
  ws = workspace_acquire (g, total + col, &cached);
  if (ws == NULL)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_TOO_LARGE,
                   "%s: not enough memory for a batch of %d images", g->source, B);
      return FALSE;
    }
  for (int v = 0; v < nv; v++)
    {
      const McamValue *val = _mcam_graph_value (g, v);

      if (!val->batched)
        _mcam_view_init (&views[v], val->data, &shapes[v], FALSE);
    }
  /* slots were reassigned over time; each value's view is made when its
   * node runs (below), the `from` value's here */
  {
    McamView src;

    _mcam_view_init (&views[from], ws + offsets[slot_of[from]], &shapes[from], TRUE);
    _mcam_view_init (&src, from_data->data, &shapes[from], FALSE);
    _mcam_op_copy (&views[from], &src);
  }
  for (int i = 0; i < nn; i++)
    {
      McamNode *n = _mcam_graph_node (g, i);

      if (n->dead || !needed[n->output] || n->output == from)
        continue;
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          workspace_release (g, ws, cached);
          return FALSE;
        }
      _mcam_view_init (&views[n->output], ws + offsets[slot_of[n->output]], &shapes[n->output],
                       TRUE);
      if (G_UNLIKELY (_mcam_graph_profile_on ()))
        {
          gint64 t0 = _mcam_graph_profile_now ();
          run_node (g, n, views, blocked, ws + total);
          _mcam_graph_profile_add (n, _mcam_graph_value (g, n->output)->name,
                                   &shapes[n->inputs[0]], &shapes[n->output],
                                   _mcam_graph_profile_now () - t0);
        }
      else
        run_node (g, n, views, blocked, ws + total);
    }

  if (output != NULL)
    {
      McamView dst;

      *output = mcam_tensor_new (shapes[g->output].ndim, shapes[g->output].d);
      _mcam_view_init (&dst, (*output)->data, &shapes[g->output], FALSE);
      _mcam_op_copy (&dst, &views[g->output]);
    }
  if (kept != NULL && keep >= 0)
    {
      McamView dst;

      *kept = mcam_tensor_new (shapes[keep].ndim, shapes[keep].d);
      _mcam_view_init (&dst, (*kept)->data, &shapes[keep], FALSE);
      _mcam_op_copy (&dst, &views[keep]);
    }
  workspace_release (g, ws, cached);
  return TRUE;
}
