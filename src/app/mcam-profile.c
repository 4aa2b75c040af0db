/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Timing instrumentation for docs/BENCHMARKS.md; see mcam-profile.h. */

#define G_LOG_DOMAIN "mcam-profile"

#include "config.h"

#include <stdio.h>

#include "mcam-profile.h"

#define TICK_MS 5

static gint64   start_time;
static gboolean enabled;
static guint    stall_source;
static gint64   last_tick;
static gint64   longest_stall_us;

void
mcam_profile_init (void)
{
  if (start_time == 0)
    start_time = g_get_monotonic_time ();
  enabled = g_strcmp0 (g_getenv ("MCAM_PROFILE"), "1") == 0;
}

gboolean
mcam_profile_enabled (void)
{
  return enabled;
}

gint64
mcam_profile_get_start_time (void)
{
  if (start_time == 0)
    start_time = g_get_monotonic_time ();
  return start_time;
}

void
mcam_profile_report (const char *what, double ms)
{
  if (enabled)
    fprintf (stderr, "mcam-profile: %s %.1f ms\n", what, ms);
}

static gboolean
stall_tick (gpointer user_data)
{
  gint64 now = g_get_monotonic_time ();
  gint64 stall = now - last_tick - TICK_MS * 1000;

  if (stall > longest_stall_us)
    longest_stall_us = stall;
  last_tick = now;
  return G_SOURCE_CONTINUE;
}

void
mcam_profile_stall_begin (void)
{
  longest_stall_us = 0;
  last_tick = g_get_monotonic_time ();
  if (stall_source == 0)
    stall_source = g_timeout_add_full (G_PRIORITY_HIGH, TICK_MS, stall_tick, NULL, NULL);
}

double
mcam_profile_stall_peek (void)
{
  return longest_stall_us / 1000.0;
}

double
mcam_profile_stall_end (void)
{
  /* The gap up to now counts too. */
  stall_tick (NULL);
  g_clear_handle_id (&stall_source, g_source_remove);
  return longest_stall_us / 1000.0;
}
