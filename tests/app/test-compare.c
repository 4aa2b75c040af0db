/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Compare mode under Xvfb, on the fixture backbone + memory:
 * win.compare opens one compare window; "all methods" gives a tile per
 * method (Score-CAM and Ablation-CAM included) whose pixels differ where the
 * methods differ and agree where theory says they must (CAM and Grad-CAM on
 * a GAP + linear head are equal up to scale, so equal after normalisation);
 * "all classes" gives one tile per class, sorted by score; the colormap
 * re-renders without a job; Cancel and newer requests stop older jobs; the
 * grid exports as one PNG of the documented size and is never replaced
 * without asking; without a memory the M-CAM tiles are left out, with a note. */

#include "config.h"

#include <gtk/gtk.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "mcam-test-util.h"
#define MCAM_APP_TEST_TIMEOUT_S 120
#include "mcam-app-test-util.h"
#include "mcam-window-test-util.h"
#include "mcam-application.h"
#include "mcam-compare-window.h"
#include "mcam-overlay-view.h"
#include "mcam-window.h"

static gboolean
error_shown (gpointer data)
{
  return mcam_window_get_error_text (data) != NULL;
}

static gboolean
view_idle (gpointer data)
{
  return !mcam_compare_view_is_busy (data);
}

/* Share of pixels of two same-size RGB24 surfaces differing by more than
 * `tol` in some channel. */
static double
differing_share (cairo_surface_t *a, cairo_surface_t *b, int tol)
{
  int w = cairo_image_surface_get_width (a), h = cairo_image_surface_get_height (a);
  gsize diff = 0;

  g_assert_cmpint (cairo_image_surface_get_width (b), ==, w);
  g_assert_cmpint (cairo_image_surface_get_height (b), ==, h);
  for (int y = 0; y < h; y++)
    {
      const guint32 *ra = (const guint32 *) (cairo_image_surface_get_data (a)
                                             + (gsize) y * cairo_image_surface_get_stride (a));
      const guint32 *rb = (const guint32 *) (cairo_image_surface_get_data (b)
                                             + (gsize) y * cairo_image_surface_get_stride (b));

      for (int x = 0; x < w; x++)
        for (int s = 0; s < 24; s += 8)
          if (ABS ((int) ((ra[x] >> s) & 0xff) - (int) ((rb[x] >> s) & 0xff)) > tol)
            {
              diff++;
              break;
            }
    }
  return (double) diff / ((gsize) w * h);
}

/* A copy: the view re-renders its surfaces when the colormap changes. */
static cairo_surface_t *
copy_surface (cairo_surface_t *s)
{
  int w = cairo_image_surface_get_width (s), h = cairo_image_surface_get_height (s);
  cairo_surface_t *c = cairo_image_surface_create (CAIRO_FORMAT_RGB24, w, h);
  cairo_t *cr = cairo_create (c);

  cairo_set_source_surface (cr, s, 0, 0);
  cairo_paint (cr);
  cairo_destroy (cr);
  cairo_surface_flush (c);
  return c;
}

static int
tile_of_method (McamCompareView *view, McamMethod m)
{
  for (guint i = 0; i < mcam_compare_view_get_n_tiles (view); i++)
    if (mcam_compare_view_get_tile_method (view, i) == m)
      return (int) i;
  return -1;
}

typedef struct
{
  McamWindow        *window;
  McamCompareWindow *compare;
  McamCompareView   *view;
  char              *tmpdir;
  char              *model;
  char              *memory;
  char              *image;
  int                image_w, image_h;
} Fixture;

