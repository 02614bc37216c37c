// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Data-channel throughput in one process over loopback, sink → src, for
// the four cases of the "Data both ways" benchmark: 64 KiB and 100-byte
// messages, each reliable (ordered, unlimited retransmissions) and
// unreliable (ordered=false, max-retransmits=0). Every case is measured
// twice, one after the other, with the same sender and the same pacing:
//
//  (E) the elements: appsrc → webrtclivesink data_0 … webrtclivesrc data_0
//      → fakesink with a counting probe, joined by the direct signaller of
//      tests/element (two GstWebRTCLiveAppSignaller objects).
//  (B) the baseline: a hand-written application with two plain webrtcbins
//      (no Session, no element of ours), the offerer creating the data
//      channel with the same options, offer/answer/ICE passed across in
//      process, `send-data` from a thread, on-message-data counting.
//
// Pacing (the same rule for both): every message carries its sequence
// number in its first 8 bytes; the sender keeps at most a window of bytes in
// flight, counted from the highest sequence number the receiver has seen
// (so lost messages do not block it; on an unreliable channel, if nothing
// arrives for 20 ms the window is opened anyway and the stall counted). The baseline also keeps
// the channel's buffered-amount under the window (buffered-amount-low-
// threshold / on-buffered-amount-low), as a WebRTC application should.
//
// Per case: connect, wait for the first message through, 1 s warm-up, then
// --seconds of measuring (the receiver's counts at both ends of the
// window), then a drain of up to 2 s to count losses among the messages
// sent after the warm-up began. Output: JSON on stdout; progress on stderr.
//
//   GST_PLUGIN_PATH=build/plugin build/bench/data-bench [--seconds 5]
//     [--window-large BYTES] [--window-small BYTES] [--data-only] [--case large-reliable,...] [--only element|baseline]
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>
#include <json-glib/json-glib.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "direct-signaller.h"
#include "watchdog.h"

using namespace webrtclive;

namespace {

struct Case {
  const char *id;
  const char *label;
  gsize size;
  bool reliable;
};

const Case kCases[] = {
    {"large-reliable", "64 KiB, reliable", 64 * 1024, true},
    {"large-unreliable", "64 KiB, unreliable", 64 * 1024, false},
    {"small-reliable", "100 B, reliable", 100, true},
    {"small-unreliable", "100 B, unreliable", 100, false},
};

double g_seconds = 5;
bool g_data_only = false;
constexpr const char *kMedia =
    "videotestsrc is-live=true pattern=black ! video/x-raw,width=64,height=64,framerate=5/1 ! "
    "vp8enc deadline=1 keyframe-max-dist=10";
// In-flight bytes per message size, the same for both sides. With 64 KiB
// messages webrtcbin's SCTP is fastest with two in flight: with four and
// more it stalls for tens of ms at a time, and an unreliable channel loses
// fragments on loopback and can wedge for good (both sides, measured while
// choosing). 100-byte messages need thousands in flight to keep it busy.
guint64 g_window_large = 128 * 1024, g_window_small = 2 * 1024 * 1024;
guint64 g_window = 0;  // of the case being run
constexpr double kWarmupS = 1;
constexpr int kStallMs = 20;

double now_s() { return g_get_monotonic_time() / 1e6; }

double cpu_s() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

// What the receiver saw; the sender waits on it.
struct Counter {
  std::atomic<guint64> messages{0}, bytes{0};
  std::atomic<guint64> counted_from{G_MAXUINT64};  // sequence numbers ≥ this are counted in `measured`
  std::atomic<guint64> measured{0};
  std::atomic<gint64> max_seq{-1};
  std::atomic<bool> sender_waiting{false};
  std::mutex mutex;
  std::condition_variable cv;

