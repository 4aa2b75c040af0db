/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Training the memory module (DESIGN 4.2): initialisation, Adam, the epoch
 * loop. The loss and its gradient are in mcam-train-step.c. */

#include "config.h"

#include <math.h>
#include <string.h>

#include "mcam/mcam-blas.h"
#include "mcam/mcam-error.h"
#include "mcam-train-private.h"

void
mcam_train_options_init (McamTrainOptions *opt)
{
  memset (opt, 0, sizeof *opt);
  opt->epochs = 30;
  opt->batch = 128;
  opt->lr = 1e-3f;
  opt->beta1 = 0.9f;
  opt->beta2 = 0.999f;
  opt->eps = 1e-8f;
  opt->scale = 10.0f;
  opt->init = MCAM_TRAIN_INIT_CLASS;
  opt->seed = 0;
  opt->g_fit_steps = 300;
  opt->g_fit_lr = 1e-2f;
}

const char *
mcam_train_init_to_string (McamTrainInit init)
{
  return init == MCAM_TRAIN_INIT_RANDOM ? "random" : "class";
}

gboolean
mcam_train_init_from_string (const char *s, McamTrainInit *init)
{
  if (g_strcmp0 (s, "class") == 0)
    *init = MCAM_TRAIN_INIT_CLASS;
  else if (g_strcmp0 (s, "random") == 0)
    *init = MCAM_TRAIN_INIT_RANDOM;
  else
    return FALSE;
  return TRUE;
}

/* ---- Adam over a list of tensors (torch.optim.Adam, no weight decay) ---- */

typedef struct
{
  float *param, *grad, *m, *v;
  gsize  n;
} AdamTensor;

/* One tensor's update. (GCC will not vectorise it: sqrtf may set errno as far
 * as it knows, and the project builds without -fno-math-errno; it costs
 * ~15% of an epoch for c·h·w = 25088, N = 64.) */
static void
adam_update_one (float *restrict param, const float *restrict grad, float *restrict m,
                 float *restrict v, gsize n, float step_size, float bc2_sqrt, float beta1,
                 float beta2, float eps)
{
  for (gsize j = 0; j < n; j++)
    {
      float g = grad[j];
      float mj = beta1 * m[j] + (1.0f - beta1) * g;
      float vj = beta2 * v[j] + (1.0f - beta2) * g * g;
      m[j] = mj;
      v[j] = vj;
      param[j] -= step_size * mj / (sqrtf (vj) / bc2_sqrt + eps);
    }
}

static void
adam_update (AdamTensor *t, int n_tensors, gint64 step, float lr, float beta1, float beta2,
             float eps)
{
  /* The same order of operations as PyTorch's single-tensor Adam:
   * p -= (lr / bc1) · m / (sqrt(v) / sqrt(bc2) + eps). */
  double bc1 = 1.0 - pow (beta1, (double) step);
  double bc2 = 1.0 - pow (beta2, (double) step);
  float step_size = (float) (lr / bc1);
  float bc2_sqrt = (float) sqrt (bc2);

  for (int k = 0; k < n_tensors; k++)
    adam_update_one (t[k].param, t[k].grad, t[k].m, t[k].v, t[k].n, step_size, bc2_sqrt,
                     beta1, beta2, eps);
}

/* The nine parameter tensors of a memory, in a fixed order. */
static int
memory_tensors (McamMemory *m, float **ptrs, gsize *sizes)
{
  gsize N = m->n_slots, c = m->c, C = m->n_classes, hw = (gsize) m->h * m->w;
  float *p[9] = { m->S, m->K, m->V, m->G0_w, m->G0_b, m->G2_w, m->G2_b, m->fc_w, m->fc_b };
  gsize n[9] = { N * c * hw, N * c, N * c, c * C, c, c * c, c, C * 2 * c, C };

  memcpy (ptrs, p, sizeof p);
  memcpy (sizes, n, sizeof n);
  return 9;
}

/* ---- initialisation ---- */

