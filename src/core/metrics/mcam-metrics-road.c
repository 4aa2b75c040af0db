/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ROAD (Rong et al., ICML 2022): RemOve And Debias — pixels removed in the
 * order of a map and imputed from their neighbours, so that the removal
 * itself leaks as little as possible about where the pixels were. */

#include "config.h"

#include <math.h>
#include <string.h>

#include "mcam/mcam-metrics.h"
#include "mcam-memory-private.h"
#include "mcam-metrics-private.h"

/* Neighbour weights of the noisy linear imputation: edges 1/6, corners 1/12. */
static const int nb_dx[8] = { -1, 1, 0, 0, -1, 1, -1, 1 };
static const int nb_dy[8] = { 0, 0, -1, 1, -1, -1, 1, 1 };
static const double nb_w[8] = { 1.0 / 6, 1.0 / 6, 1.0 / 6, 1.0 / 6,
                                1.0 / 12, 1.0 / 12, 1.0 / 12, 1.0 / 12 };

/* y = A u over the unknowns for the three channels at once (u and y are
 * [n_unk, 3]): A = D − W_uu, D the sum of the weights of all neighbours
 * inside the image (symmetric positive (semi)definite). nbr [n_unk, 8] holds
 * each neighbour's unknown index, or −1 (known or outside). */
static void
apply_system (const int *nbr, int n_unk, const double *diag, const double *u, double *y)
{
  for (int a = 0; a < n_unk; a++)
    {
      double s0 = diag[a] * u[3 * a], s1 = diag[a] * u[3 * a + 1], s2 = diag[a] * u[3 * a + 2];
      const int *nb = nbr + (gsize) a * 8;
      for (int t = 0; t < 8; t++)
        if (nb[t] >= 0)
          {
            const double *v = u + 3 * (gsize) nb[t];
            s0 -= nb_w[t] * v[0];
            s1 -= nb_w[t] * v[1];
            s2 -= nb_w[t] * v[2];
          }
      y[3 * a] = s0;
      y[3 * a + 1] = s1;
      y[3 * a + 2] = s2;
    }
}

/* A smooth first guess for the removed pixels ("push-pull"): average the
 * known pixels down a pyramid of 2×2 blocks, then fill each removed pixel
 * from the coarsest level that knows its neighbourhood. Conjugate gradients
 * converge slowly on the low frequencies of a large hole; this removes them. */
static void
push_pull (const float *x, const guint8 *removed, int H, int W, double *guess)
{
  int n_levels = 1;
  for (int h = H, w = W; h > 1 || w > 1; h = (h + 1) / 2, w = (w + 1) / 2)
    n_levels++;
  g_autofree int *lh = g_new (int, n_levels);
  g_autofree int *lw = g_new (int, n_levels);
  g_autofree double **val = g_new0 (double *, n_levels);
  g_autofree double **wt = g_new0 (double *, n_levels);

  lh[0] = H;
  lw[0] = W;
  val[0] = g_new (double, (gsize) H * W);
  wt[0] = g_new (double, (gsize) H * W);
  for (gsize j = 0; j < (gsize) H * W; j++)
    {
      wt[0][j] = removed[j] ? 0.0 : 1.0;
      val[0][j] = removed[j] ? 0.0 : x[j];
    }
  for (int l = 1; l < n_levels; l++)
    {
      lh[l] = (lh[l - 1] + 1) / 2;
      lw[l] = (lw[l - 1] + 1) / 2;
      val[l] = g_new0 (double, (gsize) lh[l] * lw[l]);
      wt[l] = g_new0 (double, (gsize) lh[l] * lw[l]);
      for (int y = 0; y < lh[l - 1]; y++)
        for (int xx = 0; xx < lw[l - 1]; xx++)
          {
            gsize c = (gsize) (y / 2) * lw[l] + xx / 2, f = (gsize) y * lw[l - 1] + xx;
            val[l][c] += wt[l - 1][f] * val[l - 1][f];
            wt[l][c] += wt[l - 1][f];
          }
      for (gsize j = 0; j < (gsize) lh[l] * lw[l]; j++)
        if (wt[l][j] > 0.0)
          {
            val[l][j] /= wt[l][j];
            wt[l][j] = 1.0;
          }
    }
  for (int l = n_levels - 2; l >= 0; l--)
    for (int y = 0; y < lh[l]; y++)
      for (int xx = 0; xx < lw[l]; xx++)
        {
          gsize f = (gsize) y * lw[l] + xx;
          if (wt[l][f] == 0.0)
            {
              val[l][f] = val[l + 1][(gsize) (y / 2) * lw[l + 1] + xx / 2];
              wt[l][f] = wt[l + 1][(gsize) (y / 2) * lw[l + 1] + xx / 2];
            }
        }
  memcpy (guess, val[0], sizeof (double) * H * W);
  for (int l = 0; l < n_levels; l++)
    {
      g_free (val[l]);
      g_free (wt[l]);
    }
}

