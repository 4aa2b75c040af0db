/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ONNX TensorProto: parsing (shape, type, where the values are; checked so
 * that the accessors cannot read past the file) and the accessors that copy
 * the values out, converting as they go. */

#include "config.h"

#include <string.h>

#include "mcam/mcam-error.h"
#include "mcam-half.h"
#include "mcam-onnx.h"
#include "mcam-onnx-private.h"

/* ---- TensorProto ---- */

/* Which value field holds which dtypes (onnx.proto's comments on each field). */
static gboolean
field_fits_dtype (int field, McamOnnxDtype dtype)
{
  switch (field)
    {
    case 4:   /* float_data */
      return dtype == MCAM_ONNX_DTYPE_FLOAT;
    case 5:   /* int32_data */
      return dtype == MCAM_ONNX_DTYPE_INT32 || dtype == MCAM_ONNX_DTYPE_INT16 ||
             dtype == MCAM_ONNX_DTYPE_INT8 || dtype == MCAM_ONNX_DTYPE_UINT16 ||
             dtype == MCAM_ONNX_DTYPE_UINT8 || dtype == MCAM_ONNX_DTYPE_BOOL ||
             dtype == MCAM_ONNX_DTYPE_FLOAT16 || dtype == MCAM_ONNX_DTYPE_BFLOAT16;
    case 7:   /* int64_data */
      return dtype == MCAM_ONNX_DTYPE_INT64;
    case 10:  /* double_data */
      return dtype == MCAM_ONNX_DTYPE_DOUBLE;
    case 11:  /* uint64_data */
      return dtype == MCAM_ONNX_DTYPE_UINT32 || dtype == MCAM_ONNX_DTYPE_UINT64;
    default:
      return FALSE;
    }
}

