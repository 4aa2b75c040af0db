/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The batch export dialog: which classes (ticked, all, each image's ground
 * truth, each image's top k) and which methods, for every image of the
 * browser, into which folder. It only builds the McamExportRequest; the
 * window runs it (mcam-window-export.c), so the batch gets the status area's
 * progress and Cancel and the one question about existing files. */

#define G_LOG_DOMAIN "mcam-export"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "mcam-batch-export-dialog.h"
#include "mcam-window-private.h"

struct _McamBatchExportDialog
{
  GtkWindow parent_instance;

  /* template */
  GtkButton      *export_button;
  GtkLabel       *images_label;
  GtkCheckButton *chosen_check;
  GtkCheckButton *all_check;
  GtkCheckButton *truth_check;
  GtkCheckButton *top_check;
  GtkSpinButton  *top_spin;
  GtkWidget      *class_scroller;
  GtkBox         *class_box;
  GtkWidget      *tick_box;
  GtkGrid        *method_grid;
  GtkLabel       *folder_label;
  GtkLabel       *summary_label;

  McamWindow     *window;          /* weak: the dialog is destroyed with it */
  GPtrArray      *class_checks;    /* GtkCheckButton per class, head order */
  GtkCheckButton *method_checks[MCAM_N_METHODS];
  GFile          *folder;
};

G_DEFINE_FINAL_TYPE (McamBatchExportDialog, mcam_batch_export_dialog, GTK_TYPE_WINDOW)

/* ------------------------------------------------------------ choices */

static McamBatchClassMode
get_mode (McamBatchExportDialog *self)
{
  if (gtk_check_button_get_active (self->all_check))
    return MCAM_BATCH_CLASSES_ALL;
  if (gtk_check_button_get_active (self->truth_check))
    return MCAM_BATCH_CLASSES_GROUND_TRUTH;
  if (gtk_check_button_get_active (self->top_check))
    return MCAM_BATCH_CLASSES_TOP_K;
  return MCAM_BATCH_CLASSES_CHOSEN;
}

static GListModel *
get_images (McamBatchExportDialog *self)
{
  return mcam_image_browser_get_items (self->window->image_browser);
}

static guint
n_methods_chosen (McamBatchExportDialog *self)
{
  guint n = 0;

  for (int m = 0; m < MCAM_N_METHODS; m++)
    if (gtk_check_button_get_active (self->method_checks[m]))
      n++;
  return n;
}

/* The classes to export for one image, in head order. */
static GArray *
classes_for_image (McamBatchExportDialog *self, McamImageItem *item)
{
  GArray *classes = g_array_new (FALSE, FALSE, sizeof (int));
  McamBatchClassMode mode = get_mode (self);

  for (guint c = 0; c < self->class_checks->len; c++)
    {
      gboolean take = FALSE;

      if (mode == MCAM_BATCH_CLASSES_ALL)
        take = TRUE;
      else if (mode == MCAM_BATCH_CLASSES_CHOSEN)
        take = gtk_check_button_get_active (g_ptr_array_index (self->class_checks, c));
      else if (mode == MCAM_BATCH_CLASSES_GROUND_TRUTH)
        {
          int n = 0;
          const float *labels = mcam_image_item_get_labels (item, &n);

          take = labels != NULL && (int) c < n && labels[c] > 0.5f;
        }
      if (take)
        {
          int k = (int) c;

          g_array_append_val (classes, k);
        }
    }
  return classes;
}

int
mcam_batch_export_dialog_get_n_overlays (McamBatchExportDialog *self)
{
  GListModel *images = get_images (self);
  guint n_images = g_list_model_get_n_items (images);
  int n = 0;

  g_return_val_if_fail (MCAM_IS_BATCH_EXPORT_DIALOG (self), 0);

  if (get_mode (self) == MCAM_BATCH_CLASSES_TOP_K)
    return -1;
  for (guint i = 0; i < n_images; i++)
    {
      g_autoptr(McamImageItem) item = g_list_model_get_item (images, i);
      g_autoptr(GArray) classes = classes_for_image (self, item);

      n += classes->len;
    }
  return n * (int) n_methods_chosen (self);
}

static void
update_summary (McamBatchExportDialog *self)
{
  McamBatchClassMode mode = get_mode (self);
  guint n_images = g_list_model_get_n_items (get_images (self));
  guint n_methods = n_methods_chosen (self);
  g_autofree char *text = NULL;
  int n;

  /* Signals of the template fire while the dialog is still being filled. */
  if (self->window == NULL || self->method_checks[MCAM_N_METHODS - 1] == NULL)
    return;
  gtk_widget_set_sensitive (self->class_scroller, mode == MCAM_BATCH_CLASSES_CHOSEN);
  gtk_widget_set_sensitive (self->tick_box, mode == MCAM_BATCH_CLASSES_CHOSEN);
  gtk_widget_set_sensitive (GTK_WIDGET (self->top_spin), mode == MCAM_BATCH_CLASSES_TOP_K);
  if (mode == MCAM_BATCH_CLASSES_TOP_K)
    {
      n = (int) (n_images * n_methods * gtk_spin_button_get_value_as_int (self->top_spin));
      n = MIN (n, (int) (n_images * n_methods * self->class_checks->len));
    }
  else
    n = mcam_batch_export_dialog_get_n_overlays (self);
  text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d overlay will be written",
                                       "%d overlays will be written", n), n);
  if (mode == MCAM_BATCH_CLASSES_GROUND_TRUTH)
    {
      GListModel *images = get_images (self);
      guint n_unknown = 0;

      for (guint i = 0; i < n_images; i++)
        {
          g_autoptr(McamImageItem) item = g_list_model_get_item (images, i);

          n_unknown += !mcam_image_item_has_ground_truth (item);
        }
      if (n_unknown > 0)
        {
          const char *format = g_dngettext (GETTEXT_PACKAGE, "%s; %u image has no ground truth",
                                            "%s; %u images have no ground truth", n_unknown);
          g_autofree char *more = g_strdup_printf (format, text, n_unknown);

          g_free (text);
          text = g_steal_pointer (&more);
        }
    }
  gtk_label_set_label (self->summary_label, text);
  gtk_widget_set_sensitive (GTK_WIDGET (self->export_button), n > 0 && self->folder != NULL);
}

