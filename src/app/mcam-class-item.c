/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A class of the model as a list item; its properties feed the row template
 * (ui/mcam-class-row.ui) through expressions. */

#define G_LOG_DOMAIN "mcam-app"

#include "config.h"

#include <math.h>

#include "mcam-class-item.h"

struct _McamClassItem
{
  GObject  parent_instance;
  int      index;
  char    *name;
  double   score;
  double   memory_score;
  /* What the row shows, quantised: the bars in thousandths (finer than a
   * pixel of the 72-px bar), the texts in hundredths; -1: unknown ("–").
   * The properties publish these, so a new image notifies only the items
   * whose row would look different: of the ~200 rows GtkListView keeps
   * bound, most show classes scoring "0.00" before and after. */
  int      score_milli;
  int      memory_milli;
  int      score_centi;
  int      memory_centi;
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
score_text (int centi)
{
  return centi < 0 ? g_strdup ("–") : g_strdup_printf ("%d.%02d", centi / 100, centi % 100);
}

static int
quantise (double v, double steps)
{
  return v < 0 ? -1 : (int) lround (MIN (v, 1.0) * steps);
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
      g_value_set_double (value, MAX (self->score_milli, 0) / 1000.0);
      break;
    case PROP_MEMORY_SCORE:
      g_value_set_double (value, MAX (self->memory_milli, 0) / 1000.0);
      break;
    case PROP_SCORE_TEXT:
      g_value_take_string (value, score_text (self->score_centi));
      break;
    case PROP_MEMORY_SCORE_TEXT:
      g_value_take_string (value, score_text (self->memory_centi));
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
  self->score_milli = self->memory_milli = -1;
  self->score_centi = self->memory_centi = -1;
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

/* Only the items bound to a row (GtkListView keeps ~200 of 1000) have
 * notify handlers: the row template's expressions. Freezing and notifying
 * every item cost ~5 ms on the main thread for each new image, so an
 * unwatched item only stores the values, and a watched one notifies only
 * the properties whose shown value changed. */
void
mcam_class_item_update (McamClassItem *self, double score, double memory_score,
                        gboolean ground_truth)
{
  static guint notify_id;
  int score_milli = quantise (score, 1000), memory_milli = quantise (memory_score, 1000);
  int score_centi = quantise (score, 100), memory_centi = quantise (memory_score, 100);
  gboolean changed[N_PROPS] = { FALSE, };

  changed[PROP_SCORE] = score_milli != self->score_milli;
  changed[PROP_MEMORY_SCORE] = memory_milli != self->memory_milli;
  changed[PROP_SCORE_TEXT] = score_centi != self->score_centi;
  changed[PROP_MEMORY_SCORE_TEXT] = memory_centi != self->memory_centi;
  changed[PROP_GROUND_TRUTH] = ground_truth != self->ground_truth;
  self->score = score;
  self->memory_score = memory_score;
  self->score_milli = score_milli;
  self->memory_milli = memory_milli;
  self->score_centi = score_centi;
  self->memory_centi = memory_centi;
  self->ground_truth = ground_truth;

  if (notify_id == 0)
    notify_id = g_signal_lookup ("notify", G_TYPE_OBJECT);
  if (!changed[PROP_SCORE] && !changed[PROP_MEMORY_SCORE] && !changed[PROP_GROUND_TRUTH] &&
      !changed[PROP_SCORE_TEXT] && !changed[PROP_MEMORY_SCORE_TEXT])
    return;
  if (g_signal_handler_find (self, G_SIGNAL_MATCH_ID, notify_id, 0, NULL, NULL, NULL) == 0)
    return;

  g_object_freeze_notify (G_OBJECT (self));
  for (int p = PROP_SCORE; p < N_PROPS; p++)
    if (changed[p])
      g_object_notify_by_pspec (G_OBJECT (self), properties[p]);
  g_object_thaw_notify (G_OBJECT (self));
}
