// SPDX-License-Identifier: LGPL-2.1-or-later
#include "protocol-consumer.h"

#include <mutex>

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
  std::string my_id;         // from welcome; empty while not connected
  std::string pending;       // startSession sent to this producer
  std::string pending_name;  // its meta.name
  std::string sid;           // the current session ("" = none)
  std::string producer;      // its producer
  std::string producer_name;
  bool finished = false;       // `once` and a session ended: never look again
  unsigned rediscover_gen = 0;  // a newer rediscover_later() replaces older ones

  template <typename F>
  F callback(F Callbacks::*member) {
    std::lock_guard lock(mutex);
    return running ? callbacks.*member : F{};
  }
  void send(ClientMessage msg) { transport->send(std::move(msg)); }

  // Under `mutex`: forgets the current session; true when we may look again.
  bool forget_session_locked() {
    sid.clear();
    producer.clear();
    producer_name.clear();
    if (options.once) finished = true;
    return running && !finished;
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
      if (!running || finished || !pending.empty() || !sid.empty()) return;
      if (!options.peer_id.empty() && options.peer_id != peer_id) return;
      if (!options.producer_name.empty() && options.producer_name != name) return;
      pending = peer_id;
      pending_name = name;
    }
    send(StartSessionRequest{peer_id, std::nullopt});
    if (auto cb = callback(&Callbacks::producer_found)) cb(peer_id, name);
  }

  // A session ended without us asking.
  void ended(const std::string &session_id, const std::string &reason) {
    bool again;
    {
      std::lock_guard lock(mutex);
      if (session_id.empty() || session_id != sid) return;
      again = forget_session_locked();
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
                     std::string current;
                     bool was_pending = false;
                     {
                       std::lock_guard lock(mutex);
                       if (!running) return;
                       if (m.peer_id == my_id) {
                         current = "<self>";
                       } else if (!is_producer) {
                         if (!sid.empty() && m.peer_id == producer) current = sid;
                         if (!pending.empty() && m.peer_id == pending) {
                           pending.clear();
                           was_pending = true;
                         }
                       }
                     }
                     if (current == "<self>") {
                       send(List{});  // registered: now ask who is there
                     } else if (!current.empty()) {
                       ended(current, "producer left");
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
                       if (!pending.empty() && m.peer_id == pending && sid.empty()) {
                         ours = true;
                         sid = m.session_id;
                         producer = pending;
                         producer_name = name = pending_name;
                         pending.clear();
                         pending_name.clear();
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
                       if (!running || sid.empty() || m.session_id != sid) return;
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
                       std::lock_guard lock(mutex);
                       if (!pending.empty()) {
                         pending.clear();
                         pending_name.clear();
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
    std::string lost;
    bool again = false;
    {
      std::lock_guard lock(mutex);
      if (!running) return;
      my_id.clear();
      pending.clear();
      pending_name.clear();
      lost = sid;
      if (!lost.empty()) again = forget_session_locked();
    }
    if (auto cb = callback(&Callbacks::error)) cb(why + "; reconnecting in " + std::to_string(retry_ms) + " ms", false);
    // The media path does not depend on the socket, but a session whose
    // server went away cannot be renegotiated or ended cleanly, and its
    // producer may be gone with it (an embedded server): start again.
    if (!lost.empty()) {
      if (auto cb = callback(&Callbacks::session_ended)) cb(lost, "signalling connection lost");
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
    core_->sid.clear();
    core_->producer.clear();
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
    if (core_->sid.empty() || session_id != core_->sid) return;
  }
  core_->send(Peer{session_id, sdp});
}

void ProtocolConsumer::send_ice(const std::string &session_id, const Ice &ice) {
  {
    std::lock_guard lock(core_->mutex);
    if (core_->sid.empty() || session_id != core_->sid) return;
  }
  core_->send(Peer{session_id, ice});
}

void ProtocolConsumer::end_session(const std::string &session_id, const std::optional<std::string> &reason) {
  bool again;
  {
    std::lock_guard lock(core_->mutex);
    if (core_->sid.empty() || session_id != core_->sid) return;
    again = core_->forget_session_locked();
  }
  // v1.1 (announced first, like the producer): the producer hears why.
  core_->send(EndSession{session_id, true, reason});
  if (again) core_->rediscover_later(core_->options.rediscover_ms);
}

std::vector<std::string> ProtocolConsumer::urls() const { return core_->transport->urls(); }

}  // namespace webrtclive
