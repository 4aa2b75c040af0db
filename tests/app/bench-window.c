/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Timings of the window (docs/BENCHMARKS.md), not a test: it prints and never
 * asserts time. Opens a model and images like the app, then for each image
 * picks the next one (image → overlay on screen, and the longest main-loop
 * stall meanwhile) and switches through its top classes (class click →
 * overlay repainted). Run under Xvfb:
 *   xvfb-run -a build/tests/app/bench-window [--model M] [--memory MEM] [IMAGE|FOLDER…]
 * Without --model: the demo, else the fixture backbone and memory. */

#include "config.h"

#include <gtk/gtk.h>
#include <math.h>

#include "mcam-test-util.h"
#include "mcam-application.h"
#include "mcam-profile.h"
#include "mcam-window.h"

static gboolean
keep_ticking (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

static guint
count_of (const char *name)
{
  guint n = 0;

  mcam_profile_get_median (name, &n);
  return n;
}

/* Run the main loop until `name` has more than `before` measurements. */
static gboolean
wait_count (const char *name, guint before, int timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_s * G_USEC_PER_SEC;
  /* Wakes the loop so the deadline is seen even when nothing else happens. */
  guint tick = g_timeout_add (20, keep_ticking, NULL);
  gboolean ok = TRUE;

  while (count_of (name) <= before)
    {
      if (g_get_monotonic_time () > deadline)
        {
          ok = FALSE;
          break;
        }
      g_main_context_iteration (NULL, TRUE);
    }
  g_source_remove (tick);
  return ok;
}

static gboolean
quit_pause (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Run the main loop, idle, for `ms` milliseconds. */
static void
pause_loop (int ms)
{
  gboolean done = FALSE;

  if (ms <= 0)
    return;
  g_timeout_add (ms, quit_pause, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

int
main (int argc, char **argv)
{
  g_autofree char *model = NULL;
  g_autofree char *memory = NULL;
  g_autofree char *images_dir = NULL;
  g_auto(GStrv) inputs = NULL;
  int max_images = 20;
  int pause_ms = 150;
  GOptionEntry entries[] = {
    { "model", 0, 0, G_OPTION_ARG_FILENAME, &model, "backbone", "FILE" },
    { "memory", 0, 0, G_OPTION_ARG_FILENAME, &memory, "memory module", "FILE" },
    { "images", 'n', 0, G_OPTION_ARG_INT, &max_images, "images to step through", "N" },
    { "pause", 'p', 0, G_OPTION_ARG_INT, &pause_ms,
      "milliseconds between two class switches (default 150)", "MS" },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &inputs, NULL, NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("[IMAGE|FOLDER…]");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_object_unref);
  McamWindow *window;
  int n_images = 0;

  mcam_blas_ensure_fast_core (argc, argv);
  g_setenv ("MCAM_PROFILE", "1", FALSE);
  mcam_profile_init ();
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  gtk_init ();

  if (model == NULL)
    {
      if (!mcam_find_demo (&model, &memory, &images_dir))
        {
          model = mcam_test_fixture ("net-bottleneck.safetensors");
          memory = mcam_test_fixture ("memory-bottleneck.safetensors");
          images_dir = mcam_test_fixture ("");
        }
    }
  if (inputs != NULL)
    for (int i = 0; inputs[i] != NULL; i++)
      g_ptr_array_add (files, g_file_new_for_commandline_arg (inputs[i]));
  else
    g_ptr_array_add (files, g_file_new_for_path (images_dir));
  g_printerr ("bench-window: model %s, memory %s\n", model, memory ? memory : "(none)");

  window = mcam_window_new (NULL);
  gtk_window_set_default_size (GTK_WINDOW (window), 1400, 900);
  gtk_window_present (GTK_WINDOW (window));
  mcam_window_load_model (window, model, memory);
  mcam_window_open_files (window, (GFile **) files->pdata, files->len);
  if (!wait_count ("startup-to-first-overlay", 0, 120))
    {
      g_printerr ("bench-window: no overlay after 120 s (%s)\n",
                  mcam_window_get_error_text (window));
      return 1;
    }

  for (n_images = 1; n_images < max_images; n_images++)
    {
      McamImageResult *image = mcam_window_get_image_result (window);
      int n_classes = image ? image->n_classes : 0;

      /* Classes 2..9 of this image: f is cached, each is a small job. */
      for (int k = 2; k <= MIN (9, n_classes); k++)
        {
          guint before = count_of ("class-switch");

          /* A person's clicks are further apart than a frame. Back to back
           * (--pause 0), each switch starts right after the previous
           * overlay's frame, and the frame clock paints at most one frame
           * per refresh interval (16.7 ms): that measures the pacing. */
          pause_loop (pause_ms);
          gtk_widget_activate_action (GTK_WIDGET (window), "win.select-top-class", "i", k);
          if (!wait_count ("class-switch", before, 30))
            g_printerr ("bench-window: class %d of image %d never painted\n", k, n_images);
        }
      {
        guint before = count_of ("image-to-overlay");

        gtk_widget_activate_action (GTK_WIDGET (window), "win.next-image", NULL);
        /* After the last image nothing happens: a few seconds tell. */
        if (!wait_count ("image-to-overlay", before, 10))
          break;
      }
    }

  g_printerr ("bench-window: %d images\n", n_images);
  mcam_profile_print_summary ();
  gtk_window_destroy (GTK_WINDOW (window));
  return 0;
}
