/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The M-CAM memory module (DESIGN 3, 4): the parameter type, loading and
 * validating against the backbone, atomic saving, and inference (4.3, 4.6),
 * Algorithm 1 (4.4) and the channel weights of the M-CAM maps (4.5). */

#include "config.h"

#include <math.h>
#include <string.h>

#include "mcam/mcam-blas.h"
#include "mcam/mcam-error.h"
#include "mcam/mcam-safetensors.h"
#include "mcam-memory-private.h"

#define META_PREFIX "mcam.memory."

McamMemory *
mcam_memory_new (int n_slots, int c, int h, int w, int n_classes, float scale)
{
  g_return_val_if_fail (n_slots > 0 && c > 0 && h > 0 && w > 0 && n_classes > 0, NULL);

  McamMemory *mem = g_new0 (McamMemory, 1);
  gsize hw = (gsize) h * w;

  mem->n_slots = n_slots;
  mem->c = c;
  mem->h = h;
  mem->w = w;
  mem->n_classes = n_classes;
  mem->scale = scale;
  mem->S = g_new0 (float, (gsize) n_slots * c * hw);
  mem->K = g_new0 (float, (gsize) n_slots * c);
  mem->V = g_new0 (float, (gsize) n_slots * c);
  mem->G0_w = g_new0 (float, (gsize) c * n_classes);
  mem->G0_b = g_new0 (float, c);
  mem->G2_w = g_new0 (float, (gsize) c * c);
  mem->G2_b = g_new0 (float, c);
  mem->fc_w = g_new0 (float, (gsize) n_classes * 2 * c);
  mem->fc_b = g_new0 (float, n_classes);
  mem->metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return mem;
}

/* Every parameter tensor: name, pointer into the struct, shape. */
typedef struct
{
  const char *name;
  float     **data;
  int         ndim;
  gint64      shape[4];
} ParamSpec;

static int
param_specs (McamMemory *mem, ParamSpec specs[9])
{
  gint64 N = mem->n_slots, c = mem->c, h = mem->h, w = mem->w, C = mem->n_classes;
  ParamSpec all[9] = {
    { "memory.S", &mem->S, 4, { N, c, h, w } },
    { "memory.K", &mem->K, 2, { N, c } },
    { "memory.V", &mem->V, 2, { N, c } },
    { "memory.G.0.weight", &mem->G0_w, 2, { c, C } },
    { "memory.G.0.bias", &mem->G0_b, 1, { c } },
    { "memory.G.2.weight", &mem->G2_w, 2, { c, c } },
    { "memory.G.2.bias", &mem->G2_b, 1, { c } },
    { "memory.fc.weight", &mem->fc_w, 2, { C, 2 * c } },
    { "memory.fc.bias", &mem->fc_b, 1, { C } },
  };
  memcpy (specs, all, sizeof all);
  return 9;
}

McamMemory *
mcam_memory_copy (const McamMemory *mem)
{
  g_return_val_if_fail (mem != NULL, NULL);

  McamMemory *copy = mcam_memory_new (mem->n_slots, mem->c, mem->h, mem->w, mem->n_classes,
                                      mem->scale);
  ParamSpec src[9], dst[9];
  int n = param_specs ((McamMemory *) mem, src);
  param_specs (copy, dst);
  for (int i = 0; i < n; i++)
    memcpy (*dst[i].data, *src[i].data,
            sizeof (float) * mcam_shape_numel (src[i].ndim, src[i].shape));

  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init (&it, mem->metadata);
  while (g_hash_table_iter_next (&it, &k, &v))
    g_hash_table_insert (copy->metadata, g_strdup (k), g_strdup (v));
  return copy;
}

void
mcam_memory_free (McamMemory *mem)
{
  if (mem == NULL)
    return;
  g_free (mem->S);
  g_free (mem->K);
  g_free (mem->V);
  g_free (mem->G0_w);
  g_free (mem->G0_b);
  g_free (mem->G2_w);
  g_free (mem->G2_b);
  g_free (mem->fc_w);
  g_free (mem->fc_b);
  if (mem->metadata)
    g_hash_table_unref (mem->metadata);
  g_free (mem);
}

