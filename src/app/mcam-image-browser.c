/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The image browser. Listing folders, decoding thumbnails and reading the
 * ground-truth CSVs all run in GTask threads; only the results are applied
 * on the main thread. */

#define G_LOG_DOMAIN "mcam-browser"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "mcam/mcam.h"
#include "mcam/mcam-dataset.h"
#include "mcam-image-browser.h"

#define THUMBNAIL_SIZE 64

struct _McamImageBrowser
{
  GtkBox              parent_instance;

  GtkLabel           *title_label;
  GtkListView        *list_view;

  GListStore         *store;
  GtkSingleSelection *selection;
  GHashTable         *known;        /* path -> McamImageItem (borrowed), no duplicates */
  GCancellable       *cancellable;  /* listing, thumbnails, CSVs; cancelled at dispose */
  char              **classes;
  int                 n_classes;
  char               *select_when_added;  /* select_path () of an image not yet listed */
};

G_DEFINE_FINAL_TYPE (McamImageBrowser, mcam_image_browser, GTK_TYPE_BOX)

enum { IMAGE_SELECTED, ERROR, N_SIGNALS };
static guint signals[N_SIGNALS];

gboolean
mcam_image_browser_is_image_file (const char *name)
{
  static const char *suffixes[] = { ".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff",
                                    ".gif", ".webp", ".ppm", ".pgm" };
  g_autofree char *lower = g_ascii_strdown (name, -1);

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    if (g_str_has_suffix (lower, suffixes[i]))
      return TRUE;
  return FALSE;
}

static void
update_title (McamImageBrowser *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->store));
  g_autofree char *text = g_strdup_printf (_("Images (%u)"), n);

  gtk_label_set_label (self->title_label, text);
}

/* ---------------------------------------------------------------- thumbnails */

typedef struct
{
  McamImageBrowser *self;
  McamImageItem    *item;
  GdkPixbuf        *pixbuf;
} ThumbDone;

static gboolean
thumb_apply (gpointer user_data)
{
  ThumbDone *d = user_data;
  g_autoptr(GdkTexture) texture = gdk_texture_new_for_pixbuf (d->pixbuf);

  mcam_image_item_set_thumbnail (d->item, GDK_PAINTABLE (texture));
  return G_SOURCE_REMOVE;
}

static void
thumb_done_free (gpointer user_data)
{
  ThumbDone *d = user_data;

  g_object_unref (d->item);
  g_object_unref (d->pixbuf);
  g_free (d);
}

static void
thumbs_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GPtrArray *items = task_data;
  GMainContext *context = g_task_get_context (task);

  for (guint i = 0; i < items->len; i++)
    {
      McamImageItem *item = g_ptr_array_index (items, i);
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(GInputStream) stream = NULL;
      GdkPixbuf *scaled;
      ThumbDone *d;
      GSource *source;

      if (g_cancellable_is_cancelled (cancellable))
        break;
      /* Read by the core (a FIFO named like an image is refused at once
       * instead of blocking this thread), decoded from memory at 64 px. */
      bytes = mcam_image_read_file (mcam_image_item_get_path (item), 0, NULL);
      if (bytes == NULL)
        continue;
      stream = g_memory_input_stream_new_from_bytes (bytes);
      scaled = gdk_pixbuf_new_from_stream_at_scale (stream, THUMBNAIL_SIZE, THUMBNAIL_SIZE,
                                                    TRUE, cancellable, NULL);
      /* An unreadable image keeps its placeholder; opening it shows the error. */
      if (scaled == NULL)
        continue;
      d = g_new0 (ThumbDone, 1);
      d->item = g_object_ref (item);
      d->pixbuf = scaled;
      /* An idle source, not g_main_context_invoke (): invoke may run the
       * function on this thread when the main loop is between iterations. */
      source = g_idle_source_new ();
      g_source_set_callback (source, thumb_apply, d, thumb_done_free);
      g_source_attach (source, context);
      g_source_unref (source);
    }
  g_task_return_boolean (task, TRUE);
}

