// SPDX-License-Identifier: LGPL-2.1-or-later
#include "janus-connection.h"

#include <gst/gst.h>

#include "client-common.h"

#define GST_CAT_DEFAULT webrtclive::janus::debug_category()

namespace webrtclive::janus {

GstDebugCategory *debug_category() {
  static GstDebugCategory *category = nullptr;
  static gsize once = 0;
  if (g_once_init_enter(&once)) {
    category = _gst_debug_category_new("webrtclivejanus", 0, "webrtclive Janus VideoRoom signalling");
    g_once_init_leave(&once, 1);
  }
  return category;
}

Connection::Connection(Options options) : options_(std::move(options)) {
  options_.ws.url = options_.target.ws_url;
  (void)debug_category();
}

Connection::~Connection() { stop(); }

bool Connection::start(Events events, std::string *error) {
  if (started_.exchange(true)) {
    *error = "the Janus connection cannot be started twice";
    return false;
  }
  events_ = std::move(events);
  WsClient::Options ws = options_.ws;
  ws.protocols = {"janus-protocol"};
  ws.max_message_bytes = options_.max_message_bytes;
  WsClient::Callbacks cb;
  cb.connected = [this] { on_connected(); };
  cb.disconnected = [this](const std::string &why, unsigned) { on_disconnected(why); };
  cb.text = [this](const std::string &text) { on_text(text); };
  return client_.start(std::move(ws), std::move(cb), error);
}

void Connection::stop() {
  if (!started_.exchange(false)) return;
  // Leave the room on the way out: sent before the client's close frame.
  if (uint64_t session = session_for_stop_.exchange(0))
    client_.send_text(destroy_request(options_.target, "wl-stop", session));
  client_.stop();
}

void Connection::post(std::function<void()> fn) { client_.call_later(0, std::move(fn)); }

std::string Connection::where() const {
  return "Janus at " + shown_url(options_.ws.url) + ", room " + options_.target.room;
}

uint64_t Connection::session() const { return session_; }

std::string Connection::transaction() { return "wl-" + std::to_string(++next_tx_); }

void Connection::ask(const char *what, const Build &build, Reply reply) {
  std::string tx = transaction();
  pending_[tx] = Pending{what, std::move(reply)};
  GST_DEBUG("%s: %s request", where().c_str(), what);
  client_.send_text(build(tx));
  later(options_.request_timeout_ms, [this, tx] {
    auto it = pending_.find(tx);
    if (it == pending_.end()) return;
    fail("no reply from " + where() + " to our " + it->second.what + " request within " +
         std::to_string(options_.request_timeout_ms) + " ms");
  });
}

void Connection::join_room(const std::string &display,
                           std::function<void(uint64_t handle, const Message &)> joined) {
  ask("attach", [this](const std::string &tx) { return attach_request(target(), tx, session_, kVideoRoom); },
      [this, display, joined = std::move(joined)](const Message &m) {
        if (!check(m, "attach", m.janus == "success" && m.data_id)) return;
        const uint64_t handle = m.data_id;
        ask("join", [&](const std::string &tx) { return join_publisher_request(target(), tx, session_, handle, display); },
            [this, handle, joined](const Message &j) {
              if (check(j, "join", j.janus == "event" && j.videoroom == "joined")) joined(handle, j);
            });
      });
}

bool Connection::check(const Message &m, const char *what, bool expected) {
  if (is_error(m)) {
    fail("cannot " + options_.purpose + " " + where() + ": " + describe_error(m.error_code, m.error, target()));
    return false;
  }
  if (!expected) fail(where() + " answered our " + what + " request with '" + m.janus + "'");
  return expected;
}

void Connection::tell(const Build &build) {
  std::string text = build(transaction());
  GST_LOG("%s: %.40s...", where().c_str(), text.c_str());
  client_.send_text(std::move(text));
}

void Connection::later(unsigned ms, std::function<void()> fn) {
  client_.call_later(ms, [this, g = gen_, fn = std::move(fn)] {
    if (gen_ == g) fn();
  });
}

unsigned Connection::backoff(unsigned attempt) const {
  return backoff_ms(attempt, options_.ws.backoff_min_ms, options_.ws.backoff_max_ms, g_random_double());
}

void Connection::warn(const std::string &message) {
  if (message == last_warning_) {
    GST_INFO("%s", message.c_str());
    return;
  }
  last_warning_ = message;
  GST_WARNING("%s", message.c_str());
  if (events_.warning) events_.warning(message);
}

void Connection::up() {
  if (!up_since_) up_since_ = g_get_monotonic_time();
  last_warning_.clear();
}

// ---- one attempt -----------------------------------------------------------------

void Connection::begin() {
  if (phase_ != Phase::Idle) return;
  phase_ = Phase::Creating;
  ask("create", [this](const std::string &tx) { return create_request(target(), tx); },
      [this](const Message &m) {
        if (!check(m, "create", m.janus == "success" && m.data_id)) return;
        session_ = m.data_id;
        session_for_stop_ = session_;
        phase_ = Phase::Up;
        later(options_.keepalive_ms, [this] { keepalive(); });
        if (events_.session_up) events_.session_up();
      });
}

void Connection::keepalive() {
  if (!session_) return;
  client_.send_text(keepalive_request(target(), transaction(), session_));
  later(options_.keepalive_ms, [this] { keepalive(); });
}

void Connection::on_connected() {
  GST_INFO("connected to %s", shown_url(options_.ws.url).c_str());
  phase_ = Phase::Idle;
  begin();
}

void Connection::on_disconnected(const std::string &why) {
  session_ = 0;  // gone with the connection (Janus destroys a closed transport's sessions)
  session_for_stop_ = 0;
  phase_ = Phase::Down;  // WsClient connects again; on_connected begins the next attempt
  fail("cannot reach Janus: " + why);
}

void Connection::on_text(const std::string &text) {
  std::string error;
  auto m = parse_message(text, &error);
  if (!m) {
    GST_WARNING("%s sent something that is not a Janus message (%s): ignored", where().c_str(), error.c_str());
    return;
  }
  if (m->janus == "ack") return;
  if (auto it = pending_.find(m->transaction); !m->transaction.empty() && it != pending_.end()) {
    Reply reply = std::move(it->second.reply);
    pending_.erase(it);
    reply(*m);
    return;
  }
  if (!session_ || m->session_id != session_) {
    GST_DEBUG("%s: '%s' not about our session: ignored", where().c_str(), m->janus.c_str());
    return;
  }
  if (m->janus == "timeout") {
    fail(where() + " timed our session out (no keepalive in time)");
    return;
  }
  if (events_.event) events_.event(*m);
}

void Connection::fail(const std::string &why, bool warn_user) {
  gen_++;
  pending_.clear();
  // Whoever takes session_for_stop_ (here, or stop() on another thread)
  // destroys the session: once.
  if (uint64_t session = session_for_stop_.exchange(0))
    client_.send_text(destroy_request(target(), transaction(), session));
  session_ = 0;
  const bool stable = up_since_ && g_get_monotonic_time() - up_since_ >= gint64(options_.stable_ms) * 1000;
  if (stable) attempt_ = 0;
  up_since_ = 0;
  if (warn_user)
    warn(why);
  else
    GST_INFO("%s", why.c_str());
  if (events_.session_down) events_.session_down(why);
  if (phase_ == Phase::Down) return;  // WsClient reconnects: on_connected begins
  phase_ = Phase::Idle;
  unsigned delay = backoff(attempt_++);
  GST_INFO("%s: a new Janus session in %u ms", where().c_str(), delay);
  later(delay, [this] { begin(); });
}

}  // namespace webrtclive::janus
