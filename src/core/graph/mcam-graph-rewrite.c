/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Load-time rewrites of a built graph (mcam_graph_finish): every conv,
 * linear layer and normalisation gets its own copy of its parameters; an
 * eval-mode BatchNorm is folded into the conv before it (a standalone one,
 * DenseNet's, becomes a per-channel scale and shift); a residual Add and
 * the activation after it go into the conv's epilogue; the convolutions'
 * kernels are made (one McamConv per group, or the direct depthwise kernel). */

#include "config.h"

#include <math.h>
#include <string.h>

#include "mcam/mcam-error.h"
#include "mcam-dwconv.h"
#include "mcam-graph-private.h"
#include "mcam-dnnl.h"

void
_mcam_node_clear_prepared (McamNode *node)
{
  for (int i = 0; i < node->n_convs; i++)
    {
      /* the kernels borrow slices of node->weight and node->bias (prepare_conv) */
      node->convs[i]->weight = NULL;
      node->convs[i]->bias = NULL;
      mcam_conv_free (node->convs[i]);
    }
  g_clear_pointer (&node->convs, g_free);
  node->n_convs = 0;
  _mcam_graph_dnnl_node_clear (node);
  g_clear_pointer (&node->dw_packed, mcam_dwconv_pack_free);
  g_clear_pointer (&node->weight, g_free);
  g_clear_pointer (&node->bias, g_free);
}

static gboolean
need_constant (McamGraph *g, McamNode *n, int k, GError **error)
{
  if (k < n->n_inputs && _mcam_graph_value (g, n->inputs[k])->batched)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_UNSUPPORTED,
                   "%s: node '%s' (%s): input %d ('%s') must be a constant (weights computed "
                   "from the image are not supported)", g->source, n->name,
                   mcam_op_type_to_string (n->op), k, _mcam_graph_value (g, n->inputs[k])->name);
      return FALSE;
    }
  return TRUE;
}

/* The node's own copy of the constant v. When this node is its only reader
 * the data is taken instead (the value keeps its shape, data becomes NULL):
 * the weights exist once, and loading never holds a second full copy. */
static float *
const_take (McamGraph *g, const int *uses, int v)
{
  McamValue *val = _mcam_graph_value (g, v);

  if (uses[v] == 1)
    return g_steal_pointer (&val->data);
  return g_memdup2 (val->data, sizeof (float) * mcam_shape_numel (val->ndim, val->shape));
}

/* v's data once no node reads it any more (BatchNorm statistics after the
 * fold, a Gemm's weight after its transposed copy). */
static void
const_release (McamGraph *g, int *uses, int v)
{
  McamValue *val = _mcam_graph_value (g, v);

  if (--uses[v] == 0 && !val->batched)
    g_clear_pointer (&val->data, g_free);
}

