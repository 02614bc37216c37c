#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Record a live source to MP4 files while serving it to WebRTC viewers.

    source ! tee ! queue ! webrtclivesink            (viewers: the page at the printed URL)
             tee ! queue ! x264enc ! h264parse ! splitmuxsink  (rec-00000.mp4, rec-00001.mp4, ...)

The source is a live test pattern, or a V4L2 camera with --device. The
recording is cut into files of --segment seconds (splitmuxsink asks the
encoder for a keyframe at each cut). webrtclivesink encodes for its viewers
itself, once per codec they pick, whatever the recording does.

Stops after --seconds, or on Ctrl-C (SIGINT) / SIGTERM: it sends EOS first,
so the last file gets its index and plays; a second Ctrl-C stops at once.

Run:  GST_PLUGIN_PATH=build/plugin examples/record-while-streaming.py --output-dir /tmp/rec
Prints the viewer URLs, then each file as it is closed.
"""
import argparse
import os
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

EOS_GRACE_S = 10  # how long EOS may take to reach every sink before we stop anyway


def build_pipeline(args):
    if args.device:
        source = f"v4l2src device={args.device} ! videoconvert ! videoscale ! videorate"
    else:
        source = "videotestsrc is-live=true pattern=ball"
    caps = f"video/x-raw,width={args.width},height={args.height},framerate={args.fps}/1"
    sink_options = f"port={args.port} address={args.address}"
    if args.ice_addresses:
        sink_options += f" ice-addresses={args.ice_addresses}"
    location = os.path.join(args.output_dir, "rec-%05d.mp4")
    segment_ns = int(args.segment * Gst.SECOND)
    description = (
        f"{source} ! {caps} ! tee name=t "
        # Viewers: leaky, so a slow recording never holds them up (and vice versa).
        f"t. ! queue leaky=downstream max-size-buffers=5 ! webrtclivesink name=viewers {sink_options} "
        # Recording: H.264 in MP4, one file per segment.
        f"t. ! queue max-size-time=2000000000 max-size-buffers=0 max-size-bytes=0 ! videoconvert ! "
        f"x264enc tune=zerolatency speed-preset=ultrafast bitrate={args.bitrate} key-int-max={args.fps * 2} ! "
        f"h264parse ! "
        f"splitmuxsink name=rec location={location} max-size-time={segment_ns} send-keyframe-requests=true"
    )
    return Gst.parse_launch(description)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", help="V4L2 device (e.g. /dev/video0) instead of the test pattern")
    parser.add_argument("--port", type=int, default=8080, help="viewer page and signalling port (0 = a free one)")
    parser.add_argument("--address", default="0.0.0.0", help="address the embedded server listens on")
    parser.add_argument("--ice-addresses", help="local IPs ICE may use (comma-separated; 127.0.0.1 for loopback)")
    parser.add_argument("--output-dir", default=".", help="where the MP4 files go (created if missing)")
    parser.add_argument("--segment", type=float, default=60, help="seconds per file")
    parser.add_argument("--seconds", type=float, default=0, help="stop after this long (0 = until Ctrl-C)")
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=480)
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--bitrate", type=int, default=2000, help="recording bitrate, kbit/s")
    args = parser.parse_args()

    Gst.init(None)
    if not Gst.ElementFactory.find("webrtclivesink"):
        sys.exit("webrtclivesink not found: set GST_PLUGIN_PATH to the build's plugin directory")
    os.makedirs(args.output_dir, exist_ok=True)
    pipeline = build_pipeline(args)
    loop = GLib.MainLoop()
    state = {"stopping": False, "code": 0, "files": 0}

    def stop(why):
        """First call: EOS, so splitmuxsink finalizes the last file. Second: at once."""
        if state["stopping"]:
            print(f"{why} again: stopping without waiting for EOS", flush=True)
            loop.quit()
            return
        state["stopping"] = True
        print(f"{why}: finishing the last file", flush=True)
        pipeline.send_event(Gst.Event.new_eos())

        def eos_late():
            print(f"EOS did not arrive within {EOS_GRACE_S} s; stopping", file=sys.stderr, flush=True)
            state["code"] = 1
            loop.quit()
            return GLib.SOURCE_REMOVE

        GLib.timeout_add_seconds(EOS_GRACE_S, eos_late)

    def on_message(_bus, msg):
        t = msg.type
        if t == Gst.MessageType.EOS:
            loop.quit()
        elif t == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            print(f"error from {msg.src.get_name()}: {err.message} ({dbg})", file=sys.stderr, flush=True)
            state["code"] = 1
            loop.quit()
        elif t == Gst.MessageType.WARNING:
            err, _ = msg.parse_warning()
            print(f"warning from {msg.src.get_name()}: {err.message}", file=sys.stderr, flush=True)
        elif t == Gst.MessageType.ELEMENT:
            s = msg.get_structure()
            if s.get_name() == "splitmuxsink-fragment-closed":
                state["files"] += 1
                print(f"recorded {s.get_string('location')}", flush=True)
            elif s.get_name() in ("webrtclive-consumer-added", "webrtclive-consumer-removed"):
                what = "joined" if s.get_name().endswith("added") else f"left ({s.get_string('reason')})"
                print(f"viewer {s.get_string('peer-id')} {what}", flush=True)
        return True

    bus = pipeline.get_bus()
    bus.add_watch(GLib.PRIORITY_DEFAULT, on_message)
    for signum in (signal.SIGINT, signal.SIGTERM):
        GLib.unix_signal_add(GLib.PRIORITY_HIGH, signum, lambda name=signal.Signals(signum).name: stop(name) or True)

    if pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
        # The reason (e.g. the port is taken) is an ERROR on the bus.
        msg = bus.pop_filtered(Gst.MessageType.ERROR)
        detail = msg.parse_error()[0].message if msg else "see GST_DEBUG"
        print(f"could not start: {detail}", file=sys.stderr)
        pipeline.set_state(Gst.State.NULL)
        sys.exit(1)
    urls = pipeline.get_by_name("viewers").get_property("urls") or []
    print(f"serving on {' '.join(urls)}", flush=True)
    print(f"recording to {os.path.abspath(args.output_dir)}, {args.segment:g} s per file", flush=True)
    if args.seconds > 0:
        GLib.timeout_add(int(args.seconds * 1000), lambda: stop(f"{args.seconds:g} s elapsed") or False)

    loop.run()
    pipeline.set_state(Gst.State.NULL)
    bus.remove_watch()
    print(f"{state['files']} files recorded", flush=True)
    sys.exit(state["code"])


if __name__ == "__main__":
    main()
