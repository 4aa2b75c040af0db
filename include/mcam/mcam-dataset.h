/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A labelled image set: the files of a `labels.csv` (and the boxes of a
 * `boxes.csv`), resolved against an images folder, with multi-hot labels in
 * the model's class order (the names of `mcam.classes`).
 *
 * labels.csv:  header `file,labels`; labels separated by `;`; empty allowed.
 *              file,labels
 *              img001.jpg,dog;cat
 *              img002.jpg,
 * boxes.csv:   header `file,class,x0,y0,x1,y1`; one box per line, in the
 *              pixels of the original image (x0 < x1, y0 < y1).
 *
 * A field may be wrapped in double quotes (a file name holding a comma);
 * blank lines and a UTF-8 BOM are ignored; CRLF line ends are accepted.
 * Every error names the CSV file and its line. */

typedef struct
{
  int   class_index;
  float x0, y0, x1, y1;
} McamBox;

typedef struct
{
  int      n;            /* number of images */
  int      n_classes;    /* C */
  char   **classes;      /* NULL-terminated copy of the class names */
  char   **names;        /* file names as written in the CSV, NULL-terminated */
  char   **paths;        /* resolved against the images folder, NULL-terminated */
  float   *labels;       /* [n, C] multi-hot, 0 or 1 */
  /* Boxes of image i: boxes[box_start[i] .. box_start[i] + box_count[i]) */
  McamBox *boxes;
  int      n_boxes;
  int     *box_start;    /* [n] */
  int     *box_count;    /* [n] */
  gboolean has_labels;   /* a labels.csv was read */
  gboolean has_boxes;    /* a boxes.csv was read */
  char    *images_dir;   /* what file names are resolved against */
} McamDataset;

/* An empty set for these classes; files are resolved against images_dir
 * (NULL: the current folder; absolute file names are taken as they are). */
McamDataset *mcam_dataset_new  (const char *images_dir, const char *const *classes,
                                int n_classes);
void         mcam_dataset_free (McamDataset *ds);

/* Read labels.csv into `ds`. An unknown class, a missing image file, a
 * duplicate file or a malformed line fails with MCAM_ERROR_FORMAT /
 * MCAM_ERROR_IO naming the CSV and the line; `ds` is left unchanged then. */
gboolean mcam_dataset_load_labels (McamDataset *ds, const char *csv_path, GError **error);

/* Read boxes.csv into `ds`. Files not yet in the set are added, with the
 * classes of their boxes as labels. Same error rules as for labels. */
gboolean mcam_dataset_load_boxes  (McamDataset *ds, const char *csv_path, GError **error);

/* Convenience: new + load_labels (+ load_boxes when boxes_csv is not NULL). */
McamDataset *mcam_dataset_load (const char *labels_csv, const char *boxes_csv,
                                const char *images_dir, const char *const *classes,
                                int n_classes, GError **error);

/* Index of a file name as written in the CSV, -1 when absent. */
int          mcam_dataset_find (McamDataset *ds, const char *name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (McamDataset, mcam_dataset_free)

/* Average precision of one class as scikit-learn's average_precision_score:
 * sum over distinct score thresholds (descending, ties grouped) of
 * (R_k - R_{k-1}) * P_k. `scores` and `labels` are strided by `stride`
 * floats (use C for column `c` of an [n, C] matrix, starting at &x[c]).
 * Returns NAN when the class has no positive example. */
double mcam_average_precision (const float *scores, const float *labels, int n,
                               int stride);

/* Per-class AP into ap[C] (NAN for classes without a positive), and the
 * mean over the classes that have at least one positive (NAN when none). */
double mcam_mean_average_precision (const float *scores, const float *labels, int n,
                                    int n_classes, double *ap /* nullable */);

G_END_DECLS
