// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The pure parts of Janus signalling (janus-publisher.h): what a janus://
// URL says, the Janus API requests we send (JSON text) and what we read out
// of Janus's replies and events. No network, no GStreamer; json-glib only.
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

// What a janus:// (or januss://) URL says:
//   janus://HOST[:PORT][/PATH]?room=ROOM[&display=NAME][&pin=PIN][&token=T]
//         [&apisecret=S][&videocodec=vp8,h264][&audiocodec=opus]
// janus:// is a ws:// connection, januss:// a wss:// one. ROOM is a number
// (digits) or, for Janus set up with string_ids, any other text.
struct Target {
  std::string ws_url;  // the WebSocket URL (no query)
  std::string room;
  bool room_is_number = true;
  std::string display;                      // "" = the producer's name
  std::string pin, token, apisecret;        // never logged
  std::vector<std::string> video_codecs;    // what the room takes ("" = not said)
  std::vector<std::string> audio_codecs;
};

bool is_janus_url(const std::string &url);
// The Target, or nothing and why (never repeating a secret).
std::optional<Target> parse_url(const std::string &url, std::string *error);

// ---- requests ----------------------------------------------------------------------

std::string create_request(const Target &t, const std::string &tx);
std::string attach_request(const Target &t, const std::string &tx, uint64_t session, const char *plugin);
std::string join_publisher_request(const Target &t, const std::string &tx, uint64_t session, uint64_t handle,
                                   const std::string &display);
std::string publish_request(const Target &t, const std::string &tx, uint64_t session, uint64_t handle,
                            const protocol::Sdp &offer);
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
};

// Parses one text frame from Janus. Nothing and why when it is not a Janus
// message (not JSON, not an object, no "janus" string, a jsep that is not
// {type: offer|answer, sdp: string}).
std::optional<Message> parse_message(const std::string &text, std::string *error);

// What a user should read for an error code of Janus or of the VideoRoom
// plugin, with the server's own words: "no such room 1234 (Janus 426: ...)".
std::string describe_error(int code, const std::string &words, const Target &t);

}  // namespace webrtclive::janus
