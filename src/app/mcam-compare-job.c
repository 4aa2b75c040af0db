/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The worker side of compare mode: one job computes every tile's map of one
 * image on a small copy of it (the view only blends and draws), and hands
 * the tiles computed so far to the view while it goes on. */

#define G_LOG_DOMAIN "mcam-compare"

#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n.h>

#include "mcam/mcam-head-verdict.h"
#include "mcam-compare-job.h"

/* Maps are computed on a copy of the image this large (longer side), so that
 * the largest tiles are sharp and a 12-tile job stays light. */
#define COMPUTE_SIDE 320
/* "All classes" of a model with many classes shows the highest-scoring ones:
 * a grid of 1,000 tiles helps nobody (and would not fit in one PNG). */
#define MAX_CLASS_TILES 24
/* Score-CAM re-runs the whole network once per channel: on a ResNet-18
 * (512 channels) that measured 100 s for one tile on our shared machine,
 * while the other eleven tiles took 0.2 s. Past SCORECAM_MAX_CHANNELS,
 * compare mode uses the SCORECAM_TOP_K most active channels only (the core's
 * top-k option; 11-15 s there) and says so in the label and the note. The
 * demo's 128 channels stay exact (1.5 s). */
#define SCORECAM_MAX_CHANNELS 128
#define SCORECAM_TOP_K 64

struct _McamCompareSink
{
  gpointer                 target;   /* main thread only */
  McamCompareEarlyTileFunc early_tile;
};

McamCompareSink *
mcam_compare_sink_new (gpointer target, McamCompareEarlyTileFunc early_tile)
{
  McamCompareSink *sink = g_atomic_rc_box_new0 (McamCompareSink);

  sink->target = target;
  sink->early_tile = early_tile;
  return sink;
}

McamCompareSink *
mcam_compare_sink_ref (McamCompareSink *sink)
{
  return g_atomic_rc_box_acquire (sink);
}

void
mcam_compare_sink_unref (McamCompareSink *sink)
{
  g_atomic_rc_box_release (sink);
}

void
mcam_compare_sink_detach (McamCompareSink *sink)
{
  sink->target = NULL;
}

gpointer
mcam_compare_sink_get_target (McamCompareSink *sink)
{
  return sink->target;
}

/* ---------------------------------------------------------------- tiles and jobs */

static McamCompareTile *
compare_tile_copy (const McamCompareTile *t, gsize n_pixels)
{
  McamCompareTile *c = g_memdup2 (t, sizeof *t);

  c->label = g_strdup (t->label);
  c->error = g_strdup (t->error);
  c->map = t->map ? g_memdup2 (t->map, n_pixels * sizeof (float)) : NULL;
  return c;
}

void
mcam_compare_tile_free (McamCompareTile *t)
{
  g_free (t->label);
  g_free (t->map);
  g_free (t->error);
  g_free (t);
}

void
mcam_compare_result_free (McamCompareResult *r)
{
  g_clear_pointer (&r->thumb, mcam_image_free);
  g_clear_pointer (&r->tiles, g_ptr_array_unref);
  g_free (r->note);
  g_free (r);
}

void
mcam_compare_job_free (McamCompareJob *job)
{
  mcam_compare_sink_unref (job->sink);
  g_free (job->path);
  g_strfreev (job->class_names);
  g_clear_pointer (&job->head, mcam_head_ref_release);
  g_free (job);
}

typedef struct
{
  int   class_index;
  float score;
} ClassScore;

static int
class_score_desc (gconstpointer a, gconstpointer b)
{
  const ClassScore *ca = a, *cb = b;

  if (ca->score != cb->score)
    return ca->score < cb->score ? 1 : -1;
  return ca->class_index - cb->class_index;
}

/* A tile computed while the job goes on ("all methods" only: the cheap maps
 * show at once while Score-CAM still runs). The first carries the thumbnail. */
typedef struct
{
  McamCompareSink *sink;
  guint      serial;
  McamImage *thumb;
  McamCompareTile  *tile;
} Partial;

static void
partial_free (gpointer data)
{
  Partial *p = data;

  mcam_compare_sink_unref (p->sink);
  g_clear_pointer (&p->thumb, mcam_image_free);
  g_clear_pointer (&p->tile, mcam_compare_tile_free);
  g_free (p);
}

/* Main thread: hand the tile to the view, if it still wants it. */
static gboolean
partial_main (gpointer data)
{
  Partial *p = data;

  if (p->sink->target != NULL)
    p->sink->early_tile (p->sink->target, p->serial, g_steal_pointer (&p->thumb),
                         g_steal_pointer (&p->tile));
  return G_SOURCE_REMOVE;
}

