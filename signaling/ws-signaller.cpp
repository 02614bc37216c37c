// SPDX-License-Identifier: LGPL-2.1-or-later
#include "util.h"
#include "ws-signaller.h"

namespace webrtclive {

using namespace protocol;


bool WsProducerSignaller::start(Callbacks callbacks, std::string *error) {
  callbacks_ = std::move(callbacks);
  WsClient::Callbacks cb;
  cb.connected = [this] {
    {
      std::lock_guard lock(mutex_);
      sessions_.clear();
    }
    // Must be the first message; v1.1 lets us tell consumers why a session
    // ended.
    client_.send(SetProtocolVersion{"v1_1"});
  };
  cb.message = [this](const ServerMessage &m) { on_message(m); };
  cb.disconnected = [this](const std::string &why, unsigned retry_ms) {
    if (callbacks_.error)
      callbacks_.error(why + "; consumers already connected keep streaming; reconnecting in " +
                           std::to_string(retry_ms) + " ms",
                       false);
  };
  cb.bad_message = [this](const std::string &details) {
    if (callbacks_.error) callbacks_.error("signalling server sent a message we cannot read: " + details, false);
  };
  return client_.start(options_.client, std::move(cb), error);
}

void WsProducerSignaller::stop() { client_.stop(); }

bool WsProducerSignaller::known(const std::string &session_id) {
  std::lock_guard lock(mutex_);
  return sessions_.count(session_id) > 0;
}

void WsProducerSignaller::send_sdp(const std::string &session_id, const Sdp &sdp) {
  if (known(session_id)) client_.send(Peer{session_id, sdp});
}

void WsProducerSignaller::send_ice(const std::string &session_id, const Ice &ice) {
  if (known(session_id)) client_.send(Peer{session_id, ice});
}

void WsProducerSignaller::end_session(const std::string &session_id, const std::optional<std::string> &reason) {
  {
    std::lock_guard lock(mutex_);
    if (!sessions_.erase(session_id)) return;
  }
  client_.send(EndSession{session_id, true, reason});
}

void WsProducerSignaller::on_message(const ServerMessage &msg) {
  std::visit(Overloaded{
                 [&](const Welcome &) { client_.send(SetPeerStatus{{Role::Producer}, options_.meta}); },
                 [&](const StartSession &m) {
                   {
                     std::lock_guard lock(mutex_);
                     sessions_.insert(m.session_id);
                   }
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
                   {
                     std::lock_guard lock(mutex_);
                     sessions_.erase(m.session_id);
                   }
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