/* Each node's parameters in the form its kernel wants. */
static gboolean
prepare_params (McamGraph *g, McamNode *n, int *uses, GError **error)
{
  switch (n->op)
    {
    case MCAM_OP_CONV:
      {
        const McamValue *w = _mcam_graph_value (g, n->inputs[1]);

        if (!need_constant (g, n, 1, error) || !need_constant (g, n, 2, error))
          return FALSE;
        n->out_c = (int) w->shape[0];
        n->in_c = (int) w->shape[1] * n->attrs.group;
        n->kh = (int) w->shape[2];
        n->kw = (int) w->shape[3];
        n->weight = const_take (g, uses, n->inputs[1]);
        n->bias = n->n_inputs > 2 ? const_take (g, uses, n->inputs[2]) : g_new0 (float, n->out_c);
        return TRUE;
      }
    case MCAM_OP_GEMM:
      {
        const McamValue *w = _mcam_graph_value (g, n->inputs[1]);
        gsize nw;

        if (!need_constant (g, n, 1, error) || !need_constant (g, n, 2, error))
          return FALSE;
        n->out_c = (int) w->shape[n->attrs.trans_b ? 0 : 1];
        n->in_c = (int) w->shape[n->attrs.trans_b ? 1 : 0];
        nw = (gsize) n->out_c * n->in_c;
        /* kept as [O, K]: what PyTorch exports (transB = 1, alpha = 1) is taken as is */
        if (n->attrs.trans_b && n->attrs.alpha == 1.0f)
          n->weight = const_take (g, uses, n->inputs[1]);
        else
          {
            n->weight = g_new (float, nw);
            for (int o = 0; o < n->out_c; o++)
              for (int k = 0; k < n->in_c; k++)
                n->weight[(gsize) o * n->in_c + k] =
                  n->attrs.alpha * w->data[n->attrs.trans_b ? (gsize) o * n->in_c + k
                                                             : (gsize) k * n->out_c + o];
            const_release (g, uses, n->inputs[1]);
          }
        if (n->n_inputs > 2 && n->attrs.beta == 1.0f &&
            mcam_shape_numel (_mcam_graph_value (g, n->inputs[2])->ndim,
                              _mcam_graph_value (g, n->inputs[2])->shape) == n->out_c)
          n->bias = const_take (g, uses, n->inputs[2]);
        else if (n->n_inputs > 2)
          {
            const McamValue *b = _mcam_graph_value (g, n->inputs[2]);
            gboolean scalar = mcam_shape_numel (b->ndim, b->shape) == 1;

            n->bias = g_new (float, n->out_c);
            for (int o = 0; o < n->out_c; o++)
              n->bias[o] = n->attrs.beta * b->data[scalar ? 0 : o];
            const_release (g, uses, n->inputs[2]);
          }
        else
          n->bias = g_new0 (float, n->out_c);
        (void) nw;
        return TRUE;
      }
    case MCAM_OP_MATMUL:
      {
        const McamValue *w = _mcam_graph_value (g, n->inputs[1]);

        if (!need_constant (g, n, 1, error))
          return FALSE;
        n->in_c = (int) w->shape[0];
        n->out_c = (int) w->shape[1];
        n->weight = const_take (g, uses, n->inputs[1]);   /* [K, O] */
        return TRUE;
      }
    case MCAM_OP_BATCHNORM:
    case MCAM_OP_SCALE_SHIFT:
      {
        int C = (int) _mcam_graph_value (g, n->inputs[1])->shape[0];

        for (int k = 1; k < n->n_inputs; k++)
          if (!need_constant (g, n, k, error))
            return FALSE;
        if (n->op == MCAM_OP_BATCHNORM && n->n_inputs != 5)
          {
            g_set_error (error, MCAM_ERROR, MCAM_ERROR_FORMAT,
                         "%s: node '%s' (BatchNormalization) has %d inputs, expected 5",
                         g->source, n->name, n->n_inputs);
            return FALSE;
          }
        n->out_c = n->in_c = C;
        n->weight = g_new (float, C);
        n->bias = g_new (float, C);
        for (int c = 0; c < C; c++)
          {
            if (n->op == MCAM_OP_SCALE_SHIFT)
              {
                n->weight[c] = _mcam_graph_value (g, n->inputs[1])->data[c];
                n->bias[c] = n->n_inputs > 2 ? _mcam_graph_value (g, n->inputs[2])->data[c] : 0.0f;
                continue;
              }
            double gamma = _mcam_graph_value (g, n->inputs[1])->data[c];
            double beta = _mcam_graph_value (g, n->inputs[2])->data[c];
            double mean = _mcam_graph_value (g, n->inputs[3])->data[c];
            double var = _mcam_graph_value (g, n->inputs[4])->data[c];
            double s;

            if (!(var >= 0.0))
              {
                g_set_error (error, MCAM_ERROR, MCAM_ERROR_VALUE,
                             "%s: node '%s' (BatchNormalization): tensor '%s' holds a negative "
                             "variance (%g) at element %d", g->source, n->name,
                             _mcam_graph_value (g, n->inputs[4])->name, var, c);
                return FALSE;
              }
            s = gamma / sqrt (var + n->attrs.eps);
            n->weight[c] = (float) s;
            n->bias[c] = (float) (beta - mean * s);
          }
        for (int k = 1; k < n->n_inputs; k++)
          const_release (g, uses, n->inputs[k]);
        return TRUE;
      }
    case MCAM_OP_LAYERNORM:
      if (!need_constant (g, n, 1, error) || !need_constant (g, n, 2, error))
        return FALSE;
      n->weight = const_take (g, uses, n->inputs[1]);
      n->bias = const_take (g, uses, n->inputs[2]);
      return TRUE;
    default:
      return TRUE;
    }
}

