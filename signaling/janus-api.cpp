// SPDX-License-Identifier: LGPL-2.1-or-later
#include "janus-api.h"

#include <glib.h>
#include <json-glib/json-glib.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <memory>
#include <tuple>

namespace webrtclive::janus {

namespace {

constexpr size_t kMaxRoomChars = 64;
constexpr size_t kMaxWordsChars = 200;
constexpr uint64_t kMaxSafeInteger = 9007199254740991ull;  // 2^53 - 1: JSON numbers stay exact

std::string sanitized(const char *text) {
  std::string out;
  for (const unsigned char *p = reinterpret_cast<const unsigned char *>(text ? text : ""); *p; p++) {
    if (out.size() >= kMaxWordsChars) {
      out += "...";
      break;
    }
    out += (*p >= 0x20 && *p < 0x7f) ? char(*p) : ' ';
  }
  return out;
}

bool one_line(const std::string &s, size_t max) {
  return s.size() <= max &&
         std::none_of(s.begin(), s.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; });
}

std::vector<std::string> split_names(const std::string &list) {
  std::vector<std::string> out;
  gchar **parts = g_strsplit(list.c_str(), ",", 16);
  for (gchar **p = parts; p && *p; p++) {
    gchar *name = g_ascii_strdown(g_strstrip(*p), -1);
    if (*name) out.emplace_back(name);
    g_free(name);
  }
  g_strfreev(parts);
  return out;
}

// A request: {"janus": verb, "transaction": tx, ["apisecret"], ["session_id"], ["handle_id"], ...more}.
std::string request(const Target &t, const char *verb, const std::string &tx, uint64_t session, uint64_t handle,
                    const std::function<void(JsonBuilder *)> &more = {}) {
  JsonBuilder *b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "janus");
  json_builder_add_string_value(b, verb);
  json_builder_set_member_name(b, "transaction");
  json_builder_add_string_value(b, tx.c_str());
  if (!t.apisecret.empty()) {
    json_builder_set_member_name(b, "apisecret");
    json_builder_add_string_value(b, t.apisecret.c_str());
  }
  if (session) {
    json_builder_set_member_name(b, "session_id");
    json_builder_add_int_value(b, gint64(session));
  }
  if (handle) {
    json_builder_set_member_name(b, "handle_id");
    json_builder_add_int_value(b, gint64(handle));
  }
  if (more) more(b);
  json_builder_end_object(b);
  JsonNode *root = json_builder_get_root(b);
  gchar *text = json_to_string(root, FALSE);
  std::string out(text);
  g_free(text);
  json_node_unref(root);
  g_object_unref(b);
  return out;
}

void add_room(JsonBuilder *b, const Target &t) {
  json_builder_set_member_name(b, "room");
  if (t.room_is_number)
    json_builder_add_int_value(b, gint64(g_ascii_strtoull(t.room.c_str(), nullptr, 10)));
  else
    json_builder_add_string_value(b, t.room.c_str());
}

void add_string(JsonBuilder *b, const char *name, const std::string &value) {
  json_builder_set_member_name(b, name);
  json_builder_add_string_value(b, value.c_str());
}

// An unsigned id member (Janus's ids are positive integers below 2^53).
uint64_t id_member(JsonObject *o, const char *name) {
  if (!o || !json_object_has_member(o, name)) return 0;
  JsonNode *n = json_object_get_member(o, name);
  if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64) return 0;
  gint64 v = json_node_get_int(n);
  return v > 0 && uint64_t(v) <= kMaxSafeInteger ? uint64_t(v) : 0;
}

const char *string_member(JsonObject *o, const char *name) {
  if (!o || !json_object_has_member(o, name)) return nullptr;
  JsonNode *n = json_object_get_member(o, name);
  if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING) return nullptr;
  return json_node_get_string(n);
}

JsonObject *object_member(JsonObject *o, const char *name) {
  if (!o || !json_object_has_member(o, name)) return nullptr;
  JsonNode *n = json_object_get_member(o, name);
  return JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : nullptr;
}

