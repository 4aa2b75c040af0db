/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The graph's kernels besides the GEMM convolutions: broadcasting binary
 * ops and strided copies (transpose, concat, pad, flatten), activations,
 * pooling with any pads, a direct depthwise convolution, LayerNorm and the
 * per-channel scale/shift of a standalone BatchNorm. */

#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mcam-act-vec.h"
#include "mcam-dwconv.h"
#include "mcam-graph-ops.h"
#include "mcam-multiversion.h"
#include "mcam-parallel.h"

void
_mcam_view_init (McamView *v, float *data, const McamShape *s, gboolean batched)
{
  gint64 st = 1;

  v->data = data;
  v->shape = *s;
  for (int k = s->ndim - 1; k >= 0; k--)
    {
      v->stride[k] = st;
      st *= s->d[k];
    }
  if (batched && s->ndim >= 2)
    {
      gint64 inner = v->stride[1];   /* product of axes 2.. */

      v->stride[0] = inner;
      v->stride[1] = inner * s->d[0];
    }
}

void
_mcam_view_broadcast (McamView *v, const McamShape *to)
{
  McamView r = { v->data, *to, { 0 } };
  int off = to->ndim - v->shape.ndim;

  for (int k = 0; k < to->ndim; k++)
    {
      int src = k - off;

      if (src < 0 || (v->shape.d[src] == 1 && to->d[k] != 1))
        r.stride[k] = 0;
      else
        r.stride[k] = v->stride[src];
    }
  *v = r;
}

/* A walk over the output in its physical order: axes sorted by the
 * output's stride (largest first), axes of size 1 dropped. */
typedef struct
{
  int    nd;
  gint64 n[MCAM_GRAPH_MAX_DIMS];
  gint64 s[3][MCAM_GRAPH_MAX_DIMS];   /* out, a, b */
} Walk;

static void
walk_setup (Walk *w, const McamView *out, const McamView *a, const McamView *b)
{
  int order[MCAM_GRAPH_MAX_DIMS], n = 0;

  for (int k = 0; k < out->shape.ndim; k++)
    if (out->shape.d[k] != 1)
      order[n++] = k;
  /* insertion sort by decreasing output stride */
  for (int i = 1; i < n; i++)
    for (int j = i; j > 0 && out->stride[order[j]] > out->stride[order[j - 1]]; j--)
      {
        int t = order[j];
        order[j] = order[j - 1];
        order[j - 1] = t;
      }
  w->nd = n;
  for (int i = 0; i < n; i++)
    {
      w->n[i] = out->shape.d[order[i]];
      w->s[0][i] = out->stride[order[i]];
      w->s[1][i] = a ? a->stride[order[i]] : 0;
      w->s[2][i] = b ? b->stride[order[i]] : 0;
    }
  /* axes every operand steps through as one become one (a plane of a CNHW
   * map times a per-channel scale is one row of H·W, not H rows of W: the
   * SE blocks' Mul on 7×7 maps ran 7-float rows) */
  for (int i = n - 2; i >= 0; i--)
    if (w->s[0][i] == w->n[i + 1] * w->s[0][i + 1] &&
        w->s[1][i] == w->n[i + 1] * w->s[1][i + 1] && w->s[2][i] == w->n[i + 1] * w->s[2][i + 1])
      {
        w->n[i] *= w->n[i + 1];
        for (int x = 0; x < 3; x++)
          w->s[x][i] = w->s[x][i + 1];
        for (int j = i + 1; j < w->nd - 1; j++)
          {
            w->n[j] = w->n[j + 1];
            for (int x = 0; x < 3; x++)
              w->s[x][j] = w->s[x][j + 1];
          }
        w->nd--;
      }
  if (n == 0)
    {
      w->nd = 1;
      w->n[0] = 1;
      w->s[0][0] = w->s[1][0] = w->s[2][0] = 1;
    }
}

typedef void (*RowFunc) (gpointer data, gint64 n, float *o, gint64 so, const float *a,
                         gint64 sa, const float *b, gint64 sb);

