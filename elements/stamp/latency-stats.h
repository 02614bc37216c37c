// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Latency samples of webrtclivestampread and their summary. Plain C++, not
// thread-safe: the element guards it with its object lock.
#pragma once

#include <cstdint>
#include <vector>

namespace webrtclive::stamp {

struct LatencySummary {
  uint64_t count = 0;    // valid frames
  uint64_t invalid = 0;  // frames without a valid stamp
  // In µs over the valid frames; all 0 when count is 0.
  int64_t min = 0;
  int64_t max = 0;
  int64_t mean = 0;    // rounded to the nearest µs
  int64_t median = 0;  // mean of the two middle samples for an even count
  int64_t p95 = 0;     // nearest rank: the ceil(0.95 n)-th smallest sample
};

class LatencyStats {
 public:
  void add(int64_t latency_us);
  void add_invalid() { ++invalid_; }
  void reset();

  [[nodiscard]] uint64_t count() const { return samples_.size(); }
  [[nodiscard]] uint64_t invalid() const { return invalid_; }
  // O(n log n): sorts a copy of the samples.
  [[nodiscard]] LatencySummary summary() const;

 private:
  std::vector<int64_t> samples_;  // every valid reading, 8 bytes a frame
  uint64_t invalid_ = 0;
  int64_t sum_ = 0;
};

}  // namespace webrtclive::stamp
