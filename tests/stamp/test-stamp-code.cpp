// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The stamp layout without a pipeline: CRC, bit packing, painting and
// sampling on synthetic planes (with noise, padding, interleaved channels),
// and the latency statistics.
#include <glib.h>

#include <cstdint>
#include <limits>
#include <vector>

#include "latency-stats.h"
#include "stamp-code.h"
#include "watchdog.h"

using namespace webrtclive::stamp;
using webrtclive::test::Watchdog;

namespace {

constexpr int kWatchdogSeconds = 20;

uint64_t random_u64() {
  return (static_cast<uint64_t>(g_test_rand_int()) << 32) ^ static_cast<uint32_t>(g_test_rand_int());
}

void test_crc_check_value() {
  Watchdog w("crc-check-value", kWatchdogSeconds);
  const uint8_t check[] = {'1', '2', '3', '4', '5', '6', '7', '8', '9'};
  g_assert_cmphex(crc8(check), ==, 0xDF);  // CRC-8/AUTOSAR catalogue check value
  const uint8_t zeros[8] = {};
  g_assert_cmphex(crc8(zeros), ==, 0x21);
}

void test_golden_layout() {
  Watchdog w("golden-layout", kWatchdogSeconds);
  // The test vector of docs/stamp.md: 0x0123456789ABCDEF, CRC 0x88.
  const Bits bits = encode(0x0123456789ABCDEFull);
  const uint8_t expected[9] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0x88};
  for (int i = 0; i < kBits; ++i) g_assert_cmpint(bits[i], ==, (expected[i / 8] >> (7 - i % 8)) & 1);

  // Bit 0 is the time's most significant bit, bit 63 its least.
  Bits top = encode(1ull << 63);
  g_assert_true(top[0]);
  for (int i = 1; i < kTimeBits; ++i) g_assert_false(top[i]);
  Bits one = encode(1);
  g_assert_true(one[63]);
  for (int i = 0; i < 63; ++i) g_assert_false(one[i]);
}

void test_round_trip() {
  Watchdog w("round-trip", kWatchdogSeconds);
  std::vector<uint64_t> values = {0,
                                  1,
                                  0xFF,
                                  0x0123456789ABCDEFull,
                                  std::numeric_limits<uint64_t>::max(),
                                  static_cast<uint64_t>(g_get_real_time())};
  for (int b = 0; b < 64; ++b) values.push_back(1ull << b);
  for (int i = 0; i < 20000; ++i) values.push_back(random_u64());
  for (uint64_t v : values) {
    auto d = decode(encode(v));
    g_assert_true(d.has_value());
    g_assert_cmpuint(*d, ==, v);
  }
}

void test_flipped_bit_rejected() {
  Watchdog w("flipped-bit-rejected", kWatchdogSeconds);
  for (int n = 0; n < 2000; ++n) {
    const uint64_t v = n == 0 ? static_cast<uint64_t>(g_get_real_time()) : random_u64();
    const Bits good = encode(v);
    for (int i = 0; i < kBits; ++i) {
      Bits bad = good;
      bad[i] = !bad[i];
      g_assert_false(decode(bad).has_value());
    }
  }
}

void test_corrupted_checksum_rejected() {
  Watchdog w("corrupted-checksum-rejected", kWatchdogSeconds);
  for (int n = 0; n < 200; ++n) {
    const Bits good = encode(random_u64());
    int accepted = 0;
    for (int crc = 0; crc < 256; ++crc) {
      Bits b = good;
      for (int k = 0; k < 8; ++k) b[kTimeBits + k] = (crc >> (7 - k)) & 1;
      if (decode(b)) ++accepted;
    }
    g_assert_cmpint(accepted, ==, 1);  // only the right checksum
  }
}

void test_flat_areas_rejected() {
  Watchdog w("flat-areas-rejected", kWatchdogSeconds);
  Bits black{};
  Bits white;
  white.fill(true);
  g_assert_false(decode(black).has_value());
  g_assert_false(decode(white).has_value());
}

