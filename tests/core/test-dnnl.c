/* SPDX-License-Identifier: GPL-3.0-or-later */
/* oneDNN's convolutions (mcam-dnnl.c) against the engine's plain loops
 * (mcam_conv_forward_naive) and double-precision activations: stems, 1×1,
 * 3×3 (oneDNN's Winograd) and 5×5 kernels, strides 1 and 2, channel counts
 * that are not multiples of the 16-channel block, batches of 1–3; every
 * layout of input, output and residual (plain CNHW or blocked), the
 * residual accumulated in place, every activation oneDNN takes; one and two
 * threads; the layout reorders both ways. */

#include <math.h>
#include <string.h>

#include "mcam-test-util.h"

#include "mcam/mcam-blas.h"
#include "mcam-conv.h"
#include "mcam-dnnl.h"
#include "mcam-pool.h"

typedef struct
{
  int in_c, out_c, k, stride, pad, B, H, W;
} Case;

static const Case cases[] = {
  { 3, 64, 7, 2, 3, 1, 32, 32 },    /* an image stem */
  { 64, 64, 3, 1, 1, 2, 14, 14 },   /* Winograd, two images */
  { 24, 40, 1, 1, 0, 1, 9, 9 },     /* 1x1, channels off the block */
  { 40, 24, 3, 2, 1, 3, 11, 11 },   /* stride 2, odd map, three images */
  { 512, 512, 3, 1, 1, 1, 7, 7 },   /* resnet50's layer4 */
  { 16, 8, 5, 1, 2, 2, 6, 6 },      /* 5x5 */
  { 256, 512, 1, 2, 0, 1, 14, 14 }, /* a strided 1x1 shortcut */
};

static void
fill_random (GRand *rng, float *v, gsize n)
{
  for (gsize i = 0; i < n; i++)
    v[i] = (float) g_rand_double_range (rng, -1.0, 1.0);
}

static double
act_ref (const McamConvAct *a, double x)
{
  switch (a->kind)
    {
    case MCAM_VEC_NONE: return x;
    case MCAM_VEC_CLIP: return MIN (MAX (x, a->a), a->b);
    case MCAM_VEC_SIGMOID: return 1.0 / (1.0 + exp (-x));
    case MCAM_VEC_SILU: return x / (1.0 + exp (-x));
    case MCAM_VEC_HARD_SWISH: return x * MIN (MAX (x / 6.0 + 0.5, 0.0), 1.0);
    case MCAM_VEC_HARD_SIGMOID: return MIN (MAX (a->a * x + a->b, 0.0), 1.0);
    case MCAM_VEC_GELU: return 0.5 * x * (1.0 + erf (x / sqrt (2.0)));
    default: g_assert_not_reached ();
    }
}

static const McamConvAct acts[] = {
  { MCAM_VEC_NONE, 0, 0 },
  { MCAM_VEC_CLIP, 0, INFINITY },   /* ReLU */
  { MCAM_VEC_CLIP, -1.0f, 2.0f },
  { MCAM_VEC_SIGMOID, 0, 0 },
  { MCAM_VEC_SILU, 0, 0 },
  { MCAM_VEC_HARD_SWISH, 0, 0 },
  { MCAM_VEC_HARD_SIGMOID, 0.2f, 0.5f },
  { MCAM_VEC_GELU, 0, 0 },
};

/* A plain CNHW map in the layout asked for (a new buffer). */
static float *
to_layout (const float *plain, int B, int C, int H, int W, gboolean blocked)
{
  gsize n = blocked ? mcam_dnnl_blocked_size (B, C, H, W) : (gsize) B * C * H * W;
  float *m = g_new (float, n);

  if (blocked)
    mcam_dnnl_reorder (B, C, H, W, plain, FALSE, m);
  else
    memcpy (m, plain, sizeof (float) * n);
  return m;
}

/* io_bits: 1 input blocked, 2 output blocked, 4 residual, 8 residual
 * blocked (as the output must be when it is accumulated in place), 16 the
 * residual in the output's buffer */
