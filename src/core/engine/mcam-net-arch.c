/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Building a McamNet from a safetensors file (DESIGN 3): the architecture
 * from the mcam.* metadata (inferred from the tensor names and shapes when a
 * plain torchvision state_dict carries none), every tensor read with its
 * expected shape, BatchNorm folded into the convolutions, the fingerprint. */

#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <json-glib/json-glib.h>

#include "mcam/mcam-error.h"
#include "mcam-model-meta.h"
#include "mcam-net-private.h"

#define BN_EPS 1e-5
/* Bounds that keep a hostile header from asking for absurd allocations. */
#define MAX_WIDTH 16384
#define MAX_BLOCKS_PER_STAGE 1024
#define MAX_CLASSES 1000000

static const int standard_widths[4] = { 64, 128, 256, 512 };

static const struct
{
  const char   *name;
  McamBlockKind block;
  int           layers[4];
} standard_archs[] = {
  { "resnet18", MCAM_BLOCK_BASIC, { 2, 2, 2, 2 } },
  { "resnet34", MCAM_BLOCK_BASIC, { 3, 4, 6, 3 } },
  { "resnet50", MCAM_BLOCK_BOTTLENECK, { 3, 4, 6, 3 } },
  { "resnet101", MCAM_BLOCK_BOTTLENECK, { 3, 4, 23, 3 } },
  { "resnet152", MCAM_BLOCK_BOTTLENECK, { 3, 8, 36, 3 } },
};

typedef struct
{
  McamSafetensors *st;
  const char      *path;
  GChecksum       *sum;      /* fingerprint: names, shapes and values read */
  gint64           n_params;
  GHashTable      *used;     /* names of the tensors read */
  McamModelMeta    meta;     /* the mcam.* keys that are not the architecture's */
} Loader;

/* The metadata keys the architecture reads; the others are
 * mcam-model-meta.c's, which reports any key neither knows. */
static const char *const arch_keys[] = {
  "mcam.arch", "mcam.block", "mcam.layers", "mcam.widths", "mcam.stem", NULL
};

static gboolean
meta_error (Loader *ld, GError **error, const char *key, const char *value, const char *want)
{
  return _mcam_model_meta_error (error, ld->path, key, value, want);
}

static gboolean
parse_int4 (Loader *ld, const char *key, int max, int out[4], GError **error)
{
  double v[4];

  if (!_mcam_model_meta_number_array (ld->path, key, mcam_safetensors_get_metadata (ld->st, key),
                                      4, TRUE, v, error))
    return FALSE;
  for (int i = 0; i < 4; i++)
    {
      if (v[i] > max)
        return meta_error (ld, error, key, mcam_safetensors_get_metadata (ld->st, key),
                           "sizes that are not absurdly large");
      out[i] = (int) v[i];
    }
  return TRUE;
}

/* Architecture of a file without mcam.arch: a torchvision state_dict. */
static gboolean
infer_arch (Loader *ld, McamNetInfo *info, GError **error)
{
  int ndim;
  gint64 shape[8];

  info->block = mcam_safetensors_has (ld->st, "layer1.0.conv3.weight") ? MCAM_BLOCK_BOTTLENECK
                                                                       : MCAM_BLOCK_BASIC;
  if (!mcam_safetensors_get_shape (ld->st, "conv1.weight", &ndim, shape) || ndim != 4)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_SHAPE,
                   "%s: no mcam.arch metadata and no 4-D tensor 'conv1.weight': "
                   "not a ResNet this program knows", ld->path);
      return FALSE;
    }
  info->stem = shape[2] == 3 ? MCAM_STEM_SMALL : MCAM_STEM_IMAGENET;
  for (int s = 0; s < 4; s++)
    {
      g_autofree char *first = g_strdup_printf ("layer%d.0.conv1.weight", s + 1);

      if (!mcam_safetensors_get_shape (ld->st, first, &ndim, shape) || ndim != 4)
        {
          g_set_error (error, MCAM_ERROR, MCAM_ERROR_SHAPE,
                       "%s: no mcam.arch metadata and no 4-D tensor '%s': "
                       "not a ResNet this program knows", ld->path, first);
          return FALSE;
        }
      info->widths[s] = (int) CLAMP (shape[0], 1, MAX_WIDTH);
      info->layers[s] = 0;
      for (;;)
        {
          g_autofree char *name = g_strdup_printf ("layer%d.%d.conv1.weight", s + 1,
                                                   info->layers[s]);
          if (!mcam_safetensors_has (ld->st, name) || info->layers[s] >= MAX_BLOCKS_PER_STAGE)
            break;
          info->layers[s]++;
        }
    }
  info->arch = g_strdup ("resnet");
  for (gsize a = 0; a < G_N_ELEMENTS (standard_archs); a++)
    if (standard_archs[a].block == info->block && info->stem == MCAM_STEM_IMAGENET &&
        memcmp (standard_archs[a].layers, info->layers, sizeof info->layers) == 0 &&
        memcmp (standard_widths, info->widths, sizeof info->widths) == 0)
      {
        g_free (info->arch);
        info->arch = g_strdup (standard_archs[a].name);
      }
  return TRUE;
}

