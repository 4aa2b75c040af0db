/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Private to the core: the pieces of the mcam.* metadata reader that the
 * architecture readers (mcam-net-arch.c, the ONNX reader) share, so that a
 * bad value reads the same whichever key and file format it came from. */
#pragma once

#include "mcam/mcam-model-meta.h"
#include "mcam/mcam-safetensors.h"

G_BEGIN_DECLS

/* Sets "PATH: metadata KEY is 'VALUE', expected WANT" (MCAM_ERROR_FORMAT)
 * and returns FALSE. */
gboolean _mcam_model_meta_error (GError **error, const char *path, const char *key,
                                 const char *value, const char *want);

/* `value` (of `key`) as a JSON array of exactly n numbers; with ints, of
 * positive integers. The message names the key, the value and what was
 * expected. */
gboolean _mcam_model_meta_number_array (const char *path, const char *key, const char *value,
                                        int n, gboolean ints, double *out, GError **error);

/* The class names against the number of rows of the head (`tensor`):
 * moves meta->classes into *classes_out, or makes "0" .. "C-1" when the file
 * has none. */
gboolean _mcam_model_meta_take_classes (McamModelMeta *meta, int n_classes, const char *path,
                                        const char *tensor, char ***classes_out,
                                        GError **error);

/* mcam_model_meta_read() over a safetensors file's __metadata__. */
gboolean _mcam_model_meta_read_safetensors (McamModelMeta *meta, McamSafetensors *st,
                                            const char *const *extra_known, GError **error);

G_END_DECLS
