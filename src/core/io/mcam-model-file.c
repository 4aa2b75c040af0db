/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Which model format a file is, from its first bytes; PyTorch files refused
 * with the way in. */

#include "config.h"

#include <string.h>
#include <unistd.h>

#include "mcam/mcam-error.h"
#include "mcam-file.h"
#include "mcam-model-file.h"
#include "mcam-onnx-private.h"

/* torch.save's legacy format starts with this number, pickled as a long:
 * \x8a (LONG1) \x0a (ten bytes) then the bytes, little-endian. */
static const guint8 torch_legacy_magic[] = {
  0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19,
};

static gboolean
contains (const guint8 *data, gsize len, const char *needle)
{
  gsize n = strlen (needle);

  for (gsize i = 0; i + n <= len; i++)
    if (memcmp (data + i, needle, n) == 0)
      return TRUE;
  return FALSE;
}

/* A zip written by torch.save / torch.jit.save: its entries are
 * "<name>/data.pkl", "<name>/data/0", "<name>/version", … The first local
 * header names the first entry; the sniffed bytes are searched too, since a
 * TorchScript archive may start with another entry. */
static gboolean
is_pytorch_zip (const guint8 *data, gsize len)
{
  if (len < 30 || memcmp (data, "PK\3\4", 4) != 0)
    return FALSE;
  {
    gsize name_len = data[26] | (data[27] << 8);
    const guint8 *name = data + 30;

    if (name_len > len - 30)
      name_len = len - 30;
    if (contains (name, name_len, ".pkl") || contains (name, name_len, "/data/") ||
        contains (name, name_len, "/version"))
      return TRUE;
  }
  return contains (data, len, "data.pkl") || contains (data, len, "constants.pkl");
}

/* ModelProto's top-level fields and their wire types; exporters write them
 * in field order, ir_version (a small varint) first. */
static gboolean
looks_like_onnx (const guint8 *data, gsize len)
{
  const guint8 *p = data, *end = data + len;
  McamOnnxField f;
  gboolean ir_version = FALSE, graph = FALSE;
  int n_fields = 0;

  while (p < end)
    {
      const guint8 *start = p;
      int r = _mcam_onnx_next_field (&p, end, &f);

      if (r < 0)
        {
          /* a length-delimited field cut by the end of the sniffed bytes
           * is fine (the graph usually is) */
          guint64 key, flen;
          const guint8 *q = start;

          if (!_mcam_onnx_read_varint (&q, end, &key) || (key & 7) != 2 ||
              !_mcam_onnx_read_varint (&q, end, &flen))
            return FALSE;
          if ((key >> 3) == 7)
            graph = TRUE;
          else if ((key >> 3) != 2 && (key >> 3) != 3 && (key >> 3) != 4 && (key >> 3) != 6 &&
                   (key >> 3) != 8 && (key >> 3) != 14 && (key >> 3) != 20 && (key >> 3) != 25)
            return FALSE;
          n_fields++;
          break;
        }
      switch (f.number)
        {
        case 1:
          if (f.wire != 0 || f.value == 0 || f.value > 100)
            return FALSE;
          ir_version = TRUE;
          break;
        case 5:
          if (f.wire != 0)
            return FALSE;
          break;
        case 7:
          if (f.wire != 2)
            return FALSE;
          graph = TRUE;
          break;
        case 2: case 3: case 4: case 6: case 8: case 14: case 20: case 25:
          if (f.wire != 2)
            return FALSE;
          break;
        default:
          return FALSE;
        }
      n_fields++;
    }
  return n_fields > 0 && (ir_version || graph);
}

McamModelFileKind
mcam_model_file_sniff (const guint8 *data, gsize len)
{
  g_return_val_if_fail (data != NULL || len == 0, MCAM_MODEL_FILE_UNKNOWN);

  len = MIN (len, MCAM_MODEL_FILE_SNIFF_BYTES);
  if (len >= 10 && data[8] == '{')
    {
      guint64 header = 0;

      for (int i = 0; i < 8; i++)
        header |= (guint64) data[i] << (8 * i);
      if (header >= 2)
        return MCAM_MODEL_FILE_SAFETENSORS;
    }
  if (is_pytorch_zip (data, len))
    return MCAM_MODEL_FILE_PYTORCH_ZIP;
  /* PROTO opcode, protocol 2 to 5 */
  if (len >= 2 && data[0] == 0x80 && data[1] >= 2 && data[1] <= 5)
    return MCAM_MODEL_FILE_PYTORCH_PICKLE;
  if (looks_like_onnx (data, len))
    return MCAM_MODEL_FILE_ONNX;
  return MCAM_MODEL_FILE_UNKNOWN;
}

const char *
mcam_model_file_kind_get_name (McamModelFileKind kind)
{
  switch (kind)
    {
    case MCAM_MODEL_FILE_SAFETENSORS: return "safetensors";
    case MCAM_MODEL_FILE_ONNX: return "ONNX";
    case MCAM_MODEL_FILE_PYTORCH_ZIP: return "PyTorch (zip)";
    case MCAM_MODEL_FILE_PYTORCH_PICKLE: return "PyTorch (pickle)";
    case MCAM_MODEL_FILE_UNKNOWN:
    default: return "unknown";
    }
}

gboolean
mcam_model_file_probe (const char *path, McamModelFileKind *kind, GError **error)
{
  guint8 head[MCAM_MODEL_FILE_SNIFF_BYTES];
  g_autofree char *shown = NULL;
  const char *detail;
  struct stat st;
  gsize n;
  int fd;

  g_return_val_if_fail (path != NULL && kind != NULL, FALSE);

  fd = mcam_file_open_regular (path, "model", &st, error);
  if (fd < 0)
    return FALSE;
  n = (gsize) MIN ((guint64) st.st_size, (guint64) sizeof head);
  if (!mcam_file_pread_exact (fd, head, n, 0, path, "model", error))
    {
      close (fd);
      return FALSE;
    }
  close (fd);

  *kind = mcam_model_file_sniff (head, n);
  if (*kind == MCAM_MODEL_FILE_PYTORCH_ZIP)
    detail = "torch.save, a zip archive";
  else if (n >= 2 + sizeof torch_legacy_magic &&
           memcmp (head + 2, torch_legacy_magic, sizeof torch_legacy_magic) == 0)
    detail = "torch.save, a pickle";
  else
    detail = "a Python pickle";
  if (*kind != MCAM_MODEL_FILE_PYTORCH_ZIP && *kind != MCAM_MODEL_FILE_PYTORCH_PICKLE)
    return TRUE;

  shown = mcam_file_display_name (path);
  g_set_error (error, MCAM_ERROR, MCAM_ERROR_UNSUPPORTED,
               "%s: this is a PyTorch file (%s), which mcam does not open: "
               "it would have to be unpickled, and unpickling runs code. "
               "Export the network to ONNX once with tools/export_model.py "
               "(PyTorch needed there only), then open the .onnx file; "
               "see docs/BRING-YOUR-MODEL.md",
               shown, detail);
  return FALSE;
}