static void
check (const Case *cc, int io_bits, const McamConvAct *act, GRand *rng)
{
  McamConv *conv = mcam_conv_new (cc->in_c, cc->out_c, cc->k, cc->k, cc->stride, cc->pad);
  int B = cc->B, H = cc->H, W = cc->W;
  int OH = mcam_conv_out_size (H, cc->k, cc->stride, cc->pad);
  int OW = mcam_conv_out_size (W, cc->k, cc->stride, cc->pad);
  gsize nin = (gsize) B * cc->in_c * H * W, nout = (gsize) B * cc->out_c * OH * OW;
  McamDnnlIo io = { io_bits & 1, (io_bits & 2) != 0, (io_bits & 4) != 0, (io_bits & 8) != 0 };
  gboolean in_place = (io_bits & 16) != 0;
  g_autofree float *x = g_new (float, nin);
  g_autofree float *res = g_new (float, nout);
  g_autofree float *want = g_new (float, nout);
  g_autofree float *scale = g_new0 (float, nout);
  g_autofree float *got = g_new (float, nout);
  g_autofree float *xin = NULL, *rin = NULL, *out = NULL, *ws = NULL;
  McamActLayout in_l = mcam_layout_cnhw (B, H, W), out_l = mcam_layout_cnhw (B, OH, OW);
  gsize wsn;

  fill_random (rng, conv->weight, (gsize) cc->out_c * cc->in_c * cc->k * cc->k);
  fill_random (rng, conv->bias, cc->out_c);
  fill_random (rng, x, nin);
  fill_random (rng, res, nout);
  g_assert_true (mcam_dnnl_takes (conv, B, H, W, act));

  /* the reference: the sum (and residual) by the plain loops, the
   * activation in double; |terms| for the tolerance from the same loops */
  mcam_conv_forward_naive (conv, B, H, W, x, in_l, want, out_l, io.has_res ? res : NULL, FALSE);
  {
    McamConv *abs_conv = mcam_conv_new (cc->in_c, cc->out_c, cc->k, cc->k, cc->stride, cc->pad);
    g_autofree float *xa = g_new (float, nin);
    gsize nw = (gsize) cc->out_c * cc->in_c * cc->k * cc->k;

    for (gsize i = 0; i < nw; i++)
      abs_conv->weight[i] = fabsf (conv->weight[i]);
    for (int o = 0; o < cc->out_c; o++)
      abs_conv->bias[o] = fabsf (conv->bias[o]);
    for (gsize i = 0; i < nin; i++)
      xa[i] = fabsf (x[i]);
    mcam_conv_forward_naive (abs_conv, B, H, W, xa, in_l, scale, out_l, NULL, FALSE);
    mcam_conv_free (abs_conv);
  }

  xin = to_layout (x, B, cc->in_c, H, W, io.in_blocked);
  out = to_layout (res, B, cc->out_c, OH, OW, io.out_blocked);   /* sized for the output */
  if (io.has_res && !in_place)
    {
      rin = to_layout (res, B, cc->out_c, OH, OW, io.res_blocked);
      /* the output's old contents must not matter */
      memset (out, 0xff, sizeof (float) * (io.out_blocked ? mcam_dnnl_blocked_size (B, cc->out_c, OH, OW) : nout));
    }
  wsn = mcam_dnnl_workspace_size (conv, B, H, W, &io, act);
  if (wsn == 0 && io.in_blocked && cc->in_c < 16)
    {
      /* a 3-channel stem's blocked input has only oneDNN's reference
       * kernel, which is refused (the graph never blocks an image) */
      g_assert_false (mcam_dnnl_forward (conv, B, H, W, &io, xin, out, rin, act, NULL));
      g_assert_false (mcam_dnnl_takes (conv, B, H, W, act));
      mcam_conv_free (conv);
      return;
    }
  g_assert_cmpuint (wsn, >, 0);
  ws = g_new (float, wsn);
  g_assert_true (mcam_dnnl_forward (conv, B, H, W, &io, xin, out,
                                    !io.has_res ? NULL : in_place ? out : rin, act, ws));
  if (io.out_blocked)
    mcam_dnnl_reorder (B, cc->out_c, OH, OW, out, TRUE, got);
  else
    memcpy (got, out, sizeof (float) * nout);

  for (gsize i = 0; i < nout; i++)
    {
      double w = act_ref (act, want[i]);
      /* float sums against the loops' (Winograd rounds more: its
       * transforms scale the terms by up to 4) */
      double tol = 2e-5 * (scale[i] + (io.has_res ? 1.0 : 0.0)) + 1e-6;

      if (!(fabs (got[i] - w) <= tol))
        g_error ("%d>%d k%d s%d B%d %dx%d io %d act %d: out[%zu] = %.7g, want %.7g (tol %g)",
                 cc->in_c, cc->out_c, cc->k, cc->stride, B, H, W, io_bits, act->kind, i,
                 got[i], w, tol);
    }
  mcam_conv_free (conv);
}

