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
// Everything Janus sends is hostile input: messages bounded (max_message_bytes,
// the WebSocket's limit), parsed and checked (janus-api.h), replies matched
// to the one request under way, unknown ones ignored. The pin, token and API
// secret never appear in a log or a message.
//
// Threads: WsClient's thread holds every piece of state; methods post to it
// and never block, except stop() (joins that thread). Callbacks run there
// with no lock held; none runs after stop() returned.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "client.h"
#include "janus-api.h"
#include "signaller.h"

namespace webrtclive {

class JanusPublisher : public ProducerSignaller {
 public:
  struct Options {
    janus::Target target;
    std::string display;  // the name shown in the room (target.display, else the producer's name)
    // TLS (januss://), extra handshake headers, connect timeout and the
    // reconnect backoff; url, protocols and the message limit are set here.
    WsClient::Options ws;
    unsigned keepalive_ms = 25000;        // Janus drops a session silent for 60 s (session_timeout)
    unsigned request_timeout_ms = 10000;  // a request unanswered this long fails the attempt
    unsigned stable_session_ms = 10000;  // a publication that lasted this long resets the backoff
    size_t max_message_bytes = 256 * 1024;
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
  template <typename Fn>
  void post_on(Fn &&fn);
  std::shared_ptr<Impl> impl_;
  WsClient client_;
  std::atomic<bool> started_{false};
};

}  // namespace webrtclive
