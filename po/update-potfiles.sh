#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Rewrite po/POTFILES: every C file that marks strings with _(), N_() or
# ngettext, every template with translatable="yes", and the data files.
# Run from anywhere; then `ninja -C BUILD mcam-explorer-pot mcam-explorer-update-po`.
set -eu
cd "$(dirname "$0")/.."
{
  echo "# SPDX-License-Identifier: GPL-3.0-or-later"
  echo "# Files with translatable strings (regenerate with po/update-potfiles.sh)."
  grep -l -E '\b_\(|N_\(|C_\(|g_dngettext|ngettext' src/*/*.c | sort
  grep -l 'translatable="yes"' ui/*.ui resources/*.ui resources/*/*.ui 2>/dev/null | sort || true
  echo data/io.github.mcam_explorer.MCamExplorer.desktop.in
  echo data/io.github.mcam_explorer.MCamExplorer.metainfo.xml.in
  echo data/io.github.mcam_explorer.MCamExplorer.gschema.xml
} > po/POTFILES
