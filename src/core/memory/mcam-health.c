/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Memory health (DESIGN 4.7): does the classifier use the memory, are the
 * addresses sharp, does every class have its own slot, do the maps depend on
 * the class. Figures, their metadata form, and a verdict in plain words. */

#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mcam/mcam-blas.h"
#include "mcam/mcam-dataset.h"
#include "mcam/mcam-error.h"
#include "mcam/mcam-health.h"
#include "mcam/mcam-json.h"
#include "mcam-memory-private.h"

#define HEALTH_PREFIX "mcam.memory.health."

/* Verdict thresholds. Reliance below 0.01 means replacing v by a constant
 * moves no score by more than a percent point on average: the read value is
 * decoration. r ≥ 0.95 with the channel sum means the map is, to the eye,
 * the class-agnostic activation. Value-address entropy above 0.95 of log N is
 * an address that barely differs from uniform. */
#define RELIANCE_UNUSED   0.01
#define SUM_R_AGNOSTIC    0.95
#define ENTROPY_UNIFORM   0.95

McamHealth *
mcam_health_new (void)
{
  McamHealth *h = g_new0 (McamHealth, 1);
  h->n_images = 0;
  h->reliance = h->reliance_max = h->map_score = h->map_drop = NAN;
  h->mean_max_p = h->entropy_p = h->entropy_p_s = h->entropy_p_value = NAN;
  h->n_classes = h->n_slots = -1;
  h->distinct_slots = h->unused_slots = -1;
  h->mcam_sum_r = h->mcam_between_r = h->profile_sum_r = h->profile_between_r = NAN;
  return h;
}

McamHealth *
mcam_health_copy (const McamHealth *h)
{
  McamHealth *copy = g_memdup2 (h, sizeof *h);
  if (h->slot_of_class && h->n_classes > 0)
    copy->slot_of_class = g_memdup2 (h->slot_of_class, sizeof (int) * h->n_classes);
  else
    copy->slot_of_class = NULL;
  return copy;
}

void
mcam_health_free (McamHealth *h)
{
  if (h == NULL)
    return;
  g_free (h->slot_of_class);
  g_free (h);
}

double
mcam_pearson (const float *a, const float *b, gsize n)
{
  if (n < 2)
    return NAN;
  double ma = 0.0, mb = 0.0;
  for (gsize i = 0; i < n; i++)
    {
      ma += a[i];
      mb += b[i];
    }
  ma /= n;
  mb /= n;
  double sab = 0.0, saa = 0.0, sbb = 0.0;
  for (gsize i = 0; i < n; i++)
    {
      double x = a[i] - ma, y = b[i] - mb;
      sab += x * y;
      saa += x * x;
      sbb += y * y;
    }
  if (saa <= 0.0 || sbb <= 0.0)
    return NAN;
  return sab / sqrt (saa * sbb);
}

double
mcam_health_map_sum_r (const float *map, const float *features, int c, int h, int w)
{
  g_autofree float *sum = g_new (float, (gsize) h * w);
  mcam_weighted_channel_sum (features, NULL, c, h, w, sum);   /* ReLU(Σ_k f_k) */
  return mcam_pearson (map, sum, (gsize) h * w);
}

/* H(p) / log N */
static double
normalised_entropy (const float *p, int n)
{
  if (n < 2)
    return 0.0;
  double H = 0.0;
  for (int i = 0; i < n; i++)
    if (p[i] > 0.0f)
      H -= (double) p[i] * log ((double) p[i]);
  return H / log ((double) n);
}

static inline float
sigmoid (float x)
{
  return 1.0f / (1.0f + expf (-x));
}

/* A running mean that skips unknown (NAN) values. */
typedef struct
{
  double sum;
  int n;
} Mean;

static inline void
mean_add (Mean *m, double x)
{
  if (!isnan (x))
    {
      m->sum += x;
      m->n++;
    }
}

static inline double
mean_get (const Mean *m)
{
  return m->n > 0 ? m->sum / m->n : NAN;
}

typedef struct
{
  int idx;
  float score;
} ClassScore;

static int
cmp_score_desc (const void *a, const void *b)
{
  const ClassScore *x = a, *y = b;
  if (x->score != y->score)
    return x->score > y->score ? -1 : 1;
  return x->idx - y->idx;
}

/* The maps' class-specificity on one image: every chosen class's `mcam` and
 * `mcam-profile` maps, their r with the channel sum, and r between classes. */
