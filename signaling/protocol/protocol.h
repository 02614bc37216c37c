// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Typed messages of the signalling protocol (wire-compatible with
// gst-webrtc-signalling-server, see docs/protocol.md) and their JSON form.
// Nothing here knows about transports or SDP contents.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

struct _JsonNode;  // json-glib's JsonNode; only the protocol library sees inside

namespace webrtclive::protocol {

enum class Role { Producer, Consumer, Listener };

enum class Version { V1_0, V1_1 };

// A peer's `meta`: any JSON value, held as a parsed, immutable tree (never
// as text), relayed exactly as received (a JSON value in, the same value
// out). The name, the one member this project reads, is read once.
class Meta {
 public:
  Meta() = default;  // JSON null
  [[nodiscard]] static Meta from_name(const std::string &name);
  // JSON text from outside the protocol (the GObject signaller interface
  // hands meta as text); nothing when it is not JSON.
  [[nodiscard]] static std::optional<Meta> parse(const std::string &json);
  // meta.name when meta is an object with a string "name", else "".
  const std::string &name() const { return name_; }
  bool is_null() const { return !node_; }
  // Canonical JSON text ("null" for none).
  std::string to_json() const;
  bool operator==(const Meta &other) const;

 private:
  friend struct MetaAccess;  // protocol.cpp: to and from the wire
  std::shared_ptr<const ::_JsonNode> node_;  // json-glib's, private to this library; null = JSON null
  std::string name_;
};

struct Sdp {
  std::string type;  // "offer" or "answer"
  std::string sdp;
  bool operator==(const Sdp &) const = default;
};

struct Ice {
  std::string candidate;  // attribute value without "a="
  unsigned sdp_mline_index = 0;
  bool operator==(const Ice &) const = default;
};

struct PeerInfo {
  std::string id;
  Meta meta;
  bool operator==(const PeerInfo &) const = default;
};

// ---- client to server -----------------------------------------------------

struct SetProtocolVersion {
  std::string version;  // "v1_0" or "v1_1" (validated by the server)
  bool operator==(const SetProtocolVersion &) const = default;
};

struct SetPeerStatus {
  std::vector<Role> roles;
  Meta meta;
  bool operator==(const SetPeerStatus &) const = default;
};

struct StartSessionRequest {
  std::string peer_id;
  std::optional<std::string> offer;
  bool operator==(const StartSessionRequest &) const = default;
};

// Shared by both directions: relayed unchanged.
struct Peer {
  std::string session_id;
  std::variant<Sdp, Ice> payload;
  bool operator==(const Peer &) const = default;
};

// `endSession` (v1.0) or `endSessionV1_1` (with a reason) in both directions.
struct EndSession {
  std::string session_id;
  bool v1_1 = false;
  std::optional<std::string> error;  // only carried by v1.1
  bool operator==(const EndSession &) const = default;
};

struct List {
  bool operator==(const List &) const = default;
};
struct ListConsumers {
  bool operator==(const ListConsumers &) const = default;
};

using ClientMessage = std::variant<SetProtocolVersion, SetPeerStatus, StartSessionRequest, Peer,
                                   EndSession, List, ListConsumers>;

// ---- server to client -----------------------------------------------------

struct Welcome {
  std::string peer_id;
  bool operator==(const Welcome &) const = default;
};

struct PeerStatusChanged {
  std::string peer_id;
  std::vector<Role> roles;
  Meta meta;
  bool operator==(const PeerStatusChanged &) const = default;
};

struct ListReply {
  std::vector<PeerInfo> producers;
  bool operator==(const ListReply &) const = default;
};

struct ListConsumersReply {
  std::vector<PeerInfo> consumers;
  bool operator==(const ListConsumersReply &) const = default;
};

struct SessionStarted {
  std::string peer_id;
  std::string session_id;
  bool operator==(const SessionStarted &) const = default;
};

struct StartSession {
  std::string peer_id;
  std::string session_id;
  std::optional<std::string> offer;
  bool operator==(const StartSession &) const = default;
};

struct Error {
  std::string details;
  bool operator==(const Error &) const = default;
};

using ServerMessage = std::variant<Welcome, PeerStatusChanged, ListReply, ListConsumersReply,
                                   SessionStarted, StartSession, Peer, EndSession, Error>;

// Result of parsing: a message, or a sentence saying what was wrong.
template <typename T>
struct Parsed {
  std::optional<T> message;
  std::string error;
  explicit operator bool() const { return message.has_value(); }
};

// ---- limits ----------------------------------------------------------------
// Checked before json-glib sees a message: its parser recurses once per
// nesting level (~75,000 nested '[' overflow a thread's stack), and nothing
// in the protocol nests deeper than a few levels (a peer's meta is the
// deepest: its own JSON, relayed).
inline constexpr size_t kMaxMessageBytes = 256 * 1024;  // a 16-m-line SDP is ~20 KB
inline constexpr unsigned kMaxJsonDepth = 32;

// "" when `text` is at most `max_bytes` long and nests arrays/objects at
// most `max_depth` deep (counted outside strings), else a sentence saying
// which limit it passed.
[[nodiscard]] std::string check_json_limits(std::string_view text, size_t max_bytes = kMaxMessageBytes,
                                            unsigned max_depth = kMaxJsonDepth);

// ---- gstwebrtc-api's "control" data channel ---------------------------------
// {"id": N, "request": {"type": "navigationEvent", "event": {"event":
// "MouseButtonPress", "x": .., "y": .., "button": .., "key": ..,
// "delta_x": .., "delta_y": ..}}}; answered by a ControlResponseMessage.
struct NavigationRequest {
  std::string event;  // gstwebrtc-api's name, e.g. "MouseButtonPress"
  double x = 0, y = 0, delta_x = 0, delta_y = 0;
  std::optional<int> button;
  std::optional<std::string> key;
  bool operator==(const NavigationRequest &) const = default;
};

struct ControlRequest {
  long long id = -1;  // -1 when the request carried none (or an invalid one)
  std::optional<NavigationRequest> navigation;  // set when valid
  std::string error;                            // else why not
};

inline constexpr size_t kMaxControlMessageBytes = 16 * 1024;
[[nodiscard]] ControlRequest parse_control(const std::string &text);
// The reply: {"type":"ControlResponseMessage","id":N,"error":null|"why"}.
[[nodiscard]] std::string control_response(long long id, const std::string &error);

[[nodiscard]] Parsed<ClientMessage> parse_client(const std::string &text, size_t max_bytes = kMaxMessageBytes,
                                                 unsigned max_depth = kMaxJsonDepth);
[[nodiscard]] Parsed<ServerMessage> parse_server(const std::string &text);
[[nodiscard]] std::string to_json(const ClientMessage &msg);
[[nodiscard]] std::string to_json(const ServerMessage &msg);

const char *role_name(Role role);
bool has_role(const std::vector<Role> &roles, Role role);
// The name of a message's "type" field, for logs.
const char *type_name(const ClientMessage &msg);
const char *type_name(const ServerMessage &msg);

}  // namespace webrtclive::protocol
