// SPDX-License-Identifier: LGPL-2.1-or-later
#include "layer-estimator.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace webrtclive {

namespace {

constexpr int64_t kSecondUs = 1'000'000;
// Sequence numbers and times outside +-2^60 are refused, so that sums and
// differences of two of them never overflow.
constexpr int64_t kSane = int64_t{1} << 60;

// |v| <= lim, without negating INT64_MIN.
bool within(int64_t v, int64_t lim) { return v >= -lim && v <= lim; }

template <typename T>
T clamp_to(T v, T lo, T hi) {
  return std::min(std::max(v, lo), hi);
}

double clamp_ratio(double v, double lo, double hi, double fallback) {
  if (!std::isfinite(v)) return fallback;
  return clamp_to(v, lo, hi);
}

// Minimum of a value per second of `now`, kept for `horizon_us`.
void add_minimum(std::deque<std::pair<int64_t, int64_t>> &minima, int64_t value, int64_t now_us,
                 int64_t horizon_us) {
  const int64_t second = now_us - now_us % kSecondUs;
  if (!minima.empty() && minima.back().first == second)
    minima.back().second = std::min(minima.back().second, value);
  else
    minima.emplace_back(second, value);
  while (!minima.empty() && minima.front().first < now_us - horizon_us) minima.pop_front();
}

std::optional<int64_t> minimum_of(const std::deque<std::pair<int64_t, int64_t>> &minima) {
  if (minima.empty()) return std::nullopt;
  int64_t m = minima.front().second;
  for (const auto &[_, v] : minima) m = std::min(m, v);
  return m;
}

}  // namespace

// ---- settings -----------------------------------------------------------------------