static void
image_map_figures (McamMemory *mem, const float *f, const float *q, const int *classes,
                   int n_cls, const McamHealthOptions *opts, Mean *mcam_sum,
                   Mean *mcam_between, Mean *prof_sum, Mean *prof_between)
{
  int c = mem->c, N = mem->n_slots;
  gsize hw = (gsize) mem->h * mem->w;
  g_autofree float *sum = g_new (float, hw);
  g_autofree float *delta = g_new (float, N);
  g_autofree float *wts = g_new (float, c);
  g_autofree float *mmaps = g_new (float, hw * n_cls);
  g_autofree float *pmaps = g_new (float, hw * n_cls);

  mcam_weighted_channel_sum (f, NULL, c, mem->h, mem->w, sum);
  for (int j = 0; j < n_cls; j++)
    {
      int slot = mcam_memory_search_slot (mem, q, classes[j], opts->seed, opts->draws, delta);
      mcam_memory_mcam_weights (mem, f, slot, 1.0f, wts);
      mcam_weighted_channel_sum (f, wts, c, mem->h, mem->w, mmaps + j * hw);
      mcam_memory_profile_weights (mem, slot, 1.0f, wts);
      mcam_weighted_channel_sum (f, wts, c, mem->h, mem->w, pmaps + j * hw);
      mean_add (mcam_sum, mcam_pearson (mmaps + j * hw, sum, hw));
      mean_add (prof_sum, mcam_pearson (pmaps + j * hw, sum, hw));
    }
  for (int j = 0; j < n_cls; j++)
    for (int k = j + 1; k < n_cls; k++)
      {
        mean_add (mcam_between, mcam_pearson (mmaps + j * hw, mmaps + k * hw, hw));
        mean_add (prof_between, mcam_pearson (pmaps + j * hw, pmaps + k * hw, hw));
      }
}

