// SPDX-License-Identifier: LGPL-2.1-or-later
#include "codecs.h"

#include "twcc.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <sstream>

namespace webrtclive {

namespace {
const CodecInfo kCodecs[] = {
    {CodecId::H264, "h264", MediaKind::Video, "H264", "video/x-h264", "x264enc", "avdec_h264", "rtph264pay", 96},
    {CodecId::VP8, "vp8", MediaKind::Video, "VP8", "video/x-vp8", "vp8enc", "vp8dec", "rtpvp8pay", 97},
    {CodecId::VP9, "vp9", MediaKind::Video, "VP9", "video/x-vp9", "vp9enc", "vp9dec", "rtpvp9pay", 98},
    {CodecId::Opus, "opus", MediaKind::Audio, "OPUS", "audio/x-opus", "opusenc", "opusdec", "rtpopuspay", 111},
};

std::string lower(std::string s) {
  for (auto &c : s) c = g_ascii_tolower(c);
  return s;
}
}  // namespace

const CodecInfo &codec_info(CodecId id) {
  for (const auto &c : kCodecs)
    if (c.id == id) return c;
  return kCodecs[0];
}

std::optional<CodecId> codec_from_name(const std::string &name) {
  std::string n = lower(name);
  for (const auto &c : kCodecs)
    if (n == c.name) return c.id;
  return std::nullopt;
}

std::optional<CodecId> codec_from_encoding_name(const std::string &encoding_name) {
  std::string n = lower(encoding_name);
  for (const auto &c : kCodecs)
    if (n == lower(c.encoding_name)) return c.id;
  return std::nullopt;
}

std::vector<CodecId> parse_codec_list(const std::string &list, MediaKind kind, std::vector<std::string> *unknown) {
  std::vector<CodecId> out;
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) {
    auto b = item.find_first_not_of(" \t");
    auto e = item.find_last_not_of(" \t");
    if (b == std::string::npos) continue;
    item = item.substr(b, e - b + 1);
    auto id = codec_from_name(item);
    if (!id || codec_info(*id).kind != kind) {
      if (unknown) unknown->push_back(item);
      continue;
    }
    bool dup = false;
    for (auto c : out) dup |= c == *id;
    if (!dup) out.push_back(*id);
  }
  return out;
}

std::vector<CodecId> limit_codecs(std::vector<CodecId> list, const std::vector<std::string> &allowed) {
  if (allowed.empty()) return list;
  std::erase_if(list, [&](CodecId id) {
    return std::find(allowed.begin(), allowed.end(), codec_info(id).name) == allowed.end();
  });
  return list;
}

std::optional<InputFormat> classify_input(const GstCaps *caps, MediaKind pad_kind, std::string *why) {
  const char *accepted = pad_kind == MediaKind::Video
                             ? "raw video (video/x-raw, any format), H.264 (video/x-h264), VP8 (video/x-vp8) or VP9 "
                               "(video/x-vp9)"
                             : "raw audio (audio/x-raw) or Opus (audio/x-opus)";
  if (!caps || gst_caps_is_empty(caps) || !gst_caps_is_fixed(caps)) {
    *why = std::string("no fixed caps; it accepts ") + accepted;
    return std::nullopt;
  }
  const GstStructure *s = gst_caps_get_structure(caps, 0);
  std::string name = gst_structure_get_name(s);
  InputFormat f;
  f.kind = pad_kind;
  GstCapsFeatures *features = gst_caps_get_features(caps, 0);
  bool system_memory = !features || gst_caps_features_is_any(features) ||
                       gst_caps_features_contains(features, GST_CAPS_FEATURE_MEMORY_SYSTEM_MEMORY);
  if (pad_kind == MediaKind::Video && name == "video/x-raw" && system_memory) {
    f.raw = true;
  } else if (pad_kind == MediaKind::Audio && name == "audio/x-raw") {
    f.raw = true;
  } else {
    for (const auto &c : kCodecs)
      if (c.kind == pad_kind && name == c.encoded_caps) f.codec = c.id;
    if (!f.codec) {
      gchar *str = gst_caps_to_string(caps);
      *why = std::string("cannot send ") + str + "; it accepts " + accepted;
      g_free(str);
      return std::nullopt;
    }
  }
  gst_structure_get_int(s, "width", &f.width);
  gst_structure_get_int(s, "height", &f.height);
  if (f.codec == CodecId::H264) {
    if (const char *p = gst_structure_get_string(s, "profile")) f.h264_profile = p;
    if (const char *l = gst_structure_get_string(s, "level")) f.h264_level = l;
  }
  return f;
}