static void
test_against_loops (void)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (7);
  /* input, output, residual: plain or blocked, the residual apart or in
   * the output's buffer (then in the output's layout) */
  static const int ios[] = { 0, 1, 2, 3, 4, 5, 2 | 4 | 8, 1 | 2 | 4 | 8, 1 | 2 | 4, 1 | 4 | 8,
                             4 | 16, 1 | 2 | 4 | 8 | 16 };

  if (!mcam_dnnl_available ())
    {
      g_test_skip ("built without oneDNN (or MCAM_DNNL=0)");
      return;
    }
  for (int t = 1; t <= 2; t++)
    {
      mcam_blas_set_threads (t);
      for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
        {
          for (guint i = 0; i < G_N_ELEMENTS (ios); i++)
            check (&cases[c], ios[i], &acts[1], rng);
          for (guint a = 0; a < G_N_ELEMENTS (acts); a++)
            check (&cases[c], t == 1 ? 1 | 2 | 4 | 8 : 0, &acts[a], rng);
        }
    }
  mcam_blas_set_threads (1);
}

/* A grouped conv as one (McamConv.groups) against the plain loops group by
 * group (a group's channels are a contiguous slice of a CNHW map), with
 * blocked maps and a residual. */
static void
test_grouped (void)
{
  /* in_c, out_c, k, stride, groups, B, H, W; groups of 16 channels and more
   * (ResNeXt-50's last two stages): oneDNN's JIT kernels; groups of 4
   * (its first stage) have only its reference kernel, which is refused */
  static const int geo[][8] = {
    { 64, 64, 3, 1, 4, 2, 8, 8 }, { 64, 128, 3, 2, 4, 1, 9, 9 }, { 48, 48, 1, 1, 3, 1, 5, 5 },
    { 128, 128, 3, 1, 32, 1, 6, 6 },
  };
  g_autoptr (GRand) rng = g_rand_new_with_seed (13);
  McamConvAct relu = { MCAM_VEC_CLIP, 0, INFINITY };

  if (!mcam_dnnl_available ())
    {
      g_test_skip ("built without oneDNN (or MCAM_DNNL=0)");
      return;
    }
  for (guint i = 0; i < G_N_ELEMENTS (geo); i++)
    {
      int cin = geo[i][0], cout = geo[i][1], k = geo[i][2], s = geo[i][3], G = geo[i][4];
      int B = geo[i][5], H = geo[i][6], W = geo[i][7], pad = k / 2;
      int OH = mcam_conv_out_size (H, k, s, pad), OW = mcam_conv_out_size (W, k, s, pad);
      gsize nin = (gsize) B * cin * H * W, nout = (gsize) B * cout * OH * OW;
      gsize gw = (gsize) (cout / G) * (cin / G) * k * k;
      McamConv *whole = mcam_conv_new (cin / G, cout, k, k, s, pad);
      McamDnnlIo io = { TRUE, TRUE, TRUE, TRUE };
      g_autofree float *x = g_new (float, nin);
      g_autofree float *res = g_new (float, nout);
      g_autofree float *want = g_new (float, nout);
      g_autofree float *got = g_new (float, nout);
      g_autofree float *xb = NULL, *ob = NULL, *ws = NULL;

      whole->in_c = cin;   /* [cout][cin / G][k][k]: what a grouped node holds */
      whole->groups = G;
      fill_random (rng, whole->weight, gw * G);
      fill_random (rng, whole->bias, cout);
      fill_random (rng, x, nin);
      fill_random (rng, res, nout);
      for (int g = 0; g < G; g++)
        {
          McamConv *one = mcam_conv_new (cin / G, cout / G, k, k, s, pad);
          gsize xo = (gsize) g * (cin / G) * B * H * W, yo = (gsize) g * (cout / G) * B * OH * OW;

          memcpy (one->weight, whole->weight + g * gw, sizeof (float) * gw);
          memcpy (one->bias, whole->bias + g * (cout / G), sizeof (float) * (cout / G));
          mcam_conv_forward_naive (one, B, H, W, x + xo, mcam_layout_cnhw (B, H, W), want + yo,
                                   mcam_layout_cnhw (B, OH, OW), res + yo, TRUE);
          mcam_conv_free (one);
        }
      xb = to_layout (x, B, cin, H, W, TRUE);
      ob = to_layout (res, B, cout, OH, OW, TRUE);   /* the residual in place */
      if (cin / G < 16)
        {
          g_assert_cmpuint (mcam_dnnl_workspace_size (whole, B, H, W, &io, &relu), ==, 0);
          g_assert_false (mcam_dnnl_forward (whole, B, H, W, &io, xb, ob, ob, &relu, NULL));
          mcam_conv_free (whole);
          continue;
        }
      ws = g_new (float, mcam_dnnl_workspace_size (whole, B, H, W, &io, &relu));
      g_assert_true (mcam_dnnl_forward (whole, B, H, W, &io, xb, ob, ob, &relu, ws));
      mcam_dnnl_reorder (B, cout, OH, OW, ob, TRUE, got);
      for (gsize j = 0; j < nout; j++)
        if (!(fabsf (got[j] - want[j]) <= 1e-4f * (1.0f + fabsf (want[j]))))
          g_error ("grouped %d>%d k%d s%d g%d: out[%zu] = %g, want %g", cin, cout, k, s, G, j,
                   got[j], want[j]);
      mcam_conv_free (whole);
    }
}

