/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Issue 11, item 6, under Xvfb: a layout that fits. At 1024x700 every part
 * of the centre (caption, overlay, its toolbar) and both side panes lie
 * inside the window, none at zero width; at the default 1400x900 the
 * caption and the health verdict are not ellipsized; the health details
 * open at a readable width with nothing selected; when the memory's M-CAM
 * map is class-agnostic (the demo's), a bar beside the overlay says so and
 * its CAM button switches the method in one click. */

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

static McamWindow *
open_demo (int width, int height)
{
  g_autofree char *model = NULL, *memory = NULL, *images = NULL;
  McamWindow *window;
  g_autoptr(GFile) file = NULL;

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

static gboolean
agnostic_shown (gpointer data)
{
  McamWindow *window = data;

  return gtk_widget_get_visible (GTK_WIDGET (window->agnostic_bar));
}

static void
test_narrow (void)
{
  McamWindow *window = open_demo (1024, 700);
  GtkWidget *toolbar;

  if (window == NULL)
    {
      g_test_skip ("no demo");
      return;
    }
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (window)), <=, 1024);
  toolbar = gtk_widget_get_ancestor (GTK_WIDGET (window->boxes_toggle), GTK_TYPE_SCROLLED_WINDOW);
  mcam_app_test_assert_inside (window, GTK_WIDGET (window->caption_label), "caption");
  mcam_app_test_assert_inside (window, GTK_WIDGET (window->overlay_view), "overlay");
  mcam_app_test_assert_inside (window, toolbar, "overlay toolbar");
  mcam_app_test_assert_inside (window, GTK_WIDGET (window->image_browser), "image browser");
  mcam_app_test_assert_inside (window, GTK_WIDGET (window->class_list), "class list");
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_default_size (void)
{
  McamWindow *window = open_demo (1400, 900);
  McamMemoryInspector *inspector;
  McamHealthBadge *badge;
  GtkWidget *button, *popover, *details;
  PangoLayout *layout;
  int start, end;

  if (window == NULL)
    {
      g_test_skip ("no demo");
      return;
    }
  inspector = MCAM_MEMORY_INSPECTOR (window->inspector);
  badge = mcam_memory_inspector_get_health_badge (inspector);
  mcam_app_test_wait_for (agnostic_shown, window, "the class-agnostic bar");
  mcam_app_test_settle ();

  /* The caption in full. */
  layout = gtk_label_get_layout (window->caption_label);
  g_test_message ("caption: %s", gtk_label_get_label (window->caption_label));
  g_assert_false (pango_layout_is_ellipsized (layout));
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

  /* One click to CAM. */
  g_test_message ("agnostic: %s", gtk_widget_get_tooltip_text (window->agnostic_bar));
  mcam_app_test_assert_inside (window, window->agnostic_bar, "class-agnostic notice");
  {
    GtkWidget *profile = mcam_app_test_find_widget (GTK_WIDGET (window->agnostic_bar), GTK_TYPE_BUTTON);

    g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (profile)), ==, "Profile");
    g_signal_emit_by_name (gtk_widget_get_next_sibling (profile), "clicked");
  }
  mcam_app_test_settle ();
  g_assert_cmpint (mcam_class_list_get_method (window->class_list), ==, MCAM_METHOD_CAM);
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (window->agnostic_bar)));
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
