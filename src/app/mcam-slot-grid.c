/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mcam-slot-grid"

#include "config.h"

#include <math.h>
#include <glib/gi18n.h>

#include "mcam-slot-grid.h"

/* One slot of the list model: only its index; the data stays in the grid, so
 * 512 items cost nothing and a colormap change re-binds what is visible. */
#define MCAM_TYPE_SLOT_ITEM (_mcam_slot_item_get_type ())
G_DECLARE_FINAL_TYPE (McamSlotItem, _mcam_slot_item, MCAM, SLOT_ITEM, GObject)

struct _McamSlotItem
{
  GObject parent_instance;
  int     index;
};

G_DEFINE_FINAL_TYPE (McamSlotItem, _mcam_slot_item, G_TYPE_OBJECT)

static void _mcam_slot_item_class_init (McamSlotItemClass *klass) { }
static void _mcam_slot_item_init (McamSlotItem *self) { }

struct _McamSlotGrid
{
  GtkWidget parent_instance;

  GtkWidget          *scroller;
  GtkGridView        *grid_view;
  GListStore         *store;
  GtkSingleSelection *selection;

  int    n_slots, h, w;
  float *maps;          /* [n_slots, h, w] or NULL */
  float  vmin, vmax;    /* one colour scale for every thumbnail: they compare */
  int   *slot_class;    /* [n_slots] */
  float *slot_peak;     /* [n_slots] */
  char **class_names;   /* n_classes, NULL-terminated */
  int    n_classes;
  int    chosen;
  McamColormap colormap;
};

G_DEFINE_FINAL_TYPE (McamSlotGrid, mcam_slot_grid, GTK_TYPE_WIDGET)

enum { SLOT_ACTIVATED, N_SIGNALS };
static guint signals[N_SIGNALS];

#define THUMB_SIZE 44

static const char *
_mcam_slot_grid_class_name (McamSlotGrid *self, int slot)
{
  int c = self->slot_class ? self->slot_class[slot] : -1;

  if (c < 0 || c >= self->n_classes || self->class_names == NULL)
    return NULL;
  return self->class_names[c];
}

static void
_mcam_slot_grid_draw_thumb (GtkDrawingArea *area, cairo_t *cr, int width, int height,
                            gpointer user_data)
{
  McamSlotGrid *self = MCAM_SLOT_GRID (user_data);
  int slot = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (area), "mcam-slot")) - 1;
  cairo_surface_t *surface;
  cairo_pattern_t *pattern;
  const float *map;
  guint8 *data;
  int stride;
  float range;

  if (slot < 0 || slot >= self->n_slots || self->maps == NULL || self->h <= 0 || self->w <= 0)
    {
      cairo_set_source_rgb (cr, 0.5, 0.5, 0.5);
      cairo_paint (cr);
      return;
    }

  map = self->maps + (gsize) slot * self->h * self->w;
  range = self->vmax - self->vmin;
  surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, self->w, self->h);
  data = cairo_image_surface_get_data (surface);
  stride = cairo_image_surface_get_stride (surface);
  for (int y = 0; y < self->h; y++)
    for (int x = 0; x < self->w; x++)
      {
        float v = map[y * self->w + x];
        guint8 rgb[3];
        guint32 *px = (guint32 *) (data + y * stride) + x;

        v = isfinite (v) && range > 0.0f ? (v - self->vmin) / range : 0.0f;
        mcam_colormap_lookup (self->colormap, v, rgb);
        *px = 0xff000000u | ((guint32) rgb[0] << 16) | ((guint32) rgb[1] << 8) | rgb[2];
      }
  cairo_surface_mark_dirty (surface);

  /* Nearest-neighbour: a 7 x 7 map shows its cells, not a blur. */
  cairo_scale (cr, (double) width / self->w, (double) height / self->h);
  cairo_set_source_surface (cr, surface, 0, 0);
  pattern = cairo_get_source (cr);
  cairo_pattern_set_filter (pattern, CAIRO_FILTER_NEAREST);
  cairo_paint (cr);
  cairo_surface_destroy (surface);
}

