/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The model details (issues 10 and 17): what the network sees and which of
 * it was guessed. Every value that the file left out and a default filled is
 * marked "(assumed)", so that a user whose model was trained with other
 * normalisation or another resize sees it before trusting a map. */

#include "config.h"
#include <glib/gi18n.h>
#include "mcam/mcam.h"
#include "mcam/mcam-class-names.h"
#include "mcam/mcam-model-meta.h"
#include "mcam-model-details.h"

/* ---------------------------------------------------------------- snapshot */

void
mcam_model_snapshot_free (McamModelSnapshot *s)
{
  if (s == NULL)
    return;
  g_free (s->model_path);
  g_free (s->arch);
  g_free (s->description);
  g_free (s->target);
  g_strfreev (s->layers);
  g_strfreev (s->unknown_keys);
  g_free (s->classes_file);
  g_free (s->fingerprint);
  g_free (s);
}

static gpointer
snapshot_func (McamWorkerContext *ctx, gpointer data, GCancellable *cancellable,
               GError **error)
{
  McamNet *net = mcam_worker_context_get_net (ctx);
  McamModelInfo *mi = mcam_worker_context_get_info (ctx);
  const McamNetInfo *ni;
  McamModelSnapshot *s;

  if (net == NULL || mi == NULL)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE, _("No model is loaded"));
      return NULL;
    }
  ni = mcam_net_get_info (net);
  s = g_new0 (McamModelSnapshot, 1);
  s->generation = mi->generation;
  s->model_path = g_strdup (mi->model_path);
  s->arch = g_strdup (ni->arch);
  s->description = g_strdup (ni->description);
  s->target = g_strdup (ni->target);
  s->layers = mcam_net_list_layers (net);
  s->preprocess = ni->preprocess;
  s->meta_assumed = ni->meta_assumed;
  s->unknown_keys = g_strdupv (ni->unknown_keys);
  if (s->unknown_keys == NULL)
    s->unknown_keys = g_new0 (char *, 1);
  s->n_classes = ni->n_classes;
  s->multilabel = ni->multilabel;
  /* the worker gives the net the names of a classes.txt beside it, as the CLI does */
  s->classes_file = mcam_class_names_beside (mi->model_path);
  s->feat_c = ni->feat_c;
  s->feat_h = ni->feat_h;
  s->feat_w = ni->feat_w;
  s->fingerprint = g_strdup (ni->fingerprint);
  return s;
}

void
mcam_model_snapshot_async (McamWorker *worker, const char *channel,
                           GAsyncReadyCallback callback, gpointer user_data)
{
  mcam_worker_run_async (worker, _("Describing the model"), channel, snapshot_func, NULL, NULL,
                         (GDestroyNotify) mcam_model_snapshot_free, NULL, NULL, NULL,
                         callback, user_data);
}

McamModelSnapshot *
mcam_model_snapshot_finish (McamWorker *worker, GAsyncResult *result, GError **error)
{
  return mcam_worker_run_finish (worker, result, error);
}

static const char *
assumed (const McamModelSnapshot *s, McamMetaField field)
{
  /* Translators: after a value the model file did not give (a default) */
  return (s->meta_assumed & field) ? _(" (assumed)") : "";
}

char *
mcam_model_snapshot_describe (const McamModelSnapshot *s)
{
  GString *out = g_string_new (NULL);
  const McamPreprocess *pp = &s->preprocess;
  g_autofree char *base = g_path_get_basename (s->model_path);

  g_string_append_printf (out, _("File: %s\n"), base);
  g_string_append_printf (out, _("Architecture: %s (%s)\n"), s->arch,
                          s->description != NULL ? s->description : "");
  g_string_append_printf (out, _("Input: %d × %d%s\n"), pp->width, pp->height,
                          assumed (s, MCAM_META_INPUT));
  g_string_append_printf (out, _("Resize: %s%s\n"), mcam_resize_mode_get_name (pp->resize),
                          assumed (s, MCAM_META_RESIZE));
  if (pp->resize == MCAM_RESIZE_CENTER_CROP)
    {
      if (pp->resize_size > 0)
        g_string_append_printf (out, _("Resize size: shorter side %d, then the centre "
                                       "%d × %d%s\n"),
                                pp->resize_size, pp->width, pp->height,
                                assumed (s, MCAM_META_RESIZE_SIZE));
      else
        g_string_append_printf (out, _("Resize size: the image just covers %d × %d%s\n"),
                                pp->width, pp->height, assumed (s, MCAM_META_RESIZE_SIZE));
    }
  g_string_append_printf (out, _("Interpolation: %s%s\n"),
                          mcam_interpolation_get_name (pp->interpolation),
                          assumed (s, MCAM_META_INTERPOLATION));
  g_string_append_printf (out, _("Mean: %.4g, %.4g, %.4g%s\n"), pp->mean[0], pp->mean[1],
                          pp->mean[2], assumed (s, MCAM_META_MEAN));
  g_string_append_printf (out, _("Std: %.4g, %.4g, %.4g%s\n"), pp->std[0], pp->std[1],
                          pp->std[2], assumed (s, MCAM_META_STD));
  g_string_append_printf (out, _("Scores: %s%s\n"),
                          s->multilabel ? _("sigmoid (multi-label)")
                                        : _("softmax (single-label)"),
                          assumed (s, MCAM_META_MULTILABEL));
  if (s->classes_file != NULL)
    g_string_append_printf (out, _("Classes: %d, names from %s\n"), s->n_classes,
                            s->classes_file);
  else if (s->meta_assumed & MCAM_META_CLASSES)
    g_string_append_printf (out, _("Classes: %d, named 0 … %d%s\n"), s->n_classes,
                            s->n_classes - 1, assumed (s, MCAM_META_CLASSES));
  else
    g_string_append_printf (out, _("Classes: %d, names from the model file (mcam.classes)\n"),
                            s->n_classes);
  g_string_append_printf (out, _("Target layer: %s (f: %d × %d × %d)\n"), s->target,
                          s->feat_c, s->feat_h, s->feat_w);
  g_string_append_printf (out, _("Fingerprint: %s\n"), s->fingerprint);
  if (s->unknown_keys[0] != NULL)
    {
      g_autofree char *keys = g_strjoinv (", ", s->unknown_keys);

      g_string_append_printf (out, _("Warning: unknown keys %s (ignored: not read by this "
                                     "program; a typo?)\n"), keys);
    }
  if (out->len > 0 && out->str[out->len - 1] == '\n')
    g_string_truncate (out, out->len - 1);
  return g_string_free (out, FALSE);
}

