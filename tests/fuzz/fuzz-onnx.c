/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: any bytes given to the ONNX reader must yield a model or
 * a GError — never a crash, a hang, an over-read or an allocation the input
 * does not pay for. What parses is then read back: every initializer's and
 * every tensor attribute's values, through the accessors the engine uses.
 * Build: meson setup build-fuzz -Dfuzz=true -Dapp=false (CC=clang). */

#include "config.h"

#include <stdint.h>

#include "mcam/mcam-error.h"
#include "mcam-onnx.h"

static void
read_tensor (const McamOnnxTensor *t)
{
  /* n_elements is bounded by the bytes that hold the values (the parser
   * checked it), so this allocation is paid for by the input */
  gint64 *buf = g_new (gint64, t->n_elements > 0 ? t->n_elements : 1);
  GError *error = NULL;

  if (!mcam_onnx_tensor_get_floats (t, (float *) buf, &error))
    {
      g_clear_error (&error);
      if (!mcam_onnx_tensor_get_int64s (t, buf, &error))
        g_clear_error (&error);
    }
  g_free (buf);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  /* an exact-size copy: reading past it is an ASan report */
  GBytes *bytes = g_bytes_new (data, size);
  GError *error = NULL;
  McamOnnxModel *m = mcam_onnx_model_parse (bytes, "fuzz.onnx", &error);

  g_bytes_unref (bytes);
  if (m == NULL)
    {
      g_assert (error != NULL && error->message != NULL);
      g_error_free (error);
      return 0;
    }
  for (guint i = 0; i < m->n_initializers; i++)
    {
      g_assert (mcam_onnx_model_get_initializer (m, m->initializers[i].name) != NULL);
      read_tensor (&m->initializers[i]);
    }
  for (guint n = 0; n < m->n_nodes; n++)
    for (guint a = 0; a < m->nodes[n].n_attributes; a++)
      {
        const McamOnnxAttribute *attr = &m->nodes[n].attributes[a];

        if (attr->t != NULL)
          read_tensor (attr->t);
        for (guint k = 0; k < attr->n_tensors; k++)
          read_tensor (&attr->tensors[k]);
      }
  mcam_onnx_model_free (m);
  return 0;
}