gboolean
mcam_memory_has_memory (const char *path)
{
  g_autoptr(McamSafetensors) st = mcam_safetensors_open (path, NULL);
  if (st == NULL)
    return FALSE;
  const char *const *names = mcam_safetensors_get_names (st);
  for (int i = 0; names && names[i]; i++)
    if (g_str_has_prefix (names[i], "memory."))
      return TRUE;
  return FALSE;
}

/* The dimensions every tensor must agree on, read from the file's shapes. */
static gboolean
read_dims (McamSafetensors *st, const char *path, int dims[5], GError **error)
{
  int ndim;
  gint64 shape[8];

  if (!mcam_safetensors_get_shape (st, "memory.S", &ndim, shape))
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_SHAPE,
                   "%s: no memory module (the tensor memory.S is missing)", path);
      return FALSE;
    }
  if (ndim != 4)
    {
      g_autofree char *s = mcam_tensor_shape_to_string (ndim, shape);
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_SHAPE,
                   "%s: memory.S has shape %s; expected [N,c,h,w]", path, s);
      return FALSE;
    }
  for (int i = 0; i < 4; i++)
    if (shape[i] < 1 || shape[i] > (1 << 20))
      {
        g_autofree char *s = mcam_tensor_shape_to_string (ndim, shape);
        g_set_error (error, MCAM_ERROR, MCAM_ERROR_SHAPE,
                     "%s: memory.S has an unusable shape %s", path, s);
        return FALSE;
      }
  dims[0] = (int) shape[0];
  dims[1] = (int) shape[1];
  dims[2] = (int) shape[2];
  dims[3] = (int) shape[3];

  if (!mcam_safetensors_get_shape (st, "memory.fc.bias", &ndim, shape))
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_SHAPE,
                   "%s: the memory module has no memory.fc.bias", path);
      return FALSE;
    }
  if (ndim != 1 || shape[0] < 1 || shape[0] > (1 << 20))
    {
      g_autofree char *s = mcam_tensor_shape_to_string (ndim, shape);
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_SHAPE,
                   "%s: memory.fc.bias has shape %s; expected [C]", path, s);
      return FALSE;
    }
  dims[4] = (int) shape[0];
  return TRUE;
}