  void received(const guint8 *data, gsize size) {
    guint64 seq = 0;
    if (size >= 8) memcpy(&seq, data, 8);
    bytes += size;
    messages++;
    if (seq >= counted_from.load(std::memory_order_relaxed)) measured++;
    gint64 prev = max_seq.load();
    while (gint64(seq) > prev && !max_seq.compare_exchange_weak(prev, gint64(seq))) {
    }
    if (sender_waiting.load()) {
      std::lock_guard lock(mutex);
      cv.notify_one();
    }
  }
  void wake() {
    std::lock_guard lock(mutex);
    cv.notify_one();
  }
};

// How a side sends one message; `send` returns false if it could not.
struct Sender {
  std::function<bool(GstBuffer *)> send;        // E: push into the appsrc (takes the buffer)
  std::function<bool(GBytes *)> send_bytes;     // B: send-data on the channel
  std::function<bool()> buffered_ok;            // B: buffered-amount within the window
};

struct Result {
  guint64 sent = 0, measured_sent = 0, measured_received = 0;
  double seconds = 0, messages = 0, bytes = 0, cpu = 0;
  guint64 stalls = 0, buffered_waits = 0;
  double sent_in_window = 0;
  double at_webrtcbin = -1;  // E: messages that reached the src's webrtcbin in the window
  bool ok = false;
  std::string error;
  std::vector<std::string> warnings;
};

// Sends as fast as the window allows until `stop`; the message is a copy
// of a template with the sequence number written in (one allocation and
// one copy per message, the same for both sides).
class Pump {
 public:
  Pump(gsize size, bool reliable, Counter &rx, Sender tx) : size_(size), reliable_(reliable), rx_(rx), tx_(std::move(tx)), proto_(size, 0) {
    for (gsize i = 8; i < size; i++) proto_[i] = guint8(i * 31);
  }
  void start() {
    stop_ = false;
    thread_ = std::thread([this] { run(); });
  }
  void stop() {
    stop_ = true;
    rx_.wake();
    if (thread_.joinable()) thread_.join();
  }
  guint64 next_seq() const { return seq_; }
  guint64 stalls() const { return stalls_; }
  guint64 buffered_waits() const { return buffered_waits_; }
  std::atomic<bool> failed{false};

