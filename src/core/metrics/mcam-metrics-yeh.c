/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Infidelity and Max-Sensitivity (Yeh, Hsieh, Suggala, Inouye, Ravikumar:
 * "On the (In)fidelity and Sensitivity of Explanations", NeurIPS 2019). */

#include "config.h"

#include <math.h>
#include <string.h>

#include "mcam/mcam-metrics.h"
#include "mcam-memory-private.h"

#define INFIDELITY_BATCH 16

gboolean
mcam_metric_infidelity (const McamScorer *s, const float *x, const float *m,
                        int class_index, int n_samples, double sigma,
                        guint64 seed, double *infidelity,
                        GCancellable *cancellable, GError **error)
{
  gsize hw = (gsize) s->height * s->width, isize = 3 * hw;
  int nb_max = MIN (INFIDELITY_BATCH, n_samples);
  g_autofree float *batch = g_new (float, isize * (nb_max + 1));
  g_autofree float *noise = g_new (float, isize * nb_max);
  g_autofree float *scores = g_new (float, (gsize) (nb_max + 1) * s->n_classes);
  g_autofree double *a = g_new (double, n_samples);     /* Iᵀ Φ */
  g_autofree double *d = g_new (double, n_samples);     /* s(x) − s(x − I) */
  double sx = 0.0;
  McamRng rng;

  g_return_val_if_fail (n_samples >= 1, FALSE);
  _mcam_rng_init (&rng, seed);

  memcpy (batch, x, sizeof (float) * isize);
  if (!mcam_scorer_run (s, batch, 1, scores, cancellable, error))
    return FALSE;
  sx = scores[class_index];

  for (int start = 0; start < n_samples; start += nb_max)
    {
      int nb = MIN (nb_max, n_samples - start);
      for (int b = 0; b < nb; b++)
        {
          float *I = noise + b * isize;
          float *xb = batch + b * isize;
          double dot = 0.0;
          for (gsize i = 0; i < isize; i++)
            {
              I[i] = (float) (sigma * _mcam_rng_normal (&rng));
              xb[i] = x[i] - I[i];
              dot += (double) I[i] * m[i % hw];
            }
          a[start + b] = dot;
        }
      if (!mcam_scorer_run (s, batch, nb, scores, cancellable, error))
        return FALSE;
      for (int b = 0; b < nb; b++)
        d[start + b] = sx - scores[(gsize) b * s->n_classes + class_index];
    }

  /* The explanation's scale is arbitrary (maps are normalised to [0,1]):
   * use the β that fits it best, β = Σ a d / Σ a², as Yeh et al. do. */
  double ad = 0.0, aa = 0.0, sum = 0.0;
  for (int i = 0; i < n_samples; i++)
    {
      ad += a[i] * d[i];
      aa += a[i] * a[i];
    }
  double beta = aa > 0.0 ? ad / aa : 0.0;
  for (int i = 0; i < n_samples; i++)
    sum += (beta * a[i] - d[i]) * (beta * a[i] - d[i]);
  *infidelity = sum / n_samples;
  return TRUE;
}

gboolean
mcam_metric_max_sensitivity (McamExplainFunc explain, gpointer user_data,
                             const float *x, int height, int width,
                             int class_index, int n_samples, double radius,
                             guint64 seed, double *sensitivity,
                             GCancellable *cancellable, GError **error)
{
  gsize hw = (gsize) height * width, isize = 3 * hw;
  g_autofree float *phi = g_new (float, hw);
  g_autofree float *phi_y = g_new (float, hw);
  g_autofree float *y = g_new (float, isize);
  double norm = 0.0, best = 0.0;
  McamRng rng;

  _mcam_rng_init (&rng, seed);
  if (!explain (user_data, x, class_index, phi, cancellable, error))
    return FALSE;
  for (gsize j = 0; j < hw; j++)
    norm += (double) phi[j] * phi[j];
  norm = sqrt (norm);

  for (int i = 0; i < n_samples; i++)
    {
      double diff = 0.0;
      for (gsize k = 0; k < isize; k++)
        y[k] = x[k] + (float) (radius * (2.0 * _mcam_rng_uniform (&rng) - 1.0));
      if (!explain (user_data, y, class_index, phi_y, cancellable, error))
        return FALSE;
      for (gsize j = 0; j < hw; j++)
        diff += ((double) phi_y[j] - phi[j]) * ((double) phi_y[j] - phi[j]);
      diff = sqrt (diff);
      if (norm > 0.0)
        diff /= norm;
      best = MAX (best, diff);
    }
  *sensitivity = best;
  return TRUE;
}
