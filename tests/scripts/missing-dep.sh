#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Registered in place of a test whose dependency meson did not find: the
# test is counted, and fails with the reason instead of vanishing.
echo "FAIL: missing test dependency: $*; tools/install-deps.sh --tests installs it, then run meson setup --reconfigure"
exit 1