bool passthrough_is_browser_safe(const InputFormat &fmt) {
  if (fmt.raw || !fmt.codec) return false;
  if (*fmt.codec != CodecId::H264) return true;
  const std::string &p = fmt.h264_profile;
  // No profile in caps means we cannot know: h264parse always sets it, and
  // the sink puts h264parse first, so this is only hit for odd upstreams.
  return p == "constrained-baseline" || p == "baseline" || p == "main";
}

std::string h264_profile_level_id(const std::string &profile, const std::string &level) {
  const char *prefix = "42e0";  // constrained baseline
  if (profile == "baseline")
    prefix = "4200";
  else if (profile == "main")
    prefix = "4d00";
  else if (profile == "high")
    prefix = "6400";
  int level_idc = 0x1f;  // 3.1, a safe default every browser decodes
  if (!level.empty()) {
    if (level == "1b") {
      level_idc = 11;
    } else {
      double v = std::atof(level.c_str());
      if (v > 0) level_idc = static_cast<int>(v * 10 + 0.5);
    }
  }
  char buf[8];
  g_snprintf(buf, sizeof buf, "%s%02x", prefix, level_idc & 0xff);
  return buf;
}

CapsPtr offer_caps(const OfferedCodec &c) {
  const CodecInfo &info = codec_info(c.codec);
  GstStructure *s = gst_structure_new(
      "application/x-rtp", "media", G_TYPE_STRING, info.kind == MediaKind::Video ? "video" : "audio",
      "encoding-name", G_TYPE_STRING, info.encoding_name, "payload", G_TYPE_INT, c.pt, "clock-rate", G_TYPE_INT,
      info.kind == MediaKind::Video ? 90000 : 48000, nullptr);
  if (info.kind == MediaKind::Video) {
    gst_structure_set(s, "rtcp-fb-nack-pli", G_TYPE_BOOLEAN, TRUE, "rtcp-fb-ccm-fir", G_TYPE_BOOLEAN, TRUE,
                      "rtcp-fb-nack", G_TYPE_BOOLEAN, TRUE, nullptr);
  }
  switch (c.codec) {
    case CodecId::H264:
      gst_structure_set(s, "packetization-mode", G_TYPE_STRING, "1", "profile-level-id", G_TYPE_STRING,
                        c.profile_level_id.empty() ? "42e01f" : c.profile_level_id.c_str(),
                        "level-asymmetry-allowed", G_TYPE_STRING, "1", nullptr);
      break;
    case CodecId::VP9:
      gst_structure_set(s, "profile-id", G_TYPE_STRING, "0", nullptr);
      break;
    case CodecId::Opus:
      gst_structure_set(s, "encoding-params", G_TYPE_STRING, "2", "minptime", G_TYPE_STRING, "10",
                        "useinbandfec", G_TYPE_STRING, "1", nullptr);
      break;
    case CodecId::VP8:
      break;
  }
  if (c.twcc_ext) {
    gst_structure_set(s, ("extmap-" + std::to_string(c.twcc_ext)).c_str(), G_TYPE_STRING, kTwccUri, nullptr);
  }
  GstCaps *caps = gst_caps_new_empty();
  gst_caps_append_structure(caps, s);
  return CapsPtr(caps);
}

