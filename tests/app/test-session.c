/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Issue 11, item 4, under Xvfb: the user's work is kept. A memory installed
 * without a file (as training installs it) is marked unsaved in the title,
 * Save Memory As writes it (it loads back against the backbone) and clears
 * the mark; closing the window with an unsaved memory asks first, and the
 * window stays until the user answers; a new window restores the last
 * model, memory, images, method and class from GSettings, and the model is
 * in the recent list; the train dialog is not modal, offers every `mcam
 * train` option, states the epochs' limit and says why Train is greyed; a
 * map of another class and method arrives while a memory trains. */

#include "config.h"

#include <gtk/gtk.h>
#include <string.h>

#include "mcam-test-util.h"
#include "mcam-app-test-util.h"
#include "mcam-window-test-util.h"
#include "mcam-application.h"
#include "mcam-train-dialog.h"
#include "mcam-window-private.h"

typedef struct
{
  char *model;
  char *memory;
  char *images;
  char *tmpdir;
} Fixture;

static void
fixture_set_up (Fixture *fx, gconstpointer unused)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *image = NULL;

  mcam_app_test_demo_or_fixtures (&fx->model, &fx->memory, &fx->images, &image);
  fx->tmpdir = g_dir_make_tmp ("mcam-session-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture *fx, gconstpointer unused)
{
  /* each test closes its own windows */
  mcam_app_test_tear_down (NULL, &fx->tmpdir, &fx->model, &fx->memory, &fx->images, NULL);
}

/* Installs the memory file's module in the worker without its path, as the
 * train dialog installs a trained memory. */
static gpointer
install_func (McamWorkerContext *ctx, gpointer data, GCancellable *cancellable, GError **error)
{
  McamMemory *mem = mcam_memory_load (data, mcam_worker_context_get_net (ctx), error);

  if (mem == NULL || !mcam_worker_context_set_memory (ctx, mem, NULL, error))
    return NULL;
  return GINT_TO_POINTER (1);
}

static gboolean
is_unsaved (gpointer data)
{
  return mcam_window_get_memory_unsaved (data) && mcam_app_test_any_map_shown (data);
}

static gboolean
is_saved (gpointer data)
{
  return !mcam_window_get_memory_unsaved (data);
}

static void
install_unsaved (McamWindow *window, const char *memory)
{
  mcam_worker_run_async (mcam_window_get_worker (window), NULL, NULL, install_func,
                         g_strdup (memory), g_free, NULL, NULL, NULL, NULL, NULL, NULL);
  mcam_app_test_wait_for (is_unsaved, window, "the unsaved memory");
}

static void
test_unsaved_memory (Fixture *fx, gconstpointer unused)
{
  McamWindow *window = mcam_app_test_open_window (fx->model, fx->memory, fx->images);
  g_autofree char *saved = g_build_filename (fx->tmpdir, "trained.safetensors", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(McamNet) net = NULL;
  g_autoptr(McamMemory) back = NULL;
  GtkWidget *dialog;

  g_assert_false (mcam_window_get_memory_unsaved (window));
  g_assert_null (strstr (gtk_label_get_label (window->subtitle_label), "not saved"));
  install_unsaved (window, fx->memory);
  g_test_message ("subtitle: %s; title: %s", gtk_label_get_label (window->subtitle_label),
                  gtk_window_get_title (GTK_WINDOW (window)));
  g_assert_nonnull (strstr (gtk_label_get_label (window->subtitle_label), "not saved"));
  g_assert_true (g_str_has_prefix (gtk_window_get_title (GTK_WINDOW (window)), "•"));

  /* Save Memory As writes it; the mark goes. */
  mcam_window_save_memory_to (window, saved);
  mcam_app_test_wait_for (is_saved, window, "the save");
  g_assert_null (strstr (gtk_label_get_label (window->subtitle_label), "not saved"));
  net = mcam_net_load (fx->model, &error);
  g_assert_no_error (error);
  back = mcam_memory_load (saved, net, &error);
  g_assert_no_error (error);
  g_assert_cmpint (back->n_slots, ==, mcam_window_get_model_info (window)->n_slots);
  {
    g_autoptr(GSettings) settings = mcam_settings_new ();
    g_autofree char *last = g_settings_get_string (settings, "last-memory");

    g_assert_cmpstr (last, ==, saved);
  }

  /* Closing with an unsaved memory asks; the window stays meanwhile. */
  install_unsaved (window, fx->memory);
  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &window);
  gtk_window_close (GTK_WINDOW (window));
  mcam_app_test_settle ();
  dialog = mcam_app_test_find_message_dialog ();
  g_assert_nonnull (dialog);
  g_assert_nonnull (window);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (window)));
  /* "Close Without Saving". */
  gtk_dialog_response (GTK_DIALOG (dialog), 1);
  mcam_app_test_settle ();
  if (window != NULL)
    {
      /* gtk_window_close hides a window without an application. */
      g_assert_false (gtk_widget_get_visible (GTK_WIDGET (window)));
      gtk_window_destroy (GTK_WINDOW (window));
    }
}

