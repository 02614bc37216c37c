// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Data channels between webrtclivesink and webrtclivesrc in one process
// (direct signaller, real webrtcbins over loopback): messages pushed on the
// sink's data_%u pads reach the src's data pads in order, text and binary,
// from the moment the consumer joined; the unreliable mode is negotiated as
// such; messages from the consumer come back through data-received; a
// message over the size limit is dropped with a warning and the channel
// goes on.
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>

#include <condition_variable>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "direct-signaller.h"
#include "pipeline-helpers.h"
#include "../stamp/watchdog.h"

using namespace webrtclive;
using webrtclive::test::load_plugin;

namespace {

struct Seen {
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<std::string> chat;          // text messages on the src's "chat" pad
  std::vector<std::string> fast;          // binary messages on the src's "fast" pad
  std::string chat_caps, fast_caps;
  std::vector<std::string> at_sink;       // "consumer|label|text|message" from data-received
  std::vector<std::string> warnings;
  std::vector<std::string> errors;

  template <typename Pred>
  bool wait(Pred pred, int ms) {
    std::unique_lock lock(mutex);
    return cv.wait_for(lock, std::chrono::milliseconds(ms), [&] { return pred(); });
  }
  void note(const std::function<void()> &fn) {
    {
      std::lock_guard lock(mutex);
      fn();
    }
    cv.notify_all();
  }
};

void watch(GstElement *pipeline, Seen *seen) {
  GstBus *bus = gst_element_get_bus(pipeline);
  gst_bus_set_sync_handler(
      bus,
      [](GstBus *, GstMessage *m, gpointer data) {
        auto *s = static_cast<Seen *>(data);
        GError *err = nullptr;
        if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR) gst_message_parse_error(m, &err, nullptr);
        if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_WARNING) gst_message_parse_warning(m, &err, nullptr);
        if (err) {
          std::string text = std::string(GST_OBJECT_NAME(GST_MESSAGE_SRC(m))) + ": " + err->message;
          bool error = GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR;
          s->note([&] { (error ? s->errors : s->warnings).push_back(text); });
          g_error_free(err);
        }
        return GST_BUS_DROP;
      },
      seen, nullptr);
  gst_object_unref(bus);
}

void unwatch(GstElement *pipeline) {
  GstBus *bus = gst_element_get_bus(pipeline);
  gst_bus_set_sync_handler(bus, nullptr, nullptr, nullptr);
  gst_object_unref(bus);
}

GstElement *appsrc(GstElement *pipeline, const char *caps) {
  GstElement *a = gst_element_factory_make("appsrc", nullptr);
  GstCaps *c = gst_caps_from_string(caps);
  g_object_set(a, "caps", c, "is-live", TRUE, "format", GST_FORMAT_TIME, "do-timestamp", TRUE, nullptr);
  gst_caps_unref(c);
  gst_bin_add(GST_BIN(pipeline), a);
  return a;
}

void push(GstElement *src, const std::string &bytes) {
  gst_app_src_push_buffer(GST_APP_SRC(src), gst_buffer_new_memdup(bytes.data(), bytes.size()));
}

std::string binary(unsigned i) {
  std::string b(1000, '\0');
  for (size_t k = 0; k < b.size(); k++) b[k] = char((i * 7 + k) & 0xff);
  return b;
}

