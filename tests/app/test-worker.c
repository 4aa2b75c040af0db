/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The compute worker on its own (no window): a newer request on a channel
 * cancels the stale one; a failed model load keeps the model before it; the
 * LRU cache serves a second request without another forward pass and is
 * emptied by a new model; a map from the worker equals the core's own
 * mcam_explain + mcam_map_to_image on the same image; waiting for posted jobs
 * to return keeps to its timeout and leaves their callbacks queued. Fixture
 * backbone and memory (tests/fixtures). */

#include "config.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "mcam-test-util.h"
#include "mcam-worker.h"

typedef struct
{
  gboolean  done;
  gpointer  result;
  GError   *error;
} Wait;

static void
wait_done (Wait *w)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  while (!w->done)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
}

static void
load_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Wait *w = user_data;

  w->result = mcam_worker_load_model_finish (MCAM_WORKER (source), result, &w->error);
  w->done = TRUE;
}

static void
analyse_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Wait *w = user_data;

  w->result = mcam_worker_analyse_finish (MCAM_WORKER (source), result, &w->error);
  w->done = TRUE;
}

static void
map_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Wait *w = user_data;

  w->result = mcam_worker_compute_map_finish (MCAM_WORKER (source), result, &w->error);
  w->done = TRUE;
}

static McamWorker *
new_loaded_worker (void)
{
  McamWorker *worker = mcam_worker_new ();
  g_autofree char *model = mcam_test_fixture ("net-bottleneck.safetensors");
  g_autofree char *memory = mcam_test_fixture ("memory-bottleneck.safetensors");
  Wait w = { 0 };

  mcam_worker_load_model_async (worker, model, memory, NULL, load_cb, &w);
  wait_done (&w);
  g_assert_no_error (w.error);
  g_assert_nonnull (w.result);
  mcam_model_info_unref (w.result);
  /* The snapshot reaches the main loop before the job's own result. */
  g_assert_nonnull (mcam_worker_get_model_info (worker));
  return worker;
}

/* A job that holds the worker until the test lets it go. */
static gpointer
hold_func (McamWorkerContext *ctx, gpointer data, GCancellable *cancellable, GError **error)
{
  while (!g_atomic_int_get ((int *) data))
    g_usleep (1000);
  return GINT_TO_POINTER (1);
}

static void
hold_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Wait *w = user_data;

  w->result = mcam_worker_run_finish (MCAM_WORKER (source), result, &w->error);
  w->done = TRUE;
}

/* mcam_worker_wait_returned: a job the test holds is not waited for past the
 * timeout; once it has run, the wait returns and the job's callback is
 * already queued on the main context, so iterations that never block run it
 * (the window relies on this to show a small map in the current frame). */
