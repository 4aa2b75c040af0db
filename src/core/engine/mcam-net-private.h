/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "mcam/mcam-net.h"
#include "mcam-graph.h"

G_BEGIN_DECLS

struct _McamNet
{
  McamNetInfo  info;
  char        *path;
  McamGraph   *graph;
  int          target;       /* value index of f */
  const float *head_w;      /* the linear head's [n_classes, feat_c] when there is one */
  const float *head_b;
  double       flops;        /* at the metadata input size */
};

/* mcam-net-arch.c: a torchvision ResNet / ResNeXt / Wide ResNet from the
 * mcam.* metadata (or inferred from the tensors), built as a graph. */
gboolean _mcam_net_build (McamNet *net, McamSafetensors *st, GError **error);

/* mcam-net-onnx.c: from an ONNX file. */
gboolean _mcam_net_build_onnx (McamNet *net, const char *path, GError **error);

/* Takes the finished graph: the default target, f's shape, the head. */
gboolean _mcam_net_set_graph (McamNet *net, McamGraph *graph, GError **error);

G_END_DECLS