static void
fixture_set_up (Fixture *fx, gconstpointer unused)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GList) toplevels = NULL;
  guint n_compare = 0;

  fx->tmpdir = g_dir_make_tmp ("mcam-compare-XXXXXX", &error);
  g_assert_no_error (error);
  /* The committed fixtures, not the demo: small, fixed, and without a memory
   * in the model file (the no-memory test needs that). */
  fx->model = mcam_test_fixture ("net-bottleneck.safetensors");
  fx->memory = mcam_test_fixture ("memory-bottleneck.safetensors");
  fx->image = mcam_test_fixture ("img-photo.png");
  g_assert_nonnull (gdk_pixbuf_get_file_info (fx->image, &fx->image_w, &fx->image_h));
  g_test_message ("model %s, memory %s, image %s", fx->model, fx->memory, fx->image);

  fx->window = mcam_app_test_open_window (fx->model, fx->memory, fx->image);

  /* The action opens the window; asking again presents the same one. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fx->window), "win.compare", NULL));
  fx->compare = mcam_compare_window_present_for (fx->window);
  g_assert_nonnull (fx->compare);
  toplevels = gtk_window_list_toplevels ();
  for (GList *l = toplevels; l != NULL; l = l->next)
    if (MCAM_IS_COMPARE_WINDOW (l->data))
      n_compare++;
  g_assert_cmpuint (n_compare, ==, 1);
  fx->view = mcam_compare_window_get_view (fx->compare);
  mcam_app_test_settle ();
  mcam_app_test_wait_for (view_idle, fx->view, "the compare tiles");
}

static void
fixture_tear_down (Fixture *fx, gconstpointer unused)
{
  mcam_app_test_tear_down (&fx->window, &fx->tmpdir, &fx->model, &fx->memory, &fx->image, NULL);
}

/* Every method for the main window's class; pixels where they must differ
 * and where they must agree. */
static void
test_all_methods (Fixture *fx, gconstpointer unused)
{
  McamCompareView *view = fx->view;
  McamMapResult *map = mcam_window_get_map_result (fx->window);
  int cam, gradcam, mcam, eigen, score, ablation;
  double d_same, d_mcam, d_eigen;

  g_assert_cmpint (mcam_compare_view_get_mode (view), ==, MCAM_COMPARE_ALL_METHODS);
  g_assert_cmpuint (mcam_compare_view_get_n_tiles (view), ==, MCAM_N_METHODS);
  for (guint i = 0; i < mcam_compare_view_get_n_tiles (view); i++)
    {
      const char *label = mcam_compare_view_get_tile_label (view, i);

      g_test_message ("tile %u: %s", i, label);
      g_assert_cmpint (mcam_compare_view_get_tile_class (view, i), ==,
                       map->request->class_index);
      g_assert_null (strstr (label, "failed"));
      g_assert_true (g_str_has_prefix (label,
                     mcam_method_get_label (mcam_compare_view_get_tile_method (view, i))));
      /* computed on a copy of the image at most 320 pixels a side */
      g_assert_cmpint (cairo_image_surface_get_width (mcam_compare_view_get_tile_surface (view, i)),
                       ==, (int) lround (fx->image_w * MIN (1.0, 320.0 / MAX (fx->image_w,
                                                                              fx->image_h))));
    }
  cam = tile_of_method (view, MCAM_METHOD_CAM);
  gradcam = tile_of_method (view, MCAM_METHOD_GRADCAM);
  mcam = tile_of_method (view, MCAM_METHOD_MCAM);
  eigen = tile_of_method (view, MCAM_METHOD_EIGENCAM);
  score = tile_of_method (view, MCAM_METHOD_SCORECAM);
  ablation = tile_of_method (view, MCAM_METHOD_ABLATIONCAM);
  g_assert_true (cam >= 0 && gradcam >= 0 && mcam >= 0 && eigen >= 0 && score >= 0 &&
                 ablation >= 0);
  /* M-CAM first, the perturbation methods last (menu order). */
  g_assert_cmpint (mcam, ==, 0);
  g_assert_cmpint (score, ==, MCAM_N_METHODS - 1);

  /* CAM = Grad-CAM up to scale on this head: the same tile to rounding. */
  d_same = differing_share (mcam_compare_view_get_tile_surface (view, cam),
                            mcam_compare_view_get_tile_surface (view, gradcam), 2);
  d_mcam = differing_share (mcam_compare_view_get_tile_surface (view, cam),
                            mcam_compare_view_get_tile_surface (view, mcam), 8);
  d_eigen = differing_share (mcam_compare_view_get_tile_surface (view, cam),
                             mcam_compare_view_get_tile_surface (view, eigen), 8);
  g_test_message ("CAM vs Grad-CAM %.4f, CAM vs M-CAM %.4f, CAM vs EigenCAM %.4f differing",
                  d_same, d_mcam, d_eigen);
  g_assert_cmpfloat (d_same, <, 0.001);
  g_assert_cmpfloat (d_mcam, >, 0.05);
  g_assert_cmpfloat (d_eigen, >, 0.05);
}

