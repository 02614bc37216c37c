// SPDX-License-Identifier: LGPL-2.1-or-later
#include "whip-sdp.h"

#include <glib.h>

#include <algorithm>
#include <cstring>
#include <map>

namespace webrtclive::whip {

namespace {

std::vector<std::string> sdp_lines(const std::string &sdp) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < sdp.size()) {
    size_t nl = sdp.find('\n', pos);
    std::string line = sdp.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    out.push_back(std::move(line));
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  while (!out.empty() && out.back().empty()) out.pop_back();
  return out;
}

bool starts_with(const std::string &s, const char *prefix) { return s.rfind(prefix, 0) == 0; }

std::string a_candidate(const std::string &candidate) {
  return "a=" + (starts_with(candidate, "candidate:") ? candidate : "candidate:" + candidate);
}

// A candidate as it may go into an SDP line: one line, printable.
bool one_line(const std::string &s) {
  return !s.empty() && std::none_of(s.begin(), s.end(), [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

bool printable(const std::string &s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f; });
}

std::string lower(std::string s) {
  for (auto &c : s) c = g_ascii_tolower(c);
  return s;
}

// One link of a Link header value, parsed from `pos` (RFC 8288 section 3):
// `<target>` then `; name=value` parameters (value a token or a
// quoted-string). False on a syntax error.
struct Link {
  std::string target;
  std::map<std::string, std::string> params;  // names lowercased; first one wins
};

void skip_ws(const std::string &s, size_t &pos) {
  while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t')) pos++;
}

bool parse_link(const std::string &s, size_t &pos, Link *link) {
  skip_ws(s, pos);
  if (pos >= s.size() || s[pos] != '<') return false;
  size_t close = s.find('>', pos);
  if (close == std::string::npos) return false;
  link->target = s.substr(pos + 1, close - pos - 1);
  pos = close + 1;
  for (;;) {
    skip_ws(s, pos);
    if (pos >= s.size() || s[pos] == ',') return true;
    if (s[pos] != ';') return false;
    pos++;
    skip_ws(s, pos);
    size_t name_start = pos;
    while (pos < s.size() && s[pos] != '=' && s[pos] != ';' && s[pos] != ',' && s[pos] != ' ') pos++;
    std::string name = lower(s.substr(name_start, pos - name_start));
    if (name.empty()) return false;
    skip_ws(s, pos);
    std::string value;
    if (pos < s.size() && s[pos] == '=') {
      pos++;
      skip_ws(s, pos);
      if (pos < s.size() && s[pos] == '"') {
        pos++;
        for (;;) {
          if (pos >= s.size()) return false;  // unterminated
          char c = s[pos++];
          if (c == '"') break;
          if (c == '\\') {
            if (pos >= s.size()) return false;
            c = s[pos++];
          }
          value += c;
        }
      } else {
        size_t v = pos;
        while (pos < s.size() && s[pos] != ';' && s[pos] != ',' && s[pos] != ' ' && s[pos] != '\t') pos++;
        value = s.substr(v, pos - v);
      }
    }
    link->params.emplace(name, value);
  }
}

bool has_rel(const Link &link, const char *rel) {
  auto it = link.params.find("rel");
  if (it == link.params.end()) return false;
  // rel may list several relation types, space-separated.
  gchar **types = g_strsplit(it->second.c_str(), " ", -1);
  bool found = false;
  for (gchar **t = types; *t && !found; t++) found = g_ascii_strcasecmp(*t, rel) == 0;
  g_strfreev(types);
  return found;
}

}  // namespace

std::optional<OfferInfo> read_offer(const std::string &sdp) {
  OfferInfo info;
  std::string session_ufrag, session_pwd;
  for (auto &line : sdp_lines(sdp)) {
    if (starts_with(line, "m=")) {
      OfferInfo::MLine m;
      gchar **f = g_strsplit(line.c_str() + 2, " ", 4);
      guint n = g_strv_length(f);
      if (n >= 1) m.media = f[0];
      if (n >= 3) m.proto = f[2];
      if (n >= 4) {
        std::string fmts = f[3];
        m.fmt = fmts.substr(0, fmts.find(' '));
      }
      g_strfreev(f);
      info.mlines.push_back(std::move(m));
      continue;
    }
    auto value = [&](const char *prefix) { return line.substr(strlen(prefix)); };
    std::string *ufrag = info.mlines.empty() ? &session_ufrag : nullptr;
    std::string *pwd = info.mlines.empty() ? &session_pwd : nullptr;
    if (starts_with(line, "a=mid:") && !info.mlines.empty()) info.mlines.back().mid = value("a=mid:");
    // The first m-line's credentials (BUNDLE: one ICE session), else the session's.
    if (starts_with(line, "a=ice-ufrag:")) {
      if (ufrag) *ufrag = value("a=ice-ufrag:");
      else if (info.mlines.size() == 1) info.ufrag = value("a=ice-ufrag:");
    }
    if (starts_with(line, "a=ice-pwd:")) {
      if (pwd) *pwd = value("a=ice-pwd:");
      else if (info.mlines.size() == 1) info.pwd = value("a=ice-pwd:");
    }
  }
  if (info.ufrag.empty()) info.ufrag = session_ufrag;
  if (info.pwd.empty()) info.pwd = session_pwd;
  if (info.ufrag.empty() || info.pwd.empty() || info.mlines.empty()) return std::nullopt;
  for (size_t i = 0; i < info.mlines.size(); i++) {
    auto &m = info.mlines[i];
    if (m.proto.empty()) m.proto = "UDP/TLS/RTP/SAVPF";
    if (m.fmt.empty()) m.fmt = "0";
  }
  return info;
}

std::string build_sdpfrag(const OfferInfo &offer, const std::vector<protocol::Ice> &candidates,
                          bool end_of_candidates) {
  std::string out;
  for (size_t i = 0; i < offer.mlines.size(); i++) {
    std::string lines;
    for (auto &c : candidates)
      if (c.sdp_mline_index == i && one_line(c.candidate)) lines += a_candidate(c.candidate) + "\r\n";
    if (lines.empty() && !end_of_candidates) continue;
    auto &m = offer.mlines[i];
    out += "m=" + m.media + " 9 " + m.proto + " " + m.fmt + "\r\n";
    if (!m.mid.empty()) out += "a=mid:" + m.mid + "\r\n";
    out += "a=ice-ufrag:" + offer.ufrag + "\r\na=ice-pwd:" + offer.pwd + "\r\n" + lines;
    if (end_of_candidates) out += "a=end-of-candidates\r\n";
  }
  return out;
}

std::vector<IceServer> parse_link_ice_servers(const std::vector<std::string> &link_headers,
                                              std::vector<std::string> *problems) {
  std::vector<IceServer> out;
  auto problem = [&](const std::string &what) {
    if (problems) problems->push_back(what);
  };
  for (auto &header : link_headers) {
    if (header.size() > kMaxLinkHeaderBytes) {
      problem("a Link header of " + std::to_string(header.size()) + " bytes (more than " +
              std::to_string(kMaxLinkHeaderBytes) + ") was ignored");
      continue;
    }
    size_t pos = 0;
    while (pos < header.size()) {
      Link link;
      if (!parse_link(header, pos, &link)) {
        problem("a malformed Link header was ignored from byte " + std::to_string(pos));
        break;
      }
      if (pos < header.size()) pos++;  // the ','
      if (!has_rel(link, "ice-server")) continue;
      if (out.size() >= kMaxIceServers) {
        problem("more than " + std::to_string(kMaxIceServers) + " ICE servers: the rest were ignored");
        return out;
      }
      std::string why;
      const std::string shown = link.target.size() > 64 ? link.target.substr(0, 64) + "..." : link.target;
      if (link.target.size() > kMaxIceUrlBytes || !printable(link.target)) {
        problem("an ICE server URL that is oversized or not printable was ignored");
        continue;
      }
      // RTCIceServer spelling only (stun:host:port): credentials come as
      // parameters, never in the URL.
      auto url = parse_ice_url(link.target, &why);
      if (url && (link.target.find("://") != std::string::npos || !url->username.empty())) {
        url.reset();
        why = "not of the form scheme:host:port";
      }
      if (!url) {
        problem("ICE server <" + shown + "> ignored: " + why);
        continue;
      }
      IceServer server;
      server.urls.push_back(link.target);
      if (url->scheme != IceUrl::Scheme::Stun) {
        auto user = link.params.find("username");
        auto cred = link.params.find("credential");
        auto type = link.params.find("credential-type");
        if (type != link.params.end() && lower(type->second) != "password") {
          problem("ICE server <" + shown + "> ignored: credential-type '" + type->second + "' is not password");
          continue;
        }
        if (user == link.params.end() || cred == link.params.end() || user->second.empty()) {
          problem("TURN server <" + shown + "> ignored: no username or credential");
          continue;
        }
        if (user->second.size() > kMaxIceCredentialBytes || cred->second.size() > kMaxIceCredentialBytes ||
            !one_line(user->second) || (!cred->second.empty() && !one_line(cred->second))) {
          problem("TURN server <" + shown + "> ignored: its username or credential is oversized or malformed");
          continue;
        }
        server.username = user->second;
        server.credential = cred->second;
      }
      out.push_back(std::move(server));
    }
  }
  return out;
}

std::optional<std::string> resolve_location(const std::string &request_url, const std::string &location,
                                            std::string *why) {
  if (location.empty()) {
    *why = "the 201 response has no Location header";
    return std::nullopt;
  }
  if (location.size() > kMaxLocationBytes || !printable(location)) {
    *why = "the Location header is oversized or not printable";
    return std::nullopt;
  }
  GError *err = nullptr;
  gchar *resolved = g_uri_resolve_relative(request_url.c_str(), location.c_str(), G_URI_FLAGS_NONE, &err);
  if (!resolved) {
    *why = std::string("the Location header is not a URL: ") + (err ? err->message : "?");
    if (err) g_error_free(err);
    return std::nullopt;
  }
  std::string out(resolved);
  g_free(resolved);
  GUri *uri = g_uri_parse(out.c_str(), G_URI_FLAGS_NONE, nullptr);
  bool ok = uri && (g_strcmp0(g_uri_get_scheme(uri), "http") == 0 || g_strcmp0(g_uri_get_scheme(uri), "https") == 0) &&
            g_uri_get_host(uri) && *g_uri_get_host(uri) && !g_uri_get_userinfo(uri);
  if (uri) g_uri_unref(uri);
  if (!ok) {
    *why = "the Location header is not an http(s) URL with a host";
    return std::nullopt;
  }
  return out;
}

}  // namespace webrtclive::whip
