/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The caption row above the overlay (issue 11 item 6). A GtkBox shares
 * its width by natural sizes: beside a long caption a notice of ~200 px
 * took its share and left the caption ~35 px at GDK_SCALE=2, ellipsized
 * to "bag -0…". Here the caption has the first claim: the notice's words
 * are shown only while the caption still fits in its reserved height (its
 * height request: two lines) beside them; otherwise the notice is its
 * button alone — its message and actions are in its popover either way —
 * and the caption wraps in the rest of the width. Where two lines are not
 * enough, the row keeps the tallest caption's height for as long as its
 * width does not change: a shorter caption (CAM has no slot) must not move
 * the overlay either. */

#define G_LOG_DOMAIN "mcam-window"

#include "config.h"

#include "mcam-caption-row.h"

#define SPACING 6       /* caption | notice */
#define WORDS_SPACING 4 /* notice | its words */

struct _McamCaptionRow
{
  GtkWidget  parent_instance;

  gboolean   expanded;
  int        kept_width;    /* the row's width at the last allocation */
  int        kept_height;   /* the tallest caption (with margins) seen at it */
};

G_DEFINE_FINAL_TYPE (McamCaptionRow, mcam_caption_row, GTK_TYPE_WIDGET)

typedef struct
{
  int      caption_width;
  int      notice_width;   /* 0: no notice shown */
  int      words_width;    /* 0: the notice's words left out */
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

/* The notice's words, when the notice is shown. */
static GtkWidget *
get_words (McamCaptionRow *self)
{
  GtkWidget *notice = get_notice (self);
  GtkWidget *words = notice != NULL ? gtk_widget_get_next_sibling (notice) : NULL;

  return words != NULL && gtk_widget_get_visible (words) ? words : NULL;
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

static int
natural_width (GtkWidget *widget)
{
  int nat = 0;

  if (widget != NULL)
    gtk_widget_measure (widget, GTK_ORIENTATION_HORIZONTAL, -1, NULL, &nat, NULL, NULL);
  return nat;
}

static Split
split_width (McamCaptionRow *self, int width)
{
  GtkWidget *caption = get_caption (self);
  GtkWidget *notice = get_notice (self);
  GtkWidget *words = get_words (self);
  Split s = { width, 0, 0 };
  int caption_min, caption_h, words_nat, beside;

  if (caption == NULL || notice == NULL)
    return s;
  s.notice_width = natural_width (notice);
  gtk_widget_measure (caption, GTK_ORIENTATION_HORIZONTAL, -1, &caption_min, NULL, NULL, NULL);
  words_nat = natural_width (words);
  beside = width - SPACING - s.notice_width - WORDS_SPACING - words_nat;
  if (words != NULL && beside >= caption_min)
    {
      gtk_widget_measure (caption, GTK_ORIENTATION_VERTICAL, beside, NULL, &caption_h, NULL, NULL);
      if (caption_h <= caption_reserved_height (caption))
        s.words_width = words_nat;
    }
  s.caption_width = width - SPACING - s.notice_width -
                    (s.words_width > 0 ? WORDS_SPACING + s.words_width : 0);
  s.caption_width = MAX (s.caption_width, caption_min);
  return s;
}

static GtkSizeRequestMode
mcam_caption_row_get_request_mode (GtkWidget *widget)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

static void
measure_max (GtkWidget *widget, int for_size, int *minimum, int *natural)
{
  int min = 0, nat = 0;

  if (widget == NULL)
    return;
  gtk_widget_measure (widget, GTK_ORIENTATION_VERTICAL, for_size, &min, &nat, NULL, NULL);
  *minimum = MAX (*minimum, min);
  *natural = MAX (*natural, nat);
}

static void
mcam_caption_row_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                          int *minimum, int *natural, int *minimum_baseline,
                          int *natural_baseline)
{
  McamCaptionRow *self = MCAM_CAPTION_ROW (widget);
  GtkWidget *caption = get_caption (self);
  GtkWidget *notice = get_notice (self);
  GtkWidget *words = get_words (self);

  *minimum = *natural = 0;
  if (caption == NULL)
    return;
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      int cmin, cnat, nmin = 0, nnat = 0;

      /* The words are never part of the minimum: the row can do without. */
      gtk_widget_measure (caption, orientation, -1, &cmin, &cnat, NULL, NULL);
      if (notice != NULL)
        {
          gtk_widget_measure (notice, orientation, -1, &nmin, &nnat, NULL, NULL);
          cmin += SPACING + nmin;
          cnat += SPACING + nnat + (words != NULL ? WORDS_SPACING + natural_width (words) : 0);
        }
      *minimum = cmin;
      *natural = cnat;
    }
  else if (for_size < 0)
    {
      measure_max (caption, -1, minimum, natural);
      measure_max (notice, -1, minimum, natural);
    }
  else
    {
      Split s = split_width (self, for_size);

      measure_max (caption, s.caption_width, minimum, natural);
      if (for_size == self->kept_width)
        {
          *minimum = MAX (*minimum, self->kept_height);
          *natural = MAX (*natural, self->kept_height);
        }
      measure_max (notice, s.notice_width > 0 ? s.notice_width : -1, minimum, natural);
      if (s.words_width > 0)
        measure_max (words, s.words_width, minimum, natural);
    }
}

