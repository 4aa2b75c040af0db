/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `--head FILE` (issue 12), shared by classify, explain and eval. */

#include "config.h"

#include <string.h>

#include "mcam-cli-head.h"
#include "mcam/mcam-json.h"

gboolean
mcam_cli_head_load (const char *path, McamNet *net, McamHead **head, GError **error)
{
  *head = NULL;
  if (path == NULL)
    return TRUE;
  *head = mcam_head_load (path, net, error);
  return *head != NULL;
}

void
mcam_cli_head_apply (McamAnalysis *a, const McamHead *head, float **net_logits,
                     float **net_scores)
{
  int C = a->n_classes;

  if (net_logits != NULL)
    *net_logits = g_memdup2 (a->logits, sizeof (float) * C);
  if (net_scores != NULL)
    *net_scores = g_memdup2 (a->scores, sizeof (float) * C);
  mcam_head_logits (head, a->q, a->logits);
  mcam_head_scores (head, a->logits, a->scores);
}

void
mcam_cli_head_json (JsonBuilder *b, const char *path, const McamHead *head)
{
  json_builder_set_member_name (b, "explains");
  json_builder_add_string_value (b, head != NULL ? "re-fit head" : "network head");
  if (head == NULL)
    return;
  json_builder_set_member_name (b, "head");
  json_builder_add_string_value (b, path);
  json_builder_set_member_name (b, "head_l2");
  mcam_json_add_double (b, head->l2);
  json_builder_set_member_name (b, "head_images");
  json_builder_add_int_value (b, head->n_images);
  json_builder_set_member_name (b, "head_val_map");
  mcam_json_add_double (b, head->val_score);
}
