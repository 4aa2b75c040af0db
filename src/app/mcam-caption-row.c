/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The caption row above the overlay (issue 11 item 6). A GtkBox shares
 * its width by natural sizes: beside a long caption a notice of ~200 px
 * took its share and left the caption ~35 px at GDK_SCALE=2, ellipsized
 * to "bag -0…". Here the caption has the first claim: the notice shows
 * its short text only while the caption still fits in its reserved height
 * (its height request: two lines) beside it; otherwise the notice is its
 * icon alone — its message and actions are in its popover either way —
 * and the caption wraps in the rest of the width. */

#define G_LOG_DOMAIN "mcam-window"

#include "config.h"

#include "mcam-caption-row.h"

#define SPACING 6

struct _McamCaptionRow
{
  GtkWidget  parent_instance;

  GtkWidget *collapsible;   /* inside the notice; not owned */
  gboolean   expanded;
};

enum
{
  PROP_0,
  PROP_COLLAPSIBLE,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

G_DEFINE_FINAL_TYPE (McamCaptionRow, mcam_caption_row, GTK_TYPE_WIDGET)

typedef struct
{
  int      caption_width;
  int      notice_width;   /* 0: no notice shown */
  gboolean expanded;       /* the notice with its short text */
} Split;

static GtkWidget *
get_caption (McamCaptionRow *self)
{
  return gtk_widget_get_first_child (GTK_WIDGET (self));
}

/* The notice, when there is one to show. */
static GtkWidget *
get_notice (McamCaptionRow *self)
{
  GtkWidget *caption = get_caption (self);
  GtkWidget *notice = caption != NULL ? gtk_widget_get_next_sibling (caption) : NULL;

  return notice != NULL && gtk_widget_get_visible (notice) ? notice : NULL;
}

/* The height the caption keeps whatever it says (its height request and
 * margins): a caption that fits it never moves the overlay. */
static int
caption_reserved_height (GtkWidget *caption)
{
  int h = 0;

  gtk_widget_get_size_request (caption, NULL, &h);
  return MAX (h, 0) + gtk_widget_get_margin_top (caption) + gtk_widget_get_margin_bottom (caption);
}

static Split
split_width (McamCaptionRow *self, int width)
{
  GtkWidget *caption = get_caption (self);
  GtkWidget *notice = get_notice (self);
  Split s = { width, 0, FALSE };
  int notice_min, notice_nat, caption_min, caption_h, beside;

  if (caption == NULL || notice == NULL)
    return s;
  gtk_widget_measure (notice, GTK_ORIENTATION_HORIZONTAL, -1, &notice_min, &notice_nat, NULL, NULL);
  gtk_widget_measure (caption, GTK_ORIENTATION_HORIZONTAL, -1, &caption_min, NULL, NULL, NULL);
  beside = width - SPACING - notice_nat;
  if (beside >= caption_min)
    {
      gtk_widget_measure (caption, GTK_ORIENTATION_VERTICAL, beside, NULL, &caption_h, NULL, NULL);
      s.expanded = caption_h <= caption_reserved_height (caption);
    }
  s.notice_width = s.expanded ? notice_nat : notice_min;
  s.caption_width = MAX (width - SPACING - s.notice_width, caption_min);
  return s;
}

static GtkSizeRequestMode
mcam_caption_row_get_request_mode (GtkWidget *widget)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

static void
mcam_caption_row_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                          int *minimum, int *natural, int *minimum_baseline,
                          int *natural_baseline)
{
  McamCaptionRow *self = MCAM_CAPTION_ROW (widget);
  GtkWidget *caption = get_caption (self);
  GtkWidget *notice = get_notice (self);
  int cmin = 0, cnat = 0, nmin = 0, nnat = 0;

  *minimum = *natural = 0;
  if (caption == NULL)
    return;
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      gtk_widget_measure (caption, orientation, -1, &cmin, &cnat, NULL, NULL);
      if (notice != NULL)
        {
          gtk_widget_measure (notice, orientation, -1, &nmin, &nnat, NULL, NULL);
          cmin += SPACING + nmin;
          cnat += SPACING + nnat;
        }
      *minimum = cmin;
      *natural = cnat;
      return;
    }
  if (for_size < 0)
    {
      gtk_widget_measure (caption, orientation, -1, &cmin, &cnat, NULL, NULL);
      if (notice != NULL)
        gtk_widget_measure (notice, orientation, -1, &nmin, &nnat, NULL, NULL);
    }
  else
    {
      Split s = split_width (self, for_size);

      gtk_widget_measure (caption, orientation, s.caption_width, &cmin, &cnat, NULL, NULL);
      if (notice != NULL)
        gtk_widget_measure (notice, orientation, s.notice_width, &nmin, &nnat, NULL, NULL);
    }
  *minimum = MAX (cmin, nmin);
  *natural = MAX (cnat, nnat);
}

