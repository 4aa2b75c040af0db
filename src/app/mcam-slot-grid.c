/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mcam-slot-grid"

#include "config.h"

#include <math.h>
#include <glib/gi18n.h>

#include "mcam-slot-grid.h"

#define CELL_W   MCAM_SLOT_GRID_CELL_WIDTH
#define CELL_H   MCAM_SLOT_GRID_CELL_HEIGHT
#define THUMB    44
#define PAD      4

/* ---------------------------------------------------------------- canvas */

/* The drawing surface inside the scrolled window; all state lives in the
 * McamSlotGrid that owns it. */
#define MCAM_TYPE_SLOT_CANVAS (_mcam_slot_canvas_get_type ())
G_DECLARE_FINAL_TYPE (McamSlotCanvas, _mcam_slot_canvas, MCAM, SLOT_CANVAS, GtkWidget)

struct _McamSlotCanvas
{
  GtkWidget     parent_instance;
  McamSlotGrid *grid;   /* owner, not a reference */
};

G_DEFINE_FINAL_TYPE (McamSlotCanvas, _mcam_slot_canvas, GTK_TYPE_WIDGET)

struct _McamSlotGrid
{
  GtkWidget parent_instance;

  GtkWidget *scroller;
  GtkWidget *canvas;

  int    n_slots, h, w;
  float *maps;          /* [n_slots, h, w] or NULL */
  float  vmin, vmax;    /* one colour scale for every thumbnail: they compare */
  int   *slot_class;    /* [n_slots] or NULL */
  float *slot_peak;     /* [n_slots] or NULL */
  char **class_names;   /* n_classes, NULL-terminated */
  int    n_classes;
  int    chosen;
  int    selected;
  McamColormap colormap;
};

G_DEFINE_FINAL_TYPE (McamSlotGrid, mcam_slot_grid, GTK_TYPE_WIDGET)

enum { SLOT_ACTIVATED, N_SIGNALS };
static guint signals[N_SIGNALS];

static int
_mcam_slot_grid_columns (McamSlotGrid *self, int width)
{
  return MAX (1, width / CELL_W);
}

gboolean
mcam_slot_grid_get_slot_area (McamSlotGrid *self, int slot, graphene_rect_t *area)
{
  int cols;

  g_return_val_if_fail (MCAM_IS_SLOT_GRID (self), FALSE);
  if (slot < 0 || slot >= self->n_slots)
    return FALSE;
  cols = _mcam_slot_grid_columns (self, gtk_widget_get_width (self->canvas));
  graphene_rect_init (area, (slot % cols) * CELL_W, (slot / cols) * CELL_H, CELL_W, CELL_H);
  return TRUE;
}

int
mcam_slot_grid_slot_at (McamSlotGrid *self, double x, double y)
{
  int cols, col, row, slot;

  g_return_val_if_fail (MCAM_IS_SLOT_GRID (self), -1);
  if (x < 0 || y < 0)
    return -1;
  cols = _mcam_slot_grid_columns (self, gtk_widget_get_width (self->canvas));
  col = (int) (x / CELL_W);
  row = (int) (y / CELL_H);
  if (col >= cols)
    return -1;
  slot = row * cols + col;
  return slot < self->n_slots ? slot : -1;
}

static const char *
_mcam_slot_grid_class_name (McamSlotGrid *self, int slot)
{
  int c = self->slot_class ? self->slot_class[slot] : -1;

  if (c < 0 || c >= self->n_classes || self->class_names == NULL)
    return NULL;
  return self->class_names[c];
}

static float
_mcam_slot_grid_map_peak (McamSlotGrid *self, int slot)
{
  float peak = NAN;

  if (self->maps != NULL)
    {
      const float *map = self->maps + (gsize) slot * self->h * self->w;
      for (int i = 0; i < self->h * self->w; i++)
        if (isfinite (map[i]) && !(map[i] <= peak))
          peak = map[i];
    }
  return peak;
}

