/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <gio/gio.h>
#include "mcam-net.h"
#include "mcam-memory.h"
#include "mcam-dataset.h"

G_BEGIN_DECLS

/* Explanation-quality metrics (DESIGN 5; definitions and sources in
 * docs/METRICS.md). They work on the network's preprocessed input x [3,H,W]
 * and on a map at the input's size, m [H,W] with values in [0,1]. Scores are
 * after sigmoid/softmax. */

/* What a masked-out pixel becomes ("--fill"). */
typedef enum
{
  MCAM_FILL_BLACK,   /* the paper's masking: x · m, black where m = 0 */
  MCAM_FILL_MEAN,    /* the image's mean colour */
  MCAM_FILL_BLUR,    /* the image blurred (Gaussian, σ = 5% of the larger side) */
} McamFill;

const char *mcam_fill_get_name  (McamFill fill);
gboolean    mcam_fill_from_name (const char *name, McamFill *out);

/* A model seen from its input: inputs [batch,3,H,W] -> scores [batch,C]. */
typedef gboolean (*McamScoreFunc) (gpointer user_data, const float *inputs, int batch,
                                   float *scores, GCancellable *cancellable, GError **error);

typedef struct
{
  int           height, width;    /* input size */
  int           n_classes;
  float         black[3];         /* a black pixel after preprocessing, per channel */
  int           max_batch;        /* inputs per call of func */
  McamScoreFunc func;
  gpointer      user_data;
} McamScorer;

/* The target network (memory_classifier = FALSE) or the memory classifier on
 * the network's features. net and memory are borrowed. */
void     mcam_scorer_init_net (McamScorer *s, McamNet *net, McamMemory *memory,
                               gboolean memory_classifier);
/* Any batch size: split into max_batch calls. */
gboolean mcam_scorer_run      (const McamScorer *s, const float *inputs, int batch,
                               float *scores, GCancellable *cancellable, GError **error);

/* The fill image of x (same layout). */
void mcam_metrics_fill_image (const McamScorer *s, const float *x, McamFill fill, float *out);
/* out = m · x + (1 − m) · base, per pixel over the 3 channels. */
void mcam_metrics_blend      (const float *x, const float *base, const float *m, int hw,
                              float *out);

/* Y = score of class on x, O = score on x blended with the map (the paper's
 * "image multiplied by its explanation map"). */
gboolean mcam_metric_confidence (const McamScorer *s, const float *x, const float *m,
                                 int class_index, McamFill fill, double *Y, double *O,
                                 GCancellable *cancellable, GError **error);
/* 100 · mean (max(0, Y − O) / Y) over n pairs (pairs with Y = 0 count 0). */
double   mcam_average_drop            (const double *Y, const double *O, gsize n);
/* 100 · mean (1[O > Y]). */
double   mcam_increase_in_confidence  (const double *Y, const double *O, gsize n);

/* Deletion and insertion (Petsiuk et al. 2018): pixels in order of
 * decreasing map value, n_steps equal steps; deletion replaces them with the
 * fill image, insertion starts from the blurred image and puts them back.
 * AUC = trapezoid of the class score over the removed/inserted fraction. */
gboolean mcam_metric_deletion_insertion (const McamScorer *s, const float *x, const float *m,
                                         int class_index, McamFill deletion_fill,
                                         int n_steps, double *deletion_auc,
                                         double *insertion_auc,
                                         GCancellable *cancellable, GError **error);

/* ROAD (Rong et al. 2022): remove a fraction of the pixels, most relevant
 * first (MoRF) or least relevant first (LeRF), and impute them with the noisy
 * linear imputation; score after each fraction. Outputs n_fractions scores
 * each; callers usually report the means (MoRF: lower is better, LeRF:
 * higher). */
gboolean mcam_metric_road (const McamScorer *s, const float *x, const float *m,
                           int class_index, const double *fractions, int n_fractions,
                           guint64 seed, double *morf, double *lerf,
                           GCancellable *cancellable, GError **error);
/* The imputation alone: every pixel with removed[j] set takes the weighted
 * mean of its 8 neighbours (edges 1/6, corners 1/12) — a sparse linear
 * system solved for all removed pixels together — plus N(0, noise²). */