static McamMemory *
memory_load_from (McamSafetensors *st, const char *path, GError **error)
{
  int dims[5];
  if (!read_dims (st, path, dims, error))
    return NULL;

  float scale = 1.0f;
  const char *scale_s = mcam_safetensors_get_metadata (st, META_PREFIX "scale");
  if (scale_s != NULL)
    {
      char *end = NULL;
      double s = g_ascii_strtod (scale_s, &end);
      if (end == scale_s || *end != '\0' || !isfinite (s) || s <= 0.0 || s > 1e6)
        {
          g_set_error (error, MCAM_ERROR, MCAM_ERROR_VALUE,
                       "%s: mcam.memory.scale is “%s”; expected a positive number",
                       path, scale_s);
          return NULL;
        }
      scale = (float) s;
    }

  /* Check every shape against the file before allocating: each buffer is
   * then backed by bytes the reader has validated, so a forged header cannot
   * make us allocate more than the file holds. */
  {
    gint64 N = dims[0], c = dims[1], h = dims[2], w = dims[3], C = dims[4];
    const struct { const char *name; int ndim; gint64 shape[4]; } want[] = {
      { "memory.S", 4, { N, c, h, w } },
      { "memory.K", 2, { N, c } },
      { "memory.V", 2, { N, c } },
      { "memory.G.0.weight", 2, { c, C } },
      { "memory.G.0.bias", 1, { c } },
      { "memory.G.2.weight", 2, { c, c } },
      { "memory.G.2.bias", 1, { c } },
      { "memory.fc.weight", 2, { C, 2 * c } },
      { "memory.fc.bias", 1, { C } },
    };
    for (gsize i = 0; i < G_N_ELEMENTS (want); i++)
      {
        int ndim;
        gint64 shape[8];
        if (!mcam_safetensors_get_shape (st, want[i].name, &ndim, shape))
          {
            g_set_error (error, MCAM_ERROR, MCAM_ERROR_SHAPE,
                         "%s: the memory module has no tensor %s", path, want[i].name);
            return NULL;
          }
        if (!(ndim == want[i].ndim &&
              memcmp (shape, want[i].shape, sizeof (gint64) * ndim) == 0))
          {
            g_autofree char *got = mcam_tensor_shape_to_string (ndim, shape);
            g_autofree char *exp = mcam_tensor_shape_to_string (want[i].ndim, want[i].shape);
            g_set_error (error, MCAM_ERROR, MCAM_ERROR_SHAPE,
                         "%s: %s has shape %s; expected %s (N=%d slots, c×h×w=%d×%d×%d, "
                         "C=%d classes)", path, want[i].name, got, exp,
                         dims[0], dims[1], dims[2], dims[3], dims[4]);
            return NULL;
          }
      }
  }

  g_autoptr(McamMemory) mem = mcam_memory_new (dims[0], dims[1], dims[2], dims[3], dims[4],
                                               scale);
  ParamSpec specs[9];
  int n = param_specs (mem, specs);
  for (int i = 0; i < n; i++)
    {
      /* The reader names the file and tensor on any failure (absent, shape,
       * dtype, NaN/Inf). */
      g_autoptr(McamTensor) t = mcam_safetensors_read (st, specs[i].name, specs[i].ndim,
                                                       specs[i].shape, error);
      if (t == NULL)
        return NULL;
      g_assert (t->n == (gsize) mcam_shape_numel (specs[i].ndim, specs[i].shape));
      memcpy (*specs[i].data, t->data, sizeof (float) * t->n);
    }

  GHashTable *meta = mcam_safetensors_get_all_metadata (st);
  if (meta != NULL)
    {
      GHashTableIter it;
      gpointer k, v;
      g_hash_table_iter_init (&it, meta);
      while (g_hash_table_iter_next (&it, &k, &v))
        if (g_str_has_prefix (k, META_PREFIX))
          g_hash_table_insert (mem->metadata, g_strdup (k), g_strdup (v));
    }
  return g_steal_pointer (&mem);
}

gboolean
mcam_memory_check_net (McamMemory *mem, McamNet *net, const char *path, GError **error)
{
  const McamNetInfo *info = mcam_net_get_info (net);
  const char *net_path = mcam_net_get_path (net);

  if (path == NULL)
    path = "the memory module";
  /* a memory is trained for one layer's f (first: its shape may differ) */
  const char *layer = g_hash_table_lookup (mem->metadata, META_PREFIX "layer");
  if (layer != NULL && info->target != NULL && g_strcmp0 (layer, info->target) != 0)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_MISMATCH,
                   "%s was trained for layer '%s' of %s, not for '%s' (open it with "
                   "--layer %s)", path, layer, net_path ? net_path : "the backbone",
                   info->target, layer);
      return FALSE;
    }
  if (info->feat_c != mem->c || info->feat_h != mem->h || info->feat_w != mem->w)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_MISMATCH,
                   "%s does not fit the backbone %s: the memory was made for features "
                   "of %d×%d×%d, the backbone gives %d×%d×%d",
                   path, net_path ? net_path : "", mem->c, mem->h, mem->w,
                   info->feat_c, info->feat_h, info->feat_w);
      return FALSE;
    }
  if (info->n_classes != mem->n_classes)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_MISMATCH,
                   "%s does not fit the backbone %s: the memory has %d classes, "
                   "the backbone %d",
                   path, net_path ? net_path : "", mem->n_classes, info->n_classes);
      return FALSE;
    }
  const char *fp = g_hash_table_lookup (mem->metadata, META_PREFIX "backbone");
  if (fp != NULL && info->fingerprint != NULL && g_strcmp0 (fp, info->fingerprint) != 0)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_MISMATCH,
                   "%s was trained with a different backbone than %s (backbone "
                   "fingerprint %s, this backbone is %s); train a memory for this "
                   "backbone or open the one it was trained with",
                   path, net_path ? net_path : "", fp, info->fingerprint);
      return FALSE;
    }
  return TRUE;
}