gboolean
_mcam_onnx_parse_tensor (McamOnnxParser *ps, const guint8 *msg, gsize msg_len, const char *where,
              McamOnnxTensor *t)
{
  const guint8 *p = msg, *end = msg + msg_len;
  McamOnnxField f;
  guint64 seen = 0, n_values = 0, data_type = 0;
  const guint8 *raw = NULL;
  gsize raw_len = 0;
  int value_field = 0, r;
  gint64 n = 1;

  memset (t, 0, sizeof *t);
  t->name = "";
  while ((r = _mcam_onnx_next_field (&p, end, &f)) == 1)
    {
      switch (f.number)
        {
        case 1:   /* dims */
          {
            guint64 count = 0;

            if (!_mcam_onnx_count_scalars (ps, &f, MCAM_ONNX_SCALAR_VARINT, where, "dims", &count))
              return FALSE;
            if (t->ndim + count > MCAM_ONNX_MAX_DIMS)
              return _mcam_onnx_unsupported (ps, where, "more than %d dimensions", MCAM_ONNX_MAX_DIMS);
            if (f.wire == 0)
              t->dims[t->ndim++] = (gint64) f.value;
            else
              for (const guint8 *q = f.data, *qe = f.data + f.len; q < qe;)
                {
                  guint64 v;
                  _mcam_onnx_read_varint (&q, qe, &v);
                  t->dims[t->ndim++] = (gint64) v;
                }
            break;
          }
        case 2:
          if (!_mcam_onnx_expect_wire (ps, &f, 0, where, "data_type") || !_mcam_onnx_once (ps, &f, &seen, where, "data_type"))
            return FALSE;
          data_type = f.value;
          break;
        case 3:
          return _mcam_onnx_unsupported (ps, where, "segmented tensors are not supported");
        case 4: case 5: case 7: case 10: case 11:
          {
            static const McamOnnxScalarKind kinds[12] = { [4] = MCAM_ONNX_SCALAR_FIXED32, [5] = MCAM_ONNX_SCALAR_VARINT,
              [7] = MCAM_ONNX_SCALAR_VARINT, [10] = MCAM_ONNX_SCALAR_FIXED64, [11] = MCAM_ONNX_SCALAR_VARINT };
            static const char *const names[12] = { [4] = "float_data", [5] = "int32_data",
              [7] = "int64_data", [10] = "double_data", [11] = "uint64_data" };

            if (value_field != 0 && value_field != (int) f.number)
              return _mcam_onnx_fail (ps, f.start, where, "values in both '%s' and '%s'",
                           names[value_field], names[f.number]);
            value_field = (int) f.number;
            if (!_mcam_onnx_count_scalars (ps, &f, kinds[f.number], where, names[f.number], &n_values))
              return FALSE;
            break;
          }
        case 6:   /* string_data: counted, not read */
          if (!_mcam_onnx_expect_wire (ps, &f, 2, where, "string_data"))
            return FALSE;
          n_values++;
          if (value_field != 0 && value_field != 6)
            return _mcam_onnx_fail (ps, f.start, where, "values in both string_data and another field");
          value_field = 6;
          break;
        case 8:
          if (!_mcam_onnx_expect_wire (ps, &f, 2, where, "name") || !_mcam_onnx_once (ps, &f, &seen, where, "name"))
            return FALSE;
          t->name = _mcam_onnx_intern (ps, &f);
          break;
        case 9:
          if (!_mcam_onnx_expect_wire (ps, &f, 2, where, "raw_data") || !_mcam_onnx_once (ps, &f, &seen, where, "raw_data"))
            return FALSE;
          raw = f.data;
          raw_len = f.len;
          break;
        case 14:
          if (!_mcam_onnx_expect_wire (ps, &f, 0, where, "data_location"))
            return FALSE;
          if (f.value == 1)
            return _mcam_onnx_unsupported (ps, where, "tensor '%s' keeps its values in an external file "
                                "(export with the weights inside the .onnx file)", t->name);
          break;
        default:  /* doc_string, external_data (without data_location), metadata */
          break;
        }
    }
  if (r < 0)
    return _mcam_onnx_fail_field (ps, f.start, end, where);

  if (!(seen & (1u << 2)) || data_type == 0)
    return _mcam_onnx_fail (ps, msg, where, "tensor '%s' has no data_type", t->name);
  if (data_type > 64)
    return _mcam_onnx_fail (ps, msg, where, "tensor '%s' has data_type %" G_GUINT64_FORMAT
                 ", not an ONNX type", t->name, data_type);
  t->dtype = (McamOnnxDtype) data_type;

  for (int i = 0; i < t->ndim; i++)
    {
      if (t->dims[i] < 0)
        return _mcam_onnx_fail (ps, msg, where, "tensor '%s' has a negative dimension", t->name);
      if (t->dims[i] != 0 && n > G_MAXINT64 / t->dims[i])
        return _mcam_onnx_fail (ps, msg, where, "tensor '%s' is impossibly large", t->name);
      n *= t->dims[i];
    }
  t->n_elements = n;

  if (raw != NULL && value_field != 0)
    return _mcam_onnx_fail (ps, msg, where, "tensor '%s' has values in raw_data and in a typed field",
                 t->name);
  if (raw != NULL)
    {
      gsize size = mcam_onnx_dtype_size (t->dtype);

      if (size == 0)
        return _mcam_onnx_unsupported (ps, where, "tensor '%s' has raw_data of type %s", t->name,
                            mcam_onnx_dtype_name (t->dtype));
      /* n × size may overflow; compare by division */
      if (raw_len % size != 0 || (guint64) n != raw_len / size)
        return _mcam_onnx_fail (ps, raw, where, "tensor '%s': %" G_GINT64_FORMAT " %s values need %"
                     G_GUINT64_FORMAT " bytes but raw_data has %" G_GSIZE_FORMAT,
                     t->name, n, mcam_onnx_dtype_name (t->dtype),
                     (guint64) n * (guint64) size, raw_len);
      t->storage = n > 0 ? MCAM_ONNX_STORAGE_RAW : MCAM_ONNX_STORAGE_NONE;
      t->data = raw;
      t->data_len = raw_len;
      return TRUE;
    }
  /* string_data holds strings only: an INT64 tensor with its values there
   * would pass the count check below and then have nothing to read */
  if (value_field == 6 && t->dtype != MCAM_ONNX_DTYPE_STRING)
    return _mcam_onnx_fail (ps, msg, where, "tensor '%s' of type %s has its values in string_data",
                 t->name, mcam_onnx_dtype_name (t->dtype));
  if (value_field != 0 && value_field != 6 && !field_fits_dtype (value_field, t->dtype))
    return _mcam_onnx_fail (ps, msg, where, "tensor '%s' of type %s has its values in field %d",
                 t->name, mcam_onnx_dtype_name (t->dtype), value_field);
  if (n_values != (guint64) n)
    return _mcam_onnx_fail (ps, msg, where, "tensor '%s' has %" G_GUINT64_FORMAT " values for %"
                 G_GINT64_FORMAT " elements", t->name, n_values, n);
  if (n > 0 && value_field != 6)
    {
      t->storage = MCAM_ONNX_STORAGE_FIELD;
      t->field = value_field;
      t->data = msg;
      t->data_len = msg_len;
    }
  return TRUE;
}