/* Readers of every value among live nodes (the output counts as one). */
static int *
count_uses (McamGraph *g)
{
  int *uses = g_new0 (int, g->values->len);

  for (guint i = 0; i < g->nodes->len; i++)
    {
      McamNode *n = _mcam_graph_node (g, i);

      if (n->dead)
        continue;
      for (int k = 0; k < n->n_inputs; k++)
        uses[n->inputs[k]]++;
      if (n->residual >= 0)
        uses[n->residual]++;
    }
  uses[g->output]++;
  return uses;
}

static int
node_index (McamGraph *g, McamNode *n)
{
  guint i = 0;

  g_ptr_array_find (g->nodes, n, &i);
  return (int) i;
}

/* `into` writes `gone`'s output from now on; `gone` disappears, and so does
 * the value between them. */
static void
absorb (McamGraph *g, McamNode *into, McamNode *gone)
{
  _mcam_graph_value (g, into->output)->producer = -2;
  into->output = gone->output;
  _mcam_graph_value (g, gone->output)->producer = node_index (g, into);
  gone->dead = TRUE;
}

static McamNode *
producer (McamGraph *g, int v)
{
  int p = _mcam_graph_value (g, v)->producer;
  return p >= 0 ? _mcam_graph_node (g, p) : NULL;
}

/* ---- sub-graphs recognised as one op ------------------------------------- */

static gboolean
scalar_is (McamGraph *g, int v, double want)
{
  const McamValue *c = _mcam_graph_value (g, v);

  return !c->batched && c->data != NULL && mcam_shape_numel (c->ndim, c->shape) == 1 &&
         fabs (c->data[0] - want) <= 1e-4 * fabs (want);
}

/* The live node producing v when nothing else reads v. */
static McamNode *
sole_producer (McamGraph *g, const int *uses, int v, McamOpType op)
{
  McamNode *p = producer (g, v);

  return p != NULL && !p->dead && p->op == op && uses[v] == 1 ? p : NULL;
}

static void
drop_node (McamGraph *g, McamNode *n)
{
  n->dead = TRUE;
  _mcam_graph_value (g, n->output)->producer = -2;
}

/* Exporters write SiLU as x · Sigmoid(x), hard-swish (opset < 14) as
 * x · HardSigmoid(x; 1/6, 1/2), GELU (opset < 20) as
 * (x · (Erf(x / √2) + 1)) · 0.5: each becomes one activation, which the
 * conv before it can then take into its epilogue. */
