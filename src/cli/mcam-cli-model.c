/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Loading a backbone and its memory module for the subcommands. */

#include "config.h"

#include "mcam-cli.h"

gboolean
mcam_cli_load_model (const char *model_path, const char *memory_path, McamNet **net,
                     McamMemory **memory, GError **error)
{
  g_autoptr(McamNet) n = NULL;
  g_autoptr(McamMemory) m = NULL;

  n = mcam_net_load (model_path, error);
  if (n == NULL)
    return FALSE;

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