/* Calls row() for every innermost row of the walk. */
static void
walk_rows (const Walk *w, float *o, const float *a, const float *b, RowFunc row, gpointer data)
{
  gint64 idx[MCAM_GRAPH_MAX_DIMS] = { 0 };
  int last = w->nd - 1;

  for (;;)
    {
      gint64 oo = 0, oa = 0, ob = 0;
      int k;

      for (k = 0; k < last; k++)
        {
          oo += idx[k] * w->s[0][k];
          oa += idx[k] * w->s[1][k];
          ob += idx[k] * w->s[2][k];
        }
      row (data, w->n[last], o + oo, w->s[0][last], a ? a + oa : NULL, w->s[1][last],
           b ? b + ob : NULL, w->s[2][last]);
      for (k = last - 1; k >= 0; k--)
        {
          if (++idx[k] < w->n[k])
            break;
          idx[k] = 0;
        }
      if (k < 0)
        return;
    }
}

static void
binary_row (gpointer data, gint64 n, float *o, gint64 so, const float *a, gint64 sa,
            const float *b, gint64 sb)
{
  McamOpType op = GPOINTER_TO_INT (data);

#define ROW(expr) \
  if (so == 1 && sa == 1 && sb == 1) \
    for (gint64 i = 0; i < n; i++) { float x = a[i], y = b[i]; o[i] = (expr); } \
  else if (so == 1 && sa == 1 && sb == 0) \
    { float y = b[0]; for (gint64 i = 0; i < n; i++) { float x = a[i]; o[i] = (expr); } } \
  else \
    for (gint64 i = 0; i < n; i++) { float x = a[i * sa], y = b[i * sb]; o[i * so] = (expr); }

  switch (op)
    {
    case MCAM_OP_ADD: ROW (x + y); break;
    case MCAM_OP_SUB: ROW (x - y); break;
    case MCAM_OP_MUL: ROW (x * y); break;
    case MCAM_OP_DIV: ROW (x / y); break;
    case MCAM_OP_POW: ROW (y == 2.0f ? x * x : powf (x, y)); break;
    default: g_assert_not_reached ();
    }
#undef ROW
}

/* rows of n: o = x · y[r] (or x + y[r]), one y per row. The SE blocks'
 * Mul(x, s): a 7×7 plane per channel made the general walk (a call and a
 * switch per row of 49) cost more than the products, and it ran in SSE. */
MCAM_MULTIVERSION
static void
per_row (gboolean mul, gint64 rows, gint64 n, float *o, gint64 so, const float *x, gint64 sx,
         const float *y, gint64 sy)
{
  for (gint64 r = 0; r < rows; r++)
    {
      float *or = o + r * so, v = y[r * sy];
      const float *xr = x + r * sx;

      if (mul)
        for (gint64 i = 0; i < n; i++)
          or[i] = xr[i] * v;
      else
        for (gint64 i = 0; i < n; i++)
          or[i] = xr[i] + v;
    }
}

void
_mcam_op_binary (McamOpType op, const McamView *out, const McamView *a, const McamView *b)
{
  Walk w;

  walk_setup (&w, out, a, b);
  if ((op == MCAM_OP_MUL || op == MCAM_OP_ADD) && w.nd <= 2 && w.s[0][w.nd - 1] == 1)
    {
      /* one operand contiguous along the rows, the other one value per row */
      gint64 rows = w.nd == 2 ? w.n[0] : 1, n = w.n[w.nd - 1];
      int r = w.nd - 2;   /* the row axis, -1 for a single row */

      for (int x = 1; x <= 2; x++)
        if (w.s[x][w.nd - 1] == 1 && w.s[3 - x][w.nd - 1] == 0)
          {
            const float *xd = x == 1 ? a->data : b->data, *yd = x == 1 ? b->data : a->data;

            per_row (op == MCAM_OP_MUL, rows, n, out->data, r >= 0 ? w.s[0][r] : 0, xd,
                     r >= 0 ? w.s[x][r] : 0, yd, r >= 0 ? w.s[3 - x][r] : 0);
            return;
          }
    }
  walk_rows (&w, out->data, a->data, b->data, binary_row, GINT_TO_POINTER (op));
}

static void
copy_row (gpointer data, gint64 n, float *o, gint64 so, const float *a, gint64 sa,
          const float *b, gint64 sb)
{
  if (so == 1 && sa == 1)
    memcpy (o, a, sizeof (float) * n);
  else
    for (gint64 i = 0; i < n; i++)
      o[i * so] = a[i * sa];
}

