/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Issue 11, item 8: the translations are found when the app runs from the
 * build tree (tools/quickstart run), not only once installed: a program in
 * the build dir binds <build>/po, where ninja puts the catalogues, and the
 * Korean catalogue there translates the app's strings; a program elsewhere
 * binds the installed LOCALEDIR. */

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "mcam-test-util.h"
#include "mcam-application.h"

static void
test_build_tree (void)
{
  g_autofree char *exe = g_build_filename (MCAM_BUILD_DIR, "src", "app", "mcam-explorer", NULL);
  g_autofree char *dir = mcam_locale_dir (exe);
  g_autofree char *want = g_build_filename (MCAM_BUILD_DIR, "po", NULL);
  g_autofree char *mo = g_build_filename (dir, "ko", "LC_MESSAGES", GETTEXT_PACKAGE ".mo", NULL);
  g_autofree char *elsewhere = mcam_locale_dir ("/usr/bin/mcam-explorer");

  g_assert_cmpstr (dir, ==, want);
  g_assert_cmpstr (elsewhere, ==, LOCALEDIR);
  g_assert_true (g_file_test (mo, G_FILE_TEST_IS_REGULAR));

  /* Korean from the build tree's catalogue. */
  g_setenv ("LANGUAGE", "ko", TRUE);
  setlocale (LC_ALL, "C.UTF-8");
  bindtextdomain (GETTEXT_PACKAGE, dir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  g_test_message ("Export -> %s", g_dgettext (GETTEXT_PACKAGE, "Export"));
  g_assert_cmpstr (g_dgettext (GETTEXT_PACKAGE, "Export"), ==, "내보내기");
}

int
main (int argc, char **argv)
{
  mcam_test_init (&argc, &argv);
  g_test_add_func ("/mcam/app/i18n/build-tree", test_build_tree);
  return g_test_run ();
}
