/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mcam-health-badge"

#include "config.h"

#include <math.h>
#include <glib/gi18n.h>

#include "mcam-health-badge.h"

struct _McamHealthBadge
{
  GtkWidget parent_instance;

  GtkWidget *button;
  GtkWidget *icon;
  GtkWidget *label;
  GtkWidget *details;       /* label in the popover */

  gboolean   has_health;
  McamHealth health;        /* scalars only: slot_of_class is not kept */
  double     map_sum_r;
  McamHealthLevel level;
  char      *verdict;
};

G_DEFINE_FINAL_TYPE (McamHealthBadge, mcam_health_badge, GTK_TYPE_WIDGET)

static gboolean
known (double x)
{
  return isfinite (x);
}

char *
mcam_health_badge_verdict_for (const McamHealth *h, double map_sum_r,
                               McamHealthLevel *level_out)
{
  McamHealthLevel level = MCAM_HEALTH_LEVEL_GOOD;
  char *verdict = NULL;

  /* Most serious first, in the order of the core's mcam_health_verdict() so
   * the app and `mcam info` say the same: a memory the classifier ignores
   * explains nothing, whatever its maps look like. */
  double reliance = h != NULL ? (known (h->reliance_max) ? h->reliance_max : h->reliance) : NAN;

  if (known (reliance) && reliance < MCAM_HEALTH_RELIANCE_MIN)
    {
      level = MCAM_HEALTH_LEVEL_BAD;
      verdict = g_strdup (_("The classifier does not use the memory"));
    }
  else if (h != NULL && h->distinct_slots == 1 && h->n_classes > 1)
    {
      level = MCAM_HEALTH_LEVEL_BAD;
      verdict = g_strdup_printf (_("The memory has collapsed: all %d classes share one slot"),
                                 h->n_classes);
    }
  else if (h != NULL && known (h->entropy_p) && h->entropy_p >= MCAM_HEALTH_UNIFORM_ENTROPY)
    {
      level = MCAM_HEALTH_LEVEL_BAD;
      verdict = g_strdup (_("The memory reads every slot almost alike (addresses near uniform)"));
    }
  else if (h != NULL && known (h->entropy_p_value)
           && h->entropy_p_value >= MCAM_HEALTH_UNIFORM_ENTROPY)
    {
      level = MCAM_HEALTH_LEVEL_BAD;
      verdict = g_strdup (_("No slot stands for a class (value addresses near uniform)"));
    }
  else if (known (map_sum_r) && map_sum_r >= MCAM_HEALTH_CLASS_AGNOSTIC_R)
    {
      level = MCAM_HEALTH_LEVEL_BAD;
      /* TRANSLATORS: r is a Pearson correlation, e.g. 0.99 */
      verdict = g_strdup_printf (_("This map does not depend on the class (r = %.2f with the channel sum)"),
                                 map_sum_r);
    }
  else if (!known (map_sum_r) && h != NULL && known (h->mcam_sum_r)
           && h->mcam_sum_r >= MCAM_HEALTH_CLASS_AGNOSTIC_R)
    {
      level = MCAM_HEALTH_LEVEL_WARNING;
      verdict = g_strdup_printf (_("The paper's maps hardly depend on the class (r = %.2f with the channel sum)"),
                                 h->mcam_sum_r);
    }
  else if (h != NULL && h->distinct_slots > 0 && h->n_classes >= 4
           && h->distinct_slots * 2 < h->n_classes)
    {
      level = MCAM_HEALTH_LEVEL_WARNING;
      verdict = g_strdup_printf (_("Only %d slots serve %d classes: classes share slots"),
                                 h->distinct_slots, h->n_classes);
    }
  else if (h == NULL && !known (map_sum_r))
    {
      level = MCAM_HEALTH_LEVEL_UNKNOWN;
      verdict = g_strdup (_("Memory health not measured"));
    }
  else
    verdict = g_strdup (_("The memory looks healthy"));

  if (level_out)
    *level_out = level;
  return verdict;
}

