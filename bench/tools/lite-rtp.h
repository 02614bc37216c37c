// SPDX-License-Identifier: LGPL-2.1-or-later
//
// lite-consumer's RTP and RTCP, after SRTP: header parsing, "does this
// packet start a keyframe" without decoding (H.264 IDR, VP8 and VP9 key
// bits), receive statistics of one SSRC and the receiver report built from
// them (RFC 3550 6.4.2, A.1, A.3, A.8), and reading the sender reports
// (for LSR/DLSR, so that the sink can compute round-trip times).
#pragma once

#include <glib.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace lite {

inline uint16_t be16(const uint8_t *p) { return uint16_t(p[0] << 8 | p[1]); }
inline uint32_t be32(const uint8_t *p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }
inline void put16(uint8_t *p, uint16_t v) { p[0] = uint8_t(v >> 8), p[1] = uint8_t(v); }
inline void put32(uint8_t *p, uint32_t v) { put16(p, uint16_t(v >> 16)), put16(p + 2, uint16_t(v)); }

struct RtpPacket {
  bool marker = false;
  uint8_t pt = 0;
  uint16_t seq = 0;
  uint32_t ts = 0;
  uint32_t ssrc = 0;
  const uint8_t *payload = nullptr;
  size_t payload_len = 0;
};

// False for anything that is not a whole RTP version 2 packet.
inline bool parse_rtp(const uint8_t *p, size_t len, RtpPacket *out) {
  if (len < 12 || (p[0] >> 6) != 2) return false;
  size_t off = 12 + 4 * size_t(p[0] & 0x0f);
  if (p[0] & 0x10) {  // header extension
    if (off + 4 > len) return false;
    off += 4 + 4 * size_t(be16(p + off + 2));
  }
  size_t end = len;
  if (p[0] & 0x20) {  // padding
    if (p[len - 1] > len) return false;
    end -= p[len - 1];
  }
  if (off > end) return false;
  out->marker = p[1] & 0x80;
  out->pt = p[1] & 0x7f;
  out->seq = be16(p + 2);
  out->ts = be32(p + 4);
  out->ssrc = be32(p + 8);
  out->payload = p + off;
  out->payload_len = end - off;
  return true;
}

enum class Codec { H264, VP8, VP9, Other };

inline Codec codec_from_name(const std::string &encoding) {
  if (!g_ascii_strcasecmp(encoding.c_str(), "H264")) return Codec::H264;
  if (!g_ascii_strcasecmp(encoding.c_str(), "VP8")) return Codec::VP8;
  if (!g_ascii_strcasecmp(encoding.c_str(), "VP9")) return Codec::VP9;
  return Codec::Other;
}

// Whether this payload carries a keyframe (or the start of one).
inline bool is_keyframe(Codec codec, const uint8_t *p, size_t len) {
  if (len < 1) return false;
  switch (codec) {
    case Codec::H264: {
      const int type = p[0] & 0x1f;
      if (type == 5) return true;
      if (type == 28) return len >= 2 && (p[1] & 0x80) && (p[1] & 0x1f) == 5;  // FU-A start
      if (type == 24) {  // STAP-A: [size16 nal]...
        for (size_t off = 1; off + 3 <= len; off += 2 + be16(p + off))
          if ((p[off + 2] & 0x1f) == 5) return true;
      }
      return false;
    }
    case Codec::VP8: {
      // Payload descriptor (RFC 7741 4.2), then the VP8 header's P bit.
      if (!(p[0] & 0x10) || (p[0] & 0x07) != 0) return false;  // not the start of partition 0
      size_t off = 1;
      if (p[0] & 0x80) {
        if (len < 2) return false;
        const uint8_t x = p[1];
        off = 2;
        if (x & 0x80) off += (off < len && (p[off] & 0x80)) ? 2 : 1;  // PictureID
        if (x & 0x40) off += 1;                                       // TL0PICIDX
        if (x & 0x30) off += 1;                                       // TID/Y/KEYIDX
      }
      return off < len && !(p[off] & 0x01);
    }
    case Codec::VP9:
      // Descriptor: I|P|L|F|B|E|V|Z. Start of a frame not predicted from another.
      return (p[0] & 0x08) && !(p[0] & 0x40);
    case Codec::Other:
      return false;
  }
  return false;
}

