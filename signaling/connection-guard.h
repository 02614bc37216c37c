// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The server's TCP side, which libsoup 3.2 leaves unguarded (see
// docs/security.md and docs/webrtcbin-notes.md):
// - it accepts connections itself and hands them to the SoupServer
//   (soup_server_accept_iostream), so that running out of descriptors only
//   pauses accepting (libsoup removes its listening source for good on the
//   first failed accept()), and so that connections are capped in total and
//   per remote address;
// - it closes connections that take too long to send their request
//   (slowloris, or silent). libsoup serves one request per connection it did
//   not accept itself (no keep-alive), so there is no idle HTTP connection;
// - under what libsoup reads it puts a counting stream (counting-input.h):
//   a WebSocket message reassembled from endless continuation frames
//   (libsoup 3.2 caps each frame, not the message) fails the read that
//   passes the limit;
// - it compares what the kernel acknowledged (TCP_INFO) with what was
//   queued for each WebSocket client: one that never reads (libsoup queues
//   without limit) is closed.
//
// Threading: everything runs on the server thread (its GMainContext).
#pragma once

#include <libsoup/soup.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "counting-input.h"
#include "gobj.h"

namespace webrtclive {

struct ConnectionLimits {
  unsigned max_connections = 1024;      // open TCP connections in total
  unsigned max_per_address = 256;       // from one remote IP address (NATs put many behind one)
  unsigned request_timeout_s = 10;      // from accepting a connection to its whole request
  size_t max_partial_message = 512 << 10;  // WebSocket bytes read that are not yet a whole message
  size_t max_send_queue = 4 << 20;      // bytes queued for a WebSocket client not yet acknowledged
};

class ConnectionGuard {
 public:
  // `close_ws` is how the server closes one of its WebSocket connections
  // (code and reason); the guard never touches them otherwise.
  using CloseWs = std::function<void(SoupWebsocketConnection *, gushort code, const char *reason)>;

  ConnectionGuard(SoupServer *server, GSocket *listener, GTlsCertificate *tls, GMainContext *context,
                  ConnectionLimits limits, CloseWs close_ws);
  ~ConnectionGuard();
  ConnectionGuard(const ConnectionGuard &) = delete;
  ConnectionGuard &operator=(const ConnectionGuard &) = delete;

  // The request of `remote` ("address:port", as libsoup names it) became a
  // WebSocket: no more HTTP timeouts, byte accounting from here on.
  void upgraded(const std::string &remote, SoupWebsocketConnection *ws);
  // A whole message of `bytes` arrived / was queued for sending. sent()
  // returns false when the client's queue is over the limit (then it has
  // been closed).
  void received(SoupWebsocketConnection *ws, size_t bytes);
  bool sent(SoupWebsocketConnection *ws, size_t bytes);
  // The server dropped this WebSocket connection (closed).
  void forget_ws(SoupWebsocketConnection *ws);
  // Stops accepting (the server is stopping).
  void stop_accepting();

  size_t open_connections() const { return conns_.size(); }

 private:
  struct Tracked {
    GRef<GSocketConnection> tcp;
    GRef<GIOStream> io;  // what libsoup reads and writes: counted input over tcp (or TLS over it)
    GRef<GIOStream> tls;  // when serving TLS
    std::shared_ptr<ReadBudget> budget;
    std::string address;  // remote IP only
    gint64 accepted_us = 0;
    bool reading = true;  // its request is not read yet
    SoupWebsocketConnection *ws = nullptr;  // not owned
    uint64_t tx_base = 0;                   // kernel's acknowledged count at the upgrade
    uint64_t tx_messages = 0, tx_bytes = 0;
    bool closed_by_us = false;
  };

  static gboolean on_incoming(GSocket *, GIOCondition, gpointer self);
  static gboolean on_tick(gpointer self);
  static gboolean on_resume(gpointer self);
  void watch_listener();
  void accept_some();
  void tick();
  void check_ws(const std::string &remote, Tracked &t);
  void close_tcp(Tracked &t, const char *why);
  Tracked *find_ws(SoupWebsocketConnection *ws);
  Tracked *for_message(SoupServerMessage *msg);
  static void on_request_read(SoupServer *, SoupServerMessage *msg, gpointer self);

  SoupServer *server_;
  GRef<GSocket> listener_;
  GRef<GTlsCertificate> tls_;
  GMainContext *context_;
  ConnectionLimits limits_;
  CloseWs close_ws_;
  GSource *incoming_ = nullptr;
  GSource *resume_ = nullptr;
  GSource *tick_ = nullptr;
  unsigned ticks_ = 0;
  std::string next_check_;  // round-robin position among WebSocket connections
  gint64 last_warning_us_ = 0;
  std::map<std::string, Tracked> conns_;  // by remote "address:port"
  std::map<std::string, unsigned> per_address_;  // open connections per remote IP
  // Drops a tracked connection and its count; returns the next one.
  std::map<std::string, Tracked>::iterator forget(std::map<std::string, Tracked>::iterator it);
  std::map<SoupWebsocketConnection *, std::string> ws_;
};

// "address:port" of a socket address, as the server keys connections.
std::string remote_key(GSocketAddress *address);

}  // namespace webrtclive
