/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Fit a re-fit head from the app (issue 12), as `mcam refit` does: the
 * pooled features of the listed images (computed in memory) at the layer
 * the window explains (the layer chooser's, as `mcam refit --layer`),
 * then mcam_head_fit with λ given or chosen by K-fold cross-validation. Not
 * modal; the fit runs on a thread of its own with its own copy of the
 * backbone, so the window keeps working; progress and Cancel; the CV curve
 * is listed when done. The head is unsaved until Save Re-fit Head As…, and
 * closing asks first. */

#define G_LOG_DOMAIN "mcam-head"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "mcam-application.h"
#include "mcam-head-dialog.h"
#include "mcam-head-lens.h"
#include "mcam-window-private.h"

struct _McamHeadDialog
{
  GtkWindow       parent_instance;

  McamWindow     *window;         /* weak */
  char           *model_path;
  char           *layer;          /* the layer the head will read */
  GtkLabel       *layer_label;
  GtkEntry       *images_entry;
  GtkEntry       *labels_entry;
  GtkCheckButton *cv_check;
  GtkEntry       *l2_entry;
  GtkSpinButton  *folds_spin;
  GtkSpinButton  *seed_spin;
  GtkButton      *fit_button;
  GtkButton      *cancel_button;
  GtkButton      *save_button;
  GtkProgressBar *progress;
  GtkLabel       *result_label;

  GCancellable   *cancellable;
  McamHead       *head;           /* the result */
  gboolean        unsaved;
  gboolean        closing;
  /* progress from the fit thread */
  GMutex          lock;
  double          fraction;
  char           *stage;
  guint           progress_id;
};

G_DEFINE_FINAL_TYPE (McamHeadDialog, mcam_head_dialog, GTK_TYPE_WINDOW)

enum { FITTED, N_SIGNALS };
static guint signals[N_SIGNALS];

/* ---------------------------------------------------------------- the fit */

typedef struct
{
  McamHeadDialog *dialog;       /* strong while the job runs */
  char           *model_path;
  char           *layer;
  char           *images;
  char           *labels;
  McamHeadFitOptions opt;
  McamHeadCvPoint *curve;
  int             n_curve;
} FitJob;

static void
fit_job_free (FitJob *job)
{
  g_object_unref (job->dialog);
  g_free (job->model_path);
  g_free (job->layer);
  g_free (job->images);
  g_free (job->labels);
  g_free (job->curve);
  g_free (job);
}

static void
set_progress (McamHeadDialog *self, double fraction, const char *stage)
{
  g_mutex_lock (&self->lock);
  self->fraction = fraction;
  g_free (self->stage);
  self->stage = g_strdup (stage);
  g_mutex_unlock (&self->lock);
}

static void
on_features (int done, int total, gpointer user_data)
{
  FitJob *job = user_data;

  set_progress (job->dialog, 0.5 * done / MAX (total, 1), _("Computing the features"));
}

static gboolean
on_fit (const char *stage, int step, int n_steps, gpointer user_data)
{
  FitJob *job = user_data;

  set_progress (job->dialog, 0.5 + 0.5 * step / MAX (n_steps, 1),
                g_str_equal (stage, "cv") ? _("Cross-validating λ") : _("Fitting the head"));
  return !g_cancellable_is_cancelled (job->dialog->cancellable);
}

/* The fit's own thread: everything `mcam refit` computes, nothing written. */
McamHead *
mcam_head_dialog_fit_images (const char *model_path, const char *layer, const char *images,
                             const char *labels, const McamHeadFitOptions *opt, McamHeadCvPoint **curve,
                             int *n_curve, McamFeatureCacheProgress feature_progress,
                             McamHeadFitProgress fit_progress, gpointer user_data,
                             GCancellable *cancellable, GError **error)
{
  g_autoptr(McamNet) net = mcam_net_load (model_path, error);
  g_autoptr(McamDataset) ds = NULL;
  g_autoptr(McamFeatureCache) cache = NULL;
  g_autofree float *X = NULL;
  McamHeadFitOptions o = *opt;
  const McamNetInfo *info;
  McamHead *head;

  if (net == NULL)
    return NULL;
  /* Before the features: they are the chosen layer's (the head records it,
   * and loading it checks it against the layer explained then). */
  if (layer != NULL && !mcam_net_set_target (net, layer, error))
    return NULL;
  info = mcam_net_get_info (net);
  ds = mcam_dataset_load (labels, NULL, images, (const char *const *) info->classes,
                          info->n_classes, error);
  if (ds == NULL)
    return NULL;
  if (ds->n < 2 || (o.l2 < 0 && o.folds > ds->n))
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE,
                   _("%s lists %d images: a head needs at least 2, and at least as many as "
                     "the folds"), labels, ds->n);
      return NULL;
    }
  cache = mcam_feature_cache_open (NULL, net, (const char *const *) ds->paths, ds->n, 16,
                                   feature_progress, user_data, cancellable, error);
  if (cache == NULL)
    return NULL;
  X = g_new (float, (gsize) ds->n * info->feat_c);
  mcam_head_pool_features (mcam_feature_cache_get_features (cache), ds->n, info->feat_c,
                           info->feat_h * info->feat_w, X);
  o.multilabel = info->multilabel;
  head = mcam_head_fit (X, ds->labels, ds->n, info->feat_c, info->n_classes, &o, curve,
                        n_curve, fit_progress, user_data, error);
  if (head == NULL)
    return NULL;
  head->classes = g_strdupv (info->classes);
  head->backbone = g_strdup (info->fingerprint);
  head->layer = g_strdup (info->target);
  head->n_images = ds->n;
  head->images_hash = mcam_head_hash_images ((const char *const *) ds->names,
                                             (const char *const *) ds->paths, ds->labels,
                                             ds->n, ds->n_classes, error);
  if (head->images_hash == NULL)
    g_clear_pointer (&head, mcam_head_free);
  return head;
}

