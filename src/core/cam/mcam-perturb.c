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

/* The perturbed passes do not depend on the class: one round gives the
 * weights of every class. A one-entry cache per method keeps them, keyed by
 * everything the weights depend on (the head's parameters as given by the
 * caller, f, the channel set, the input), so explaining every class of an
 * image costs one round. */
typedef struct
{
  GBytes *key;
  float  *w_all;   /* [C, c] */
  int     C, c;
} PerturbCache;

static GMutex cache_lock;
static PerturbCache caches[2];   /* 0: Ablation-CAM, 1: Score-CAM */

static GBytes *
cache_key (GBytes *head_id, const float *f, gsize fn, const int *channels, int n_channels,
           const float *input, gsize in_n)
{
  GByteArray *k = g_byte_array_new ();
  gsize hid_n = 0;
  const guint8 *hid = head_id ? g_bytes_get_data (head_id, &hid_n) : NULL;
  guint64 sizes[4] = { hid_n, fn, (guint64) n_channels, in_n };

  g_byte_array_append (k, (const guint8 *) sizes, sizeof sizes);
  if (hid_n)
    g_byte_array_append (k, hid, hid_n);
  g_byte_array_append (k, (const guint8 *) f, sizeof (float) * fn);
  if (channels)
    g_byte_array_append (k, (const guint8 *) channels, sizeof (int) * n_channels);
  if (input)
    g_byte_array_append (k, (const guint8 *) input, sizeof (float) * in_n);
  return g_byte_array_free_to_bytes (k);
}

static gboolean
cache_lookup (int kind, GBytes *key, int C, int c, int class_index, float *w)
{
  gboolean hit = FALSE;
  g_mutex_lock (&cache_lock);
  if (caches[kind].key && caches[kind].C == C && caches[kind].c == c &&
      g_bytes_equal (caches[kind].key, key))
    {
      memcpy (w, caches[kind].w_all + (gsize) class_index * c, sizeof (float) * c);
      hit = TRUE;
    }
  g_mutex_unlock (&cache_lock);
  return hit;
}

static void
cache_store (int kind, GBytes *key, int C, int c, float *w_all /* taken */)
{
  g_mutex_lock (&cache_lock);
  g_clear_pointer (&caches[kind].key, g_bytes_unref);
  g_free (caches[kind].w_all);
  caches[kind].key = g_bytes_ref (key);
  caches[kind].w_all = w_all;
  caches[kind].C = C;
  caches[kind].c = c;
  g_mutex_unlock (&cache_lock);
}

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
_mcam_ablation_weights (McamFeatureHeadFunc head, gpointer user_data, GBytes *head_id,
                        const float *f, int c, int hw, int n_classes,
                        int class_index, const int *channels, int n_channels,
                        float *w, GCancellable *cancellable, GError **error)
{
  gsize fsize = (gsize) c * hw;
  int batch_max = MAX (1, MIN (ABLATION_BATCH, n_channels));
  g_autofree float *logits = g_new (float, (gsize) batch_max * n_classes);
  g_autofree float *y = g_new (float, n_classes);
  g_autofree float *batch = NULL;
  g_autofree float *w_all = NULL;
  g_autoptr(GBytes) key = NULL;

  if (head_id != NULL)
    {
      key = cache_key (head_id, f, fsize, channels, channels ? n_channels : 0, NULL, 0);
      if (cache_lookup (0, key, n_classes, c, class_index, w))
        return TRUE;
    }

  w_all = g_new0 (float, (gsize) n_classes * c);
  if (!head (user_data, f, 1, y, error))
    return FALSE;

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
          for (int cls = 0; cls < n_classes; cls++)
            w_all[(gsize) cls * c + k] = y[cls] - logits[(gsize) b * n_classes + cls];
        }
    }
  memcpy (w, w_all + (gsize) class_index * c, sizeof (float) * c);
  if (key != NULL)
    cache_store (0, key, n_classes, c, g_steal_pointer (&w_all));
  return TRUE;
}

#define SCORECAM_BATCH 16

gboolean
_mcam_scorecam_weights (const McamScorer *scorer, GBytes *head_id, const float *input,
                        const float *f, int c, int fh, int fw, int class_index,
                        const int *channels, int n_channels, float *w,
                        GCancellable *cancellable, GError **error)
{
  int H = scorer->height, W = scorer->width, C = scorer->n_classes;
  gsize hw = (gsize) H * W, isize = 3 * hw;
  int batch_max = MAX (1, MIN (SCORECAM_BATCH, n_channels));
  g_autofree float *batch = g_new (float, isize * batch_max);
  g_autofree float *scores = g_new (float, (gsize) batch_max * C);
  g_autofree float *base = g_new (float, C);
  g_autofree float *mask = g_new (float, hw);
  g_autofree int *chan_of = g_new (int, batch_max);
  g_autofree float *w_all = NULL;
  g_autoptr(GBytes) key = NULL;

  if (head_id != NULL)
    {
      key = cache_key (head_id, f, (gsize) c * fh * fw, channels, channels ? n_channels : 0,
                       input, isize);
      if (cache_lookup (1, key, C, c, class_index, w))
        return TRUE;
    }
  w_all = g_new0 (float, (gsize) C * c);

  /* s(x_b): the baseline is 0 in the preprocessed input. */
  memset (batch, 0, sizeof (float) * isize);
  if (!mcam_scorer_run (scorer, batch, 1, base, cancellable, error))
    return FALSE;

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
        for (int cls = 0; cls < C; cls++)
          w_all[(gsize) cls * c + chan_of[b]] = scores[(gsize) b * C + cls] - base[cls];
    }
  memcpy (w, w_all + (gsize) class_index * c, sizeof (float) * c);
  if (key != NULL)
    cache_store (1, key, C, c, g_steal_pointer (&w_all));
  return TRUE;
}
