// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Fake peers around a Hub for the hub tests: each records every frame the
// hub sends it (as it would go on the wire) and parses it back the way a
// client would.
#pragma once

#include <glib.h>

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "hub.h"
#include "protocol.h"
#include "unit-helpers.h"

namespace hubtest {

using namespace webrtclive;
using namespace webrtclive::protocol;

inline const char *const kOffer = "v=0\r\no=- 1 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n";
inline const char *const kAnswer = "v=0\r\no=- 2 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n";

using unit::js;

// One connection as a client sees it.
struct FakePeer {
  std::string id;
  std::deque<std::string> wire;  // frames received, oldest first

  // What a client parses out of the oldest frame; fails the test when that
  // frame is missing or is not a T.
  template <typename T>
  T take(const char *file, int line) {
    if (wire.empty()) {
      unit::fail(file, line, G_STRFUNC, "peer " + id + " expected a message and got none");
      return T{};
    }
    std::string frame = wire.front();
    wire.pop_front();
    auto parsed = parse_server(frame);
    if (!parsed) {
      unit::fail(file, line, G_STRFUNC, "peer " + id + " cannot parse " + frame + ": " + parsed.error);
      return T{};
    }
    if (!std::holds_alternative<T>(*parsed.message)) {
      unit::fail(file, line, G_STRFUNC, "peer " + id + " got an unexpected message: " + frame);
      return T{};
    }
    return std::get<T>(*parsed.message);
  }
  // The raw text of the oldest frame, without removing it.
  std::string peek() const { return wire.empty() ? std::string("<nothing>") : wire.front(); }
  std::string all() const {
    std::string out;
    for (const auto &w : wire) out += "\n    " + w;
    return out;
  }
};

#define TAKE(peer, T) (peer).take<T>(__FILE__, __LINE__)
#define EXPECT_NOTHING(peer)                                                                                   \
  do {                                                                                                         \
    if (!(peer).wire.empty())                                                                                  \
      unit::fail(__FILE__, __LINE__, G_STRFUNC, "peer " + (peer).id + " got unexpected frames:" + (peer).all()); \
  } while (0)
// An `error` whose details mention `needle`.
#define EXPECT_ERROR(peer, needle)                  \
  do {                                              \
    Error e_ = TAKE(peer, Error);                   \
    UNIT_ASSERT_CONTAINS(e_.details, needle);       \
  } while (0)

struct World {
  Hub hub;
  World() = default;
  explicit World(Hub::Limits limits) : hub(limits) {}
  std::vector<std::unique_ptr<FakePeer>> peers;

  FakePeer &connect() {
    auto p = std::make_unique<FakePeer>();
    FakePeer *raw = p.get();
    raw->id = hub.add_peer([raw](const ServerMessage &m) { raw->wire.push_back(to_json(m)); });
    peers.push_back(std::move(p));
    return *raw;
  }
  // Connects and swallows the welcome.
  FakePeer &connect_quiet() {
    FakePeer &p = connect();
    p.wire.clear();
    return p;
  }
  void send(FakePeer &p, const std::string &json) { hub.handle_text(p.id, json); }
  void set_status(FakePeer &p, const std::string &roles_json, const std::string &meta_json = "null") {
    send(p, R"({"type":"setPeerStatus","roles":)" + roles_json + R"(,"meta":)" + meta_json + "}");
  }
  void clear_all() {
    for (auto &p : peers) p->wire.clear();
  }
  // consumer starts a session with producer; returns the session id. Both
  // inboxes are left empty.
  std::string start(FakePeer &from, FakePeer &to) {
    send(from, R"({"type":"startSession","peerId":")" + to.id + R"("})");
    SessionStarted started = TAKE(from, SessionStarted);
    StartSession request = TAKE(to, StartSession);
    g_assert_true(started.session_id == request.session_id);
    return started.session_id;
  }
};

inline std::string peer_sdp(const std::string &sid, const char *type, const char *sdp) {
  return R"({"type":"peer","sessionId":")" + sid + R"(","sdp":{"type":")" + type + R"(","sdp":)" + js(sdp) + "}}";
}
inline std::string peer_ice(const std::string &sid, const std::string &candidate, int mline) {
  return R"({"type":"peer","sessionId":")" + sid + R"(","ice":{"candidate":)" + js(candidate) +
         R"(,"sdpMLineIndex":)" + std::to_string(mline) + "}}";
}
inline std::string end_session(const std::string &sid) { return R"({"type":"endSession","sessionId":")" + sid + R"("})"; }

inline std::string wire_type(const std::string &frame) { return unit::json_member(frame, "type"); }

}  // namespace hubtest
