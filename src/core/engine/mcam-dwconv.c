/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The vectorised depthwise plane of mcam-dwconv.h. */

#include "config.h"

#include <string.h>

#include "mcam-dwconv.h"
#include "mcam-multiversion.h"

typedef float V __attribute__ ((vector_size (64)));

#pragma GCC diagnostic ignored "-Wpsabi"

/* rows: kh·… padded rows, each `ld` floats apart; for stride 2, `rows` holds
 * the even columns and `odd` the odd ones (tap kx reads column ox + kx/2 of
 * one of them). */
MCAM_MULTIVERSION
static void
compute (const float *rows, const float *odd, gsize ld, const float *w, float bias, int kh,
         int kw, int s, float *y, int OH, int OW)
{
  const V vb = { bias, bias, bias, bias, bias, bias, bias, bias,
                 bias, bias, bias, bias, bias, bias, bias, bias };

  for (int oy = 0; oy < OH; oy++)
    {
      float *yr = y + (gsize) oy * OW;

      for (int ox = 0; ox < OW; ox += 16)
        {
          V acc = vb;

          for (int ky = 0; ky < kh; ky++)
            {
              gsize r = (gsize) (oy * s + ky) * ld;

              for (int kx = 0; kx < kw; kx++)
                {
                  const float *src = s == 1 ? rows + r + kx + ox
                                            : (kx & 1 ? odd : rows) + r + kx / 2 + ox;
                  float wv = w[ky * kw + kx];
                  V v;

                  memcpy (&v, src, sizeof v);
                  acc += v * wv;
                }
            }
          if (ox + 16 <= OW)
            memcpy (yr + ox, &acc, sizeof acc);
          else
            memcpy (yr + ox, &acc, sizeof (float) * (OW - ox));
        }
    }
}

gboolean
mcam_dwconv_plane (const float *x, int H, int W, const float *w, float bias, int kh, int kw,
                   int stride, int pt, int pl, float *y, int OH, int OW)
{
  int s = stride, PH = (OH - 1) * s + kh;
  int owr = (OW + 15) & ~15;
  /* a row: the columns the last vector of the widest tap reads, + slack;
   * a multiple of 16, so that it splits into two halves for stride 2 */
  gsize ld = ((gsize) owr * s + kw + 16 + 15) & ~(gsize) 15, plane = (gsize) PH * ld;
  g_autofree float *buf = NULL;
  float *p, *even = NULL, *odd = NULL;

  if ((s != 1 && s != 2) || kw > 7 || kh > 7 || OH <= 0 || OW <= 0)
    return FALSE;
  buf = g_malloc0 (sizeof (float) * plane * (s == 2 ? 2 : 1) + sizeof (float) * 16);
  p = buf;
  if (s == 2)
    {
      even = buf;
      odd = buf + plane / 2 + 8;
    }
  for (int r = 0; r < PH; r++)
    {
      int iy = r - pt;
      int c0 = MAX (0, pl), c1 = (int) MIN ((gsize) (pl + W), (gsize) ld);

      if (iy < 0 || iy >= H || c1 <= c0)
        continue;
      if (s == 1)
        memcpy (p + (gsize) r * ld + c0, x + (gsize) iy * W + (c0 - pl),
                sizeof (float) * (c1 - c0));
      else
        for (int c = c0; c < c1; c++)
          (c & 1 ? odd : even)[(gsize) r * (ld / 2) + c / 2] = x[(gsize) iy * W + c - pl];
    }
  if (s == 1)
    compute (p, NULL, ld, w, bias, kh, kw, 1, y, OH, OW);
  else
    compute (even, odd, ld / 2, w, bias, kh, kw, 2, y, OH, OW);
  return TRUE;
}
