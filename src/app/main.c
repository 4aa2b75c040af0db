/* SPDX-License-Identifier: GPL-3.0-or-later */
/* mcam-explorer: the GTK4 application (DESIGN 6). */

#define G_LOG_DOMAIN "mcam-app"

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "mcam/mcam.h"
#include "mcam-application.h"
#include "mcam-profile.h"

int
main (int argc, char **argv)
{
  g_autoptr(McamApplication) app = NULL;

  mcam_blas_ensure_fast_core (argc, argv);
  mcam_profile_init ();

  setlocale (LC_ALL, "");
  {
    g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
    g_autofree char *dir = mcam_locale_dir (exe);

    bindtextdomain (GETTEXT_PACKAGE, dir);
  }
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = mcam_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
