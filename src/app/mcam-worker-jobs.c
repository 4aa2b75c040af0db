/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The worker's built-in jobs (load a model, analyse an image, compute a map,
 * export, render for the clipboard) and the boxed results they return. Each
 * job function runs on the worker thread; see mcam-worker.c for the queue. */

#define G_LOG_DOMAIN "mcam-worker"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "mcam/mcam-class-names.h"
#include "mcam/mcam-png.h"

#include "mcam-worker-private.h"

/* ---------------------------------------------------------------- boxed results */

McamModelInfo *
mcam_model_info_ref (McamModelInfo *info)
{
  return g_atomic_rc_box_acquire (info);
}

static void
model_info_clear (McamModelInfo *info)
{
  g_free (info->model_path);
  g_free (info->memory_path);
  g_free (info->title);
  g_free (info->fingerprint);
  g_free (info->target);
  g_free (info->default_target);
  g_strfreev (info->classes);
}

void
mcam_model_info_unref (McamModelInfo *info)
{
  g_atomic_rc_box_release_full (info, (GDestroyNotify) model_info_clear);
}

McamImageResult *
mcam_image_result_ref (McamImageResult *r)
{
  return g_atomic_rc_box_acquire (r);
}

static void
image_result_clear (McamImageResult *r)
{
  g_free (r->path);
  g_bytes_unref (r->rgb);
  g_free (r->scores);
  g_free (r->memory_scores);
  g_free (r->p);
  g_free (r->p_s);
}

void
mcam_image_result_unref (McamImageResult *r)
{
  g_atomic_rc_box_release_full (r, (GDestroyNotify) image_result_clear);
}

void
mcam_map_request_init (McamMapRequest *req)
{
  McamExplainOptions opts;

  mcam_explain_options_init (&opts);
  memset (req, 0, sizeof *req);
  req->class_index = 0;
  req->method = MCAM_METHOD_MCAM;
  req->colormap = MCAM_COLORMAP_TURBO;
  req->slot = -1;
  req->seed = opts.seed;
  req->draws = opts.draws;
  req->temperature = opts.temperature;
}

McamMapRequest *
mcam_map_request_copy (const McamMapRequest *req)
{
  McamMapRequest *copy = g_memdup2 (req, sizeof *req);

  copy->path = g_strdup (req->path);
  return copy;
}

void
mcam_map_request_free (McamMapRequest *req)
{
  if (req == NULL)
    return;
  g_free (req->path);
  g_free (req);
}

McamMapResult *
mcam_map_result_ref (McamMapResult *r)
{
  return g_atomic_rc_box_acquire (r);
}

static void
map_result_clear (McamMapResult *r)
{
  mcam_map_request_free (r->request);
  g_clear_pointer (&r->image, mcam_image_result_unref);
  g_clear_pointer (&r->explanation, mcam_explanation_free);
  g_free (r->map);
  g_clear_pointer (&r->map_rgb, g_bytes_unref);
}

void
mcam_map_result_unref (McamMapResult *r)
{
  g_atomic_rc_box_release_full (r, (GDestroyNotify) map_result_clear);
}

static void
export_item_free (McamExportItem *item)
{
  g_free (item->image_path);
  g_free (item->out_path);
  g_free (item);
}

McamExportRequest *
mcam_export_request_new (void)
{
  McamExportRequest *req = g_new0 (McamExportRequest, 1);
  McamExplainOptions opts;

  mcam_explain_options_init (&opts);
  req->items = g_ptr_array_new_with_free_func ((GDestroyNotify) export_item_free);
  req->colormap = MCAM_COLORMAP_TURBO;
  req->opacity = 0.5;
  req->seed = opts.seed;
  req->draws = opts.draws;
  req->temperature = opts.temperature;
  return req;
}