static void
mcam_caption_row_size_allocate (GtkWidget *widget, int width, int height, int baseline)
{
  McamCaptionRow *self = MCAM_CAPTION_ROW (widget);
  GtkWidget *caption = get_caption (self);
  GtkWidget *notice = get_notice (self);
  gboolean rtl = gtk_widget_get_direction (widget) == GTK_TEXT_DIR_RTL;
  Split s;

  if (caption == NULL)
    return;
  s = split_width (self, width);
  self->expanded = s.expanded;
  /* Not a visibility change (that would measure the row again): the
   * short text keeps its place in the notice's size, and is not drawn. */
  if (self->collapsible != NULL)
    gtk_widget_set_child_visible (self->collapsible, s.expanded);
  gtk_widget_allocate (caption, s.caption_width, height, -1,
                       rtl && notice != NULL
                       ? gsk_transform_translate (NULL, &GRAPHENE_POINT_INIT (s.notice_width + SPACING, 0))
                       : NULL);
  if (notice != NULL)
    gtk_widget_allocate (notice, s.notice_width, height, -1,
                         rtl ? NULL
                             : gsk_transform_translate (NULL, &GRAPHENE_POINT_INIT (
                                                          s.caption_width + SPACING, 0)));
}

gboolean
mcam_caption_row_get_notice_expanded (McamCaptionRow *self)
{
  g_return_val_if_fail (MCAM_IS_CAPTION_ROW (self), FALSE);
  return get_notice (self) != NULL && self->expanded;
}

static void
mcam_caption_row_set_property (GObject *object, guint prop_id, const GValue *value,
                               GParamSpec *pspec)
{
  McamCaptionRow *self = MCAM_CAPTION_ROW (object);

  switch (prop_id)
    {
    case PROP_COLLAPSIBLE:
      self->collapsible = g_value_get_object (value);
      gtk_widget_queue_allocate (GTK_WIDGET (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mcam_caption_row_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  McamCaptionRow *self = MCAM_CAPTION_ROW (object);

  switch (prop_id)
    {
    case PROP_COLLAPSIBLE:
      g_value_set_object (value, self->collapsible);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mcam_caption_row_dispose (GObject *object)
{
  McamCaptionRow *self = MCAM_CAPTION_ROW (object);
  GtkWidget *child;

  self->collapsible = NULL;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (mcam_caption_row_parent_class)->dispose (object);
}

static void
mcam_caption_row_class_init (McamCaptionRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->set_property = mcam_caption_row_set_property;
  object_class->get_property = mcam_caption_row_get_property;
  object_class->dispose = mcam_caption_row_dispose;
  widget_class->get_request_mode = mcam_caption_row_get_request_mode;
  widget_class->measure = mcam_caption_row_measure;
  widget_class->size_allocate = mcam_caption_row_size_allocate;

  /* The part of the notice left out when the caption needs the width
   * (a descendant of the notice; not owned). */
  props[PROP_COLLAPSIBLE] = g_param_spec_object ("collapsible", NULL, NULL, GTK_TYPE_WIDGET,
                                                 G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
mcam_caption_row_init (McamCaptionRow *self)
{
}
