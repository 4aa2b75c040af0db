/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mcam-bias-lens"

#include "config.h"

#include <math.h>
#include <glib/gi18n.h>

#include "mcam/mcam-dataset.h"
#include "mcam/mcam-metrics.h"
#include "mcam-bias-lens-dialog.h"

/* ------------------------------------------------------------ the job */

typedef struct
{
  char      *folder;
  McamMethod method;
} BiasJob;

typedef struct
{
  int                n_classes;
  char             **classes;
  McamMethod         method;
  McamPointingTally *tally;
  GPtrArray        **cells;       /* [C * (C + 2)]: image paths per (class, landing column) */
  int                n_images;    /* images with at least one box */
  int                n_failed;    /* unreadable images, skipped */
  char              *first_failure;
} BiasResult;

static void
bias_job_free (gpointer data)
{
  BiasJob *job = data;

  g_free (job->folder);
  g_free (job);
}

static void
bias_result_free (gpointer data)
{
  BiasResult *r = data;

  if (r->cells)
    for (int i = 0; i < r->n_classes * (r->n_classes + 2); i++)
      g_clear_pointer (&r->cells[i], g_ptr_array_unref);
  g_free (r->cells);
  g_strfreev (r->classes);
  g_clear_pointer (&r->tally, mcam_pointing_tally_free);
  g_free (r->first_failure);
  g_free (r);
}

/* An image that would not load or a map that failed: counted (the first
 * message kept), unless the job was cancelled, which goes to the caller.
 * Returns TRUE when the job must stop. */
static gboolean
note_failure (BiasResult *r, GError **local, GError **error)
{
  if (g_error_matches (*local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_propagate_error (error, g_steal_pointer (local));
      return TRUE;
    }
  if (r->n_failed++ == 0)
    r->first_failure = g_strdup ((*local)->message);
  g_clear_error (local);
  return FALSE;
}

static gpointer
bias_job_run (McamWorkerContext *ctx, gpointer data, GCancellable *cancellable,
              GError **error)
{
  BiasJob *job = data;
  McamNet *net = mcam_worker_context_get_net (ctx);
  McamMemory *memory = mcam_worker_context_get_memory (ctx);
  g_autofree char *labels_csv = g_build_filename (job->folder, "labels.csv", NULL);
  g_autofree char *boxes_csv = g_build_filename (job->folder, "boxes.csv", NULL);
  g_autoptr(McamDataset) ds = NULL;
  const McamNetInfo *info;
  McamExplainOptions opts;
  BiasResult *r;
  int C, n_with_boxes = 0, done = 0;

  if (net == NULL)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE, _("No model is loaded"));
      return NULL;
    }
  if (mcam_method_needs_memory (job->method) && memory == NULL)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE,
                   _("%s needs a memory module, and the loaded model has none"),
                   mcam_method_get_label (job->method));
      return NULL;
    }
  if (!g_file_test (boxes_csv, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_IO,
                   _("%s: not found. The bias lens needs the objects' boxes (boxes.csv, with labels.csv) beside the images."),
                   boxes_csv);
      return NULL;
    }
  info = mcam_net_get_info (net);
  C = info->n_classes;
  ds = mcam_dataset_load (g_file_test (labels_csv, G_FILE_TEST_IS_REGULAR) ? labels_csv : NULL,
                          boxes_csv, job->folder, (const char *const *) info->classes, C,
                          error);
  if (ds == NULL)
    return NULL;

  r = g_new0 (BiasResult, 1);
  r->n_classes = C;
  r->classes = g_strdupv (info->classes);
  r->method = job->method;
  r->tally = mcam_pointing_tally_new (C);
  r->cells = g_new0 (GPtrArray *, C * (C + 2));
  for (int i = 0; i < C * (C + 2); i++)
    r->cells[i] = g_ptr_array_new_with_free_func (g_free);
  for (int i = 0; i < ds->n; i++)
    n_with_boxes += ds->box_count[i] > 0;

  mcam_explain_options_init (&opts);
  for (int i = 0; i < ds->n; i++)
    {
      const McamBox *boxes = ds->boxes + ds->box_start[i];
      int nb = ds->box_count[i];
      g_autoptr(GError) local = NULL;
      g_autoptr(McamImage) image = NULL;
      g_autoptr(McamAnalysis) a = NULL;
      g_autofree gboolean *seen = NULL;

      if (nb == 0)
        continue;
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          bias_result_free (r);
          return NULL;
        }
      /* Its own analysis, not the window's cache: a folder pass must not
       * evict the images the user is looking at. */
      image = mcam_image_load (ds->paths[i], 0, &local);
      if (image != NULL)
        a = mcam_analysis_new (net, memory, image, cancellable, &local);
      if (a == NULL)
        {
          if (note_failure (r, &local, error))
            {
              bias_result_free (r);
              return NULL;
            }
          continue;
        }
      r->n_images++;

      seen = g_new0 (gboolean, C);
      opts.image = image;
      for (int b = 0; b < nb; b++)
        {
          int c = boxes[b].class_index, col;
          g_autoptr(McamExplanation) e = NULL;
          g_autofree float *map = NULL;

          if (c < 0 || c >= C || seen[c])
            continue;
          seen[c] = TRUE;
          e = mcam_explain (a, c, job->method, &opts, cancellable, &local);
          if (e == NULL)
            {
              if (note_failure (r, &local, error))
                {
                  bias_result_free (r);
                  return NULL;
                }
              continue;
            }
          map = mcam_map_to_image (e->map, e->h, e->w, image, &info->preprocess);
          col = mcam_pointing_tally_add (r->tally, boxes, nb, c, map, image->width,
                                         image->height, MCAM_POINTING_TOLERANCE);
          if (col >= 0)
            g_ptr_array_add (r->cells[c * (C + 2) + col], g_strdup (ds->paths[i]));
        }

      done++;
      {
        g_autofree char *text = g_strdup_printf (_("Explained %d of %d images"), done,
                                                 n_with_boxes);
        mcam_worker_context_progress (ctx, (double) done / MAX (1, n_with_boxes), text);
      }
    }
  return r;
}

