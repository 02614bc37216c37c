// SPDX-License-Identifier: LGPL-2.1-or-later
//
// JanusPublisher (signaling/janus-publisher.h) against a scripted fake
// Janus (fake-janus.h: a libsoup WebSocket server, subprotocol
// janus-protocol, on loopback): the whole publishing exchange, and a Janus that errs, stays
// silent, sends garbage or oversized messages. The real Janus is in
// tests/e2e/janus-scenarios.mjs.
#include <gst/gst.h>

#include <mutex>
#include <string>
#include <vector>

#include "fake-janus.h"
#include "janus-api.h"
#include "janus-publisher.h"
#include "unit-helpers.h"

using namespace webrtclive;

namespace {

using fake::FakeJanus;
using fake::Request;
using fake::wait_until;

enum class Mode { Good, NoSuchRoom, Silent, Garbage, Huge };

// The fake answers each request as `mode` says.
void serve(FakeJanus &fake, Mode mode) {
  fake.script = [mode](FakeJanus &j, const Request &r) {
    const std::string t = r.t();
    if (mode == Mode::Silent) return;
    if (mode == Mode::Garbage) {
      j.reply("not json {");
      j.reply(R"({"janus":"success","transaction":"someone-else","data":{"id":5}})");
      j.reply(R"({"janus":"event","session_id":77,"sender":78,"reason":"x"})");
      return;
    }
    if (mode == Mode::Huge)
      return j.reply(R"({"janus":"success",)" + t + R"(,"data":{"id":1},"pad":")" + std::string(300 * 1024, 'x') + "\"}");
    if (r.what == "create") return j.reply(R"({"janus":"success",)" + t + R"(,"data":{"id":1}})");
    if (r.what == "attach") return j.reply(R"({"janus":"success","session_id":1,)" + t + R"(,"data":{"id":2}})");
    if (r.what.rfind("message", 0) == 0) {
      j.reply(R"({"janus":"ack","session_id":1,)" + t + "}");
      if (r.what == "message:join" && mode == Mode::NoSuchRoom)
        return j.reply(R"j({"janus":"event","session_id":1,"sender":2,)j" + t +
                       R"j(,"plugindata":{"plugin":"janus.plugin.videoroom","data":{"videoroom":"event","error_code":426,"error":"No such room (4321)"}}})j");
      if (r.what == "message:join")
        return j.reply(R"({"janus":"event","session_id":1,"sender":2,)" + t +
                       R"(,"plugindata":{"plugin":"janus.plugin.videoroom","data":{"videoroom":"joined","room":1234,"id":9}}})");
      if (r.what == "message:publish")
        return j.reply(R"({"janus":"event","session_id":1,"sender":2,)" + t +
                       R"(,"plugindata":{"plugin":"janus.plugin.videoroom","data":{"videoroom":"event","configured":"ok"}},"jsep":{"type":"answer","sdp":"v=0\r\n"}})");
    }
    if (r.what == "keepalive" || r.what == "trickle") return j.reply(R"({"janus":"ack","session_id":1,)" + t + "}");
    if (r.what == "destroy") return j.reply(R"({"janus":"success","session_id":1,)" + t + "}");
  };
}

void start(FakeJanus &fake, Mode mode) {
  serve(fake, mode);
  fake.start();
}

// What the publisher told its sink.
struct Seen {
  std::mutex mutex;
  std::vector<std::string> sessions, answers, errors, ended;
  size_t count(std::vector<std::string> Seen::*v) {
    std::lock_guard lock(mutex);
    return (this->*v).size();
  }
};

std::unique_ptr<JanusPublisher> publisher(FakeJanus &fake, Seen &seen, const std::string &query = "room=1234") {
  std::string why;
  auto target = janus::parse_url("janus://127.0.0.1:" + std::to_string(fake.port) + "/?" + query, &why);
  g_assert_true(target.has_value());
  JanusPublisher::Options o;
  o.janus.target = *target;
  o.display = "cam";
  o.janus.request_timeout_ms = 300;
  o.janus.ws.backoff_min_ms = 100;
  o.janus.ws.backoff_max_ms = 200;
  o.janus.ws.connect_timeout_ms = 2000;
  auto p = std::make_unique<JanusPublisher>(std::move(o));
  ProducerSignaller::Callbacks cb;
  cb.session_requested = [&seen](const std::string &sid, const std::string &, const std::optional<std::string> &) {
    std::lock_guard lock(seen.mutex);
    seen.sessions.push_back(sid);
  };
  cb.remote_sdp = [&seen](const std::string &, const protocol::Sdp &sdp) {
    std::lock_guard lock(seen.mutex);
    seen.answers.push_back(sdp.sdp);
  };
  cb.error = [&seen](const std::string &message, bool) {
    std::lock_guard lock(seen.mutex);
    seen.errors.push_back(message);
  };
  cb.session_ended = [&seen](const std::string &sid, const std::optional<std::string> &) {
    std::lock_guard lock(seen.mutex);
    seen.ended.push_back(sid);
  };
  g_assert_true(p->start(std::move(cb), &why));
  return p;
}

}  // namespace

