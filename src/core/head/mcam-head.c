/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The re-fit head (issue 12): the type, its file, and applying it. The fit
 * is in mcam-head-fit.c. */

#include "config.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "mcam/mcam-error.h"
#include "mcam/mcam-head.h"
#include "mcam/mcam-image.h"
#include "mcam/mcam-json.h"
#include "mcam/mcam-safetensors.h"
#include "mcam-memory-private.h"

#define META "mcam.head."

McamHead *
mcam_head_new (int n_classes, int c, gboolean multilabel)
{
  McamHead *h;

  g_return_val_if_fail (n_classes > 0 && c > 0, NULL);
  h = g_new0 (McamHead, 1);
  h->n_classes = n_classes;
  h->c = c;
  h->multilabel = multilabel;
  h->weight = g_new0 (float, (gsize) n_classes * c);
  h->bias = g_new0 (float, n_classes);
  h->l2 = NAN;
  h->val_score = NAN;
  return h;
}

void
mcam_head_free (McamHead *h)
{
  if (h == NULL)
    return;
  g_free (h->weight);
  g_free (h->bias);
  g_strfreev (h->classes);
  g_free (h->backbone);
  g_free (h->layer);
  g_free (h->images_hash);
  g_free (h->cv_curve);
  g_free (h);
}

McamHead *
mcam_head_new_from_net (McamNet *net)
{
  const McamNetInfo *info = mcam_net_get_info (net);
  const float *W = mcam_net_get_head_weight (net);
  const float *b = mcam_net_get_head_bias (net);
  McamHead *h;

  if (W == NULL || b == NULL)
    return NULL;
  h = mcam_head_new (info->n_classes, info->feat_c, info->multilabel);
  memcpy (h->weight, W, sizeof (float) * info->n_classes * info->feat_c);
  memcpy (h->bias, b, sizeof (float) * info->n_classes);
  h->classes = g_strdupv (info->classes);
  h->backbone = g_strdup (info->fingerprint);
  h->layer = g_strdup (info->target);
  return h;
}

/* ---- file ---- */

static char *
fmt_double (double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  return isnan (v) ? g_strdup ("nan") : g_strdup (g_ascii_dtostr (buf, sizeof buf, v));
}

gboolean
mcam_head_save (const McamHead *h, const char *path, GError **error)
{
  g_autoptr(McamSafetensorsWriter) wr = mcam_safetensors_writer_new ();
  gint64 wshape[2] = { h->n_classes, h->c }, bshape[1] = { h->n_classes };
  g_autofree char *l2 = fmt_double (h->l2);
  g_autofree char *val = fmt_double (h->val_score);
  g_autofree char *n_images = g_strdup_printf ("%d", h->n_images);
  g_autofree char *folds = g_strdup_printf ("%d", h->folds);
  g_autofree char *seed = g_strdup_printf ("%" G_GUINT64_FORMAT, h->seed);

  mcam_safetensors_writer_add (wr, "head.weight", 2, wshape, h->weight);
  mcam_safetensors_writer_add (wr, "head.bias", 1, bshape, h->bias);
  mcam_safetensors_writer_set_metadata (wr, "mcam.format", "1");
  mcam_safetensors_writer_set_metadata (wr, META "kind", "re-fit linear head on GAP(f)");
  mcam_safetensors_writer_set_metadata (wr, META "multilabel", h->multilabel ? "true" : "false");
  if (h->backbone != NULL)
    mcam_safetensors_writer_set_metadata (wr, META "backbone", h->backbone);
  if (h->layer != NULL)
    mcam_safetensors_writer_set_metadata (wr, META "layer", h->layer);
  mcam_safetensors_writer_set_metadata (wr, META "images", n_images);
  if (h->images_hash != NULL)
    mcam_safetensors_writer_set_metadata (wr, META "images_hash", h->images_hash);
  mcam_safetensors_writer_set_metadata (wr, META "l2", l2);
  mcam_safetensors_writer_set_metadata (wr, META "folds", folds);
  mcam_safetensors_writer_set_metadata (wr, META "val_map", val);
  mcam_safetensors_writer_set_metadata (wr, META "seed", seed);
  if (h->cv_curve != NULL)
    mcam_safetensors_writer_set_metadata (wr, META "cv", h->cv_curve);
  if (h->classes != NULL)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autofree char *json = NULL;
      json_builder_begin_array (b);
      for (int k = 0; h->classes[k] != NULL; k++)
        json_builder_add_string_value (b, h->classes[k]);
      json_builder_end_array (b);
      root = json_builder_get_root (b);
      json = mcam_json_to_string (root, FALSE, NULL);
      mcam_safetensors_writer_set_metadata (wr, "mcam.classes", json);
    }
  return mcam_safetensors_writer_save (wr, path, error);
}

