/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Private to the core: opening input files safely, and writing outputs so
 * that neither a failure nor a kill leaves anything half-done behind.
 *
 * Every input file of the core goes through mcam_file_open_regular () or
 * mcam_file_read (): the file is opened with O_NONBLOCK (a FIFO does not
 * block the open), checked with fstat () before a single byte is read (a
 * FIFO, socket, device or folder is refused at once, by name), and read into
 * memory with a size cap — never mapped, since a mapped file that shrinks
 * under us turns the next access into SIGBUS. */
#pragma once

#include <glib.h>
#include <sys/stat.h>

G_BEGIN_DECLS

/* How many bytes of a file name an error message shows at most. */
#define MCAM_FILE_NAME_SHOWN_MAX 200

/* The path as an error message shows it: at most MCAM_FILE_NAME_SHOWN_MAX
 * bytes (cut on a character boundary) followed by "…" when cut. */
char    *mcam_file_display_name (const char *path);

/* What is wrong with an open () or stat () failure, in words: "a symbolic
 * link loop", "permission denied", … (strerror () for the rest). */
const char *mcam_file_errno_problem (int errsv);

/* What a non-regular file is, in words ("a FIFO (named pipe)", "a folder",
 * …); NULL for a regular file. */
const char *mcam_file_type_problem (mode_t mode);

/* A short description of why `path` cannot be read as a regular file
 * (stat only: never opens, never blocks), or NULL when it can be tried. */
const char *mcam_file_check_regular (const char *path);

/* Opens `path` read-only, non-blocking and close-on-exec, and refuses
 * anything that is not a regular file. `what` names the file's role in the
 * messages ("image", "model", "labels"). Returns the fd (its O_NONBLOCK is
 * harmless for a regular file) or -1 with `error` set; `st` receives the
 * fstat () result when not NULL. */
int      mcam_file_open_regular (const char *path, const char *what, struct stat *st,
                                 GError **error);

/* The whole file in memory. Over `max_bytes` is refused (MCAM_ERROR_TOO_LARGE,
 * naming the cap) both from fstat () and while reading, so a file that grows
 * meanwhile costs at most max_bytes + 1; a file that shrinks meanwhile gives
 * what was there to read. */
GBytes  *mcam_file_read         (const char *path, gsize max_bytes, const char *what,
                                 GError **error);
/* The same from an fd opened by mcam_file_open_regular () (not closed). */
GBytes  *mcam_file_read_fd      (int fd, const struct stat *st, const char *path,
                                 gsize max_bytes, const char *what, GError **error);

/* Exactly `length` bytes at `offset`; a short file is an error naming it. */
gboolean mcam_file_pread_exact  (int fd, void *buf, gsize length, guint64 offset,
                                 const char *path, const char *what, GError **error);

/* For tests: called by mcam_file_read_fd () after fstat () and before the
 * first read (e.g. to truncate the file in between). NULL to remove. */
typedef void (*McamFileReadHook) (int fd, const char *path, gpointer user_data);
void     mcam_file_set_read_hook (McamFileReadHook hook, gpointer user_data);

/* A new file being written that appears at `target` only on commit.
 * Where the file system allows it, it is an O_TMPFILE: nameless, so a killed
 * process leaves nothing behind. Elsewhere it is a hidden
 * ".NAME.mcam-tmp-PID-XXXXXX" beside the target, and each new temp for the
 * same target first removes such files whose process is gone. */
typedef struct _McamFileTemp McamFileTemp;

McamFileTemp *mcam_file_temp_new    (const char *target, GError **error);
int           mcam_file_temp_get_fd (McamFileTemp *temp);
/* fsync, then give it the target's name (replacing any file there). */
gboolean      mcam_file_temp_commit (McamFileTemp *temp, GError **error);
/* Closes it; an uncommitted temp is removed. */
void          mcam_file_temp_free   (McamFileTemp *temp);

gboolean mcam_file_write_all    (int fd, const void *buf, gsize length, const char *path,
                                 GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (McamFileTemp, mcam_file_temp_free)

G_END_DECLS
