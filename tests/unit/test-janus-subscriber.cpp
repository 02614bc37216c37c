// SPDX-License-Identifier: LGPL-2.1-or-later
//
// JanusSubscriber (signaling/janus-subscriber.h) against a scripted fake
// Janus (fake-janus.h) on loopback: the join + subscribe exchange, one
// publisher at a time or many at once, publishers leaving, the src ending
// a session, Janus errors, hostile and oversized messages, silence. The
// real Janus is in tests/e2e/janus-scenarios.mjs.
#include <gst/gst.h>

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "fake-janus.h"
#include "janus-api.h"
#include "janus-subscriber.h"
#include "unit-helpers.h"

using namespace webrtclive;
using fake::FakeJanus;
using fake::Request;
using fake::wait_until;

namespace {

constexpr const char *kOffer =
    "v=0\\r\\nm=audio 9 UDP/TLS/RTP/SAVPF 111\\r\\na=mid:a0\\r\\nm=video 9 UDP/TLS/RTP/SAVPF 96\\r\\na=mid:v1\\r\\n";

// A room with publishers: what each request gets.
struct Room {
  std::string publishers = "[]";  // the "joined" list (JSON)
  int join_error = 0;             // the participant's join fails with this
  int subscribe_error = 0;        // every subscriber join fails with this
  std::atomic<bool> silent{false};  // set by the test while the fake serves
  bool huge = false;
  long long next_handle = 10;  // the fake's thread

  static std::string event(long long sender, const std::string &t, const std::string &data,
                           const std::string &more = "") {
    return R"({"janus":"event","session_id":1,"sender":)" + std::to_string(sender) + (t.empty() ? "" : "," + t) +
           R"(,"plugindata":{"plugin":"janus.plugin.videoroom","data":)" + data + "}" + more + "}";
  }

  void serve(FakeJanus &fake) {
    fake.script = [this](FakeJanus &j, const Request &r) {
      const std::string t = r.t();
      if (silent) return;
      if (huge)
        return j.reply(R"({"janus":"success",)" + t + R"(,"data":{"id":1},"pad":")" + std::string(300 * 1024, 'x') +
                       "\"}");
      if (r.what == "create") return j.reply(R"({"janus":"success",)" + t + R"(,"data":{"id":1}})");
      if (r.what == "attach")
        return j.reply(R"({"janus":"success","session_id":1,)" + t + R"(,"data":{"id":)" +
                       std::to_string(next_handle++) + "}}");
      if (r.what == "detach" || r.what == "destroy") return j.reply(R"({"janus":"success","session_id":1,)" + t + "}");
      if (r.what == "keepalive" || r.what == "trickle") return j.reply(R"({"janus":"ack","session_id":1,)" + t + "}");
      if (r.what.rfind("message:", 0) != 0) return;
      j.reply(R"({"janus":"ack","session_id":1,)" + t + "}");
      if (r.what == "message:join" && r.ptype == "publisher") {
        if (join_error)
          return j.reply(event(r.handle, t,
                               R"({"videoroom":"event","error_code":)" + std::to_string(join_error) +
                                   R"(,"error":"Refused"})"));
        return j.reply(event(r.handle, t,
                             R"({"videoroom":"joined","room":1234,"id":500,"private_id":77,"publishers":)" +
                                 publishers + "}"));
      }
      if (r.what == "message:join" && r.ptype == "subscriber") {
        if (subscribe_error)
          return j.reply(event(r.handle, t,
                               R"({"videoroom":"event","error_code":)" + std::to_string(subscribe_error) +
                                   R"(,"error":"No such feed"})"));
        return j.reply(event(r.handle, t, R"({"videoroom":"attached","room":1234})",
                             std::string(R"(,"jsep":{"type":"offer","sdp":")") + kOffer + "\"}"));
      }
      if (r.what == "message:start") return j.reply(event(r.handle, t, R"({"videoroom":"event","started":"ok"})"));
    };
  }
};

