/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The loss of DESIGN 4.2 and its gradient, by hand, batched with sgemm.
 *
 * For a batch of B images (features f [B, D], D = c·h·w, labels y [B, C]):
 *   q = GAP(f), v' = G(y) = G2 ReLU(G0 y + b0) + b2
 *   p = addr(q, K), p' = addr(v', V), p_s = addr(vec f, vec S_i)   (Eq. 1)
 *   v = p V, v_t = p' V, z = fc([v ; q]), z_t = fc([v_t ; q])
 *   L = BCE(z_t, y) + BCE(z, y) + mean_j (v_j − v_t,j)² + KL(p'‖p_s) + KL(p'‖p)
 * averaged over the batch; every term is differentiated (no stop-gradient).
 *
 * The backward pass, with l = s·cos the logits of an address:
 *   softmax:    dl_j = p_j (dp_j − Σ_i p_i dp_i)
 *   KL(P‖Q), P = softmax(a), Q = softmax(b):
 *               dKL/db = Q − P,   dKL/da = P ⊙ (log P − log Q − KL)
 *   cosine:     dcos/dx = m / (‖x‖‖m‖) − cos · x / ‖x‖²  (and symmetrically for m),
 *               when ‖x‖‖m‖ ≥ 1e-8; below that the denominator is the constant
 *               1e-8 and dcos/dx = m / 1e-8.
 * The frozen f (and so q) gets no gradient. Norms and per-row sums are
 * accumulated in double in a fixed order, so a batch gives the same bits
 * every time for a given OpenBLAS thread count. */

#include "config.h"

#include <math.h>
#include <string.h>

#include "mcam/mcam-blas.h"
#include "mcam-train-private.h"

void
_mcam_trainer_free_workspace (McamTrainer *tr)
{
  float **fbufs[] = {
    &tr->q, &tr->a1, &tr->r1, &tr->vp, &tr->cos_k, &tr->cos_v, &tr->cos_s, &tr->p,
    &tr->pv, &tr->ps, &tr->lp, &tr->lpv, &tr->lps, &tr->v, &tr->vt, &tr->zq, &tr->z,
    &tr->zt, &tr->dz, &tr->dzt, &tr->dv, &tr->dvt, &tr->dvp, &tr->dr1, &tr->dp, &tr->dpv,
    &tr->gl, &tr->ones,
  };
  double **dbufs[] = { &tr->nf, &tr->nq, &tr->nvp, &tr->nK, &tr->nV, &tr->nS, &tr->corr_x,
                       &tr->corr_m };

  for (gsize i = 0; i < G_N_ELEMENTS (fbufs); i++)
    g_clear_pointer (fbufs[i], g_free);
  for (gsize i = 0; i < G_N_ELEMENTS (dbufs); i++)
    g_clear_pointer (dbufs[i], g_free);
}

void
_mcam_trainer_alloc_workspace (McamTrainer *tr, int max_batch)
{
  gsize B = (gsize) max_batch, c = tr->mem->c, N = tr->mem->n_slots, C = tr->mem->n_classes;

  _mcam_trainer_free_workspace (tr);
  tr->max_batch = max_batch;

  tr->q = g_new0 (float, B * c);
  tr->a1 = g_new0 (float, B * c);
  tr->r1 = g_new0 (float, B * c);
  tr->vp = g_new0 (float, B * c);
  tr->v = g_new0 (float, B * c);
  tr->vt = g_new0 (float, B * c);
  tr->dv = g_new0 (float, B * c);
  tr->dvt = g_new0 (float, B * c);
  tr->dvp = g_new0 (float, B * c);
  tr->dr1 = g_new0 (float, B * c);
  tr->cos_k = g_new0 (float, B * N);
  tr->cos_v = g_new0 (float, B * N);
  tr->cos_s = g_new0 (float, B * N);
  tr->p = g_new0 (float, B * N);
  tr->pv = g_new0 (float, B * N);
  tr->ps = g_new0 (float, B * N);
  tr->lp = g_new0 (float, B * N);
  tr->lpv = g_new0 (float, B * N);
  tr->lps = g_new0 (float, B * N);
  tr->dp = g_new0 (float, B * N);
  tr->dpv = g_new0 (float, B * N);
  tr->gl = g_new0 (float, B * N);
  tr->zq = g_new0 (float, B * C);
  tr->z = g_new0 (float, B * C);
  tr->zt = g_new0 (float, B * C);
  tr->dz = g_new0 (float, B * C);
  tr->dzt = g_new0 (float, B * C);
  tr->ones = g_new (float, B);
  for (gsize b = 0; b < B; b++)
    tr->ones[b] = 1.0f;
  tr->nf = g_new0 (double, B);
  tr->nq = g_new0 (double, B);
  tr->nvp = g_new0 (double, B);
  tr->corr_x = g_new0 (double, B);
  tr->nK = g_new0 (double, N);
  tr->nV = g_new0 (double, N);
  tr->nS = g_new0 (double, N);
  tr->corr_m = g_new0 (double, N);
}

