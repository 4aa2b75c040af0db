/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A class list row drawn by one widget; see mcam-class-row.h for why.
 *
 *   [✓] Ankle boot ...........  [█████───]  [███─────]
 *                                 0.91         0.40
 *
 * The two columns at the end are the target network's score (blue) and the
 * memory classifier's (orange), each a bar over its value. With a re-fit
 * head loaded (issue 12), a third column (purple) comes before them, so the
 * other two keep their place. */

#define G_LOG_DOMAIN "mcam-classes"

#include "config.h"

#include <glib/gi18n.h>

#include "mcam-class-row.h"

#define PAD_X        4
#define PAD_Y        3
#define SPACING      6
#define BAR_WIDTH    72
#define BAR_HEIGHT   6
#define BAR_GAP      2   /* between a bar and its value */
#define NAME_MIN     48

static const GdkRGBA target_color = { 0.208f, 0.518f, 0.894f, 1.0f };  /* #3584e4 */
static const GdkRGBA memory_color = { 0.902f, 0.380f, 0.000f, 1.0f };  /* #e66100 */
static const GdkRGBA head_color   = { 0.569f, 0.255f, 0.675f, 1.0f };  /* #9141ac */
static const GdkRGBA mark_color   = { 0.149f, 0.635f, 0.412f, 1.0f };  /* #26a269 */

struct _McamClassRow
{
  GtkWidget      parent_instance;

  McamClassItem *item;
  gulong         changed_id;

  PangoLayout   *mark;         /* "✓" */
  PangoLayout   *name;
  PangoLayout   *value[3];     /* [0]: target network, [1]: memory classifier,
                                [2]: re-fit head */
  gboolean       head_shown;
  int            mark_width;   /* the mark's column, shown or not */
  int            line_height;
  int            caption_height;
};

G_DEFINE_FINAL_TYPE (McamClassRow, mcam_class_row, GTK_TYPE_WIDGET)

/* ---------------------------------------------------------------- geometry */

/* x of a score column's left edge: memory = FALSE is the first one. */
static int
column_x (McamClassRow *self, gboolean memory)
{
  int w = gtk_widget_get_width (GTK_WIDGET (self));

  return w - PAD_X - BAR_WIDTH - (memory ? 0 : BAR_WIDTH + SPACING);
}

/* The re-fit head's column, left of the target network's. */
static int
head_column_x (McamClassRow *self)
{
  return column_x (self, FALSE) - BAR_WIDTH - SPACING;
}

/* The leftmost score column: where the name has to stop. */
static int
first_column_x (McamClassRow *self)
{
  return self->head_shown ? head_column_x (self) : column_x (self, FALSE);
}

static int
name_x (McamClassRow *self)
{
  return PAD_X + self->mark_width + SPACING;
}

static int
bars_block_height (McamClassRow *self)
{
  return BAR_HEIGHT + BAR_GAP + self->caption_height;
}

/* The name is ellipsized to the room between the mark and the bars. */
static void
apply_name_width (McamClassRow *self)
{
  int room = first_column_x (self) - SPACING - name_x (self);

  pango_layout_set_width (self->name, MAX (room, 1) * PANGO_SCALE);
}

gboolean
mcam_class_row_get_bar_rect (McamClassRow *self, gboolean memory, graphene_rect_t *rect)
{
  int h = gtk_widget_get_height (GTK_WIDGET (self));
  int top = (h - bars_block_height (self)) / 2;

  g_return_val_if_fail (MCAM_IS_CLASS_ROW (self), FALSE);
  if (gtk_widget_get_width (GTK_WIDGET (self)) <= 0)
    return FALSE;
  graphene_rect_init (rect, column_x (self, memory), top, BAR_WIDTH, BAR_HEIGHT);
  return TRUE;
}

gboolean
mcam_class_row_get_head_bar_rect (McamClassRow *self, graphene_rect_t *rect)
{
  g_return_val_if_fail (MCAM_IS_CLASS_ROW (self), FALSE);
  if (!self->head_shown || !mcam_class_row_get_bar_rect (self, FALSE, rect))
    return FALSE;
  rect->origin.x = head_column_x (self);
  return TRUE;
}