/* ------------------------------------------------------------ the dialog */

struct _McamBiasLensDialog
{
  GtkWindow parent_instance;

  int             shown_class;   /* the class of the cell whose images are listed, -1 */

  GtkButton      *folder_button;
  GtkDropDown    *method_dropdown;
  GtkButton      *run_button;
  GtkButton      *cancel_button;
  GtkLabel       *folder_label;
  GtkProgressBar *progress_bar;
  GtkLabel       *status_label;
  GtkGrid        *table;
  GtkLabel       *cell_label;
  GtkListBox     *image_list;

  McamWorker   *worker;
  char         *folder;
  GCancellable *cancellable;
  BiasResult   *result;
};

G_DEFINE_FINAL_TYPE (McamBiasLensDialog, mcam_bias_lens_dialog, GTK_TYPE_WINDOW)

enum { PROP_0, PROP_WORKER, N_PROPS };
static GParamSpec *properties[N_PROPS];
enum { IMAGE_ACTIVATED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
_mcam_bias_lens_update_sensitivity (McamBiasLensDialog *self)
{
  gboolean running = self->cancellable != NULL;

  gtk_widget_set_sensitive (GTK_WIDGET (self->run_button), !running && self->folder != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->cancel_button), running);
  gtk_widget_set_sensitive (GTK_WIDGET (self->folder_button), !running);
  gtk_widget_set_sensitive (GTK_WIDGET (self->method_dropdown), !running);
}

/* Pairs of class c at one place; OTHER sums every other class's column. */
static int
count_at (BiasResult *r, int c, McamBiasLensPlace place)
{
  int C = r->n_classes, sum = 0;
  const int *row = r->tally->landing + c * (C + 2);

  switch (place)
    {
    case MCAM_BIAS_LENS_OWN:
      return row[c];
    case MCAM_BIAS_LENS_OTHER:
      for (int j = 0; j < C; j++)
        if (j != c)
          sum += row[j];
      return sum;
    case MCAM_BIAS_LENS_BACKGROUND:
      return row[C];
    case MCAM_BIAS_LENS_NO_MAP:
      return row[C + 1];
    case MCAM_BIAS_LENS_N_PLACES:
    default:
      return 0;
    }
}

