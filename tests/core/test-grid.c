/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The compare grid: size, where each tile lands, that tiles are copied pixel
 * for pixel at their own size and scaled to fit otherwise, labels drawn
 * inside their band, bad sizes refused. */

#include <string.h>

#include "mcam/mcam-error.h"
#include "mcam/mcam-map.h"
#include "mcam-test-util.h"

static guint32
pixel_at (cairo_surface_t *s, int x, int y)
{
  const guint8 *row = cairo_image_surface_get_data (s)
                      + (gsize) y * cairo_image_surface_get_stride (s);
  guint32 px;

  memcpy (&px, row + x * 4, 4);
  return px & 0xffffffu;
}

/* A w x h tile of one colour. */
static cairo_surface_t *
solid (int w, int h, double r, double g, double b)
{
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_RGB24, w, h);
  cairo_t *cr = cairo_create (s);

  cairo_set_source_rgb (cr, r, g, b);
  cairo_paint (cr);
  cairo_destroy (cr);
  cairo_surface_flush (s);
  return s;
}

/* Count of non-white pixels in a rectangle. */
static int
count_ink (cairo_surface_t *s, int x0, int y0, int w, int h)
{
  int n = 0;

  for (int y = y0; y < y0 + h; y++)
    for (int x = x0; x < x0 + w; x++)
      if (pixel_at (s, x, y) != 0xffffffu)
        n++;
  return n;
}

/* 5 tiles in 3 columns: 2 rows; the size follows the documented formula. */
static void
test_grid_layout (void)
{
  int cols, w, h, x, y;

  mcam_grid_get_layout (5, 3, 100, 80, FALSE, &cols, &w, &h);
  g_assert_cmpint (cols, ==, 3);
  g_assert_cmpint (w, ==, 3 * (100 + MCAM_GRID_GAP) + MCAM_GRID_GAP);
  g_assert_cmpint (h, ==, 2 * (80 + MCAM_GRID_LABEL_HEIGHT + MCAM_GRID_GAP) + MCAM_GRID_GAP);

  /* columns <= 0: ceil(sqrt(n)) */
  mcam_grid_get_layout (10, 0, 10, 10, FALSE, &cols, NULL, NULL);
  g_assert_cmpint (cols, ==, 4);
  mcam_grid_get_layout (9, 0, 10, 10, FALSE, &cols, NULL, NULL);
  g_assert_cmpint (cols, ==, 3);
  mcam_grid_get_layout (1, 0, 10, 10, FALSE, &cols, NULL, NULL);
  g_assert_cmpint (cols, ==, 1);

  /* the title adds one label band on top */
  mcam_grid_get_layout (5, 3, 100, 80, TRUE, NULL, NULL, &h);
  g_assert_cmpint (h, ==, MCAM_GRID_LABEL_HEIGHT
                          + 2 * (80 + MCAM_GRID_LABEL_HEIGHT + MCAM_GRID_GAP) + MCAM_GRID_GAP);

  mcam_grid_get_tile_origin (4, 3, 100, 80, FALSE, &x, &y);
  g_assert_cmpint (x, ==, MCAM_GRID_GAP + 1 * (100 + MCAM_GRID_GAP));
  g_assert_cmpint (y, ==, MCAM_GRID_GAP + 1 * (80 + MCAM_GRID_LABEL_HEIGHT + MCAM_GRID_GAP));
  mcam_grid_get_tile_origin (0, 3, 100, 80, TRUE, &x, &y);
  g_assert_cmpint (x, ==, MCAM_GRID_GAP);
  g_assert_cmpint (y, ==, MCAM_GRID_LABEL_HEIGHT + MCAM_GRID_GAP);
}

/* Tiles at the tile size are copied exactly: every pixel of tile i has its
 * colour, the gaps between them stay white, and the labels put ink only in
 * their own band. */