static void
post_partial (McamCompareJob *job, const McamImage *thumb, gboolean first, const McamCompareTile *t)
{
  Partial *p = g_new0 (Partial, 1);

  p->sink = mcam_compare_sink_ref (job->sink);
  p->serial = job->serial;
  p->thumb = first ? mcam_image_copy (thumb) : NULL;
  p->tile = compare_tile_copy (t, (gsize) thumb->width * thumb->height);
  /* An idle source, never g_main_context_invoke (): from a worker thread it can
   * run the callback right here when the main loop is idle. */
  g_idle_add_full (G_PRIORITY_DEFAULT, partial_main, p, partial_free);
}

/* Whose map a method gives in this job. */
static McamCompareHead
tile_head (const McamCompareJob *job, McamMethod m)
{
  if (mcam_method_needs_memory (m))
    return MCAM_COMPARE_HEAD_MEMORY;
  if (!mcam_method_reads_head (m))
    return MCAM_COMPARE_HEAD_NONE;
  return job->head != NULL ? MCAM_COMPARE_HEAD_REFIT : MCAM_COMPARE_HEAD_NETWORK;
}

/* The label's tail naming whose map a tile is, once a re-fit head is
 * loaded (without one, every map is the network's, as always). */
static const char *
head_suffix (McamCompareHead head)
{
  switch (head)
    {
    case MCAM_COMPARE_HEAD_REFIT:
      return _("re-fit head");
    case MCAM_COMPARE_HEAD_NETWORK:
      return _("network's head");
    case MCAM_COMPARE_HEAD_MEMORY:
      return _("memory");
    case MCAM_COMPARE_HEAD_NONE:
    default:
      return _("no head");
    }
}

