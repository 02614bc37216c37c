// SPDX-License-Identifier: LGPL-2.1-or-later
#include "whip-whep.h"

#include <gst/gst.h>
#include <gst/sdp/sdp.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "gobj.h"

GST_DEBUG_CATEGORY_EXTERN(webrtclive_server_debug);
#define GST_CAT_DEFAULT webrtclive_server_debug

namespace webrtclive {

using namespace protocol;

// ---- the SDP parts -----------------------------------------------------------

namespace whipwhep {
namespace {

struct SdpPtr {
  GstSDPMessage *m = nullptr;
  SdpPtr() { gst_sdp_message_new(&m); }
  ~SdpPtr() { gst_sdp_message_free(m); }
  SdpPtr(const SdpPtr &) = delete;
  SdpPtr &operator=(const SdpPtr &) = delete;
};

bool parse(const std::string &text, SdpPtr &sdp) {
  if (text.empty()) return false;
  return gst_sdp_message_parse_buffer(reinterpret_cast<const guint8 *>(text.data()), text.size(), sdp.m) ==
         GST_SDP_OK;
}

}  // namespace

std::optional<std::vector<std::string>> offer_mids(const std::string &offer, std::string *why) {
  SdpPtr sdp;
  if (offer.rfind("v=0", 0) != 0 || !parse(offer, sdp)) {
    *why = "the body is not an SDP (it must start with v=0)";
    return std::nullopt;
  }
  const guint n = gst_sdp_message_medias_len(sdp.m);
  if (n == 0) {
    *why = "the SDP offer has no m-line";
    return std::nullopt;
  }
  std::vector<std::string> mids;
  for (guint i = 0; i < n; i++) {
    const char *mid = gst_sdp_media_get_attribute_val(gst_sdp_message_get_media(sdp.m, i), "mid");
    mids.emplace_back(mid ? mid : "");
  }
  return mids;
}

std::optional<SdpFrag> parse_sdpfrag(const std::string &body, const std::vector<std::string> &mids, std::string *why) {
  SdpFrag frag;
  int mline = 0;  // until an m= with a known a=mid says otherwise
  gchar **lines = g_strsplit(body.c_str(), "\n", 512);
  bool ok = true;
  for (gchar **l = lines; *l && ok; l++) {
    std::string line = g_strstrip(*l);
    if (line.empty()) continue;
    if (line.rfind("a=ice-ufrag:", 0) == 0) {
      frag.ufrag = line.substr(12);
    } else if (line.rfind("a=ice-pwd:", 0) == 0) {
      frag.pwd = line.substr(10);
    } else if (line.rfind("m=", 0) == 0) {
      mline = -1;  // known once its a=mid comes
    } else if (line.rfind("a=mid:", 0) == 0) {
      const std::string mid = line.substr(6);
      mline = -1;
      for (size_t i = 0; i < mids.size(); i++)
        if (mids[i] == mid) mline = static_cast<int>(i);
      if (mline < 0) {
        *why = "a=mid:" + mid.substr(0, 32) + " is not an m-line of the offer";
        ok = false;
      }
    } else if (line.rfind("a=candidate:", 0) == 0) {
      if (mline < 0) {
        *why = "a candidate after an m= line without a=mid";
        ok = false;
      } else if (frag.candidates.size() >= kMaxFragCandidates) {
        *why = "more than " + std::to_string(kMaxFragCandidates) + " candidates in one request";
        ok = false;
      } else {
        frag.candidates.push_back(Ice{line.substr(2), static_cast<unsigned>(mline)});
      }
    } else if (line == "a=end-of-candidates") {
      frag.end = true;
    } else if (line.rfind("a=", 0) != 0) {
      *why = "not an SDP fragment line: '" + line.substr(0, 40) + "'";
      ok = false;
    }  // other attributes (a=group, a=ice-options) carry nothing for us
  }
  g_strfreev(lines);
  if (!ok) return std::nullopt;
  return frag;
}

std::string sdp_with_candidates(const std::string &answer, const std::vector<Ice> &candidates, bool complete) {
  if (candidates.empty() && !complete) return answer;
  SdpPtr sdp;
  if (!parse(answer, sdp)) return answer;
  const guint n = gst_sdp_message_medias_len(sdp.m);
  for (const Ice &c : candidates) {
    if (c.sdp_mline_index >= n || c.candidate.rfind("candidate:", 0) != 0) continue;
    auto *media = const_cast<GstSDPMedia *>(gst_sdp_message_get_media(sdp.m, c.sdp_mline_index));
    gst_sdp_media_add_attribute(media, "candidate", c.candidate.c_str() + strlen("candidate:"));
  }
  if (complete)
    for (guint i = 0; i < n; i++)
      gst_sdp_media_add_attribute(const_cast<GstSDPMedia *>(gst_sdp_message_get_media(sdp.m, i)),
                                  "end-of-candidates", nullptr);
  GCharPtr text(gst_sdp_message_as_text(sdp.m));
  return text ? std::string(text.get()) : answer;
}

std::string sdp_ufrag(const std::string &text) {
  SdpPtr sdp;
  if (!parse(text, sdp)) return "";
  if (const char *u = gst_sdp_message_get_attribute_val(sdp.m, "ice-ufrag")) return u;
  if (gst_sdp_message_medias_len(sdp.m) == 0) return "";
  const char *u = gst_sdp_media_get_attribute_val(gst_sdp_message_get_media(sdp.m, 0), "ice-ufrag");
  return u ? u : "";
}

}  // namespace whipwhep

// ---- the gateway ---------------------------------------------------------------

namespace {

constexpr const char *kSdp = "application/sdp";
constexpr const char *kSdpFrag = "application/trickle-ice-sdpfrag";
constexpr size_t kMaxName = 128;

std::string random_id() {
  GCharPtr uuid(g_uuid_string_random());
  std::string id;
  for (const char *p = uuid.get(); *p; p++)
    if (*p != '-') id += *p;
  return id;
}

std::string remote_address(SoupServerMessage *msg) {
  const char *host = soup_server_message_get_remote_host(msg);
  return host ? host : "";
}

// The media type of a request, without parameters ("" if none).
std::string content_type(SoupServerMessage *msg) {
  const char *t = soup_message_headers_get_content_type(soup_server_message_get_request_headers(msg), nullptr);
  return t ? t : "";
}

std::string body_of(SoupServerMessage *msg) {
  SoupMessageBody *body = soup_server_message_get_request_body(msg);
  GBytes *bytes = soup_message_body_flatten(body);
  gsize size = 0;
  const char *data = static_cast<const char *>(g_bytes_get_data(bytes, &size));
  std::string text(data ? data : "", size);
  g_bytes_unref(bytes);
  return text;
}

void reply(SoupServerMessage *msg, guint status, const std::string &text) {
  soup_server_message_set_status(msg, status, nullptr);
  std::string body = text.empty() ? std::string() : text + "\n";
  if (!body.empty()) soup_server_message_set_response(msg, "text/plain", SOUP_MEMORY_COPY, body.data(), body.size());
}

}  // namespace

struct WhipWhepGateway::Resource {
  std::string id;
  Kind kind = Kind::Whep;
  std::string peer;        // our peer in the hub
  std::string session;     // the hub's session, once it exists
  std::string address;     // the client's IP address
  std::string offer;
  std::vector<std::string> mids;
  std::string ufrag;       // of the offer: a PATCH with another is an ICE restart
  std::string etag;
  SoupServerMessage *pending = nullptr;  // the POST, paused until the answer (a reference)
  gulong disconnected = 0;
  std::optional<std::string> answer;
  std::vector<Ice> local;    // the element's candidates, until the 201
  std::vector<Ice> queued;   // the client's, until the session exists (WHIP)
  GSource *timer = nullptr;
  gint64 answered_us = 0;