static gboolean
restored (gpointer data)
{
  McamWindow *window = data;
  McamMapResult *map = mcam_window_get_map_result (window);

  return map != NULL && map->request->class_index == 2;
}

static void
test_restore (Fixture *fx, gconstpointer unused)
{
  McamWindow *window = mcam_app_test_open_window (fx->model, fx->memory, fx->images);
  McamAppTestMapWait mw = { window, 2, MCAM_METHOD_CAM };
  g_autoptr(GSettings) settings = mcam_settings_new ();
  g_auto(GStrv) recent = NULL;
  McamWindow *again;

  mcam_window_set_method (window, MCAM_METHOD_CAM);
  mcam_window_select_class (window, 2);
  mcam_app_test_wait_for (mcam_app_test_map_shown, &mw, "CAM of class 2");
  recent = g_settings_get_strv (settings, "recent-models");
  g_assert_cmpstr (recent[0], ==, fx->model);
  gtk_window_destroy (GTK_WINDOW (window));
  mcam_app_test_settle ();

  /* The next start. */
  again = mcam_window_new (NULL);
  gtk_window_present (GTK_WINDOW (again));
  g_assert_true (mcam_window_restore_session (again));
  mcam_app_test_wait_for (restored, again, "the restored class");
  g_assert_cmpstr (mcam_window_get_model_info (again)->model_path, ==, fx->model);
  g_assert_cmpstr (mcam_window_get_model_info (again)->memory_path, ==, fx->memory);
  g_assert_cmpint (mcam_window_get_map_result (again)->request->method, ==, MCAM_METHOD_CAM);
  g_assert_cmpuint (g_list_model_get_n_items (mcam_image_browser_get_items (again->image_browser)),
                    >, 0);
  /* The recent models are in the menu. */
  g_assert_cmpint (g_menu_model_get_n_items (G_MENU_MODEL (again->recent_menu)), >=, 1);
  gtk_window_destroy (GTK_WINDOW (again));
}

