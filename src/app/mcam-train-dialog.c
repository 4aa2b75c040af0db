/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mcam-train-dialog"

#include "config.h"

#include <math.h>
#include <glib/gi18n.h>

#include "mcam/mcam-health.h"
#include "mcam/mcam-train.h"
#include "mcam-health-badge.h"
#include "mcam-loss-plot.h"
#include "mcam-train-dialog.h"
#include "mcam-train-job.h"
#include "mcam-window-private.h"

struct _McamTrainDialog
{
  GtkWindow parent_instance;

  GtkButton      *cancel_button;
  GtkButton      *train_button;
  GtkButton      *save_button;
  GtkWidget      *form;
  GtkLabel       *model_label;
  GtkButton      *model_button;
  GtkLabel       *folder_label;
  GtkButton      *folder_button;
  GtkLabel       *labels_label;
  GtkButton      *labels_button;
  GtkLabel       *val_label;          /* mcam train --val */
  GtkButton      *val_button;
  GtkLabel       *val_images_label;   /* --val-images */
  GtkButton      *val_images_button;
  GtkLabel       *classes_label;      /* --classes */
  GtkButton      *classes_button;
  GtkSpinButton  *slots_spin;
  GtkSpinButton  *epochs_spin;
  GtkSpinButton  *batch_spin;
  GtkSpinButton  *lr_spin;
  GtkSpinButton  *scale_spin;
  GtkSpinButton  *seed_spin;
  GtkLabel       *ready_label;
  GtkDropDown    *init_dropdown;
  McamLossPlot   *loss_plot;
  GtkProgressBar *progress_bar;
  GtkLabel       *status_label;

  McamWorker   *worker;
  McamWorker   *train_worker;     /* its own thread: the window's maps go on meanwhile */
  gpointer      pending_result;   /* McamTrainResult being installed in the window's worker */
  char         *model_path;
  char         *folder;
  char         *labels_csv;
  char         *val_csv;          /* NULL: no validation */
  char         *val_folder;       /* NULL: the training folder */
  char         *classes_path;     /* NULL: classes.txt beside the model, else the file's */
  double        val_map;          /* the last run's validation mAP (memory classifier); NAN: none */
  GCancellable *cancellable;      /* non-NULL while training */
  McamMemory   *trained;          /* a memory not loaded into the worker (other backbone) */
  gboolean      installed;        /* the worker holds the trained memory */
};

G_DEFINE_FINAL_TYPE (McamTrainDialog, mcam_train_dialog, GTK_TYPE_WINDOW)

enum { PROP_0, PROP_WORKER, N_PROPS };
static GParamSpec *properties[N_PROPS];

/* ------------------------------------------------------------ UI */

void
_mcam_train_dialog_add_loss_point (McamTrainDialog *self, double x, const double *values)
{
  mcam_loss_plot_add_point (self->loss_plot, x, values);
}

static void
_mcam_train_dialog_update_sensitivity (McamTrainDialog *self)
{
  gboolean running = self->cancellable != NULL;
  gboolean ready = self->model_path && self->folder && self->labels_csv &&
                   (self->val_folder == NULL || self->val_csv != NULL);

  gtk_widget_set_sensitive (self->form, !running);
  gtk_widget_set_sensitive (GTK_WIDGET (self->train_button), !running && ready);
  gtk_widget_set_sensitive (GTK_WIDGET (self->save_button),
                            !running && (self->installed || self->trained != NULL));
  gtk_button_set_label (self->cancel_button, running ? _("_Cancel") : _("_Close"));

  /* A greyed Train says why. */
  if (!running && !ready)
    {
      const char *why = self->model_path == NULL ? _("Train needs a backbone: choose one above.")
                        : self->folder == NULL ? _("Train needs an image folder: choose one above.")
                        : self->labels_csv != NULL
                        ? _("Validation images need validation labels: choose a validation "
                            "labels CSV, or clear the validation images.")
                        : _("Train needs a labels CSV (file,labels with ';' between labels) "
                            "for the images: the folder has no labels.csv, choose one above.");

      gtk_label_set_text (self->ready_label, why);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->ready_label), !running && !ready);
}

