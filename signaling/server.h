// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The embedded HTTP + WebSocket server: one libsoup 3 server on one port that
// serves the viewer page (GResource) at `/` and the signalling WebSocket on any
// path, routing messages through a Hub. In-process peers (webrtclivesink) join
// the same Hub through add_local_peer().
//
// The same class is the standalone `webrtclive-signalling-server` (server/):
// TLS (wss/https), a directory of static files over the built-in pages, and
// connection hooks for its logs are options that the elements leave unset.
//
// Threading: the server owns a thread running its own GMainContext; libsoup
// objects and the Hub live on that thread only. Public methods may be called
// from any thread; LocalPeer::send() posts to the server thread and never
// blocks. Callbacks given to add_local_peer() and the Options hooks run on
// the server thread.
#pragma once

#include <gio/gio.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "auth.h"
#include "connection-guard.h"
#include "gobj.h"
#include "hub.h"
#include "ice-servers.h"
#include "metrics.h"
#include "protocol.h"

namespace webrtclive {


class SignallingServer {
 public:
  // Server-thread notifications, for logs. Any of them may be empty.
  struct Hooks {
    // A WebSocket peer joined the hub; `remote` is "address:port".
    std::function<void(const std::string &peer_id, const std::string &remote)> connected;
    // It left; `close_code` is the WebSocket close code (1005 = none given).
    std::function<void(const std::string &peer_id, const std::string &remote, unsigned close_code)> disconnected;
    // The hub answered one of its messages with `error{details}`.
    std::function<void(const std::string &peer_id, const std::string &details)> refused;
  };

  struct Options {
    std::string address = "0.0.0.0";  // "0.0.0.0" = every IPv4 interface
    unsigned port = 8080;             // 0 = a free port
    std::string resource_root = "/org/gstreamer/webrtclive/web";
    // TLS (wss:// and https://): a certificate with its private key, or PEM
    // files to load one from (both set; the certificate wins if given too).
    // Unset = plain ws:// and http://.
    GRef<GTlsCertificate> tls_certificate;
    std::string tls_cert_file;
    std::string tls_key_file;
    // A directory of static files served over the built-in pages (a file
    // here wins over the resource of the same path). Empty = none.
    std::string web_root;
    // How long stop() lets close handshakes finish before it drops the rest.
    unsigned close_timeout_ms = 50;
    // When set, a WebSocket upgrade must carry it, as "Authorization: Bearer
    // TOKEN" or "?token=TOKEN" (browsers cannot set headers on a WebSocket);
    // others get HTTP 401. The pages themselves stay public. Never logged.
    std::string token;
    // JSON Web Tokens (auth.h): a WebSocket must present one, signed with
    // this key and algorithm and not expired, unless it presents `token`;
    // the grant limits its roles and producer names, and the connection is
    // closed (1008) when the token expires. Off when no algorithm is set.
    JwtConfig jwt;
    // Browsers send an Origin with every WebSocket upgrade; a page of any
    // site a user on the LAN visits could otherwise drive the signalling
    // (cross-site WebSocket hijacking). Accepted: no Origin (non-browser
    // clients), the server's own origin (scheme://Host), and these
    // ("https://app.example", or "*" for any). Others get HTTP 403.
    std::vector<std::string> allowed_origins;
    // Connections, request timing, WebSocket message and send-queue sizes
    // (connection-guard.h).
    ConnectionLimits limits;
    // Per peer: sessions started, message size and depth (hub.h).
    Hub::Limits hub;
    Hooks hooks;
    // GET /metrics (Prometheus text format 0.0.4) shows the server's own
    // figures (signalling connections, messages and errors by type, peers,
    // sessions, the process); an owner adds its own here (server thread;
    // it must not block).
    std::function<void(MetricsText &)> metrics;
    // More GET endpoints answered from the owner's state (server thread;
    // must not block), e.g. the sink's /consumers.json. Like /metrics they
    // need the token (or a valid JWT) when one is set.
    struct Endpoint {
      std::string path;          // exact
      std::string content_type;  // e.g. "application/json"
      std::function<std::string()> body;
    };
    std::vector<Endpoint> endpoints;
    // The ICE servers clients should use (pages, WHEP/WHIP Link headers);
    // called per client, so ephemeral TURN credentials are per viewer.
    // Unset = none.
    ClientIceSource client_ice;
    // WHEP (POST /whep[/<producer>]: play any producer of this server) and
    // WHIP (POST /whip[/<name>]: publish to its consumers), whip-whep.h.
    // They follow the token/JWT and Origin rules of the WebSocket; an HTTP
    // session counts against limits.max_connections / max_per_address.
    bool whep = false;
    bool whip = false;
  };

  class LocalPeer {
   public:
    virtual ~LocalPeer() = default;
    virtual void send(protocol::ClientMessage msg) = 0;
  };
  using OnMessage = std::function<void(const protocol::ServerMessage &)>;

  SignallingServer();
  ~SignallingServer();
  SignallingServer(const SignallingServer &) = delete;
  SignallingServer &operator=(const SignallingServer &) = delete;

  // Binds the port (synchronously, so a port in use fails here with a message
  // naming it) and starts the server thread.
  [[nodiscard]] bool start(const Options &options, std::string *error);
  // Closes every WebSocket with 1001 "going away", waits for the close
  // handshakes (at most Options::close_timeout_ms) and joins the thread.
  // In-process peers get no notifications from it: drop them first.
  // Idempotent.
  void stop();

  unsigned port() const;
  // The URLs a browser can open (https:// with TLS): one per non-loopback
  // IPv4 address when bound to all interfaces, plus 127.0.0.1.
  std::vector<std::string> urls() const;
  bool tls() const;

  // Joins the hub as a peer living in this process. `on_message` (server
  // thread) first receives `welcome`; it is called without any lock held.
  // The peer leaves when the returned object is destroyed; the destructor
  // waits for a delivery under way (unless it runs inside that delivery),
  // so no callback runs after it returned.
  [[nodiscard]] std::shared_ptr<LocalPeer> add_local_peer(OnMessage on_message);

  GMainContext *context() const { return context_.get(); }
  // Whether the caller is the server thread (then stop() must not be called).
  bool on_server_thread() const;

 private:
  struct Impl;
  void run();

  MainContextPtr context_;
  MainLoopPtr loop_;
  std::thread thread_;
  std::unique_ptr<Impl> impl_;  // server-thread state
  // mutex_: a leaf; guards the fields below and impl_/thread_ (not Impl's
  // contents, which belong to the server thread).
  mutable std::mutex mutex_;
  std::thread::id thread_id_;
  unsigned port_ = 0;
  std::string address_;
  bool tls_ = false;
  unsigned close_timeout_ms_ = 50;
};

}  // namespace webrtclive
