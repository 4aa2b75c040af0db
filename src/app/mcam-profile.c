/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Timing instrumentation for docs/BENCHMARKS.md; see mcam-profile.h. */

#define G_LOG_DOMAIN "mcam-profile"

#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcam-profile.h"

#define TICK_MS 5

static gint64   start_time;
static gboolean enabled;
static guint    stall_source;
static gint64   last_tick;
static gint64   longest_stall_us;
static GHashTable *samples;   /* name -> GArray of double; main thread only */

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
  GArray *values;

  if (samples == NULL)
    samples = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                     (GDestroyNotify) g_array_unref);
  values = g_hash_table_lookup (samples, what);
  if (values == NULL)
    {
      values = g_array_new (FALSE, FALSE, sizeof (double));
      g_hash_table_insert (samples, g_strdup (what), values);
    }
  g_array_append_val (values, ms);
  if (enabled)
    fprintf (stderr, "mcam-profile: %s %.1f ms\n", what, ms);
}

static int
compare_doubles (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static double
median_of (GArray *values)
{
  g_autoptr(GArray) sorted = g_array_copy (values);
  guint n = sorted->len;

  g_array_sort (sorted, compare_doubles);
  return n % 2 ? g_array_index (sorted, double, n / 2)
               : (g_array_index (sorted, double, n / 2 - 1) +
                  g_array_index (sorted, double, n / 2)) / 2;
}

double
mcam_profile_get_median (const char *what, guint *n_out)
{
  GArray *values = samples ? g_hash_table_lookup (samples, what) : NULL;

  if (n_out != NULL)
    *n_out = values ? values->len : 0;
  return values != NULL && values->len > 0 ? median_of (values) : NAN;
}

static int
compare_names (const void *a, const void *b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

void
mcam_profile_print_summary (void)
{
  g_autofree gpointer *keys = NULL;
  guint n_keys = 0;

  if (samples == NULL)
    return;
  keys = g_hash_table_get_keys_as_array (samples, &n_keys);
  qsort (keys, n_keys, sizeof (gpointer), compare_names);
  for (guint i = 0; i < n_keys; i++)
    {
      GArray *values = g_hash_table_lookup (samples, keys[i]);
      double lo = INFINITY, hi = -INFINITY;

      for (guint k = 0; k < values->len; k++)
        {
          lo = MIN (lo, g_array_index (values, double, k));
          hi = MAX (hi, g_array_index (values, double, k));
        }
      fprintf (stderr, "mcam-profile summary: %-28s n = %3u  median %7.1f ms  min %7.1f  max %7.1f\n",
               (const char *) keys[i], values->len, median_of (values), lo, hi);
    }
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
