/* SPDX-License-Identifier: GPL-3.0-or-later */
/* mcam refit --model M [--layer L] --images DIR --labels CSV [--l2 λ]
 *            [--folds K] [--seed S] [--threads T] --out HEAD [--force]
 *
 * The re-fit lens (issue 12): a new linear head on the pooled target-layer
 * features of a frozen backbone, fitted on the given images (mcam-head.h).
 * --layer moves the target as on classify/explain (any 4-D feature map: the
 * head is linear on its GAP); the file records it, and --head refuses it at
 * another.
 * Without --l2, λ is chosen by K-fold cross-validation and the curve printed.
 * The features are computed once and cached beside the output
 * (HEAD.features), as mcam train caches its own. */

#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <glib/gstdio.h>

#include "mcam-cli.h"
#include "mcam-cli-features.h"
#include "mcam/mcam-dataset.h"
#include "mcam/mcam-feature-cache.h"
#include "mcam/mcam-head.h"

typedef struct
{
  McamCliProgress *bar;
} Progress;

static gboolean
on_fit_progress (const char *stage, int step, int n_steps, gpointer user_data)
{
  Progress *p = user_data;

  if (p->bar != NULL)
    mcam_cli_progress_update (p->bar, step);
  return TRUE;
}

static double
scores_map (const float *logits, int n, int C, gboolean multilabel, const float *labels,
            const McamHead *like)
{
  g_autofree float *scores = g_new (float, (gsize) MAX (n, 1) * C);

  for (int i = 0; i < n; i++)
    mcam_head_scores (like, logits + (gsize) i * C, scores + (gsize) i * C);
  return mcam_mean_average_precision (scores, labels, n, C, NULL);
}

