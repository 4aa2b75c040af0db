/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `mcam eval --shard I/N` and `mcam eval --merge PART...` (issue 15): per-image
 * records, the one aggregation every figure of eval goes through, and the
 * parts' JSON in and out. docs/SCALE.md states the rules. */

#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>

#include "mcam-eval-merge.h"
#include "mcam-cli-head.h"

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

/* ---- JSON in: --merge ---------------------------------------------------- */

static double
get_double (JsonObject *o, const char *name)
{
  JsonNode *n = json_object_get_member (o, name);
  if (n == NULL || JSON_NODE_HOLDS_NULL (n))
    return NAN;
  return json_node_get_double (n);
}

static const char *
get_string (JsonObject *o, const char *name)
{
  JsonNode *n = json_object_get_member (o, name);
  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (n);
}

static gboolean
get_floats (JsonObject *o, const char *name, float *out, int n)
{
  JsonArray *a;
  JsonNode *node = json_object_get_member (o, name);

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return FALSE;
  a = json_node_get_array (node);
  if ((int) json_array_get_length (a) != n)
    return FALSE;
  for (int i = 0; i < n; i++)
    {
      JsonNode *e = json_array_get_element (a, i);
      out[i] = JSON_NODE_HOLDS_NULL (e) ? NAN : (float) json_node_get_double (e);
    }
  return TRUE;
}

static gboolean
read_record (JsonObject *o, int C, int n_methods, McamEvalRecord **out)
{
  g_autoptr(GPtrArray) hold = g_ptr_array_new_with_free_func (mcam_eval_record_free);
  McamEvalRecord *r;
  JsonArray *methods;

  if (!json_object_has_member (o, "index") || get_string (o, "file") == NULL)
    return FALSE;
  r = mcam_eval_record_new (json_object_get_int_member (o, "index"), get_string (o, "file"),
                            NULL, C, n_methods);
  g_ptr_array_add (hold, r);
  if (!get_floats (o, "labels", r->labels, C) || !get_floats (o, "scores", r->scores, C))
    return FALSE;
  r->forward_ms = get_double (o, "forward_ms");
  if (json_object_has_member (o, "memory_scores"))
    {
      r->memory_scores = g_new (float, C);
      if (!get_floats (o, "memory_scores", r->memory_scores, C))
        return FALSE;
    }
  if (json_object_has_member (o, "network_scores"))
    {
      r->network_scores = g_new (float, C);
      if (!get_floats (o, "network_scores", r->network_scores, C))
        return FALSE;
    }
  if (!json_object_has_member (o, "methods"))
    return FALSE;
  methods = json_object_get_array_member (o, "methods");
  if (methods == NULL || (int) json_array_get_length (methods) != n_methods)
    return FALSE;
  for (int k = 0; k < n_methods; k++)
    {
      JsonObject *mo = json_array_get_object_element (methods, k);
      McamEvalMethodRecord *mr = &r->methods[k];
      JsonArray *pairs;
      double t;

      if (mo == NULL || !json_object_has_member (mo, "pairs"))
        return FALSE;
      mr->explain_ms = get_double (mo, "explain_ms");
      t = get_double (mo, "all_classes_ms");
      mr->timed = !isnan (t);
      mr->timing_ms = mr->timed ? t : 0;
      pairs = json_object_get_array_member (mo, "pairs");
      for (guint p = 0; pairs && p < json_array_get_length (pairs); p++)
        {
          JsonObject *po = json_array_get_object_element (pairs, p);
          McamEvalPair q = { 0 };

          if (po == NULL)
            return FALSE;
          q.class_index = json_object_get_int_member (po, "class");
          q.landing = json_object_get_int_member (po, "landing");
          q.net_landing = json_object_get_int_member (po, "net_landing");
          if (q.class_index < 0 || q.class_index >= C || q.landing < -1 || q.landing > C + 1 ||
              q.net_landing < -1 || q.net_landing > C + 1)
            return FALSE;
          q.no_map = json_object_get_boolean_member (po, "no_map");
          q.measured = json_object_get_boolean_member (po, "measured");
          if (q.measured)
            {
              q.Y = get_double (po, "Y");
              q.O = get_double (po, "O");
              q.deletion = get_double (po, "deletion");
              q.insertion = get_double (po, "insertion");
              q.morf = get_double (po, "morf");
              q.lerf = get_double (po, "lerf");
              q.infidelity = get_double (po, "infidelity");
              q.sensitivity = get_double (po, "sensitivity");
            }
          g_array_append_val (mr->pairs, q);
        }
    }
  *out = g_ptr_array_steal_index (hold, 0);
  return TRUE;
}