/* Plain -> blocked -> plain is the identity; the blocked layout is
 * [B][C/16][H][W][16] with zeros past the last channel. */
static void
test_reorder (void)
{
  int B = 2, C = 20, H = 3, W = 5;
  gsize n = (gsize) B * C * H * W, nb = mcam_dnnl_blocked_size (B, C, H, W);
  g_autofree float *plain = g_new (float, n);
  g_autofree float *blocked = g_new (float, nb);
  g_autofree float *back = g_new (float, n);

  if (!mcam_dnnl_available ())
    {
      g_test_skip ("built without oneDNN (or MCAM_DNNL=0)");
      return;
    }
  g_assert_cmpuint (nb, ==, (gsize) B * 32 * H * W);
  for (gsize i = 0; i < n; i++)
    plain[i] = (float) i;
  mcam_dnnl_reorder (B, C, H, W, plain, FALSE, blocked);
  mcam_dnnl_reorder (B, C, H, W, blocked, TRUE, back);
  g_assert_cmpmem (plain, n * sizeof (float), back, n * sizeof (float));
  for (int b = 0; b < B; b++)
    for (int c = 0; c < 32; c++)
      for (int p = 0; p < H * W; p++)
        {
          /* CNHW: channel c of image b at (c * B + b) * H * W */
          float want = c < C ? plain[((gsize) c * B + b) * H * W + p] : 0.0f;

          g_assert_cmpfloat (blocked[(((gsize) b * 2 + c / 16) * H * W + p) * 16 + c % 16], ==,
                             want);
        }
}

/* An activation oneDNN has no post-op for is refused (the engine's kernel
 * runs it). */
static void
test_refusals (void)
{
  McamConv *conv = mcam_conv_new (8, 8, 3, 3, 1, 1);
  McamConvAct erf = { MCAM_VEC_ERF, 0, 0 };

  g_assert_false (mcam_dnnl_takes (conv, 1, 8, 8, &erf));
  mcam_conv_free (conv);
}

/* oneDNN's copies of the weights: for the blocked maps inside the graph
 * one per kernel kind however many batch sizes ran: a 1x1 conv's weights
 * once, a 3x3 conv's at most twice in Winograd form (F(2x2,3x3), 16/9 of
 * the weights, for one image; F(4x4,3x3), 36/9, for a batch); a plain
 * input or output may add oneDNN's NHWC kernel's copy (the weights once). */
