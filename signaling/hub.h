// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The signalling server's logic, without a transport: peers, roles, sessions
// and message routing as gst-webrtc-signalling-server does it (see
// docs/protocol.md). Peers are WebSocket connections or in-process producers
// (webrtclivesink); the hub only sees a callback that delivers a message.
//
// Threading: a Hub is used from one thread only (the server's); it takes no
// locks and its send callbacks run on that thread.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <cstdint>
#include <set>
#include <string>

#include "auth.h"
#include "protocol.h"

namespace webrtclive {

class Hub {
 public:
  using Send = std::function<void(const protocol::ServerMessage &)>;

  // What one peer may ask of the hub (hostile clients: see docs/security.md).
  struct Limits {
    // Sessions a peer may have started and not ended: a viewer page needs
    // one; each costs the producer a webrtcbin (~6 threads, ~13 FDs).
    unsigned max_sessions_per_peer = 8;
    // Every message, checked before parsing (protocol.h).
    size_t max_message_bytes = protocol::kMaxMessageBytes;
    unsigned max_json_depth = protocol::kMaxJsonDepth;
  };

  Hub() = default;
  explicit Hub(Limits limits) : limits_(limits) {}

  // Adds a peer, sends it `welcome`, returns its id. A peer that presented
  // a JWT carries its grant: what it may produce and consume (auth.h);
  // without one (no JWT configured, or an in-process peer) it may do all.
  std::string add_peer(Send send, std::optional<Grant> grant = std::nullopt);
  // The peer went away: ends its sessions (telling each counterpart) and
  // tells listeners it has no roles any more.
  void remove_peer(const std::string &peer_id);

  // A text frame from a peer: parsed, handled, and answered with `error` if
  // it is malformed or cannot be served. Never throws.
  void handle_text(const std::string &peer_id, const std::string &text);
  void handle(const std::string &peer_id, const protocol::ClientMessage &msg);

  size_t peer_count() const { return peers_.size(); }
  size_t session_count() const { return sessions_.size(); }
  // Peers that currently have the role.
  size_t count_role(protocol::Role role) const;
  // The producer whose meta.name (or peer id) is `name`; for "" the one
  // that has been producing longest. "" when there is none.
  std::string find_producer(const std::string &name) const;
  // Whether any peer listens for producers or accepts sessions (a WHIP
  // publisher needs someone to take its stream).
  bool has_consumers() const;

  // What the hub has seen since it started (for GET /metrics). Labels are
  // bounded: message types of the protocol, plus "invalid" for a message
  // that did not parse.
  struct Counters {
    std::map<std::string, uint64_t> messages;  // received, by type
    std::map<std::string, uint64_t> errors;    // answered with `error`, by the type that caused it
    uint64_t sessions_started = 0;
    uint64_t sessions_ended = 0;
    uint64_t peers_joined = 0;
  };
  const Counters &counters() const { return counters_; }

 private:
  struct PeerState {
    Send send;
    std::vector<protocol::Role> roles;
    protocol::Meta meta;
    protocol::Version version = protocol::Version::V1_0;
    bool status_set = false;
    bool spoke = false;  // has sent any message (setProtocolVersion must be first)
    std::optional<Grant> grant;
    std::set<std::string> sessions;  // every session it is part of (no scans of sessions_)
    unsigned started = 0;            // of those, the ones it asked for
    uint64_t producing_since = 0;    // order in which peers took the producer role
  };
  struct Session {
    std::string producer;
    std::string consumer;
    std::string initiator;
  };

  void on(const std::string &id, PeerState &peer, const protocol::SetProtocolVersion &m);
  void on(const std::string &id, PeerState &peer, const protocol::SetPeerStatus &m);
  void on(const std::string &id, PeerState &peer, const protocol::StartSessionRequest &m);
  void on(const std::string &id, PeerState &peer, const protocol::Peer &m);
  void on(const std::string &id, PeerState &peer, const protocol::EndSession &m);
  void on(const std::string &id, PeerState &peer, const protocol::List &m);
  void on(const std::string &id, PeerState &peer, const protocol::ListConsumers &m);

  void error(PeerState &peer, std::string details);
  static bool may_see(const PeerState &viewer, const PeerState &producer);
  void broadcast_status(const std::string &id, const PeerState &peer);
  // Ends a session and tells `notify` (if not empty) about it.
  void end_session(const std::string &session_id, const std::string &notify,
                   const std::optional<std::string> &reason);

  Limits limits_;
  Counters counters_;
  const char *current_type_ = "invalid";  // of the message being handled, for counters_.errors
  std::map<std::string, PeerState> peers_;
  uint64_t producer_order_ = 0;
  std::map<std::string, Session> sessions_;
};

}  // namespace webrtclive
