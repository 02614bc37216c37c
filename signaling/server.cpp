// SPDX-License-Identifier: LGPL-2.1-or-later
#include "server.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <libsoup/soup.h>
#include <net/if.h>

#include <map>

#include "hub.h"

GST_DEBUG_CATEGORY_STATIC(webrtclive_server_debug);
#define GST_CAT_DEFAULT webrtclive_server_debug

namespace webrtclive {

namespace {

const char *content_type_for(const std::string &path) {
  auto ends = [&](const char *ext) {
    size_t n = strlen(ext);
    return path.size() >= n && path.compare(path.size() - n, n, ext) == 0;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  return "application/octet-stream";
}

std::vector<std::string> interface_addresses() {
  std::vector<std::string> out;
  struct ifaddrs *list = nullptr;
  if (getifaddrs(&list) != 0) return out;
  for (auto *ifa = list; ifa; ifa = ifa->ifa_next) {
    if (!ifa->ifa_addr || ifa->ifa_addr->sa_family != AF_INET) continue;
    if (!(ifa->ifa_flags & IFF_UP) || (ifa->ifa_flags & IFF_LOOPBACK)) continue;
    char buf[INET_ADDRSTRLEN];
    auto *sin = reinterpret_cast<struct sockaddr_in *>(ifa->ifa_addr);
    if (inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof buf)) out.emplace_back(buf);
  }
  freeifaddrs(list);
  return out;
}

// State shared between a LocalPeer handle (any thread) and the server thread.
struct LocalPeerState {
  std::mutex mutex;
  SignallingServer::OnMessage on_message;  // cleared when the handle goes away
  std::string id;                          // server thread only
};

}  // namespace

struct SignallingServer::Impl {
  GRef<SoupServer> server;
  Hub hub;
  std::string resource_root;
  // Open WebSocket connections and their peer ids. Holds a reference each.
  std::map<SoupWebsocketConnection *, std::string> connections;

  static void on_http(SoupServer *, SoupServerMessage *msg, const char *path, GHashTable *, gpointer data) {
    static_cast<Impl *>(data)->serve_file(msg, path);
  }

  void serve_file(SoupServerMessage *msg, const char *path) {
    const char *method = soup_server_message_get_method(msg);
    // libsoup calls the plain handler for WebSocket upgrades too; leave
    // those to on_websocket.
    if (soup_message_headers_header_contains(soup_server_message_get_request_headers(msg), "Upgrade", "websocket"))
      return;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
      soup_server_message_set_status(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, nullptr);
      return;
    }
    std::string p = path ? path : "/";
    if (p == "/health") {
      std::string body = "{\"status\":\"ok\",\"peers\":" + std::to_string(hub.peer_count()) +
                         ",\"sessions\":" + std::to_string(hub.session_count()) + "}";
      soup_server_message_set_status(msg, SOUP_STATUS_OK, nullptr);
      soup_server_message_set_response(msg, "application/json", SOUP_MEMORY_COPY, body.data(), body.size());
      return;
    }
    if (p == "/") p = "/index.html";
    if (p.find("..") != std::string::npos) {
      soup_server_message_set_status(msg, SOUP_STATUS_NOT_FOUND, nullptr);
      return;
    }
    GBytes *bytes = g_resources_lookup_data((resource_root + p).c_str(), G_RESOURCE_LOOKUP_FLAGS_NONE, nullptr);
    if (!bytes) {
      soup_server_message_set_status(msg, SOUP_STATUS_NOT_FOUND, nullptr);
      return;
    }
    gsize size = 0;
    const char *data = static_cast<const char *>(g_bytes_get_data(bytes, &size));
    soup_server_message_set_status(msg, SOUP_STATUS_OK, nullptr);
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Cache-Control", "no-cache");
    soup_server_message_set_response(msg, content_type_for(p), SOUP_MEMORY_COPY, data, size);
    g_bytes_unref(bytes);
  }

