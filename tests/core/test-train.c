/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The memory-module trainer (DESIGN 4.2): losses and gradients against
 * PyTorch autograd, finite differences of an independent double-precision
 * loss, Adam against torch.optim.Adam, and training on a separable synthetic
 * set (loss falls, mAP, class slots, determinism, cancellation). */

#include <math.h>
#include <string.h>
#include <time.h>

#include "mcam/mcam.h"
#include "mcam/mcam-dataset.h"
#include "mcam/mcam-train.h"
#include "mcam-test-util.h"

#define N_PARAMS 9
static const char *const param_names[N_PARAMS] = {
  "S", "K", "V", "G0_w", "G0_b", "G2_w", "G2_b", "fc_w", "fc_b"
};

static void
memory_tensors (const McamMemory *m, float **p, gsize *n)
{
  gsize N = m->n_slots, c = m->c, C = m->n_classes, hw = (gsize) m->h * m->w;
  float *pp[N_PARAMS] = { m->S, m->K, m->V, m->G0_w, m->G0_b, m->G2_w, m->G2_b, m->fc_w,
                          m->fc_b };
  gsize nn[N_PARAMS] = { N * c * hw, N * c, N * c, c * C, c, c * c, c, C * 2 * c, C };
  memcpy (p, pp, sizeof pp);
  memcpy (n, nn, sizeof nn);
}

/* ---- an independent loss in double precision, plain loops ---- */

static double
ref_cos (const double *a, const double *b, gsize n)
{
  double d = 0, na = 0, nb = 0, den;
  for (gsize j = 0; j < n; j++)
    {
      d += a[j] * b[j];
      na += a[j] * a[j];
      nb += b[j] * b[j];
    }
  den = sqrt (na) * sqrt (nb);
  return d / (den < 1e-8 ? 1e-8 : den);
}

static void
ref_log_address (const double *x, const double *M, int N, gsize dim, double s, double *lp)
{
  double mx = -INFINITY, sum = 0;
  for (int i = 0; i < N; i++)
    {
      lp[i] = s * ref_cos (x, M + i * dim, dim);
      mx = fmax (mx, lp[i]);
    }
  for (int i = 0; i < N; i++)
    sum += exp (lp[i] - mx);
  for (int i = 0; i < N; i++)
    lp[i] -= mx + log (sum);
}

/* Parameters as doubles, in the order of param_names. */
typedef struct
{
  int N, c, h, w, C;
  double s;
  double *t[N_PARAMS];
} RefParams;

static double
ref_loss (const RefParams *P, const float *f32, const float *y32, int B, double terms[5])
{
  int N = P->N, c = P->c, C = P->C, hw = P->h * P->w;
  gsize D = (gsize) c * hw;
  const double *S = P->t[0], *K = P->t[1], *V = P->t[2], *G0w = P->t[3], *G0b = P->t[4];
  const double *G2w = P->t[5], *G2b = P->t[6], *fcw = P->t[7], *fcb = P->t[8];
  double acc[5] = { 0 };
  g_autofree double *f = g_new (double, D);
  g_autofree double *q = g_new (double, c), *r = g_new (double, c), *vp = g_new (double, c);
  g_autofree double *lp = g_new (double, N), *lpv = g_new (double, N), *lps = g_new (double, N);
  g_autofree double *v = g_new (double, c), *vt = g_new (double, c);

  for (int b = 0; b < B; b++)
    {
      const float *yb = y32 + (gsize) b * C;
      for (gsize j = 0; j < D; j++)
        f[j] = f32[(gsize) b * D + j];
      for (int k = 0; k < c; k++)
        {
          double s = 0;
          for (int j = 0; j < hw; j++)
            s += f[k * hw + j];
          q[k] = s / hw;
        }
      for (int k = 0; k < c; k++)
        {
          double a = G0b[k];
          for (int j = 0; j < C; j++)
            a += G0w[k * C + j] * yb[j];
          r[k] = a > 0 ? a : 0;
        }
      for (int k = 0; k < c; k++)
        {
          double a = G2b[k];
          for (int j = 0; j < c; j++)
            a += G2w[k * c + j] * r[j];
          vp[k] = a;
        }
      ref_log_address (q, K, N, c, P->s, lp);
      ref_log_address (vp, V, N, c, P->s, lpv);
      ref_log_address (f, S, N, D, P->s, lps);
      for (int k = 0; k < c; k++)
        {
          v[k] = vt[k] = 0;
          for (int i = 0; i < N; i++)
            {
              v[k] += exp (lp[i]) * V[i * c + k];
              vt[k] += exp (lpv[i]) * V[i * c + k];
            }
        }
      for (int j = 0; j < C; j++)
        {
          double z = fcb[j], zt = fcb[j];
          for (int k = 0; k < c; k++)
            {
              z += fcw[j * 2 * c + k] * v[k] + fcw[j * 2 * c + c + k] * q[k];
              zt += fcw[j * 2 * c + k] * vt[k] + fcw[j * 2 * c + c + k] * q[k];
            }
          acc[0] += (log1p (exp (-fabs (zt))) + fmax (zt, 0) - zt * yb[j]) / C;
          acc[1] += (log1p (exp (-fabs (z))) + fmax (z, 0) - z * yb[j]) / C;
        }
      for (int k = 0; k < c; k++)
        acc[2] += (v[k] - vt[k]) * (v[k] - vt[k]) / c;
      for (int i = 0; i < N; i++)
        {
          acc[3] += exp (lpv[i]) * (lpv[i] - lps[i]);
          acc[4] += exp (lpv[i]) * (lpv[i] - lp[i]);
        }
    }
  {
    double total = 0;
    for (int k = 0; k < 5; k++)
      {
        acc[k] /= B;
        total += acc[k];
        if (terms)
          terms[k] = acc[k];
      }
    return total;
  }
}

