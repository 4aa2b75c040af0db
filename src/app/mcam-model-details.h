/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>
#include "mcam-window.h"

G_BEGIN_DECLS

/* What the main thread may know of the loaded network beyond McamModelInfo:
 * how it preprocesses, which values were assumed, its layers. Taken on the
 * worker (the only thread that touches McamNet). */
typedef struct
{
  guint          generation;     /* McamModelInfo.generation it was taken at */
  char          *model_path;
  char          *arch;
  char          *description;
  char          *target;         /* the layer explained now */
  char         **layers;         /* mcam_net_list_layers, in execution order */
  McamPreprocess preprocess;
  guint          meta_assumed;   /* McamMetaField bits */
  char         **unknown_keys;   /* never NULL */
  int            n_classes;
  gboolean       multilabel;
  char          *classes_file;   /* the classes.txt the names came from, or NULL */
  int            feat_c, feat_h, feat_w;
  char          *fingerprint;
} McamModelSnapshot;

void mcam_model_snapshot_free (McamModelSnapshot *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McamModelSnapshot, mcam_model_snapshot_free)

/* Takes the snapshot on the worker, on `channel` (a newer request on the
 * same channel cancels the older). */
void               mcam_model_snapshot_async  (McamWorker *worker, const char *channel,
                                               GAsyncReadyCallback callback, gpointer user_data);
McamModelSnapshot *mcam_model_snapshot_finish (McamWorker *worker, GAsyncResult *result,
                                               GError **error);

/* The details as lines "Label: value", "(assumed)" beside each guessed value. */
char *mcam_model_snapshot_describe (const McamModelSnapshot *s);

/* The header-bar button with the model details popover; it follows the
 * window's model and warns once per model about unknown mcam.* keys. */
#define MCAM_TYPE_MODEL_DETAILS (mcam_model_details_get_type ())
G_DECLARE_FINAL_TYPE (McamModelDetails, mcam_model_details, MCAM, MODEL_DETAILS, GtkWidget)

GtkWidget  *mcam_model_details_new      (McamWindow *window);
/* The text the popover shows now ("" before a model); for tests. */
const char *mcam_model_details_get_text (McamModelDetails *self);

G_END_DECLS
