#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Builds and runs one libFuzzer target (fuzz/fuzz-TARGET.cpp) with clang,
# AddressSanitizer and UndefinedBehaviorSanitizer:
#
#   tools/fuzz.sh TARGET [SECONDS] [libFuzzer options...]
#
# It first replays the seed corpus (fuzz/corpus/TARGET: every input once),
# then fuzzes for SECONDS (default 10) from it, keeping new inputs in a
# scratch directory (the repository's corpus only grows by hand). Any crash
# fails with the reproducer's path; copy it into fuzz/corpus/TARGET and
# add a regression test. Targets: protocol, control, sdp, http, jwt.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGET=${1:?usage: tools/fuzz.sh TARGET [SECONDS] [libFuzzer options...]}
SECONDS_TO_RUN=${2:-10}
shift $(( $# >= 2 ? 2 : 1 ))
OUT=${FUZZ_BUILD_DIR:-$ROOT/build/fuzz}
mkdir -p "$OUT"

command -v clang++ >/dev/null || { echo "FAIL: clang++ is missing (tools/install-deps.sh --tests installs clang)"; exit 1; }
PKGS="glib-2.0 json-glib-1.0"
case "$TARGET" in
  protocol|control) SOURCES="signaling/protocol/protocol.cpp" ;;
  http) SOURCES="signaling/http-route.cpp" ;;
  jwt) SOURCES="signaling/auth.cpp"; PKGS="$PKGS libjwt" ;;
  ice) SOURCES="signaling/ice-servers.cpp"; PKGS="$PKGS gstreamer-1.0" ;;
  janus) SOURCES="signaling/janus-api.cpp signaling/protocol/protocol.cpp" ;;
  sdp) SOURCES="core/codecs.cpp core/twcc.cpp core/webrtc-util.cpp signaling/ice-servers.cpp"
       PKGS="$PKGS gstreamer-1.0 gstreamer-sdp-1.0 gstreamer-rtp-1.0 gstreamer-video-1.0 gstreamer-webrtc-1.0" ;;
  *) echo "unknown fuzz target '$TARGET' (protocol, control, sdp, http, jwt, ice, janus)"; exit 2 ;;
esac
BIN=$OUT/fuzz-$TARGET
SRCS=("$ROOT/fuzz/fuzz-$TARGET.cpp")
for s in $SOURCES; do SRCS+=("$ROOT/$s"); done
# Rebuilt when any of its sources is newer than the binary.
if [[ ! -x "$BIN" ]] || [[ -n "$(find "${SRCS[@]}" "$ROOT/signaling" "$ROOT/core" "$ROOT/elements" "$ROOT/common" -newer "$BIN" -name '*.h' -o -newer "$BIN" -name '*.cpp' 2>/dev/null | head -1)" ]]; then
  # shellcheck disable=SC2046,SC2086
  clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -DGST_USE_UNSTABLE_API -I"$ROOT/fuzz" -I"$ROOT/signaling" -I"$ROOT/signaling/protocol" -I"$ROOT/core" -I"$ROOT/elements" -I"$ROOT/common" \
    $(pkg-config --cflags $PKGS) "${SRCS[@]}" $(pkg-config --libs $PKGS) -o "$BIN"
fi
CORPUS=$ROOT/fuzz/corpus/$TARGET
SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}
echo "== $TARGET: replaying $(ls "$CORPUS" | wc -l) seed inputs"
"$BIN" -runs=0 "$CORPUS"
echo "== $TARGET: fuzzing for $SECONDS_TO_RUN s"
cp "$CORPUS"/* "$SCRATCH"/
"$BIN" -max_total_time="$SECONDS_TO_RUN" -max_len=65536 -timeout=10 -artifact_prefix="$OUT/crash-$TARGET-" \
  -print_final_stats=1 -error_exitcode=1 -timeout_exitcode=1 "$@" "$SCRATCH" 2>&1 | grep -E "^#|stat::|ERROR|SUMMARY|crash|Test unit" | tail -15
exit "${PIPESTATUS[0]}"
