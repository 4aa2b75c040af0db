/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Explanation-quality metrics (DESIGN 5, docs/METRICS.md): the scorer, the
 * fill images, Average Drop / Increase in Confidence, deletion / insertion,
 * the pointing game and the bias lens. ROAD is in mcam-metrics-road.c,
 * Infidelity and Max-Sensitivity in mcam-metrics-yeh.c. */

#include "config.h"

#include <math.h>
#include <string.h>

#include "mcam/mcam-error.h"
#include "mcam/mcam-metrics.h"
#include "mcam-grad.h"
#include "mcam-metrics-private.h"

static const char *const fill_names[] = { "black", "mean", "blur" };

const char *
mcam_fill_get_name (McamFill fill)
{
  g_return_val_if_fail ((int) fill >= 0 && fill < G_N_ELEMENTS (fill_names), NULL);
  return fill_names[fill];
}

gboolean
mcam_fill_from_name (const char *name, McamFill *out)
{
  for (guint i = 0; i < G_N_ELEMENTS (fill_names); i++)
    if (g_strcmp0 (name, fill_names[i]) == 0)
      {
        *out = (McamFill) i;
        return TRUE;
      }
  return FALSE;
}

/* ---- the scorer ---- */

typedef struct
{
  McamNet    *net;
  McamMemory *memory;   /* NULL: the target network's own head */
} NetScorer;

static gboolean
net_score_func (gpointer user_data, const float *inputs, int batch, float *scores,
                GCancellable *cancellable, GError **error)
{
  NetScorer *ns = user_data;
  const McamNetInfo *info = mcam_net_get_info (ns->net);
  gint64 shape[4] = { batch, 3, info->preprocess.height, info->preprocess.width };
  g_autoptr(McamTensor) in = mcam_tensor_new_view ((float *) inputs, 4, shape);
  g_autoptr(McamTensor) features = NULL;
  g_autoptr(McamTensor) logits = NULL;
  int C = info->n_classes;

  if (ns->memory == NULL)
    {
      if (!mcam_net_forward (ns->net, in, NULL, &logits, cancellable, error))
        return FALSE;
    }
  else
    {
      gsize fsize = (gsize) info->feat_c * info->feat_h * info->feat_w;
      if (!mcam_net_forward (ns->net, in, &features, NULL, cancellable, error))
        return FALSE;
      logits = mcam_tensor_new_2d (batch, C);
      for (int b = 0; b < batch; b++)
        _mcam_memory_head_logits (ns->memory, features->data + b * fsize,
                                  logits->data + (gsize) b * C);
    }
  for (int b = 0; b < batch; b++)
    mcam_net_scores (ns->net, logits->data + (gsize) b * C, scores + (gsize) b * C);
  return TRUE;
}

/* The scorer keeps a pointer to this; one per (net, memory, head) is enough,
 * so they live in a small table that lives as long as the process. */
static NetScorer *
net_scorer_get (McamNet *net, McamMemory *memory)
{
  static GMutex lock;
  static GPtrArray *all = NULL;
  NetScorer *found = NULL;

  g_mutex_lock (&lock);
  if (all == NULL)
    all = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < all->len && found == NULL; i++)
    {
      NetScorer *ns = g_ptr_array_index (all, i);
      if (ns->net == net && ns->memory == memory)
        found = ns;
    }
  if (found == NULL)
    {
      found = g_new0 (NetScorer, 1);
      found->net = net;
      found->memory = memory;
      g_ptr_array_add (all, found);
    }
  g_mutex_unlock (&lock);
  return found;
}

void
mcam_scorer_init_net (McamScorer *s, McamNet *net, McamMemory *memory,
                      gboolean memory_classifier)
{
  const McamNetInfo *info = mcam_net_get_info (net);

  memset (s, 0, sizeof *s);
  s->height = info->preprocess.height;
  s->width = info->preprocess.width;
  s->n_classes = info->n_classes;
  for (int ch = 0; ch < 3; ch++)
    s->black[ch] = -info->preprocess.mean[ch] / info->preprocess.std[ch];
  s->max_batch = 16;
  s->func = net_score_func;
  s->user_data = net_scorer_get (net, memory_classifier ? memory : NULL);
}

