// SPDX-License-Identifier: LGPL-2.1-or-later
//
// webrtclivesink's properties: what they set and read, and their specs.
#include "gstwebrtclivesink-private.h"

#include "ice-properties.h"
#include "sink-layers-props.h"
#include "util.h"
#include "webrtc-util.h"

#define GST_CAT_DEFAULT webrtclivesink_debug

using namespace webrtclive;
using namespace webrtclive::sink;

static const IcePropIds kIceProps{PROP_STUN_SERVER, PROP_TURN_SERVERS, PROP_TURN_SECRET, PROP_TURN_CREDENTIAL_TTL,
                                  PROP_ICE_TRANSPORT_POLICY};

void sink_set_property(GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec) {
  auto *self = GST_WEBRTC_LIVE_SINK(object);
  Private *p = self->priv;
  auto str = [&] { return std::string(g_value_get_string(value) ? g_value_get_string(value) : ""); };
  // The object lock guards Private's plain fields only: it is never held
  // while calling into the core or the signaller (their locks come after).
  auto locked = [self](auto &&fn) {
    GST_OBJECT_LOCK(self);
    fn();
    GST_OBJECT_UNLOCK(self);
  };
  if (kIceProps.has(prop_id)) {  // validated in ice-properties.cpp
    if (auto change = ice_property_change(GST_ELEMENT(self), kIceProps, prop_id, value))
      p->core->update_settings([&](SinkSettings &s) { change(s.ice_servers); });
    return;
  }
  if (prop_id >= PROP_LAYERS_FIRST) {
    p->core->update_settings(
        [&](SinkSettings &s) { set_layer_property(GST_ELEMENT(self), PROP_LAYERS_FIRST, prop_id, value, s); });
    return;
  }
  switch (prop_id) {
    case PROP_PORT:
    case PROP_ADDRESS: {
      const char *name = prop_id == PROP_PORT ? "port" : "address";
      GObject *sig = nullptr;
      locked([&] { sig = p->signaller ? G_OBJECT(g_object_ref(p->signaller)) : nullptr; });
      if (sig && g_object_class_find_property(G_OBJECT_GET_CLASS(sig), name))
        g_object_set_property(sig, name, value);
      else
        GST_WARNING_OBJECT(self, "the signaller has no '%s'; ignored", name);
      if (sig) g_object_unref(sig);
      return;
    }
    case PROP_SERVER: {
      std::string server = str();
      locked([&] { p->server = server; });
      if (!server.empty()) {
        GObject *ws = G_OBJECT(g_object_new(GST_TYPE_WEBRTC_LIVE_WS_SIGNALLER, "uri", server.c_str(), nullptr));
        set_signaller(self, GST_WEBRTC_LIVE_SIGNALLABLE(ws));
      } else {
        set_signaller(self,
                      GST_WEBRTC_LIVE_SIGNALLABLE(g_object_new(GST_TYPE_WEBRTC_LIVE_EMBEDDED_SIGNALLER, nullptr)));
      }
      break;
    }
    case PROP_SIGNALLER: {
      auto *sig = static_cast<GstWebRTCLiveSignallable *>(g_value_get_object(value));
      if (sig) set_signaller(self, sig);
      break;
    }
    case PROP_PRODUCER_NAME:
      locked([&] { p->producer_name = str(); });
      break;
    case PROP_WHIP_ENDPOINT:
      locked([&] { p->whip_endpoint = str(); });
      break;
    case PROP_WHIP_TOKEN:
      locked([&] { p->whip_token = str(); });
      break;
    case PROP_WHIP_CANDIDATE_WINDOW: {
      guint v = g_value_get_uint(value);
      locked([&] { p->whip_candidate_window = v; });
      break;
    }
    case PROP_WHIP_CA_FILE:
      locked([&] { p->whip_ca_file = str(); });
      break;
    case PROP_VIDEO_CODECS:
      locked([&] { p->video_codecs = str(); });
      apply_codec_lists(self);
      break;
    case PROP_AUDIO_CODECS:
      locked([&] { p->audio_codecs = str(); });
      apply_codec_lists(self);
      break;
    case PROP_FANOUT_THREADS: {
      guint v = g_value_get_uint(value);
      p->core->update_settings([v](SinkSettings &s) { s.fanout_threads = v; });
      break;
    }
    case PROP_VIDEO_BITRATE: {
      guint v = g_value_get_uint(value);
      p->core->update_settings([v](SinkSettings &s) { s.video_bitrate_kbps = v; });
      break;
    }
    case PROP_AUDIO_BITRATE: {
      guint v = g_value_get_uint(value);
      p->core->update_settings([v](SinkSettings &s) { s.audio_bitrate_kbps = v; });
      break;
    }
    case PROP_KEYFRAME_INTERVAL: {
      guint v = g_value_get_uint(value);
      p->core->update_settings([v](SinkSettings &s) { s.keyframe_interval_frames = v; });
      break;
    }
    case PROP_MIN_KEYFRAME_INTERVAL: {
      guint v = g_value_get_uint(value);
      p->core->update_settings([v](SinkSettings &s) { s.min_keyframe_interval_ms = v; });
      break;
    }
    case PROP_PEER_TIMEOUT: {
      guint v = g_value_get_uint(value);
      p->core->update_settings([v](SinkSettings &s) { s.peer_timeout_s = v; });
      break;
    }
    case PROP_MAX_CONSUMERS: {
      guint v = g_value_get_uint(value);
      p->core->update_settings([v](SinkSettings &s) { s.max_consumers = v; });
      break;
    }
    case PROP_CONTROL: {
      bool v = g_value_get_boolean(value);
      p->core->update_settings([v](SinkSettings &s) { s.control = v; });
      break;
    }
    case PROP_MAX_DATA_MESSAGE_SIZE: {
      guint v = g_value_get_uint(value);
      p->core->update_settings([v](SinkSettings &s) { s.data_limits.max_message_bytes = v; });
      break;
    }
    case PROP_MAX_DATA_RATE: {
      guint v = g_value_get_uint(value);
      p->core->update_settings([v](SinkSettings &s) { s.data_limits.max_messages_per_second = v; });
      break;
    }
    case PROP_TALKBACK: {
      bool v = g_value_get_boolean(value);
      p->core->update_settings([v](SinkSettings &s) { s.talkback = v; });
      break;
    }
    case PROP_TALKBACK_THRESHOLD: {
      double v = g_value_get_double(value);
      p->core->update_settings([v](SinkSettings &s) { s.talkback_threshold_db = v; });
      break;
    }
    case PROP_STATS_INTERVAL: {
      guint v = g_value_get_uint(value);
      p->core->update_settings([v](SinkSettings &s) { s.stats_interval_ms = v; });
      break;
    }
    case PROP_TRANSCODE: {
      bool v = g_value_get_boolean(value);
      p->core->update_settings([v](SinkSettings &s) { s.transcode = v; });
      break;
    }
    case PROP_ICE_ADDRESSES: {
      locked([&] { p->ice_addresses = str(); });
      auto v = split_list(str());
      p->core->update_settings([&](SinkSettings &s) { s.ice_addresses = v; });
      break;
    }
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
}

void sink_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec) {
  auto *self = GST_WEBRTC_LIVE_SINK(object);
  Private *p = self->priv;
  SinkSettings s = p->core->settings();
  if (kIceProps.has(prop_id)) return get_ice_property(kIceProps, prop_id, s.ice_servers, value);
  if (get_layer_property(PROP_LAYERS_FIRST, prop_id, s, value)) return;
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_PORT:
    case PROP_ADDRESS: {
      const char *name = prop_id == PROP_PORT ? "port" : "address";
      GObject *sig = p->signaller ? G_OBJECT(g_object_ref(p->signaller)) : nullptr;
      GST_OBJECT_UNLOCK(self);
      if (sig && g_object_class_find_property(G_OBJECT_GET_CLASS(sig), name))
        g_object_get_property(sig, name, value);
      else if (prop_id == PROP_PORT)
        g_value_set_uint(value, 0);
      if (sig) g_object_unref(sig);
      return;
    }
    case PROP_SERVER:
      g_value_set_string(value, p->server.empty() ? nullptr : p->server.c_str());
      break;
    case PROP_SIGNALLER:
      g_value_set_object(value, p->signaller);
      break;
    case PROP_URLS: {
      GST_OBJECT_UNLOCK(self);
      auto urls = p->core->urls();
      std::vector<const char *> v;
      for (auto &u : urls) v.push_back(u.c_str());
      v.push_back(nullptr);
      g_value_set_boxed(value, v.data());
      return;
    }
    case PROP_PRODUCER_NAME:
      g_value_set_string(value, p->producer_name.empty() ? nullptr : p->producer_name.c_str());
      break;
    case PROP_WHIP_ENDPOINT:
      g_value_set_string(value, p->whip_endpoint.empty() ? nullptr : p->whip_endpoint.c_str());
      break;
    case PROP_WHIP_TOKEN:
      // Never read back: only whether one is set.
      g_value_set_string(value, p->whip_token.empty() ? nullptr : "*****");
      break;
    case PROP_WHIP_CANDIDATE_WINDOW:
      g_value_set_uint(value, p->whip_candidate_window);
      break;
    case PROP_WHIP_CA_FILE:
      g_value_set_string(value, p->whip_ca_file.empty() ? nullptr : p->whip_ca_file.c_str());
      break;
    case PROP_VIDEO_CODECS:
      g_value_set_string(value, p->video_codecs.c_str());
      break;
    case PROP_AUDIO_CODECS:
      g_value_set_string(value, p->audio_codecs.c_str());
      break;
    case PROP_VIDEO_BITRATE:
      g_value_set_uint(value, s.video_bitrate_kbps);
      break;
    case PROP_FANOUT_THREADS:
      g_value_set_uint(value, s.fanout_threads);
      break;
    case PROP_AUDIO_BITRATE:
      g_value_set_uint(value, s.audio_bitrate_kbps);
      break;
    case PROP_KEYFRAME_INTERVAL:
      g_value_set_uint(value, s.keyframe_interval_frames);
      break;
    case PROP_MIN_KEYFRAME_INTERVAL:
      g_value_set_uint(value, s.min_keyframe_interval_ms);
      break;
    case PROP_TRANSCODE:
      g_value_set_boolean(value, s.transcode);
      break;
    case PROP_MAX_CONSUMERS:
      g_value_set_uint(value, s.max_consumers);
      break;
    case PROP_PEER_TIMEOUT:
      g_value_set_uint(value, s.peer_timeout_s);
      break;
    case PROP_CONTROL:
      g_value_set_boolean(value, s.control);
      break;
    case PROP_MAX_DATA_MESSAGE_SIZE:
      g_value_set_uint(value, s.data_limits.max_message_bytes);
      break;
    case PROP_MAX_DATA_RATE:
      g_value_set_uint(value, s.data_limits.max_messages_per_second);
      break;
    case PROP_TALKBACK:
      g_value_set_boolean(value, s.talkback);
      break;
    case PROP_TALKBACK_THRESHOLD:
      g_value_set_double(value, s.talkback_threshold_db);
      break;
    case PROP_STATS_INTERVAL:
      g_value_set_uint(value, s.stats_interval_ms);
      break;
    case PROP_ICE_ADDRESSES:
      g_value_set_string(value, p->ice_addresses.c_str());
      break;
    case PROP_STATS: {
      GST_OBJECT_UNLOCK(self);
      SinkStats st = p->core->stats();
      g_value_take_boxed(value, gst_structure_new("webrtclivesink-stats", "consumers", G_TYPE_UINT, st.consumers,
                                                  "encoders", G_TYPE_UINT, st.encoders, "keyframe-requests",
                                                  G_TYPE_UINT64, st.keyframe_requests, "keyframes-forced",
                                                  G_TYPE_UINT64, st.keyframes_forced, "consumers-refused",
                                                  G_TYPE_UINT64, st.consumers_refused, nullptr));
      return;
    }
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK(self);
}