  const char *name() const { return kind == Kind::Whep ? "whep" : "whip"; }
  std::string location() const { return std::string("/") + name() + "/resource/" + id; }
};

WhipWhepGateway::WhipWhepGateway(Config config, Host host) : config_(config), host_(std::move(host)) {}

WhipWhepGateway::~WhipWhepGateway() {
  *alive_ = false;
  std::vector<std::string> ids;
  for (auto &[id, r] : resources_) ids.push_back(id);
  for (auto &id : ids) remove(id, std::string("the server is stopping"));
}

bool WhipWhepGateway::owns(const char *path) const {
  if (!path) return false;
  auto under = [&](const char *root) {
    const size_t n = strlen(root);
    return strncmp(path, root, n) == 0 && (path[n] == '\0' || path[n] == '/');
  };
  return under("/whep") || under("/whip");
}

bool WhipWhepGateway::accept_body(SoupServerMessage *msg) {
  const char *method = soup_server_message_get_method(msg);
  if (strcmp(method, "POST") != 0 && strcmp(method, "PATCH") != 0) return true;
  SoupMessageHeaders *h = soup_server_message_get_request_headers(msg);
  if (soup_message_headers_get_encoding(h) != SOUP_ENCODING_CONTENT_LENGTH) {
    reply(msg, SOUP_STATUS_LENGTH_REQUIRED, "a WHIP/WHEP request needs a Content-Length");
    return false;
  }
  if (soup_message_headers_get_content_length(h) > static_cast<goffset>(config_.max_body)) {
    reply(msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
          "the body is larger than " + std::to_string(config_.max_body) + " bytes (max-message-size)");
    return false;
  }
  soup_message_body_set_accumulate(soup_server_message_get_request_body(msg), TRUE);
  return true;
}

void WhipWhepGateway::cors(SoupServerMessage *msg) const {
  SoupMessageHeaders *req = soup_server_message_get_request_headers(msg);
  const char *origin = soup_message_headers_get_one(req, "Origin");
  if (!origin) return;
  SoupMessageHeaders *h = soup_server_message_get_response_headers(msg);
  soup_message_headers_replace(h, "Access-Control-Allow-Origin", origin);
  soup_message_headers_replace(h, "Vary", "Origin");
  soup_message_headers_replace(h, "Access-Control-Expose-Headers", "Location, Link, ETag, Accept-Patch");
}

void WhipWhepGateway::link_headers(SoupServerMessage *msg) const {
  if (!host_.client_ice) return;
  SoupMessageHeaders *h = soup_server_message_get_response_headers(msg);
  for (const std::string &link : ice_link_headers(host_.client_ice())) soup_message_headers_append(h, "Link", link.c_str());
}

bool WhipWhepGateway::serve(SoupServerMessage *msg, const std::string &path) {
  if (!owns(path.c_str())) return false;
  const std::string method = soup_server_message_get_method(msg);
  const Kind kind = path.rfind("/whep", 0) == 0 ? Kind::Whep : Kind::Whip;
  const std::string root = kind == Kind::Whep ? "/whep" : "/whip";
  if (!(kind == Kind::Whep ? config_.whep : config_.whip)) {
    reply(msg, SOUP_STATUS_NOT_FOUND,
          kind == Kind::Whep ? "no WHEP here: this server receives streams (POST /whip)"
                             : "no WHIP here: this server sends streams (POST /whep)");
    return true;
  }
  const std::string rest = path.size() > root.size() ? path.substr(root.size() + 1) : "";
  const bool resource = rest.rfind("resource/", 0) == 0;
  SoupMessageHeaders *h = soup_server_message_get_response_headers(msg);
  const char *origin = soup_message_headers_get_one(soup_server_message_get_request_headers(msg), "Origin");

  // A page of another site must not start sessions with a device on the
  // user's LAN (the WebSocket's Origin rule, allowed-origins).
  if (origin && !host_.origin_allowed(msg, origin)) {
    GST_WARNING("refused %s %s from origin '%s'", method.c_str(), root.c_str(), origin);
    reply(msg, SOUP_STATUS_FORBIDDEN, "this origin may not use " + root + " (see allowed-origins)");
    return true;
  }
  cors(msg);
  const char *allow = resource ? "PATCH, DELETE, OPTIONS" : "POST, OPTIONS";
  if (method == "OPTIONS") {
    soup_message_headers_replace(h, "Allow", allow);
    soup_message_headers_replace(h, "Access-Control-Allow-Methods", allow);
    soup_message_headers_replace(h, "Access-Control-Allow-Headers", "Authorization, Content-Type, If-Match");
    soup_message_headers_replace(h, "Access-Control-Max-Age", "600");
    if (!resource) {
      soup_message_headers_replace(h, "Accept-Post", kSdp);
      link_headers(msg);
    } else {
      soup_message_headers_replace(h, "Accept-Patch", kSdpFrag);
    }
    soup_server_message_set_status(msg, SOUP_STATUS_NO_CONTENT, nullptr);
    return true;
  }
  std::string why;
  if (!host_.authorized(msg, &why)) {
    GST_WARNING("refused %s %s: %s", method.c_str(), path.c_str(), why.c_str());  // never the token
    soup_message_headers_replace(h, "WWW-Authenticate", "Bearer");
    reply(msg, SOUP_STATUS_UNAUTHORIZED, "a valid token is required (Authorization: Bearer TOKEN): " + why);
    return true;
  }
  if (!resource) {
    if (method != "POST") {
      soup_message_headers_replace(h, "Allow", allow);
      reply(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, root + " takes POST with an SDP offer");
      return true;
    }
    GCharPtr name(g_uri_unescape_string(rest.c_str(), nullptr));
    if (!name || strlen(name.get()) > kMaxName || strchr(name.get(), '/')) {
      reply(msg, SOUP_STATUS_NOT_FOUND, "not a producer name");
      return true;
    }
    create(msg, kind, name.get());
    return true;
  }
  auto it = resources_.find(rest.substr(strlen("resource/")));
  if (it == resources_.end() || it->second->kind != kind) {
    reply(msg, SOUP_STATUS_NOT_FOUND, "no such " + root.substr(1) + " session (it ended, or never was)");
    return true;
  }
  if (method == "DELETE") {
    GST_INFO("%s session %s: deleted by the client", it->second->name(), it->first.c_str());
    remove(it->first, std::string("the ") + it->second->name() + " client ended the session");
    soup_server_message_set_status(msg, SOUP_STATUS_OK, nullptr);
  } else if (method == "PATCH") {
    patch(msg, *it->second);
  } else {
    soup_message_headers_replace(h, "Allow", allow);
    reply(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "a session resource takes PATCH (trickle ICE) and DELETE");
  }
  return true;
}

void WhipWhepGateway::create(SoupServerMessage *msg, Kind kind, const std::string &name) {
  const bool whep = kind == Kind::Whep;
  const std::string what = whep ? "WHEP" : "WHIP";
  if (content_type(msg) != kSdp) {
    reply(msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE, "the offer must be sent as application/sdp");
    return;
  }
  const std::string offer = body_of(msg);
  std::string why;
  auto mids = whipwhep::offer_mids(offer, &why);
  if (!mids) {
    reply(msg, SOUP_STATUS_BAD_REQUEST, why);
    return;
  }
  const std::string address = remote_address(msg);
  unsigned from_address = 0;
  for (auto &[id, r] : resources_) from_address += r->address == address;
  if (resources_.size() >= config_.max_resources || from_address >= config_.max_per_address) {
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Retry-After", "5");
    reply(msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
          "too many " + what + " sessions" + (from_address >= config_.max_per_address ? " from this address" : ""));
    return;
  }
  std::string producer;
  if (whep) {
    producer = host_.hub->find_producer(name);
    if (producer.empty()) {
      reply(msg, SOUP_STATUS_NOT_FOUND,
            name.empty() ? "no producer on this server" : "no producer named '" + name + "' on this server");
      return;
    }
  } else if (!host_.hub->has_consumers()) {
    reply(msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "no consumer is connected to this server to receive the stream");
    return;
  }

  auto r = std::make_unique<Resource>();
  r->id = random_id();
  r->kind = kind;
  r->address = address;
  r->offer = offer;
  r->mids = std::move(*mids);
  r->ufrag = whipwhep::sdp_ufrag(offer);
  r->etag = "\"" + random_id().substr(0, 16) + "\"";
  const std::string id = r->id;
  std::weak_ptr<bool> alive = alive_;
  GMainContext *context = host_.context;
  r->peer = host_.hub->add_peer([this, alive, context, id](const ServerMessage &m) {
    // Never inside the hub's own call.
    post_to(context, [this, alive, id, m] {
      if (auto a = alive.lock(); a && *a) on_hub(id, m);
    });
  });
  r->pending = static_cast<SoupServerMessage *>(g_object_ref(msg));
  r->disconnected = g_signal_connect_data(
      msg, "disconnected", G_CALLBACK(client_gone), new std::pair<WhipWhepGateway *, std::string>(this, id),
      [](gpointer data, GClosure *) { delete static_cast<std::pair<WhipWhepGateway *, std::string> *>(data); },
      GConnectFlags(0));
  // A status now: libsoup would otherwise treat a request still without
  // one after the handler as a failed WebSocket upgrade (400 + its page
  // in the body). The real one replaces it when the answer comes.
  soup_server_message_set_status(msg, SOUP_STATUS_ACCEPTED, nullptr);
  soup_server_message_pause(msg);
  Resource &res = *r;
  resources_[id] = std::move(r);
  arm_timer(res, config_.answer_timeout_ms);
  GST_INFO("%s session %s from %s: %s", what.c_str(), id.c_str(), address.c_str(),
           whep ? ("for producer " + producer).c_str() : ("as producer '" + name + "'").c_str());

  Hub &hub = *host_.hub;
  hub.handle(res.peer, ClientMessage{SetProtocolVersion{"v1_1"}});
  if (whep) {
    hub.handle(res.peer, ClientMessage{StartSessionRequest{producer, offer}});
  } else {
    hub.handle(res.peer, ClientMessage{SetPeerStatus{{Role::Producer}, Meta::from_name(name.empty() ? "whip" : name)}});
  }
}

// The client of a POST still waiting for its answer went away.
void WhipWhepGateway::client_gone(SoupServerMessage *, gpointer data) {
  auto *ctx = static_cast<std::pair<WhipWhepGateway *, std::string> *>(data);
  WhipWhepGateway *self = ctx->first;
  auto it = self->resources_.find(ctx->second);
  if (it == self->resources_.end()) return;
  Resource &r = *it->second;
  SoupServerMessage *gone = std::exchange(r.pending, nullptr);
  if (!gone) return;
  const std::string id = r.id;
  GST_INFO("%s session %s: the client left before its answer", r.name(), id.c_str());
  g_signal_handler_disconnect(gone, r.disconnected);
  g_object_unref(gone);
  self->remove(id, std::string("the client went away"));
}

void WhipWhepGateway::patch(SoupServerMessage *msg, Resource &r) {
  SoupMessageHeaders *req = soup_server_message_get_request_headers(msg);
  if (content_type(msg) != kSdpFrag) {
    reply(msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE, std::string("trickle ICE is sent as ") + kSdpFrag);
    return;
  }
  if (const char *match = soup_message_headers_get_one(req, "If-Match"); match && strcmp(match, "*") != 0 &&
                                                                       r.etag != match) {
    reply(msg, SOUP_STATUS_PRECONDITION_FAILED, "If-Match does not name this session's ETag");
    return;
  }
  std::string why;
  auto frag = whipwhep::parse_sdpfrag(body_of(msg), r.mids, &why);
  if (!frag) {
    reply(msg, SOUP_STATUS_BAD_REQUEST, why);
    return;
  }
  if (!frag->ufrag.empty() && !r.ufrag.empty() && frag->ufrag != r.ufrag) {
    reply(msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "ICE restarts are not supported: start a new session");
    return;
  }
  for (Ice &c : frag->candidates) {
    if (r.session.empty()) {
      if (r.queued.size() < 2 * whipwhep::kMaxFragCandidates) r.queued.push_back(std::move(c));
    } else {
      host_.hub->handle(r.peer, ClientMessage{Peer{r.session, std::move(c)}});
    }
  }
  soup_message_headers_replace(soup_server_message_get_response_headers(msg), "ETag", r.etag.c_str());
  soup_server_message_set_status(msg, SOUP_STATUS_NO_CONTENT, nullptr);
}

void WhipWhepGateway::on_hub(const std::string &id, const ServerMessage &m) {
  auto it = resources_.find(id);
  if (it == resources_.end()) return;
  Resource &r = *it->second;
  Hub &hub = *host_.hub;
  if (auto *started = std::get_if<SessionStarted>(&m)) {  // WHEP: our startSession
    r.session = started->session_id;
  } else if (auto *start = std::get_if<StartSession>(&m)) {  // WHIP: a consumer takes the stream
    if (!r.session.empty() || start->offer || !r.pending) {
      hub.handle(r.peer, ClientMessage{EndSession{start->session_id, true,
                                                  std::string("this WHIP publisher has one consumer, and it offers")}});
      return;
    }
    r.session = start->session_id;
    GST_INFO("whip session %s: consumer %s takes it", id.c_str(), start->peer_id.c_str());
    hub.handle(r.peer, ClientMessage{Peer{r.session, Sdp{"offer", r.offer}}});
    for (Ice &c : r.queued) hub.handle(r.peer, ClientMessage{Peer{r.session, std::move(c)}});
    r.queued.clear();
  } else if (auto *peer = std::get_if<Peer>(&m)) {
    if (peer->session_id != r.session) return;
    if (auto *sdp = std::get_if<Sdp>(&peer->payload)) {
      if (sdp->type != "answer" || r.answer || !r.pending) return;
      r.answer = sdp->sdp;
      r.answered_us = g_get_monotonic_time();
      arm_timer(r, config_.candidates_quiet_ms);
    } else if (auto *ice = std::get_if<Ice>(&peer->payload); ice && r.pending) {
      if (r.local.size() < whipwhep::kMaxFragCandidates) r.local.push_back(*ice);
      if (r.answer) {
        const gint64 left_ms = config_.candidates_max_ms - (g_get_monotonic_time() - r.answered_us) / 1000;
        arm_timer(r, static_cast<unsigned>(std::clamp<gint64>(left_ms, 0, config_.candidates_quiet_ms)));
      }
    }
  } else if (auto *end = std::get_if<EndSession>(&m)) {
    if (end->session_id != r.session) return;
    const std::string reason = end->error.value_or("the other side ended the session");
    GST_INFO("%s session %s ended: %s", r.name(), id.c_str(), reason.c_str());
    if (r.pending) fail_pending(r, SOUP_STATUS_NOT_ACCEPTABLE, reason);
    r.session.clear();
    remove(id, std::nullopt);
  } else if (auto *error = std::get_if<Error>(&m)) {
    GST_WARNING("%s session %s: the hub refused: %s", r.name(), id.c_str(), error->details.c_str());
    if (r.pending) {
      fail_pending(r, SOUP_STATUS_CONFLICT, error->details);
      remove(id, std::nullopt);
    }
  }
}

void WhipWhepGateway::arm_timer(Resource &r, unsigned ms) {
  if (r.timer) {
    g_source_destroy(r.timer);
    g_source_unref(r.timer);
  }
  r.timer = g_timeout_source_new(ms);
  auto *ctx = new std::pair<WhipWhepGateway *, std::string>(this, r.id);
  g_source_set_callback(
      r.timer,
      [](gpointer data) -> gboolean {
        auto *c = static_cast<std::pair<WhipWhepGateway *, std::string> *>(data);
        auto it = c->first->resources_.find(c->second);
        if (it == c->first->resources_.end()) return G_SOURCE_REMOVE;
        Resource &r = *it->second;
        g_source_unref(r.timer);
        r.timer = nullptr;  // destroyed by returning REMOVE
        if (!r.pending) return G_SOURCE_REMOVE;
        if (r.answer) {
          c->first->respond_answer(r);
        } else {
          const std::string why =
              r.kind == Kind::Whip && r.session.empty()
                  ? "no consumer took the stream (is it receiving from another producer already?)"
                  : "no answer came in time";
          GST_WARNING("%s session %s: %s", r.name(), r.id.c_str(), why.c_str());
          c->first->fail_pending(r, r.session.empty() ? SOUP_STATUS_CONFLICT : SOUP_STATUS_GATEWAY_TIMEOUT, why);
          c->first->remove(r.id, std::string(why));
        }
        return G_SOURCE_REMOVE;
      },
      ctx, [](gpointer data) { delete static_cast<std::pair<WhipWhepGateway *, std::string> *>(data); });
  g_source_attach(r.timer, host_.context);
}

void WhipWhepGateway::respond_answer(Resource &r) {
  SoupServerMessage *msg = r.pending;
  r.pending = nullptr;
  g_signal_handler_disconnect(msg, r.disconnected);
  const bool complete = true;  // what came within the wait is what the client gets
  const std::string body = whipwhep::sdp_with_candidates(*r.answer, r.local, complete);
  r.local.clear();
  SoupMessageHeaders *h = soup_server_message_get_response_headers(msg);
  soup_message_headers_replace(h, "Location", r.location().c_str());
  soup_message_headers_replace(h, "ETag", r.etag.c_str());
  soup_message_headers_replace(h, "Accept-Patch", kSdpFrag);
  link_headers(msg);
  soup_server_message_set_status(msg, SOUP_STATUS_CREATED, nullptr);
  soup_server_message_set_response(msg, kSdp, SOUP_MEMORY_COPY, body.data(), body.size());
  soup_server_message_unpause(msg);
  g_object_unref(msg);
  GST_INFO("%s session %s: answered (%s)", r.name(), r.id.c_str(), r.location().c_str());
}

void WhipWhepGateway::fail_pending(Resource &r, guint status, const std::string &why) {
  SoupServerMessage *msg = r.pending;
  if (!msg) return;
  r.pending = nullptr;
  g_signal_handler_disconnect(msg, r.disconnected);
  reply(msg, status, why);
  soup_server_message_unpause(msg);
  g_object_unref(msg);
}

void WhipWhepGateway::remove(const std::string &id, const std::optional<std::string> &reason) {
  auto it = resources_.find(id);
  if (it == resources_.end()) return;
  std::unique_ptr<Resource> r = std::move(it->second);
  resources_.erase(it);
  if (r->timer) {
    g_source_destroy(r->timer);
    g_source_unref(r->timer);
  }
  if (r->pending) fail_pending(*r, SOUP_STATUS_SERVICE_UNAVAILABLE, reason.value_or("the session ended"));
  if (!r->session.empty()) host_.hub->handle(r->peer, ClientMessage{EndSession{r->session, true, reason}});
  host_.hub->remove_peer(r->peer);
}

}  // namespace webrtclive
