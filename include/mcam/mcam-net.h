/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <gio/gio.h>
#include "mcam-tensor.h"
#include "mcam-image.h"
#include "mcam-safetensors.h"

G_BEGIN_DECLS

/* The target network: a graph of operations (src/core/graph/) built from a
 * torchvision ResNet / ResNeXt / Wide ResNet in safetensors (DESIGN 3) or
 * from an ONNX file. BatchNorm is folded into the preceding convolution at
 * load. The feature map f that the methods explain is the graph's target
 * layer: by default the input of the last spatial-reducing node before the
 * logits (layer4 for ResNets). */
typedef struct _McamNet McamNet;

typedef struct
{
  char          *arch;          /* "resnet18", "resnext50_32x4d", ... or "resnet" */
  char          *description;   /* the architecture in words (blocks, widths, groups) */
  char          *target;        /* name of the target layer, e.g. "layer4.1" */
  McamPreprocess preprocess;    /* input size, resize mode, mean, std */
  char         **classes;       /* NULL-terminated, head order */
  int            n_classes;
  gboolean       multilabel;    /* sigmoid scores, else softmax */
  int            feat_c;        /* f: the target layer's output, c x h x w */
  int            feat_h;
  int            feat_w;
  gint64         n_params;      /* as stored (before BN folding) */
  guint          n_tensors;
  char          *fingerprint;   /* stable hash of the backbone tensors (hex):
                                 * SHA-256 over every tensor the network reads
                                 * (name, shape, float32 values; not memory.*),
                                 * so metadata edits keep it, weight edits not */
  guint          meta_assumed;  /* McamMetaField bits (mcam-model-meta.h): keys absent, defaults used */
  char         **unknown_keys;  /* mcam.* keys nobody reads (typos?), sorted; never NULL */
} McamNetInfo;

/* Without mcam.arch the architecture is inferred from the tensor names and
 * shapes (a bare torchvision state_dict loads; classes are then "0".."C-1",
 * input 224x224 centre-crop, ImageNet mean/std). Every tensor is checked
 * against the shape the architecture expects, and a backbone tensor the
 * architecture does not use is an error (the metadata is wrong). */
McamNet           *mcam_net_load      (const char *path, GError **error);
/* (mcam_net_load also opens an ONNX file, recognised by its .onnx name or its
 * first bytes; its mcam.* keys come from metadata_props.) */
/* Load from an already opened file (the memory module may live in it too). */
McamNet           *mcam_net_load_from (McamSafetensors *st, GError **error);
void               mcam_net_free      (McamNet *net);
const McamNetInfo *mcam_net_get_info  (McamNet *net);
const char        *mcam_net_get_path  (McamNet *net);
/* Bytes of weights the loaded network holds: each parameter once, after the
 * BatchNorm folds (≈ 4 × n_params). *transformed (may be NULL) gets the
 * bytes of the fast kernels' transformed copies made so far (Winograd keeps
 * 16/9 of each 3x3 stride-1 conv's weights once it has run). */
gsize              mcam_net_get_weight_bytes (McamNet *net, gsize *transformed);

/* The head when it is logits = W · GAP(f) + b, W [n_classes, feat_c]
 * (every ResNet); NULL otherwise. Borrowed. */
const float *mcam_net_get_head_weight (McamNet *net);
const float *mcam_net_get_head_bias   (McamNet *net);

/* input: [B,3,H,W] preprocessed; H and W need not be the metadata's input
 * size (the shapes are re-inferred). Outputs (either may be NULL if not
 * wanted): features [B,c,h,w] (the target layer) and logits [B,C].
 * Checks the cancellable between layers; fails with G_IO_ERROR_CANCELLED. */
gboolean mcam_net_forward (McamNet *net, const McamTensor *input,
                           McamTensor **features, McamTensor **logits,
                           GCancellable *cancellable, GError **error);

/* The head alone (the graph after the target) on given features
 * [B,c,h,w] -> logits [B,C]; NULL when the features have the wrong shape. */
McamTensor *mcam_net_head_forward (McamNet *net, const McamTensor *features);

/* d logit[class_index] / d f for one image's features f [c,h,w] at the
 * target layer: the reverse pass over the graph after the target (any head,
 * not only GAP + linear). grad is [c,h,w]. */
gboolean mcam_net_head_gradient (McamNet *net, const float *f, int class_index, float *grad,
                                 GError **error);

/* Scores from logits: sigmoid (multilabel) or softmax over the classes. */
void mcam_net_scores (McamNet *net, const float *logits, float *scores);

/* The layers a method can explain: the 4-D feature maps of the graph, by
 * name (torchvision module paths for safetensors ResNets, e.g. "layer3.5",
 * "layer4.0.relu_1"; ONNX value names), in execution order. g_strfreev. */
char   **mcam_net_list_layers (McamNet *net);

/* Explain `layer` instead of the default target (the input of the last
 * spatial-reducing node before the logits). The logits must depend on it
 * alone (a layer inside a residual block, bypassed by the skip connection,
 * is refused). Changes feat_c/h/w and target in the info; call it right
 * after loading, before features are cached or a memory module trained. */
gboolean mcam_net_set_target  (McamNet *net, const char *layer, GError **error);

/* Multiply-accumulate count of one forward pass of one image, times 2 (FLOPs). */
double mcam_net_flops (McamNet *net);

/* Class index by name or by decimal index; -1 when neither matches. */
int mcam_net_find_class (McamNet *net, const char *name_or_index);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (McamNet, mcam_net_free)

G_END_DECLS
