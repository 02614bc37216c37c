// SPDX-License-Identifier: LGPL-2.1-or-later
//
// SinkCore: each viewer's video layer (issue 15). A viewer's video stream
// is fed by one shared encoder per layer of the ladder (`video-layers`);
// its feedback — TWCC when negotiated, receiver reports otherwise — goes
// to its own LayerEstimator, and a decision moves it to another layer's
// branch through FanOut::switch_to (next keyframe of that layer, one
// coalesced keyframe request, same payloader: SSRC, sequence numbers and
// timestamps stay continuous, no renegotiation).
//
// Threads: the TWCC probe runs on the RTCP thread of the consumer's
// rtpsession and only copies the report (bounded) and posts; everything
// else runs on the control thread. A remote peer controls its feedback:
// reports are capped in size and rate here, and in what they can do by the
// estimator (it can only move that viewer's own layer).
#include <algorithm>

#include "sink-consumer.h"
#include "sink-core.h"
#include "twcc.h"

GST_DEBUG_CATEGORY_EXTERN(webrtclivesink_debug);
#define GST_CAT_DEFAULT webrtclivesink_debug

namespace webrtclive {

namespace {

constexpr guint kLayersTickMs = 250;
constexpr unsigned kReceiverReportEveryTicks = 4;  // get-stats once a second without TWCC
// RTCP feedback a peer may send: a TWCC report every ~50-100 ms is normal;
// beyond this many per second the rest are dropped unread.
constexpr unsigned kMaxTwccReportsPerSecond = 50;
// The drain before a congested down switch's keyframe: the queuing delay
// the viewer's feedback showed, plus a margin, within bounds (decision 91).
constexpr gint64 kDrainGuessUs = 150'000, kDrainMarginUs = 50'000, kMinDrainUs = 100'000, kMaxDrainUs = 400'000;
// A viewer is judged from this long after it was attached (decision 90).
constexpr gint64 kJoinSettleUs = 2 * G_USEC_PER_SEC;

std::vector<uint32_t> ladder_kbps(const std::vector<VideoLayer> &layers) {
  std::vector<uint32_t> out;
  for (auto &l : layers) out.push_back(l.kbps);
  return out;
}

}  // namespace

// Control thread, once the stream is attached to its branch (layer 0).
void SinkCore::watch_layers(const std::shared_ptr<Consumer> &c, size_t i, const OfferedCodec &chosen) {
  ConsumerStream &cs = c->streams[i];
  if (cs.input->kind != MediaKind::Video || !cs.chain) return;
  const SinkSettings s = settings();
  if (s.video_layers.size() < 2) return;  // no ladder: nothing to estimate for
  // Pre-encoded input sent as it is stays one layer; its viewers still get
  // an estimate (in their stats).
  const bool ladder = !chosen.passthrough;
  std::vector<uint32_t> kbps = ladder ? ladder_kbps(s.video_layers)
                                      : std::vector<uint32_t>{std::max(1u, s.video_bitrate_kbps)};
  std::string error;
  cs.estimator = LayerEstimator::create(kbps, s.estimator, 0, &error);
  if (!cs.estimator) {
    GST_WARNING_OBJECT(element_, "consumer %s: no layer estimator: %s", c->peer.c_str(), error.c_str());
    return;
  }
  cs.layers = static_cast<unsigned>(kbps.size());
  cs.twcc = chosen.twcc_ext != 0;
  // Its first GOP leaves in one burst once it connects (held since the
  // join): losses in a viewer's receive buffer then say nothing of its link.
  cs.judge_from_us = g_get_monotonic_time() + kJoinSettleUs;
  if (cs.twcc) {
    // rtpfunnel hands every feedback to every sink pad: this one's payloader
    // sees the whole session's, which is this consumer's alone.
    struct Budget {
      gint64 second = 0;
      unsigned reports = 0;
    };
    std::weak_ptr<SinkCore> weak = weak_from_this();
    const std::string sid = c->sid;
    const uint32_t max_packets = s.estimator.sanitized().max_report_packets;
    GRef<GstPad> pay_src = GRef<GstPad>::adopt(gst_element_get_static_pad(cs.chain->payloader(), "src"));
    auto budget = std::make_shared<Budget>();
    gulong id = add_probe_fn(
        pay_src.get(), GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
        [weak, sid, i, max_packets, budget](GstPad *, GstPadProbeInfo *info) {
          GstEvent *event = GST_PAD_PROBE_INFO_EVENT(info);
          if (!is_twcc_event(event)) return GST_PAD_PROBE_OK;
          const gint64 second = g_get_monotonic_time() / G_USEC_PER_SEC;
          if (second != budget->second) *budget = Budget{second, 0};
          if (++budget->reports > kMaxTwccReportsPerSecond) return GST_PAD_PROBE_DROP;
          uint32_t skipped = 0;
          auto packets = twcc_packets(event, max_packets, &skipped);
          if (auto self = weak.lock(); self && !packets.empty())
            self->post([self = self.get(), sid, i, packets = std::move(packets)]() mutable {
              self->on_twcc(sid, i, std::move(packets));
            });
          // Every payloader of the session gets it: nobody upstream needs it.
          return GST_PAD_PROBE_DROP;
        });
    cs.twcc_probe = ProbeHandle(pay_src.get(), id);
  }
  if (!ladder) return;
  // Layer encoders may differ in latency: after a switch, nothing older
  // than what the viewer already got (an RTP timestamp never goes back).
  // Compared in running time: each x264enc shifts its PTS by its own offset
  // (min-pts, 1000 h, from its first frame) and says so in its segment.
  // A keyframe dropped so leaves its deltas undecodable: they are dropped
  // too until the next keyframe, and one is asked for.
  struct Guard {
    GstSegment segment;
    bool have_segment = false;
    bool need_key = false;
    GstClockTime last = GST_CLOCK_TIME_NONE;
  };
  auto guard = std::make_shared<Guard>();
  std::weak_ptr<SinkCore> weak = weak_from_this();
  std::weak_ptr<Consumer> weak_c = c;
  gulong id = add_probe_fn(
      cs.chain->head(),
      static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
      [guard, weak, weak_c, i](GstPad *, GstPadProbeInfo *info) {
        if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
          GstEvent *event = GST_PAD_PROBE_INFO_EVENT(info);
          if (GST_EVENT_TYPE(event) == GST_EVENT_SEGMENT) {
            gst_event_copy_segment(event, &guard->segment);
            guard->have_segment = guard->segment.format == GST_FORMAT_TIME;
          }
          return GST_PAD_PROBE_OK;
        }
        GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
        const bool delta = GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT);
        if (guard->need_key && delta) return GST_PAD_PROBE_DROP;
        GstClockTime pts = GST_BUFFER_PTS(buf);
        if (!guard->have_segment || !GST_CLOCK_TIME_IS_VALID(pts)) return GST_PAD_PROBE_OK;
        GstClockTime rt = gst_segment_to_running_time(&guard->segment, GST_FORMAT_TIME, pts);
        if (!GST_CLOCK_TIME_IS_VALID(rt)) return GST_PAD_PROBE_OK;
        if (GST_CLOCK_TIME_IS_VALID(guard->last) && rt <= guard->last) {
          if (!delta && !guard->need_key) {
            guard->need_key = true;
            if (auto self = weak.lock())
              self->post([self = self.get(), weak_c, i] {
                auto consumer = weak_c.lock();
                if (consumer && i < consumer->streams.size() && consumer->streams[i].attachment)
                  self->fanout_->request_keyframe(*consumer->streams[i].attachment);
              });
          }
          return GST_PAD_PROBE_DROP;
        }
        guard->need_key = false;
        guard->last = rt;
        return GST_PAD_PROBE_OK;
      });
  cs.pts_guard = ProbeHandle(cs.chain->head(), id);
  GST_INFO_OBJECT(element_, "consumer %s: video on layer 0 of %u (%s), %s", c->peer.c_str(), cs.layers,
                  to_string(s.video_layers).c_str(), cs.twcc ? "TWCC feedback" : "receiver reports only");
}

