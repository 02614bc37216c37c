// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The talkback pad with nobody connected: webrtclivesink talkback=true,
// started and stopped many times in a row (no peer, signalling on
// loopback). Each time its talkback pad must keep producing silence (no
// EOS, ~100 buffers a second) and the pipeline must stop within a bound.
// Regression: audiomixer's ignore-inactive-pads made the mixer end its
// stream after the first buffer in ~1 start of 6 (docs/webrtcbin-notes.md).
//
// And the Talkback class alone: a consumer that joins after the mixer
// stopped (its downstream answered EOS) leaves in bounded time, in the
// order SinkCore::finish_teardown uses (stop, bin to NULL, detach).
#include <gst/gst.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>

#include "pipeline-helpers.h"
#include "talkback.h"
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

// A consumer joins a mixer whose task has stopped: opusdec's serialized
// ALLOCATION query waits in the mixer for good (aggregator holds it until
// its src task takes it) while the talkback queue's thread holds its src
// pad's stream lock. Stopping the consumer's bin must not wait for it.
void test_leave_after_mixer_stopped() {
  webrtclive::test::Watchdog watchdog("/talkback/leave-after-mixer-stopped", 60);
  GstElement *pipeline = gst_pipeline_new("p");
  GstElement *host = gst_bin_new("host");
  gst_bin_add(GST_BIN(pipeline), host);
  GstCaps *any = gst_caps_new_any();
  GstPadTemplate *templ = gst_pad_template_new("talkback", GST_PAD_SRC, GST_PAD_SOMETIMES, any);
  gst_caps_unref(any);
  std::string error;
  auto talkback = webrtclive::Talkback::create(host, templ, &error);
  gst_object_unref(templ);
  g_assert_nonnull(talkback.get());
  GstElement *out = gst_element_factory_make("fakesink", "out");
  gst_bin_add(GST_BIN(pipeline), out);
  GstPad *talk = gst_element_get_static_pad(host, "talkback");
  GstPad *out_pad = gst_element_get_static_pad(out, "sink");
  g_assert_cmpint(gst_pad_link(talk, out_pad), ==, GST_PAD_LINK_OK);
  // Downstream of the talkback pad answers EOS: the mixer's task stops.
  static std::atomic<int> refused;
  refused = 0;
  gst_pad_add_probe(
      out_pad, GST_PAD_PROBE_TYPE_BUFFER,
      [](GstPad *, GstPadProbeInfo *info, gpointer) {
        refused++;
        GST_PAD_PROBE_INFO_FLOW_RETURN(info) = GST_FLOW_EOS;
        return GST_PAD_PROBE_HANDLED;
      },
      nullptr, nullptr);
  gst_object_unref(out_pad);
  gst_object_unref(talk);
  g_assert_cmpint(gst_element_set_state(pipeline, GST_STATE_PLAYING), !=, GST_STATE_CHANGE_FAILURE);
  for (int i = 0; i < 500 && refused == 0; i++) g_usleep(10 * 1000);
  g_assert_cmpint(refused, >, 0);

  // The consumer: Opus RTP from a tone, into the mixer.
  GstElement *consumer = gst_parse_bin_from_description(
      "audiotestsrc is-live=true wave=sine volume=0.5 ! opusenc ! rtpopuspay name=pay", FALSE, nullptr);
  g_assert_nonnull(consumer);
  gst_bin_add(GST_BIN(host), consumer);  // a sibling of the mixer, as in the sink
  GstElement *pay = gst_bin_get_by_name(GST_BIN(consumer), "pay");
  GstPad *rtp = gst_element_get_static_pad(pay, "src");
  auto input = talkback->attach(consumer, rtp, "c1", &error);
  gst_object_unref(rtp);
  gst_object_unref(pay);
  if (!input) g_error("attach: %s", error.c_str());
  gst_element_sync_state_with_parent(consumer);
  g_usleep(500 * 1000);  // its first buffers reach the talkback queue

  // finish_teardown's order, bounded.
  auto left = std::async(std::launch::async, [&] {
    talkback->stop(input);
    gst_element_set_locked_state(consumer, TRUE);
    gst_element_set_state(consumer, GST_STATE_NULL);
    talkback->detach(input);
  });
  const bool in_time = left.wait_for(std::chrono::seconds(5)) == std::future_status::ready;
  if (!in_time) g_error("the consumer's bin did not stop within 5 s (a query held in the stopped mixer)");
  gst_bin_remove(GST_BIN(host), consumer);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  talkback.reset();
  gst_object_unref(pipeline);
}

}  // namespace

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  g_test_init(&argc, &argv, nullptr);
  load_plugin();
  g_test_add_func("/talkback/flows-and-stops", test_talkback_flows_and_stops);
  g_test_add_func("/talkback/leave-after-mixer-stopped", test_leave_after_mixer_stopped);
  return g_test_run();
}
