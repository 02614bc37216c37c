// SPDX-License-Identifier: LGPL-2.1-or-later
//
// webrtclivesink's private parts, shared by gstwebrtclivesink.cpp (pads,
// signals, states) and gstwebrtclivesink-props.cpp (properties).
#pragma once

#include <memory>
#include <string>

#include "gstwebrtclivesignallable.h"
#include "gstwebrtclivesink.h"
#include "sink-core.h"

GST_DEBUG_CATEGORY_EXTERN(webrtclivesink_debug);

namespace webrtclive::sink {


constexpr guint kDefaultPort = 8080;
constexpr const char *kDefaultAddress = "0.0.0.0";
constexpr const char *kDefaultVideoCodecs = "h264,vp8,vp9";
constexpr const char *kDefaultAudioCodecs = "opus";
constexpr guint kDefaultVideoBitrate = 2000;
constexpr guint kDefaultAudioBitrate = 64;
constexpr guint kDefaultKeyframeInterval = 60;
constexpr guint kDefaultMinKeyframeInterval = 500;
constexpr gboolean kDefaultTranscode = TRUE;
constexpr guint kDefaultPeerTimeout = 20;
constexpr guint kDefaultWhipCandidateWindow = 200;

enum {
  PROP_0,
  PROP_PORT,
  PROP_ADDRESS,
  PROP_URLS,
  PROP_PRODUCER_NAME,
  PROP_VIDEO_CODECS,
  PROP_AUDIO_CODECS,
  PROP_VIDEO_BITRATE,
  PROP_AUDIO_BITRATE,
  PROP_KEYFRAME_INTERVAL,
  PROP_MIN_KEYFRAME_INTERVAL,
  PROP_TRANSCODE,
  PROP_STUN_SERVER,
  PROP_TURN_SERVERS,
  PROP_TURN_SECRET,
  PROP_TURN_CREDENTIAL_TTL,
  PROP_ICE_TRANSPORT_POLICY,
  PROP_ICE_ADDRESSES,
  PROP_STATS,
  PROP_SERVER,
  PROP_SIGNALLER,
  PROP_PEER_TIMEOUT,
  PROP_MAX_CONSUMERS,
  PROP_CONTROL,
  PROP_MAX_DATA_MESSAGE_SIZE,
  PROP_MAX_DATA_RATE,
  PROP_TALKBACK,
  PROP_TALKBACK_THRESHOLD,
  PROP_STATS_INTERVAL,
  PROP_WHIP_ENDPOINT,
  PROP_WHIP_TOKEN,
  PROP_WHIP_CANDIDATE_WINDOW,
  PROP_WHIP_CA_FILE,
  PROP_FANOUT_THREADS,
  PROP_LAYERS_FIRST,  // elements/sink-layers-props.h: kLayerProperties ids from here
};

// Properties that only matter when the server starts are plain members;
// everything the core reads while running goes through SinkCore settings.
struct Private {
  GstWebRTCLiveSignallable *signaller = nullptr;  // owned (a ref)
  std::string server;
  std::string producer_name;
  std::string video_codecs = kDefaultVideoCodecs;
  std::string audio_codecs = kDefaultAudioCodecs;
  std::string ice_addresses;
  std::string whip_endpoint;  // set: publish to this WHIP server instead of the signaller
  std::string whip_token;     // never logged, never read back
  guint whip_candidate_window = kDefaultWhipCandidateWindow;
  std::string whip_ca_file;
  guint next_video = 0;
  guint next_audio = 0;
  guint next_data = 0;
  std::shared_ptr<SinkCore> core;
};


}  // namespace webrtclive::sink

struct _GstWebRTCLiveSink {
  GstBin parent;
  webrtclive::sink::Private *priv;
};

// gstwebrtclivesink.cpp
void set_signaller(GstWebRTCLiveSink *self, GstWebRTCLiveSignallable *signaller);
void apply_codec_lists(GstWebRTCLiveSink *self);
// gstwebrtclivesink-props.cpp
void sink_set_property(GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec);
void sink_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec);
// The properties of the embedded server, codecs, ICE and the counters.
void sink_install_properties(GObjectClass *gobject_class);
