// SPDX-License-Identifier: LGPL-2.1-or-later
//
// A peer's connection to a signalling hub, whatever carries it: a WebSocket
// to a remote server (WsTransport) or the in-process hub of an embedded
// server (EmbeddedTransport). The protocol drivers (ProtocolProducer,
// ProtocolConsumer) speak the protocol over it; the transport only moves
// typed messages.
//
// Threading: methods never block on the network and may be called from any
// thread. Callbacks and call_later() functions run on the transport's own
// thread (the client's or the server's), one at a time. After stop()
// returns no callback runs; stop() called from inside a callback (on that
// thread) returns at once, the callback under way finishes and none follows.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "client.h"
#include "protocol.h"
#include "server.h"

namespace webrtclive {

class SignallingTransport {
 public:
  struct Callbacks {
    std::function<void()> connected;  // then `welcome` arrives as a message
    std::function<void(const protocol::ServerMessage &)> message;
    // The connection is gone; the next attempt starts in `retry_ms`.
    std::function<void(const std::string &why, unsigned retry_ms)> disconnected;
    // The server sent text that is not a message we know (never in-process).
    std::function<void(const std::string &details)> bad_message;
  };
  virtual ~SignallingTransport() = default;
  [[nodiscard]] virtual bool start(Callbacks callbacks, std::string *error) = 0;
  virtual void stop() = 0;
  virtual void send(protocol::ClientMessage msg) = 0;
  // Runs `fn` on the transport's thread after `ms` milliseconds (never at
  // once); dropped when the transport is stopped first.
  virtual void call_later(unsigned ms, std::function<void()> fn) = 0;
  // Where users can reach this hub (the pages of an embedded server), if anywhere.
  virtual std::vector<std::string> urls() const { return {}; }
};

// Starts `transport` with callbacks that forward to a protocol driver's core
// (on_message, on_disconnected, on_bad_message, and on_connected when it has
// one) while the core lives. Each callback holds the core while it runs: the
// owner may stop and drop the driver from inside one of its own callbacks.
template <typename Core>
bool start_for(SignallingTransport &transport, const std::shared_ptr<Core> &core, std::string *error) {
  std::weak_ptr<Core> weak = core;
  SignallingTransport::Callbacks cb;
  if constexpr (requires(Core &c) { c.on_connected(); })
    cb.connected = [weak] {
      if (auto c = weak.lock()) c->on_connected();
    };
  cb.message = [weak](const protocol::ServerMessage &m) {
    if (auto c = weak.lock()) c->on_message(m);
  };
  cb.disconnected = [weak](const std::string &why, unsigned retry_ms) {
    if (auto c = weak.lock()) c->on_disconnected(why, retry_ms);
  };
  cb.bad_message = [weak](const std::string &details) {
    if (auto c = weak.lock()) c->on_bad_message(details);
  };
  return transport.start(std::move(cb), error);
}

class WsTransport : public SignallingTransport {
 public:
  explicit WsTransport(WsClient::Options options) : options_(std::move(options)) {}
  bool start(Callbacks callbacks, std::string *error) override;
  void stop() override { client_.stop(); }
  void send(protocol::ClientMessage msg) override { client_.send(std::move(msg)); }
  void call_later(unsigned ms, std::function<void()> fn) override { client_.call_later(ms, std::move(fn)); }

 private:
  WsClient::Options options_;
  WsClient client_;
};

class EmbeddedTransport : public SignallingTransport {
 public:
  explicit EmbeddedTransport(SignallingServer::Options options) : options_(std::move(options)) {}
  ~EmbeddedTransport() override { stop(); }
  bool start(Callbacks callbacks, std::string *error) override;
  void stop() override;
  void send(protocol::ClientMessage msg) override;
  void call_later(unsigned ms, std::function<void()> fn) override;
  std::vector<std::string> urls() const override;
  unsigned port() const;  // the bound port (useful with port 0), 0 when stopped

 private:
  SignallingServer::Options options_;
  // mutex_: guards server_, peer_ and alive_. Order: EmbeddedTransport::mutex_
  // -> SignallingServer::mutex_ (start, urls, port); never held while waiting
  // for the server thread (stop) or calling a callback.
  mutable std::mutex mutex_;
  std::unique_ptr<SignallingServer> server_;
  std::shared_ptr<SignallingServer::LocalPeer> peer_;
  std::shared_ptr<std::atomic<bool>> alive_;  // cleared by stop(): pending call_later()s do nothing
};

}  // namespace webrtclive
