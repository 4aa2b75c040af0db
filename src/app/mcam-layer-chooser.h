/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>
#include "mcam-window.h"

G_BEGIN_DECLS

/* The header-bar chooser of the layer the methods explain (issue 10): the
 * network's 4-D feature maps by name, in execution order, the model's
 * default marked. Choosing one re-targets the net on the worker (cached
 * analyses and maps go; the window recomputes); a memory module trained for
 * another layer is not used, and the window says so. */
#define MCAM_TYPE_LAYER_CHOOSER (mcam_layer_chooser_get_type ())
G_DECLARE_FINAL_TYPE (McamLayerChooser, mcam_layer_chooser, MCAM, LAYER_CHOOSER, GtkWidget)

GtkWidget          *mcam_layer_chooser_new           (McamWindow *window);
/* The layers listed now (NULL-terminated; empty before a model), the one
 * explained now and the model's default (NULL before a model). */
const char *const  *mcam_layer_chooser_get_layers    (McamLayerChooser *self);
const char         *mcam_layer_chooser_get_layer     (McamLayerChooser *self);
const char         *mcam_layer_chooser_get_default   (McamLayerChooser *self);
/* As if the user chose `layer` (tests); FALSE when it is not listed. */
gboolean            mcam_layer_chooser_select        (McamLayerChooser *self, const char *layer);
/* The last re-target's outcome for tests: its error, else the memory
 * message ("… was trained for layer X …"), else NULL. */
const char         *mcam_layer_chooser_get_message   (McamLayerChooser *self);

G_END_DECLS