static void
_mcam_slot_grid_setup (GtkSignalListItemFactory *factory, GtkListItem *list_item,
                       McamSlotGrid *self)
{
  /* A GtkGrid, not a GtkBox: themes give "gridview > child > box" icon-view
   * margins that would spread 512 slots over many screens. */
  GtkWidget *cell = gtk_grid_new ();
  GtkWidget *thumb = gtk_drawing_area_new ();

  gtk_grid_set_column_spacing (GTK_GRID (cell), 4);
  gtk_drawing_area_set_content_width (GTK_DRAWING_AREA (thumb), THUMB_SIZE);
  gtk_drawing_area_set_content_height (GTK_DRAWING_AREA (thumb), THUMB_SIZE);
  gtk_drawing_area_set_draw_func (GTK_DRAWING_AREA (thumb), _mcam_slot_grid_draw_thumb,
                                  self, NULL);
  gtk_widget_set_valign (thumb, GTK_ALIGN_CENTER);
  gtk_grid_attach (GTK_GRID (cell), thumb, 0, 0, 1, 3);

  for (int i = 0; i < 3; i++)
    {
      GtkWidget *label = gtk_label_new (NULL);
      gtk_label_set_xalign (GTK_LABEL (label), 0.0f);
      gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
      gtk_label_set_max_width_chars (GTK_LABEL (label), 7);
      gtk_label_set_width_chars (GTK_LABEL (label), 5);
      gtk_widget_add_css_class (label, "caption");
      gtk_grid_attach (GTK_GRID (cell), label, 1, i, 1, 1);
    }
  gtk_list_item_set_child (list_item, cell);
}

static void
_mcam_slot_grid_bind (GtkSignalListItemFactory *factory, GtkListItem *list_item,
                      McamSlotGrid *self)
{
  McamSlotItem *item = gtk_list_item_get_item (list_item);
  GtkWidget *box = gtk_list_item_get_child (list_item);
  GtkWidget *thumb = gtk_grid_get_child_at (GTK_GRID (box), 0, 0);
  GtkWidget *number = gtk_grid_get_child_at (GTK_GRID (box), 1, 0);
  GtkWidget *class_label = gtk_grid_get_child_at (GTK_GRID (box), 1, 1);
  GtkWidget *peak_label = gtk_grid_get_child_at (GTK_GRID (box), 1, 2);
  int slot = item->index;
  const char *class_name = _mcam_slot_grid_class_name (self, slot);
  g_autofree char *number_text = NULL;
  g_autofree char *peak_text = NULL;
  g_autofree char *tooltip = NULL;
  float peak = self->slot_peak ? self->slot_peak[slot] : NAN;
  float map_peak = NAN;

  g_object_set_data (G_OBJECT (thumb), "mcam-slot", GINT_TO_POINTER (slot + 1));
  gtk_widget_queue_draw (thumb);

  if (slot == self->chosen)
    /* The slot Algorithm 1 chose, marked as the bar charts mark it. */
    number_text = g_strdup_printf ("<span foreground=\"#e67e22\" weight=\"bold\">#%d ★</span>",
                                   slot + 1);
  else
    number_text = g_strdup_printf ("<b>#%d</b>", slot + 1);
  gtk_label_set_markup (GTK_LABEL (number), number_text);
  gtk_label_set_text (GTK_LABEL (class_label), class_name ? class_name : "—");
  peak_text = isfinite (peak) ? g_strdup_printf ("%.2f", (double) peak) : g_strdup ("—");
  gtk_label_set_text (GTK_LABEL (peak_label), peak_text);

  if (self->maps != NULL)
    {
      const float *map = self->maps + (gsize) slot * self->h * self->w;
      for (int i = 0; i < self->h * self->w; i++)
        if (isfinite (map[i]) && !(map[i] <= map_peak))
          map_peak = map[i];
    }
  /* TRANSLATORS: tooltip of a memory slot: number, class, the class's value
   * address p' at this slot, the largest similarity of the slot's pattern
   * with this image */
  tooltip = g_strdup_printf (_("Slot %d\nClass: %s (p′ = %s)\nBest match in this image: %.3f\nClick to show this slot's map"),
                             slot + 1, class_name ? class_name : _("none"), peak_text,
                             (double) map_peak);
  gtk_widget_set_tooltip_text (box, tooltip);
}

static void
_mcam_slot_grid_unbind (GtkSignalListItemFactory *factory, GtkListItem *list_item,
                        McamSlotGrid *self)
{
  GtkWidget *box = gtk_list_item_get_child (list_item);

  g_object_set_data (G_OBJECT (gtk_grid_get_child_at (GTK_GRID (box), 0, 0)), "mcam-slot", NULL);
}

