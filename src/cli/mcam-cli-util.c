/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Helpers shared by the subcommands: option parsing, errors, JSON, progress. */

#include "config.h"

#include <math.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "mcam-cli.h"

gboolean
mcam_cli_parse (GOptionContext *ctx, int *argc, char ***argv)
{
  g_autoptr(GError) error = NULL;

  if (!g_option_context_parse (ctx, argc, argv, &error))
    {
      fprintf (stderr, "mcam %s: %s\n", (*argv)[0], error->message);
      return FALSE;
    }
  return TRUE;
}

int
mcam_cli_fail (const char *cmd, GError *error)
{
  fprintf (stderr, "mcam %s: %s\n", cmd, error ? error->message : "failed");
  if (error && (g_error_matches (error, MCAM_ERROR, MCAM_ERROR_USAGE) ||
                error->domain == G_OPTION_ERROR))
    return MCAM_EXIT_USAGE;
  return MCAM_EXIT_ERROR;
}

/* Through the core's one JSON path (mcam-json.h): no NaN or infinity token
 * can reach stdout. */
void
mcam_cli_print_json (JsonNode *root)
{
  g_autofree char *text = mcam_json_to_string (root, TRUE, NULL);

  fputs (text, stdout);
  fputc ('\n', stdout);
  fflush (stdout);
}

gboolean
mcam_cli_stderr_is_tty (void)
{
  return isatty (STDERR_FILENO);
}

struct _McamCliProgress
{
  char   *what;
  gint64  total;
  gint64  start_us;
  gint64  last_us;
  gboolean tty;
  gboolean line_open;   /* a bar is drawn and not yet ended by a newline */
};

McamCliProgress *
mcam_cli_progress_new (const char *what, gint64 total)
{
  McamCliProgress *p = g_new0 (McamCliProgress, 1);

  p->what = g_strdup (what);
  p->total = total;
  p->start_us = g_get_monotonic_time ();
  p->tty = mcam_cli_stderr_is_tty ();
  return p;
}

void
mcam_cli_progress_update (McamCliProgress *p, gint64 done)
{
  gint64 now = g_get_monotonic_time ();
  double frac, elapsed, eta;
  int width = 30, filled;

  if (!p->tty || p->total <= 0)
    return;
  /* Redraw at most 10 times a second, and always at the end. */
  if (done < p->total && now - p->last_us < 100000)
    return;
  p->last_us = now;
  frac = CLAMP ((double) done / (double) p->total, 0.0, 1.0);
  elapsed = (double) (now - p->start_us) / 1e6;
  eta = frac > 0 ? elapsed / frac - elapsed : 0;
  filled = (int) (frac * width);
  fprintf (stderr, "\r%s [", p->what);
  for (int i = 0; i < width; i++)
    fputc (i < filled ? '#' : '-', stderr);
  fprintf (stderr, "] %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT "  %.0fs left   ",
           done, p->total, eta);
  p->line_open = TRUE;
  if (done >= p->total)
    {
      fputc ('\n', stderr);
      p->line_open = FALSE;
    }
  fflush (stderr);
}

void
mcam_cli_progress_free (McamCliProgress *p)
{
  if (p == NULL)
    return;
  if (p->line_open)
    fputc ('\n', stderr);
  g_free (p->what);
  g_free (p);
}

/* The feature pass's progress: the bar (on a terminal), else a plain line
 * "WHAT: done/total images" at every tenth. */
void
mcam_cli_feature_progress (McamCliProgress *bar, const char *what, int *last_decile, int done,
                           int total)
{
  if (bar != NULL)
    mcam_cli_progress_update (bar, done);
  if (!mcam_cli_stderr_is_tty ())
    {
      int decile = total > 0 ? (int) (10L * done / total) : 10;
      if (decile > *last_decile)
        {
          fprintf (stderr, "%s: %d/%d images\n", what, done, total);
          *last_decile = decile;
        }
    }
}

/* ---- outputs ------------------------------------------------------------ */

/* The file a path names (links followed), or FALSE when there is none. */
static gboolean
file_id (const char *path, GStatBuf *st)
{
  return path != NULL && g_stat (path, st) == 0;
}

gboolean
mcam_cli_check_out (const char *option, const char *out, gboolean force,
                    const McamCliInput *inputs, gsize n_inputs, GError **error)
{
  GStatBuf so;

  g_return_val_if_fail (out != NULL, FALSE);

  /* What would fail only at the end of a long run fails now (exit 1, as the
   * write would have): a folder as the output, or a folder that is not there. */
  if (!file_id (out, &so))
    {
      g_autofree char *dir = g_path_get_dirname (out);
      GStatBuf sd;

      if (g_stat (dir, &sd) != 0 || !S_ISDIR (sd.st_mode))
        {
          g_set_error (error, MCAM_ERROR, MCAM_ERROR_IO,
                       "%s %s: cannot write there: the folder %s does not exist", option,
                       out, dir);
          return FALSE;
        }
      return TRUE;   /* nothing there yet (or a dangling link: the writer follows it) */
    }
  if (S_ISDIR (so.st_mode))
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_IO, "%s %s: cannot write: it is a folder",
                   option, out);
      return FALSE;
    }
  for (gsize i = 0; i < n_inputs; i++)
    {
      GStatBuf si;

      if (file_id (inputs[i].path, &si) && si.st_dev == so.st_dev && si.st_ino == so.st_ino)
        {
          g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE,
                       "%s %s is the same file as the %s (%s): it is not overwritten, "
                       "even with --force; write to a file of its own", option, out,
                       inputs[i].what, inputs[i].path);
          return FALSE;
        }
    }
  /* A device or pipe (/dev/stdout) is written into, not replaced: no --force. */
  if (S_ISREG (so.st_mode) && !force)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE,
                   "%s %s exists; give --force to replace it", option, out);
      return FALSE;
    }
  return TRUE;
}

gboolean
mcam_cli_check_out_not_in (const char *option, const char *out, const char *what,
                           const char *const *paths, gsize n_paths, GError **error)
{
  GStatBuf so;

  if (!file_id (out, &so))
    return TRUE;
  for (gsize i = 0; i < n_paths; i++)
    {
      GStatBuf si;

      if (file_id (paths[i], &si) && si.st_dev == so.st_dev && si.st_ino == so.st_ino)
        {
          g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE,
                       "%s %s is the same file as the %s %s: it is not overwritten, "
                       "even with --force; write to a file of its own", option, out, what,
                       paths[i]);
          return FALSE;
        }
    }
  return TRUE;
}
