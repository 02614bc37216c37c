#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# gst-inspect-1.0 shows every element of the plugin with its metadata, and
# every property the plugin defines has a full-sentence description.
set -euo pipefail
BUILD=$1
export GST_PLUGIN_PATH=$BUILD/plugin
export GST_REGISTRY=$BUILD/tests/registry-inspect.bin
fail() { echo "FAIL: $*"; exit 1; }

gst-inspect-1.0 webrtclive > /tmp/inspect-plugin.$$ || fail "plugin webrtclive not found"
for element in ${ELEMENTS:-webrtclivesink}; do
  out=$(gst-inspect-1.0 "$element") || fail "$element not found"
  grep -q "Klass" <<<"$out" || fail "$element has no klass"
  # Our own properties: those after the GstBin/GstObject ones. A property is
  # documented when its blurb is longer than its name and is not the nick.
  python3 - "$element" "$out" <<'PY'
import re, sys
element, out = sys.argv[1], sys.argv[2]
inherited = {"name", "parent", "async-handling", "message-forward"}
props = re.findall(r"^  ([a-z0-9-]+)\s+: (.*)$", out.split("Element Properties:")[1].split("Element Signals:")[0], re.M)
own = [(n, b) for n, b in props if n not in inherited]
if not own:
    sys.exit(f"FAIL: {element} shows no properties")
bad = [n for n, b in own if len(b.strip()) < 20 or b.strip().lower() == n.replace("-", " ")]
if bad:
    sys.exit(f"FAIL: {element}: undocumented properties: {bad}")
print(f"{element}: {len(own)} properties, all documented: {', '.join(n for n, _ in own)}")
PY
done
rm -f /tmp/inspect-plugin.$$
echo "PASS"
