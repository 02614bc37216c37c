// SPDX-License-Identifier: LGPL-2.1-or-later
#include "protocol-consumer.h"

#include <algorithm>
#include <map>
#include <mutex>

#include <glib.h>

#include "util.h"

namespace webrtclive {

using namespace protocol;

struct ProtocolConsumer::Core : std::enable_shared_from_this<ProtocolConsumer::Core> {
  std::unique_ptr<SignallingTransport> transport;  // set once, never replaced
  Options options;

  // mutex: a leaf; guards everything below. Never held while calling the
  // transport or a callback: each handler decides under it, then acts.
  std::mutex mutex;
  Callbacks callbacks;
  bool running = false;
  std::string my_id;  // from welcome; empty while not connected
  struct Producer {
    std::string id, name;
  };
  std::map<std::string, std::string> pending;  // startSession sent: producer id -> its meta.name
  std::map<std::string, Producer> sessions;    // session id -> its producer
  bool finished = false;       // `once` and a session ended: never look again
  unsigned rediscover_gen = 0;  // a newer rediscover_later() replaces older ones

  template <typename F>
  F callback(F Callbacks::*member) {
    std::lock_guard lock(mutex);
    return running ? callbacks.*member : F{};
  }
  void send(ClientMessage msg) { transport->send(std::move(msg)); }

  // Under `mutex`: forgets a session; true when we may look again.
  bool forget_session_locked(const std::string &session_id) {
    sessions.erase(session_id);
    if (options.once) finished = true;
    return running && !finished;
  }

  // Under `mutex`: a session with this producer may be asked for now (not
  // ourselves, none up or asked for with it, fewer than max_sessions in all).
  bool may_take_locked(const std::string &peer_id) const {
    return running && !finished && peer_id != my_id && !busy_with_locked(peer_id) &&
           pending.size() + sessions.size() < std::max(1u, options.max_sessions);
  }

  // Under `mutex`: a session with this producer is up or asked for.
  bool busy_with_locked(const std::string &peer_id) const {
    if (pending.count(peer_id)) return true;
    for (auto &[sid, p] : sessions)
      if (p.id == peer_id) return true;
    return false;
  }

  bool matches(const std::string &peer_id, const Meta &meta, const std::string &name) const {
    if (!options.peer_id.empty() && options.peer_id != peer_id) return false;
    if (!options.producer_name.empty() && !g_pattern_match_simple(options.producer_name.c_str(), name.c_str()))
      return false;
    return !options.accept || options.accept(peer_id, meta);
  }

  void rediscover_later(unsigned ms) {
    unsigned gen;
    {
      std::lock_guard lock(mutex);
      if (!running) return;
      gen = ++rediscover_gen;
    }
    std::weak_ptr<Core> weak = weak_from_this();
    transport->call_later(ms, [weak, gen] {
      auto c = weak.lock();
      if (!c) return;
      {
        std::lock_guard lock(c->mutex);
        if (!c->running || gen != c->rediscover_gen || c->my_id.empty() || c->finished) return;
      }
      c->send(List{});
    });
  }

  void consider(const std::string &peer_id, const Meta &meta) {
    std::string name = meta.name();
    {
      std::lock_guard lock(mutex);
      if (!may_take_locked(peer_id)) return;
    }
    // The filter may be application code (the src's): no lock held; so
    // asked again after it.
    if (!matches(peer_id, meta, name)) return;
    {
      std::lock_guard lock(mutex);
      if (!may_take_locked(peer_id)) return;
      pending[peer_id] = name;
    }
    send(StartSessionRequest{peer_id, std::nullopt});
    if (auto cb = callback(&Callbacks::producer_found)) cb(peer_id, name);
  }

  // A session ended without us asking.
  void ended(const std::string &session_id, const std::string &reason) {
    bool again;
    {
      std::lock_guard lock(mutex);
      if (!sessions.count(session_id)) return;
      again = forget_session_locked(session_id);
    }
    if (auto cb = callback(&Callbacks::session_ended)) cb(session_id, reason);
    if (again) rediscover_later(options.rediscover_ms);
  }

  // ---- transport thread
  // Protocol v1.1 first (as the producer does): an ended session then
  // comes with the producer's reason ("removed by the application", "no
  // RTCP for 20 s"), which a v1.0 peer never hears.
  void on_connected() {
    {
      std::lock_guard lock(mutex);
      if (!running) return;
    }
    send(SetProtocolVersion{"v1_1"});
  }

