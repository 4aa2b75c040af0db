/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Helpers shared by the GTK tests of suite `app` (under Xvfb): run the main
 * loop until something holds, let a few frames pass, render a widget the
 * way its window's renderer draws it, find a message dialog, and delete a
 * temporary folder. Include after <gtk/gtk.h>. A test file
 * may #define MCAM_APP_TEST_TIMEOUT_S before including this header. */

#include <gtk/gtk.h>
#include <glib/gstdio.h>

#ifndef MCAM_APP_TEST_TIMEOUT_S
#define MCAM_APP_TEST_TIMEOUT_S 60
#endif

typedef gboolean (*McamAppTestCondition) (gpointer data);

/* MCAM_TEST_TIMEOUT_SCALE (a positive number, default 1) stretches every
 * wait: tools/sanitize sets it for ThreadSanitizer, which runs the app ~10x
 * slower, so a slow first overlay is not reported as a hang. */
static inline double
mcam_app_test_timeout_scale (void)
{
  const char *v = g_getenv ("MCAM_TEST_TIMEOUT_SCALE");
  double scale = v != NULL ? g_ascii_strtod (v, NULL) : 1.0;

  return scale >= 1.0 ? scale : 1.0;
}

/* Run the main loop until cond holds; fail the test after
 * MCAM_APP_TEST_TIMEOUT_S seconds (times the scale above). */
static inline void
mcam_app_test_wait_for (McamAppTestCondition cond, gpointer data, const char *what)
{
  gint64 deadline = g_get_monotonic_time () +
                    (gint64) (MCAM_APP_TEST_TIMEOUT_S * mcam_app_test_timeout_scale () * G_USEC_PER_SEC);

  while (!cond (data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("timed out waiting for %s", what);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

/* Frames until the widgets have drawn what they hold now. */
static inline void
mcam_app_test_settle (void)
{
  for (int i = 0; i < 30; i++)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
}

/* The widget alone, rendered as its window's renderer draws it: 32-bit
 * pixels (ARGB32, native endian), g_free them. */
static inline guint32 *
mcam_app_test_render_widget (GtkWidget *widget, int *width, int *height)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  GskRenderer *renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  int w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  guint32 *pixels;

  g_assert_cmpint (w, >, 0);
  gdk_paintable_snapshot (paintable, snapshot, w, h);
  node = gtk_snapshot_free_to_node (snapshot);
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, w, h));
  *width = gdk_texture_get_width (texture);
  *height = gdk_texture_get_height (texture);
  pixels = g_new (guint32, (gsize) *width * *height);
  gdk_texture_download (texture, (guchar *) pixels, (gsize) *width * 4);
  return pixels;
}

/* Deletes a folder and everything in it (a test's temporary folder; the GL
 * driver may also leave a shader cache in XDG_CACHE_HOME). A link to a
 * folder is removed, not followed. */
static inline void
mcam_app_test_remove_tree (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        mcam_app_test_remove_tree (path);
      else
        g_unlink (path);
    }
  g_rmdir (dir);
}

/* The visible message dialog among the toplevels, or NULL. */
static inline GtkWidget *
mcam_app_test_find_message_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();   /* transfer none */

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) w = g_list_model_get_item (toplevels, i);

      if (GTK_IS_MESSAGE_DIALOG (w) && gtk_widget_get_visible (GTK_WIDGET (w)))
        return GTK_WIDGET (w);
    }
  return NULL;
}

/* The first widget of this type in root's tree (depth first), or NULL. */
static inline GtkWidget *
mcam_app_test_find_widget (GtkWidget *root, GType type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (root, type))
    return root;
  for (GtkWidget *c = gtk_widget_get_first_child (root); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = mcam_app_test_find_widget (c, type);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* The start of every app test's main(): one renderer everywhere (Xvfb has
 * no GL: pixels are then exact), no accessibility bus, mcam_test_init()
 * (which may start the program again for its OpenBLAS kernel: nothing is
 * made before it), then GTK. Needs mcam-test-util.h. */
static inline void
mcam_app_test_init (int *argc, char ***argv)
{
  g_setenv ("GSK_RENDERER", "cairo", TRUE);
  g_setenv ("GTK_A11Y", "none", TRUE);
  mcam_test_init (argc, argv);
  gtk_init ();
}