/* A new class in the main window is followed; the colormap re-renders the
 * tiles without a job. */
static void
test_follow_and_colormap (Fixture *fx, gconstpointer unused)
{
  McamCompareView *view = fx->view;
  McamOverlayView *overlay = MCAM_OVERLAY_VIEW (mcam_window_get_overlay_view (fx->window));
  McamModelInfo *info = mcam_window_get_model_info (fx->window);
  int other = (mcam_compare_view_get_tile_class (view, 0) + 1) % info->n_classes;
  cairo_surface_t *before;
  McamColormap cm;

  mcam_window_select_class (fx->window, other);
  mcam_app_test_settle ();
  mcam_app_test_wait_for (view_idle, view, "the tiles of the other class");
  g_assert_cmpuint (mcam_compare_view_get_n_tiles (view), ==, MCAM_N_METHODS);
  g_assert_cmpint (mcam_compare_view_get_tile_class (view, 0), ==, other);

  before = copy_surface (mcam_compare_view_get_tile_surface (view, 0));
  cm = mcam_overlay_view_get_colormap (overlay) == MCAM_COLORMAP_INFERNO
       ? MCAM_COLORMAP_VIRIDIS : MCAM_COLORMAP_INFERNO;
  mcam_overlay_view_set_colormap (overlay, cm);
  g_assert_false (mcam_compare_view_is_busy (view));
  g_assert_cmpfloat (differing_share (before, mcam_compare_view_get_tile_surface (view, 0), 8),
                     >, 0.2);
  cairo_surface_destroy (before);
}

/* One tile per class for the chosen method, highest score first. */
static void
test_all_classes (Fixture *fx, gconstpointer unused)
{
  McamCompareView *view = fx->view;
  McamModelInfo *info = mcam_window_get_model_info (fx->window);
  McamImageResult *image = mcam_window_get_image_result (fx->window);
  g_autofree gboolean *seen = g_new0 (gboolean, info->n_classes);

  mcam_compare_view_set_method (view, MCAM_METHOD_GRADCAM);
  mcam_compare_view_set_mode (view, MCAM_COMPARE_ALL_CLASSES);
  g_assert_true (mcam_compare_view_is_busy (view));
  mcam_app_test_wait_for (view_idle, view, "the all-classes tiles");
  g_assert_cmpuint (mcam_compare_view_get_n_tiles (view), ==, info->n_classes);
  for (guint i = 0; i < mcam_compare_view_get_n_tiles (view); i++)
    {
      int c = mcam_compare_view_get_tile_class (view, i);

      g_test_message ("tile %u: %s", i, mcam_compare_view_get_tile_label (view, i));
      g_assert_cmpint (c, >=, 0);
      g_assert_cmpint (c, <, info->n_classes);
      g_assert_false (seen[c]);
      seen[c] = TRUE;
      g_assert_cmpint (mcam_compare_view_get_tile_method (view, i), ==, MCAM_METHOD_GRADCAM);
      g_assert_true (g_str_has_prefix (mcam_compare_view_get_tile_label (view, i),
                                       info->classes[c]));
      if (i > 0)
        g_assert_cmpfloat (image->scores[c], <=,
                           image->scores[mcam_compare_view_get_tile_class (view, i - 1)]);
    }
}

/* Activating a tile shows it in the main window: a class in "all classes",
 * a method in "all methods". */