McamMemory *
mcam_memory_load (const char *path, McamNet *net, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);

  g_autoptr(McamSafetensors) st = mcam_safetensors_open (path, error);
  if (st == NULL)
    return NULL;
  g_autoptr(McamMemory) mem = memory_load_from (st, path, error);
  if (mem == NULL)
    return NULL;
  if (net != NULL && !mcam_memory_check_net (mem, net, path, error))
    return NULL;
  return g_steal_pointer (&mem);
}

gboolean
mcam_memory_save (McamMemory *mem, const char *path, GError **error)
{
  g_autoptr(McamSafetensorsWriter) wr = mcam_safetensors_writer_new ();
  ParamSpec specs[9];
  int n = param_specs (mem, specs);

  for (int i = 0; i < n; i++)
    mcam_safetensors_writer_add (wr, specs[i].name, specs[i].ndim, specs[i].shape,
                                 *specs[i].data);

  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init (&it, mem->metadata);
  while (g_hash_table_iter_next (&it, &k, &v))
    mcam_safetensors_writer_set_metadata (wr, k, v);

  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  g_ascii_formatd (buf, sizeof buf, "%.9g", mem->scale);
  mcam_safetensors_writer_set_metadata (wr, META_PREFIX "scale", buf);
  if (g_hash_table_lookup (mem->metadata, "mcam.format") == NULL)
    mcam_safetensors_writer_set_metadata (wr, "mcam.format", "1");

  return mcam_safetensors_writer_save (wr, path, error);
}

/* ---- Inference (DESIGN 4.3, 4.6) ---- */

void
mcam_memory_query (const McamMemory *mem, const float *f, float *q)
{
  _mcam_gap (f, mem->c, mem->h * mem->w, q);
}

void
mcam_memory_key_address (const McamMemory *mem, const float *q, float *p)
{
  /* p = addr(q, K) */
  _mcam_address (q, mem->K, mem->n_slots, mem->c, mem->scale, p);
}

void
mcam_memory_spatial_address (const McamMemory *mem, const float *f, float *p_s)
{
  /* p_s = addr(vec f, vec S_i) */
  _mcam_address (f, mem->S, mem->n_slots, (gsize) mem->c * mem->h * mem->w, mem->scale, p_s);
}

void
mcam_memory_read (const McamMemory *mem, const float *p, float *v)
{
  _mcam_read_value (mem, p, v);
}

void
mcam_memory_classify (const McamMemory *mem, const float *v, const float *q, float *z)
{
  _mcam_memory_logits (mem, v, q, z);
}

void
mcam_memory_value_address (const McamMemory *mem, int class_index, float *p)
{
  g_return_if_fail (class_index >= 0 && class_index < mem->n_classes);
  _mcam_value_address_of_class (mem, class_index, p);
}

/* Every class at once. e_c is one-hot, so G0·e_c is column c of G0 and
 * H = ReLU(G0ᵀ + b0) [C, c] needs no product; then G = H·G2ᵀ + b2 [C, c] and
 * the dot products D = G·Vᵀ [C, N] are two GEMMs, and cos(G_c, V_i) divides
 * D by the row norms. For a 1000-class resnet18 memory (N = 64) this takes
 * 7-9 ms; class by class (two GEMVs each, the first over all of G0) 67-84 ms. */
