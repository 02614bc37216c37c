// SPDX-License-Identifier: LGPL-2.1-or-later
//
// When to read webrtcbin's get-stats: every `interval()` ms while the
// element's stats-interval is set (and then the figures go on the bus), and
// every second for 30 s after someone read them (GET /metrics,
// /consumers.json), so an idle producer polls nothing. Shared by SinkCore
// and SrcCore.
//
// Threads: start/stop on the owner's control context; want() from any
// thread; `tick` runs on the control context.
#pragma once

#include <glib.h>

#include <functional>
#include <memory>

namespace webrtclive {

class StatsPoller {
 public:
  // `interval`: the stats-interval now (ms, 0 = off); `tick(post)`: read the
  // figures now; `post`: the interval is set (bus messages are due).
  StatsPoller(std::function<unsigned()> interval, std::function<void(bool post)> tick);
  ~StatsPoller();
  StatsPoller(const StatsPoller &) = delete;
  StatsPoller &operator=(const StatsPoller &) = delete;

  void start(GMainContext *context);
  void stop();
  // Someone reads the figures: poll every second for the next 30 s, and
  // right now if nobody did lately.
  void want();

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace webrtclive
