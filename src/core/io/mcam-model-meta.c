/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The model-level mcam.* metadata (docs/MODEL-FORMAT.md): preprocessing,
 * class names, score function, format version. Every value is checked before
 * use, absent ones are defaulted and said so (McamModelMeta.assumed), and a
 * key nobody reads is collected by name, so that a typo ("mcam.resize_size")
 * never passes silently as if it were used. */

#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <json-glib/json-glib.h>

#include "mcam/mcam-error.h"
#include "mcam-model-meta.h"

#define MAX_INPUT_SIDE 8192
#define MAX_RESIZE_SIZE 32768

/* The keys this reader reads, and the ones read elsewhere that are not the
 * architecture's (the caller passes those). */
static const char *const own_keys[] = {
  "mcam.format", "mcam.input", "mcam.resize", "mcam.resize-size", "mcam.interpolation",
  "mcam.mean", "mcam.std", "mcam.classes", "mcam.multilabel",
  "mcam.description",   /* free text for people (tools/train_backbone.py) */
  NULL
};

gboolean
_mcam_model_meta_error (GError **error, const char *path, const char *key,
                        const char *value, const char *want)
{
  g_set_error (error, MCAM_ERROR, MCAM_ERROR_FORMAT,
               "%s: metadata %s is '%s', expected %s", path, key, value, want);
  return FALSE;
}

gboolean
_mcam_model_meta_number_array (const char *path, const char *key, const char *value,
                               int n, gboolean ints, double *out, GError **error)
{
  g_autoptr (JsonNode) node = NULL;
  JsonArray *arr;
  const char *want = ints ? (n == 4 ? "a JSON array of 4 positive integers"
                                    : "a JSON array of integers")
                          : "a JSON array of 3 numbers";

  node = json_from_string (value, NULL);
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return _mcam_model_meta_error (error, path, key, value, want);
  arr = json_node_get_array (node);
  if ((int) json_array_get_length (arr) != n)
    return _mcam_model_meta_error (error, path, key, value, want);
  for (int i = 0; i < n; i++)
    {
      JsonNode *e = json_array_get_element (arr, i);
      GType t = JSON_NODE_HOLDS_VALUE (e) ? json_node_get_value_type (e) : G_TYPE_INVALID;

      if (t != G_TYPE_INT64 && t != G_TYPE_DOUBLE)
        return _mcam_model_meta_error (error, path, key, value, want);
      out[i] = json_node_get_double (e);
      if (ints && (t != G_TYPE_INT64 || out[i] < 1))
        return _mcam_model_meta_error (error, path, key, value, want);
    }
  return TRUE;
}

int
mcam_preprocess_default_resize_size (int width, int height)
{
  return (int) lround (MAX (width, height) / 0.875);
}

const char *
mcam_interpolation_get_name (McamInterpolation interp)
{
  switch (interp)
    {
    case MCAM_INTERP_BICUBIC: return "bicubic";
    case MCAM_INTERP_NEAREST: return "nearest";
    case MCAM_INTERP_BILINEAR:
    default: return "bilinear";
    }
}

const char *
mcam_resize_mode_get_name (McamResizeMode mode)
{
  return mode == MCAM_RESIZE_STRETCH ? "stretch" : "center-crop";
}

const char *
mcam_model_meta_field_key (McamMetaField field)
{
  switch (field)
    {
    case MCAM_META_INPUT: return "mcam.input";
    case MCAM_META_RESIZE: return "mcam.resize";
    case MCAM_META_RESIZE_SIZE: return "mcam.resize-size";
    case MCAM_META_INTERPOLATION: return "mcam.interpolation";
    case MCAM_META_MEAN: return "mcam.mean";
    case MCAM_META_STD: return "mcam.std";
    case MCAM_META_CLASSES: return "mcam.classes";
    case MCAM_META_MULTILABEL: return "mcam.multilabel";
    default: return NULL;
    }
}

typedef struct
{
  McamMetaGetFunc get;
  gpointer        source;
  const char     *path;
  McamModelMeta  *meta;
} Reader;

/* The value of key, or NULL with `field` marked as assumed. */
static const char *
lookup (Reader *r, const char *key, McamMetaField field)
{
  const char *v = r->get (r->source, key);

  if (v == NULL)
    r->meta->assumed |= field;
  return v;
}

static gboolean
parse_input (Reader *r, McamPreprocess *pp, GError **error)
{
  const char *value = lookup (r, "mcam.input", MCAM_META_INPUT);
  const char *v = value;
  char *end = NULL;
  gint64 w, h;

  pp->width = pp->height = 224;
  if (v == NULL)
    return TRUE;
  errno = 0;
  w = g_ascii_strtoll (v, &end, 10);
  if (end == v || *end != 'x' || errno != 0)
    return _mcam_model_meta_error (error, r->path, "mcam.input", value,
                                   "WIDTHxHEIGHT, e.g. 224x224");
  v = end + 1;
  h = g_ascii_strtoll (v, &end, 10);
  if (end == v || *end != '\0' || errno != 0 || w < 1 || h < 1 ||
      w > MAX_INPUT_SIDE || h > MAX_INPUT_SIDE)
    return _mcam_model_meta_error (error, r->path, "mcam.input", value,
                                   "WIDTHxHEIGHT, e.g. 224x224, sides 1 to 8192");
  pp->width = (int) w;
  pp->height = (int) h;
  return TRUE;
}