void mcam_road_impute (const float *x, int height, int width, const guint8 *removed,
                       double noise, guint64 seed, float *out);

/* Infidelity (Yeh et al. 2019) with Gaussian perturbations I ~ N(0, σ²) per
 * input value, the attribution of x_{ch,j} being m_j, and the optimal scale β
 * of the explanation (so that the value does not depend on the map's scale):
 * INFD = min_β E[(β Iᵀm − (s(x) − s(x − I)))²], over n_samples seeded draws. */
gboolean mcam_metric_infidelity (const McamScorer *s, const float *x, const float *m,
                                 int class_index, int n_samples, double sigma,
                                 guint64 seed, double *infidelity,
                                 GCancellable *cancellable, GError **error);

/* An explanation as a function of the input, for Max-Sensitivity: writes the
 * map [H,W] in [0,1] of class for input x [3,H,W]. */
typedef gboolean (*McamExplainFunc) (gpointer user_data, const float *x, int class_index,
                                     float *map, GCancellable *cancellable, GError **error);

/* Max-Sensitivity (Yeh et al. 2019): max over n_samples seeded inputs y drawn
 * uniformly in the ℓ∞ ball of radius r around x of ‖Φ(y) − Φ(x)‖₂ / ‖Φ(x)‖₂
 * (‖Φ(x)‖₂ = 0: the plain difference norm). */
gboolean mcam_metric_max_sensitivity (McamExplainFunc explain, gpointer user_data,
                                      const float *x, int height, int width,
                                      int class_index, int n_samples, double radius,
                                      guint64 seed, double *sensitivity,
                                      GCancellable *cancellable, GError **error);

/* The tolerance of the pointing game, in pixels (Zhang et al. 2018). */
#define MCAM_POINTING_TOLERANCE 15.0

/* Position of the map's maximum (first in row-major order on ties);
 * FALSE when the map has no positive value (no point to speak of). */
gboolean mcam_map_peak (const float *map, int width, int height, int *x, int *y);

/* Distance in pixels from pixel (x, y) to a box (0 inside). */
double   mcam_box_distance (const McamBox *box, int x, int y);

/* Pointing game: is (x, y) within `tolerance` pixels of a box of the class? */
gboolean mcam_pointing_hit (const McamBox *boxes, int n_boxes, int class_index,
                            int x, int y, double tolerance);

/* Bias lens (DESIGN 5): where a class's map peaks. Returns class_index when
 * the peak is on an object of the class itself (a pointing hit), else the
 * class of the nearest other object within tolerance, else -1 (background). */
int      mcam_bias_lens_landing (const McamBox *boxes, int n_boxes, int class_index,
                                 int x, int y, double tolerance);

/* The pointing game and the bias lens over many (image, class) pairs. Only
 * pairs whose image has a box of the class count (the game needs one). */
typedef struct
{
  int  n_classes;
  int  total_pairs;
  int  total_hits;
  int *pairs;     /* [C] pairs per class */
  int *hits;      /* [C] pointing hits per class */
  /* [C, C + 2] landing counts: column j < C, on an object of class j (j = the
   * class itself: its own object); column C, background; column C + 1, a map
   * with no positive value (no peak to speak of; also a pointing miss). */
  int *landing;
} McamPointingTally;

#define MCAM_LANDING_BACKGROUND(t) ((t)->n_classes)
#define MCAM_LANDING_NO_MAP(t)     ((t)->n_classes + 1)

McamPointingTally *mcam_pointing_tally_new  (int n_classes);
void               mcam_pointing_tally_free (McamPointingTally *t);
/* map [height, width] in the image's pixels (boxes are in the same pixels).
 * Returns the landing column, or -1 when the pair does not count. */
int                mcam_pointing_tally_add  (McamPointingTally *t, const McamBox *boxes,
                                             int n_boxes, int class_index, const float *map,
                                             int width, int height, double tolerance);
/* Hit rate in [0,1] of one class, or of all pairs (class_index = -1); NAN without pairs. */
double             mcam_pointing_tally_rate (const McamPointingTally *t, int class_index);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (McamPointingTally, mcam_pointing_tally_free)

G_END_DECLS
