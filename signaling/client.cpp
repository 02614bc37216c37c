// SPDX-License-Identifier: LGPL-2.1-or-later
#include "client.h"

#include <gst/gst.h>
#include <libsoup/soup.h>

#include "client-common.h"

GST_DEBUG_CATEGORY_STATIC(webrtclive_client_debug);
#define GST_CAT_DEFAULT webrtclive_client_debug

namespace webrtclive {

struct WsClient::Impl : std::enable_shared_from_this<WsClient::Impl> {
  Options options;
  Callbacks callbacks;
  MainContextPtr context;
  MainLoopPtr loop;
  // client thread only:
  GRef<SoupSession> session;
  GRef<SoupWebsocketConnection> conn;
  GRef<GCancellable> cancellable;
  GRef<SoupMessage> handshake;  // the attempt under way, for its HTTP status
  GSource *timer = nullptr;  // retry or connect timeout
  unsigned attempt = 0;
  bool stopping = false;

  void connect() {
    clear_timer();
    cancellable = GRef<GCancellable>::adopt(g_cancellable_new());
    SoupMessage *msg = soup_message_new(SOUP_METHOD_GET, options.url.c_str());
    if (!msg) {
      fail("invalid URL '" + shown_url(options.url) + "'");
      return;
    }
    for (auto &[k, v] : options.headers)
      soup_message_headers_append(soup_message_get_request_headers(msg), k.c_str(), v.c_str());
    if (options.insecure) accept_any_certificate(msg);
    GST_INFO("connecting to %s (attempt %u)", shown_url(options.url).c_str(), attempt + 1);
    handshake = GRef<SoupMessage>::ref(msg);
    auto *self_ref = new std::weak_ptr<Impl>(weak_from_this());
    std::vector<char *> protocols;
    for (auto &p : options.protocols) protocols.push_back(const_cast<char *>(p.c_str()));
    protocols.push_back(nullptr);
    soup_session_websocket_connect_async(
        session.get(), msg, nullptr, options.protocols.empty() ? nullptr : protocols.data(), G_PRIORITY_DEFAULT,
        cancellable.get(),
        [](GObject *src, GAsyncResult *res, gpointer data) {
          std::unique_ptr<std::weak_ptr<Impl>> weak(static_cast<std::weak_ptr<Impl> *>(data));
          GError *err = nullptr;
          SoupWebsocketConnection *c = soup_session_websocket_connect_finish(SOUP_SESSION(src), res, &err);
          auto self = weak->lock();
          if (!self) {
            if (c) g_object_unref(c);
            if (err) g_error_free(err);
            return;
          }
          self->on_connected(c, err);
        },
        self_ref);
    g_object_unref(msg);
    // A connect that hangs (SYN to a black hole) is cancelled, then retried.
    arm_timer(options.connect_timeout_ms, [](Impl &s) {
      GST_INFO("connect timed out after %u ms", s.options.connect_timeout_ms);
      g_cancellable_cancel(s.cancellable.get());
    });
  }

  void on_connected(SoupWebsocketConnection *c, GError *err) {
    clear_timer();
    if (!c) {
      bool cancelled = err && g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      guint status = handshake ? soup_message_get_status(handshake.get()) : 0;
      std::string why = cancelled ? "connection timed out after " + std::to_string(options.connect_timeout_ms) + " ms"
                                  : std::string(err ? err->message : "unknown error");
      if (status == SOUP_STATUS_UNAUTHORIZED || status == SOUP_STATUS_FORBIDDEN)
        why = "the server refused our credentials (HTTP " + std::to_string(status) +
              "): set a valid token, e.g. extra-headers=\"headers, Authorization=(string)\\\"Bearer TOKEN\\\"\"";
      handshake.reset();
      if (err) g_error_free(err);
      if (stopping) return;
      fail("cannot connect to " + shown_url(options.url) + ": " + why);
      return;
    }
    conn = GRef<SoupWebsocketConnection>::adopt(c);
    handshake.reset();
    attempt = 0;
    soup_websocket_connection_set_keepalive_interval(c, 20);
    if (options.max_message_bytes) soup_websocket_connection_set_max_incoming_payload_size(c, options.max_message_bytes);
    g_signal_connect(c, "message", G_CALLBACK(on_message), this);
    g_signal_connect(c, "closed", G_CALLBACK(on_closed), this);
    GST_INFO("connected to %s", shown_url(options.url).c_str());
    if (callbacks.connected && !stopping) callbacks.connected();
  }

  static void on_message(SoupWebsocketConnection *, gint type, GBytes *message, gpointer data) {
    auto *self = static_cast<Impl *>(data);
    if (type != SOUP_WEBSOCKET_DATA_TEXT || self->stopping) return;
    gsize size = 0;
    const char *p = static_cast<const char *>(g_bytes_get_data(message, &size));
    std::string text(p, size);
    if (self->callbacks.text) {
      self->callbacks.text(text);
      return;
    }
    auto parsed = protocol::parse_server(text);
    if (!parsed) {
      GST_WARNING("unparseable message from server: %s (%s)", parsed.error.c_str(), text.c_str());
      if (self->callbacks.bad_message) self->callbacks.bad_message(parsed.error);
      return;
    }
    if (self->callbacks.message && !self->stopping) self->callbacks.message(*parsed.message);
  }

