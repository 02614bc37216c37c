// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Session driven directly: two real webrtcbins in one process, an offerer
// sending VP8 and an answerer receiving it, connected over loopback with no
// signalling server in between. Each case checks what a user would see: the
// media arriving, or the session ending with a sentence that says why.
#include <gst/gst.h>
#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <regex>
#include <string>
#include <vector>

#include "control-loop.h"
#include "dtls-certificate.h"
#include "webrtc-util.h"
#include "session.h"
#include "../stamp/watchdog.h"

using namespace webrtclive;

namespace {

// What one side saw, filled on the control thread, waited for by the test.
struct Seen {
  std::mutex mutex;
  std::condition_variable cv;
  bool connected = false;
  std::vector<std::string> failures;
  std::atomic<unsigned> rtp{0};

  template <typename Pred>
  bool wait(Pred pred, int ms) {
    std::unique_lock lock(mutex);
    return cv.wait_for(lock, std::chrono::milliseconds(ms), [&] { return pred(*this); });
  }
  void note(const std::function<void(Seen &)> &fn) {
    {
      std::lock_guard lock(mutex);
      fn(*this);
    }
    cv.notify_all();
  }
};

// How the test may tamper with what goes from one side to the other.
struct Wire {
  std::function<protocol::Sdp(protocol::Sdp)> answer = [](protocol::Sdp s) { return s; };
  bool candidates = true;
};

class Pair {
 public:
  explicit Pair(Wire wire = {}, SessionConfig offerer_config = {}, SessionConfig answerer_config = {})
      : wire_(std::move(wire)) {
    loop_.start();
    pipeline_ = GRef<GstElement>::ref(gst_pipeline_new("session-test"));
    GError *err = nullptr;
    GstElement *sender = gst_parse_bin_from_description(
        "videotestsrc is-live=true ! video/x-raw,width=160,height=120,framerate=30/1 ! vp8enc deadline=1 "
        "keyframe-max-dist=10 ! rtpvp8pay ! application/x-rtp,media=video,encoding-name=VP8,payload=96 ! "
        "webrtcbin name=offerer bundle-policy=max-bundle",
        FALSE, &err);
    g_assert_no_error(err);
    gst_bin_add(GST_BIN(pipeline_.get()), sender);
    GstElement *w = gst_bin_get_by_name(GST_BIN(sender), "offerer");

    offerer_config.role = SessionRole::Offerer;
    offerer_config.ice.ice_addresses = {"127.0.0.1"};
    answerer_config.role = SessionRole::Answerer;
    answerer_config.ice.ice_addresses = {"127.0.0.1"};
    offerer_ = Session::create(loop_.context(), offerer_config, events(offer_seen_, true), w);
    gst_object_unref(w);
    answerer_ = Session::create(loop_.context(), answerer_config, events(answer_seen_, false));
    g_assert_nonnull(offerer_);
    g_assert_nonnull(answerer_);
    gst_bin_add(GST_BIN(pipeline_.get()), answerer_->webrtcbin());
  }

  ~Pair() {
    gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
    loop_.stop([this] {
      offerer_->close();
      answerer_->close();
    });
  }

  void start() {
    g_assert_cmpint(gst_element_set_state(pipeline_.get(), GST_STATE_PLAYING), !=, GST_STATE_CHANGE_FAILURE);
    on_loop([this] {
      answerer_->start();
      offerer_->start();
    });
  }

  // Runs `fn` on the control thread and waits for it.
  void on_loop(std::function<void()> fn) {
    std::promise<void> done;
    post_to(loop_.context(), [&] {
      fn();
      done.set_value();
    });
    done.get_future().wait();
  }

  Seen offer_seen_, answer_seen_;
  std::shared_ptr<Session> offerer_, answerer_;

 private:
  Session::Events events(Seen &seen, bool offerer) {
    Session::Events ev;
    ev.local_description = [this, offerer](const protocol::Sdp &sdp) {
      if (offerer)
        (void)answerer_->set_remote_description(sdp);
      else
        (void)offerer_->set_remote_description(wire_.answer(sdp));
    };
    ev.local_candidate = [this, offerer](const protocol::Ice &ice) {
      if (wire_.candidates) (offerer ? answerer_ : offerer_)->add_remote_candidate(ice);
    };
    ev.connected = [&seen] { seen.note([](Seen &s) { s.connected = true; }); };
    ev.failed = [&seen](EndReason, const std::string &why) { seen.note([&](Seen &s) { s.failures.push_back(why); }); };
    // The answerer's receiving pad: a fakesink behind it, buffers counted.
    ev.pad_added = [this, &seen](GstPad *pad) {
      GstElement *sink = gst_element_factory_make("fakesink", nullptr);
      g_object_set(sink, "async", FALSE, "sync", FALSE, nullptr);
      gst_bin_add(GST_BIN(pipeline_.get()), sink);
      gst_element_sync_state_with_parent(sink);
      GstPad *sinkpad = gst_element_get_static_pad(sink, "sink");
      gst_pad_add_probe(
          sinkpad, GST_PAD_PROBE_TYPE_BUFFER,
          [](GstPad *, GstPadProbeInfo *, gpointer data) {
            static_cast<Seen *>(data)->note([](Seen &s) { s.rtp++; });
            return GST_PAD_PROBE_OK;
          },
          &seen, nullptr);
      gst_pad_link(pad, sinkpad);
      gst_object_unref(sinkpad);
    };
    return ev;
  }

