#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Runs one of examples/ as a user would and checks what it promises.

    example-checks.py record    EXAMPLES_DIR         record-while-streaming.py
    example-checks.py bus-stats EXAMPLES_DIR         bus-stats.py
    example-checks.py embed     EMBED_SINK_BINARY    embed-sink (C++)

The example runs as its own process on a free port (--port 0, loopback
only); consumers are webrtclivesrc pipelines in this process. The check
fails when an expectation is not met within its deadline, when the example
exits with another code than expected, dies, or logs a GLib CRITICAL or
ERROR; every process it started is stopped (SIGTERM, then SIGKILL) whatever
happens. Exit 0 = pass.
"""
import glob
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

# A CRITICAL in this process (the consumers) aborts it: the test fails.
os.environ["G_DEBUG"] = "fatal-criticals"
import gi  # noqa: E402

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

LOOPBACK = "127.0.0.1"
BAD_LOG = re.compile(r"CRITICAL \*\*|-ERROR \*\*|Trying to dispose element")


T0 = time.monotonic()


class Failed(Exception):
    pass


def log(*args):
    print(f"[{time.monotonic() - T0:6.2f}]", *args, flush=True)


def check(cond, what):
    if not cond:
        raise Failed(what)
    log("ok:", what)


class Example:
    """The example's process: every line it prints kept and echoed."""

    def __init__(self, argv):
        log("starting", " ".join(argv))
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
        self.lines = []  # stdout
        self.errors = []  # stderr
        self.new = queue.Queue()
        self.lock = threading.Lock()
        self.readers = [threading.Thread(target=self._read, args=(self.proc.stdout, self.lines, "out"), daemon=True),
                        threading.Thread(target=self._read, args=(self.proc.stderr, self.errors, "err"), daemon=True)]
        for r in self.readers:
            r.start()

    def _read(self, stream, into, tag):
        for line in stream:
            line = line.rstrip("\n")
            with self.lock:
                into.append(line)
            print(f"  example {tag}| {line}", flush=True)

    def match(self, pattern):
        with self.lock:
            return [m for m in (re.search(pattern, line) for line in self.lines) if m]

    def wait_line(self, pattern, timeout, what=None):
        """The first stdout line matching pattern (a re.Match)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.match(pattern)
            if found:
                return found[0]
            self.check_alive()
            pump(0.05)
        raise Failed(f"{what or pattern!r} not printed within {timeout} s")

    def check_alive(self):
        if self.proc.poll() is not None:
            raise Failed(f"the example exited early with {self.proc.returncode}")

    def check_log(self):
        with self.lock:
            bad = [line for line in self.errors + self.lines if BAD_LOG.search(line)]
        check(not bad, f"the example logged no GLib CRITICAL/ERROR {bad[:3]}")

    def wait_exit(self, timeout, expect=0):
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise Failed(f"the example did not exit within {timeout} s")
        for r in self.readers:
            r.join(5)
        if code < 0:
            raise Failed(f"the example died of signal {signal.Signals(-code).name}")
        check(code == expect, f"the example exited with {expect} (got {code})")

    def stop(self, sig=signal.SIGINT, timeout=10, expect=0):
        """A clean stop, as asked: exits `expect` within `timeout` after `sig`."""
        self.check_alive()
        log(f"sending {sig.name} to the example")
        self.proc.send_signal(sig)
        self.wait_exit(timeout, expect)

    def kill(self):
        """Whatever happened: never leave it behind."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            log("example stopped by the test's cleanup")

    def port(self):
        m = self.wait_line(r"serving on .*http://127\.0\.0\.1:(\d+)/", 15, "serving on URL")
        return int(m.group(1))


class Consumer:
    """webrtclivesrc decoding the video of the producer at ws://127.0.0.1:PORT/ws."""

    def __init__(self, port, name):
        self.name = name
        self.frames = 0
        self.caps = None
        self.messages = []  # (type, structure name or text)
        self.pipeline = Gst.parse_launch(
            f"webrtclivesrc name=src server=ws://{LOOPBACK}:{port}/ws ice-addresses={LOOPBACK} on-producer-lost=eos "
            "src.video_0 ! fakesink name=count sync=false")
        pad = self.pipeline.get_by_name("count").get_static_pad("sink")
        pad.add_probe(Gst.PadProbeType.BUFFER, self._on_frame)
        self.bus = self.pipeline.get_bus()
        CONSUMERS.append(self)
        check(self.pipeline.set_state(Gst.State.PLAYING) != Gst.StateChangeReturn.FAILURE,
              f"consumer {name} started")

    def _on_frame(self, pad, _info):
        if self.frames == 0:
            caps = pad.get_current_caps()
            self.caps = caps.to_string() if caps else None
        self.frames += 1
        return Gst.PadProbeReturn.OK

    def poll(self):
        while True:
            msg = self.bus.pop()
            if not msg:
                return
            if msg.type == Gst.MessageType.ELEMENT:
                s = msg.get_structure()
                log(f"consumer {self.name}: {s.to_string()}")
                self.messages.append(("element", s.get_name()))
            elif msg.type == Gst.MessageType.WARNING:
                text = msg.parse_warning()[0].message
                log(f"consumer {self.name} warning: {text}")
                self.messages.append(("warning", text))
            elif msg.type == Gst.MessageType.ERROR:
                err, dbg = msg.parse_error()
                raise Failed(f"consumer {self.name} error: {err.message} ({dbg})")
            elif msg.type == Gst.MessageType.EOS:
                log(f"consumer {self.name}: EOS after {self.frames} frames")
                self.messages.append(("eos", None))

    def has(self, kind, name=None):
        return any(k == kind and (name is None or n == name) for k, n in self.messages)

    def wait_frames(self, n, timeout):
        until(lambda: self.frames >= n, timeout, f"consumer {self.name} decoded {n} frames")
        check(self.caps and self.caps.startswith("video/x-raw"), f"consumer {self.name} decoded video: {self.caps}")

    def stop(self):
        if self.pipeline:
            self.pipeline.set_state(Gst.State.NULL)
            self.pipeline = None


