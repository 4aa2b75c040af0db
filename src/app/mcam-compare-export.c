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

cairo_surface_t *
mcam_compare_view_render_grid (McamCompareView *self, GError **error)
{
  g_autofree McamGridTile *grid = NULL;
  int w, h;

  g_return_val_if_fail (MCAM_IS_COMPARE_VIEW (self), NULL);
  if (self->tiles->len == 0)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE, _("There are no maps to export yet"));
      return NULL;
    }
  grid = g_new0 (McamGridTile, self->tiles->len);
  for (guint i = 0; i < self->tiles->len; i++)
    {
      Tile *t = g_ptr_array_index (self->tiles, i);

      grid[i].surface = t->surface;
      grid[i].label = t->label;
    }
  _mcam_compare_view_tile_box (self, &w, &h);
  /* Four tiles a row (six from 17 on): a grid that fits a page or a slide. */
  return mcam_grid_compose (grid, self->tiles->len, mcam_compare_view_grid_columns (self->tiles->len), w, h,
                            self->tiles_title, error);
}

gboolean
mcam_compare_view_export_to (McamCompareView *self, const char *path, gboolean replace,
                             GError **error)
{
  cairo_surface_t *surface;
  gboolean ok;

  g_return_val_if_fail (MCAM_IS_COMPARE_VIEW (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (!replace && g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                   _("%s already exists: choose another name, or confirm replacing it"), path);
      return FALSE;
    }
  surface = mcam_compare_view_render_grid (self, error);
  if (surface == NULL)
    return FALSE;
  ok = mcam_surface_write_png (surface, path, error);
  cairo_surface_destroy (surface);
  return ok;
}

char *
mcam_compare_view_suggest_name (McamCompareView *self)
{
  g_autofree char *base = NULL;
  g_autofree char *cls = NULL;

  g_return_val_if_fail (MCAM_IS_COMPARE_VIEW (self), NULL);
  base = self->path ? image_base (self->path) : g_strdup ("image");
  if (self->mode == MCAM_COMPARE_ALL_CLASSES)
    return g_strdup_printf ("%s__all-classes__%s.png", base, mcam_method_get_name (self->method));
  cls = g_strdup (_mcam_compare_view_class_name (self, self->class_index));
  g_strcanon (cls, G_CSET_A_2_Z G_CSET_a_2_z G_CSET_DIGITS "-+.,()", '_');
  return g_strdup_printf ("%s__%s__all-methods.png", base, cls);
}

static void
export_response_cb (GtkNativeDialog *native, int response, McamCompareView *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (native));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;
      g_autoptr(GError) error = NULL;

      /* The save dialog has already asked before replacing a file. */
      if (path == NULL)
        _mcam_compare_view_set_message (self, _("The grid can only be saved to a local file."));
      else if (mcam_compare_view_export_to (self, path, TRUE, &error))
        {
          g_autofree char *s = g_strdup_printf (_("Saved %s"), path);

          _mcam_compare_view_set_message (self, s);
        }
      else
        _mcam_compare_view_set_message (self, error->message);
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
