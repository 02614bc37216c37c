// SPDX-License-Identifier: LGPL-2.1-or-later
//
// SinkCore's figures: each consumer's get-stats polled on the control
// thread, the webrtclive-stats bus message, GET /metrics and
// /consumers.json, join → first packet. See core/sink-core.h.
#include <algorithm>

#include "reports.h"
#include "sink-consumer.h"
#include "sink-core.h"

namespace webrtclive {

// ---- control thread ---------------------------------------------------------------

void SinkCore::stats_tick(bool post) {
  std::vector<std::pair<std::string, std::shared_ptr<Session>>> sessions;
  {
    std::lock_guard lock(mutex_);
    for (auto &[sid, c] : consumers_)
      if (c->session && c->session->is_connected()) sessions.emplace_back(sid, c->session);
  }
  std::weak_ptr<SinkCore> weak = weak_from_this();
  for (auto &[sid, session] : sessions)
    session->request_stats([weak, sid = sid, post](const GstStructure *stats) {
      if (auto self = weak.lock(); self && self->running_) self->on_consumer_stats(sid, stats, post);
    });
}

void SinkCore::on_consumer_stats(const std::string &sid, const GstStructure *raw, bool post) {
  PeerStats stats = parse_webrtc_stats(raw);
  const gint64 now = g_get_monotonic_time();
  GstStructure *msg = nullptr;
  {
    std::lock_guard lock(mutex_);
    auto it = consumers_.find(sid);
    if (it == consumers_.end()) return;
    Consumer &c = *it->second;
    c.reading.update(std::move(stats), now, true);
    if (post) {
      const PeerStats &s = c.reading.stats;
      msg = gst_structure_new(
          "webrtclive-stats", "consumer-id", G_TYPE_STRING, c.peer.c_str(), "session-id", G_TYPE_STRING, c.sid.c_str(),
          "codec", G_TYPE_STRING, s.main_codec().c_str(), "connected-ms", G_TYPE_UINT64,
          static_cast<guint64>((now - c.requested_us) / 1000), "address-family", G_TYPE_STRING,
          s.address_family.c_str(), "local-candidate-type", G_TYPE_STRING, s.local_candidate_type.c_str(),
          "candidate-type", G_TYPE_STRING, s.remote_candidate_type.c_str(), "remote-address", G_TYPE_STRING,
          s.remote_address.c_str(), "bitrate", G_TYPE_UINT, static_cast<guint>(std::max(0.0, c.reading.bitrate_bps)),
          "bytes-sent", G_TYPE_UINT64, static_cast<guint64>(s.bytes(true)), "packets-sent", G_TYPE_UINT64,
          static_cast<guint64>(s.packets(true)), "rtt-ms", G_TYPE_DOUBLE, s.rtt_ms(), "fraction-lost", G_TYPE_DOUBLE,
          s.fraction_lost(), "packets-lost", G_TYPE_INT64, static_cast<gint64>(s.packets_lost()), "jitter-ms",
          G_TYPE_DOUBLE, s.jitter_ms(), "nack-count", G_TYPE_UINT, static_cast<guint>(s.nacks()), "pli-count",
          G_TYPE_UINT, static_cast<guint>(s.plis()), "fir-count", G_TYPE_UINT, static_cast<guint>(s.firs()),
          "keyframe-requests", G_TYPE_UINT, static_cast<guint>(s.plis() + s.firs()), nullptr);
      add_layer_figures(c, msg);
    }
    feed_receiver_reports(c, c.reading.stats, now);
  }
  if (!msg) return;
  if (hooks_.consumer_stats)
    hooks_.consumer_stats(msg);
  else
    gst_structure_free(msg);
}

// The first RTP packet that reaches the consumer's webrtcbin after its DTLS
// check (the gate's blocking probe was added first, so this one runs after
// it let go). Streaming thread: one atomic store, then the probe goes.
void SinkCore::watch_first_packet(const std::shared_ptr<Consumer> &c) {
  std::weak_ptr<SinkCore> weak = weak_from_this();
  auto verified = c->session->verified();
  for (auto &cs : c->streams) {
    auto first = c->first_packet_us;
    const gint64 requested = c->requested_us;
    add_probe_fn(cs.webrtc_pad.get(),
                 static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
                 [weak, verified, first, requested](GstPad *, GstPadProbeInfo *) {
                   if (!verified->load()) return GST_PAD_PROBE_OK;
                   gint64 none = 0;
                   const gint64 now = g_get_monotonic_time();
                   if (first->compare_exchange_strong(none, now)) {
                     if (auto self = weak.lock()) {
                       std::lock_guard lock(self->mutex_);
                       self->figures_.join_first_packet.observe(static_cast<double>(now - requested) / G_USEC_PER_SEC);
                     }
                   }
                   return GST_PAD_PROBE_REMOVE;
                 });
  }
}

// ---- under mutex_ -------------------------------------------------------------

void SinkCore::count_session_start(Consumer &) { figures_.sessions.started++; }

void SinkCore::count_session_end(const Consumer &c, EndReason kind) {
  figures_.sessions.end(kind);
  figures_.ended.add(c.reading.stats, true);
}

// ---- any thread -------------------------------------------------------------------

void SinkCore::want_stats() { stats_poller_.want(); }

bool SinkCore::kick_consumer(const std::string &peer_id) {
  std::string sid;
  {
    std::lock_guard lock(mutex_);
    for (auto &[id, c] : consumers_)
      if (c->peer == peer_id) sid = id;
  }
  if (sid.empty() || !running_) return false;
  post([this, sid] {
    const std::string why = "removed by the application";
    if (auto sig = signaller()) sig->end_session(sid, why);
    remove_consumer(sid, why, EndReason::Removed);
  });
  return true;
}

void SinkCore::write_metrics(MetricsText &m) {
  want_stats();
  Figures f;
  std::vector<PeerStats> current;
  size_t consumers = 0;
  {
    std::lock_guard lock(mutex_);
    f = figures_;
    consumers = consumers_.size();
    for (auto &[sid, c] : consumers_) current.push_back(c->reading.stats);
  }
  StatsTotals t = f.ended;
  for (auto &s : current) t.add(s, true);
  const SinkStats st = stats();
  m.gauge("webrtclive_consumers", "Consumers connected or connecting now.", static_cast<double>(consumers));
  m.counter("webrtclive_sessions_started_total", "Consumer sessions started.", static_cast<double>(f.sessions.started));
  m.counters("webrtclive_sessions_ended_total",
             "Consumer sessions ended, by reason (normal, removed, ice-failed, dtls-mismatch, timeout, rejected, "
             "error).",
             "reason", f.sessions.ended_by_reason());
  m.counter("webrtclive_consumers_refused_total", "Consumers refused (max-consumers or file descriptors).",
            static_cast<double>(st.consumers_refused));
  m.gauge("webrtclive_encoders", "Encoders running (shared by every consumer of one codec).",
          static_cast<double>(st.encoders));
  m.counter("webrtclive_keyframe_requests_total", "Keyframe requests (PLI/FIR and joins) that reached the coalescer.",
            static_cast<double>(st.keyframe_requests));
  m.counter("webrtclive_keyframes_forced_total", "Keyframes the coalescer asked an encoder for.",
            static_cast<double>(st.keyframes_forced));
  m.counters("webrtclive_sent_bytes_total", "RTP bytes sent to consumers, by codec.", "codec", t.bytes_by_codec);
  m.counters("webrtclive_sent_packets_total", "RTP packets sent to consumers, by codec.", "codec", t.packets_by_codec);
  m.counter("webrtclive_nacks_received_total", "NACKs received from consumers.", static_cast<double>(t.nacks));
  m.counter("webrtclive_plis_received_total", "PLIs received from consumers.", static_cast<double>(t.plis));
  m.counter("webrtclive_firs_received_total", "FIRs received from consumers.", static_cast<double>(t.firs));
  m.histogram("webrtclive_join_first_packet_seconds",
              "From a consumer's session request to the first RTP packet sent to it.", f.join_first_packet);
  std::vector<double> rtt, loss, jitter;
  for (auto &s : current) {
    if (double v = s.rtt_ms(); v >= 0) rtt.push_back(v / 1000);
    if (double v = s.fraction_lost(); v >= 0) loss.push_back(v);
    if (double v = s.jitter_ms(); v >= 0) jitter.push_back(v / 1000);
  }
  m.summary("webrtclive_consumer_rtt_seconds", "Round-trip time of the connected consumers (receiver reports).", rtt);
  m.summary("webrtclive_consumer_fraction_lost", "Fraction of packets lost, as the consumers last reported it.", loss);
  m.summary("webrtclive_consumer_jitter_seconds", "Jitter the consumers report.", jitter);
}

std::string SinkCore::consumers_json(const std::string &producer) {
  want_stats();
  std::vector<protocol::ConsumerReport> out;
  const gint64 now = g_get_monotonic_time();
  std::lock_guard lock(mutex_);
  for (auto &[sid, c] : consumers_) {
    const PeerStats &s = c->reading.stats;
    protocol::ConsumerReport r;
    r.id = c->peer;
    r.session = sid;
    r.codec = s.main_codec();
    r.connected_s = static_cast<double>(now - c->requested_us) / G_USEC_PER_SEC;
    r.family = s.address_family;
    r.local_candidate = s.local_candidate_type;
    r.remote_candidate = s.remote_candidate_type;
    r.remote_address = s.remote_address;
    r.protocol = s.protocol;
    r.bitrate_bps = c->reading.bitrate_bps;
    r.rtt_ms = s.rtt_ms();
    r.fraction_lost = s.fraction_lost();
    r.packets_lost = c->reading.at_us ? s.packets_lost() : -1;
    r.jitter_ms = s.jitter_ms();
    r.bytes_sent = s.bytes(true);
    r.packets_sent = s.packets(true);
    r.nacks = s.nacks();
    r.plis = s.plis();
    r.firs = s.firs();
    if (gint64 first = c->first_packet_us->load()) r.first_packet_ms = static_cast<double>(first - c->requested_us) / 1000;
    r.layer = c->layer_summary.layer;
    r.layers = c->layer_summary.layers;
    r.layer_size = c->layer_summary.size;
    r.estimate_source = c->layer_summary.source;
    r.estimate_kbps = c->layer_summary.estimate_kbps;
    out.push_back(std::move(r));
  }
  return protocol::consumers_report_json(producer, out);
}

}  // namespace webrtclive
