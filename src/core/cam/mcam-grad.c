/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A hand-written reverse pass through the two heads that baselines explain
 * (DESIGN 5): each operation's backward, chained. */

#include "config.h"

#include <math.h>
#include <string.h>

#include "mcam-grad.h"
#include "mcam-memory-private.h"

void
_mcam_gap_backward (const float *dq, int c, int hw, float *df)
{
  for (int k = 0; k < c; k++)
    {
      float g = dq[k] / (float) hw;
      float *row = df + (gsize) k * hw;
      for (int j = 0; j < hw; j++)
        row[j] = g;
    }
}

void
_mcam_linear_backward_input (const float *W, int n_out, int n_in, int ld,
                             const float *dy, float *dx)
{
  /* Accumulated in double: dx feeds every position of every channel. Rows
   * with dy = 0 contribute nothing; skipping them makes the usual one-hot
   * seed cost one row instead of the whole matrix. */
  g_autofree double *acc = g_new0 (double, n_in);
  for (int o = 0; o < n_out; o++)
    {
      const float *row = W + (gsize) o * ld;
      double g = dy[o];
      if (g == 0.0)
        continue;
      for (int i = 0; i < n_in; i++)
        acc[i] += g * row[i];
    }
  for (int i = 0; i < n_in; i++)
    dx[i] = (float) acc[i];
}

void
_mcam_softmax_backward (const float *p, const float *dp, int n, float *da)
{
  double dot = 0.0;
  for (int i = 0; i < n; i++)
    dot += (double) p[i] * dp[i];
  for (int i = 0; i < n; i++)
    da[i] = (float) (p[i] * (dp[i] - dot));
}

void
_mcam_address_logits_backward_add (const float *x, const float *M, int N, int dim,
                                   float scale, const float *da, float *dx)
{
  double nx2 = 0.0;
  for (int j = 0; j < dim; j++)
    nx2 += (double) x[j] * x[j];
  double nx = sqrt (nx2);

  for (int i = 0; i < N; i++)
    {
      const float *m = M + (gsize) i * dim;
      double dot = 0.0, nm2 = 0.0;
      for (int j = 0; j < dim; j++)
        {
          dot += (double) x[j] * m[j];
          nm2 += (double) m[j] * m[j];
        }
      double nm = sqrt (nm2);
      double denom = nx * nm;
      double g = (double) scale * da[i];
      if (g == 0.0)
        continue;
      if (denom < MCAM_COSINE_EPS)
        {
          /* The floor is a constant: cos = x·m / eps, d/dx = m / eps. */
          for (int j = 0; j < dim; j++)
            dx[j] += (float) (g * m[j] / MCAM_COSINE_EPS);
        }
      else
        {
          /* d/dx (x·m / (‖x‖‖m‖)) = m / (‖x‖‖m‖) − cos · x / ‖x‖². */
          double cosv = dot / denom;
          for (int j = 0; j < dim; j++)
            dx[j] += (float) (g * (m[j] / denom - cosv * x[j] / nx2));
        }
    }
}

void
_mcam_read_value_backward_p (const float *V, int N, int c, const float *dv, float *dp)
{
  for (int i = 0; i < N; i++)
    {
      double s = 0.0;
      const float *vi = V + (gsize) i * c;
      for (int k = 0; k < c; k++)
        s += (double) vi[k] * dv[k];
      dp[i] = (float) s;
    }
}

void
_mcam_grad_linear_head_q (const float *W, int n_classes, int c, int class_index, float *dq)
{
  g_autofree float *dlogits = g_new0 (float, n_classes);

  /* logits = W q + b; seed the reverse pass with e_class. */
  dlogits[class_index] = 1.0f;
  _mcam_linear_backward_input (W, n_classes, c, c, dlogits, dq);
}

void
_mcam_grad_linear_head (const float *W, int n_classes, int c, int hw,
                        int class_index, float *grad)
{
  g_autofree float *dq = g_new (float, c);

  /* q = GAP(f): the last step back to f. */
  _mcam_grad_linear_head_q (W, n_classes, c, class_index, dq);
  _mcam_gap_backward (dq, c, hw, grad);
}

void
_mcam_memory_head_logits (const McamMemory *mem, const float *f, float *z)
{
  int c = mem->c, N = mem->n_slots, hw = mem->h * mem->w;
  g_autofree float *q = g_new (float, c);
  g_autofree float *p = g_new (float, N);
  g_autofree float *v = g_new (float, c);

  _mcam_gap (f, c, hw, q);
  _mcam_address (q, mem->K, N, c, mem->scale, p);
  _mcam_read_value (mem, p, v);
  _mcam_memory_logits (mem, v, q, z);
}

void
_mcam_grad_memory_head_q (const McamMemory *mem, const float *f, int class_index, float *dq)
{
  int c = mem->c, N = mem->n_slots, C = mem->n_classes, hw = mem->h * mem->w;
  g_autofree float *q = g_new (float, c);
  g_autofree float *p = g_new (float, N);
  g_autofree float *dz = g_new0 (float, C);
  g_autofree float *dv = g_new (float, c);
  g_autofree float *dp = g_new (float, N);
  g_autofree float *da = g_new (float, N);

  /* Forward, keeping what the backward needs: q, p. */
  _mcam_gap (f, c, hw, q);
  _mcam_address (q, mem->K, N, c, mem->scale, p);

  /* z = fc([v ; q]): fc_w [C, 2c], v uses columns 0..c-1, q columns c..2c-1. */
  dz[class_index] = 1.0f;
  _mcam_linear_backward_input (mem->fc_w, C, c, 2 * c, dz, dv);
  _mcam_linear_backward_input (mem->fc_w + c, C, c, 2 * c, dz, dq);   /* direct q path */

  /* v = p V → p = softmax(a) → a_i = s cos(q, K_i): adds the addressing path to dq. */
  _mcam_read_value_backward_p (mem->V, N, c, dv, dp);
  _mcam_softmax_backward (p, dp, N, da);
  _mcam_address_logits_backward_add (q, mem->K, N, c, mem->scale, da, dq);
}

void
_mcam_grad_memory_head (const McamMemory *mem, const float *f, int class_index,
                        float *grad)
{
  g_autofree float *dq = g_new (float, mem->c);

  _mcam_grad_memory_head_q (mem, f, class_index, dq);
  _mcam_gap_backward (dq, mem->c, mem->h * mem->w, grad);
}
