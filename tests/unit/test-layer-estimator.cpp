// SPDX-License-Identifier: LGPL-2.1-or-later
//
// LayerEstimator on synthetic feedback (issue 15): a simulated sender on a
// 2500/800/250 kbit/s ladder, a link (tbf-like: rate, queue, drops), and a
// receiver that sends TWCC feedback every 100 ms in the shape GStreamer
// 1.22's rtpsession hands it to us (RTPTWCCPackets: 16-bit seqnum, remote-ts
// = 24-bit reference time x 64 ms + 250 us deltas, never unwrapped).
// Everything runs on a simulated clock.
#include <glib.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <deque>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "layer-estimator.h"
#include "unit-helpers.h"

using webrtclive::EstimatorSettings;
using webrtclive::LayerAction;
using webrtclive::LayerDecision;
using webrtclive::LayerEstimator;
using webrtclive::PacketResult;
using webrtclive::ReceiverReport;
using webrtclive::SwitchReason;
using webrtclive::TwccPacket;
using webrtclive::TwccUnwrapper;

namespace {

constexpr int64_t kMs = 1000;
constexpr int64_t kS = 1000 * kMs;
const std::vector<uint32_t> kLadder = {2500, 800, 250};
constexpr int64_t kRefUnitUs = 64 * kMs;       // TWCC reference time unit
constexpr int64_t kRefPeriodUs = (int64_t{1} << 24) * kRefUnitUs;

LayerEstimator make(size_t start = 0, const EstimatorSettings &s = {}) {
  std::string err;
  auto e = LayerEstimator::create(kLadder, s, start, &err);
  if (!e) unit::fail(__FILE__, __LINE__, G_STRFUNC, "create failed: " + err);
  return std::move(*e);
}

// ---- the simulation ----------------------------------------------------------------

struct Sent {
  int64_t seq;  // unwrapped
  int64_t sent_us;
  std::optional<int64_t> arrival_us;  // sender clock; nullopt: lost
  uint32_t size;
};

struct Sim {
  LayerEstimator est;
  // Link: capacity 0 = unlimited; a packet that would wait more than
  // queue_limit_us in the bottleneck is dropped (tbf's latency).
  double capacity_kbps = 0;
  int64_t queue_limit_us = 50 * kMs;
  int64_t prop_us = 20 * kMs;
  double random_loss = 0;
  int64_t drop_period_us = 0;  // the first packet sent in each period is lost
  // Clocks and numbering: where the receiver's clock and our sequence start.
  int64_t receiver_offset_us = 123'456 * kS;
  int64_t sender_base_us = 5915 * kS;
  int64_t first_seq = 1000;
  // Feedback shape.
  bool twcc_122 = true;          // on_twcc with 1.22 entries, else on_feedback
  bool reorder_reports = false;  // deliver each pair of reports swapped
  bool duplicate_reports = false;
  uint32_t packet_size = 1200;
  int64_t eval_period_us = 100 * kMs;

  int64_t now = 0;
  int64_t next_send = 0;
  int64_t next_feedback = 100 * kMs;
  int64_t next_eval = 0;
  int64_t seq = 0;
  int64_t free_at = 0;
  uint64_t link_drops = 0;
  int64_t last_drop_period = 0;
  std::mt19937 rng{42};
  std::deque<Sent> in_flight;  // sent, not yet reported
  struct Report {
    int64_t deliver_at;
    std::vector<Sent> packets;
  };
  std::deque<Report> reports;
  std::optional<Report> held_back;  // for reorder_reports
  std::vector<std::pair<int64_t, LayerDecision>> switches;
  int64_t max_qdelay_us = 0;
  // From 2 s on: the lowest receive-rate estimate, the steepest delay gradient (ms/s).
  uint32_t min_estimate_kbps = UINT32_MAX;
  double max_gradient = 0;

  explicit Sim(LayerEstimator e) : est(std::move(e)) { seq = first_seq; }

  void send_one() {
    Sent p{seq++, now, std::nullopt, packet_size};
    bool lost = false;
    if (drop_period_us > 0 && now / drop_period_us != last_drop_period) {
      last_drop_period = now / drop_period_us;
      lost = now >= drop_period_us;
    }
    if (!lost && random_loss > 0) lost = std::uniform_real_distribution<double>(0, 1)(rng) < random_loss;
    if (!lost) {
      if (capacity_kbps > 0) {
        const auto tx = static_cast<int64_t>(p.size * 8 * 1000.0 / capacity_kbps);
        const int64_t start = std::max(now, free_at);
        if (start - now > queue_limit_us) {
          lost = true;
          link_drops++;
        } else {
          free_at = start + tx;
          p.arrival_us = free_at + prop_us;
        }
      } else {
        p.arrival_us = now + prop_us;
      }
    }
    in_flight.push_back(p);
  }

