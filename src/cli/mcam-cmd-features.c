/* SPDX-License-Identifier: GPL-3.0-or-later */
/* mcam features --model M [--layer L] --images DIR --labels CSV --shard I/N --out PART
 *
 * Backbone features of one shard of a labelled image set (issue 15), for
 * `mcam train --features PART...` and `mcam refit --features PART...`: the
 * expensive forward passes of a large set spread over a job array, the
 * training run on the joined parts. The shard is the one `mcam eval
 * --shard` takes (contiguous blocks of the sorted names). */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "mcam-cli-features.h"
#include "mcam-eval-merge.h"

/* The list the parts belong to: every name and its labels (not the boxes). */
static char *
list_hash (McamDataset *ds)
{
  gboolean had = ds->has_boxes;
  char *h;

  ds->has_boxes = FALSE;
  h = mcam_eval_labels_hash (ds, ds->n);
  ds->has_boxes = had;
  return h;
}

static gboolean
write_sidecar (const char *out, McamNet *net, McamDataset *ds, GArray *rows, int index,
               int count, GError **error)
{
  const McamNetInfo *info = mcam_net_get_info (net);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *hash = list_hash (ds), *path = g_strconcat (out, ".json", NULL);
  g_autofree char *text = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "mcam_features_part");
  json_builder_add_int_value (b, 1);
  json_builder_set_member_name (b, "shard");
  json_builder_add_int_value (b, index);
  json_builder_set_member_name (b, "count");
  json_builder_add_int_value (b, count);
  json_builder_set_member_name (b, "fingerprint");
  json_builder_add_string_value (b, info->fingerprint ? info->fingerprint : "");
  json_builder_set_member_name (b, "layer");
  json_builder_add_string_value (b, info->target);
  json_builder_set_member_name (b, "list_hash");
  json_builder_add_string_value (b, hash);
  json_builder_set_member_name (b, "images_total");
  json_builder_add_int_value (b, ds->n);
  json_builder_set_member_name (b, "rows");
  json_builder_begin_array (b);
  for (guint r = 0; r < rows->len; r++)
    json_builder_add_int_value (b, g_array_index (rows, int, r));
  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  text = mcam_json_to_string (root, TRUE, NULL);
  return g_file_set_contents (path, text, -1, error);
}

int
mcam_cmd_features (int argc, char **argv)
{
  g_autofree char *model = NULL, *images = NULL, *labels = NULL, *out = NULL, *shard_s = NULL;
  gboolean force = FALSE;
  int threads = 0, index = 1, count = 1;
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model, "Backbone model (ONNX or safetensors)", "FILE" },
    { "images", 0, 0, G_OPTION_ARG_FILENAME, &images, "Folder the labels' file names are relative to", "DIR" },
    { "labels", 0, 0, G_OPTION_ARG_FILENAME, &labels, "labels.csv (file,labels)", "CSV" },
    { "shard", 0, 0, G_OPTION_ARG_STRING, &shard_s,
      "Shard I of N (sorted names, contiguous blocks; also MCAM_SHARD; default 1/1)", "I/N" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, "The part: a feature cache (and OUT.json)", "PART" },
    { "force", 0, 0, G_OPTION_ARG_NONE, &force, "Replace an existing part", NULL },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads, "BLAS threads (0: all cores)", "T" },
    MCAM_CLI_CLASSES_OPTION,
    MCAM_CLI_LAYER_OPTION,
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("— backbone features of one shard, for train/refit --features");
  g_autoptr(GError) error = NULL;
  g_autoptr(McamNet) net = NULL;
  g_autoptr(McamDataset) ds = NULL;
  g_autoptr(McamFeatureCache) cache = NULL;
  g_autoptr(GArray) rows = NULL;
  g_autofree char *sidecar = NULL;
  g_autofree const char **paths = NULL;
  const McamNetInfo *info;
  const char *env = g_getenv ("MCAM_SHARD");

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!mcam_cli_parse (ctx, &argc, &argv))
    return MCAM_EXIT_USAGE;
  if (model == NULL || images == NULL || labels == NULL || out == NULL || argc != 1)
    {
      fprintf (stderr, "mcam features: give --model, --images, --labels and --out, and no "
               "other arguments\n");
      return MCAM_EXIT_USAGE;
    }
  if (shard_s != NULL)
    {
      if (!mcam_eval_shard_parse (shard_s, "--shard", &index, &count, &error))
        return mcam_cli_fail ("features", error);
    }
  else if (env != NULL && *env != '\0' &&
           !mcam_eval_shard_parse (env, "MCAM_SHARD", &index, &count, &error))
    return mcam_cli_fail ("features", error);
  sidecar = g_strconcat (out, ".json", NULL);
  {
    const McamCliInput inputs[] = {
      { "model", model }, { "labels", labels }, { "class names", mcam_cli_classes },
    };
    if (!mcam_cli_check_out ("--out", out, force, inputs, G_N_ELEMENTS (inputs), &error) ||
        !mcam_cli_check_out ("--out", sidecar, force, inputs, G_N_ELEMENTS (inputs), &error))
      return mcam_cli_fail ("features", error);
  }
  mcam_blas_set_threads (threads);

  net = mcam_net_load (model, &error);
  if (net == NULL)
    return mcam_cli_fail ("features", error);
  mcam_cli_warn_metadata (model, net);
  if (!mcam_cli_apply_classes (net, &error) || !mcam_cli_apply_layer (net, &error))
    return mcam_cli_fail ("features", error);
  info = mcam_net_get_info (net);
  ds = mcam_dataset_load (labels, NULL, images, (const char *const *) info->classes,
                          info->n_classes, &error);
  if (ds == NULL ||
      !mcam_cli_check_out_not_in ("--out", out, "image", (const char *const *) ds->paths,
                                  (gsize) ds->n, &error))
    return mcam_cli_fail ("features", error);

  rows = mcam_eval_shard_select (ds->names, ds->n, index, count);
  if (rows->len == 0)
    {
      fprintf (stderr, "mcam features: shard %d/%d of %s holds no image (%d images)\n", index,
               count, labels, ds->n);
      return MCAM_EXIT_USAGE;
    }
  paths = g_new (const char *, rows->len);
  for (guint r = 0; r < rows->len; r++)
    paths[r] = ds->paths[g_array_index (rows, int, r)];
  /* The cache replaces its file atomically; --force was checked above. */
  cache = mcam_feature_cache_open (out, net, paths, rows->len, 16, NULL, NULL, NULL, &error);
  if (cache == NULL || !write_sidecar (out, net, ds, rows, index, count, &error))
    return mcam_cli_fail ("features", error);
  fprintf (stderr, "mcam features: shard %d/%d: %u of %d images into %s\n", index, count,
           rows->len, ds->n, out);
  return MCAM_EXIT_OK;
}

