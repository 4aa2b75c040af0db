/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "mcam-graph-private.h"

G_BEGIN_DECLS

/* Per-node timing of the executor (a developer's tool, issue 14): with
 * MCAM_PROFILE=1 in the environment every node's CPU time is recorded and,
 * when the process exits, a table goes to stderr: per node its kind (the conv
 * algorithm too), geometry, median and total time, share and GFLOP/s, then
 * the totals per kind. Off (one cached getenv) otherwise. */
gboolean _mcam_graph_profile_on  (void);
gint64   _mcam_graph_profile_now (void);
void     _mcam_graph_profile_add (const McamNode *n, const char *name, const McamShape *in,
                                  const McamShape *out, gint64 ns);

G_END_DECLS
