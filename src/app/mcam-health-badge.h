/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>
#include "mcam/mcam-health.h"

G_BEGIN_DECLS

/* The memory health badge (DESIGN 4.7): one line in plain words ("the
 * classifier does not use the memory", "this map does not depend on the class
 * (r = 0.99 with the channel sum)", ...) and, on click, a popover with every
 * figure behind it. The sentence is built here from the figures (not taken
 * from the core's English verdict) so that it is translated. */
typedef enum
{
  MCAM_HEALTH_LEVEL_UNKNOWN,   /* no figures */
  MCAM_HEALTH_LEVEL_GOOD,
  MCAM_HEALTH_LEVEL_WARNING,   /* weak: worth knowing, not meaningless */
  MCAM_HEALTH_LEVEL_BAD,       /* the memory or this map says nothing */
} McamHealthLevel;

/* The thresholds: those of the core's mcam_health_verdict() (mcam-health.c). */
#define MCAM_HEALTH_RELIANCE_MIN      0.01   /* reliance_max below: memory unused */
#define MCAM_HEALTH_CLASS_AGNOSTIC_R  0.95   /* r with ReLU(Σ_k f_k) at or above: class-agnostic */
#define MCAM_HEALTH_UNIFORM_ENTROPY   0.95   /* H(p)/log N, H(p')/log N at or above: near uniform */

#define MCAM_TYPE_HEALTH_BADGE (mcam_health_badge_get_type ())
G_DECLARE_FINAL_TYPE (McamHealthBadge, mcam_health_badge, MCAM, HEALTH_BADGE, GtkWidget)

GtkWidget      *mcam_health_badge_new (void);
/* health may be NULL (no figures). map_sum_r: Pearson r of the map being
 * shown with the channel sum, or NAN. The scalar figures are copied. */
void            mcam_health_badge_set_health  (McamHealthBadge *self, const McamHealth *health,
                                               double map_sum_r);
McamHealthLevel mcam_health_badge_get_level   (McamHealthBadge *self);
/* The one-line verdict shown. */
const char     *mcam_health_badge_get_verdict (McamHealthBadge *self);
/* The figures text of the popover (for tests and copy). */
char           *mcam_health_badge_dup_details (McamHealthBadge *self);

/* The verdict for figures, without a widget. Returns a new string. */
char           *mcam_health_badge_verdict_for (const McamHealth *health, double map_sum_r,
                                               McamHealthLevel *level_out);

G_END_DECLS
