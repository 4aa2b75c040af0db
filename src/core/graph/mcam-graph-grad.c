/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The reverse pass over the graph segment between a value (the explained
 * layer) and the logits, for one image: the forward run keeps every value
 * (mcam-graph-run.c's trace), then each node's backward, in reverse order,
 * adds its inputs' gradients. With a batch of one, the executor's layout
 * (axes 0 and 1 swapped) is plain row-major NCHW, so the backward works on
 * flat arrays. A fused activation's derivative is taken at the node's
 * pre-activation output, recomputed with the activation switched off. */

#include "config.h"

#include <math.h>
#include <string.h>

#include "mcam/mcam-blas.h"
#include "mcam/mcam-error.h"
#include "mcam-graph-run.h"

static double
act_deriv (McamAct act, double z)
{
  switch (act.kind)
    {
    case MCAM_ACT_NONE:
      return 1.0;
    case MCAM_ACT_RELU:
      return z > 0.0;
    case MCAM_ACT_CLIP:
      return z > act.a && z < act.b;
    case MCAM_ACT_SIGMOID:
      {
        double s = 1.0 / (1.0 + exp (-z));
        return s * (1.0 - s);
      }
    case MCAM_ACT_HARD_SIGMOID:
      {
        double u = act.a * z + act.b;
        return u > 0.0 && u < 1.0 ? act.a : 0.0;
      }
    case MCAM_ACT_HARD_SWISH:
      return z < -3.0 ? 0.0 : z > 3.0 ? 1.0 : (2.0 * z + 3.0) / 6.0;
    case MCAM_ACT_SILU:
      {
        double s = 1.0 / (1.0 + exp (-z));
        return s * (1.0 + z * (1.0 - s));
      }
    case MCAM_ACT_GELU:
      return 0.5 * (1.0 + erf (z * M_SQRT1_2)) + z * exp (-0.5 * z * z) / sqrt (2.0 * G_PI);
    case MCAM_ACT_SQRT:
      return 0.5 / sqrt (z);
    case MCAM_ACT_ERF:
      return 2.0 / sqrt (G_PI) * exp (-z * z);
    }
  return 1.0;
}

typedef struct
{
  McamGraph      *g;
  McamGraphTrace *t;
  float         **d;      /* gradient of each value, NULL until something flows in */
} Back;

static gsize
numel (Back *bk, int v)
{
  return (gsize) _mcam_shape_numel (&bk->t->shapes[v]);
}

/* The gradient buffer of v, or NULL for constants (nothing to learn there). */
static float *
grad_of (Back *bk, int v)
{
  if (v < 0 || !_mcam_graph_value (bk->g, v)->batched)
    return NULL;
  if (bk->d[v] == NULL)
    bk->d[v] = g_new0 (float, numel (bk, v));
  return bk->d[v];
}

static McamView
flat_view (float *data, const McamShape *s)
{
  McamView v;
  _mcam_view_init (&v, data, s, FALSE);
  return v;
}

/* dz = dy ⊙ act'(z) for a node with a fused activation; dz = dy without. */
static float *
pre_activation_grad (Back *bk, const McamNode *n, const float *dy)
{
  gsize ny = numel (bk, n->output);
  float *dz = g_memdup2 (dy, sizeof (float) * ny);
  const float *y = bk->t->views[n->output].data;

  if (n->attrs.act.kind == MCAM_ACT_NONE)
    return dz;
  if (n->attrs.act.kind == MCAM_ACT_RELU)
    {
      for (gsize i = 0; i < ny; i++)
        dz[i] = y[i] > 0.0f ? dz[i] : 0.0f;
      return dz;
    }
  {
    g_autofree float *z = g_new (float, ny);
    McamNode plain = *n;
    McamView saved = bk->t->views[n->output];

    plain.attrs.act.kind = MCAM_ACT_NONE;
    bk->t->views[n->output].data = z;
    _mcam_graph_run_node (bk->g, &plain, bk->t->views,
                          bk->t->dnnl[_mcam_graph_value (bk->g, n->output)->producer], NULL,
                          bk->t->col);
    bk->t->views[n->output] = saved;
    for (gsize i = 0; i < ny; i++)
      dz[i] = (float) (dz[i] * act_deriv (n->attrs.act, z[i]));
  }
  return dz;
}

static void
conv_backward (Back *bk, const McamNode *n, const float *dz, float *dx)
{
  const McamShape *xs = &bk->t->shapes[n->inputs[0]], *ys = &bk->t->shapes[n->output];
  int C = (int) xs->d[1], H = (int) xs->d[2], W = (int) xs->d[3];
  int O = (int) ys->d[1], OH = (int) ys->d[2], OW = (int) ys->d[3];
  int G = n->attrs.group, cin = C / G, cout = O / G, kh = n->kh, kw = n->kw;
  int s = n->attrs.stride[0], pt = n->attrs.pads[0], pl = n->attrs.pads[1];
  gsize K = (gsize) cin * kh * kw, ohw = (gsize) OH * OW;
  g_autofree float *dcol = g_new (float, K * ohw);

  for (int gi = 0; gi < G; gi++)
    {
      /* dcol [K, OH*OW] = W_g^T dz_g, then each column back where im2col took it */
      mcam_sgemm (TRUE, FALSE, (int) K, (int) ohw, cout, 1.0f, n->weight + (gsize) gi * cout * K,
                  (int) K, dz + (gsize) gi * cout * ohw, (int) ohw, 0.0f, dcol, (int) ohw);
      for (int c = 0; c < cin; c++)
        for (int ky = 0; ky < kh; ky++)
          for (int kx = 0; kx < kw; kx++)
            {
              const float *row = dcol + ((gsize) (c * kh + ky) * kw + kx) * ohw;
              float *plane = dx + (gsize) (gi * cin + c) * H * W;

              for (int oy = 0; oy < OH; oy++)
                {
                  int iy = oy * s - pt + ky;
                  if (iy < 0 || iy >= H)
                    continue;
                  for (int ox = 0; ox < OW; ox++)
                    {
                      int ix = ox * s - pl + kx;
                      if (ix >= 0 && ix < W)
                        plane[iy * W + ix] += row[oy * OW + ox];
                    }
                }
            }
    }
}

static void
pool_backward (Back *bk, const McamNode *n, const float *dy, float *dx)
{
  const McamShape *xs = &bk->t->shapes[n->inputs[0]], *ys = &bk->t->shapes[n->output];
  const McamNodeAttrs *at = &n->attrs;
  const float *x = bk->t->views[n->inputs[0]].data;
  int H = (int) xs->d[2], W = (int) xs->d[3], OH = (int) ys->d[2], OW = (int) ys->d[3];
  gsize planes = (gsize) xs->d[0] * xs->d[1];

  for (gsize p = 0; p < planes; p++)
    for (int oy = 0; oy < OH; oy++)
      for (int ox = 0; ox < OW; ox++)
        {
          int y0 = oy * at->stride[0] - at->pads[0], x0 = ox * at->stride[1] - at->pads[1];
          int y1 = MIN (y0 + at->kernel[0], H + at->pads[2]);
          int x1 = MIN (x0 + at->kernel[1], W + at->pads[3]);
          int ya = MAX (y0, 0), xa = MAX (x0, 0), yb = MIN (y1, H), xb = MIN (x1, W);
          float g = dy[(p * OH + oy) * OW + ox];
          const float *xp = x + p * H * W;
          float *dp = dx + p * H * W;

          if (n->op == MCAM_OP_MAXPOOL)
            {
              /* to the first maximum, as the forward picks it */
              int best = -1;
              float m = -INFINITY;
              for (int iy = ya; iy < yb; iy++)
                for (int ix = xa; ix < xb; ix++)
                  if (xp[iy * W + ix] > m || best < 0)
                    {
                      m = xp[iy * W + ix];
                      best = iy * W + ix;
                    }
              if (best >= 0)
                dp[best] += g;
            }
          else
            {
              int cnt = at->count_include_pad ? (y1 - y0) * (x1 - x0) : (yb - ya) * (xb - xa);
              for (int iy = ya; iy < yb; iy++)
                for (int ix = xa; ix < xb; ix++)
                  dp[iy * W + ix] += g / (float) cnt;
            }
        }
}

/* d(input k) += reduce_to_its_shape (tmp), tmp of the output's shape. */
static void
accumulate_broadcast (Back *bk, const McamNode *n, int k, const float *tmp)
{
  float *dx = grad_of (bk, n->inputs[k]);
  McamView dv, tv;

  if (dx == NULL)
    return;
  dv = flat_view (dx, &bk->t->shapes[n->inputs[k]]);
  _mcam_view_broadcast (&dv, &bk->t->shapes[n->output]);
  tv = flat_view ((float *) tmp, &bk->t->shapes[n->output]);
  _mcam_op_accumulate (&dv, &tv);
}

static void
binary_backward (Back *bk, const McamNode *n, const float *dy)
{
  const McamShape *ys = &bk->t->shapes[n->output];
  gsize ny = numel (bk, n->output);
  g_autofree float *tmp = g_new (float, ny);
  McamView a = bk->t->views[n->inputs[0]], b = bk->t->views[n->inputs[1]];
  McamView tv = flat_view (tmp, ys), dyv = flat_view ((float *) dy, ys);

  _mcam_view_broadcast (&a, ys);
  _mcam_view_broadcast (&b, ys);
  for (int k = 0; k < 2; k++)
    {
      if (!_mcam_graph_value (bk->g, n->inputs[k])->batched)
        continue;
      switch (n->op)
        {
        case MCAM_OP_ADD:
          memcpy (tmp, dy, sizeof (float) * ny);
          break;
        case MCAM_OP_SUB:
          for (gsize i = 0; i < ny; i++)
            tmp[i] = k == 0 ? dy[i] : -dy[i];
          break;
        case MCAM_OP_MUL:
          _mcam_op_binary (MCAM_OP_MUL, &tv, &dyv, k == 0 ? &b : &a);
          break;
        case MCAM_OP_DIV:
          _mcam_op_binary (MCAM_OP_DIV, &tv, &dyv, &b);
          if (k == 1)
            {
              /* d(a/b)/db = -(a/b)/b: the output over b, times -dy/b */
              const float *y = bk->t->views[n->output].data;
              for (gsize i = 0; i < ny; i++)
                tmp[i] = -tmp[i] * y[i];
              /* tmp = -dy/b * a/b */
            }
          break;
        case MCAM_OP_POW:
          if (k == 1)
            continue;   /* a computed exponent: not in the scope */
          {
            /* d(a^p)/da = p a^(p-1) */
            g_autofree float *av = g_new (float, ny), *pv = g_new (float, ny);
            McamView avv = flat_view (av, ys), pvv = flat_view (pv, ys);
            _mcam_op_copy (&avv, &a);
            _mcam_op_copy (&pvv, &b);
            for (gsize i = 0; i < ny; i++)
              tmp[i] = (float) (dy[i] * pv[i] * pow (av[i], pv[i] - 1.0));
          }
          break;
        default:
          g_assert_not_reached ();
        }
      accumulate_broadcast (bk, n, k, tmp);
    }
}

static void
layernorm_backward (Back *bk, const McamNode *n, const float *dy, float *dx)
{
  const McamShape *xs = &bk->t->shapes[n->inputs[0]];
  const float *x = bk->t->views[n->inputs[0]].data;
  int D = (int) xs->d[xs->ndim - 1];
  gsize rows = numel (bk, n->inputs[0]) / D;
  g_autofree double *xh = g_new (double, D), *dxh = g_new (double, D);

  for (gsize r = 0; r < rows; r++)
    {
      const float *xr = x + r * D, *dr = dy + r * D;
      double mean = 0, var = 0, inv, m1 = 0, m2 = 0;

      for (int i = 0; i < D; i++)
        mean += xr[i];
      mean /= D;
      for (int i = 0; i < D; i++)
        var += (xr[i] - mean) * (xr[i] - mean);
      var /= D;
      inv = 1.0 / sqrt (var + n->attrs.eps);
      for (int i = 0; i < D; i++)
        {
          xh[i] = (xr[i] - mean) * inv;
          dxh[i] = (double) dr[i] * n->weight[i];
          m1 += dxh[i];
          m2 += dxh[i] * xh[i];
        }
      m1 /= D;
      m2 /= D;
      for (int i = 0; i < D; i++)
        dx[r * D + i] += (float) (inv * (dxh[i] - m1 - xh[i] * m2));
    }
}

static void
node_backward (Back *bk, const McamNode *n)
{
  const float *dy = bk->d[n->output];
  gsize ny = numel (bk, n->output);
  float *dx = NULL;

  switch (n->op)
    {
    case MCAM_OP_CONV:
    case MCAM_OP_GEMM:
    case MCAM_OP_MATMUL:
    case MCAM_OP_SCALE_SHIFT:
      {
        g_autofree float *dz = pre_activation_grad (bk, n, dy);

        if (n->op == MCAM_OP_CONV && n->residual >= 0 && grad_of (bk, n->residual) != NULL)
          for (gsize i = 0; i < ny; i++)
            bk->d[n->residual][i] += dz[i];
        if ((dx = grad_of (bk, n->inputs[0])) == NULL)
          return;
        if (n->op == MCAM_OP_CONV && n->convs == NULL)
          {
            /* depthwise */
            const McamShape *xs = &bk->t->shapes[n->inputs[0]], *ys = &bk->t->shapes[n->output];
            int C = (int) xs->d[1], H = (int) xs->d[2], W = (int) xs->d[3];
            int OH = (int) ys->d[2], OW = (int) ys->d[3], s = n->attrs.stride[0];

            for (int c = 0; c < C; c++)
              for (int oy = 0; oy < OH; oy++)
                for (int ox = 0; ox < OW; ox++)
                  {
                    float g = dz[((gsize) c * OH + oy) * OW + ox];
                    for (int ky = 0; ky < n->kh; ky++)
                      for (int kx = 0; kx < n->kw; kx++)
                        {
                          int iy = oy * s - n->attrs.pads[0] + ky, ix = ox * s - n->attrs.pads[1] + kx;
                          if (iy >= 0 && iy < H && ix >= 0 && ix < W)
                            dx[((gsize) c * H + iy) * W + ix] +=
                              g * n->weight[(c * n->kh + ky) * n->kw + kx];
                        }
                  }
          }
        else if (n->op == MCAM_OP_CONV)
          conv_backward (bk, n, dz, dx);
        else if (n->op == MCAM_OP_GEMM)
          mcam_sgemm (FALSE, FALSE, 1, n->in_c, n->out_c, 1.0f, dz, n->out_c, n->weight, n->in_c,
                      1.0f, dx, n->in_c);
        else if (n->op == MCAM_OP_MATMUL)
          {
            int M = (int) (ny / n->out_c);
            mcam_sgemm (FALSE, TRUE, M, n->in_c, n->out_c, 1.0f, dz, n->out_c, n->weight,
                        n->out_c, 1.0f, dx, n->in_c);
          }
        else
          {
            gsize inner = ny / n->out_c;
            for (int c = 0; c < n->out_c; c++)
              for (gsize i = 0; i < inner; i++)
                dx[c * inner + i] += dz[c * inner + i] * n->weight[c];
          }
        return;
      }
    case MCAM_OP_ADD:
    case MCAM_OP_SUB:
    case MCAM_OP_MUL:
    case MCAM_OP_DIV:
    case MCAM_OP_POW:
      binary_backward (bk, n, dy);
      return;
    default:
      break;
    }

  if ((dx = grad_of (bk, n->inputs[0])) == NULL)
    return;
  switch (n->op)
    {
    case MCAM_OP_GLOBAL_AVGPOOL:
      {
        const McamShape *xs = &bk->t->shapes[n->inputs[0]];
        gsize hw = (gsize) (xs->d[2] * xs->d[3]);
        for (gsize p = 0; p < ny; p++)
          for (gsize j = 0; j < hw; j++)
            dx[p * hw + j] += dy[p] / (float) hw;
        return;
      }
    case MCAM_OP_MAXPOOL:
    case MCAM_OP_AVGPOOL:
      pool_backward (bk, n, dy, dx);
      return;
    case MCAM_OP_FLATTEN:
    case MCAM_OP_RESHAPE:
      for (gsize i = 0; i < ny; i++)
        dx[i] += dy[i];
      return;
    case MCAM_OP_UNARY:
      {
        const float *x = bk->t->views[n->inputs[0]].data;
        for (gsize i = 0; i < ny; i++)
          dx[i] += (float) (dy[i] * act_deriv (n->attrs.act, x[i]));
        return;
      }
    case MCAM_OP_CONCAT:
      {
        const McamShape *ys = &bk->t->shapes[n->output];
        int axis = n->attrs.axis < 0 ? n->attrs.axis + ys->ndim : n->attrs.axis;
        g_autofree float *dz = NULL;
        McamView dyv;
        gint64 off = 0;

        if (n->weight != NULL)
          {
            /* a fused scale/shift (+ activation) on channels: through the
             * activation at the pre-activation, then times s[c] */
            gsize inner = ny / n->out_c;

            dz = pre_activation_grad (bk, n, dy);
            for (int c = 0; c < n->out_c; c++)
              for (gsize i = 0; i < inner; i++)
                dz[c * inner + i] *= n->weight[c];
            dy = dz;
          }
        dyv = flat_view ((float *) dy, ys);

        for (int k = 0; k < n->n_inputs; k++)
          {
            McamView sub = dyv, dk;
            float *d = grad_of (bk, n->inputs[k]);

            sub.shape = bk->t->shapes[n->inputs[k]];
            sub.data = (float *) dy + off * dyv.stride[axis];
            off += sub.shape.d[axis];
            if (d == NULL)
              continue;
            dk = flat_view (d, &sub.shape);
            _mcam_op_accumulate (&dk, &sub);
          }
        return;
      }
    case MCAM_OP_PAD:
      {
        const McamShape *ys = &bk->t->shapes[n->output];
        McamView dyv = flat_view ((float *) dy, ys), sub = dyv;
        McamView dk = flat_view (dx, &bk->t->shapes[n->inputs[0]]);

        sub.shape = dk.shape;
        sub.data = (float *) dy + n->attrs.pads[0] * dyv.stride[2] + n->attrs.pads[1] * dyv.stride[3];
        _mcam_op_accumulate (&dk, &sub);
        return;
      }
    case MCAM_OP_TRANSPOSE:
      {
        McamView xv = flat_view (dx, &bk->t->shapes[n->inputs[0]]), pv = xv;
        McamView dyv = flat_view ((float *) dy, &bk->t->shapes[n->output]);

        for (int k = 0; k < dyv.shape.ndim; k++)
          {
            pv.shape.d[k] = xv.shape.d[n->attrs.perm[k]];
            pv.stride[k] = xv.stride[n->attrs.perm[k]];
          }
        _mcam_op_accumulate (&pv, &dyv);
        return;
      }
    case MCAM_OP_REDUCE_MEAN:
      {
        const McamShape *xs = &bk->t->shapes[n->inputs[0]];
        McamView dyv = flat_view ((float *) dy, &bk->t->shapes[n->output]);
        McamView b = { (float *) dy, *xs, { 0 } }, dk = flat_view (dx, xs);
        gsize nx = numel (bk, n->inputs[0]);
        g_autofree float *tmp = g_new0 (float, nx);
        McamView tv = flat_view (tmp, xs);
        gint64 count = 1;
        int k2 = 0;

        for (int k = 0; k < xs->ndim; k++)
          if (n->attrs.axes_mask & (1u << k))
            {
              b.stride[k] = 0;
              count *= xs->d[k];
              k2 += n->attrs.keepdims;
            }
          else
            b.stride[k] = dyv.stride[k2++];
        _mcam_op_copy (&tv, &b);
        for (gsize i = 0; i < nx; i++)
          dk.data[i] += tmp[i] / (float) count;
        return;
      }
    case MCAM_OP_LAYERNORM:
      layernorm_backward (bk, n, dy, dx);
      return;
    default:
      g_warning ("%s: no backward for node '%s' (%s)", bk->g->source, n->name,
                 mcam_op_type_to_string (n->op));
      return;
    }
}

gboolean
mcam_graph_gradient (McamGraph *g, int from, const McamTensor *x, const float *seed,
                     McamTensor **grad, McamTensor **output, GError **error)
{
  g_autoptr (McamGraphTrace) t = NULL;
  int nv = (int) g->values->len;
  Back bk = { g, NULL, NULL };
  gsize C;

  g_return_val_if_fail (g->finished && x != NULL && x->shape[0] == 1, FALSE);
  if ((t = _mcam_graph_trace (g, from, x, error)) == NULL)
    return FALSE;
  bk.t = t;
  bk.d = g_new0 (float *, nv);
  C = numel (&bk, g->output);
  memcpy (grad_of (&bk, g->output), seed, sizeof (float) * C);
  for (int i = (int) g->nodes->len - 1; i >= 0; i--)
    {
      McamNode *n = _mcam_graph_node (g, i);

      if (n->dead || !t->needed[n->output] || n->output == from || bk.d[n->output] == NULL)
        continue;
      node_backward (&bk, n);
    }
  *grad = mcam_tensor_new (t->shapes[from].ndim, t->shapes[from].d);
  if (bk.d[from] != NULL)
    memcpy ((*grad)->data, bk.d[from], sizeof (float) * (*grad)->n);
  if (output != NULL)
    {
      *output = mcam_tensor_new (t->shapes[g->output].ndim, t->shapes[g->output].d);
      memcpy ((*output)->data, t->views[g->output].data, sizeof (float) * C);
    }
  for (int v = 0; v < nv; v++)
    g_free (bk.d[v]);
  g_free (bk.d);
  return TRUE;
}