static double
meta_double (McamSafetensors *st, const char *key)
{
  const char *v = mcam_safetensors_get_metadata (st, key);
  return v == NULL || g_ascii_strcasecmp (v, "nan") == 0 ? NAN : g_ascii_strtod (v, NULL);
}

static char **
parse_classes (const char *json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonArray *arr;
  GPtrArray *out;

  if (json == NULL || !json_parser_load_from_data (parser, json, -1, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_ARRAY (root))
    return NULL;
  arr = json_node_get_array (root);
  out = g_ptr_array_new ();
  for (guint i = 0; i < json_array_get_length (arr); i++)
    {
      JsonNode *n = json_array_get_element (arr, i);
      if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
        {
          g_ptr_array_free (out, TRUE);
          return NULL;
        }
      g_ptr_array_add (out, g_strdup (json_node_get_string (n)));
    }
  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (out, FALSE);
}

/* A head that records the net's current target was fitted there; one that
 * records nothing or the legacy name was fitted at the default target,
 * the layer the network's own GAP + linear head reads (unless the net
 * really has a layer of that name). */
static gboolean
layer_matches (const McamHead *h, McamNet *net)
{
  const McamNetInfo *info = mcam_net_get_info (net);

  if (h->layer != NULL && g_strcmp0 (h->layer, info->target) == 0)
    return TRUE;
  if (h->layer == NULL || strcmp (h->layer, MCAM_HEAD_LAYER_LEGACY) == 0)
    {
      g_auto(GStrv) layers = mcam_net_list_layers (net);
      if (h->layer != NULL && layers != NULL &&
          g_strv_contains ((const char *const *) layers, h->layer))
        return FALSE;
      return mcam_net_get_head_weight (net) != NULL;
    }
  return FALSE;
}

gboolean
mcam_head_check_net (const McamHead *h, const char *path, McamNet *net, GError **error)
{
  const McamNetInfo *info = mcam_net_get_info (net);
  const char *net_path = mcam_net_get_path (net);

  if (h->backbone == NULL || info->fingerprint == NULL ||
      strcmp (h->backbone, info->fingerprint) != 0)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_MISMATCH,
                   "%s was fitted on another backbone (fingerprint %.12s…), not on %s "
                   "(%.12s…): a re-fit head only reads the features of the backbone it "
                   "was fitted on; fit one for this model with mcam refit",
                   path, h->backbone ? h->backbone : "unknown", net_path,
                   info->fingerprint ? info->fingerprint : "unknown");
      return FALSE;
    }
  /* The features of another layer mean nothing to this head (and their
   * channel count may even agree); the backbone first, as another one's
   * layer names mean nothing either. */
  if (!layer_matches (h, net))
    {
      if (h->layer == NULL || !g_strcmp0 (h->layer, MCAM_HEAD_LAYER_LEGACY))
        g_set_error (error, MCAM_ERROR, MCAM_ERROR_MISMATCH,
                     "%s was fitted at the default target layer of %s (it records "
                     "“%s”), not at “%s”: use it without --layer",
                     path, net_path, h->layer ? h->layer : "no layer", info->target);
      else
        g_set_error (error, MCAM_ERROR, MCAM_ERROR_MISMATCH,
                     "%s was fitted on the pooled features of layer “%s” of %s, not of "
                     "“%s”: use it with --layer %s", path, h->layer, net_path,
                     info->target, h->layer);
      return FALSE;
    }
  if (h->n_classes != info->n_classes || h->c != info->feat_c)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_MISMATCH,
                   "%s has %d classes on %d channels, and %s %d classes on %d channels",
                   path, h->n_classes, h->c, net_path, info->n_classes, info->feat_c);
      return FALSE;
    }
  if (h->classes != NULL)
    for (int k = 0; k < h->n_classes; k++)
      if (h->classes[k] == NULL || g_strcmp0 (h->classes[k], info->classes[k]) != 0)
        {
          g_set_error (error, MCAM_ERROR, MCAM_ERROR_MISMATCH,
                       "%s: class %d is “%s”, and in %s “%s”", path, k,
                       h->classes[k] ? h->classes[k] : "(none)", net_path, info->classes[k]);
          return FALSE;
        }
  return TRUE;
}