static void
test_wait_returned (void)
{
  g_autoptr(McamWorker) worker = mcam_worker_new ();
  Wait hold = { 0 };
  int release = 0;

  g_assert_true (mcam_worker_wait_returned (worker, 0));   /* nothing posted */
  mcam_worker_run_async (worker, "hold", NULL, hold_func, &release, NULL, NULL, NULL, NULL,
                         NULL, hold_cb, &hold);
  g_assert_false (mcam_worker_wait_returned (worker, 20 * 1000));
  g_assert_false (hold.done);

  g_atomic_int_set (&release, 1);
  g_assert_true (mcam_worker_wait_returned (worker, 60 * G_USEC_PER_SEC));
  g_assert_false (hold.done);   /* the callback runs on the main loop, not in the wait */
  for (int i = 0; i < 10 && !hold.done; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_true (hold.done);
  g_assert_no_error (hold.error);
  g_assert_cmpint (GPOINTER_TO_INT (hold.result), ==, 1);
  mcam_worker_shutdown (worker);
}

static void
test_stale_request (void)
{
  g_autoptr(McamWorker) worker = new_loaded_worker ();
  g_autofree char *image = mcam_test_fixture ("img-photo.png");
  McamMapRequest req;
  Wait hold = { 0 }, first = { 0 }, second = { 0 };
  int release = 0;

  mcam_worker_run_async (worker, "hold", NULL, hold_func, &release, NULL, NULL, NULL, NULL,
                         NULL, hold_cb, &hold);
  mcam_map_request_init (&req);
  req.path = image;
  req.class_index = 0;
  req.method = MCAM_METHOD_CAM;
  mcam_worker_compute_map_async (worker, &req, NULL, map_cb, &first);
  req.class_index = 1;
  mcam_worker_compute_map_async (worker, &req, NULL, map_cb, &second);
  g_atomic_int_set (&release, 1);

  wait_done (&hold);
  wait_done (&first);
  wait_done (&second);
  g_assert_error (first.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (first.result);
  g_assert_no_error (second.error);
  g_assert_cmpint (((McamMapResult *) second.result)->request->class_index, ==, 1);
  mcam_map_result_unref (second.result);
  g_error_free (first.error);
  mcam_worker_shutdown (worker);
}

static void
test_failed_load_keeps_model (void)
{
  g_autoptr(McamWorker) worker = new_loaded_worker ();
  McamModelInfo *before = mcam_worker_get_model_info (worker);
  g_autofree char *missing = mcam_test_fixture ("no-such-model.safetensors");
  g_autofree char *image = mcam_test_fixture ("img-photo.png");
  Wait w = { 0 }, a = { 0 };

  mcam_worker_load_model_async (worker, missing, NULL, NULL, load_cb, &w);
  wait_done (&w);
  g_assert_nonnull (w.error);
  g_test_message ("%s", w.error->message);
  g_assert_nonnull (strstr (w.error->message, "no-such-model.safetensors"));
  g_assert_true (mcam_worker_get_model_info (worker) == before);

  mcam_worker_analyse_async (worker, image, NULL, analyse_cb, &a);
  wait_done (&a);
  g_assert_no_error (a.error);
  g_assert_cmpuint (((McamImageResult *) a.result)->generation, ==, before->generation);
  mcam_image_result_unref (a.result);
  g_error_free (w.error);
  mcam_worker_shutdown (worker);
}

static void
test_cache (void)
{
  g_autoptr(McamWorker) worker = new_loaded_worker ();
  g_autofree char *image = mcam_test_fixture ("img-photo.png");
  g_autofree char *model = mcam_test_fixture ("net-basic.safetensors");
  Wait a = { 0 }, b = { 0 }, l = { 0 };

  g_assert_cmpuint (mcam_worker_get_n_cached (worker), ==, 0);
  mcam_worker_analyse_async (worker, image, NULL, analyse_cb, &a);
  wait_done (&a);
  mcam_worker_analyse_async (worker, image, NULL, analyse_cb, &b);
  wait_done (&b);
  g_assert_no_error (a.error);
  g_assert_no_error (b.error);
  /* The second answer is the cached one: no forward pass, the same result. */
  g_assert_true (a.result == b.result);
  g_assert_cmpuint (mcam_worker_get_n_cached (worker), ==, 1);

  /* A new model empties the cache (its analyses belong to the old one). */
  mcam_worker_load_model_async (worker, model, NULL, NULL, load_cb, &l);
  wait_done (&l);
  g_assert_no_error (l.error);
  g_assert_cmpuint (mcam_worker_get_n_cached (worker), ==, 0);
  g_assert_cmpint (mcam_worker_get_model_info (worker)->n_slots, ==, 0);
  mcam_model_info_unref (l.result);
  mcam_image_result_unref (a.result);
  mcam_image_result_unref (b.result);
  mcam_worker_shutdown (worker);
}

static void
test_map_matches_core (void)
{
  g_autoptr(McamWorker) worker = new_loaded_worker ();
  g_autofree char *image_path = mcam_test_fixture ("img-photo.png");
  g_autofree char *model = mcam_test_fixture ("net-bottleneck.safetensors");
  g_autofree char *memory_path = mcam_test_fixture ("memory-bottleneck.safetensors");
  g_autoptr(GError) error = NULL;
  g_autoptr(McamNet) net = mcam_net_load (model, &error);
  g_autoptr(McamMemory) memory = NULL;
  g_autoptr(McamImage) image = NULL;
  g_autoptr(McamAnalysis) analysis = NULL;
  McamMethod methods[] = { MCAM_METHOD_MCAM, MCAM_METHOD_MCAM_PROFILE, MCAM_METHOD_CAM };

  g_assert_no_error (error);
  memory = mcam_memory_load (memory_path, net, &error);
  g_assert_no_error (error);
  image = mcam_image_load (image_path, 0, &error);
  g_assert_no_error (error);
  analysis = mcam_analysis_new (net, memory, image, NULL, &error);
  g_assert_no_error (error);

  for (guint m = 0; m < G_N_ELEMENTS (methods); m++)
    for (int c = 0; c < analysis->n_classes; c++)
      {
        McamMapRequest req;
        McamExplainOptions opts;
        g_autoptr(McamExplanation) expl = NULL;
        g_autofree float *expected = NULL;
        McamMapResult *r;
        Wait w = { 0 };
        gsize n = (gsize) image->width * image->height;
        double max_diff = 0;

        mcam_map_request_init (&req);
        req.path = image_path;
        req.class_index = c;
        req.method = methods[m];
        req.seed = 7;
        mcam_worker_compute_map_async (worker, &req, NULL, map_cb, &w);
        wait_done (&w);
        g_assert_no_error (w.error);
        r = w.result;

        mcam_explain_options_init (&opts);
        opts.seed = 7;
        opts.image = image;
        expl = mcam_explain (analysis, c, methods[m], &opts, NULL, &error);
        g_assert_no_error (error);
        expected = mcam_map_to_image (expl->map, expl->h, expl->w, image,
                                      &mcam_net_get_info (net)->preprocess);

        g_assert_cmpint (r->width, ==, image->width);
        g_assert_cmpint (r->height, ==, image->height);
        g_assert_cmpint (r->explanation->slot, ==, expl->slot);
        for (gsize i = 0; i < n; i++)
          max_diff = MAX (max_diff, fabs ((double) r->map[i] - expected[i]));
        /* Same code on the same input: equal up to threaded-BLAS rounding. */
        g_assert_cmpfloat (max_diff, <=, 1e-4);
        /* The colour map the view draws is the map's colormap. */
        {
          const guint8 *rgb = g_bytes_get_data (r->map_rgb, NULL);
          guint8 want[3];
          gsize k = n / 2;

          mcam_colormap_lookup (req.colormap, r->map[k], want);
          g_assert_cmpint (ABS (rgb[3 * k] - want[0]), <=, 8);
          g_assert_cmpint (ABS (rgb[3 * k + 1] - want[1]), <=, 8);
          g_assert_cmpint (ABS (rgb[3 * k + 2] - want[2]), <=, 8);
        }
        mcam_map_result_unref (r);
      }
  mcam_worker_shutdown (worker);
}

/* A photo larger than the window's display side: the network sees the whole
 * image, the window gets a copy scaled to MCAM_DISPLAY_MAX_SIDE and its map
 * on those pixels, equal to the core's map for that size. */
static void
test_large_image_display (void)
{
  g_autoptr(McamWorker) worker = new_loaded_worker ();
  g_autofree char *small_path = mcam_test_fixture ("img-photo.png");
  g_autofree char *model = mcam_test_fixture ("net-bottleneck.safetensors");
  g_autofree char *memory_path = mcam_test_fixture ("memory-bottleneck.safetensors");
  g_autofree char *dir = g_dir_make_tmp ("mcam-large-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "large.png", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkPixbuf) small = gdk_pixbuf_new_from_file (small_path, &error);
  g_autoptr(GdkPixbuf) large = NULL;
  g_autoptr(McamNet) net = mcam_net_load (model, &error);
  g_autoptr(McamMemory) memory = NULL;
  g_autoptr(McamImage) image = NULL;
  g_autoptr(McamImage) display = NULL;
  g_autoptr(McamAnalysis) analysis = NULL;
  g_autoptr(McamExplanation) expl = NULL;
  g_autofree float *expected = NULL;
  McamExplainOptions opts;
  McamMapRequest req;
  McamImageResult *ir;
  McamMapResult *r;
  Wait w = { 0 };
  double max_diff = 0;

  g_assert_no_error (error);
  large = gdk_pixbuf_scale_simple (small, 2600, 1700, GDK_INTERP_BILINEAR);
  g_assert_true (gdk_pixbuf_save (large, path, "png", &error, NULL));
  g_assert_no_error (error);
  memory = mcam_memory_load (memory_path, net, &error);
  g_assert_no_error (error);
  image = mcam_image_load (path, 0, &error);
  g_assert_no_error (error);
  display = mcam_image_scale_to_fit (image, 1280);
  analysis = mcam_analysis_new (net, memory, image, NULL, &error);
  g_assert_no_error (error);

  mcam_worker_analyse_async (worker, path, NULL, analyse_cb, &w);
  wait_done (&w);
  g_assert_no_error (w.error);
  ir = w.result;
  g_assert_cmpint (ir->width, ==, 2600);
  g_assert_cmpint (ir->height, ==, 1700);
  g_assert_cmpint (ir->display_width, ==, 1280);
  g_assert_cmpint (ir->display_height, ==, 837);   /* 1700 * 1280 / 2600 = 836.9 */
  g_assert_cmpmem (g_bytes_get_data (ir->rgb, NULL), g_bytes_get_size (ir->rgb),
                   display->rgb, (gsize) 1280 * 837 * 3);
  /* The network saw the full image: the same scores as the core's analysis. */
  for (int c = 0; c < analysis->n_classes; c++)
    g_assert_cmpfloat (fabs (ir->scores[c] - analysis->scores[c]), <=, 1e-5);
  mcam_image_result_unref (ir);

  mcam_map_request_init (&req);
  req.path = path;
  req.class_index = 1;
  req.method = MCAM_METHOD_CAM;
  w = (Wait) { 0 };
  mcam_worker_compute_map_async (worker, &req, NULL, map_cb, &w);
  wait_done (&w);
  g_assert_no_error (w.error);
  r = w.result;
  mcam_explain_options_init (&opts);
  opts.image = image;
  expl = mcam_explain (analysis, 1, MCAM_METHOD_CAM, &opts, NULL, &error);
  g_assert_no_error (error);
  expected = mcam_map_to_size (expl->map, expl->h, expl->w, image,
                               &mcam_net_get_info (net)->preprocess, 1280, 837);
  g_assert_cmpint (r->width, ==, 1280);
  g_assert_cmpint (r->height, ==, 837);
  for (gsize i = 0; i < (gsize) 1280 * 837; i++)
    max_diff = MAX (max_diff, fabs ((double) r->map[i] - expected[i]));
  g_assert_cmpfloat (max_diff, <=, 1e-4);
  mcam_map_result_unref (r);
  mcam_worker_shutdown (worker);
  g_unlink (path);
  g_rmdir (dir);
}

/* What the train dialog does when training ends: hand a memory to the worker. */
static gpointer
set_memory_func (McamWorkerContext *ctx, gpointer data, GCancellable *cancellable,
                 GError **error)
{
  McamMemory *memory = mcam_memory_load (data, mcam_worker_context_get_net (ctx), error);

  if (memory == NULL || !mcam_worker_context_set_memory (ctx, memory, data, error))
    return NULL;
  return GINT_TO_POINTER (1);
}

static void
test_set_memory (void)
{
  g_autoptr(McamWorker) worker = mcam_worker_new ();
  g_autofree char *model = mcam_test_fixture ("net-bottleneck.safetensors");
  g_autofree char *memory = mcam_test_fixture ("memory-bottleneck.safetensors");
  McamModelInfo *info;
  Wait l = { 0 }, s = { 0 };

  mcam_worker_load_model_async (worker, model, NULL, NULL, load_cb, &l);
  wait_done (&l);
  g_assert_no_error (l.error);
  g_assert_cmpint (((McamModelInfo *) l.result)->n_slots, ==, 0);

  mcam_worker_run_async (worker, "set memory", NULL, set_memory_func, memory, NULL, NULL,
                         NULL, NULL, NULL, hold_cb, &s);
  wait_done (&s);
  g_assert_no_error (s.error);
  info = mcam_worker_get_model_info (worker);
  g_assert_cmpint (info->n_slots, ==, 8);
  g_assert_cmpstr (info->model_path, ==, model);
  g_assert_cmpstr (info->memory_path, ==, memory);
  g_assert_cmpuint (info->generation, >, ((McamModelInfo *) l.result)->generation);
  mcam_model_info_unref (l.result);
  mcam_worker_shutdown (worker);
}

/* An M-CAM method without a memory module fails with a message that names
 * the menu items that give the model one (the file's own translation is
 * not loaded: the untranslated text). */
static void
test_method_needs_memory (void)
{
  McamWorker *worker = mcam_worker_new ();
  g_autofree char *model = mcam_test_fixture ("net-bottleneck.safetensors");
  g_autofree char *image = mcam_test_fixture ("img-photo.png");
  McamMapRequest req;
  Wait l = { 0 }, m = { 0 }, c = { 0 };

  mcam_worker_load_model_async (worker, model, NULL, NULL, load_cb, &l);
  wait_done (&l);
  g_assert_no_error (l.error);
  g_assert_cmpint (((McamModelInfo *) l.result)->n_slots, ==, 0);
  mcam_model_info_unref (l.result);

  mcam_map_request_init (&req);
  req.path = image;
  req.class_index = 0;
  req.method = MCAM_METHOD_MCAM;
  mcam_worker_compute_map_async (worker, &req, NULL, map_cb, &m);
  wait_done (&m);
  g_assert_null (m.result);
  g_assert_error (m.error, MCAM_ERROR, MCAM_ERROR_USAGE);
  g_test_message ("%s", m.error->message);
  g_assert_nonnull (strstr (m.error->message, mcam_method_get_label (MCAM_METHOD_MCAM)));
  g_assert_nonnull (strstr (m.error->message, "Open Memory Module…"));
  g_assert_nonnull (strstr (m.error->message, "Train a Memory Module…"));
  g_assert_null (strstr (m.error->message, "Open Model"));
  g_clear_error (&m.error);

  /* CAM needs no memory. */
  req.method = MCAM_METHOD_CAM;
  mcam_worker_compute_map_async (worker, &req, NULL, map_cb, &c);
  wait_done (&c);
  g_assert_no_error (c.error);
  mcam_map_result_unref (c.result);
  mcam_worker_shutdown (worker);
  g_object_unref (worker);
}

int
main (int argc, char **argv)
{
  mcam_test_init (&argc, &argv);

  g_test_add_func ("/mcam/app/worker/stale-request-cancelled", test_stale_request);
  g_test_add_func ("/mcam/app/worker/wait-returned", test_wait_returned);
  g_test_add_func ("/mcam/app/worker/failed-load-keeps-model", test_failed_load_keeps_model);
  g_test_add_func ("/mcam/app/worker/cache", test_cache);
  g_test_add_func ("/mcam/app/worker/map-matches-core", test_map_matches_core);
  g_test_add_func ("/mcam/app/worker/large-image-display", test_large_image_display);
  g_test_add_func ("/mcam/app/worker/set-memory", test_set_memory);
  g_test_add_func ("/mcam/app/worker/method-needs-memory", test_method_needs_memory);
  return g_test_run ();
}
