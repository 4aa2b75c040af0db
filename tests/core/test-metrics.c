/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Explanation-quality metrics (DESIGN 5, docs/METRICS.md) on hand-made maps
 * and toy models whose values are known in closed form. */

#include "mcam-test-util.h"

#include <string.h>

#include "mcam/mcam.h"
#include "mcam/mcam-metrics.h"

/* A toy model on [3,H,W] inputs with two outputs, known in closed form:
 * class 0: Σ_ch Σ_j φ_j x[ch, j] (linear, so its infidelity can be 0);
 * class 1: the mean of channel 0. */
typedef struct
{
  int H, W;
  const float *phi;   /* [H*W], may be NULL: class 0 is then 0 */
  int calls;
} Toy;

static gboolean
toy_scores (gpointer user_data, const float *inputs, int batch, float *scores,
            GCancellable *cancellable, GError **error)
{
  Toy *t = user_data;
  gsize hw = (gsize) t->H * t->W;
  t->calls++;
  for (int b = 0; b < batch; b++)
    {
      const float *x = inputs + b * 3 * hw;
      double s0 = 0.0, s1 = 0.0;
      for (gsize j = 0; j < hw; j++)
        {
          if (t->phi)
            s0 += (double) t->phi[j] * (x[j] + x[hw + j] + x[2 * hw + j]);
          s1 += x[j];
        }
      scores[b * 2] = (float) s0;
      scores[b * 2 + 1] = (float) (s1 / hw);
    }
  return TRUE;
}

static void
toy_scorer (McamScorer *s, Toy *t, float black)
{
  memset (s, 0, sizeof *s);
  s->height = t->H;
  s->width = t->W;
  s->n_classes = 2;
  s->black[0] = s->black[1] = s->black[2] = black;
  s->max_batch = 3;     /* small: the batching is exercised too */
  s->func = toy_scores;
  s->user_data = t;
}