static gboolean
parse_arch (Loader *ld, McamNetInfo *info, GError **error)
{
  const char *arch = mcam_safetensors_get_metadata (ld->st, "mcam.arch");
  const char *v;

  if (arch == NULL)
    return infer_arch (ld, info, error);

  for (gsize a = 0; a < G_N_ELEMENTS (standard_archs); a++)
    if (strcmp (arch, standard_archs[a].name) == 0)
      {
        info->arch = g_strdup (arch);
        info->block = standard_archs[a].block;
        memcpy (info->layers, standard_archs[a].layers, sizeof info->layers);
        memcpy (info->widths, standard_widths, sizeof info->widths);
        info->stem = MCAM_STEM_IMAGENET;
        return TRUE;
      }
  if (strcmp (arch, "resnet") != 0)
    return meta_error (ld, error, "mcam.arch", arch,
                       "resnet18, resnet34, resnet50, resnet101, resnet152 or resnet");

  info->arch = g_strdup (arch);
  v = mcam_safetensors_get_metadata (ld->st, "mcam.block");
  if (v == NULL || (strcmp (v, "basic") != 0 && strcmp (v, "bottleneck") != 0))
    return meta_error (ld, error, "mcam.block", v ? v : "(absent)", "basic or bottleneck");
  info->block = strcmp (v, "basic") == 0 ? MCAM_BLOCK_BASIC : MCAM_BLOCK_BOTTLENECK;

  if (mcam_safetensors_get_metadata (ld->st, "mcam.layers") == NULL)
    return meta_error (ld, error, "mcam.layers", "(absent)", "a JSON array of 4 positive integers");
  if (!parse_int4 (ld, "mcam.layers", MAX_BLOCKS_PER_STAGE, info->layers, error))
    return FALSE;
  if (mcam_safetensors_get_metadata (ld->st, "mcam.widths") == NULL)
    memcpy (info->widths, standard_widths, sizeof info->widths);
  else if (!parse_int4 (ld, "mcam.widths", MAX_WIDTH, info->widths, error))
    return FALSE;

  v = mcam_safetensors_get_metadata (ld->st, "mcam.stem");
  if (v == NULL || strcmp (v, "imagenet") == 0)
    info->stem = MCAM_STEM_IMAGENET;
  else if (strcmp (v, "small") == 0)
    info->stem = MCAM_STEM_SMALL;
  else
    return meta_error (ld, error, "mcam.stem", v, "imagenet or small");
  return TRUE;
}

static gboolean
parse_classes (Loader *ld, McamNetInfo *info, int n_classes, GError **error)
{
  if (!_mcam_model_meta_take_classes (&ld->meta, n_classes, ld->path, "fc.weight",
                                      &info->classes, error))
    return FALSE;
  info->n_classes = n_classes;
  return TRUE;
}