/* ---- the cache beside train's / refit's output --------------------------- */

typedef struct
{
  McamCliProgress    *bar;
  const char         *what;
  int                 last_decile;
  const volatile sig_atomic_t *interrupted;
  GCancellable       *cancellable;
} OpenProgress;

static void
on_open_progress (int done, int total, gpointer user_data)
{
  OpenProgress *p = user_data;

  /* A signal handler only sets a flag; the cancel happens here, between
   * batches. */
  if (p->interrupted != NULL && *p->interrupted)
    g_cancellable_cancel (p->cancellable);
  mcam_cli_feature_progress (p->bar, p->what, &p->last_decile, done, total);
}

McamFeatureCache *
mcam_cli_features_open (McamNet *net, McamDataset *ds, const char *cache_path, const char *what,
                        const volatile sig_atomic_t *interrupted, GError **error)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  OpenProgress p = { .what = what, .interrupted = interrupted, .cancellable = cancellable };
  McamFeatureCache *cache;

  p.bar = mcam_cli_progress_new (what, ds->n);
  cache = mcam_feature_cache_open (cache_path, net, (const char *const *) ds->paths, ds->n, 16,
                                   on_open_progress, &p, cancellable, error);
  mcam_cli_progress_free (p.bar);
  if (cache != NULL && mcam_feature_cache_was_reused (cache))
    fprintf (stderr, "%s: reusing %s\n", what, cache_path);
  return cache;
}

/* ---- the join (train / refit --features) -------------------------------- */

void
mcam_cli_features_take_args (char ***parts, int *argc, char **argv)
{
  GStrvBuilder *sb;

  if (*parts == NULL || *argc <= 1)
    return;
  sb = g_strv_builder_new ();
  g_strv_builder_addv (sb, (const char **) *parts);
  g_strv_builder_addv (sb, (const char **) argv + 1);
  g_strfreev (*parts);
  *parts = g_strv_builder_end (sb);
  g_strv_builder_unref (sb);
  *argc = 1;
}

typedef struct
{
  const char *path;
  JsonParser *parser;
  JsonObject *o;
  int         shard, count;
} Part;

