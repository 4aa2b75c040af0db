/* SPDX-License-Identifier: GPL-3.0-or-later */
/* labels.csv / boxes.csv parsing (errors name the line) and average
 * precision against hand-computed values (scikit-learn's definition). */

#include <math.h>
#include <string.h>

#include "mcam/mcam.h"
#include "mcam/mcam-dataset.h"
#include "mcam-test-util.h"

static const char *const classes[] = { "cat", "dog", "hot dog", NULL };

typedef struct
{
  char *dir;
} Fixture;

static void
write_file (const char *dir, const char *name, const char *text)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;
  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
}

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  fx->dir = g_dir_make_tmp ("mcam-dataset-XXXXXX", &error);
  g_assert_no_error (error);
  write_file (fx->dir, "a.png", "x");
  write_file (fx->dir, "b.png", "x");
  write_file (fx->dir, "c,d.png", "x");
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  const char *names[] = { "a.png", "b.png", "c,d.png", "labels.csv", "boxes.csv" };
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *p = g_build_filename (fx->dir, names[i], NULL);
      g_unlink (p);
    }
  g_rmdir (fx->dir);
  g_free (fx->dir);
}

static McamDataset *
load_labels (Fixture *fx, const char *text, GError **error)
{
  g_autofree char *csv = g_build_filename (fx->dir, "labels.csv", NULL);
  write_file (fx->dir, "labels.csv", text);
  return mcam_dataset_load (csv, NULL, fx->dir, classes, 3, error);
}

static void
test_labels (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(McamDataset) ds = NULL;
  g_autofree char *pa = g_build_filename (fx->dir, "a.png", NULL);

  /* BOM, CRLF, spaces, a quoted name with a comma, an empty label list,
   * a blank line, a class name with a space, repeated labels */
  ds = load_labels (fx, "\xEF\xBB\xBF" "file,labels\r\n"
                        "a.png, dog;cat \r\n"
                        "\r\n"
                        "\"c,d.png\",hot dog;dog;hot dog\r\n"
                        "b.png,\r\n", &error);
  g_assert_no_error (error);
  g_assert_nonnull (ds);
  g_assert_true (ds->has_labels);
  g_assert_false (ds->has_boxes);
  g_assert_cmpint (ds->n, ==, 3);
  g_assert_cmpint (ds->n_classes, ==, 3);
  g_assert_cmpstr (ds->names[0], ==, "a.png");
  g_assert_cmpstr (ds->names[1], ==, "c,d.png");
  g_assert_cmpstr (ds->names[2], ==, "b.png");
  g_assert_cmpstr (ds->paths[0], ==, pa);
  g_assert_null (ds->names[3]);
  {
    const float want[9] = { 1, 1, 0, 0, 1, 1, 0, 0, 0 };
    g_assert_cmpmem (ds->labels, sizeof want, want, sizeof want);
  }
  g_assert_cmpint (mcam_dataset_find (ds, "b.png"), ==, 2);
  g_assert_cmpint (mcam_dataset_find (ds, "zz.png"), ==, -1);
  g_assert_cmpint (ds->box_count[0], ==, 0);
}

