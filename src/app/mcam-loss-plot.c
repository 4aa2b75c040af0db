/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mcam-loss-plot"

#include "config.h"

#include <math.h>
#include <glib/gi18n.h>

#include "mcam-loss-plot.h"

struct _McamLossPlot
{
  GtkWidget parent_instance;

  char  **names;
  int     n_series;
  GArray *x;        /* double */
  GArray *values;   /* double, n_series per point */
  double  x_max;
};

G_DEFINE_FINAL_TYPE (McamLossPlot, mcam_loss_plot, GTK_TYPE_WIDGET)

/* Distinct colours that read on light and dark backgrounds. */
static const GdkRGBA series_colors[] = {
  { 0.20f, 0.40f, 0.80f, 1.0f },
  { 0.90f, 0.49f, 0.13f, 1.0f },
  { 0.18f, 0.63f, 0.30f, 1.0f },
  { 0.80f, 0.20f, 0.25f, 1.0f },
  { 0.55f, 0.35f, 0.75f, 1.0f },
  { 0.10f, 0.65f, 0.70f, 1.0f },
  { 0.60f, 0.50f, 0.20f, 1.0f },
};

#define PAD_LEFT   48.0
#define PAD_RIGHT  8.0
#define PAD_TOP    8.0
#define PAD_BOTTOM 20.0

static void
mcam_loss_plot_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  McamLossPlot *self = MCAM_LOSS_PLOT (widget);
  int width = gtk_widget_get_width (widget), height = gtk_widget_get_height (widget);
  int n = self->x->len;
  double lo = INFINITY, hi = -INFINITY, x_max = self->x_max;
  double legend_w = 0.0, pw, ph = height - PAD_TOP - PAD_BOTTOM;
  int legend_y = (int) PAD_TOP;
  g_autofree double *last_values = g_new (double, MAX (1, self->n_series));
  g_autoptr(GPtrArray) legend = g_ptr_array_new_with_free_func (g_object_unref);

  /* The legend (name and last value of each line) sits right of the plot,
   * never over the lines. */
  for (int s = 0; s < self->n_series; s++)
    {
      g_autofree char *text = NULL;
      PangoLayout *layout;
      int lw;

      last_values[s] = NAN;
      for (int i = n - 1; i >= 0; i--)
        {
          double v = g_array_index (self->values, double, i * self->n_series + s);
          if (isfinite (v) && v > 0.0)
            {
              last_values[s] = v;
              break;
            }
        }
      text = isfinite (last_values[s]) ? g_strdup_printf ("%s %.4g", self->names[s], last_values[s])
                                       : g_strdup (self->names[s]);
      layout = gtk_widget_create_pango_layout (widget, text);
      pango_layout_get_pixel_size (layout, &lw, NULL);
      legend_w = MAX (legend_w, lw + 20.0);
      g_ptr_array_add (legend, layout);
    }
  if (legend_w > width / 2.0)
    legend_w = 0.0;   /* too narrow: the legend then overlays the plot */
  pw = width - PAD_LEFT - PAD_RIGHT - legend_w;
  GdkRGBA fg;
  cairo_t *cr;

  if (pw <= 10 || ph <= 10)
    return;
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));

  for (int i = 0; i < n; i++)
    {
      double xi = g_array_index (self->x, double, i);
      x_max = MAX (x_max, xi);
      for (int s = 0; s < self->n_series; s++)
        {
          double v = g_array_index (self->values, double, i * self->n_series + s);
          if (isfinite (v) && v > 0.0)
            {
              lo = MIN (lo, v);
              hi = MAX (hi, v);
            }
        }
    }
  if (!(x_max > 0.0))
    x_max = 1.0;
  if (!(hi >= lo))
    {
      lo = 0.01;
      hi = 1.0;
    }
  /* Whole decades, so the axis reads 0.01, 0.1, 1. */
  lo = pow (10.0, floor (log10 (lo)));
  hi = pow (10.0, ceil (log10 (hi)));
  if (hi <= lo)
    hi = lo * 10.0;

  /* Axes and decade grid. */
  cairo_set_line_width (cr, 1.0);
  for (double d = lo; d <= hi * 1.0001; d *= 10.0)
    {
      double y = PAD_TOP + ph * (1.0 - (log10 (d) - log10 (lo)) / (log10 (hi) - log10 (lo)));
      g_autofree char *label = g_strdup_printf ("%g", d);
      g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (widget, label);
      int lw, lh;

      cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.15);
      cairo_move_to (cr, PAD_LEFT, floor (y) + 0.5);
      cairo_line_to (cr, PAD_LEFT + pw, floor (y) + 0.5);
      cairo_stroke (cr);
      pango_layout_get_pixel_size (layout, &lw, &lh);
      cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.7);
      cairo_move_to (cr, PAD_LEFT - 4 - lw, y - lh / 2.0);
      pango_cairo_show_layout (cr, layout);
    }
  {
    /* TRANSLATORS: x axis of the loss plot; %g is the last epoch shown */
    g_autofree char *label = g_strdup_printf (_("epochs 0 – %g"), x_max);
    g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (widget, label);
    int lw, lh;
    pango_layout_get_pixel_size (layout, &lw, &lh);
    cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.7);
    cairo_move_to (cr, PAD_LEFT + pw - lw, height - lh);
    pango_cairo_show_layout (cr, layout);
  }

  /* The lines. */
  cairo_set_line_width (cr, 1.5);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  for (int s = 0; s < self->n_series; s++)
    {
      const GdkRGBA *c = &series_colors[s % G_N_ELEMENTS (series_colors)];
      gboolean pen_down = FALSE;

      gdk_cairo_set_source_rgba (cr, c);
      for (int i = 0; i < n; i++)
        {
          double v = g_array_index (self->values, double, i * self->n_series + s);
          double x = PAD_LEFT + pw * g_array_index (self->x, double, i) / x_max;
          double y;

          if (!(isfinite (v) && v > 0.0))
            {
              pen_down = FALSE;
              continue;
            }
          y = PAD_TOP + ph * (1.0 - (log10 (v) - log10 (lo)) / (log10 (hi) - log10 (lo)));
          if (pen_down)
            cairo_line_to (cr, x, y);
          else
            cairo_move_to (cr, x, y);
          pen_down = TRUE;
        }
      cairo_stroke (cr);

      /* Legend entry. */
      {
        PangoLayout *layout = g_ptr_array_index (legend, s);
        int lw, lh;
        double lx = legend_w > 0 ? PAD_LEFT + pw + 12 : PAD_LEFT + pw - legend_w;

        pango_layout_get_pixel_size (layout, &lw, &lh);
        if (legend_w <= 0)
          lx = PAD_LEFT + pw - lw - 16;
        gdk_cairo_set_source_rgba (cr, c);
        cairo_rectangle (cr, lx, legend_y + lh / 2.0 - 2, 10, 4);
        cairo_fill (cr);
        cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, fg.alpha);
        cairo_move_to (cr, lx + 14, legend_y);
        pango_cairo_show_layout (cr, layout);
        legend_y += lh;
      }
    }
  cairo_destroy (cr);
}

