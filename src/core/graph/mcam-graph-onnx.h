/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "mcam-graph.h"
#include "mcam-onnx.h"

G_BEGIN_DECLS

/* The finished graph of an ONNX model (see mcam-graph-onnx.c for the scope).
 * fingerprint: SHA-256 (hex) over the float initializers the graph uses;
 * n_params: their element count. Either may be NULL. */
McamGraph *mcam_graph_from_onnx (const McamOnnxModel *model, char **fingerprint,
                                 gint64 *n_params, GError **error);

G_END_DECLS