/* o[i][j] = a[j][i]: o rows of n1 (stride so), a rows of n0 (stride sa),
 * in 32 × 32 tiles, so the 32 input lines a tile reads stay in L1 (the
 * element-wise walk read one float per cache line, 46 of ConvNeXt's
 * Transposes around its LayerNorms) */
static void
transpose_2d (float *o, gint64 so, const float *a, gint64 sa, gint64 n0, gint64 n1)
{
  for (gint64 i0 = 0; i0 < n0; i0 += 32)
    for (gint64 j0 = 0; j0 < n1; j0 += 32)
      {
        gint64 i1 = MIN (i0 + 32, n0), j1 = MIN (j0 + 32, n1);

        for (gint64 i = i0; i < i1; i++)
          for (gint64 j = j0; j < j1; j++)
            o[i * so + j] = a[j * sa + i];
      }
}

void
_mcam_op_copy (const McamView *out, const McamView *in)
{
  Walk w;

  walk_setup (&w, out, in, NULL);
  if (w.nd == 2 && w.s[0][1] == 1 && w.s[1][0] == 1 && w.s[1][1] != 1 && w.n[1] >= 8)
    {
      transpose_2d (out->data, w.s[0][0], in->data, w.s[1][1], w.n[0], w.n[1]);
      return;
    }
  walk_rows (&w, out->data, in->data, NULL, copy_row, NULL);
}

static void
accumulate_row (gpointer data, gint64 n, float *o, gint64 so, const float *a, gint64 sa,
                const float *b, gint64 sb)
{
  for (gint64 i = 0; i < n; i++)
    o[i * so] += a[i * sa];
}

void
_mcam_op_accumulate (const McamView *out, const McamView *in)
{
  Walk w;

  /* walk the input (every element once); out has stride 0 on summed axes */
  McamView o = *out;

  o.shape = in->shape;
  walk_setup (&w, in, &o, NULL);
  /* walk_setup ordered by the input's strides: swap roles of s[0] and s[1] */
  for (int k = 0; k < w.nd; k++)
    {
      gint64 t = w.s[0][k];
      w.s[0][k] = w.s[1][k];
      w.s[1][k] = t;
    }
  walk_rows (&w, out->data, in->data, NULL, accumulate_row, NULL);
}

float
_mcam_act_scalar (McamAct act, float x)
{
  switch (act.kind)
    {
    case MCAM_ACT_NONE:
      return x;
    case MCAM_ACT_RELU:
      return x > 0.0f ? x : 0.0f;
    case MCAM_ACT_CLIP:
      return x < act.a ? act.a : (x > act.b ? act.b : x);
    case MCAM_ACT_SIGMOID:
      return 1.0f / (1.0f + expf (-x));
    case MCAM_ACT_HARD_SIGMOID:
      return fmaxf (0.0f, fminf (1.0f, act.a * x + act.b));
    case MCAM_ACT_HARD_SWISH:
      return x * fmaxf (0.0f, fminf (1.0f, x / 6.0f + 0.5f));
    case MCAM_ACT_SILU:
      return x / (1.0f + expf (-x));
    case MCAM_ACT_GELU:
      return 0.5f * x * (1.0f + erff (x * (float) M_SQRT1_2));
    case MCAM_ACT_SQRT:
      return sqrtf (x);
    case MCAM_ACT_ERF:
      return erff (x);
    }
  return x;
}

/* McamAct as the vector kernels' kind (NONE for the scalar-only ones) */
static McamVecAct
vec_kind (McamAct act, float *a, float *b)
{
  *a = act.a;
  *b = act.b;
  switch (act.kind)
    {
    case MCAM_ACT_RELU:
      *a = 0.0f;
      *b = INFINITY;
      return MCAM_VEC_CLIP;
    case MCAM_ACT_CLIP:
      return MCAM_VEC_CLIP;
    case MCAM_ACT_SIGMOID:
      return MCAM_VEC_SIGMOID;
    case MCAM_ACT_SILU:
      return MCAM_VEC_SILU;
    case MCAM_ACT_HARD_SWISH:
      return MCAM_VEC_HARD_SWISH;
    case MCAM_ACT_HARD_SIGMOID:
      return MCAM_VEC_HARD_SIGMOID;
    case MCAM_ACT_GELU:
      return MCAM_VEC_GELU;
    case MCAM_ACT_ERF:
      return MCAM_VEC_ERF;
    default:
      return MCAM_VEC_NONE;
    }
}

