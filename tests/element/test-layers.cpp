// SPDX-License-Identifier: LGPL-2.1-or-later
//
// webrtclivesink's layer ladder (issue 15) in one process: a sink with a
// three-layer ladder and two webrtclivesrc viewers over loopback. TWCC is
// negotiated both ways (the src answers it) and is what each viewer's
// estimate comes from; set-layer moves one viewer between layers at the
// layer's next keyframe — the viewer decodes the new size, no frame gap, no
// timestamp going back — while the other stays on the top layer; encoders
// follow the layers in use, not the viewers; released, the viewer climbs
// back by itself over a clean link.
#include <gst/gst.h>
#include <gst/video/video.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "pipeline-helpers.h"
#include "../stamp/watchdog.h"

using namespace webrtclive;
using namespace webrtclive::test;

namespace {

// One viewer: decoded frames counted at its fakesink, their width, the
// longest wall-clock gap and whether a running time ever went back.
struct Viewer {
  std::mutex mutex;
  std::condition_variable cv;
  unsigned frames = 0;
  int width = 0;
  std::map<int, unsigned> frames_at;  // width -> frames
  gint64 last_us = 0, longest_gap_us = 0;
  GstClockTime last_rt = GST_CLOCK_TIME_NONE;
  unsigned backwards = 0;

  template <typename Pred>
  bool wait(int ms, Pred pred) {
    std::unique_lock lock(mutex);
    return cv.wait_for(lock, std::chrono::milliseconds(ms), [&] { return pred(); });
  }
  void gap_reset() {
    std::lock_guard lock(mutex);
    longest_gap_us = 0;
  }
};

void watch_viewer(GstElement *sink, Viewer *v) {
  GstPad *pad = gst_element_get_static_pad(sink, "sink");
  gst_pad_add_probe(
      pad, GST_PAD_PROBE_TYPE_BUFFER,
      [](GstPad *p, GstPadProbeInfo *info, gpointer data) {
        auto *v = static_cast<Viewer *>(data);
        GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
        GstCaps *caps = gst_pad_get_current_caps(p);
        int w = 0;
        if (caps) gst_structure_get_int(gst_caps_get_structure(caps, 0), "width", &w);
        GstEvent *seg_ev = gst_pad_get_sticky_event(p, GST_EVENT_SEGMENT, 0);
        GstClockTime rt = GST_CLOCK_TIME_NONE;
        if (seg_ev) {
          const GstSegment *seg = nullptr;
          gst_event_parse_segment(seg_ev, &seg);
          rt = gst_segment_to_running_time(seg, GST_FORMAT_TIME, GST_BUFFER_PTS(buf));
          gst_event_unref(seg_ev);
        }
        const gint64 now = g_get_monotonic_time();
        {
          std::lock_guard lock(v->mutex);
          v->frames++;
          v->width = w;
          v->frames_at[w]++;
          if (v->last_us) v->longest_gap_us = std::max(v->longest_gap_us, now - v->last_us);
          v->last_us = now;
          if (GST_CLOCK_TIME_IS_VALID(rt) && GST_CLOCK_TIME_IS_VALID(v->last_rt) && rt < v->last_rt) v->backwards++;
          if (GST_CLOCK_TIME_IS_VALID(rt)) v->last_rt = rt;
        }
        v->cv.notify_all();
        if (caps) gst_caps_unref(caps);
        return GST_PAD_PROBE_OK;
      },
      v, nullptr);
  gst_object_unref(pad);
}

// What the sink's bus says about consumers: peers in join order, their
// last stats and every layer switch.
struct SinkBus {
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<std::string> peers;
  std::map<std::string, std::string> source;  // peer -> layer-source
  std::map<std::string, unsigned> estimate;   // peer -> estimate-kbps
  std::map<std::string, guint64> dropped;     // peer -> keyframe-requests-dropped
  std::map<std::string, guint> plis;          // peer -> pli-count
  struct Switch {
    std::string peer, reason;
    unsigned from, to, width;
  };
  std::vector<Switch> switches;

