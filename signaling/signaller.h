// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The producer side of signalling as webrtclivesink sees it: sessions come in,
// SDP and ICE go out. Implementations: ProtocolProducer (the protocol over
// a SignallingTransport: protocol-producer.h), WhipClient (whip-client.h),
// JanusPublisher (janus-publisher.h) and, for application signallers, the
// adapter of signallers/signaller-factory.h. Every method is
// non-blocking and callable from any thread, except stop() (see the
// implementation); callbacks may come from any thread, never with a lock of
// the signaller held (the element marshals them).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ice-servers.h"
#include "protocol.h"

namespace webrtclive {

// Codec names as the sink's video-codecs / audio-codecs spell them ("vp8",
// "opus") that a signaller's consumers take; empty = any.
struct CodecLimit {
  std::vector<std::string> video, audio;
};

class ProducerSignaller {
 public:
  struct Callbacks {
    // A consumer wants a session; `offer` is set when the consumer offers.
    std::function<void(const std::string &session_id, const std::string &peer_id,
                       const std::optional<std::string> &offer)>
        session_requested;
    std::function<void(const std::string &session_id, const protocol::Sdp &sdp)> remote_sdp;
    std::function<void(const std::string &session_id, const protocol::Ice &ice)> remote_ice;
    // The other side (or the server) ended the session.
    std::function<void(const std::string &session_id, const std::optional<std::string> &reason)> session_ended;
    // Something the user should know; `fatal` when signalling cannot go on.
    std::function<void(const std::string &message, bool fatal)> error;
    // Optional: our peer id on the server, at each (re)registration.
    std::function<void(const std::string &peer_id)> registered;
  };

  virtual ~ProducerSignaller() = default;
  [[nodiscard]] virtual bool start(Callbacks callbacks, std::string *error) = 0;
  virtual void stop() = 0;
  virtual void send_sdp(const std::string &session_id, const protocol::Sdp &sdp) = 0;
  virtual void send_ice(const std::string &session_id, const protocol::Ice &ice) = 0;
  virtual void end_session(const std::string &session_id, const std::optional<std::string> &reason) = 0;
  // Where users can reach this producer (URLs of a served page), if anywhere.
  virtual std::vector<std::string> urls() const { return {}; }
  // ICE servers the signalling side learnt for sessions it requests from now
  // on (a WHIP server's Link headers), in addition to the element's own.
  virtual std::vector<IceServer> ice_servers() const { return {}; }
  // What its consumers can take (a Janus room's codecs): the sink offers
  // nothing else. Read once, before start().
  virtual CodecLimit accepted_codecs() const { return {}; }
};

}  // namespace webrtclive