/* Each bad file fails with an error naming the CSV and the line. */
static void
test_label_errors (Fixture *fx, gconstpointer data)
{
  static const struct
  {
    const char *text;
    const char *want;   /* a substring of the message, after "labels.csv" */
    int         code;
  } cases[] = {
    { "file,labels\na.png,dog\nb.png,horse\n", "labels.csv:3: unknown class 'horse'", MCAM_ERROR_FORMAT },
    { "file,labels\na.png,dog\n\nnope.png,cat\n", "labels.csv:4: image 'nope.png' not found", MCAM_ERROR_IO },
    { "file,labels\na.png,dog\na.png,cat\n", "labels.csv:3: image 'a.png' is listed twice (first on line 2)", MCAM_ERROR_FORMAT },
    { "file,labels\na.png,dog,cat\n", "labels.csv:2: expected 2 fields", MCAM_ERROR_FORMAT },
    { "image,labels\na.png,dog\n", "labels.csv:1: expected the header 'file,labels'", MCAM_ERROR_FORMAT },
    { "", "labels.csv: empty file", MCAM_ERROR_FORMAT },
    { "file,labels\n\"a.png,dog\n", "labels.csv:2: unterminated quoted field", MCAM_ERROR_FORMAT },
    { "file,labels\n,dog\n", "labels.csv:2: empty file name", MCAM_ERROR_FORMAT },
    { "file,labels\na.png,Dog\n", "labels.csv:2: unknown class 'Dog' (the model's classes: cat, dog, hot dog)", MCAM_ERROR_FORMAT },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(McamDataset) ds = load_labels (fx, cases[i].text, &error);
      g_assert_null (ds);
      g_assert_error (error, MCAM_ERROR, cases[i].code);
      g_test_message ("%s", error->message);
      g_assert_nonnull (strstr (error->message, cases[i].want));
    }

  /* a missing CSV names itself */
  {
    g_autoptr(GError) error = NULL;
    g_autofree char *missing = g_build_filename (fx->dir, "none.csv", NULL);
    g_assert_null (mcam_dataset_load (missing, NULL, fx->dir, classes, 3, &error));
    g_assert_error (error, MCAM_ERROR, MCAM_ERROR_IO);
    g_assert_nonnull (strstr (error->message, missing));
    g_assert_nonnull (strstr (error->message, "No such file"));
  }
  /* a folder given as the CSV says so (it was "No such file or directory") */
  {
    g_autoptr(GError) error = NULL;
    g_assert_null (mcam_dataset_load (fx->dir, NULL, fx->dir, classes, 3, &error));
    g_assert_error (error, MCAM_ERROR, MCAM_ERROR_IO);
    g_test_message ("%s", error->message);
    g_assert_nonnull (strstr (error->message, fx->dir));
    g_assert_nonnull (strstr (error->message, "folder"));
  }
}

static void
test_boxes (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(McamDataset) ds = load_labels (fx, "file,labels\na.png,cat\nb.png,\n", &error);
  g_autofree char *csv = g_build_filename (fx->dir, "boxes.csv", NULL);

  g_assert_no_error (error);
  write_file (fx->dir, "boxes.csv",
              "file,class,x0,y0,x1,y1\n"
              "b.png,dog,1,2,30.5,40\n"
              "a.png,cat,0,0,10,10\n"
              "\"c,d.png\",hot dog,5,6,7,8\n"
              "b.png,cat,3,3,4,4\n");
  g_assert_true (mcam_dataset_load_boxes (ds, csv, &error));
  g_assert_no_error (error);
  g_assert_true (ds->has_boxes);
  g_assert_cmpint (ds->n, ==, 3);
  g_assert_cmpint (ds->n_boxes, ==, 4);
  /* a.png */
  g_assert_cmpint (ds->box_count[0], ==, 1);
  g_assert_cmpint (ds->boxes[ds->box_start[0]].class_index, ==, 0);
  /* b.png, in file order; its labels stay those of labels.csv */
  g_assert_cmpint (ds->box_count[1], ==, 2);
  g_assert_cmpint (ds->boxes[ds->box_start[1]].class_index, ==, 1);
  g_assert_cmpfloat (ds->boxes[ds->box_start[1]].x1, ==, 30.5f);
  g_assert_cmpfloat (ds->boxes[ds->box_start[1]].y1, ==, 40.0f);
  g_assert_cmpint (ds->boxes[ds->box_start[1] + 1].class_index, ==, 0);
  g_assert_cmpfloat (ds->labels[3 + 0] + ds->labels[3 + 1] + ds->labels[3 + 2], ==, 0.0f);
  /* c,d.png came only from the boxes: labelled with their classes */
  g_assert_cmpstr (ds->names[2], ==, "c,d.png");
  g_assert_cmpfloat (ds->labels[6 + 2], ==, 1.0f);
  g_assert_cmpfloat (ds->labels[6 + 0], ==, 0.0f);

  /* errors name the line, and leave the set as it was */
  {
    static const struct { const char *text, *want; int code; } bad[] = {
      { "file,class,x0,y0,x1,y1\na.png,cow,0,0,1,1\n", "boxes.csv:2: unknown class 'cow'", MCAM_ERROR_FORMAT },
      { "file,class,x0,y0,x1,y1\na.png,cat,0,0,1,1\na.png,cat,0,zero,1,1\n", "boxes.csv:3: y0 is not a number ('zero')", MCAM_ERROR_FORMAT },
      { "file,class,x0,y0,x1,y1\na.png,cat,5,0,1,1\n", "boxes.csv:2: empty box", MCAM_ERROR_FORMAT },
      { "file,class,x0,y0,x1,y1\nq.png,cat,0,0,1,1\n", "boxes.csv:2: image 'q.png' not found", MCAM_ERROR_IO },
      { "file,class,x0,y0,x1\n", "boxes.csv:1: expected the header", MCAM_ERROR_FORMAT },
    };
    for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_autoptr(GError) local = NULL;
        write_file (fx->dir, "boxes.csv", bad[i].text);
        g_assert_false (mcam_dataset_load_boxes (ds, csv, &local));
        g_assert_error (local, MCAM_ERROR, bad[i].code);
        g_test_message ("%s", local->message);
        g_assert_nonnull (strstr (local->message, bad[i].want));
        g_assert_cmpint (ds->n, ==, 3);
        g_assert_cmpint (ds->n_boxes, ==, 4);
      }
  }
}