void sink_install_properties(GObjectClass *gobject_class) {
  install_layer_properties(gobject_class, PROP_LAYERS_FIRST);
  auto flags = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  auto ready = static_cast<GParamFlags>(flags | GST_PARAM_MUTABLE_READY);
  auto playing = static_cast<GParamFlags>(flags | GST_PARAM_MUTABLE_PLAYING);
  auto ro = static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_property(
      gobject_class, PROP_PORT,
      g_param_spec_uint("port", "Port",
                        "TCP port of the embedded web server (viewer page and signalling WebSocket); 0 = pick a free "
                        "port (read it back from 'urls'); the same as signaller::port",
                        0, 65535, kDefaultPort, ready));
  g_object_class_install_property(
      gobject_class, PROP_ADDRESS,
      g_param_spec_string("address", "Address",
                          "IP address the embedded web server listens on; 0.0.0.0 = every IPv4 interface",
                          kDefaultAddress, ready));
  g_object_class_install_property(
      gobject_class, PROP_URLS,
      g_param_spec_boxed("urls", "URLs",
                         "The URLs of the viewer page being served (one per interface), empty when not serving",
                         G_TYPE_STRV, ro));
  g_object_class_install_property(
      gobject_class, PROP_PRODUCER_NAME,
      g_param_spec_string("producer-name", "Producer Name",
                          "Name consumers see for this producer (meta.name); NULL = the element's name", nullptr,
                          ready));
  g_object_class_install_property(
      gobject_class, PROP_VIDEO_CODECS,
      g_param_spec_string("video-codecs", "Video Codecs",
                          "Comma-separated video codecs offered for raw input, most preferred first (h264, vp8, vp9)",
                          kDefaultVideoCodecs, playing));
  g_object_class_install_property(
      gobject_class, PROP_AUDIO_CODECS,
      g_param_spec_string("audio-codecs", "Audio Codecs", "Comma-separated audio codecs offered for raw input (opus)",
                          kDefaultAudioCodecs, playing));
  g_object_class_install_property(
      gobject_class, PROP_FANOUT_THREADS,
      g_param_spec_uint("fanout-threads", "Fan-out Threads",
                        "Threads per shared stream that send it to the consumers (payloading, RTP, SRTP, the socket), "
                        "each for a share of them; 0 = the stream's own thread sends to all (applies to consumers "
                        "joining later)",
                        0, 16, SinkSettings{}.fanout_threads, playing));
  g_object_class_install_property(
      gobject_class, PROP_VIDEO_BITRATE,
      g_param_spec_uint("video-bitrate", "Video Bitrate",
                        "Target bitrate of the shared video encoders, in kbit/s (applies to encoders created later)",
                        50, 100000, kDefaultVideoBitrate, playing));
  g_object_class_install_property(
      gobject_class, PROP_AUDIO_BITRATE,
      g_param_spec_uint("audio-bitrate", "Audio Bitrate",
                        "Target bitrate of the shared Opus encoders, in kbit/s (applies to encoders created later)", 6,
                        510, kDefaultAudioBitrate, playing));
  g_object_class_install_property(
      gobject_class, PROP_KEYFRAME_INTERVAL,
      g_param_spec_uint("keyframe-interval", "Keyframe Interval",
                        "Longest distance between keyframes of the shared video encoders, in frames (joins and "
                        "PLI/FIR force keyframes in between)",
                        1, 10000, kDefaultKeyframeInterval, playing));
  g_object_class_install_property(
      gobject_class, PROP_MIN_KEYFRAME_INTERVAL,
      g_param_spec_uint("min-keyframe-interval", "Minimum Keyframe Interval",
                        "Keyframe requests (joins, PLI, FIR) at one shared encoder are coalesced to at most one per "
                        "this many milliseconds; a request inside the window is served at its end",
                        0, 60000, kDefaultMinKeyframeInterval, playing));
  g_object_class_install_property(
      gobject_class, PROP_TRANSCODE,
      g_param_spec_boolean("transcode", "Transcode",
                           "Decode and re-encode pre-encoded input, once for all consumers, for consumers that cannot "
                           "take it as it is (e.g. H.264 High for Chromium); FALSE = such consumers are refused",
                           kDefaultTranscode, playing));
  g_object_class_install_property(
      gobject_class, PROP_CONTROL,
      g_param_spec_boolean("control", "Remote Control",
                           "Offer each consumer the \"control\" data channel of gstwebrtc-api: its mouse, keyboard and "
                           "touch events on the video come back as navigation events upstream of the video inputs "
                           "(consumers can then drive the source, so off by default)",
                           FALSE, playing));
  g_object_class_install_property(
      gobject_class, PROP_PEER_TIMEOUT,
      g_param_spec_uint("peer-timeout", "Peer Timeout",
                        "Seconds without RTCP from a connected consumer before it is dropped as gone (webrtcbin "
                        "1.22 has no ICE consent freshness); 0 = never",
                        0, 3600, kDefaultPeerTimeout, playing));
  g_object_class_install_property(
      gobject_class, PROP_MAX_CONSUMERS,
      g_param_spec_uint("max-consumers", "Max Consumers",
                        "Most consumers served at once; more are refused with a reason (each costs a webrtcbin: "
                        "~6 threads, ~13 file descriptors). 0 = as many as the process's file descriptor limit "
                        "allows (a join that would leave fewer than 64 free is refused)",
                        0, G_MAXUINT, 0, playing));
  // New sessions (consumers) use them; set them before the sink starts for
  // the served /ice-servers.json to match from the first viewer.
  install_ice_properties(gobject_class, kIceProps, playing);
  g_object_class_install_property(
      gobject_class, PROP_ICE_ADDRESSES,
      g_param_spec_string("ice-addresses", "ICE Addresses",
                          "Comma-separated local IP addresses ICE may gather candidates on (e.g. to pin one NIC, or "
                          "127.0.0.1, which is never gathered otherwise); empty = every usable interface",
                          "", playing));
  g_object_class_install_property(
      gobject_class, PROP_SERVER,
      g_param_spec_string("server", "Signalling Server",
                          "URL of a signalling server to register with as a producer (ws:// or wss://; reconnects with "
                          "backoff if it goes away), or of a Janus VideoRoom to publish into "
                          "(janus://host:port/?room=ROOM[&display=NAME&pin=PIN&token=T&videocodec=vp8,h264"
                          "&audiocodec=opus], januss:// for TLS; see docs/webrtclivesink.md); setting it replaces the "
                          "signaller with a WebSocket one, whose "
                          "TLS and header options are then set as signaller::ca-file, signaller::insecure-tls, "
                          "signaller::extra-headers; NULL = the embedded server",
                          nullptr, ready));
  g_object_class_install_property(
      gobject_class, PROP_SIGNALLER,
      g_param_spec_object("signaller", "Signaller",
                          "The signalling implementation (a GstWebRTCLiveSignallable): embedded server by default, a "
                          "WebSocket client when 'server' is set, or the application's own; not started when "
                          "'whip-endpoint' is set",
                          GST_TYPE_WEBRTC_LIVE_SIGNALLABLE, ready));
  g_object_class_install_property(
      gobject_class, PROP_WHIP_ENDPOINT,
      g_param_spec_string("whip-endpoint", "WHIP Endpoint",
                          "URL (http:// or https://) of a WHIP server (RFC 9725) to publish to instead of serving "
                          "consumers through the signaller: the server is the one consumer; candidates trickle with "
                          "PATCH, the session is DELETEd on stop, and a lost or refused session is retried with "
                          "backoff (0.5 s doubling up to 10 s, with jitter); NULL = use the signaller",
                          nullptr, ready));
  g_object_class_install_property(
      gobject_class, PROP_WHIP_TOKEN,
      g_param_spec_string("whip-token", "WHIP Token",
                          "Bearer token sent to the WHIP server (Authorization: Bearer TOKEN); never logged, and "
                          "read back as \"*****\" when set; NULL = none",
                          nullptr, ready));
  g_object_class_install_property(
      gobject_class, PROP_WHIP_CANDIDATE_WINDOW,
      g_param_spec_uint("whip-candidate-window", "WHIP Candidate Window",
                        "With whip-endpoint: milliseconds to wait after the offer is made before POSTing it; the "
                        "candidates gathered by then go in the offer (servers that do not trickle see only those), "
                        "later ones are PATCHed. 0 = POST at once, every candidate trickled",
                        0, 10000, kDefaultWhipCandidateWindow, ready));
  g_object_class_install_property(
      gobject_class, PROP_WHIP_CA_FILE,
      g_param_spec_string("whip-ca-file", "WHIP CA File",
                          "With an https whip-endpoint: PEM file of the certificate authorities (or the self-signed "
                          "certificate) to trust for it; NULL = the system's store",
                          nullptr, ready));
  g_object_class_install_property(
      gobject_class, PROP_STATS,
      g_param_spec_boxed("stats", "Statistics",
                         "Counters: consumers, shared encoders created, keyframe requests and keyframes forced",
                         GST_TYPE_STRUCTURE, ro));

  g_object_class_install_property(
      gobject_class, PROP_STATS_INTERVAL,
      g_param_spec_uint("stats-interval", "Stats Interval",
                        "Post a 'webrtclive-stats' element message per consumer this often (ms; codec, candidate "
                        "types, bitrate, bytes and packets sent, RTT, loss, jitter, NACK/PLI/FIR counts, from its "
                        "webrtcbin's get-stats); 0 = off",
                        0, 3600 * 1000, 0, playing));
}
