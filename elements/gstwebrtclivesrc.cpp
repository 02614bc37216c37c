// SPDX-License-Identifier: LGPL-2.1-or-later
//
// webrtclivesrc: the GObject shell. Pads, properties and state changes live
// here; everything else is in SrcCore.
#include "gstwebrtclivesrc.h"
#include "server-access.h"

#include <memory>

#include "data-signals.h"
#include "ice-properties.h"
#include "gstwebrtclivesignallable.h"
#include "signaller-child-proxy.h"
#include "signaller-factory.h"
#include "src-core.h"
#include "local-producers.h"
#include "src-producers-props.h"
#include "util.h"
#include "webrtc-util.h"

GST_DEBUG_CATEGORY(webrtclivesrc_debug);
#define GST_CAT_DEFAULT webrtclivesrc_debug

using namespace webrtclive;

#define GST_TYPE_WEBRTC_LIVE_SRC_LOSS (gst_webrtc_live_src_loss_get_type())
static GType gst_webrtc_live_src_loss_get_type() {
  static GType type = 0;
  static const GEnumValue values[] = {
      {0, "Post a warning and wait for the producer to come back", "wait"},
      {1, "Post a warning and end the stream with EOS", "eos"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter(&type)) g_once_init_leave(&type, g_enum_register_static("GstWebRTCLiveSrcProducerLoss", values));
  return type;
}

namespace {

constexpr guint kDefaultLatency = 100;
constexpr guint kDefaultPort = 8080;
constexpr const char *kDefaultAddress = "0.0.0.0";
constexpr guint kDefaultConnectTimeout = 10000;
constexpr guint kDefaultPeerTimeout = 20;

enum {
  PROP_0,
  PROP_SERVER,
  PROP_PEER_ID,
  PROP_PRODUCER_NAME,
  PROP_LATENCY,
  PROP_ON_PRODUCER_LOST,
  PROP_PORT,
  PROP_ADDRESS,
  PROP_URLS,
  PROP_STUN_SERVER,
  PROP_TURN_SERVERS,
  PROP_TURN_SECRET,
  PROP_TURN_CREDENTIAL_TTL,
  PROP_ICE_TRANSPORT_POLICY,
  PROP_ICE_ADDRESSES,
  PROP_CA_FILE,
  PROP_INSECURE_TLS,
  PROP_EXTRA_HEADERS,
  PROP_CONNECT_TIMEOUT,
  PROP_PEER_TIMEOUT,
  PROP_SIGNALLER,
  PROP_MAX_DATA_MESSAGE_SIZE,
  PROP_MAX_DATA_RATE,
  PROP_STATS_INTERVAL,
  PROP_PRODUCERS,  // and the rest of kProducersProperties (src-producers-props.h)
  PROP_ACCESS = PROP_PRODUCERS + kProducersProperties,  // and the kAccessProperties after it (server-access.h)
};

const IcePropIds kIceProps{PROP_STUN_SERVER, PROP_TURN_SERVERS, PROP_TURN_SECRET, PROP_TURN_CREDENTIAL_TTL,
                           PROP_ICE_TRANSPORT_POLICY};

GstStaticPadTemplate video_template = GST_STATIC_PAD_TEMPLATE(
    "video_%u", GST_PAD_SRC, GST_PAD_SOMETIMES, GST_STATIC_CAPS("video/x-raw; video/x-h264; video/x-vp8; video/x-vp9"));
GstStaticPadTemplate audio_template =
    GST_STATIC_PAD_TEMPLATE("audio_%u", GST_PAD_SRC, GST_PAD_SOMETIMES, GST_STATIC_CAPS("audio/x-raw; audio/x-opus"));
// producers=all: each producer's own (<key>: its peer id, made pad-name safe).
GstStaticPadTemplate producer_video_template = GST_STATIC_PAD_TEMPLATE(
    "video_%s_%u", GST_PAD_SRC, GST_PAD_SOMETIMES, GST_STATIC_CAPS("video/x-raw; video/x-h264; video/x-vp8; video/x-vp9"));
GstStaticPadTemplate producer_audio_template =
    GST_STATIC_PAD_TEMPLATE("audio_%s_%u", GST_PAD_SRC, GST_PAD_SOMETIMES, GST_STATIC_CAPS("audio/x-raw; audio/x-opus"));
// One per data channel the producer opens; each buffer is one message.
GstStaticPadTemplate data_template = GST_STATIC_PAD_TEMPLATE(
    "data_%u", GST_PAD_SRC, GST_PAD_SOMETIMES, GST_STATIC_CAPS("text/x-raw, format=(string)utf8; application/octet-stream"));

guint data_received_signal;

// The signalling settings (port, address, access, TLS, headers, timeout)
// are kept here as set on the element and handed to the built-in signaller
// object too, which the element's `server` replaces by the other kind; an
// application's own signaller (`signaller`) is configured by the application.
struct Private {
  GstWebRTCLiveSignallable *signaller = nullptr;  // owned (a ref)
  std::string server;
  guint port = kDefaultPort;
  std::string address = kDefaultAddress;
  ServerAccess access;
  std::string ice_addresses;
  std::string ca_file;
  bool insecure_tls = false;
  GstStructure *extra_headers = nullptr;
  guint connect_timeout = kDefaultConnectTimeout;
  std::shared_ptr<SrcCore> core;
};

}  // namespace

struct _GstWebRTCLiveSrc {
  GstBin parent;
  Private *priv;
};

static void gst_webrtc_live_src_uri_handler_init(gpointer iface, gpointer data);

// The signaller as a child named "signaller" (GstChildProxy).
static GObject *get_signaller(GstChildProxy *proxy) {
  auto *self = GST_WEBRTC_LIVE_SRC(proxy);
  GST_OBJECT_LOCK(self);
  GObject *s = self->priv->signaller ? G_OBJECT(g_object_ref(self->priv->signaller)) : nullptr;
  GST_OBJECT_UNLOCK(self);
  return s;
}

G_DEFINE_TYPE_WITH_CODE(GstWebRTCLiveSrc, gst_webrtc_live_src, GST_TYPE_BIN,
                        G_IMPLEMENT_INTERFACE(GST_TYPE_URI_HANDLER, gst_webrtc_live_src_uri_handler_init)
                            G_IMPLEMENT_INTERFACE(GST_TYPE_CHILD_PROXY, SignallerChildProxy<get_signaller>::init))


// The element's signalling settings onto a built-in signaller object, each
// where the object has it (the embedded server: port, address, access; the
// WebSocket client: uri, TLS, headers, timeout). Read under the object
// lock, set after it.
static void apply_settings(GstWebRTCLiveSrc *self, GObject *sig) {
  Private *p = self->priv;
  std::vector<std::pair<std::string, GValue>> values;
  auto add = [&](const char *name, GType type, auto &&fill) {
    GValue v = G_VALUE_INIT;
    g_value_init(&v, type);
    fill(&v);
    values.emplace_back(name, v);
  };
  GObjectClass *klass = G_OBJECT_GET_CLASS(self);
  guint n = 0;
  GParamSpec **all = g_object_class_list_properties(klass, &n);
  GST_OBJECT_LOCK(self);
  if (!p->server.empty()) add("uri", G_TYPE_STRING, [&](GValue *v) { g_value_set_string(v, p->server.c_str()); });
  add("port", G_TYPE_UINT, [&](GValue *v) { g_value_set_uint(v, p->port); });
  add("address", G_TYPE_STRING, [&](GValue *v) { g_value_set_string(v, p->address.c_str()); });
  add("ca-file", G_TYPE_STRING, [&](GValue *v) { g_value_set_string(v, p->ca_file.empty() ? nullptr : p->ca_file.c_str()); });
  add("insecure-tls", G_TYPE_BOOLEAN, [&](GValue *v) { g_value_set_boolean(v, p->insecure_tls); });
  add("extra-headers", GST_TYPE_STRUCTURE, [&](GValue *v) { g_value_set_boxed(v, p->extra_headers); });
  add("connect-timeout", G_TYPE_UINT, [&](GValue *v) { g_value_set_uint(v, p->connect_timeout); });
  for (guint i = 0; i < n; i++) {
    GParamSpec *pspec = all[i];
    if (pspec->owner_type != G_OBJECT_TYPE(self) || pspec->param_id < PROP_ACCESS ||
        pspec->param_id >= PROP_ACCESS + kAccessProperties)
      continue;
    GValue v = G_VALUE_INIT;
    g_value_init(&v, pspec->value_type);
    if (get_access_property(p->access, PROP_ACCESS, pspec->param_id, &v))
      values.emplace_back(pspec->name, v);
    else
      g_value_unset(&v);
  }
  GST_OBJECT_UNLOCK(self);
  g_free(all);
  for (auto &[name, v] : values) {
    if (g_object_class_find_property(G_OBJECT_GET_CLASS(sig), name.c_str())) g_object_set_property(sig, name.c_str(), &v);
    g_value_unset(&v);
  }
}

// Replaces the signaller (NULL/READY only): swapped under the object lock,
// the old one released after it (its finalize may stop a server thread).
// A built-in gets the element's signalling settings.
static void set_signaller(GstWebRTCLiveSrc *self, GstWebRTCLiveSignallable *signaller, bool builtin) {
  if (signaller) {
    g_object_ref_sink(signaller);
    if (builtin) apply_settings(self, G_OBJECT(signaller));
  }
  GST_OBJECT_LOCK(self);
  GstWebRTCLiveSignallable *old = std::exchange(self->priv->signaller, signaller);
  GST_OBJECT_UNLOCK(self);
  if (old) g_object_unref(old);
}

// Hands one element setting on to the signaller when it has that property.
static void forward(GstWebRTCLiveSrc *self, GParamSpec *pspec, const GValue *value) {
  GST_OBJECT_LOCK(self);
  GObject *sig = self->priv->signaller ? G_OBJECT(g_object_ref(self->priv->signaller)) : nullptr;
  GST_OBJECT_UNLOCK(self);
  if (!sig) return;
  if (g_object_class_find_property(G_OBJECT_GET_CLASS(sig), pspec->name)) g_object_set_property(sig, pspec->name, value);
  g_object_unref(sig);
}

GST_ELEMENT_REGISTER_DEFINE_WITH_CODE(webrtclivesrc, "webrtclivesrc", GST_RANK_NONE, GST_TYPE_WEBRTC_LIVE_SRC,
                                      GST_DEBUG_CATEGORY_INIT(webrtclivesrc_debug, "webrtclivesrc", 0,
                                                              "webrtclivesrc"));

static void gst_webrtc_live_src_init(GstWebRTCLiveSrc *self) {
  self->priv = new Private();
  self->priv->core = std::make_shared<SrcCore>(GST_ELEMENT(self));
  self->priv->core->set_data_hook([self](const std::string &producer, const std::string &label, GBytes *data,
                                         bool text) {
    g_signal_emit(self, data_received_signal, 0, producer.c_str(), label.c_str(), data, gboolean(text));
  });
  set_signaller(self, GST_WEBRTC_LIVE_SIGNALLABLE(g_object_new(GST_TYPE_WEBRTC_LIVE_EMBEDDED_SIGNALLER, nullptr)), true);
  GST_OBJECT_FLAG_SET(self, GST_ELEMENT_FLAG_SOURCE);
}

static void gst_webrtc_live_src_finalize(GObject *object) {
  auto *self = GST_WEBRTC_LIVE_SRC(object);
  self->priv->core->stop();
  set_signaller(self, nullptr, false);
  if (self->priv->extra_headers) gst_structure_free(self->priv->extra_headers);
  delete self->priv;
  G_OBJECT_CLASS(gst_webrtc_live_src_parent_class)->finalize(object);
}

static void gst_webrtc_live_src_set_property(GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec) {
  auto *self = GST_WEBRTC_LIVE_SRC(object);
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
      p->core->update_settings([&](SrcSettings &s) { change(s.ice_servers); });
    return;
  }
  bool done = false;
  p->core->update_settings([&](SrcSettings &s) { done = set_producers_property(PROP_PRODUCERS, prop_id, value, s); });
  if (done) return;
  switch (prop_id) {
    case PROP_SERVER: {
      std::string server = str();
      locked([&] { p->server = server; });
      set_signaller(self,
                    GST_WEBRTC_LIVE_SIGNALLABLE(g_object_new(
                        server.empty() ? GST_TYPE_WEBRTC_LIVE_EMBEDDED_SIGNALLER : GST_TYPE_WEBRTC_LIVE_WS_SIGNALLER,
                        nullptr)),
                    true);
      break;
    }
    case PROP_SIGNALLER:
      if (auto *sig = static_cast<GstWebRTCLiveSignallable *>(g_value_get_object(value))) set_signaller(self, sig, false);
      break;
    case PROP_PEER_ID: {
      std::string v = str();
      p->core->update_settings([&](SrcSettings &s) { s.peer_id = v; });
      break;
    }
    case PROP_PRODUCER_NAME: {
      std::string v = str();
      p->core->update_settings([&](SrcSettings &s) { s.producer_name = v; });
      break;
    }
    case PROP_LATENCY: {
      guint v = g_value_get_uint(value);
      p->core->update_settings([&](SrcSettings &s) { s.latency_ms = v; });
      break;
    }
    case PROP_ON_PRODUCER_LOST: {
      bool eos = g_value_get_enum(value) == 1;
      p->core->update_settings([&](SrcSettings &s) { s.eos_on_loss = eos; });
      break;
    }
    case PROP_ICE_ADDRESSES: {
      locked([&] { p->ice_addresses = str(); });
      auto v = split_list(str());
      p->core->update_settings([&](SrcSettings &s) { s.ice_addresses = v; });
      break;
    }
    case PROP_PEER_TIMEOUT: {
      guint v = g_value_get_uint(value);
      p->core->update_settings([&](SrcSettings &s) { s.peer_timeout_s = v; });
      break;
    }
    case PROP_MAX_DATA_MESSAGE_SIZE: {
      guint v = g_value_get_uint(value);
      p->core->update_settings([&](SrcSettings &s) { s.data_limits.max_message_bytes = v; });
      break;
    }
    case PROP_MAX_DATA_RATE: {
      guint v = g_value_get_uint(value);
      p->core->update_settings([&](SrcSettings &s) { s.data_limits.max_messages_per_second = v; });
      break;
    }
    case PROP_STATS_INTERVAL: {
      guint v = g_value_get_uint(value);
      p->core->update_settings([&](SrcSettings &s) { s.stats_interval_ms = v; });
      break;
    }
    // Signalling settings: kept, and handed to the signaller.
    case PROP_PORT:
      locked([&] { p->port = g_value_get_uint(value); });
      forward(self, pspec, value);
      break;
    case PROP_ADDRESS:
      locked([&] { p->address = str(); });
      forward(self, pspec, value);
      break;
    case PROP_CA_FILE:
      locked([&] { p->ca_file = str(); });
      forward(self, pspec, value);
      break;
    case PROP_INSECURE_TLS:
      locked([&] { p->insecure_tls = g_value_get_boolean(value); });
      forward(self, pspec, value);
      break;
    case PROP_EXTRA_HEADERS:
      locked([&] {
        if (p->extra_headers) gst_structure_free(p->extra_headers);
        p->extra_headers =
            g_value_get_boxed(value) ? gst_structure_copy(GST_STRUCTURE(g_value_get_boxed(value))) : nullptr;
      });
      forward(self, pspec, value);
      break;
    case PROP_CONNECT_TIMEOUT:
      locked([&] { p->connect_timeout = g_value_get_uint(value); });
      forward(self, pspec, value);
      break;
    default: {
      bool ours = false;
      locked([&] { ours = set_access_property(p->access, PROP_ACCESS, prop_id, value); });
      if (ours)
        forward(self, pspec, value);
      else
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
    }
  }
}