static void
recognise (McamGraph *g)
{
  g_autofree int *uses = count_uses (g);

  for (guint i = 0; i < g->nodes->len; i++)
    {
      McamNode *n = _mcam_graph_node (g, i), *u, *m, *add, *erf, *div;
      McamActKind kind = MCAM_ACT_NONE;
      int x = -1;

      if (n->dead || n->op != MCAM_OP_MUL || n->attrs.act.kind != MCAM_ACT_NONE)
        continue;
      for (int side = 0; side < 2 && kind == MCAM_ACT_NONE; side++)
        {
          int other = n->inputs[1 - side];

          if ((u = sole_producer (g, uses, n->inputs[side], MCAM_OP_UNARY)) != NULL &&
              u->inputs[0] == other)
            {
              if (u->attrs.act.kind == MCAM_ACT_SIGMOID)
                kind = MCAM_ACT_SILU;
              else if (u->attrs.act.kind == MCAM_ACT_HARD_SIGMOID &&
                       fabsf (u->attrs.act.a - 1.0f / 6.0f) < 1e-6f &&
                       fabsf (u->attrs.act.b - 0.5f) < 1e-6f)
                kind = MCAM_ACT_HARD_SWISH;
              if (kind != MCAM_ACT_NONE)
                {
                  drop_node (g, u);
                  x = other;
                }
            }
          /* GELU: n = m · 0.5, m = x · add, add = erf + 1, erf = Erf (div), div = x / √2 */
          else if (scalar_is (g, n->inputs[1 - side], 0.5) &&
                   (m = sole_producer (g, uses, n->inputs[side], MCAM_OP_MUL)) != NULL)
            for (int ms = 0; ms < 2 && kind == MCAM_ACT_NONE; ms++)
              {
                int mx = m->inputs[1 - ms];

                if ((add = sole_producer (g, uses, m->inputs[ms], MCAM_OP_ADD)) == NULL)
                  continue;
                for (int as = 0; as < 2 && kind == MCAM_ACT_NONE; as++)
                  if (scalar_is (g, add->inputs[1 - as], 1.0) &&
                      (erf = sole_producer (g, uses, add->inputs[as], MCAM_OP_UNARY)) != NULL &&
                      erf->attrs.act.kind == MCAM_ACT_ERF &&
                      (div = sole_producer (g, uses, erf->inputs[0], MCAM_OP_DIV)) != NULL &&
                      div->inputs[0] == mx && scalar_is (g, div->inputs[1], G_SQRT2))
                    {
                      kind = MCAM_ACT_GELU;
                      x = mx;
                      drop_node (g, m);
                      drop_node (g, add);
                      drop_node (g, erf);
                      drop_node (g, div);
                    }
              }
        }
      if (kind == MCAM_ACT_NONE)
        continue;
      n->op = MCAM_OP_UNARY;
      n->attrs.act.kind = kind;
      n->inputs[0] = x;
      n->n_inputs = 1;
    }
}

/* A constant [D] operand of n (a binary op) beside the value v: its index or -1. */
static int
vector_beside (McamGraph *g, const McamNode *n, int v, gint64 D)
{
  for (int k = 0; k < 2; k++)
    if (n->inputs[1 - k] == v)
      {
        const McamValue *c = _mcam_graph_value (g, n->inputs[k]);
        return !c->batched && c->ndim == 1 && c->shape[0] == D ? n->inputs[k] : -1;
      }
  return -1;
}

/* LayerNorm over the last axis as opset < 17 exports write it:
 * y = (x - m) / Sqrt(ReduceMean((x - m)^2) + eps) * gamma + beta, m = ReduceMean(x). */
