// SPDX-License-Identifier: LGPL-2.1-or-later
//
// webrtclivesink: the GObject shell. Pads, properties, signals and state
// changes live here; everything else is in SinkCore.
#include "gstwebrtclivesink.h"

#include <memory>
#include <mutex>

#include "gstwebrtclivesignallable.h"
#include "data-pad.h"
#include "data-signals.h"
#include "signaller-child-proxy.h"
#include "signaller-factory.h"
#include "sink-core.h"
#include "util.h"
#include "webrtc-util.h"

GST_DEBUG_CATEGORY(webrtclivesink_debug);
#define GST_CAT_DEFAULT webrtclivesink_debug

using namespace webrtclive;

namespace {

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
};

enum { SIGNAL_CONSUMER_ADDED, SIGNAL_CONSUMER_REMOVED, SIGNAL_ENCODER_SETUP, SIGNAL_DATA_RECEIVED, N_SIGNALS };
guint signals[N_SIGNALS];

GstStaticPadTemplate video_template = GST_STATIC_PAD_TEMPLATE(
    "video_%u", GST_PAD_SINK, GST_PAD_REQUEST,
    // Raw formats the encoders take without conversion come first, so that
    // upstream picks one of them rather than its own first choice.
    GST_STATIC_CAPS("video/x-raw, format=(string){ I420, NV12 }; video/x-raw; video/x-h264; video/x-vp8; video/x-vp9"));
// With talkback=true: what the consumers say, mixed (core/talkback.h).
GstStaticPadTemplate talkback_template = GST_STATIC_PAD_TEMPLATE(
    "talkback", GST_PAD_SRC, GST_PAD_SOMETIMES,
    GST_STATIC_CAPS("audio/x-raw, format=(string)S16LE, layout=(string)interleaved, rate=(int)48000, channels=(int)1"));
GstStaticPadTemplate audio_template =
    GST_STATIC_PAD_TEMPLATE("audio_%u", GST_PAD_SINK, GST_PAD_REQUEST,
                            GST_STATIC_CAPS("audio/x-raw, format=(string)S16LE, rate=(int)48000; audio/x-raw; audio/x-opus"));

// Properties that only matter when the server starts are plain members;
// everything the core reads while running goes through SinkCore settings.
struct Private {
  GstWebRTCLiveSignallable *signaller = nullptr;  // owned (a ref)
  std::string server;
  std::string producer_name;
  std::string video_codecs = kDefaultVideoCodecs;
  std::string audio_codecs = kDefaultAudioCodecs;
  std::string turn_servers;
  std::string ice_addresses;
  guint next_video = 0;
  guint next_audio = 0;
  guint next_data = 0;
  std::shared_ptr<SinkCore> core;
};

}  // namespace

struct _GstWebRTCLiveSink {
  GstBin parent;
  Private *priv;
};

// The signaller as a child named "signaller" (GstChildProxy).
static GObject *get_signaller(GstChildProxy *proxy) {
  auto *self = GST_WEBRTC_LIVE_SINK(proxy);
  GST_OBJECT_LOCK(self);
  GObject *s = self->priv->signaller ? G_OBJECT(g_object_ref(self->priv->signaller)) : nullptr;
  GST_OBJECT_UNLOCK(self);
  return s;
}

G_DEFINE_TYPE_WITH_CODE(GstWebRTCLiveSink, gst_webrtc_live_sink, GST_TYPE_BIN,
                        G_IMPLEMENT_INTERFACE(GST_TYPE_CHILD_PROXY, SignallerChildProxy<get_signaller>::init))


// Replaces the signaller (NULL/READY only): swapped under the object lock,
// the old one released after it (its finalize may stop a server thread).
static void set_signaller(GstWebRTCLiveSink *self, GstWebRTCLiveSignallable *signaller) {
  if (signaller) g_object_ref_sink(signaller);
  GST_OBJECT_LOCK(self);
  GstWebRTCLiveSignallable *old = std::exchange(self->priv->signaller, signaller);
  GST_OBJECT_UNLOCK(self);
  if (old) g_object_unref(old);
}

