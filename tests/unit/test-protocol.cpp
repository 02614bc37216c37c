// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The JSON form of every signalling message (docs: signalling-protocol.md),
// against golden texts in both directions, and the errors malformed input
// gets.
#include <glib.h>

#include <string>
#include <vector>

#include "protocol.h"
#include "unit-helpers.h"

using namespace webrtclive::protocol;

namespace {

const char *const kOffer = "v=0\r\no=- 1 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n";
const char *const kAnswer = "v=0\r\no=- 2 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n";
const char *const kCandidate = "candidate:1 1 UDP 2122252543 192.168.1.2 51234 typ host";

// Same canonical form the parser keeps meta in, so typed structs compare.
Meta M(const std::string &json) { return *Meta::parse(json); }

using unit::js;

struct ClientGolden {
  const char *what;
  std::string json;
  ClientMessage msg;
};

std::vector<ClientGolden> client_goldens() {
  return {
      {"setProtocolVersion v1_1", R"({"type":"setProtocolVersion","version":"v1_1"})", SetProtocolVersion{"v1_1"}},
      {"setProtocolVersion v1_0", R"({"type":"setProtocolVersion","version":"v1_0"})", SetProtocolVersion{"v1_0"}},
      {"setPeerStatus roles+meta object",
       R"({"type":"setPeerStatus","roles":["producer","listener"],"meta":{"name":"cam 1","room":{"floor":2,"tags":["a","b"]}}})",
       SetPeerStatus{{Role::Producer, Role::Listener}, M(R"({"name":"cam 1","room":{"floor":2,"tags":["a","b"]}})")}},
      {"setPeerStatus meta null", R"({"type":"setPeerStatus","roles":["listener"],"meta":null})",
       SetPeerStatus{{Role::Listener}, Meta{}}},
      {"setPeerStatus consumer", R"({"type":"setPeerStatus","roles":["consumer"],"meta":null})",
       SetPeerStatus{{Role::Consumer}, Meta{}}},
      {"setPeerStatus roles []", R"({"type":"setPeerStatus","roles":[],"meta":null})", SetPeerStatus{{}, Meta{}}},
      {"startSession without offer", R"({"type":"startSession","peerId":"7f6b1c2e-producer"})",
       StartSessionRequest{"7f6b1c2e-producer", std::nullopt}},
      {"startSession with offer", std::string(R"({"type":"startSession","peerId":"P","offer":)") + js(kOffer) + "}",
       StartSessionRequest{"P", std::string(kOffer)}},
      {"peer sdp offer",
       std::string(R"({"type":"peer","sessionId":"S1","sdp":{"type":"offer","sdp":)") + js(kOffer) + "}}",
       Peer{"S1", Sdp{"offer", kOffer}}},
      {"peer sdp answer",
       std::string(R"({"type":"peer","sessionId":"S1","sdp":{"type":"answer","sdp":)") + js(kAnswer) + "}}",
       Peer{"S1", Sdp{"answer", kAnswer}}},
      {"peer ice", std::string(R"({"type":"peer","sessionId":"S1","ice":{"candidate":)") + js(kCandidate) +
                       R"(,"sdpMLineIndex":1}})",
       Peer{"S1", Ice{kCandidate, 1}}},
      {"endSession", R"({"type":"endSession","sessionId":"S1"})", EndSession{"S1", false, std::nullopt}},
      {"endSessionV1_1 with error", R"({"type":"endSessionV1_1","sessionId":"S1","error":"camera unplugged"})",
       EndSession{"S1", true, std::string("camera unplugged")}},
      {"endSessionV1_1 error null", R"({"type":"endSessionV1_1","sessionId":"S1","error":null})",
       EndSession{"S1", true, std::nullopt}},
      {"list", R"({"type":"list"})", List{}},
      {"listConsumers", R"({"type":"listConsumers"})", ListConsumers{}},
  };
}

struct ServerGolden {
  const char *what;
  std::string json;
  ServerMessage msg;
};

std::vector<ServerGolden> server_goldens() {
  return {
      {"welcome", R"({"type":"welcome","peerId":"0f8fad5b-d9cb-469f-a165-70867728950e"})",
       Welcome{"0f8fad5b-d9cb-469f-a165-70867728950e"}},
      {"peerStatusChanged producer",
       R"({"type":"peerStatusChanged","peerId":"P","roles":["producer"],"meta":{"name":"cam"}})",
       PeerStatusChanged{"P", {Role::Producer}, M(R"({"name":"cam"})")}},
      {"peerStatusChanged listener+producer meta null",
       R"({"type":"peerStatusChanged","peerId":"B","roles":["listener","producer"],"meta":null})",
       PeerStatusChanged{"B", {Role::Listener, Role::Producer}, Meta{}}},
      {"peerStatusChanged gone", R"({"type":"peerStatusChanged","peerId":"P","roles":[],"meta":{"name":"cam"}})",
       PeerStatusChanged{"P", {}, M(R"({"name":"cam"})")}},
      {"list with producers",
       R"({"type":"list","producers":[{"id":"P1","meta":{"name":"cam","n":1}},{"id":"P2","meta":null}]})",
       ListReply{{PeerInfo{"P1", M(R"({"name":"cam","n":1})")}, PeerInfo{"P2", Meta{}}}}},
      {"list empty", R"({"type":"list","producers":[]})", ListReply{}},
      {"listConsumers", R"({"type":"listConsumers","consumers":[{"id":"C1","meta":{"name":"viewer"}}]})",
       ListConsumersReply{{PeerInfo{"C1", M(R"({"name":"viewer"})")}}}},
      {"sessionStarted", R"({"type":"sessionStarted","peerId":"P","sessionId":"S1"})", SessionStarted{"P", "S1"}},
      {"startSession offer null", R"({"type":"startSession","peerId":"C","sessionId":"S1","offer":null})",
       StartSession{"C", "S1", std::nullopt}},
      {"startSession with offer",
       std::string(R"({"type":"startSession","peerId":"C","sessionId":"S1","offer":)") + js(kOffer) + "}",
       StartSession{"C", "S1", std::string(kOffer)}},
      {"peer sdp", std::string(R"({"type":"peer","sessionId":"S1","sdp":{"type":"offer","sdp":)") + js(kOffer) + "}}",
       Peer{"S1", Sdp{"offer", kOffer}}},
      {"peer ice", std::string(R"({"type":"peer","sessionId":"S1","ice":{"candidate":)") + js(kCandidate) +
                       R"(,"sdpMLineIndex":0}})",
       Peer{"S1", Ice{kCandidate, 0}}},
      {"endSession", R"({"type":"endSession","sessionId":"S1"})", EndSession{"S1", false, std::nullopt}},
      {"endSessionV1_1", R"({"type":"endSessionV1_1","sessionId":"S1","error":"peer disconnected"})",
       EndSession{"S1", true, std::string("peer disconnected")}},
      {"endSessionV1_1 error null", R"({"type":"endSessionV1_1","sessionId":"S1","error":null})",
       EndSession{"S1", true, std::nullopt}},
      {"error", R"({"type":"error","details":"no session 'S9'"})", Error{"no session 'S9'"}},
  };
}

void check_client_parse(const std::string &json, const ClientMessage &expected, const char *what) {
  g_test_message("client message: %s", what);
  auto parsed = parse_client(json);
  if (!parsed) unit::fail(__FILE__, __LINE__, G_STRFUNC, std::string(what) + ": refused: " + parsed.error);
  g_assert_true(parsed.error.empty());
  if (!(*parsed.message == expected))
    unit::fail(__FILE__, __LINE__, G_STRFUNC,
               std::string(what) + ": parsed as " + to_json(*parsed.message) + ", expected " + to_json(expected));
}

// ---- client to server --------------------------------------------------------

void test_client_parse_goldens() {
  for (const auto &g : client_goldens()) check_client_parse(g.json, g.msg, g.what);
}

void test_client_to_json_goldens() {
  for (const auto &g : client_goldens()) {
    g_test_message("client message: %s", g.what);
    UNIT_ASSERT_JSON_SAME(to_json(g.msg), g.json);
  }
}

void test_client_round_trip() {
  for (const auto &g : client_goldens()) {
    g_test_message("client message: %s", g.what);
    std::string text = to_json(g.msg);
    auto back = parse_client(text);
    if (!back) unit::fail(__FILE__, __LINE__, G_STRFUNC, std::string(g.what) + ": " + text + ": " + back.error);
    g_assert_true(*back.message == g.msg);
  }
}

void test_client_meta_relayed_exactly() {
  // Whatever JSON a peer puts in meta is kept as that value.
  auto p = parse_client(R"({"type":"setPeerStatus","roles":["producer"],
                            "meta":{"name":"ünïcode \"q\"","nested":{"x":[1,2.5,true,null]}}})");
  g_assert_true(p);
  const auto &s = std::get<SetPeerStatus>(*p.message);
  UNIT_ASSERT_JSON_SAME(s.meta.to_json(), R"({"nested":{"x":[1,2.5,true,null]},"name":"ünïcode \"q\""})");
}

