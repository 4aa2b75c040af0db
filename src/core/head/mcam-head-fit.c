/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Fitting the re-fit head (issue 12): class-balanced, L2-regularised logistic
 * regression on pooled features, solved by L-BFGS, λ chosen by K-fold
 * cross-validation. The problem is small (n up to tens of thousands, c up to
 * 2048): full-batch, so the fit is the minimum of a convex function, the same
 * for every run, and not a trajectory of a stochastic optimiser. */

#include "config.h"

#include <math.h>
#include <string.h>

#include "mcam/mcam-blas.h"
#include "mcam/mcam-dataset.h"
#include "mcam/mcam-error.h"
#include "mcam/mcam-json.h"
#include "mcam-head-private.h"
#include "mcam-memory-private.h"

/* Below this many multiply-adds per product the objective runs in double
 * loops (exact enough for finite differences); above, in float GEMMs. */
#define BLAS_THRESHOLD (1 << 25)

static const double default_grid[] = {
  1.0, 3e-1, 1e-1, 3e-2, 1e-2, 3e-3, 1e-3, 3e-4, 1e-4, 3e-5, 1e-5, 3e-6, 1e-6
};

void
mcam_head_fit_options_init (McamHeadFitOptions *opt)
{
  memset (opt, 0, sizeof *opt);
  opt->l2 = -1.0;
  opt->folds = 5;
  opt->seed = 0;
  opt->multilabel = TRUE;
  opt->balanced = TRUE;
  opt->max_iter = 1000;
  opt->tol = 1e-7;
  opt->grid = NULL;
  opt->n_grid = 0;
}

void
mcam_head_pool_features (const float *features, int n, int c, int hw, float *X)
{
  for (int i = 0; i < n; i++)
    _mcam_gap (features + (gsize) i * c * hw, c, hw, X + (gsize) i * c);
}

/* ---- the objective ---- */

McamHeadProblem *
_mcam_head_problem_new (const float *X, const float *Y, int n, int c, int C, const int *rows,
                        int m, gboolean multilabel, gboolean balanced, double l2)
{
  McamHeadProblem *p = g_new0 (McamHeadProblem, 1);

  if (rows == NULL)
    m = n;
  p->m = m;
  p->c = c;
  p->C = C;
  p->multilabel = multilabel;
  p->l2 = l2;
  p->X = g_new (float, (gsize) MAX (m, 1) * c);
  p->Y = g_new (float, (gsize) MAX (m, 1) * C);
  for (int i = 0; i < m; i++)
    {
      int r = rows ? rows[i] : i;
      memcpy (p->X + (gsize) i * c, X + (gsize) r * c, sizeof (float) * c);
      memcpy (p->Y + (gsize) i * C, Y + (gsize) r * C, sizeof (float) * C);
    }

  p->pos_w = g_new (double, C);
  p->neg_w = g_new (double, C);
  for (int k = 0; k < C; k++)
    {
      double pos = 0.0, labelled = 0.0;
      for (int i = 0; i < m; i++)
        {
          const float *y = p->Y + (gsize) i * C;
          double sum = 0.0;
          if (multilabel)
            pos += y[k] > 0.5f;
          else
            {
              for (int j = 0; j < C; j++)
                sum += y[j];
              if (sum > 0.0)
                {
                  pos += y[k] / sum;   /* a class's share of the labelled images */
                  labelled += 1.0;
                }
            }
        }
      if (!balanced)
        p->pos_w[k] = p->neg_w[k] = 1.0;
      else if (multilabel)
        {
          /* Each class's positives and negatives weigh half of the images. */
          p->pos_w[k] = pos > 0 ? m / (2.0 * pos) : 1.0;
          p->neg_w[k] = m - pos > 0 ? m / (2.0 * (m - pos)) : 1.0;
        }
      else
        {
          p->pos_w[k] = pos > 0 ? labelled / (C * pos) : 0.0;
          p->neg_w[k] = 0.0;
        }
    }

  p->use_blas = (double) m * c * C > BLAS_THRESHOLD;
  p->Z = g_new (double, (gsize) MAX (m, 1) * C);
  /* Small next to X; kept even for the double path, so use_blas can be
   * switched (the tests check both paths on one problem). */
  p->Zf = g_new (float, (gsize) MAX (m, 1) * C);
  p->Wf = g_new (float, (gsize) C * c);
  p->Gf = g_new (float, (gsize) C * c);
  return p;
}

