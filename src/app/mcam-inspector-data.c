/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mcam-inspector-data"

#include "config.h"

#include <math.h>
#include <string.h>

#include "mcam-inspector-data.h"

/* No GTK in this file: it runs on the worker thread. */

G_DEFINE_BOXED_TYPE (McamInspectorData, mcam_inspector_data,
                     mcam_inspector_data_ref, mcam_inspector_data_unref)

static void
_mcam_inspector_data_clear (McamInspectorData *d)
{
  g_strfreev (d->class_names);
  g_free (d->p);
  g_free (d->p_s);
  g_free (d->p_value);
  g_free (d->delta);
  g_free (d->slot_maps);
  g_free (d->value_addresses);
  g_clear_pointer (&d->health, mcam_health_free);
}

McamInspectorData *
mcam_inspector_data_new (int n_slots, int n_classes, int h, int w)
{
  McamInspectorData *d = g_atomic_rc_box_new0 (McamInspectorData);

  d->n_slots = MAX (0, n_slots);
  d->n_classes = MAX (0, n_classes);
  d->h = MAX (0, h);
  d->w = MAX (0, w);
  d->class_index = -1;
  d->chosen_slot = -1;
  d->user_slot = -1;
  d->map_sum_r = NAN;
  return d;
}

McamInspectorData *
mcam_inspector_data_ref (McamInspectorData *data)
{
  return g_atomic_rc_box_acquire (data);
}

void
mcam_inspector_data_unref (McamInspectorData *data)
{
  g_atomic_rc_box_release_full (data, (GDestroyNotify) _mcam_inspector_data_clear);
}

void
mcam_inspector_data_set_health (McamInspectorData *data, const McamHealth *health,
                                double map_sum_r)
{
  g_return_if_fail (data != NULL);
  g_clear_pointer (&data->health, mcam_health_free);
  if (health != NULL)
    data->health = mcam_health_copy (health);
  data->map_sum_r = map_sum_r;
}

gboolean
mcam_inspector_data_slot_classes (const McamInspectorData *d, int *slot_class,
                                  float *slot_peak)
{
  g_return_val_if_fail (d != NULL, FALSE);
  if (d->value_addresses == NULL || d->n_classes <= 0)
    return FALSE;
  for (int i = 0; i < d->n_slots; i++)
    {
      int best = 0;
      for (int c = 1; c < d->n_classes; c++)
        if (d->value_addresses[(gsize) c * d->n_slots + i]
            > d->value_addresses[(gsize) best * d->n_slots + i])
          best = c;
      slot_class[i] = best;
      slot_peak[i] = d->value_addresses[(gsize) best * d->n_slots + i];
    }
  return TRUE;
}

void
mcam_inspector_slot_maps (const McamMemory *mem, const float *features, float *maps)
{
  gsize hw = (gsize) mem->h * mem->w;

  for (int i = 0; i < mem->n_slots; i++)
    mcam_memory_slot_similarity (mem, features, i, maps + i * hw);
}

static float *
dup_floats (const float *src, gsize n)
{
  return src != NULL && n > 0 ? g_memdup2 (src, n * sizeof (float)) : NULL;
}

McamInspectorData *
mcam_inspector_data_new_from_analysis (const McamAnalysis *a, const McamExplanation *e,
                                       const char *const *class_names)
{
  McamInspectorData *d;
  const McamMemory *mem;

  g_return_val_if_fail (a != NULL, NULL);
  mem = a->memory;
  if (mem == NULL)
    return NULL;

  d = mcam_inspector_data_new (mem->n_slots, mem->n_classes, mem->h, mem->w);
  if (class_names != NULL)
    d->class_names = g_strdupv ((char **) class_names);
  d->p = dup_floats (a->p, d->n_slots);
  d->p_s = dup_floats (a->p_s, d->n_slots);
  if (e != NULL)
    {
      d->class_index = e->class_index;
      if (e->slot >= 0 && e->n_slots == d->n_slots)
        {
          d->chosen_slot = e->slot;
          d->p_value = dup_floats (e->p_value, d->n_slots);
          d->delta = dup_floats (e->delta, d->n_slots);
        }
    }

  if (a->features != NULL && a->c == mem->c && a->h == mem->h && a->w == mem->w)
    {
      d->slot_maps = g_new (float, (gsize) d->n_slots * d->h * d->w);
      mcam_inspector_slot_maps (mem, a->features, d->slot_maps);
    }
  d->value_addresses = mcam_memory_class_slot_matrix (mem);
  /* Without an M-CAM explanation, p' of the class still comes from the matrix. */
  if (d->p_value == NULL && d->class_index >= 0 && d->class_index < d->n_classes)
    d->p_value = dup_floats (d->value_addresses + (gsize) d->class_index * d->n_slots,
                             d->n_slots);
  return d;
}
