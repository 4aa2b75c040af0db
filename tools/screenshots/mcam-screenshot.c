/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Drives the real main window on the bundled demo and saves what GTK draws
 * (not a screen grab) as PNGs: the main window, the memory inspector, and a
 * comparison of methods on one image. Built and run by tools/screenshots. */
#include "config.h"

#include <gtk/gtk.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <locale.h>

#include "mcam-application.h"
#include "mcam-window.h"
#include "mcam-overlay-view.h"
#include "mcam-memory-inspector.h"
#include "mcam-bias-lens-dialog.h"
#include "mcam-train-dialog.h"
#include "mcam-compare-window.h"
#include "mcam-head-lens.h"
#include "mcam-head-pair.h"

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

/* The worker idle for 0.3 s: thumbnails, map and inspector jobs all done. */
static void
wait_idle (McamWindow *window)
{
  gint64 idle_since = 0, deadline = g_get_monotonic_time () + TIMEOUT_S * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline)
    {
      gint64 now = g_get_monotonic_time ();
      if (mcam_worker_is_busy (mcam_window_get_worker (window)))
        idle_since = 0;
      else if (idle_since == 0)
        idle_since = now;
      else if (now - idle_since > 300000)
        return;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
}

static gboolean
inspector_ready (gpointer data)
{
  return mcam_memory_inspector_get_data (data) != NULL;
}

static gboolean
train_done (gpointer data)
{
  return !mcam_train_dialog_is_running (data);
}

static gboolean
lens_done (gpointer data)
{
  return !mcam_bias_lens_dialog_is_running (data);
}

static gboolean
compare_ready (gpointer data)
{
  McamCompareView *view = data;

  return mcam_compare_view_get_n_tiles (view) > 0 && !mcam_compare_view_is_busy (view);
}

/* Compare mode's own window: every method for the class, then every class
 * for M-CAM. */
static gboolean
save_compare (McamWindow *window, const char *dir)
{
  McamCompareWindow *compare = mcam_compare_window_present_for (window);
  McamCompareView *view = mcam_compare_window_get_view (compare);
  gboolean ok = TRUE;

  gtk_window_set_default_size (GTK_WINDOW (compare), 1300, 760);
  mcam_compare_view_set_mode (view, MCAM_COMPARE_ALL_METHODS);
  mcam_compare_view_refresh (view);
  spin (20);
  if (!wait_for (compare_ready, view, "compare mode (methods)"))
    {
      g_printerr ("mcam-screenshot: compare says: %s\n", mcam_compare_view_get_message (view));
      return FALSE;
    }
  spin (100);
  ok &= save (GTK_WIDGET (compare), dir, "compare.png");

  mcam_compare_view_set_mode (view, MCAM_COMPARE_ALL_CLASSES);
  mcam_compare_view_refresh (view);
  spin (20);
  if (wait_for (compare_ready, view, "compare mode (classes)"))
    {
      spin (100);
      ok &= save (GTK_WIDGET (compare), dir, "compare-classes.png");
    }
  gtk_window_destroy (GTK_WINDOW (compare));
  spin (20);
  return ok;
}

static gboolean
head_loaded (gpointer data)
{
  return _mcam_window_get_head (data) != NULL;
}

static gboolean
pair_ready (gpointer data)
{
  McamWindow *window = data;
  McamHeadPair *pair = _mcam_window_get_head_pair (window);
  McamMapResult *map = mcam_window_get_map_result (window);

  return pair != NULL && map != NULL &&
         mcam_head_pair_get_request (pair)->class_index == map->request->class_index &&
         mcam_head_pair_get_request (pair)->method == map->request->method &&
         !mcam_worker_is_busy (mcam_window_get_worker (window));
}

/* The re-fit lens (MCAM_SCREENSHOT_REFIT=1, issue 12): the demo's re-fit
 * head (or MCAM_SCREENSHOT_HEAD) beside the model; CAM for Sneaker (or
 * MCAM_SCREENSHOT_CLASS) side by side, "what the network uses" / "what the
 * features support"; compare on the re-fit head; the bias lens with both
 * heads and the verdict. refit-*.png only. */
