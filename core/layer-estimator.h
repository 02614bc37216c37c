// SPDX-License-Identifier: LGPL-2.1-or-later
//
// LayerEstimator: which layer of a ladder one viewer's link carries, from
// the feedback its receiver sends (issue 15; not wired yet).
//
// Pure logic: no GStreamer types, no clock. Every call takes `now_us`, the
// caller's monotonic time in microseconds, so tests replay feedback on a
// simulated clock. Everything it is given comes from the remote peer and is
// treated as hostile: counts, sizes and time jumps are bounded, and a bad
// report can only make this viewer's own estimate worse, never crash or grow
// memory.
//
// Inputs, in the shapes GStreamer 1.22 gives them (see
// ../shared/docs/layer-switching-1.22.md):
//  - TWCC: the upstream `RTPTWCCPackets` event rtpsession pushes per feedback
//    packet, one entry per packet (`seqnum`, `local-ts`, `remote-ts`, `size`,
//    `lost`). TwccPacket mirrors one entry; TwccUnwrapper turns them into
//    PacketResult (64-bit sequence numbers, microseconds) and undoes 1.22's
//    24-bit reference-time wrap.
//  - Receiver reports (fallback when TWCC was not negotiated):
//    `remote-inbound-rtp` of get-stats (fraction lost, round-trip time, jitter).
//
// Threads: none of its own; one owner calls it (not thread-safe).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace webrtclive {

// Every threshold of the estimator. Defaults are what the unit tests and the
// 1.22 experiment (two viewers, one capped at 400 kbit/s by tbf) support;
// they are to become properties of webrtclivesink. sanitized() clamps each
// into its documented range.
struct EstimatorSettings {
  // Loss: the fraction of packets reported lost among those whose feedback
  // arrived in the last loss_window_us exceeds loss_down (and at least
  // loss_min_lost packets were lost), for loss_hold_us in a row: switch down.
  int64_t loss_window_us = 1'000'000;  // 100 ms .. 10 s
  double loss_down = 0.10;             // 0.01 .. 1
  uint32_t loss_min_lost = 3;          // 1 .. 1000: a burst smaller than this is never "loss"
  int64_t loss_hold_us = 250'000;      // 0 .. 10 s
  // Queuing delay: one-way delay (receive - send time; the clocks' offset
  // cancels) over the last qdelay_window_us, median, minus its minimum over
  // baseline_us. Above qdelay_down_us for qdelay_hold_us: switch down.
  int64_t qdelay_window_us = 200'000;     // 50 ms .. 2 s
  int64_t qdelay_down_us = 100'000;       // 10 ms .. 5 s
  int64_t qdelay_hold_us = 500'000;       // 0 .. 10 s
  int64_t baseline_us = 30'000'000;       // 5 s .. 600 s (clock drift bound)
  // Receive rate: received bits / max(receive span, send span) over the last
  // rate_window_us. Under rate_down_ratio x min(sent rate, layer bitrate) for
  // rate_hold_us: switch down. A down switch goes at least one layer, and to
  // the highest layer whose bitrate <= fit_ratio x receive rate.
  int64_t rate_window_us = 500'000;  // 100 ms .. 10 s
  double rate_down_ratio = 0.70;     // 0.1 .. 1
  int64_t rate_hold_us = 500'000;    // 0 .. 10 s
  double fit_ratio = 0.85;           // 0.1 .. 1
  // Clean: loss <= loss_clean (or at most one packet lost) and queuing delay
  // <= qdelay_clean_us. After clean_us of clean feedback (doubled for a layer
  // each time a trial up to it failed, up to clean_max_us; back to clean_us
  // when one holds), try the next layer up.
  double loss_clean = 0.02;             // 0 .. 1
  int64_t qdelay_clean_us = 50'000;     // 0 .. 5 s
  int64_t clean_us = 5'000'000;         // 500 ms .. 600 s
  int64_t clean_max_us = 20'000'000;    // clean_us .. 3600 s
  // A down switch within trial_us of an up switch fails the trial.
  int64_t trial_us = 3'000'000;  // min_dwell_us .. 120 s
  // No switch within min_dwell_us of the last one.
  int64_t min_dwell_us = 1'000'000;  // 0 .. 60 s
  // Feedback that comes within settle_us of a switch is not judged: it is
  // mostly about packets of the old layer (in flight, queued, or sent while
  // the new layer's keyframe was awaited).
  int64_t settle_us = 500'000;  // 0 .. 5 s
  // A window is judged only with at least min_packets packets in it.
  uint32_t min_packets = 10;  // 1 .. 10000
  // TWCC is the signal while feedback came within feedback_stale_us; else
  // receiver reports within rr_stale_us; else there is no signal (hold).
  int64_t feedback_stale_us = 2'000'000;  // 100 ms .. 60 s
  int64_t rr_stale_us = 5'000'000;        // 500 ms .. 60 s
  // Bounds on hostile input.
  uint32_t max_report_packets = 4096;  // entries read per report; the rest dropped
  uint32_t max_records = 16384;        // packets remembered at most
  int64_t max_seq_jump = 8192;         // a jump beyond this restarts the sequence
  int64_t max_delay_jump_us = 10'000'000;  // a delay this far from baseline restarts it

