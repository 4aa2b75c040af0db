/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Which convolutions of a run oneDNN takes (engine/mcam-dnnl.c), and which
 * maps stay blocked between them.
 *
 * A map is blocked when a oneDNN conv writes it and only oneDNN convs read
 * it (as input or residual); every other op, and whatever leaves the run,
 * sees plain CNHW. oneDNN's kernels pay off in chains that hold k×k
 * convs: the ResNets' convs feed each other from the stem to the head, and
 * oneDNN ran ResNet-50 in 54.9 ms against our kernels' 64.5 (one thread,
 * fastest of 12 runs, 2026-12-05), DenseNet-121's 1×1 + 3×3 pairs 45.0
 * against 51.8. Between the depthwise convs of MobileNetV3 and
 * EfficientNet only 1×1 convs chain, narrow ones (24 to 960 channels), and
 * our 1×1 kernel with its fused activations was faster on every one of
 * them, even where no layout changed (MobileNetV3-Large 6.9 against 5.4 ms,
 * EfficientNet-B0 13.5 against 11.6). So the oneDNN convs joined by blocked
 * maps form regions, and a region without a k×k conv (an image stem does
 * not count) is left to our kernels. ResNeXt's and RegNet's grouped convs
 * go to oneDNN as one conv each (where it has more than its reference
 * kernel), so their 1×1 convs share their regions. */

#include "config.h"

#include "mcam-dnnl.h"
#include "mcam-graph-run.h"

/* A max-pool oneDNN can run: square window, one stride, one pad */
static gboolean
pool_dnnl (const McamNode *n)
{
  const McamNodeAttrs *a = &n->attrs;
  gpointer *state = (gpointer *) &n->dnnl_pool;

  if (n->op != MCAM_OP_MAXPOOL || !mcam_dnnl_available () || a->ceil_mode ||
      a->kernel[0] != a->kernel[1] || a->stride[0] != a->stride[1] || a->pads[0] != a->pads[1] ||
      a->pads[0] != a->pads[2] || a->pads[0] != a->pads[3])
    return FALSE;
  if (g_once_init_enter (state))
    g_once_init_leave (state, mcam_dnnl_maxpool_new (a->kernel[0], a->stride[0], a->pads[0]));
  return mcam_dnnl_maxpool_usable (n->dnnl_pool);
}

const McamConv *
_mcam_graph_dnnl_conv (const McamNode *n)
{
  McamConv **slot = (McamConv **) &n->dnnl_conv;

  if (n->n_convs == 1)
    return n->convs[0];
  if (g_once_init_enter (slot))
    {
      /* made with one group's input channels (the size of the node's
       * weights, which it borrows instead) */
      McamConv *c = mcam_conv_new (n->in_c / n->n_convs, n->out_c, n->kh, n->kw,
                                   n->attrs.stride[0], n->attrs.pads[0]);

      g_free (c->weight);
      g_free (c->bias);
      c->in_c = n->in_c;
      c->weight = n->weight;   /* [out_c][in_c / groups][kh][kw]: the groups in order */
      c->bias = n->bias;
      c->groups = n->n_convs;
      g_once_init_leave (slot, c);
    }
  return *slot;
}

void
_mcam_graph_dnnl_node_clear (McamNode *n)
{
  if (n->dnnl_conv != NULL)
    {
      n->dnnl_conv->weight = NULL;   /* borrowed */
      n->dnnl_conv->bias = NULL;
      g_clear_pointer (&n->dnnl_conv, mcam_conv_free);
    }
  g_clear_pointer (&n->dnnl_pool, mcam_dnnl_maxpool_free);
}

gboolean
_mcam_graph_node_dnnl (const McamNode *n, int B, int H, int W, McamConvAct *act)
{
  if (n->op == MCAM_OP_MAXPOOL)
    {
      act->kind = MCAM_VEC_NONE;
      return pool_dnnl (n);
    }
  return n->op == MCAM_OP_CONV && n->convs != NULL && mcam_dnnl_available () &&
         _mcam_act_conv_epilogue (n->attrs.act, act) &&
         mcam_dnnl_takes (_mcam_graph_dnnl_conv (n), B, H, W, act);
}

