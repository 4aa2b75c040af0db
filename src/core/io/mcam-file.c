/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Input files opened safely, output files written atomically (see
 * mcam-file.h for the promises). */

#define _GNU_SOURCE   /* O_TMPFILE, linkat's AT_SYMLINK_FOLLOW */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "mcam/mcam-error.h"
#include "mcam/mcam-safetensors.h"   /* mcam_file_write_atomic */
#include "mcam-file.h"

static McamFileReadHook read_hook;
static gpointer read_hook_data;

void
mcam_file_set_read_hook (McamFileReadHook hook, gpointer user_data)
{
  read_hook = hook;
  read_hook_data = user_data;
}

char *
mcam_file_display_name (const char *path)
{
  gsize len, cut;

  if (path == NULL)
    return g_strdup ("(null)");
  len = strlen (path);
  if (len <= MCAM_FILE_NAME_SHOWN_MAX)
    return g_strdup (path);
  /* Back up over UTF-8 continuation bytes so no character is split. */
  cut = MCAM_FILE_NAME_SHOWN_MAX;
  while (cut > 0 && ((guchar) path[cut] & 0xC0) == 0x80)
    cut--;
  return g_strdup_printf ("%.*s…", (int) cut, path);
}

const char *
mcam_file_errno_problem (int errsv)
{
  switch (errsv)
    {
    case ELOOP:
      return "a symbolic link loop (too many levels of links)";
    case EACCES:
      return "permission denied";
    case EPERM:
      return "operation not permitted";
    case ENOTDIR:
      return "a part of its path is not a folder";
    case ENAMETOOLONG:
      return "the name is too long";
    case EISDIR:
      return "a folder, not a file";
    default:
      return g_strerror (errsv);
    }
}

const char *
mcam_file_type_problem (mode_t mode)
{
  if (S_ISREG (mode))
    return NULL;
  if (S_ISDIR (mode))
    return "a folder, not a file";
  if (S_ISFIFO (mode))
    return "a FIFO (named pipe), not a regular file";
  if (S_ISSOCK (mode))
    return "a socket, not a regular file";
  if (S_ISCHR (mode))
    return "a character device, not a regular file";
  if (S_ISBLK (mode))
    return "a block device, not a regular file";
  return "not a regular file";
}

const char *
mcam_file_check_regular (const char *path)
{
  struct stat st;

  if (stat (path, &st) != 0)
    return mcam_file_errno_problem (errno);
  return mcam_file_type_problem (st.st_mode);
}

static void
set_problem (GError **error, int code, const char *what, const char *path, const char *problem)
{
  g_autofree char *shown = mcam_file_display_name (path);

  g_set_error (error, MCAM_ERROR, code, "Cannot read %s “%s”: %s", what, shown, problem);
}

