/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Compare mode's head selector (issue 12): with a re-fit head loaded beside
 * the model, the tiles explain either the network's own head or the re-fit
 * head ("what the network uses" / "what the features support"); the job
 * (mcam-compare-job.c) computes every method for the chosen head and names
 * whose map each tile is. Without a head the selector hides and nothing
 * changes. */

#define G_LOG_DOMAIN "mcam-compare"

#include "config.h"

#include "mcam-compare-view-private.h"

static void
sync_head_widget (McamCompareView *self)
{
  self->updating = TRUE;
  gtk_widget_set_visible (GTK_WIDGET (self->head_dropdown), self->head != NULL);
  gtk_drop_down_set_selected (self->head_dropdown, self->prefer_refit ? 1 : 0);
  self->updating = FALSE;
}

void
mcam_compare_view_set_head (McamCompareView *self, McamHeadRef *head)
{
  g_return_if_fail (MCAM_IS_COMPARE_VIEW (self));
  if (head == self->head)
    return;
  g_clear_pointer (&self->head, mcam_head_ref_release);
  self->head = head != NULL ? mcam_head_ref_acquire (head) : NULL;
  sync_head_widget (self);
  /* Labels name whose map a tile is once a head is loaded: always redo. */
  _mcam_compare_view_schedule_refresh (self);
}

void
mcam_compare_view_set_use_refit_head (McamCompareView *self, gboolean refit)
{
  g_return_if_fail (MCAM_IS_COMPARE_VIEW (self));
  refit = !!refit;
  if (refit == self->prefer_refit)
    return;
  self->prefer_refit = refit;
  sync_head_widget (self);
  if (self->head != NULL)
    _mcam_compare_view_schedule_refresh (self);
}

gboolean
mcam_compare_view_get_use_refit_head (McamCompareView *self)
{
  g_return_val_if_fail (MCAM_IS_COMPARE_VIEW (self), FALSE);
  return self->head != NULL && self->prefer_refit;
}

void
_mcam_compare_view_head_selected (McamCompareView *self)
{
  if (self->updating)
    return;
  mcam_compare_view_set_use_refit_head (self,
                                        gtk_drop_down_get_selected (self->head_dropdown) == 1);
}