/* Read a tensor with an exact shape and feed it to the fingerprint. */
static McamTensor *
read_tensor (Loader *ld, const char *name, int ndim, const gint64 *shape, gboolean is_param,
             GError **error)
{
  McamTensor *t = mcam_safetensors_read (ld->st, name, ndim, shape, error);

  if (t == NULL)
    return NULL;
  g_hash_table_add (ld->used, g_strdup (name));
  g_checksum_update (ld->sum, (const guchar *) name, strlen (name) + 1);
  g_checksum_update (ld->sum, (const guchar *) t->shape, sizeof (gint64) * ndim);
  /* The values as float32 little-endian: the host order on every machine
   * this runs on (x86-64, arm64). */
  g_checksum_update (ld->sum, (const guchar *) t->data, sizeof (float) * t->n);
  if (is_param)
    ld->n_params += (gint64) t->n;
  return t;
}

/* conv `prefix`.weight [out,in,k,k] (+ optional .bias) followed by BatchNorm
 * `bn`.{weight,bias,running_mean,running_var}, folded. */
static McamConv *
load_conv_bn (Loader *ld, const char *conv_name, const char *bn_name, int in_c, int out_c,
              int k, int stride, int pad, GError **error)
{
  g_autofree char *wn = g_strdup_printf ("%s.weight", conv_name);
  g_autofree char *bn_w = g_strdup_printf ("%s.weight", bn_name);
  g_autofree char *bn_b = g_strdup_printf ("%s.bias", bn_name);
  g_autofree char *bn_m = g_strdup_printf ("%s.running_mean", bn_name);
  g_autofree char *bn_v = g_strdup_printf ("%s.running_var", bn_name);
  g_autofree char *cb = g_strdup_printf ("%s.bias", conv_name);
  gint64 wshape[4] = { out_c, in_c, k, k };
  gint64 vshape[1] = { out_c };
  g_autoptr (McamTensor) w = NULL, gamma = NULL, beta = NULL, mean = NULL, var = NULL;
  McamConv *conv;

  if ((w = read_tensor (ld, wn, 4, wshape, TRUE, error)) == NULL ||
      (gamma = read_tensor (ld, bn_w, 1, vshape, TRUE, error)) == NULL ||
      (beta = read_tensor (ld, bn_b, 1, vshape, TRUE, error)) == NULL ||
      (mean = read_tensor (ld, bn_m, 1, vshape, FALSE, error)) == NULL ||
      (var = read_tensor (ld, bn_v, 1, vshape, FALSE, error)) == NULL)
    return NULL;
  for (int i = 0; i < out_c; i++)
    if (var->data[i] < 0.0f)
      {
        g_set_error (error, MCAM_ERROR, MCAM_ERROR_VALUE,
                     "%s: tensor '%s' holds a negative variance (%g) at element %d",
                     ld->path, bn_v, var->data[i], i);
        return NULL;
      }

  conv = mcam_conv_new (in_c, out_c, k, k, stride, pad);
  memcpy (conv->weight, w->data, sizeof (float) * w->n);
  if (mcam_safetensors_has (ld->st, cb))
    {
      g_autoptr (McamTensor) bias = read_tensor (ld, cb, 1, vshape, TRUE, error);

      if (bias == NULL)
        {
          mcam_conv_free (conv);
          return NULL;
        }
      memcpy (conv->bias, bias->data, sizeof (float) * out_c);
    }
  mcam_conv_fold_batchnorm (conv, gamma->data, beta->data, mean->data, var->data, BN_EPS);
  return conv;
}

static double
conv_flops (const McamConv *c, int *H, int *W)
{
  int oh = mcam_conv_out_size (*H, c->kh, c->stride, c->pad);
  int ow = mcam_conv_out_size (*W, c->kw, c->stride, c->pad);

  *H = oh;
  *W = ow;
  return 2.0 * c->out_c * (double) c->in_c * c->kh * c->kw * oh * ow;
}

