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
#include "mcam-conv.h"
#include "mcam-net-private.h"

#define BN_EPS 1e-5
/* Bounds that keep a hostile header from asking for absurd allocations. */
#define MAX_WIDTH 16384
#define MAX_BLOCKS_PER_STAGE 1024
#define MAX_CLASSES 1000000

static const int standard_widths[4] = { 64, 128, 256, 512 };

typedef enum { BLOCK_BASIC, BLOCK_BOTTLENECK } BlockKind;
typedef enum { STEM_IMAGENET, STEM_SMALL } StemKind;

/* A torchvision ResNet, ResNeXt or Wide ResNet: what the graph is built from. */
typedef struct
{
  BlockKind block;
  int       layers[4];
  int       widths[4];        /* planes per stage (torchvision: 64,128,256,512) */
  StemKind  stem;
  int       groups;           /* of the bottleneck's 3x3 conv (ResNeXt) */
  int       width_per_group;  /* 64 for ResNet, 128 for Wide ResNet */
} ResnetArch;

static const struct
{
  const char *name;
  BlockKind   block;
  int         layers[4];
  int         groups, width_per_group;
} standard_archs[] = {
  { "resnet18", BLOCK_BASIC, { 2, 2, 2, 2 }, 1, 64 },
  { "resnet34", BLOCK_BASIC, { 3, 4, 6, 3 }, 1, 64 },
  { "resnet50", BLOCK_BOTTLENECK, { 3, 4, 6, 3 }, 1, 64 },
  { "resnet101", BLOCK_BOTTLENECK, { 3, 4, 23, 3 }, 1, 64 },
  { "resnet152", BLOCK_BOTTLENECK, { 3, 8, 36, 3 }, 1, 64 },
  { "resnext50_32x4d", BLOCK_BOTTLENECK, { 3, 4, 6, 3 }, 32, 4 },
  { "resnext101_32x8d", BLOCK_BOTTLENECK, { 3, 4, 23, 3 }, 32, 8 },
  { "resnext101_64x4d", BLOCK_BOTTLENECK, { 3, 4, 23, 3 }, 64, 4 },
  { "wide_resnet50_2", BLOCK_BOTTLENECK, { 3, 4, 6, 3 }, 1, 128 },
  { "wide_resnet101_2", BLOCK_BOTTLENECK, { 3, 4, 23, 3 }, 1, 128 },
};

typedef struct
{
  McamSafetensors *st;
  const char      *path;
  GChecksum       *sum;      /* fingerprint: names, shapes and values read */
  gint64           n_params;
  GHashTable      *used;     /* names of the tensors read */
  McamModelMeta    meta;     /* the mcam.* keys that are not the architecture's */
  const char      *prefix;   /* "module." / "model." (DataParallel, Lightning) or "" */
  ResnetArch       arch;
  McamGraph       *graph;
} Loader;

/* The metadata keys the architecture reads; the others are
 * mcam-model-meta.c's, which reports any key neither knows. */
