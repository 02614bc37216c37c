// SPDX-License-Identifier: LGPL-2.1-or-later
//
// janus::Connection: what JanusPublisher and JanusSubscriber share, once.
// One WebSocket to Janus (WsClient in raw mode, subprotocol janus-protocol)
// and on it one Janus session at a time, made again after any failure:
//
//   WebSocket up              create → a Janus session; Events::session_up (the
//                             owner attaches its handles); keepalive every keepalive_ms
//   ask(what, request)        the reply (acks skipped) goes to that request's
//                             callback, matched by transaction; none within
//                             request_timeout_ms fails the attempt
//   a message about our       Events::event (a handle's event, a trickle, the plugin's
//   session, not a reply      asynchronous events); "timeout" fails the attempt
//   fail(why)                 the attempt ends: Janus session destroyed, Events::session_down,
//                             a WARNING (not repeated while the words stay the same),
//                             a new attempt after a backoff with jitter (WsClient's
//                             backoff_min_ms doubling to backoff_max_ms; an attempt
//                             that was up() for stable_ms starts the schedule over)
//   WebSocket lost            the same, and WsClient reconnects with its own backoff
//   stop()                    destroy sent before the close frame (Janus also
//                             destroys a closed WebSocket's sessions)
//
// Everything Janus sends is hostile input: messages over max_message_bytes
// close the WebSocket; the rest is parsed and checked (janus-api.h); replies
// only count with the transaction of a request under way; events only with
// our session's id. Janus's words reach the user sanitized; the pin, token
// and API secret never appear in a log or a message.
//
// Threads: WsClient's thread holds every piece of state. start(), stop()
// and post() may be called from any thread (stop() joins that thread); every
// other method only on it, i.e. from an event, a reply, a later() or a
// post(). Events and replies run there with no lock held; none runs after
// stop() returned.
#pragma once

#include <gst/gst.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "client.h"
#include "janus-api.h"

namespace webrtclive::janus {

constexpr const char *kVideoRoom = "janus.plugin.videoroom";

// webrtclivejanus, the debug category of everything Janus.
GstDebugCategory *debug_category();

class Connection {
 public:
  struct Options {
    Target target;
    // TLS (januss://), extra handshake headers, connect timeout and the
    // reconnect backoff; url, protocols and the message limit are set here.
    WsClient::Options ws;
    unsigned keepalive_ms = 25000;        // Janus drops a session silent for 60 s (session_timeout)
    unsigned request_timeout_ms = 10000;  // a request unanswered this long fails the attempt
    unsigned stable_ms = 10000;           // an attempt up() this long resets the backoff
    size_t max_message_bytes = 256 * 1024;
    std::string purpose = "use";  // "publish into", "subscribe to": for "cannot <purpose> Janus at ..."
  };
  struct Events {
    std::function<void()> session_up;                   // a new Janus session: attach
    std::function<void(const Message &)> event;         // not a reply, about our session
    std::function<void(const std::string &why)> session_down;  // it is gone: forget its handles
    std::function<void(const std::string &message)> warning;   // for the user
  };
  using Build = std::function<std::string(const std::string &transaction)>;
  using Reply = std::function<void(const Message &)>;

  explicit Connection(Options options);
  ~Connection();
  Connection(const Connection &) = delete;
  Connection &operator=(const Connection &) = delete;

  // Any thread.
  [[nodiscard]] bool start(Events events, std::string *error);
  void stop();
  void post(std::function<void()> fn);  // fn on the client thread (never at once); dropped after stop()

  // Any thread (constant).
  const Target &target() const { return options_.target; }
  const Options &options() const { return options_; }

