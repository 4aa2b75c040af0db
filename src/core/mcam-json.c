/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Numbers into JSON: one rule (non-finite → null) for every writer. */

#include "config.h"

#include <math.h>

#include "mcam/mcam-json.h"

void
mcam_json_add_double (JsonBuilder *b, double x)
{
  if (isfinite (x))
    json_builder_add_double_value (b, x);
  else
    json_builder_add_null_value (b);
}

void
mcam_json_set_double (JsonBuilder *b, const char *name, double x)
{
  json_builder_set_member_name (b, name);
  mcam_json_add_double (b, x);
}

void
mcam_json_add_floats (JsonBuilder *b, const float *v, gsize n)
{
  json_builder_begin_array (b);
  for (gsize i = 0; i < n; i++)
    mcam_json_add_double (b, (double) v[i]);
  json_builder_end_array (b);
}

/* Turns every non-finite double of the tree into null, in place. */
static void
nulls_for_non_finite (JsonNode *node)
{
  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObjectIter iter;
        JsonNode *member;

        json_object_iter_init (&iter, json_node_get_object (node));
        while (json_object_iter_next (&iter, NULL, &member))
          nulls_for_non_finite (member);
      }
      break;
    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);
        guint n = json_array_get_length (array);

        for (guint i = 0; i < n; i++)
          nulls_for_non_finite (json_array_get_element (array, i));
      }
      break;
    case JSON_NODE_VALUE:
      if (json_node_get_value_type (node) == G_TYPE_DOUBLE &&
          !isfinite (json_node_get_double (node)))
        json_node_init_null (node);
      break;
    case JSON_NODE_NULL:
    default:
      break;
    }
}

char *
mcam_json_to_string (JsonNode *root, gboolean pretty, gsize *length)
{
  g_autoptr(JsonGenerator) gen = json_generator_new ();

  nulls_for_non_finite (root);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, pretty);
  json_generator_set_indent (gen, 1);
  return json_generator_to_data (gen, length);
}
