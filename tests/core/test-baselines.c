/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The baseline CAM methods (DESIGN 5) on cases with known answers: linear
 * heads, closed forms, hand-computed XGrad-CAM, the eigen-solver, Ablation-
 * and Score-CAM on toys. Against PyTorch: test-baselines-torch.c; the fast
 * paths: test-baselines-fast.c. */

#include "mcam-test-util.h"

#include <string.h>

#include "mcam/mcam.h"
/* private core headers, by path: the tests link the static core */
#include "mcam-cam-methods.h"
#include "mcam-grad.h"
#include "mcam-baselines.h"
#include "baselines-test-util.h"

/* For a GAP + linear head, dy_c/df = W_c / hw everywhere: CAM, Grad-CAM and
 * HiResCAM are the same map up to the factor 1/hw. */
static void
test_linear_head_agree (void)
{
  g_autoptr(GRand) rng = g_rand_new_with_seed (7);
  int c = 9, h = 5, w = 7, hw = h * w, C = 3;
  g_autofree float *f = g_new (float, c * hw);
  g_autofree float *W = g_new (float, C * c);
  g_autofree float *grad = g_new (float, c * hw);
  g_autofree float *wg = g_new (float, c);
  g_autofree float *cam = g_new (float, hw);
  g_autofree float *gradcam = g_new (float, hw);
  g_autofree float *hires = g_new (float, hw);

  fill_random (rng, f, c * hw, 0.0, 2.0);
  /* Mostly positive weights, so that every class's map has positive values. */
  fill_random (rng, W, C * c, -0.5, 1.0);
  for (int cls = 0; cls < C; cls++)
    {
      _mcam_grad_linear_head (W, C, c, hw, cls, grad);
      for (int i = 0; i < c * hw; i++)
        g_assert_cmpfloat_with_epsilon (grad[i], W[cls * c + i / hw] / hw, 1e-7);

      _mcam_weighted_map (f, W + cls * c, c, hw, cam);
      _mcam_gradcam_weights (grad, c, hw, wg);
      _mcam_weighted_map (f, wg, c, hw, gradcam);
      _mcam_hirescam_map (f, grad, c, hw, hires);
      for (int j = 0; j < hw; j++)
        {
          g_assert_cmpfloat_with_epsilon (gradcam[j] * hw, cam[j], 1e-5);
          g_assert_cmpfloat_with_epsilon (hires[j] * hw, cam[j], 1e-5);
        }
      relu (cam, hw);
      relu (gradcam, hw);
      relu (hires, hw);
      g_assert_cmpfloat (scale_free_error (gradcam, cam, hw), <, 1e-5);
      g_assert_cmpfloat (scale_free_error (hires, cam, hw), <, 1e-5);
    }
}

/* Eq. 19 by hand. Channel 0: A = [1, 3] (ΣA = 4), g = [2, −1]:
 * α₀ = 4 / (2·4 + 4·8) = 0.1, ReLU(g₀) = 2; position 1 has ReLU(g) = 0 → w = 0.2.
 * Channel 1: A = [−1, −3] (ΣA = −4), g = [0.5, 0.5]: 2g² + ΣA g³ = 0.5 − 0.5 = 0,
 * so α = 0 and w = 0 (with a 1e-6 in the denominator it would be 2.5e5).
 * Channel 2: g = 0 everywhere → 0. Channel 3: A = [2, 2], g = [1, 1]:
 * α = 1 / (2 + 4) = 1/6 at both → w = 1/3. */
static void
test_gradcampp_closed_form (void)
{
  const float f[] = { 1, 3, -1, -3, 5, 6, 2, 2 };
  const float g[] = { 2, -1, 0.5f, 0.5f, 0, 0, 1, 1 };
  float w[4];

  _mcam_gradcampp_weights (f, g, 4, 2, w);
  g_assert_cmpfloat_with_epsilon (w[0], 0.2, 1e-7);
  g_assert_cmpfloat (w[1], ==, 0.0f);
  g_assert_cmpfloat (w[2], ==, 0.0f);
  g_assert_cmpfloat_with_epsilon (w[3], 1.0 / 3.0, 1e-7);
}

