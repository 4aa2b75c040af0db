/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The memory inspector's widgets: the bar chart draws N bars and marks n_ĉ
 * (checked on rendered pixels), the slot grid emits "slot-activated", the
 * health badge gives the right verdict for hand-made figures, and the
 * inspector data computes slot maps and value addresses as naive loops do. */
#include "config.h"

#include <math.h>
#include <string.h>
#include <gtk/gtk.h>

#include "mcam-test-util.h"
#include "mcam-app-test-util.h"
#include "mcam-bar-chart.h"
#include "mcam-slot-grid.h"
#include "mcam-health-badge.h"
#include "mcam-memory-inspector.h"

/* ---- helpers ---------------------------------------------------------- */

static GtkWidget *
show_in_window (GtkWidget *child, int width, int height)
{
  GtkWidget *window = gtk_window_new ();
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  gtk_window_set_default_size (GTK_WINDOW (window), width, height);
  gtk_window_set_child (GTK_WINDOW (window), child);
  gtk_window_present (GTK_WINDOW (window));
  while ((!gtk_widget_get_mapped (child) || gtk_widget_get_width (child) <= 0)
         && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  /* A few more frames so layout settles. */
  for (int i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_true (gtk_widget_get_mapped (child));
  return window;
}

static gboolean
is_rgb (guint32 px, guint8 r, guint8 g, guint8 b)
{
  /* Opaque bars: exact colours with a small tolerance for renderer rounding. */
  int dr = (int) ((px >> 16) & 0xff) - r, dg = (int) ((px >> 8) & 0xff) - g;
  int db = (int) (px & 0xff) - b;
  return ABS (dr) <= 3 && ABS (dg) <= 3 && ABS (db) <= 3;
}

typedef struct { guint8 r, g, b; } Rgb;
static const Rgb bar_rgb = { MCAM_BAR_CHART_BAR_RGB };
static const Rgb marked_rgb = { MCAM_BAR_CHART_MARKED_RGB };

/* Count runs of bar-coloured pixels along row y; the index of the run that
 * has the marked colour goes to *marked_run. */
static int
count_bar_runs (const guint32 *px, int width, int y, int *marked_run, int *n_marked_runs)
{
  int runs = 0, marked = 0;
  gboolean in_run = FALSE;
  int kind = 0, prev_kind = 0;

  *marked_run = -1;
  for (int x = 0; x < width; x++)
    {
      guint32 p = px[(gsize) y * width + x];
      kind = is_rgb (p, bar_rgb.r, bar_rgb.g, bar_rgb.b) ? 1
           : is_rgb (p, marked_rgb.r, marked_rgb.g, marked_rgb.b) ? 2 : 0;
      if (kind != 0 && (!in_run || kind != prev_kind))
        {
          if (kind == 2)
            {
              *marked_run = runs;
              marked++;
            }
          runs++;
        }
      in_run = kind != 0;
      prev_kind = kind;
    }
  *n_marked_runs = marked;
  return runs;
}

/* ---- bar chart -------------------------------------------------------- */

static void
check_bar_chart (int n, int marked, int width)
{
  GtkWidget *chart = mcam_bar_chart_new ();
  g_autofree float *values = g_new (float, n);
  g_autofree guint32 *px = NULL;
  GtkWidget *window;
  int w, h, runs, marked_run, n_marked_runs;

  /* Every bar reaches the bottom row; heights vary so nothing is degenerate. */
  for (int i = 0; i < n; i++)
    values[i] = 0.2f + 0.8f * (float) ((i * 7) % n) / n;
  mcam_bar_chart_set_values (MCAM_BAR_CHART (chart), values, n);
  mcam_bar_chart_set_marked (MCAM_BAR_CHART (chart), marked);
  gtk_widget_set_size_request (chart, width, 100);
  gtk_widget_set_halign (chart, GTK_ALIGN_START);
  gtk_widget_set_valign (chart, GTK_ALIGN_START);
  window = show_in_window (chart, width, 100);

  px = mcam_app_test_render_widget (chart, &w, &h);
  g_assert_cmpint (w, ==, gtk_widget_get_width (chart));
  /* Two rows above the bottom padding: inside every bar. */
  runs = count_bar_runs (px, w, h - 4 - 2, &marked_run, &n_marked_runs);
  g_test_message ("N = %d, width %d: %d bar runs, marked run %d", n, w, runs, marked_run);
  g_assert_cmpint (runs, ==, n);
  g_assert_cmpint (n_marked_runs, ==, 1);
  g_assert_cmpint (marked_run, ==, marked);

  /* The tooltip's index lookup agrees with the drawing: the marked bar's
   * middle column maps back to the marked index. */
  {
    int x_mid = -1, count = 0;
    for (int x = 0; x < w; x++)
      if (is_rgb (px[(gsize) (h - 6) * w + x], marked_rgb.r, marked_rgb.g, marked_rgb.b))
        {
          x_mid = x_mid < 0 ? x : x_mid;
          count++;
        }
    g_assert_cmpint (mcam_bar_chart_index_at (MCAM_BAR_CHART (chart), x_mid + count / 2.0),
                     ==, marked);
  }
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_bar_chart_marks_index (void)
{
  check_bar_chart (4, 2, 200);
  check_bar_chart (16, 5, 400);
  check_bar_chart (40, 16, 400);
}

static void
test_bar_chart_512 (void)
{
  GtkWidget *chart = mcam_bar_chart_new ();
  int min_w, nat_w;
  float v[512];

  for (int i = 0; i < 512; i++)
    v[i] = 1.0f / 512;
  mcam_bar_chart_set_values (MCAM_BAR_CHART (chart), v, 512);
  g_object_ref_sink (chart);
  gtk_widget_measure (chart, GTK_ORIENTATION_HORIZONTAL, -1, &min_w, &nat_w, NULL, NULL);
  /* One pixel column per slot at least: every slot stays visible. */
  g_assert_cmpint (min_w, >=, 512);
  g_object_unref (chart);

  /* At two pixels per slot each of the 512 bars is its own run. */
  check_bar_chart (512, 300, 2 * 512 + 8);
}

static void
test_bar_chart_negative (void)
{
  McamBarChart *chart = MCAM_BAR_CHART (g_object_ref_sink (mcam_bar_chart_new ()));
  float v[3] = { -0.5f, NAN, 1.0f };

  mcam_bar_chart_set_values (chart, v, 3);
  g_assert_cmpint (mcam_bar_chart_get_n_values (chart), ==, 3);
  g_assert_cmpfloat (mcam_bar_chart_get_value (chart, 0), ==, -0.5f);
  mcam_bar_chart_set_marked (chart, 7);
  mcam_bar_chart_set_values (chart, v, 2);
  g_assert_cmpint (mcam_bar_chart_get_marked (chart), ==, -1);
  g_object_unref (chart);
}

/* ---- slot grid -------------------------------------------------------- */

static void
on_slot_activated (McamSlotGrid *grid, int slot, int *out)
{
  *out = slot;
}

/* A click as GTK delivers it: the canvas's own click gesture, "pressed" at
 * a point; the grid finds the slot under it. */
static void
click_at (GtkWidget *canvas, double x, double y)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (canvas);
  gboolean clicked = FALSE;

  for (guint i = 0; i < g_list_model_get_n_items (controllers) && !clicked; i++)
    {
      g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);
      if (GTK_IS_GESTURE_CLICK (controller))
        {
          g_signal_emit_by_name (controller, "pressed", 1, x, y);
          clicked = TRUE;
        }
    }
  g_assert_true (clicked);
}

static void
click_slot (McamSlotGrid *grid, int slot)
{
  graphene_rect_t area;

  g_assert_true (mcam_slot_grid_get_slot_area (grid, slot, &area));
  click_at (mcam_slot_grid_get_canvas (grid), area.origin.x + area.size.width / 2,
            area.origin.y + area.size.height / 2);
}

static void
test_slot_grid_activate (void)
{
  GtkWidget *grid = mcam_slot_grid_new ();
  const char *names[] = { "Sneaker", "Ankle boot", "Bag", NULL };
  int n = 12, h = 3, w = 3, activated = -1;
  g_autofree float *maps = g_new (float, n * h * w);
  int slot_class[12];
  float peak[12];
  GtkWidget *window;
  graphene_rect_t area;

  for (int i = 0; i < n * h * w; i++)
    maps[i] = sinf ((float) i);
  for (int i = 0; i < n; i++)
    {
      slot_class[i] = i % 3;
      peak[i] = 0.5f;
    }
  mcam_slot_grid_set_slots (MCAM_SLOT_GRID (grid), n, h, w, maps, slot_class, peak, names, 3);
  mcam_slot_grid_set_chosen (MCAM_SLOT_GRID (grid), 4);
  g_signal_connect (grid, "slot-activated", G_CALLBACK (on_slot_activated), &activated);
  /* Room for 5 columns: slot 7 is row 1, column 2. */
  window = show_in_window (grid, 5 * MCAM_SLOT_GRID_CELL_WIDTH + 20, 300);
  g_assert_cmpint (mcam_slot_grid_get_n_slots (MCAM_SLOT_GRID (grid)), ==, 12);

  click_slot (MCAM_SLOT_GRID (grid), 7);
  g_assert_cmpint (activated, ==, 7);
  g_assert_cmpint (mcam_slot_grid_get_selected (MCAM_SLOT_GRID (grid)), ==, 7);
  /* The layout is a grid: the cell of slot 7 is where rows of equal width put it. */
  g_assert_true (mcam_slot_grid_get_slot_area (MCAM_SLOT_GRID (grid), 7, &area));
  {
    int cols = gtk_widget_get_width (mcam_slot_grid_get_canvas (MCAM_SLOT_GRID (grid)))
               / MCAM_SLOT_GRID_CELL_WIDTH;
    g_assert_cmpfloat (area.origin.x, ==, (7 % cols) * MCAM_SLOT_GRID_CELL_WIDTH);
    g_assert_cmpfloat (area.origin.y, ==, (7 / cols) * MCAM_SLOT_GRID_CELL_HEIGHT);
  }
  /* A click past the last slot activates nothing. */
  activated = -1;
  click_at (mcam_slot_grid_get_canvas (MCAM_SLOT_GRID (grid)), 1, 10 * MCAM_SLOT_GRID_CELL_HEIGHT);
  g_assert_cmpint (activated, ==, -1);

  /* Keyboard: Right moves the selection from 7 to 8, Return shows it. */
  {
    g_autoptr(GListModel) controllers =
      gtk_widget_observe_controllers (mcam_slot_grid_get_canvas (MCAM_SLOT_GRID (grid)));
    gboolean handled = FALSE;
    for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
      {
        g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);
        if (GTK_IS_EVENT_CONTROLLER_KEY (controller))
          {
            g_signal_emit_by_name (controller, "key-pressed", GDK_KEY_Right, 0, 0, &handled);
            g_assert_true (handled);
            g_assert_cmpint (mcam_slot_grid_get_selected (MCAM_SLOT_GRID (grid)), ==, 8);
            g_assert_cmpint (activated, ==, -1);
            g_signal_emit_by_name (controller, "key-pressed", GDK_KEY_Return, 0, 0, &handled);
            g_assert_cmpint (activated, ==, 8);
          }
      }
    g_assert_true (handled);
  }

  mcam_slot_grid_activate_slot (MCAM_SLOT_GRID (grid), 2);
  g_assert_cmpint (activated, ==, 2);
  g_assert_cmpint (mcam_slot_grid_get_chosen (MCAM_SLOT_GRID (grid)), ==, 4);

  /* 512 slots: the last one is reachable, scrolled into view when selected. */
  {
    g_autofree float *big = g_new0 (float, 512 * 49);
    mcam_slot_grid_set_slots (MCAM_SLOT_GRID (grid), 512, 7, 7, big, NULL, NULL, NULL, 0);
    for (int i = 0; i < 20; i++)
      g_main_context_iteration (NULL, FALSE);
    g_assert_cmpint (mcam_slot_grid_get_n_slots (MCAM_SLOT_GRID (grid)), ==, 512);
    click_slot (MCAM_SLOT_GRID (grid), 511);
    g_assert_cmpint (activated, ==, 511);
    g_assert_cmpint (mcam_slot_grid_get_selected (MCAM_SLOT_GRID (grid)), ==, 511);
  }
  gtk_window_destroy (GTK_WINDOW (window));
}