static void test_publishes() {
  FakeJanus fake;
  start(fake, Mode::Good);
  Seen seen;
  auto p = publisher(fake, seen);
  g_assert_true(wait_until([&] { return seen.count(&Seen::sessions) == 1; }));
  g_assert_cmpuint(fake.count("create"), ==, 1);
  g_assert_cmpuint(fake.count("attach"), ==, 1);
  g_assert_cmpuint(fake.count("message:join"), ==, 1);
  std::string sid = seen.sessions[0];
  p->send_ice(sid, protocol::Ice{"candidate:1 1 UDP 1 198.18.0.1 9 typ host", 1});  // before the offer: held
  p->send_sdp(sid, protocol::Sdp{"offer", "v=0\r\nm=video 9 X 96\r\na=mid:video0\r\nm=audio 9 X 111\r\na=mid:audio1\r\n"});
  g_assert_true(wait_until([&] { return seen.count(&Seen::answers) == 1; }));
  g_assert_true(wait_until([&] { return fake.count("trickle") == 1; }));
  UNIT_ASSERT_CONTAINS(fake.all("trickle")[0].text, "\"sdpMid\":\"audio1\"");
  g_assert_cmpuint(seen.count(&Seen::errors), ==, 0);
  p->stop();
  g_assert_true(wait_until([&] { return fake.count("destroy") == 1; }, 2000));
  p.reset();
  fake.stop();
}

static void test_no_such_room() {
  FakeJanus fake;
  start(fake, Mode::NoSuchRoom);
  Seen seen;
  auto p = publisher(fake, seen, "room=4321&pin=S3cr3t");
  // Retried with backoff (100-200 ms), warned once, the pin in no message.
  g_assert_true(wait_until([&] { return fake.count("message:join") >= 3; }));
  g_assert_cmpuint(seen.count(&Seen::errors), ==, 1);
  UNIT_ASSERT_CONTAINS(seen.errors[0], "no such room 4321");
  g_assert_true(seen.errors[0].find("S3cr3t") == std::string::npos);
  g_assert_cmpuint(seen.count(&Seen::sessions), ==, 0);  // the sink never made an offer
  g_assert_true(wait_until([&] { return fake.count("destroy") >= 2; }));  // each failed attempt's session
  p->stop();
  p.reset();
  fake.stop();
}

static void test_silent_and_garbage() {
  for (Mode m : {Mode::Silent, Mode::Garbage}) {
    FakeJanus fake;
    start(fake, m);
    Seen seen;
    auto p = publisher(fake, seen);
    // No reply within request_timeout_ms (300): a warning, and again later.
    g_assert_true(wait_until([&] { return fake.count("create") >= 2; }));
    g_assert_cmpuint(seen.count(&Seen::errors), ==, 1);
    UNIT_ASSERT_CONTAINS(seen.errors[0], "no reply");
    g_assert_cmpuint(seen.count(&Seen::sessions), ==, 0);
    p->stop();
    p.reset();
    fake.stop();
  }
}

static void test_oversized_message() {
  FakeJanus fake;
  start(fake, Mode::Huge);
  Seen seen;
  auto p = publisher(fake, seen);
  // Over 256 KiB: the WebSocket is closed, a warning, and a new connection.
  g_assert_true(wait_until([&] { return fake.count("create") >= 2; }));
  g_assert_cmpuint(seen.count(&Seen::errors), >=, 1);
  UNIT_ASSERT_CONTAINS(seen.errors[0], "cannot reach Janus");
  g_assert_cmpuint(seen.count(&Seen::sessions), ==, 0);
  p->stop();
  p.reset();
  fake.stop();
}

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  g_test_init(&argc, &argv, nullptr);
  g_test_add_func("/janus-publisher/publishes", test_publishes);
  g_test_add_func("/janus-publisher/no-such-room", test_no_such_room);
  g_test_add_func("/janus-publisher/silent-and-garbage", test_silent_and_garbage);
  g_test_add_func("/janus-publisher/oversized-message", test_oversized_message);
  return g_test_run();
}