 private:
  bool window_open() const {
    const gint64 in_flight = gint64(seq_) - 1 - rx_.max_seq.load();
    return guint64(std::max<gint64>(in_flight, 0)) * size_ < g_window;
  }
  void run() {
    while (!stop_) {
      if (!window_open() || (tx_.buffered_ok && !tx_.buffered_ok())) {
        std::unique_lock lock(rx_.mutex);
        rx_.sender_waiting = true;
        const bool opened = rx_.cv.wait_for(lock, std::chrono::milliseconds(kStallMs), [&] {
          return stop_ || (window_open() && (!tx_.buffered_ok || tx_.buffered_ok()));
        });
        rx_.sender_waiting = false;
        if (stop_) break;
        if (!opened) {
          if (tx_.buffered_ok && !tx_.buffered_ok()) {
            buffered_waits_++;
            continue;  // never past buffered-amount
          }
          stalls_++;
          if (reliable_) continue;  // nothing is lost: wait on
        }
      }
      guint64 seq = seq_;
      memcpy(proto_.data(), &seq, 8);
      bool ok;
      if (tx_.send) {
        GstBuffer *buf = gst_buffer_new_memdup(proto_.data(), size_);
        ok = tx_.send(buf);
      } else {
        GBytes *b = g_bytes_new(proto_.data(), size_);
        ok = tx_.send_bytes(b);
        g_bytes_unref(b);
      }
      if (!ok) {
        failed = true;
        break;
      }
      seq_++;
    }
  }
  gsize size_;
  bool reliable_;
  Counter &rx_;
  Sender tx_;
  std::vector<guint8> proto_;
  std::atomic<guint64> seq_{1};
  std::atomic<bool> stop_{false};
  std::thread thread_;
  guint64 stalls_ = 0, buffered_waits_ = 0;
};

// The same measuring sequence for both sides once a message has gone through.
void measure(const Case &c, Counter &rx, Pump &pump, Result &r, const std::atomic<guint64> *tap = nullptr) {
  // Everything sent from here on is accounted for in the loss (the
  // connecting messages before carry sequence number 0).
  const guint64 base = pump.next_seq();
  rx.counted_from = base;
  rx.measured = 0;
  pump.start();
  g_usleep(guint64(kWarmupS * 1e6));
  const guint64 m0 = rx.messages, b0 = rx.bytes, s0 = pump.next_seq(), w0 = tap ? tap->load() : 0;
  const double t0 = now_s(), c0 = cpu_s();
  g_usleep(guint64(g_seconds * 1e6));
  const guint64 m1 = rx.messages, b1 = rx.bytes, s1 = pump.next_seq(), w1 = tap ? tap->load() : 0;
  const double t1 = now_s(), c1 = cpu_s();
  r.sent_in_window = double(s1 - s0);
  if (tap) r.at_webrtcbin = double(w1 - w0);
  pump.stop();
  const guint64 sent = pump.next_seq() - base;
  // Drain: what is still on its way.
  for (int i = 0; i < 200 && rx.measured < sent; i++) g_usleep(10 * 1000);
  if (!c.reliable) g_usleep(200 * 1000);
  r.seconds = t1 - t0;
  r.messages = double(m1 - m0);
  r.bytes = double(b1 - b0);
  r.cpu = c1 - c0;
  r.measured_sent = sent;
  r.measured_received = rx.measured;
  r.sent = pump.next_seq();
  r.stalls = pump.stalls();
  r.buffered_waits = pump.buffered_waits();
  r.ok = !pump.failed;
  if (pump.failed) r.error = "the sender could not send";
}

bool wait_first(Counter &rx, double seconds) {
  const double until = now_s() + seconds;
  while (rx.messages == 0 && now_s() < until) g_usleep(10 * 1000);
  return rx.messages > 0;
}

void collect_warnings(GstElement *pipeline, Result *r, std::mutex *m) {
  GstBus *bus = gst_element_get_bus(pipeline);
  struct Ctx {
    Result *r;
    std::mutex *m;
  };
  gst_bus_set_sync_handler(
      bus,
      [](GstBus *, GstMessage *msg, gpointer data) {
        auto *ctx = static_cast<Ctx *>(data);
        GError *err = nullptr;
        if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) gst_message_parse_error(msg, &err, nullptr);
        if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_WARNING) gst_message_parse_warning(msg, &err, nullptr);
        if (err) {
          std::lock_guard lock(*ctx->m);
          if (ctx->r->warnings.size() < 20)
            ctx->r->warnings.push_back(std::string(GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR ? "error: " : "warning: ") +
                                       GST_OBJECT_NAME(GST_MESSAGE_SRC(msg)) + ": " + err->message);
          g_error_free(err);
        }
        return GST_BUS_DROP;
      },
      new Ctx{r, m}, [](gpointer d) { delete static_cast<Ctx *>(d); });
  gst_object_unref(bus);
}

void uncollect(GstElement *pipeline) {
  GstBus *bus = gst_element_get_bus(pipeline);
  gst_bus_set_sync_handler(bus, nullptr, nullptr, nullptr);
  gst_object_unref(bus);
}

// ------------------------------------------------------------------ (E)

