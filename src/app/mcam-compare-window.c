/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The compare view in a window of its own, so the main window's layout stays
 * as it is; it mirrors what the main window shows. */

#define G_LOG_DOMAIN "mcam-compare"

#include "config.h"

#include <glib/gi18n.h>

#include "mcam-compare-window.h"
#include "mcam-head-lens.h"
#include "mcam-overlay-view.h"

#define DATA_KEY "mcam-compare-window"

struct _McamCompareWindow
{
  GtkWindow        parent_instance;

  McamCompareView *view;
  McamWindow      *main_window;   /* weak */
};

G_DEFINE_FINAL_TYPE (McamCompareWindow, mcam_compare_window, GTK_TYPE_WINDOW)

static void
follow_model (McamCompareWindow *self)
{
  mcam_compare_view_set_model (self->view, mcam_window_get_model_info (self->main_window));
}

/* The map on screen names the image, class and method, and carries the
 * slot-search settings in its request. */
static void
follow_map (McamCompareWindow *self)
{
  McamMapResult *map = mcam_window_get_map_result (self->main_window);
  McamImageResult *image = mcam_window_get_image_result (self->main_window);

  follow_model (self);
  if (map != NULL)
    {
      mcam_compare_view_set_image (self->view, map->request->path);
      mcam_compare_view_set_class (self->view, map->request->class_index);
      mcam_compare_view_set_method (self->view, map->request->method);
      mcam_compare_view_set_options (self->view, map->request->seed, map->request->draws,
                                     map->request->temperature);
    }
  else
    mcam_compare_view_set_image (self->view, image ? image->path : NULL);
}

static void
follow_head (McamCompareWindow *self)
{
  mcam_compare_view_set_head (self->view, _mcam_window_get_head (self->main_window));
}

static void
follow_overlay (McamCompareWindow *self)
{
  McamOverlayView *overlay =
    MCAM_OVERLAY_VIEW (mcam_window_get_overlay_view (self->main_window));

  mcam_compare_view_set_colormap (self->view, mcam_overlay_view_get_colormap (overlay));
  mcam_compare_view_set_opacity (self->view, mcam_overlay_view_get_opacity (overlay));
}

static void
tile_activated_cb (McamCompareWindow *self, int class_index, int method)
{
  if (self->main_window == NULL)
    return;
  if (mcam_compare_view_get_mode (self->view) == MCAM_COMPARE_ALL_METHODS)
    mcam_window_set_method (self->main_window, (McamMethod) method);
  else
    mcam_window_select_class (self->main_window, class_index);
}

static void
mcam_compare_window_dispose (GObject *object)
{
  McamCompareWindow *self = MCAM_COMPARE_WINDOW (object);

  if (self->main_window != NULL)
    {
      if (g_object_get_data (G_OBJECT (self->main_window), DATA_KEY) == self)
        g_object_set_data (G_OBJECT (self->main_window), DATA_KEY, NULL);
      g_object_remove_weak_pointer (G_OBJECT (self->main_window),
                                    (gpointer *) &self->main_window);
      self->main_window = NULL;
    }
  G_OBJECT_CLASS (mcam_compare_window_parent_class)->dispose (object);
}

static void
mcam_compare_window_class_init (McamCompareWindowClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = mcam_compare_window_dispose;
}

static void
mcam_compare_window_init (McamCompareWindow *self)
{
  gtk_window_set_title (GTK_WINDOW (self), _("Compare Maps"));
  gtk_window_set_default_size (GTK_WINDOW (self), 1000, 720);
}

McamCompareWindow *
mcam_compare_window_new (McamWindow *main_window)
{
  McamCompareWindow *self;
  GtkWidget *overlay;

  g_return_val_if_fail (MCAM_IS_WINDOW (main_window), NULL);

  self = g_object_new (MCAM_TYPE_COMPARE_WINDOW,
                       "transient-for", main_window,
                       "destroy-with-parent", TRUE,
                       NULL);
  self->main_window = main_window;
  g_object_add_weak_pointer (G_OBJECT (main_window), (gpointer *) &self->main_window);
  if (gtk_window_get_application (GTK_WINDOW (main_window)) != NULL)
    gtk_window_set_application (GTK_WINDOW (self),
                                gtk_window_get_application (GTK_WINDOW (main_window)));

  self->view = MCAM_COMPARE_VIEW (mcam_compare_view_new (mcam_window_get_worker (main_window)));
  gtk_window_set_child (GTK_WINDOW (self), GTK_WIDGET (self->view));
  g_signal_connect_object (self->view, "tile-activated", G_CALLBACK (tile_activated_cb), self,
                           G_CONNECT_SWAPPED);

  overlay = mcam_window_get_overlay_view (main_window);
  g_signal_connect_object (main_window, "model-changed", G_CALLBACK (follow_model), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (main_window, "map-changed", G_CALLBACK (follow_map), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (main_window, "image-changed", G_CALLBACK (follow_map), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (main_window, "head-changed", G_CALLBACK (follow_head), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (overlay, "notify::colormap", G_CALLBACK (follow_overlay), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (overlay, "notify::opacity", G_CALLBACK (follow_overlay), self,
                           G_CONNECT_SWAPPED);
  follow_overlay (self);
  follow_head (self);
  follow_map (self);
  return self;
}

McamCompareWindow *
mcam_compare_window_present_for (McamWindow *main_window)
{
  McamCompareWindow *self;

  g_return_val_if_fail (MCAM_IS_WINDOW (main_window), NULL);
  self = g_object_get_data (G_OBJECT (main_window), DATA_KEY);
  if (self == NULL)
    {
      self = mcam_compare_window_new (main_window);
      g_object_set_data (G_OBJECT (main_window), DATA_KEY, self);
    }
  gtk_window_present (GTK_WINDOW (self));
  return self;
}

McamCompareView *
mcam_compare_window_get_view (McamCompareWindow *self)
{
  g_return_val_if_fail (MCAM_IS_COMPARE_WINDOW (self), NULL);
  return self->view;
}
