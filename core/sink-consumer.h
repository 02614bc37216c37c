// SPDX-License-Identifier: LGPL-2.1-or-later
//
// One consumer of webrtclivesink, as SinkCore keeps it (private to
// core/sink-*.cpp): its Session, its bin, one stream per offered input.
#pragma once

#include "consumer-chain.h"
#include "fanout.h"
#include "layer-estimator.h"
#include "pad-probe.h"
#include "session.h"
#include "sink-core.h"

namespace webrtclive {

struct ConsumerStream {
  std::shared_ptr<const FanOut::InputInfo> input;
  std::vector<OfferedCodec> offered;
  unsigned mline = 0;
  guint ssrc = 0;  // announced in the offer (or answer), used by the payloader
  bool receive = false;  // answerer: sendrecv for talkback (the consumer's microphone)
  GRef<GstPad> webrtc_pad;
  std::unique_ptr<ConsumerChain> chain;            // once answered
  std::shared_ptr<FanOut::Attachment> attachment;  // fed from a shared branch
  ProbeHandle keyframe_capture;                    // its PLI/FIR go to the branch's throttle
  gint64 last_request_us = 0;      // control thread: its last PLI/FIR passed on
  gint64 requests_held_until_us = 0;  // control thread: a down switch drains its link until then
  uint64_t requests_dropped = 0;   // control thread: PLI/FIR within a second of the last
  // Video (core/sink-layers.cpp), control thread: which layer of the
  // ladder it is on and what its feedback says its link carries.
  std::optional<LayerEstimator> estimator;
  unsigned layer = 0;
  unsigned layers = 1;        // in its ladder (1: it never switches)
  bool layer_forced = false;  // set-layer holds it
  bool twcc = false;          // TWCC negotiated (else receiver reports)
  gint64 judge_from_us = 0;   // not judged before (its first GOP's burst)
  ProbeHandle twcc_probe;
  ProbeHandle pts_guard;
};

struct SinkCore::Consumer {
  std::string sid;
  std::string peer;
  GRef<GstElement> bin;        // everything of this consumer lives in here
  GRef<GstElement> webrtcbin;  // its Session's
  std::shared_ptr<Session> session;       // control thread
  std::vector<ConsumerStream> streams;   // offerer: one per input; answerer: per m-line it serves
  std::vector<OfferedCodec> chosen;       // per stream, from the answer
  GRef<GObject> control_channel;          // gstwebrtc-api's "control", when offered
  std::shared_ptr<Talkback::Input> talk;  // mutex_: its audio in the talkback mixer

  // Figures (core/sink-stats.cpp); times on the monotonic clock, in µs.
  gint64 requested_us = 0;  // the session was requested (set once, control thread)
  std::shared_ptr<std::atomic<gint64>> first_packet_us = std::make_shared<std::atomic<gint64>>(0);
  StatsReading reading;  // mutex_: the last get-stats reading and the rate since the one before
  // mutex_: its video layer as /consumers.json shows it (core/sink-layers.cpp).
  struct LayerSummary {
    int layer = -1;
    unsigned layers = 0;
    std::string size, source;
    double estimate_kbps = -1;
  } layer_summary;
};

// Runs `fn` on the control thread, unless the core is gone or stopped by then.
template <typename Fn>
void SinkCore::post(Fn &&fn) {
  std::weak_ptr<SinkCore> weak = weak_from_this();
  post_to(control_.context(), [weak, fn = std::forward<Fn>(fn)]() mutable {
    auto self = weak.lock();
    if (self && self->running_) fn();
  });
}

}  // namespace webrtclive