  Wire wire_;
  ControlLoop loop_;
  GRef<GstElement> pipeline_;
};

std::string failures(Seen &s) {
  std::lock_guard lock(s.mutex);
  std::string out;
  for (auto &f : s.failures) out += "[" + f + "] ";
  return out;
}

void assert_no_failure(Seen &s) {
  const std::string f = failures(s);  // kept alive: g_assert_cmpstr reads it after the call
  g_assert_cmpstr(f.c_str(), ==, "");
}

bool failed_with(Seen &s, const char *pattern, int ms) {
  std::regex re(pattern);
  return s.wait(
      [&](Seen &x) {
        for (auto &f : x.failures)
          if (std::regex_search(f, re)) return true;
        return false;
      },
      ms);
}

void test_connects_and_media_flows() {
  test::Watchdog dog("connects", 60);
  Pair pair;
  pair.start();
  g_assert_true(pair.offer_seen_.wait([](Seen &s) { return s.connected; }, 15000));
  g_assert_true(pair.answer_seen_.wait([](Seen &s) { return s.connected; }, 15000));
  g_assert_true(pair.answer_seen_.wait([](Seen &s) { return s.rtp >= 30; }, 15000));
  g_assert_true(pair.offerer_->verified()->load());
  // Statistics come back on the control thread: the offerer has sent RTP.
  std::promise<guint64> sent;
  pair.on_loop([&] {
    pair.offerer_->request_stats([&](const GstStructure *stats) {
      guint64 packets = 0;
      gst_structure_foreach(
          stats,
          [](GQuark, const GValue *v, gpointer data) -> gboolean {
            if (!GST_VALUE_HOLDS_STRUCTURE(v)) return TRUE;
            const GstStructure *entry = gst_value_get_structure(v);
            GstWebRTCStatsType type;
            guint64 n = 0;
            if (gst_structure_get(entry, "type", GST_TYPE_WEBRTC_STATS_TYPE, &type, nullptr) &&
                type == GST_WEBRTC_STATS_OUTBOUND_RTP && gst_structure_get_uint64(entry, "packets-sent", &n))
              *static_cast<guint64 *>(data) += n;
            return TRUE;
          },
          &packets);
      sent.set_value(packets);
    });
  });
  auto f = sent.get_future();
  g_assert_true(f.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
  const guint64 packets = f.get();
  g_test_message("the offerer reports %" G_GUINT64_FORMAT " RTP packets sent", packets);
  g_assert_cmpuint(packets, >, 0);
  assert_no_failure(pair.offer_seen_);
  assert_no_failure(pair.answer_seen_);
}

// The answerer with an element's own ECDSA certificate (SessionConfig::
// certificate_pem, core/dtls-certificate.h): its answer announces that
// certificate's fingerprint, and the offerer's identity check (the
// certificate presented in the handshake against the answer) passes, so the
// handshake used it; media flows.
void test_own_ecdsa_certificate() {
  test::Watchdog dog("ecdsa", 60);
  std::string error;
  const gint64 t0 = g_get_monotonic_time();
  auto pem = make_dtls_certificate_pem("answerer", &error);
  g_test_message("ECDSA P-256 certificate made in %.2f ms", (g_get_monotonic_time() - t0) / 1000.0);
  g_assert_nonnull(pem.get());
  g_assert_true(pem->find("BEGIN CERTIFICATE") != std::string::npos && pem->find("BEGIN PRIVATE KEY") != std::string::npos);
  const auto expected = pem_fingerprint(*pem, "sha-256");
  g_assert_true(expected.has_value());
  auto announced = std::make_shared<std::string>();
  Wire wire;
  wire.answer = [announced](protocol::Sdp s) {
    if (auto fp = sdp_fingerprint(s.sdp)) *announced = fp->second;
    return s;
  };
  SessionConfig answerer;
  answerer.certificate_pem = pem;
  Pair pair(wire, {}, answerer);
  pair.start();
  g_assert_true(pair.offer_seen_.wait([](Seen &s) { return s.connected; }, 15000));
  g_assert_true(pair.answer_seen_.wait([](Seen &s) { return s.rtp >= 30; }, 15000));
  g_assert_true(*announced == *expected);
  g_assert_true(pair.offerer_->verified()->load());
  assert_no_failure(pair.offer_seen_);
  assert_no_failure(pair.answer_seen_);
}

// An answer announcing another certificate than the one the peer presents
// (a man in the middle): the offerer ends the session, and not one packet
// of its media has left.
void test_forged_fingerprint() {
  test::Watchdog dog("forged", 60);
  Wire wire;
  wire.answer = [](protocol::Sdp s) {
    s.sdp = std::regex_replace(s.sdp, std::regex("a=fingerprint:sha-256 [0-9A-F:]+"),
                               "a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:"
                               "BB:CC:DD:EE:FF");
    return s;
  };
  Pair pair(wire);
  pair.start();
  if (!failed_with(pair.offer_seen_, "^DTLS check failed: .*not the one its SDP announced", 15000))
    g_error("offerer: %s; answerer: %s", failures(pair.offer_seen_).c_str(), failures(pair.answer_seen_).c_str());
  g_usleep(500 * 1000);
  g_assert_cmpuint(pair.answer_seen_.rtp.load(), ==, 0);
  g_assert_false(pair.offerer_->verified()->load());
  g_assert_false(pair.offer_seen_.connected);
}

// What a hostile peer may send instead of a description.
void test_hostile_descriptions() {
  test::Watchdog dog("hostile", 60);
  struct Case {
    protocol::Sdp answer;
    const char *why;
  };
  const Case cases[] = {
      {{"answer", ""}, "^the answer is not valid SDP$"},
      {{"answer", "v=0\r\nnonsense"}, "^the answer is not valid SDP$"},
      {{"offer", "v=0\r\n"}, "^expected an SDP answer, got offer"},
      {{"pranswer", "v=0\r\n"}, "^expected an SDP answer, got pranswer"},
  };
  for (const auto &c : cases) {
    Wire wire;
    wire.answer = [&](protocol::Sdp) { return c.answer; };
    Pair pair(wire);
    pair.start();
    if (!failed_with(pair.offer_seen_, c.why, 10000))
      g_error("'%s' for %s: %s", c.answer.sdp.c_str(), c.why, failures(pair.offer_seen_).c_str());
  }
  // An answer with one m-line more than offered never reaches webrtcbin.
  Wire extra;
  extra.answer = [](protocol::Sdp s) {
    auto at = s.sdp.find("m=video");
    s.sdp += s.sdp.substr(at);
    return s;
  };
  Pair pair(extra);
  pair.start();
  if (!failed_with(pair.offer_seen_, "^unacceptable answer: ", 10000)) g_error("%s", failures(pair.offer_seen_).c_str());
}

void test_too_many_mlines_offered() {
  test::Watchdog dog("mlines", 60);
  SessionConfig answerer;
  answerer.max_remote_mlines = 0;  // the one video m-line is one too many
  Pair pair({}, {}, answerer);
  pair.start();
  g_assert_true(failed_with(pair.answer_seen_, "^the offer has 1 m-lines; at most 0 are accepted$", 10000));
}

void test_candidates_bounded() {
  test::Watchdog dog("candidates", 60);
  Pair pair;
  pair.on_loop([&] {
    for (unsigned i = 0; i <= kMaxRemoteCandidates; i++)
      pair.answerer_->add_remote_candidate(
          {"candidate:" + std::to_string(i) + " 1 udp 2122260223 127.0.0.1 " + std::to_string(40000 + i) + " typ host",
           0});
  });
  // Before any description the answerer has no m-line for them: ended at once.
  g_assert_true(failed_with(pair.answer_seen_, "^refused: ", 5000));
  Pair flood;
  flood.start();
  g_assert_true(flood.answer_seen_.wait([](Seen &s) { return s.connected; }, 15000));
  flood.on_loop([&] {
    for (unsigned i = 0; i <= kMaxRemoteCandidates; i++)
      flood.answerer_->add_remote_candidate({"candidate:1 1 udp 2122260223 127.0.0.1 40000 typ host", 0});
  });
  g_assert_true(failed_with(flood.answer_seen_, "^refused: .*candidates", 5000));
}

void test_connect_timeout() {
  test::Watchdog dog("timeout", 60);
  Wire wire;
  wire.candidates = false;  // ICE never starts
  SessionConfig offerer;
  offerer.connect_timeout_s = 1;
  Pair pair(wire, offerer);
  pair.start();
  g_assert_true(failed_with(pair.offer_seen_, "^did not connect within 1 s$", 5000));
}

// A closed session says nothing more, whatever its webrtcbin does after.
void test_close_is_silent() {
  test::Watchdog dog("close", 60);
  SessionConfig offerer;
  offerer.connect_timeout_s = 1;
  Wire wire;
  wire.candidates = false;
  Pair pair(wire, offerer);
  pair.start();
  pair.on_loop([&] { pair.offerer_->close(); });
  g_usleep(2000 * 1000);
  assert_no_failure(pair.offer_seen_);
}

}  // namespace

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  g_test_init(&argc, &argv, nullptr);
  g_test_add_func("/session/connects-and-media-flows", test_connects_and_media_flows);
  g_test_add_func("/session/forged-fingerprint", test_forged_fingerprint);
  g_test_add_func("/session/own-ecdsa-certificate", test_own_ecdsa_certificate);
  g_test_add_func("/session/hostile-descriptions", test_hostile_descriptions);
  g_test_add_func("/session/too-many-mlines-offered", test_too_many_mlines_offered);
  g_test_add_func("/session/candidates-bounded", test_candidates_bounded);
  g_test_add_func("/session/connect-timeout", test_connect_timeout);
  g_test_add_func("/session/close-is-silent", test_close_is_silent);
  return g_test_run();
}
