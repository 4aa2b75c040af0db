/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "mcam/mcam-head.h"
#include "mcam-window.h"

G_BEGIN_DECLS

/* A loaded re-fit head, shared read-only by the window and worker jobs. */
typedef struct _McamHeadRef McamHeadRef;

McamHeadRef    *mcam_head_ref_acquire  (McamHeadRef *ref);
void            mcam_head_ref_release  (McamHeadRef *ref);
const McamHead *mcam_head_ref_get_head (McamHeadRef *ref);
const char     *mcam_head_ref_get_path (McamHeadRef *ref);

/* The window's re-fit head (borrowed), or NULL. */
McamHeadRef *_mcam_window_get_head    (McamWindow *self);
/* Loads on the worker, checked against the loaded backbone and layer; a
 * refusal shows the core's message in the error bar. Remembered in
 * GSettings ("last-head"). */
void         _mcam_window_load_head   (McamWindow *self, const char *path);
void         _mcam_window_unload_head (McamWindow *self);
/* A new image (or model) is shown: the third column follows. */
void         _mcam_window_head_image_changed (McamWindow *self);
/* A re-fit head's file (its safetensors header has mcam.head.* metadata),
 * so a dropped head is loaded as one, not as a model. */
gboolean     _mcam_head_file_is_head  (const char *path);
/* win.open-head (Ctrl+H), win.unload-head, and the window's signal
 * "head-changed" () emitted when a head is loaded or unloaded. */
void         _mcam_window_class_install_head_actions (GtkWidgetClass *klass);

G_END_DECLS
