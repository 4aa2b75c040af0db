/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mcam-memory-inspector"

#include "config.h"

#include <math.h>
#include <glib/gi18n.h>

#include "mcam-memory-inspector.h"

struct _McamMemoryInspector
{
  GtkWidget parent_instance;

  GtkWidget       *header;
  GtkLabel        *title_label;
  McamHealthBadge *health_badge;
  GtkWidget       *switcher;
  GtkStack        *stack;
  McamBarChart    *chart_p;
  McamBarChart    *chart_p_s;
  McamBarChart    *chart_p_value;
  McamBarChart    *chart_delta;
  McamSlotGrid    *slot_grid;
  McamHeatmap     *heatmap;
  GtkLabel        *message_label;

  McamInspectorData *data;
};

G_DEFINE_FINAL_TYPE (McamMemoryInspector, mcam_memory_inspector, GTK_TYPE_WIDGET)

enum { SLOT_ACTIVATED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
_mcam_memory_inspector_emit_slot (McamMemoryInspector *self, int slot)
{
  if (self->data == NULL || slot < 0 || slot >= self->data->n_slots)
    return;
  mcam_slot_grid_set_selected (self->slot_grid, slot);
  g_signal_emit (self, signals[SLOT_ACTIVATED], 0, slot);
}

static void
_mcam_memory_inspector_bar_activated (McamBarChart *chart, int slot, McamMemoryInspector *self)
{
  _mcam_memory_inspector_emit_slot (self, slot);
}

static void
_mcam_memory_inspector_grid_activated (McamSlotGrid *grid, int slot, McamMemoryInspector *self)
{
  /* The grid has selected it already. */
  if (self->data != NULL && slot >= 0 && slot < self->data->n_slots)
    g_signal_emit (self, signals[SLOT_ACTIVATED], 0, slot);
}

static void
_mcam_memory_inspector_cell_activated (McamHeatmap *heatmap, int row, int col,
                                       McamMemoryInspector *self)
{
  _mcam_memory_inspector_emit_slot (self, col);
}

static void
mcam_memory_inspector_dispose (GObject *object)
{
  McamMemoryInspector *self = MCAM_MEMORY_INSPECTOR (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), MCAM_TYPE_MEMORY_INSPECTOR);
  g_clear_pointer (&self->data, mcam_inspector_data_unref);
  G_OBJECT_CLASS (mcam_memory_inspector_parent_class)->dispose (object);
}

