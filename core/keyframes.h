// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Keyframes at shared encoders. Many consumers share one encoder, and each
// of them asks for keyframes (on join, on PLI/FIR); the encoder must not
// produce one per request, and a consumer must not decode from a delta frame.
//
//  - KeyframeThrottle: pure coalescing logic (the caller owns clock and timer).
//  - KeyframeControl: one throttle per target (a shared encoder, or the
//    user's encoder upstream of a passthrough branch), its timer on the
//    control GMainContext, the capture of consumers' requests before they
//    reach a shared encoder, and delta dropping until a consumer's first
//    keyframe.
//
// Threads: request() and the timers run on the control context; the capture
// probe runs on a streaming thread and only posts; counters are atomics.
#pragma once

#include <gst/gst.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "gobj.h"
#include "pad-probe.h"

namespace webrtclive {

// Joins and PLI/FIR from many consumers become at most one force-key-unit
// per interval. A request that arrives inside the interval is not dropped:
// one keyframe is scheduled for the end of the interval, so every requester
// gets a keyframe produced after its request, at most `interval` late.
class KeyframeThrottle {
 public:
  explicit KeyframeThrottle(int64_t interval_us) : interval_us_(interval_us) {}

  struct Decision {
    bool send_now = false;
    std::optional<int64_t> schedule_in_us;  // arm a timer, then call fire()
  };

  Decision request(int64_t now_us);
  // The timer armed by request() expired: send one keyframe request now.
  void fire(int64_t now_us);
  void set_interval(int64_t interval_us) { interval_us_ = interval_us; }
  // Forgets the last keyframe and any scheduled one (the element restarted).
  void reset() {
    last_sent_us_.reset();
    pending_ = false;
  }

  uint64_t requests() const { return requests_; }
  uint64_t sent() const { return sent_; }

 private:
  int64_t interval_us_;
  std::optional<int64_t> last_sent_us_;
  bool pending_ = false;
  uint64_t requests_ = 0;
  uint64_t sent_ = 0;
};

class KeyframeControl {
 public:
  struct Counters {
    std::atomic<uint64_t> requests{0};  // every request, coalesced or not
    std::atomic<uint64_t> forced{0};    // force-key-unit events sent upstream
  };

  // One encoder that keyframes are asked of. Held by whoever owns the
  // branch; KeyframeControl keeps only a weak reference.
  class Target {
   public:
    ~Target();
    const std::string &name() const { return name_; }

   private:
    friend class KeyframeControl;
    Target(std::string name, GstPad *pad, bool video, int64_t interval_us, std::shared_ptr<Counters> counters)
        : name_(std::move(name)), pad_(GRef<GstPad>::ref(pad)), video_(video), throttle_(interval_us),
          counters_(std::move(counters)) {}
    void send();
    std::string name_;
    GRef<GstPad> pad_;  // force-key-unit goes upstream from here
    bool video_;
    KeyframeThrottle throttle_;       // control thread
    GSource *timer_ = nullptr;        // control thread; borrowed, the context holds it
    std::shared_ptr<Counters> counters_;
  };

  KeyframeControl() = default;
  KeyframeControl(const KeyframeControl &) = delete;
  KeyframeControl &operator=(const KeyframeControl &) = delete;
  ~KeyframeControl();

  // Where timers run and captured requests are handled: the control
  // context, which is a new one after every restart of the element.
  void set_context(GMainContext *context);
  // The element stopped: the context's loop no longer runs, so forget
  // timers and coalesced requests (or a throttle would wait forever for a
  // timer that never fires). Call with no request() in flight.
  void reset();

  // `pad`: a sink pad at or downstream of the encoder (e.g. the branch's
  // tee sink), from which the event is pushed upstream.
  [[nodiscard]] std::shared_ptr<Target> add_target(std::string name, GstPad *pad, bool video,
                                                   unsigned min_interval_ms);

  // Control thread. Counts, then sends at once or coalesces (video only).
  void request(const std::shared_ptr<Target> &target);

  // PLI/FIR (upstream GstForceKeyUnit) arriving at `pad` never go further:
  // each becomes `on_request()` on the control context. The probe lives as
  // long as the handle.
  [[nodiscard]] ProbeHandle capture_requests(GstPad *pad, std::function<void()> on_request);

  // Drops delta units passing `pad` until the first keyframe, then removes
  // itself: what a consumer would decode before one is garbage. Buffers
  // pushed while `pad` is unlinked pass untouched.
  static void drop_deltas_until_keyframe(GstPad *pad);

  uint64_t requests() const { return counters_->requests; }
  uint64_t forced() const { return counters_->forced; }

 private:
  // Shared with capture probes, which may run while this is being destroyed.
  struct Where {
    std::mutex mutex;  // leaf
    MainContextPtr context;
    GMainContext *get() {
      std::lock_guard lock(mutex);
      return context.get();
    }
  };
  std::shared_ptr<Where> where_ = std::make_shared<Where>();
  std::mutex mutex_;  // leaf: targets_
  std::vector<std::weak_ptr<Target>> targets_;
  std::shared_ptr<Counters> counters_ = std::make_shared<Counters>();
};

}  // namespace webrtclive
