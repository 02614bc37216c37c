// SPDX-License-Identifier: LGPL-2.1-or-later
//
// WHEP (playback) and WHIP (ingest, RFC 9725) on a SignallingServer: each
// HTTP session becomes a peer of the server's hub, so an HTTP player or
// publisher is one more consumer or producer of the same protocol, and
// every element answers it through its own Session like any other peer.
//
//   POST /whep[/<producer>]   offer -> the hub: startSession{producer, offer};
//                             the producer's answer (and its candidates,
//                             gathered for a moment) -> 201 + Location
//   POST /whip[/<name>]       offer -> a producer peer named <name> ("whip");
//                             the first consumer that starts a session with it
//                             gets the offer; its answer -> 201 + Location
//   PATCH  <Location>         application/trickle-ice-sdpfrag -> peer{ice}
//   DELETE <Location>         endSession; the peer leaves
//   OPTIONS                   CORS preflight, Link headers with the ICE servers
//
// Resources live at /whep/resource/<id> and /whip/resource/<id> (ids are
// random: the Location is a capability). The same rules as the WebSocket
// apply: the token or a JWT (Authorization: Bearer), the Origin policy,
// the message size limit; and a resource costs what a connection costs
// (max-connections, max-connections-per-address). Every refusal is an HTTP
// status with a one-line reason in the body.
//
// Threading: server thread only (the Hub's); a hub message to a resource is
// posted, never handled inside the Hub's call.
#pragma once

#include <libsoup/soup.h>

#include <functional>
#include <optional>
#include <vector>
#include <map>
#include <memory>
#include <string>

#include "hub.h"
#include "ice-servers.h"
#include "protocol.h"

namespace webrtclive {

// The SDP parts of the gateway, pure (tests/unit/test-whip-whep.cpp).
namespace whipwhep {
// The m-lines of an SDP offer by their a=mid ("" for one without), or
// nothing (and why) when it is not an offer with at least one m-line.
std::optional<std::vector<std::string>> offer_mids(const std::string &offer, std::string *why);
// An application/trickle-ice-sdpfrag body (RFC 8840): its ICE credentials
// and candidates, each mapped to its m-line through the offer's mids (a
// candidate after no m=/a=mid goes to m-line 0, the BUNDLE transport).
struct SdpFrag {
  std::string ufrag, pwd;
  std::vector<protocol::Ice> candidates;
  bool end = false;  // a=end-of-candidates
};
inline constexpr unsigned kMaxFragCandidates = 32;
std::optional<SdpFrag> parse_sdpfrag(const std::string &body, const std::vector<std::string> &mids, std::string *why);
// The answer with `candidates` written into their m-lines (and
// a=end-of-candidates on each when `complete`): what a client that does not
// hear trickled candidates needs.
std::string answer_with_candidates(const std::string &answer, const std::vector<protocol::Ice> &candidates,
                                   bool complete);
// The ice-ufrag of an SDP (session level or its first m-line), "" if none.
std::string sdp_ufrag(const std::string &sdp);
}  // namespace whipwhep

class WhipWhepGateway {
 public:
  struct Config {
    bool whep = false;
    bool whip = false;
    size_t max_body = 64 * 1024;      // an offer or a PATCH body
    unsigned max_resources = 64;      // open HTTP sessions in all
    unsigned max_per_address = 16;    // from one remote IP address
    unsigned answer_timeout_ms = 10000;  // POST -> answer (WHIP: a consumer must take it first)
    unsigned candidates_quiet_ms = 100;  // after the answer: respond once no candidate came for this long
    unsigned candidates_max_ms = 1500;   // ... or this long after the answer at most
  };
  // What the server lends the gateway (all called on the server thread).
  struct Host {
    Hub *hub = nullptr;
    GMainContext *context = nullptr;
    std::function<bool(SoupServerMessage *, std::string *why)> authorized;
    std::function<bool(SoupServerMessage *, const char *origin)> origin_allowed;
    ClientIceSource client_ice;
  };

  WhipWhepGateway(Config config, Host host);
  ~WhipWhepGateway();  // every resource ends; pending requests get 503
  WhipWhepGateway(const WhipWhepGateway &) = delete;
  WhipWhepGateway &operator=(const WhipWhepGateway &) = delete;

  // Whether a request to `path` is the gateway's (before its body is read:
  // the server lets the gateway keep a body only for its own requests).
  bool owns(const char *path) const;
  // Early check of a POST/PATCH body: false (and the response set) when it
  // is too large or has no Content-Length; true means: accumulate it.
  bool accept_body(SoupServerMessage *msg);
  // Answers a request of `path`; false when the path is not the gateway's.
  bool serve(SoupServerMessage *msg, const std::string &path);

  size_t resources() const { return resources_.size(); }

 private:
  struct Resource;
  enum class Kind { Whep, Whip };

  static void client_gone(SoupServerMessage *msg, gpointer data);
  void create(SoupServerMessage *msg, Kind kind, const std::string &name);
  void patch(SoupServerMessage *msg, Resource &r);
  void remove(const std::string &id, const std::optional<std::string> &reason);
  void on_hub(const std::string &id, const protocol::ServerMessage &m);
  void respond_answer(Resource &r);
  void fail_pending(Resource &r, guint status, const std::string &why);
  void arm_timer(Resource &r, unsigned ms);
  void cors(SoupServerMessage *msg) const;
  void link_headers(SoupServerMessage *msg) const;

  Config config_;
  Host host_;
  std::map<std::string, std::unique_ptr<Resource>> resources_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace webrtclive