int
mcam_bias_lens_dialog_show_cell (McamBiasLensDialog *self, int c, McamBiasLensPlace place)
{
  static const char *const place_names[] = {
    N_("on its own object"), N_("on another class's object"), N_("on the background"),
    N_("with no positive value"),
  };
  BiasResult *r = self->result;
  g_autofree char *heading = NULL;
  int C, n = 0;
  GtkWidget *child;

  g_return_val_if_fail (MCAM_IS_BIAS_LENS_DIALOG (self), 0);
  self->shown_class = r != NULL && c >= 0 && c < r->n_classes ? c : -1;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->image_list))) != NULL)
    gtk_list_box_remove (self->image_list, child);
  if (r == NULL || c < 0 || c >= r->n_classes || (int) place < 0
      || place >= MCAM_BIAS_LENS_N_PLACES)
    return 0;
  C = r->n_classes;

  for (int j = 0; j < C + 2; j++)
    {
      GPtrArray *cell = r->cells[c * (C + 2) + j];
      gboolean wanted = place == MCAM_BIAS_LENS_OWN ? j == c
                      : place == MCAM_BIAS_LENS_OTHER ? (j < C && j != c)
                      : place == MCAM_BIAS_LENS_BACKGROUND ? j == C
                      : j == C + 1;
      if (!wanted)
        continue;
      for (guint k = 0; k < cell->len; k++)
        {
          const char *path = g_ptr_array_index (cell, k);
          g_autofree char *base = g_path_get_basename (path);
          g_autofree char *text = NULL;
          GtkWidget *label;

          /* TRANSLATORS: an image file name and the class its map landed on */
          text = place == MCAM_BIAS_LENS_OTHER ? g_strdup_printf (_("%s — on %s"), base, r->classes[j])
                                               : g_strdup (base);
          label = gtk_label_new (text);
          gtk_label_set_xalign (GTK_LABEL (label), 0.0f);
          gtk_widget_set_tooltip_text (label, path);
          g_object_set_data_full (G_OBJECT (label), "mcam-path", g_strdup (path), g_free);
          gtk_list_box_append (self->image_list, label);
          n++;
        }
    }
  /* TRANSLATORS: "Sneaker: its map peaks on another class's object in 12 images" */
  heading = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s: the map peaks %s in %d image",
                                          "%s: the map peaks %s in %d images", n),
                             r->classes[c], _(place_names[place]), n);
  gtk_label_set_text (self->cell_label, heading);
  return n;
}

static void
on_cell_clicked (GtkButton *button, McamBiasLensDialog *self)
{
  int c = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (button), "mcam-class"));
  int place = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (button), "mcam-place"));

  mcam_bias_lens_dialog_show_cell (self, c, place);
}

static void
on_row_activated (GtkListBox *box, GtkListBoxRow *row, McamBiasLensDialog *self)
{
  const char *path = g_object_get_data (G_OBJECT (gtk_list_box_row_get_child (row)),
                                        "mcam-path");
  if (path)
    g_signal_emit (self, signals[IMAGE_ACTIVATED], 0, path);
}

static GtkWidget *
header_label (const char *text)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_widget_add_css_class (label, "heading");
  gtk_label_set_xalign (GTK_LABEL (label), 0.0f);
  return label;
}

