/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The layer chooser. The list comes from the worker (only it touches the
 * net); the default is the target the model had when it was loaded (the
 * input of the last spatial-reducing node, or the file's mcam.target), so
 * it is remembered here across re-targets of the same model. */

#include "config.h"
#include <glib/gi18n.h>
#include <string.h>
#include "mcam-layer-chooser.h"
#include "mcam-model-details.h"

struct _McamLayerChooser
{
  GtkWidget      parent_instance;

  McamWindow    *window;         /* weak: owns us */
  GtkWidget     *dropdown;
  GtkStringList *strings;        /* the layer names, shown by the factories */
  char         **layers;         /* the names behind it */
  char          *current;
  char          *default_layer;
  char          *model_path;     /* of the model the default belongs to */
  char          *memory_source;  /* where the model's memory module was read from */
  char          *message;
  char          *requested;      /* the layer asked of the worker, until its snapshot */
  int            method_before;  /* the method shown when a layer was chosen, or -1 */
  gboolean       updating;       /* the list is being set, not chosen */
};

G_DEFINE_FINAL_TYPE (McamLayerChooser, mcam_layer_chooser, GTK_TYPE_WIDGET)

static void
set_selected_quietly (McamLayerChooser *self, const char *layer)
{
  guint pos = GTK_INVALID_LIST_POSITION;

  for (guint i = 0; self->layers != NULL && self->layers[i] != NULL; i++)
    if (g_strcmp0 (self->layers[i], layer) == 0)
      pos = i;
  self->updating = TRUE;
  gtk_drop_down_set_selected (GTK_DROP_DOWN (self->dropdown), pos);
  self->updating = FALSE;
}

static void
snapshot_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(McamLayerChooser) self = user_data;
  g_autoptr(McamModelSnapshot) s = NULL;
  McamModelInfo *info;
  guint n_old;

  s = mcam_model_snapshot_finish (MCAM_WORKER (source), result, NULL);
  if (s == NULL || self->window == NULL)
    return;
  info = mcam_window_get_model_info (self->window);
  if (info == NULL || info->generation != s->generation)
    return;

  /* Another file, or the same file loaded again (its target is then the
   * default again, whatever was chosen before): a new default. A memory
   * trained here changes neither. */
  if (g_strcmp0 (s->model_path, self->model_path) != 0 ||
      (g_strcmp0 (s->target, self->current) != 0 && g_strcmp0 (s->target, self->requested) != 0))
    {
      g_free (self->default_layer);
      self->default_layer = g_strdup (info->default_target ? info->default_target : s->target);
      g_free (self->model_path);
      self->model_path = g_strdup (s->model_path);
      g_free (self->memory_source);
      self->memory_source = info->n_slots == 0 ? NULL
                            : g_strdup (info->memory_path ? info->memory_path : info->model_path);
    }
  else if (info->n_slots > 0 && info->memory_path != NULL)
    {
      /* a memory opened or saved for this model since */
      g_free (self->memory_source);
      self->memory_source = g_strdup (info->memory_path);
    }
  g_free (self->current);
  self->current = g_strdup (s->target);
  g_clear_pointer (&self->requested, g_free);

  g_strfreev (self->layers);
  self->layers = g_steal_pointer (&s->layers);
  n_old = g_list_model_get_n_items (G_LIST_MODEL (self->strings));
  /* rebuilt whole: the default mark is drawn by the factories */
  self->updating = TRUE;
  gtk_string_list_splice (self->strings, 0, n_old, (const char *const *) self->layers);
  self->updating = FALSE;
  set_selected_quietly (self, self->current);
  gtk_widget_set_sensitive (self->dropdown, TRUE);
}

static void
model_changed_cb (McamLayerChooser *self)
{
  if (self->window == NULL || mcam_window_get_model_info (self->window) == NULL)
    return;
  mcam_model_snapshot_async (mcam_window_get_worker (self->window), "layer-chooser",
                             snapshot_cb, g_object_ref (self));
}