AnswerChoice choose_from_answer(const GstSDPMessage *answer, unsigned mline, const std::vector<OfferedCodec> &offered) {
  AnswerChoice out;
  if (mline >= gst_sdp_message_medias_len(answer)) {
    out.why = "the answer has no m-line " + std::to_string(mline);
    return out;
  }
  const GstSDPMedia *m = gst_sdp_message_get_media(answer, mline);
  std::string names;
  for (const auto &o : offered) names += std::string(names.empty() ? "" : ", ") + codec_info(o.codec).encoding_name;
  if (gst_sdp_media_get_port(m) == 0) {
    out.why = std::string("the consumer rejected the ") + gst_sdp_media_get_media(m) + " stream (offered: " + names + ")";
    return out;
  }
  for (guint i = 0; i < gst_sdp_media_formats_len(m); i++) {
    int pt = std::atoi(gst_sdp_media_get_format(m, i));
    for (const auto &o : offered) {
      if (o.pt == pt) {
        out.accepted = true;
        out.codec = o;
        // TWCC only when the answer kept our extension under our id.
        if (o.twcc_ext && twcc_extmap_id(m) != o.twcc_ext) out.codec->twcc_ext = 0;
        return out;
      }
    }
  }
  out.why = std::string("the consumer accepted none of the offered ") + gst_sdp_media_get_media(m) + " codecs (" +
            names + ")";
  return out;
}

namespace {

std::string attribute(const GstSDPMedia *m, const char *key) {
  const char *v = gst_sdp_media_get_attribute_val(m, key);
  return v ? v : "";
}

// The mids of the session's "a=group:BUNDLE ..." ("" entries never).
std::optional<std::vector<std::string>> bundle_group(const GstSDPMessage *msg) {
  for (guint i = 0;; i++) {
    const char *v = gst_sdp_message_get_attribute_val_n(msg, "group", i);
    if (!v) return std::nullopt;
    if (g_str_has_prefix(v, "BUNDLE")) {
      std::vector<std::string> mids;
      gchar **parts = g_strsplit_set(v + strlen("BUNDLE"), " \t", -1);
      for (gchar **p = parts; *p; p++)
        if (**p) mids.emplace_back(*p);
      g_strfreev(parts);
      return mids;
    }
  }
}

std::string joined(const std::vector<std::string> &v) {
  std::string out;
  for (const auto &s : v) out += (out.empty() ? "" : " ") + s;
  return out;
}

}  // namespace

std::string check_answer_structure(const GstSDPMessage *offer, const GstSDPMessage *answer) {
  const guint n = gst_sdp_message_medias_len(offer);
  if (gst_sdp_message_medias_len(answer) != n)
    return "the answer has " + std::to_string(gst_sdp_message_medias_len(answer)) + " m-lines; the offer had " +
           std::to_string(n);
  std::vector<std::string> kept;  // offered mids the answer did not reject
  for (guint i = 0; i < n; i++) {
    const GstSDPMedia *om = gst_sdp_message_get_media(offer, i);
    const GstSDPMedia *am = gst_sdp_message_get_media(answer, i);
    const std::string okind = gst_sdp_media_get_media(om) ? gst_sdp_media_get_media(om) : "";
    const std::string akind = gst_sdp_media_get_media(am) ? gst_sdp_media_get_media(am) : "";
    if (okind != akind)
      return "m-line " + std::to_string(i) + " is '" + akind + "' in the answer but '" + okind + "' in the offer";
    if (attribute(om, "mid") != attribute(am, "mid"))
      return "m-line " + std::to_string(i) + " has mid '" + attribute(am, "mid") + "' in the answer but '" +
             attribute(om, "mid") + "' in the offer";
    if (gst_sdp_media_get_port(am) != 0) kept.push_back(attribute(om, "mid"));
  }
  auto offered = bundle_group(offer);
  if (!offered) return {};  // nothing bundled, nothing for rtpfunnel to trip on
  std::vector<std::string> expected;
  for (const auto &mid : *offered)
    if (std::find(kept.begin(), kept.end(), mid) != kept.end()) expected.push_back(mid);
  auto answered = bundle_group(answer);
  if (!answered) return "the answer does not bundle its m-lines (the offer requires max-bundle)";
  if (*answered != expected)
    return "the answer's BUNDLE group '" + joined(*answered) + "' is not the offer's '" + joined(expected) + "'";
  return {};
}

}  // namespace webrtclive

