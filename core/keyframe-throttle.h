// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Coalesces keyframe requests at a shared encoder: joins and PLI/FIR from many
// consumers become at most one force-key-unit per interval. A request that
// arrives inside the interval is not dropped: one keyframe is scheduled for
// the end of the interval, so every requester gets a keyframe produced after
// its request, at most `interval` late. Pure logic; the caller owns the clock
// and the timer.
#pragma once

#include <cstdint>
#include <optional>

namespace webrtclive {

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

}  // namespace webrtclive
