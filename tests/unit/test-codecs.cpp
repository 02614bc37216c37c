// SPDX-License-Identifier: LGPL-2.1-or-later
//
// What webrtclivesink decides about codecs: codec lists from properties,
// input caps it accepts or refuses (and what it tells the user), what goes
// into an offer, and what it reads back from an answer.
#include <gst/gst.h>
#include <gst/sdp/sdp.h>

#include <string>
#include <vector>

#include "codecs.h"
#include "unit-helpers.h"

using namespace webrtclive;

namespace {

CapsPtr caps(const char *text) {
  GstCaps *c = gst_caps_from_string(text);
  g_assert_nonnull(c);
  return CapsPtr(c);
}

std::string names_of(const std::vector<CodecId> &ids) {
  std::string out;
  for (auto id : ids) out += std::string(out.empty() ? "" : ",") + codec_info(id).name;
  return out;
}

std::string joined(const std::vector<std::string> &v) {
  std::string out;
  for (const auto &s : v) out += (out.empty() ? "" : "|") + s;
  return out;
}

// ---- codec lists ---------------------------------------------------------------

// A signaller's limit (a Janus room's codecs) keeps the sink's order.
void test_limit_codecs() {
  auto list = parse_codec_list("h264,vp8,vp9", MediaKind::Video, nullptr);
  UNIT_ASSERT_STR_EQ(names_of(limit_codecs(list, {})), "h264,vp8,vp9");
  UNIT_ASSERT_STR_EQ(names_of(limit_codecs(list, {"vp8", "h264"})), "h264,vp8");
  UNIT_ASSERT_STR_EQ(names_of(limit_codecs(list, {"av1"})), "");
  auto audio = parse_codec_list("opus", MediaKind::Audio, nullptr);
  UNIT_ASSERT_STR_EQ(names_of(limit_codecs(audio, {"opus", "pcmu"})), "opus");
}

void test_parse_codec_list() {
  std::vector<std::string> unknown;
  UNIT_ASSERT_STR_EQ(names_of(parse_codec_list("vp8,h264", MediaKind::Video, &unknown)), "vp8,h264");
  g_assert_true(unknown.empty());
  UNIT_ASSERT_STR_EQ(names_of(parse_codec_list("h264,vp9,vp8", MediaKind::Video, &unknown)), "h264,vp9,vp8");
  g_assert_true(unknown.empty());

  // Duplicates dropped, first position kept; blanks and spaces tolerated.
  UNIT_ASSERT_STR_EQ(names_of(parse_codec_list(" vp9 , h264,vp9,,h264 ", MediaKind::Video, &unknown)), "vp9,h264");
  g_assert_true(unknown.empty());

  // Names are case-insensitive.
  UNIT_ASSERT_STR_EQ(names_of(parse_codec_list("H264,Vp8", MediaKind::Video, &unknown)), "h264,vp8");
  g_assert_true(unknown.empty());

  // Unknown names are reported and left out.
  UNIT_ASSERT_STR_EQ(names_of(parse_codec_list("h265,vp8,av1", MediaKind::Video, &unknown)), "vp8");
  UNIT_ASSERT_STR_EQ(joined(unknown), "h265|av1");

  // Names of the other kind are reported too.
  unknown.clear();
  UNIT_ASSERT_STR_EQ(names_of(parse_codec_list("opus,h264", MediaKind::Video, &unknown)), "h264");
  UNIT_ASSERT_STR_EQ(joined(unknown), "opus");
  unknown.clear();
  UNIT_ASSERT_STR_EQ(names_of(parse_codec_list("h264,opus,vp8", MediaKind::Audio, &unknown)), "opus");
  UNIT_ASSERT_STR_EQ(joined(unknown), "h264|vp8");

  // Empty list: nothing, nothing unknown; no list for unknowns is fine.
  unknown.clear();
  g_assert_true(parse_codec_list("", MediaKind::Video, &unknown).empty());
  g_assert_true(unknown.empty());
  UNIT_ASSERT_STR_EQ(names_of(parse_codec_list("bogus,opus", MediaKind::Audio, nullptr)), "opus");
}

void test_codec_names() {
  g_assert_true(codec_from_name("h264") == CodecId::H264);
  g_assert_true(codec_from_name("OPUS") == CodecId::Opus);
  g_assert_false(codec_from_name("h265").has_value());
  g_assert_true(codec_from_encoding_name("H264") == CodecId::H264);
  g_assert_true(codec_from_encoding_name("VP8") == CodecId::VP8);
  g_assert_true(codec_from_encoding_name("vp9") == CodecId::VP9);
  g_assert_true(codec_from_encoding_name("OPUS") == CodecId::Opus);
  g_assert_false(codec_from_encoding_name("PCMU").has_value());
  UNIT_ASSERT_STR_EQ(codec_info(CodecId::Opus).encoding_name, "OPUS");
  g_assert_true(codec_info(CodecId::VP8).kind == MediaKind::Video);
  g_assert_true(codec_info(CodecId::Opus).kind == MediaKind::Audio);
}

// ---- input caps ---------------------------------------------------------------------

void test_classify_raw() {
  std::string why;
  auto v = classify_input(caps("video/x-raw,format=I420,width=1280,height=720,framerate=30/1").get(),
                          MediaKind::Video, &why);
  g_assert_true(v.has_value());
  g_assert_true(v->raw);
  g_assert_true(v->kind == MediaKind::Video);
  g_assert_false(v->codec.has_value());
  g_assert_cmpint(v->width, ==, 1280);
  g_assert_cmpint(v->height, ==, 720);

  // Any raw format.
  v = classify_input(caps("video/x-raw,format=BGRx,width=64,height=48,framerate=0/1").get(), MediaKind::Video, &why);
  g_assert_true(v && v->raw);

  auto a = classify_input(caps("audio/x-raw,format=S16LE,layout=interleaved,rate=48000,channels=2").get(),
                          MediaKind::Audio, &why);
  g_assert_true(a.has_value());
  g_assert_true(a->raw);
  g_assert_true(a->kind == MediaKind::Audio);
  g_assert_false(a->codec.has_value());
  a = classify_input(caps("audio/x-raw,format=F32LE,layout=interleaved,rate=44100,channels=1").get(),
                     MediaKind::Audio, &why);
  g_assert_true(a && a->raw);
}

void test_classify_encoded() {
  std::string why;
  auto h = classify_input(caps("video/x-h264,stream-format=byte-stream,alignment=au,profile=main,level=(string)4,"
                               "width=1920,height=1080,framerate=30/1")
                              .get(),
                          MediaKind::Video, &why);
  g_assert_true(h.has_value());
  g_assert_false(h->raw);
  g_assert_true(h->codec == CodecId::H264);
  UNIT_ASSERT_STR_EQ(h->h264_profile, "main");
  UNIT_ASSERT_STR_EQ(h->h264_level, "4");
  g_assert_cmpint(h->width, ==, 1920);
  g_assert_cmpint(h->height, ==, 1080);

  h = classify_input(caps("video/x-h264,stream-format=avc,alignment=au,profile=constrained-baseline,"
                          "level=(string)3.1")
                         .get(),
                     MediaKind::Video, &why);
  g_assert_true(h && h->codec == CodecId::H264);
  UNIT_ASSERT_STR_EQ(h->h264_profile, "constrained-baseline");
  UNIT_ASSERT_STR_EQ(h->h264_level, "3.1");

  // Without profile/level (before h264parse): still H.264, fields empty.
  h = classify_input(caps("video/x-h264,stream-format=byte-stream").get(), MediaKind::Video, &why);
  g_assert_true(h && h->codec == CodecId::H264);
  g_assert_true(h->h264_profile.empty());
  g_assert_true(h->h264_level.empty());

  auto vp8 = classify_input(caps("video/x-vp8,width=640,height=480,framerate=30/1").get(), MediaKind::Video, &why);
  g_assert_true(vp8 && !vp8->raw && vp8->codec == CodecId::VP8);
  g_assert_cmpint(vp8->width, ==, 640);
  g_assert_true(vp8->h264_profile.empty());

  auto vp9 = classify_input(caps("video/x-vp9,width=640,height=480,profile=(string)0").get(), MediaKind::Video, &why);
  g_assert_true(vp9 && !vp9->raw && vp9->codec == CodecId::VP9);

  auto opus = classify_input(caps("audio/x-opus,rate=48000,channels=2,channel-mapping-family=0").get(),
                             MediaKind::Audio, &why);
  g_assert_true(opus && !opus->raw && opus->codec == CodecId::Opus);
  g_assert_true(opus->kind == MediaKind::Audio);
}

void test_classify_refusals() {
  std::string why;
  // H.265 on a video pad: the sentence names what it got and every accepted format.
  auto r = classify_input(caps("video/x-h265,stream-format=byte-stream,alignment=au").get(), MediaKind::Video, &why);
  g_assert_false(r.has_value());
  UNIT_ASSERT_CONTAINS(why, "video/x-h265");
  UNIT_ASSERT_CONTAINS(why, "video/x-raw");
  UNIT_ASSERT_CONTAINS(why, "video/x-h264");
  UNIT_ASSERT_CONTAINS(why, "video/x-vp8");
  UNIT_ASSERT_CONTAINS(why, "video/x-vp9");
  g_assert_true(why.find("audio/") == std::string::npos);

  // Audio on a video pad.
  why.clear();
  r = classify_input(caps("audio/x-raw,format=S16LE,layout=interleaved,rate=48000,channels=2").get(),
                     MediaKind::Video, &why);
  g_assert_false(r.has_value());
  UNIT_ASSERT_CONTAINS(why, "audio/x-raw");
  UNIT_ASSERT_CONTAINS(why, "raw video");
  UNIT_ASSERT_CONTAINS(why, "video/x-h264");

  // Opus on a video pad, VP8 on an audio pad.
  why.clear();
  g_assert_false(classify_input(caps("audio/x-opus,rate=48000,channels=2").get(), MediaKind::Video, &why));
  UNIT_ASSERT_CONTAINS(why, "audio/x-opus");
  why.clear();
  g_assert_false(classify_input(caps("video/x-vp8,width=64,height=64").get(), MediaKind::Audio, &why));
  UNIT_ASSERT_CONTAINS(why, "video/x-vp8");
  UNIT_ASSERT_CONTAINS(why, "audio/x-raw");
  UNIT_ASSERT_CONTAINS(why, "audio/x-opus");

  // AAC on an audio pad.
  why.clear();
  g_assert_false(classify_input(caps("audio/mpeg,mpegversion=4,rate=48000,channels=2").get(), MediaKind::Audio, &why));
  UNIT_ASSERT_CONTAINS(why, "audio/mpeg");
  UNIT_ASSERT_CONTAINS(why, "audio/x-opus");

  // Raw video not in system memory.
  why.clear();
  g_assert_false(classify_input(caps("video/x-raw(memory:GLMemory),format=RGBA,width=64,height=64,texture-target=2D")
                                    .get(),
                                MediaKind::Video, &why));
  UNIT_ASSERT_CONTAINS(why, "GLMemory");
  UNIT_ASSERT_CONTAINS(why, "video/x-raw");

  // Unfixed, empty or missing caps.
  why.clear();
  g_assert_false(classify_input(caps("video/x-raw,width=[1,1920]").get(), MediaKind::Video, &why));
  UNIT_ASSERT_CONTAINS(why, "fixed");
  why.clear();
  CapsPtr empty(gst_caps_new_empty());
  g_assert_false(classify_input(empty.get(), MediaKind::Video, &why));
  UNIT_ASSERT_CONTAINS(why, "video/x-raw");
  why.clear();
  g_assert_false(classify_input(nullptr, MediaKind::Audio, &why));
  UNIT_ASSERT_CONTAINS(why, "audio/x-opus");
}

InputFormat h264(const char *profile) {
  std::string why;
  std::string text = std::string("video/x-h264,stream-format=byte-stream,alignment=au,level=(string)4") +
                     (profile ? std::string(",profile=") + profile : std::string());
  auto f = classify_input(caps(text.c_str()).get(), MediaKind::Video, &why);
  g_assert_true(f.has_value());
  return *f;
}

void test_passthrough_is_browser_safe() {
  g_assert_true(passthrough_is_browser_safe(h264("constrained-baseline")));
  g_assert_true(passthrough_is_browser_safe(h264("baseline")));
  g_assert_true(passthrough_is_browser_safe(h264("main")));
  g_assert_false(passthrough_is_browser_safe(h264("high")));
  g_assert_false(passthrough_is_browser_safe(h264("high-10")));
  g_assert_false(passthrough_is_browser_safe(h264("high-4:4:4")));
  g_assert_false(passthrough_is_browser_safe(h264(nullptr)));  // unknown profile

  std::string why;
  auto vp8 = classify_input(caps("video/x-vp8,width=64,height=64").get(), MediaKind::Video, &why);
  g_assert_true(passthrough_is_browser_safe(*vp8));
  auto vp9 = classify_input(caps("video/x-vp9,width=64,height=64").get(), MediaKind::Video, &why);
  g_assert_true(passthrough_is_browser_safe(*vp9));
  auto opus = classify_input(caps("audio/x-opus,rate=48000,channels=2").get(), MediaKind::Audio, &why);
  g_assert_true(passthrough_is_browser_safe(*opus));
  // Raw input is never passed through.
  auto raw = classify_input(caps("video/x-raw,format=I420,width=64,height=64").get(), MediaKind::Video, &why);
  g_assert_false(passthrough_is_browser_safe(*raw));
}

void test_h264_profile_level_id() {
  UNIT_ASSERT_STR_EQ(h264_profile_level_id("constrained-baseline", "3.1"), "42e01f");
  UNIT_ASSERT_STR_EQ(h264_profile_level_id("main", "4"), "4d0028");
  UNIT_ASSERT_STR_EQ(h264_profile_level_id("main", "5.1"), "4d0033");
  UNIT_ASSERT_STR_EQ(h264_profile_level_id("baseline", "3"), "42001e");
  UNIT_ASSERT_STR_EQ(h264_profile_level_id("constrained-baseline", "4.2"), "42e02a");
  std::string high = h264_profile_level_id("high", "4");
  UNIT_ASSERT_STR_EQ(high.substr(0, 2), "64");
  UNIT_ASSERT_STR_EQ(high, "640028");
  // Level unknown: 3.1, which every browser decodes.
  UNIT_ASSERT_STR_EQ(h264_profile_level_id("constrained-baseline", ""), "42e01f");
  UNIT_ASSERT_STR_EQ(h264_profile_level_id("main", ""), "4d001f");
  // Always six lowercase hex digits.
  for (const char *p : {"constrained-baseline", "baseline", "main", "high"})
    for (const char *l : {"1", "1.1", "2", "3", "3.1", "4", "5.2", ""}) {
      std::string id = h264_profile_level_id(p, l);
      g_assert_cmpuint(id.size(), ==, 6);
      for (char ch : id) g_assert_true(g_ascii_isxdigit(ch) && !g_ascii_isupper(ch));
    }
}

// ---- offers ---------------------------------------------------------------------------

std::string field(const GstStructure *s, const char *name) {
  const GValue *v = gst_structure_get_value(s, name);
  if (!v) return "<absent>";
  if (G_VALUE_HOLDS_STRING(v)) return g_value_get_string(v);
  gchar *t = gst_value_serialize(v);
  std::string out = t ? t : "?";
  g_free(t);
  return out;
}

void test_offer_caps_h264() {
  CapsPtr c = offer_caps(OfferedCodec{CodecId::H264, 102, true, "4d0028"});
  g_assert_cmpuint(gst_caps_get_size(c.get()), ==, 1);
  const GstStructure *s = gst_caps_get_structure(c.get(), 0);
  UNIT_ASSERT_STR_EQ(gst_structure_get_name(s), "application/x-rtp");
  UNIT_ASSERT_STR_EQ(field(s, "media"), "video");
  UNIT_ASSERT_STR_EQ(field(s, "encoding-name"), "H264");
  int pt = 0, rate = 0;
  g_assert_true(gst_structure_get_int(s, "payload", &pt));
  g_assert_cmpint(pt, ==, 102);
  g_assert_true(gst_structure_get_int(s, "clock-rate", &rate));
  g_assert_cmpint(rate, ==, 90000);
  // SDP fmtp parameters are strings.
  g_assert_true(G_VALUE_HOLDS_STRING(gst_structure_get_value(s, "packetization-mode")));
  UNIT_ASSERT_STR_EQ(field(s, "packetization-mode"), "1");
  UNIT_ASSERT_STR_EQ(field(s, "profile-level-id"), "4d0028");
  gboolean pli = FALSE;
  g_assert_true(gst_structure_get_boolean(s, "rtcp-fb-nack-pli", &pli) && pli);

  // No profile-level-id given: constrained baseline 3.1.
  c = offer_caps(OfferedCodec{CodecId::H264, 96, false, ""});
  UNIT_ASSERT_STR_EQ(field(gst_caps_get_structure(c.get(), 0), "profile-level-id"), "42e01f");
}

void test_offer_caps_opus_vp8_vp9() {
  CapsPtr c = offer_caps(OfferedCodec{CodecId::Opus, 111, false, ""});
  const GstStructure *s = gst_caps_get_structure(c.get(), 0);
  UNIT_ASSERT_STR_EQ(field(s, "media"), "audio");
  UNIT_ASSERT_STR_EQ(field(s, "encoding-name"), "OPUS");
  int pt = 0, rate = 0;
  g_assert_true(gst_structure_get_int(s, "payload", &pt));
  g_assert_cmpint(pt, ==, 111);
  g_assert_true(gst_structure_get_int(s, "clock-rate", &rate));
  g_assert_cmpint(rate, ==, 48000);
  UNIT_ASSERT_STR_EQ(field(s, "encoding-params"), "2");
  UNIT_ASSERT_STR_EQ(field(s, "profile-level-id"), "<absent>");
  UNIT_ASSERT_STR_EQ(field(s, "rtcp-fb-nack-pli"), "<absent>");

  c = offer_caps(OfferedCodec{CodecId::VP8, 97, false, ""});
  s = gst_caps_get_structure(c.get(), 0);
  UNIT_ASSERT_STR_EQ(field(s, "encoding-name"), "VP8");
  UNIT_ASSERT_STR_EQ(field(s, "media"), "video");
  g_assert_true(gst_structure_get_int(s, "payload", &pt));
  g_assert_cmpint(pt, ==, 97);
  g_assert_true(gst_structure_get_int(s, "clock-rate", &rate));
  g_assert_cmpint(rate, ==, 90000);
  UNIT_ASSERT_STR_EQ(field(s, "packetization-mode"), "<absent>");

  c = offer_caps(OfferedCodec{CodecId::VP9, 98, false, ""});
  s = gst_caps_get_structure(c.get(), 0);
  UNIT_ASSERT_STR_EQ(field(s, "encoding-name"), "VP9");
  UNIT_ASSERT_STR_EQ(field(s, "profile-id"), "0");
}

// ---- answers ----------------------------------------------------------------------------

struct Sdp {
  GstSDPMessage *msg = nullptr;
  explicit Sdp(const std::string &text) {
    g_assert_cmpint(gst_sdp_message_new_from_text(text.c_str(), &msg), ==, GST_SDP_OK);
  }
  ~Sdp() { gst_sdp_message_free(msg); }
};

const char *const kHead = "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
                          "a=group:BUNDLE 0 1\r\n";

std::string video_mline(const char *port, const char *pts, const std::string &rtpmaps) {
  return std::string("m=video ") + port + " UDP/TLS/RTP/SAVPF " + pts + "\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n" +
         rtpmaps;
}
std::string audio_mline(const char *port, const char *pts, const std::string &rtpmaps) {
  return std::string("m=audio ") + port + " UDP/TLS/RTP/SAVPF " + pts + "\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\n" +
         rtpmaps;
}

const std::vector<OfferedCodec> kVideoOffer = {
    {CodecId::H264, 96, true, "42e01f"},
    {CodecId::VP8, 97, false, ""},
    {CodecId::VP9, 98, false, ""},
};
const std::vector<OfferedCodec> kAudioOffer = {{CodecId::Opus, 111, false, ""}};

void test_answer_accepts_first_in_answer_order() {
  // The answer lists VP8 before H.264: the consumer prefers VP8.
  Sdp a(std::string(kHead) +
        video_mline("9", "97 96", "a=rtpmap:97 VP8/90000\r\na=rtpmap:96 H264/90000\r\n") +
        audio_mline("9", "111", "a=rtpmap:111 opus/48000/2\r\n"));
  AnswerChoice v = choose_from_answer(a.msg, 0, kVideoOffer);
  g_assert_true(v.accepted);
  g_assert_true(v.codec.has_value());
  g_assert_true(v.codec->codec == CodecId::VP8);
  g_assert_cmpint(v.codec->pt, ==, 97);
  g_assert_false(v.codec->passthrough);

  AnswerChoice au = choose_from_answer(a.msg, 1, kAudioOffer);
  g_assert_true(au.accepted);
  g_assert_true(au.codec->codec == CodecId::Opus);
  g_assert_cmpint(au.codec->pt, ==, 111);

  // Same offer, answer keeps H.264 first: the passthrough entry comes back.
  Sdp b(std::string(kHead) + video_mline("9", "96 98", "a=rtpmap:96 H264/90000\r\na=rtpmap:98 VP9/90000\r\n"));
  v = choose_from_answer(b.msg, 0, kVideoOffer);
  g_assert_true(v.accepted);
  g_assert_true(v.codec->codec == CodecId::H264);
  g_assert_true(v.codec->passthrough);
  UNIT_ASSERT_STR_EQ(v.codec->profile_level_id, "42e01f");

  // Payload types the offer did not have (rtx, red, ...) are skipped.
  Sdp c(std::string(kHead) + video_mline("9", "99 120 98", "a=rtpmap:99 rtx/90000\r\na=rtpmap:120 red/90000\r\n"
                                                           "a=rtpmap:98 VP9/90000\r\n"));
  v = choose_from_answer(c.msg, 0, kVideoOffer);
  g_assert_true(v.accepted);
  g_assert_true(v.codec->codec == CodecId::VP9);
}

void test_answer_rejected_mline() {
  Sdp a(std::string(kHead) + video_mline("0", "96", "a=rtpmap:96 H264/90000\r\n") +
        audio_mline("9", "111", "a=rtpmap:111 opus/48000/2\r\n"));
  AnswerChoice v = choose_from_answer(a.msg, 0, kVideoOffer);
  g_assert_false(v.accepted);
  g_assert_false(v.codec.has_value());
  UNIT_ASSERT_CONTAINS(v.why, "rejected");
  UNIT_ASSERT_CONTAINS(v.why, "video");
  // The other m-line is unaffected.
  g_assert_true(choose_from_answer(a.msg, 1, kAudioOffer).accepted);
}

void test_answer_no_common_codec() {
  Sdp a(std::string(kHead) + video_mline("9", "100 101", "a=rtpmap:100 AV1/90000\r\na=rtpmap:101 H265/90000\r\n"));
  AnswerChoice v = choose_from_answer(a.msg, 0, kVideoOffer);
  g_assert_false(v.accepted);
  g_assert_false(v.codec.has_value());
  UNIT_ASSERT_CONTAINS(v.why, "H264");
  UNIT_ASSERT_CONTAINS(v.why, "VP8");
  UNIT_ASSERT_CONTAINS(v.why, "VP9");
  UNIT_ASSERT_CONTAINS(v.why, "video");
}

void test_answer_missing_mline() {
  Sdp a(std::string(kHead) + video_mline("9", "96", "a=rtpmap:96 H264/90000\r\n"));
  AnswerChoice au = choose_from_answer(a.msg, 1, kAudioOffer);
  g_assert_false(au.accepted);
  g_assert_false(au.codec.has_value());
  UNIT_ASSERT_CONTAINS(au.why, "m-line");
  UNIT_ASSERT_CONTAINS(au.why, "1");

  Sdp none("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n");
  AnswerChoice v = choose_from_answer(none.msg, 0, kVideoOffer);
  g_assert_false(v.accepted);
  UNIT_ASSERT_CONTAINS(v.why, "m-line");
}


// ---- a consumer's offer (the sink answers) -------------------------------------------

// Chromium's video m-line: VP8, H.264 in several profiles (one without
// packetization-mode), High last, RTX.
const char *const kChromiumVideo =
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103 104 106 108 112 113\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\na=recvonly\r\n"
    "a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack\r\n"
    "a=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n"
    "a=rtpmap:102 H264/90000\r\na=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f\r\n"
    "a=rtpmap:103 rtx/90000\r\na=fmtp:103 apt=102\r\n"
    "a=rtpmap:104 H264/90000\r\na=fmtp:104 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f\r\n"
    "a=rtpmap:106 H264/90000\r\na=fmtp:106 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n"
    "a=rtpmap:108 H264/90000\r\na=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f\r\n"
    "a=rtpmap:112 H264/90000\r\na=fmtp:112 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=640032\r\n"
    "a=rtpmap:113 rtx/90000\r\na=fmtp:113 apt=112\r\n";
const char *const kChromiumAudio =
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=recvonly\r\n"
    "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\na=rtpmap:0 PCMU/8000\r\n";

std::string chromium_offer() {
  return std::string(kHead) + kChromiumAudio + kChromiumVideo;
}

void test_offer_choice_h264() {
  Sdp offer(chromium_offer());
  const GstSDPMedia *video = gst_sdp_message_get_media(offer.msg, 1);
  // x264's constrained baseline (encoded): the exact profile, mode 1.
  OfferChoice c = choose_from_offer(video, {OfferedCodec{CodecId::H264, 96, false, "42e01f"}});
  g_assert_true(c.codec.has_value());
  g_assert_cmpint(c.codec->pt, ==, 106);
  UNIT_ASSERT_STR_EQ(c.codec->profile_level_id, "42e01f");
  // Baseline input as it is: the baseline payload.
  c = choose_from_offer(video, {OfferedCodec{CodecId::H264, 96, true, "42001e"}});
  g_assert_cmpint(c.codec->pt, ==, 102);
  // Main input as it is: main, never High.
  c = choose_from_offer(video, {OfferedCodec{CodecId::H264, 96, true, "4d0028"}});
  g_assert_cmpint(c.codec->pt, ==, 108);
  // Our order decides between codecs: VP8 first takes VP8.
  c = choose_from_offer(video, {OfferedCodec{CodecId::VP8, 97, false, ""}, OfferedCodec{CodecId::H264, 96, false, "42e01f"}});
  g_assert_true(c.codec->codec == CodecId::VP8);
  g_assert_cmpint(c.codec->pt, ==, 96);
  // Nothing fits: VP9 only.
  c = choose_from_offer(video, {OfferedCodec{CodecId::VP9, 98, false, ""}});
  g_assert_false(c.codec.has_value());
  UNIT_ASSERT_CONTAINS(c.why, "offered VP8, H264");
  UNIT_ASSERT_CONTAINS(c.why, "VP9");
  // Opus on the audio m-line, with the offer's payload type.
  c = choose_from_offer(gst_sdp_message_get_media(offer.msg, 0), {OfferedCodec{CodecId::Opus, 111, false, ""}});
  g_assert_cmpint(c.codec->pt, ==, 111);
}

void test_offer_choice_h264_mode0_only() {
  Sdp offer(std::string(kHead) + kChromiumAudio +
            "m=video 9 UDP/TLS/RTP/SAVPF 104\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\na=rtpmap:104 H264/90000\r\n"
            "a=fmtp:104 packetization-mode=0;profile-level-id=42e01f\r\n");
  OfferChoice c = choose_from_offer(gst_sdp_message_get_media(offer.msg, 1), {OfferedCodec{CodecId::H264, 96, false, "42e01f"}});
  g_assert_false(c.codec.has_value());
  UNIT_ASSERT_CONTAINS(c.why, "packetization-mode=1");
}

void test_offer_structure() {
  Sdp good(chromium_offer());
  UNIT_ASSERT_STR_EQ(check_offer_structure(good.msg), "");
  auto refused = [](const std::string &text, const char *why) {
    Sdp o(text);
    UNIT_ASSERT_CONTAINS(check_offer_structure(o.msg), why);
  };
  std::string text = chromium_offer();
  refused(std::string(text).replace(text.find("a=group:BUNDLE 0 1\r\n"), 20, ""), "does not bundle");
  refused(std::string(text).replace(text.find("BUNDLE 0 1"), 10, "BUNDLE 1 0"), "in order");
  refused(std::string(text).replace(text.find("a=mid:1"), 7, "a=mid:0"), "used twice");
  refused(std::string(text).replace(text.find("m=audio 9"), 9, "m=audio 0"), "port 0");
  refused(std::string(text).replace(text.find("m=audio"), 7, "m=text"), "only audio, video and application");
  std::string many = std::string(kHead) + kChromiumAudio + "m=video 9 UDP/TLS/RTP/SAVPF";
  for (int pt = 0; pt < 60; pt++) many += " " + std::to_string(pt + 60);
  many += "\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\n";
  refused(many, "at most 48");
  // webrtcbin's own max-bundle offer: later m-lines port 0 + bundle-only.
  Sdp bundle_only(std::string(text).replace(text.find("m=video 9"), 9, "m=video 0").replace(
      text.find("a=mid:1"), 7, "a=mid:1\r\na=bundle-only"));
  UNIT_ASSERT_STR_EQ(check_offer_structure(bundle_only.msg), "");
}

void test_keep_only_payload() {
  Sdp offer(chromium_offer());
  auto *video = const_cast<GstSDPMedia *>(gst_sdp_message_get_media(offer.msg, 1));
  keep_only_payload(video, 102);
  g_assert_cmpuint(gst_sdp_media_formats_len(video), ==, 2);
  UNIT_ASSERT_STR_EQ(gst_sdp_media_get_format(video, 0), "102");
  UNIT_ASSERT_STR_EQ(gst_sdp_media_get_format(video, 1), "103");  // its RTX
  set_media_direction(video, "inactive");
  g_assert_nonnull(gst_sdp_media_get_attribute_val(video, "inactive"));
  g_assert_null(gst_sdp_media_get_attribute_val(video, "recvonly"));
}

}  // namespace

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  g_test_init(&argc, &argv, nullptr);
  g_test_add_func("/codecs/parse-codec-list", test_parse_codec_list);
  g_test_add_func("/codecs/limit-codecs", test_limit_codecs);
  g_test_add_func("/codecs/names", test_codec_names);
  g_test_add_func("/codecs/classify/raw", test_classify_raw);
  g_test_add_func("/codecs/classify/encoded", test_classify_encoded);
  g_test_add_func("/codecs/classify/refusals", test_classify_refusals);
  g_test_add_func("/codecs/passthrough-is-browser-safe", test_passthrough_is_browser_safe);
  g_test_add_func("/codecs/h264-profile-level-id", test_h264_profile_level_id);
  g_test_add_func("/codecs/offer-caps/h264", test_offer_caps_h264);
  g_test_add_func("/codecs/offer-caps/opus-vp8-vp9", test_offer_caps_opus_vp8_vp9);
  g_test_add_func("/codecs/answer/first-in-answer-order", test_answer_accepts_first_in_answer_order);
  g_test_add_func("/codecs/answer/rejected-mline", test_answer_rejected_mline);
  g_test_add_func("/codecs/answer/no-common-codec", test_answer_no_common_codec);
  g_test_add_func("/codecs/answer/missing-mline", test_answer_missing_mline);
  g_test_add_func("/codecs/offer/choice-h264", test_offer_choice_h264);
  g_test_add_func("/codecs/offer/h264-mode0-only", test_offer_choice_h264_mode0_only);
  g_test_add_func("/codecs/offer/structure", test_offer_structure);
  g_test_add_func("/codecs/offer/keep-only-payload", test_keep_only_payload);
  return g_test_run();
}
