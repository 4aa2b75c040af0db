/* SPDX-License-Identifier: GPL-3.0-or-later */
/* safetensors: reading (read into memory, validated before use) and writing
 * (atomic). Read, not mapped: a mapped model or memory module truncated or
 * rewritten while in use made the next access SIGBUS; reading costs one copy
 * of the file while a net is built (the net copies the weights it keeps and
 * the file's bytes are freed with the McamSafetensors), i.e. a peak of about
 * twice the weights, as the mapping's touched pages cost before.
 * Format: u64 little-endian header length n, n bytes of JSON
 * {name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {}},
 * then the data area; offsets are relative to the start of the data area. */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "mcam/mcam-error.h"
#include "mcam/mcam-safetensors.h"
#include "mcam-file.h"
#include "mcam-half.h"

#define MAX_DIMS 8

/* The largest model or memory module read: far above any backbone this
 * engine runs (ResNet-152 is 0.24 GB), below what would take the machine. */
#define MCAM_SAFETENSORS_MAX_FILE ((gsize) 8 << 30)

typedef struct
{
  char     *name;
  McamDtype dtype;
  char     *dtype_name;
  int       elem_size;
  int       ndim;
  gint64    shape[MAX_DIMS];
  guint64   begin;          /* absolute offsets into the file */
  guint64   end;
} Entry;

struct _McamSafetensors
{
  char        *path;
  GBytes      *contents;
  const guint8 *bytes;
  guint64      size;
  GHashTable  *entries;      /* name -> Entry* */
  GHashTable  *metadata;     /* string -> string */
  char       **names;        /* sorted */
};

static void
entry_free (gpointer data)
{
  Entry *e = data;

  g_free (e->name);
  g_free (e->dtype_name);
  g_free (e);
}

