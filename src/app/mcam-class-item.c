/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A class of the model as a list item, watched by its McamClassRow. */

#define G_LOG_DOMAIN "mcam-app"

#include "config.h"

#include <math.h>
#include <stdio.h>

#include "mcam-class-item.h"

struct _McamClassItem
{
  GObject  parent_instance;
  int      index;
  char    *name;
  double   score;
  /* What the row shows, quantised: the bars in thousandths (finer than a
   * pixel of the 72-px bar), the texts in hundredths; -1: unknown ("–").
   * A new image signals only the items whose row would look different: of
   * the ~200 rows GtkListView keeps bound, most show classes scoring "0.00"
   * before and after. [0]: the target network, [1]: the memory classifier,
   * [2]: the re-fit head (issue 12). */
  int      milli[3];
  int      centi[3];
  char     text[3][16];
  gboolean ground_truth;
  gboolean has_head;
};

G_DEFINE_FINAL_TYPE (McamClassItem, mcam_class_item, G_TYPE_OBJECT)

enum { CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static int
quantise (double v, double steps)
{
  return v < 0 ? -1 : (int) lround (MIN (v, 1.0) * steps);
}

static void
format_score (char text[16], int centi)
{
  if (centi < 0)
    g_strlcpy (text, "–", 16);
  else
    snprintf (text, 16, "%d.%02d", centi / 100, centi % 100);
}

/* TRUE when what a row shows of value k changed. */
static gboolean
store_value (McamClassItem *self, int k, double v)
{
  int milli = quantise (v, 1000), centi = quantise (v, 100);
  gboolean changed = milli != self->milli[k] || centi != self->centi[k];

  self->milli[k] = milli;
  if (centi != self->centi[k])
    {
      self->centi[k] = centi;
      format_score (self->text[k], centi);
    }
  return changed;
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

  object_class->finalize = mcam_class_item_finalize;
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
mcam_class_item_init (McamClassItem *self)
{
  self->score = -1;
  for (int k = 0; k < 3; k++)
    {
      self->milli[k] = self->centi[k] = -1;
      format_score (self->text[k], -1);
    }
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

double
mcam_class_item_get_shown_score (McamClassItem *self, gboolean memory)
{
  int milli = self->milli[memory ? 1 : 0];

  return milli < 0 ? -1.0 : milli / 1000.0;
}

const char *
mcam_class_item_get_score_text (McamClassItem *self, gboolean memory)
{
  return self->text[memory ? 1 : 0];
}

gboolean
mcam_class_item_get_ground_truth (McamClassItem *self)
{
  return self->ground_truth;
}

/* Only the items bound to a row (GtkListView keeps ~200 of 1000) have a
 * "changed" handler. Signalling every item cost ~5 ms on the main thread for
 * each new image, so an unwatched item only stores the values. */
void
mcam_class_item_update (McamClassItem *self, double score, double memory_score,
                        gboolean ground_truth)
{
  const double given[2] = { score, memory_score };
  gboolean changed = ground_truth != self->ground_truth;

  self->score = score;
  self->ground_truth = ground_truth;
  for (int k = 0; k < 2; k++)
    changed |= store_value (self, k, given[k]);
  if (changed && g_signal_has_handler_pending (self, signals[CHANGED], 0, TRUE))
    g_signal_emit (self, signals[CHANGED], 0);
}

double
mcam_class_item_get_head_score (McamClassItem *self)
{
  return self->milli[2] < 0 ? -1.0 : self->milli[2] / 1000.0;
}

const char *
mcam_class_item_get_head_text (McamClassItem *self)
{
  return self->text[2];
}

gboolean
mcam_class_item_has_head (McamClassItem *self)
{
  return self->has_head;
}

void
mcam_class_item_set_head_score (McamClassItem *self, gboolean has_head, double head_score)
{
  gboolean changed = has_head != self->has_head;

  self->has_head = has_head;
  changed |= store_value (self, 2, has_head ? head_score : -1.0);
  if (changed &&
      g_signal_has_handler_pending (self, signals[CHANGED], 0, TRUE))
    g_signal_emit (self, signals[CHANGED], 0);
}
