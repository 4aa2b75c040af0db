/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* The row above the overlay: the caption (first child: what the overlay
 * shows), a notice beside it (second child, may be hidden: a button that
 * opens the message) and the notice's words (third child). The caption
 * comes first: the words are shown only while the caption still fits in
 * its reserved height (its height request) beside them; otherwise they are
 * left out and the caption takes the width (GDK_SCALE=2 on 1600x1000
 * leaves the centre ~300 logical px). */
#define MCAM_TYPE_CAPTION_ROW (mcam_caption_row_get_type ())
G_DECLARE_FINAL_TYPE (McamCaptionRow, mcam_caption_row, MCAM, CAPTION_ROW, GtkWidget)

/* Whether the notice's words were shown at the last allocation. */
gboolean mcam_caption_row_get_notice_expanded (McamCaptionRow *self);

G_END_DECLS