  static void on_closed(SoupWebsocketConnection *c, gpointer data) {
    auto *self = static_cast<Impl *>(data);
    g_signal_handlers_disconnect_by_data(c, self);
    gushort code = soup_websocket_connection_get_close_code(c);
    const char *reason = soup_websocket_connection_get_close_data(c);
    self->conn.reset();
    if (self->stopping) return;
    std::string why = "connection to " + shown_url(self->options.url) + " closed";
    if (code) why += " (code " + std::to_string(code) + (reason && *reason ? std::string(", ") + reason : "") + ")";
    self->fail(why);
  }

  void fail(const std::string &why) {
    unsigned delay = backoff_ms(attempt++, options.backoff_min_ms, options.backoff_max_ms, g_random_double());
    GST_INFO("%s; retrying in %u ms", why.c_str(), delay);
    if (callbacks.disconnected) callbacks.disconnected(why, delay);
    arm_timer(delay, [](Impl &s) { s.connect(); });
  }

  void arm_timer(unsigned ms, void (*fn)(Impl &)) {
    clear_timer();
    timer = one_shot(context.get(), ms, [weak = weak_from_this(), fn] {
      if (auto s = weak.lock()) {
        s->timer = nullptr;
        fn(*s);
      }
    });
  }

  void clear_timer() {
    if (timer) g_source_destroy(timer);
    timer = nullptr;
  }

  void shutdown() {
    stopping = true;
    clear_timer();
    if (cancellable) g_cancellable_cancel(cancellable.get());
    if (conn) {
      g_signal_handlers_disconnect_by_data(conn.get(), this);
      if (soup_websocket_connection_get_state(conn.get()) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close(conn.get(), SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "client stopping");
      conn.reset();
    }
    session.reset();
  }
};

WsClient::WsClient() {
  static gsize once = 0;
  if (g_once_init_enter(&once)) {
    GST_DEBUG_CATEGORY_INIT(webrtclive_client_debug, "webrtcliveclient", 0, "webrtclive signalling client");
    g_once_init_leave(&once, 1);
  }
}

WsClient::~WsClient() { stop(); }

unsigned WsClient::backoff_ms(unsigned attempt, unsigned min_ms, unsigned max_ms, double random01) {
  return webrtclive::backoff_ms(attempt, min_ms, max_ms, random01);
}

bool WsClient::start(Options options, Callbacks callbacks, std::string *error) {
  std::lock_guard lock(mutex_);
  if (impl_) return true;
  if (!g_str_has_prefix(options.url.c_str(), "ws://") && !g_str_has_prefix(options.url.c_str(), "wss://")) {
    *error = "signalling server URL must start with ws:// or wss://, not '" + shown_url(options.url) + "'";
    return false;
  }
  GUri *uri = g_uri_parse(options.url.c_str(), G_URI_FLAGS_NONE, nullptr);
  if (!uri || !g_uri_get_host(uri) || !*g_uri_get_host(uri)) {
    if (uri) g_uri_unref(uri);
    *error = "'" + shown_url(options.url) + "' is not a valid URL";
    return false;
  }
  g_uri_unref(uri);
  auto impl = std::make_shared<Impl>();
  impl->options = std::move(options);
  impl->callbacks = std::move(callbacks);
  if (!new_client_session(&impl->context, &impl->loop, &impl->session, impl->options.ca_file, error)) return false;
  impl_ = impl;
  post_to(impl->context.get(), [weak = std::weak_ptr<Impl>(impl)] {
    if (auto s = weak.lock()) s->connect();
  });
  thread_ = run_client_thread(impl->context.get(), impl->loop.get(), [impl] { impl->shutdown(); });
  return true;
}

void WsClient::stop() {
  std::shared_ptr<Impl> impl;
  std::thread t;
  {
    std::lock_guard lock(mutex_);
    impl = std::move(impl_);
    t = std::move(thread_);
  }
  if (!impl) return;
  // From inside a callback nothing more is delivered: the thread (which
  // holds `impl`) shuts the connection down after it and exits.
  if (!end_client_thread(impl->context.get(), t, [loop = impl->loop.get()] { g_main_loop_quit(loop); }))
    impl->stopping = true;
}

void WsClient::call_later(unsigned ms, std::function<void()> fn) {
  std::lock_guard lock(mutex_);
  if (!impl_) return;
  one_shot(impl_->context.get(), ms, [weak = std::weak_ptr<Impl>(impl_), fn = std::move(fn)] {
    auto impl = weak.lock();
    if (impl && !impl->stopping && fn) fn();
  });
}

template <typename Make>
void WsClient::send_when_open(Make make) {
  std::lock_guard lock(mutex_);
  if (!impl_) return;
  post_to(impl_->context.get(), [weak = std::weak_ptr<Impl>(impl_), make = std::move(make)] {
    auto s = weak.lock();
    if (!s) return;
    if (!s->conn || soup_websocket_connection_get_state(s->conn.get()) != SOUP_WEBSOCKET_STATE_OPEN) {
      GST_DEBUG("not connected: dropping a message");
      return;
    }
    std::string text = make();
    soup_websocket_connection_send_text(s->conn.get(), text.c_str());
  });
}

void WsClient::send(protocol::ClientMessage msg) {
  send_when_open([msg = std::move(msg)] { return protocol::to_json(msg); });
}

void WsClient::send_text(std::string text) {
  send_when_open([text = std::move(text)] { return text; });
}

}  // namespace webrtclive