static void
_mcam_slot_grid_draw_thumb (McamSlotGrid *self, cairo_t *cr, int slot, double x, double y)
{
  const float *map;
  cairo_surface_t *surface;
  guint8 *data;
  int stride;
  float range = self->vmax - self->vmin;

  if (self->maps == NULL || self->h <= 0 || self->w <= 0)
    {
      cairo_set_source_rgb (cr, 0.5, 0.5, 0.5);
      cairo_rectangle (cr, x, y, THUMB, THUMB);
      cairo_fill (cr);
      return;
    }
  map = self->maps + (gsize) slot * self->h * self->w;
  surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, self->w, self->h);
  data = cairo_image_surface_get_data (surface);
  stride = cairo_image_surface_get_stride (surface);
  for (int yy = 0; yy < self->h; yy++)
    for (int xx = 0; xx < self->w; xx++)
      {
        float v = map[yy * self->w + xx];
        guint8 rgb[3];

        v = isfinite (v) && range > 0.0f ? (v - self->vmin) / range : 0.0f;
        mcam_colormap_lookup (self->colormap, v, rgb);
        ((guint32 *) (data + yy * stride))[xx] =
          0xff000000u | ((guint32) rgb[0] << 16) | ((guint32) rgb[1] << 8) | rgb[2];
      }
  cairo_surface_mark_dirty (surface);

  /* Nearest-neighbour: a 7 x 7 map shows its cells, not a blur. */
  cairo_save (cr);
  cairo_translate (cr, x, y);
  cairo_scale (cr, (double) THUMB / self->w, (double) THUMB / self->h);
  cairo_set_source_surface (cr, surface, 0, 0);
  cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_NEAREST);
  cairo_paint (cr);
  cairo_restore (cr);
  cairo_surface_destroy (surface);
}

static void
_mcam_slot_grid_text (GtkWidget *canvas, cairo_t *cr, const char *markup, double x, double y,
                      int width)
{
  g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (canvas, NULL);

  pango_layout_set_markup (layout, markup, -1);
  pango_layout_set_width (layout, width * PANGO_SCALE);
  pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
  cairo_move_to (cr, x, y);
  pango_cairo_show_layout (cr, layout);
}

static void
_mcam_slot_canvas_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  McamSlotGrid *self = MCAM_SLOT_CANVAS (widget)->grid;
  int width = gtk_widget_get_width (widget), height = gtk_widget_get_height (widget);
  GtkAdjustment *vadj;
  double top = 0, bottom = height;
  int cols, first_row, last_row;
  GdkRGBA fg;
  cairo_t *cr;

  if (self == NULL || self->n_slots <= 0)
    return;
  /* Only the rows in view: the viewport scrolls the canvas, and
   * value-changed redraws it (see init). */
  vadj = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (self->scroller));
  if (vadj != NULL && gtk_adjustment_get_page_size (vadj) > 0)
    {
      top = gtk_adjustment_get_value (vadj);
      bottom = top + gtk_adjustment_get_page_size (vadj);
    }
  cols = _mcam_slot_grid_columns (self, width);
  first_row = MAX (0, (int) floor (top / CELL_H));
  last_row = (int) ceil (bottom / CELL_H);

  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, top, width, bottom - top));

  for (int row = first_row; row <= last_row; row++)
    for (int col = 0; col < cols; col++)
      {
        int slot = row * cols + col;
        double x = col * CELL_W, y = row * CELL_H;
        const char *cls;
        g_autofree char *number = NULL, *cls_text = NULL, *peak = NULL;
        float pk;

        if (slot >= self->n_slots)
          break;
        if (slot == self->selected)
          {
            /* The slot whose map the overlay shows. */
            cairo_set_source_rgba (cr, 0.21, 0.52, 0.89, 0.25);
            cairo_rectangle (cr, x + 1, y + 1, CELL_W - 2, CELL_H - 2);
            cairo_fill (cr);
          }
        if (slot == self->selected && gtk_widget_has_focus (widget))
          {
            cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.6);
            cairo_set_line_width (cr, 1.0);
            cairo_rectangle (cr, x + 0.5, y + 0.5, CELL_W - 1, CELL_H - 1);
            cairo_stroke (cr);
          }
        if (slot == self->chosen)
          {
            /* Algorithm 1's slot, in the bar charts' marked colour. */
            cairo_set_source_rgb (cr, 0xe6 / 255.0, 0x7e / 255.0, 0x22 / 255.0);
            cairo_set_line_width (cr, 2.0);
            cairo_rectangle (cr, x + 2, y + 2, CELL_W - 4, CELL_H - 4);
            cairo_stroke (cr);
          }
        _mcam_slot_grid_draw_thumb (self, cr, slot, x + PAD, y + (CELL_H - THUMB) / 2.0);

        gdk_cairo_set_source_rgba (cr, &fg);
        number = slot == self->chosen
                 ? g_strdup_printf ("<b><span foreground=\"#e67e22\">#%d ★</span></b>", slot + 1)
                 : g_strdup_printf ("<b>#%d</b>", slot + 1);
        cls = _mcam_slot_grid_class_name (self, slot);
        cls_text = g_markup_printf_escaped ("<small>%s</small>", cls ? cls : "—");
        pk = self->slot_peak ? self->slot_peak[slot] : NAN;
        peak = isfinite (pk) ? g_strdup_printf ("<small>%.2f</small>", (double) pk)
                             : g_strdup ("<small>—</small>");
        {
          double tx = x + PAD + THUMB + 4;
          int tw = CELL_W - (PAD + THUMB + 4) - PAD;
          _mcam_slot_grid_text (widget, cr, number, tx, y + 3, tw);
          _mcam_slot_grid_text (widget, cr, cls_text, tx, y + 19, tw);
          _mcam_slot_grid_text (widget, cr, peak, tx, y + 34, tw);
        }
      }
  cairo_destroy (cr);
}

