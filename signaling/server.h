// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The embedded HTTP + WebSocket server: one libsoup 3 server on one port that
// serves the viewer page (GResource) at `/` and the signalling WebSocket on any
// path, routing messages through a Hub. In-process peers (webrtclivesink) join
// the same Hub through add_local_peer().
//
// Threading: the server owns a thread running its own GMainContext; libsoup
// objects and the Hub live on that thread only. Public methods may be called
// from any thread; LocalPeer::send() posts to the server thread and never
// blocks. Callbacks given to add_local_peer() run on the server thread.
#pragma once

#include <gio/gio.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gobj.h"
#include "protocol.h"

namespace webrtclive {

class Hub;

class SignallingServer {
 public:
  struct Options {
    std::string address = "0.0.0.0";  // "0.0.0.0" = every IPv4 interface
    unsigned port = 8080;             // 0 = a free port
    std::string resource_root = "/org/gstreamer/webrtclive/web";
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
  // Closes every connection and joins the thread. Idempotent.
  void stop();

  unsigned port() const;
  // The URLs a browser can open: one per non-loopback IPv4 address when bound
  // to all interfaces, plus localhost.
  std::vector<std::string> urls() const;

  // Joins the hub as a peer living in this process. `on_message` (server
  // thread) first receives `welcome`. The peer leaves when the returned
  // object is destroyed.
  [[nodiscard]] std::shared_ptr<LocalPeer> add_local_peer(OnMessage on_message);

  GMainContext *context() const { return context_.get(); }

 private:
  struct Impl;
  void run();

  MainContextPtr context_;
  MainLoopPtr loop_;
  std::thread thread_;
  std::unique_ptr<Impl> impl_;  // server-thread state
  mutable std::mutex mutex_;
  unsigned port_ = 0;
  std::string address_;
};

}  // namespace webrtclive