static void
mcam_memory_inspector_class_init (McamMemoryInspectorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = mcam_memory_inspector_dispose;

  signals[SLOT_ACTIVATED] =
    g_signal_new ("slot-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);

  g_type_ensure (MCAM_TYPE_BAR_CHART);
  g_type_ensure (MCAM_TYPE_SLOT_GRID);
  g_type_ensure (MCAM_TYPE_HEATMAP);
  g_type_ensure (MCAM_TYPE_HEALTH_BADGE);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/mcam_explorer/MCamExplorer/ui/mcam-memory-inspector.ui");
  gtk_widget_class_bind_template_child (widget_class, McamMemoryInspector, header);
  gtk_widget_class_bind_template_child (widget_class, McamMemoryInspector, title_label);
  gtk_widget_class_bind_template_child (widget_class, McamMemoryInspector, health_badge);
  gtk_widget_class_bind_template_child (widget_class, McamMemoryInspector, switcher);
  gtk_widget_class_bind_template_child (widget_class, McamMemoryInspector, stack);
  gtk_widget_class_bind_template_child (widget_class, McamMemoryInspector, chart_p);
  gtk_widget_class_bind_template_child (widget_class, McamMemoryInspector, chart_p_s);
  gtk_widget_class_bind_template_child (widget_class, McamMemoryInspector, chart_p_value);
  gtk_widget_class_bind_template_child (widget_class, McamMemoryInspector, chart_delta);
  gtk_widget_class_bind_template_child (widget_class, McamMemoryInspector, slot_grid);
  gtk_widget_class_bind_template_child (widget_class, McamMemoryInspector, heatmap);
  gtk_widget_class_bind_template_child (widget_class, McamMemoryInspector, message_label);

  gtk_widget_class_set_css_name (widget_class, "mcammemoryinspector");
}

static void
mcam_memory_inspector_init (McamMemoryInspector *self)
{
  McamBarChart *charts[4];

  gtk_widget_init_template (GTK_WIDGET (self));

  charts[0] = self->chart_p;
  charts[1] = self->chart_p_s;
  charts[2] = self->chart_p_value;
  charts[3] = self->chart_delta;
  for (int i = 0; i < 4; i++)
    {
      g_signal_connect (charts[i], "bar-activated",
                        G_CALLBACK (_mcam_memory_inspector_bar_activated), self);
      mcam_bar_chart_set_empty_text (charts[i], _("Not available"));
    }
  /* Δ comes from the slot search, which only the M-CAM methods run. */
  mcam_bar_chart_set_empty_text (self->chart_delta,
                                 _("Only the M-CAM methods run the slot search"));
  g_signal_connect (self->slot_grid, "slot-activated",
                    G_CALLBACK (_mcam_memory_inspector_grid_activated), self);
  g_signal_connect (self->heatmap, "cell-activated",
                    G_CALLBACK (_mcam_memory_inspector_cell_activated), self);

  mcam_memory_inspector_set_data (self, NULL);
}

GtkWidget *
mcam_memory_inspector_new (void)
{
  return g_object_new (MCAM_TYPE_MEMORY_INSPECTOR, NULL);
}

static const char *
class_name (McamInspectorData *d, int c)
{
  if (d->class_names != NULL && c >= 0 && c < d->n_classes)
    return d->class_names[c];
  return NULL;
}

static void
set_chart (McamBarChart *chart, const float *values, int n, int marked)
{
  mcam_bar_chart_set_values (chart, values, values ? n : 0);
  mcam_bar_chart_set_marked (chart, values ? marked : -1);
}

void
mcam_memory_inspector_set_data (McamMemoryInspector *self, McamInspectorData *data)
{
  g_autofree char *title = NULL;
  g_autofree char *value_title = NULL;
  g_autofree int *slot_class = NULL;
  g_autofree float *slot_peak = NULL;
  const char *cls;
  int n;

  g_return_if_fail (MCAM_IS_MEMORY_INSPECTOR (self));

  if (data != NULL)
    mcam_inspector_data_ref (data);
  g_clear_pointer (&self->data, mcam_inspector_data_unref);
  self->data = data;

  if (data == NULL)
    {
      gtk_label_set_text (self->title_label, _("Memory inspector"));
      gtk_label_set_text (self->message_label,
                          _("No memory module loaded: open a model with a memory to inspect it."));
      gtk_stack_set_visible_child_name (self->stack, "message");
      gtk_widget_set_visible (self->switcher, FALSE);
      gtk_widget_set_visible (GTK_WIDGET (self->health_badge), FALSE);
      return;
    }

  n = data->n_slots;
  cls = class_name (data, data->class_index);
  if (data->chosen_slot >= 0 && cls != NULL && data->user_slot >= 0 &&
      data->user_slot != data->chosen_slot)
    /* TRANSLATORS: slot numbers (1-based), class name */
    title = g_strdup_printf (_("Memory inspector — showing slot %d (your choice); "
                               "Algorithm 1 chose slot %d ★ for %s"),
                             data->user_slot + 1, data->chosen_slot + 1, cls);
  else if (data->chosen_slot >= 0 && cls != NULL)
    /* TRANSLATORS: slot number (1-based), class name */
    title = g_strdup_printf (_("Memory inspector — slot %d ★ chosen by Algorithm 1 for %s"),
                             data->chosen_slot + 1, cls);
  else
    title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Memory inspector — %d slot",
                                          "Memory inspector — %d slots", n), n);
  gtk_label_set_text (self->title_label, title);

  set_chart (self->chart_p, data->p, n, data->chosen_slot);
  set_chart (self->chart_p_s, data->p_s, n, data->chosen_slot);
  set_chart (self->chart_p_value, data->p_value, n, data->chosen_slot);
  set_chart (self->chart_delta, data->delta, n, data->chosen_slot);
  if (cls != NULL)
    /* TRANSLATORS: chart title; %s is a class name */
    value_title = g_strdup_printf (_("value address p′ (%s)"), cls);
  mcam_bar_chart_set_title (self->chart_p_value,
                            value_title ? value_title : _("value address p′"));

  slot_class = g_new (int, MAX (1, n));
  slot_peak = g_new (float, MAX (1, n));
  if (!mcam_inspector_data_slot_classes (data, slot_class, slot_peak))
    g_clear_pointer (&slot_class, g_free);
  mcam_slot_grid_set_slots (self->slot_grid, n, data->h, data->w, data->slot_maps,
                            slot_class, slot_class ? slot_peak : NULL,
                            (const char *const *) data->class_names,
                            data->class_names ? data->n_classes : 0);
  mcam_slot_grid_set_chosen (self->slot_grid, data->chosen_slot);

  mcam_heatmap_set_data (self->heatmap, data->value_addresses ? data->n_classes : 0, n,
                         data->value_addresses, (const char *const *) data->class_names);
  mcam_heatmap_set_marked (self->heatmap, data->class_index, data->chosen_slot);

  mcam_health_badge_set_health (self->health_badge, data->health, data->map_sum_r);
  gtk_widget_set_visible (GTK_WIDGET (self->health_badge), TRUE);
  gtk_widget_set_visible (self->switcher, TRUE);

  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "message") == 0)
    gtk_stack_set_visible_child_name (self->stack, "slots");
}

