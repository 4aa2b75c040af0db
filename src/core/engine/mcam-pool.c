/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Max pooling and (adaptive) average pooling of the CNN engine. */

#include "config.h"

#include <math.h>

#include "mcam-conv.h"
#include "mcam-dwconv.h"
#include "mcam-parallel.h"
#include "mcam-pool.h"

/* One output row of one plane: the window's rows [y0, y1) are valid; columns
 * are clipped per output. Separate from the naive version so the common
 * 3x3/2 case stays a tight loop. */
static void
maxpool_plane (const float *in, int H, int W, int k, int s, int p,
               int oh, int ow, float *out)
{
  if (mcam_maxpool_plane (in, H, W, k, s, p, out, oh, ow))   /* vectorised */
    return;
  for (int oy = 0; oy < oh; oy++)
    {
      int y0 = MAX (oy * s - p, 0), y1 = MIN (oy * s - p + k, H);

      for (int ox = 0; ox < ow; ox++)
        {
          int x0 = MAX (ox * s - p, 0), x1 = MIN (ox * s - p + k, W);
          float m = -INFINITY;

          for (int y = y0; y < y1; y++)
            {
              const float *row = in + (gsize) y * W;
              for (int x = x0; x < x1; x++)
                m = row[x] > m ? row[x] : m;
            }
          out[(gsize) oy * ow + ox] = m;
        }
    }
}

typedef struct
{
  const float *in;
  float       *out;
  gsize        n_planes;
  int          H, W, k, s, p, oh, ow, pieces;
} PoolJob;

static void
maxpool_piece (gpointer data, int i)
{
  PoolJob *j = data;
  gsize a = j->n_planes * i / j->pieces, e = j->n_planes * (i + 1) / j->pieces;

  for (gsize c = a; c < e; c++)
    maxpool_plane (j->in + c * j->H * j->W, j->H, j->W, j->k, j->s, j->p, j->oh, j->ow,
                   j->out + c * j->oh * j->ow);
}

void
mcam_maxpool2d (const float *in, gsize n_planes, int H, int W,
                int k, int s, int p, float *out)
{
  PoolJob job = { in, out, n_planes, H, W, k, s, p,
                  mcam_conv_out_size (H, k, s, p), mcam_conv_out_size (W, k, s, p),
                  (int) MIN (n_planes, 8) };

  /* planes are independent: split them over the engine's threads */
  if (n_planes * H * W >= 32768)
    mcam_parallel_for (job.pieces, maxpool_piece, &job);
  else
    for (int i = 0; i < job.pieces; i++)
      maxpool_piece (&job, i);
}

void
mcam_maxpool2d_naive (const float *in, gsize n_planes, int H, int W,
                      int k, int s, int p, float *out)
{
  int oh = mcam_conv_out_size (H, k, s, p), ow = mcam_conv_out_size (W, k, s, p);

  for (gsize i = 0; i < n_planes; i++)
    for (int oy = 0; oy < oh; oy++)
      for (int ox = 0; ox < ow; ox++)
        {
          float m = -INFINITY;

          for (int dy = 0; dy < k; dy++)
            for (int dx = 0; dx < k; dx++)
              {
                int y = oy * s - p + dy, x = ox * s - p + dx;
                if (y >= 0 && y < H && x >= 0 && x < W && in[(i * H + y) * W + x] > m)
                  m = in[(i * H + y) * W + x];
              }
          out[(i * oh + oy) * ow + ox] = m;
        }
}

void
mcam_adaptive_avgpool2d (const float *in, gsize n_planes, int H, int W,
                         int oh, int ow, float *out)
{
  for (gsize i = 0; i < n_planes; i++)
    {
      const float *plane = in + i * H * W;

      for (int oy = 0; oy < oh; oy++)
        {
          int y0 = (oy * H) / oh, y1 = ((oy + 1) * H + oh - 1) / oh;

          for (int ox = 0; ox < ow; ox++)
            {
              int x0 = (ox * W) / ow, x1 = ((ox + 1) * W + ow - 1) / ow;
              double acc = 0.0;

              for (int y = y0; y < y1; y++)
                for (int x = x0; x < x1; x++)
                  acc += plane[(gsize) y * W + x];
              out[(i * oh + oy) * ow + ox] = (float) (acc / ((y1 - y0) * (x1 - x0)));
            }
        }
    }
}

void
mcam_global_avgpool (const float *in, gsize n_planes, int H, int W, float *out)
{
  gsize hw = (gsize) H * W;

  for (gsize i = 0; i < n_planes; i++)
    {
      const float *plane = in + i * hw;
      /* float partial sums in 4 lanes (vectorisable), a double total */
      float acc[4] = { 0 };
      gsize j = 0;
      double total;

      for (; j + 4 <= hw; j += 4)
        for (int l = 0; l < 4; l++)
          acc[l] += plane[j + l];
      total = (double) acc[0] + acc[1] + acc[2] + acc[3];
      for (; j < hw; j++)
        total += plane[j];
      out[i] = (float) (total / hw);
    }
}
