// SPDX-License-Identifier: LGPL-2.1-or-later
#include "webrtc-stats.h"

#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>

#include <algorithm>
#include <map>

namespace webrtclive {

const char *end_reason_label(EndReason reason) {
  switch (reason) {
    case EndReason::Normal: return "normal";
    case EndReason::Removed: return "removed";
    case EndReason::IceFailed: return "ice-failed";
    case EndReason::DtlsMismatch: return "dtls-mismatch";
    case EndReason::Timeout: return "timeout";
    case EndReason::Rejected: return "rejected";
    case EndReason::Error: return "error";
  }
  return "error";
}

namespace {
std::string str(const GstStructure *s, const char *field) {
  const char *v = gst_structure_get_string(s, field);
  return v ? v : "";
}

uint64_t u64(const GstStructure *s, const char *field) {
  const GValue *v = gst_structure_get_value(s, field);
  if (!v) return 0;
  if (G_VALUE_HOLDS_UINT64(v)) return g_value_get_uint64(v);
  if (G_VALUE_HOLDS_UINT(v)) return g_value_get_uint(v);
  if (G_VALUE_HOLDS_INT64(v)) return std::max<gint64>(0, g_value_get_int64(v));
  if (G_VALUE_HOLDS_INT(v)) return std::max(0, g_value_get_int(v));
  return 0;
}

bool number(const GstStructure *s, const char *field, double *out) {
  const GValue *v = gst_structure_get_value(s, field);
  if (!v) return false;
  if (G_VALUE_HOLDS_DOUBLE(v)) *out = g_value_get_double(v);
  else if (G_VALUE_HOLDS_INT64(v)) *out = static_cast<double>(g_value_get_int64(v));
  else if (G_VALUE_HOLDS_INT(v)) *out = g_value_get_int(v);
  else if (G_VALUE_HOLDS_UINT(v)) *out = g_value_get_uint(v);
  else if (G_VALUE_HOLDS_UINT64(v)) *out = static_cast<double>(g_value_get_uint64(v));
  else return false;
  return true;
}

std::string codec_of(const std::map<std::string, const GstStructure *> &by_id, const GstStructure *s) {
  auto it = by_id.find(str(s, "codec-id"));
  const GstStructure *codec = it == by_id.end() ? nullptr : it->second;
  // A receiving webrtcbin (1.22) may point at a codec entry of no use; the
  // entry with this stream's SSRC, then the kind, are the fallbacks.
  if (!codec || !gst_structure_has_field(codec, "mime-type")) {
    codec = nullptr;
    const uint64_t ssrc = u64(s, "ssrc");
    for (auto &[id, e] : by_id)
      if (gst_structure_has_field(e, "mime-type") && u64(e, "ssrc") == ssrc && ssrc) codec = e;
  }
  if (!codec) return str(s, "kind");
  std::string mime = str(codec, "mime-type");
  auto slash = mime.find('/');
  return slash == std::string::npos ? mime : mime.substr(slash + 1);
}
}  // namespace

PeerStats parse_webrtc_stats(const GstStructure *stats) {
  PeerStats out;
  if (!stats) return out;
  std::map<std::string, const GstStructure *> by_id;
  std::vector<std::pair<GstWebRTCStatsType, const GstStructure *>> entries;
  const int n = gst_structure_n_fields(stats);
  for (int i = 0; i < n; i++) {
    const GValue *v = gst_structure_get_value(stats, gst_structure_nth_field_name(stats, i));
    if (!v || !GST_VALUE_HOLDS_STRUCTURE(v)) continue;
    const GstStructure *e = gst_value_get_structure(v);
    GstWebRTCStatsType type;
    if (!gst_structure_get(e, "type", GST_TYPE_WEBRTC_STATS_TYPE, &type, nullptr)) continue;
    by_id[str(e, "id")] = e;
    entries.emplace_back(type, e);
  }
  for (auto &[type, e] : entries) {
    if (type != GST_WEBRTC_STATS_OUTBOUND_RTP && type != GST_WEBRTC_STATS_INBOUND_RTP) continue;
    // An SSRC known only from RTCP (the peer's receiver reports) carries
    // nothing of a stream.
    const bool outbound = type == GST_WEBRTC_STATS_OUTBOUND_RTP;
    if (u64(e, outbound ? "packets-sent" : "packets-received") == 0 && u64(e, outbound ? "bytes-sent" : "bytes-received") == 0)
      continue;
    RtpStreamStats r;
    r.outbound = outbound;
    r.kind = str(e, "kind");
    r.codec = codec_of(by_id, e);
    r.bytes = u64(e, r.outbound ? "bytes-sent" : "bytes-received");
    r.packets = u64(e, r.outbound ? "packets-sent" : "packets-received");
    r.nacks = u64(e, "nack-count");
    r.plis = u64(e, "pli-count");
    r.firs = u64(e, "fir-count");
    double d;
    if (r.outbound) {
      // What the peer reports about our stream: its receiver report. 1.22
      // does not always name it (no remote-id once the stream is live):
      // then the remote-inbound-rtp entry that points back at us, or has
      // our SSRC.
      auto remote = by_id.find(str(e, "remote-id"));
      if (remote == by_id.end())
        for (auto &[t, other] : entries)
          if (t == GST_WEBRTC_STATS_REMOTE_INBOUND_RTP &&
              (str(other, "local-id") == str(e, "id") || (u64(other, "ssrc") && u64(other, "ssrc") == u64(e, "ssrc"))))
            remote = by_id.find(str(other, "id"));
      if (remote != by_id.end()) {
        const GstStructure *rr = remote->second;
        if (number(rr, "round-trip-time", &d)) r.rtt_ms = d * 1000;
        if (number(rr, "fraction-lost", &d)) r.fraction_lost = d;
        if (number(rr, "packets-lost", &d)) r.packets_lost = static_cast<int64_t>(d);
        if (number(rr, "jitter", &d)) r.jitter_ms = d * 1000;
        // 1.22 puts the reported jitter (clock-rate units) only in the
        // rtpsource's own figures.
        const GstStructure *src = nullptr;
        double clock = 0;
        if (r.jitter_ms < 0 && gst_structure_get(rr, "gst-rtpsource-stats", GST_TYPE_STRUCTURE, &src, nullptr) && src) {
          auto codec = by_id.find(str(e, "codec-id"));
          if (codec != by_id.end() && number(codec->second, "clock-rate", &clock) && clock > 0 &&
              number(src, "rb-jitter", &d))
            r.jitter_ms = d * 1000 / clock;
          gst_structure_free(const_cast<GstStructure *>(src));
        }
      }
    } else {
      if (number(e, "packets-lost", &d)) r.packets_lost = static_cast<int64_t>(d);
      if (number(e, "jitter", &d) && d >= 0) r.jitter_ms = d * 1000;
      auto remote = by_id.find(str(e, "remote-id"));
      if (remote != by_id.end() && number(remote->second, "round-trip-time", &d)) r.rtt_ms = d * 1000;
      const uint64_t received = r.packets;
      if (r.packets_lost > 0 && received + r.packets_lost > 0)
        r.fraction_lost = static_cast<double>(r.packets_lost) / static_cast<double>(received + r.packets_lost);
      else if (received > 0)
        r.fraction_lost = 0;
    }
    out.streams.push_back(std::move(r));
  }
  // The selected pair: transport → selected-candidate-pair-id → candidates.
  for (auto &[type, e] : entries) {
    if (type != GST_WEBRTC_STATS_TRANSPORT) continue;
    auto pair = by_id.find(str(e, "selected-candidate-pair-id"));
    if (pair == by_id.end()) continue;
    auto local = by_id.find(str(pair->second, "local-candidate-id"));
    auto remote = by_id.find(str(pair->second, "remote-candidate-id"));
    if (local != by_id.end()) out.local_candidate_type = str(local->second, "candidate-type");
    if (remote != by_id.end()) {
      const std::string address = str(remote->second, "address");
      out.remote_candidate_type = str(remote->second, "candidate-type");
      out.protocol = str(remote->second, "protocol");
      out.address_family = address.empty() ? "" : address.find(':') != std::string::npos ? "ipv6" : "ipv4";
      const std::string port = std::to_string(u64(remote->second, "port"));
      out.remote_address = out.address_family == "ipv6" ? "[" + address + "]:" + port : address + ":" + port;
    }
    break;
  }
  return out;
}

uint64_t PeerStats::bytes(bool outbound) const {
  uint64_t n = 0;
  for (auto &s : streams)
    if (s.outbound == outbound) n += s.bytes;
  return n;
}

uint64_t PeerStats::packets(bool outbound) const {
  uint64_t n = 0;
  for (auto &s : streams)
    if (s.outbound == outbound) n += s.packets;
  return n;
}

std::string PeerStats::main_codec() const {
  for (const char *kind : {"video", "audio"})
    for (auto &s : streams)
      if (s.kind == kind && !s.codec.empty()) return s.codec;
  return "";
}

namespace {
template <typename F>
double worst(const std::vector<RtpStreamStats> &streams, F field) {
  double w = -1;
  for (auto &s : streams) w = std::max(w, field(s));
  return w;
}
template <typename F>
uint64_t total(const std::vector<RtpStreamStats> &streams, F field) {
  uint64_t n = 0;
  for (auto &s : streams) n += field(s);
  return n;
}
}  // namespace

double PeerStats::rtt_ms() const { return worst(streams, [](auto &s) { return s.rtt_ms; }); }
double PeerStats::fraction_lost() const { return worst(streams, [](auto &s) { return s.fraction_lost; }); }
double PeerStats::jitter_ms() const { return worst(streams, [](auto &s) { return s.jitter_ms; }); }
uint64_t PeerStats::nacks() const { return total(streams, [](auto &s) { return s.nacks; }); }
uint64_t PeerStats::plis() const { return total(streams, [](auto &s) { return s.plis; }); }
uint64_t PeerStats::firs() const { return total(streams, [](auto &s) { return s.firs; }); }
int64_t PeerStats::packets_lost() const {
  int64_t n = 0;
  for (auto &s : streams) n += std::max<int64_t>(0, s.packets_lost);
  return n;
}

void StatsReading::update(PeerStats next, int64_t now_us, bool outbound) {
  const uint64_t now_bytes = next.bytes(outbound);
  if (!rate_from_us_ || now_bytes < rate_from_bytes_ || now_us < rate_from_us_) {
    rate_from_us_ = now_us;  // the first reading, or counters that went back (a new stream): start again
    rate_from_bytes_ = now_bytes;
  } else if (now_us - rate_from_us_ >= kMinRateIntervalUs) {
    bitrate_bps = static_cast<double>(now_bytes - rate_from_bytes_) * 8 * 1e6 / static_cast<double>(now_us - rate_from_us_);
    rate_from_us_ = now_us;
    rate_from_bytes_ = now_bytes;
  }
  stats = std::move(next);
  at_us = now_us;
}

void StatsTotals::add(const PeerStats &s, bool outbound) {
  for (auto &r : s.streams) {
    if (r.outbound != outbound) continue;
    if (!r.codec.empty()) {
      bytes_by_codec[r.codec] += r.bytes;
      packets_by_codec[r.codec] += r.packets;
    }
    nacks += r.nacks;
    plis += r.plis;
    firs += r.firs;
    packets_lost += static_cast<uint64_t>(std::max<int64_t>(0, r.packets_lost));
  }
}

std::map<std::string, uint64_t> SessionCounts::ended_by_reason() const {
  auto all = ended;
  for (EndReason r : kAllEndReasons) all.emplace(end_reason_label(r), 0);
  return all;
}

}  // namespace webrtclive
