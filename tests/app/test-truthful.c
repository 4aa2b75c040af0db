/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Issue 11, items 1-3, under Xvfb: what the window shows is what it says.
 * A file that cannot be analysed clears the overlay, the map, the scores and
 * the inspector and shows its own reason in place (rendered pixels: none of
 * the previous map's colours), with its row marked; a slot the user picks is
 * "your choice" while the ★ stays on Algorithm 1's slot, and the way back
 * restores the method; messages belong to their job: a memory that does not
 * fit is headed as the memory, a map error goes with the next good map and
 * the same failure twice is one message with a count; a message of another
 * job stays. Uses the demo when
 * data/demo has one, else the committed fixtures. */

#include "config.h"

#include <gtk/gtk.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <string.h>

#include "mcam-test-util.h"
#include "mcam-app-test-util.h"
#include "mcam-window-test-util.h"
#include "mcam-application.h"
#include "mcam-class-item.h"
#include "mcam-class-list.h"
#include "mcam-memory-inspector.h"
#include "mcam-window-private.h"

typedef struct
{
  McamWindow *window;
  char       *tmpdir;
  char       *model;
  char       *memory;
  char       *image;
} Fixture;

static void
fixture_set_up (Fixture *fx, gconstpointer unused)
{
  g_autofree char *images_dir = NULL;
  g_autoptr(GError) error = NULL;

  fx->tmpdir = g_dir_make_tmp ("mcam-truthful-XXXXXX", &error);
  g_assert_no_error (error);
  mcam_app_test_demo_or_fixtures (&fx->model, &fx->memory, &images_dir, &fx->image);
  g_assert_true (g_file_test (fx->image, G_FILE_TEST_EXISTS));
  fx->window = mcam_app_test_open_window (fx->model, fx->memory, fx->image);
  mcam_app_test_settle ();
  g_assert_null (mcam_window_get_error_text (fx->window));
}

static void
fixture_tear_down (Fixture *fx, gconstpointer unused)
{
  mcam_app_test_tear_down (&fx->window, &fx->tmpdir, &fx->model, &fx->memory, &fx->image, NULL);
}

static gboolean
failure_shown (gpointer data)
{
  McamWindow *window = data;

  return mcam_overlay_view_get_failure (MCAM_OVERLAY_VIEW (mcam_window_get_overlay_view (window)))
         != NULL;
}

static gboolean
no_failure_and_map (gpointer data)
{
  return !failure_shown (data) && mcam_app_test_any_map_shown (data);
}

/* Pixels whose channels differ by more than 40: a colormap's colours (the
 * demo's images are grey, the failure panel is grey and white). */
static gsize
count_coloured (const guint32 *px, gsize n)
{
  gsize k = 0;

  for (gsize i = 0; i < n; i++)
    {
      int r = (px[i] >> 16) & 0xff, g = (px[i] >> 8) & 0xff, b = px[i] & 0xff;

      if (MAX (r, MAX (g, b)) - MIN (r, MIN (g, b)) > 40)
        k++;
    }
  return k;
}

static double
class_score (McamWindow *window, int class_index)
{
  return mcam_class_list_get_score (window->class_list, class_index);
}

/* Item 1: a broken file leaves nothing of the image before on screen. */
static void
test_failed_image (Fixture *fx, gconstpointer unused)
{
  McamOverlayView *view = MCAM_OVERLAY_VIEW (mcam_window_get_overlay_view (fx->window));
  g_autofree char *bad = g_build_filename (fx->tmpdir, "notes.png", NULL);
  g_autofree char *truncated = mcam_test_fixture ("img-truncated.png");
  g_autofree char *bad2 = g_build_filename (fx->tmpdir, "cut.png", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GFile) file = g_file_new_for_path (bad);
  g_autoptr(GFile) file2 = g_file_new_for_path (bad2);
  g_autoptr(GError) error = NULL;
  g_autofree guint32 *before = NULL, *after = NULL;
  McamImageItem *item;
  int top, w, h;
  gsize len;

  g_assert_true (g_file_set_contents (bad, "this is a text file, not a PNG\n", -1, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (truncated, &contents, &len, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_set_contents (bad2, contents, len, &error));
  g_assert_no_error (error);

  /* The good image: a map in colour, scores in the list. */
  top = mcam_window_get_map_result (fx->window)->request->class_index;
  g_assert_cmpfloat (class_score (fx->window, top), >=, 0);
  before = mcam_app_test_render_widget (GTK_WIDGET (view), &w, &h);
  g_test_message ("coloured pixels with the map: %" G_GSIZE_FORMAT " of %d",
                  count_coloured (before, (gsize) w * h), w * h);
  g_assert_cmpuint (count_coloured (before, (gsize) w * h), >, (gsize) w * h / 50);

  for (int k = 0; k < 2; k++)
    {
      GFile *f = k == 0 ? file : file2;
      const char *path = k == 0 ? bad : bad2;
      int w2, h2;

      mcam_window_open_files (fx->window, &f, 1);
      mcam_image_browser_select_path (fx->window->image_browser, path);
      mcam_app_test_wait_for (failure_shown, fx->window, "the failure in place");
      mcam_app_test_settle ();

      g_test_message ("%s: %s", path, mcam_overlay_view_get_failure (view));
      g_assert_null (mcam_window_get_map_result (fx->window));
      g_assert_null (mcam_window_get_image_result (fx->window));
      g_assert_null (mcam_overlay_view_get_image (view));
      g_assert_cmpstr (gtk_label_get_label (fx->window->caption_label), ==, "");
      /* The scores of the image before are gone. */
      g_assert_cmpfloat (class_score (fx->window, top), <, 0);
      /* Its row is marked, with the reason. */
      item = mcam_image_browser_get_selected (fx->window->image_browser);
      g_assert_cmpstr (mcam_image_item_get_path (item), ==, path);
      g_assert_nonnull (mcam_image_item_get_error (item));
      g_assert_cmpstr (mcam_image_item_get_error (item), ==, mcam_overlay_view_get_failure (view));
      /* The inspector holds nothing of the image before. */
      g_assert_null (mcam_memory_inspector_get_data (MCAM_MEMORY_INSPECTOR (fx->window->inspector)));
      /* The reason is in place, not in a bar that outlives the image. */
      g_assert_null (mcam_window_get_error_text (fx->window));

      after = mcam_app_test_render_widget (GTK_WIDGET (view), &w2, &h2);
      g_assert_cmpint (w2, ==, w);
      g_test_message ("coloured pixels after the failure: %" G_GSIZE_FORMAT,
                      count_coloured (after, (gsize) w2 * h2));
      g_assert_cmpuint (count_coloured (after, (gsize) w2 * h2), ==, 0);
      g_clear_pointer (&after, g_free);
    }

  /* Back to the good image: its own map and scores, the failure gone. */
  mcam_image_browser_select_path (fx->window->image_browser, fx->image);
  mcam_app_test_wait_for (no_failure_and_map, fx->window, "the good image's map");
  g_assert_cmpstr (mcam_window_get_image_result (fx->window)->path, ==, fx->image);
  g_assert_cmpfloat (class_score (fx->window, top), >=, 0);
  {
    g_autofree char *name = g_path_get_basename (fx->image);

    /* The caption names the image the overlay shows. */
    g_assert_nonnull (strstr (gtk_label_get_label (fx->window->caption_label), name));
  }
  item = mcam_image_browser_get_selected (fx->window->image_browser);
  g_assert_null (mcam_image_item_get_error (item));
}

static gboolean
slot_map_shown (gpointer data)
{
  McamWindow *window = data;
  McamMapResult *map = mcam_window_get_map_result (window);

  return map != NULL && map->request->slot == mcam_window_get_slot (window) &&
         map->request->method == mcam_class_list_get_method (window->class_list);
}

typedef struct
{
  McamWindow *window;
  int         user_slot;
} InspectorWait;

static gboolean
inspector_has_slot (gpointer data)
{
  InspectorWait *w = data;
  McamInspectorData *d = mcam_memory_inspector_get_data (MCAM_MEMORY_INSPECTOR (w->window->inspector));

  return d != NULL && d->user_slot == w->user_slot && d->chosen_slot >= 0 &&
         d->class_index == 0;
}

/* Item 2: the user's slot is not Algorithm 1's. */
static void
test_user_slot (Fixture *fx, gconstpointer unused)
{
  McamMemoryInspector *inspector = MCAM_MEMORY_INSPECTOR (fx->window->inspector);
  McamAppTestMapWait mw = { fx->window, 0, MCAM_METHOD_MCAM };
  InspectorWait iw = { fx->window, -1 };
  int chosen, pick, n;
  const char *caption;
  McamInspectorData *d;

  if (fx->memory == NULL)
    {
      g_test_skip ("no memory module");
      return;
    }
  /* Algorithm 1's slot for class 0 under M-CAM. */
  mcam_window_set_method (fx->window, MCAM_METHOD_MCAM);
  mcam_window_select_class (fx->window, 0);
  mcam_app_test_wait_for (mcam_app_test_map_shown, &mw, "the M-CAM map");
  chosen = mcam_window_get_map_result (fx->window)->explanation->slot;
  n = mcam_window_get_map_result (fx->window)->explanation->n_slots;
  g_assert_cmpint (chosen, >=, 0);
  mcam_app_test_wait_for (inspector_has_slot, &iw, "the inspector");
  g_assert_cmpint (mcam_memory_inspector_get_data (inspector)->chosen_slot, ==, chosen);
  g_assert_nonnull (strstr (gtk_label_get_label (fx->window->caption_label),
                            "chosen by Algorithm 1"));

  /* From CAM, the user clicks another slot. */
  mcam_window_set_method (fx->window, MCAM_METHOD_CAM);
  mw.method = MCAM_METHOD_CAM;
  mcam_app_test_wait_for (mcam_app_test_map_shown, &mw, "the CAM map");
  pick = (chosen + 3) % n;
  /* As a click in the slot grid does. */
  mcam_slot_grid_activate_slot (mcam_memory_inspector_get_slot_grid (inspector), pick);
  mcam_app_test_wait_for (slot_map_shown, fx->window, "the slot map");
  iw.user_slot = pick;
  mcam_app_test_wait_for (inspector_has_slot, &iw, "the inspector with the user's slot");
  mcam_app_test_settle ();

  g_assert_cmpint (mcam_window_get_map_result (fx->window)->explanation->slot, ==, pick);
  caption = gtk_label_get_label (fx->window->caption_label);
  g_test_message ("caption: %s", caption);
  g_assert_nonnull (strstr (caption, "your choice"));
  g_assert_null (strstr (caption, "Algorithm 1"));
  /* The ★ stays on Algorithm 1's slot. */
  d = mcam_memory_inspector_get_data (inspector);
  g_assert_cmpint (d->chosen_slot, ==, chosen);
  g_assert_cmpint (d->user_slot, ==, pick);
  g_assert_cmpint (mcam_slot_grid_get_chosen (mcam_memory_inspector_get_slot_grid (inspector)),
                   ==, chosen);
  /* The method change is said, with the way back. */
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (fx->window->slot_bar)));
  g_test_message ("slot bar: %s", gtk_label_get_label (fx->window->slot_bar_label));
  g_assert_nonnull (strstr (gtk_label_get_label (fx->window->slot_bar_label), "CAM"));
  g_assert_cmpint (mcam_class_list_get_method (fx->window->class_list), ==, MCAM_METHOD_MCAM);

  /* One click back: CAM again, no slot, no bar. */
  g_signal_emit_by_name (fx->window->slot_reset_button, "clicked");
  mw.method = MCAM_METHOD_CAM;
  mcam_app_test_wait_for (mcam_app_test_map_shown, &mw, "CAM again");
  mcam_app_test_settle ();
  g_assert_cmpint (mcam_window_get_slot (fx->window), ==, -1);
  g_assert_cmpint (mcam_class_list_get_method (fx->window->class_list), ==, MCAM_METHOD_CAM);
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (fx->window->slot_bar)));
}

