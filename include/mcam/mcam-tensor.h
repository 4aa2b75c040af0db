/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MCAM_TENSOR_MAX_DIMS 4

/* A dense, row-major (C order) float32 tensor: NCHW for activations, [out,in]
 * for linear weights, [out,in,kh,kw] for convolution weights.
 *
 * A tensor either owns its buffer (owns_data = TRUE, freed with the tensor) or
 * is a view into memory owned by someone else (a mapped file, a larger tensor). */
typedef struct
{
  float   *data;
  gsize    n;                               /* number of elements */
  int      ndim;
  gint64   shape[MCAM_TENSOR_MAX_DIMS];     /* unused dims are 1 */
  gboolean owns_data;
} McamTensor;

McamTensor *mcam_tensor_new       (int ndim, const gint64 *shape);   /* zero-filled */
McamTensor *mcam_tensor_new_1d    (gint64 a);
McamTensor *mcam_tensor_new_2d    (gint64 a, gint64 b);
McamTensor *mcam_tensor_new_3d    (gint64 a, gint64 b, gint64 c);
McamTensor *mcam_tensor_new_4d    (gint64 a, gint64 b, gint64 c, gint64 d);
McamTensor *mcam_tensor_new_view  (float *data, int ndim, const gint64 *shape);
McamTensor *mcam_tensor_copy      (const McamTensor *t);
void        mcam_tensor_free      (McamTensor *t);
gboolean    mcam_tensor_has_shape (const McamTensor *t, int ndim, const gint64 *shape);
char       *mcam_tensor_shape_to_string (int ndim, const gint64 *shape); /* "[64,3,7,7]" */
gboolean    mcam_tensor_all_finite (const McamTensor *t);

/* Element count helpers. */
static inline gint64
mcam_shape_numel (int ndim, const gint64 *shape)
{
  gint64 n = 1;
  for (int i = 0; i < ndim; i++)
    n *= shape[i];
  return n;
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (McamTensor, mcam_tensor_free)

G_END_DECLS
