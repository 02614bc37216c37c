// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The ICE servers a producer or a signalling server hands to its clients
// (the served pages through GET /ice-servers.json, WHEP/WHIP clients
// through Link headers), in the shape of WebRTC's RTCIceServer. With a TURN
// secret, the credentials are ephemeral (the TURN REST scheme coturn
// implements) and made fresh for every client that asks.
//
// This is the one place that reads STUN/TURN URLs, makes TURN REST
// credentials and turns an element's ICE configuration into servers: the
// elements' webrtcbins (core/webrtc-util.cpp configure_ice) and the served
// /ice-servers.json both go through make_client_ice().
#pragma once

#include <glib.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace webrtclive {

struct IceServer {
  std::vector<std::string> urls;  // "stun:host:port", "turn:host:port?transport=tcp", "turns:host:port"
  std::string username;           // "" for STUN
  std::string credential;         // never logged
};

struct ClientIce {
  std::vector<IceServer> servers;
  std::string transport_policy = "all";  // "all" or "relay" (RTCIceTransportPolicy)
};

// Called on the server thread for each client that asks; must not block.
using ClientIceSource = std::function<ClientIce()>;

// Limits on configured ICE URLs (they come from properties and command lines,
// and go into HTTP headers and JSON).
inline constexpr size_t kMaxIceUrlBytes = 512;
inline constexpr unsigned kMaxTurnServers = 8;
inline constexpr size_t kMaxTurnSecretBytes = 256;
// TURN REST credentials live this long by default (seconds): a viewer that
// loaded its page may take a while to press play, and a relayed session must
// refresh its allocation within it (coturn checks the expiry at every
// refresh). Bounded so that a typo cannot make them eternal.
inline constexpr unsigned kDefaultTurnCredentialTtl = 3600;
inline constexpr unsigned kMinTurnCredentialTtl = 1;
inline constexpr unsigned kMaxTurnCredentialTtl = 7 * 24 * 3600;

// One STUN or TURN URL, in either spelling:
//   webrtcbin's   stun://host:port  turn://user:pass@host:port[?transport=tcp]  turns://user:pass@host:port
//   RTCIceServer  stun:host:port    turn:host:port[?transport=udp|tcp]          turns:host:port[?transport=tcp]
// The port defaults to 3478 (5349 for turns). Userinfo (percent-escaped) is
// static credentials; STUN takes none.
struct IceUrl {
  enum class Scheme { Stun, Turn, Turns } scheme = Scheme::Stun;
  std::string host;       // a name or IPv4 address, or an IPv6 one in brackets
  unsigned port = 0;      // as written, or the default
  bool tcp = false;       // ?transport=tcp (turns is TLS over TCP anyway)
  std::string username;   // unescaped; "" = none
  std::string password;   // unescaped; never logged
};

// Parses and validates one URL; nothing (and `why`, which never repeats a
// password) when it is not one.
std::optional<IceUrl> parse_ice_url(std::string_view text, std::string *why);
// The RTCIceServer spelling, without credentials ("turn:host:port?transport=tcp").
std::string rtc_ice_url(const IceUrl &url);
// What webrtcbin takes (stun-server / add-turn-server): "turn://user:pass@host:port?transport=tcp",
// the username and password percent-escaped (REST usernames have a ':',
// base64 passwords '/', '+' and '=').
std::string webrtcbin_ice_uri(const IceUrl &url, std::string_view username, std::string_view password);
// `text` with any password replaced by "***" (user:***@host): what logs show.
std::string redact_ice_url(std::string_view text);

// A comma-separated list of TURN URLs (a property's value), each validated;
// at most kMaxTurnServers. Nothing and `why` on the first bad one.
std::optional<std::vector<std::string>> parse_turn_list(std::string_view list, std::string *why);

// TURN REST credentials (coturn's use-auth-secret): username
// "<expiry-unix-time>:<name>", password base64(HMAC-SHA1(secret, username)).
struct TurnCredentials {
  std::string username;
  std::string password;
};
TurnCredentials turn_rest_credentials(std::string_view secret, gint64 expiry_unix, std::string_view name);

// An element's or a server's ICE configuration.
struct IceConfig {
  std::string stun_server;                // one URL, either spelling; "" = none
  std::vector<std::string> turn_servers;  // validated URLs (parse_turn_list)
  // With a secret, the TURN URLs carry no userinfo: every make_client_ice()
  // makes credentials valid for `turn_credential_ttl` seconds. Never logged.
  std::string turn_secret;
  unsigned turn_credential_ttl = kDefaultTurnCredentialTtl;
  std::string transport_policy = "all";   // "all" or "relay"
};

// The servers of `config` for one client (a webrtcbin session, a viewer),
// credentials fresh when a secret is set (name "webrtclive-<8 random hex>").
// URLs that do not parse are left out.
ClientIce make_client_ice(const IceConfig &config, gint64 now_unix);

// GET /ice-servers.json: {"iceServers":[{urls,username,credential}...],"iceTransportPolicy":...}.
std::string client_ice_json(const ClientIce &ice);
// RFC 9725 Link header values, one per URL:
//   <turn:host:3478?transport=udp>; rel="ice-server"; username="u"; credential="p"; credential-type="password"
std::vector<std::string> ice_link_headers(const ClientIce &ice);

}  // namespace webrtclive
