/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The overlay view: a custom widget drawn with GtkSnapshot. The image and the
 * colormapped map arrive ready (made on the worker) as textures; drawing only
 * stacks them, so class switches and opacity changes cost one frame. */

#define G_LOG_DOMAIN "mcam-overlay"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "mcam-overlay-view.h"

#define MIN_SCALE 0.05
#define MAX_SCALE 40.0
#define LEGEND_WIDTH 12
#define LEGEND_HEIGHT 160

struct _McamOverlayView
{
  GtkWidget        parent_instance;

  McamImageResult *image;
  GdkTexture      *image_texture;
  McamMapResult   *map;
  GdkTexture      *map_texture;
  GdkTexture      *map_baked;          /* the image with the map blended in */
  gsize            max_baked_pixels;
  GdkTexture      *legend_texture;

  McamBox         *boxes;
  int              n_boxes;
  char           **box_names;
  int              highlight_class;

  double           opacity;
  McamColormap     colormap;
  gboolean         show_boxes;

  gboolean         fit;          /* scale follows the widget's size */
  double           scale;        /* when not fitting: screen px per image px */
  double           pan_x, pan_y; /* offset of the image centre from the widget centre */
  double           drag_pan_x, drag_pan_y;

  gboolean         hovering;
  double           hover_x, hover_y;   /* widget coordinates */

  char            *failure_title;      /* shown in place of an image that failed */
  char            *failure_text;

  gboolean         map_unpainted;      /* a new map waits for its first frame */
  gulong           after_paint_id;
};

G_DEFINE_FINAL_TYPE (McamOverlayView, mcam_overlay_view, GTK_TYPE_WIDGET)

enum { PROP_0, PROP_OPACITY, PROP_COLORMAP, PROP_SHOW_BOXES, N_PROPS };
static GParamSpec *properties[N_PROPS];

enum { MAP_PAINTED, N_SIGNALS };
static guint signals[N_SIGNALS];

static GdkTexture *
texture_from_rgb (GBytes *rgb, int width, int height)
{
  return gdk_memory_texture_new (width, height, GDK_MEMORY_R8G8B8, rgb, (gsize) width * 3);
}

/* Drawing the map over the image through an opacity node cost ~7 ms of a
 * 1400x900 window's frame with the cairo renderer (the scaled map blended
 * with alpha, in an offscreen group): class switch 12-17 ms on resnet18,
 * against 8-11 without the map. The view draws instead one opaque texture,
 * the image with the map already blended in at the current opacity, made
 * again when the opacity changes. Up to a million pixels that takes about a
 * millisecond; larger images keep the opacity node rather than stall the
 * main loop. The worker's display copies (at most 1280 px a side, 1.6 million
 * pixels) are all baked. */
#define MAX_BAKED_PIXELS ((gsize) 1 << 21)

static void
update_baked_map (McamOverlayView *self)
{
  gsize n;
  const guint8 *image, *map;
  guint8 *out;
  guint a;

  g_clear_object (&self->map_baked);
  if (self->map == NULL || self->image == NULL || self->opacity <= 0 ||
      self->map->width != self->image->display_width ||
      self->map->height != self->image->display_height)
    return;
  n = (gsize) self->map->width * self->map->height;
  if (n > self->max_baked_pixels)
    return;
  image = g_bytes_get_data (self->image->rgb, NULL);
  map = g_bytes_get_data (self->map->map_rgb, NULL);
  out = g_malloc (n * 3);
  a = (guint) (self->opacity * 255 + 0.5);
  for (gsize i = 0; i < 3 * n; i++)
    {
      /* (image·(255 − a) + map·a) / 255, rounded, without a division. */
      guint t = image[i] * (255 - a) + map[i] * a + 128;

      out[i] = (guint8) ((t + (t >> 8)) >> 8);
    }
  {
    g_autoptr(GBytes) bytes = g_bytes_new_take (out, n * 3);

    self->map_baked = texture_from_rgb (bytes, self->map->width, self->map->height);
  }
}