  // ---- the client thread only -------------------------------------------------------
  std::string where() const;  // "Janus at ws://host:8188/, room 1234"
  uint64_t session() const;   // 0 = none
  std::string transaction();
  // A request whose reply is awaited: `reply` gets it (success, error, or
  // the plugin's event; see is_error()), unless the attempt ended first.
  void ask(const char *what, const Build &build, Reply reply);
  // Attaches a VideoRoom handle and joins the room with it as a participant
  // (ptype publisher) named `display`; `joined(handle, reply)` gets the
  // "joined" event. A refusal, or any other reply, fails the attempt.
  void join_room(const std::string &display, std::function<void(uint64_t handle, const Message &)> joined);
  // A reply the attempt depends on: true when it is no refusal and
  // `expected` holds, else the attempt fails saying which.
  bool check(const Message &m, const char *what, bool expected);
  // A request whose reply is not awaited (trickle, detach).
  void tell(const Build &build);
  // fn after `ms`, unless the attempt ended first.
  void later(unsigned ms, std::function<void()> fn);
  // The attempt ends (see above); `warn` = false for an end the owner chose.
  void fail(const std::string &why, bool warn = true);
  // A WARNING for the user, unless it says what the last one said.
  void warn(const std::string &message);
  // What the attempt was for works: warnings may repeat, and a failure
  // stable_ms from now starts the backoff over.
  void up();
  // The retry delay for a 0-based attempt count, from the WebSocket's
  // backoff settings (the owner's own retries use it too).
  unsigned backoff(unsigned attempt) const;

 private:
  // Down: no WebSocket. Idle: connected, waiting for the next attempt.
  enum class Phase { Down, Idle, Creating, Up };
  struct Pending {
    const char *what;
    Reply reply;
  };

  Options options_;
  Events events_;
  WsClient client_;  // its callbacks and timers hold `this`: stop() ends them before we go
  std::atomic<uint64_t> session_for_stop_{0};  // read by stop() on another thread
  std::atomic<bool> started_{false};
  // client thread only:
  Phase phase_ = Phase::Down;
  uint64_t session_ = 0;
  unsigned gen_ = 0;  // bumped when an attempt ends: its timers and replies are void
  unsigned next_tx_ = 0;
  std::map<std::string, Pending> pending_;  // requests under way, by transaction
  unsigned attempt_ = 0;
  gint64 up_since_ = 0;
  std::string last_warning_;

  void begin();
  void on_connected();
  void on_disconnected(const std::string &why);
  void on_text(const std::string &text);
  void keepalive();
};

// A Janus signaller's body: its state, `Impl`, on a Connection. Impl lives
// on the connection's thread and has `options` (with `.janus`, the
// Connection's), `callbacks` (with `error`, for warnings), `conn`, and
// on_session_up(), on_event(const Message &), on_session_down(why). The
// owner posts to it with post(); no call reaches it after stop().
template <typename Impl>
class Driver {
 public:
  template <typename Options>
  explicit Driver(Options options) : conn_(options.janus) {
    impl_ = std::make_shared<Impl>();
    impl_->options = std::move(options);
    impl_->conn = &conn_;
  }
  ~Driver() { stop(); }
  Driver(const Driver &) = delete;
  Driver &operator=(const Driver &) = delete;

  template <typename Callbacks>
  bool start(Callbacks callbacks, std::string *error) {
    impl_->callbacks = std::move(callbacks);
    std::weak_ptr<Impl> weak = impl_;
    Connection::Events ev;
    ev.session_up = [weak] {
      if (auto s = weak.lock()) s->on_session_up();
    };
    ev.event = [weak](const Message &m) {
      if (auto s = weak.lock()) s->on_event(m);
    };
    ev.session_down = [weak](const std::string &why) {
      if (auto s = weak.lock()) s->on_session_down(why);
    };
    ev.warning = [weak](const std::string &message) {
      if (auto s = weak.lock(); s && s->callbacks.error) s->callbacks.error(message, false);
    };
    return conn_.start(std::move(ev), error);
  }
  void stop() { conn_.stop(); }
  // fn(impl) on the connection's thread (never at once).
  template <typename Fn>
  void post(Fn &&fn) {
    conn_.post([weak = std::weak_ptr<Impl>(impl_), fn = std::forward<Fn>(fn)] {
      if (auto s = weak.lock()) fn(*s);
    });
  }
  const Target &target() const { return conn_.target(); }

 private:
  std::shared_ptr<Impl> impl_;
  Connection conn_;  // after impl_: stopped (destroyed) first
};

}  // namespace webrtclive::janus
