// SPDX-License-Identifier: LGPL-2.1-or-later
//
// What one hostile connection can ask of the hub: 100 startSession in a
// second made a producer build 100 webrtcbins (600 threads, 1,282 FDs) and
// abort at the descriptor limit; the standalone server held 100,000
// sessions from one connection. A peer's sessions are indexed, so ending
// them is not a scan of every session.
#include <glib.h>

#include <string>

#include "hub-fixture.h"

using namespace hubtest;

namespace {

void test_sessions_per_connection() {
  World w(Hub::Limits{3});
  FakePeer &producer = w.connect_quiet();
  w.set_status(producer, R"(["producer"])");
  FakePeer &attacker = w.connect_quiet();
  FakePeer &viewer = w.connect_quiet();
  w.clear_all();
  std::vector<std::string> sids;
  for (int i = 0; i < 3; i++) sids.push_back(w.start(attacker, producer));
  for (int i = 0; i < 100; i++) {
    w.send(attacker, R"({"type":"startSession","peerId":")" + producer.id + R"("})");
    EXPECT_ERROR(attacker, "too many sessions: one connection may have 3 at a time");
  }
  EXPECT_NOTHING(producer);  // the producer never heard of the refused ones
  g_assert_cmpuint(w.hub.session_count(), ==, 3);
  // Another connection is not affected.
  w.start(viewer, producer);
  // Ending one frees a slot.
  w.send(attacker, end_session(sids[0]));
  TAKE(producer, EndSession);
  w.start(attacker, producer);
  w.send(attacker, R"({"type":"startSession","peerId":")" + producer.id + R"("})");
  EXPECT_ERROR(attacker, "too many sessions");
}

void test_sessions_ended_with_their_peer() {
  World w(Hub::Limits{1000});
  FakePeer &producer = w.connect_quiet();
  w.set_status(producer, R"(["producer"])");
  FakePeer &a = w.connect_quiet();
  FakePeer &b = w.connect_quiet();
  w.clear_all();
  for (int i = 0; i < 500; i++) w.start(a, producer);
  std::string kept = w.start(b, producer);
  g_assert_cmpuint(w.hub.session_count(), ==, 501);
  w.hub.remove_peer(a.id);
  g_assert_cmpuint(w.hub.session_count(), ==, 1);
  for (int i = 0; i < 500; i++) TAKE(producer, EndSession);
  EXPECT_NOTHING(producer);
  // The producer's remaining session still routes.
  w.send(b, peer_ice(kept, "candidate:1 1 udp 1 127.0.0.1 9 typ host", 0));
  TAKE(producer, Peer);
  // Dropping the producer role ends it, telling the consumer.
  w.set_status(producer, "[]");
  TAKE(b, EndSession);
  g_assert_cmpuint(w.hub.session_count(), ==, 0);
}

}  // namespace

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, nullptr);
  g_test_add_func("/hub-limits/sessions-per-connection", test_sessions_per_connection);
  g_test_add_func("/hub-limits/sessions-ended-with-their-peer", test_sessions_ended_with_their_peer);
  return g_test_run();
}