float *
mcam_memory_class_slot_matrix (const McamMemory *mem)
{
  int c = mem->c, C = mem->n_classes, N = mem->n_slots;
  float *m = g_new (float, (gsize) C * N);
  g_autofree float *H = g_new (float, (gsize) C * c);
  g_autofree float *G = g_new (float, (gsize) C * c);
  g_autofree double *v_norm = g_new (double, N);

  for (int cls = 0; cls < C; cls++)
    {
      for (int k = 0; k < c; k++)
        H[(gsize) cls * c + k] = MAX (0.0f, mem->G0_w[(gsize) k * C + cls] + mem->G0_b[k]);
      memcpy (G + (gsize) cls * c, mem->G2_b, sizeof (float) * c);
    }
  mcam_sgemm (FALSE, TRUE, C, c, c, 1.0f, H, c, mem->G2_w, c, 1.0f, G, c);
  mcam_sgemm (FALSE, TRUE, C, N, c, 1.0f, G, c, mem->V, c, 0.0f, m, N);

  for (int i = 0; i < N; i++)
    {
      double sq = 0.0;
      for (int k = 0; k < c; k++)
        sq += (double) mem->V[(gsize) i * c + k] * mem->V[(gsize) i * c + k];
      v_norm[i] = sqrt (sq);
    }
  for (int cls = 0; cls < C; cls++)
    {
      const float *g = G + (gsize) cls * c;
      float *row = m + (gsize) cls * N;
      double sq = 0.0;

      for (int k = 0; k < c; k++)
        sq += (double) g[k] * g[k];
      for (int i = 0; i < N; i++)
        row[i] = mem->scale * (float) (row[i] / MAX (sqrt (sq) * v_norm[i], MCAM_COSINE_EPS));
      _mcam_softmax (row, N);
    }
  return m;
}

void
mcam_memory_slot_classes (const McamMemory *mem, int *slot_class, float *slot_peak)
{
  g_autofree float *m = mcam_memory_class_slot_matrix (mem);
  int N = mem->n_slots;

  for (int i = 0; i < N; i++)
    {
      int best = 0;
      for (int c = 1; c < mem->n_classes; c++)
        if (m[(gsize) c * N + i] > m[(gsize) best * N + i])
          best = c;
      if (slot_class)
        slot_class[i] = best;
      if (slot_peak)
        slot_peak[i] = m[(gsize) best * N + i];
    }
}

void
mcam_memory_slot_similarity (const McamMemory *mem, const float *f, int slot, float *map)
{
  g_return_if_fail (slot >= 0 && slot < mem->n_slots);
  gsize hw = (gsize) mem->h * mem->w;
  const float *S = mem->S + (gsize) slot * mem->c * hw;

  /* Channel vectors at one position are strided by h·w. */
  for (gsize j = 0; j < hw; j++)
    map[j] = _mcam_cosine_strided (f + j, hw, S + j, hw, mem->c);
}

/* ---- Algorithm 1 (DESIGN 4.4) ---- */

int
mcam_memory_search_slot (const McamMemory *mem, const float *q, int class_index,
                         guint64 seed, int draws, float *delta)
{
  g_return_val_if_fail (class_index >= 0 && class_index < mem->n_classes, -1);
  int N = mem->n_slots, c = mem->c;
  if (draws < 1)
    draws = 1;

  /* Only row ĉ of fc matters: z_ĉ = Σ_j p_j (fc_v[ĉ] · V_j) + fc_q[ĉ] · q + b_ĉ,
   * and replacing key i changes only the i-th logit of the softmax. So each
   * perturbation costs O(c + N) instead of a full read-out. */
  const float *fc_row = mem->fc_w + (gsize) class_index * 2 * c;
  g_autofree double *u = g_new (double, N);       /* fc_v[ĉ] · V_j */
  g_autofree double *logit = g_new (double, N);   /* s · cos(q, K_j) */
  g_autofree float *w = g_new (float, c);
  double zq = mem->fc_b[class_index];

  for (int j = 0; j < N; j++)
    {
      double s = 0.0;
      const float *Vj = mem->V + (gsize) j * c;
      for (int k = 0; k < c; k++)
        s += (double) fc_row[k] * Vj[k];
      u[j] = s;
      logit[j] = (double) mem->scale * _mcam_cosine (q, mem->K + (gsize) j * c, c);
    }
  for (int k = 0; k < c; k++)
    zq += (double) fc_row[c + k] * q[k];

  /* z_ĉ, unperturbed */
  double m = logit[0];
  for (int j = 1; j < N; j++)
    m = MAX (m, logit[j]);
  double den = 0.0, num = 0.0;
  for (int j = 0; j < N; j++)
    {
      double e = exp (logit[j] - m);
      den += e;
      num += e * u[j];
    }
  double z0 = num / den + zq;

  McamRng rng;
  _mcam_rng_init (&rng, seed);
  int best = 0;
  for (int i = 0; i < N; i++)
    {
      double sum_delta = 0.0;
      for (int r = 0; r < draws; r++)
        {
          for (int k = 0; k < c; k++)
            w[k] = (float) _mcam_rng_normal (&rng);
          double li = (double) mem->scale * _mcam_cosine (q, w, c);
          double mm = li;
          for (int j = 0; j < N; j++)
            if (j != i)
              mm = MAX (mm, logit[j]);
          double d = 0.0, nu = 0.0;
          for (int j = 0; j < N; j++)
            {
              double e = exp ((j == i ? li : logit[j]) - mm);
              d += e;
              nu += e * u[j];
            }
          sum_delta += z0 - (nu / d + zq);
        }
      delta[i] = (float) (sum_delta / draws);
      if (delta[i] > delta[best])
        best = i;
    }
  return best;
}

