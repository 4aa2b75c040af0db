/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* A bar chart over N slots (p, p_s, p', Δ of the memory inspector, DESIGN 4.6)
 * with one marked index (n_ĉ), the value of each bar in its tooltip, and a
 * "bar-activated" signal when a bar is clicked. Every bar gets at least
 * MCAM_BAR_CHART_MIN_BAR_WIDTH pixels (1 above 128 bars), so in a scrolled
 * window N up to 512 stays readable; drawing is one rectangle per bar. */
#define MCAM_BAR_CHART_MIN_BAR_WIDTH 2

/* The bar colours, fixed so the chart reads the same on any theme (and so the
 * tests can find the bars in the rendered pixels). */
#define MCAM_BAR_CHART_BAR_RGB    0x8c, 0x9e, 0xc7
#define MCAM_BAR_CHART_MARKED_RGB 0xe6, 0x7e, 0x22

#define MCAM_TYPE_BAR_CHART (mcam_bar_chart_get_type ())
G_DECLARE_FINAL_TYPE (McamBarChart, mcam_bar_chart, MCAM, BAR_CHART, GtkWidget)

GtkWidget  *mcam_bar_chart_new        (void);
void        mcam_bar_chart_set_title  (McamBarChart *self, const char *title);
const char *mcam_bar_chart_get_title  (McamBarChart *self);
/* Copies n values (n may be 0: an empty chart); NAN bars are drawn empty. */
void        mcam_bar_chart_set_values (McamBarChart *self, const float *values, int n);
int         mcam_bar_chart_get_n_values (McamBarChart *self);
float       mcam_bar_chart_get_value  (McamBarChart *self, int index);
/* What an empty chart says (e.g. why there are no values). */
void        mcam_bar_chart_set_empty_text (McamBarChart *self, const char *text);
/* -1: nothing marked. */
void        mcam_bar_chart_set_marked (McamBarChart *self, int index);
int         mcam_bar_chart_get_marked (McamBarChart *self);
/* The bar under x (widget coordinates), or -1. */
int         mcam_bar_chart_index_at   (McamBarChart *self, double x);

G_END_DECLS