static void
_mcam_slot_grid_activate (GtkGridView *view, guint position, McamSlotGrid *self)
{
  if ((int) position >= self->n_slots)
    return;
  mcam_slot_grid_set_selected (self, (int) position);
  g_signal_emit (self, signals[SLOT_ACTIVATED], 0, (int) position);
}

/* Re-bind every item (data, chosen slot or colormap changed). */
static void
_mcam_slot_grid_rebuild (McamSlotGrid *self)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  int selected = mcam_slot_grid_get_selected (self);

  for (int i = 0; i < self->n_slots; i++)
    {
      McamSlotItem *item = g_object_new (MCAM_TYPE_SLOT_ITEM, NULL);
      item->index = i;
      g_ptr_array_add (items, item);
    }
  g_list_store_splice (self->store, 0, g_list_model_get_n_items (G_LIST_MODEL (self->store)),
                       items->pdata, items->len);
  mcam_slot_grid_set_selected (self, selected < self->n_slots ? selected : -1);
}

static void
mcam_slot_grid_dispose (GObject *object)
{
  McamSlotGrid *self = MCAM_SLOT_GRID (object);

  g_clear_pointer (&self->scroller, gtk_widget_unparent);
  g_clear_object (&self->store);
  G_OBJECT_CLASS (mcam_slot_grid_parent_class)->dispose (object);
}

static void
mcam_slot_grid_finalize (GObject *object)
{
  McamSlotGrid *self = MCAM_SLOT_GRID (object);

  g_free (self->maps);
  g_free (self->slot_class);
  g_free (self->slot_peak);
  g_strfreev (self->class_names);
  G_OBJECT_CLASS (mcam_slot_grid_parent_class)->finalize (object);
}

static void
mcam_slot_grid_class_init (McamSlotGridClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = mcam_slot_grid_dispose;
  object_class->finalize = mcam_slot_grid_finalize;

  /* The slot (0-based) was clicked: show its map. */
  signals[SLOT_ACTIVATED] =
    g_signal_new ("slot-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "mcamslotgrid");
}

/* Compact cells: the default grid view child padding is sized for icons. */
static void
_mcam_slot_grid_ensure_css (void)
{
  static gsize done = 0;
  GdkDisplay *display = gdk_display_get_default ();

  if (display != NULL && g_once_init_enter (&done))
    {
      g_autoptr(GtkCssProvider) provider = gtk_css_provider_new ();
      gtk_css_provider_load_from_data (provider,
                                       "mcamslotgrid gridview > child { padding: 3px 4px; }",
                                       -1);
      gtk_style_context_add_provider_for_display (display, GTK_STYLE_PROVIDER (provider),
                                                  GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
      g_once_init_leave (&done, 1);
    }
}

static void
mcam_slot_grid_init (McamSlotGrid *self)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();

  _mcam_slot_grid_ensure_css ();
  self->chosen = -1;
  self->colormap = MCAM_COLORMAP_TURBO;
  self->store = g_list_store_new (MCAM_TYPE_SLOT_ITEM);
  self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->store)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);

  g_signal_connect (factory, "setup", G_CALLBACK (_mcam_slot_grid_setup), self);
  g_signal_connect (factory, "bind", G_CALLBACK (_mcam_slot_grid_bind), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (_mcam_slot_grid_unbind), self);

  self->grid_view = GTK_GRID_VIEW (gtk_grid_view_new (GTK_SELECTION_MODEL (self->selection),
                                                      factory));
  gtk_grid_view_set_single_click_activate (self->grid_view, TRUE);
  gtk_grid_view_set_max_columns (self->grid_view, 64);
  gtk_grid_view_set_min_columns (self->grid_view, 1);
  g_signal_connect (self->grid_view, "activate", G_CALLBACK (_mcam_slot_grid_activate), self);

  self->scroller = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (self->scroller), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (self->scroller),
                                 GTK_WIDGET (self->grid_view));
  gtk_widget_set_parent (self->scroller, GTK_WIDGET (self));
}

GtkWidget *
mcam_slot_grid_new (void)
{
  return g_object_new (MCAM_TYPE_SLOT_GRID, NULL);
}

