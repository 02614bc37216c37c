// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The signalling hub as its peers see it: fake peers send JSON text frames
// and record every frame the hub sends them (as it would go on the wire, and
// parsed back the way a client would).
#include <glib.h>

#include <algorithm>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "hub-fixture.h"

using namespace webrtclive;
using namespace webrtclive::protocol;
using namespace hubtest;

namespace {

// ---- connection and status -------------------------------------------------------

void test_welcome() {
  World w;
  FakePeer &a = w.connect();
  FakePeer &b = w.connect();
  Welcome wa = TAKE(a, Welcome);
  Welcome wb = TAKE(b, Welcome);
  UNIT_ASSERT_STR_EQ(wa.peer_id, a.id);
  UNIT_ASSERT_STR_EQ(wb.peer_id, b.id);
  g_assert_true(g_uuid_string_is_valid(wa.peer_id.c_str()));
  g_assert_true(g_uuid_string_is_valid(wb.peer_id.c_str()));
  g_assert_true(wa.peer_id != wb.peer_id);
  EXPECT_NOTHING(a);
  EXPECT_NOTHING(b);
  g_assert_cmpuint(w.hub.peer_count(), ==, 2);
}

// What GET /metrics reads: messages by type (unparsable ones as
// "invalid"), errors by the type that caused them, sessions, roles.
void test_counters() {
  World w;
  FakePeer &cam = w.connect_quiet();
  FakePeer &viewer = w.connect_quiet();
  w.set_status(cam, R"(["producer"])", R"({"name":"cam"})");
  w.send(viewer, R"({"type":"startSession","peerId":")" + cam.id + R"("})");
  w.send(viewer, "{not json");
  w.send(viewer, R"({"type":"startSession","peerId":"nobody"})");
  const Hub::Counters &c = w.hub.counters();
  g_assert_cmpuint(c.messages.at("setPeerStatus"), ==, 1);
  g_assert_cmpuint(c.messages.at("startSession"), ==, 2);
  g_assert_cmpuint(c.messages.at("invalid"), ==, 1);
  g_assert_cmpuint(c.errors.at("invalid"), ==, 1);
  g_assert_cmpuint(c.errors.at("startSession"), ==, 1);
  g_assert_cmpuint(c.sessions_started, ==, 1);
  g_assert_cmpuint(c.peers_joined, ==, 2);
  g_assert_cmpuint(w.hub.count_role(Role::Producer), ==, 1);
  w.hub.remove_peer(viewer.id);
  g_assert_cmpuint(w.hub.counters().sessions_ended, ==, 1);
}

void test_listener_hears_own_status() {
  World w;
  FakePeer &browser = w.connect_quiet();
  w.set_status(browser, R"(["listener"])");
  PeerStatusChanged echo = TAKE(browser, PeerStatusChanged);
  UNIT_ASSERT_STR_EQ(echo.peer_id, browser.id);
  g_assert_true(echo.roles == std::vector<Role>{Role::Listener});
  UNIT_ASSERT_STR_EQ(echo.meta.to_json(), "null");
  EXPECT_NOTHING(browser);

  // A listener+producer hears itself with its meta.
  FakePeer &b2 = w.connect_quiet();
  w.set_status(b2, R"(["listener","producer"])", R"({"name":"webcam"})");
  PeerStatusChanged e2 = TAKE(b2, PeerStatusChanged);
  UNIT_ASSERT_STR_EQ(e2.peer_id, b2.id);
  g_assert_true(e2.roles == (std::vector<Role>{Role::Listener, Role::Producer}));
  UNIT_ASSERT_JSON_SAME(e2.meta.to_json(), R"({"name":"webcam"})");
  // ... and so does the first listener.
  PeerStatusChanged seen = TAKE(browser, PeerStatusChanged);
  UNIT_ASSERT_STR_EQ(seen.peer_id, b2.id);
}

void test_listeners_hear_producer() {
  World w;
  FakePeer &l1 = w.connect_quiet();
  FakePeer &l2 = w.connect_quiet();
  FakePeer &quiet = w.connect_quiet();  // roles [] hears nothing
  w.set_status(l1, R"(["listener"])");
  w.set_status(l2, R"(["listener"])");
  w.set_status(quiet, "[]");
  w.clear_all();

  FakePeer &p = w.connect_quiet();
  // A peerId chosen by the client is ignored: the server's id is used.
  w.send(p, R"({"type":"setPeerStatus","roles":["producer"],"meta":{"name":"cam","fps":30},"peerId":"chosen"})");
  for (FakePeer *l : {&l1, &l2}) {
    PeerStatusChanged m = TAKE(*l, PeerStatusChanged);
    UNIT_ASSERT_STR_EQ(m.peer_id, p.id);
    g_assert_true(m.roles == std::vector<Role>{Role::Producer});
    UNIT_ASSERT_JSON_SAME(m.meta.to_json(), R"({"name":"cam","fps":30})");
    EXPECT_NOTHING(*l);
  }
  EXPECT_NOTHING(quiet);
  EXPECT_NOTHING(p);  // not a listener itself
}

void test_list() {
  World w;
  FakePeer &p1 = w.connect_quiet();
  FakePeer &p2 = w.connect_quiet();
  FakePeer &c = w.connect_quiet();
  FakePeer &l = w.connect_quiet();
  w.set_status(p1, R"(["producer"])", R"({"name":"one"})");
  w.set_status(p2, R"(["producer","listener"])");
  w.set_status(c, R"(["consumer"])", R"({"name":"passive"})");
  w.set_status(l, R"(["listener"])");
  w.clear_all();

  w.send(l, R"({"type":"list"})");
  ListReply reply = TAKE(l, ListReply);
  EXPECT_NOTHING(l);
  g_assert_cmpuint(reply.producers.size(), ==, 2);
  auto find = [&](const std::string &id) -> const PeerInfo * {
    for (const auto &pi : reply.producers)
      if (pi.id == id) return &pi;
    return nullptr;
  };
  g_assert_nonnull(find(p1.id));
  g_assert_nonnull(find(p2.id));
  UNIT_ASSERT_JSON_SAME(find(p1.id)->meta.to_json(), R"({"name":"one"})");
  UNIT_ASSERT_STR_EQ(find(p2.id)->meta.to_json(), "null");

  // Empty when nobody produces; a peer that never set its status may ask.
  World empty;
  FakePeer &x = empty.connect_quiet();
  empty.send(x, R"({"type":"list"})");
  UNIT_ASSERT_STR_EQ(unit::json_member(x.peek(), "producers"), "[]");
  g_assert_true(TAKE(x, ListReply).producers.empty());
}

void test_list_consumers() {
  World w;
  FakePeer &p = w.connect_quiet();
  FakePeer &c1 = w.connect_quiet();
  FakePeer &active = w.connect_quiet();
  w.set_status(p, R"(["producer"])");
  w.set_status(c1, R"(["consumer"])", R"({"name":"recorder"})");
  w.set_status(active, "[]");
  w.clear_all();
  w.send(p, R"({"type":"listConsumers"})");
  ListConsumersReply reply = TAKE(p, ListConsumersReply);
  g_assert_cmpuint(reply.consumers.size(), ==, 1);
  UNIT_ASSERT_STR_EQ(reply.consumers[0].id, c1.id);
  UNIT_ASSERT_JSON_SAME(reply.consumers[0].meta.to_json(), R"({"name":"recorder"})");
  EXPECT_NOTHING(p);
}

// ---- sessions ----------------------------------------------------------------------

void test_start_session_with_producer() {
  World w;
  FakePeer &p = w.connect_quiet();
  FakePeer &c = w.connect_quiet();
  w.set_status(p, R"(["producer"])", R"({"name":"cam"})");
  w.set_status(c, R"(["listener"])");
  w.clear_all();

  w.send(c, R"({"type":"startSession","peerId":")" + p.id + R"("})");
  SessionStarted started = TAKE(c, SessionStarted);
  UNIT_ASSERT_STR_EQ(started.peer_id, p.id);
  g_assert_true(g_uuid_string_is_valid(started.session_id.c_str()));
  EXPECT_NOTHING(c);

  std::string frame = p.peek();
  StartSession request = TAKE(p, StartSession);
  UNIT_ASSERT_STR_EQ(request.peer_id, c.id);
  UNIT_ASSERT_STR_EQ(request.session_id, started.session_id);
  g_assert_false(request.offer.has_value());
  // On the wire: "offer": null.
  UNIT_ASSERT_STR_EQ(unit::json_member(frame, "offer"), "null");
  EXPECT_NOTHING(p);
  g_assert_cmpuint(w.hub.session_count(), ==, 1);

  // A second session to the same producer gets its own id.
  std::string second = w.start(c, p);
  g_assert_true(second != started.session_id);
  g_assert_cmpuint(w.hub.session_count(), ==, 2);
}

void test_start_session_with_offer() {
  World w;
  FakePeer &p = w.connect_quiet();
  FakePeer &c = w.connect_quiet();
  w.set_status(p, R"(["producer"])");
  w.clear_all();
  w.send(c, R"({"type":"startSession","peerId":")" + p.id + R"(","offer":)" + js(kOffer) + "}");
  SessionStarted started = TAKE(c, SessionStarted);
  StartSession request = TAKE(p, StartSession);
  UNIT_ASSERT_STR_EQ(request.session_id, started.session_id);
  UNIT_ASSERT_STR_EQ(request.peer_id, c.id);
  g_assert_true(request.offer.has_value());
  UNIT_ASSERT_STR_EQ(request.offer.value_or(""), kOffer);
}

void test_peer_relay() {
  World w;
  FakePeer &p = w.connect_quiet();
  FakePeer &c = w.connect_quiet();
  w.set_status(p, R"(["producer"])");
  w.clear_all();
  std::string sid = w.start(c, p);

  // Producer offers, consumer receives exactly that.
  std::string offer = peer_sdp(sid, "offer", kOffer);
  w.send(p, offer);
  UNIT_ASSERT_JSON_SAME(c.peek(), offer);
  Peer got = TAKE(c, Peer);
  g_assert_true(got == (Peer{sid, Sdp{"offer", kOffer}}));
  EXPECT_NOTHING(p);  // no echo

  std::string answer = peer_sdp(sid, "answer", kAnswer);
  w.send(c, answer);
  UNIT_ASSERT_JSON_SAME(p.peek(), answer);
  g_assert_true(TAKE(p, Peer) == (Peer{sid, Sdp{"answer", kAnswer}}));
  EXPECT_NOTHING(c);

  // ICE both ways, sdpMLineIndex kept; sdpMid / usernameFragment are
  // accepted and not relayed.
  std::string cand = "candidate:842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx raddr 0.0.0.0 rport 0";
  w.send(p, peer_ice(sid, cand, 1));
  g_assert_true(TAKE(c, Peer) == (Peer{sid, Ice{cand, 1}}));
  w.send(c, R"({"type":"peer","sessionId":")" + sid + R"(","ice":{"candidate":)" + js(cand) +
                R"(,"sdpMLineIndex":0,"sdpMid":"0","usernameFragment":"u1"}})");
  std::string frame = p.peek();
  g_assert_true(TAKE(p, Peer) == (Peer{sid, Ice{cand, 0}}));
  UNIT_ASSERT_JSON_SAME(unit::json_member(frame, "ice"),
                        R"({"candidate":)" + js(cand) + R"(,"sdpMLineIndex":0})");
  EXPECT_NOTHING(p);
  EXPECT_NOTHING(c);
}

void test_consumer_offer_in_peer_refused() {
  World w;
  FakePeer &p = w.connect_quiet();
  FakePeer &c = w.connect_quiet();
  w.set_status(p, R"(["producer"])");
  w.clear_all();
  std::string sid = w.start(c, p);
  w.send(c, peer_sdp(sid, "offer", kOffer));
  EXPECT_ERROR(c, "startSession");
  EXPECT_NOTHING(p);
  // The session is still usable.
  w.send(p, peer_sdp(sid, "offer", kOffer));
  TAKE(c, Peer);
}

void test_peer_unknown_session_or_non_member() {
  World w;
  FakePeer &p = w.connect_quiet();
  FakePeer &c = w.connect_quiet();
  FakePeer &x = w.connect_quiet();
  w.set_status(p, R"(["producer"])");
  w.clear_all();
  std::string sid = w.start(c, p);

  w.send(c, peer_ice("no-such-session", "candidate:1 1 udp 1 1.2.3.4 5 typ host", 0));
  EXPECT_ERROR(c, "no-such-session");
  EXPECT_NOTHING(p);

  // A peer outside the session cannot inject into it.
  w.send(x, peer_sdp(sid, "answer", kAnswer));
  EXPECT_ERROR(x, sid);
  w.send(x, peer_ice(sid, "candidate:1 1 udp 1 1.2.3.4 5 typ host", 0));
  EXPECT_ERROR(x, sid);
  w.send(x, end_session(sid));
  EXPECT_ERROR(x, sid);
  EXPECT_NOTHING(p);
  EXPECT_NOTHING(c);
  g_assert_cmpuint(w.hub.session_count(), ==, 1);
}

void test_end_session() {
  World w;
  FakePeer &p = w.connect_quiet();
  FakePeer &c = w.connect_quiet();
  w.set_status(p, R"(["producer"])");
  w.clear_all();

  // Consumer ends: producer is told.
  std::string sid = w.start(c, p);
  w.send(c, end_session(sid));
  UNIT_ASSERT_STR_EQ(wire_type(p.peek()), "\"endSession\"");
  EndSession e = TAKE(p, EndSession);
  UNIT_ASSERT_STR_EQ(e.session_id, sid);
  EXPECT_NOTHING(c);
  g_assert_cmpuint(w.hub.session_count(), ==, 0);
  // The session is gone for both.
  w.send(p, peer_sdp(sid, "offer", kOffer));
  EXPECT_ERROR(p, sid);
  w.send(c, end_session(sid));
  EXPECT_ERROR(c, sid);

  // Producer ends: consumer is told.
  sid = w.start(c, p);
  w.send(p, end_session(sid));
  UNIT_ASSERT_STR_EQ(TAKE(c, EndSession).session_id, sid);
  EXPECT_NOTHING(p);
}

void test_end_session_versions() {
  World w;
  FakePeer &p11 = w.connect_quiet();
  FakePeer &c11 = w.connect_quiet();
  FakePeer &c10 = w.connect_quiet();
  w.send(p11, R"({"type":"setProtocolVersion","version":"v1_1"})");
  w.send(c11, R"({"type":"setProtocolVersion","version":"v1_1"})");
  w.send(c10, R"({"type":"setProtocolVersion","version":"v1_0"})");
  w.set_status(p11, R"(["producer"])");
  w.clear_all();

  // v1.1 to v1.1: the reason is passed on.
  std::string sid = w.start(c11, p11);
  w.send(c11, R"({"type":"endSessionV1_1","sessionId":")" + sid + R"(","error":"user closed the tab"})");
  UNIT_ASSERT_STR_EQ(wire_type(p11.peek()), "\"endSessionV1_1\"");
  EndSession e = TAKE(p11, EndSession);
  UNIT_ASSERT_STR_EQ(e.session_id, sid);
  g_assert_true(e.v1_1);
  UNIT_ASSERT_STR_EQ(e.error.value_or("<null>"), "user closed the tab");
  EXPECT_NOTHING(c11);

  // v1.1 ending without a reason: error null.
  sid = w.start(c11, p11);
  w.send(c11, R"({"type":"endSessionV1_1","sessionId":")" + sid + R"(","error":null})");
  std::string frame = p11.peek();
  e = TAKE(p11, EndSession);
  g_assert_true(e.v1_1);
  g_assert_false(e.error.has_value());
  UNIT_ASSERT_STR_EQ(unit::json_member(frame, "error"), "null");

  // v1.1 producer ends with a reason, v1.0 consumer: plain endSession.
  sid = w.start(c10, p11);
  w.send(p11, R"({"type":"endSessionV1_1","sessionId":")" + sid + R"(","error":"shutting down"})");
  frame = c10.peek();
  UNIT_ASSERT_STR_EQ(wire_type(frame), "\"endSession\"");
  UNIT_ASSERT_STR_EQ(unit::json_member(frame, "error"), "<absent>");
  UNIT_ASSERT_STR_EQ(TAKE(c10, EndSession).session_id, sid);

  // v1.0 consumer ends with plain endSession, v1.1 producer: endSessionV1_1.
  sid = w.start(c10, p11);
  w.send(c10, end_session(sid));
  UNIT_ASSERT_STR_EQ(wire_type(p11.peek()), "\"endSessionV1_1\"");
  e = TAKE(p11, EndSession);
  UNIT_ASSERT_STR_EQ(e.session_id, sid);
  EXPECT_NOTHING(c10);
}

void test_v1_0_peers_never_get_v1_1() {
  // A v1.0 peer (gstwebrtc-api never sets a version) is told of every kind
  // of ending with plain endSession.
  World w;
  FakePeer &p = w.connect_quiet();
  FakePeer &c = w.connect_quiet();
  FakePeer &p11 = w.connect_quiet();
  w.send(p11, R"({"type":"setProtocolVersion","version":"v1_1"})");
  w.set_status(p, R"(["producer"])");
  w.set_status(p11, R"(["producer"])");
  w.set_status(c, R"(["listener"])");
  w.clear_all();

  std::vector<std::string> frames;
  auto collect = [&] {
    while (!c.wire.empty()) {
      frames.push_back(c.wire.front());
      c.wire.pop_front();
    }
  };
  std::string s1 = w.start(c, p11);
  w.send(p11, R"({"type":"endSessionV1_1","sessionId":")" + s1 + R"(","error":"bye"})");
  collect();
  std::string s2 = w.start(c, p);
  w.set_status(p, R"([])");  // drops producer
  collect();
  std::string s3 = w.start(c, p11);
  w.hub.remove_peer(p11.id);  // disconnect
  collect();

  int ends = 0;
  for (const auto &f : frames) {
    std::string t = wire_type(f);
    if (t == "\"endSessionV1_1\"") unit::fail(__FILE__, __LINE__, G_STRFUNC, "v1.0 peer got " + f);
    if (t == "\"endSession\"") ends++;
  }
  g_assert_cmpint(ends, ==, 3);
}

void test_end_session_v1_1_from_v1_0_refused() {
  World w;
  FakePeer &p = w.connect_quiet();
  FakePeer &c = w.connect_quiet();
  w.set_status(p, R"(["producer"])");
  w.clear_all();
  std::string sid = w.start(c, p);
  w.send(c, R"({"type":"endSessionV1_1","sessionId":")" + sid + R"(","error":"x"})");
  EXPECT_ERROR(c, "v1_1");
  EXPECT_NOTHING(p);
  g_assert_cmpuint(w.hub.session_count(), ==, 1);
}

// ---- protocol version and roles --------------------------------------------------

void test_set_protocol_version_not_first() {
  World w;
  FakePeer &p = w.connect_quiet();
  FakePeer &c = w.connect_quiet();
  w.set_status(p, R"(["producer"])");
  w.send(c, R"({"type":"list"})");
  w.clear_all();
  w.send(c, R"({"type":"setProtocolVersion","version":"v1_1"})");
  EXPECT_ERROR(c, "first");
  // The late version did not take effect.
  std::string sid = w.start(c, p);
  w.send(c, R"({"type":"endSessionV1_1","sessionId":")" + sid + R"(","error":null})");
  EXPECT_ERROR(c, "v1_1");
  EXPECT_NOTHING(p);
  // Twice is "not first" either.
  FakePeer &d = w.connect_quiet();
  w.send(d, R"({"type":"setProtocolVersion","version":"v1_1"})");
  EXPECT_NOTHING(d);
  w.send(d, R"({"type":"setProtocolVersion","version":"v1_1"})");
  EXPECT_ERROR(d, "first");
}

void test_unknown_protocol_version() {
  World w;
  FakePeer &p = w.connect_quiet();
  w.send(p, R"({"type":"setProtocolVersion","version":"v2_0"})");
  Error e = TAKE(p, Error);
  UNIT_ASSERT_CONTAINS(e.details, "v2_0");
  UNIT_ASSERT_CONTAINS(e.details, "v1_1");
  EXPECT_NOTHING(p);
}

void test_producer_and_consumer_refused() {
  World w;
  FakePeer &l = w.connect_quiet();
  FakePeer &p = w.connect_quiet();
  w.set_status(l, R"(["listener"])");
  w.clear_all();
  w.set_status(p, R"(["producer","consumer"])");
  Error e = TAKE(p, Error);
  UNIT_ASSERT_CONTAINS(e.details, "producer");
  UNIT_ASSERT_CONTAINS(e.details, "consumer");
  EXPECT_NOTHING(l);  // nothing was announced
  w.send(l, R"({"type":"list"})");
  g_assert_true(TAKE(l, ListReply).producers.empty());
  w.send(l, R"({"type":"listConsumers"})");
  g_assert_true(TAKE(l, ListConsumersReply).consumers.empty());
}

void test_start_session_refusals() {
  World w;
  FakePeer &c = w.connect_quiet();
  FakePeer &l = w.connect_quiet();
  FakePeer &p = w.connect_quiet();
  w.set_status(l, R"(["listener"])");
  w.set_status(p, R"(["producer"])");
  w.clear_all();

  w.send(c, R"({"type":"startSession","peerId":"00000000-0000-4000-8000-000000000000"})");
  EXPECT_ERROR(c, "00000000-0000-4000-8000-000000000000");

  w.send(p, R"({"type":"startSession","peerId":")" + p.id + R"("})");
  EXPECT_ERROR(p, "oneself");

  w.send(c, R"({"type":"startSession","peerId":")" + l.id + R"("})");
  Error e = TAKE(c, Error);
  UNIT_ASSERT_CONTAINS(e.details, l.id);
  UNIT_ASSERT_CONTAINS(e.details, "neither");

  EXPECT_NOTHING(l);
  EXPECT_NOTHING(p);
  EXPECT_NOTHING(c);
  g_assert_cmpuint(w.hub.session_count(), ==, 0);
}

void test_dropping_producer_ends_sessions() {
  World w;
  FakePeer &p = w.connect_quiet();
  FakePeer &c1 = w.connect_quiet();
  FakePeer &c2 = w.connect_quiet();
  FakePeer &l = w.connect_quiet();
  w.set_status(p, R"(["producer"])", R"({"name":"cam"})");
  w.set_status(l, R"(["listener"])");
  w.clear_all();
  std::string s1 = w.start(c1, p);
  std::string s2 = w.start(c2, p);

  w.set_status(p, R"(["listener"])", R"({"name":"cam"})");
  UNIT_ASSERT_STR_EQ(TAKE(c1, EndSession).session_id, s1);
  UNIT_ASSERT_STR_EQ(TAKE(c2, EndSession).session_id, s2);
  g_assert_cmpuint(w.hub.session_count(), ==, 0);
  PeerStatusChanged psc = TAKE(l, PeerStatusChanged);
  UNIT_ASSERT_STR_EQ(psc.peer_id, p.id);
  g_assert_true(psc.roles == std::vector<Role>{Role::Listener});
  // p is now a listener itself: it hears its own change.
  TAKE(p, PeerStatusChanged);
  EXPECT_NOTHING(p);
  // No longer listed.
  w.send(l, R"({"type":"list"})");
  g_assert_true(TAKE(l, ListReply).producers.empty());

  // Re-sending the same roles keeps sessions.
  w.set_status(p, R"(["producer"])");
  std::string s3 = w.start(c1, p);
  w.clear_all();
  w.set_status(p, R"(["producer"])", R"({"name":"renamed"})");
  EXPECT_NOTHING(c1);
  g_assert_cmpuint(w.hub.session_count(), ==, 1);
  (void)s3;
}

void test_dropping_consumer_ends_sessions() {
  World w;
  FakePeer &p = w.connect_quiet();
  FakePeer &k = w.connect_quiet();
  w.set_status(p, R"(["producer"])");
  w.set_status(k, R"(["consumer"])");
  w.clear_all();
  std::string sid = w.start(p, k);
  w.set_status(k, "[]");
  UNIT_ASSERT_STR_EQ(TAKE(p, EndSession).session_id, sid);
  g_assert_cmpuint(w.hub.session_count(), ==, 0);
}

void test_remove_peer() {
  World w;
  FakePeer &p = w.connect_quiet();
  FakePeer &c = w.connect_quiet();
  FakePeer &l = w.connect_quiet();
  w.set_status(p, R"(["producer"])", R"({"name":"cam","id":7})");
  w.set_status(c, R"(["listener"])");
  w.set_status(l, R"(["listener"])");
  w.clear_all();
  std::string sid = w.start(c, p);

  w.hub.remove_peer(p.id);
  g_assert_cmpuint(w.hub.peer_count(), ==, 2);
  g_assert_cmpuint(w.hub.session_count(), ==, 0);

  // The consumer is told its session ended and that p is gone (in any order).
  bool ended = false, gone = false;
  while (!c.wire.empty()) {
    std::string t = wire_type(c.peek());
    if (t == "\"endSession\"") {
      UNIT_ASSERT_STR_EQ(TAKE(c, EndSession).session_id, sid);
      ended = true;
    } else {
      PeerStatusChanged psc = TAKE(c, PeerStatusChanged);
      UNIT_ASSERT_STR_EQ(psc.peer_id, p.id);
      g_assert_true(psc.roles.empty());
      UNIT_ASSERT_JSON_SAME(psc.meta.to_json(), R"({"name":"cam","id":7})");
      gone = true;
    }
  }
  g_assert_true(ended);
  g_assert_true(gone);
  // On the wire: roles is an empty array, meta the last one.
  UNIT_ASSERT_STR_EQ(unit::json_member(l.peek(), "roles"), "[]");
  PeerStatusChanged psc = TAKE(l, PeerStatusChanged);
  UNIT_ASSERT_STR_EQ(psc.peer_id, p.id);
  g_assert_true(psc.roles.empty());
  UNIT_ASSERT_JSON_SAME(psc.meta.to_json(), R"({"name":"cam","id":7})");
  EXPECT_NOTHING(l);

  // The departed peer can no longer be reached.
  w.send(c, R"({"type":"startSession","peerId":")" + p.id + R"("})");
  EXPECT_ERROR(c, p.id);
  w.send(c, R"({"type":"list"})");
  g_assert_true(TAKE(c, ListReply).producers.empty());

  // Removing the consumer side tells the producer; removing twice is harmless.
  FakePeer &p2 = w.connect_quiet();
  w.set_status(p2, R"(["producer"])");
  w.clear_all();
  std::string s2 = w.start(l, p2);
  w.hub.remove_peer(l.id);
  UNIT_ASSERT_STR_EQ(TAKE(p2, EndSession).session_id, s2);
  EXPECT_NOTHING(p2);
  w.hub.remove_peer(l.id);
  w.hub.remove_peer(p.id);
  g_assert_cmpuint(w.hub.peer_count(), ==, 2);
}

void test_remove_peer_without_status_not_announced() {
  World w;
  FakePeer &l = w.connect_quiet();
  w.set_status(l, R"(["listener"])");
  w.clear_all();
  FakePeer &x = w.connect_quiet();
  w.hub.remove_peer(x.id);
  EXPECT_NOTHING(l);
}

void test_reverse_passive_consumer() {
  World w;
  FakePeer &k = w.connect_quiet();  // e.g. a recorder waiting for producers
  FakePeer &p = w.connect_quiet();
  w.set_status(k, R"(["consumer"])");
  w.set_status(p, R"(["producer"])");
  w.clear_all();

  w.send(p, R"({"type":"startSession","peerId":")" + k.id + R"("})");
  SessionStarted started = TAKE(p, SessionStarted);
  UNIT_ASSERT_STR_EQ(started.peer_id, k.id);
  StartSession request = TAKE(k, StartSession);
  UNIT_ASSERT_STR_EQ(request.peer_id, p.id);
  UNIT_ASSERT_STR_EQ(request.session_id, started.session_id);
  g_assert_false(request.offer.has_value());
  std::string sid = started.session_id;

  // p is the producer side of this session: it offers, k answers.
  w.send(p, peer_sdp(sid, "offer", kOffer));
  g_assert_true(TAKE(k, Peer) == (Peer{sid, Sdp{"offer", kOffer}}));
  w.send(k, peer_sdp(sid, "answer", kAnswer));
  g_assert_true(TAKE(p, Peer) == (Peer{sid, Sdp{"answer", kAnswer}}));
  // k is the consumer side: its offers are refused.
  w.send(k, peer_sdp(sid, "offer", kOffer));
  EXPECT_ERROR(k, "offer");
  EXPECT_NOTHING(p);

  // An offer in startSession towards a consumer makes no sense.
  w.send(p, R"({"type":"startSession","peerId":")" + k.id + R"(","offer":)" + js(kOffer) + "}");
  EXPECT_ERROR(p, "consumer");
  EXPECT_NOTHING(k);
}

void test_reverse_browser_publishes() {
  // The browser registers ["listener","producer"]; a GStreamer consumer with
  // roles [] starts the session; the browser makes the offer.
  World w;
  FakePeer &b = w.connect_quiet();
  FakePeer &k = w.connect_quiet();
  w.set_status(b, R"(["listener","producer"])");
  TAKE(b, PeerStatusChanged);
  w.set_status(k, "[]");
  PeerStatusChanged about_k = TAKE(b, PeerStatusChanged);
  UNIT_ASSERT_STR_EQ(about_k.peer_id, k.id);
  g_assert_true(about_k.roles.empty());
  EXPECT_NOTHING(k);
  std::string sid = w.start(k, b);
  w.send(b, peer_sdp(sid, "offer", kOffer));
  g_assert_true(TAKE(k, Peer) == (Peer{sid, Sdp{"offer", kOffer}}));
  w.send(k, peer_sdp(sid, "answer", kAnswer));
  g_assert_true(TAKE(b, Peer) == (Peer{sid, Sdp{"answer", kAnswer}}));
}

// ---- malformed text ----------------------------------------------------------------

void test_malformed_text_then_served() {
  World w;
  FakePeer &p = w.connect_quiet();
  FakePeer &c = w.connect_quiet();
  w.set_status(p, R"(["producer"])", R"({"name":"cam"})");
  w.clear_all();

  w.send(c, "hello?");
  EXPECT_ERROR(c, "JSON");
  w.send(c, R"({"type":"subscribe"})");
  EXPECT_ERROR(c, "subscribe");
  w.send(c, R"({"type":"startSession"})");
  EXPECT_ERROR(c, "peerId");
  w.send(c, R"({"type":"setPeerStatus","roles":["superuser"]})");
  EXPECT_ERROR(c, "superuser");
  EXPECT_NOTHING(c);
  EXPECT_NOTHING(p);

  // Still connected and served.
  w.send(c, R"({"type":"list"})");
  ListReply reply = TAKE(c, ListReply);
  g_assert_cmpuint(reply.producers.size(), ==, 1);
  UNIT_ASSERT_STR_EQ(reply.producers[0].id, p.id);
  std::string sid = w.start(c, p);
  g_assert_false(sid.empty());
  g_assert_cmpuint(w.hub.peer_count(), ==, 2);
}

void test_unknown_peer_ignored() {
  World w;
  FakePeer &p = w.connect_quiet();
  w.hub.handle_text("not-a-peer", R"({"type":"list"})");
  w.hub.handle_text("not-a-peer", "garbage");
  w.hub.remove_peer("not-a-peer");
  EXPECT_NOTHING(p);
  g_assert_cmpuint(w.hub.peer_count(), ==, 1);
}

// What WHEP's POST /whep[/<name>] asks the hub: a producer by name or id,
// or the one producing longest; and whether anyone could take a WHIP stream.
void test_find_producer() {
  World w;
  FakePeer &viewer = w.connect_quiet();
  g_assert_true(w.hub.find_producer("").empty());
  g_assert_false(w.hub.has_consumers());
  FakePeer &cam = w.connect_quiet();
  FakePeer &door = w.connect_quiet();
  w.set_status(door, R"(["producer"])", R"({"name":"door"})");
  w.set_status(cam, R"(["producer"])", R"({"name":"cam"})");
  UNIT_ASSERT_STR_EQ(w.hub.find_producer(""), door.id);  // producing first
  UNIT_ASSERT_STR_EQ(w.hub.find_producer("cam"), cam.id);
  UNIT_ASSERT_STR_EQ(w.hub.find_producer(cam.id), cam.id);
  g_assert_true(w.hub.find_producer("garden").empty());
  w.set_status(door, R"([])", R"({"name":"door"})");  // stops producing
  UNIT_ASSERT_STR_EQ(w.hub.find_producer(""), cam.id);
  g_assert_true(w.hub.find_producer("door").empty());
  w.set_status(viewer, R"(["listener"])");
  g_assert_true(w.hub.has_consumers());
}

}  // namespace

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, nullptr);
  g_test_add_func("/hub/welcome", test_welcome);
  g_test_add_func("/hub/counters", test_counters);
  g_test_add_func("/hub/status/listener-hears-own-status", test_listener_hears_own_status);
  g_test_add_func("/hub/status/listeners-hear-producer", test_listeners_hear_producer);
  g_test_add_func("/hub/status/list", test_list);
  g_test_add_func("/hub/status/list-consumers", test_list_consumers);
  g_test_add_func("/hub/session/start-with-producer", test_start_session_with_producer);
  g_test_add_func("/hub/session/start-with-offer", test_start_session_with_offer);
  g_test_add_func("/hub/session/peer-relay", test_peer_relay);
  g_test_add_func("/hub/session/consumer-offer-in-peer-refused", test_consumer_offer_in_peer_refused);
  g_test_add_func("/hub/session/peer-unknown-session-or-non-member", test_peer_unknown_session_or_non_member);
  g_test_add_func("/hub/session/end", test_end_session);
  g_test_add_func("/hub/session/end-versions", test_end_session_versions);
  g_test_add_func("/hub/session/v1_0-never-gets-v1_1", test_v1_0_peers_never_get_v1_1);
  g_test_add_func("/hub/session/end-v1_1-from-v1_0-refused", test_end_session_v1_1_from_v1_0_refused);
  g_test_add_func("/hub/version/not-first", test_set_protocol_version_not_first);
  g_test_add_func("/hub/version/unknown", test_unknown_protocol_version);
  g_test_add_func("/hub/roles/producer-and-consumer-refused", test_producer_and_consumer_refused);
  g_test_add_func("/hub/session/start-refusals", test_start_session_refusals);
  g_test_add_func("/hub/roles/dropping-producer-ends-sessions", test_dropping_producer_ends_sessions);
  g_test_add_func("/hub/roles/dropping-consumer-ends-sessions", test_dropping_consumer_ends_sessions);
  g_test_add_func("/hub/remove-peer", test_remove_peer);
  g_test_add_func("/hub/remove-peer-without-status", test_remove_peer_without_status_not_announced);
  g_test_add_func("/hub/reverse/passive-consumer", test_reverse_passive_consumer);
  g_test_add_func("/hub/reverse/browser-publishes", test_reverse_browser_publishes);
  g_test_add_func("/hub/malformed-text-then-served", test_malformed_text_then_served);
  g_test_add_func("/hub/unknown-peer-ignored", test_unknown_peer_ignored);
  g_test_add_func("/hub/find-producer", test_find_producer);
  return g_test_run();
}
