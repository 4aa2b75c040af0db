/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `mcam eval --merge PART...` (issue 15): the parts read back into records,
 * checked to belong to one run, aggregated by mcam_eval_aggregate () and
 * reported as a whole run is. docs/SCALE.md states the rules. */

#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "mcam-eval-merge.h"
#include "mcam-cli-head.h"

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
  g_autoptr(GPtrArray) methods = g_ptr_array_new_with_free_func (mcam_eval_method_free);
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
      McamEvalMethod *m;
      McamMethod method;

      if (colon != NULL)
        *colon = '\0';
      if (name == NULL || !mcam_method_from_name (name, &method))
        {
          g_set_error (&error, MCAM_ERROR, MCAM_ERROR_FORMAT, "--merge %s: unknown method “%s”",
                       parts[0].path, name ? name : "?");
          status = mcam_cli_fail ("eval", error);
          goto done;
        }
      m = mcam_eval_method_new (method, colon != NULL, C);
      g_ptr_array_add (methods, m);
    }
  mcam_eval_methods_init_head (methods, net, head);

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
      json_builder_set_member_name (b, "parts");
      json_builder_add_int_value (b, n_parts);
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
