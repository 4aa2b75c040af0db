/* SPDX-License-Identifier: GPL-3.0-or-later */
/* mcam-file: special files are refused at once and by name (a FIFO must not
 * block), a file that changes between fstat and read is read as it is then
 * (never a crash), the size cap holds, contents are byte-exact; temporaries
 * leave nothing behind. */

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "mcam/mcam.h"
#include "mcam-file.h"
#include "mcam-test-util.h"

static char *tmpdir;

static char *
tmp_path (const char *name)
{
  return g_build_filename (tmpdir, name, NULL);
}

/* Asserts a refusal with MCAM_ERROR `code` whose message holds the path
 * and `needle`. */
static void
assert_refused (const char *path, gsize cap, int code, const char *needle)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;

  /* A blocking open would hang here: the alarm turns that into a failure. */
  alarm (20);
  bytes = mcam_file_read (path, cap, "test input", &error);
  alarm (0);
  g_assert_null (bytes);
  g_assert_error (error, MCAM_ERROR, code);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, "test input"));
  g_assert_nonnull (strstr (error->message, needle));
}

static void
test_contents_exact (void)
{
  g_autofree char *path = tmp_path ("exact.bin");
  g_autofree guint8 *data = g_malloc (300001);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *empty = tmp_path ("empty.bin");
  GRand *rand = g_rand_new_with_seed (7);

  for (gsize i = 0; i < 300001; i++)
    data[i] = (guint8) g_rand_int (rand);
  g_rand_free (rand);
  g_assert_true (g_file_set_contents (path, (const char *) data, 300001, NULL));

  bytes = mcam_file_read (path, 300001, "test input", &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), data, 300001);
  g_clear_pointer (&bytes, g_bytes_unref);

  g_assert_true (g_file_set_contents (empty, "", 0, NULL));
  bytes = mcam_file_read (empty, 10, "test input", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (bytes), ==, 0);
}

static void
test_special_files (void)
{
  g_autofree char *fifo = tmp_path ("pipe");
  g_autofree char *loop_a = tmp_path ("loop-a");
  g_autofree char *loop_b = tmp_path ("loop-b");
  g_autofree char *missing = tmp_path ("missing.png");
  g_autofree char *sock_path = tmp_path ("sock");
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int sock;

  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  assert_refused (fifo, 1000, MCAM_ERROR_IO, "FIFO");
  /* And the same when the FIFO is reached through a link. */
  g_assert_cmpint (symlink (fifo, loop_a), ==, 0);
  assert_refused (loop_a, 1000, MCAM_ERROR_IO, "FIFO");
  g_remove (loop_a);

  assert_refused (tmpdir, 1000, MCAM_ERROR_IO, "folder");

  g_assert_cmpint (symlink (loop_b, loop_a), ==, 0);
  g_assert_cmpint (symlink (loop_a, loop_b), ==, 0);
  assert_refused (loop_a, 1000, MCAM_ERROR_IO, "symbolic link loop");

  assert_refused (missing, 1000, MCAM_ERROR_IO, "No such file");
  assert_refused ("/dev/null", 1000, MCAM_ERROR_IO, "character device");

  sock = socket (AF_UNIX, SOCK_STREAM, 0);
  g_assert_cmpint (sock, >=, 0);
  g_strlcpy (addr.sun_path, sock_path, sizeof addr.sun_path);
  if (strlen (sock_path) < sizeof addr.sun_path
      && bind (sock, (struct sockaddr *) &addr, sizeof addr) == 0)
    assert_refused (sock_path, 1000, MCAM_ERROR_IO, "socket");
  close (sock);
}

