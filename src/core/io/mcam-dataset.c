/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Labelled image sets (labels.csv, boxes.csv) and average precision. */

#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "mcam/mcam-dataset.h"
#include "mcam-file.h"
#include "mcam/mcam-error.h"

/* Upper bound on a CSV we read whole into memory. */
#define MCAM_CSV_MAX_BYTES (512u * 1024u * 1024u)

typedef struct
{
  char  *images_dir;
  GPtrArray *names;     /* char* */
  GPtrArray *paths;     /* char* */
  GArray    *labels;    /* float, n*C */
  GArray    *boxes;     /* McamBox, in reading order */
  GArray    *box_image; /* int: image of each box */
  GHashTable *index;    /* name -> index + 1 */
} Builder;

McamDataset *
mcam_dataset_new (const char *images_dir, const char *const *classes, int n_classes)
{
  McamDataset *ds = g_new0 (McamDataset, 1);

  g_return_val_if_fail (n_classes > 0 && classes != NULL, NULL);

  ds->n_classes = n_classes;
  ds->classes = g_new0 (char *, n_classes + 1);
  for (int c = 0; c < n_classes; c++)
    ds->classes[c] = g_strdup (classes[c]);
  ds->names = g_new0 (char *, 1);
  ds->paths = g_new0 (char *, 1);
  ds->images_dir = g_strdup (images_dir ? images_dir : ".");
  return ds;
}

void
mcam_dataset_free (McamDataset *ds)
{
  if (ds == NULL)
    return;
  g_free (ds->images_dir);
  g_strfreev (ds->classes);
  g_strfreev (ds->names);
  g_strfreev (ds->paths);
  g_free (ds->labels);
  g_free (ds->boxes);
  g_free (ds->box_start);
  g_free (ds->box_count);
  g_free (ds);
}

int
mcam_dataset_find (McamDataset *ds, const char *name)
{
  for (int i = 0; i < ds->n; i++)
    if (strcmp (ds->names[i], name) == 0)
      return i;
  return -1;
}

/* ---- builder: a mutable copy of a set, committed only on success ---- */

static Builder *
builder_new (McamDataset *ds)
{
  Builder *b = g_new0 (Builder, 1);

  b->images_dir = g_strdup (ds->images_dir);
  b->names = g_ptr_array_new_with_free_func (g_free);
  b->paths = g_ptr_array_new_with_free_func (g_free);
  b->labels = g_array_new (FALSE, TRUE, sizeof (float));
  b->boxes = g_array_new (FALSE, FALSE, sizeof (McamBox));
  b->box_image = g_array_new (FALSE, FALSE, sizeof (int));
  b->index = g_hash_table_new (g_str_hash, g_str_equal);

  for (int i = 0; i < ds->n; i++)
    {
      g_ptr_array_add (b->names, g_strdup (ds->names[i]));
      g_ptr_array_add (b->paths, g_strdup (ds->paths[i]));
      g_hash_table_insert (b->index, g_ptr_array_index (b->names, i), GINT_TO_POINTER (i + 1));
    }
  if (ds->n > 0)
    g_array_append_vals (b->labels, ds->labels, (guint) ds->n * ds->n_classes);
  for (int i = 0; i < ds->n; i++)
    for (int k = 0; k < ds->box_count[i]; k++)
      {
        g_array_append_val (b->boxes, ds->boxes[ds->box_start[i] + k]);
        g_array_append_val (b->box_image, i);
      }
  return b;
}

static void
builder_free (Builder *b)
{
  g_free (b->images_dir);
  g_ptr_array_unref (b->names);
  g_ptr_array_unref (b->paths);
  g_array_unref (b->labels);
  g_array_unref (b->boxes);
  g_array_unref (b->box_image);
  g_hash_table_unref (b->index);
  g_free (b);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Builder, builder_free)

static char **
ptr_array_to_strv (GPtrArray *a)
{
  char **v = g_new0 (char *, a->len + 1);
  for (guint i = 0; i < a->len; i++)
    v[i] = g_strdup (g_ptr_array_index (a, i));
  return v;
}

