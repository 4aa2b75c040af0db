/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <glib-object.h>
#include "mcam/mcam-cam.h"
#include "mcam/mcam-health.h"

G_BEGIN_DECLS

/* Everything the memory inspector (DESIGN 4.6) shows for one image and one
 * class, as plain arrays. The worker fills it (no GTK here: it is safe to
 * build in the worker thread) and hands it to the main loop; the inspector
 * only draws it. Reference counted, immutable once handed over.
 *
 * Every array may be NULL when unknown (the inspector then shows that part
 * empty). */
typedef struct
{
  int    n_slots;          /* N */
  int    n_classes;        /* C */
  int    h, w;             /* feature resolution of the slot maps */
  int    class_index;      /* ĉ, the class explained, or -1 */
  int    chosen_slot;      /* n_ĉ of Algorithm 1, or -1 */
  int    user_slot;        /* the slot the user picked for the map, or -1 */
  char **class_names;      /* C names, NULL-terminated */

  float *p;                /* [N] key address of this image */
  float *p_s;              /* [N] spatial address */
  float *p_value;          /* [N] value address p' of G(e_ĉ) */
  float *delta;            /* [N] Δ_i, the score drops of the slot search */
  float *slot_maps;        /* [N, h, w] cos(f[:,y,x], S_i[:,y,x]) on this image */
  float *value_addresses;  /* [C, N] p'(G(e_c)) for every class c */

  McamHealth *health;      /* the memory file's figures, or NULL */
  double      map_sum_r;   /* r of the shown map with ReLU(Σ_k f_k), or NAN */
} McamInspectorData;

GType              mcam_inspector_data_get_type (void) G_GNUC_CONST;
#define MCAM_TYPE_INSPECTOR_DATA (mcam_inspector_data_get_type ())

/* Empty arrays (NULL) and names; n_* set. */
McamInspectorData *mcam_inspector_data_new   (int n_slots, int n_classes, int h, int w);
McamInspectorData *mcam_inspector_data_ref   (McamInspectorData *data);
void               mcam_inspector_data_unref (McamInspectorData *data);

/* Fill from an analysis with a memory and an M-CAM explanation of it (may be
 * NULL: no p', Δ or chosen slot). Computes the slot maps and the class x slot
 * value addresses: O(N·c·h·w + C·c²), a few ms for N = 512, c = 512, 7 x 7 —
 * call it on the worker. Returns NULL when the analysis has no memory. */
McamInspectorData *mcam_inspector_data_new_from_analysis (const McamAnalysis *a,
                                                          const McamExplanation *e,
                                                          const char *const *class_names /* NULL-terminated */);
/* Takes a copy of health (may be NULL). */
void               mcam_inspector_data_set_health (McamInspectorData *data,
                                                   const McamHealth *health, double map_sum_r);

/* The class of each slot (DESIGN 4.6: the class whose p'(G(e_c)) peaks
 * there, with that peak): slot_class [N], slot_peak [N]. Needs value_addresses. */
gboolean           mcam_inspector_data_slot_classes (const McamInspectorData *data,
                                                     int *slot_class, float *slot_peak);

/* Per position, cos(f[:,y,x], S_i[:,y,x]) for every slot: maps [N, h, w]. */
void               mcam_inspector_slot_maps (const McamMemory *mem, const float *features,
                                             float *maps);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (McamInspectorData, mcam_inspector_data_unref)

G_END_DECLS
