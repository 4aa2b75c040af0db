/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mcam-heatmap"

#include "config.h"

#include <math.h>
#include <string.h>
#include <glib/gi18n.h>

#include "mcam-heatmap.h"

struct _McamHeatmap
{
  GtkWidget parent_instance;

  int    n_rows, n_cols;
  float *values;
  char **row_names;
  float  vmin, vmax;
  int    marked_row, marked_col;
  McamColormap colormap;
  cairo_surface_t *cells;   /* n_cols x n_rows, rebuilt when data or colormap change */
  GtkAdjustment *vadj;      /* of the scrolled window around us, if any */
  int    label_width;       /* pixels, measured from the names */
};

G_DEFINE_FINAL_TYPE (McamHeatmap, mcam_heatmap, GTK_TYPE_WIDGET)

enum { CELL_ACTIVATED, N_SIGNALS };
static guint signals[N_SIGNALS];

#define ROW_HEIGHT    14
#define MIN_COL_WIDTH 3
#define HEADER_HEIGHT 16
#define PAD           4

static void
_mcam_heatmap_cell_rect (McamHeatmap *self, graphene_rect_t *r)
{
  double w = gtk_widget_get_width (GTK_WIDGET (self));
  double x0 = PAD + self->label_width + PAD;

  graphene_rect_init (r, x0, HEADER_HEIGHT, MAX (0.0, w - x0 - PAD),
                      (double) self->n_rows * ROW_HEIGHT);
}

gboolean
mcam_heatmap_cell_at (McamHeatmap *self, double x, double y, int *row, int *col)
{
  graphene_rect_t r;
  int i, j;

  g_return_val_if_fail (MCAM_IS_HEATMAP (self), FALSE);
  if (self->n_rows <= 0 || self->n_cols <= 0)
    return FALSE;
  _mcam_heatmap_cell_rect (self, &r);
  if (!graphene_rect_contains_point (&r, &GRAPHENE_POINT_INIT (x, y)) || r.size.width <= 0)
    return FALSE;
  i = (int) ((y - r.origin.y) / ROW_HEIGHT);
  j = (int) ((x - r.origin.x) / (r.size.width / self->n_cols));
  if (row)
    *row = CLAMP (i, 0, self->n_rows - 1);
  if (col)
    *col = CLAMP (j, 0, self->n_cols - 1);
  return TRUE;
}

static void
_mcam_heatmap_rebuild_cells (McamHeatmap *self)
{
  guint8 *data;
  int stride;
  float range = self->vmax - self->vmin;

  g_clear_pointer (&self->cells, cairo_surface_destroy);
  if (self->n_rows <= 0 || self->n_cols <= 0)
    return;
  guint32 lut[1024];

  /* A 1024-step table: C x N = 1000 x 512 cells without 512k lookups. */
  for (int k = 0; k < 1024; k++)
    {
      guint8 rgb[3];
      mcam_colormap_lookup (self->colormap, k / 1023.0f, rgb);
      lut[k] = 0xff000000u | ((guint32) rgb[0] << 16) | ((guint32) rgb[1] << 8) | rgb[2];
    }
  self->cells = cairo_image_surface_create (CAIRO_FORMAT_RGB24, self->n_cols, self->n_rows);
  data = cairo_image_surface_get_data (self->cells);
  stride = cairo_image_surface_get_stride (self->cells);
  for (int i = 0; i < self->n_rows; i++)
    for (int j = 0; j < self->n_cols; j++)
      {
        float v = self->values[(gsize) i * self->n_cols + j];

        v = isfinite (v) && range > 0.0f ? (v - self->vmin) / range : 0.0f;
        ((guint32 *) (data + i * stride))[j] = lut[(int) (CLAMP (v, 0.0f, 1.0f) * 1023.0f + 0.5f)];
      }
  cairo_surface_mark_dirty (self->cells);
}

static void
_mcam_heatmap_scrolled (McamHeatmap *self)
{
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/* Follow the scrolled window we are in, so only the rows in view are drawn
 * and scrolling redraws them. */
static void
_mcam_heatmap_track_scrolling (McamHeatmap *self)
{
  GtkWidget *sw = gtk_widget_get_ancestor (GTK_WIDGET (self), GTK_TYPE_SCROLLED_WINDOW);
  GtkAdjustment *adj = sw ? gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (sw)) : NULL;

  if (adj == self->vadj)
    return;
  if (self->vadj != NULL)
    g_signal_handlers_disconnect_by_data (self->vadj, self);
  g_set_object (&self->vadj, adj);
  if (adj != NULL)
    g_signal_connect_swapped (adj, "value-changed", G_CALLBACK (_mcam_heatmap_scrolled), self);
}

