/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `mcam eval`'s report: Markdown tables for people, one JSON document for
 * scripts (the same numbers). */

#include "config.h"

#include <math.h>
#include <stdio.h>

#include "mcam-eval.h"

static const char *
method_title (McamEvalMethod *m, char *buf, gsize size)
{
  g_snprintf (buf, size, "%s%s", mcam_method_get_name (m->method),
              m->memory_head ? ":memory" : "");
  return buf;
}

static double
mean_or_nan (double sum, int n)
{
  return n > 0 ? sum / n : NAN;
}

static void
print_number (FILE *out, double v, const char *fmt)
{
  if (isnan (v))
    fprintf (out, " – |");
  else
    {
      fputc (' ', out);
      fprintf (out, fmt, v);
      fprintf (out, " |");
    }
}

void
mcam_eval_print_markdown (McamEvalRun *run, FILE *out)
{
  const McamNetInfo *info = mcam_net_get_info (run->net);
  int C = info->n_classes;
  char name[64];
  guint bits = run->metrics;
  gboolean pointing = (bits & MCAM_EVAL_POINTING) && run->ds->has_boxes;

  fprintf (out, "# mcam eval: %s\n\n", run->model_path);
  fprintf (out, "%d images; masking fill: %s; forward pass %.1f ms per image.\n\n",
           run->n_images, mcam_fill_get_name (run->fill), run->forward_ms / run->n_images);
  if (run->head != NULL)
    fprintf (out, "Explains the re-fit head %s (cam and the baselines; --head).\n\n",
             run->head_path);
  fprintf (out, "mAP of the %s: %.4f", run->head ? "re-fit head" : "target network",
           run->map_target);
  if (!isnan (run->map_memory))
    fprintf (out, "; of the memory classifier: %.4f", run->map_memory);
  fprintf (out, "\n\n## Summary\n\n| method |");
  if (pointing)
    fprintf (out, " pointing game ↑ |");
  if (bits & MCAM_EVAL_DROP)
    fprintf (out, " Average Drop %% ↓ | Increase in Confidence %% ↑ |");
  if (bits & MCAM_EVAL_DELETION)
    fprintf (out, " deletion AUC ↓ | insertion AUC ↑ |");
  if (bits & MCAM_EVAL_ROAD)
    fprintf (out, " ROAD MoRF ↓ | ROAD LeRF ↑ |");
  if (bits & MCAM_EVAL_INFIDELITY)
    fprintf (out, " Infidelity ↓ |");
  if (bits & MCAM_EVAL_SENSITIVITY)
    fprintf (out, " Max-Sensitivity ↓ |");
  fprintf (out, " maps without a positive value | ms per image, labelled classes |");
  if (run->timing)
    fprintf (out, " ms per image, all %d classes |", C);
  fprintf (out, "\n|---|");
  for (int i = 0; i < (pointing ? 1 : 0) + ((bits & MCAM_EVAL_DROP) ? 2 : 0) +
       ((bits & MCAM_EVAL_DELETION) ? 2 : 0) + ((bits & MCAM_EVAL_ROAD) ? 2 : 0) +
       ((bits & MCAM_EVAL_INFIDELITY) ? 1 : 0) + ((bits & MCAM_EVAL_SENSITIVITY) ? 1 : 0) +
       2 + (run->timing ? 1 : 0); i++)
    fprintf (out, "---:|");
  fprintf (out, "\n");

  for (guint k = 0; k < run->methods->len; k++)
    {
      McamEvalMethod *m = g_ptr_array_index (run->methods, k);
      int np = m->n_metric_pairs;
      fprintf (out, "| %s |", method_title (m, name, sizeof name));
      if (pointing)
        fprintf (out, " %.1f%% (%d/%d) |", 100.0 * mcam_pointing_tally_rate (m->tally, -1),
                 m->tally->total_hits, m->tally->total_pairs);
      if (bits & MCAM_EVAL_DROP)
        {
          print_number (out, mcam_average_drop ((double *) m->Y->data, (double *) m->O->data,
                                                m->Y->len), "%.2f");
          print_number (out, mcam_increase_in_confidence ((double *) m->Y->data,
                                                          (double *) m->O->data, m->Y->len),
                        "%.2f");
        }
      if (bits & MCAM_EVAL_DELETION)
        {
          print_number (out, mean_or_nan (m->deletion_sum, np), "%.4f");
          print_number (out, mean_or_nan (m->insertion_sum, np), "%.4f");
        }
      if (bits & MCAM_EVAL_ROAD)
        {
          print_number (out, mean_or_nan (m->morf_sum, np), "%.4f");
          print_number (out, mean_or_nan (m->lerf_sum, np), "%.4f");
        }
      if (bits & MCAM_EVAL_INFIDELITY)
        print_number (out, mean_or_nan (m->infidelity_sum, np), "%.3g");
      if (bits & MCAM_EVAL_SENSITIVITY)
        print_number (out, mean_or_nan (m->sensitivity_sum, np), "%.4f");
      fprintf (out, " %d |", m->n_no_map);
      print_number (out, mean_or_nan (m->explain_ms, m->n_images), "%.2f");
      if (run->timing)
        print_number (out, mean_or_nan (m->timing_ms, m->n_timed), "%.2f");
      fprintf (out, "\n");
    }

  if (!pointing)
    {
      if (bits & MCAM_EVAL_POINTING)
        fprintf (out, "\n(No --boxes: no pointing game or bias lens.)\n");
      return;
    }

  fprintf (out, "\n## Pointing game per class\n\n| class |");
  for (guint k = 0; k < run->methods->len; k++)
    fprintf (out, " %s |", method_title (g_ptr_array_index (run->methods, k), name, sizeof name));
  fprintf (out, "\n|---|");
  for (guint k = 0; k < run->methods->len; k++)
    fprintf (out, "---:|");
  fprintf (out, "\n");
  for (int c = 0; c < C; c++)
    {
      McamEvalMethod *m0 = g_ptr_array_index (run->methods, 0);
      if (m0->tally->pairs[c] == 0)
        continue;
      fprintf (out, "| %s (%d) |", info->classes[c], m0->tally->pairs[c]);
      for (guint k = 0; k < run->methods->len; k++)
        {
          McamEvalMethod *m = g_ptr_array_index (run->methods, k);
          fprintf (out, " %.1f%% |", 100.0 * mcam_pointing_tally_rate (m->tally, c));
        }
      fprintf (out, "\n");
    }

  fprintf (out, "\n## Bias lens: where each class's map peaks\n");
  for (guint k = 0; k < run->methods->len; k++)
    {
      McamEvalMethod *m = g_ptr_array_index (run->methods, k);
      McamPointingTally *t = m->tally;
      int stride = C + 2;
      fprintf (out, "\n### %s\n\n| class | pairs | own object | another object | background | no positive value |\n"
               "|---|---:|---:|---|---:|---:|\n", method_title (m, name, sizeof name));
      for (int c = 0; c < C; c++)
        {
          const int *row = t->landing + (gsize) c * stride;
          GString *others = g_string_new (NULL);
          if (t->pairs[c] == 0)
            {
              g_string_free (others, TRUE);
              continue;
            }
          for (int o = 0; o < C; o++)
            if (o != c && row[o] > 0)
              g_string_append_printf (others, "%s%s %.0f%%", others->len ? ", " : "",
                                      info->classes[o], 100.0 * row[o] / t->pairs[c]);
          fprintf (out, "| %s | %d | %.0f%% | %s | %.0f%% | %.0f%% |\n", info->classes[c],
                   t->pairs[c], 100.0 * row[c] / t->pairs[c], others->len ? others->str : "–",
                   100.0 * row[MCAM_LANDING_BACKGROUND (t)] / t->pairs[c],
                   100.0 * row[MCAM_LANDING_NO_MAP (t)] / t->pairs[c]);
          g_string_free (others, TRUE);
        }
    }
  mcam_eval_head_markdown (run, out);
  for (guint k = 0; run->head != NULL && k < run->methods->len; k++)
    {
      McamEvalMethod *m = g_ptr_array_index (run->methods, k);
      if (m->net_head_skipped != NULL)
        fprintf (out, "\n%s, network's head → re-fit head: not compared; %s.\n",
                 method_title (m, name, sizeof name), m->net_head_skipped);
    }
}

