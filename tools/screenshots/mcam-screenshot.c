/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Drives the real main window on the bundled demo and saves what GTK draws
 * (not a screen grab) as PNGs: the main window, the memory inspector, and a
 * comparison of methods on one image. Built and run by tools/screenshots. */
#include "config.h"

#include <gtk/gtk.h>

#include "mcam-application.h"
#include "mcam-window.h"
#include "mcam-memory-inspector.h"
#include "mcam-bias-lens-dialog.h"

#define TIMEOUT_S 120

static void
spin (int frames)
{
  for (int i = 0; i < frames; i++)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
}

typedef gboolean (*Condition) (gpointer data);

static gboolean
wait_for_s (Condition cond, gpointer data, const char *what, int timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_s * G_USEC_PER_SEC;

  while (!cond (data))
    {
      if (g_get_monotonic_time () > deadline)
        {
          g_printerr ("mcam-screenshot: timed out waiting for %s\n", what);
          return FALSE;
        }
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  return TRUE;
}

static gboolean
wait_for (Condition cond, gpointer data, const char *what)
{
  return wait_for_s (cond, data, what, TIMEOUT_S);
}

static GdkTexture *
render (GtkWidget *widget)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  int w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);

  gdk_paintable_snapshot (paintable, snapshot, w, h);
  node = gtk_snapshot_free_to_node (snapshot);
  if (node == NULL)
    return NULL;
  return gsk_renderer_render_texture (gtk_native_get_renderer (gtk_widget_get_native (widget)),
                                      node, &GRAPHENE_RECT_INIT (0, 0, w, h));
}

static gboolean
save (GtkWidget *widget, const char *dir, const char *name)
{
  g_autoptr(GdkTexture) texture = render (widget);
  g_autofree char *path = g_build_filename (dir, name, NULL);

  if (texture == NULL || !gdk_texture_save_to_png (texture, path))
    {
      g_printerr ("mcam-screenshot: could not write %s\n", path);
      return FALSE;
    }
  g_print ("%s (%dx%d)\n", path, gdk_texture_get_width (texture),
           gdk_texture_get_height (texture));
  return TRUE;
}

static GtkWidget *
find_widget (GtkWidget *root, GType type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (root, type))
    return root;
  for (GtkWidget *c = gtk_widget_get_first_child (root); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_widget (c, type);
      if (found)
        return found;
    }
  return NULL;
}

static gboolean
map_ready (gpointer data)
{
  McamWindow *window = data;

  return mcam_window_get_map_result (window) != NULL
         && !mcam_worker_is_busy (mcam_window_get_worker (window));
}

typedef struct
{
  McamWindow *window;
  McamMethod  method;
  int         class_index;
} MapWait;

static gboolean
method_shown (gpointer data)
{
  MapWait *w = data;
  McamMapResult *map = mcam_window_get_map_result (w->window);

  return map != NULL && map->request->method == w->method
         && map->request->class_index == w->class_index
         && !mcam_worker_is_busy (mcam_window_get_worker (w->window));
}

static gboolean
inspector_ready (gpointer data)
{
  return mcam_memory_inspector_get_data (data) != NULL;
}

static gboolean
lens_done (gpointer data)
{
  return !mcam_bias_lens_dialog_is_running (data);
}

/* The overlay view for several methods, side by side with their names. */
static gboolean
save_compare (McamWindow *window, int class_index, const char *dir)
{
  static const McamMethod methods[] = {
    MCAM_METHOD_MCAM, MCAM_METHOD_MCAM_PROFILE, MCAM_METHOD_CAM, MCAM_METHOD_GRADCAM,
  };
  GtkWidget *view = mcam_window_get_overlay_view (window);
  GdkTexture *tiles[G_N_ELEMENTS (methods)] = { NULL };
  const char *labels[G_N_ELEMENTS (methods)];
  int n = 0, tw = 0, th = 0;
  cairo_surface_t *out;
  cairo_t *cr;
  g_autofree char *path = g_build_filename (dir, "compare.png", NULL);

  for (guint i = 0; i < G_N_ELEMENTS (methods); i++)
    {
      MapWait w = { window, methods[i], class_index };
      mcam_window_set_method (window, methods[i]);
      /* A method the model cannot make (e.g. no memory) is left out. */
      if (!wait_for_s (method_shown, &w, mcam_method_get_name (methods[i]), 30))
        continue;
      spin (40);
      tiles[n] = render (view);
      labels[n] = mcam_method_get_label (methods[i]);
      tw = MAX (tw, gdk_texture_get_width (tiles[n]));
      th = MAX (th, gdk_texture_get_height (tiles[n]));
      n++;
    }
  mcam_window_set_method (window, MCAM_METHOD_MCAM);
  if (n == 0)
    return FALSE;

  out = cairo_image_surface_create (CAIRO_FORMAT_RGB24, n * tw, th + 28);
  cr = cairo_create (out);
  cairo_set_source_rgb (cr, 0.16, 0.16, 0.16);
  cairo_paint (cr);
  for (int i = 0; i < n; i++)
    {
      int w = gdk_texture_get_width (tiles[i]), h = gdk_texture_get_height (tiles[i]);
      cairo_surface_t *tile = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, w, h);

      cairo_surface_flush (tile);
      gdk_texture_download (tiles[i], cairo_image_surface_get_data (tile),
                            cairo_image_surface_get_stride (tile));
      cairo_surface_mark_dirty (tile);
      cairo_set_source_surface (cr, tile, i * tw, 28);
      cairo_paint (cr);
      cairo_surface_destroy (tile);
      cairo_set_source_rgb (cr, 1, 1, 1);
      cairo_select_font_face (cr, "Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
      cairo_set_font_size (cr, 16);
      cairo_move_to (cr, i * tw + 10, 20);
      cairo_show_text (cr, labels[i]);
      g_object_unref (tiles[i]);
    }
  cairo_destroy (cr);
  if (cairo_surface_write_to_png (out, path) != CAIRO_STATUS_SUCCESS)
    {
      cairo_surface_destroy (out);
      return FALSE;
    }
  g_print ("%s (%dx%d)\n", path, n * tw, th + 28);
  cairo_surface_destroy (out);
  return TRUE;
}

