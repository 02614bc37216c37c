// SPDX-License-Identifier: LGPL-2.1-or-later
#include "server.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <libsoup/soup.h>
#include <net/if.h>

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <cstring>

#include <map>
#include <optional>
#include <thread>

#include "http-route.h"
#include "server-files.h"
#include "server-metrics.h"
#include "whip-whep.h"
#include "hub.h"

GST_DEBUG_CATEGORY(webrtclive_server_debug);
#define GST_CAT_DEFAULT webrtclive_server_debug

namespace webrtclive {

namespace {

// Pending connections the kernel queues for accept() (it caps this at
// net.core.somaxconn).
constexpr int kListenBacklog = 4096;


// A WebSocket message may arrive in frames: twice the message limit (at
// least the guard's default) of unfinished message closes the connection.
ConnectionLimits guard_limits(const SignallingServer::Options &options) {
  ConnectionLimits l = options.limits;
  l.max_partial_message = std::max(l.max_partial_message, 2 * options.hub.max_message_bytes);
  return l;
}

// State shared between a LocalPeer handle (any thread) and the server thread.
// The hub delivers a message by copying `on_message` under `mutex` and calling
// the copy without it, so a callback may drop its own handle (stop its
// signaller) without deadlocking. The handle's destructor clears
// `on_message`, then waits until no delivery is under way, unless it runs
// inside that delivery (the server thread destroying its own handle from the
// callback): after it returns, no callback starts, none still runs elsewhere.
struct LocalPeerState {
  std::mutex mutex;                        // a leaf: never held while calling out
  std::condition_variable idle;            // `in_call` went back to false
  SignallingServer::OnMessage on_message;  // cleared when the handle goes away
  bool in_call = false;                    // a delivery runs on the server thread
  std::string id;                          // server thread only

  void deliver(const protocol::ServerMessage &m) {
    SignallingServer::OnMessage fn;
    {
      std::lock_guard lock(mutex);
      if (!on_message) return;
      fn = on_message;
      in_call = true;
    }
    fn(m);
    fn = nullptr;  // captures die before the handle can be told it is idle
    std::lock_guard lock(mutex);
    in_call = false;
    idle.notify_all();
  }
  // Any thread but a delivering one: no callback after this returns.
  void detach(bool on_server_thread) {
    std::unique_lock lock(mutex);
    on_message = nullptr;
    if (!on_server_thread) idle.wait(lock, [this] { return !in_call; });
  }
};

}  // namespace

namespace {
constexpr char kTokenProtocol[] = "webrtclive.token.";

// Compares without leaking, through timing, how much of a guess was right.
bool same_secret(const std::string &a, const std::string &b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); i++) diff |= a[i] ^ b[i % (b.empty() ? 1 : b.size())];
  return diff == 0;
}
}  // namespace

struct SignallingServer::Impl {
  struct Conn {
    std::string id;
    std::string remote;
    gint64 expires_at = 0;  // its JWT's exp (seconds since 1970); 0 = none
    bool expired = false;
  };

  GRef<SoupServer> server;
  std::unique_ptr<ConnectionGuard> guard;  // accepts; created after server, destroyed before it
  Hub hub;
  std::string resource_root;
  std::string web_root;
  std::string web_root_real;  // web_root with symlinks resolved
  std::string token;
  JwtConfig jwt;
  size_t max_message_bytes = protocol::kMaxMessageBytes;
  std::vector<std::string> allowed_origins;
  bool tls = false;
  Hooks hooks;
  std::function<void(MetricsText &)> metrics;
  std::vector<Options::Endpoint> endpoints;
  std::unique_ptr<WhipWhepGateway> gateway;  // WHEP/WHIP, when either is on
  uint64_t connections_total = 0;  // WebSocket peers that joined the hub
  std::map<std::string, uint64_t> refused_upgrades;  // by reason: origin, token
  gint64 started_us = g_get_monotonic_time();
  // Open WebSocket connections and their peers. Holds a reference each.
  std::map<SoupWebsocketConnection *, Conn> connections;
  // stop(): connections whose close handshake is under way (a reference
  // each), and the loop to quit when the last one is done.
  bool stopping = false;
  std::map<SoupWebsocketConnection *, Conn> closing;
  GMainLoop *stop_loop = nullptr;
  // The JSON of the last peerStatusChanged: one status change goes to every
  // listener, so it is serialised once, not once per listener.
  std::optional<protocol::PeerStatusChanged> status_cached;
  std::string status_json;

