/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The class list and method selector (DESIGN 6). */

#define G_LOG_DOMAIN "mcam-classes"

#include "config.h"

#include <glib/gi18n.h>

#include "mcam-class-item.h"
#include "mcam-class-list.h"
#include "mcam-class-row.h"
#include "mcam-profile.h"

/* Every method is offered, in the core's enum order: the M-CAM entries come
 * first and carry the core's labels ("M-CAM (paper)", "M-CAM slot profile
 * (our variant)"), so a user always knows which one is the paper's; the
 * dropdown's position is the McamMethod. */

struct _McamClassList
{
  GtkBox              parent_instance;

  GtkDropDown        *method_dropdown;
  GtkListView        *list_view;
  GtkWidget          *head_header;   /* "re-fit head", shown with its column */

  GListStore         *store;      /* McamClassItem, kept sorted by score */
  GtkSingleSelection *selection;
  int                 selected_class;
  gboolean            updating;     /* re-selecting after a sort: no signal */
};

G_DEFINE_FINAL_TYPE (McamClassList, mcam_class_list, GTK_TYPE_BOX)

enum { CLASS_SELECTED, METHOD_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static guint
position_of_class (McamClassList *self, int class_index)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->store));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(McamClassItem) item = g_list_model_get_item (G_LIST_MODEL (self->store), i);

      if (mcam_class_item_get_index (item) == class_index)
        return i;
    }
  return GTK_INVALID_LIST_POSITION;
}

static void
reselect (McamClassList *self)
{
  guint pos = position_of_class (self, self->selected_class);

  self->updating = TRUE;
  gtk_single_selection_set_selected (self->selection, pos);
  self->updating = FALSE;
}

void
mcam_class_list_set_classes (McamClassList *self, const char *const *classes, int n_classes)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  gint64 t0 = g_get_monotonic_time ();

  for (int i = 0; i < n_classes; i++)
    g_ptr_array_add (items, mcam_class_item_new (i, classes[i]));
  self->selected_class = -1;
  self->updating = TRUE;
  g_list_store_splice (self->store, 0, g_list_model_get_n_items (G_LIST_MODEL (self->store)),
                       items->pdata, items->len);
  gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
  self->updating = FALSE;
  mcam_profile_report ("main:class-list-set-classes", (g_get_monotonic_time () - t0) / 1000.0);
}

/* Highest target-network score first; ties keep the model's class order. */
static int
compare_items (gconstpointer a, gconstpointer b)
{
  McamClassItem *ia = *(McamClassItem **) a;
  McamClassItem *ib = *(McamClassItem **) b;
  double sa = mcam_class_item_get_score (ia), sb = mcam_class_item_get_score (ib);

  if (sa != sb)
    return sa < sb ? 1 : -1;
  return mcam_class_item_get_index (ia) - mcam_class_item_get_index (ib);
}

void
mcam_class_list_set_scores (McamClassList *self, const float *scores,
                            const float *memory_scores, const float *labels)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->store));
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  gint64 t0 = g_get_monotonic_time ();

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (items, g_list_model_get_item (G_LIST_MODEL (self->store), i));
  for (guint i = 0; i < n; i++)
    {
      McamClassItem *item = g_ptr_array_index (items, i);
      int c = mcam_class_item_get_index (item);

      mcam_class_item_update (item, scores ? scores[c] : -1.0,
                              memory_scores ? memory_scores[c] : -1.0,
                              labels != NULL && labels[c] > 0.5f);
    }
  /* One splice in the new order with the same item objects: GtkListView
   * keeps each row whose item stays in its bound range and rebinds only
   * the others (new objects would make it build ~200 rows anew: 130+ ms),
   * and the selection follows the class, not the row. */
  g_ptr_array_sort (items, compare_items);
  self->updating = TRUE;
  g_list_store_splice (self->store, 0, n, items->pdata, items->len);
  self->updating = FALSE;
  reselect (self);
  mcam_profile_report ("main:class-list-set-scores", (g_get_monotonic_time () - t0) / 1000.0);
}

void
mcam_class_list_set_head_scores (McamClassList *self, gboolean has_head,
                                 const float *head_scores)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->store));

  gtk_widget_set_visible (self->head_header, has_head);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(McamClassItem) item = g_list_model_get_item (G_LIST_MODEL (self->store), i);
      int c = mcam_class_item_get_index (item);

      mcam_class_item_set_head_score (item, has_head, head_scores ? head_scores[c] : -1.0);
    }
}

double
mcam_class_list_get_head_score (McamClassList *self, int class_index)
{
  guint pos = position_of_class (self, class_index);
  g_autoptr(McamClassItem) item = NULL;

  if (pos == GTK_INVALID_LIST_POSITION)
    return -1.0;
  item = g_list_model_get_item (G_LIST_MODEL (self->store), pos);
  return mcam_class_item_get_head_score (item);
}

void
mcam_class_list_select_class (McamClassList *self, int class_index)
{
  guint pos = position_of_class (self, class_index);

  if (pos == GTK_INVALID_LIST_POSITION)
    return;
  gtk_single_selection_set_selected (self->selection, pos);
  gtk_widget_activate_action (GTK_WIDGET (self->list_view), "list.scroll-to-item", "u", pos);
}

int
mcam_class_list_get_selected_class (McamClassList *self)
{
  return self->selected_class;
}