typedef struct
{
  const char *path;
  JsonParser *parser;
  JsonObject *shard, *key;
  int         index, count;
} Part;

static gboolean
same_member (JsonObject *a, JsonObject *b, const char *name)
{
  JsonNode *na = json_object_get_member (a, name), *nb = json_object_get_member (b, name);
  g_autofree char *sa = na ? json_to_string (na, FALSE) : NULL;
  g_autofree char *sb = nb ? json_to_string (nb, FALSE) : NULL;
  return g_strcmp0 (sa, sb) == 0;
}

static void
method_free (gpointer p)
{
  McamEvalMethod *m = p;
  mcam_pointing_tally_free (m->tally);
  mcam_pointing_tally_free (m->net_tally);
  g_array_unref (m->Y);
  g_array_unref (m->O);
  g_free (m);
}

static gboolean
read_parts (char **paths, int n_parts, Part *parts, GError **error)
{
  static const struct { const char *member, *what; } key_members[] = {
    { "fingerprint", "a different model (backbone fingerprint)" },
    { "labels_hash", "a different data set (labels and boxes hash)" },
    { "images_total", "a different number of images" },
    { "methods", "a different method list" },
    { "options", "different options (metrics, fill, seed, samples, top-k, timing, layer, head, memory, boxes)" },
  };
  g_autofree int *seen = NULL;

  for (int p = 0; p < n_parts; p++)
    {
      Part *q = &parts[p];
      JsonNode *root;

      q->path = paths[p];
      q->parser = json_parser_new ();
      if (!json_parser_load_from_file (q->parser, q->path, error))
        {
          g_prefix_error (error, "--merge %s: ", q->path);
          return FALSE;
        }
      root = json_parser_get_root (q->parser);
      if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root) ||
          !json_object_has_member (json_node_get_object (root), "shard") ||
          !json_object_has_member (json_node_get_object (root), "records"))
        {
          g_set_error (error, MCAM_ERROR, MCAM_ERROR_FORMAT,
                       "--merge %s: not a part of a sharded run (no “shard” and “records”: "
                       "write parts with mcam eval --shard I/N --json)", q->path);
          return FALSE;
        }
      q->shard = json_object_get_object_member (json_node_get_object (root), "shard");
      q->key = q->shard ? json_object_get_object_member (q->shard, "key") : NULL;
      if (q->key == NULL)
        {
          g_set_error (error, MCAM_ERROR, MCAM_ERROR_FORMAT, "--merge %s: its “shard” has no key",
                       q->path);
          return FALSE;
        }
      q->index = json_object_get_int_member (q->shard, "index");
      q->count = json_object_get_int_member (q->shard, "count");
      if (p == 0)
        continue;
      if (q->count != parts[0].count)
        {
          g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE,
                       "--merge %s: shard %d of %d, but %s is of %d shards", q->path,
                       q->index, q->count, parts[0].path, parts[0].count);
          return FALSE;
        }
      for (gsize k = 0; k < G_N_ELEMENTS (key_members); k++)
        if (!same_member (q->key, parts[0].key, key_members[k].member))
          {
            g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE,
                         "--merge %s is from %s than %s: not parts of one run", q->path,
                         key_members[k].what, parts[0].path);
            return FALSE;
          }
    }
  seen = g_new0 (int, parts[0].count + 1);
  for (int p = 0; p < n_parts; p++)
    {
      if (parts[p].index < 1 || parts[p].index > parts[0].count)
        {
          g_set_error (error, MCAM_ERROR, MCAM_ERROR_FORMAT, "--merge %s: shard %d of %d",
                       parts[p].path, parts[p].index, parts[0].count);
          return FALSE;
        }
      if (seen[parts[p].index])
        {
          g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE,
                       "--merge %s: shard %d/%d is given twice (also %s)", parts[p].path,
                       parts[p].index, parts[0].count, parts[seen[parts[p].index] - 1].path);
          return FALSE;
        }
      seen[parts[p].index] = p + 1;
    }
  for (int s = 1; s <= parts[0].count; s++)
    if (!seen[s])
      {
        g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE,
                     "--merge: shard %d/%d is missing (given: %d part%s, the first %s)", s,
                     parts[0].count, n_parts, n_parts == 1 ? "" : "s", parts[0].path);
        return FALSE;
      }
  return TRUE;
}