void
_mcam_head_problem_free (McamHeadProblem *p)
{
  if (p == NULL)
    return;
  g_free (p->X);
  g_free (p->Y);
  g_free (p->pos_w);
  g_free (p->neg_w);
  g_free (p->Z);
  g_free (p->Zf);
  g_free (p->Wf);
  g_free (p->Gf);
  g_free (p);
}

/* log(1 + e^x) without overflow. */
static inline double
softplus (double x)
{
  return x > 0.0 ? x + log1p (exp (-x)) : log1p (exp (x));
}

static inline double
sigmoid (double x)
{
  return x >= 0.0 ? 1.0 / (1.0 + exp (-x)) : exp (x) / (1.0 + exp (x));
}

/* Z = X Wᵀ + b. */
static void
compute_logits (McamHeadProblem *p, const double *W, const double *b)
{
  int m = p->m, c = p->c, C = p->C;

  if (p->use_blas)
    {
      for (gsize j = 0; j < (gsize) C * c; j++)
        p->Wf[j] = (float) W[j];
      mcam_sgemm (FALSE, TRUE, m, C, c, 1.0f, p->X, c, p->Wf, c, 0.0f, p->Zf, C);
      for (int i = 0; i < m; i++)
        for (int k = 0; k < C; k++)
          p->Z[(gsize) i * C + k] = (double) p->Zf[(gsize) i * C + k] + b[k];
      return;
    }
  for (int i = 0; i < m; i++)
    {
      const float *x = p->X + (gsize) i * c;
      for (int k = 0; k < C; k++)
        {
          const double *w = W + (gsize) k * c;
          double s = b[k];
          for (int j = 0; j < c; j++)
            s += w[j] * x[j];
          p->Z[(gsize) i * C + k] = s;
        }
    }
}

/* The data term; Z becomes ∂(data term)/∂z when want_grad. */
static double
data_term (McamHeadProblem *p, gboolean want_grad)
{
  int m = p->m, C = p->C;
  double loss = 0.0;

  if (m == 0)
    return 0.0;
  if (p->multilabel)
    {
      double scale = 1.0 / ((double) m * C);
      for (int i = 0; i < m; i++)
        for (int k = 0; k < C; k++)
          {
            double *z = &p->Z[(gsize) i * C + k];
            double y = p->Y[(gsize) i * C + k] > 0.5f ? 1.0 : 0.0;
            double a = p->pos_w[k] * y, bn = p->neg_w[k] * (1.0 - y);
            loss += a * softplus (-*z) + bn * softplus (*z);
            if (want_grad)
              {
                double s = sigmoid (*z);
                *z = scale * (a * (s - 1.0) + bn * s);
              }
          }
      return loss * scale;
    }

  for (int i = 0; i < m; i++)
    {
      double *z = p->Z + (gsize) i * C;
      const float *y = p->Y + (gsize) i * C;
      double sum_y = 0.0, zmax = -INFINITY, lse = 0.0, tw = 0.0;
      for (int k = 0; k < C; k++)
        {
          sum_y += y[k];
          zmax = MAX (zmax, z[k]);
        }
      if (!(sum_y > 0.0))
        {
          if (want_grad)
            memset (z, 0, sizeof (double) * C);
          continue;
        }
      for (int k = 0; k < C; k++)
        lse += exp (z[k] - zmax);
      lse = zmax + log (lse);
      for (int k = 0; k < C; k++)
        {
          double t = y[k] / sum_y * p->pos_w[k];
          loss += t * (lse - z[k]);
          tw += t;
        }
      if (want_grad)
        for (int k = 0; k < C; k++)
          z[k] = (tw * exp (z[k] - lse) - y[k] / sum_y * p->pos_w[k]) / m;
    }
  return loss / m;
}

