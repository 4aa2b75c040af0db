/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include "mcam-memory.h"

G_BEGIN_DECLS

/* Memory health (DESIGN 4.7): figures that tell a user, in plain words, when
 * the memory module says nothing. Any figure that could not be computed
 * (no labels, no images) is NAN (or -1 for counts). */
typedef struct
{
  int    n_images;            /* images the figures were computed on */

  /* reliance: the memory classifier's scores σ(z) with v, and with v replaced
   * by the mean read value v̄ over the image set. */
  double reliance;            /* mean over images and classes of |σ(z) − σ(z̄)| */
  double reliance_max;        /* mean over images of the largest |σ(z_c) − σ(z̄_c)| */
  double map_score;           /* memory classifier mAP (labels only) */
  double map_drop;            /* mAP(z) − mAP(z̄) (labels only) */

  /* sharpness: entropies are divided by log N (0 = one slot, 1 = uniform). */
  double mean_max_p;          /* mean over images of max_i p_i */
  double entropy_p;           /* mean H(p) / log N over images */
  double entropy_p_s;         /* mean H(p_s) / log N over images */
  double entropy_p_value;     /* mean H(p'(G(e_c))) / log N over classes */

  /* slot use: the argmax slot of p'(G(e_c)) for every class c. */
  int    n_classes;
  int    n_slots;
  int   *slot_of_class;       /* [n_classes], or NULL */
  int    distinct_slots;      /* distinct values in slot_of_class */
  int    unused_slots;        /* slots that are no class's argmax */

  /* class-specificity of the maps (over up to max_map_images images, the
   * labelled classes of each, or its top-scoring classes without labels):
   * Pearson r of a class's map with the class-agnostic ReLU(Σ_k f_k), and the
   * mean r between the maps of different classes of one image. */
  double mcam_sum_r;          /* `mcam` (the paper's map) */
  double mcam_between_r;
  double profile_sum_r;       /* `mcam-profile` */
  double profile_between_r;
} McamHealth;

typedef struct
{
  int     max_map_images;     /* images used for the map figures; 0 = 32 */
  int     classes_per_image;  /* without labels: top classes per image; 0 = 3 */
  guint64 seed;               /* slot search noise */
  int     draws;              /* slot search draws R; 0 = 1 */
} McamHealthOptions;

McamHealth *mcam_health_new  (void);              /* every figure unknown */
McamHealth *mcam_health_copy (const McamHealth *h);
void        mcam_health_free (McamHealth *h);

/* Compute every figure on `n_images` feature maps [n_images, c, h, w]
 * (contiguous) and, when not NULL, their multi-hot labels [n_images, C].
 * opts may be NULL (defaults). The trainer calls this at the end of training. */
McamHealth *mcam_health_compute (McamMemory *mem, const float *features, int n_images,
                                 const float *labels, const McamHealthOptions *opts,
                                 GCancellable *cancellable, GError **error);

/* Store as / read from `mcam.memory.health.*` metadata (string → string).
 * from_metadata returns NULL when the table has no health key. */
void        mcam_health_to_metadata   (const McamHealth *h, GHashTable *metadata);
McamHealth *mcam_health_from_metadata (GHashTable *metadata);

/* One line in plain words: "the classifier does not use the memory", "this map
 * does not depend on the class (r = 0.99 with the channel sum)", or healthy.
 * map_sum_r: the r of the map being shown with the channel sum, or NAN. */
char       *mcam_health_verdict (const McamHealth *h, double map_sum_r);

/* A JSON object with every known figure (unknown ones are null). */
JsonNode   *mcam_health_to_json (const McamHealth *h);

/* Pearson correlation of two arrays; NAN when either is constant. */
double      mcam_pearson (const float *a, const float *b, gsize n);
/* r of a map [h, w] with ReLU(Σ_k f_k), f [c, h, w]. */
double      mcam_health_map_sum_r (const float *map, const float *features, int c, int h,
                                   int w);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (McamHealth, mcam_health_free)

G_END_DECLS
