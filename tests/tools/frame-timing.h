// SPDX-License-Identifier: LGPL-2.1-or-later
//
// live-runner's frame timing of a "count..." element: when buffers came
// (wall clock, ms since the Unix epoch), the gaps between them, the sizes
// its caps gave and buffers per second, bounded, as JSON members. See
// live-runner.cpp's header for what a test reads from it.
#pragma once

#include <glib.h>
#include <gst/gst.h>
#include <json-glib/json-glib.h>

#include <algorithm>
#include <array>
#include <deque>
#include <mutex>
#include <utility>

namespace live_runner {

// Written on the element's streaming thread, read by "counts" on the main
// loop; all under `lock`. Times in wall-clock ms since the Unix epoch.
struct Timing {
  static constexpr gint64 kGapMs = 100;     // gaps this long or longer are listed
  static constexpr size_t kMaxEntries = 200;  // gaps and sizes kept
  static constexpr size_t kSeconds = 600;     // per-second counts kept
  std::mutex lock;
  gint64 first = 0, last = 0, max_gap = 0;
  std::deque<std::pair<gint64, gint64>> gaps;  // [start, ms]
  std::deque<std::array<gint64, 3>> sizes;     // [at, width, height]
  std::deque<std::pair<gint64, gint64>> per_second;  // [second, n]

  template <typename T>
  static void push_bounded(std::deque<T> &q, T v, size_t max) {
    q.push_back(v);
    if (q.size() > max) q.pop_front();
  }
  void buffer(guint n) {
    const gint64 now = g_get_real_time() / 1000;
    std::lock_guard<std::mutex> g(lock);
    if (first == 0) first = now;
    if (last != 0) {
      const gint64 gap = now - last;
      max_gap = std::max(max_gap, gap);
      if (gap >= kGapMs) push_bounded(gaps, {last, gap}, kMaxEntries);
    }
    last = now;
    const gint64 sec = now / 1000;
    if (per_second.empty() || per_second.back().first != sec) push_bounded(per_second, {sec, 0}, kSeconds);
    per_second.back().second += n;
  }
  void caps(GstCaps *c) {
    gint w = 0, h = 0;
    const GstStructure *st = gst_caps_get_size(c) ? gst_caps_get_structure(c, 0) : nullptr;
    if (st) {
      gst_structure_get_int(st, "width", &w);
      gst_structure_get_int(st, "height", &h);
    }
    std::lock_guard<std::mutex> g(lock);
    push_bounded(sizes, {g_get_real_time() / 1000, gint64{w}, gint64{h}}, kMaxEntries);
  }
};
inline void int_member(JsonBuilder *b, const char *k, gint64 v) {
  json_builder_set_member_name(b, k);
  json_builder_add_int_value(b, v);
}

template <typename Seq, typename Each>
inline void array_member(JsonBuilder *b, const char *k, const Seq &seq, Each each) {
  json_builder_set_member_name(b, k);
  json_builder_begin_array(b);
  for (const auto &e : seq) {
    json_builder_begin_array(b);
    each(e);
    json_builder_end_array(b);
  }
  json_builder_end_array(b);
}

// Adds the members of `t` to the object under way in `b`.
inline void report_timing(JsonBuilder *b, Timing &t) {
  std::lock_guard<std::mutex> g(t.lock);
  int_member(b, "first", t.first);
  int_member(b, "last", t.last);
  int_member(b, "max_gap_ms", t.max_gap);
  auto pair = [b](const std::pair<gint64, gint64> &p) {
    json_builder_add_int_value(b, p.first);
    json_builder_add_int_value(b, p.second);
  };
  array_member(b, "gaps", t.gaps, pair);
  array_member(b, "sizes", t.sizes, [b](const std::array<gint64, 3> &a) {
    for (gint64 v : a) json_builder_add_int_value(b, v);
  });
  array_member(b, "per_second", t.per_second, pair);
}

}  // namespace live_runner
