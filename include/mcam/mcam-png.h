/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Overlays a user can share: a PNG that says what it shows (text chunks with
 * the model, its fingerprint, the method, class, slot, layer, score and the
 * program version), optionally enlarged and with a caption and a colour bar.
 * Written by the app's export and by `mcam explain --out` alike. */

#include <cairo.h>
#include <glib.h>

#include "mcam-cam.h"
#include "mcam-map.h"

G_BEGIN_DECLS

/* What an exported overlay shows. Strings may be NULL (left out). */
typedef struct
{
  const char *image;             /* the input image's path */
  const char *model;             /* the backbone file */
  const char *fingerprint;       /* McamNetInfo.fingerprint */
  const char *memory;            /* the memory module's file, NULL: none or in the model */
  McamMethod  method;
  const char *class_name;
  int         class_index;
  int         slot;              /* 0-based, -1: the method has no slot */
  gboolean    slot_by_user;      /* TRUE: the user imposed it; FALSE: Algorithm 1 chose it */
  const char *layer;             /* the layer the map is read at */
  double      score;             /* the target network's score of the class; NAN: unknown */
  const char *software;          /* "M-CAM Explorer 0.1.0", "mcam 0.1.0" */
} McamProvenance;

void mcam_provenance_init (McamProvenance *p);   /* all empty, slot -1, score NAN */

/* The text chunks for p: parallel NULL-terminated arrays of keys (ASCII,
 * "Software", "Source", "Description", then "mcam:…") and UTF-8 values.
 * Free both with g_strfreev. */
void mcam_provenance_to_text (const McamProvenance *p, char ***keys, char ***values);

/* The human line a caption shows: "bag.png · M-CAM (paper) · Bag · slot 8
 * (Algorithm 1) · score 0.93". g_free it. */
char *mcam_provenance_caption (const McamProvenance *p);

/* How an overlay is laid out for export. */
typedef struct
{
  int          min_width;     /* enlarge (nearest pixel) to at least this width; 0: as is */
  gboolean     colorbar;      /* a colour bar 0..1 at the right */
  McamColormap colormap;      /* of the colour bar */
  const char  *caption;       /* a line under the picture, or NULL */
} McamExportLayout;

void             mcam_export_layout_init (McamExportLayout *layout);  /* as is, nothing added */

/* A new RGB24 surface: `overlay` enlarged by a whole factor until it is at
 * least min_width wide, with the colour bar and the caption around it. */
cairo_surface_t *mcam_export_decorate    (cairo_surface_t *overlay,
                                          const McamExportLayout *layout);

/* Writes `surface` as PNG with the text chunks (keys/values may be NULL),
 * atomically (a temporary file renamed), failing with a message that names
 * the file. */
gboolean         mcam_png_write          (cairo_surface_t *surface, const char *const *keys,
                                          const char *const *values, const char *path,
                                          GError **error);

G_END_DECLS