int
mcam_class_list_get_class_at_rank (McamClassList *self, guint rank)
{
  g_autoptr(McamClassItem) item = NULL;

  if (rank < 1)
    return -1;
  item = g_list_model_get_item (G_LIST_MODEL (self->store), rank - 1);
  return item != NULL ? mcam_class_item_get_index (item) : -1;
}

McamMethod
mcam_class_list_get_method (McamClassList *self)
{
  guint pos = gtk_drop_down_get_selected (self->method_dropdown);

  return pos < MCAM_N_METHODS ? (McamMethod) pos : MCAM_METHOD_MCAM;
}

void
mcam_class_list_set_method (McamClassList *self, McamMethod method)
{
  if (method < MCAM_N_METHODS)
    gtk_drop_down_set_selected (self->method_dropdown, method);
}

static void
selection_changed (McamClassList *self)
{
  McamClassItem *item = gtk_single_selection_get_selected_item (self->selection);

  if (self->updating || item == NULL)
    return;
  if (mcam_class_item_get_index (item) == self->selected_class)
    return;
  self->selected_class = mcam_class_item_get_index (item);
  g_signal_emit (self, signals[CLASS_SELECTED], 0, self->selected_class);
}

static void
method_changed (McamClassList *self)
{
  g_signal_emit (self, signals[METHOD_CHANGED], 0, (int) mcam_class_list_get_method (self));
}

/* Rows are McamClassRow widgets made in code: a GtkBuilder template per row
 * (labels, boxes, bindings) made the ~200 rows GtkListView keeps bound cost
 * 106-182 ms to build after a 1000-class model load, and their first layout
 * stalled the window (docs/BENCHMARKS.md). */
static void
setup_row (GtkSignalListItemFactory *factory, GtkListItem *list_item)
{
  gtk_list_item_set_child (list_item, mcam_class_row_new ());
}

static void
bind_row (GtkSignalListItemFactory *factory, GtkListItem *list_item)
{
  mcam_class_row_set_item (MCAM_CLASS_ROW (gtk_list_item_get_child (list_item)),
                           gtk_list_item_get_item (list_item));
}

static void
unbind_row (GtkSignalListItemFactory *factory, GtkListItem *list_item)
{
  mcam_class_row_set_item (MCAM_CLASS_ROW (gtk_list_item_get_child (list_item)), NULL);
}

static void
mcam_class_list_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), MCAM_TYPE_CLASS_LIST);
  G_OBJECT_CLASS (mcam_class_list_parent_class)->dispose (object);
}

static void
mcam_class_list_finalize (GObject *object)
{
  McamClassList *self = MCAM_CLASS_LIST (object);

  g_clear_object (&self->selection);
  g_clear_object (&self->store);
  G_OBJECT_CLASS (mcam_class_list_parent_class)->finalize (object);
}

static void
mcam_class_list_class_init (McamClassListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = mcam_class_list_dispose;
  object_class->finalize = mcam_class_list_finalize;

  signals[CLASS_SELECTED] = g_signal_new ("class-selected", G_TYPE_FROM_CLASS (klass),
                                          G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                          G_TYPE_NONE, 1, G_TYPE_INT);
  signals[METHOD_CHANGED] = g_signal_new ("method-changed", G_TYPE_FROM_CLASS (klass),
                                          G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                          G_TYPE_NONE, 1, G_TYPE_INT);

  g_type_ensure (MCAM_TYPE_CLASS_ITEM);
  gtk_widget_class_set_template_from_resource (widget_class,
      "/io/github/mcam_explorer/MCamExplorer/ui/mcam-class-list.ui");
  gtk_widget_class_bind_template_child (widget_class, McamClassList, method_dropdown);
  gtk_widget_class_bind_template_child (widget_class, McamClassList, list_view);
  gtk_widget_class_bind_template_child (widget_class, McamClassList, head_header);
}

static void
mcam_class_list_init (McamClassList *self)
{
  g_autoptr(GtkStringList) methods = gtk_string_list_new (NULL);
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();

  gtk_widget_init_template (GTK_WIDGET (self));
  self->selected_class = -1;

  for (int m = 0; m < MCAM_N_METHODS; m++)
    gtk_string_list_append (methods, mcam_method_get_label (m));
  gtk_drop_down_set_model (self->method_dropdown, G_LIST_MODEL (methods));
  g_signal_connect_swapped (self->method_dropdown, "notify::selected",
                            G_CALLBACK (method_changed), self);

  self->store = g_list_store_new (MCAM_TYPE_CLASS_ITEM);
  self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->store)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  g_signal_connect_swapped (self->selection, "notify::selected-item",
                            G_CALLBACK (selection_changed), self);
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (self->selection));
  g_signal_connect (factory, "setup", G_CALLBACK (setup_row), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row), NULL);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_row), NULL);
  gtk_list_view_set_factory (self->list_view, factory);
}

GtkWidget *
mcam_class_list_new (void)
{
  return g_object_new (MCAM_TYPE_CLASS_LIST, NULL);
}

double
mcam_class_list_get_score (McamClassList *self, int class_index)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->store));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(McamClassItem) item = g_list_model_get_item (G_LIST_MODEL (self->store), i);

      if (mcam_class_item_get_index (item) == class_index)
        return mcam_class_item_get_score (item);
    }
  return -1.0;
}