/* ---- dtypes ---- */

gsize
mcam_onnx_dtype_size (McamOnnxDtype dtype)
{
  switch ((int) dtype)
    {
    case MCAM_ONNX_DTYPE_UINT8: case MCAM_ONNX_DTYPE_INT8: case MCAM_ONNX_DTYPE_BOOL:
    case 17: case 18: case 19: case 20:    /* the FLOAT8 variants */
      return 1;
    case MCAM_ONNX_DTYPE_UINT16: case MCAM_ONNX_DTYPE_INT16:
    case MCAM_ONNX_DTYPE_FLOAT16: case MCAM_ONNX_DTYPE_BFLOAT16:
      return 2;
    case MCAM_ONNX_DTYPE_FLOAT: case MCAM_ONNX_DTYPE_INT32: case MCAM_ONNX_DTYPE_UINT32:
      return 4;
    case MCAM_ONNX_DTYPE_INT64: case MCAM_ONNX_DTYPE_UINT64: case MCAM_ONNX_DTYPE_DOUBLE:
    case 14:                                /* COMPLEX64 */
      return 8;
    case 15:                                /* COMPLEX128 */
      return 16;
    default:                                /* STRING, 4-bit types, unknown */
      return 0;
    }
}

const char *
mcam_onnx_dtype_name (McamOnnxDtype dtype)
{
  static const char *const names[] = {
    "UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32", "INT64", "STRING",
    "BOOL", "FLOAT16", "DOUBLE", "UINT32", "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16",
    "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ", "UINT4", "INT4",
  };

  if ((guint) dtype < G_N_ELEMENTS (names))
    return names[dtype];
  return "(unknown type)";
}

/* ---- reading values ---- */

/* The values of one repeated field of a (validated) TensorProto, in order,
 * whether packed or not: varints as they are, fixed32/fixed64 as their bits. */
typedef struct
{
  const guint8      *p, *end;     /* the message */
  const guint8      *pp, *pend;   /* inside a packed run */
  guint32            field;
  McamOnnxScalarKind kind;
} ValueIter;

static void
value_iter_init (ValueIter *it, const McamOnnxTensor *t)
{
  it->p = t->data;
  it->end = t->data != NULL ? t->data + t->data_len : NULL;
  it->pp = it->pend = NULL;
  it->field = (guint32) t->field;
  it->kind = t->field == 4 ? MCAM_ONNX_SCALAR_FIXED32
           : t->field == 10 ? MCAM_ONNX_SCALAR_FIXED64 : MCAM_ONNX_SCALAR_VARINT;
}