/* ---- heat map ------------------------------------------------------- */

static void
on_cell_activated (McamHeatmap *heatmap, int row, int col, int *out)
{
  out[0] = row;
  out[1] = col;
}

static void
test_heatmap_cells (void)
{
  GtkWidget *heatmap = mcam_heatmap_new ();
  const char *names[] = { "Sneaker", "Ankle boot", "Bag", NULL };
  float values[3 * 5];
  int got[2] = { -1, -1 }, row = -1, col = -1;
  GtkWidget *window;
  double left = -1, right = -1, top = -1, bottom = -1;

  for (int i = 0; i < 15; i++)
    values[i] = i / 14.0f;
  mcam_heatmap_set_data (MCAM_HEATMAP (heatmap), 3, 5, values, names);
  mcam_heatmap_set_marked (MCAM_HEATMAP (heatmap), 1, 3);
  g_signal_connect (heatmap, "cell-activated", G_CALLBACK (on_cell_activated), got);
  gtk_widget_set_halign (heatmap, GTK_ALIGN_START);
  gtk_widget_set_valign (heatmap, GTK_ALIGN_START);
  gtk_widget_set_size_request (heatmap, 400, -1);
  window = show_in_window (heatmap, 400, 200);

  /* The cell area: find its corners by probing, then the middle of cell
   * (row 2, column 4) must map back to it. */
  for (double x = 0; x < gtk_widget_get_width (heatmap); x += 1)
    if (mcam_heatmap_cell_at (MCAM_HEATMAP (heatmap), x, 30, NULL, NULL))
      {
        if (left < 0)
          left = x;
        right = x;
      }
  for (double y = 0; y < gtk_widget_get_height (heatmap); y += 1)
    if (mcam_heatmap_cell_at (MCAM_HEATMAP (heatmap), left + 1, y, NULL, NULL))
      {
        if (top < 0)
          top = y;
        bottom = y;
      }
  g_assert_cmpfloat (left, >, 0);   /* the class names come first */
  g_assert_true (mcam_heatmap_cell_at (MCAM_HEATMAP (heatmap),
                                       left + (right - left) * 0.9, top + (bottom - top) * 0.9,
                                       &row, &col));
  g_assert_cmpint (row, ==, 2);
  g_assert_cmpint (col, ==, 4);
  g_assert_false (mcam_heatmap_cell_at (MCAM_HEATMAP (heatmap), left - 2, top + 2, NULL, NULL));

  /* A click on (row 0, column 1). */
  {
    g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (heatmap);
    for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
      {
        g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);
        if (GTK_IS_GESTURE_CLICK (controller))
          g_signal_emit_by_name (controller, "pressed", 1,
                                 left + (right - left) * 0.3, top + (bottom - top) * 0.1);
      }
  }
  g_assert_cmpint (got[0], ==, 0);
  g_assert_cmpint (got[1], ==, 1);
  gtk_window_destroy (GTK_WINDOW (window));
}

