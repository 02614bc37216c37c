// SPDX-License-Identifier: LGPL-2.1-or-later
#include "ice-servers.h"

#include <json-glib/json-glib.h>

#include <cstring>

#include "gobj.h"

namespace webrtclive {

namespace {

bool host_char(char c) { return g_ascii_isalnum(c) || c == '.' || c == '-'; }
bool ipv6_char(char c) { return g_ascii_isxdigit(c) || c == ':' || c == '.'; }

std::string unescape(std::string_view s, bool *ok) {
  GCharPtr out(g_uri_unescape_segment(s.data(), s.data() + s.size(), nullptr));
  *ok = out != nullptr;
  return out ? out.get() : "";
}

std::string escape(std::string_view s) {
  GCharPtr out(g_uri_escape_string(std::string(s).c_str(), nullptr, FALSE));
  return out.get();
}

unsigned default_port(IceUrl::Scheme s) { return s == IceUrl::Scheme::Turns ? 5349 : 3478; }

const char *scheme_name(IceUrl::Scheme s) {
  switch (s) {
    case IceUrl::Scheme::Stun:
      return "stun";
    case IceUrl::Scheme::Turn:
      return "turn";
    case IceUrl::Scheme::Turns:
      return "turns";
  }
  return "";
}

std::string host_port(const IceUrl &u) { return u.host + ":" + std::to_string(u.port); }

std::string trim(std::string_view s) {
  while (!s.empty() && g_ascii_isspace(s.front())) s.remove_prefix(1);
  while (!s.empty() && g_ascii_isspace(s.back())) s.remove_suffix(1);
  return std::string(s);
}

// A quoted-string of a Link parameter (RFC 9110 5.6.4).
std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::optional<IceUrl> parse_ice_url(std::string_view text, std::string *why) {
  auto fail = [why](std::string w) -> std::optional<IceUrl> {
    *why = std::move(w);
    return std::nullopt;
  };
  if (text.size() > kMaxIceUrlBytes)
    return fail("an ICE server URL of " + std::to_string(text.size()) + " bytes (at most " +
                std::to_string(kMaxIceUrlBytes) + ")");
  for (char c : text)
    if (static_cast<unsigned char>(c) <= ' ' || static_cast<unsigned char>(c) >= 0x7f)
      return fail("an ICE server URL with a space or a control or non-ASCII character");
  IceUrl u;
  std::string_view rest = text;
  const size_t colon = rest.find(':');
  if (colon == std::string_view::npos) return fail("an ICE server URL without a scheme (stun:, turn: or turns:)");
  const std::string scheme(rest.substr(0, colon));
  if (g_ascii_strcasecmp(scheme.c_str(), "stun") == 0)
    u.scheme = IceUrl::Scheme::Stun;
  else if (g_ascii_strcasecmp(scheme.c_str(), "turn") == 0)
    u.scheme = IceUrl::Scheme::Turn;
  else if (g_ascii_strcasecmp(scheme.c_str(), "turns") == 0)
    u.scheme = IceUrl::Scheme::Turns;
  else
    return fail("an ICE server URL with the scheme '" + scheme.substr(0, 16) + "' (stun:, turn: or turns:)");
  rest.remove_prefix(colon + 1);
  if (rest.substr(0, 2) == "//") rest.remove_prefix(2);
  // The query: only transport=udp|tcp.
  if (size_t q = rest.find('?'); q != std::string_view::npos) {
    std::string_view query = rest.substr(q + 1);
    rest = rest.substr(0, q);
    if (query == "transport=tcp")
      u.tcp = true;
    else if (query != "transport=udp")
      return fail("an ICE server URL with a query other than ?transport=udp or ?transport=tcp");
    if (u.scheme == IceUrl::Scheme::Stun) return fail("a STUN URL with a transport (STUN here is UDP)");
    if (u.scheme == IceUrl::Scheme::Turns && !u.tcp)
      return fail("a turns: URL with transport=udp (TURN over DTLS is not supported; turns: is TLS over TCP)");
  }
  if (u.scheme == IceUrl::Scheme::Turns) u.tcp = true;
  if (size_t slash = rest.find('/'); slash != std::string_view::npos && slash != rest.size() - 1)
    return fail("an ICE server URL with a path");
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  // Userinfo: everything before the last '@'.
  if (size_t at = rest.rfind('@'); at != std::string_view::npos) {
    if (u.scheme == IceUrl::Scheme::Stun) return fail("a STUN URL with credentials");
    std::string_view info = rest.substr(0, at);
    rest.remove_prefix(at + 1);
    const size_t c = info.find(':');
    if (c == std::string_view::npos || c == 0) return fail("TURN credentials not written as user:password@");
    bool ok1 = false, ok2 = false;
    u.username = unescape(info.substr(0, c), &ok1);
    u.password = unescape(info.substr(c + 1), &ok2);
    if (!ok1 || !ok2 || u.username.empty() || u.password.empty())
      return fail("TURN credentials that are empty or badly percent-escaped");
    // They go into JSON, HTTP headers and webrtcbin's URI.
    for (const std::string *part : {&u.username, &u.password})
      for (char c : *part)
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f)
          return fail("TURN credentials with a control or non-ASCII character (printable ASCII only)");
  }
  // Host and port.
  std::string_view port;
  if (!rest.empty() && rest.front() == '[') {
    const size_t close = rest.find(']');
    if (close == std::string_view::npos || close < 3) return fail("an ICE server URL with a bad IPv6 address");
    for (char c : rest.substr(1, close - 1))
      if (!ipv6_char(c)) return fail("an ICE server URL with a bad IPv6 address");
    u.host = std::string(rest.substr(0, close + 1));
    rest.remove_prefix(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return fail("an ICE server URL with text after its IPv6 address");
      port = rest.substr(1);
    }
  } else {
    const size_t c = rest.find(':');
    u.host = std::string(rest.substr(0, c));
    if (c != std::string_view::npos) port = rest.substr(c + 1);
    if (u.host.empty() || u.host.size() > 253) return fail("an ICE server URL without a host");
    for (char ch : u.host)
      if (!host_char(ch)) return fail("an ICE server URL whose host is not a name or an IPv4 address");
    if (u.host.front() == '-' || u.host.front() == '.')
      return fail("an ICE server URL whose host is not a name or an IPv4 address");
  }
  if (port.empty()) {
    u.port = default_port(u.scheme);
  } else {
    if (port.size() > 5 || strspn(std::string(port).c_str(), "0123456789") != port.size())
      return fail("an ICE server URL with a bad port");
    u.port = std::stoul(std::string(port));
    if (u.port == 0 || u.port > 65535) return fail("an ICE server URL with a bad port");
  }
  return u;
}

std::string rtc_ice_url(const IceUrl &u) {
  std::string s = std::string(scheme_name(u.scheme)) + ":" + host_port(u);
  if (u.scheme == IceUrl::Scheme::Turn) s += u.tcp ? "?transport=tcp" : "?transport=udp";
  return s;
}

std::string webrtcbin_ice_uri(const IceUrl &u, std::string_view username, std::string_view password) {
  std::string s = std::string(scheme_name(u.scheme)) + "://";
  if (u.scheme != IceUrl::Scheme::Stun && !username.empty()) s += escape(username) + ":" + escape(password) + "@";
  s += host_port(u);
  if (u.scheme == IceUrl::Scheme::Turn && u.tcp) s += "?transport=tcp";
  return s;
}

std::string redact_ice_url(std::string_view text) {
  // Up to the last '@' before any '?' is userinfo; keep the user part.
  std::string_view head = text.substr(0, text.find('?'));
  const size_t at = head.rfind('@');
  if (at == std::string_view::npos) return std::string(text);
  size_t start = head.find(':');
  start = start == std::string_view::npos ? 0 : start + 1;
  while (start < at && head[start] == '/') start++;
  const size_t c = head.find(':', start);
  std::string user(head.substr(start, (c == std::string_view::npos || c > at ? at : c) - start));
  return std::string(text.substr(0, start)) + user + ":***" + std::string(text.substr(at));
}

std::optional<std::vector<std::string>> parse_turn_list(std::string_view list, std::string *why) {
  std::vector<std::string> out;
  while (!list.empty()) {
    const size_t comma = list.find(',');
    std::string item = trim(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (item.empty()) continue;
    std::string w;
    auto u = parse_ice_url(item, &w);
    if (!u) {
      *why = "'" + redact_ice_url(item.substr(0, 80)) + "': " + w;
      return std::nullopt;
    }
    if (u->scheme == IceUrl::Scheme::Stun) {
      *why = "'" + item + "' is a STUN server (set stun-server)";
      return std::nullopt;
    }
    if (out.size() == kMaxTurnServers) {
      *why = "more than " + std::to_string(kMaxTurnServers) + " TURN servers";
      return std::nullopt;
    }
    out.push_back(item);
  }
  return out;
}

TurnCredentials turn_rest_credentials(std::string_view secret, gint64 expiry_unix, std::string_view name) {
  TurnCredentials c;
  c.username = std::to_string(expiry_unix) + ":" + std::string(name);
  GHmac *hmac = g_hmac_new(G_CHECKSUM_SHA1, reinterpret_cast<const guchar *>(secret.data()), secret.size());
  g_hmac_update(hmac, reinterpret_cast<const guchar *>(c.username.data()), c.username.size());
  guint8 digest[20];
  gsize len = sizeof digest;
  g_hmac_get_digest(hmac, digest, &len);
  g_hmac_unref(hmac);
  GCharPtr b64(g_base64_encode(digest, len));
  c.password = b64.get();
  memset(digest, 0, sizeof digest);
  return c;
}

ClientIce make_client_ice(const IceConfig &config, gint64 now_unix) {
  ClientIce ice;
  ice.transport_policy = config.transport_policy == "relay" ? "relay" : "all";
  std::string why;
  if (!config.stun_server.empty())
    if (auto u = parse_ice_url(config.stun_server, &why); u && u->scheme == IceUrl::Scheme::Stun)
      ice.servers.push_back({{rtc_ice_url(*u)}, {}, {}});
  std::optional<TurnCredentials> rest;
  if (!config.turn_secret.empty()) {
    char name[32];
    g_snprintf(name, sizeof name, "webrtclive-%08x", g_random_int());
    rest = turn_rest_credentials(config.turn_secret, now_unix + config.turn_credential_ttl, name);
  }
  for (const auto &text : config.turn_servers) {
    auto u = parse_ice_url(text, &why);
    if (!u || u->scheme == IceUrl::Scheme::Stun) continue;
    IceServer s{{rtc_ice_url(*u)}, rest ? rest->username : u->username, rest ? rest->password : u->password};
    // Servers with the same credentials share one entry, as RTCIceServer.urls allows.
    if (!ice.servers.empty() && !ice.servers.back().username.empty() && ice.servers.back().username == s.username &&
        ice.servers.back().credential == s.credential)
      ice.servers.back().urls.push_back(s.urls[0]);
    else
      ice.servers.push_back(std::move(s));
  }
  return ice;
}

std::string client_ice_json(const ClientIce &ice) {
  GRef<JsonBuilder> b = GRef<JsonBuilder>::adopt(json_builder_new());
  json_builder_begin_object(b.get());
  json_builder_set_member_name(b.get(), "iceServers");
  json_builder_begin_array(b.get());
  for (const auto &s : ice.servers) {
    json_builder_begin_object(b.get());
    json_builder_set_member_name(b.get(), "urls");
    json_builder_begin_array(b.get());
    for (const auto &u : s.urls) json_builder_add_string_value(b.get(), u.c_str());
    json_builder_end_array(b.get());
    if (!s.username.empty()) {
      json_builder_set_member_name(b.get(), "username");
      json_builder_add_string_value(b.get(), s.username.c_str());
      json_builder_set_member_name(b.get(), "credential");
      json_builder_add_string_value(b.get(), s.credential.c_str());
    }
    json_builder_end_object(b.get());
  }
  json_builder_end_array(b.get());
  json_builder_set_member_name(b.get(), "iceTransportPolicy");
  json_builder_add_string_value(b.get(), ice.transport_policy.c_str());
  json_builder_end_object(b.get());
  GRef<JsonGenerator> gen = GRef<JsonGenerator>::adopt(json_generator_new());
  JsonNode *root = json_builder_get_root(b.get());
  json_generator_set_root(gen.get(), root);
  json_node_unref(root);
  GCharPtr text(json_generator_to_data(gen.get(), nullptr));
  return text.get();
}

std::vector<std::string> ice_link_headers(const ClientIce &ice) {
  std::vector<std::string> out;
  for (const auto &s : ice.servers)
    for (const auto &u : s.urls) {
      std::string h = "<" + u + ">; rel=\"ice-server\"";
      if (!s.username.empty())
        h += "; username=" + quoted(s.username) + "; credential=" + quoted(s.credential) +
             "; credential-type=\"password\"";
      out.push_back(std::move(h));
    }
  return out;
}

}  // namespace webrtclive
