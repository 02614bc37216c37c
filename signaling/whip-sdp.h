// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The pure parts of a WHIP client (RFC 9725): what goes into its requests
// and what is read out of a server's responses (candidates go into the
// offer with whipwhep::sdp_with_candidates, shared with the server side). No network, no GStreamer;
// every input from a server is bounded and validated here (unit tested in
// tests/unit/test-whip.cpp).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ice-servers.h"
#include "protocol.h"

namespace webrtclive::whip {

// Bounds on what a WHIP server may hand us (docs/webrtclivesink.md).
inline constexpr size_t kMaxLinkHeaderBytes = 8192;  // one Link header value
inline constexpr size_t kMaxIceServers = 8;          // ice-server links taken from one response
// (URLs: kMaxIceUrlBytes of ice-servers.h, read by its parse_ice_url)
inline constexpr size_t kMaxIceCredentialBytes = 512;  // username and credential each
inline constexpr size_t kMaxLocationBytes = 2048;

// What the candidates of an offer need to be told to a server (RFC 8840):
// per m-line its media, transport and first format (for the m= line of the
// fragment) and its mid; the ICE credentials of the first m-line (one
// ICE session with BUNDLE).
struct OfferInfo {
  struct MLine {
    std::string media;  // "video"
    std::string proto;  // "UDP/TLS/RTP/SAVPF"
    std::string fmt;    // "96"
    std::string mid;    // "" when the offer has none
  };
  std::string ufrag, pwd;
  std::vector<MLine> mlines;
};
// Reads our own offer (from webrtcbin); nullopt when it has no ICE credentials.
std::optional<OfferInfo> read_offer(const std::string &sdp);

// An application/trickle-ice-sdpfrag body (RFC 8840, as RFC 9725 section 4.3
// shows it; the gateway's whipwhep::parse_sdpfrag reads it back): per m-line that has candidates, an m= line, a=mid, the ICE
// credentials and the candidates; `end_of_candidates` adds
// a=end-of-candidates to each. "" when no candidate belongs to an m-line of
// the offer.
std::string build_sdpfrag(const OfferInfo &offer, const std::vector<protocol::Ice> &candidates,
                          bool end_of_candidates = false);

// The ICE servers of Link headers (RFC 9725 section 4.6, RFC 8288 syntax):
// `<stun:host:port>; rel="ice-server"`, with username, credential and
// credential-type="password" for turn: and turns:. Links of other relations
// are skipped; so are (with a line in `problems`) servers with another
// scheme, an oversized or malformed value, a credential-type other than
// password, or beyond kMaxIceServers.
std::vector<IceServer> parse_link_ice_servers(const std::vector<std::string> &link_headers,
                                              std::vector<std::string> *problems);

// The resource URL of a 201's Location header, resolved against the URL the
// request went to. nullopt and why when it is missing, oversized, not
// http(s) or not a URL.
std::optional<std::string> resolve_location(const std::string &request_url, const std::string &location,
                                            std::string *why);

}  // namespace webrtclive::whip
