// SPDX-License-Identifier: LGPL-2.1-or-later
#include "janus-publisher.h"

#include <gst/gst.h>

#define GST_CAT_DEFAULT webrtclive::janus::debug_category()

namespace webrtclive {

struct JanusPublisher::Impl {
  enum class Phase { Idle, Joined, Publishing, Up };

  Options options;
  Callbacks callbacks;
  janus::Connection *conn = nullptr;  // the owner's; outlives every callback
  // the connection's thread only:
  Phase phase = Phase::Idle;
  uint64_t handle = 0;
  unsigned next_sid = 0;
  std::string sid;                   // the sink's session, from "joined" on
  std::vector<std::string> mids;     // of our offer, for trickle's sdpMid
  std::vector<protocol::Ice> early;  // candidates before the publish went out

  const janus::Target &t() const { return conn->target(); }
  std::string where() const { return conn->where(); }

  void trickle(const protocol::Ice &ice) {
    const uint64_t session = conn->session();
    conn->tell([&](const std::string &tx) {
      if (ice.candidate.empty()) return janus::trickle_request(t(), tx, session, handle, nullptr, {});
      std::string mid = ice.sdp_mline_index < mids.size() ? mids[ice.sdp_mline_index] : std::string();
      return janus::trickle_request(t(), tx, session, handle, &ice, mid);
    });
  }

  // ---- one attempt, on a Janus session of its own --------------------------------

  void on_session_up() {
    conn->join_room(options.display, [this](uint64_t joined_handle, const janus::Message &m) {
      handle = joined_handle;
      // Our publisher id, before anyone can see a publication: a src
      // subscribing to the room from the same pipeline skips it.
      if (callbacks.registered && !m.id.empty()) callbacks.registered(m.id.text);
      phase = Phase::Joined;
      sid = "janus-" + std::to_string(++next_sid);
      early.clear();
      GST_INFO("joined %s as '%s': asking the sink for an offer (session %s)", where().c_str(),
               options.display.c_str(), sid.c_str());
      if (callbacks.session_requested) callbacks.session_requested(sid, "janus room " + t().room, std::nullopt);
    });
  }

  void on_offer(const std::string &for_sid, const protocol::Sdp &sdp) {
    if (for_sid != sid || phase != Phase::Joined || sdp.type != "offer") return;
    mids = janus::mids_of(sdp.sdp);
    phase = Phase::Publishing;
    conn->ask("publish",
              [&](const std::string &tx) { return janus::publish_request(t(), tx, conn->session(), handle, sdp); },
              [this](const janus::Message &m) {
                if (!conn->check(m, "publish", m.janus == "event")) return;
                if (!m.jsep || m.jsep->type != "answer") {
                  conn->fail(where() + " answered our publish without an SDP answer");
                  return;
                }
                phase = Phase::Up;
                GST_INFO("%s answered our offer", where().c_str());
                if (callbacks.remote_sdp) callbacks.remote_sdp(sid, *m.jsep);
              });
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

  void on_event(const janus::Message &m) {
    if (!handle || m.sender != handle) {
      GST_LOG("%s: '%s' for another handle: ignored", where().c_str(), m.janus.c_str());
      return;
    }
    if (m.janus == "webrtcup") {
      GST_INFO("published into %s", where().c_str());
      conn->up();
    } else if (m.janus == "hangup") {
      conn->fail(where() + " hung up" + (m.reason.empty() ? "" : ": " + m.reason));
    } else if (m.janus == "detached") {
      conn->fail(where() + " detached our handle");
    } else if (m.janus == "event" && m.error_code) {
      GST_WARNING("%s: %s", where().c_str(), janus::describe_error(m.error_code, m.error, t()).c_str());
    } else {
      GST_LOG("%s: %s", where().c_str(), m.janus.c_str());
    }
  }

  // The attempt ended (the connection's failure, or ours): the sink's
  // session too, unless the sink ended it (then sid is already cleared).
  void on_session_down(const std::string &why) {
    const std::string failed = std::exchange(sid, {});
    phase = Phase::Idle;
    handle = 0;
    early.clear();
    if (!failed.empty() && callbacks.session_ended) callbacks.session_ended(failed, why);
  }
};

namespace {
JanusPublisher::Options publishing(JanusPublisher::Options o) {
  o.janus.purpose = "publish into";
  return o;
}
}  // namespace

JanusPublisher::JanusPublisher(Options options) : driver_(publishing(std::move(options))) {}

JanusPublisher::~JanusPublisher() { stop(); }

bool JanusPublisher::start(Callbacks callbacks, std::string *error) { return driver_.start(std::move(callbacks), error); }

void JanusPublisher::stop() { driver_.stop(); }

void JanusPublisher::send_sdp(const std::string &session_id, const protocol::Sdp &sdp) {
  driver_.post([session_id, sdp](Impl &s) { s.on_offer(session_id, sdp); });
}

void JanusPublisher::send_ice(const std::string &session_id, const protocol::Ice &ice) {
  driver_.post([session_id, ice](Impl &s) { s.on_candidate(session_id, ice); });
}

void JanusPublisher::end_session(const std::string &session_id, const std::optional<std::string> &reason) {
  driver_.post([session_id, why = reason.value_or("the sink ended the session")](Impl &s) {
    if (s.sid.empty() || session_id != s.sid) return;
    s.sid.clear();  // the sink knows
    s.conn->fail("session " + session_id + " ended: " + why, false);
  });
}

CodecLimit JanusPublisher::accepted_codecs() const {
  return {driver_.target().video_codecs, driver_.target().audio_codecs};
}

}  // namespace webrtclive
