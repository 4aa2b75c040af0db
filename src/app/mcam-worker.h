/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include "mcam/mcam.h"

G_BEGIN_DECLS

/* The one compute thread of the application (DESIGN 2). It owns the loaded
 * McamNet and McamMemory and an LRU cache of analysed images; every forward
 * pass, map, export or training step runs here, in the order posted. Results
 * come back on the main loop through GAsyncReadyCallback, like any GIO call.
 *
 * Jobs may name a "channel" (a view such as "map" or "analysis"): posting a
 * job on a channel cancels the job posted there before it, so a stale request
 * never delays a new one. */

#define MCAM_TYPE_WORKER (mcam_worker_get_type ())
G_DECLARE_FINAL_TYPE (McamWorker, mcam_worker, MCAM, WORKER, GObject)

/* What the main thread may know of the loaded model: a snapshot, so that no
 * widget ever touches the worker-owned McamNet. Reference counted. */
typedef struct
{
  char    *model_path;
  char    *memory_path;   /* NULL when the memory lives in the model file or is absent */
  char    *title;         /* "demo-backbone.safetensors + memory (N = 40 slots)" */
  char    *fingerprint;   /* the backbone's (McamNetInfo.fingerprint) */
  char    *target;        /* the layer explained (McamNetInfo.target; the layer chooser moves it) */
  char    *default_target; /* the file's default layer (mcam.target, else the last spatial
                            * reduction's input), whatever a memory or the chooser chose */
  char   **classes;       /* NULL-terminated, head order */
  int      n_classes;
  int      n_slots;       /* 0 without a memory module */
  gboolean multilabel;
  int      feat_c, feat_h, feat_w;
  guint    generation;    /* increases with each model loaded */
  gboolean memory_unsaved; /* the memory was trained here and is in no file yet */
} McamModelInfo;

McamModelInfo *mcam_model_info_ref   (McamModelInfo *info);
void           mcam_model_info_unref (McamModelInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McamModelInfo, mcam_model_info_unref)

/* An analysed image as the main thread sees it. */
typedef struct
{
  char   *path;
  guint   generation;
  int     width, height;  /* the original image */
  int     display_width, display_height; /* what rgb holds: the image, scaled down to
                                          * a longer side of at most 2048 px */
  GBytes *rgb;            /* packed 8-bit RGB, stride 3 * display_width */
  int     n_classes;
  float  *scores;         /* target network [C] */
  float  *memory_scores;  /* memory classifier [C], NULL without memory */
  int     n_slots;
  float  *p;              /* key address [N] or NULL */
  float  *p_s;            /* spatial address [N] or NULL */
} McamImageResult;

McamImageResult *mcam_image_result_ref   (McamImageResult *r);
void             mcam_image_result_unref (McamImageResult *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McamImageResult, mcam_image_result_unref)

typedef struct
{
  char        *path;
  int          class_index;
  McamMethod   method;
  McamColormap colormap;
  int          slot;          /* -1: Algorithm 1 chooses */
  guint64      seed;
  int          draws;
  float        temperature;
} McamMapRequest;

void            mcam_map_request_init (McamMapRequest *req);   /* defaults, path NULL */
McamMapRequest *mcam_map_request_copy (const McamMapRequest *req);
void            mcam_map_request_free (McamMapRequest *req);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McamMapRequest, mcam_map_request_free)

/* A map ready to draw. */
typedef struct
{
  McamMapRequest  *request;
  guint            generation;
  McamImageResult *image;
  McamExplanation *explanation; /* at feature resolution; slot, Δ, p' for M-CAM */
  int              width, height; /* image->display_width, display_height */
  float           *map;         /* [height, width] in [0,1], on the displayed pixels */
  GBytes          *map_rgb;     /* colormap (request->colormap) of map, packed RGB */
  gint64           compute_us;  /* time spent on the worker */
} McamMapResult;

McamMapResult *mcam_map_result_ref   (McamMapResult *r);
void           mcam_map_result_unref (McamMapResult *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McamMapResult, mcam_map_result_unref)

/* One overlay to write: image × class × method → out_path. */
typedef struct
{
  char       *image_path;
  int         class_index;
  McamMethod  method;
  int         slot;          /* -1: Algorithm 1 chooses; else the user's slot */
  char       *out_path;
} McamExportItem;

typedef struct
{
  GPtrArray   *items;          /* McamExportItem */
  McamColormap colormap;
  double       opacity;
  guint64      seed;
  int          draws;
  float        temperature;
  /* The shared picture (mcam/mcam-png.h): enlarged to at least min_width
   * (0: the image's own size), a colour bar, a caption line; the PNG always
   * carries its provenance as text chunks. */
  int          min_width;
  gboolean     colorbar;
  gboolean     caption;
} McamExportRequest;

McamExportRequest *mcam_export_request_new      (void);
void               mcam_export_request_add      (McamExportRequest *req, const char *image_path,
                                                 int class_index, McamMethod method,
                                                 const char *out_path);
void               mcam_export_request_free     (McamExportRequest *req);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McamExportRequest, mcam_export_request_free)

/* ---- generic jobs: the hook for the train dialog, the bias lens, the
 * memory inspector. The function runs on the worker thread. */
typedef struct _McamWorkerContext McamWorkerContext;

typedef gpointer (*McamWorkerFunc) (McamWorkerContext *ctx,
                                    gpointer           data,
                                    GCancellable      *cancellable,
                                    GError           **error);

/* Called on the main thread, at most every ~50 ms, with the latest values. */
typedef void (*McamWorkerProgressFunc) (double      fraction,
                                        const char *text,
                                        gpointer    user_data);