/* A max-pool runs on oneDNN only between blocked maps (the ResNets' after
 * the stem, which then feeds the first stage without a layout change);
 * TRUE when one was taken off. */
static gboolean
demote_pools (McamGraph *g, guint8 *dn, const guint8 *blocked)
{
  gboolean any = FALSE;

  for (int i = 0; i < (int) g->nodes->len; i++)
    {
      McamNode *n = _mcam_graph_node (g, i);

      if (dn[i] && n->op == MCAM_OP_MAXPOOL && (!blocked[n->inputs[0]] || !blocked[n->output]))
        {
          dn[i] = FALSE;
          any = TRUE;
        }
    }
  return any;
}

static gboolean
live (McamGraph *g, const McamNode *n, int from, const gboolean *needed)
{
  return !n->dead && needed[n->output] && n->output != from;
}

static void
mark_blocked (McamGraph *g, int from, int keep, const McamShape *shapes, const gboolean *needed,
              const guint8 *dn, guint8 *blocked)
{
  int nv = (int) g->values->len, nn = (int) g->nodes->len;
  g_autofree guint8 *plain = g_new0 (guint8, nv);

  /* every input of a node oneDNN does not run, and every input of a
   * oneDNN conv but its first, is read plain */
  for (int i = 0; i < nn; i++)
    {
      McamNode *n = _mcam_graph_node (g, i);

      if (!live (g, n, from, needed))
        continue;
      for (int k = dn[i] ? 1 : 0; k < n->n_inputs; k++)
        plain[n->inputs[k]] = TRUE;
      if (n->residual >= 0 && !dn[i])
        plain[n->residual] = TRUE;
    }
  for (int v = 0; v < nv; v++)
    {
      const McamValue *val = _mcam_graph_value (g, v);

      blocked[v] = needed[v] && val->batched && v != from && v != g->output && v != keep &&
                   val->producer >= 0 && dn[val->producer] && !plain[v] && shapes[v].ndim == 4;
    }
}

static int
find (int *up, int i)
{
  while (up[i] != i)
    i = up[i] = up[up[i]];
  return i;
}

void
_mcam_graph_plan_dnnl (McamGraph *g, int from, int keep, const McamShape *shapes,
                       const gboolean *needed, guint8 *dn, guint8 *blocked)
{
  int nn = (int) g->nodes->len;
  g_autofree int *up = g_new (int, nn);
  g_autofree guint8 *heavy = g_new0 (guint8, nn);
  gboolean demoted = FALSE;

  for (int i = 0; i < nn; i++)
    {
      McamNode *n = _mcam_graph_node (g, i);
      const McamShape *xs = &shapes[n->inputs[0]];
      McamConvAct act;

      up[i] = i;
      dn[i] = live (g, n, from, needed) && xs->ndim == 4 &&
              _mcam_graph_node_dnnl (n, (int) xs->d[0], (int) xs->d[2], (int) xs->d[3], &act);
    }
  do
    mark_blocked (g, from, keep, shapes, needed, dn, blocked);
  while (demote_pools (g, dn, blocked));

  /* the regions: a blocked map joins its writer and its readers */
  for (int i = 0; i < nn; i++)
    {
      McamNode *n = _mcam_graph_node (g, i);
      int vs[2] = { n->inputs[0], n->residual };

      if (!dn[i])
        continue;
      for (int k = 0; k < 2; k++)
        if (vs[k] >= 0 && blocked[vs[k]])
          up[find (up, i)] = find (up, _mcam_graph_value (g, vs[k])->producer);
    }
  for (int i = 0; i < nn; i++)
    if (dn[i])
      {
        McamNode *n = _mcam_graph_node (g, i);
        int r = find (up, i);

        heavy[r] |= n->op == MCAM_OP_CONV && n->kh > 1 && n->in_c > 4;
      }
  for (int i = 0; i < nn; i++)
    if (dn[i])
      {
        int r = find (up, i);

        if (!heavy[r])
          {
            dn[i] = FALSE;
            demoted = TRUE;
          }
      }
  /* a whole region went: the others keep their maps */
  if (demoted)
    do
      mark_blocked (g, from, keep, shapes, needed, dn, blocked);
    while (demote_pools (g, dn, blocked));
}