// What the subscriber told its src.
struct Seen {
  std::mutex mutex;
  struct Started {
    std::string sid, peer, name;
  };
  std::vector<Started> started;
  std::vector<std::string> offers, errors, ended, reasons, ice, found;
  size_t count(std::vector<std::string> Seen::*v) {
    std::lock_guard lock(mutex);
    return (this->*v).size();
  }
  size_t sessions() {
    std::lock_guard lock(mutex);
    return started.size();
  }
  Started session(size_t i) {
    std::lock_guard lock(mutex);
    return started.at(i);
  }
  std::string error(size_t i) {
    std::lock_guard lock(mutex);
    return errors.at(i);
  }
};

struct Setup {
  std::string query = "room=1234&pin=S3cr3t";
  unsigned max_sessions = 1;
  std::string feed;
  bool once = false;
};

std::unique_ptr<JanusSubscriber> subscriber(FakeJanus &fake, Seen &seen, const Setup &setup = {}) {
  std::string why;
  auto target = janus::parse_url("janus://127.0.0.1:" + std::to_string(fake.port) + "/?" + setup.query, &why);
  g_assert_true(target.has_value());
  JanusSubscriber::Options o;
  o.janus.target = *target;
  o.janus.request_timeout_ms = 300;
  o.janus.ws.backoff_min_ms = 100;
  o.janus.ws.backoff_max_ms = 200;
  o.janus.ws.connect_timeout_ms = 2000;
  o.display = "src0";
  o.feed = setup.feed;
  o.max_sessions = setup.max_sessions;
  o.once = setup.once;
  auto s = std::make_unique<JanusSubscriber>(std::move(o));
  ConsumerSignaller::Callbacks cb;
  cb.producer_found = [&seen](const std::string &peer, const std::string &) {
    std::lock_guard lock(seen.mutex);
    seen.found.push_back(peer);
  };
  cb.session_started = [&seen](const std::string &sid, const std::string &peer, const std::string &name) {
    std::lock_guard lock(seen.mutex);
    seen.started.push_back({sid, peer, name});
  };
  cb.remote_sdp = [&seen](const std::string &, const protocol::Sdp &sdp) {
    std::lock_guard lock(seen.mutex);
    seen.offers.push_back(sdp.type);
  };
  cb.remote_ice = [&seen](const std::string &sid, const protocol::Ice &ice) {
    std::lock_guard lock(seen.mutex);
    seen.ice.push_back(sid + " " + std::to_string(ice.sdp_mline_index) + " " + ice.candidate);
  };
  cb.error = [&seen](const std::string &message, bool) {
    std::lock_guard lock(seen.mutex);
    seen.errors.push_back(message);
  };
  cb.session_ended = [&seen](const std::string &sid, const std::string &reason) {
    std::lock_guard lock(seen.mutex);
    seen.ended.push_back(sid);
    seen.reasons.push_back(reason);
  };
  g_assert_true(s->start(std::move(cb), &why));
  return s;
}

// A fake room serving `publishers` (the "joined" list), changed by `tweak`,
// and a subscriber on it; stopped at the end of the scope.
struct Run {
  FakeJanus fake;
  Room room;
  Seen seen;
  std::unique_ptr<JanusSubscriber> s;
  explicit Run(const std::string &publishers, const Setup &setup = {},
               const std::function<void(Room &)> &tweak = {}) {
    room.publishers = publishers;
    if (tweak) tweak(room);
    room.serve(fake);
    fake.start();
    s = subscriber(fake, seen, setup);
  }
  ~Run() {
    s->stop();
    s.reset();
    fake.stop();
  }
};

// An asynchronous event of the room, to our participant (handle 10: the first attached).
std::string room_event(const std::string &data) { return Room::event(10, "", data); }

}  // namespace