GST_ELEMENT_REGISTER_DEFINE_WITH_CODE(webrtclivesink, "webrtclivesink", GST_RANK_NONE, GST_TYPE_WEBRTC_LIVE_SINK,
                                      GST_DEBUG_CATEGORY_INIT(webrtclivesink_debug, "webrtclivesink", 0,
                                                              "webrtclivesink"));

static void post_consumer_message(GstWebRTCLiveSink *self, const char *name, const std::string &peer,
                                  const std::string &sid, const std::string *reason) {
  GstStructure *s = gst_structure_new(name, "peer-id", G_TYPE_STRING, peer.c_str(), "session-id", G_TYPE_STRING,
                                      sid.c_str(), nullptr);
  if (reason) gst_structure_set(s, "reason", G_TYPE_STRING, reason->c_str(), nullptr);
  gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), s));
}

static void apply_codec_lists(GstWebRTCLiveSink *self) {
  Private *p = self->priv;
  GST_OBJECT_LOCK(self);
  std::string video_list = p->video_codecs, audio_list = p->audio_codecs;
  GST_OBJECT_UNLOCK(self);
  std::vector<std::string> unknown;
  auto video = parse_codec_list(video_list, MediaKind::Video, &unknown);
  auto audio = parse_codec_list(audio_list, MediaKind::Audio, &unknown);
  for (auto &u : unknown)
    GST_ELEMENT_WARNING(self, RESOURCE, SETTINGS,
                        ("Unknown codec '%s' ignored (video: h264, vp8, vp9; audio: opus).", u.c_str()), (nullptr));
  p->core->update_settings([&](SinkSettings &s) {
    s.video_codecs = video;
    s.audio_codecs = audio;
  });
}

static void gst_webrtc_live_sink_init(GstWebRTCLiveSink *self) {
  self->priv = new Private();
  GstElement *element = GST_ELEMENT(self);
  SinkCore::Hooks hooks;
  hooks.consumer_added = [self](const std::string &peer, const std::string &sid, GstElement *webrtcbin) {
    post_consumer_message(self, "webrtclive-consumer-added", peer, sid, nullptr);
    g_signal_emit(self, signals[SIGNAL_CONSUMER_ADDED], 0, peer.c_str(), webrtcbin);
  };
  hooks.consumer_removed = [self](const std::string &peer, const std::string &sid, GstElement *webrtcbin,
                                  const std::string &reason) {
    post_consumer_message(self, "webrtclive-consumer-removed", peer, sid, &reason);
    g_signal_emit(self, signals[SIGNAL_CONSUMER_REMOVED], 0, peer.c_str(), webrtcbin);
  };
  hooks.encoder_setup = [self](const std::string &input, const char *codec, GstElement *encoder) {
    g_signal_emit(self, signals[SIGNAL_ENCODER_SETUP], 0, input.c_str(), codec, encoder);
  };
  hooks.data_received = [self](const std::string &peer, const std::string &label, GBytes *data, bool text) {
    g_signal_emit(self, signals[SIGNAL_DATA_RECEIVED], 0, peer.c_str(), label.c_str(), data, gboolean(text));
  };
  hooks.channel_state = [self](const std::string &peer, const std::string &sid, const DataChannelSpec &channel,
                               bool open, bool announced) {
    auto *st = gst_structure_new("webrtclive-data-channel", "consumer-id", G_TYPE_STRING, peer.c_str(), "session-id",
                                 G_TYPE_STRING, sid.c_str(), "label", G_TYPE_STRING, channel.label.c_str(), "state",
                                 G_TYPE_STRING, open ? "open" : "closed", "announced", G_TYPE_BOOLEAN, announced,
                                 "ordered", G_TYPE_BOOLEAN, channel.ordered, "max-retransmits", G_TYPE_INT,
                                 channel.max_retransmits, "max-packet-lifetime", G_TYPE_INT,
                                 channel.max_packet_lifetime, nullptr);
    gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), st));
  };
  self->priv->core = std::make_shared<SinkCore>(element, std::move(hooks));
  set_signaller(self, GST_WEBRTC_LIVE_SIGNALLABLE(g_object_new(GST_TYPE_WEBRTC_LIVE_EMBEDDED_SIGNALLER, nullptr)));
  GST_OBJECT_FLAG_SET(self, GST_ELEMENT_FLAG_SINK);
}