/* XGrad-CAM by hand: A = [1, 3], g = [2, 4] → (1·2 + 3·4) / 4 = 3.5; ΣA = 0 → 0. */
static void
test_xgradcam_hand (void)
{
  const float f[] = { 1, 3, 0, 0 };
  const float g[] = { 2, 4, 1, 1 };
  float w[2];

  _mcam_xgradcam_weights (f, g, 2, 2, w);
  g_assert_cmpfloat_with_epsilon (w[0], 3.5, 1e-6);
  g_assert_cmpfloat (w[1], ==, 0.0f);
}

/* f[k, j] = a_k s_j + b_k is rank 1 once each channel is centred: EigenCAM's
 * map must be (s − mean s) ‖a‖ exactly, with the sign of mean(a) (the
 * map correlates positively with the mean activation). Both solver paths:
 * hw ≤ c (Gram matrix over positions) and hw > c (channel covariance). */
static void
check_rank1 (int c, int hw, double a_sign)
{
  g_autoptr(GRand) rng = g_rand_new_with_seed (11 + c + hw);
  g_autofree float *f = g_new (float, c * hw);
  g_autofree double *a = g_new (double, c);
  g_autofree double *s = g_new (double, hw);
  g_autofree float *map = g_new (float, hw);
  double na = 0.0, ms = 0.0, peak = 0.0;

  for (int k = 0; k < c; k++)
    {
      a[k] = a_sign * g_rand_double_range (rng, 0.2, 1.5);
      na += a[k] * a[k];
    }
  na = sqrt (na);
  for (int j = 0; j < hw; j++)
    {
      s[j] = g_rand_double_range (rng, -1.0, 3.0);
      ms += s[j] / hw;
    }
  for (int k = 0; k < c; k++)
    {
      double bk = g_rand_double_range (rng, -2.0, 2.0);
      for (int j = 0; j < hw; j++)
        f[k * hw + j] = (float) (a[k] * s[j] + bk);
    }
  _mcam_eigen_map (f, c, hw, map);
  for (int j = 0; j < hw; j++)
    peak = MAX (peak, fabs ((s[j] - ms) * na));
  for (int j = 0; j < hw; j++)
    {
      /* Mean activation = mean(a) s + const: positive correlation means
       * the map follows s when mean(a) > 0 and −s when mean(a) < 0. */
      double expected = a_sign * (s[j] - ms) * na;
      g_assert_cmpfloat (fabs (map[j] - expected) / peak, <, 1e-4);
    }
}

static void
test_eigencam_rank1 (void)
{
  check_rank1 (16, 12, 1.0);    /* hw <= c */
  check_rank1 (5, 30, 1.0);     /* hw > c */
  check_rank1 (16, 12, -1.0);   /* negative loadings: the sign still follows the mean */
  check_rank1 (300, 9, 1.0);
}

static void
test_symmetric_eigen (void)
{
  g_autoptr(GRand) rng = g_rand_new_with_seed (3);
  int n = 17;
  g_autofree double *A = g_new (double, n * n);
  g_autofree double *A0 = g_new (double, n * n);
  g_autofree double *U = g_new (double, n * n);
  g_autofree double *lam = g_new (double, n);

  for (int i = 0; i < n; i++)
    for (int j = i; j < n; j++)
      A[i * n + j] = A[j * n + i] = g_rand_double_range (rng, -1, 1);
  memcpy (A0, A, sizeof (double) * n * n);
  _mcam_symmetric_eigen (A, n, lam, U);
  /* A0 U = U Λ and Uᵀ U = I. */
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++)
      {
        double au = 0.0, utu = 0.0;
        for (int k = 0; k < n; k++)
          {
            au += A0[i * n + k] * U[k * n + j];
            utu += U[k * n + i] * U[k * n + j];
          }
        g_assert_cmpfloat (fabs (au - U[i * n + j] * lam[j]), <, 1e-10);
        g_assert_cmpfloat (fabs (utu - (i == j)), <, 1e-10);
      }
}

