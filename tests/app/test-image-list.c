/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Issue 11, item 7, under Xvfb: the image list. Opening a folder selects its
 * first new image (and the window shows it); removing an image selects the
 * next; clearing the list leaves nothing of the last image on screen; an
 * image opened from a bias lens cell opens on that cell's class and the
 * lens's method. Uses the demo (its labelled images have boxes). */

#include "config.h"

#include <gtk/gtk.h>
#include <string.h>

#include "mcam-test-util.h"
#include "mcam-app-test-util.h"
#include "mcam-window-test-util.h"
#include "mcam-application.h"
#include "mcam-bias-lens-dialog.h"
#include "mcam-window-private.h"

static guint
n_items (McamWindow *window)
{
  return g_list_model_get_n_items (mcam_image_browser_get_items (window->image_browser));
}

static gboolean
has_items (gpointer data)
{
  return n_items (data) > 1;
}

static void
test_open_remove_clear (void)
{
  g_autofree char *model = NULL, *memory = NULL, *images = NULL;
  g_autofree char *first = NULL, *second = NULL;
  g_autoptr(GFile) folder = NULL;
  McamWindow *window;
  McamAppTestImageWait w;
  guint n;

  if (!mcam_find_demo (&model, &memory, &images))
    {
      g_test_skip ("no demo");
      return;
    }
  /* The demo's second image first; then the folder: its first image (new
   * to the list) is selected and shown. */
  first = g_build_filename (images, "bag-00000.png", NULL);
  second = g_build_filename (images, "bag-00001.png", NULL);
  window = mcam_app_test_open_window (model, memory, second);
  folder = g_file_new_for_path (images);
  mcam_window_open_files (window, &folder, 1);
  mcam_app_test_wait_for (has_items, window, "the folder listed");
  w = (McamAppTestImageWait) { window, first };
  mcam_app_test_wait_for (mcam_app_test_image_shown, &w, "the folder's first image");
  g_assert_cmpstr (mcam_image_item_get_path (mcam_image_browser_get_selected (window->image_browser)),
                   ==, first);

  /* Remove: the image after it is selected and shown; the file stays. */
  n = n_items (window);
  {
    GListModel *items = mcam_image_browser_get_items (window->image_browser);
    guint pos = G_MAXUINT;

    for (guint i = 0; i < n; i++)
      {
        g_autoptr(McamImageItem) item = g_list_model_get_item (items, i);

        if (g_strcmp0 (mcam_image_item_get_path (item), first) == 0)
          pos = i;
      }
    g_assert_cmpuint (pos, <, n - 1);
    {
      g_autoptr(McamImageItem) after = g_list_model_get_item (items, pos + 1);

      g_free (second);
      second = g_strdup (mcam_image_item_get_path (after));
    }
  }
  gtk_widget_activate_action (GTK_WIDGET (window), "win.remove-image", NULL);
  g_assert_cmpuint (n_items (window), ==, n - 1);
  w.path = second;
  mcam_app_test_wait_for (mcam_app_test_image_shown, &w, "the next image");
  g_assert_true (g_file_test (first, G_FILE_TEST_EXISTS));

  /* Clear: nothing of the last image on screen. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.clear-images", NULL);
  mcam_app_test_settle ();
  g_assert_cmpuint (n_items (window), ==, 0);
  g_assert_null (mcam_window_get_map_result (window));
  g_assert_null (mcam_window_get_image_result (window));
  g_assert_null (mcam_overlay_view_get_image (window->overlay_view));
  g_assert_cmpstr (gtk_label_get_label (window->caption_label), ==, "");
  gtk_window_destroy (GTK_WINDOW (window));
}

static gboolean
lens_done (gpointer data)
{
  return !mcam_bias_lens_dialog_is_running (data);
}

typedef struct
{
  McamWindow *window;
  int         class_index;
  McamMethod  method;
  const char *not_path;
} LensWait;

static gboolean
lens_map_shown (gpointer data)
{
  LensWait *w = data;
  McamMapResult *map = mcam_window_get_map_result (w->window);

  return map != NULL && map->request->class_index == w->class_index &&
         map->request->method == w->method && g_strcmp0 (map->request->path, w->not_path) != 0;
}

/* The list box of the cell's images: its rows carry "mcam-path". */
static GtkWidget *
find_image_list (GtkWidget *root)
{
  if (GTK_IS_LIST_BOX (root))
    {
      GtkListBoxRow *row = gtk_list_box_get_row_at_index (GTK_LIST_BOX (root), 0);

      if (row != NULL && g_object_get_data (G_OBJECT (gtk_list_box_row_get_child (row)),
                                            "mcam-path") != NULL)
        return root;
    }
  for (GtkWidget *c = gtk_widget_get_first_child (root); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_image_list (c);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
test_bias_lens_class (void)
{
  g_autofree char *model = NULL, *memory = NULL, *images = NULL;
  g_autofree char *first = NULL;
  McamWindow *window;
  McamBiasLensDialog *lens;
  LensWait w;
  GtkWidget *box;
  GtkListBoxRow *row;
  int c = -1, top;

  if (!mcam_find_demo (&model, &memory, &images))
    {
      g_test_skip ("no demo");
      return;
    }
  first = g_build_filename (images, "bag-00000.png", NULL);
  window = mcam_app_test_open_window (model, NULL, first);
  top = mcam_window_get_map_result (window)->request->class_index;
  /* As the menu opens it (connected to the window). */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.bias-lens", NULL);
  lens = NULL;
  {
    GListModel *toplevels = gtk_window_get_toplevels ();

    for (guint i = 0; i < g_list_model_get_n_items (toplevels) && lens == NULL; i++)
      {
        g_autoptr(GObject) o = g_list_model_get_item (toplevels, i);

        if (MCAM_IS_BIAS_LENS_DIALOG (o))
          lens = MCAM_BIAS_LENS_DIALOG (o);
      }
  }
  g_assert_nonnull (lens);
  mcam_bias_lens_dialog_set_folder (lens, images);
  mcam_bias_lens_dialog_set_method (lens, MCAM_METHOD_GRADCAM);
  mcam_bias_lens_dialog_run (lens);
  mcam_app_test_settle ();
  mcam_app_test_wait_for (lens_done, lens, "the bias lens");

  /* A cell of another class than the window shows, with images. */
  for (int k = 0; k < mcam_window_get_model_info (window)->n_classes && c < 0; k++)
    if (k != top && mcam_bias_lens_dialog_get_count (lens, k, MCAM_BIAS_LENS_OWN) > 0)
      c = k;
  g_assert_cmpint (c, >=, 0);
  g_assert_cmpint (mcam_bias_lens_dialog_show_cell (lens, c, MCAM_BIAS_LENS_OWN), >, 0);
  mcam_app_test_settle ();
  box = find_image_list (GTK_WIDGET (lens));
  g_assert_nonnull (box);
  row = gtk_list_box_get_row_at_index (GTK_LIST_BOX (box), 0);
  g_assert_nonnull (row);
  g_signal_emit_by_name (box, "row-activated", row);
  w = (LensWait) { window, c, MCAM_METHOD_GRADCAM, NULL };
  mcam_app_test_wait_for (lens_map_shown, &w, "the image on the cell's class and method");
  g_test_message ("opened %s on class %d (%s)", mcam_window_get_map_result (window)->request->path,
                  c, mcam_window_get_model_info (window)->classes[c]);
  gtk_window_destroy (GTK_WINDOW (lens));
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int argc, char **argv)
{
  mcam_app_test_init (&argc, &argv);

  g_test_add_func ("/mcam/app/image-list/open-remove-clear", test_open_remove_clear);
  g_test_add_func ("/mcam/app/image-list/bias-lens-class", test_bias_lens_class);
  return g_test_run ();
}