  static void on_websocket(SoupServer *, SoupServerMessage *msg, const char *, SoupWebsocketConnection *conn,
                           gpointer data) {
    auto *self = static_cast<Impl *>(data);
    g_object_ref(conn);
    soup_websocket_connection_set_keepalive_interval(conn, 30);
    g_signal_connect(conn, "message", G_CALLBACK(on_ws_message), self);
    g_signal_connect(conn, "closed", G_CALLBACK(on_ws_closed), self);
    // Registered before add_peer() so that the welcome reaches this socket.
    self->connections[conn] = "";
    std::string id = self->hub.add_peer([conn](const protocol::ServerMessage &m) {
      if (soup_websocket_connection_get_state(conn) != SOUP_WEBSOCKET_STATE_OPEN) return;
      std::string text = protocol::to_json(m);
      soup_websocket_connection_send_text(conn, text.c_str());
    });
    self->connections[conn] = id;
    GSocketAddress *remote = soup_server_message_get_remote_address(msg);
    GCharPtr remote_str(remote ? g_socket_connectable_to_string(G_SOCKET_CONNECTABLE(remote)) : nullptr);
    GST_INFO("peer %s connected from %s", id.c_str(), remote_str ? remote_str.get() : "?");
  }

  static void on_ws_message(SoupWebsocketConnection *conn, gint type, GBytes *message, gpointer data) {
    auto *self = static_cast<Impl *>(data);
    auto it = self->connections.find(conn);
    if (it == self->connections.end()) return;
    if (type != SOUP_WEBSOCKET_DATA_TEXT) {
      self->hub.handle_text(it->second, "binary frame");  // answered with an `error`
      return;
    }
    gsize size = 0;
    const char *data_ptr = static_cast<const char *>(g_bytes_get_data(message, &size));
    std::string text(data_ptr, size);
    GST_LOG("peer %s: %s", it->second.c_str(), text.c_str());
    self->hub.handle_text(it->second, text);
  }

  static void on_ws_closed(SoupWebsocketConnection *conn, gpointer data) {
    auto *self = static_cast<Impl *>(data);
    auto it = self->connections.find(conn);
    if (it == self->connections.end()) return;
    std::string id = it->second;
    self->connections.erase(it);
    GST_INFO("peer %s disconnected", id.c_str());
    self->hub.remove_peer(id);
    g_signal_handlers_disconnect_by_data(conn, self);
    g_object_unref(conn);
  }

  void close_all() {
    auto conns = std::move(connections);
    connections.clear();
    for (auto &[conn, id] : conns) {
      g_signal_handlers_disconnect_by_data(conn, this);
      hub.remove_peer(id);
      if (soup_websocket_connection_get_state(conn) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close(conn, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "server stopping");
      g_object_unref(conn);
    }
    if (server) soup_server_disconnect(server.get());
  }
};

SignallingServer::SignallingServer() {
  static gsize once = 0;
  if (g_once_init_enter(&once)) {
    GST_DEBUG_CATEGORY_INIT(webrtclive_server_debug, "webrtcliveserver", 0, "webrtclive signalling server");
    g_once_init_leave(&once, 1);
  }
}

SignallingServer::~SignallingServer() { stop(); }

bool SignallingServer::start(const Options &options, std::string *error) {
  std::lock_guard lock(mutex_);
  if (impl_) return true;
  context_.reset(g_main_context_new());
  loop_.reset(g_main_loop_new(context_.get(), FALSE));
  auto impl = std::make_unique<Impl>();
  impl->resource_root = options.resource_root;

  // Listening sockets attach their sources to the thread-default context.
  g_main_context_push_thread_default(context_.get());
  impl->server = GRef<SoupServer>::adopt(soup_server_new("server-header", "webrtclive ", nullptr));
  soup_server_add_handler(impl->server.get(), nullptr, Impl::on_http, impl.get(), nullptr);
  soup_server_add_websocket_handler(impl->server.get(), nullptr, nullptr, nullptr, Impl::on_websocket, impl.get(),
                                    nullptr);
  GError *err = nullptr;
  bool all = options.address.empty() || options.address == "0.0.0.0";
  gboolean ok;
  if (all) {
    ok = soup_server_listen_all(impl->server.get(), options.port, SOUP_SERVER_LISTEN_IPV4_ONLY, &err);
  } else {
    GSocketAddress *addr = g_inet_socket_address_new_from_string(options.address.c_str(), options.port);
    if (!addr) {
      g_main_context_pop_thread_default(context_.get());
      *error = "'" + options.address + "' is not an IP address to listen on";
      return false;
    }
    ok = soup_server_listen(impl->server.get(), addr, static_cast<SoupServerListenOptions>(0), &err);
    g_object_unref(addr);
  }
  g_main_context_pop_thread_default(context_.get());
  if (!ok) {
    *error = "cannot listen on port " + std::to_string(options.port) + " of " +
             (all ? std::string("all interfaces") : options.address) + ": " + (err ? err->message : "unknown error");
    if (err) g_error_free(err);
    return false;
  }

  port_ = options.port;
  GSList *listeners = soup_server_get_listeners(impl->server.get());
  if (listeners) {
    GSocketAddress *local = g_socket_get_local_address(G_SOCKET(listeners->data), nullptr);
    if (local) {
      port_ = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(local));
      g_object_unref(local);
    }
  }
  g_slist_free(listeners);
  address_ = all ? std::string() : options.address;
  impl_ = std::move(impl);
  thread_ = std::thread([this] { run(); });
  GST_INFO("listening on port %u", port_);
  return true;
}

