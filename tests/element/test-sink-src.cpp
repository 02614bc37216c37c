// SPDX-License-Identifier: LGPL-2.1-or-later
//
// webrtclivesink and webrtclivesrc in one process, joined by a direct
// signaller (tests/element/direct-signaller.h): no server, no browser, real
// webrtcbins over loopback. The model for element-level tests: most
// behaviour is provable here in seconds.
#include <gst/gst.h>
#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>
#include <json-glib/json-glib.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <string>

#include "control-loop.h"
#include "direct-signaller.h"
#include "pipeline-helpers.h"
#include "session.h"
#include "../stamp/watchdog.h"

using namespace webrtclive;
using namespace webrtclive::test;

namespace {

const char *kSink =
    "videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=30/1 ! "
    "webrtclivesink name=sink ice-addresses=127.0.0.1 video-codecs=vp8 ";

void test_video_and_audio_arrive() {
  test::Watchdog dog("sink-src", 60);
  GstElement *sending = launch(std::string(kSink) + "audiotestsrc is-live=true ! sink.");
  GstElement *receiving = gst_pipeline_new("receiving");
  GstElement *src = gst_element_factory_make("webrtclivesrc", "src");
  g_object_set(src, "ice-addresses", "127.0.0.1", nullptr);
  gst_bin_add(GST_BIN(receiving), src);
  test::DirectSignaller direct;
  g_object_set(by_name(sending, "sink"), "signaller", direct.producer(), nullptr);
  g_object_set(by_name(receiving, "src"), "signaller", direct.consumer(), nullptr);
  watch_bus(sending);
  watch_bus(receiving);
  Received rx;
  count_src_pads(receiving, by_name(receiving, "src"), &rx);
  const gint64 t0 = g_get_monotonic_time();
  gst_element_set_state(receiving, GST_STATE_PLAYING);
  gst_element_set_state(sending, GST_STATE_PLAYING);
  g_assert_true(rx.wait_for("video_0", 30, 15000));
  g_assert_true(rx.wait_for("audio_0", 30, 15000));
  g_test_message("30 video and 30 audio buffers after %.2f s", (g_get_monotonic_time() - t0) / 1e6);
  {
    std::lock_guard lock(rx.mutex);
    g_assert_cmpstr(rx.caps["video_0"].c_str(), ==, "video/x-raw");
    g_assert_cmpstr(rx.caps["audio_0"].c_str(), ==, "audio/x-raw");
  }
  unwatch_bus(sending);
  unwatch_bus(receiving);
  stop_all({sending, receiving});
}

// gstwebrtc-api's control channel, from a bare Session as the consumer: a
// navigation event whose name has non-ASCII characters and quotes gets a
// reply that is valid JSON and names the event as sent.
void test_control_reply_is_json() {
  test::Watchdog dog("control", 60);
  GstElement *sending = launch(std::string(kSink) + "control=true");
  test::DirectSignaller direct;
  g_object_set(by_name(sending, "sink"), "signaller", direct.producer(), nullptr);
  watch_bus(sending);

  ControlLoop loop;
  loop.start();
  GstElement *pipeline = gst_pipeline_new("consumer");
  SessionConfig config;
  config.role = SessionRole::Answerer;
  config.ice.ice_addresses = {"127.0.0.1"};
  std::shared_ptr<Session> session;
  Session::Events ev;
  ev.local_description = [&](const protocol::Sdp &sdp) { direct.to_producer_sdp(sdp.type, sdp.sdp); };
  ev.local_candidate = [&](const protocol::Ice &ice) { direct.to_producer_ice(ice.sdp_mline_index, ice.candidate); };
  ev.pad_added = [pipeline](GstPad *pad) {
    GstElement *sink = gst_element_factory_make("fakesink", nullptr);
    gst_bin_add(GST_BIN(pipeline), sink);
    gst_element_sync_state_with_parent(sink);
    GstPad *sinkpad = gst_element_get_static_pad(sink, "sink");
    gst_pad_link(pad, sinkpad);
    gst_object_unref(sinkpad);
  };
  session = Session::create(loop.context(), config, std::move(ev));
  gst_bin_add(GST_BIN(pipeline), session->webrtcbin());
  // The producer's "control" channel and what arrives on it.
  struct Channel {
    std::mutex mutex;
    std::condition_variable cv;
    GObject *channel = nullptr;
    std::vector<std::string> replies;
  } chan;
  g_signal_connect(session->webrtcbin(), "on-data-channel", G_CALLBACK(+[](GstElement *, GObject *ch, Channel *c) {
                     g_signal_connect(ch, "on-message-string", G_CALLBACK(+[](GObject *, gchar *text, Channel *c2) {
                                        {
                                          std::lock_guard lock(c2->mutex);
                                          c2->replies.emplace_back(text ? text : "");
                                        }
                                        c2->cv.notify_all();
                                      }),
                                      c);
                     {
                       std::lock_guard lock(c->mutex);
                       c->channel = G_OBJECT(g_object_ref(ch));
                     }
                     c->cv.notify_all();
                   }),
                   &chan);
  direct.use_own_consumer(
      [&](const std::string &type, const std::string &sdp) {
        post_to(loop.context(), [&, type, sdp] { (void)session->set_remote_description({type, sdp}); });
      },
      [&](guint mline, const std::string &cand) {
        post_to(loop.context(), [&, mline, cand] { session->add_remote_candidate({cand, mline}); });
      });
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  post_to(loop.context(), [&] { session->start(); });
  gst_element_set_state(sending, GST_STATE_PLAYING);

  // Until the producer has checked our DTLS certificate it answers "not
  // verified yet"; then the real reply.
  const char *request =
      R"({"id":7,"request":{"type":"navigationEvent","event":{"event":"Klick ü \"x\"","x":1,"y":2}}})";
  std::string text;
  const gint64 deadline = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;
  while (g_get_monotonic_time() < deadline) {
    std::unique_lock lock(chan.mutex);
    chan.cv.wait_for(lock, std::chrono::milliseconds(200), [&] { return chan.channel != nullptr; });
    if (!chan.channel) continue;
    GstWebRTCDataChannelState state;
    g_object_get(chan.channel, "ready-state", &state, nullptr);
    if (state != GST_WEBRTC_DATA_CHANNEL_STATE_OPEN) continue;
    size_t before = chan.replies.size();
    GObject *ch = chan.channel;
    lock.unlock();
    g_signal_emit_by_name(ch, "send-string", request);
    lock.lock();
    chan.cv.wait_for(lock, std::chrono::seconds(2), [&] { return chan.replies.size() > before; });
    if (chan.replies.size() > before && chan.replies.back().find("not verified") == std::string::npos) {
      text = chan.replies.back();
      break;
    }
  }
  g_assert_false(text.empty());
  g_test_message("reply: %s", text.c_str());
  GError *err = nullptr;
  JsonNode *node = json_from_string(text.c_str(), &err);
  g_assert_no_error(err);
  JsonObject *o = json_node_get_object(node);
  g_assert_cmpstr(json_object_get_string_member(o, "type"), ==, "ControlResponseMessage");
  g_assert_cmpint(json_object_get_int_member(o, "id"), ==, 7);
  g_assert_cmpstr(json_object_get_string_member(o, "error"), ==, "unknown navigation event 'Klick ü \"x\"'");
  json_node_unref(node);

  unwatch_bus(sending);
  gst_element_set_state(sending, GST_STATE_NULL);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  loop.stop([&] { session->close(); });
  gst_object_unref(pipeline);
  gst_object_unref(sending);
  if (chan.channel) g_object_unref(chan.channel);
}

}  // namespace

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  g_test_init(&argc, &argv, nullptr);
  load_plugin();
  g_test_add_func("/sink-src/video-and-audio-arrive", test_video_and_audio_arrive);
  g_test_add_func("/sink/control-reply-is-json", test_control_reply_is_json);
  return g_test_run();
}
