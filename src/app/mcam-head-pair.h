/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "mcam-window.h"

G_BEGIN_DECLS

/* The network's map and the re-fit head's for one request. */
typedef struct _McamHeadPair McamHeadPair;

/* refit = FALSE: the network's head; NULL when that side failed. */
const McamExplanation *mcam_head_pair_get_explanation (McamHeadPair *pair, gboolean refit);
const McamMapRequest  *mcam_head_pair_get_request     (McamHeadPair *pair);

/* The pair shown (borrowed), or NULL. */
McamHeadPair *_mcam_window_get_head_pair          (McamWindow *self);
/* Side by side instead of the single overlay (only with a head loaded). */
void          _mcam_window_set_head_side_by_side  (McamWindow *self, gboolean on);
/* The window shows a new map: the pair follows it. */
void          _mcam_window_head_map_shown         (McamWindow *self, McamMapResult *map);
/* win.head-side-by-side (Ctrl+Shift+H). */
void          _mcam_window_class_install_head_pair_actions (GtkWidgetClass *klass);

G_END_DECLS