static void
test_permission_denied (void)
{
  g_autofree char *path = tmp_path ("secret.bin");

  g_assert_cmpstr (mcam_file_errno_problem (EACCES), ==, "permission denied");
  /* Root reads any file: the mapping above is all that can be checked then
   * (not a skip: .ci/run counts skips). */
  if (geteuid () == 0)
    {
      g_test_message ("running as root: the file itself cannot be made unreadable");
      return;
    }
  g_assert_true (g_file_set_contents (path, "x", 1, NULL));
  g_assert_cmpint (g_chmod (path, 0), ==, 0);
  assert_refused (path, 1000, MCAM_ERROR_IO, "permission denied");
}

static void
test_size_cap (void)
{
  g_autofree char *path = tmp_path ("big.bin");
  char data[1000];
  g_autoptr(GBytes) bytes = NULL;

  memset (data, 'a', sizeof data);
  g_assert_true (g_file_set_contents (path, data, sizeof data, NULL));
  assert_refused (path, 999, MCAM_ERROR_TOO_LARGE, "over the 999 bytes limit");
  bytes = mcam_file_read (path, 1000, "test input", NULL);
  g_assert_nonnull (bytes);
  g_assert_cmpuint (g_bytes_get_size (bytes), ==, 1000);
}

typedef struct
{
  gssize truncate_to;   /* >= 0: truncate the file to this size */
  gsize  append;        /* bytes to append */
  int    calls;
} ChangeHook;

/* Runs between fstat and the first read: the file changes under the reader,
 * as when an editor or a sync tool rewrites it in place. */
static void
change_file (int fd, const char *path, gpointer user_data)
{
  ChangeHook *h = user_data;

  h->calls++;
  if (h->truncate_to >= 0)
    g_assert_cmpint (truncate (path, h->truncate_to), ==, 0);
  if (h->append > 0)
    {
      g_autofree char *more = g_malloc (h->append);
      FILE *f = fopen (path, "ab");

      memset (more, 'z', h->append);
      g_assert_nonnull (f);
      g_assert_cmpuint (fwrite (more, 1, h->append, f), ==, h->append);
      fclose (f);
    }
}

static void
test_changed_while_read (void)
{
  g_autofree char *path = tmp_path ("changing.bin");
  char data[5000];
  ChangeHook hook = { .truncate_to = 10 };
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;

  for (gsize i = 0; i < sizeof data; i++)
    data[i] = (char) ('a' + i % 26);

  /* Shrinks: what is there is read — the old size is not trusted. */
  g_assert_true (g_file_set_contents (path, data, sizeof data, NULL));
  mcam_file_set_read_hook (change_file, &hook);
  bytes = mcam_file_read (path, 1 << 20, "test input", &error);
  g_assert_no_error (error);
  g_assert_cmpint (hook.calls, ==, 1);
  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), data, 10);
  g_clear_pointer (&bytes, g_bytes_unref);

  /* Grows within the cap: all of it. */
  g_assert_true (g_file_set_contents (path, data, sizeof data, NULL));
  hook = (ChangeHook) { .truncate_to = -1, .append = 3000 };
  bytes = mcam_file_read (path, 8000, "test input", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (bytes), ==, 8000);
  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), 5000, data, 5000);
  g_assert_cmpint (((const char *) g_bytes_get_data (bytes, NULL))[7999], ==, 'z');
  g_clear_pointer (&bytes, g_bytes_unref);

  /* Grows past the cap: refused, having read at most cap + 1 bytes. */
  g_assert_true (g_file_set_contents (path, data, sizeof data, NULL));
  hook = (ChangeHook) { .truncate_to = -1, .append = 3001 };
  bytes = mcam_file_read (path, 8000, "test input", &error);
  g_assert_null (bytes);
  g_assert_error (error, MCAM_ERROR, MCAM_ERROR_TOO_LARGE);
  g_assert_nonnull (strstr (error->message, "grew"));
  mcam_file_set_read_hook (NULL, NULL);
}

