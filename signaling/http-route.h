// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The embedded server's HTTP decisions, without libsoup: which request gets
// what, whether a path may be served, which Origin may open the WebSocket.
// Pure functions, unit-tested and fuzzed (fuzz/).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace webrtclive {

struct Route {
  enum Kind { Health, File, NotFound, Forbidden, MethodNotAllowed } kind = NotFound;
  std::string path;  // File: what to look up ("/" → "/index.html")
};

// `path` is what libsoup hands over: percent-decoded, "." and ".." resolved
// (refused again here anyway). Dotfiles and dot directories are never files.
Route route_request(std::string_view method, std::string_view path);

// A browser's Origin may open the signalling WebSocket: none (not a
// browser), the server's own (scheme://Host), or one of `allowed` ("*" =
// any); never "null".
bool origin_allowed(const char *origin, const char *host, bool tls, const std::vector<std::string> &allowed);

const char *content_type_for(std::string_view path);

}  // namespace webrtclive