void SinkCore::on_twcc(const std::string &sid, size_t i, std::vector<TwccPacket> packets) {
  std::shared_ptr<Consumer> c;
  {
    std::lock_guard lock(mutex_);
    auto it = consumers_.find(sid);
    if (it != consumers_.end()) c = it->second;
  }
  if (!c || i >= c->streams.size() || !c->streams[i].estimator) return;
  ConsumerStream &cs = c->streams[i];
  const gint64 now = g_get_monotonic_time();
  cs.estimator->on_twcc(packets, now);
  evaluate_layer(*c, cs, now);
}

// Judged even where nothing may switch (one layer, held by set-layer,
// layer-switching off): the estimate still goes to stats; a decision not
// acted on puts the estimator back on the viewer's layer.
void SinkCore::evaluate_layer(Consumer &c, ConsumerStream &cs, gint64 now) {
  if (now < cs.judge_from_us) return;
  LayerDecision d = cs.estimator->evaluate(now);
  if (d.action == LayerAction::Hold) return;
  if (cs.layers > 1 && !cs.layer_forced && settings().layer_switching)
    move_layer(c, cs, static_cast<unsigned>(d.layer), d.reason, now);
  else
    cs.estimator->force_layer(cs.layer, now);
}

bool SinkCore::move_layer(Consumer &c, ConsumerStream &cs, unsigned layer, SwitchReason why, gint64 now) {
  if (!cs.attachment || layer >= cs.layers) return false;
  const unsigned from = cs.layer;
  if (layer == from) return true;
  std::string error;
  BranchKey key = cs.attachment->key();
  key.layer = layer;
  // Down because the link is congested: its queue is still full of the old
  // layer, and the new layer's first keyframe would be lost in it. Nothing
  // is sent for about the queuing delay, then one keyframe is asked for.
  const EstimatorSnapshot before = cs.estimator->snapshot();
  const bool congested = layer > from && why != SwitchReason::Forced;
  const gint64 hold_us =
      congested ? std::clamp<gint64>(before.qdelay_us.value_or(kDrainGuessUs) + kDrainMarginUs, kMinDrainUs, kMaxDrainUs)
                : 0;
  if (!fanout_->switch_to(cs.attachment, key, &error, hold_us)) {
    // Still relinking from the last switch, or the branch failed: stay
    // where it is, and let the estimator know.
    GST_INFO_OBJECT(element_, "consumer %s: not switching to layer %u: %s", c.peer.c_str(), layer, error.c_str());
    cs.estimator->force_layer(from, now);
    return false;
  }
  cs.layer = layer;
  // Its own requests start afresh after the switch (and wait for the drain).
  cs.last_request_us = 0;
  cs.requests_held_until_us = hold_us ? now + hold_us : 0;
  if (hold_us) ask_keyframe_later(cs, hold_us);
  const SinkSettings s = settings();
  const VideoLayer size = layer < s.video_layers.size() ? s.video_layers[layer] : VideoLayer{};
  const EstimatorSnapshot snap = cs.estimator->snapshot();
  GST_INFO_OBJECT(element_, "consumer %s: layer %u -> %u (%ux%u at %u kbit/s): %s, estimate %u kbit/s, drain %u ms",
                  c.peer.c_str(), from, layer, size.width, size.height, size.kbps, to_string(why),
                  snap.estimate_kbps.value_or(0), static_cast<unsigned>(hold_us / 1000));
  GstStructure *msg = gst_structure_new(
      "webrtclive-layer-switched", "peer-id", G_TYPE_STRING, c.peer.c_str(), "session-id", G_TYPE_STRING,
      c.sid.c_str(), "from", G_TYPE_UINT, from, "to", G_TYPE_UINT, layer, "width", G_TYPE_UINT, size.width, "height",
      G_TYPE_UINT, size.height, "reason", G_TYPE_STRING, to_string(why), "estimate-kbps", G_TYPE_UINT,
      snap.estimate_kbps.value_or(0), nullptr);
  summarize_layer(c);
  gst_element_post_message(element_, gst_message_new_element(GST_OBJECT(element_), msg));
  return true;
}