/* ---- health badge ----------------------------------------------------- */

static McamHealth
healthy_figures (void)
{
  McamHealth h = { 0 };

  h.n_images = 100;
  h.reliance = 0.12;
  h.reliance_max = 0.4;
  h.map_score = 0.8;
  h.map_drop = 0.3;
  h.mean_max_p = 0.7;
  h.entropy_p = 0.3;
  h.entropy_p_s = 0.4;
  h.entropy_p_value = 0.2;
  h.n_classes = 10;
  h.n_slots = 10;
  h.distinct_slots = 10;
  h.unused_slots = 0;
  h.mcam_sum_r = 0.6;
  h.mcam_between_r = 0.5;
  h.profile_sum_r = 0.4;
  h.profile_between_r = 0.3;
  return h;
}

static void
test_health_badge_verdicts (void)
{
  McamHealthBadge *badge = MCAM_HEALTH_BADGE (g_object_ref_sink (mcam_health_badge_new ()));
  McamHealth h = healthy_figures ();
  g_autofree char *details = NULL;

  mcam_health_badge_set_health (badge, NULL, NAN);
  g_assert_cmpint (mcam_health_badge_get_level (badge), ==, MCAM_HEALTH_LEVEL_UNKNOWN);

  mcam_health_badge_set_health (badge, &h, 0.3);
  g_assert_cmpint (mcam_health_badge_get_level (badge), ==, MCAM_HEALTH_LEVEL_GOOD);
  g_assert_cmpstr (mcam_health_badge_get_verdict (badge), ==, "The memory looks healthy");

  /* The classifier ignores v: replacing it by its mean changes scores by 0.1%. */
  h.reliance = 0.001;
  h.reliance_max = 0.004;
  h.map_drop = 0.0;
  mcam_health_badge_set_health (badge, &h, 0.3);
  g_assert_cmpint (mcam_health_badge_get_level (badge), ==, MCAM_HEALTH_LEVEL_BAD);
  g_assert_cmpstr (mcam_health_badge_get_verdict (badge), ==,
                   "The classifier does not use the memory");
  details = mcam_health_badge_dup_details (badge);
  g_assert_nonnull (strstr (details, "0.0010"));
  g_assert_nonnull (strstr (details, "0.0040"));

  /* The map shown equals the channel sum. */
  h = healthy_figures ();
  mcam_health_badge_set_health (badge, &h, 0.991);
  g_assert_cmpint (mcam_health_badge_get_level (badge), ==, MCAM_HEALTH_LEVEL_BAD);
  g_assert_cmpstr (mcam_health_badge_get_verdict (badge), ==,
                   "This map does not depend on the class (r = 0.99 with the channel sum)");

  /* Every class on one slot. */
  h.distinct_slots = 1;
  h.unused_slots = 9;
  mcam_health_badge_set_health (badge, &h, 0.5);
  g_assert_cmpint (mcam_health_badge_get_level (badge), ==, MCAM_HEALTH_LEVEL_BAD);
  g_assert_cmpstr (mcam_health_badge_get_verdict (badge), ==,
                   "The memory has collapsed: all 10 classes share one slot");

  /* 3 slots for 10 classes: a warning, not a collapse. */
  h.distinct_slots = 3;
  mcam_health_badge_set_health (badge, &h, NAN);
  g_assert_cmpint (mcam_health_badge_get_level (badge), ==, MCAM_HEALTH_LEVEL_WARNING);
  g_assert_cmpstr (mcam_health_badge_get_verdict (badge), ==,
                   "Only 3 slots serve 10 classes: classes share slots");

  /* Near-uniform key addresses, then value addresses. */
  h = healthy_figures ();
  h.entropy_p = 0.99;
  mcam_health_badge_set_health (badge, &h, NAN);
  g_assert_cmpint (mcam_health_badge_get_level (badge), ==, MCAM_HEALTH_LEVEL_BAD);
  g_assert_cmpstr (mcam_health_badge_get_verdict (badge), ==,
                   "The memory reads every slot almost alike (addresses near uniform)");
  h.entropy_p = 0.3;
  h.entropy_p_value = 0.97;
  mcam_health_badge_set_health (badge, &h, NAN);
  g_assert_cmpstr (mcam_health_badge_get_verdict (badge), ==,
                   "No slot stands for a class (value addresses near uniform)");

  /* The paper's maps are class-agnostic over the set, the shown map unknown. */
  h = healthy_figures ();
  h.mcam_sum_r = 0.99;
  mcam_health_badge_set_health (badge, &h, NAN);
  g_assert_cmpint (mcam_health_badge_get_level (badge), ==, MCAM_HEALTH_LEVEL_WARNING);
  /* ... and the shown map (say mcam-profile) is not: the map's own r wins. */
  mcam_health_badge_set_health (badge, &h, 0.4);
  g_assert_cmpint (mcam_health_badge_get_level (badge), ==, MCAM_HEALTH_LEVEL_GOOD);

  /* The badge and the core agree on which problem comes first. */
  {
    g_autofree char *core = NULL;
    h = healthy_figures ();
    h.reliance_max = 0.002;
    h.distinct_slots = 1;
    core = mcam_health_verdict (&h, 0.99);
    g_assert_nonnull (strstr (core, "does not use the memory"));
    mcam_health_badge_set_health (badge, &h, 0.99);
    g_assert_cmpstr (mcam_health_badge_get_verdict (badge), ==,
                     "The classifier does not use the memory");
    h.reliance_max = 0.3;
    g_free (core);
    core = mcam_health_verdict (&h, 0.99);
    g_assert_nonnull (strstr (core, "same slot"));
    mcam_health_badge_set_health (badge, &h, 0.99);
    g_assert_cmpstr (mcam_health_badge_get_verdict (badge), ==,
                     "The memory has collapsed: all 10 classes share one slot");
  }

  /* Unknown figures (NAN, -1) never read as a problem. */
  h = healthy_figures ();
  h.reliance = NAN;
  h.reliance_max = NAN;
  h.distinct_slots = -1;
  h.entropy_p = NAN;
  h.mcam_sum_r = NAN;
  mcam_health_badge_set_health (badge, &h, NAN);
  g_assert_cmpint (mcam_health_badge_get_level (badge), ==, MCAM_HEALTH_LEVEL_GOOD);
  g_object_unref (badge);
}

