/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>
#include "mcam/mcam-map.h"
#include "mcam-inspector-data.h"
#include "mcam-bar-chart.h"
#include "mcam-slot-grid.h"
#include "mcam-heatmap.h"
#include "mcam-health-badge.h"

G_BEGIN_DECLS

/* The memory inspector (DESIGN 4.6, the bottom of the window): bar charts of
 * p, p_s, p' and Δ over the N slots with n_ĉ marked, the slot grid, the
 * class x slot heat map of value addresses, and the health badge (4.7).
 * It draws a McamInspectorData the worker made; it computes nothing.
 *
 * "slot-activated" (0-based slot): a slot was clicked in a chart, the grid or
 * the heat map — the window shows that slot's map as the overlay. */
typedef enum
{
  MCAM_INSPECTOR_CHART_P,
  MCAM_INSPECTOR_CHART_P_S,
  MCAM_INSPECTOR_CHART_P_VALUE,
  MCAM_INSPECTOR_CHART_DELTA,
  MCAM_INSPECTOR_N_CHARTS
} McamInspectorChart;

#define MCAM_TYPE_MEMORY_INSPECTOR (mcam_memory_inspector_get_type ())
G_DECLARE_FINAL_TYPE (McamMemoryInspector, mcam_memory_inspector, MCAM, MEMORY_INSPECTOR,
                      GtkWidget)

GtkWidget *mcam_memory_inspector_new (void);
/* data may be NULL: "no memory" is shown. Keeps a reference. */
void       mcam_memory_inspector_set_data       (McamMemoryInspector *self,
                                                 McamInspectorData   *data);
McamInspectorData *mcam_memory_inspector_get_data (McamMemoryInspector *self);
/* A short message instead of the data (e.g. "Analysing…" or an error). */
void       mcam_memory_inspector_set_message    (McamMemoryInspector *self, const char *message);
/* The slot whose map the overlay shows (selected in the grid), -1: none. */
void       mcam_memory_inspector_set_shown_slot (McamMemoryInspector *self, int slot);
void       mcam_memory_inspector_set_colormap   (McamMemoryInspector *self, McamColormap cm);

McamBarChart    *mcam_memory_inspector_get_chart        (McamMemoryInspector *self,
                                                         McamInspectorChart which);
McamSlotGrid    *mcam_memory_inspector_get_slot_grid    (McamMemoryInspector *self);
McamHeatmap     *mcam_memory_inspector_get_heatmap      (McamMemoryInspector *self);
McamHealthBadge *mcam_memory_inspector_get_health_badge (McamMemoryInspector *self);

G_END_DECLS