static gboolean
vectorised (McamAct act)
{
  return act.kind != MCAM_ACT_SQRT;
}

gboolean
_mcam_act_conv_epilogue (McamAct act, McamConvAct *out)
{
  out->kind = vec_kind (act, &out->a, &out->b);
  if (vectorised (act))
    return TRUE;
  out->kind = MCAM_VEC_NONE;
  return FALSE;
}

void
_mcam_op_bias_act (McamAct act, float *x, gsize rows, gsize n, const float *bias)
{
  float a, b;
  McamVecAct k = vec_kind (act, &a, &b);

  if (!vectorised (act))
    {
      for (gsize r = 0; bias != NULL && r < rows; r++)
        for (gsize i = 0; i < n; i++)
          x[r * n + i] += bias[i];
      _mcam_op_act (act, x, rows * n);
      return;
    }
  if (bias == NULL && act.kind == MCAM_ACT_NONE)
    return;
  mcam_vec_act_rows (k, x, bias != NULL ? rows : 1,
                     bias != NULL ? n : rows * n, bias, a, b);
}

void
_mcam_op_act (McamAct act, float *x, gsize n)
{
  switch (act.kind)
    {
    case MCAM_ACT_NONE:
      return;
    case MCAM_ACT_RELU:
      mcam_vec_clip (x, n, 0.0f, INFINITY);
      return;
    case MCAM_ACT_CLIP:
      mcam_vec_clip (x, n, act.a, act.b);
      return;
    case MCAM_ACT_SIGMOID:   /* vectorised: engine/mcam-act-vec.c */
      mcam_vec_sigmoid (x, n);
      return;
    case MCAM_ACT_SILU:
      mcam_vec_silu (x, n);
      return;
    case MCAM_ACT_HARD_SWISH:
      mcam_vec_hard_swish (x, n);
      return;
    case MCAM_ACT_HARD_SIGMOID:
      mcam_vec_hard_sigmoid (x, n, act.a, act.b);
      return;
    case MCAM_ACT_GELU:   /* piecewise polynomial erf, 1.2e-7 from libm's */
      mcam_vec_gelu (x, n);
      return;
    case MCAM_ACT_ERF:
      mcam_vec_erf (x, n);
      return;
    default:
      for (gsize i = 0; i < n; i++)
        x[i] = _mcam_act_scalar (act, x[i]);
    }
}

/* ---- pooling ------------------------------------------------------------ */

void
_mcam_op_pool (gboolean is_max, const McamNodeAttrs *at, const float *in, gsize n_planes,
               int H, int W, float *out, int OH, int OW)
{
  const int kh = at->kernel[0], kw = at->kernel[1], sh = at->stride[0], sw = at->stride[1];
  const int pt = at->pads[0], pl = at->pads[1], pb = at->pads[2], pr = at->pads[3];

  /* DenseNet's transitions: 2×2 average, stride 2, no pads; the general
   * loop below (window bounds, double sums) took 1 ms of its forward */
  if (!is_max && kh == 2 && kw == 2 && sh == 2 && sw == 2 && pt == 0 && pl == 0 && pb == 0 &&
      pr == 0 && OH == H / 2 && OW == W / 2)
    {
      for (gsize p = 0; p < n_planes; p++)
        for (int oy = 0; oy < OH; oy++)
          {
            const float *r0 = in + (p * H + 2 * oy) * W, *r1 = r0 + W;
            float *y = out + (p * OH + oy) * OW;

            for (int ox = 0; ox < OW; ox++)
              y[ox] = 0.25f * ((r0[2 * ox] + r0[2 * ox + 1]) + (r1[2 * ox] + r1[2 * ox + 1]));
          }
      return;
    }
  for (gsize p = 0; p < n_planes; p++)
    {
      const float *x = in + p * H * W;
      float *y = out + p * OH * OW;

      for (int oy = 0; oy < OH; oy++)
        for (int ox = 0; ox < OW; ox++)
          {
            int y0 = oy * sh - pt, x0 = ox * sw - pl;
            int y1 = MIN (y0 + kh, H + pb), x1 = MIN (x0 + kw, W + pr);
            int area = (y1 - y0) * (x1 - x0);   /* window within the padded map */
            int ya = MAX (y0, 0), xa = MAX (x0, 0), yb = MIN (y1, H), xb = MIN (x1, W);
            double acc = 0.0;
            float m = -INFINITY;

            for (int iy = ya; iy < yb; iy++)
              for (int ix = xa; ix < xb; ix++)
                {
                  float v = x[iy * W + ix];
                  acc += v;
                  m = v > m ? v : m;
                }
            if (is_max)
              y[oy * OW + ox] = m;
            else
              {
                int n = at->count_include_pad ? area : (yb - ya) * (xb - xa);
                y[oy * OW + ox] = n > 0 ? (float) (acc / n) : 0.0f;
              }
          }
    }
}

