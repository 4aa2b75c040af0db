/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The re-fit lens's verdict per class (issue 12), shared by `mcam eval
 * --head` and the app's bias lens so both say the same words. */

#include "config.h"

#include <string.h>

#include "mcam/mcam-head-verdict.h"

gboolean
mcam_method_reads_head (McamMethod m)
{
  return !mcam_method_needs_memory (m) && m != MCAM_METHOD_EIGENCAM;
}

/* The landing column the maps of class c reach most often other than the
 * class itself (an object class, background, or no positive value at all);
 * the lowest column wins a tie. */
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
verdict_text (McamHeadVerdict *v, const McamPointingTally *net, const char *const *classes)
{
  const char *x = classes[v->class_index];
  gboolean n_ok = v->own_network >= MCAM_HEAD_LOCATES;
  gboolean h_ok = v->own_refit >= MCAM_HEAD_LOCATES;

  if (h_ok && !n_ok)
    {
      v->kind = MCAM_HEAD_VERDICT_HEAD_BIAS;
      if (v->elsewhere == MCAM_LANDING_NO_MAP (net))
        return g_strdup_printf ("the features locate %s; the network's head gives it no "
                                "positive evidence anywhere (head bias)", x);
      if (v->elsewhere < 0 || v->elsewhere == MCAM_LANDING_BACKGROUND (net))
        return g_strdup_printf ("the features locate %s; the network's head looks at the "
                                "background (head bias)", x);
      return g_strdup_printf ("the features locate %s; the network's head relies on %s "
                              "(head bias)", x, classes[v->elsewhere]);
    }
  if (!h_ok && !n_ok)
    {
      v->kind = MCAM_HEAD_VERDICT_NEITHER;
      return g_strdup_printf ("neither head locates %s (the features do not separate it)", x);
    }
  if (h_ok && n_ok)
    {
      v->kind = MCAM_HEAD_VERDICT_BOTH;
      return g_strdup_printf ("both heads locate %s", x);
    }
  v->kind = MCAM_HEAD_VERDICT_NETWORK_ONLY;
  return g_strdup_printf ("the network's head locates %s and the re-fit head does not (the "
                          "re-fit images may not show %s well enough)", x, x);
}

gboolean
mcam_head_verdict_make (McamHeadVerdict *v, const McamPointingTally *net,
                        const McamPointingTally *refit, int c, const char *const *classes)
{
  g_return_val_if_fail (v != NULL && net != NULL && refit != NULL && classes != NULL, FALSE);
  g_return_val_if_fail (net->n_classes == refit->n_classes, FALSE);
  g_return_val_if_fail (c >= 0 && c < refit->n_classes, FALSE);

  memset (v, 0, sizeof *v);
  v->class_index = c;
  v->elsewhere = -1;
  if (refit->pairs[c] == 0)
    return FALSE;
  v->pairs = refit->pairs[c];
  v->own_network = mcam_pointing_tally_rate (net, c);
  v->own_refit = mcam_pointing_tally_rate (refit, c);
  v->elsewhere = main_elsewhere (net, c);
  if (v->elsewhere == MCAM_LANDING_NO_MAP (net))
    v->elsewhere_name = "no positive value";
  else if (v->elsewhere == MCAM_LANDING_BACKGROUND (net))
    v->elsewhere_name = "background";
  else if (v->elsewhere >= 0)
    v->elsewhere_name = classes[v->elsewhere];
  v->text = verdict_text (v, net, classes);
  return TRUE;
}

void
mcam_head_verdict_clear (McamHeadVerdict *v)
{
  g_clear_pointer (&v->text, g_free);
}
