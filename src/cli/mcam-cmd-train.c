/* SPDX-License-Identifier: GPL-3.0-or-later */
/* mcam train --backbone MODEL --images DIR --labels CSV --slots N [--epochs E]
 *            [--batch B] [--lr LR] [--scale s] [--init class|random] [--seed S]
 *            [--val CSV] [--val-images DIR] [--threads T] --out MEM [--force]
 *
 * Trains a memory module beside a frozen backbone (DESIGN 4.2). The backbone
 * features are computed once and cached beside the output (OUT.features,
 * OUT.val.features); every epoch prints each loss term (and, with --val, the
 * memory classifier's mAP); the output is written atomically at the end, so
 * an interrupted or failed run leaves any earlier file whole. An existing
 * output is replaced only with --force, and never when it is an input (the
 * backbone, a CSV, a listed image). */

#include "config.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <glib/gstdio.h>

#include "mcam-cli.h"
#include "mcam-cli-features.h"
#include "mcam/mcam-dataset.h"
#include "mcam/mcam-feature-cache.h"
#include "mcam/mcam-health.h"
#include "mcam/mcam-train.h"

static volatile sig_atomic_t interrupted = 0;

static void
on_sigint (int sig)
{
  interrupted = 1;
}

typedef struct
{
  McamCliProgress *bar;
  const McamMemory *mem;
  const float     *val_f;
  const float     *val_y;
  int              val_n;
  float           *val_scores;
  gint64           start_us;
} TrainState;

static gboolean
on_train_progress (const McamTrainProgress *p, gpointer user_data)
{
  TrainState *st = user_data;

  if (interrupted)
    return FALSE;
  if (!p->epoch_done)
    {
      mcam_cli_progress_update (st->bar,
                                (gint64) (p->epoch - 1) * p->n_batches + p->batch);
      return TRUE;
    }

  if (mcam_cli_stderr_is_tty ())
    fprintf (stderr, "\r\033[K");
  /* %.4g: the sparse and KL terms can be tiny (near-uniform addresses), and a
   * row of 0.0000 would hide that they are not zero. */
  printf ("epoch %*d/%d  loss %.4g  bce(z_t) %.4g  bce(z) %.4g  sparse %.4g  "
          "kl(p'|p_s) %.4g  kl(p'|p) %.4g",
          p->n_epochs >= 100 ? 3 : p->n_epochs >= 10 ? 2 : 1, p->epoch, p->n_epochs,
          p->losses.total, p->losses.bce_target, p->losses.bce_read, p->losses.sparse,
          p->losses.kl_spatial, p->losses.kl_key);
  if (st->val_n > 0)
    {
      double map;
      mcam_train_memory_scores (st->mem, st->val_f, st->val_n, st->val_scores);
      map = mcam_mean_average_precision (st->val_scores, st->val_y, st->val_n,
                                         st->mem->n_classes, NULL);
      printf ("  val mAP %.4f", map);
    }
  printf ("  (%.1fs)\n", (g_get_monotonic_time () - st->start_us) / 1e6);
  fflush (stdout);
  return !interrupted;
}

/* None of the files train writes (the memory and its feature caches) may be
 * one it reads: with `force`, only the memory may replace an existing file
 * (the caches are replaced by design). Images are checked once listed. */
static gboolean
check_outputs (const char *out, gboolean force, const char *backbone, const char *labels,
               const char *val, McamDataset *ds, McamDataset *vds, GError **error)
{
  const McamCliInput inputs[] = {
    { "backbone", backbone }, { "labels", labels }, { "validation labels", val },
    { "class names", mcam_cli_classes },
  };
  g_autofree char *cache = g_strconcat (out, ".features", NULL);
  g_autofree char *vcache = g_strconcat (out, ".val.features", NULL);
  const char *const outputs[] = { out, cache, vcache };

  if (ds == NULL)
    return mcam_cli_check_out ("--out", out, force, inputs, G_N_ELEMENTS (inputs), error)
           && mcam_cli_check_out ("--out", cache, TRUE, inputs, G_N_ELEMENTS (inputs), error)
           && mcam_cli_check_out ("--out", vcache, TRUE, inputs, G_N_ELEMENTS (inputs), error);
  for (gsize i = 0; i < G_N_ELEMENTS (outputs); i++)
    if (!mcam_cli_check_out_not_in ("--out", outputs[i], "image", (const char *const *) ds->paths,
                                    (gsize) ds->n, error)
        || (vds != NULL
            && !mcam_cli_check_out_not_in ("--out", outputs[i], "validation image",
                                           (const char *const *) vds->paths, (gsize) vds->n,
                                           error)))
      return FALSE;
  return TRUE;
}