static const char *const arch_keys[] = {
  "mcam.arch", "mcam.block", "mcam.layers", "mcam.widths", "mcam.stem", "mcam.groups",
  "mcam.width-per-group", "mcam.target", NULL
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

static gboolean
parse_int1 (Loader *ld, const char *key, int dflt, int max, int *out, GError **error)
{
  const char *v = mcam_safetensors_get_metadata (ld->st, key);
  char *end = NULL;
  gint64 n;

  if (v == NULL)
    {
      *out = dflt;
      return TRUE;
    }
  n = g_ascii_strtoll (v, &end, 10);
  if (end == v || *end != '\0' || n < 1 || n > max)
    return meta_error (ld, error, key, v, "a positive integer");
  *out = (int) n;
  return TRUE;
}

/* The tensor `name` under the file's key prefix. */
static char *
key (Loader *ld, const char *name)
{
  return g_strconcat (ld->prefix, name, NULL);
}

static gboolean
get_shape (Loader *ld, const char *name, int *ndim, gint64 *shape)
{
  g_autofree char *k = key (ld, name);
  return mcam_safetensors_get_shape (ld->st, k, ndim, shape);
}

static gboolean
has (Loader *ld, const char *name)
{
  g_autofree char *k = key (ld, name);
  return mcam_safetensors_has (ld->st, k);
}

static gboolean
not_a_resnet (Loader *ld, const char *name, GError **error)
{
  g_set_error (error, MCAM_ERROR, MCAM_ERROR_SHAPE,
               "%s: no mcam.arch metadata and no 4-D tensor '%s%s': not a ResNet, ResNeXt "
               "or Wide ResNet this program knows (other networks: export them to ONNX, "
               "see docs/BRING-YOUR-MODEL.md)", ld->path, ld->prefix, name);
  return FALSE;
}

/* Architecture of a file without mcam.arch: a torchvision state_dict. The
 * bottleneck's conv1 is `width` wide and its conv2 has width/groups inputs
 * per group; its conv3 gives planes * 4. */
static gboolean
infer_arch (Loader *ld, McamNetInfo *info, GError **error)
{
  ResnetArch *a = &ld->arch;
  int ndim;
  gint64 shape[8];

  a->block = has (ld, "layer1.0.conv3.weight") ? BLOCK_BOTTLENECK : BLOCK_BASIC;
  if (!get_shape (ld, "conv1.weight", &ndim, shape) || ndim != 4)
    return not_a_resnet (ld, "conv1.weight", error);
  a->stem = shape[2] == 3 ? STEM_SMALL : STEM_IMAGENET;
  a->groups = 1;
  a->width_per_group = 64;
  for (int s = 0; s < 4; s++)
    {
      char first[64], c2[64], c3[64];
      gint64 s2[8], s3[8];
      int n2, n3;

      g_snprintf (first, sizeof first, "layer%d.0.conv1.weight", s + 1);
      g_snprintf (c2, sizeof c2, "layer%d.0.conv2.weight", s + 1);
      g_snprintf (c3, sizeof c3, "layer%d.0.conv3.weight", s + 1);
      if (!get_shape (ld, first, &ndim, shape) || ndim != 4)
        return not_a_resnet (ld, first, error);
      a->widths[s] = (int) CLAMP (shape[0], 1, MAX_WIDTH);
      if (a->block == BLOCK_BOTTLENECK && get_shape (ld, c2, &n2, s2) && n2 == 4 &&
          get_shape (ld, c3, &n3, s3) && n3 == 4 && s2[1] >= 1 && s3[0] >= 4)
        {
          int width = a->widths[s];

          a->widths[s] = (int) CLAMP (s3[0] / 4, 1, MAX_WIDTH);
          if (s == 0)
            {
              /* width = planes * (width_per_group / 64) * groups */
              a->groups = (int) CLAMP (width / s2[1], 1, MAX_WIDTH);
              a->width_per_group = (int) CLAMP ((gint64) width * 64 / ((gint64) a->widths[0] * a->groups),
                                                1, MAX_WIDTH);
            }
        }
      a->layers[s] = 0;
      for (;;)
        {
          g_autofree char *name = g_strdup_printf ("layer%d.%d.conv1.weight", s + 1, a->layers[s]);
          if (!has (ld, name) || a->layers[s] >= MAX_BLOCKS_PER_STAGE)
            break;
          a->layers[s]++;
        }
    }
  info->arch = g_strdup ("resnet");
  for (gsize i = 0; i < G_N_ELEMENTS (standard_archs); i++)
    if (standard_archs[i].block == a->block && a->stem == STEM_IMAGENET &&
        memcmp (standard_archs[i].layers, a->layers, sizeof a->layers) == 0 &&
        memcmp (standard_widths, a->widths, sizeof a->widths) == 0 &&
        standard_archs[i].groups == a->groups &&
        standard_archs[i].width_per_group == a->width_per_group)
      {
        g_free (info->arch);
        info->arch = g_strdup (standard_archs[i].name);
      }
  return TRUE;
}

static gboolean
parse_arch (Loader *ld, McamNetInfo *info, GError **error)
{
  const char *arch = mcam_safetensors_get_metadata (ld->st, "mcam.arch");
  ResnetArch *a = &ld->arch;
  const char *v;

  if (arch == NULL)
    return infer_arch (ld, info, error);

  for (gsize i = 0; i < G_N_ELEMENTS (standard_archs); i++)
    if (strcmp (arch, standard_archs[i].name) == 0)
      {
        info->arch = g_strdup (arch);
        a->block = standard_archs[i].block;
        memcpy (a->layers, standard_archs[i].layers, sizeof a->layers);
        memcpy (a->widths, standard_widths, sizeof a->widths);
        a->stem = STEM_IMAGENET;
        a->groups = standard_archs[i].groups;
        a->width_per_group = standard_archs[i].width_per_group;
        return TRUE;
      }
  if (strcmp (arch, "resnet") != 0)
    return meta_error (ld, error, "mcam.arch", arch,
                       "resnet18/34/50/101/152, resnext50_32x4d, resnext101_32x8d, "
                       "resnext101_64x4d, wide_resnet50_2, wide_resnet101_2 or resnet");

  info->arch = g_strdup (arch);
  v = mcam_safetensors_get_metadata (ld->st, "mcam.block");
  if (v == NULL || (strcmp (v, "basic") != 0 && strcmp (v, "bottleneck") != 0))
    return meta_error (ld, error, "mcam.block", v ? v : "(absent)", "basic or bottleneck");
  a->block = strcmp (v, "basic") == 0 ? BLOCK_BASIC : BLOCK_BOTTLENECK;

  if (mcam_safetensors_get_metadata (ld->st, "mcam.layers") == NULL)
    return meta_error (ld, error, "mcam.layers", "(absent)", "a JSON array of 4 positive integers");
  if (!parse_int4 (ld, "mcam.layers", MAX_BLOCKS_PER_STAGE, a->layers, error))
    return FALSE;
  if (mcam_safetensors_get_metadata (ld->st, "mcam.widths") == NULL)
    memcpy (a->widths, standard_widths, sizeof a->widths);
  else if (!parse_int4 (ld, "mcam.widths", MAX_WIDTH, a->widths, error))
    return FALSE;
  if (!parse_int1 (ld, "mcam.groups", 1, MAX_WIDTH, &a->groups, error) ||
      !parse_int1 (ld, "mcam.width-per-group", 64, MAX_WIDTH, &a->width_per_group, error))
    return FALSE;

  v = mcam_safetensors_get_metadata (ld->st, "mcam.stem");
  if (v == NULL || strcmp (v, "imagenet") == 0)
    a->stem = STEM_IMAGENET;
  else if (strcmp (v, "small") == 0)
    a->stem = STEM_SMALL;
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

/* Read a tensor with an exact shape (-1: any) and feed it to the
 * fingerprint (under its name without the key prefix: a DataParallel copy
 * of the same weights is the same network). */
static McamTensor *
read_tensor (Loader *ld, const char *name, int ndim, const gint64 *shape, gboolean is_param,
             GError **error)
{
  g_autofree char *k = key (ld, name);
  McamTensor *t = mcam_safetensors_read (ld->st, k, ndim, shape, error);

  if (t == NULL)
    return NULL;
  g_hash_table_add (ld->used, g_steal_pointer (&k));
  g_checksum_update (ld->sum, (const guchar *) name, strlen (name) + 1);
  g_checksum_update (ld->sum, (const guchar *) t->shape, sizeof (gint64) * ndim);
  /* The values as float32 little-endian: the host order on every machine
   * this runs on (x86-64, arm64). */
  g_checksum_update (ld->sum, (const guchar *) t->data, sizeof (float) * t->n);
  if (is_param)
    ld->n_params += (gint64) t->n;
  return t;
}

/* A tensor of the file as a constant of the graph, named as in the file. */
static int
add_tensor (Loader *ld, const char *name, int ndim, const gint64 *shape, gboolean is_param,
            GError **error)
{
  g_autoptr (McamTensor) t = read_tensor (ld, name, ndim, shape, is_param, error);
  float *data;

  if (t == NULL)
    return -1;
  data = g_steal_pointer (&t->data);
  t->owns_data = FALSE;
  return mcam_graph_add_constant (ld->graph, name, t->ndim, t->shape, data, error);
}

/* conv `conv`.weight [out,in/groups,k,k] (+ optional .bias), BatchNorm
 * `bn`.{weight,bias,running_mean,running_var} and, when relu is not NULL,
 * a ReLU whose output is named relu. The graph folds the BN at finish. */
static int
conv_bn (Loader *ld, int x, const char *conv, const char *bn, const char *relu, int in_c,
         int out_c, int k, int stride, int pad, int groups, GError **error)
{
  char wn[96], cb[96], bw[96], bb[96], bm[96], bv[96];
  gint64 wshape[4] = { out_c, in_c / groups, k, k }, vshape[1] = { out_c };
  McamNodeAttrs at;
  int in[5], n = 2, y;

  g_snprintf (wn, sizeof wn, "%s.weight", conv);
  g_snprintf (cb, sizeof cb, "%s.bias", conv);
  g_snprintf (bw, sizeof bw, "%s.weight", bn);
  g_snprintf (bb, sizeof bb, "%s.bias", bn);
  g_snprintf (bm, sizeof bm, "%s.running_mean", bn);
  g_snprintf (bv, sizeof bv, "%s.running_var", bn);
  mcam_node_attrs_init (&at);
  at.stride[0] = at.stride[1] = stride;
  at.pads[0] = at.pads[1] = at.pads[2] = at.pads[3] = pad;
  at.group = groups;
  at.eps = (float) BN_EPS;
  in[0] = x;
  if ((in[1] = add_tensor (ld, wn, 4, wshape, TRUE, error)) < 0)
    return -1;
  if (has (ld, cb) && (in[n++] = add_tensor (ld, cb, 1, vshape, TRUE, error)) < 0)
    return -1;
  if ((y = mcam_graph_add_node (ld->graph, MCAM_OP_CONV, conv, in, n, conv, &at, error)) < 0)
    return -1;
  in[0] = y;
  if ((in[1] = add_tensor (ld, bw, 1, vshape, TRUE, error)) < 0 ||
      (in[2] = add_tensor (ld, bb, 1, vshape, TRUE, error)) < 0 ||
      (in[3] = add_tensor (ld, bm, 1, vshape, FALSE, error)) < 0 ||
      (in[4] = add_tensor (ld, bv, 1, vshape, FALSE, error)) < 0)
    return -1;
  for (int i = 0; i < out_c; i++)
    if (mcam_graph_get_value (ld->graph, in[4])->data[i] < 0.0f)
      {
        g_set_error (error, MCAM_ERROR, MCAM_ERROR_VALUE,
                     "%s: tensor '%s%s' holds a negative variance (%g) at element %d",
                     ld->path, ld->prefix, bv, mcam_graph_get_value (ld->graph, in[4])->data[i], i);
        return -1;
      }
  if ((y = mcam_graph_add_node (ld->graph, MCAM_OP_BATCHNORM, bn, in, 5, bn, &at, error)) < 0)
    return -1;
  if (relu == NULL)
    return y;
  at.act.kind = MCAM_ACT_RELU;
  return mcam_graph_add_node (ld->graph, MCAM_OP_UNARY, relu, &y, 1, relu, &at, error);
}

/* One block: the convs, the projection, the residual Add and the block's
 * ReLU, whose output is named after the block ("layer4.1"). */
static int
add_block (Loader *ld, int x, int s, int i, int in_c, int *out_c, GError **error)
{
  const ResnetArch *a = &ld->arch;
  int planes = a->widths[s], stride = (s > 0 && i == 0) ? 2 : 1;
  int expansion = a->block == BLOCK_BOTTLENECK ? 4 : 1;
  int width = a->block == BLOCK_BOTTLENECK
                ? (int) ((gint64) planes * a->width_per_group / 64) * a->groups : planes;
  int identity = x, y, in[2];
  char p[48], c1[80], c2[80], c3[80], n1[80], n2[80], n3[80], d0[80], d1[80], r0[80],
       r1[80], r2[80], add[80];
  McamNodeAttrs at;

  *out_c = planes * expansion;
  g_snprintf (p, sizeof p, "layer%d.%d", s + 1, i);
  g_snprintf (c1, sizeof c1, "%s.conv1", p);
  g_snprintf (n1, sizeof n1, "%s.bn1", p);
  g_snprintf (c2, sizeof c2, "%s.conv2", p);
  g_snprintf (n2, sizeof n2, "%s.bn2", p);
  g_snprintf (c3, sizeof c3, "%s.conv3", p);
  g_snprintf (n3, sizeof n3, "%s.bn3", p);
  g_snprintf (d0, sizeof d0, "%s.downsample.0", p);
  g_snprintf (d1, sizeof d1, "%s.downsample.1", p);
  g_snprintf (r0, sizeof r0, "%s.relu", p);
  g_snprintf (r1, sizeof r1, "%s.relu_1", p);
  g_snprintf (r2, sizeof r2, "%s.relu_2", p);
  g_snprintf (add, sizeof add, "%s.add", p);
  if (width < 1 || width > MAX_WIDTH * 4 || width % a->groups != 0)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_SHAPE,
                   "%s: block %s would be %d wide with %d groups (mcam.widths, mcam.groups "
                   "and mcam.width-per-group do not fit together)", ld->path, p, width, a->groups);
      return -1;
    }

  if (a->block == BLOCK_BASIC)
    {
      if ((y = conv_bn (ld, x, c1, n1, r0, in_c, planes, 3, stride, 1, 1, error)) < 0 ||
          (y = conv_bn (ld, y, c2, n2, NULL, planes, planes, 3, 1, 1, 1, error)) < 0)
        return -1;
    }
  else if ((y = conv_bn (ld, x, c1, n1, r0, in_c, width, 1, 1, 0, 1, error)) < 0 ||
           (y = conv_bn (ld, y, c2, n2, r1, width, width, 3, stride, 1, a->groups, error)) < 0 ||
           (y = conv_bn (ld, y, c3, n3, NULL, width, *out_c, 1, 1, 0, 1, error)) < 0)
    return -1;
  /* torchvision adds the projection exactly when the shape changes; read
   * after the main path (the file's order), the Add then fuses into the
   * projection, which accumulates onto the main path's output in place */
  if (stride != 1 || in_c != *out_c)
    if ((identity = conv_bn (ld, x, d0, d1, NULL, in_c, *out_c, 1, stride, 0, 1, error)) < 0)
      return -1;
  in[0] = y;
  in[1] = identity;
  if ((y = mcam_graph_add_node (ld->graph, MCAM_OP_ADD, add, in, 2, add, NULL, error)) < 0)
    return -1;
  mcam_node_attrs_init (&at);
  at.act.kind = MCAM_ACT_RELU;
  return mcam_graph_add_node (ld->graph, MCAM_OP_UNARY, p, &y, 1, p, &at, error);
}

