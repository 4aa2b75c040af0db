/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The height split between the centre (overlay, caption, toolbar) and the
 * memory inspector below it. A fixed divider position (560 px) suits the
 * default 1400x900, but on a short window — 1600x1000 at GDK_SCALE=2 is a
 * logical 800x500 — it left the inspector a 60 px scrolled strip. Until
 * the user drags the divider, the split follows the window: the inspector
 * keeps the default's share when the window is tall enough, and never gets
 * less than its useful height (MCAM_INSPECTOR_USEFUL_HEIGHT) while the
 * centre keeps its own minimum (it does not clip: the caption wraps, the
 * toolbar scrolls, the overlay scales down). */

#define G_LOG_DOMAIN "mcam-window"

#include "config.h"

#include "mcam-window-private.h"

/* The divider position of the default size: the centre's share there. */
#define DEFAULT_TOP 560

typedef struct
{
  int      last_set;    /* the position this code set last; -1: none */
  int      fitted_height; /* the paned's height when it was set */
  gboolean user_moved;  /* the user dragged the divider: leave it alone */
  guint    idle_id;
} LayoutState;

static void
fit_now (GtkPaned *paned)
{
  LayoutState *st = g_object_get_data (G_OBJECT (paned), "mcam-layout");
  GtkWidget *top = gtk_paned_get_start_child (paned);
  int total = gtk_widget_get_height (GTK_WIDGET (paned));
  int top_min = 0, nat, inspector, position, max_position;

  if (st->user_moved || total <= 0 || top == NULL)
    return;
  gtk_widget_measure (top, GTK_ORIENTATION_VERTICAL, gtk_widget_get_width (top), &top_min,
                      &nat, NULL, NULL);
  /* the default's split when it leaves the inspector its useful height;
   * otherwise the useful height, as far as the centre's minimum allows */
  inspector = MAX (total - DEFAULT_TOP, MCAM_INSPECTOR_USEFUL_HEIGHT);
  /* max-position: the paned's height less the divider's own (the end
   * child may shrink to nothing) */
  g_object_get (paned, "max-position", &max_position, NULL);
  position = MAX (max_position - inspector, top_min);
  st->last_set = position;
  st->fitted_height = total;
  if (position != gtk_paned_get_position (paned))
    gtk_paned_set_position (paned, position);
}

static gboolean
fit_idle (gpointer data)
{
  GtkPaned *paned = data;
  LayoutState *st = g_object_get_data (G_OBJECT (paned), "mcam-layout");

  st->idle_id = 0;
  fit_now (paned);
  return G_SOURCE_REMOVE;
}

/* The paned's height changed (its max-position follows the allocation): fit
 * after this allocation, never inside it. */
static void
max_position_cb (GtkPaned *paned)
{
  LayoutState *st = g_object_get_data (G_OBJECT (paned), "mcam-layout");

  if (st->idle_id == 0 && !st->user_moved)
    st->idle_id = g_idle_add_full (G_PRIORITY_HIGH_IDLE, fit_idle, g_object_ref (paned),
                                   g_object_unref);
}

static void
position_cb (GtkPaned *paned)
{
  LayoutState *st = g_object_get_data (G_OBJECT (paned), "mcam-layout");
  int position = gtk_paned_get_position (paned);

  /* a position this code did not set, at the height it was set for: the
   * user dragged the divider. (A new height moves it too — GtkPaned
   * notifies position before max-position while allocating — and is
   * fitted again, not taken for the user's choice.) */
  if (st->last_set >= 0 && position != st->last_set && st->idle_id == 0 &&
      gtk_widget_get_height (GTK_WIDGET (paned)) == st->fitted_height)
    st->user_moved = TRUE;
}

static void
layout_state_free (gpointer data)
{
  LayoutState *st = data;

  if (st->idle_id != 0)
    g_source_remove (st->idle_id);
  g_free (st);
}

GtkPaned *
_mcam_window_get_inspector_paned (McamWindow *self)
{
  return GTK_PANED (gtk_widget_get_ancestor (GTK_WIDGET (self->memory_inspector_box),
                                             GTK_TYPE_PANED));
}

gboolean
_mcam_window_layout_follows_window (McamWindow *self)
{
  LayoutState *st = g_object_get_data (G_OBJECT (_mcam_window_get_inspector_paned (self)),
                                       "mcam-layout");

  return st != NULL && !st->user_moved;
}

void
_mcam_window_setup_layout (McamWindow *self)
{
  GtkPaned *paned = _mcam_window_get_inspector_paned (self);
  LayoutState *st = g_new0 (LayoutState, 1);

  st->last_set = -1;
  g_object_set_data_full (G_OBJECT (paned), "mcam-layout", st, layout_state_free);
  g_signal_connect (paned, "notify::max-position", G_CALLBACK (max_position_cb), NULL);
  g_signal_connect (paned, "notify::position", G_CALLBACK (position_cb), NULL);
}
