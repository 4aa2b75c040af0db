/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include "mcam-cam.h"
#include "mcam-metrics.h"

G_BEGIN_DECLS

/* The re-fit lens's verdict per class (issue 12): from where a class's maps
 * peak under the network's own head and under a re-fit head (two pointing
 * tallies of the same (image, class) pairs and method), what the re-fit lens
 * says about that class:
 *
 *   the re-fit head locates X, the network's does not:
 *     "the features locate X; the network's head relies on Y (head bias)"
 *   neither does:
 *     "neither head locates X (the features do not separate it)"
 *   and "both heads locate X" / "the network's head locates X and the re-fit
 *   head does not (...)".
 *
 * "Locates" means the map peaks on the class's own object in at least
 * MCAM_HEAD_LOCATES of the pairs (the pointing game with its tolerance); Y
 * is where the network head's maps peak most often instead: another class,
 * the background, or nowhere (no positive value). `mcam eval --head` prints
 * it; the app's bias lens shows it. */

#define MCAM_HEAD_LOCATES 0.5

typedef enum
{
  MCAM_HEAD_VERDICT_HEAD_BIAS,     /* the features locate X, the network's head does not */
  MCAM_HEAD_VERDICT_NEITHER,       /* the features do not separate X */
  MCAM_HEAD_VERDICT_BOTH,
  MCAM_HEAD_VERDICT_NETWORK_ONLY,  /* only the network's head locates X */
} McamHeadVerdictKind;

typedef struct
{
  int                 class_index;
  int                 pairs;        /* of the class, in the re-fit head's tally */
  double              own_network;  /* own-object rate under the network's head */
  double              own_refit;    /* ... under the re-fit head */
  /* The landing column the network head's maps reach most often other than
   * the class itself (a class, MCAM_LANDING_BACKGROUND or
   * MCAM_LANDING_NO_MAP), -1 when they never land elsewhere; and its name
   * (the class's, "background" or "no positive value"; borrowed, NULL with
   * -1). */
  int                 elsewhere;
  const char         *elsewhere_name;
  McamHeadVerdictKind kind;
  char               *text;         /* the plain-words verdict, English */
} McamHeadVerdict;

/* The verdict of class c from the network head's tally `net` and the re-fit
 * head's `refit` (same classes); classes [C] names them (borrowed by the
 * result). FALSE (and *v cleared) when the class has no pairs. */
gboolean mcam_head_verdict_make  (McamHeadVerdict *v, const McamPointingTally *net,
                                  const McamPointingTally *refit, int c,
                                  const char *const *classes);
void     mcam_head_verdict_clear (McamHeadVerdict *v);

/* Whether a method's map depends on which head is explained: every baseline
 * but Eigen-CAM (class- and head-agnostic); not the M-CAM methods (they read
 * the memory module). */
gboolean mcam_method_reads_head  (McamMethod m);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (McamHeadVerdict, mcam_head_verdict_clear)

G_END_DECLS