/* ---- The M-CAM maps' channel weights (DESIGN 4.5) ---- */

void
mcam_memory_mcam_weights (const McamMemory *mem, const float *f, int slot, float temperature,
                          float *weights)
{
  g_return_if_fail (slot >= 0 && slot < mem->n_slots);
  gsize hw = (gsize) mem->h * mem->w;
  const float *S = mem->S + (gsize) slot * mem->c * hw;
  if (!(temperature > 0.0f))
    temperature = 1.0f;

  /* τ_k = cos(f_k, S_n,k) over the h·w positions; w_k = exp(τ_k / T) */
  for (int k = 0; k < mem->c; k++)
    weights[k] = expf (_mcam_cosine (f + k * hw, S + k * hw, hw) / temperature);
}

void
mcam_memory_profile_weights (const McamMemory *mem, int slot, float temperature,
                             float *weights)
{
  g_return_if_fail (slot >= 0 && slot < mem->n_slots);
  int N = mem->n_slots, c = mem->c;
  gsize hw = (gsize) mem->h * mem->w;
  g_autofree double *a = g_new (double, (gsize) N * c);  /* a_k(i) */
  g_autofree double *d = g_new (double, c);
  if (!(temperature > 0.0f))
    temperature = 1.0f;

  for (int i = 0; i < N; i++)
    for (int k = 0; k < c; k++)
      {
        const float *Sik = mem->S + ((gsize) i * c + k) * hw;
        double s = 0.0;
        for (gsize j = 0; j < hw; j++)
          s += Sik[j];
        a[(gsize) i * c + k] = s / hw;
      }

  /* d_k = a_k(n) − mean_i a_k(i) */
  double mean_d = 0.0;
  for (int k = 0; k < c; k++)
    {
      double s = 0.0;
      for (int i = 0; i < N; i++)
        s += a[(gsize) i * c + k];
      d[k] = a[(gsize) slot * c + k] - s / N;
      mean_d += d[k];
    }
  mean_d /= c;
  double var = 0.0;
  for (int k = 0; k < c; k++)
    var += (d[k] - mean_d) * (d[k] - mean_d);
  /* Bessel-corrected, like torch.std (the PyTorch prototype's d.std ()). */
  double sd = c > 1 ? sqrt (var / (c - 1)) : 0.0;

  /* z = (d − mean d) / (std d + 1e-8); w_k = exp(z_k / T) */
  for (int k = 0; k < c; k++)
    weights[k] = (float) exp (((d[k] - mean_d) / (sd + 1e-8)) / temperature);
}

gboolean
mcam_weighted_channel_sum (const float *f, const float *weights, int c, int h, int w,
                           float *map)
{
  gsize hw = (gsize) h * w;
  g_autofree double *acc = g_new0 (double, hw);
  gboolean any = FALSE;

  for (int k = 0; k < c; k++)
    {
      double wk = weights ? weights[k] : 1.0;
      const float *fk = f + k * hw;
      for (gsize j = 0; j < hw; j++)
        acc[j] += wk * fk[j];
    }
  for (gsize j = 0; j < hw; j++)
    {
      map[j] = acc[j] > 0.0 ? (float) acc[j] : 0.0f;
      any |= acc[j] > 0.0;
    }
  return any;
}
