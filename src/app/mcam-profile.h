/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Timing instrumentation (g_get_monotonic_time): with MCAM_PROFILE=1 in the
 * environment the app prints what it measures on stderr, one line each:
 *   mcam-profile: class-switch 3.1 ms
 * Measurements are always taken (they cost nothing) so tests and the status
 * line can read them; only the printing depends on the variable. */

void     mcam_profile_init            (void);   /* first thing in main () */
gboolean mcam_profile_enabled         (void);
gint64   mcam_profile_get_start_time  (void);
/* Records a measurement (kept for mcam_profile_print_summary) and prints it
 * when MCAM_PROFILE=1. */
void     mcam_profile_report          (const char *what, double ms);
/* n, median, min and max of every name reported so far, on stderr. */
void     mcam_profile_print_summary   (void);
/* The median of one name (NAN when nothing was reported); n_out nullable. */
double   mcam_profile_get_median      (const char *what, guint *n_out);

/* The main-loop stall monitor: a high-priority 5 ms tick that records the
 * longest gap between two ticks beyond the 5 ms it asked for. */
void     mcam_profile_stall_begin     (void);
double   mcam_profile_stall_end       (void);   /* longest stall in ms since _begin */
double   mcam_profile_stall_peek      (void);

G_END_DECLS
