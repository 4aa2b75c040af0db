/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The re-fit head (issue 12): the objective's gradient against finite
 * differences, the fitted head against PyTorch's LBFGS on the same objective
 * (tools/make_head_fixtures.py), cross-validation's determinism, the file
 * (round trip, refusal for another backbone or layer), and the explanation
 * methods taking the re-fit head instead of the network's own. */

#include <math.h>
#include <string.h>

#include "mcam/mcam.h"
#include "mcam/mcam-head.h"
#include "mcam-head-private.h"
#include "mcam-memory-private.h"
#include "mcam-test-util.h"

typedef struct
{
  McamTensor *X, *Y, *W, *b;
  double loss, l2;
} RefCase;

static void
ref_case_clear (RefCase *rc)
{
  g_clear_pointer (&rc->X, mcam_tensor_free);
  g_clear_pointer (&rc->Y, mcam_tensor_free);
  g_clear_pointer (&rc->W, mcam_tensor_free);
  g_clear_pointer (&rc->b, mcam_tensor_free);
}

static void
ref_case_load (const char *name, RefCase *rc)
{
  g_autofree char *path = mcam_test_fixture ("head-reference.safetensors");
  g_autoptr(GError) error = NULL;
  g_autoptr(McamSafetensors) st = mcam_safetensors_open (path, &error);
  g_autoptr(McamTensor) loss = NULL, l2 = NULL;
  g_assert_no_error (error);

#define READ(field, suffix)                                                        \
  do {                                                                             \
    g_autofree char *key = g_strconcat (name, suffix, NULL);                       \
    field = mcam_safetensors_read (st, key, 0, NULL, &error);                      \
    g_assert_no_error (error);                                                     \
  } while (0)
  READ (rc->X, ".X");
  READ (rc->Y, ".Y");
  READ (rc->W, ".W");
  READ (rc->b, ".b");
  READ (loss, ".loss");
  READ (l2, ".l2");
#undef READ
  rc->loss = loss->data[0];
  rc->l2 = l2->data[0];
}

static void
check_gradient (const char *name, gboolean multilabel, gboolean use_blas, double tol)
{
  RefCase rc = { 0 };
  int n, c, C;
  gsize nt;
  McamRng rng;

  ref_case_load (name, &rc);
  n = (int) rc.X->shape[0];
  c = (int) rc.X->shape[1];
  C = (int) rc.Y->shape[1];
  nt = (gsize) C * c + C;

  g_autoptr(McamHeadProblem) p = _mcam_head_problem_new (rc.X->data, rc.Y->data, n, c, C, NULL,
                                                         n, multilabel, TRUE, 0.03);
  g_autofree double *theta = g_new (double, nt);
  g_autofree double *grad = g_new (double, nt);
  _mcam_rng_init (&rng, 7);
  for (gsize j = 0; j < nt; j++)
    theta[j] = 0.5 * _mcam_rng_normal (&rng);
  p->use_blas = use_blas;
  _mcam_head_objective (p, theta, grad);

  /* Central differences of the double-precision objective, every parameter. */
  double max_err = 0.0, max_g = 0.0;
  for (gsize j = 0; j < nt; j++)
    {
      double h = 1e-5, keep = theta[j], fp, fm, fd;
      theta[j] = keep + h;
      p->use_blas = FALSE;
      fp = _mcam_head_objective (p, theta, NULL);
      theta[j] = keep - h;
      fm = _mcam_head_objective (p, theta, NULL);
      theta[j] = keep;
      fd = (fp - fm) / (2 * h);
      max_err = MAX (max_err, fabs (fd - grad[j]));
      max_g = MAX (max_g, fabs (fd));
    }
  g_test_message ("%s%s: max |analytic - finite difference| %.3g (max |grad| %.3g)", name,
                  use_blas ? " (float GEMMs)" : "", max_err, max_g);
  g_assert_cmpfloat (max_err / max_g, <, tol);
  ref_case_clear (&rc);
}

static void
test_gradient (void)
{
  check_gradient ("ml", TRUE, FALSE, 1e-7);
  check_gradient ("sm", FALSE, FALSE, 1e-7);
  /* The path big problems take: products in float. */
  check_gradient ("ml", TRUE, TRUE, 1e-5);
  check_gradient ("sm", FALSE, TRUE, 1e-5);
}