double
_mcam_head_objective (McamHeadProblem *p, const double *theta, double *grad)
{
  int m = p->m, c = p->c, C = p->C;
  const double *W = theta, *b = theta + (gsize) C * c;
  double reg = 0.0, loss;

  compute_logits (p, W, b);
  loss = data_term (p, grad != NULL);
  for (gsize j = 0; j < (gsize) C * c; j++)
    reg += W[j] * W[j];
  loss += 0.5 * p->l2 * reg;
  if (grad == NULL)
    return loss;

  double *gW = grad, *gb = grad + (gsize) C * c;
  memset (gb, 0, sizeof (double) * C);
  for (int i = 0; i < m; i++)
    for (int k = 0; k < C; k++)
      gb[k] += p->Z[(gsize) i * C + k];

  if (p->use_blas)
    {
      /* ∂L/∂W = (∂L/∂Z)ᵀ X: [C, c]. */
      for (gsize j = 0; j < (gsize) m * C; j++)
        p->Zf[j] = (float) p->Z[j];
      mcam_sgemm (TRUE, FALSE, C, c, m, 1.0f, p->Zf, C, p->X, c, 0.0f, p->Gf, c);
      for (gsize j = 0; j < (gsize) C * c; j++)
        gW[j] = (double) p->Gf[j] + p->l2 * W[j];
      return loss;
    }
  for (gsize j = 0; j < (gsize) C * c; j++)
    gW[j] = p->l2 * W[j];
  for (int i = 0; i < m; i++)
    {
      const float *x = p->X + (gsize) i * c;
      for (int k = 0; k < C; k++)
        {
          double d = p->Z[(gsize) i * C + k];
          double *g = gW + (gsize) k * c;
          if (d == 0.0)
            continue;
          for (int j = 0; j < c; j++)
            g[j] += d * x[j];
        }
    }
  return loss;
}

/* ---- L-BFGS ---- */

#define LBFGS_M 10

static double
dot (const double *a, const double *b, gsize n)
{
  double s = 0.0;
  for (gsize i = 0; i < n; i++)
    s += a[i] * b[i];
  return s;
}

static double
max_abs (const double *a, gsize n)
{
  double s = 0.0;
  for (gsize i = 0; i < n; i++)
    s = MAX (s, fabs (a[i]));
  return s;
}