static void
test_pread_exact (void)
{
  g_autofree char *path = tmp_path ("short.bin");
  g_autoptr(GError) error = NULL;
  struct stat st;
  char buf[8];
  int fd;

  g_assert_true (g_file_set_contents (path, "0123456789", 10, NULL));
  fd = mcam_file_open_regular (path, "test input", &st, &error);
  g_assert_no_error (error);
  g_assert_cmpint (st.st_size, ==, 10);
  g_assert_true (mcam_file_pread_exact (fd, buf, 4, 3, path, "test input", &error));
  g_assert_cmpmem (buf, 4, "3456", 4);
  g_assert_false (mcam_file_pread_exact (fd, buf, 8, 5, path, "test input", &error));
  g_assert_error (error, MCAM_ERROR, MCAM_ERROR_FORMAT);
  g_assert_nonnull (strstr (error->message, path));
  close (fd);
}

/* A 10 MB name must not make a 10 MB message; a cut never splits a
 * character. */
static void
test_display_name (void)
{
  g_autofree char *huge = g_malloc (10 * 1024 * 1024 + 1);
  g_autofree char *shown = NULL;
  GString *accents = g_string_new ("");

  memset (huge, 'n', 10 * 1024 * 1024);
  huge[10 * 1024 * 1024] = '\0';
  shown = mcam_file_display_name (huge);
  g_assert_cmpuint (strlen (shown), ==, MCAM_FILE_NAME_SHOWN_MAX + strlen ("…"));
  g_assert_true (g_str_has_suffix (shown, "…"));
  g_clear_pointer (&shown, g_free);

  shown = mcam_file_display_name ("short.png");
  g_assert_cmpstr (shown, ==, "short.png");
  g_clear_pointer (&shown, g_free);

  g_string_append_c (accents, 'x');   /* odd offset: byte 200 is mid-character */
  while (accents->len < 300)
    g_string_append (accents, "é");
  shown = mcam_file_display_name (accents->str);
  g_assert_true (g_utf8_validate (shown, -1, NULL));
  g_assert_cmpuint (strlen (shown), <=, MCAM_FILE_NAME_SHOWN_MAX + strlen ("…"));
  g_assert_cmpuint (strlen (shown), >=, MCAM_FILE_NAME_SHOWN_MAX - 1 + strlen ("…"));
  g_string_free (accents, TRUE);
}

/* ---- the core's loaders go through mcam-file ---------------------------- */

static const char *const classes[] = { "cat", "dog", NULL };

/* An image, a model and a CSV that are FIFOs are refused at once, by name
 * (each used to block in open () for ever). */
static void
test_loaders_refuse_fifo (void)
{
  g_autofree char *fifo = tmp_path ("loader-pipe");
  g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL, e4 = NULL;
  g_autoptr(McamImage) img = NULL;
  g_autoptr(McamSafetensors) st = NULL;
  g_autoptr(McamDataset) ds = NULL;

  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  alarm (20);
  img = mcam_image_load (fifo, 0, &e1);
  st = mcam_safetensors_open (fifo, &e2);
  ds = mcam_dataset_load (fifo, NULL, tmpdir, classes, 2, &e3);
  /* The app's thumbnails read through this one. */
  g_assert_null (mcam_image_read_file (fifo, 0, &e4));
  alarm (0);
  g_assert_error (e4, MCAM_ERROR, MCAM_ERROR_IO);
  g_assert_nonnull (strstr (e4->message, "FIFO"));
  g_assert_null (img);
  g_assert_null (st);
  g_assert_null (ds);
  g_assert_error (e1, MCAM_ERROR, MCAM_ERROR_IO);
  g_assert_error (e2, MCAM_ERROR, MCAM_ERROR_IO);
  g_assert_error (e3, MCAM_ERROR, MCAM_ERROR_IO);
  g_assert_nonnull (strstr (e1->message, "image"));
  g_assert_nonnull (strstr (e2->message, "safetensors"));
  g_assert_nonnull (strstr (e3->message, "CSV"));
  for (GError *e = e1; e != NULL; e = e == e1 ? e2 : e == e2 ? e3 : NULL)
    {
      g_test_message ("%s", e->message);
      g_assert_nonnull (strstr (e->message, fifo));
      g_assert_nonnull (strstr (e->message, "FIFO"));
    }
  g_remove (fifo);
}

