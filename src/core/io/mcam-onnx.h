/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Reader for ONNX model files (a serialized onnx.ModelProto).
 *
 * mcam_onnx_model_load() parses the whole file into the plain structs below
 * and validates it as it goes: every length is checked against its parent
 * message before anything is allocated, varints that overflow, fields with
 * the wrong wire type, a singular field given twice and the required fields
 * missing (graph, node op_type, tensor name and data type) are errors that
 * name the file and the field. See ONNX.md beside this file for why the
 * reader is hand-written and zero-copy.
 *
 * Zero-copy: tensor values are not copied. A tensor points into the file's
 * bytes (kept alive by the model); use mcam_onnx_tensor_get_floats() /
 * _get_int64s() to read them into your own (aligned) buffer — raw_data is
 * most of the time not 4-byte aligned, so never cast `data` to float *.
 *
 * Strings (names, op types, attribute strings, metadata) are copied into the
 * model and NUL-terminated; all of them are borrowed from the model.
 *
 * Not read: sub-graphs (an attribute of type GRAPH/GRAPHS is recorded with
 * its type only), graph.value_info, doc strings, training info, functions.
 * Refused: tensors stored outside the file (data_location = EXTERNAL),
 * segmented tensors, sparse initializers, more than MCAM_ONNX_MAX_DIMS dims. */

#define MCAM_ONNX_MAX_DIMS 8

/* TensorProto.DataType (the numbers are the file's). */
typedef enum
{
  MCAM_ONNX_DTYPE_UNDEFINED = 0,
  MCAM_ONNX_DTYPE_FLOAT = 1,
  MCAM_ONNX_DTYPE_UINT8 = 2,
  MCAM_ONNX_DTYPE_INT8 = 3,
  MCAM_ONNX_DTYPE_UINT16 = 4,
  MCAM_ONNX_DTYPE_INT16 = 5,
  MCAM_ONNX_DTYPE_INT32 = 6,
  MCAM_ONNX_DTYPE_INT64 = 7,
  MCAM_ONNX_DTYPE_STRING = 8,
  MCAM_ONNX_DTYPE_BOOL = 9,
  MCAM_ONNX_DTYPE_FLOAT16 = 10,
  MCAM_ONNX_DTYPE_DOUBLE = 11,
  MCAM_ONNX_DTYPE_UINT32 = 12,
  MCAM_ONNX_DTYPE_UINT64 = 13,
  MCAM_ONNX_DTYPE_BFLOAT16 = 16,
} McamOnnxDtype;

/* Where a tensor's values are in the file. */
typedef enum
{
  MCAM_ONNX_STORAGE_NONE,    /* no values (n_elements == 0, or a STRING tensor) */
  MCAM_ONNX_STORAGE_RAW,     /* raw_data: little-endian, fixed width, maybe unaligned */
  MCAM_ONNX_STORAGE_FIELD,   /* float_data / int32_data / int64_data / double_data /
                              * uint64_data, packed or not: read with the accessors */
} McamOnnxStorage;

typedef struct
{
  const char     *name;
  McamOnnxDtype   dtype;
  int             ndim;                         /* 0 for a scalar */
  gint64          dims[MCAM_ONNX_MAX_DIMS];
  gint64          n_elements;                   /* product of dims (1 for a scalar) */
  McamOnnxStorage storage;
  /* RAW: the raw_data bytes (n_elements × element size).
   * FIELD: the TensorProto message itself (the accessors walk its value field). */
  const guint8   *data;
  gsize           data_len;
  int             field;                        /* FIELD: the field number (4, 5, 7, 10, 11) */
} McamOnnxTensor;

/* AttributeProto.AttributeType. */
typedef enum
{
  MCAM_ONNX_ATTR_UNDEFINED = 0,
  MCAM_ONNX_ATTR_FLOAT = 1,
  MCAM_ONNX_ATTR_INT = 2,
  MCAM_ONNX_ATTR_STRING = 3,
  MCAM_ONNX_ATTR_TENSOR = 4,
  MCAM_ONNX_ATTR_GRAPH = 5,
  MCAM_ONNX_ATTR_FLOATS = 6,
  MCAM_ONNX_ATTR_INTS = 7,
  MCAM_ONNX_ATTR_STRINGS = 8,
  MCAM_ONNX_ATTR_TENSORS = 9,
  MCAM_ONNX_ATTR_GRAPHS = 10,
  MCAM_ONNX_ATTR_SPARSE_TENSOR = 11,
  MCAM_ONNX_ATTR_SPARSE_TENSORS = 12,
  MCAM_ONNX_ATTR_TYPE_PROTO = 13,
  MCAM_ONNX_ATTR_TYPE_PROTOS = 14,
} McamOnnxAttrType;

