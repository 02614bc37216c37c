// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The ICE servers a producer or a signalling server hands to its clients
// (the served pages through GET /ice-servers.json, WHEP/WHIP clients
// through Link headers), in the shape of WebRTC's RTCIceServer. With a TURN
// secret, the credentials are ephemeral (the TURN REST scheme coturn
// implements) and made fresh for every client that asks.
#pragma once

#include <functional>
#include <string>
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

}  // namespace webrtclive
