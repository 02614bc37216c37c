// SPDX-License-Identifier: LGPL-2.1-or-later
// libFuzzer target: what Janus sends us and janus:// URLs
// (signaling/janus-api.cpp). Replies and events must parse or be refused
// without harm, and what they yield stay within its bounds (publishers,
// ids, display names, candidates); a URL that parses must yield requests
// that are JSON objects, with its room as it was given.
#include <json-glib/json-glib.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <glib.h>

#include "janus-api.h"

using namespace webrtclive;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string text(reinterpret_cast<const char *>(data), size);
  std::string why;
  if (auto m = janus::parse_message(text, &why)) {
    if (m->error.size() > 210 || m->reason.size() > 210) abort();
    for (char c : m->error + m->reason)
      if (c < 0x20 || c == 0x7f) abort();
    (void)janus::describe_error(m->error_code, m->error, janus::Target{});
    if (m->publishers.size() > janus::kMaxPublishers) abort();
    auto id_ok = [](const janus::Id &id) {
      if (id.empty()) return true;
      if (id.text.size() > janus::kMaxIdChars) return false;
      for (char c : id.text)
        if (id.number ? !g_ascii_isdigit(c) : (c <= 0x20 || c == 0x7f)) return false;
      return true;
    };
    for (const auto &p : m->publishers) {
      if (p.id.empty() || !id_ok(p.id) || p.display.size() > janus::kMaxDisplayChars ||
          !g_utf8_validate(p.display.c_str(), p.display.size(), nullptr))
        abort();
      for (char c : p.display)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) abort();
    }
    if (!id_ok(m->id) || !id_ok(m->unpublished) || !id_ok(m->leaving)) abort();
    if (m->candidate && (m->candidate->candidate.size() > janus::kMaxCandidateChars ||
                         (!m->candidate->completed && m->candidate->mline < 0 && m->candidate->mid.empty())))
      abort();
  }
  (void)janus::mids_of(text);
  auto t = janus::parse_url(text, &why);
  if (!t) return 0;
  if (t->room.empty() || t->ws_url.rfind("ws", 0) != 0) abort();
  protocol::Ice ice{"candidate:1 1 UDP 1 198.18.0.1 9 typ host", 0};
  for (const std::string &req :
       {janus::join_publisher_request(*t, "x", 1, 2, t->display), janus::trickle_request(*t, "y", 1, 2, &ice, "0"),
        janus::keepalive_request(*t, "z", 1),
        janus::join_subscriber_request(*t, "s", 1, 3, janus::Id{t->feed.empty() ? "7" : t->feed, t->feed.empty()}, 9),
        janus::start_request(*t, "a", 1, 3, protocol::Sdp{"answer", t->feed}), janus::detach_request(*t, "d", 1, 3)}) {
    JsonNode *n = json_from_string(req.c_str(), nullptr);
    if (!n || !JSON_NODE_HOLDS_OBJECT(n)) abort();
    json_node_unref(n);
  }
  return 0;
}