Result run_element(const Case &c) {
  Result r;
  std::mutex wmutex;
  Counter rx;

  GstElement *sending = gst_pipeline_new("sending");
  GstElement *media = nullptr;
  if (!g_data_only) {
    // A data-only webrtclivesink session fails its DTLS check ("no
    // transceiver to check", core/webrtc-util.cpp): a tiny pre-encoded
    // video stream (64x64, 5 fps VP8, sent as is) keeps a transceiver there.
    GError *err = nullptr;
    media = gst_parse_bin_from_description(kMedia, TRUE, &err);
    if (err) g_error("%s", err->message);
    gst_bin_add(GST_BIN(sending), media);
  }
  GstElement *appsrc = gst_element_factory_make("appsrc", "feed");
  GstCaps *caps = gst_caps_new_empty_simple("application/octet-stream");
  g_object_set(appsrc, "caps", caps, "is-live", TRUE, "format", GST_FORMAT_TIME, "do-timestamp", TRUE, "block", FALSE,
               "max-bytes", guint64(0), nullptr);
  gst_caps_unref(caps);
  GstElement *sink = gst_element_factory_make("webrtclivesink", "sink");
  g_object_set(sink, "ice-addresses", "127.0.0.1", nullptr);
  gst_bin_add_many(GST_BIN(sending), appsrc, sink, nullptr);
  if (media) {
    GstPad *out = gst_element_get_static_pad(media, "src");
    GstPad *video = gst_element_request_pad_simple(sink, "video_%u");
    if (gst_pad_link(out, video) != GST_PAD_LINK_OK) g_error("the video did not link");
    gst_object_unref(out);
    gst_object_unref(video);
  }
  GstPad *data_pad = gst_element_request_pad_simple(sink, "data_%u");
  g_object_set(data_pad, "label", "bench", "ordered", c.reliable, "max-retransmits", c.reliable ? -1 : 0, nullptr);
  GstPad *srcpad = gst_element_get_static_pad(appsrc, "src");
  if (gst_pad_link(srcpad, data_pad) != GST_PAD_LINK_OK) g_error("appsrc ! data_0 did not link");
  gst_object_unref(srcpad);

  GstElement *receiving = gst_pipeline_new("receiving");
  GstElement *src = gst_element_factory_make("webrtclivesrc", "src");
  g_object_set(src, "ice-addresses", "127.0.0.1", nullptr);
  gst_bin_add(GST_BIN(receiving), src);
  struct Ctx {
    GstElement *pipeline;
    Counter *rx;
  } ctx{receiving, &rx};
  g_signal_connect(src, "pad-added", G_CALLBACK(+[](GstElement *, GstPad *pad, Ctx *x) {
                     GstElement *fs = gst_element_factory_make("fakesink", nullptr);
                     g_object_set(fs, "sync", FALSE, "async", FALSE, nullptr);
                     gst_bin_add(GST_BIN(x->pipeline), fs);
                     gst_element_sync_state_with_parent(fs);
                     GstPad *sinkpad = gst_element_get_static_pad(fs, "sink");
                     if (g_str_has_prefix(GST_PAD_NAME(pad), "data_"))
                       gst_pad_add_probe(
                           sinkpad, GST_PAD_PROBE_TYPE_BUFFER,
                           [](GstPad *, GstPadProbeInfo *info, gpointer data) {
                             GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
                             GstMapInfo map;
                             if (gst_buffer_map(buf, &map, GST_MAP_READ)) {
                               static_cast<Counter *>(data)->received(map.data, map.size);
                               gst_buffer_unmap(buf, &map);
                             }
                             return GST_PAD_PROBE_OK;
                           },
                           x->rx, nullptr);
                     gst_pad_link(pad, sinkpad);
                     gst_object_unref(sinkpad);
                   }),
                   &ctx);

  // Diagnosis: the messages that reach the src's own webrtcbin (before
  // webrtclivesrc checks and hands them on), counted on its data channel.
  struct Tap {
    std::atomic<guint64> messages{0}, bytes{0};
  } tap;
  g_signal_connect(receiving, "deep-element-added", G_CALLBACK(+[](GstBin *, GstBin *, GstElement *e, Tap *t) {
                     GstElementFactory *f = gst_element_get_factory(e);
                     if (!f || g_strcmp0(GST_OBJECT_NAME(f), "webrtcbin") != 0) return;
                     g_signal_connect(e, "on-data-channel", G_CALLBACK(+[](GstElement *, GObject *ch, Tap *t2) {
                                        g_signal_connect(ch, "on-message-data",
                                                         G_CALLBACK(+[](GObject *, GBytes *d, Tap *t3) {
                                                           if (!d) return;
                                                           t3->messages++;
                                                           t3->bytes += g_bytes_get_size(d);
                                                         }),
                                                         t2);
                                      }),
                                      t);
                   }),
                   &tap);
  {
    test::DirectSignaller direct;
    g_object_set(sink, "signaller", direct.producer(), nullptr);
    g_object_set(src, "signaller", direct.consumer(), nullptr);
    collect_warnings(sending, &r, &wmutex);
    collect_warnings(receiving, &r, &wmutex);
    gst_element_set_state(receiving, GST_STATE_PLAYING);
    gst_element_set_state(sending, GST_STATE_PLAYING);

    Sender tx;
    tx.send = [appsrc](GstBuffer *buf) { return gst_app_src_push_buffer(GST_APP_SRC(appsrc), buf) == GST_FLOW_OK; };
    Pump pump(c.size, c.reliable, rx, tx);
    // Until the consumer's channel is open the sink drops what it is given:
    // one message every 20 ms until one arrives.
    const double until = now_s() + 20;
    bool through = false;
    std::vector<guint8> first(c.size, 0);
    while (!through && now_s() < until) {
      gst_app_src_push_buffer(GST_APP_SRC(appsrc), gst_buffer_new_memdup(first.data(), c.size));
      through = wait_first(rx, 0.02);
    }
    if (!through) {
      r.error = "no message went through within 20 s";
    } else {
      measure(c, rx, pump, r, &tap.messages);
    }
    uncollect(sending);
    uncollect(receiving);
    gst_element_set_state(receiving, GST_STATE_NULL);
    gst_element_set_state(sending, GST_STATE_NULL);
  }
  gst_element_release_request_pad(sink, data_pad);
  gst_object_unref(data_pad);
  gst_object_unref(receiving);
  gst_object_unref(sending);
  return r;
}