void test_data_both_ways() {
  test::Watchdog dog("data", 60);
  Seen seen;
  // Producer: video plus two data pads, "chat" (text, reliable) and
  // "fast" (binary, unordered, no retransmission).
  GError *err = nullptr;
  GstElement *sending = gst_parse_launch(
      "videotestsrc is-live=true ! video/x-raw,width=160,height=120,framerate=30/1 ! "
      "webrtclivesink name=sink ice-addresses=127.0.0.1 video-codecs=vp8 max-data-message-size=2048 max-data-rate=20",
      &err);
  g_assert_no_error(err);
  GstElement *sink = gst_bin_get_by_name(GST_BIN(sending), "sink");
  GstPad *chat_pad = gst_element_request_pad_simple(sink, "data_%u");
  g_object_set(chat_pad, "label", "chat", nullptr);
  GstPad *fast_pad = gst_element_request_pad_simple(sink, "data_%u");
  g_object_set(fast_pad, "label", "fast", "ordered", FALSE, "max-retransmits", 0, nullptr);
  GstElement *chat_src = appsrc(sending, "text/x-raw,format=utf8");
  GstElement *fast_src = appsrc(sending, "application/octet-stream");
  GstPad *p = gst_element_get_static_pad(chat_src, "src");
  g_assert_cmpint(gst_pad_link(p, chat_pad), ==, GST_PAD_LINK_OK);
  gst_object_unref(p);
  p = gst_element_get_static_pad(fast_src, "src");
  g_assert_cmpint(gst_pad_link(p, fast_pad), ==, GST_PAD_LINK_OK);
  gst_object_unref(p);
  g_signal_connect(sink, "data-received",
                   G_CALLBACK(+[](GstElement *, const gchar *consumer, const gchar *label, GBytes *data,
                                  gboolean text, Seen *s) {
                     gsize n = 0;
                     auto *d = static_cast<const char *>(g_bytes_get_data(data, &n));
                     std::string entry = std::string(consumer && *consumer ? "consumer" : "none") + "|" + label + "|" +
                                         (text ? "text" : "binary") + "|" + std::string(d, n);
                     s->note([&] { s->at_sink.push_back(entry); });
                   }),
                   &seen);

  // Consumer: a src whose data pads end in fakesinks that record.
  GstElement *receiving = gst_pipeline_new("receiving");
  GstElement *src = gst_element_factory_make("webrtclivesrc", "src");
  g_object_set(src, "ice-addresses", "127.0.0.1", nullptr);
  gst_bin_add(GST_BIN(receiving), src);
  struct Ctx {
    GstElement *pipeline;
    Seen *seen;
  } ctx{receiving, &seen};
  g_signal_connect(src, "pad-added", G_CALLBACK(+[](GstElement *, GstPad *pad, Ctx *c) {
                     GstElement *fs = gst_element_factory_make("fakesink", nullptr);
                     g_object_set(fs, "sync", FALSE, "async", FALSE, nullptr);
                     gst_bin_add(GST_BIN(c->pipeline), fs);
                     gst_element_sync_state_with_parent(fs);
                     GstPad *sinkpad = gst_element_get_static_pad(fs, "sink");
                     if (g_str_has_prefix(GST_PAD_NAME(pad), "data_"))
                       gst_pad_add_probe(
                           sinkpad, GST_PAD_PROBE_TYPE_BUFFER,
                           [](GstPad *sp, GstPadProbeInfo *info, gpointer data) {
                             auto *s = static_cast<Seen *>(data);
                             GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
                             GstMapInfo map;
                             gst_buffer_map(buf, &map, GST_MAP_READ);
                             std::string bytes(reinterpret_cast<const char *>(map.data), map.size);
                             gst_buffer_unmap(buf, &map);
                             GstCaps *caps = gst_pad_get_current_caps(sp);
                             const GstStructure *st = gst_caps_get_structure(caps, 0);
                             std::string label = gst_structure_get_string(st, "label");
                             gchar *text = gst_caps_to_string(caps);
                             s->note([&] {
                               (label == "chat" ? s->chat : s->fast).push_back(bytes);
                               (label == "chat" ? s->chat_caps : s->fast_caps) = text;
                             });
                             g_free(text);
                             gst_caps_unref(caps);
                             return GST_PAD_PROBE_OK;
                           },
                           c->seen, nullptr);
                     gst_pad_link(pad, sinkpad);
                     gst_object_unref(sinkpad);
                   }),
                   &ctx);

  test::DirectSignaller direct;
  g_object_set(sink, "signaller", direct.producer(), nullptr);
  g_object_set(src, "signaller", direct.consumer(), nullptr);
  watch(sending, &seen);
  watch(receiving, &seen);
  gst_element_set_state(sending, GST_STATE_PLAYING);

  // Messages start before the consumer exists: it gets them from its join
  // on, every one, in order.
  std::atomic<bool> done{false};
  std::thread producer([&] {
    for (unsigned i = 0; i < 300; i++) {
      push(chat_src, "msg-" + std::to_string(i));
      if (i % 3 == 0) push(fast_src, binary(i));
      if (i == 30) gst_element_set_state(receiving, GST_STATE_PLAYING);
      g_usleep(10 * 1000);
    }
    done = true;
  });
  producer.join();
  g_assert_true(seen.wait([&] { return !seen.chat.empty() && seen.chat.back() == "msg-299"; }, 10000));
  {
    std::lock_guard lock(seen.mutex);
    const int first = std::stoi(seen.chat.front().substr(4));
    g_test_message("the consumer joined at msg-%d; %zu text and %zu binary messages received", first,
                   seen.chat.size(), seen.fast.size());
    g_assert_cmpint(first, >=, 30);  // it did not exist before
    for (size_t k = 0; k < seen.chat.size(); k++) {
      const std::string want = "msg-" + std::to_string(first + int(k));
      g_assert_cmpstr(seen.chat[k].c_str(), ==, want.c_str());
    }
    g_assert_true(g_str_has_prefix(seen.chat_caps.c_str(), "text/x-raw"));
    g_assert_nonnull(strstr(seen.chat_caps.c_str(), "ordered=(boolean)true"));
    g_assert_cmpuint(seen.fast.size(), >, 0);
    for (auto &b : seen.fast) g_assert_cmpuint(b.size(), ==, 1000);
    g_assert_true(g_str_has_prefix(seen.fast_caps.c_str(), "application/octet-stream"));
    g_assert_nonnull(strstr(seen.fast_caps.c_str(), "ordered=(boolean)false"));
    g_assert_nonnull(strstr(seen.fast_caps.c_str(), "max-retransmits=(int)0"));
  }

  // Consumer → producer, text and binary, through data-received.
  gboolean ok = FALSE;
  g_signal_emit_by_name(src, "send-string", nullptr, "chat", "hello sink", &ok);
  g_assert_true(ok);
  GBytes *bytes = g_bytes_new_static("\x01\x02\x03", 3);
  g_signal_emit_by_name(src, "send-data", nullptr, "fast", bytes, &ok);
  g_bytes_unref(bytes);
  g_assert_true(ok);
  g_assert_true(seen.wait([&] { return seen.at_sink.size() >= 2; }, 5000));
  // Over max-data-message-size: dropped, said, and the channel goes on.
  g_signal_emit_by_name(src, "send-string", nullptr, "chat", std::string(4000, 'x').c_str(), &ok);
  g_signal_emit_by_name(src, "send-string", nullptr, "chat", "still here", &ok);
  g_assert_true(seen.wait([&] { return seen.at_sink.size() >= 3 && !seen.warnings.empty(); }, 5000));
  {
    std::lock_guard lock(seen.mutex);
    // In order per channel (two channels are two SCTP streams: no order between them).
    std::vector<std::string> chat, fast;
    for (auto &e : seen.at_sink) (e.rfind("consumer|chat|", 0) == 0 ? chat : fast).push_back(e);
    g_assert_cmpuint(chat.size(), ==, 2);
    g_assert_cmpuint(fast.size(), ==, 1);
    g_assert_cmpstr(chat[0].c_str(), ==, "consumer|chat|text|hello sink");
    g_assert_cmpstr(chat[1].c_str(), ==, "consumer|chat|text|still here");
    const std::string want_binary = "consumer|fast|binary|\x01\x02\x03";
    g_assert_true(fast[0] == want_binary);
    g_assert_cmpuint(seen.warnings.size(), ==, 1);
    g_assert_nonnull(strstr(seen.warnings[0].c_str(), "a message of 4000 bytes; at most 2048"));  // "sink: Dropped..."
    g_assert_cmpuint(seen.errors.size(), ==, 0);
  }
  // Over max-data-rate (20 messages/s here): the excess is dropped, said
  // once (with a count), and what is within the rate still arrives.
  const size_t before = [&] {
    std::lock_guard lock(seen.mutex);
    return seen.at_sink.size();
  }();
  for (int i = 0; i < 200; i++) g_signal_emit_by_name(src, "send-string", nullptr, "chat", "burst", &ok);
  g_assert_true(seen.wait([&] { return seen.warnings.size() >= 2; }, 5000));
  g_usleep(300 * 1000);
  {
    std::lock_guard lock(seen.mutex);
    const size_t got = seen.at_sink.size() - before;
    g_test_message("a burst of 200: %zu handed on; %s", got, seen.warnings[1].c_str());
    g_assert_cmpuint(got, >=, 10);
    g_assert_cmpuint(got, <=, 30);
    g_assert_nonnull(strstr(seen.warnings[1].c_str(), "more than 20 messages per second"));
  }
  // And the producer reaches that one consumer by its id (NULL = all).
  g_signal_emit_by_name(sink, "send-string", nullptr, "chat", "to everyone", &ok);
  g_assert_true(ok);
  g_signal_emit_by_name(sink, "send-string", "no-such-consumer", "chat", "to nobody", &ok);
  g_assert_false(ok);
  g_assert_true(seen.wait([&] { return seen.chat.back() == "to everyone"; }, 5000));

  unwatch(sending);
  unwatch(receiving);
  gst_element_set_state(receiving, GST_STATE_NULL);
  gst_element_set_state(sending, GST_STATE_NULL);
  gst_element_release_request_pad(sink, chat_pad);
  gst_element_release_request_pad(sink, fast_pad);
  gst_object_unref(chat_pad);
  gst_object_unref(fast_pad);
  gst_object_unref(sink);
  gst_object_unref(receiving);
  gst_object_unref(sending);
}

