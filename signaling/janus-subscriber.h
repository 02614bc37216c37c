// SPDX-License-Identifier: LGPL-2.1-or-later
//
// JanusSubscriber: webrtclivesrc subscribing to publishers of a Janus
// VideoRoom. To the src it is a ConsumerSignaller whose producers are the
// room's publishers: one consumer session per publisher, each on a Janus
// handle of its own (decisions.md: no renegotiation of a shared handle).
//
//   Janus session up (janus::       attach the manager handle, join the room as a
//   Connection, janus-connection.h) "publisher" that never publishes (display: the
//                                   element's name) only to hear of publishers
//   "joined" / "event" publishers   the room's publishers (at most kMaxPublishers);
//                                   each matching one, up to max_sessions at once:
//                                   attach a handle, join as "subscriber" with
//                                   streams [{feed}] and autoupdate false
//   "attached" with Janus's offer   producer_found, session_started(sid "janus-<feed>-<n>",
//                                   peer "<feed id>", name "<display>"), remote_sdp(offer)
//   send_sdp(answer)                start with the answer as jsep; our candidates are
//                                   trickled once it went out (held until then)
//   "trickle" from Janus            remote_ice
//   "unpublished" / "leaving" /     session_ended(sid, "publisher left the room") for
//   "kicked" of a subscribed feed   that publisher only; its handle detached
//   hangup / detached of a          session_ended for that one; subscribed again after a
//   subscriber handle, an error     backoff of its own (per publisher) while it is
//   to its join or start (428...)   still published and matching
//   end_session(sid)                that handle detached; that publisher subscribed
//                                   again after its backoff (never, with `once`)
//   the Janus session lost (no      session_ended for every session; all over again
//   such room 426, wrong pin 433,   after the connection's backoff (WARNINGs through
//   no reply, WebSocket...)         Callbacks::error, not repeated)
//
// Which publishers: `feed` (a display name or an id) → only those; "" → any.
// max_sessions 1: the first matching publisher in Janus's order, and the
// next when it leaves; more: every matching one at once, up to that bound.
// A publisher with our own participant id is never subscribed (Janus does
// not list us, since the manager never publishes; the check holds anyway).
//
// Threads: the connection's thread holds every piece of state; methods post
// to it and never block, except stop() (joins that thread). Callbacks run
// there with no lock held; none runs after stop() returned.
#pragma once

#include <memory>
#include <string>

#include "consumer-signaller.h"
#include "janus-connection.h"

namespace webrtclive {

class JanusSubscriber : public ConsumerSignaller {
 public:
  struct Options {
    // The room, the WebSocket, keepalive, request timeout; stable_ms also
    // resets a publisher's subscription backoff when it lasted that long.
    janus::Connection::Options janus;
    std::string display;       // our participant's name in the room (the element's)
    std::string feed;          // only publishers with this display name or id ("" = any)
    unsigned max_sessions = 1;  // publishers subscribed at once (1..kMaxPublishers)
    bool once = false;          // after the first session ends, subscribe to nothing more
    // A last filter on a publisher's id, called on the connection's thread
    // with no lock held (webrtclivesrc producers=all: not our own pipeline's sink).
    std::function<bool(const std::string &feed_id)> accept;
    size_t max_early_candidates = 64;  // ours before the start went out, per session
  };

  explicit JanusSubscriber(Options options);
  ~JanusSubscriber() override;
  JanusSubscriber(const JanusSubscriber &) = delete;
  JanusSubscriber &operator=(const JanusSubscriber &) = delete;

  bool start(Callbacks callbacks, std::string *error) override;
  void stop() override;
  void send_sdp(const std::string &session_id, const protocol::Sdp &sdp) override;
  void send_ice(const std::string &session_id, const protocol::Ice &ice) override;
  void end_session(const std::string &session_id, const std::optional<std::string> &reason) override;

 private:
  struct Impl;
  janus::Driver<Impl> driver_;
};

}  // namespace webrtclive
