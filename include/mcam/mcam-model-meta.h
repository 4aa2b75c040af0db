/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include "mcam-image.h"

G_BEGIN_DECLS

/* The model-level mcam.* metadata that is not about the network's shape:
 * how to preprocess an image, the class names, the score function, the
 * format version (docs/MODEL-FORMAT.md lists every key). Read through a
 * lookup callback, so that safetensors' __metadata__ and ONNX's
 * metadata_props share one reader and one set of messages. */

/* The fields a file may leave out; a bit set in McamModelMeta.assumed means
 * the key was absent and the default was used. */
typedef enum
{
  MCAM_META_INPUT          = 1 << 0,   /* mcam.input: 224x224 */
  MCAM_META_RESIZE         = 1 << 1,   /* mcam.resize: center-crop */
  MCAM_META_RESIZE_SIZE    = 1 << 2,   /* mcam.resize-size: round(input / 0.875) */
  MCAM_META_INTERPOLATION  = 1 << 3,   /* mcam.interpolation: bilinear */
  MCAM_META_MEAN           = 1 << 4,   /* mcam.mean: ImageNet's */
  MCAM_META_STD            = 1 << 5,   /* mcam.std: ImageNet's */
  MCAM_META_CLASSES        = 1 << 6,   /* mcam.classes: "0" .. "C-1" */
  MCAM_META_MULTILABEL     = 1 << 7,   /* mcam.multilabel: false */
} McamMetaField;

/* Returns the value of `key`, or NULL when the source has no such key. */
typedef const char *(*McamMetaGetFunc) (gpointer source, const char *key);

typedef struct
{
  McamPreprocess preprocess;
  char         **classes;       /* NULL-terminated; NULL when mcam.classes is absent */
  gboolean       multilabel;
  guint          assumed;       /* McamMetaField bits */
  char         **unknown_keys;  /* mcam.* keys nobody reads, sorted; NULL-terminated, never NULL */
} McamModelMeta;

/* Reads every key above from `source`. `keys` lists all the keys the source
 * holds (NULL-terminated): any mcam.* key among them that neither this reader,
 * the memory module (mcam.memory.*) nor `extra_known` (the keys the caller
 * reads itself: the architecture's) knows goes to unknown_keys. `path` names
 * the file in messages: "PATH: metadata KEY is 'VALUE', expected ...".
 * On error (MCAM_ERROR_FORMAT) the struct is left cleared. */
gboolean mcam_model_meta_read  (McamModelMeta *meta, McamMetaGetFunc get, gpointer source,
                                const char *const *keys, const char *const *extra_known,
                                const char *path, GError **error);
void     mcam_model_meta_clear (McamModelMeta *meta);

/* The key of one McamMetaField bit ("mcam.resize-size"). */
const char *mcam_model_meta_field_key (McamMetaField field);

/* "bilinear", "bicubic", "nearest"; "stretch", "center-crop". */
const char *mcam_interpolation_get_name (McamInterpolation interp);
const char *mcam_resize_mode_get_name   (McamResizeMode mode);

/* The shorter side a centre-crop model resizes to when mcam.resize-size is
 * absent: round(max(width, height) / 0.875), 256 for 224 (torchvision's and
 * timm's evaluation presets). */
int mcam_preprocess_default_resize_size (int width, int height);

G_END_DECLS