static void
layer_set_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(McamLayerChooser) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *memory_message = NULL;

  g_clear_pointer (&self->message, g_free);
  if (!mcam_worker_set_layer_finish (MCAM_WORKER (source), result, &memory_message, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      self->message = g_strdup (error->message);
      g_clear_pointer (&self->requested, g_free);
      /* the net kept its target: show it again */
      set_selected_quietly (self, self->current);
      if (self->window != NULL)
        mcam_window_show_error (self->window, _("This layer cannot be explained"),
                                error->message);
      return;
    }
  if (memory_message != NULL)
    {
      self->message = g_steal_pointer (&memory_message);
      /* The window fell back to CAM, which needs a GAP + linear head after
       * the layer (an inner layer has none): Grad-CAM works at every layer. */
      if (self->window != NULL && self->method_before >= 0 &&
          mcam_method_needs_memory ((McamMethod) self->method_before))
        mcam_window_set_method (self->window, MCAM_METHOD_GRADCAM);
      if (self->window != NULL)
        {
          g_autofree char *text =
            g_strdup_printf (_("%s\nAt this layer the methods that need no memory work; "
                               "for M-CAM, choose the memory's layer again or train a "
                               "memory for this one."), self->message);

          mcam_window_show_error (self->window, _("The memory module is not used at this layer"),
                                  text);
        }
    }
}

static void
selected_cb (McamLayerChooser *self)
{
  guint pos = gtk_drop_down_get_selected (GTK_DROP_DOWN (self->dropdown));
  McamMapResult *map;

  if (self->updating || self->window == NULL || self->layers == NULL ||
      pos >= g_strv_length (self->layers) || g_strcmp0 (self->layers[pos], self->current) == 0)
    return;
  g_free (self->requested);
  self->requested = g_strdup (self->layers[pos]);
  map = mcam_window_get_map_result (self->window);
  self->method_before = map != NULL ? (int) map->request->method : -1;
  mcam_worker_set_layer_async (mcam_window_get_worker (self->window), self->layers[pos],
                               self->memory_source, NULL, layer_set_cb, g_object_ref (self));
}

static void
mcam_layer_chooser_dispose (GObject *object)
{
  McamLayerChooser *self = MCAM_LAYER_CHOOSER (object);

  g_clear_weak_pointer (&self->window);
  g_clear_pointer (&self->dropdown, gtk_widget_unparent);
  G_OBJECT_CLASS (mcam_layer_chooser_parent_class)->dispose (object);
}

static void
mcam_layer_chooser_finalize (GObject *object)
{
  McamLayerChooser *self = MCAM_LAYER_CHOOSER (object);

  g_strfreev (self->layers);
  g_free (self->current);
  g_free (self->default_layer);
  g_free (self->model_path);
  g_free (self->memory_source);
  g_free (self->message);
  g_free (self->requested);
  G_OBJECT_CLASS (mcam_layer_chooser_parent_class)->finalize (object);
}

static void
mcam_layer_chooser_class_init (McamLayerChooserClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mcam_layer_chooser_dispose;
  object_class->finalize = mcam_layer_chooser_finalize;
  gtk_widget_class_set_layout_manager_type (GTK_WIDGET_CLASS (klass), GTK_TYPE_BIN_LAYOUT);
}

/* ONNX value names are long ("/features/features.16/features.16.2/Mul_output_0"):
 * the button shows their last path parts without "_output_0"
 * ("features.16.2/Mul"); the list shows them whole, the default marked. */
static char *
short_name (const char *layer)
{
  g_autofree char *name = g_strdup (layer);
  const char *first, *start;

  if (g_str_has_suffix (name, "_output_0"))
    name[strlen (name) - strlen ("_output_0")] = '\0';
  first = name;
  while (*first == '/')
    first++;
  start = first;
  /* whole components from the end, up to about 20 characters (the header
   * bar keeps room for the model's name at 1024 px) */
  for (const char *p = name + strlen (name); p > first; p--)
    if (p[-1] == '/')
      {
        if (strlen (p) > 20)
          break;
        start = p;
      }
  if (strlen (start) > 20 && strchr (start, '/') != NULL)
    start = strrchr (start, '/') + 1;
  return g_strdup (start);
}

static void
setup_label_cb (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0.0f);
  gtk_list_item_set_child (item, label);
}