static gboolean
build_graph (Loader *ld, McamNetInfo *info, GError **error)
{
  const ResnetArch *a = &ld->arch;
  gint64 in_shape[4] = { 1, 3, info->preprocess.height, info->preprocess.width };
  gint64 fc_shape[8] = { -1, -1 };
  McamNodeAttrs at;
  int x, in_c, in[3];
  int ndim;

  if ((x = mcam_graph_add_input (ld->graph, "input", 4, in_shape, error)) < 0)
    return FALSE;
  if (a->stem == STEM_IMAGENET)
    x = conv_bn (ld, x, "conv1", "bn1", "relu", 3, a->widths[0], 7, 2, 3, 1, error);
  else
    x = conv_bn (ld, x, "conv1", "bn1", "relu", 3, a->widths[0], 3, 1, 1, 1, error);
  if (x < 0)
    return FALSE;
  if (a->stem == STEM_IMAGENET)
    {
      mcam_node_attrs_init (&at);
      at.kernel[0] = at.kernel[1] = 3;
      at.stride[0] = at.stride[1] = 2;
      at.pads[0] = at.pads[1] = at.pads[2] = at.pads[3] = 1;
      if ((x = mcam_graph_add_node (ld->graph, MCAM_OP_MAXPOOL, "maxpool", &x, 1, "maxpool",
                                    &at, error)) < 0)
        return FALSE;
    }

  in_c = a->widths[0];
  for (int s = 0; s < 4; s++)
    for (int i = 0; i < a->layers[s]; i++)
      if ((x = add_block (ld, x, s, i, in_c, &in_c, error)) < 0)
        return FALSE;

  if ((x = mcam_graph_add_node (ld->graph, MCAM_OP_GLOBAL_AVGPOOL, "avgpool", &x, 1, "avgpool",
                                NULL, error)) < 0 ||
      (x = mcam_graph_add_node (ld->graph, MCAM_OP_FLATTEN, "flatten", &x, 1, "flatten", NULL,
                                error)) < 0)
    return FALSE;

  if (get_shape (ld, "fc.weight", &ndim, fc_shape) && ndim == 2 &&
      (fc_shape[0] < 1 || fc_shape[0] > MAX_CLASSES))
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_SHAPE,
                   "%s: tensor '%sfc.weight' has %" G_GINT64_FORMAT " rows (classes), expected 1 to %d",
                   ld->path, ld->prefix, fc_shape[0], MAX_CLASSES);
      return FALSE;
    }
  fc_shape[0] = -1;
  fc_shape[1] = in_c;
  in[0] = x;
  if ((in[1] = add_tensor (ld, "fc.weight", 2, fc_shape, TRUE, error)) < 0)
    return FALSE;
  fc_shape[0] = mcam_graph_get_value (ld->graph, in[1])->shape[0];
  if ((in[2] = add_tensor (ld, "fc.bias", 1, fc_shape, TRUE, error)) < 0)
    return FALSE;
  mcam_node_attrs_init (&at);
  at.trans_b = TRUE;
  if ((x = mcam_graph_add_node (ld->graph, MCAM_OP_GEMM, "fc", in, 3, "fc", &at, error)) < 0)
    return FALSE;
  if (!parse_classes (ld, info, (int) fc_shape[0], error))
    return FALSE;
  return mcam_graph_finish (ld->graph, x, error);
}