static void
_mcam_bias_lens_fill_table (McamBiasLensDialog *self)
{
  static const char *const heads[] = {
    N_("Class"), N_("Pairs"), N_("Own object"), N_("Another object"), N_("Background"),
    N_("No map"),
  };
  BiasResult *r = self->result;
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->table))) != NULL)
    gtk_grid_remove (self->table, child);
  if (r == NULL)
    return;

  for (guint j = 0; j < G_N_ELEMENTS (heads); j++)
    gtk_grid_attach (self->table, header_label (_(heads[j])), j, 0, 1, 1);

  for (int c = 0; c < r->n_classes; c++)
    {
      int pairs = r->tally->pairs[c];
      g_autofree char *pairs_text = g_strdup_printf ("%d", pairs);
      GtkWidget *name = gtk_label_new (r->classes[c]);
      GtkWidget *pairs_label = gtk_label_new (pairs_text);

      gtk_label_set_xalign (GTK_LABEL (name), 0.0f);
      gtk_grid_attach (self->table, name, 0, c + 1, 1, 1);
      gtk_grid_attach (self->table, pairs_label, 1, c + 1, 1, 1);
      for (int place = 0; place < MCAM_BIAS_LENS_N_PLACES; place++)
        {
          int n = count_at (r, c, place);
          g_autofree char *text = NULL;
          GtkWidget *button;

          if (pairs == 0)
            text = g_strdup ("—");
          else if (place == MCAM_BIAS_LENS_OTHER && n > 0)
            {
              /* Name the shortcut: the other class the map lands on most. */
              const int *row = r->tally->landing + c * (r->n_classes + 2);
              int top = -1;
              for (int j = 0; j < r->n_classes; j++)
                if (j != c && (top < 0 || row[j] > row[top]))
                  top = j;
              /* TRANSLATORS: count, percentage, and the class most landed on */
              text = g_strdup_printf (_("%d (%.0f%%), most on %s"), n, 100.0 * n / pairs,
                                      r->classes[top]);
            }
          else
            text = g_strdup_printf ("%d (%.0f%%)", n, 100.0 * n / pairs);
          button = gtk_button_new_with_label (text);
          gtk_widget_add_css_class (button, "flat");
          gtk_widget_set_sensitive (button, n > 0);
          /* A bad sign stands out: a map mostly away from its own object. */
          if (place == MCAM_BIAS_LENS_OTHER && pairs > 0 && 2 * n > pairs)
            gtk_widget_add_css_class (button, "error");
          else if (place == MCAM_BIAS_LENS_OWN && pairs > 0 && 2 * n > pairs)
            gtk_widget_add_css_class (button, "success");
          g_object_set_data (G_OBJECT (button), "mcam-class", GINT_TO_POINTER (c));
          g_object_set_data (G_OBJECT (button), "mcam-place", GINT_TO_POINTER (place));
          g_signal_connect (button, "clicked", G_CALLBACK (on_cell_clicked), self);
          gtk_grid_attach (self->table, button, place + 2, c + 1, 1, 1);
        }
    }
}

const char *
mcam_bias_lens_dialog_get_status (McamBiasLensDialog *self)
{
  g_return_val_if_fail (MCAM_IS_BIAS_LENS_DIALOG (self), NULL);
  return gtk_label_get_text (self->status_label);
}

int
mcam_bias_lens_dialog_get_count (McamBiasLensDialog *self, int class_index,
                                 McamBiasLensPlace place)
{
  g_return_val_if_fail (MCAM_IS_BIAS_LENS_DIALOG (self), -1);
  if (self->result == NULL || class_index < 0 || class_index >= self->result->n_classes)
    return -1;
  return count_at (self->result, class_index, place);
}

static void
bias_progress_cb (double fraction, const char *text, gpointer user_data)
{
  McamBiasLensDialog *self = user_data;

  gtk_progress_bar_set_fraction (self->progress_bar, CLAMP (fraction, 0.0, 1.0));
  if (text)
    gtk_label_set_text (self->status_label, text);
}

static void
bias_done_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  g_autoptr(McamBiasLensDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  BiasResult *r = mcam_worker_run_finish (MCAM_WORKER (source), res, &error);

  g_clear_object (&self->cancellable);
  if (r == NULL)
    {
      g_autofree char *msg = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
        ? g_strdup (_("Cancelled."))
        : g_strdup_printf (_("The bias lens failed: %s"), error->message);
      gtk_label_set_text (self->status_label, msg);
      gtk_progress_bar_set_fraction (self->progress_bar, 0.0);
    }
  else
    {
      g_autoptr(GString) msg = g_string_new (NULL);
      double rate = mcam_pointing_tally_rate (r->tally, -1);

      g_clear_pointer (&self->result, bias_result_free);
      self->result = r;
      g_string_printf (msg, _("%s: %d images, %d class–object pairs; the map peaks on its own object in %.1f%% of them."),
                       mcam_method_get_label (r->method), r->n_images, r->tally->total_pairs,
                       isfinite (rate) ? 100.0 * rate : 0.0);
      if (r->n_failed > 0)
        g_string_append_printf (msg, _(" %d skipped (first: %s)."), r->n_failed,
                                r->first_failure);
      gtk_label_set_text (self->status_label, msg->str);
      gtk_progress_bar_set_fraction (self->progress_bar, 1.0);
      _mcam_bias_lens_fill_table (self);
      mcam_bias_lens_dialog_show_cell (self, -1, MCAM_BIAS_LENS_OWN);
      gtk_label_set_text (self->cell_label, _("Click a cell to list its images."));
    }
  _mcam_bias_lens_update_sensitivity (self);
}