void
mcam_batch_export_dialog_set_class_mode (McamBatchExportDialog *self, McamBatchClassMode mode)
{
  GtkCheckButton *checks[] = { self->chosen_check, self->all_check, self->truth_check,
                               self->top_check };

  g_return_if_fail (MCAM_IS_BATCH_EXPORT_DIALOG (self));
  g_return_if_fail (mode <= MCAM_BATCH_CLASSES_TOP_K);
  gtk_check_button_set_active (checks[mode], TRUE);
}

void
mcam_batch_export_dialog_set_class_chosen (McamBatchExportDialog *self, int class_index,
                                           gboolean chosen)
{
  g_return_if_fail (MCAM_IS_BATCH_EXPORT_DIALOG (self));
  g_return_if_fail (class_index >= 0 && (guint) class_index < self->class_checks->len);
  gtk_check_button_set_active (g_ptr_array_index (self->class_checks, class_index), chosen);
}

void
mcam_batch_export_dialog_set_method_chosen (McamBatchExportDialog *self, McamMethod method,
                                            gboolean chosen)
{
  g_return_if_fail (MCAM_IS_BATCH_EXPORT_DIALOG (self));
  g_return_if_fail (method < MCAM_N_METHODS);
  gtk_check_button_set_active (self->method_checks[method], chosen);
}

void
mcam_batch_export_dialog_set_top_k (McamBatchExportDialog *self, int k)
{
  g_return_if_fail (MCAM_IS_BATCH_EXPORT_DIALOG (self));
  gtk_spin_button_set_value (self->top_spin, k);
}

void
mcam_batch_export_dialog_set_folder (McamBatchExportDialog *self, GFile *folder)
{
  g_autofree char *path = NULL;

  g_return_if_fail (MCAM_IS_BATCH_EXPORT_DIALOG (self));
  g_set_object (&self->folder, folder);
  path = folder != NULL ? g_file_get_path (folder) : NULL;
  gtk_label_set_label (self->folder_label, path != NULL ? path : _("(none)"));
  update_summary (self);
}

