// SPDX-License-Identifier: LGPL-2.1-or-later
#include "connection-guard.h"

#include <gst/gst.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>

GST_DEBUG_CATEGORY_EXTERN(webrtclive_server_debug);
#define GST_CAT_DEFAULT webrtclive_server_debug

namespace webrtclive {

namespace {

// WebSocket framing around a message (2-14 header bytes, 4 mask bytes from
// clients), and what a refused connection is told before it is closed.
constexpr uint64_t kFrameOverhead = 14;
constexpr char kBusy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
constexpr gint64 kPauseOnErrorMs = 250;   // accept() failed: try again after this
constexpr gint64 kWarnEveryUs = 10 * G_USEC_PER_SEC;
constexpr uint64_t kCheckSendEvery = 64 * 1024;  // bytes queued between two TCP_INFO checks
constexpr unsigned kTickMs = 100;
constexpr unsigned kChecksPerTick = 200;  // TCP_INFO calls per tick at most (~0.1 ms)

struct TcpCounters {
  uint64_t acked = 0;
  bool ok = false;
};

TcpCounters tcp_counters(GSocketConnection *tcp) {
  TcpCounters out;
  struct tcp_info ti = {};
  socklen_t len = sizeof ti;
  int fd = g_socket_get_fd(g_socket_connection_get_socket(tcp));
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 &&
      len >= offsetof(struct tcp_info, tcpi_bytes_acked) + sizeof ti.tcpi_bytes_acked) {
    out.acked = ti.tcpi_bytes_acked;
    out.ok = true;
  }
  return out;
}

std::string ip_of(GSocketAddress *address) {
  if (!G_IS_INET_SOCKET_ADDRESS(address)) return "?";
  gchar *s = g_inet_address_to_string(g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(address)));
  std::string out = s ? s : "?";
  g_free(s);
  return out;
}

}  // namespace

std::string remote_key(GSocketAddress *address) {
  if (!address) return "?";
  gchar *s = g_socket_connectable_to_string(G_SOCKET_CONNECTABLE(address));
  std::string out = s ? s : "?";
  g_free(s);
  return out;
}

ConnectionGuard::ConnectionGuard(SoupServer *server, GSocket *listener, GTlsCertificate *tls, GMainContext *context,
                                 ConnectionLimits limits, CloseWs close_ws)
    : server_(server), listener_(GRef<GSocket>::ref(listener)), tls_(GRef<GTlsCertificate>::ref(tls)), context_(context),
      limits_(limits),
      close_ws_(std::move(close_ws)) {
  g_socket_set_blocking(listener, FALSE);
  g_signal_connect(server_, "request-read", G_CALLBACK(on_request_read), this);
  watch_listener();
  tick_ = g_timeout_source_new(kTickMs);
  g_source_set_callback(tick_, on_tick, this, nullptr);
  g_source_attach(tick_, context_);
}

ConnectionGuard::~ConnectionGuard() {
  stop_accepting();
  g_signal_handlers_disconnect_by_data(server_, this);
  if (tick_) {
    g_source_destroy(tick_);
    g_source_unref(tick_);
  }
}

void ConnectionGuard::stop_accepting() {
  for (GSource **s : {&incoming_, &resume_}) {
    if (!*s) continue;
    g_source_destroy(*s);
    g_source_unref(*s);
    *s = nullptr;
  }
  if (listener_) g_socket_close(listener_.get(), nullptr);
}

void ConnectionGuard::watch_listener() {
  incoming_ = g_socket_create_source(listener_.get(), G_IO_IN, nullptr);
  g_source_set_callback(incoming_, reinterpret_cast<GSourceFunc>(+on_incoming), this, nullptr);
  g_source_attach(incoming_, context_);
}

gboolean ConnectionGuard::on_incoming(GSocket *, GIOCondition, gpointer self) {
  static_cast<ConnectionGuard *>(self)->accept_some();
  return G_SOURCE_CONTINUE;
}