/* The fast leading-eigenpair solver against the Jacobi reference, on
 * random symmetric matrices, PSD ones, and one whose two largest
 * eigenvalues are 1e-6 apart (relative). */
static void
test_leading_eigenvector (void)
{
  g_autoptr(GRand) rng = g_rand_new_with_seed (19);
  for (int trial = 0; trial < 6; trial++)
    {
      int n = trial < 3 ? 7 + 13 * trial : 49;
      g_autofree double *B = g_new (double, n * n);
      g_autofree double *A = g_new (double, n * n);
      g_autofree double *A0 = g_new (double, n * n);
      g_autofree double *U = g_new (double, n * n);
      g_autofree double *lam = g_new (double, n);
      g_autofree double *u = g_new (double, n);
      double top, best = -INFINITY, err = 0.0, dot = 0.0;
      int ib = 0;

      for (int i = 0; i < n * n; i++)
        B[i] = g_rand_double_range (rng, -1, 1);
      for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
          {
            double s = 0.0;
            if (trial % 2 == 0)     /* PSD: B Bᵀ */
              for (int k = 0; k < n; k++)
                s += B[i * n + k] * B[j * n + k];
            else                    /* indefinite: B + Bᵀ */
              s = B[i * n + j] + B[j * n + i];
            A[i * n + j] = s;
          }
      if (trial == 5)
        {
          /* A = Q diag(10, 10(1 − 1e-6), 1, 0.5, ...) Qᵀ via Jacobi's own Q. */
          memcpy (A0, A, sizeof (double) * n * n);
          _mcam_symmetric_eigen (A0, n, lam, U);
          for (int i = 0; i < n; i++)
            lam[i] = i == 0 ? 10.0 : i == 1 ? 10.0 * (1 - 1e-6) : 1.0 / i;
          for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
              {
                double s = 0.0;
                for (int k = 0; k < n; k++)
                  s += U[i * n + k] * lam[k] * U[j * n + k];
                A[i * n + j] = s;
              }
        }
      memcpy (A0, A, sizeof (double) * n * n);
      top = _mcam_leading_eigenvector (A, n, u);
      _mcam_symmetric_eigen (A0, n, lam, U);
      for (int i = 0; i < n; i++)
        if (lam[i] > best)
          {
            best = lam[i];
            ib = i;
          }
      g_assert_cmpfloat (fabs (top - best), <, 1e-9 * fabs (best));
      for (int i = 0; i < n; i++)
        dot += u[i] * U[i * n + ib];
      for (int i = 0; i < n; i++)
        err = MAX (err, fabs (u[i] * (dot < 0 ? -1 : 1) - U[i * n + ib]));
      g_assert_cmpfloat (err, <, 1e-6);
    }
}

/* A toy GAP + linear head for Ablation-CAM. */
typedef struct
{
  const float *W, *b;
  int C, c, hw;
} ToyHead;

static gboolean
toy_head (gpointer user_data, const float *features, int batch, float *logits, GError **error)
{
  ToyHead *t = user_data;
  for (int n = 0; n < batch; n++)
    for (int o = 0; o < t->C; o++)
      {
        double s = t->b[o];
        for (int k = 0; k < t->c; k++)
          {
            double q = 0.0;
            for (int j = 0; j < t->hw; j++)
              q += features[(gsize) n * t->c * t->hw + k * t->hw + j];
            s += t->W[o * t->c + k] * q / t->hw;
          }
        logits[n * t->C + o] = (float) s;
      }
  return TRUE;
}