static void
bind_label_cb (GtkSignalListItemFactory *factory, GtkListItem *item, McamLayerChooser *self)
{
  const char *layer = gtk_string_object_get_string (gtk_list_item_get_item (item));
  gboolean in_button = g_object_get_data (G_OBJECT (factory), "button") != NULL;
  g_autofree char *name = in_button ? short_name (layer) : g_strdup (layer);
  /* the default is marked in the list; the button stays short */
  g_autofree char *text = !in_button && g_strcmp0 (layer, self->default_layer) == 0
                          /* Translators: a layer name in the layer chooser */
                          ? g_strdup_printf (_("%s (default)"), name)
                          : g_strdup (name);

  gtk_label_set_label (GTK_LABEL (gtk_list_item_get_child (item)), text);
  gtk_widget_set_tooltip_text (gtk_list_item_get_child (item), layer);
}

static GtkListItemFactory *
label_factory_new (McamLayerChooser *self, gboolean in_button)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();

  if (in_button)
    g_object_set_data (G_OBJECT (factory), "button", GINT_TO_POINTER (1));
  g_signal_connect (factory, "setup", G_CALLBACK (setup_label_cb), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_label_cb), self);
  return factory;
}

static void
mcam_layer_chooser_init (McamLayerChooser *self)
{
  g_autoptr(GtkListItemFactory) button_factory = label_factory_new (self, TRUE);
  g_autoptr(GtkListItemFactory) list_factory = label_factory_new (self, FALSE);

  self->strings = gtk_string_list_new (NULL);
  /* the drop-down owns the list; we keep a borrowed pointer */
  self->dropdown = gtk_drop_down_new (G_LIST_MODEL (self->strings), NULL);
  gtk_drop_down_set_enable_search (GTK_DROP_DOWN (self->dropdown), TRUE);
  gtk_drop_down_set_factory (GTK_DROP_DOWN (self->dropdown), button_factory);
  gtk_drop_down_set_list_factory (GTK_DROP_DOWN (self->dropdown), list_factory);
  /* the search matches whole names (the drop-down takes its own reference
   * to the expression: ours is dropped here, ASan found it leaking) */
  {
    g_autoptr(GtkExpression) by_name = gtk_property_expression_new (GTK_TYPE_STRING_OBJECT, NULL,
                                                                     "string");

    gtk_drop_down_set_expression (GTK_DROP_DOWN (self->dropdown), by_name);
  }
  gtk_widget_set_tooltip_text (self->dropdown,
                               _("The layer the methods explain (its feature maps f); "
                                 "a memory module works only at the layer it was trained for"));
  gtk_widget_set_sensitive (self->dropdown, FALSE);
  gtk_widget_set_parent (self->dropdown, GTK_WIDGET (self));
  g_signal_connect_swapped (self->dropdown, "notify::selected", G_CALLBACK (selected_cb), self);
}

GtkWidget *
mcam_layer_chooser_new (McamWindow *window)
{
  McamLayerChooser *self = g_object_new (MCAM_TYPE_LAYER_CHOOSER, NULL);

  g_set_weak_pointer (&self->window, window);
  g_signal_connect_object (window, "model-changed", G_CALLBACK (model_changed_cb), self,
                           G_CONNECT_SWAPPED);
  return GTK_WIDGET (self);
}

const char *const *
mcam_layer_chooser_get_layers (McamLayerChooser *self)
{
  static const char *const none[] = { NULL };

  g_return_val_if_fail (MCAM_IS_LAYER_CHOOSER (self), NULL);
  return self->layers != NULL ? (const char *const *) self->layers : none;
}

const char *
mcam_layer_chooser_get_layer (McamLayerChooser *self)
{
  g_return_val_if_fail (MCAM_IS_LAYER_CHOOSER (self), NULL);
  return self->current;
}

const char *
mcam_layer_chooser_get_default (McamLayerChooser *self)
{
  g_return_val_if_fail (MCAM_IS_LAYER_CHOOSER (self), NULL);
  return self->default_layer;
}

gboolean
mcam_layer_chooser_select (McamLayerChooser *self, const char *layer)
{
  g_return_val_if_fail (MCAM_IS_LAYER_CHOOSER (self), FALSE);
  for (guint i = 0; self->layers != NULL && self->layers[i] != NULL; i++)
    if (g_strcmp0 (self->layers[i], layer) == 0)
      {
        gtk_drop_down_set_selected (GTK_DROP_DOWN (self->dropdown), i);
        return TRUE;
      }
  return FALSE;
}

const char *
mcam_layer_chooser_get_message (McamLayerChooser *self)
{
  g_return_val_if_fail (MCAM_IS_LAYER_CHOOSER (self), NULL);
  return self->message;
}
