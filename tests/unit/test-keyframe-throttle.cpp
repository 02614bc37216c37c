// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Keyframe request coalescing, on a simulated clock: at most one keyframe
// per interval, and no request left without a keyframe after it.
#include <glib.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include "keyframes.h"

using webrtclive::KeyframeThrottle;

namespace {

constexpr int64_t kMs = 1000;
constexpr int64_t kInterval = 500 * kMs;

void test_first_request_sends_now() {
  KeyframeThrottle t(kInterval);
  auto d = t.request(10 * 1000 * kMs);
  g_assert_true(d.send_now);
  g_assert_false(d.schedule_in_us.has_value());
  g_assert_cmpuint(t.requests(), ==, 1);
  g_assert_cmpuint(t.sent(), ==, 1);

  // Also at time zero (no special meaning for 0).
  KeyframeThrottle z(kInterval);
  g_assert_true(z.request(0).send_now);
}

void test_request_inside_interval_schedules_once() {
  KeyframeThrottle t(kInterval);
  const int64_t t0 = 1000 * kMs;
  g_assert_true(t.request(t0).send_now);

  auto d = t.request(t0 + 120 * kMs);
  g_assert_false(d.send_now);
  g_assert_true(d.schedule_in_us.has_value());
  g_assert_cmpint(*d.schedule_in_us, ==, 380 * kMs);  // end of the interval
  g_assert_cmpuint(t.sent(), ==, 1);

  // Further requests while one is pending are served by it.
  for (int64_t at : {t0 + 200 * kMs, t0 + 300 * kMs, t0 + 499 * kMs, t0 + 700 * kMs}) {
    auto again = t.request(at);
    g_assert_false(again.send_now);
    g_assert_false(again.schedule_in_us.has_value());
  }
  g_assert_cmpuint(t.requests(), ==, 6);
  g_assert_cmpuint(t.sent(), ==, 1);

  // The timer fires: that is the second keyframe.
  t.fire(t0 + 500 * kMs);
  g_assert_cmpuint(t.sent(), ==, 2);
}

void test_after_fire_new_interval() {
  KeyframeThrottle t(kInterval);
  const int64_t t0 = 0;
  g_assert_true(t.request(t0).send_now);
  auto d = t.request(t0 + 100 * kMs);
  g_assert_cmpint(d.schedule_in_us.value_or(-1), ==, 400 * kMs);
  const int64_t fired = t0 + 500 * kMs;
  t.fire(fired);

  // A request inside the interval that started with the fired keyframe
  // schedules again, measured from the fire time.
  d = t.request(fired + 50 * kMs);
  g_assert_false(d.send_now);
  g_assert_cmpint(d.schedule_in_us.value_or(-1), ==, 450 * kMs);
  t.fire(fired + 500 * kMs);
  g_assert_cmpuint(t.sent(), ==, 3);

  // A timer that fires late starts the next interval at its real time.
  d = t.request(fired + 600 * kMs);
  g_assert_cmpint(d.schedule_in_us.value_or(-1), ==, 400 * kMs);
  const int64_t late = fired + 1100 * kMs;  // 100 ms late
  t.fire(late);
  d = t.request(late + 10 * kMs);
  g_assert_cmpint(d.schedule_in_us.value_or(-1), ==, 490 * kMs);
}

void test_after_interval_sends_now() {
  KeyframeThrottle t(kInterval);
  g_assert_true(t.request(0).send_now);
  auto d = t.request(kInterval);  // exactly one interval later
  g_assert_true(d.send_now);
  g_assert_false(d.schedule_in_us.has_value());
  d = t.request(kInterval + 3000 * kMs);
  g_assert_true(d.send_now);
  g_assert_cmpuint(t.requests(), ==, 3);
  g_assert_cmpuint(t.sent(), ==, 3);

  // After a fired keyframe too.
  auto s = t.request(kInterval + 3100 * kMs);
  g_assert_true(s.schedule_in_us.has_value());
  t.fire(kInterval + 3500 * kMs);
  g_assert_true(t.request(kInterval + 4000 * kMs).send_now);
  g_assert_cmpuint(t.requests(), ==, 5);
  g_assert_cmpuint(t.sent(), ==, 5);
}

void test_set_interval() {
  KeyframeThrottle t(kInterval);
  g_assert_true(t.request(0).send_now);
  t.set_interval(2000 * kMs);
  auto d = t.request(1000 * kMs);
  g_assert_false(d.send_now);
  g_assert_cmpint(d.schedule_in_us.value_or(-1), ==, 1000 * kMs);

  KeyframeThrottle zero(0);  // no throttling
  for (int i = 0; i < 5; i++) g_assert_true(zero.request(1000 * kMs).send_now);
  g_assert_cmpuint(zero.sent(), ==, 5);
}

// A simulated owner of the throttle: sends keyframes when told to, arms one
// timer, calls fire() when it expires.
struct Sim {
  KeyframeThrottle throttle{kInterval};
  std::optional<int64_t> timer_at;
  std::vector<int64_t> keyframes;  // times a keyframe request went to the encoder

