/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The baseline CAM methods (DESIGN 5) on cases with known answers, and
 * against PyTorch autograd (tools/make_baseline_fixtures.py, float64). */

#include "mcam-test-util.h"

#include <string.h>

#include "mcam/mcam.h"
/* private core headers, by path: the tests link the static core */
#include "../../src/core/mcam-cam-methods.h"
#include "../../src/core/mcam-grad.h"
#include "../../src/core/mcam-baselines.h"

/* Float32 C against a float64 reference, normalised by the reference's scale. */
#define REF_TOL 1e-3

static void
fill_random (GRand *rng, float *v, gsize n, double lo, double hi)
{
  for (gsize i = 0; i < n; i++)
    v[i] = (float) g_rand_double_range (rng, lo, hi);
}

static void
relu (float *v, gsize n)
{
  for (gsize i = 0; i < n; i++)
    v[i] = MAX (v[i], 0.0f);
}

/* Maps equal up to a positive scale: compare after dividing by the max. */
static double
scale_free_error (const float *a, const float *b, gsize n)
{
  float ma = 0.0f, mb = 0.0f;
  double err = 0.0;
  for (gsize i = 0; i < n; i++)
    {
      ma = MAX (ma, a[i]);
      mb = MAX (mb, b[i]);
    }
  g_assert_cmpfloat (ma, >, 0.0f);
  g_assert_cmpfloat (mb, >, 0.0f);
  for (gsize i = 0; i < n; i++)
    err = MAX (err, fabs (a[i] / ma - b[i] / mb));
  return err;
}

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

/* ---- against PyTorch ---- */

typedef struct
{
  McamSafetensors *st;
  int c, h, w, C, N;
} Ref;

