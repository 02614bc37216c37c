// SPDX-License-Identifier: LGPL-2.1-or-later
#include "keyframe-throttle.h"

namespace webrtclive {

KeyframeThrottle::Decision KeyframeThrottle::request(int64_t now_us) {
  requests_++;
  Decision d;
  if (pending_) return d;  // one is already scheduled: it serves this request too
  if (!last_sent_us_ || now_us - *last_sent_us_ >= interval_us_) {
    last_sent_us_ = now_us;
    sent_++;
    d.send_now = true;
    return d;
  }
  pending_ = true;
  d.schedule_in_us = *last_sent_us_ + interval_us_ - now_us;
  return d;
}

void KeyframeThrottle::fire(int64_t now_us) {
  pending_ = false;
  last_sent_us_ = now_us;
  sent_++;
}

}  // namespace webrtclive
