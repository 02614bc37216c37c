// SPDX-License-Identifier: LGPL-2.1-or-later
#include "latency-stats.h"

#include <algorithm>
#include <cmath>

namespace webrtclive::stamp {

void LatencyStats::add(int64_t latency_us) {
  samples_.push_back(latency_us);
  sum_ += latency_us;
}

void LatencyStats::reset() {
  samples_.clear();
  invalid_ = 0;
  sum_ = 0;
}

LatencySummary LatencyStats::summary() const {
  LatencySummary s;
  s.count = samples_.size();
  s.invalid = invalid_;
  if (samples_.empty()) return s;
  std::vector<int64_t> sorted = samples_;
  std::sort(sorted.begin(), sorted.end());
  const size_t n = sorted.size();
  s.min = sorted.front();
  s.max = sorted.back();
  s.mean = std::llround(static_cast<double>(sum_) / static_cast<double>(n));
  s.median = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  const size_t rank = (95 * n + 99) / 100;  // ceil(0.95 n) without rounding surprises
  s.p95 = sorted[std::clamp<size_t>(rank, 1, n) - 1];
  return s;
}

}  // namespace webrtclive::stamp