static gboolean
parse_dtype (const char *s, McamDtype *dtype, int *size)
{
  static const struct { const char *name; McamDtype dtype; int size; } table[] = {
    { "F32", MCAM_DTYPE_F32, 4 }, { "F16", MCAM_DTYPE_F16, 2 },
    { "BF16", MCAM_DTYPE_BF16, 2 }, { "F64", MCAM_DTYPE_OTHER, 8 },
    { "I64", MCAM_DTYPE_OTHER, 8 }, { "U64", MCAM_DTYPE_OTHER, 8 },
    { "I32", MCAM_DTYPE_OTHER, 4 }, { "U32", MCAM_DTYPE_OTHER, 4 },
    { "I16", MCAM_DTYPE_OTHER, 2 }, { "U16", MCAM_DTYPE_OTHER, 2 },
    { "I8", MCAM_DTYPE_OTHER, 1 }, { "U8", MCAM_DTYPE_OTHER, 1 },
    { "BOOL", MCAM_DTYPE_OTHER, 1 }, { "F8_E4M3", MCAM_DTYPE_OTHER, 1 },
    { "F8_E5M2", MCAM_DTYPE_OTHER, 1 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (table); i++)
    if (strcmp (s, table[i].name) == 0)
      {
        *dtype = table[i].dtype;
        *size = table[i].size;
        return TRUE;
      }
  return FALSE;
}

static gboolean
format_error (GError **error, const char *path, const char *fmt, ...) G_GNUC_PRINTF (3, 4);

static gboolean
format_error (GError **error, const char *path, const char *fmt, ...)
{
  va_list args;
  g_autofree char *msg = NULL;

  va_start (args, fmt);
  msg = g_strdup_vprintf (fmt, args);
  va_end (args);
  g_set_error (error, MCAM_ERROR, MCAM_ERROR_FORMAT,
               "%s: not a valid safetensors file: %s", path, msg);
  return FALSE;
}

/* JSON integers come back as gint64; refuse doubles, negatives and strings. */
static gboolean
json_get_uint (JsonNode *node, guint64 *out)
{
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  if (json_node_get_int (node) < 0)
    return FALSE;
  *out = (guint64) json_node_get_int (node);
  return TRUE;
}

static gboolean
parse_entry (McamSafetensors *st, const char *name, JsonNode *node, guint64 data_start,
             GError **error)
{
  JsonObject *obj;
  JsonNode *dtype_node, *shape_node, *offsets_node;
  JsonArray *shape, *offsets;
  Entry *e;
  guint64 numel = 1, begin, end, nbytes;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return format_error (error, st->path, "tensor '%s' is not a JSON object", name);
  obj = json_node_get_object (node);

  dtype_node = json_object_get_member (obj, "dtype");
  shape_node = json_object_get_member (obj, "shape");
  offsets_node = json_object_get_member (obj, "data_offsets");
  if (dtype_node == NULL || json_node_get_value_type (dtype_node) != G_TYPE_STRING)
    return format_error (error, st->path, "tensor '%s' has no dtype string", name);
  if (shape_node == NULL || !JSON_NODE_HOLDS_ARRAY (shape_node))
    return format_error (error, st->path, "tensor '%s' has no shape array", name);
  if (offsets_node == NULL || !JSON_NODE_HOLDS_ARRAY (offsets_node))
    return format_error (error, st->path, "tensor '%s' has no data_offsets array", name);

  e = g_new0 (Entry, 1);
  e->name = g_strdup (name);
  e->dtype_name = g_strdup (json_node_get_string (dtype_node));
  /* Owned by the table from here, so every early return below frees it. */
  g_hash_table_insert (st->entries, e->name, e);

  if (!parse_dtype (e->dtype_name, &e->dtype, &e->elem_size))
    return format_error (error, st->path, "tensor '%s' has unknown dtype '%s'",
                         name, e->dtype_name);

  shape = json_node_get_array (shape_node);
  if (json_array_get_length (shape) > MAX_DIMS)
    return format_error (error, st->path, "tensor '%s' has %u dimensions (at most %d)",
                         name, json_array_get_length (shape), MAX_DIMS);
  e->ndim = json_array_get_length (shape);
  for (int i = 0; i < e->ndim; i++)
    {
      guint64 d;

      if (!json_get_uint (json_array_get_element (shape, i), &d) || d > G_MAXINT32)
        return format_error (error, st->path, "tensor '%s' has a bad shape entry", name);
      e->shape[i] = (gint64) d;
      if (d != 0 && numel > G_MAXUINT64 / d)
        return format_error (error, st->path, "tensor '%s' is impossibly large", name);
      numel *= d;
    }

  offsets = json_node_get_array (offsets_node);
  if (json_array_get_length (offsets) != 2 ||
      !json_get_uint (json_array_get_element (offsets, 0), &begin) ||
      !json_get_uint (json_array_get_element (offsets, 1), &end) || begin > end)
    return format_error (error, st->path, "tensor '%s' has bad data_offsets", name);
  if (end > st->size - data_start)
    return format_error (error, st->path,
                         "tensor '%s' ends at byte %" G_GUINT64_FORMAT
                         " of a %" G_GUINT64_FORMAT "-byte data area (truncated file?)",
                         name, end, st->size - data_start);
  if (numel > G_MAXUINT64 / (guint64) e->elem_size)
    return format_error (error, st->path, "tensor '%s' is impossibly large", name);
  nbytes = numel * (guint64) e->elem_size;
  if (nbytes != end - begin)
    return format_error (error, st->path,
                         "tensor '%s': its shape and dtype need %" G_GUINT64_FORMAT
                         " bytes but data_offsets span %" G_GUINT64_FORMAT,
                         name, nbytes, end - begin);
  e->begin = data_start + begin;
  e->end = data_start + end;
  return TRUE;
}

static int
compare_entries_by_begin (gconstpointer a, gconstpointer b)
{
  const Entry *ea = *(const Entry **) a, *eb = *(const Entry **) b;

  if (ea->begin != eb->begin)
    return ea->begin < eb->begin ? -1 : 1;
  return ea->end < eb->end ? -1 : ea->end > eb->end;
}

static gboolean
check_no_overlap (McamSafetensors *st, GError **error)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, st->entries);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (list, value);
  g_ptr_array_sort (list, compare_entries_by_begin);
  for (guint i = 1; i < list->len; i++)
    {
      const Entry *prev = list->pdata[i - 1], *cur = list->pdata[i];

      /* Empty tensors take no bytes and cannot overlap anything. */
      if (cur->begin < prev->end && cur->end > cur->begin)
        return format_error (error, st->path, "tensors '%s' and '%s' overlap",
                             prev->name, cur->name);
    }
  return TRUE;
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char **) a, *(const char **) b);
}

