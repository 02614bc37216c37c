#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The one command that runs every test on a fresh Debian 12 machine:
# installs what is missing (apt packages, the npm test driver), builds, then
# runs `meson test` inside a private network namespace (only loopback and a
# NIC-like veth), so no test can send a packet off this machine. A full run
# (no arguments) then builds again with AddressSanitizer and
# UndefinedBehaviorSanitizer and runs the unit, element, server and harness
# suites there (`meson test --setup asan`). Ends with "N passed, N failed"
# counted over every registered test of both runs, and exits non-zero when
# any failed, when none ran, when fewer ran than are registered, or (under
# CI=true, where everything is installed) when any skipped. Arguments go to
# `meson test` (e.g. --suite unit, a test name) and skip the sanitizer run.
#
# For the harness's own tests: WEBRTCLIVE_SOURCE_DIR runs another meson
# project's tests the same way, WEBRTCLIVE_SKIP_INSTALL=1 installs nothing,
# WEBRTCLIVE_ASAN=0 skips the sanitizer run.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SOURCE=${WEBRTCLIVE_SOURCE_DIR:-$ROOT}
BUILD=${BUILD_DIR:-$SOURCE/build}
ASAN_BUILD=${BUILD}-asan
ASAN=${WEBRTCLIVE_ASAN:-1}
[[ $# -gt 0 && "${1:-}" != "--in-netns" ]] && ASAN=0
[[ -n "${WEBRTCLIVE_SOURCE_DIR:-}" ]] && ASAN=0

if [[ "${1:-}" != "--in-netns" ]]; then
  if [[ -z "${WEBRTCLIVE_SKIP_INSTALL:-}" ]]; then
    "$ROOT/tools/install-deps.sh" --tests
    (cd "$ROOT/tests/e2e" && npm ci --no-audit --no-fund --loglevel=error)
  fi
  if [[ ! -f "$BUILD/build.ninja" ]]; then meson setup "$BUILD" "$SOURCE"; fi
  ninja -C "$BUILD"
  if [[ "$ASAN" == 1 ]]; then
    if [[ ! -f "$ASAN_BUILD/build.ninja" ]]; then
      meson setup "$ASAN_BUILD" "$SOURCE" -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug
    fi
    ninja -C "$ASAN_BUILD"
  fi
  # Root can make a network namespace directly; others map themselves to
  # root inside a user namespace first.
  UNSHARE=(unshare -n)
  [[ $(id -u) -ne 0 ]] && UNSHARE=(unshare -r -n)
  export BUILD_DIR=$BUILD WEBRTCLIVE_ASAN=$ASAN
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

status=0
runs=()  # "testlog.json registered-count" per run
# Runs `meson test` in build dir $1 with the remaining arguments; counts
# what it registered first, and never reads a previous run's results.
run_meson() {
  local dir=$1; shift
  rm -f "$dir"/meson-logs/testlog*.json
  local registered
  registered=$(cd "$dir" && meson test --no-rebuild --list "$@" 2>/dev/null | grep -c . || true)
  (cd "$dir" && meson test --no-rebuild --print-errorlogs "$@") || status=$?
  # meson names the log after the setup (testlog-asan.json); only this run's is there.
  local log
  log=$(ls "$dir"/meson-logs/testlog*.json 2>/dev/null | head -1 || true)
  runs+=("${log:-$dir/meson-logs/testlog.json}" "$registered")
}
# Slow e2e tests get twice their timeout on a loaded CI machine.
run_meson "$BUILD" --timeout-multiplier 2 "$@"
[[ "$ASAN" == 1 ]] && run_meson "$ASAN_BUILD" --setup asan --timeout-multiplier 3

# CI reads one closing line, counted from this run's own results.
python3 - "${CI:-}" "${runs[@]}" <<'PY' || status=1
import json, os, sys
ci = sys.argv[1] == "true"
passed, failed, skipped, problems = [], [], [], []
for path, registered in zip(sys.argv[2::2], map(int, sys.argv[3::2])):
    results = []
    if os.path.exists(path):
        with open(path) as f:
            results = [json.loads(line) for line in f if line.strip()]
    setup = " (asan)" if "-asan/" in path or "testlog-asan" in path else ""
    names = lambda rs: [r["name"] + setup for r in rs]
    ok = [r for r in results if r.get("result") in ("OK", "EXPECTEDFAIL")]
    skip = [r for r in results if r.get("result") == "SKIP"]
    bad = [r for r in results if r not in ok and r not in skip]
    if not results:
        problems.append(f"no test ran{setup}")
    elif len(results) < registered:
        problems.append(f"only {len(results)} of {registered} registered tests ran{setup}")
    passed += names(ok)
    failed += names(bad) + [f"(not run){setup}"] * max(registered - len(results), 0)
    skipped += names(skip)
if skipped and ci:
    problems.append(f"under CI=true nothing may skip; skipped: {', '.join(skipped)}")
    failed += skipped
    skipped = []
for p in problems:
    print(f"ERROR: {p}")
line = f"{len(passed)} passed, {len(failed)} failed"
if skipped:
    line += f", {len(skipped)} skipped"
print(line)
sys.exit(1 if problems or failed else 0)
PY
exit $status