int
_mcam_head_lbfgs (McamHeadProblem *p, double *theta, int max_iter, double tol,
                  gboolean *converged)
{
  gsize n = (gsize) p->C * p->c + p->C;
  g_autofree double *g = g_new (double, n);
  g_autofree double *d = g_new (double, n);
  g_autofree double *x_new = g_new (double, n);
  g_autofree double *g_new_ = g_new (double, n);
  g_autofree double *S = g_new (double, LBFGS_M * n);
  g_autofree double *Yv = g_new (double, LBFGS_M * n);
  double rho[LBFGS_M], alpha[LBFGS_M];
  int n_pairs = 0, head = 0, iter;
  double f = _mcam_head_objective (p, theta, g);

  *converged = FALSE;
  for (iter = 0; iter < max_iter; iter++)
    {
      double gd, step, f_new = f;
      gboolean accepted = FALSE;

      if (max_abs (g, n) < tol)
        {
          *converged = TRUE;
          break;
        }

      /* d = −H g by the two-loop recursion (newest pair first). */
      for (gsize j = 0; j < n; j++)
        d[j] = -g[j];
      for (int t = 0; t < n_pairs; t++)
        {
          int k = (head - 1 - t + LBFGS_M) % LBFGS_M;
          alpha[k] = rho[k] * dot (S + k * n, d, n);
          for (gsize j = 0; j < n; j++)
            d[j] -= alpha[k] * Yv[k * n + j];
        }
      if (n_pairs > 0)
        {
          int k = (head - 1 + LBFGS_M) % LBFGS_M;
          double gamma = dot (S + k * n, Yv + k * n, n) / dot (Yv + k * n, Yv + k * n, n);
          for (gsize j = 0; j < n; j++)
            d[j] *= gamma;
        }
      for (int t = n_pairs - 1; t >= 0; t--)
        {
          int k = (head - 1 - t + LBFGS_M) % LBFGS_M;
          double beta = rho[k] * dot (Yv + k * n, d, n);
          for (gsize j = 0; j < n; j++)
            d[j] += S[k * n + j] * (alpha[k] - beta);
        }
      gd = dot (g, d, n);
      if (!(gd < 0.0))
        {
          /* Not a descent direction (rounding): restart from steepest descent. */
          n_pairs = 0;
          for (gsize j = 0; j < n; j++)
            d[j] = -g[j];
          gd = -dot (g, g, n);
        }

      /* Backtracking on the Armijo condition; the first step of a fresh
       * start is scaled so that it moves θ by at most 1. */
      step = n_pairs == 0 ? MIN (1.0, 1.0 / max_abs (d, n)) : 1.0;
      for (int ls = 0; ls < 40; ls++)
        {
          for (gsize j = 0; j < n; j++)
            x_new[j] = theta[j] + step * d[j];
          f_new = _mcam_head_objective (p, x_new, g_new_);
          if (isfinite (f_new) && f_new <= f + 1e-4 * step * gd)
            {
              accepted = TRUE;
              break;
            }
          step *= 0.5;
        }
      if (!accepted)
        break;   /* no decrease left at this precision */

      /* The new pair s = Δθ, y = Δg (kept only with positive curvature). */
      {
        double *s = S + head * n, *yv = Yv + head * n, sy;
        for (gsize j = 0; j < n; j++)
          {
            s[j] = x_new[j] - theta[j];
            yv[j] = g_new_[j] - g[j];
          }
        sy = dot (s, yv, n);
        if (sy > 1e-12 * dot (yv, yv, n))
          {
            rho[head] = 1.0 / sy;
            head = (head + 1) % LBFGS_M;
            n_pairs = MIN (n_pairs + 1, LBFGS_M);
          }
      }
      memcpy (theta, x_new, sizeof (double) * n);
      memcpy (g, g_new_, sizeof (double) * n);
      f = f_new;
    }
  if (max_abs (g, n) < tol)
    *converged = TRUE;
  return iter;
}

/* ---- cross-validation and the fit ---- */

static void
problem_scores (const McamHeadProblem *p, const double *theta, const float *X, int m,
                float *scores)
{
  int c = p->c, C = p->C;
  const double *W = theta, *b = theta + (gsize) C * c;
  g_autofree double *z = g_new (double, C);

  for (int i = 0; i < m; i++)
    {
      const float *x = X + (gsize) i * c;
      float *s = scores + (gsize) i * C;
      double zmax = -INFINITY, sum = 0.0;
      for (int k = 0; k < C; k++)
        {
          double v = b[k];
          for (int j = 0; j < c; j++)
            v += W[(gsize) k * c + j] * x[j];
          z[k] = v;
          zmax = MAX (zmax, v);
        }
      if (p->multilabel)
        for (int k = 0; k < C; k++)
          s[k] = (float) sigmoid (z[k]);
      else
        {
          for (int k = 0; k < C; k++)
            sum += exp (z[k] - zmax);
          for (int k = 0; k < C; k++)
            s[k] = (float) (exp (z[k] - zmax) / sum);
        }
    }
}

static int
double_desc (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? 1 : x > y ? -1 : 0;
}

static gboolean
report (McamHeadFitProgress progress, gpointer user_data, const char *stage, int step,
        int n_steps, GError **error)
{
  if (progress != NULL && !progress (stage, step, n_steps, user_data))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "The head fit was cancelled");
      return FALSE;
    }
  return TRUE;
}

