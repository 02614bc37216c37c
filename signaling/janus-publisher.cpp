// SPDX-License-Identifier: LGPL-2.1-or-later
#include "janus-publisher.h"

#include <gst/gst.h>

#include "client-common.h"

GST_DEBUG_CATEGORY_STATIC(webrtclive_janus_debug);
#define GST_CAT_DEFAULT webrtclive_janus_debug

namespace webrtclive {

namespace {
constexpr const char *kVideoRoom = "janus.plugin.videoroom";
}

struct JanusPublisher::Impl : std::enable_shared_from_this<JanusPublisher::Impl> {
  // Down: no WebSocket. Idle: connected, waiting for the next attempt.
  enum class Phase { Down, Idle, Creating, Attaching, Joining, Joined, Publishing, Up };

  Options options;
  Callbacks callbacks;
  WsClient *client = nullptr;  // the owner's; outlives every callback
  std::atomic<uint64_t> session_for_stop{0};  // read by stop() on another thread
  // client thread only:
  Phase phase = Phase::Down;
  uint64_t session = 0, handle = 0;
  unsigned gen = 0;  // bumped when an attempt ends: its timers and replies are void
  unsigned next_sid = 0, next_tx = 0;
  std::string sid;         // the sink's session, from "joined" on
  std::string pending_tx;  // the request whose reply we wait for
  const char *pending_what = "";
  std::vector<std::string> mids;        // of our offer, for trickle's sdpMid
  std::vector<protocol::Ice> early;     // candidates before the publish went out
  unsigned attempt = 0;
  gint64 up_since = 0;
  std::string last_warning;

  const janus::Target &t() const { return options.target; }
  std::string where() const { return "Janus at " + shown_url(options.ws.url) + ", room " + t().room; }

  // ---- sending -----------------------------------------------------------------------

  std::string tx() { return "wl-" + std::to_string(++next_tx); }

  // A request whose reply the attempt waits for (at most request_timeout_ms):
  // build(transaction) is its text.
  template <typename Build>
  void ask(const char *what, Build build) {
    std::string id = tx();
    pending_tx = id;
    pending_what = what;
    GST_DEBUG("%s: %s request", where().c_str(), what);
    client->send_text(build(id));
    later(options.request_timeout_ms, [id](Impl &s) {
      if (s.pending_tx == id)
        s.fail("no reply from " + s.where() + " to our " + s.pending_what + " request within " +
                   std::to_string(s.options.request_timeout_ms) + " ms",
               true, true);
    });
  }

  // fn(*this) after `ms` on the client thread, unless the attempt ended first.
  template <typename Fn>
  void later(unsigned ms, Fn fn) {
    client->call_later(ms, [weak = weak_from_this(), g = gen, fn = std::move(fn)] {
      auto s = weak.lock();
      if (s && s->gen == g) fn(*s);
    });
  }

  void keepalive() {
    if (!session) return;
    client->send_text(janus::keepalive_request(t(), tx(), session));
    later(options.keepalive_ms, [](Impl &s) { s.keepalive(); });
  }

  void trickle(const protocol::Ice &ice) {
    if (ice.candidate.empty()) {
      client->send_text(janus::trickle_request(t(), tx(), session, handle, nullptr, {}));
      return;
    }
    std::string mid = ice.sdp_mline_index < mids.size() ? mids[ice.sdp_mline_index] : std::string();
    client->send_text(janus::trickle_request(t(), tx(), session, handle, &ice, mid));
  }

  // ---- one attempt -------------------------------------------------------------------

  void begin() {
    if (phase != Phase::Idle) return;
    phase = Phase::Creating;
    ask("create", [this](const std::string &id) { return janus::create_request(t(), id); });
  }

  void on_connected() {
    GST_INFO("connected to %s", shown_url(options.ws.url).c_str());
    phase = Phase::Idle;
    begin();
  }

  void on_disconnected(const std::string &why, unsigned retry_ms) {
    GST_INFO("%s; connecting again in %u ms", why.c_str(), retry_ms);
    session = 0;  // gone with the connection (Janus destroys a closed transport's sessions)
    handle = 0;
    session_for_stop = 0;
    phase = Phase::Down;  // WsClient connects again; on_connected begins the next attempt
    fail("cannot reach Janus: " + why, true, true);
  }