static void
check_reference (const char *name, gboolean multilabel)
{
  RefCase rc = { 0 };
  McamHeadFitOptions opt;
  g_autoptr(GError) error = NULL;
  int n, c, C;

  ref_case_load (name, &rc);
  n = (int) rc.X->shape[0];
  c = (int) rc.X->shape[1];
  C = (int) rc.Y->shape[1];
  mcam_head_fit_options_init (&opt);
  opt.l2 = rc.l2;
  opt.multilabel = multilabel;
  opt.tol = 1e-9;
  g_autoptr(McamHead) h = mcam_head_fit (rc.X->data, rc.Y->data, n, c, C, &opt, NULL, NULL,
                                         NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (h->folds, ==, 0);
  g_assert_true (isnan (h->val_score));
  g_assert_cmpfloat (h->l2, ==, rc.l2);

  double ew = mcam_test_rel_error (h->weight, rc.W->data, (gsize) C * c, 1e-3);
  double eb = mcam_test_rel_error (h->bias, rc.b->data, C, 1e-3);
  g_test_message ("%s (λ %g): W rel. error %.3g, b %.3g", name, rc.l2, ew, eb);
  g_assert_cmpfloat (ew, <, 1e-4);
  g_assert_cmpfloat (eb, <, 1e-4);

  /* The loss at our minimum equals PyTorch's. */
  {
    g_autoptr(McamHeadProblem) p = _mcam_head_problem_new (rc.X->data, rc.Y->data, n, c, C,
                                                           NULL, n, multilabel, TRUE, rc.l2);
    g_autofree double *theta = g_new (double, (gsize) C * c + C);
    for (gsize j = 0; j < (gsize) C * c; j++)
      theta[j] = h->weight[j];
    for (int k = 0; k < C; k++)
      theta[(gsize) C * c + k] = h->bias[k];
    double loss = _mcam_head_objective (p, theta, NULL);
    g_assert_cmpfloat (fabs (loss - rc.loss), <, 1e-6 * MAX (1.0, rc.loss));
  }
  ref_case_clear (&rc);
}

static void
test_reference (void)
{
  check_reference ("ml", TRUE);
  check_reference ("ml0", TRUE);
  check_reference ("sm", FALSE);
}

static void
test_cv (void)
{
  RefCase rc = { 0 };
  McamHeadFitOptions opt;
  g_autoptr(GError) error = NULL;
  g_autofree McamHeadCvPoint *c1 = NULL, *c2 = NULL, *c3 = NULL;
  int n1 = 0, n2 = 0, n3 = 0, n, c, C;
  static const double grid[] = { 1e-4, 1.0, 1e-2 };

  ref_case_load ("ml", &rc);
  n = (int) rc.X->shape[0];
  c = (int) rc.X->shape[1];
  C = (int) rc.Y->shape[1];
  mcam_head_fit_options_init (&opt);
  opt.folds = 4;
  opt.seed = 3;
  opt.grid = grid;
  opt.n_grid = G_N_ELEMENTS (grid);

  g_autoptr(McamHead) a = mcam_head_fit (rc.X->data, rc.Y->data, n, c, C, &opt, &c1, &n1,
                                         NULL, NULL, &error);
  g_assert_no_error (error);
  g_autoptr(McamHead) b = mcam_head_fit (rc.X->data, rc.Y->data, n, c, C, &opt, &c2, &n2,
                                         NULL, NULL, &error);
  g_assert_no_error (error);
  opt.seed = 4;
  g_autoptr(McamHead) d = mcam_head_fit (rc.X->data, rc.Y->data, n, c, C, &opt, &c3, &n3,
                                         NULL, NULL, &error);
  g_assert_no_error (error);

  /* The same seed: the same curve, λ and head, bit for bit. */
  g_assert_cmpint (n1, ==, 3);
  g_assert_cmpint (n2, ==, 3);
  g_assert_cmpmem (c1, sizeof *c1 * n1, c2, sizeof *c2 * n2);
  g_assert_cmpmem (a->weight, sizeof (float) * C * c, b->weight, sizeof (float) * C * c);
  g_assert_cmpfloat (a->l2, ==, b->l2);
  /* Sorted large to small; the chosen λ has the best held-out mAP. */
  g_assert_cmpfloat (c1[0].l2, ==, 1.0);
  g_assert_cmpfloat (c1[2].l2, ==, 1e-4);
  for (int g = 0; g < n1; g++)
    {
      g_assert_true (c1[g].map > 0.0 && c1[g].map <= 1.0);
      if (c1[g].l2 != a->l2)
        g_assert_cmpfloat (c1[g].map, <=, a->val_score + 1e-9);
      else
        g_assert_cmpfloat (c1[g].map, ==, a->val_score);
    }
  g_assert_cmpint (a->folds, ==, 4);
  g_assert_nonnull (a->cv_curve);
  g_assert_nonnull (strstr (a->cv_curve, "\"l2\":0.01"));
  /* Another seed: other folds, another curve. */
  g_assert_true (memcmp (c1, c3, sizeof *c1 * n1) != 0);

  /* The fit at the chosen λ equals a fit with that λ given. */
  opt.l2 = a->l2;
  g_autoptr(McamHead) e = mcam_head_fit (rc.X->data, rc.Y->data, n, c, C, &opt, NULL, NULL,
                                         NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (a->weight, sizeof (float) * C * c, e->weight, sizeof (float) * C * c);

  /* Too many folds is a usage error. */
  opt.l2 = -1;
  opt.folds = n + 1;
  g_autoptr(McamHead) f = mcam_head_fit (rc.X->data, rc.Y->data, n, c, C, &opt, NULL, NULL,
                                         NULL, NULL, &error);
  g_assert_null (f);
  g_assert_error (error, MCAM_ERROR, MCAM_ERROR_USAGE);
  ref_case_clear (&rc);
}

static gboolean
cancel_at_second (const char *stage, int step, int n_steps, gpointer user_data)
{
  int *calls = user_data;
  return ++*calls < 2;
}

static void
test_cancel (void)
{
  RefCase rc = { 0 };
  McamHeadFitOptions opt;
  g_autoptr(GError) error = NULL;
  int calls = 0;

  ref_case_load ("ml", &rc);
  mcam_head_fit_options_init (&opt);
  g_autoptr(McamHead) h = mcam_head_fit (rc.X->data, rc.Y->data, (int) rc.X->shape[0],
                                         (int) rc.X->shape[1], (int) rc.Y->shape[1], &opt,
                                         NULL, NULL, cancel_at_second, &calls, &error);
  g_assert_null (h);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (calls, ==, 2);
  ref_case_clear (&rc);
}

/* ---- the file, and the methods taking the head ---- */

static McamNet *
fixture_net (void)
{
  g_autofree char *path = mcam_test_fixture ("net-basic.safetensors");
  g_autoptr(GError) error = NULL;
  McamNet *net = mcam_net_load (path, &error);
  g_assert_no_error (error);
  return net;
}

static void
test_file (void)
{
  g_autoptr(McamNet) net = fixture_net ();
  const McamNetInfo *info = mcam_net_get_info (net);
  g_autoptr(McamHead) h = mcam_head_new_from_net (net);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("mcam-head-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "head.safetensors", NULL);

  g_assert_nonnull (h);
  for (gsize j = 0; j < (gsize) h->n_classes * h->c; j++)
    h->weight[j] = (float) (0.01 * (j % 17) - 0.05);
  h->l2 = 0.003;
  h->n_images = 42;
  h->images_hash = g_strdup ("abc");
  h->folds = 5;
  h->val_score = 0.875;
  h->cv_curve = g_strdup ("[{\"l2\":0.003,\"map\":0.875,\"sd\":0.01}]");
  g_assert_true (mcam_head_save (h, path, &error));
  g_assert_no_error (error);

  g_autoptr(McamHead) r = mcam_head_load (path, net, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (r->weight, sizeof (float) * h->n_classes * h->c, h->weight,
                   sizeof (float) * h->n_classes * h->c);
  g_assert_cmpmem (r->bias, sizeof (float) * h->n_classes, h->bias,
                   sizeof (float) * h->n_classes);
  g_assert_cmpfloat (r->l2, ==, 0.003);
  g_assert_cmpfloat (r->val_score, ==, 0.875);
  g_assert_cmpint (r->n_images, ==, 42);
  g_assert_cmpint (r->folds, ==, 5);
  g_assert_cmpstr (r->images_hash, ==, "abc");
  g_assert_cmpstr (r->layer, ==, info->target);
  g_assert_cmpstr (r->backbone, ==, info->fingerprint);
  g_assert_cmpstr (r->cv_curve, ==, h->cv_curve);
  g_assert_true (r->multilabel == info->multilabel);
  g_assert_cmpstr (r->classes[0], ==, info->classes[0]);

  /* Another backbone: refused, naming the file. */
  g_free (h->backbone);
  h->backbone = g_strdup ("0123456789abcdef");
  g_assert_true (mcam_head_save (h, path, NULL));
  g_autoptr(McamHead) other = mcam_head_load (path, net, &error);
  g_assert_null (other);
  g_assert_error (error, MCAM_ERROR, MCAM_ERROR_MISMATCH);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, "another backbone"));
  g_clear_error (&error);

  /* Another layer: refused. */
  g_free (h->backbone);
  h->backbone = g_strdup (info->fingerprint);
  g_free (h->layer);
  h->layer = g_strdup ("layer3");
  g_assert_true (mcam_head_save (h, path, NULL));
  g_autoptr(McamHead) layer = mcam_head_load (path, net, &error);
  g_assert_null (layer);
  g_assert_error (error, MCAM_ERROR, MCAM_ERROR_MISMATCH);
  g_assert_nonnull (strstr (error->message, "--layer layer3"));
  g_clear_error (&error);

  /* A head that records "layer4" (written before the target was movable)
   * was fitted at the default target: accepted there, refused at another
   * layer saying to drop --layer (the layer is checked before the width). */
  g_free (h->layer);
  h->layer = g_strdup (MCAM_HEAD_LAYER_LEGACY);
  g_assert_true (mcam_head_save (h, path, NULL));
  g_autoptr(McamHead) legacy = mcam_head_load (path, net, &error);
  g_assert_no_error (error);
  g_assert_nonnull (legacy);
  {
    g_autoptr(McamNet) inner = fixture_net ();
    g_assert_true (mcam_net_set_target (inner, "layer3.0", NULL));
    g_autoptr(McamHead) legacy_inner = mcam_head_load (path, inner, &error);
    g_assert_null (legacy_inner);
    g_assert_error (error, MCAM_ERROR, MCAM_ERROR_MISMATCH);
    g_assert_nonnull (strstr (error->message, "without --layer"));
    g_clear_error (&error);

    /* A head recording that inner layer: accepted there, refused at the
     * default target naming the --layer to use. */
    g_autoptr(McamHead) hi = mcam_head_new (info->n_classes,
                                            mcam_net_get_info (inner)->feat_c,
                                            info->multilabel);
    hi->backbone = g_strdup (info->fingerprint);
    hi->layer = g_strdup ("layer3.0");
    g_assert_true (mcam_head_save (hi, path, NULL));
    g_autoptr(McamHead) at_inner = mcam_head_load (path, inner, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (at_inner->layer, ==, "layer3.0");
    g_autoptr(McamHead) at_default = mcam_head_load (path, net, &error);
    g_assert_null (at_default);
    g_assert_error (error, MCAM_ERROR, MCAM_ERROR_MISMATCH);
    g_assert_nonnull (strstr (error->message, "--layer layer3.0"));
    g_clear_error (&error);
  }

  /* Not a head at all: the network file. */
  g_autoptr(McamHead) notahead = mcam_head_load (mcam_net_get_path (net), net, &error);
  g_assert_null (notahead);
  g_assert_error (error, MCAM_ERROR, MCAM_ERROR_SHAPE);
  g_clear_error (&error);

  g_remove (path);
  g_rmdir (dir);
}

static McamAnalysis *
fixture_analysis (McamNet *net)
{
  const McamNetInfo *info = mcam_net_get_info (net);
  gsize n = (gsize) info->feat_c * info->feat_h * info->feat_w;
  g_autofree float *f = g_new (float, n);
  McamRng rng;

  _mcam_rng_init (&rng, 11);
  for (gsize j = 0; j < n; j++)
    f[j] = (float) MAX (0.0, _mcam_rng_normal (&rng));
  return mcam_analysis_new_from_features (net, NULL, f);
}

/* A head whose row k is the network's row perm[k]: explaining class k with
 * it must give the network's map of class perm[k], for every method that
 * reads the head (CAM, the gradient family, Ablation-CAM). */
static void
test_methods_take_head (void)
{
  g_autoptr(McamNet) net = fixture_net ();
  const McamNetInfo *info = mcam_net_get_info (net);
  g_autoptr(McamAnalysis) a = fixture_analysis (net);
  g_autoptr(McamHead) own = mcam_head_new_from_net (net);
  g_autoptr(McamHead) h = mcam_head_new_from_net (net);
  int C = info->n_classes, c = info->feat_c;
  static const McamMethod methods[] = {
    MCAM_METHOD_CAM, MCAM_METHOD_GRADCAM, MCAM_METHOD_GRADCAM_PP, MCAM_METHOD_XGRADCAM,
    MCAM_METHOD_HIRESCAM, MCAM_METHOD_LAYERCAM, MCAM_METHOD_EIGENGRADCAM,
    MCAM_METHOD_ABLATIONCAM
  };

  g_assert_cmpint (C, >=, 2);
  for (int k = 0; k < C; k++)
    {
      int src = (k + 1) % C;
      memcpy (h->weight + (gsize) k * c, own->weight + (gsize) src * c, sizeof (float) * c);
      h->bias[k] = own->bias[src];
    }

  for (guint m = 0; m < G_N_ELEMENTS (methods); m++)
    {
      McamExplainOptions plain, refit;
      mcam_explain_options_init (&plain);
      mcam_explain_options_init (&refit);
      refit.head = h;
      for (int k = 0; k < C; k++)
        {
          g_autoptr(GError) error = NULL;
          g_autoptr(McamExplanation) want = mcam_explain (a, (k + 1) % C, methods[m], &plain,
                                                          NULL, &error);
          g_assert_no_error (error);
          g_autoptr(McamExplanation) got = mcam_explain (a, k, methods[m], &refit, NULL,
                                                         &error);
          g_assert_no_error (error);
          double e = mcam_test_rel_error (got->map, want->map, (gsize) a->h * a->w, 1e-6);
          if (e > 1e-5)
            g_error ("%s, class %d with the permuted head: rel. error %g",
                     mcam_method_get_name (methods[m]), k, e);
        }
      /* Every class at once agrees with class by class. */
      {
        g_autoptr(GError) error = NULL;
        g_autoptr(GPtrArray) all = mcam_explain_all_classes (a, methods[m], &refit, NULL,
                                                             &error);
        g_assert_no_error (error);
        for (int k = 0; k < C; k++)
          {
            g_autoptr(McamExplanation) one = mcam_explain (a, k, methods[m], &refit, NULL,
                                                           NULL);
            McamExplanation *e = g_ptr_array_index (all, k);
            g_assert_cmpfloat (mcam_test_rel_error (e->map, one->map, (gsize) a->h * a->w,
                                                    1e-6), <, 1e-5);
          }
      }
    }

  /* The logits of the head on the analysis' q. */
  {
    g_autofree float *z = g_new (float, C);
    mcam_head_logits (own, a->q, z);
    g_assert_cmpfloat (mcam_test_rel_error (z, a->logits, C, 1e-3), <, 1e-5);
  }

  /* A head of another shape is refused. */
  {
    g_autoptr(McamHead) bad = mcam_head_new (C + 1, c, TRUE);
    McamExplainOptions o;
    g_autoptr(GError) error = NULL;
    mcam_explain_options_init (&o);
    o.head = bad;
    g_autoptr(McamExplanation) e = mcam_explain (a, 0, MCAM_METHOD_CAM, &o, NULL, &error);
    g_assert_null (e);
    g_assert_error (error, MCAM_ERROR, MCAM_ERROR_MISMATCH);
  }
}

int
main (int argc, char **argv)
{
  mcam_test_init (&argc, &argv);
  /* sgemm is deterministic for a given thread count; fix it. */
  mcam_blas_set_threads (1);

  g_test_add_func ("/mcam/head/gradient", test_gradient);
  g_test_add_func ("/mcam/head/pytorch", test_reference);
  g_test_add_func ("/mcam/head/cross-validation", test_cv);
  g_test_add_func ("/mcam/head/cancel", test_cancel);
  g_test_add_func ("/mcam/head/file", test_file);
  g_test_add_func ("/mcam/head/methods", test_methods_take_head);
  return g_test_run ();
}
