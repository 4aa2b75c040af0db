/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A class of the model as a list item; its properties feed the row template
 * (ui/mcam-class-row.ui) through expressions. */

#define G_LOG_DOMAIN "mcam-app"

#include "config.h"

#include "mcam-class-item.h"

struct _McamClassItem
{
  GObject  parent_instance;
  int      index;
  char    *name;
  double   score;
  double   memory_score;
  gboolean ground_truth;
};

G_DEFINE_FINAL_TYPE (McamClassItem, mcam_class_item, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_INDEX,
  PROP_NAME,
  PROP_SCORE,
  PROP_MEMORY_SCORE,
  PROP_SCORE_TEXT,
  PROP_MEMORY_SCORE_TEXT,
  PROP_GROUND_TRUTH,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static char *
score_text (double v)
{
  return v < 0 ? g_strdup ("–") : g_strdup_printf ("%.2f", v);
}

static void
mcam_class_item_get_property (GObject *object, guint prop_id, GValue *value,
                              GParamSpec *pspec)
{
  McamClassItem *self = MCAM_CLASS_ITEM (object);

  switch (prop_id)
    {
    case PROP_INDEX:
      g_value_set_int (value, self->index);
      break;
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_SCORE:
      g_value_set_double (value, MAX (self->score, 0.0));
      break;
    case PROP_MEMORY_SCORE:
      g_value_set_double (value, MAX (self->memory_score, 0.0));
      break;
    case PROP_SCORE_TEXT:
      g_value_take_string (value, score_text (self->score));
      break;
    case PROP_MEMORY_SCORE_TEXT:
      g_value_take_string (value, score_text (self->memory_score));
      break;
    case PROP_GROUND_TRUTH:
      g_value_set_boolean (value, self->ground_truth);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mcam_class_item_finalize (GObject *object)
{
  g_free (MCAM_CLASS_ITEM (object)->name);
  G_OBJECT_CLASS (mcam_class_item_parent_class)->finalize (object);
}

static void
mcam_class_item_class_init (McamClassItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->get_property = mcam_class_item_get_property;
  object_class->finalize = mcam_class_item_finalize;

  properties[PROP_INDEX] = g_param_spec_int ("index", NULL, NULL, 0, G_MAXINT, 0, flags);
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, flags);
  properties[PROP_SCORE] = g_param_spec_double ("score", NULL, NULL, 0, 1, 0, flags);
  properties[PROP_MEMORY_SCORE] = g_param_spec_double ("memory-score", NULL, NULL, 0, 1, 0,
                                                       flags);
  properties[PROP_SCORE_TEXT] = g_param_spec_string ("score-text", NULL, NULL, NULL, flags);
  properties[PROP_MEMORY_SCORE_TEXT] = g_param_spec_string ("memory-score-text", NULL, NULL,
                                                            NULL, flags);
  properties[PROP_GROUND_TRUTH] = g_param_spec_boolean ("ground-truth", NULL, NULL, FALSE,
                                                        flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
mcam_class_item_init (McamClassItem *self)
{
  self->score = -1;
  self->memory_score = -1;
}

McamClassItem *
mcam_class_item_new (int index, const char *name)
{
  McamClassItem *self = g_object_new (MCAM_TYPE_CLASS_ITEM, NULL);

  self->index = index;
  self->name = g_strdup (name);
  return self;
}

int
mcam_class_item_get_index (McamClassItem *self)
{
  return self->index;
}

const char *
mcam_class_item_get_name (McamClassItem *self)
{
  return self->name;
}

double
mcam_class_item_get_score (McamClassItem *self)
{
  return self->score;
}

void
mcam_class_item_set_scores (McamClassItem *self, double score, double memory_score)
{
  g_object_freeze_notify (G_OBJECT (self));
  if (score != self->score)
    {
      self->score = score;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SCORE]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SCORE_TEXT]);
    }
  if (memory_score != self->memory_score)
    {
      self->memory_score = memory_score;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MEMORY_SCORE]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MEMORY_SCORE_TEXT]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

void
mcam_class_item_set_ground_truth (McamClassItem *self, gboolean ground_truth)
{
  if (ground_truth == self->ground_truth)
    return;
  self->ground_truth = ground_truth;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_GROUND_TRUTH]);
}