static gboolean
save_refit (McamWindow *window, const char *dir, const char *images)
{
  g_autofree char *head = g_getenv ("MCAM_SCREENSHOT_HEAD")
    ? g_strdup (g_getenv ("MCAM_SCREENSHOT_HEAD"))
    : g_build_filename (images, "..", "fashion-mosaic-refit-head.safetensors", NULL);
  const char *want = g_getenv ("MCAM_SCREENSHOT_CLASS") ? g_getenv ("MCAM_SCREENSHOT_CLASS")
                                                        : "Sneaker";
  McamModelInfo *info = mcam_window_get_model_info (window);
  gboolean ok = TRUE;
  int k = -1;

  for (int c = 0; info && c < info->n_classes; c++)
    if (g_strcmp0 (info->classes[c], want) == 0)
      k = c;
  if (k < 0)
    {
      g_printerr ("mcam-screenshot: the model has no class %s\n", want);
      return FALSE;
    }
  _mcam_window_load_head (window, head);
  if (!wait_for (head_loaded, window, "the re-fit head"))
    return FALSE;
  mcam_window_set_method (window, MCAM_METHOD_CAM);
  mcam_window_select_class (window, k);
  wait_idle (window);
  _mcam_window_set_head_side_by_side (window, TRUE);
  spin (20);
  if (!wait_for (pair_ready, window, "both heads' maps"))
    return FALSE;
  wait_idle (window);
  spin (100);
  ok &= save (GTK_WIDGET (window), dir, "refit-side-by-side.png");

  {
    McamCompareWindow *compare = mcam_compare_window_present_for (window);
    McamCompareView *view = mcam_compare_window_get_view (compare);

    gtk_window_set_default_size (GTK_WINDOW (compare), 1300, 760);
    mcam_compare_view_set_mode (view, MCAM_COMPARE_ALL_METHODS);
    mcam_compare_view_set_class (view, k);
    mcam_compare_view_set_use_refit_head (view, TRUE);
    mcam_compare_view_refresh (view);
    spin (20);
    if (wait_for (compare_ready, view, "compare on the re-fit head"))
      {
        spin (100);
        ok &= save (GTK_WIDGET (compare), dir, "refit-compare.png");
      }
    gtk_window_destroy (GTK_WINDOW (compare));
    spin (20);
  }

  {
    McamBiasLensDialog *lens = mcam_bias_lens_dialog_new (GTK_WINDOW (window),
                                                          mcam_window_get_worker (window));

    gtk_window_set_default_size (GTK_WINDOW (lens), 1100, 700);
    mcam_bias_lens_dialog_follow_head (lens, window);
    gtk_window_present (GTK_WINDOW (lens));
    mcam_bias_lens_dialog_set_folder (lens, images);
    mcam_bias_lens_dialog_set_method (lens, MCAM_METHOD_CAM);
    mcam_bias_lens_dialog_run (lens);
    spin (20);
    if (wait_for (lens_done, lens, "the bias lens with both heads"))
      {
        mcam_bias_lens_dialog_show_cell (lens, k, MCAM_BIAS_LENS_OTHER);
        spin (100);
        ok &= save (GTK_WIDGET (lens), dir, "refit-bias-lens.png");
      }
    gtk_window_destroy (GTK_WINDOW (lens));
    spin (20);
  }
  return ok;
}