static void
append_figure (GString *s, const char *name, double value, const char *format)
{
  g_string_append_printf (s, "%s: ", name);
  if (known (value))
    g_string_append_printf (s, format, value);
  else
    g_string_append (s, _("unknown"));
  g_string_append_c (s, '\n');
}

char *
mcam_health_badge_dup_details (McamHealthBadge *self)
{
  GString *s = g_string_new (NULL);
  const McamHealth *h = self->has_health ? &self->health : NULL;

  g_return_val_if_fail (MCAM_IS_HEALTH_BADGE (self), NULL);

  g_string_append_printf (s, "%s\n\n", self->verdict);
  append_figure (s, _("This map's correlation with the channel sum"), self->map_sum_r, "r = %.3f");
  if (h == NULL)
    {
      g_string_append (s, _("No health figures: this memory file carries none. Train it again, or run “mcam train” to measure them."));
      return g_string_free (s, FALSE);
    }
  g_string_append_printf (s, _("Measured on %d images\n"), h->n_images);
  g_string_append_printf (s, "\n<b>%s</b>\n", _("Reliance"));
  append_figure (s, _("Mean score change when the read value is replaced by its mean"),
                 h->reliance, "%.4f");
  append_figure (s, _("Largest change per image (mean)"), h->reliance_max, "%.4f");
  append_figure (s, _("Memory classifier mAP"), h->map_score, "%.3f");
  append_figure (s, _("mAP drop without the memory"), h->map_drop, "%.3f");
  g_string_append_printf (s, "\n<b>%s</b>\n", _("Sharpness (entropy / log N: 0 = one slot, 1 = uniform)"));
  append_figure (s, _("Mean largest key address p"), h->mean_max_p, "%.3f");
  append_figure (s, _("Entropy of p"), h->entropy_p, "%.3f");
  append_figure (s, _("Entropy of p_s"), h->entropy_p_s, "%.3f");
  append_figure (s, _("Entropy of p′"), h->entropy_p_value, "%.3f");
  g_string_append_printf (s, "\n<b>%s</b>\n", _("Slot use"));
  if (h->distinct_slots >= 0)
    g_string_append_printf (s, _("Distinct class slots: %d of %d classes\n"),
                            h->distinct_slots, h->n_classes);
  if (h->unused_slots >= 0)
    g_string_append_printf (s, _("Slots no class uses: %d of %d\n"), h->unused_slots,
                            h->n_slots);
  g_string_append_printf (s, "\n<b>%s</b>\n", _("Class-specificity of the maps"));
  append_figure (s, _("M-CAM (paper): r with the channel sum"), h->mcam_sum_r, "%.3f");
  append_figure (s, _("M-CAM (paper): r between classes"), h->mcam_between_r, "%.3f");
  append_figure (s, _("Slot profile: r with the channel sum"), h->profile_sum_r, "%.3f");
  append_figure (s, _("Slot profile: r between classes"), h->profile_between_r, "%.3f");
  return g_string_free (s, FALSE);
}

static void
_mcam_health_badge_update (McamHealthBadge *self)
{
  static const char *const classes[] = { "dim-label", "success", "warning", "error" };
  static const char *const icons[] = {
    "dialog-question-symbolic", "emblem-ok-symbolic", "dialog-warning-symbolic",
    "dialog-error-symbolic",
  };
  g_autofree char *details = NULL;

  g_free (self->verdict);
  self->verdict = mcam_health_badge_verdict_for (self->has_health ? &self->health : NULL,
                                                 self->map_sum_r, &self->level);
  gtk_label_set_text (GTK_LABEL (self->label), self->verdict);
  gtk_widget_set_tooltip_text (self->button, _("Memory health: click for the figures"));
  for (guint i = 0; i < G_N_ELEMENTS (classes); i++)
    gtk_widget_remove_css_class (self->button, classes[i]);
  gtk_widget_add_css_class (self->button, classes[self->level]);
  gtk_image_set_from_icon_name (GTK_IMAGE (self->icon), icons[self->level]);

  details = mcam_health_badge_dup_details (self);
  {
    /* The figures are ours, but names from a file may hold '<' or '&'. */
    g_autofree char *escaped = g_markup_escape_text (details, -1);
    g_autoptr(GString) markup = g_string_new (escaped);
    g_string_replace (markup, "&lt;b&gt;", "<b>", 0);
    g_string_replace (markup, "&lt;/b&gt;", "</b>", 0);
    gtk_label_set_markup (GTK_LABEL (self->details), markup->str);
  }
}