  void on_text(const std::string &text) {
    std::string error;
    auto m = janus::parse_message(text, &error);
    if (!m) {
      GST_WARNING("%s sent something that is not a Janus message (%s): ignored", where().c_str(), error.c_str());
      return;
    }
    if (m->janus == "ack") return;
    if (!pending_tx.empty() && m->transaction == pending_tx) {
      on_reply(*m);
      return;
    }
    // Asynchronous: about our session or handle, else not ours.
    const bool ours = (session && m->session_id == session) || (handle && m->sender == handle);
    if (!ours) {
      GST_DEBUG("%s: '%s' not about our session: ignored", where().c_str(), m->janus.c_str());
      return;
    }
    if (m->janus == "webrtcup") {
      GST_INFO("published into %s", where().c_str());
      up_since = g_get_monotonic_time();
      last_warning.clear();
    } else if (m->janus == "hangup") {
      fail(where() + " hung up" + (m->reason.empty() ? "" : ": " + m->reason), true, true);
    } else if (m->janus == "detached") {
      fail(where() + " detached our handle", true, true);
    } else if (m->janus == "timeout") {
      fail(where() + " timed our session out (no keepalive in time)", true, true);
    } else if (m->janus == "event" && m->error_code) {
      GST_WARNING("%s: %s", where().c_str(), janus::describe_error(m->error_code, m->error, t()).c_str());
    } else {
      GST_LOG("%s: %s", where().c_str(), m->janus.c_str());
    }
  }

  void on_reply(const janus::Message &m) {
    if (m.janus == "error" || m.error_code) {
      fail("cannot publish into " + where() + ": " + janus::describe_error(m.error_code, m.error, t()), true, true);
      return;
    }
    switch (phase) {
      case Phase::Creating:
        if (m.janus != "success" || !m.data_id) break;
        pending_tx.clear();
        session = m.data_id;
        session_for_stop = session;
        later(options.keepalive_ms, [](Impl &s) { s.keepalive(); });
        phase = Phase::Attaching;
        ask("attach", [this](const std::string &id) { return janus::attach_request(t(), id, session, kVideoRoom); });
        return;
      case Phase::Attaching:
        if (m.janus != "success" || !m.data_id) break;
        pending_tx.clear();
        handle = m.data_id;
        phase = Phase::Joining;
        ask("join", [this](const std::string &id) {
          return janus::join_publisher_request(t(), id, session, handle, options.display);
        });
        return;
      case Phase::Joining:
        if (m.janus != "event" || m.videoroom != "joined") break;
        pending_tx.clear();
        phase = Phase::Joined;
        sid = "janus-" + std::to_string(++next_sid);
        early.clear();
        GST_INFO("joined %s as '%s': asking the sink for an offer (session %s)", where().c_str(),
                 options.display.c_str(), sid.c_str());
        if (callbacks.session_requested) callbacks.session_requested(sid, "janus room " + t().room, std::nullopt);
        return;
      case Phase::Publishing:
        if (m.janus != "event") break;
        if (!m.jsep || m.jsep->type != "answer") {
          fail(where() + " answered our publish without an SDP answer", true, true);
          return;
        }
        pending_tx.clear();
        phase = Phase::Up;
        GST_INFO("%s answered our offer", where().c_str());
        if (callbacks.remote_sdp) callbacks.remote_sdp(sid, *m.jsep);
        return;
      default:
        break;
    }
    GST_DEBUG("%s: unexpected '%s' to our %s request: ignored", where().c_str(), m.janus.c_str(), pending_what);
  }

  void on_offer(const std::string &for_sid, const protocol::Sdp &sdp) {
    if (for_sid != sid || phase != Phase::Joined || sdp.type != "offer") return;
    mids = janus::mids_of(sdp.sdp);
    phase = Phase::Publishing;
    ask("publish", [&](const std::string &id) { return janus::publish_request(t(), id, session, handle, sdp); });
    for (auto &ice : early) trickle(ice);
    early.clear();
  }

  void on_candidate(const std::string &for_sid, const protocol::Ice &ice) {
    if (for_sid != sid) return;
    if (phase == Phase::Joined) {
      if (early.size() < options.max_early_candidates) early.push_back(ice);
    } else if (phase == Phase::Publishing || phase == Phase::Up) {
      trickle(ice);
    }
  }