static void
recognise_layernorm (McamGraph *g)
{
  g_autofree int *uses = count_uses (g);

  for (guint i = 0; i < g->nodes->len; i++)
    {
      McamNode *y = _mcam_graph_node (g, i), *mul = NULL, *div, *sq, *ve, *var, *pw, *sub, *mean;
      const McamValue *xv;
      int x, gamma = -1, beta = -1, k;
      gint64 D;
      guint last;

      if (y->dead || y->op != MCAM_OP_ADD)
        continue;
      for (k = 0; k < 2 && mul == NULL; k++)
        mul = sole_producer (g, uses, y->inputs[k], MCAM_OP_MUL);
      if (mul == NULL)
        continue;
      for (k = 0, div = NULL; k < 2 && div == NULL; k++)
        div = sole_producer (g, uses, mul->inputs[k], MCAM_OP_DIV);
      if (div == NULL || (sub = producer (g, div->inputs[0])) == NULL || sub->dead ||
          sub->op != MCAM_OP_SUB || uses[sub->output] != 2 ||
          (sq = sole_producer (g, uses, div->inputs[1], MCAM_OP_UNARY)) == NULL ||
          sq->attrs.act.kind != MCAM_ACT_SQRT ||
          (ve = sole_producer (g, uses, sq->inputs[0], MCAM_OP_ADD)) == NULL ||
          (var = sole_producer (g, uses, ve->inputs[0], MCAM_OP_REDUCE_MEAN)) == NULL ||
          (pw = sole_producer (g, uses, var->inputs[0], MCAM_OP_POW)) == NULL ||
          pw->inputs[0] != sub->output || !scalar_is (g, pw->inputs[1], 2.0) ||
          (mean = sole_producer (g, uses, sub->inputs[1], MCAM_OP_REDUCE_MEAN)) == NULL ||
          mean->inputs[0] != sub->inputs[0])
        continue;
      x = sub->inputs[0];
      xv = _mcam_graph_value (g, x);
      last = 1u << (xv->ndim - 1);
      D = xv->shape[xv->ndim - 1];
      {
        const McamValue *eps = _mcam_graph_value (g, ve->inputs[1]);
        if (xv->ndim < 3 || mean->attrs.axes_mask != last || var->attrs.axes_mask != last ||
            !mean->attrs.keepdims || !var->attrs.keepdims || eps->batched || eps->data == NULL ||
            mcam_shape_numel (eps->ndim, eps->shape) != 1)
          continue;
        if ((gamma = vector_beside (g, mul, div->output, D)) < 0 ||
            (beta = vector_beside (g, y, mul->output, D)) < 0)
          continue;
        y->attrs.eps = eps->data[0];
      }
      drop_node (g, mean);
      drop_node (g, sub);
      drop_node (g, pw);
      drop_node (g, var);
      drop_node (g, ve);
      drop_node (g, sq);
      drop_node (g, div);
      drop_node (g, mul);
      y->op = MCAM_OP_LAYERNORM;
      y->inputs = g_renew (int, y->inputs, 3);
      y->inputs[0] = x;
      y->inputs[1] = gamma;
      y->inputs[2] = beta;
      y->n_inputs = 3;
    }
}

/* An explicit zero Pad before a Conv (some exporters write one instead of
 * the conv's own pads) becomes the conv's pads, when the conv's kernel can
 * take the sum: equal on every side, or any for a depthwise conv. */
static void
merge_pads (McamGraph *g)
{
  g_autofree int *uses = count_uses (g);

  for (guint i = 0; i < g->nodes->len; i++)
    {
      McamNode *c = _mcam_graph_node (g, i), *pad;
      const McamValue *w;
      int p[4];
      gboolean depthwise;

      if (c->dead || c->op != MCAM_OP_CONV || c->n_inputs < 2 ||
          (pad = sole_producer (g, uses, c->inputs[0], MCAM_OP_PAD)) == NULL ||
          pad->attrs.value != 0.0f || pad->attrs.act.kind != MCAM_ACT_NONE)
        continue;
      w = _mcam_graph_value (g, c->inputs[1]);
      if (w->ndim != 4)
        continue;
      depthwise = c->attrs.group == _mcam_graph_value (g, pad->inputs[0])->shape[1] &&
                  w->shape[0] == c->attrs.group;
      for (int k = 0; k < 4; k++)
        p[k] = c->attrs.pads[k] + pad->attrs.pads[k];
      if (!depthwise && (p[0] != p[1] || p[0] != p[2] || p[0] != p[3]))
        continue;
      memcpy (c->attrs.pads, p, sizeof p);
      c->inputs[0] = pad->inputs[0];
      drop_node (g, pad);
    }
}

static gboolean
fusable_act (McamActKind k)
{
  return k != MCAM_ACT_SQRT && k != MCAM_ACT_ERF && k != MCAM_ACT_NONE;
}

/* v is [n], [1, n], [1, 1, n]...: one row broadcast along every other axis */
static gboolean
is_row (const McamValue *v, int n)
{
  if (v->ndim < 1 || v->shape[v->ndim - 1] != n)
    return FALSE;
  for (int k = 0; k < v->ndim - 1; k++)
    if (v->shape[k] != 1)
      return FALSE;
  return TRUE;
}

