// SPDX-License-Identifier: LGPL-2.1-or-later
#include "video-layers.h"

#include <cctype>
#include <charconv>

namespace webrtclive {

namespace {

// A decimal number at `p` (digits only), advancing `p`.
std::optional<unsigned> number(const std::string &s, size_t &p) {
  size_t start = p;
  while (p < s.size() && std::isdigit(static_cast<unsigned char>(s[p]))) p++;
  if (p == start || p - start > 6) return std::nullopt;
  unsigned v = 0;
  std::from_chars(s.data() + start, s.data() + p, v);
  return v;
}

std::string trim(const std::string &s) {
  size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

}  // namespace

std::optional<std::vector<VideoLayer>> parse_video_layers(const std::string &text, std::string *error) {
  std::vector<VideoLayer> out;
  const std::string all = trim(text);
  if (all.empty()) return out;
  if (all.size() > 256) {
    *error = "video-layers is longer than 256 characters";
    return std::nullopt;
  }
  size_t begin = 0;
  while (begin <= all.size()) {
    size_t comma = all.find(',', begin);
    std::string item = trim(all.substr(begin, comma == std::string::npos ? std::string::npos : comma - begin));
    begin = comma == std::string::npos ? all.size() + 1 : comma + 1;
    size_t p = 0;
    auto w = number(item, p);
    bool ok = w && p < item.size() && (item[p] == 'x' || item[p] == 'X');
    std::optional<unsigned> h, k;
    if (ok) h = number(item, ++p);
    ok = ok && h && p < item.size() && item[p] == '@';
    if (ok) k = number(item, ++p);
    ok = ok && k && p == item.size();
    if (!ok) {
      *error = "video-layers: '" + item + "' is not WIDTHxHEIGHT@KBPS (e.g. 640x360@800)";
      return std::nullopt;
    }
    if (*w < kMinLayerSide || *w > kMaxLayerSide || *h < kMinLayerSide || *h > kMaxLayerSide || *w % 2 || *h % 2) {
      *error = "video-layers: '" + item + "': width and height must be even, " + std::to_string(kMinLayerSide) +
               ".." + std::to_string(kMaxLayerSide);
      return std::nullopt;
    }
    if (*k < kMinLayerKbps || *k > kMaxLayerKbps) {
      *error = "video-layers: '" + item + "': the bitrate must be " + std::to_string(kMinLayerKbps) + ".." +
               std::to_string(kMaxLayerKbps) + " kbit/s";
      return std::nullopt;
    }
    if (!out.empty() && *k >= out.back().kbps) {
      *error = "video-layers: the bitrates must decrease from the first (top) layer to the last";
      return std::nullopt;
    }
    if (out.size() == kMaxVideoLayers) {
      *error = "video-layers: at most " + std::to_string(kMaxVideoLayers) + " layers";
      return std::nullopt;
    }
    out.push_back({*w, *h, *k});
  }
  return out;
}

std::string to_string(const std::vector<VideoLayer> &layers) {
  std::string s;
  for (const auto &l : layers)
    s += (s.empty() ? "" : ",") + std::to_string(l.width) + "x" + std::to_string(l.height) + "@" +
         std::to_string(l.kbps);
  return s;
}

}  // namespace webrtclive