void
mcam_bias_lens_dialog_run (McamBiasLensDialog *self)
{
  BiasJob *job;

  g_return_if_fail (MCAM_IS_BIAS_LENS_DIALOG (self));
  if (self->cancellable != NULL || self->folder == NULL || self->worker == NULL)
    return;

  job = g_new0 (BiasJob, 1);
  job->folder = g_strdup (self->folder);
  job->method = gtk_drop_down_get_selected (self->method_dropdown);
  self->cancellable = g_cancellable_new ();
  gtk_progress_bar_set_fraction (self->progress_bar, 0.0);
  gtk_label_set_text (self->status_label, _("Starting…"));
  mcam_worker_run_async (self->worker, _("Bias lens"), "bias-lens", bias_job_run, job,
                         bias_job_free, bias_result_free, bias_progress_cb, self,
                         self->cancellable, bias_done_cb, g_object_ref (self));
  _mcam_bias_lens_update_sensitivity (self);
}

void
mcam_bias_lens_dialog_cancel (McamBiasLensDialog *self)
{
  g_return_if_fail (MCAM_IS_BIAS_LENS_DIALOG (self));
  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
}

gboolean
mcam_bias_lens_dialog_is_running (McamBiasLensDialog *self)
{
  g_return_val_if_fail (MCAM_IS_BIAS_LENS_DIALOG (self), FALSE);
  return self->cancellable != NULL;
}

void
mcam_bias_lens_dialog_set_folder (McamBiasLensDialog *self, const char *folder)
{
  g_autofree char *boxes = NULL;

  g_return_if_fail (MCAM_IS_BIAS_LENS_DIALOG (self));
  g_free (self->folder);
  self->folder = g_strdup (folder);
  gtk_label_set_text (self->folder_label, folder ? folder : _("No folder chosen"));
  if (folder)
    {
      boxes = g_build_filename (folder, "boxes.csv", NULL);
      if (!g_file_test (boxes, G_FILE_TEST_IS_REGULAR))
        gtk_label_set_text (self->status_label,
                            _("This folder has no boxes.csv: the bias lens needs the objects' boxes."));
      else
        gtk_label_set_text (self->status_label, "");
    }
  _mcam_bias_lens_update_sensitivity (self);
}

gboolean
mcam_bias_lens_dialog_get_shown_cell (McamBiasLensDialog *self, int *class_index,
                                      McamMethod *method)
{
  g_return_val_if_fail (MCAM_IS_BIAS_LENS_DIALOG (self), FALSE);
  if (self->result == NULL || self->shown_class < 0)
    return FALSE;
  *class_index = self->shown_class;
  *method = self->result->method;
  return TRUE;
}

void
mcam_bias_lens_dialog_set_method (McamBiasLensDialog *self, McamMethod method)
{
  g_return_if_fail (MCAM_IS_BIAS_LENS_DIALOG (self));
  g_return_if_fail ((int) method >= 0 && method < MCAM_N_METHODS);
  gtk_drop_down_set_selected (self->method_dropdown, method);
}

static void
on_folder_response (GtkNativeDialog *native, int response, McamBiasLensDialog *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (native));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;
      if (path)
        mcam_bias_lens_dialog_set_folder (self, path);
    }
  gtk_native_dialog_destroy (native);
  g_object_unref (native);
}