int
mcam_file_open_regular (const char *path, const char *what, struct stat *st_out,
                        GError **error)
{
  struct stat st;
  const char *problem;
  int fd;

  g_return_val_if_fail (path != NULL, -1);

  /* O_NONBLOCK: opening a FIFO with no writer returns at once instead of
   * waiting for one; for a regular file the flag changes nothing. */
  do
    fd = open (path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  while (fd < 0 && errno == EINTR);
  if (fd < 0)
    {
      int errsv = errno;

      /* A socket cannot be opened at all (ENXIO): say what it is. */
      problem = stat (path, &st) == 0 ? mcam_file_type_problem (st.st_mode) : NULL;
      set_problem (error, MCAM_ERROR_IO, what, path,
                   problem ? problem : mcam_file_errno_problem (errsv));
      return -1;
    }
  if (fstat (fd, &st) != 0)
    {
      int errsv = errno;
      close (fd);
      set_problem (error, MCAM_ERROR_IO, what, path, mcam_file_errno_problem (errsv));
      return -1;
    }
  problem = mcam_file_type_problem (st.st_mode);
  if (problem != NULL)
    {
      close (fd);
      set_problem (error, MCAM_ERROR_IO, what, path, problem);
      return -1;
    }
  if (st_out != NULL)
    *st_out = st;
  return fd;
}

static void
set_too_large (GError **error, const char *what, const char *path, guint64 size,
               gsize max_bytes, gboolean grew)
{
  g_autofree char *cap = g_format_size_full (max_bytes, G_FORMAT_SIZE_IEC_UNITS);
  g_autofree char *has = g_format_size_full (size, G_FORMAT_SIZE_IEC_UNITS);
  g_autofree char *problem = NULL;

  if (grew)
    problem = g_strdup_printf ("the file grew past the %s limit for a %s while it was read",
                               cap, what);
  else
    problem = g_strdup_printf ("the file is %s, over the %s limit for a %s", has, cap, what);
  set_problem (error, MCAM_ERROR_TOO_LARGE, what, path, problem);
}

GBytes *
mcam_file_read_fd (int fd, const struct stat *st, const char *path, gsize max_bytes,
                   const char *what, GError **error)
{
  g_autofree guint8 *buf = NULL;
  gsize len = 0, alloc;

  g_return_val_if_fail (fd >= 0 && st != NULL, NULL);

  max_bytes = MIN (max_bytes, G_MAXSIZE - 1);
  if ((guint64) st->st_size > max_bytes)
    {
      set_too_large (error, what, path, (guint64) st->st_size, max_bytes, FALSE);
      return NULL;
    }
  if (read_hook != NULL)
    read_hook (fd, path, read_hook_data);

  /* One byte more than the size fstat gave: reaching it means the file grew,
   * and the loop then goes on up to the cap. */
  alloc = (gsize) st->st_size + 1;
  buf = g_try_malloc (alloc);
  if (buf == NULL)
    {
      set_problem (error, MCAM_ERROR_TOO_LARGE, what, path, "the file does not fit in memory");
      return NULL;
    }
  for (;;)
    {
      gssize n;

      if (len == alloc)
        {
          guint8 *bigger;

          if (alloc > max_bytes)
            {
              set_too_large (error, what, path, len, max_bytes, TRUE);
              return NULL;
            }
          alloc = alloc > (max_bytes + 1) / 2 ? max_bytes + 1 : alloc * 2;
          bigger = g_try_realloc (buf, alloc);
          if (bigger == NULL)
            {
              set_problem (error, MCAM_ERROR_TOO_LARGE, what, path,
                           "the file does not fit in memory");
              return NULL;
            }
          buf = bigger;
        }
      n = read (fd, buf + len, alloc - len);
      if (n < 0 && (errno == EINTR || errno == EAGAIN))
        continue;
      if (n < 0)
        {
          set_problem (error, MCAM_ERROR_IO, what, path, g_strerror (errno));
          return NULL;
        }
      if (n == 0)
        break;
      len += (gsize) n;
    }
  if (len > max_bytes)
    {
      set_too_large (error, what, path, len, max_bytes, TRUE);
      return NULL;
    }
  return g_bytes_new_take (g_steal_pointer (&buf), len);
}

GBytes *
mcam_file_read (const char *path, gsize max_bytes, const char *what, GError **error)
{
  struct stat st;
  GBytes *bytes;
  int fd = mcam_file_open_regular (path, what, &st, error);

  if (fd < 0)
    return NULL;
  bytes = mcam_file_read_fd (fd, &st, path, max_bytes, what, error);
  close (fd);
  return bytes;
}

gboolean
mcam_file_pread_exact (int fd, void *buf, gsize length, guint64 offset, const char *path,
                       const char *what, GError **error)
{
  guint8 *p = buf;

  while (length > 0)
    {
      gssize n = pread (fd, p, length, (off_t) offset);

      if (n < 0 && (errno == EINTR || errno == EAGAIN))
        continue;
      if (n < 0)
        {
          set_problem (error, MCAM_ERROR_IO, what, path, g_strerror (errno));
          return FALSE;
        }
      if (n == 0)
        {
          set_problem (error, MCAM_ERROR_FORMAT, what, path,
                       "the file ended early (truncated while in use?)");
          return FALSE;
        }
      p += n;
      length -= (gsize) n;
      offset += (guint64) n;
    }
  return TRUE;
}

gboolean
mcam_file_write_all (int fd, const void *buf, gsize length, const char *path, GError **error)
{
  const guint8 *p = buf;

  while (length > 0)
    {
      gssize n = write (fd, p, length);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          g_autofree char *shown = mcam_file_display_name (path);
          int errsv = n < 0 ? errno : ENOSPC;

          g_set_error (error, MCAM_ERROR, MCAM_ERROR_IO, "%s: cannot write: %s", shown,
                       g_strerror (errsv));
          return FALSE;
        }
      p += n;
      length -= (gsize) n;
    }
  return TRUE;
}

/* ---- temporaries ---------------------------------------------------------- */

#define TEMP_TAG ".mcam-tmp-"

struct _McamFileTemp
{
  int       fd;
  char     *target;
  char     *dir;
  char     *base;
  char     *tmp_path;   /* the fallback's named temp; NULL for an O_TMPFILE */
  gboolean  committed;
};