/* The image is cut to half its size after fstat and before it is read (an
 * editor rewriting it in place): a clean "truncated" error, not SIGBUS —
 * the mapping the loader used made every access past the new end fault. */
static void
test_image_truncated_while_read (void)
{
  g_autofree char *fixture = mcam_test_fixture ("img-photo.png");
  g_autofree char *path = tmp_path ("shrinking.png");
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(McamImage) whole = NULL, cut = NULL, after = NULL;
  ChangeHook hook = { .truncate_to = -1 };
  gsize len;

  g_assert_true (g_file_get_contents (fixture, &contents, &len, NULL));
  g_assert_true (g_file_set_contents (path, contents, len, NULL));
  whole = mcam_image_load (path, 0, &error);
  g_assert_no_error (error);

  hook.truncate_to = (gssize) len / 2;
  mcam_file_set_read_hook (change_file, &hook);
  cut = mcam_image_load (path, 0, &error);
  mcam_file_set_read_hook (NULL, NULL);
  g_assert_cmpint (hook.calls, ==, 1);
  g_assert_null (cut);
  g_assert_error (error, MCAM_ERROR, MCAM_ERROR_FORMAT);
  g_assert_nonnull (strstr (error->message, path));
  g_clear_error (&error);

  /* Restored, it loads to the same pixels as before. */
  g_assert_true (g_file_set_contents (path, contents, len, NULL));
  after = mcam_image_load (path, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (after->width, ==, whole->width);
  g_assert_cmpmem (after->rgb, (gsize) after->width * after->height * 3,
                   whole->rgb, (gsize) whole->width * whole->height * 3);
}

/* A model file truncated while it is read: a clean error naming it. */
static void
test_safetensors_truncated_while_read (void)
{
  g_autofree char *fixture = mcam_test_fixture ("memory-tiny.safetensors");
  g_autofree char *path = tmp_path ("shrinking.safetensors");
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(McamSafetensors) st = NULL;
  ChangeHook hook = { .truncate_to = -1 };
  gsize len;

  g_assert_true (g_file_get_contents (fixture, &contents, &len, NULL));
  g_assert_true (g_file_set_contents (path, contents, len, NULL));
  hook.truncate_to = (gssize) len - 100;
  mcam_file_set_read_hook (change_file, &hook);
  st = mcam_safetensors_open (path, &error);
  mcam_file_set_read_hook (NULL, NULL);
  g_assert_cmpint (hook.calls, ==, 1);
  g_assert_null (st);
  g_assert_error (error, MCAM_ERROR, MCAM_ERROR_FORMAT);
  g_assert_nonnull (strstr (error->message, path));
}

/* Files a CSV names: a FIFO and a symbolic link loop are named as such (they
 * were "not found"); a 10 MB name gives a message of a few hundred bytes. */
static void
test_csv_named_files (void)
{
  g_autofree char *csv = tmp_path ("labels.csv");
  g_autofree char *fifo = tmp_path ("named-pipe.png");
  g_autofree char *loop_a = tmp_path ("loop1.png");
  g_autofree char *loop_b = tmp_path ("loop2.png");
  GString *huge = g_string_new ("file,labels\n");
  struct { const char *text, *needle; } cases[] = {
    { "file,labels\nnamed-pipe.png,cat\n", "FIFO" },
    { "file,labels\nloop1.png,cat\n", "symbolic link loop" },
    { "file,labels\nabsent.png,cat\n", "not found" },
  };

  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  g_assert_cmpint (symlink (loop_b, loop_a), ==, 0);
  g_assert_cmpint (symlink (loop_a, loop_b), ==, 0);
  for (gsize k = 0; k < G_N_ELEMENTS (cases); k++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(McamDataset) ds = NULL;

      g_assert_true (g_file_set_contents (csv, cases[k].text, -1, NULL));
      alarm (20);
      ds = mcam_dataset_load (csv, NULL, tmpdir, classes, 2, &error);
      alarm (0);
      g_assert_null (ds);
      g_assert_error (error, MCAM_ERROR, MCAM_ERROR_IO);
      g_test_message ("%s", error->message);
      g_assert_nonnull (strstr (error->message, "labels.csv:2"));
      g_assert_nonnull (strstr (error->message, cases[k].needle));
    }

  for (int i = 0; i < 10 * 1024 * 1024; i++)
    g_string_append_c (huge, 'n');
  g_string_append (huge, ".png,cat\n");
  g_assert_true (g_file_set_contents (csv, huge->str, (gssize) huge->len, NULL));
  g_string_free (huge, TRUE);
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(McamDataset) ds = mcam_dataset_load (csv, NULL, tmpdir, classes, 2, &error);

    g_assert_null (ds);
    g_assert_nonnull (error);
    g_test_message ("%zu bytes: %.80s…", strlen (error->message), error->message);
    g_assert_cmpuint (strlen (error->message), <, 1000);
    g_assert_nonnull (strstr (error->message, "nnnn…"));
  }
  g_remove (fifo);
  g_remove (loop_a);
  g_remove (loop_b);
}