McamHealth *
mcam_health_compute (McamMemory *mem, const float *features, int n_images,
                     const float *labels, const McamHealthOptions *opts_in,
                     GCancellable *cancellable, GError **error)
{
  g_return_val_if_fail (mem != NULL, NULL);
  g_return_val_if_fail (n_images == 0 || features != NULL, NULL);

  McamHealthOptions opts = { 0 };
  if (opts_in)
    opts = *opts_in;
  if (opts.max_map_images <= 0)
    opts.max_map_images = 32;
  if (opts.classes_per_image <= 0)
    opts.classes_per_image = 3;
  if (opts.draws <= 0)
    opts.draws = 1;

  int N = mem->n_slots, c = mem->c, C = mem->n_classes;
  gsize hw = (gsize) mem->h * mem->w, chw = (gsize) c * hw;
  g_autoptr(McamHealth) h = mcam_health_new ();
  h->n_images = n_images;
  h->n_classes = C;
  h->n_slots = N;

  /* Slot use and value-address sharpness: from the parameters alone. */
  {
    g_autofree float *m = mcam_memory_class_slot_matrix (mem);
    g_autofree gboolean *used = g_new0 (gboolean, N);
    Mean ent = { 0 };
    h->slot_of_class = g_new (int, C);
    h->distinct_slots = 0;
    for (int k = 0; k < C; k++)
      {
        const float *row = m + (gsize) k * N;
        int best = 0;
        for (int i = 1; i < N; i++)
          if (row[i] > row[best])
            best = i;
        h->slot_of_class[k] = best;
        if (!used[best])
          h->distinct_slots++;
        used[best] = TRUE;
        mean_add (&ent, normalised_entropy (row, N));
      }
    h->unused_slots = N - h->distinct_slots;
    h->entropy_p_value = mean_get (&ent);
  }

  if (n_images <= 0)
    return g_steal_pointer (&h);

  /* Per image: p, p_s, v, z; u = fc_q q + b so that z with v replaced by v̄
   * is fc_v v̄ + u without keeping q. */
  g_autofree float *z = g_new (float, (gsize) n_images * C);
  g_autofree float *u = g_new (float, (gsize) n_images * C);
  g_autofree double *vbar = g_new0 (double, c);
  g_autofree float *q = g_new (float, c);
  g_autofree float *p = g_new (float, N);
  g_autofree float *p_s = g_new (float, N);
  g_autofree float *v = g_new (float, c);
  g_autofree float *zeros = g_new0 (float, c);
  Mean max_p = { 0 }, ent_p = { 0 }, ent_ps = { 0 };

  /* p_s over a training set is the costly part (N·c·h·w per image): the dot
   * products go through sgemm in blocks of images, the norms of S once. */
  enum { BLOCK = 64 };
  g_autofree double *s_norm = g_new (double, N);
  g_autofree float *dots = g_new (float, (gsize) BLOCK * N);
  for (int j = 0; j < N; j++)
    {
      const float *Sj = mem->S + (gsize) j * chw;
      double ss = 0.0;
      for (gsize t = 0; t < chw; t++)
        ss += (double) Sj[t] * Sj[t];
      s_norm[j] = sqrt (ss);
    }

  for (int i = 0; i < n_images; i++)
    {
      const float *f = features + (gsize) i * chw;
      if (i % BLOCK == 0)
        {
          if (g_cancellable_set_error_if_cancelled (cancellable, error))
            return NULL;
          int nb = MIN (BLOCK, n_images - i);
          /* dots[b, j] = f_b · S_j */
          mcam_sgemm (FALSE, TRUE, nb, N, (int) chw, 1.0f, f, (int) chw, mem->S, (int) chw,
                      0.0f, dots, N);
        }
      double fn = 0.0;
      for (gsize t = 0; t < chw; t++)
        fn += (double) f[t] * f[t];
      fn = sqrt (fn);
      for (int j = 0; j < N; j++)
        {
          double den = MAX (fn * s_norm[j], MCAM_COSINE_EPS);
          p_s[j] = (float) (mem->scale * dots[(gsize) (i % BLOCK) * N + j] / den);
        }
      _mcam_softmax (p_s, N);      /* p_s = addr(vec f, vec S) */

      mcam_memory_query (mem, f, q);
      mcam_memory_key_address (mem, q, p);
      mcam_memory_read (mem, p, v);
      mcam_memory_classify (mem, v, q, z + (gsize) i * C);
      mcam_memory_classify (mem, zeros, q, u + (gsize) i * C);
      for (int k = 0; k < c; k++)
        vbar[k] += v[k];
      float mp = p[0];
      for (int j = 1; j < N; j++)
        mp = MAX (mp, p[j]);
      mean_add (&max_p, mp);
      mean_add (&ent_p, normalised_entropy (p, N));
      mean_add (&ent_ps, normalised_entropy (p_s, N));
    }
  h->mean_max_p = mean_get (&max_p);
  h->entropy_p = mean_get (&ent_p);
  h->entropy_p_s = mean_get (&ent_ps);

  /* Reliance: scores with v̄ in place of v. */
  g_autofree float *vbar_f = g_new (float, c);
  g_autofree float *zbar_v = g_new (float, C);   /* fc_v v̄ (no bias) */
  for (int k = 0; k < c; k++)
    vbar_f[k] = (float) (vbar[k] / n_images);
  memset (zbar_v, 0, sizeof (float) * C);
  mcam_sgemv (FALSE, C, c, 1.0f, mem->fc_w, 2 * c, vbar_f, 0.0f, zbar_v);

  g_autofree float *s = g_new (float, (gsize) n_images * C);
  g_autofree float *sbar = g_new (float, (gsize) n_images * C);
  double rel = 0.0, rel_max = 0.0;
  for (int i = 0; i < n_images; i++)
    {
      double mx = 0.0;
      for (int k = 0; k < C; k++)
        {
          gsize at = (gsize) i * C + k;
          s[at] = sigmoid (z[at]);
          sbar[at] = sigmoid (zbar_v[k] + u[at]);
          double d = fabs ((double) s[at] - sbar[at]);
          rel += d;
          mx = MAX (mx, d);
        }
      rel_max += mx;
    }
  h->reliance = rel / ((double) n_images * C);
  h->reliance_max = rel_max / n_images;
  if (labels != NULL)
    {
      h->map_score = mcam_mean_average_precision (s, labels, n_images, C, NULL);
      double mbar = mcam_mean_average_precision (sbar, labels, n_images, C, NULL);
      h->map_drop = h->map_score - mbar;
    }

  /* Class-specificity of the maps on up to max_map_images images, evenly
   * spread: the labelled classes and the top-scoring ones. */
  int n_map = MIN (n_images, opts.max_map_images);
  Mean ms = { 0 }, mb = { 0 }, ps = { 0 }, pb = { 0 };
  g_autofree ClassScore *order = g_new (ClassScore, C);
  g_autofree int *classes = g_new (int, C);
  for (int t = 0; t < n_map; t++)
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;
      int i = (int) ((gint64) t * n_images / n_map);
      const float *f = features + (gsize) i * chw;
      int n_cls = 0;
      g_autofree gboolean *chosen = g_new0 (gboolean, C);

      if (labels != NULL)
        for (int k = 0; k < C; k++)
          if (labels[(gsize) i * C + k] > 0.5f)
            {
              classes[n_cls++] = k;
              chosen[k] = TRUE;
            }
      for (int k = 0; k < C; k++)
        order[k] = (ClassScore) { k, s[(gsize) i * C + k] };
      qsort (order, C, sizeof *order, cmp_score_desc);
      for (int k = 0; k < C && n_cls < MAX (opts.classes_per_image, 2); k++)
        if (!chosen[order[k].idx])
          {
            classes[n_cls++] = order[k].idx;
            chosen[order[k].idx] = TRUE;
          }
      n_cls = MIN (n_cls, C);
      mcam_memory_query (mem, f, q);
      image_map_figures (mem, f, q, classes, n_cls, &opts, &ms, &mb, &ps, &pb);
    }
  h->mcam_sum_r = mean_get (&ms);
  h->mcam_between_r = mean_get (&mb);
  h->profile_sum_r = mean_get (&ps);
  h->profile_between_r = mean_get (&pb);

  return g_steal_pointer (&h);
}

