#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The translations are complete: po/POTFILES names every file with
# translatable strings, and every message of those files has a Korean
# translation in po/ko.po (none missing, none fuzzy). TAP output.
set -u
src=${1:?usage: check-po.sh SOURCE_ROOT}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$src" || exit 1

echo "1..3"

# 1. POTFILES is what po/update-potfiles.sh would write.
cp po/POTFILES "$tmp/POTFILES.committed"
{
  grep -l -E '\b_\(|N_\(|C_\(|g_dngettext|ngettext' src/*/*.c | sort
  grep -l 'translatable="yes"' ui/*.ui resources/*.ui resources/*/*.ui 2>/dev/null | sort
  echo data/io.github.mcam_explorer.MCamExplorer.desktop.in
  echo data/io.github.mcam_explorer.MCamExplorer.metainfo.xml.in
  echo data/io.github.mcam_explorer.MCamExplorer.gschema.xml
} > "$tmp/POTFILES.now"
grep -v '^#' "$tmp/POTFILES.committed" > "$tmp/POTFILES.listed"
if diff -u "$tmp/POTFILES.listed" "$tmp/POTFILES.now" > "$tmp/potfiles.diff"; then
  echo "ok 1 po/POTFILES lists every file with translatable strings"
else
  echo "not ok 1 po/POTFILES is out of date (run po/update-potfiles.sh)"
  sed 's/^/# /' "$tmp/potfiles.diff"
fi

# 2. Extract as i18n.gettext(preset: 'glib') does, then merge the translation.
if xgettext --from-code=UTF-8 --add-comments --keyword=_ --keyword=N_ \
     --keyword=C_:1c,2 --keyword=NC_:1c,2 --keyword=g_dngettext:2,3 \
     --keyword=g_dcgettext:2 --keyword=g_dpgettext2:2c,3 \
     -f "$tmp/POTFILES.now" -o "$tmp/messages.pot" 2> "$tmp/xgettext.log" \
   && msgmerge --quiet --no-fuzzy-matching po/ko.po "$tmp/messages.pot" -o "$tmp/ko.po"; then
  echo "ok 2 the messages extract and po/ko.po merges"
else
  echo "not ok 2 extraction or merge failed"
  sed 's/^/# /' "$tmp/xgettext.log"
  exit 0
fi

# 3. Nothing untranslated or fuzzy, and the formats agree (msgfmt --check).
stats=$(LC_ALL=C msgfmt --check --statistics -o /dev/null "$tmp/ko.po" 2>&1)
case "$stats" in
  *untranslated*|*fuzzy*|*error*)
    echo "not ok 3 po/ko.po is incomplete: $stats"
    msgattrib --untranslated --no-obsolete "$tmp/ko.po" 2>/dev/null | grep '^msgid ' | sed 's/^/# /' | head -40
    ;;
  *)
    echo "ok 3 po/ko.po: $stats"
    ;;
esac