static void
set_path_label (GtkLabel *label, const char *path)
{
  gtk_label_set_text (label, path ? path : _("(none)"));
  gtk_widget_set_tooltip_text (GTK_WIDGET (label), path);
}

void
mcam_train_dialog_set_inputs (McamTrainDialog *self, const char *model_path,
                              const char *image_folder, const char *labels_csv,
                              int n_slots, int epochs)
{
  g_return_if_fail (MCAM_IS_TRAIN_DIALOG (self));

  if (model_path)
    {
      g_free (self->model_path);
      self->model_path = g_strdup (model_path);
    }
  if (image_folder)
    {
      g_autofree char *guess = g_build_filename (image_folder, "labels.csv", NULL);
      g_free (self->folder);
      self->folder = g_strdup (image_folder);
      /* labels.csv beside the images is the usual layout. */
      if (labels_csv == NULL && g_file_test (guess, G_FILE_TEST_IS_REGULAR))
        labels_csv = guess;
      if (labels_csv)
        {
          g_free (self->labels_csv);
          self->labels_csv = g_strdup (labels_csv);
        }
    }
  else if (labels_csv)
    {
      g_free (self->labels_csv);
      self->labels_csv = g_strdup (labels_csv);
    }
  if (n_slots > 0)
    gtk_spin_button_set_value (self->slots_spin, n_slots);
  if (epochs > 0)
    gtk_spin_button_set_value (self->epochs_spin, epochs);

  set_path_label (self->model_label, self->model_path);
  set_path_label (self->folder_label, self->folder);
  set_path_label (self->labels_label, self->labels_csv);
  _mcam_train_dialog_update_sensitivity (self);
}

static void
replace_path (char **slot, const char *path)
{
  g_free (*slot);
  *slot = path != NULL && *path != '\0' ? g_strdup (path) : NULL;
}

static void
show_extra_inputs (McamTrainDialog *self)
{
  gtk_label_set_text (self->val_label, self->val_csv ? self->val_csv
                      : _("(none: no validation mAP)"));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->val_label), self->val_csv);
  gtk_button_set_label (self->val_button, self->val_csv ? _("Clear") : _("Choose…"));
  gtk_label_set_text (self->val_images_label, self->val_folder ? self->val_folder
                      : _("(the training image folder)"));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->val_images_label), self->val_folder);
  gtk_button_set_label (self->val_images_button, self->val_folder ? _("Clear") : _("Choose…"));
  gtk_label_set_text (self->classes_label, self->classes_path ? self->classes_path
                      : _("(classes.txt beside the model, else the model's own names)"));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->classes_label), self->classes_path);
  _mcam_train_dialog_update_sensitivity (self);
}

void
mcam_train_dialog_set_extra_inputs (McamTrainDialog *self, const char *val_csv,
                                    const char *val_folder, const char *classes_path)
{
  g_return_if_fail (MCAM_IS_TRAIN_DIALOG (self));

  if (val_csv)
    replace_path (&self->val_csv, val_csv);
  if (val_folder)
    replace_path (&self->val_folder, val_folder);
  if (classes_path)
    replace_path (&self->classes_path, classes_path);
  show_extra_inputs (self);
}

double
mcam_train_dialog_get_val_map (McamTrainDialog *self)
{
  g_return_val_if_fail (MCAM_IS_TRAIN_DIALOG (self), NAN);
  return self->val_map;
}

static void
train_progress_cb (double fraction, const char *text, gpointer user_data)
{
  McamTrainDialog *self = user_data;

  gtk_progress_bar_set_fraction (self->progress_bar, CLAMP (fraction, 0.0, 1.0));
  if (text)
    gtk_label_set_text (self->status_label, text);
}

/* The trained memory into the window's worker (its thread), when the
 * backbone it was trained on is the loaded one. */
static gpointer
install_job_run (McamWorkerContext *ctx, gpointer data, GCancellable *cancellable,
                 GError **error)
{
  McamTrainResult *result = data;

  if (!mcam_worker_context_set_memory (ctx, g_steal_pointer (&result->memory), NULL, error))
    return NULL;
  result->installed = TRUE;
  return GINT_TO_POINTER (1);
}

static void train_done_cb (GObject *source, GAsyncResult *res, gpointer user_data);