McamHead *
mcam_head_load (const char *path, McamNet *net, GError **error)
{
  g_autoptr(McamSafetensors) st = mcam_safetensors_open (path, error);
  g_autoptr(McamTensor) W = NULL, b = NULL;
  g_autoptr(McamHead) h = NULL;
  const char *v;

  if (st == NULL)
    return NULL;
  if (!mcam_safetensors_has (st, "head.weight"))
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_SHAPE,
                   "%s is not a re-fit head (no head.weight tensor; make one with "
                   "mcam refit)", path);
      return NULL;
    }
  W = mcam_safetensors_read (st, "head.weight", 2, (gint64[]) { -1, -1 }, error);
  if (W == NULL)
    return NULL;
  if (W->shape[0] < 1 || W->shape[1] < 1 || W->shape[0] > G_MAXINT / 2 ||
      W->shape[1] > G_MAXINT / 2)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_SHAPE,
                   "%s: head.weight has an empty or oversized shape", path);
      return NULL;
    }
  b = mcam_safetensors_read (st, "head.bias", 1, (gint64[]) { W->shape[0] }, error);
  if (b == NULL)
    return NULL;

  v = mcam_safetensors_get_metadata (st, META "multilabel");
  h = mcam_head_new ((int) W->shape[0], (int) W->shape[1], g_strcmp0 (v, "false") != 0);
  memcpy (h->weight, W->data, sizeof (float) * W->shape[0] * W->shape[1]);
  memcpy (h->bias, b->data, sizeof (float) * W->shape[0]);
  h->backbone = g_strdup (mcam_safetensors_get_metadata (st, META "backbone"));
  g_free (h->layer);
  h->layer = g_strdup (mcam_safetensors_get_metadata (st, META "layer"));
  h->images_hash = g_strdup (mcam_safetensors_get_metadata (st, META "images_hash"));
  h->cv_curve = g_strdup (mcam_safetensors_get_metadata (st, META "cv"));
  h->l2 = meta_double (st, META "l2");
  h->val_score = meta_double (st, META "val_map");
  v = mcam_safetensors_get_metadata (st, META "images");
  h->n_images = v ? atoi (v) : 0;
  v = mcam_safetensors_get_metadata (st, META "folds");
  h->folds = v ? atoi (v) : 0;
  v = mcam_safetensors_get_metadata (st, META "seed");
  h->seed = v ? g_ascii_strtoull (v, NULL, 10) : 0;
  h->classes = parse_classes (mcam_safetensors_get_metadata (st, "mcam.classes"));
  if (h->classes != NULL && (int) g_strv_length (h->classes) != h->n_classes)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_FORMAT,
                   "%s: mcam.classes names %u classes, and head.weight has %d rows", path,
                   g_strv_length (h->classes), h->n_classes);
      return NULL;
    }
  if (net != NULL && !mcam_head_check_net (h, path, net, error))
    return NULL;
  return g_steal_pointer (&h);
}