int
mcam_eval_merge_main (char **paths, int n_parts, const char *model_override, gboolean json,
                      const char *out, gboolean force)
{
  g_autoptr(GError) error = NULL;
  g_autofree Part *parts = g_new0 (Part, MAX (n_parts, 1));
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func (mcam_eval_record_free);
  g_autoptr(GPtrArray) methods = g_ptr_array_new_with_free_func (method_free);
  g_autoptr(McamNet) net = NULL;
  g_autoptr(McamMemory) memory = NULL;
  g_autoptr(McamHead) head = NULL;
  g_autoptr(McamDataset) ds = NULL;
  g_autofree double *ap_t = NULL, *ap_m = NULL, *ap_n = NULL;
  g_autofree char *text = NULL;
  g_autofree gboolean *index_seen = NULL;
  McamEvalRun run = { 0 };
  const McamNetInfo *info;
  JsonObject *key, *opts;
  JsonArray *names;
  const char *model, *memory_path, *head_path, *layer, *classes;
  int C, status = MCAM_EXIT_OK, total;

  if (n_parts < 1)
    {
      fprintf (stderr, "mcam eval: --merge takes the parts' files (mcam eval --shard I/N --json)\n");
      return MCAM_EXIT_USAGE;
    }
  if (out != NULL && !mcam_cli_check_out ("--out", out, force, NULL, 0, &error))
    return mcam_cli_fail ("eval", error);
  for (int i = 0; i < n_parts; i++)
    {
      McamCliInput in = { "part", paths[i] };
      if (out != NULL && !mcam_cli_check_out ("--out", out, TRUE, &in, 1, &error))
        return mcam_cli_fail ("eval", error);
    }
  if (!read_parts (paths, n_parts, parts, &error))
    {
      status = mcam_cli_fail ("eval", error);
      goto done;
    }

  /* The model the parts name (the same path on every node of a cluster),
   * checked against their fingerprint: the class names and the report's
   * header come from it. */
  key = parts[0].key;
  opts = json_object_get_object_member (key, "options");
  model = model_override ? model_override : get_string (parts[0].shard, "model");
  memory_path = get_string (parts[0].shard, "memory");
  classes = get_string (parts[0].shard, "classes");
  layer = opts ? get_string (opts, "layer") : NULL;
  head_path = opts ? get_string (opts, "head") : NULL;
  if (model == NULL || opts == NULL)
    {
      g_set_error (&error, MCAM_ERROR, MCAM_ERROR_FORMAT, "--merge %s: no model path or options",
                   parts[0].path);
      status = mcam_cli_fail ("eval", error);
      goto done;
    }
  if (classes != NULL && mcam_cli_classes == NULL)
    mcam_cli_classes = g_strdup (classes);
  if (layer != NULL && mcam_cli_layer == NULL)
    mcam_cli_layer = g_strdup (layer);
  if (!mcam_cli_load_model (model, memory_path, &net, &memory, &error) ||
      !mcam_cli_head_load (head_path, net, &head, &error))
    {
      status = mcam_cli_fail ("eval", error);
      goto done;
    }
  info = mcam_net_get_info (net);
  C = info->n_classes;
  if (g_strcmp0 (info->fingerprint, get_string (key, "fingerprint")) != 0)
    {
      g_set_error (&error, MCAM_ERROR, MCAM_ERROR_USAGE,
                   "--merge: the model %s is not the one %s was computed with (fingerprint)",
                   model, parts[0].path);
      status = mcam_cli_fail ("eval", error);
      goto done;
    }

  names = json_object_get_array_member (key, "methods");
  for (guint k = 0; names && k < json_array_get_length (names); k++)
    {
      g_autofree char *name = g_strdup (json_array_get_string_element (names, k));
      char *colon = name ? strchr (name, ':') : NULL;
      McamEvalMethod *m = g_new0 (McamEvalMethod, 1);

      g_ptr_array_add (methods, m);
      if (colon != NULL)
        *colon = '\0';
      m->memory_head = colon != NULL;
      if (name == NULL || !mcam_method_from_name (name, &m->method))
        {
          g_set_error (&error, MCAM_ERROR, MCAM_ERROR_FORMAT, "--merge %s: unknown method “%s”",
                       parts[0].path, name ? name : "?");
          status = mcam_cli_fail ("eval", error);
          goto done;
        }
      m->tally = mcam_pointing_tally_new (C);
      m->Y = g_array_new (FALSE, FALSE, sizeof (double));
      m->O = g_array_new (FALSE, FALSE, sizeof (double));
      if (head != NULL && mcam_eval_method_reads_head (m))
        m->net_tally = mcam_pointing_tally_new (C);
    }

  total = json_object_get_int_member (key, "images_total");
  index_seen = g_new0 (gboolean, MAX (total, 1));
  for (int p = 0; p < n_parts; p++)
    {
      JsonObject *root = json_node_get_object (json_parser_get_root (parts[p].parser));
      JsonArray *recs = json_object_get_array_member (root, "records");

      for (guint i = 0; recs && i < json_array_get_length (recs); i++)
        {
          JsonObject *ro = json_array_get_object_element (recs, i);
          McamEvalRecord *r = NULL;

          if (ro == NULL || !read_record (ro, C, methods->len, &r))
            {
              g_set_error (&error, MCAM_ERROR, MCAM_ERROR_FORMAT,
                           "--merge %s: record %u is malformed", parts[p].path, i + 1);
              status = mcam_cli_fail ("eval", error);
              goto done;
            }
          g_ptr_array_add (records, r);
          if (r->index < 0 || r->index >= total || index_seen[r->index])
            {
              g_set_error (&error, MCAM_ERROR, MCAM_ERROR_FORMAT,
                           "--merge %s: image %s (row %d) is out of range or in two parts",
                           parts[p].path, r->name, r->index + 1);
              status = mcam_cli_fail ("eval", error);
              goto done;
            }
          index_seen[r->index] = TRUE;
        }
    }
  if ((int) records->len != total)
    {
      g_set_error (&error, MCAM_ERROR, MCAM_ERROR_FORMAT,
                   "--merge: the parts hold %u images, the run had %d", records->len, total);
      status = mcam_cli_fail ("eval", error);
      goto done;
    }

  ds = mcam_dataset_new (NULL, (const char *const *) info->classes, C);
  ds->has_boxes = json_object_get_int_member (opts, "boxes") != 0;
  run.model_path = model;
  run.memory_path = memory_path;
  run.net = net;
  run.memory = memory;
  run.ds = ds;
  run.metrics = json_object_get_int_member (opts, "metrics");
  if (!mcam_fill_from_name (get_string (opts, "fill"), &run.fill))
    run.fill = MCAM_FILL_BLACK;
  run.seed = json_object_get_int_member (opts, "seed");
  run.n_samples = json_object_get_int_member (opts, "samples");
  run.top_k = json_object_get_int_member (opts, "top_k");
  run.timing = json_object_get_int_member (opts, "timing") != 0;
  run.methods = methods;
  run.head = head;
  run.head_path = head_path;
  ap_t = g_new (double, C);
  ap_m = g_new (double, C);
  ap_n = g_new (double, C);
  mcam_eval_aggregate (&run, records, C, ap_t, ap_m, ap_n);

  if (json)
    {
      g_autoptr(JsonNode) root = mcam_eval_to_json (&run);
      g_autoptr(JsonBuilder) b = json_builder_new ();

      json_builder_begin_object (b);
      set_int (b, "parts", n_parts);
      json_builder_end_object (b);
      json_object_set_member (json_node_get_object (root), "merged", json_builder_get_root (b));
      text = mcam_json_to_string (root, TRUE, NULL);
      if (out == NULL)
        {
          fputs (text, stdout);
          fputc ('\n', stdout);
        }
    }
  else
    {
      if (out == NULL)
        mcam_eval_print_markdown (&run, stdout);
      else
        {
          char *buf = NULL;
          size_t len = 0;
          FILE *f = open_memstream (&buf, &len);
          mcam_eval_print_markdown (&run, f);
          fclose (f);
          text = buf;
        }
    }
  if (out != NULL && !g_file_set_contents (out, text, -1, &error))
    status = mcam_cli_fail ("eval", error);

done:
  for (int p = 0; p < n_parts; p++)
    g_clear_object (&parts[p].parser);
  return status;
}