static void
ref_params_from (RefParams *P, const McamMemory *m)
{
  float *p[N_PARAMS];
  gsize n[N_PARAMS];

  P->N = m->n_slots;
  P->c = m->c;
  P->h = m->h;
  P->w = m->w;
  P->C = m->n_classes;
  P->s = m->scale;
  memory_tensors (m, p, n);
  for (int k = 0; k < N_PARAMS; k++)
    {
      P->t[k] = g_new (double, n[k]);
      for (gsize j = 0; j < n[k]; j++)
        P->t[k][j] = p[k][j];
    }
}

static void
ref_params_clear (RefParams *P)
{
  for (int k = 0; k < N_PARAMS; k++)
    g_free (P->t[k]);
}

/* ---- helpers ---- */

static McamMemory *
random_memory (int N, int c, int h, int w, int C, float s, guint32 seed)
{
  McamMemory *m = mcam_memory_new (N, c, h, w, C, s);
  float *p[N_PARAMS];
  gsize n[N_PARAMS];
  GRand *r = g_rand_new_with_seed (seed);

  memory_tensors (m, p, n);
  for (int k = 0; k < N_PARAMS; k++)
    for (gsize j = 0; j < n[k]; j++)
      p[k][j] = (float) g_rand_double_range (r, -0.8, 0.8) + (k <= 2 ? 0.15f : 0.0f);
  g_rand_free (r);
  return m;
}

static void
random_batch (int B, gsize D, int C, guint32 seed, float **f, float **y)
{
  GRand *r = g_rand_new_with_seed (seed);

  *f = g_new (float, B * D);
  *y = g_new (float, (gsize) B * C);
  for (gsize j = 0; j < B * D; j++)
    (*f)[j] = (float) fmax (0.0, g_rand_double_range (r, -0.5, 1.5));
  for (gsize j = 0; j < (gsize) B * C; j++)
    (*y)[j] = g_rand_double (r) < 0.5 ? 1.0f : 0.0f;
  g_rand_free (r);
}

/* ---- tests ---- */

/* The analytic gradient of every tensor equals central finite differences
 * of the double-precision loss; the trainer's loss equals that loss. */
