// SPDX-License-Identifier: LGPL-2.1-or-later
//
// ProtocolConsumer: the consumer side of the protocol
// (docs/signalling-protocol.md), once, over any SignallingTransport (a
// WebSocket client, or the hub of an embedded server). It finds a producer,
// keeps one session with it, and looks again when the session ends; with
// Options::max_sessions > 1, it keeps one session with each matching
// producer at once (webrtclivesrc producers=all), up to that bound:
//
//   welcome                  -> setPeerStatus{roles:[listener], meta}
//   our own peerStatusChanged -> list
//   list / peerStatusChanged of a producer -> considered: when no session is
//        up or asked for and it passes the filters (peer_id, producer_name),
//        startSession{peerId} and Callbacks::producer_found
//   sessionStarted for a producer asked -> session_started(sid, peer, name);
//        for any other peer -> endSession (not ours)
//   peer{sdp|ice} of one of our sessions -> remote_sdp / remote_ice
//   endSession of one of our sessions, or its producer's peerStatusChanged
//        without the producer role   -> session_ended(sid, reason)
//   startSession to us (a producer offering to a passive consumer) -> endSession
//   error while a startSession is pending -> list again after rediscover_ms
//        (errors name no request: every pending one is asked again)
//   connection lost -> error(..., false), session_ended(each), and all
//        over again on the next welcome
//
// After any end of a session (the producer's, or our end_session()) it asks
// `list` again after rediscover_ms, unless Options::once (then it never
// starts another session) or it is stopped.
//
// It announces protocol v1.1 and ends sessions with endSessionV1_1, so the
// producer (a WHIP publisher through the gateway, a page) hears the reason
// given to end_session().
//
// Threads: methods may be called from any thread and never block, except
// stop(), which waits for a callback under way on the transport's thread
// (unless called from inside that callback, which is allowed: the callback
// finishes and no other follows). Callbacks run on the transport's thread
// with no lock held, one at a time. Do not call stop() while holding a lock
// that your callbacks take.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "consumer-signaller.h"
#include "protocol.h"
#include "transport.h"

namespace webrtclive {

class ProtocolConsumer : public ConsumerSignaller {
 public:
  struct Options {
    protocol::Meta meta;        // our setPeerStatus meta (e.g. Meta::from_name("src0"))
    std::string peer_id;        // consume only this producer ("" = any)
    // Consume only producers whose meta.name matches this ("" = any): a name,
    // or a glob pattern with * and ? (g_pattern_match_simple).
    std::string producer_name;
    bool once = false;          // after the first session ends, never look again
    unsigned rediscover_ms = 1000;  // wait before asking `list` again after a session ended
    // Sessions at once, each with another producer: 1 = one producer at a
    // time; more = every matching producer, up to this bound (a server may
    // list thousands: the rest wait until one leaves).
    unsigned max_sessions = 1;
    // A last filter, called on the transport's thread with no lock held
    // (e.g. webrtclivesrc skipping producers of its own pipeline).
    std::function<bool(const std::string &peer_id, const protocol::Meta &meta)> accept;
  };

  ProtocolConsumer(std::unique_ptr<SignallingTransport> transport, Options options);
  ~ProtocolConsumer() override;
  ProtocolConsumer(const ProtocolConsumer &) = delete;
  ProtocolConsumer &operator=(const ProtocolConsumer &) = delete;

  bool start(Callbacks callbacks, std::string *error) override;
  void stop() override;
  // Only for our sessions; others are dropped.
  void send_sdp(const std::string &session_id, const protocol::Sdp &sdp) override;
  void send_ice(const std::string &session_id, const protocol::Ice &ice) override;
  void end_session(const std::string &session_id, const std::optional<std::string> &reason) override;
  std::vector<std::string> urls() const override;

  SignallingTransport &transport() const;

 private:
  struct Core;
  std::shared_ptr<Core> core_;  // shared with the transport's callbacks (weakly)
};

}  // namespace webrtclive