static void
fit_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  FitJob *job = data;
  GError *error = NULL;
  McamHead *head = mcam_head_dialog_fit_images (job->model_path, job->layer, job->images,
                                                job->labels,
                                                &job->opt, &job->curve, &job->n_curve,
                                                on_features, on_fit, job, cancellable,
                                                &error);

  if (head == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, head, (GDestroyNotify) mcam_head_free);
}

static gboolean
progress_tick (gpointer user_data)
{
  McamHeadDialog *self = user_data;

  g_mutex_lock (&self->lock);
  gtk_progress_bar_set_fraction (self->progress, self->fraction);
  gtk_progress_bar_set_text (self->progress, self->stage);
  g_mutex_unlock (&self->lock);
  return G_SOURCE_CONTINUE;
}

static void
set_running (McamHeadDialog *self, gboolean running)
{
  gtk_widget_set_sensitive (GTK_WIDGET (self->fit_button), !running);
  gtk_widget_set_sensitive (GTK_WIDGET (self->cancel_button), running);
  gtk_widget_set_sensitive (GTK_WIDGET (self->save_button), !running && self->head != NULL);
  if (running && self->progress_id == 0)
    self->progress_id = g_timeout_add (50, progress_tick, self);
  else if (!running)
    g_clear_handle_id (&self->progress_id, g_source_remove);
}

static void
update_title (McamHeadDialog *self)
{
  gtk_window_set_title (GTK_WINDOW (self), self->unsaved ? _("• Fit a Re-fit Head")
                                                         : _("Fit a Re-fit Head"));
}

