/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The ONNX reader's protobuf wire level: varints, field keys, lengths checked
 * against the enclosing message, the error messages, repeated scalars packed
 * or not, and the model-owned storage every parsed array ends up in.
 *
 * Protobuf in one paragraph: a message is a sequence of fields; each starts
 * with a varint key (field number << 3 | wire type). Wire type 0 is a varint,
 * 1 eight little-endian bytes, 5 four, 2 a varint length then that many bytes
 * (strings, bytes, sub-messages and packed repeated scalars). A repeated
 * scalar may arrive packed (one wire-type-2 field) or one field per value;
 * readers must take both. */

#include "config.h"

#include <string.h>

#include "mcam/mcam-error.h"
#include "mcam-onnx.h"
#include "mcam-onnx-private.h"

/* A field number is at most 2^29 - 1. */
#define MAX_FIELD_NUMBER ((1u << 29) - 1)

gboolean
_mcam_onnx_fail (McamOnnxParser *ps, const guint8 *at, const char *where, const char *fmt, ...)
{
  va_list args;
  g_autofree char *msg = NULL;

  if (ps->error != NULL && *ps->error != NULL)
    return FALSE;     /* keep the first, innermost message */
  va_start (args, fmt);
  msg = g_strdup_vprintf (fmt, args);
  va_end (args);
  g_set_error (ps->error, MCAM_ERROR, MCAM_ERROR_FORMAT,
               "%s: not a valid ONNX file: %s: %s (at byte %" G_GSIZE_FORMAT ")",
               ps->path, where, msg, (gsize) (at - ps->base));
  return FALSE;
}

gboolean
_mcam_onnx_unsupported (McamOnnxParser *ps, const char *where, const char *fmt, ...)
{
  va_list args;
  g_autofree char *msg = NULL;

  va_start (args, fmt);
  msg = g_strdup_vprintf (fmt, args);
  va_end (args);
  g_set_error (ps->error, MCAM_ERROR, MCAM_ERROR_UNSUPPORTED,
               "%s: %s: %s", ps->path, where, msg);
  return FALSE;
}

/* ---- wire level ---- */

gboolean
_mcam_onnx_read_varint (const guint8 **p, const guint8 *end, guint64 *out)
{
  guint64 v = 0;

  for (int shift = 0; shift < 64; shift += 7)
    {
      guint8 b;

      if (*p >= end)
        return FALSE;
      b = *(*p)++;
      /* the tenth byte may carry only the top bit of a 64-bit value */
      if (shift == 63 && b > 1)
        return FALSE;
      v |= (guint64) (b & 0x7f) << shift;
      if ((b & 0x80) == 0)
        {
          *out = v;
          return TRUE;
        }
    }
  return FALSE;
}

/* Next field of the message [*p, end): 1 = got one, 0 = end of message,
 * -1 = malformed (error set). */
int
_mcam_onnx_next_field (const guint8 **p, const guint8 *end, McamOnnxField *f)
{
  guint64 key;

  if (*p >= end)
    return 0;
  f->start = *p;
  if (!_mcam_onnx_read_varint (p, end, &key))
    return -1;
  if ((key >> 3) == 0 || (key >> 3) > MAX_FIELD_NUMBER)
    return -1;
  f->number = (guint32) (key >> 3);
  f->wire = (guint) (key & 7);
  f->data = NULL;
  f->len = 0;
  f->value = 0;
  switch (f->wire)
    {
    case 0:
      return _mcam_onnx_read_varint (p, end, &f->value) ? 1 : -1;
    case 1:
      if (end - *p < 8)
        return -1;
      f->data = *p;
      f->len = 8;
      memcpy (&f->value, *p, 8);
      f->value = GUINT64_FROM_LE (f->value);
      *p += 8;
      return 1;
    case 5:
      {
        guint32 v;

        if (end - *p < 4)
          return -1;
        memcpy (&v, *p, 4);
        f->data = *p;
        f->len = 4;
        f->value = GUINT32_FROM_LE (v);
        *p += 4;
        return 1;
      }
    case 2:
      {
        guint64 len;

        if (!_mcam_onnx_read_varint (p, end, &len))
          return -1;
        /* bounded by the parent before anything else looks at it */
        if (len > (guint64) (end - *p))
          return -1;
        f->data = *p;
        f->len = (gsize) len;
        *p += len;
        return 1;
      }
    default:       /* 3/4 (groups) and 6/7 do not occur in ONNX */
      return -1;
    }
}