static void
mcam_loss_plot_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                        int *minimum, int *natural, int *minimum_baseline,
                        int *natural_baseline)
{
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = 200;
      *natural = 480;
    }
  else
    {
      *minimum = 120;
      *natural = 220;
    }
}

static void
mcam_loss_plot_finalize (GObject *object)
{
  McamLossPlot *self = MCAM_LOSS_PLOT (object);

  g_strfreev (self->names);
  g_array_unref (self->x);
  g_array_unref (self->values);
  G_OBJECT_CLASS (mcam_loss_plot_parent_class)->finalize (object);
}

static void
mcam_loss_plot_class_init (McamLossPlotClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = mcam_loss_plot_finalize;
  widget_class->snapshot = mcam_loss_plot_snapshot;
  widget_class->measure = mcam_loss_plot_measure;
  gtk_widget_class_set_css_name (widget_class, "mcamlossplot");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
mcam_loss_plot_init (McamLossPlot *self)
{
  self->names = g_new0 (char *, 1);
  self->x = g_array_new (FALSE, FALSE, sizeof (double));
  self->values = g_array_new (FALSE, FALSE, sizeof (double));
}

GtkWidget *
mcam_loss_plot_new (void)
{
  return g_object_new (MCAM_TYPE_LOSS_PLOT, NULL);
}

void
mcam_loss_plot_set_series (McamLossPlot *self, const char *const *names, int n_series)
{
  g_return_if_fail (MCAM_IS_LOSS_PLOT (self));
  g_return_if_fail (n_series >= 0);

  g_strfreev (self->names);
  self->names = g_new0 (char *, n_series + 1);
  for (int s = 0; s < n_series; s++)
    self->names[s] = g_strdup (names[s]);
  self->n_series = n_series;
  mcam_loss_plot_clear (self);
}

int
mcam_loss_plot_get_n_series (McamLossPlot *self)
{
  g_return_val_if_fail (MCAM_IS_LOSS_PLOT (self), 0);
  return self->n_series;
}

void
mcam_loss_plot_add_point (McamLossPlot *self, double x, const double *values)
{
  g_return_if_fail (MCAM_IS_LOSS_PLOT (self));
  g_array_append_val (self->x, x);
  g_array_append_vals (self->values, values, self->n_series);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

int
mcam_loss_plot_get_n_points (McamLossPlot *self)
{
  g_return_val_if_fail (MCAM_IS_LOSS_PLOT (self), 0);
  return self->x->len;
}

void
mcam_loss_plot_clear (McamLossPlot *self)
{
  g_return_if_fail (MCAM_IS_LOSS_PLOT (self));
  g_array_set_size (self->x, 0);
  g_array_set_size (self->values, 0);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
mcam_loss_plot_set_x_max (McamLossPlot *self, double x_max)
{
  g_return_if_fail (MCAM_IS_LOSS_PLOT (self));
  self->x_max = x_max;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}