void test_client_optional_fields() {
  // meta may be left out (same as null).
  check_client_parse(R"({"type":"setPeerStatus","roles":["listener"]})", SetPeerStatus{{Role::Listener}, Meta{}},
                     "setPeerStatus without meta");
  // offer: null is the same as no offer.
  check_client_parse(R"({"type":"startSession","peerId":"P","offer":null})", StartSessionRequest{"P", std::nullopt},
                     "startSession offer null");
  // endSessionV1_1 without error field.
  check_client_parse(R"({"type":"endSessionV1_1","sessionId":"S"})", EndSession{"S", true, std::nullopt},
                     "endSessionV1_1 without error");
  // A client-chosen peerId in setPeerStatus is accepted (and ignored).
  check_client_parse(R"({"type":"setPeerStatus","roles":["producer"],"meta":null,"peerId":"mine"})",
                     SetPeerStatus{{Role::Producer}, Meta{}}, "setPeerStatus with peerId");
  // Unknown members anywhere are ignored.
  check_client_parse(R"({"type":"list","extra":42})", List{}, "list with extra member");
}

void test_client_ice_extra_fields_ignored() {
  std::string json = std::string(R"({"type":"peer","sessionId":"S1","ice":{"candidate":)") + js(kCandidate) +
                     R"(,"sdpMLineIndex":2,"sdpMid":"video0","usernameFragment":"Fa1b"}})";
  check_client_parse(json, Peer{"S1", Ice{kCandidate, 2}}, "ice with sdpMid and usernameFragment");
  // As sent by a browser: sdpMid null.
  json = std::string(R"({"type":"peer","sessionId":"S1","ice":{"candidate":)") + js(kCandidate) +
         R"(,"sdpMid":null,"sdpMLineIndex":0,"usernameFragment":null}})";
  check_client_parse(json, Peer{"S1", Ice{kCandidate, 0}}, "ice with null sdpMid and usernameFragment");
  // What we relay carries only what the protocol defines.
  UNIT_ASSERT_JSON_SAME(to_json(ClientMessage{Peer{"S1", Ice{kCandidate, 2}}}),
                        std::string(R"({"type":"peer","sessionId":"S1","ice":{"candidate":)") + js(kCandidate) +
                            R"(,"sdpMLineIndex":2}})");
}