int
mcam_cmd_refit (int argc, char **argv)
{
  g_autofree char *model = NULL, *layer = NULL, *images = NULL, *labels = NULL, *out = NULL;
  double l2 = -1.0;
  int folds = 5, threads = 0;
  gint64 seed = 0;
  gboolean force = FALSE;
  g_auto(GStrv) feature_parts = NULL;
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model, "Backbone model (its head is left as it is)", "FILE" },
    { "layer", 0, 0, G_OPTION_ARG_STRING, &layer, "Layer whose pooled features the head reads (default: the target layer; mcam info --layers lists them)", "NAME" },
    { "images", 0, 0, G_OPTION_ARG_FILENAME, &images, "Folder the labels' file names are relative to", "DIR" },
    { "labels", 0, 0, G_OPTION_ARG_FILENAME, &labels, "Labels (file,labels; labels separated by ';')", "CSV" },
    { "l2", 0, 0, G_OPTION_ARG_DOUBLE, &l2, "L2 penalty λ on the mean loss (default: chosen by cross-validation)", "λ" },
    { "folds", 0, 0, G_OPTION_ARG_INT, &folds, "Cross-validation folds K (5)", "K" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Seed of the fold assignment (0)", "S" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads, "BLAS threads (0: all cores; results are identical only for the same count)", "T" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Output head (safetensors, written atomically; an existing file only with --force, never an input)", "FILE" },
    { "force", 0, 0, G_OPTION_ARG_NONE, &force, "Let --out replace an existing file", NULL },
    { "features", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &feature_parts,
      "Fit on these feature-cache parts (mcam features --shard; the arguments after it are "
      "parts too) instead of computing the features", "PART" },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("— re-fit a linear head on the pooled features (the re-fit lens)");
  g_autoptr(GError) error = NULL;
  g_autoptr(McamNet) net = NULL;
  g_autoptr(McamDataset) ds = NULL;
  g_autoptr(McamFeatureCache) cache = NULL;
  g_autoptr(McamHead) head = NULL;
  g_autofree McamHeadCvPoint *curve = NULL;
  g_autofree float *X = NULL, *logits = NULL;
  g_autofree char *cache_path = NULL;
  g_autofree float *joined_f = NULL, *joined_l = NULL;
  const float *feats, *net_logits;
  McamHeadFitOptions opt;
  const McamNetInfo *info;
  Progress prog = { 0 };
  int n_curve = 0, n, C, c, hw;
  gint64 t0;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!mcam_cli_parse (ctx, &argc, &argv))
    return MCAM_EXIT_USAGE;
  if (model == NULL || images == NULL || labels == NULL || out == NULL)
    {
      fprintf (stderr, "mcam refit: give --model, --images, --labels and --out\n");
      return MCAM_EXIT_USAGE;
    }
  mcam_cli_features_take_args (&feature_parts, &argc, argv);
  if (argc > 1)
    {
      fprintf (stderr, "mcam refit: unexpected argument '%s'\n", argv[1]);
      return MCAM_EXIT_USAGE;
    }
  if (!isfinite (l2) || (l2 < 0.0 && l2 != -1.0) || folds < 2 || seed < 0)
    {
      fprintf (stderr, "mcam refit: --l2 must be a number >= 0, --folds at least 2, "
               "--seed not negative\n");
      return MCAM_EXIT_USAGE;
    }
  cache_path = g_strconcat (out, ".features", NULL);
  {
    const McamCliInput inputs[] = {
      { "model", model }, { "labels", labels }, { "class names", mcam_cli_classes },
    };

    /* The head needs --force to replace a file; its feature cache is
     * replaced by design; neither may be an input. */
    if (!mcam_cli_check_out ("--out", out, force, inputs, G_N_ELEMENTS (inputs), &error)
        || !mcam_cli_check_out ("--out", cache_path, TRUE, inputs, G_N_ELEMENTS (inputs),
                                &error))
      return mcam_cli_fail ("refit", error);
  }
  mcam_blas_set_threads (threads);

  net = mcam_net_load (model, &error);
  if (net == NULL)
    return mcam_cli_fail ("refit", error);
  mcam_cli_warn_metadata (model, net);
  /* Before the features are cached (their key holds the layer). The
   * network's own head need not be GAP + linear: its logits are compared
   * as they are, and the re-fit head is linear on GAP of any 4-D map. */
  if (layer != NULL && !mcam_net_set_target (net, layer, &error))
    return mcam_cli_fail ("refit", error);
  info = mcam_net_get_info (net);
  ds = mcam_dataset_load (labels, NULL, images, (const char *const *) info->classes,
                          info->n_classes, &error);
  if (ds == NULL
      || !mcam_cli_check_out_not_in ("--out", out, "image", (const char *const *) ds->paths,
                                     (gsize) ds->n, &error)
      || !mcam_cli_check_out_not_in ("--out", cache_path, "image",
                                     (const char *const *) ds->paths, (gsize) ds->n, &error))
    return mcam_cli_fail ("refit", error);
  if (ds->n < 2)
    {
      fprintf (stderr, "mcam refit: %s: a head needs at least 2 images (%d listed)\n", labels,
               ds->n);
      return MCAM_EXIT_ERROR;
    }
  if (l2 < 0.0 && folds > ds->n)
    {
      fprintf (stderr, "mcam refit: --folds %d for %d images\n", folds, ds->n);
      return MCAM_EXIT_USAGE;
    }

  n = ds->n;
  C = info->n_classes;
  c = info->feat_c;
  hw = info->feat_h * info->feat_w;
  fprintf (stderr, "mcam refit: %d images, %d classes, pooled %s features (%d channels), "
           "%s\n", n, C, info->target, c, info->multilabel ? "sigmoid" : "softmax");

  if (feature_parts != NULL)
    {
      if (!mcam_cli_check_out_not_in ("--out", out, "feature part",
                                      (const char *const *) feature_parts,
                                      g_strv_length (feature_parts), &error) ||
          !mcam_cli_features_join (net, ds, feature_parts, &joined_f, &joined_l, &error))
        return mcam_cli_fail ("refit", error);
      feats = joined_f;
      net_logits = joined_l;
    }
  else
    {
      cache = mcam_cli_features_open (net, ds, cache_path, "features", NULL, &error);
      if (cache == NULL)
        return mcam_cli_fail ("refit", error);
      feats = mcam_feature_cache_get_features (cache);
      net_logits = mcam_feature_cache_get_logits (cache);
    }

  X = g_new (float, (gsize) n * c);
  mcam_head_pool_features (feats, n, c, hw, X);

  mcam_head_fit_options_init (&opt);
  opt.l2 = l2;
  opt.folds = folds;
  opt.seed = (guint64) seed;
  opt.multilabel = info->multilabel;
  t0 = g_get_monotonic_time ();
  prog.bar = mcam_cli_progress_new (l2 < 0 ? "cross-validation" : "fit",
                                    l2 < 0 ? (gint64) folds * 13 : 1);
  head = mcam_head_fit (X, ds->labels, n, c, C, &opt, &curve, &n_curve, on_fit_progress, &prog,
                        &error);
  g_clear_pointer (&prog.bar, mcam_cli_progress_free);
  if (head == NULL)
    return mcam_cli_fail ("refit", error);
  if (mcam_cli_stderr_is_tty ())
    fprintf (stderr, "\r\033[K");

  if (n_curve > 0)
    {
      printf ("cross-validation (%d folds, seed %" G_GINT64_FORMAT "): held-out mAP per λ\n",
              folds, seed);
      for (int g = 0; g < n_curve; g++)
        printf ("  λ %-8g mAP %.4f ± %.4f%s\n", curve[g].l2, curve[g].map, curve[g].sd,
                curve[g].l2 == head->l2 ? "  <- chosen" : "");
    }

  head->classes = g_strdupv (info->classes);
  head->backbone = g_strdup (info->fingerprint);
  head->layer = g_strdup (info->target);
  head->n_images = n;
  head->images_hash = mcam_head_hash_images ((const char *const *) ds->names,
                                             (const char *const *) ds->paths, ds->labels,
                                             ds->n, ds->n_classes, &error);
  if (head->images_hash == NULL)
    return mcam_cli_fail ("refit", error);
  if (!mcam_head_save (head, out, &error))
    return mcam_cli_fail ("refit", error);

  /* The two heads on the fitting images (the re-fit one is fitted on them:
   * its figure is optimistic; the cross-validated one above is not). */
  logits = g_new (float, (gsize) n * C);
  for (int i = 0; i < n; i++)
    mcam_head_logits (head, X + (gsize) i * c, logits + (gsize) i * C);
  printf ("λ %g, fitted in %.1f s; mAP on these images: re-fit head %.4f, network's head "
          "%.4f\n", head->l2, (g_get_monotonic_time () - t0) / 1e6,
          scores_map (logits, n, C, info->multilabel, ds->labels, head),
          scores_map (net_logits, n, C, info->multilabel,
                      ds->labels, head));
  printf ("wrote %s\n", out);
  return MCAM_EXIT_OK;
}
