// SPDX-License-Identifier: LGPL-2.1-or-later
#include "janus-subscriber.h"

#include <gst/gst.h>

#include <algorithm>
#include <map>
#include <vector>

#define GST_CAT_DEFAULT webrtclive::janus::debug_category()

namespace webrtclive {

namespace {

// One publisher subscribed: one consumer session, on a handle of its own.
struct Sub {
  enum class Phase { Attaching, Joining, Offered, Starting, Up };
  janus::Publisher feed;
  uint64_t handle = 0;
  Phase phase = Phase::Attaching;
  bool announced = false;            // session_started told
  std::vector<std::string> mids;     // of Janus's offer, for trickle's sdpMid and Janus's sdpMid
  std::vector<protocol::Ice> early;  // ours before the start went out
  gint64 up_since = 0;               // webrtcup
};

// A publisher's subscription retries: a backoff of its own.
struct Retry {
  unsigned attempts = 0;
  gint64 not_before = 0;  // monotonic µs
};

JanusSubscriber::Options subscribing(JanusSubscriber::Options o) {
  o.max_sessions = std::clamp<unsigned>(o.max_sessions, 1, janus::kMaxPublishers);
  o.janus.purpose = "subscribe to";
  return o;
}

}  // namespace

struct JanusSubscriber::Impl {
  Options options;
  Callbacks callbacks;
  janus::Connection *conn = nullptr;  // the owner's; outlives every callback
  // the connection's thread only:
  uint64_t manager = 0;  // our participant's handle
  bool joined = false;
  janus::Id me;
  uint64_t private_id = 0;
  std::vector<janus::Publisher> feeds;   // published now, in Janus's order (at most kMaxPublishers)
  std::map<std::string, Sub> subs;       // by session id
  std::map<std::string, Retry> retries;  // by feed id
  unsigned next_sid = 0;
  bool done = false;  // `once` and a session ended
  bool consider_pending = false;

  const janus::Target &t() const { return conn->target(); }
  std::string where() const { return conn->where(); }
  static std::string named(const janus::Publisher &p) {
    return "publisher '" + (p.display.empty() ? p.id.text : p.display) + "' (id " + p.id.text + ")";
  }

  bool matches(const janus::Publisher &p) const {
    if (p.id.empty() || p.id == me) return false;  // never ourselves
    if (options.accept && !options.accept(p.id.text)) return false;  // e.g. our own pipeline's sink
    return options.feed.empty() || p.id.text == options.feed || g_pattern_match_simple(options.feed.c_str(), p.display.c_str());
  }
  bool subscribed(const janus::Id &id) const {
    return std::any_of(subs.begin(), subs.end(), [&](auto &kv) { return kv.second.feed.id == id; });
  }
  Sub *find(const std::string &sid) {
    auto it = subs.find(sid);
    return it == subs.end() ? nullptr : &it->second;
  }
  std::string sid_of_handle(uint64_t handle) const {
    for (auto &[sid, s] : subs)
      if (s.handle == handle) return sid;
    return {};
  }

  // ---- our participant ----------------------------------------------------------------

  void on_session_up() {
    conn->join_room(options.display, [this](uint64_t handle, const janus::Message &m) { on_joined(handle, m); });
  }

  void on_joined(uint64_t handle, const janus::Message &m) {
    manager = handle;
    joined = true;
    me = m.id;
    private_id = m.private_id;
    conn->up();
    GST_INFO("joined %s as '%s' (id %s): %zu publishers", where().c_str(), options.display.c_str(), me.text.c_str(),
             m.publishers.size());
    feeds.clear();
    add_publishers(m);
    consider();
    // A feed= that names nobody: said once per join (when it leaves later,
    // the src says the producer went away).
    if (!options.feed.empty() && std::none_of(feeds.begin(), feeds.end(), [&](auto &p) { return matches(p); }))
      conn->warn(where() + " has no publisher '" + options.feed + "' (feed= is a display name or an id): waiting for it");
  }

