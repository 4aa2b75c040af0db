/* SPDX-License-Identifier: GPL-3.0-or-later */
/* EigenCAM and EigenGradCAM (DESIGN 5): the first principal component of a
 * feature map, with a small symmetric eigen solver of our own. */

#include "config.h"

#include <math.h>
#include <string.h>

#include "mcam/mcam-blas.h"
#include "mcam-cam-methods.h"

void
_mcam_symmetric_eigen (double *A, int n, double *lambda, double *U)
{
  /* Cyclic Jacobi: rotate away each off-diagonal entry in turn until the
   * off-diagonal mass is negligible. Accurate and simple; n is small here
   * (the number of feature positions, or of channels). */
  double total = 0.0;

  memset (U, 0, sizeof (double) * n * n);
  for (int i = 0; i < n; i++)
    U[(gsize) i * n + i] = 1.0;
  for (gsize i = 0; i < (gsize) n * n; i++)
    total += A[i] * A[i];

  for (int sweep = 0; sweep < 60 && total > 0.0; sweep++)
    {
      double off = 0.0;
      for (int p = 0; p < n; p++)
        for (int q = p + 1; q < n; q++)
          off += A[(gsize) p * n + q] * A[(gsize) p * n + q];
      if (off <= 1e-26 * total)
        break;

      for (int p = 0; p < n; p++)
        for (int q = p + 1; q < n; q++)
          {
            double apq = A[(gsize) p * n + q];
            if (fabs (apq) < 1e-300)
              continue;
            double app = A[(gsize) p * n + p], aqq = A[(gsize) q * n + q];
            double theta = (aqq - app) / (2.0 * apq);
            /* The smaller root of t² + 2θt − 1 = 0: the rotation angle ≤ π/4. */
            double t = (theta >= 0.0 ? 1.0 : -1.0) / (fabs (theta) + sqrt (theta * theta + 1.0));
            double cs = 1.0 / sqrt (t * t + 1.0), sn = t * cs;

            for (int k = 0; k < n; k++)
              {
                double akp = A[(gsize) k * n + p], akq = A[(gsize) k * n + q];
                A[(gsize) k * n + p] = cs * akp - sn * akq;
                A[(gsize) k * n + q] = sn * akp + cs * akq;
              }
            for (int k = 0; k < n; k++)
              {
                double apk = A[(gsize) p * n + k], aqk = A[(gsize) q * n + k];
                A[(gsize) p * n + k] = cs * apk - sn * aqk;
                A[(gsize) q * n + k] = sn * apk + cs * aqk;
              }
            for (int k = 0; k < n; k++)
              {
                double ukp = U[(gsize) k * n + p], ukq = U[(gsize) k * n + q];
                U[(gsize) k * n + p] = cs * ukp - sn * ukq;
                U[(gsize) k * n + q] = sn * ukp + cs * ukq;
              }
          }
    }
  for (int i = 0; i < n; i++)
    lambda[i] = A[(gsize) i * n + i];
}

/* Householder reduction of a symmetric n × n matrix to tridiagonal form:
 * the diagonal d [n] and the off-diagonal e [n-1] of T = Qᵀ A Q. Only the
 * eigenvalues of T are used, so Q is not kept. */
static void
tridiagonalise (const double *A_in, int n, double *d, double *e)
{
  g_autofree double *A = g_memdup2 (A_in, sizeof (double) * n * n);
  g_autofree double *v = g_new (double, n);
  g_autofree double *p = g_new (double, n);

  for (int k = 0; k + 2 < n; k++)
    {
      double alpha = 0.0, vnorm = 0.0, K = 0.0;
      for (int i = k + 1; i < n; i++)
        alpha += A[(gsize) i * n + k] * A[(gsize) i * n + k];
      alpha = sqrt (alpha);
      if (alpha == 0.0)
        {
          e[k] = 0.0;
          continue;
        }
      /* x → alpha e₁ with the sign that avoids cancellation in v = x − alpha e₁. */
      if (A[(gsize) (k + 1) * n + k] > 0.0)
        alpha = -alpha;
      for (int i = k + 1; i < n; i++)
        v[i] = A[(gsize) i * n + k];
      v[k + 1] -= alpha;
      for (int i = k + 1; i < n; i++)
        vnorm += v[i] * v[i];
      vnorm = sqrt (vnorm);
      e[k] = alpha;
      if (vnorm == 0.0)
        continue;
      for (int i = k + 1; i < n; i++)
        v[i] /= vnorm;
      /* H A H with H = I − 2vvᵀ: A − 2(v wᵀ + w vᵀ), p = Av, w = p − (vᵀp) v. */
      for (int i = k + 1; i < n; i++)
        {
          double sum = 0.0;
          for (int j = k + 1; j < n; j++)
            sum += A[(gsize) i * n + j] * v[j];
          p[i] = sum;
          K += v[i] * sum;
        }
      for (int i = k + 1; i < n; i++)
        p[i] -= K * v[i];
      for (int i = k + 1; i < n; i++)
        for (int j = k + 1; j < n; j++)
          A[(gsize) i * n + j] -= 2.0 * (v[i] * p[j] + p[i] * v[j]);
    }
  for (int i = 0; i < n; i++)
    d[i] = A[(gsize) i * n + i];
  if (n >= 2)
    e[n - 2] = A[(gsize) (n - 1) * n + (n - 2)];
}