  template <typename Pred>
  bool wait(int ms, Pred pred) {
    std::unique_lock lock(mutex);
    return cv.wait_for(lock, std::chrono::milliseconds(ms), [&] { return pred(); });
  }
};

GstBusSyncReply on_sink_message(GstBus *, GstMessage *m, gpointer data) {
  auto *b = static_cast<SinkBus *>(data);
  fail_on_problem(m);
  const GstStructure *s = gst_message_get_structure(m);
  if (GST_MESSAGE_TYPE(m) != GST_MESSAGE_ELEMENT || !s) return GST_BUS_DROP;
  std::lock_guard lock(b->mutex);
  if (gst_structure_has_name(s, "webrtclive-stats") && gst_structure_has_field(s, "layer-source")) {
    std::string peer = gst_structure_get_string(s, "consumer-id");
    b->source[peer] = gst_structure_get_string(s, "layer-source");
    guint kbps = 0;
    gst_structure_get_uint(s, "estimate-kbps", &kbps);
    b->estimate[peer] = kbps;
    guint64 dropped = 0;
    gst_structure_get_uint64(s, "keyframe-requests-dropped", &dropped);
    b->dropped[peer] = dropped;
    guint plis = 0;
    gst_structure_get_uint(s, "pli-count", &plis);
    b->plis[peer] = plis;
  } else if (gst_structure_has_name(s, "webrtclive-layer-switched")) {
    SinkBus::Switch sw;
    sw.peer = gst_structure_get_string(s, "peer-id");
    sw.reason = gst_structure_get_string(s, "reason");
    gst_structure_get_uint(s, "from", &sw.from);
    gst_structure_get_uint(s, "to", &sw.to);
    gst_structure_get_uint(s, "width", &sw.width);
    b->switches.push_back(sw);
  }
  b->cv.notify_all();
  return GST_BUS_DROP;
}

gboolean set_layer(GstElement *sink, const std::string &peer, int layer) {
  gboolean ok = FALSE;
  g_signal_emit_by_name(sink, "set-layer", peer.c_str(), layer, &ok);
  return ok;
}

void test_ladder() {
  test::Watchdog dog("layers", 100);
  GstElement *tx = launch(
      "videotestsrc is-live=true pattern=ball ! video/x-raw,width=640,height=360,framerate=30/1 ! "
      "webrtclivesink name=s port=0 address=127.0.0.1 ice-addresses=127.0.0.1 video-codecs=h264 "
      "video-layers=640x360@1200,320x180@400,160x90@150 stats-interval=500 layer-up-after=1000 "
      "layer-min-dwell=500");
  GstElement *sink = by_name(tx, "s");
  SinkBus bus;
  g_signal_connect(sink, "consumer-added", G_CALLBACK(+[](GstElement *, const char *peer, GstElement *, SinkBus *b) {
                     std::lock_guard lock(b->mutex);
                     b->peers.push_back(peer);
                     b->cv.notify_all();
                   }),
                   &bus);
  GstBus *gbus = gst_element_get_bus(tx);
  gst_bus_set_sync_handler(gbus, on_sink_message, &bus, nullptr);
  gst_object_unref(gbus);
  gst_element_set_state(tx, GST_STATE_PLAYING);
  const std::string url = ws_url_of(sink);

  // Viewer 1 first, then viewer 2 (so the join order names them).
  Viewer v1, v2;
  auto viewer = [&](Viewer *v) {
    GstElement *rx = launch("webrtclivesrc ice-addresses=127.0.0.1 server=" + url +
                            " ! fakesink name=f sync=false async=false");
    watch_viewer(by_name(rx, "f"), v);
    gst_element_set_state(rx, GST_STATE_PLAYING);
    return rx;
  };
  GstElement *rx1 = viewer(&v1);
  g_assert_true(bus.wait(10000, [&] { return bus.peers.size() == 1; }));
  GstElement *rx2 = viewer(&v2);
  g_assert_true(bus.wait(10000, [&] { return bus.peers.size() == 2; }));
  const std::string p1 = bus.peers[0], p2 = bus.peers[1];
  g_assert_true(v1.wait(15000, [&] { return v1.frames >= 30 && v1.width == 640; }));
  g_assert_true(v2.wait(15000, [&] { return v2.frames >= 30 && v2.width == 640; }));

  // Both estimates come from TWCC feedback (the src answered the extmap).
  g_assert_true(bus.wait(10000, [&] {
    return bus.source[p1] == "twcc" && bus.source[p2] == "twcc" && bus.estimate[p1] > 0 && bus.estimate[p2] > 0;
  }));
  g_test_message("TWCC estimates: viewer 1 %u kbit/s, viewer 2 %u kbit/s", bus.estimate[p1], bus.estimate[p2]);
  g_assert_cmpuint(sink_stat(sink, "encoders"), ==, 1);  // two viewers, one layer in use

  // A lossy viewer asks for keyframes all the time: its PLIs reach its
  // layer's encoder at most once per consumer-keyframe-interval (1 s), the
  // rest are dropped and counted; viewer 1, on the same encoder, is spared.
  {
    GstPad *out = gst_element_get_static_pad(by_name(rx2, "f"), "sink");
    const guint64 forced_before = sink_stat(sink, "keyframes-forced");
    const gint64 t0 = g_get_monotonic_time();
    for (int i = 0; i < 40; i++) {  // 20 a second for 2 s
      gst_pad_push_event(out, gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, i));
      g_usleep(50 * 1000);
    }
    g_assert_true(bus.wait(5000, [&] { return bus.dropped[p2] > 0; }));
    const guint64 forced = sink_stat(sink, "keyframes-forced") - forced_before;
    g_test_message("40 keyframe requests of viewer 2 in %.1f s: %u PLIs seen by the sink, %" G_GUINT64_FORMAT
                   " dropped, %" G_GUINT64_FORMAT " keyframes forced",
                   (g_get_monotonic_time() - t0) / 1e6, bus.plis[p2], bus.dropped[p2], forced);
    g_assert_cmpuint(forced, <=, 4);
    g_assert_cmpuint(bus.dropped[p1], ==, 0);
    gst_object_unref(out);
  }

