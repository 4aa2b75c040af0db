/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `mcam eval --shard I/N` (issue 15): per-image records, the one
 * aggregation every figure of eval goes through, the partition, and the
 * records written into a part's JSON (read back by mcam-eval-merge-read.c).
 * docs/SCALE.md states the rules. */

#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "mcam-eval-merge.h"

McamEvalMethod *
mcam_eval_method_new (McamMethod method, gboolean memory_head, int n_classes)
{
  McamEvalMethod *m = g_new0 (McamEvalMethod, 1);

  m->method = method;
  m->memory_head = memory_head;
  m->tally = mcam_pointing_tally_new (n_classes);
  m->Y = g_array_new (FALSE, FALSE, sizeof (double));
  m->O = g_array_new (FALSE, FALSE, sizeof (double));
  return m;
}

void
mcam_eval_method_free (gpointer p)
{
  McamEvalMethod *m = p;

  mcam_pointing_tally_free (m->tally);
  mcam_pointing_tally_free (m->net_tally);
  g_free (m->net_head_skipped);
  g_array_unref (m->Y);
  g_array_unref (m->O);
  g_free (m);
}

/* CAM of the network exists only where its own GAP + linear head reads the
 * features (the default target layer). At an inner layer the re-fit head's
 * CAM is still defined (that head is linear on the layer's pooled
 * features), so CAM runs there and only its comparison with the network's
 * head is left out; the gradient and perturbation methods have both. */
void
mcam_eval_methods_init_head (GPtrArray *methods, McamNet *net, const McamHead *head)
{
  const McamNetInfo *info = mcam_net_get_info (net);

  if (head == NULL)
    return;
  for (guint k = 0; k < methods->len; k++)
    {
      McamEvalMethod *m = g_ptr_array_index (methods, k);

      if (!mcam_eval_method_reads_head (m))
        continue;
      if (m->method == MCAM_METHOD_CAM && mcam_net_get_head_weight (net) == NULL)
        m->net_head_skipped =
          g_strdup_printf ("the network's own CAM is defined only at the layer its GAP + "
                           "linear head reads, not at %s: only the re-fit head's CAM is "
                           "measured (compare the heads with gradcam there)", info->target);
      else
        m->net_tally = mcam_pointing_tally_new (info->n_classes);
    }
}

McamEvalRecord *
mcam_eval_record_new (int index, const char *name, const float *labels, int n_classes,
                      int n_methods)
{
  McamEvalRecord *r = g_new0 (McamEvalRecord, 1);

  r->index = index;
  r->name = g_strdup (name);
  r->labels = g_new0 (float, n_classes);
  if (labels != NULL)
    memcpy (r->labels, labels, sizeof (float) * n_classes);
  r->scores = g_new0 (float, n_classes);
  r->n_methods = n_methods;
  r->methods = g_new0 (McamEvalMethodRecord, n_methods);
  for (int k = 0; k < n_methods; k++)
    r->methods[k].pairs = g_array_new (FALSE, TRUE, sizeof (McamEvalPair));
  return r;
}

void
mcam_eval_record_free (gpointer record)
{
  McamEvalRecord *r = record;

  if (r == NULL)
    return;
  for (int k = 0; k < r->n_methods; k++)
    g_array_unref (r->methods[k].pairs);
  g_free (r->methods);
  g_free (r->name);
  g_free (r->labels);
  g_free (r->scores);
  g_free (r->memory_scores);
  g_free (r->network_scores);
  g_free (r);
}

/* What mcam_pointing_tally_add () does with the column it found. */
static void
tally_apply (McamPointingTally *t, int class_index, int column)
{
  if (t == NULL || column < 0)
    return;
  t->pairs[class_index]++;
  t->total_pairs++;
  if (column == class_index)
    {
      t->hits[class_index]++;
      t->total_hits++;
    }
  t->landing[(gsize) class_index * (t->n_classes + 2) + column]++;
}

