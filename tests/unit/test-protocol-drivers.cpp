// SPDX-License-Identifier: LGPL-2.1-or-later
//
// ProtocolProducer and ProtocolConsumer against a real in-process
// SignallingServer (the hub of an EmbeddedTransport, or a standalone server
// reached through WsTransport): discovery by name and by peer id, SDP and
// ICE both ways, a producer ending or leaving, `once`, and a callback that
// stops its own signaller (which used to deadlock on the local peer's lock).
#include <glib.h>
#include <gst/gst.h>

#include <atomic>
#include <memory>

#include "protocol-consumer.h"
#include "protocol-producer.h"
#include "signaller-fixture.h"
#include "transport.h"

using namespace webrtclive;
using namespace webrtclive::protocol;
using namespace sigtest;

namespace {

const char *const kOffer = "v=0\r\no=- 1 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n";
const char *const kAnswer = "v=0\r\no=- 2 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n";
const char *const kCandidate = "candidate:1 1 UDP 2122252543 127.0.0.1 40000 typ host";

// A producer that logs everything and, when `offer` is set, answers every
// session request with an offer and one candidate.
struct Producer {
  std::unique_ptr<ProtocolProducer> signaller;
  Log log;
  bool offer = true;

  Producer(std::unique_ptr<SignallingTransport> transport, const std::string &name)
      : signaller(std::make_unique<ProtocolProducer>(std::move(transport), Meta::from_name(name))) {}
  Producer(const std::string &url, const std::string &name) : Producer(std::make_unique<WsTransport>(ws(url)), name) {}

  void start(std::function<void(const std::string &sid)> on_request = {}) {
    ProducerSignaller::Callbacks cb;
    cb.session_requested = [this, on_request](const std::string &sid, const std::string &peer,
                                              const std::optional<std::string> &) {
      log.add("requested " + sid + " " + peer);
      if (on_request) {
        // Last thing done: on_request may stop the signaller and let the
        // test thread drop this Producer, so `this` is not touched after it.
        on_request(sid);
        return;
      }
      if (offer) {
        signaller->send_sdp(sid, Sdp{"offer", kOffer});
        signaller->send_ice(sid, Ice{kCandidate, 0});
      }
    };
    cb.remote_sdp = [this](const std::string &sid, const Sdp &sdp) { log.add("sdp " + sid + " " + sdp.type); };
    cb.remote_ice = [this](const std::string &sid, const Ice &) { log.add("ice " + sid); };
    cb.session_ended = [this](const std::string &sid, const std::optional<std::string> &) { log.add("ended " + sid); };
    cb.error = [this](const std::string &message, bool) { log.add("error " + message); };
    std::string error;
    g_assert_true(signaller->start(std::move(cb), &error));
  }
  unsigned port() { return static_cast<EmbeddedTransport &>(signaller->transport()).port(); }
};

// A consumer that logs everything and answers offers with an answer and a candidate.
struct Consumer {
  std::unique_ptr<ProtocolConsumer> signaller;
  Log log;

  Consumer(std::unique_ptr<SignallingTransport> transport, ProtocolConsumer::Options options)
      : signaller(std::make_unique<ProtocolConsumer>(std::move(transport), std::move(options))) {}
  Consumer(const std::string &url, ProtocolConsumer::Options options)
      : Consumer(std::make_unique<WsTransport>(ws(url)), std::move(options)) {}