  const std::string &json_for(const protocol::ServerMessage &m, std::string &scratch) {
    if (auto *s = std::get_if<protocol::PeerStatusChanged>(&m)) {
      if (!status_cached || !(*status_cached == *s)) {
        status_json = protocol::to_json(m);
        status_cached = *s;
      }
      return status_json;
    }
    scratch = protocol::to_json(m);
    return scratch;
  }

  // Whether a browser's Origin may use the signalling WebSocket.
  bool origin_allowed(SoupServerMessage *msg, const char *origin) const {
    const char *host = soup_message_headers_get_one(soup_server_message_get_request_headers(msg), "Host");
    return webrtclive::origin_allowed(origin, host, tls, allowed_origins);
  }

  // Runs on the request headers, before any handler: a WebSocket upgrade
  // from a foreign Origin is answered 403, one without the token (when one
  // is set) 401; neither is upgraded.
  static void on_early(SoupServer *, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer data) {
    auto *self = static_cast<Impl *>(data);
    SoupMessageHeaders *h = soup_server_message_get_request_headers(msg);
    // Nothing here takes a request body: whatever a client sends is read and
    // dropped as it comes, never collected (a 1 GB POST costs no memory;
    // the request timeout ends a slow one). WHIP/WHEP keep theirs, bounded.
    soup_message_body_set_accumulate(soup_server_message_get_request_body(msg), FALSE);
    if (self->gateway && self->gateway->owns(path)) {
      self->gateway->accept_body(msg);
      return;
    }
    if (!soup_message_headers_header_contains(h, "Upgrade", "websocket")) return;
    if (const char *origin = soup_message_headers_get_one(h, "Origin"); !self->origin_allowed(msg, origin)) {
      GST_WARNING("refused a WebSocket from origin '%s' (not this server's and not allowed)", origin);
      self->refused_upgrades["origin"]++;
      const char *body = "this origin may not use the signalling WebSocket (see allowed-origins)\n";
      soup_server_message_set_status(msg, SOUP_STATUS_FORBIDDEN, nullptr);
      soup_server_message_set_response(msg, "text/plain", SOUP_MEMORY_STATIC, body, strlen(body));
      return;
    }
    if (self->token.empty() && !self->jwt.enabled()) return;
    const std::string given = presented_token(msg, query);
    std::string why = given.empty() ? "no token" : "wrong token";
    if (!self->token.empty() && same_secret(given, self->token)) return;  // the simple mode: may do all
    if (self->jwt.enabled() && !given.empty()) {
      auto grant = verify_jwt(self->jwt, given, g_get_real_time() / G_USEC_PER_SEC, &why);
      if (grant) {  // handed to on_websocket with the message
        g_object_set_data_full(G_OBJECT(msg), "webrtclive-grant", new Grant(std::move(*grant)),
                               [](gpointer g) { delete static_cast<Grant *>(g); });
        return;
      }
    }
    GSocketAddress *remote = soup_server_message_get_remote_address(msg);
    GCharPtr who(remote ? g_socket_connectable_to_string(G_SOCKET_CONNECTABLE(remote)) : nullptr);
    GST_WARNING("refused a WebSocket from %s: %s", who ? who.get() : "?", why.c_str());  // never the token
    self->refused_upgrades["token"]++;
    std::string body = "a valid token is required (Authorization: Bearer TOKEN, the WebSocket subprotocol "
                       "webrtclive.token.TOKEN, or ?token=TOKEN): " + why + "\n";
    soup_server_message_set_status(msg, SOUP_STATUS_UNAUTHORIZED, nullptr);
    soup_server_message_set_response(msg, "text/plain", SOUP_MEMORY_COPY, body.data(), body.size());
  }