namespace webrtclive {

namespace {
// Removes every payload type of `media` not in `keep`, with its rtpmap,
// fmtp and rtcp-fb lines.
void keep_payloads(GstSDPMedia *media, const std::set<std::string> &keep) {
  for (gint f = static_cast<gint>(gst_sdp_media_formats_len(media)) - 1; f >= 0; f--)
    if (!keep.count(gst_sdp_media_get_format(media, f))) gst_sdp_media_remove_format(media, f);
  for (gint a = static_cast<gint>(gst_sdp_media_attributes_len(media)) - 1; a >= 0; a--) {
    const GstSDPAttribute *attr = gst_sdp_media_get_attribute(media, a);
    if (!g_str_equal(attr->key, "rtpmap") && !g_str_equal(attr->key, "fmtp") && !g_str_equal(attr->key, "rtcp-fb"))
      continue;
    std::string value = attr->value ? attr->value : "";
    std::string pt = value.substr(0, value.find(' '));
    if (pt != "*" && !keep.count(pt)) gst_sdp_media_remove_attribute(media, a);
  }
}
}  // namespace

void keep_receivable_codecs(GstSDPMessage *msg) {
  for (guint m = 0; m < gst_sdp_message_medias_len(msg); m++) {
    GstSDPMedia *media = const_cast<GstSDPMedia *>(gst_sdp_message_get_media(msg, m));
    std::map<std::string, std::string> encoding;  // pt -> encoding name
    std::map<std::string, std::string> apt;       // rtx pt -> associated pt
    for (guint a = 0; a < gst_sdp_media_attributes_len(media); a++) {
      const GstSDPAttribute *attr = gst_sdp_media_get_attribute(media, a);
      std::string value = attr->value ? attr->value : "";
      std::string pt = value.substr(0, value.find(' '));
      std::string rest = value.find(' ') == std::string::npos ? "" : value.substr(value.find(' ') + 1);
      if (g_str_equal(attr->key, "rtpmap")) encoding[pt] = rest.substr(0, rest.find('/'));
      if (g_str_equal(attr->key, "fmtp") && rest.rfind("apt=", 0) == 0) apt[pt] = rest.substr(4);
    }
    std::set<std::string> keep;
    for (auto &[pt, name] : encoding)
      if (codec_from_encoding_name(name)) keep.insert(pt);
    for (auto &[pt, name] : encoding)
      if (g_ascii_strcasecmp(name.c_str(), "rtx") == 0 && apt.count(pt) && keep.count(apt[pt])) keep.insert(pt);
    if (keep.empty()) continue;  // nothing we take: leave it for webrtcbin to reject
    keep_payloads(media, keep);
  }
}

}  // namespace webrtclive

