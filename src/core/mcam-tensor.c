/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "mcam/mcam-tensor.h"

static McamTensor *
tensor_alloc (int ndim, const gint64 *shape)
{
  McamTensor *t;

  g_return_val_if_fail (ndim >= 0 && ndim <= MCAM_TENSOR_MAX_DIMS, NULL);

  t = g_new0 (McamTensor, 1);
  t->ndim = ndim;
  for (int i = 0; i < MCAM_TENSOR_MAX_DIMS; i++)
    t->shape[i] = i < ndim ? shape[i] : 1;
  t->n = (gsize) mcam_shape_numel (ndim, shape);
  return t;
}

McamTensor *
mcam_tensor_new (int ndim, const gint64 *shape)
{
  McamTensor *t = tensor_alloc (ndim, shape);

  /* 64-byte alignment keeps the sgemm kernels on their aligned paths. */
  t->data = g_aligned_alloc0 (MAX (t->n, 1), sizeof (float), 64);
  t->owns_data = TRUE;
  return t;
}

McamTensor *
mcam_tensor_new_1d (gint64 a)
{
  return mcam_tensor_new (1, (gint64[]) { a });
}

McamTensor *
mcam_tensor_new_2d (gint64 a, gint64 b)
{
  return mcam_tensor_new (2, (gint64[]) { a, b });
}

McamTensor *
mcam_tensor_new_3d (gint64 a, gint64 b, gint64 c)
{
  return mcam_tensor_new (3, (gint64[]) { a, b, c });
}

McamTensor *
mcam_tensor_new_4d (gint64 a, gint64 b, gint64 c, gint64 d)
{
  return mcam_tensor_new (4, (gint64[]) { a, b, c, d });
}

McamTensor *
mcam_tensor_new_view (float *data, int ndim, const gint64 *shape)
{
  McamTensor *t = tensor_alloc (ndim, shape);

  t->data = data;
  t->owns_data = FALSE;
  return t;
}

McamTensor *
mcam_tensor_copy (const McamTensor *t)
{
  McamTensor *copy = mcam_tensor_new (t->ndim, t->shape);

  memcpy (copy->data, t->data, t->n * sizeof (float));
  return copy;
}

void
mcam_tensor_free (McamTensor *t)
{
  if (t == NULL)
    return;
  if (t->owns_data)
    g_aligned_free (t->data);
  g_free (t);
}

gboolean
mcam_tensor_has_shape (const McamTensor *t, int ndim, const gint64 *shape)
{
  if (t->ndim != ndim)
    return FALSE;
  for (int i = 0; i < ndim; i++)
    if (t->shape[i] != shape[i])
      return FALSE;
  return TRUE;
}

char *
mcam_tensor_shape_to_string (int ndim, const gint64 *shape)
{
  GString *s = g_string_new ("[");

  for (int i = 0; i < ndim; i++)
    g_string_append_printf (s, "%s%" G_GINT64_FORMAT, i ? "," : "", shape[i]);
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

gboolean
mcam_tensor_all_finite (const McamTensor *t)
{
  for (gsize i = 0; i < t->n; i++)
    if (!isfinite (t->data[i]))
      return FALSE;
  return TRUE;
}