// A sink with data pads only (no media): the session's DTLS identity is
// checked on the SCTP association's transport, and messages flow.
void test_data_only() {
  test::Watchdog dog("data-only", 60);
  Seen seen;
  GstElement *sending = gst_pipeline_new("sending");
  GstElement *sink = gst_element_factory_make("webrtclivesink", "sink");
  g_object_set(sink, "ice-addresses", "127.0.0.1", nullptr);
  gst_bin_add(GST_BIN(sending), sink);
  GstPad *pad = gst_element_request_pad_simple(sink, "data_%u");
  g_object_set(pad, "label", "chat", nullptr);
  GstElement *chat_src = appsrc(sending, "text/x-raw,format=utf8");
  GstPad *p = gst_element_get_static_pad(chat_src, "src");
  g_assert_cmpint(gst_pad_link(p, pad), ==, GST_PAD_LINK_OK);
  gst_object_unref(p);
  GstElement *receiving = gst_pipeline_new("receiving");
  GstElement *src = gst_element_factory_make("webrtclivesrc", "src");
  g_object_set(src, "ice-addresses", "127.0.0.1", nullptr);
  gst_bin_add(GST_BIN(receiving), src);
  g_signal_connect(src, "data-received",
                   G_CALLBACK(+[](GstElement *, const gchar *, const gchar *, GBytes *data, gboolean, Seen *s) {
                     gsize n = 0;
                     auto *d = static_cast<const char *>(g_bytes_get_data(data, &n));
                     std::string text(d, n);
                     s->note([&] { s->chat.push_back(text); });
                   }),
                   &seen);
  test::DirectSignaller direct;
  g_object_set(sink, "signaller", direct.producer(), nullptr);
  g_object_set(src, "signaller", direct.consumer(), nullptr);
  watch(sending, &seen);
  watch(receiving, &seen);
  gst_element_set_state(sending, GST_STATE_PLAYING);
  gst_element_set_state(receiving, GST_STATE_PLAYING);
  // Until the channel is open, pushes go nowhere: push until one arrives.
  for (unsigned i = 0; i < 500; i++) {
    push(chat_src, "msg-" + std::to_string(i));
    if (seen.wait([&] { return seen.chat.size() >= 20; }, 20)) break;
  }
  g_assert_true(seen.wait([&] { return seen.chat.size() >= 20; }, 10000));
  {
    std::lock_guard lock(seen.mutex);
    for (auto &e : seen.errors) g_test_message("error: %s", e.c_str());
    for (auto &w : seen.warnings) g_test_message("warning: %s", w.c_str());
    g_assert_cmpuint(seen.errors.size(), ==, 0);
    g_assert_cmpuint(seen.warnings.size(), ==, 0);
  }
  unwatch(sending);
  unwatch(receiving);
  gst_element_set_state(receiving, GST_STATE_NULL);
  gst_element_set_state(sending, GST_STATE_NULL);
  gst_element_release_request_pad(sink, pad);
  gst_object_unref(pad);
  gst_object_unref(receiving);
  gst_object_unref(sending);
}

}  // namespace

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  g_test_init(&argc, &argv, nullptr);
  load_plugin();
  g_test_add_func("/data/both-ways", test_data_both_ways);
  g_test_add_func("/data/data-only", test_data_only);
  return g_test_run();
}
