/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The ResNet forward pass (DESIGN 2): stem, residual stages, layer4 features
 * f, global average pool and the linear head. Loading lives in
 * mcam-net-arch.c. Inside the network a batch is kept in the CNHW layout (see
 * mcam-conv.h), so every convolution of the batch is one GEMM. */

#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mcam/mcam-error.h"
#include "mcam-net-private.h"
#include "mcam-pool.h"

McamNet *
mcam_net_load_from (McamSafetensors *st, GError **error)
{
  g_autoptr (McamNet) net = g_new0 (McamNet, 1);

  g_return_val_if_fail (st != NULL, NULL);
  g_mutex_init (&net->ws_lock);
  net->path = g_strdup (mcam_safetensors_get_path (st));
  if (!_mcam_net_build (net, st, error))
    return NULL;
  return g_steal_pointer (&net);
}

McamNet *
mcam_net_load (const char *path, GError **error)
{
  g_autoptr (McamSafetensors) st = mcam_safetensors_open (path, error);

  if (st == NULL)
    return NULL;
  return mcam_net_load_from (st, error);
}

void
mcam_net_free (McamNet *net)
{
  if (net == NULL)
    return;
  mcam_conv_free (net->stem);
  for (int b = 0; b < net->n_blocks; b++)
    {
      mcam_conv_free (net->blocks[b].conv1);
      mcam_conv_free (net->blocks[b].conv2);
      mcam_conv_free (net->blocks[b].conv3);
      mcam_conv_free (net->blocks[b].down);
    }
  g_free (net->blocks);
  g_free (net->fc_weight);
  g_free (net->fc_bias);
  g_free (net->info.arch);
  g_strfreev (net->info.classes);
  g_strfreev (net->info.unknown_keys);
  g_free (net->info.fingerprint);
  g_free (net->path);
  g_free (net->ws);
  g_mutex_clear (&net->ws_lock);
  g_free (net);
}

const McamNetInfo *
mcam_net_get_info (McamNet *net)
{
  g_return_val_if_fail (net != NULL, NULL);
  return &net->info;
}

const char *
mcam_net_get_path (McamNet *net)
{
  g_return_val_if_fail (net != NULL, NULL);
  return net->path;
}

const float *
mcam_net_get_head_weight (McamNet *net)
{
  return net->fc_weight;
}

const float *
mcam_net_get_head_bias (McamNet *net)
{
  return net->fc_bias;
}

double
mcam_net_flops (McamNet *net)
{
  return net->flops;
}

/* ---- forward ----------------------------------------------------------- */

/* Scratch sizes (floats) of one forward: block outputs (X, D), block inner
 * activations (T1, T2) and the im2col columns. */
typedef struct
{
  gsize x, t, col;
} Plan;

static void
plan_conv (Plan *plan, const McamConv *c, int B, int *H, int *W, gboolean is_x)
{
  gsize out;

  plan->col = MAX (plan->col, mcam_conv_workspace_size (c, B, *H, *W));
  *H = mcam_conv_out_size (*H, c->kh, c->stride, c->pad);
  *W = mcam_conv_out_size (*W, c->kw, c->stride, c->pad);
  out = (gsize) B * c->out_c * *H * *W;
  if (is_x)
    plan->x = MAX (plan->x, out);
  else
    plan->t = MAX (plan->t, out);
}

static void
plan_forward (const McamNet *net, int B, int H, int W, Plan *plan)
{
  memset (plan, 0, sizeof *plan);
  plan_conv (plan, net->stem, B, &H, &W, TRUE);
  if (net->stem_pool)
    {
      /* the pooled map is smaller than the stem's output: no new maximum */
      H = mcam_conv_out_size (H, 3, 2, 1);
      W = mcam_conv_out_size (W, 3, 2, 1);
    }
  for (int b = 0; b < net->n_blocks; b++)
    {
      const McamBlock *blk = &net->blocks[b];
      int h = H, w = W;

      if (blk->down != NULL)
        plan_conv (plan, blk->down, B, &h, &w, TRUE);
      plan_conv (plan, blk->conv1, B, &H, &W, FALSE);
      plan_conv (plan, blk->conv2, B, &H, &W, blk->conv3 == NULL);
      if (blk->conv3 != NULL)
        plan_conv (plan, blk->conv3, B, &H, &W, TRUE);
    }
}

