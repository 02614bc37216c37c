#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The one command that runs every test on a fresh Debian 12 machine:
# installs what is missing (apt packages, the npm test driver), builds, then
# runs `meson test` inside a private network namespace (only loopback and a
# NIC-like veth), so no test can send a packet off this machine. Ends with
# "N passed, N failed" counted over every registered test, and exits
# non-zero when any failed, when none ran, when fewer ran than are
# registered, or (under CI=true, where everything is installed) when any
# skipped. Arguments go to `meson test` (e.g. --suite unit, a test name).
#
# For the harness's own tests: WEBRTCLIVE_SOURCE_DIR runs another meson
# project's tests the same way, and WEBRTCLIVE_SKIP_INSTALL=1 installs nothing.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SOURCE=${WEBRTCLIVE_SOURCE_DIR:-$ROOT}
BUILD=${BUILD_DIR:-$SOURCE/build}

if [[ "${1:-}" != "--in-netns" ]]; then
  if [[ -z "${WEBRTCLIVE_SKIP_INSTALL:-}" ]]; then
    "$ROOT/tools/install-deps.sh" --tests
    (cd "$ROOT/tests/e2e" && npm ci --no-audit --no-fund --loglevel=error)
  fi
  if [[ ! -f "$BUILD/build.ninja" ]]; then meson setup "$BUILD" "$SOURCE"; fi
  ninja -C "$BUILD"
  # Root can make a network namespace directly; others map themselves to
  # root inside a user namespace first.
  UNSHARE=(unshare -n)
  [[ $(id -u) -ne 0 ]] && UNSHARE=(unshare -r -n)
  export BUILD_DIR=$BUILD
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
# A previous run's results must never be counted as this run's.
rm -f meson-logs/testlog*.json
registered=$(meson test --no-rebuild --list "$@" 2>/dev/null | grep -c . || true)
status=0
# Slow e2e tests get twice their timeout on a loaded CI machine.
meson test --no-rebuild --print-errorlogs --timeout-multiplier 2 "$@" || status=$?

# CI reads one closing line, counted from this run's own results.
python3 - "$BUILD/meson-logs/testlog.json" "$registered" "${CI:-}" <<'PY' || status=1
import json, os, sys
path, registered, ci = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "true"
results = []
if os.path.exists(path):
    with open(path) as f:
        results = [json.loads(line) for line in f if line.strip()]
passed = [r["name"] for r in results if r.get("result") in ("OK", "EXPECTEDFAIL")]
skipped = [r["name"] for r in results if r.get("result") == "SKIP"]
failed = [r["name"] for r in results if r["name"] not in passed + skipped]
problems = []
if not results:
    problems.append("no test ran")
elif len(results) < registered:
    problems.append(f"only {len(results)} of {registered} registered tests ran")
if skipped and ci:
    problems.append(f"under CI=true nothing may skip; skipped: {', '.join(skipped)}")
    failed += skipped
    skipped = []
missing = max(registered - len(results), 0)
for p in problems:
    print(f"ERROR: {p}")
line = f"{len(passed)} passed, {len(failed) + missing} failed"
if skipped:
    line += f", {len(skipped)} skipped"
print(line)
sys.exit(1 if problems or failed else 0)
PY
exit $status