/* ---------------------------------------------------------------- widget */

struct _McamModelDetails
{
  GtkWidget   parent_instance;

  McamWindow *window;       /* weak: owns us */
  GtkWidget  *button;
  GtkLabel   *label;
  char       *text;
  char       *warned;       /* path + fingerprint of the model last warned about */
};

G_DEFINE_FINAL_TYPE (McamModelDetails, mcam_model_details, GTK_TYPE_WIDGET)

static void
snapshot_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(McamModelDetails) self = user_data;
  g_autoptr(McamModelSnapshot) s = NULL;
  g_autoptr(GError) error = NULL;
  McamModelInfo *info;

  s = mcam_model_snapshot_finish (MCAM_WORKER (source), result, &error);
  if (s == NULL || self->window == NULL)
    return;
  info = mcam_window_get_model_info (self->window);
  if (info == NULL || info->generation != s->generation)
    return;   /* another model since: its own snapshot follows */
  g_free (self->text);
  self->text = mcam_model_snapshot_describe (s);
  gtk_label_set_label (self->label, self->text);
  gtk_widget_set_sensitive (self->button, TRUE);

  /* Once per model file: a re-target or a memory trained is the same model. */
  if (s->unknown_keys[0] != NULL)
    {
      g_autofree char *id = g_strconcat (s->model_path, "\n", s->fingerprint, NULL);

      if (g_strcmp0 (id, self->warned) != 0)
        {
          g_autofree char *keys = g_strjoinv (", ", s->unknown_keys);
          g_autofree char *message =
            g_strdup_printf (_("%s: metadata keys %s are not read by this program and are "
                               "ignored (a typo?). Model details lists them."),
                             s->model_path, keys);

          mcam_window_show_error (self->window, _("Unknown metadata keys"), message);
          g_free (self->warned);
          self->warned = g_steal_pointer (&id);
        }
    }
}

static void
model_changed_cb (McamModelDetails *self)
{
  if (self->window == NULL || mcam_window_get_model_info (self->window) == NULL)
    return;
  mcam_model_snapshot_async (mcam_window_get_worker (self->window), "model-details",
                             snapshot_cb, g_object_ref (self));
}

static void
mcam_model_details_dispose (GObject *object)
{
  McamModelDetails *self = MCAM_MODEL_DETAILS (object);

  g_clear_weak_pointer (&self->window);
  g_clear_pointer (&self->button, gtk_widget_unparent);
  G_OBJECT_CLASS (mcam_model_details_parent_class)->dispose (object);
}

static void
mcam_model_details_finalize (GObject *object)
{
  McamModelDetails *self = MCAM_MODEL_DETAILS (object);

  g_free (self->text);
  g_free (self->warned);
  G_OBJECT_CLASS (mcam_model_details_parent_class)->finalize (object);
}

static void
mcam_model_details_class_init (McamModelDetailsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mcam_model_details_dispose;
  object_class->finalize = mcam_model_details_finalize;
  gtk_widget_class_set_layout_manager_type (GTK_WIDGET_CLASS (klass), GTK_TYPE_BIN_LAYOUT);
}

static void
mcam_model_details_init (McamModelDetails *self)
{
  GtkWidget *popover = gtk_popover_new ();
  GtkWidget *label = gtk_label_new ("");

  self->text = g_strdup ("");
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  /* selectable with the mouse (the fingerprint), but not focused on opening,
   * which would select the whole text */
  gtk_widget_set_focusable (label, FALSE);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 70);
  gtk_label_set_xalign (GTK_LABEL (label), 0.0f);
  gtk_popover_set_child (GTK_POPOVER (popover), label);
  self->label = GTK_LABEL (label);

  self->button = gtk_menu_button_new ();
  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (self->button), "dialog-information-symbolic");
  gtk_menu_button_set_popover (GTK_MENU_BUTTON (self->button), popover);
  gtk_widget_set_tooltip_text (self->button,
                               _("Model details: input, resize, normalisation (and which "
                                 "values were assumed), classes, target layer"));
  gtk_widget_set_sensitive (self->button, FALSE);
  gtk_widget_set_parent (self->button, GTK_WIDGET (self));
}

GtkWidget *
mcam_model_details_new (McamWindow *window)
{
  McamModelDetails *self = g_object_new (MCAM_TYPE_MODEL_DETAILS, NULL);

  g_set_weak_pointer (&self->window, window);
  g_signal_connect_object (window, "model-changed", G_CALLBACK (model_changed_cb), self,
                           G_CONNECT_SWAPPED);
  return GTK_WIDGET (self);
}

const char *
mcam_model_details_get_text (McamModelDetails *self)
{
  g_return_val_if_fail (MCAM_IS_MODEL_DETAILS (self), NULL);
  return self->text;
}