static int
interrupted_exit (const char *out)
{
  fprintf (stderr, "mcam train: interrupted; %s was not written (any earlier file is left "
           "as it was)\n", out);
  return MCAM_EXIT_ERROR;
}

static char *
fmt_figure (double v)
{
  return isnan (v) ? g_strdup ("n/a") : g_strdup_printf ("%.3f", v);
}

static void
print_health (const McamHealth *h)
{
  g_autofree char *verdict = mcam_health_verdict (h, NAN);
  g_autofree char *rel = fmt_figure (h->reliance);
  g_autofree char *relmax = fmt_figure (h->reliance_max);
  g_autofree char *map = fmt_figure (h->map_score);
  g_autofree char *drop = fmt_figure (h->map_drop);
  g_autofree char *maxp = fmt_figure (h->mean_max_p);
  g_autofree char *hp = fmt_figure (h->entropy_p);
  g_autofree char *hps = fmt_figure (h->entropy_p_s);
  g_autofree char *hpv = fmt_figure (h->entropy_p_value);
  g_autofree char *msr = fmt_figure (h->mcam_sum_r);
  g_autofree char *mbr = fmt_figure (h->mcam_between_r);
  g_autofree char *psr = fmt_figure (h->profile_sum_r);
  g_autofree char *pbr = fmt_figure (h->profile_between_r);

  printf ("memory health (%d images): %s\n", h->n_images, verdict);
  printf ("  reliance: mean |Δscore| %s (largest per image %s) when v is replaced by its mean;"
          " mAP %s, drop %s\n", rel, relmax, map, drop);
  printf ("  sharpness: mean max p %s; entropy / log N: p %s, p_s %s, p' %s\n", maxp, hp,
          hps, hpv);
  printf ("  slot use: %d distinct class slots for %d classes, %d of %d slots unused\n",
          h->distinct_slots, h->n_classes, h->unused_slots, h->n_slots);
  printf ("  maps: r with the channel sum: mcam %s, mcam-profile %s; "
          "r between classes: mcam %s, mcam-profile %s\n", msr, psr, mbr, pbr);
}

static double
head_map (McamNet *net, McamFeatureCache *cache, const float *labels)
{
  int n = mcam_feature_cache_get_n (cache);
  int C = mcam_net_get_info (net)->n_classes;
  const float *logits = mcam_feature_cache_get_logits (cache);
  g_autofree float *scores = g_new (float, MAX (1, (gsize) n * C));

  for (int i = 0; i < n; i++)
    mcam_net_scores (net, logits + (gsize) i * C, scores + (gsize) i * C);
  return mcam_mean_average_precision (scores, labels, n, C, NULL);
}