// feed=cam: joins as a participant, subscribes to 'cam' only, answers,
// trickles both ways.
static void test_subscribes() {
  Run r(R"([{"id":101,"display":"mic","streams":[]},{"id":102,"display":"cam"}])", {.feed = "cam"});
  g_assert_true(wait_until([&] { return r.seen.count(&Seen::offers) == 1; }));
  auto started = r.seen.session(0);
  UNIT_ASSERT_STR_EQ(started.peer, "102");
  UNIT_ASSERT_STR_EQ(started.name, "cam");
  g_assert_true(g_str_has_prefix(started.sid.c_str(), "janus-102-"));
  UNIT_ASSERT_STR_EQ(r.seen.offers[0], "offer");
  // Our participant: a publisher that never publishes, named as the element.
  auto joins = r.fake.all("message:join");
  g_assert_cmpuint(joins.size(), ==, 2);
  UNIT_ASSERT_JSON_SAME(joins[0].text, R"({"janus":"message","transaction":")" + joins[0].tx +
                                           R"(","session_id":1,"handle_id":10,"body":{"request":"join",
                                           "ptype":"publisher","room":1234,"display":"src0","pin":"S3cr3t"}})");
  UNIT_ASSERT_JSON_SAME(joins[1].text, R"({"janus":"message","transaction":")" + joins[1].tx +
                                           R"(","session_id":1,"handle_id":11,"body":{"request":"join",
                                           "ptype":"subscriber","room":1234,"streams":[{"feed":102}],
                                           "autoupdate":false,"private_id":77,"pin":"S3cr3t"}})");
  g_assert_cmpuint(r.fake.count("message:publish"), ==, 0);

  // Our candidate before the answer waits; after it, it goes with the offer's mid.
  r.s->send_ice(started.sid, protocol::Ice{"candidate:1 1 UDP 1 198.18.0.1 9 typ host", 1});
  r.s->send_sdp(started.sid, protocol::Sdp{"answer", "v=0\r\n"});
  g_assert_true(wait_until([&] { return r.fake.count("trickle") == 1; }));
  auto start = r.fake.all("message:start");
  g_assert_cmpuint(start.size(), ==, 1);
  g_assert_cmpint(start[0].handle, ==, 11);
  UNIT_ASSERT_CONTAINS(start[0].text, R"("jsep":{"type":"answer")");
  UNIT_ASSERT_CONTAINS(r.fake.all("trickle")[0].text, R"("sdpMid":"v1")");

  // Janus's candidates, by index or by mid; a trickle for a handle not ours is dropped.
  r.fake.push(R"({"janus":"trickle","session_id":1,"sender":11,"candidate":{"sdpMid":"v1","candidate":"candidate:9 1 udp 1 198.18.0.1 40000 typ host"}})");
  r.fake.push(R"({"janus":"trickle","session_id":1,"sender":99,"candidate":{"sdpMLineIndex":0,"candidate":"candidate:8 1 udp 1 198.18.0.1 40001 typ host"}})");
  r.fake.push(R"({"janus":"trickle","session_id":1,"sender":11,"candidate":{"completed":true}})");
  g_assert_true(wait_until([&] { return r.seen.count(&Seen::ice) == 1; }));
  g_usleep(100 * 1000);
  g_assert_cmpuint(r.seen.count(&Seen::ice), ==, 1);
  UNIT_ASSERT_STR_EQ(r.seen.ice[0], started.sid + " 1 candidate:9 1 udp 1 198.18.0.1 40000 typ host");
  g_assert_cmpuint(r.seen.count(&Seen::errors), ==, 0);

  // 'mic' leaving is not ours; 'cam' unpublishing ends its session.
  r.fake.push(room_event(R"({"videoroom":"event","room":1234,"leaving":101})"));
  g_usleep(100 * 1000);
  g_assert_cmpuint(r.seen.count(&Seen::ended), ==, 0);
  r.fake.push(room_event(R"({"videoroom":"event","room":1234,"unpublished":102})"));
  g_assert_true(wait_until([&] { return r.seen.count(&Seen::ended) == 1; }));
  UNIT_ASSERT_STR_EQ(r.seen.reasons[0], "publisher left the room");
  g_assert_true(wait_until([&] { return r.fake.count("detach") == 1; }));
  g_assert_cmpint(r.fake.all("detach")[0].handle, ==, 11);
  // It publishes again: subscribed again.
  r.fake.push(room_event(R"({"videoroom":"event","room":1234,"publishers":[{"id":102,"display":"cam"}]})"));
  g_assert_true(wait_until([&] { return r.seen.sessions() == 2; }));
  UNIT_ASSERT_STR_EQ(r.seen.session(1).peer, "102");

  r.s->stop();
  g_assert_true(wait_until([&] { return r.fake.count("destroy") == 1; }, 2000));
}

