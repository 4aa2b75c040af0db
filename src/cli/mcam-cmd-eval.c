/* SPDX-License-Identifier: GPL-3.0-or-later */
/* mcam eval --model MODEL [--memory MEM] --images DIR --labels CSV [--boxes CSV]
 *           [--methods mcam,mcam-profile,cam,...] [--metrics pointing,drop,...]
 *           [--fill black|mean|blur] [--timing] [--json]
 *
 * Explanation quality over a labelled image set (DESIGN 5): per method, the
 * pointing game and the bias lens over every (image, present class) pair,
 * Average Drop / Increase in Confidence and the other metrics on request,
 * and the mAP of the target network and of the memory classifier. */

#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "mcam-eval.h"
#include "mcam-eval-merge.h"
#include "mcam-cli-head.h"

static const char *const metric_names[MCAM_EVAL_N_METRICS] = {
  "pointing", "drop", "deletion", "road", "infidelity", "sensitivity",
};

const char *
mcam_eval_metric_name (McamEvalMetric m)
{
  for (int i = 0; i < MCAM_EVAL_N_METRICS; i++)
    if (m == (1u << i))
      return metric_names[i];
  return NULL;
}

static gboolean
parse_metrics (const char *spec, guint *out, GError **error)
{
  g_auto(GStrv) parts = g_strsplit (spec, ",", -1);
  *out = 0;
  for (int i = 0; parts[i]; i++)
    {
      const char *p = g_strstrip (parts[i]);
      gboolean found = FALSE;
      if (*p == '\0')
        continue;
      if (strcmp (p, "all") == 0)
        {
          *out |= (1u << MCAM_EVAL_N_METRICS) - 1;
          continue;
        }
      /* The bias lens comes with the pointing game; accept its name too. */
      if (strcmp (p, "lens") == 0 || strcmp (p, "bias-lens") == 0)
        p = "pointing";
      for (int k = 0; k < MCAM_EVAL_N_METRICS; k++)
        if (strcmp (p, metric_names[k]) == 0)
          {
            *out |= 1u << k;
            found = TRUE;
          }
      if (!found)
        {
          g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE,
                       "unknown metric “%s”; one of pointing (with the bias lens), drop "
                       "(Average Drop and Increase in Confidence), deletion (and insertion), "
                       "road, infidelity, sensitivity, or all", p);
          return FALSE;
        }
    }
  if (*out == 0)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE, "--metrics names no metric");
      return FALSE;
    }
  return TRUE;
}

/* "gradcam,cam,gradcam:memory": a baseline with ":memory" explains the
 * memory classifier instead of the target network. */
static gboolean
parse_methods (const char *spec, McamMemory *memory, int n_classes, GPtrArray *out,
               GError **error)
{
  g_auto(GStrv) parts = g_strsplit (spec, ",", -1);
  for (int i = 0; parts[i]; i++)
    {
      char *p = g_strstrip (parts[i]);
      gboolean memory_head = FALSE;
      char *colon;
      McamMethod method;
      McamEvalMethod *m;

      if (*p == '\0')
        continue;
      colon = strchr (p, ':');
      if (colon != NULL)
        {
          if (strcmp (colon + 1, "memory") != 0)
            {
              g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE,
                           "“%s”: the only suffix is “:memory” (explain the memory "
                           "classifier)", p);
              return FALSE;
            }
          *colon = '\0';
          memory_head = TRUE;
        }
      if (!mcam_method_from_name (p, &method))
        {
          g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE,
                       "unknown method “%s”; one of mcam, mcam-profile, cam, gradcam, "
                       "gradcam++, hirescam, xgradcam, layercam, eigencam, eigengradcam, "
                       "ablationcam, scorecam", p);
          return FALSE;
        }
      if ((mcam_method_needs_memory (method) || memory_head) && memory == NULL)
        {
          g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE,
                       "%s needs a memory module, and none is loaded; give --memory FILE",
                       mcam_method_get_name (method));
          return FALSE;
        }
      /* ":memory" is refused where it would mean nothing else: the M-CAM
       * methods always read the memory, and CAM's weights are the target
       * head's (the memory classifier has no linear head on f). It used to
       * be dropped silently, so cam:memory ran plain CAM (issue 11). */
      if (memory_head && (mcam_method_needs_memory (method) || method == MCAM_METHOD_CAM))
        {
          g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE,
                       "“%s:memory”: %s has no memory-classifier form (%s); “:memory” "
                       "goes with the gradient, perturbation and Eigen methods "
                       "(gradcam:memory, scorecam:memory, …)", p, mcam_method_get_name (method),
                       method == MCAM_METHOD_CAM ? "its weights are the target network's head"
                                                 : "it always reads the memory");
          return FALSE;
        }
      m = mcam_eval_method_new (method, memory_head, n_classes);
      g_ptr_array_add (out, m);
    }
  if (out->len == 0)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_USAGE, "--methods names no method");
      return FALSE;
    }
  return TRUE;
}

