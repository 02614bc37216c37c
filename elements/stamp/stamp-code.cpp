// SPDX-License-Identifier: LGPL-2.1-or-later
#include "stamp-code.h"

#include <algorithm>
#include <cstring>

namespace webrtclive::stamp {

namespace {

constexpr int kBytes = kBits / 8;

std::array<uint8_t, 8> time_bytes(uint64_t t) {
  std::array<uint8_t, 8> b{};
  for (int i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(t >> (56 - 8 * i));
  return b;
}

}  // namespace

uint8_t crc8(std::span<const uint8_t> data) {
  uint8_t crc = 0xFF;
  for (uint8_t byte : data) {
    crc ^= byte;
    for (int k = 0; k < 8; ++k)
      crc = (crc & 0x80) ? static_cast<uint8_t>((crc << 1) ^ 0x2F) : static_cast<uint8_t>(crc << 1);
  }
  return crc ^ 0xFF;
}

Bits encode(uint64_t time_us) {
  std::array<uint8_t, kBytes> bytes{};
  auto t = time_bytes(time_us);
  std::copy(t.begin(), t.end(), bytes.begin());
  bytes[8] = crc8(t);
  Bits bits{};
  for (int i = 0; i < kBits; ++i) bits[i] = (bytes[i / 8] >> (7 - i % 8)) & 1;
  return bits;
}

std::optional<uint64_t> decode(const Bits &bits) {
  std::array<uint8_t, kBytes> bytes{};
  for (int i = 0; i < kBits; ++i)
    if (bits[i]) bytes[i / 8] |= static_cast<uint8_t>(1u << (7 - i % 8));
  if (crc8(std::span<const uint8_t>(bytes.data(), 8)) != bytes[8]) return std::nullopt;
  uint64_t t = 0;
  for (int i = 0; i < 8; ++i) t = (t << 8) | bytes[i];
  return t;
}

void fill(Component c, int x, int y, int w, int h, uint8_t value) {
  for (int row = y; row < y + h; ++row) {
    uint8_t *p = c.data + static_cast<ptrdiff_t>(row) * c.stride + static_cast<ptrdiff_t>(x) * c.pixel_stride;
    if (c.pixel_stride == 1) {
      std::memset(p, value, static_cast<size_t>(w));
    } else {
      for (int col = 0; col < w; ++col) p[static_cast<ptrdiff_t>(col) * c.pixel_stride] = value;
    }
  }
}

void paint(const Bits &bits, int block, Component c, uint8_t zero, uint8_t one) {
  for (int i = 0; i < kBits; ++i)
    fill(c, (i % kColumns) * block, (i / kColumns) * block, block, block, bits[i] ? one : zero);
}

Bits sample(std::span<const ConstComponent> components, int block) {
  const int margin = block / 4;
  const int inner = block - 2 * margin;
  Bits bits{};
  for (int i = 0; i < kBits; ++i) {
    const int x0 = (i % kColumns) * block + margin;
    const int y0 = (i / kColumns) * block + margin;
    uint64_t sum = 0;
    for (const ConstComponent &c : components) {
      for (int row = y0; row < y0 + inner; ++row) {
        const uint8_t *p =
            c.data + static_cast<ptrdiff_t>(row) * c.stride + static_cast<ptrdiff_t>(x0) * c.pixel_stride;
        for (int col = 0; col < inner; ++col) sum += p[static_cast<ptrdiff_t>(col) * c.pixel_stride];
      }
    }
    const uint64_t count = static_cast<uint64_t>(inner) * inner * components.size();
    bits[i] = count > 0 && sum >= static_cast<uint64_t>(kThreshold) * count;
  }
  return bits;
}

}  // namespace webrtclive::stamp