static void gst_webrtc_live_src_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec) {
  auto *self = GST_WEBRTC_LIVE_SRC(object);
  Private *p = self->priv;
  SrcSettings s = p->core->settings();
  auto opt = [](const std::string &v) { return v.empty() ? nullptr : v.c_str(); };
  if (prop_id == PROP_URLS) {
    auto urls = p->core->urls();
    std::vector<const char *> v;
    for (auto &u : urls) v.push_back(u.c_str());
    v.push_back(nullptr);
    g_value_set_boxed(value, v.data());
    return;
  }
  if (kIceProps.has(prop_id)) return get_ice_property(kIceProps, prop_id, s.ice_servers, value);
  if (get_producers_property(PROP_PRODUCERS, prop_id, s, value)) return;
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_SERVER:
      g_value_set_string(value, opt(p->server));
      break;
    case PROP_PEER_ID:
      g_value_set_string(value, opt(s.peer_id));
      break;
    case PROP_PRODUCER_NAME:
      g_value_set_string(value, opt(s.producer_name));
      break;
    case PROP_LATENCY:
      g_value_set_uint(value, s.latency_ms);
      break;
    case PROP_ON_PRODUCER_LOST:
      g_value_set_enum(value, s.eos_on_loss ? 1 : 0);
      break;
    case PROP_PORT:
      g_value_set_uint(value, p->port);
      break;
    case PROP_ADDRESS:
      g_value_set_string(value, p->address.c_str());
      break;
    case PROP_ICE_ADDRESSES:
      g_value_set_string(value, p->ice_addresses.c_str());
      break;
    case PROP_CA_FILE:
      g_value_set_string(value, opt(p->ca_file));
      break;
    case PROP_INSECURE_TLS:
      g_value_set_boolean(value, p->insecure_tls);
      break;
    case PROP_EXTRA_HEADERS:
      g_value_set_boxed(value, p->extra_headers);
      break;
    case PROP_CONNECT_TIMEOUT:
      g_value_set_uint(value, p->connect_timeout);
      break;
    case PROP_PEER_TIMEOUT:
      g_value_set_uint(value, s.peer_timeout_s);
      break;
    case PROP_MAX_DATA_MESSAGE_SIZE:
      g_value_set_uint(value, s.data_limits.max_message_bytes);
      break;
    case PROP_MAX_DATA_RATE:
      g_value_set_uint(value, s.data_limits.max_messages_per_second);
      break;
    case PROP_STATS_INTERVAL:
      g_value_set_uint(value, s.stats_interval_ms);
      break;
    case PROP_SIGNALLER:
      g_value_set_object(value, p->signaller);
      break;
    default:
      if (!get_access_property(p->access, PROP_ACCESS, prop_id, value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK(self);
}

// ---- URI handler: webrtclive://host:port[/path]?name=NAME|peer-id=ID -------------
// (webrtclives:// for wss). Lets playbin / uridecodebin play a producer.

static GstURIType uri_get_type(GType) { return GST_URI_SRC; }

static const gchar *const *uri_get_protocols(GType) {
  static const gchar *protocols[] = {"webrtclive", "webrtclives", nullptr};
  return protocols;
}

static gchar *uri_get_uri(GstURIHandler *handler) {
  auto *self = GST_WEBRTC_LIVE_SRC(handler);
  GST_OBJECT_LOCK(self);
  std::string server = self->priv->server;
  GST_OBJECT_UNLOCK(self);
  SrcSettings s = self->priv->core->settings();
  if (server.empty()) return nullptr;
  std::string uri = server;
  uri.replace(0, uri.find("://"), g_str_has_prefix(server.c_str(), "wss") ? "webrtclives" : "webrtclive");
  if (!s.producer_name.empty())
    uri += "?name=" + take_string(g_uri_escape_string(s.producer_name.c_str(), nullptr, FALSE));
  else if (!s.peer_id.empty())
    uri += "?peer-id=" + s.peer_id;
  return g_strdup(uri.c_str());
}

static gboolean uri_set_uri(GstURIHandler *handler, const gchar *uri, GError **error) {
  auto *self = GST_WEBRTC_LIVE_SRC(handler);
  GUri *parsed = g_uri_parse(uri, G_URI_FLAGS_ENCODED_QUERY, error);
  if (!parsed) return FALSE;
  const char *scheme = g_uri_get_scheme(parsed);
  const char *host = g_uri_get_host(parsed);
  if (!host || !*host) {
    g_set_error(error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI, "'%s' names no host", uri);
    g_uri_unref(parsed);
    return FALSE;
  }
  int port = g_uri_get_port(parsed);
  std::string path = *g_uri_get_path(parsed) ? g_uri_get_path(parsed) : "/";
  std::string server = std::string(g_str_equal(scheme, "webrtclives") ? "wss://" : "ws://") + host +
                       (port > 0 ? ":" + std::to_string(port) : "") + path;
  std::string name, peer;
  if (const char *query = g_uri_get_query(parsed)) {
    GHashTable *params = g_uri_parse_params(query, -1, "&", G_URI_PARAMS_NONE, nullptr);
    if (params) {
      if (auto *v = static_cast<const char *>(g_hash_table_lookup(params, "name"))) name = v;
      if (auto *v = static_cast<const char *>(g_hash_table_lookup(params, "peer-id"))) peer = v;
      g_hash_table_unref(params);
    }
  }
  g_uri_unref(parsed);
  g_object_set(self, "server", server.c_str(), nullptr);  // and the WebSocket signaller with it
  self->priv->core->update_settings([&](SrcSettings &s) {
    s.producer_name = name;
    s.peer_id = peer;
  });
  return TRUE;
}

static void gst_webrtc_live_src_uri_handler_init(gpointer g_iface, gpointer) {
  auto *iface = static_cast<GstURIHandlerInterface *>(g_iface);
  iface->get_type = uri_get_type;
  iface->get_protocols = uri_get_protocols;
  iface->get_uri = uri_get_uri;
  iface->set_uri = uri_set_uri;
}

static bool start_signalling(GstWebRTCLiveSrc *self) {
  Private *p = self->priv;
  SrcSettings settings = p->core->settings();
  ProtocolConsumer::Options o;
  o.meta = protocol::Meta::from_name(GST_OBJECT_NAME(self));
  o.peer_id = settings.peer_id;
  o.producer_name = settings.producer_name;
  // One producer: after it is lost in eos mode, the stream ends: do not look again.
  o.once = settings.eos_on_loss && !settings.all_producers;
  if (settings.all_producers) {
    o.max_sessions = settings.max_producers;
    // Never our own pipeline's sink: a room would consume its own composite.
    o.accept = [self](const std::string &peer, const protocol::Meta &) {
      return !is_producer_of_own_pipeline(peer, GST_ELEMENT(self));
    };
  }
  GST_OBJECT_LOCK(self);
  GstWebRTCLiveSignallable *sig = p->signaller ? GST_WEBRTC_LIVE_SIGNALLABLE(g_object_ref(p->signaller)) : nullptr;
  GST_OBJECT_UNLOCK(self);
  if (!sig) {
    GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("No signaller is set."), (nullptr));
    return false;
  }
  const bool embedded = GST_IS_WEBRTC_LIVE_EMBEDDED_SIGNALLER(sig);
  // GET /metrics of the embedded server reads the core (weakly: the core
  // owns the server).
  std::weak_ptr<SrcCore> weak = p->core;
  EmbeddedServerExtras extras;
  extras.metrics = [weak](MetricsText &m) {
    if (auto core = weak.lock()) core->write_metrics(m);
  };
  // GET /ice-servers.json: the publishing page uses the src's own servers.
  extras.client_ice = client_ice_of(weak);
  extras.whip = true;  // a WHIP publisher is a producer like any other
  auto signaller = make_consumer_signaller(sig, o, extras);
  g_object_unref(sig);
  std::string error;
  if (!p->core->start(std::move(signaller), &error)) {
    GST_ELEMENT_ERROR(self, RESOURCE, OPEN_READ_WRITE, ("%s", error.c_str()), ("%s", error.c_str()));
    return false;
  }
  if (embedded) {
    std::string list;
    for (auto &u : p->core->urls()) list += (list.empty() ? "" : " ") + u + "publish.html";
    GST_ELEMENT_INFO(self, RESOURCE, OPEN_READ_WRITE, ("publish a camera from %s", list.c_str()),
                     ("publish a camera from %s", list.c_str()));
  }
  return true;
}

static bool send_data(GstElement *element, const char *, const char *label, GBytes *data, bool text) {
  return GST_WEBRTC_LIVE_SRC(element)->priv->core->send_data(label, data, text);
}

static GstStateChangeReturn gst_webrtc_live_src_change_state(GstElement *element, GstStateChange transition) {
  auto *self = GST_WEBRTC_LIVE_SRC(element);
  if (transition == GST_STATE_CHANGE_NULL_TO_READY && !start_signalling(self)) return GST_STATE_CHANGE_FAILURE;
  GstStateChangeReturn ret = GST_ELEMENT_CLASS(gst_webrtc_live_src_parent_class)->change_state(element, transition);
  if (transition == GST_STATE_CHANGE_READY_TO_NULL) self->priv->core->stop();
  if (ret == GST_STATE_CHANGE_FAILURE) return ret;
  // A live source: no preroll, whatever its children are doing.
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED || transition == GST_STATE_CHANGE_PLAYING_TO_PAUSED)
    return GST_STATE_CHANGE_NO_PREROLL;
  return ret;
}

