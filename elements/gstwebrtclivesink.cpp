// SPDX-License-Identifier: LGPL-2.1-or-later
//
// webrtclivesink: the GObject shell. Pads, properties, signals and state
// changes live here; everything else is in SinkCore.
#include "gstwebrtclivesink.h"
#include "gstwebrtclivesink-private.h"
#include "ice-properties.h"

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
#include "whip-client.h"
#include "client-common.h"

GST_DEBUG_CATEGORY(webrtclivesink_debug);
#define GST_CAT_DEFAULT webrtclivesink_debug

using namespace webrtclive;
using namespace webrtclive::sink;

namespace {
enum {
  SIGNAL_CONSUMER_ADDED,
  SIGNAL_CONSUMER_REMOVED,
  SIGNAL_ENCODER_SETUP,
  SIGNAL_DATA_RECEIVED,
  SIGNAL_REMOVE_CONSUMER,
  N_SIGNALS
};
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

}  // namespace


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
void set_signaller(GstWebRTCLiveSink *self, GstWebRTCLiveSignallable *signaller) {
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

void apply_codec_lists(GstWebRTCLiveSink *self) {
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
  hooks.consumer_stats = [self](GstStructure *figures) {
    gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), figures));
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
  WhipClient::Options whip;
  whip.endpoint = p->whip_endpoint;
  whip.token = p->whip_token;
  whip.candidate_window_ms = p->whip_candidate_window;
  whip.ca_file = p->whip_ca_file;
  GST_OBJECT_UNLOCK(self);
  if (!whip.endpoint.empty()) {
    // A WHIP publisher has one consumer, the server: the signaller (and its
    // embedded server) is not started at all (docs/decisions.md).
    if (sig) g_object_unref(sig);
    const std::string shown = shown_url(whip.endpoint);
    std::string error;
    if (!p->core->start(std::make_unique<WhipClient>(std::move(whip)), &error)) {
      GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("%s", error.c_str()), (nullptr));
      return false;
    }
    GST_INFO_OBJECT(self, "publishing with WHIP to %s", shown.c_str());
    return true;
  }
  if (!sig) {
    GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("No signaller is set."), (nullptr));
    return false;
  }
  // The embedded server's GET /metrics and /consumers.json read the core;
  // a weak reference: the core owns the server.
  std::weak_ptr<SinkCore> weak = p->core;
  EmbeddedServerExtras extras;
  extras.metrics = [weak](MetricsText &m) {
    if (auto core = weak.lock()) core->write_metrics(m);
  };
  extras.endpoints.push_back({"/consumers.json", "application/json", [weak, name] {
                                auto core = weak.lock();
                                return core ? core->consumers_json(name) : std::string("{}");
                              }});
  // GET /ice-servers.json: a viewer gets the sink's STUN/TURN servers (its
  // own TURN credentials when turn-secret is set) and its policy.
  extras.client_ice = client_ice_of(weak);
  extras.whep = true;  // WHEP players are consumers like any other
  auto signaller = make_producer_signaller(sig, protocol::Meta::from_name(name), extras);
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

static gboolean remove_consumer_action(GstWebRTCLiveSink *self, const gchar *peer_id) {
  return peer_id && self->priv->core->kick_consumer(peer_id);
}

static gboolean set_layer_action(GstWebRTCLiveSink *self, const gchar *peer_id, gint layer) {
  return peer_id && self->priv->core->set_layer(peer_id, layer);
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
  gobject_class->set_property = sink_set_property;
  gobject_class->get_property = sink_get_property;
  element_class->request_new_pad = gst_webrtc_live_sink_request_new_pad;
  element_class->release_pad = gst_webrtc_live_sink_release_pad;
  element_class->change_state = gst_webrtc_live_sink_change_state;
  bin_class->handle_message = gst_webrtc_live_sink_handle_message;
  sink_install_properties(gobject_class);
  auto flags = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  auto ready = static_cast<GParamFlags>(flags | GST_PARAM_MUTABLE_READY);
  auto playing = static_cast<GParamFlags>(flags | GST_PARAM_MUTABLE_PLAYING);

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
  /**
   * GstWebRTCLiveSink::remove-consumer:
   * @sink: the element
   * @peer_id: the consumer's signalling peer id (as in consumer-added)
   *
   * Action signal: ends that consumer's session (it is told "removed by the
   * application"; consumer-removed follows). Returns FALSE when no consumer
   * has this id.
   */
  signals[SIGNAL_REMOVE_CONSUMER] = g_signal_new_class_handler(
      "remove-consumer", G_TYPE_FROM_CLASS(klass), static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
      G_CALLBACK(remove_consumer_action), nullptr, nullptr, nullptr, G_TYPE_BOOLEAN, 1, G_TYPE_STRING);
  /**
   * GstWebRTCLiveSink::set-layer:
   * @sink: the element
   * @peer_id: the consumer's signalling peer id (as in consumer-added)
   * @layer: the layer of video-layers (0 = the first, top one), or -1
   *
   * Action signal: moves that consumer's video to @layer at the layer's next
   * keyframe and holds it there; -1 lets its feedback move it again. A
   * webrtclive-layer-switched bus message says when it moved. Returns FALSE
   * when no consumer has this id or there is no such layer.
   */
  g_signal_new_class_handler("set-layer", G_TYPE_FROM_CLASS(klass),
                             static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
                             G_CALLBACK(set_layer_action), nullptr, nullptr, nullptr, G_TYPE_BOOLEAN, 2, G_TYPE_STRING,
                             G_TYPE_INT);
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