  void start(std::function<void(const std::string &sid)> on_started = {}) {
    ConsumerSignaller::Callbacks cb;
    cb.producer_found = [this](const std::string &peer, const std::string &name) {
      log.add("found " + peer + " " + name);
    };
    cb.session_started = [this, on_started](const std::string &sid, const std::string &peer, const std::string &name) {
      log.add("started " + sid + " " + peer + " " + name);
      if (on_started) on_started(sid);
    };
    cb.remote_sdp = [this](const std::string &sid, const Sdp &sdp) {
      log.add("sdp " + sid + " " + sdp.type);
      signaller->send_sdp(sid, Sdp{"answer", kAnswer});
    };
    cb.remote_ice = [this](const std::string &sid, const Ice &ice) {
      log.add("ice " + sid + " " + std::to_string(ice.sdp_mline_index));
      signaller->send_ice(sid, Ice{kCandidate, 0});
    };
    cb.session_ended = [this](const std::string &sid, const std::string &reason) {
      log.add("ended " + sid + " " + reason);
    };
    cb.error = [this](const std::string &message, bool) { log.add("error " + message); };
    std::string error;
    g_assert_true(signaller->start(std::move(cb), &error));
  }
};

ProtocolConsumer::Options by_name(const std::string &name, bool once = false) {
  ProtocolConsumer::Options o;
  o.meta = Meta::from_name("viewer");
  o.producer_name = name;
  o.once = once;
  o.rediscover_ms = 50;
  return o;
}

// The full exchange of the consumer's n-th session, the producer's
// `pn`-th (default: n-th); returns its id.
std::string expect_session(Producer &p, Consumer &c, size_t n = 1, size_t pn = 0) {
  std::string started = c.log.wait("started ", n);
  std::string sid = word(started, 1);
  std::string requested = p.log.wait("requested ", pn ? pn : n);
  UNIT_ASSERT_STR_EQ(word(requested, 1), sid);
  c.log.wait("sdp " + sid + " offer");
  c.log.wait("ice " + sid + " 0");
  p.log.wait("sdp " + sid + " answer");
  p.log.wait("ice " + sid);
  return sid;
}

void test_finds_by_name() {
  Watchdog wd;
  // The producer hosts the hub (EmbeddedTransport); a decoy and the consumer
  // come over WebSockets.
  Producer cam(std::make_unique<EmbeddedTransport>(loopback()), "cam");
  cam.start();
  std::string url = "ws://127.0.0.1:" + std::to_string(cam.port()) + "/";
  g_assert_false(cam.signaller->urls().empty());
  Producer decoy(url, "other");
  decoy.start();
  Consumer viewer(url, by_name("cam"));
  viewer.start();

  std::string found = viewer.log.wait("found ");
  UNIT_ASSERT_STR_EQ(word(found, 2), "cam");
  std::string sid = expect_session(cam, viewer);
  UNIT_ASSERT_STR_EQ(word(viewer.log.wait("started "), 3), "cam");

  // The producer ends it: the consumer is told and finds it again.
  cam.signaller->end_session(sid, std::string("bye"));
  std::string ended = viewer.log.wait("ended " + sid);
  UNIT_ASSERT_CONTAINS(ended, "producer ended the session");
  std::string sid2 = expect_session(cam, viewer, 2);
  g_assert_true(sid2 != sid);
  g_assert_cmpuint(decoy.log.count("requested "), ==, 0);
  g_assert_cmpuint(viewer.log.count("error "), ==, 0);
  viewer.signaller->stop();
  decoy.signaller->stop();
  cam.signaller->stop();
}

void test_once() {
  Watchdog wd;
  Server server;
  Producer cam(server.url(), "cam");
  cam.start();
  Consumer viewer(server.url(), by_name("cam", true));
  viewer.start();
  std::string sid = expect_session(cam, viewer);
  cam.signaller->end_session(sid, std::nullopt);
  viewer.log.wait("ended " + sid);
  std::this_thread::sleep_for(400ms);  // 8x rediscover_ms
  g_assert_cmpuint(viewer.log.count("started "), ==, 1);
  g_assert_cmpuint(cam.log.count("requested "), ==, 1);
  viewer.signaller->stop();
  cam.signaller->stop();
}

void test_consumer_ends_and_looks_again() {
  Watchdog wd;
  Server server;
  Producer cam(server.url(), "cam");
  cam.start();
  Consumer viewer(server.url(), by_name("cam"));
  viewer.start();
  std::string sid = expect_session(cam, viewer);
  viewer.signaller->end_session(sid, std::string("bad offer"));
  cam.log.wait("ended " + sid);
  g_assert_cmpuint(viewer.log.count("ended "), ==, 0);  // not for our own end
  std::string sid2 = expect_session(cam, viewer, 2);
  g_assert_true(sid2 != sid);
  viewer.signaller->stop();
  cam.signaller->stop();
}

void test_peer_id_filter() {
  Watchdog wd;
  Server server;
  Producer a(server.url(), "a");
  Producer b(server.url(), "b");
  a.offer = b.offer = false;
  a.start();
  b.start();
  // Learn b's peer id the way an application would: a consumer finds it by name.
  std::string b_id;
  {
    Consumer scout(server.url(), by_name("b", true));
    scout.start();
    b_id = word(scout.log.wait("found "), 1);
    scout.log.wait("started ");
    scout.signaller->stop();
  }
  ProtocolConsumer::Options o = by_name("");
  o.peer_id = b_id;
  Consumer viewer(server.url(), o);
  viewer.start();
  std::string started = viewer.log.wait("started ");
  UNIT_ASSERT_STR_EQ(word(started, 2), b_id);
  UNIT_ASSERT_STR_EQ(word(started, 3), "b");
  g_assert_cmpuint(a.log.count("requested "), ==, 0);
  viewer.signaller->stop();
  a.signaller->stop();
  b.signaller->stop();
}

void test_producer_leaves() {
  Watchdog wd;
  Server server;
  auto first = std::make_unique<Producer>(server.url(), "cam");
  first->start();
  Consumer viewer(server.url(), by_name("cam"));
  viewer.start();
  std::string sid = expect_session(*first, viewer);
  std::string first_id = word(viewer.log.wait("started "), 2);
  first->signaller->stop();
  first.reset();
  std::string ended = viewer.log.wait("ended " + sid);
  g_assert_cmpuint(viewer.log.count("ended "), ==, 1);  // endSession and peerStatusChanged: told once
  // Another producer of that name comes: the consumer takes it.
  Producer second(server.url(), "cam");
  second.start();
  expect_session(second, viewer, 2, 1);
  g_assert_true(word(viewer.log.wait("started ", 2), 2) != first_id);
  viewer.signaller->stop();
  second.signaller->stop();
}

// max_sessions > 1 (webrtclivesrc producers=all): one session with every
// producer matching a glob and the accept filter, at most max_sessions at
// once; one leaving ends only its session, and a waiting one takes the slot.
void test_many_producers() {
  Watchdog wd;
  Server server;
  auto one = std::make_unique<Producer>(server.url(), "cam-1");
  Producer two(server.url(), "cam-2"), other(server.url(), "other"), refused(server.url(), "cam-refused");
  one->start();
  two.start();
  other.start();
  refused.start();
  ProtocolConsumer::Options o = by_name("cam-*");
  o.max_sessions = 2;
  o.accept = [](const std::string &, const Meta &meta) { return meta.name() != "cam-refused"; };
  Consumer viewer(server.url(), o);
  viewer.start();
  // started SID PEER NAME, in whatever order the server answers.
  std::string s1, s2;
  for (size_t i = 1; i <= 2; i++) {
    std::string line = viewer.log.wait("started ", i);
    (word(line, 3) == "cam-1" ? s1 : s2) = word(line, 1);
  }
  g_assert_false(s1.empty() || s2.empty());
  one->log.wait("sdp " + s1 + " answer");  // sessions are independent: both answered
  two.log.wait("sdp " + s2 + " answer");
  std::this_thread::sleep_for(200ms);
  g_assert_cmpuint(viewer.log.count("started "), ==, 2);
  g_assert_cmpuint(other.log.count("requested "), ==, 0);
  g_assert_cmpuint(refused.log.count("requested "), ==, 0);

  // A third matching producer waits for a free slot (max_sessions = 2).
  Producer three(server.url(), "cam-3");
  three.start();
  std::this_thread::sleep_for(300ms);
  g_assert_cmpuint(three.log.count("requested "), ==, 0);
  one->signaller->stop();
  one.reset();
  std::string ended = viewer.log.wait("ended ");
  g_assert_true(word(ended, 1) == s1);
  g_assert_cmpuint(viewer.log.count("ended "), ==, 1);  // only its own
  std::string s3 = word(viewer.log.wait("started ", 3), 1);
  three.log.wait("sdp " + s3 + " answer");
  // two's session went on untouched; SDP for it still flows.
  viewer.signaller->send_ice(s2, Ice{kCandidate, 0});
  two.log.wait("ice " + s2, 2);
  viewer.signaller->stop();
  two.signaller->stop();
  three.signaller->stop();
  other.signaller->stop();
  refused.signaller->stop();
}

// The server restarts: both sides are told (not fatal), reconnect, the
// producer registers again (its old sessions are forgotten: nothing is sent
// for them) and the consumer finds it again.
void test_server_restart() {
  Watchdog wd;
  auto server = std::make_unique<Server>();
  unsigned port = server->server.port();
  std::string url = server->url();
  Producer cam(url, "cam");
  cam.start();
  Consumer viewer(url, by_name("cam"));
  viewer.start();
  std::string sid = expect_session(cam, viewer);
  server.reset();
  std::string ended = viewer.log.wait("ended " + sid);
  g_assert_cmpuint(viewer.log.count("ended "), ==, 1);
  UNIT_ASSERT_CONTAINS(viewer.log.wait("error "), "reconnecting in");
  UNIT_ASSERT_CONTAINS(cam.log.wait("error "), "consumers already connected keep streaming; reconnecting in");
  cam.signaller->send_sdp(sid, Sdp{"offer", kOffer});  // an old session: dropped, no server error follows
  webrtclive::SignallingServer again;
  auto o = loopback();
  o.port = port;
  std::string error;
  g_assert_true(again.start(o, &error));
  expect_session(cam, viewer, 2);
  for (auto &e : cam.log.all()) g_assert_true(e.find("signalling server:") == std::string::npos);
  viewer.signaller->stop();
  cam.signaller->stop();
}

// stop() from inside a callback, on each transport's thread: returns, and no
// callback follows.
void stop_inside_consumer_callback(bool embedded) {
  Watchdog wd;
  std::unique_ptr<Server> server;
  std::unique_ptr<Consumer> viewer;
  std::string url;
  if (embedded) {
    viewer = std::make_unique<Consumer>(std::make_unique<EmbeddedTransport>(loopback()), by_name("cam"));
  } else {
    server = std::make_unique<Server>();
    url = server->url();
    viewer = std::make_unique<Consumer>(url, by_name("cam"));
  }
  Consumer *raw = viewer.get();
  viewer->start([raw](const std::string &) {
    raw->signaller->stop();
    raw->log.add("stopped");
  });
  if (embedded)
    url = "ws://127.0.0.1:" + std::to_string(static_cast<EmbeddedTransport &>(viewer->signaller->transport()).port()) + "/";
  Producer cam(url, "cam");
  cam.start();
  viewer->log.wait("stopped");
  std::this_thread::sleep_for(200ms);
  g_assert_cmpuint(viewer->log.count("sdp "), ==, 0);
  g_assert_cmpuint(viewer->log.count("ice "), ==, 0);
  viewer->signaller->stop();  // again, from here: a no-op
  viewer.reset();
  cam.signaller->stop();
}

void stop_inside_producer_callback(bool embedded) {
  Watchdog wd;
  std::unique_ptr<Server> server;
  std::unique_ptr<Producer> cam;
  std::string url;
  if (embedded) {
    cam = std::make_unique<Producer>(std::make_unique<EmbeddedTransport>(loopback()), "cam");
  } else {
    server = std::make_unique<Server>();
    url = server->url();
    cam = std::make_unique<Producer>(url, "cam");
  }
  cam->offer = false;
  Producer *raw = cam.get();
  cam->start([raw](const std::string &) {
    raw->signaller->stop();
    raw->log.add("stopped");
  });
  if (embedded) url = "ws://127.0.0.1:" + std::to_string(raw->port()) + "/";
  Consumer viewer(url, by_name("cam"));
  viewer.start();
  cam->log.wait("stopped");
  cam.reset();  // the owner drops it right after, from another thread
  viewer.signaller->stop();
}

void test_stop_inside_callback_embedded_consumer() { stop_inside_consumer_callback(true); }
void test_stop_inside_callback_ws_consumer() { stop_inside_consumer_callback(false); }
void test_stop_inside_callback_embedded_producer() { stop_inside_producer_callback(true); }
void test_stop_inside_callback_ws_producer() { stop_inside_producer_callback(false); }

// stop() from another thread waits for a callback under way: nothing of
// the signaller's runs after it returned.
void test_stop_waits_for_callback() {
  Watchdog wd;
  Consumer viewer(std::make_unique<EmbeddedTransport>(loopback()), by_name("cam"));
  std::atomic<bool> in_callback{false}, stopped{false}, late{false};
  viewer.start([&](const std::string &) {
    in_callback = true;
    std::this_thread::sleep_for(300ms);
    if (stopped) late = true;
  });
  std::string url =
      "ws://127.0.0.1:" + std::to_string(static_cast<EmbeddedTransport &>(viewer.signaller->transport()).port()) + "/";
  Producer cam(url, "cam");
  cam.start();
  while (!in_callback) std::this_thread::sleep_for(5ms);
  viewer.signaller->stop();
  stopped = true;
  g_assert_false(late.load());
  cam.signaller->stop();
}

}  // namespace

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  g_test_init(&argc, &argv, nullptr);
  g_test_add_func("/drivers/consumer-finds-producer-by-name", test_finds_by_name);
  g_test_add_func("/drivers/consumer-once", test_once);
  g_test_add_func("/drivers/consumer-ends-and-looks-again", test_consumer_ends_and_looks_again);
  g_test_add_func("/drivers/consumer-peer-id-filter", test_peer_id_filter);
  g_test_add_func("/drivers/producer-leaves", test_producer_leaves);
  g_test_add_func("/drivers/consumer-many-producers", test_many_producers);
  g_test_add_func("/drivers/server-restart", test_server_restart);
  g_test_add_func("/drivers/stop-inside-callback/embedded-consumer", test_stop_inside_callback_embedded_consumer);
  g_test_add_func("/drivers/stop-inside-callback/ws-consumer", test_stop_inside_callback_ws_consumer);
  g_test_add_func("/drivers/stop-inside-callback/embedded-producer", test_stop_inside_callback_embedded_producer);
  g_test_add_func("/drivers/stop-inside-callback/ws-producer", test_stop_inside_callback_ws_producer);
  g_test_add_func("/drivers/stop-waits-for-callback", test_stop_waits_for_callback);
  return g_test_run();
}