void
_mcam_overlay_view_set_max_baked_pixels (McamOverlayView *self, gsize max_pixels)
{
  self->max_baked_pixels = max_pixels;
  update_baked_map (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
update_legend (McamOverlayView *self)
{
  guint8 *rgb = g_malloc (LEGEND_HEIGHT * 3);
  g_autoptr(GBytes) bytes = NULL;

  /* Top row is 1.0: a 1-pixel-wide column, stretched when drawn. */
  for (int i = 0; i < LEGEND_HEIGHT; i++)
    mcam_colormap_lookup (self->colormap, 1.0f - (float) i / (LEGEND_HEIGHT - 1), rgb + 3 * i);
  bytes = g_bytes_new_take (rgb, LEGEND_HEIGHT * 3);
  g_clear_object (&self->legend_texture);
  self->legend_texture = texture_from_rgb (bytes, 1, LEGEND_HEIGHT);
}

/* The image's rectangle in widget coordinates. */
static gboolean
get_image_rect (McamOverlayView *self, graphene_rect_t *rect, double *scale_out)
{
  int w = gtk_widget_get_width (GTK_WIDGET (self));
  int h = gtk_widget_get_height (GTK_WIDGET (self));
  double scale;

  if (self->image == NULL || w <= 0 || h <= 0)
    return FALSE;
  if (self->fit)
    scale = MIN ((double) w / self->image->width, (double) h / self->image->height);
  else
    scale = self->scale;
  /* On whole pixels: the picture's edges are then the same whether the map
   * is blended in one texture or drawn over the image with an opacity node
   * (at a fractional origin each texture's edge is antialiased on its own). */
  graphene_rect_init (rect,
                      (float) round ((w - self->image->width * scale) / 2 + self->pan_x),
                      (float) round ((h - self->image->height * scale) / 2 + self->pan_y),
                      (float) (self->image->width * scale),
                      (float) (self->image->height * scale));
  if (scale_out != NULL)
    *scale_out = scale;
  return TRUE;
}

/* (x, y) in the image's own pixels; the map is on the displayed pixels,
 * which are fewer for a large photo. */
gboolean
mcam_overlay_view_get_value_at (McamOverlayView *self, int x, int y, float *value)
{
  int mx, my;

  if (self->map == NULL || self->image == NULL || x < 0 || y < 0 ||
      x >= self->image->width || y >= self->image->height)
    return FALSE;
  mx = MIN ((int) ((double) x * self->map->width / self->image->width), self->map->width - 1);
  my = MIN ((int) ((double) y * self->map->height / self->image->height), self->map->height - 1);
  *value = self->map->map[(gsize) my * self->map->width + mx];
  return TRUE;
}

static void
append_text (GtkSnapshot *snapshot, GtkWidget *widget, const char *text, float x, float y,
             gboolean backdrop)
{
  g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (widget, text);
  GdkRGBA white = { 1, 1, 1, 1 };
  GdkRGBA shade = { 0, 0, 0, 0.6f };
  int lw, lh;

  pango_layout_get_pixel_size (layout, &lw, &lh);
  if (backdrop)
    gtk_snapshot_append_color (snapshot, &shade,
                               &GRAPHENE_RECT_INIT (x - 4, y - 2, lw + 8, lh + 4));
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (x, y));
  gtk_snapshot_append_layout (snapshot, layout, &white);
  gtk_snapshot_restore (snapshot);
}

static void
draw_boxes (McamOverlayView *self, GtkSnapshot *snapshot, const graphene_rect_t *r,
            double scale)
{
  for (int i = 0; i < self->n_boxes; i++)
    {
      const McamBox *b = &self->boxes[i];
      gboolean hi = b->class_index == self->highlight_class;
      float width = hi ? 3.f : 1.5f;
      GdkRGBA color = hi ? (GdkRGBA) { 1, 1, 1, 1 } : (GdkRGBA) { 1, 1, 1, 0.7f };
      GdkRGBA colors[4] = { color, color, color, color };
      float widths[4] = { width, width, width, width };
      GskRoundedRect outline;
      g_autofree char *label = NULL;
      graphene_rect_t br = GRAPHENE_RECT_INIT (r->origin.x + (float) (b->x0 * scale),
                                               r->origin.y + (float) (b->y0 * scale),
                                               (float) ((b->x1 - b->x0) * scale),
                                               (float) ((b->y1 - b->y0) * scale));

      gsk_rounded_rect_init_from_rect (&outline, &br, 0);
      gtk_snapshot_append_border (snapshot, &outline, widths, colors);
      if (self->box_names != NULL && b->class_index >= 0 &&
          b->class_index < (int) g_strv_length (self->box_names))
        {
          label = g_strdup_printf (_("%s (ground truth)"), self->box_names[b->class_index]);
          append_text (snapshot, GTK_WIDGET (self), label, br.origin.x + 2,
                       br.origin.y - 20, TRUE);
        }
    }
}

static void
draw_legend (McamOverlayView *self, GtkSnapshot *snapshot)
{
  graphene_rect_t lr = GRAPHENE_RECT_INIT (16, 28, LEGEND_WIDTH, LEGEND_HEIGHT);

  gtk_snapshot_append_color (snapshot, &(GdkRGBA) { 0, 0, 0, 0.6f },
                             &GRAPHENE_RECT_INIT (lr.origin.x - 1, lr.origin.y - 1,
                                                  lr.size.width + 2, lr.size.height + 2));
  gtk_snapshot_append_texture (snapshot, self->legend_texture, &lr);
  append_text (snapshot, GTK_WIDGET (self), "1.0", lr.origin.x + LEGEND_WIDTH + 6,
               lr.origin.y - 8, TRUE);
  append_text (snapshot, GTK_WIDGET (self), "0.0", lr.origin.x + LEGEND_WIDTH + 6,
               lr.origin.y + LEGEND_HEIGHT - 10, TRUE);
}

/* An image that could not be analysed: its name and the reason, in place of
 * the picture, on a panel of the view's own grey (nothing of another image
 * stays on screen). */
static void
draw_failure (McamOverlayView *self, GtkSnapshot *snapshot, int w, int h)
{
  GtkWidget *widget = GTK_WIDGET (self);
  g_autofree char *escaped_title = g_markup_escape_text (self->failure_title, -1);
  g_autofree char *escaped_text = g_markup_escape_text (self->failure_text ? self->failure_text
                                                                          : "", -1);
  g_autofree char *markup = g_strdup_printf ("<b>⚠ %s</b>\n\n%s", escaped_title, escaped_text);
  g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (widget, NULL);
  int max_w = MAX (80, MIN (w - 48, 560));
  int lw, lh;

  pango_layout_set_markup (layout, markup, -1);
  pango_layout_set_width (layout, max_w * PANGO_SCALE);
  pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
  pango_layout_get_pixel_size (layout, &lw, &lh);
  gtk_snapshot_append_color (snapshot, &(GdkRGBA) { 0.16f, 0.16f, 0.16f, 1 },
                             &GRAPHENE_RECT_INIT ((w - lw) / 2.f - 16, (h - lh) / 2.f - 12,
                                                  lw + 32, lh + 24));
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT ((w - lw) / 2.f, (h - lh) / 2.f));
  gtk_snapshot_append_layout (snapshot, layout, &(GdkRGBA) { 1, 1, 1, 1 });
  gtk_snapshot_restore (snapshot);
}