// Control thread: the keyframe of a drained down switch, asked of the new
// layer once the hold is over (if the consumer is still there and on it).
void SinkCore::ask_keyframe_later(const ConsumerStream &cs, gint64 hold_us) {
  std::weak_ptr<SinkCore> weak = weak_from_this();
  std::weak_ptr<FanOut::Attachment> attachment = cs.attachment;
  GSource *t = g_timeout_source_new(static_cast<guint>((hold_us + 999) / 1000));
  using Fn = std::function<void()>;
  auto *fn = new Fn([weak, attachment] {
    auto self = weak.lock();
    auto a = attachment.lock();
    if (self && self->running_ && a) self->fanout_->request_keyframe(*a);
  });
  g_source_set_callback(
      t,
      [](gpointer data) -> gboolean {
        (*static_cast<Fn *>(data))();
        return G_SOURCE_REMOVE;
      },
      fn, [](gpointer data) { delete static_cast<Fn *>(data); });
  g_source_attach(t, control_.context());
  g_source_unref(t);
}

// Control thread, every 250 ms: holds and clean periods end between
// reports; without TWCC the receiver reports are read once a second.
void SinkCore::layers_tick() {
  std::vector<std::shared_ptr<Consumer>> consumers;
  {
    std::lock_guard lock(mutex_);
    for (auto &[sid, c] : consumers_) consumers.push_back(c);
  }
  const bool read_rr = ++layers_ticks_ % kReceiverReportEveryTicks == 0;
  const gint64 now = g_get_monotonic_time();
  std::weak_ptr<SinkCore> weak = weak_from_this();
  for (auto &c : consumers) {
    bool wants_rr = false;
    for (auto &cs : c->streams) {
      if (!cs.estimator) continue;
      evaluate_layer(*c, cs, now);
      wants_rr |= !cs.twcc && cs.layers > 1;
    }
    summarize_layer(*c);
    if (wants_rr && read_rr && c->session && c->session->is_connected())
      c->session->request_stats([weak, sid = c->sid](const GstStructure *raw) {
        auto self = weak.lock();
        if (!self || !self->running_) return;
        std::shared_ptr<Consumer> consumer;
        {
          std::lock_guard lock(self->mutex_);
          auto it = self->consumers_.find(sid);
          if (it != self->consumers_.end()) consumer = it->second;
        }
        if (consumer) self->feed_receiver_reports(*consumer, parse_webrtc_stats(raw), g_get_monotonic_time());
      });
  }
}

