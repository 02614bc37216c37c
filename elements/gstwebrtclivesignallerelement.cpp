// SPDX-License-Identifier: LGPL-2.1-or-later
//
// webrtclivesignaller: signalling as an element of its own, for pipelines
// that already have their own webrtcbin. It has no pads: it finds the
// webrtcbin named by its `webrtcbin` property in the same pipeline and
// negotiates SDP and ICE for it over the protocol, as a producer (it offers
// to the first consumer) or as a consumer (it answers the chosen producer).
//
//   gst-launch-1.0 videotestsrc is-live=true ! vp8enc deadline=1 ! rtpvp8pay !
//       application/x-rtp,media=video,encoding-name=VP8,payload=96 ! webrtcbin name=w
//       webrtclivesignaller webrtcbin=w server=ws://127.0.0.1:8443/
//
// A plain webrtcbin serves one peer: a second consumer is refused with a
// reason, and a session that ended cannot be renegotiated (restart the
// pipeline). The negotiation is a Session around that webrtcbin
// (core/session.h), as for webrtclivesink's consumers: the same validation,
// DTLS identity check (no media leaves before it passed) and RTCP liveness.
// Threads: signalling callbacks (server or client thread) only post to the
// element's control loop, where the Session lives.
#include "gstwebrtclivesignallerelement.h"

#include <gst/sdp/sdp.h>
#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "control-loop.h"
#include "protocol-consumer.h"
#include "protocol-producer.h"
#include "session.h"
#include "gobj.h"
#include "transport.h"
#include "util.h"
#include "server-access.h"
#include "webrtc-util.h"

GST_DEBUG_CATEGORY_STATIC(webrtclivesignaller_debug);
#define GST_CAT_DEFAULT webrtclivesignaller_debug

using namespace webrtclive;
using namespace webrtclive::protocol;

namespace {

enum class RoleMode { Producer = 0, Consumer = 1 };

enum {
  PROP_0,
  PROP_WEBRTCBIN,
  PROP_ROLE,
  PROP_SERVER,
  PROP_PORT,
  PROP_ADDRESS,
  PROP_PRODUCER_NAME,
  PROP_PEER_ID,
  PROP_ICE_ADDRESSES,
  PROP_CA_FILE,
  PROP_INSECURE_TLS,
  PROP_EXTRA_HEADERS,
  PROP_PEER_TIMEOUT,
  PROP_ACCESS,  // and the kAccessProperties after it (server-access.h)
};

// Everything the element does, shared with callbacks through weak_ptr.
// Signalling callbacks (server or client thread) only post to `loop`, where
// every decision is made and the Session lives; `mutex` guards the pointers
// that start()/stop() (application thread) swap.
struct Core : std::enable_shared_from_this<Core> {
  GstElement *element = nullptr;
  std::mutex mutex;
  GRef<GstElement> webrtc;
  // Set on the app thread (start/stop), used from the loop: callers take
  // copies under `mutex`, so stop() may drop them while a callback runs.
  std::shared_ptr<ProducerSignaller> producer;  // producer role
  std::shared_ptr<ConsumerSignaller> consumer;  // consumer role
  ControlLoop loop;
  // settings, copied at start
  RoleMode role = RoleMode::Producer;
  std::string producer_name, peer_id;
  unsigned peer_timeout_s = 20;
  // loop thread only
  std::shared_ptr<Session> session;  // the one session this webrtcbin serves
  std::string sid;
  bool used = false;  // a session happened: webrtcbin cannot start over

  std::shared_ptr<ProducerSignaller> get_producer() {
    std::lock_guard lock(mutex);
    return producer;
  }
  std::shared_ptr<ConsumerSignaller> get_consumer() {
    std::lock_guard lock(mutex);
    return consumer;
  }

  // Runs `fn` on the loop while this core lives.
  template <typename Fn>
  void post(Fn &&fn) {
    std::weak_ptr<Core> weak = weak_from_this();
    if (GMainContext *ctx = loop.context())
      post_to(ctx, [weak, fn = std::forward<Fn>(fn)]() mutable {
        if (auto c = weak.lock()) fn(*c);
      });
  }