McamClassRowPart
mcam_class_row_get_part_at (McamClassRow *self, double x, double y)
{
  g_return_val_if_fail (MCAM_IS_CLASS_ROW (self), MCAM_CLASS_ROW_NOWHERE);

  if (x >= column_x (self, TRUE))
    return MCAM_CLASS_ROW_MEMORY_SCORE;
  if (x >= column_x (self, FALSE))
    return MCAM_CLASS_ROW_SCORE;
  if (self->head_shown && x >= head_column_x (self))
    return MCAM_CLASS_ROW_HEAD_SCORE;
  if (x >= name_x (self))
    return MCAM_CLASS_ROW_NAME;
  if (x >= PAD_X)
    return MCAM_CLASS_ROW_MARK;
  return MCAM_CLASS_ROW_NOWHERE;
}

/* ---------------------------------------------------------------- item */

static void
update_accessible (McamClassRow *self)
{
  g_autofree char *label = NULL;

  if (self->item == NULL)
    return;
  /* TRANSLATORS: a class list row read by a screen reader: the class name,
   * the target network's score and the memory classifier's. */
  label = g_strdup_printf (_("%s: score %s, memory %s%s"),
                           mcam_class_item_get_name (self->item),
                           mcam_class_item_get_score_text (self->item, FALSE),
                           mcam_class_item_get_score_text (self->item, TRUE),
                           mcam_class_item_get_ground_truth (self->item)
                             ? _(", in the ground truth") : "");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                  -1);
}

static void
item_changed (McamClassRow *self)
{
  gboolean head_shown = mcam_class_item_has_head (self->item);

  for (int k = 0; k < 2; k++)
    pango_layout_set_text (self->value[k],
                           mcam_class_item_get_score_text (self->item, k == 1), -1);
  pango_layout_set_text (self->value[2], mcam_class_item_get_head_text (self->item), -1);
  if (head_shown != self->head_shown)
    {
      self->head_shown = head_shown;
      apply_name_width (self);
      gtk_widget_queue_resize (GTK_WIDGET (self));
    }
  update_accessible (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
mcam_class_row_set_item (McamClassRow *self, McamClassItem *item)
{
  g_return_if_fail (MCAM_IS_CLASS_ROW (self));

  if (self->item == item)
    return;
  if (self->item != NULL)
    g_clear_signal_handler (&self->changed_id, self->item);
  g_set_object (&self->item, item);
  if (item == NULL)
    return;
  self->changed_id = g_signal_connect_swapped (item, "changed", G_CALLBACK (item_changed),
                                               self);
  pango_layout_set_text (self->name, mcam_class_item_get_name (item), -1);
  item_changed (self);
}

McamClassItem *
mcam_class_row_get_item (McamClassRow *self)
{
  g_return_val_if_fail (MCAM_IS_CLASS_ROW (self), NULL);
  return self->item;
}

const char *
mcam_class_row_get_score_text (McamClassRow *self, gboolean memory)
{
  g_return_val_if_fail (MCAM_IS_CLASS_ROW (self), NULL);
  return pango_layout_get_text (self->value[memory ? 1 : 0]);
}

const char *
mcam_class_row_get_head_text (McamClassRow *self)
{
  g_return_val_if_fail (MCAM_IS_CLASS_ROW (self), NULL);
  return self->head_shown ? pango_layout_get_text (self->value[2]) : NULL;
}

/* ---------------------------------------------------------------- drawing */

static void
append_layout (GtkSnapshot *snapshot, PangoLayout *layout, float x, float y,
               const GdkRGBA *color)
{
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (x, y));
  gtk_snapshot_append_layout (snapshot, layout, color);
  gtk_snapshot_restore (snapshot);
}

static gboolean
row_is_selected (McamClassRow *self)
{
  GtkWidget *parent = gtk_widget_get_parent (GTK_WIDGET (self));

  return parent != NULL && (gtk_widget_get_state_flags (parent) & GTK_STATE_FLAG_SELECTED);
}

static void
mcam_class_row_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  McamClassRow *self = MCAM_CLASS_ROW (widget);
  int h = gtk_widget_get_height (widget);
  gboolean selected = row_is_selected (self);
  GdkRGBA fg;

  if (self->item == NULL)
    return;

  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);

  if (mcam_class_item_get_ground_truth (self->item))
    append_layout (snapshot, self->mark, PAD_X, (h - self->line_height) / 2.f,
                   selected ? &fg : &mark_color);

  append_layout (snapshot, self->name, name_x (self), (h - self->line_height) / 2.f, &fg);

  for (int k = 0; k < 3; k++)
    {
      graphene_rect_t bar;
      /* On the selection's blue, the blue bar would vanish: the text colour
       * (white there) takes its place. */
      GdkRGBA color = k == 1 ? memory_color : k == 2 ? head_color
                             : selected ? fg : target_color;
      GdkRGBA trough = color;
      double value = k == 2 ? mcam_class_item_get_head_score (self->item)
                            : mcam_class_item_get_shown_score (self->item, k == 1);

      if (k == 2 ? !mcam_class_row_get_head_bar_rect (self, &bar)
                 : !mcam_class_row_get_bar_rect (self, k == 1, &bar))
        continue;
      trough.alpha *= 0.2f;
      gtk_snapshot_append_color (snapshot, &trough, &bar);
      if (value > 0)
        gtk_snapshot_append_color (snapshot, &color,
                                   &GRAPHENE_RECT_INIT (bar.origin.x, bar.origin.y,
                                                        bar.size.width * (float) value,
                                                        bar.size.height));
      append_layout (snapshot, self->value[k], bar.origin.x,
                     bar.origin.y + BAR_HEIGHT + BAR_GAP, &fg);
    }
}

