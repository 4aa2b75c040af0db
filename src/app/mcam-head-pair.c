/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The re-fit lens side by side (issue 12): the network's map and the re-fit
 * head's for the same image, method and class, captioned "what the network
 * uses" / "what the features support". Both maps are computed in one worker
 * job from the image's cached analysis (mcam_explain without and with
 * McamExplainOptions.head), each normalised by the core as every map is, and
 * drawn with the window's colour map and opacity. The pair takes the single
 * overlay's place in the window while the toggle is on. */

#define G_LOG_DOMAIN "mcam-head"

#include "config.h"

#include <glib/gi18n.h>

#include "mcam-head-lens.h"
#include "mcam-head-pair.h"
#include "mcam-window-private.h"

#define PAIR_KEY "mcam-head-pair"

struct _McamHeadPair
{
  gatomicrefcount  ref;
  McamMapRequest  *request;
  McamExplanation *expl[2];     /* [0]: the network's head, [1]: the re-fit head */
  GdkTexture      *texture[2];
  char            *error[2];    /* a side that could not be computed, else NULL */
};

typedef struct
{
  GtkWidget *box;
  GtkWidget *picture[2];
  GtkWidget *caption[2];
  McamHeadPair *pair;
  gboolean   on;
} PairView;

static void
pair_free (McamHeadPair *p)
{
  mcam_map_request_free (p->request);
  for (int k = 0; k < 2; k++)
    {
      g_clear_pointer (&p->expl[k], mcam_explanation_free);
      g_clear_object (&p->texture[k]);
      g_free (p->error[k]);
    }
  g_free (p);
}

static void
pair_unref (McamHeadPair *p)
{
  if (p != NULL && g_atomic_ref_count_dec (&p->ref))
    pair_free (p);
}

const McamExplanation *
mcam_head_pair_get_explanation (McamHeadPair *pair, gboolean refit)
{
  return pair->expl[refit ? 1 : 0];
}

const McamMapRequest *
mcam_head_pair_get_request (McamHeadPair *pair)
{
  return pair->request;
}

static void
pair_view_free (PairView *v)
{
  pair_unref (v->pair);
  g_free (v);
}

static PairView *
get_view (McamWindow *self)
{
  return g_object_get_data (G_OBJECT (self), PAIR_KEY);
}

McamHeadPair *
_mcam_window_get_head_pair (McamWindow *self)
{
  PairView *v = get_view (self);

  return v != NULL ? v->pair : NULL;
}

/* ---------------------------------------------------------------- job */

typedef struct
{
  McamHeadRef    *head;
  McamMapRequest *req;
  double          opacity;
} PairJob;

static void
pair_job_free (PairJob *job)
{
  mcam_head_ref_release (job->head);
  mcam_map_request_free (job->req);
  g_free (job);
}

static GdkTexture *
texture_from_surface (cairo_surface_t *s)
{
  int w = cairo_image_surface_get_width (s), h = cairo_image_surface_get_height (s);
  int stride = cairo_image_surface_get_stride (s);
  g_autoptr(GBytes) bytes = NULL;

  cairo_surface_flush (s);
  bytes = g_bytes_new (cairo_image_surface_get_data (s), (gsize) stride * h);
  /* RGB24 is 32-bit native-endian xRGB: B8G8R8X8 in memory on little endian,
   * which GDK_MEMORY_DEFAULT (premultiplied BGRA there) reads with an opaque
   * alpha byte left as cairo wrote it (0xff after a full paint). */
  return gdk_memory_texture_new (w, h, GDK_MEMORY_DEFAULT, bytes, stride);
}

static gpointer
pair_func (McamWorkerContext *ctx, gpointer data, GCancellable *cancellable, GError **error)
{
  PairJob *job = data;
  McamNet *net = mcam_worker_context_get_net (ctx);
  const McamImage *image = NULL;
  McamAnalysis *a;
  McamHeadPair *p;

  a = mcam_worker_context_get_analysis (ctx, job->req->path, &image, cancellable, error);
  if (a == NULL || net == NULL)
    return NULL;
  p = g_new0 (McamHeadPair, 1);
  g_atomic_ref_count_init (&p->ref);
  p->request = mcam_map_request_copy (job->req);
  for (int k = 0; k < 2; k++)
    {
      McamExplainOptions opts;
      g_autoptr(GError) local = NULL;
      g_autofree float *map = NULL;
      cairo_surface_t *s;

      mcam_explain_options_init (&opts);
      opts.seed = job->req->seed;
      opts.draws = MAX (job->req->draws, 1);
      opts.temperature = job->req->temperature > 0 ? job->req->temperature : 1.0f;
      opts.slot = job->req->slot;
      opts.image = image;
      opts.head = k == 1 ? mcam_head_ref_get_head (job->head) : NULL;
      p->expl[k] = mcam_explain (a, job->req->class_index, job->req->method, &opts,
                                 cancellable, &local);
      if (p->expl[k] == NULL)
        {
          if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            {
              g_propagate_error (error, g_steal_pointer (&local));
              pair_free (p);
              return NULL;
            }
          p->error[k] = g_strdup (local->message);
          continue;
        }
      map = mcam_map_to_image (p->expl[k]->map, p->expl[k]->h, p->expl[k]->w, image,
                               &mcam_net_get_info (net)->preprocess);
      s = mcam_overlay_render (image, map, job->req->colormap, job->opacity);
      p->texture[k] = texture_from_surface (s);
      cairo_surface_destroy (s);
    }
  return p;
}