  void on_message(const ServerMessage &msg) {
    std::visit(Overloaded{
                   [&](const Welcome &m) {
                     {
                       std::lock_guard lock(mutex);
                       if (!running) return;
                       my_id = m.peer_id;
                     }
                     send(SetPeerStatus{{Role::Listener}, options.meta});
                   },
                   [&](const PeerStatusChanged &m) {
                     bool is_producer = has_role(m.roles, Role::Producer);
                     bool self = false, was_pending = false;
                     std::vector<std::string> left;  // its sessions
                     {
                       std::lock_guard lock(mutex);
                       if (!running) return;
                       if (m.peer_id == my_id) {
                         self = true;
                       } else if (!is_producer) {
                         for (auto &[sid, p] : sessions)
                           if (p.id == m.peer_id) left.push_back(sid);
                         was_pending = pending.erase(m.peer_id) > 0;
                       }
                     }
                     if (self) {
                       send(List{});  // registered: now ask who is there
                     } else if (!left.empty()) {
                       for (auto &sid : left) ended(sid, "producer left");
                     } else if (was_pending) {
                       rediscover_later(options.rediscover_ms);  // another may match
                     } else if (is_producer) {
                       consider(m.peer_id, m.meta);
                     }
                   },
                   [&](const ListReply &m) {
                     for (auto &p : m.producers) consider(p.id, p.meta);
                   },
                   [&](const SessionStarted &m) {
                     std::string name;
                     bool ours = false;
                     {
                       std::lock_guard lock(mutex);
                       if (!running) return;
                       auto it = pending.find(m.peer_id);
                       if (it != pending.end() && !sessions.count(m.session_id)) {
                         ours = true;
                         name = it->second;
                         sessions[m.session_id] = Producer{m.peer_id, name};
                         pending.erase(it);
                       }
                     }
                     if (!ours) {
                       send(EndSession{m.session_id, false, std::nullopt});
                       return;
                     }
                     if (auto cb = callback(&Callbacks::session_started)) cb(m.session_id, m.peer_id, name);
                   },
                   [&](const Peer &m) {
                     {
                       std::lock_guard lock(mutex);
                       if (!running || !sessions.count(m.session_id)) return;
                     }
                     if (auto *sdp = std::get_if<Sdp>(&m.payload)) {
                       if (auto cb = callback(&Callbacks::remote_sdp)) cb(m.session_id, *sdp);
                     } else if (auto cb = callback(&Callbacks::remote_ice)) {
                       cb(m.session_id, std::get<Ice>(m.payload));
                     }
                   },
                   [&](const EndSession &m) {
                     ended(m.session_id,
                           m.error ? "producer ended the session: " + *m.error : "producer ended the session");
                   },
                   [&](const StartSession &m) {
                     // We only consume: a producer offering to us as a
                     // passive consumer is refused.
                     send(EndSession{m.session_id, false, std::nullopt});
                   },
                   [&](const Error &m) {
                     if (auto cb = callback(&Callbacks::error)) cb("signalling server: " + m.details, false);
                     bool retry = false;
                     {
                       // Errors name no request: every startSession
                       // still unanswered is given up and asked again.
                       std::lock_guard lock(mutex);
                       if (!pending.empty()) {
                         pending.clear();
                         retry = true;
                       }
                     }
                     if (retry) rediscover_later(options.rediscover_ms);
                   },
                   [&](const auto &) {},
               },
               msg);
  }

  void on_disconnected(const std::string &why, unsigned retry_ms) {
    std::vector<std::string> lost;
    bool again = false;
    {
      std::lock_guard lock(mutex);
      if (!running) return;
      my_id.clear();
      pending.clear();
      for (auto &[sid, p] : sessions) lost.push_back(sid);
      for (auto &sid : lost) again = forget_session_locked(sid);
    }
    if (auto cb = callback(&Callbacks::error)) cb(why + "; reconnecting in " + std::to_string(retry_ms) + " ms", false);
    // The media path does not depend on the socket, but a session whose
    // server went away cannot be renegotiated or ended cleanly, and its
    // producer may be gone with it (an embedded server): start again.
    if (!lost.empty()) {
      for (auto &sid : lost)
        if (auto cb = callback(&Callbacks::session_ended)) cb(sid, "signalling connection lost");
      if (again) rediscover_later(options.rediscover_ms);  // a no-op until the next welcome
    }
  }

  void on_bad_message(const std::string &details) {
    if (auto cb = callback(&Callbacks::error)) cb("signalling server sent a message we cannot read: " + details, false);
  }
};

ProtocolConsumer::ProtocolConsumer(std::unique_ptr<SignallingTransport> transport, Options options)
    : core_(std::make_shared<Core>()) {
  core_->transport = std::move(transport);
  core_->options = std::move(options);
}

ProtocolConsumer::~ProtocolConsumer() { stop(); }

SignallingTransport &ProtocolConsumer::transport() const { return *core_->transport; }

bool ProtocolConsumer::start(Callbacks callbacks, std::string *error) {
  {
    std::lock_guard lock(core_->mutex);
    if (core_->running) return true;
    core_->callbacks = std::move(callbacks);
    core_->running = true;
    core_->finished = false;
    core_->my_id.clear();
    core_->pending.clear();
    core_->sessions.clear();
  }
  if (!start_for(*core_->transport, core_, error)) {
    std::lock_guard lock(core_->mutex);
    core_->running = false;
    return false;
  }
  return true;
}

void ProtocolConsumer::stop() {
  {
    std::lock_guard lock(core_->mutex);
    if (!core_->running) return;
    core_->running = false;
    core_->rediscover_gen++;
  }
  core_->transport->stop();
}

void ProtocolConsumer::send_sdp(const std::string &session_id, const Sdp &sdp) {
  {
    std::lock_guard lock(core_->mutex);
    if (!core_->sessions.count(session_id)) return;
  }
  core_->send(Peer{session_id, sdp});
}

void ProtocolConsumer::send_ice(const std::string &session_id, const Ice &ice) {
  {
    std::lock_guard lock(core_->mutex);
    if (!core_->sessions.count(session_id)) return;
  }
  core_->send(Peer{session_id, ice});
}

void ProtocolConsumer::end_session(const std::string &session_id, const std::optional<std::string> &reason) {
  bool again;
  {
    std::lock_guard lock(core_->mutex);
    if (!core_->sessions.count(session_id)) return;
    again = core_->forget_session_locked(session_id);
  }
  // v1.1 (announced first, like the producer): the producer hears why.
  core_->send(EndSession{session_id, true, reason});
  if (again) core_->rediscover_later(core_->options.rediscover_ms);
}

std::vector<std::string> ProtocolConsumer::urls() const { return core_->transport->urls(); }

}  // namespace webrtclive
