// SPDX-License-Identifier: LGPL-2.1-or-later
#include "gstwebrtclivesignallable.h"

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "protocol-producer.h"
#include "server-access.h"
#include "signallable-builtins.h"
#include "transport.h"

GST_DEBUG_CATEGORY_STATIC(webrtclive_signaller_debug);
#define GST_CAT_DEFAULT webrtclive_signaller_debug

using namespace webrtclive;

// ---- the interface ----------------------------------------------------------------

G_DEFINE_INTERFACE(GstWebRTCLiveSignallable, gst_webrtc_live_signallable, G_TYPE_OBJECT)

static void gst_webrtc_live_signallable_default_init(GstWebRTCLiveSignallableInterface *iface) {
  GST_DEBUG_CATEGORY_INIT(webrtclive_signaller_debug, "webrtclivesignaller", 0, "webrtclive signallers");
  /**
   * GstWebRTCLiveSignallable::session-requested:
   * @session_id: the session's id
   * @peer_id: the consumer's peer id
   * @offer: (nullable): the consumer's SDP offer, or NULL (the element offers)
   */
  g_signal_new("session-requested", G_TYPE_FROM_INTERFACE(iface), G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr,
               G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);
  /**
   * GstWebRTCLiveSignallable::session-started:
   * @session_id: the session's id
   * @peer_id: the producer's peer id
   *
   * Consumer role only: a session with a producer exists (the signaller
   * chose the producer and asked for it). Its offer follows as
   * `session-description`; the element answers with send_sdp().
   */
  g_signal_new("session-started", G_TYPE_FROM_INTERFACE(iface), G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr,
               G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  /**
   * GstWebRTCLiveSignallable::session-description:
   * @session_id, @type ("offer"/"answer"), @sdp: SDP from the remote peer
   */
  g_signal_new("session-description", G_TYPE_FROM_INTERFACE(iface), G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr,
               G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);
  /**
   * GstWebRTCLiveSignallable::handle-ice:
   * @session_id, @mline (sdpMLineIndex), @candidate ("candidate:..."): a remote ICE candidate
   */
  g_signal_new("handle-ice", G_TYPE_FROM_INTERFACE(iface), G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr,
               G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_UINT, G_TYPE_STRING);
  /**
   * GstWebRTCLiveSignallable::session-ended:
   * @session_id, @reason (nullable): the remote peer ended the session
   */
  g_signal_new("session-ended", G_TYPE_FROM_INTERFACE(iface), G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr,
               G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  /**
   * GstWebRTCLiveSignallable::error:
   * @message: a sentence for the user
   * @fatal: TRUE when signalling cannot go on (the element errors), FALSE for a warning
   */
  g_signal_new("error", G_TYPE_FROM_INTERFACE(iface), G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr, G_TYPE_NONE,
               2, G_TYPE_STRING, G_TYPE_BOOLEAN);
}

gboolean gst_webrtc_live_signallable_start(GstWebRTCLiveSignallable *self, const gchar *meta_json, GError **error) {
  auto *iface = GST_WEBRTC_LIVE_SIGNALLABLE_GET_IFACE(self);
  return iface->start ? iface->start(self, meta_json, error) : TRUE;
}

void gst_webrtc_live_signallable_stop(GstWebRTCLiveSignallable *self) {
  auto *iface = GST_WEBRTC_LIVE_SIGNALLABLE_GET_IFACE(self);
  if (iface->stop) iface->stop(self);
}

void gst_webrtc_live_signallable_send_sdp(GstWebRTCLiveSignallable *self, const gchar *session_id, const gchar *type,
                                          const gchar *sdp) {
  auto *iface = GST_WEBRTC_LIVE_SIGNALLABLE_GET_IFACE(self);
  if (iface->send_sdp) iface->send_sdp(self, session_id, type, sdp);
}

void gst_webrtc_live_signallable_send_ice(GstWebRTCLiveSignallable *self, const gchar *session_id, guint mline,
                                          const gchar *candidate) {
  auto *iface = GST_WEBRTC_LIVE_SIGNALLABLE_GET_IFACE(self);
  if (iface->send_ice) iface->send_ice(self, session_id, mline, candidate);
}

void gst_webrtc_live_signallable_end_session(GstWebRTCLiveSignallable *self, const gchar *session_id,
                                             const gchar *reason) {
  auto *iface = GST_WEBRTC_LIVE_SIGNALLABLE_GET_IFACE(self);
  if (iface->end_session) iface->end_session(self, session_id, reason);
}

gchar **gst_webrtc_live_signallable_get_urls(GstWebRTCLiveSignallable *self) {
  auto *iface = GST_WEBRTC_LIVE_SIGNALLABLE_GET_IFACE(self);
  return iface->get_urls ? iface->get_urls(self) : nullptr;
}

// ---- shared by the built-in signallers: C++ signaller -> interface signals ----------

namespace {

ProducerSignaller::Callbacks emitting_callbacks(GObject *self) {
  ProducerSignaller::Callbacks cb;
  cb.session_requested = [self](const std::string &sid, const std::string &peer,
                                const std::optional<std::string> &offer) {
    g_signal_emit_by_name(self, "session-requested", sid.c_str(), peer.c_str(), offer ? offer->c_str() : nullptr);
  };
  cb.remote_sdp = [self](const std::string &sid, const protocol::Sdp &sdp) {
    g_signal_emit_by_name(self, "session-description", sid.c_str(), sdp.type.c_str(), sdp.sdp.c_str());
  };
  cb.remote_ice = [self](const std::string &sid, const protocol::Ice &ice) {
    g_signal_emit_by_name(self, "handle-ice", sid.c_str(), ice.sdp_mline_index, ice.candidate.c_str());
  };
  cb.session_ended = [self](const std::string &sid, const std::optional<std::string> &reason) {
    g_signal_emit_by_name(self, "session-ended", sid.c_str(), reason ? reason->c_str() : nullptr);
  };
  cb.error = [self](const std::string &message, bool fatal) {
    g_signal_emit_by_name(self, "error", message.c_str(), fatal);
  };
  return cb;
}

gchar **to_strv(const std::vector<std::string> &v) {
  auto **out = g_new0(gchar *, v.size() + 1);
  for (size_t i = 0; i < v.size(); i++) out[i] = g_strdup(v[i].c_str());
  return out;
}

// Forwards the interface methods to a C++ ProducerSignaller held in `impl`
// (when an application calls the interface of a built-in itself). The
// elements use a driver the factory built (signaller-factory.h); `attached`
// then gives that driver's URLs to the `urls` property.
struct CppSignaller {
  std::mutex mutex;  // a leaf: guards impl and attached; never held while calling them
  std::shared_ptr<ProducerSignaller> impl;
  std::function<std::vector<std::string>()> attached;

  std::vector<std::string> urls() {
    std::shared_ptr<ProducerSignaller> s;
    std::function<std::vector<std::string>()> a;
    {
      std::lock_guard lock(mutex);
      s = impl;
      a = attached;
    }
    if (s) return s->urls();
    return a ? a() : std::vector<std::string>{};
  }

  std::shared_ptr<ProducerSignaller> get() {
    std::lock_guard lock(mutex);
    return impl;
  }
  gboolean start(GObject *self, std::shared_ptr<ProducerSignaller> s, GError **error) {
    std::string why;
    if (!s->start(emitting_callbacks(self), &why)) {
      g_set_error(error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ_WRITE, "%s", why.c_str());
      return FALSE;
    }
    std::lock_guard lock(mutex);
    impl = std::move(s);
    return TRUE;
  }
  void stop() {
    std::shared_ptr<ProducerSignaller> s;
    {
      std::lock_guard lock(mutex);
      s = std::move(impl);
    }
    if (s) s->stop();
  }
};

void cpp_send_sdp(CppSignaller &c, const gchar *sid, const gchar *type, const gchar *sdp) {
  if (auto s = c.get()) s->send_sdp(sid, protocol::Sdp{type, sdp});
}
void cpp_send_ice(CppSignaller &c, const gchar *sid, guint mline, const gchar *cand) {
  if (auto s = c.get()) s->send_ice(sid, protocol::Ice{cand, mline});
}
void cpp_end_session(CppSignaller &c, const gchar *sid, const gchar *reason) {
  if (auto s = c.get()) s->end_session(sid, reason ? std::optional<std::string>(reason) : std::nullopt);
}

auto kRW = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

}  // namespace

// ---- embedded ----------------------------------------------------------------------

struct _GstWebRTCLiveEmbeddedSignaller {
  GstObject parent;
  guint port;
  gchar *address;
  ServerAccess *access;
  CppSignaller *cpp;
};

enum {
  EMB_PROP_0,
  EMB_PROP_PORT,
  EMB_PROP_ADDRESS,
  EMB_PROP_URLS,
  EMB_PROP_ACCESS  // and the kAccessProperties after it (server-access.h)
};

static void embedded_iface_init(GstWebRTCLiveSignallableInterface *iface);

G_DEFINE_TYPE_WITH_CODE(GstWebRTCLiveEmbeddedSignaller, gst_webrtc_live_embedded_signaller, GST_TYPE_OBJECT,
                        G_IMPLEMENT_INTERFACE(GST_TYPE_WEBRTC_LIVE_SIGNALLABLE, embedded_iface_init))

static void gst_webrtc_live_embedded_signaller_init(GstWebRTCLiveEmbeddedSignaller *self) {
  self->port = 8080;
  self->address = g_strdup("0.0.0.0");
  self->access = new ServerAccess();
  self->cpp = new CppSignaller();
}

static void embedded_finalize(GObject *object) {
  auto *self = GST_WEBRTC_LIVE_EMBEDDED_SIGNALLER(object);
  self->cpp->stop();
  delete self->cpp;
  g_free(self->address);
  delete self->access;
  G_OBJECT_CLASS(gst_webrtc_live_embedded_signaller_parent_class)->finalize(object);
}

static void embedded_set_property(GObject *object, guint id, const GValue *value, GParamSpec *pspec) {
  auto *self = GST_WEBRTC_LIVE_EMBEDDED_SIGNALLER(object);
  GST_OBJECT_LOCK(self);
  if (id == EMB_PROP_PORT) {
    self->port = g_value_get_uint(value);
  } else if (id == EMB_PROP_ADDRESS) {
    g_free(self->address);
    self->address = g_value_dup_string(value);
  } else if (!set_access_property(*self->access, EMB_PROP_ACCESS, id, value)) {
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
  GST_OBJECT_UNLOCK(self);
}

static gchar **embedded_get_urls(GstWebRTCLiveSignallable *s) {
  return to_strv(GST_WEBRTC_LIVE_EMBEDDED_SIGNALLER(s)->cpp->urls());
}

static void embedded_get_property(GObject *object, guint id, GValue *value, GParamSpec *pspec) {
  auto *self = GST_WEBRTC_LIVE_EMBEDDED_SIGNALLER(object);
  if (id == EMB_PROP_URLS) {
    g_value_take_boxed(value, embedded_get_urls(GST_WEBRTC_LIVE_SIGNALLABLE(self)));
    return;
  }
  GST_OBJECT_LOCK(self);
  if (id == EMB_PROP_PORT)
    g_value_set_uint(value, self->port);
  else if (id == EMB_PROP_ADDRESS)
    g_value_set_string(value, self->address);
  else if (!get_access_property(*self->access, EMB_PROP_ACCESS, id, value))
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  GST_OBJECT_UNLOCK(self);
}

static gboolean embedded_start(GstWebRTCLiveSignallable *s, const gchar *meta_json, GError **error) {
  auto *self = GST_WEBRTC_LIVE_EMBEDDED_SIGNALLER(s);
  SignallingServer::Options o;
  std::string why;
  if (!builtin::embedded_options(self, &o, &why)) {
    g_set_error(error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS, "%s", why.c_str());
    return FALSE;
  }
  auto producer = std::make_shared<ProtocolProducer>(std::make_unique<EmbeddedTransport>(std::move(o)),
                                                     protocol::Meta::parse(meta_json ? meta_json : "null").value_or(protocol::Meta{}));
  return self->cpp->start(G_OBJECT(self), std::move(producer), error);
}

static void embedded_iface_init(GstWebRTCLiveSignallableInterface *iface) {
  iface->start = embedded_start;
  iface->stop = [](GstWebRTCLiveSignallable *s) { GST_WEBRTC_LIVE_EMBEDDED_SIGNALLER(s)->cpp->stop(); };
  iface->send_sdp = [](GstWebRTCLiveSignallable *s, const gchar *sid, const gchar *type, const gchar *sdp) {
    cpp_send_sdp(*GST_WEBRTC_LIVE_EMBEDDED_SIGNALLER(s)->cpp, sid, type, sdp);
  };
  iface->send_ice = [](GstWebRTCLiveSignallable *s, const gchar *sid, guint mline, const gchar *cand) {
    cpp_send_ice(*GST_WEBRTC_LIVE_EMBEDDED_SIGNALLER(s)->cpp, sid, mline, cand);
  };
  iface->end_session = [](GstWebRTCLiveSignallable *s, const gchar *sid, const gchar *reason) {
    cpp_end_session(*GST_WEBRTC_LIVE_EMBEDDED_SIGNALLER(s)->cpp, sid, reason);
  };
  iface->get_urls = embedded_get_urls;
}

static void gst_webrtc_live_embedded_signaller_class_init(GstWebRTCLiveEmbeddedSignallerClass *klass) {
  GObjectClass *oc = G_OBJECT_CLASS(klass);
  oc->finalize = embedded_finalize;
  oc->set_property = embedded_set_property;
  oc->get_property = embedded_get_property;
  g_object_class_install_property(
      oc, EMB_PROP_PORT,
      g_param_spec_uint("port", "Port",
                        "TCP port of the embedded web server (viewer page and signalling WebSocket); 0 = pick a free "
                        "port",
                        0, 65535, 8080, kRW));
  g_object_class_install_property(
      oc, EMB_PROP_ADDRESS,
      g_param_spec_string("address", "Address", "IP address to listen on; 0.0.0.0 = every IPv4 interface", "0.0.0.0",
                          kRW));
  install_access_properties(oc, EMB_PROP_ACCESS, kRW);
  g_object_class_install_property(
      oc, EMB_PROP_URLS,
      g_param_spec_boxed("urls", "URLs", "URLs of the viewer page while serving", G_TYPE_STRV,
                         static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));
}

// ---- WebSocket client ------------------------------------------------------------

struct _GstWebRTCLiveWsSignaller {
  GstObject parent;
  gchar *uri;
  gchar *ca_file;
  gboolean insecure;
  GstStructure *headers;
  guint connect_timeout;
  CppSignaller *cpp;
};

enum { WS_PROP_0, WS_PROP_URI, WS_PROP_CA_FILE, WS_PROP_INSECURE, WS_PROP_HEADERS, WS_PROP_CONNECT_TIMEOUT };

static void ws_iface_init(GstWebRTCLiveSignallableInterface *iface);

G_DEFINE_TYPE_WITH_CODE(GstWebRTCLiveWsSignaller, gst_webrtc_live_ws_signaller, GST_TYPE_OBJECT,
                        G_IMPLEMENT_INTERFACE(GST_TYPE_WEBRTC_LIVE_SIGNALLABLE, ws_iface_init))

static void gst_webrtc_live_ws_signaller_init(GstWebRTCLiveWsSignaller *self) {
  self->connect_timeout = 10000;
  self->cpp = new CppSignaller();
}

static void ws_finalize(GObject *object) {
  auto *self = GST_WEBRTC_LIVE_WS_SIGNALLER(object);
  self->cpp->stop();
  delete self->cpp;
  g_free(self->uri);
  g_free(self->ca_file);
  if (self->headers) gst_structure_free(self->headers);
  G_OBJECT_CLASS(gst_webrtc_live_ws_signaller_parent_class)->finalize(object);
}

static void ws_set_property(GObject *object, guint id, const GValue *value, GParamSpec *pspec) {
  auto *self = GST_WEBRTC_LIVE_WS_SIGNALLER(object);
  GST_OBJECT_LOCK(self);
  switch (id) {
    case WS_PROP_URI:
      g_free(self->uri);
      self->uri = g_value_dup_string(value);
      break;
    case WS_PROP_CA_FILE:
      g_free(self->ca_file);
      self->ca_file = g_value_dup_string(value);
      break;
    case WS_PROP_INSECURE:
      self->insecure = g_value_get_boolean(value);
      break;
    case WS_PROP_HEADERS:
      if (self->headers) gst_structure_free(self->headers);
      self->headers = g_value_get_boxed(value) ? gst_structure_copy(GST_STRUCTURE(g_value_get_boxed(value))) : nullptr;
      break;
    case WS_PROP_CONNECT_TIMEOUT:
      self->connect_timeout = g_value_get_uint(value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
  GST_OBJECT_UNLOCK(self);
}

static void ws_get_property(GObject *object, guint id, GValue *value, GParamSpec *pspec) {
  auto *self = GST_WEBRTC_LIVE_WS_SIGNALLER(object);
  GST_OBJECT_LOCK(self);
  switch (id) {
    case WS_PROP_URI:
      g_value_set_string(value, self->uri);
      break;
    case WS_PROP_CA_FILE:
      g_value_set_string(value, self->ca_file);
      break;
    case WS_PROP_INSECURE:
      g_value_set_boolean(value, self->insecure);
      break;
    case WS_PROP_HEADERS:
      g_value_set_boxed(value, self->headers);
      break;
    case WS_PROP_CONNECT_TIMEOUT:
      g_value_set_uint(value, self->connect_timeout);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
  GST_OBJECT_UNLOCK(self);
}

static gboolean ws_start(GstWebRTCLiveSignallable *s, const gchar *meta_json, GError **error) {
  auto *self = GST_WEBRTC_LIVE_WS_SIGNALLER(s);
  auto producer = std::make_shared<ProtocolProducer>(std::make_unique<WsTransport>(builtin::ws_options(self)),
                                                     protocol::Meta::parse(meta_json ? meta_json : "null").value_or(protocol::Meta{}));
  return self->cpp->start(G_OBJECT(self), std::move(producer), error);
}

static void ws_iface_init(GstWebRTCLiveSignallableInterface *iface) {
  iface->start = ws_start;
  iface->stop = [](GstWebRTCLiveSignallable *s) { GST_WEBRTC_LIVE_WS_SIGNALLER(s)->cpp->stop(); };
  iface->send_sdp = [](GstWebRTCLiveSignallable *s, const gchar *sid, const gchar *type, const gchar *sdp) {
    cpp_send_sdp(*GST_WEBRTC_LIVE_WS_SIGNALLER(s)->cpp, sid, type, sdp);
  };
  iface->send_ice = [](GstWebRTCLiveSignallable *s, const gchar *sid, guint mline, const gchar *cand) {
    cpp_send_ice(*GST_WEBRTC_LIVE_WS_SIGNALLER(s)->cpp, sid, mline, cand);
  };
  iface->end_session = [](GstWebRTCLiveSignallable *s, const gchar *sid, const gchar *reason) {
    cpp_end_session(*GST_WEBRTC_LIVE_WS_SIGNALLER(s)->cpp, sid, reason);
  };
}

static void gst_webrtc_live_ws_signaller_class_init(GstWebRTCLiveWsSignallerClass *klass) {
  GObjectClass *oc = G_OBJECT_CLASS(klass);
  oc->finalize = ws_finalize;
  oc->set_property = ws_set_property;
  oc->get_property = ws_get_property;
  g_object_class_install_property(
      oc, WS_PROP_URI,
      g_param_spec_string("uri", "URI",
                          "Signalling server URL, ws://host:port/path or wss://...; for webrtclivesink also "
                          "janus://host:port/?room=ROOM[&display=NAME&pin=PIN&token=T] (januss:// over TLS): publish "
                          "into a Janus VideoRoom",
                          nullptr, kRW));
  g_object_class_install_property(
      oc, WS_PROP_CA_FILE,
      g_param_spec_string("ca-file", "CA File", "PEM file of trusted certificate authorities for wss://; NULL = system",
                          nullptr, kRW));
  g_object_class_install_property(
      oc, WS_PROP_INSECURE,
      g_param_spec_boolean("insecure-tls", "Insecure TLS", "Accept any server certificate (self-signed tests only)",
                           FALSE, kRW));
  g_object_class_install_property(
      oc, WS_PROP_HEADERS,
      g_param_spec_boxed("extra-headers", "Extra Headers",
                         "Extra HTTP headers for the WebSocket handshake (e.g. a bearer token); never logged",
                         GST_TYPE_STRUCTURE, kRW));
  g_object_class_install_property(
      oc, WS_PROP_CONNECT_TIMEOUT,
      g_param_spec_uint("connect-timeout", "Connect Timeout",
                        "Milliseconds a connection attempt may take before it is abandoned and retried", 100, 600000,
                        10000, kRW));
}

// ---- application-driven --------------------------------------------------------------

struct _GstWebRTCLiveAppSignaller {
  GstObject parent;
};

static void app_iface_init(GstWebRTCLiveSignallableInterface *iface);

G_DEFINE_TYPE_WITH_CODE(GstWebRTCLiveAppSignaller, gst_webrtc_live_app_signaller, GST_TYPE_OBJECT,
                        G_IMPLEMENT_INTERFACE(GST_TYPE_WEBRTC_LIVE_SIGNALLABLE, app_iface_init))

static void gst_webrtc_live_app_signaller_init(GstWebRTCLiveAppSignaller *) {}

static void app_iface_init(GstWebRTCLiveSignallableInterface *iface) {
  iface->start = [](GstWebRTCLiveSignallable *s, const gchar *meta, GError **) -> gboolean {
    g_signal_emit_by_name(s, "start", meta);
    return TRUE;
  };
  iface->stop = [](GstWebRTCLiveSignallable *s) { g_signal_emit_by_name(s, "stop"); };
  iface->send_sdp = [](GstWebRTCLiveSignallable *s, const gchar *sid, const gchar *type, const gchar *sdp) {
    g_signal_emit_by_name(s, "send-sdp", sid, type, sdp);
  };
  iface->send_ice = [](GstWebRTCLiveSignallable *s, const gchar *sid, guint mline, const gchar *cand) {
    g_signal_emit_by_name(s, "send-ice", sid, mline, cand);
  };
  iface->end_session = [](GstWebRTCLiveSignallable *s, const gchar *sid, const gchar *reason) {
    g_signal_emit_by_name(s, "end-session", sid, reason);
  };
}

static void gst_webrtc_live_app_signaller_class_init(GstWebRTCLiveAppSignallerClass *klass) {
  GType t = G_TYPE_FROM_CLASS(klass);
  // The element calls these; the application connects to them.
  g_signal_new("start", t, G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr, G_TYPE_NONE, 1, G_TYPE_STRING);
  g_signal_new("stop", t, G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr, G_TYPE_NONE, 0);
  g_signal_new("send-sdp", t, G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr, G_TYPE_NONE, 3, G_TYPE_STRING,
               G_TYPE_STRING, G_TYPE_STRING);
  g_signal_new("send-ice", t, G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr, G_TYPE_NONE, 3, G_TYPE_STRING,
               G_TYPE_UINT, G_TYPE_STRING);
  g_signal_new("end-session", t, G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr, G_TYPE_NONE, 2, G_TYPE_STRING,
               G_TYPE_STRING);
}

// ---- for the factories (signallable-builtins.h) --------------------------------------

namespace webrtclive::builtin {

bool embedded_options(GstWebRTCLiveEmbeddedSignaller *self, SignallingServer::Options *options, std::string *error) {
  GST_OBJECT_LOCK(self);
  options->port = self->port;
  options->address = self->address ? self->address : "";
  bool ok = apply_access(*self->access, *options, error);
  GST_OBJECT_UNLOCK(self);
  return ok;
}

WsClient::Options ws_options(GstWebRTCLiveWsSignaller *self) {
  WsClient::Options o;
  GST_OBJECT_LOCK(self);
  o.url = self->uri ? self->uri : "";
  o.ca_file = self->ca_file ? self->ca_file : "";
  o.insecure = self->insecure;
  o.connect_timeout_ms = self->connect_timeout;
  if (self->headers)
    for (gint i = 0; i < gst_structure_n_fields(self->headers); i++) {
      const char *k = gst_structure_nth_field_name(self->headers, i);
      const GValue *v = gst_structure_get_value(self->headers, k);
      if (G_VALUE_HOLDS_STRING(v)) o.headers.emplace_back(k, g_value_get_string(v));
    }
  GST_OBJECT_UNLOCK(self);
  return o;
}

void attach_urls(GstWebRTCLiveSignallable *signaller, std::function<std::vector<std::string>()> urls) {
  CppSignaller *cpp = nullptr;
  if (GST_IS_WEBRTC_LIVE_EMBEDDED_SIGNALLER(signaller))
    cpp = GST_WEBRTC_LIVE_EMBEDDED_SIGNALLER(signaller)->cpp;
  else if (GST_IS_WEBRTC_LIVE_WS_SIGNALLER(signaller))
    cpp = GST_WEBRTC_LIVE_WS_SIGNALLER(signaller)->cpp;
  if (!cpp) return;
  std::function<std::vector<std::string>()> old;
  {
    std::lock_guard lock(cpp->mutex);
    old = std::exchange(cpp->attached, std::move(urls));
  }
}

}  // namespace webrtclive::builtin