  EstimatorSettings sanitized() const;
};

// One entry of 1.22's RTPTWCCPackets event, as rtpsession fills it: seqnum
// is the 16-bit transport-wide sequence number; local_ts_ns our send time on
// the session clock (kNoTime when rtpsession no longer knew the packet);
// remote_ts_ns the receiver's time: 24-bit reference time x 64 ms plus the
// 250 us receive deltas, which 1.22 does NOT unwrap (it jumps back by
// 2^24 x 64 ms at the wrap, and underflows below zero on a negative delta);
// kNoTime for a lost packet.
struct TwccPacket {
  static constexpr uint64_t kNoTime = UINT64_MAX;  // GST_CLOCK_TIME_NONE
  uint16_t seqnum = 0;
  uint64_t local_ts_ns = kNoTime;
  uint64_t remote_ts_ns = kNoTime;
  uint32_t size = 0;  // bytes (RTP packet)
  bool lost = false;
};

// One packet's fate, in plain units: what the estimator reads.
struct PacketResult {
  static constexpr int64_t kLost = INT64_MIN;
  int64_t seq = 0;      // unwrapped transport-wide sequence number
  int64_t sent_us = 0;  // our clock
  int64_t received_us = kLost;  // the receiver's clock (unwrapped), or kLost
  uint32_t size = 0;  // bytes
  bool lost() const { return received_us == kLost; }
};

// 1.22's TWCC entries -> PacketResult. Unwraps the 16-bit sequence number
// (nearest to the highest seen) and the receiver time modulo the 24-bit
// reference-time period (nearest to the previous one); entries without a
// send time are skipped (rtpsession did not match them to a packet of ours).
class TwccUnwrapper {
 public:
  // 2^24 x 64 ms: where 1.22's remote-ts wraps.
  static constexpr int64_t kRefPeriodNs = (int64_t{1} << 24) * 64'000'000;

  struct Result {
    std::vector<PacketResult> packets;
    uint32_t skipped = 0;        // no send time, or over max_packets
    bool discontinuity = false;  // sequence or receiver time restarted
  };

  explicit TwccUnwrapper(int64_t max_seq_jump = 8192, int64_t max_time_jump_us = 10'000'000)
      : max_seq_jump_(max_seq_jump), max_time_jump_ns_(max_time_jump_us * 1000) {}

  Result unwrap(std::span<const TwccPacket> report, uint32_t max_packets = 4096);

  // The pieces, for tests: a 16-bit sequence number next to `last`, and a
  // 1.22 remote-ts (ns) next to `last_ns` (both unwrapped).
  static int64_t unwrap_seq(uint16_t seq, int64_t last);
  static int64_t unwrap_remote_ns(uint64_t remote_ns, int64_t last_ns);

 private:
  int64_t max_seq_jump_;
  int64_t max_time_jump_ns_;
  std::optional<int64_t> last_seq_;
  std::optional<std::pair<int64_t, int64_t>> last_remote_ns_;  // (receiver ns, our send us)
};

// A receiver report block as get-stats' remote-inbound-rtp gives it.
struct ReceiverReport {
  double fraction_lost = 0;            // 0..1 (RTCP's fraction / 256)
  std::optional<int64_t> rtt_us;       // round-trip time, when known
  std::optional<int64_t> jitter_us;    // interarrival jitter, when known
};

enum class LayerAction { Hold, Down, Up };
enum class EstimatorState { Steady, Trial };
enum class FeedbackSource { None, Twcc, ReceiverReports };
enum class SwitchReason { None, Loss, QueuingDelay, ReceiveRate, CleanTrial, Forced };

const char *to_string(LayerAction a);
const char *to_string(EstimatorState s);
const char *to_string(FeedbackSource s);
const char *to_string(SwitchReason r);

struct LayerDecision {
  LayerAction action = LayerAction::Hold;
  size_t layer = 0;  // the layer the viewer should be on (after this decision)
  SwitchReason reason = SwitchReason::None;
};