McamSafetensors *
mcam_safetensors_open (const char *path, GError **error)
{
  g_autoptr(McamSafetensors) st = g_new0 (McamSafetensors, 1);
  g_autoptr(GError) local = NULL;
  g_autoptr(JsonParser) parser = NULL;
  JsonNode *root;
  JsonObject *obj;
  g_autoptr(GList) members = NULL;
  guint64 header_len, data_start;
  GPtrArray *names;

  st->path = g_strdup (path);
  st->entries = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, entry_free);
  st->metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  /* Opened without blocking and checked before reading: a FIFO, a device
   * or a folder is refused at once, naming what it is. */
  st->contents = mcam_file_read (path, MCAM_SAFETENSORS_MAX_FILE, "safetensors file", error);
  if (st->contents == NULL)
    return NULL;
  {
    gsize size;

    st->bytes = g_bytes_get_data (st->contents, &size);
    st->size = size;
  }

  if (st->size < 8)
    {
      format_error (error, path, "the file is %" G_GUINT64_FORMAT " bytes long, "
                    "shorter than the 8-byte header length", st->size);
      return NULL;
    }
  header_len = 0;
  for (int i = 7; i >= 0; i--)
    header_len = (header_len << 8) | st->bytes[i];
  if (header_len > MCAM_SAFETENSORS_MAX_HEADER)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_TOO_LARGE,
                   "%s: not a valid safetensors file: the header claims %" G_GUINT64_FORMAT
                   " bytes (the limit is %u)", path, header_len, MCAM_SAFETENSORS_MAX_HEADER);
      return NULL;
    }
  if (header_len < 2 || header_len > st->size - 8)
    {
      format_error (error, path, "the header claims %" G_GUINT64_FORMAT " bytes but the file "
                    "has %" G_GUINT64_FORMAT " after the length", header_len, st->size - 8);
      return NULL;
    }
  data_start = 8 + header_len;

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, (const char *) st->bytes + 8, (gssize) header_len,
                                   &local))
    {
      format_error (error, path, "the header is not JSON (%s)", local->message);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      format_error (error, path, "the header is not a JSON object");
      return NULL;
    }
  obj = json_node_get_object (root);
  members = json_object_get_members (obj);
  for (GList *l = members; l; l = l->next)
    {
      const char *name = l->data;
      JsonNode *node = json_object_get_member (obj, name);

      if (strcmp (name, "__metadata__") == 0)
        {
          JsonObject *meta;
          g_autoptr(GList) keys = NULL;

          if (!JSON_NODE_HOLDS_OBJECT (node))
            {
              format_error (error, path, "__metadata__ is not an object");
              return NULL;
            }
          meta = json_node_get_object (node);
          keys = json_object_get_members (meta);
          for (GList *k = keys; k; k = k->next)
            {
              JsonNode *v = json_object_get_member (meta, k->data);

              if (json_node_get_value_type (v) != G_TYPE_STRING)
                {
                  format_error (error, path, "metadata '%s' is not a string",
                                (const char *) k->data);
                  return NULL;
                }
              g_hash_table_insert (st->metadata, g_strdup (k->data),
                                   g_strdup (json_node_get_string (v)));
            }
          continue;
        }
      if (!parse_entry (st, name, node, data_start, error))
        return NULL;
    }
  if (!check_no_overlap (st, error))
    return NULL;

  names = g_ptr_array_new ();
  {
    GHashTableIter iter;
    gpointer key;

    g_hash_table_iter_init (&iter, st->entries);
    while (g_hash_table_iter_next (&iter, &key, NULL))
      g_ptr_array_add (names, g_strdup (key));
  }
  g_ptr_array_sort (names, compare_strings);
  g_ptr_array_add (names, NULL);
  st->names = (char **) g_ptr_array_free (names, FALSE);

  return g_steal_pointer (&st);
}

void
mcam_safetensors_free (McamSafetensors *st)
{
  if (st == NULL)
    return;
  g_clear_pointer (&st->entries, g_hash_table_unref);
  g_clear_pointer (&st->metadata, g_hash_table_unref);
  g_clear_pointer (&st->contents, g_bytes_unref);
  g_strfreev (st->names);
  g_free (st->path);
  g_free (st);
}

const char *
mcam_safetensors_get_path (McamSafetensors *st)
{
  return st->path;
}

const char *
mcam_safetensors_get_metadata (McamSafetensors *st, const char *key)
{
  return g_hash_table_lookup (st->metadata, key);
}

GHashTable *
mcam_safetensors_get_all_metadata (McamSafetensors *st)
{
  return st->metadata;
}

guint
mcam_safetensors_get_n_tensors (McamSafetensors *st)
{
  return g_hash_table_size (st->entries);
}

