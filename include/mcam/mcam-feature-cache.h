/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <gio/gio.h>
#include "mcam-net.h"

G_BEGIN_DECLS

/* Backbone features of an image list, computed once (batched) and kept in a
 * file (e.g. beside the trained memory: OUT.features), memory-mapped.
 *
 * The file carries a key: the backbone fingerprint, the input preprocessing
 * and, for every image, its path, size and modification time. It is reused
 * only when the key is identical; otherwise it is recomputed and replaced
 * atomically (temp file in the same folder, fsync, rename). */
typedef struct _McamFeatureCache McamFeatureCache;

/* Per batch of images computed: done images out of total. */
typedef void (*McamFeatureCacheProgress) (int done, int total, gpointer user_data);

/* cache_path NULL: compute in memory, write nothing. batch <= 0: 16. */
McamFeatureCache *mcam_feature_cache_open (const char *cache_path, McamNet *net,
                                           const char *const *paths, int n, int batch,
                                           McamFeatureCacheProgress progress,
                                           gpointer user_data,
                                           GCancellable *cancellable, GError **error);
void         mcam_feature_cache_free         (McamFeatureCache *cache);

int          mcam_feature_cache_get_n        (McamFeatureCache *cache);
/* [n, c*h*w], row i = image i (layer4 output after ReLU). Borrowed. */
const float *mcam_feature_cache_get_features (McamFeatureCache *cache);
/* [n, C]: the backbone head's logits. Borrowed. */
const float *mcam_feature_cache_get_logits   (McamFeatureCache *cache);
/* TRUE when an existing file was reused. */
gboolean     mcam_feature_cache_was_reused   (McamFeatureCache *cache);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (McamFeatureCache, mcam_feature_cache_free)

G_END_DECLS
