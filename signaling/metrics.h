// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Prometheus text exposition (format 0.0.4) for GET /metrics: a writer that
// gets the syntax right once (HELP/TYPE once per family, label escaping,
// +Inf/NaN, histogram buckets, summary quantiles), and the process figures
// every exporter shows (CPU, RSS, threads, descriptors), read from /proc.
//
// Labels stay bounded: callers use fixed sets (codec, end reason, message
// type), never consumer ids.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace webrtclive {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

// A cumulative histogram with fixed upper bounds (seconds, say).
struct MetricHistogram {
  std::vector<double> bounds;    // ascending; +Inf is implied
  std::vector<uint64_t> counts;  // per bound, not cumulative (bounds.size() + 1: the last is +Inf)
  double sum = 0;
  uint64_t count = 0;

  explicit MetricHistogram(std::vector<double> upper_bounds = {})
      : bounds(std::move(upper_bounds)), counts(bounds.size() + 1, 0) {}
  void observe(double v);
};

class MetricsText {
 public:
  // Starts a family; `type` is counter, gauge, histogram or summary. A
  // family already written is not announced twice.
  void family(std::string_view name, std::string_view type, std::string_view help);
  void sample(std::string_view name, const MetricLabels &labels, double value);
  void sample(std::string_view name, double value) { sample(name, {}, value); }

  // One-call families.
  void gauge(std::string_view name, std::string_view help, double value);
  void counter(std::string_view name, std::string_view help, double value);
  // One sample per (label value, count) under `label`.
  void counters(std::string_view name, std::string_view help, std::string_view label,
                const std::map<std::string, uint64_t> &by_label);
  void histogram(std::string_view name, std::string_view help, const MetricHistogram &h);
  // Quantiles 0.5, 0.9, 0.99 of `values` (current per-consumer figures),
  // with _sum and _count.
  void summary(std::string_view name, std::string_view help, std::vector<double> values);

  const std::string &text() const { return out_; }
  std::string take() { return std::move(out_); }

  // Label values: backslash, double quote and newline escaped.
  static std::string escape_label(std::string_view v);
  static std::string number(double v);

 private:
  std::string out_;
  std::vector<std::string> families_;
};

// process_cpu_seconds_total, process_resident_memory_bytes,
// process_virtual_memory_bytes, process_open_fds, process_max_fds,
// process_start_time_seconds, process_threads (this process, from /proc).
void write_process_metrics(MetricsText &out);

}  // namespace webrtclive