static void
mcam_class_row_size_allocate (GtkWidget *widget, int width, int height, int baseline)
{
  apply_name_width (MCAM_CLASS_ROW (widget));
}

static void
mcam_class_row_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                        int *minimum, int *natural, int *minimum_baseline,
                        int *natural_baseline)
{
  McamClassRow *self = MCAM_CLASS_ROW (widget);

  if (orientation == GTK_ORIENTATION_VERTICAL)
    {
      *minimum = *natural = 2 * PAD_Y + MAX (self->line_height, bars_block_height (self));
      return;
    }
  *minimum = 2 * PAD_X + self->mark_width + NAME_MIN + 2 * BAR_WIDTH + 3 * SPACING +
             (self->head_shown ? BAR_WIDTH + SPACING : 0);
  *natural = *minimum;
  if (self->item != NULL)
    {
      /* The whole name's width; then back to the allocated one. */
      int name_w;

      pango_layout_set_width (self->name, -1);
      pango_layout_get_pixel_size (self->name, &name_w, NULL);
      apply_name_width (self);
      *natural += MAX (name_w - NAME_MIN, 0);
    }
}

static void
measure_layouts (McamClassRow *self)
{
  pango_layout_get_pixel_size (self->mark, &self->mark_width, &self->line_height);
  self->mark_width *= 2;
  pango_layout_get_pixel_size (self->value[0], NULL, &self->caption_height);
}

static void
create_layouts (McamClassRow *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  g_autoptr(PangoAttrList) caption = pango_attr_list_new ();

  self->mark = gtk_widget_create_pango_layout (widget, "✓");
  self->name = gtk_widget_create_pango_layout (widget, NULL);
  pango_layout_set_ellipsize (self->name, PANGO_ELLIPSIZE_END);
  /* Like the theme's "caption" and "numeric" labels. */
  pango_attr_list_insert (caption, pango_attr_scale_new (PANGO_SCALE_SMALL));
  pango_attr_list_insert (caption, pango_attr_font_features_new ("tnum=1"));
  for (int k = 0; k < 3; k++)
    {
      self->value[k] = gtk_widget_create_pango_layout (widget, "–");
      pango_layout_set_attributes (self->value[k], caption);
    }
  measure_layouts (self);
}

