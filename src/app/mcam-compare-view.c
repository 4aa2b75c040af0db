/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Compare mode (DESIGN 6, issue 6 item 4): every method for one class, or
 * every class for one method, side by side. One worker job computes every
 * tile's map on a small copy of the image; the main thread only blends the
 * overlays (so colormap and opacity changes cost no recomputation) and
 * composes the exported grid with the core's mcam_grid_compose. */

#define G_LOG_DOMAIN "mcam-compare"

#include "config.h"

#include <math.h>
#include <string.h>

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "mcam-compare-view.h"

/* The order of the tiles in "all methods": the class list's menu order. */
static const McamMethod compare_methods[] = {
  MCAM_METHOD_MCAM,
  MCAM_METHOD_MCAM_PROFILE,
  MCAM_METHOD_CAM,
  MCAM_METHOD_GRADCAM,
  MCAM_METHOD_GRADCAM_PP,
  MCAM_METHOD_HIRESCAM,
  MCAM_METHOD_XGRADCAM,
  MCAM_METHOD_LAYERCAM,
  MCAM_METHOD_EIGENCAM,
  MCAM_METHOD_EIGENGRADCAM,
  MCAM_METHOD_ABLATIONCAM,
  MCAM_METHOD_SCORECAM,
};

/* Small / medium / large tiles (longer side, pixels). */
static const int tile_sizes[] = { 160, 224, 320 };
/* Maps are computed on a copy of the image this large (longer side), so that
 * the largest tiles are sharp and a 12-tile job stays light. */
#define COMPUTE_SIDE 320
/* "All classes" of a model with many classes shows the highest-scoring ones:
 * a grid of 1,000 tiles helps nobody (and would not fit in one PNG). */
#define MAX_CLASS_TILES 24
/* Score-CAM re-runs the whole network once per channel: on a ResNet-18
 * (512 channels) that measured 100 s for one tile on our shared machine,
 * while the other eleven tiles took 0.2 s. Compare mode uses the most active
 * channels only (the core's top-k option) and says so in the label. */
#define SCORECAM_TOP_K 64

/* The view as the worker's messages see it: the pointer is set and cleared
 * on the main thread only (cleared at dispose), and the box itself is
 * reference counted, so a message that arrives late finds NULL. */
typedef struct
{
  McamCompareView *view;
} Sink;

static Sink *
sink_ref (Sink *sink)
{
  return g_atomic_rc_box_acquire (sink);
}

static void
sink_unref (Sink *sink)
{
  g_atomic_rc_box_release (sink);
}

/* ---------------------------------------------------------------- worker side */

typedef struct
{
  int         class_index;
  McamMethod  method;
  char       *label;
  float      *map;          /* [thumb] in [0,1]; NULL when the method failed */
  gboolean    any_positive;
  char       *error;        /* why the map is missing */
  float       score;
} TileData;

static TileData *
tile_data_copy (const TileData *t, gsize n_pixels)
{
  TileData *c = g_memdup2 (t, sizeof *t);

  c->label = g_strdup (t->label);
  c->error = g_strdup (t->error);
  c->map = t->map ? g_memdup2 (t->map, n_pixels * sizeof (float)) : NULL;
  return c;
}

static void
tile_data_free (TileData *t)
{
  g_free (t->label);
  g_free (t->map);
  g_free (t->error);
  g_free (t);
}

typedef struct
{
  McamImage *thumb;
  GPtrArray *tiles;         /* TileData */
  char      *note;          /* methods left out, or NULL */
} JobResult;

static void
job_result_free (JobResult *r)
{
  g_clear_pointer (&r->thumb, mcam_image_free);
  g_clear_pointer (&r->tiles, g_ptr_array_unref);
  g_free (r->note);
  g_free (r);
}

typedef struct
{
  Sink            *sink;    /* progress and early tiles go here */
  guint            serial;
  char            *path;
  McamCompareMode  mode;
  int              class_index;
  McamMethod       method;
  guint64          seed;
  int              draws;
  float            temperature;
  char           **class_names;
} JobData;

static void
job_data_free (JobData *job)
{
  sink_unref (job->sink);
  g_free (job->path);
  g_strfreev (job->class_names);
  g_free (job);
}

/* The image scaled so that its longer side is at most `side` (gdk-pixbuf's
 * bilinear filter integrates over the source when reducing). */
static McamImage *
make_thumb (const McamImage *img, int side)
{
  double scale = MIN (1.0, (double) side / MAX (img->width, img->height));
  int w = MAX (1, (int) lround (img->width * scale));
  int h = MAX (1, (int) lround (img->height * scale));
  g_autoptr(GdkPixbuf) src = NULL;
  g_autoptr(GdkPixbuf) dst = NULL;
  McamImage *out;
  const guint8 *pixels;
  int stride;

  if (w == img->width && h == img->height)
    return mcam_image_copy (img);
  src = gdk_pixbuf_new_from_data (img->rgb, GDK_COLORSPACE_RGB, FALSE, 8, img->width,
                                  img->height, img->width * 3, NULL, NULL);
  dst = gdk_pixbuf_scale_simple (src, w, h, GDK_INTERP_BILINEAR);
  if (dst == NULL)
    return NULL;
  out = mcam_image_new (w, h);
  pixels = gdk_pixbuf_read_pixels (dst);
  stride = gdk_pixbuf_get_rowstride (dst);
  for (int y = 0; y < h; y++)
    memcpy (out->rgb + (gsize) y * w * 3, pixels + (gsize) y * stride, (gsize) w * 3);
  return out;
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
  Sink      *sink;
  guint      serial;
  McamImage *thumb;
  TileData  *tile;
} Partial;

