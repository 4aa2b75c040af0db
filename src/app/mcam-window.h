/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "mcam-worker.h"

G_BEGIN_DECLS

#define MCAM_TYPE_WINDOW (mcam_window_get_type ())
G_DECLARE_FINAL_TYPE (McamWindow, mcam_window, MCAM, WINDOW, GtkApplicationWindow)

/* app may be NULL (tests): the window then works on its own. */
McamWindow *mcam_window_new            (GtkApplication *app);
void        mcam_window_load_model     (McamWindow *self, const char *model_path,
                                        const char *memory_path /* nullable */);
/* Files and folders (folders are listed in the background). */
void        mcam_window_open_files     (McamWindow *self, GFile **files, int n_files);
/* Shows a failure in the window (the app keeps working). */
void        mcam_window_show_error     (McamWindow *self, const char *title, const char *message);
const char *mcam_window_get_error_text (McamWindow *self);   /* NULL when no error shows */
void        mcam_window_clear_error    (McamWindow *self);

/* The memory inspector (and anything else at the bottom) goes here; the
 * window keeps it in the bottom pane. */
void        mcam_window_set_inspector  (McamWindow *self, GtkWidget *inspector);
/* A small widget for the header bar (the memory health badge). */
void        mcam_window_set_header_badge (McamWindow *self, GtkWidget *badge);

McamWorker      *mcam_window_get_worker       (McamWindow *self);
GtkWidget       *mcam_window_get_overlay_view (McamWindow *self);
McamModelInfo   *mcam_window_get_model_info   (McamWindow *self);   /* borrowed, nullable */
McamImageResult *mcam_window_get_image_result (McamWindow *self);   /* borrowed, nullable */
McamMapResult   *mcam_window_get_map_result   (McamWindow *self);   /* borrowed, nullable */

/* What the class list and method selector set; also for tests. */
void        mcam_window_select_class   (McamWindow *self, int class_index);
void        mcam_window_set_method     (McamWindow *self, McamMethod method);
/* Show the map of one memory slot (-1: the slot Algorithm 1 chooses). */
void        mcam_window_set_slot       (McamWindow *self, int slot);
/* The slot the user picked, -1 when Algorithm 1 chooses. */
int         mcam_window_get_slot       (McamWindow *self);

/* The last model, memory, images, method and class (GSettings); FALSE when
 * there is no last model (the caller opens the demo). */
gboolean    mcam_window_restore_session (McamWindow *self);
/* A memory trained in this window that is in no file yet. */
gboolean    mcam_window_get_memory_unsaved (McamWindow *self);
void        mcam_window_save_memory_to  (McamWindow *self, const char *path);

G_END_DECLS
