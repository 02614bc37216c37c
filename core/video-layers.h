// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The layer ladder of webrtclivesink (`video-layers`, issue 15): each layer
// a resolution and a bitrate, encoded once (one shared encoder per layer in
// use) and given to every viewer whose link carries it.
//
//   "1280x720@2500,640x360@800,320x180@250"   width x height @ kbit/s
//
// Top layer first, bitrates strictly decreasing. Pure parsing, no GStreamer.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace webrtclive {

struct VideoLayer {
  unsigned width = 0;
  unsigned height = 0;
  unsigned kbps = 0;
  bool operator==(const VideoLayer &) const = default;
};

// Bounds of the property (docs/webrtclivesink.md).
inline constexpr unsigned kMaxVideoLayers = 4;
inline constexpr unsigned kMinLayerSide = 16, kMaxLayerSide = 7680;
inline constexpr unsigned kMinLayerKbps = 20, kMaxLayerKbps = 100000;

// "" = no ladder (one layer at video-bitrate, the input's size). Nothing,
// and a sentence in `error`, for anything else that is not a ladder.
std::optional<std::vector<VideoLayer>> parse_video_layers(const std::string &text, std::string *error);
std::string to_string(const std::vector<VideoLayer> &layers);

}  // namespace webrtclive
