// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Who may use an element's embedded server, and how much: one set of
// properties, one definition, for every element that can run one
// (webrtclivesink's embedded signaller, webrtclivesrc, webrtclivesignaller):
//   cert-file, key-file (https:// and wss:// on the one port),
//   token, allowed-origins, jwt-key-file, jwt-algorithm,
//   max-connections, max-connections-per-address, max-sessions-per-connection,
//   max-message-size, request-timeout
// An element reserves the property ids from its `first` on, installs them
// with install_access_properties() and forwards set/get of those ids.
#pragma once

#include <gst/gst.h>

#include <string>

#include "server.h"

namespace webrtclive {

struct ServerAccess {
  std::string cert_file;        // PEM; with key_file = TLS; "" = plain http/ws
  std::string key_file;
  std::string token;            // "" = none
  std::string allowed_origins;  // comma-separated; "" = same origin only
  std::string jwt_key_file;     // "" = no JWT
  std::string jwt_algorithm = "HS256";
  ConnectionLimits limits{.max_connections = 1024, .max_per_address = 256};
  Hub::Limits hub;
};

inline constexpr guint kAccessProperties = 11;

void install_access_properties(GObjectClass *klass, guint first, GParamFlags flags);
// True when `id` is one of them (and was handled).
bool set_access_property(ServerAccess &access, guint first, guint id, const GValue *value);
bool get_access_property(const ServerAccess &access, guint first, guint id, GValue *value);

// Fills the server options; false (and why, naming the file) when the TLS
// certificate or key or the JWT key cannot be used.
bool apply_access(const ServerAccess &access, SignallingServer::Options &options, std::string *error);

}  // namespace webrtclive
