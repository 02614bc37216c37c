#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Runs a benchmark on this machine: installs what is missing, builds if
# needed, then runs the benchmark inside a private network namespace with
# only loopback (no packet leaves the machine), as tools/run-tests.sh does.
#
#   tools/bench.sh join-latency   join → first frame in Chromium
#                                 (bench/join-latency.mjs; writes
#                                 bench/results/ and docs/benchmarks.md)
#   tools/bench.sh glass-to-glass stamp → reader latency, sink → src and
#                                 sink → Chromium (bench/glass-to-glass.mjs)
#   tools/bench.sh server-capacity
#                                 webrtclive-signalling-server: connections
#                                 and RSS, relayed messages/s on one core
#                                 (bench/server-capacity.mjs)
#   tools/bench.sh viewers        sink CPU, threads and RSS with N consumers
#                                 on one shared encoder (bench/viewers.mjs)
#   tools/bench.sh data-throughput
#                                 data channels sink → src against two plain
#                                 webrtcbins: MB/s, messages/s, loss
#                                 (bench/data-throughput.mjs, build/bench/data-bench)
#   tools/bench.sh scale          N lightweight consumers (build/bench/lite-consumer)
#                                 against webrtclivesink and the hand-written
#                                 baselines (build/bench/scale-baseline): CPU,
#                                 threads, RSS, FDs, fps per N; first viewer
#                                 and a join storm (bench/scale.mjs)
#   tools/bench.sh scale-out      producer CPU with N viewers served directly
#                                 and through a Janus VideoRoom it publishes
#                                 into once (bench/scale-out.mjs)
#   tools/bench.sh layers         the layer ladder: 20 viewers, 5 behind 400 kbit/s
#                                 (tc tbf): the others' fps and latency, capped
#                                 viewers' freezes, sender CPU against an encoder
#                                 per viewer (bench/layers.mjs)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD_DIR:-$ROOT/build}

usage() {
  echo "usage: tools/bench.sh join-latency|glass-to-glass|server-capacity|viewers|data-throughput|scale|scale-out|layers" >&2
  exit 2
}

if [[ "${1:-}" == "--in-netns" ]]; then
  # Second stage, inside the namespace: bring up loopback and run the bench.
  ip link set lo up
  # A NIC-like veth with nothing routed behind it, as in tools/run-tests.sh:
  # Janus (scale-out) does ICE only on a non-loopback address.
  ip link add nic0 type veth peer name nic1
  ip addr add 198.18.0.1/24 dev nic0
  ip link set nic0 up
  ip link set nic1 up
  # server-capacity opens up to 10 000 sockets in one process.
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  export WEBRTCLIVE_BUILD_DIR="$BUILD"
  exec node "$2"
fi

[[ $# -eq 1 ]] || usage
case "$1" in
  join-latency) SCRIPT="$ROOT/bench/join-latency.mjs" ;;
  glass-to-glass) SCRIPT="$ROOT/bench/glass-to-glass.mjs" ;;
  server-capacity) SCRIPT="$ROOT/bench/server-capacity.mjs" ;;
  viewers) SCRIPT="$ROOT/bench/viewers.mjs" ;;
  data-throughput) SCRIPT="$ROOT/bench/data-throughput.mjs" ;;
  scale) SCRIPT="$ROOT/bench/scale.mjs" ;;
  scale-out) SCRIPT="$ROOT/bench/scale-out.mjs" ;;
  layers) SCRIPT="$ROOT/bench/layers.mjs" ;;
  -h|--help) usage ;;
  *) echo "unknown benchmark: $1" >&2; usage ;;
esac

"$ROOT/tools/install-deps.sh" --tests
# npm ci wipes node_modules; only do it when the installed tree is missing or
# older than the lock file, so a test run using it at the same time survives.
E2E="$ROOT/tests/e2e"
if [[ ! -d "$E2E/node_modules/playwright-core" || "$E2E/package-lock.json" -nt "$E2E/node_modules/.package-lock.json" ]]; then
  (cd "$E2E" && npm ci --no-audit --no-fund --loglevel=error)
fi
if [[ ! -f "$BUILD/build.ninja" ]]; then meson setup "$BUILD" "$ROOT"; fi
ninja -C "$BUILD"

# Root can make a network namespace directly; others map themselves to root
# inside a user namespace first.
UNSHARE=(unshare -n)
[[ $(id -u) -ne 0 ]] && UNSHARE=(unshare -r -n)
exec "${UNSHARE[@]}" -- "$0" --in-netns "$SCRIPT"