static void
install_done_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  g_autoptr(McamTrainDialog) self = user_data;
  g_autoptr(GError) error = NULL;

  mcam_worker_run_finish (MCAM_WORKER (source), res, &error);
  /* train_done_cb again with the result (the task data): it reports. */
  train_done_cb (NULL, res, g_object_ref (self));
}

static void
train_done_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  g_autoptr(McamTrainDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  McamTrainResult *result;

  if (source == NULL)
    {
      /* Back from install_job_run: the result is the install job's data. */
      result = self->pending_result;
      self->pending_result = NULL;
      if (!result->installed && result->memory == NULL)
        {
          g_clear_object (&self->cancellable);
          gtk_label_set_text (self->status_label,
                              _("Trained, but the memory could not be loaded into the "
                                "window's model."));
          _mcam_train_result_free (result);
          _mcam_train_dialog_update_sensitivity (self);
          return;
        }
    }
  else
    {
      McamModelInfo *info;

      result = mcam_worker_run_finish (MCAM_WORKER (source), res, &error);
      info = self->worker ? mcam_worker_get_model_info (self->worker) : NULL;
      if (result != NULL && result->memory != NULL && info != NULL &&
          g_strcmp0 (info->model_path, self->model_path) == 0)
        {
          gtk_label_set_text (self->status_label, _("Loading the trained memory…"));
          self->pending_result = result;
          mcam_worker_run_async (self->worker, NULL, NULL, install_job_run, result, NULL, NULL,
                                 NULL, NULL, NULL, install_done_cb, g_object_ref (self));
          return;
        }
    }

  g_clear_object (&self->cancellable);
  if (result == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        gtk_label_set_text (self->status_label,
                            _("Training cancelled; the loaded memory was left as it was."));
      else
        {
          g_autofree char *msg = g_strdup_printf (_("Training failed: %s"), error->message);
          gtk_label_set_text (self->status_label, msg);
        }
      gtk_progress_bar_set_fraction (self->progress_bar, 0.0);
    }
  else
    {
      g_autofree char *verdict = NULL;
      g_autofree char *msg = NULL;

      g_clear_pointer (&self->trained, mcam_memory_free);
      self->trained = g_steal_pointer (&result->memory);
      self->installed = result->installed;
      /* The badge's sentence: translated, unlike the core's. */
      verdict = mcam_health_badge_verdict_for (result->health, NAN, NULL);
      msg = g_strdup_printf (result->installed
                             ? _("Trained on %d images and loaded (not yet saved: use Save As). Health: %s")
                             : _("Trained on %d images. The backbone is not the loaded model, so the memory was not loaded: save it, then open it with that model. Health: %s"),
                             result->n_images, verdict);
      self->val_map = result->val_map;
      if (!isnan (result->val_map))
        {
          g_autofree char *with_val =
            g_strdup_printf (_("%s — validation mAP (memory classifier): %.4f"), msg,
                             result->val_map);
          g_free (msg);
          msg = g_steal_pointer (&with_val);
        }
      gtk_label_set_text (self->status_label, msg);
      gtk_progress_bar_set_fraction (self->progress_bar, 1.0);
      _mcam_train_result_free (result);
    }
  _mcam_train_dialog_update_sensitivity (self);
}