// ------------------------------------------------------------------ (B)

// What a user writes: two webrtcbins, the offerer's data channel, SDP and
// candidates handed across directly.
void local_ice(GstElement *webrtcbin) {
  GObject *agent = nullptr;
  g_object_get(webrtcbin, "ice-agent", &agent, nullptr);
  gboolean ok = FALSE;
  g_signal_emit_by_name(agent, "add-local-ip-address", "127.0.0.1", &ok);
  g_object_unref(agent);
}

GstWebRTCSessionDescription *promise_sdp(GstPromise *p, const char *field) {
  gst_promise_wait(p);
  const GstStructure *reply = gst_promise_get_reply(p);
  GstWebRTCSessionDescription *desc = nullptr;
  if (reply) gst_structure_get(reply, field, GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &desc, nullptr);
  gst_promise_unref(p);
  return desc;
}

void set_description(GstElement *webrtcbin, const char *signal, GstWebRTCSessionDescription *desc) {
  GstPromise *p = gst_promise_new();
  g_signal_emit_by_name(webrtcbin, signal, desc, p);
  gst_promise_wait(p);
  gst_promise_unref(p);
}

Result run_baseline(const Case &c) {
  Result r;
  std::mutex wmutex;
  Counter rx;
  GstElement *pipeline = gst_pipeline_new("baseline");
  GstElement *offerer = gst_element_factory_make("webrtcbin", "offerer");
  GstElement *answerer = gst_element_factory_make("webrtcbin", "answerer");
  g_object_set(offerer, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, nullptr);
  g_object_set(answerer, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, nullptr);
  gst_bin_add_many(GST_BIN(pipeline), offerer, answerer, nullptr);
  local_ice(offerer);
  local_ice(answerer);
  collect_warnings(pipeline, &r, &wmutex);

  auto trickle = +[](GstElement *, guint mline, gchar *candidate, GstElement *other) {
    g_signal_emit_by_name(other, "add-ice-candidate", mline, candidate);
  };
  g_signal_connect(offerer, "on-ice-candidate", G_CALLBACK(trickle), answerer);
  g_signal_connect(answerer, "on-ice-candidate", G_CALLBACK(trickle), offerer);
  g_signal_connect(answerer, "on-data-channel", G_CALLBACK(+[](GstElement *, GObject *channel, Counter *x) {
                     g_signal_connect(channel, "on-message-data", G_CALLBACK(+[](GObject *, GBytes *data, Counter *y) {
                                        gsize n = 0;
                                        auto *d = static_cast<const guint8 *>(g_bytes_get_data(data, &n));
                                        y->received(d, n);
                                      }),
                                      x);
                   }),
                   &rx);
  gst_element_set_state(pipeline, GST_STATE_PLAYING);

  GstStructure *options = gst_structure_new("options", "ordered", G_TYPE_BOOLEAN, gboolean(c.reliable), nullptr);
  if (!c.reliable) gst_structure_set(options, "max-retransmits", G_TYPE_INT, 0, nullptr);
  GObject *channel = nullptr;
  g_signal_emit_by_name(offerer, "create-data-channel", "bench", options, &channel);
  gst_structure_free(options);
  if (!channel) {
    r.error = "create-data-channel failed";
  } else {
    // The application's flow control: wait below buffered-amount-low-threshold.
    g_object_set(channel, "buffered-amount-low-threshold", guint64(g_window / 2), nullptr);
    g_signal_connect(channel, "on-buffered-amount-low", G_CALLBACK(+[](GObject *, Counter *x) { x->wake(); }), &rx);

    GstPromise *p = gst_promise_new();
    g_signal_emit_by_name(offerer, "create-offer", nullptr, p);
    GstWebRTCSessionDescription *offer = promise_sdp(p, "offer");
    set_description(offerer, "set-local-description", offer);
    set_description(answerer, "set-remote-description", offer);
    gst_webrtc_session_description_free(offer);
    p = gst_promise_new();
    g_signal_emit_by_name(answerer, "create-answer", nullptr, p);
    GstWebRTCSessionDescription *answer = promise_sdp(p, "answer");
    set_description(answerer, "set-local-description", answer);
    set_description(offerer, "set-remote-description", answer);
    gst_webrtc_session_description_free(answer);

    // Open?
    const double until = now_s() + 20;
    GstWebRTCDataChannelState state = GST_WEBRTC_DATA_CHANNEL_STATE_CONNECTING;
    while (now_s() < until) {
      g_object_get(channel, "ready-state", &state, nullptr);
      if (state == GST_WEBRTC_DATA_CHANNEL_STATE_OPEN) break;
      g_usleep(10 * 1000);
    }
    if (state != GST_WEBRTC_DATA_CHANNEL_STATE_OPEN) {
      r.error = "the data channel did not open within 20 s";
    } else {
      Sender tx;
      tx.send_bytes = [channel](GBytes *b) {
        g_signal_emit_by_name(channel, "send-data", b);
        return true;
      };
      tx.buffered_ok = [channel] {
        guint64 amount = 0;
        g_object_get(channel, "buffered-amount", &amount, nullptr);
        return amount < g_window;
      };
      std::vector<guint8> first(c.size, 0);
      GBytes *b = g_bytes_new(first.data(), c.size);
      g_signal_emit_by_name(channel, "send-data", b);
      g_bytes_unref(b);
      if (!wait_first(rx, 5)) {
        r.error = "the first message did not arrive within 5 s";
      } else {
        Pump pump(c.size, c.reliable, rx, tx);
        measure(c, rx, pump, r);
      }
    }
    g_signal_handlers_disconnect_by_data(channel, &rx);
    g_object_unref(channel);
  }
  uncollect(pipeline);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  return r;
}