static gboolean
value_iter_next (ValueIter *it, guint64 *v)
{
  McamOnnxField f;

  for (;;)
    {
      if (it->pp < it->pend)
        switch (it->kind)
          {
          case MCAM_ONNX_SCALAR_FIXED32:
            {
              guint32 b;
              memcpy (&b, it->pp, 4);
              it->pp += 4;
              *v = GUINT32_FROM_LE (b);
              return TRUE;
            }
          case MCAM_ONNX_SCALAR_FIXED64:
            memcpy (v, it->pp, 8);
            it->pp += 8;
            *v = GUINT64_FROM_LE (*v);
            return TRUE;
          case MCAM_ONNX_SCALAR_VARINT:
          default:
            return _mcam_onnx_read_varint (&it->pp, it->pend, v);
          }
      if (_mcam_onnx_next_field (&it->p, it->end, &f) != 1)
        return FALSE;
      if (f.number != it->field)
        continue;
      if (f.wire == 2)
        {
          it->pp = f.data;
          it->pend = f.data + f.len;
          continue;
        }
      *v = f.value;
      return TRUE;
    }
}

static gboolean
cannot_read (const McamOnnxTensor *t, const char *as, GError **error)
{
  g_set_error (error, MCAM_ERROR, MCAM_ERROR_UNSUPPORTED,
               "tensor '%s' is of type %s, which is not read as %s", t->name,
               mcam_onnx_dtype_name (t->dtype), as);
  return FALSE;
}

gboolean
mcam_onnx_tensor_get_floats (const McamOnnxTensor *t, float *out, GError **error)
{
  gint64 n;

  g_return_val_if_fail (t != NULL, FALSE);
  n = t->n_elements;
  if (t->dtype != MCAM_ONNX_DTYPE_FLOAT && t->dtype != MCAM_ONNX_DTYPE_FLOAT16 &&
      t->dtype != MCAM_ONNX_DTYPE_BFLOAT16 && t->dtype != MCAM_ONNX_DTYPE_DOUBLE)
    return cannot_read (t, "floats", error);
  if (n == 0)
    return TRUE;
  g_return_val_if_fail (out != NULL, FALSE);

  if (t->storage == MCAM_ONNX_STORAGE_RAW)
    {
      const guint8 *p = t->data;

      switch (t->dtype)
        {
        case MCAM_ONNX_DTYPE_FLOAT:
          /* memcpy: raw_data is rarely 4-byte aligned in the file */
          memcpy (out, p, (gsize) n * 4);
#if G_BYTE_ORDER == G_BIG_ENDIAN
          for (gint64 i = 0; i < n; i++)
            {
              guint32 b;
              memcpy (&b, &out[i], 4);
              b = GUINT32_FROM_LE (b);
              memcpy (&out[i], &b, 4);
            }
#endif
          return TRUE;
        case MCAM_ONNX_DTYPE_FLOAT16:
        case MCAM_ONNX_DTYPE_BFLOAT16:
          for (gint64 i = 0; i < n; i++)
            {
              guint16 h = (guint16) (p[2 * i] | (p[2 * i + 1] << 8));
              out[i] = t->dtype == MCAM_ONNX_DTYPE_FLOAT16 ? mcam_half_to_float (h)
                                                           : mcam_bfloat16_to_float (h);
            }
          return TRUE;
        case MCAM_ONNX_DTYPE_DOUBLE:
        default:
          for (gint64 i = 0; i < n; i++)
            {
              guint64 b;
              double d;
              memcpy (&b, p + 8 * i, 8);
              b = GUINT64_FROM_LE (b);
              memcpy (&d, &b, 8);
              out[i] = (float) d;
            }
          return TRUE;
        }
    }

  {
    ValueIter it;
    guint64 v;
    gint64 i = 0;

    value_iter_init (&it, t);
    while (i < n && value_iter_next (&it, &v))
      {
        guint32 b32 = (guint32) v;
        double d;

        switch (t->dtype)
          {
          case MCAM_ONNX_DTYPE_FLOAT:
            memcpy (&out[i], &b32, 4);
            break;
          case MCAM_ONNX_DTYPE_FLOAT16:    /* int32_data holds the 16 bits */
            out[i] = mcam_half_to_float ((guint16) v);
            break;
          case MCAM_ONNX_DTYPE_BFLOAT16:
            out[i] = mcam_bfloat16_to_float ((guint16) v);
            break;
          case MCAM_ONNX_DTYPE_DOUBLE:
          default:
            memcpy (&d, &v, 8);
            out[i] = (float) d;
            break;
          }
        i++;
      }
    /* the parser counted them: fewer would be a bug here, not in the file */
    g_return_val_if_fail (i == n, FALSE);
    return TRUE;
  }
}