static float *
ref_read (Ref *r, const char *name, gsize expect_n)
{
  g_autoptr(GError) error = NULL;
  McamTensor *t = mcam_safetensors_read (r->st, name, 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (t);
  g_assert_cmpuint (t->n, ==, expect_n);
  float *data = g_memdup2 (t->data, sizeof (float) * t->n);
  mcam_tensor_free (t);
  return data;
}

static McamMemory *
ref_memory (Ref *r)
{
  McamMemory *mem = mcam_memory_new (r->N, r->c, r->h, r->w, r->C,
                                     g_ascii_strtod (mcam_safetensors_get_metadata (r->st, "mcam.memory.scale"), NULL));
  g_autofree float *K = ref_read (r, "K", r->N * r->c);
  g_autofree float *V = ref_read (r, "V", r->N * r->c);
  g_autofree float *fc_w = ref_read (r, "fc_w", r->C * 2 * r->c);
  g_autofree float *fc_b = ref_read (r, "fc_b", r->C);
  memcpy (mem->K, K, sizeof (float) * r->N * r->c);
  memcpy (mem->V, V, sizeof (float) * r->N * r->c);
  memcpy (mem->fc_w, fc_w, sizeof (float) * r->C * 2 * r->c);
  memcpy (mem->fc_b, fc_b, sizeof (float) * r->C);
  return mem;
}

static Ref *
ref_open (void)
{
  g_autofree char *path = mcam_test_fixture ("baselines-reference.safetensors");
  g_autoptr(GError) error = NULL;
  Ref *r = g_new0 (Ref, 1);
  int ndim;
  gint64 shape[8];

  r->st = mcam_safetensors_open (path, &error);
  g_assert_no_error (error);
  g_assert_true (mcam_safetensors_get_shape (r->st, "f", &ndim, shape));
  r->c = shape[0];
  r->h = shape[1];
  r->w = shape[2];
  g_assert_true (mcam_safetensors_get_shape (r->st, "W", &ndim, shape));
  r->C = shape[0];
  g_assert_true (mcam_safetensors_get_shape (r->st, "K", &ndim, shape));
  r->N = shape[0];
  return r;
}

static void
ref_close (Ref *r)
{
  mcam_safetensors_free (r->st);
  g_free (r);
}

static void
compare_ref (Ref *r, const char *name, const float *got, gsize n)
{
  g_autofree float *want = ref_read (r, name, n);
  double err = mcam_test_rel_error (got, want, n, 1e-6);
  if (err >= REF_TOL)
    g_test_message ("%s: relative error %g", name, err);
  g_assert_cmpfloat (err, <, REF_TOL);
}

/* The gradients of both heads, and each gradient method's map, for every class. */
static void
test_pytorch_reference (void)
{
  Ref *r = ref_open ();
  int c = r->c, hw = r->h * r->w, C = r->C;
  g_autofree float *f = ref_read (r, "f", c * hw);
  g_autofree float *W = ref_read (r, "W", C * c);
  g_autoptr(McamMemory) mem = ref_memory (r);
  g_autofree float *grad = g_new (float, c * hw);
  g_autofree float *gf = g_new (float, c * hw);
  g_autofree float *w = g_new (float, c);
  g_autofree float *map = g_new (float, hw);

  _mcam_eigen_map (f, c, hw, map);
  relu (map, hw);
  compare_ref (r, "eigencam", map, hw);
  {
    g_autofree float *f2 = ref_read (r, "f2", 96 * 49);
    float map2[49];
    _mcam_eigen_map (f2, 96, 49, map2);
    relu (map2, 49);
    compare_ref (r, "eigencam2", map2, 49);
  }

  for (int head = 0; head < 2; head++)
    for (int k = 0; k < C; k++)
      {
        const char *hn = head == 0 ? "target" : "memory";
        g_autofree char *name = NULL;

#define REF_NAME(what) (g_free (name), name = g_strdup_printf ("%s.%d.%s", hn, k, what))
        if (head == 0)
          _mcam_grad_linear_head (W, C, c, hw, k, grad);
        else
          _mcam_grad_memory_head (mem, f, k, grad);
        compare_ref (r, REF_NAME ("grad"), grad, c * hw);

        _mcam_gradcam_weights (grad, c, hw, w);
        compare_ref (r, REF_NAME ("gradcam.weights"), w, c);
        _mcam_weighted_map (f, w, c, hw, map);
        relu (map, hw);
        compare_ref (r, REF_NAME ("gradcam"), map, hw);

        _mcam_gradcampp_weights (f, grad, c, hw, w);
        compare_ref (r, REF_NAME ("gradcampp.weights"), w, c);
        _mcam_weighted_map (f, w, c, hw, map);
        relu (map, hw);
        compare_ref (r, REF_NAME ("gradcampp"), map, hw);

        _mcam_xgradcam_weights (f, grad, c, hw, w);
        compare_ref (r, REF_NAME ("xgradcam.weights"), w, c);
        _mcam_weighted_map (f, w, c, hw, map);
        relu (map, hw);
        compare_ref (r, REF_NAME ("xgradcam"), map, hw);

        _mcam_hirescam_map (f, grad, c, hw, map);
        relu (map, hw);
        compare_ref (r, REF_NAME ("hirescam"), map, hw);

        _mcam_layercam_map (f, grad, c, hw, map);
        relu (map, hw);
        compare_ref (r, REF_NAME ("layercam"), map, hw);

        for (int i = 0; i < c * hw; i++)
          gf[i] = grad[i] * f[i];
        _mcam_eigen_map (gf, c, hw, map);
        relu (map, hw);
        compare_ref (r, REF_NAME ("eigengradcam"), map, hw);
#undef REF_NAME
      }
  ref_close (r);
}

static gboolean
memory_head_func (gpointer user_data, const float *features, int batch, float *logits,
                  GError **error)
{
  McamMemory *mem = user_data;
  for (int b = 0; b < batch; b++)
    _mcam_memory_head_logits (mem, features + (gsize) b * mem->c * mem->h * mem->w,
                              logits + b * mem->n_classes);
  return TRUE;
}

/* Ablation on the memory classifier (not linear: the addressing) against
 * PyTorch's drops. */
static void
test_pytorch_ablation_memory (void)
{
  Ref *r = ref_open ();
  int c = r->c, hw = r->h * r->w, C = r->C;
  g_autofree float *f = ref_read (r, "f", c * hw);
  g_autoptr(McamMemory) mem = ref_memory (r);
  g_autofree float *w = g_new (float, c);
  g_autoptr(GError) error = NULL;

  for (int k = 0; k < C; k++)
    {
      g_autofree char *name = g_strdup_printf ("memory.%d.ablationcam.weights", k);
      g_assert_true (_mcam_ablation_weights (memory_head_func, mem, NULL, f, c, hw, C, k, NULL, c,
                                             w, NULL, &error));
      g_assert_no_error (error);
      compare_ref (r, name, w, c);
    }
  ref_close (r);
}

/* The memory head's backward against central finite differences of its
 * forward (float32 forward: a loose tolerance, independent of PyTorch). */
static void
test_memory_grad_fd (void)
{
  Ref *r = ref_open ();
  int c = r->c, hw = r->h * r->w, C = r->C;
  g_autofree float *f = ref_read (r, "f", c * hw);
  g_autoptr(McamMemory) mem = ref_memory (r);
  g_autofree float *grad = g_new (float, c * hw);
  g_autofree float *zp = g_new (float, C);
  g_autofree float *zm = g_new (float, C);
  double max_err = 0.0, max_g = 0.0;

  for (int cls = 0; cls < C; cls++)
    {
      _mcam_grad_memory_head (mem, f, cls, grad);
      for (int i = 0; i < c * hw; i += 7)
        {
          float keep = f[i], eps = 1e-2f;
          double fd;
          f[i] = keep + eps;
          _mcam_memory_head_logits (mem, f, zp);
          f[i] = keep - eps;
          _mcam_memory_head_logits (mem, f, zm);
          f[i] = keep;
          fd = ((double) zp[cls] - zm[cls]) / (2.0 * eps);
          max_err = MAX (max_err, fabs (fd - grad[i]));
          max_g = MAX (max_g, fabs (grad[i]));
        }
    }
  g_assert_cmpfloat (max_err / max_g, <, 2e-2);
  ref_close (r);
}

/* The dispatcher on a hand-made analysis (the memory classifier path needs
 * no network): ReLU'd maps, weights kept, and a map without a positive value
 * flagged, not NaN. */
static void
test_dispatch_memory (void)
{
  Ref *r = ref_open ();
  int c = r->c, hw = r->h * r->w, C = r->C;
  g_autofree float *f = ref_read (r, "f", c * hw);
  g_autofree float *zero = g_new0 (float, c * hw);
  g_autoptr(McamMemory) mem = ref_memory (r);
  McamAnalysis a = { 0 };
  McamExplainOptions opts;
  g_autoptr(GError) error = NULL;

  a.memory = mem;
  a.c = c;
  a.h = r->h;
  a.w = r->w;
  a.n_classes = C;
  a.n_slots = r->N;
  a.features = f;
  mcam_explain_options_init (&opts);
  opts.use_memory_classifier = TRUE;

  for (int k = 0; k < C; k++)
    {
      g_autoptr(McamExplanation) e = _mcam_explain_baseline (&a, k, MCAM_METHOD_GRADCAM_PP,
                                                             &opts, NULL, &error);
      g_autofree char *name = g_strdup_printf ("memory.%d.gradcampp", k);
      g_autofree char *wname = g_strdup_printf ("memory.%d.gradcampp.weights", k);
      g_assert_no_error (error);
      g_assert_cmpint (e->h, ==, r->h);
      g_assert_cmpint (e->slot, ==, -1);
      compare_ref (r, name, e->map, hw);
      compare_ref (r, wname, e->weights, c);
    }

  /* All-zero features: every method's map is zero, flagged, finite. */
  a.features = zero;
  for (McamMethod m = MCAM_METHOD_GRADCAM; m <= MCAM_METHOD_ABLATIONCAM; m++)
    {
      g_autoptr(McamExplanation) e = _mcam_explain_baseline (&a, 0, m, &opts, NULL, &error);
      g_assert_no_error (error);
      g_assert_false (e->any_positive);
      for (int j = 0; j < hw; j++)
        g_assert_cmpfloat (e->map[j], ==, 0.0f);
    }

  /* Score-CAM without an image: a clear error, no crash. */
  {
    g_autoptr(McamExplanation) e = NULL;
    a.features = f;
    opts.image = NULL;
    a.net = NULL;
    /* use_memory needs the net for Score-CAM's forward passes: we only
     * check the missing-image message here. */
    e = _mcam_explain_baseline (&a, 0, MCAM_METHOD_SCORECAM, &opts, NULL, &error);
    g_assert_null (e);
    g_assert_error (error, MCAM_ERROR, MCAM_ERROR_USAGE);
  }
  ref_close (r);
}

/* Through the real engine: the fixture ResNet (net-bottleneck) on the inputs
 * of its PyTorch fixture, explained by mcam_explain(), against maps computed
 * by PyTorch from its own features — for the target network and, with
 * use_memory_classifier, for the memory classifier of memory-bottleneck. */
static void
test_pytorch_network (void)
{
  Ref *r = ref_open ();
  g_autofree char *net_path = mcam_test_fixture ("net-bottleneck.safetensors");
  g_autofree char *mem_path = mcam_test_fixture ("memory-bottleneck.safetensors");
  g_autofree char *exp_path = mcam_test_fixture ("net-bottleneck-expected.safetensors");
  g_autoptr(GError) error = NULL;
  g_autoptr(McamNet) net = mcam_net_load (net_path, &error);
  g_assert_no_error (error);
  g_autoptr(McamMemory) mem = mcam_memory_load (mem_path, net, &error);
  g_assert_no_error (error);
  g_autoptr(McamSafetensors) exp = mcam_safetensors_open (exp_path, &error);
  g_assert_no_error (error);
  g_autoptr(McamTensor) inputs = mcam_safetensors_read (exp, "input", 0, NULL, &error);
  g_assert_no_error (error);
  const McamNetInfo *info = mcam_net_get_info (net);
  int n_img = inputs->shape[0], hw = info->feat_h * info->feat_w;
  gsize isize = inputs->n / n_img;
  const McamMethod methods[] = { MCAM_METHOD_GRADCAM, MCAM_METHOD_GRADCAM_PP,
                                 MCAM_METHOD_EIGENGRADCAM };
  const char *names[] = { "gradcam", "gradcampp", "eigengradcam" };

  for (int i = 0; i < n_img; i++)
    {
      gint64 shape[4] = { 1, inputs->shape[1], inputs->shape[2], inputs->shape[3] };
      g_autoptr(McamTensor) in = mcam_tensor_new_view (inputs->data + i * isize, 4, shape);
      g_autoptr(McamAnalysis) a = mcam_analysis_new_from_input (net, mem, in, NULL, &error);
      McamExplainOptions opts;
      g_assert_no_error (error);
      mcam_explain_options_init (&opts);

      {
        g_autoptr(McamExplanation) e = mcam_explain (a, 0, MCAM_METHOD_EIGENCAM, &opts, NULL,
                                                     &error);
        g_autofree char *name = g_strdup_printf ("net.%d.eigencam", i);
        g_assert_no_error (error);
        compare_ref (r, name, e->map, hw);
      }
      for (int head = 0; head < 2; head++)
        for (int k = 0; k < info->n_classes; k++)
          for (guint m = 0; m < G_N_ELEMENTS (methods); m++)
            {
              g_autofree char *name = g_strdup_printf ("net.%d.%s.%d.%s", i,
                                                       head ? "memory" : "target", k, names[m]);
              g_autoptr(McamExplanation) e = NULL;
              opts.use_memory_classifier = head == 1;
              e = mcam_explain (a, k, methods[m], &opts, NULL, &error);
              g_assert_no_error (error);
              g_assert_cmpint (e->h * e->w, ==, hw);
              compare_ref (r, name, e->map, hw);
            }
    }
  ref_close (r);
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
  g_test_add_func ("/mcam/baselines/pytorch-reference", test_pytorch_reference);
  g_test_add_func ("/mcam/baselines/pytorch-ablation-memory", test_pytorch_ablation_memory);
  g_test_add_func ("/mcam/baselines/memory-grad-fd", test_memory_grad_fd);
  g_test_add_func ("/mcam/baselines/dispatch-memory", test_dispatch_memory);
  g_test_add_func ("/mcam/baselines/pytorch-network", test_pytorch_network);
  return g_test_run ();
}