  void advance_to(int64_t now) {
    if (timer_at && *timer_at <= now) {
      int64_t at = *timer_at;
      timer_at.reset();
      throttle.fire(at);
      keyframes.push_back(at);
    }
  }
  void request(int64_t now) {
    advance_to(now);
    auto d = throttle.request(now);
    g_assert_false(d.send_now && d.schedule_in_us.has_value());
    if (d.send_now) keyframes.push_back(now);
    if (d.schedule_in_us) {
      g_assert_false(timer_at.has_value());  // never two timers
      g_assert_cmpint(*d.schedule_in_us, >, 0);
      g_assert_cmpint(*d.schedule_in_us, <=, kInterval);
      timer_at = now + *d.schedule_in_us;
    }
  }
};

void check_burst(const std::vector<int64_t> &requests, size_t max_keyframes) {
  Sim sim;
  for (int64_t r : requests) sim.request(r);
  sim.advance_to(requests.back() + 10 * kInterval);
  g_assert_false(sim.timer_at.has_value());

  g_assert_cmpuint(sim.throttle.requests(), ==, requests.size());
  g_assert_cmpuint(sim.throttle.sent(), ==, sim.keyframes.size());
  g_assert_cmpuint(sim.keyframes.size(), <=, max_keyframes);
  // Keyframes are at least one interval apart.
  for (size_t i = 1; i < sim.keyframes.size(); i++)
    g_assert_cmpint(sim.keyframes[i] - sim.keyframes[i - 1], >=, kInterval);
  // Every request is followed by a keyframe within one interval.
  for (int64_t r : requests) {
    bool served = false;
    for (int64_t k : sim.keyframes) served |= k >= r && k - r <= kInterval;
    if (!served) g_error("request at %" G_GINT64_FORMAT " us got no keyframe within 500 ms", r);
  }
}

void test_burst_even() {
  // 100 requests evenly over 2 s (every 20 ms).
  std::vector<int64_t> req;
  for (int i = 0; i < 100; i++) req.push_back(5000 * kMs + i * 20 * kMs);
  check_burst(req, 5);
}

void test_burst_random() {
  // 100 requests at random times within 2 s, several seeds, and a few
  // clumps of simultaneous requests (many consumers joining at once).
  for (guint32 seed : {1u, 7u, 42u, 2024u, 99991u}) {
    GRand *rand = g_rand_new_with_seed(seed);
    std::vector<int64_t> req;
    for (int i = 0; i < 100; i++) req.push_back(g_rand_int_range(rand, 0, 2000 * 1000));
    g_rand_free(rand);
    for (int i = 0; i < 10; i++) req[i] = 1234 * kMs;
    std::sort(req.begin(), req.end());
    check_burst(req, 5);
  }
}

}  // namespace

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, nullptr);
  g_test_add_func("/keyframe-throttle/first-request-sends-now", test_first_request_sends_now);
  g_test_add_func("/keyframe-throttle/request-inside-interval-schedules-once",
                  test_request_inside_interval_schedules_once);
  g_test_add_func("/keyframe-throttle/after-fire-new-interval", test_after_fire_new_interval);
  g_test_add_func("/keyframe-throttle/after-interval-sends-now", test_after_interval_sends_now);
  g_test_add_func("/keyframe-throttle/set-interval", test_set_interval);
  g_test_add_func("/keyframe-throttle/burst-even", test_burst_even);
  g_test_add_func("/keyframe-throttle/burst-random", test_burst_random);
  return g_test_run();
}
