/* SPDX-License-Identifier: GPL-3.0-or-later */
/* EigenCAM and EigenGradCAM (DESIGN 5): the first principal component of a
 * feature map, with a small symmetric eigen solver of our own. */

#include "config.h"

#include <math.h>
#include <string.h>

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

/* The leading eigenvector of a symmetric positive semi-definite n × n matrix
 * into u (unit norm); returns its eigenvalue. Jacobi for small n, power
 * iteration (from a deterministic start) when a full solve would be slow. */
static double
leading_eigenvector (double *A, int n, double *u)
{
  if (n <= 256)
    {
      g_autofree double *lambda = g_new (double, n);
      g_autofree double *U = g_new (double, (gsize) n * n);
      int best = 0;
      _mcam_symmetric_eigen (A, n, lambda, U);
      for (int i = 1; i < n; i++)
        if (lambda[i] > lambda[best])
          best = i;
      for (int i = 0; i < n; i++)
        u[i] = U[(gsize) i * n + best];
      return lambda[best];
    }
  else
    {
      g_autofree double *y = g_new (double, n);
      double lam = 0.0;
      for (int i = 0; i < n; i++)
        u[i] = 1.0 / sqrt (n) + 1e-3 * sin (i + 1.0);
      for (int it = 0; it < 1000; it++)
        {
          double norm = 0.0, diff = 0.0;
          for (int i = 0; i < n; i++)
            {
              double s = 0.0;
              for (int j = 0; j < n; j++)
                s += A[(gsize) i * n + j] * u[j];
              y[i] = s;
              norm += s * s;
            }
          norm = sqrt (norm);
          if (norm == 0.0)
            return 0.0;
          for (int i = 0; i < n; i++)
            {
              double v = y[i] / norm;
              diff += (v - u[i]) * (v - u[i]);
              u[i] = v;
            }
          lam = norm;
          if (diff < 1e-24)
            break;
        }
      return lam;
    }
}

void
_mcam_eigen_map (const float *x, int c, int hw, float *map)
{
  /* Xc: hw samples (positions) × c variables (channels), each channel centred. */
  g_autofree double *Xc = g_new (double, (gsize) hw * c);
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
          Xc[(gsize) j * c + k] = x[(gsize) k * hw + j] - m;
          mean_act[j] += x[(gsize) k * hw + j] / (double) c;
        }
    }

  if (hw <= c)
    {
      /* Gram matrix Xc Xcᵀ (hw × hw): its top eigenpair (λ, u) gives the
       * projection Xc v₁ = √λ u without forming the c × c covariance. */
      g_autofree double *G = g_new (double, (gsize) hw * hw);
      g_autofree double *u = g_new (double, hw);
      for (int i = 0; i < hw; i++)
        for (int j = i; j < hw; j++)
          {
            double s = 0.0;
            for (int k = 0; k < c; k++)
              s += Xc[(gsize) i * c + k] * Xc[(gsize) j * c + k];
            G[(gsize) i * hw + j] = G[(gsize) j * hw + i] = s;
          }
      double lam = leading_eigenvector (G, hw, u);
      double sigma = lam > 0.0 ? sqrt (lam) : 0.0;
      for (int j = 0; j < hw; j++)
        proj[j] = sigma * u[j];
    }
  else
    {
      g_autofree double *Cv = g_new (double, (gsize) c * c);
      g_autofree double *v = g_new (double, c);
      for (int a = 0; a < c; a++)
        for (int b = a; b < c; b++)
          {
            double s = 0.0;
            for (int j = 0; j < hw; j++)
              s += Xc[(gsize) j * c + a] * Xc[(gsize) j * c + b];
            Cv[(gsize) a * c + b] = Cv[(gsize) b * c + a] = s;
          }
      leading_eigenvector (Cv, c, v);
      for (int j = 0; j < hw; j++)
        {
          double s = 0.0;
          for (int k = 0; k < c; k++)
            s += Xc[(gsize) j * c + k] * v[k];
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