/* Sturm count: how many eigenvalues of the tridiagonal (d, e) are below x. */
static int
sturm_count (const double *d, const double *e, int n, double x, double tiny)
{
  int count = 0;
  double q = d[0] - x;
  if (q < 0.0)
    count++;
  for (int i = 1; i < n; i++)
    {
      if (fabs (q) < tiny)
        q = q < 0.0 ? -tiny : tiny;
      q = d[i] - x - e[i - 1] * e[i - 1] / q;
      if (q < 0.0)
        count++;
    }
  return count;
}

/* Solve M x = b in place (b becomes x) by LU with partial pivoting; M is
 * destroyed. A pivot that is exactly zero is replaced by `tiny`: inverse
 * iteration solves with a nearly singular M on purpose. */
static void
lu_solve (double *M, int n, double *b, double tiny)
{
  for (int k = 0; k < n; k++)
    {
      int piv = k;
      for (int i = k + 1; i < n; i++)
        if (fabs (M[(gsize) i * n + k]) > fabs (M[(gsize) piv * n + k]))
          piv = i;
      if (piv != k)
        {
          for (int j = 0; j < n; j++)
            {
              double t = M[(gsize) k * n + j];
              M[(gsize) k * n + j] = M[(gsize) piv * n + j];
              M[(gsize) piv * n + j] = t;
            }
          double t = b[k];
          b[k] = b[piv];
          b[piv] = t;
        }
      if (fabs (M[(gsize) k * n + k]) < tiny)
        M[(gsize) k * n + k] = tiny;
      for (int i = k + 1; i < n; i++)
        {
          double l = M[(gsize) i * n + k] / M[(gsize) k * n + k];
          if (l == 0.0)
            continue;
          for (int j = k + 1; j < n; j++)
            M[(gsize) i * n + j] -= l * M[(gsize) k * n + j];
          b[i] -= l * b[k];
        }
    }
  for (int i = n - 1; i >= 0; i--)
    {
      double s = b[i];
      for (int j = i + 1; j < n; j++)
        s -= M[(gsize) i * n + j] * b[j];
      b[i] = s / M[(gsize) i * n + i];
    }
}

/* The leading eigenvector of a symmetric n × n matrix into u (unit norm);
 * returns its eigenvalue. The eigenvalue by bisection on the Sturm sequence
 * of the Householder tridiagonal form (robust, O(n³) once), the vector by
 * two steps of inverse iteration just above it (O(n³/3) each). A is kept. */
double
_mcam_leading_eigenvector (const double *A, int n, double *u)
{
  g_autofree double *d = g_new (double, n);
  g_autofree double *e = g_new0 (double, MAX (n - 1, 1));
  g_autofree double *M = g_new (double, (gsize) n * n);
  double lo = INFINITY, hi = -INFINITY, scale = 0.0, lambda, sigma, tiny;

  tridiagonalise (A, n, d, e);
  for (int i = 0; i < n; i++)
    {
      double r = (i > 0 ? fabs (e[i - 1]) : 0.0) + (i + 1 < n ? fabs (e[i]) : 0.0);
      lo = MIN (lo, d[i] - r);
      hi = MAX (hi, d[i] + r);
    }
  scale = MAX (fabs (lo), fabs (hi));
  if (scale == 0.0)
    {
      for (int i = 0; i < n; i++)
        u[i] = i == 0 ? 1.0 : 0.0;
      return 0.0;
    }
  tiny = 1e-300 + scale * 1e-30;
  /* Largest eigenvalue: the smallest x with all n eigenvalues below it. */
  for (int it = 0; it < 200 && hi - lo > 4e-16 * scale; it++)
    {
      double mid = 0.5 * (lo + hi);
      if (sturm_count (d, e, n, mid, tiny) == n)
        hi = mid;
      else
        lo = mid;
    }
  lambda = 0.5 * (lo + hi);

  /* Inverse iteration with a shift a hair above λ: (A − σI)⁻¹ magnifies the
   * leading eigenvector by 1/(σ − λ) against 1/(σ − λ₂) for the next. */
  sigma = lambda + 1e-10 * scale;
  for (int i = 0; i < n; i++)
    u[i] = 1.0 + 0.01 * sin (1.0 + i);
  for (int step = 0; step < 3; step++)
    {
      double norm = 0.0;
      memcpy (M, A, sizeof (double) * n * n);
      for (int i = 0; i < n; i++)
        M[(gsize) i * n + i] -= sigma;
      lu_solve (M, n, u, tiny);
      for (int i = 0; i < n; i++)
        norm += u[i] * u[i];
      norm = sqrt (norm);
      if (!(norm > 0.0) || !isfinite (norm))
        break;
      for (int i = 0; i < n; i++)
        u[i] /= norm;
    }
  return lambda;
}

