// SPDX-License-Identifier: LGPL-2.1-or-later
#include "util.h"
#include "protocol.h"

#include <json-glib/json-glib.h>

#include <cstring>
#include <memory>

namespace webrtclive::protocol {

struct MetaAccess {
  // Takes a copy of `node` (or JSON null).
  static Meta of(JsonNode *node) {
    Meta m;
    if (!node || JSON_NODE_HOLDS_NULL(node)) return m;
    m.node_ = std::shared_ptr<const JsonNode>(json_node_copy(node), [](const JsonNode *n) {
      json_node_unref(const_cast<JsonNode *>(n));
    });
    if (JSON_NODE_HOLDS_OBJECT(node)) {
      JsonObject *o = json_node_get_object(node);
      JsonNode *n = json_object_has_member(o, "name") ? json_object_get_member(o, "name") : nullptr;
      if (n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING)
        m.name_ = json_node_get_string(n);
    }
    return m;
  }
  // A new node for a builder (it takes it).
  static JsonNode *node(const Meta &m) {
    return m.node_ ? json_node_copy(const_cast<JsonNode *>(m.node_.get())) : json_node_new(JSON_NODE_NULL);
  }
  static const JsonNode *peek(const Meta &m) { return m.node_.get(); }
};
namespace {

struct NodeDeleter {
  void operator()(JsonNode *n) const { json_node_unref(n); }
};
using NodePtr = std::unique_ptr<JsonNode, NodeDeleter>;

struct BuilderDeleter {
  void operator()(JsonBuilder *b) const { g_object_unref(b); }
};
using BuilderPtr = std::unique_ptr<JsonBuilder, BuilderDeleter>;

// Thrown inside this file only; parse_* turn it into Parsed::error.
struct BadMessage {
  std::string what;
};

NodePtr parse_node(const std::string &text, size_t max_bytes = kMaxMessageBytes, unsigned max_depth = kMaxJsonDepth) {
  if (std::string why = check_json_limits(text, max_bytes, max_depth); !why.empty()) throw BadMessage{why};
  GError *err = nullptr;
  JsonNode *node = json_from_string(text.c_str(), &err);
  if (!node) {
    // json-glib quotes the input in its message, cut anywhere (even inside
    // a UTF-8 sequence): made valid before it goes back to the peer as JSON.
    gchar *valid = g_utf8_make_valid(err ? err->message : "empty message", -1);
    std::string why = valid;
    g_free(valid);
    if (err) g_error_free(err);
    throw BadMessage{"invalid JSON: " + why};
  }
  return NodePtr(node);
}

std::string node_to_string(JsonNode *node) {
  gchar *s = json_to_string(node, FALSE);
  std::string out(s);
  g_free(s);
  return out;
}

class Reader {
 public:
  Reader(JsonObject *obj, const char *type) : obj_(obj), type_(type) {}

  std::string string(const char *key) const {
    JsonNode *n = member(key);
    if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
      throw BadMessage{field(key) + " must be a string"};
    return json_node_get_string(n);
  }

  std::optional<std::string> optional_string(const char *key) const {
    if (!json_object_has_member(obj_, key)) return std::nullopt;
    JsonNode *n = json_object_get_member(obj_, key);
    if (JSON_NODE_HOLDS_NULL(n)) return std::nullopt;
    return string(key);
  }

  unsigned index(const char *key) const {
    JsonNode *n = member(key);
    if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64 ||
        json_node_get_int(n) < 0 || json_node_get_int(n) > 65535)
      throw BadMessage{field(key) + " must be a non-negative integer"};
    return static_cast<unsigned>(json_node_get_int(n));
  }

  JsonObject *object(const char *key) const {
    JsonNode *n = member(key);
    if (!JSON_NODE_HOLDS_OBJECT(n)) throw BadMessage{field(key) + " must be an object"};
    return json_node_get_object(n);
  }

  JsonArray *array(const char *key) const {
    JsonNode *n = member(key);
    if (!JSON_NODE_HOLDS_ARRAY(n)) throw BadMessage{field(key) + " must be an array"};
    return json_node_get_array(n);
  }