EstimatorSettings EstimatorSettings::sanitized() const {
  const EstimatorSettings d;
  EstimatorSettings s = *this;
  s.loss_window_us = clamp_to<int64_t>(s.loss_window_us, 100'000, 10 * kSecondUs);
  s.loss_down = clamp_ratio(s.loss_down, 0.01, 1.0, d.loss_down);
  s.loss_min_lost = clamp_to<uint32_t>(s.loss_min_lost, 1, 1000);
  s.loss_hold_us = clamp_to<int64_t>(s.loss_hold_us, 0, 10 * kSecondUs);
  s.qdelay_window_us = clamp_to<int64_t>(s.qdelay_window_us, 50'000, 2 * kSecondUs);
  s.qdelay_down_us = clamp_to<int64_t>(s.qdelay_down_us, 10'000, 5 * kSecondUs);
  s.qdelay_hold_us = clamp_to<int64_t>(s.qdelay_hold_us, 0, 10 * kSecondUs);
  s.baseline_us = clamp_to<int64_t>(s.baseline_us, 5 * kSecondUs, 600 * kSecondUs);
  s.rate_window_us = clamp_to<int64_t>(s.rate_window_us, 100'000, 10 * kSecondUs);
  s.rate_down_ratio = clamp_ratio(s.rate_down_ratio, 0.1, 1.0, d.rate_down_ratio);
  s.rate_hold_us = clamp_to<int64_t>(s.rate_hold_us, 0, 10 * kSecondUs);
  s.fit_ratio = clamp_ratio(s.fit_ratio, 0.1, 1.0, d.fit_ratio);
  s.loss_clean = clamp_ratio(s.loss_clean, 0.0, 1.0, d.loss_clean);
  s.qdelay_clean_us = clamp_to<int64_t>(s.qdelay_clean_us, 0, 5 * kSecondUs);
  s.clean_us = clamp_to<int64_t>(s.clean_us, 500'000, 600 * kSecondUs);
  s.clean_max_us = clamp_to<int64_t>(s.clean_max_us, s.clean_us, 3600 * kSecondUs);
  s.min_dwell_us = clamp_to<int64_t>(s.min_dwell_us, 0, 60 * kSecondUs);
  // A trial can only fail once a down is allowed again.
  s.trial_us = clamp_to<int64_t>(s.trial_us, s.min_dwell_us, 120 * kSecondUs);
  s.settle_us = clamp_to<int64_t>(s.settle_us, 0, 5 * kSecondUs);
  s.min_packets = clamp_to<uint32_t>(s.min_packets, 1, 10'000);
  s.feedback_stale_us = clamp_to<int64_t>(s.feedback_stale_us, 100'000, 60 * kSecondUs);
  s.rr_stale_us = clamp_to<int64_t>(s.rr_stale_us, 500'000, 60 * kSecondUs);
  s.max_report_packets = clamp_to<uint32_t>(s.max_report_packets, 1, 65'536);
  s.max_records = clamp_to<uint32_t>(s.max_records, 64, 1 << 20);
  s.max_seq_jump = clamp_to<int64_t>(s.max_seq_jump, 64, 32'768);
  s.max_delay_jump_us = clamp_to<int64_t>(s.max_delay_jump_us, kSecondUs, 600 * kSecondUs);
  return s;
}

// ---- names --------------------------------------------------------------------------

const char *to_string(LayerAction a) {
  switch (a) {
    case LayerAction::Hold: return "hold";
    case LayerAction::Down: return "down";
    case LayerAction::Up: return "up";
  }
  return "?";
}

const char *to_string(EstimatorState s) {
  switch (s) {
    case EstimatorState::Steady: return "steady";
    case EstimatorState::Trial: return "trial";
  }
  return "?";
}

const char *to_string(FeedbackSource s) {
  switch (s) {
    case FeedbackSource::None: return "none";
    case FeedbackSource::Twcc: return "twcc";
    case FeedbackSource::ReceiverReports: return "receiver-reports";
  }
  return "?";
}

const char *to_string(SwitchReason r) {
  switch (r) {
    case SwitchReason::None: return "none";
    case SwitchReason::Loss: return "loss";
    case SwitchReason::QueuingDelay: return "queuing-delay";
    case SwitchReason::ReceiveRate: return "receive-rate";
    case SwitchReason::CleanTrial: return "clean-trial";
    case SwitchReason::Forced: return "forced";
  }
  return "?";
}

// ---- TwccUnwrapper --------------------------------------------------------------------

int64_t TwccUnwrapper::unwrap_seq(uint16_t seq, int64_t last) {
  const auto diff = static_cast<int16_t>(static_cast<uint16_t>(seq - static_cast<uint16_t>(last)));
  return last + diff;
}

int64_t TwccUnwrapper::unwrap_remote_ns(uint64_t remote_ns, int64_t last_ns) {
  // 1.22 adds negative receive deltas to an unsigned time: below zero it
  // wraps modulo 2^64, which read as signed is the small negative it meant.
  // The difference (modulo 2^64, then modulo the reference period) is taken
  // nearest to zero: the wrap is a jump of one period, never real time.
  const auto raw = static_cast<int64_t>(remote_ns);
  const auto diff = static_cast<int64_t>(static_cast<uint64_t>(raw) - static_cast<uint64_t>(last_ns));
  int64_t r = diff % kRefPeriodNs;
  if (r > kRefPeriodNs / 2) r -= kRefPeriodNs;
  if (r <= -kRefPeriodNs / 2) r += kRefPeriodNs;
  return last_ns + r;
}

TwccUnwrapper::Result TwccUnwrapper::unwrap(std::span<const TwccPacket> report, uint32_t max_packets) {
  Result out;
  const size_t n = std::min<size_t>(report.size(), max_packets);
  out.skipped = static_cast<uint32_t>(report.size() - n);
  out.packets.reserve(n);
  for (size_t i = 0; i < n; i++) {
    const TwccPacket &p = report[i];
    if (p.local_ts_ns == TwccPacket::kNoTime || (!p.lost && p.remote_ts_ns == TwccPacket::kNoTime)) {
      out.skipped++;  // not a packet of ours (unmatched), or received without a time
      continue;
    }
    PacketResult r;
    r.sent_us = static_cast<int64_t>(p.local_ts_ns / 1000);
    r.size = p.size;

    int64_t seq = p.seqnum;
    if (last_seq_) {
      seq = unwrap_seq(p.seqnum, *last_seq_);
      if (seq > *last_seq_ + max_seq_jump_ || seq < *last_seq_ - max_seq_jump_ || !within(seq, kSane)) {
        out.discontinuity = true;  // a new sequence: start over from this one
        out.packets.clear();       // (what came before it in this report is the old one)
        seq = p.seqnum;
        last_seq_.reset();
        last_remote_ns_.reset();
      }
    }
    if (!last_seq_ || seq > *last_seq_) last_seq_ = seq;
    r.seq = seq;

    if (!p.lost) {
      int64_t remote;
      if (!last_remote_ns_) {
        remote = unwrap_remote_ns(p.remote_ts_ns, 0);  // nearest to 0: within half a period
      } else {
        const auto &[last_ns, last_sent_us] = *last_remote_ns_;
        remote = unwrap_remote_ns(p.remote_ts_ns, last_ns);
        // A receiver time that moved much more (or less) than our send time
        // did is not a queue: the receiver's clock restarted, or it lies.
        const int64_t moved = (remote - last_ns) / 1000 - (r.sent_us - last_sent_us);
        if (!within(moved, max_time_jump_ns_ / 1000) || !within(remote, kSane)) {
          out.discontinuity = true;
          remote = unwrap_remote_ns(p.remote_ts_ns, 0);
        }
      }
      last_remote_ns_ = std::make_pair(remote, r.sent_us);
      r.received_us = remote / 1000;
    }
    out.packets.push_back(r);
  }
  return out;
}

// ---- LayerEstimator ---------------------------------------------------------------------

std::optional<LayerEstimator> LayerEstimator::create(std::vector<uint32_t> ladder_kbps,
                                                     const EstimatorSettings &settings, size_t start_layer,
                                                     std::string *error) {
  auto fail = [&](const char *why) -> std::optional<LayerEstimator> {
    if (error) *error = why;
    return std::nullopt;
  };
  if (ladder_kbps.empty()) return fail("the layer ladder is empty");
  if (ladder_kbps.size() > 16) return fail("the layer ladder has more than 16 layers");
  for (size_t i = 0; i < ladder_kbps.size(); i++) {
    if (ladder_kbps[i] == 0) return fail("a layer's bitrate is 0");
    if (i > 0 && ladder_kbps[i] >= ladder_kbps[i - 1])
      return fail("layer bitrates must decrease strictly from layer 0");
  }
  if (start_layer >= ladder_kbps.size()) return fail("the start layer is not in the ladder");
  return LayerEstimator(std::move(ladder_kbps), settings, start_layer);
}

LayerEstimator::LayerEstimator(std::vector<uint32_t> ladder, const EstimatorSettings &s, size_t start)
    : ladder_(std::move(ladder)),
      s_(s.sanitized()),
      layer_(start),
      unwrapper_(s_.max_seq_jump, s_.max_delay_jump_us),
      clean_needed_(ladder_.size(), s_.clean_us) {
  snap_.layer = layer_;
  snap_.clean_needed_us = layer_ > 0 ? clean_needed_[layer_ - 1] : 0;
}

void LayerEstimator::on_twcc(std::span<const TwccPacket> report, int64_t now_us) {
  TwccUnwrapper::Result r = unwrapper_.unwrap(report, s_.max_report_packets);
  snap_.rejected += r.skipped;
  if (r.discontinuity) restart(now_us);
  on_feedback(r.packets, now_us);
}

void LayerEstimator::restart(int64_t now_us) {
  records_.clear();
  highest_seq_.reset();
  floor_seq_ = INT64_MIN;
  delay_minima_.clear();
  loss_bad_since_.reset();
  qdelay_bad_since_.reset();
  rate_bad_since_.reset();
  clean_since_.reset();
  snap_.discontinuities++;
}

void LayerEstimator::on_feedback(std::span<const PacketResult> report, int64_t now_us) {
  now_us = std::max(now_us, last_now_us_);
  last_now_us_ = now_us;
  const size_t n = std::min<size_t>(report.size(), s_.max_report_packets);
  snap_.rejected += report.size() - n;
  const bool settling = last_switch_us_ && now_us < *last_switch_us_ + s_.settle_us;

  for (size_t i = 0; i < n; i++) {
    const PacketResult &p = report[i];
    const bool received = !p.lost();
    if (p.sent_us < 0 || p.sent_us > kSane || !within(p.seq, kSane) || p.size > 65'535 ||
        (received && !within(p.received_us, kSane))) {
      snap_.rejected++;
      continue;
    }
    if (highest_seq_ && (p.seq > *highest_seq_ + s_.max_seq_jump || p.seq < *highest_seq_ - s_.max_seq_jump)) {
      // Far from everything else: a new sequence (or a lie). Starting over
      // costs this viewer's estimate only; refusing it could refuse forever.
      restart(now_us);
    }
    if (!highest_seq_ || p.seq > *highest_seq_) highest_seq_ = p.seq;

    if (received) {
      const int64_t delay = p.received_us - p.sent_us;
      const std::optional<int64_t> base = minimum_of(delay_minima_);
      if (base && !within(delay - *base, s_.max_delay_jump_us)) {
        // The receiver's clock jumped: queuing delay is measured afresh.
        restart(now_us);
        highest_seq_ = p.seq;
      }
    }
    // While settling after a switch, packets count for no window: most of
    // what is reported then was sent before the new layer started.
    if (settling) floor_seq_ = std::max(floor_seq_, *highest_seq_);
    if (p.seq <= floor_seq_) {
      if (received) add_minimum(delay_minima_, p.received_us - p.sent_us, now_us, s_.baseline_us);
      continue;
    }

    auto it = records_.find(p.seq);
    if (it != records_.end()) {
      // Reported again: a late "received" replaces "lost"; anything else is a duplicate.
      if (received && it->second.received_us == PacketResult::kLost) {
        it->second.received_us = p.received_us;
        add_minimum(delay_minima_, p.received_us - p.sent_us, now_us, s_.baseline_us);
      }
      continue;
    }
    records_.emplace(p.seq, Record{p.sent_us, p.received_us, p.size, now_us});
    if (received) add_minimum(delay_minima_, p.received_us - p.sent_us, now_us, s_.baseline_us);
  }
  last_twcc_us_ = now_us;
  prune(now_us);
}

void LayerEstimator::on_receiver_report(const ReceiverReport &rr, int64_t now_us) {
  now_us = std::max(now_us, last_now_us_);
  last_now_us_ = now_us;
  ReceiverReport r = rr;
  if (!std::isfinite(r.fraction_lost)) {
    snap_.rejected++;
    return;
  }
  r.fraction_lost = clamp_to(r.fraction_lost, 0.0, 1.0);
  if (r.rtt_us && (*r.rtt_us < 0 || *r.rtt_us > 60 * kSecondUs)) r.rtt_us.reset();
  if (r.jitter_us && (*r.jitter_us < 0 || *r.jitter_us > 60 * kSecondUs)) r.jitter_us.reset();
  if (r.rtt_us) add_minimum(rtt_minima_, *r.rtt_us, now_us, s_.baseline_us);
  rr_ = r;
  rr_at_us_ = now_us;
}

void LayerEstimator::prune(int64_t now_us) {
  const int64_t keep = std::max({s_.loss_window_us, s_.rate_window_us, s_.qdelay_window_us});
  for (auto it = records_.begin(); it != records_.end();) {
    if (it->second.fb_us < now_us - keep)
      it = records_.erase(it);
    else
      ++it;
  }
  while (records_.size() > s_.max_records) {
    floor_seq_ = std::max(floor_seq_, records_.begin()->first);
    records_.erase(records_.begin());
  }
  // A report of a packet older than everything kept would count it anew.
  if (!records_.empty()) floor_seq_ = std::max(floor_seq_, records_.begin()->first - 1);
}

LayerEstimator::WindowStats LayerEstimator::window_stats(int64_t since_us) const {
  WindowStats w;
  uint64_t sent_bytes = 0, recv_bytes = 0;
  int64_t sent_lo = INT64_MAX, sent_hi = INT64_MIN, recv_lo = INT64_MAX, recv_hi = INT64_MIN;
  for (const auto &[seq, r] : records_) {
    if (r.fb_us <= since_us) continue;
    w.packets++;
    sent_bytes += r.size;
    sent_lo = std::min(sent_lo, r.sent_us);
    sent_hi = std::max(sent_hi, r.sent_us);
    if (r.received_us == PacketResult::kLost) {
      w.lost++;
      continue;
    }
    recv_bytes += r.size;
    recv_lo = std::min(recv_lo, r.received_us);
    recv_hi = std::max(recv_hi, r.received_us);
  }
  if (w.packets == 0) return w;
  w.loss = static_cast<double>(w.lost) / w.packets;
  const int64_t send_span = sent_hi - sent_lo;
  if (send_span < 1000) return w;  // under 1 ms: no rate
  auto kbps = [](uint64_t bytes, int64_t span_us) {
    const double v = static_cast<double>(bytes) * 8'000.0 / static_cast<double>(span_us);
    return static_cast<uint32_t>(std::min(v, 1e9));
  };
  w.sent_kbps = kbps(sent_bytes, send_span);
  // Received bits over the longer of the two spans: a receiver that claims
  // to have received everything in an instant gets no more than we sent.
  const int64_t recv_span = recv_bytes > 0 ? recv_hi - recv_lo : 0;
  w.recv_kbps = kbps(recv_bytes, std::max(send_span, recv_span));
  return w;
}

std::optional<int64_t> LayerEstimator::queuing_delay(int64_t now_us) const {
  const std::optional<int64_t> base = minimum_of(delay_minima_);
  if (!base) return std::nullopt;
  std::vector<int64_t> delays;
  for (const auto &[seq, r] : records_)
    if (r.fb_us > now_us - s_.qdelay_window_us && r.received_us != PacketResult::kLost)
      delays.push_back(r.received_us - r.sent_us);
  if (delays.size() < 3) return std::nullopt;
  auto mid = delays.begin() + delays.size() / 2;
  std::nth_element(delays.begin(), mid, delays.end());
  return std::max<int64_t>(0, *mid - *base);
}

std::optional<double> LayerEstimator::delay_gradient(int64_t since_us) const {
  // Least-squares slope of one-way delay over send time.
  double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  std::optional<std::pair<int64_t, int64_t>> origin;
  for (const auto &[seq, r] : records_) {
    if (r.fb_us <= since_us || r.received_us == PacketResult::kLost) continue;
    const int64_t d = r.received_us - r.sent_us;
    if (!origin) origin = std::make_pair(r.sent_us, d);
    const double x = static_cast<double>(r.sent_us - origin->first) / 1e6;  // s
    const double y = static_cast<double>(d - origin->second) / 1e3;         // ms
    n++;
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
  }
  const double den = n * sxx - sx * sx;
  if (n < 3 || den <= 1e-12) return std::nullopt;
  return (n * sxy - sx * sy) / den;
}

bool LayerEstimator::held(std::optional<int64_t> &since, bool cond, int64_t hold_us, int64_t now_us) {
  if (!cond) {
    since.reset();
    return false;
  }
  if (!since) since = now_us;
  return now_us - *since >= hold_us;
}

LayerEstimator::Signals LayerEstimator::twcc_signals(int64_t now_us) {
  Signals sig;
  const WindowStats loss = window_stats(now_us - s_.loss_window_us);
  const WindowStats rate = window_stats(now_us - s_.rate_window_us);
  const std::optional<int64_t> qdelay = queuing_delay(now_us);

  snap_.loss = loss.loss;
  snap_.estimate_kbps = rate.recv_kbps;
  snap_.sent_kbps = rate.sent_kbps;
  snap_.qdelay_us = qdelay;
  snap_.delay_gradient = delay_gradient(now_us - s_.loss_window_us);
  snap_.rtt_us.reset();

  sig.valid = loss.packets >= s_.min_packets;
  const bool loss_raw = sig.valid && loss.loss > s_.loss_down && loss.lost >= s_.loss_min_lost;
  const bool qdelay_raw = qdelay && *qdelay > s_.qdelay_down_us;
  bool rate_raw = false;
  if (rate.packets >= s_.min_packets && rate.recv_kbps && rate.sent_kbps) {
    const double expected = std::min<double>(*rate.sent_kbps, ladder_[layer_]);
    rate_raw = *rate.recv_kbps < s_.rate_down_ratio * expected;
  }
  sig.loss_bad = held(loss_bad_since_, loss_raw, s_.loss_hold_us, now_us);
  sig.qdelay_bad = held(qdelay_bad_since_, qdelay_raw, s_.qdelay_hold_us, now_us);
  sig.rate_bad = held(rate_bad_since_, rate_raw, s_.rate_hold_us, now_us);
  sig.clean = sig.valid && (loss.loss <= s_.loss_clean || loss.lost <= 1) &&
              (!qdelay || *qdelay <= s_.qdelay_clean_us) && !rate_raw;
  return sig;
}

LayerEstimator::Signals LayerEstimator::rr_signals(int64_t now_us) {
  Signals sig;
  snap_.estimate_kbps.reset();
  snap_.sent_kbps.reset();
  snap_.delay_gradient.reset();
  snap_.loss = rr_->fraction_lost;
  snap_.rtt_us = rr_->rtt_us;
  std::optional<int64_t> qdelay;
  // The RTT includes our sender report's way through the same queue as
  // the media: its rise over the minimum is the forward queue.
  if (rr_->rtt_us) {
    if (auto base = minimum_of(rtt_minima_)) qdelay = std::max<int64_t>(0, *rr_->rtt_us - *base);
  }
  snap_.qdelay_us = qdelay;
  // A report that came soon after a switch mostly covers the old layer.
  sig.valid = !last_switch_us_ || rr_at_us_ >= *last_switch_us_ + s_.settle_us + s_.loss_window_us;
  const bool loss_raw = sig.valid && rr_->fraction_lost > s_.loss_down;
  const bool qdelay_raw = sig.valid && qdelay && *qdelay > s_.qdelay_down_us;
  sig.loss_bad = held(loss_bad_since_, loss_raw, s_.loss_hold_us, now_us);
  sig.qdelay_bad = held(qdelay_bad_since_, qdelay_raw, s_.qdelay_hold_us, now_us);
  rate_bad_since_.reset();
  sig.clean = sig.valid && rr_->fraction_lost <= s_.loss_clean && (!qdelay || *qdelay <= s_.qdelay_clean_us);
  return sig;
}

size_t LayerEstimator::fit_layer(uint32_t kbps) const {
  for (size_t i = 0; i < ladder_.size(); i++)
    if (ladder_[i] <= kbps) return i;
  return ladder_.size() - 1;
}

LayerDecision LayerEstimator::switch_to(size_t layer, SwitchReason why, int64_t now_us) {
  const LayerAction action = layer > layer_ ? LayerAction::Down : LayerAction::Up;
  layer_ = layer;
  last_switch_us_ = now_us;
  // What was reported so far is about the old layer.
  if (highest_seq_) floor_seq_ = std::max(floor_seq_, *highest_seq_);
  records_.clear();
  loss_bad_since_.reset();
  qdelay_bad_since_.reset();
  rate_bad_since_.reset();
  clean_since_.reset();
  snap_.switches++;
  snap_.last_reason = why;
  snap_.layer = layer_;
  snap_.state = trial_up_us_ ? EstimatorState::Trial : EstimatorState::Steady;
  snap_.clean_for_us = 0;
  snap_.clean_needed_us = layer_ > 0 ? clean_needed_[layer_ - 1] : 0;
  return LayerDecision{action, layer_, why};
}

void LayerEstimator::force_layer(size_t layer, int64_t now_us) {
  now_us = std::max(now_us, last_now_us_);
  last_now_us_ = now_us;
  layer = std::min(layer, ladder_.size() - 1);
  trial_up_us_.reset();
  if (layer != layer_) switch_to(layer, SwitchReason::Forced, now_us);
}

LayerDecision LayerEstimator::evaluate(int64_t now_us) {
  now_us = std::max(now_us, last_now_us_);
  last_now_us_ = now_us;
  prune(now_us);

  // A trial that lasted trial_us held: the next trial up to this layer
  // needs only the base clean period again.
  if (trial_up_us_ && now_us - *trial_up_us_ >= s_.trial_us) {
    clean_needed_[layer_] = s_.clean_us;
    trial_up_us_.reset();
  }
  snap_.state = trial_up_us_ ? EstimatorState::Trial : EstimatorState::Steady;

  Signals sig;
  if (last_twcc_us_ && now_us - *last_twcc_us_ <= s_.feedback_stale_us) {
    snap_.source = FeedbackSource::Twcc;
    sig = twcc_signals(now_us);
  } else if (rr_ && now_us - rr_at_us_ <= s_.rr_stale_us) {
    snap_.source = FeedbackSource::ReceiverReports;
    sig = rr_signals(now_us);
  } else {
    snap_.source = FeedbackSource::None;  // nothing to judge: hold, and nothing is clean
    snap_.estimate_kbps.reset();
    snap_.sent_kbps.reset();
    snap_.qdelay_us.reset();
    snap_.delay_gradient.reset();
    snap_.rtt_us.reset();
    loss_bad_since_.reset();
    qdelay_bad_since_.reset();
    rate_bad_since_.reset();
  }

  const bool dwell_ok = !last_switch_us_ || now_us - *last_switch_us_ >= s_.min_dwell_us;
  LayerDecision hold{LayerAction::Hold, layer_, SwitchReason::None};

  if (sig.loss_bad || sig.qdelay_bad || sig.rate_bad) {
    clean_since_.reset();
    snap_.clean_for_us = 0;
    if (!dwell_ok || layer_ + 1 >= ladder_.size()) return hold;
    const SwitchReason why = sig.loss_bad     ? SwitchReason::Loss
                             : sig.qdelay_bad ? SwitchReason::QueuingDelay
                                              : SwitchReason::ReceiveRate;
    size_t target = layer_ + 1;
    if (snap_.source == FeedbackSource::Twcc && snap_.estimate_kbps) {
      const auto fit = static_cast<uint32_t>(s_.fit_ratio * *snap_.estimate_kbps);
      target = std::max(target, fit_layer(fit));
    }
    if (trial_up_us_) {
      // Down within trial_us of an up: that layer waits twice as long next time.
      snap_.failed_trials++;
      clean_needed_[layer_] = std::min(clean_needed_[layer_] * 2, s_.clean_max_us);
      trial_up_us_.reset();
    }
    return switch_to(target, why, now_us);
  }

  if (sig.clean) {
    if (!clean_since_) clean_since_ = now_us;
  } else {
    clean_since_.reset();
  }
  snap_.clean_for_us = clean_since_ ? now_us - *clean_since_ : 0;
  snap_.clean_needed_us = layer_ > 0 ? clean_needed_[layer_ - 1] : 0;

  if (layer_ > 0 && clean_since_ && !trial_up_us_ && dwell_ok &&
      now_us - *clean_since_ >= clean_needed_[layer_ - 1]) {
    trial_up_us_ = now_us;
    return switch_to(layer_ - 1, SwitchReason::CleanTrial, now_us);
  }
  return hold;
}

}  // namespace webrtclive