gboolean
mcam_scorer_run (const McamScorer *s, const float *inputs, int batch, float *scores,
                 GCancellable *cancellable, GError **error)
{
  gsize isize = (gsize) 3 * s->height * s->width;
  int step = s->max_batch > 0 ? s->max_batch : batch;

  for (int start = 0; start < batch; start += step)
    {
      int nb = MIN (step, batch - start);
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      if (!s->func (s->user_data, inputs + start * isize, nb,
                    scores + (gsize) start * s->n_classes, cancellable, error))
        return FALSE;
    }
  return TRUE;
}

/* ---- fill images ---- */

static void
gaussian_blur_plane (const float *src, int H, int W, double sigma, float *dst)
{
  int r = MAX (1, (int) ceil (3.0 * sigma));
  g_autofree double *k = g_new (double, 2 * r + 1);
  g_autofree float *tmp = g_new (float, (gsize) H * W);
  double ks = 0.0;

  for (int i = -r; i <= r; i++)
    ks += k[i + r] = exp (-0.5 * i * i / (sigma * sigma));
  for (int i = 0; i <= 2 * r; i++)
    k[i] /= ks;

  /* Separable, edges clamped. */
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      {
        double s = 0.0;
        for (int i = -r; i <= r; i++)
          s += k[i + r] * src[(gsize) y * W + CLAMP (x + i, 0, W - 1)];
        tmp[(gsize) y * W + x] = (float) s;
      }
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      {
        double s = 0.0;
        for (int i = -r; i <= r; i++)
          s += k[i + r] * tmp[(gsize) CLAMP (y + i, 0, H - 1) * W + x];
        dst[(gsize) y * W + x] = (float) s;
      }
}

void
mcam_metrics_fill_image (const McamScorer *s, const float *x, McamFill fill, float *out)
{
  int H = s->height, W = s->width;
  gsize hw = (gsize) H * W;

  for (int ch = 0; ch < 3; ch++)
    {
      const float *xc = x + ch * hw;
      float *oc = out + ch * hw;
      switch (fill)
        {
        case MCAM_FILL_BLACK:
          for (gsize j = 0; j < hw; j++)
            oc[j] = s->black[ch];
          break;
        case MCAM_FILL_MEAN:
          {
            double m = 0.0;
            for (gsize j = 0; j < hw; j++)
              m += xc[j];
            m /= hw;
            for (gsize j = 0; j < hw; j++)
              oc[j] = (float) m;
          }
          break;
        case MCAM_FILL_BLUR:
        default:
          /* Preprocessing is affine per channel, so blurring the normalised
           * plane is blurring the pixels. */
          gaussian_blur_plane (xc, H, W, 0.05 * MAX (H, W), oc);
          break;
        }
    }
}

void
mcam_metrics_blend (const float *x, const float *base, const float *m, int hw, float *out)
{
  for (int ch = 0; ch < 3; ch++)
    for (int j = 0; j < hw; j++)
      {
        gsize i = (gsize) ch * hw + j;
        out[i] = m[j] * x[i] + (1.0f - m[j]) * base[i];
      }
}

/* ---- Average Drop, Increase in Confidence ---- */

gboolean
mcam_metric_confidence (const McamScorer *s, const float *x, const float *m,
                        int class_index, McamFill fill, double *Y, double *O,
                        GCancellable *cancellable, GError **error)
{
  gsize hw = (gsize) s->height * s->width;
  g_autofree float *batch = g_new (float, 2 * 3 * hw);
  g_autofree float *base = g_new (float, 3 * hw);
  g_autofree float *scores = g_new (float, 2 * (gsize) s->n_classes);

  memcpy (batch, x, sizeof (float) * 3 * hw);
  mcam_metrics_fill_image (s, x, fill, base);
  mcam_metrics_blend (x, base, m, hw, batch + 3 * hw);
  if (!mcam_scorer_run (s, batch, 2, scores, cancellable, error))
    return FALSE;
  *Y = scores[class_index];
  *O = scores[s->n_classes + class_index];
  return TRUE;
}

