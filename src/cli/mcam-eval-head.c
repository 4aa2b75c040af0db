/* `mcam eval --head`: the re-fit lens's table per class (issue 12). For
 * every method that reads a head, the share of a class's maps that peak on
 * its own object under the network's head and under the re-fit head, and
 * the core's verdict (mcam-head-verdict.h), printed as Markdown and JSON. */

#include "config.h"

#include <math.h>
#include <stdio.h>

#include "mcam-eval.h"
#include "mcam/mcam-head-verdict.h"
#include "mcam/mcam-json.h"

gboolean
mcam_eval_method_reads_head (const McamEvalMethod *m)
{
  return !m->memory_head && mcam_method_reads_head (m->method);
}

/* FALSE when class c has no pairs (no row). */
static gboolean
head_row (const McamNetInfo *info, McamEvalMethod *m, int c, McamHeadVerdict *r)
{
  return mcam_head_verdict_make (r, m->net_tally, m->tally, c,
                                 (const char *const *) info->classes);
}

void
mcam_eval_head_markdown (McamEvalRun *run, FILE *out)
{
  const McamNetInfo *info = mcam_net_get_info (run->net);
  int C = info->n_classes;

  if (run->head == NULL)
    return;
  fprintf (out, "\n## Re-fit lens: %s\n\n", run->head_path);
  /* a head fitted with a given λ has no cross-validation score (NaN) */
  if (isfinite (run->head->val_score))
    fprintf (out, "A linear head re-fitted on the pooled features (λ %g, %d images, "
             "cross-validated mAP %.4f).", run->head->l2, run->head->n_images,
             run->head->val_score);
  else
    fprintf (out, "A linear head re-fitted on the pooled features (λ %g given, %d images, "
             "not cross-validated).", run->head->l2, run->head->n_images);
  fprintf (out, " mAP of the re-fit head %.4f, of the network's own head %.4f.\n",
           run->map_target, run->map_network);
  if (!run->ds->has_boxes || !(run->metrics & MCAM_EVAL_POINTING))
    return;
  for (guint k = 0; k < run->methods->len; k++)
    {
      McamEvalMethod *m = g_ptr_array_index (run->methods, k);
      if (m->net_tally == NULL)
        continue;
      fprintf (out, "\n### %s: own object, network's head → re-fit head\n\n"
               "| class | pairs | network's head | (else on) | re-fit head | verdict |\n"
               "|---|---:|---:|---|---:|---|\n", mcam_method_get_name (m->method));
      for (int c = 0; c < C; c++)
        {
          g_auto(McamHeadVerdict) r = { 0 };
          if (!head_row (info, m, c, &r))
            continue;
          fprintf (out, "| %s | %d | %.1f%% | %s | %.1f%% | %s |\n", info->classes[c],
                   r.pairs, 100.0 * r.own_network, r.elsewhere_name ? r.elsewhere_name : "–",
                   100.0 * r.own_refit, r.text);
        }
      fprintf (out, "| all | %d | %.1f%% | | %.1f%% | |\n", m->tally->total_pairs,
               100.0 * mcam_pointing_tally_rate (m->net_tally, -1),
               100.0 * mcam_pointing_tally_rate (m->tally, -1));
    }
}

void
mcam_eval_head_json (McamEvalRun *run, JsonBuilder *b)
{
  const McamNetInfo *info = mcam_net_get_info (run->net);
  int C = info->n_classes;

  if (run->head == NULL)
    return;
  json_builder_set_member_name (b, "refit_lens");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "head");
  json_builder_add_string_value (b, run->head_path);
  mcam_json_set_double (b, "l2", run->head->l2);
  json_builder_set_member_name (b, "head_images");
  json_builder_add_int_value (b, run->head->n_images);
  mcam_json_set_double (b, "head_cv_map", run->head->val_score);
  mcam_json_set_double (b, "map_refit_head", run->map_target);
  mcam_json_set_double (b, "map_network_head", run->map_network);
  json_builder_set_member_name (b, "AP_network_head");
  json_builder_begin_object (b);
  for (int c = 0; c < C; c++)
    mcam_json_set_double (b, info->classes[c], run->ap_network ? run->ap_network[c] : NAN);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "methods");
  json_builder_begin_object (b);
  for (guint k = 0; k < run->methods->len; k++)
    {
      McamEvalMethod *m = g_ptr_array_index (run->methods, k);
      if (m->net_tally == NULL || !run->ds->has_boxes)
        continue;
      json_builder_set_member_name (b, mcam_method_get_name (m->method));
      json_builder_begin_object (b);
      mcam_json_set_double (b, "pointing_network_head",
                            mcam_pointing_tally_rate (m->net_tally, -1));
      mcam_json_set_double (b, "pointing_refit_head", mcam_pointing_tally_rate (m->tally, -1));
      json_builder_set_member_name (b, "per_class");
      json_builder_begin_object (b);
      for (int c = 0; c < C; c++)
        {
          g_auto(McamHeadVerdict) r = { 0 };
          if (!head_row (info, m, c, &r))
            continue;
          json_builder_set_member_name (b, info->classes[c]);
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "pairs");
          json_builder_add_int_value (b, r.pairs);
          mcam_json_set_double (b, "own_network_head", r.own_network);
          mcam_json_set_double (b, "own_refit_head", r.own_refit);
          json_builder_set_member_name (b, "network_head_else_on");
          if (r.elsewhere_name != NULL)
            json_builder_add_string_value (b, r.elsewhere_name);
          else
            json_builder_add_null_value (b);
          json_builder_set_member_name (b, "verdict");
          json_builder_add_string_value (b, r.text);
          json_builder_end_object (b);
        }
      json_builder_end_object (b);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
  json_builder_end_object (b);
}