static gboolean
parse_resize (Reader *r, McamPreprocess *pp, GError **error)
{
  const char *v = lookup (r, "mcam.resize", MCAM_META_RESIZE);
  const char *size = lookup (r, "mcam.resize-size", MCAM_META_RESIZE_SIZE);
  int min_size = MAX (pp->width, pp->height);

  if (v == NULL || strcmp (v, "center-crop") == 0)
    pp->resize = MCAM_RESIZE_CENTER_CROP;
  else if (strcmp (v, "stretch") == 0)
    pp->resize = MCAM_RESIZE_STRETCH;
  else
    return _mcam_model_meta_error (error, r->path, "mcam.resize", v, "stretch or center-crop");

  pp->resize_size = 0;
  if (size != NULL)
    {
      g_autofree char *want = NULL;
      char *end = NULL;
      gint64 s;

      /* Only the centre crop resizes to a size of its own: a value beside
       * stretch would be ignored, and the user would believe it used. */
      if (pp->resize != MCAM_RESIZE_CENTER_CROP)
        return _mcam_model_meta_error (error, r->path, "mcam.resize-size", size,
                                       "no value with mcam.resize = stretch "
                                       "(it is the shorter side before a centre crop)");
      errno = 0;
      s = g_ascii_strtoll (size, &end, 10);
      /* At least the input's larger side: torchvision would pad a crop
       * larger than the resized image with black, which no model is trained
       * on. */
      want = g_strdup_printf ("an integer from %d (the input's larger side) to %d",
                              min_size, MAX_RESIZE_SIZE);
      if (end == size || *end != '\0' || errno != 0 || !g_ascii_isdigit (size[0]) ||
          s < min_size || s > MAX_RESIZE_SIZE)
        return _mcam_model_meta_error (error, r->path, "mcam.resize-size", size, want);
      pp->resize_size = (int) s;
    }
  else if (pp->resize == MCAM_RESIZE_CENTER_CROP)
    pp->resize_size = mcam_preprocess_default_resize_size (pp->width, pp->height);

  v = lookup (r, "mcam.interpolation", MCAM_META_INTERPOLATION);
  if (v == NULL || strcmp (v, "bilinear") == 0)
    pp->interpolation = MCAM_INTERP_BILINEAR;
  else if (strcmp (v, "bicubic") == 0)
    pp->interpolation = MCAM_INTERP_BICUBIC;
  else if (strcmp (v, "nearest") == 0)
    pp->interpolation = MCAM_INTERP_NEAREST;
  else
    return _mcam_model_meta_error (error, r->path, "mcam.interpolation", v,
                                   "bilinear, bicubic or nearest");
  return TRUE;
}

static gboolean
parse_normalization (Reader *r, McamPreprocess *pp, GError **error)
{
  static const float imagenet_mean[3] = { 0.485f, 0.456f, 0.406f };
  static const float imagenet_std[3] = { 0.229f, 0.224f, 0.225f };
  const char *v;
  double arr[3];

  memcpy (pp->mean, imagenet_mean, sizeof pp->mean);
  memcpy (pp->std, imagenet_std, sizeof pp->std);
  if ((v = lookup (r, "mcam.mean", MCAM_META_MEAN)) != NULL)
    {
      if (!_mcam_model_meta_number_array (r->path, "mcam.mean", v, 3, FALSE, arr, error))
        return FALSE;
      /* Checked as float32, the type they are used in: 1e300 is a double
       * but an infinite float. */
      for (int i = 0; i < 3; i++)
        {
          if (!isfinite ((float) arr[i]))
            return _mcam_model_meta_error (error, r->path, "mcam.mean", v,
                                           "a JSON array of 3 numbers within the range of float32");
          pp->mean[i] = (float) arr[i];
        }
    }
  if ((v = lookup (r, "mcam.std", MCAM_META_STD)) != NULL)
    {
      if (!_mcam_model_meta_number_array (r->path, "mcam.std", v, 3, FALSE, arr, error))
        return FALSE;
      for (int i = 0; i < 3; i++)
        {
          /* 1e-300 is positive as a double but 0 as a float: the
           * normalisation would divide by zero (inputs ±inf/NaN, and
           * finite-looking garbage logits after the ReLUs). */
          if (!((float) arr[i] > 0.0f) || !isfinite ((float) arr[i]))
            return _mcam_model_meta_error (error, r->path, "mcam.std", v,
                                           "a JSON array of 3 positive numbers within the range of float32");
          pp->std[i] = (float) arr[i];
        }
    }
  return TRUE;
}

