/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Rewrites for the shapes particular exporters and models write, run by
 * _mcam_graph_rewrite beside the generic fusions of mcam-graph-rewrite.c:
 * a zero Pad dropped, ConvNeXt's layer scale folded into its MatMul,
 * DenseNet's BatchNorm + ReLU taken by the Concat before it (issue 10
 * item 8: ConvNeXt-T and DenseNet-121 against ONNX Runtime). */

#include "config.h"

#include <string.h>

#include "mcam-graph-private.h"

/* A Pad of zero on every side is a copy (torch exports one before each of
 * DenseNet's transition pools): its readers read its input instead. */
void
_mcam_graph_drop_zero_pads (McamGraph *g)
{
  for (guint i = 0; i < g->nodes->len; i++)
    {
      McamNode *pad = _mcam_graph_node (g, i);
      int from, to;

      if (pad->dead || pad->op != MCAM_OP_PAD || pad->attrs.act.kind != MCAM_ACT_NONE ||
          pad->attrs.pads[0] != 0 || pad->attrs.pads[1] != 0 || pad->attrs.pads[2] != 0 ||
          pad->attrs.pads[3] != 0 || pad->output == g->output)
        continue;
      from = pad->output;
      to = pad->inputs[0];
      for (guint j = i + 1; j < g->nodes->len; j++)
        {
          McamNode *r = _mcam_graph_node (g, j);

          for (int k = 0; k < r->n_inputs; k++)
            if (r->inputs[k] == from)
              r->inputs[k] = to;
          if (r->residual == from)
            r->residual = to;
        }
      _mcam_graph_drop_node (g, pad);
    }
}

/* ConvNeXt's layer scale: MatMul (+ bias) -> Transpose (0,3,1,2) -> Mul by a
 * constant [C,1,1]. The scale multiplies the MatMul's output columns, so it
 * goes into its weights and bias, and the Transpose writes the Mul's output. */
void
_mcam_graph_fold_channel_scale (McamGraph *g)
{
  g_autofree int *uses = _mcam_graph_count_uses (g);
  static const int nchw[4] = { 0, 3, 1, 2 };

  for (guint i = 0; i < g->nodes->len; i++)
    {
      McamNode *n = _mcam_graph_node (g, i), *t, *p;

      if (n->dead || n->op != MCAM_OP_MUL || n->attrs.act.kind != MCAM_ACT_NONE)
        continue;
      for (int side = 0; side < 2; side++)
        {
          const McamValue *c = _mcam_graph_value (g, n->inputs[1 - side]);
          gint64 C;

          t = _mcam_graph_sole_producer (g, uses, n->inputs[side], MCAM_OP_TRANSPOSE);
          if (t == NULL ||
              t->attrs.act.kind != MCAM_ACT_NONE ||
              _mcam_graph_value (g, t->output)->ndim != 4 ||
              memcmp (t->attrs.perm, nchw, sizeof nchw) != 0 ||
              (p = _mcam_graph_sole_producer (g, uses, t->inputs[0], MCAM_OP_MATMUL)) == NULL ||
              p->attrs.act.kind != MCAM_ACT_NONE || c->batched || c->data == NULL)
            continue;
          C = p->out_c;
          /* [C,1,1] or [1,C,1,1]: one factor per channel (axis 1 of the output) */
          if (!((c->ndim == 3 && c->shape[0] == C && c->shape[1] == 1 && c->shape[2] == 1) ||
                (c->ndim == 4 && c->shape[0] == 1 && c->shape[1] == C && c->shape[2] == 1 &&
                 c->shape[3] == 1)))
            continue;
          for (int k = 0; k < p->in_c; k++)
            for (gint64 o = 0; o < C; o++)
              p->weight[(gsize) k * C + o] *= c->data[o];
          for (gint64 o = 0; p->bias != NULL && o < C; o++)
            p->bias[o] *= c->data[o];
          _mcam_graph_absorb (g, t, n);
          break;
        }
    }
}

/* Whether a later live Concat reads every input of c: c is then a partial
 * sum of features (a DenseNet layer's input), not a block's output. */
static gboolean
concat_subsumed (McamGraph *g, const McamNode *c)
{
  guint i = 0;

  g_ptr_array_find (g->nodes, c, &i);
  for (i = i + 1; i < g->nodes->len; i++)
    {
      const McamNode *d = _mcam_graph_node (g, i);
      gboolean all = !d->dead && d->op == MCAM_OP_CONCAT;

      for (int k = 0; all && k < c->n_inputs; k++)
        {
          gboolean found = FALSE;

          for (int j = 0; j < d->n_inputs && !found; j++)
            found = d->inputs[j] == c->inputs[k];
          all = found;
        }
      if (all)
        return TRUE;
    }
  return FALSE;
}

/* DenseNet: every layer concatenates all the earlier features and runs its
 * own BatchNorm + ReLU (a scale/shift: its statistics differ per layer) over
 * the result, which nothing else reads. The Concat then takes the
 * scale/shift as its epilogue: each input is written once, scaled, into its
 * channels of the output, instead of a copy followed by a second pass over
 * the whole growing map. The Concat's own output then no longer exists, so
 * only the layers' inputs are fused, whose features a later Concat holds
 * again; a block's output (the last of its chain) stays a map one can
 * choose as the target layer. */
void
_mcam_graph_fuse_concat_scale_shift (McamGraph *g)
{
  g_autofree int *uses = _mcam_graph_count_uses (g);

  for (guint i = 0; i < g->nodes->len; i++)
    {
      McamNode *n = _mcam_graph_node (g, i), *c;
      const McamValue *y;
      int axis;
      gboolean batched = TRUE;

      if (n->dead || n->op != MCAM_OP_SCALE_SHIFT ||
          (c = _mcam_graph_sole_producer (g, uses, n->inputs[0], MCAM_OP_CONCAT)) == NULL ||
          c->weight != NULL || c->attrs.act.kind != MCAM_ACT_NONE || !concat_subsumed (g, c))
        continue;
      y = _mcam_graph_value (g, c->output);
      axis = c->attrs.axis < 0 ? c->attrs.axis + y->ndim : c->attrs.axis;
      for (int k = 0; k < c->n_inputs; k++)
        batched = batched && _mcam_graph_value (g, c->inputs[k])->batched;
      if (axis != 1 || y->ndim < 2 || !batched || n->out_c != y->shape[1])
        continue;
      c->weight = g_steal_pointer (&n->weight);
      c->bias = g_steal_pointer (&n->bias);
      c->out_c = c->in_c = n->out_c;
      c->attrs.act = n->attrs.act;
      _mcam_graph_absorb (g, c, n);
    }
}
