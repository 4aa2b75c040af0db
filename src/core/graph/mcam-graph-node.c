/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One kernel call per node: the executor (mcam-graph-run.c) and the reverse
 * pass's recomputations (mcam-graph-grad.c) run every node through
 * _mcam_graph_run_node; the builder's constant folding the simple ops
 * through _mcam_graph_eval_simple. */

#include "config.h"

#include <string.h>

#include "mcam/mcam-blas.h"
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

static void
run_conv (const McamNode *n, const McamView *x, const McamView *res, const McamView *out,
          gboolean dnnl, const guint8 *blocked, float *col)
{
  int B = (int) x->shape.d[0], H = (int) x->shape.d[2], W = (int) x->shape.d[3];
  int OH = (int) out->shape.d[2], OW = (int) out->shape.d[3];
  McamActLayout in_l = mcam_layout_cnhw (B, H, W), out_l = mcam_layout_cnhw (B, OH, OW);
  McamConvAct act;
  gboolean fused;

  /* The plan's choice, not asked again: another thread's plan may have
   * found oneDNN refusing one of this conv's geometries since, which takes
   * later plans off oneDNN, but this run's maps were laid out for it, and
   * the geometry it asked for was prepared (mcam_dnnl_workspace_size). */
  if (dnnl)
    {
      McamDnnlIo io = { blocked && blocked[n->inputs[0]], blocked && blocked[n->output],
                        res != NULL, res != NULL && blocked && blocked[n->residual] };
      gboolean ok;

      _mcam_act_conv_epilogue (n->attrs.act, &act);
      ok = mcam_dnnl_forward (_mcam_graph_dnnl_conv (n), B, H, W, &io, x->data, out->data,
                              res ? res->data : NULL, &act, col);
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

void
_mcam_graph_run_node (McamGraph *g, const McamNode *n, McamView *views, gboolean dnnl,
                      const guint8 *blocked, float *col)
{
  const McamView *x = &views[n->inputs[0]], *out = &views[n->output];
  gsize total = (gsize) _mcam_shape_numel (&out->shape);

  switch (n->op)
    {
    case MCAM_OP_CONV:
      run_conv (n, x, n->residual >= 0 ? &views[n->residual] : NULL, out, dnnl, blocked, col);
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

        if (dnnl)   /* blocked maps (the plan, mcam-graph-dnnl.c) */
          {
            gboolean ok = mcam_dnnl_maxpool (n->dnnl_pool, (int) x->shape.d[0],
                                             (int) x->shape.d[1], H, W, x->data, out->data, col);

            g_assert (ok);   /* the plan asked for its workspace: prepared */
            return;
          }
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
