// SPDX-License-Identifier: LGPL-2.1-or-later
//
// webrtclivesink answering a consumer's offer, as a WHEP gateway delivers
// it: a plain webrtcbin (a bare offering Session, recvonly transceivers with
// the payloads Chromium offers) is the consumer, joined by a direct
// signaller; no server, no browser.
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "control-loop.h"
#include "direct-signaller.h"
#include "pipeline-helpers.h"
#include "session.h"
#include "../stamp/watchdog.h"

using namespace webrtclive;
using namespace webrtclive::test;

namespace {

// What Chromium offers for video (VP8, H.264 in four profiles, one without
// packetization-mode), and Opus.
const char *kChromiumVideo =
    "application/x-rtp,media=video,encoding-name=VP8,clock-rate=90000,payload=96;"
    "application/x-rtp,media=video,encoding-name=H264,clock-rate=90000,payload=102,packetization-mode=(string)1,"
    "profile-level-id=(string)42001f,level-asymmetry-allowed=(string)1;"
    "application/x-rtp,media=video,encoding-name=H264,clock-rate=90000,payload=104,"
    "profile-level-id=(string)42e01f,level-asymmetry-allowed=(string)1;"
    "application/x-rtp,media=video,encoding-name=H264,clock-rate=90000,payload=106,packetization-mode=(string)1,"
    "profile-level-id=(string)42e01f,level-asymmetry-allowed=(string)1;"
    "application/x-rtp,media=video,encoding-name=H264,clock-rate=90000,payload=108,packetization-mode=(string)1,"
    "profile-level-id=(string)4d001f,level-asymmetry-allowed=(string)1;"
    "application/x-rtp,media=video,encoding-name=H264,clock-rate=90000,payload=112,packetization-mode=(string)1,"
    "profile-level-id=(string)640032,level-asymmetry-allowed=(string)1";
const char *kOpus = "application/x-rtp,media=audio,encoding-name=OPUS,clock-rate=48000,payload=111,"
                    "encoding-params=(string)2,minptime=(string)10,useinbandfec=(string)1";
const char *kAv1Only = "application/x-rtp,media=video,encoding-name=AV1,clock-rate=90000,payload=45";

// The offering consumer: a Session (offerer) around a webrtcbin with
// recvonly transceivers, decoding what arrives.
struct OfferingConsumer {
  ControlLoop loop;
  GstElement *pipeline = gst_pipeline_new("consumer");
  std::shared_ptr<Session> session;
  std::mutex mutex;
  std::condition_variable cv;
  std::string answer;
  std::string failed;
  std::atomic<unsigned> frames{0};
  std::atomic<int> width{0}, height{0};
  std::vector<std::string> messages;  // "label|text" on any channel (ours or the sink's)

  // One recvonly transceiver per caps string, in this order (audio first,
  // as the WHEP players do).
  // `rewrite` edits the offer before the sink gets it.
  OfferingConsumer(DirectSignaller &direct, const std::vector<const char *> &transceivers,
                   std::vector<DataChannelSpec> channels = {},
                   std::function<std::string(std::string)> rewrite = nullptr) {
    loop.start();
    SessionConfig config;
    config.role = SessionRole::Offerer;
    config.ice.ice_addresses = {"127.0.0.1"};
    config.channels = std::move(channels);
    Session::Events ev;
    ev.data = [this](const DataChannelSpec &channel, GBytes *data, bool) {
      gsize n = 0;
      auto *d = static_cast<const char *>(g_bytes_get_data(data, &n));
      {
        std::lock_guard lock(mutex);
        messages.push_back(channel.label + "|" + std::string(d, n));
      }
      cv.notify_all();
    };
    ev.local_description = [&direct, rewrite](const protocol::Sdp &sdp) {
      direct.request_session(rewrite ? rewrite(sdp.sdp) : sdp.sdp);
    };
    ev.local_candidate = [&direct](const protocol::Ice &ice) { direct.to_producer_ice(ice.sdp_mline_index, ice.candidate); };
    ev.failed = [this](EndReason, const std::string &why) {
      std::lock_guard lock(mutex);
      failed = why;
    };
    ev.pad_added = [this](GstPad *pad) { decode(pad); };
    session = Session::create(loop.context(), config, std::move(ev));
    gst_bin_add(GST_BIN(pipeline), session->webrtcbin());
    for (const char *caps_text : transceivers) {
      GstCaps *caps = gst_caps_from_string(caps_text);
      GstWebRTCRTPTransceiver *trans = nullptr;
      g_signal_emit_by_name(session->webrtcbin(), "add-transceiver", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, caps,
                            &trans);
      gst_caps_unref(caps);
      g_assert_nonnull(trans);
      gst_object_unref(trans);
    }
    direct.use_own_consumer(
        [this](const std::string &type, const std::string &sdp) {
          {
            std::lock_guard lock(mutex);
            answer = sdp;
          }
          cv.notify_all();
          post_to(loop.context(), [this, type, sdp] { (void)session->set_remote_description({type, sdp}); });
        },
        [this](guint mline, const std::string &cand) {
          post_to(loop.context(), [this, mline, cand] { session->add_remote_candidate({cand, mline}); });
        },
        true);
    gst_element_set_state(pipeline, GST_STATE_PLAYING);
    post_to(loop.context(), [this] { session->start(); });
  }
  ~OfferingConsumer() {
    gst_element_set_state(pipeline, GST_STATE_NULL);
    loop.stop([this] { session->close(); });
    gst_object_unref(pipeline);
  }

