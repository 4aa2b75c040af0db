/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Small graphs for the graph-engine tests (test-graph-ops.c, test-graph-run.c,
 * test-graph-fold.c): seeded random constants and maps, node builders that
 * assert, a finish-and-run that reads a value back as NCHW. */
#pragma once

#include <math.h>
#include <string.h>

#include "mcam-test-util.h"
#include "mcam/mcam-error.h"
#include "mcam-graph-private.h"

#define TOL 1e-5

G_GNUC_UNUSED static float
rnd (guint32 *s)
{
  *s = *s * 1664525u + 1013904223u;
  return (float) ((*s >> 8) / 16777216.0 * 2.0 - 1.0);
}

G_GNUC_UNUSED static float *
rnd_array (gsize n, guint32 seed)
{
  float *a = g_new (float, n);
  for (gsize i = 0; i < n; i++)
    a[i] = rnd (&seed);
  return a;
}

G_GNUC_UNUSED static int
constant (McamGraph *g, const char *name, int ndim, const gint64 *shape, guint32 seed)
{
  g_autoptr (GError) error = NULL;
  int v = mcam_graph_add_constant (g, name, ndim, shape,
                                   rnd_array (mcam_shape_numel (ndim, shape), seed), &error);
  g_assert_no_error (error);
  return v;
}

G_GNUC_UNUSED static int
node (McamGraph *g, McamOpType op, const char *out, const int *in, int n_in,
      const McamNodeAttrs *at)
{
  g_autoptr (GError) error = NULL;
  int v = mcam_graph_add_node (g, op, out, in, n_in, out, at, &error);
  g_assert_no_error (error);
  g_assert_cmpint (v, >=, 0);
  return v;
}

/* GAP + Flatten after `v` as the graph's [B, C] output, finish, run on x;
 * returns `v` as NCHW (and the output). */
G_GNUC_UNUSED static McamTensor *
finish_and_run (McamGraph *g, int v, const McamTensor *x, McamTensor **out)
{
  g_autoptr (GError) error = NULL;
  const McamValue *val = mcam_graph_get_value (g, v);
  McamTensor *kept = NULL;
  McamTensor *o = NULL;
  int y = v;

  if (val->ndim == 4)
    {
      y = node (g, MCAM_OP_GLOBAL_AVGPOOL, "test.gap", &y, 1, NULL);
      y = node (g, MCAM_OP_FLATTEN, "test.flat", &y, 1, NULL);
    }
  g_assert_true (mcam_graph_finish (g, y, &error));
  g_assert_no_error (error);
  g_assert_true (mcam_graph_run (g, mcam_graph_get_input (g), x, v, &kept, &o, NULL, &error));
  g_assert_no_error (error);
  if (out)
    *out = o;
  else
    mcam_tensor_free (o);
  return kept;
}

G_GNUC_UNUSED static McamTensor *
rnd_tensor (int B, int C, int H, int W, guint32 seed)
{
  McamTensor *t = mcam_tensor_new_4d (B, C, H, W);
  for (gsize i = 0; i < t->n; i++)
    t->data[i] = rnd (&seed);
  return t;
}

G_GNUC_UNUSED static int
unary (McamGraph *g, const char *name, int x, McamActKind kind)
{
  McamNodeAttrs at;

  mcam_node_attrs_init (&at);
  at.act.kind = kind;
  return node (g, MCAM_OP_UNARY, name, &x, 1, &at);
}

/* Convolution on NCHW by the definition, in double. */
G_GNUC_UNUSED static void
conv_ref (const float *x, int B, int C, int H, int W, const float *w, const float *bias,
          int O, int G, int kh, int kw, int s, const int pads[4], int OH, int OW, float *y)
{
  int cg = C / G, og = O / G;

  for (int b = 0; b < B; b++)
    for (int o = 0; o < O; o++)
      for (int oy = 0; oy < OH; oy++)
        for (int ox = 0; ox < OW; ox++)
          {
            double acc = bias[o];
            int gi = o / og;

            for (int c = 0; c < cg; c++)
              for (int ky = 0; ky < kh; ky++)
                for (int kx = 0; kx < kw; kx++)
                  {
                    int iy = oy * s - pads[0] + ky, ix = ox * s - pads[1] + kx;
                    if (iy < 0 || iy >= H || ix < 0 || ix >= W)
                      continue;
                    acc += (double) w[((o * cg + c) * kh + ky) * kw + kx] *
                           x[(((gsize) b * C + gi * cg + c) * H + iy) * W + ix];
                  }
            y[(((gsize) b * O + o) * OH + oy) * OW + ox] = (float) acc;
          }
}
