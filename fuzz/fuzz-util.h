// SPDX-License-Identifier: LGPL-2.1-or-later
// Shared by the fuzz targets: one input cut into fields.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

// The input split at the first `n - 1` occurrences of `sep`; always n fields.
inline std::vector<std::string> fuzz_fields(const uint8_t *data, size_t size, char sep, size_t n) {
  const std::string in(reinterpret_cast<const char *>(data), size);
  std::vector<std::string> f;
  size_t start = 0;
  while (f.size() + 1 < n) {
    const size_t at = in.find(sep, start);
    if (at == std::string::npos) break;
    f.push_back(in.substr(start, at - start));
    start = at + 1;
  }
  f.push_back(in.substr(start));
  while (f.size() < n) f.emplace_back();
  return f;
}