/* ".BASE.mcam-tmp-PID-" */
static char *
temp_prefix (const char *base, long pid)
{
  return g_strdup_printf (".%s" TEMP_TAG "%ld-", base, pid);
}

/* Removes ".BASE.mcam-tmp-PID-XXXXXX" files in `dir` whose process PID is
 * gone: a temp of ours left by a killed run. A temp of a live process (even
 * another run writing the same target) is left alone. */
static void
remove_stale_temps (const char *dir, const char *base)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  g_autofree char *head = g_strdup_printf (".%s" TEMP_TAG, base);
  const char *name;

  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = NULL;
      const char *rest;
      char *end;
      long pid;
      struct stat st;

      if (!g_str_has_prefix (name, head))
        continue;
      rest = name + strlen (head);
      pid = strtol (rest, &end, 10);
      if (end == rest || *end != '-' || strlen (end + 1) != 6 || pid <= 0)
        continue;
      if (kill ((pid_t) pid, 0) == 0 || errno != ESRCH)
        continue;
      path = g_build_filename (dir, name, NULL);
      if (lstat (path, &st) == 0 && S_ISREG (st.st_mode) && st.st_uid == getuid ())
        g_unlink (path);
    }
}

McamFileTemp *
mcam_file_temp_new (const char *target, GError **error)
{
  g_autoptr(McamFileTemp) temp = g_new0 (McamFileTemp, 1);
  g_autofree char *prefix = NULL;

  g_return_val_if_fail (target != NULL, NULL);

  temp->fd = -1;
  temp->target = g_strdup (target);
  temp->dir = g_path_get_dirname (target);
  temp->base = g_path_get_basename (target);
  remove_stale_temps (temp->dir, temp->base);

#ifdef O_TMPFILE
  /* Nameless until commit: nothing to clean up if we are killed. The tests
   * set MCAM_FILE_NO_TMPFILE to run the fallback on any file system. */
  /* linkat () names it through /proc/self/fd (AT_EMPTY_PATH would need
   * CAP_DAC_READ_SEARCH): without /proc, the named fallback. */
  if (g_getenv ("MCAM_FILE_NO_TMPFILE") == NULL && access ("/proc/self/fd", X_OK) == 0)
    {
      temp->fd = open (temp->dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0666);
      if (temp->fd >= 0)
        return g_steal_pointer (&temp);
    }
#endif

  prefix = temp_prefix (temp->base, (long) getpid ());
  temp->tmp_path = g_strdup_printf ("%s/%sXXXXXX", temp->dir, prefix);
  temp->fd = g_mkstemp_full (temp->tmp_path, O_RDWR | O_CLOEXEC, 0666);
  if (temp->fd < 0)
    {
      int errsv = errno;
      g_autofree char *shown = mcam_file_display_name (target);

      g_clear_pointer (&temp->tmp_path, g_free);
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_IO,
                   "%s: cannot create a file in its folder: %s", shown, g_strerror (errsv));
      return NULL;
    }
  return g_steal_pointer (&temp);
}

int
mcam_file_temp_get_fd (McamFileTemp *temp)
{
  return temp->fd;
}

/* Gives the O_TMPFILE a name: the target itself when there is no file there
 * (linkat never replaces), else a temp name renamed over the target — the
 * name then exists for the time of one rename, and a kill in between leaves
 * a file that the next temp for this target removes. */
static gboolean
link_tmpfile (McamFileTemp *temp, GError **error)
{
  g_autofree char *proc = g_strdup_printf ("/proc/self/fd/%d", temp->fd);
  g_autofree char *prefix = temp_prefix (temp->base, (long) getpid ());
  int errsv;

  if (linkat (AT_FDCWD, proc, AT_FDCWD, temp->target, AT_SYMLINK_FOLLOW) == 0)
    return TRUE;
  errsv = errno;
  if (errsv == EEXIST)
    {
      for (int attempt = 0; attempt < 100; attempt++)
        {
          static const char letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
          char suffix[7];
          g_autofree char *name = NULL;

          for (int i = 0; i < 6; i++)
            suffix[i] = letters[g_random_int_range (0, sizeof letters - 1)];
          suffix[6] = '\0';
          name = g_strdup_printf ("%s/%s%s", temp->dir, prefix, suffix);
          if (linkat (AT_FDCWD, proc, AT_FDCWD, name, AT_SYMLINK_FOLLOW) != 0)
            {
              errsv = errno;
              if (errsv == EEXIST)
                continue;
              break;
            }
          if (g_rename (name, temp->target) == 0)
            return TRUE;
          errsv = errno;
          g_unlink (name);
          break;
        }
    }
  {
    g_autofree char *shown = mcam_file_display_name (temp->target);
    g_set_error (error, MCAM_ERROR, MCAM_ERROR_IO, "%s: cannot write: %s", shown,
                 g_strerror (errsv));
  }
  return FALSE;
}