static gboolean
error_shown (gpointer data)
{
  return mcam_window_get_error_text (data) != NULL;
}

static gboolean
error_with_count (gpointer data)
{
  McamWindow *window = data;

  return window->have_error && strstr (gtk_label_get_label (window->error_title), "(2 times)");
}

static gboolean
model_without_memory (gpointer data)
{
  McamModelInfo *info = mcam_window_get_model_info (data);

  return info != NULL && info->n_slots == 0 && mcam_app_test_any_map_shown (data);
}

/* Item 3: each message belongs to its job and goes with it. */
static void
test_messages (Fixture *fx, gconstpointer unused)
{
  g_autofree char *other_memory = mcam_test_fixture ("memory-tiny.safetensors");
  McamAppTestMapWait mw = { fx->window, 0, MCAM_METHOD_CAM };
  McamModelInfo *before = mcam_window_get_model_info (fx->window);
  const char *title;

  /* A memory made for another backbone: the memory is named, not the model. */
  mcam_window_load_model (fx->window, fx->model, other_memory);
  mcam_app_test_wait_for (error_shown, fx->window, "the memory's error");
  title = gtk_label_get_label (fx->window->error_title);
  g_test_message ("%s: %s", title, mcam_window_get_error_text (fx->window));
  g_assert_cmpstr (title, ==, "The memory module could not be opened");
  g_assert_true (mcam_window_get_model_info (fx->window) == before);

  /* The model without a memory loads: the memory's message is gone. */
  if (before->n_slots == 0 || before->memory_path == NULL)
    {
      g_test_skip ("the model file holds its memory");
      return;
    }
  mcam_window_load_model (fx->window, fx->model, NULL);
  mcam_app_test_wait_for (model_without_memory, fx->window, "the model without memory");
  mcam_app_test_settle ();
  g_assert_null (mcam_window_get_error_text (fx->window));

  /* A map that cannot be made (M-CAM without a memory), twice: one message,
   * headed as the map, with a count. */
  mcam_window_set_method (fx->window, MCAM_METHOD_MCAM);
  mcam_app_test_wait_for (error_shown, fx->window, "the map's error");
  g_assert_cmpstr (gtk_label_get_label (fx->window->error_title), ==,
                   "The map could not be computed");
  g_assert_nonnull (strstr (mcam_window_get_error_text (fx->window), "memory module"));
  mcam_window_select_class (fx->window, 1);
  mcam_app_test_wait_for (error_with_count, fx->window, "the same error counted");
  g_test_message ("%s", gtk_label_get_label (fx->window->error_title));

  /* The next good map takes the map's message away. */
  mcam_window_set_method (fx->window, MCAM_METHOD_CAM);
  mw.class_index = 1;
  mcam_app_test_wait_for (mcam_app_test_map_shown, &mw, "a CAM map");
  mcam_app_test_settle ();
  g_assert_null (mcam_window_get_error_text (fx->window));

  /* A message of another job (export) is not taken by a map. */
  _mcam_window_show_message (fx->window, MCAM_MESSAGE_EXPORT, "export", "failed");
  mcam_window_select_class (fx->window, 0);
  mw.class_index = 0;
  mcam_app_test_wait_for (mcam_app_test_map_shown, &mw, "another CAM map");
  mcam_app_test_settle ();
  g_assert_cmpstr (mcam_window_get_error_text (fx->window), ==, "failed");
}

int
main (int argc, char **argv)
{
  mcam_app_test_init (&argc, &argv);

  g_test_add ("/mcam/app/truthful/failed-image", Fixture, NULL, fixture_set_up,
              test_failed_image, fixture_tear_down);
  g_test_add ("/mcam/app/truthful/user-slot", Fixture, NULL, fixture_set_up, test_user_slot,
              fixture_tear_down);
  g_test_add ("/mcam/app/truthful/messages", Fixture, NULL, fixture_set_up, test_messages,
              fixture_tear_down);
  return g_test_run ();
}
