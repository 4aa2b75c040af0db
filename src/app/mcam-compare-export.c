/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Compare mode's "Export Grid…": the tiles as drawn, their labels and a
 * title composed by the core (mcam_grid_compose) and written atomically
 * (mcam_surface_write_png); an existing file is replaced only when the user
 * has confirmed it. */

#define G_LOG_DOMAIN "mcam-compare"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "mcam-compare-view-private.h"

static char *
image_base (const char *path)
{
  char *base = g_path_get_basename (path);
  char *dot = strrchr (base, '.');

  if (dot != NULL && dot != base)
    *dot = '\0';
  return base;
}

int
mcam_compare_view_grid_columns (guint n_tiles)
{
  return n_tiles <= 4 ? (int) MAX (n_tiles, 1) : n_tiles <= 16 ? 4 : 6;
}

/* A snapshot of the grid to write: copies of the tile surfaces (the view
 * replaces its own when the colormap changes) and labels, so that composing
 * and encoding can run on another thread. */
typedef struct
{
  cairo_surface_t **surfaces;
  char            **labels;
  guint             n;
  int               tile_w, tile_h;
  char             *title;
  char             *path;
  gboolean          replace;
} GridJob;

static void
grid_job_free (GridJob *job)
{
  for (guint i = 0; i < job->n; i++)
    if (job->surfaces[i] != NULL)
      cairo_surface_destroy (job->surfaces[i]);
  g_free (job->surfaces);
  g_strfreev (job->labels);
  g_free (job->title);
  g_free (job->path);
  g_free (job);
}

static cairo_surface_t *
copy_surface (cairo_surface_t *s)
{
  cairo_surface_t *c;
  cairo_t *cr;

  if (s == NULL || cairo_surface_status (s) != CAIRO_STATUS_SUCCESS)
    return NULL;
  c = cairo_image_surface_create (CAIRO_FORMAT_RGB24, cairo_image_surface_get_width (s),
                                  cairo_image_surface_get_height (s));
  cr = cairo_create (c);
  cairo_set_source_surface (cr, s, 0, 0);
  cairo_paint (cr);
  cairo_destroy (cr);
  return c;
}

static GridJob *
grid_job_new (McamCompareView *self, const char *path, gboolean replace, GError **error)
{
  GridJob *job;

  if (self->tiles->len == 0)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE, _("There are no maps to export yet"));
      return NULL;
    }
  job = g_new0 (GridJob, 1);
  job->n = self->tiles->len;
  job->surfaces = g_new0 (cairo_surface_t *, job->n);
  job->labels = g_new0 (char *, job->n + 1);
  for (guint i = 0; i < job->n; i++)
    {
      Tile *t = g_ptr_array_index (self->tiles, i);

      job->surfaces[i] = copy_surface (t->surface);
      job->labels[i] = g_strdup (t->label);
    }
  _mcam_compare_view_tile_box (self, &job->tile_w, &job->tile_h);
  job->title = g_strdup (self->tiles_title);
  job->path = g_strdup (path);
  job->replace = replace;
  return job;
}

static cairo_surface_t *
grid_job_compose (GridJob *job, GError **error)
{
  g_autofree McamGridTile *grid = g_new0 (McamGridTile, job->n);

  for (guint i = 0; i < job->n; i++)
    {
      grid[i].surface = job->surfaces[i];
      grid[i].label = job->labels[i];
    }
  /* Four tiles a row (six from 17 on): a grid that fits a page or a slide. */
  return mcam_grid_compose (grid, job->n, mcam_compare_view_grid_columns (job->n), job->tile_w,
                            job->tile_h, job->title, error);
}

/* Any thread. */
static gboolean
grid_job_write (GridJob *job, GError **error)
{
  cairo_surface_t *surface;
  gboolean ok;

  if (!job->replace && g_file_test (job->path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                   _("%s already exists: choose another name, or confirm replacing it"),
                   job->path);
      return FALSE;
    }
  surface = grid_job_compose (job, error);
  if (surface == NULL)
    return FALSE;
  ok = mcam_surface_write_png (surface, job->path, error);
  cairo_surface_destroy (surface);
  return ok;
}

