// SPDX-License-Identifier: LGPL-2.1-or-later
//
// webrtclivesignaller: signalling as an element of its own, for pipelines
// that already have their own webrtcbin. It has no pads: it finds the
// webrtcbin named by its `webrtcbin` property in the same pipeline and
// negotiates SDP and ICE for it over the protocol, as a producer (it offers
// to the first consumer) or as a consumer (it answers the chosen producer).
//
//   gst-launch-1.0 videotestsrc is-live=true ! vp8enc deadline=1 ! rtpvp8pay ! \
//       application/x-rtp,media=video,encoding-name=VP8,payload=96 ! webrtcbin name=w \
//       webrtclivesignaller webrtcbin=w server=ws://127.0.0.1:8443/
//
// A plain webrtcbin serves one peer: a second consumer is refused with a
// reason, and a session that ended cannot be renegotiated (restart the
// pipeline). Threads: signalling callbacks (server or client thread) and
// webrtcbin callbacks only take `mutex` and call non-blocking APIs.
#include "gstwebrtclivesignallerelement.h"

#include <gst/sdp/sdp.h>
#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "embedded-signaller.h"
#include "gobj.h"
#include "transport.h"
#include "util.h"
#include "server-access.h"
#include "webrtc-util.h"
#include "ws-signaller.h"

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
  PROP_ACCESS,  // and the kAccessProperties after it (server-access.h)
};

// Everything the element does, shared with callbacks through weak_ptr.
struct Core : std::enable_shared_from_this<Core> {
  GstElement *element = nullptr;
  std::mutex mutex;
  GRef<GstElement> webrtc;
  std::string session;       // the one session this webrtcbin serves
  unsigned remote_candidates = 0;  // received for `session` (mutex)
  bool used = false;         // a session happened: webrtcbin cannot start over
  std::string pending;       // consumer: startSession sent to this producer
  std::string my_id;
  // settings, copied at start
  RoleMode role = RoleMode::Producer;
  std::string producer_name, peer_id;
  // Set on the app thread (start/stop), used from signalling and webrtcbin
  // threads: callbacks take copies under `mutex`, so stop() may drop them
  // while a callback runs.
  std::shared_ptr<ProducerSignaller> producer;      // producer role
  std::shared_ptr<SignallingTransport> transport;  // consumer role
  gulong ice_handler = 0;

  std::shared_ptr<ProducerSignaller> get_producer() {
    std::lock_guard lock(mutex);
    return producer;
  }
  std::shared_ptr<SignallingTransport> get_transport() {
    std::lock_guard lock(mutex);
    return transport;
  }
  GRef<GstElement> get_webrtc() {
    std::lock_guard lock(mutex);
    return webrtc;
  }

  void send_sdp(const std::string &sid, const Sdp &sdp) {
    if (auto p = get_producer())
      p->send_sdp(sid, sdp);
    else if (auto t = get_transport())
      t->send(Peer{sid, sdp});
  }
  void send_ice(const std::string &sid, const Ice &ice) {
    if (auto p = get_producer())
      p->send_ice(sid, ice);
    else if (auto t = get_transport())
      t->send(Peer{sid, ice});
  }
  void end(const std::string &sid, const std::string &reason) {
    if (auto p = get_producer())
      p->end_session(sid, reason);
    else if (auto t = get_transport())
      t->send(EndSession{sid, false, std::nullopt});
  }

  // A new session for the webrtcbin; false (with a reason) if it is taken.
  bool claim(const std::string &sid, std::string *why) {
    std::lock_guard lock(mutex);
    if (!session.empty() || used) {
      *why = "this producer is a single webrtcbin and already served a consumer";
      return false;
    }
    session = sid;
    used = true;
    return true;
  }

