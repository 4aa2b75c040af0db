/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Feature-cache parts (issue 15): `mcam features --shard I/N --out PART`
 * writes PART, a feature cache of the shard's images in the format `mcam
 * train` caches (mcam-feature-cache.h), and PART.json beside it: the shard,
 * the backbone fingerprint and layer, the hash of the whole image list and
 * the rows' image indices. `mcam train` and `mcam refit` take the parts with
 * --features PART... and join them into the rows of one cache. */

#include <signal.h>

#include "mcam-cli.h"
#include "mcam/mcam-dataset.h"
#include "mcam/mcam-feature-cache.h"

G_BEGIN_DECLS

/* The feature cache of ds's images at cache_path, as train and refit keep it
 * beside their output: reused when it matches (then "WHAT: reusing PATH" on
 * stderr), else computed with the feature pass's progress under WHAT.
 * `interrupted` (nullable) is polled between batches: once non-zero the pass
 * stops (G_IO_ERROR_CANCELLED) and the cache's temp file is removed. */
McamFeatureCache *mcam_cli_features_open (McamNet *net, McamDataset *ds,
                                          const char *cache_path, const char *what,
                                          const volatile sig_atomic_t *interrupted,
                                          GError **error);

/* Join the parts into features [ds->n, c·h·w] and logits [ds->n, C], row i
 * = image i of ds, exactly as one cache of ds would hold them. Refuses parts
 * of another backbone, layer or image list, and missing or duplicated
 * shards, naming the file. */
gboolean mcam_cli_features_join (McamNet *net, McamDataset *ds, char **parts,
                                 float **features, float **logits, GError **error);

/* --features P1 P2 P3: with --features given, the arguments left after
 * option parsing (argv[1..]) are parts too; they are moved into *parts. */
void     mcam_cli_features_take_args (char ***parts, int *argc, char **argv);

G_END_DECLS