static void
test_finite_differences (void)
{
  const int N = 4, c = 3, h = 2, w = 2, C = 3, B = 5;
  gsize D = (gsize) c * h * w;
  g_autoptr(McamMemory) m = random_memory (N, c, h, w, C, 3.0f, 7);
  g_autofree float *f = NULL, *y = NULL;
  g_autoptr(McamTrainer) tr = NULL;
  const McamMemory *grad;
  float *gp[N_PARAMS];
  gsize n[N_PARAMS];
  McamTrainLosses L;
  RefParams P;
  double terms[5], ref;
  const double eps = 1e-5;

  random_batch (B, D, C, 11, &f, &y);
  memset (y, 0, sizeof (float) * C);   /* an image without labels */
  tr = mcam_trainer_new (m, NULL);
  mcam_trainer_compute (tr, f, y, B, &L);
  grad = mcam_trainer_get_grads (tr);
  memory_tensors (grad, gp, n);

  ref_params_from (&P, m);
  ref = ref_loss (&P, f, y, B, terms);
  g_assert_cmpfloat (fabs (L.total - ref), <, 1e-5 * fabs (ref));
  g_assert_cmpfloat (fabs (L.bce_target - terms[0]), <, 1e-5);
  g_assert_cmpfloat (fabs (L.bce_read - terms[1]), <, 1e-5);
  g_assert_cmpfloat (fabs (L.sparse - terms[2]), <, 1e-5);
  g_assert_cmpfloat (fabs (L.kl_spatial - terms[3]), <, 1e-5);
  g_assert_cmpfloat (fabs (L.kl_key - terms[4]), <, 1e-5);

  for (int k = 0; k < N_PARAMS; k++)
    {
      g_autofree float *fd = g_new (float, n[k]);
      double err;
      for (gsize j = 0; j < n[k]; j++)
        {
          double keep = P.t[k][j], lp, lm;
          P.t[k][j] = keep + eps;
          lp = ref_loss (&P, f, y, B, NULL);
          P.t[k][j] = keep - eps;
          lm = ref_loss (&P, f, y, B, NULL);
          P.t[k][j] = keep;
          fd[j] = (float) ((lp - lm) / (2 * eps));
        }
      err = mcam_test_rel_error (gp[k], fd, n[k], 1e-6);
      g_test_message ("d%s: relative error %.3g", param_names[k], err);
      g_assert_cmpfloat (err, <, 1e-3);
    }
  ref_params_clear (&P);
}

static McamTensor *
read_fixture (McamSafetensors *st, const char *name)
{
  g_autoptr(GError) error = NULL;
  McamTensor *t = mcam_safetensors_read (st, name, 0, NULL, &error);
  g_assert_no_error (error);
  return t;
}

/* Losses, gradients and three Adam steps against PyTorch (fixture made by
 * tools/make_train_fixtures.py). */
static void
test_pytorch (void)
{
  g_autofree char *path = mcam_test_fixture ("train-tiny.safetensors");
  g_autoptr(GError) error = NULL;
  g_autoptr(McamSafetensors) st = mcam_safetensors_open (path, &error);
  g_autoptr(McamTensor) f = NULL, y = NULL, losses = NULL;
  g_autoptr(McamMemory) m = NULL;
  g_autoptr(McamTrainer) tr = NULL;
  McamTrainOptions opt;
  McamTrainLosses L;
  float *p[N_PARAMS], *g[N_PARAMS];
  gsize n[N_PARAMS];
  int B;

  g_assert_no_error (error);
  f = read_fixture (st, "f");
  y = read_fixture (st, "y");
  losses = read_fixture (st, "losses");
  B = (int) f->shape[0];
  {
    g_autoptr(McamTensor) S = read_fixture (st, "param.S");
    g_autoptr(McamTensor) fcb = read_fixture (st, "param.fc_b");
    m = mcam_memory_new ((int) S->shape[0], (int) S->shape[1], (int) S->shape[2],
                         (int) S->shape[3], (int) fcb->shape[0],
                         (float) g_ascii_strtod (mcam_safetensors_get_metadata (st, "scale"),
                                                 NULL));
  }
  memory_tensors (m, p, n);
  for (int k = 0; k < N_PARAMS; k++)
    {
      g_autofree char *name = g_strconcat ("param.", param_names[k], NULL);
      g_autoptr(McamTensor) t = read_fixture (st, name);
      g_assert_cmpuint (t->n, ==, n[k]);
      memcpy (p[k], t->data, sizeof (float) * n[k]);
    }

  mcam_train_options_init (&opt);
  opt.lr = 1e-2f;
  tr = mcam_trainer_new (m, &opt);
  mcam_trainer_compute (tr, f->data, y->data, B, &L);
  {
    double mine[6] = { L.total, L.bce_target, L.bce_read, L.sparse, L.kl_spatial, L.kl_key };
    for (int k = 0; k < 6; k++)
      {
        g_test_message ("loss %d: %.7g vs PyTorch %.7g", k, mine[k], losses->data[k]);
        g_assert_cmpfloat (fabs (mine[k] - losses->data[k]), <=,
                           1e-4 * fmax (1.0, fabs (losses->data[k])));
      }
  }
  memory_tensors (mcam_trainer_get_grads (tr), g, n);
  for (int k = 0; k < N_PARAMS; k++)
    {
      g_autofree char *name = g_strconcat ("grad.", param_names[k], NULL);
      g_autoptr(McamTensor) t = read_fixture (st, name);
      double err = mcam_test_rel_error (g[k], t->data, n[k], 1e-6);
      g_test_message ("grad %s: relative error %.3g", param_names[k], err);
      g_assert_cmpfloat (err, <, 1e-4);
    }

  /* Three Adam steps; the first uses the gradient just computed. */
  mcam_trainer_adam_step (tr);
  for (int step = 2; step <= 3; step++)
    {
      mcam_trainer_compute (tr, f->data, y->data, B, NULL);
      mcam_trainer_adam_step (tr);
    }
  for (int k = 0; k < N_PARAMS; k++)
    {
      g_autofree char *name = g_strconcat ("adam3.", param_names[k], NULL);
      g_autoptr(McamTensor) t = read_fixture (st, name);
      double err = mcam_test_rel_error (p[k], t->data, n[k], 1e-3);
      g_test_message ("after 3 Adam steps %s: relative error %.3g", param_names[k], err);
      g_assert_cmpfloat (err, <, 1e-4);
    }
}