static GtkSizeRequestMode
_mcam_slot_canvas_get_request_mode (GtkWidget *widget)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

static void
_mcam_slot_canvas_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                           int *minimum, int *natural, int *minimum_baseline,
                           int *natural_baseline)
{
  McamSlotGrid *self = MCAM_SLOT_CANVAS (widget)->grid;
  int n = self ? self->n_slots : 0;

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = CELL_W;
      *natural = CELL_W * CLAMP (n, 1, 12);
    }
  else
    {
      int cols = for_size > 0 ? MAX (1, for_size / CELL_W) : 1;
      int rows = (n + cols - 1) / cols;
      *minimum = *natural = rows * CELL_H;
    }
}

static void
_mcam_slot_canvas_class_init (McamSlotCanvasClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  widget_class->snapshot = _mcam_slot_canvas_snapshot;
  widget_class->measure = _mcam_slot_canvas_measure;
  widget_class->get_request_mode = _mcam_slot_canvas_get_request_mode;
  gtk_widget_class_set_css_name (widget_class, "mcamslotcanvas");
}

static void
_mcam_slot_canvas_init (McamSlotCanvas *self)
{
}

/* ---------------------------------------------------------------- grid */

static void
_mcam_slot_grid_pressed (GtkGestureClick *gesture, int n_press, double x, double y,
                         McamSlotGrid *self)
{
  int slot = mcam_slot_grid_slot_at (self, x, y);

  gtk_widget_grab_focus (self->canvas);
  if (slot >= 0)
    mcam_slot_grid_activate_slot (self, slot);
}

/* Keyboard: arrows move the selection, Enter or Space shows the slot. */
static gboolean
_mcam_slot_grid_key_pressed (GtkEventControllerKey *controller, guint keyval, guint keycode,
                             GdkModifierType state, McamSlotGrid *self)
{
  int cols = _mcam_slot_grid_columns (self, gtk_widget_get_width (self->canvas));
  int slot = self->selected >= 0 ? self->selected : (self->chosen >= 0 ? self->chosen : 0);
  int next = slot;

  if (self->n_slots <= 0)
    return FALSE;
  switch (keyval)
    {
    case GDK_KEY_Left:
      next = slot - 1;
      break;
    case GDK_KEY_Right:
      next = slot + 1;
      break;
    case GDK_KEY_Up:
      next = slot - cols;
      break;
    case GDK_KEY_Down:
      next = slot + cols;
      break;
    case GDK_KEY_Home:
      next = 0;
      break;
    case GDK_KEY_End:
      next = self->n_slots - 1;
      break;
    case GDK_KEY_Return:
    case GDK_KEY_KP_Enter:
    case GDK_KEY_space:
      mcam_slot_grid_activate_slot (self, slot);
      return TRUE;
    default:
      return FALSE;
    }
  mcam_slot_grid_set_selected (self, CLAMP (next, 0, self->n_slots - 1));
  return TRUE;
}

static gboolean
_mcam_slot_grid_query_tooltip (GtkWidget *canvas, int x, int y, gboolean keyboard_mode,
                               GtkTooltip *tooltip, McamSlotGrid *self)
{
  int slot = mcam_slot_grid_slot_at (self, x, y);
  const char *cls;
  g_autofree char *text = NULL, *peak_text = NULL;
  graphene_rect_t area;
  float peak;

  if (slot < 0)
    return FALSE;
  cls = _mcam_slot_grid_class_name (self, slot);
  peak = self->slot_peak ? self->slot_peak[slot] : NAN;
  peak_text = isfinite (peak) ? g_strdup_printf ("%.2f", (double) peak) : g_strdup ("—");
  /* TRANSLATORS: tooltip of a memory slot: number, class, the class's value
   * address p' at this slot, the largest similarity of the slot's pattern
   * with this image */
  text = g_strdup_printf (_("Slot %d\nClass: %s (p′ = %s)\nBest match in this image: %.3f\nClick to show this slot's map"),
                          slot + 1, cls ? cls : _("none"), peak_text,
                          (double) _mcam_slot_grid_map_peak (self, slot));
  gtk_tooltip_set_text (tooltip, text);
  mcam_slot_grid_get_slot_area (self, slot, &area);
  gtk_tooltip_set_tip_area (tooltip, &(GdkRectangle) { (int) area.origin.x, (int) area.origin.y,
                                                       CELL_W, CELL_H });
  return TRUE;
}