static void
builder_commit (Builder *b, McamDataset *ds)
{
  int n = (int) b->names->len;
  int n_boxes = (int) b->boxes->len;

  g_strfreev (ds->names);
  g_strfreev (ds->paths);
  g_free (ds->labels);
  g_free (ds->boxes);
  g_free (ds->box_start);
  g_free (ds->box_count);

  ds->n = n;
  ds->names = ptr_array_to_strv (b->names);
  ds->paths = ptr_array_to_strv (b->paths);
  ds->labels = g_new0 (float, MAX (1, (gsize) n * ds->n_classes));
  if (n > 0)
    memcpy (ds->labels, b->labels->data, sizeof (float) * n * ds->n_classes);

  /* Group boxes by image, keeping the file's order within an image. */
  ds->box_start = g_new0 (int, MAX (1, n));
  ds->box_count = g_new0 (int, MAX (1, n));
  ds->boxes = g_new0 (McamBox, MAX (1, n_boxes));
  ds->n_boxes = n_boxes;
  for (int k = 0; k < n_boxes; k++)
    ds->box_count[g_array_index (b->box_image, int, k)]++;
  for (int i = 1; i < n; i++)
    ds->box_start[i] = ds->box_start[i - 1] + ds->box_count[i - 1];
  {
    g_autofree int *fill = g_new0 (int, MAX (1, n));
    for (int k = 0; k < n_boxes; k++)
      {
        int i = g_array_index (b->box_image, int, k);
        ds->boxes[ds->box_start[i] + fill[i]++] = g_array_index (b->boxes, McamBox, k);
      }
  }
}

/* Text from a CSV (a name, a field, a line) as a message shows it: cut to
 * MCAM_FILE_NAME_SHOWN_MAX bytes, so a 10 MB name makes no 20 MB message. */
static char *
shown (const char *text)
{
  return mcam_file_display_name (text);
}

/* Add (or find) an image named on line `line` of csv; checks the name is
 * not empty and the file exists. Returns its index or -1. */
static int
builder_add_image (Builder *b, McamDataset *ds, const char *name, gboolean *added,
                   const char *csv, int line, GError **error)
{
  gpointer found;
  g_autofree char *path = NULL;
  const char *problem;
  int i;

  *added = FALSE;
  if (*name == '\0')
    {
      g_autofree char *c = shown (csv);

      g_set_error (error, MCAM_ERROR, MCAM_ERROR_FORMAT, "%s:%d: empty file name",
                   c, line);
      return -1;
    }
  found = g_hash_table_lookup (b->index, name);
  if (found != NULL)
    return GPOINTER_TO_INT (found) - 1;

  path = g_path_is_absolute (name) ? g_strdup (name)
                                   : g_build_filename (b->images_dir, name, NULL);
  /* stat only: a FIFO is named as one without being opened (and never
   * blocks), a symbolic link loop as a loop, not as "not found". */
  problem = mcam_file_check_regular (path);
  if (problem != NULL)
    {
      g_autofree char *c = shown (csv), *n = shown (name), *p = shown (path);

      if (g_str_equal (problem, mcam_file_errno_problem (ENOENT)))
        g_set_error (error, MCAM_ERROR, MCAM_ERROR_IO,
                     "%s:%d: image '%s' not found (looked for %s)", c, line, n, p);
      else
        g_set_error (error, MCAM_ERROR, MCAM_ERROR_IO,
                     "%s:%d: image '%s' cannot be read: %s (looked for %s)", c, line, n,
                     problem, p);
      return -1;
    }
  i = (int) b->names->len;
  g_ptr_array_add (b->names, g_strdup (name));
  g_ptr_array_add (b->paths, g_steal_pointer (&path));
  g_hash_table_insert (b->index, g_ptr_array_index (b->names, i), GINT_TO_POINTER (i + 1));
  g_array_set_size (b->labels, (guint) (i + 1) * ds->n_classes);
  *added = TRUE;
  return i;
}

/* ---- CSV ---- */

/* Split one line into fields: commas separate, double quotes may wrap a
 * field ("" inside is one quote). Fields are trimmed of spaces. */
static GPtrArray *
csv_split (const char *line, const char *csv, int lineno, GError **error)
{
  GPtrArray *fields = g_ptr_array_new_with_free_func (g_free);
  GString *cur = g_string_new (NULL);
  const char *p = line;

  for (;;)
    {
      while (*p == ' ' || *p == '\t')
        p++;
      g_string_truncate (cur, 0);
      if (*p == '"')
        {
          p++;
          for (;;)
            {
              if (*p == '\0')
                {
                  g_set_error (error, MCAM_ERROR, MCAM_ERROR_FORMAT,
                               "%s:%d: unterminated quoted field", csv, lineno);
                  g_string_free (cur, TRUE);
                  g_ptr_array_unref (fields);
                  return NULL;
                }
              if (*p == '"' && p[1] == '"')
                {
                  g_string_append_c (cur, '"');
                  p += 2;
                }
              else if (*p == '"')
                {
                  p++;
                  break;
                }
              else
                g_string_append_c (cur, *p++);
            }
          while (*p == ' ' || *p == '\t')
            p++;
          if (*p != ',' && *p != '\0')
            {
              g_set_error (error, MCAM_ERROR, MCAM_ERROR_FORMAT,
                           "%s:%d: text after a quoted field", csv, lineno);
              g_string_free (cur, TRUE);
              g_ptr_array_unref (fields);
              return NULL;
            }
        }
      else
        {
          while (*p != ',' && *p != '\0')
            g_string_append_c (cur, *p++);
          while (cur->len > 0 && (cur->str[cur->len - 1] == ' ' || cur->str[cur->len - 1] == '\t'))
            g_string_truncate (cur, cur->len - 1);
        }
      g_ptr_array_add (fields, g_strdup (cur->str));
      if (*p == ',')
        p++;
      else
        break;
    }
  g_string_free (cur, TRUE);
  return fields;
}