const char *const *
mcam_safetensors_get_names (McamSafetensors *st)
{
  return (const char *const *) st->names;
}

gboolean
mcam_safetensors_has (McamSafetensors *st, const char *name)
{
  return g_hash_table_contains (st->entries, name);
}

gboolean
mcam_safetensors_get_shape (McamSafetensors *st, const char *name, int *ndim,
                            gint64 shape[8])
{
  const Entry *e = g_hash_table_lookup (st->entries, name);

  if (e == NULL)
    return FALSE;
  *ndim = e->ndim;
  memcpy (shape, e->shape, sizeof (gint64) * e->ndim);
  return TRUE;
}

McamTensor *
mcam_safetensors_read (McamSafetensors *st, const char *name, int ndim,
                       const gint64 *expected_shape, GError **error)
{
  const Entry *e = g_hash_table_lookup (st->entries, name);
  g_autoptr(McamTensor) t = NULL;
  const guint8 *src;

  if (e == NULL)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_SHAPE, "%s: tensor '%s' is missing",
                   st->path, name);
      return NULL;
    }
  if (expected_shape != NULL)
    {
      gboolean ok = e->ndim == ndim;

      for (int i = 0; ok && i < ndim; i++)
        ok = expected_shape[i] < 0 || expected_shape[i] == e->shape[i];
      if (!ok)
        {
          g_autofree char *want = mcam_tensor_shape_to_string (ndim, expected_shape);
          g_autofree char *got = mcam_tensor_shape_to_string (e->ndim, e->shape);

          /* -1 reads better as '?' in a message meant for people. */
          g_strdelimit (want, "-", ' ');
          g_set_error (error, MCAM_ERROR, MCAM_ERROR_SHAPE,
                       "%s: tensor '%s' has shape %s, expected %s", st->path, name, got, want);
          return NULL;
        }
    }
  if (e->ndim > MCAM_TENSOR_MAX_DIMS)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_UNSUPPORTED,
                   "%s: tensor '%s' has %d dimensions (at most %d are supported)",
                   st->path, name, e->ndim, MCAM_TENSOR_MAX_DIMS);
      return NULL;
    }
  if (e->dtype == MCAM_DTYPE_OTHER)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_UNSUPPORTED,
                   "%s: tensor '%s' has dtype %s (only F32, F16 and BF16 are supported)",
                   st->path, name, e->dtype_name);
      return NULL;
    }

  t = mcam_tensor_new (e->ndim, e->shape);
  src = st->bytes + e->begin;
  for (gsize i = 0; i < t->n; i++)
    {
      const guint8 *b = src + i * e->elem_size;
      guint32 bits;

      switch (e->dtype)
        {
        case MCAM_DTYPE_F32:
          bits = (guint32) b[0] | (guint32) b[1] << 8 | (guint32) b[2] << 16 |
                 (guint32) b[3] << 24;
          memcpy (&t->data[i], &bits, 4);
          break;
        case MCAM_DTYPE_F16:
          t->data[i] = mcam_half_to_float ((guint16) (b[0] | b[1] << 8));
          break;
        case MCAM_DTYPE_BF16:
          t->data[i] = mcam_bfloat16_to_float ((guint16) (b[0] | b[1] << 8));
          break;
        case MCAM_DTYPE_OTHER:
        default:
          g_assert_not_reached ();
        }
      if (!isfinite (t->data[i]))
        {
          g_set_error (error, MCAM_ERROR, MCAM_ERROR_VALUE,
                       "%s: tensor '%s' holds a non-finite value (%s) at element %" G_GSIZE_FORMAT,
                       st->path, name, isnan (t->data[i]) ? "NaN" : "Inf", i);
          return NULL;
        }
    }
  return g_steal_pointer (&t);
}

/* ---- writer ------------------------------------------------------------ */

typedef struct
{
  char   *name;
  int     ndim;
  gint64  shape[MAX_DIMS];
  float  *data;
  gsize   n;
} WriterEntry;

struct _McamSafetensorsWriter
{
  GPtrArray  *entries;
  GHashTable *metadata;
};

static void
writer_entry_free (gpointer p)
{
  WriterEntry *e = p;

  g_free (e->name);
  g_free (e->data);
  g_free (e);
}

McamSafetensorsWriter *
mcam_safetensors_writer_new (void)
{
  McamSafetensorsWriter *w = g_new0 (McamSafetensorsWriter, 1);

  w->entries = g_ptr_array_new_with_free_func (writer_entry_free);
  w->metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return w;
}