static void
allocate_at (GtkWidget *child, int x, int width, int height, gboolean rtl, int row_width)
{
  gtk_widget_allocate (child, width, height, -1,
                       gsk_transform_translate (NULL, &GRAPHENE_POINT_INIT (
                                                  rtl ? row_width - x - width : x, 0)));
}

static void
mcam_caption_row_size_allocate (GtkWidget *widget, int width, int height, int baseline)
{
  McamCaptionRow *self = MCAM_CAPTION_ROW (widget);
  GtkWidget *caption = get_caption (self);
  GtkWidget *notice = get_notice (self);
  GtkWidget *words = get_words (self);
  gboolean rtl = gtk_widget_get_direction (widget) == GTK_TEXT_DIR_RTL;
  int x;
  Split s;

  if (caption == NULL)
    return;
  s = split_width (self, width);
  self->expanded = s.words_width > 0;
  /* What the measure above already counted: the height only grows here. */
  {
    int caption_h;

    gtk_widget_measure (caption, GTK_ORIENTATION_VERTICAL, s.caption_width, NULL, &caption_h,
                        NULL, NULL);
    self->kept_height = width == self->kept_width ? MAX (self->kept_height, caption_h) : caption_h;
    self->kept_width = width;
  }
  allocate_at (caption, 0, s.caption_width, height, rtl, width);
  if (notice == NULL)
    return;
  x = s.caption_width + SPACING;
  allocate_at (notice, x, s.notice_width, height, rtl, width);
  if (words == NULL)
    return;
  /* Left out: not a visibility change (that would measure the row again),
   * just not drawn — still allocated, at its minimum, as GTK wants. */
  gtk_widget_set_child_visible (words, self->expanded);
  if (self->expanded)
    allocate_at (words, x + s.notice_width + WORDS_SPACING, s.words_width, height, rtl, width);
  else
    {
      int min;

      gtk_widget_measure (words, GTK_ORIENTATION_HORIZONTAL, -1, &min, NULL, NULL, NULL);
      allocate_at (words, 0, min, height, rtl, width);
    }
}

gboolean
mcam_caption_row_get_notice_expanded (McamCaptionRow *self)
{
  g_return_val_if_fail (MCAM_IS_CAPTION_ROW (self), FALSE);
  return get_words (self) != NULL && self->expanded;
}

static void
mcam_caption_row_dispose (GObject *object)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))) != NULL)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (mcam_caption_row_parent_class)->dispose (object);
}

static void
mcam_caption_row_class_init (McamCaptionRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = mcam_caption_row_dispose;
  widget_class->get_request_mode = mcam_caption_row_get_request_mode;
  widget_class->measure = mcam_caption_row_measure;
  widget_class->size_allocate = mcam_caption_row_size_allocate;
}

static void
mcam_caption_row_init (McamCaptionRow *self)
{
}