static void
partial_free (gpointer data)
{
  Partial *p = data;

  sink_unref (p->sink);
  g_clear_pointer (&p->thumb, mcam_image_free);
  g_clear_pointer (&p->tile, tile_data_free);
  g_free (p);
}

static gboolean partial_main (gpointer data);

static void
post_partial (JobData *job, const McamImage *thumb, gboolean first, const TileData *t)
{
  Partial *p = g_new0 (Partial, 1);

  p->sink = sink_ref (job->sink);
  p->serial = job->serial;
  p->thumb = first ? mcam_image_copy (thumb) : NULL;
  p->tile = tile_data_copy (t, (gsize) thumb->width * thumb->height);
  g_main_context_invoke_full (NULL, G_PRIORITY_DEFAULT, partial_main, p, partial_free);
}

/* Worker thread: every tile's map, in one job. */
static gpointer
compare_job_func (McamWorkerContext *ctx, gpointer data, GCancellable *cancellable,
                  GError **error)
{
  JobData *job = data;
  McamNet *net = mcam_worker_context_get_net (ctx);
  McamMemory *memory = mcam_worker_context_get_memory (ctx);
  const McamImage *image = NULL;
  const McamPreprocess *pp;
  McamAnalysis *a;
  g_autoptr(GArray) pairs = g_array_new (FALSE, FALSE, sizeof (int) * 2);
  g_autoptr(GString) skipped = g_string_new (NULL);
  g_autoptr(GString) notes = g_string_new (NULL);
  gboolean scorecam_top_k;
  JobResult *result;

  if (net == NULL)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE, _("No model is loaded"));
      return NULL;
    }
  a = mcam_worker_context_get_analysis (ctx, job->path, &image, cancellable, error);
  if (a == NULL)
    return NULL;
  pp = &mcam_net_get_info (net)->preprocess;

  if (job->mode == MCAM_COMPARE_ALL_METHODS)
    {
      if (job->class_index < 0 || job->class_index >= a->n_classes)
        {
          g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE,
                       _("%s: class %d does not exist in this model"), job->path,
                       job->class_index);
          return NULL;
        }
      for (guint i = 0; i < G_N_ELEMENTS (compare_methods); i++)
        {
          int pair[2] = { job->class_index, compare_methods[i] };

          /* Without a memory the M-CAM methods have nothing to read. */
          if (memory == NULL && mcam_method_needs_memory (compare_methods[i]))
            {
              if (skipped->len > 0)
                g_string_append (skipped, ", ");
              g_string_append (skipped, mcam_method_get_label (compare_methods[i]));
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
                            ? a->memory_scores : a->scores;

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

  scorecam_top_k = a->c > SCORECAM_TOP_K;
  if (scorecam_top_k &&
      (job->mode == MCAM_COMPARE_ALL_METHODS || job->method == MCAM_METHOD_SCORECAM))
    g_string_append_printf (notes, _("Score-CAM on the %d most active of %d channels, "
                                     "to keep it interactive. "), SCORECAM_TOP_K, a->c);
  if (skipped->len > 0)
    g_string_append_printf (notes, _("Not shown: %s (they need a memory module)."),
                            skipped->str);

  result = g_new0 (JobResult, 1);
  result->tiles = g_ptr_array_new_with_free_func ((GDestroyNotify) tile_data_free);
  if (notes->len > 0)
    result->note = g_strdup (g_strchomp (notes->str));
  result->thumb = make_thumb (image, COMPUTE_SIDE);
  if (result->thumb == NULL)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_FAILED, _("%s: out of memory for a tile"),
                   job->path);
      job_result_free (result);
      return NULL;
    }

  for (guint i = 0; i < pairs->len; i++)
    {
      const int *pair = &g_array_index (pairs, int, 2 * i);
      TileData *t = g_new0 (TileData, 1);
      McamExplainOptions opts;
      g_autoptr(McamExplanation) e = NULL;
      g_autoptr(GError) local = NULL;
      gint64 t0;
      const char *class_name = job->class_names != NULL && pair[0] < (int) g_strv_length (job->class_names)
                               ? job->class_names[pair[0]] : "?";

      t->class_index = pair[0];
      t->method = pair[1];
      t->score = mcam_method_needs_memory (t->method) && a->memory_scores != NULL
                 ? a->memory_scores[t->class_index] : a->scores[t->class_index];
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
      t0 = g_get_monotonic_time ();
      e = mcam_explain (a, t->class_index, t->method, &opts, cancellable, &local);
      g_debug ("%s, class %d: %.1f ms", mcam_method_get_name (t->method), t->class_index,
               (g_get_monotonic_time () - t0) / 1000.0);
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          job_result_free (result);
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

/* ---------------------------------------------------------------- main thread */

typedef struct
{
  McamCompareView *view;    /* unowned: tiles live no longer than the view */
  int              class_index;
  McamMethod       method;
  char            *label;
  char            *tooltip;
  float           *map;
  gboolean         any_positive;
  cairo_surface_t *surface;
  GtkWidget       *area;
  GtkWidget       *caption;
} Tile;

static void
tile_free (Tile *t)
{
  g_free (t->label);
  g_free (t->tooltip);
  g_free (t->map);
  g_clear_pointer (&t->surface, cairo_surface_destroy);
  g_free (t);
}

struct _McamCompareView
{
  GtkBox           parent_instance;

  /* template */
  GtkToggleButton *methods_toggle;
  GtkToggleButton *classes_toggle;
  GtkDropDown     *class_dropdown;
  GtkDropDown     *method_dropdown;
  GtkDropDown     *size_dropdown;
  GtkButton       *export_button;
  GtkLabel        *status_label;
  GtkProgressBar  *progress_bar;
  GtkButton       *cancel_button;
  GtkFlowBox      *flow_box;

  McamWorker      *worker;
  McamModelInfo   *model;
  char            *path;
  McamCompareMode  mode;
  int              class_index;
  McamMethod       method;
  guint64          seed;
  int              draws;
  float            temperature;
  McamColormap     colormap;
  double           opacity;
  int              tile_size;

  McamImage       *thumb;
  GPtrArray       *tiles;         /* Tile, in grid order */
  char            *tiles_title;   /* what the shown tiles are of */
  char            *message;
  guint            serial;        /* of the newest job */
  guint            partial_serial; /* the job whose early tiles are shown */
  Sink            *sink;
  gboolean         busy;
  GCancellable    *cancellable;
  guint            idle_id;
  gboolean         updating;      /* setting widgets from code: no feedback */
};

G_DEFINE_FINAL_TYPE (McamCompareView, mcam_compare_view, GTK_TYPE_BOX)

enum { TILES_CHANGED, TILE_ACTIVATED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
set_message (McamCompareView *self, const char *message)
{
  g_free (self->message);
  self->message = g_strdup (message);
  gtk_label_set_text (self->status_label, message ? message : "");
}

static void
update_sensitivity (McamCompareView *self)
{
  gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), self->busy);
  gtk_widget_set_visible (GTK_WIDGET (self->cancel_button), self->busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->export_button),
                            !self->busy && self->tiles->len > 0);
}

