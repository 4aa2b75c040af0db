/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Conditions on the main window for mcam_app_test_wait_for(), shared by the
 * app tests that drive a McamWindow. Include after mcam-app-test-util.h. */

#include <stdarg.h>

#include "mcam-application.h"
#include "mcam-window.h"

/* What mcam_app_test_map_shown() waits for. */
typedef struct
{
  McamWindow *window;
  int         class_index;
  McamMethod  method;
} McamAppTestMapWait;

/* The window shows the map of this class and method (data: McamAppTestMapWait). */
static inline gboolean
mcam_app_test_map_shown (gpointer data)
{
  McamAppTestMapWait *w = data;
  McamMapResult *map = mcam_window_get_map_result (w->window);

  return map != NULL && map->request->class_index == w->class_index &&
         map->request->method == w->method;
}

/* What mcam_app_test_image_shown() waits for. */
typedef struct
{
  McamWindow *window;
  const char *path;
} McamAppTestImageWait;

/* The window shows a map of the image at path (data: McamAppTestImageWait). */
static inline gboolean
mcam_app_test_image_shown (gpointer data)
{
  McamAppTestImageWait *w = data;
  McamMapResult *map = mcam_window_get_map_result (w->window);

  return map != NULL && g_strcmp0 (map->request->path, w->path) == 0;
}

/* The window shows some map (data: the McamWindow). */
static inline gboolean
mcam_app_test_any_map_shown (gpointer data)
{
  return mcam_window_get_map_result (data) != NULL;
}

/* A main window (1200x800, presented) with this model and memory (memory
 * may be NULL), opened on path (an image or a folder), once it shows the
 * first map. */
static inline McamWindow *
mcam_app_test_open_window (const char *model, const char *memory, const char *path)
{
  McamWindow *window = mcam_window_new (NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);

  gtk_window_set_default_size (GTK_WINDOW (window), 1200, 800);
  gtk_window_present (GTK_WINDOW (window));
  mcam_window_load_model (window, model, memory);
  mcam_window_open_files (window, &file, 1);
  mcam_app_test_wait_for (mcam_app_test_any_map_shown, window, "the first overlay");
  return window;
}

/* The end of a fixture set up with the helpers above, in the order it
 * needs: the window (*window; NULL: none) destroyed and its last events
 * run, the temporary folder (*tmpdir; tmpdir NULL: none) deleted, then
 * the path strings the fixture owns freed: a NULL-terminated list of
 * their addresses (a string may be NULL). Each pointer is cleared. */
static inline void
mcam_app_test_tear_down (McamWindow **window, char **tmpdir, ...)
{
  va_list ap;
  char **path;

  if (window != NULL && *window != NULL)
    gtk_window_destroy (GTK_WINDOW (g_steal_pointer (window)));
  mcam_app_test_settle ();
  if (tmpdir != NULL)
    {
      if (*tmpdir != NULL)
        mcam_app_test_remove_tree (*tmpdir);
      g_clear_pointer (tmpdir, g_free);
    }
  va_start (ap, tmpdir);
  while ((path = va_arg (ap, char **)) != NULL)
    g_clear_pointer (path, g_free);
  va_end (ap);
}

/* The demo (its images folder and bag-00000.png) when data/demo has one,
 * else the committed fixture backbone and memory with img-photo.png as both
 * `images` and `image`. Needs mcam-test-util.h. g_free the four. */
static inline void
mcam_app_test_demo_or_fixtures (char **model, char **memory, char **images, char **image)
{
  if (mcam_find_demo (model, memory, images))
    {
      *image = g_build_filename (*images, "bag-00000.png", NULL);
      return;
    }
  g_clear_pointer (model, g_free);
  g_clear_pointer (memory, g_free);
  g_clear_pointer (images, g_free);
  *model = mcam_test_fixture ("net-bottleneck.safetensors");
  *memory = mcam_test_fixture ("memory-bottleneck.safetensors");
  *image = mcam_test_fixture ("img-photo.png");
  *images = g_strdup (*image);
}

/* The widget's box, in the window's coordinates, lies inside the window and
 * is not empty: nothing of it clipped by the window's edge. */
static inline void
mcam_app_test_assert_inside (McamWindow *window, GtkWidget *widget, const char *what)
{
  graphene_rect_t r;
  int ww = gtk_widget_get_width (GTK_WIDGET (window));
  int wh = gtk_widget_get_height (GTK_WIDGET (window));

  g_assert_true (gtk_widget_compute_bounds (widget, GTK_WIDGET (window), &r));
  g_test_message ("%s: x %.0f y %.0f w %.0f h %.0f in %dx%d", what, r.origin.x, r.origin.y,
                  r.size.width, r.size.height, ww, wh);
  g_assert_cmpfloat (r.size.width, >, 0);
  g_assert_cmpfloat (r.size.height, >, 0);
  g_assert_cmpfloat (r.origin.x, >=, 0);
  g_assert_cmpfloat (r.origin.y, >=, 0);
  g_assert_cmpfloat (r.origin.x + r.size.width, <=, ww + 0.5);
  g_assert_cmpfloat (r.origin.y + r.size.height, <=, wh + 0.5);
}
