// SPDX-License-Identifier: LGPL-2.1-or-later
#include "transport.h"

namespace webrtclive {

bool WsTransport::start(Callbacks callbacks, std::string *error) {
  WsClient::Callbacks cb;
  cb.connected = callbacks.connected;
  cb.message = callbacks.message;
  cb.disconnected = callbacks.disconnected;
  return client_.start(options_, std::move(cb), error);
}

bool EmbeddedTransport::start(Callbacks callbacks, std::string *error) {
  std::lock_guard lock(mutex_);
  if (server_) return true;
  auto server = std::make_unique<SignallingServer>();
  if (!server->start(options_, error)) return false;
  auto on_message = callbacks.message;
  auto first = std::make_shared<bool>(true);  // only touched on the server thread
  auto connected = callbacks.connected;
  peer_ = server->add_local_peer([on_message, connected, first](const protocol::ServerMessage &m) {
    if (*first && connected) connected();
    *first = false;
    if (on_message) on_message(m);
  });
  server_ = std::move(server);
  return true;
}

void EmbeddedTransport::stop() {
  std::unique_ptr<SignallingServer> server;
  std::shared_ptr<SignallingServer::LocalPeer> peer;
  {
    std::lock_guard lock(mutex_);
    server = std::move(server_);
    peer = std::move(peer_);
  }
  peer.reset();
  if (server) server->stop();
}

void EmbeddedTransport::send(protocol::ClientMessage msg) {
  std::lock_guard lock(mutex_);
  if (peer_) peer_->send(std::move(msg));
}

std::vector<std::string> EmbeddedTransport::urls() const {
  std::lock_guard lock(mutex_);
  return server_ ? server_->urls() : std::vector<std::string>{};
}

}  // namespace webrtclive
