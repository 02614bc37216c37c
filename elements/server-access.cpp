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

void apply_access(const ServerAccess &access, SignallingServer::Options &options) {
  options.token = access.token;
  options.allowed_origins = split_list(access.allowed_origins);
}

}  // namespace webrtclive
