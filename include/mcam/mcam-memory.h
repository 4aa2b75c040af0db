/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include "mcam-tensor.h"
#include "mcam-net.h"

G_BEGIN_DECLS

/* The M-CAM key-value memory module (DESIGN 4). Plain struct: the trainer
 * (mcam-memory-train.c) updates the parameters in place.
 *
 * Notation of DESIGN 4: f is c x h x w, C classes, N slots. */
typedef struct
{
  int   n_slots;     /* N */
  int   c, h, w;     /* feature shape */
  int   n_classes;   /* C */
  float scale;       /* s of Eq. (1); 1 = the paper */

  float *S;          /* [N, c, h, w] spatial feature representation dictionary */
  float *K;          /* [N, c] keys */
  float *V;          /* [N, c] values */
  float *G0_w;       /* [c, C]  semantic encoder: Linear(C,c) */
  float *G0_b;       /* [c] */
  float *G2_w;       /* [c, c]  -> ReLU -> Linear(c,c) */
  float *G2_b;       /* [c] */
  float *fc_w;       /* [C, 2c] memory classifier on [v ; q] */
  float *fc_b;       /* [C] */

  GHashTable *metadata;   /* string -> string: mcam.memory.* (init, health, backbone) */
} McamMemory;

McamMemory *mcam_memory_new  (int n_slots, int c, int h, int w, int n_classes, float scale);
McamMemory *mcam_memory_copy (const McamMemory *mem);
void        mcam_memory_free (McamMemory *mem);

/* Load `memory.*` tensors from a file (the backbone's own file or a separate
 * one). When `net` is given, checks c, h, w, the number of classes and, when
 * the file has one, the backbone fingerprint; a mismatch fails with
 * MCAM_ERROR_MISMATCH and a message that says what differs. */
McamMemory *mcam_memory_load       (const char *path, McamNet *net, GError **error);
gboolean    mcam_memory_has_memory (const char *path);   /* any memory.* tensor */
gboolean    mcam_memory_check_net  (McamMemory *mem, McamNet *net, const char *path,
                                    GError **error);
/* Atomic save (temp + rename) of the memory.* tensors and metadata. */
gboolean    mcam_memory_save       (McamMemory *mem, const char *path, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (McamMemory, mcam_memory_free)

G_END_DECLS