  void connect_webrtc_signals() {
    auto *weak = new std::weak_ptr<Core>(weak_from_this());
    ice_handler = g_signal_connect_data(webrtc.get(), "on-ice-candidate",
                          G_CALLBACK(+[](GstElement *, guint mline, gchar *cand, gpointer d) {
                            auto c = static_cast<std::weak_ptr<Core> *>(d)->lock();
                            if (!c) return;
                            std::string sid;
                            {
                              std::lock_guard lock(c->mutex);
                              sid = c->session;
                            }
                            if (!sid.empty()) c->send_ice(sid, Ice{cand, mline});
                          }),
                          weak, [](gpointer d, GClosure *) { delete static_cast<std::weak_ptr<Core> *>(d); },
                          GConnectFlags(0));
  }

  void warn(const std::string &what) {
    GST_ELEMENT_WARNING(element, RESOURCE, READ, ("%s", what.c_str()), (nullptr));
  }

  // Producer: make the offer for `sid`.
  void offer(const std::string &sid) {
    struct Ctx {
      std::weak_ptr<Core> core;
      std::string sid;
    };
    GstPromise *p = gst_promise_new_with_change_func(
        [](GstPromise *promise, gpointer d) {
          auto *ctx = static_cast<Ctx *>(d);
          auto c = ctx->core.lock();
          if (!c) return;
          const GstStructure *reply = gst_promise_get_reply(promise);
          GstWebRTCSessionDescription *desc = nullptr;
          if (reply) gst_structure_get(reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &desc, nullptr);
          if (!desc) {
            c->warn("webrtcbin could not create an offer (are its sink pads linked and negotiated?)");
            c->end(ctx->sid, "the producer could not create an offer");
            return;
          }
          if (auto w = c->get_webrtc()) g_signal_emit_by_name(w.get(), "set-local-description", desc, nullptr);
          gchar *text = gst_sdp_message_as_text(desc->sdp);
          c->send_sdp(ctx->sid, Sdp{"offer", text});
          g_free(text);
          gst_webrtc_session_description_free(desc);
        },
        new Ctx{weak_from_this(), sid}, [](gpointer d) { delete static_cast<Ctx *>(d); });
    if (auto w = get_webrtc()) g_signal_emit_by_name(w.get(), "create-offer", nullptr, p);
    gst_promise_unref(p);
  }

  // Consumer: answer the producer's offer.
  void answer(const std::string &sid, const std::string &sdp) {
    GstSDPMessage *msg = parse_remote_sdp(sdp);
    if (!msg) {
      warn("the producer's offer is not valid SDP");
      return;
    }
    auto *desc = gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_OFFER, msg);
    struct Ctx {
      std::weak_ptr<Core> core;
      std::string sid;
    };
    GstPromise *p = gst_promise_new_with_change_func(
        [](GstPromise *, gpointer d) {
          auto *ctx = static_cast<Ctx *>(d);
          auto c = ctx->core.lock();
          if (!c) return;
          GstPromise *p2 = gst_promise_new_with_change_func(
              [](GstPromise *promise, gpointer d2) {
                auto *ctx2 = static_cast<Ctx *>(d2);
                auto c2 = ctx2->core.lock();
                if (!c2) return;
                const GstStructure *reply = gst_promise_get_reply(promise);
                GstWebRTCSessionDescription *ans = nullptr;
                if (reply) gst_structure_get(reply, "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &ans, nullptr);
                if (!ans) {
                  c2->warn("webrtcbin could not answer the producer's offer");
                  return;
                }
                if (auto w = c2->get_webrtc()) g_signal_emit_by_name(w.get(), "set-local-description", ans, nullptr);
                gchar *text = gst_sdp_message_as_text(ans->sdp);
                c2->send_sdp(ctx2->sid, Sdp{"answer", text});
                g_free(text);
                gst_webrtc_session_description_free(ans);
              },
              new Ctx{ctx->core, ctx->sid}, [](gpointer dd) { delete static_cast<Ctx *>(dd); });
          if (auto w = c->get_webrtc()) g_signal_emit_by_name(w.get(), "create-answer", nullptr, p2);
          gst_promise_unref(p2);
        },
        new Ctx{weak_from_this(), sid}, [](gpointer d) { delete static_cast<Ctx *>(d); });
    if (auto w = get_webrtc()) g_signal_emit_by_name(w.get(), "set-remote-description", desc, p);
    gst_promise_unref(p);
    gst_webrtc_session_description_free(desc);
  }