/* The cached scratch buffer, or a private one when another thread holds it. */
static float *
workspace_acquire (McamNet *net, gsize size, gboolean *cached)
{
  *cached = g_mutex_trylock (&net->ws_lock);
  if (!*cached)
    return g_try_new (float, size);
  if (net->ws_size < size)
    {
      g_free (net->ws);
      net->ws_size = 0;
      net->ws = g_try_new (float, size);
      if (net->ws == NULL)
        {
          g_mutex_unlock (&net->ws_lock);
          *cached = FALSE;
          return NULL;
        }
      net->ws_size = size;
    }
  return net->ws;
}

static void
workspace_release (McamNet *net, float *ws, gboolean cached)
{
  if (cached)
    g_mutex_unlock (&net->ws_lock);
  else
    g_free (ws);
}

static gboolean
check_input (McamNet *net, const McamTensor *input, GError **error)
{
  int fh, fw;

  if (input->ndim != 4 || input->shape[1] != 3 || input->shape[0] < 1 ||
      input->shape[2] < 1 || input->shape[3] < 1 ||
      input->shape[2] > G_MAXINT / 4 || input->shape[3] > G_MAXINT / 4)
    {
      g_autofree char *s = mcam_tensor_shape_to_string (input->ndim, input->shape);
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_SHAPE,
                   "%s: input has shape %s, expected [B,3,H,W]", net->path, s);
      return FALSE;
    }
  _mcam_net_feature_size (net, (int) input->shape[2], (int) input->shape[3], &fh, &fw);
  if (fh < 1 || fw < 1)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_SHAPE,
                   "%s: input of %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT
                   " pixels is too small for this network", net->path,
                   input->shape[3], input->shape[2]);
      return FALSE;
    }
  return TRUE;
}

/* Global average pool of CNHW features [C][B][h][w] and the head. */
static McamTensor *
head_from_cnhw (McamNet *net, const float *x, int B, int C, int h, int w)
{
  g_autofree float *pooled_cb = g_new (float, (gsize) C * B);
  g_autofree float *pooled = g_new (float, (gsize) C * B);
  McamTensor *logits = mcam_tensor_new_2d (B, net->info.n_classes);

  mcam_global_avgpool (x, (gsize) C * B, h, w, pooled_cb);
  for (int c = 0; c < C; c++)
    for (int b = 0; b < B; b++)
      pooled[(gsize) b * C + c] = pooled_cb[(gsize) c * B + b];
  mcam_linear_forward (B, C, net->info.n_classes, pooled, net->fc_weight, net->fc_bias,
                       logits->data);
  return logits;
}

