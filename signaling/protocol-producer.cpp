// SPDX-License-Identifier: LGPL-2.1-or-later
#include "protocol-producer.h"

#include <mutex>
#include <set>

#include "util.h"

namespace webrtclive {

using namespace protocol;

struct ProtocolProducer::Core : std::enable_shared_from_this<ProtocolProducer::Core> {
  std::unique_ptr<SignallingTransport> transport;  // set once, never replaced
  Meta meta;

  // mutex: a leaf; guards the fields below. Never held while calling the
  // transport or a callback.
  std::mutex mutex;
  Callbacks callbacks;
  bool running = false;
  // Sessions started through the current connection.
  std::set<std::string> sessions;

  // A copy of one callback if still running (called without the lock).
  template <typename F>
  F callback(F Callbacks::*member) {
    std::lock_guard lock(mutex);
    return running ? callbacks.*member : F{};
  }
  bool is_running() {
    std::lock_guard lock(mutex);
    return running;
  }
  bool known(const std::string &sid) {
    std::lock_guard lock(mutex);
    return sessions.count(sid) > 0;
  }

  // Transport thread.
  void on_connected() {
    {
      std::lock_guard lock(mutex);
      if (!running) return;
      sessions.clear();
    }
    // Must be the first message.
    transport->send(SetProtocolVersion{"v1_1"});
  }

  void on_disconnected(const std::string &why, unsigned retry_ms) {
    if (auto cb = callback(&Callbacks::error))
      cb(why + "; consumers already connected keep streaming; reconnecting in " + std::to_string(retry_ms) + " ms",
         false);
  }

  void on_bad_message(const std::string &details) {
    if (auto cb = callback(&Callbacks::error)) cb("signalling server sent a message we cannot read: " + details, false);
  }

  void on_message(const ServerMessage &msg) {
    std::visit(Overloaded{
                   [&](const Welcome &m) {
                     if (!is_running()) return;
                     // Known before any consumer can see us (setPeerStatus follows).
                     if (auto cb = callback(&Callbacks::registered)) cb(m.peer_id);
                     transport->send(SetPeerStatus{{Role::Producer}, meta});
                   },
                   [&](const StartSession &m) {
                     {
                       std::lock_guard lock(mutex);
                       if (!running) return;
                       sessions.insert(m.session_id);
                     }
                     if (auto cb = callback(&Callbacks::session_requested)) cb(m.session_id, m.peer_id, m.offer);
                   },
                   [&](const Peer &m) {
                     if (auto *sdp = std::get_if<Sdp>(&m.payload)) {
                       if (auto cb = callback(&Callbacks::remote_sdp)) cb(m.session_id, *sdp);
                     } else if (auto cb = callback(&Callbacks::remote_ice)) {
                       cb(m.session_id, std::get<Ice>(m.payload));
                     }
                   },
                   [&](const EndSession &m) {
                     {
                       std::lock_guard lock(mutex);
                       sessions.erase(m.session_id);
                     }
                     if (auto cb = callback(&Callbacks::session_ended)) cb(m.session_id, m.error);
                   },
                   [&](const Error &m) {
                     if (auto cb = callback(&Callbacks::error)) cb("signalling server: " + m.details, false);
                   },
                   [&](const auto &) {},
               },
               msg);
  }
};

ProtocolProducer::ProtocolProducer(std::unique_ptr<SignallingTransport> transport, Meta meta)
    : core_(std::make_shared<Core>()) {
  core_->transport = std::move(transport);
  core_->meta = std::move(meta);
}

ProtocolProducer::~ProtocolProducer() { stop(); }

SignallingTransport &ProtocolProducer::transport() const { return *core_->transport; }

bool ProtocolProducer::start(Callbacks callbacks, std::string *error) {
  {
    std::lock_guard lock(core_->mutex);
    if (core_->running) return true;
    core_->callbacks = std::move(callbacks);
    core_->running = true;
    core_->sessions.clear();
  }
  if (!start_for(*core_->transport, core_, error)) {
    std::lock_guard lock(core_->mutex);
    core_->running = false;
    return false;
  }
  return true;
}

void ProtocolProducer::stop() {
  {
    std::lock_guard lock(core_->mutex);
    if (!core_->running) return;
    core_->running = false;
    core_->sessions.clear();
  }
  core_->transport->stop();
}

void ProtocolProducer::send_sdp(const std::string &session_id, const Sdp &sdp) {
  if (core_->known(session_id)) core_->transport->send(Peer{session_id, sdp});
}

void ProtocolProducer::send_ice(const std::string &session_id, const Ice &ice) {
  if (core_->known(session_id)) core_->transport->send(Peer{session_id, ice});
}

void ProtocolProducer::end_session(const std::string &session_id, const std::optional<std::string> &reason) {
  {
    std::lock_guard lock(core_->mutex);
    if (!core_->sessions.erase(session_id)) return;
  }
  core_->transport->send(EndSession{session_id, true, reason});
}

std::vector<std::string> ProtocolProducer::urls() const { return core_->transport->urls(); }

}  // namespace webrtclive