/* null: undefined (an average over no pair or image) or not measured. */
static void
add_double (JsonBuilder *b, const char *member, double v)
{
  mcam_json_set_double (b, member, v);
}

static void
add_ap (JsonBuilder *b, const char *member, const double *ap, const McamNetInfo *info)
{
  json_builder_set_member_name (b, member);
  if (ap == NULL)
    {
      json_builder_add_null_value (b);
      return;
    }
  json_builder_begin_object (b);
  for (int c = 0; c < info->n_classes; c++)
    add_double (b, info->classes[c], ap[c]);
  json_builder_end_object (b);
}

JsonNode *
mcam_eval_to_json (McamEvalRun *run)
{
  const McamNetInfo *info = mcam_net_get_info (run->net);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  int C = info->n_classes;
  gboolean pointing = (run->metrics & MCAM_EVAL_POINTING) && run->ds->has_boxes;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, run->model_path);
  json_builder_set_member_name (b, "explains");
  json_builder_add_string_value (b, run->head != NULL ? "re-fit head" : "network head");
  json_builder_set_member_name (b, "images");
  json_builder_add_int_value (b, run->n_images);
  json_builder_set_member_name (b, "fill");
  json_builder_add_string_value (b, mcam_fill_get_name (run->fill));
  json_builder_set_member_name (b, "metrics");
  json_builder_begin_array (b);
  for (int i = 0; i < MCAM_EVAL_N_METRICS; i++)
    if (run->metrics & (1u << i))
      json_builder_add_string_value (b, mcam_eval_metric_name (1u << i));
  json_builder_end_array (b);
  json_builder_set_member_name (b, "seed");
  json_builder_add_int_value (b, (gint64) run->seed);
  json_builder_set_member_name (b, "top_k_channels");
  json_builder_add_int_value (b, run->top_k);
  mcam_json_set_double (b, "pointing_tolerance_px", MCAM_POINTING_TOLERANCE);
  json_builder_set_member_name (b, "mAP");
  json_builder_begin_object (b);
  add_double (b, "target", run->map_target);
  add_double (b, "memory", run->map_memory);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "AP");
  json_builder_begin_object (b);
  add_ap (b, "target", run->ap_target, info);
  add_ap (b, "memory", run->ap_memory, info);
  json_builder_end_object (b);
  add_double (b, "forward_ms_per_image", run->forward_ms / run->n_images);

  json_builder_set_member_name (b, "methods");
  json_builder_begin_array (b);
  for (guint k = 0; k < run->methods->len; k++)
    {
      McamEvalMethod *m = g_ptr_array_index (run->methods, k);
      McamPointingTally *t = m->tally;
      int np = m->n_metric_pairs, stride = C + 2;
      gboolean drop = (run->metrics & MCAM_EVAL_DROP) != 0;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "method");
      json_builder_add_string_value (b, mcam_method_get_name (m->method));
      json_builder_set_member_name (b, "label");
      json_builder_add_string_value (b, mcam_method_get_label (m->method));
      json_builder_set_member_name (b, "explains");
      json_builder_add_string_value (b, mcam_method_needs_memory (m->method) ? "memory module" :
                                     m->memory_head ? "memory classifier" :
                                     run->head != NULL && mcam_eval_method_reads_head (m) ?
                                     "re-fit head" : "target network");
      if (m->net_head_skipped != NULL)
        {
          json_builder_set_member_name (b, "network_head_skipped");
          json_builder_add_string_value (b, m->net_head_skipped);
        }
      if (pointing)
        {
          json_builder_set_member_name (b, "pointing");
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "hits");
          json_builder_add_int_value (b, t->total_hits);
          json_builder_set_member_name (b, "pairs");
          json_builder_add_int_value (b, t->total_pairs);
          add_double (b, "rate", mcam_pointing_tally_rate (t, -1));
          json_builder_set_member_name (b, "per_class");
          json_builder_begin_object (b);
          for (int c = 0; c < C; c++)
            {
              json_builder_set_member_name (b, info->classes[c]);
              json_builder_begin_object (b);
              json_builder_set_member_name (b, "hits");
              json_builder_add_int_value (b, t->hits[c]);
              json_builder_set_member_name (b, "pairs");
              json_builder_add_int_value (b, t->pairs[c]);
              add_double (b, "rate", mcam_pointing_tally_rate (t, c));
              json_builder_end_object (b);
            }
          json_builder_end_object (b);
          json_builder_end_object (b);

          json_builder_set_member_name (b, "bias_lens");
          json_builder_begin_object (b);
          for (int c = 0; c < C; c++)
            {
              const int *row = t->landing + (gsize) c * stride;
              json_builder_set_member_name (b, info->classes[c]);
              json_builder_begin_object (b);
              json_builder_set_member_name (b, "pairs");
              json_builder_add_int_value (b, t->pairs[c]);
              json_builder_set_member_name (b, "own");
              json_builder_add_int_value (b, row[c]);
              json_builder_set_member_name (b, "on");
              json_builder_begin_object (b);
              for (int o = 0; o < C; o++)
                if (o != c && row[o] > 0)
                  {
                    json_builder_set_member_name (b, info->classes[o]);
                    json_builder_add_int_value (b, row[o]);
                  }
              json_builder_end_object (b);
              json_builder_set_member_name (b, "background");
              json_builder_add_int_value (b, row[MCAM_LANDING_BACKGROUND (t)]);
              json_builder_set_member_name (b, "no_map");
              json_builder_add_int_value (b, row[MCAM_LANDING_NO_MAP (t)]);
              json_builder_end_object (b);
            }
          json_builder_end_object (b);
        }
      if (drop)
        {
          add_double (b, "average_drop", mcam_average_drop ((double *) m->Y->data,
                                                            (double *) m->O->data, m->Y->len));
          add_double (b, "increase_in_confidence",
                      mcam_increase_in_confidence ((double *) m->Y->data,
                                                   (double *) m->O->data, m->Y->len));
        }
      if (run->metrics & MCAM_EVAL_DELETION)
        {
          add_double (b, "deletion_auc", mean_or_nan (m->deletion_sum, np));
          add_double (b, "insertion_auc", mean_or_nan (m->insertion_sum, np));
        }
      if (run->metrics & MCAM_EVAL_ROAD)
        {
          add_double (b, "road_morf", mean_or_nan (m->morf_sum, np));
          add_double (b, "road_lerf", mean_or_nan (m->lerf_sum, np));
        }
      if (run->metrics & MCAM_EVAL_INFIDELITY)
        add_double (b, "infidelity", mean_or_nan (m->infidelity_sum, np));
      if (run->metrics & MCAM_EVAL_SENSITIVITY)
        add_double (b, "max_sensitivity", mean_or_nan (m->sensitivity_sum, np));
      json_builder_set_member_name (b, "maps_without_positive_value");
      json_builder_add_int_value (b, m->n_no_map);
      add_double (b, "explain_ms_per_image", mean_or_nan (m->explain_ms, m->n_images));
      add_double (b, "all_classes_ms_per_image", mean_or_nan (m->timing_ms, m->n_timed));
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  mcam_eval_head_json (run, b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}