/* Describe why _mcam_onnx_next_field refused, re-reading from the field start. */
gboolean
_mcam_onnx_fail_field (McamOnnxParser *ps, const guint8 *at, const guint8 *end, const char *where)
{
  const guint8 *p = at;
  guint64 key, len;

  if (!_mcam_onnx_read_varint (&p, end, &key))
    return _mcam_onnx_fail (ps, at, where, "a field key is truncated or its varint overflows");
  if ((key >> 3) == 0 || (key >> 3) > MAX_FIELD_NUMBER)
    return _mcam_onnx_fail (ps, at, where, "field number %" G_GUINT64_FORMAT " is out of range",
                 key >> 3);
  switch (key & 7)
    {
    case 0:
      return _mcam_onnx_fail (ps, at, where, "field %" G_GUINT64_FORMAT
                   ": varint truncated or over 64 bits", key >> 3);
    case 1:
    case 5:
      return _mcam_onnx_fail (ps, at, where, "field %" G_GUINT64_FORMAT ": fixed-width value truncated",
                   key >> 3);
    case 2:
      if (!_mcam_onnx_read_varint (&p, end, &len))
        return _mcam_onnx_fail (ps, at, where, "field %" G_GUINT64_FORMAT
                     ": length truncated or over 64 bits", key >> 3);
      return _mcam_onnx_fail (ps, at, where, "field %" G_GUINT64_FORMAT ": length %" G_GUINT64_FORMAT
                   " runs past the end of its message (%" G_GSIZE_FORMAT " bytes left)",
                   key >> 3, len, (gsize) (end - p));
    default:
      return _mcam_onnx_fail (ps, at, where, "field %" G_GUINT64_FORMAT ": wire type %u is not used by ONNX",
                   key >> 3, (guint) (key & 7));
    }
}

gboolean
_mcam_onnx_expect_wire (McamOnnxParser *ps, const McamOnnxField *f, guint wire, const char *where,
             const char *field_name)
{
  static const char *const names[] = { "varint", "fixed64", "length-delimited", "", "",
                                       "fixed32" };

  if (f->wire == wire)
    return TRUE;
  return _mcam_onnx_fail (ps, f->start, where, "field '%s' (%u) has wire type %u, expected %s",
               field_name, f->number, f->wire, names[wire]);
}

/* Singular fields given twice are legal protobuf (last wins), but no ONNX
 * writer does it; taking it as corruption finds damaged files early. */
gboolean
_mcam_onnx_once (McamOnnxParser *ps, const McamOnnxField *f, guint64 *seen, const char *where,
      const char *field_name)
{
  guint64 bit = f->number < 64 ? G_GUINT64_CONSTANT (1) << f->number : 0;

  if (*seen & bit)
    return _mcam_onnx_fail (ps, f->start, where, "field '%s' appears twice", field_name);
  *seen |= bit;
  return TRUE;
}

const char *
_mcam_onnx_intern (McamOnnxParser *ps, const McamOnnxField *f)
{
  return g_string_chunk_insert_len (ps->priv->strings, (const char *) f->data, f->len);
}

gpointer
_mcam_onnx_own (McamOnnxParser *ps, gpointer block)
{
  g_ptr_array_add (ps->priv->blocks, block);
  return block;
}

/* A GArray's elements, handed to the model; NULL when empty. */
gpointer
_mcam_onnx_own_array (McamOnnxParser *ps, GArray *array, guint *n)
{
  *n = array->len;
  if (array->len == 0)
    {
      g_array_free (array, TRUE);
      return NULL;
    }
  return _mcam_onnx_own (ps, g_array_free (array, FALSE));
}

