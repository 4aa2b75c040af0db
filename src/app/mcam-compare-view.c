/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Compare mode (DESIGN 6, issue 6 item 4): every method for one class, or
 * every class for one method, side by side. One worker job
 * (mcam-compare-job.c) computes every tile's map on a small copy of the
 * image; here the main thread only blends the overlays (so colormap and
 * opacity changes cost no recomputation), lays out the tiles and exports
 * the grid with the core's mcam_grid_compose. */

#define G_LOG_DOMAIN "mcam-compare"

#include "config.h"

#include <math.h>

#include <glib/gi18n.h>

#include "mcam-compare-view-private.h"

/* Small / medium / large tiles (longer side, pixels). */
static const int tile_sizes[] = { 160, 224, 320 };

/* ---------------------------------------------------------------- main thread */

static void
tile_free (Tile *t)
{
  g_free (t->label);
  g_free (t->tooltip);
  g_free (t->map);
  g_clear_pointer (&t->surface, cairo_surface_destroy);
  g_free (t);
}

G_DEFINE_FINAL_TYPE (McamCompareView, mcam_compare_view, GTK_TYPE_BOX)

enum { TILES_CHANGED, TILE_ACTIVATED, N_SIGNALS };
static guint signals[N_SIGNALS];

void
_mcam_compare_view_set_message (McamCompareView *self, const char *message)
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
void
_mcam_compare_view_tile_box (McamCompareView *self, int *w, int *h)
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

  _mcam_compare_view_tile_box (self, &w, &h);
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

const char *
_mcam_compare_view_class_name (McamCompareView *self, int c)
{
  if (self->model == NULL || c < 0 || c >= self->model->n_classes)
    return "?";
  return self->model->classes[c];
}

/* Takes d's map. */
static void
add_tile (McamCompareView *self, McamCompareTile *d)
{
  Tile *t = g_new0 (Tile, 1);

  t->view = self;
  t->class_index = d->class_index;
  t->method = d->method;
  t->head = d->head;
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
    ? g_strdup_printf (_("%s — %s — all methods"), base, _mcam_compare_view_class_name (self, self->class_index))
    : g_strdup_printf (_("%s — %s — all classes"), base, mcam_method_get_label (self->method));
  if (self->head != NULL)
    {
      /* TRANSLATORS: the grid's title and whose maps it shows */
      char *titled = g_strdup_printf (_("%s — explaining the %s"), self->tiles_title,
                                      self->prefer_refit ? _("re-fit head") : _("network's head"));

      g_free (self->tiles_title);
      self->tiles_title = titled;
    }
}

static void
show_result (McamCompareView *self, McamCompareResult *r)
{
  start_tiles (self, g_steal_pointer (&r->thumb));
  for (guint i = 0; i < r->tiles->len; i++)
    add_tile (self, g_ptr_array_index (r->tiles, i));
  if (r->note != NULL)
    {
      g_autofree char *s = g_strdup_printf ("%s. %s", self->tiles_title, r->note);

      _mcam_compare_view_set_message (self, s);
    }
  else
    _mcam_compare_view_set_message (self, self->tiles_title);
}