/* Read a CSV into lines (CRLF and BOM handled). */
static char **
csv_read_lines (const char *csv, GError **error)
{
  g_autofree char *contents = NULL;
  g_autoptr(GBytes) bytes = NULL;
  gsize len = 0;
  char *text;

  /* Opened without blocking and checked before reading: a FIFO, a device
   * or a folder is refused at once, naming what it is. */
  bytes = mcam_file_read (csv, MCAM_CSV_MAX_BYTES, "CSV file", error);
  if (bytes == NULL)
    return NULL;
  len = g_bytes_get_size (bytes);
  contents = g_malloc (len + 1);
  memcpy (contents, g_bytes_get_data (bytes, NULL), len);
  contents[len] = '\0';
  if (memchr (contents, '\0', len) != NULL || !g_utf8_validate (contents, len, NULL))
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_FORMAT,
                   "%s: not a text CSV file (binary data or invalid UTF-8)", csv);
      return NULL;
    }
  text = contents;
  if (len >= 3 && memcmp (text, "\xEF\xBB\xBF", 3) == 0)
    text += 3;
  {
    char **lines = g_strsplit (text, "\n", -1);
    for (char **l = lines; *l; l++)
      {
        gsize n = strlen (*l);
        if (n > 0 && (*l)[n - 1] == '\r')
          (*l)[n - 1] = '\0';
      }
    return lines;
  }
}

static gboolean
line_is_blank (const char *l)
{
  for (; *l; l++)
    if (!g_ascii_isspace (*l))
      return FALSE;
  return TRUE;
}

/* Check the header; returns the index of the first data line, or -1. */
static int
csv_check_header (char **lines, const char *const *expected, const char *csv,
                  GError **error)
{
  g_autoptr(GPtrArray) f = NULL;
  g_autofree char *want = g_strjoinv (",", (char **) expected);
  int i = 0;
  guint n_expected = g_strv_length ((char **) expected);

  while (lines[i] && line_is_blank (lines[i]))
    i++;
  if (lines[i] == NULL)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_FORMAT,
                   "%s: empty file (expected the header '%s')", csv, want);
      return -1;
    }
  f = csv_split (lines[i], csv, i + 1, error);
  if (f == NULL)
    return -1;
  if (f->len != n_expected)
    goto bad;
  for (guint k = 0; k < f->len; k++)
    if (g_ascii_strcasecmp (g_ptr_array_index (f, k), expected[k]) != 0)
      goto bad;
  return i + 1;

bad:
  {
    g_autofree char *found = shown (lines[i]);

    g_set_error (error, MCAM_ERROR, MCAM_ERROR_FORMAT,
                 "%s:%d: expected the header '%s', found '%s'", csv, i + 1, want, found);
  }
  return -1;
}

/* A CSV file read whole, with its header checked: its lines, and in *first
 * the index of the first data line; NULL on error. */
static char **
csv_read_table (const char *csv, const char *const *header, int *first, GError **error)
{
  g_auto(GStrv) lines = csv_read_lines (csv, error);

  if (lines == NULL)
    return NULL;
  *first = csv_check_header (lines, header, csv, error);
  if (*first < 0)
    return NULL;
  return g_steal_pointer (&lines);
}

/* The fields of data line `lineno`, as many as the header has; NULL on
 * error. */
static GPtrArray *
csv_row (const char *line, const char *const *header, const char *csv, int lineno,
         GError **error)
{
  GPtrArray *f = csv_split (line, csv, lineno, error);
  guint n = g_strv_length ((char **) header);

  if (f != NULL && f->len != n)
    {
      g_autofree char *names = g_strjoinv (",", (char **) header);

      g_set_error (error, MCAM_ERROR, MCAM_ERROR_FORMAT,
                   "%s:%d: expected %u fields (%s), found %u", csv, lineno, n, names,
                   f->len);
      g_ptr_array_unref (f);
      return NULL;
    }
  return f;
}