static void
after_paint (GdkFrameClock *clock, McamOverlayView *self)
{
  g_clear_signal_handler (&self->after_paint_id, clock);
  if (!self->map_unpainted)
    return;
  self->map_unpainted = FALSE;
  g_signal_emit (self, signals[MAP_PAINTED], 0, g_get_monotonic_time ());
}

static void
mcam_overlay_view_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  McamOverlayView *self = MCAM_OVERLAY_VIEW (widget);
  int w = gtk_widget_get_width (widget);
  int h = gtk_widget_get_height (widget);
  graphene_rect_t r;
  double scale;

  if (!get_image_rect (self, &r, &scale))
    {
      g_autoptr(PangoLayout) layout = NULL;
      int lw, lh;

      if (self->failure_title != NULL)
        {
          draw_failure (self, snapshot, w, h);
          return;
        }
      layout = gtk_widget_create_pango_layout (widget, _("Open images to see their explanations"));
      pango_layout_get_pixel_size (layout, &lw, &lh);
      append_text (snapshot, widget, pango_layout_get_text (layout), (w - lw) / 2.f,
                   (h - lh) / 2.f, FALSE);
      return;
    }

  gtk_snapshot_push_clip (snapshot, &GRAPHENE_RECT_INIT (0, 0, w, h));
  if (self->map_baked != NULL)
    gtk_snapshot_append_texture (snapshot, self->map_baked, &r);
  else
    gtk_snapshot_append_texture (snapshot, self->image_texture, &r);
  if (self->map_baked == NULL && self->map_texture != NULL && self->opacity > 0)
    {
      gtk_snapshot_push_opacity (snapshot, self->opacity);
      gtk_snapshot_append_texture (snapshot, self->map_texture, &r);
      gtk_snapshot_pop (snapshot);
    }
  if (self->show_boxes)
    draw_boxes (self, snapshot, &r, scale);
  gtk_snapshot_pop (snapshot);

  if (self->map != NULL)
    draw_legend (self, snapshot);

  if (self->hovering)
    {
      int px = (int) floor ((self->hover_x - r.origin.x) / scale);
      int py = (int) floor ((self->hover_y - r.origin.y) / scale);
      float value;

      if (mcam_overlay_view_get_value_at (self, px, py, &value))
        {
          g_autofree char *text = g_strdup_printf (_("value %.2f at (%d, %d)"), value, px, py);

          append_text (snapshot, widget, text, 12, h - 28, TRUE);
        }
    }

  /* A large photo is drawn from its display copy (the worker's
   * MCAM_DISPLAY_MAX_SIDE): zoomed in past that copy's own pixels, the
   * picture is an enlargement, and the view says so rather than pass it off
   * as the photo's pixels. */
  if (self->image->display_width < self->image->width &&
      scale * self->image->width / self->image->display_width > 1.05)
    {
      g_autofree char *text = g_strdup_printf (_("Enlarged from a %d × %d copy of the %d × %d photo"),
                                               self->image->display_width,
                                               self->image->display_height,
                                               self->image->width, self->image->height);
      g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (widget, text);
      int lw, lh;

      pango_layout_get_pixel_size (layout, &lw, &lh);
      append_text (snapshot, widget, text, MAX (12, w - lw - 12), 12, TRUE);
    }

  if (self->map_unpainted && self->after_paint_id == 0)
    {
      GdkFrameClock *clock = gtk_widget_get_frame_clock (widget);

      if (clock != NULL)
        self->after_paint_id = g_signal_connect (clock, "after-paint",
                                                 G_CALLBACK (after_paint), self);
    }
}

