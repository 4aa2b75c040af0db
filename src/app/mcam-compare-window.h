/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "mcam-compare-view.h"
#include "mcam-window.h"

G_BEGIN_DECLS

/* Compare mode in its own window, beside the main one: it follows the main
 * window's image, class, method, colormap and opacity, and a double click
 * on a tile shows that class or method in the main window. One per main
 * window (mcam_compare_window_present_for). */
#define MCAM_TYPE_COMPARE_WINDOW (mcam_compare_window_get_type ())
G_DECLARE_FINAL_TYPE (McamCompareWindow, mcam_compare_window, MCAM, COMPARE_WINDOW, GtkWindow)

McamCompareWindow *mcam_compare_window_new      (McamWindow *main_window);
/* The compare window of main_window, made on first use, presented. */
McamCompareWindow *mcam_compare_window_present_for (McamWindow *main_window);
McamCompareView   *mcam_compare_window_get_view (McamCompareWindow *self);

G_END_DECLS