  Meta meta(const char *key) const {
    if (!json_object_has_member(obj_, key)) return Meta{};
    return MetaAccess::of(json_object_get_member(obj_, key));
  }

  bool has(const char *key) const { return json_object_has_member(obj_, key); }

 private:
  JsonNode *member(const char *key) const {
    if (!json_object_has_member(obj_, key)) throw BadMessage{"missing " + field(key)};
    return json_object_get_member(obj_, key);
  }
  std::string field(const char *key) const {
    return std::string("field '") + key + "' of '" + type_ + "'";
  }

  JsonObject *obj_;
  const char *type_;
};

std::vector<Role> parse_roles(JsonArray *arr) {
  std::vector<Role> roles;
  for (guint i = 0; i < json_array_get_length(arr); i++) {
    JsonNode *n = json_array_get_element(arr, i);
    if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
      throw BadMessage{"roles must be strings"};
    std::string r = json_node_get_string(n);
    Role role;
    if (r == "producer")
      role = Role::Producer;
    else if (r == "consumer")
      role = Role::Consumer;
    else if (r == "listener")
      role = Role::Listener;
    else
      throw BadMessage{"unknown role '" + r + "' (expected producer, consumer or listener)"};
    if (!has_role(roles, role)) roles.push_back(role);
  }
  return roles;
}

Peer parse_peer(const Reader &r) {
  Peer p;
  p.session_id = r.string("sessionId");
  if (r.has("sdp")) {
    Reader sdp(r.object("sdp"), "peer.sdp");
    Sdp s{sdp.string("type"), sdp.string("sdp")};
    if (s.type != "offer" && s.type != "answer")
      throw BadMessage{"sdp type must be 'offer' or 'answer', not '" + s.type + "'"};
    p.payload = std::move(s);
  } else if (r.has("ice")) {
    Reader ice(r.object("ice"), "peer.ice");
    p.payload = Ice{ice.string("candidate"), ice.index("sdpMLineIndex")};
  } else {
    throw BadMessage{"'peer' needs either 'sdp' or 'ice'"};
  }
  return p;
}

EndSession parse_end(const Reader &r, bool v1_1) {
  EndSession e{r.string("sessionId"), v1_1, std::nullopt};
  if (v1_1) e.error = r.optional_string("error");
  return e;
}

std::vector<PeerInfo> parse_peer_infos(JsonArray *arr) {
  std::vector<PeerInfo> out;
  for (guint i = 0; i < json_array_get_length(arr); i++) {
    JsonNode *n = json_array_get_element(arr, i);
    if (!JSON_NODE_HOLDS_OBJECT(n)) throw BadMessage{"list entries must be objects"};
    Reader e(json_node_get_object(n), "list entry");
    out.push_back(PeerInfo{e.string("id"), e.meta("meta")});
  }
  return out;
}

std::pair<NodePtr, std::string> open_message(const std::string &text, JsonObject **obj,
                                             size_t max_bytes = kMaxMessageBytes, unsigned max_depth = kMaxJsonDepth) {
  NodePtr root = parse_node(text, max_bytes, max_depth);
  if (!JSON_NODE_HOLDS_OBJECT(root.get())) throw BadMessage{"a message must be a JSON object"};
  *obj = json_node_get_object(root.get());
  if (!json_object_has_member(*obj, "type")) throw BadMessage{"missing field 'type'"};
  JsonNode *t = json_object_get_member(*obj, "type");
  if (!JSON_NODE_HOLDS_VALUE(t) || json_node_get_value_type(t) != G_TYPE_STRING)
    throw BadMessage{"field 'type' must be a string"};
  std::string type = json_node_get_string(t);
  return {std::move(root), type};
}

// ---- gstwebrtc-api control channel --------------------------------------------

// An optional number member (0 when absent); anything else but a number is
// refused rather than read as 0 or passed to json-glib's typed getters,
// which g_critical (or return NULL) on the wrong type.
double optional_number(JsonObject *o, const char *key) {
  if (!json_object_has_member(o, key)) return 0.0;
  JsonNode *n = json_object_get_member(o, key);
  GType t = JSON_NODE_HOLDS_VALUE(n) ? json_node_get_value_type(n) : G_TYPE_INVALID;
  if (t != G_TYPE_INT64 && t != G_TYPE_DOUBLE) throw BadMessage{std::string("'") + key + "' must be a number"};
  return json_node_get_double(n);
}

NavigationRequest parse_navigation(JsonObject *ev) {
  NavigationRequest nav;
  JsonNode *name = json_object_has_member(ev, "event") ? json_object_get_member(ev, "event") : nullptr;
  if (!name || !JSON_NODE_HOLDS_VALUE(name) || json_node_get_value_type(name) != G_TYPE_STRING)
    throw BadMessage{"the navigation event needs a string 'event'"};
  nav.event = json_node_get_string(name);
  nav.x = optional_number(ev, "x");
  nav.y = optional_number(ev, "y");
  nav.delta_x = optional_number(ev, "delta_x");
  nav.delta_y = optional_number(ev, "delta_y");
  if (json_object_has_member(ev, "button")) {
    double b = optional_number(ev, "button");
    if (b < 0 || b > 32) throw BadMessage{"'button' must be a button number (0-32)"};
    nav.button = static_cast<int>(b);
  }
  if (json_object_has_member(ev, "key")) {
    JsonNode *k = json_object_get_member(ev, "key");
    if (!JSON_NODE_HOLDS_VALUE(k) || json_node_get_value_type(k) != G_TYPE_STRING)
      throw BadMessage{"'key' must be a string"};
    nav.key = json_node_get_string(k);
  }
  return nav;
}

}  // namespace