  // The token a WebSocket upgrade presents: "Authorization: Bearer T", the
  // subprotocol "webrtclive.token.T" (what a browser can send), or ?token=T.
  static std::string presented_token(SoupServerMessage *msg, GHashTable *query) {
    SoupMessageHeaders *h = soup_server_message_get_request_headers(msg);
    if (const char *auth = soup_message_headers_get_one(h, "Authorization");
        auth && g_ascii_strncasecmp(auth, "Bearer ", 7) == 0)
      return auth + 7;
    if (const char *protocols = soup_message_headers_get_list(h, "Sec-WebSocket-Protocol")) {
      std::string found;
      gchar **list = g_strsplit(protocols, ",", 16);
      for (gchar **p = list; *p && found.empty(); p++)
        if (g_str_has_prefix(g_strstrip(*p), kTokenProtocol)) found = *p + strlen(kTokenProtocol);
      g_strfreev(list);
      if (!found.empty()) return found;
    }
    if (query && g_hash_table_lookup(query, "token")) return static_cast<const char *>(g_hash_table_lookup(query, "token"));
    std::string given;
    if (GUri *uri = soup_server_message_get_uri(msg); uri && g_uri_get_query(uri)) {
      // Early handlers may get no parsed query: parse it here.
      if (GHashTable *params = g_uri_parse_params(g_uri_get_query(uri), -1, "&", G_URI_PARAMS_NONE, nullptr)) {
        if (auto *t = static_cast<const char *>(g_hash_table_lookup(params, "token"))) given = t;
        g_hash_table_unref(params);
      }
    }
    return given;
  }

  // Closes the connections whose token expired (once a second).
  static gboolean on_expiry_check(gpointer data) {
    auto *self = static_cast<Impl *>(data);
    const gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    for (auto &[conn, c] : self->connections) {
      if (!c.expires_at || c.expires_at > now || c.expired) continue;
      c.expired = true;
      GST_INFO("peer %s: its token expired", c.id.c_str());
      soup_websocket_connection_close(conn, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, "token expired");
    }
    return G_SOURCE_CONTINUE;
  }

  static void on_http(SoupServer *, SoupServerMessage *msg, const char *path, GHashTable *, gpointer data) {
    static_cast<Impl *>(data)->serve_file(msg, path);
  }

  // GET /metrics and the owner's endpoints (server-metrics.cpp); false when
  // `path` is none of them.
  bool serve_endpoint(SoupServerMessage *msg, const char *path);
  // Whether a request may read /metrics and the endpoints: no token and no
  // JWT configured, or it presents one (as a WebSocket upgrade would).
  bool authorized(SoupServerMessage *msg, std::string *why);

  void health(SoupServerMessage *msg) {
    gint64 uptime = (g_get_monotonic_time() - started_us) / G_USEC_PER_SEC;
    std::string body = "{\"status\":\"ok\",\"peers\":" + std::to_string(hub.peer_count()) +
                       ",\"sessions\":" + std::to_string(hub.session_count()) +
                       ",\"uptime_s\":" + std::to_string(uptime) + "}";
    soup_server_message_set_status(msg, SOUP_STATUS_OK, nullptr);
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Cache-Control", "no-store");
    soup_server_message_set_response(msg, "application/json", SOUP_MEMORY_COPY, body.data(), body.size());
  }