/* The noise-free imputation of the three channels of x into out (all of
 * it: known pixels are copied). Large images first solve a half-size
 * version of the problem and start from it (a cascade: conjugate gradients
 * then only have the fine detail left to fix). */
static void
solve_imputation (const float *x, int H, int W, const guint8 *removed, float *out)
{
  gsize hw = (gsize) H * W;
  g_autofree int *index_of = g_new (int, hw);
  g_autofree int *unk = g_new (int, hw);
  int n_unk = 0;

  memcpy (out, x, sizeof (float) * 3 * hw);
  for (gsize j = 0; j < hw; j++)
    {
      index_of[j] = removed[j] ? n_unk : -1;
      if (removed[j])
        unk[n_unk++] = (int) j;
    }
  if (n_unk == 0)
    return;

  g_autofree int *nbr = g_new (int, (gsize) n_unk * 8);
  g_autofree double *diag = g_new (double, n_unk);
  /* The three channels share the system: vectors are [n_unk, 3]. */
  g_autofree double *b = g_new0 (double, 3 * (gsize) n_unk);
  g_autofree double *u = g_new (double, 3 * (gsize) n_unk);
  g_autofree double *r = g_new (double, 3 * (gsize) n_unk);
  g_autofree double *p = g_new (double, 3 * (gsize) n_unk);
  g_autofree double *Ap = g_new (double, 3 * (gsize) n_unk);
  g_autofree double *guess = g_new (double, hw);
  double rr[3] = { 0 }, bb[3] = { 0 }, tol[3];

  for (int a = 0; a < n_unk; a++)
    {
      int j = unk[a], px = j % W, py = j / W;
      diag[a] = 0.0;
      for (int t = 0; t < 8; t++)
        {
          int nx = px + nb_dx[t], ny = py + nb_dy[t];
          nbr[(gsize) a * 8 + t] = -1;
          if (nx < 0 || ny < 0 || nx >= W || ny >= H)
            continue;
          diag[a] += nb_w[t];
          if (removed[ny * W + nx])
            nbr[(gsize) a * 8 + t] = index_of[ny * W + nx];
          else
            for (int ch = 0; ch < 3; ch++)    /* known neighbours go to b */
              b[3 * a + ch] += nb_w[t] * x[ch * hw + ny * W + nx];
        }
    }
  if (H >= 16 && W >= 16)
    {
      /* The half-size problem: a coarse pixel is known when any of its 2×2
       * children is (their mean), removed when none is. */
      int Hc = (H + 1) / 2, Wc = (W + 1) / 2;
      gsize hwc = (gsize) Hc * Wc;
      g_autofree float *xc = g_new0 (float, 3 * hwc);
      g_autofree float *oc = g_new (float, 3 * hwc);
      g_autofree guint8 *rc = g_new (guint8, hwc);
      g_autofree int *cnt = g_new0 (int, hwc);
      for (int y = 0; y < H; y++)
        for (int xx = 0; xx < W; xx++)
          if (!removed[y * W + xx])
            {
              gsize cj = (gsize) (y / 2) * Wc + xx / 2;
              cnt[cj]++;
              for (int ch = 0; ch < 3; ch++)
                xc[ch * hwc + cj] += x[ch * hw + y * W + xx];
            }
      for (gsize cj = 0; cj < hwc; cj++)
        {
          rc[cj] = cnt[cj] == 0;
          for (int ch = 0; ch < 3 && cnt[cj] > 0; ch++)
            xc[ch * hwc + cj] /= cnt[cj];
        }
      solve_imputation (xc, Hc, Wc, rc, oc);
      for (int a = 0; a < n_unk; a++)
        {
          int j = unk[a];
          gsize cj = (gsize) ((j / W) / 2) * Wc + (j % W) / 2;
          for (int ch = 0; ch < 3; ch++)
            u[3 * a + ch] = oc[ch * hwc + cj];
        }
    }
  else
    for (int ch = 0; ch < 3; ch++)
      {
        push_pull (x + ch * hw, removed, H, W, guess);
        for (int a = 0; a < n_unk; a++)
          u[3 * a + ch] = guess[unk[a]];
      }

  /* Conjugate gradients, one per channel, in lockstep. Stopping at a
   * relative residual of 1e-5 leaves errors of about 2e-4 (measured against
   * a converged solve on holes of 10-90% of a 128×128 image), far below the
   * 0.01 imputation noise. */
  apply_system (nbr, n_unk, diag, u, Ap);
  for (gsize i = 0; i < 3 * (gsize) n_unk; i++)
    {
      r[i] = b[i] - Ap[i];
      p[i] = r[i];
      rr[i % 3] += r[i] * r[i];
      bb[i % 3] += b[i] * b[i];
    }
  for (int ch = 0; ch < 3; ch++)
    tol[ch] = 1e-10 * MAX (bb[ch], 1e-30);
  for (int it = 0; it < 4 * (H + W); it++)
    {
      double pAp[3] = { 0 }, rr_new[3] = { 0 }, alpha[3], beta[3];
      gboolean active[3], any = FALSE;
      for (int ch = 0; ch < 3; ch++)
        any |= active[ch] = rr[ch] > tol[ch];
      if (!any)
        break;
      apply_system (nbr, n_unk, diag, p, Ap);
      for (gsize i = 0; i < 3 * (gsize) n_unk; i++)
        pAp[i % 3] += p[i] * Ap[i];
      for (int ch = 0; ch < 3; ch++)
        {
          if (pAp[ch] <= 0.0)
            active[ch] = FALSE;
          alpha[ch] = active[ch] ? rr[ch] / pAp[ch] : 0.0;
        }
      for (gsize i = 0; i < 3 * (gsize) n_unk; i++)
        {
          int ch = i % 3;
          u[i] += alpha[ch] * p[i];
          r[i] -= alpha[ch] * Ap[i];
          rr_new[ch] += r[i] * r[i];
        }
      for (int ch = 0; ch < 3; ch++)
        {
          beta[ch] = active[ch] && rr[ch] > 0.0 ? rr_new[ch] / rr[ch] : 0.0;
          if (active[ch])
            rr[ch] = rr_new[ch];
          else
            rr[ch] = 0.0;   /* done: stays done */
        }
      for (gsize i = 0; i < 3 * (gsize) n_unk; i++)
        p[i] = active[i % 3] ? r[i] + beta[i % 3] * p[i] : 0.0;
    }

  for (int ch = 0; ch < 3; ch++)
    for (int a = 0; a < n_unk; a++)
      out[ch * hw + unk[a]] = (float) u[3 * a + ch];
}