void
mcam_train_dialog_start (McamTrainDialog *self)
{
  McamTrainJob *job;
  const char *names[MCAM_TRAIN_N_LOSS_SERIES] = {
    _("total"), _("BCE (p′ read)"), _("BCE (p read)"), _("sparse"), _("KL(p′‖p_s)"),
    _("KL(p′‖p)"),
  };

  g_return_if_fail (MCAM_IS_TRAIN_DIALOG (self));
  if (self->cancellable != NULL || self->worker == NULL)
    return;
  if (!self->model_path || !self->folder || !self->labels_csv ||
      (self->val_folder != NULL && self->val_csv == NULL))
    {
      _mcam_train_dialog_update_sensitivity (self);
      gtk_label_set_text (self->status_label, gtk_label_get_text (self->ready_label));
      return;
    }

  job = g_new0 (McamTrainJob, 1);
  job->model_path = g_strdup (self->model_path);
  job->folder = g_strdup (self->folder);
  job->labels_csv = g_strdup (self->labels_csv);
  job->val_csv = g_strdup (self->val_csv);
  job->val_folder = g_strdup (self->val_folder);
  job->classes_path = g_strdup (self->classes_path);
  self->val_map = NAN;
  job->n_slots = gtk_spin_button_get_value_as_int (self->slots_spin);
  mcam_train_options_init (&job->opt);
  job->opt.epochs = gtk_spin_button_get_value_as_int (self->epochs_spin);
  job->opt.init = gtk_drop_down_get_selected (self->init_dropdown) == 1
                  ? MCAM_TRAIN_INIT_RANDOM : MCAM_TRAIN_INIT_CLASS;
  job->opt.batch = gtk_spin_button_get_value_as_int (self->batch_spin);
  job->opt.lr = (float) gtk_spin_button_get_value (self->lr_spin);
  job->opt.scale = (float) gtk_spin_button_get_value (self->scale_spin);
  job->opt.seed = (guint64) gtk_spin_button_get_value (self->seed_spin);
  job->sink = g_atomic_rc_box_new0 (McamTrainLossSink);
  g_weak_ref_init (&job->sink->dialog, self);

  mcam_loss_plot_set_series (self->loss_plot, names, MCAM_TRAIN_N_LOSS_SERIES);
  mcam_loss_plot_set_x_max (self->loss_plot, job->opt.epochs);
  gtk_progress_bar_set_fraction (self->progress_bar, 0.0);
  gtk_label_set_text (self->status_label, _("Starting…"));

  self->cancellable = g_cancellable_new ();
  self->installed = FALSE;
  g_clear_pointer (&self->trained, mcam_memory_free);
  /* On a worker of its own with its own copy of the backbone: the window's
   * worker stays free for maps while the memory trains; the result is
   * installed there afterwards (install_done_cb). */
  if (self->train_worker == NULL)
    self->train_worker = mcam_worker_new ();
  mcam_worker_run_async (self->train_worker, _("Training a memory module"), "train",
                         _mcam_train_job_run, job, _mcam_train_job_free, _mcam_train_result_free,
                         train_progress_cb, self, self->cancellable, train_done_cb,
                         g_object_ref (self));
  _mcam_train_dialog_update_sensitivity (self);
}

void
mcam_train_dialog_cancel (McamTrainDialog *self)
{
  g_return_if_fail (MCAM_IS_TRAIN_DIALOG (self));
  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
}

gboolean
mcam_train_dialog_is_running (McamTrainDialog *self)
{
  g_return_val_if_fail (MCAM_IS_TRAIN_DIALOG (self), FALSE);
  return self->cancellable != NULL;
}

const char *
mcam_train_dialog_get_status (McamTrainDialog *self)
{
  g_return_val_if_fail (MCAM_IS_TRAIN_DIALOG (self), NULL);
  return gtk_label_get_text (self->status_label);
}

int
mcam_train_dialog_get_n_points (McamTrainDialog *self)
{
  g_return_val_if_fail (MCAM_IS_TRAIN_DIALOG (self), 0);
  return mcam_loss_plot_get_n_points (self->loss_plot);
}

static void
on_cancel_clicked (McamTrainDialog *self)
{
  if (self->cancellable)
    mcam_train_dialog_cancel (self);
  else
    gtk_window_close (GTK_WINDOW (self));
}

/* ---- file choosers (GtkFileChooserNative: GTK 4.8 has no GtkFileDialog) */

typedef enum { CHOOSE_MODEL, CHOOSE_FOLDER, CHOOSE_LABELS, CHOOSE_SAVE, CHOOSE_VAL,
               CHOOSE_VAL_IMAGES, CHOOSE_CLASSES } ChooseWhat;

static void
save_done_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  g_autoptr(McamTrainDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = mcam_worker_run_finish (MCAM_WORKER (source), res, &error);
  g_autofree char *msg = NULL;

  if (path == NULL)
    msg = g_strdup_printf (_("Could not save the memory: %s"), error->message);
  else
    msg = g_strdup_printf (_("Saved the memory module to %s"), path);
  gtk_label_set_text (self->status_label, msg);
  /* The window's memory is this one: it is in a file now. */
  if (path != NULL && self->installed &&
      MCAM_IS_WINDOW (gtk_window_get_transient_for (GTK_WINDOW (self))))
    _mcam_window_memory_saved (MCAM_WINDOW (gtk_window_get_transient_for (GTK_WINDOW (self))),
                               path);
}

