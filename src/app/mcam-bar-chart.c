/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mcam-bar-chart"

#include "config.h"

#include <math.h>
#include <glib/gi18n.h>

#include "mcam-bar-chart.h"

struct _McamBarChart
{
  GtkWidget parent_instance;

  char  *title;
  char  *empty_text;
  float *values;
  int    n_values;
  int    marked;
  /* The value range drawn: always includes 0, so Δ < 0 bars hang below it. */
  float  vmin, vmax;
};

G_DEFINE_FINAL_TYPE (McamBarChart, mcam_bar_chart, GTK_TYPE_WIDGET)

enum { PROP_0, PROP_TITLE, PROP_MARKED, N_PROPS };
enum { BAR_ACTIVATED, N_SIGNALS };

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

#define PAD 4.0

static PangoLayout *
_mcam_bar_chart_title_layout (McamBarChart *self)
{
  PangoLayout *layout = gtk_widget_create_pango_layout (GTK_WIDGET (self),
                                                        self->title ? self->title : "");
  pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
  return layout;
}

static double
_mcam_bar_chart_title_height (McamBarChart *self)
{
  g_autoptr(PangoLayout) layout = NULL;
  int h;

  if (self->title == NULL || self->title[0] == '\0')
    return 0.0;
  layout = _mcam_bar_chart_title_layout (self);
  pango_layout_get_pixel_size (layout, NULL, &h);
  return h + 2.0;
}

/* The plot area: bars are drawn in [x0, x0 + width) x [y0, y0 + height). */
static void
_mcam_bar_chart_plot_rect (McamBarChart *self, graphene_rect_t *r)
{
  double w = gtk_widget_get_width (GTK_WIDGET (self));
  double h = gtk_widget_get_height (GTK_WIDGET (self));
  double top = PAD + _mcam_bar_chart_title_height (self);

  graphene_rect_init (r, PAD, top, MAX (0.0, w - 2 * PAD), MAX (0.0, h - top - PAD));
}

int
mcam_bar_chart_index_at (McamBarChart *self, double x)
{
  graphene_rect_t r;
  int i;

  g_return_val_if_fail (MCAM_IS_BAR_CHART (self), -1);
  if (self->n_values <= 0)
    return -1;
  _mcam_bar_chart_plot_rect (self, &r);
  if (r.size.width <= 0 || x < r.origin.x || x >= r.origin.x + r.size.width)
    return -1;
  i = (int) floor ((x - r.origin.x) / (r.size.width / self->n_values));
  return CLAMP (i, 0, self->n_values - 1);
}

static void
_mcam_bar_chart_bar_rect (McamBarChart *self, const graphene_rect_t *r, int i,
                          graphene_rect_t *bar)
{
  double slot_w = r->size.width / self->n_values;
  /* A gap between bars once there is room for one: bars stay countable. */
  double gap = slot_w >= 3.0 ? MAX (1.0, floor (slot_w * 0.2)) : (slot_w >= 2.0 ? 1.0 : 0.0);
  double x = floor (r->origin.x + i * slot_w);
  double x_end = floor (r->origin.x + (i + 1) * slot_w) - gap;
  double range = self->vmax - self->vmin;
  double y_zero = r->origin.y + r->size.height * (self->vmax / range);
  float v = self->values[i];
  double y_v;

  if (!isfinite (v))
    v = 0.0f;
  y_v = r->origin.y + r->size.height * ((self->vmax - v) / range);
  if (x_end <= x)
    x_end = x + 1.0;
  if (y_v <= y_zero)
    graphene_rect_init (bar, x, y_v, x_end - x, MAX (1.0, y_zero - y_v));
  else
    graphene_rect_init (bar, x, y_zero, x_end - x, y_v - y_zero);
}

