// SPDX-License-Identifier: LGPL-2.1-or-later
#include "server-access.h"

#include "util.h"

namespace webrtclive {

GParamSpec *token_param_spec(GParamFlags flags) {
  return g_param_spec_string("token", "Token",
                             "When set, clients must present it to use the embedded server's signalling WebSocket "
                             "(pages pass ?token=TOKEN of their own URL on; other clients send \"Authorization: "
                             "Bearer TOKEN\"), others get HTTP 401; reads back masked; NULL = no authentication",
                             nullptr, flags);
}

GParamSpec *allowed_origins_param_spec(GParamFlags flags) {
  return g_param_spec_string("allowed-origins", "Allowed Origins",
                             "Comma-separated web origins (e.g. \"https://app.example\"; \"*\" = any) whose pages may "
                             "open the embedded server's signalling WebSocket besides its own pages; browsers send "
                             "their page's Origin, others get HTTP 403 (no cross-site WebSocket hijacking). Clients "
                             "that send no Origin (not browsers) are accepted. NULL = same origin only",
                             nullptr, flags);
}

GParamSpec *jwt_key_file_param_spec(GParamFlags flags) {
  return g_param_spec_string("jwt-key-file", "JWT Key File",
                             "When set, clients of the embedded server must present a JSON Web Token signed with the "
                             "key in this file (the HS256 secret, or the PEM public key for RS256/ES256); its "
                             "\"webrtclive\" claim grants roles and producer names, and the connection closes when "
                             "it expires (docs/security.md). A client presenting 'token' instead may do all. NULL = "
                             "no JWT",
                             nullptr, flags);
}

GParamSpec *jwt_algorithm_param_spec(GParamFlags flags) {
  return g_param_spec_string("jwt-algorithm", "JWT Algorithm",
                             "The one algorithm accepted for tokens checked with jwt-key-file: HS256, RS256 or ES256",
                             "HS256", flags);
}

bool apply_access(const ServerAccess &access, SignallingServer::Options &options, std::string *error) {
  options.token = access.token;
  options.allowed_origins = split_list(access.allowed_origins);
  if (access.jwt_key_file.empty()) return true;
  return load_jwt_config(access.jwt_algorithm, access.jwt_key_file, &options.jwt, error);
}

}  // namespace webrtclive