McamInspectorData *
mcam_memory_inspector_get_data (McamMemoryInspector *self)
{
  g_return_val_if_fail (MCAM_IS_MEMORY_INSPECTOR (self), NULL);
  return self->data;
}

void
mcam_memory_inspector_set_message (McamMemoryInspector *self, const char *message)
{
  g_return_if_fail (MCAM_IS_MEMORY_INSPECTOR (self));
  gtk_label_set_text (self->message_label, message ? message : "");
  gtk_stack_set_visible_child_name (self->stack, "message");
  gtk_widget_set_visible (self->switcher, FALSE);
}

void
mcam_memory_inspector_set_shown_slot (McamMemoryInspector *self, int slot)
{
  g_return_if_fail (MCAM_IS_MEMORY_INSPECTOR (self));
  mcam_slot_grid_set_selected (self->slot_grid, slot);
}

void
mcam_memory_inspector_set_colormap (McamMemoryInspector *self, McamColormap cm)
{
  g_return_if_fail (MCAM_IS_MEMORY_INSPECTOR (self));
  mcam_slot_grid_set_colormap (self->slot_grid, cm);
  mcam_heatmap_set_colormap (self->heatmap, cm);
}

McamBarChart *
mcam_memory_inspector_get_chart (McamMemoryInspector *self, McamInspectorChart which)
{
  g_return_val_if_fail (MCAM_IS_MEMORY_INSPECTOR (self), NULL);
  switch (which)
    {
    case MCAM_INSPECTOR_CHART_P:
      return self->chart_p;
    case MCAM_INSPECTOR_CHART_P_S:
      return self->chart_p_s;
    case MCAM_INSPECTOR_CHART_P_VALUE:
      return self->chart_p_value;
    case MCAM_INSPECTOR_CHART_DELTA:
      return self->chart_delta;
    case MCAM_INSPECTOR_N_CHARTS:
    default:
      g_return_val_if_reached (NULL);
    }
}

McamSlotGrid *
mcam_memory_inspector_get_slot_grid (McamMemoryInspector *self)
{
  g_return_val_if_fail (MCAM_IS_MEMORY_INSPECTOR (self), NULL);
  return self->slot_grid;
}

McamHeatmap *
mcam_memory_inspector_get_heatmap (McamMemoryInspector *self)
{
  g_return_val_if_fail (MCAM_IS_MEMORY_INSPECTOR (self), NULL);
  return self->heatmap;
}

McamHealthBadge *
mcam_memory_inspector_get_health_badge (McamMemoryInspector *self)
{
  g_return_val_if_fail (MCAM_IS_MEMORY_INSPECTOR (self), NULL);
  return self->health_badge;
}