/* The box a tile's overlay fits in: the thumbnail's shape, longer side = tile size. */
static void
tile_box (McamCompareView *self, int *w, int *h)
{
  int tw = self->thumb ? self->thumb->width : 4, th = self->thumb ? self->thumb->height : 3;
  double scale = (double) self->tile_size / MAX (tw, th);

  *w = MAX (1, (int) lround (tw * scale));
  *h = MAX (1, (int) lround (th * scale));
}

static void
render_tile (McamCompareView *self, Tile *t)
{
  g_clear_pointer (&t->surface, cairo_surface_destroy);
  if (self->thumb == NULL)
    return;
  t->surface = t->map != NULL
               ? mcam_overlay_render (self->thumb, t->map, self->colormap, self->opacity)
               : mcam_image_to_surface (self->thumb);
  if (t->area != NULL)
    gtk_widget_queue_draw (t->area);
}

static void
draw_tile_cb (GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer user_data)
{
  Tile *t = user_data;
  int sw, sh;
  double scale;

  if (t->surface == NULL || cairo_surface_status (t->surface) != CAIRO_STATUS_SUCCESS)
    return;
  sw = cairo_image_surface_get_width (t->surface);
  sh = cairo_image_surface_get_height (t->surface);
  scale = MIN ((double) width / sw, (double) height / sh);
  cairo_translate (cr, (width - sw * scale) / 2, (height - sh * scale) / 2);
  cairo_scale (cr, scale, scale);
  cairo_set_source_surface (cr, t->surface, 0, 0);
  cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_GOOD);
  cairo_paint (cr);
}

static void
size_tile_widgets (McamCompareView *self, Tile *t)
{
  int w, h;

  tile_box (self, &w, &h);
  gtk_drawing_area_set_content_width (GTK_DRAWING_AREA (t->area), w);
  gtk_drawing_area_set_content_height (GTK_DRAWING_AREA (t->area), h);
  gtk_widget_set_size_request (t->caption, w, -1);
}