void SinkCore::feed_receiver_reports(Consumer &c, const PeerStats &stats, gint64 now) {
  if (stats.fraction_lost() < 0) return;  // no receiver report yet
  ReceiverReport rr;
  rr.fraction_lost = std::clamp(stats.fraction_lost(), 0.0, 1.0);
  if (stats.rtt_ms() >= 0) rr.rtt_us = static_cast<int64_t>(stats.rtt_ms() * 1000);
  if (stats.jitter_ms() >= 0) rr.jitter_us = static_cast<int64_t>(stats.jitter_ms() * 1000);
  for (auto &cs : c.streams)
    if (cs.estimator && !cs.twcc) cs.estimator->on_receiver_report(rr, now);
}

// Control thread: what /consumers.json (any thread, under mutex_) shows.
void SinkCore::summarize_layer(Consumer &c) {
  Consumer::LayerSummary sum;
  const SinkSettings s = settings();
  for (auto &cs : c.streams) {
    if (!cs.estimator) continue;
    const EstimatorSnapshot snap = cs.estimator->snapshot();
    sum.layer = static_cast<int>(cs.layer);
    sum.layers = cs.layers;
    if (cs.layers > 1 && cs.layer < s.video_layers.size())
      sum.size = std::to_string(s.video_layers[cs.layer].width) + "x" + std::to_string(s.video_layers[cs.layer].height);
    sum.source = to_string(snap.source);
    if (snap.estimate_kbps) sum.estimate_kbps = *snap.estimate_kbps;
    break;
  }
  std::lock_guard lock(mutex_);
  c.layer_summary = std::move(sum);
}