void
mcam_train_dialog_save (McamTrainDialog *self, const char *path)
{
  McamTrainSaveJob *job;

  g_return_if_fail (MCAM_IS_TRAIN_DIALOG (self));
  g_return_if_fail (path != NULL);
  if (self->cancellable != NULL || (!self->installed && self->trained == NULL))
    return;
  job = g_new0 (McamTrainSaveJob, 1);
  job->path = g_strdup (path);
  /* The dialog keeps `trained` alive until the job is done: the callback
   * holds a reference to it. */
  job->memory = self->installed ? NULL : self->trained;
  gtk_label_set_text (self->status_label, _("Saving the memory module"));
  mcam_worker_run_async (self->worker, _("Saving the memory module"), NULL,
                         _mcam_train_save_job_run, job, _mcam_train_save_job_free, g_free,
                         NULL, NULL, NULL, save_done_cb, g_object_ref (self));
}

static void
on_chooser_response (GtkNativeDialog *native, int response, McamTrainDialog *self)
{
  ChooseWhat what = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (native), "mcam-what"));
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (native));
  if (file != NULL)
    path = g_file_get_path (file);
  if (path != NULL)
    switch (what)
      {
      case CHOOSE_MODEL:
        mcam_train_dialog_set_inputs (self, path, NULL, NULL, 0, 0);
        break;
      case CHOOSE_FOLDER:
        mcam_train_dialog_set_inputs (self, NULL, path, NULL, 0, 0);
        break;
      case CHOOSE_LABELS:
        mcam_train_dialog_set_inputs (self, NULL, NULL, path, 0, 0);
        break;
      case CHOOSE_SAVE:
        mcam_train_dialog_save (self, path);
        break;
      case CHOOSE_VAL:
        mcam_train_dialog_set_extra_inputs (self, path, NULL, NULL);
        break;
      case CHOOSE_VAL_IMAGES:
        mcam_train_dialog_set_extra_inputs (self, NULL, path, NULL);
        break;
      case CHOOSE_CLASSES:
        mcam_train_dialog_set_extra_inputs (self, NULL, NULL, path);
        break;
      default:
        break;
      }
  gtk_native_dialog_destroy (native);
  g_object_unref (native);
}