// An id member: a positive integer below 2^53, or a short printable string
// (string_ids). Anything else (Janus's "ok" for our own request included)
// reads as none.
Id id_of(JsonObject *o, const char *name) {
  if (!o || !json_object_has_member(o, name)) return {};
  JsonNode *n = json_object_get_member(o, name);
  if (!JSON_NODE_HOLDS_VALUE(n)) return {};
  if (json_node_get_value_type(n) == G_TYPE_INT64) {
    gint64 v = json_node_get_int(n);
    if (v <= 0 || uint64_t(v) > kMaxSafeInteger) return {};
    return Id{std::to_string(v), true};
  }
  if (json_node_get_value_type(n) != G_TYPE_STRING) return {};
  std::string text = json_node_get_string(n);
  if (text.empty() || text.size() > kMaxIdChars || text == "ok" ||
      !std::all_of(text.begin(), text.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f; }))
    return {};
  return Id{text, false};
}

// Someone's display name: valid UTF-8, control characters made spaces,
// at most kMaxDisplayChars bytes.
std::string display_of(const char *text) {
  if (!text) return {};
  gchar *valid = g_utf8_make_valid(text, -1);
  std::string out = valid;
  g_free(valid);
  for (char &c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  return display_name(std::move(out));
}

bool bool_member(JsonObject *o, const char *name) {
  if (!o || !json_object_has_member(o, name)) return false;
  JsonNode *n = json_object_get_member(o, name);
  return JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_BOOLEAN && json_node_get_boolean(n);
}

void read_publishers(JsonObject *data, Message &m) {
  if (!data || !json_object_has_member(data, "publishers")) return;
  JsonNode *n = json_object_get_member(data, "publishers");
  if (!JSON_NODE_HOLDS_ARRAY(n)) return;
  JsonArray *list = json_node_get_array(n);
  for (guint i = 0; i < json_array_get_length(list); i++) {
    JsonNode *e = json_array_get_element(list, i);
    JsonObject *p = JSON_NODE_HOLDS_OBJECT(e) ? json_node_get_object(e) : nullptr;
    Id id = id_of(p, "id");
    if (id.empty() || m.publishers.size() >= kMaxPublishers) {
      m.publishers_dropped++;
      continue;
    }
    if (bool_member(p, "dummy")) continue;  // a placeholder without media
    m.publishers.push_back(Publisher{std::move(id), display_of(string_member(p, "display"))});
  }
}

std::optional<Candidate> read_candidate(JsonObject *c) {
  if (!c) return std::nullopt;
  Candidate out;
  if (bool_member(c, "completed")) {
    out.completed = true;
    return out;
  }
  const char *text = string_member(c, "candidate");
  if (!text || strlen(text) > kMaxCandidateChars) return std::nullopt;
  out.candidate = text;
  if (json_object_has_member(c, "sdpMLineIndex")) {
    JsonNode *n = json_object_get_member(c, "sdpMLineIndex");
    if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64 && json_node_get_int(n) >= 0 &&
        json_node_get_int(n) < 256)
      out.mline = int(json_node_get_int(n));
  }
  if (const char *mid = string_member(c, "sdpMid"); mid && one_line(mid, 64)) out.mid = mid;
  if (out.mline < 0 && out.mid.empty()) return std::nullopt;
  return out;
}

int int_member(JsonObject *o, const char *name) {
  if (!o || !json_object_has_member(o, name)) return 0;
  JsonNode *n = json_object_get_member(o, name);
  if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64) return 0;
  gint64 v = json_node_get_int(n);
  return v > 0 && v < 100000 ? int(v) : 0;
}

}  // namespace

std::string display_name(std::string name) {
  if (name.size() > kMaxDisplayChars) {
    name.resize(kMaxDisplayChars);
    while (!name.empty() && !g_utf8_validate(name.c_str(), name.size(), nullptr)) name.pop_back();
  }
  return name;
}

bool is_janus_url(const std::string &url) {
  return g_ascii_strncasecmp(url.c_str(), "janus://", 8) == 0 || g_ascii_strncasecmp(url.c_str(), "januss://", 9) == 0;
}