gboolean
mcam_file_temp_commit (McamFileTemp *temp, GError **error)
{
  g_return_val_if_fail (temp != NULL && temp->fd >= 0 && !temp->committed, FALSE);

  if (fsync (temp->fd) != 0)
    {
      int errsv = errno;
      g_autofree char *shown = mcam_file_display_name (temp->target);

      g_set_error (error, MCAM_ERROR, MCAM_ERROR_IO, "%s: cannot write: %s", shown,
                   g_strerror (errsv));
      return FALSE;
    }
  if (temp->tmp_path == NULL)
    {
      if (!link_tmpfile (temp, error))
        return FALSE;
    }
  else if (g_rename (temp->tmp_path, temp->target) != 0)
    {
      int errsv = errno;
      g_autofree char *shown = mcam_file_display_name (temp->target);

      g_set_error (error, MCAM_ERROR, MCAM_ERROR_IO, "%s: cannot replace the file: %s",
                   shown, g_strerror (errsv));
      return FALSE;
    }
  g_clear_pointer (&temp->tmp_path, g_free);
  temp->committed = TRUE;
  return TRUE;
}

void
mcam_file_temp_free (McamFileTemp *temp)
{
  if (temp == NULL)
    return;
  if (temp->fd >= 0)
    close (temp->fd);
  if (temp->tmp_path != NULL)
    g_unlink (temp->tmp_path);
  g_free (temp->tmp_path);
  g_free (temp->target);
  g_free (temp->dir);
  g_free (temp->base);
  g_free (temp);
}

/* ---- whole files written at once ----------------------------------------- */

/* Write to a device or pipe as it is (no temp file, nothing to rename). */
static gboolean
write_in_place (const char *path, const guint8 *contents, gsize length, GError **error)
{
  int fd = g_open (path, O_WRONLY | O_CLOEXEC, 0);

  if (fd < 0)
    {
      int errsv = errno;
      g_autofree char *shown = mcam_file_display_name (path);

      g_set_error (error, MCAM_ERROR, MCAM_ERROR_IO, "%s: cannot write: %s", shown,
                   g_strerror (errsv));
      return FALSE;
    }
  if (!mcam_file_write_all (fd, contents, length, path, error))
    {
      close (fd);
      return FALSE;
    }
  if (close (fd) != 0)
    {
      int errsv = errno;
      g_autofree char *shown = mcam_file_display_name (path);

      g_set_error (error, MCAM_ERROR, MCAM_ERROR_IO, "%s: cannot write: %s", shown,
                   g_strerror (errsv));
      return FALSE;
    }
  return TRUE;
}

gboolean
mcam_file_write_atomic (const char *path, const void *contents, gsize length, GError **error)
{
  g_autoptr(McamFileTemp) temp = NULL;
  g_autofree char *target = NULL;
  GStatBuf st;

  /* What is at the path decides how to write. The temp file + rename below
   * replaces whatever directory entry the path names: run as root on
   * `--out /dev/stdout` or `/dev/full`, that was the device node itself, and
   * on a symbolic link it was the link, not the file it points to. So a
   * folder is refused, a device or pipe is written in place (there is no
   * earlier file to keep whole), and a link is followed to its file. */
  if (g_stat (path, &st) == 0)
    {
      if (S_ISDIR (st.st_mode))
        {
          g_autofree char *shown = mcam_file_display_name (path);

          g_set_error (error, MCAM_ERROR, MCAM_ERROR_IO,
                       "%s: cannot write: it is a folder", shown);
          return FALSE;
        }
      if (!S_ISREG (st.st_mode))
        return write_in_place (path, contents, length, error);
      if (g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        {
          char *real = realpath (path, NULL);

          target = g_strdup (real);
          free (real);
        }
    }

  /* A temp beside the target, fsync, then the target's name: an interrupted
   * or killed write leaves any earlier file whole and no temp behind. */
  temp = mcam_file_temp_new (target ? target : path, error);
  if (temp == NULL)
    return FALSE;
  if (!mcam_file_write_all (temp->fd, contents, length, target ? target : path, error))
    return FALSE;
  return mcam_file_temp_commit (temp, error);
}