/* Output size of layer4 for an H x W input, computed before the graph is
 * built so that a too small mcam.input is named as such. */
static void
feature_size (const ResnetArch *a, int H, int W, int *oh, int *ow)
{
  if (a->stem == STEM_IMAGENET)
    {
      H = mcam_conv_out_size (mcam_conv_out_size (H, 7, 2, 3), 3, 2, 1);
      W = mcam_conv_out_size (mcam_conv_out_size (W, 7, 2, 3), 3, 2, 1);
    }
  for (int s = 1; s < 4; s++)
    if (a->layers[s] > 0)
      {
        H = mcam_conv_out_size (H, 3, 2, 1);
        W = mcam_conv_out_size (W, 3, 2, 1);
      }
  *oh = H;
  *ow = W;
}

static char *
describe (const Loader *ld)
{
  const ResnetArch *a = &ld->arch;
  GString *s = g_string_new (NULL);

  g_string_append_printf (s, "%s, %s blocks [%d,%d,%d,%d], widths [%d,%d,%d,%d], %s stem",
                          a->groups > 1 ? "ResNeXt" : a->width_per_group != 64 ? "Wide ResNet"
                                                                               : "ResNet",
                          a->block == BLOCK_BASIC ? "basic" : "bottleneck", a->layers[0],
                          a->layers[1], a->layers[2], a->layers[3], a->widths[0], a->widths[1],
                          a->widths[2], a->widths[3], a->stem == STEM_IMAGENET ? "ImageNet" : "small");
  if (a->groups > 1 || a->width_per_group != 64)
    g_string_append_printf (s, ", %d groups x %d per group", a->groups, a->width_per_group);
  if (*ld->prefix != '\0')
    g_string_append_printf (s, " (key prefix '%s' stripped)", ld->prefix);
  return g_string_free (s, FALSE);
}

