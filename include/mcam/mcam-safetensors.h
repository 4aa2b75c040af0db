/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include "mcam-tensor.h"

G_BEGIN_DECLS

/* Reader for the Hugging Face safetensors format (DESIGN 3): 8-byte
 * little-endian header length, a JSON header, raw little-endian data.
 *
 * mcam_safetensors_open() memory-maps the file and validates the whole header
 * before returning: header length bound, JSON shape, dtypes, every offset
 * inside the data area, no two tensors overlapping, shape × dtype size equals
 * the byte range. Tensor values (NaN/Inf) are checked when a tensor is read. */
typedef struct _McamSafetensors McamSafetensors;

typedef enum
{
  MCAM_DTYPE_F32,
  MCAM_DTYPE_F16,
  MCAM_DTYPE_BF16,
  MCAM_DTYPE_OTHER,   /* present in the file, but we cannot load it as float */
} McamDtype;

#define MCAM_SAFETENSORS_MAX_HEADER (100u * 1024u * 1024u)

McamSafetensors *mcam_safetensors_open          (const char *path, GError **error);
void             mcam_safetensors_free          (McamSafetensors *st);
const char      *mcam_safetensors_get_path      (McamSafetensors *st);

/* __metadata__ (string → string); NULL when the key is absent. */
const char      *mcam_safetensors_get_metadata  (McamSafetensors *st, const char *key);
GHashTable      *mcam_safetensors_get_all_metadata (McamSafetensors *st); /* borrowed */

guint            mcam_safetensors_get_n_tensors (McamSafetensors *st);
/* Tensor names, sorted; borrowed, NULL-terminated. */
const char *const *mcam_safetensors_get_names   (McamSafetensors *st);
gboolean         mcam_safetensors_has           (McamSafetensors *st, const char *name);
/* Shape of a tensor without reading it; FALSE when absent. */
gboolean         mcam_safetensors_get_shape     (McamSafetensors *st, const char *name,
                                                 int *ndim, gint64 shape[8]);

/* Read a tensor as float32 (F16/BF16 converted), always a fresh copy.
 * expected_shape may be NULL (any shape, ndim ignored); an entry of -1 matches
 * any size in that dimension. Fails when absent, when the shape differs, when
 * the dtype cannot be converted, or when any value is NaN or infinite; the
 * message names the file and the tensor. */
McamTensor      *mcam_safetensors_read          (McamSafetensors *st, const char *name,
                                                 int ndim, const gint64 *expected_shape,
                                                 GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (McamSafetensors, mcam_safetensors_free)

/* Writer: collect F32 tensors and metadata, then save atomically (temp file in
 * the same folder + rename), so an interrupted save leaves any earlier file whole. */
typedef struct _McamSafetensorsWriter McamSafetensorsWriter;

McamSafetensorsWriter *mcam_safetensors_writer_new   (void);
void     mcam_safetensors_writer_free                (McamSafetensorsWriter *w);
/* The data is copied. */
void     mcam_safetensors_writer_add                 (McamSafetensorsWriter *w, const char *name,
                                                      int ndim, const gint64 *shape,
                                                      const float *data);
void     mcam_safetensors_writer_add_tensor          (McamSafetensorsWriter *w, const char *name,
                                                      const McamTensor *t);
void     mcam_safetensors_writer_set_metadata        (McamSafetensorsWriter *w, const char *key,
                                                      const char *value);
gboolean mcam_safetensors_writer_save                (McamSafetensorsWriter *w, const char *path,
                                                      GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (McamSafetensorsWriter, mcam_safetensors_writer_free)

/* Write `contents` to `path` atomically (temp file beside it + fsync + rename).
 * Used by every writer of the project (models, PNG exports, caches). */
gboolean mcam_file_write_atomic (const char *path, const void *contents, gsize length,
                                 GError **error);

G_END_DECLS