/* ---- depthwise convolution ---------------------------------------------- */

typedef struct
{
  const float *in, *weight, *bias, *packed;
  int C, B, H, W, kh, kw, stride, pt, pl, OH, OW;
  float *out;
  McamAct act;
  gboolean blocked;   /* units are (16-channel block, image), else (channel, image) */
} Depthwise;

static void
depthwise_plane (const Depthwise *d, int c, int b)
{
  gsize hw = (gsize) d->H * d->W, ohw = (gsize) d->OH * d->OW;
  const float *x = d->in + ((gsize) c * d->B + b) * hw;
  float *y = d->out + ((gsize) c * d->B + b) * ohw;
  const float *w = d->weight + (gsize) c * d->kh * d->kw;
  const int s = d->stride;

  if (mcam_dwconv_plane (x, d->H, d->W, w, d->bias[c], d->kh, d->kw, s, d->pt, d->pl, y,
                         d->OH, d->OW))
    {
      _mcam_op_act (d->act, y, ohw);   /* vectorised, engine/mcam-dwconv.c */
      return;
    }
  for (int oy = 0; oy < d->OH; oy++)
    {
      float *row = y + (gsize) oy * d->OW;

      for (int ox = 0; ox < d->OW; ox++)
        row[ox] = d->bias[c];
      for (int ky = 0; ky < d->kh; ky++)
        {
          int iy = oy * s - d->pt + ky;
          const float *src;

          if (iy < 0 || iy >= d->H)
            continue;
          src = x + (gsize) iy * d->W;
          for (int kx = 0; kx < d->kw; kx++)
            {
              float wv = w[ky * d->kw + kx];
              /* ox with ix = ox*s - pl + kx in [0, W) */
              int lo = d->pl - kx > 0 ? (d->pl - kx + s - 1) / s : 0;
              int hi = d->W - 1 + d->pl - kx >= 0 ? (d->W - 1 + d->pl - kx) / s + 1 : 0;

              hi = MIN (hi, d->OW);
              if (s == 1)
                {
                  const float *sp = src - d->pl + kx;
                  for (int ox = lo; ox < hi; ox++)
                    row[ox] += wv * sp[ox];
                }
              else
                for (int ox = lo; ox < hi; ox++)
                  row[ox] += wv * src[ox * s - d->pl + kx];
            }
        }
    }
  _mcam_op_act (d->act, y, ohw);
}

static void
block_act (float *x, gsize n, gconstpointer data)
{
  _mcam_op_act (*(const McamAct *) data, x, n);
}

static void
depthwise_block (const Depthwise *d, int blk, int b)
{
  gsize hw = (gsize) d->H * d->W, ohw = (gsize) d->OH * d->OW;
  int c0 = blk * 16;
  McamDwAct act = { MCAM_DW_ACT_FUNC, 0, 0, block_act, &d->act };
  gboolean ok;

  /* ReLU, Clip and hard-swish in the kernel's registers */
  if (d->act.kind == MCAM_ACT_NONE)
    act.kind = MCAM_DW_ACT_NONE;
  else if (d->act.kind == MCAM_ACT_RELU || d->act.kind == MCAM_ACT_CLIP)
    {
      act.kind = MCAM_DW_ACT_CLIP;
      act.lo = d->act.kind == MCAM_ACT_RELU ? 0.0f : d->act.a;
      act.hi = d->act.kind == MCAM_ACT_RELU ? INFINITY : d->act.b;
    }
  else if (d->act.kind == MCAM_ACT_HARD_SWISH)
    act.kind = MCAM_DW_ACT_HARD_SWISH;

  ok = mcam_dwconv_block (d->in + ((gsize) c0 * d->B + b) * hw, d->B * hw, MIN (16, d->C - c0),
                          d->H, d->W, d->packed + (gsize) blk * (d->kh * d->kw + 1) * 16, d->kh,
                          d->kw, d->stride, d->pt, d->pl,
                          d->out + ((gsize) c0 * d->B + b) * ohw, d->B * ohw, d->OH, d->OW,
                          &act);
  g_assert (ok);   /* the geometry was checked by _mcam_op_depthwise */
}

