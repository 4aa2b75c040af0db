/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The window's state, shared by mcam-window.c (views and jobs),
 * mcam-window-actions.c (GActions), mcam-window-export.c (export),
 * mcam-window-status.c (messages) and mcam-window-tools.c (tools). */

#include "mcam-class-list.h"
#include "mcam-image-browser.h"
#include "mcam-inspector-data.h"
#include "mcam-overlay-view.h"
#include "mcam-window.h"

G_BEGIN_DECLS

typedef struct _McamInspectorCache McamInspectorCache;

/* What a message in the error bar is about: it goes when that state is gone
 * (a map error with the next map, image or model; a model error with the
 * next model), and the same failure again is counted, not shown anew. */
typedef enum
{
  MCAM_MESSAGE_OTHER,     /* stays until closed */
  MCAM_MESSAGE_MODEL,
  MCAM_MESSAGE_MEMORY,
  MCAM_MESSAGE_MAP,
  MCAM_MESSAGE_EXPORT,
} McamMessageKind;

struct _McamWindow
{
  GtkApplicationWindow parent_instance;

  /* template */
  GtkLabel          *title_label;
  GtkLabel          *subtitle_label;
  GtkBox            *header_badge_box;
  GtkInfoBar        *error_bar;
  GtkLabel          *error_title;
  GtkLabel          *error_label;
  McamImageBrowser  *image_browser;
  McamOverlayView   *overlay_view;
  McamClassList     *class_list;
  GtkBox            *memory_inspector_box;
  GtkAdjustment     *opacity_adjustment;
  GtkDropDown       *colormap_dropdown;
  GtkToggleButton   *boxes_toggle;
  GtkLabel          *caption_label;
  GtkLabel          *status_label;
  GtkProgressBar    *status_progress;
  GtkButton         *cancel_button;
  GtkLabel          *status_info;
  GtkInfoBar        *slot_bar;
  GtkLabel          *slot_bar_label;
  GtkButton         *slot_reset_button;
  GMenu             *recent_menu;
  GtkMenuButton     *agnostic_button;   /* the class-agnostic notice */
  GtkLabel          *agnostic_label;
  GtkLabel          *agnostic_details;
  GtkWidget         *inspector;     /* McamMemoryInspector, in memory_inspector_box */
  McamInspectorCache *inspector_cache;  /* worker thread only; freed after shutdown */

  McamWorker        *worker;
  GSettings         *settings;      /* NULL when the schema is missing */
  McamModelInfo     *model;         /* snapshot of the loaded model */
  McamImageResult   *image;         /* the analysed current image */
  McamImageItem     *item;          /* the browser's current item */
  char              *pending_path;  /* being analysed */
  int                class_index;
  McamMethod         method;
  int                slot;          /* -1: Algorithm 1; else the user's choice */
  int                method_before_slot;  /* McamMethod a slot map replaced, or -1 */
  gboolean           restoring_method;
  gboolean           memory_unsaved;    /* trained here, in no file yet */
  gboolean           close_after_save;
  gboolean           restoring_session;
  char              *restore_class;     /* the class to open the first image on */
  guint              maps_requested;  /* map jobs posted and returned: a failure */
  guint              maps_returned;   /* counts only when it is the newest */
  gboolean           have_error;
  McamMessageKind    message_kind;
  char              *message_title;   /* as given, without the repeat count */
  char              *message_text;
  guint              message_repeats;

  /* status area */
  guint              status_timeout_id;
  guint              n_running;
  gint64             job_start_us;

  /* profiling (mcam-profile.h) */
  gint64             click_us;      /* class or method picked; 0 when measured */
  double             last_switch_ms;
  gboolean           first_overlay_done;
  gint64             analysis_start_us;
  gboolean           measuring_stall;
  gboolean           measuring_load;   /* the stall measure began at a model load */
  gint64             image_start_us;   /* image picked; 0 once its overlay is painted */
  gboolean           opening_image;    /* the list's selection follows a new image */
};

/* mcam-window.c */
void  _mcam_window_request_map   (McamWindow *self);
void  _mcam_window_fill_request  (McamWindow *self, McamMapRequest *req);
char *_mcam_window_export_name   (McamWindow *self, const char *image_path, int class_index,
                                  McamMethod method);

/* mcam-window-status.c: the error bar and the status area */
void  _mcam_window_class_setup_status  (GtkWidgetClass *klass);
void  _mcam_window_setup_status        (McamWindow *self);
void  _mcam_window_update_status_info  (McamWindow *self);
void  _mcam_window_show_message        (McamWindow *self, McamMessageKind kind,
                                        const char *title, const char *message);