static GtkWidget *
make_tile_widget (McamCompareView *self, Tile *t)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);

  t->area = gtk_drawing_area_new ();
  gtk_drawing_area_set_draw_func (GTK_DRAWING_AREA (t->area), draw_tile_cb, t, NULL);
  t->caption = gtk_label_new (t->label);
  gtk_label_set_ellipsize (GTK_LABEL (t->caption), PANGO_ELLIPSIZE_END);
  gtk_box_append (GTK_BOX (box), t->area);
  gtk_box_append (GTK_BOX (box), t->caption);
  gtk_widget_set_tooltip_text (box, t->tooltip ? t->tooltip : t->label);
  gtk_widget_set_halign (box, GTK_ALIGN_CENTER);
  size_tile_widgets (self, t);
  g_object_set_data (G_OBJECT (box), "tile", t);
  return box;
}

static void
clear_tiles (McamCompareView *self)
{
  GtkWidget *child;

  /* Widgets first: their draw functions point at the tiles. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->flow_box))) != NULL)
    gtk_flow_box_remove (self->flow_box, child);
  g_ptr_array_set_size (self->tiles, 0);
  g_clear_pointer (&self->thumb, mcam_image_free);
  g_clear_pointer (&self->tiles_title, g_free);
}

static char *
image_base (const char *path)
{
  char *base = g_path_get_basename (path);
  char *dot = strrchr (base, '.');

  if (dot != NULL && dot != base)
    *dot = '\0';
  return base;
}

static const char *
class_name (McamCompareView *self, int c)
{
  if (self->model == NULL || c < 0 || c >= self->model->n_classes)
    return "?";
  return self->model->classes[c];
}

/* Takes d's map. */
static void
add_tile (McamCompareView *self, TileData *d)
{
  Tile *t = g_new0 (Tile, 1);

  t->view = self;
  t->class_index = d->class_index;
  t->method = d->method;
  t->map = g_steal_pointer (&d->map);
  t->any_positive = d->any_positive;
  if (d->error != NULL)
    {
      t->label = g_strdup_printf (_("%s: failed"), d->label);
      t->tooltip = g_strdup (d->error);
    }
  else if (!d->any_positive)
    {
      /* An empty map is said so, not drawn as a flat colour that reads as a map. */
      t->label = g_strdup_printf (_("%s (no positive value)"), d->label);
      t->tooltip = g_strdup (_("This map has no positive value: the method finds no "
                               "evidence for the class here."));
      g_clear_pointer (&t->map, g_free);
    }
  else
    t->label = g_strdup (d->label);
  g_ptr_array_add (self->tiles, t);
  render_tile (self, t);
  gtk_flow_box_append (self->flow_box, make_tile_widget (self, t));
}

/* The tiles of a new job replace the old ones (thumb: transfer full). */
static void
start_tiles (McamCompareView *self, McamImage *thumb)
{
  g_autofree char *base = g_path_get_basename (self->path);

  clear_tiles (self);
  self->thumb = thumb;
  self->tiles_title = self->mode == MCAM_COMPARE_ALL_METHODS
    ? g_strdup_printf (_("%s — %s — all methods"), base, class_name (self, self->class_index))
    : g_strdup_printf (_("%s — %s — all classes"), base, mcam_method_get_label (self->method));
}

static void
show_result (McamCompareView *self, JobResult *r)
{
  start_tiles (self, g_steal_pointer (&r->thumb));
  for (guint i = 0; i < r->tiles->len; i++)
    add_tile (self, g_ptr_array_index (r->tiles, i));
  if (r->note != NULL)
    {
      g_autofree char *s = g_strdup_printf ("%s. %s", self->tiles_title, r->note);

      set_message (self, s);
    }
  else
    set_message (self, self->tiles_title);
}

static gboolean
partial_main (gpointer data)
{
  Partial *p = data;
  McamCompareView *self = p->sink->view;

  /* Only the newest job's tiles, and only while it runs. */
  if (self == NULL || p->serial != self->serial || !self->busy)
    return G_SOURCE_REMOVE;
  if (p->thumb != NULL)
    {
      start_tiles (self, g_steal_pointer (&p->thumb));
      self->partial_serial = p->serial;
    }
  if (self->partial_serial == p->serial)
    add_tile (self, p->tile);
  return G_SOURCE_REMOVE;
}

typedef struct
{
  McamCompareView *view;
  guint            serial;
} DoneData;

static void
compare_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DoneData *dd = user_data;
  g_autoptr(McamCompareView) self = dd->view;
  g_autoptr(GError) error = NULL;
  JobResult *r;
  guint serial = dd->serial;

  g_free (dd);
  r = mcam_worker_run_finish (MCAM_WORKER (source), result, &error);
  /* A newer request owns the view now. */
  if (serial != self->serial || self->worker == NULL)
    {
      g_clear_pointer (&r, job_result_free);
      return;
    }
  self->busy = FALSE;
  if (r != NULL)
    {
      show_result (self, r);
      job_result_free (r);
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    set_message (self, _("Cancelled."));
  else
    {
      clear_tiles (self);
      set_message (self, error->message);
    }
  update_sensitivity (self);
  g_signal_emit (self, signals[TILES_CHANGED], 0);
}

static void
compare_progress_cb (double fraction, const char *text, gpointer user_data)
{
  JobData *job = user_data;
  McamCompareView *self = job->sink->view;

  if (self == NULL || job->serial != self->serial || !self->busy)
    return;
  gtk_progress_bar_set_fraction (self->progress_bar, fraction);
  if (text != NULL)
    {
      g_autofree char *s = g_strdup_printf (_("Computing %s…"), text);

      set_message (self, s);
    }
}

static gboolean
refresh_idle (gpointer user_data)
{
  McamCompareView *self = user_data;

  self->idle_id = 0;
  mcam_compare_view_refresh (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_refresh (McamCompareView *self)
{
  if (self->idle_id == 0)
    self->idle_id = g_idle_add (refresh_idle, self);
}

void
mcam_compare_view_refresh (McamCompareView *self)
{
  JobData *job;
  DoneData *dd;

  g_return_if_fail (MCAM_IS_COMPARE_VIEW (self));

  g_clear_handle_id (&self->idle_id, g_source_remove);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->serial++;
  self->busy = FALSE;

  if (self->worker == NULL || self->model == NULL || self->path == NULL)
    {
      clear_tiles (self);
      set_message (self, _("Open a model and an image to compare their maps."));
      update_sensitivity (self);
      g_signal_emit (self, signals[TILES_CHANGED], 0);
      return;
    }
  if (self->mode == MCAM_COMPARE_ALL_METHODS && self->class_index < 0)
    {
      clear_tiles (self);
      set_message (self, _("Pick a class to compare every method's map of it."));
      update_sensitivity (self);
      g_signal_emit (self, signals[TILES_CHANGED], 0);
      return;
    }

  job = g_new0 (JobData, 1);
  job->sink = sink_ref (self->sink);
  job->serial = self->serial;
  job->path = g_strdup (self->path);
  job->mode = self->mode;
  job->class_index = self->class_index;
  job->method = self->method;
  job->seed = self->seed;
  job->draws = self->draws;
  job->temperature = self->temperature;
  job->class_names = g_strdupv (self->model->classes);

  dd = g_new0 (DoneData, 1);
  dd->view = g_object_ref (self);
  dd->serial = self->serial;

  self->cancellable = g_cancellable_new ();
  self->busy = TRUE;
  gtk_progress_bar_set_fraction (self->progress_bar, 0.0);
  set_message (self, _("Computing…"));
  update_sensitivity (self);
  mcam_worker_run_async (self->worker, _("Compare"), "compare", compare_job_func, job,
                         (GDestroyNotify) job_data_free, (GDestroyNotify) job_result_free,
                         compare_progress_cb, job, self->cancellable, compare_done_cb, dd);
}

void
mcam_compare_view_cancel (McamCompareView *self)
{
  g_return_if_fail (MCAM_IS_COMPARE_VIEW (self));
  g_clear_handle_id (&self->idle_id, g_source_remove);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
}

/* ---------------------------------------------------------------- export */

int
mcam_compare_view_grid_columns (guint n_tiles)
{
  return n_tiles <= 4 ? (int) MAX (n_tiles, 1) : n_tiles <= 16 ? 4 : 6;
}

cairo_surface_t *
mcam_compare_view_render_grid (McamCompareView *self, GError **error)
{
  g_autofree McamGridTile *grid = NULL;
  int w, h;

  g_return_val_if_fail (MCAM_IS_COMPARE_VIEW (self), NULL);
  if (self->tiles->len == 0)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE, _("There are no maps to export yet"));
      return NULL;
    }
  grid = g_new0 (McamGridTile, self->tiles->len);
  for (guint i = 0; i < self->tiles->len; i++)
    {
      Tile *t = g_ptr_array_index (self->tiles, i);

      grid[i].surface = t->surface;
      grid[i].label = t->label;
    }
  tile_box (self, &w, &h);
  /* Four tiles a row (six from 17 on): a grid that fits a page or a slide. */
  return mcam_grid_compose (grid, self->tiles->len, mcam_compare_view_grid_columns (self->tiles->len), w, h,
                            self->tiles_title, error);
}

gboolean
mcam_compare_view_export_to (McamCompareView *self, const char *path, gboolean replace,
                             GError **error)
{
  cairo_surface_t *surface;
  gboolean ok;

  g_return_val_if_fail (MCAM_IS_COMPARE_VIEW (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (!replace && g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                   _("%s already exists: choose another name, or confirm replacing it"), path);
      return FALSE;
    }
  surface = mcam_compare_view_render_grid (self, error);
  if (surface == NULL)
    return FALSE;
  ok = mcam_surface_write_png (surface, path, error);
  cairo_surface_destroy (surface);
  return ok;
}

char *
mcam_compare_view_suggest_name (McamCompareView *self)
{
  g_autofree char *base = NULL;
  g_autofree char *cls = NULL;

  g_return_val_if_fail (MCAM_IS_COMPARE_VIEW (self), NULL);
  base = self->path ? image_base (self->path) : g_strdup ("image");
  if (self->mode == MCAM_COMPARE_ALL_CLASSES)
    return g_strdup_printf ("%s__all-classes__%s.png", base, mcam_method_get_name (self->method));
  cls = g_strdup (class_name (self, self->class_index));
  g_strcanon (cls, G_CSET_A_2_Z G_CSET_a_2_z G_CSET_DIGITS "-+.,()", '_');
  return g_strdup_printf ("%s__%s__all-methods.png", base, cls);
}

static void
export_response_cb (GtkNativeDialog *native, int response, McamCompareView *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (native));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;
      g_autoptr(GError) error = NULL;

      /* The save dialog has already asked before replacing a file. */
      if (path == NULL)
        set_message (self, _("The grid can only be saved to a local file."));
      else if (mcam_compare_view_export_to (self, path, TRUE, &error))
        {
          g_autofree char *s = g_strdup_printf (_("Saved %s"), path);

          set_message (self, s);
        }
      else
        set_message (self, error->message);
    }
  gtk_native_dialog_destroy (native);
  g_object_unref (native);
  g_object_unref (self);
}

