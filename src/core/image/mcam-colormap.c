/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Colormaps for heat-map overlays: names and value → colour lookup. The
 * tables themselves are generated data (mcam-colormap-data.c). */

#include "config.h"

#include <math.h>
#include <string.h>

#include "mcam/mcam-map.h"

extern const guint8 _mcam_colormap_data[MCAM_N_COLORMAPS][256][3];

static const char *const colormap_names[MCAM_N_COLORMAPS] = {
  [MCAM_COLORMAP_TURBO] = "turbo",
  [MCAM_COLORMAP_JET] = "jet",
  [MCAM_COLORMAP_VIRIDIS] = "viridis",
  [MCAM_COLORMAP_INFERNO] = "inferno",
};

const char *
mcam_colormap_get_name (McamColormap cm)
{
  g_return_val_if_fail ((unsigned) cm < MCAM_N_COLORMAPS, NULL);
  return colormap_names[cm];
}

gboolean
mcam_colormap_from_name (const char *name, McamColormap *out)
{
  g_return_val_if_fail (name != NULL, FALSE);

  for (int i = 0; i < MCAM_N_COLORMAPS; i++)
    if (g_ascii_strcasecmp (name, colormap_names[i]) == 0)
      {
        if (out)
          *out = (McamColormap) i;
        return TRUE;
      }
  return FALSE;
}

void
mcam_colormap_lookup (McamColormap cm, float value, guint8 rgb[3])
{
  int i;

  g_return_if_fail ((unsigned) cm < MCAM_N_COLORMAPS);

  /* Entry i holds the colour of i / 255: take the nearest one. Out-of-range
   * values are clamped and NaN reads as 0, so a bad map never indexes out. */
  if (!(value > 0.0f))
    i = 0;
  else if (value >= 1.0f)
    i = 255;
  else
    i = (int) (value * 255.0f + 0.5f);
  memcpy (rgb, _mcam_colormap_data[cm][i], 3);
}