static int
record_cmp (gconstpointer a, gconstpointer b)
{
  const McamEvalRecord *ra = *(McamEvalRecord *const *) a, *rb = *(McamEvalRecord *const *) b;
  return (ra->index > rb->index) - (ra->index < rb->index);
}

void
mcam_eval_aggregate (McamEvalRun *run, GPtrArray *records, int C, double *ap_target,
                     double *ap_memory, double *ap_network)
{
  int n = records->len;
  g_autofree float *labels = g_new (float, (gsize) MAX (n, 1) * C);
  g_autofree float *s_t = g_new (float, (gsize) MAX (n, 1) * C);
  g_autofree float *s_m = g_new (float, (gsize) MAX (n, 1) * C);
  g_autofree float *s_n = g_new (float, (gsize) MAX (n, 1) * C);
  gboolean has_m = n > 0, has_n = n > 0;

  /* Sums in the image order of the whole run, whatever order the records
   * came in: a merge adds the same numbers in the same order. */
  g_ptr_array_sort (records, record_cmp);
  run->forward_ms = 0;
  for (int i = 0; i < n; i++)
    {
      McamEvalRecord *r = g_ptr_array_index (records, i);

      run->forward_ms += r->forward_ms;
      memcpy (labels + (gsize) i * C, r->labels, sizeof (float) * C);
      memcpy (s_t + (gsize) i * C, r->scores, sizeof (float) * C);
      has_m &= r->memory_scores != NULL;
      has_n &= r->network_scores != NULL;
      if (r->memory_scores)
        memcpy (s_m + (gsize) i * C, r->memory_scores, sizeof (float) * C);
      if (r->network_scores)
        memcpy (s_n + (gsize) i * C, r->network_scores, sizeof (float) * C);

      for (guint k = 0; k < run->methods->len && (int) k < r->n_methods; k++)
        {
          McamEvalMethod *m = g_ptr_array_index (run->methods, k);
          McamEvalMethodRecord *mr = &r->methods[k];

          for (guint p = 0; p < mr->pairs->len; p++)
            {
              McamEvalPair *q = &g_array_index (mr->pairs, McamEvalPair, p);

              if (q->no_map)
                m->n_no_map++;
              tally_apply (m->tally, q->class_index, q->landing);
              tally_apply (m->net_tally, q->class_index, q->net_landing);
              if (!q->measured)
                continue;
              if (run->metrics & MCAM_EVAL_DROP)
                {
                  g_array_append_val (m->Y, q->Y);
                  g_array_append_val (m->O, q->O);
                }
              m->deletion_sum += q->deletion;
              m->insertion_sum += q->insertion;
              m->morf_sum += q->morf;
              m->lerf_sum += q->lerf;
              m->infidelity_sum += q->infidelity;
              m->sensitivity_sum += q->sensitivity;
              m->n_metric_pairs++;
            }
          m->explain_ms += mr->explain_ms;
          m->n_images++;
          if (mr->timed)
            {
              m->timing_ms += mr->timing_ms;
              m->n_timed++;
            }
        }
    }
  run->n_images = n;
  run->map_target = mcam_mean_average_precision (s_t, labels, n, C, ap_target);
  run->ap_target = ap_target;
  run->map_memory = NAN;
  run->map_network = NAN;
  run->ap_memory = NULL;
  run->ap_network = NULL;
  if (has_m && ap_memory != NULL)
    {
      run->map_memory = mcam_mean_average_precision (s_m, labels, n, C, ap_memory);
      run->ap_memory = ap_memory;
    }
  if (has_n && ap_network != NULL)
    {
      run->map_network = mcam_mean_average_precision (s_n, labels, n, C, ap_network);
      run->ap_network = ap_network;
    }
}

/* ---- the partition ------------------------------------------------------ */

static char **sort_names;

static int
name_cmp (gconstpointer a, gconstpointer b)
{
  int ia = *(const int *) a, ib = *(const int *) b;
  int c = strcmp (sort_names[ia], sort_names[ib]);
  return c != 0 ? c : (ia > ib) - (ia < ib);
}