  // A file of web_root, or false when it has none at `path`. Never a
  // dotfile or a file under a dot directory (.git, .env), never one whose
  // real path (symlinks resolved) leaves the root, and never read into
  // memory: the file is mapped and sent from the mapping.
  bool serve_from_disk(SoupServerMessage *msg, const std::string &path) {
    if (web_root.empty()) return false;
    GCharPtr full(g_build_filename(web_root.c_str(), path.c_str(), nullptr));
    if (!g_file_test(full.get(), G_FILE_TEST_IS_REGULAR)) return false;
    GCharPtr real(realpath(full.get(), nullptr));
    const std::string root = web_root_real + "/";
    if (!real || strncmp(real.get(), root.c_str(), root.size()) != 0) {
      GST_WARNING("refused %s: it leads out of the web root", path.c_str());
      return false;
    }
    GError *err = nullptr;
    GMappedFile *mapped = g_mapped_file_new(real.get(), FALSE, &err);
    if (!mapped) {
      GST_WARNING("cannot read %s: %s", real.get(), err->message);
      g_error_free(err);
      soup_server_message_set_status(msg, SOUP_STATUS_FORBIDDEN, nullptr);
      return true;
    }
    GBytes *bytes = g_mapped_file_get_bytes(mapped);
    g_mapped_file_unref(mapped);
    soup_server_message_set_status(msg, SOUP_STATUS_OK, nullptr);
    SoupMessageHeaders *h = soup_server_message_get_response_headers(msg);
    soup_message_headers_replace(h, "Cache-Control", "no-cache");
    soup_message_headers_set_content_type(h, content_type_for(path), nullptr);
    soup_message_body_append_bytes(soup_server_message_get_response_body(msg), bytes);
    g_bytes_unref(bytes);
    return true;
  }

  // Every page and file: no inline script or style, no framing (clickjacking
  // of the publisher's Start button), no MIME sniffing, no referrer.
  // connect-src allows ws:/wss: anywhere: a viewer may follow ?ws= to
  // another server (the publisher asks the user first).
  static void security_headers(SoupServerMessage *msg) {
    SoupMessageHeaders *h = soup_server_message_get_response_headers(msg);
    soup_message_headers_replace(h, "Content-Security-Policy",
                                 "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
                                 "media-src 'self' blob: mediastream:; connect-src 'self' ws: wss:; "
                                 "frame-ancestors 'none'; base-uri 'none'; form-action 'none'; object-src 'none'");
    soup_message_headers_replace(h, "X-Content-Type-Options", "nosniff");
    soup_message_headers_replace(h, "X-Frame-Options", "DENY");
    soup_message_headers_replace(h, "Referrer-Policy", "no-referrer");
    // The connection ends after each response (docs/webrtcbin-notes.md:
    // one left open was closed under a client's next request); said so,
    // clients do not reuse it.
    soup_message_headers_replace(h, "Connection", "close");
  }

  void serve_file(SoupServerMessage *msg, const char *path) {
    const char *method = soup_server_message_get_method(msg);
    // libsoup calls the plain handler for WebSocket upgrades too; leave
    // those to on_websocket.
    if (soup_message_headers_header_contains(soup_server_message_get_request_headers(msg), "Upgrade", "websocket"))
      return;
    if (stopping) {
      soup_server_message_set_status(msg, SOUP_STATUS_SERVICE_UNAVAILABLE, nullptr);
      return;
    }
    security_headers(msg);
    if (gateway && gateway->serve(msg, path ? path : "")) return;
    if (serve_endpoint(msg, path)) return;
    const Route route = route_request(method, path ? path : "/");
    switch (route.kind) {
      case Route::MethodNotAllowed:
        soup_server_message_set_status(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, nullptr);
        return;
      case Route::Health:
        health(msg);
        return;
      case Route::Forbidden:
        soup_server_message_set_status(msg, SOUP_STATUS_FORBIDDEN, nullptr);
        return;
      case Route::NotFound:
        soup_server_message_set_status(msg, SOUP_STATUS_NOT_FOUND, nullptr);
        return;
      case Route::File:
        break;
    }
    const std::string &p = route.path;
    if (serve_from_disk(msg, p)) return;
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
    GSocketAddress *remote = soup_server_message_get_remote_address(msg);
    GCharPtr remote_str(remote ? g_socket_connectable_to_string(G_SOCKET_CONNECTABLE(remote)) : nullptr);
    g_object_ref(conn);
    g_signal_connect(conn, "closed", G_CALLBACK(on_ws_closed), self);
    if (self->stopping) {  // arrived during stop(): turned away, no peer
      self->closing.emplace(conn, Conn{"", remote_str ? remote_str.get() : "?"});
      soup_websocket_connection_close(conn, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "going away");
      return;
    }
    soup_websocket_connection_set_keepalive_interval(conn, 30);
    // libsoup's own frame limit (128 KiB by default) follows ours: a message
    // up to twice the limit gets an error reply, a larger frame closes (1009).
    soup_websocket_connection_set_max_incoming_payload_size(conn, 2 * self->max_message_bytes);
    if (self->guard) self->guard->upgraded(remote_key(remote), conn);
    g_signal_connect(conn, "message", G_CALLBACK(on_ws_message), self);
    // Registered before add_peer() so that the welcome reaches this socket.
    Conn &c = self->connections[conn];
    c.remote = remote_str ? remote_str.get() : "?";
    std::optional<Grant> grant;
    if (auto *g = static_cast<Grant *>(g_object_get_data(G_OBJECT(msg), "webrtclive-grant"))) {
      grant = *g;
      c.expires_at = g->expires_at;
    }
    std::string id =
        self->hub.add_peer([self, conn](const protocol::ServerMessage &m) { self->send(conn, m); }, grant);
    c.id = id;
    self->connections_total++;
    GST_INFO("peer %s connected from %s", id.c_str(), c.remote.c_str());
    if (self->hooks.connected) self->hooks.connected(id, c.remote);
  }

