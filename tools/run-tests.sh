#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The one command that runs every test on a fresh Debian 12 machine:
# installs what is missing (apt packages, the npm test driver), builds, then
# runs `meson test` inside a private network namespace (only loopback), so no
# test can send a packet off this machine. Ends with "N passed, N failed".
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD_DIR:-$ROOT/build}

if [[ "${1:-}" != "--in-netns" ]]; then
  "$ROOT/tools/install-deps.sh" --tests
  (cd "$ROOT/tests/e2e" && npm ci --no-audit --no-fund --loglevel=error)
  if [[ ! -f "$BUILD/build.ninja" ]]; then meson setup "$BUILD" "$ROOT"; fi
  ninja -C "$BUILD"
  # Root can make a network namespace directly; others map themselves to
  # root inside a user namespace first.
  UNSHARE=(unshare -n)
  [[ $(id -u) -ne 0 ]] && UNSHARE=(unshare -r -n)
  exec "${UNSHARE[@]}" -- "$0" --in-netns "${@}"
fi
shift

ip link set lo up
# A NIC-like interface of the namespace's own, so that elements left with
# their default ICE settings gather a candidate, as on a host with one
# network card (libnice ignores lo and interfaces named veth*). Nothing is
# routed anywhere: the peer end has no address.
ip link add nic0 type veth peer name nic1
ip addr add 198.18.0.1/24 dev nic0
ip link set nic0 up
ip link set nic1 up
cd "$BUILD"
status=0
# Slow e2e tests get twice their timeout on a loaded CI machine.
meson test --print-errorlogs --timeout-multiplier 2 "$@" || status=$?

# CI reads one closing line, counted from meson's own results.
python3 - "$BUILD/meson-logs/testlog.json" <<'PY' || true
import json, sys
passed = failed = skipped = 0
with open(sys.argv[1]) as f:
    for line in f:
        r = json.loads(line).get("result")
        if r in ("OK", "EXPECTEDFAIL"): passed += 1
        elif r == "SKIP": skipped += 1
        else: failed += 1
print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
PY
exit $status