static void
show_pair (McamWindow *self, PairView *v)
{
  static const char *const what[2] = {
    /* Translators: captions of the side-by-side view: the map of the
     * network's own head, and of the re-fit head (issue 12). */
    N_("What the network uses — the network's head"),
    N_("What the features support — the re-fit head"),
  };

  for (int k = 0; k < 2; k++)
    {
      McamHeadPair *p = v->pair;
      g_autofree char *text = NULL;

      gtk_picture_set_paintable (GTK_PICTURE (v->picture[k]),
                                 p != NULL ? GDK_PAINTABLE (p->texture[k]) : NULL);
      if (p != NULL && p->error[k] != NULL)
        text = g_strdup_printf ("%s\n%s", _(what[k]), p->error[k]);
      else if (p != NULL && self->model != NULL)
        text = g_strdup_printf ("%s\n%s, %s", _(what[k]), mcam_method_get_label (p->request->method),
                                self->model->classes[p->request->class_index]);
      else
        text = g_strdup (_(what[k]));
      gtk_label_set_text (GTK_LABEL (v->caption[k]), text);
    }
}

static void
pair_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(McamWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  McamHeadPair *p = mcam_worker_run_finish (MCAM_WORKER (source), result, &error);
  PairView *v = get_view (self);

  if (p == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        _mcam_window_show_message (self, MCAM_MESSAGE_MAP,
                                   _("The side-by-side maps could not be computed"),
                                   error->message);
      return;
    }
  if (v == NULL || !v->on)
    {
      pair_unref (p);
      return;
    }
  pair_unref (v->pair);
  v->pair = p;
  show_pair (self, v);
}

void
_mcam_window_head_map_shown (McamWindow *self, McamMapResult *map)
{
  PairView *v = get_view (self);
  McamHeadRef *head = _mcam_window_get_head (self);
  PairJob *job;

  if (v == NULL || !v->on || head == NULL || map == NULL)
    return;
  job = g_new0 (PairJob, 1);
  job->head = mcam_head_ref_acquire (head);
  job->req = mcam_map_request_copy (map->request);
  job->opacity = gtk_adjustment_get_value (self->opacity_adjustment);
  mcam_worker_run_async (self->worker, _("Computing the maps of both heads"), "head-pair",
                         pair_func, job, (GDestroyNotify) pair_job_free,
                         (GDestroyNotify) pair_unref, NULL, NULL, NULL, pair_done_cb,
                         g_object_ref (self));
}

/* ---------------------------------------------------------------- the view */

static PairView *
ensure_view (McamWindow *self)
{
  PairView *v = get_view (self);
  GtkWidget *parent = gtk_widget_get_parent (GTK_WIDGET (self->overlay_view));

  if (v != NULL)
    return v;
  v = g_new0 (PairView, 1);
  v->box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_box_set_homogeneous (GTK_BOX (v->box), TRUE);
  gtk_widget_set_hexpand (v->box, TRUE);
  gtk_widget_set_vexpand (v->box, TRUE);
  gtk_widget_set_name (v->box, "head-pair");
  for (int k = 0; k < 2; k++)
    {
      GtkWidget *col = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);

      v->caption[k] = gtk_label_new (NULL);
      gtk_label_set_wrap (GTK_LABEL (v->caption[k]), TRUE);
      gtk_label_set_justify (GTK_LABEL (v->caption[k]), GTK_JUSTIFY_CENTER);
      v->picture[k] = gtk_picture_new ();
      gtk_picture_set_content_fit (GTK_PICTURE (v->picture[k]), GTK_CONTENT_FIT_CONTAIN);
      gtk_widget_set_vexpand (v->picture[k], TRUE);
      gtk_box_append (GTK_BOX (col), v->caption[k]);
      gtk_box_append (GTK_BOX (col), v->picture[k]);
      gtk_box_append (GTK_BOX (v->box), col);
    }
  gtk_widget_set_visible (v->box, FALSE);
  if (GTK_IS_BOX (parent))
    gtk_box_insert_child_after (GTK_BOX (parent), v->box, GTK_WIDGET (self->overlay_view));
  g_object_set_data_full (G_OBJECT (self), PAIR_KEY, v, (GDestroyNotify) pair_view_free);
  return v;
}

void
_mcam_window_set_head_side_by_side (McamWindow *self, gboolean on)
{
  PairView *v = ensure_view (self);

  on = on && _mcam_window_get_head (self) != NULL;
  v->on = on;
  gtk_widget_set_visible (v->box, on);
  gtk_widget_set_visible (GTK_WIDGET (self->overlay_view), !on);
  if (!on)
    {
      g_clear_pointer (&v->pair, pair_unref);
      return;
    }
  show_pair (self, v);
  _mcam_window_head_map_shown (self, mcam_window_get_map_result (self));
}

static void
side_by_side_action (GtkWidget *widget, const char *name, GVariant *param)
{
  McamWindow *self = MCAM_WINDOW (widget);
  PairView *v = get_view (self);

  if (_mcam_window_get_head (self) == NULL)
    {
      _mcam_window_show_message (self, MCAM_MESSAGE_OTHER, _("No re-fit head is loaded"),
                                 _("Open a re-fit head (Open a Re-fit Head… in the main menu) "
                                   "to see both maps side by side."));
      return;
    }
  _mcam_window_set_head_side_by_side (self, v == NULL || !v->on);
}

void
_mcam_window_class_install_head_pair_actions (GtkWidgetClass *klass)
{
  gtk_widget_class_install_action (klass, "win.head-side-by-side", NULL, side_by_side_action);
  gtk_widget_class_add_binding_action (klass, GDK_KEY_h, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "win.head-side-by-side", NULL);
}