// What a receiver report block needs of one sender's packets.
struct SourceStats {
  uint32_t ssrc = 0;
  unsigned clock_rate = 90000;
  bool seen = false;
  uint16_t max_seq = 0;
  uint32_t cycles = 0, base_seq = 0;
  uint64_t received = 0;
  uint32_t expected_prior = 0;
  uint64_t received_prior = 0;
  double jitter = 0;  // in timestamp units
  int64_t last_transit = 0;
  uint32_t lsr = 0;       // middle 32 bits of the NTP time of its last SR
  gint64 lsr_at_us = 0;   // when that SR arrived

  void on_packet(uint16_t seq, uint32_t ts, gint64 now_us) {
    const int64_t arrival = now_us * int64_t(clock_rate) / 1000000;
    const int64_t transit = arrival - int64_t(ts);
    if (!seen) {
      seen = true;
      max_seq = seq;
      base_seq = seq;
      last_transit = transit;
    } else {
      const uint16_t delta = uint16_t(seq - max_seq);
      if (delta < 0x8000) {  // in order (or a jump forward)
        if (seq < max_seq) cycles += 0x10000;
        max_seq = seq;
      }
      int64_t d = transit - last_transit;
      last_transit = transit;
      if (d < 0) d = -d;
      jitter += (double(d) - jitter) / 16.0;
    }
    received++;
  }

  // Writes the 24-byte report block.
  void write_block(uint8_t *out, gint64 now_us) {
    const uint32_t ext_max = cycles + max_seq;
    const uint32_t expected = ext_max - base_seq + 1;
    int64_t lost = int64_t(expected) - int64_t(received);
    lost = std::clamp<int64_t>(lost, -0x800000, 0x7fffff);
    const uint32_t expected_interval = expected - expected_prior;
    const int64_t received_interval = int64_t(received - received_prior);
    expected_prior = expected;
    received_prior = received;
    const int64_t lost_interval = int64_t(expected_interval) - received_interval;
    const uint8_t fraction =
        (expected_interval == 0 || lost_interval <= 0) ? 0 : uint8_t((lost_interval << 8) / expected_interval);
    put32(out, ssrc);
    put32(out + 4, uint32_t(fraction) << 24 | (uint32_t(lost) & 0xffffff));
    put32(out + 8, ext_max);
    put32(out + 12, uint32_t(jitter));
    put32(out + 16, lsr);
    put32(out + 20, lsr ? uint32_t((now_us - lsr_at_us) * 65536 / 1000000) : 0);
  }
};

// A compound RTCP packet: RR with a block per source that was seen, then
// SDES with our CNAME. `out` must hold 8 + 24 * n + 8 + cname + 4 bytes.
inline size_t build_receiver_report(uint8_t *out, uint32_t our_ssrc, SourceStats **sources, int n,
                                    const std::string &cname, gint64 now_us) {
  int blocks = 0;
  uint8_t *p = out + 8;
  for (int i = 0; i < n; i++) {
    if (!sources[i]->seen) continue;
    sources[i]->write_block(p, now_us);
    p += 24;
    blocks++;
  }
  out[0] = uint8_t(0x80 | blocks);
  out[1] = 201;
  put16(out + 2, uint16_t((8 + 24 * blocks) / 4 - 1));
  put32(out + 4, our_ssrc);
  // SDES: one chunk, CNAME item, end item, padded to 32 bits.
  uint8_t *s = p;
  const size_t name_len = std::min<size_t>(cname.size(), 255);
  size_t chunk = 4 + 2 + name_len + 1;
  chunk = (chunk + 3) & ~size_t(3);
  memset(s, 0, 4 + chunk);
  s[0] = 0x81;
  s[1] = 202;
  put16(s + 2, uint16_t((4 + chunk) / 4 - 1));
  put32(s + 4, our_ssrc);
  s[8] = 1;  // CNAME
  s[9] = uint8_t(name_len);
  memcpy(s + 10, cname.data(), name_len);
  return size_t(s + 4 + chunk - out);
}

// Reads the sender reports of a compound RTCP packet into `sources`.
inline void read_sender_reports(const uint8_t *p, size_t len, SourceStats **sources, int n, gint64 now_us) {
  size_t off = 0;
  while (off + 4 <= len) {
    const size_t plen = 4 * (size_t(be16(p + off + 2)) + 1);
    if ((p[off] >> 6) != 2 || off + plen > len) return;
    if (p[off + 1] == 200 && plen >= 28) {
      const uint32_t ssrc = be32(p + off + 4);
      for (int i = 0; i < n; i++)
        if (sources[i]->seen && sources[i]->ssrc == ssrc) {
          sources[i]->lsr = be32(p + off + 10);
          sources[i]->lsr_at_us = now_us;
        }
    }
    off += plen;
  }
}

}  // namespace lite
