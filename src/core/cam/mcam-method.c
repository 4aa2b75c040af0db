/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The explanation methods' names (DESIGN 5) and labels for people. */

#include "config.h"

#include <string.h>

#include "mcam/mcam-cam.h"

typedef struct
{
  const char *name;
  const char *label;
} MethodName;

static const MethodName methods[MCAM_N_METHODS] = {
  [MCAM_METHOD_MCAM]         = { "mcam",         "M-CAM (paper)" },
  [MCAM_METHOD_MCAM_PROFILE] = { "mcam-profile", "M-CAM slot profile (our variant)" },
  [MCAM_METHOD_CAM]          = { "cam",          "CAM" },
  [MCAM_METHOD_GRADCAM]      = { "gradcam",      "Grad-CAM" },
  [MCAM_METHOD_GRADCAM_PP]   = { "gradcam++",    "Grad-CAM++" },
  [MCAM_METHOD_HIRESCAM]     = { "hirescam",     "HiResCAM" },
  [MCAM_METHOD_XGRADCAM]     = { "xgradcam",     "XGrad-CAM" },
  [MCAM_METHOD_LAYERCAM]     = { "layercam",     "LayerCAM" },
  [MCAM_METHOD_EIGENCAM]     = { "eigencam",     "EigenCAM" },
  [MCAM_METHOD_EIGENGRADCAM] = { "eigengradcam", "EigenGrad-CAM" },
  [MCAM_METHOD_ABLATIONCAM]  = { "ablationcam",  "Ablation-CAM" },
  [MCAM_METHOD_SCORECAM]     = { "scorecam",     "Score-CAM" },
};

const char *
mcam_method_get_name (McamMethod m)
{
  g_return_val_if_fail ((int) m >= 0 && m < MCAM_N_METHODS, NULL);
  return methods[m].name;
}

const char *
mcam_method_get_label (McamMethod m)
{
  g_return_val_if_fail ((int) m >= 0 && m < MCAM_N_METHODS, NULL);
  return methods[m].label;
}

gboolean
mcam_method_from_name (const char *name, McamMethod *out)
{
  if (name == NULL)
    return FALSE;
  for (int i = 0; i < MCAM_N_METHODS; i++)
    if (g_ascii_strcasecmp (name, methods[i].name) == 0)
      {
        if (out)
          *out = (McamMethod) i;
        return TRUE;
      }
  return FALSE;
}

gboolean
mcam_method_needs_memory (McamMethod m)
{
  return m == MCAM_METHOD_MCAM || m == MCAM_METHOD_MCAM_PROFILE;
}