/* ---- inspector data and the inspector -------------------------------- */

static McamMemory *
make_memory (int N, int c, int h, int w, int C)
{
  McamMemory *m = g_new0 (McamMemory, 1);
  gsize hw = (gsize) h * w;

  m->n_slots = N;
  m->c = c;
  m->h = h;
  m->w = w;
  m->n_classes = C;
  m->scale = 10.0f;
  m->S = g_new (float, N * c * hw);
  m->K = g_new (float, N * c);
  m->V = g_new (float, N * c);
  m->G0_w = g_new (float, c * C);
  m->G0_b = g_new (float, c);
  m->G2_w = g_new (float, c * c);
  m->G2_b = g_new (float, c);
  for (gsize i = 0; i < N * c * hw; i++)
    m->S[i] = sinf (0.37f * i + 1.0f);
  for (int i = 0; i < N * c; i++)
    m->V[i] = cosf (0.91f * i);
  for (int i = 0; i < c * C; i++)
    m->G0_w[i] = sinf (1.3f * i);
  for (int i = 0; i < c; i++)
    m->G0_b[i] = 0.1f * (i % 3) - 0.1f;
  for (int i = 0; i < c * c; i++)
    m->G2_w[i] = cosf (0.53f * i + 0.2f);
  for (int i = 0; i < c; i++)
    m->G2_b[i] = 0.05f * i;
  return m;
}

