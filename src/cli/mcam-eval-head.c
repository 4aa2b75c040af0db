/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `mcam eval --head`: the re-fit lens's verdict per class (issue 12). For
 * every method that reads a head, the share of a class's maps that peak on
 * its own object under the network's head and under the re-fit head, and
 * what that says:
 *
 *   re-fit head locates X, the network's does not:
 *     "the features locate X; the network's head relies on Y (head bias)"
 *   neither does:
 *     "neither head locates X (the features do not separate it)"
 *
 * "Locates" means the map peaks on the class's own object in at least half
 * of the pairs (the pointing game with its tolerance); Y is where the
 * network head's maps peak most often instead. */

#include "config.h"

#include <math.h>
#include <stdio.h>

#include "mcam-eval.h"
#include "mcam/mcam-json.h"

#define LOCATES 0.5

gboolean
mcam_eval_method_reads_head (const McamEvalMethod *m)
{
  return !m->memory_head && !mcam_method_needs_memory (m->method) &&
         m->method != MCAM_METHOD_EIGENCAM;
}

/* The landing column the network head's maps of class c reach most often
 * other than the class itself (an object class, background, or no positive
 * value at all). */
static int
main_elsewhere (const McamPointingTally *t, int c)
{
  int C = t->n_classes, stride = C + 2, best = -1;
  const int *row = t->landing + (gsize) c * stride;

  for (int o = 0; o <= C + 1; o++)
    if (o != c && row[o] > 0 && (best < 0 || row[o] > row[best]))
      best = o;
  return best;
}

static char *
verdict (const McamNetInfo *info, const McamPointingTally *net, const McamPointingTally *refit,
         int c)
{
  double rn = mcam_pointing_tally_rate (net, c), rh = mcam_pointing_tally_rate (refit, c);
  const char *x = info->classes[c];
  gboolean n_ok = rn >= LOCATES, h_ok = rh >= LOCATES;

  if (h_ok && !n_ok)
    {
      int y = main_elsewhere (net, c);
      if (y == MCAM_LANDING_NO_MAP (net))
        return g_strdup_printf ("the features locate %s; the network's head gives it no "
                                "positive evidence anywhere (head bias)", x);
      if (y < 0 || y == MCAM_LANDING_BACKGROUND (net))
        return g_strdup_printf ("the features locate %s; the network's head looks at the "
                                "background (head bias)", x);
      return g_strdup_printf ("the features locate %s; the network's head relies on %s "
                              "(head bias)", x, info->classes[y]);
    }
  if (!h_ok && !n_ok)
    return g_strdup_printf ("neither head locates %s (the features do not separate it)", x);
  if (h_ok && n_ok)
    return g_strdup_printf ("both heads locate %s", x);
  return g_strdup_printf ("the network's head locates %s and the re-fit head does not (the "
                          "re-fit images may not show %s well enough)", x, x);
}

static const char *
elsewhere_name (const McamNetInfo *info, const McamPointingTally *t, int c)
{
  int y = main_elsewhere (t, c);
  if (y < 0)
    return NULL;
  if (y == MCAM_LANDING_NO_MAP (t))
    return "no positive value";
  return y == MCAM_LANDING_BACKGROUND (t) ? "background" : info->classes[y];
}

/* One class's row of the re-fit lens table, the same for Markdown and JSON. */
typedef struct
{
  int pairs;
  double own_network, own_refit;
  const char *else_on;
  char *verdict;
} HeadRow;

static void
head_row_clear (HeadRow *r)
{
  g_clear_pointer (&r->verdict, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (HeadRow, head_row_clear)

/* FALSE when class c has no pairs (no row). */
static gboolean
head_row (const McamNetInfo *info, McamEvalMethod *m, int c, HeadRow *r)
{
  if (m->tally->pairs[c] == 0)
    return FALSE;
  r->pairs = m->tally->pairs[c];
  r->own_network = mcam_pointing_tally_rate (m->net_tally, c);
  r->own_refit = mcam_pointing_tally_rate (m->tally, c);
  r->else_on = elsewhere_name (info, m->net_tally, c);
  r->verdict = verdict (info, m->net_tally, m->tally, c);
  return TRUE;
}

void
mcam_eval_head_markdown (McamEvalRun *run, FILE *out)
{
  const McamNetInfo *info = mcam_net_get_info (run->net);
  int C = info->n_classes;

  if (run->head == NULL)
    return;
  fprintf (out, "\n## Re-fit lens: %s\n\n", run->head_path);
  fprintf (out, "A linear head re-fitted on the pooled features (λ %g, %d images, "
           "cross-validated mAP %.4f). mAP of the re-fit head %.4f, of the network's "
           "own head %.4f.\n", run->head->l2, run->head->n_images, run->head->val_score,
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
          g_auto(HeadRow) r = { 0 };
          if (!head_row (info, m, c, &r))
            continue;
          fprintf (out, "| %s | %d | %.1f%% | %s | %.1f%% | %s |\n", info->classes[c],
                   r.pairs, 100.0 * r.own_network, r.else_on ? r.else_on : "–",
                   100.0 * r.own_refit, r.verdict);
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
          g_auto(HeadRow) r = { 0 };
          if (!head_row (info, m, c, &r))
            continue;
          json_builder_set_member_name (b, info->classes[c]);
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "pairs");
          json_builder_add_int_value (b, r.pairs);
          mcam_json_set_double (b, "own_network_head", r.own_network);
          mcam_json_set_double (b, "own_refit_head", r.own_refit);
          json_builder_set_member_name (b, "network_head_else_on");
          if (r.else_on != NULL)
            json_builder_add_string_value (b, r.else_on);
          else
            json_builder_add_null_value (b);
          json_builder_set_member_name (b, "verdict");
          json_builder_add_string_value (b, r.verdict);
          json_builder_end_object (b);
        }
      json_builder_end_object (b);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
  json_builder_end_object (b);
}