static void
row_norms (const float *X, int rows, gsize dim, double *out)
{
  for (int r = 0; r < rows; r++)
    {
      const float *x = X + (gsize) r * dim;
      double s = 0.0;
      for (gsize j = 0; j < dim; j++)
        s += (double) x[j] * x[j];
      out[r] = sqrt (s);
    }
}

static inline double
cos_denominator (double nx, double nm)
{
  double d = nx * nm;
  return d < MCAM_COSINE_EPS ? MCAM_COSINE_EPS : d;
}

/* Eq. (1) for a batch: cos [B, N], p = softmax(s·cos), lp = log p. */
static void
address_forward (const float *X, const double *nx, const float *M, const double *nm,
                 int B, int N, gsize dim, float scale, float *cos_out, float *p, float *lp)
{
  mcam_sgemm (FALSE, TRUE, B, N, (int) dim, 1.0f, X, (int) dim, M, (int) dim, 0.0f,
              cos_out, N);
  for (int b = 0; b < B; b++)
    {
      float *cb = cos_out + (gsize) b * N;
      float *pb = p + (gsize) b * N, *lb = lp + (gsize) b * N;
      double mx = -INFINITY, sum = 0.0, lse;

      for (int i = 0; i < N; i++)
        {
          cb[i] = (float) (cb[i] / cos_denominator (nx[b], nm[i]));
          lb[i] = scale * cb[i];
          if (lb[i] > mx)
            mx = lb[i];
        }
      for (int i = 0; i < N; i++)
        sum += exp (lb[i] - mx);
      lse = mx + log (sum);
      for (int i = 0; i < N; i++)
        {
          lb[i] = (float) (lb[i] - lse);
          pb[i] = expf (lb[i]);
        }
    }
}

/* Backward of the cosines. gl [B, N] holds dL/dlogits and is overwritten.
 * gM [N, dim] receives (beta 0) or accumulates (beta 1) dL/dM; gx [B, dim]
 * (nullable) receives dL/dX. */
/* G −= diag(corr) A, for `rows` rows of dim floats (the cosine's second
 * term, for the memory and for the addressing vectors alike). */
static void
subtract_diag_rows (float *G, const double *corr, const float *A, int rows, gsize dim)
{
  for (int i = 0; i < rows; i++)
    {
      float c = (float) corr[i];
      float *g = G + (gsize) i * dim;
      const float *a = A + (gsize) i * dim;
      if (c != 0.0f)
        for (gsize j = 0; j < dim; j++)
          g[j] -= c * a[j];
    }
}

static void
address_backward (McamTrainer *tr, float *gl, const float *X, const double *nx,
                  const float *M, const double *nm, const float *cos_v, int B, int N,
                  gsize dim, float scale, float *gM, float beta, float *gx)
{
  for (int i = 0; i < N; i++)
    tr->corr_m[i] = 0.0;
  for (int b = 0; b < B; b++)
    {
      double cx = 0.0;
      for (int i = 0; i < N; i++)
        {
          gsize bi = (gsize) b * N + i;
          double g = (double) scale * gl[bi];
          double den = nx[b] * nm[i];
          if (den >= MCAM_COSINE_EPS)
            {
              double gc = g * cos_v[bi];
              cx += gc;
              tr->corr_m[i] += gc / (nm[i] * nm[i]);
              gl[bi] = (float) (g / den);
            }
          else
            gl[bi] = (float) (g / MCAM_COSINE_EPS);
        }
      tr->corr_x[b] = nx[b] > 0.0 ? cx / (nx[b] * nx[b]) : 0.0;
    }

  /* dL/dM = W^T X − diag(corr_m) M */
  mcam_sgemm (TRUE, FALSE, N, (int) dim, B, 1.0f, gl, N, X, (int) dim, beta, gM, (int) dim);
  subtract_diag_rows (gM, tr->corr_m, M, N, dim);

  if (gx != NULL)
    {
      /* dL/dX = W M − diag(corr_x) X */
      mcam_sgemm (FALSE, FALSE, B, (int) dim, N, 1.0f, gl, N, M, (int) dim, 0.0f, gx,
                  (int) dim);
      subtract_diag_rows (gx, tr->corr_x, X, B, dim);
    }
}