/* An explanation as a function of the input, for Max-Sensitivity. */
typedef struct
{
  McamNet                  *net;
  McamMemory               *memory;
  McamMethod                method;
  const McamExplainOptions *opts;
  int                       H, W;
} SensitivityData;

static gboolean
explain_input (gpointer user_data, const float *x, int class_index, float *map,
               GCancellable *cancellable, GError **error)
{
  SensitivityData *d = user_data;
  gint64 shape[4] = { 1, 3, d->H, d->W };
  g_autoptr(McamTensor) in = mcam_tensor_new_view ((float *) x, 4, shape);
  g_autoptr(McamAnalysis) a = mcam_analysis_new_from_input (d->net, d->memory, in,
                                                            cancellable, error);
  g_autoptr(McamExplanation) e = NULL;

  if (a == NULL)
    return FALSE;
  e = mcam_explain (a, class_index, d->method, d->opts, cancellable, error);
  if (e == NULL)
    return FALSE;
  mcam_map_upsample (e->map, e->h, e->w, map, d->H, d->W);
  mcam_map_normalize (map, (gsize) d->H * d->W);
  return TRUE;
}

static const double road_fractions[] = { 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9 };

/* --head: the same method's map of the network's own head, for the re-fit
 * lens's verdict (pointing game only). */
static gboolean
net_head_pointing (McamEvalRun *run, McamEvalMethod *m, McamAnalysis *a, McamImage *image,
                   const McamExplainOptions *opts, const McamBox *boxes, int n_boxes,
                   int class_index, McamPointingTally *scratch, McamEvalPair *pair,
                   GError **error)
{
  const McamNetInfo *info = mcam_net_get_info (run->net);
  McamExplainOptions own = *opts;
  g_autoptr(McamExplanation) e = NULL;
  g_autofree float *full = NULL;

  own.head = NULL;
  e = mcam_explain (a, class_index, m->method, &own, NULL, error);
  if (e == NULL)
    return FALSE;
  full = mcam_map_to_image (e->map, e->h, e->w, image, &info->preprocess);
  pair->net_landing = mcam_pointing_tally_add (scratch, boxes, n_boxes, class_index, full,
                                               image->width, image->height,
                                               MCAM_POINTING_TOLERANCE);
  return TRUE;
}

/* Every metric of one (image, class, method) that works on the network's
 * input, into the pair's record (mcam_eval_aggregate () sums them). */
static gboolean
input_metrics (McamEvalRun *run, McamEvalMethod *m, const McamScorer *scorer,
               const McamExplainOptions *opts, const float *x, McamExplanation *e,
               int class_index, McamEvalPair *pair, GError **error)
{
  int H = scorer->height, W = scorer->width;
  g_autofree float *up = g_new (float, (gsize) H * W);

  mcam_map_upsample (e->map, e->h, e->w, up, H, W);
  mcam_map_normalize (up, (gsize) H * W);

  if (run->metrics & MCAM_EVAL_DROP)
    {
      double Y, O;
      if (!mcam_metric_confidence (scorer, x, up, class_index, run->fill, &Y, &O, NULL, error))
        return FALSE;
      pair->Y = Y;
      pair->O = O;
    }
  if (run->metrics & MCAM_EVAL_DELETION)
    {
      double del, ins;
      if (!mcam_metric_deletion_insertion (scorer, x, up, class_index, run->fill, 16,
                                           &del, &ins, NULL, error))
        return FALSE;
      pair->deletion = del;
      pair->insertion = ins;
    }
  if (run->metrics & MCAM_EVAL_ROAD)
    {
      int nf = G_N_ELEMENTS (road_fractions);
      double morf[G_N_ELEMENTS (road_fractions)], lerf[G_N_ELEMENTS (road_fractions)];
      if (!mcam_metric_road (scorer, x, up, class_index, road_fractions, nf, run->seed,
                             morf, lerf, NULL, error))
        return FALSE;
      for (int i = 0; i < nf; i++)
        {
          pair->morf += morf[i] / nf;
          pair->lerf += lerf[i] / nf;
        }
    }
  if (run->metrics & MCAM_EVAL_INFIDELITY)
    {
      double infd;
      if (!mcam_metric_infidelity (scorer, x, up, class_index, run->n_samples, 0.1,
                                   run->seed, &infd, NULL, error))
        return FALSE;
      pair->infidelity = infd;
    }
  if (run->metrics & MCAM_EVAL_SENSITIVITY)
    {
      SensitivityData d = { run->net, run->memory, m->method, opts, H, W };
      double sens;
      if (!mcam_metric_max_sensitivity (explain_input, &d, x, H, W, class_index,
                                        MAX (2, run->n_samples / 4), 0.05, run->seed,
                                        &sens, NULL, error))
        return FALSE;
      pair->sensitivity = sens;
    }
  pair->measured = TRUE;
  return TRUE;
}

