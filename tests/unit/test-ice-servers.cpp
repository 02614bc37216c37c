// SPDX-License-Identifier: LGPL-2.1-or-later
//
// signaling/ice-servers.h: STUN/TURN URLs in both spellings, their limits
// and redaction, TURN REST credentials (coturn's use-auth-secret), the
// servers handed to clients as JSON and as RFC 9725 Link headers.
#include <glib.h>

#include <string>

#include "ice-servers.h"
#include "unit-helpers.h"

using namespace webrtclive;

namespace {

IceUrl parsed(const std::string &text) {
  std::string why;
  auto u = parse_ice_url(text, &why);
  if (!u) g_error("'%s' did not parse: %s", text.c_str(), why.c_str());
  return *u;
}

std::string refused(const std::string &text) {
  std::string why;
  auto u = parse_ice_url(text, &why);
  if (u) g_error("'%s' parsed", text.c_str());
  g_assert_false(why.empty());
  return why;
}

// Known vector: printf '1700000000:alice' | openssl dgst -sha1 -hmac the-secret -binary | base64
void test_rest_credentials() {
  auto c = turn_rest_credentials("the-secret", 1700000000, "alice");
  UNIT_ASSERT_STR_EQ(c.username, "1700000000:alice");
  UNIT_ASSERT_STR_EQ(c.password, "1lYDuPOrKXy12NITPUGg9ajL6uQ=");
}

void test_both_spellings() {
  // webrtcbin's spelling with static credentials, percent-escaped.
  IceUrl a = parsed("turn://us%3Aer:p%2Fa%2Bss%3D@turn.example.net:3479");
  g_assert_true(a.scheme == IceUrl::Scheme::Turn);
  UNIT_ASSERT_STR_EQ(a.username, "us:er");
  UNIT_ASSERT_STR_EQ(a.password, "p/a+ss=");
  g_assert_cmpuint(a.port, ==, 3479);
  g_assert_false(a.tcp);
  UNIT_ASSERT_STR_EQ(rtc_ice_url(a), "turn:turn.example.net:3479?transport=udp");
  // The RTCIceServer spelling, default ports.
  IceUrl b = parsed("turn:10.0.0.1?transport=tcp");
  g_assert_true(b.tcp);
  g_assert_cmpuint(b.port, ==, 3478);
  UNIT_ASSERT_STR_EQ(rtc_ice_url(b), "turn:10.0.0.1:3478?transport=tcp");
  IceUrl c = parsed("turns:relay.example");
  g_assert_true(c.scheme == IceUrl::Scheme::Turns);
  g_assert_cmpuint(c.port, ==, 5349);
  UNIT_ASSERT_STR_EQ(rtc_ice_url(c), "turns:relay.example:5349");
  IceUrl d = parsed("stun://[::1]:3478");
  UNIT_ASSERT_STR_EQ(d.host, "[::1]");
  UNIT_ASSERT_STR_EQ(rtc_ice_url(d), "stun:[::1]:3478");
  UNIT_ASSERT_STR_EQ(webrtcbin_ice_uri(d, "", ""), "stun://[::1]:3478");
  // What webrtcbin's add-turn-server gets: REST credentials escaped.
  UNIT_ASSERT_STR_EQ(webrtcbin_ice_uri(b, "1700000000:webrtclive-1", "a/b+c="),
                     "turn://1700000000%3Awebrtclive-1:a%2Fb%2Bc%3D@10.0.0.1:3478?transport=tcp");
  UNIT_ASSERT_STR_EQ(webrtcbin_ice_uri(c, "u", "p"), "turns://u:p@relay.example:5349");
}

void test_bad_urls() {
  refused("http://example.com");
  refused("turn:");
  refused("turn:host:0");
  refused("turn:host:65536");
  refused("turn:host:12ab");
  refused("turn:ho st");
  refused("turn:host?transport=sctp");
  refused("turns:host?transport=udp");
  refused("stun:host?transport=tcp");
  refused("stun://user:pass@host");
  refused("turn://user@host");
  refused("turn://:pass@host");
  refused("turn:host/path");
  refused("turn:[zz::1]");
  refused("turn:-host");
  refused("turn:host\nInjected: header");
  refused("turn:host\"");
  refused("turn://us%A3er:pw@host");        // found by fuzz-ice: not UTF-8 once unescaped
  refused("turn://user:p%0D%0ALink:x@host");  // a header injection once unescaped
  refused("turn://" + std::string(kMaxIceUrlBytes, 'a'));
  // A refusal never repeats the password.
  std::string why = refused("turn://user:hunter2@host:99999");
  g_assert_null(strstr(why.c_str(), "hunter2"));
}

void test_list() {
  std::string why;
  auto l = parse_turn_list(" turn:a:1 , turns:b ,, turn://u:p@c?transport=tcp", &why);
  g_assert_true(l.has_value());
  g_assert_cmpuint(l->size(), ==, 3);
  g_assert_false(parse_turn_list("stun:a", &why).has_value());
  g_assert_false(parse_turn_list("turn://u:hunter2@bad host", &why).has_value());
  g_assert_null(strstr(why.c_str(), "hunter2"));
  std::string many;
  for (unsigned i = 0; i <= kMaxTurnServers; i++) many += "turn:h" + std::to_string(i) + ",";
  g_assert_false(parse_turn_list(many, &why).has_value());
  g_assert_true(parse_turn_list("", &why).has_value());
}

void test_redaction() {
  UNIT_ASSERT_STR_EQ(redact_ice_url("turn://user:hunter2@host:3478?transport=tcp"),
                     "turn://user:***@host:3478?transport=tcp");
  UNIT_ASSERT_STR_EQ(redact_ice_url("turns:u%3Ax:p%2F@host"), "turns:u%3Ax:***@host");
  UNIT_ASSERT_STR_EQ(redact_ice_url("turn:host:3478"), "turn:host:3478");
  UNIT_ASSERT_STR_EQ(redact_ice_url("turn://onlyuser@host"), "turn://onlyuser:***@host");
}

void test_client_ice() {
  IceConfig cfg;
  cfg.stun_server = "stun://127.0.0.1:3478";
  cfg.turn_servers = {"turn:127.0.0.1", "turns:127.0.0.1:5349"};
  cfg.turn_secret = "the-secret";
  cfg.turn_credential_ttl = 60;
  cfg.transport_policy = "relay";
  ClientIce a = make_client_ice(cfg, 1000);
  ClientIce b = make_client_ice(cfg, 1000);
  g_assert_cmpuint(a.servers.size(), ==, 2);
  UNIT_ASSERT_STR_EQ(a.servers[0].urls[0], "stun:127.0.0.1:3478");
  g_assert_true(a.servers[0].username.empty());
  g_assert_cmpuint(a.servers[1].urls.size(), ==, 2);
  g_assert_true(g_str_has_prefix(a.servers[1].username.c_str(), "1060:webrtclive-"));
  // Fresh per client, and what coturn computes from the secret.
  g_assert_true(a.servers[1].username != b.servers[1].username);
  const std::string name = a.servers[1].username.substr(5);
  UNIT_ASSERT_STR_EQ(a.servers[1].credential, turn_rest_credentials("the-secret", 1060, name).password);
  UNIT_ASSERT_STR_EQ(a.transport_policy, "relay");
  // Static credentials without a secret.
  IceConfig st;
  st.turn_servers = {"turn://u:p%40ss@h:1"};
  ClientIce s = make_client_ice(st, 0);
  UNIT_ASSERT_STR_EQ(s.servers[0].username, "u");
  UNIT_ASSERT_STR_EQ(s.servers[0].credential, "p@ss");
  UNIT_ASSERT_STR_EQ(s.transport_policy, "all");
  g_assert_true(unit::json_same(
      client_ice_json(s),
      R"({"iceServers":[{"urls":["turn:h:1?transport=udp"],"username":"u","credential":"p@ss"}],"iceTransportPolicy":"all"})"));
  g_assert_true(unit::json_same(client_ice_json(ClientIce{}), R"({"iceServers":[],"iceTransportPolicy":"all"})"));
}

void test_link_headers() {
  ClientIce ice;
  ice.servers.push_back({{"stun:s:3478"}, {}, {}});
  ice.servers.push_back({{"turn:t:3478?transport=udp", "turns:t:5349"}, "1700000000:x", "a\"b"});
  auto h = ice_link_headers(ice);
  g_assert_cmpuint(h.size(), ==, 3);
  UNIT_ASSERT_STR_EQ(h[0], "<stun:s:3478>; rel=\"ice-server\"");
  UNIT_ASSERT_STR_EQ(h[1], "<turn:t:3478?transport=udp>; rel=\"ice-server\"; username=\"1700000000:x\"; "
                           "credential=\"a\\\"b\"; credential-type=\"password\"");
  UNIT_ASSERT_STR_EQ(h[2], "<turns:t:5349>; rel=\"ice-server\"; username=\"1700000000:x\"; "
                           "credential=\"a\\\"b\"; credential-type=\"password\"");
}

}  // namespace

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, nullptr);
  g_test_add_func("/ice-servers/rest-credentials", test_rest_credentials);
  g_test_add_func("/ice-servers/both-spellings", test_both_spellings);
  g_test_add_func("/ice-servers/bad-urls", test_bad_urls);
  g_test_add_func("/ice-servers/list", test_list);
  g_test_add_func("/ice-servers/redaction", test_redaction);
  g_test_add_func("/ice-servers/client-ice", test_client_ice);
  g_test_add_func("/ice-servers/link-headers", test_link_headers);
  return g_test_run();
}