void
mcam_export_request_add (McamExportRequest *req, const char *image_path, int class_index,
                         McamMethod method, const char *out_path)
{
  McamExportItem *item = g_new0 (McamExportItem, 1);

  item->image_path = g_strdup (image_path);
  item->class_index = class_index;
  item->method = method;
  item->slot = -1;
  item->out_path = g_strdup (out_path);
  g_ptr_array_add (req->items, item);
}

void
mcam_export_request_free (McamExportRequest *req)
{
  if (req == NULL)
    return;
  g_ptr_array_unref (req->items);
  g_free (req);
}

/* ---------------------------------------------------------------- built-in jobs */

typedef struct
{
  char *model_path;
  char *memory_path;
} LoadData;

static void
load_data_free (LoadData *d)
{
  g_free (d->model_path);
  g_free (d->memory_path);
  g_free (d);
}

/* The layer a memory file says it was trained for (mcam.memory.layer), or NULL. */
static char *
memory_layer (const char *path)
{
  McamSafetensors *st = mcam_safetensors_open (path, NULL);
  char *layer;

  if (st == NULL)
    return NULL;
  layer = g_strdup (mcam_safetensors_get_metadata (st, "mcam.memory.layer"));
  mcam_safetensors_free (st);
  return layer;
}

static gpointer
load_model_func (McamWorkerContext *ctx, gpointer data, GCancellable *cancellable,
                 GError **error)
{
  LoadData *d = data;
  g_autoptr(McamNet) net = NULL;
  g_autoptr(McamMemory) memory = NULL;
  g_autofree char *default_target = NULL;

  mcam_worker_context_progress (ctx, 0.0, _("Loading the model…"));
  net = mcam_net_load (d->model_path, error);
  if (net == NULL)
    return NULL;
  /* class names from a classes.txt beside the model, as the CLI does */
  if (!mcam_class_names_apply (net, NULL, NULL, error))
    return NULL;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  default_target = g_strdup (mcam_net_get_info (net)->target);
  if (d->memory_path != NULL || mcam_memory_has_memory (d->model_path))
    {
      g_autoptr(GError) local = NULL;
      g_autofree char *layer = memory_layer (d->memory_path ? d->memory_path : d->model_path);

      /* A memory trained for another layer opens at its layer (as the
       * layer chooser would put it); a layer the net has not is refused
       * below, with the memory's message. */
      if (layer != NULL && g_strcmp0 (layer, default_target) != 0)
        mcam_net_set_target (net, layer, NULL);

      memory = mcam_memory_load (d->memory_path ? d->memory_path : d->model_path, net, &local);
      if (memory == NULL)
        {
          /* The backbone was fine: the window heads this "the memory module
           * could not be opened", not "the model". */
          g_set_error_literal (error, MCAM_WORKER_MEMORY_ERROR, local->code, local->message);
          return NULL;
        }
    }
  mcam_worker_context_progress (ctx, 1.0, NULL);
  /* Only now, with both files valid, does the old model go. */
  g_free (ctx->worker->default_target);
  ctx->worker->default_target = g_steal_pointer (&default_target);
  return _mcam_worker_install_model (ctx->worker, g_steal_pointer (&net),
                                     g_steal_pointer (&memory), d->model_path, d->memory_path);
}

void
mcam_worker_load_model_async (McamWorker *self, const char *model_path,
                              const char *memory_path, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data)
{
  LoadData *d = g_new0 (LoadData, 1);
  g_autofree char *base = g_path_get_basename (model_path);
  g_autofree char *label = g_strdup_printf (_("Loading %s"), base);

  d->model_path = g_strdup (model_path);
  d->memory_path = g_strdup (memory_path);
  mcam_worker_run_async (self, label, "model", load_model_func, d,
                         (GDestroyNotify) load_data_free,
                         (GDestroyNotify) mcam_model_info_unref, NULL, NULL,
                         cancellable, callback, user_data);
}

McamModelInfo *
mcam_worker_load_model_finish (McamWorker *self, GAsyncResult *result, GError **error)
{
  return mcam_worker_run_finish (self, result, error);
}