  void send_sdp(const std::string &id, const Sdp &sdp) {
    if (auto p = get_producer())
      p->send_sdp(id, sdp);
    else if (auto c = get_consumer())
      c->send_sdp(id, sdp);
  }
  void send_ice(const std::string &id, const Ice &ice) {
    if (auto p = get_producer())
      p->send_ice(id, ice);
    else if (auto c = get_consumer())
      c->send_ice(id, ice);
  }
  void end(const std::string &id, const std::string &reason) {
    if (auto p = get_producer())
      p->end_session(id, reason);
    else if (auto c = get_consumer())
      c->end_session(id, reason);
  }

  void warn(const std::string &what) {
    GST_ELEMENT_WARNING(element, RESOURCE, READ, ("%s", what.c_str()), (nullptr));
  }

  // Loop thread: a Session around the application's webrtcbin for `id`.
  void begin(const std::string &id, SessionRole r) {
    if (used) {
      end(id, "this producer is a single webrtcbin and already served a consumer");
      return;
    }
    used = true;
    sid = id;
    SessionConfig config;
    config.role = r;
    config.owner = element;
    config.configure_ice = false;  // done once at start (ice-addresses)
    config.peer_timeout_s = peer_timeout_s;
    std::weak_ptr<Core> weak = weak_from_this();
    Session::Events ev;
    ev.local_description = [weak, id](const Sdp &sdp) {
      if (auto c = weak.lock()) c->send_sdp(id, sdp);
    };
    ev.local_candidate = [weak, id](const Ice &ice) {
      if (auto c = weak.lock()) c->send_ice(id, ice);
    };
    ev.connected = [weak] {
      if (auto c = weak.lock()) GST_INFO_OBJECT(c->element, "session %s connected and verified", c->sid.c_str());
    };
    ev.failed = [weak, id](EndReason, const std::string &why) {
      auto c = weak.lock();
      if (!c || c->sid != id) return;
      c->warn("Session ended: " + why + ". A plain webrtcbin cannot be renegotiated; restart the pipeline to serve "
              "another peer.");
      c->end(id, why);
      c->sid.clear();
    };
    GRef<GstElement> w;
    {
      std::lock_guard lock(mutex);
      w = webrtc;
    }
    if (!w) return;
    session = Session::create(loop.context(), config, std::move(ev), w.get());
    session->start();
  }

  void remote_sdp(const std::string &id, const Sdp &sdp) {
    if (id == sid && session) (void)session->set_remote_description(sdp);
  }

  void remote_ice(const std::string &id, const Ice &ice) {
    if (id == sid && session) session->add_remote_candidate(ice);
  }

  void ended(const std::string &id, const std::string &why) {
    if (id != sid) return;
    sid.clear();
    if (session) session->close();
    warn("The session ended (" + why + "); a plain webrtcbin cannot be renegotiated, restart the pipeline to serve "
         "another peer.");
  }

  void stop() {
    std::shared_ptr<ProducerSignaller> p;
    std::shared_ptr<ConsumerSignaller> c;
    {
      std::lock_guard lock(mutex);
      p = std::move(producer);
      c = std::move(consumer);
    }
    // No signalling callback after these return; then the loop finishes
    // what was posted and the session goes with it.
    if (p) p->stop();
    if (c) c->stop();
    loop.stop([this] {
      if (session) session->close();
      session.reset();
      sid.clear();
      used = false;
    });
    std::lock_guard lock(mutex);
    webrtc.reset();
  }
};

}  // namespace

struct _GstWebRTCLiveSignaller {
  GstElement parent;
  struct Settings {
    std::string webrtcbin;
    RoleMode role = RoleMode::Producer;
    std::string server;
    guint port = 8080;
    std::string address = "0.0.0.0";
    ServerAccess access;
    std::string producer_name;
    std::string peer_id;
    std::string ice_addresses;
    std::string ca_file;
    bool insecure = false;
    std::string headers;  // a serialized GstStructure ("" = none)
    guint peer_timeout = 20;
  } *settings;
  std::shared_ptr<Core> *core;
};

G_DEFINE_TYPE(GstWebRTCLiveSignaller, gst_webrtc_live_signaller, GST_TYPE_ELEMENT)