static void
export_clicked_cb (McamCompareView *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkFileChooserNative *native;
  g_autofree char *name = mcam_compare_view_suggest_name (self);

  native = gtk_file_chooser_native_new (_("Export Grid"),
                                        GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                        GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"),
                                        _("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (native), name);
  if (self->path != NULL)
    {
      g_autofree char *dir = g_path_get_dirname (self->path);
      g_autoptr(GFile) folder = g_file_new_for_path (dir);

      gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (native), folder, NULL);
    }
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  g_signal_connect (native, "response", G_CALLBACK (export_response_cb), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

/* ---------------------------------------------------------------- setters */

static void
sync_widgets (McamCompareView *self)
{
  gboolean methods = self->mode == MCAM_COMPARE_ALL_METHODS;

  self->updating = TRUE;
  gtk_toggle_button_set_active (methods ? self->methods_toggle : self->classes_toggle, TRUE);
  gtk_widget_set_visible (GTK_WIDGET (self->class_dropdown), methods);
  gtk_widget_set_visible (GTK_WIDGET (self->method_dropdown), !methods);
  if (self->class_index >= 0)
    gtk_drop_down_set_selected (self->class_dropdown, self->class_index);
  for (guint i = 0; i < G_N_ELEMENTS (compare_methods); i++)
    if (compare_methods[i] == self->method)
      gtk_drop_down_set_selected (self->method_dropdown, i);
  self->updating = FALSE;
}

void
mcam_compare_view_set_model (McamCompareView *self, McamModelInfo *info)
{
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);

  g_return_if_fail (MCAM_IS_COMPARE_VIEW (self));
  if (info == self->model)
    return;
  g_clear_pointer (&self->model, mcam_model_info_unref);
  self->model = info ? mcam_model_info_ref (info) : NULL;
  for (int c = 0; info != NULL && c < info->n_classes; c++)
    gtk_string_list_append (names, info->classes[c]);
  self->updating = TRUE;
  gtk_drop_down_set_model (self->class_dropdown, G_LIST_MODEL (names));
  self->updating = FALSE;
  if (info == NULL || self->class_index >= info->n_classes)
    self->class_index = -1;
  sync_widgets (self);
  schedule_refresh (self);
}

void
mcam_compare_view_set_image (McamCompareView *self, const char *path)
{
  g_return_if_fail (MCAM_IS_COMPARE_VIEW (self));
  if (g_strcmp0 (path, self->path) == 0)
    return;
  g_free (self->path);
  self->path = g_strdup (path);
  schedule_refresh (self);
}

void
mcam_compare_view_set_class (McamCompareView *self, int class_index)
{
  g_return_if_fail (MCAM_IS_COMPARE_VIEW (self));
  if (class_index == self->class_index)
    return;
  self->class_index = class_index;
  sync_widgets (self);
  if (self->mode == MCAM_COMPARE_ALL_METHODS)
    schedule_refresh (self);
}

void
mcam_compare_view_set_method (McamCompareView *self, McamMethod method)
{
  g_return_if_fail (MCAM_IS_COMPARE_VIEW (self));
  g_return_if_fail (method < MCAM_N_METHODS);
  if (method == self->method)
    return;
  self->method = method;
  sync_widgets (self);
  if (self->mode == MCAM_COMPARE_ALL_CLASSES)
    schedule_refresh (self);
}

void
mcam_compare_view_set_mode (McamCompareView *self, McamCompareMode mode)
{
  g_return_if_fail (MCAM_IS_COMPARE_VIEW (self));
  if (mode == self->mode)
    return;
  self->mode = mode;
  sync_widgets (self);
  schedule_refresh (self);
}

McamCompareMode
mcam_compare_view_get_mode (McamCompareView *self)
{
  g_return_val_if_fail (MCAM_IS_COMPARE_VIEW (self), MCAM_COMPARE_ALL_METHODS);
  return self->mode;
}

void
mcam_compare_view_set_options (McamCompareView *self, guint64 seed, int draws,
                               float temperature)
{
  g_return_if_fail (MCAM_IS_COMPARE_VIEW (self));
  if (seed == self->seed && draws == self->draws && temperature == self->temperature)
    return;
  self->seed = seed;
  self->draws = draws;
  self->temperature = temperature;
  schedule_refresh (self);
}

static void
rerender_all (McamCompareView *self)
{
  for (guint i = 0; i < self->tiles->len; i++)
    render_tile (self, g_ptr_array_index (self->tiles, i));
}

void
mcam_compare_view_set_colormap (McamCompareView *self, McamColormap colormap)
{
  g_return_if_fail (MCAM_IS_COMPARE_VIEW (self));
  if (colormap >= MCAM_N_COLORMAPS || colormap == self->colormap)
    return;
  self->colormap = colormap;
  rerender_all (self);
}

void
mcam_compare_view_set_opacity (McamCompareView *self, double opacity)
{
  g_return_if_fail (MCAM_IS_COMPARE_VIEW (self));
  opacity = CLAMP (opacity, 0.0, 1.0);
  if (opacity == self->opacity)
    return;
  self->opacity = opacity;
  rerender_all (self);
}

void
mcam_compare_view_set_tile_size (McamCompareView *self, int size)
{
  g_return_if_fail (MCAM_IS_COMPARE_VIEW (self));
  size = CLAMP (size, 32, 1024);
  self->tile_size = size;
  for (guint i = 0; i < self->tiles->len; i++)
    size_tile_widgets (self, g_ptr_array_index (self->tiles, i));
  self->updating = TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (tile_sizes); i++)
    if (tile_sizes[i] == size)
      gtk_drop_down_set_selected (self->size_dropdown, i);
  self->updating = FALSE;
}

int
mcam_compare_view_get_tile_size (McamCompareView *self)
{
  g_return_val_if_fail (MCAM_IS_COMPARE_VIEW (self), 0);
  return self->tile_size;
}

gboolean
mcam_compare_view_is_busy (McamCompareView *self)
{
  g_return_val_if_fail (MCAM_IS_COMPARE_VIEW (self), FALSE);
  return self->busy || self->idle_id != 0;
}

const char *
mcam_compare_view_get_message (McamCompareView *self)
{
  g_return_val_if_fail (MCAM_IS_COMPARE_VIEW (self), NULL);
  return self->message;
}

static Tile *
get_tile (McamCompareView *self, guint i)
{
  g_return_val_if_fail (MCAM_IS_COMPARE_VIEW (self), NULL);
  g_return_val_if_fail (i < self->tiles->len, NULL);
  return g_ptr_array_index (self->tiles, i);
}

guint
mcam_compare_view_get_n_tiles (McamCompareView *self)
{
  g_return_val_if_fail (MCAM_IS_COMPARE_VIEW (self), 0);
  return self->tiles->len;
}

cairo_surface_t *
mcam_compare_view_get_tile_surface (McamCompareView *self, guint i)
{
  Tile *t = get_tile (self, i);

  return t ? t->surface : NULL;
}

const char *
mcam_compare_view_get_tile_label (McamCompareView *self, guint i)
{
  Tile *t = get_tile (self, i);

  return t ? t->label : NULL;
}

int
mcam_compare_view_get_tile_class (McamCompareView *self, guint i)
{
  Tile *t = get_tile (self, i);

  return t ? t->class_index : -1;
}

McamMethod
mcam_compare_view_get_tile_method (McamCompareView *self, guint i)
{
  Tile *t = get_tile (self, i);

  return t ? t->method : MCAM_METHOD_MCAM;
}

/* ---------------------------------------------------------------- widgets */

static void
mode_toggled_cb (McamCompareView *self)
{
  if (self->updating)
    return;
  mcam_compare_view_set_mode (self, gtk_toggle_button_get_active (self->classes_toggle)
                                    ? MCAM_COMPARE_ALL_CLASSES : MCAM_COMPARE_ALL_METHODS);
}

static void
class_selected_cb (McamCompareView *self)
{
  guint pos = gtk_drop_down_get_selected (self->class_dropdown);

  if (self->updating || pos == GTK_INVALID_LIST_POSITION)
    return;
  mcam_compare_view_set_class (self, (int) pos);
}

static void
method_selected_cb (McamCompareView *self)
{
  guint pos = gtk_drop_down_get_selected (self->method_dropdown);

  if (self->updating || pos >= G_N_ELEMENTS (compare_methods))
    return;
  mcam_compare_view_set_method (self, compare_methods[pos]);
}

static void
size_selected_cb (McamCompareView *self)
{
  guint pos = gtk_drop_down_get_selected (self->size_dropdown);

  if (self->updating || pos >= G_N_ELEMENTS (tile_sizes))
    return;
  mcam_compare_view_set_tile_size (self, tile_sizes[pos]);
}

static void
child_activated_cb (McamCompareView *self, GtkFlowBoxChild *child)
{
  Tile *t = g_object_get_data (G_OBJECT (gtk_flow_box_child_get_child (child)), "tile");

  if (t != NULL)
    g_signal_emit (self, signals[TILE_ACTIVATED], 0, t->class_index, (int) t->method);
}

static void
mcam_compare_view_dispose (GObject *object)
{
  McamCompareView *self = MCAM_COMPARE_VIEW (object);

  g_clear_handle_id (&self->idle_id, g_source_remove);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->sink != NULL)
    {
      self->sink->view = NULL;
      g_clear_pointer (&self->sink, sink_unref);
    }
  /* Pending callbacks see worker == NULL and stop. */
  g_clear_object (&self->worker);
  if (self->tiles != NULL)
    clear_tiles (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), MCAM_TYPE_COMPARE_VIEW);
  G_OBJECT_CLASS (mcam_compare_view_parent_class)->dispose (object);
}