void
mcam_safetensors_writer_free (McamSafetensorsWriter *w)
{
  if (w == NULL)
    return;
  g_ptr_array_unref (w->entries);
  g_hash_table_unref (w->metadata);
  g_free (w);
}

void
mcam_safetensors_writer_add (McamSafetensorsWriter *w, const char *name, int ndim,
                             const gint64 *shape, const float *data)
{
  WriterEntry *e;

  g_return_if_fail (ndim >= 0 && ndim <= MAX_DIMS);

  e = g_new0 (WriterEntry, 1);
  e->name = g_strdup (name);
  e->ndim = ndim;
  memcpy (e->shape, shape, sizeof (gint64) * ndim);
  e->n = (gsize) mcam_shape_numel (ndim, shape);
  e->data = g_memdup2 (data, e->n * sizeof (float));
  g_ptr_array_add (w->entries, e);
}

void
mcam_safetensors_writer_add_tensor (McamSafetensorsWriter *w, const char *name,
                                    const McamTensor *t)
{
  mcam_safetensors_writer_add (w, name, t->ndim, t->shape, t->data);
}

void
mcam_safetensors_writer_set_metadata (McamSafetensorsWriter *w, const char *key,
                                      const char *value)
{
  g_hash_table_insert (w->metadata, g_strdup (key), g_strdup (value));
}

static int
compare_writer_entries (gconstpointer a, gconstpointer b)
{
  const WriterEntry *ea = *(const WriterEntry **) a, *eb = *(const WriterEntry **) b;

  return strcmp (ea->name, eb->name);
}

gboolean
mcam_safetensors_writer_save (McamSafetensorsWriter *w, const char *path, GError **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autofree char *header = NULL;
  gsize header_len, padded;
  guint64 offset = 0;
  guint8 len_bytes[8];

  g_ptr_array_sort (w->entries, compare_writer_entries);

  json_builder_begin_object (b);
  if (g_hash_table_size (w->metadata) > 0)
    {
      g_autoptr(GList) keys = g_hash_table_get_keys (w->metadata);

      keys = g_list_sort (keys, (GCompareFunc) strcmp);
      json_builder_set_member_name (b, "__metadata__");
      json_builder_begin_object (b);
      for (GList *l = keys; l; l = l->next)
        {
          json_builder_set_member_name (b, l->data);
          json_builder_add_string_value (b, g_hash_table_lookup (w->metadata, l->data));
        }
      json_builder_end_object (b);
    }
  for (guint i = 0; i < w->entries->len; i++)
    {
      const WriterEntry *e = w->entries->pdata[i];

      json_builder_set_member_name (b, e->name);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "dtype");
      json_builder_add_string_value (b, "F32");
      json_builder_set_member_name (b, "shape");
      json_builder_begin_array (b);
      for (int d = 0; d < e->ndim; d++)
        json_builder_add_int_value (b, e->shape[d]);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "data_offsets");
      json_builder_begin_array (b);
      json_builder_add_int_value (b, (gint64) offset);
      json_builder_add_int_value (b, (gint64) (offset + e->n * 4));
      json_builder_end_array (b);
      json_builder_end_object (b);
      offset += e->n * 4;
    }
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  header = json_generator_to_data (gen, &header_len);
  /* Pad with spaces so the data area starts 8-byte aligned (as the HF writer does). */
  padded = (header_len + 7) & ~(gsize) 7;

  for (int i = 0; i < 8; i++)
    len_bytes[i] = (guint8) ((guint64) padded >> (8 * i));
  g_byte_array_append (out, len_bytes, 8);
  g_byte_array_append (out, (const guint8 *) header, header_len);
  for (gsize i = header_len; i < padded; i++)
    g_byte_array_append (out, (const guint8 *) " ", 1);
  for (guint i = 0; i < w->entries->len; i++)
    {
      const WriterEntry *e = w->entries->pdata[i];

#if G_BYTE_ORDER == G_LITTLE_ENDIAN
      g_byte_array_append (out, (const guint8 *) e->data, e->n * 4);
#else
      for (gsize k = 0; k < e->n; k++)
        {
          guint32 bits;
          guint8 le[4];

          memcpy (&bits, &e->data[k], 4);
          for (int j = 0; j < 4; j++)
            le[j] = (guint8) (bits >> (8 * j));
          g_byte_array_append (out, le, 4);
        }
#endif
    }

  return mcam_file_write_atomic (path, out->data, out->len, error);
}