ControlRequest parse_control(const std::string &text) {
  ControlRequest out;
  try {
    if (text.size() > kMaxControlMessageBytes)
      throw BadMessage{"control message larger than " + std::to_string(kMaxControlMessageBytes) + " bytes"};
    NodePtr root = parse_node(text);
    if (!JSON_NODE_HOLDS_OBJECT(root.get())) throw BadMessage{"expected {id, request: {type, ...}}"};
    JsonObject *msg = json_node_get_object(root.get());
    if (json_object_has_member(msg, "id")) {
      JsonNode *id = json_object_get_member(msg, "id");
      if (JSON_NODE_HOLDS_VALUE(id) && json_node_get_value_type(id) == G_TYPE_INT64) out.id = json_node_get_int(id);
    }
    JsonNode *req = json_object_has_member(msg, "request") ? json_object_get_member(msg, "request") : nullptr;
    if (!req || !JSON_NODE_HOLDS_OBJECT(req)) throw BadMessage{"expected {id, request: {type, ...}}"};
    JsonObject *request = json_node_get_object(req);
    JsonNode *type = json_object_has_member(request, "type") ? json_object_get_member(request, "type") : nullptr;
    if (!type || !JSON_NODE_HOLDS_VALUE(type) || json_node_get_value_type(type) != G_TYPE_STRING)
      throw BadMessage{"the request needs a string 'type'"};
    if (g_strcmp0(json_node_get_string(type), "navigationEvent") != 0)
      throw BadMessage{std::string("unsupported request type '") + json_node_get_string(type) + "'"};
    JsonNode *ev = json_object_has_member(request, "event") ? json_object_get_member(request, "event") : nullptr;
    if (!ev || !JSON_NODE_HOLDS_OBJECT(ev)) throw BadMessage{"navigationEvent without an event object"};
    out.navigation = parse_navigation(json_node_get_object(ev));
  } catch (const BadMessage &e) {
    out.error = e.what;
  }
  return out;
}

std::string control_response(long long id, const std::string &error) {
  BuilderPtr b(json_builder_new());
  json_builder_begin_object(b.get());
  json_builder_set_member_name(b.get(), "type");
  json_builder_add_string_value(b.get(), "ControlResponseMessage");
  json_builder_set_member_name(b.get(), "id");
  json_builder_add_int_value(b.get(), id);
  json_builder_set_member_name(b.get(), "error");
  if (error.empty())
    json_builder_add_null_value(b.get());
  else
    json_builder_add_string_value(b.get(), error.c_str());
  json_builder_end_object(b.get());
  NodePtr root(json_builder_get_root(b.get()));
  return node_to_string(root.get());
}