/* PyTorch's nn.Linear default: weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)). */
static void
init_linear (McamRng *rng, float *w, float *b, int out, int in)
{
  double bound = 1.0 / sqrt ((double) in);

  for (gsize j = 0; j < (gsize) out * in; j++)
    w[j] = (float) ((2.0 * _mcam_rng_uniform (rng) - 1.0) * bound);
  for (int j = 0; j < out; j++)
    b[j] = (float) ((2.0 * _mcam_rng_uniform (rng) - 1.0) * bound);
}

static void
fill_normal (McamRng *rng, float *x, gsize n, double std)
{
  for (gsize j = 0; j < n; j++)
    x[j] = (float) (std * _mcam_rng_normal (rng));
}

/* Fit G alone so that G(e_c) ≈ V of class c's first slot (mean squared
 * error over the classes that own a slot), with Adam. */
static void
fit_encoder (McamMemory *m, const McamTrainOptions *opt)
{
  int c = m->c, C = m->n_classes, N = m->n_slots;
  int n_fit = MIN (C, N);   /* class k < n_fit owns slot k (slot i is class i mod C) */
  g_autofree float *Y = g_new0 (float, (gsize) n_fit * C);
  g_autofree float *a1 = g_new (float, (gsize) n_fit * c);
  g_autofree float *r1 = g_new (float, (gsize) n_fit * c);
  g_autofree float *out = g_new (float, (gsize) n_fit * c);
  g_autofree float *dout = g_new (float, (gsize) n_fit * c);
  g_autofree float *ones = g_new (float, n_fit);
  gsize sizes[4] = { (gsize) c * C, c, (gsize) c * c, c };
  float *params[4] = { m->G0_w, m->G0_b, m->G2_w, m->G2_b };
  AdamTensor t[4];

  for (int k = 0; k < n_fit; k++)
    {
      Y[(gsize) k * C + k] = 1.0f;
      ones[k] = 1.0f;
    }
  for (int k = 0; k < 4; k++)
    {
      t[k].param = params[k];
      t[k].n = sizes[k];
      t[k].grad = g_new0 (float, sizes[k]);
      t[k].m = g_new0 (float, sizes[k]);
      t[k].v = g_new0 (float, sizes[k]);
    }

  for (int step = 1; step <= opt->g_fit_steps; step++)
    {
      float norm = 2.0f / ((float) n_fit * c);

      for (int k = 0; k < n_fit; k++)
        memcpy (a1 + (gsize) k * c, m->G0_b, sizeof (float) * c);
      mcam_sgemm (FALSE, TRUE, n_fit, c, C, 1.0f, Y, C, m->G0_w, C, 1.0f, a1, c);
      for (gsize j = 0; j < (gsize) n_fit * c; j++)
        r1[j] = a1[j] > 0.0f ? a1[j] : 0.0f;
      for (int k = 0; k < n_fit; k++)
        memcpy (out + (gsize) k * c, m->G2_b, sizeof (float) * c);
      mcam_sgemm (FALSE, TRUE, n_fit, c, c, 1.0f, r1, c, m->G2_w, c, 1.0f, out, c);

      /* d mean((out − V)²) */
      for (int k = 0; k < n_fit; k++)
        for (int j = 0; j < c; j++)
          dout[(gsize) k * c + j] = norm * (out[(gsize) k * c + j] - m->V[(gsize) k * c + j]);

      mcam_sgemm (TRUE, FALSE, c, c, n_fit, 1.0f, dout, c, r1, c, 0.0f, t[2].grad, c);
      mcam_sgemv (TRUE, n_fit, c, 1.0f, dout, c, ones, 0.0f, t[3].grad);
      mcam_sgemm (FALSE, FALSE, n_fit, c, c, 1.0f, dout, c, m->G2_w, c, 0.0f, a1, c);
      for (gsize j = 0; j < (gsize) n_fit * c; j++)
        if (!(r1[j] > 0.0f))
          a1[j] = 0.0f;
      mcam_sgemm (TRUE, FALSE, c, C, n_fit, 1.0f, a1, c, Y, C, 0.0f, t[0].grad, C);
      mcam_sgemv (TRUE, n_fit, c, 1.0f, a1, c, ones, 0.0f, t[1].grad);

      adam_update (t, 4, step, opt->g_fit_lr, opt->beta1, opt->beta2, opt->eps);
    }

  for (int k = 0; k < 4; k++)
    {
      g_free (t[k].grad);
      g_free (t[k].m);
      g_free (t[k].v);
    }
}

