// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The consumer side of signalling as webrtclivesrc (and webrtclivesignaller
// role=consumer) sees it: the signaller finds a producer and starts a session
// with it; the producer's offer and ICE come in, the answer and our ICE go
// out. One session at a time, except where the implementation is told
// otherwise (JanusSubscriber's max_sessions: one session per Janus
// publisher). Implementations: ProtocolConsumer (the protocol over a
// SignallingTransport), JanusSubscriber (a Janus VideoRoom's publishers)
// and, for application signallers, the adapter of
// signallers/signaller-factory.h.
//
// Every method is non-blocking and callable from any thread, except stop()
// (see the implementation). Callbacks may come from any thread, never with a
// lock of the signaller held; the owner marshals them.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "protocol.h"

namespace webrtclive {

class ConsumerSignaller {
 public:
  struct Callbacks {
    // Informational: a producer matching the filters was chosen and a
    // session is being asked for. `name` is its meta.name ("" if none).
    std::function<void(const std::string &peer_id, const std::string &name)> producer_found;
    // A session with producer `peer_id` exists; its offer follows as remote_sdp.
    std::function<void(const std::string &session_id, const std::string &peer_id, const std::string &name)>
        session_started;
    std::function<void(const std::string &session_id, const protocol::Sdp &sdp)> remote_sdp;
    std::function<void(const std::string &session_id, const protocol::Ice &ice)> remote_ice;
    // The session ended without us asking (producer ended it or left, the
    // signalling connection was lost). `reason` is a sentence for the user.
    // Not called for end_session(): the caller knows.
    std::function<void(const std::string &session_id, const std::string &reason)> session_ended;
    // Something the user should know; `fatal` when signalling cannot go on.
    std::function<void(const std::string &message, bool fatal)> error;
  };

  virtual ~ConsumerSignaller() = default;
  [[nodiscard]] virtual bool start(Callbacks callbacks, std::string *error) = 0;
  virtual void stop() = 0;
  // Our answer (type "answer") and our ICE candidates for the current session.
  virtual void send_sdp(const std::string &session_id, const protocol::Sdp &sdp) = 0;
  virtual void send_ice(const std::string &session_id, const protocol::Ice &ice) = 0;
  // We end the session (bad offer, failed connection, timeout...).
  virtual void end_session(const std::string &session_id, const std::optional<std::string> &reason) = 0;
  // Where users can reach this consumer's server (an embedded one), if anywhere.
  virtual std::vector<std::string> urls() const { return {}; }
};

}  // namespace webrtclive