static void gst_webrtc_live_sink_finalize(GObject *object) {
  auto *self = GST_WEBRTC_LIVE_SINK(object);
  self->priv->core->stop();
  set_signaller(self, nullptr);
  delete self->priv;
  G_OBJECT_CLASS(gst_webrtc_live_sink_parent_class)->finalize(object);
}

static void gst_webrtc_live_sink_set_property(GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec) {
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
    case PROP_VIDEO_CODECS:
      locked([&] { p->video_codecs = str(); });
      apply_codec_lists(self);
      break;
    case PROP_AUDIO_CODECS:
      locked([&] { p->audio_codecs = str(); });
      apply_codec_lists(self);
      break;
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
    case PROP_TRANSCODE: {
      bool v = g_value_get_boolean(value);
      p->core->update_settings([v](SinkSettings &s) { s.transcode = v; });
      break;
    }
    case PROP_STUN_SERVER: {
      std::string v = str();
      p->core->update_settings([&](SinkSettings &s) { s.stun_server = v; });
      break;
    }
    case PROP_TURN_SERVERS: {
      locked([&] { p->turn_servers = str(); });
      auto v = split_list(str());
      p->core->update_settings([&](SinkSettings &s) { s.turn_servers = v; });
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

static void gst_webrtc_live_sink_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec) {
  auto *self = GST_WEBRTC_LIVE_SINK(object);
  Private *p = self->priv;
  SinkSettings s = p->core->settings();
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
    case PROP_VIDEO_CODECS:
      g_value_set_string(value, p->video_codecs.c_str());
      break;
    case PROP_AUDIO_CODECS:
      g_value_set_string(value, p->audio_codecs.c_str());
      break;
    case PROP_VIDEO_BITRATE:
      g_value_set_uint(value, s.video_bitrate_kbps);
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
    case PROP_STUN_SERVER:
      g_value_set_string(value, s.stun_server.empty() ? nullptr : s.stun_server.c_str());
      break;
    case PROP_TURN_SERVERS:
      g_value_set_string(value, p->turn_servers.c_str());
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

// A data pad's buffer: one message to every consumer, on its channel.
static GstFlowReturn data_chain(GstPad *pad, GstObject *parent, GstBuffer *buf) {
  auto *self = GST_WEBRTC_LIVE_SINK(parent);
  auto *dpad = GST_WEBRTC_LIVE_DATA_PAD(pad);
  GBytes *bytes = nullptr;
  GstMapInfo map;
  if (gst_buffer_map(buf, &map, GST_MAP_READ)) {
    bytes = g_bytes_new(map.data, map.size);
    gst_buffer_unmap(buf, &map);
  }
  gst_buffer_unref(buf);
  if (!bytes) return GST_FLOW_ERROR;
  self->priv->core->send_data("", gst_webrtc_live_data_pad_spec(dpad).label, bytes,
                              gst_webrtc_live_data_pad_is_text(dpad));
  g_bytes_unref(bytes);
  return GST_FLOW_OK;
}

static GstPad *request_data_pad(GstWebRTCLiveSink *self, GstPadTemplate *templ, const gchar *name) {
  Private *p = self->priv;
  GST_OBJECT_LOCK(self);
  std::string pad_name = name ? name : "data_" + std::to_string(p->next_data);
  guint n = 0;
  if (name && sscanf(name + 5, "%u", &n) == 1 && n >= p->next_data) p->next_data = n + 1;
  else if (!name) p->next_data++;
  GST_OBJECT_UNLOCK(self);
  GstPad *pad = GST_PAD(g_object_new(GST_TYPE_WEBRTC_LIVE_DATA_PAD, "name", pad_name.c_str(), "direction",
                                     GST_PAD_SINK, "template", templ, nullptr));
  gst_pad_set_chain_function(pad, data_chain);
  // Caps say text or binary; EOS ends nothing (the element ends with its media).
  gst_pad_set_event_function(pad, [](GstPad *, GstObject *, GstEvent *event) -> gboolean {
    gst_event_unref(event);
    return TRUE;
  });
  GRef<GstPad> ref = GRef<GstPad>::ref(pad);
  p->core->add_data_input(pad, [ref] { return gst_webrtc_live_data_pad_spec(GST_WEBRTC_LIVE_DATA_PAD(ref.get())); });
  gst_pad_set_active(pad, TRUE);
  gst_element_add_pad(GST_ELEMENT(self), pad);
  gst_child_proxy_child_added(GST_CHILD_PROXY(self), G_OBJECT(pad), GST_OBJECT_NAME(pad));
  return pad;
}

static bool send_data(GstElement *element, const char *consumer, const char *label, GBytes *data, bool text) {
  return GST_WEBRTC_LIVE_SINK(element)->priv->core->send_data(consumer ? consumer : "", label, data, text) > 0;
}

static GstPad *gst_webrtc_live_sink_request_new_pad(GstElement *element, GstPadTemplate *templ, const gchar *name,
                                                    const GstCaps *) {
  auto *self = GST_WEBRTC_LIVE_SINK(element);
  Private *p = self->priv;
  if (g_str_has_prefix(GST_PAD_TEMPLATE_NAME_TEMPLATE(templ), "data")) return request_data_pad(self, templ, name);
  bool video = g_str_has_prefix(GST_PAD_TEMPLATE_NAME_TEMPLATE(templ), "video");
  GST_OBJECT_LOCK(self);
  guint &counter = video ? p->next_video : p->next_audio;
  std::string pad_name;
  if (name) {
    pad_name = name;
    guint n = 0;
    if (sscanf(name + (video ? 6 : 6), "%u", &n) == 1 && n >= counter) counter = n + 1;
  } else {
    pad_name = std::string(video ? "video_" : "audio_") + std::to_string(counter++);
  }
  GST_OBJECT_UNLOCK(self);
  GstPad *pad = p->core->add_input(templ, video ? MediaKind::Video : MediaKind::Audio, pad_name.c_str());
  gst_pad_set_active(pad, TRUE);
  gst_element_add_pad(element, pad);
  return pad;
}

static void gst_webrtc_live_sink_release_pad(GstElement *element, GstPad *pad) {
  auto *self = GST_WEBRTC_LIVE_SINK(element);
  if (GST_IS_WEBRTC_LIVE_DATA_PAD(pad))
    self->priv->core->remove_data_input(pad);
  else
    self->priv->core->remove_input(pad);
  gst_element_remove_pad(element, pad);
}

static bool start_signalling(GstWebRTCLiveSink *self) {
  Private *p = self->priv;
  GST_OBJECT_LOCK(self);
  std::string name = p->producer_name.empty() ? GST_OBJECT_NAME(self) : p->producer_name;
  GstWebRTCLiveSignallable *sig = p->signaller ? GST_WEBRTC_LIVE_SIGNALLABLE(g_object_ref(p->signaller)) : nullptr;
  GST_OBJECT_UNLOCK(self);
  if (!sig) {
    GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("No signaller is set."), (nullptr));
    return false;
  }
  auto signaller = make_producer_signaller(sig, protocol::Meta::from_name(name));
  g_object_unref(sig);
  std::string error;
  if (!p->core->start(std::move(signaller), &error)) {
    GST_ELEMENT_ERROR(self, RESOURCE, OPEN_READ_WRITE, ("%s", error.c_str()),
                      ("with the embedded server, set 'port' to another port, or 0 to pick a free one"));
    return false;
  }
  auto urls = p->core->urls();
  if (urls.empty()) return true;  // a remote server: nothing served here
  std::string list;
  for (auto &u : urls) list += (list.empty() ? "" : " ") + u;
  GST_ELEMENT_INFO(self, RESOURCE, OPEN_READ_WRITE, ("serving on %s", list.c_str()), ("serving on %s", list.c_str()));
  g_object_notify(G_OBJECT(self), "urls");
  return true;
}

static GstStateChangeReturn gst_webrtc_live_sink_change_state(GstElement *element, GstStateChange transition) {
  auto *self = GST_WEBRTC_LIVE_SINK(element);
  if (transition == GST_STATE_CHANGE_NULL_TO_READY && !start_signalling(self)) return GST_STATE_CHANGE_FAILURE;
  GstStateChangeReturn ret = GST_ELEMENT_CLASS(gst_webrtc_live_sink_parent_class)->change_state(element, transition);
  if (transition == GST_STATE_CHANGE_READY_TO_NULL) self->priv->core->stop();
  if (ret == GST_STATE_CHANGE_FAILURE) return ret;
  // Consumers join and leave; the stream must never wait for one to preroll.
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED || transition == GST_STATE_CHANGE_PLAYING_TO_PAUSED)
    return ret == GST_STATE_CHANGE_ASYNC ? GST_STATE_CHANGE_SUCCESS : ret;
  return ret;
}

