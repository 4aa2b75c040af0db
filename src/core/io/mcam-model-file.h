/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What kind of model file a file is, from its first bytes (never from its
 * name): the formats mcam reads, and the PyTorch files people try first,
 * which are refused with the way in instead of being parsed as something
 * else (a .pth read as safetensors "claims 578712552184433488 bytes"). */
typedef enum
{
  MCAM_MODEL_FILE_UNKNOWN,
  MCAM_MODEL_FILE_SAFETENSORS,    /* u64 header length, then '{' */
  MCAM_MODEL_FILE_ONNX,           /* a protobuf ModelProto */
  MCAM_MODEL_FILE_PYTORCH_ZIP,    /* torch.save since 1.6, TorchScript: a zip with data.pkl */
  MCAM_MODEL_FILE_PYTORCH_PICKLE, /* torch.save before 1.6 (or _use_new_zipfile_serialization=False),
                                   * or any Python pickle */
} McamModelFileKind;

/* How many leading bytes mcam_model_file_sniff () looks at, at most. */
#define MCAM_MODEL_FILE_SNIFF_BYTES 4096

/* The kind of the file whose first `len` bytes (or all of it) are `data`. */
McamModelFileKind mcam_model_file_sniff          (const guint8 *data, gsize len);
/* "safetensors", "ONNX", "PyTorch (zip)", "PyTorch (pickle)", "unknown". */
const char       *mcam_model_file_kind_get_name  (McamModelFileKind kind);

/* Reads the first bytes of `path` (through mcam-file: FIFOs, devices and
 * folders are refused by name) and sniffs them. A PyTorch file is refused:
 * FALSE with MCAM_ERROR_UNSUPPORTED naming PyTorch and the way in
 * (tools/export_model.py, docs/BRING-YOUR-MODEL.md); it is never unpickled.
 * A safetensors, ONNX or unknown file: TRUE with *kind set (an unknown file
 * is left to the safetensors reader, whose messages say what is wrong). */
gboolean          mcam_model_file_probe          (const char *path, McamModelFileKind *kind,
                                                  GError **error);

G_END_DECLS
