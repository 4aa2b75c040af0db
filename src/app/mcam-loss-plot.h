/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* A small live plot of training losses: one line per loss term over
 * training progress (x in epochs, fractional within an epoch), on a log
 * scale because the terms differ by orders of magnitude (BCE ~0.3, the
 * sparse term ~0.01). A legend names each line with its last value. */
#define MCAM_TYPE_LOSS_PLOT (mcam_loss_plot_get_type ())
G_DECLARE_FINAL_TYPE (McamLossPlot, mcam_loss_plot, MCAM, LOSS_PLOT, GtkWidget)

GtkWidget *mcam_loss_plot_new (void);
/* Sets the series (copied) and clears every point. */
void       mcam_loss_plot_set_series (McamLossPlot *self, const char *const *names, int n_series);
int        mcam_loss_plot_get_n_series (McamLossPlot *self);
/* One point for every series: values[n_series]; non-positive or NAN values
 * are kept but not drawn (log scale). */
void       mcam_loss_plot_add_point  (McamLossPlot *self, double x, const double *values);
int        mcam_loss_plot_get_n_points (McamLossPlot *self);
void       mcam_loss_plot_clear      (McamLossPlot *self);
/* The x range drawn: [0, x_max] (e.g. the number of epochs); grows with the data. */
void       mcam_loss_plot_set_x_max  (McamLossPlot *self, double x_max);

G_END_DECLS
