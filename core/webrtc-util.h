// SPDX-License-Identifier: LGPL-2.1-or-later
//
// What every element does to a webrtcbin it creates or is given.
#pragma once

#include <gst/gst.h>
#include <gst/sdp/sdp.h>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ice-servers.h"

namespace webrtclive {

struct IceSettings {
  IceConfig servers;                       // STUN/TURN (ice-servers.h)
  std::vector<std::string> ice_addresses;  // empty = libnice's own choice
  // Servers the signaller learnt for this session (a WHIP server's Link
  // headers: ProducerSignaller::ice_servers()), with their own credentials.
  std::vector<IceServer> learnt;
};

// Applies STUN/TURN (with fresh TURN REST credentials when a secret is set:
// each webrtcbin gets its own), the relay-only policy when asked and the
// local addresses ICE may use; each value webrtcbin or libnice refuses
// becomes a WARNING on `element` (TURN URLs in it are redacted). An "all"
// policy leaves webrtcbin's own setting alone (an adopted webrtcbin's).
void configure_ice(GstElement *element, GstElement *webrtcbin, const IceSettings &ice);

// For bins that add sessions (webrtcbins) while running: drops the ASYNC
// messages of children (the pipeline must not re-preroll for a joiner) and
// hands ERROR messages to `session_error`, which returns true when the error
// belonged to one session (then only that session ends). True = consumed.
bool absorb_child_message(GstBin *bin, GstMessage *msg, const std::function<bool(GstMessage *)> &session_error);

// Stops `child` and takes it out of `parent` while `parent` itself may be
// changing state on another thread: the child's state is locked first, so
// the parent cannot bring it back up between our NULL and the removal
// (which would dispose a PAUSED webrtcbin: docs/webrtcbin-notes.md).
void retire_child(GstBin *parent, GstElement *child);

// Stops `child` (state locked, NULL) without removing it yet.
void stop_child(GstElement *child);

// Remote ICE candidates are hostile input: each is checked here before
// webrtcbin sees it, and a session takes at most kMaxRemoteCandidates.
inline constexpr size_t kMaxCandidateBytes = 512;       // real ones are ~60-200
inline constexpr unsigned kMaxRemoteCandidates = 64;    // per session; browsers send < 20

struct CandidateVerdict {
  enum Kind { Use, Ignore, EndSession } kind = Use;
  std::string why;  // for Ignore (logged) and EndSession (told to the peer)
};

// `mlines`: m-lines of the session's SDP (the index must be below it);
// `received`: candidates this session had before this one. Ignore: an
// end-of-candidates marker, an mDNS name (webrtcbin 1.22 cannot resolve
// them) or a line that is not a candidate; EndSession: past the size or
// count limit, or an m-line index the session does not have.
CandidateVerdict check_remote_candidate(const std::string &candidate, unsigned mline_index, unsigned mlines,
                                        unsigned received);

// File descriptors one more webrtcbin session may need (measured ~13 before
// media, more with TCP candidates and TURN), and what the process keeps free
// for everything else (logs, the server's accept, plugins).
inline constexpr unsigned kDescriptorsPerSession = 32;
inline constexpr unsigned kDescriptorReserve = 64;

// Why the process cannot afford `needed` more descriptors (plus the
// reserve) under its RLIMIT_NOFILE soft limit, or nothing when it can.
std::optional<std::string> descriptor_shortage(unsigned needed);

// A peer's SDP text parsed, or nullptr: empty text (which GstSdp answers
// with a CRITICAL), text that does not parse, or one with no m-line.
GstSDPMessage *parse_remote_sdp(const std::string &text);

// How many m-lines an SDP text has (0 for no SDP yet).
unsigned count_mlines(const std::string &sdp);

// Stores g_get_monotonic_time() in `last` whenever the peer sends RTCP
// (rtpbin's on-ssrc-active). webrtcbin 1.22 has no ICE consent freshness, so
// silence here is how a peer that vanished without a word is noticed.
void track_rtcp(GstElement *webrtcbin, std::shared_ptr<std::atomic<gint64>> last);

// Checks `last` (fed by track_rtcp) every second on `context`; once it is
// `timeout_s` old, calls `on_silent` (on that context's thread) and stops.
// The source is owned by the context: g_source_destroy() cancels it.
GSource *watch_rtcp_silence(GMainContext *context, std::shared_ptr<std::atomic<gint64>> last, unsigned timeout_s,
                            std::function<void()> on_silent);

// GStreamer before 1.28.5 does not check the peer's DTLS certificate against
// the fingerprint its SDP announced (CVE-2026-14935): anyone on the path could
// answer the DTLS handshake. Once DTLS is up, compare them. Returns why they
// do not match (or why it cannot tell), nothing when they do.
std::optional<std::string> check_dtls_fingerprint(GstElement *webrtcbin, const std::string &remote_sdp);

// The process's DTLS certificate (GStreamer 1.22 makes one RSA-2048 key the
// first time a dtlsdec is created, 90-280 ms here) made now, on the calling
// thread, so that the first viewer's offer does not wait for it. Called
// when the sink or the src starts (NULL → READY, the application thread):
// the first call in a process pays, later ones cost nothing. Synchronous on
// purpose: the same work on a background thread made processes that start
// and stop elements in a loop die (webrtcbin-notes.md). Returns the ms spent.
unsigned prepare_dtls_certificate();

// The a=fingerprint of an SDP ("sha-256", "AB:CD:..."), media-level first.
std::optional<std::pair<std::string, std::string>> sdp_fingerprint(const std::string &sdp);
// The fingerprint of a PEM certificate with the named hash, as in SDP.
std::optional<std::string> pem_fingerprint(const std::string &pem, const std::string &hash);

}  // namespace webrtclive
