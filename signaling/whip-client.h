// SPDX-License-Identifier: LGPL-2.1-or-later
//
// WhipClient: webrtclivesink publishing to a WHIP server (RFC 9725). To the
// sink it is a ProducerSignaller with one consumer, the server, that never
// leaves for good: the client requests a session as soon as it starts, and
// a new one (after a backoff with jitter, as WsClient) whenever one ends.
//
//   session_requested("whip-N")      the sink makes its offer (it always offers)
//   send_sdp(offer)                  wait candidate_window_ms, fold the candidates
//                                    gathered by then into the offer, POST it
//                                    (application/sdp, Authorization: Bearer)
//   201 + answer + Location + Link   remote_sdp(answer); Location resolved against
//                                    the endpoint; Link ice-servers kept for the
//                                    next session (ice_servers())
//   send_ice (later candidates)      PATCH application/trickle-ice-sdpfrag to the
//                                    resource, batched; 405/501: the server does
//                                    not trickle, later candidates are dropped
//   end_session (the sink's session  DELETE the resource, session again after a backoff
//   failed or was removed)
//   POST refused / bad answer /      session_ended + error(warning), DELETE if a
//   server down / 404 on PATCH       resource exists, session again after a backoff
//   stop()                           DELETE the resource (at most delete_timeout_ms)
//
// Every response is hostile input: bodies bounded (max_answer_bytes), header
// counts bounded, each request times out (request_timeout_ms), the answer,
// Location and Link headers validated (whip-sdp.h). Redirects are not
// followed. The token never appears in a log or a message.
//
// Threads: like WsClient, a thread with its own GMainContext holds every
// libsoup object. Methods may be called from any thread and never block,
// except stop(), which waits for the DELETE (bounded) and joins the thread
// (from inside a callback it only ends the loop). Callbacks run on that
// thread with no lock held; none runs after stop() returned.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ice-servers.h"
#include "signaller.h"

namespace webrtclive {

class WhipClient : public ProducerSignaller {
 public:
  struct Options {
    std::string endpoint;  // http:// or https:// URL of the WHIP endpoint
    std::string token;     // Bearer token; "" = none. Never logged.
    std::string ca_file;   // PEM bundle to trust for https (empty = system store)
    bool insecure = false;  // accept any server certificate
    unsigned request_timeout_ms = 10000;
    unsigned delete_timeout_ms = 2000;  // stop() waits this long at most for the DELETE
    unsigned candidate_window_ms = 200;  // candidates gathered this soon after the offer go in it
    unsigned patch_batch_ms = 50;        // later candidates are PATCHed together after this
    unsigned backoff_min_ms = 500;
    unsigned backoff_max_ms = 10000;
    unsigned stable_session_ms = 10000;  // a session that lasted this long resets the backoff
    size_t max_answer_bytes = 128 * 1024;
    unsigned max_response_headers = 64;
  };

  explicit WhipClient(Options options);
  ~WhipClient() override;
  WhipClient(const WhipClient &) = delete;
  WhipClient &operator=(const WhipClient &) = delete;

  // Validates the options (URL, token, CA file); false and why.
  bool start(Callbacks callbacks, std::string *error) override;
  void stop() override;
  void send_sdp(const std::string &session_id, const protocol::Sdp &sdp) override;
  void send_ice(const std::string &session_id, const protocol::Ice &ice) override;
  void end_session(const std::string &session_id, const std::optional<std::string> &reason) override;
  std::vector<IceServer> ice_servers() const override;

 private:
  struct Impl;
  template <typename Fn>
  void post_on(Fn &&fn);
  std::shared_ptr<Impl> impl_;
  std::thread thread_;
  std::mutex mutex_;  // a leaf: guards impl_ and thread_
};

}  // namespace webrtclive
