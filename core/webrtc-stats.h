// SPDX-License-Identifier: LGPL-2.1-or-later
//
// One session's figures, read from webrtcbin's get-stats structure (pure:
// unit-tested on a structure captured from GStreamer 1.22), and why a
// session ended, as the bounded label /metrics counts it by.
#pragma once

#include <gst/gst.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace webrtclive {

// Why a session ended (a label of webrtclive_sessions_ended_total).
enum class EndReason {
  Normal,        // the peer left or the element stopped
  Removed,       // the application removed it (remove-consumer)
  IceFailed,     // ICE or DTLS failed (connection state "failed")
  DtlsMismatch,  // the peer's certificate is not the one its SDP announced
  Timeout,       // never connected, or fell silent (no RTCP)
  Rejected,      // its description was refused (invalid, unsupported, rejected m-lines)
  Error,         // something broke on our side (a webrtcbin or chain error)
};
const char *end_reason_label(EndReason reason);
inline constexpr EndReason kAllEndReasons[] = {EndReason::Normal,   EndReason::Removed,  EndReason::IceFailed,
                                               EndReason::DtlsMismatch, EndReason::Timeout, EndReason::Rejected,
                                               EndReason::Error};

struct RtpStreamStats {
  std::string kind;   // "video" / "audio"
  std::string codec;  // mime subtype: "H264", "VP8", "opus"...
  bool outbound = true;
  uint64_t bytes = 0;    // sent (outbound) or received (inbound)
  uint64_t packets = 0;
  uint64_t nacks = 0;    // outbound: received from the peer; inbound: sent
  uint64_t plis = 0;
  uint64_t firs = 0;
  int64_t packets_lost = 0;   // as the receiver reports it (-1 = unknown)
  double fraction_lost = -1;  // 0..1 from the last receiver report (-1 = none yet)
  double jitter_ms = -1;
  double rtt_ms = -1;
};

struct PeerStats {
  std::vector<RtpStreamStats> streams;
  std::string local_candidate_type;   // of the selected pair: host, srflx, prflx, relay
  std::string remote_candidate_type;
  std::string address_family;         // of the remote candidate: "ipv4", "ipv6" ("" = not known)
  std::string remote_address;         // "address:port"
  std::string protocol;               // udp / tcp

  uint64_t bytes(bool outbound) const;
  uint64_t packets(bool outbound) const;
  // The first video stream's codec, else the first audio stream's ("" = none).
  std::string main_codec() const;
  // Worst of the streams (highest RTT / loss / jitter); -1 = unknown.
  double rtt_ms() const;
  double fraction_lost() const;
  double jitter_ms() const;
  uint64_t nacks() const;
  uint64_t plis() const;
  uint64_t firs() const;
  int64_t packets_lost() const;
};

// One session's last get-stats reading and its rate since the reading
// before (what the bus messages, /metrics and /consumers.json show).
struct StatsReading {
  // The rate is measured over at least this long: get-stats is asked for
  // by two clocks (stats-interval and /metrics reads), and two readings a
  // few ms apart often see no packet in between (a rate of 0 at 100 kbit/s).
  static constexpr int64_t kMinRateIntervalUs = 250 * 1000;
  PeerStats stats;
  int64_t at_us = 0;        // monotonic; 0 = no reading yet
  double bitrate_bps = -1;  // -1 = not known (one reading is not a rate)
  // `outbound`: the rate of what we send, else of what we receive.
  void update(PeerStats next, int64_t now_us, bool outbound);

 private:
  int64_t rate_from_us_ = 0;  // the reading the next rate is measured from
  uint64_t rate_from_bytes_ = 0;
};

// Counters summed over sessions, for /metrics: an ended session's last
// figures are added so that they never go down.
struct StatsTotals {
  std::map<std::string, uint64_t> bytes_by_codec, packets_by_codec;  // "" (not known) left out
  uint64_t nacks = 0, plis = 0, firs = 0, packets_lost = 0;
  // The streams of one direction (outbound: what we sent).
  void add(const PeerStats &s, bool outbound);
};

// Sessions started and ended by reason; every reason is listed (0 until it
// happens) so a dashboard sees the series before the first failure.
struct SessionCounts {
  uint64_t started = 0;
  std::map<std::string, uint64_t> ended;
  void end(EndReason reason) { ended[end_reason_label(reason)]++; }
  std::map<std::string, uint64_t> ended_by_reason() const;
};

// Reads webrtcbin's get-stats reply. Unknown or missing fields stay at
// their defaults. 1.22 labels local and remote candidate entries with each
// other's type (see docs/webrtcbin-notes.md): the selected pair's ids are
// what is followed, not the `type` field.
PeerStats parse_webrtc_stats(const GstStructure *stats);

}  // namespace webrtclive