const char *
_mcam_onnx_where (McamOnnxParser *ps, const char *parent, const char *field, guint index)
{
  char *s = g_strdup_printf ("%s%s%s[%u]", parent, *parent ? "." : "", field, index);
  const char *r = g_string_chunk_insert (ps->priv->strings, s);

  g_free (s);
  return r;
}

/* ---- repeated scalars ---- */

/* Count the values of one occurrence of a repeated scalar field, packed or
 * not, checking every varint. */
gboolean
_mcam_onnx_count_scalars (McamOnnxParser *ps, const McamOnnxField *f, McamOnnxScalarKind kind, const char *where,
               const char *field_name, guint64 *count)
{
  static const guint wires[] = { 0, 5, 1 };

  if (f->wire == wires[kind])
    {
      *count += 1;
      return TRUE;
    }
  if (f->wire != 2)
    return _mcam_onnx_expect_wire (ps, f, wires[kind], where, field_name);
  switch (kind)
    {
    case MCAM_ONNX_SCALAR_FIXED32:
      if (f->len % 4 != 0)
        return _mcam_onnx_fail (ps, f->start, where, "packed '%s' is %" G_GSIZE_FORMAT
                     " bytes, not a multiple of 4", field_name, f->len);
      *count += f->len / 4;
      return TRUE;
    case MCAM_ONNX_SCALAR_FIXED64:
      if (f->len % 8 != 0)
        return _mcam_onnx_fail (ps, f->start, where, "packed '%s' is %" G_GSIZE_FORMAT
                     " bytes, not a multiple of 8", field_name, f->len);
      *count += f->len / 8;
      return TRUE;
    case MCAM_ONNX_SCALAR_VARINT:
    default:
      {
        const guint8 *p = f->data, *end = f->data + f->len;
        guint64 v;

        while (p < end)
          {
            if (!_mcam_onnx_read_varint (&p, end, &v))
              return _mcam_onnx_fail (ps, p, where, "packed '%s' holds a truncated or overlong varint",
                           field_name);
            *count += 1;
          }
        return TRUE;
      }
    }
}

/* Append one occurrence's values to `out` (gint64 or float elements). */
gboolean
_mcam_onnx_append_ints (McamOnnxParser *ps, const McamOnnxField *f, GArray *out, const char *where,
             const char *field_name)
{
  guint64 n = 0;

  if (!_mcam_onnx_count_scalars (ps, f, MCAM_ONNX_SCALAR_VARINT, where, field_name, &n))
    return FALSE;
  if (out->len + n > MCAM_ONNX_MAX_LIST)
    return _mcam_onnx_fail (ps, f->start, where, "'%s' has more than %d values", field_name,
                 MCAM_ONNX_MAX_LIST);
  if (f->wire == 0)
    {
      gint64 v = (gint64) f->value;
      g_array_append_val (out, v);
      return TRUE;
    }
  for (const guint8 *p = f->data, *end = f->data + f->len; p < end;)
    {
      guint64 v;

      _mcam_onnx_read_varint (&p, end, &v);    /* checked by _mcam_onnx_count_scalars */
      gint64 s = (gint64) v;
      g_array_append_val (out, s);
    }
  return TRUE;
}

gboolean
_mcam_onnx_append_floats (McamOnnxParser *ps, const McamOnnxField *f, GArray *out, const char *where,
               const char *field_name)
{
  guint64 n = 0;

  if (!_mcam_onnx_count_scalars (ps, f, MCAM_ONNX_SCALAR_FIXED32, where, field_name, &n))
    return FALSE;
  if (out->len + n > MCAM_ONNX_MAX_LIST)
    return _mcam_onnx_fail (ps, f->start, where, "'%s' has more than %d values", field_name,
                 MCAM_ONNX_MAX_LIST);
  for (guint64 i = 0; i < n; i++)
    {
      guint32 bits;
      float v;

      memcpy (&bits, f->data + 4 * i, 4);
      bits = GUINT32_FROM_LE (bits);
      memcpy (&v, &bits, 4);
      g_array_append_val (out, v);
    }
  return TRUE;
}