void test_plausible() {
  Watchdog w("plausible", kWatchdogSeconds);
  const int64_t now = g_get_real_time();
  const int64_t hour = int64_t{3600} * G_USEC_PER_SEC;
  g_assert_true(plausible(static_cast<uint64_t>(now), now));
  g_assert_true(plausible(static_cast<uint64_t>(now - hour), now));
  g_assert_true(plausible(static_cast<uint64_t>(now + hour), now));  // a sender clock ahead of ours
  g_assert_false(plausible(static_cast<uint64_t>(now - hour - 1), now));
  g_assert_false(plausible(static_cast<uint64_t>(now + hour + 1), now));
  g_assert_false(plausible(0, now));
  g_assert_false(plausible(std::numeric_limits<uint64_t>::max(), now));
  // Random times almost never pass: that is what keeps garbage out of the statistics.
  int passed = 0;
  for (int i = 0; i < 100000; ++i) passed += plausible(random_u64(), now);
  g_assert_cmpint(passed, ==, 0);
}

void test_geometry() {
  Watchdog w("geometry", kWatchdogSeconds);
  g_assert_cmpint(grid_size(8).width, ==, 192);
  g_assert_cmpint(grid_size(8).height, ==, 24);
  g_assert_true(fits(192, 24, 8));
  g_assert_false(fits(191, 24, 8));
  g_assert_false(fits(192, 23, 8));
  g_assert_false(fits(64, 32, 8));
  g_assert_true(fits(96, 12, 4));
  g_assert_false(fits(1920, 1080, 3));  // below the minimum block size
}

// A plane with row padding, filled with noise, painted, disturbed by more
// noise (as lossy coding would), then read back.
void test_paint_sample_luma() {
  Watchdog w("paint-sample-luma", kWatchdogSeconds);
  for (int block : {4, 5, 8, 13, 16}) {
    const int width = grid_size(block).width + 7;
    const int height = grid_size(block).height + 3;
    const int stride = width + 32;
    std::vector<uint8_t> plane(static_cast<size_t>(stride) * height);
    for (auto &px : plane) px = static_cast<uint8_t>(g_test_rand_int_range(0, 256));
    const uint64_t v = random_u64();
    paint(encode(v), block, Component{plane.data(), stride, 1}, kLumaBlack, kLumaWhite);
    g_assert_cmpuint(plane[0], ==, encode(v)[0] ? kLumaWhite : kLumaBlack);
    for (auto &px : plane) {
      const int noisy = px + g_test_rand_int_range(-80, 81);
      px = static_cast<uint8_t>(CLAMP(noisy, 0, 255));
    }
    const ConstComponent luma[] = {{plane.data(), stride, 1}};
    auto d = decode(sample(luma, block));
    g_assert_true(d.has_value());
    g_assert_cmpuint(*d, ==, v);
  }
}

// Interleaved RGBA: three channels painted, alpha left alone, read as (R+G+B)/3.
void test_paint_sample_rgba() {
  Watchdog w("paint-sample-rgba", kWatchdogSeconds);
  const int block = 8;
  const int width = 320;
  const int height = 240;
  const int stride = width * 4;
  std::vector<uint8_t> image(static_cast<size_t>(stride) * height, 0x5A);
  const uint64_t v = random_u64();
  const Bits bits = encode(v);
  for (int c = 0; c < 3; ++c) paint(bits, block, Component{image.data() + c, stride, 4}, kRgbBlack, kRgbWhite);
  g_assert_cmpuint(image[3], ==, 0x5A);  // alpha untouched
  // Colour noise: one channel off by a lot, the mean still right.
  for (size_t i = 0; i < image.size(); i += 4) image[i] = static_cast<uint8_t>(image[i] ^ 0x40);
  const ConstComponent rgb[] = {
      {image.data(), stride, 4}, {image.data() + 1, stride, 4}, {image.data() + 2, stride, 4}};
  auto d = decode(sample(rgb, block));
  g_assert_true(d.has_value());
  g_assert_cmpuint(*d, ==, v);
}