static void
test_weight_copies (void)
{
  static const int ks[] = { 1, 3 };

  if (!mcam_dnnl_available ())
    {
      g_test_skip ("built without oneDNN (or MCAM_DNNL=0)");
      return;
    }
  for (guint i = 0; i < G_N_ELEMENTS (ks); i++)
    {
      int k = ks[i];
      McamConv *conv = mcam_conv_new (256, 256, k, k, 1, k / 2);
      McamConvAct relu = { MCAM_VEC_CLIP, 0, INFINITY };
      gsize w = sizeof (float) * 256 * 256 * k * k, blocked = k == 1 ? w : (16 + 36) * w / 9;

      g_assert_cmpuint (_mcam_dnnl_weight_bytes (conv), ==, 0);
      for (int io = 3; io >= 0; io--)
        {
          McamDnnlIo d = { io & 1, (io & 2) != 0, FALSE, FALSE };

          for (int B = 1; B <= 3; B++)
            g_assert_cmpuint (mcam_dnnl_workspace_size (conv, B, 14, 14, &d, &relu), >, 0);
          g_test_message ("k%d io %d: %zu bytes of copies for %zu of weights", k, io,
                          _mcam_dnnl_weight_bytes (conv), w);
          g_assert_cmpuint (_mcam_dnnl_weight_bytes (conv), >=, w);
          g_assert_cmpuint (_mcam_dnnl_weight_bytes (conv), <=, io == 3 ? blocked : blocked + w);
        }
      mcam_conv_free (conv);
    }
}

/* Max-pooling of blocked maps equals the engine's on plain ones (exactly:
 * a max rounds nothing), the windows over the padding included. */
static void
test_maxpool (void)
{
  static const int geo[][6] = {   /* B, C, H, W, k, stride (pad k/2) */
    { 1, 64, 112, 112, 3, 2 }, { 3, 20, 9, 7, 3, 2 }, { 2, 16, 8, 8, 2, 2 }, { 1, 40, 5, 5, 3, 1 },
  };
  g_autoptr (GRand) rng = g_rand_new_with_seed (11);

  if (!mcam_dnnl_available ())
    {
      g_test_skip ("built without oneDNN (or MCAM_DNNL=0)");
      return;
    }
  for (guint i = 0; i < G_N_ELEMENTS (geo); i++)
    {
      int B = geo[i][0], C = geo[i][1], H = geo[i][2], W = geo[i][3], k = geo[i][4];
      int s = geo[i][5], pad = k / 2;
      int OH = mcam_conv_out_size (H, k, s, pad), OW = mcam_conv_out_size (W, k, s, pad);
      gsize n = (gsize) B * C * H * W, no = (gsize) B * C * OH * OW;
      g_autofree float *x = g_new (float, n);
      g_autofree float *want = g_new (float, no);
      g_autofree float *got = g_new (float, no);
      g_autofree float *xb = NULL, *yb = g_new (float, mcam_dnnl_blocked_size (B, C, OH, OW));
      g_autofree float *ws = NULL;
      gpointer st = mcam_dnnl_maxpool_new (k, s, pad);
      gsize wsn;

      fill_random (rng, x, n);
      mcam_maxpool2d (x, (gsize) B * C, H, W, k, s, pad, want);
      xb = to_layout (x, B, C, H, W, TRUE);
      wsn = mcam_dnnl_maxpool_workspace_size (st, B, C, H, W);
      g_assert_cmpuint (wsn, >, 0);
      ws = g_new (float, wsn);
      g_assert_true (mcam_dnnl_maxpool (st, B, C, H, W, xb, yb, ws));
      mcam_dnnl_reorder (B, C, OH, OW, yb, TRUE, got);
      g_assert_cmpmem (got, no * sizeof (float), want, no * sizeof (float));
      g_assert_true (mcam_dnnl_maxpool_usable (st));
      mcam_dnnl_maxpool_free (st);
    }
}

int
main (int argc, char **argv)
{
  mcam_test_init (&argc, &argv);
  g_test_add_func ("/dnnl/against-loops", test_against_loops);
  g_test_add_func ("/dnnl/reorder", test_reorder);
  g_test_add_func ("/dnnl/refusals", test_refusals);
  g_test_add_func ("/dnnl/weight-copies", test_weight_copies);
  g_test_add_func ("/dnnl/maxpool", test_maxpool);
  g_test_add_func ("/dnnl/grouped", test_grouped);
  return g_test_run ();
}