/* Names in tmpdir that start with `prefix`. */
static int
count_entries (const char *prefix)
{
  g_autoptr(GDir) d = g_dir_open (tmpdir, 0, NULL);
  const char *name;
  int n = 0;

  while ((name = g_dir_read_name (d)) != NULL)
    if (g_str_has_prefix (name, prefix))
      n++;
  return n;
}

/* Both ways of making a temp: O_TMPFILE (no name until commit) and the
 * named fallback (MCAM_FILE_NO_TMPFILE set), whose name is visible while
 * the file is written. */
static void
test_temp (gconstpointer data)
{
  gboolean named = GPOINTER_TO_INT (data);
  g_autofree char *target = tmp_path ("out.bin");
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  McamFileTemp *temp;
  gsize len;

  if (named)
    g_setenv ("MCAM_FILE_NO_TMPFILE", "1", TRUE);
  g_remove (target);

  /* Before commit the target does not exist; an uncommitted temp leaves
   * nothing (with O_TMPFILE there is no name at all; else it is removed). */
  temp = mcam_file_temp_new (target, &error);
  g_assert_no_error (error);
  g_assert_true (mcam_file_write_all (mcam_file_temp_get_fd (temp), "abc", 3, target, &error));
  g_assert_false (g_file_test (target, G_FILE_TEST_EXISTS));
  g_assert_cmpint (count_entries (".out.bin.mcam-tmp-"), ==, named ? 1 : 0);
  mcam_file_temp_free (temp);
  g_assert_cmpint (count_entries (".out.bin"), ==, 0);
  g_assert_cmpint (count_entries ("out.bin"), ==, 0);

  /* Commit onto nothing, then over an existing file, then through
   * mcam_file_write_atomic (). */
  for (int round = 0; round < 3; round++)
    {
      const char *text = round == 0 ? "first" : round == 1 ? "second!" : "third";

      if (round < 2)
        {
          temp = mcam_file_temp_new (target, &error);
          g_assert_no_error (error);
          g_assert_true (mcam_file_write_all (mcam_file_temp_get_fd (temp), text,
                                              strlen (text), target, &error));
          g_assert_true (mcam_file_temp_commit (temp, &error));
          g_assert_no_error (error);
          mcam_file_temp_free (temp);
        }
      else
        g_assert_true (mcam_file_write_atomic (target, text, strlen (text), &error));
      g_assert_no_error (error);
      g_assert_true (g_file_get_contents (target, &contents, &len, NULL));
      g_assert_cmpstr (contents, ==, text);
      g_clear_pointer (&contents, g_free);
      g_assert_cmpint (count_entries (".out.bin"), ==, 0);
    }
  g_unsetenv ("MCAM_FILE_NO_TMPFILE");
}

