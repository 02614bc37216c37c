// SPDX-License-Identifier: LGPL-2.1-or-later
//
// What webrtclivesink knows about codecs: which caps it takes, how to encode,
// parse, decode and payload each codec, what to put in an offer, and how to
// read the consumer's choice back from an answer. Pure functions over caps
// and SDP; unit-tested without a pipeline.
#pragma once

#include <gst/gst.h>
#include <gst/sdp/sdp.h>

#include <optional>
#include <string>
#include <vector>

#include "gobj.h"

namespace webrtclive {

enum class MediaKind { Video, Audio };
enum class CodecId { H264, VP8, VP9, Opus };

struct CodecInfo {
  CodecId id;
  const char *name;           // as in the `video-codecs` property: "h264"
  MediaKind kind;
  const char *encoding_name;  // RTP/SDP name: "H264"
  const char *encoded_caps;   // media type of the elementary stream
  const char *encoder;        // element factory
  const char *decoder;        // element factory (for transcoding)
  const char *payloader;      // element factory
  int default_pt;
};

const CodecInfo &codec_info(CodecId id);
std::optional<CodecId> codec_from_name(const std::string &name);
std::optional<CodecId> codec_from_encoding_name(const std::string &encoding_name);

// Parses a comma-separated codec list ("h264,vp8"); unknown names are
// returned in `unknown`.
std::vector<CodecId> parse_codec_list(const std::string &list, MediaKind kind, std::vector<std::string> *unknown);
// `list` without the codecs `allowed` does not name (names as in
// video-codecs: "vp8"); `allowed` empty = all of `list`. Order kept.
std::vector<CodecId> limit_codecs(std::vector<CodecId> list, const std::vector<std::string> &allowed);

// What arrived on an input pad.
struct InputFormat {
  MediaKind kind = MediaKind::Video;
  bool raw = false;
  std::optional<CodecId> codec;      // for encoded input
  std::string h264_profile;          // from caps, may be empty
  std::string h264_level;            // from caps, may be empty
  int width = 0, height = 0;
};

// Classifies input caps. Returns nullopt (and a user-facing sentence in
// `why`) when the element cannot send them.
std::optional<InputFormat> classify_input(const GstCaps *caps, MediaKind pad_kind, std::string *why);

// Whether pre-encoded input can be sent to browsers as it is. H.264 High and
// above are not: Debian's Chromium rejects them and webrtcbin 1.22 aborts on
// the rejected bundled m-line (see docs/decisions.md).
bool passthrough_is_browser_safe(const InputFormat &fmt);

// profile-level-id for an H.264 stream of that profile/level ("42e01f"...).
std::string h264_profile_level_id(const std::string &profile, const std::string &level);

// One entry of an offer's m-line.
struct OfferedCodec {
  CodecId codec;
  int pt;
  bool passthrough;  // the input as it is (no encoder)
  std::string profile_level_id;  // H.264 only
  int twcc_ext = 0;  // the TWCC header extension's id on this m-line, 0 = none (core/twcc.h)
};

// The RTP caps for one offered codec, as transceiver codec-preferences.
CapsPtr offer_caps(const OfferedCodec &c);

// What the answer says about one m-line.
struct AnswerChoice {
  bool accepted = false;
  std::optional<OfferedCodec> codec;  // the first of ours the answer kept
  std::string why;                    // when not accepted
};
AnswerChoice choose_from_answer(const GstSDPMessage *answer, unsigned mline, const std::vector<OfferedCodec> &offered);

// What webrtcbin 1.22 must never see in an answer to `offer`, checked before
// set-remote-description: another number of m-lines, an m-line of another
// kind or mid than offered, or a BUNDLE group that is not the offer's (in
// the offer's order, less rejected m-lines). An answer bundling the
// data-channel mid first aborts the process in _connect_rtpfunnel (fixed
// upstream in 1.25). Returns "" when the answer is sound, else why not.
std::string check_answer_structure(const GstSDPMessage *offer, const GstSDPMessage *answer);

// ---- answering a consumer's offer (webrtclivesink as the answerer) ----

// At most this many payload types per offered m-line (Chromium offers ~20
// for video); more is refused before webrtcbin sees the offer.
inline constexpr unsigned kMaxOfferPayloads = 48;

// What webrtcbin 1.22 must never see in a consumer's offer, checked before
// set-remote-description: an m-line that is not audio, video or application,
// a rejected one (port 0 without a=bundle-only, or the first), a missing, overlong or repeated mid, more than
// one application m-line, too many payload types, or a BUNDLE group that is
// not every m-line in order (webrtclivesink is max-bundle), or one that
// starts with the data channel while media follow (webrtcbin 1.22 aborts in
// _connect_rtpfunnel when the bundle's first m-line is not RTP). "" = sound.
std::string check_offer_structure(const GstSDPMessage *offer);

// The m-line's kind ("audio"/"video"), nothing for anything else.
std::optional<MediaKind> media_kind(const GstSDPMedia *m);
// Whether the offerer wants to receive on this m-line (sendrecv, recvonly;
// no direction attribute means sendrecv) / sends on it (sendrecv, sendonly).
bool offer_receives(const GstSDPMedia *m);
bool offer_sends(const GstSDPMedia *m);

// The codec we send on an offered m-line: the first of `deliverable` (our
// order: the input as it is first, so shared branches are reused) that
// one of the offer's payload types carries, with the offer's payload type
// (and, for H.264, its profile-level-id). H.264 needs packetization-mode=1
// and a profile that decodes ours: constrained baseline → a baseline,
// constrained-baseline or main payload (the closest first), main → main.
// Never High (see docs/decisions.md). Nothing, and why, when none fits.
struct OfferChoice {
  std::optional<OfferedCodec> codec;
  std::string why;
};
OfferChoice choose_from_offer(const GstSDPMedia *m, const std::vector<OfferedCodec> &deliverable);

// The offer's caps for one payload type (application/x-rtp, its fmtp and
// rtcp-fb), as transceiver codec-preferences: webrtcbin's answer is the
// intersection of the offer with them, so it can only be this payload.
CapsPtr offered_payload_caps(const GstSDPMedia *m, int pt);

// Edits an offer's m-line before webrtcbin sees it: keep only payload `pt`
// (and its RTX), so the answer names that codec alone.
void keep_only_payload(GstSDPMedia *m, int pt);
// Replaces the m-line's direction attribute (sendrecv, inactive, ...).
void set_media_direction(GstSDPMedia *m, const char *direction);

// Receiving side: removes from an offer every payload type this plugin cannot
// depayload (and RTX for them), so the answer only lists what we take.
void keep_receivable_codecs(GstSDPMessage *offer);

// Whether a consumer that chose `codec` gets the input as it is (no encoder).
bool delivered_as_is(const InputFormat &fmt, CodecId codec);
// What the sink can deliver for an input, in offer order: the input as it
// is when browsers take it, then the encoders of `order` that exist (after a
// decoder, for pre-encoded input, when `transcode`).
std::vector<OfferedCodec> deliverable_codecs(const InputFormat &fmt, const std::vector<CodecId> &order,
                                             bool transcode);

// ---- presets: how the sink configures what it creates per codec ----

struct EncoderSettings {
  unsigned video_bitrate_kbps = 2000;
  unsigned audio_bitrate_kbps = 64;
  unsigned keyframe_interval_frames = 60;
};

// Tunes a freshly made `codec_info(id).encoder` for live, low-latency use.
void configure_encoder(CodecId id, GstElement *encoder, const EncoderSettings &s);
// What the capsfilter after a shared encoder lets through.
CapsPtr encoder_output_caps(CodecId id);

// Sets a freshly made `codec_info(c.codec).payloader` for one consumer's m-line.
void configure_payloader(const OfferedCodec &c, GstElement *payloader, guint ssrc);
// Caps a capssetter after the payloader restates (H.264: the offered
// profile-level-id, see docs/webrtcbin-notes.md); null when none is needed.
CapsPtr payloader_caps_override(const OfferedCodec &c);

// Depayloader and parser (parser may be null) for a received codec.
const char *depayloader_for(CodecId id);
const char *parser_for(CodecId id);

}  // namespace webrtclive