static void
fuse (McamGraph *g)
{
  g_autofree int *uses = count_uses (g);

  for (guint i = 0; i < g->nodes->len; i++)
    {
      McamNode *n = _mcam_graph_node (g, i), *p;

      if (n->dead)
        continue;
      p = producer (g, n->inputs[0]);

      /* conv -> BatchNorm: folded into the conv's weights and bias */
      if (n->op == MCAM_OP_BATCHNORM && p != NULL && p->op == MCAM_OP_CONV && !p->dead &&
          p->residual < 0 && p->attrs.act.kind == MCAM_ACT_NONE && uses[p->output] == 1)
        {
          gsize k = (gsize) (p->in_c / p->attrs.group) * p->kh * p->kw;

          for (int o = 0; o < p->out_c; o++)
            {
              double s = n->weight[o];

              for (gsize j = 0; j < k; j++)
                p->weight[o * k + j] = (float) (p->weight[o * k + j] * s);
              p->bias[o] = (float) (p->bias[o] * s + n->bias[o]);
            }
          absorb (g, p, n);
          continue;
        }
      if (n->op == MCAM_OP_BATCHNORM)
        n->op = MCAM_OP_SCALE_SHIFT;

      /* MatMul + constant row [O] -> the MatMul's bias (ConvNeXt's Linear
       * layers export as MatMul then Add; the GELU after them can then go
       * into the MatMul's epilogue too) */
      if (n->op == MCAM_OP_ADD && n->attrs.act.kind == MCAM_ACT_NONE)
        for (int side = 0; side < 2; side++)
          {
            const McamValue *b = _mcam_graph_value (g, n->inputs[1 - side]);

            p = producer (g, n->inputs[side]);
            if (p != NULL && !p->dead && p->op == MCAM_OP_MATMUL && p->bias == NULL &&
                p->attrs.act.kind == MCAM_ACT_NONE && uses[p->output] == 1 && !b->batched &&
                b->data != NULL && is_row (b, p->out_c) &&
                b->ndim <= _mcam_graph_value (g, p->output)->ndim)
              {
                p->bias = g_memdup2 (b->data, sizeof (float) * p->out_c);
                absorb (g, p, n);
                break;
              }
          }
      if (n->dead)
        continue;

      /* conv + x (same shape) -> the conv's residual input */
      if (n->op == MCAM_OP_ADD && n->attrs.act.kind == MCAM_ACT_NONE)
        for (int side = 0; side < 2; side++)
          {
            const McamValue *a = _mcam_graph_value (g, n->inputs[side]);
            const McamValue *b = _mcam_graph_value (g, n->inputs[1 - side]);

            p = producer (g, n->inputs[side]);
            if (p != NULL && p->op == MCAM_OP_CONV && p->residual < 0 &&
                p->attrs.act.kind == MCAM_ACT_NONE && uses[p->output] == 1 && b->batched &&
                a->ndim == b->ndim && memcmp (a->shape, b->shape, sizeof a->shape) == 0 &&
                n->inputs[0] != n->inputs[1] &&
                /* the conv runs where it is: the residual must exist by then */
                b->producer < node_index (g, p))
              {
                p->residual = n->inputs[1 - side];
                absorb (g, p, n);
                break;
              }
          }
      if (n->dead)
        continue;

      /* conv/linear/scale-shift -> activation: the kernel's epilogue */
      if (n->op == MCAM_OP_UNARY && fusable_act (n->attrs.act.kind) && p != NULL &&
          (p->op == MCAM_OP_CONV || p->op == MCAM_OP_GEMM || p->op == MCAM_OP_SCALE_SHIFT ||
           (p->op == MCAM_OP_MATMUL && _mcam_graph_value (g, p->inputs[0])->ndim >= 3)) &&
          p->attrs.act.kind == MCAM_ACT_NONE && uses[p->output] == 1)
        {
          p->attrs.act = n->attrs.act;
          absorb (g, p, n);
        }
    }
}