static void
make_thumbnails (McamImageBrowser *self, GPtrArray *items)
{
  g_autoptr(GTask) task = g_task_new (self, self->cancellable, NULL, NULL);

  g_task_set_task_data (task, g_ptr_array_ref (items), (GDestroyNotify) g_ptr_array_unref);
  g_task_set_priority (task, G_PRIORITY_LOW);
  g_task_run_in_thread (task, thumbs_thread);
}

/* ---------------------------------------------------------------- ground truth */

typedef struct
{
  char  *dir;
  char **classes;
  int    n_classes;
} GtData;

static void
gt_data_free (GtData *d)
{
  g_free (d->dir);
  g_strfreev (d->classes);
  g_free (d);
}

static void
gt_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GtData *d = task_data;
  g_autofree char *labels = g_build_filename (d->dir, "labels.csv", NULL);
  g_autofree char *boxes = g_build_filename (d->dir, "boxes.csv", NULL);
  g_autoptr(McamDataset) ds = mcam_dataset_new (d->dir, (const char *const *) d->classes,
                                                d->n_classes);
  GError *error = NULL;

  if (g_file_test (labels, G_FILE_TEST_EXISTS) &&
      !mcam_dataset_load_labels (ds, labels, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (g_file_test (boxes, G_FILE_TEST_EXISTS) && !mcam_dataset_load_boxes (ds, boxes, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, g_steal_pointer (&ds), (GDestroyNotify) mcam_dataset_free);
}

static void
gt_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  McamImageBrowser *self = MCAM_IMAGE_BROWSER (source);
  GtData *d = g_task_get_task_data (G_TASK (result));
  g_autoptr(McamDataset) ds = NULL;
  g_autoptr(GError) error = NULL;
  guint n;

  ds = g_task_propagate_pointer (G_TASK (result), &error);
  if (ds == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_signal_emit (self, signals[ERROR], 0, _("The ground truth could not be read"),
                       error->message);
      return;
    }
  /* Classes changed while the CSVs were read: a newer read is on its way. */
  if (d->n_classes != self->n_classes)
    return;

  n = g_list_model_get_n_items (G_LIST_MODEL (self->store));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(McamImageItem) item = g_list_model_get_item (G_LIST_MODEL (self->store), i);
      g_autofree char *dir = g_path_get_dirname (mcam_image_item_get_path (item));
      int k;

      if (strcmp (dir, d->dir) != 0)
        continue;
      k = mcam_dataset_find (ds, mcam_image_item_get_name (item));
      if (k < 0)
        continue;
      mcam_image_item_set_ground_truth (item, ds->labels + (gsize) k * ds->n_classes,
                                        ds->n_classes, ds->boxes + ds->box_start[k],
                                        ds->box_count[k], (const char *const *) ds->classes);
    }
  /* The selected image's ground truth may just have arrived. */
  if (mcam_image_browser_get_selected (self) != NULL &&
      mcam_image_item_has_ground_truth (mcam_image_browser_get_selected (self)))
    g_signal_emit (self, signals[IMAGE_SELECTED], 0, mcam_image_browser_get_selected (self));
}

static void
read_ground_truth (McamImageBrowser *self, const char *dir)
{
  g_autofree char *labels = g_build_filename (dir, "labels.csv", NULL);
  g_autofree char *boxes = g_build_filename (dir, "boxes.csv", NULL);
  g_autoptr(GTask) task = NULL;
  GtData *d;

  if (self->classes == NULL)
    return;
  if (!g_file_test (labels, G_FILE_TEST_EXISTS) && !g_file_test (boxes, G_FILE_TEST_EXISTS))
    return;
  d = g_new0 (GtData, 1);
  d->dir = g_strdup (dir);
  d->classes = g_strdupv (self->classes);
  d->n_classes = self->n_classes;
  task = g_task_new (self, self->cancellable, gt_done, NULL);
  g_task_set_task_data (task, d, (GDestroyNotify) gt_data_free);
  g_task_run_in_thread (task, gt_thread);
}