static void
free_memory (McamMemory *m)
{
  g_free (m->S);
  g_free (m->K);
  g_free (m->V);
  g_free (m->G0_w);
  g_free (m->G0_b);
  g_free (m->G2_w);
  g_free (m->G2_b);
  g_free (m);
}

static void
test_inspector_data_math (void)
{
  int N = 5, c = 4, h = 2, w = 3, C = 3;
  McamMemory *m = make_memory (N, c, h, w, C);
  float f[4 * 2 * 3], maps[5 * 6], va[3 * 5];

  for (int i = 0; i < c * h * w; i++)
    f[i] = cosf (0.7f * i);
  /* Slot 2's pattern is f itself: its map is 1 everywhere. */
  memcpy (m->S + 2 * c * h * w, f, sizeof f);
  mcam_inspector_slot_maps (m, f, maps);
  for (int pos = 0; pos < h * w; pos++)
    g_assert_cmpfloat_with_epsilon (maps[2 * h * w + pos], 1.0f, 1e-5f);
  /* Slot 0 at position (1, 2) against a naive loop. */
  {
    double dot = 0, na = 0, nb = 0;
    int pos = 1 * w + 2;
    for (int k = 0; k < c; k++)
      {
        double a = f[k * h * w + pos], b = m->S[k * h * w + pos];
        dot += a * b;
        na += a * a;
        nb += b * b;
      }
    g_assert_cmpfloat_with_epsilon (maps[pos], dot / (sqrt (na) * sqrt (nb)), 1e-5);
  }

  /* p'(G(e_c)): a distribution per class, and against a naive Eq. (1). */
  {
    g_autofree float *matrix = mcam_memory_class_slot_matrix (m);

    memcpy (va, matrix, sizeof (float) * C * N);
  }
  for (int cls = 0; cls < C; cls++)
    {
      double sum = 0, hidden[4], g[4], logits[5], mx = -INFINITY, z = 0;
      for (int i = 0; i < N; i++)
        sum += va[cls * N + i];
      g_assert_cmpfloat_with_epsilon (sum, 1.0, 1e-5);
      for (int k = 0; k < c; k++)
        hidden[k] = fmax (0.0, m->G0_w[k * C + cls] + m->G0_b[k]);
      for (int k = 0; k < c; k++)
        {
          g[k] = m->G2_b[k];
          for (int j = 0; j < c; j++)
            g[k] += m->G2_w[k * c + j] * hidden[j];
        }
      for (int i = 0; i < N; i++)
        {
          double dot = 0, na = 0, nb = 0;
          for (int k = 0; k < c; k++)
            {
              dot += g[k] * m->V[i * c + k];
              na += g[k] * g[k];
              nb += (double) m->V[i * c + k] * m->V[i * c + k];
            }
          logits[i] = m->scale * dot / (sqrt (na) * sqrt (nb));
          mx = fmax (mx, logits[i]);
        }
      for (int i = 0; i < N; i++)
        z += exp (logits[i] - mx);
      for (int i = 0; i < N; i++)
        g_assert_cmpfloat_with_epsilon (va[cls * N + i], exp (logits[i] - mx) / z, 1e-5);
    }
  free_memory (m);
}