static void
fit_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  McamHeadDialog *self = MCAM_HEAD_DIALOG (source);
  FitJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  McamHead *head = g_task_propagate_pointer (G_TASK (result), &error);
  g_autoptr(GString) text = g_string_new (NULL);

  g_clear_object (&self->cancellable);
  if (head == NULL)
    {
      g_message ("The re-fit head could not be fitted: %s", error->message);
      set_running (self, FALSE);
      gtk_progress_bar_set_text (self->progress, NULL);
      gtk_label_set_text (self->result_label,
                          g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
                            ? _("Cancelled.") : error->message);
      return;
    }
  g_clear_pointer (&self->head, mcam_head_free);
  self->head = head;
  self->unsaved = TRUE;
  set_running (self, FALSE);
  gtk_progress_bar_set_fraction (self->progress, 1.0);
  gtk_progress_bar_set_text (self->progress, _("Done"));
  update_title (self);
  g_string_append_printf (text, _("λ = %g, fitted on %d images (not saved)."), head->l2,
                          head->n_images);
  if (job->n_curve > 0)
    {
      g_string_append_printf (text, "\n%s", _("Cross-validation, held-out mAP per λ:"));
      for (int g = 0; g < job->n_curve; g++)
        g_string_append_printf (text, "\nλ %-8g  %.4f ± %.4f%s", job->curve[g].l2,
                                job->curve[g].map, job->curve[g].sd,
                                job->curve[g].l2 == head->l2 ? _("  ← chosen") : "");
    }
  gtk_label_set_text (self->result_label, text->str);
  g_signal_emit (self, signals[FITTED], 0);
}

/* The window's model and the layer it explains now (the layer chooser
 * moves it): what the next fit uses, shown in the dialog. */
static void
update_layer (McamHeadDialog *self)
{
  McamModelInfo *info = self->window != NULL ? mcam_window_get_model_info (self->window) : NULL;
  g_autofree char *text = NULL;

  if (info == NULL)
    return;
  g_free (self->model_path);
  self->model_path = g_strdup (info->model_path);
  g_free (self->layer);
  self->layer = g_strdup (info->target);
  if (info->default_target != NULL && g_strcmp0 (info->target, info->default_target) != 0)
    /* TRANSLATORS: the layer a head is fitted at, and the model's default layer */
    text = g_strdup_printf (_("%s (chosen in the header; the model's default is %s)"),
                            info->target, info->default_target);
  else
    text = g_strdup_printf (_("%s (the model's default; choose another in the header)"),
                            info->target);
  gtk_label_set_text (self->layer_label, text);
}

const char *
mcam_head_dialog_get_layer (McamHeadDialog *self)
{
  return self->layer;
}

void
mcam_head_dialog_start (McamHeadDialog *self)
{
  g_autoptr(GTask) task = NULL;
  FitJob *job;
  const char *l2_text = gtk_editable_get_text (GTK_EDITABLE (self->l2_entry));
  char *end = NULL;

  if (self->cancellable != NULL)
    return;
  update_layer (self);
  job = g_new0 (FitJob, 1);
  job->dialog = g_object_ref (self);
  job->model_path = g_strdup (self->model_path);
  job->layer = g_strdup (self->layer);
  job->images = g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->images_entry)));
  job->labels = g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->labels_entry)));
  mcam_head_fit_options_init (&job->opt);
  job->opt.folds = gtk_spin_button_get_value_as_int (self->folds_spin);
  job->opt.seed = (guint64) gtk_spin_button_get_value (self->seed_spin);
  if (!gtk_check_button_get_active (self->cv_check))
    {
      job->opt.l2 = g_ascii_strtod (l2_text, &end);
      if (end == l2_text || *end != '\0' || !isfinite (job->opt.l2) || job->opt.l2 < 0)
        {
          gtk_label_set_text (self->result_label, _("λ must be a number ≥ 0."));
          fit_job_free (job);
          return;
        }
    }
  self->cancellable = g_cancellable_new ();
  gtk_label_set_text (self->result_label, "");
  set_progress (self, 0, _("Starting"));
  set_running (self, TRUE);
  task = g_task_new (self, self->cancellable, fit_done_cb, NULL);
  g_task_set_task_data (task, job, (GDestroyNotify) fit_job_free);
  g_task_run_in_thread (task, fit_thread);
}

