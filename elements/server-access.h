// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Who may use an element's embedded server: the `token` and
// `allowed-origins` properties, one definition for every element that can
// run one (webrtclivesink's embedded signaller, webrtclivesrc,
// webrtclivesignaller).
#pragma once

#include <gst/gst.h>

#include <string>

#include "server.h"

namespace webrtclive {

struct ServerAccess {
  std::string token;            // "" = none
  std::string allowed_origins;  // comma-separated; "" = same origin only
  std::string jwt_key_file;     // "" = no JWT
  std::string jwt_algorithm = "HS256";
};

GParamSpec *token_param_spec(GParamFlags flags);
GParamSpec *allowed_origins_param_spec(GParamFlags flags);
GParamSpec *jwt_key_file_param_spec(GParamFlags flags);
GParamSpec *jwt_algorithm_param_spec(GParamFlags flags);

// What `token` reads back as: masked, never the secret.
inline const char *masked_token(const std::string &token) { return token.empty() ? nullptr : "*****"; }

// False (and why) when the JWT key cannot be used.
bool apply_access(const ServerAccess &access, SignallingServer::Options &options, std::string *error);

}  // namespace webrtclive