static void
choose (McamTrainDialog *self, ChooseWhat what)
{
  static const char *const titles[] = {
    N_("Choose a Backbone"), N_("Choose the Image Folder"), N_("Choose the Labels CSV"),
    N_("Save the Memory Module"), N_("Choose the Validation Labels CSV"),
    N_("Choose the Validation Image Folder"), N_("Choose the Class Names File"),
  };
  GtkFileChooserAction action = what == CHOOSE_FOLDER || what == CHOOSE_VAL_IMAGES
                              ? GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER
                              : what == CHOOSE_SAVE ? GTK_FILE_CHOOSER_ACTION_SAVE
                              : GTK_FILE_CHOOSER_ACTION_OPEN;
  GtkFileChooserNative *native =
    gtk_file_chooser_native_new (_(titles[what]), GTK_WINDOW (self), action, NULL, NULL);
  g_autoptr(GtkFileFilter) filter = NULL;

  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  if (what == CHOOSE_MODEL)
    {
      filter = gtk_file_filter_new ();
      gtk_file_filter_set_name (filter, _("Models (ONNX, safetensors)"));
      gtk_file_filter_add_pattern (filter, "*.onnx");
      gtk_file_filter_add_pattern (filter, "*.safetensors");
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), filter);
    }
  else if (what == CHOOSE_SAVE)
    {
      filter = gtk_file_filter_new ();
      gtk_file_filter_set_name (filter, _("Model files (*.safetensors)"));
      gtk_file_filter_add_pattern (filter, "*.safetensors");
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), filter);
    }
  else if (what == CHOOSE_LABELS || what == CHOOSE_VAL)
    {
      filter = gtk_file_filter_new ();
      gtk_file_filter_set_name (filter, _("CSV files"));
      gtk_file_filter_add_pattern (filter, "*.csv");
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), filter);
    }
  if (what == CHOOSE_SAVE)
    gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (native), "memory.safetensors");
  if ((what == CHOOSE_LABELS || what == CHOOSE_VAL) && self->folder)
    {
      g_autoptr(GFile) dir = g_file_new_for_path (self->folder);
      gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (native), dir, NULL);
    }
  g_object_set_data (G_OBJECT (native), "mcam-what", GINT_TO_POINTER (what));
  g_signal_connect (native, "response", G_CALLBACK (on_chooser_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

static void on_model_clicked (McamTrainDialog *self)  { choose (self, CHOOSE_MODEL); }
static void on_folder_clicked (McamTrainDialog *self) { choose (self, CHOOSE_FOLDER); }
static void on_labels_clicked (McamTrainDialog *self) { choose (self, CHOOSE_LABELS); }

/* The optional inputs: a click chooses one; when one is set, the button
 * clears it instead (back to the default the row states). */
static void
on_val_clicked (McamTrainDialog *self)
{
  if (self->val_csv != NULL)
    mcam_train_dialog_set_extra_inputs (self, "", NULL, NULL);
  else
    choose (self, CHOOSE_VAL);
}

static void
on_val_images_clicked (McamTrainDialog *self)
{
  if (self->val_folder != NULL)
    mcam_train_dialog_set_extra_inputs (self, NULL, "", NULL);
  else
    choose (self, CHOOSE_VAL_IMAGES);
}

static void
on_classes_clicked (McamTrainDialog *self)
{
  if (self->classes_path != NULL)
    mcam_train_dialog_set_extra_inputs (self, NULL, NULL, "");
  else
    choose (self, CHOOSE_CLASSES);
}
static void on_save_clicked (McamTrainDialog *self)   { choose (self, CHOOSE_SAVE); }

static gboolean
mcam_train_dialog_close_request (GtkWindow *window)
{
  McamTrainDialog *self = MCAM_TRAIN_DIALOG (window);

  /* Closing while training cancels it: nothing keeps running unseen. */
  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  return GTK_WINDOW_CLASS (mcam_train_dialog_parent_class)->close_request (window);
}

static void
mcam_train_dialog_constructed (GObject *object)
{
  McamTrainDialog *self = MCAM_TRAIN_DIALOG (object);
  McamModelInfo *info = NULL;   /* borrowed from the worker */

  G_OBJECT_CLASS (mcam_train_dialog_parent_class)->constructed (object);

  if (self->worker)
    info = mcam_worker_get_model_info (self->worker);
  if (info != NULL)
    {
      self->model_path = g_strdup (info->model_path);
      /* One slot per class is the default of DESIGN 4.2. */
      gtk_spin_button_set_value (self->slots_spin, MAX (1, info->n_classes));
    }
  mcam_train_dialog_set_inputs (self, NULL, NULL, NULL, 0, 0);
}

static void
mcam_train_dialog_dispose (GObject *object)
{
  McamTrainDialog *self = MCAM_TRAIN_DIALOG (object);

  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), MCAM_TYPE_TRAIN_DIALOG);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->worker);
  if (self->train_worker != NULL)
    {
      mcam_worker_shutdown (self->train_worker);
      g_clear_object (&self->train_worker);
    }
  G_OBJECT_CLASS (mcam_train_dialog_parent_class)->dispose (object);
}

static void
mcam_train_dialog_finalize (GObject *object)
{
  McamTrainDialog *self = MCAM_TRAIN_DIALOG (object);

  g_free (self->model_path);
  g_free (self->folder);
  g_free (self->labels_csv);
  g_free (self->val_csv);
  g_free (self->val_folder);
  g_free (self->classes_path);
  g_clear_pointer (&self->trained, mcam_memory_free);
  G_OBJECT_CLASS (mcam_train_dialog_parent_class)->finalize (object);
}

