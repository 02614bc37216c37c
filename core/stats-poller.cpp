// SPDX-License-Identifier: LGPL-2.1-or-later
#include "stats-poller.h"

#include <algorithm>
#include <atomic>
#include <mutex>

#include "gobj.h"

namespace webrtclive {

namespace {
constexpr gint64 kWantedForUs = 30 * G_USEC_PER_SEC;
constexpr unsigned kReadPollMs = 1000;
}  // namespace

struct StatsPoller::State : std::enable_shared_from_this<StatsPoller::State> {
  std::function<unsigned()> interval;
  std::function<void(bool)> tick;
  std::atomic<gint64> wanted_until{0};
  std::mutex mutex;  // a leaf: guards context (want() reads it from any thread)
  GMainContext *context = nullptr;
  GSource *timer = nullptr;  // control context only

  bool wanted() const { return g_get_monotonic_time() < wanted_until.load(); }

  void fire() {
    const unsigned ms = interval();
    if (ms || wanted()) tick(ms > 0);
  }

  void arm() {
    const unsigned ms = interval();
    const unsigned delay = ms ? (wanted() ? std::min(ms, kReadPollMs) : ms) : kReadPollMs;
    timer = g_timeout_source_new(delay);
    std::weak_ptr<State> weak = weak_from_this();
    g_source_set_callback(
        timer,
        [](gpointer data) -> gboolean {
          if (auto self = static_cast<std::weak_ptr<State> *>(data)->lock(); self && self->timer) {
            g_source_unref(self->timer);
            self->timer = nullptr;
            self->fire();
            if (self->context) self->arm();  // the interval may have changed
          }
          return G_SOURCE_REMOVE;
        },
        new std::weak_ptr<State>(weak), [](gpointer d) { delete static_cast<std::weak_ptr<State> *>(d); });
    g_source_attach(timer, context);
  }
};

StatsPoller::StatsPoller(std::function<unsigned()> interval, std::function<void(bool)> tick)
    : state_(std::make_shared<State>()) {
  state_->interval = std::move(interval);
  state_->tick = std::move(tick);
}

StatsPoller::~StatsPoller() { stop(); }

void StatsPoller::start(GMainContext *context) {
  {
    std::lock_guard lock(state_->mutex);
    if (state_->context) return;
    state_->context = context;
  }
  state_->arm();
}

void StatsPoller::stop() {
  {
    std::lock_guard lock(state_->mutex);
    state_->context = nullptr;
  }
  if (state_->timer) {
    g_source_destroy(state_->timer);
    g_source_unref(state_->timer);
    state_->timer = nullptr;
  }
}

void StatsPoller::want() {
  const gint64 now = g_get_monotonic_time();
  const gint64 before = state_->wanted_until.exchange(now + kWantedForUs);
  if (before >= now) return;
  std::lock_guard lock(state_->mutex);
  if (!state_->context) return;
  std::weak_ptr<State> weak = state_;
  post_to(state_->context, [weak] {
    if (auto self = weak.lock(); self && self->timer) self->tick(false);
  });
}

}  // namespace webrtclive