static GtkWidget *
find_by_id_type (GtkWidget *root, GType type, int nth, int *seen)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (root, type) && (*seen)++ == nth)
    return root;
  for (GtkWidget *c = gtk_widget_get_first_child (root); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_by_id_type (c, type, nth, seen);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
test_train_dialog (Fixture *fx, gconstpointer unused)
{
  McamWindow *window = mcam_app_test_open_window (fx->model, fx->memory, fx->images);
  McamTrainDialog *dialog = mcam_train_dialog_new (GTK_WINDOW (window),
                                                   mcam_window_get_worker (window));
  int n_spins = 0, seen = 0;
  GtkWidget *w;
  gboolean epochs_ok = FALSE, reason_shown = FALSE;

  /* No labels CSV: Train is greyed and says why. */
  mcam_train_dialog_set_inputs (dialog, fx->model, fx->tmpdir, NULL, -1, -1);
  gtk_window_present (GTK_WINDOW (dialog));
  mcam_app_test_settle ();
  g_assert_false (gtk_window_get_modal (GTK_WINDOW (dialog)));
  while ((w = find_by_id_type (GTK_WIDGET (dialog), GTK_TYPE_SPIN_BUTTON, n_spins, &seen)))
    {
      GtkAdjustment *adj = gtk_spin_button_get_adjustment (GTK_SPIN_BUTTON (w));

      if (gtk_adjustment_get_value (adj) == 30 && gtk_adjustment_get_upper (adj) >= 10000)
        epochs_ok = TRUE;
      n_spins++;
      seen = 0;
    }
  /* Slots, epochs, batch, learning rate, scale, seed. */
  g_assert_cmpint (n_spins, >=, 6);
  g_assert_true (epochs_ok);
  seen = 0;
  for (int i = 0; (w = find_by_id_type (GTK_WIDGET (dialog), GTK_TYPE_LABEL, i, &seen)); i++, seen = 0)
    if (gtk_widget_get_visible (w) && strstr (gtk_label_get_label (GTK_LABEL (w)), "labels CSV"))
      reason_shown = TRUE;
  g_assert_true (reason_shown);
  gtk_window_destroy (GTK_WINDOW (dialog));
  gtk_window_destroy (GTK_WINDOW (window));
}

static gboolean
training_started (gpointer data)
{
  return mcam_train_dialog_get_n_points (data) > 0 || !mcam_train_dialog_is_running (data);
}

static gboolean
training_idle (gpointer data)
{
  return !mcam_train_dialog_is_running (data);
}

/* The window's maps go on while a memory trains (its own worker thread). */
static void
test_browse_while_training (Fixture *fx, gconstpointer unused)
{
  McamWindow *window = mcam_app_test_open_window (fx->model, fx->memory, fx->images);
  McamTrainDialog *dialog = mcam_train_dialog_new (GTK_WINDOW (window),
                                                   mcam_window_get_worker (window));
  g_autofree char *labels = g_build_filename (fx->images, "labels.csv", NULL);
  McamAppTestMapWait mw = { window, 1, MCAM_METHOD_GRADCAM };

  if (!g_file_test (labels, G_FILE_TEST_IS_REGULAR))
    {
      g_test_skip ("no labelled demo");
      gtk_window_destroy (GTK_WINDOW (dialog));
      gtk_window_destroy (GTK_WINDOW (window));
      return;
    }
  gtk_window_present (GTK_WINDOW (dialog));
  mcam_train_dialog_set_inputs (dialog, fx->model, fx->images, labels, 10, 10000);
  mcam_train_dialog_start (dialog);
  mcam_app_test_wait_for (training_started, dialog, "the training under way");
  g_assert_true (mcam_train_dialog_is_running (dialog));
  /* A map of another class and method while it trains. */
  mcam_window_set_method (window, MCAM_METHOD_GRADCAM);
  mcam_window_select_class (window, 1);
  mcam_app_test_wait_for (mcam_app_test_map_shown, &mw, "a map during training");
  g_assert_true (mcam_train_dialog_is_running (dialog));
  mcam_train_dialog_cancel (dialog);
  mcam_app_test_wait_for (training_idle, dialog, "the cancellation");
  gtk_window_destroy (GTK_WINDOW (dialog));
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int argc, char **argv)
{
  mcam_app_test_init (&argc, &argv);

  g_test_add ("/mcam/app/session/unsaved-memory", Fixture, NULL, fixture_set_up,
              test_unsaved_memory, fixture_tear_down);
  g_test_add ("/mcam/app/session/restore", Fixture, NULL, fixture_set_up, test_restore,
              fixture_tear_down);
  g_test_add ("/mcam/app/session/train-dialog", Fixture, NULL, fixture_set_up,
              test_train_dialog, fixture_tear_down);
  g_test_add ("/mcam/app/session/browse-while-training", Fixture, NULL, fixture_set_up,
              test_browse_while_training, fixture_tear_down);
  return g_test_run ();
}
