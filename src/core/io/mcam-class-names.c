/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Class names from --classes FILE or a classes.txt beside the model. */

#include "config.h"

#include <string.h>

#include "mcam/mcam-class-names.h"
#include "mcam/mcam-error.h"
#include "mcam/mcam-model-meta.h"
#include "mcam-file.h"
#include "mcam-net-private.h"

/* Far more than any label set (ImageNet-21k's file is ~300 KB). */
#define MAX_CLASSES_FILE (16u * 1024u * 1024u)

char **
mcam_class_names_load (const char *path, GError **error)
{
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *shown = NULL;
  g_auto(GStrv) lines = NULL;
  const char *data;
  gsize len, n_lines;

  g_return_val_if_fail (path != NULL, NULL);

  bytes = mcam_file_read (path, MAX_CLASSES_FILE, "class names", error);
  if (bytes == NULL)
    return NULL;
  shown = mcam_file_display_name (path);
  data = g_bytes_get_data (bytes, &len);
  if (len > 0 && (memchr (data, '\0', len) != NULL || !g_utf8_validate (data, len, NULL)))
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_FORMAT,
                   "%s: class names: not UTF-8 text", shown);
      return NULL;
    }
  {
    /* the bytes are not NUL-terminated */
    g_autofree char *text = g_strndup (data, len);
    lines = g_strsplit (text, "\n", -1);
  }
  n_lines = g_strv_length (lines);
  for (gsize i = 0; i < n_lines; i++)
    {
      gsize l = strlen (lines[i]);

      if (l > 0 && lines[i][l - 1] == '\r')
        lines[i][l - 1] = '\0';
    }
  /* blank lines at the end do not count */
  while (n_lines > 0 && g_strstrip (lines[n_lines - 1])[0] == '\0')
    n_lines--;
  if (n_lines == 0)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_FORMAT,
                   "%s: class names: the file has no names", shown);
      return NULL;
    }
  for (gsize i = 0; i < n_lines; i++)
    {
      char *name = g_strstrip (lines[i]);
      gpointer first;

      if (name[0] == '\0')
        {
          g_set_error (error, MCAM_ERROR, MCAM_ERROR_FORMAT,
                       "%s: class names: line %" G_GSIZE_FORMAT " is blank (one name a "
                       "line, in the order of the model's outputs)", shown, i + 1);
          return NULL;
        }
      if (g_hash_table_lookup_extended (seen, name, NULL, &first))
        {
          g_set_error (error, MCAM_ERROR, MCAM_ERROR_FORMAT,
                       "%s: class names: '%s' is on line %u and on line %" G_GSIZE_FORMAT,
                       shown, name, GPOINTER_TO_UINT (first), i + 1);
          return NULL;
        }
      g_hash_table_insert (seen, name, GUINT_TO_POINTER ((guint) i + 1));
      g_ptr_array_add (names, g_strdup (name));
    }
  g_ptr_array_add (names, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&names), FALSE);
}

char *
mcam_class_names_beside (const char *model_path)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;

  g_return_val_if_fail (model_path != NULL, NULL);

  dir = g_path_get_dirname (model_path);
  path = g_build_filename (dir, "classes.txt", NULL);
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return NULL;
  return g_steal_pointer (&path);
}

gboolean
mcam_class_names_apply (McamNet *net, const char *classes_path, char **used_path,
                        GError **error)
{
  g_autofree char *beside = NULL;
  g_auto(GStrv) names = NULL;
  guint n;

  g_return_val_if_fail (net != NULL, FALSE);

  if (used_path != NULL)
    *used_path = NULL;
  if (classes_path == NULL)
    {
      beside = mcam_class_names_beside (mcam_net_get_path (net));
      if (beside == NULL)
        return TRUE;
      classes_path = beside;
    }
  names = mcam_class_names_load (classes_path, error);
  if (names == NULL)
    return FALSE;
  n = g_strv_length (names);
  if ((int) n != net->info.n_classes)
    {
      g_autofree char *shown = mcam_file_display_name (classes_path);
      g_autofree char *model = mcam_file_display_name (mcam_net_get_path (net));

      g_set_error (error, MCAM_ERROR, MCAM_ERROR_MISMATCH,
                   "%s: %u class names, but the model %s has %d outputs",
                   shown, n, model, net->info.n_classes);
      return FALSE;
    }
  g_strfreev (net->info.classes);
  net->info.classes = g_steal_pointer (&names);
  net->info.meta_assumed &= ~(guint) MCAM_META_CLASSES;
  if (used_path != NULL)
    *used_path = g_strdup (classes_path);
  return TRUE;
}