/* ---- a separable synthetic set ---- */

typedef struct
{
  int n, C, c, h, w;
  float *f, *y;
} Synth;

/* Class k lights channels [k·g, (k+1)·g) (g = c / C) at its own position;
 * every image holds one or two classes, over a weak noise floor. */
static void
synth_make (Synth *s, int n, guint32 seed)
{
  GRand *r = g_rand_new_with_seed (seed);
  int hw, g;
  gsize D;

  s->n = n;
  s->C = 4;
  s->c = 16;
  s->h = 3;
  s->w = 3;
  hw = s->h * s->w;
  g = s->c / s->C;
  D = (gsize) s->c * hw;
  s->f = g_new0 (float, (gsize) n * D);
  s->y = g_new0 (float, (gsize) n * s->C);
  for (int i = 0; i < n; i++)
    {
      float *fi = s->f + (gsize) i * D;
      int a = g_rand_int_range (r, 0, s->C);
      int b = g_rand_int_range (r, 0, s->C);

      s->y[(gsize) i * s->C + a] = 1.0f;
      if (g_rand_double (r) < 0.4)
        s->y[(gsize) i * s->C + b] = 1.0f;
      for (gsize j = 0; j < D; j++)
        fi[j] = (float) (0.1 * g_rand_double (r));
      for (int k = 0; k < s->C; k++)
        if (s->y[(gsize) i * s->C + k] > 0.5f)
          {
            int pos = g_rand_int_range (r, 0, hw);
            for (int ch = k * g; ch < (k + 1) * g; ch++)
              fi[(gsize) ch * hw + pos] += (float) g_rand_double_range (r, 1.5, 2.5);
          }
    }
  g_rand_free (r);
}

static void
synth_clear (Synth *s)
{
  g_free (s->f);
  g_free (s->y);
}

typedef struct
{
  double first, last;
  int epochs_seen;
} LossLog;

static gboolean
on_progress (const McamTrainProgress *p, gpointer user_data)
{
  LossLog *log = user_data;

  g_assert_true (isfinite (p->losses.total));
  if (!p->epoch_done)
    return TRUE;
  if (p->epoch == 1)
    log->first = p->losses.total;
  log->last = p->losses.total;
  log->epochs_seen++;
  return TRUE;
}

