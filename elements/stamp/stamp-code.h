// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The latency stamp: a wall-clock time painted into a video frame's pixels as
// a grid of black and white squares, so that it survives lossy encoding and
// can be read back after decoding, by webrtclivestampread or by a browser
// page from a <canvas>. Plain C++, no GStreamer: unit tests drive it directly.
//
// Layout (version 1), all sizes in pixels of the full-resolution frame:
//
//   Payload   72 bits = 9 bytes, big-endian, most significant bit first:
//               bytes 0..7  T, the time as an unsigned 64-bit integer: µs since
//                           the Unix epoch (g_get_real_time(); in a browser
//                           Math.round((performance.timeOrigin +
//                           performance.now()) * 1000), or Date.now() * 1000);
//               byte  8     CRC-8/AUTOSAR of bytes 0..7: polynomial 0x2F, initial
//                           value 0xFF, no reflection, final XOR 0xFF (check
//                           value over ASCII "123456789" = 0xDF). The CRC
//                           makes an all-black or all-white area invalid.
//   Grid      B = block size (default 8, at least 4). Bit i (0 = the most
//             significant bit of byte 0, 71 = the least significant bit of
//             byte 8) is the B x B square whose top-left corner is
//               x = (i % 24) * B,  y = floor(i / 24) * B
//             so 24 squares per row, 3 rows; the grid covers the rectangle
//             (0, 0) .. (24 B, 3 B) at the top-left corner of the frame.
//   Colours   bit 1 = white, bit 0 = black. In YUV: luma 235 / 16 (limited
//             range), chroma of the grid area 128 (neutral), so any colour
//             conversion keeps it grey. In RGB: R = G = B = 255 / 0.
//   Reading   for each square, average the centre region
//               [x + m, x + B - m) x [y + m, y + B - m),  m = floor(B / 4)
//             of the luma plane, or of (R + G + B) / 3 for RGB; mean >= 128
//             is a 1. Assemble the 9 bytes, recompute the CRC over bytes
//             0..7 and compare with byte 8; on mismatch the frame has no
//             valid stamp. latency = now - T (µs).
//   Plausible a T more than 1 hour away from the reader's clock is treated
//             as invalid too: random pixels pass the CRC once in 256 frames,
//             and would otherwise add absurd latencies to the statistics.
//
// The frame must be at least 24 B wide and 3 B high; smaller frames are not
// stamped. For a browser: T < 2^53 until the year 2255, so a JS Number
// holds it exactly (use BigInt to assemble the bytes, then Number()).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>

namespace webrtclive::stamp {

inline constexpr int kTimeBits = 64;
inline constexpr int kCheckBits = 8;
inline constexpr int kBits = kTimeBits + kCheckBits;
inline constexpr int kColumns = 24;
inline constexpr int kRows = kBits / kColumns;
static_assert(kRows * kColumns == kBits);

inline constexpr int kMinBlockSize = 4;
inline constexpr int kDefaultBlockSize = 8;
inline constexpr int kMaxBlockSize = 256;

inline constexpr uint8_t kLumaBlack = 16;
inline constexpr uint8_t kLumaWhite = 235;
inline constexpr uint8_t kRgbBlack = 0;
inline constexpr uint8_t kRgbWhite = 255;
inline constexpr uint8_t kChromaNeutral = 128;
inline constexpr int kThreshold = 128;

// Largest |now - T| accepted as a real stamp, in µs.
inline constexpr int64_t kMaxPlausibleDistanceUs = int64_t{3600} * 1000 * 1000;

// Bit i of the layout above; true = white.
using Bits = std::array<bool, kBits>;

// CRC-8/AUTOSAR (poly 0x2F, init 0xFF, xorout 0xFF, not reflected).
[[nodiscard]] uint8_t crc8(std::span<const uint8_t> data);

// The 72 bits for `time_us` (time, then its CRC).
[[nodiscard]] Bits encode(uint64_t time_us);

// The time, or nullopt when the CRC does not match.
[[nodiscard]] std::optional<uint64_t> decode(const Bits &bits);

// Whether `time_us` can be a stamp read at `now_us` (see "Plausible").
[[nodiscard]] constexpr bool plausible(uint64_t time_us, int64_t now_us) {
  if (now_us < 0 || time_us > static_cast<uint64_t>(INT64_MAX)) return false;
  const int64_t d = now_us - static_cast<int64_t>(time_us);
  return d <= kMaxPlausibleDistanceUs && d >= -kMaxPlausibleDistanceUs;
}

struct Size {
  int width = 0;
  int height = 0;
};

// Size of the grid for block size `block`.
[[nodiscard]] constexpr Size grid_size(int block) { return {kColumns * block, kRows * block}; }

// Whether a width x height frame holds the whole grid.
[[nodiscard]] constexpr bool fits(int width, int height, int block) {
  Size g = grid_size(block);
  return block >= kMinBlockSize && width >= g.width && height >= g.height;
}

// One 8-bit colour component of an image: the byte of pixel (x, y) is at
// data[y * stride + x * pixel_stride] (pixel_stride 1 for a planar plane,
// 2 for the U or V of NV12, 4 for one channel of RGBA, ...).
struct Component {
  uint8_t *data = nullptr;
  int stride = 0;
  int pixel_stride = 1;
};
struct ConstComponent {
  const uint8_t *data = nullptr;
  int stride = 0;
  int pixel_stride = 1;
};

// Sets the rectangle [x, x + w) x [y, y + h) of `c` to `value`.
void fill(Component c, int x, int y, int w, int h, uint8_t value);

// Paints the squares of `bits` on `c`: `one` for a true bit, `zero` otherwise.
void paint(const Bits &bits, int block, Component c, uint8_t zero, uint8_t one);

// Reads the squares back: the mean of the centre region of each square, over
// all of `components` (1 for luma, 3 for R, G, B), thresholded at 128.
[[nodiscard]] Bits sample(std::span<const ConstComponent> components, int block);

}  // namespace webrtclive::stamp
