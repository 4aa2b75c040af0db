#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Stands in for a test whose tool was not found at set-up: every tool a test
# uses comes from a package in tools/debian-packages.txt, so a missing one is a
# failure naming the package (tools/quickstart test installs it), not a skip.
# usage: missing-package.sh TOOL PACKAGE
echo "1..1"
echo "not ok 1 $1 is missing: install the Debian package $2 (tools/debian-packages.txt), then meson setup --reconfigure"
exit 1