/* ---------------------------------------------------------------- saving */

gboolean
mcam_head_dialog_save_to (McamHeadDialog *self, const char *path, GError **error)
{
  g_autofree char *text = NULL;

  if (self->head == NULL || !mcam_head_save (self->head, path, error))
    return FALSE;
  self->unsaved = FALSE;
  update_title (self);
  text = g_strdup_printf (_("Saved as %s."), path);
  gtk_label_set_text (self->result_label, text);
  return TRUE;
}

static void
save_response_cb (GtkNativeDialog *native, int response, McamHeadDialog *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (native));
      g_autofree char *path = g_file_get_path (file);
      g_autoptr(GError) error = NULL;

      if (!mcam_head_dialog_save_to (self, path, &error))
        gtk_label_set_text (self->result_label, error->message);
      else
        {
          if (self->window != NULL)
            _mcam_window_load_head (self->window, path);
          if (self->closing)
            gtk_window_destroy (GTK_WINDOW (self));
        }
    }
  self->closing = FALSE;
  g_object_unref (native);
}

static void
save_clicked (McamHeadDialog *self)
{
  GtkFileChooserNative *native =
    gtk_file_chooser_native_new (_("Save Re-fit Head As…"), GTK_WINDOW (self),
                                 GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));

  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (native), "refit-head.safetensors");
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  g_signal_connect (native, "response", G_CALLBACK (save_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

static void
close_answer_cb (GtkDialog *ask, int response, McamHeadDialog *self)
{
  gtk_window_destroy (GTK_WINDOW (ask));
  if (response == GTK_RESPONSE_ACCEPT)
    {
      self->closing = TRUE;
      save_clicked (self);
    }
  else if (response == GTK_RESPONSE_REJECT)
    {
      self->unsaved = FALSE;
      gtk_window_destroy (GTK_WINDOW (self));
    }
}

static gboolean
close_request (GtkWindow *window)
{
  McamHeadDialog *self = MCAM_HEAD_DIALOG (window);
  GtkWidget *ask;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  if (!self->unsaved)
    return FALSE;
  ask = gtk_message_dialog_new (window, GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
                                GTK_MESSAGE_QUESTION, GTK_BUTTONS_NONE,
                                _("Save the re-fit head before closing?"));
  gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (ask),
                                            _("It is in no file yet; closing discards it."));
  gtk_dialog_add_buttons (GTK_DIALOG (ask), _("_Discard"), GTK_RESPONSE_REJECT,
                          _("_Cancel"), GTK_RESPONSE_CANCEL, _("_Save…"),
                          GTK_RESPONSE_ACCEPT, NULL);
  g_signal_connect (ask, "response", G_CALLBACK (close_answer_cb), self);
  gtk_window_present (GTK_WINDOW (ask));
  return TRUE;
}

/* ---------------------------------------------------------------- widget */

gboolean
mcam_head_dialog_get_unsaved (McamHeadDialog *self)
{
  return self->unsaved;
}

const McamHead *
mcam_head_dialog_get_head (McamHeadDialog *self)
{
  return self->head;
}

void
mcam_head_dialog_set_inputs (McamHeadDialog *self, const char *images, const char *labels,
                             double l2, int folds, guint64 seed)
{
  g_autofree char *l2_text = g_strdup_printf ("%g", l2 < 0 ? 1e-2 : l2);

  gtk_editable_set_text (GTK_EDITABLE (self->images_entry), images);
  gtk_editable_set_text (GTK_EDITABLE (self->labels_entry), labels);
  gtk_check_button_set_active (self->cv_check, l2 < 0);
  gtk_editable_set_text (GTK_EDITABLE (self->l2_entry), l2_text);
  gtk_spin_button_set_value (self->folds_spin, folds);
  gtk_spin_button_set_value (self->seed_spin, (double) seed);
}

static void
cancel_clicked (McamHeadDialog *self)
{
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
}

static void
cv_toggled (McamHeadDialog *self)
{
  gboolean cv = gtk_check_button_get_active (self->cv_check);

  gtk_widget_set_sensitive (GTK_WIDGET (self->l2_entry), !cv);
  gtk_widget_set_sensitive (GTK_WIDGET (self->folds_spin), cv);
}

static void
mcam_head_dialog_finalize (GObject *object)
{
  McamHeadDialog *self = MCAM_HEAD_DIALOG (object);

  g_clear_handle_id (&self->progress_id, g_source_remove);
  g_clear_weak_pointer (&self->window);
  g_clear_pointer (&self->head, mcam_head_free);
  g_clear_object (&self->cancellable);
  g_free (self->model_path);
  g_free (self->layer);
  g_free (self->stage);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (mcam_head_dialog_parent_class)->finalize (object);
}

static void
mcam_head_dialog_class_init (McamHeadDialogClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = mcam_head_dialog_finalize;
  GTK_WINDOW_CLASS (klass)->close_request = close_request;
  signals[FITTED] = g_signal_new ("fitted", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                  NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static GtkWidget *
row_label (const char *text)
{
  GtkWidget *l = gtk_label_new_with_mnemonic (text);

  gtk_label_set_xalign (GTK_LABEL (l), 1.0f);
  return l;
}

static void
mcam_head_dialog_init (McamHeadDialog *self)
{
  GtkWidget *grid = gtk_grid_new ();
  GtkWidget *buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  int r = 0;

  g_mutex_init (&self->lock);
  gtk_window_set_default_size (GTK_WINDOW (self), 520, -1);
  update_title (self);
  gtk_grid_set_row_spacing (GTK_GRID (grid), 6);
  gtk_grid_set_column_spacing (GTK_GRID (grid), 12);
  self->images_entry = GTK_ENTRY (gtk_entry_new ());
  self->labels_entry = GTK_ENTRY (gtk_entry_new ());
  self->cv_check = GTK_CHECK_BUTTON (gtk_check_button_new_with_mnemonic (
                                       _("Choose λ by _cross-validation")));
  self->l2_entry = GTK_ENTRY (gtk_entry_new ());
  self->folds_spin = GTK_SPIN_BUTTON (gtk_spin_button_new_with_range (2, 20, 1));
  self->seed_spin = GTK_SPIN_BUTTON (gtk_spin_button_new_with_range (0, G_MAXINT32, 1));
  gtk_widget_set_hexpand (GTK_WIDGET (self->images_entry), TRUE);
  self->layer_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->layer_label, 0.0f);
  gtk_label_set_wrap (self->layer_label, TRUE);
  gtk_grid_attach (GTK_GRID (grid), row_label (_("Layer")), 0, r, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), GTK_WIDGET (self->layer_label), 1, r++, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), row_label (_("Images folder")), 0, r, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), GTK_WIDGET (self->images_entry), 1, r++, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), row_label (_("Labels (CSV)")), 0, r, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), GTK_WIDGET (self->labels_entry), 1, r++, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), GTK_WIDGET (self->cv_check), 1, r++, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), row_label (_("Folds K (2–20)")), 0, r, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), GTK_WIDGET (self->folds_spin), 1, r++, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), row_label (_("λ (≥ 0, on the mean loss)")), 0, r, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), GTK_WIDGET (self->l2_entry), 1, r++, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), row_label (_("Seed of the folds")), 0, r, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), GTK_WIDGET (self->seed_spin), 1, r++, 1, 1);

  self->progress = GTK_PROGRESS_BAR (gtk_progress_bar_new ());
  gtk_progress_bar_set_show_text (self->progress, TRUE);
  self->result_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_selectable (self->result_label, TRUE);
  gtk_label_set_wrap (self->result_label, TRUE);
  gtk_label_set_xalign (self->result_label, 0.0f);
  gtk_widget_add_css_class (GTK_WIDGET (self->result_label), "monospace");
  self->fit_button = GTK_BUTTON (gtk_button_new_with_mnemonic (_("_Fit")));
  self->cancel_button = GTK_BUTTON (gtk_button_new_with_mnemonic (_("_Cancel")));
  self->save_button = GTK_BUTTON (gtk_button_new_with_mnemonic (_("_Save Re-fit Head As…")));
  gtk_widget_add_css_class (GTK_WIDGET (self->fit_button), "suggested-action");
  gtk_widget_set_halign (buttons, GTK_ALIGN_END);
  gtk_box_append (GTK_BOX (buttons), GTK_WIDGET (self->save_button));
  gtk_box_append (GTK_BOX (buttons), GTK_WIDGET (self->cancel_button));
  gtk_box_append (GTK_BOX (buttons), GTK_WIDGET (self->fit_button));
  g_signal_connect_swapped (self->fit_button, "clicked", G_CALLBACK (mcam_head_dialog_start),
                            self);
  g_signal_connect_swapped (self->cancel_button, "clicked", G_CALLBACK (cancel_clicked), self);
  g_signal_connect_swapped (self->save_button, "clicked", G_CALLBACK (save_clicked), self);
  g_signal_connect_swapped (self->cv_check, "toggled", G_CALLBACK (cv_toggled), self);

  gtk_widget_set_margin_start (box, 18);
  gtk_widget_set_margin_end (box, 18);
  gtk_widget_set_margin_top (box, 18);
  gtk_widget_set_margin_bottom (box, 18);
  gtk_box_append (GTK_BOX (box), grid);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->progress));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->result_label));
  gtk_box_append (GTK_BOX (box), buttons);
  gtk_window_set_child (GTK_WINDOW (self), box);
  mcam_head_dialog_set_inputs (self, "", "", -1, 5, 0);
  set_running (self, FALSE);
  cv_toggled (self);
}