  void send(SoupWebsocketConnection *conn, const protocol::ServerMessage &m) {
    if (soup_websocket_connection_get_state(conn) != SOUP_WEBSOCKET_STATE_OPEN) return;
    if (auto *e = std::get_if<protocol::Error>(&m); e && hooks.refused) {
      auto it = connections.find(conn);
      hooks.refused(it != connections.end() ? it->second.id : std::string(), e->details);
    }
    std::string scratch;
    const std::string &text = json_for(m, scratch);
    soup_websocket_connection_send_text(conn, text.c_str());
    // A client that does not read is closed once too much is queued for it.
    if (guard) guard->sent(conn, text.size());
  }

  static void on_ws_message(SoupWebsocketConnection *conn, gint type, GBytes *message, gpointer data) {
    auto *self = static_cast<Impl *>(data);
    auto it = self->connections.find(conn);
    if (it == self->connections.end()) return;
    if (type != SOUP_WEBSOCKET_DATA_TEXT) {
      self->send(conn, protocol::Error{"binary frames carry nothing: send each message as a JSON text frame"});
      return;
    }
    gsize size = 0;
    const char *data_ptr = static_cast<const char *>(g_bytes_get_data(message, &size));
    if (self->guard) self->guard->received(conn, size);
    std::string text(data_ptr, size);
    GST_LOG("peer %s: %s", it->second.id.c_str(), text.c_str());
    std::string id = it->second.id;  // the hub may close connections while it runs
    self->hub.handle_text(id, text);
  }

  static void on_ws_closed(SoupWebsocketConnection *conn, gpointer data) {
    auto *self = static_cast<Impl *>(data);
    unsigned code = soup_websocket_connection_get_close_code(conn);
    g_signal_handlers_disconnect_by_data(conn, self);
    if (self->guard) self->guard->forget_ws(conn);
    if (auto it = self->closing.find(conn); it != self->closing.end()) {
      Conn c = std::move(it->second);
      self->closing.erase(it);
      g_object_unref(conn);
      if (self->hooks.disconnected && !c.id.empty()) self->hooks.disconnected(c.id, c.remote, code);
      if (self->closing.empty() && self->stop_loop) g_main_loop_quit(self->stop_loop);
      return;
    }
    auto it = self->connections.find(conn);
    if (it == self->connections.end()) return;
    Conn c = std::move(it->second);
    self->connections.erase(it);
    GST_INFO("peer %s disconnected (close code %u)", c.id.c_str(), code);
    self->hub.remove_peer(c.id);
    g_object_unref(conn);
    if (self->hooks.disconnected) self->hooks.disconnected(c.id, c.remote, code);
  }