static void
mcam_compare_view_finalize (GObject *object)
{
  McamCompareView *self = MCAM_COMPARE_VIEW (object);

  g_clear_pointer (&self->tiles, g_ptr_array_unref);
  g_clear_pointer (&self->thumb, mcam_image_free);
  g_clear_pointer (&self->model, mcam_model_info_unref);
  g_free (self->path);
  g_free (self->tiles_title);
  g_free (self->message);
  G_OBJECT_CLASS (mcam_compare_view_parent_class)->finalize (object);
}

static void
mcam_compare_view_class_init (McamCompareViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = mcam_compare_view_dispose;
  object_class->finalize = mcam_compare_view_finalize;

  signals[TILES_CHANGED] = g_signal_new ("tiles-changed", G_TYPE_FROM_CLASS (klass),
                                         G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                         G_TYPE_NONE, 0);
  signals[TILE_ACTIVATED] = g_signal_new ("tile-activated", G_TYPE_FROM_CLASS (klass),
                                          G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                          G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_INT);

  gtk_widget_class_set_template_from_resource (widget_class,
      "/io/github/mcam_explorer/MCamExplorer/ui/mcam-compare-view.ui");
  gtk_widget_class_bind_template_child (widget_class, McamCompareView, methods_toggle);
  gtk_widget_class_bind_template_child (widget_class, McamCompareView, classes_toggle);
  gtk_widget_class_bind_template_child (widget_class, McamCompareView, class_dropdown);
  gtk_widget_class_bind_template_child (widget_class, McamCompareView, method_dropdown);
  gtk_widget_class_bind_template_child (widget_class, McamCompareView, size_dropdown);
  gtk_widget_class_bind_template_child (widget_class, McamCompareView, export_button);
  gtk_widget_class_bind_template_child (widget_class, McamCompareView, status_label);
  gtk_widget_class_bind_template_child (widget_class, McamCompareView, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, McamCompareView, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, McamCompareView, flow_box);
}