void test_client_keys_are_camel_case() {
  std::string s = to_json(ClientMessage{StartSessionRequest{"P", std::string("o")}});
  UNIT_ASSERT_STR_EQ(unit::json_member(s, "peerId"), "\"P\"");
  s = to_json(ClientMessage{Peer{"S", Ice{"c", 3}}});
  UNIT_ASSERT_STR_EQ(unit::json_member(s, "sessionId"), "\"S\"");
  UNIT_ASSERT_JSON_SAME(unit::json_member(s, "ice"), R"({"candidate":"c","sdpMLineIndex":3})");
  // endSession (v1.0) carries no error member at all.
  s = to_json(ClientMessage{EndSession{"S", false, std::string("ignored")}});
  UNIT_ASSERT_JSON_SAME(s, R"({"type":"endSession","sessionId":"S"})");
}

// ---- malformed input ---------------------------------------------------------

struct Bad {
  std::string json;
  std::vector<std::string> error_mentions;
};

void check_bad(const Bad &b) {
  g_test_message("malformed: %s", b.json.c_str());
  auto parsed = parse_client(b.json);
  if (parsed)
    unit::fail(__FILE__, __LINE__, G_STRFUNC,
               "accepted malformed input " + b.json + " as " + to_json(*parsed.message));
  g_assert_false(parsed.message.has_value());
  if (parsed.error.empty()) unit::fail(__FILE__, __LINE__, G_STRFUNC, "no error text for " + b.json);
  for (const auto &m : b.error_mentions) UNIT_ASSERT_CONTAINS(parsed.error, m);
}

