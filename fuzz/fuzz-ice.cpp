// SPDX-License-Identifier: LGPL-2.1-or-later
// libFuzzer target: STUN/TURN URLs as users and command lines write them
// (signaling/ice-servers.cpp). What parses must survive its own round
// trips (RTCIceServer spelling, webrtcbin's escaped URI) unchanged, and
// what goes into JSON and Link headers must not break them.
#include <json-glib/json-glib.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "ice-servers.h"

using namespace webrtclive;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string text(reinterpret_cast<const char *>(data), size);
  std::string why;
  (void)redact_ice_url(text);
  (void)parse_turn_list(text, &why);
  auto u = parse_ice_url(text, &why);
  if (!u) return 0;
  auto again = parse_ice_url(rtc_ice_url(*u), &why);
  if (!again || again->host != u->host || again->port != u->port || again->tcp != u->tcp || again->scheme != u->scheme)
    abort();
  // (Escaping may take webrtcbin's URI past the input limit: not parsed again then.)
  const std::string uri = webrtcbin_ice_uri(*u, u->username, u->password);
  auto bin = parse_ice_url(uri, &why);
  if (u->scheme != IceUrl::Scheme::Stun && !u->username.empty() && uri.size() <= kMaxIceUrlBytes &&
      (!bin || bin->username != u->username || bin->password != u->password))
    abort();
  ClientIce ice;
  ice.servers.push_back({{rtc_ice_url(*u)}, u->username, u->password});
  for (const auto &h : ice_link_headers(ice))
    if (h.find_first_of("\r\n") != std::string::npos) abort();
  JsonNode *n = json_from_string(client_ice_json(ice).c_str(), nullptr);
  if (!n) abort();
  json_node_unref(n);
  return 0;
}