#define DW_PIECES 8

static void
depthwise_piece (gpointer data, int i)
{
  const Depthwise *d = data;
  int n = (d->blocked ? (d->C + 15) / 16 : d->C) * d->B;
  int p0 = (int) ((gint64) n * i / DW_PIECES), p1 = (int) ((gint64) n * (i + 1) / DW_PIECES);

  for (int p = p0; p < p1; p++)
    if (d->blocked)
      depthwise_block (d, p / d->B, p % d->B);
    else
      depthwise_plane (d, p / d->B, p % d->B);
}

/* Output widths up to this (twice this for stride 2) go to the
 * channel-blocked kernel. Measured per node on MobileNetV3-Large and
 * EfficientNet-B0 (CPU ms, blocked / plane): 7×7 and 14×14 maps 0.2–0.55×,
 * 28×28 0.6–0.7×, 56×56 at stride 1 1.0–1.05× (the plane kernel's
 * 16-wide rows are full there and the tile leaves L1), 112×112 → 56×56 at
 * stride 2 0.85× (the plane kernel's even/odd split costs more than the
 * transposes). MCAM_DW_BLOCKED_MAX_W overrides it for measuring; 0 turns
 * the blocked kernel off. */
static int
blocked_max_width (void)
{
  static int max_w = -1;

  if (g_atomic_int_get (&max_w) < 0)
    {
      const char *e = g_getenv ("MCAM_DW_BLOCKED_MAX_W");
      g_atomic_int_set (&max_w, e != NULL ? MAX (0, atoi (e)) : 28);
    }
  return g_atomic_int_get (&max_w);
}

void
_mcam_op_depthwise (const float *in, int C, int B, int H, int W, const float *weight,
                    const float *bias, const float *packed, int kh, int kw, int stride,
                    int pad_t, int pad_l, float *out, int OH, int OW, McamAct act)
{
  Depthwise d = { in, weight, bias, packed, C, B, H, W, kh, kw, stride, pad_t, pad_l, OH, OW,
                  out, act, FALSE };

  d.blocked = packed != NULL && OW <= blocked_max_width () * stride && pad_t >= 0 &&
              pad_l >= 0 &&
              mcam_dwconv_block_takes (H, W, kh, kw, stride, OH, OW);
  if ((gsize) C * B * OH * OW * kh * kw < 65536)
    for (int i = 0; i < DW_PIECES; i++)
      depthwise_piece (&d, i);
  else
    mcam_parallel_for (DW_PIECES, depthwise_piece, &d);
}

/* ---- normalisation -------------------------------------------------------- */

void
_mcam_op_layernorm (const float *in, float *out, gsize rows, int n, const float *gamma,
                    const float *beta, float eps)
{
  /* vectorised (engine/mcam-act-vec.c): ConvNeXt's 23 LayerNorms over C */
  mcam_vec_layernorm_rows (in, out, rows, (gsize) n, gamma, beta, eps);
}

void
_mcam_op_scale_shift (const float *in, float *out, int C, gsize inner, const float *s,
                      const float *t, McamAct act)
{
  float a, b;
  McamVecAct k = vec_kind (act, &a, &b);

  /* one vector pass: DenseNet's BatchNorm + ReLU before each conv (62 of
   * them, over the whole growing concat) */
  if (vectorised (act))
    {
      mcam_vec_scale_shift_act (k, in, out, C, inner, s, t, a, b);
      return;
    }
  for (int c = 0; c < C; c++)
    {
      const float *x = in + (gsize) c * inner;
      float *y = out + (gsize) c * inner;

      for (gsize i = 0; i < inner; i++)
        y[i] = x[i] * s[c] + t[c];
      _mcam_op_act (act, y, inner);
    }
}
