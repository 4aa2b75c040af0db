/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Issue 11, item 6, under Xvfb: a layout that fits. At 1024x700 every part
 * of the centre (caption, overlay, its toolbar) and both side panes lie
 * inside the window at their minimum sizes or more, and the caption is
 * readable in full beside the class-agnostic notice, whose message and two
 * actions are reachable (mcam-layout-test-util.h); at the default 1400x900
 * the same, the notice with its words, and the health verdict not
 * ellipsized; the health details open at a readable width with nothing
 * selected; the notice's CAM button switches the method in one click. */

#include "config.h"

#include <gtk/gtk.h>
#include <string.h>

#include "mcam-test-util.h"
#include "mcam-app-test-util.h"
#include "mcam-window-test-util.h"
#include "mcam-application.h"
#include "mcam-health-badge.h"
#include "mcam-memory-inspector.h"
#include "mcam-window-private.h"
#include "mcam-layout-test-util.h"

static void
test_narrow (void)
{
  McamWindow *window = mcam_layout_test_open_demo (1024, 700);

  if (window == NULL)
    {
      g_test_skip ("no demo");
      return;
    }
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (window)), <=, 1024);
  mcam_layout_test_assert_fits (window);
  gtk_menu_button_popdown (window->agnostic_button);
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_default_size (void)
{
  McamWindow *window = mcam_layout_test_open_demo (1400, 900);
  McamMemoryInspector *inspector;
  McamHealthBadge *badge;
  GtkWidget *button, *popover, *details;
  GtkWidget *agnostic_popover;
  int start, end;

  if (window == NULL)
    {
      g_test_skip ("no demo");
      return;
    }
  inspector = MCAM_MEMORY_INSPECTOR (window->inspector);
  badge = mcam_memory_inspector_get_health_badge (inspector);
  /* The caption in full; the notice with its words (there is room). */
  agnostic_popover = mcam_layout_test_assert_fits (window);
  gtk_menu_button_popdown (window->agnostic_button);
  mcam_app_test_settle ();
  g_assert_true (mcam_caption_row_get_notice_expanded (
    MCAM_CAPTION_ROW (gtk_widget_get_parent (GTK_WIDGET (window->caption_label)))));
  g_assert_true (gtk_widget_get_child_visible (GTK_WIDGET (window->agnostic_label)));
  /* The verdict in full. */
  {
    GtkWidget *label = mcam_app_test_find_widget (GTK_WIDGET (badge), GTK_TYPE_LABEL);

    g_test_message ("verdict: %s", gtk_label_get_label (GTK_LABEL (label)));
    g_assert_false (pango_layout_is_ellipsized (gtk_label_get_layout (GTK_LABEL (label))));
    g_assert_cmpint (gtk_widget_get_width (label), >, 0);
  }

  /* The details at a readable width, nothing selected. */
  button = mcam_app_test_find_widget (GTK_WIDGET (badge), GTK_TYPE_MENU_BUTTON);
  gtk_menu_button_popup (GTK_MENU_BUTTON (button));
  mcam_app_test_settle ();
  popover = GTK_WIDGET (gtk_menu_button_get_popover (GTK_MENU_BUTTON (button)));
  details = mcam_app_test_find_widget (popover, GTK_TYPE_LABEL);
  g_test_message ("details: %d px wide", gtk_widget_get_width (details));
  g_assert_cmpint (gtk_widget_get_width (details), >=, 300);
  g_assert_false (gtk_label_get_selection_bounds (GTK_LABEL (details), &start, &end));
  gtk_menu_button_popdown (GTK_MENU_BUTTON (button));

  /* One click to CAM, from the notice's popover, opened by a click on its
   * words. */
  {
    GListModel *controllers = gtk_widget_observe_controllers (GTK_WIDGET (window->agnostic_label));
    g_autoptr(GtkEventController) click = g_list_model_get_item (controllers, 0);

    g_assert_true (GTK_IS_GESTURE_CLICK (click));
    g_signal_emit_by_name (click, "pressed", 1, 4.0, 4.0);
    g_object_unref (controllers);
  }
  mcam_app_test_settle ();
  g_assert_true (gtk_widget_get_mapped (agnostic_popover));
  {
    GtkWidget *profile = mcam_app_test_find_widget (agnostic_popover, GTK_TYPE_BUTTON);

    g_signal_emit_by_name (gtk_widget_get_next_sibling (profile), "clicked");
  }
  mcam_app_test_settle ();
  g_assert_cmpint (mcam_class_list_get_method (window->class_list), ==, MCAM_METHOD_CAM);
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (window->agnostic_button)));
  g_assert_false (gtk_widget_get_visible (agnostic_popover));
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int argc, char **argv)
{
  mcam_app_test_init (&argc, &argv);

  g_test_add_func ("/mcam/app/layout/narrow", test_narrow);
  g_test_add_func ("/mcam/app/layout/default-size", test_default_size);
  return g_test_run ();
}
