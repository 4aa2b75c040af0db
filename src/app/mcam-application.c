/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The GtkApplication: command line, app-level actions (about, shortcuts,
 * quit) and one McamWindow per activation. */

#define G_LOG_DOMAIN "mcam-app"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "mcam-application.h"
#include "mcam-window.h"

struct _McamApplication
{
  GtkApplication parent_instance;

  char *model_path;
  char *memory_path;
};

G_DEFINE_FINAL_TYPE (McamApplication, mcam_application, GTK_TYPE_APPLICATION)

GSettings *
mcam_settings_new (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;
  g_autoptr(GSettingsSchemaSource) build_source = NULL;

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, MCAM_APPLICATION_ID, TRUE);
  if (schema == NULL)
    {
      g_autofree char *dir = g_build_filename (MCAM_BUILD_DIR, "data", NULL);

      build_source = g_settings_schema_source_new_from_directory (dir, source, FALSE, NULL);
      if (build_source != NULL)
        schema = g_settings_schema_source_lookup (build_source, MCAM_APPLICATION_ID, TRUE);
    }
  if (schema == NULL)
    return NULL;
  return g_settings_new_full (schema, NULL, NULL);
}

/* g_ptr_array_sort () hands the comparator pointers to the elements. */
static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

/* The bundled demo (data/demo/README.md): the backbone trained on biased
 * mosaics and the memory module our trainer made for it. */
#define DEMO_MAIN_MODEL  "fashion-mosaic-resnet.safetensors"
#define DEMO_MAIN_MEMORY "fashion-mosaic-memory.safetensors"

static char *
find_file_with_suffix (const char *dir, const char *suffix, gboolean want_memory)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (d == NULL)
    return NULL;
  while ((name = g_dir_read_name (d)) != NULL)
    /* A refit head (…-head.safetensors) lives beside the demo: not a backbone. */
    if (g_str_has_suffix (name, suffix) &&
        (strstr (name, "memory") != NULL) == want_memory &&
        (want_memory || strstr (name, "head") == NULL))
      g_ptr_array_add (names, g_strdup (name));
  if (names->len == 0)
    return NULL;
  /* Sorted, so the choice does not depend on the file system's order. */
  g_ptr_array_sort (names, compare_strings);
  return g_build_filename (dir, g_ptr_array_index (names, 0), NULL);
}

char *
mcam_locale_dir (const char *exe_path)
{
  g_autofree char *build = g_canonicalize_filename (MCAM_BUILD_DIR, NULL);
  g_autofree char *prefix = g_strconcat (build, G_DIR_SEPARATOR_S, NULL);
  g_autofree char *po = g_build_filename (build, "po", NULL);

  /* Run from the build tree (tools/quickstart run, not installed): the
   * catalogues ninja built are in <build>/po/<lang>/LC_MESSAGES. */
  if (exe_path != NULL && g_str_has_prefix (exe_path, prefix) &&
      g_file_test (po, G_FILE_TEST_IS_DIR))
    return g_steal_pointer (&po);
  return g_strdup (LOCALEDIR);
}

gboolean
mcam_find_demo (char **model_path, char **memory_path, char **images_dir)
{
  const char *roots[] = { MCAM_SOURCE_DATADIR, MCAM_PKGDATADIR };

  for (guint i = 0; i < G_N_ELEMENTS (roots); i++)
    {
      g_autofree char *dir = g_build_filename (roots[i], "demo", NULL);
      g_autofree char *main_model = g_build_filename (dir, DEMO_MAIN_MODEL, NULL);
      g_autofree char *main_memory = g_build_filename (dir, DEMO_MAIN_MEMORY, NULL);
      g_autofree char *model = NULL;
      g_autofree char *images = g_build_filename (dir, "images", NULL);

      /* The demo folder holds more than one backbone (the long-tail one of
       * docs/RESULTS.md sorts first): the biased-mosaic pair is the demo. */
      if (g_file_test (main_model, G_FILE_TEST_IS_REGULAR))
        {
          *model_path = g_steal_pointer (&main_model);
          *memory_path = g_file_test (main_memory, G_FILE_TEST_IS_REGULAR)
                           ? g_steal_pointer (&main_memory) : NULL;
        }
      else if ((model = find_file_with_suffix (dir, ".safetensors", FALSE)) != NULL)
        {
          *model_path = g_steal_pointer (&model);
          *memory_path = find_file_with_suffix (dir, ".safetensors", TRUE);
        }
      else
        continue;
      *images_dir = g_file_test (images, G_FILE_TEST_IS_DIR) ? g_steal_pointer (&images)
                                                             : g_strdup (dir);
      return TRUE;
    }
  return FALSE;
}