// Control thread: the consumer's layer and estimate in its stats message.
void SinkCore::add_layer_figures(Consumer &c, GstStructure *figures) {
  for (auto &cs : c.streams) {
    if (!cs.estimator) continue;
    const EstimatorSnapshot snap = cs.estimator->snapshot();
    gst_structure_set(figures, "layer", G_TYPE_UINT, cs.layer, "layers", G_TYPE_UINT, cs.layers, "layer-forced",
                      G_TYPE_BOOLEAN, cs.layer_forced, "layer-source", G_TYPE_STRING, to_string(snap.source),
                      "estimate-kbps", G_TYPE_UINT, snap.estimate_kbps.value_or(0), "layer-switches", G_TYPE_UINT64,
                      static_cast<guint64>(snap.switches), "keyframe-requests-dropped", G_TYPE_UINT64,
                      static_cast<guint64>(cs.requests_dropped), nullptr);
    return;  // the first video stream
  }
}

bool SinkCore::set_layer(const std::string &peer_id, int layer) {
  std::string sid;
  {
    std::lock_guard lock(mutex_);
    const int count = static_cast<int>(std::max<size_t>(1, settings_.video_layers.size()));
    if (layer < -1 || layer >= count) return false;
    for (auto &[id, c] : consumers_)
      if (c->peer == peer_id) sid = id;
  }
  if (sid.empty()) return false;
  post([this, sid, layer] {
    std::shared_ptr<Consumer> c;
    {
      std::lock_guard lock(mutex_);
      auto it = consumers_.find(sid);
      if (it != consumers_.end()) c = it->second;
    }
    if (!c) return;
    const gint64 now = g_get_monotonic_time();
    for (auto &cs : c->streams) {
      if (!cs.estimator) continue;
      if (layer < 0) {
        cs.layer_forced = false;
        cs.estimator->force_layer(cs.layer, now);  // judged afresh from here
        GST_INFO_OBJECT(element_, "consumer %s: layer %u, switching by feedback again", c->peer.c_str(), cs.layer);
        continue;
      }
      if (static_cast<unsigned>(layer) >= cs.layers) continue;  // one layer: passthrough
      cs.layer_forced = true;
      cs.estimator->force_layer(static_cast<size_t>(layer), now);
      move_layer(*c, cs, static_cast<unsigned>(layer), SwitchReason::Forced, now);
    }
  });
  return true;
}

// Control thread.
void SinkCore::start_layers() {
  std::weak_ptr<SinkCore> weak = weak_from_this();
  layers_timer_ = g_timeout_source_new(kLayersTickMs);
  auto *holder = new std::weak_ptr<SinkCore>(weak);
  g_source_set_callback(
      layers_timer_,
      [](gpointer data) -> gboolean {
        if (auto self = static_cast<std::weak_ptr<SinkCore> *>(data)->lock(); self && self->running_)
          self->layers_tick();
        return G_SOURCE_CONTINUE;
      },
      holder, [](gpointer data) { delete static_cast<std::weak_ptr<SinkCore> *>(data); });
  g_source_attach(layers_timer_, control_.context());
  g_source_unref(layers_timer_);
}

void SinkCore::stop_layers() {
  if (layers_timer_) g_source_destroy(layers_timer_);
  layers_timer_ = nullptr;
}

}  // namespace webrtclive