McamMemory *
mcam_train_init_memory (int n_slots, int c, int h, int w, int n_classes,
                        const float *features, const float *labels, int n,
                        const McamTrainOptions *opt, GError **error)
{
  g_autoptr(McamMemory) m = NULL;
  McamRng rng;
  gsize hw = (gsize) h * w, D = (gsize) c * hw;

  if (n_slots < 1 || c < 1 || h < 1 || w < 1 || n_classes < 1)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE,
                   "invalid memory shape: %d slots, features %dx%dx%d, %d classes", n_slots,
                   c, h, w, n_classes);
      return NULL;
    }
  if (opt->init == MCAM_TRAIN_INIT_CLASS && n < 1)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE,
                   "the class initialisation needs training images (none given)");
      return NULL;
    }

  m = mcam_memory_new (n_slots, c, h, w, n_classes, opt->scale);
  _mcam_rng_init (&rng, opt->seed);

  /* G and fc first, so that both initialisations draw them identically. */
  init_linear (&rng, m->G0_w, m->G0_b, c, n_classes);
  init_linear (&rng, m->G2_w, m->G2_b, c, c);
  init_linear (&rng, m->fc_w, m->fc_b, n_classes, 2 * c);

  if (opt->init == MCAM_TRAIN_INIT_RANDOM)
    {
      fill_normal (&rng, m->K, (gsize) n_slots * c, 0.1);
      fill_normal (&rng, m->V, (gsize) n_slots * c, 0.1);
      fill_normal (&rng, m->S, (gsize) n_slots * D, 0.1);
    }
  else
    {
      /* Class means of q and f, accumulated in double. A class without a
       * training image gets the mean over all images. */
      g_autofree double *sum_f = g_new0 (double, (gsize) (n_classes + 1) * D);
      g_autofree double *count = g_new0 (double, n_classes + 1);
      g_autofree float *q = g_new (float, c);

      for (int i = 0; i < n; i++)
        {
          const float *fi = features + (gsize) i * D;
          for (int k = 0; k <= n_classes; k++)
            {
              double *acc;
              if (k < n_classes && !(labels[(gsize) i * n_classes + k] > 0.5f))
                continue;
              acc = sum_f + (gsize) k * D;
              for (gsize j = 0; j < D; j++)
                acc[j] += fi[j];
              count[k] += 1.0;
            }
        }
      for (int s = 0; s < n_slots; s++)
        {
          int k = s % n_classes;
          const double *acc = sum_f + (gsize) (count[k] > 0.0 ? k : n_classes) * D;
          double cnt = count[k] > 0.0 ? count[k] : count[n_classes];
          float *S = m->S + (gsize) s * D;

          for (gsize j = 0; j < D; j++)
            S[j] = (float) (acc[j] / cnt);
          /* K_s = mean q = GAP of the mean f; V_s = K_s */
          _mcam_gap (S, c, (int) hw, q);
          memcpy (m->K + (gsize) s * c, q, sizeof (float) * c);
          memcpy (m->V + (gsize) s * c, q, sizeof (float) * c);

          /* With k > 1 slots per class, identical copies would receive
           * identical gradients and never separate: jitter the extra ones
           * by 1% of the typical value. */
          if (s >= n_classes)
            {
              double rms = 0.0;
              for (int j = 0; j < c; j++)
                rms += (double) q[j] * q[j];
              rms = sqrt (rms / c) * 0.01;
              for (int j = 0; j < c; j++)
                {
                  float e = (float) (rms * _mcam_rng_normal (&rng));
                  m->K[(gsize) s * c + j] += e;
                  m->V[(gsize) s * c + j] += e;
                }
              for (gsize j = 0; j < D; j++)
                S[j] += (float) (rms * _mcam_rng_normal (&rng));
            }
        }
      fit_encoder (m, opt);
    }

  g_hash_table_replace (m->metadata, g_strdup ("mcam.memory.init"),
                        g_strdup (mcam_train_init_to_string (opt->init)));
  return g_steal_pointer (&m);
}

