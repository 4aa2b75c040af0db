/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The bias lens's window: the class x landing-place table of a run
 * (mcam-bias-lens-job.c), its cells' images, and with a re-fit head loaded
 * (issue 12) the choice of head the table shows and the re-fit lens's
 * verdict per class (the core's, mcam-head-verdict.h). */
#define G_LOG_DOMAIN "mcam-bias-lens"

#include "config.h"

#include <math.h>
#include <glib/gi18n.h>

#include "mcam/mcam-head-verdict.h"
#include "mcam/mcam-metrics.h"
#include "mcam-bias-lens-dialog.h"
#include "mcam-bias-lens-job.h"

/* ------------------------------------------------------------ the dialog */

struct _McamBiasLensDialog
{
  GtkWindow parent_instance;

  int             shown_class;   /* the class of the cell whose images are listed, -1 */

  GtkButton      *folder_button;
  GtkDropDown    *method_dropdown;
  GtkDropDown    *head_dropdown;
  GtkButton      *run_button;
  GtkButton      *cancel_button;
  GtkLabel       *folder_label;
  GtkProgressBar *progress_bar;
  GtkLabel       *status_label;
  GtkLabel       *verdict_label;
  GtkGrid        *table;
  GtkLabel       *cell_label;
  GtkListBox     *image_list;

  McamWorker   *worker;
  char         *folder;
  GCancellable   *cancellable;
  McamBiasResult *result;
  McamHeadRef    *head;          /* loaded beside the model, or NULL */
  gboolean        prefer_refit;  /* the head selector's choice */
};

G_DEFINE_FINAL_TYPE (McamBiasLensDialog, mcam_bias_lens_dialog, GTK_TYPE_WINDOW)

static void sync_head_widget (McamBiasLensDialog *self);

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

/* The tally the table shows: the re-fit head's when chosen and computed. */
static int
shown_head (McamBiasLensDialog *self)
{
  return self->result != NULL && self->result->n_heads == 2 && self->prefer_refit
         ? MCAM_BIAS_REFIT_HEAD : MCAM_BIAS_NETWORK_HEAD;
}

/* Pairs of class c at one place; OTHER sums every other class's column. */
static int
count_at (McamBiasResult *r, int k, int c, McamBiasLensPlace place)
{
  int C = r->n_classes, sum = 0;
  const int *row = r->tally[k]->landing + c * (C + 2);

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
  McamBiasResult *r = self->result;
  g_autofree char *heading = NULL;
  int C, n = 0, k = shown_head (self);
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
      GPtrArray *cell = r->cells[k][c * (C + 2) + j];
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

/* The re-fit lens's verdict, a line per class under the status: each class
 * the heads disagree on (or neither locates) with its own-object rates under
 * both heads, then the classes both heads locate in one line. Only after a
 * run that tallied both heads. */
static void
fill_verdicts (McamBiasLensDialog *self)
{
  McamBiasResult *r = self->result;
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GString) both = g_string_new (NULL);

  if (r == NULL || r->n_heads != 2)
    {
      gtk_widget_set_visible (GTK_WIDGET (self->verdict_label), FALSE);
      return;
    }
  /* TRANSLATORS: heading of the re-fit lens's verdicts; %s is the method */
  g_string_printf (text, _("<b>Re-fit lens</b> (%s; own object under the network's head → "
                           "the re-fit head):"), mcam_method_get_label (r->method));
  for (int c = 0; c < r->n_classes; c++)
    {
      g_auto(McamHeadVerdict) v = { 0 };
      g_autofree char *name = NULL;

      if (!mcam_head_verdict_make (&v, r->tally[MCAM_BIAS_NETWORK_HEAD],
                                   r->tally[MCAM_BIAS_REFIT_HEAD], c,
                                   (const char *const *) r->classes))
        continue;
      name = g_markup_escape_text (r->classes[c], -1);
      if (v.kind == MCAM_HEAD_VERDICT_BOTH)
        {
          g_string_append_printf (both, "%s%s", both->len > 0 ? ", " : "", name);
          continue;
        }
      {
        g_autofree char *words = g_markup_escape_text (v.text, -1);

        g_string_append_printf (text, "\n• <b>%s</b> %.0f%% → %.0f%%: %s%s%s", name,
                                100.0 * v.own_network, 100.0 * v.own_refit,
                                v.kind == MCAM_HEAD_VERDICT_HEAD_BIAS ? "<b>" : "", words,
                                v.kind == MCAM_HEAD_VERDICT_HEAD_BIAS ? "</b>" : "");
      }
    }
  if (both->len > 0)
    /* TRANSLATORS: the classes whose maps land on their own object under both heads */
    g_string_append_printf (text, "\n• %s %s", _("both heads locate"), both->str);
  gtk_label_set_markup (self->verdict_label, text->str);
  gtk_widget_set_visible (GTK_WIDGET (self->verdict_label), TRUE);
}

static void
_mcam_bias_lens_fill_table (McamBiasLensDialog *self)
{
  static const char *const heads[] = {
    N_("Class"), N_("Pairs"), N_("Own object"), N_("Another object"), N_("Background"),
    N_("No map"),
  };
  McamBiasResult *r = self->result;
  GtkWidget *child;
  int k = shown_head (self);

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->table))) != NULL)
    gtk_grid_remove (self->table, child);
  fill_verdicts (self);
  if (r == NULL)
    return;

  for (guint j = 0; j < G_N_ELEMENTS (heads); j++)
    gtk_grid_attach (self->table, header_label (_(heads[j])), j, 0, 1, 1);

  for (int c = 0; c < r->n_classes; c++)
    {
      int pairs = r->tally[k]->pairs[c];
      g_autofree char *pairs_text = g_strdup_printf ("%d", pairs);
      GtkWidget *name = gtk_label_new (r->classes[c]);
      GtkWidget *pairs_label = gtk_label_new (pairs_text);

      gtk_label_set_xalign (GTK_LABEL (name), 0.0f);
      gtk_grid_attach (self->table, name, 0, c + 1, 1, 1);
      gtk_grid_attach (self->table, pairs_label, 1, c + 1, 1, 1);
      for (int place = 0; place < MCAM_BIAS_LENS_N_PLACES; place++)
        {
          int n = count_at (r, k, c, place);
          g_autofree char *text = NULL;
          GtkWidget *button;

          if (pairs == 0)
            text = g_strdup ("—");
          else if (place == MCAM_BIAS_LENS_OTHER && n > 0)
            {
              /* Name the shortcut: the other class the map lands on most. */
              const int *row = r->tally[k]->landing + c * (r->n_classes + 2);
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

char *
mcam_bias_lens_dialog_get_verdict (McamBiasLensDialog *self, int class_index)
{
  McamBiasResult *r;
  McamHeadVerdict v;

  g_return_val_if_fail (MCAM_IS_BIAS_LENS_DIALOG (self), NULL);
  r = self->result;
  if (r == NULL || r->n_heads != 2 || class_index < 0 || class_index >= r->n_classes ||
      !mcam_head_verdict_make (&v, r->tally[MCAM_BIAS_NETWORK_HEAD],
                               r->tally[MCAM_BIAS_REFIT_HEAD], class_index,
                               (const char *const *) r->classes))
    return NULL;
  return v.text;
}

/* The status line after a run: the shown head's summary, whose maps they
 * are when a re-fit head is loaded, and what was skipped. */
static void
show_summary (McamBiasLensDialog *self)
{
  McamBiasResult *r = self->result;
  g_autoptr(GString) msg = g_string_new (NULL);
  int k = shown_head (self);
  double rate;

  if (r == NULL)
    return;
  rate = mcam_pointing_tally_rate (r->tally[k], -1);
  g_string_printf (msg, _("%s: %d images, %d class–object pairs; the map peaks on its own object in %.1f%% of them."),
                   mcam_method_get_label (r->method), r->n_images, r->tally[k]->total_pairs,
                   isfinite (rate) ? 100.0 * rate : 0.0);
  if (r->n_heads == 2 && k == MCAM_BIAS_REFIT_HEAD)
    {
      g_autofree char *base = g_path_get_basename (r->head_path);

      g_string_append_c (msg, ' ');
      /* TRANSLATORS: %s is the re-fit head's file name */
      g_string_append_printf (msg, _("The table shows the re-fit head's maps (%s: what the "
                                     "features support)."), base);
    }
  else if (r->n_heads == 2)
    g_string_append_printf (msg, " %s", _("The table shows the network's own head's maps."));
  else if (self->head != NULL && !mcam_method_reads_head (r->method))
    g_string_append_printf (msg, " %s",
                            mcam_method_needs_memory (r->method)
                            ? _("This method reads the memory module, not a head: no verdict.")
                            : _("This method depends on no head: no verdict."));
  else if (self->head != NULL)
    g_string_append_printf (msg, " %s", _("Run again to compare with the re-fit head."));
  if (r->n_failed > 0)
    g_string_append_printf (msg, _(" %d skipped (first: %s)."), r->n_failed,
                            r->first_failure);
  gtk_label_set_text (self->status_label, msg->str);
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
  return count_at (self->result, shown_head (self), class_index, place);
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
  McamBiasResult *r = mcam_worker_run_finish (MCAM_WORKER (source), res, &error);

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
      g_clear_pointer (&self->result, mcam_bias_result_free);
      self->result = r;
      sync_head_widget (self);
      show_summary (self);
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
  McamBiasJob *job;

  g_return_if_fail (MCAM_IS_BIAS_LENS_DIALOG (self));
  if (self->cancellable != NULL || self->folder == NULL || self->worker == NULL)
    return;

  job = g_new0 (McamBiasJob, 1);
  job->folder = g_strdup (self->folder);
  job->method = gtk_drop_down_get_selected (self->method_dropdown);
  job->head = self->head != NULL ? mcam_head_ref_acquire (self->head) : NULL;
  self->cancellable = g_cancellable_new ();
  gtk_progress_bar_set_fraction (self->progress_bar, 0.0);
  gtk_label_set_text (self->status_label, _("Starting…"));
  mcam_worker_run_async (self->worker, _("Bias lens"), "bias-lens", mcam_bias_job_run, job,
                         mcam_bias_job_free, mcam_bias_result_free, bias_progress_cb, self,
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

/* ------------------------------------------------------------ the head */

/* Shown with a head loaded, and while the table holds a run with both
 * heads (a head unloaded since: its run can still be read both ways). */
static void
sync_head_widget (McamBiasLensDialog *self)
{
  gtk_widget_set_visible (GTK_WIDGET (self->head_dropdown),
                          self->head != NULL ||
                          (self->result != NULL && self->result->n_heads == 2));
  if (gtk_drop_down_get_selected (self->head_dropdown) != (self->prefer_refit ? 1u : 0u))
    gtk_drop_down_set_selected (self->head_dropdown, self->prefer_refit ? 1 : 0);
}

void
mcam_bias_lens_dialog_set_head (McamBiasLensDialog *self, McamHeadRef *head)
{
  g_return_if_fail (MCAM_IS_BIAS_LENS_DIALOG (self));
  if (head == self->head)
    return;
  g_clear_pointer (&self->head, mcam_head_ref_release);
  self->head = head != NULL ? mcam_head_ref_acquire (head) : NULL;
  sync_head_widget (self);
  /* A table made with the old head stays (it names its head); the next run
   * takes the new one. */
  show_summary (self);
}

void
mcam_bias_lens_dialog_set_use_refit_head (McamBiasLensDialog *self, gboolean refit)
{
  g_return_if_fail (MCAM_IS_BIAS_LENS_DIALOG (self));
  refit = !!refit;
  if (refit == self->prefer_refit)
    return;
  self->prefer_refit = refit;
  sync_head_widget (self);
  /* Both tallies are in the result: switching needs no new run. */
  _mcam_bias_lens_fill_table (self);
  if (self->result != NULL)
    {
      mcam_bias_lens_dialog_show_cell (self, -1, MCAM_BIAS_LENS_OWN);
      gtk_label_set_text (self->cell_label, _("Click a cell to list its images."));
    }
  show_summary (self);
}

gboolean
mcam_bias_lens_dialog_get_use_refit_head (McamBiasLensDialog *self)
{
  g_return_val_if_fail (MCAM_IS_BIAS_LENS_DIALOG (self), FALSE);
  return shown_head (self) == MCAM_BIAS_REFIT_HEAD;
}

static void
on_head_selected (McamBiasLensDialog *self)
{
  mcam_bias_lens_dialog_set_use_refit_head (self,
                                            gtk_drop_down_get_selected (self->head_dropdown) == 1);
}

static void
follow_head (McamWindow *window, McamBiasLensDialog *self)
{
  mcam_bias_lens_dialog_set_head (self, _mcam_window_get_head (window));
}

void
mcam_bias_lens_dialog_follow_head (McamBiasLensDialog *self, McamWindow *window)
{
  g_return_if_fail (MCAM_IS_BIAS_LENS_DIALOG (self));
  g_signal_connect_object (window, "head-changed", G_CALLBACK (follow_head), self, 0);
  follow_head (window, self);
}

/* ------------------------------------------------------------ widgets */

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
  g_clear_pointer (&self->result, mcam_bias_result_free);
  g_clear_pointer (&self->head, mcam_head_ref_release);
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
  gtk_widget_class_bind_template_child (widget_class, McamBiasLensDialog, head_dropdown);
  gtk_widget_class_bind_template_child (widget_class, McamBiasLensDialog, run_button);
  gtk_widget_class_bind_template_child (widget_class, McamBiasLensDialog, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, McamBiasLensDialog, folder_label);
  gtk_widget_class_bind_template_child (widget_class, McamBiasLensDialog, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, McamBiasLensDialog, status_label);
  gtk_widget_class_bind_template_child (widget_class, McamBiasLensDialog, verdict_label);
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
  g_signal_connect_swapped (self->head_dropdown, "notify::selected",
                            G_CALLBACK (on_head_selected), self);
  mcam_bias_lens_dialog_set_folder (self, NULL);
}

McamBiasLensDialog *
mcam_bias_lens_dialog_new (GtkWindow *parent, McamWorker *worker)
{
  return g_object_new (MCAM_TYPE_BIAS_LENS_DIALOG, "transient-for", parent, "worker", worker,
                       NULL);
}