  // Starts the close handshake of every connection and stops listening; the
  // loop quits when every handshake is over or after `timeout_ms`. The hub
  // is not told (it goes away with Impl): no one is left to hear about it.
  void close_all(GMainLoop *loop, unsigned timeout_ms) {
    stopping = true;
    gateway.reset();  // its waiting requests get 503 while the server still answers
    auto conns = std::move(connections);
    connections.clear();
    for (auto &[conn, c] : conns) {
      if (soup_websocket_connection_get_state(conn) == SOUP_WEBSOCKET_STATE_OPEN) {
        closing.emplace(conn, std::move(c));
        soup_websocket_connection_close(conn, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "going away");
      } else {
        g_signal_handlers_disconnect_by_data(conn, this);
        g_object_unref(conn);
      }
    }
    if (guard) guard->stop_accepting();
    if (server) soup_server_disconnect(server.get());
    if (closing.empty()) {
      g_main_loop_quit(loop);
      return;
    }
    stop_loop = loop;
    GSource *t = g_timeout_source_new(timeout_ms);
    g_source_set_callback(
        t,
        [](gpointer l) -> gboolean {
          g_main_loop_quit(static_cast<GMainLoop *>(l));
          return G_SOURCE_REMOVE;
        },
        loop, nullptr);
    g_source_attach(t, g_main_loop_get_context(loop));
    g_source_unref(t);
  }

  GSource *expiry = nullptr;  // the token-expiry check, when JWT is on

  ~Impl() {
    if (expiry) {
      g_source_destroy(expiry);
      g_source_unref(expiry);
    }
    for (auto *set : {&connections, &closing}) {
      for (auto &[conn, c] : *set) {
        g_signal_handlers_disconnect_by_data(conn, this);
        g_object_unref(conn);
      }
      set->clear();
    }
  }
};

bool SignallingServer::Impl::authorized(SoupServerMessage *msg, std::string *why) {
  if (token.empty() && !jwt.enabled()) return true;
  const std::string given = presented_token(msg, nullptr);
  *why = given.empty() ? "no token" : "wrong token";
  if (!token.empty() && same_secret(given, token)) return true;
  return jwt.enabled() && !given.empty() && verify_jwt(jwt, given, g_get_real_time() / G_USEC_PER_SEC, why);
}