// Only the centre of a square counts: edges smeared by the codec do not.
void test_sample_ignores_block_edges() {
  Watchdog w("sample-ignores-block-edges", kWatchdogSeconds);
  const int block = 8;
  const int stride = grid_size(block).width;
  std::vector<uint8_t> plane(static_cast<size_t>(stride) * grid_size(block).height);
  const uint64_t v = 0x0123456789ABCDEFull;
  paint(encode(v), block, Component{plane.data(), stride, 1}, kLumaBlack, kLumaWhite);
  // Invert the outer 2-pixel ring of every square.
  for (int y = 0; y < grid_size(block).height; ++y)
    for (int x = 0; x < stride; ++x) {
      int bx = x % block, by = y % block;
      if (bx < 2 || bx >= block - 2 || by < 2 || by >= block - 2) {
        uint8_t &px = plane[static_cast<size_t>(y) * stride + x];
        px = px == kLumaWhite ? kLumaBlack : kLumaWhite;
      }
    }
  const ConstComponent luma[] = {{plane.data(), stride, 1}};
  auto d = decode(sample(luma, block));
  g_assert_true(d.has_value());
  g_assert_cmpuint(*d, ==, v);
}

void test_stats() {
  Watchdog w("stats", kWatchdogSeconds);
  LatencyStats st;
  LatencySummary s = st.summary();
  g_assert_cmpuint(s.count, ==, 0);
  g_assert_cmpint(s.min, ==, 0);
  g_assert_cmpint(s.median, ==, 0);
  g_assert_cmpint(s.p95, ==, 0);

  for (int64_t v : {5, 1, 3, 2, 4}) st.add(v);
  st.add_invalid();
  s = st.summary();
  g_assert_cmpuint(s.count, ==, 5);
  g_assert_cmpuint(s.invalid, ==, 1);
  g_assert_cmpint(s.min, ==, 1);
  g_assert_cmpint(s.max, ==, 5);
  g_assert_cmpint(s.mean, ==, 3);
  g_assert_cmpint(s.median, ==, 3);
  g_assert_cmpint(s.p95, ==, 5);

  st.add(10);  // 1 2 3 4 5 10
  s = st.summary();
  g_assert_cmpint(s.median, ==, 3);  // (3 + 4) / 2, truncated
  g_assert_cmpint(s.mean, ==, 4);    // 25 / 6 = 4.17

  st.reset();
  for (int64_t v = 100; v >= 1; --v) st.add(v * 1000);
  s = st.summary();
  g_assert_cmpuint(s.invalid, ==, 0);
  g_assert_cmpint(s.p95, ==, 95000);
  g_assert_cmpint(s.median, ==, 50500);
  g_assert_cmpint(s.mean, ==, 50500);

  st.reset();
  for (int64_t v = 1; v <= 20; ++v) st.add(v);
  g_assert_cmpint(st.summary().p95, ==, 19);

  st.reset();
  st.add(-7);  // clocks of two hosts may disagree: negative latencies are kept
  s = st.summary();
  g_assert_cmpint(s.min, ==, -7);
  g_assert_cmpint(s.p95, ==, -7);
}

}  // namespace

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, nullptr);
  g_test_add_func("/stamp/code/crc-check-value", test_crc_check_value);
  g_test_add_func("/stamp/code/golden-layout", test_golden_layout);
  g_test_add_func("/stamp/code/round-trip", test_round_trip);
  g_test_add_func("/stamp/code/flipped-bit-rejected", test_flipped_bit_rejected);
  g_test_add_func("/stamp/code/corrupted-checksum-rejected", test_corrupted_checksum_rejected);
  g_test_add_func("/stamp/code/flat-areas-rejected", test_flat_areas_rejected);
  g_test_add_func("/stamp/code/plausible", test_plausible);
  g_test_add_func("/stamp/code/geometry", test_geometry);
  g_test_add_func("/stamp/code/paint-sample-luma", test_paint_sample_luma);
  g_test_add_func("/stamp/code/paint-sample-rgba", test_paint_sample_rgba);
  g_test_add_func("/stamp/code/sample-ignores-block-edges", test_sample_ignores_block_edges);
  g_test_add_func("/stamp/stats", test_stats);
  return g_test_run();
}
