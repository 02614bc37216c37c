// SPDX-License-Identifier: LGPL-2.1-or-later
#include "hub.h"

#include <glib.h>

#include <vector>

namespace webrtclive {

using namespace protocol;

namespace {
std::string new_uuid() {
  gchar *s = g_uuid_string_random();
  std::string out(s);
  g_free(s);
  return out;
}
}  // namespace

std::string Hub::add_peer(Send send, std::optional<Grant> grant) {
  std::string id = new_uuid();
  auto &peer = peers_[id];
  peer.send = std::move(send);
  peer.grant = std::move(grant);
  counters_.peers_joined++;
  peer.send(Welcome{id});
  return id;
}

void Hub::remove_peer(const std::string &peer_id) {
  auto it = peers_.find(peer_id);
  if (it == peers_.end()) return;
  std::vector<std::string> ended(it->second.sessions.begin(), it->second.sessions.end());
  for (const auto &sid : ended) {
    const Session &s = sessions_.at(sid);
    std::string other = s.producer == peer_id ? s.consumer : s.producer;
    end_session(sid, other, std::string("peer disconnected"));
  }
  PeerState gone = std::move(it->second);
  peers_.erase(it);
  if (gone.status_set) {
    gone.roles.clear();
    broadcast_status(peer_id, gone);
  }
}

void Hub::handle_text(const std::string &peer_id, const std::string &text) {
  auto it = peers_.find(peer_id);
  if (it == peers_.end()) return;
  auto parsed = parse_client(text, limits_.max_message_bytes, limits_.max_json_depth);
  if (!parsed) {
    counters_.messages["invalid"]++;
    current_type_ = "invalid";
    error(it->second, parsed.error);
    return;
  }
  handle(peer_id, *parsed.message);
}

void Hub::handle(const std::string &peer_id, const ClientMessage &msg) {
  auto it = peers_.find(peer_id);
  if (it == peers_.end()) return;
  PeerState &peer = it->second;
  current_type_ = type_name(msg);
  counters_.messages[current_type_]++;
  bool first = !peer.spoke;
  peer.spoke = true;
  if (std::holds_alternative<SetProtocolVersion>(msg) && !first) {
    error(peer, "setProtocolVersion must be the first message");
    return;
  }
  std::visit([&](const auto &m) { on(peer_id, peer, m); }, msg);
}

void Hub::on(const std::string &, PeerState &peer, const SetProtocolVersion &m) {
  if (m.version == "v1_0")
    peer.version = Version::V1_0;
  else if (m.version == "v1_1")
    peer.version = Version::V1_1;
  else
    error(peer, "unsupported protocol version '" + m.version + "' (supported: v1_0, v1_1)");
}

void Hub::on(const std::string &id, PeerState &peer, const SetPeerStatus &m) {
  if (has_role(m.roles, Role::Producer) && has_role(m.roles, Role::Consumer)) {
    error(peer, "a peer cannot be both producer and consumer");
    return;
  }
  if (peer.grant) {
    const std::string name = m.meta.name();
    if (has_role(m.roles, Role::Producer) && !peer.grant->produce) {
      error(peer, "this token does not allow producing");
      return;
    }
    if (has_role(m.roles, Role::Producer) && !peer.grant->allows_name(name)) {
      error(peer, "this token does not allow producing as '" + name + "'");
      return;
    }
    if ((has_role(m.roles, Role::Consumer) || has_role(m.roles, Role::Listener)) && !peer.grant->consume) {
      error(peer, "this token does not allow consuming");
      return;
    }
  }
  bool dropped_producer = has_role(peer.roles, Role::Producer) && !has_role(m.roles, Role::Producer);
  bool dropped_consumer = has_role(peer.roles, Role::Consumer) && !has_role(m.roles, Role::Consumer);
  if (has_role(m.roles, Role::Producer) && !has_role(peer.roles, Role::Producer)) peer.producing_since = ++producer_order_;
  peer.roles = m.roles;
  peer.meta = m.meta;
  peer.status_set = true;

  std::vector<std::pair<std::string, std::string>> ended;  // session, counterpart
  for (const auto &sid : peer.sessions) {
    const Session &s = sessions_.at(sid);
    if (dropped_producer && s.producer == id) ended.emplace_back(sid, s.consumer);
    if (dropped_consumer && s.consumer == id) ended.emplace_back(sid, s.producer);
  }
  for (const auto &[sid, other] : ended) end_session(sid, other, std::string("peer changed its roles"));

  // end_session() never erases peers, so `peer` is still valid here.
  broadcast_status(id, peer);
}

void Hub::on(const std::string &id, PeerState &peer, const StartSessionRequest &m) {
  if (m.peer_id == id) {
    error(peer, "cannot start a session with oneself");
    return;
  }
  auto target = peers_.find(m.peer_id);
  if (target == peers_.end()) {
    error(peer, "no peer with id '" + m.peer_id + "'");
    return;
  }
  if (peer.started >= limits_.max_sessions_per_peer) {
    error(peer, "too many sessions: one connection may have " + std::to_string(limits_.max_sessions_per_peer) +
                    " at a time (end one first)");
    return;
  }
  if (peer.grant) {
    const bool to_producer = has_role(target->second.roles, Role::Producer);
    const std::string name = target->second.meta.name();
    if (to_producer && (!peer.grant->consume || !peer.grant->allows_name(name))) {
      error(peer, "this token does not allow consuming '" + name + "'");
      return;
    }
    if (!to_producer && !peer.grant->produce) {
      error(peer, "this token does not allow producing");
      return;
    }
  }
  Session s;
  if (has_role(target->second.roles, Role::Producer)) {
    s = Session{m.peer_id, id};
  } else if (has_role(target->second.roles, Role::Consumer)) {
    if (m.offer) {
      error(peer, "an offer in startSession comes from the consumer; '" + m.peer_id + "' is a consumer");
      return;
    }
    s = Session{id, m.peer_id};
  } else {
    error(peer, "peer '" + m.peer_id + "' is neither a producer nor a consumer");
    return;
  }
  std::string sid = new_uuid();
  s.initiator = id;
  sessions_[sid] = s;
  peer.sessions.insert(sid);
  peer.started++;
  counters_.sessions_started++;
  target->second.sessions.insert(sid);
  peer.send(SessionStarted{m.peer_id, sid});
  target->second.send(StartSession{id, sid, m.offer});
}

void Hub::on(const std::string &id, PeerState &peer, const Peer &m) {
  auto it = sessions_.find(m.session_id);
  if (it == sessions_.end() || (it->second.producer != id && it->second.consumer != id)) {
    error(peer, "no session '" + m.session_id + "'");
    return;
  }
  const Session &s = it->second;
  if (auto *sdp = std::get_if<Sdp>(&m.payload); sdp && sdp->type == "offer" && s.consumer == id) {
    error(peer, "a consumer sends its offer in startSession, not in 'peer'");
    return;
  }
  const std::string &other = s.producer == id ? s.consumer : s.producer;
  auto target = peers_.find(other);
  if (target != peers_.end()) target->second.send(m);
}

void Hub::on(const std::string &id, PeerState &peer, const EndSession &m) {
  if (m.v1_1 && peer.version != Version::V1_1) {
    error(peer, "endSessionV1_1 needs protocol version v1_1 (send setProtocolVersion first)");
    return;
  }
  auto it = sessions_.find(m.session_id);
  if (it == sessions_.end() || (it->second.producer != id && it->second.consumer != id)) {
    error(peer, "no session '" + m.session_id + "'");
    return;
  }
  const Session &s = it->second;
  std::string other = s.producer == id ? s.consumer : s.producer;
  end_session(m.session_id, other, m.error);
}

void Hub::on(const std::string &, PeerState &peer, const List &) {
  ListReply reply;
  for (const auto &[pid, p] : peers_)
    if (has_role(p.roles, Role::Producer) && may_see(peer, p)) reply.producers.push_back(PeerInfo{pid, p.meta});
  peer.send(reply);
}

void Hub::on(const std::string &, PeerState &peer, const ListConsumers &) {
  ListConsumersReply reply;
  for (const auto &[pid, p] : peers_)
    if (has_role(p.roles, Role::Consumer)) reply.consumers.push_back(PeerInfo{pid, p.meta});
  peer.send(reply);
}

// A peer with a grant sees only the producers its names allow.
bool Hub::may_see(const PeerState &viewer, const PeerState &producer) {
  return !viewer.grant || viewer.grant->allows_name(producer.meta.name());
}

void Hub::error(PeerState &peer, std::string details) {
  counters_.errors[current_type_]++;
  peer.send(Error{std::move(details)});
}

size_t Hub::count_role(Role role) const {
  size_t n = 0;
  for (const auto &[id, p] : peers_)
    if (has_role(p.roles, role)) n++;
  return n;
}

std::string Hub::find_producer(const std::string &name) const {
  const PeerState *best = nullptr;
  std::string found;
  for (const auto &[id, p] : peers_) {
    if (!has_role(p.roles, Role::Producer)) continue;
    if (!name.empty() && id != name && p.meta.name() != name) continue;
    if (!best || p.producing_since < best->producing_since) {
      best = &p;
      found = id;
    }
  }
  return found;
}

bool Hub::has_consumers() const {
  for (const auto &[id, p] : peers_)
    if (has_role(p.roles, Role::Listener) || has_role(p.roles, Role::Consumer)) return true;
  return false;
}

void Hub::broadcast_status(const std::string &id, const PeerState &state) {
  PeerStatusChanged msg{id, state.roles, state.meta};
  // Collect first: a send callback must not see peers_ change under it, and
  // none of them may call back into the hub synchronously.
  std::vector<Send *> listeners;
  for (auto &[pid, p] : peers_)
    if (has_role(p.roles, Role::Listener) && (!has_role(state.roles, Role::Producer) || may_see(p, state)))
      listeners.push_back(&p.send);
  for (Send *send : listeners) (*send)(msg);
}

void Hub::end_session(const std::string &session_id, const std::string &notify,
                      const std::optional<std::string> &reason) {
  auto ended = sessions_.find(session_id);
  if (ended == sessions_.end()) return;
  for (const std::string *party : {&ended->second.producer, &ended->second.consumer}) {
    auto p = peers_.find(*party);
    if (p == peers_.end()) continue;
    p->second.sessions.erase(session_id);
    if (*party == ended->second.initiator) p->second.started--;
  }
  sessions_.erase(ended);
  counters_.sessions_ended++;
  auto it = peers_.find(notify);
  if (it == peers_.end()) return;
  bool v1_1 = it->second.version == Version::V1_1;
  it->second.send(EndSession{session_id, v1_1, v1_1 ? reason : std::nullopt});
}

}  // namespace webrtclive
