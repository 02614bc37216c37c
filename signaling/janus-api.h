// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The pure parts of Janus signalling (janus-publisher.h, janus-subscriber.h):
// what a janus:// URL says, the Janus API requests we send (JSON text) and
// what we read out of Janus's replies and events. No network, no GStreamer;
// json-glib only.
//
// Janus's API over its WebSocket transport (subprotocol "janus-protocol"):
// every request carries a "transaction"; replies are "success"/"error" (core
// requests: create, attach, detach, destroy), "ack" then an "event" carrying
// "plugindata" (plugin messages: join, publish, leave), or "ack" alone
// (keepalive, trickle). Asynchronous events name their handle in "sender":
// "webrtcup", "media", "slowlink", "hangup", "detached"; "timeout" names the
// session.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "protocol.h"

namespace webrtclive::janus {

constexpr size_t kMaxDisplayChars = 128;
constexpr size_t kMaxSecretChars = 512;  // pin, token, apisecret
constexpr size_t kMaxIdChars = 64;       // a string id (Janus with string_ids)
// Publishers read from one message; more are dropped (and counted). Also
// the most a subscriber follows and subscribes to at once.
constexpr size_t kMaxPublishers = 64;
constexpr size_t kMaxCandidateChars = 1024;

// What a janus:// (or januss://) URL says:
//   janus://HOST[:PORT][/PATH]?room=ROOM[&display=NAME][&pin=PIN][&token=T]
//         [&apisecret=S][&videocodec=vp8,h264][&audiocodec=opus]
//         [&feed=NAME-OR-ID]
// janus:// is a ws:// connection, januss:// a wss:// one. ROOM is a number
// (digits) or, for Janus set up with string_ids, any other text. feed= and
// producers= are for a subscriber (webrtclivesrc).
struct Target {
  std::string ws_url;  // the WebSocket URL (no query)
  std::string room;
  bool room_is_number = true;
  std::string display;                      // "" = the element's name
  std::string pin, token, apisecret;        // never logged
  std::vector<std::string> video_codecs;    // what the room takes ("" = not said)
  std::vector<std::string> audio_codecs;
  std::string feed;             // subscribe to this publisher: its display name or id ("" = any)
};

// A participant's id: a number (1..2^53-1) as decimal text, or for a Janus
// set up with string_ids a string (printable, at most kMaxIdChars).
struct Id {
  std::string text;
  bool number = true;
  bool empty() const { return text.empty(); }
  bool operator==(const Id &) const = default;
};

bool is_janus_url(const std::string &url);
// `name` made a display: cut to kMaxDisplayChars bytes, on a UTF-8 boundary.
std::string display_name(std::string name);
// The Target, or nothing and why (never repeating a secret).
std::optional<Target> parse_url(const std::string &url, std::string *error);

// ---- requests ----------------------------------------------------------------------

std::string create_request(const Target &t, const std::string &tx);
std::string attach_request(const Target &t, const std::string &tx, uint64_t session, const char *plugin);
std::string join_publisher_request(const Target &t, const std::string &tx, uint64_t session, uint64_t handle,
                                   const std::string &display);
std::string publish_request(const Target &t, const std::string &tx, uint64_t session, uint64_t handle,
                            const protocol::Sdp &offer);
// Subscribes the handle to every stream of publisher `feed`, without
// Janus's automatic renegotiation when it leaves (autoupdate: false); pin
// and token as for a publisher; `private_id` (0 = none) ties it to our
// participant.
std::string join_subscriber_request(const Target &t, const std::string &tx, uint64_t session, uint64_t handle,
                                    const Id &feed, uint64_t private_id);
// A subscriber's answer to Janus's offer.
std::string start_request(const Target &t, const std::string &tx, uint64_t session, uint64_t handle,
                          const protocol::Sdp &answer);
std::string detach_request(const Target &t, const std::string &tx, uint64_t session, uint64_t handle);
// `ice` nullptr = end of candidates ({"completed": true}). `mid` "" = none
// (Janus then goes by sdpMLineIndex).
std::string trickle_request(const Target &t, const std::string &tx, uint64_t session, uint64_t handle,
                            const protocol::Ice *ice, const std::string &mid);
std::string keepalive_request(const Target &t, const std::string &tx, uint64_t session);
std::string leave_request(const Target &t, const std::string &tx, uint64_t session, uint64_t handle);
std::string destroy_request(const Target &t, const std::string &tx, uint64_t session);

// The a=mid of each m-line of `sdp`, in order ("" where an m-line has none).
std::vector<std::string> mids_of(const std::string &sdp);

// ---- replies and events ---------------------------------------------------------------

struct Publisher {  // an entry of a VideoRoom "publishers" list
  Id id;
  std::string display;  // UTF-8, no control characters, at most kMaxDisplayChars bytes
};

struct Candidate {  // a "trickle" from Janus
  std::string candidate;
  int mline = -1;   // sdpMLineIndex (0..255), -1 = not said
  std::string mid;  // sdpMid, "" = not said
  bool completed = false;
};

struct Message {
  std::string janus;  // "success", "error", "ack", "event", "webrtcup", "hangup", ...
  std::string transaction;
  uint64_t session_id = 0;
  uint64_t sender = 0;  // the handle an event concerns
  uint64_t data_id = 0;  // success: data.id (a new session or handle)
  int error_code = 0;    // Janus's error, or the plugin's (plugindata.data.error_code)
  std::string error;     // its words, sanitized (printable, bounded)
  std::string videoroom;  // plugindata.data.videoroom: "joined", "event", ...
  bool plugin_event = false;  // had plugindata
  bool configured = false;    // plugindata.data.configured == "ok"
  std::optional<protocol::Sdp> jsep;
  std::string reason;  // hangup: why (sanitized)
  // VideoRoom (plugindata.data):
  Id id;                    // "joined": our participant id
  uint64_t private_id = 0;  // "joined": ours
  std::vector<Publisher> publishers;  // "joined" / "event": publishers with media, at most kMaxPublishers
  size_t publishers_dropped = 0;      // entries beyond that bound, or unreadable
  Id unpublished;  // "event": a publisher stopped publishing ("ok" of our own request reads as none)
  Id leaving;      // "event": a participant left the room, or was kicked
  bool started = false;  // a subscriber's start: "started": "ok"
  std::optional<Candidate> candidate;  // "trickle"
};

// Parses one text frame from Janus. Nothing and why when it is not a Janus
// message (not JSON, not an object, no "janus" string, a jsep that is not
// {type: offer|answer, sdp: string}).
std::optional<Message> parse_message(const std::string &text, std::string *error);
// A reply that is a refusal: "error", or the plugin's error_code.
inline bool is_error(const Message &m) { return m.janus == "error" || m.error_code != 0; }

// What a user should read for an error code of Janus or of the VideoRoom
// plugin, with the server's own words: "no such room 1234 (Janus 426: ...)".
std::string describe_error(int code, const std::string &words, const Target &t);

}  // namespace webrtclive::janus
