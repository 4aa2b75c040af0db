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

/* Inference on one image (DESIGN 4.3, 4.6). f is [c, h, w]; every output is a
 * caller-owned array of the size given. */
void  mcam_memory_query             (const McamMemory *mem, const float *f, float *q /* [c] */);
void  mcam_memory_key_address       (const McamMemory *mem, const float *q, float *p /* [N] */);
void  mcam_memory_spatial_address   (const McamMemory *mem, const float *f, float *p_s /* [N] */);
void  mcam_memory_read              (const McamMemory *mem, const float *p, float *v /* [c] */);
/* z = fc([v ; q]) */
void  mcam_memory_classify          (const McamMemory *mem, const float *v, const float *q,
                                     float *z /* [C] */);
/* p' of a class: addr(G(e_class), V). */
void  mcam_memory_value_address     (const McamMemory *mem, int class_index, float *p /* [N] */);
/* The class x slot matrix of value addresses p'(G(e_c)), [C, N] row-major (free with g_free). */
float *mcam_memory_class_slot_matrix (const McamMemory *mem);
/* For every slot i: the class whose value address peaks at i (argmax over c of
 * p'(G(e_c))_i) and that peak. Either output may be NULL. */
void  mcam_memory_slot_classes      (const McamMemory *mem, int *slot_class /* [N] */,
                                     float *slot_peak /* [N] */);
/* Where slot i's pattern appears in this image: cos(f[:,y,x], S_i[:,y,x]) per position. */
void  mcam_memory_slot_similarity   (const McamMemory *mem, const float *f, int slot,
                                     float *map /* [h, w] */);

/* Algorithm 1 (DESIGN 4.4): for every slot i, K with row i replaced by
 * w ~ N(0, I_c), Δ_i = z_ĉ − z̃_ĉ, averaged over `draws` draws. Returns n_ĉ =
 * argmax_i Δ_i (the first on a tie). The noise comes from xoshiro256** seeded
 * with `seed` through splitmix64, normals by Box-Muller, drawn slot by slot
 * (slot 0 draw 0, slot 0 draw 1, ..., slot 1 draw 0, ...), so the same seed
 * gives the same noise for a slot whatever the class. */
int   mcam_memory_search_slot       (const McamMemory *mem, const float *q, int class_index,
                                     guint64 seed, int draws, float *delta /* [N] */);

/* Channel weights of the M-CAM maps (DESIGN 4.5) for slot n:
 * the paper's: w_k = exp(cos(f_k, S_n,k) / T) over the h·w positions;
 * the slot profile: d_k = a_k(n) − mean_i a_k(i), a_k(i) the spatial mean of
 * S_i,k; z = (d − mean d) / (std d + 1e-8) (the sample std over the c
 * channels, divided by c − 1 as torch.std does); w_k = exp(z_k / T). */
void  mcam_memory_mcam_weights      (const McamMemory *mem, const float *f, int slot,
                                     float temperature, float *weights /* [c] */);
void  mcam_memory_profile_weights   (const McamMemory *mem, int slot, float temperature,
                                     float *weights /* [c] */);
/* map = ReLU(Σ_k w_k f_k) [h, w]; returns TRUE when any value is positive. */
gboolean mcam_weighted_channel_sum  (const float *f, const float *weights, int c, int h, int w,
                                     float *map);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (McamMemory, mcam_memory_free)

G_END_DECLS