static void
mcam_bar_chart_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  McamBarChart *self = MCAM_BAR_CHART (widget);
  GdkRGBA bar_rgba = { 0x8c / 255.0f, 0x9e / 255.0f, 0xc7 / 255.0f, 1.0f };
  GdkRGBA marked_rgba = { 0xe6 / 255.0f, 0x7e / 255.0f, 0x22 / 255.0f, 1.0f };
  GdkRGBA fg;
  graphene_rect_t r, bar;

  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);

  if (self->title != NULL && self->title[0] != '\0')
    {
      g_autoptr(PangoLayout) layout = _mcam_bar_chart_title_layout (self);
      pango_layout_set_width (layout,
                              MAX (1, (gtk_widget_get_width (widget) - 2 * (int) PAD)) * PANGO_SCALE);
      gtk_snapshot_save (snapshot);
      gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (PAD, PAD));
      gtk_snapshot_append_layout (snapshot, layout, &fg);
      gtk_snapshot_restore (snapshot);
    }

  _mcam_bar_chart_plot_rect (self, &r);
  if (self->n_values <= 0 && self->empty_text != NULL && r.size.width > 0)
    {
      g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (widget, self->empty_text);
      GdkRGBA dim = fg;
      int lw, lh;

      dim.alpha *= 0.55f;
      pango_layout_set_width (layout, (int) r.size.width * PANGO_SCALE);
      pango_layout_set_alignment (layout, PANGO_ALIGN_CENTER);
      pango_layout_set_wrap (layout, PANGO_WRAP_WORD);
      pango_layout_get_pixel_size (layout, &lw, &lh);
      gtk_snapshot_save (snapshot);
      gtk_snapshot_translate (snapshot,
                              &GRAPHENE_POINT_INIT (r.origin.x,
                                                    r.origin.y + MAX (0.0, (r.size.height - lh) / 2)));
      gtk_snapshot_append_layout (snapshot, layout, &dim);
      gtk_snapshot_restore (snapshot);
    }
  if (self->n_values <= 0 || r.size.width <= 0 || r.size.height <= 0)
    return;

  /* The zero line, faint, so negative Δ bars read as such. */
  {
    GdkRGBA axis = fg;
    double y_zero = r.origin.y + r.size.height * (self->vmax / (self->vmax - self->vmin));
    axis.alpha *= 0.25f;
    gtk_snapshot_append_color (snapshot, &axis,
                               &GRAPHENE_RECT_INIT (r.origin.x, floor (y_zero), r.size.width, 1));
  }

  for (int i = 0; i < self->n_values; i++)
    {
      if (i == self->marked || !isfinite (self->values[i]))
        continue;
      _mcam_bar_chart_bar_rect (self, &r, i, &bar);
      gtk_snapshot_append_color (snapshot, &bar_rgba, &bar);
    }
  /* The marked bar last, so it is never hidden, and at least 2 px wide. */
  if (self->marked >= 0 && self->marked < self->n_values && isfinite (self->values[self->marked]))
    {
      _mcam_bar_chart_bar_rect (self, &r, self->marked, &bar);
      if (bar.size.width < 2.0)
        bar.size.width = 2.0;
      gtk_snapshot_append_color (snapshot, &marked_rgba, &bar);
    }
}

static void
mcam_bar_chart_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                        int *minimum, int *natural, int *minimum_baseline,
                        int *natural_baseline)
{
  McamBarChart *self = MCAM_BAR_CHART (widget);

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      /* Up to 128 bars keep a gap (2 px each); beyond, 1 px each still
       * gives every slot its own column and keeps 512 slots on one screen. */
      int per_bar = self->n_values <= 128 ? MCAM_BAR_CHART_MIN_BAR_WIDTH : 1;
      int bars = self->n_values * per_bar + 2 * (int) PAD;
      *minimum = MAX (120, bars);
      *natural = MAX (240, MAX (bars, self->n_values * 6 + 2 * (int) PAD));
      *natural = MIN (*natural, MAX (*minimum, 480));
    }
  else
    {
      int title = (int) ceil (_mcam_bar_chart_title_height (self));
      *minimum = title + 48;
      *natural = title + 90;
    }
}

static gboolean
_mcam_bar_chart_query_tooltip (GtkWidget *widget, int x, int y, gboolean keyboard_mode,
                               GtkTooltip *tooltip, gpointer user_data)
{
  McamBarChart *self = MCAM_BAR_CHART (widget);
  g_autofree char *text = NULL;
  graphene_rect_t r;
  double slot_w;
  int i;

  i = mcam_bar_chart_index_at (self, x);
  if (i < 0)
    return FALSE;

  if (i == self->marked)
    /* TRANSLATORS: a memory slot number (1-based) and its value in a chart */
    text = g_strdup_printf (_("Slot %d: %.4f (marked)"), i + 1, (double) self->values[i]);
  else
    text = g_strdup_printf (_("Slot %d: %.4f"), i + 1, (double) self->values[i]);
  gtk_tooltip_set_text (tooltip, text);

  /* The tip belongs to this bar only: moving to the next bar updates it. */
  _mcam_bar_chart_plot_rect (self, &r);
  slot_w = r.size.width / self->n_values;
  gtk_tooltip_set_tip_area (tooltip,
                            &(GdkRectangle) { (int) floor (r.origin.x + i * slot_w), 0,
                                              MAX (1, (int) ceil (slot_w)),
                                              gtk_widget_get_height (widget) });
  return TRUE;
}

static void
_mcam_bar_chart_pressed (GtkGestureClick *gesture, int n_press, double x, double y,
                         McamBarChart *self)
{
  int i = mcam_bar_chart_index_at (self, x);

  if (i >= 0)
    g_signal_emit (self, signals[BAR_ACTIVATED], 0, i);
}