static void
test_average_drop_hand (void)
{
  /* (0.8 − 0.4)/0.8 = 0.5, 0 (O > Y), 0 (equal) → AD = 100·0.5/3; IC: 1 of 3. */
  const double Y[] = { 0.8, 0.5, 0.2 };
  const double O[] = { 0.4, 0.6, 0.2 };
  g_assert_cmpfloat_with_epsilon (mcam_average_drop (Y, O, 3), 100.0 * 0.5 / 3.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (mcam_increase_in_confidence (Y, O, 3), 100.0 / 3.0, 1e-9);
  g_assert_true (isnan (mcam_average_drop (Y, O, 0)));
}

static void
test_confidence_toy (void)
{
  Toy t = { 4, 4, NULL, 0 };
  McamScorer s;
  float x[3 * 16], m[16];
  double Y, O;
  g_autoptr(GError) error = NULL;

  for (int i = 0; i < 48; i++)
    x[i] = 1.0f;
  for (int j = 0; j < 16; j++)
    m[j] = j < 8 ? 1.0f : 0.5f;

  /* black = 0: O = (8·1 + 8·0.5) / 16 = 0.75 */
  toy_scorer (&s, &t, 0.0f);
  g_assert_true (mcam_metric_confidence (&s, x, m, 1, MCAM_FILL_BLACK, &Y, &O, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat_with_epsilon (Y, 1.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (O, 0.75, 1e-6);
  /* black = −1 (a normalised black pixel): 0.5·1 + 0.5·(−1) = 0 → O = 0.5 */
  toy_scorer (&s, &t, -1.0f);
  g_assert_true (mcam_metric_confidence (&s, x, m, 1, MCAM_FILL_BLACK, &Y, &O, NULL, &error));
  g_assert_cmpfloat_with_epsilon (O, 0.5, 1e-6);
  /* mean and blur of a constant image are the image: nothing changes. */
  g_assert_true (mcam_metric_confidence (&s, x, m, 1, MCAM_FILL_MEAN, &Y, &O, NULL, &error));
  g_assert_cmpfloat_with_epsilon (O, 1.0, 1e-6);
  g_assert_true (mcam_metric_confidence (&s, x, m, 1, MCAM_FILL_BLUR, &Y, &O, NULL, &error));
  g_assert_cmpfloat_with_epsilon (O, 1.0, 1e-6);
}

static void
test_fill_mean (void)
{
  Toy t = { 2, 2, NULL, 0 };
  McamScorer s;
  const float x[12] = { 1, 2, 3, 6, 0, 0, 0, 4, -1, -1, -1, -1 };
  float out[12];

  toy_scorer (&s, &t, 0.0f);
  mcam_metrics_fill_image (&s, x, MCAM_FILL_MEAN, out);
  for (int j = 0; j < 4; j++)
    {
      g_assert_cmpfloat_with_epsilon (out[j], 3.0, 1e-6);
      g_assert_cmpfloat_with_epsilon (out[4 + j], 1.0, 1e-6);
      g_assert_cmpfloat_with_epsilon (out[8 + j], -1.0, 1e-6);
    }
}

static void
test_deletion_insertion_toy (void)
{
  Toy t = { 4, 4, NULL, 0 };
  McamScorer s;
  float x[48], m[16];
  double del, ins;
  g_autoptr(GError) error = NULL;

  /* A constant image, class 1 = mean of channel 0, black = 0: after i of 4
   * steps the score is 1 − i/4 → the trapezoid gives 0.5 exactly. The
   * blurred start of insertion is the image itself → 1. */
  for (int i = 0; i < 48; i++)
    x[i] = 1.0f;
  for (int j = 0; j < 16; j++)
    m[j] = (float) ((j * 7) % 16) / 16.0f;
  toy_scorer (&s, &t, 0.0f);
  g_assert_true (mcam_metric_deletion_insertion (&s, x, m, 1, MCAM_FILL_BLACK, 4, &del, &ins,
                                                 NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat_with_epsilon (del, 0.5, 1e-6);
  g_assert_cmpfloat_with_epsilon (ins, 1.0, 1e-6);

  /* All the evidence in one pixel, and the map points at it: the first step
   * removes it → curve 1, 0, 0, 0, 0 → AUC = 0.5 / 4. */
  memset (x, 0, sizeof x);
  x[5] = 16.0f;
  memset (m, 0, sizeof m);
  m[5] = 1.0f;
  g_assert_true (mcam_metric_deletion_insertion (&s, x, m, 1, MCAM_FILL_BLACK, 4, &del, &ins,
                                                 NULL, &error));
  g_assert_cmpfloat_with_epsilon (del, 0.125, 1e-6);
}

static void
test_infidelity_toy (void)
{
  enum { H = 6, W = 5 };
  float phi[H * W], m[H * W], x[3 * H * W];
  Toy t = { H, W, phi, 0 };
  McamScorer s;
  double infd, infd2, infd_zero;
  double expected = 0.0;
  g_autoptr(GError) error = NULL;
  const double sigma = 0.1;

  for (int j = 0; j < H * W; j++)
    {
      phi[j] = (float) sin (j * 0.7) + 0.2f;
      m[j] = 3.0f * phi[j];            /* faithful up to scale */
      expected += 3.0 * sigma * sigma * phi[j] * phi[j];
    }
  for (int i = 0; i < 3 * H * W; i++)
    x[i] = (float) cos (i);
  toy_scorer (&s, &t, 0.0f);

  /* The model is linear and the map is its attribution: 0 up to rounding. */
  g_assert_true (mcam_metric_infidelity (&s, x, m, 0, 64, sigma, 42, &infd, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (infd, <, 1e-6 * expected);

  /* A zero map: β = 0 and INFD = E[(Σ φ ΣI)²] = 3σ² Σ φ² (Monte Carlo, 2000 draws: ±10%). */
  memset (m, 0, sizeof m);
  g_assert_true (mcam_metric_infidelity (&s, x, m, 0, 2000, sigma, 42, &infd_zero, NULL, &error));
  g_assert_cmpfloat (fabs (infd_zero / expected - 1.0), <, 0.1);

  /* An unfaithful map: strictly worse than the faithful one, and seeded. */
  for (int j = 0; j < H * W; j++)
    m[j] = (float) (j % 3);
  g_assert_true (mcam_metric_infidelity (&s, x, m, 0, 64, sigma, 42, &infd, NULL, &error));
  g_assert_true (mcam_metric_infidelity (&s, x, m, 0, 64, sigma, 42, &infd2, NULL, &error));
  g_assert_cmpfloat (infd, >, 1e-3 * expected);
  g_assert_cmpfloat (infd, ==, infd2);
}

/* Explanations as functions of the input, for Max-Sensitivity. */
static gboolean
explain_constant (gpointer user_data, const float *x, int class_index, float *map,
                  GCancellable *cancellable, GError **error)
{
  int *hw = user_data;
  for (int j = 0; j < *hw; j++)
    map[j] = (float) j / *hw;
  return TRUE;
}

static gboolean
explain_channel0 (gpointer user_data, const float *x, int class_index, float *map,
                  GCancellable *cancellable, GError **error)
{
  int *hw = user_data;
  memcpy (map, x, sizeof (float) * *hw);
  return TRUE;
}

static void
test_max_sensitivity (void)
{
  enum { H = 4, W = 4 };
  int hw = H * W;
  float x[3 * H * W];
  double sens, sens2, norm = 0.0;
  const double r = 0.05;
  g_autoptr(GError) error = NULL;

  for (int i = 0; i < 3 * hw; i++)
    x[i] = 1.0f + 0.1f * (i % 5);
  for (int j = 0; j < hw; j++)
    norm += (double) x[j] * x[j];
  norm = sqrt (norm);

  g_assert_true (mcam_metric_max_sensitivity (explain_constant, &hw, x, H, W, 0, 10, r, 1,
                                              &sens, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (sens, ==, 0.0);

  /* Φ(y) − Φ(x) is the noise of channel 0: ‖U‖ ≤ r √hw, and with 50 draws
   * the largest is well above a third of that. */
  g_assert_true (mcam_metric_max_sensitivity (explain_channel0, &hw, x, H, W, 0, 50, r, 1,
                                              &sens, NULL, &error));
  g_assert_true (mcam_metric_max_sensitivity (explain_channel0, &hw, x, H, W, 0, 50, r, 1,
                                              &sens2, NULL, &error));
  g_assert_cmpfloat (sens, ==, sens2);
  g_assert_cmpfloat (sens, <=, r * sqrt (hw) / norm + 1e-6);
  g_assert_cmpfloat (sens, >, r * sqrt (hw) / norm / 3.0);
}

/* A linear ramp satisfies the 8-neighbour mean with symmetric weights, so
 * the (noise-free) imputation of an interior hole gives the ramp back. */
static void
test_road_impute_ramp (void)
{
  enum { H = 12, W = 14 };
  gsize hw = H * W;
  float x[3 * H * W], out[3 * H * W];
  guint8 removed[H * W];

  for (int ch = 0; ch < 3; ch++)
    for (int y = 0; y < H; y++)
      for (int xx = 0; xx < W; xx++)
        x[ch * hw + y * W + xx] = 0.3f * ch + 0.25f * xx - 0.1f * y;
  memset (removed, 0, sizeof removed);
  for (int y = 3; y < 9; y++)
    for (int xx = 4; xx < 11; xx++)
      removed[y * W + xx] = 1;
  mcam_road_impute (x, H, W, removed, 0.0, 1, out);
  g_assert_cmpfloat (mcam_test_rel_error (out, x, 3 * hw, 1.0), <, 1e-5);

  /* A constant plane with a hole touching the border: still the constant. */
  for (gsize i = 0; i < 3 * hw; i++)
    x[i] = 0.7f;
  memset (removed, 0, sizeof removed);
  for (int j = 0; j < W * 3; j++)
    removed[j] = 1;
  mcam_road_impute (x, H, W, removed, 0.0, 1, out);
  g_assert_cmpfloat (mcam_test_rel_error (out, x, 3 * hw, 1.0), <, 1e-5);
}

/* A large hole (a disc over 60% of a 64×64 textured image): every imputed
 * pixel is, to 1e-3 of the image's range, the weighted mean of its
 * neighbours (edges 1/6, corners 1/12) — the equations that define the
 * noisy linear imputation, checked directly. */
static void
test_road_impute_equations (void)
{
  enum { H = 64, W = 64 };
  gsize hw = H * W;
  static float x[3 * H * W], out[3 * H * W];
  static guint8 removed[H * W];
  const int dx[8] = { -1, 1, 0, 0, -1, 1, -1, 1 }, dy[8] = { 0, 0, -1, 1, -1, -1, 1, 1 };
  const double wt[8] = { 1.0 / 6, 1.0 / 6, 1.0 / 6, 1.0 / 6, 1.0 / 12, 1.0 / 12, 1.0 / 12, 1.0 / 12 };
  double worst = 0.0;

  for (int ch = 0; ch < 3; ch++)
    for (int y = 0; y < H; y++)
      for (int xx = 0; xx < W; xx++)
        x[ch * hw + y * W + xx] = (float) (sin (xx * 0.3 + ch) + cos (y * 0.2) +
                                           0.5 * sin (xx * 1.7) * cos (y * 2.3));
  for (int y = 0; y < H; y++)
    for (int xx = 0; xx < W; xx++)
      removed[y * W + xx] = hypot (xx - 30, y - 34) < 28;
  mcam_road_impute (x, H, W, removed, 0.0, 1, out);
  for (int ch = 0; ch < 3; ch++)
    for (int y = 0; y < H; y++)
      for (int xx = 0; xx < W; xx++)
        {
          double s = 0.0, ws = 0.0;
          if (!removed[y * W + xx])
            {
              g_assert_cmpfloat (out[ch * hw + y * W + xx], ==, x[ch * hw + y * W + xx]);
              continue;
            }
          for (int t = 0; t < 8; t++)
            {
              int nx = xx + dx[t], ny = y + dy[t];
              if (nx < 0 || ny < 0 || nx >= W || ny >= H)
                continue;
              s += wt[t] * out[ch * hw + ny * W + nx];
              ws += wt[t];
            }
          worst = MAX (worst, fabs (out[ch * hw + y * W + xx] - s / ws));
        }
  /* the image spans about 5 units */
  g_assert_cmpfloat (worst, <, 5e-3);
}

static void
test_road_toy (void)
{
  enum { H = 8, W = 8 };
  gsize hw = H * W;
  Toy t = { H, W, NULL, 0 };
  McamScorer s;
  float x[3 * H * W], m[H * W];
  const double fr[] = { 0.0, 0.25, 0.5 };
  double morf[3], lerf[3];
  g_autoptr(GError) error = NULL;

  /* Channel 0 is 1 on the left half, 0 on the right; the map points at the
   * left half. MoRF removes bright pixels first (imputed from darker
   * neighbours): the mean falls; LeRF removes dark ones first: it rises. */
  for (gsize i = 0; i < 3 * hw; i++)
    x[i] = ((i % hw) % W) < W / 2 ? 1.0f : 0.0f;
  for (gsize j = 0; j < hw; j++)
    m[j] = (j % W) < W / 2 ? 1.0f - 0.01f * j : 0.0f + 0.001f * j;
  toy_scorer (&s, &t, 0.0f);
  g_assert_true (mcam_metric_road (&s, x, m, 1, fr, 3, 9, morf, lerf, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (fabs (morf[0] - 0.5), <, 1e-6);
  g_assert_cmpfloat (fabs (lerf[0] - 0.5), <, 1e-6);
  g_assert_cmpfloat (morf[2], <, morf[1]);
  g_assert_cmpfloat (morf[1], <, 0.5);
  g_assert_cmpfloat (lerf[2], >, lerf[1]);
  g_assert_cmpfloat (lerf[1], >, 0.5);
}

static void
test_peak (void)
{
  float map[6] = { 0, 0.5f, 0.9f, 0.9f, 0.1f, 0 };
  float zero[6] = { 0 };
  int x, y;

  g_assert_true (mcam_map_peak (map, 3, 2, &x, &y));
  g_assert_cmpint (x, ==, 2);     /* first of the tie, row-major */
  g_assert_cmpint (y, ==, 0);
  g_assert_false (mcam_map_peak (zero, 3, 2, &x, &y));
}

static void
test_pointing_and_lens (void)
{
  const McamBox boxes[] = {
    { 0, 10, 10, 20, 20 },
    { 1, 40, 10, 50, 20 },
    { 2, 10, 60, 30, 80 },
  };

  /* Pixel centres: (34, 15) is 34.5 − 20 = 14.5 px from box 0 → a hit;
   * (35, 15) is 15.5 px → a miss (and 4.5 px from box 1). */
  g_assert_cmpfloat_with_epsilon (mcam_box_distance (&boxes[0], 15, 15), 0.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (mcam_box_distance (&boxes[0], 34, 15), 14.5, 1e-12);
  g_assert_true (mcam_pointing_hit (boxes, 3, 0, 34, 15, MCAM_POINTING_TOLERANCE));
  g_assert_false (mcam_pointing_hit (boxes, 3, 0, 35, 15, MCAM_POINTING_TOLERANCE));
  g_assert_cmpfloat_with_epsilon (mcam_box_distance (&boxes[0], 23, 23),
                                  sqrt (2 * 3.5 * 3.5), 1e-12);

  g_assert_cmpint (mcam_bias_lens_landing (boxes, 3, 0, 15, 15, 15), ==, 0);
  g_assert_cmpint (mcam_bias_lens_landing (boxes, 3, 0, 35, 15, 15), ==, 1);
  g_assert_cmpint (mcam_bias_lens_landing (boxes, 3, 0, 90, 90, 15), ==, -1);
  /* Own object wins even when another object is nearer. */
  g_assert_cmpint (mcam_bias_lens_landing (boxes, 3, 0, 30, 15, 15), ==, 0);
  /* Pixel (20, 45) has its centre 14.5 px above box 2 (y0 = 60) → lands on
   * class 2; (20, 44) is 15.5 px from it and 24.5 from box 0 → background. */
  g_assert_cmpint (mcam_bias_lens_landing (boxes, 3, 1, 20, 45, 15), ==, 2);
  g_assert_cmpint (mcam_bias_lens_landing (boxes, 3, 1, 20, 44, 15), ==, -1);
}

/* A map of size W×H with its peak at (px, py). */
static float *
peak_map (int W, int H, int px, int py)
{
  float *m = g_new0 (float, W * H);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      m[y * W + x] = 0.5f / (1.0f + abs (x - px) + abs (y - py));
  m[py * W + px] = 1.0f;
  return m;
}

/* The eval's two tiny hand-made cases. Image A (100×100): a sneaker (class
 * 0) at [10,10,30,30] and a boot (class 1) at [60,60,90,90]. Image B: a
 * sneaker at [50,10,70,30], a bag (class 2) at [10,60,40,90].
 * Maps: A/sneaker peaks on the boot (75,75) → lands on class 1, miss;
 * A/boot peaks at (80,70) → own, hit; B/sneaker peaks at (60,40) (10.5 px
 * below its box) → own, hit; B/bag has no positive value → "no map", miss;
 * and a class without a box in the image (A/bag) does not count.
 * Pointing: 2 of 4 = 50%; sneaker 1/2, boot 1/1, bag 0/1. */
static void
test_eval_cases (void)
{
  const McamBox a[] = { { 0, 10, 10, 30, 30 }, { 1, 60, 60, 90, 90 } };
  const McamBox b[] = { { 0, 50, 10, 70, 30 }, { 2, 10, 60, 40, 90 } };
  g_autoptr(McamPointingTally) t = mcam_pointing_tally_new (3);
  g_autofree float *m1 = peak_map (100, 100, 75, 75);
  g_autofree float *m2 = peak_map (100, 100, 80, 70);
  g_autofree float *m3 = peak_map (100, 100, 60, 40);
  g_autofree float *m4 = g_new0 (float, 100 * 100);
  int stride = t->n_classes + 2;

  g_assert_cmpint (mcam_pointing_tally_add (t, a, 2, 0, m1, 100, 100, 15), ==, 1);
  g_assert_cmpint (mcam_pointing_tally_add (t, a, 2, 1, m2, 100, 100, 15), ==, 1);
  g_assert_cmpint (mcam_pointing_tally_add (t, a, 2, 2, m2, 100, 100, 15), ==, -1);
  g_assert_cmpint (mcam_pointing_tally_add (t, b, 2, 0, m3, 100, 100, 15), ==, 0);
  g_assert_cmpint (mcam_pointing_tally_add (t, b, 2, 2, m4, 100, 100, 15), ==,
                   MCAM_LANDING_NO_MAP (t));

  g_assert_cmpint (t->total_pairs, ==, 4);
  g_assert_cmpfloat_with_epsilon (mcam_pointing_tally_rate (t, -1), 0.5, 1e-12);
  g_assert_cmpfloat_with_epsilon (mcam_pointing_tally_rate (t, 0), 0.5, 1e-12);
  g_assert_cmpfloat_with_epsilon (mcam_pointing_tally_rate (t, 1), 1.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (mcam_pointing_tally_rate (t, 2), 0.0, 1e-12);
  g_assert_cmpint (t->landing[0 * stride + 0], ==, 1);   /* sneaker on the sneaker */
  g_assert_cmpint (t->landing[0 * stride + 1], ==, 1);   /* sneaker on the boot */
  g_assert_cmpint (t->landing[1 * stride + 1], ==, 1);
  g_assert_cmpint (t->landing[2 * stride + MCAM_LANDING_NO_MAP (t)], ==, 1);

  /* Average Drop on the same two cases with the toy model (class 1 = mean of
   * channel 0, black = 0) on 10×10 inputs: image A all ones, its map 1 on the
   * top half and 0 below → Y = 1, O = 0.5; image B channel 0 = 2 on the top
   * half and 0 below, map 1 everywhere → O = Y = 1. AD = (50 + 0)/2 = 25%,
   * IC = 0% (O never above Y). */
  {
    Toy toy = { 10, 10, NULL, 0 };
    McamScorer s;
    float xa[300], xb[300], ma[100], mb[100];
    double Y[2], O[2];
    g_autoptr(GError) error = NULL;

    for (int i = 0; i < 300; i++)
      {
        xa[i] = 1.0f;
        xb[i] = (i % 100) < 50 ? 2.0f : 0.0f;
      }
    for (int j = 0; j < 100; j++)
      {
        ma[j] = j < 50 ? 1.0f : 0.0f;
        mb[j] = 1.0f;
      }
    toy_scorer (&s, &toy, 0.0f);
    g_assert_true (mcam_metric_confidence (&s, xa, ma, 1, MCAM_FILL_BLACK, &Y[0], &O[0],
                                           NULL, &error));
    g_assert_true (mcam_metric_confidence (&s, xb, mb, 1, MCAM_FILL_BLACK, &Y[1], &O[1],
                                           NULL, &error));
    g_assert_no_error (error);
    g_assert_cmpfloat_with_epsilon (mcam_average_drop (Y, O, 2), 25.0, 1e-4);
    g_assert_cmpfloat_with_epsilon (mcam_increase_in_confidence (Y, O, 2), 0.0, 1e-9);
  }
}

static void
test_fill_names (void)
{
  McamFill f;
  g_assert_true (mcam_fill_from_name ("blur", &f));
  g_assert_cmpint (f, ==, MCAM_FILL_BLUR);
  g_assert_cmpstr (mcam_fill_get_name (MCAM_FILL_MEAN), ==, "mean");
  g_assert_false (mcam_fill_from_name ("grey", &f));
}

int
main (int argc, char **argv)
{
  mcam_test_init (&argc, &argv);
  g_test_add_func ("/mcam/metrics/average-drop-hand", test_average_drop_hand);
  g_test_add_func ("/mcam/metrics/confidence-toy", test_confidence_toy);
  g_test_add_func ("/mcam/metrics/fill-mean", test_fill_mean);
  g_test_add_func ("/mcam/metrics/fill-names", test_fill_names);
  g_test_add_func ("/mcam/metrics/deletion-insertion-toy", test_deletion_insertion_toy);
  g_test_add_func ("/mcam/metrics/infidelity-toy", test_infidelity_toy);
  g_test_add_func ("/mcam/metrics/max-sensitivity", test_max_sensitivity);
  g_test_add_func ("/mcam/metrics/road-impute-ramp", test_road_impute_ramp);
  g_test_add_func ("/mcam/metrics/road-impute-equations", test_road_impute_equations);
  g_test_add_func ("/mcam/metrics/road-toy", test_road_toy);
  g_test_add_func ("/mcam/metrics/peak", test_peak);
  g_test_add_func ("/mcam/metrics/pointing-and-lens", test_pointing_and_lens);
  g_test_add_func ("/mcam/metrics/eval-cases", test_eval_cases);
  return g_test_run ();
}