/* One image into its record: scores, and per method and present class the
 * pointing outcome, the input metrics and the time. */
static gboolean
evaluate_image (McamEvalRun *run, int i, McamEvalRecord *rec, McamScorer *target_scorer,
                McamScorer *memory_scorer, GError **error)
{
  const McamNetInfo *info = mcam_net_get_info (run->net);
  McamDataset *ds = run->ds;
  int C = info->n_classes;
  const McamBox *boxes = ds->has_boxes ? ds->boxes + ds->box_start[i] : NULL;
  int n_boxes = ds->has_boxes ? ds->box_count[i] : 0;
  g_autoptr(McamImage) image = mcam_image_load (ds->paths[i], 0, error);
  g_autoptr(McamAnalysis) a = NULL;
  g_autoptr(McamTensor) x = NULL;
  g_autoptr(McamPointingTally) scratch = mcam_pointing_tally_new (C);
  gint64 t0, t1;
  guint input_bits = MCAM_EVAL_DROP | MCAM_EVAL_DELETION | MCAM_EVAL_ROAD |
                     MCAM_EVAL_INFIDELITY | MCAM_EVAL_SENSITIVITY;

  if (image == NULL)
    return FALSE;
  t0 = g_get_monotonic_time ();
  a = mcam_analysis_new (run->net, run->memory, image, NULL, error);
  if (a == NULL || !mcam_analysis_check_finite (a, run->model_path, run->memory_path, error))
    return FALSE;
  t1 = g_get_monotonic_time ();
  rec->forward_ms = (t1 - t0) / 1000.0;
  if (run->head != NULL)
    {
      /* --head: the scores are the re-fit head's; the network's kept apart. */
      rec->network_scores = g_memdup2 (a->scores, sizeof (float) * C);
      mcam_cli_head_apply (a, run->head, NULL, NULL);
    }
  memcpy (rec->scores, a->scores, sizeof (float) * C);
  if (a->memory_scores != NULL)
    rec->memory_scores = g_memdup2 (a->memory_scores, sizeof (float) * C);
  if (run->metrics & input_bits)
    x = mcam_image_preprocess (image, &info->preprocess);

  for (guint k = 0; k < run->methods->len; k++)
    {
      McamEvalMethod *m = g_ptr_array_index (run->methods, k);
      McamEvalMethodRecord *mr = &rec->methods[k];
      McamExplainOptions opts;

      mcam_explain_options_init (&opts);
      opts.image = image;
      opts.seed = run->seed;
      opts.use_memory_classifier = m->memory_head;
      opts.top_k_channels = run->top_k;
      if (mcam_eval_method_reads_head (m))
        opts.head = run->head;

      if (run->timing)
        {
          /* Every class of the image, after the one forward pass, the way
           * a caller wanting all classes gets them (one call); first, while
           * the perturbation methods' per-image cache is cold. */
          gint64 te0 = g_get_monotonic_time (), te1;
          g_autoptr(GPtrArray) all = mcam_explain_all_classes (a, m->method, &opts, NULL, error);

          if (all == NULL)
            return FALSE;
          te1 = g_get_monotonic_time ();
          mr->timing_ms = (te1 - te0) / 1000.0;
          mr->timed = TRUE;
        }

      for (int c = 0; c < C; c++)
        {
          g_autoptr(McamExplanation) e = NULL;
          McamEvalPair pair = { .class_index = c, .landing = -1, .net_landing = -1 };
          gint64 ta, tb;
          if (ds->labels[(gsize) i * C + c] < 0.5f)
            continue;
          ta = g_get_monotonic_time ();
          e = mcam_explain (a, c, m->method, &opts, NULL, error);
          if (e == NULL ||
              !mcam_explanation_check_finite (e, a, run->model_path, run->memory_path, error))
            return FALSE;
          tb = g_get_monotonic_time ();
          mr->explain_ms += (tb - ta) / 1000.0;
          pair.no_map = !e->any_positive;
          if ((run->metrics & MCAM_EVAL_POINTING) && ds->has_boxes)
            {
              g_autofree float *full = mcam_map_to_image (e->map, e->h, e->w, image,
                                                          &info->preprocess);
              pair.landing = mcam_pointing_tally_add (scratch, boxes, n_boxes, c, full,
                                                      image->width, image->height,
                                                      MCAM_POINTING_TOLERANCE);
              if (m->net_tally != NULL &&
                  !net_head_pointing (run, m, a, image, &opts, boxes, n_boxes, c, scratch,
                                      &pair, error))
                return FALSE;
            }
          if ((run->metrics & input_bits) &&
              !input_metrics (run, m, m->memory_head ? memory_scorer : target_scorer,
                              &opts, x->data, e, c, &pair, error))
            return FALSE;
          g_array_append_val (mr->pairs, pair);
        }
    }
  return TRUE;
}