  // Refused: no such layer, no such consumer.
  g_assert_false(set_layer(sink, p2, 3));
  g_assert_false(set_layer(sink, p2, -2));
  g_assert_false(set_layer(sink, "nobody", 0));

  // Viewer 2 to the bottom layer: it decodes 160x90 at that layer's next
  // keyframe; viewer 1 stays at 640x360 and keeps flowing.
  v2.gap_reset();
  unsigned v1_before;
  {
    std::lock_guard lock(v1.mutex);
    v1_before = v1.frames;
  }
  gint64 t = g_get_monotonic_time();
  g_assert_true(set_layer(sink, p2, 2));
  g_assert_true(v2.wait(5000, [&] { return v2.width == 160 && v2.frames_at[160] >= 15; }));
  g_test_message("viewer 2 decodes 160x90 %.0f ms after set-layer 2", (g_get_monotonic_time() - t) / 1e3);
  g_assert_true(bus.wait(2000, [&] {
    return std::any_of(bus.switches.begin(), bus.switches.end(), [&](const SinkBus::Switch &s) {
      return s.peer == p2 && s.from == 0 && s.to == 2 && s.width == 160 && s.reason == "forced";
    });
  }));
  g_assert_true(v1.wait(5000, [&] { return v1.frames >= v1_before + 30; }));
  {
    std::lock_guard lock(v1.mutex);
    g_assert_cmpint(v1.width, ==, 640);
    g_assert_cmpuint(v1.frames_at.size(), ==, 1);
  }
  g_assert_cmpuint(sink_stat(sink, "encoders"), ==, 2);

  // The middle layer, and viewer 1 to the bottom one too: three layers
  // in use by two viewers make three encoders, the same one shared.
  g_assert_true(set_layer(sink, p2, 1));
  g_assert_true(v2.wait(5000, [&] { return v2.width == 320 && v2.frames_at[320] >= 15; }));
  g_assert_true(set_layer(sink, p1, 2));
  g_assert_true(v1.wait(5000, [&] { return v1.width == 160 && v1.frames_at[160] >= 15; }));
  g_assert_cmpuint(sink_stat(sink, "encoders"), ==, 3);
  {
    std::lock_guard lock(v2.mutex);
    g_test_message("viewer 2: longest gap between decoded frames across two switches %.0f ms",
                   v2.longest_gap_us / 1e3);
    g_assert_cmpint(v2.longest_gap_us, <, 500000);
    g_assert_cmpuint(v2.backwards, ==, 0);
  }

  // Released, viewer 2 climbs back to the top over a clean link
  // (layer-up-after=1000 ms here), by trial.
  t = g_get_monotonic_time();
  g_assert_true(set_layer(sink, p2, -1));
  g_assert_true(v2.wait(15000, [&] { return v2.width == 640; }));
  g_test_message("viewer 2 back on 640x360 %.1f s after release", (g_get_monotonic_time() - t) / 1e6);
  g_assert_true(bus.wait(2000, [&] {
    return std::any_of(bus.switches.begin(), bus.switches.end(), [&](const SinkBus::Switch &s) {
      return s.peer == p2 && s.to == 0 && s.reason == "clean-trial";
    });
  }));
  {
    std::lock_guard lock(v1.mutex);
    g_assert_cmpint(v1.width, ==, 160);  // still held where set-layer put it
    g_assert_cmpuint(v1.backwards, ==, 0);
  }
  {
    std::lock_guard lock(v2.mutex);
    g_assert_cmpuint(v2.backwards, ==, 0);
  }
  gbus = gst_element_get_bus(tx);
  gst_bus_set_sync_handler(gbus, nullptr, nullptr, nullptr);
  gst_object_unref(gbus);
  stop_all({rx1, rx2, tx});
}

}  // namespace

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  g_test_init(&argc, &argv, nullptr);
  load_plugin();
  g_test_add_func("/layers/ladder-set-layer-and-climb", test_ladder);
  return g_test_run();
}