static int
int_cmp (gconstpointer a, gconstpointer b)
{
  int ia = *(const int *) a, ib = *(const int *) b;
  return (ia > ib) - (ia < ib);
}

GArray *
mcam_eval_shard_select (char **names, int n, int index, int count)
{
  g_autofree int *order = g_new (int, MAX (n, 1));
  GArray *out = g_array_new (FALSE, FALSE, sizeof (int));
  /* Block b holds sorted positions [n(b-1)/N, nb/N): sizes differ by ≤ 1. */
  gint64 lo = (gint64) n * (index - 1) / count, hi = (gint64) n * index / count;

  for (int i = 0; i < n; i++)
    order[i] = i;
  sort_names = names;
  qsort (order, n, sizeof (int), name_cmp);
  sort_names = NULL;
  for (gint64 p = lo; p < hi; p++)
    g_array_append_val (out, order[p]);
  g_array_sort (out, int_cmp);
  return out;
}

gboolean
mcam_eval_shard_parse (const char *spec, const char *where, int *index, int *count,
                       GError **error)
{
  guint64 i, n;
  g_auto(GStrv) parts = g_strsplit (spec, "/", -1);

  if (g_strv_length (parts) != 2 ||
      !g_ascii_string_to_unsigned (parts[0], 10, 1, G_MAXINT, &i, NULL) ||
      !g_ascii_string_to_unsigned (parts[1], 10, 1, G_MAXINT, &n, NULL) || i > n)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE,
                   "%s is I/N with 1 ≤ I ≤ N (shard I of N, counted from 1), not “%s”",
                   where, spec);
      return FALSE;
    }
  *index = (int) i;
  *count = (int) n;
  return TRUE;
}

char *
mcam_eval_labels_hash (McamDataset *ds, int n)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);

  for (int i = 0; i < n; i++)
    {
      g_checksum_update (sum, (const guchar *) ds->names[i], strlen (ds->names[i]) + 1);
      for (int c = 0; c < ds->n_classes; c++)
        if (ds->labels[(gsize) i * ds->n_classes + c] >= 0.5f)
          g_checksum_update (sum, (const guchar *) ds->classes[c], strlen (ds->classes[c]) + 1);
      if (ds->has_boxes)
        for (int b = 0; b < ds->box_count[i]; b++)
          {
            const McamBox *x = ds->boxes + ds->box_start[i] + b;
            char buf[128];
            g_snprintf (buf, sizeof buf, "%d %.9g %.9g %.9g %.9g;", x->class_index,
                        x->x0, x->y0, x->x1, x->y1);
            g_checksum_update (sum, (const guchar *) buf, strlen (buf));
          }
      g_checksum_update (sum, (const guchar *) "\n", 1);
    }
  return g_strdup (g_checksum_get_string (sum));
}

/* ---- JSON out ------------------------------------------------------------ */

static void
set_string (JsonBuilder *b, const char *name, const char *v)
{
  json_builder_set_member_name (b, name);
  if (v == NULL)
    json_builder_add_null_value (b);
  else
    json_builder_add_string_value (b, v);
}

static void
set_int (JsonBuilder *b, const char *name, gint64 v)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, v);
}

static void
set_floats (JsonBuilder *b, const char *name, const float *v, int n)
{
  json_builder_set_member_name (b, name);
  mcam_json_add_floats (b, v, n);
}

static char *
method_name (McamEvalMethod *m)
{
  return g_strdup_printf ("%s%s", mcam_method_get_name (m->method),
                          m->memory_head ? ":memory" : "");
}