void test_malformed_not_an_object() {
  check_bad({"this is not json", {"invalid JSON"}});
  check_bad({R"({"type":"list")", {"invalid JSON"}});
  check_bad({"", {}});
  check_bad({R"([{"type":"list"}])", {"JSON object"}});
  check_bad({R"("list")", {"JSON object"}});
  check_bad({"null", {"JSON object"}});
  check_bad({"42", {"JSON object"}});
}

void test_malformed_type() {
  check_bad({R"({"peerId":"P"})", {"type"}});
  check_bad({R"({})", {"type"}});
  check_bad({R"({"type":7})", {"type", "string"}});
  check_bad({R"({"type":null})", {"type", "string"}});
  check_bad({R"({"type":["list"]})", {"type", "string"}});
  check_bad({R"({"type":"frobnicate"})", {"unknown message type", "frobnicate"}});
  // Server-to-client types are not client messages.
  check_bad({R"({"type":"welcome","peerId":"P"})", {"unknown message type", "welcome"}});
  // Types are case-sensitive.
  check_bad({R"({"type":"List"})", {"unknown message type", "List"}});
}

void test_malformed_missing_fields() {
  check_bad({R"({"type":"setProtocolVersion"})", {"version"}});
  check_bad({R"({"type":"setPeerStatus","meta":null})", {"roles"}});
  check_bad({R"({"type":"startSession"})", {"peerId"}});
  check_bad({R"({"type":"startSession","offer":"v=0"})", {"peerId"}});
  check_bad({R"({"type":"peer","sdp":{"type":"answer","sdp":"v=0"}})", {"sessionId"}});
  check_bad({R"({"type":"peer","sessionId":"S"})", {"sdp", "ice"}});
  check_bad({R"({"type":"peer","sessionId":"S","sdp":{"sdp":"v=0"}})", {"type"}});
  check_bad({R"({"type":"peer","sessionId":"S","sdp":{"type":"answer"}})", {"sdp"}});
  check_bad({R"({"type":"peer","sessionId":"S","ice":{"sdpMLineIndex":0}})", {"candidate"}});
  check_bad({R"({"type":"peer","sessionId":"S","ice":{"candidate":"candidate:1 1 UDP 1 1.2.3.4 5 typ host"}})",
             {"sdpMLineIndex"}});
  check_bad({R"({"type":"endSession"})", {"sessionId"}});
  check_bad({R"({"type":"endSessionV1_1","error":"x"})", {"sessionId"}});
}

void test_malformed_field_types() {
  check_bad({R"({"type":"setPeerStatus","roles":"producer","meta":null})", {"roles", "array"}});
  check_bad({R"({"type":"setPeerStatus","roles":{"producer":true},"meta":null})", {"roles", "array"}});
  check_bad({R"({"type":"setPeerStatus","roles":[1],"meta":null})", {"roles", "string"}});
  check_bad({R"({"type":"setProtocolVersion","version":1.1})", {"version", "string"}});
  check_bad({R"({"type":"startSession","peerId":42})", {"peerId", "string"}});
  check_bad({R"({"type":"startSession","peerId":"P","offer":{"sdp":"v=0"}})", {"offer", "string"}});
  check_bad({R"({"type":"peer","sessionId":1,"ice":{"candidate":"c","sdpMLineIndex":0}})", {"sessionId", "string"}});
  check_bad({R"({"type":"peer","sessionId":"S","ice":{"candidate":"c","sdpMLineIndex":"0"}})", {"sdpMLineIndex"}});
  check_bad({R"({"type":"peer","sessionId":"S","ice":{"candidate":"c","sdpMLineIndex":-1}})", {"sdpMLineIndex"}});
  check_bad({R"({"type":"peer","sessionId":"S","ice":{"candidate":"c","sdpMLineIndex":0.5}})", {"sdpMLineIndex"}});
  check_bad({R"({"type":"peer","sessionId":"S","ice":{"candidate":null,"sdpMLineIndex":0}})", {"candidate"}});
  check_bad({R"({"type":"peer","sessionId":"S","ice":"candidate:1"})", {"ice", "object"}});
  check_bad({R"({"type":"peer","sessionId":"S","sdp":"v=0"})", {"sdp", "object"}});
  check_bad({R"({"type":"endSessionV1_1","sessionId":"S","error":5})", {"error", "string"}});
}

