/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "mcam-graph-ops.h"

G_BEGIN_DECLS

/* The ops that need no prepared parameters (binary, unary, concat, pad,
 * transpose, flatten, reshape, reduce-mean) on views: used by the executor
 * and by the builder's constant folding. */
void _mcam_graph_eval_simple (const McamNode *node, const McamView *in, const McamView *out);

G_END_DECLS
