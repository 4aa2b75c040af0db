/* SPDX-License-Identifier: GPL-3.0-or-later */
/* An image file as a list item for the browser's row template
 * (ui/mcam-image-row.ui). */

#define G_LOG_DOMAIN "mcam-app"

#include "config.h"

#include <glib/gi18n.h>

#include "mcam-image-item.h"

struct _McamImageItem
{
  GObject       parent_instance;
  GFile        *file;
  char         *path;
  char         *name;
  GdkPaintable *thumbnail;
  float        *labels;       /* [n_classes] or NULL */
  int           n_classes;
  McamBox      *boxes;
  int           n_boxes;
  char         *labels_text;
  char         *error;        /* why the image could not be analysed, or NULL */
};

G_DEFINE_FINAL_TYPE (McamImageItem, mcam_image_item, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_NAME,
  PROP_THUMBNAIL,
  PROP_LABELS_TEXT,
  PROP_HAS_GROUND_TRUTH,
  PROP_ERROR,
  PROP_FAILED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
mcam_image_item_get_property (GObject *object, guint prop_id, GValue *value,
                              GParamSpec *pspec)
{
  McamImageItem *self = MCAM_IMAGE_ITEM (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_THUMBNAIL:
      g_value_set_object (value, self->thumbnail);
      break;
    case PROP_LABELS_TEXT:
      g_value_set_string (value, self->labels_text);
      break;
    case PROP_HAS_GROUND_TRUTH:
      g_value_set_boolean (value, self->labels != NULL);
      break;
    case PROP_ERROR:
      g_value_set_string (value, self->error);
      break;
    case PROP_FAILED:
      g_value_set_boolean (value, self->error != NULL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mcam_image_item_finalize (GObject *object)
{
  McamImageItem *self = MCAM_IMAGE_ITEM (object);

  g_clear_object (&self->file);
  g_clear_object (&self->thumbnail);
  g_free (self->path);
  g_free (self->name);
  g_free (self->labels);
  g_free (self->boxes);
  g_free (self->labels_text);
  g_free (self->error);
  G_OBJECT_CLASS (mcam_image_item_parent_class)->finalize (object);
}

static void
mcam_image_item_class_init (McamImageItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->get_property = mcam_image_item_get_property;
  object_class->finalize = mcam_image_item_finalize;

  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, flags);
  properties[PROP_THUMBNAIL] = g_param_spec_object ("thumbnail", NULL, NULL,
                                                    GDK_TYPE_PAINTABLE, flags);
  properties[PROP_LABELS_TEXT] = g_param_spec_string ("labels-text", NULL, NULL, NULL, flags);
  properties[PROP_HAS_GROUND_TRUTH] = g_param_spec_boolean ("has-ground-truth", NULL, NULL,
                                                            FALSE, flags);
  /* The row marks an image that could not be analysed, with the reason. */
  properties[PROP_ERROR] = g_param_spec_string ("error", NULL, NULL, NULL, flags);
  properties[PROP_FAILED] = g_param_spec_boolean ("failed", NULL, NULL, FALSE, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
mcam_image_item_init (McamImageItem *self)
{
}

McamImageItem *
mcam_image_item_new (GFile *file)
{
  McamImageItem *self = g_object_new (MCAM_TYPE_IMAGE_ITEM, NULL);

  self->file = g_object_ref (file);
  self->path = g_file_get_path (file);
  self->name = g_file_get_basename (file);
  return self;
}

GFile *
mcam_image_item_get_file (McamImageItem *self)
{
  return self->file;
}

const char *
mcam_image_item_get_path (McamImageItem *self)
{
  return self->path;
}

const char *
mcam_image_item_get_name (McamImageItem *self)
{
  return self->name;
}

void
mcam_image_item_set_thumbnail (McamImageItem *self, GdkPaintable *thumbnail)
{
  if (g_set_object (&self->thumbnail, thumbnail))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_THUMBNAIL]);
}

void
mcam_image_item_clear_ground_truth (McamImageItem *self)
{
  gboolean had = self->labels != NULL;

  g_clear_pointer (&self->labels, g_free);
  g_clear_pointer (&self->boxes, g_free);
  g_clear_pointer (&self->labels_text, g_free);
  self->n_classes = 0;
  self->n_boxes = 0;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LABELS_TEXT]);
  if (had)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_GROUND_TRUTH]);
}

void
mcam_image_item_set_ground_truth (McamImageItem *self, const float *labels, int n_classes,
                                  const McamBox *boxes, int n_boxes,
                                  const char *const *class_names)
{
  g_autoptr(GString) text = g_string_new (NULL);

  mcam_image_item_clear_ground_truth (self);
  self->labels = g_memdup2 (labels, sizeof (float) * (gsize) n_classes);
  self->n_classes = n_classes;
  self->boxes = n_boxes > 0 ? g_memdup2 (boxes, sizeof (McamBox) * (gsize) n_boxes) : NULL;
  self->n_boxes = n_boxes;
  for (int c = 0; c < n_classes; c++)
    if (labels[c] > 0.5f)
      {
        if (text->len > 0)
          g_string_append (text, " · ");
        g_string_append (text, class_names[c]);
      }
  self->labels_text = text->len > 0 ? g_string_free (g_steal_pointer (&text), FALSE)
                                    : g_strdup (_("(no label)"));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LABELS_TEXT]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_GROUND_TRUTH]);
}

gboolean
mcam_image_item_has_ground_truth (McamImageItem *self)
{
  return self->labels != NULL;
}

const float *
mcam_image_item_get_labels (McamImageItem *self, int *n_classes)
{
  if (n_classes != NULL)
    *n_classes = self->n_classes;
  return self->labels;
}

const McamBox *
mcam_image_item_get_boxes (McamImageItem *self, int *n_boxes)
{
  if (n_boxes != NULL)
    *n_boxes = self->n_boxes;
  return self->boxes;
}

void
mcam_image_item_set_error (McamImageItem *self, const char *error)
{
  gboolean was_failed = self->error != NULL;

  if (g_strcmp0 (error, self->error) == 0)
    return;
  g_free (self->error);
  self->error = g_strdup (error);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
  if (was_failed != (error != NULL))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FAILED]);
}

const char *
mcam_image_item_get_error (McamImageItem *self)
{
  return self->error;
}