  void add_publishers(const janus::Message &m) {
    size_t dropped = m.publishers_dropped;
    for (const auto &p : m.publishers) {
      auto it = std::find_if(feeds.begin(), feeds.end(), [&](auto &f) { return f.id == p.id; });
      if (it != feeds.end())
        it->display = p.display;
      else if (feeds.size() < janus::kMaxPublishers)
        feeds.push_back(p);
      else
        dropped++;
    }
    if (dropped)
      GST_WARNING("%s: %zu publishers beyond the %zu followed (or unreadable) ignored", where().c_str(), dropped,
                  janus::kMaxPublishers);
  }

  void on_manager_event(const janus::Message &m) {
    if (m.janus == "hangup" || m.janus == "detached") {
      conn->fail(where() + (m.janus == "hangup" ? " hung up" : " detached") + " our participant");
      return;
    }
    if (m.janus != "event" || !m.plugin_event) {
      GST_LOG("%s: %s", where().c_str(), m.janus.c_str());
      return;
    }
    if (m.videoroom == "destroyed") {
      conn->fail("room " + t().room + " was destroyed in " + where());
      return;
    }
    if (m.error_code) GST_WARNING("%s: %s", where().c_str(), janus::describe_error(m.error_code, m.error, t()).c_str());
    for (const janus::Id *gone : {&m.unpublished, &m.leaving}) {
      if (gone->empty()) continue;
      feeds.erase(std::remove_if(feeds.begin(), feeds.end(), [&](auto &f) { return f.id == *gone; }), feeds.end());
      retries.erase(gone->text);
      publisher_gone(*gone);
    }
    if (!m.publishers.empty() || m.publishers_dropped) add_publishers(m);
    consider();
  }

  // ---- which publishers ---------------------------------------------------------------

  // Subscribes to matching publishers, up to max_sessions; those still in
  // their backoff are looked at again when it ends.
  void consider() {
    if (done || !joined) return;
    const gint64 now = g_get_monotonic_time();
    gint64 wake = 0;
    for (const auto &p : feeds) {
      if (!matches(p) || subscribed(p.id)) continue;
      if (subs.size() >= options.max_sessions) break;
      if (auto it = retries.find(p.id.text); it != retries.end() && it->second.not_before > now) {
        if (!wake || it->second.not_before < wake) wake = it->second.not_before;
        continue;
      }
      subscribe(p);
    }
    if (wake && !consider_pending) {
      consider_pending = true;
      conn->later(unsigned((wake - now) / 1000) + 1, [this] {
        consider_pending = false;
        consider();
      });
    }
  }

  // ---- one subscription ---------------------------------------------------------------

  void subscribe(const janus::Publisher &p) {
    const std::string sid = "janus-" + p.id.text + "-" + std::to_string(++next_sid);
    subs[sid] = Sub{p};
    GST_INFO("%s: subscribing to %s (session %s)", where().c_str(), named(p).c_str(), sid.c_str());
    if (callbacks.producer_found) callbacks.producer_found(p.id.text, p.display);
    conn->ask("attach",
              [this](const std::string &tx) { return janus::attach_request(t(), tx, conn->session(), janus::kVideoRoom); },
              [this, sid](const janus::Message &m) {
                Sub *s = find(sid);
                if (!s) {
                  if (!janus::is_error(m) && m.data_id) detach(m.data_id);  // ended meanwhile
                  return;
                }
                if (janus::is_error(m) || m.janus != "success" || !m.data_id)
                  return failed(sid, "cannot subscribe to " + named(s->feed) + " in " + where() + ": " +
                                         janus::describe_error(m.error_code, m.error, t()));
                s->handle = m.data_id;
                s->phase = Sub::Phase::Joining;
                join(sid);
              });
  }

  void join(const std::string &sid) {
    Sub &s = subs.at(sid);
    conn->ask("subscribe",
              [&](const std::string &tx) {
                return janus::join_subscriber_request(t(), tx, conn->session(), s.handle, s.feed.id, private_id);
              },
              [this, sid](const janus::Message &m) { on_attached(sid, m); });
  }