int
main (int argc, char **argv)
{
  g_autofree char *model = NULL, *memory = NULL, *images = NULL;
  const char *dir, *image;
  McamWindow *window;
  GtkWidget *inspector;
  McamMapResult *map;
  int class_index;
  gboolean ok = TRUE;

  if (argc < 2)
    {
      g_printerr ("usage: mcam-screenshot OUTDIR [IMAGE]\n");
      return 2;
    }
  dir = argv[1];
  image = argc > 2 ? argv[2] : NULL;
  g_mkdir_with_parents (dir, 0755);

  gtk_init ();
  /* Another model than the demo: MCAM_SCREENSHOT_MODEL, _MEMORY, _IMAGES. */
  if (g_getenv ("MCAM_SCREENSHOT_MODEL") && g_getenv ("MCAM_SCREENSHOT_IMAGES"))
    {
      model = g_strdup (g_getenv ("MCAM_SCREENSHOT_MODEL"));
      memory = g_strdup (g_getenv ("MCAM_SCREENSHOT_MEMORY"));
      images = g_strdup (g_getenv ("MCAM_SCREENSHOT_IMAGES"));
    }
  else if (!mcam_find_demo (&model, &memory, &images))
    {
      g_printerr ("mcam-screenshot: no demo found (data/demo)\n");
      return 1;
    }

  window = mcam_window_new (NULL);
  gtk_window_set_default_size (GTK_WINDOW (window), 1400, 900);
  gtk_window_present (GTK_WINDOW (window));
  mcam_window_load_model (window, model, memory);
  {
    GFile *files[2];
    int n = 0;
    if (image)
      files[n++] = g_file_new_for_commandline_arg (image);
    files[n++] = g_file_new_for_path (images);
    mcam_window_open_files (window, files, image ? 1 : n);
    for (int i = 0; i < n; i++)
      g_object_unref (files[i]);
  }
  if (!wait_for (map_ready, window, "the first overlay"))
    return 1;
  spin (100);

  /* The top class of the image, as the window picks it; keep it for compare. */
  map = mcam_window_get_map_result (window);
  class_index = map->request->class_index;

  inspector = find_widget (GTK_WIDGET (window), MCAM_TYPE_MEMORY_INSPECTOR);
  if (inspector)
    wait_for (inspector_ready, inspector, "the memory inspector");
  spin (100);
  ok &= save (GTK_WIDGET (window), dir, "main-window.png");

  if (inspector)
    {
      GtkWidget *stack = find_widget (inspector, GTK_TYPE_STACK);
      ok &= save (inspector, dir, "memory-inspector.png");
      if (stack)
        {
          gtk_stack_set_transition_type (GTK_STACK (stack), GTK_STACK_TRANSITION_TYPE_NONE);
          gtk_stack_set_visible_child_name (GTK_STACK (stack), "heatmap");
          spin (60);
          ok &= save (inspector, dir, "memory-inspector-heatmap.png");
          gtk_stack_set_visible_child_name (GTK_STACK (stack), "slots");
        }
    }

  ok &= save_compare (window, class_index, dir);

  /* The bias lens on the demo's labelled test images, when they have boxes. */
  {
    g_autofree char *boxes = g_build_filename (images, "boxes.csv", NULL);
    if (g_file_test (boxes, G_FILE_TEST_IS_REGULAR))
      {
        McamBiasLensDialog *lens = mcam_bias_lens_dialog_new (GTK_WINDOW (window),
                                                              mcam_window_get_worker (window));
        gtk_window_set_default_size (GTK_WINDOW (lens), 1000, 560);
        gtk_window_present (GTK_WINDOW (lens));
        mcam_bias_lens_dialog_set_folder (lens, images);
        mcam_bias_lens_dialog_set_method (lens, MCAM_METHOD_CAM);
        mcam_bias_lens_dialog_run (lens);
        spin (20);
        if (wait_for (lens_done, lens, "the bias lens"))
          {
            spin (60);
            ok &= save (GTK_WIDGET (lens), dir, "bias-lens.png");
          }
        gtk_window_destroy (GTK_WINDOW (lens));
      }
  }

  gtk_window_destroy (GTK_WINDOW (window));
  spin (20);
  return ok ? 0 : 1;
}