GFile *
mcam_batch_export_dialog_get_folder (McamBatchExportDialog *self)
{
  g_return_val_if_fail (MCAM_IS_BATCH_EXPORT_DIALOG (self), NULL);
  return self->folder;
}

/* ------------------------------------------------------------ export */

static void
add_items (McamWindow *window, McamExportRequest *req, const char *dir, const char *image,
           const int *classes, guint n_classes, const gboolean *methods)
{
  for (guint k = 0; k < n_classes; k++)
    for (int m = 0; m < MCAM_N_METHODS; m++)
      if (methods[m])
        {
          g_autofree char *name = _mcam_window_export_name (window, image, classes[k], m);
          g_autofree char *out = g_build_filename (dir, name, NULL);

          mcam_export_request_add (req, image, classes[k], m, out);
        }
}

/* Top k: the images' scores come from the worker (a forward pass each, or
 * the cache), so the classes are ranked there first. */
typedef struct
{
  GStrv  paths;
  int    k;
} RankJob;

static void
rank_job_free (RankJob *job)
{
  g_strfreev (job->paths);
  g_free (job);
}

static gpointer
rank_func (McamWorkerContext *ctx, gpointer data, GCancellable *cancellable, GError **error)
{
  RankJob *job = data;
  guint n = g_strv_length (job->paths);
  GPtrArray *ranked = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *base = g_path_get_basename (job->paths[i]);
      g_autofree char *text = g_strdup_printf (_("Ranking the classes of %s (%u of %u)"),
                                               base, i + 1, n);
      McamAnalysis *a;
      GArray *top;
      int n_top;

      /* A cached analysis returns at once: look at Cancel here too. */
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          g_ptr_array_unref (ranked);
          return NULL;
        }
      mcam_worker_context_progress (ctx, (double) i / n, text);
      a = mcam_worker_context_get_analysis (ctx, job->paths[i], NULL, cancellable, error);
      if (a == NULL)
        {
          g_ptr_array_unref (ranked);
          return NULL;
        }
      n_top = MIN (job->k, a->n_classes);
      top = g_array_new (FALSE, FALSE, sizeof (int));
      /* Selection by repeated maximum: k is small; ties go to the lower index
       * as in the class list. */
      for (int r = 0; r < n_top; r++)
        {
          int best = -1;

          for (int c = 0; c < a->n_classes; c++)
            {
              gboolean taken = FALSE;

              for (guint t = 0; t < top->len; t++)
                taken |= g_array_index (top, int, t) == c;
              if (!taken && (best < 0 || a->scores[c] > a->scores[best]))
                best = c;
            }
          g_array_append_val (top, best);
        }
      g_ptr_array_add (ranked, top);
    }
  return ranked;
}

typedef struct
{
  McamWindow *window;
  GStrv       paths;
  char       *dir;
  gboolean    methods[MCAM_N_METHODS];
  McamExportRequest *req;
} RankDone;

static void
rank_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  RankDone *done = user_data;
  g_autoptr(GError) error = NULL;
  GPtrArray *ranked = mcam_worker_run_finish (MCAM_WORKER (source), result, &error);

  if (ranked != NULL && done->window->worker != NULL)
    {
      for (guint i = 0; i < ranked->len; i++)
        {
          GArray *top = g_ptr_array_index (ranked, i);

          add_items (done->window, done->req, done->dir, done->paths[i], (int *) top->data,
                     top->len, done->methods);
        }
      _mcam_window_run_export (done->window, g_steal_pointer (&done->req));
    }
  else if (done->window->worker != NULL &&
           !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    mcam_window_show_error (done->window, _("The classes could not be ranked"),
                            error->message);
  g_clear_pointer (&ranked, g_ptr_array_unref);
  g_clear_pointer (&done->req, mcam_export_request_free);
  g_strfreev (done->paths);
  g_free (done->dir);
  g_object_unref (done->window);
  g_free (done);
}