int
mcam_cmd_eval (int argc, char **argv)
{
  g_autofree char *model = NULL, *memory_path = NULL, *images_dir = NULL;
  g_autofree char *labels = NULL, *boxes = NULL, *methods_s = NULL, *metrics_s = NULL;
  g_autofree char *fill_s = NULL, *seed_s = NULL, *head_path = NULL;
  g_autofree char *shard_s = NULL, *out = NULL;
  gboolean json = FALSE, timing = FALSE, merge = FALSE, force = FALSE;
  int shard_index = 1, shard_count = 1;
  int limit = 0, threads = 0, samples = 16, top_k = 0;
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model, "Backbone model (ONNX or safetensors)", "FILE" },
    { "memory", 0, 0, G_OPTION_ARG_FILENAME, &memory_path,
      "Memory module; default: the model file's own, if any", "FILE" },
    MCAM_CLI_HEAD_OPTION (head_path),
    { "images", 0, 0, G_OPTION_ARG_FILENAME, &images_dir, "Folder of the images", "DIR" },
    { "labels", 0, 0, G_OPTION_ARG_FILENAME, &labels, "labels.csv (file,labels)", "CSV" },
    { "boxes", 0, 0, G_OPTION_ARG_FILENAME, &boxes,
      "boxes.csv (file,class,x0,y0,x1,y1): pointing game and bias lens", "CSV" },
    { "methods", 0, 0, G_OPTION_ARG_STRING, &methods_s,
      "Comma-separated methods (default: mcam,mcam-profile,cam with a memory, else cam); "
      "a baseline with “:memory” explains the memory classifier", "LIST" },
    { "metrics", 0, 0, G_OPTION_ARG_STRING, &metrics_s,
      "pointing,drop (default), deletion, road, infidelity, sensitivity, or all", "LIST" },
    { "fill", 0, 0, G_OPTION_ARG_STRING, &fill_s,
      "What masked-out pixels become: black (the paper), mean or blur", "FILL" },
    { "samples", 0, 0, G_OPTION_ARG_INT, &samples,
      "Monte Carlo draws of Infidelity (16; Max-Sensitivity uses a quarter)", "N" },
    { "seed", 0, 0, G_OPTION_ARG_STRING, &seed_s, "Seed of every random draw (0)", "S" },
    { "limit", 0, 0, G_OPTION_ARG_INT, &limit, "Only the first N images", "N" },
    { "top-k", 0, 0, G_OPTION_ARG_INT, &top_k,
      "Score-CAM and Ablation-CAM: only the K most active channels (0: all)", "K" },
    { "timing", 0, 0, G_OPTION_ARG_NONE, &timing,
      "Also time every method on every class of each image", NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print one JSON document on stdout", NULL },
    { "shard", 0, 0, G_OPTION_ARG_STRING, &shard_s,
      "Only shard I of N of the images (sorted names, contiguous blocks; also MCAM_SHARD); "
      "the JSON carries per-image records for --merge", "I/N" },
    { "merge", 0, 0, G_OPTION_ARG_NONE, &merge,
      "Merge the parts given as arguments (JSON of --shard runs) into the whole run's report", NULL },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Write the report to FILE, not stdout", "FILE" },
    { "force", 0, 0, G_OPTION_ARG_NONE, &force, "Replace an existing --out file", NULL },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads, "BLAS threads (0: all cores)", "T" },
    MCAM_CLI_CLASSES_OPTION,
    MCAM_CLI_LAYER_OPTION,
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("— explanation quality on a labelled set");
  g_autoptr(GError) error = NULL;
  g_autoptr(McamNet) net = NULL;
  g_autoptr(McamMemory) memory = NULL;
  g_autoptr(McamHead) head = NULL;
  g_autoptr(McamDataset) ds = NULL;
  g_autoptr(GPtrArray) methods = g_ptr_array_new_with_free_func (mcam_eval_method_free);
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func (mcam_eval_record_free);
  g_autoptr(GArray) selected = NULL;
  g_autofree double *ap_t = NULL, *ap_m = NULL, *ap_n = NULL;
  McamEvalRun run = { 0 };
  McamScorer target_scorer, memory_scorer;
  McamCliProgress *progress;
  const McamNetInfo *info;
  int n, C;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!mcam_cli_parse (ctx, &argc, &argv))
    return MCAM_EXIT_USAGE;
  if (merge)
    return mcam_eval_merge_main (argv + 1, argc - 1, model, json, out, force);
  if (shard_s == NULL && g_getenv ("MCAM_SHARD") != NULL && *g_getenv ("MCAM_SHARD") != '\0')
    {
      if (!mcam_eval_shard_parse (g_getenv ("MCAM_SHARD"), "MCAM_SHARD", &shard_index,
                                  &shard_count, &error))
        return mcam_cli_fail ("eval", error);
      shard_s = g_strdup (g_getenv ("MCAM_SHARD"));
    }
  else if (shard_s != NULL &&
           !mcam_eval_shard_parse (shard_s, "--shard", &shard_index, &shard_count, &error))
    return mcam_cli_fail ("eval", error);
  if (shard_s != NULL && !json)
    {
      fprintf (stderr, "mcam eval: a shard's report is a part for --merge: give --json\n");
      return MCAM_EXIT_USAGE;
    }
  if (model == NULL || labels == NULL || argc != 1)
    {
      fprintf (stderr, "mcam eval: give --model FILE, --images DIR and --labels CSV "
               "(and --boxes CSV for the pointing game), and no other arguments\n");
      return MCAM_EXIT_USAGE;
    }
  run.fill = MCAM_FILL_BLACK;
  if (fill_s != NULL && !mcam_fill_from_name (fill_s, &run.fill))
    {
      fprintf (stderr, "mcam eval: --fill is black, mean or blur, not “%s”\n", fill_s);
      return MCAM_EXIT_USAGE;
    }
  if (seed_s != NULL && !g_ascii_string_to_unsigned (seed_s, 10, 0, G_MAXUINT64, &run.seed, NULL))
    {
      fprintf (stderr, "mcam eval: --seed takes a whole number ≥ 0, not “%s”\n", seed_s);
      return MCAM_EXIT_USAGE;
    }
  if (samples < 1 || samples > 100000 || limit < 0 || top_k < 0)
    {
      fprintf (stderr, "mcam eval: --samples takes 1 to 100000, --limit and --top-k a number ≥ 0\n");
      return MCAM_EXIT_USAGE;
    }
  run.metrics = MCAM_EVAL_POINTING | MCAM_EVAL_DROP;
  if (metrics_s != NULL && !parse_metrics (metrics_s, &run.metrics, &error))
    return mcam_cli_fail ("eval", error);
  mcam_blas_set_threads (threads);
  if (out != NULL)
    {
      McamCliInput inputs[] = { { "model", model }, { "memory module", memory_path },
                                { "head", head_path }, { "labels", labels }, { "boxes", boxes } };
      if (!mcam_cli_check_out ("--out", out, force, inputs, G_N_ELEMENTS (inputs), &error))
        return mcam_cli_fail ("eval", error);
    }

  if (!mcam_cli_load_model (model, memory_path, &net, &memory, &error))
    return mcam_cli_fail ("eval", error);
  info = mcam_net_get_info (net);
  C = info->n_classes;
  if (!mcam_cli_head_load (head_path, net, &head, &error))
    return mcam_cli_fail ("eval", error);
  if (!parse_methods (methods_s ? methods_s :
                      memory ? "mcam,mcam-profile,cam" : "cam",
                      memory, C, methods, &error))
    return mcam_cli_fail ("eval", error);

  ds = mcam_dataset_load (labels, boxes, images_dir, (const char *const *) info->classes, C,
                          &error);
  if (ds == NULL)
    return mcam_cli_fail ("eval", error);
  if ((run.metrics & MCAM_EVAL_POINTING) && !ds->has_boxes && metrics_s != NULL)
    {
      fprintf (stderr, "mcam eval: the pointing game and the bias lens need --boxes CSV\n");
      return MCAM_EXIT_USAGE;
    }
  n = limit > 0 ? MIN (limit, ds->n) : ds->n;
  if (n == 0)
    {
      g_set_error (&error, MCAM_ERROR, MCAM_ERROR_USAGE, "%s lists no image", labels);
      return mcam_cli_fail ("eval", error);
    }

  run.model_path = model;
  run.memory_path = memory_path;
  run.net = net;
  run.memory = memory;
  run.ds = ds;
  run.timing = timing;
  run.methods = methods;
  run.n_samples = samples;
  run.top_k = top_k;
  run.head = head;
  run.head_path = head_path;
  if (head != NULL)
    {
      mcam_eval_methods_init_head (methods, net, head);
      /* The input metrics score the head that is explained. */
      mcam_head_scorer_init (&target_scorer, net, head);
    }
  else
    mcam_scorer_init_net (&target_scorer, net, memory, FALSE);
  if (memory != NULL)
    mcam_scorer_init_net (&memory_scorer, net, memory, TRUE);

  /* The images of this shard (all of them without --shard). */
  selected = mcam_eval_shard_select (ds->names, n, shard_index, shard_count);
  progress = mcam_cli_progress_new ("eval", selected->len);
  for (guint s = 0; s < selected->len; s++)
    {
      int i = g_array_index (selected, int, s);
      McamEvalRecord *rec = mcam_eval_record_new (i, ds->names[i], ds->labels + (gsize) i * C,
                                                  C, methods->len);

      g_ptr_array_add (records, rec);
      if (!evaluate_image (&run, i, rec, &target_scorer,
                           memory ? &memory_scorer : &target_scorer, &error))
        {
          mcam_cli_progress_free (progress);
          g_prefix_error (&error, "%s: ", ds->paths[i]);
          return mcam_cli_fail ("eval", error);
        }
      mcam_cli_progress_update (progress, s + 1);
    }
  mcam_cli_progress_free (progress);

  /* The figures from the records: the one path a --merge takes too. */
  ap_t = g_new (double, C);
  ap_m = g_new (double, C);
  ap_n = g_new (double, C);
  mcam_eval_aggregate (&run, records, C, ap_t, ap_m, ap_n);
  if (run.n_images == 0)
    {
      g_set_error (&error, MCAM_ERROR, MCAM_ERROR_USAGE,
                   "shard %d/%d of %s holds no image (%d images for %d shards)", shard_index,
                   shard_count, labels, n, shard_count);
      return mcam_cli_fail ("eval", error);
    }

  if (json)
    {
      g_autoptr(JsonNode) root = mcam_eval_to_json (&run);
      if (shard_s != NULL)
        {
          g_autofree char *hash = mcam_eval_labels_hash (ds, n);
          McamEvalShardInfo si = {
            .shard_index = shard_index, .shard_count = shard_count, .images_total = n,
            .model_path = model, .memory_path = memory_path, .head_path = head_path,
            .classes_path = mcam_cli_classes_used, .layer = mcam_cli_layer,
            .fingerprint = info->fingerprint, .labels_hash = hash,
            .has_memory = memory != NULL, .has_boxes = ds->has_boxes,
          };
          mcam_eval_records_to_json (root, &run, &si, records);
        }
      if (out != NULL)
        {
          g_autofree char *text = mcam_json_to_string (root, TRUE, NULL);
          if (!g_file_set_contents (out, text, -1, &error))
            return mcam_cli_fail ("eval", error);
        }
      else
        mcam_cli_print_json (root);
    }
  else if (out != NULL)
    {
      FILE *f = fopen (out, "w");
      if (f == NULL)
        {
          fprintf (stderr, "mcam eval: --out %s: %s\n", out, g_strerror (errno));
          return MCAM_EXIT_ERROR;
        }
      mcam_eval_print_markdown (&run, f);
      if (fclose (f) != 0)
        {
          fprintf (stderr, "mcam eval: --out %s: %s\n", out, g_strerror (errno));
          return MCAM_EXIT_ERROR;
        }
    }
  else
    mcam_eval_print_markdown (&run, stdout);
  return MCAM_EXIT_OK;
}