void test_malformed_values() {
  check_bad({R"({"type":"setPeerStatus","roles":["admin"],"meta":null})", {"unknown role", "admin"}});
  check_bad({R"({"type":"setPeerStatus","roles":["producer","Producer"],"meta":null})", {"unknown role", "Producer"}});
  check_bad({R"({"type":"peer","sessionId":"S","sdp":{"type":"pranswer","sdp":"v=0"}})",
             {"offer", "answer", "pranswer"}});
  check_bad({R"({"type":"peer","sessionId":"S","sdp":{"type":"rollback","sdp":""}})", {"rollback"}});
}

// ---- server to client --------------------------------------------------------

void test_server_to_json_goldens() {
  for (const auto &g : server_goldens()) {
    g_test_message("server message: %s", g.what);
    UNIT_ASSERT_JSON_SAME(to_json(g.msg), g.json);
  }
}

void test_server_parse_goldens() {
  for (const auto &g : server_goldens()) {
    g_test_message("server message: %s", g.what);
    auto parsed = parse_server(g.json);
    if (!parsed) unit::fail(__FILE__, __LINE__, G_STRFUNC, std::string(g.what) + ": " + parsed.error);
    if (!(*parsed.message == g.msg))
      unit::fail(__FILE__, __LINE__, G_STRFUNC,
                 std::string(g.what) + ": parsed as " + to_json(*parsed.message) + ", expected " + g.json);
  }
}

void test_server_round_trip() {
  for (const auto &g : server_goldens()) {
    g_test_message("server message: %s", g.what);
    std::string text = to_json(g.msg);
    auto back = parse_server(text);
    if (!back) unit::fail(__FILE__, __LINE__, G_STRFUNC, std::string(g.what) + ": " + text + ": " + back.error);
    g_assert_true(*back.message == g.msg);
  }
}

void test_server_wire_details() {
  // startSession always carries offer, null when there is none.
  std::string s = to_json(ServerMessage{StartSession{"C", "S", std::nullopt}});
  UNIT_ASSERT_STR_EQ(unit::json_member(s, "offer"), "null");
  // endSession to a v1.0 peer never has the V1_1 type or an error member.
  s = to_json(ServerMessage{EndSession{"S", false, std::string("why")}});
  UNIT_ASSERT_STR_EQ(unit::json_member(s, "type"), "\"endSession\"");
  UNIT_ASSERT_STR_EQ(unit::json_member(s, "error"), "<absent>");
  // endSessionV1_1 always carries error, null when there is none.
  s = to_json(ServerMessage{EndSession{"S", true, std::nullopt}});
  UNIT_ASSERT_STR_EQ(unit::json_member(s, "type"), "\"endSessionV1_1\"");
  UNIT_ASSERT_STR_EQ(unit::json_member(s, "error"), "null");
  // Meta is relayed as the JSON value, not as a string holding JSON.
  s = to_json(ServerMessage{PeerStatusChanged{"P", {Role::Producer}, M(R"({"name":"cam"})")}});
  UNIT_ASSERT_JSON_SAME(unit::json_member(s, "meta"), R"({"name":"cam"})");
  // Strings with quotes, backslashes and control characters survive.
  std::string tricky = "line1\r\nline2 \"quoted\" back\\slash \t tab";
  s = to_json(ServerMessage{Error{tricky}});
  auto back = parse_server(s);
  g_assert_true(back);
  UNIT_ASSERT_STR_EQ(std::get<Error>(*back.message).details, tricky);
}

