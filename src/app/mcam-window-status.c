/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The main window's messages: the error bar (every failure, with the file and
 * the problem) and the status area (the running job, its progress and Cancel,
 * shown only when a job takes longer than STATUS_DELAY_MS; then the cache and
 * the last class switch). */

#define G_LOG_DOMAIN "mcam-window"

#include "config.h"

#include <glib/gi18n.h>

#include "mcam-window-private.h"

/* A job shows the status area only when it runs longer than this. */
#define STATUS_DELAY_MS 200

/* ---------------------------------------------------------------- errors */

void
_mcam_window_show_message (McamWindow *self, McamMessageKind kind, const char *title,
                           const char *message)
{
  g_autofree char *shown = NULL;

  g_return_if_fail (MCAM_IS_WINDOW (self));

  /* The same failure again (a broken map at every switch) is one message
   * with a count, not a new one. */
  if (self->have_error && kind == self->message_kind &&
      g_strcmp0 (title, self->message_title) == 0 && g_strcmp0 (message, self->message_text) == 0)
    self->message_repeats++;
  else
    {
      g_message ("%s: %s", title, message);
      self->message_repeats = 1;
      g_free (self->message_title);
      g_free (self->message_text);
      self->message_title = g_strdup (title);
      self->message_text = g_strdup (message);
    }
  self->message_kind = kind;
  if (self->message_repeats > 1)
    /* Translators: an error's title and how often it happened in a row. */
    shown = g_strdup_printf (_("%s (%u times)"), title, self->message_repeats);
  gtk_label_set_label (self->error_title, shown ? shown : title);
  gtk_label_set_label (self->error_label, message);
  gtk_info_bar_set_revealed (self->error_bar, TRUE);
  self->have_error = TRUE;
}

void
_mcam_window_clear_message (McamWindow *self, McamMessageKind kind)
{
  if (self->have_error && self->message_kind == kind)
    mcam_window_clear_error (self);
}

void
_mcam_window_free_messages (McamWindow *self)
{
  g_clear_pointer (&self->message_title, g_free);
  g_clear_pointer (&self->message_text, g_free);
}

void
mcam_window_show_error (McamWindow *self, const char *title, const char *message)
{
  _mcam_window_show_message (self, MCAM_MESSAGE_OTHER, title, message);
}

void
mcam_window_clear_error (McamWindow *self)
{
  gtk_info_bar_set_revealed (self->error_bar, FALSE);
  self->have_error = FALSE;
  self->message_repeats = 0;
}

const char *
mcam_window_get_error_text (McamWindow *self)
{
  return self->have_error ? gtk_label_get_label (self->error_label) : NULL;
}

static void
error_bar_response_cb (McamWindow *self, int response)
{
  mcam_window_clear_error (self);
}

/* ---------------------------------------------------------------- status area */

void
_mcam_window_update_status_info (McamWindow *self)
{
  g_autoptr(GString) text = g_string_new (NULL);
  guint n = mcam_worker_get_n_cached (self->worker);

  g_string_append_printf (text, g_dngettext (GETTEXT_PACKAGE, "features cached: %u image",
                                             "features cached: %u images", n), n);
  if (self->last_switch_ms > 0)
    g_string_append_printf (text, _(" · class switch %.0f ms"), self->last_switch_ms);
  gtk_label_set_label (self->status_info, text->str);
}

static gboolean
status_reveal_cb (gpointer user_data)
{
  McamWindow *self = user_data;

  self->status_timeout_id = 0;
  gtk_widget_set_visible (GTK_WIDGET (self->status_progress), TRUE);
  gtk_widget_set_visible (GTK_WIDGET (self->cancel_button), TRUE);
  gtk_progress_bar_pulse (self->status_progress);
  return G_SOURCE_REMOVE;
}

static void
job_started_cb (McamWindow *self, const char *label)
{
  self->n_running++;
  if (label == NULL)
    return;
  gtk_label_set_label (self->status_label, label);
  gtk_progress_bar_set_fraction (self->status_progress, 0.0);
  if (self->status_timeout_id == 0 &&
      !gtk_widget_get_visible (GTK_WIDGET (self->status_progress)))
    self->status_timeout_id = g_timeout_add (STATUS_DELAY_MS, status_reveal_cb, self);
}

static void
job_progress_cb (McamWindow *self, double fraction, const char *text)
{
  gtk_progress_bar_set_fraction (self->status_progress, fraction);
  if (text != NULL)
    gtk_label_set_label (self->status_label, text);
}

static void
job_finished_cb (McamWindow *self, const char *label)
{
  if (self->n_running > 0)
    self->n_running--;
  if (self->n_running > 0)
    return;
  g_clear_handle_id (&self->status_timeout_id, g_source_remove);
  gtk_widget_set_visible (GTK_WIDGET (self->status_progress), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->cancel_button), FALSE);
  gtk_label_set_label (self->status_label, "");
  _mcam_window_update_status_info (self);
}

void
_mcam_window_class_setup_status (GtkWidgetClass *klass)
{
  gtk_widget_class_bind_template_callback (klass, error_bar_response_cb);
}

void
_mcam_window_setup_status (McamWindow *self)
{
  g_signal_connect_swapped (self->worker, "job-started", G_CALLBACK (job_started_cb), self);
  g_signal_connect_swapped (self->worker, "job-progress", G_CALLBACK (job_progress_cb), self);
  g_signal_connect_swapped (self->worker, "job-finished", G_CALLBACK (job_finished_cb), self);
  _mcam_window_update_status_info (self);
}