static gpointer
analyse_func (McamWorkerContext *ctx, gpointer data, GCancellable *cancellable,
              GError **error)
{
  CacheEntry *e = _mcam_worker_cache_lookup (ctx->worker, data, cancellable, error);

  return e != NULL ? _mcam_worker_cache_entry_get_result (ctx->worker, e) : NULL;
}

void
mcam_worker_analyse_async (McamWorker *self, const char *path, GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data)
{
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *label = g_strdup_printf (_("Analysing %s"), base);

  mcam_worker_run_async (self, label, "analysis", analyse_func, g_strdup (path), g_free,
                         (GDestroyNotify) mcam_image_result_unref, NULL, NULL,
                         cancellable, callback, user_data);
}

McamImageResult *
mcam_worker_analyse_finish (McamWorker *self, GAsyncResult *result, GError **error)
{
  return mcam_worker_run_finish (self, result, error);
}

static GBytes *
colormap_bytes (const float *map, gsize n, McamColormap cm)
{
  guint8 lut[256][3];
  guint8 *rgb = g_malloc (n * 3);

  for (int i = 0; i < 256; i++)
    mcam_colormap_lookup (cm, i / 255.0f, lut[i]);
  for (gsize i = 0; i < n; i++)
    {
      float v = map[i];
      int k = (int) (CLAMP (v, 0.0f, 1.0f) * 255.0f + 0.5f);

      memcpy (rgb + 3 * i, lut[k], 3);
    }
  return g_bytes_new_take (rgb, n * 3);
}

/* The explanation of one (image, class, method) and its map on `onto` (the
 * image's own pixels for exports, its display copy for the window); shared by
 * the map, export and clipboard jobs. */
static McamExplanation *
explain_on_image (McamWorker *self, CacheEntry *e, const McamImage *onto, int class_index,
                  McamMethod method, int slot, guint64 seed, int draws, float temperature,
                  float **map_out, GCancellable *cancellable, GError **error)
{
  McamExplainOptions opts;
  McamExplanation *expl;

  if (class_index < 0 || class_index >= e->analysis->n_classes)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE,
                   _("%s: class %d does not exist in this model"), e->path, class_index);
      return NULL;
    }
  if (mcam_method_needs_memory (method) && self->memory == NULL)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE,
                   /* Translators: the menu items of the main menu, as the menu names them. */
                   _("%s needs a memory module, and this model has none: open one with "
                     "Open Memory Module… in the main menu, or make one with Train a Memory "
                     "Module…"), mcam_method_get_label (method));
      return NULL;
    }

  mcam_explain_options_init (&opts);
  opts.seed = seed;
  opts.draws = MAX (draws, 1);
  opts.temperature = temperature > 0 ? temperature : 1.0f;
  opts.slot = slot;
  opts.image = e->image;
  expl = mcam_explain (e->analysis, class_index, method, &opts, cancellable, error);
  if (expl == NULL)
    return NULL;
  *map_out = mcam_map_to_size (expl->map, expl->h, expl->w, e->image,
                               &mcam_net_get_info (self->net)->preprocess, onto->width,
                               onto->height);
  return expl;
}

static gpointer
compute_map_func (McamWorkerContext *ctx, gpointer data, GCancellable *cancellable,
                  GError **error)
{
  McamWorker *self = ctx->worker;
  McamMapRequest *req = data;
  gint64 t0 = g_get_monotonic_time ();
  McamMapResult *r;
  McamExplanation *expl;
  float *map = NULL;
  CacheEntry *e;

  e = _mcam_worker_cache_lookup (self, req->path, cancellable, error);
  if (e == NULL)
    return NULL;
  expl = explain_on_image (self, e, _mcam_cache_entry_display (e), req->class_index,
                           req->method, req->slot, req->seed, req->draws, req->temperature,
                           &map, cancellable, error);
  if (expl == NULL)
    return NULL;

  r = g_atomic_rc_box_new0 (McamMapResult);
  r->request = mcam_map_request_copy (req);
  r->generation = self->generation;
  r->image = _mcam_worker_cache_entry_get_result (self, e);
  r->explanation = expl;
  r->width = r->image->display_width;
  r->height = r->image->display_height;
  r->map = map;
  r->map_rgb = colormap_bytes (map, (gsize) r->width * r->height, req->colormap);
  r->compute_us = g_get_monotonic_time () - t0;
  return r;
}

