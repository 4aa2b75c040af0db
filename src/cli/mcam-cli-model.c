/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Loading a backbone and its memory module for the subcommands. */

#include "config.h"

#include "mcam-cli.h"
#include "mcam/mcam-class-names.h"

/* Once per command, on stderr: a mcam.* key the program does not read is
 * probably a typo of one it does, and the user believes it is used. */
void
mcam_cli_warn_metadata (const char *model_path, McamNet *net)
{
  const McamNetInfo *info = mcam_net_get_info (net);

  for (gsize i = 0; info->unknown_keys != NULL && info->unknown_keys[i] != NULL; i++)
    g_printerr ("mcam: warning: %s: unknown metadata key '%s' is ignored "
                "(see docs/MODEL-FORMAT.md for the keys that are read)\n",
                model_path, info->unknown_keys[i]);
}

char *mcam_cli_classes;
char *mcam_cli_classes_used;

gboolean
mcam_cli_apply_classes (McamNet *net, GError **error)
{
  g_clear_pointer (&mcam_cli_classes_used, g_free);
  return mcam_class_names_apply (net, mcam_cli_classes, &mcam_cli_classes_used, error);
}

char *mcam_cli_layer;

gboolean
mcam_cli_apply_layer (McamNet *net, GError **error)
{
  return mcam_cli_layer == NULL || mcam_net_set_target (net, mcam_cli_layer, error);
}

gboolean
mcam_cli_load_model (const char *model_path, const char *memory_path, McamNet **net,
                     McamMemory **memory, GError **error)
{
  g_autoptr(McamNet) n = NULL;
  g_autoptr(McamMemory) m = NULL;

  n = mcam_net_load (model_path, error);
  if (n == NULL)
    return FALSE;
  if (!mcam_cli_apply_classes (n, error) || !mcam_cli_apply_layer (n, error))
    return FALSE;
  mcam_cli_warn_metadata (model_path, n);

  /* The memory module lives in its own file or beside the backbone's tensors. */
  if (memory_path != NULL)
    {
      m = mcam_memory_load (memory_path, n, error);
      if (m == NULL)
        return FALSE;
    }
  else if (memory != NULL && mcam_memory_has_memory (model_path))
    {
      m = mcam_memory_load (model_path, n, error);
      if (m == NULL)
        return FALSE;
    }

  *net = g_steal_pointer (&n);
  if (memory != NULL)
    *memory = g_steal_pointer (&m);
  return TRUE;
}