/* The layouts share the widget's Pango context, which follows the style's
 * font: after a style change they are measured again, and the row asks for
 * a new size only when the font changed (a selection changes the colour). */
static void
mcam_class_row_css_changed (GtkWidget *widget, GtkCssStyleChange *change)
{
  McamClassRow *self = MCAM_CLASS_ROW (widget);
  int old[3] = { self->mark_width, self->line_height, self->caption_height };

  GTK_WIDGET_CLASS (mcam_class_row_parent_class)->css_changed (widget, change);
  pango_layout_context_changed (self->mark);
  pango_layout_context_changed (self->name);
  pango_layout_context_changed (self->value[0]);
  pango_layout_context_changed (self->value[1]);
  pango_layout_context_changed (self->value[2]);
  measure_layouts (self);
  if (old[0] != self->mark_width || old[1] != self->line_height ||
      old[2] != self->caption_height)
    gtk_widget_queue_resize (widget);
}

static gboolean
query_tooltip (GtkWidget *widget, int x, int y, gboolean keyboard, GtkTooltip *tooltip)
{
  McamClassRow *self = MCAM_CLASS_ROW (widget);

  if (self->item == NULL)
    return FALSE;
  switch (mcam_class_row_get_part_at (self, x, y))
    {
    case MCAM_CLASS_ROW_MARK:
      if (!mcam_class_item_get_ground_truth (self->item))
        return FALSE;
      gtk_tooltip_set_text (tooltip, _("In the ground truth of this image"));
      return TRUE;
    case MCAM_CLASS_ROW_NAME:
      /* The whole name, when it does not fit. */
      if (!pango_layout_is_ellipsized (self->name))
        return FALSE;
      gtk_tooltip_set_text (tooltip, mcam_class_item_get_name (self->item));
      return TRUE;
    case MCAM_CLASS_ROW_SCORE:
      gtk_tooltip_set_text (tooltip, _("Score of the target network (its own head)"));
      return TRUE;
    case MCAM_CLASS_ROW_MEMORY_SCORE:
      gtk_tooltip_set_text (tooltip, _("Score of the memory classifier z = fc([v ; q])"));
      return TRUE;
    case MCAM_CLASS_ROW_HEAD_SCORE:
      gtk_tooltip_set_text (tooltip, _("Score of the re-fit head (a linear head fitted on "
                                       "the pooled features)"));
      return TRUE;
    case MCAM_CLASS_ROW_NOWHERE:
    default:
      return FALSE;
    }
}

static void
mcam_class_row_dispose (GObject *object)
{
  mcam_class_row_set_item (MCAM_CLASS_ROW (object), NULL);
  G_OBJECT_CLASS (mcam_class_row_parent_class)->dispose (object);
}

static void
mcam_class_row_finalize (GObject *object)
{
  McamClassRow *self = MCAM_CLASS_ROW (object);

  g_clear_object (&self->mark);
  g_clear_object (&self->name);
  g_clear_object (&self->value[0]);
  g_clear_object (&self->value[1]);
  g_clear_object (&self->value[2]);
  G_OBJECT_CLASS (mcam_class_row_parent_class)->finalize (object);
}

static void
mcam_class_row_class_init (McamClassRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = mcam_class_row_dispose;
  object_class->finalize = mcam_class_row_finalize;
  widget_class->measure = mcam_class_row_measure;
  widget_class->size_allocate = mcam_class_row_size_allocate;
  widget_class->snapshot = mcam_class_row_snapshot;
  widget_class->css_changed = mcam_class_row_css_changed;
  widget_class->query_tooltip = query_tooltip;
  gtk_widget_class_set_css_name (widget_class, "classrow");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_LABEL);
}

static void
mcam_class_row_init (McamClassRow *self)
{
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  create_layouts (self);
}

GtkWidget *
mcam_class_row_new (void)
{
  return g_object_new (MCAM_TYPE_CLASS_ROW, NULL);
}