static gboolean
load_tensors (Loader *ld, McamNet *net, GError **error)
{
  McamNetInfo *info = &net->info;
  int expansion = info->block == MCAM_BLOCK_BOTTLENECK ? 4 : 1;
  int in_c, total = 0, b = 0;
  gint64 fc_shape[2] = { -1, -1 };
  g_autoptr (McamTensor) fc_w = NULL, fc_b = NULL;

  if (info->stem == MCAM_STEM_IMAGENET)
    net->stem = load_conv_bn (ld, "conv1", "bn1", 3, info->widths[0], 7, 2, 3, error);
  else
    net->stem = load_conv_bn (ld, "conv1", "bn1", 3, info->widths[0], 3, 1, 1, error);
  if (net->stem == NULL)
    return FALSE;
  net->stem_pool = info->stem == MCAM_STEM_IMAGENET;

  for (int s = 0; s < 4; s++)
    total += info->layers[s];
  net->blocks = g_new0 (McamBlock, total);
  net->n_blocks = total;

  in_c = info->widths[0];
  for (int s = 0; s < 4; s++)
    for (int i = 0; i < info->layers[s]; i++, b++)
      {
        McamBlock *blk = &net->blocks[b];
        int planes = info->widths[s], out_c = planes * expansion;
        int stride = (s > 0 && i == 0) ? 2 : 1;
        char p[64], c1[80], c2[80], c3[80], n1[80], n2[80], n3[80], d0[80], d1[80];

        g_snprintf (p, sizeof p, "layer%d.%d", s + 1, i);
        g_snprintf (c1, sizeof c1, "%s.conv1", p);
        g_snprintf (n1, sizeof n1, "%s.bn1", p);
        g_snprintf (c2, sizeof c2, "%s.conv2", p);
        g_snprintf (n2, sizeof n2, "%s.bn2", p);
        g_snprintf (c3, sizeof c3, "%s.conv3", p);
        g_snprintf (n3, sizeof n3, "%s.bn3", p);
        g_snprintf (d0, sizeof d0, "%s.downsample.0", p);
        g_snprintf (d1, sizeof d1, "%s.downsample.1", p);

        if (info->block == MCAM_BLOCK_BASIC)
          {
            if ((blk->conv1 = load_conv_bn (ld, c1, n1, in_c, planes, 3, stride, 1, error)) == NULL ||
                (blk->conv2 = load_conv_bn (ld, c2, n2, planes, planes, 3, 1, 1, error)) == NULL)
              return FALSE;
          }
        else if ((blk->conv1 = load_conv_bn (ld, c1, n1, in_c, planes, 1, 1, 0, error)) == NULL ||
                 (blk->conv2 = load_conv_bn (ld, c2, n2, planes, planes, 3, stride, 1, error)) == NULL ||
                 (blk->conv3 = load_conv_bn (ld, c3, n3, planes, out_c, 1, 1, 0, error)) == NULL)
          return FALSE;

        /* torchvision adds the projection exactly when the shape changes */
        if (stride != 1 || in_c != out_c)
          {
            if ((blk->down = load_conv_bn (ld, d0, d1, in_c, out_c, 1, stride, 0, error)) == NULL)
              return FALSE;
          }
        in_c = out_c;
      }
  info->feat_c = in_c;

  fc_shape[1] = in_c;
  if ((fc_w = read_tensor (ld, "fc.weight", 2, fc_shape, TRUE, error)) == NULL)
    return FALSE;
  if (fc_w->shape[0] < 1 || fc_w->shape[0] > MAX_CLASSES)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_SHAPE,
                   "%s: tensor 'fc.weight' has %" G_GINT64_FORMAT " rows (classes), expected 1 to %d",
                   ld->path, fc_w->shape[0], MAX_CLASSES);
      return FALSE;
    }
  fc_shape[0] = fc_w->shape[0];
  if ((fc_b = read_tensor (ld, "fc.bias", 1, fc_shape, TRUE, error)) == NULL)
    return FALSE;
  net->fc_weight = g_steal_pointer (&fc_w->data);
  fc_w->owns_data = FALSE;
  net->fc_bias = g_steal_pointer (&fc_b->data);
  fc_b->owns_data = FALSE;
  return parse_classes (ld, info, (int) fc_shape[0], error);
}

void
_mcam_net_stem_size (const McamNet *net, int H, int W, int *oh, int *ow)
{
  *oh = mcam_conv_out_size (H, net->stem->kh, net->stem->stride, net->stem->pad);
  *ow = mcam_conv_out_size (W, net->stem->kw, net->stem->stride, net->stem->pad);
  if (net->stem_pool)
    {
      *oh = mcam_conv_out_size (*oh, 3, 2, 1);
      *ow = mcam_conv_out_size (*ow, 3, 2, 1);
    }
}