// ------------------------------------------------------------------ output

JsonNode *result_json(const Case &c, const Result &r) {
  JsonBuilder *b = json_builder_new();
  json_builder_begin_object(b);
  auto num = [&](const char *k, double v) {
    json_builder_set_member_name(b, k);
    json_builder_add_double_value(b, v);
  };
  json_builder_set_member_name(b, "ok");
  json_builder_add_boolean_value(b, r.ok && r.error.empty());
  if (!r.error.empty()) {
    json_builder_set_member_name(b, "error");
    json_builder_add_string_value(b, r.error.c_str());
  }
  const double s = r.seconds > 0 ? r.seconds : 1;
  num("seconds", r.seconds);
  num("messagesPerSecond", r.messages / s);
  num("megabytesPerSecond", r.bytes / s / 1e6);
  num("cpuSeconds", r.cpu);
  num("cpuPerMessageUs", r.messages > 0 ? r.cpu / r.messages * 1e6 : 0);
  num("sent", double(r.measured_sent));
  num("received", double(r.measured_received));
  num("loss", r.measured_sent ? 1.0 - double(std::min(r.measured_received, r.measured_sent)) / r.measured_sent : 0);
  num("windowStalls", double(r.stalls));
  num("bufferedAmountWaits", double(r.buffered_waits));
  num("sentPerSecond", r.sent_in_window / s);
  if (r.at_webrtcbin >= 0) num("atSrcWebrtcbinPerSecond", r.at_webrtcbin / s);
  json_builder_set_member_name(b, "warnings");
  json_builder_begin_array(b);
  for (auto &w : r.warnings) json_builder_add_string_value(b, w.c_str());
  json_builder_end_array(b);
  json_builder_end_object(b);
  JsonNode *n = json_builder_get_root(b);
  g_object_unref(b);
  (void)c;
  return n;
}

}  // namespace

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  std::vector<std::string> only_cases;
  std::string only_side;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) g_error("%s needs a value", a.c_str());
      return argv[++i];
    };
    if (a == "--seconds") g_seconds = std::stod(next());
    else if (a == "--data-only") g_data_only = true;
    else if (a == "--window-large") g_window_large = std::stoull(next());
    else if (a == "--window-small") g_window_small = std::stoull(next());
    else if (a == "--case") {
      gchar **v = g_strsplit(next().c_str(), ",", 0);
      for (gchar **p = v; *p; p++) only_cases.push_back(*p);
      g_strfreev(v);
    } else if (a == "--only") only_side = next();
    else g_error("unknown argument %s", a.c_str());
  }
  GstElement *probe = gst_element_factory_make("webrtclivesink", nullptr);
  if (!probe) g_error("webrtclivesink not found: is GST_PLUGIN_PATH set to the built plugin?");
  gst_object_unref(gst_object_ref_sink(probe));

  JsonBuilder *b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "seconds");
  json_builder_add_double_value(b, g_seconds);
  json_builder_set_member_name(b, "warmupSeconds");
  json_builder_add_double_value(b, kWarmupS);
  json_builder_set_member_name(b, "windowBytesLarge");
  json_builder_add_int_value(b, gint64(g_window_large));
  json_builder_set_member_name(b, "windowBytesSmall");
  json_builder_add_int_value(b, gint64(g_window_small));
  json_builder_set_member_name(b, "cases");
  json_builder_begin_array(b);
  for (const Case &c : kCases) {
    if (!only_cases.empty() && std::find(only_cases.begin(), only_cases.end(), c.id) == only_cases.end()) continue;
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "id");
    json_builder_add_string_value(b, c.id);
    json_builder_set_member_name(b, "label");
    json_builder_add_string_value(b, c.label);
    json_builder_set_member_name(b, "messageBytes");
    json_builder_add_int_value(b, gint64(c.size));
    json_builder_set_member_name(b, "reliable");
    json_builder_add_boolean_value(b, c.reliable);
    g_window = c.size >= 64 * 1024 ? g_window_large : g_window_small;
    json_builder_set_member_name(b, "windowBytes");
    json_builder_add_int_value(b, gint64(g_window));
    for (const char *side : {"element", "baseline"}) {
      if (!only_side.empty() && only_side != side) continue;
      g_printerr("data-bench: %s, %s\n", c.id, side);
      test::Watchdog dog((std::string(c.id) + "/" + side).c_str(), int(g_seconds + kWarmupS) + 60);
      Result r = std::string(side) == "element" ? run_element(c) : run_baseline(c);
      g_printerr("data-bench: %s, %s: %.0f messages/s, %.2f MB/s, %llu/%llu received, %llu stalls, %llu buffered waits%s%s\n", c.id, side,
                 r.seconds > 0 ? r.messages / r.seconds : 0, r.seconds > 0 ? r.bytes / r.seconds / 1e6 : 0,
                 (unsigned long long)r.measured_received, (unsigned long long)r.measured_sent,
                 (unsigned long long)r.stalls, (unsigned long long)r.buffered_waits, r.error.empty() ? "" : " ERROR ", r.error.c_str());
      json_builder_set_member_name(b, side);
      json_builder_add_value(b, result_json(c, r));
    }
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_end_object(b);
  JsonGenerator *gen = json_generator_new();
  JsonNode *root = json_builder_get_root(b);
  json_generator_set_root(gen, root);
  json_generator_set_pretty(gen, TRUE);
  gchar *text = json_generator_to_data(gen, nullptr);
  g_print("%s\n", text);
  g_free(text);
  json_node_unref(root);
  g_object_unref(gen);
  g_object_unref(b);
  return 0;
}