void
mcam_worker_compute_map_async (McamWorker *self, const McamMapRequest *req,
                               GCancellable *cancellable, GAsyncReadyCallback callback,
                               gpointer user_data)
{
  mcam_worker_run_async (self, _("Computing the map"), "map", compute_map_func,
                         mcam_map_request_copy (req), (GDestroyNotify) mcam_map_request_free,
                         (GDestroyNotify) mcam_map_result_unref, NULL, NULL,
                         cancellable, callback, user_data);
}

McamMapResult *
mcam_worker_compute_map_finish (McamWorker *self, GAsyncResult *result, GError **error)
{
  return mcam_worker_run_finish (self, result, error);
}

static cairo_surface_t *
render_item_full (McamWorker *self, const char *path, int class_index, McamMethod method,
                  int slot, guint64 seed, int draws, float temperature, McamColormap cm,
                  double opacity, McamExplanation **expl_out, float *score_out,
                  GCancellable *cancellable, GError **error)
{
  g_autoptr(McamExplanation) expl = NULL;
  g_autofree float *map = NULL;
  CacheEntry *e;

  e = _mcam_worker_cache_lookup (self, path, cancellable, error);
  if (e == NULL)
    return NULL;
  expl = explain_on_image (self, e, e->image, class_index, method, slot, seed, draws,
                           temperature, &map, cancellable, error);
  if (expl == NULL)
    return NULL;
  if (score_out != NULL)
    *score_out = e->analysis->scores != NULL ? e->analysis->scores[class_index] : NAN;
  if (expl_out != NULL)
    *expl_out = g_steal_pointer (&expl);
  return mcam_overlay_render (e->image, map, cm, opacity);
}

static cairo_surface_t *
render_item (McamWorker *self, const char *path, int class_index, McamMethod method,
             int slot, guint64 seed, int draws, float temperature, McamColormap cm,
             double opacity, GCancellable *cancellable, GError **error)
{
  return render_item_full (self, path, class_index, method, slot, seed, draws, temperature,
                           cm, opacity, NULL, NULL, cancellable, error);
}

/* Worker thread: an exported overlay with its provenance and layout. */
static gboolean
write_export_item (McamWorker *self, McamExportRequest *req, McamExportItem *item,
                   GCancellable *cancellable, GError **error)
{
  g_autoptr(McamExplanation) expl = NULL;
  const McamNetInfo *ni = mcam_net_get_info (self->net);
  McamProvenance prov;
  McamExportLayout layout;
  g_auto(GStrv) keys = NULL;
  g_auto(GStrv) values = NULL;
  g_autofree char *caption = NULL;
  g_autofree char *software = g_strdup_printf ("M-CAM Explorer %s", PACKAGE_VERSION);
  cairo_surface_t *overlay, *out;
  float score = NAN;
  gboolean ok;

  overlay = render_item_full (self, item->image_path, item->class_index, item->method,
                              item->slot, req->seed, req->draws, req->temperature,
                              req->colormap, req->opacity, &expl, &score, cancellable, error);
  if (overlay == NULL)
    return FALSE;

  mcam_provenance_init (&prov);
  prov.image = item->image_path;
  prov.model = self->worker_info ? self->worker_info->model_path : NULL;
  prov.memory = self->worker_info ? self->worker_info->memory_path : NULL;
  if (prov.memory == NULL && self->memory != NULL && mcam_method_needs_memory (item->method))
    prov.memory = prov.model;   /* the memory lives in the model file */
  prov.fingerprint = ni->fingerprint;
  prov.method = item->method;
  prov.class_index = item->class_index;
  prov.class_name = ni->classes[item->class_index];
  prov.slot = expl->slot;
  prov.slot_by_user = item->slot >= 0;
  /* The layer the map is read at (the net's target; the layer chooser may
   * have moved it). */
  prov.layer = ni->target;
  prov.score = score;
  prov.software = software;
  mcam_provenance_to_text (&prov, &keys, &values);

  mcam_export_layout_init (&layout);
  layout.min_width = req->min_width;
  layout.colorbar = req->colorbar;
  layout.colormap = req->colormap;
  if (req->caption)
    layout.caption = caption = mcam_provenance_caption (&prov);
  if (layout.min_width > 0 || layout.colorbar || layout.caption != NULL)
    {
      out = mcam_export_decorate (overlay, &layout);
      cairo_surface_destroy (overlay);
    }
  else
    out = overlay;
  ok = mcam_png_write (out, (const char *const *) keys, (const char *const *) values,
                       item->out_path, error);
  cairo_surface_destroy (out);
  return ok;
}

