/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "mcam/mcam-error.h"

G_DEFINE_QUARK (mcam-error-quark, mcam_error)
