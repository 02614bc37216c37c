// SPDX-License-Identifier: LGPL-2.1-or-later
//
// A scripted fake Janus for unit tests: a libsoup WebSocket server
// (subprotocol janus-protocol) on loopback, on a thread of its own. Each
// request is recorded and handed to `script`, which replies with reply()
// (on the server's thread); push() sends an asynchronous event from the
// test's thread. The real Janus is in tests/e2e/janus-scenarios.mjs.
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace fake {

struct Request {
  std::string what;  // "create", "attach", "message:join", "message:start", "trickle", ...
  std::string tx;    // its transaction
  std::string ptype;  // body.ptype of a join
  long long handle = 0;  // handle_id
  std::string text;
  // "transaction":"<tx>" to paste into a reply
  std::string t() const { return "\"transaction\":\"" + tx + "\""; }
};

struct FakeJanus {
  std::function<void(FakeJanus &, const Request &)> script;
  GMainContext *context = nullptr;
  GMainLoop *loop = nullptr;
  SoupServer *server = nullptr;
  SoupWebsocketConnection *last = nullptr;  // server thread
  std::thread thread;
  guint port = 0;
  std::mutex mutex;
  std::vector<Request> requests;

  static std::string member(JsonObject *o, const char *name) {
    return o && json_object_has_member(o, name) && JSON_NODE_HOLDS_VALUE(json_object_get_member(o, name)) &&
                   json_node_get_value_type(json_object_get_member(o, name)) == G_TYPE_STRING
               ? json_object_get_string_member(o, name)
               : "";
  }

  // Server thread: to the connection of the request under way (or the last one).
  void reply(const std::string &text) {
    if (last) soup_websocket_connection_send_text(last, text.c_str());
  }
  // Any thread: an event to the last connection.
  void push(const std::string &text) {
    auto *copy = new std::pair<FakeJanus *, std::string>(this, text);
    g_main_context_invoke(
        context,
        [](gpointer d) {
          auto *p = static_cast<std::pair<FakeJanus *, std::string> *>(d);
          p->first->reply(p->second);
          delete p;
          return G_SOURCE_REMOVE;
        },
        copy);
  }

  void on_text(SoupWebsocketConnection *c, const std::string &text) {
    last = c;
    JsonNode *n = json_from_string(text.c_str(), nullptr);
    if (!n || !JSON_NODE_HOLDS_OBJECT(n)) {
      if (n) json_node_unref(n);
      return;
    }
    JsonObject *o = json_node_get_object(n);
    Request r;
    JsonObject *body = json_object_has_member(o, "body") ? json_object_get_object_member(o, "body") : nullptr;
    r.what = member(o, "janus") + (body ? ":" + member(body, "request") : "");
    r.tx = member(o, "transaction");
    r.ptype = member(body, "ptype");
    r.handle = json_object_has_member(o, "handle_id") ? json_object_get_int_member(o, "handle_id") : 0;
    r.text = text;
    json_node_unref(n);
    {
      std::lock_guard lock(mutex);
      requests.push_back(r);
    }
    if (script) script(*this, r);
  }

  void start() {
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
          g_signal_connect(c, "closed", G_CALLBACK(+[](SoupWebsocketConnection *c, gpointer d) {
                             auto *f = static_cast<FakeJanus *>(d);
                             if (f->last == c) f->last = nullptr;
                             g_object_unref(c);
                           }),
                           d);
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
    return std::count_if(requests.begin(), requests.end(), [&](auto &r) { return r.what == what; });
  }
  // The requests `what` so far (copies).
  std::vector<Request> all(const std::string &what) {
    std::lock_guard lock(mutex);
    std::vector<Request> out;
    for (auto &r : requests)
      if (r.what == what) out.push_back(r);
    return out;
  }
};

template <typename Fn>
bool wait_until(Fn fn, int ms = 5000) {
  for (int i = 0; i < ms / 10; i++) {
    if (fn()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return fn();
}

}  // namespace fake