std::string check_json_limits(std::string_view text, size_t max_bytes, unsigned max_depth) {
  if (text.size() > max_bytes)
    return "message of " + std::to_string(text.size()) + " bytes; at most " + std::to_string(max_bytes) +
           " are accepted";
  // json-glib is lenient where RFC 8259 is not (raw control characters and
  // unknown escapes in strings, invalid UTF-8, leading zeros): such text
  // would not come back the same when relayed, so it is refused here.
  if (!g_utf8_validate(text.data(), static_cast<gssize>(text.size()), nullptr)) return "invalid JSON: not UTF-8";
  unsigned depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); i++) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (in_string) {
      if (c < 0x20) return "invalid JSON: a control character in a string";
      if (c == '"') {
        in_string = false;
      } else if (c == '\\') {
        const char e = i + 1 < text.size() ? text[++i] : '\0';
        if (e == 'u') {
          // Four hex digits; a UTF-16 surrogate only as a high-low pair
          // (a lone one decodes to text that is not UTF-8).
          auto hex4 = [&](size_t at, unsigned *v) {
            if (at + 4 > text.size()) return false;
            *v = 0;
            for (size_t k = at; k < at + 4; k++) {
              if (!g_ascii_isxdigit(text[k])) return false;
              *v = *v * 16 + static_cast<unsigned>(g_ascii_xdigit_value(text[k]));
            }
            return true;
          };
          unsigned cp = 0, low = 0;
          if (!hex4(i + 1, &cp)) return "invalid JSON: a bad \\u escape";
          i += 4;
          if (cp >= 0xDC00 && cp <= 0xDFFF) return "invalid JSON: a lone UTF-16 surrogate";
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (i + 2 >= text.size() || text[i + 1] != '\\' || text[i + 2] != 'u' || !hex4(i + 3, &low) ||
                low < 0xDC00 || low > 0xDFFF)
              return "invalid JSON: a lone UTF-16 surrogate";
            i += 6;
          }
        } else if (!strchr("\"\\/bfnrt", e) || e == '\0') {
          return "invalid JSON: an unknown escape in a string";
        }
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth)
        return "JSON nested deeper than " + std::to_string(max_depth) + " levels is not accepted";
    } else if ((c == ']' || c == '}') && depth > 0) {
      depth--;
    } else if (c == '-' || g_ascii_isdigit(c)) {
      // A whole number token: its integer part may not start with 0 and go on.
      size_t j = i + (c == '-' ? 1 : 0);
      if (j + 1 < text.size() && text[j] == '0' && g_ascii_isdigit(text[j + 1]))
        return "invalid JSON: a number with a leading zero";
      while (i + 1 < text.size() && strchr("0123456789.eE+-", text[i + 1]) && text[i + 1] != '\0') i++;
    }
  }
  return {};
}