cairo_surface_t *
mcam_compare_view_render_grid (McamCompareView *self, GError **error)
{
  GridJob *job;
  cairo_surface_t *surface;

  g_return_val_if_fail (MCAM_IS_COMPARE_VIEW (self), NULL);
  job = grid_job_new (self, NULL, FALSE, error);
  if (job == NULL)
    return NULL;
  surface = grid_job_compose (job, error);
  grid_job_free (job);
  return surface;
}

gboolean
mcam_compare_view_export_to (McamCompareView *self, const char *path, gboolean replace,
                             GError **error)
{
  GridJob *job;
  gboolean ok;

  g_return_val_if_fail (MCAM_IS_COMPARE_VIEW (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  job = grid_job_new (self, path, replace, error);
  if (job == NULL)
    return FALSE;
  ok = grid_job_write (job, error);
  grid_job_free (job);
  return ok;
}

static void
export_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  GError *error = NULL;

  if (grid_job_write (data, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
mcam_compare_view_export_async (McamCompareView *self, const char *path, gboolean replace,
                                GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;
  GridJob *job;

  g_return_if_fail (MCAM_IS_COMPARE_VIEW (self));
  g_return_if_fail (path != NULL);
  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, mcam_compare_view_export_async);
  job = grid_job_new (self, path, replace, &error);
  if (job == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_set_task_data (task, job, (GDestroyNotify) grid_job_free);
  /* Composing and encoding a large grid takes most of a second: not on the
   * main thread. Not on the worker either: it needs no model, and must not
   * wait behind a Score-CAM tile. */
  g_task_run_in_thread (task, export_thread);
}

gboolean
mcam_compare_view_export_finish (McamCompareView *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

char *
mcam_compare_view_suggest_name (McamCompareView *self)
{
  g_autofree char *base = NULL;
  g_autofree char *cls = NULL;
  const char *tail;

  g_return_val_if_fail (MCAM_IS_COMPARE_VIEW (self), NULL);
  base = self->path ? image_base (self->path) : g_strdup ("image");
  /* The re-fit head's grid does not take the network head's name. */
  tail = mcam_compare_view_get_use_refit_head (self) ? "__refit-head" : "";
  if (self->mode == MCAM_COMPARE_ALL_CLASSES)
    return g_strdup_printf ("%s__all-classes__%s%s.png", base,
                            mcam_method_get_name (self->method), tail);
  cls = g_strdup (_mcam_compare_view_class_name (self, self->class_index));
  g_strcanon (cls, G_CSET_A_2_Z G_CSET_a_2_z G_CSET_DIGITS "-+.,()", '_');
  return g_strdup_printf ("%s__%s__all-methods%s.png", base, cls, tail);
}

static void
export_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  McamCompareView *self = MCAM_COMPARE_VIEW (source);
  g_autofree char *path = user_data;
  g_autoptr(GError) error = NULL;
  gboolean ok = mcam_compare_view_export_finish (self, result, &error);

  /* The window may have closed meanwhile (dispose drops the sink). */
  if (self->sink == NULL)
    return;
  if (ok)
    {
      g_autofree char *s = g_strdup_printf (_("Saved %s"), path);

      _mcam_compare_view_set_message (self, s);
    }
  else
    _mcam_compare_view_set_message (self, error->message);
}

static void
export_response_cb (GtkNativeDialog *native, int response, McamCompareView *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (native));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;

      /* The save dialog has already asked before replacing a file. */
      if (path == NULL)
        _mcam_compare_view_set_message (self, _("The grid can only be saved to a local file."));
      else
        {
          g_autofree char *s = g_strdup_printf (_("Saving %s…"), path);

          _mcam_compare_view_set_message (self, s);
          mcam_compare_view_export_async (self, path, TRUE, export_done_cb,
                                          g_strdup (path));
        }
    }
  gtk_native_dialog_destroy (native);
  g_object_unref (native);
  g_object_unref (self);
}

void
_mcam_compare_view_run_export_dialog (McamCompareView *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkFileChooserNative *native;
  g_autofree char *name = mcam_compare_view_suggest_name (self);

  native = gtk_file_chooser_native_new (_("Export Grid"),
                                        GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                        GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"),
                                        _("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (native), name);
  if (self->path != NULL)
    {
      g_autofree char *dir = g_path_get_dirname (self->path);
      g_autoptr(GFile) folder = g_file_new_for_path (dir);

      gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (native), folder, NULL);
    }
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  g_signal_connect (native, "response", G_CALLBACK (export_response_cb), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}