double
mcam_average_drop (const double *Y, const double *O, gsize n)
{
  double s = 0.0;
  if (n == 0)
    return NAN;
  for (gsize i = 0; i < n; i++)
    if (Y[i] > 0.0)
      s += MAX (0.0, Y[i] - O[i]) / Y[i];
  return 100.0 * s / n;
}

double
mcam_increase_in_confidence (const double *Y, const double *O, gsize n)
{
  gsize k = 0;
  if (n == 0)
    return NAN;
  for (gsize i = 0; i < n; i++)
    if (O[i] > Y[i])
      k++;
  return 100.0 * k / n;
}

/* ---- deletion / insertion ---- */

static int
compare_by_map_desc (const void *pa, const void *pb, gpointer user_data)
{
  const float *m = user_data;
  int a = *(const int *) pa, b = *(const int *) pb;
  if (m[a] != m[b])
    return m[a] > m[b] ? -1 : 1;
  return a - b;
}

/* Pixel indices by decreasing map value (ties in row-major order). */
int *
_mcam_metrics_order_desc (const float *m, gsize hw)
{
  int *order = g_new (int, hw);
  for (gsize j = 0; j < hw; j++)
    order[j] = (int) j;
  g_qsort_with_data (order, (gint) hw, sizeof (int), compare_by_map_desc, (gpointer) m);
  return order;
}

static double
trapezoid (const double *y, int n_steps)
{
  double s = 0.0;
  for (int i = 0; i < n_steps; i++)
    s += 0.5 * (y[i] + y[i + 1]) / n_steps;
  return s;
}

gboolean
mcam_metric_deletion_insertion (const McamScorer *s, const float *x, const float *m,
                                int class_index, McamFill deletion_fill,
                                int n_steps, double *deletion_auc,
                                double *insertion_auc,
                                GCancellable *cancellable, GError **error)
{
  gsize hw = (gsize) s->height * s->width, isize = 3 * hw;
  int n = n_steps + 1;
  g_autofree int *order = _mcam_metrics_order_desc (m, hw);
  g_autofree float *del_base = g_new (float, isize);
  g_autofree float *ins_base = g_new (float, isize);
  g_autofree float *batch = g_new (float, isize * n);
  g_autofree float *scores = g_new (float, (gsize) n * s->n_classes);
  g_autofree double *curve = g_new (double, n);

  g_return_val_if_fail (n_steps >= 1, FALSE);
  mcam_metrics_fill_image (s, x, deletion_fill, del_base);
  mcam_metrics_fill_image (s, x, MCAM_FILL_BLUR, ins_base);

  for (int pass = 0; pass < 2; pass++)
    {
      /* Deletion: start from x, replace the top pixels by the fill.
       * Insertion: start from the blurred x, put the top pixels back. */
      const float *start = pass == 0 ? x : ins_base;
      const float *other = pass == 0 ? del_base : x;
      for (int i = 0; i < n; i++)
        {
          float *xb = batch + i * isize;
          gsize k = (gsize) llround ((double) i * hw / n_steps);
          memcpy (xb, start, sizeof (float) * isize);
          for (gsize t = 0; t < k; t++)
            for (int ch = 0; ch < 3; ch++)
              xb[ch * hw + order[t]] = other[ch * hw + order[t]];
        }
      if (!mcam_scorer_run (s, batch, n, scores, cancellable, error))
        return FALSE;
      for (int i = 0; i < n; i++)
        curve[i] = scores[(gsize) i * s->n_classes + class_index];
      if (pass == 0)
        *deletion_auc = trapezoid (curve, n_steps);
      else
        *insertion_auc = trapezoid (curve, n_steps);
    }
  return TRUE;
}