int
mcam_cmd_train (int argc, char **argv)
{
  g_autofree char *backbone = NULL, *images = NULL, *labels = NULL, *out = NULL;
  g_autofree char *val = NULL, *val_images = NULL, *init_name = NULL;
  int slots = 0, epochs = 30, batch = 128, threads = 0;
  double lr = 1e-3, scale = 10.0;
  gint64 seed = 0;
  gboolean force = FALSE;
  g_auto(GStrv) feature_parts = NULL;
  GOptionEntry entries[] = {
    { "backbone", 'm', 0, G_OPTION_ARG_FILENAME, &backbone, "Backbone model (ONNX or safetensors)", "FILE" },
    { "images", 0, 0, G_OPTION_ARG_FILENAME, &images, "Folder the labels' file names are relative to", "DIR" },
    { "labels", 0, 0, G_OPTION_ARG_FILENAME, &labels, "Training labels (file,labels; labels separated by ';')", "CSV" },
    { "slots", 0, 0, G_OPTION_ARG_INT, &slots, "Memory slots N (class init: a multiple of the classes)", "N" },
    { "epochs", 0, 0, G_OPTION_ARG_INT, &epochs, "Epochs (30)", "E" },
    { "batch", 0, 0, G_OPTION_ARG_INT, &batch, "Mini-batch size (128)", "B" },
    { "lr", 0, 0, G_OPTION_ARG_DOUBLE, &lr, "Adam learning rate (1e-3)", "LR" },
    { "scale", 0, 0, G_OPTION_ARG_DOUBLE, &scale, "Softmax scale s of Eq. (1) (10; the paper: 1)", "s" },
    { "init", 0, 0, G_OPTION_ARG_STRING, &init_name, "Initialisation: class (default) or random", "class|random" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Seed of the initialisation and shuffling (0)", "S" },
    { "val", 0, 0, G_OPTION_ARG_FILENAME, &val, "Validation labels: mAP after each epoch", "CSV" },
    { "val-images", 0, 0, G_OPTION_ARG_FILENAME, &val_images, "Folder of the validation images (default: --images)", "DIR" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads, "BLAS threads (0: all cores; results are identical only for the same count)", "T" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Output memory module (safetensors, written atomically; an existing file only with --force, never an input)", "FILE" },
    { "force", 0, 0, G_OPTION_ARG_NONE, &force, "Let --out replace an existing file", NULL },
    { "features", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &feature_parts,
      "Train on these feature-cache parts (mcam features --shard; the arguments after it are "
      "parts too) instead of computing the features", "PART" },
    MCAM_CLI_CLASSES_OPTION,
    MCAM_CLI_LAYER_OPTION,
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("— train a memory module (DESIGN 4.2)");
  g_autoptr(GError) error = NULL;
  g_autoptr(McamNet) net = NULL;
  g_autoptr(McamDataset) ds = NULL, vds = NULL;
  g_autoptr(McamFeatureCache) cache = NULL, vcache = NULL;
  g_autoptr(McamMemory) mem = NULL;
  g_autoptr(McamTrainer) tr = NULL;
  g_autoptr(McamHealth) health = NULL;
  g_autofree char *cache_path = NULL, *vcache_path = NULL;
  g_autofree float *val_scores = NULL;
  g_autofree float *joined_f = NULL, *joined_l = NULL;
  const float *train_f = NULL;
  const McamNetInfo *info;
  McamTrainOptions opt;
  TrainState state = { 0 };
  struct sigaction sa = { 0 }, old_sa;
  gboolean ok;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!mcam_cli_parse (ctx, &argc, &argv))
    return MCAM_EXIT_USAGE;
  if (backbone == NULL || images == NULL || labels == NULL || out == NULL || slots == 0)
    {
      fprintf (stderr, "mcam train: give --backbone, --images, --labels, --slots and --out\n");
      return MCAM_EXIT_USAGE;
    }
  mcam_cli_features_take_args (&feature_parts, &argc, argv);
  if (argc > 1)
    {
      fprintf (stderr, "mcam train: unexpected argument '%s'\n", argv[1]);
      return MCAM_EXIT_USAGE;
    }
  mcam_train_options_init (&opt);
  if (init_name != NULL && !mcam_train_init_from_string (init_name, &opt.init))
    {
      fprintf (stderr, "mcam train: --init must be 'class' or 'random', not '%s'\n", init_name);
      return MCAM_EXIT_USAGE;
    }
  if (slots < 1 || epochs < 1 || batch < 1 || !(lr > 0.0) || !isfinite (lr) ||
      !(scale > 0.0) || !isfinite (scale) || seed < 0)
    {
      fprintf (stderr, "mcam train: --slots, --epochs, --batch, --lr and --scale must be "
               "positive, --seed not negative\n");
      return MCAM_EXIT_USAGE;
    }
  if (!check_outputs (out, force, backbone, labels, val, NULL, NULL, &error))
    return mcam_cli_fail ("train", error);
  if (feature_parts != NULL &&
      !mcam_cli_check_out_not_in ("--out", out, "feature part",
                                  (const char *const *) feature_parts,
                                  g_strv_length (feature_parts), &error))
    return mcam_cli_fail ("train", error);
  opt.epochs = epochs;
  opt.batch = batch;
  opt.lr = (float) lr;
  opt.scale = (float) scale;
  opt.seed = (guint64) seed;
  mcam_blas_set_threads (threads);

  net = mcam_net_load (backbone, &error);
  if (net == NULL)
    return mcam_cli_fail ("train", error);
  if (!mcam_cli_apply_classes (net, &error) || !mcam_cli_apply_layer (net, &error))
    return mcam_cli_fail ("train", error);
  mcam_cli_warn_metadata (backbone, net);
  info = mcam_net_get_info (net);

  ds = mcam_dataset_load (labels, NULL, images, (const char *const *) info->classes,
                          info->n_classes, &error);
  if (ds == NULL)
    return mcam_cli_fail ("train", error);
  if (ds->n == 0)
    {
      fprintf (stderr, "mcam train: %s: no images listed\n", labels);
      return MCAM_EXIT_ERROR;
    }
  if (val != NULL)
    {
      vds = mcam_dataset_load (val, NULL, val_images ? val_images : images,
                               (const char *const *) info->classes, info->n_classes, &error);
      if (vds == NULL)
        return mcam_cli_fail ("train", error);
    }
  if (!check_outputs (out, force, backbone, labels, val, ds, vds, &error))
    return mcam_cli_fail ("train", error);
  if (opt.init == MCAM_TRAIN_INIT_CLASS && slots % info->n_classes != 0)
    fprintf (stderr, "mcam train: note: %d slots for %d classes: slot i belongs to class "
             "i mod %d, so %s\n", slots, info->n_classes, info->n_classes,
             slots < info->n_classes ? "some classes get no slot"
                                     : "some classes get one slot more than others");

  fprintf (stderr, "mcam train: %d images, %d classes, features %dx%dx%d, %d slots, "
           "init %s, s = %g\n", ds->n, info->n_classes, info->feat_c, info->feat_h,
           info->feat_w, slots, mcam_train_init_to_string (opt.init), scale);

  /* Ctrl+C stops between batches (of images, then of training); nothing is
   * written then, and any earlier output stays as it was. */
  sa.sa_handler = on_sigint;
  sigemptyset (&sa.sa_mask);
  sigaction (SIGINT, &sa, &old_sa);

  if (feature_parts != NULL)
    {
      if (mcam_cli_features_join (net, ds, feature_parts, &joined_f, &joined_l, &error))
        train_f = joined_f;
    }
  else
    {
      cache_path = g_strconcat (out, ".features", NULL);
      cache = mcam_cli_features_open (net, ds, cache_path, "features", &interrupted, &error);
      if (cache != NULL)
        train_f = mcam_feature_cache_get_features (cache);
    }
  if (train_f != NULL && vds != NULL && vds->n > 0)
    {
      vcache_path = g_strconcat (out, ".val.features", NULL);
      vcache = mcam_cli_features_open (net, vds, vcache_path, "val features", &interrupted,
                                       &error);
    }
  if (train_f == NULL || (vcache_path != NULL && vcache == NULL))
    {
      sigaction (SIGINT, &old_sa, NULL);
      if (interrupted)
        return interrupted_exit (out);
      return mcam_cli_fail ("train", error);
    }

  mem = mcam_train_init_memory (slots, info->feat_c, info->feat_h, info->feat_w,
                                info->n_classes, train_f, ds->labels, ds->n, &opt, &error);
  if (mem == NULL)
    return mcam_cli_fail ("train", error);
  tr = mcam_trainer_new (mem, &opt);

  state.mem = mem;
  state.start_us = g_get_monotonic_time ();
  state.bar = mcam_cli_progress_new ("training",
                                     (gint64) epochs * ((ds->n + batch - 1) / batch));
  if (vcache != NULL)
    {
      state.val_f = mcam_feature_cache_get_features (vcache);
      state.val_y = vds->labels;
      state.val_n = vds->n;
      val_scores = g_new (float, (gsize) vds->n * info->n_classes);
      state.val_scores = val_scores;
    }

  ok = mcam_trainer_run (tr, train_f, ds->labels, ds->n,
                         on_train_progress, &state, NULL, &error);
  sigaction (SIGINT, &old_sa, NULL);
  mcam_cli_progress_free (state.bar);
  if (!ok)
    return mcam_cli_fail ("train", error);
  if (interrupted)
    return interrupted_exit (out);

  /* Health on the held-out images when there are some, else on the training set. */
  if (vcache != NULL)
    health = mcam_health_compute (mem, mcam_feature_cache_get_features (vcache), vds->n,
                                  vds->labels, NULL, NULL, &error);
  else
    health = mcam_health_compute (mem, train_f, ds->n,
                                  ds->labels, NULL, NULL, &error);
  if (health == NULL)
    return mcam_cli_fail ("train", error);
  mcam_health_to_metadata (health, mem->metadata);

  if (info->fingerprint != NULL)
    g_hash_table_replace (mem->metadata, g_strdup ("mcam.memory.backbone"),
                          g_strdup (info->fingerprint));
  /* f is this layer's map (mcam_memory_check_net refuses it at another) */
  g_hash_table_replace (mem->metadata, g_strdup ("mcam.memory.layer"), g_strdup (info->target));
  g_hash_table_replace (mem->metadata, g_strdup ("mcam.memory.train.epochs"),
                        g_strdup_printf ("%d", epochs));
  g_hash_table_replace (mem->metadata, g_strdup ("mcam.memory.train.images"),
                        g_strdup_printf ("%d", ds->n));
  g_hash_table_replace (mem->metadata, g_strdup ("mcam.memory.train.seed"),
                        g_strdup_printf ("%" G_GINT64_FORMAT, seed));
  {
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    g_hash_table_replace (mem->metadata, g_strdup ("mcam.memory.train.lr"),
                          g_strdup (g_ascii_formatd (buf, sizeof buf, "%g", lr)));
  }

  if (!mcam_memory_save (mem, out, &error))
    return mcam_cli_fail ("train", error);

  print_health (health);
  if (vcache != NULL)
    {
      double mm, hm;
      mcam_train_memory_scores (mem, state.val_f, state.val_n, val_scores);
      mm = mcam_mean_average_precision (val_scores, vds->labels, vds->n, info->n_classes,
                                        NULL);
      hm = head_map (net, vcache, vds->labels);
      printf ("validation mAP: memory classifier %.4f, backbone head %.4f\n", mm, hm);
    }
  printf ("wrote %s\n", out);
  return MCAM_EXIT_OK;
}
