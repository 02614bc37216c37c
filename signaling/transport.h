// SPDX-License-Identifier: LGPL-2.1-or-later
//
// A peer's connection to a signalling hub, whatever carries it: a WebSocket
// to a remote server (WsTransport) or the in-process hub of an embedded
// server (EmbeddedTransport). Used by webrtclivesrc, which speaks the
// protocol itself. Methods never block; callbacks come from the transport's
// own thread.
#pragma once

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
    std::function<void(const std::string &why, unsigned retry_ms)> disconnected;
  };
  virtual ~SignallingTransport() = default;
  [[nodiscard]] virtual bool start(Callbacks callbacks, std::string *error) = 0;
  virtual void stop() = 0;
  virtual void send(protocol::ClientMessage msg) = 0;
  virtual std::vector<std::string> urls() const { return {}; }
};

class WsTransport : public SignallingTransport {
 public:
  explicit WsTransport(WsClient::Options options) : options_(std::move(options)) {}
  bool start(Callbacks callbacks, std::string *error) override;
  void stop() override { client_.stop(); }
  void send(protocol::ClientMessage msg) override { client_.send(std::move(msg)); }

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
  std::vector<std::string> urls() const override;

 private:
  SignallingServer::Options options_;
  std::unique_ptr<SignallingServer> server_;
  std::shared_ptr<SignallingServer::LocalPeer> peer_;
  mutable std::mutex mutex_;
};

}  // namespace webrtclive