/* ---- pointing game, bias lens ---- */

gboolean
mcam_map_peak (const float *map, int width, int height, int *x, int *y)
{
  gsize n = (gsize) width * height, best = 0;
  for (gsize j = 1; j < n; j++)
    if (map[j] > map[best])
      best = j;
  *x = (int) (best % width);
  *y = (int) (best / width);
  return n > 0 && map[best] > 0.0f;
}

double
mcam_box_distance (const McamBox *box, int x, int y)
{
  /* The pixel's centre against the box's edges (pixel x spans [x, x+1]). */
  double px = x + 0.5, py = y + 0.5;
  double dx = MAX (MAX (box->x0 - px, 0.0), px - box->x1);
  double dy = MAX (MAX (box->y0 - py, 0.0), py - box->y1);
  return sqrt (dx * dx + dy * dy);
}

gboolean
mcam_pointing_hit (const McamBox *boxes, int n_boxes, int class_index,
                   int x, int y, double tolerance)
{
  for (int i = 0; i < n_boxes; i++)
    if (boxes[i].class_index == class_index &&
        mcam_box_distance (&boxes[i], x, y) <= tolerance)
      return TRUE;
  return FALSE;
}

int
mcam_bias_lens_landing (const McamBox *boxes, int n_boxes, int class_index,
                        int x, int y, double tolerance)
{
  int best = -1;
  double best_d = INFINITY;

  if (mcam_pointing_hit (boxes, n_boxes, class_index, x, y, tolerance))
    return class_index;
  for (int i = 0; i < n_boxes; i++)
    {
      double d;
      if (boxes[i].class_index == class_index)
        continue;
      d = mcam_box_distance (&boxes[i], x, y);
      if (d <= tolerance && d < best_d)
        {
          best_d = d;
          best = boxes[i].class_index;
        }
    }
  return best;
}

/* ---- tallies ---- */

McamPointingTally *
mcam_pointing_tally_new (int n_classes)
{
  McamPointingTally *t = g_new0 (McamPointingTally, 1);
  t->n_classes = n_classes;
  t->pairs = g_new0 (int, n_classes);
  t->hits = g_new0 (int, n_classes);
  t->landing = g_new0 (int, (gsize) n_classes * (n_classes + 2));
  return t;
}

void
mcam_pointing_tally_free (McamPointingTally *t)
{
  if (t == NULL)
    return;
  g_free (t->pairs);
  g_free (t->hits);
  g_free (t->landing);
  g_free (t);
}

int
mcam_pointing_tally_add (McamPointingTally *t, const McamBox *boxes, int n_boxes,
                         int class_index, const float *map, int width, int height,
                         double tolerance)
{
  gboolean has_box = FALSE;
  int x, y, column;

  g_return_val_if_fail (class_index >= 0 && class_index < t->n_classes, -1);
  for (int i = 0; i < n_boxes; i++)
    has_box |= boxes[i].class_index == class_index;
  if (!has_box)
    return -1;

  t->pairs[class_index]++;
  t->total_pairs++;
  if (!mcam_map_peak (map, width, height, &x, &y))
    column = MCAM_LANDING_NO_MAP (t);
  else
    {
      int landing = mcam_bias_lens_landing (boxes, n_boxes, class_index, x, y, tolerance);
      column = landing >= 0 ? landing : MCAM_LANDING_BACKGROUND (t);
      if (landing == class_index)
        {
          t->hits[class_index]++;
          t->total_hits++;
        }
    }
  t->landing[(gsize) class_index * (t->n_classes + 2) + column]++;
  return column;
}

double
mcam_pointing_tally_rate (const McamPointingTally *t, int class_index)
{
  if (class_index < 0)
    return t->total_pairs ? (double) t->total_hits / t->total_pairs : NAN;
  return t->pairs[class_index] ? (double) t->hits[class_index] / t->pairs[class_index] : NAN;
}