/* q, p, v and z: what inference computes (DESIGN 4.3). */
static void
forward_read (McamTrainer *tr, const float *f, int B)
{
  McamMemory *m = tr->mem;
  int c = m->c, C = m->n_classes, N = m->n_slots, hw = m->h * m->w;
  gsize D = (gsize) c * hw;

  for (int b = 0; b < B; b++)
    _mcam_gap (f + (gsize) b * D, c, hw, tr->q + (gsize) b * c);
  row_norms (tr->q, B, c, tr->nq);
  row_norms (m->K, N, c, tr->nK);

  /* p = addr(q, K), v = p V */
  address_forward (tr->q, tr->nq, m->K, tr->nK, B, N, c, m->scale, tr->cos_k, tr->p, tr->lp);
  mcam_sgemm (FALSE, FALSE, B, c, N, 1.0f, tr->p, N, m->V, c, 0.0f, tr->v, c);

  /* zq = q W_q^T + b (the q half of fc, shared by z and z_t); z = zq + v W_v^T */
  for (int b = 0; b < B; b++)
    memcpy (tr->zq + (gsize) b * C, m->fc_b, sizeof (float) * C);
  mcam_sgemm (FALSE, TRUE, B, C, c, 1.0f, tr->q, c, m->fc_w + c, 2 * c, 1.0f, tr->zq, C);
  memcpy (tr->z, tr->zq, sizeof (float) * B * C);
  mcam_sgemm (FALSE, TRUE, B, C, c, 1.0f, tr->v, c, m->fc_w, 2 * c, 1.0f, tr->z, C);
}

void
_mcam_trainer_forward_read (McamTrainer *tr, const float *f, int B)
{
  g_return_if_fail (B > 0 && B <= tr->max_batch);
  forward_read (tr, f, B);
}

/* BCE with logits, summed over the classes of one image. */
static double
bce_row (const float *z, const float *y, int C)
{
  double s = 0.0;
  for (int k = 0; k < C; k++)
    {
      double x = z[k];
      s += (x > 0.0 ? x : 0.0) - x * y[k] + log1p (exp (-fabs (x)));
    }
  return s;
}

static inline float
sigmoidf (float x)
{
  return x >= 0.0f ? 1.0f / (1.0f + expf (-x)) : expf (x) / (1.0f + expf (x));
}