namespace {

// ---- writing ----------------------------------------------------------------

class Writer {
 public:
  explicit Writer(const char *type) : b_(json_builder_new()) {
    json_builder_begin_object(b_.get());
    str("type", type);
  }
  Writer &str(const char *key, const std::string &v) {
    json_builder_set_member_name(b_.get(), key);
    json_builder_add_string_value(b_.get(), v.c_str());
    return *this;
  }
  Writer &opt_str(const char *key, const std::optional<std::string> &v) {
    json_builder_set_member_name(b_.get(), key);
    if (v)
      json_builder_add_string_value(b_.get(), v->c_str());
    else
      json_builder_add_null_value(b_.get());
    return *this;
  }
  Writer &meta(const char *key, const Meta &m) {
    json_builder_set_member_name(b_.get(), key);
    json_builder_add_value(b_.get(), MetaAccess::node(m));
    return *this;
  }
  Writer &roles(const std::vector<Role> &roles) {
    json_builder_set_member_name(b_.get(), "roles");
    json_builder_begin_array(b_.get());
    for (Role r : roles) json_builder_add_string_value(b_.get(), role_name(r));
    json_builder_end_array(b_.get());
    return *this;
  }
  Writer &peers(const char *key, const std::vector<PeerInfo> &list) {
    json_builder_set_member_name(b_.get(), key);
    json_builder_begin_array(b_.get());
    for (const auto &p : list) {
      json_builder_begin_object(b_.get());
      json_builder_set_member_name(b_.get(), "id");
      json_builder_add_string_value(b_.get(), p.id.c_str());
      meta("meta", p.meta);
      json_builder_end_object(b_.get());
    }
    json_builder_end_array(b_.get());
    return *this;
  }
  Writer &payload(const std::variant<Sdp, Ice> &payload) {
    if (auto *sdp = std::get_if<Sdp>(&payload)) {
      json_builder_set_member_name(b_.get(), "sdp");
      json_builder_begin_object(b_.get());
      str("type", sdp->type).str("sdp", sdp->sdp);
      json_builder_end_object(b_.get());
    } else {
      const Ice &ice = std::get<Ice>(payload);
      json_builder_set_member_name(b_.get(), "ice");
      json_builder_begin_object(b_.get());
      str("candidate", ice.candidate);
      json_builder_set_member_name(b_.get(), "sdpMLineIndex");
      json_builder_add_int_value(b_.get(), ice.sdp_mline_index);
      json_builder_end_object(b_.get());
    }
    return *this;
  }
  std::string done() {
    json_builder_end_object(b_.get());
    NodePtr root(json_builder_get_root(b_.get()));
    return node_to_string(root.get());
  }

 private:
  BuilderPtr b_;
};

std::string end_session_json(const EndSession &e) {
  if (!e.v1_1) return Writer("endSession").str("sessionId", e.session_id).done();
  return Writer("endSessionV1_1").str("sessionId", e.session_id).opt_str("error", e.error).done();
}


}  // namespace

Meta Meta::from_name(const std::string &name) {
  BuilderPtr b(json_builder_new());
  json_builder_begin_object(b.get());
  json_builder_set_member_name(b.get(), "name");
  json_builder_add_string_value(b.get(), name.c_str());
  json_builder_end_object(b.get());
  NodePtr root(json_builder_get_root(b.get()));
  return MetaAccess::of(root.get());
}

std::optional<Meta> Meta::parse(const std::string &json) {
  try {
    NodePtr node = parse_node(json);
    return MetaAccess::of(node.get());
  } catch (const BadMessage &) {
    return std::nullopt;
  }
}

std::string Meta::to_json() const {
  NodePtr n(MetaAccess::node(*this));
  return node_to_string(n.get());
}

bool Meta::operator==(const Meta &other) const {
  if (!node_ || !other.node_) return !node_ && !other.node_;
  return json_node_equal(const_cast<JsonNode *>(node_.get()), const_cast<JsonNode *>(other.node_.get()));
}

const char *role_name(Role role) {
  switch (role) {
    case Role::Producer:
      return "producer";
    case Role::Consumer:
      return "consumer";
    case Role::Listener:
      return "listener";
  }
  return "?";
}

bool has_role(const std::vector<Role> &roles, Role role) {
  for (Role r : roles)
    if (r == role) return true;
  return false;
}

Parsed<ClientMessage> parse_client(const std::string &text, size_t max_bytes, unsigned max_depth) {
  try {
    JsonObject *obj = nullptr;
    auto [root, type] = open_message(text, &obj, max_bytes, max_depth);
    Reader r(obj, type.c_str());
    if (type == "setProtocolVersion") return {SetProtocolVersion{r.string("version")}, {}};
    if (type == "setPeerStatus") return {SetPeerStatus{parse_roles(r.array("roles")), r.meta("meta")}, {}};
    if (type == "startSession") return {StartSessionRequest{r.string("peerId"), r.optional_string("offer")}, {}};
    if (type == "peer") return {parse_peer(r), {}};
    if (type == "endSession") return {parse_end(r, false), {}};
    if (type == "endSessionV1_1") return {parse_end(r, true), {}};
    if (type == "list") return {List{}, {}};
    if (type == "listConsumers") return {ListConsumers{}, {}};
    throw BadMessage{"unknown message type '" + type + "'"};
  } catch (const BadMessage &e) {
    return {std::nullopt, e.what};
  }
}

