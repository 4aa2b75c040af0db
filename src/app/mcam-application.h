/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define MCAM_APPLICATION_ID "io.github.mcam_explorer.MCamExplorer"

#define MCAM_TYPE_APPLICATION (mcam_application_get_type ())
G_DECLARE_FINAL_TYPE (McamApplication, mcam_application, MCAM, APPLICATION, GtkApplication)

McamApplication *mcam_application_new (void);

/* The app's settings, or NULL when the schema is not installed (running from
 * a build tree without GSETTINGS_SCHEMA_DIR: the build's compiled schema is
 * tried next). Callers own the reference. */
GSettings *mcam_settings_new (void);

/* The bundled demo (data/demo/ in the source tree, else the installed copy):
 * fills the backbone, the memory file (may be NULL) and the images folder.
 * FALSE when there is no demo. */
gboolean mcam_find_demo (char **model_path, char **memory_path, char **images_dir);
/* Where the translations are for a program at exe_path: the build tree's
 * po/ when it runs from there, else the installed LOCALEDIR. g_free it. */
char    *mcam_locale_dir (const char *exe_path);

G_END_DECLS