static void
on_inspector_slot (McamMemoryInspector *inspector, int slot, int *out)
{
  *out = slot;
}

static void
test_inspector_shows_data (void)
{
  GtkWidget *inspector = mcam_memory_inspector_new ();
  g_autoptr(McamInspectorData) d = mcam_inspector_data_new (8, 2, 2, 2);
  const char *names[] = { "Sneaker", "Ankle boot", NULL };
  int slot_class[8];
  float slot_peak[8];
  McamHealth h = healthy_figures ();
  GtkWidget *window;
  int activated = -1;

  d->class_index = 1;
  d->chosen_slot = 3;
  d->class_names = g_strdupv ((char **) names);
  d->p = g_new (float, 8);
  d->delta = g_new (float, 8);
  d->slot_maps = g_new0 (float, 8 * 4);
  d->value_addresses = g_new (float, 2 * 8);
  for (int i = 0; i < 8; i++)
    {
      d->p[i] = 1.0f / 8;
      d->delta[i] = i == 3 ? 2.0f : -0.1f;
      /* slot i belongs to class i % 2, with peak 0.5 + i/100 */
      d->value_addresses[0 * 8 + i] = i % 2 == 0 ? 0.5f + i / 100.0f : 0.01f;
      d->value_addresses[1 * 8 + i] = i % 2 == 1 ? 0.5f + i / 100.0f : 0.01f;
    }
  h.reliance = 0.0;
  h.reliance_max = 0.0;
  mcam_inspector_data_set_health (d, &h, NAN);

  g_assert_true (mcam_inspector_data_slot_classes (d, slot_class, slot_peak));
  g_assert_cmpint (slot_class[3], ==, 1);
  g_assert_cmpint (slot_class[4], ==, 0);
  g_assert_cmpfloat_with_epsilon (slot_peak[5], 0.55f, 1e-6f);

  mcam_memory_inspector_set_data (MCAM_MEMORY_INSPECTOR (inspector), d);
  window = show_in_window (inspector, 900, 300);
  g_signal_connect (inspector, "slot-activated", G_CALLBACK (on_inspector_slot), &activated);

  g_assert_cmpint (mcam_bar_chart_get_marked (mcam_memory_inspector_get_chart (MCAM_MEMORY_INSPECTOR (inspector), MCAM_INSPECTOR_CHART_P)), ==, 3);
  g_assert_cmpint (mcam_bar_chart_get_n_values (mcam_memory_inspector_get_chart (MCAM_MEMORY_INSPECTOR (inspector), MCAM_INSPECTOR_CHART_DELTA)), ==, 8);
  /* p_s unknown: an empty chart, not a crash. */
  g_assert_cmpint (mcam_bar_chart_get_n_values (mcam_memory_inspector_get_chart (MCAM_MEMORY_INSPECTOR (inspector), MCAM_INSPECTOR_CHART_P_S)), ==, 0);
  g_assert_cmpint (mcam_slot_grid_get_chosen (mcam_memory_inspector_get_slot_grid (MCAM_MEMORY_INSPECTOR (inspector))), ==, 3);
  g_assert_cmpint (mcam_health_badge_get_level (mcam_memory_inspector_get_health_badge (MCAM_MEMORY_INSPECTOR (inspector))), ==, MCAM_HEALTH_LEVEL_BAD);

  /* A click on a slot anywhere in the inspector reaches the window. */
  g_signal_emit_by_name (mcam_memory_inspector_get_chart (MCAM_MEMORY_INSPECTOR (inspector), MCAM_INSPECTOR_CHART_DELTA), "bar-activated", 6);
  g_assert_cmpint (activated, ==, 6);
  g_assert_cmpint (mcam_slot_grid_get_selected (mcam_memory_inspector_get_slot_grid (MCAM_MEMORY_INSPECTOR (inspector))), ==, 6);
  mcam_slot_grid_activate_slot (mcam_memory_inspector_get_slot_grid (MCAM_MEMORY_INSPECTOR (inspector)), 1);
  g_assert_cmpint (activated, ==, 1);

  mcam_memory_inspector_set_data (MCAM_MEMORY_INSPECTOR (inspector), NULL);
  g_assert_null (mcam_memory_inspector_get_data (MCAM_MEMORY_INSPECTOR (inspector)));
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int argc, char **argv)
{
  mcam_app_test_init (&argc, &argv);

  g_test_add_func ("/mcam/app/bar-chart/marks-index", test_bar_chart_marks_index);
  g_test_add_func ("/mcam/app/bar-chart/512-slots", test_bar_chart_512);
  g_test_add_func ("/mcam/app/bar-chart/negative-and-nan", test_bar_chart_negative);
  g_test_add_func ("/mcam/app/slot-grid/activate", test_slot_grid_activate);
  g_test_add_func ("/mcam/app/heatmap/cells", test_heatmap_cells);
  g_test_add_func ("/mcam/app/health-badge/verdicts", test_health_badge_verdicts);
  g_test_add_func ("/mcam/app/inspector/data-math", test_inspector_data_math);
  g_test_add_func ("/mcam/app/inspector/shows-data", test_inspector_shows_data);
  return g_test_run ();
}