static McamWindow *
get_or_create_window (McamApplication *self, gboolean *created)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  *created = window == NULL;
  if (window == NULL)
    window = GTK_WINDOW (mcam_window_new (GTK_APPLICATION (self)));
  return MCAM_WINDOW (window);
}

/* A new window starts on the model given on the command line, else on the demo. */
static void
start_window (McamApplication *self, McamWindow *window, GFile **files, int n_files)
{
  g_autofree char *demo_model = NULL;
  g_autofree char *demo_memory = NULL;
  g_autofree char *demo_images = NULL;
  gboolean have_demo = mcam_find_demo (&demo_model, &demo_memory, &demo_images);

  if (self->model_path != NULL)
    mcam_window_load_model (window, self->model_path, self->memory_path);
  else if (n_files == 0 && self->memory_path == NULL && mcam_window_restore_session (window))
    /* The last model, memory, images, method and class. */
    return;
  else if (have_demo)
    mcam_window_load_model (window, demo_model, self->memory_path ? self->memory_path
                                                                  : demo_memory);
  else
    mcam_window_show_error (window, _("No model"),
                            _("The bundled demo model was not found: open a model "
                              "with Open Model (Ctrl+Shift+O)."));

  if (n_files > 0)
    mcam_window_open_files (window, files, n_files);
  else if (have_demo && self->model_path == NULL)
    {
      g_autoptr(GFile) dir = g_file_new_for_path (demo_images);

      mcam_window_open_files (window, &dir, 1);
    }
}

static void
mcam_application_activate (GApplication *app)
{
  McamApplication *self = MCAM_APPLICATION (app);
  gboolean created;
  McamWindow *window = get_or_create_window (self, &created);

  if (created)
    start_window (self, window, NULL, 0);
  gtk_window_present (GTK_WINDOW (window));
}

static void
mcam_application_open (GApplication *app, GFile **files, int n_files, const char *hint)
{
  McamApplication *self = MCAM_APPLICATION (app);
  gboolean created;
  McamWindow *window = get_or_create_window (self, &created);

  if (created)
    start_window (self, window, files, n_files);
  else
    mcam_window_open_files (window, files, n_files);
  gtk_window_present (GTK_WINDOW (window));
}

static int
mcam_application_handle_local_options (GApplication *app, GVariantDict *options)
{
  McamApplication *self = MCAM_APPLICATION (app);
  const char *path = NULL;

  if (g_variant_dict_lookup (options, "version", "b", NULL))
    {
      g_print ("mcam-explorer %s\n", PACKAGE_VERSION);
      return 0;
    }
  /* Relative paths are resolved now, against the folder the user typed them in. */
  if (g_variant_dict_lookup (options, "model", "^&ay", &path))
    self->model_path = g_canonicalize_filename (path, NULL);
  if (g_variant_dict_lookup (options, "memory", "^&ay", &path))
    self->memory_path = g_canonicalize_filename (path, NULL);
  return -1;
}