/* A tile of the running job ("all methods"): shown at once. */
static void
early_tile_cb (gpointer target, guint serial, McamImage *thumb, McamCompareTile *tile)
{
  McamCompareView *self = target;

  /* Only the newest job's tiles, and only while it runs. */
  if (serial == self->serial && self->busy)
    {
      if (thumb != NULL)
        {
          start_tiles (self, g_steal_pointer (&thumb));
          self->partial_serial = serial;
        }
      if (self->partial_serial == serial)
        add_tile (self, tile);
    }
  g_clear_pointer (&thumb, mcam_image_free);
  mcam_compare_tile_free (tile);
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
  McamCompareResult *r;
  guint serial = dd->serial;

  g_free (dd);
  r = mcam_worker_run_finish (MCAM_WORKER (source), result, &error);
  /* A newer request owns the view now. */
  if (serial != self->serial || self->worker == NULL)
    {
      g_clear_pointer (&r, mcam_compare_result_free);
      return;
    }
  self->busy = FALSE;
  if (r != NULL)
    {
      show_result (self, r);
      mcam_compare_result_free (r);
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    _mcam_compare_view_set_message (self, _("Cancelled."));
  else
    {
      clear_tiles (self);
      _mcam_compare_view_set_message (self, error->message);
    }
  update_sensitivity (self);
  g_signal_emit (self, signals[TILES_CHANGED], 0);
}

static void
compare_progress_cb (double fraction, const char *text, gpointer user_data)
{
  McamCompareJob *job = user_data;
  McamCompareView *self = mcam_compare_sink_get_target (job->sink);

  if (self == NULL || job->serial != self->serial || !self->busy)
    return;
  gtk_progress_bar_set_fraction (self->progress_bar, fraction);
  if (text != NULL)
    {
      g_autofree char *s = g_strdup_printf (_("Computing %s…"), text);

      _mcam_compare_view_set_message (self, s);
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

void
_mcam_compare_view_schedule_refresh (McamCompareView *self)
{
  if (self->idle_id == 0)
    self->idle_id = g_idle_add (refresh_idle, self);
}

void
mcam_compare_view_refresh (McamCompareView *self)
{
  McamCompareJob *job;
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
      _mcam_compare_view_set_message (self, _("Open a model and an image to compare their maps."));
      update_sensitivity (self);
      g_signal_emit (self, signals[TILES_CHANGED], 0);
      return;
    }
  if (self->mode == MCAM_COMPARE_ALL_METHODS && self->class_index < 0)
    {
      clear_tiles (self);
      _mcam_compare_view_set_message (self, _("Pick a class to compare every method's map of it."));
      update_sensitivity (self);
      g_signal_emit (self, signals[TILES_CHANGED], 0);
      return;
    }

  job = g_new0 (McamCompareJob, 1);
  job->sink = mcam_compare_sink_ref (self->sink);
  job->serial = self->serial;
  job->path = g_strdup (self->path);
  job->mode = self->mode;
  job->class_index = self->class_index;
  job->method = self->method;
  job->seed = self->seed;
  job->draws = self->draws;
  job->temperature = self->temperature;
  job->class_names = g_strdupv (self->model->classes);
  job->head_loaded = self->head != NULL;
  if (self->head != NULL && self->prefer_refit)
    job->head = mcam_head_ref_acquire (self->head);

  dd = g_new0 (DoneData, 1);
  dd->view = g_object_ref (self);
  dd->serial = self->serial;

  self->cancellable = g_cancellable_new ();
  self->busy = TRUE;
  gtk_progress_bar_set_fraction (self->progress_bar, 0.0);
  _mcam_compare_view_set_message (self, _("Computing…"));
  update_sensitivity (self);
  mcam_worker_run_async (self->worker, _("Compare"), "compare", mcam_compare_job_run, job,
                         (GDestroyNotify) mcam_compare_job_free, (GDestroyNotify) mcam_compare_result_free,
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
  if (self->method < MCAM_N_METHODS)
    gtk_drop_down_set_selected (self->method_dropdown, self->method);
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
  _mcam_compare_view_schedule_refresh (self);
}

void
mcam_compare_view_set_image (McamCompareView *self, const char *path)
{
  g_return_if_fail (MCAM_IS_COMPARE_VIEW (self));
  if (g_strcmp0 (path, self->path) == 0)
    return;
  g_free (self->path);
  self->path = g_strdup (path);
  _mcam_compare_view_schedule_refresh (self);
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
    _mcam_compare_view_schedule_refresh (self);
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
    _mcam_compare_view_schedule_refresh (self);
}

void
mcam_compare_view_set_mode (McamCompareView *self, McamCompareMode mode)
{
  g_return_if_fail (MCAM_IS_COMPARE_VIEW (self));
  if (mode == self->mode)
    return;
  self->mode = mode;
  sync_widgets (self);
  _mcam_compare_view_schedule_refresh (self);
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
  _mcam_compare_view_schedule_refresh (self);
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

McamCompareHead
mcam_compare_view_get_tile_head (McamCompareView *self, guint i)
{
  Tile *t = get_tile (self, i);

  return t ? t->head : MCAM_COMPARE_HEAD_NETWORK;
}

const float *
mcam_compare_view_get_tile_map (McamCompareView *self, guint i, int *width, int *height)
{
  Tile *t = get_tile (self, i);

  *width = self->thumb ? self->thumb->width : 0;
  *height = self->thumb ? self->thumb->height : 0;
  return t ? t->map : NULL;
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

  if (self->updating || pos >= MCAM_N_METHODS)
    return;
  mcam_compare_view_set_method (self, (McamMethod) pos);
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
      mcam_compare_sink_detach (self->sink);
      g_clear_pointer (&self->sink, mcam_compare_sink_unref);
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
  g_clear_pointer (&self->head, mcam_head_ref_release);
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
  gtk_widget_class_bind_template_child (widget_class, McamCompareView, head_dropdown);
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
  self->sink = mcam_compare_sink_new (self, early_tile_cb);
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

  /* The menu lists the methods in the enum's order, like the class list's. */
  for (int m = 0; m < MCAM_N_METHODS; m++)
    gtk_string_list_append (methods, mcam_method_get_label (m));
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
  g_signal_connect_swapped (self->head_dropdown, "notify::selected",
                            G_CALLBACK (_mcam_compare_view_head_selected), self);
  g_signal_connect_swapped (self->export_button, "clicked",
                            G_CALLBACK (_mcam_compare_view_run_export_dialog), self);
  g_signal_connect_swapped (self->cancel_button, "clicked",
                            G_CALLBACK (mcam_compare_view_cancel), self);
  g_signal_connect_swapped (self->flow_box, "child-activated",
                            G_CALLBACK (child_activated_cb), self);
  _mcam_compare_view_set_message (self, _("Open a model and an image to compare their maps."));
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
