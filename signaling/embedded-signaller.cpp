// SPDX-License-Identifier: LGPL-2.1-or-later
#include "util.h"
#include "embedded-signaller.h"

namespace webrtclive {

using namespace protocol;


bool EmbeddedSignaller::start(Callbacks callbacks, std::string *error) {
  std::lock_guard lock(mutex_);
  if (server_) return true;
  callbacks_ = std::move(callbacks);
  auto server = std::make_unique<SignallingServer>();
  if (!server->start(options_.server, error)) return false;
  peer_ = server->add_local_peer([this](const ServerMessage &m) { on_message(m); });
  server_ = std::move(server);
  return true;
}

void EmbeddedSignaller::stop() {
  std::unique_ptr<SignallingServer> server;
  std::shared_ptr<SignallingServer::LocalPeer> peer;
  {
    std::lock_guard lock(mutex_);
    server = std::move(server_);
    peer = std::move(peer_);
  }
  // Drop the peer first (no more callbacks), then stop the thread.
  peer.reset();
  if (server) server->stop();
}

void EmbeddedSignaller::send(ClientMessage msg) {
  std::lock_guard lock(mutex_);
  if (peer_) peer_->send(std::move(msg));
}

void EmbeddedSignaller::send_sdp(const std::string &session_id, const Sdp &sdp) { send(Peer{session_id, sdp}); }

void EmbeddedSignaller::send_ice(const std::string &session_id, const Ice &ice) { send(Peer{session_id, ice}); }

void EmbeddedSignaller::end_session(const std::string &session_id, const std::optional<std::string> &reason) {
  // The in-process producer speaks v1.1, so the consumer can be told why
  // (the hub downgrades to plain endSession for v1.0 consumers).
  send(EndSession{session_id, true, reason});
}

std::vector<std::string> EmbeddedSignaller::urls() const {
  std::lock_guard lock(mutex_);
  return server_ ? server_->urls() : std::vector<std::string>{};
}

unsigned EmbeddedSignaller::port() const {
  std::lock_guard lock(mutex_);
  return server_ ? server_->port() : 0;
}

// Server thread.
void EmbeddedSignaller::on_message(const ServerMessage &msg) {
  std::visit(Overloaded{
                 [&](const Welcome &) {
                   send(SetProtocolVersion{"v1_1"});
                   send(SetPeerStatus{{Role::Producer}, options_.meta});
                 },
                 [&](const StartSession &m) {
                   if (callbacks_.session_requested) callbacks_.session_requested(m.session_id, m.peer_id, m.offer);
                 },
                 [&](const Peer &m) {
                   if (auto *sdp = std::get_if<Sdp>(&m.payload)) {
                     if (callbacks_.remote_sdp) callbacks_.remote_sdp(m.session_id, *sdp);
                   } else if (callbacks_.remote_ice) {
                     callbacks_.remote_ice(m.session_id, std::get<Ice>(m.payload));
                   }
                 },
                 [&](const EndSession &m) {
                   if (callbacks_.session_ended) callbacks_.session_ended(m.session_id, m.error);
                 },
                 [&](const Error &m) {
                   if (callbacks_.error) callbacks_.error("signalling server: " + m.details, false);
                 },
                 [&](const auto &) {},
             },
             msg);
}

}  // namespace webrtclive