/* ---- the trainer ---- */

McamTrainer *
mcam_trainer_new (McamMemory *mem, const McamTrainOptions *opt)
{
  McamTrainer *tr;

  g_return_val_if_fail (mem != NULL, NULL);

  tr = g_new0 (McamTrainer, 1);
  tr->mem = mem;
  if (opt != NULL)
    tr->opt = *opt;
  else
    mcam_train_options_init (&tr->opt);
  if (tr->opt.batch < 1)
    tr->opt.batch = 128;
  tr->grad = mcam_memory_new (mem->n_slots, mem->c, mem->h, mem->w, mem->n_classes,
                              mem->scale);
  _mcam_trainer_alloc_workspace (tr, tr->opt.batch);
  return tr;
}

void
mcam_trainer_free (McamTrainer *tr)
{
  if (tr == NULL)
    return;
  _mcam_trainer_free_workspace (tr);
  mcam_memory_free (tr->grad);
  mcam_memory_free (tr->adam_m);
  mcam_memory_free (tr->adam_v);
  g_free (tr);
}

static void
ensure_batch (McamTrainer *tr, int B)
{
  if (B > tr->max_batch)
    _mcam_trainer_alloc_workspace (tr, B);
}

double
mcam_trainer_compute (McamTrainer *tr, const float *f, const float *y, int B,
                      McamTrainLosses *losses)
{
  g_return_val_if_fail (tr != NULL && B > 0, NAN);
  ensure_batch (tr, B);
  return _mcam_trainer_forward_backward (tr, f, y, B, TRUE, losses);
}

double
mcam_trainer_loss (McamTrainer *tr, const float *f, const float *y, int B,
                   McamTrainLosses *losses)
{
  g_return_val_if_fail (tr != NULL && B > 0, NAN);
  ensure_batch (tr, B);
  return _mcam_trainer_forward_backward (tr, f, y, B, FALSE, losses);
}

const McamMemory *
mcam_trainer_get_grads (McamTrainer *tr)
{
  return tr->grad;
}

void
mcam_trainer_adam_step (McamTrainer *tr)
{
  McamMemory *m = tr->mem;
  float *p[9], *g[9], *am[9], *av[9];
  gsize n[9];
  AdamTensor t[9];

  if (tr->adam_m == NULL)
    {
      tr->adam_m = mcam_memory_new (m->n_slots, m->c, m->h, m->w, m->n_classes, m->scale);
      tr->adam_v = mcam_memory_new (m->n_slots, m->c, m->h, m->w, m->n_classes, m->scale);
      tr->adam_t = 0;
    }
  memory_tensors (m, p, n);
  memory_tensors (tr->grad, g, n);
  memory_tensors (tr->adam_m, am, n);
  memory_tensors (tr->adam_v, av, n);
  for (int k = 0; k < 9; k++)
    {
      t[k].param = p[k];
      t[k].grad = g[k];
      t[k].m = am[k];
      t[k].v = av[k];
      t[k].n = n[k];
    }
  tr->adam_t++;
  adam_update (t, 9, tr->adam_t, tr->opt.lr, tr->opt.beta1, tr->opt.beta2, tr->opt.eps);
}

static void
losses_add (McamTrainLosses *acc, const McamTrainLosses *l, double weight)
{
  acc->total += weight * l->total;
  acc->bce_target += weight * l->bce_target;
  acc->bce_read += weight * l->bce_read;
  acc->sparse += weight * l->sparse;
  acc->kl_spatial += weight * l->kl_spatial;
  acc->kl_key += weight * l->kl_key;
}

static void
losses_scale (McamTrainLosses *out, const McamTrainLosses *acc, double s)
{
  *out = *acc;
  out->total *= s;
  out->bce_target *= s;
  out->bce_read *= s;
  out->sparse *= s;
  out->kl_spatial *= s;
  out->kl_key *= s;
}