static gboolean
prepare_conv (McamGraph *g, McamNode *n, GError **error)
{
  const McamNodeAttrs *a = &n->attrs;
  int G = a->group, cin = n->in_c / G, cout = n->out_c / G;
  gsize kw = (gsize) cin * n->kh * n->kw;

  if (a->dilation[0] != 1 || a->dilation[1] != 1 || a->stride[0] != a->stride[1])
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_UNSUPPORTED,
                   "%s: node '%s' (Conv): dilation %dx%d, stride %dx%d (only undilated "
                   "convolutions with equal strides are supported)", g->source, n->name,
                   a->dilation[0], a->dilation[1], a->stride[0], a->stride[1]);
      return FALSE;
    }
  if (G == n->in_c && cout == 1)
    return TRUE;   /* depthwise: the direct kernels read n->weight (and n->dw_packed) */
  if (a->pads[0] != a->pads[1] || a->pads[0] != a->pads[2] || a->pads[0] != a->pads[3])
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_UNSUPPORTED,
                   "%s: node '%s' (Conv): pads %d,%d,%d,%d (only equal pads on every side "
                   "are supported)", g->source, n->name, a->pads[0], a->pads[1], a->pads[2],
                   a->pads[3]);
      return FALSE;
    }
  n->n_convs = G;
  n->convs = g_new0 (McamConv *, G);
  for (int gi = 0; gi < G; gi++)
    {
      McamConv *c = mcam_conv_new (cin, cout, n->kh, n->kw, a->stride[0], a->pads[0]);

      /* one copy of the weights: the kernel of group gi reads its slice of
       * the node's (the reverse pass reads the same array as Wᵀ) */
      g_free (c->weight);
      g_free (c->bias);
      c->weight = n->weight + gi * cout * kw;
      c->bias = n->bias + gi * cout;
      n->convs[gi] = c;
    }
  return TRUE;
}

/* The parameter inputs of a prepared node: read from node->weight/bias, not
 * from the value. */
static gboolean
is_param_input (const McamNode *n, int k)
{
  switch (n->op)
    {
    case MCAM_OP_CONV:
    case MCAM_OP_GEMM:
    case MCAM_OP_LAYERNORM:
      return k == 1 || k == 2;
    case MCAM_OP_MATMUL:
      return k == 1;
    case MCAM_OP_SCALE_SHIFT:
      return k >= 1;
    default:
      return FALSE;
    }
}

/* Constants that no live node reads as a tensor any more (the parameters
 * copied into a node because two nodes shared them, what the folds left
 * behind) are freed: after mcam_graph_finish the graph holds each weight
 * once (mcam_graph_get_weight_bytes). */
static void
release_unread (McamGraph *g)
{
  g_autofree gboolean *read = g_new0 (gboolean, g->values->len);

  for (guint i = 0; i < g->nodes->len; i++)
    {
      McamNode *n = _mcam_graph_node (g, i);

      if (n->dead)
        continue;
      for (int k = 0; k < n->n_inputs; k++)
        if (!is_param_input (n, k))
          read[n->inputs[k]] = TRUE;
    }
  for (guint v = 0; v < g->values->len; v++)
    {
      McamValue *val = _mcam_graph_value (g, v);

      if (!val->batched && !read[v])
        g_clear_pointer (&val->data, g_free);
    }
}

gboolean
_mcam_graph_rewrite (McamGraph *g, GError **error)
{
  g_autofree int *uses = NULL;

  recognise (g);
  recognise_layernorm (g);
  _mcam_graph_drop_zero_pads (g);
  merge_pads (g);
  uses = count_uses (g);
  for (guint i = 0; i < g->nodes->len; i++)
    if (!_mcam_graph_node (g, i)->dead &&
        !prepare_params (g, _mcam_graph_node (g, i), uses, error))
      return FALSE;
  fuse (g);
  _mcam_graph_fold_channel_scale (g);
  _mcam_graph_fuse_concat_scale_shift (g);
  for (guint i = 0; i < g->nodes->len; i++)
    {
      McamNode *n = _mcam_graph_node (g, i);

      if (n->dead)
        {
          _mcam_node_clear_prepared (n);
          continue;
        }
      if (n->op == MCAM_OP_CONV && !prepare_conv (g, n, error))
        return FALSE;
      if (n->op == MCAM_OP_SOFTMAX)
        {
          g_set_error (error, MCAM_ERROR, MCAM_ERROR_UNSUPPORTED,
                       "%s: node '%s' (Softmax) inside the network is not supported",
                       g->source, n->name);
          return FALSE;
        }
    }
  release_unread (g);
  return TRUE;
}