// max_sessions > 1 (producers=all): every publisher at once, each its own
// handle and session; one leaving ends its session only; a newcomer joins.
static void test_many() {
  Run r(R"([{"id":101,"display":"a"},{"id":102,"display":"b"},{"id":500,"display":"me"}])", {.max_sessions = 4});
  g_assert_true(wait_until([&] { return r.seen.count(&Seen::offers) == 2; }));
  g_usleep(100 * 1000);
  g_assert_cmpuint(r.seen.sessions(), ==, 2);  // not 500: our own id
  std::map<std::string, std::string> sid_of;
  for (size_t i = 0; i < 2; i++) sid_of[r.seen.session(i).peer] = r.seen.session(i).sid;
  g_assert_true(sid_of.count("101") && sid_of.count("102"));
  g_assert_true(sid_of["101"] != sid_of["102"]);
  for (auto &[peer, sid] : sid_of) r.s->send_sdp(sid, protocol::Sdp{"answer", "v=0\r\n"});
  g_assert_true(wait_until([&] { return r.fake.count("message:start") == 2; }));
  auto starts = r.fake.all("message:start");
  g_assert_cmpint(starts[0].handle, !=, starts[1].handle);

  r.fake.push(room_event(R"({"videoroom":"event","room":1234,"unpublished":101})"));
  g_assert_true(wait_until([&] { return r.seen.count(&Seen::ended) == 1; }));
  UNIT_ASSERT_STR_EQ(r.seen.ended[0], sid_of["101"]);
  UNIT_ASSERT_STR_EQ(r.seen.reasons[0], "publisher left the room");
  r.fake.push(room_event(R"({"videoroom":"event","room":1234,"publishers":[{"id":103,"display":"c"}]})"));
  g_assert_true(wait_until([&] { return r.seen.sessions() == 3; }));
  UNIT_ASSERT_STR_EQ(r.seen.session(2).peer, "103");
  g_usleep(100 * 1000);
  g_assert_cmpuint(r.seen.count(&Seen::ended), ==, 1);  // b's session untouched
  g_assert_cmpuint(r.fake.count("detach"), ==, 1);
}

// One at a time, no feed=: the first publisher; when it leaves, the next.
// The src ending a session: that handle detached, the publisher subscribed
// again after its backoff.
static void test_one_at_a_time() {
  Run r(R"([{"id":101,"display":"a"},{"id":102,"display":"b"}])");
  g_assert_true(wait_until([&] { return r.seen.sessions() == 1; }));
  UNIT_ASSERT_STR_EQ(r.seen.session(0).peer, "101");
  r.s->end_session(r.seen.session(0).sid, std::string("ICE failed"));
  g_assert_true(wait_until([&] { return r.fake.count("detach") == 1; }));
  g_assert_true(wait_until([&] { return r.seen.sessions() == 2; }));
  // The held publisher waits for its backoff: the other one is taken meanwhile.
  UNIT_ASSERT_STR_EQ(r.seen.session(1).peer, "102");
  g_assert_cmpuint(r.seen.count(&Seen::ended), ==, 0);  // end_session is not reported back
  r.fake.push(room_event(R"({"videoroom":"event","room":1234,"leaving":102})"));
  g_assert_true(wait_until([&] { return r.seen.sessions() == 3; }));
  UNIT_ASSERT_STR_EQ(r.seen.session(2).peer, "101");
  g_assert_cmpuint(r.seen.count(&Seen::ended), ==, 1);
}