void test_server_parse_malformed() {
  auto p = parse_server("{]");
  g_assert_false(p);
  UNIT_ASSERT_CONTAINS(p.error, "invalid JSON");
  p = parse_server(R"({"type":"sessionStarted","peerId":"P"})");
  g_assert_false(p);
  UNIT_ASSERT_CONTAINS(p.error, "sessionId");
  p = parse_server(R"({"type":"list","producers":[{"meta":null}]})");
  g_assert_false(p);
  UNIT_ASSERT_CONTAINS(p.error, "id");
  p = parse_server(R"({"type":"setPeerStatus","roles":[]})");
  g_assert_false(p);
  UNIT_ASSERT_CONTAINS(p.error, "unknown message type");
}

void test_role_helpers() {
  g_assert_cmpstr(role_name(Role::Producer), ==, "producer");
  g_assert_cmpstr(role_name(Role::Consumer), ==, "consumer");
  g_assert_cmpstr(role_name(Role::Listener), ==, "listener");
  std::vector<Role> roles{Role::Listener, Role::Producer};
  g_assert_true(has_role(roles, Role::Producer));
  g_assert_false(has_role(roles, Role::Consumer));
  // Repeated roles collapse into one.
  auto p = parse_client(R"({"type":"setPeerStatus","roles":["listener","listener"],"meta":null})");
  g_assert_true(p);
  g_assert_cmpuint(std::get<SetPeerStatus>(*p.message).roles.size(), ==, 1);
  // Meta::from_name makes {"name": ...}.
  UNIT_ASSERT_JSON_SAME(Meta::from_name("my \"cam\"").to_json(), R"({"name":"my \"cam\""})");
}

void test_meta_is_a_value() {
  // A typed value, not text: the name is read when it arrives, equality is
  // JSON equality (member order aside), and text from outside is checked.
  Meta m = *Meta::parse(R"({"fps":30,"name":"cam"})");
  UNIT_ASSERT_STR_EQ(m.name(), "cam");
  g_assert_true(m == *Meta::parse(R"({"name":"cam","fps":30})"));
  g_assert_false(m == Meta::from_name("cam"));
  g_assert_true(Meta{}.is_null());
  g_assert_true(*Meta::parse("null") == Meta{});
  UNIT_ASSERT_STR_EQ(Meta{}.to_json(), "null");
  UNIT_ASSERT_STR_EQ(Meta::parse(R"({"name":7})")->name(), "");
  UNIT_ASSERT_STR_EQ(Meta::parse(R"(["name"])")->name(), "");
  g_assert_false(Meta::parse("{\"name\":"));
  g_assert_false(Meta::parse(std::string(40, '[') + std::string(40, ']')));  // deeper than the protocol allows
}

}  // namespace

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, nullptr);
  g_test_add_func("/protocol/client/parse-goldens", test_client_parse_goldens);
  g_test_add_func("/protocol/client/to-json-goldens", test_client_to_json_goldens);
  g_test_add_func("/protocol/client/round-trip", test_client_round_trip);
  g_test_add_func("/protocol/client/meta-relayed-exactly", test_client_meta_relayed_exactly);
  g_test_add_func("/protocol/client/optional-fields", test_client_optional_fields);
  g_test_add_func("/protocol/client/ice-extra-fields-ignored", test_client_ice_extra_fields_ignored);
  g_test_add_func("/protocol/client/keys-are-camel-case", test_client_keys_are_camel_case);
  g_test_add_func("/protocol/malformed/not-an-object", test_malformed_not_an_object);
  g_test_add_func("/protocol/malformed/type", test_malformed_type);
  g_test_add_func("/protocol/malformed/missing-fields", test_malformed_missing_fields);
  g_test_add_func("/protocol/malformed/field-types", test_malformed_field_types);
  g_test_add_func("/protocol/malformed/values", test_malformed_values);
  g_test_add_func("/protocol/server/to-json-goldens", test_server_to_json_goldens);
  g_test_add_func("/protocol/server/parse-goldens", test_server_parse_goldens);
  g_test_add_func("/protocol/server/round-trip", test_server_round_trip);
  g_test_add_func("/protocol/server/wire-details", test_server_wire_details);
  g_test_add_func("/protocol/server/parse-malformed", test_server_parse_malformed);
  g_test_add_func("/protocol/role-helpers", test_role_helpers);
  g_test_add_func("/protocol/meta-is-a-value", test_meta_is_a_value);
  return g_test_run();
}