McamHeadDialog *
mcam_head_dialog_new (McamWindow *window)
{
  McamHeadDialog *self = g_object_new (MCAM_TYPE_HEAD_DIALOG, NULL);
  McamModelInfo *info = mcam_window_get_model_info (window);
  g_autofree char *model = NULL, *memory = NULL, *images = NULL;

  gtk_window_set_transient_for (GTK_WINDOW (self), GTK_WINDOW (window));
  g_set_weak_pointer (&self->window, window);
  self->model_path = g_strdup (info != NULL ? info->model_path : NULL);
  update_layer (self);
  /* A layer chosen (or a model opened) while the dialog is open. */
  g_signal_connect_object (window, "model-changed", G_CALLBACK (update_layer), self,
                           G_CONNECT_SWAPPED);
  /* The demo's images as a start when it is the demo's model. */
  if (mcam_find_demo (&model, &memory, &images) && info != NULL &&
      g_strcmp0 (model, info->model_path) == 0)
    {
      g_autofree char *labels = g_build_filename (images, "labels.csv", NULL);

      mcam_head_dialog_set_inputs (self, images, labels, -1, 5, 0);
    }
  return self;
}

/* ---------------------------------------------------------------- action */

static void
fit_head_action (GtkWidget *widget, const char *name, GVariant *param)
{
  McamWindow *window = MCAM_WINDOW (widget);

  if (mcam_window_get_model_info (window) == NULL)
    return;
  gtk_window_present (GTK_WINDOW (mcam_head_dialog_new (window)));
}

void
_mcam_window_class_install_head_dialog_actions (GtkWidgetClass *klass)
{
  gtk_widget_class_install_action (klass, "win.fit-head", NULL, fit_head_action);
}
