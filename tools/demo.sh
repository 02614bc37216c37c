#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The one command that builds and runs the demo on a fresh Debian 12 machine:
# installs what is missing, builds, and streams a test pattern (with a tone)
# to the page it serves. Open the URL it prints in any browser.
#   tools/demo.sh                    # videotestsrc + audiotestsrc on port 8080
#   PORT=9000 tools/demo.sh
#   tools/demo.sh --print-pipeline   # the pipeline only (the e2e test plays it)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD_DIR:-$ROOT/build}
PIPELINE="videotestsrc is-live=true pattern=ball ! video/x-raw,width=1280,height=720,framerate=30/1 !
  timeoverlay ! queue ! webrtclivesink name=sink port=${PORT:-8080} producer-name=demo
  audiotestsrc is-live=true wave=ticks ! queue ! sink."
if [[ "${1:-}" == "--print-pipeline" ]]; then
  echo $PIPELINE
  exit 0
fi
"$ROOT/tools/install-deps.sh"
if [[ ! -f "$BUILD/build.ninja" ]]; then meson setup "$BUILD" "$ROOT"; fi
ninja -C "$BUILD"
export GST_PLUGIN_PATH="$BUILD/plugin${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
# shellcheck disable=SC2086 # the pipeline is meant to be split into words
exec gst-launch-1.0 $PIPELINE