static void
read_all_ground_truth (McamImageBrowser *self)
{
  g_autoptr(GHashTable) dirs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->store));
  GHashTableIter iter;
  gpointer dir;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(McamImageItem) item = g_list_model_get_item (G_LIST_MODEL (self->store), i);

      mcam_image_item_clear_ground_truth (item);
      g_hash_table_add (dirs, g_path_get_dirname (mcam_image_item_get_path (item)));
    }
  g_hash_table_iter_init (&iter, dirs);
  while (g_hash_table_iter_next (&iter, &dir, NULL))
    read_ground_truth (self, dir);
}

/* ---------------------------------------------------------------- adding files */

static void
add_items (McamImageBrowser *self, GPtrArray *files)
{
  g_autoptr(GPtrArray) added = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GHashTable) dirs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GHashTableIter iter;
  gpointer dir;
  guint first;

  for (guint i = 0; i < files->len; i++)
    {
      GFile *file = g_ptr_array_index (files, i);
      g_autofree char *path = g_file_get_path (file);
      McamImageItem *item;

      if (path == NULL || g_hash_table_contains (self->known, path))
        continue;
      item = mcam_image_item_new (file);
      g_hash_table_insert (self->known, g_strdup (path), item);
      g_ptr_array_add (added, item);
      g_hash_table_add (dirs, g_path_get_dirname (path));
    }
  if (added->len == 0)
    return;

  first = g_list_model_get_n_items (G_LIST_MODEL (self->store));
  g_list_store_splice (self->store, first, 0, added->pdata, added->len);
  update_title (self);
  if (self->select_when_added != NULL &&
      g_hash_table_contains (self->known, self->select_when_added))
    {
      g_autofree char *path = g_steal_pointer (&self->select_when_added);

      mcam_image_browser_select_path (self, path);
    }
  else
    {
      /* What the user just opened is what they want to see. */
      gtk_single_selection_set_selected (self->selection, first);
      gtk_widget_activate_action (GTK_WIDGET (self->list_view), "list.scroll-to-item", "u",
                                  first);
    }
  make_thumbnails (self, added);
  g_hash_table_iter_init (&iter, dirs);
  while (g_hash_table_iter_next (&iter, &dir, NULL))
    read_ground_truth (self, dir);
}

static int
compare_files (gconstpointer a, gconstpointer b)
{
  g_autofree char *na = g_file_get_basename (*(GFile **) a);
  g_autofree char *nb = g_file_get_basename (*(GFile **) b);

  return g_utf8_collate (na, nb);
}

typedef struct
{
  GPtrArray *inputs;     /* GFile: files and folders as given */
  GString   *problems;   /* folders that could not be read */
} ListData;

static void
list_data_free (ListData *d)
{
  g_ptr_array_unref (d->inputs);
  g_string_free (d->problems, TRUE);
  g_free (d);
}

