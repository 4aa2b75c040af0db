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
 * the diagonal d [n] and the off-diagonal e [n-1] of T = Qᵀ A Q, with
 * Q = H_0 H_1 … H_{n-3}, H_k = I − 2 v_k v_kᵀ. Row k of R [n × n] keeps v_k
 * (entries k+1 … n-1; all zero where no reflection was needed), so that an
 * eigenvector y of T becomes one of A as Q y (apply_reflectors). */
static void
tridiagonalise (const double *A_in, int n, double *d, double *e, double *R)
{
  /* Only the upper triangle (j >= i) is read and kept up to date: A is
   * symmetric, and that halves the rank-2 updates. Column k below the
   * diagonal is row k right of it. */
  g_autofree double *A = g_memdup2 (A_in, sizeof (double) * n * n);
  g_autofree double *v = g_new (double, n);
  g_autofree double *p = g_new (double, n);

  memset (R, 0, sizeof (double) * n * n);
  for (int k = 0; k + 2 < n; k++)
    {
      const double *rk = A + (gsize) k * n;
      double alpha = 0.0, vnorm = 0.0, K = 0.0;
      for (int i = k + 1; i < n; i++)
        alpha += rk[i] * rk[i];
      alpha = sqrt (alpha);
      if (alpha == 0.0)
        {
          e[k] = 0.0;
          continue;
        }
      /* x → alpha e₁ with the sign that avoids cancellation in v = x − alpha e₁. */
      if (rk[k + 1] > 0.0)
        alpha = -alpha;
      for (int i = k + 1; i < n; i++)
        v[i] = rk[i];
      v[k + 1] -= alpha;
      for (int i = k + 1; i < n; i++)
        vnorm += v[i] * v[i];
      vnorm = sqrt (vnorm);
      e[k] = alpha;
      if (vnorm == 0.0)
        continue;
      for (int i = k + 1; i < n; i++)
        {
          v[i] /= vnorm;
          R[(gsize) k * n + i] = v[i];
        }
      /* H A H with H = I − 2vvᵀ: A − 2(v wᵀ + w vᵀ), p = Av, w = p − (vᵀp) v.
       * p from the upper triangle: A_ij (j > i) serves row i and row j. Two
       * partial sums keep the additions from waiting on each other. */
      for (int i = k + 1; i < n; i++)
        p[i] = 0.0;
      for (int i = k + 1; i < n; i++)
        {
          const double *row = A + (gsize) i * n;
          double vi = v[i], s0 = row[i] * vi, s1 = 0.0;
          int j = i + 1;
          for (; j + 1 < n; j += 2)
            {
              s0 += row[j] * v[j];
              s1 += row[j + 1] * v[j + 1];
              p[j] += row[j] * vi;
              p[j + 1] += row[j + 1] * vi;
            }
          if (j < n)
            {
              s0 += row[j] * v[j];
              p[j] += row[j] * vi;
            }
          p[i] += s0 + s1;
        }
      for (int i = k + 1; i < n; i++)
        K += v[i] * p[i];
      for (int i = k + 1; i < n; i++)
        p[i] -= K * v[i];
      for (int i = k + 1; i < n; i++)
        {
          double vi = 2.0 * v[i], pi = 2.0 * p[i];
          double *row = A + (gsize) i * n;
          for (int j = i; j < n; j++)
            row[j] -= vi * p[j] + pi * v[j];
        }
    }
  for (int i = 0; i < n; i++)
    d[i] = A[(gsize) i * n + i];
  if (n >= 2)
    e[n - 2] = A[(gsize) (n - 2) * n + (n - 1)];
}

/* Sturm counts: how many eigenvalues of the tridiagonal (d, e) are below
 * each of x[0..2]. Three independent recurrences in one loop, so that each
 * division's latency hides behind the others' (the loop is latency-bound). */
static void
sturm_count3 (const double *d, const double *e, int n, const double *x, double tiny,
              int *count)
{
  double q0 = d[0] - x[0], q1 = d[0] - x[1], q2 = d[0] - x[2];
  int c0 = q0 < 0.0, c1 = q1 < 0.0, c2 = q2 < 0.0;

  for (int i = 1; i < n; i++)
    {
      double e2 = e[i - 1] * e[i - 1];
      if (fabs (q0) < tiny)
        q0 = q0 < 0.0 ? -tiny : tiny;
      if (fabs (q1) < tiny)
        q1 = q1 < 0.0 ? -tiny : tiny;
      if (fabs (q2) < tiny)
        q2 = q2 < 0.0 ? -tiny : tiny;
      q0 = d[i] - x[0] - e2 / q0;
      q1 = d[i] - x[1] - e2 / q1;
      q2 = d[i] - x[2] - e2 / q2;
      c0 += q0 < 0.0;
      c1 += q1 < 0.0;
      c2 += q2 < 0.0;
    }
  count[0] = c0;
  count[1] = c1;
  count[2] = c2;
}

