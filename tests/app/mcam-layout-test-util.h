/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The layout checks of issue 11 item 6 shared by test-layout (1024x700,
 * 1400x900) and test-layout-scale (GDK_SCALE=2, 1600x1000): measured from
 * the widgets' allocations. Include after mcam-app-test-util.h,
 * mcam-window-test-util.h and mcam-window-private.h. */

#include <string.h>

#include "mcam-caption-row.h"
#include "mcam-window-private.h"

/* The map keeps a usable size beside everything else (logical px): before
 * the caption could take a third line it had 298x141 at GDK_SCALE=2. */
#define MCAM_LAYOUT_TEST_OVERLAY_MIN_WIDTH  200
#define MCAM_LAYOUT_TEST_OVERLAY_MIN_HEIGHT 120

/* A main window of this default size on the demo, once it shows the first
 * map; NULL without the demo. Needs mcam-test-util.h. */
static inline McamWindow *
mcam_layout_test_open_demo (int width, int height)
{
  g_autofree char *model = NULL, *memory = NULL, *images = NULL;
  g_autoptr(GFile) file = NULL;
  McamWindow *window;

  if (!mcam_find_demo (&model, &memory, &images))
    return NULL;
  window = mcam_window_new (NULL);
  gtk_window_set_default_size (GTK_WINDOW (window), width, height);
  gtk_window_present (GTK_WINDOW (window));
  file = g_file_new_for_path (images);
  mcam_window_load_model (window, model, memory);
  mcam_window_open_files (window, &file, 1);
  mcam_app_test_wait_for (mcam_app_test_any_map_shown, window, "the first overlay");
  mcam_app_test_settle ();
  return window;
}

/* Inside the window, and at least its own measured minimum in both
 * directions (its width-request, a label's longest word, ...; a measure
 * counts the margins, an allocated size does not). */
static inline void
mcam_layout_test_assert_min (McamWindow *window, GtkWidget *widget, const char *what)
{
  int min_w, min_h;

  mcam_app_test_assert_inside (window, widget, what);
  gtk_widget_measure (widget, GTK_ORIENTATION_HORIZONTAL, -1, &min_w, NULL, NULL, NULL);
  gtk_widget_measure (widget, GTK_ORIENTATION_VERTICAL,
                      gtk_widget_get_width (widget) + gtk_widget_get_margin_start (widget) +
                      gtk_widget_get_margin_end (widget), &min_h, NULL, NULL, NULL);
  min_w -= gtk_widget_get_margin_start (widget) + gtk_widget_get_margin_end (widget);
  min_h -= gtk_widget_get_margin_top (widget) + gtk_widget_get_margin_bottom (widget);
  g_test_message ("%s: %dx%d, minimum %dx%d", what, gtk_widget_get_width (widget),
                  gtk_widget_get_height (widget), min_w, min_h);
  g_assert_cmpint (gtk_widget_get_width (widget), >=, min_w);
  g_assert_cmpint (gtk_widget_get_height (widget), >=, min_h);
}

static inline gboolean
mcam_layout_test_agnostic_shown (gpointer data)
{
  McamWindow *window = data;

  return gtk_widget_get_visible (GTK_WIDGET (window->agnostic_button));
}

/* With the class-agnostic notice shown (the demo's memory, M-CAM):
 * (a) the caption lies inside the window and is not ellipsized: the class
 *     and the slot are on screen, wrapped if need be;
 * (b) the notice lies inside the window, mapped; its message is in its
 *     tooltip and in its popover, whose two actions are shown (the caller
 *     clicks one);
 * (c) the overlay, its toolbar, both side panes and the memory inspector
 *     keep their minimum sizes.
 * Returns the popover, popped up. */