static void
test_tile_activated (Fixture *fx, gconstpointer unused)
{
  McamCompareView *view = fx->view;
  McamMapResult *map = mcam_window_get_map_result (fx->window);
  int main_class = map->request->class_index;
  int other;
  McamAppTestMapWait w;

  g_signal_emit_by_name (view, "tile-activated", main_class, (int) MCAM_METHOD_EIGENCAM);
  w = (McamAppTestMapWait) { fx->window, main_class, MCAM_METHOD_EIGENCAM };
  mcam_app_test_wait_for (mcam_app_test_map_shown, &w, "the activated method in the main window");

  mcam_compare_view_set_mode (view, MCAM_COMPARE_ALL_CLASSES);
  mcam_app_test_wait_for (view_idle, view, "the all-classes tiles");
  g_assert_cmpint (mcam_compare_view_get_tile_method (view, 0), ==, MCAM_METHOD_EIGENCAM);
  other = mcam_compare_view_get_tile_class (view, mcam_compare_view_get_n_tiles (view) - 1);
  g_assert_cmpint (other, !=, main_class);
  g_signal_emit_by_name (view, "tile-activated", other, (int) MCAM_METHOD_EIGENCAM);
  w = (McamAppTestMapWait) { fx->window, other, MCAM_METHOD_EIGENCAM };
  mcam_app_test_wait_for (mcam_app_test_map_shown, &w, "the activated class in the main window");
}

/* Cancel stops the job and says so; of two requests only the newer lands. */
static void
test_cancel_and_newer (Fixture *fx, gconstpointer unused)
{
  McamCompareView *view = fx->view;

  mcam_compare_view_set_mode (view, MCAM_COMPARE_ALL_CLASSES);
  mcam_compare_view_set_method (view, MCAM_METHOD_SCORECAM);
  mcam_compare_view_refresh (view);
  mcam_compare_view_cancel (view);
  mcam_app_test_wait_for (view_idle, view, "the cancelled job");
  g_assert_cmpstr (mcam_compare_view_get_message (view), ==, "Cancelled.");

  mcam_compare_view_refresh (view);
  mcam_compare_view_set_method (view, MCAM_METHOD_EIGENCAM);
  mcam_compare_view_refresh (view);
  mcam_app_test_wait_for (view_idle, view, "the newer job");
  g_assert_cmpuint (mcam_compare_view_get_n_tiles (view), ==,
                    mcam_window_get_model_info (fx->window)->n_classes);
  g_assert_cmpint (mcam_compare_view_get_tile_method (view, 0), ==, MCAM_METHOD_EIGENCAM);
}

/* done: 1 written, -1 failed. */
static void
export_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  int *done = user_data;

  *done = mcam_compare_view_export_finish (MCAM_COMPARE_VIEW (source), result, &error) ? 1 : -1;
  g_assert_no_error (error);
}

static gboolean
flag_set (gpointer data)
{
  return *(int *) data != 0;
}

/* The grid as one PNG: size from the documented layout; an existing file is
 * refused unless replacing was confirmed. */