static void
test_grid_placement (void)
{
  const double colours[5][3] = {
    { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 }, { 0, 0, 0 }, { 1, 1, 0 },
  };
  const guint32 expect[5] = { 0xff0000, 0x00ff00, 0x0000ff, 0x000000, 0xffff00 };
  const char *labels[5] = { "CAM", "Grad-CAM", "Grad-CAM++", NULL, "Score-CAM" };
  cairo_surface_t *surfaces[5];
  McamGridTile tiles[5];
  g_autoptr(GError) error = NULL;
  cairo_surface_t *grid;
  int w, h;

  for (int i = 0; i < 5; i++)
    {
      surfaces[i] = solid (40, 30, colours[i][0], colours[i][1], colours[i][2]);
      tiles[i].surface = surfaces[i];
      tiles[i].label = labels[i];
    }
  grid = mcam_grid_compose (tiles, 5, 3, 40, 30, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (grid);
  g_assert_cmpint (cairo_image_surface_get_format (grid), ==, CAIRO_FORMAT_RGB24);
  mcam_grid_get_layout (5, 3, 40, 30, FALSE, NULL, &w, &h);
  g_assert_cmpint (cairo_image_surface_get_width (grid), ==, w);
  g_assert_cmpint (cairo_image_surface_get_height (grid), ==, h);

  for (int i = 0; i < 5; i++)
    {
      int x0, y0;

      mcam_grid_get_tile_origin (i, 3, 40, 30, FALSE, &x0, &y0);
      for (int y = y0; y < y0 + 30; y++)
        for (int x = x0; x < x0 + 40; x++)
          g_assert_cmphex (pixel_at (grid, x, y), ==, expect[i]);
      /* one pixel outside the tile: white gap */
      g_assert_cmphex (pixel_at (grid, x0 - 1, y0), ==, 0xffffff);
      g_assert_cmphex (pixel_at (grid, x0 + 40, y0 + 29), ==, 0xffffff);
      g_assert_cmphex (pixel_at (grid, x0, y0 - 1), ==, 0xffffff);
      /* the label band: ink exactly when there is a label */
      if (labels[i] != NULL)
        g_assert_cmpint (count_ink (grid, x0, y0 + 30, 40, MCAM_GRID_LABEL_HEIGHT), >, 0);
      else
        g_assert_cmpint (count_ink (grid, x0, y0 + 30, 40, MCAM_GRID_LABEL_HEIGHT), ==, 0);
    }
  /* the sixth cell of the 3 x 2 grid is empty */
  {
    int x0, y0;

    mcam_grid_get_tile_origin (5, 3, 40, 30, FALSE, &x0, &y0);
    g_assert_cmpint (count_ink (grid, x0, y0, 40, 30 + MCAM_GRID_LABEL_HEIGHT), ==, 0);
  }
  /* and the gaps between tiles carry no ink at all (labels stay in their cell) */
  for (int c = 0; c <= 3; c++)
    g_assert_cmpint (count_ink (grid, c * (40 + MCAM_GRID_GAP), 0, MCAM_GRID_GAP, h), ==, 0);

  cairo_surface_destroy (grid);
  for (int i = 0; i < 5; i++)
    cairo_surface_destroy (surfaces[i]);
}

/* A tile of another size is scaled to fit, aspect kept, centred: a 100 x 20
 * red surface in a 50 x 50 tile covers 50 x 10 in the middle. A long label is
 * shortened to its cell. A title puts ink above the first row. */
static void
test_grid_scale_and_title (void)
{
  cairo_surface_t *wide = solid (100, 20, 1, 0, 0);
  McamGridTile tile = {
    wide, "A very long class name that cannot fit in fifty pixels at all"
  };
  g_autoptr(GError) error = NULL;
  cairo_surface_t *grid;
  int x0, y0, red = 0;

  grid = mcam_grid_compose (&tile, 1, 0, 50, 50, "image.png — all methods", &error);
  g_assert_no_error (error);
  mcam_grid_get_tile_origin (0, 1, 50, 50, TRUE, &x0, &y0);
  for (int y = y0; y < y0 + 50; y++)
    for (int x = x0; x < x0 + 50; x++)
      if (pixel_at (grid, x, y) == 0xff0000)
        {
          red++;
          g_assert_cmpint (y, >=, y0 + 20);
          g_assert_cmpint (y, <, y0 + 30);
        }
  g_assert_cmpint (red, ==, 50 * 10);
  /* the title's band */
  g_assert_cmpint (count_ink (grid, 0, 0, cairo_image_surface_get_width (grid),
                              MCAM_GRID_LABEL_HEIGHT), >, 0);
  /* the shortened label stays in the cell: the right-hand gap has no ink */
  g_assert_cmpint (count_ink (grid, x0 + 50, y0 + 50, MCAM_GRID_GAP, MCAM_GRID_LABEL_HEIGHT),
                   ==, 0);
  cairo_surface_destroy (grid);
  cairo_surface_destroy (wide);
}

/* Empty grids and impossible sizes are usage errors, not crashes. A NULL
 * surface is an empty tile. */
static void
test_grid_errors (void)
{
  McamGridTile tile = { NULL, "empty" };
  g_autoptr(GError) error = NULL;
  cairo_surface_t *grid;

  grid = mcam_grid_compose (&tile, 0, 0, 10, 10, NULL, &error);
  g_assert_null (grid);
  g_assert_error (error, MCAM_ERROR, MCAM_ERROR_USAGE);
  g_clear_error (&error);

  grid = mcam_grid_compose (&tile, 1, 0, 0, 10, NULL, &error);
  g_assert_null (grid);
  g_assert_error (error, MCAM_ERROR, MCAM_ERROR_USAGE);
  g_clear_error (&error);

  grid = mcam_grid_compose (&tile, 1, 200, 1000, 10, NULL, &error);
  g_assert_null (grid);
  g_assert_error (error, MCAM_ERROR, MCAM_ERROR_USAGE);
  g_assert_nonnull (strstr (error->message, "limit"));
  g_clear_error (&error);

  grid = mcam_grid_compose (&tile, 1, 0, 10, 10, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (count_ink (grid, MCAM_GRID_GAP, MCAM_GRID_GAP, 10, 10), ==, 0);
  cairo_surface_destroy (grid);
}

int
main (int argc, char **argv)
{
  mcam_test_init (&argc, &argv);
  g_test_add_func ("/mcam/grid/layout", test_grid_layout);
  g_test_add_func ("/mcam/grid/placement", test_grid_placement);
  g_test_add_func ("/mcam/grid/scale-and-title", test_grid_scale_and_title);
  g_test_add_func ("/mcam/grid/errors", test_grid_errors);
  return g_test_run ();
}