std::optional<Target> parse_url(const std::string &url, std::string *error) {
  const bool tls = g_ascii_strncasecmp(url.c_str(), "januss://", 9) == 0;
  if (!is_janus_url(url)) {
    *error = "a Janus URL starts with janus:// (WebSocket) or januss:// (secure WebSocket)";
    return std::nullopt;
  }
  GError *err = nullptr;
  GUri *uri = g_uri_parse(url.c_str(), G_URI_FLAGS_ENCODED_QUERY, &err);
  if (!uri) {
    *error = std::string("not a valid URL: ") + (err ? err->message : "?");
    if (err) g_error_free(err);
    return std::nullopt;
  }
  std::unique_ptr<GUri, decltype(&g_uri_unref)> hold(uri, g_uri_unref);
  const char *host = g_uri_get_host(uri);
  if (!host || !*host) {
    *error = "the Janus URL has no host";
    return std::nullopt;
  }
  if (g_uri_get_userinfo(uri)) {
    *error = "the Janus URL must not carry user:password@ (use apisecret= or token=)";
    return std::nullopt;
  }
  Target t;
  GUri *ws = g_uri_build(G_URI_FLAGS_NONE, tls ? "wss" : "ws", nullptr, host, g_uri_get_port(uri),
                         *g_uri_get_path(uri) ? g_uri_get_path(uri) : "/", nullptr, nullptr);
  gchar *ws_text = g_uri_to_string(ws);
  t.ws_url = ws_text;
  g_free(ws_text);
  g_uri_unref(ws);

  const char *query = g_uri_get_query(uri);
  GHashTable *params = query ? g_uri_parse_params(query, -1, "&", G_URI_PARAMS_NONE, &err) : nullptr;
  if (query && !params) {
    *error = std::string("the Janus URL's query cannot be read: ") + (err ? err->message : "?");
    if (err) g_error_free(err);
    return std::nullopt;
  }
  auto param = [params](const char *name) -> std::optional<std::string> {
    const char *v = params ? static_cast<const char *>(g_hash_table_lookup(params, name)) : nullptr;
    return v ? std::optional<std::string>(v) : std::nullopt;
  };
  auto room = param("room");
  auto display = param("display");
  auto pin = param("pin");
  auto token = param("token");
  auto apisecret = param("apisecret");
  auto vcodec = param("videocodec");
  auto acodec = param("audiocodec");
  auto feed = param("feed");
  if (params) g_hash_table_unref(params);

  if (!room || room->empty()) {
    *error = "the Janus URL names no room: add ?room=ROOM (e.g. janus://host:8188/?room=1234)";
    return std::nullopt;
  }
  if (!one_line(*room, kMaxRoomChars)) {
    *error = "the room must be one line of at most " + std::to_string(kMaxRoomChars) + " characters";
    return std::nullopt;
  }
  t.room = *room;
  t.room_is_number = std::all_of(room->begin(), room->end(), [](unsigned char c) { return g_ascii_isdigit(c); });
  if (t.room_is_number && (room->size() > 16 || g_ascii_strtoull(room->c_str(), nullptr, 10) > kMaxSafeInteger ||
                           g_ascii_strtoull(room->c_str(), nullptr, 10) == 0)) {
    *error = "the room number must be between 1 and 2^53-1";
    return std::nullopt;
  }
  for (auto [name, value, slot] : {std::tuple{"display", &display, &t.display}, std::tuple{"feed", &feed, &t.feed}}) {
    if (!*value) continue;
    if (!one_line(**value, kMaxDisplayChars) || !g_utf8_validate((*value)->c_str(), (*value)->size(), nullptr)) {
      *error = std::string(name) + " must be one line of UTF-8, at most " + std::to_string(kMaxDisplayChars) + " bytes";
      return std::nullopt;
    }
    *slot = **value;
  }
  for (auto [name, value, slot] : {std::tuple{"pin", &pin, &t.pin}, std::tuple{"token", &token, &t.token},
                                   std::tuple{"apisecret", &apisecret, &t.apisecret}}) {
    if (!*value) continue;
    if (!one_line(**value, kMaxSecretChars)) {
      *error = std::string(name) + " must be one line of at most " + std::to_string(kMaxSecretChars) + " characters";
      return std::nullopt;
    }
    *slot = **value;
  }
  if (vcodec) t.video_codecs = split_names(*vcodec);
  if (acodec) t.audio_codecs = split_names(*acodec);
  return t;
}

std::string create_request(const Target &t, const std::string &tx) { return request(t, "create", tx, 0, 0); }

std::string attach_request(const Target &t, const std::string &tx, uint64_t session, const char *plugin) {
  return request(t, "attach", tx, session, 0, [plugin](JsonBuilder *b) { add_string(b, "plugin", plugin); });
}