  void remote_sdp(const std::string &sid, const Sdp &sdp) {
    {
      std::lock_guard lock(mutex);
      if (sid != session) return;
    }
    if (sdp.type == "answer" && role == RoleMode::Producer) {
      GstSDPMessage *msg = parse_remote_sdp(sdp.sdp);
      if (!msg) {
        warn("the consumer's answer is not valid SDP");
        return;
      }
      // webrtcbin 1.22 aborts on a rejected bundled m-line: refuse it here.
      for (guint i = 0; i < gst_sdp_message_medias_len(msg); i++) {
        if (gst_sdp_media_get_port(gst_sdp_message_get_media(msg, i)) == 0) {
          gst_sdp_message_free(msg);
          warn("the consumer rejected a stream of this webrtcbin; session ended");
          end(sid, "the consumer rejected a stream (m-line " + std::to_string(i) + ")");
          return;
        }
      }
      auto *desc = gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_ANSWER, msg);
      if (auto w = get_webrtc()) g_signal_emit_by_name(w.get(), "set-remote-description", desc, nullptr);
      gst_webrtc_session_description_free(desc);
    } else if (sdp.type == "offer" && role == RoleMode::Consumer) {
      answer(sid, sdp.sdp);
    }
  }

  void remote_ice(const std::string &sid, const Ice &ice) {
    unsigned received;
    {
      std::lock_guard lock(mutex);
      if (sid != session) return;
      received = remote_candidates++;
    }
    // The webrtcbin is the application's: its m-lines are not ours to count.
    CandidateVerdict v = check_remote_candidate(ice.candidate, ice.sdp_mline_index, G_MAXUINT, received);
    if (v.kind != CandidateVerdict::Use) {
      GST_WARNING_OBJECT(element, "ignoring a remote candidate: %s", v.why.c_str());
      return;
    }
    if (auto w = get_webrtc())
      g_signal_emit_by_name(w.get(), "add-ice-candidate", ice.sdp_mline_index, ice.candidate.c_str());
  }

  void ended(const std::string &sid, const std::string &why) {
    {
      std::lock_guard lock(mutex);
      if (sid != session) return;
      session.clear();
    }
    warn("The session ended (" + why + "); a plain webrtcbin cannot be renegotiated, restart the pipeline to serve "
         "another peer.");
  }

  // Consumer role: the protocol itself.
  void consumer_message(const ServerMessage &msg) {
    std::visit(Overloaded{
                   [&](const Welcome &m) {
                     my_id = m.peer_id;
                     if (auto t = get_transport())
                       t->send(SetPeerStatus{{Role::Listener}, Meta::from_name(GST_OBJECT_NAME(element))});
                   },
                   [&](const PeerStatusChanged &m) {
                     if (m.peer_id == my_id) {
                       if (auto t = get_transport()) t->send(List{});
                     }
                     else if (has_role(m.roles, Role::Producer))
                       consider(m.peer_id, m.meta);
                   },
                   [&](const ListReply &m) {
                     for (auto &p : m.producers) consider(p.id, p.meta);
                   },
                   [&](const SessionStarted &m) {
                     std::string why;
                     if (!claim(m.session_id, &why)) end(m.session_id, why);
                   },
                   [&](const Peer &m) {
                     if (auto *sdp = std::get_if<Sdp>(&m.payload))
                       remote_sdp(m.session_id, *sdp);
                     else
                       remote_ice(m.session_id, std::get<Ice>(m.payload));
                   },
                   [&](const EndSession &m) { ended(m.session_id, m.error.value_or("producer ended it")); },
                   [&](const Error &m) { warn("Signalling server: " + m.details); },
                   [&](const auto &) {},
               },
               msg);
  }

  void consider(const std::string &id, const Meta &meta) {
    {
      std::lock_guard lock(mutex);
      if (used || !pending.empty()) return;
      if (!peer_id.empty() && id != peer_id) return;
      if (!producer_name.empty() && meta.name() != producer_name) return;
      pending = id;
    }
    if (auto t = get_transport()) t->send(StartSessionRequest{id, std::nullopt});
  }

  void stop() {
    std::shared_ptr<ProducerSignaller> p;
    std::shared_ptr<SignallingTransport> t;
    GRef<GstElement> w;
    {
      std::lock_guard lock(mutex);
      p = std::move(producer);
      t = std::move(transport);
      w = std::move(webrtc);
      session.clear();
      pending.clear();
      used = false;
    }
    if (p) p->stop();
    if (t) t->stop();
    if (w && ice_handler) g_signal_handler_disconnect(w.get(), ice_handler);
    ice_handler = 0;
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
  configure_ice(GST_ELEMENT(self), w, IceSettings{{}, {}, split_list(s.ice_addresses)});
  core->connect_webrtc_signals();
  std::string error;
  std::weak_ptr<Core> weak = core;
  if (s.role == RoleMode::Producer) {
    Meta meta = Meta::from_name(s.producer_name.empty() ? GST_OBJECT_NAME(self) : s.producer_name);
    if (s.server.empty()) {
      EmbeddedSignaller::Options o;
      o.server.port = s.port;
      o.server.address = s.address;
      if (!apply_access(s.access, o.server, &error)) {
        core->stop();
        GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("%s", error.c_str()), (nullptr));
        return false;
      }
      o.meta = meta;
      {
        std::lock_guard lock(core->mutex);
        core->producer = std::make_shared<EmbeddedSignaller>(o);
      }
    } else {
      WsProducerSignaller::Options o;
      o.client.url = s.server;
      o.client.ca_file = s.ca_file;
      o.client.insecure = s.insecure;
      o.meta = meta;
      {
        std::lock_guard lock(core->mutex);
        core->producer = std::make_shared<WsProducerSignaller>(o);
      }
    }
    ProducerSignaller::Callbacks cb;
    cb.session_requested = [weak](const std::string &sid, const std::string &, const std::optional<std::string> &offer) {
      auto c = weak.lock();
      if (!c) return;
      std::string why;
      if (offer)
        c->end(sid, "this producer makes the offer");
      else if (!c->claim(sid, &why))
        c->end(sid, why);
      else
        c->offer(sid);
    };
    cb.remote_sdp = [weak](const std::string &sid, const Sdp &sdp) {
      if (auto c = weak.lock()) c->remote_sdp(sid, sdp);
    };
    cb.remote_ice = [weak](const std::string &sid, const Ice &ice) {
      if (auto c = weak.lock()) c->remote_ice(sid, ice);
    };
    cb.session_ended = [weak](const std::string &sid, const std::optional<std::string> &reason) {
      if (auto c = weak.lock()) c->ended(sid, reason.value_or("consumer left"));
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
    if (s.server.empty()) {
      SignallingServer::Options o;
      o.port = s.port;
      o.address = s.address;
      if (!apply_access(s.access, o, &error)) {
        core->stop();
        GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("%s", error.c_str()), (nullptr));
        return false;
      }
      {
        std::lock_guard lock(core->mutex);
        core->transport = std::make_shared<EmbeddedTransport>(o);
      }
    } else {
      WsClient::Options o;
      o.url = s.server;
      o.ca_file = s.ca_file;
      o.insecure = s.insecure;
      {
        std::lock_guard lock(core->mutex);
        core->transport = std::make_shared<WsTransport>(o);
      }
    }
    SignallingTransport::Callbacks cb;
    cb.message = [weak](const ServerMessage &m) {
      if (auto c = weak.lock()) c->consumer_message(m);
    };
    cb.disconnected = [weak](const std::string &why, unsigned retry_ms) {
      if (auto c = weak.lock()) c->warn("Signalling: " + why + "; reconnecting in " + std::to_string(retry_ms) + " ms");
    };
    if (!core->get_transport()->start(std::move(cb), &error)) {
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
      !(*self->core)->get_transport() &&
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