char *
mcam_head_hash_images (const char *const *names, const char *const *paths,
                       const float *labels, int n, int C, GError **error)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);

  for (int i = 0; i < n; i++)
    {
      /* Read as the image loader reads it (never mapped: a file rewritten
       * meanwhile must not be SIGBUS). */
      g_autoptr(GBytes) bytes = mcam_image_read_file (paths[i], 0, error);
      if (bytes == NULL)
        return NULL;
      g_checksum_update (sum, (const guchar *) names[i], strlen (names[i]) + 1);
      for (int k = 0; k < C; k++)
        {
          guchar y = labels[(gsize) i * C + k] > 0.5f;
          g_checksum_update (sum, &y, 1);
        }
      g_checksum_update (sum, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
    }
  return g_strdup (g_checksum_get_string (sum));
}

/* ---- applying it ---- */

void
mcam_head_logits (const McamHead *h, const float *q, float *logits)
{
  for (int k = 0; k < h->n_classes; k++)
    {
      const float *w = h->weight + (gsize) k * h->c;
      double s = h->bias[k];
      for (int j = 0; j < h->c; j++)
        s += (double) w[j] * q[j];
      logits[k] = (float) s;
    }
}

void
mcam_head_logits_from_features (const McamHead *h, const float *f, int hw, float *logits)
{
  g_autofree float *q = g_new (float, h->c);

  _mcam_gap (f, h->c, hw, q);
  mcam_head_logits (h, q, logits);
}

void
mcam_head_scores (const McamHead *h, const float *logits, float *scores)
{
  int C = h->n_classes;

  if (h->multilabel)
    {
      for (int k = 0; k < C; k++)
        scores[k] = (float) (1.0 / (1.0 + exp (-(double) logits[k])));
      return;
    }
  double zmax = -INFINITY, sum = 0.0;
  for (int k = 0; k < C; k++)
    zmax = MAX (zmax, logits[k]);
  for (int k = 0; k < C; k++)
    sum += exp (logits[k] - zmax);
  for (int k = 0; k < C; k++)
    scores[k] = (float) (exp (logits[k] - zmax) / sum);
}

typedef struct
{
  McamNet        *net;
  const McamHead *head;
} HeadScorer;

static gboolean
head_score_func (gpointer user_data, const float *inputs, int batch, float *scores,
                 GCancellable *cancellable, GError **error)
{
  HeadScorer *hs = user_data;
  const McamNetInfo *info = mcam_net_get_info (hs->net);
  gint64 shape[4] = { batch, 3, info->preprocess.height, info->preprocess.width };
  g_autoptr(McamTensor) in = mcam_tensor_new_view ((float *) inputs, 4, shape);
  g_autoptr(McamTensor) features = NULL;
  int C = hs->head->n_classes;
  g_autofree float *logits = g_new (float, C);

  if (!mcam_net_forward (hs->net, in, &features, NULL, cancellable, error))
    return FALSE;
  gsize fsize = (gsize) features->shape[1] * features->shape[2] * features->shape[3];
  int hw = (int) (features->shape[2] * features->shape[3]);
  for (int b = 0; b < batch; b++)
    {
      mcam_head_logits_from_features (hs->head, features->data + b * fsize, hw, logits);
      mcam_head_scores (hs->head, logits, scores + (gsize) b * C);
    }
  return TRUE;
}

/* One small record per (net, head) for the life of the process, as the
 * network scorers of mcam-metrics.c: a McamScorer is a plain value. */
static HeadScorer *
head_scorer_get (McamNet *net, const McamHead *head)
{
  static GMutex lock;
  static GPtrArray *all = NULL;
  HeadScorer *found = NULL;

  g_mutex_lock (&lock);
  if (all == NULL)
    all = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < all->len && found == NULL; i++)
    {
      HeadScorer *hs = g_ptr_array_index (all, i);
      if (hs->net == net && hs->head == head)
        found = hs;
    }
  if (found == NULL)
    {
      found = g_new0 (HeadScorer, 1);
      found->net = net;
      found->head = head;
      g_ptr_array_add (all, found);
    }
  g_mutex_unlock (&lock);
  return found;
}

void
mcam_head_scorer_init (McamScorer *s, McamNet *net, const McamHead *head)
{
  mcam_scorer_init_net (s, net, NULL, FALSE);
  s->n_classes = head->n_classes;
  s->user_data = head_scorer_get (net, head);
  s->func = head_score_func;
}