int
main (int argc, char **argv)
{
  g_autofree char *model = NULL, *memory = NULL, *images = NULL;
  const char *dir, *image;
  McamWindow *window;
  GtkWidget *inspector;
  gboolean ok = TRUE;

  if (argc < 2)
    {
      g_printerr ("usage: mcam-screenshot OUTDIR [IMAGE]\n");
      return 2;
    }
  dir = argv[1];
  image = argc > 2 ? argv[2] : NULL;
  g_mkdir_with_parents (dir, 0755);

  /* Translations from the build tree (SCREENSHOT_LANG=ko: LANGUAGE=ko). */
  setlocale (LC_ALL, "");
  {
    g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
    g_autofree char *locale_dir = mcam_locale_dir (exe);

    bindtextdomain (GETTEXT_PACKAGE, locale_dir);
    bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
    textdomain (GETTEXT_PACKAGE);
  }
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
    /* The folder too, so the browser lists every demo image. */
    mcam_window_open_files (window, files, n);
    for (int i = 0; i < n; i++)
      g_object_unref (files[i]);
  }
  if (!wait_for (map_ready, window, "the first overlay"))
    return 1;
  spin (100);

  inspector = find_widget (GTK_WIDGET (window), MCAM_TYPE_MEMORY_INSPECTOR);
  if (inspector)
    wait_for (inspector_ready, inspector, "the memory inspector");
  wait_idle (window);
  spin (100);
  if (g_getenv ("MCAM_SCREENSHOT_REFIT") != NULL)
    {
      ok = save_refit (window, dir, images);
      gtk_window_destroy (GTK_WINDOW (window));
      spin (20);
      return ok ? 0 : 1;
    }
  /* A variant (dark, Korean): the main window only, as main-window-SUFFIX.png. */
  if (g_getenv ("MCAM_SCREENSHOT_SUFFIX") != NULL)
    {
      g_autofree char *name = g_strdup_printf ("main-window-%s.png",
                                               g_getenv ("MCAM_SCREENSHOT_SUFFIX"));

      ok &= save (GTK_WIDGET (window), dir, name);
      gtk_window_destroy (GTK_WINDOW (window));
      spin (20);
      return ok ? 0 : 1;
    }
  ok &= save (GTK_WIDGET (window), dir, "main-window.png");

  /* The narrow window: 1024x700. */
  gtk_window_set_default_size (GTK_WINDOW (window), 1024, 700);
  spin (80);
  wait_idle (window);
  ok &= save (GTK_WIDGET (window), dir, "main-window-1024x700.png");
  gtk_window_set_default_size (GTK_WINDOW (window), 1400, 900);
  spin (60);

  /* A slot the user picked: Algorithm 1's ★ stays where it was. */
  {
    McamMapResult *map = mcam_window_get_map_result (window);

    if (map != NULL && map->explanation->slot >= 0)
      {
        int pick = (map->explanation->slot + 3) % map->explanation->n_slots;

        mcam_window_set_slot (window, pick);
        wait_idle (window);
        spin (100);
        if (inspector)
          wait_for (inspector_ready, inspector, "the memory inspector");
        spin (60);
        ok &= save (GTK_WIDGET (window), dir, "user-slot.png");
        mcam_window_set_slot (window, -1);
        wait_idle (window);
        spin (60);
      }
  }

  /* An image that cannot be read: its reason in place, nothing of the image before. */
  {
    g_autofree char *tmp = g_dir_make_tmp ("mcam-shot-XXXXXX", NULL);
    g_autofree char *bad = tmp ? g_build_filename (tmp, "broken-scan.png", NULL) : NULL;

    if (bad != NULL && g_file_set_contents (bad, "\x89PNG\r\n\x1a\n cut short", -1, NULL))
      {
        g_autoptr(GFile) file = g_file_new_for_path (bad);
        McamOverlayView *view = MCAM_OVERLAY_VIEW (mcam_window_get_overlay_view (window));

        mcam_window_open_files (window, &file, 1);
        for (int i = 0; i < 400 && mcam_overlay_view_get_failure (view) == NULL; i++)
          spin (1);
        spin (60);
        ok &= save (GTK_WIDGET (window), dir, "failed-image.png");
        gtk_widget_activate_action (GTK_WIDGET (window), "win.remove-image", NULL);
        g_unlink (bad);
        g_rmdir (tmp);
        wait_idle (window);
        spin (60);
      }
  }

  if (inspector)
    {
      GtkWidget *stack = find_widget (inspector, GTK_TYPE_STACK);
      /* A taller window and bottom pane give the inspector room. */
      GtkWidget *paned = gtk_widget_get_ancestor (inspector, GTK_TYPE_PANED);
      int old_position = paned ? gtk_paned_get_position (GTK_PANED (paned)) : 0;
      gtk_window_set_default_size (GTK_WINDOW (window), 1400, 1150);
      spin (60);
      if (paned && gtk_orientable_get_orientation (GTK_ORIENTABLE (paned)) == GTK_ORIENTATION_VERTICAL)
        gtk_paned_set_position (GTK_PANED (paned), gtk_widget_get_height (paned) - 380);
      spin (100);
      ok &= save (inspector, dir, "memory-inspector.png");
      if (stack)
        {
          gtk_stack_set_transition_type (GTK_STACK (stack), GTK_STACK_TRANSITION_TYPE_NONE);
          gtk_stack_set_visible_child_name (GTK_STACK (stack), "heatmap");
          spin (60);
          ok &= save (inspector, dir, "memory-inspector-heatmap.png");
          gtk_stack_set_visible_child_name (GTK_STACK (stack), "slots");
        }
      if (paned)
        gtk_paned_set_position (GTK_PANED (paned), old_position);
      gtk_window_set_default_size (GTK_WINDOW (window), 1400, 900);
      spin (50);
    }

  /* Compare on the class the demo's shortcut concerns (Sneaker, whose maps
   * land on the Ankle boot), or MCAM_SCREENSHOT_CLASS; else the top class. */
  {
    const char *want = g_getenv ("MCAM_SCREENSHOT_CLASS") ? g_getenv ("MCAM_SCREENSHOT_CLASS")
                                                          : "Sneaker";
    McamModelInfo *info = mcam_window_get_model_info (window);
    for (int c = 0; info && c < info->n_classes; c++)
      if (g_strcmp0 (info->classes[c], want) == 0)
        {
          mcam_window_select_class (window, c);
          wait_idle (window);
          spin (50);
        }
  }
  ok &= save_compare (window, dir);

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
            /* Click the worst cell: the class whose map lands most often on
             * another class's object. */
            McamModelInfo *info = mcam_window_get_model_info (window);
            int worst = -1, worst_n = 0;
            for (int c = 0; info && c < info->n_classes; c++)
              {
                int n = mcam_bias_lens_dialog_get_count (lens, c, MCAM_BIAS_LENS_OTHER);
                if (n > worst_n)
                  {
                    worst = c;
                    worst_n = n;
                  }
              }
            if (worst >= 0)
              mcam_bias_lens_dialog_show_cell (lens, worst, MCAM_BIAS_LENS_OTHER);
            spin (60);
            ok &= save (GTK_WIDGET (lens), dir, "bias-lens.png");
          }
        gtk_window_destroy (GTK_WINDOW (lens));
      }
  }

  /* Last (it replaces the loaded memory): a short training run on the demo
   * images, with its loss plot. */
  {
    g_autofree char *labels = g_build_filename (images, "labels.csv", NULL);
    McamModelInfo *info = mcam_window_get_model_info (window);
    if (info != NULL && g_file_test (labels, G_FILE_TEST_IS_REGULAR))
      {
        McamTrainDialog *train = mcam_train_dialog_new (GTK_WINDOW (window),
                                                        mcam_window_get_worker (window));
        gtk_window_present (GTK_WINDOW (train));
        mcam_train_dialog_set_inputs (train, model, images, labels, info->n_classes, 8);
        mcam_train_dialog_start (train);
        spin (20);
        if (wait_for (train_done, train, "training"))
          {
            spin (60);
            ok &= save (GTK_WIDGET (train), dir, "train-dialog.png");
          }
        gtk_window_destroy (GTK_WINDOW (train));
        /* The trained memory is in use and in no file yet: the title says so. */
        wait_idle (window);
        spin (100);
        if (mcam_window_get_memory_unsaved (window))
          ok &= save (GTK_WIDGET (window), dir, "unsaved-memory.png");
      }
  }

  gtk_window_destroy (GTK_WINDOW (window));
  spin (20);
  return ok ? 0 : 1;
}
