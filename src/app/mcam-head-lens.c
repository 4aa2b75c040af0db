/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The re-fit lens in the window (issue 12): a re-fit head (mcam-head.h)
 * loaded beside the model, its scores on the image shown as the class
 * list's third column. The head is loaded and scored on the worker thread,
 * which owns the backbone it is checked against; once loaded it is never
 * changed, so the window and the jobs share it by reference. */

#define G_LOG_DOMAIN "mcam-head"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "mcam-head-lens.h"
#include "mcam-head-pair.h"
#include "mcam-window-private.h"

/* Kept on the window as object data, so the window's struct and dispose
 * stay as they are: the head goes with the window. */
#define HEAD_KEY "mcam-head-lens"

/* "head-changed": the compare window and the bias lens follow the head. */
static guint head_changed_signal;

struct _McamHeadRef
{
  McamHead *head;
  char     *path;
};

static void
head_ref_free (McamHeadRef *ref)
{
  mcam_head_free (ref->head);
  g_free (ref->path);
}

McamHeadRef *
mcam_head_ref_acquire (McamHeadRef *ref)
{
  return g_atomic_rc_box_acquire (ref);
}

void
mcam_head_ref_release (McamHeadRef *ref)
{
  g_atomic_rc_box_release_full (ref, (GDestroyNotify) head_ref_free);
}

const McamHead *
mcam_head_ref_get_head (McamHeadRef *ref)
{
  return ref->head;
}

const char *
mcam_head_ref_get_path (McamHeadRef *ref)
{
  return ref->path;
}

McamHeadRef *
_mcam_window_get_head (McamWindow *self)
{
  return g_object_get_data (G_OBJECT (self), HEAD_KEY);
}

/* ---------------------------------------------------------------- scores */

typedef struct
{
  McamHeadRef *head;
  char        *path;
} ScoreJob;

static void
score_job_free (ScoreJob *job)
{
  mcam_head_ref_release (job->head);
  g_free (job->path);
  g_free (job);
}

/* Worker thread: the head's scores from the image's cached features. */
static gpointer
score_func (McamWorkerContext *ctx, gpointer data, GCancellable *cancellable, GError **error)
{
  ScoreJob *job = data;
  const McamHead *head = job->head->head;
  McamAnalysis *a = mcam_worker_context_get_analysis (ctx, job->path, NULL, cancellable, error);
  g_autofree float *logits = NULL;
  float *scores;

  if (a == NULL)
    return NULL;
  if (a->c != head->c || a->n_classes != head->n_classes)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_MISMATCH,
                   _("The re-fit head %s reads %d channels and %d classes; the model has %d "
                     "and %d"), job->head->path, head->c, head->n_classes, a->c, a->n_classes);
      return NULL;
    }
  logits = g_new (float, head->n_classes);
  scores = g_new (float, head->n_classes);
  mcam_head_logits_from_features (head, a->features, a->h * a->w, logits);
  mcam_head_scores (head, logits, scores);
  return scores;
}

static void
score_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(McamWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree float *scores = mcam_worker_run_finish (MCAM_WORKER (source), result, &error);
  McamHeadRef *head = _mcam_window_get_head (self);

  if (scores == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        _mcam_window_show_message (self, MCAM_MESSAGE_MAP,
                                   _("The re-fit head's scores could not be computed"),
                                   error->message);
      return;
    }
  /* Only while that head is still loaded and the image still shown. */
  if (head == NULL || self->image == NULL ||
      g_strcmp0 (g_object_get_data (G_OBJECT (self), HEAD_KEY "-scored"), self->image->path) != 0)
    return;
  mcam_class_list_set_head_scores (self->class_list, TRUE, scores);
}

void
_mcam_window_head_image_changed (McamWindow *self)
{
  McamHeadRef *head = _mcam_window_get_head (self);
  ScoreJob *job;

  mcam_class_list_set_head_scores (self->class_list, head != NULL, NULL);
  if (self->image == NULL || self->model == NULL)
    return;
  /* The head of the last session, once, with the first image shown. */
  if (head == NULL && self->settings != NULL &&
      !g_object_get_data (G_OBJECT (self), HEAD_KEY "-restored"))
    {
      g_autofree char *last = g_settings_get_string (self->settings, "last-head");

      g_object_set_data (G_OBJECT (self), HEAD_KEY "-restored", GINT_TO_POINTER (1));
      if (last[0] != '\0' && g_file_test (last, G_FILE_TEST_IS_REGULAR))
        _mcam_window_load_head (self, last);
      return;
    }
  if (head == NULL)
    return;
  /* A model loaded since: the head goes unless it was fitted on this backbone. */
  if (head->head->backbone != NULL &&
      g_strcmp0 (head->head->backbone, self->model->fingerprint) != 0)
    {
      g_autofree char *msg =
        g_strdup_printf (_("%s was fitted on another backbone than %s; it was unloaded."),
                         head->path, self->model->model_path);

      _mcam_window_unload_head (self);
      _mcam_window_show_message (self, MCAM_MESSAGE_MODEL, _("The re-fit head was unloaded"),
                                 msg);
      return;
    }
  job = g_new0 (ScoreJob, 1);
  job->head = mcam_head_ref_acquire (head);
  job->path = g_strdup (self->image->path);
  g_object_set_data_full (G_OBJECT (self), HEAD_KEY "-scored", g_strdup (job->path), g_free);
  mcam_worker_run_async (self->worker, NULL, "head-scores", score_func, job,
                         (GDestroyNotify) score_job_free, g_free, NULL, NULL, NULL,
                         score_done_cb, g_object_ref (self));
}

