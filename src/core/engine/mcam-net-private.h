/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "mcam/mcam-net.h"
#include "mcam-conv.h"

G_BEGIN_DECLS

/* One residual block. Basic: conv1 3x3/s, conv2 3x3. Bottleneck (torchvision
 * v1.5, stride on the 3x3): conv1 1x1, conv2 3x3/s, conv3 1x1. BN folded. */
typedef struct
{
  McamConv *conv1;
  McamConv *conv2;
  McamConv *conv3;   /* NULL for basic blocks */
  McamConv *down;    /* 1x1/s projection, NULL when the identity is used */
} McamBlock;

struct _McamNet
{
  McamNetInfo info;
  char       *path;

  McamConv   *stem;         /* conv1 + bn1 */
  gboolean    stem_pool;    /* 3x3/2 max-pool after the stem (ImageNet stem) */
  McamBlock  *blocks;
  int         n_blocks;
  float      *fc_weight;    /* [n_classes, feat_c] */
  float      *fc_bias;      /* [n_classes] */
  double      flops;        /* at the metadata input size */

  /* Scratch memory of the last forward, reused by the next one (page faults
   * on ~100 MB of fresh buffers would otherwise cost tens of ms per call). */
  GMutex      ws_lock;
  float      *ws;
  gsize       ws_size;
};

/* mcam-net-arch.c: architecture from metadata (or inferred from the tensors),
 * then every tensor read, checked and folded into net. */
gboolean _mcam_net_build (McamNet *net, McamSafetensors *st, GError **error);

/* Output size of the stem (after the pool) and of the network (layer4). */
void _mcam_net_stem_size (const McamNet *net, int H, int W, int *oh, int *ow);
void _mcam_net_feature_size (const McamNet *net, int H, int W, int *oh, int *ow);

G_END_DECLS