/* Worker thread: every tile's map, in one job. */
gpointer
mcam_compare_job_run (McamWorkerContext *ctx, gpointer data, GCancellable *cancellable,
                  GError **error)
{
  McamCompareJob *job = data;
  McamNet *net = mcam_worker_context_get_net (ctx);
  McamMemory *memory = mcam_worker_context_get_memory (ctx);
  const McamImage *image = NULL;
  const McamPreprocess *pp;
  McamAnalysis *a;
  g_autoptr(GArray) pairs = g_array_new (FALSE, FALSE, sizeof (int) * 2);
  g_autoptr(GString) skipped = g_string_new (NULL);
  g_autoptr(GString) notes = g_string_new (NULL);
  gboolean scorecam_top_k;
  McamCompareResult *result;
  const McamHead *head = job->head != NULL ? mcam_head_ref_get_head (job->head) : NULL;
  g_autofree float *head_scores = NULL;

  if (net == NULL)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE, _("No model is loaded"));
      return NULL;
    }
  a = mcam_worker_context_get_analysis (ctx, job->path, &image, cancellable, error);
  if (a == NULL)
    return NULL;
  pp = &mcam_net_get_info (net)->preprocess;
  if (head != NULL)
    {
      g_autofree float *logits = NULL;

      if (head->c != a->c || head->n_classes != a->n_classes)
        {
          g_set_error (error, MCAM_ERROR, MCAM_ERROR_MISMATCH,
                       _("The re-fit head %s reads %d channels and %d classes; the model has "
                         "%d and %d"), mcam_head_ref_get_path (job->head), head->c,
                       head->n_classes, a->c, a->n_classes);
          return NULL;
        }
      logits = g_new (float, a->n_classes);
      head_scores = g_new (float, a->n_classes);
      mcam_head_logits_from_features (head, a->features, a->h * a->w, logits);
      mcam_head_scores (head, logits, head_scores);
    }

  if (job->mode == MCAM_COMPARE_ALL_METHODS)
    {
      if (job->class_index < 0 || job->class_index >= a->n_classes)
        {
          g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE,
                       _("%s: class %d does not exist in this model"), job->path,
                       job->class_index);
          return NULL;
        }
      /* The tiles follow the enum's order, which is also the class list's
       * method menu (and compare mode's own). */
      for (int m = 0; m < MCAM_N_METHODS; m++)
        {
          int pair[2] = { job->class_index, m };

          /* Without a memory the M-CAM methods have nothing to read. */
          if (memory == NULL && mcam_method_needs_memory (m))
            {
              if (skipped->len > 0)
                g_string_append (skipped, ", ");
              g_string_append (skipped, mcam_method_get_label (m));
              continue;
            }
          g_array_append_val (pairs, pair);
        }
    }
  else
    {
      if (memory == NULL && mcam_method_needs_memory (job->method))
        {
          g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE,
                       _("%s needs a memory module, and this model has none: open one with "
                         "Open Memory Module"), mcam_method_get_label (job->method));
          return NULL;
        }
      g_autoptr(GArray) order = g_array_sized_new (FALSE, FALSE, sizeof (ClassScore),
                                                   a->n_classes);
      const float *scores = mcam_method_needs_memory (job->method) && a->memory_scores
                            ? a->memory_scores
                            : tile_head (job, job->method) == MCAM_COMPARE_HEAD_REFIT
                            ? head_scores : a->scores;

      /* Highest score first, as the class list sorts them. */
      for (int c = 0; c < a->n_classes; c++)
        {
          ClassScore cs = { c, scores[c] };

          g_array_append_val (order, cs);
        }
      g_array_sort (order, class_score_desc);
      for (guint i = 0; i < MIN (order->len, MAX_CLASS_TILES); i++)
        {
          int pair[2] = { g_array_index (order, ClassScore, i).class_index, job->method };

          g_array_append_val (pairs, pair);
        }
      if (a->n_classes > MAX_CLASS_TILES)
        g_string_append_printf (notes, _("The %d highest-scoring of %d classes. "),
                                MAX_CLASS_TILES, a->n_classes);
    }

  scorecam_top_k = a->c > SCORECAM_MAX_CHANNELS;
  if (scorecam_top_k &&
      (job->mode == MCAM_COMPARE_ALL_METHODS || job->method == MCAM_METHOD_SCORECAM))
    g_string_append_printf (notes, _("Score-CAM on the %d most active of %d channels, "
                                     "to keep it interactive. "), SCORECAM_TOP_K, a->c);
  if (skipped->len > 0)
    g_string_append_printf (notes, _("Not shown: %s (they need a memory module)."),
                            skipped->str);

  result = g_new0 (McamCompareResult, 1);
  result->tiles = g_ptr_array_new_with_free_func ((GDestroyNotify) mcam_compare_tile_free);
  if (notes->len > 0)
    result->note = g_strdup (g_strchomp (notes->str));
  result->thumb = mcam_image_scale_to_fit (image, COMPUTE_SIDE);
  if (result->thumb == NULL)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_FAILED, _("%s: out of memory for a tile"),
                   job->path);
      mcam_compare_result_free (result);
      return NULL;
    }

  for (guint i = 0; i < pairs->len; i++)
    {
      const int *pair = &g_array_index (pairs, int, 2 * i);
      McamCompareTile *t = g_new0 (McamCompareTile, 1);
      McamExplainOptions opts;
      g_autoptr(McamExplanation) e = NULL;
      g_autoptr(GError) local = NULL;
      gint64 t0;
      const char *class_name = job->class_names != NULL && pair[0] < (int) g_strv_length (job->class_names)
                               ? job->class_names[pair[0]] : "?";

      t->class_index = pair[0];
      t->method = pair[1];
      t->head = tile_head (job, t->method);
      t->score = mcam_method_needs_memory (t->method) && a->memory_scores != NULL
                 ? a->memory_scores[t->class_index]
                 : t->head == MCAM_COMPARE_HEAD_REFIT ? head_scores[t->class_index]
                 : a->scores[t->class_index];
      if (job->mode == MCAM_COMPARE_ALL_METHODS && t->method == MCAM_METHOD_SCORECAM &&
          scorecam_top_k)
        t->label = g_strdup_printf (_("%s (top %d channels)"),
                                    mcam_method_get_label (t->method), SCORECAM_TOP_K);
      else if (job->mode == MCAM_COMPARE_ALL_METHODS)
        t->label = g_strdup (mcam_method_get_label (t->method));
      else
        /* Two significant digits even for the small scores of a wide softmax. */
        t->label = g_strdup_printf (t->score >= 0.01f ? "%s %.2f" : "%s %.2g", class_name,
                                    t->score);
      if (job->head_loaded)
        {
          /* TRANSLATORS: a tile's label and whose map it is ("CAM — re-fit head") */
          char *named = g_strdup_printf (_("%s — %s"), t->label, head_suffix (t->head));

          g_free (t->label);
          t->label = named;
        }
      g_ptr_array_add (result->tiles, t);

      mcam_worker_context_progress (ctx, (double) i / pairs->len, t->label);

      mcam_explain_options_init (&opts);
      opts.seed = job->seed;
      opts.draws = MAX (job->draws, 1);
      opts.temperature = job->temperature > 0 ? job->temperature : 1.0f;
      opts.slot = -1;     /* each class and method picks its own slot (Algorithm 1) */
      opts.image = image; /* Score-CAM and Ablation-CAM perturb the image */
      if (t->method == MCAM_METHOD_SCORECAM && scorecam_top_k)
        opts.top_k_channels = SCORECAM_TOP_K;
      if (t->head == MCAM_COMPARE_HEAD_REFIT)
        opts.head = head;
      t0 = g_get_monotonic_time ();
      e = mcam_explain (a, t->class_index, t->method, &opts, cancellable, &local);
      g_debug ("%s, class %d: %.1f ms", mcam_method_get_name (t->method), t->class_index,
               (g_get_monotonic_time () - t0) / 1000.0);
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          mcam_compare_result_free (result);
          return NULL;
        }
      if (e == NULL)
        t->error = g_strdup (local != NULL ? local->message : _("unknown failure"));
      else
        {
          t->any_positive = e->any_positive;
          t->map = mcam_map_to_image (e->map, e->h, e->w, result->thumb, pp);
        }
      if (job->mode == MCAM_COMPARE_ALL_METHODS)
        post_partial (job, result->thumb, i == 0, t);
    }
  mcam_worker_context_progress (ctx, 1.0, NULL);
  return result;
}