void
mcam_slot_grid_set_slots (McamSlotGrid *self, int n_slots, int h, int w, const float *maps,
                          const int *slot_class, const float *slot_peak,
                          const char *const *class_names, int n_classes)
{
  gsize n_map;

  g_return_if_fail (MCAM_IS_SLOT_GRID (self));
  g_return_if_fail (n_slots >= 0 && h >= 0 && w >= 0 && n_classes >= 0);

  n_map = (gsize) n_slots * h * w;
  g_clear_pointer (&self->maps, g_free);
  g_clear_pointer (&self->slot_class, g_free);
  g_clear_pointer (&self->slot_peak, g_free);
  g_clear_pointer (&self->class_names, g_strfreev);

  self->n_slots = n_slots;
  self->h = h;
  self->w = w;
  self->n_classes = class_names ? n_classes : 0;
  if (maps != NULL && n_map > 0)
    self->maps = g_memdup2 (maps, sizeof (float) * n_map);
  if (slot_class != NULL && n_slots > 0)
    self->slot_class = g_memdup2 (slot_class, sizeof (int) * n_slots);
  if (slot_peak != NULL && n_slots > 0)
    self->slot_peak = g_memdup2 (slot_peak, sizeof (float) * n_slots);
  if (class_names != NULL)
    {
      self->class_names = g_new0 (char *, n_classes + 1);
      for (int c = 0; c < n_classes; c++)
        self->class_names[c] = g_strdup (class_names[c]);
    }

  self->vmin = INFINITY;
  self->vmax = -INFINITY;
  for (gsize i = 0; self->maps != NULL && i < n_map; i++)
    if (isfinite (self->maps[i]))
      {
        self->vmin = MIN (self->vmin, self->maps[i]);
        self->vmax = MAX (self->vmax, self->maps[i]);
      }
  if (!(self->vmax > self->vmin))
    {
      self->vmin = 0.0f;
      self->vmax = 1.0f;
    }
  if (self->chosen >= n_slots)
    self->chosen = -1;

  _mcam_slot_grid_rebuild (self);
}

int
mcam_slot_grid_get_n_slots (McamSlotGrid *self)
{
  g_return_val_if_fail (MCAM_IS_SLOT_GRID (self), 0);
  return self->n_slots;
}

void
mcam_slot_grid_set_chosen (McamSlotGrid *self, int slot)
{
  g_return_if_fail (MCAM_IS_SLOT_GRID (self));
  if (slot < -1 || slot >= self->n_slots)
    slot = -1;
  if (slot == self->chosen)
    return;
  self->chosen = slot;
  _mcam_slot_grid_rebuild (self);
}

int
mcam_slot_grid_get_chosen (McamSlotGrid *self)
{
  g_return_val_if_fail (MCAM_IS_SLOT_GRID (self), -1);
  return self->chosen;
}

void
mcam_slot_grid_set_selected (McamSlotGrid *self, int slot)
{
  g_return_if_fail (MCAM_IS_SLOT_GRID (self));
  if (slot < 0 || slot >= self->n_slots)
    gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
  else
    {
      gtk_single_selection_set_selected (self->selection, (guint) slot);
      /* Bring the shown slot into view, as a click in a chart would need. */
      if (gtk_widget_get_mapped (GTK_WIDGET (self->grid_view)))
        gtk_widget_activate_action (GTK_WIDGET (self->grid_view), "list.scroll-to-item", "u",
                                    (guint) slot);
    }
}

int
mcam_slot_grid_get_selected (McamSlotGrid *self)
{
  guint pos;

  g_return_val_if_fail (MCAM_IS_SLOT_GRID (self), -1);
  pos = gtk_single_selection_get_selected (self->selection);
  return pos == GTK_INVALID_LIST_POSITION ? -1 : (int) pos;
}

void
mcam_slot_grid_set_colormap (McamSlotGrid *self, McamColormap cm)
{
  g_return_if_fail (MCAM_IS_SLOT_GRID (self));
  g_return_if_fail ((int) cm >= 0 && cm < MCAM_N_COLORMAPS);
  if (cm == self->colormap)
    return;
  self->colormap = cm;
  _mcam_slot_grid_rebuild (self);
}

void
mcam_slot_grid_activate_slot (McamSlotGrid *self, int slot)
{
  g_return_if_fail (MCAM_IS_SLOT_GRID (self));
  g_return_if_fail (slot >= 0 && slot < self->n_slots);
  _mcam_slot_grid_activate (self->grid_view, (guint) slot, self);
}

GtkGridView *
mcam_slot_grid_get_grid_view (McamSlotGrid *self)
{
  g_return_val_if_fail (MCAM_IS_SLOT_GRID (self), NULL);
  return self->grid_view;
}