/* "a, b, c" — the first 20 class names, for error messages. */
static char *
classes_summary (McamDataset *ds)
{
  GString *s = g_string_new (NULL);

  for (int c = 0; c < ds->n_classes && c < 20; c++)
    g_string_append_printf (s, "%s%s", c > 0 ? ", " : "", ds->classes[c]);
  if (ds->n_classes > 20)
    g_string_append_printf (s, ", … (%d in all)", ds->n_classes);
  return g_string_free (s, FALSE);
}

/* The index of a class named on line `lineno` of csv (labels or boxes), or
 * -1 with an error that lists the model's classes. */
static int
find_class (McamDataset *ds, const char *name, const char *csv, int lineno, GError **error)
{
  for (int c = 0; c < ds->n_classes; c++)
    if (strcmp (ds->classes[c], name) == 0)
      return c;
  {
    g_autofree char *known = classes_summary (ds);
    g_autofree char *n = shown (name);

    g_set_error (error, MCAM_ERROR, MCAM_ERROR_FORMAT,
                 "%s:%d: unknown class '%s' (the model's classes: %s)", csv, lineno, n,
                 known);
  }
  return -1;
}

gboolean
mcam_dataset_load_labels (McamDataset *ds, const char *csv, GError **error)
{
  static const char *const header[] = { "file", "labels", NULL };
  g_auto(GStrv) lines = NULL;
  g_autoptr(Builder) b = NULL;
  g_autoptr(GHashTable) seen = NULL;   /* name -> line, this file */
  int first;

  g_return_val_if_fail (ds != NULL && csv != NULL, FALSE);

  lines = csv_read_table (csv, header, &first, error);
  if (lines == NULL)
    return FALSE;

  b = builder_new (ds);
  seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (int i = first; lines[i]; i++)
    {
      int lineno = i + 1;
      g_autoptr(GPtrArray) f = NULL;
      const char *name;
      gboolean added;
      int img;
      float *row;

      if (line_is_blank (lines[i]))
        continue;
      f = csv_row (lines[i], header, csv, lineno, error);
      if (f == NULL)
        return FALSE;
      name = g_ptr_array_index (f, 0);
      if (g_hash_table_contains (seen, name))
        {
          g_autofree char *n = shown (name);

          g_set_error (error, MCAM_ERROR, MCAM_ERROR_FORMAT,
                       "%s:%d: image '%s' is listed twice (first on line %d)", csv, lineno,
                       n, GPOINTER_TO_INT (g_hash_table_lookup (seen, name)));
          return FALSE;
        }
      g_hash_table_insert (seen, g_strdup (name), GINT_TO_POINTER (lineno));

      img = builder_add_image (b, ds, name, &added, csv, lineno, error);
      if (img < 0)
        return FALSE;
      row = &g_array_index (b->labels, float, (gsize) img * ds->n_classes);
      memset (row, 0, sizeof (float) * ds->n_classes);
      {
        g_auto(GStrv) labels = g_strsplit (g_ptr_array_index (f, 1), ";", -1);
        for (char **l = labels; *l; l++)
          {
            int c;
            g_strstrip (*l);
            if (**l == '\0')
              continue;
            c = find_class (ds, *l, csv, lineno, error);
            if (c < 0)
              return FALSE;
            row[c] = 1.0f;
          }
      }
    }

  builder_commit (b, ds);
  ds->has_labels = TRUE;
  return TRUE;
}

static gboolean
parse_coord (const char *s, float *out)
{
  char *end = NULL;
  double v;

  errno = 0;
  v = g_ascii_strtod (s, &end);
  if (end == s || *end != '\0' || errno != 0 || !isfinite (v))
    return FALSE;
  *out = (float) v;
  return TRUE;
}