/* Solve (σI − T) x = b in place for the tridiagonal T = (d, e) with σ above
 * its largest eigenvalue: σI − T is then positive definite, so LDLᵀ without
 * pivoting is stable however close σ is (inverse iteration wants it close).
 * A pivot below `tiny` is raised to it. O(n). */
static void
shifted_tridiagonal_solve (const double *d, const double *e, int n, double sigma,
                           double *b, double *L, double *D, double tiny)
{
  D[0] = sigma - d[0];
  if (D[0] < tiny)
    D[0] = tiny;
  for (int i = 1; i < n; i++)
    {
      L[i] = -e[i - 1] / D[i - 1];
      D[i] = sigma - d[i] + L[i] * e[i - 1];
      if (D[i] < tiny)
        D[i] = tiny;
    }
  for (int i = 1; i < n; i++)
    b[i] -= L[i] * b[i - 1];
  for (int i = 0; i < n; i++)
    b[i] /= D[i];
  for (int i = n - 2; i >= 0; i--)
    b[i] -= L[i + 1] * b[i + 1];
}

/* u ← Q u with Q = H_0 … H_{n-3} from tridiagonalise: the last reflector first. */
static void
apply_reflectors (const double *R, int n, double *u)
{
  for (int k = n - 3; k >= 0; k--)
    {
      const double *v = R + (gsize) k * n;
      double dot = 0.0;
      for (int i = k + 1; i < n; i++)
        dot += v[i] * u[i];
      if (dot == 0.0)
        continue;
      for (int i = k + 1; i < n; i++)
        u[i] -= 2.0 * dot * v[i];
    }
}

/* The largest eigenvalue of the symmetric tridiagonal T = (d, e) (returned)
 * and its unit eigenvector y: multisection on the Sturm sequence to 1e-10 of
 * the spectrum's scale, three steps of inverse iteration just above it, and
 * the eigenvalue as y's Rayleigh quotient (accurate to the square of y's
 * error, so the bisection need not go to round-off). */
static double
tridiagonal_top (const double *d, const double *e, int n, double *y, double *L, double *D)
{
  double lo = INFINITY, hi = -INFINITY, scale, lambda, sigma, tiny;

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
        y[i] = i == 0 ? 1.0 : 0.0;
      return 0.0;
    }
  tiny = 1e-300 + scale * 1e-30;
  /* Largest eigenvalue: the smallest x with all n eigenvalues below it. It
   * is at least the largest diagonal entry (a Rayleigh quotient). */
  for (int i = 0; i < n; i++)
    lo = MAX (lo, d[i]);
  /* Quartered, not halved: three points per pass cost little more than one. */
  for (int it = 0; it < 100 && hi - lo > 1e-10 * scale; it++)
    {
      double w = hi - lo, x[3] = { lo + 0.25 * w, lo + 0.5 * w, lo + 0.75 * w };
      int count[3];
      sturm_count3 (d, e, n, x, tiny, count);
      if (count[0] == n)
        hi = x[0];
      else if (count[1] == n)
        {
          lo = x[0];
          hi = x[1];
        }
      else if (count[2] == n)
        {
          lo = x[1];
          hi = x[2];
        }
      else
        lo = x[2];
    }

  /* Inverse iteration with a shift just above λ (hi is, by the Sturm count):
   * (T − σI)⁻¹ magnifies the leading eigenvector by 1/(σ − λ) against
   * 1/(σ − λ₂) for the next. */
  sigma = hi + 1e-10 * scale;
  for (int i = 0; i < n; i++)
    y[i] = 1.0 + 0.01 * sin (1.0 + i);
  for (int step = 0; step < 3; step++)
    {
      double norm = 0.0;
      shifted_tridiagonal_solve (d, e, n, sigma, y, L, D, tiny);
      for (int i = 0; i < n; i++)
        norm += y[i] * y[i];
      norm = sqrt (norm);
      if (!(norm > 0.0) || !isfinite (norm))
        break;
      for (int i = 0; i < n; i++)
        y[i] /= norm;
    }
  lambda = 0.0;
  for (int i = 0; i < n; i++)
    {
      double ty = d[i] * y[i];
      if (i > 0)
        ty += e[i - 1] * y[i - 1];
      if (i + 1 < n)
        ty += e[i] * y[i + 1];
      lambda += y[i] * ty;
    }
  return lambda;
}