static void
on_folder_clicked (McamBiasLensDialog *self)
{
  /* GtkFileChooserNative: GTK 4.8 has no GtkFileDialog. */
  GtkFileChooserNative *native =
    gtk_file_chooser_native_new (_("Choose a Folder with labels.csv and boxes.csv"),
                                 GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                 NULL, NULL);

  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  g_signal_connect (native, "response", G_CALLBACK (on_folder_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

static gboolean
mcam_bias_lens_dialog_close_request (GtkWindow *window)
{
  McamBiasLensDialog *self = MCAM_BIAS_LENS_DIALOG (window);

  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  return GTK_WINDOW_CLASS (mcam_bias_lens_dialog_parent_class)->close_request (window);
}

static void
mcam_bias_lens_dialog_dispose (GObject *object)
{
  McamBiasLensDialog *self = MCAM_BIAS_LENS_DIALOG (object);

  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), MCAM_TYPE_BIAS_LENS_DIALOG);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->worker);
  g_clear_pointer (&self->result, bias_result_free);
  G_OBJECT_CLASS (mcam_bias_lens_dialog_parent_class)->dispose (object);
}

static void
mcam_bias_lens_dialog_finalize (GObject *object)
{
  McamBiasLensDialog *self = MCAM_BIAS_LENS_DIALOG (object);

  g_free (self->folder);
  G_OBJECT_CLASS (mcam_bias_lens_dialog_parent_class)->finalize (object);
}

static void
mcam_bias_lens_dialog_set_property (GObject *object, guint prop_id, const GValue *value,
                                    GParamSpec *pspec)
{
  McamBiasLensDialog *self = MCAM_BIAS_LENS_DIALOG (object);

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
mcam_bias_lens_dialog_class_init (McamBiasLensDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = mcam_bias_lens_dialog_dispose;
  object_class->finalize = mcam_bias_lens_dialog_finalize;
  object_class->set_property = mcam_bias_lens_dialog_set_property;
  window_class->close_request = mcam_bias_lens_dialog_close_request;

  properties[PROP_WORKER] =
    g_param_spec_object ("worker", NULL, NULL, MCAM_TYPE_WORKER,
                         G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* An image of a clicked cell was activated: its full path. */
  signals[IMAGE_ACTIVATED] =
    g_signal_new ("image-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/mcam_explorer/MCamExplorer/ui/mcam-bias-lens-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, McamBiasLensDialog, folder_button);
  gtk_widget_class_bind_template_child (widget_class, McamBiasLensDialog, method_dropdown);
  gtk_widget_class_bind_template_child (widget_class, McamBiasLensDialog, run_button);
  gtk_widget_class_bind_template_child (widget_class, McamBiasLensDialog, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, McamBiasLensDialog, folder_label);
  gtk_widget_class_bind_template_child (widget_class, McamBiasLensDialog, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, McamBiasLensDialog, status_label);
  gtk_widget_class_bind_template_child (widget_class, McamBiasLensDialog, table);
  gtk_widget_class_bind_template_child (widget_class, McamBiasLensDialog, cell_label);
  gtk_widget_class_bind_template_child (widget_class, McamBiasLensDialog, image_list);
}

static void
mcam_bias_lens_dialog_init (McamBiasLensDialog *self)
{
  g_autoptr(GtkStringList) methods = gtk_string_list_new (NULL);

  self->shown_class = -1;
  gtk_widget_init_template (GTK_WIDGET (self));

  /* In McamMethod order, so the selected position is the method. */
  for (int m = 0; m < MCAM_N_METHODS; m++)
    gtk_string_list_append (methods, mcam_method_get_label (m));
  gtk_drop_down_set_model (self->method_dropdown, G_LIST_MODEL (methods));
  gtk_drop_down_set_selected (self->method_dropdown, MCAM_METHOD_MCAM);

  g_signal_connect_swapped (self->folder_button, "clicked", G_CALLBACK (on_folder_clicked), self);
  g_signal_connect_swapped (self->run_button, "clicked",
                            G_CALLBACK (mcam_bias_lens_dialog_run), self);
  g_signal_connect_swapped (self->cancel_button, "clicked",
                            G_CALLBACK (mcam_bias_lens_dialog_cancel), self);
  g_signal_connect (self->image_list, "row-activated", G_CALLBACK (on_row_activated), self);
  mcam_bias_lens_dialog_set_folder (self, NULL);
}

McamBiasLensDialog *
mcam_bias_lens_dialog_new (GtkWindow *parent, McamWorker *worker)
{
  return g_object_new (MCAM_TYPE_BIAS_LENS_DIALOG, "transient-for", parent, "worker", worker,
                       NULL);
}