namespace {

// A VideoRoom join: {"body": {"request": "join", "ptype": ptype, "room",
// [pin], [token], ...more}}.
std::string join_request(const Target &t, const std::string &tx, uint64_t session, uint64_t handle,
                         const char *ptype, const std::function<void(JsonBuilder *)> &more) {
  return request(t, "message", tx, session, handle, [&](JsonBuilder *b) {
    json_builder_set_member_name(b, "body");
    json_builder_begin_object(b);
    add_string(b, "request", "join");
    add_string(b, "ptype", ptype);
    add_room(b, t);
    if (!t.pin.empty()) add_string(b, "pin", t.pin);
    if (!t.token.empty()) add_string(b, "token", t.token);
    more(b);
    json_builder_end_object(b);
  });
}

// A plugin message {"body": {"request": verb}, "jsep": sdp}.
std::string message_with_jsep(const Target &t, const char *verb, const std::string &tx, uint64_t session,
                              uint64_t handle, const protocol::Sdp &sdp) {
  return request(t, "message", tx, session, handle, [&](JsonBuilder *b) {
    json_builder_set_member_name(b, "body");
    json_builder_begin_object(b);
    add_string(b, "request", verb);
    json_builder_end_object(b);
    json_builder_set_member_name(b, "jsep");
    json_builder_begin_object(b);
    add_string(b, "type", sdp.type);
    add_string(b, "sdp", sdp.sdp);
    json_builder_end_object(b);
  });
}

}  // namespace

std::string join_publisher_request(const Target &t, const std::string &tx, uint64_t session, uint64_t handle,
                                   const std::string &display) {
  return join_request(t, tx, session, handle, "publisher", [&](JsonBuilder *b) {
    if (!display.empty()) add_string(b, "display", display);
  });
}

std::string publish_request(const Target &t, const std::string &tx, uint64_t session, uint64_t handle,
                            const protocol::Sdp &offer) {
  return message_with_jsep(t, "publish", tx, session, handle, offer);
}

std::string join_subscriber_request(const Target &t, const std::string &tx, uint64_t session, uint64_t handle,
                                    const Id &feed, uint64_t private_id) {
  return join_request(t, tx, session, handle, "subscriber", [&](JsonBuilder *b) {
    json_builder_set_member_name(b, "streams");
    json_builder_begin_array(b);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "feed");
    if (feed.number)
      json_builder_add_int_value(b, gint64(g_ascii_strtoull(feed.text.c_str(), nullptr, 10)));
    else
      json_builder_add_string_value(b, feed.text.c_str());
    json_builder_end_object(b);
    json_builder_end_array(b);
    json_builder_set_member_name(b, "autoupdate");
    json_builder_add_boolean_value(b, FALSE);
    if (private_id) {
      json_builder_set_member_name(b, "private_id");
      json_builder_add_int_value(b, gint64(private_id));
    }
  });
}

std::string start_request(const Target &t, const std::string &tx, uint64_t session, uint64_t handle,
                          const protocol::Sdp &answer) {
  return message_with_jsep(t, "start", tx, session, handle, answer);
}

std::string detach_request(const Target &t, const std::string &tx, uint64_t session, uint64_t handle) {
  return request(t, "detach", tx, session, handle);
}

std::string trickle_request(const Target &t, const std::string &tx, uint64_t session, uint64_t handle,
                            const protocol::Ice *ice, const std::string &mid) {
  return request(t, "trickle", tx, session, handle, [&](JsonBuilder *b) {
    json_builder_set_member_name(b, "candidate");
    json_builder_begin_object(b);
    if (!ice) {
      json_builder_set_member_name(b, "completed");
      json_builder_add_boolean_value(b, TRUE);
    } else {
      add_string(b, "candidate", ice->candidate);
      json_builder_set_member_name(b, "sdpMLineIndex");
      json_builder_add_int_value(b, ice->sdp_mline_index);
      if (!mid.empty()) add_string(b, "sdpMid", mid);
    }
    json_builder_end_object(b);
  });
}

std::string keepalive_request(const Target &t, const std::string &tx, uint64_t session) {
  return request(t, "keepalive", tx, session, 0);
}

std::string leave_request(const Target &t, const std::string &tx, uint64_t session, uint64_t handle) {
  return request(t, "message", tx, session, handle, [](JsonBuilder *b) {
    json_builder_set_member_name(b, "body");
    json_builder_begin_object(b);
    add_string(b, "request", "leave");
    json_builder_end_object(b);
  });
}

std::string destroy_request(const Target &t, const std::string &tx, uint64_t session) {
  return request(t, "destroy", tx, session, 0);
}