/* ---- metadata ---- */

typedef struct
{
  const char *key;
  gsize offset;
} DoubleField;

#define DF(name) { #name, G_STRUCT_OFFSET (McamHealth, name) }
static const DoubleField double_fields[] = {
  DF (reliance), DF (reliance_max), DF (map_score), DF (map_drop),
  DF (mean_max_p), DF (entropy_p), DF (entropy_p_s), DF (entropy_p_value),
  DF (mcam_sum_r), DF (mcam_between_r), DF (profile_sum_r), DF (profile_between_r),
};
#undef DF

typedef struct
{
  const char *key;
  gsize offset;
} IntField;

#define IF(name) { #name, G_STRUCT_OFFSET (McamHealth, name) }
static const IntField int_fields[] = {
  IF (n_images), IF (n_classes), IF (n_slots), IF (distinct_slots), IF (unused_slots),
};
#undef IF

#define FIELD(h, off, type) (*(type *) ((char *) (h) + (off)))

void
mcam_health_to_metadata (const McamHealth *h, GHashTable *metadata)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  for (gsize i = 0; i < G_N_ELEMENTS (double_fields); i++)
    {
      double x = FIELD (h, double_fields[i].offset, double);
      char *key = g_strconcat (HEALTH_PREFIX, double_fields[i].key, NULL);
      if (isnan (x))
        g_hash_table_remove (metadata, key), g_free (key);
      else
        g_hash_table_insert (metadata, key,
                             g_strdup (g_ascii_formatd (buf, sizeof buf, "%.6g", x)));
    }
  for (gsize i = 0; i < G_N_ELEMENTS (int_fields); i++)
    g_hash_table_insert (metadata, g_strconcat (HEALTH_PREFIX, int_fields[i].key, NULL),
                         g_strdup_printf ("%d", FIELD (h, int_fields[i].offset, int)));
  if (h->slot_of_class && h->n_classes > 0)
    {
      GString *s = g_string_new ("[");
      for (int k = 0; k < h->n_classes; k++)
        g_string_append_printf (s, "%s%d", k ? "," : "", h->slot_of_class[k]);
      g_string_append_c (s, ']');
      g_hash_table_insert (metadata, g_strdup (HEALTH_PREFIX "slot_of_class"),
                           g_string_free (s, FALSE));
    }
  g_hash_table_insert (metadata, g_strdup (HEALTH_PREFIX "verdict"),
                       mcam_health_verdict (h, NAN));
}