bool SignallingServer::Impl::serve_endpoint(SoupServerMessage *msg, const char *path) {
  const std::string p = path ? path : "";
  const Options::Endpoint *owner = nullptr;
  for (const auto &e : endpoints)
    if (e.path == p) owner = &e;
  if (p != "/metrics" && !owner) return false;
  const char *method = soup_server_message_get_method(msg);
  if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
    soup_server_message_set_status(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, nullptr);
    return true;
  }
  SoupMessageHeaders *h = soup_server_message_get_response_headers(msg);
  std::string why;
  if (!authorized(msg, &why)) {
    GST_WARNING("refused %s: %s", p.c_str(), why.c_str());  // never the token
    const std::string body = "a valid token is required (Authorization: Bearer TOKEN or ?token=TOKEN): " + why + "\n";
    soup_message_headers_replace(h, "WWW-Authenticate", "Bearer");
    soup_server_message_set_status(msg, SOUP_STATUS_UNAUTHORIZED, nullptr);
    soup_server_message_set_response(msg, "text/plain", SOUP_MEMORY_COPY, body.data(), body.size());
    return true;
  }
  std::string body, type;
  if (owner) {
    body = owner->body();
    type = owner->content_type;
  } else {
    ServerFigures f{hub, connections.size(), connections_total, refused_upgrades, started_us};
    body = server_metrics(f, metrics);
    type = kMetricsContentType;
  }
  soup_server_message_set_status(msg, SOUP_STATUS_OK, nullptr);
  soup_message_headers_replace(h, "Cache-Control", "no-store");
  soup_server_message_set_response(msg, type.c_str(), SOUP_MEMORY_COPY, body.data(), body.size());
  return true;
}

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
  impl->web_root = options.web_root;
  if (!options.web_root.empty()) {
    GCharPtr real(realpath(options.web_root.c_str(), nullptr));
    impl->web_root_real = real ? real.get() : options.web_root;
  }
  impl->hooks = options.hooks;
  impl->metrics = options.metrics;
  impl->endpoints = options.endpoints;
  // GET /ice-servers.json: what the pages give RTCPeerConnection, made per
  // request (fresh TURN credentials per viewer); the token rule of /metrics.
  if (options.client_ice)
    impl->endpoints.push_back({"/ice-servers.json", "application/json",
                               [source = options.client_ice] { return client_ice_json(source()); }});
  impl->token = options.token;
  impl->allowed_origins = options.allowed_origins;
  impl->jwt = options.jwt;
  impl->hub = Hub(options.hub);
  if (options.whep || options.whip) {
    WhipWhepGateway::Config gc;
    gc.whep = options.whep;
    gc.whip = options.whip;
    gc.max_body = options.hub.max_message_bytes;
    gc.max_resources = options.limits.max_connections;
    gc.max_per_address = options.limits.max_per_address;
    Impl *raw = impl.get();
    WhipWhepGateway::Host host;
    host.hub = &impl->hub;
    host.context = context_.get();
    host.authorized = [raw](SoupServerMessage *m, std::string *why) { return raw->authorized(m, why); };
    host.origin_allowed = [raw](SoupServerMessage *m, const char *origin) { return raw->origin_allowed(m, origin); };
    host.client_ice = options.client_ice;
    impl->gateway = std::make_unique<WhipWhepGateway>(gc, std::move(host));
  }
  impl->max_message_bytes = options.hub.max_message_bytes;
  close_timeout_ms_ = options.close_timeout_ms;

  GRef<GTlsCertificate> cert = options.tls_certificate;
  if (!cert && (!options.tls_cert_file.empty() || !options.tls_key_file.empty())) {
    cert = load_certificate(options.tls_cert_file, options.tls_key_file, error);
    if (!cert) return false;
  }
  if (!options.web_root.empty() && !g_file_test(options.web_root.c_str(), G_FILE_TEST_IS_DIR)) {
    *error = "the web root '" + options.web_root + "' is not a directory";
    return false;
  }

  // Listening sockets attach their sources to the thread-default context.
  g_main_context_push_thread_default(context_.get());
  impl->server = GRef<SoupServer>::adopt(
      soup_server_new("server-header", "webrtclive ", "tls-certificate", cert.get(), nullptr));
  soup_server_add_early_handler(impl->server.get(), nullptr, Impl::on_early, impl.get(), nullptr);
  soup_server_add_handler(impl->server.get(), nullptr, Impl::on_http, impl.get(), nullptr);
  // "webrtclive" is the subprotocol a browser offers beside
  // "webrtclive.token.T" to present its token; clients offering none are fine.
  static const char *protocols[] = {"webrtclive", nullptr};
  soup_server_add_websocket_handler(impl->server.get(), nullptr, nullptr, const_cast<char **>(protocols),
                                    Impl::on_websocket, impl.get(), nullptr);
  if (options.jwt.enabled()) {
    GSource *expiry = g_timeout_source_new_seconds(1);
    g_source_set_callback(expiry, Impl::on_expiry_check, impl.get(), nullptr);
    g_source_attach(expiry, context_.get());
    impl->expiry = expiry;
  }
  bool all = options.address.empty() || options.address == "0.0.0.0";
  auto addr = GRef<GSocketAddress>::adopt(
      g_inet_socket_address_new_from_string(all ? "0.0.0.0" : options.address.c_str(), options.port));
  if (!addr) {
    g_main_context_pop_thread_default(context_.get());
    *error = "'" + options.address + "' is not an IP address to listen on";
    return false;
  }
  // Our own socket rather than soup_server_listen(): libsoup listens with
  // GLib's default backlog of 10, and a burst of connections (every client
  // reconnecting after a restart) then waits for SYN retransmissions.
  GError *err = nullptr;
  auto sock = GRef<GSocket>::adopt(
      g_socket_new(g_socket_address_get_family(addr.get()), G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &err));
  if (sock) {
    g_socket_set_listen_backlog(sock.get(), kListenBacklog);
    if (!g_socket_bind(sock.get(), addr.get(), TRUE, &err) || !g_socket_listen(sock.get(), &err)) sock.reset();
  }
  if (sock) {
    // We accept, not libsoup (connection-guard.h): limits, timeouts, and a
    // listener that survives running out of descriptors.
    Impl *raw = impl.get();
    impl->guard = std::make_unique<ConnectionGuard>(
        impl->server.get(), sock.get(), cert.get(), context_.get(), guard_limits(options),
        [raw](SoupWebsocketConnection *ws, gushort code, const char *reason) {
          if (raw->connections.count(ws)) soup_websocket_connection_close(ws, code, reason);
        });
  }
  g_main_context_pop_thread_default(context_.get());
  if (!sock) {
    ErrorPtr owned(err);
    *error = "cannot listen on port " + std::to_string(options.port) + " of " +
             (all ? std::string("all interfaces") : options.address) + ": " +
             (owned ? owned->message : "unknown error");
    return false;
  }

  port_ = options.port;
  if (GSocketAddress *local = g_socket_get_local_address(sock.get(), nullptr)) {
    port_ = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(local));
    g_object_unref(local);
  }
  address_ = all ? std::string() : options.address;
  tls_ = static_cast<bool>(cert);
  impl->tls = tls_;
  impl_ = std::move(impl);
  thread_ = std::thread([this] { run(); });
  thread_id_ = thread_.get_id();
  GST_INFO("listening on port %u", port_);
  return true;
}