static void
about_activated (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  GtkApplication *app = user_data;
  const char *authors[] = { "The M-CAM Explorer developers", NULL };

  gtk_show_about_dialog (gtk_application_get_active_window (app),
                         "program-name", _("M-CAM Explorer"),
                         "logo-icon-name", MCAM_APPLICATION_ID,
                         "version", PACKAGE_VERSION,
                         "comments", _("See why an image classifier decides: M-CAM memory "
                                       "explanations beside the classic CAM baselines."),
                         "license-type", GTK_LICENSE_GPL_3_0,
                         "authors", authors,
                         "website", "https://github.com/mcam-explorer/mcam-explorer",
                         NULL);
}

static void
quit_activated (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  GtkApplication *app = user_data;
  GList *windows = gtk_application_get_windows (app);

  /* Destroying the windows shuts their workers down cleanly. */
  while (windows != NULL)
    {
      GList *next = windows->next;

      gtk_window_destroy (windows->data);
      windows = next;
    }
}

static void
mcam_application_startup (GApplication *app)
{
  static const GActionEntry entries[] = {
    { "about", about_activated },
    { "quit", quit_activated },
  };
  static const struct { const char *action; const char *accels[3]; } accels[] = {
    { "app.quit", { "<Control>q", NULL } },
    { "win.open-images", { "<Control>o", NULL } },
    { "win.open-model", { "<Control><Shift>o", NULL } },
    { "win.export", { "<Control>e", NULL } },
    { "win.copy", { "<Control>c", NULL } },
    /* Left/Right and Page Up/Down: the window's own shortcut controller
     * (mcam-window-actions.c), so that a focused slider or list keeps them. */
    { "win.zoom-fit", { "<Control>0", NULL } },
    { "win.zoom-one", { "<Control>1", NULL } },
    { "win.cancel", { "Escape", NULL } },
    { "win.compare", { "<Control>m", NULL } },
    { "win.show-help-overlay", { "F1", "<Control>question", NULL } },
  };

  G_APPLICATION_CLASS (mcam_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (app), entries, G_N_ELEMENTS (entries), app);
  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (app), accels[i].action,
                                           accels[i].accels);
  /* 1–9: the top classes of the list. */
  for (int k = 1; k <= 9; k++)
    {
      g_autofree char *detailed = g_strdup_printf ("win.select-top-class(%d)", k);
      g_autofree char *key = g_strdup_printf ("%d", k);
      const char *keys[] = { key, NULL };

      gtk_application_set_accels_for_action (GTK_APPLICATION (app), detailed, keys);
    }
}

static void
mcam_application_finalize (GObject *object)
{
  McamApplication *self = MCAM_APPLICATION (object);

  g_free (self->model_path);
  g_free (self->memory_path);
  G_OBJECT_CLASS (mcam_application_parent_class)->finalize (object);
}

static void
mcam_application_class_init (McamApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = mcam_application_finalize;
  app_class->activate = mcam_application_activate;
  app_class->open = mcam_application_open;
  app_class->startup = mcam_application_startup;
  app_class->handle_local_options = mcam_application_handle_local_options;
}

static void
mcam_application_init (McamApplication *self)
{
  static const GOptionEntry options[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, NULL,
      N_("The model (backbone) to open, a .safetensors file"), N_("FILE") },
    { "memory", 0, 0, G_OPTION_ARG_FILENAME, NULL,
      N_("The memory module, when it is not in the model file"), N_("FILE") },
    { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Print the version"), NULL },
    { NULL }
  };

  g_application_add_main_option_entries (G_APPLICATION (self), options);
  g_application_set_option_context_parameter_string (G_APPLICATION (self),
                                                     _("[IMAGE|FOLDER…]"));
}

McamApplication *
mcam_application_new (void)
{
  /* NON_UNIQUE: every start is its own process with its own model, as the
   * command line promises; a second instance must not open files elsewhere. */
  return g_object_new (MCAM_TYPE_APPLICATION,
                       "application-id", MCAM_APPLICATION_ID,
                       "flags", G_APPLICATION_HANDLES_OPEN | G_APPLICATION_NON_UNIQUE,
                       "resource-base-path", "/io/github/mcam_explorer/MCamExplorer",
                       NULL);
}
