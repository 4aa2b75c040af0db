/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include "mcam/mcam.h"
#include "mcam/mcam-head.h"

G_BEGIN_DECLS

/* `--head FILE` of classify, explain and eval (issue 12): a re-fit head
 * (mcam refit) replaces the network's own for the scores and for every
 * baseline method. */

#define MCAM_CLI_HEAD_OPTION(var) \
  { "head", 0, 0, G_OPTION_ARG_FILENAME, &(var), \
    "Re-fit head (mcam refit): its scores, and the maps of cam and every baseline explain it", \
    "FILE" }

/* Load the head for this backbone (NULL path: *head = NULL, TRUE). */
gboolean mcam_cli_head_load (const char *path, McamNet *net, McamHead **head,
                             GError **error);

/* The analysis' logits and scores become the head's (computed from its q);
 * the network's own are returned in *net_logits and *net_scores (nullable,
 * g_free them). */
void     mcam_cli_head_apply (McamAnalysis *a, const McamHead *head, float **net_logits,
                              float **net_scores);

/* JSON members of a document that explains a re-fit head: "explains":
 * "re-fit head", "head": path, "head_l2", "head_images", "head_val_map";
 * with no head, "explains": "network head". */
void     mcam_cli_head_json (JsonBuilder *b, const char *path, const McamHead *head);

G_END_DECLS