void
mcam_batch_export_dialog_export (McamBatchExportDialog *self)
{
  GListModel *images;
  guint n_images;
  g_autofree char *dir = NULL;
  gboolean methods[MCAM_N_METHODS];
  McamExportRequest *req;
  McamWindow *window = self->window;

  g_return_if_fail (MCAM_IS_BATCH_EXPORT_DIALOG (self));
  if (self->folder == NULL || window == NULL || window->model == NULL)
    return;
  dir = g_file_get_path (self->folder);
  _mcam_window_remember_export_folder (window, dir);
  for (int m = 0; m < MCAM_N_METHODS; m++)
    methods[m] = gtk_check_button_get_active (self->method_checks[m]);
  images = get_images (self);
  n_images = g_list_model_get_n_items (images);
  req = _mcam_window_new_export_request (window);

  if (get_mode (self) == MCAM_BATCH_CLASSES_TOP_K)
    {
      RankJob *job = g_new0 (RankJob, 1);
      RankDone *done = g_new0 (RankDone, 1);

      job->paths = g_new0 (char *, n_images + 1);
      for (guint i = 0; i < n_images; i++)
        {
          g_autoptr(McamImageItem) item = g_list_model_get_item (images, i);

          job->paths[i] = g_strdup (mcam_image_item_get_path (item));
        }
      job->k = gtk_spin_button_get_value_as_int (self->top_spin);
      done->window = g_object_ref (window);
      done->paths = g_strdupv (job->paths);
      done->dir = g_steal_pointer (&dir);
      memcpy (done->methods, methods, sizeof methods);
      done->req = req;
      mcam_worker_run_async (window->worker, _("Ranking classes"), NULL, rank_func, job,
                             (GDestroyNotify) rank_job_free,
                             (GDestroyNotify) g_ptr_array_unref, NULL, NULL, NULL,
                             rank_done_cb, done);
    }
  else
    {
      for (guint i = 0; i < n_images; i++)
        {
          g_autoptr(McamImageItem) item = g_list_model_get_item (images, i);
          g_autoptr(GArray) classes = classes_for_image (self, item);

          add_items (window, req, dir, mcam_image_item_get_path (item), (int *) classes->data,
                     classes->len, methods);
        }
      _mcam_window_run_export (window, req);
    }
  gtk_window_destroy (GTK_WINDOW (self));
}

/* ------------------------------------------------------------ callbacks */

static void
folder_chosen_cb (GtkNativeDialog *native, int response, McamBatchExportDialog *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (native));

      mcam_batch_export_dialog_set_folder (self, file);
    }
  gtk_native_dialog_destroy (native);
  g_object_unref (native);
}