/* Worker thread only: the loaded model (NULL when none), its memory (may be NULL). */
McamNet        *mcam_worker_context_get_net      (McamWorkerContext *ctx);
McamMemory     *mcam_worker_context_get_memory   (McamWorkerContext *ctx);
McamModelInfo  *mcam_worker_context_get_info     (McamWorkerContext *ctx);
/* The cached analysis of an image, computed when absent. Borrowed: valid until
 * the job returns. `image_out` (borrowed, nullable) receives the decoded image. */
McamAnalysis   *mcam_worker_context_get_analysis (McamWorkerContext *ctx, const char *path,
                                                  const McamImage **image_out,
                                                  GCancellable *cancellable, GError **error);
/* Replace the memory module (e.g. after training); takes ownership. The
 * model snapshot changes: "model-changed" is emitted on the main loop. */
gboolean        mcam_worker_context_set_memory   (McamWorkerContext *ctx, McamMemory *memory,
                                                  const char *memory_path, GError **error);
void            mcam_worker_context_progress     (McamWorkerContext *ctx, double fraction,
                                                  const char *text);

McamWorker *mcam_worker_new      (void);
/* The domain of a load error that comes from the memory module (the
 * backbone itself loaded); the code is the MCAM_ERROR code. */
#define MCAM_WORKER_MEMORY_ERROR (mcam_worker_memory_error_quark ())
GQuark      mcam_worker_memory_error_quark (void);
/* Cancels everything and joins the thread; pending callbacks still run
 * (with G_IO_ERROR_CANCELLED). Idempotent; also done at finalize. */
void        mcam_worker_shutdown (McamWorker *self);

/* The snapshot of the loaded model, or NULL (main thread). */
McamModelInfo *mcam_worker_get_model_info (McamWorker *self);
/* Cancel the job running now and every queued job (the status area's Cancel). */
void        mcam_worker_cancel_all  (McamWorker *self);
gboolean    mcam_worker_is_busy     (McamWorker *self);
/* Blocks the caller until every posted job has returned (its callback is
 * then queued on the main context, at a higher priority than the next
 * frame's paint) or until timeout_us has passed; TRUE when all returned.
 * For a few milliseconds at most: see request_map_for_switch() in
 * mcam-window.c. */
gboolean    mcam_worker_wait_returned (McamWorker *self, gint64 timeout_us);
guint       mcam_worker_get_n_cached (McamWorker *self);

void      mcam_worker_run_async  (McamWorker            *self,
                                  const char            *label,
                                  const char            *channel,
                                  McamWorkerFunc         func,
                                  gpointer               data,
                                  GDestroyNotify         data_destroy,
                                  GDestroyNotify         result_destroy,
                                  McamWorkerProgressFunc progress,
                                  gpointer               progress_data,
                                  GCancellable          *cancellable,
                                  GAsyncReadyCallback    callback,
                                  gpointer               user_data);
gpointer  mcam_worker_run_finish (McamWorker *self, GAsyncResult *result, GError **error);

/* memory_path may be NULL: the memory is then looked for in the model file. */
void           mcam_worker_load_model_async  (McamWorker *self, const char *model_path,
                                              const char *memory_path,
                                              GCancellable *cancellable,
                                              GAsyncReadyCallback callback, gpointer user_data);
McamModelInfo *mcam_worker_load_model_finish (McamWorker *self, GAsyncResult *result,
                                              GError **error);

void             mcam_worker_analyse_async  (McamWorker *self, const char *path,
                                             GCancellable *cancellable,
                                             GAsyncReadyCallback callback, gpointer user_data);
McamImageResult *mcam_worker_analyse_finish (McamWorker *self, GAsyncResult *result,
                                             GError **error);

void           mcam_worker_compute_map_async  (McamWorker *self, const McamMapRequest *req,
                                               GCancellable *cancellable,
                                               GAsyncReadyCallback callback,
                                               gpointer user_data);
McamMapResult *mcam_worker_compute_map_finish (McamWorker *self, GAsyncResult *result,
                                               GError **error);

/* Writes every item (atomically); returns the number written. */
void     mcam_worker_export_async  (McamWorker *self, McamExportRequest *req /* transfer full */,
                                    McamWorkerProgressFunc progress, gpointer progress_data,
                                    GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data);
gboolean mcam_worker_export_finish (McamWorker *self, GAsyncResult *result, guint *n_written,
                                    GError **error);

/* Renders one overlay at the image's own resolution (for the clipboard). */
void             mcam_worker_render_overlay_async  (McamWorker *self, const McamMapRequest *req,
                                                    double opacity, GCancellable *cancellable,
                                                    GAsyncReadyCallback callback,
                                                    gpointer user_data);
cairo_surface_t *mcam_worker_render_overlay_finish (McamWorker *self, GAsyncResult *result,
                                                    GError **error);

/* Explain another layer of the loaded network (mcam_net_list_layers names
 * them): re-targets the net, drops every cached analysis and map (the
 * "model-changed" snapshot follows, with new feature sizes). A memory module
 * stays only if it was trained for that layer; otherwise it is re-read from
 * `memory_source` (nullable: its file, or the model file holding it) and, if
 * that does not fit either, the model goes on without one and
 * *memory_message (nullable out) says why ("… was trained for layer X …"). */
void     mcam_worker_set_layer_async  (McamWorker *self, const char *layer,
                                       const char *memory_source, GCancellable *cancellable,
                                       GAsyncReadyCallback callback, gpointer user_data);
gboolean mcam_worker_set_layer_finish (McamWorker *self, GAsyncResult *result,
                                       char **memory_message, GError **error);

G_END_DECLS