CONSUMERS = []


def pump(seconds):
    for c in CONSUMERS:
        if c.pipeline:
            c.poll()
    time.sleep(seconds)


def until(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            log("ok:", what)
            return
        pump(0.05)
    raise Failed(f"not within {timeout} s: {what}")


def python_example(examples_dir, script, *args):
    return [sys.executable, os.path.join(examples_dir, script), "--port", "0", "--address", LOOPBACK,
            "--ice-addresses", LOOPBACK, *args]


# ---- the checks ----------------------------------------------------------------------

def record(examples_dir):
    """Recording and viewers at once; the files play; the stop finalizes the last one."""
    out = tempfile.mkdtemp(prefix="webrtclive-record-")
    try:
        ex = Example(python_example(examples_dir, "record-while-streaming.py", "--output-dir", out,
                                    "--segment", "2", "--seconds", "8", "--width", "320", "--height", "240"))
        EXAMPLES.append(ex)
        viewer = Consumer(ex.port(), "viewer")
        viewer.wait_frames(30, 7)
        check(not ex.match(r"s elapsed"), "the viewer had its 30 frames while the example was recording")
        viewer.stop()
        ex.wait_line(r"s elapsed: finishing the last file", 10)
        ex.wait_exit(15, 0)
        ex.check_log()
        printed = [m.group(1) for m in ex.match(r"^recorded (.*)$")]
        files = sorted(glob.glob(os.path.join(out, "*.mp4")))
        log("files:", ", ".join(f"{os.path.basename(f)} ({os.path.getsize(f)} B)" for f in files))
        check(len(files) >= 2, f"at least 2 files of 2 s in 8 s ({len(files)})")
        check(sorted(printed) == files, "the example printed each file it closed")
        total = 0
        for f in files:
            frames = decode_file(f)
            check(frames >= 1, f"{os.path.basename(f)} plays: {frames} frames decoded")
            total += frames
        # 8 s at 30 fps, less what starting up takes.
        check(total >= 90, f"the files hold at least 3 s of video ({total} frames)")
    finally:
        shutil.rmtree(out, ignore_errors=True)


def decode_file(path):
    pipe = Gst.parse_launch("filesrc name=f ! qtdemux ! h264parse ! avdec_h264 ! fakesink name=count")
    pipe.get_by_name("f").set_property("location", path)
    frames = [0]

    def count(_pad, _info):
        frames[0] += 1
        return Gst.PadProbeReturn.OK

    pipe.get_by_name("count").get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, count)
    pipe.set_state(Gst.State.PLAYING)
    msg = pipe.get_bus().timed_pop_filtered(10 * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
    pipe.set_state(Gst.State.NULL)
    if msg is None:
        raise Failed(f"{path}: no EOS within 10 s")
    if msg.type == Gst.MessageType.ERROR:
        raise Failed(f"{path} does not play: {msg.parse_error()[0].message}")
    return frames[0]


def stats_fields(line):
    return dict(kv.split("=", 1) for kv in line.split(" ")[1:] if "=" in kv)


def bus_stats(examples_dir):
    """One line per consumer per second, figures that move, reactions to them."""
    ex = Example(python_example(examples_dir, "bus-stats.py", "--interval", "1000",
                                # far above what a test pattern needs: every line after the first warns
                                "--min-bitrate", "100000", "--kick-after", "5"))
    EXAMPLES.append(ex)
    viewer = Consumer(ex.port(), "viewer")
    peer = ex.wait_line(r"^consumer-added consumer-id=(\S+)", 10, "consumer-added").group(1)
    viewer.wait_frames(30, 10)
    until(lambda: len(ex.match(rf"^stats consumer-id={re.escape(peer)} ")) >= 3, 10,
          "3 webrtclive-stats lines for the consumer")
    kicked = ex.wait_line(rf"^kick consumer-id={re.escape(peer)} after .*: remove-consumer returned (\w+)", 15,
                          "the kick after 5 s")
    check(kicked.group(1) == "True", "remove-consumer returned TRUE")
    removed = ex.wait_line(rf"^consumer-removed consumer-id={re.escape(peer)} .*reason='(.*)'$", 10, "consumer-removed")
    check("removed by the application" in removed.group(1), f"removed for the kick: {removed.group(1)}")
    until(lambda: viewer.has("eos"), 10, "the kicked consumer's stream ended (on-producer-lost=eos)")
    stats = [stats_fields(m.group(0)) for m in ex.match(r"^stats .*")]
    mine = [s for s in stats if s.get("consumer-id") == peer]
    log(f"{len(mine)} stats lines for {peer}")
    check(len(stats) == len(mine), "stats lines only for the one consumer")
    check(len([s for s in mine if int(s["bitrate"]) > 0]) >= 3, "at least 3 stats lines with bitrate > 0")
    packets = [int(s["packets-sent"]) for s in mine]
    check(all(b > a for a, b in zip(packets, packets[1:])), f"packets-sent increases: {packets}")
    check(all(int(s["bytes-sent"]) > 0 for s in mine), "bytes-sent > 0")
    check(all(s["candidate-type"] == "host" and s["local-candidate-type"] == "host" for s in mine),
          "the selected pair is host/host")
    check(all(s["remote-address"].startswith(LOOPBACK + ":") and s["address-family"] == "ipv4" for s in mine),
          "the consumer is at 127.0.0.1 (ipv4)")
    check(all(s["codec"] == "H264" for s in mine), "codec H264 (the sink's first choice)")
    ms = [int(s["connected-ms"]) for s in mine]
    gaps = [b - a for a, b in zip(ms, ms[1:])]
    check(all(700 <= g <= 1500 for g in gaps), f"one line a second (connected-ms steps {gaps})")
    check(len(ex.match(rf"^LOW BITRATE consumer-id={re.escape(peer)}: ")) == len(mine) - 1,
          "--min-bitrate warned on every line but the first (which has no bitrate yet)")
    viewer.stop()
    ex.stop(signal.SIGINT)
    ex.check_log()


def embed(binary):
    """Two consumers; each kicked 4 s after it joined; the other one keeps going."""
    ex = Example([binary, "--port", "0", "--address", LOOPBACK, "--ice-addresses", LOOPBACK, "--kick-after", "4"])
    EXAMPLES.append(ex)
    port = ex.port()
    first = Consumer(port, "first")
    first.wait_frames(30, 10)
    second = Consumer(port, "second")
    second.wait_frames(30, 10)
    added = [m.group(1) for m in ex.match(r"^consumer-added (\S+) \(")]
    check(len(added) == 2 and added[0] != added[1], f"consumer-added printed for two peers: {added}")
    until(lambda: first.has("eos"), 15, "the first consumer's stream ended after its kick")
    check(first.has("element", "webrtclive-producer-lost"), "the first consumer posted webrtclive-producer-lost")
    # The sink's reason reaches the kicked consumer (signalling v1.1).
    check(any(k == "warning" and "removed by the application" in (n or "") for k, n in first.messages),
          f"the kicked consumer was told why: {[n for k, n in first.messages if k == 'warning']}")
    check(not second.has("eos"), "the second consumer is still on when the first is kicked")
    at_kick = second.frames
    second.wait_frames(at_kick + 15, 5)
    until(lambda: second.has("eos"), 15, "the second consumer's stream ended after its kick")
    for peer in added:
        p = re.escape(peer)
        check(ex.match(rf"^kicked {p}: remove-consumer returned TRUE$"), f"{peer} kicked, remove-consumer TRUE")
        check(ex.match(rf"^consumer-removed {p} \("), f"consumer-removed for {peer}")
        check(ex.match(rf"^consumer {p} ended: removed by the application$"), f"{peer} ended, with the reason")
    order = [i for i, line in enumerate(ex.lines) if added[0] in line]
    check([ex.lines[i].split(" ")[0] for i in order][:2] == ["consumer-added", "kicked"],
          "the first consumer was added, then kicked")
    for c in (first, second):
        c.stop()
    ex.stop(signal.SIGINT)
    check(ex.match(r"^stopped$"), "the example stopped cleanly")
    ex.check_log()


EXAMPLES = []


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("record", "bus-stats", "embed"):
        sys.exit(__doc__)
    Gst.init(None)
    for factory in ("webrtclivesrc", "avdec_h264", "qtdemux", "h264parse"):
        if not Gst.ElementFactory.find(factory):
            sys.exit(f"FAILED: element {factory} not found (GST_PLUGIN_PATH, gstreamer1.0-libav, -good, -bad)")
    what, arg = sys.argv[1], sys.argv[2]
    try:
        {"record": record, "bus-stats": bus_stats, "embed": embed}[what](arg)
    except Failed as e:
        log(f"FAILED: {e}")
        return 1
    finally:
        for c in CONSUMERS:
            c.stop()
        for ex in EXAMPLES:
            ex.kill()
    log("PASSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
