/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include "mcam-onnx.h"

G_BEGIN_DECLS

/* Shared by the ONNX reader's three files: the wire level
 * (mcam-onnx-wire.c), tensors (mcam-onnx-tensor.c) and the messages above
 * them (mcam-onnx.c). */

struct _McamOnnxModelPrivate
{
  GBytes       *bytes;         /* the file; tensors point into it */
  GStringChunk *strings;       /* every name, NUL-terminated */
  GPtrArray    *blocks;        /* every array the model owns, g_free'd */
  GHashTable   *initializers;  /* name -> McamOnnxTensor* */
};

typedef struct
{
  const char           *path;
  const guint8         *base;  /* start of the file, for byte offsets in errors */
  McamOnnxModelPrivate *priv;
  GError              **error;
} McamOnnxParser;

typedef struct
{
  guint32       number;    /* field number */
  guint         wire;      /* 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32 */
  guint64       value;     /* wire 0/1/5 */
  const guint8 *data;      /* wire 1/2/5: the payload */
  gsize         len;
  const guint8 *start;     /* where the field's key starts (for error offsets) */
} McamOnnxField;

typedef enum
{
  MCAM_ONNX_SCALAR_VARINT,
  MCAM_ONNX_SCALAR_FIXED32,
  MCAM_ONNX_SCALAR_FIXED64,
} McamOnnxScalarKind;

/* FALSE when truncated or longer than 64 bits. */
gboolean _mcam_onnx_read_varint (const guint8 **p, const guint8 *end, guint64 *out);
/* 1: a field was read into *f; 0: end of the message; -1: malformed (f->start
 * is where the bad field begins). A length-delimited field never extends
 * past `end`. */
int      _mcam_onnx_next_field  (const guint8 **p, const guint8 *end, McamOnnxField *f);

/* Errors: "PATH: not a valid ONNX file: WHERE: MESSAGE (at byte N)"
 * (MCAM_ERROR_FORMAT), or "PATH: WHERE: MESSAGE" (MCAM_ERROR_UNSUPPORTED).
 * Both return FALSE; the first error set is kept. */
gboolean _mcam_onnx_fail        (McamOnnxParser *ps, const guint8 *at, const char *where,
                                 const char *fmt, ...) G_GNUC_PRINTF (4, 5);
gboolean _mcam_onnx_unsupported (McamOnnxParser *ps, const char *where,
                                 const char *fmt, ...) G_GNUC_PRINTF (3, 4);
/* Why _mcam_onnx_next_field () refused the field starting at `at`. */
gboolean _mcam_onnx_fail_field  (McamOnnxParser *ps, const guint8 *at, const guint8 *end,
                                 const char *where);
gboolean _mcam_onnx_expect_wire (McamOnnxParser *ps, const McamOnnxField *f, guint wire,
                                 const char *where, const char *field_name);
/* A singular field seen twice is an error (bit `number` of *seen). */
gboolean _mcam_onnx_once        (McamOnnxParser *ps, const McamOnnxField *f, guint64 *seen,
                                 const char *where, const char *field_name);

/* A length-delimited field's bytes as a model-owned NUL-terminated string. */
const char *_mcam_onnx_intern   (McamOnnxParser *ps, const McamOnnxField *f);
/* Hands a g_malloc'd block to the model. */
gpointer _mcam_onnx_own         (McamOnnxParser *ps, gpointer block);
/* Frees the GArray and hands its elements to the model; NULL when empty. */
gpointer _mcam_onnx_own_array   (McamOnnxParser *ps, GArray *array, guint *n);
/* "PARENT.FIELD[INDEX]", model-owned, for error messages. */
const char *_mcam_onnx_where    (McamOnnxParser *ps, const char *parent, const char *field,
                                 guint index);

/* Repeated scalars, packed or one field a value; every varint checked. */
gboolean _mcam_onnx_count_scalars (McamOnnxParser *ps, const McamOnnxField *f,
                                   McamOnnxScalarKind kind, const char *where,
                                   const char *field_name, guint64 *count);
gboolean _mcam_onnx_append_ints   (McamOnnxParser *ps, const McamOnnxField *f, GArray *out,
                                   const char *where, const char *field_name);
gboolean _mcam_onnx_append_floats (McamOnnxParser *ps, const McamOnnxField *f, GArray *out,
                                   const char *where, const char *field_name);

/* TensorProto in [msg, msg + msg_len) into *t. */
gboolean _mcam_onnx_parse_tensor  (McamOnnxParser *ps, const guint8 *msg, gsize msg_len,
                                   const char *where, McamOnnxTensor *t);

G_END_DECLS