void
_mcam_eigen_map (const float *x, int c, int hw, float *map)
{
  /* Xc: hw samples (positions) × c variables (channels), each channel
   * centred. The products go through BLAS in float (the sums are short:
   * c or hw terms), the eigenproblem in double. */
  g_autofree float *Xc = g_new (float, (gsize) hw * c);
  g_autofree double *mean_act = g_new0 (double, hw);
  g_autofree double *proj = g_new0 (double, hw);

  for (int k = 0; k < c; k++)
    {
      double m = 0.0;
      for (int j = 0; j < hw; j++)
        m += x[(gsize) k * hw + j];
      m /= hw;
      for (int j = 0; j < hw; j++)
        {
          Xc[(gsize) j * c + k] = (float) (x[(gsize) k * hw + j] - m);
          mean_act[j] += x[(gsize) k * hw + j] / (double) c;
        }
    }

  if (hw <= c)
    {
      /* Gram matrix Xc Xcᵀ (hw × hw): its top eigenpair (λ, u) gives the
       * projection Xc v₁ = √λ u without forming the c × c covariance. */
      g_autofree float *Gf = g_new (float, (gsize) hw * hw);
      g_autofree double *G = g_new (double, (gsize) hw * hw);
      g_autofree double *u = g_new (double, hw);
      mcam_sgemm (FALSE, TRUE, hw, hw, c, 1.0f, Xc, c, Xc, c, 0.0f, Gf, hw);
      for (int i = 0; i < hw; i++)
        for (int j = 0; j < hw; j++)
          G[(gsize) i * hw + j] = 0.5 * ((double) Gf[(gsize) i * hw + j] + Gf[(gsize) j * hw + i]);
      double lam = _mcam_leading_eigenvector (G, hw, u);
      double sigma = lam > 0.0 ? sqrt (lam) : 0.0;
      for (int j = 0; j < hw; j++)
        proj[j] = sigma * u[j];
    }
  else
    {
      g_autofree float *Cf = g_new (float, (gsize) c * c);
      g_autofree double *Cv = g_new (double, (gsize) c * c);
      g_autofree double *v = g_new (double, c);
      mcam_sgemm (TRUE, FALSE, c, c, hw, 1.0f, Xc, c, Xc, c, 0.0f, Cf, c);
      for (int a = 0; a < c; a++)
        for (int b = 0; b < c; b++)
          Cv[(gsize) a * c + b] = 0.5 * ((double) Cf[(gsize) a * c + b] + Cf[(gsize) b * c + a]);
      _mcam_leading_eigenvector (Cv, c, v);
      for (int j = 0; j < hw; j++)
        {
          double s = 0.0;
          for (int k = 0; k < c; k++)
            s += (double) Xc[(gsize) j * c + k] * v[k];
          proj[j] = s;
        }
    }

  /* The axis' sign is arbitrary: choose the one that correlates positively
   * with the mean activation (the projection is centred, so the covariance
   * is Σ proj · mean_act); on a tie, the largest value is made positive. */
  double cov = 0.0, big = 0.0;
  for (int j = 0; j < hw; j++)
    {
      cov += proj[j] * mean_act[j];
      if (fabs (proj[j]) > fabs (big))
        big = proj[j];
    }
  double scale_tol = 1e-9 * fabs (big) * hw;
  double sign = fabs (cov) > scale_tol ? (cov > 0.0 ? 1.0 : -1.0) : (big >= 0.0 ? 1.0 : -1.0);
  for (int j = 0; j < hw; j++)
    map[j] = (float) (sign * proj[j]);
}