  // The receiver's feedback at `now`: every packet that arrived by now, and
  // every lost one that would have; TWCC lists them in sequence order.
  void make_report() {
    Report r{now + prop_us, {}};
    for (auto it = in_flight.begin(); it != in_flight.end();) {
      const int64_t due = it->arrival_us.value_or(it->sent_us + prop_us);
      if (due <= now) {
        r.packets.push_back(*it);
        it = in_flight.erase(it);
      } else {
        ++it;
      }
    }
    if (r.packets.empty()) return;
    std::sort(r.packets.begin(), r.packets.end(), [](const Sent &a, const Sent &b) { return a.seq < b.seq; });
    if (reorder_reports && !held_back) {
      held_back = r;
      return;
    }
    reports.push_back(r);
    if (held_back) {
      held_back->deliver_at = r.deliver_at;  // the older one arrives after the newer
      reports.push_back(*held_back);
      held_back.reset();
    }
  }

  // 1.22's entries for one report: reference time from the first received
  // packet's receiver time (floored to 64 ms, modulo 2^24), then each
  // received packet's time as the sum of 250 us deltas, in unsigned
  // nanoseconds as rtpsession computes them.
  std::vector<TwccPacket> encode_122(const std::vector<Sent> &pkts) const {
    std::vector<TwccPacket> out;
    std::optional<int64_t> ref_units;
    for (const Sent &p : pkts)
      if (p.arrival_us) {
        ref_units = (*p.arrival_us + receiver_offset_us) / kRefUnitUs;
        break;
      }
    const int64_t ref24 = ref_units ? *ref_units % (int64_t{1} << 24) : 0;
    uint64_t ts_ns = static_cast<uint64_t>(ref24) * kRefUnitUs * 1000;
    int64_t prev_q = ref_units ? *ref_units * 256 : 0;  // 250 us ticks
    for (const Sent &p : pkts) {
      TwccPacket t;
      t.seqnum = static_cast<uint16_t>(p.seq);
      t.local_ts_ns = static_cast<uint64_t>(p.sent_us + sender_base_us) * 1000;
      t.size = p.size;
      if (p.arrival_us) {
        const int64_t q = (*p.arrival_us + receiver_offset_us) / 250;
        ts_ns += static_cast<uint64_t>((q - prev_q) * 250'000);
        prev_q = q;
        t.remote_ts_ns = ts_ns;
      } else {
        t.lost = true;
      }
      out.push_back(t);
    }
    return out;
  }

  std::vector<PacketResult> plain(const std::vector<Sent> &pkts) const {
    std::vector<PacketResult> out;
    for (const Sent &p : pkts) {
      PacketResult r;
      r.seq = p.seq;
      r.sent_us = p.sent_us + sender_base_us;
      r.size = p.size;
      if (p.arrival_us) r.received_us = *p.arrival_us + receiver_offset_us;
      out.push_back(r);
    }
    return out;
  }

  void deliver(const Report &r) {
    if (twcc_122) {
      auto entries = encode_122(r.packets);
      est.on_twcc(entries, now);
    } else {
      auto results = plain(r.packets);
      est.on_feedback(results, now);
    }
  }

  // Runs until `until_us`: sends at the current layer's bitrate, feedback
  // every 100 ms, evaluation every 100 ms.
  void run(int64_t until_us) {
    for (; now < until_us; now += kMs) {
      while (next_send <= now) {
        send_one();
        const uint32_t kbps = kLadder[est.layer()];
        next_send += static_cast<int64_t>(packet_size * 8 * 1000.0 / kbps);
      }
      if (now >= next_feedback) {
        make_report();
        next_feedback += 100 * kMs;
      }
      while (!reports.empty() && reports.front().deliver_at <= now) {
        Report r = reports.front();
        reports.pop_front();
        deliver(r);
        if (duplicate_reports) deliver(r);
      }
      if (now >= next_eval) {
        next_eval += eval_period_us;
        LayerDecision d = est.evaluate(now);
        if (d.action != LayerAction::Hold) switches.emplace_back(now, d);
        auto snap = est.snapshot();
        if (snap.qdelay_us) max_qdelay_us = std::max(max_qdelay_us, *snap.qdelay_us);
        if (now >= 2 * kS) {
          if (snap.estimate_kbps) min_estimate_kbps = std::min(min_estimate_kbps, *snap.estimate_kbps);
          if (snap.delay_gradient) max_gradient = std::max(max_gradient, std::abs(*snap.delay_gradient));
        }
      }
    }
  }

  // First time at or after `from` at which the layer was `layer`.
  std::optional<int64_t> reached(size_t layer, int64_t from) const {
    for (const auto &[t, d] : switches)
      if (t >= from && d.layer == layer) return t;
    return std::nullopt;
  }
  size_t switches_between(int64_t from, int64_t to) const {
    size_t n = 0;
    for (const auto &[t, d] : switches) n += t >= from && t < to;
    return n;
  }
};

std::string describe(const Sim &sim) {
  std::string s;
  for (const auto &[t, d] : sim.switches)
    s += "[" + std::to_string(t / kMs) + " ms " + webrtclive::to_string(d.action) + " L" +
         std::to_string(d.layer) + " " + webrtclive::to_string(d.reason) + "] ";
  return s.empty() ? "(no switch)" : s;
}

#define ASSERT_SIM(cond, sim)                                                             \
  do {                                                                                    \
    if (!(cond)) unit::fail(__FILE__, __LINE__, G_STRFUNC, #cond ": " + describe(sim)); \
  } while (0)

// ---- the pure pieces -----------------------------------------------------------------

void test_unwrap_seq() {
  g_assert_cmpint(TwccUnwrapper::unwrap_seq(5, 3), ==, 5);
  g_assert_cmpint(TwccUnwrapper::unwrap_seq(2, 65535), ==, 65538);           // forward over the wrap
  g_assert_cmpint(TwccUnwrapper::unwrap_seq(65535, 65536 + 2), ==, 65535);   // back over it
  g_assert_cmpint(TwccUnwrapper::unwrap_seq(100, 3 * 65536 + 90), ==, 3 * 65536 + 100);
  g_assert_cmpint(TwccUnwrapper::unwrap_seq(80, 3 * 65536 + 90), ==, 3 * 65536 + 80);
}

void test_unwrap_remote_time() {
  const int64_t P = TwccUnwrapper::kRefPeriodNs;
  g_assert_cmpint(P, ==, kRefPeriodUs * 1000);
  // Plain progress.
  g_assert_cmpint(TwccUnwrapper::unwrap_remote_ns(5'000'000, 1'000'000), ==, 5'000'000);
  // 1.22 at the 24-bit wrap: the reference time restarts at 0, remote-ts
  // jumps back by one period; unwrapped it moves on by 40 ms.
  const int64_t before = P - 20'000'000;
  g_assert_cmpint(TwccUnwrapper::unwrap_remote_ns(20'000'000, before), ==, P + 20'000'000);
  // A late packet from before the wrap, reported after it: slightly back.
  g_assert_cmpint(TwccUnwrapper::unwrap_remote_ns(static_cast<uint64_t>(P - 30'000'000), P + 20'000'000), ==,
                  P - 30'000'000);
  // Reference time 0 and a negative delta: 1.22's unsigned time underflows.
  const uint64_t underflow = static_cast<uint64_t>(0) - 750'000;  // -750 us
  g_assert_cmpint(TwccUnwrapper::unwrap_remote_ns(underflow, P + 1'000'000), ==, P - 750'000);
  g_assert_cmpint(TwccUnwrapper::unwrap_remote_ns(underflow, 0), ==, -750'000);
  // Several periods on, the same.
  g_assert_cmpint(TwccUnwrapper::unwrap_remote_ns(10'000'000, 7 * P - 10'000'000), ==, 7 * P + 10'000'000);
  // Garbage stays within half a period of the last value (no overflow).
  for (uint64_t raw : {uint64_t{0}, UINT64_MAX - 1, uint64_t{1} << 63, (uint64_t{1} << 63) - 1}) {
    const int64_t v = TwccUnwrapper::unwrap_remote_ns(raw, 3 * P);
    g_assert_cmpint(std::llabs(v - 3 * P), <=, P / 2);
  }
}

void test_unwrapper_reports() {
  TwccUnwrapper u;
  const int64_t P = TwccUnwrapper::kRefPeriodNs;
  auto pkt = [](uint16_t seq, uint64_t local_ns, uint64_t remote_ns, bool lost = false) {
    TwccPacket t;
    t.seqnum = seq;
    t.local_ts_ns = local_ns;
    t.remote_ts_ns = lost ? TwccPacket::kNoTime : remote_ns;
    t.lost = lost;
    t.size = 1000;
    return t;
  };
  // Report 1: just before both wraps; one entry rtpsession did not match
  // (no local-ts) and one "received" without a time are skipped.
  std::vector<TwccPacket> r1 = {
      pkt(65534, 1'000'000'000, static_cast<uint64_t>(P) - 10'000'000),
      pkt(65535, 1'004'000'000, 0, true),
      pkt(7, TwccPacket::kNoTime, 5),
      pkt(0, 1'008'000'000, TwccPacket::kNoTime),
  };
  r1[3].lost = false;
  auto a = u.unwrap(r1);
  g_assert_cmpuint(a.packets.size(), ==, 2);
  g_assert_cmpuint(a.skipped, ==, 2);
  g_assert_false(a.discontinuity);
  g_assert_cmpint(a.packets[0].seq, ==, 65534);
  g_assert_cmpint(a.packets[0].sent_us, ==, 1'000'000);
  g_assert_true(a.packets[1].lost());
  // Report 2: after both wraps.
  std::vector<TwccPacket> r2 = {pkt(1, 1'012'000'000, 2'000'000), pkt(2, 1'016'000'000, 6'000'000)};
  auto b = u.unwrap(r2);
  g_assert_false(b.discontinuity);
  g_assert_cmpuint(b.packets.size(), ==, 2);
  g_assert_cmpint(b.packets[0].seq, ==, 65537);
  g_assert_cmpint(b.packets[1].seq, ==, 65538);
  // One-way delay unchanged across the wrap: 12 ms after a packet sent 12 ms later.
  const int64_t d0 = a.packets[0].received_us - a.packets[0].sent_us;
  const int64_t d1 = b.packets[0].received_us - b.packets[0].sent_us;
  g_assert_cmpint(d1 - d0, ==, 0);
  // A receiver time 1000 s off (the peer's clock restarted, or it lies):
  // a discontinuity, never a delay of 1000 s.
  std::vector<TwccPacket> r3 = {pkt(3, 1'020'000'000, 1000ULL * 1'000'000'000)};
  auto c = u.unwrap(r3);
  g_assert_true(c.discontinuity);
  // Bounded: only max_packets entries are read.
  std::vector<TwccPacket> big(10'000, pkt(4, 1'024'000'000, 1000ULL * 1'000'000'000 + 4'000'000));
  auto d = u.unwrap(big, 100);
  g_assert_cmpuint(d.packets.size(), ==, 100);
  g_assert_cmpuint(d.skipped, ==, 9'900);
}

void test_create_validates_ladder() {
  std::string err;
  g_assert_false(LayerEstimator::create({}, {}, 0, &err).has_value());
  UNIT_ASSERT_CONTAINS(err, "empty");
  g_assert_false(LayerEstimator::create({800, 2500}, {}, 0, &err).has_value());
  UNIT_ASSERT_CONTAINS(err, "decrease");
  g_assert_false(LayerEstimator::create({800, 800}, {}, 0, &err).has_value());
  g_assert_false(LayerEstimator::create({800, 0}, {}, 0, &err).has_value());
  g_assert_false(LayerEstimator::create({800, 250}, {}, 2, &err).has_value());
  UNIT_ASSERT_CONTAINS(err, "start layer");
  auto one = LayerEstimator::create({1000});
  g_assert_true(one.has_value());
  // One layer: nothing to switch to, whatever the feedback says.
  for (int64_t t = 0; t < 5 * kS; t += 100 * kMs) {
    std::vector<PacketResult> lost(20);
    for (size_t i = 0; i < lost.size(); i++) lost[i] = PacketResult{t / 1000 + static_cast<int64_t>(i), t, PacketResult::kLost, 1200};
    one->on_feedback(lost, t);
    g_assert_true(one->evaluate(t).action == LayerAction::Hold);
  }
}

void test_settings_sanitized() {
  EstimatorSettings s;
  s.loss_down = std::nan("");
  s.fit_ratio = 7;
  s.clean_us = -5;
  s.clean_max_us = 1;
  s.max_records = 0;
  s.min_packets = 0;
  EstimatorSettings c = s.sanitized();
  g_assert_cmpfloat(c.loss_down, ==, EstimatorSettings{}.loss_down);
  g_assert_cmpfloat(c.fit_ratio, ==, 1.0);
  g_assert_cmpint(c.clean_us, ==, 500 * kMs);
  g_assert_cmpint(c.clean_max_us, ==, c.clean_us);
  g_assert_cmpuint(c.max_records, ==, 64);
  g_assert_cmpuint(c.min_packets, ==, 1);
  s = EstimatorSettings{};
  s.min_dwell_us = 4 * kS;
  s.trial_us = 0;
  g_assert_cmpint(s.sanitized().trial_us, ==, 4 * kS);  // else no trial could ever fail
}

// ---- behaviour on a simulated link --------------------------------------------------------

void test_clean_link_stays_on_top() {
  Sim sim(make(0));
  sim.run(30 * kS);
  ASSERT_SIM(sim.switches.empty(), sim);
  g_assert_cmpuint(sim.est.layer(), ==, 0);
  auto snap = sim.est.snapshot();
  g_assert_true(snap.source == webrtclive::FeedbackSource::Twcc);
  g_assert_cmpfloat(snap.loss, ==, 0.0);
  g_assert_cmpint(snap.qdelay_us.value_or(-1), <, 2 * kMs);
  // 1200-byte packets at 2500 kbit/s: the estimate is the sending rate.
  g_assert_cmpuint(snap.estimate_kbps.value_or(0), >, 2300);
  g_assert_cmpuint(snap.estimate_kbps.value_or(0), <, 2700);
  g_assert_cmpint(std::abs(snap.delay_gradient.value_or(99)), <, 1.0);
  g_assert_cmpuint(snap.discontinuities, ==, 0);
  g_assert_cmpuint(sim.est.remembered(), <, 1000);
}

void test_capped_link_moves_down_to_fit() {
  Sim sim(make(0));
  sim.run(5 * kS);
  ASSERT_SIM(sim.switches.empty(), sim);
  sim.capacity_kbps = 400;  // tbf rate 400kbit
  sim.run(20 * kS);
  const auto at = sim.reached(2, 5 * kS);
  ASSERT_SIM(at.has_value(), sim);
  ASSERT_SIM(*at - 5 * kS <= 3 * kS, sim);
  g_test_message("capped at 5 s: on 250 kbit/s at %.2f s (%s)", *at / 1e6, describe(sim).c_str());
  // The first switch was for loss (tbf drops), and it went straight to the
  // layer that fits (400 x 0.85 >= 250 only).
  ASSERT_SIM(sim.switches.front().second.reason == SwitchReason::Loss, sim);
  ASSERT_SIM(sim.switches.front().second.layer == 2, sim);
  // Never back on the top layer while capped.
  for (const auto &[t, d] : sim.switches) ASSERT_SIM(d.layer != 0, sim);
}

void test_lifted_cap_climbs_back() {
  Sim sim(make(0));
  sim.capacity_kbps = 400;
  sim.run(20 * kS);
  ASSERT_SIM(sim.est.layer() == 2 || sim.est.snapshot().state == webrtclive::EstimatorState::Trial, sim);
  const uint64_t failed = sim.est.snapshot().failed_trials;
  g_assert_cmpuint(failed, >=, 1);
  sim.capacity_kbps = 0;  // the cap lifted at 20 s
  sim.run(60 * kS);
  const auto top = sim.reached(0, 20 * kS);
  ASSERT_SIM(top.has_value(), sim);
  ASSERT_SIM(*top - 20 * kS <= 30 * kS, sim);
  g_test_message("lifted at 20 s after %" G_GUINT64_FORMAT " failed trials: top at %.2f s", failed, *top / 1e6);
  g_assert_cmpuint(sim.est.layer(), ==, 0);
  // Climbed by trials, one layer at a time.
  for (const auto &[t, d] : sim.switches)
    if (d.action == LayerAction::Up) ASSERT_SIM(d.reason == SwitchReason::CleanTrial, sim);
}

void test_failed_trial_backs_off() {
  Sim sim(make(2));  // on 250, capped at 400 for good: every trial up to 800 fails
  sim.capacity_kbps = 400;
  sim.run(90 * kS);
  std::vector<int64_t> ups;
  for (const auto &[t, d] : sim.switches)
    if (d.action == LayerAction::Up) ups.push_back(t);
  ASSERT_SIM(ups.size() >= 3, sim);
  // Each trial failed (a down within a few seconds) and the next came later.
  std::vector<int64_t> gaps;
  for (size_t i = 1; i < ups.size(); i++) gaps.push_back(ups[i] - ups[i - 1]);
  for (size_t i = 1; i < gaps.size(); i++) ASSERT_SIM(gaps[i] > gaps[i - 1] || gaps[i] >= 20 * kS, sim);
  auto snap = sim.est.snapshot();
  g_assert_cmpuint(snap.failed_trials, >=, ups.size() - 1);
  // The clean period grew to its cap (20 s) and no further.
  g_assert_cmpint(snap.clean_needed_us, ==, EstimatorSettings{}.clean_max_us);
  g_test_message("trials at %s", [&] {
    std::string s;
    for (int64_t t : ups) s += std::to_string(t / kMs) + " ms ";
    return s;
  }().c_str());
}

void test_sustained_loss_moves_down() {
  Sim sim(make(0));
  sim.random_loss = 0.15;
  sim.run(3 * kS);
  ASSERT_SIM(!sim.switches.empty(), sim);
  ASSERT_SIM(sim.switches.front().second.reason == SwitchReason::Loss, sim);
  ASSERT_SIM(sim.switches.front().first <= 2 * kS, sim);
  g_assert_cmpuint(sim.est.layer(), >=, 1);
}

void test_single_losses_do_not_move_down() {
  // One packet lost every 400 ms, for 30 s, at the top.
  Sim sim(make(0));
  sim.drop_period_us = 400 * kMs;
  sim.run(30 * kS);
  ASSERT_SIM(sim.switches.empty(), sim);
  // And from the bottom layer (26 packets a second: one lost is 4 %), one
  // lost every 2 s neither moves down nor stops the climb.
  Sim low(make(2));
  low.drop_period_us = 2 * kS;
  low.run(20 * kS);
  ASSERT_SIM(low.reached(0, 0).has_value(), low);
  for (const auto &[t, d] : low.switches) ASSERT_SIM(d.action == LayerAction::Up, low);
}

void test_queuing_delay_without_loss_moves_down() {
  // 2000 kbit/s with a deep buffer (no drop for 10 s): 2500 kbit/s queues.
  Sim sim(make(0));
  sim.run(3 * kS);
  sim.capacity_kbps = 2000;
  sim.queue_limit_us = 10 * kS;
  sim.run(6 * kS);
  g_assert_cmpuint(sim.link_drops, ==, 0);
  ASSERT_SIM(!sim.switches.empty(), sim);
  const auto &[t, d] = sim.switches.front();
  ASSERT_SIM(d.reason == SwitchReason::QueuingDelay, sim);
  ASSERT_SIM(d.layer == 1, sim);  // 800 fits 2000 kbit/s; 2500 does not
  ASSERT_SIM(t - 3 * kS <= 2 * kS, sim);
  g_test_message("queue from 3 s: down at %.2f s", t / 1e6);
}

void test_reference_time_and_sequence_wrap() {
  // The receiver's 24-bit reference time wraps at 10 s, our 16-bit
  // transport sequence at about 2 s: no delay spike, no switch (judged
  // every 10 ms, so that a window holding both sides of the wrap is seen).
  Sim sim(make(0));
  sim.eval_period_us = 10 * kMs;
  sim.receiver_offset_us = 7 * kRefPeriodUs - 10 * kS;
  sim.first_seq = 65536 - 500;
  sim.seq = sim.first_seq;
  sim.run(30 * kS);
  ASSERT_SIM(sim.switches.empty(), sim);
  g_assert_cmpint(sim.max_qdelay_us, <, 2 * kMs);
  g_assert_cmpuint(sim.min_estimate_kbps, >, 2000);
  g_assert_cmpfloat(sim.max_gradient, <, 5.0);
  g_assert_cmpuint(sim.est.snapshot().discontinuities, ==, 0);
  g_assert_cmpfloat(sim.est.snapshot().loss, ==, 0.0);

  // Across the wrap with a queue building: the delay is still measured
  // (the switch is for queuing delay, not a bogus one at the wrap).
  Sim q(make(0));
  q.receiver_offset_us = 3 * kRefPeriodUs - 4 * kS;
  q.run(3 * kS);
  q.capacity_kbps = 2000;
  q.queue_limit_us = 10 * kS;
  q.run(8 * kS);
  ASSERT_SIM(!q.switches.empty() && q.switches.front().second.reason == SwitchReason::QueuingDelay, q);
  g_assert_cmpuint(q.est.snapshot().discontinuities, ==, 0);

  // And the climb from the bottom goes on across both wraps.
  Sim up(make(2));
  up.receiver_offset_us = 2 * kRefPeriodUs - 6 * kS;
  up.first_seq = 65536 - 100;
  up.seq = up.first_seq;
  up.run(20 * kS);
  ASSERT_SIM(up.reached(0, 0).has_value(), up);
  ASSERT_SIM(up.switches.size() == 2, up);
}

void test_reordered_and_duplicated_feedback() {
  Sim sim(make(0));
  sim.reorder_reports = true;
  sim.duplicate_reports = true;
  sim.run(30 * kS);
  ASSERT_SIM(sim.switches.empty(), sim);
  g_assert_cmpfloat(sim.est.snapshot().loss, ==, 0.0);
  g_assert_cmpint(sim.max_qdelay_us, <, 2 * kMs);
  // Duplicates are not counted twice: the estimate is the sending rate.
  g_assert_cmpuint(sim.est.snapshot().estimate_kbps.value_or(0), <, 2700);

  // A packet reported lost, then received (a later report): received.
  auto e = make(0);
  std::vector<PacketResult> a, b;
  for (int64_t i = 0; i < 40; i++) {
    const bool late = i % 4 == 0;
    a.push_back(PacketResult{i, i * 4 * kMs, late ? PacketResult::kLost : 50 * kMs + i * 4 * kMs, 1200});
    if (late) b.push_back(PacketResult{i, i * 4 * kMs, 52 * kMs + i * 4 * kMs, 1200});
  }
  e.on_feedback(a, 200 * kMs);
  e.evaluate(200 * kMs);
  g_assert_cmpfloat(e.snapshot().loss, ==, 0.25);
  e.on_feedback(b, 250 * kMs);
  e.on_feedback(b, 260 * kMs);  // and again
  e.evaluate(260 * kMs);
  g_assert_cmpfloat(e.snapshot().loss, ==, 0.0);
}

void test_hostile_feedback_is_bounded() {
  auto e = make(0);
  int64_t now = 10 * kS;
  // Empty reports.
  e.on_twcc({}, now);
  e.on_feedback({}, now);
  g_assert_true(e.evaluate(now).action == LayerAction::Hold);
  // A report far larger than any real one: at most max_report_packets read.
  std::vector<TwccPacket> huge(200'000);
  for (size_t i = 0; i < huge.size(); i++) {
    huge[i].seqnum = static_cast<uint16_t>(i);
    huge[i].local_ts_ns = 5'000'000'000'000ULL + i * 1000;
    huge[i].remote_ts_ns = i * 7919ULL * 1'000'000'000ULL;  // wild deltas
    huge[i].size = 1200;
  }
  e.on_twcc(huge, now);
  g_assert_cmpuint(e.remembered(), <=, EstimatorSettings{}.max_report_packets);
  g_assert_cmpuint(e.snapshot().rejected, >=, 200'000 - EstimatorSettings{}.max_report_packets);
  // Every kind of impossible value.
  std::vector<PacketResult> junk = {
      {INT64_MAX, 0, 0, 1200},
      {INT64_MIN, 0, 5, 1200},
      {5, INT64_MAX, INT64_MAX, 1200},
      {6, -1, 0, 1200},
      {7, 0, INT64_MIN + 1, 1200},
      {8, 100, 200, UINT32_MAX},
      {1'000'000'000, 100, 200, 1200},  // a sequence far in the future
      {9, 100, (int64_t{1} << 61), 1200},  // a huge receive time
  };
  for (int i = 0; i < 3; i++) {
    now += 100 * kMs;
    e.on_feedback(junk, now);
    e.evaluate(now);
  }
  // TWCC entries with random everything, many reports.
  std::mt19937_64 rng(7);
  for (int r = 0; r < 300; r++) {
    std::vector<TwccPacket> rep(rng() % 300);
    for (auto &t : rep) {
      t.seqnum = static_cast<uint16_t>(rng());
      t.local_ts_ns = rng() % 4 ? rng() : TwccPacket::kNoTime;
      t.remote_ts_ns = rng();
      t.size = static_cast<uint32_t>(rng());
      t.lost = rng() % 3 == 0;
    }
    now += 20 * kMs;
    e.on_twcc(rep, now);
    const LayerDecision d = e.evaluate(now);
    g_assert_cmpuint(d.layer, <, kLadder.size());
    g_assert_cmpuint(e.remembered(), <=, EstimatorSettings{}.max_records);
  }
  // Receiver reports with impossible values; time going backwards.
  e.on_receiver_report(ReceiverReport{std::nan(""), -5, INT64_MAX}, now);
  e.on_receiver_report(ReceiverReport{55.0, INT64_MAX, -1}, now - 10 * kS);
  e.evaluate(now - 20 * kS);
  e.force_layer(99, now);
  g_assert_cmpuint(e.layer(), ==, kLadder.size() - 1);

  // After all that, an honest clean stream is judged as usual: it climbs.
  Sim sim(std::move(e));
  sim.now = now + kS;
  sim.next_send = sim.now;
  sim.next_feedback = sim.now + 100 * kMs;
  sim.next_eval = sim.now;
  sim.seq = 40'000;
  sim.run(sim.now + 25 * kS);
  ASSERT_SIM(sim.est.layer() == 0, sim);
}

void test_receiver_reports_fallback() {
  // No TWCC: one receiver report a second.
  auto e = make(0);
  int64_t now = 0;
  auto rr_for = [&](int64_t seconds, double loss, int64_t rtt_us) {
    for (int64_t i = 0; i < seconds * 10; i++) {
      if (i % 10 == 0) e.on_receiver_report(ReceiverReport{loss, rtt_us, 2 * kMs}, now);
      LayerDecision d = e.evaluate(now);
      if (d.action != LayerAction::Hold) return std::make_optional(std::make_pair(now, d));
      now += 100 * kMs;
    }
    return std::optional<std::pair<int64_t, LayerDecision>>();
  };
  g_assert_false(rr_for(5, 0.0, 40 * kMs).has_value());
  g_assert_true(e.snapshot().source == webrtclive::FeedbackSource::ReceiverReports);
  g_assert_cmpint(e.snapshot().rtt_us.value_or(0), ==, 40 * kMs);
  // 20 % loss: down one layer (no receive rate to fit with).
  auto d = rr_for(5, 0.20, 40 * kMs);
  g_assert_true(d.has_value());
  g_assert_true(d->second.reason == SwitchReason::Loss);
  g_assert_cmpuint(d->second.layer, ==, 1);
  // RTT 200 ms over its 40 ms minimum: the forward queue; down again.
  d = rr_for(5, 0.0, 240 * kMs);
  g_assert_true(d.has_value());
  g_assert_true(d->second.reason == SwitchReason::QueuingDelay);
  g_assert_cmpuint(d->second.layer, ==, 2);
  // Clean reports: trials up.
  d = rr_for(10, 0.0, 40 * kMs);
  g_assert_true(d.has_value());
  g_assert_true(d->second.reason == SwitchReason::CleanTrial);
  // Reports stop: no signal, hold; nothing counts as clean.
  now += 10 * kS;
  g_assert_true(e.evaluate(now).action == LayerAction::Hold);
  g_assert_true(e.snapshot().source == webrtclive::FeedbackSource::None);
  g_assert_cmpint(e.snapshot().clean_for_us, ==, 0);
}

void test_twcc_preferred_over_receiver_reports() {
  // Receiver reports claim 50 % loss while TWCC says clean: TWCC rules.
  Sim sim(make(0));
  for (int i = 0; i < 10; i++) {
    sim.est.on_receiver_report(ReceiverReport{0.5, 30 * kMs, std::nullopt}, sim.now);
    sim.run(sim.now + kS);
  }
  ASSERT_SIM(sim.switches.empty(), sim);
  g_assert_true(sim.est.snapshot().source == webrtclive::FeedbackSource::Twcc);
}

void test_forced_layer_and_snapshot() {
  Sim sim(make(0));
  sim.run(2 * kS);
  sim.est.force_layer(2, sim.now);
  auto snap = sim.est.snapshot();
  g_assert_cmpuint(snap.layer, ==, 2);
  g_assert_true(snap.last_reason == SwitchReason::Forced);
  g_assert_cmpuint(snap.switches, ==, 1);
  // A clean link climbs back from a forced layer too, one trial at a time:
  // 5 s clean on 250, a trial on 800 (3 s), 5 s clean, the top.
  sim.run(8 * kS);
  ASSERT_SIM(sim.est.layer() == 1, sim);
  UNIT_ASSERT_STR_EQ(webrtclive::to_string(sim.est.snapshot().state), "trial");
  UNIT_ASSERT_STR_EQ(webrtclive::to_string(sim.est.snapshot().last_reason), "clean-trial");
  sim.run(20 * kS);
  ASSERT_SIM(sim.est.layer() == 0, sim);
  UNIT_ASSERT_STR_EQ(webrtclive::to_string(sim.est.snapshot().state), "steady");
  g_assert_cmpuint(sim.est.snapshot().switches, ==, 3);
}

void test_plain_feedback_input() {
  // The same capped link through on_feedback (already unwrapped results).
  Sim sim(make(0));
  sim.twcc_122 = false;
  sim.run(2 * kS);
  sim.capacity_kbps = 400;
  sim.run(6 * kS);
  const auto at = sim.reached(2, 2 * kS);
  ASSERT_SIM(at.has_value() && *at - 2 * kS <= 3 * kS, sim);
}

}  // namespace

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, nullptr);
  g_test_add_func("/layer-estimator/unwrap-seq", test_unwrap_seq);
  g_test_add_func("/layer-estimator/unwrap-remote-time", test_unwrap_remote_time);
  g_test_add_func("/layer-estimator/unwrapper-reports", test_unwrapper_reports);
  g_test_add_func("/layer-estimator/create-validates-ladder", test_create_validates_ladder);
  g_test_add_func("/layer-estimator/settings-sanitized", test_settings_sanitized);
  g_test_add_func("/layer-estimator/clean-link-stays-on-top", test_clean_link_stays_on_top);
  g_test_add_func("/layer-estimator/capped-link-moves-down-to-fit", test_capped_link_moves_down_to_fit);
  g_test_add_func("/layer-estimator/lifted-cap-climbs-back", test_lifted_cap_climbs_back);
  g_test_add_func("/layer-estimator/failed-trial-backs-off", test_failed_trial_backs_off);
  g_test_add_func("/layer-estimator/sustained-loss-moves-down", test_sustained_loss_moves_down);
  g_test_add_func("/layer-estimator/single-losses-do-not-move-down", test_single_losses_do_not_move_down);
  g_test_add_func("/layer-estimator/queuing-delay-moves-down", test_queuing_delay_without_loss_moves_down);
  g_test_add_func("/layer-estimator/reference-time-and-sequence-wrap", test_reference_time_and_sequence_wrap);
  g_test_add_func("/layer-estimator/reordered-and-duplicated-feedback", test_reordered_and_duplicated_feedback);
  g_test_add_func("/layer-estimator/hostile-feedback-is-bounded", test_hostile_feedback_is_bounded);
  g_test_add_func("/layer-estimator/receiver-reports-fallback", test_receiver_reports_fallback);
  g_test_add_func("/layer-estimator/twcc-preferred-over-receiver-reports", test_twcc_preferred_over_receiver_reports);
  g_test_add_func("/layer-estimator/forced-layer-and-snapshot", test_forced_layer_and_snapshot);
  g_test_add_func("/layer-estimator/plain-feedback-input", test_plain_feedback_input);
  return g_test_run();
}
