/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <string.h>
#include <glib.h>

G_BEGIN_DECLS

/* 16-bit floats as the model files store them (safetensors F16/BF16, ONNX
 * FLOAT16/BFLOAT16), widened to float. Private to the core's readers. */

/* IEEE half -> float, including subnormals, Inf and NaN. */
static inline float
mcam_half_to_float (guint16 h)
{
  guint32 sign = (guint32) (h & 0x8000) << 16;
  guint32 exp = (h >> 10) & 0x1f;
  guint32 mant = h & 0x3ff;
  guint32 bits;
  float f;

  if (exp == 0)
    {
      /* zero or subnormal: mant * 2^-24 */
      f = (float) mant * (1.0f / 16777216.0f);
      return sign ? -f : f;
    }
  if (exp == 31)
    bits = sign | 0x7f800000u | (mant << 13);
  else
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  memcpy (&f, &bits, sizeof f);
  return f;
}

/* bfloat16 is the top half of a float. */
static inline float
mcam_bfloat16_to_float (guint16 b)
{
  guint32 bits = (guint32) b << 16;
  float f;

  memcpy (&f, &bits, sizeof f);
  return f;
}

G_END_DECLS
