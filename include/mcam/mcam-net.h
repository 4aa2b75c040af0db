/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <gio/gio.h>
#include "mcam-tensor.h"
#include "mcam-image.h"
#include "mcam-safetensors.h"

G_BEGIN_DECLS

/* The target network: a torchvision-style ResNet loaded from safetensors
 * (DESIGN 3). BatchNorm is folded into the preceding convolution at load. */
typedef struct _McamNet McamNet;

typedef enum { MCAM_BLOCK_BASIC, MCAM_BLOCK_BOTTLENECK } McamBlockKind;
typedef enum { MCAM_STEM_IMAGENET, MCAM_STEM_SMALL } McamStemKind;

typedef struct
{
  char          *arch;          /* "resnet18" ... or "resnet" */
  McamBlockKind  block;
  int            layers[4];
  int            widths[4];     /* planes per stage (torchvision: 64,128,256,512) */
  McamStemKind   stem;
  McamPreprocess preprocess;    /* input size, resize mode, mean, std */
  char         **classes;       /* NULL-terminated, head order */
  int            n_classes;
  gboolean       multilabel;    /* sigmoid scores, else softmax */
  int            feat_c;        /* f: the output of layer4, c x h x w */
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
/* Load from an already opened file (the memory module may live in it too). */
McamNet           *mcam_net_load_from (McamSafetensors *st, GError **error);
void               mcam_net_free      (McamNet *net);
const McamNetInfo *mcam_net_get_info  (McamNet *net);
const char        *mcam_net_get_path  (McamNet *net);

/* The head: logits = W · GAP(f) + b, W is [n_classes, feat_c]. Borrowed. */
const float *mcam_net_get_head_weight (McamNet *net);
const float *mcam_net_get_head_bias   (McamNet *net);

/* input: [B,3,H,W] preprocessed; H and W need not be the metadata's input
 * size (ResNets pool globally). Outputs (either may be NULL if not wanted):
 * features [B,c,h,w] (layer4 output, after ReLU) and logits [B,C].
 * Checks the cancellable between layers; fails with G_IO_ERROR_CANCELLED. */
gboolean mcam_net_forward (McamNet *net, const McamTensor *input,
                           McamTensor **features, McamTensor **logits,
                           GCancellable *cancellable, GError **error);

/* The head alone on given features [B,c,h,w] -> logits [B,C]. */
McamTensor *mcam_net_head_forward (McamNet *net, const McamTensor *features);

/* Scores from logits: sigmoid (multilabel) or softmax over the classes. */
void mcam_net_scores (McamNet *net, const float *logits, float *scores);

/* Multiply-accumulate count of one forward pass of one image, times 2 (FLOPs). */
double mcam_net_flops (McamNet *net);

/* Class index by name or by decimal index; -1 when neither matches. */
int mcam_net_find_class (McamNet *net, const char *name_or_index);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (McamNet, mcam_net_free)

G_END_DECLS