static void gst_webrtc_live_sink_handle_message(GstBin *bin, GstMessage *msg) {
  auto *self = GST_WEBRTC_LIVE_SINK(bin);
  // This bin posts its own EOS when every input ended; children's EOS (a
  // consumer's webrtcbin) says nothing about the stream.
  bool consumed = GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS ||
                  // One consumer's failure is that consumer's problem only.
                  absorb_child_message(bin, msg, [self](GstMessage *m) { return self->priv->core->handle_child_error(m); });
  if (consumed) {
    gst_message_unref(msg);
    return;
  }
  GST_BIN_CLASS(gst_webrtc_live_sink_parent_class)->handle_message(bin, msg);
}

static void gst_webrtc_live_sink_class_init(GstWebRTCLiveSinkClass *klass) {
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  GstBinClass *bin_class = GST_BIN_CLASS(klass);
  gobject_class->finalize = gst_webrtc_live_sink_finalize;
  gobject_class->set_property = gst_webrtc_live_sink_set_property;
  gobject_class->get_property = gst_webrtc_live_sink_get_property;
  element_class->request_new_pad = gst_webrtc_live_sink_request_new_pad;
  element_class->release_pad = gst_webrtc_live_sink_release_pad;
  element_class->change_state = gst_webrtc_live_sink_change_state;
  bin_class->handle_message = gst_webrtc_live_sink_handle_message;

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
  g_object_class_install_property(
      gobject_class, PROP_STUN_SERVER,
      g_param_spec_string("stun-server", "STUN Server",
                          "STUN server as stun://host:port; NULL = none (no public server is ever used by default)",
                          nullptr, playing));
  g_object_class_install_property(
      gobject_class, PROP_TURN_SERVERS,
      g_param_spec_string("turn-servers", "TURN Servers",
                          "Comma-separated TURN servers as turn(s)://user:password@host:port; empty = none", "",
                          playing));
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
                          "backoff if it goes away); setting it replaces the signaller with a WebSocket one, whose "
                          "TLS and header options are then set as signaller::ca-file, signaller::insecure-tls, "
                          "signaller::extra-headers; NULL = the embedded server",
                          nullptr, ready));
  g_object_class_install_property(
      gobject_class, PROP_SIGNALLER,
      g_param_spec_object("signaller", "Signaller",
                          "The signalling implementation (a GstWebRTCLiveSignallable): embedded server by default, a "
                          "WebSocket client when 'server' is set, or the application's own",
                          GST_TYPE_WEBRTC_LIVE_SIGNALLABLE, ready));
  g_object_class_install_property(
      gobject_class, PROP_STATS,
      g_param_spec_boxed("stats", "Statistics",
                         "Counters: consumers, shared encoders created, keyframe requests and keyframes forced",
                         GST_TYPE_STRUCTURE, ro));

  /**
   * GstWebRTCLiveSink::consumer-added:
   * @sink: the element
   * @peer_id: the consumer's signalling peer id
   * @webrtcbin: the webrtcbin that serves it (owned by the sink)
   *
   * A consumer started a session. Emitted from the sink's control thread.
   */
  signals[SIGNAL_CONSUMER_ADDED] = g_signal_new("consumer-added", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
                                                nullptr, nullptr, nullptr, G_TYPE_NONE, 2, G_TYPE_STRING,
                                                GST_TYPE_ELEMENT);
  /**
   * GstWebRTCLiveSink::consumer-removed:
   * @sink: the element
   * @peer_id: the consumer's signalling peer id
   * @webrtcbin: its webrtcbin, already out of the bin and in NULL state
   *
   * A consumer left or was dropped (reason on the bus message).
   */
  signals[SIGNAL_CONSUMER_REMOVED] = g_signal_new("consumer-removed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST,
                                                  0, nullptr, nullptr, nullptr, G_TYPE_NONE, 2, G_TYPE_STRING,
                                                  GST_TYPE_ELEMENT);
  /**
   * GstWebRTCLiveSink::encoder-setup:
   * @sink: the element
   * @input: the input pad's name (video_0)
   * @codec: the codec name (h264, vp8, vp9, opus)
   * @encoder: the shared encoder, not yet running
   *
   * Tweak a shared encoder's properties before it starts.
   */
  signals[SIGNAL_ENCODER_SETUP] = g_signal_new("encoder-setup", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
                                               nullptr, nullptr, nullptr, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING,
                                               GST_TYPE_ELEMENT);

  /**
   * GstWebRTCLiveSink::send-data / send-string / data-received:
   * See elements/data-signals.h: messages on a data channel to one consumer
   * (by peer id) or all (NULL), and every message a consumer sends.
   * data-received is emitted on webrtcbin's thread, in order per channel.
   */
  signals[SIGNAL_DATA_RECEIVED] = install_data_signals(gobject_class, send_data);
  g_object_class_install_property(
      gobject_class, PROP_MAX_DATA_MESSAGE_SIZE,
      g_param_spec_uint("max-data-message-size", "Max Data Message Size",
                        "Bytes a consumer's data-channel message may have; a larger one is dropped with a warning "
                        "naming the consumer",
                        1, 16 * 1024 * 1024, DataLimits{}.max_message_bytes, playing));
  g_object_class_install_property(
      gobject_class, PROP_MAX_DATA_RATE,
      g_param_spec_uint("max-data-rate", "Max Data Rate",
                        "Messages per second a consumer may send on one data channel (averaged over a second); more "
                        "are dropped with a warning naming the consumer. 0 = no limit",
                        0, G_MAXUINT, DataLimits{}.max_messages_per_second, playing));

  g_object_class_install_property(
      gobject_class, PROP_TALKBACK,
      g_param_spec_boolean("talkback", "Talkback",
                           "Let consumers send their microphone (the audio m-line is offered sendrecv); what they say "
                           "is decoded, mixed and comes out of the \"talkback\" src pad (S16LE 48 kHz mono, silence "
                           "while nobody talks); webrtclive-talking bus messages say who talks",
                           FALSE, ready));
  g_object_class_install_property(
      gobject_class, PROP_TALKBACK_THRESHOLD,
      g_param_spec_double("talkback-threshold", "Talkback Threshold",
                          "Level (dBFS, RMS of each decoded buffer) above which a consumer counts as talking", -120.0,
                          0.0, -45.0, ready));

  gst_element_class_add_static_pad_template(element_class, &video_template);
  gst_element_class_add_static_pad_template(element_class, &audio_template);
  gst_element_class_add_static_pad_template(element_class, &talkback_template);
  // data_%u: one data channel each (pad properties: elements/data-pad.h).
  gst_element_class_add_pad_template(element_class,
                                     gst_pad_template_new_with_gtype("data_%u", GST_PAD_SINK, GST_PAD_REQUEST,
                                                                     GST_CAPS_ANY, GST_TYPE_WEBRTC_LIVE_DATA_PAD));
  gst_type_mark_as_plugin_api(GST_TYPE_WEBRTC_LIVE_DATA_PAD, static_cast<GstPluginAPIFlags>(0));
  gst_element_class_set_static_metadata(
      element_class, "WebRTC Live Sink", "Sink/Network/WebRTC",
      "Streams to any number of browsers over WebRTC, encoding once per codec, with an embedded signalling server "
      "and viewer page",
      "gst-webrtc-live developers");
}
