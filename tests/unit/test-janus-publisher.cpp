// SPDX-License-Identifier: LGPL-2.1-or-later
//
// JanusPublisher (signaling/janus-publisher.h) against a scripted fake
// Janus (a libsoup WebSocket server, subprotocol janus-protocol) on
// loopback: the whole publishing exchange, and a Janus that errs, stays
// silent, sends garbage or oversized messages. The real Janus is in
// tests/e2e/janus-scenarios.mjs.
#include <gst/gst.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "janus-api.h"
#include "janus-publisher.h"
#include "unit-helpers.h"

using namespace webrtclive;

namespace {

enum class Mode { Good, NoSuchRoom, Silent, Garbage, Huge };

// The fake: answers each request as `mode` says; records what it got.
struct FakeJanus {
  Mode mode = Mode::Good;
  GMainContext *context = nullptr;
  GMainLoop *loop = nullptr;
  SoupServer *server = nullptr;
  std::thread thread;
  guint port = 0;
  std::mutex mutex;
  std::vector<std::string> requests;  // "create", "attach", "message:join", "trickle", ...
  std::vector<std::string> texts;

  static std::string member(JsonObject *o, const char *name) {
    return o && json_object_has_member(o, name) && JSON_NODE_HOLDS_VALUE(json_object_get_member(o, name)) &&
                   json_node_get_value_type(json_object_get_member(o, name)) == G_TYPE_STRING
               ? json_object_get_string_member(o, name)
               : "";
  }

  void reply(SoupWebsocketConnection *c, const std::string &text) { soup_websocket_connection_send_text(c, text.c_str()); }

  void on_text(SoupWebsocketConnection *c, const std::string &text) {
    JsonNode *n = json_from_string(text.c_str(), nullptr);
    if (!n || !JSON_NODE_HOLDS_OBJECT(n)) return;
    JsonObject *o = json_node_get_object(n);
    std::string janus = member(o, "janus"), tx = member(o, "transaction");
    JsonObject *body = json_object_has_member(o, "body") ? json_object_get_object_member(o, "body") : nullptr;
    std::string what = janus + (body ? ":" + member(body, "request") : "");
    {
      std::lock_guard lock(mutex);
      requests.push_back(what);
      texts.push_back(text);
    }
    json_node_unref(n);
    const std::string t = "\"transaction\":\"" + tx + "\"";
    if (mode == Mode::Silent) return;
    if (mode == Mode::Garbage) {
      reply(c, "not json {");
      reply(c, R"({"janus":"success","transaction":"someone-else","data":{"id":5}})");
      reply(c, R"({"janus":"event","session_id":77,"sender":78,"reason":"x"})");
      return;
    }
    if (mode == Mode::Huge) {
      reply(c, R"({"janus":"success",)" + t + R"(,"data":{"id":1},"pad":")" + std::string(300 * 1024, 'x') + "\"}");
      return;
    }
    if (janus == "create") return reply(c, R"({"janus":"success",)" + t + R"(,"data":{"id":1}})");
    if (janus == "attach") return reply(c, R"({"janus":"success","session_id":1,)" + t + R"(,"data":{"id":2}})");
    if (janus == "message") {
      reply(c, R"({"janus":"ack","session_id":1,)" + t + "}");
      if (what == "message:join" && mode == Mode::NoSuchRoom)
        return reply(c, R"j({"janus":"event","session_id":1,"sender":2,)j" + t +
                            R"j(,"plugindata":{"plugin":"janus.plugin.videoroom","data":{"videoroom":"event","error_code":426,"error":"No such room (4321)"}}})j");
      if (what == "message:join")
        return reply(c, R"({"janus":"event","session_id":1,"sender":2,)" + t +
                            R"(,"plugindata":{"plugin":"janus.plugin.videoroom","data":{"videoroom":"joined","room":1234,"id":9}}})");
      if (what == "message:publish")
        return reply(c, R"({"janus":"event","session_id":1,"sender":2,)" + t +
                            R"(,"plugindata":{"plugin":"janus.plugin.videoroom","data":{"videoroom":"event","configured":"ok"}},"jsep":{"type":"answer","sdp":"v=0\r\n"}})");
    }
    if (janus == "keepalive" || janus == "trickle") return reply(c, R"({"janus":"ack","session_id":1,)" + t + "}");
    if (janus == "destroy") return reply(c, R"({"janus":"success","session_id":1,)" + t + "}");
  }

  void start(Mode m) {
    mode = m;
    context = g_main_context_new();
    loop = g_main_loop_new(context, FALSE);
    g_main_context_push_thread_default(context);
    server = soup_server_new(nullptr, nullptr);
    const char *protocols[] = {"janus-protocol", nullptr};
    soup_server_add_websocket_handler(
        server, nullptr, nullptr, const_cast<char **>(protocols),
        [](SoupServer *, SoupServerMessage *, const char *, SoupWebsocketConnection *c, gpointer d) {
          g_object_ref(c);
          g_signal_connect(c, "message", G_CALLBACK(+[](SoupWebsocketConnection *c, gint, GBytes *b, gpointer d) {
                             gsize n = 0;
                             auto *p = static_cast<const char *>(g_bytes_get_data(b, &n));
                             static_cast<FakeJanus *>(d)->on_text(c, std::string(p, n));
                           }),
                           d);
          g_signal_connect(c, "closed", G_CALLBACK(+[](SoupWebsocketConnection *c, gpointer) { g_object_unref(c); }),
                           nullptr);
        },
        this, nullptr);
    GError *err = nullptr;
    g_assert_true(soup_server_listen_local(server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &err));
    GSList *uris = soup_server_get_uris(server);
    port = g_uri_get_port(static_cast<GUri *>(uris->data));
    g_slist_free_full(uris, (GDestroyNotify)g_uri_unref);
    g_main_context_pop_thread_default(context);
    thread = std::thread([this] {
      g_main_context_push_thread_default(context);
      g_main_loop_run(loop);
      g_main_context_pop_thread_default(context);
    });
  }
  void stop() {
    g_main_loop_quit(loop);
    thread.join();
    g_main_context_push_thread_default(context);
    soup_server_disconnect(server);
    g_object_unref(server);
    g_main_context_pop_thread_default(context);
    g_main_loop_unref(loop);
    g_main_context_unref(context);
  }
  size_t count(const std::string &what) {
    std::lock_guard lock(mutex);
    return std::count(requests.begin(), requests.end(), what);
  }
};

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

template <typename Fn>
bool wait_until(Fn fn, int ms = 5000) {
  for (int i = 0; i < ms / 10; i++) {
    if (fn()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return fn();
}

}  // namespace

static void test_publishes() {
  FakeJanus fake;
  fake.start(Mode::Good);
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
  {
    std::lock_guard lock(fake.mutex);
    bool mid = false;
    for (auto &t : fake.texts) mid |= t.find("\"sdpMid\":\"audio1\"") != std::string::npos;
    g_assert_true(mid);
  }
  g_assert_cmpuint(seen.count(&Seen::errors), ==, 0);
  p->stop();
  g_assert_true(wait_until([&] { return fake.count("destroy") == 1; }, 2000));
  p.reset();
  fake.stop();
}

static void test_no_such_room() {
  FakeJanus fake;
  fake.start(Mode::NoSuchRoom);
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
    fake.start(m);
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
  fake.start(Mode::Huge);
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