static inline GtkWidget *
mcam_layout_test_assert_fits (McamWindow *window)
{
  GtkWidget *caption = GTK_WIDGET (window->caption_label);
  GtkWidget *notice = GTK_WIDGET (window->agnostic_button);
  GtkWidget *toolbar = gtk_widget_get_ancestor (GTK_WIDGET (window->boxes_toggle),
                                                GTK_TYPE_SCROLLED_WINDOW);
  GtkWidget *inspector_area = gtk_paned_get_end_child (_mcam_window_get_inspector_paned (window));
  GtkWidget *popover, *buttons[2];
  const char *label = gtk_label_get_label (window->caption_label);
  const char *tooltip;
  graphene_rect_t r;

  mcam_app_test_wait_for (mcam_layout_test_agnostic_shown, window, "the class-agnostic notice");
  mcam_app_test_settle ();
  g_test_message ("window %dx%d at scale %d", gtk_widget_get_width (GTK_WIDGET (window)),
                  gtk_widget_get_height (GTK_WIDGET (window)),
                  gtk_widget_get_scale_factor (GTK_WIDGET (window)));

  /* (a) */
  g_test_message ("caption: %s", label);
  mcam_app_test_assert_inside (window, caption, "caption");
  g_assert_nonnull (strstr (label, "Ankle boot"));
  g_assert_nonnull (strstr (label, "slot"));
  g_assert_false (pango_layout_is_ellipsized (gtk_label_get_layout (window->caption_label)));

  /* (b) */
  mcam_app_test_assert_inside (window, notice, "class-agnostic notice");
  g_assert_true (gtk_widget_get_mapped (notice));
  /* beside the caption, not over it (the row lays them out itself) */
  g_assert_true (gtk_widget_compute_bounds (caption, notice, &r));
  g_assert_cmpfloat (r.origin.x + r.size.width, <=, 0.5);
  if (gtk_widget_get_child_visible (GTK_WIDGET (window->agnostic_label)))
    {
      mcam_app_test_assert_inside (window, GTK_WIDGET (window->agnostic_label), "its words");
      g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (window->agnostic_label)));
      g_assert_true (gtk_widget_compute_bounds (notice, GTK_WIDGET (window->agnostic_label), &r));
      g_assert_cmpfloat (r.origin.x + r.size.width, <=, 0.5);
    }
  else
    g_test_message ("its words left out");
  tooltip = gtk_widget_get_tooltip_text (notice);
  g_assert_nonnull (strstr (tooltip, "same map for every class"));
  gtk_menu_button_popup (window->agnostic_button);
  mcam_app_test_settle ();
  popover = GTK_WIDGET (gtk_menu_button_get_popover (window->agnostic_button));
  g_assert_true (gtk_widget_get_mapped (popover));
  g_assert_cmpstr (gtk_label_get_label (window->agnostic_details), ==, tooltip);
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (window->agnostic_details)));
  buttons[0] = mcam_app_test_find_widget (popover, GTK_TYPE_BUTTON);
  g_assert_nonnull (buttons[0]);
  buttons[1] = gtk_widget_get_next_sibling (buttons[0]);
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (buttons[0])), ==, "Show M-CAM (profile)");
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (buttons[1])), ==, "Show CAM");
  g_test_message ("popover %dx%d", gtk_widget_get_width (popover), gtk_widget_get_height (popover));
  for (int i = 0; i < 2; i++)
    {
      g_assert_true (gtk_widget_get_mapped (buttons[i]));
      g_assert_true (gtk_widget_compute_bounds (buttons[i], popover, &r));
      g_assert_cmpfloat (r.size.width, >, 0);
      g_assert_cmpfloat (r.origin.x + r.size.width, <=, gtk_widget_get_width (popover) + 0.5);
      g_assert_cmpfloat (r.origin.y + r.size.height, <=, gtk_widget_get_height (popover) + 0.5);
    }
  g_assert_cmpint (gtk_widget_get_width (popover), <=, gtk_widget_get_width (GTK_WIDGET (window)));

  /* (c) */
  mcam_layout_test_assert_min (window, GTK_WIDGET (window->overlay_view), "overlay");
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (window->overlay_view)), >=,
                   MCAM_LAYOUT_TEST_OVERLAY_MIN_WIDTH);
  g_assert_cmpint (gtk_widget_get_height (GTK_WIDGET (window->overlay_view)), >=,
                   MCAM_LAYOUT_TEST_OVERLAY_MIN_HEIGHT);
  mcam_layout_test_assert_min (window, toolbar, "overlay toolbar");
  mcam_layout_test_assert_min (window, GTK_WIDGET (window->image_browser), "image browser");
  mcam_layout_test_assert_min (window, GTK_WIDGET (window->class_list), "class list");
  mcam_app_test_assert_inside (window, inspector_area, "inspector");
  g_assert_cmpint (gtk_widget_get_height (inspector_area), >=, MCAM_INSPECTOR_USEFUL_HEIGHT);
  return popover;
}
