/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "mcam-conv.h"

G_BEGIN_DECLS

/* Convolutions by oneDNN (issue 14; see mcam-dnnl.c for why and when).
 *
 * A map is either *plain* (the engine's CNHW, mcam-conv.h) or *blocked*:
 * oneDNN's nChw16c, [B][⌈C/16⌉][H][W][16] with the channels past C zero.
 * The graph executor keeps a map blocked from the oneDNN node that writes it
 * to the oneDNN nodes that read it, so that the ResNets' chains of
 * convolutions pay no layout change between layers; every other op sees
 * plain maps.
 *
 * Without oneDNN at build time, or with MCAM_DNNL=0 in the environment,
 * mcam_dnnl_available() is FALSE and nothing here is called. */

gboolean mcam_dnnl_available (void);

/* TRUE when oneDNN can run this conv on B images of H×W with this epilogue
 * activation (whether it should is the graph's plan). FALSE for good once
 * oneDNN refused one of the conv's geometries (a workspace size of 0, or
 * only its reference kernel): plan again then. */
gboolean mcam_dnnl_takes (const McamConv *conv, int B, int H, int W, const McamConvAct *act);

/* Floats of a blocked map (its channels rounded up to 16). */
gsize mcam_dnnl_blocked_size (int B, int C, int H, int W);

/* How a conv's input, output and residual are stored. */
typedef struct
{
  gboolean in_blocked;
  gboolean out_blocked;
  gboolean has_res;
  gboolean res_blocked;
} McamDnnlIo;

/* Floats of scratch memory mcam_dnnl_forward() needs (0 when the conv
 * cannot be prepared: then mcam_dnnl_forward would fail too). */
gsize mcam_dnnl_workspace_size (const McamConv *conv, int B, int H, int W, const McamDnnlIo *io,
                                const McamConvAct *act);

/* out = act(conv(in) + bias [+ res]) in the layouts io gives; res may be
 * out (accumulated in place). FALSE when oneDNN refused the geometry (no
 * output written; the caller runs its own kernel). */
gboolean mcam_dnnl_forward (const McamConv *conv, int B, int H, int W, const McamDnnlIo *io,
                            const float *in, float *out, const float *res,
                            const McamConvAct *act, float *workspace);

/* Max-pooling (square k×k window, stride, pad on every side) of a blocked
 * map into a blocked map: the state made once per pooling layer, the
 * primitives per geometry inside it; workspace size 0 and a FALSE return
 * when oneDNN refuses the geometry. */
gpointer mcam_dnnl_maxpool_new            (int k, int stride, int pad);
void     mcam_dnnl_maxpool_free           (gpointer state);
/* FALSE once oneDNN refused one of the layer's geometries */
gboolean mcam_dnnl_maxpool_usable         (gpointer state);
gsize    mcam_dnnl_maxpool_workspace_size (gpointer state, int B, int C, int H, int W);
gboolean mcam_dnnl_maxpool                (gpointer state, int B, int C, int H, int W,
                                           const float *in, float *out, float *workspace);

/* A map from one layout to the other (tests, and the graph's boundaries). */
void mcam_dnnl_reorder (int B, int C, int H, int W, const float *src, gboolean src_blocked,
                        float *dst);

/* mcam_conv_free's part: the primitives and oneDNN's copy of the weights. */
void _mcam_dnnl_conv_free (gpointer state);

/* Bytes of oneDNN's weight copies of this conv (0 before its first forward). */
gsize _mcam_dnnl_weight_bytes (const McamConv *conv);

G_END_DECLS