// What stats and the bus will show.
struct EstimatorSnapshot {
  size_t layer = 0;
  EstimatorState state = EstimatorState::Steady;
  FeedbackSource source = FeedbackSource::None;
  SwitchReason last_reason = SwitchReason::None;
  std::optional<uint32_t> estimate_kbps;  // receive rate (TWCC only)
  std::optional<uint32_t> sent_kbps;
  double loss = 0;                           // 0..1, last window
  std::optional<int64_t> qdelay_us;          // queuing delay over baseline
  std::optional<double> delay_gradient;      // one-way delay slope, ms per s
  std::optional<int64_t> rtt_us;             // receiver reports
  int64_t clean_for_us = 0;                  // clean feedback so far
  int64_t clean_needed_us = 0;               // before the next trial
  uint64_t switches = 0;
  uint64_t failed_trials = 0;
  uint64_t discontinuities = 0;  // sequence / receiver-clock restarts
  uint64_t rejected = 0;         // entries dropped as out of bounds
};

class LayerEstimator {
 public:
  // ladder_kbps: the layers' bitrates, index 0 the highest, strictly
  // decreasing, each > 0. nullopt (with *error set) otherwise.
  [[nodiscard]] static std::optional<LayerEstimator> create(std::vector<uint32_t> ladder_kbps,
                                                            const EstimatorSettings &settings = {},
                                                            size_t start_layer = 0,
                                                            std::string *error = nullptr);

  // A 1.22 RTPTWCCPackets report (unwrapped here).
  void on_twcc(std::span<const TwccPacket> report, int64_t now_us);
  // Already unwrapped packet results (e.g. from a newer GStreamer).
  void on_feedback(std::span<const PacketResult> report, int64_t now_us);
  void on_receiver_report(const ReceiverReport &rr, int64_t now_us);

  // Judges the feedback so far; call after each input or on a timer
  // (every 100..250 ms). At most one switch per call.
  LayerDecision evaluate(int64_t now_us);

  // The owner put the viewer on `layer` by itself (a set-layer action).
  void force_layer(size_t layer, int64_t now_us);

  size_t layer() const { return layer_; }
  size_t layer_count() const { return ladder_.size(); }
  // Packets remembered now (bounded by max_records), for tests.
  size_t remembered() const { return records_.size(); }
  EstimatorSnapshot snapshot() const { return snap_; }

 private:
  LayerEstimator(std::vector<uint32_t> ladder, const EstimatorSettings &s, size_t start);

  struct Record {
    int64_t sent_us;
    int64_t received_us;  // PacketResult::kLost when lost
    uint32_t size;
    int64_t fb_us;  // when its (first) feedback came
  };
  struct WindowStats {
    uint32_t packets = 0, lost = 0;
    double loss = 0;
    std::optional<uint32_t> recv_kbps, sent_kbps;
  };
  struct Signals {
    bool valid = false;  // enough feedback to judge
    bool loss_bad = false, qdelay_bad = false, rate_bad = false, clean = false;
  };

  WindowStats window_stats(int64_t since_us) const;
  std::optional<int64_t> queuing_delay(int64_t now_us) const;
  std::optional<double> delay_gradient(int64_t since_us) const;
  Signals twcc_signals(int64_t now_us);
  Signals rr_signals(int64_t now_us);
  void add_delay_sample(int64_t delay_us, int64_t now_us);
  int64_t baseline_delay() const;
  void restart(int64_t now_us);
  void prune(int64_t now_us);
  size_t fit_layer(uint32_t kbps) const;
  LayerDecision switch_to(size_t layer, SwitchReason why, int64_t now_us);
  bool held(std::optional<int64_t> &since, bool cond, int64_t hold_us, int64_t now_us);

  std::vector<uint32_t> ladder_;
  EstimatorSettings s_;
  size_t layer_ = 0;
  TwccUnwrapper unwrapper_;

  std::map<int64_t, Record> records_;  // by sequence number
  std::optional<int64_t> highest_seq_;
  int64_t floor_seq_ = INT64_MIN;  // at or below: before the last switch, ignored
  // Minimum one-way delay per second of feedback (bounded by baseline_us).
  std::deque<std::pair<int64_t, int64_t>> delay_minima_;  // (second start, min delay)
  std::optional<int64_t> last_twcc_us_;

  std::optional<ReceiverReport> rr_;
  int64_t rr_at_us_ = 0;
  std::deque<std::pair<int64_t, int64_t>> rtt_minima_;  // (second start, min rtt)

  int64_t last_now_us_ = INT64_MIN;
  std::optional<int64_t> last_switch_us_;
  std::optional<int64_t> trial_up_us_;  // when the current trial began
  size_t trial_from_ = 0;
  std::optional<int64_t> clean_since_;
  std::optional<int64_t> loss_bad_since_, qdelay_bad_since_, rate_bad_since_;
  std::vector<int64_t> clean_needed_;  // per layer: clean time before a trial up to it

  EstimatorSnapshot snap_;
};

}  // namespace webrtclive