static void
list_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  ListData *d = task_data;
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < d->inputs->len; i++)
    {
      GFile *file = g_ptr_array_index (d->inputs, i);
      g_autoptr(GFileEnumerator) en = NULL;
      g_autoptr(GPtrArray) found = NULL;
      g_autoptr(GError) error = NULL;
      GFileInfo *info;

      GFileType type = g_file_query_file_type (file, G_FILE_QUERY_INFO_NONE, cancellable);

      if (type == G_FILE_TYPE_UNKNOWN)
        {
          g_autofree char *name = g_file_get_parse_name (file);

          g_string_append_printf (d->problems, _("%s: no such file or folder\n"), name);
          continue;
        }
      if (type != G_FILE_TYPE_DIRECTORY)
        {
          g_ptr_array_add (out, g_object_ref (file));
          continue;
        }
      en = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME ","
                                      G_FILE_ATTRIBUTE_STANDARD_TYPE,
                                      G_FILE_QUERY_INFO_NONE, cancellable, &error);
      if (en == NULL)
        {
          g_string_append_printf (d->problems, "%s\n", error->message);
          continue;
        }
      found = g_ptr_array_new_with_free_func (g_object_unref);
      while ((info = g_file_enumerator_next_file (en, cancellable, &error)) != NULL)
        {
          if (g_file_info_get_file_type (info) == G_FILE_TYPE_REGULAR &&
              mcam_image_browser_is_image_file (g_file_info_get_name (info)))
            g_ptr_array_add (found, g_file_get_child (file, g_file_info_get_name (info)));
          g_object_unref (info);
        }
      if (error != NULL)
        g_string_append_printf (d->problems, "%s\n", error->message);
      g_ptr_array_sort (found, compare_files);
      g_ptr_array_extend_and_steal (out, g_steal_pointer (&found));
    }
  g_task_return_pointer (task, g_steal_pointer (&out), (GDestroyNotify) g_ptr_array_unref);
}

static void
list_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  McamImageBrowser *self = MCAM_IMAGE_BROWSER (source);
  ListData *d = g_task_get_task_data (G_TASK (result));
  g_autoptr(GPtrArray) files = g_task_propagate_pointer (G_TASK (result), NULL);

  if (files == NULL)
    return;
  if (d->problems->len > 0)
    g_signal_emit (self, signals[ERROR], 0, _("Some images could not be opened"),
                   d->problems->str);
  add_items (self, files);
}

void
mcam_image_browser_add_files (McamImageBrowser *self, GFile **files, int n_files)
{
  g_autoptr(GTask) task = g_task_new (self, self->cancellable, list_done, NULL);
  ListData *d = g_new0 (ListData, 1);

  d->inputs = g_ptr_array_new_with_free_func (g_object_unref);
  d->problems = g_string_new (NULL);
  for (int i = 0; i < n_files; i++)
    g_ptr_array_add (d->inputs, g_object_ref (files[i]));
  g_task_set_task_data (task, d, (GDestroyNotify) list_data_free);
  g_task_run_in_thread (task, list_thread);
}

void
mcam_image_browser_set_classes (McamImageBrowser *self, const char *const *classes,
                                int n_classes)
{
  g_strfreev (self->classes);
  self->classes = g_strdupv ((char **) classes);
  self->n_classes = n_classes;
  read_all_ground_truth (self);
}

McamImageItem *
mcam_image_browser_get_selected (McamImageBrowser *self)
{
  return gtk_single_selection_get_selected_item (self->selection);
}

GListModel *
mcam_image_browser_get_items (McamImageBrowser *self)
{
  return G_LIST_MODEL (self->store);
}

gboolean
mcam_image_browser_select_next (McamImageBrowser *self, int step)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->store));
  guint pos = gtk_single_selection_get_selected (self->selection);
  gint64 next;

  if (n == 0)
    return FALSE;
  next = pos == GTK_INVALID_LIST_POSITION ? 0 : (gint64) pos + step;
  if (next < 0 || next >= n)
    return FALSE;
  gtk_single_selection_set_selected (self->selection, (guint) next);
  /* Keep the chosen row in view. */
  gtk_widget_activate_action (GTK_WIDGET (self->list_view), "list.scroll-to-item", "u",
                              (guint) next);
  return TRUE;
}

void
mcam_image_browser_select_path (McamImageBrowser *self, const char *path)
{
  McamImageItem *wanted = g_hash_table_lookup (self->known, path);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->store));

  if (wanted == NULL)
    {
      g_autoptr(GFile) file = g_file_new_for_path (path);

      g_free (self->select_when_added);
      self->select_when_added = g_strdup (path);
      mcam_image_browser_add_files (self, &file, 1);
      return;
    }
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(McamImageItem) item = g_list_model_get_item (G_LIST_MODEL (self->store), i);

      if (item == wanted)
        {
          gtk_single_selection_set_selected (self->selection, i);
          gtk_widget_activate_action (GTK_WIDGET (self->list_view), "list.scroll-to-item", "u",
                                      i);
          return;
        }
    }
}