static void gst_webrtc_live_src_handle_message(GstBin *bin, GstMessage *msg) {
  auto *self = GST_WEBRTC_LIVE_SRC(bin);
  // A failed session is a lost producer, not a dead pipeline.
  if (absorb_child_message(bin, msg, [self](GstMessage *m) { return self->priv->core->handle_child_error(m); })) {
    gst_message_unref(msg);
    return;
  }
  GST_BIN_CLASS(gst_webrtc_live_src_parent_class)->handle_message(bin, msg);
}

static void gst_webrtc_live_src_class_init(GstWebRTCLiveSrcClass *klass) {
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  gobject_class->finalize = gst_webrtc_live_src_finalize;
  gobject_class->set_property = gst_webrtc_live_src_set_property;
  gobject_class->get_property = gst_webrtc_live_src_get_property;
  element_class->change_state = gst_webrtc_live_src_change_state;
  GST_BIN_CLASS(klass)->handle_message = gst_webrtc_live_src_handle_message;

  auto flags = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  auto ready = static_cast<GParamFlags>(flags | GST_PARAM_MUTABLE_READY);
  auto playing = static_cast<GParamFlags>(flags | GST_PARAM_MUTABLE_PLAYING);

  g_object_class_install_property(
      gobject_class, PROP_SERVER,
      g_param_spec_string("server", "Signalling Server",
                          "URL of the signalling server to connect to (ws:// or wss://, e.g. the page URL of a "
                          "webrtclivesink with ws in place of http), or of a Janus VideoRoom to subscribe to "
                          "(janus://host:port/?room=ROOM[&feed=NAME-OR-ID&pin=PIN&token=T], januss:// for TLS; see "
                          "docs/webrtclivesrc.md); NULL = run an embedded server on 'port' and "
                          "wait for a browser to publish from its /publish.html page",
                          nullptr, ready));
  g_object_class_install_property(
      gobject_class, PROP_PEER_ID,
      g_param_spec_string("peer-id", "Peer ID",
                          "Consume the producer with this signalling peer id; NULL = any (see producer-name)", nullptr,
                          ready));
  g_object_class_install_property(
      gobject_class, PROP_PRODUCER_NAME,
      g_param_spec_string("producer-name", "Producer Name",
                          "Consume the first producer whose meta.name is this, or matches this glob pattern (* and "
                          "?; survives producer restarts, unlike peer-id); NULL = the first producer that appears",
                          nullptr, ready));
  g_object_class_install_property(
      gobject_class, PROP_LATENCY,
      g_param_spec_uint("latency", "Latency",
                        "Receive jitterbuffer latency in milliseconds (webrtcbin's default is 200); lower is more live "
                        "but leaves less time for retransmissions",
                        0, 10000, kDefaultLatency, ready));
  g_object_class_install_property(
      gobject_class, PROP_ON_PRODUCER_LOST,
      g_param_spec_enum("on-producer-lost", "On Producer Lost",
                        "What to do when the producer goes away: wait for it (or another matching one) to come back, "
                        "or end the stream with EOS",
                        GST_TYPE_WEBRTC_LIVE_SRC_LOSS, 0, playing));
  g_object_class_install_property(
      gobject_class, PROP_PORT,
      g_param_spec_uint("port", "Port",
                        "TCP port of the embedded server when 'server' is NULL; 0 = pick a free port (read 'urls')",
                        0, 65535, kDefaultPort, ready));
  g_object_class_install_property(
      gobject_class, PROP_ADDRESS,
      g_param_spec_string("address", "Address", "IP address the embedded server listens on; 0.0.0.0 = all IPv4",
                          kDefaultAddress, ready));
  install_access_properties(gobject_class, PROP_ACCESS, ready);
  g_object_class_install_property(
      gobject_class, PROP_URLS,
      g_param_spec_boxed("urls", "URLs", "The URLs served by the embedded server (empty when using 'server')",
                         G_TYPE_STRV, static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));
  install_ice_properties(gobject_class, kIceProps, ready);
  g_object_class_install_property(
      gobject_class, PROP_ICE_ADDRESSES,
      g_param_spec_string("ice-addresses", "ICE Addresses",
                          "Comma-separated local IP addresses ICE may gather candidates on (127.0.0.1 is never "
                          "gathered otherwise); empty = every usable interface",
                          "", ready));
  g_object_class_install_property(
      gobject_class, PROP_CA_FILE,
      g_param_spec_string("ca-file", "CA File",
                          "PEM file of certificate authorities trusted for a wss:// server; NULL = the system store",
                          nullptr, ready));
  g_object_class_install_property(
      gobject_class, PROP_INSECURE_TLS,
      g_param_spec_boolean("insecure-tls", "Insecure TLS",
                           "Accept any certificate from a wss:// server (self-signed test setups only)", FALSE,
                           ready));
  g_object_class_install_property(
      gobject_class, PROP_EXTRA_HEADERS,
      g_param_spec_boxed("extra-headers", "Extra Headers",
                         "Extra HTTP headers for the WebSocket handshake, e.g. "
                         "\"headers, Authorization=(string)\\\"Bearer TOKEN\\\"\" (values are never logged)",
                         GST_TYPE_STRUCTURE, ready));
  g_object_class_install_property(
      gobject_class, PROP_CONNECT_TIMEOUT,
      g_param_spec_uint("connect-timeout", "Connect Timeout",
                        "Milliseconds a connection attempt to the signalling server may take before it is retried",
                        100, 600000, kDefaultConnectTimeout, ready));

  g_object_class_install_property(
      gobject_class, PROP_PEER_TIMEOUT,
      g_param_spec_uint("peer-timeout", "Peer Timeout",
                        "Seconds without RTCP from the producer before it counts as lost (webrtcbin 1.22 has no ICE "
                        "consent freshness); 0 = never",
                        0, 3600, kDefaultPeerTimeout, playing));

  g_object_class_install_property(
      gobject_class, PROP_SIGNALLER,
      g_param_spec_object("signaller", "Signaller",
                          "The signalling implementation (a GstWebRTCLiveSignallable) that finds the producer and "
                          "carries SDP and ICE: the embedded server by default, a WebSocket client once 'server' is "
                          "set (its settings as signaller::...), or an application's own (e.g. "
                          "GstWebRTCLiveAppSignaller, which emits session-started for a new session)",
                          G_TYPE_OBJECT, ready));

  /**
   * GstWebRTCLiveSrc::send-data / send-string / data-received:
   * See elements/data-signals.h: messages to the producer on one of its data
   * channels (the consumer id is ignored), and every message it sends (also
   * pushed on the channel's data_%u pad).
   */
  data_received_signal = install_data_signals(gobject_class, send_data);
  install_producers_properties(gobject_class, PROP_PRODUCERS, ready);
  g_object_class_install_property(
      gobject_class, PROP_MAX_DATA_MESSAGE_SIZE,
      g_param_spec_uint("max-data-message-size", "Max Data Message Size",
                        "Bytes a message from the producer on a data channel may have; a larger one is dropped with a "
                        "warning",
                        1, 16 * 1024 * 1024, 256 * 1024, ready));
  g_object_class_install_property(
      gobject_class, PROP_MAX_DATA_RATE,
      g_param_spec_uint("max-data-rate", "Max Data Rate",
                        "Messages per second the producer may send on one data channel (averaged over a second); more "
                        "are dropped with a warning. 0 = no limit (the producer is the one this element chose)",
                        0, G_MAXUINT, 0, ready));
  g_object_class_install_property(
      gobject_class, PROP_STATS_INTERVAL,
      g_param_spec_uint("stats-interval", "Stats Interval",
                        "Post a 'webrtclive-stats' element message for the session with the producer this often (ms; "
                        "codec, candidate types, bitrate, bytes and packets received, loss, jitter, RTT, NACK/PLI "
                        "counts, from its webrtcbin's get-stats); 0 = off",
                        0, 3600 * 1000, 0,
                        static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING)));

  gst_element_class_add_static_pad_template(element_class, &video_template);
  gst_element_class_add_static_pad_template(element_class, &audio_template);
  gst_element_class_add_static_pad_template(element_class, &producer_video_template);
  gst_element_class_add_static_pad_template(element_class, &producer_audio_template);
  gst_element_class_add_static_pad_template(element_class, &data_template);
  gst_element_class_set_static_metadata(
      element_class, "WebRTC Live Source", "Source/Network/WebRTC",
      "Receives audio and video from a WebRTC producer (webrtclivesink, a browser, gstwebrtc-api) through "
      "signalling compatible with gst-webrtc-signalling-server",
      "gst-webrtc-live developers");
  gst_type_mark_as_plugin_api(GST_TYPE_WEBRTC_LIVE_SRC_LOSS, static_cast<GstPluginAPIFlags>(0));
}