GST_ELEMENT_REGISTER_DEFINE_WITH_CODE(webrtclivesignaller, "webrtclivesignaller", GST_RANK_NONE,
                                      GST_TYPE_WEBRTC_LIVE_SIGNALLER,
                                      GST_DEBUG_CATEGORY_INIT(webrtclivesignaller_debug, "webrtclivesignaller", 0,
                                                              "webrtclivesignaller element"));

static GType role_get_type() {
  static GType type = 0;
  static const GEnumValue values[] = {
      {0, "Register as a producer and offer the webrtcbin's streams to one consumer", "producer"},
      {1, "Consume a producer: answer its offer with the webrtcbin", "consumer"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter(&type)) g_once_init_leave(&type, g_enum_register_static("GstWebRTCLiveSignallerRole", values));
  return type;
}

static void gst_webrtc_live_signaller_init(GstWebRTCLiveSignaller *self) {
  self->settings = new _GstWebRTCLiveSignaller::Settings();
  self->core = new std::shared_ptr<Core>(std::make_shared<Core>());
  (*self->core)->element = GST_ELEMENT(self);
}

static void finalize(GObject *object) {
  auto *self = GST_WEBRTC_LIVE_SIGNALLER(object);
  (*self->core)->stop();
  delete self->core;
  delete self->settings;
  G_OBJECT_CLASS(gst_webrtc_live_signaller_parent_class)->finalize(object);
}

static void set_property(GObject *object, guint id, const GValue *value, GParamSpec *pspec) {
  auto *self = GST_WEBRTC_LIVE_SIGNALLER(object);
  auto &s = *self->settings;
  auto str = [&] { return std::string(g_value_get_string(value) ? g_value_get_string(value) : ""); };
  GST_OBJECT_LOCK(self);
  switch (id) {
    case PROP_WEBRTCBIN: s.webrtcbin = str(); break;
    case PROP_ROLE: s.role = static_cast<RoleMode>(g_value_get_enum(value)); break;
    case PROP_SERVER: s.server = str(); break;
    case PROP_PORT: s.port = g_value_get_uint(value); break;
    case PROP_ADDRESS: s.address = str(); break;
    case PROP_PRODUCER_NAME: s.producer_name = str(); break;
    case PROP_PEER_ID: s.peer_id = str(); break;
    case PROP_ICE_ADDRESSES: s.ice_addresses = str(); break;
    case PROP_CA_FILE: s.ca_file = str(); break;
    case PROP_INSECURE_TLS: s.insecure = g_value_get_boolean(value); break;
    case PROP_EXTRA_HEADERS:
      s.headers = g_value_get_boxed(value) ? take_string(gst_structure_to_string(GST_STRUCTURE(g_value_get_boxed(value))))
                                           : std::string();
      break;
    case PROP_PEER_TIMEOUT: s.peer_timeout = g_value_get_uint(value); break;
    default:
      if (!set_access_property(s.access, PROP_ACCESS, id, value)) G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
  GST_OBJECT_UNLOCK(self);
}

static void get_property(GObject *object, guint id, GValue *value, GParamSpec *pspec) {
  auto *self = GST_WEBRTC_LIVE_SIGNALLER(object);
  auto &s = *self->settings;
  auto opt = [](const std::string &v) { return v.empty() ? nullptr : v.c_str(); };
  GST_OBJECT_LOCK(self);
  switch (id) {
    case PROP_WEBRTCBIN: g_value_set_string(value, opt(s.webrtcbin)); break;
    case PROP_ROLE: g_value_set_enum(value, static_cast<int>(s.role)); break;
    case PROP_SERVER: g_value_set_string(value, opt(s.server)); break;
    case PROP_PORT: g_value_set_uint(value, s.port); break;
    case PROP_ADDRESS: g_value_set_string(value, s.address.c_str()); break;
    case PROP_PRODUCER_NAME: g_value_set_string(value, opt(s.producer_name)); break;
    case PROP_PEER_ID: g_value_set_string(value, opt(s.peer_id)); break;
    case PROP_ICE_ADDRESSES: g_value_set_string(value, s.ice_addresses.c_str()); break;
    case PROP_CA_FILE: g_value_set_string(value, opt(s.ca_file)); break;
    case PROP_INSECURE_TLS: g_value_set_boolean(value, s.insecure); break;
    case PROP_EXTRA_HEADERS:
      g_value_take_boxed(value, s.headers.empty() ? nullptr : gst_structure_from_string(s.headers.c_str(), nullptr));
      break;
    case PROP_PEER_TIMEOUT: g_value_set_uint(value, s.peer_timeout); break;
    default:
      if (!get_access_property(s.access, PROP_ACCESS, id, value)) G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
  GST_OBJECT_UNLOCK(self);
}

// Finds the named webrtcbin in the top-level bin this element lives in.
static GstElement *find_webrtcbin(GstElement *self, const std::string &name) {
  GstObject *top = GST_OBJECT(gst_object_ref(self));
  while (GstObject *parent = gst_object_get_parent(top)) {
    gst_object_unref(top);
    top = parent;
  }
  GstElement *found = GST_IS_BIN(top) ? gst_bin_get_by_name(GST_BIN(top), name.c_str()) : nullptr;
  gst_object_unref(top);
  return found;
}

// The embedded server on port/address, or a WebSocket client to `server`.
static std::unique_ptr<SignallingTransport> make_transport(const _GstWebRTCLiveSignaller::Settings &s,
                                                           const std::vector<std::pair<std::string, std::string>> &headers,
                                                           std::string *error) {
  if (s.server.empty()) {
    SignallingServer::Options o;
    o.port = s.port;
    o.address = s.address;
    if (!apply_access(s.access, o, error)) return nullptr;
    return std::make_unique<EmbeddedTransport>(o);
  }
  WsClient::Options o;
  o.url = s.server;
  o.ca_file = s.ca_file;
  o.insecure = s.insecure;
  o.headers = headers;
  return std::make_unique<WsTransport>(o);
}

static bool start(GstWebRTCLiveSignaller *self) {
  _GstWebRTCLiveSignaller::Settings s;
  GST_OBJECT_LOCK(self);
  s = *self->settings;
  GST_OBJECT_UNLOCK(self);
  auto core = *self->core;
  if (s.webrtcbin.empty()) {
    GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("Set 'webrtcbin' to the name of the webrtcbin to signal for."),
                      (nullptr));
    return false;
  }
  GstElement *w = find_webrtcbin(GST_ELEMENT(self), s.webrtcbin);
  GstElementFactory *f = w ? gst_element_get_factory(w) : nullptr;
  if (!w || !f || g_strcmp0(GST_OBJECT_NAME(f), "webrtcbin") != 0) {
    if (w) gst_object_unref(w);
    GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND, ("No webrtcbin named '%s' in this pipeline.", s.webrtcbin.c_str()),
                      (nullptr));
    return false;
  }
  {
    std::lock_guard lock(core->mutex);
    core->webrtc = GRef<GstElement>::adopt(w);
  }
  core->role = s.role;
  core->producer_name = s.producer_name;
  core->peer_id = s.peer_id;
  core->peer_timeout_s = s.peer_timeout;
  configure_ice(GST_ELEMENT(self), w, IceSettings{{}, split_list(s.ice_addresses)});
  core->loop.start();
  std::string error;
  std::vector<std::pair<std::string, std::string>> headers;
  if (StructurePtr h{s.headers.empty() ? nullptr : gst_structure_from_string(s.headers.c_str(), nullptr)})
    for (gint i = 0; i < gst_structure_n_fields(h.get()); i++) {
      const char *k = gst_structure_nth_field_name(h.get(), i);
      const GValue *v = gst_structure_get_value(h.get(), k);
      if (G_VALUE_HOLDS_STRING(v)) headers.emplace_back(k, g_value_get_string(v));
    }
  std::weak_ptr<Core> weak = core;
  if (s.role == RoleMode::Producer) {
    Meta meta = Meta::from_name(s.producer_name.empty() ? GST_OBJECT_NAME(self) : s.producer_name);
    auto transport = make_transport(s, headers, &error);
    if (!transport) {
      core->stop();
      GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("%s", error.c_str()), (nullptr));
      return false;
    }
    {
      std::lock_guard lock(core->mutex);
      core->producer = std::make_shared<ProtocolProducer>(std::move(transport), meta);
    }
    ProducerSignaller::Callbacks cb;
    cb.session_requested = [weak](const std::string &sid, const std::string &, const std::optional<std::string> &offer) {
      if (auto c = weak.lock())
        c->post([sid, offer](Core &core) {
          if (offer)
            core.end(sid, "this producer makes the offer");
          else
            core.begin(sid, SessionRole::Offerer);
        });
    };
    cb.remote_sdp = [weak](const std::string &sid, const Sdp &sdp) {
      if (auto c = weak.lock()) c->post([sid, sdp](Core &core) { core.remote_sdp(sid, sdp); });
    };
    cb.remote_ice = [weak](const std::string &sid, const Ice &ice) {
      if (auto c = weak.lock()) c->post([sid, ice](Core &core) { core.remote_ice(sid, ice); });
    };
    cb.session_ended = [weak](const std::string &sid, const std::optional<std::string> &reason) {
      if (auto c = weak.lock())
        c->post([sid, reason](Core &core) { core.ended(sid, reason.value_or("consumer left")); });
    };
    cb.error = [weak](const std::string &message, bool) {
      if (auto c = weak.lock()) c->warn(message);
    };
    if (!core->get_producer()->start(std::move(cb), &error)) {
      core->stop();
      GST_ELEMENT_ERROR(self, RESOURCE, OPEN_READ_WRITE, ("%s", error.c_str()), (nullptr));
      return false;
    }
    auto urls = core->get_producer()->urls();
    if (!urls.empty()) {
      std::string list;
      for (auto &u : urls) list += (list.empty() ? "" : " ") + u;
      GST_ELEMENT_INFO(self, RESOURCE, OPEN_READ_WRITE, ("serving on %s", list.c_str()), ("serving on %s", list.c_str()));
    }
  } else {
    auto transport = make_transport(s, headers, &error);
    if (!transport) {
      core->stop();
      GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("%s", error.c_str()), (nullptr));
      return false;
    }
    ProtocolConsumer::Options o;
    o.meta = Meta::from_name(GST_OBJECT_NAME(self));
    o.peer_id = s.peer_id;
    o.producer_name = s.producer_name;
    o.once = true;  // a plain webrtcbin serves one session
    {
      std::lock_guard lock(core->mutex);
      core->consumer = std::make_shared<ProtocolConsumer>(std::move(transport), o);
    }
    ConsumerSignaller::Callbacks cb;
    cb.session_started = [weak](const std::string &sid, const std::string &, const std::string &) {
      if (auto c = weak.lock()) c->post([sid](Core &core) { core.begin(sid, SessionRole::Answerer); });
    };
    cb.remote_sdp = [weak](const std::string &sid, const Sdp &sdp) {
      if (auto c = weak.lock()) c->post([sid, sdp](Core &core) { core.remote_sdp(sid, sdp); });
    };
    cb.remote_ice = [weak](const std::string &sid, const Ice &ice) {
      if (auto c = weak.lock()) c->post([sid, ice](Core &core) { core.remote_ice(sid, ice); });
    };
    cb.session_ended = [weak](const std::string &sid, const std::string &reason) {
      if (auto c = weak.lock()) c->post([sid, reason](Core &core) { core.ended(sid, reason); });
    };
    cb.error = [weak](const std::string &message, bool) {
      if (auto c = weak.lock()) c->warn("Signalling: " + message);
    };
    if (!core->get_consumer()->start(std::move(cb), &error)) {
      core->stop();
      GST_ELEMENT_ERROR(self, RESOURCE, OPEN_READ_WRITE, ("%s", error.c_str()), (nullptr));
      return false;
    }
  }
  return true;
}

