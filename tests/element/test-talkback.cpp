// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The talkback pad with nobody connected: webrtclivesink talkback=true,
// started and stopped many times in a row (no peer, signalling on
// loopback). Each time its talkback pad must keep producing silence (no
// EOS, ~100 buffers a second) and the pipeline must stop within a bound.
// Regression: audiomixer's ignore-inactive-pads made the mixer end its
// stream after the first buffer in ~1 start of 6 (docs/webrtcbin-notes.md).
#include <gst/gst.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "pipeline-helpers.h"
#include "../stamp/watchdog.h"

using webrtclive::test::by_name;
using webrtclive::test::launch;
using webrtclive::test::load_plugin;

namespace {

constexpr int kRuns = 100;
constexpr unsigned kBuffers = 10;  // 10 ms each: 0.1 s of talkback
constexpr int kFlowMs = 5000;
constexpr long kStopMs = 3000;

struct Out {
  std::mutex mutex;
  std::condition_variable cv;
  unsigned buffers = 0;
  bool eos = false;
};

GstPadProbeReturn on_out(GstPad *, GstPadProbeInfo *info, gpointer data) {
  auto *out = static_cast<Out *>(data);
  {
    std::lock_guard lock(out->mutex);
    if (GST_PAD_PROBE_INFO_TYPE(info) & GST_PAD_PROBE_TYPE_BUFFER)
      out->buffers++;
    else if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) == GST_EVENT_EOS)
      out->eos = true;
  }
  out->cv.notify_all();
  return GST_PAD_PROBE_OK;
}

void test_talkback_flows_and_stops() {
  webrtclive::test::Watchdog watchdog("/talkback/flows-and-stops", 120);
  long slowest_stop_ms = 0;
  for (int run = 0; run < kRuns; run++) {
    GstElement *pipeline = launch(
        "videotestsrc is-live=true ! video/x-raw,width=320,height=240 ! "
        "webrtclivesink name=sink port=0 address=127.0.0.1 talkback=true "
        "audiotestsrc is-live=true wave=silence ! sink. "
        "sink.talkback ! fakesink name=out");
    Out out;
    GstPad *pad = gst_element_get_static_pad(by_name(pipeline, "out"), "sink");
    gst_pad_add_probe(pad, GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM), on_out,
                      &out, nullptr);
    gst_object_unref(pad);
    // As gst-launch does: PAUSED (live: no preroll), then PLAYING at once.
    g_assert_cmpint(gst_element_set_state(pipeline, GST_STATE_PAUSED), !=, GST_STATE_CHANGE_FAILURE);
    g_assert_cmpint(gst_element_set_state(pipeline, GST_STATE_PLAYING), !=, GST_STATE_CHANGE_FAILURE);
    unsigned buffers;
    bool eos;
    {
      std::unique_lock lock(out.mutex);
      out.cv.wait_for(lock, std::chrono::milliseconds(kFlowMs), [&] { return out.eos || out.buffers >= kBuffers; });
      buffers = out.buffers;
      eos = out.eos;
    }
    if (eos || buffers < kBuffers)
      g_test_message("run %d: talkback pad gave %u buffers%s", run, buffers, eos ? ", then EOS" : "");
    g_assert_false(eos);
    g_assert_cmpuint(buffers, >=, kBuffers);

    const auto began = std::chrono::steady_clock::now();
    gst_element_set_state(pipeline, GST_STATE_NULL);
    const long stop_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began).count();
    gst_object_unref(pipeline);
    slowest_stop_ms = std::max(slowest_stop_ms, stop_ms);
    g_assert_cmpint(stop_ms, <=, kStopMs);
  }
  g_test_message("%d starts: the talkback pad flowed every time; slowest stop %ld ms", kRuns, slowest_stop_ms);
}

}  // namespace

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  g_test_init(&argc, &argv, nullptr);
  load_plugin();
  g_test_add_func("/talkback/flows-and-stops", test_talkback_flows_and_stops);
  return g_test_run();
}
