// SPDX-License-Identifier: LGPL-2.1-or-later
//
// ProtocolProducer: the producer side of the protocol
// (docs/signalling-protocol.md), once, over any SignallingTransport: a
// WebSocket to a remote server (WsTransport) or the hub of an embedded server
// (EmbeddedTransport).
//
//   connected  -> setProtocolVersion v1_1 (so consumers can be told why a session ended)
//   welcome    -> setPeerStatus{roles:[producer], meta}
//   startSession (to us) -> Callbacks::session_requested
//   peer{sdp|ice}        -> remote_sdp / remote_ice
//   endSession           -> session_ended(reason)
//   error, unreadable text, lost connection -> error(..., fatal=false)
//
// Sessions are known per connection: after a reconnect the server knows none
// of the old ones, so SDP, ICE and endSession for those are not sent (their
// media keeps flowing: it does not depend on the signalling socket).
//
// Threads: methods may be called from any thread and never block, except
// stop(), which waits for a callback under way on the transport's thread
// (unless called from inside that callback). Callbacks run on the
// transport's thread with no lock held; after stop() they no longer run.
// Do not call stop() while holding a lock that your callbacks take.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "protocol.h"
#include "signaller.h"
#include "transport.h"

namespace webrtclive {

class ProtocolProducer : public ProducerSignaller {
 public:
  // `meta` goes into setPeerStatus (e.g. Meta::from_name("cam")).
  ProtocolProducer(std::unique_ptr<SignallingTransport> transport, protocol::Meta meta);
  ~ProtocolProducer() override;
  ProtocolProducer(const ProtocolProducer &) = delete;
  ProtocolProducer &operator=(const ProtocolProducer &) = delete;

  bool start(Callbacks callbacks, std::string *error) override;
  void stop() override;
  void send_sdp(const std::string &session_id, const protocol::Sdp &sdp) override;
  void send_ice(const std::string &session_id, const protocol::Ice &ice) override;
  // Sends endSessionV1_1 with `reason` (the hub downgrades it for v1.0 consumers).
  void end_session(const std::string &session_id, const std::optional<std::string> &reason) override;
  std::vector<std::string> urls() const override;

  SignallingTransport &transport() const;

 private:
  struct Core;
  std::shared_ptr<Core> core_;  // shared with the transport's callbacks (weakly)
};

}  // namespace webrtclive