/* A temp named by a process that is gone is ours and stale: removed by the
 * next temp for the same target. A live process's temp and other files
 * that merely look alike stay. */
static void
test_stale_temps (void)
{
  g_autofree char *target = tmp_path ("model.safetensors");
  g_autofree char *dead = NULL, *live = NULL, *other = NULL, *alike = NULL;
  g_autoptr(GError) error = NULL;
  McamFileTemp *temp;
  pid_t child;
  int status;

  child = fork ();
  g_assert_cmpint (child, >=, 0);
  if (child == 0)
    _exit (0);
  g_assert_cmpint (waitpid (child, &status, 0), ==, child);

  dead = g_strdup_printf ("%s/.model.safetensors.mcam-tmp-%ld-aB3xYz", tmpdir, (long) child);
  live = g_strdup_printf ("%s/.model.safetensors.mcam-tmp-%ld-aB3xYz", tmpdir, (long) getpid ());
  other = g_strdup_printf ("%s/.other.safetensors.mcam-tmp-%ld-aB3xYz", tmpdir, (long) child);
  alike = g_strdup_printf ("%s/.model.safetensors.aB3xYz", tmpdir);
  g_assert_true (g_file_set_contents (dead, "x", 1, NULL));
  g_assert_true (g_file_set_contents (live, "x", 1, NULL));
  g_assert_true (g_file_set_contents (other, "x", 1, NULL));
  g_assert_true (g_file_set_contents (alike, "x", 1, NULL));

  temp = mcam_file_temp_new (target, &error);
  g_assert_no_error (error);
  mcam_file_temp_free (temp);

  g_assert_false (g_file_test (dead, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (live, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (other, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (alike, G_FILE_TEST_EXISTS));
  g_remove (live);
  g_remove (other);
  g_remove (alike);
}

int
main (int argc, char *argv[])
{
  int ret;

  mcam_test_init (&argc, &argv);
  tmpdir = g_dir_make_tmp ("mcam-test-file-XXXXXX", NULL);
  g_assert_nonnull (tmpdir);

  g_test_add_func ("/mcam/file/contents-exact", test_contents_exact);
  g_test_add_func ("/mcam/file/special-files", test_special_files);
  g_test_add_func ("/mcam/file/permission-denied", test_permission_denied);
  g_test_add_func ("/mcam/file/size-cap", test_size_cap);
  g_test_add_func ("/mcam/file/changed-while-read", test_changed_while_read);
  g_test_add_func ("/mcam/file/pread-exact", test_pread_exact);
  g_test_add_func ("/mcam/file/display-name", test_display_name);
  g_test_add_func ("/mcam/file/loaders-refuse-fifo", test_loaders_refuse_fifo);
  g_test_add_func ("/mcam/file/image-truncated-while-read", test_image_truncated_while_read);
  g_test_add_func ("/mcam/file/safetensors-truncated-while-read",
                   test_safetensors_truncated_while_read);
  g_test_add_func ("/mcam/file/csv-named-files", test_csv_named_files);
  g_test_add_data_func ("/mcam/file/temp/tmpfile", GINT_TO_POINTER (FALSE), test_temp);
  g_test_add_data_func ("/mcam/file/temp/named", GINT_TO_POINTER (TRUE), test_temp);
  g_test_add_func ("/mcam/file/stale-temps", test_stale_temps);
  ret = g_test_run ();

  {
    g_autoptr(GDir) dir = g_dir_open (tmpdir, 0, NULL);
    const char *name;

    while (dir && (name = g_dir_read_name (dir)))
      {
        g_autofree char *p = g_build_filename (tmpdir, name, NULL);
        g_chmod (p, 0600);
        g_remove (p);
      }
    g_rmdir (tmpdir);
  }
  g_free (tmpdir);
  return ret;
}