static void
mcam_heatmap_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  McamHeatmap *self = MCAM_HEATMAP (widget);
  GdkRGBA fg;
  graphene_rect_t r;
  double col_w;
  cairo_t *cr;
  int tick;
  double top = 0.0, bottom = gtk_widget_get_height (widget);

  if (self->cells == NULL)
    return;
  _mcam_heatmap_track_scrolling (self);
  if (self->vadj != NULL && gtk_adjustment_get_page_size (self->vadj) > 0)
    {
      top = gtk_adjustment_get_value (self->vadj);
      bottom = top + gtk_adjustment_get_page_size (self->vadj);
    }
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  _mcam_heatmap_cell_rect (self, &r);
  if (r.size.width <= 0)
    return;
  col_w = r.size.width / self->n_cols;

  cr = gtk_snapshot_append_cairo (snapshot,
                                  &GRAPHENE_RECT_INIT (0, 0, gtk_widget_get_width (widget),
                                                       gtk_widget_get_height (widget)));
  /* Cells: the n_cols x n_rows image stretched with nearest-neighbour. */
  cairo_save (cr);
  cairo_translate (cr, r.origin.x, r.origin.y);
  cairo_scale (cr, col_w, ROW_HEIGHT);
  cairo_set_source_surface (cr, self->cells, 0, 0);
  cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_NEAREST);
  cairo_paint (cr);
  cairo_restore (cr);

  /* Outline the current class's row and the chosen slot's column. */
  cairo_set_source_rgb (cr, 1.0, 1.0, 1.0);
  cairo_set_line_width (cr, 1.5);
  if (self->marked_row >= 0 && self->marked_row < self->n_rows)
    {
      cairo_rectangle (cr, r.origin.x + 0.75, r.origin.y + self->marked_row * ROW_HEIGHT + 0.75,
                       r.size.width - 1.5, ROW_HEIGHT - 1.5);
      cairo_stroke (cr);
    }
  if (self->marked_col >= 0 && self->marked_col < self->n_cols)
    {
      cairo_rectangle (cr, r.origin.x + self->marked_col * col_w + 0.75, r.origin.y + 0.75,
                       MAX (1.0, col_w - 1.5), r.size.height - 1.5);
      cairo_stroke (cr);
    }

  /* Row names and slot numbers: every slot when there is room, else every tick-th. */
  gdk_cairo_set_source_rgba (cr, &fg);
  /* Row names in view only: 1000 classes would be 1000 layouts a frame. */
  for (int i = MAX (0, (int) ((top - r.origin.y) / ROW_HEIGHT));
       i < self->n_rows && r.origin.y + i * ROW_HEIGHT <= bottom; i++)
    {
      g_autoptr(PangoLayout) layout =
        gtk_widget_create_pango_layout (widget, self->row_names ? self->row_names[i] : "");
      int lw, lh;
      pango_layout_get_pixel_size (layout, &lw, &lh);
      cairo_move_to (cr, PAD + self->label_width - lw,
                     r.origin.y + i * ROW_HEIGHT + (ROW_HEIGHT - lh) / 2.0);
      pango_cairo_show_layout (cr, layout);
    }
  tick = 1;
  while (tick * col_w < 28.0)
    tick = tick == 1 ? 5 : tick * 2;
  for (int j = 0; j < self->n_cols; j += tick)
    {
      g_autofree char *num = g_strdup_printf ("%d", j + 1);
      g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (widget, num);
      int lw, lh;
      pango_layout_get_pixel_size (layout, &lw, &lh);
      cairo_move_to (cr, r.origin.x + (j + 0.5) * col_w - lw / 2.0, 0);
      pango_cairo_show_layout (cr, layout);
    }
  cairo_destroy (cr);
}

static int
compare_len_desc (gconstpointer a, gconstpointer b)
{
  gsize la = strlen (*(const char *const *) a), lb = strlen (*(const char *const *) b);

  return la < lb ? 1 : la > lb ? -1 : 0;
}

static void
_mcam_heatmap_update_label_width (McamHeatmap *self)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  g_autoptr(PangoLayout) layout = NULL;

  self->label_width = 0;
  if (self->row_names == NULL)
    return;
  /* With 1000 classes, laying out every name costs tens of ms: the widest
   * is among the longest in characters, so measure the 32 longest. */
  for (int i = 0; i < self->n_rows; i++)
    g_ptr_array_add (names, self->row_names[i]);
  g_ptr_array_sort (names, compare_len_desc);
  layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), NULL);
  for (guint i = 0; i < MIN (names->len, 32u); i++)
    {
      int lw;
      pango_layout_set_text (layout, g_ptr_array_index (names, i), -1);
      pango_layout_get_pixel_size (layout, &lw, NULL);
      self->label_width = MAX (self->label_width, lw);
    }
  self->label_width = MIN (self->label_width, 200);
}

static void
mcam_heatmap_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                      int *minimum, int *natural, int *minimum_baseline, int *natural_baseline)
{
  McamHeatmap *self = MCAM_HEATMAP (widget);

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      int fixed = 3 * PAD + self->label_width;
      *minimum = fixed + self->n_cols * MIN_COL_WIDTH;
      *natural = fixed + self->n_cols * MAX (MIN_COL_WIDTH, 12);
    }
  else
    *minimum = *natural = HEADER_HEIGHT + self->n_rows * ROW_HEIGHT + PAD;
}