/* The helpers above for the passes of mcam-graph-fold.c. */
int *
_mcam_graph_count_uses (McamGraph *g)
{
  return count_uses (g);
}

McamNode *
_mcam_graph_sole_producer (McamGraph *g, const int *uses, int v, McamOpType op)
{
  return sole_producer (g, uses, v, op);
}

void
_mcam_graph_absorb (McamGraph *g, McamNode *into, McamNode *gone)
{
  absorb (g, into, gone);
}

void
_mcam_graph_drop_node (McamGraph *g, McamNode *n)
{
  drop_node (g, n);
}

/* ---- what the graph holds ------------------------------------------------ */

gsize
mcam_graph_get_weight_bytes (McamGraph *g, gsize *transformed)
{
  gsize floats = 0, extra = 0;

  for (guint i = 0; i < g->nodes->len; i++)
    {
      McamNode *n = _mcam_graph_node (g, i);

      if (n->dead || n->weight == NULL)
        continue;
      switch (n->op)
        {
        case MCAM_OP_CONV:
          floats += (gsize) n->out_c * (n->in_c / n->attrs.group) * n->kh * n->kw + n->out_c;
          for (int gi = 0; gi < n->n_convs; gi++)
            {
              const McamConv *c = n->convs[gi];
              gsize kw = (gsize) c->in_c * c->kh * c->kw;

              /* a kernel's own copy, should one come back, counts too */
              if (c->weight != n->weight + gi * c->out_c * kw)
                floats += c->out_c * kw;
              if (c->bias != n->bias + gi * c->out_c)
                floats += c->out_c;
              if (c->wino != NULL)
                extra += (gsize) 16 * c->out_c * c->in_c;
              if (c->wino4 != NULL)
                extra += (gsize) 36 * c->out_c * c->in_c;
              if (c->pw != NULL)
                extra += (gsize) (c->out_c + 7) / 8 * 8 * c->in_c;
              extra += _mcam_dnnl_weight_bytes (c) / sizeof (float);
            }
          if (n->dw_packed != NULL)
            extra += (gsize) (n->in_c + 15) / 16 * 16 * (n->kh * n->kw + 1);
          if (n->dnnl_conv != NULL)
            extra += _mcam_dnnl_weight_bytes (n->dnnl_conv) / sizeof (float);
          break;
        case MCAM_OP_GEMM:
          floats += (gsize) n->out_c * n->in_c + n->out_c;
          break;
        case MCAM_OP_MATMUL:
          floats += (gsize) n->out_c * n->in_c + (n->bias != NULL ? n->out_c : 0);
          break;
        case MCAM_OP_SCALE_SHIFT:
        case MCAM_OP_CONCAT:   /* with a scale/shift epilogue (weight != NULL) */
          floats += (gsize) 2 * n->out_c;
          break;
        case MCAM_OP_LAYERNORM:
          {
            const McamValue *w = _mcam_graph_value (g, n->inputs[1]);
            floats += 2 * (gsize) mcam_shape_numel (w->ndim, w->shape);
          }
          break;
        default:
          break;
        }
    }
  for (guint v = 0; v < g->values->len; v++)
    {
      const McamValue *val = _mcam_graph_value (g, v);

      if (!val->batched && val->data != NULL)
        floats += (gsize) mcam_shape_numel (val->ndim, val->shape);
    }
  if (transformed != NULL)
    *transformed = extra * sizeof (float);
  return floats * sizeof (float);
}