  // The attempt ends: the sink's session too (told when `tell_sink`), the
  // Janus session is destroyed, the next attempt comes after a backoff. The
  // user is warned when `warn`, unless these are the words of last time.
  void fail(const std::string &why, bool warn, bool tell_sink) {
    gen++;
    const std::string failed = std::exchange(sid, {});
    pending_tx.clear();
    early.clear();
    if (session) client->send_text(janus::destroy_request(t(), tx(), session));
    session = handle = 0;
    session_for_stop = 0;
    const bool stable = up_since && g_get_monotonic_time() - up_since >= gint64(options.stable_session_ms) * 1000;
    if (stable) attempt = 0;
    up_since = 0;
    if (warn && why != last_warning) {
      last_warning = why;
      if (callbacks.error) callbacks.error(why, false);
    } else {
      GST_INFO("%s", why.c_str());
    }
    if (tell_sink && !failed.empty() && callbacks.session_ended) callbacks.session_ended(failed, why);
    if (phase == Phase::Down) return;  // WsClient reconnects: on_connected begins
    phase = Phase::Idle;
    unsigned delay = backoff_ms(attempt++, options.ws.backoff_min_ms, options.ws.backoff_max_ms, g_random_double());
    GST_INFO("publishing into %s again in %u ms", where().c_str(), delay);
    later(delay, [](Impl &s) { s.begin(); });
  }
};

JanusPublisher::JanusPublisher(Options options) {
  static gsize once = 0;
  if (g_once_init_enter(&once)) {
    GST_DEBUG_CATEGORY_INIT(webrtclive_janus_debug, "webrtclivejanus", 0, "webrtclive Janus VideoRoom signalling");
    g_once_init_leave(&once, 1);
  }
  impl_ = std::make_shared<Impl>();
  impl_->options = std::move(options);
  impl_->client = &client_;
}

JanusPublisher::~JanusPublisher() { stop(); }

bool JanusPublisher::start(Callbacks callbacks, std::string *error) {
  if (started_.exchange(true)) {
    *error = "the Janus publisher cannot be started twice";
    return false;
  }
  auto impl = impl_;
  impl->callbacks = std::move(callbacks);
  WsClient::Options ws = impl->options.ws;
  ws.url = impl->options.target.ws_url;
  impl->options.ws.url = ws.url;
  ws.protocols = {"janus-protocol"};
  ws.max_message_bytes = impl->options.max_message_bytes;
  std::weak_ptr<Impl> weak = impl;
  WsClient::Callbacks cb;
  cb.connected = [weak] {
    if (auto s = weak.lock()) s->on_connected();
  };
  cb.disconnected = [weak](const std::string &why, unsigned retry_ms) {
    if (auto s = weak.lock()) s->on_disconnected(why, retry_ms);
  };
  cb.text = [weak](const std::string &text) {
    if (auto s = weak.lock()) s->on_text(text);
  };
  return client_.start(std::move(ws), std::move(cb), error);
}

void JanusPublisher::stop() {
  if (!started_.exchange(false)) return;
  // Leave the room on the way out (Janus also destroys the sessions of a
  // closed WebSocket): sent before the client's close frame.
  if (uint64_t session = impl_->session_for_stop.exchange(0))
    client_.send_text(janus::destroy_request(impl_->options.target, "wl-stop", session));
  client_.stop();
}

// Runs fn(impl) on the client thread (never at once).
template <typename Fn>
void JanusPublisher::post_on(Fn &&fn) {
  client_.call_later(0, [weak = std::weak_ptr<Impl>(impl_), fn = std::forward<Fn>(fn)] {
    if (auto s = weak.lock()) fn(*s);
  });
}

void JanusPublisher::send_sdp(const std::string &session_id, const protocol::Sdp &sdp) {
  post_on([session_id, sdp](Impl &s) { s.on_offer(session_id, sdp); });
}

void JanusPublisher::send_ice(const std::string &session_id, const protocol::Ice &ice) {
  post_on([session_id, ice](Impl &s) { s.on_candidate(session_id, ice); });
}

void JanusPublisher::end_session(const std::string &session_id, const std::optional<std::string> &reason) {
  post_on([session_id, why = reason.value_or("the sink ended the session")](Impl &s) {
    if (!s.sid.empty() && session_id == s.sid) s.fail("session " + session_id + " ended: " + why, false, false);
  });
}

CodecLimit JanusPublisher::accepted_codecs() const {
  return {impl_->options.target.video_codecs, impl_->options.target.audio_codecs};
}

}  // namespace webrtclive