static void
test_export (Fixture *fx, gconstpointer unused)
{
  McamCompareView *view = fx->view;
  g_autofree char *path = NULL;
  g_autofree char *name = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkPixbuf) png = NULL;
  guint n = mcam_compare_view_get_n_tiles (view);
  double tw = cairo_image_surface_get_width (mcam_compare_view_get_tile_surface (view, 0));
  double th = cairo_image_surface_get_height (mcam_compare_view_get_tile_surface (view, 0));
  int size = mcam_compare_view_get_tile_size (view);
  int box_w = (int) lround (tw * size / MAX (tw, th));
  int box_h = (int) lround (th * size / MAX (tw, th));
  int cols, w, h;
  int done = 0;
  GStatBuf st1, st2;

  name = mcam_compare_view_suggest_name (view);
  g_assert_true (g_str_has_suffix (name, "__all-methods.png"));
  path = g_build_filename (fx->tmpdir, name, NULL);
  g_assert_true (mcam_compare_view_export_to (view, path, FALSE, &error));
  g_assert_no_error (error);
  png = gdk_pixbuf_new_from_file (path, &error);
  g_assert_no_error (error);
  mcam_grid_get_layout (n, mcam_compare_view_grid_columns (n), box_w, box_h, TRUE, &cols,
                        &w, &h);
  g_test_message ("%u tiles of %d x %d in %d columns: %d x %d", n, box_w, box_h, cols, w, h);
  g_assert_cmpint (gdk_pixbuf_get_width (png), ==, w);
  g_assert_cmpint (gdk_pixbuf_get_height (png), ==, h);

  /* never replaced silently */
  g_assert_cmpint (g_stat (path, &st1), ==, 0);
  g_assert_false (mcam_compare_view_export_to (view, path, FALSE, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_clear_error (&error);
  g_assert_cmpint (g_stat (path, &st2), ==, 0);
  g_assert_cmpint (st1.st_size, ==, st2.st_size);

  /* larger tiles make a larger grid, replaced when confirmed; on a thread,
   * as the Export Grid button does it */
  mcam_compare_view_set_tile_size (view, 320);
  mcam_compare_view_export_async (view, path, TRUE, export_done_cb, &done);
  mcam_app_test_wait_for (flag_set, &done, "the threaded export");
  g_assert_cmpint (done, ==, 1);
  g_clear_object (&png);
  png = gdk_pixbuf_new_from_file (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gdk_pixbuf_get_width (png), >, w);
}

static gboolean
model_without_memory (gpointer data)
{
  McamModelInfo *info = mcam_window_get_model_info (data);

  return info != NULL && info->n_slots == 0 && mcam_window_get_map_result (data) != NULL;
}

/* Without a memory: the M-CAM tiles are left out and the note says why; "all
 * classes" of an M-CAM method is refused with a message. */
static void
test_no_memory (Fixture *fx, gconstpointer unused)
{
  McamCompareView *view = fx->view;
  McamModelInfo *info;

  mcam_window_load_model (fx->window, fx->model, NULL);
  mcam_app_test_wait_for (model_without_memory, fx->window, "the model without its memory");
  mcam_app_test_settle ();
  mcam_app_test_wait_for (view_idle, view, "the tiles without memory");
  info = mcam_window_get_model_info (fx->window);
  g_assert_cmpint (info->n_slots, ==, 0);
  g_assert_cmpuint (mcam_compare_view_get_n_tiles (view), ==, MCAM_N_METHODS - 2);
  g_assert_cmpint (tile_of_method (view, MCAM_METHOD_MCAM), ==, -1);
  g_assert_nonnull (strstr (mcam_compare_view_get_message (view), "memory module"));

  mcam_compare_view_set_method (view, MCAM_METHOD_MCAM);
  mcam_compare_view_set_mode (view, MCAM_COMPARE_ALL_CLASSES);
  mcam_app_test_wait_for (view_idle, view, "the refused job");
  g_assert_cmpuint (mcam_compare_view_get_n_tiles (view), ==, 0);
  g_assert_nonnull (strstr (mcam_compare_view_get_message (view), "needs a memory module"));

  /* The main window's selector offers M-CAM too; without a memory, picking
   * it says why there is no map, in the window. */
  mcam_window_set_method (fx->window, MCAM_METHOD_MCAM);
  mcam_app_test_wait_for (error_shown, fx->window, "the message about the missing memory");
  g_test_message ("main window: %s", mcam_window_get_error_text (fx->window));
  g_assert_nonnull (strstr (mcam_window_get_error_text (fx->window), "memory module"));
}

int
main (int argc, char **argv)
{
  mcam_app_test_init (&argc, &argv);

  g_test_add ("/mcam/app/compare/all-methods", Fixture, NULL, fixture_set_up,
              test_all_methods, fixture_tear_down);
  g_test_add ("/mcam/app/compare/follow-and-colormap", Fixture, NULL, fixture_set_up,
              test_follow_and_colormap, fixture_tear_down);
  g_test_add ("/mcam/app/compare/all-classes", Fixture, NULL, fixture_set_up,
              test_all_classes, fixture_tear_down);
  g_test_add ("/mcam/app/compare/tile-activated", Fixture, NULL, fixture_set_up,
              test_tile_activated, fixture_tear_down);
  g_test_add ("/mcam/app/compare/cancel-and-newer", Fixture, NULL, fixture_set_up,
              test_cancel_and_newer, fixture_tear_down);
  g_test_add ("/mcam/app/compare/export", Fixture, NULL, fixture_set_up, test_export,
              fixture_tear_down);
  g_test_add ("/mcam/app/compare/no-memory", Fixture, NULL, fixture_set_up, test_no_memory,
              fixture_tear_down);
  return g_test_run ();
}