gboolean
mcam_cli_features_join (McamNet *net, McamDataset *ds, char **parts, float **features,
                        float **logits, GError **error)
{
  const McamNetInfo *info = mcam_net_get_info (net);
  int n_parts = g_strv_length (parts), C = info->n_classes;
  gsize D = (gsize) info->feat_c * info->feat_h * info->feat_w;
  g_autofree Part *p = g_new0 (Part, MAX (n_parts, 1));
  g_autofree char *hash = list_hash (ds);
  g_autofree int *shard_of = NULL;
  g_autofree gboolean *row_seen = g_new0 (gboolean, MAX (ds->n, 1));
  g_autofree float *F = g_new (float, MAX (D * ds->n, 1));
  g_autofree float *L = g_new (float, MAX ((gsize) C * ds->n, 1));
  gboolean ok = FALSE;
  int count = 0;

  for (int k = 0; k < n_parts; k++)
    {
      g_autofree char *side = g_strconcat (parts[k], ".json", NULL);
      JsonNode *root;

      p[k].path = parts[k];
      p[k].parser = json_parser_new ();
      if (!json_parser_load_from_file (p[k].parser, side, error))
        {
          g_prefix_error (error, "--features %s: its %s: ", parts[k], side);
          goto out;
        }
      root = json_parser_get_root (p[k].parser);
      p[k].o = root && JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
      if (p[k].o == NULL || !json_object_has_member (p[k].o, "mcam_features_part"))
        {
          g_set_error (error, MCAM_ERROR, MCAM_ERROR_FORMAT,
                       "--features %s: %s is not a part's description (mcam features)",
                       parts[k], side);
          goto out;
        }
      p[k].shard = json_object_get_int_member (p[k].o, "shard");
      p[k].count = json_object_get_int_member (p[k].o, "count");
      if (g_strcmp0 (json_object_get_string_member (p[k].o, "fingerprint"),
                     info->fingerprint ? info->fingerprint : "") != 0 ||
          g_strcmp0 (json_object_get_string_member (p[k].o, "layer"), info->target) != 0)
        {
          g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE,
                       "--features %s holds features of another backbone or layer "
                       "(fingerprint, layer) than %s", parts[k], info->target);
          goto out;
        }
      if (g_strcmp0 (json_object_get_string_member (p[k].o, "list_hash"), hash) != 0)
        {
          g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE,
                       "--features %s is a part of another image list than --labels "
                       "(names and labels hash)", parts[k]);
          goto out;
        }
      if (k == 0)
        {
          count = p[k].count;
          shard_of = g_new0 (int, count + 1);
        }
      if (p[k].count != count || p[k].shard < 1 || p[k].shard > count)
        {
          g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE,
                       "--features %s: shard %d of %d, but %s is of %d shards", parts[k],
                       p[k].shard, p[k].count, parts[0], count);
          goto out;
        }
      if (shard_of[p[k].shard])
        {
          g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE,
                       "--features %s: shard %d/%d is given twice (also %s)", parts[k],
                       p[k].shard, count, parts[shard_of[p[k].shard] - 1]);
          goto out;
        }
      shard_of[p[k].shard] = k + 1;
    }
  for (int s = 1; s <= count; s++)
    if (!shard_of[s])
      {
        g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE,
                     "--features: shard %d/%d is missing (given %d, the first %s)", s, count,
                     n_parts, parts[0]);
        goto out;
      }

  for (int k = 0; k < n_parts; k++)
    {
      JsonArray *rows = json_object_get_array_member (p[k].o, "rows");
      int m = rows ? json_array_get_length (rows) : 0;
      g_autofree const char **paths = g_new (const char *, MAX (m, 1));
      g_autofree int *idx = g_new (int, MAX (m, 1));
      g_autoptr(McamFeatureCache) cache = NULL;

      for (int r = 0; r < m; r++)
        {
          idx[r] = json_array_get_int_element (rows, r);
          if (idx[r] < 0 || idx[r] >= ds->n || row_seen[idx[r]])
            {
              g_set_error (error, MCAM_ERROR, MCAM_ERROR_FORMAT,
                           "--features %s: row %d is out of range or in two parts", parts[k],
                           idx[r]);
              goto out;
            }
          row_seen[idx[r]] = TRUE;
          paths[r] = ds->paths[idx[r]];
        }
      /* Keyed by the images' paths, sizes and times: a part of changed
       * images is recomputed (and rewritten), never joined stale. */
      cache = mcam_feature_cache_open (parts[k], net, paths, m, 16, NULL, NULL, NULL, error);
      if (cache == NULL)
        {
          g_prefix_error (error, "--features %s: ", parts[k]);
          goto out;
        }
      if (!mcam_feature_cache_was_reused (cache))
        fprintf (stderr, "--features %s did not match its images (moved or changed?): "
                 "recomputed\n", parts[k]);
      for (int r = 0; r < m; r++)
        {
          memcpy (F + D * idx[r], mcam_feature_cache_get_features (cache) + D * r,
                  sizeof (float) * D);
          memcpy (L + (gsize) C * idx[r], mcam_feature_cache_get_logits (cache) + (gsize) C * r,
                  sizeof (float) * C);
        }
    }
  for (int i = 0; i < ds->n; i++)
    if (!row_seen[i])
      {
        g_set_error (error, MCAM_ERROR, MCAM_ERROR_FORMAT,
                     "--features: no part holds image %s", ds->names[i]);
        goto out;
      }
  *features = g_steal_pointer (&F);
  *logits = g_steal_pointer (&L);
  ok = TRUE;

out:
  for (int k = 0; k < n_parts; k++)
    g_clear_object (&p[k].parser);
  return ok;
}