  void on_attached(const std::string &sid, const janus::Message &m) {
    Sub *s = find(sid);
    if (!s) return;
    if (janus::is_error(m))
      return failed(sid, "cannot subscribe to " + named(s->feed) + " in " + where() + ": " +
                             janus::describe_error(m.error_code, m.error, t()));
    if (m.janus != "event" || m.videoroom != "attached" || !m.jsep || m.jsep->type != "offer")
      return failed(sid, where() + " answered our subscription to " + named(s->feed) + " without an offer");
    s->phase = Sub::Phase::Offered;
    s->mids = janus::mids_of(m.jsep->sdp);
    s->announced = true;
    GST_INFO("%s: offer for %s (session %s)", where().c_str(), named(s->feed).c_str(), sid.c_str());
    const janus::Publisher feed = s->feed;
    if (callbacks.session_started) callbacks.session_started(sid, feed.id.text, feed.display);
    if (callbacks.remote_sdp) callbacks.remote_sdp(sid, *m.jsep);
  }

  void on_answer(const std::string &sid, const protocol::Sdp &sdp) {
    Sub *s = find(sid);
    if (!s || s->phase != Sub::Phase::Offered || sdp.type != "answer") return;
    s->phase = Sub::Phase::Starting;
    const uint64_t handle = s->handle;
    conn->ask("start",
              [&](const std::string &tx) { return janus::start_request(t(), tx, conn->session(), handle, sdp); },
              [this, sid](const janus::Message &m) {
                Sub *s = find(sid);
                if (!s) return;
                if (janus::is_error(m))
                  return failed(sid, where() + " refused our answer for " + named(s->feed) + ": " +
                                         janus::describe_error(m.error_code, m.error, t()));
                s->phase = Sub::Phase::Up;
              });
    for (auto &ice : s->early) trickle(*s, ice);
    s->early.clear();
  }

  void on_candidate(const std::string &sid, const protocol::Ice &ice) {
    Sub *s = find(sid);
    if (!s) return;
    if (s->phase == Sub::Phase::Offered) {
      if (s->early.size() < options.max_early_candidates) s->early.push_back(ice);
    } else if (s->phase == Sub::Phase::Starting || s->phase == Sub::Phase::Up) {
      trickle(*s, ice);
    }
  }

  void trickle(const Sub &s, const protocol::Ice &ice) {
    const uint64_t session = conn->session(), handle = s.handle;
    conn->tell([&](const std::string &tx) {
      if (ice.candidate.empty()) return janus::trickle_request(t(), tx, session, handle, nullptr, {});
      std::string mid = ice.sdp_mline_index < s.mids.size() ? s.mids[ice.sdp_mline_index] : std::string();
      return janus::trickle_request(t(), tx, session, handle, &ice, mid);
    });
  }

  void on_sub_event(const std::string &sid, const janus::Message &m) {
    Sub &s = subs.at(sid);
    if (m.janus == "webrtcup") {
      GST_INFO("%s: receiving %s (session %s)", where().c_str(), named(s.feed).c_str(), sid.c_str());
      s.up_since = g_get_monotonic_time();
    } else if (m.janus == "trickle" && m.candidate && !m.candidate->completed) {
      int mline = m.candidate->mline;
      if (mline < 0) {
        auto it = std::find(s.mids.begin(), s.mids.end(), m.candidate->mid);
        mline = it == s.mids.end() ? -1 : int(it - s.mids.begin());
      }
      if (mline >= 0 && s.announced && callbacks.remote_ice)
        callbacks.remote_ice(sid, protocol::Ice{m.candidate->candidate, unsigned(mline)});
    } else if (m.janus == "hangup" || m.janus == "detached") {
      failed(sid, where() + (m.janus == "hangup" ? " hung up" : " detached") + " our subscription to " +
                      named(s.feed) + (m.reason.empty() ? "" : ": " + m.reason));
    } else if (m.janus == "event" && m.jsep) {
      // Never asked for (autoupdate false): a live webrtcbin is not renegotiated.
      failed(sid, where() + " renegotiated our subscription to " + named(s.feed) + ": subscribing again", false);
    } else if (m.janus == "event" && m.error_code) {
      GST_WARNING("%s: %s", where().c_str(), janus::describe_error(m.error_code, m.error, t()).c_str());
    } else {
      GST_LOG("%s: %s on session %s", where().c_str(), m.janus.c_str(), sid.c_str());
    }
  }