gboolean
mcam_net_forward (McamNet *net, const McamTensor *input,
                  McamTensor **features, McamTensor **logits,
                  GCancellable *cancellable, GError **error)
{
  int B, H, W;
  Plan plan;
  gsize total;
  gboolean cached;
  float *ws, *X, *D, *T1, *T2, *col;
  int C;

  g_return_val_if_fail (net != NULL && input != NULL, FALSE);
  if (features)
    *features = NULL;
  if (logits)
    *logits = NULL;
  if (!check_input (net, input, error))
    return FALSE;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;

  B = (int) input->shape[0];
  H = (int) input->shape[2];
  W = (int) input->shape[3];
  plan_forward (net, B, H, W, &plan);
  total = 2 * plan.x + 2 * plan.t + plan.col;
  ws = workspace_acquire (net, total, &cached);
  if (ws == NULL)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_TOO_LARGE,
                   "%s: not enough memory for a batch of %d images of %dx%d pixels",
                   net->path, B, W, H);
      return FALSE;
    }
  X = ws;
  D = X + plan.x;
  T1 = D + plan.x;
  T2 = T1 + plan.t;
  col = T2 + plan.t;

  /* Stem: reads the NCHW input directly, writes CNHW. */
  {
    const McamConv *s = net->stem;
    int oh = mcam_conv_out_size (H, s->kh, s->stride, s->pad);
    int ow = mcam_conv_out_size (W, s->kw, s->stride, s->pad);
    float *dst = net->stem_pool ? D : X;

    mcam_conv_forward (s, B, H, W, input->data, mcam_layout_nchw (3, H, W),
                       dst, mcam_layout_cnhw (B, oh, ow), NULL, TRUE, col);
    H = oh;
    W = ow;
    C = s->out_c;
    if (net->stem_pool)
      {
        mcam_maxpool2d (D, (gsize) C * B, H, W, 3, 2, 1, X);
        H = mcam_conv_out_size (H, 3, 2, 1);
        W = mcam_conv_out_size (W, 3, 2, 1);
      }
  }

  for (int b = 0; b < net->n_blocks; b++)
    {
      const McamBlock *blk = &net->blocks[b];
      const McamConv *strided = blk->conv3 ? blk->conv2 : blk->conv1;
      int oh = mcam_conv_out_size (H, strided->kh, strided->stride, strided->pad);
      int ow = mcam_conv_out_size (W, strided->kw, strided->stride, strided->pad);
      McamActLayout in_l = mcam_layout_cnhw (B, H, W), out_l = mcam_layout_cnhw (B, oh, ow);
      float *identity = X;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          workspace_release (net, ws, cached);
          return FALSE;
        }
      if (blk->down != NULL)
        {
          mcam_conv_forward (blk->down, B, H, W, X, in_l, D, out_l, NULL, FALSE, col);
          identity = D;
        }
      if (blk->conv3 == NULL)
        {
          mcam_conv_forward (blk->conv1, B, H, W, X, in_l, T1, out_l, NULL, TRUE, col);
          mcam_conv_forward (blk->conv2, B, oh, ow, T1, out_l, identity, out_l, identity,
                             TRUE, col);
        }
      else
        {
          mcam_conv_forward (blk->conv1, B, H, W, X, in_l, T1, in_l, NULL, TRUE, col);
          mcam_conv_forward (blk->conv2, B, H, W, T1, in_l, T2, out_l, NULL, TRUE, col);
          mcam_conv_forward (blk->conv3, B, oh, ow, T2, out_l, identity, out_l, identity,
                             TRUE, col);
        }
      if (identity == D)
        {
          D = X;
          X = identity;
        }
      H = oh;
      W = ow;
      C = blk->conv3 ? blk->conv3->out_c : blk->conv2->out_c;
    }

  if (features != NULL)
    {
      *features = mcam_tensor_new_4d (B, C, H, W);
      mcam_act_copy (B, C, H, W, X, mcam_layout_cnhw (B, H, W), (*features)->data,
                     mcam_layout_nchw (C, H, W));
    }
  if (logits != NULL)
    *logits = head_from_cnhw (net, X, B, C, H, W);
  workspace_release (net, ws, cached);
  return TRUE;
}

McamTensor *
mcam_net_head_forward (McamNet *net, const McamTensor *features)
{
  int B, C, h, w;
  g_autofree float *pooled = NULL;
  McamTensor *logits;

  g_return_val_if_fail (net != NULL && features != NULL, NULL);
  g_return_val_if_fail (features->ndim == 4 && features->shape[1] == net->info.feat_c, NULL);
  B = (int) features->shape[0];
  C = (int) features->shape[1];
  h = (int) features->shape[2];
  w = (int) features->shape[3];
  pooled = g_new (float, (gsize) B * C);
  /* NCHW planes are already in [B][C] order */
  mcam_global_avgpool (features->data, (gsize) B * C, h, w, pooled);
  logits = mcam_tensor_new_2d (B, net->info.n_classes);
  mcam_linear_forward (B, C, net->info.n_classes, pooled, net->fc_weight, net->fc_bias,
                       logits->data);
  return logits;
}

void
mcam_net_scores (McamNet *net, const float *logits, float *scores)
{
  int n = net->info.n_classes;

  if (net->info.multilabel)
    {
      for (int i = 0; i < n; i++)
        scores[i] = (float) (1.0 / (1.0 + exp (-(double) logits[i])));
      return;
    }

  double max = logits[0], sum = 0.0;

  for (int i = 1; i < n; i++)
    max = MAX (max, (double) logits[i]);
  for (int i = 0; i < n; i++)
    sum += exp ((double) logits[i] - max);
  for (int i = 0; i < n; i++)
    scores[i] = (float) (exp ((double) logits[i] - max) / sum);
}

int
mcam_net_find_class (McamNet *net, const char *name_or_index)
{
  char *end = NULL;
  gint64 idx;

  g_return_val_if_fail (net != NULL, -1);
  if (name_or_index == NULL || *name_or_index == '\0')
    return -1;
  /* A name wins over an index: a class may be called "3". */
  for (int i = 0; i < net->info.n_classes; i++)
    if (strcmp (net->info.classes[i], name_or_index) == 0)
      return i;
  if (!g_ascii_isdigit (name_or_index[0]))
    return -1;
  errno = 0;
  idx = g_ascii_strtoll (name_or_index, &end, 10);
  if (errno != 0 || *end != '\0' || idx < 0 || idx >= net->info.n_classes)
    return -1;
  return (int) idx;
}