typedef struct
{
  const char      *name;
  McamOnnxAttrType type;       /* from the `type` field; inferred from the value
                                * set when an old exporter left it out */
  float            f;          /* FLOAT */
  gint64           i;          /* INT */
  const char      *s;          /* STRING: NUL-terminated copy (may hold NULs: s_len) */
  gsize            s_len;
  McamOnnxTensor  *t;          /* TENSOR (Constant's `value`) */
  guint            n_floats;   /* FLOATS */
  float           *floats;
  guint            n_ints;     /* INTS */
  gint64          *ints;
  guint            n_strings;  /* STRINGS */
  const char     **strings;
  guint            n_tensors;  /* TENSORS */
  McamOnnxTensor  *tensors;
} McamOnnxAttribute;

typedef struct
{
  const char        *name;        /* "" when the exporter gave none */
  const char        *op_type;
  const char        *domain;      /* "" (or "ai.onnx") is the default domain */
  guint              n_inputs;
  const char       **inputs;      /* "" marks an omitted optional input */
  guint              n_outputs;
  const char       **outputs;
  guint              n_attributes;
  McamOnnxAttribute *attributes;
} McamOnnxNode;

/* One dimension of a graph input/output: a value, or a symbolic name
 * ("batch_size"), or neither (unknown: value -1, param NULL). */
typedef struct
{
  gint64      value;             /* -1 unless dim_value was given */
  const char *param;             /* dim_param, or NULL */
} McamOnnxDim;

typedef struct
{
  const char   *name;
  McamOnnxDtype elem_type;       /* UNDEFINED when the type is not a tensor type */
  gboolean      has_shape;
  int           ndim;
  McamOnnxDim   dims[MCAM_ONNX_MAX_DIMS];
} McamOnnxValueInfo;

typedef struct
{
  const char *domain;            /* "" for the default (ai.onnx) domain */
  gint64      version;
} McamOnnxOpset;

typedef struct
{
  const char *key;
  const char *value;
} McamOnnxProp;

typedef struct _McamOnnxModelPrivate McamOnnxModelPrivate;

typedef struct
{
  const char        *path;       /* as given to _load (or the name given to _parse) */
  gint64             ir_version;
  const char        *producer_name;     /* "" when absent */
  const char        *producer_version;
  const char        *graph_name;

  guint              n_opsets;
  McamOnnxOpset     *opsets;
  guint              n_metadata;        /* metadata_props, keys unique */
  McamOnnxProp      *metadata;

  guint              n_inputs;          /* graph.input (old exporters list the */
  McamOnnxValueInfo *inputs;            /* initializers here too)              */
  guint              n_outputs;
  McamOnnxValueInfo *outputs;
  guint              n_initializers;    /* names unique */
  McamOnnxTensor    *initializers;
  guint              n_nodes;           /* in file order (ONNX requires topological) */
  McamOnnxNode      *nodes;

  McamOnnxModelPrivate *priv;
} McamOnnxModel;

/* Limits, each checked before the allocation it guards. */
#define MCAM_ONNX_MAX_FILE     (4ull * 1024 * 1024 * 1024)   /* 4 GiB */
#define MCAM_ONNX_MAX_NODES    100000
#define MCAM_ONNX_MAX_LIST     1000000  /* inputs, outputs, initializers, attributes, props */

McamOnnxModel *mcam_onnx_model_load  (const char *path, GError **error);
/* Parse bytes already in memory; the model keeps a reference on `bytes`.
 * `name` is used in error messages (a path, usually). */
McamOnnxModel *mcam_onnx_model_parse (GBytes *bytes, const char *name, GError **error);
void           mcam_onnx_model_free  (McamOnnxModel *model);

/* The opset version imported for `domain` ("" = default domain; "ai.onnx" is
 * the same), or -1 when the model does not import it. */
gint64                   mcam_onnx_model_get_opset       (const McamOnnxModel *model,
                                                          const char *domain);
const char              *mcam_onnx_model_get_metadata    (const McamOnnxModel *model,
                                                          const char *key);
const McamOnnxTensor    *mcam_onnx_model_get_initializer (const McamOnnxModel *model,
                                                          const char *name);
const McamOnnxAttribute *mcam_onnx_node_get_attribute    (const McamOnnxNode *node,
                                                          const char *name);

/* Size in bytes of one element of a fixed-width dtype, 0 for STRING/UNDEFINED/unknown. */
gsize    mcam_onnx_dtype_size (McamOnnxDtype dtype);
const char *mcam_onnx_dtype_name (McamOnnxDtype dtype);   /* "FLOAT", "INT64", … */

/* Copy a tensor's n_elements values into `out` (caller-allocated, aligned).
 * get_floats: FLOAT (raw or float_data), FLOAT16, BFLOAT16 and DOUBLE convert.
 * get_int64s: INT64, INT32, INT16, INT8, UINT8, UINT16, UINT32, BOOL
 * (raw or int32_data/int64_data). Other dtypes: FALSE with MCAM_ERROR_UNSUPPORTED
 * naming the tensor. Values are not checked for NaN/Inf here. */
gboolean mcam_onnx_tensor_get_floats (const McamOnnxTensor *t, float *out, GError **error);
gboolean mcam_onnx_tensor_get_int64s (const McamOnnxTensor *t, gint64 *out, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (McamOnnxModel, mcam_onnx_model_free)

G_END_DECLS