static void
mcam_compare_view_init (McamCompareView *self)
{
  g_autoptr(GtkStringList) methods = gtk_string_list_new (NULL);
  McamMapRequest defaults;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->tiles = g_ptr_array_new_with_free_func ((GDestroyNotify) tile_free);
  self->sink = g_atomic_rc_box_new0 (Sink);
  self->sink->view = self;
  self->mode = MCAM_COMPARE_ALL_METHODS;
  self->class_index = -1;
  self->method = MCAM_METHOD_MCAM;
  self->colormap = MCAM_COLORMAP_TURBO;
  self->opacity = 0.5;
  self->tile_size = tile_sizes[1];
  mcam_map_request_init (&defaults);
  self->seed = defaults.seed;
  self->draws = defaults.draws;
  self->temperature = defaults.temperature;

  for (guint i = 0; i < G_N_ELEMENTS (compare_methods); i++)
    gtk_string_list_append (methods, mcam_method_get_label (compare_methods[i]));
  gtk_drop_down_set_model (self->method_dropdown, G_LIST_MODEL (methods));
  gtk_drop_down_set_selected (self->size_dropdown, 1);
  sync_widgets (self);

  g_signal_connect_swapped (self->classes_toggle, "toggled", G_CALLBACK (mode_toggled_cb),
                            self);
  g_signal_connect_swapped (self->class_dropdown, "notify::selected",
                            G_CALLBACK (class_selected_cb), self);
  g_signal_connect_swapped (self->method_dropdown, "notify::selected",
                            G_CALLBACK (method_selected_cb), self);
  g_signal_connect_swapped (self->size_dropdown, "notify::selected",
                            G_CALLBACK (size_selected_cb), self);
  g_signal_connect_swapped (self->export_button, "clicked", G_CALLBACK (export_clicked_cb),
                            self);
  g_signal_connect_swapped (self->cancel_button, "clicked",
                            G_CALLBACK (mcam_compare_view_cancel), self);
  g_signal_connect_swapped (self->flow_box, "child-activated",
                            G_CALLBACK (child_activated_cb), self);
  set_message (self, _("Open a model and an image to compare their maps."));
  update_sensitivity (self);
}

GtkWidget *
mcam_compare_view_new (McamWorker *worker)
{
  McamCompareView *self = g_object_new (MCAM_TYPE_COMPARE_VIEW, NULL);

  g_return_val_if_fail (MCAM_IS_WORKER (worker), GTK_WIDGET (self));
  self->worker = g_object_ref (worker);
  return GTK_WIDGET (self);
}