/* K-fold cross-validation over the grid (sorted large to small, each fold
 * warm-started from the previous λ). Returns the points in grid order. */
static McamHeadCvPoint *
cross_validate (const float *X, const float *Y, int n, int c, int C,
                const McamHeadFitOptions *opt, const double *grid, int n_grid,
                McamHeadFitProgress progress, gpointer user_data, GError **error)
{
  int K = opt->folds;
  g_autofree int *perm = g_new (int, n);
  g_autofree int *fold = g_new (int, n);
  g_autofree double *maps = g_new0 (double, (gsize) n_grid * K);
  g_autofree McamHeadCvPoint *curve = g_new0 (McamHeadCvPoint, n_grid);
  gsize n_theta = (gsize) C * c + C;
  McamRng rng;

  /* Folds: a seeded shuffle, image perm[i] in fold i mod K. */
  _mcam_rng_init (&rng, opt->seed);
  for (int i = 0; i < n; i++)
    perm[i] = i;
  for (int i = n - 1; i > 0; i--)
    {
      int j = (int) _mcam_rng_below (&rng, (guint64) i + 1);
      int t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
  for (int i = 0; i < n; i++)
    fold[perm[i]] = i % K;

  for (int f = 0; f < K; f++)
    {
      g_autofree int *train = g_new (int, n);
      g_autofree int *held = g_new (int, n);
      g_autofree double *theta = g_new0 (double, n_theta);
      g_autofree float *Xh = NULL, *Yh = NULL, *scores = NULL;
      int n_train = 0, n_held = 0;

      for (int i = 0; i < n; i++)
        {
          if (fold[i] == f)
            held[n_held++] = i;
          else
            train[n_train++] = i;
        }
      Xh = g_new (float, (gsize) MAX (n_held, 1) * c);
      Yh = g_new (float, (gsize) MAX (n_held, 1) * C);
      scores = g_new (float, (gsize) MAX (n_held, 1) * C);
      for (int i = 0; i < n_held; i++)
        {
          memcpy (Xh + (gsize) i * c, X + (gsize) held[i] * c, sizeof (float) * c);
          memcpy (Yh + (gsize) i * C, Y + (gsize) held[i] * C, sizeof (float) * C);
        }

      g_autoptr(McamHeadProblem) p =
        _mcam_head_problem_new (X, Y, n, c, C, train, n_train, opt->multilabel,
                                opt->balanced, 0.0);
      for (int g = 0; g < n_grid; g++)
        {
          gboolean conv;
          if (!report (progress, user_data, "cv", f * n_grid + g, K * n_grid, error))
            return NULL;
          p->l2 = grid[g];
          _mcam_head_lbfgs (p, theta, opt->max_iter, opt->tol, &conv);
          problem_scores (p, theta, Xh, n_held, scores);
          maps[(gsize) g * K + f] = mcam_mean_average_precision (scores, Yh, n_held, C, NULL);
        }
    }

  for (int g = 0; g < n_grid; g++)
    {
      double mean = 0.0, var = 0.0;
      int k = 0;
      for (int f = 0; f < K; f++)
        if (!isnan (maps[(gsize) g * K + f]))
          {
            mean += maps[(gsize) g * K + f];
            k++;
          }
      mean = k > 0 ? mean / k : NAN;
      for (int f = 0; f < K; f++)
        if (!isnan (maps[(gsize) g * K + f]))
          var += (maps[(gsize) g * K + f] - mean) * (maps[(gsize) g * K + f] - mean);
      curve[g].l2 = grid[g];
      curve[g].map = mean;
      curve[g].sd = k > 1 ? sqrt (var / (k - 1)) : 0.0;
    }
  return g_steal_pointer (&curve);
}

McamHead *
mcam_head_fit (const float *X, const float *Y, int n, int c, int C,
               const McamHeadFitOptions *opt, McamHeadCvPoint **curve_out, int *n_curve,
               McamHeadFitProgress progress, gpointer user_data, GError **error)
{
  McamHeadFitOptions defaults;
  g_autofree double *grid = NULL;
  g_autofree McamHeadCvPoint *curve = NULL;
  int n_grid = 0;
  double l2;
  int best = -1;

  if (opt == NULL)
    {
      mcam_head_fit_options_init (&defaults);
      opt = &defaults;
    }
  if (curve_out != NULL)
    *curve_out = NULL;
  if (n_curve != NULL)
    *n_curve = 0;
  if (n < 2 || c < 1 || C < 1)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE,
                   "A head needs at least 2 images to fit (got %d)", n);
      return NULL;
    }
  l2 = opt->l2;

  if (l2 < 0.0)
    {
      if (opt->folds < 2 || opt->folds > n)
        {
          g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE,
                       "Cross-validation needs 2 to %d folds for %d images, not %d", n, n,
                       opt->folds);
          return NULL;
        }
      n_grid = opt->grid != NULL ? opt->n_grid : (int) G_N_ELEMENTS (default_grid);
      grid = g_memdup2 (opt->grid != NULL ? opt->grid : default_grid, sizeof (double) * n_grid);
      for (int g = 0; g < n_grid; g++)
        if (!(grid[g] >= 0.0) || !isfinite (grid[g]))
          {
            g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE,
                         "A λ of the grid is not a non-negative number: %g", grid[g]);
            return NULL;
          }
      qsort (grid, n_grid, sizeof (double), double_desc);
      curve = cross_validate (X, Y, n, c, C, opt, grid, n_grid, progress, user_data, error);
      if (curve == NULL)
        return NULL;
      /* The best held-out mAP; among equals (to 1e-9) the largest λ, which
       * comes first: the grid runs large to small. */
      for (int g = 0; g < n_grid; g++)
        if (!isnan (curve[g].map) && (best < 0 || curve[g].map > curve[best].map + 1e-9))
          best = g;
      if (best < 0)
        {
          g_set_error (error, MCAM_ERROR, MCAM_ERROR_VALUE,
                       "Cross-validation found no class with a positive image in any fold");
          return NULL;
        }
      l2 = curve[best].l2;
    }

  if (!report (progress, user_data, "fit", 0, 1, error))
    return NULL;
  {
    gsize n_theta = (gsize) C * c + C;
    g_autofree double *theta = g_new0 (double, n_theta);
    g_autoptr(McamHeadProblem) p = _mcam_head_problem_new (X, Y, n, c, C, NULL, n,
                                                           opt->multilabel, opt->balanced, l2);
    McamHead *head = mcam_head_new (C, c, opt->multilabel);
    gboolean conv;

    _mcam_head_lbfgs (p, theta, opt->max_iter, opt->tol, &conv);
    for (gsize j = 0; j < (gsize) C * c; j++)
      head->weight[j] = (float) theta[j];
    for (int k = 0; k < C; k++)
      head->bias[k] = (float) theta[(gsize) C * c + k];
    head->l2 = l2;
    head->seed = opt->seed;
    head->folds = best >= 0 ? opt->folds : 0;
    head->val_score = best >= 0 ? curve[best].map : NAN;
    if (best >= 0)
      {
        /* The curve as JSON text, through the project's one JSON writer. */
        g_autoptr(JsonBuilder) b = json_builder_new ();
        g_autoptr(JsonNode) root = NULL;
        json_builder_begin_array (b);
        for (int g = 0; g < n_grid; g++)
          {
            json_builder_begin_object (b);
            mcam_json_set_double (b, "l2", curve[g].l2);
            mcam_json_set_double (b, "map", curve[g].map);
            mcam_json_set_double (b, "sd", curve[g].sd);
            json_builder_end_object (b);
          }
        json_builder_end_array (b);
        root = json_builder_get_root (b);
        head->cv_curve = mcam_json_to_string (root, FALSE, NULL);
      }
    if (curve_out != NULL)
      *curve_out = g_steal_pointer (&curve);
    if (n_curve != NULL)
      *n_curve = n_grid;
    return head;
  }
}