void SignallingServer::run() {
  g_main_context_push_thread_default(context_.get());
  g_main_loop_run(loop_.get());
  g_main_context_pop_thread_default(context_.get());
}

bool SignallingServer::on_server_thread() const {
  std::lock_guard lock(mutex_);
  return impl_ && std::this_thread::get_id() == thread_id_;
}

void SignallingServer::stop() {
  std::unique_lock lock(mutex_);
  if (!impl_) return;
  if (std::this_thread::get_id() == thread_id_) {
    // It cannot join itself (EmbeddedTransport hands such a stop to a reaper).
    GST_ERROR("SignallingServer::stop() called on the server thread; ignored");
    return;
  }
  Impl *impl = impl_.get();
  GMainLoop *loop = loop_.get();
  unsigned timeout_ms = close_timeout_ms_;
  post_to(context_.get(), [impl, loop, timeout_ms] { impl->close_all(loop, timeout_ms); });
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
  auto url = [&](const std::string &host) {
    bool v6 = host.find(':') != std::string::npos;
    return std::string(tls_ ? "https://" : "http://") + (v6 ? "[" + host + "]" : host) + ":" +
           std::to_string(port_) + "/";
  };
  if (!address_.empty()) {
    out.push_back(url(address_));
    return out;
  }
  for (const auto &a : interface_addresses()) out.push_back(url(a));
  out.push_back(url("127.0.0.1"));
  return out;
}

bool SignallingServer::tls() const {
  std::lock_guard lock(mutex_);
  return tls_;
}

namespace {

class LocalPeerHandle : public SignallingServer::LocalPeer {
 public:
  LocalPeerHandle(GMainContext *context, Hub *hub, std::thread::id server_thread,
                  SignallingServer::OnMessage on_message)
      : context_(g_main_context_ref(context)),
        hub_(hub),
        server_thread_(server_thread),
        state_(std::make_shared<LocalPeerState>()) {
    state_->on_message = std::move(on_message);
    std::weak_ptr<LocalPeerState> weak = state_;
    post_to(context_.get(), [hub, weak] {
      auto state = weak.lock();
      if (!state) return;
      state->id = hub->add_peer([weak](const protocol::ServerMessage &m) {
        if (auto s = weak.lock()) s->deliver(m);
      });
    });
  }

  ~LocalPeerHandle() override {
    state_->detach(std::this_thread::get_id() == server_thread_);
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
  std::thread::id server_thread_;
  std::shared_ptr<LocalPeerState> state_;
};

}  // namespace

std::shared_ptr<SignallingServer::LocalPeer> SignallingServer::add_local_peer(OnMessage on_message) {
  std::lock_guard lock(mutex_);
  if (!impl_) return nullptr;
  return std::make_shared<LocalPeerHandle>(context_.get(), &impl_->hub, thread_.get_id(), std::move(on_message));
}

}  // namespace webrtclive