static McamMemory *
train_synth (const Synth *s, int n_slots, McamTrainInit init, guint64 seed, int epochs,
             LossLog *log)
{
  g_autoptr(GError) error = NULL;
  McamTrainOptions opt;
  g_autoptr(McamMemory) m = NULL;
  g_autoptr(McamTrainer) tr = NULL;

  mcam_train_options_init (&opt);
  opt.init = init;
  opt.seed = seed;
  opt.epochs = epochs;
  opt.batch = 32;
  opt.lr = 1e-2f;
  m = mcam_train_init_memory (n_slots, s->c, s->h, s->w, s->C, s->f, s->y, s->n, &opt,
                              &error);
  g_assert_no_error (error);
  tr = mcam_trainer_new (m, &opt);
  g_assert_true (mcam_trainer_run (tr, s->f, s->y, s->n, on_progress, log, NULL, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&m);
}

static void
test_synthetic (void)
{
  Synth train, test;
  LossLog log = { 0 };
  g_autoptr(McamMemory) m = NULL;
  g_autofree float *scores = NULL;
  double map;
  int slots = 8;   /* k = 2 slots per class */

  synth_make (&train, 256, 1);
  synth_make (&test, 128, 2);
  m = train_synth (&train, slots, MCAM_TRAIN_INIT_CLASS, 5, 25, &log);
  g_assert_cmpint (log.epochs_seen, ==, 25);
  g_test_message ("loss: epoch 1 %.4f, epoch 25 %.4f", log.first, log.last);
  g_assert_cmpfloat (log.last, <, 0.7 * log.first);

  scores = g_new (float, (gsize) test.n * test.C);
  mcam_train_memory_scores (m, test.f, test.n, scores);
  map = mcam_mean_average_precision (scores, test.y, test.n, test.C, NULL);
  g_test_message ("memory classifier mAP on held-out images: %.4f", map);
  g_assert_cmpfloat (map, >=, 0.95);

  /* Every class keeps its own slot: p'(G(e_c)) peaks at a slot of class c
   * (slot i belongs to class i mod C). */
  for (int k = 0; k < train.C; k++)
    {
      g_autofree float *pv = g_new (float, slots);
      int best = 0;
      mcam_memory_value_address (m, k, pv);
      for (int i = 1; i < slots; i++)
        if (pv[i] > pv[best])
          best = i;
      g_test_message ("class %d: value address peaks at slot %d (%.3f)", k, best, pv[best]);
      g_assert_cmpint (best % train.C, ==, k);
    }
  synth_clear (&train);
  synth_clear (&test);
}

/* The class initialisation (DESIGN 4.2): S_i is the mean f of the images of
 * class i mod C, K_i = GAP(S_i) = mean q, V_i = K_i, and G fitted alone so
 * that G(e_c) ≈ V_c: every class's value address already peaks at its slot. */
static void
test_class_init (void)
{
  Synth s;
  McamTrainOptions opt;
  g_autoptr(GError) error = NULL;
  g_autoptr(McamMemory) m = NULL;
  int hw, N = 4;
  gsize D;

  synth_make (&s, 60, 6);
  hw = s.h * s.w;
  D = (gsize) s.c * hw;
  mcam_train_options_init (&opt);
  m = mcam_train_init_memory (N, s.c, s.h, s.w, s.C, s.f, s.y, s.n, &opt, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_hash_table_lookup (m->metadata, "mcam.memory.init"), ==, "class");
  g_assert_cmpfloat (m->scale, ==, 10.0f);

  for (int k = 0; k < s.C; k++)
    {
      g_autofree double *mean = g_new0 (double, D);
      g_autofree float *pv = g_new (float, N);
      double cnt = 0, err = 0, ref = 0;
      int best = 0;

      for (int i = 0; i < s.n; i++)
        if (s.y[(gsize) i * s.C + k] > 0.5f)
          {
            for (gsize j = 0; j < D; j++)
              mean[j] += s.f[(gsize) i * D + j];
            cnt++;
          }
      g_assert_cmpfloat (cnt, >, 0);
      for (gsize j = 0; j < D; j++)
        g_assert_cmpfloat (fabs (m->S[(gsize) k * D + j] - mean[j] / cnt), <, 1e-5);
      for (int ch = 0; ch < s.c; ch++)
        {
          double q = 0;
          for (int j = 0; j < hw; j++)
            q += mean[(gsize) ch * hw + j] / cnt;
          g_assert_cmpfloat (fabs (m->K[(gsize) k * s.c + ch] - q / hw), <, 1e-5);
          g_assert_cmpfloat (m->V[(gsize) k * s.c + ch], ==, m->K[(gsize) k * s.c + ch]);
        }

      /* G(e_k) = G2 ReLU(G0 e_k + b0) + b2 ≈ V_k: relative squared error */
      for (int ch = 0; ch < s.c; ch++)
        {
          double a = m->G2_b[ch], v = m->V[(gsize) k * s.c + ch];
          for (int j = 0; j < s.c; j++)
            a += m->G2_w[(gsize) ch * s.c + j] *
                 fmax (0.0, m->G0_w[(gsize) j * s.C + k] + m->G0_b[j]);
          err += (a - v) * (a - v);
          ref += v * v;
        }
      g_test_message ("class %d: |G(e_c) - V_c|^2 / |V_c|^2 = %.2g", k, err / ref);
      g_assert_cmpfloat (err / ref, <, 1e-3);

      mcam_memory_value_address (m, k, pv);
      for (int i = 1; i < N; i++)
        if (pv[i] > pv[best])
          best = i;
      g_assert_cmpint (best, ==, k);
    }
  synth_clear (&s);
}

static void
test_deterministic (void)
{
  Synth s;
  LossLog l1 = { 0 }, l2 = { 0 }, l3 = { 0 };
  g_autoptr(McamMemory) a = NULL, b = NULL, c = NULL;
  float *pa[N_PARAMS], *pb[N_PARAMS], *pc[N_PARAMS];
  gsize n[N_PARAMS];

  synth_make (&s, 100, 3);
  for (int init = 0; init < 2; init++)
    {
      gboolean all_same_c = TRUE;

      a = train_synth (&s, 4, init, 42, 3, &l1);
      b = train_synth (&s, 4, init, 42, 3, &l2);
      c = train_synth (&s, 4, init, 43, 3, &l3);
      memory_tensors (a, pa, n);
      memory_tensors (b, pb, n);
      memory_tensors (c, pc, n);
      for (int k = 0; k < N_PARAMS; k++)
        {
          g_assert_cmpmem (pa[k], n[k] * sizeof (float), pb[k], n[k] * sizeof (float));
          if (memcmp (pa[k], pc[k], n[k] * sizeof (float)) != 0)
            all_same_c = FALSE;
        }
      g_assert_false (all_same_c);
      g_clear_pointer (&a, mcam_memory_free);
      g_clear_pointer (&b, mcam_memory_free);
      g_clear_pointer (&c, mcam_memory_free);
    }
  synth_clear (&s);
}

static void
test_random_init (void)
{
  Synth s;
  McamTrainOptions opt;
  g_autoptr(GError) error = NULL;
  g_autoptr(McamMemory) m = NULL;
  double sum = 0, sq = 0;
  gsize n;

  synth_make (&s, 20, 4);
  mcam_train_options_init (&opt);
  opt.init = MCAM_TRAIN_INIT_RANDOM;
  m = mcam_train_init_memory (64, s.c, s.h, s.w, s.C, NULL, NULL, 0, &opt, &error);
  g_assert_no_error (error);
  n = (gsize) 64 * s.c * s.h * s.w;
  for (gsize j = 0; j < n; j++)
    {
      sum += m->S[j];
      sq += (double) m->S[j] * m->S[j];
    }
  /* N(0, 0.1²): mean ~0, std ~0.1 over 9216 draws */
  g_assert_cmpfloat (fabs (sum / n), <, 0.01);
  g_assert_cmpfloat (fabs (sqrt (sq / n) - 0.1), <, 0.005);
  g_assert_cmpstr (g_hash_table_lookup (m->metadata, "mcam.memory.init"), ==, "random");

  /* the class init refuses an empty training set */
  opt.init = MCAM_TRAIN_INIT_CLASS;
  g_assert_null (mcam_train_init_memory (4, s.c, s.h, s.w, s.C, NULL, NULL, 0, &opt,
                                         &error));
  g_assert_error (error, MCAM_ERROR, MCAM_ERROR_USAGE);
  synth_clear (&s);
}

static gboolean
cancel_after_first (const McamTrainProgress *p, gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return TRUE;
}

static void
test_cancel (void)
{
  Synth s;
  McamTrainOptions opt;
  g_autoptr(GError) error = NULL;
  g_autoptr(McamMemory) m = NULL;
  g_autoptr(McamTrainer) tr = NULL;
  g_autoptr(GCancellable) cancel = g_cancellable_new ();

  synth_make (&s, 64, 5);
  mcam_train_options_init (&opt);
  opt.batch = 16;
  m = mcam_train_init_memory (4, s.c, s.h, s.w, s.C, s.f, s.y, s.n, &opt, &error);
  g_assert_no_error (error);
  tr = mcam_trainer_new (m, &opt);
  g_assert_false (mcam_trainer_run (tr, s.f, s.y, s.n, cancel_after_first, cancel, cancel,
                                    &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  synth_clear (&s);
}

/* Benchmark (only with -m perf; never asserts time): seconds per epoch per
 * 1,000 images on cached features, for the setups of docs/BENCHMARKS.md. */
typedef struct
{
  const char *what;
  int c, h, w, C, N;
} PerfSetup;

static void
perf_one (const PerfSetup *ps, int threads)
{
  const int n = 1024;
  gsize D = (gsize) ps->c * ps->h * ps->w;
  int C = ps->C;
  g_autofree float *f = g_new (float, n * D);
  g_autofree float *y = g_new0 (float, (gsize) n * C);
  g_autoptr(GError) error = NULL;
  g_autoptr(McamMemory) m = NULL;
  g_autoptr(McamTrainer) tr = NULL;
  McamTrainOptions opt;
  GRand *r = g_rand_new_with_seed (9);
  gint64 t0, t1;
  struct timespec c0, c1;

  mcam_blas_set_threads (threads);
  for (gsize j = 0; j < n * D; j++)
    f[j] = (float) fmax (0.0, g_rand_double_range (r, -1.0, 1.0));
  for (int i = 0; i < n; i++)
    y[(gsize) i * C + g_rand_int_range (r, 0, C)] = 1.0f;
  g_rand_free (r);

  mcam_train_options_init (&opt);
  opt.epochs = 2;
  t0 = g_get_monotonic_time ();
  m = mcam_train_init_memory (ps->N, ps->c, ps->h, ps->w, C, f, y, n, &opt, &error);
  g_assert_no_error (error);
  t1 = g_get_monotonic_time ();
  tr = mcam_trainer_new (m, &opt);
  /* CPU time of the process too: on a shared machine it varies less than
   * the wall clock (with 1 thread it is what the epoch costs). */
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &c0);
  g_assert_true (mcam_trainer_run (tr, f, y, n, NULL, NULL, NULL, &error));
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &c1);
  g_test_message ("%s: init %.2f s, epoch per 1000 images: wall %.3f s, cpu %.3f s "
                  "(batch 128, %d thread(s), OpenBLAS %s)", ps->what, (t1 - t0) / 1e6,
                  (g_get_monotonic_time () - t1) / 1e6 / opt.epochs * 1000.0 / n,
                  ((c1.tv_sec - c0.tv_sec) + (c1.tv_nsec - c0.tv_nsec) / 1e9) / opt.epochs *
                  1000.0 / n, mcam_blas_get_threads (), mcam_blas_get_core ());
}

static void
test_perf (void)
{
  static const PerfSetup setups[] = {
    { "resnet18-like c=512 7x7, C=10, N=64", 512, 7, 7, 10, 64 },
    { "resnet18-like c=512 7x7, C=80, N=64", 512, 7, 7, 80, 64 },
    { "demo c=256 8x8, C=10, N=10", 256, 8, 8, 10, 10 },
    { "demo c=256 8x8, C=10, N=64", 256, 8, 8, 10, 64 },
  };

  for (int threads = 1; threads <= 2; threads++)
    for (gsize k = 0; k < G_N_ELEMENTS (setups); k++)
      perf_one (&setups[k], threads);
  mcam_blas_set_threads (1);
}

int
main (int argc, char **argv)
{
  mcam_test_init (&argc, &argv);
  /* sgemm is deterministic for a given thread count; fix it. */
  mcam_blas_set_threads (1);

  g_test_add_func ("/mcam/train/finite-differences", test_finite_differences);
  g_test_add_func ("/mcam/train/pytorch", test_pytorch);
  g_test_add_func ("/mcam/train/class-init", test_class_init);
  g_test_add_func ("/mcam/train/synthetic", test_synthetic);
  g_test_add_func ("/mcam/train/deterministic", test_deterministic);
  g_test_add_func ("/mcam/train/random-init", test_random_init);
  g_test_add_func ("/mcam/train/cancel", test_cancel);
  if (g_test_perf ())
    g_test_add_func ("/mcam/train/perf", test_perf);
  return g_test_run ();
}