static void
mcam_health_badge_dispose (GObject *object)
{
  McamHealthBadge *self = MCAM_HEALTH_BADGE (object);

  g_clear_pointer (&self->button, gtk_widget_unparent);
  G_OBJECT_CLASS (mcam_health_badge_parent_class)->dispose (object);
}

static void
mcam_health_badge_finalize (GObject *object)
{
  McamHealthBadge *self = MCAM_HEALTH_BADGE (object);

  g_free (self->verdict);
  G_OBJECT_CLASS (mcam_health_badge_parent_class)->finalize (object);
}

static void
mcam_health_badge_class_init (McamHealthBadgeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = mcam_health_badge_dispose;
  object_class->finalize = mcam_health_badge_finalize;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "mcamhealthbadge");
}

static void
mcam_health_badge_init (McamHealthBadge *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *popover = gtk_popover_new ();
  GtkWidget *scroller = gtk_scrolled_window_new ();

  self->map_sum_r = NAN;
  self->icon = gtk_image_new ();
  self->label = gtk_label_new (NULL);
  /* The verdict is the most important message the app has: wrapped, not cut. */
  gtk_label_set_wrap (GTK_LABEL (self->label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (self->label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_xalign (GTK_LABEL (self->label), 0.0f);
  gtk_label_set_width_chars (GTK_LABEL (self->label), 24);
  gtk_label_set_max_width_chars (GTK_LABEL (self->label), 64);
  gtk_box_append (GTK_BOX (box), self->icon);
  gtk_box_append (GTK_BOX (box), self->label);

  self->details = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (self->details), 0.0f);
  gtk_label_set_selectable (GTK_LABEL (self->details), TRUE);
  gtk_label_set_wrap (GTK_LABEL (self->details), TRUE);
  /* A readable width: a wrapped label in a scroller otherwise gets its
   * minimum, one word a line. */
  gtk_label_set_width_chars (GTK_LABEL (self->details), 56);
  gtk_label_set_max_width_chars (GTK_LABEL (self->details), 64);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scroller), TRUE);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scroller), 420);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), self->details);
  gtk_popover_set_child (GTK_POPOVER (popover), scroller);
  /* A selectable label selects all its text when it takes the focus (the
   * popover's first focusable child): it is selectable with the pointer
   * (and its menu's Copy) but takes no focus, so nothing opens selected. */
  gtk_widget_set_focusable (self->details, FALSE);

  self->button = gtk_menu_button_new ();
  gtk_menu_button_set_child (GTK_MENU_BUTTON (self->button), box);
  gtk_menu_button_set_popover (GTK_MENU_BUTTON (self->button), popover);
  gtk_widget_add_css_class (self->button, "flat");
  gtk_widget_set_parent (self->button, GTK_WIDGET (self));

  _mcam_health_badge_update (self);
}

GtkWidget *
mcam_health_badge_new (void)
{
  return g_object_new (MCAM_TYPE_HEALTH_BADGE, NULL);
}

void
mcam_health_badge_set_health (McamHealthBadge *self, const McamHealth *health,
                              double map_sum_r)
{
  g_return_if_fail (MCAM_IS_HEALTH_BADGE (self));

  self->has_health = health != NULL;
  if (health != NULL)
    {
      self->health = *health;
      self->health.slot_of_class = NULL;
    }
  self->map_sum_r = map_sum_r;
  _mcam_health_badge_update (self);
}

McamHealthLevel
mcam_health_badge_get_level (McamHealthBadge *self)
{
  g_return_val_if_fail (MCAM_IS_HEALTH_BADGE (self), MCAM_HEALTH_LEVEL_UNKNOWN);
  return self->level;
}

const char *
mcam_health_badge_get_verdict (McamHealthBadge *self)
{
  g_return_val_if_fail (MCAM_IS_HEALTH_BADGE (self), NULL);
  return self->verdict;
}