gboolean
mcam_onnx_tensor_get_int64s (const McamOnnxTensor *t, gint64 *out, GError **error)
{
  gint64 n;
  gsize size;

  g_return_val_if_fail (t != NULL, FALSE);
  n = t->n_elements;
  switch (t->dtype)
    {
    case MCAM_ONNX_DTYPE_INT64: case MCAM_ONNX_DTYPE_INT32: case MCAM_ONNX_DTYPE_INT16:
    case MCAM_ONNX_DTYPE_INT8: case MCAM_ONNX_DTYPE_UINT8: case MCAM_ONNX_DTYPE_UINT16:
    case MCAM_ONNX_DTYPE_UINT32: case MCAM_ONNX_DTYPE_UINT64: case MCAM_ONNX_DTYPE_BOOL:
      break;
    default:
      return cannot_read (t, "integers", error);
    }
  if (n == 0)
    return TRUE;
  g_return_val_if_fail (out != NULL, FALSE);
  size = mcam_onnx_dtype_size (t->dtype);

  if (t->storage == MCAM_ONNX_STORAGE_RAW)
    {
      for (gint64 i = 0; i < n; i++)
        {
          const guint8 *p = t->data + (gsize) i * size;
          guint64 u = 0;

          for (gsize k = 0; k < size; k++)
            u |= (guint64) p[k] << (8 * k);
          switch (t->dtype)
            {
            case MCAM_ONNX_DTYPE_INT32: out[i] = (gint32) (guint32) u; break;
            case MCAM_ONNX_DTYPE_INT16: out[i] = (gint16) (guint16) u; break;
            case MCAM_ONNX_DTYPE_INT8: out[i] = (gint8) (guint8) u; break;
            case MCAM_ONNX_DTYPE_UINT64:
              if (u > G_MAXINT64)
                {
                  g_set_error (error, MCAM_ERROR, MCAM_ERROR_VALUE,
                               "tensor '%s': value %" G_GUINT64_FORMAT " does not fit in int64",
                               t->name, u);
                  return FALSE;
                }
              out[i] = (gint64) u;
              break;
            default: out[i] = (gint64) u; break;
            }
        }
      return TRUE;
    }

  {
    ValueIter it;
    guint64 v;
    gint64 i = 0;

    value_iter_init (&it, t);
    while (i < n && value_iter_next (&it, &v))
      {
        if (t->field == 5)        /* int32_data: narrow to the declared type */
          switch (t->dtype)
            {
            case MCAM_ONNX_DTYPE_INT16: v = (guint64) (gint64) (gint16) v; break;
            case MCAM_ONNX_DTYPE_INT8: v = (guint64) (gint64) (gint8) v; break;
            case MCAM_ONNX_DTYPE_UINT8: case MCAM_ONNX_DTYPE_BOOL: v &= 0xff; break;
            case MCAM_ONNX_DTYPE_UINT16: v &= 0xffff; break;
            default: v = (guint64) (gint64) (gint32) v; break;
            }
        else if (t->field == 11 && v > G_MAXINT64)
          {
            g_set_error (error, MCAM_ERROR, MCAM_ERROR_VALUE,
                         "tensor '%s': value %" G_GUINT64_FORMAT " does not fit in int64",
                         t->name, v);
            return FALSE;
          }
        out[i++] = (gint64) v;
      }
    g_return_val_if_fail (i == n, FALSE);
    return TRUE;
  }
}