namespace webrtclive {

const char *depayloader_for(CodecId id) {
  switch (id) {
    case CodecId::H264:
      return "rtph264depay";
    case CodecId::VP8:
      return "rtpvp8depay";
    case CodecId::VP9:
      return "rtpvp9depay";
    case CodecId::Opus:
      return "rtpopusdepay";
  }
  return nullptr;
}

const char *parser_for(CodecId id) {
  switch (id) {
    case CodecId::H264:
      return "h264parse";
    case CodecId::VP9:
      return "vp9parse";
    case CodecId::Opus:
      return "opusparse";
    case CodecId::VP8:
      return nullptr;
  }
  return nullptr;
}

// ---- what the sink can deliver ---------------------------------------------------

bool delivered_as_is(const InputFormat &fmt, CodecId codec) {
  return !fmt.raw && fmt.codec == codec && passthrough_is_browser_safe(fmt);
}

std::vector<OfferedCodec> deliverable_codecs(const InputFormat &fmt, const std::vector<CodecId> &order,
                                             bool transcode) {
  std::vector<OfferedCodec> out;
  bool pass = !fmt.raw && delivered_as_is(fmt, *fmt.codec);
  if (pass) {
    OfferedCodec c{*fmt.codec, codec_info(*fmt.codec).default_pt, true, {}};
    if (c.codec == CodecId::H264) c.profile_level_id = h264_profile_level_id(fmt.h264_profile, fmt.h264_level);
    out.push_back(c);
  }
  if (!fmt.raw && !transcode) return out;
  if (!fmt.raw) {
    GstElementFactory *dec = gst_element_factory_find(codec_info(*fmt.codec).decoder);
    if (!dec) return out;
    gst_object_unref(dec);
  }
  for (CodecId id : order) {
    if (pass && id == *fmt.codec) continue;
    GstElementFactory *f = gst_element_factory_find(codec_info(id).encoder);
    if (!f) continue;
    gst_object_unref(f);
    out.push_back(OfferedCodec{id, codec_info(id).default_pt, false, id == CodecId::H264 ? "42e01f" : ""});
  }
  return out;
}

// ---- presets ----------------------------------------------------------------------

void configure_encoder(CodecId id, GstElement *enc, const EncoderSettings &s) {
  switch (id) {
    case CodecId::H264:
      gst_util_set_object_arg(G_OBJECT(enc), "tune", "zerolatency");
      gst_util_set_object_arg(G_OBJECT(enc), "speed-preset", "ultrafast");
      // A 300 ms VBV buffer (default 600): a fresh encoder's first keyframe
      // was 121-145 KB at 720p and 2.5 Mbit/s, ~0.5 s of the link in one
      // burst, dropped by a viewer's UDP receive buffer or a slow link;
      // 59 KB with 300 ms (docs/webrtcbin-notes.md, decision 90).
      g_object_set(enc, "bitrate", s.video_bitrate_kbps, "key-int-max", s.keyframe_interval_frames,
                   "vbv-buf-capacity", 300, nullptr);
      break;
    case CodecId::VP8:
    case CodecId::VP9:
      gst_util_set_object_arg(G_OBJECT(enc), "end-usage", "cbr");
      g_object_set(enc, "deadline", G_GINT64_CONSTANT(1), "target-bitrate", s.video_bitrate_kbps * 1000,
                   "keyframe-max-dist", s.keyframe_interval_frames, "lag-in-frames", 0, "cpu-used",
                   id == CodecId::VP8 ? 4 : 8, nullptr);
      if (id == CodecId::VP9) g_object_set(enc, "row-mt", TRUE, nullptr);
      break;
    case CodecId::Opus:
      g_object_set(enc, "bitrate", s.audio_bitrate_kbps * 1000, nullptr);
      break;
  }
}

CapsPtr encoder_output_caps(CodecId id) {
  // Constrained baseline: what Safari/iOS and every browser decode.
  if (id == CodecId::H264)
    return CapsPtr(gst_caps_from_string("video/x-h264,profile=constrained-baseline,stream-format=byte-stream"));
  return CapsPtr(gst_caps_from_string(codec_info(id).encoded_caps));
}

void configure_payloader(const OfferedCodec &c, GstElement *pay, guint ssrc) {
  g_object_set(pay, "pt", c.pt, "mtu", 1200, "ssrc", ssrc, nullptr);
  // SPS/PPS before every IDR, each NAL unit its own packet (aggregate-mode
  // none). With zero-latency aggregation every forced keyframe came with a
  // 39-byte frame Chromium could not decode: it sent a PLI, which forced the
  // next keyframe, twice a second for every viewer (webrtcbin-notes.md).
  if (c.codec == CodecId::H264) g_object_set(pay, "config-interval", -1, "aggregate-mode", 0 /* none */, nullptr);
  if (c.codec == CodecId::VP8 || c.codec == CodecId::VP9)
    gst_util_set_object_arg(G_OBJECT(pay), "picture-id-mode", "15-bit");
  // Negotiated TWCC: the payloader stamps the transport-wide sequence
  // number (rtpsession fills it in), and the consumer sends feedback.
  if (c.twcc_ext) add_twcc_extension(pay, c.twcc_ext);
}

CapsPtr payloader_caps_override(const OfferedCodec &c) {
  if (c.codec != CodecId::H264) return nullptr;
  std::string pli = c.profile_level_id.empty() ? "42e01f" : c.profile_level_id;
  return CapsPtr(gst_caps_new_simple("application/x-rtp", "profile-level-id", G_TYPE_STRING, pli.c_str(), nullptr));
}

}  // namespace webrtclive