gboolean ConnectionGuard::on_resume(gpointer data) {
  auto *self = static_cast<ConnectionGuard *>(data);
  g_source_unref(self->resume_);
  self->resume_ = nullptr;
  self->watch_listener();
  return G_SOURCE_REMOVE;
}

void ConnectionGuard::accept_some() {
  for (int i = 0; i < 64; i++) {
    GError *err = nullptr;
    GSocket *sock = g_socket_accept(listener_.get(), nullptr, &err);
    if (!sock) {
      if (g_error_matches(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
        g_error_free(err);
        return;
      }
      // Out of descriptors (or memory): the connection waits in the
      // backlog; stop watching for a moment instead of spinning, and never
      // give up listening.
      const gint64 now = g_get_monotonic_time();
      if (now - last_warning_us_ > kWarnEveryUs) {
        GST_WARNING("accept() failed: %s; %zu connections open; retrying every %" G_GINT64_FORMAT " ms",
                    err->message, conns_.size(), kPauseOnErrorMs);
        g_warning("cannot accept a connection: %s (%zu open); retrying", err->message, conns_.size());
        last_warning_us_ = now;
      }
      g_error_free(err);
      g_source_destroy(incoming_);
      g_source_unref(incoming_);
      incoming_ = nullptr;
      resume_ = g_timeout_source_new(kPauseOnErrorMs);
      g_source_set_callback(resume_, on_resume, this, nullptr);
      g_source_attach(resume_, context_);
      return;
    }
    auto owned = GRef<GSocket>::adopt(sock);
    auto remote = GRef<GSocketAddress>::adopt(g_socket_get_remote_address(sock, nullptr));
    auto local = GRef<GSocketAddress>::adopt(g_socket_get_local_address(sock, nullptr));
    if (!remote || !local) continue;
    const std::string key = remote_key(remote.get()), ip = ip_of(remote.get());
    const unsigned from_ip = per_address_.count(ip) ? per_address_.at(ip) : 0;
    const char *refusal = conns_.size() >= limits_.max_connections ? "the server's connection limit"
                          : from_ip >= limits_.max_per_address     ? "the per-address connection limit"
                                                                   : nullptr;
    if (refusal) {
      const gint64 now = g_get_monotonic_time();
      if (now - last_warning_us_ > kWarnEveryUs) {
        GST_WARNING("refusing connections from %s: %s (%zu open)", ip.c_str(), refusal, conns_.size());
        last_warning_us_ = now;
      }
      g_socket_send(sock, kBusy, sizeof kBusy - 1, nullptr, nullptr);
      g_socket_close(sock, nullptr);
      continue;
    }
    // Dead peers (no FIN, no RST) are noticed by TCP itself after ~90 s.
    g_socket_set_keepalive(sock, TRUE);
    g_socket_set_option(sock, IPPROTO_TCP, TCP_KEEPIDLE, 60, nullptr);
    g_socket_set_option(sock, IPPROTO_TCP, TCP_KEEPINTVL, 10, nullptr);
    g_socket_set_option(sock, IPPROTO_TCP, TCP_KEEPCNT, 3, nullptr);
    g_socket_set_option(sock, IPPROTO_TCP, TCP_NODELAY, 1, nullptr);
    auto tcp = GRef<GSocketConnection>::adopt(g_socket_connection_factory_create_connection(sock));
    GRef<GIOStream> tls;
    if (tls_) {
      GIOStream *t = g_tls_server_connection_new(G_IO_STREAM(tcp.get()), tls_.get(), &err);
      if (!t) {
        GST_WARNING("cannot start TLS for %s: %s", key.c_str(), err->message);
        g_error_free(err);
        continue;
      }
      g_object_set(t, "require-close-notify", FALSE, nullptr);
      tls = GRef<GIOStream>::adopt(t);
    }
    GIOStream *plain = tls ? tls.get() : G_IO_STREAM(tcp.get());
    auto budget = std::make_shared<ReadBudget>();
    GInputStream *in = counting_input_new(g_io_stream_get_input_stream(plain), budget);
    auto stream = GRef<GIOStream>::adopt(g_simple_io_stream_new(in, g_io_stream_get_output_stream(plain)));
    g_object_unref(in);
    // Tracked before libsoup sees it: it emits request-started at once.
    if (auto old = conns_.find(key); old != conns_.end()) forget(old);  // its port reused before a sweep
    Tracked &t = conns_[key];
    per_address_[ip]++;
    t.tcp = tcp;
    t.tls = tls;
    t.io = stream;
    t.budget = budget;
    t.address = ip;
    t.accepted_us = g_get_monotonic_time();
    if (!soup_server_accept_iostream(server_, stream.get(), local.get(), remote.get(), &err)) {
      GST_WARNING("libsoup refused the connection of %s: %s", key.c_str(), err->message);
      g_error_free(err);
      forget(conns_.find(key));
    }
  }
}

std::map<std::string, ConnectionGuard::Tracked>::iterator ConnectionGuard::forget(
    std::map<std::string, Tracked>::iterator it) {
  if (auto a = per_address_.find(it->second.address); a != per_address_.end() && --a->second == 0)
    per_address_.erase(a);
  if (it->second.ws) ws_.erase(it->second.ws);
  if (it->first == next_check_) next_check_.clear();
  return conns_.erase(it);
}

ConnectionGuard::Tracked *ConnectionGuard::for_message(SoupServerMessage *msg) {
  const std::string key = remote_key(soup_server_message_get_remote_address(msg));
  auto it = conns_.find(key);
  GST_LOG("request of %s: %s", key.c_str(), it == conns_.end() ? "not tracked" : "tracked");
  return it == conns_.end() ? nullptr : &it->second;
}

void ConnectionGuard::on_request_read(SoupServer *, SoupServerMessage *msg, gpointer self) {
  if (Tracked *t = static_cast<ConnectionGuard *>(self)->for_message(msg)) t->reading = false;
}

void ConnectionGuard::upgraded(const std::string &remote, SoupWebsocketConnection *ws) {
  auto it = conns_.find(remote);
  if (it == conns_.end()) return;
  Tracked &t = it->second;
  t.ws = ws;
  t.reading = false;
  t.tx_base = tcp_counters(t.tcp.get()).acked;
  // From here on, what is read must become whole messages (or pongs).
  t.budget->delivered = t.budget->read;
  t.budget->limit = limits_.max_partial_message;
  ws_[ws] = remote;
  g_signal_connect_data(
      ws, "pong",
      G_CALLBACK(+[](SoupWebsocketConnection *, GBytes *, gpointer data) {
        auto *b = static_cast<std::shared_ptr<ReadBudget> *>(data);
        (*b)->delivered = (*b)->read;
      }),
      new std::shared_ptr<ReadBudget>(t.budget),
      [](gpointer d, GClosure *) { delete static_cast<std::shared_ptr<ReadBudget> *>(d); }, GConnectFlags(0));
}

ConnectionGuard::Tracked *ConnectionGuard::find_ws(SoupWebsocketConnection *ws) {
  auto it = ws_.find(ws);
  if (it == ws_.end()) return nullptr;
  auto c = conns_.find(it->second);
  return c == conns_.end() ? nullptr : &c->second;
}

void ConnectionGuard::received(SoupWebsocketConnection *ws, size_t) {
  // Everything read so far was this message, earlier ones, control frames,
  // or (read ahead) the start of the next: all accounted for.
  if (Tracked *t = find_ws(ws)) t->budget->delivered = t->budget->read;
}

bool ConnectionGuard::sent(SoupWebsocketConnection *ws, size_t bytes) {
  Tracked *t = find_ws(ws);
  if (!t) return true;
  const uint64_t before = t->tx_bytes;
  t->tx_messages++;
  t->tx_bytes += bytes;
  if (before / kCheckSendEvery != t->tx_bytes / kCheckSendEvery) check_ws(ws_[ws], *t);
  return !t->closed_by_us;
}

void ConnectionGuard::check_ws(const std::string &remote, Tracked &t) {
  if (t.closed_by_us) return;
  TcpCounters c = tcp_counters(t.tcp.get());
  if (!c.ok) return;
  // What was queued for the client and not acknowledged by its TCP stack
  // (TLS records make the acknowledged count a little larger: on the safe side).
  const uint64_t acked = c.acked - t.tx_base, queued_total = t.tx_bytes + kFrameOverhead * t.tx_messages;
  const uint64_t queued = queued_total > acked ? queued_total - acked : 0;
  GST_LOG("%s: %" G_GUINT64_FORMAT " bytes queued", remote.c_str(), queued);
  if (t.budget->tripped) {
    // The read that passed the limit failed: libsoup closes on its own.
    GST_WARNING("closed %s: more than %zu bytes without a whole message", remote.c_str(), limits_.max_partial_message);
    t.closed_by_us = true;
  } else if (queued > limits_.max_send_queue) {
    GST_WARNING("closing %s: it does not read (%" G_GUINT64_FORMAT " bytes queued, limit %zu)", remote.c_str(),
                queued, limits_.max_send_queue);
    t.closed_by_us = true;
    close_ws_(t.ws, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, "too slow: the client does not read");
    close_tcp(t, "does not read");
  }
}

void ConnectionGuard::close_tcp(Tracked &t, const char *why) {
  // shutdown(), not close(): libsoup still owns the descriptor; it sees the
  // end of the stream and cleans up on its own.
  GST_INFO("closing a connection from %s: %s", t.address.c_str(), why);
  g_socket_shutdown(g_socket_connection_get_socket(t.tcp.get()), TRUE, TRUE, nullptr);
}

gboolean ConnectionGuard::on_tick(gpointer self) {
  static_cast<ConnectionGuard *>(self)->tick();
  return G_SOURCE_CONTINUE;
}

// Every kTickMs: up to kChecksPerTick WebSocket connections (round robin)
// get their byte counts checked, so a fast sender is stopped within a tick
// or two; once a second, every connection's bookkeeping and timeouts.
void ConnectionGuard::tick() {
  const gint64 now = g_get_monotonic_time();
  if (!ws_.empty()) {
    auto it = conns_.upper_bound(next_check_);
    for (unsigned n = 0; n < kChecksPerTick && n < conns_.size(); n++, ++it) {
      if (it == conns_.end()) it = conns_.begin();
      if (it->second.ws) check_ws(it->first, it->second);
      next_check_ = it->first;
    }
  }
  if (++ticks_ % (1000 / kTickMs) != 0) return;
  for (auto it = conns_.begin(); it != conns_.end();) {
    Tracked &t = it->second;
    if (g_io_stream_is_closed(t.io.get()) || g_socket_is_closed(g_socket_connection_get_socket(t.tcp.get()))) {
      // libsoup is done with it: the descriptor goes now, not at finalization.
      g_socket_close(g_socket_connection_get_socket(t.tcp.get()), nullptr);
      it = forget(it);
      continue;
    }
    if (!t.ws && t.reading && now - t.accepted_us > limits_.request_timeout_s * G_USEC_PER_SEC && !t.closed_by_us) {
      t.closed_by_us = true;
      close_tcp(t, "no whole request in time");
    }
    ++it;
  }
}

void ConnectionGuard::forget_ws(SoupWebsocketConnection *ws) {
  auto it = ws_.find(ws);
  if (it == ws_.end()) return;
  if (auto c = conns_.find(it->second); c != conns_.end()) c->second.ws = nullptr;
  ws_.erase(it);
}

}  // namespace webrtclive
