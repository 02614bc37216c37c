// SPDX-License-Identifier: LGPL-2.1-or-later
//
// lite-consumer's SDP: what it needs of webrtclivesink's offer, and the
// answer it sends back (GstSdp). The answer keeps every m-line of the offer,
// in order, with its kind and mid, the offer's BUNDLE group, and on each
// m-line one codec of the offer (video: the first offered; audio: opus,
// else the first): recvonly, rtcp-mux, setup:active, our ICE credentials
// and the fingerprint of our certificate. A data channel m-line is
// accepted too (the sink must not see a rejected m-line), though nothing
// is done with it.
#pragma once

#include <string>
#include <vector>

namespace lite {

struct MLine {
  std::string kind;      // "video", "audio", "application"
  std::string mid;
  std::string proto;     // as offered ("UDP/TLS/RTP/SAVPF")
  int pt = -1;           // chosen payload type (-1: application)
  std::string encoding;  // "H264", "VP8", "opus"... (upper case as offered)
  unsigned clock_rate = 90000;
  std::string rtpmap;    // value after "a=rtpmap:" for the chosen pt
  std::string fmtp;      // value after "a=fmtp:" for the chosen pt ("" = none)
  std::vector<std::string> rtcp_fb;  // values after "a=rtcp-fb:" for the chosen pt
  std::string sctp_port;             // application: "a=sctp-port" value
};

struct Offer {
  std::string ice_ufrag, ice_pwd;
  std::string fingerprint_hash;  // "sha-256"
  std::string fingerprint;       // "AB:CD:..."
  std::vector<std::string> candidates;  // "candidate:..." values found in the offer
  std::vector<MLine> mlines;
  std::vector<std::string> bundle;  // mids of a=group:BUNDLE, in order
  bool has_bundle = false;
};

// Parses `sdp`; on failure returns false and says why in `error`.
bool parse_offer(const std::string &sdp, Offer *offer, std::string *error);

// The answer to `offer`, with our ICE credentials and certificate
// fingerprint (sha-256, "AB:CD:...").
std::string make_answer(const Offer &offer, const std::string &ufrag, const std::string &pwd,
                        const std::string &fingerprint_sha256);

}  // namespace lite