gboolean
mcam_trainer_run (McamTrainer *tr, const float *features, const float *labels, int n,
                  McamTrainProgressFunc func, gpointer user_data,
                  GCancellable *cancellable, GError **error)
{
  McamMemory *m = tr->mem;
  int C = m->n_classes, Bmax = tr->opt.batch;
  gsize D = (gsize) m->c * m->h * m->w;
  int n_batches;
  g_autofree int *order = NULL;
  g_autofree float *fb = NULL;
  g_autofree float *yb = NULL;
  McamRng rng;

  if (n < 1)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE, "no training images");
      return FALSE;
    }
  n_batches = (n + Bmax - 1) / Bmax;
  order = g_new (int, n);
  fb = g_new (float, (gsize) MIN (Bmax, n) * D);
  yb = g_new (float, (gsize) MIN (Bmax, n) * C);
  ensure_batch (tr, MIN (Bmax, n));
  /* The shuffle has its own stream, apart from the initialisation's. */
  _mcam_rng_init (&rng, tr->opt.seed ^ G_GUINT64_CONSTANT (0x6d63616d74726e31));
  for (int i = 0; i < n; i++)
    order[i] = i;

  for (int epoch = 1; epoch <= tr->opt.epochs; epoch++)
    {
      McamTrainLosses acc = { 0 };
      McamTrainProgress prog = { 0 };

      /* Fisher-Yates */
      for (int i = n - 1; i > 0; i--)
        {
          int j = (int) _mcam_rng_below (&rng, (guint64) i + 1);
          int t = order[i];
          order[i] = order[j];
          order[j] = t;
        }

      for (int bi = 0; bi < n_batches; bi++)
        {
          int start = bi * Bmax, B = MIN (Bmax, n - start);
          McamTrainLosses l;

          if (g_cancellable_set_error_if_cancelled (cancellable, error))
            return FALSE;
          for (int k = 0; k < B; k++)
            {
              int i = order[start + k];
              memcpy (fb + (gsize) k * D, features + (gsize) i * D, sizeof (float) * D);
              memcpy (yb + (gsize) k * C, labels + (gsize) i * C, sizeof (float) * C);
            }
          _mcam_trainer_forward_backward (tr, fb, yb, B, TRUE, &l);
          if (!isfinite (l.total))
            {
              g_set_error (error, MCAM_ERROR, MCAM_ERROR_VALUE,
                           "training diverged: the loss is not finite at epoch %d, batch %d "
                           "(try a smaller --lr)", epoch, bi + 1);
              return FALSE;
            }
          mcam_trainer_adam_step (tr);
          losses_add (&acc, &l, B);

          if (func != NULL)
            {
              prog.epoch = epoch;
              prog.n_epochs = tr->opt.epochs;
              prog.batch = bi + 1;
              prog.n_batches = n_batches;
              prog.epoch_done = FALSE;
              losses_scale (&prog.losses, &acc, 1.0 / (start + B));
              if (!func (&prog, user_data))
                return TRUE;
            }
        }

      if (func != NULL)
        {
          prog.epoch = epoch;
          prog.n_epochs = tr->opt.epochs;
          prog.batch = n_batches;
          prog.n_batches = n_batches;
          prog.epoch_done = TRUE;
          losses_scale (&prog.losses, &acc, 1.0 / n);
          if (!func (&prog, user_data))
            return TRUE;
        }
    }
  return TRUE;
}

void
mcam_train_memory_scores (const McamMemory *mem, const float *features, int n,
                          float *scores)
{
  McamTrainOptions opt;
  g_autoptr(McamTrainer) tr = NULL;
  gsize D = (gsize) mem->c * mem->h * mem->w;
  int C = mem->n_classes;

  mcam_train_options_init (&opt);
  opt.batch = MIN (128, MAX (1, n));
  tr = mcam_trainer_new ((McamMemory *) mem, &opt);
  for (int start = 0; start < n; start += opt.batch)
    {
      int B = MIN (opt.batch, n - start);
      _mcam_trainer_forward_read (tr, features + (gsize) start * D, B);
      for (gsize j = 0; j < (gsize) B * C; j++)
        {
          float z = tr->z[j];
          scores[(gsize) start * C + j] = z >= 0.0f ? 1.0f / (1.0f + expf (-z))
                                                    : expf (z) / (1.0f + expf (z));
        }
    }
}