/* ---------------------------------------------------------------- input */

static void
motion_cb (GtkEventControllerMotion *motion, double x, double y, McamOverlayView *self)
{
  self->hovering = TRUE;
  self->hover_x = x;
  self->hover_y = y;
  if (self->map != NULL)
    gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
leave_cb (GtkEventControllerMotion *motion, McamOverlayView *self)
{
  self->hovering = FALSE;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/* Zoom by `factor` keeping the image point under (x, y) where it is. */
static void
zoom_at (McamOverlayView *self, double factor, double x, double y)
{
  graphene_rect_t r;
  double scale, new_scale, ix, iy;
  int w = gtk_widget_get_width (GTK_WIDGET (self));
  int h = gtk_widget_get_height (GTK_WIDGET (self));

  if (!get_image_rect (self, &r, &scale))
    return;
  new_scale = CLAMP (scale * factor, MIN_SCALE, MAX_SCALE);
  ix = (x - r.origin.x) / scale;
  iy = (y - r.origin.y) / scale;
  self->fit = FALSE;
  self->scale = new_scale;
  /* Solve x = (w - W·s)/2 + pan + ix·s for pan. */
  self->pan_x = x - (w - self->image->width * new_scale) / 2 - ix * new_scale;
  self->pan_y = y - (h - self->image->height * new_scale) / 2 - iy * new_scale;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static gboolean
scroll_cb (GtkEventControllerScroll *scroll, double dx, double dy, McamOverlayView *self)
{
  double x = self->hovering ? self->hover_x : gtk_widget_get_width (GTK_WIDGET (self)) / 2.0;
  double y = self->hovering ? self->hover_y : gtk_widget_get_height (GTK_WIDGET (self)) / 2.0;

  if (dy == 0)
    return FALSE;
  zoom_at (self, pow (1.15, -dy), x, y);
  return TRUE;
}

static void
drag_begin_cb (GtkGestureDrag *drag, double x, double y, McamOverlayView *self)
{
  graphene_rect_t r;
  double scale;

  /* Dragging a fitted image first freezes the fit scale. */
  if (self->fit && get_image_rect (self, &r, &scale))
    {
      self->fit = FALSE;
      self->scale = scale;
    }
  self->drag_pan_x = self->pan_x;
  self->drag_pan_y = self->pan_y;
}

static void
drag_update_cb (GtkGestureDrag *drag, double dx, double dy, McamOverlayView *self)
{
  self->pan_x = self->drag_pan_x + dx;
  self->pan_y = self->drag_pan_y + dy;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/* ---------------------------------------------------------------- API */

void
mcam_overlay_view_set_image (McamOverlayView *self, McamImageResult *image)
{
  gboolean same = image != NULL && self->image != NULL &&
                  g_strcmp0 (image->path, self->image->path) == 0;

  if (image != NULL)
    {
      g_clear_pointer (&self->failure_title, g_free);
      g_clear_pointer (&self->failure_text, g_free);
    }
  if (image == self->image)
    return;
  g_clear_pointer (&self->image, mcam_image_result_unref);
  g_clear_object (&self->image_texture);
  if (!same)
    {
      g_clear_pointer (&self->map, mcam_map_result_unref);
      g_clear_object (&self->map_texture);
      g_clear_object (&self->map_baked);
      mcam_overlay_view_set_boxes (self, NULL, 0, NULL);
    }
  if (image != NULL)
    {
      self->image = mcam_image_result_ref (image);
      self->image_texture = texture_from_rgb (image->rgb, image->display_width,
                                              image->display_height);
    }
  update_baked_map (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
mcam_overlay_view_set_map (McamOverlayView *self, McamMapResult *map)
{
  /* The map's image first: another image drops the map shown before. */
  if (map != NULL && self->image != map->image)
    mcam_overlay_view_set_image (self, map->image);
  g_clear_pointer (&self->map, mcam_map_result_unref);
  g_clear_object (&self->map_texture);
  g_clear_object (&self->map_baked);
  if (map != NULL)
    {
      self->map = mcam_map_result_ref (map);
      self->map_texture = texture_from_rgb (map->map_rgb, map->width, map->height);
      update_baked_map (self);
      self->map_unpainted = TRUE;
    }
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
mcam_overlay_view_show_failure (McamOverlayView *self, const char *title, const char *text)
{
  g_return_if_fail (MCAM_IS_OVERLAY_VIEW (self));
  mcam_overlay_view_set_map (self, NULL);
  mcam_overlay_view_set_image (self, NULL);
  g_free (self->failure_title);
  g_free (self->failure_text);
  self->failure_title = g_strdup (title);
  self->failure_text = g_strdup (text);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

const char *
mcam_overlay_view_get_failure (McamOverlayView *self)
{
  return self->failure_text != NULL ? self->failure_text : self->failure_title;
}

McamImageResult *
mcam_overlay_view_get_image (McamOverlayView *self)
{
  return self->image;
}

McamMapResult *
mcam_overlay_view_get_map (McamOverlayView *self)
{
  return self->map;
}

void
mcam_overlay_view_set_boxes (McamOverlayView *self, const McamBox *boxes, int n_boxes,
                             const char *const *names)
{
  g_clear_pointer (&self->boxes, g_free);
  g_clear_pointer (&self->box_names, g_strfreev);
  self->n_boxes = 0;
  if (n_boxes > 0)
    {
      self->boxes = g_memdup2 (boxes, sizeof (McamBox) * (gsize) n_boxes);
      self->n_boxes = n_boxes;
      self->box_names = g_strdupv ((char **) names);
    }
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
mcam_overlay_view_set_highlight_class (McamOverlayView *self, int class_index)
{
  self->highlight_class = class_index;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
mcam_overlay_view_zoom_fit (McamOverlayView *self)
{
  self->fit = TRUE;
  self->pan_x = self->pan_y = 0;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
mcam_overlay_view_zoom_one (McamOverlayView *self)
{
  self->fit = FALSE;
  self->scale = 1.0;
  self->pan_x = self->pan_y = 0;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

double
mcam_overlay_view_get_opacity (McamOverlayView *self)
{
  return self->opacity;
}

void
mcam_overlay_view_set_opacity (McamOverlayView *self, double opacity)
{
  opacity = CLAMP (opacity, 0.0, 1.0);
  if (opacity == self->opacity)
    return;
  self->opacity = opacity;
  update_baked_map (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OPACITY]);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

McamColormap
mcam_overlay_view_get_colormap (McamOverlayView *self)
{
  return self->colormap;
}

/* The legend changes now; the map itself is recoloured by the worker (the
 * window asks for it), so the two agree once that arrives. */
void
mcam_overlay_view_set_colormap (McamOverlayView *self, McamColormap colormap)
{
  if (colormap == self->colormap || colormap >= MCAM_N_COLORMAPS)
    return;
  self->colormap = colormap;
  update_legend (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COLORMAP]);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/* ---------------------------------------------------------------- object */

static void
mcam_overlay_view_get_property (GObject *object, guint prop_id, GValue *value,
                                GParamSpec *pspec)
{
  McamOverlayView *self = MCAM_OVERLAY_VIEW (object);

  switch (prop_id)
    {
    case PROP_OPACITY:
      g_value_set_double (value, self->opacity);
      break;
    case PROP_COLORMAP:
      g_value_set_uint (value, self->colormap);
      break;
    case PROP_SHOW_BOXES:
      g_value_set_boolean (value, self->show_boxes);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mcam_overlay_view_set_property (GObject *object, guint prop_id, const GValue *value,
                                GParamSpec *pspec)
{
  McamOverlayView *self = MCAM_OVERLAY_VIEW (object);

  switch (prop_id)
    {
    case PROP_OPACITY:
      mcam_overlay_view_set_opacity (self, g_value_get_double (value));
      break;
    case PROP_COLORMAP:
      mcam_overlay_view_set_colormap (self, g_value_get_uint (value));
      break;
    case PROP_SHOW_BOXES:
      if (self->show_boxes != g_value_get_boolean (value))
        {
          self->show_boxes = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
          gtk_widget_queue_draw (GTK_WIDGET (self));
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mcam_overlay_view_dispose (GObject *object)
{
  McamOverlayView *self = MCAM_OVERLAY_VIEW (object);
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (self));

  if (clock != NULL)
    g_clear_signal_handler (&self->after_paint_id, clock);
  g_clear_pointer (&self->image, mcam_image_result_unref);
  g_clear_pointer (&self->map, mcam_map_result_unref);
  g_clear_object (&self->image_texture);
  g_clear_object (&self->map_texture);
  g_clear_object (&self->map_baked);
  g_clear_object (&self->legend_texture);
  g_clear_pointer (&self->boxes, g_free);
  g_clear_pointer (&self->box_names, g_strfreev);
  g_clear_pointer (&self->failure_title, g_free);
  g_clear_pointer (&self->failure_text, g_free);
  G_OBJECT_CLASS (mcam_overlay_view_parent_class)->dispose (object);
}

static void
mcam_overlay_view_unrealize (GtkWidget *widget)
{
  McamOverlayView *self = MCAM_OVERLAY_VIEW (widget);
  GdkFrameClock *clock = gtk_widget_get_frame_clock (widget);

  if (clock != NULL)
    g_clear_signal_handler (&self->after_paint_id, clock);
  GTK_WIDGET_CLASS (mcam_overlay_view_parent_class)->unrealize (widget);
}

static void
mcam_overlay_view_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                           int *minimum, int *natural, int *min_baseline, int *nat_baseline)
{
  /* Small enough for a 1024x700 window, or 800x500 at GDK_SCALE=2. */
  *minimum = 120;
  *natural = 480;
}

static void
mcam_overlay_view_class_init (McamOverlayViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = mcam_overlay_view_get_property;
  object_class->set_property = mcam_overlay_view_set_property;
  object_class->dispose = mcam_overlay_view_dispose;
  widget_class->snapshot = mcam_overlay_view_snapshot;
  widget_class->measure = mcam_overlay_view_measure;
  widget_class->unrealize = mcam_overlay_view_unrealize;

  properties[PROP_OPACITY] = g_param_spec_double ("opacity", NULL, NULL, 0, 1, 0.5,
                                                  G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                                                  G_PARAM_STATIC_STRINGS);
  properties[PROP_COLORMAP] = g_param_spec_uint ("colormap", NULL, NULL, 0,
                                                 MCAM_N_COLORMAPS - 1, MCAM_COLORMAP_TURBO,
                                                 G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                                                 G_PARAM_STATIC_STRINGS);
  properties[PROP_SHOW_BOXES] = g_param_spec_boolean ("show-boxes", NULL, NULL, TRUE,
                                                      G_PARAM_READWRITE |
                                                      G_PARAM_EXPLICIT_NOTIFY |
                                                      G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[MAP_PAINTED] = g_signal_new ("map-painted", G_TYPE_FROM_CLASS (klass),
                                       G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                       G_TYPE_NONE, 1, G_TYPE_INT64);

  gtk_widget_class_set_css_name (widget_class, "overlayview");
}

static void
mcam_overlay_view_init (McamOverlayView *self)
{
  GtkEventController *motion = gtk_event_controller_motion_new ();
  GtkEventController *scroll =
    gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_VERTICAL);
  GtkGesture *drag = gtk_gesture_drag_new ();

  self->opacity = 0.5;
  self->max_baked_pixels = MAX_BAKED_PIXELS;
  self->colormap = MCAM_COLORMAP_TURBO;
  self->show_boxes = TRUE;
  self->fit = TRUE;
  self->scale = 1.0;
  self->highlight_class = -1;
  update_legend (self);

  g_signal_connect (motion, "motion", G_CALLBACK (motion_cb), self);
  g_signal_connect (motion, "leave", G_CALLBACK (leave_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), motion);
  g_signal_connect (scroll, "scroll", G_CALLBACK (scroll_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), scroll);
  g_signal_connect (drag, "drag-begin", G_CALLBACK (drag_begin_cb), self);
  g_signal_connect (drag, "drag-update", G_CALLBACK (drag_update_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drag));

  gtk_widget_set_overflow (GTK_WIDGET (self), GTK_OVERFLOW_HIDDEN);
  gtk_widget_set_focusable (GTK_WIDGET (self), FALSE);
}

GtkWidget *
mcam_overlay_view_new (void)
{
  return g_object_new (MCAM_TYPE_OVERLAY_VIEW, NULL);
}