static GstStateChangeReturn change_state(GstElement *element, GstStateChange transition) {
  auto *self = GST_WEBRTC_LIVE_SIGNALLER(element);
  // Signalling starts once the pipeline is PLAYING: by then the webrtcbin's
  // pads are linked and their caps known, which the offer needs.
  if (transition == GST_STATE_CHANGE_PAUSED_TO_PLAYING && !(*self->core)->get_producer() &&
      !(*self->core)->get_consumer() &&
      !start(self))
    return GST_STATE_CHANGE_FAILURE;
  GstStateChangeReturn ret =
      GST_ELEMENT_CLASS(gst_webrtc_live_signaller_parent_class)->change_state(element, transition);
  if (transition == GST_STATE_CHANGE_READY_TO_NULL) (*self->core)->stop();
  return ret;
}

static void gst_webrtc_live_signaller_class_init(GstWebRTCLiveSignallerClass *klass) {
  GObjectClass *oc = G_OBJECT_CLASS(klass);
  GstElementClass *ec = GST_ELEMENT_CLASS(klass);
  oc->finalize = finalize;
  oc->set_property = set_property;
  oc->get_property = get_property;
  ec->change_state = change_state;
  auto rw = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  g_object_class_install_property(
      oc, PROP_WEBRTCBIN,
      g_param_spec_string("webrtcbin", "webrtcbin",
                          "Name of the webrtcbin element, in the same pipeline, whose SDP and ICE this element "
                          "negotiates",
                          nullptr, rw));
  g_object_class_install_property(
      oc, PROP_ROLE,
      g_param_spec_enum("role", "Role",
                        "Producer: register and offer the webrtcbin's streams to one consumer; consumer: answer a "
                        "producer's offer",
                        role_get_type(), 0, rw));
  g_object_class_install_property(
      oc, PROP_SERVER,
      g_param_spec_string("server", "Signalling Server",
                          "URL of the signalling server (ws:// or wss://); NULL = run an embedded server on 'port'",
                          nullptr, rw));
  g_object_class_install_property(
      oc, PROP_PORT,
      g_param_spec_uint("port", "Port", "TCP port of the embedded server when 'server' is NULL; 0 = a free port", 0,
                        65535, 8080, rw));
  g_object_class_install_property(
      oc, PROP_ADDRESS,
      g_param_spec_string("address", "Address", "IP address the embedded server listens on; 0.0.0.0 = all IPv4",
                          "0.0.0.0", rw));
  g_object_class_install_property(
      oc, PROP_PRODUCER_NAME,
      g_param_spec_string("producer-name", "Producer Name",
                          "As producer: the name consumers see (default: this element's name); as consumer: consume "
                          "the first producer with this name (default: any)",
                          nullptr, rw));
  g_object_class_install_property(
      oc, PROP_PEER_ID,
      g_param_spec_string("peer-id", "Peer ID", "As consumer: consume the producer with this peer id; NULL = any",
                          nullptr, rw));
  g_object_class_install_property(
      oc, PROP_ICE_ADDRESSES,
      g_param_spec_string("ice-addresses", "ICE Addresses",
                          "Comma-separated local IP addresses the webrtcbin's ICE agent may use (127.0.0.1 is never "
                          "gathered otherwise); empty = leave the webrtcbin as it is",
                          "", rw));
  g_object_class_install_property(
      oc, PROP_CA_FILE,
      g_param_spec_string("ca-file", "CA File", "PEM file of trusted certificate authorities for wss://", nullptr, rw));
  g_object_class_install_property(
      oc, PROP_EXTRA_HEADERS,
      g_param_spec_boxed("extra-headers", "Extra Headers",
                         "Extra HTTP headers for the WebSocket handshake with 'server' (e.g. "
                         "extra-headers=\"h,Authorization=(string)\\\"Bearer s3cret\\\"\"); never logged",
                         GST_TYPE_STRUCTURE, rw));
  g_object_class_install_property(
      oc, PROP_PEER_TIMEOUT,
      g_param_spec_uint("peer-timeout", "Peer Timeout",
                        "Seconds without RTCP from the connected peer after which its session ends (webrtcbin 1.22 "
                        "has no ICE consent freshness); 0 = never (a webrtcbin that only carries data channels)",
                        0, 3600, 20, rw));
  install_access_properties(oc, PROP_ACCESS, rw);
  g_object_class_install_property(
      oc, PROP_INSECURE_TLS,
      g_param_spec_boolean("insecure-tls", "Insecure TLS", "Accept any wss:// server certificate (tests only)", FALSE,
                           rw));
  gst_element_class_set_static_metadata(
      ec, "WebRTC Live Signaller", "Network/WebRTC",
      "Signalling (SDP and ICE over the gst-webrtc-signalling-server protocol) for a webrtcbin of the pipeline",
      "gst-webrtc-live developers");
  gst_type_mark_as_plugin_api(role_get_type(), static_cast<GstPluginAPIFlags>(0));
}