void
mcam_road_impute (const float *x, int height, int width, const guint8 *removed,
                  double noise, guint64 seed, float *out)
{
  gsize hw = (gsize) height * width;
  McamRng rng;

  solve_imputation (x, height, width, removed, out);
  _mcam_rng_init (&rng, seed);
  for (int ch = 0; ch < 3; ch++)
    for (gsize j = 0; j < hw; j++)
      if (removed[j])
        out[ch * hw + j] += (float) (noise * _mcam_rng_normal (&rng));
}

gboolean
mcam_metric_road (const McamScorer *s, const float *x, const float *m,
                  int class_index, const double *fractions, int n_fractions,
                  guint64 seed, double *morf, double *lerf,
                  GCancellable *cancellable, GError **error)
{
  int H = s->height, W = s->width;
  gsize hw = (gsize) H * W, isize = 3 * hw;
  g_autofree int *order = _mcam_metrics_order_desc (m, hw);
  g_autofree guint8 *removed = g_new (guint8, hw);
  g_autofree float *batch = g_new (float, isize * 2 * n_fractions);
  g_autofree float *scores = g_new (float, (gsize) 2 * n_fractions * s->n_classes);

  for (int order_kind = 0; order_kind < 2; order_kind++)
    for (int i = 0; i < n_fractions; i++)
      {
        gsize k = (gsize) llround (CLAMP (fractions[i], 0.0, 1.0) * hw);
        memset (removed, 0, hw);
        for (gsize t = 0; t < k; t++)
          {
            /* MoRF removes from the top of the order, LeRF from the bottom. */
            int j = order_kind == 0 ? order[t] : order[hw - 1 - t];
            removed[j] = 1;
          }
        if (g_cancellable_set_error_if_cancelled (cancellable, error))
          return FALSE;
        mcam_road_impute (x, H, W, removed, 0.01, seed + (guint64) i,
                          batch + (gsize) (order_kind * n_fractions + i) * isize);
      }
  if (!mcam_scorer_run (s, batch, 2 * n_fractions, scores, cancellable, error))
    return FALSE;
  for (int i = 0; i < n_fractions; i++)
    {
      morf[i] = scores[(gsize) i * s->n_classes + class_index];
      lerf[i] = scores[(gsize) (n_fractions + i) * s->n_classes + class_index];
    }
  return TRUE;
}
