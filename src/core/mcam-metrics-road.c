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

/* y = A u over the unknowns: A = D − W_uu, D the sum of the weights of all
 * neighbours inside the image (symmetric positive (semi)definite). */
static void
apply_system (const int *unk, int n_unk, const int *index_of, const double *diag,
              int H, int W, const double *u, double *y)
{
  for (int a = 0; a < n_unk; a++)
    {
      int j = unk[a], x = j % W, yy = j / W;
      double s = diag[a] * u[a];
      for (int t = 0; t < 8; t++)
        {
          int nx = x + nb_dx[t], ny = yy + nb_dy[t];
          if (nx < 0 || ny < 0 || nx >= W || ny >= H)
            continue;
          int b = index_of[ny * W + nx];
          if (b >= 0)
            s -= nb_w[t] * u[b];
        }
      y[a] = s;
    }
}

void
mcam_road_impute (const float *x, int height, int width, const guint8 *removed,
                  double noise, guint64 seed, float *out)
{
  int H = height, W = width;
  gsize hw = (gsize) H * W;
  g_autofree int *index_of = g_new (int, hw);
  g_autofree int *unk = g_new (int, hw);
  int n_unk = 0;
  McamRng rng;

  memcpy (out, x, sizeof (float) * 3 * hw);
  for (gsize j = 0; j < hw; j++)
    {
      index_of[j] = removed[j] ? n_unk : -1;
      if (removed[j])
        unk[n_unk++] = (int) j;
    }
  if (n_unk == 0)
    return;

  g_autofree double *diag = g_new (double, n_unk);
  g_autofree double *b = g_new (double, n_unk);
  g_autofree double *u = g_new (double, n_unk);
  g_autofree double *r = g_new (double, n_unk);
  g_autofree double *p = g_new (double, n_unk);
  g_autofree double *Ap = g_new (double, n_unk);

  for (int a = 0; a < n_unk; a++)
    {
      int j = unk[a], px = j % W, py = j / W;
      diag[a] = 0.0;
      for (int t = 0; t < 8; t++)
        {
          int nx = px + nb_dx[t], ny = py + nb_dy[t];
          if (nx >= 0 && ny >= 0 && nx < W && ny < H)
            diag[a] += nb_w[t];
        }
    }

  _mcam_rng_init (&rng, seed);
  for (int ch = 0; ch < 3; ch++)
    {
      const float *xc = x + ch * hw;
      float *oc = out + ch * hw;
      double known_mean = 0.0;
      gsize n_known = hw - n_unk;

      /* b: the known neighbours' weighted values; start from the known mean. */
      for (gsize j = 0; j < hw; j++)
        if (!removed[j])
          known_mean += xc[j];
      known_mean = n_known ? known_mean / n_known : 0.0;
      for (int a = 0; a < n_unk; a++)
        {
          int j = unk[a], px = j % W, py = j / W;
          double s = 0.0;
          for (int t = 0; t < 8; t++)
            {
              int nx = px + nb_dx[t], ny = py + nb_dy[t];
              if (nx < 0 || ny < 0 || nx >= W || ny >= H)
                continue;
              if (!removed[ny * W + nx])
                s += nb_w[t] * xc[ny * W + nx];
            }
          b[a] = s;
          u[a] = known_mean;
        }

      /* Conjugate gradients on the symmetric system. */
      apply_system (unk, n_unk, index_of, diag, H, W, u, Ap);
      double rr = 0.0, bb = 0.0;
      for (int a = 0; a < n_unk; a++)
        {
          r[a] = b[a] - Ap[a];
          p[a] = r[a];
          rr += r[a] * r[a];
          bb += b[a] * b[a];
        }
      double tol = 1e-10 * MAX (bb, 1e-30);
      for (int it = 0; it < 4 * (H + W) && rr > tol; it++)
        {
          double pAp = 0.0, rr_new = 0.0;
          apply_system (unk, n_unk, index_of, diag, H, W, p, Ap);
          for (int a = 0; a < n_unk; a++)
            pAp += p[a] * Ap[a];
          if (pAp <= 0.0)
            break;
          double alpha = rr / pAp;
          for (int a = 0; a < n_unk; a++)
            {
              u[a] += alpha * p[a];
              r[a] -= alpha * Ap[a];
              rr_new += r[a] * r[a];
            }
          double beta = rr_new / rr;
          rr = rr_new;
          for (int a = 0; a < n_unk; a++)
            p[a] = r[a] + beta * p[a];
        }
      for (int a = 0; a < n_unk; a++)
        oc[unk[a]] = (float) (u[a] + noise * _mcam_rng_normal (&rng));
    }
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