/* ---------------------------------------------------------------- loading */

static gpointer
load_func (McamWorkerContext *ctx, gpointer data, GCancellable *cancellable, GError **error)
{
  McamNet *net = mcam_worker_context_get_net (ctx);
  McamHeadRef *ref;
  McamHead *head;

  if (net == NULL)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE,
                   _("Open a model before its re-fit head"));
      return NULL;
    }
  head = mcam_head_load (data, net, error);
  if (head == NULL)
    return NULL;
  ref = g_atomic_rc_box_new0 (McamHeadRef);
  ref->head = head;
  ref->path = g_strdup (data);
  return ref;
}

static void
set_head (McamWindow *self, McamHeadRef *ref)
{
  g_object_set_data_full (G_OBJECT (self), HEAD_KEY, ref,
                          (GDestroyNotify) mcam_head_ref_release);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.unload-head", ref != NULL);
  if (self->settings != NULL)
    g_settings_set_string (self->settings, "last-head", ref != NULL ? ref->path : "");
  g_signal_emit (self, head_changed_signal, 0);
}

static void
load_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(McamWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  McamHeadRef *ref = mcam_worker_run_finish (MCAM_WORKER (source), result, &error);

  if (ref == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        _mcam_window_show_message (self, MCAM_MESSAGE_OTHER,
                                   _("The re-fit head could not be loaded"), error->message);
      return;
    }
  set_head (self, ref);
  _mcam_window_head_image_changed (self);
}

void
_mcam_window_load_head (McamWindow *self, const char *path)
{
  mcam_worker_run_async (self->worker, _("Loading the re-fit head"), NULL, load_func,
                         g_strdup (path), g_free, (GDestroyNotify) mcam_head_ref_release,
                         NULL, NULL, NULL, load_done_cb, g_object_ref (self));
}

void
_mcam_window_unload_head (McamWindow *self)
{
  _mcam_window_set_head_side_by_side (self, FALSE);
  set_head (self, NULL);
  mcam_class_list_set_head_scores (self->class_list, FALSE, NULL);
}

/* A safetensors file whose header metadata has mcam.head.* keys: a re-fit
 * head, not a model (a dropped file is told apart by this alone; the load
 * then checks everything). Reads the header only. */
gboolean
_mcam_head_file_is_head (const char *path)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFileInputStream) in = NULL;
  g_autofree char *header = NULL;
  guint8 len_le[8];
  guint64 len = 0;
  gsize got = 0;

  if (!g_str_has_suffix (path, ".safetensors"))
    return FALSE;
  file = g_file_new_for_path (path);
  in = g_file_read (file, NULL, NULL);
  if (in == NULL ||
      !g_input_stream_read_all (G_INPUT_STREAM (in), len_le, 8, &got, NULL, NULL) || got != 8)
    return FALSE;
  for (int i = 7; i >= 0; i--)
    len = (len << 8) | len_le[i];
  /* A head's header is small; a model's can be large, and is not a head. */
  if (len == 0 || len > 1 << 20)
    return FALSE;
  header = g_malloc0 (len + 1);
  if (!g_input_stream_read_all (G_INPUT_STREAM (in), header, len, &got, NULL, NULL) ||
      got != len)
    return FALSE;
  return strstr (header, "\"mcam.head.") != NULL;
}

/* ---------------------------------------------------------------- actions */

static void
chooser_response_cb (GtkNativeDialog *native, int response, McamWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (native));
      g_autofree char *path = g_file_get_path (file);

      if (path != NULL)
        _mcam_window_load_head (self, path);
    }
  g_object_unref (native);
}

static void
open_head_action (GtkWidget *widget, const char *name, GVariant *param)
{
  GtkFileChooserNative *native =
    gtk_file_chooser_native_new (_("Open a Re-fit Head"), GTK_WINDOW (widget),
                                 GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), _("_Cancel"));
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, _("Re-fit heads (safetensors)"));
  gtk_file_filter_add_pattern (filter, "*.safetensors");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), filter);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  g_signal_connect (native, "response", G_CALLBACK (chooser_response_cb), widget);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

static void
unload_head_action (GtkWidget *widget, const char *name, GVariant *param)
{
  _mcam_window_unload_head (MCAM_WINDOW (widget));
}

void
_mcam_window_class_install_head_actions (GtkWidgetClass *klass)
{
  /* Registered here rather than in mcam-window.c: the head is this file's. */
  head_changed_signal = g_signal_new ("head-changed", G_TYPE_FROM_CLASS (klass),
                                      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  gtk_widget_class_install_action (klass, "win.open-head", NULL, open_head_action);
  gtk_widget_class_install_action (klass, "win.unload-head", NULL, unload_head_action);
  gtk_widget_class_add_binding_action (klass, GDK_KEY_h, GDK_CONTROL_MASK, "win.open-head",
                                       NULL);
}