static gboolean
parse_classes (Reader *r, McamModelMeta *meta, GError **error)
{
  const char *v = lookup (r, "mcam.classes", MCAM_META_CLASSES);

  if (v != NULL)
    {
      g_autoptr (JsonNode) node = json_from_string (v, NULL);
      g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      JsonArray *arr;

      if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
        return _mcam_model_meta_error (error, r->path, "mcam.classes", v,
                                       "a JSON array of class names");
      arr = json_node_get_array (node);
      for (guint i = 0; i < json_array_get_length (arr); i++)
        {
          JsonNode *e = json_array_get_element (arr, i);

          if (!JSON_NODE_HOLDS_VALUE (e) || json_node_get_value_type (e) != G_TYPE_STRING)
            return _mcam_model_meta_error (error, r->path, "mcam.classes", v,
                                           "a JSON array of class names");
          g_ptr_array_add (names, g_strdup (json_node_get_string (e)));
        }
      g_ptr_array_add (names, NULL);
      meta->classes = (char **) g_ptr_array_free (g_steal_pointer (&names), FALSE);
    }

  v = lookup (r, "mcam.multilabel", MCAM_META_MULTILABEL);
  if (v == NULL || strcmp (v, "false") == 0)
    meta->multilabel = FALSE;
  else if (strcmp (v, "true") == 0)
    meta->multilabel = TRUE;
  else
    return _mcam_model_meta_error (error, r->path, "mcam.multilabel", v, "true or false");
  return TRUE;
}

static gboolean
is_known (const char *key, const char *const *extra_known)
{
  if (g_str_has_prefix (key, "mcam.memory."))   /* the memory module's (mcam-memory.c) */
    return TRUE;
  if (g_strv_contains (own_keys, key))
    return TRUE;
  return extra_known != NULL && g_strv_contains (extra_known, key);
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

gboolean
mcam_model_meta_read (McamModelMeta *meta, McamMetaGetFunc get, gpointer source,
                      const char *const *keys, const char *const *extra_known,
                      const char *path, GError **error)
{
  Reader r = { get, source, path, meta };
  g_autoptr (GPtrArray) unknown = g_ptr_array_new_with_free_func (g_free);
  const char *fmt;

  g_return_val_if_fail (meta != NULL && get != NULL, FALSE);

  memset (meta, 0, sizeof *meta);
  for (gsize i = 0; keys != NULL && keys[i] != NULL; i++)
    if (g_str_has_prefix (keys[i], "mcam.") && !is_known (keys[i], extra_known))
      g_ptr_array_add (unknown, g_strdup (keys[i]));
  g_ptr_array_sort (unknown, compare_strings);
  g_ptr_array_add (unknown, NULL);
  meta->unknown_keys = (char **) g_ptr_array_free (g_steal_pointer (&unknown), FALSE);

  fmt = get (source, "mcam.format");
  if (fmt != NULL && strcmp (fmt, "1") != 0)
    {
      mcam_model_meta_clear (meta);
      return _mcam_model_meta_error (error, path, "mcam.format", fmt,
                                     "1 (a newer program wrote this file?)");
    }
  if (!parse_input (&r, &meta->preprocess, error) ||
      !parse_resize (&r, &meta->preprocess, error) ||
      !parse_normalization (&r, &meta->preprocess, error) ||
      !parse_classes (&r, meta, error))
    {
      mcam_model_meta_clear (meta);
      return FALSE;
    }
  return TRUE;
}

void
mcam_model_meta_clear (McamModelMeta *meta)
{
  g_return_if_fail (meta != NULL);

  g_strfreev (meta->classes);
  g_strfreev (meta->unknown_keys);
  memset (meta, 0, sizeof *meta);
}

gboolean
_mcam_model_meta_take_classes (McamModelMeta *meta, int n_classes, const char *path,
                               const char *tensor, char ***classes_out, GError **error)
{
  if (meta->classes == NULL)
    {
      char **names = g_new0 (char *, n_classes + 1);

      for (int i = 0; i < n_classes; i++)
        names[i] = g_strdup_printf ("%d", i);
      *classes_out = names;
      return TRUE;
    }
  if ((int) g_strv_length (meta->classes) != n_classes)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_SHAPE,
                   "%s: metadata mcam.classes names %u classes but tensor '%s' "
                   "has %d rows", path, g_strv_length (meta->classes), tensor, n_classes);
      return FALSE;
    }
  *classes_out = g_steal_pointer (&meta->classes);
  return TRUE;
}

static const char *
safetensors_get (gpointer source, const char *key)
{
  return mcam_safetensors_get_metadata (source, key);
}

gboolean
_mcam_model_meta_read_safetensors (McamModelMeta *meta, McamSafetensors *st,
                                   const char *const *extra_known, GError **error)
{
  GHashTable *all = mcam_safetensors_get_all_metadata (st);
  g_autofree const char **keys = NULL;

  keys = all != NULL ? (const char **) g_hash_table_get_keys_as_array (all, NULL)
                     : g_new0 (const char *, 1);
  return mcam_model_meta_read (meta, safetensors_get, st, keys, extra_known,
                               mcam_safetensors_get_path (st), error);
}