  // ---- ends ---------------------------------------------------------------------------

  void detach(uint64_t handle) {
    const uint64_t session = conn->session();
    conn->tell([&](const std::string &tx) { return janus::detach_request(t(), tx, session, handle); });
  }

  // The subscription `sid` ends: its handle detached, the src told (when it
  // knew of it and `tell`), the publisher retried after its backoff.
  void drop(const std::string &sid, const std::string &why, bool tell) {
    auto it = subs.find(sid);
    if (it == subs.end()) return;
    Sub s = std::move(it->second);
    subs.erase(it);
    if (s.handle) detach(s.handle);
    const gint64 now = g_get_monotonic_time();
    Retry &r = retries[s.feed.id.text];
    if (s.up_since && now - s.up_since >= gint64(conn->options().stable_ms) * 1000) r.attempts = 0;
    r.not_before = now + gint64(conn->backoff(r.attempts++)) * 1000;
    if (s.announced && options.once) done = true;
    if (tell && s.announced && callbacks.session_ended) callbacks.session_ended(sid, why);
  }

  void failed(const std::string &sid, const std::string &why, bool warn = true) {
    if (warn)
      conn->warn(why);
    else
      GST_INFO("%s", why.c_str());
    drop(sid, why, true);
    consider();
  }

  void publisher_gone(const janus::Id &id) {
    std::vector<std::string> ended;
    for (auto &[sid, s] : subs)
      if (s.feed.id == id) ended.push_back(sid);
    for (auto &sid : ended) {
      GST_INFO("%s: the publisher of session %s left", where().c_str(), sid.c_str());
      drop(sid, "publisher left the room", true);
    }
    retries.erase(id.text);
  }

  void on_event(const janus::Message &m) {
    if (manager && m.sender == manager) return on_manager_event(m);
    std::string sid = m.sender ? sid_of_handle(m.sender) : std::string();
    if (sid.empty()) {
      GST_LOG("%s: '%s' for no handle of ours: ignored", where().c_str(), m.janus.c_str());
      return;
    }
    on_sub_event(sid, m);
  }

  // The Janus session is gone: every subscription with it.
  void on_session_down(const std::string &why) {
    auto ended = std::move(subs);
    subs.clear();
    feeds.clear();
    retries.clear();
    manager = 0;
    joined = false;
    me = {};
    private_id = 0;
    consider_pending = false;
    for (auto &[sid, s] : ended) {
      if (!s.announced) continue;
      if (options.once) done = true;
      if (callbacks.session_ended) callbacks.session_ended(sid, why);
    }
  }
};

JanusSubscriber::JanusSubscriber(Options options) : driver_(subscribing(std::move(options))) {}

JanusSubscriber::~JanusSubscriber() { stop(); }

bool JanusSubscriber::start(Callbacks callbacks, std::string *error) { return driver_.start(std::move(callbacks), error); }

void JanusSubscriber::stop() { driver_.stop(); }

void JanusSubscriber::send_sdp(const std::string &session_id, const protocol::Sdp &sdp) {
  driver_.post([session_id, sdp](Impl &s) { s.on_answer(session_id, sdp); });
}

void JanusSubscriber::send_ice(const std::string &session_id, const protocol::Ice &ice) {
  driver_.post([session_id, ice](Impl &s) { s.on_candidate(session_id, ice); });
}

void JanusSubscriber::end_session(const std::string &session_id, const std::optional<std::string> &reason) {
  driver_.post([session_id, why = reason.value_or("the src ended the session")](Impl &s) {
    if (!s.find(session_id)) return;
    GST_INFO("%s: session %s ended: %s", s.where().c_str(), session_id.c_str(), why.c_str());
    s.drop(session_id, why, false);
    s.consider();
  });
}

}  // namespace webrtclive
