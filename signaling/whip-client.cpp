// SPDX-License-Identifier: LGPL-2.1-or-later
#include "whip-client.h"

#include <gst/gst.h>
#include <libsoup/soup.h>

#include <algorithm>
#include <atomic>
#include <functional>

#include "client-common.h"
#include "gobj.h"
#include "whip-sdp.h"
#include "whip-whep.h"

GST_DEBUG_CATEGORY_STATIC(webrtclive_whip_debug);
#define GST_CAT_DEFAULT webrtclive_whip_debug

namespace webrtclive {

namespace {

constexpr size_t kMaxEarlyCandidates = 64;   // before the 201; more are dropped
constexpr size_t kMaxTokenBytes = 4096;
constexpr size_t kMaxSmallBody = 4096;       // PATCH and DELETE replies: read and dropped
constexpr size_t kMaxReasonChars = 200;
constexpr size_t kMaxEtagBytes = 256;

// A server's words, fit for a message: printable ASCII, one line, bounded.
std::string sanitized(const std::string &text) {
  std::string out;
  for (unsigned char c : text) {
    if (out.size() >= kMaxReasonChars) {
      out += "...";
      break;
    }
    out += (c >= 0x20 && c < 0x7f) ? char(c) : ' ';
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

bool header_is(const char *value, const char *type) {
  if (!value) return false;
  std::string v(value);
  v = v.substr(0, v.find(';'));
  while (!v.empty() && v.back() == ' ') v.pop_back();
  return g_ascii_strcasecmp(v.c_str(), type) == 0;
}

// One HTTP exchange as the client sees it, headers it reads copied out.
struct Response {
  guint status = 0;
  std::string reason;  // the server's reason phrase (sanitized)
  std::string error;   // transport failure, timeout, or a bound exceeded; "" = a response arrived
  std::string content_type;
  std::string location;
  std::string etag;
  std::vector<std::string> links;
  std::string body;
  // The status and what the server said: "HTTP 401 Unauthorized (the token is wrong)".
  std::string status_line() const {
    std::string out = "HTTP " + std::to_string(status);
    if (!reason.empty()) out += " " + reason;
    std::string text = sanitized(body);
    // The body, when it is text (or says nothing of its type): sanitized, bounded.
    if (!text.empty() && (content_type.empty() || content_type.rfind("text/", 0) == 0)) out += " (" + text + ")";
    return out;
  }
};

}  // namespace

struct WhipClient::Impl : std::enable_shared_from_this<WhipClient::Impl> {
  enum class Phase { Idle, Requested, Gathering, Posting, Up };

  Options options;
  Callbacks callbacks;
  MainContextPtr context;
  MainLoopPtr loop;
  // client thread only:
  GRef<SoupSession> session;
  Phase phase = Phase::Idle;
  unsigned next_sid = 0;
  std::string sid;
  std::string offer;
  whip::OfferInfo offer_info;
  std::vector<protocol::Ice> early;        // gathered before the POST: folded into the offer
  std::vector<protocol::Ice> patch_queue;  // waiting for the 201 or the batch timer
  bool trickle = true;                     // false once the server said 405/501 to a PATCH
  std::string resource;                    // the session's URL (Location), once known
  std::string etag;                        // its entity-tag, sent as If-Match with each PATCH
  GRef<GCancellable> post_cancel;
  GSource *retry_timer = nullptr, *window_timer = nullptr, *patch_timer = nullptr;
  unsigned attempt = 0;
  gint64 up_since = 0;
  std::string last_warning;
  std::atomic<bool> stopping{false};
  // any thread, under mutex (a leaf):
  mutable std::mutex mutex;
  std::vector<IceServer> link_servers;

  std::string endpoint_shown() const { return shown_url(options.endpoint); }

  // ---- timers --------------------------------------------------------------------

  void arm(GSource *&slot, unsigned ms, void (*fn)(Impl &)) {
    disarm(slot);
    slot = one_shot(context.get(), ms, [weak = weak_from_this(), slot = &slot, fn] {
      if (auto s = weak.lock()) {
        *slot = nullptr;
        if (!s->stopping) fn(*s);
      }
    });
  }
  static void disarm(GSource *&slot) {
    if (slot) g_source_destroy(slot);
    slot = nullptr;
  }

  // ---- one request -----------------------------------------------------------------

  // `method` to `url`, with `body` of `type` if given; `done` gets what came
  // back, once, on this thread (also while stopping). Bounded: the whole
  // exchange by `timeout_ms`, the body by `limit`, the headers by count.
  void request(const char *method, const std::string &url, const char *type, const std::string &body, size_t limit,
               unsigned timeout_ms, GCancellable *cancel, std::function<void(Response)> done,
               const std::string &if_match = {}) {
    SoupMessage *msg = soup_message_new(method, url.c_str());
    if (!msg) {
      Response r;
      r.error = "'" + shown_url(url) + "' is not a valid URL";
      done(std::move(r));
      return;
    }
    soup_message_add_flags(msg, SOUP_MESSAGE_NO_REDIRECT);
    auto *headers = soup_message_get_request_headers(msg);
    if (!options.token.empty())
      soup_message_headers_replace(headers, "Authorization", ("Bearer " + options.token).c_str());
    if (!if_match.empty()) soup_message_headers_replace(headers, "If-Match", if_match.c_str());
    if (type) {
      GBytes *bytes = g_bytes_new(body.data(), body.size());
      soup_message_set_request_body_from_bytes(msg, type, bytes);
      g_bytes_unref(bytes);
    }
    if (options.insecure) accept_any_certificate(msg);
    struct Req {
      std::weak_ptr<Impl> impl;
      GRef<SoupMessage> msg;
      GRef<GCancellable> cancel;
      GRef<GInputStream> stream;
      GSource *timer = nullptr;
      bool timed_out = false;
      unsigned timeout_ms = 0;
      size_t limit = 0;
      unsigned max_headers = 0;
      Response response;
      std::function<void(Response)> done;

      void finish(std::string error = {}) {
        if (timer) g_source_destroy(timer);
        timer = nullptr;
        if (timed_out) error = "no response within " + std::to_string(timeout_ms) + " ms";
        response.error = std::move(error);
        if (!response.error.empty()) response.body.clear();
        auto fn = std::move(done);
        done = nullptr;
        if (fn) fn(std::move(response));
      }
      static void on_read(GObject *src, GAsyncResult *res, gpointer data) {
        auto *req = static_cast<Req *>(data);
        GError *err = nullptr;
        GBytes *bytes = g_input_stream_read_bytes_finish(G_INPUT_STREAM(src), res, &err);
        if (!bytes) {
          req->finish(std::string("reading the response failed: ") + (err ? err->message : "?"));
          if (err) g_error_free(err);
          delete req;
          return;
        }
        gsize size = 0;
        const char *p = static_cast<const char *>(g_bytes_get_data(bytes, &size));
        if (size == 0) {
          g_bytes_unref(bytes);
          req->finish();
          delete req;
          return;
        }
        req->response.body.append(p, size);
        g_bytes_unref(bytes);
        if (req->response.body.size() > req->limit) {
          req->finish("the response body is larger than " + std::to_string(req->limit) + " bytes");
          delete req;
          return;
        }
        req->read_more();
      }
      void read_more() {
        g_input_stream_read_bytes_async(stream.get(), 16384, G_PRIORITY_DEFAULT, cancel.get(), on_read, this);
      }
      static void on_sent(GObject *src, GAsyncResult *res, gpointer data) {
        auto *req = static_cast<Req *>(data);
        GError *err = nullptr;
        GInputStream *stream = soup_session_send_finish(SOUP_SESSION(src), res, &err);
        if (!stream) {
          std::string why = err ? err->message : "no response";
          if (err && err->domain == G_TLS_ERROR)
            why += " (a private CA or a self-signed certificate is trusted with whip-ca-file)";
          req->finish(why);
          if (err) g_error_free(err);
          delete req;
          return;
        }
        req->stream = GRef<GInputStream>::adopt(stream);
        Response &r = req->response;
        SoupMessage *m = req->msg.get();
        r.status = soup_message_get_status(m);
        r.reason = sanitized(soup_message_get_reason_phrase(m) ? soup_message_get_reason_phrase(m) : "");
        auto *h = soup_message_get_response_headers(m);
        struct Walk {
          Response *r;
          unsigned count = 0;
        } walk{&r};
        soup_message_headers_foreach(
            h,
            [](const char *name, const char *value, gpointer d) {
              auto *w = static_cast<Walk *>(d);
              if (++w->count > 4096) return;  // counted; the limit is checked below
              if (g_ascii_strcasecmp(name, "Link") == 0 && w->r->links.size() < 64) w->r->links.emplace_back(value);
              if (g_ascii_strcasecmp(name, "Location") == 0 && w->r->location.empty()) w->r->location = value;
              if (g_ascii_strcasecmp(name, "ETag") == 0 && w->r->etag.empty()) w->r->etag = value;
              if (g_ascii_strcasecmp(name, "Content-Type") == 0 && w->r->content_type.empty())
                w->r->content_type = value;
            },
            &walk);
        if (walk.count > req->max_headers) {
          req->finish("the response has " + std::to_string(walk.count) + " headers (at most " +
                      std::to_string(req->max_headers) + " are read)");
          delete req;
          return;
        }
        goffset length = soup_message_headers_get_content_length(h);
        if (length > 0 && static_cast<size_t>(length) > req->limit) {
          req->finish("the response body is larger than " + std::to_string(req->limit) + " bytes");
          delete req;
          return;
        }
        req->read_more();
      }
    };
    auto *req = new Req;
    req->impl = weak_from_this();
    req->msg = GRef<SoupMessage>::adopt(msg);
    req->cancel = cancel ? GRef<GCancellable>::ref(cancel) : GRef<GCancellable>::adopt(g_cancellable_new());
    req->timeout_ms = timeout_ms;
    req->limit = limit;
    req->max_headers = options.max_response_headers;
    req->done = std::move(done);
    // The whole exchange is bounded: a server that never answers, or
    // dribbles, is cancelled (the read then fails and finishes the Req).
    req->timer = one_shot(context.get(), timeout_ms, [req] {
      req->timer = nullptr;
      req->timed_out = true;
      g_cancellable_cancel(req->cancel.get());
    });
    GST_DEBUG("%s %s", method, shown_url(url).c_str());
    soup_session_send_async(session.get(), msg, G_PRIORITY_DEFAULT, req->cancel.get(), Req::on_sent, req);
  }

  // ---- sessions --------------------------------------------------------------------

  void begin_session() {
    if (stopping) return;
    sid = "whip-" + std::to_string(++next_sid);
    phase = Phase::Requested;
    offer.clear();
    early.clear();
    patch_queue.clear();
    trickle = true;
    resource.clear();
    etag.clear();
    up_since = 0;
    GST_INFO("session %s: asking the sink for an offer for %s", sid.c_str(), endpoint_shown().c_str());
    if (callbacks.session_requested) callbacks.session_requested(sid, endpoint_shown(), std::nullopt);
  }

  void on_offer(const std::string &for_sid, const protocol::Sdp &sdp) {
    if (for_sid != sid || phase != Phase::Requested || sdp.type != "offer") return;
    auto info = whip::read_offer(sdp.sdp);
    if (!info) {
      fail("our offer has no ICE credentials", false);
      return;
    }
    offer = sdp.sdp;
    offer_info = std::move(*info);
    phase = Phase::Gathering;
    if (options.candidate_window_ms == 0) {
      post_offer();
      return;
    }
    // Servers that do not trickle (many) only know the candidates in the
    // offer: give gathering a moment before the POST.
    arm(window_timer, options.candidate_window_ms, [](Impl &s) { s.post_offer(); });
  }

  void on_candidate(const std::string &for_sid, const protocol::Ice &ice) {
    if (for_sid != sid || ice.candidate.empty()) return;
    switch (phase) {
      case Phase::Requested:
      case Phase::Gathering:
        if (early.size() < kMaxEarlyCandidates) early.push_back(ice);
        break;
      case Phase::Posting:
        if (patch_queue.size() < kMaxEarlyCandidates) patch_queue.push_back(ice);
        break;
      case Phase::Up:
        if (!trickle) {
          GST_DEBUG("the server does not trickle: candidate dropped");
          break;
        }
        patch_queue.push_back(ice);
        if (!patch_timer) arm(patch_timer, options.patch_batch_ms, [](Impl &s) { s.flush_patch(); });
        break;
      case Phase::Idle:
        break;
    }
  }

  void post_offer() {
    phase = Phase::Posting;
    std::string body = whipwhep::sdp_with_candidates(offer, early, false);
    GST_INFO("session %s: POST offer with %zu candidate(s) to %s", sid.c_str(), early.size(),
             endpoint_shown().c_str());
    early.clear();
    post_cancel = GRef<GCancellable>::adopt(g_cancellable_new());
    request("POST", options.endpoint, "application/sdp", body, options.max_answer_bytes,
            options.request_timeout_ms, post_cancel.get(),
            [weak = weak_from_this(), for_sid = sid](Response r) {
              if (auto s = weak.lock()) s->on_post_response(for_sid, std::move(r));
            });
  }

  void on_post_response(const std::string &for_sid, Response r) {
    std::string why;
    auto location = r.status == SOUP_STATUS_CREATED ? whip::resolve_location(options.endpoint, r.location, &why)
                                                    : std::nullopt;
    if (for_sid != sid || stopping || phase != Phase::Posting) {
      // The session ended while the POST was under way: the server made a
      // resource for nothing.
      if (location) send_delete(*location, options.request_timeout_ms, nullptr);
      return;
    }
    post_cancel.reset();
    const std::string where = "WHIP endpoint " + endpoint_shown();
    if (location) resource = *location;  // a bad answer (or an oversized one) still gets its DELETE
    if (!r.error.empty()) {
      fail("cannot publish to " + where + ": " + r.error, true);
      return;
    }
    if (r.status != SOUP_STATUS_CREATED) {
      std::string msg = where + " refused the offer: " + r.status_line();
      if (r.status == SOUP_STATUS_UNAUTHORIZED || r.status == SOUP_STATUS_FORBIDDEN)
        msg += options.token.empty() ? "; the server wants a token: set whip-token"
                                     : "; check whip-token";
      fail(msg, true);
      return;
    }
    if (!location) {
      fail(where + " gave a bad answer: " + why, true);
      return;
    }
    if (!header_is(r.content_type.c_str(), "application/sdp") || r.body.rfind("v=0", 0) != 0) {
      fail(where + " gave a bad answer: not an application/sdp body (Content-Type '" + sanitized(r.content_type) +
               "')",
           true);
      return;
    }
    std::vector<std::string> problems;
    auto servers = whip::parse_link_ice_servers(r.links, &problems);
    for (auto &p : problems) GST_WARNING("%s: %s", where.c_str(), p.c_str());
    if (!servers.empty()) {
      GST_INFO("%s names %zu ICE server(s): used from the next session on", where.c_str(), servers.size());
      std::lock_guard lock(mutex);
      link_servers = std::move(servers);
    }
    // RFC 9725 4.3.1: PATCHes carry the entity-tag as If-Match. One line of
    // printable ASCII, bounded, or none is kept.
    if (r.etag.size() <= kMaxEtagBytes && !r.etag.empty() && sanitized(r.etag) == r.etag) etag = r.etag;
    phase = Phase::Up;
    up_since = g_get_monotonic_time();
    last_warning.clear();
    GST_INFO("session %s: published to %s, resource %s", sid.c_str(), where.c_str(), shown_url(resource).c_str());
    if (callbacks.remote_sdp) callbacks.remote_sdp(sid, protocol::Sdp{"answer", r.body});
    if (!patch_queue.empty() && !patch_timer) arm(patch_timer, 0, [](Impl &s) { s.flush_patch(); });
  }

  void flush_patch() {
    if (phase != Phase::Up || !trickle || resource.empty() || patch_queue.empty()) return;
    std::string frag = whip::build_sdpfrag(offer_info, patch_queue);
    size_t n = patch_queue.size();
    patch_queue.clear();
    if (frag.empty()) return;
    GST_DEBUG("session %s: PATCH %zu candidate(s)", sid.c_str(), n);
    request("PATCH", resource, "application/trickle-ice-sdpfrag", frag, kMaxSmallBody, options.request_timeout_ms,
            nullptr,
            [weak = weak_from_this(), for_sid = sid](Response r) {
              auto s = weak.lock();
              if (!s || s->stopping || for_sid != s->sid || s->phase != Phase::Up) return;
              if (r.status == SOUP_STATUS_METHOD_NOT_ALLOWED || r.status == SOUP_STATUS_NOT_IMPLEMENTED) {
                GST_INFO("the WHIP server does not trickle (HTTP %u to PATCH): later candidates are dropped",
                         r.status);
                s->trickle = false;
              } else if (r.status == SOUP_STATUS_NOT_FOUND) {
                s->fail("the WHIP server ended the session (its resource is gone: HTTP 404)", false);
              } else if (!SOUP_STATUS_IS_SUCCESSFUL(r.status)) {
                GST_WARNING("PATCH to the WHIP resource: %s",
                            r.error.empty() ? r.status_line().c_str() : r.error.c_str());
              }
            },
            etag);
  }

  void send_delete(const std::string &url, unsigned timeout_ms, std::function<void()> then) {
    GST_INFO("DELETE %s", shown_url(url).c_str());
    request("DELETE", url, nullptr, {}, kMaxSmallBody, timeout_ms, nullptr, [url, then](Response r) {
      if (!r.error.empty() || !SOUP_STATUS_IS_SUCCESSFUL(r.status))
        GST_INFO("DELETE %s: %s", shown_url(url).c_str(),
                 r.error.empty() ? ("HTTP " + std::to_string(r.status)).c_str() : r.error.c_str());
      if (then) then();
    });
  }

  // Ends the current session here (DELETE if the server made a resource)
  // and plans the next one.
  void end_current(const std::string &why) {
    disarm(window_timer);
    disarm(patch_timer);
    if (post_cancel) g_cancellable_cancel(post_cancel.get());
    post_cancel.reset();
    if (!resource.empty()) send_delete(resource, options.request_timeout_ms, nullptr);
    resource.clear();
    const bool stable = up_since && g_get_monotonic_time() - up_since >= gint64(options.stable_session_ms) * 1000;
    if (stable) attempt = 0;
    phase = Phase::Idle;
    sid.clear();
    unsigned delay = backoff_ms(attempt++, options.backoff_min_ms, options.backoff_max_ms, g_random_double());
    GST_INFO("%s; publishing again in %u ms", why.c_str(), delay);
    arm(retry_timer, delay, [](Impl &s) { s.begin_session(); });
  }

  // The server side failed the session: the sink is told (session_ended),
  // and warned when `warn` (the same words are not repeated until a session
  // came up).
  void fail(const std::string &why, bool warn) {
    std::string failed = sid;
    if (warn && why != last_warning) {
      last_warning = why;
      if (callbacks.error) callbacks.error(why, false);
    } else {
      GST_INFO("%s", why.c_str());
    }
    end_current(why);
    if (callbacks.session_ended && !stopping) callbacks.session_ended(failed, why);
  }

  // stop(): DELETE the resource (bounded), then end the loop.
  void shutdown() {
    stopping = true;
    disarm(retry_timer);
    disarm(window_timer);
    disarm(patch_timer);
    if (post_cancel) g_cancellable_cancel(post_cancel.get());
    if (resource.empty()) {
      g_main_loop_quit(loop.get());
      return;
    }
    std::string url = std::exchange(resource, {});
    send_delete(url, options.delete_timeout_ms, [l = loop.get()] { g_main_loop_quit(l); });
  }
};

WhipClient::WhipClient(Options options) {
  static gsize once = 0;
  if (g_once_init_enter(&once)) {
    GST_DEBUG_CATEGORY_INIT(webrtclive_whip_debug, "webrtclivewhip", 0, "webrtclive WHIP client");
    g_once_init_leave(&once, 1);
  }
  impl_ = std::make_shared<Impl>();
  impl_->options = std::move(options);
}

WhipClient::~WhipClient() { stop(); }

bool WhipClient::start(Callbacks callbacks, std::string *error) {
  std::lock_guard lock(mutex_);
  if (!impl_ || thread_.joinable()) {
    *error = "the WHIP client cannot be started twice";
    return false;
  }
  auto impl = impl_;
  const auto &o = impl->options;
  GUri *uri = g_uri_parse(o.endpoint.c_str(), G_URI_FLAGS_NONE, nullptr);
  bool ok = uri && (g_strcmp0(g_uri_get_scheme(uri), "http") == 0 || g_strcmp0(g_uri_get_scheme(uri), "https") == 0) &&
            g_uri_get_host(uri) && *g_uri_get_host(uri);
  if (uri) g_uri_unref(uri);
  if (!ok) {
    *error = "whip-endpoint must be an http:// or https:// URL, not '" + shown_url(o.endpoint) + "'";
    return false;
  }
  if (o.token.size() > kMaxTokenBytes ||
      std::any_of(o.token.begin(), o.token.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; })) {
    *error = "whip-token must be one line of at most " + std::to_string(kMaxTokenBytes) + " characters";
    return false;
  }
  impl->callbacks = std::move(callbacks);
  if (!new_client_session(&impl->context, &impl->loop, &impl->session, o.ca_file, error)) return false;
  post_to(impl->context.get(), [weak = std::weak_ptr<Impl>(impl)] {
    if (auto s = weak.lock()) s->begin_session();
  });
  thread_ = run_client_thread(impl->context.get(), impl->loop.get(), [impl] {
    impl->stopping = true;
    impl->session.reset();
  });
  return true;
}

void WhipClient::stop() {
  std::shared_ptr<Impl> impl;
  std::thread t;
  {
    std::lock_guard lock(mutex_);
    if (!thread_.joinable()) return;
    impl = impl_;
    t = std::move(thread_);
  }
  // From inside a callback the loop ends after it (and the DELETE); the
  // thread, which holds `impl`, exits by itself.
  if (!end_client_thread(impl->context.get(), t, [weak = std::weak_ptr<Impl>(impl)] {
        if (auto s = weak.lock()) s->shutdown();
      }))
    impl->stopping = true;
}

// Runs fn(impl) on the client thread unless it stops first. Under mutex_.
template <typename Fn>
void WhipClient::post_on(Fn &&fn) {
  if (!thread_.joinable()) return;
  post_to(impl_->context.get(), [weak = std::weak_ptr<Impl>(impl_), fn = std::forward<Fn>(fn)] {
    if (auto s = weak.lock(); s && !s->stopping) fn(*s);
  });
}

void WhipClient::send_sdp(const std::string &session_id, const protocol::Sdp &sdp) {
  std::lock_guard lock(mutex_);
  post_on([session_id, sdp](Impl &s) { s.on_offer(session_id, sdp); });
}

void WhipClient::send_ice(const std::string &session_id, const protocol::Ice &ice) {
  std::lock_guard lock(mutex_);
  post_on([session_id, ice](Impl &s) { s.on_candidate(session_id, ice); });
}

void WhipClient::end_session(const std::string &session_id, const std::optional<std::string> &reason) {
  std::lock_guard lock(mutex_);
  post_on([session_id, why = reason.value_or("the sink ended the session")](Impl &s) {
    if (session_id == s.sid) s.end_current("session " + session_id + " ended: " + why);
  });
}

std::vector<IceServer> WhipClient::ice_servers() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->link_servers;
}

}  // namespace webrtclive