std::vector<std::string> mids_of(const std::string &sdp) {
  std::vector<std::string> mids;
  size_t pos = 0;
  while (pos < sdp.size()) {
    size_t end = sdp.find('\n', pos);
    if (end == std::string::npos) end = sdp.size();
    std::string line = sdp.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind("m=", 0) == 0)
      mids.emplace_back();
    else if (line.rfind("a=mid:", 0) == 0 && !mids.empty() && mids.back().empty())
      mids.back() = line.substr(6, 64);
    pos = end + 1;
  }
  return mids;
}

std::optional<Message> parse_message(const std::string &text, std::string *error) {
  GError *err = nullptr;
  JsonNode *root = json_from_string(text.c_str(), &err);
  if (!root) {
    *error = std::string("not JSON: ") + (err ? sanitized(err->message) : "empty");
    if (err) g_error_free(err);
    return std::nullopt;
  }
  std::unique_ptr<JsonNode, decltype(&json_node_unref)> hold(root, json_node_unref);
  if (!JSON_NODE_HOLDS_OBJECT(root)) {
    *error = "not a JSON object";
    return std::nullopt;
  }
  JsonObject *o = json_node_get_object(root);
  const char *janus = string_member(o, "janus");
  if (!janus) {
    *error = "no \"janus\" member";
    return std::nullopt;
  }
  Message m;
  m.janus = sanitized(janus);
  if (const char *tx = string_member(o, "transaction")) m.transaction = sanitized(tx);
  m.session_id = id_member(o, "session_id");
  m.sender = id_member(o, "sender");
  m.data_id = id_member(object_member(o, "data"), "id");
  if (JsonObject *e = object_member(o, "error")) {
    m.error_code = int_member(e, "code");
    m.error = sanitized(string_member(e, "reason"));
  }
  if (const char *reason = string_member(o, "reason")) m.reason = sanitized(reason);
  if (JsonObject *pd = object_member(o, "plugindata")) {
    m.plugin_event = true;
    JsonObject *data = object_member(pd, "data");
    if (const char *vr = string_member(data, "videoroom")) m.videoroom = sanitized(vr);
    if (int code = int_member(data, "error_code")) {
      m.error_code = code;
      m.error = sanitized(string_member(data, "error"));
    }
    const char *configured = string_member(data, "configured");
    m.configured = configured && g_strcmp0(configured, "ok") == 0;
    const char *started = string_member(data, "started");
    m.started = started && g_strcmp0(started, "ok") == 0;
    m.id = id_of(data, "id");
    m.private_id = id_member(data, "private_id");
    read_publishers(data, m);
    m.unpublished = id_of(data, "unpublished");
    m.leaving = id_of(data, "leaving");
    if (m.leaving.empty()) m.leaving = id_of(data, "kicked");
  }
  if (m.janus == "trickle") m.candidate = read_candidate(object_member(o, "candidate"));
  if (json_object_has_member(o, "jsep")) {
    JsonObject *jsep = object_member(o, "jsep");
    const char *type = string_member(jsep, "type");
    const char *sdp = string_member(jsep, "sdp");
    if (!type || !sdp || (g_strcmp0(type, "offer") != 0 && g_strcmp0(type, "answer") != 0)) {
      *error = "a jsep that is not {type: offer|answer, sdp}";
      return std::nullopt;
    }
    m.jsep = protocol::Sdp{type, sdp};
  }
  return m;
}

std::string describe_error(int code, const std::string &words, const Target &t) {
  std::string what;
  switch (code) {
    case 428: what = "no such feed in room " + t.room + " (the publisher left, or never published)"; break;
    case 426: what = "no such room " + t.room + " (create it in janus.plugin.videoroom.jcfg or with the API)"; break;
    case 433:
      what = t.pin.empty() && t.token.empty() ? "room " + t.room + " wants a pin or a token: add pin= or token= to the URL"
                                              : "wrong pin or token for room " + t.room;
      break;
    case 432: what = "room " + t.room + " has as many publishers as it allows"; break;
    case 436: what = "that publisher id is taken in room " + t.room; break;
    case 437: what = "Janus refused our offer (invalid SDP)"; break;
    case 403: what = "Janus refused the API secret: set apisecret= in the URL"; break;
    case 458: what = "Janus forgot our session (it timed out or Janus restarted)"; break;
    case 460: case 461: what = "Janus has no VideoRoom plugin (janus.plugin.videoroom)"; break;
    default: what = "Janus refused the request"; break;
  }
  std::string out = what + " (Janus error " + std::to_string(code);
  if (!words.empty()) out += ": " + words;
  return out + ")";
}

}  // namespace webrtclive::janus