/* AP by hand (scikit-learn's average_precision_score):
 * scores 0.9 0.8 0.7 0.6 0.5, labels 1 0 1 0 1:
 *   thresholds: P/R = 1/(1/3), 1/2 (1/3), 2/3 (2/3), 2/4 (2/3), 3/5 (1)
 *   AP = 1/3·1 + 1/3·2/3 + 1/3·3/5 = 0.7555…
 * ties: scores 0.5 0.5 0.2, labels 1 0 1 — the tie is one threshold:
 *   P = 1/2 at R = 1/2, then P = 2/3 at R = 1: AP = 1/2·1/2 + 1/2·2/3 = 0.58333… */
static void
test_average_precision (void)
{
  const float s1[] = { 0.9f, 0.8f, 0.7f, 0.6f, 0.5f }, y1[] = { 1, 0, 1, 0, 1 };
  const float s2[] = { 0.5f, 0.5f, 0.2f }, y2[] = { 1, 0, 1 };
  const float s3[] = { 0.1f, 0.4f, 0.35f, 0.8f }, y3[] = { 0, 0, 1, 1 };
  const float y0[] = { 0, 0, 0 };

  g_assert_cmpfloat_with_epsilon (mcam_average_precision (s1, y1, 5, 1),
                                  1.0 / 3 + 2.0 / 9 + 1.0 / 5, 1e-12);
  g_assert_cmpfloat_with_epsilon (mcam_average_precision (s2, y2, 3, 1), 0.25 + 1.0 / 3,
                                  1e-12);
  /* scikit-learn's own example: 0.8333… */
  g_assert_cmpfloat_with_epsilon (mcam_average_precision (s3, y3, 4, 1), 5.0 / 6, 1e-12);
  g_assert_true (isnan (mcam_average_precision (s2, y0, 3, 1)));

  /* mean over classes with a positive; strided columns of [n, C] */
  {
    /* 4 images, 3 classes: column 0 = s3/y3, column 1 perfect, column 2 no positive */
    const float S[12] = { 0.1f, 0.9f, 0.3f, 0.4f, 0.2f, 0.3f, 0.35f, 0.8f, 0.3f, 0.8f, 0.1f, 0.3f };
    const float Y[12] = { 0, 1, 0, 0, 0, 0, 1, 1, 0, 1, 0, 0 };
    double ap[3];
    double m = mcam_mean_average_precision (S, Y, 4, 3, ap);
    g_assert_cmpfloat_with_epsilon (ap[0], 5.0 / 6, 1e-12);
    g_assert_cmpfloat_with_epsilon (ap[1], 1.0, 1e-12);
    g_assert_true (isnan (ap[2]));
    g_assert_cmpfloat_with_epsilon (m, (5.0 / 6 + 1.0) / 2, 1e-12);
  }
}

int
main (int argc, char **argv)
{
  mcam_test_init (&argc, &argv);
  g_test_add ("/mcam/dataset/labels", Fixture, NULL, fixture_setup, test_labels,
              fixture_teardown);
  g_test_add ("/mcam/dataset/label-errors", Fixture, NULL, fixture_setup, test_label_errors,
              fixture_teardown);
  g_test_add ("/mcam/dataset/boxes", Fixture, NULL, fixture_setup, test_boxes,
              fixture_teardown);
  g_test_add_func ("/mcam/dataset/average-precision", test_average_precision);
  return g_test_run ();
}