static void
mcam_train_dialog_set_property (GObject *object, guint prop_id, const GValue *value,
                                GParamSpec *pspec)
{
  McamTrainDialog *self = MCAM_TRAIN_DIALOG (object);

  switch (prop_id)
    {
    case PROP_WORKER:
      self->worker = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mcam_train_dialog_class_init (McamTrainDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->constructed = mcam_train_dialog_constructed;
  object_class->dispose = mcam_train_dialog_dispose;
  object_class->finalize = mcam_train_dialog_finalize;
  object_class->set_property = mcam_train_dialog_set_property;
  window_class->close_request = mcam_train_dialog_close_request;

  properties[PROP_WORKER] =
    g_param_spec_object ("worker", NULL, NULL, MCAM_TYPE_WORKER,
                         G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (MCAM_TYPE_LOSS_PLOT);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/mcam_explorer/MCamExplorer/ui/mcam-train-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, McamTrainDialog, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, McamTrainDialog, train_button);
  gtk_widget_class_bind_template_child (widget_class, McamTrainDialog, save_button);
  gtk_widget_class_bind_template_child (widget_class, McamTrainDialog, form);
  gtk_widget_class_bind_template_child (widget_class, McamTrainDialog, model_label);
  gtk_widget_class_bind_template_child (widget_class, McamTrainDialog, model_button);
  gtk_widget_class_bind_template_child (widget_class, McamTrainDialog, folder_label);
  gtk_widget_class_bind_template_child (widget_class, McamTrainDialog, folder_button);
  gtk_widget_class_bind_template_child (widget_class, McamTrainDialog, labels_label);
  gtk_widget_class_bind_template_child (widget_class, McamTrainDialog, labels_button);
  gtk_widget_class_bind_template_child (widget_class, McamTrainDialog, val_label);
  gtk_widget_class_bind_template_child (widget_class, McamTrainDialog, val_button);
  gtk_widget_class_bind_template_child (widget_class, McamTrainDialog, val_images_label);
  gtk_widget_class_bind_template_child (widget_class, McamTrainDialog, val_images_button);
  gtk_widget_class_bind_template_child (widget_class, McamTrainDialog, classes_label);
  gtk_widget_class_bind_template_child (widget_class, McamTrainDialog, classes_button);
  gtk_widget_class_bind_template_child (widget_class, McamTrainDialog, slots_spin);
  gtk_widget_class_bind_template_child (widget_class, McamTrainDialog, epochs_spin);
  gtk_widget_class_bind_template_child (widget_class, McamTrainDialog, batch_spin);
  gtk_widget_class_bind_template_child (widget_class, McamTrainDialog, lr_spin);
  gtk_widget_class_bind_template_child (widget_class, McamTrainDialog, scale_spin);
  gtk_widget_class_bind_template_child (widget_class, McamTrainDialog, seed_spin);
  gtk_widget_class_bind_template_child (widget_class, McamTrainDialog, ready_label);
  gtk_widget_class_bind_template_child (widget_class, McamTrainDialog, init_dropdown);
  gtk_widget_class_bind_template_child (widget_class, McamTrainDialog, loss_plot);
  gtk_widget_class_bind_template_child (widget_class, McamTrainDialog, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, McamTrainDialog, status_label);
}

static void
mcam_train_dialog_init (McamTrainDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  g_signal_connect_swapped (self->cancel_button, "clicked", G_CALLBACK (on_cancel_clicked), self);
  g_signal_connect_swapped (self->train_button, "clicked",
                            G_CALLBACK (mcam_train_dialog_start), self);
  g_signal_connect_swapped (self->save_button, "clicked", G_CALLBACK (on_save_clicked), self);
  g_signal_connect_swapped (self->model_button, "clicked", G_CALLBACK (on_model_clicked), self);
  g_signal_connect_swapped (self->folder_button, "clicked", G_CALLBACK (on_folder_clicked), self);
  g_signal_connect_swapped (self->labels_button, "clicked", G_CALLBACK (on_labels_clicked), self);
  g_signal_connect_swapped (self->val_button, "clicked", G_CALLBACK (on_val_clicked), self);
  g_signal_connect_swapped (self->val_images_button, "clicked",
                            G_CALLBACK (on_val_images_clicked), self);
  g_signal_connect_swapped (self->classes_button, "clicked", G_CALLBACK (on_classes_clicked), self);
  self->val_map = NAN;
  show_extra_inputs (self);
}

McamTrainDialog *
mcam_train_dialog_new (GtkWindow *parent, McamWorker *worker)
{
  return g_object_new (MCAM_TYPE_TRAIN_DIALOG, "transient-for", parent, "worker", worker,
                       NULL);
}