// ---- answering a consumer's offer ---------------------------------------------------

namespace webrtclive {

namespace {

std::string media_name(const GstSDPMedia *m) { return gst_sdp_media_get_media(m) ? gst_sdp_media_get_media(m) : ""; }

// "a=fmtp:<pt> k=v;k=v" of one payload type, as a map (keys lower-case).
std::map<std::string, std::string> fmtp_of(const GstSDPMedia *m, int pt) {
  std::map<std::string, std::string> out;
  const std::string prefix = std::to_string(pt) + " ";
  for (guint i = 0;; i++) {
    const char *v = gst_sdp_media_get_attribute_val_n(m, "fmtp", i);
    if (!v) break;
    std::string value = v;
    if (value.rfind(prefix, 0) != 0) continue;
    std::stringstream ss(value.substr(prefix.size()));
    std::string item;
    while (std::getline(ss, item, ';')) {
      auto b = item.find_first_not_of(' ');
      if (b == std::string::npos) continue;
      auto eq = item.find('=');
      if (eq == std::string::npos) continue;
      out[lower(item.substr(b, eq - b))] = item.substr(eq + 1);
    }
    break;
  }
  return out;
}

// "a=rtpmap:<pt> NAME/clock[/channels]" -> NAME and clock (nothing without one).
std::optional<std::pair<std::string, int>> rtpmap_of(const GstSDPMedia *m, int pt) {
  const std::string prefix = std::to_string(pt) + " ";
  for (guint i = 0;; i++) {
    const char *v = gst_sdp_media_get_attribute_val_n(m, "rtpmap", i);
    if (!v) return std::nullopt;
    std::string value = v;
    if (value.rfind(prefix, 0) != 0) continue;
    std::string rest = value.substr(prefix.size());
    auto slash = rest.find('/');
    if (slash == std::string::npos) return std::nullopt;
    return std::make_pair(rest.substr(0, slash), std::atoi(rest.c_str() + slash + 1));
  }
}

int hex_byte(const std::string &s, size_t at) {
  if (s.size() < at + 2) return -1;
  char buf[3] = {s[at], s[at + 1], 0};
  char *end = nullptr;
  long v = std::strtol(buf, &end, 16);
  return end == buf + 2 ? static_cast<int>(v) : -1;
}

// How well an offered H.264 payload decodes ours: 0 = not at all.
int h264_fit(const std::string &ours, const std::map<std::string, std::string> &fmtp) {
  auto pm = fmtp.find("packetization-mode");
  if (pm == fmtp.end() || pm->second != "1") return 0;  // our payloader fragments (FU-A)
  auto pli = fmtp.find("profile-level-id");
  const std::string theirs = pli == fmtp.end() ? "42001f" : lower(pli->second);  // RFC 6184 default: baseline
  const int their_profile = hex_byte(theirs, 0), their_constraints = hex_byte(theirs, 2), their_level = hex_byte(theirs, 4);
  const int our_profile = hex_byte(ours, 0), our_constraints = hex_byte(ours, 2), our_level = hex_byte(ours, 4);
  if (their_profile < 0 || their_constraints < 0 || their_level < 0 || our_profile < 0) return 0;
  auto asym = fmtp.find("level-asymmetry-allowed");
  if ((asym == fmtp.end() || asym->second != "1") && their_level < our_level) return 0;
  if (our_profile == 0x42) {
    const bool our_cb = (our_constraints & 0x40) != 0;
    if (their_profile == 0x42) return ((their_constraints & 0x40) != 0) == our_cb ? 3 : 2;
    if (their_profile == 0x4d && our_cb) return 1;  // constrained baseline is a subset of main
    return 0;
  }
  if (our_profile == 0x4d) return their_profile == 0x4d ? 3 : 0;
  return 0;  // High and above are never sent (decisions.md)
}

}  // namespace

std::optional<MediaKind> media_kind(const GstSDPMedia *m) {
  const std::string kind = media_name(m);
  if (kind == "video") return MediaKind::Video;
  if (kind == "audio") return MediaKind::Audio;
  return std::nullopt;
}

bool offer_receives(const GstSDPMedia *m) {
  if (gst_sdp_media_get_attribute_val(m, "sendonly") || gst_sdp_media_get_attribute_val(m, "inactive")) return false;
  return true;
}

bool offer_sends(const GstSDPMedia *m) {
  if (gst_sdp_media_get_attribute_val(m, "recvonly") || gst_sdp_media_get_attribute_val(m, "inactive")) return false;
  return true;
}

std::string check_offer_structure(const GstSDPMessage *offer) {
  const guint n = gst_sdp_message_medias_len(offer);
  std::vector<std::string> mids;
  bool has_rtp = false;
  unsigned applications = 0;
  for (guint i = 0; i < n; i++) {
    const GstSDPMedia *m = gst_sdp_message_get_media(offer, i);
    const std::string where = "m-line " + std::to_string(i);
    const std::string kind = media_name(m);
    if (kind != "audio" && kind != "video" && kind != "application")
      return where + " is '" + kind.substr(0, 32) + "'; only audio, video and application are answered";
    // Port 0 with a=bundle-only (RFC 8843) is how a max-bundle offerer
    // (webrtcbin, Firefox) marks every bundled m-line after the first.
    const bool bundle_only = gst_sdp_media_get_attribute_val(m, "bundle-only") != nullptr;
    if (gst_sdp_media_get_port(m) == 0 && (!bundle_only || i == 0))
      return where + " is rejected (port 0) in the offer";
    if (kind == "application" && ++applications > 1) return "the offer has more than one application m-line";
    if (kind != "application") has_rtp = true;
    if (gst_sdp_media_formats_len(m) > kMaxOfferPayloads)
      return where + " lists " + std::to_string(gst_sdp_media_formats_len(m)) + " payload types; at most " +
             std::to_string(kMaxOfferPayloads) + " are accepted";
    for (guint f = 0; f < gst_sdp_media_formats_len(m) && kind != "application"; f++) {
      const char *fmt = gst_sdp_media_get_format(m, f);
      char *end = nullptr;
      long pt = std::strtol(fmt, &end, 10);
      if (!*fmt || *end || pt < 0 || pt > 127) return where + " has a payload type that is not 0-127";
    }
    std::string mid = attribute(m, "mid");
    if (mid.empty()) return where + " has no mid";
    if (mid.size() > 32) return where + " has a mid longer than 32 characters";
    if (std::find(mids.begin(), mids.end(), mid) != mids.end()) return "mid '" + mid + "' is used twice";
    mids.push_back(mid);
  }
  auto group = bundle_group(offer);
  if (!group) return "the offer does not bundle its m-lines (a=group:BUNDLE); this producer uses max-bundle";
  if (*group != mids) return "the offer's BUNDLE group is not every m-line in order (mids " + joined(mids) + ")";
  if (has_rtp && media_name(gst_sdp_message_get_media(offer, 0)) == "application")
    return "the offer bundles its data channel first; webrtcbin 1.22 cannot answer that (add the transceivers "
           "before creating a data channel)";
  return {};
}

OfferChoice choose_from_offer(const GstSDPMedia *m, const std::vector<OfferedCodec> &deliverable) {
  OfferChoice out;
  std::string offered;
  for (guint f = 0; f < gst_sdp_media_formats_len(m); f++) {
    int pt = std::atoi(gst_sdp_media_get_format(m, f));
    if (auto map = rtpmap_of(m, pt); map && g_ascii_strcasecmp(map->first.c_str(), "rtx") != 0 &&
                                     g_ascii_strcasecmp(map->first.c_str(), "red") != 0 &&
                                     g_ascii_strcasecmp(map->first.c_str(), "ulpfec") != 0) {
      std::string name = map->first.substr(0, 16);
      if (offered.find(name) == std::string::npos) offered += (offered.empty() ? "" : ", ") + name;
    }
  }
  for (const OfferedCodec &ours : deliverable) {
    const CodecInfo &info = codec_info(ours.codec);
    const int clock = info.kind == MediaKind::Video ? 90000 : 48000;
    int best_pt = -1, best_fit = 0;
    std::string best_pli;
    for (guint f = 0; f < gst_sdp_media_formats_len(m); f++) {
      const int pt = std::atoi(gst_sdp_media_get_format(m, f));
      auto map = rtpmap_of(m, pt);
      if (!map || g_ascii_strcasecmp(map->first.c_str(), info.encoding_name) != 0 || map->second != clock) continue;
      auto fmtp = fmtp_of(m, pt);
      int fit = 1;
      if (ours.codec == CodecId::H264) {
        fit = h264_fit(ours.profile_level_id.empty() ? "42e01f" : lower(ours.profile_level_id), fmtp);
      } else if (ours.codec == CodecId::VP9) {
        auto profile = fmtp.find("profile-id");
        fit = profile == fmtp.end() || profile->second == "0" ? 1 : 0;  // vp9enc makes profile 0
      }
      if (fit > best_fit) {
        best_fit = fit;
        best_pt = pt;
        auto pli = fmtp.find("profile-level-id");
        best_pli = pli == fmtp.end() ? std::string() : pli->second;
      }
    }
    if (best_pt < 0) continue;
    OfferedCodec c = ours;
    c.pt = best_pt;
    if (c.codec == CodecId::H264 && !best_pli.empty()) c.profile_level_id = best_pli;
    // The offer's id for TWCC, when we want it (ours.twcc_ext) and it offers it.
    c.twcc_ext = ours.twcc_ext && info.kind == MediaKind::Video ? twcc_extmap_id(m) : 0;
    out.codec = c;
    return out;
  }
  std::string ours;
  for (const auto &o : deliverable) {
    std::string name = codec_info(o.codec).encoding_name;
    if (o.codec == CodecId::H264) name += " " + (o.profile_level_id.empty() ? std::string("42e01f") : o.profile_level_id);
    if (ours.find(name) == std::string::npos) ours += (ours.empty() ? "" : ", ") + name;
  }
  out.why = "offered " + (offered.empty() ? std::string("nothing known") : offered) + "; this producer sends " +
            (ours.empty() ? std::string("nothing") : ours) + " (H.264 needs packetization-mode=1 and a profile that decodes it)";
  return out;
}

CapsPtr offered_payload_caps(const GstSDPMedia *m, int pt) {
  GstCaps *caps = gst_sdp_media_get_caps_from_media(m, pt);
  if (!caps) return nullptr;
  caps = gst_caps_make_writable(caps);
  for (guint i = 0; i < gst_caps_get_size(caps); i++) gst_structure_set_name(gst_caps_get_structure(caps, i), "application/x-rtp");
  return CapsPtr(caps);
}

void keep_only_payload(GstSDPMedia *m, int pt) {
  std::set<std::string> keep{std::to_string(pt)};
  for (guint f = 0; f < gst_sdp_media_formats_len(m); f++) {
    int other = std::atoi(gst_sdp_media_get_format(m, f));
    auto map = rtpmap_of(m, other);
    auto fmtp = fmtp_of(m, other);
    if (map && g_ascii_strcasecmp(map->first.c_str(), "rtx") == 0 && fmtp["apt"] == std::to_string(pt))
      keep.insert(std::to_string(other));
  }
  keep_payloads(m, keep);
}

void set_media_direction(GstSDPMedia *m, const char *direction) {
  for (gint a = static_cast<gint>(gst_sdp_media_attributes_len(m)) - 1; a >= 0; a--) {
    const std::string key = gst_sdp_media_get_attribute(m, a)->key;
    if (key == "sendrecv" || key == "sendonly" || key == "recvonly" || key == "inactive")
      gst_sdp_media_remove_attribute(m, a);
  }
  gst_sdp_media_add_attribute(m, direction, "");
}

}  // namespace webrtclive