/* On a linear head the drop from zeroing channel k is W_ck · mean(f_k). */
static void
test_ablation_linear (void)
{
  g_autoptr(GRand) rng = g_rand_new_with_seed (5);
  int c = 40, hw = 12, C = 3;   /* c > the ablation batch: several batches */
  g_autofree float *f = g_new (float, c * hw);
  g_autofree float *W = g_new (float, C * c);
  g_autofree float *b = g_new (float, C);
  g_autofree float *w = g_new (float, c);
  g_autofree int *top = NULL;
  g_autoptr(GError) error = NULL;
  ToyHead t = { W, b, C, c, hw };
  int n_top = 0;

  fill_random (rng, f, c * hw, 0.0, 2.0);
  fill_random (rng, W, C * c, -1.0, 1.0);
  fill_random (rng, b, C, -1.0, 1.0);
  for (int cls = 0; cls < C; cls++)
    {
      g_assert_true (_mcam_ablation_weights (toy_head, &t, NULL, f, c, hw, C, cls, NULL, c, w,
                                             NULL, &error));
      g_assert_no_error (error);
      for (int k = 0; k < c; k++)
        {
          double q = 0.0;
          for (int j = 0; j < hw; j++)
            q += f[k * hw + j] / hw;
          g_assert_cmpfloat_with_epsilon (w[k], W[cls * c + k] * q, 1e-5);
        }
    }

  /* With an identity the other classes come from the cache: same values;
   * a different head (another identity) is not served stale weights. */
  {
    g_autoptr(GBytes) id1 = g_bytes_new ("toy-1", 5);
    g_autoptr(GBytes) id2 = g_bytes_new ("toy-2", 5);
    g_autofree float *w1 = g_new (float, c);
    for (int cls = 0; cls < C; cls++)
      {
        g_assert_true (_mcam_ablation_weights (toy_head, &t, id1, f, c, hw, C, cls, NULL, c,
                                               w1, NULL, &error));
        g_assert_true (_mcam_ablation_weights (toy_head, &t, NULL, f, c, hw, C, cls, NULL, c,
                                               w, NULL, &error));
        g_assert_cmpmem (w1, c * sizeof (float), w, c * sizeof (float));
      }
    for (int i = 0; i < C * c; i++)
      W[i] = -W[i];
    g_assert_true (_mcam_ablation_weights (toy_head, &t, id2, f, c, hw, C, 0, NULL, c,
                                           w1, NULL, &error));
    g_assert_true (_mcam_ablation_weights (toy_head, &t, NULL, f, c, hw, C, 0, NULL, c,
                                           w, NULL, &error));
    g_assert_cmpmem (w1, c * sizeof (float), w, c * sizeof (float));
    for (int i = 0; i < C * c; i++)
      W[i] = -W[i];
  }

  /* top-k: only the k most active channels get a weight. */
  top = _mcam_top_channels (f, c, hw, 5, &n_top);
  g_assert_cmpint (n_top, ==, 5);
  g_assert_true (_mcam_ablation_weights (toy_head, &t, NULL, f, c, hw, C, 1, top, n_top, w,
                                         NULL, &error));
  for (int k = 0, nz = 0; k < c; k++)
    {
      gboolean chosen = FALSE;
      for (int i = 0; i < n_top; i++)
        chosen |= top[i] == k;
      if (!chosen)
        g_assert_cmpfloat (w[k], ==, 0.0f);
      else
        nz++;
      if (k == c - 1)
        g_assert_cmpint (nz, ==, 5);
    }
  /* The chosen channels have the largest means. */
  for (int i = 1; i < n_top; i++)
    {
      double m0 = 0, m1 = 0;
      for (int j = 0; j < hw; j++)
        {
          m0 += f[top[i - 1] * hw + j];
          m1 += f[top[i] * hw + j];
        }
      g_assert_cmpfloat (m0, >=, m1);
    }
}

