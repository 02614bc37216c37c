#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Watch each viewer's figures on the bus, and act on them.

With stats-interval set, webrtclivesink posts an element message
"webrtclive-stats" per connected consumer at that interval (from the
consumer's webrtcbin get-stats: codec, selected candidate pair, bitrate,
bytes and packets sent, RTT, loss, jitter, NACK/PLI/FIR counts), besides
"webrtclive-consumer-added" and "webrtclive-consumer-removed" (with the
reason). This prints one line per consumer per interval:

    stats consumer-id=... codec=H264 candidate-type=host ... bitrate=1843200 packets-sent=812 ...

and reacts to what it reads:
  --min-bitrate KBPS   warn when a consumer's bitrate is below it
  --kick-after S       remove a consumer S seconds after it connected,
                       with the sink's action signal "remove-consumer"

Run:  GST_PLUGIN_PATH=build/plugin examples/bus-stats.py --port 8080 --min-bitrate 300
then open the printed URL in a browser (or run a webrtclivesrc).
"""
import argparse
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

# The fields of webrtclive-stats, in the order printed.
FIELDS = ["consumer-id", "session-id", "codec", "connected-ms", "address-family", "local-candidate-type",
          "candidate-type", "remote-address", "bitrate", "bytes-sent", "packets-sent", "rtt-ms",
          "fraction-lost", "packets-lost", "jitter-ms", "nack-count", "pli-count", "fir-count",
          "keyframe-requests"]


def field_text(s, name):
    """A field as text: '-' when absent, empty or not known yet (RTT, loss and
    jitter are -1 until the consumer's first receiver report)."""
    if not s.has_field(name):
        return "-"
    value = s.get_value(name)
    if isinstance(value, float):
        return "-" if value < 0 else f"{value + 0.0:.2f}"
    return str(value) if value != "" else "-"


class Watcher:
    def __init__(self, pipeline, sink, args, loop):
        self.pipeline, self.sink, self.args, self.loop = pipeline, sink, args, loop
        self.samples = {}  # consumer-id -> stats messages seen
        self.kicked = set()
        self.code = 0

    def on_message(self, _bus, msg):
        t = msg.type
        if t == Gst.MessageType.ELEMENT:
            s = msg.get_structure()
            name = s.get_name()
            if name == "webrtclive-stats":
                self.on_stats(s)
            elif name == "webrtclive-consumer-added":
                print(f"consumer-added consumer-id={s.get_string('peer-id')} session-id={s.get_string('session-id')}",
                      flush=True)
            elif name == "webrtclive-consumer-removed":
                self.samples.pop(s.get_string("peer-id"), None)
                print(f"consumer-removed consumer-id={s.get_string('peer-id')} "
                      f"session-id={s.get_string('session-id')} reason={s.get_string('reason')!r}", flush=True)
        elif t == Gst.MessageType.WARNING:
            err, _ = msg.parse_warning()
            print(f"warning: {err.message}", flush=True)
        elif t == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            print(f"error from {msg.src.get_name()}: {err.message} ({dbg})", file=sys.stderr, flush=True)
            self.code = 1
            self.loop.quit()
        elif t == Gst.MessageType.EOS:
            self.loop.quit()
        return True

    def on_stats(self, s):
        print("stats " + " ".join(f"{f}={field_text(s, f)}" for f in FIELDS), flush=True)
        peer = s.get_string("consumer-id")
        self.samples[peer] = self.samples.get(peer, 0) + 1
        _, bitrate = s.get_uint("bitrate")  # bit/s since the previous message
        _, connected_ms = s.get_uint64("connected-ms")  # since the consumer asked for the session
        # A consumer's first message has no previous sample, hence bitrate 0: not judged.
        if self.args.min_bitrate and self.samples[peer] > 1 and bitrate < self.args.min_bitrate * 1000:
            print(f"LOW BITRATE consumer-id={peer}: {bitrate / 1000:.0f} kbit/s < {self.args.min_bitrate} kbit/s",
                  flush=True)
        if self.args.kick_after and connected_ms >= self.args.kick_after * 1000 and peer not in self.kicked:
            self.kicked.add(peer)
            removed = self.sink.emit("remove-consumer", peer)
            print(f"kick consumer-id={peer} after {connected_ms / 1000:.1f} s: remove-consumer returned {removed}",
                  flush=True)

    def stop(self, why):
        print(f"{why}: stopping", flush=True)
        self.loop.quit()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8080, help="viewer page and signalling port (0 = a free one)")
    parser.add_argument("--address", default="0.0.0.0", help="address the embedded server listens on")
    parser.add_argument("--ice-addresses", help="local IPs ICE may use (comma-separated; 127.0.0.1 for loopback)")
    parser.add_argument("--interval", type=int, default=1000, help="stats-interval of the sink, ms")
    parser.add_argument("--min-bitrate", type=int, default=0, help="warn below this bitrate, kbit/s (0 = never)")
    parser.add_argument("--kick-after", type=float, default=0,
                        help="remove a consumer this many seconds after it connected (0 = never)")
    parser.add_argument("--video-bitrate", type=int, default=2000, help="the sink's video-bitrate, kbit/s")
    parser.add_argument("--seconds", type=float, default=0, help="stop after this long (0 = until Ctrl-C)")
    args = parser.parse_args()

    Gst.init(None)
    if not Gst.ElementFactory.find("webrtclivesink"):
        sys.exit("webrtclivesink not found: set GST_PLUGIN_PATH to the build's plugin directory")
    ice = f"ice-addresses={args.ice_addresses}" if args.ice_addresses else ""
    pipeline = Gst.parse_launch(
        "videotestsrc is-live=true pattern=ball ! video/x-raw,width=640,height=480,framerate=30/1 ! "
        f"webrtclivesink name=sink port={args.port} address={args.address} {ice} "
        f"stats-interval={args.interval} video-bitrate={args.video_bitrate}")
    sink = pipeline.get_by_name("sink")
    loop = GLib.MainLoop()
    watcher = Watcher(pipeline, sink, args, loop)
    bus = pipeline.get_bus()
    bus.add_watch(GLib.PRIORITY_DEFAULT, watcher.on_message)
    for signum in (signal.SIGINT, signal.SIGTERM):
        GLib.unix_signal_add(GLib.PRIORITY_HIGH, signum,
                             lambda name=signal.Signals(signum).name: watcher.stop(name) or True)

    if pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
        msg = bus.pop_filtered(Gst.MessageType.ERROR)
        print(f"could not start: {msg.parse_error()[0].message if msg else 'see GST_DEBUG'}", file=sys.stderr)
        pipeline.set_state(Gst.State.NULL)
        sys.exit(1)
    print(f"serving on {' '.join(sink.get_property('urls') or [])}", flush=True)
    if args.seconds > 0:
        GLib.timeout_add(int(args.seconds * 1000), lambda: watcher.stop(f"{args.seconds:g} s elapsed") or False)
    loop.run()
    pipeline.set_state(Gst.State.NULL)
    bus.remove_watch()
    sys.exit(watcher.code)


if __name__ == "__main__":
    main()