static void
mcam_bar_chart_finalize (GObject *object)
{
  McamBarChart *self = MCAM_BAR_CHART (object);

  g_clear_pointer (&self->title, g_free);
  g_clear_pointer (&self->empty_text, g_free);
  g_clear_pointer (&self->values, g_free);
  G_OBJECT_CLASS (mcam_bar_chart_parent_class)->finalize (object);
}

static void
mcam_bar_chart_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  McamBarChart *self = MCAM_BAR_CHART (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      g_value_set_string (value, self->title);
      break;
    case PROP_MARKED:
      g_value_set_int (value, self->marked);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mcam_bar_chart_set_property (GObject *object, guint prop_id, const GValue *value,
                             GParamSpec *pspec)
{
  McamBarChart *self = MCAM_BAR_CHART (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      mcam_bar_chart_set_title (self, g_value_get_string (value));
      break;
    case PROP_MARKED:
      mcam_bar_chart_set_marked (self, g_value_get_int (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mcam_bar_chart_class_init (McamBarChartClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = mcam_bar_chart_finalize;
  object_class->get_property = mcam_bar_chart_get_property;
  object_class->set_property = mcam_bar_chart_set_property;
  widget_class->snapshot = mcam_bar_chart_snapshot;
  widget_class->measure = mcam_bar_chart_measure;

  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MARKED] =
    g_param_spec_int ("marked", NULL, NULL, -1, G_MAXINT, -1,
                      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* The bar's index (0-based) was clicked. */
  signals[BAR_ACTIVATED] =
    g_signal_new ("bar-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);

  gtk_widget_class_set_css_name (widget_class, "mcambarchart");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
mcam_bar_chart_init (McamBarChart *self)
{
  GtkGesture *click = gtk_gesture_click_new ();

  self->marked = -1;
  self->vmin = 0.0f;
  self->vmax = 1.0f;
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  g_signal_connect (self, "query-tooltip", G_CALLBACK (_mcam_bar_chart_query_tooltip), NULL);
  g_signal_connect (click, "pressed", G_CALLBACK (_mcam_bar_chart_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
}

GtkWidget *
mcam_bar_chart_new (void)
{
  return g_object_new (MCAM_TYPE_BAR_CHART, NULL);
}

void
mcam_bar_chart_set_title (McamBarChart *self, const char *title)
{
  g_return_if_fail (MCAM_IS_BAR_CHART (self));
  if (g_strcmp0 (self->title, title) != 0)
    {
      g_free (self->title);
      self->title = g_strdup (title);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, title ? title : "", -1);
      gtk_widget_queue_resize (GTK_WIDGET (self));
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
    }
}

void
mcam_bar_chart_set_empty_text (McamBarChart *self, const char *text)
{
  g_return_if_fail (MCAM_IS_BAR_CHART (self));
  g_free (self->empty_text);
  self->empty_text = g_strdup (text);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

const char *
mcam_bar_chart_get_title (McamBarChart *self)
{
  g_return_val_if_fail (MCAM_IS_BAR_CHART (self), NULL);
  return self->title;
}

void
mcam_bar_chart_set_values (McamBarChart *self, const float *values, int n)
{
  gboolean resize;

  g_return_if_fail (MCAM_IS_BAR_CHART (self));
  g_return_if_fail (n >= 0);
  g_return_if_fail (n == 0 || values != NULL);

  resize = n != self->n_values;
  g_free (self->values);
  self->values = n > 0 ? g_memdup2 (values, sizeof (float) * n) : NULL;
  self->n_values = n;

  self->vmin = 0.0f;
  self->vmax = 0.0f;
  for (int i = 0; i < n; i++)
    if (isfinite (values[i]))
      {
        self->vmin = MIN (self->vmin, values[i]);
        self->vmax = MAX (self->vmax, values[i]);
      }
  if (self->vmax - self->vmin <= 0.0f)
    self->vmax = self->vmin + 1.0f;

  if (self->marked >= n)
    mcam_bar_chart_set_marked (self, -1);
  if (resize)
    gtk_widget_queue_resize (GTK_WIDGET (self));
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

int
mcam_bar_chart_get_n_values (McamBarChart *self)
{
  g_return_val_if_fail (MCAM_IS_BAR_CHART (self), 0);
  return self->n_values;
}

float
mcam_bar_chart_get_value (McamBarChart *self, int index)
{
  g_return_val_if_fail (MCAM_IS_BAR_CHART (self), NAN);
  g_return_val_if_fail (index >= 0 && index < self->n_values, NAN);
  return self->values[index];
}

void
mcam_bar_chart_set_marked (McamBarChart *self, int index)
{
  g_return_if_fail (MCAM_IS_BAR_CHART (self));
  if (index < -1)
    index = -1;
  if (self->marked == index)
    return;
  self->marked = index;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MARKED]);
}

int
mcam_bar_chart_get_marked (McamBarChart *self)
{
  g_return_val_if_fail (MCAM_IS_BAR_CHART (self), -1);
  return self->marked;
}