McamHealth *
mcam_health_from_metadata (GHashTable *metadata)
{
  if (metadata == NULL)
    return NULL;
  g_autoptr(McamHealth) h = mcam_health_new ();
  gboolean any = FALSE;

  for (gsize i = 0; i < G_N_ELEMENTS (double_fields); i++)
    {
      g_autofree char *key = g_strconcat (HEALTH_PREFIX, double_fields[i].key, NULL);
      const char *v = g_hash_table_lookup (metadata, key);
      char *end = NULL;
      if (v == NULL)
        continue;
      double x = g_ascii_strtod (v, &end);
      if (end != v && *end == '\0' && isfinite (x))
        {
          FIELD (h, double_fields[i].offset, double) = x;
          any = TRUE;
        }
    }
  for (gsize i = 0; i < G_N_ELEMENTS (int_fields); i++)
    {
      g_autofree char *key = g_strconcat (HEALTH_PREFIX, int_fields[i].key, NULL);
      const char *v = g_hash_table_lookup (metadata, key);
      gint64 x;
      if (v != NULL && g_ascii_string_to_signed (v, 10, -1, G_MAXINT, &x, NULL))
        {
          FIELD (h, int_fields[i].offset, int) = (int) x;
          any = TRUE;
        }
    }
  const char *soc = g_hash_table_lookup (metadata, HEALTH_PREFIX "slot_of_class");
  if (soc != NULL && h->n_classes > 0)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      if (json_parser_load_from_data (parser, soc, -1, NULL))
        {
          JsonNode *root = json_parser_get_root (parser);
          if (JSON_NODE_HOLDS_ARRAY (root) &&
              json_array_get_length (json_node_get_array (root)) == (guint) h->n_classes)
            {
              JsonArray *arr = json_node_get_array (root);
              h->slot_of_class = g_new (int, h->n_classes);
              for (int k = 0; k < h->n_classes; k++)
                h->slot_of_class[k] = (int) json_array_get_int_element (arr, k);
            }
        }
    }
  return any ? g_steal_pointer (&h) : NULL;
}

char *
mcam_health_verdict (const McamHealth *h, double map_sum_r)
{
  if (h != NULL && !isnan (h->reliance_max) && h->reliance_max < RELIANCE_UNUSED)
    return g_strdup_printf ("the classifier does not use the memory (replacing the read "
                            "value by its mean moves the scores by %.3f at most, on average)",
                            h->reliance_max);
  if (h != NULL && h->n_classes > 1 && h->distinct_slots == 1)
    return g_strdup ("every class reads the same slot: the memory does not tell the "
                     "classes apart");
  if (h != NULL && !isnan (h->entropy_p) && h->entropy_p > ENTROPY_UNIFORM)
    return g_strdup_printf ("the key addresses are nearly uniform (entropy %.2f of the "
                            "maximum): every image reads almost the same value",
                            h->entropy_p);
  if (h != NULL && !isnan (h->entropy_p_value) && h->entropy_p_value > ENTROPY_UNIFORM)
    return g_strdup_printf ("the value addresses are nearly uniform (entropy %.2f of the "
                            "maximum): no slot stands for a class", h->entropy_p_value);
  if (!isnan (map_sum_r) && map_sum_r >= SUM_R_AGNOSTIC)
    return g_strdup_printf ("this map does not depend on the class (r = %.2f with the "
                            "channel sum)", map_sum_r);
  if (isnan (map_sum_r) && h != NULL && !isnan (h->mcam_sum_r) &&
      h->mcam_sum_r >= SUM_R_AGNOSTIC)
    return g_strdup_printf ("the paper's M-CAM maps do not depend on the class (r = %.2f "
                            "with the channel sum)", h->mcam_sum_r);
  if (h == NULL)
    return isnan (map_sum_r) ? g_strdup ("no health figures")
                             : g_strdup_printf ("this map depends on the class (r = %.2f "
                                                "with the channel sum)", map_sum_r);

  g_autoptr(GString) s = g_string_new (NULL);
  if (!isnan (h->reliance_max))
    g_string_append (s, "healthy: the classifier uses the memory");
  else
    g_string_append (s, "no stored figures on how much the classifier uses the memory");
  if (h->distinct_slots > 0)
    g_string_append_printf (s, "; %d of %d classes have their own slot", h->distinct_slots,
                            h->n_classes);
  if (!isnan (map_sum_r))
    g_string_append_printf (s, "; this map depends on the class (r = %.2f with the channel "
                            "sum)", map_sum_r);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

JsonNode *
mcam_health_to_json (const McamHealth *h)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  for (gsize i = 0; i < G_N_ELEMENTS (int_fields); i++)
    {
      json_builder_set_member_name (b, int_fields[i].key);
      json_builder_add_int_value (b, FIELD (h, int_fields[i].offset, int));
    }
  for (gsize i = 0; i < G_N_ELEMENTS (double_fields); i++)
    mcam_json_set_double (b, double_fields[i].key, FIELD (h, double_fields[i].offset, double));
  json_builder_set_member_name (b, "slot_of_class");
  if (h->slot_of_class && h->n_classes > 0)
    {
      json_builder_begin_array (b);
      for (int k = 0; k < h->n_classes; k++)
        json_builder_add_int_value (b, h->slot_of_class[k]);
      json_builder_end_array (b);
    }
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}