static gpointer
export_func (McamWorkerContext *ctx, gpointer data, GCancellable *cancellable,
             GError **error)
{
  McamExportRequest *req = data;
  guint n = req->items->len;
  guint *n_written = g_new0 (guint, 1);

  for (guint i = 0; i < n; i++)
    {
      McamExportItem *item = g_ptr_array_index (req->items, i);
      g_autofree char *base = g_path_get_basename (item->out_path);
      g_autofree char *text = g_strdup_printf (_("Exporting %s (%u of %u)"), base, i + 1, n);

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        goto fail;
      mcam_worker_context_progress (ctx, (double) i / n, text);
      if (!write_export_item (ctx->worker, req, item, cancellable, error))
        goto fail;
      (*n_written)++;
    }
  mcam_worker_context_progress (ctx, 1.0, NULL);
  return n_written;

fail:
  g_free (n_written);
  return NULL;
}

void
mcam_worker_export_async (McamWorker *self, McamExportRequest *req,
                          McamWorkerProgressFunc progress, gpointer progress_data,
                          GCancellable *cancellable, GAsyncReadyCallback callback,
                          gpointer user_data)
{
  g_autofree char *label = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                         "Exporting %u overlay",
                                                         "Exporting %u overlays",
                                                         req->items->len),
                                            req->items->len);

  mcam_worker_run_async (self, label, NULL, export_func, req,
                         (GDestroyNotify) mcam_export_request_free, g_free,
                         progress, progress_data, cancellable, callback, user_data);
}

gboolean
mcam_worker_export_finish (McamWorker *self, GAsyncResult *result, guint *n_written,
                           GError **error)
{
  g_autofree guint *n = mcam_worker_run_finish (self, result, error);

  if (n_written != NULL)
    *n_written = n != NULL ? *n : 0;
  return n != NULL;
}

typedef struct
{
  McamMapRequest *req;
  double          opacity;
} RenderData;

static void
render_data_free (RenderData *d)
{
  mcam_map_request_free (d->req);
  g_free (d);
}

static gpointer
render_overlay_func (McamWorkerContext *ctx, gpointer data, GCancellable *cancellable,
                     GError **error)
{
  RenderData *d = data;
  McamMapRequest *req = d->req;

  return render_item (ctx->worker, req->path, req->class_index, req->method, req->slot,
                      req->seed, req->draws, req->temperature, req->colormap, d->opacity,
                      cancellable, error);
}

void
mcam_worker_render_overlay_async (McamWorker *self, const McamMapRequest *req, double opacity,
                                  GCancellable *cancellable, GAsyncReadyCallback callback,
                                  gpointer user_data)
{
  RenderData *d = g_new0 (RenderData, 1);

  d->req = mcam_map_request_copy (req);
  d->opacity = opacity;
  mcam_worker_run_async (self, _("Rendering the overlay"), NULL, render_overlay_func, d,
                         (GDestroyNotify) render_data_free,
                         (GDestroyNotify) cairo_surface_destroy, NULL, NULL,
                         cancellable, callback, user_data);
}