double
_mcam_trainer_forward_backward (McamTrainer *tr, const float *f, const float *y, int B,
                                gboolean with_grad, McamTrainLosses *losses)
{
  McamMemory *m = tr->mem;
  McamMemory *g = tr->grad;
  int c = m->c, C = m->n_classes, N = m->n_slots, hw = m->h * m->w;
  gsize D = (gsize) c * hw;
  double bce_t = 0.0, bce_r = 0.0, sparse = 0.0, kl_s = 0.0, kl_k = 0.0, total;
  float invB = 1.0f / B;

  g_return_val_if_fail (B > 0 && B <= tr->max_batch, NAN);

  /* ---- forward ---- */
  forward_read (tr, f, B);

  /* v' = G(y) */
  for (int b = 0; b < B; b++)
    memcpy (tr->a1 + (gsize) b * c, m->G0_b, sizeof (float) * c);
  mcam_sgemm (FALSE, TRUE, B, c, C, 1.0f, y, C, m->G0_w, C, 1.0f, tr->a1, c);
  for (gsize j = 0; j < (gsize) B * c; j++)
    tr->r1[j] = tr->a1[j] > 0.0f ? tr->a1[j] : 0.0f;
  for (int b = 0; b < B; b++)
    memcpy (tr->vp + (gsize) b * c, m->G2_b, sizeof (float) * c);
  mcam_sgemm (FALSE, TRUE, B, c, c, 1.0f, tr->r1, c, m->G2_w, c, 1.0f, tr->vp, c);

  /* p' = addr(v', V), p_s = addr(vec f, vec S) */
  row_norms (tr->vp, B, c, tr->nvp);
  row_norms (m->V, N, c, tr->nV);
  address_forward (tr->vp, tr->nvp, m->V, tr->nV, B, N, c, m->scale, tr->cos_v, tr->pv,
                   tr->lpv);
  row_norms (f, B, D, tr->nf);
  row_norms (m->S, N, D, tr->nS);
  address_forward (f, tr->nf, m->S, tr->nS, B, N, D, m->scale, tr->cos_s, tr->ps, tr->lps);

  /* v_t = p' V, z_t = zq + v_t W_v^T */
  mcam_sgemm (FALSE, FALSE, B, c, N, 1.0f, tr->pv, N, m->V, c, 0.0f, tr->vt, c);
  memcpy (tr->zt, tr->zq, sizeof (float) * B * C);
  mcam_sgemm (FALSE, TRUE, B, C, c, 1.0f, tr->vt, c, m->fc_w, 2 * c, 1.0f, tr->zt, C);

  /* ---- the loss terms ---- */
  for (int b = 0; b < B; b++)
    {
      const float *yb = y + (gsize) b * C;
      const float *vb = tr->v + (gsize) b * c, *vtb = tr->vt + (gsize) b * c;
      const float *pvb = tr->pv + (gsize) b * N;
      const float *lpb = tr->lp + (gsize) b * N, *lpvb = tr->lpv + (gsize) b * N;
      const float *lpsb = tr->lps + (gsize) b * N;
      double sq = 0.0, k1 = 0.0, k2 = 0.0;

      bce_t += bce_row (tr->zt + (gsize) b * C, yb, C) / C;
      bce_r += bce_row (tr->z + (gsize) b * C, yb, C) / C;
      for (int j = 0; j < c; j++)
        {
          double d = (double) vb[j] - vtb[j];
          sq += d * d;
        }
      sparse += sq / c;
      for (int i = 0; i < N; i++)
        {
          k1 += (double) pvb[i] * ((double) lpvb[i] - lpsb[i]);
          k2 += (double) pvb[i] * ((double) lpvb[i] - lpb[i]);
        }
      kl_s += k1;
      kl_k += k2;
      if (with_grad)
        {
          /* dL/dl' of the two KL terms (dKL/da needs this image's KLs) */
          float *gb = tr->gl + (gsize) b * N;
          for (int i = 0; i < N; i++)
            gb[i] = (float) (pvb[i] * ((2.0 * lpvb[i] - lpsb[i] - lpb[i]) - k1 - k2) / B);
        }
    }
  bce_t /= B;
  bce_r /= B;
  sparse /= B;
  kl_s /= B;
  kl_k /= B;
  total = bce_t + bce_r + sparse + kl_s + kl_k;
  if (losses != NULL)
    {
      losses->total = total;
      losses->bce_target = bce_t;
      losses->bce_read = bce_r;
      losses->sparse = sparse;
      losses->kl_spatial = kl_s;
      losses->kl_key = kl_k;
    }
  if (!with_grad)
    return total;

  /* ---- backward ---- */
  {
    /* keep the KL part of dL/dl' aside: gl is reused by every address */
    g_autofree float *gl_pv_kl = g_memdup2 (tr->gl, sizeof (float) * B * N);

    /* dL/dz = (σ(z) − y) / (C·B) */
    for (gsize j = 0; j < (gsize) B * C; j++)
      {
        tr->dz[j] = (sigmoidf (tr->z[j]) - y[j]) / C * invB;
        tr->dzt[j] = (sigmoidf (tr->zt[j]) - y[j]) / C * invB;
      }

    /* fc: dW_v = dz^T v + dz_t^T v_t, dW_q = (dz + dz_t)^T q, db = Σ (dz + dz_t) */
    mcam_sgemm (TRUE, FALSE, C, c, B, 1.0f, tr->dz, C, tr->v, c, 0.0f, g->fc_w, 2 * c);
    mcam_sgemm (TRUE, FALSE, C, c, B, 1.0f, tr->dzt, C, tr->vt, c, 1.0f, g->fc_w, 2 * c);
    mcam_sgemm (TRUE, FALSE, C, c, B, 1.0f, tr->dz, C, tr->q, c, 0.0f, g->fc_w + c, 2 * c);
    mcam_sgemm (TRUE, FALSE, C, c, B, 1.0f, tr->dzt, C, tr->q, c, 1.0f, g->fc_w + c, 2 * c);
    for (int k = 0; k < C; k++)
      {
        double s = 0.0;
        for (int b = 0; b < B; b++)
          s += (double) tr->dz[(gsize) b * C + k] + tr->dzt[(gsize) b * C + k];
        g->fc_b[k] = (float) s;
      }

    /* dv = dz W_v + 2 (v − v_t) / (c·B), dv_t = dz_t W_v − 2 (v − v_t) / (c·B) */
    mcam_sgemm (FALSE, FALSE, B, c, C, 1.0f, tr->dz, C, m->fc_w, 2 * c, 0.0f, tr->dv, c);
    mcam_sgemm (FALSE, FALSE, B, c, C, 1.0f, tr->dzt, C, m->fc_w, 2 * c, 0.0f, tr->dvt, c);
    for (gsize j = 0; j < (gsize) B * c; j++)
      {
        float d = 2.0f * (tr->v[j] - tr->vt[j]) / c * invB;
        tr->dv[j] += d;
        tr->dvt[j] -= d;
      }

    /* V through the reads: dV = p^T dv + p'^T dv_t; dp = dv V^T, dp' = dv_t V^T */
    mcam_sgemm (TRUE, FALSE, N, c, B, 1.0f, tr->p, N, tr->dv, c, 0.0f, g->V, c);
    mcam_sgemm (TRUE, FALSE, N, c, B, 1.0f, tr->pv, N, tr->dvt, c, 1.0f, g->V, c);
    mcam_sgemm (FALSE, TRUE, B, N, c, 1.0f, tr->dv, c, m->V, c, 0.0f, tr->dp, N);
    mcam_sgemm (FALSE, TRUE, B, N, c, 1.0f, tr->dvt, c, m->V, c, 0.0f, tr->dpv, N);

    /* p_s: dL/dl_s = (p_s − p') / B (from KL(p'‖p_s)) */
    for (gsize j = 0; j < (gsize) B * N; j++)
      tr->gl[j] = (tr->ps[j] - tr->pv[j]) * invB;
    address_backward (tr, tr->gl, f, tr->nf, m->S, tr->nS, tr->cos_s, B, N, D, m->scale,
                      g->S, 0.0f, NULL);

    /* p: dL/dl = p ⊙ (dp − <p, dp>) + (p − p') / B (from KL(p'‖p)) */
    for (int b = 0; b < B; b++)
      {
        const float *pb = tr->p + (gsize) b * N, *pvb = tr->pv + (gsize) b * N;
        const float *dpb = tr->dp + (gsize) b * N;
        float *gb = tr->gl + (gsize) b * N;
        double dot = 0.0;
        for (int i = 0; i < N; i++)
          dot += (double) pb[i] * dpb[i];
        for (int i = 0; i < N; i++)
          gb[i] = (float) (pb[i] * (dpb[i] - dot) + (pb[i] - pvb[i]) * invB);
      }
    address_backward (tr, tr->gl, tr->q, tr->nq, m->K, tr->nK, tr->cos_k, B, N, c, m->scale,
                      g->K, 0.0f, NULL);

    /* p': dL/dl' = p' ⊙ (dp' − <p', dp'>) + the KL part computed above */
    for (int b = 0; b < B; b++)
      {
        const float *pvb = tr->pv + (gsize) b * N, *dpb = tr->dpv + (gsize) b * N;
        const float *kb = gl_pv_kl + (gsize) b * N;
        float *gb = tr->gl + (gsize) b * N;
        double dot = 0.0;
        for (int i = 0; i < N; i++)
          dot += (double) pvb[i] * dpb[i];
        for (int i = 0; i < N; i++)
          gb[i] = (float) (pvb[i] * (dpb[i] - dot) + kb[i]);
      }
    address_backward (tr, tr->gl, tr->vp, tr->nvp, m->V, tr->nV, tr->cos_v, B, N, c,
                      m->scale, g->V, 1.0f, tr->dvp);

    /* G: v' = G2 r1 + b2, r1 = ReLU(G0 y + b0) */
    mcam_sgemm (TRUE, FALSE, c, c, B, 1.0f, tr->dvp, c, tr->r1, c, 0.0f, g->G2_w, c);
    mcam_sgemv (TRUE, B, c, 1.0f, tr->dvp, c, tr->ones, 0.0f, g->G2_b);
    mcam_sgemm (FALSE, FALSE, B, c, c, 1.0f, tr->dvp, c, m->G2_w, c, 0.0f, tr->dr1, c);
    for (gsize j = 0; j < (gsize) B * c; j++)
      if (!(tr->a1[j] > 0.0f))
        tr->dr1[j] = 0.0f;
    mcam_sgemm (TRUE, FALSE, c, C, B, 1.0f, tr->dr1, c, y, C, 0.0f, g->G0_w, C);
    mcam_sgemv (TRUE, B, c, 1.0f, tr->dr1, c, tr->ones, 0.0f, g->G0_b);
  }
  return total;
}