static gboolean
_mcam_heatmap_query_tooltip (GtkWidget *widget, int x, int y, gboolean keyboard_mode,
                             GtkTooltip *tooltip, gpointer user_data)
{
  McamHeatmap *self = MCAM_HEATMAP (widget);
  g_autofree char *text = NULL;
  int row, col;

  if (!mcam_heatmap_cell_at (self, x, y, &row, &col))
    return FALSE;
  /* TRANSLATORS: heat map tooltip: class name, slot number, value address p' */
  text = g_strdup_printf (_("%s, slot %d: p′ = %.4f"),
                          self->row_names ? self->row_names[row] : "",
                          col + 1, (double) self->values[(gsize) row * self->n_cols + col]);
  gtk_tooltip_set_text (tooltip, text);
  {
    graphene_rect_t r;
    double col_w;
    _mcam_heatmap_cell_rect (self, &r);
    col_w = r.size.width / self->n_cols;
    gtk_tooltip_set_tip_area (tooltip,
                              &(GdkRectangle) { (int) (r.origin.x + col * col_w),
                                                (int) r.origin.y + row * ROW_HEIGHT,
                                                MAX (1, (int) ceil (col_w)), ROW_HEIGHT });
  }
  return TRUE;
}

static void
_mcam_heatmap_pressed (GtkGestureClick *gesture, int n_press, double x, double y,
                       McamHeatmap *self)
{
  int row, col;

  if (mcam_heatmap_cell_at (self, x, y, &row, &col))
    g_signal_emit (self, signals[CELL_ACTIVATED], 0, row, col);
}

static void
mcam_heatmap_finalize (GObject *object)
{
  McamHeatmap *self = MCAM_HEATMAP (object);

  g_free (self->values);
  g_strfreev (self->row_names);
  g_clear_pointer (&self->cells, cairo_surface_destroy);
  if (self->vadj != NULL)
    g_signal_handlers_disconnect_by_data (self->vadj, self);
  g_clear_object (&self->vadj);
  G_OBJECT_CLASS (mcam_heatmap_parent_class)->finalize (object);
}

static void
mcam_heatmap_class_init (McamHeatmapClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = mcam_heatmap_finalize;
  widget_class->snapshot = mcam_heatmap_snapshot;
  widget_class->measure = mcam_heatmap_measure;

  /* A cell was clicked: (row = class, column = slot), 0-based. */
  signals[CELL_ACTIVATED] =
    g_signal_new ("cell-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_INT);

  gtk_widget_class_set_css_name (widget_class, "mcamheatmap");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
mcam_heatmap_init (McamHeatmap *self)
{
  GtkGesture *click = gtk_gesture_click_new ();

  self->marked_row = -1;
  self->marked_col = -1;
  self->colormap = MCAM_COLORMAP_TURBO;
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  g_signal_connect (self, "query-tooltip", G_CALLBACK (_mcam_heatmap_query_tooltip), NULL);
  g_signal_connect (click, "pressed", G_CALLBACK (_mcam_heatmap_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
}

GtkWidget *
mcam_heatmap_new (void)
{
  return g_object_new (MCAM_TYPE_HEATMAP, NULL);
}

void
mcam_heatmap_set_data (McamHeatmap *self, int n_rows, int n_cols, const float *values,
                       const char *const *row_names)
{
  gsize n;

  g_return_if_fail (MCAM_IS_HEATMAP (self));
  g_return_if_fail (n_rows >= 0 && n_cols >= 0);
  n = (gsize) n_rows * n_cols;
  g_return_if_fail (n == 0 || values != NULL);

  g_clear_pointer (&self->values, g_free);
  g_clear_pointer (&self->row_names, g_strfreev);
  self->n_rows = n > 0 ? n_rows : 0;
  self->n_cols = n > 0 ? n_cols : 0;
  if (n > 0)
    self->values = g_memdup2 (values, sizeof (float) * n);
  if (row_names != NULL && n > 0)
    {
      self->row_names = g_new0 (char *, n_rows + 1);
      for (int i = 0; i < n_rows; i++)
        self->row_names[i] = g_strdup (row_names[i]);
    }
  /* Value addresses are probabilities: scale from 0 so a flat row looks flat. */
  self->vmin = 0.0f;
  self->vmax = 0.0f;
  for (gsize i = 0; i < n; i++)
    if (isfinite (values[i]))
      {
        self->vmin = MIN (self->vmin, values[i]);
        self->vmax = MAX (self->vmax, values[i]);
      }
  if (!(self->vmax > self->vmin))
    self->vmax = self->vmin + 1.0f;

  _mcam_heatmap_update_label_width (self);
  _mcam_heatmap_rebuild_cells (self);
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

void
mcam_heatmap_set_marked (McamHeatmap *self, int row, int col)
{
  g_return_if_fail (MCAM_IS_HEATMAP (self));
  self->marked_row = row;
  self->marked_col = col;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
mcam_heatmap_set_colormap (McamHeatmap *self, McamColormap cm)
{
  g_return_if_fail (MCAM_IS_HEATMAP (self));
  g_return_if_fail ((int) cm >= 0 && cm < MCAM_N_COLORMAPS);
  self->colormap = cm;
  _mcam_heatmap_rebuild_cells (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}
