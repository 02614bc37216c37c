#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A custom signaller for webrtclivesink, written in Python.

webrtclivesink does its signalling through a GstWebRTCLiveSignallable. The
plugin's GstWebRTCLiveAppSignaller turns that interface into GObject
signals, so any language with GObject bindings can implement signalling:

  element -> application: "start", "stop", "send-sdp", "send-ice", "end-session"
  application -> element: emit "session-requested", "session-description",
                           "handle-ice", "session-ended", "error"

Here the "remote" peer is a plain webrtcbin in the same process (a direct
signaller, as tests use): SDP and ICE are handed over in memory. A real
application would carry the same calls over MQTT, HTTP, a serial line...

Run:  GST_PLUGIN_PATH=build/plugin examples/custom-signaller.py [--frames N]
Prints the frames the receiver decoded, exits 0 after N of them.
"""
import argparse
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstWebRTC", "1.0")
gi.require_version("GstSdp", "1.0")
from gi.repository import GLib, GObject, Gst, GstSdp, GstWebRTC  # noqa: E402

SESSION = "python-session-1"


class Receiver:
    """A hand-made consumer: webrtcbin, answering offers, decoding video."""

    def __init__(self, signaller, loop, frames_wanted):
        self.signaller = signaller
        self.loop = loop
        self.frames = 0
        self.frames_wanted = frames_wanted
        self.pipe = Gst.Pipeline.new("receiver")
        self.webrtc = Gst.ElementFactory.make("webrtcbin", "recv")
        self.webrtc.set_property("bundle-policy", GstWebRTC.WebRTCBundlePolicy.MAX_BUNDLE)
        self.pipe.add(self.webrtc)
        # libnice gathers no loopback candidates by itself; keep a reference
        # to the agent for the pipeline's lifetime.
        self.agent = self.webrtc.get_property("ice-agent")
        self.agent.emit("add-local-ip-address", "127.0.0.1")
        self.webrtc.connect("on-ice-candidate", self.on_local_candidate)
        self.webrtc.connect("pad-added", self.on_pad_added)
        self.pipe.set_state(Gst.State.PLAYING)

    # element -> us
    def on_offer(self, sdp_text):
        _, msg = GstSdp.SDPMessage.new_from_text(sdp_text)
        offer = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.OFFER, msg)
        promise = Gst.Promise.new_with_change_func(self.on_remote_set, None)
        self.webrtc.emit("set-remote-description", offer, promise)

    def on_remote_set(self, promise, _):
        reply = promise.get_reply()
        if reply and reply.has_field("error"):
            print(f"webrtcbin refused the offer: {reply.to_string()}", file=sys.stderr)
        promise = Gst.Promise.new_with_change_func(self.on_answer_created, None)
        self.webrtc.emit("create-answer", None, promise)

    def on_answer_created(self, promise, _):
        reply = promise.get_reply()
        answer = reply.get_value("answer") if reply else None
        if answer is None:
            print(f"webrtcbin could not answer: {reply.to_string() if reply else 'no reply'}", file=sys.stderr)
            GLib.idle_add(self.loop.quit)
            return
        self.webrtc.emit("set-local-description", answer, None)
        # us -> element: the consumer's answer
        self.signaller.emit("session-description", SESSION, "answer", answer.sdp.as_text())

    def add_candidate(self, mline, candidate):
        self.webrtc.emit("add-ice-candidate", mline, candidate)

    def on_local_candidate(self, _webrtc, mline, candidate):
        self.signaller.emit("handle-ice", SESSION, mline, candidate)

    def on_pad_added(self, _webrtc, pad):
        if pad.get_direction() != Gst.PadDirection.SRC:
            return
        # The sender was asked for VP8 (video-codecs=vp8).
        decode = Gst.parse_bin_from_description("rtpvp8depay ! vp8dec ! fakesink name=out", True)
        self.pipe.add(decode)
        decode.sync_state_with_parent()
        if pad.link(decode.get_static_pad("sink")) != Gst.PadLinkReturn.OK:
            print("could not link the received stream", file=sys.stderr)
        decode.get_by_name("out").get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, self.on_frame)

    def on_frame(self, _pad, _info):
        self.frames += 1
        if self.frames % 30 == 0 or self.frames == self.frames_wanted:
            print(f"received {self.frames} frames", flush=True)
        if self.frames == self.frames_wanted:
            GLib.idle_add(self.loop.quit)
        return Gst.PadProbeReturn.OK


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=60, help="exit after this many decoded frames")
    parser.add_argument("--timeout", type=int, default=30, help="give up after this many seconds")
    args = parser.parse_args()

    Gst.init(None)
    if not Gst.ElementFactory.find("webrtclivesink"):
        sys.exit("webrtclivesink not found: set GST_PLUGIN_PATH to the build's plugin directory")
    sender = Gst.parse_launch(
        "videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=30/1 ! "
        "webrtclivesink name=sink ice-addresses=127.0.0.1 video-codecs=vp8")
    sink = sender.get_by_name("sink")

    # The plugin is loaded now, so its types exist.
    signaller = GObject.new(GObject.type_from_name("GstWebRTCLiveAppSignaller"))
    sink.set_property("signaller", signaller)

    loop = GLib.MainLoop()
    receiver = Receiver(signaller, loop, args.frames)

    def on_start(sig, meta_json):
        print(f"element started signalling as producer {meta_json}", flush=True)
        # A consumer wants to watch: the element creates its offer.
        sig.emit("session-requested", SESSION, "python-consumer", None)

    def on_send_sdp(_sig, session_id, sdp_type, sdp):
        assert session_id == SESSION and sdp_type == "offer"
        GLib.idle_add(receiver.on_offer, sdp)

    def on_send_ice(_sig, session_id, mline, candidate):
        GLib.idle_add(receiver.add_candidate, mline, candidate)

    def on_end_session(_sig, session_id, reason):
        print(f"element ended {session_id}: {reason}", flush=True)

    signaller.connect("start", on_start)
    signaller.connect("send-sdp", on_send_sdp)
    signaller.connect("send-ice", on_send_ice)
    signaller.connect("end-session", on_end_session)

    bus = sender.get_bus()
    bus.add_signal_watch()

    def on_error(_bus, msg):
        err, dbg = msg.parse_error()
        print(f"error: {err.message} ({dbg})", file=sys.stderr)
        loop.quit()

    bus.connect("message::error", on_error)
    sender.set_state(Gst.State.PLAYING)
    GLib.timeout_add_seconds(args.timeout, lambda: (print("timed out", file=sys.stderr), loop.quit()))
    loop.run()
    sender.set_state(Gst.State.NULL)
    receiver.pipe.set_state(Gst.State.NULL)
    ok = receiver.frames >= args.frames
    print(f"{'OK' if ok else 'FAILED'}: {receiver.frames} frames decoded through the Python signaller")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