void SignallingServer::run() {
  g_main_context_push_thread_default(context_.get());
  g_main_loop_run(loop_.get());
  g_main_context_pop_thread_default(context_.get());
}

void SignallingServer::stop() {
  std::unique_lock lock(mutex_);
  if (!impl_) return;
  Impl *impl = impl_.get();
  GMainLoop *loop = loop_.get();
  post_to(context_.get(), [impl, loop] {
    impl->close_all();
    // Give close frames a moment to leave before the loop stops.
    GSource *t = g_timeout_source_new(50);
    g_source_set_callback(
        t,
        [](gpointer l) -> gboolean {
          g_main_loop_quit(static_cast<GMainLoop *>(l));
          return G_SOURCE_REMOVE;
        },
        loop, nullptr);
    g_source_attach(t, g_main_loop_get_context(loop));
    g_source_unref(t);
  });
  std::thread t = std::move(thread_);
  lock.unlock();
  if (t.joinable()) t.join();
  lock.lock();
  // The loop is gone: Impl can be dropped from this thread. Sources still
  // pending (posts from local peers) are dropped with the context later.
  g_main_context_push_thread_default(context_.get());
  impl_.reset();
  g_main_context_pop_thread_default(context_.get());
}

unsigned SignallingServer::port() const {
  std::lock_guard lock(mutex_);
  return port_;
}

std::vector<std::string> SignallingServer::urls() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  if (!impl_) return out;
  auto url = [&](const std::string &host) { return "http://" + host + ":" + std::to_string(port_) + "/"; };
  if (!address_.empty()) {
    out.push_back(url(address_));
    return out;
  }
  for (const auto &a : interface_addresses()) out.push_back(url(a));
  out.push_back(url("127.0.0.1"));
  return out;
}

namespace {

class LocalPeerHandle : public SignallingServer::LocalPeer {
 public:
  LocalPeerHandle(GMainContext *context, Hub *hub, SignallingServer::OnMessage on_message)
      : context_(g_main_context_ref(context)), hub_(hub), state_(std::make_shared<LocalPeerState>()) {
    state_->on_message = std::move(on_message);
    std::weak_ptr<LocalPeerState> weak = state_;
    post_to(context_.get(), [hub, weak] {
      auto state = weak.lock();
      if (!state) return;
      state->id = hub->add_peer([weak](const protocol::ServerMessage &m) {
        auto s = weak.lock();
        if (!s) return;
        std::lock_guard lock(s->mutex);
        if (s->on_message) s->on_message(m);
      });
    });
  }

  ~LocalPeerHandle() override {
    {
      std::lock_guard lock(state_->mutex);
      state_->on_message = nullptr;
    }
    Hub *hub = hub_;
    auto state = state_;
    post_to(context_.get(), [hub, state] {
      if (!state->id.empty()) hub->remove_peer(state->id);
    });
  }

  void send(protocol::ClientMessage msg) override {
    Hub *hub = hub_;
    auto state = state_;
    post_to(context_.get(), [hub, state, msg = std::move(msg)] {
      if (!state->id.empty()) hub->handle(state->id, msg);
    });
  }

 private:
  MainContextPtr context_;
  Hub *hub_;  // only dereferenced on the server thread, while it runs
  std::shared_ptr<LocalPeerState> state_;
};

}  // namespace

std::shared_ptr<SignallingServer::LocalPeer> SignallingServer::add_local_peer(OnMessage on_message) {
  std::lock_guard lock(mutex_);
  if (!impl_) return nullptr;
  return std::make_shared<LocalPeerHandle>(context_.get(), &impl_->hub, std::move(on_message));
}

}  // namespace webrtclive