void
mcam_image_browser_clear (McamImageBrowser *self)
{
  g_hash_table_remove_all (self->known);
  g_clear_pointer (&self->select_when_added, g_free);
  g_list_store_remove_all (self->store);
  update_title (self);
  /* Nothing is selected any more: the window clears what it showed. */
  g_signal_emit (self, signals[IMAGE_SELECTED], 0, NULL);
}

gboolean
mcam_image_browser_remove_selected (McamImageBrowser *self)
{
  guint pos = gtk_single_selection_get_selected (self->selection);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->store));
  g_autoptr(McamImageItem) item = NULL;

  if (pos == GTK_INVALID_LIST_POSITION || pos >= n)
    return FALSE;
  item = g_list_model_get_item (G_LIST_MODEL (self->store), pos);
  g_hash_table_remove (self->known, mcam_image_item_get_path (item));
  g_list_store_remove (self->store, pos);
  update_title (self);
  /* The next image (or the one before at the end) takes its place. */
  if (n > 1)
    gtk_single_selection_set_selected (self->selection, MIN (pos, n - 2));
  else
    g_signal_emit (self, signals[IMAGE_SELECTED], 0, NULL);
  return TRUE;
}

static void
selection_changed (McamImageBrowser *self)
{
  McamImageItem *item = mcam_image_browser_get_selected (self);

  if (item != NULL)
    g_signal_emit (self, signals[IMAGE_SELECTED], 0, item);
}

static void
mcam_image_browser_dispose (GObject *object)
{
  McamImageBrowser *self = MCAM_IMAGE_BROWSER (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), MCAM_TYPE_IMAGE_BROWSER);
  G_OBJECT_CLASS (mcam_image_browser_parent_class)->dispose (object);
}

static void
mcam_image_browser_finalize (GObject *object)
{
  McamImageBrowser *self = MCAM_IMAGE_BROWSER (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->selection);
  g_clear_object (&self->store);
  g_hash_table_unref (self->known);
  g_strfreev (self->classes);
  g_free (self->select_when_added);
  G_OBJECT_CLASS (mcam_image_browser_parent_class)->finalize (object);
}

static void
mcam_image_browser_class_init (McamImageBrowserClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = mcam_image_browser_dispose;
  object_class->finalize = mcam_image_browser_finalize;

  signals[IMAGE_SELECTED] = g_signal_new ("image-selected", G_TYPE_FROM_CLASS (klass),
                                          G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                          G_TYPE_NONE, 1, MCAM_TYPE_IMAGE_ITEM);
  signals[ERROR] = g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                 NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING,
                                 G_TYPE_STRING);

  g_type_ensure (MCAM_TYPE_IMAGE_ITEM);
  gtk_widget_class_set_template_from_resource (widget_class,
      "/io/github/mcam_explorer/MCamExplorer/ui/mcam-image-browser.ui");
  gtk_widget_class_bind_template_child (widget_class, McamImageBrowser, title_label);
  gtk_widget_class_bind_template_child (widget_class, McamImageBrowser, list_view);
}

static void
mcam_image_browser_init (McamImageBrowser *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->known = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->cancellable = g_cancellable_new ();
  self->store = g_list_store_new (MCAM_TYPE_IMAGE_ITEM);
  self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->store)));
  gtk_single_selection_set_autoselect (self->selection, TRUE);
  g_signal_connect_swapped (self->selection, "notify::selected-item",
                            G_CALLBACK (selection_changed), self);
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (self->selection));
  update_title (self);
}

GtkWidget *
mcam_image_browser_new (void)
{
  return g_object_new (MCAM_TYPE_IMAGE_BROWSER, NULL);
}
