// SPDX-License-Identifier: LGPL-2.1-or-later
//
// JanusPublisher: webrtclivesink publishing into a Janus VideoRoom. To the
// sink it is a ProducerSignaller with one consumer, the room, that never
// leaves for good (like WhipClient): whenever the publication ends, it is
// made again after a backoff with jitter.
//
//   WebSocket up (WsClient, raw mode,     create → session, attach janus.plugin.videoroom
//   subprotocol janus-protocol)           → handle, join as publisher (room, display,
//                                         pin, token); keepalive every keepalive_ms
//   "joined"                              session_requested("janus-N"): the sink offers
//   send_sdp(offer)                       publish with the offer as jsep
//   event with jsep answer                remote_sdp(answer)
//   send_ice                              trickle (queued until the publish went out;
//                                         an empty candidate = {"completed": true})
//   "webrtcup"                            the room has our media (backoff reset once stable)
//   Janus error (no such room 426, wrong  error(warning; the same words not repeated until a
//   pin 433, ...), hangup, timeout,       publication came up) + session_ended; the Janus
//   no reply within request_timeout_ms    session destroyed; again after a backoff
//   WebSocket lost / Janus not running    the same; WsClient reconnects with its backoff
//   end_session (the sink's session       destroy the Janus session, again after a backoff
//   failed: ICE, a rejected m-line...)
//   stop()                                destroy the Janus session, close the WebSocket
//
// The WebSocket, the Janus session, requests and replies, keepalives,
// timeouts and the backoff are janus::Connection's (janus-connection.h),
// shared with JanusSubscriber; this class is the publishing on top of it.
// Everything Janus sends is hostile input: see there and janus-api.h. The
// pin, token and API secret never appear in a log or a message.
//
// Threads: the connection's thread holds every piece of state; methods post
// to it and never block, except stop() (joins that thread). Callbacks run
// there with no lock held; none runs after stop() returned.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "janus-connection.h"
#include "signaller.h"

namespace webrtclive {

class JanusPublisher : public ProducerSignaller {
 public:
  struct Options {
    // The room, the WebSocket, keepalive, request timeout; its stable_ms:
    // a publication that lasted this long resets the backoff.
    janus::Connection::Options janus;
    std::string display;  // the name shown in the room (target.display, else the producer's name)
    size_t max_early_candidates = 64;  // candidates before the publish went out; more are dropped
  };

  explicit JanusPublisher(Options options);
  ~JanusPublisher() override;
  JanusPublisher(const JanusPublisher &) = delete;
  JanusPublisher &operator=(const JanusPublisher &) = delete;

  bool start(Callbacks callbacks, std::string *error) override;
  void stop() override;
  void send_sdp(const std::string &session_id, const protocol::Sdp &sdp) override;
  void send_ice(const std::string &session_id, const protocol::Ice &ice) override;
  void end_session(const std::string &session_id, const std::optional<std::string> &reason) override;
  CodecLimit accepted_codecs() const override;

 private:
  struct Impl;
  janus::Driver<Impl> driver_;
};

}  // namespace webrtclive