/* Everything but the shard's own place: equal in every part of one run. */
static void
build_key (JsonBuilder *b, McamEvalRun *run, const McamEvalShardInfo *si)
{
  set_string (b, "fingerprint", si->fingerprint);
  set_string (b, "labels_hash", si->labels_hash);
  set_int (b, "images_total", si->images_total);
  json_builder_set_member_name (b, "methods");
  json_builder_begin_array (b);
  for (guint k = 0; k < run->methods->len; k++)
    {
      g_autofree char *name = method_name (g_ptr_array_index (run->methods, k));
      json_builder_add_string_value (b, name);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "options");
  json_builder_begin_object (b);
  set_int (b, "metrics", run->metrics);
  set_string (b, "fill", mcam_fill_get_name (run->fill));
  set_int (b, "seed", (gint64) run->seed);
  set_int (b, "samples", run->n_samples);
  set_int (b, "top_k", run->top_k);
  set_int (b, "timing", run->timing);
  set_string (b, "layer", si->layer);
  set_string (b, "head", si->head_path);
  set_int (b, "memory", si->has_memory);
  set_int (b, "boxes", si->has_boxes);
  json_builder_end_object (b);
}

void
mcam_eval_records_to_json (JsonNode *root, McamEvalRun *run, const McamEvalShardInfo *si,
                           GPtrArray *records)
{
  JsonObject *o = json_node_get_object (root);
  int C = mcam_net_get_info (run->net)->n_classes;
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  set_int (b, "index", si->shard_index);
  set_int (b, "count", si->shard_count);
  set_string (b, "partition", "contiguous blocks of the names sorted bytewise");
  set_string (b, "model", si->model_path);
  set_string (b, "memory", si->memory_path);
  set_string (b, "classes", si->classes_path);
  json_builder_set_member_name (b, "key");
  json_builder_begin_object (b);
  build_key (b, run, si);
  json_builder_end_object (b);
  json_builder_end_object (b);
  json_object_set_member (o, "shard", json_builder_get_root (b));

  json_builder_reset (b);
  json_builder_begin_array (b);
  for (guint i = 0; i < records->len; i++)
    {
      McamEvalRecord *r = g_ptr_array_index (records, i);

      json_builder_begin_object (b);
      set_int (b, "index", r->index);
      set_string (b, "file", r->name);
      set_floats (b, "labels", r->labels, C);
      mcam_json_set_double (b, "forward_ms", r->forward_ms);
      set_floats (b, "scores", r->scores, C);
      if (r->memory_scores)
        set_floats (b, "memory_scores", r->memory_scores, C);
      if (r->network_scores)
        set_floats (b, "network_scores", r->network_scores, C);
      json_builder_set_member_name (b, "methods");
      json_builder_begin_array (b);
      for (int k = 0; k < r->n_methods; k++)
        {
          McamEvalMethodRecord *mr = &r->methods[k];

          json_builder_begin_object (b);
          mcam_json_set_double (b, "explain_ms", mr->explain_ms);
          mcam_json_set_double (b, "all_classes_ms", mr->timed ? mr->timing_ms : NAN);
          json_builder_set_member_name (b, "pairs");
          json_builder_begin_array (b);
          for (guint p = 0; p < mr->pairs->len; p++)
            {
              McamEvalPair *q = &g_array_index (mr->pairs, McamEvalPair, p);

              json_builder_begin_object (b);
              set_int (b, "class", q->class_index);
              /* The tally column: c, another class's box, C background,
               * C + 1 no positive value; -1: not in the pointing game. */
              set_int (b, "landing", q->landing);
              set_int (b, "net_landing", q->net_landing);
              json_builder_set_member_name (b, "no_map");
              json_builder_add_boolean_value (b, q->no_map);
              json_builder_set_member_name (b, "measured");
              json_builder_add_boolean_value (b, q->measured);
              if (q->measured)
                {
                  mcam_json_set_double (b, "Y", q->Y);
                  mcam_json_set_double (b, "O", q->O);
                  mcam_json_set_double (b, "deletion", q->deletion);
                  mcam_json_set_double (b, "insertion", q->insertion);
                  mcam_json_set_double (b, "morf", q->morf);
                  mcam_json_set_double (b, "lerf", q->lerf);
                  mcam_json_set_double (b, "infidelity", q->infidelity);
                  mcam_json_set_double (b, "sensitivity", q->sensitivity);
                }
              json_builder_end_object (b);
            }
          json_builder_end_array (b);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_object_set_member (o, "records", json_builder_get_root (b));
}