gboolean
_mcam_net_build (McamNet *net, McamSafetensors *st, GError **error)
{
  Loader ld = { st, mcam_safetensors_get_path (st), NULL, 0, NULL, { { 0 } }, "", { 0 }, NULL };
  McamNetInfo *info = &net->info;
  const char *const *names, *target;
  gboolean ok;
  int fh, fw;

  if (!_mcam_model_meta_read_safetensors (&ld.meta, st, arch_keys, error))
    return FALSE;
  info->preprocess = ld.meta.preprocess;
  info->multilabel = ld.meta.multilabel;
  info->meta_assumed = ld.meta.assumed;
  info->unknown_keys = g_steal_pointer (&ld.meta.unknown_keys);
  /* nn.DataParallel saves "module.conv1.weight", Lightning "model.conv1.weight" */
  if (!mcam_safetensors_has (st, "conv1.weight"))
    {
      if (mcam_safetensors_has (st, "module.conv1.weight"))
        ld.prefix = "module.";
      else if (mcam_safetensors_has (st, "model.conv1.weight"))
        ld.prefix = "model.";
    }
  if (!parse_arch (&ld, info, error))
    {
      mcam_model_meta_clear (&ld.meta);
      return FALSE;
    }
  feature_size (&ld.arch, info->preprocess.height, info->preprocess.width, &fh, &fw);
  if (fh < 1 || fw < 1)
    {
      mcam_model_meta_clear (&ld.meta);
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_FORMAT,
                   "%s: metadata mcam.input %dx%d is too small for this network",
                   ld.path, info->preprocess.width, info->preprocess.height);
      return FALSE;
    }

  ld.sum = g_checksum_new (G_CHECKSUM_SHA256);
  ld.used = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  ld.graph = mcam_graph_new (ld.path);
  ok = build_graph (&ld, info, error);
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
    {
      mcam_graph_free (ld.graph);
      return FALSE;
    }
  info->description = describe (&ld);
  if (!_mcam_net_set_graph (net, g_steal_pointer (&ld.graph), error))
    return FALSE;
  /* the default layer to explain, as in an ONNX file (docs/MODEL-FORMAT.md) */
  target = mcam_safetensors_get_metadata (st, "mcam.target");
  return target == NULL || mcam_net_set_target (net, target, error);
}