gboolean
mcam_dataset_load_boxes (McamDataset *ds, const char *csv, GError **error)
{
  static const char *const header[] = { "file", "class", "x0", "y0", "x1", "y1", NULL };
  static const char *const coord_names[] = { "x0", "y0", "x1", "y1" };
  g_auto(GStrv) lines = NULL;
  g_autoptr(Builder) b = NULL;
  int first;

  g_return_val_if_fail (ds != NULL && csv != NULL, FALSE);

  lines = csv_read_table (csv, header, &first, error);
  if (lines == NULL)
    return FALSE;

  b = builder_new (ds);
  for (int i = first; lines[i]; i++)
    {
      int lineno = i + 1;
      g_autoptr(GPtrArray) f = NULL;
      McamBox box;
      float xy[4];
      gboolean added;
      int img;

      if (line_is_blank (lines[i]))
        continue;
      f = csv_row (lines[i], header, csv, lineno, error);
      if (f == NULL)
        return FALSE;
      box.class_index = find_class (ds, g_ptr_array_index (f, 1), csv, lineno, error);
      if (box.class_index < 0)
        return FALSE;
      for (int k = 0; k < 4; k++)
        if (!parse_coord (g_ptr_array_index (f, 2 + k), &xy[k]))
          {
            g_autofree char *v = shown (g_ptr_array_index (f, 2 + k));

            g_set_error (error, MCAM_ERROR, MCAM_ERROR_FORMAT,
                         "%s:%d: %s is not a number ('%s')", csv, lineno, coord_names[k], v);
            return FALSE;
          }
      if (!(xy[0] < xy[2] && xy[1] < xy[3]))
        {
          g_set_error (error, MCAM_ERROR, MCAM_ERROR_FORMAT,
                       "%s:%d: empty box (need x0 < x1 and y0 < y1)", csv, lineno);
          return FALSE;
        }
      box.x0 = xy[0];
      box.y0 = xy[1];
      box.x1 = xy[2];
      box.y1 = xy[3];

      img = builder_add_image (b, ds, g_ptr_array_index (f, 0), &added, csv, lineno, error);
      if (img < 0)
        return FALSE;
      /* An image known only from its boxes is labelled with their classes. */
      if (added || !ds->has_labels)
        g_array_index (b->labels, float, (gsize) img * ds->n_classes + box.class_index) = 1.0f;
      g_array_append_val (b->boxes, box);
      g_array_append_val (b->box_image, img);
    }

  builder_commit (b, ds);
  ds->has_boxes = TRUE;
  return TRUE;
}

McamDataset *
mcam_dataset_load (const char *labels_csv, const char *boxes_csv, const char *images_dir,
                   const char *const *classes, int n_classes, GError **error)
{
  g_autoptr(McamDataset) ds = mcam_dataset_new (images_dir, classes, n_classes);

  if (labels_csv != NULL && !mcam_dataset_load_labels (ds, labels_csv, error))
    return NULL;
  if (boxes_csv != NULL && !mcam_dataset_load_boxes (ds, boxes_csv, error))
    return NULL;
  return g_steal_pointer (&ds);
}

/* ---- average precision ---- */

typedef struct
{
  float score;
  int   index;
} ScoreIndex;

static int
cmp_score_desc (const void *a, const void *b)
{
  const ScoreIndex *x = a, *y = b;

  if (x->score > y->score)
    return -1;
  if (x->score < y->score)
    return 1;
  /* Ties are grouped below; the index only makes the sort total. */
  return (x->index > y->index) - (x->index < y->index);
}

double
mcam_average_precision (const float *scores, const float *labels, int n, int stride)
{
  g_autofree ScoreIndex *s = NULL;
  double n_pos = 0.0, tp = 0.0, fp = 0.0, prev_recall = 0.0, ap = 0.0;

  for (int i = 0; i < n; i++)
    if (labels[(gsize) i * stride] > 0.5f)
      n_pos += 1.0;
  if (n_pos == 0.0)
    return NAN;

  s = g_new (ScoreIndex, n);
  for (int i = 0; i < n; i++)
    {
      float v = scores[(gsize) i * stride];
      /* NaN scores rank last, as the lowest threshold. */
      s[i].score = isnan (v) ? -INFINITY : v;
      s[i].index = i;
    }
  qsort (s, n, sizeof (ScoreIndex), cmp_score_desc);

  for (int i = 0; i < n; i++)
    {
      if (labels[(gsize) s[i].index * stride] > 0.5f)
        tp += 1.0;
      else
        fp += 1.0;
      /* A threshold ends where the next score differs: ties count together. */
      if (i == n - 1 || s[i + 1].score != s[i].score)
        {
          double recall = tp / n_pos;
          double precision = tp / (tp + fp);
          ap += (recall - prev_recall) * precision;
          prev_recall = recall;
        }
    }
  return ap;
}

double
mcam_mean_average_precision (const float *scores, const float *labels, int n,
                             int n_classes, double *ap)
{
  double sum = 0.0;
  int counted = 0;

  for (int c = 0; c < n_classes; c++)
    {
      double a = mcam_average_precision (scores + c, labels + c, n, n_classes);
      if (ap != NULL)
        ap[c] = a;
      if (!isnan (a))
        {
          sum += a;
          counted++;
        }
    }
  return counted > 0 ? sum / counted : NAN;
}
