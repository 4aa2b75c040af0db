/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The graph executor: which nodes a run needs, their shapes at this batch
 * and image size, which convs oneDNN takes and which maps stay blocked
 * between them (mcam-graph-dnnl.c), a buffer plan that reuses dead values'
 * memory, and one kernel call per node (mcam-graph-node.c). Maps are in
 * the CNHW layout everywhere else, so every convolution and linear layer of
 * the batch our kernels run is one GEMM. */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "mcam/mcam-blas.h"
#include "mcam/mcam-error.h"
#include "mcam-graph-profile.h"
#include "mcam-dnnl.h"
#include "mcam-graph-run.h"

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

/* Floats of scratch memory the convolutions of this run need; blocked
 * NULL: a trace (all plain), whose reverse pass re-runs convs without their
 * activation. */
static gsize
plan_workspace (McamGraph *g, int from, const McamShape *shapes, const gboolean *needed,
                const guint8 *dn, const guint8 *blocked, gboolean *refused)
{
  gsize col = 0;

  for (int i = 0; i < (int) g->nodes->len; i++)
    {
      McamNode *n = _mcam_graph_node (g, i);
      const McamShape *xs;
      int B, H, W;
      McamConvAct act;

      if (n->dead || !needed[n->output] || n->output == from)
        continue;
      xs = &shapes[n->inputs[0]];
      B = (int) xs->d[0], H = (int) xs->d[2], W = (int) xs->d[3];
      if (n->op == MCAM_OP_MAXPOOL && dn[i])
        {
          gsize need = mcam_dnnl_maxpool_workspace_size (n->dnnl_pool, B, (int) xs->d[1], H, W);

          *refused |= need == 0;
          col = MAX (col, need);
          continue;
        }
      if (n->op != MCAM_OP_CONV || n->convs == NULL)
        continue;
      if (dn[i])   /* the plan's choice (asking again could race a refusal) */
        {
          McamDnnlIo io = { blocked && blocked[n->inputs[0]], blocked && blocked[n->output],
                            n->residual >= 0,
                            n->residual >= 0 && blocked && blocked[n->residual] };
          McamConvAct none = { MCAM_VEC_NONE, 0, 0 };
          const McamConv *c = _mcam_graph_dnnl_conv (n);
          gsize need;

          _mcam_act_conv_epilogue (n->attrs.act, &act);
          need = mcam_dnnl_workspace_size (c, B, H, W, &io, &act);
          if (blocked == NULL && need > 0)
            need = MAX (need, mcam_dnnl_workspace_size (c, B, H, W, &io, &none));
          /* 0: oneDNN refused the geometry, the engine's kernel takes the
           * conv from now on (_mcam_graph_node_dnnl), and the plan is made again */
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
  t->dnnl = g_new0 (guint8, nn);
  {
    g_autofree guint8 *blocked = g_new0 (guint8, nv);
    gboolean refused;

    /* the convs of a forward pass, every map plain */
    do
      {
        refused = FALSE;
        _mcam_graph_plan_dnnl (g, from, -1, t->shapes, t->needed, t->dnnl, blocked);
        /* the pools read and write blocked maps only */
        for (int i = 0; i < nn; i++)
          if (_mcam_graph_node (g, i)->op != MCAM_OP_CONV)
            t->dnnl[i] = FALSE;
        col = plan_workspace (g, from, t->shapes, t->needed, t->dnnl, NULL, &refused);
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
      _mcam_graph_run_node (g, n, t->views, t->dnnl[i], NULL, t->data + total);
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
  g_free (t->dnnl);
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
  g_autofree guint8 *dn = g_new0 (guint8, nn);
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
        _mcam_graph_plan_dnnl (g, from, keep, shapes, needed, dn, blocked);
        col = plan_workspace (g, from, shapes, needed, dn, blocked, &refused);
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
          _mcam_graph_run_node (g, n, views, dn[i], blocked, ws + total);
          _mcam_graph_profile_add (n, _mcam_graph_value (g, n->output)->name,
                                   &shapes[n->inputs[0]], &shapes[n->output],
                                   _mcam_graph_profile_now () - t0);
        }
      else
        _mcam_graph_run_node (g, n, views, dn[i], blocked, ws + total);
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
