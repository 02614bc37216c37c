// SPDX-License-Identifier: LGPL-2.1-or-later
//
// What every element does to a webrtcbin it creates or is given.
#pragma once

#include <gst/gst.h>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace webrtclive {

struct IceSettings {
  std::string stun_server;
  std::vector<std::string> turn_servers;
  std::vector<std::string> ice_addresses;  // empty = libnice's own choice
};

// Applies STUN/TURN and the local addresses ICE may use; each value webrtcbin
// or libnice refuses becomes a WARNING on `element` (TURN URLs are not
// repeated in it: they carry passwords).
void configure_ice(GstElement *element, GstElement *webrtcbin, const IceSettings &ice);

// For bins that add sessions (webrtcbins) while running: drops the ASYNC
// messages of children (the pipeline must not re-preroll for a joiner) and
// hands ERROR messages to `session_error`, which returns true when the error
// belonged to one session (then only that session ends). True = consumed.
bool absorb_child_message(GstBin *bin, GstMessage *msg, const std::function<bool(GstMessage *)> &session_error);

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

// The a=fingerprint of an SDP ("sha-256", "AB:CD:..."), media-level first.
std::optional<std::pair<std::string, std::string>> sdp_fingerprint(const std::string &sdp);
// The fingerprint of a PEM certificate with the named hash, as in SDP.
std::optional<std::string> pem_fingerprint(const std::string &pem, const std::string &hash);

}  // namespace webrtclive
