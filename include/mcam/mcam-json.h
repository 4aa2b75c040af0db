/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The one path by which the project writes numbers into JSON (every
 * command's --json, the eval report, the health figures).
 *
 * JSON has no NaN or infinity, and json-glib would print them as “nan.0”
 * and “inf.0”, which no reader accepts. Here a non-finite number is written
 * as null, whose meaning is stated in the README: “no number: undefined (an
 * average over nothing, a figure that was not measured) or not finite”.
 * Results that must be finite (logits, scores, addresses, maps) are checked
 * before they are written (mcam_analysis_check_finite), so a null there
 * never stands for an overflow. */

/* Append a number to the array being built; non-finite → null. */
void   mcam_json_add_double (JsonBuilder *b, double x);
/* Set member `name` of the object being built to a number; non-finite → null. */
void   mcam_json_set_double (JsonBuilder *b, const char *name, double x);
/* Append an array of n floats (non-finite → null). */
void   mcam_json_add_floats (JsonBuilder *b, const float *v, gsize n);
/* The text of a JSON tree, pretty (one-space indent) or compact. Any
 * non-finite number left in the tree (a double added by other means) is
 * written as null: the text is always valid JSON. */
char  *mcam_json_to_string  (JsonNode *root, gboolean pretty, gsize *length);

G_END_DECLS