/* Householder tridiagonal form (O(n³)), its top eigenpair, taken back by the
 * reflectors (O(n²)). */
static double
leading_by_tridiagonal_form (const double *A, int n, double *u)
{
  g_autofree double *d = g_new (double, n);
  g_autofree double *e = g_new0 (double, MAX (n - 1, 1));
  g_autofree double *R = g_new (double, (gsize) n * n);
  g_autofree double *L = g_new (double, n);
  g_autofree double *D = g_new (double, n);
  double lambda;

  tridiagonalise (A, n, d, e, R);
  lambda = tridiagonal_top (d, e, n, u, L, D);
  apply_reflectors (R, n, u);
  return lambda;
}

/* The leading eigenvector of a symmetric n × n matrix into u (unit norm);
 * returns its eigenvalue. (Lanczos was tried: on a flat spectrum, such as
 * random weights give, it needs all n steps and costs more.) A is kept. */
double
_mcam_leading_eigenvector (const double *A, int n, double *u)
{
  return leading_by_tridiagonal_form (A, n, u);
}

/* The sign of a principal axis is arbitrary: choose the one whose map
 * correlates positively with the mean activation (the projection is
 * centred, so the covariance is Σ proj · mean_act); on a tie, the largest
 * value is made positive. */
static void
eigen_store_signed (const double *proj, const double *mean_act, int hw, float *map)
{
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

void
_mcam_eigen_map_from_gram (const float *Gf, int ld, const double *mean_act, int hw, float *map)
{
  /* The top eigenpair (λ, u) of the Gram matrix Xc Xcᵀ gives the projection
   * Xc v₁ = √λ u without forming the c × c covariance. */
  g_autofree double *G = g_new (double, (gsize) hw * hw);
  g_autofree double *u = g_new (double, hw);
  g_autofree double *proj = g_new (double, hw);

  for (int i = 0; i < hw; i++)
    for (int j = 0; j < hw; j++)
      G[(gsize) i * hw + j] = 0.5 * ((double) Gf[(gsize) i * ld + j] + Gf[(gsize) j * ld + i]);
  double lam = _mcam_leading_eigenvector (G, hw, u);
  double sigma = lam > 0.0 ? sqrt (lam) : 0.0;
  for (int j = 0; j < hw; j++)
    proj[j] = sigma * u[j];
  eigen_store_signed (proj, mean_act, hw, map);
}

/* The map from Xt, the centred data stored by channel (c × hw row-major: row
 * k is channel k over the positions, i.e. Xcᵀ for the hw samples × c
 * variables Xc), and the mean over channels at each position (for the sign).
 * Stored by channel so that building it is a contiguous pass. */
static void
eigen_map_centred (const float *Xt, const double *mean_act, int c, int hw, float *map)
{
  if (hw <= c)
    {
      g_autofree float *Gf = g_new (float, (gsize) hw * hw);
      mcam_sgemm (TRUE, FALSE, hw, hw, c, 1.0f, Xt, hw, Xt, hw, 0.0f, Gf, hw);
      _mcam_eigen_map_from_gram (Gf, hw, mean_act, hw, map);
    }
  else
    {
      g_autofree float *Cf = g_new (float, (gsize) c * c);
      g_autofree double *Cv = g_new (double, (gsize) c * c);
      g_autofree double *v = g_new (double, c);
      g_autofree double *proj = g_new (double, hw);
      mcam_sgemm (FALSE, TRUE, c, c, hw, 1.0f, Xt, hw, Xt, hw, 0.0f, Cf, c);
      for (int a = 0; a < c; a++)
        for (int b = 0; b < c; b++)
          Cv[(gsize) a * c + b] = 0.5 * ((double) Cf[(gsize) a * c + b] + Cf[(gsize) b * c + a]);
      _mcam_leading_eigenvector (Cv, c, v);
      for (int j = 0; j < hw; j++)
        {
          double s = 0.0;
          for (int k = 0; k < c; k++)
            s += (double) Xt[(gsize) k * hw + j] * v[k];
          proj[j] = s;
        }
      eigen_store_signed (proj, mean_act, hw, map);
    }
}

void
_mcam_eigen_map (const float *x, int c, int hw, float *map)
{
  /* Xc: hw samples (positions) × c variables (channels), each channel
   * centred. The products go through BLAS in float (the sums are short:
   * c or hw terms), the eigenproblem in double. */
  g_autofree float *Xt = g_new (float, (gsize) c * hw);
  g_autofree double *mean_act = g_new0 (double, hw);

  for (int k = 0; k < c; k++)
    {
      const float *xk = x + (gsize) k * hw;
      float *out = Xt + (gsize) k * hw;
      double m = 0.0;
      for (int j = 0; j < hw; j++)
        m += xk[j];
      m /= hw;
      for (int j = 0; j < hw; j++)
        {
          out[j] = (float) (xk[j] - m);
          mean_act[j] += xk[j];
        }
    }
  for (int j = 0; j < hw; j++)
    mean_act[j] /= c;
  eigen_map_centred (Xt, mean_act, c, hw, map);
}

void
_mcam_eigen_map_scaled (const float *f, const float *mean, const float *s, int c, int hw,
                        float *map)
{
  /* Channel k of x = diag(s) f is s_k f_k, its mean s_k times f_k's: the
   * centred data is one float multiply-add per entry and x is never formed.
   * The mean activation Σ_k s_k f[k, j] / c is fᵀ s, one matrix-vector product. */
  g_autofree float *Xt = g_new (float, (gsize) c * hw);
  g_autofree float *own_mean = NULL;
  g_autofree float *xs = g_new (float, hw);
  g_autofree double *mean_act = g_new (double, hw);

  if (mean == NULL)
    {
      own_mean = g_new (float, c);
      for (int k = 0; k < c; k++)
        {
          double m = 0.0;
          for (int j = 0; j < hw; j++)
            m += f[(gsize) k * hw + j];
          own_mean[k] = (float) (m / hw);
        }
      mean = own_mean;
    }
  for (int k = 0; k < c; k++)
    {
      const float *fk = f + (gsize) k * hw;
      float *out = Xt + (gsize) k * hw;
      float sk = s[k], off = s[k] * mean[k];
      for (int j = 0; j < hw; j++)
        out[j] = sk * fk[j] - off;
    }
  mcam_sgemv (TRUE, c, hw, 1.0f / c, f, hw, s, 0.0f, xs);
  for (int j = 0; j < hw; j++)
    mean_act[j] = xs[j];
  eigen_map_centred (Xt, mean_act, c, hw, map);
}

gboolean
_mcam_eigen_maps_scaled_all (const float *f, const float *mean, const float *S, int n, int c,
                             int hw, float *maps)
{
  /* Every class's Gram matrix at once: G_s[i, j] = Σ_k s_k² fc[k, i] fc[k, j]
   * with fc the centred f, i.e. the n × c squared scales times the c × P
   * products of each position pair (i <= j, P = hw(hw+1)/2): one GEMM in
   * place of n small ones, and half their products. */
  int P = hw * (hw + 1) / 2;
  if (hw > c || (gsize) P * (c + n) > ((gsize) 1 << 26))
    return FALSE;   /* the c × c route, or more memory than it is worth */

  g_autofree float *pairs = g_new (float, (gsize) c * P);
  g_autofree float *S2 = g_new (float, (gsize) n * c);
  g_autofree float *grams = g_new (float, (gsize) n * P);
  g_autofree float *means = g_new (float, (gsize) n * hw);
  g_autofree float *fc = g_new (float, hw);
  g_autofree float *Gf = g_new (float, (gsize) hw * hw);
  g_autofree double *mean_act = g_new (double, hw);

  for (int k = 0; k < c; k++)
    {
      const float *fk = f + (gsize) k * hw;
      float *row = pairs + (gsize) k * P;
      for (int j = 0; j < hw; j++)
        fc[j] = fk[j] - mean[k];
      for (int i = 0, t = 0; i < hw; i++)
        for (int j = i; j < hw; j++)
          row[t++] = fc[i] * fc[j];
    }
  for (gsize i = 0; i < (gsize) n * c; i++)
    S2[i] = S[i] * S[i];
  mcam_sgemm (FALSE, FALSE, n, P, c, 1.0f, S2, c, pairs, P, 0.0f, grams, P);
  /* The mean activations Σ_k s_k f[k, j] / c of every class: S f / c. */
  mcam_sgemm (FALSE, FALSE, n, hw, c, 1.0f / c, S, c, f, hw, 0.0f, means, hw);

  for (int s = 0; s < n; s++)
    {
      const float *g = grams + (gsize) s * P;
      for (int i = 0, t = 0; i < hw; i++)
        for (int j = i; j < hw; j++, t++)
          Gf[(gsize) i * hw + j] = Gf[(gsize) j * hw + i] = g[t];
      for (int j = 0; j < hw; j++)
        mean_act[j] = means[(gsize) s * hw + j];
      _mcam_eigen_map_from_gram (Gf, hw, mean_act, hw, maps + (gsize) s * hw);
    }
  return TRUE;
}
