// SPDX-License-Identifier: LGPL-2.1-or-later
//
// SrcCore's figures: its session's get-stats (polled by StatsPoller), the
// webrtclive-stats bus message, and GET /metrics of its embedded server.
#include <algorithm>
#include <cmath>

#include "src-core.h"
#include "src-link.h"

namespace webrtclive {

void SrcCore::stats_tick(bool post) {
  for (auto &l : links()) {
    if (!l->session->is_connected()) continue;
    std::weak_ptr<SrcCore> weak = weak_from_this();
    std::weak_ptr<Link> weak_link = l;
    l->session->request_stats([weak, weak_link, post](const GstStructure *stats) {
      auto self = weak.lock();
      auto link = weak_link.lock();
      if (self && link && self->running_) self->on_link_stats(link, stats, post);
    });
  }
}

void SrcCore::on_link_stats(const std::shared_ptr<Link> &l, const GstStructure *raw, bool post) {
  PeerStats stats = parse_webrtc_stats(raw);
  const gint64 now = g_get_monotonic_time();
  GstStructure *msg = nullptr;
  {
    std::lock_guard lock(mutex_);
    auto it = links_.find(l->sid);
    if (it == links_.end() || it->second != l) return;
    l->reading.update(std::move(stats), now, false);
    if (post) {
      const PeerStats &s = l->reading.stats;
      msg = gst_structure_new(
          "webrtclive-stats", "producer-id", G_TYPE_STRING, l->producer.c_str(), "session-id", G_TYPE_STRING,
          l->sid.c_str(), "codec", G_TYPE_STRING, s.main_codec().c_str(), "connected-ms", G_TYPE_UINT64,
          static_cast<guint64>((now - l->started_us) / 1000), "address-family", G_TYPE_STRING, s.address_family.c_str(),
          "local-candidate-type", G_TYPE_STRING, s.local_candidate_type.c_str(), "candidate-type", G_TYPE_STRING,
          s.remote_candidate_type.c_str(), "remote-address", G_TYPE_STRING, s.remote_address.c_str(), "bitrate",
          G_TYPE_UINT, static_cast<guint>(std::max(0.0, l->reading.bitrate_bps)), "bytes-received", G_TYPE_UINT64,
          static_cast<guint64>(s.bytes(false)), "packets-received", G_TYPE_UINT64, static_cast<guint64>(s.packets(false)),
          "packets-lost", G_TYPE_INT64, static_cast<gint64>(s.packets_lost()), "fraction-lost", G_TYPE_DOUBLE,
          s.fraction_lost(), "jitter-ms", G_TYPE_DOUBLE, s.jitter_ms(), "rtt-ms", G_TYPE_DOUBLE, s.rtt_ms(),
          "nack-count", G_TYPE_UINT, static_cast<guint>(s.nacks()), "pli-count", G_TYPE_UINT,
          static_cast<guint>(s.plis()), nullptr);
    }
  }
  if (msg) gst_element_post_message(element_, gst_message_new_element(GST_OBJECT(element_), msg));
}

void SrcCore::count_link_end(const Link &l, EndReason kind) {
  figures_.sessions.end(kind);
  figures_.ended.add(l.reading.stats, false);
}

void SrcCore::write_metrics(MetricsText &m) {
  stats_poller_.want();
  Figures f;
  PeerStats now;  // of every current session, for its worst jitter and RTT
  unsigned connected = 0;
  double bitrate = -1;
  StatsTotals t;
  {
    std::lock_guard lock(mutex_);
    f = figures_;
    t = f.ended;
    for (auto &[sid, l] : links_) {
      t.add(l->reading.stats, false);
      for (auto &s : l->reading.stats.streams) now.streams.push_back(s);
      if (l->session && l->reading.at_us) {
        connected++;
        bitrate = std::max(0.0, bitrate) + std::max(0.0, l->reading.bitrate_bps);
      }
    }
  }
  m.gauge("webrtclive_src_connected", "1 while a session with a producer is up.", connected ? 1 : 0);
  m.gauge("webrtclive_src_producers", "Producers with a session up (producers=all: more than one).", connected);
  m.counter("webrtclive_sessions_started_total", "Sessions with a producer started.",
            static_cast<double>(f.sessions.started));
  m.counters("webrtclive_sessions_ended_total",
             "Sessions with a producer ended, by reason (normal, removed, ice-failed, dtls-mismatch, timeout, "
             "rejected, error).",
             "reason", f.sessions.ended_by_reason());
  m.counters("webrtclive_received_bytes_total", "RTP bytes received from the producer, by codec.", "codec",
             t.bytes_by_codec);
  m.counters("webrtclive_received_packets_total", "RTP packets received from the producer, by codec.", "codec",
             t.packets_by_codec);
  m.counter("webrtclive_packets_lost_total", "RTP packets lost on the way from the producer.",
            static_cast<double>(t.packets_lost));
  m.counter("webrtclive_nacks_sent_total", "NACKs sent to the producer.", static_cast<double>(t.nacks));
  m.counter("webrtclive_plis_sent_total", "PLIs sent to the producer.", static_cast<double>(t.plis));
  m.gauge("webrtclive_receive_bitrate_bps", "Receive rate of the current sessions together (bit/s; NaN = not known).",
          bitrate >= 0 ? bitrate : NAN);
  const double jitter = now.jitter_ms(), rtt = now.rtt_ms();
  m.gauge("webrtclive_jitter_seconds", "Worst interarrival jitter of the current sessions (NaN = not known).",
          jitter >= 0 ? jitter / 1000 : NAN);
  m.gauge("webrtclive_rtt_seconds", "Worst round-trip time to a producer (NaN = not known).", rtt >= 0 ? rtt / 1000 : NAN);
}

}  // namespace webrtclive
