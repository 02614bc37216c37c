// SPDX-License-Identifier: LGPL-2.1-or-later
#include "http-route.h"

#include <glib.h>

#include <utility>

namespace webrtclive {

namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// A segment that is "..", or starts with "." (".git", ".env"), or a path
// that is not absolute or holds a NUL.
bool refused_path(std::string_view path) {
  if (path.empty() || path[0] != '/' || path.find('\0') != std::string_view::npos) return true;
  size_t start = 1;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (end > start && path[start] == '.') return true;
    start = end + 1;
  }
  return false;
}

}  // namespace

Route route_request(std::string_view method, std::string_view path) {
  if (method != "GET" && method != "HEAD") return {Route::MethodNotAllowed, {}};
  if (path == "/health") return {Route::Health, {}};
  if (refused_path(path)) {
    // ".." is an attempt to leave the root; a dotfile is simply not there.
    const bool dotdot = path.find("/..") != std::string_view::npos || path.empty() || path[0] != '/';
    return {dotdot ? Route::Forbidden : Route::NotFound, {}};
  }
  std::string p(path);
  if (ends_with(p, "/")) p += "index.html";
  if (p == "/consumers") p = "/consumers.html";  // the operator page
  return {Route::File, std::move(p)};
}

bool origin_allowed(const char *origin, const char *host, bool tls, const std::vector<std::string> &allowed) {
  if (!origin) return true;  // not a browser
  for (const auto &o : allowed)
    if (o == "*" || g_ascii_strcasecmp(o.c_str(), origin) == 0) return true;
  if (g_str_equal(origin, "null") || !host) return false;  // sandboxed frames, file:// pages
  const std::string own = std::string(tls ? "https://" : "http://") + host;
  return g_ascii_strcasecmp(own.c_str(), origin) == 0;
}

const char *content_type_for(std::string_view path) {
  static const std::pair<const char *, const char *> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".htm", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".txt", "text/plain; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".webp", "image/webp"},
      {".ico", "image/x-icon"},
      {".wasm", "application/wasm"},
      {".woff2", "font/woff2"},
  };
  for (const auto &[ext, type] : kTypes)
    if (ends_with(path, ext)) return type;
  return "application/octet-stream";
}

}  // namespace webrtclive