static void
choose_folder_cb (McamBatchExportDialog *self)
{
  GtkFileChooserNative *native =
    gtk_file_chooser_native_new (_("Export to a Folder"), GTK_WINDOW (self),
                                 GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, _("_Select"),
                                 _("_Cancel"));

  if (self->folder != NULL)
    gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (native), self->folder, NULL);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  g_signal_connect (native, "response", G_CALLBACK (folder_chosen_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

static void
export_clicked_cb (McamBatchExportDialog *self)
{
  mcam_batch_export_dialog_export (self);
}

static void
cancel_clicked_cb (McamBatchExportDialog *self)
{
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
select_classes (McamBatchExportDialog *self, gboolean active)
{
  for (guint c = 0; c < self->class_checks->len; c++)
    gtk_check_button_set_active (g_ptr_array_index (self->class_checks, c), active);
}

static void
select_all_cb (McamBatchExportDialog *self)
{
  select_classes (self, TRUE);
}

static void
select_none_cb (McamBatchExportDialog *self)
{
  select_classes (self, FALSE);
}

/* ------------------------------------------------------------ object */

static void
mcam_batch_export_dialog_dispose (GObject *object)
{
  McamBatchExportDialog *self = MCAM_BATCH_EXPORT_DIALOG (object);

  g_clear_weak_pointer (&self->window);
  g_clear_object (&self->folder);
  g_clear_pointer (&self->class_checks, g_ptr_array_unref);
  gtk_widget_dispose_template (GTK_WIDGET (self), MCAM_TYPE_BATCH_EXPORT_DIALOG);
  G_OBJECT_CLASS (mcam_batch_export_dialog_parent_class)->dispose (object);
}

static void
mcam_batch_export_dialog_class_init (McamBatchExportDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = mcam_batch_export_dialog_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
      "/io/github/mcam_explorer/MCamExplorer/ui/mcam-batch-export-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, McamBatchExportDialog, export_button);
  gtk_widget_class_bind_template_child (widget_class, McamBatchExportDialog, images_label);
  gtk_widget_class_bind_template_child (widget_class, McamBatchExportDialog, chosen_check);
  gtk_widget_class_bind_template_child (widget_class, McamBatchExportDialog, all_check);
  gtk_widget_class_bind_template_child (widget_class, McamBatchExportDialog, truth_check);
  gtk_widget_class_bind_template_child (widget_class, McamBatchExportDialog, top_check);
  gtk_widget_class_bind_template_child (widget_class, McamBatchExportDialog, top_spin);
  gtk_widget_class_bind_template_child (widget_class, McamBatchExportDialog, class_scroller);
  gtk_widget_class_bind_template_child (widget_class, McamBatchExportDialog, class_box);
  gtk_widget_class_bind_template_child (widget_class, McamBatchExportDialog, tick_box);
  gtk_widget_class_bind_template_child (widget_class, McamBatchExportDialog, method_grid);
  gtk_widget_class_bind_template_child (widget_class, McamBatchExportDialog, folder_label);
  gtk_widget_class_bind_template_child (widget_class, McamBatchExportDialog, summary_label);
  gtk_widget_class_bind_template_callback (widget_class, choose_folder_cb);
  gtk_widget_class_bind_template_callback (widget_class, export_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, cancel_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, select_all_cb);
  gtk_widget_class_bind_template_callback (widget_class, select_none_cb);
  gtk_widget_class_bind_template_callback (widget_class, update_summary);
}

static void
mcam_batch_export_dialog_init (McamBatchExportDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->class_checks = g_ptr_array_new ();
}

McamBatchExportDialog *
mcam_batch_export_dialog_new (McamWindow *window)
{
  McamBatchExportDialog *self;
  McamModelInfo *model;
  guint n_images;
  g_autofree char *images_text = NULL;
  const int rows = (MCAM_N_METHODS + 1) / 2;

  g_return_val_if_fail (MCAM_IS_WINDOW (window), NULL);
  self = g_object_new (MCAM_TYPE_BATCH_EXPORT_DIALOG, "transient-for", window, NULL);
  g_set_weak_pointer (&self->window, window);
  model = window->model;

  n_images = g_list_model_get_n_items (get_images (self));
  images_text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                              "Every image of the browser (%u image), with:",
                                              "Every image of the browser (%u images), with:",
                                              n_images), n_images);
  gtk_label_set_label (self->images_label, images_text);

  for (int c = 0; model != NULL && c < model->n_classes; c++)
    {
      GtkWidget *check = gtk_check_button_new_with_label (model->classes[c]);

      gtk_check_button_set_active (GTK_CHECK_BUTTON (check), c == window->class_index);
      g_signal_connect_swapped (check, "toggled", G_CALLBACK (update_summary), self);
      gtk_box_append (self->class_box, check);
      g_ptr_array_add (self->class_checks, check);
    }
  gtk_spin_button_set_range (self->top_spin, 1, MAX (1, model != NULL ? model->n_classes : 1));

  for (int m = 0; m < MCAM_N_METHODS; m++)
    {
      GtkWidget *check = gtk_check_button_new_with_label (mcam_method_get_label (m));
      gboolean usable = !mcam_method_needs_memory (m) || (model != NULL && model->n_slots > 0);

      gtk_widget_set_sensitive (check, usable);
      if (!usable)
        gtk_widget_set_tooltip_text (check, _("This model has no memory module"));
      gtk_check_button_set_active (GTK_CHECK_BUTTON (check), usable && m == (int) window->method);
      g_signal_connect_swapped (check, "toggled", G_CALLBACK (update_summary), self);
      /* Two columns, read down the first. */
      gtk_grid_attach (self->method_grid, check, m / rows, m % rows, 1, 1);
      self->method_checks[m] = GTK_CHECK_BUTTON (check);
    }

  {
    /* Never the input images' folder (hundreds of PNGs among the inputs). */
    g_autofree char *dir = _mcam_window_default_export_folder (window);
    g_autoptr(GFile) folder = g_file_new_for_path (dir);

    mcam_batch_export_dialog_set_folder (self, folder);
  }
  return self;
}