  // webrtcbin's streaming thread.
  void decode(GstPad *pad) {
    std::string encoding;
    if (GstCaps *caps = gst_pad_get_current_caps(pad)) {
      if (const char *e = gst_structure_get_string(gst_caps_get_structure(caps, 0), "encoding-name")) encoding = e;
      gst_caps_unref(caps);
    }
    const std::string decoder = encoding == "H264" ? "rtph264depay ! h264parse ! avdec_h264" : "rtpvp8depay ! vp8dec";
    GstElement *bin = gst_parse_bin_from_description(
        (decoder + " ! videoconvert ! fakesink name=out sync=false async=false").c_str(), TRUE, nullptr);
    g_assert_nonnull(bin);
    gst_bin_add(GST_BIN(pipeline), bin);
    GstElement *out = gst_bin_get_by_name(GST_BIN(bin), "out");
    GstPad *in = gst_element_get_static_pad(out, "sink");
    gst_pad_add_probe(
        in, GST_PAD_PROBE_TYPE_BUFFER,
        [](GstPad *p, GstPadProbeInfo *, gpointer data) {
          auto *self = static_cast<OfferingConsumer *>(data);
          if (GstCaps *caps = gst_pad_get_current_caps(p)) {
            int w = 0, h = 0;
            gst_structure_get_int(gst_caps_get_structure(caps, 0), "width", &w);
            gst_structure_get_int(gst_caps_get_structure(caps, 0), "height", &h);
            self->width = w;
            self->height = h;
            gst_caps_unref(caps);
          }
          self->frames++;
          self->cv.notify_all();
          return GST_PAD_PROBE_OK;
        },
        this, nullptr);
    gst_object_unref(in);
    gst_object_unref(out);
    gst_element_sync_state_with_parent(bin);
    GstPad *sink = gst_element_get_static_pad(bin, "sink");
    g_assert_cmpint(gst_pad_link(pad, sink), ==, GST_PAD_LINK_OK);
    gst_object_unref(sink);
  }

  bool wait_frames(unsigned n, int ms) {
    std::unique_lock lock(mutex);
    return cv.wait_for(lock, std::chrono::milliseconds(ms), [&] { return frames >= n; });
  }
  bool wait_message(const std::string &entry, int ms) {
    std::unique_lock lock(mutex);
    return cv.wait_for(lock, std::chrono::milliseconds(ms),
                       [&] { return std::find(messages.begin(), messages.end(), entry) != messages.end(); });
  }
  std::string wait_answer(int ms) {
    std::unique_lock lock(mutex);
    cv.wait_for(lock, std::chrono::milliseconds(ms), [&] { return !answer.empty(); });
    return answer;
  }
};

// The reasons the sink ended sessions with (its signaller's end-session).
struct Endings {
  std::mutex mutex;
  std::condition_variable cv;
  std::map<std::string, std::string> reasons;  // session id -> reason

