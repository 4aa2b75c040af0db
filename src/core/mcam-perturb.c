/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The perturbation baselines (DESIGN 5): Ablation-CAM re-runs the head on
 * features with one channel zeroed, Score-CAM re-runs the whole network on
 * the image masked by each channel. Both in batches. */

#include "config.h"

#include <math.h>
#include <string.h>

#include "mcam/mcam-error.h"
#include "mcam/mcam-map.h"
#include "mcam-cam-methods.h"

#define ABLATION_BATCH 32

static int
compare_desc (const void *pa, const void *pb, gpointer user_data)
{
  const double *key = user_data;
  int a = *(const int *) pa, b = *(const int *) pb;
  if (key[a] != key[b])
    return key[a] > key[b] ? -1 : 1;
  return a - b;
}

int *
_mcam_top_channels (const float *f, int c, int hw, int k, int *n_out)
{
  if (k <= 0 || k >= c)
    {
      *n_out = c;
      return NULL;
    }
  g_autofree double *mean = g_new0 (double, c);
  int *idx = g_new (int, c);
  for (int i = 0; i < c; i++)
    {
      for (int j = 0; j < hw; j++)
        mean[i] += f[(gsize) i * hw + j];
      idx[i] = i;
    }
  g_qsort_with_data (idx, c, sizeof (int), compare_desc, mean);
  *n_out = k;
  return idx;
}

gboolean
_mcam_ablation_weights (McamFeatureHeadFunc head, gpointer user_data,
                        const float *f, int c, int hw, int n_classes,
                        int class_index, const int *channels, int n_channels,
                        float *w, GCancellable *cancellable, GError **error)
{
  gsize fsize = (gsize) c * hw;
  int batch_max = MIN (ABLATION_BATCH, n_channels);
  g_autofree float *logits = g_new (float, (gsize) MAX (batch_max, 1) * n_classes);
  g_autofree float *batch = NULL;
  float y;

  memset (w, 0, sizeof (float) * c);
  if (!head (user_data, f, 1, logits, error))
    return FALSE;
  y = logits[class_index];
  if (n_channels <= 0)
    return TRUE;

  batch = g_new (float, fsize * batch_max);
  for (int start = 0; start < n_channels; start += batch_max)
    {
      int nb = MIN (batch_max, n_channels - start);
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      for (int b = 0; b < nb; b++)
        {
          int k = channels ? channels[start + b] : start + b;
          float *fb = batch + b * fsize;
          memcpy (fb, f, sizeof (float) * fsize);
          memset (fb + (gsize) k * hw, 0, sizeof (float) * hw);
        }
      if (!head (user_data, batch, nb, logits, error))
        return FALSE;
      for (int b = 0; b < nb; b++)
        {
          int k = channels ? channels[start + b] : start + b;
          /* The slope of the paper divides this drop by y_c: a global
           * factor that only rescales the map, but flips it when y_c < 0,
           * so we keep the plain drop. */
          w[k] = y - logits[(gsize) b * n_classes + class_index];
        }
    }
  return TRUE;
}

#define SCORECAM_BATCH 16

gboolean
_mcam_scorecam_weights (const McamScorer *scorer, const float *input,
                        const float *f, int c, int fh, int fw, int class_index,
                        const int *channels, int n_channels, float *w,
                        GCancellable *cancellable, GError **error)
{
  int H = scorer->height, W = scorer->width, C = scorer->n_classes;
  gsize hw = (gsize) H * W, isize = 3 * hw;
  int batch_max = MAX (1, MIN (SCORECAM_BATCH, n_channels));
  g_autofree float *batch = g_new (float, isize * batch_max);
  g_autofree float *scores = g_new (float, (gsize) batch_max * C);
  g_autofree float *mask = g_new (float, hw);
  g_autofree int *chan_of = g_new (int, batch_max);
  double base;

  memset (w, 0, sizeof (float) * c);

  /* s_c(x_b): the baseline is 0 in the preprocessed input. */
  memset (batch, 0, sizeof (float) * isize);
  if (!mcam_scorer_run (scorer, batch, 1, scores, cancellable, error))
    return FALSE;
  base = scores[class_index];

  for (int start = 0; start < n_channels;)
    {
      int nb = 0;
      for (; start < n_channels && nb < batch_max; start++)
        {
          int k = channels ? channels[start] : start;
          float lo = INFINITY, hi = -INFINITY;
          float *xb = batch + nb * isize;

          mcam_map_upsample (f + (gsize) k * fh * fw, fh, fw, mask, H, W);
          for (gsize j = 0; j < hw; j++)
            {
              lo = MIN (lo, mask[j]);
              hi = MAX (hi, mask[j]);
            }
          /* A constant channel gives no mask to speak of: weight 0. */
          if (!(hi > lo))
            continue;
          for (gsize j = 0; j < hw; j++)
            mask[j] = (mask[j] - lo) / (hi - lo);
          for (int ch = 0; ch < 3; ch++)
            for (gsize j = 0; j < hw; j++)
              xb[ch * hw + j] = input[ch * hw + j] * mask[j];
          chan_of[nb++] = k;
        }
      if (nb == 0)
        continue;
      if (!mcam_scorer_run (scorer, batch, nb, scores, cancellable, error))
        return FALSE;
      for (int b = 0; b < nb; b++)
        w[chan_of[b]] = (float) (scores[(gsize) b * C + class_index] - base);
    }
  return TRUE;
}
