/* SPDX-License-Identifier: GPL-3.0-or-later */
/* safetensors: round trip, dtype conversion, and every malformed case named in
 * DESIGN 3 yields a GError naming the file (and tensor) — never a crash. */

#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "mcam/mcam.h"
#include "mcam-test-util.h"

static char *tmpdir;

static char *
tmp_path (const char *name)
{
  return g_build_filename (tmpdir, name, NULL);
}

/* Write a raw safetensors file from a header string and a data blob. */
static char *
write_raw (const char *name, const char *header, const void *data, gsize data_len)
{
  char *path = tmp_path (name);
  GByteArray *buf = g_byte_array_new ();
  guint64 n = strlen (header);
  guint8 len[8];

  for (int i = 0; i < 8; i++)
    len[i] = (guint8) (n >> (8 * i));
  g_byte_array_append (buf, len, 8);
  g_byte_array_append (buf, (const guint8 *) header, n);
  if (data_len)
    g_byte_array_append (buf, data, data_len);
  g_assert_true (g_file_set_contents (path, (const char *) buf->data, buf->len, NULL));
  g_byte_array_unref (buf);
  return path;
}

static void
test_round_trip (void)
{
  g_autoptr(McamSafetensorsWriter) w = mcam_safetensors_writer_new ();
  g_autoptr(McamSafetensors) st = NULL;
  g_autoptr(McamTensor) a = mcam_tensor_new_2d (3, 4);
  g_autoptr(McamTensor) b = mcam_tensor_new_1d (5);
  g_autoptr(McamTensor) ra = NULL, rb = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = tmp_path ("round.safetensors");
  int ndim;
  gint64 shape[8];

  for (gsize i = 0; i < a->n; i++)
    a->data[i] = (float) i * 0.25f - 1.0f;
  for (gsize i = 0; i < b->n; i++)
    b->data[i] = 1e-30f * (float) i;
  mcam_safetensors_writer_add_tensor (w, "layer.weight", a);
  mcam_safetensors_writer_add_tensor (w, "bias", b);
  mcam_safetensors_writer_set_metadata (w, "mcam.format", "1");
  mcam_safetensors_writer_set_metadata (w, "mcam.classes", "[\"a\",\"b\"]");
  g_assert_true (mcam_safetensors_writer_save (w, path, &error));
  g_assert_no_error (error);

  st = mcam_safetensors_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (mcam_safetensors_get_n_tensors (st), ==, 2);
  g_assert_cmpstr (mcam_safetensors_get_names (st)[0], ==, "bias");
  g_assert_cmpstr (mcam_safetensors_get_names (st)[1], ==, "layer.weight");
  g_assert_cmpstr (mcam_safetensors_get_metadata (st, "mcam.format"), ==, "1");
  g_assert_cmpstr (mcam_safetensors_get_metadata (st, "mcam.classes"), ==, "[\"a\",\"b\"]");
  g_assert_null (mcam_safetensors_get_metadata (st, "nope"));
  g_assert_true (mcam_safetensors_get_shape (st, "layer.weight", &ndim, shape));
  g_assert_cmpint (ndim, ==, 2);
  g_assert_cmpint (shape[0], ==, 3);
  g_assert_cmpint (shape[1], ==, 4);

  ra = mcam_safetensors_read (st, "layer.weight", 2, (gint64[]) { 3, -1 }, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (ra->data, ra->n * 4, a->data, a->n * 4);
  rb = mcam_safetensors_read (st, "bias", 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (rb->data, rb->n * 4, b->data, b->n * 4);
}

static void
test_f16_bf16 (void)
{
  /* F16: 1.0 = 0x3c00, -2.0 = 0xc000, 65504 = 0x7bff, smallest subnormal 0x0001.
   * BF16: 1.0 = 0x3f80, -0.5 = 0xbf00. */
  const guint16 halfs[4] = { 0x3c00, 0xc000, 0x7bff, 0x0001 };
  const guint16 bf[2] = { 0x3f80, 0xbf00 };
  guint8 data[12];
  g_autofree char *path = NULL;
  g_autoptr(McamSafetensors) st = NULL;
  g_autoptr(McamTensor) h = NULL, b = NULL;
  g_autoptr(GError) error = NULL;

  for (int i = 0; i < 4; i++)
    {
      data[2 * i] = halfs[i] & 0xff;
      data[2 * i + 1] = halfs[i] >> 8;
    }
  for (int i = 0; i < 2; i++)
    {
      data[8 + 2 * i] = bf[i] & 0xff;
      data[8 + 2 * i + 1] = bf[i] >> 8;
    }
  path = write_raw ("half.safetensors",
                    "{\"h\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[0,8]},"
                    "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[8,12]}}",
                    data, sizeof data);
  st = mcam_safetensors_open (path, &error);
  g_assert_no_error (error);
  h = mcam_safetensors_read (st, "h", 1, (gint64[]) { 4 }, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (h->data[0], ==, 1.0f);
  g_assert_cmpfloat (h->data[1], ==, -2.0f);
  g_assert_cmpfloat (h->data[2], ==, 65504.0f);
  g_assert_cmpfloat (h->data[3], ==, 5.9604644775390625e-8f);
  b = mcam_safetensors_read (st, "b", 1, (gint64[]) { 2 }, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (b->data[0], ==, 1.0f);
  g_assert_cmpfloat (b->data[1], ==, -0.5f);
}

typedef struct
{
  const char *name;
  const char *header;     /* NULL: raw bytes below */
  gsize       data_len;
  McamError   code;
  const char *needle;     /* must appear in the message */
} BadCase;

static void
test_malformed (void)
{
  static const BadCase cases[] = {
    { "not-json", "{not json", 0, MCAM_ERROR_FORMAT, "not JSON" },
    { "array", "[1,2]", 0, MCAM_ERROR_FORMAT, "not a JSON object" },
    { "no-dtype", "{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, MCAM_ERROR_FORMAT, "'w'" },
    { "bad-dtype", "{\"w\":{\"dtype\":\"Q7\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
      MCAM_ERROR_FORMAT, "unknown dtype" },
    { "neg-shape", "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4,
      MCAM_ERROR_FORMAT, "'w'" },
    { "float-shape", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4,
      MCAM_ERROR_FORMAT, "'w'" },
    { "past-end", "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8,
      MCAM_ERROR_FORMAT, "truncated" },
    { "size-mismatch", "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,16]}}", 16,
      MCAM_ERROR_FORMAT, "shape and dtype need" },
    { "reversed", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", 4,
      MCAM_ERROR_FORMAT, "data_offsets" },
    { "overlap", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                 "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12,
      MCAM_ERROR_FORMAT, "overlap" },
    { "huge-shape", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647,2147483647],"
                    "\"data_offsets\":[0,4]}}", 4, MCAM_ERROR_FORMAT, "'w'" },
    { "meta-not-string", "{\"__metadata__\":{\"k\":3}}", 0, MCAM_ERROR_FORMAT, "metadata" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *file = g_strdup_printf ("%s.safetensors", cases[i].name);
      g_autofree guint8 *zeros = g_malloc0 (cases[i].data_len + 1);
      g_autofree char *path = write_raw (file, cases[i].header, zeros, cases[i].data_len);
      g_autoptr(GError) error = NULL;
      McamSafetensors *st = mcam_safetensors_open (path, &error);

      g_test_message ("case %s: %s", cases[i].name, error ? error->message : "(no error)");
      g_assert_null (st);
      g_assert_error (error, MCAM_ERROR, (gint) cases[i].code);
      g_assert_nonnull (strstr (error->message, path));
      g_assert_nonnull (strstr (error->message, cases[i].needle));
    }
}

static void
test_bad_length (void)
{
  g_autofree char *short_path = tmp_path ("short.safetensors");
  g_autofree char *huge_path = tmp_path ("huge-header.safetensors");
  g_autofree char *over_path = tmp_path ("over.safetensors");
  g_autofree char *missing = tmp_path ("does-not-exist.safetensors");
  guint8 huge[16] = { 0, 0, 0, 0, 0, 0, 0, 0x7f, '{', '}' };
  guint8 over[16] = { 200, 0, 0, 0, 0, 0, 0, 0, '{', '}' };
  g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL, e4 = NULL, e5 = NULL;

  g_assert_true (g_file_set_contents (short_path, "abc", 3, NULL));
  g_assert_null (mcam_safetensors_open (short_path, &e1));
  g_assert_error (e1, MCAM_ERROR, MCAM_ERROR_FORMAT);

  g_assert_true (g_file_set_contents (huge_path, (char *) huge, sizeof huge, NULL));
  g_assert_null (mcam_safetensors_open (huge_path, &e2));
  g_assert_error (e2, MCAM_ERROR, MCAM_ERROR_TOO_LARGE);

  g_assert_true (g_file_set_contents (over_path, (char *) over, sizeof over, NULL));
  g_assert_null (mcam_safetensors_open (over_path, &e3));
  g_assert_error (e3, MCAM_ERROR, MCAM_ERROR_FORMAT);

  g_assert_null (mcam_safetensors_open (missing, &e4));
  g_assert_error (e4, MCAM_ERROR, MCAM_ERROR_IO);
  g_assert_nonnull (strstr (e4->message, missing));

  g_assert_null (mcam_safetensors_open (tmpdir, &e5));
  g_assert_error (e5, MCAM_ERROR, MCAM_ERROR_IO);
}

static void
test_read_errors (void)
{
  float data[4] = { 1.0f, 2.0f, 0.0f, 4.0f };
  g_autofree char *path = NULL;
  g_autoptr(McamSafetensors) st = NULL;
  g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL, e4 = NULL, error = NULL;
  guint32 nan_bits = 0x7fc00000u;

  memcpy (&data[2], &nan_bits, 4);
  path = write_raw ("values.safetensors",
                    "{\"ok\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                    "\"nan\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]},"
                    "\"ints\":{\"dtype\":\"I32\",\"shape\":[0],\"data_offsets\":[16,16]}}",
                    data, sizeof data);
  st = mcam_safetensors_open (path, &error);
  g_assert_no_error (error);

  g_assert_null (mcam_safetensors_read (st, "nan", 1, (gint64[]) { 2 }, &e1));
  g_assert_error (e1, MCAM_ERROR, MCAM_ERROR_VALUE);
  g_assert_nonnull (strstr (e1->message, "'nan'"));
  g_assert_nonnull (strstr (e1->message, path));

  g_assert_null (mcam_safetensors_read (st, "ok", 2, (gint64[]) { 1, 2 }, &e2));
  g_assert_error (e2, MCAM_ERROR, MCAM_ERROR_SHAPE);
  g_assert_nonnull (strstr (e2->message, "'ok'"));

  g_assert_null (mcam_safetensors_read (st, "absent", 0, NULL, &e3));
  g_assert_error (e3, MCAM_ERROR, MCAM_ERROR_SHAPE);
  g_assert_nonnull (strstr (e3->message, "'absent'"));

  g_assert_null (mcam_safetensors_read (st, "ints", 0, NULL, &e4));
  g_assert_error (e4, MCAM_ERROR, MCAM_ERROR_UNSUPPORTED);
}

/* Every truncation of a valid file fails cleanly (no crash, no partial read). */
static void
test_truncations (void)
{
  g_autoptr(McamSafetensorsWriter) w = mcam_safetensors_writer_new ();
  g_autofree char *path = tmp_path ("full.safetensors");
  g_autofree char *cut = tmp_path ("cut.safetensors");
  g_autofree char *contents = NULL;
  float v[6] = { 1, 2, 3, 4, 5, 6 };
  gsize len;

  mcam_safetensors_writer_add (w, "x", 2, (gint64[]) { 2, 3 }, v);
  g_assert_true (mcam_safetensors_writer_save (w, path, NULL));
  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  for (gsize n = 0; n < len; n++)
    {
      g_autoptr(GError) error = NULL;
      McamSafetensors *st;

      g_assert_true (g_file_set_contents (cut, contents, n, NULL));
      st = mcam_safetensors_open (cut, &error);
      g_assert_null (st);
      g_assert_nonnull (error);
    }
}

static void
test_atomic_write_failure (void)
{
  g_autofree char *path = tmp_path ("keep.bin");
  g_autofree char *bad = g_build_filename (tmpdir, "no-such-dir", "x.bin", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (mcam_file_write_atomic (path, "first", 5, NULL));
  g_assert_false (mcam_file_write_atomic (bad, "second", 6, &error));
  g_assert_error (error, MCAM_ERROR, MCAM_ERROR_IO);
  g_assert_nonnull (strstr (error->message, bad));
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "first");
}

/* What is at the path decides how it is written: a symbolic link stays a
 * link and its file gets the contents; a folder is refused; a device is
 * written in place — /dev/full reports a full disk (the export error path)
 * and stays a device (a temp file renamed over it used to replace the node
 * when run as root, and a link to it became a regular file). */
static void
test_write_targets (void)
{
  g_autofree char *file = tmp_path ("real.bin");
  g_autofree char *link = tmp_path ("link.bin");
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  GStatBuf st;

  g_assert_true (mcam_file_write_atomic (file, "first", 5, NULL));
  g_assert_cmpint (symlink (file, link), ==, 0);
  g_assert_true (mcam_file_write_atomic (link, "second", 6, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (link, G_FILE_TEST_IS_SYMLINK));
  g_assert_true (g_file_get_contents (file, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "second");
  g_remove (link);

  g_assert_false (mcam_file_write_atomic (tmpdir, "x", 1, &error));
  g_assert_error (error, MCAM_ERROR, MCAM_ERROR_IO);
  g_assert_nonnull (strstr (error->message, tmpdir));
  g_assert_true (g_file_test (tmpdir, G_FILE_TEST_IS_DIR));
  g_clear_error (&error);

  /* The devices are reached through links in our folder: should this
   * regress, the rename replaces our link, never a node in /dev. */
  g_assert_cmpint (symlink ("/dev/null", link), ==, 0);
  g_assert_true (mcam_file_write_atomic (link, "x", 1, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (link, G_FILE_TEST_IS_SYMLINK));
  g_remove (link);

  if (g_stat ("/dev/full", &st) != 0 || !S_ISCHR (st.st_mode))
    {
      g_test_skip ("no /dev/full");
      return;
    }
  g_assert_cmpint (symlink ("/dev/full", link), ==, 0);
  g_assert_false (mcam_file_write_atomic (link, "x", 1, &error));
  g_assert_error (error, MCAM_ERROR, MCAM_ERROR_IO);
  g_assert_nonnull (strstr (error->message, link));
  g_test_message ("%s", error->message);
  g_assert_true (g_file_test (link, G_FILE_TEST_IS_SYMLINK));
  g_remove (link);
}

int
main (int argc, char **argv)
{
  int ret;

  mcam_test_init (&argc, &argv);
  tmpdir = g_dir_make_tmp ("mcam-st-XXXXXX", NULL);

  g_test_add_func ("/mcam/safetensors/round-trip", test_round_trip);
  g_test_add_func ("/mcam/safetensors/f16-bf16", test_f16_bf16);
  g_test_add_func ("/mcam/safetensors/malformed", test_malformed);
  g_test_add_func ("/mcam/safetensors/bad-length", test_bad_length);
  g_test_add_func ("/mcam/safetensors/read-errors", test_read_errors);
  g_test_add_func ("/mcam/safetensors/truncations", test_truncations);
  g_test_add_func ("/mcam/safetensors/atomic-write-failure", test_atomic_write_failure);
  g_test_add_func ("/mcam/safetensors/write-targets", test_write_targets);

  ret = g_test_run ();
  {
    g_autoptr(GDir) dir = g_dir_open (tmpdir, 0, NULL);
    const char *name;

    while (dir && (name = g_dir_read_name (dir)))
      {
        g_autofree char *p = g_build_filename (tmpdir, name, NULL);
        g_remove (p);
      }
    g_rmdir (tmpdir);
  }
  return ret;
}