  void watch(GObject *producer) {
    g_signal_connect(producer, "end-session", G_CALLBACK(+[](GObject *, const gchar *sid, const gchar *reason, Endings *e) {
                       {
                         std::lock_guard lock(e->mutex);
                         e->reasons[sid ? sid : ""] = reason ? reason : "";
                       }
                       e->cv.notify_all();
                     }),
                     this);
  }
  std::string wait(const std::string &sid, int ms) {
    std::unique_lock lock(mutex);
    cv.wait_for(lock, std::chrono::milliseconds(ms), [&] { return reasons.count(sid) > 0; });
    return reasons.count(sid) ? reasons[sid] : std::string("(not ended)");
  }
};

const GstSDPMedia *media_of(GstSDPMessage *msg, const char *kind) {
  for (guint i = 0; i < gst_sdp_message_medias_len(msg); i++)
    if (g_strcmp0(gst_sdp_media_get_media(gst_sdp_message_get_media(msg, i)), kind) == 0)
      return gst_sdp_message_get_media(msg, i);
  return nullptr;
}

// An answer's audio m-line is inactive with its port kept; its video m-line
// is sendonly and names exactly `video_pt`.
void assert_answer(const std::string &answer, const char *video_pt) {
  GstSDPMessage *msg = nullptr;
  g_assert_cmpint(gst_sdp_message_new_from_text(answer.c_str(), &msg), ==, GST_SDP_OK);
  const GstSDPMedia *audio = media_of(msg, "audio");
  const GstSDPMedia *video = media_of(msg, "video");
  g_assert_nonnull(audio);
  g_assert_nonnull(video);
  g_assert_nonnull(gst_sdp_media_get_attribute_val(audio, "inactive"));
  g_assert_cmpuint(gst_sdp_media_get_port(audio), !=, 0);
  g_assert_nonnull(gst_sdp_media_get_attribute_val(video, "sendonly"));
  g_assert_cmpuint(gst_sdp_media_get_port(video), !=, 0);
  g_assert_cmpstr(gst_sdp_media_get_format(video, 0), ==, video_pt);
  for (guint f = 0; f < gst_sdp_media_formats_len(video); f++) {
    // the chosen payload, its RTX at most
    const char *pt = gst_sdp_media_get_format(video, f);
    g_assert_true(g_str_equal(pt, video_pt) || f > 0);
  }
  g_assert_nonnull(gst_sdp_media_get_attribute_val(video, "ssrc"));
  gst_sdp_message_free(msg);
}

void plays(const std::string &sink_pipeline, const char *expected_pt) {
  test::Watchdog dog("sink-answer", 60);
  GstElement *sending = launch(sink_pipeline);
  DirectSignaller direct;
  g_object_set(by_name(sending, "sink"), "signaller", direct.producer(), nullptr);
  watch_bus(sending);
  // consumer-added / consumer-removed, as for any consumer.
  static std::atomic<int> added, removed;
  added = 0;
  removed = 0;
  g_signal_connect(by_name(sending, "sink"), "consumer-added",
                   G_CALLBACK(+[](GstElement *, const gchar *, GstElement *, gpointer) { added++; }), nullptr);
  g_signal_connect(by_name(sending, "sink"), "consumer-removed",
                   G_CALLBACK(+[](GstElement *, const gchar *, GstElement *, gpointer) { removed++; }), nullptr);
  const gint64 t0 = g_get_monotonic_time();
  gst_element_set_state(sending, GST_STATE_PLAYING);
  {
    OfferingConsumer consumer(direct, {kOpus, kChromiumVideo});
    std::string answer = consumer.wait_answer(10000);
    g_assert_false(answer.empty());
    g_test_message("answer:\n%s", answer.c_str());
    assert_answer(answer, expected_pt);
    g_assert_true(consumer.wait_frames(60, 20000));
    g_test_message("%u frames decoded (%dx%d) %.2f s after the request", consumer.frames.load(), consumer.width.load(),
                   consumer.height.load(), (g_get_monotonic_time() - t0) / 1e6);
    g_assert_cmpint(consumer.width, ==, 320);
    g_assert_cmpint(consumer.height, ==, 240);
    std::lock_guard lock(consumer.mutex);
    g_assert_cmpstr(consumer.failed.c_str(), ==, "");
    g_assert_cmpint(added, ==, 1);
  }
  unwatch_bus(sending);
  gst_element_set_state(sending, GST_STATE_NULL);
  g_assert_cmpint(removed, ==, 1);
  gst_object_unref(sending);
}

const char *kVideo = "videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=30/1 ! ";

// H.264 from upstream, constrained baseline: sent as it is, on the offer's
// 42e01f packetization-mode=1 payload (106), never High (112).
void test_h264_passthrough() {
  plays(std::string(kVideo) +
            "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 ! "
            "video/x-h264,profile=constrained-baseline ! webrtclivesink name=sink ice-addresses=127.0.0.1",
        "106");
}

// Raw video, the sink limited to VP8: encoded once, on the offer's VP8 (96).
void test_raw_to_vp8() {
  plays(std::string(kVideo) + "webrtclivesink name=sink ice-addresses=127.0.0.1 video-codecs=vp8", "96");
}

// A playing sink of kVideo with `options`, on `direct`, its endings watched.
GstElement *start_sink(const std::string &options, DirectSignaller &direct, Endings &endings) {
  GstElement *sending = launch(std::string(kVideo) + "webrtclivesink name=sink ice-addresses=127.0.0.1 " + options);
  endings.watch(direct.producer());
  g_object_set(by_name(sending, "sink"), "signaller", direct.producer(), nullptr);
  gst_element_set_state(sending, GST_STATE_PLAYING);
  return sending;
}

// An offer whose only video codec the sink cannot send (and audio for a sink
// without audio): the session ends, and the reason says why.
void test_no_common_codec() {
  test::Watchdog dog("no-common-codec", 60);
  DirectSignaller direct;
  Endings endings;
  GstElement *sending = start_sink("", direct, endings);
  {
    OfferingConsumer consumer(direct, {kOpus, kAv1Only});
    std::string reason = endings.wait(DirectSignaller::kSession, 10000);
    g_test_message("ended: %s", reason.c_str());
    g_assert_true(reason.find("nothing in the offer this producer can send") != std::string::npos);
    g_assert_true(reason.find("offered AV1") != std::string::npos);
    g_assert_true(reason.find("no audio") != std::string::npos);
  }
  gst_element_set_state(sending, GST_STATE_NULL);
  gst_object_unref(sending);
}

std::string many_mlines(unsigned n) {
  std::string sdp = "v=0\r\no=- 1 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE";
  for (unsigned i = 0; i < n; i++) sdp += " " + std::to_string(i);
  sdp += "\r\n";
  for (unsigned i = 0; i < n; i++)
    sdp += "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:" + std::to_string(i) +
           "\r\na=recvonly\r\na=rtpmap:96 VP8/90000\r\na=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"
           "a=fingerprint:sha-256 00:11\r\na=setup:actpass\r\n";
  return sdp;
}

// Hostile offers are refused before webrtcbin sees them, each with a reason,
// and the sink goes on serving a consumer that lets it offer (webrtclivesrc).
void test_hostile_offers_refused() {
  test::Watchdog dog("hostile-offers", 60);
  GstElement *sending = launch(std::string(kVideo) + "webrtclivesink name=sink ice-addresses=127.0.0.1 video-codecs=vp8");
  GstElement *receiving = gst_pipeline_new("receiving");
  GstElement *src = gst_element_factory_make("webrtclivesrc", "src");
  g_object_set(src, "ice-addresses", "127.0.0.1", nullptr);
  gst_bin_add(GST_BIN(receiving), src);
  DirectSignaller direct;
  Endings endings;
  endings.watch(direct.producer());
  g_object_set(by_name(sending, "sink"), "signaller", direct.producer(), nullptr);
  g_object_set(src, "signaller", direct.consumer(), nullptr);
  gst_element_set_state(sending, GST_STATE_PLAYING);

  std::string data_first = many_mlines(1);
  data_first.replace(data_first.find("BUNDLE 0"), 8, "BUNDLE d 0");
  data_first.replace(data_first.find("m=video"), 0,
                     "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=mid:d\r\n"
                     "a=sctp-port:5000\r\n");
  const std::map<std::string, std::string> offers = {
      {"garbage", "this is not SDP at all"},
      {"many", many_mlines(9)},
      {"port0", [] {
         std::string s = many_mlines(2);
         s.replace(s.find("m=video 9"), 9, "m=video 0");
         return s;
       }()},
      {"unbundled", [] {
         std::string s = many_mlines(2);
         s.replace(s.find("a=group:BUNDLE 0 1\r\n"), 20, "");
         return s;
       }()},
      {"data-first", data_first},
  };
  const std::map<std::string, std::string> expected = {
      {"garbage", "not valid SDP"},
      {"many", "at most 8"},
      {"port0", "rejected (port 0)"},
      {"unbundled", "does not bundle"},
      {"data-first", "data channel first"},
  };
  for (auto &[sid, sdp] : offers)
    g_signal_emit_by_name(direct.producer(), "session-requested", sid.c_str(), ("evil-" + sid).c_str(), sdp.c_str());
  for (auto &[sid, want] : expected) {
    std::string reason = endings.wait(sid, 10000);
    g_test_message("%s: %s", sid.c_str(), reason.c_str());
    g_assert_true(reason.find(want) != std::string::npos);
  }

  Received rx;
  count_src_pads(receiving, src, &rx);
  gst_element_set_state(receiving, GST_STATE_PLAYING);
  g_assert_true(rx.wait_for("video_0", 30, 15000));
  g_test_message("the offerer-style consumer got 30 video buffers after the attacks");
  stop_all({receiving, sending});
}


// Two video m-lines for one video input: the first is served, the second
// answered inactive with its port kept (a second video has nothing to send).
void test_second_video_inactive() {
  test::Watchdog dog("second-video", 60);
  GstElement *sending = launch(std::string(kVideo) + "webrtclivesink name=sink ice-addresses=127.0.0.1 video-codecs=vp8");
  DirectSignaller direct;
  g_object_set(by_name(sending, "sink"), "signaller", direct.producer(), nullptr);
  watch_bus(sending);
  gst_element_set_state(sending, GST_STATE_PLAYING);
  {
    OfferingConsumer consumer(direct, {kOpus, kChromiumVideo, kChromiumVideo});
    std::string answer = consumer.wait_answer(10000);
    g_assert_false(answer.empty());
    GstSDPMessage *msg = nullptr;
    g_assert_cmpint(gst_sdp_message_new_from_text(answer.c_str(), &msg), ==, GST_SDP_OK);
    g_assert_cmpuint(gst_sdp_message_medias_len(msg), ==, 3);
    const GstSDPMedia *first = gst_sdp_message_get_media(msg, 1), *second = gst_sdp_message_get_media(msg, 2);
    g_assert_nonnull(gst_sdp_media_get_attribute_val(first, "sendonly"));
    g_assert_nonnull(gst_sdp_media_get_attribute_val(second, "inactive"));
    g_assert_cmpuint(gst_sdp_media_get_port(second), !=, 0);
    gst_sdp_message_free(msg);
    g_assert_true(consumer.wait_frames(60, 20000));
    g_test_message("second video m-line inactive; %u frames decoded on the first", consumer.frames.load());
  }
  unwatch_bus(sending);
  stop_all({sending});
}

// An offer whose fingerprint is not the consumer's certificate (a man in
// the middle): the sink's DTLS check ends the session and not one frame
// reaches the consumer (its pads were gated when requested in the answer
// hook).
void test_forged_fingerprint() {
  test::Watchdog dog("answer-forged", 60);
  DirectSignaller direct;
  Endings endings;
  GstElement *sending = start_sink("video-codecs=vp8", direct, endings);
  {
    auto forge = [](std::string sdp) {
      for (size_t at = sdp.find("a=fingerprint:sha-256 "); at != std::string::npos;
           at = sdp.find("a=fingerprint:sha-256 ", at + 1)) {
        size_t first = at + strlen("a=fingerprint:sha-256 ");
        sdp[first] = sdp[first] == '0' ? '1' : '0';
      }
      return sdp;
    };
    OfferingConsumer consumer(direct, {kOpus, kChromiumVideo}, {}, forge);
    std::string reason = endings.wait(DirectSignaller::kSession, 15000);
    g_test_message("ended: %s; frames decoded: %u", reason.c_str(), consumer.frames.load());
    g_assert_true(reason.find("DTLS check failed") != std::string::npos);
    g_usleep(500 * 1000);
    g_assert_cmpuint(consumer.frames, ==, 0);
  }
  stop_all({sending});
}

// An offer with a data channel (created after the transceivers, as the
// m-line order needs): the consumer's channel reaches the sink's
// data-received, and the sink's data_%u channel is opened in-band and
// delivers to the consumer.
void test_data_channels() {
  test::Watchdog dog("answer-data", 60);
  GstElement *sending = launch(std::string(kVideo) + "webrtclivesink name=sink ice-addresses=127.0.0.1 video-codecs=vp8");
  GstElement *sink = by_name(sending, "sink");
  GstPad *chat = gst_element_request_pad_simple(sink, "data_%u");
  g_object_set(chat, "label", "chat", nullptr);
  GstElement *feed = gst_element_factory_make("appsrc", nullptr);
  GstCaps *text = gst_caps_from_string("text/x-raw,format=utf8");
  g_object_set(feed, "caps", text, "is-live", TRUE, "format", GST_FORMAT_TIME, "do-timestamp", TRUE, nullptr);
  gst_caps_unref(text);
  gst_bin_add(GST_BIN(sending), feed);
  GstPad *feed_src = gst_element_get_static_pad(feed, "src");
  g_assert_cmpint(gst_pad_link(feed_src, chat), ==, GST_PAD_LINK_OK);
  gst_object_unref(feed_src);
  struct AtSink {
    std::mutex mutex;
    std::vector<std::string> got;
  } at_sink;
  g_signal_connect(sink, "data-received",
                   G_CALLBACK(+[](GstElement *, const gchar *, const gchar *label, GBytes *data, gboolean, AtSink *a) {
                     gsize n = 0;
                     auto *d = static_cast<const char *>(g_bytes_get_data(data, &n));
                     std::lock_guard lock(a->mutex);
                     a->got.push_back(std::string(label) + "|" + std::string(d, n));
                   }),
                   &at_sink);
  DirectSignaller direct;
  g_object_set(sink, "signaller", direct.producer(), nullptr);
  gst_element_set_state(sending, GST_STATE_PLAYING);
  {
    OfferingConsumer consumer(direct, {kOpus, kChromiumVideo}, {DataChannelSpec{"from-consumer"}});
    g_assert_true(consumer.wait_frames(30, 20000));
    // The sink's channel: pushed until one arrives (it opens after DTLS).
    bool got = false;
    for (int i = 0; i < 100 && !got; i++) {
      const std::string msg = "hello";
      gst_app_src_push_buffer(GST_APP_SRC(feed), gst_buffer_new_memdup(msg.data(), msg.size()));
      got = consumer.wait_message("chat|hello", 100);
    }
    g_assert_true(got);
    // The consumer's channel, to the sink's data-received.
    bool back = false;
    for (int i = 0; i < 100 && !back; i++) {
      GBytes *bytes = g_bytes_new_static("hi there", 8);
      consumer.session->send_data("from-consumer", bytes, true);
      g_bytes_unref(bytes);
      g_usleep(100 * 1000);
      std::lock_guard lock(at_sink.mutex);
      back = std::find(at_sink.got.begin(), at_sink.got.end(), "from-consumer|hi there") != at_sink.got.end();
    }
    g_assert_true(back);
    g_test_message("data both ways with an offering consumer");
  }
  gst_element_set_state(sending, GST_STATE_NULL);
  gst_object_unref(chat);
  gst_object_unref(sending);
}

}  // namespace

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  g_test_init(&argc, &argv, nullptr);
  load_plugin();
  g_test_add_func("/sink-answer/h264-passthrough", test_h264_passthrough);
  g_test_add_func("/sink-answer/raw-to-vp8", test_raw_to_vp8);
  g_test_add_func("/sink-answer/no-common-codec", test_no_common_codec);
  g_test_add_func("/sink-answer/hostile-offers-refused", test_hostile_offers_refused);
  g_test_add_func("/sink-answer/data-channels", test_data_channels);
  g_test_add_func("/sink-answer/forged-fingerprint", test_forged_fingerprint);
  g_test_add_func("/sink-answer/second-video-inactive", test_second_video_inactive);
  return g_test_run();
}