cairo_surface_t *
mcam_worker_render_overlay_finish (McamWorker *self, GAsyncResult *result, GError **error)
{
  return mcam_worker_run_finish (self, result, error);
}


/* ---------------------------------------------------------------- set layer */

typedef struct
{
  char *layer;
  char *memory_source;
} LayerData;

static void
layer_data_free (LayerData *d)
{
  g_free (d->layer);
  g_free (d->memory_source);
  g_free (d);
}

/* The job's result: the reason the memory went, or "" when it stayed. */
static gpointer
set_layer_func (McamWorkerContext *ctx, gpointer data, GCancellable *cancellable,
                GError **error)
{
  McamWorker *self = ctx->worker;
  LayerData *d = data;
  g_autoptr(GError) local = NULL;
  g_autoptr(McamMemory) loaded = NULL;
  g_autofree char *model_path = NULL, *memory_path = NULL, *message = NULL;
  McamMemory *memory = NULL;
  gboolean unsaved;
  McamModelInfo *info;

  if (self->net == NULL)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE, _("No model is loaded"));
      return NULL;
    }
  if (!mcam_net_set_target (self->net, d->layer, error))
    return NULL;

  /* The memory in use first (it may be one trained here and in no file),
   * then its file: switching back to its layer brings it back. */
  if (self->memory != NULL)
    {
      if (mcam_memory_check_net (self->memory, self->net, self->worker_info->memory_path,
                                 &local))
        memory = self->memory;
      else
        message = g_strdup (local->message);
      g_clear_error (&local);
    }
  if (memory == NULL && d->memory_source != NULL)
    {
      loaded = mcam_memory_load (d->memory_source, self->net, &local);
      if (loaded != NULL)
        g_clear_pointer (&message, g_free);
      else if (message == NULL)
        message = g_strdup (local->message);
      memory = loaded;
    }
  if (memory == NULL && message == NULL)
    message = g_strdup ("");

  /* Copies: installing frees the snapshot the paths live in. */
  model_path = g_strdup (self->worker_info->model_path);
  memory_path = memory != NULL ? g_strdup (self->worker_info->memory_path) : NULL;
  if (loaded != NULL && memory_path == NULL && g_strcmp0 (d->memory_source, model_path) != 0)
    memory_path = g_strdup (d->memory_source);
  unsaved = memory != NULL && memory == self->memory && self->worker_info->memory_unsaved;
  g_steal_pointer (&loaded);
  self->installing_unsaved = unsaved;
  info = _mcam_worker_install_model (self, self->net, memory, model_path, memory_path);
  self->installing_unsaved = FALSE;
  mcam_model_info_unref (info);
  return message != NULL ? g_steal_pointer (&message) : g_strdup ("");
}

void
mcam_worker_set_layer_async (McamWorker *self, const char *layer, const char *memory_source,
                             GCancellable *cancellable, GAsyncReadyCallback callback,
                             gpointer user_data)
{
  LayerData *d = g_new0 (LayerData, 1);
  g_autofree char *label = g_strdup_printf (_("Explaining layer %s"), layer);

  d->layer = g_strdup (layer);
  d->memory_source = g_strdup (memory_source);
  mcam_worker_run_async (self, label, "model", set_layer_func, d,
                         (GDestroyNotify) layer_data_free, g_free, NULL, NULL,
                         cancellable, callback, user_data);
}

gboolean
mcam_worker_set_layer_finish (McamWorker *self, GAsyncResult *result, char **memory_message,
                              GError **error)
{
  g_autofree char *message = mcam_worker_run_finish (self, result, error);

  if (message == NULL)
    return FALSE;
  if (memory_message != NULL)
    *memory_message = *message != '\0' ? g_steal_pointer (&message) : NULL;
  return TRUE;
}