Parsed<ServerMessage> parse_server(const std::string &text) {
  try {
    JsonObject *obj = nullptr;
    auto [root, type] = open_message(text, &obj);
    Reader r(obj, type.c_str());
    if (type == "welcome") return {Welcome{r.string("peerId")}, {}};
    if (type == "peerStatusChanged")
      return {PeerStatusChanged{r.string("peerId"), parse_roles(r.array("roles")), r.meta("meta")}, {}};
    if (type == "list") return {ListReply{parse_peer_infos(r.array("producers"))}, {}};
    if (type == "listConsumers") return {ListConsumersReply{parse_peer_infos(r.array("consumers"))}, {}};
    if (type == "sessionStarted") return {SessionStarted{r.string("peerId"), r.string("sessionId")}, {}};
    if (type == "startSession")
      return {StartSession{r.string("peerId"), r.string("sessionId"), r.optional_string("offer")}, {}};
    if (type == "peer") return {parse_peer(r), {}};
    if (type == "endSession") return {parse_end(r, false), {}};
    if (type == "endSessionV1_1") return {parse_end(r, true), {}};
    if (type == "error") return {Error{r.string("details")}, {}};
    throw BadMessage{"unknown message type '" + type + "'"};
  } catch (const BadMessage &e) {
    return {std::nullopt, e.what};
  }
}

std::string to_json(const ClientMessage &msg) {
  return std::visit(
      Overloaded{
          [](const SetProtocolVersion &m) { return Writer("setProtocolVersion").str("version", m.version).done(); },
          [](const SetPeerStatus &m) { return Writer("setPeerStatus").roles(m.roles).meta("meta", m.meta).done(); },
          [](const StartSessionRequest &m) {
            Writer w("startSession");
            w.str("peerId", m.peer_id);
            if (m.offer) w.str("offer", *m.offer);
            return w.done();
          },
          [](const Peer &m) { return Writer("peer").str("sessionId", m.session_id).payload(m.payload).done(); },
          [](const EndSession &m) { return end_session_json(m); },
          [](const List &) { return Writer("list").done(); },
          [](const ListConsumers &) { return Writer("listConsumers").done(); },
      },
      msg);
}

std::string to_json(const ServerMessage &msg) {
  return std::visit(
      Overloaded{
          [](const Welcome &m) { return Writer("welcome").str("peerId", m.peer_id).done(); },
          [](const PeerStatusChanged &m) {
            return Writer("peerStatusChanged").str("peerId", m.peer_id).roles(m.roles).meta("meta", m.meta).done();
          },
          [](const ListReply &m) { return Writer("list").peers("producers", m.producers).done(); },
          [](const ListConsumersReply &m) { return Writer("listConsumers").peers("consumers", m.consumers).done(); },
          [](const SessionStarted &m) {
            return Writer("sessionStarted").str("peerId", m.peer_id).str("sessionId", m.session_id).done();
          },
          [](const StartSession &m) {
            return Writer("startSession")
                .str("peerId", m.peer_id)
                .str("sessionId", m.session_id)
                .opt_str("offer", m.offer)
                .done();
          },
          [](const Peer &m) { return Writer("peer").str("sessionId", m.session_id).payload(m.payload).done(); },
          [](const EndSession &m) { return end_session_json(m); },
          [](const Error &m) { return Writer("error").str("details", m.details).done(); },
      },
      msg);
}

namespace {
const char *const kClientTypes[] = {"setProtocolVersion", "setPeerStatus", "startSession", "peer",
                                    "endSession",         "list",          "listConsumers"};
const char *const kServerTypes[] = {"welcome",        "peerStatusChanged", "list", "listConsumers", "sessionStarted",
                                    "startSession",   "peer",              "endSession", "error"};
}  // namespace

const char *type_name(const ClientMessage &msg) {
  if (auto *e = std::get_if<EndSession>(&msg); e && e->v1_1) return "endSessionV1_1";
  return kClientTypes[msg.index()];
}
const char *type_name(const ServerMessage &msg) {
  if (auto *e = std::get_if<EndSession>(&msg); e && e->v1_1) return "endSessionV1_1";
  return kServerTypes[msg.index()];
}

}  // namespace webrtclive::protocol