// `once` (on-producer-lost=eos): after the first session ended, nothing more.
static void test_once() {
  Run r(R"([{"id":101,"display":"a"}])", {.once = true});
  g_assert_true(wait_until([&] { return r.seen.sessions() == 1; }));
  r.fake.push(room_event(R"({"videoroom":"event","room":1234,"unpublished":101})"));
  r.fake.push(room_event(R"({"videoroom":"event","room":1234,"publishers":[{"id":101,"display":"a"}]})"));
  g_assert_true(wait_until([&] { return r.seen.count(&Seen::ended) == 1; }));
  g_usleep(400 * 1000);
  g_assert_cmpuint(r.seen.sessions(), ==, 1);
}

// No such room, wrong pin: one warning each that says so (without the pin),
// retried with backoff, no session. No such feed on subscribing: a warning,
// the feed retried.
static void test_errors() {
  for (int code : {426, 433}) {
    Run r("[]", {}, [code](Room &room) { room.join_error = code; });
    g_assert_true(wait_until([&] { return r.fake.count("message:join") >= 3; }));
    g_assert_cmpuint(r.seen.count(&Seen::errors), ==, 1);
    UNIT_ASSERT_CONTAINS(r.seen.error(0), code == 426 ? "no such room 1234" : "wrong pin or token for room 1234");
    g_assert_true(r.seen.error(0).find("S3cr3t") == std::string::npos);
    g_assert_cmpuint(r.seen.sessions(), ==, 0);
  }
  Run r(R"([{"id":101,"display":"a"}])", {.feed = "a"}, [](Room &room) { room.subscribe_error = 428; });
  g_assert_true(wait_until([&] { return r.fake.all("message:join").size() >= 4; }));  // 1 + 3 tries
  g_assert_cmpuint(r.seen.count(&Seen::errors), ==, 1);
  UNIT_ASSERT_CONTAINS(r.seen.error(0), "no such feed");
  UNIT_ASSERT_CONTAINS(r.seen.error(0), "publisher 'a' (id 101)");
  g_assert_cmpuint(r.seen.sessions(), ==, 0);
  g_assert_cmpuint(r.seen.count(&Seen::ended), ==, 0);
  g_assert_true(wait_until([&] { return r.fake.count("detach") >= 3; }));  // each failed handle
}

// feed= names nobody in the room: a warning saying so; when it comes, subscribed.
static void test_missing_feed() {
  Run r(R"([{"id":101,"display":"a"}])", {.feed = "cam"});
  g_assert_true(wait_until([&] { return r.seen.count(&Seen::errors) == 1; }));
  UNIT_ASSERT_CONTAINS(r.seen.error(0), "no publisher 'cam'");
  r.fake.push(room_event(R"({"videoroom":"event","room":1234,"publishers":[{"id":7,"display":"b"}]})"));
  r.fake.push(room_event(R"({"videoroom":"event","room":1234,"publishers":[{"id":8,"display":"cam"}]})"));
  g_assert_true(wait_until([&] { return r.seen.sessions() == 1; }));
  UNIT_ASSERT_STR_EQ(r.seen.session(0).peer, "8");
  g_assert_cmpuint(r.seen.count(&Seen::errors), ==, 1);  // not repeated
}