static void
_mcam_slot_grid_redraw (McamSlotGrid *self)
{
  gtk_widget_queue_draw (self->canvas);
}

static void
mcam_slot_grid_dispose (GObject *object)
{
  McamSlotGrid *self = MCAM_SLOT_GRID (object);

  if (self->canvas)
    MCAM_SLOT_CANVAS (self->canvas)->grid = NULL;
  g_clear_pointer (&self->scroller, gtk_widget_unparent);
  self->canvas = NULL;
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

static void
mcam_slot_grid_init (McamSlotGrid *self)
{
  GtkGesture *click = gtk_gesture_click_new ();
  GtkEventController *key;
  GtkAdjustment *vadj;

  self->chosen = -1;
  self->selected = -1;
  self->colormap = MCAM_COLORMAP_TURBO;

  self->canvas = g_object_new (MCAM_TYPE_SLOT_CANVAS, NULL);
  MCAM_SLOT_CANVAS (self->canvas)->grid = self;
  gtk_widget_set_has_tooltip (self->canvas, TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->canvas),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Memory slots"), -1);
  g_signal_connect (self->canvas, "query-tooltip",
                    G_CALLBACK (_mcam_slot_grid_query_tooltip), self);
  g_signal_connect (click, "pressed", G_CALLBACK (_mcam_slot_grid_pressed), self);
  gtk_widget_add_controller (self->canvas, GTK_EVENT_CONTROLLER (click));
  key = gtk_event_controller_key_new ();
  g_signal_connect (key, "key-pressed", G_CALLBACK (_mcam_slot_grid_key_pressed), self);
  gtk_widget_add_controller (self->canvas, key);
  gtk_widget_set_focusable (self->canvas, TRUE);
  g_signal_connect_swapped (self->canvas, "notify::has-focus",
                            G_CALLBACK (_mcam_slot_grid_redraw), self);

  self->scroller = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (self->scroller), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (self->scroller), self->canvas);
  gtk_widget_set_parent (self->scroller, GTK_WIDGET (self));
  vadj = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (self->scroller));
  g_signal_connect_swapped (vadj, "value-changed", G_CALLBACK (_mcam_slot_grid_redraw), self);
  g_signal_connect_swapped (vadj, "notify::page-size", G_CALLBACK (_mcam_slot_grid_redraw),
                            self);
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
  if (self->selected >= n_slots)
    self->selected = -1;
  gtk_widget_queue_resize (self->canvas);
  gtk_widget_queue_draw (self->canvas);
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
  self->chosen = slot;
  gtk_widget_queue_draw (self->canvas);
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
  GtkAdjustment *vadj;
  graphene_rect_t area;

  g_return_if_fail (MCAM_IS_SLOT_GRID (self));
  if (slot < -1 || slot >= self->n_slots)
    slot = -1;
  self->selected = slot;
  gtk_widget_queue_draw (self->canvas);

  /* Bring the shown slot into view (a click in a chart may name one far down). */
  vadj = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (self->scroller));
  if (slot >= 0 && vadj != NULL && gtk_widget_get_width (self->canvas) > 0
      && mcam_slot_grid_get_slot_area (self, slot, &area))
    {
      double value = gtk_adjustment_get_value (vadj);
      double page = gtk_adjustment_get_page_size (vadj);
      if (area.origin.y < value)
        gtk_adjustment_set_value (vadj, area.origin.y);
      else if (area.origin.y + area.size.height > value + page)
        gtk_adjustment_set_value (vadj, area.origin.y + area.size.height - page);
    }
}

int
mcam_slot_grid_get_selected (McamSlotGrid *self)
{
  g_return_val_if_fail (MCAM_IS_SLOT_GRID (self), -1);
  return self->selected;
}

void
mcam_slot_grid_set_colormap (McamSlotGrid *self, McamColormap cm)
{
  g_return_if_fail (MCAM_IS_SLOT_GRID (self));
  g_return_if_fail ((int) cm >= 0 && cm < MCAM_N_COLORMAPS);
  self->colormap = cm;
  gtk_widget_queue_draw (self->canvas);
}

void
mcam_slot_grid_activate_slot (McamSlotGrid *self, int slot)
{
  g_return_if_fail (MCAM_IS_SLOT_GRID (self));
  g_return_if_fail (slot >= 0 && slot < self->n_slots);
  mcam_slot_grid_set_selected (self, slot);
  g_signal_emit (self, signals[SLOT_ACTIVATED], 0, slot);
}

GtkWidget *
mcam_slot_grid_get_canvas (McamSlotGrid *self)
{
  g_return_val_if_fail (MCAM_IS_SLOT_GRID (self), NULL);
  return self->canvas;
}
