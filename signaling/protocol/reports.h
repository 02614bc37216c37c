// SPDX-License-Identifier: LGPL-2.1-or-later
//
// What GET /consumers.json answers (the operator page, web/consumers.js):
// one producer's consumers and how each is doing, as typed data and JSON.
//
//   {"producer":"cam","consumers":[{"id":"…","session":"…","codec":"H264",
//     "connected_s":12.5,"family":"ipv4","local_candidate":"host",
//     "remote_candidate":"host","remote_address":"…:5000","protocol":"udp",
//     "bitrate_bps":2000000,"rtt_ms":1.2,"fraction_lost":0,"packets_lost":0,
//     "jitter_ms":0.4,"bytes_sent":…,"packets_sent":…,"nacks":0,"plis":1,
//     "firs":0,"keyframe_requests":1,"first_packet_ms":180}]}
//
// Numbers not known yet are null.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace webrtclive::protocol {

struct ConsumerReport {
  std::string id;       // the consumer's peer id
  std::string session;  // session id
  std::string codec;    // main codec ("" = none yet)
  double connected_s = 0;
  std::string family;  // ipv4 / ipv6
  std::string local_candidate, remote_candidate, remote_address, protocol;
  double bitrate_bps = -1;  // -1 = not known (null)
  double rtt_ms = -1;
  double fraction_lost = -1;
  int64_t packets_lost = -1;
  double jitter_ms = -1;
  uint64_t bytes_sent = 0, packets_sent = 0;
  uint64_t nacks = 0, plis = 0, firs = 0;
  double first_packet_ms = -1;  // join → first RTP packet sent
  // Its video layer (webrtclivesink video-layers): -1 = no video.
  int layer = -1;
  unsigned layers = 0;
  std::string layer_size;       // "640x360", "" without a ladder
  std::string estimate_source;  // twcc | receiver-reports | none
  double estimate_kbps = -1;    // what its feedback says its link carries; -1 = not known
};

[[nodiscard]] std::string consumers_report_json(const std::string &producer,
                                                const std::vector<ConsumerReport> &consumers);

}  // namespace webrtclive::protocol