void
_mcam_net_feature_size (const McamNet *net, int H, int W, int *oh, int *ow)
{
  _mcam_net_stem_size (net, H, W, &H, &W);
  for (int b = 0; b < net->n_blocks; b++)
    {
      const McamConv *c = net->blocks[b].conv3 ? net->blocks[b].conv2 : net->blocks[b].conv1;

      /* the strided conv of the block: conv1 (basic) or conv2 (bottleneck) */
      H = mcam_conv_out_size (H, c->kh, c->stride, c->pad);
      W = mcam_conv_out_size (W, c->kw, c->stride, c->pad);
    }
  *oh = H;
  *ow = W;
}

static double
count_flops (McamNet *net)
{
  int H = net->info.preprocess.height, W = net->info.preprocess.width;
  double flops = conv_flops (net->stem, &H, &W);

  if (net->stem_pool)
    {
      H = mcam_conv_out_size (H, 3, 2, 1);
      W = mcam_conv_out_size (W, 3, 2, 1);
    }
  for (int b = 0; b < net->n_blocks; b++)
    {
      const McamBlock *blk = &net->blocks[b];
      int h = H, w = W;

      if (blk->down != NULL)
        flops += conv_flops (blk->down, &h, &w);
      flops += conv_flops (blk->conv1, &H, &W);
      flops += conv_flops (blk->conv2, &H, &W);
      if (blk->conv3 != NULL)
        flops += conv_flops (blk->conv3, &H, &W);
    }
  return flops + 2.0 * net->info.n_classes * (double) net->info.feat_c;
}

gboolean
_mcam_net_build (McamNet *net, McamSafetensors *st, GError **error)
{
  Loader ld = { st, mcam_safetensors_get_path (st), NULL, 0, NULL, { { 0 } } };
  McamNetInfo *info = &net->info;
  const char *const *names;
  gboolean ok;
  int fh, fw;

  if (!_mcam_model_meta_read_safetensors (&ld.meta, st, arch_keys, error))
    return FALSE;
  info->preprocess = ld.meta.preprocess;
  info->multilabel = ld.meta.multilabel;
  info->meta_assumed = ld.meta.assumed;
  info->unknown_keys = g_steal_pointer (&ld.meta.unknown_keys);
  if (!parse_arch (&ld, info, error))
    {
      mcam_model_meta_clear (&ld.meta);
      return FALSE;
    }

  ld.sum = g_checksum_new (G_CHECKSUM_SHA256);
  ld.used = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  ok = load_tensors (&ld, net, error);
  if (ok)
    info->fingerprint = g_strdup (g_checksum_get_string (ld.sum));
  g_checksum_free (ld.sum);
  mcam_model_meta_clear (&ld.meta);

  /* A backbone tensor the architecture does not use means the metadata
   * describes another network (resnet34 weights labelled resnet18 would
   * otherwise run as a truncated network and give wrong answers). */
  info->n_params = ld.n_params;
  info->n_tensors = 0;
  names = mcam_safetensors_get_names (st);
  for (gsize i = 0; ok && names[i] != NULL; i++)
    {
      if (g_str_has_prefix (names[i], "memory."))
        continue;
      info->n_tensors++;
      if (!g_hash_table_contains (ld.used, names[i]) &&
          !g_str_has_suffix (names[i], ".num_batches_tracked"))
        {
          g_set_error (error, MCAM_ERROR, MCAM_ERROR_SHAPE,
                       "%s: tensor '%s' is not part of the network the metadata describes "
                       "(%s): wrong mcam.arch/mcam.layers?", ld.path, names[i], info->arch);
          ok = FALSE;
        }
    }
  g_hash_table_destroy (ld.used);
  if (!ok)
    return FALSE;

  _mcam_net_feature_size (net, info->preprocess.height, info->preprocess.width, &fh, &fw);
  if (fh < 1 || fw < 1)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_FORMAT,
                   "%s: metadata mcam.input %dx%d is too small for this network",
                   ld.path, info->preprocess.width, info->preprocess.height);
      return FALSE;
    }
  info->feat_h = fh;
  info->feat_w = fw;
  net->flops = count_flops (net);
  return TRUE;
}