/* A toy model from the input: class 0 = Σ_j φ_j Σ_ch x[ch, j], class 1 = −class 0. */
typedef struct
{
  const float *phi;
  int hw;
} ToyInput;

static gboolean
toy_input_scores (gpointer user_data, const float *inputs, int batch, float *scores,
                  GCancellable *cancellable, GError **error)
{
  ToyInput *t = user_data;
  for (int b = 0; b < batch; b++)
    {
      double s = 0.0;
      for (int ch = 0; ch < 3; ch++)
        for (int j = 0; j < t->hw; j++)
          s += (double) t->phi[j] * inputs[(gsize) b * 3 * t->hw + ch * t->hw + j];
      scores[b * 2] = (float) s;
      scores[b * 2 + 1] = (float) -s;
    }
  return TRUE;
}

/* Score-CAM with features at the input's size (the upsampling is then the
 * identity): w_k = s(x ∘ H_k) − s(0), H_k the min-max normalised channel;
 * a constant channel gets 0. Every class from one round (cached). */
static void
test_scorecam_toy (void)
{
  enum { H = 5, W = 6, HW = H * W, c = 7 };
  g_autoptr(GRand) rng = g_rand_new_with_seed (23);
  float phi[HW], x[3 * HW], f[c * HW], w[c], w1[c];
  ToyInput t = { phi, HW };
  McamScorer s = { H, W, 2, { 0, 0, 0 }, 3, toy_input_scores, &t };
  g_autoptr(GBytes) id = g_bytes_new ("toy", 3);
  g_autoptr(GError) error = NULL;

  fill_random (rng, phi, HW, -1.0, 1.0);
  fill_random (rng, x, 3 * HW, -1.0, 1.0);
  fill_random (rng, f, c * HW, 0.0, 2.0);
  for (int j = 0; j < HW; j++)
    f[3 * HW + j] = 0.5f;     /* a constant channel */

  for (int cls = 0; cls < 2; cls++)
    {
      g_assert_true (_mcam_scorecam_weights (&s, id, x, f, c, H, W, cls, NULL, c, w, NULL, &error));
      g_assert_no_error (error);
      g_assert_true (_mcam_scorecam_weights (&s, NULL, x, f, c, H, W, cls, NULL, c, w1, NULL,
                                             &error));
      g_assert_cmpmem (w, sizeof w, w1, sizeof w1);
      for (int k = 0; k < c; k++)
        {
          float lo = INFINITY, hi = -INFINITY;
          double expected = 0.0;
          for (int j = 0; j < HW; j++)
            {
              lo = MIN (lo, f[k * HW + j]);
              hi = MAX (hi, f[k * HW + j]);
            }
          if (hi > lo)
            for (int ch = 0; ch < 3; ch++)
              for (int j = 0; j < HW; j++)
                expected += phi[j] * x[ch * HW + j] * (f[k * HW + j] - lo) / (hi - lo);
          if (cls == 1)
            expected = -expected;
          g_assert_cmpfloat (fabs (w[k] - expected), <, 1e-4);
        }
    }
}

int
main (int argc, char **argv)
{
  mcam_test_init (&argc, &argv);
  g_test_add_func ("/mcam/baselines/linear-head-agree", test_linear_head_agree);
  g_test_add_func ("/mcam/baselines/gradcampp-closed-form", test_gradcampp_closed_form);
  g_test_add_func ("/mcam/baselines/xgradcam-hand", test_xgradcam_hand);
  g_test_add_func ("/mcam/baselines/eigen-solver", test_symmetric_eigen);
  g_test_add_func ("/mcam/baselines/leading-eigenvector", test_leading_eigenvector);
  g_test_add_func ("/mcam/baselines/eigencam-rank1", test_eigencam_rank1);
  g_test_add_func ("/mcam/baselines/ablation-linear", test_ablation_linear);
  g_test_add_func ("/mcam/baselines/scorecam-toy", test_scorecam_toy);
  return g_test_run ();
}
