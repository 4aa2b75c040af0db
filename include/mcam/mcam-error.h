/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* One error domain for the whole core. Messages always name the file (and the
 * tensor, line or class where there is one) and say what is wrong. */
#define MCAM_ERROR (mcam_error_quark ())

typedef enum
{
  MCAM_ERROR_FAILED,        /* anything else */
  MCAM_ERROR_IO,            /* cannot read or write a file */
  MCAM_ERROR_FORMAT,        /* malformed file: header, JSON, offsets, dtype */
  MCAM_ERROR_SHAPE,         /* a tensor is missing or has the wrong shape */
  MCAM_ERROR_VALUE,         /* NaN/Inf or out-of-range values */
  MCAM_ERROR_TOO_LARGE,     /* over a size limit (header, image pixels) */
  MCAM_ERROR_UNSUPPORTED,   /* valid, but not something we handle */
  MCAM_ERROR_MISMATCH,      /* two files that do not belong together */
  MCAM_ERROR_USAGE,         /* a bad argument from the user (class name, option) */
} McamError;

GQuark mcam_error_quark (void);

G_END_DECLS