// Hostile lists: 100 publishers → at most kMaxPublishers followed and
// subscribed; entries without a usable id skipped; a display with control
// characters made one line; events about other sessions ignored.
static void test_hostile() {
  std::string list = R"([{"id":-1,"display":"neg"},{"id":"has space"},{"display":"noid"},7,)"
                     R"({"id":99,"display":"two\nlines\u0007"},{"id":98,"dummy":true})";
  for (int i = 0; i < 100; i++) list += R"(,{"id":)" + std::to_string(1000 + i) + "}";
  Run r(list + "]", {.max_sessions = 1000});
  g_assert_true(wait_until([&] { return r.seen.sessions() == janus::kMaxPublishers; }, 10000));
  g_usleep(200 * 1000);
  g_assert_cmpuint(r.seen.sessions(), ==, janus::kMaxPublishers);
  UNIT_ASSERT_STR_EQ(r.seen.session(0).peer, "99");
  UNIT_ASSERT_STR_EQ(r.seen.session(0).name, "two lines ");
  for (size_t i = 0; i < r.seen.sessions(); i++) g_assert_true(r.seen.session(i).peer != "98");
  // Not our session: ignored. An unpublished for a feed we never knew: nothing.
  r.fake.push(R"({"janus":"hangup","session_id":2,"sender":11})");
  r.fake.push(room_event(R"({"videoroom":"event","room":1234,"unpublished":"ok"})"));
  r.fake.push("[]");
  g_usleep(200 * 1000);
  g_assert_cmpuint(r.seen.count(&Seen::ended), ==, 0);
}

// A subscription hung up by Janus: that session ended, subscribed again.
static void test_hangup() {
  Run r(R"([{"id":101,"display":"a"}])");
  g_assert_true(wait_until([&] { return r.seen.sessions() == 1; }));
  r.fake.push(R"({"janus":"hangup","session_id":1,"sender":11,"reason":"DTLS alert"})");
  g_assert_true(wait_until([&] { return r.seen.count(&Seen::ended) == 1; }));
  UNIT_ASSERT_CONTAINS(r.seen.reasons[0], "hung up our subscription to publisher 'a' (id 101): DTLS alert");
  g_assert_true(wait_until([&] { return r.seen.sessions() == 2; }));
}

// Silence (no reply in request_timeout_ms) and oversized messages: a
// warning, the Janus session made again; the sessions it had ended.
static void test_silent_and_huge() {
  for (bool huge : {false, true}) {
    Run r("[]", {}, [huge](Room &room) {
      room.silent = !huge;
      room.huge = huge;
    });
    g_assert_true(wait_until([&] { return r.fake.count("create") >= 2; }));
    g_assert_cmpuint(r.seen.count(&Seen::errors), ==, 1);
    UNIT_ASSERT_CONTAINS(r.seen.error(0), huge ? "cannot reach Janus" : "no reply");
    g_assert_cmpuint(r.seen.sessions(), ==, 0);
  }
  // A session up, then Janus falls silent: the session is ended for the src.
  Run r(R"([{"id":101,"display":"a"}])");
  g_assert_true(wait_until([&] { return r.seen.sessions() == 1; }));
  r.room.silent = true;
  r.s->send_sdp(r.seen.session(0).sid, protocol::Sdp{"answer", "v=0\r\n"});
  g_assert_true(wait_until([&] { return r.seen.count(&Seen::ended) == 1; }));
  UNIT_ASSERT_CONTAINS(r.seen.reasons[0], "no reply");
  UNIT_ASSERT_CONTAINS(r.seen.reasons[0], "start");
}

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  g_test_init(&argc, &argv, nullptr);
  g_test_add_func("/janus-subscriber/subscribes", test_subscribes);
  g_test_add_func("/janus-subscriber/many", test_many);
  g_test_add_func("/janus-subscriber/one-at-a-time", test_one_at_a_time);
  g_test_add_func("/janus-subscriber/once", test_once);
  g_test_add_func("/janus-subscriber/errors", test_errors);
  g_test_add_func("/janus-subscriber/missing-feed", test_missing_feed);
  g_test_add_func("/janus-subscriber/hostile", test_hostile);
  g_test_add_func("/janus-subscriber/hangup", test_hangup);
  g_test_add_func("/janus-subscriber/silent-and-huge", test_silent_and_huge);
  return g_test_run();
}