/* Hides the bar when it shows a message of this kind. */
void  _mcam_window_clear_message       (McamWindow *self, McamMessageKind kind);
void  _mcam_window_free_messages       (McamWindow *self);

/* mcam-window-session.c: settings kept between runs, recent models, the
 * unsaved trained memory */
void  _mcam_window_class_install_session_actions (GtkWidgetClass *klass);
void  _mcam_window_setup_session             (McamWindow *self);
void  _mcam_window_session_model_changed     (McamWindow *self);
void  _mcam_window_session_opened            (McamWindow *self, GFile *file);
void  _mcam_window_session_picked            (McamWindow *self);
int   _mcam_window_session_take_class        (McamWindow *self);
void  _mcam_window_session_update_title      (McamWindow *self);
void  _mcam_window_session_update_recent_menu (McamWindow *self);
/* The memory in use was saved to path (here or by the train dialog). */
void  _mcam_window_memory_saved              (McamWindow *self, const char *path);

/* mcam-window-tools.c: the memory inspector, train dialog, bias lens */
void  _mcam_window_setup_inspector            (McamWindow *self);
/* mcam-window-layout.c: the centre / inspector split follows the window's
 * height until the user drags it. The inspector's useful height: its title,
 * the health verdict and the four address/Δ bar charts in view without
 * scrolling (the slot grid below them scrolls; the whole inspector's own
 * minimum is 233 px, more than a logical 500 px window can spare). */
#define MCAM_INSPECTOR_USEFUL_HEIGHT 160
void      _mcam_window_setup_layout         (McamWindow *self);
GtkPaned *_mcam_window_get_inspector_paned  (McamWindow *self);
/* FALSE once the user dragged the divider */
gboolean  _mcam_window_layout_follows_window (McamWindow *self);
void  _mcam_window_update_inspector           (McamWindow *self, McamMapResult *map);
/* The class-agnostic warning beside the overlay (data may be NULL: hide). */
void  _mcam_window_update_agnostic            (McamWindow *self, McamInspectorData *data);
void  _mcam_window_class_install_tool_actions (GtkWidgetClass *klass);
void  _mcam_inspector_cache_free              (McamInspectorCache *cache);

/* mcam-window.c: the caption under the overlay (map may be NULL). */
void  _mcam_window_update_caption (McamWindow *self, McamMapResult *map);
/* mcam-window-images.c: the selected image analysed on the worker and shown;
 * files opened or dropped on the window. */
void     _mcam_window_analyse_current   (McamWindow *self);
void     _mcam_window_image_selected_cb (McamWindow *self, McamImageItem *item);
void     _mcam_window_browser_error_cb  (McamWindow *self, const char *title,
                                         const char *message);
gboolean _mcam_window_drop_cb           (GtkDropTarget *target, const GValue *value,
                                         double x, double y, McamWindow *self);

/* mcam-window-actions.c */
void  _mcam_window_class_install_actions (GtkWidgetClass *klass);
void  _mcam_window_update_actions  (McamWindow *self);
/* Left/Right and Page Up/Down change the image unless the focused control
 * uses them (the opacity slider, drop-downs, lists, text, the slot grid). */
void     _mcam_window_setup_image_keys   (McamWindow *self);
gboolean _mcam_window_focus_takes_arrows (McamWindow *self);

/* mcam-window-export.c: export, export-to(s), export-all-classes,
 * export-batch, copy. */
void  _mcam_window_class_install_export_actions (GtkWidgetClass *klass);
void  _mcam_window_export_to (McamWindow *self, const char *path);
/* The folder an export dialog opens in: the last export folder, else the
 * Pictures folder's "M-CAM Exports" (made); never a folder of opened images. */
char *_mcam_window_default_export_folder  (McamWindow *self);
/* mcam-window-export-data.c: the raw map and the class scores as JSON. */
void     _mcam_window_class_install_export_data_actions (GtkWidgetClass *klass);
char    *_mcam_window_export_data_json (McamWindow *self, McamMapResult *map);
gboolean _mcam_window_export_data_to   (McamWindow *self, const char *path, GError **error);
void  _mcam_window_remember_export_folder (McamWindow *self, const char *dir);
/* A request with the window's colormap, opacity and slot-search settings. */
McamExportRequest *_mcam_window_new_export_request (McamWindow *self);
/* Takes `req`; asks once when any output file exists, then runs it with the
 * status area's progress and Cancel ("export-done" when it ends). */
void  _mcam_window_run_export (McamWindow *self, McamExportRequest *req);

G_END_DECLS
