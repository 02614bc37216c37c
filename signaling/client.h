// SPDX-License-Identifier: LGPL-2.1-or-later
//
// A signalling WebSocket client (libsoup 3) that stays connected: on any
// failure or close it reconnects with exponential backoff and jitter, and
// tells its owner each time. It moves protocol messages; it knows no SDP.
//
// Threading: the client owns a thread with its own GMainContext where every
// libsoup object lives. start()/stop()/send() may be called from any thread
// and never block on the network. Callbacks run on the client thread, with
// no lock of ours held. stop() joins that thread, so no callback runs after
// it returned; called from inside a callback it only ends the loop (the
// callback under way finishes, none follows) and the thread exits by itself.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gobj.h"
#include "protocol.h"

namespace webrtclive {

class WsClient {
 public:
  struct Options {
    std::string url;                  // ws:// or wss://
    std::string ca_file;              // PEM bundle to trust for wss (empty = system store)
    bool insecure = false;            // accept any server certificate (tests, self-signed)
    std::vector<std::pair<std::string, std::string>> headers;  // extra handshake headers (e.g. a token)
    std::vector<std::string> protocols;  // WebSocket subprotocols offered (e.g. "janus-protocol"); none = none
    size_t max_message_bytes = 0;        // larger incoming messages close the connection; 0 = libsoup's 128 KiB
    unsigned connect_timeout_ms = 10000;
    unsigned backoff_min_ms = 500;    // first retry after [min/2, min]
    unsigned backoff_max_ms = 10000;  // retries never wait longer than this
  };
  struct Callbacks {
    std::function<void()> connected;
    std::function<void(const protocol::ServerMessage &)> message;
    // The connection failed or closed; the next attempt starts in `retry_ms`.
    std::function<void(const std::string &why, unsigned retry_ms)> disconnected;
    std::function<void(const std::string &details)> bad_message;  // unparseable server text
    // Raw mode (another protocol than ours, e.g. Janus's): when set, every
    // text message is handed over as it came and `message` / `bad_message`
    // are not used.
    std::function<void(const std::string &text)> text;
  };

  WsClient();
  ~WsClient();
  WsClient(const WsClient &) = delete;
  WsClient &operator=(const WsClient &) = delete;

  // Validates the options (URL scheme, CA file) and starts connecting.
  [[nodiscard]] bool start(Options options, Callbacks callbacks, std::string *error);
  void stop();
  // Queued to the client thread; dropped (with a debug log) when not connected.
  void send(protocol::ClientMessage msg);
  // The same for a text of the caller's own (raw mode).
  void send_text(std::string text);
  // Runs `fn` on the client thread after `ms` (never at once); dropped when
  // the client stops first.
  void call_later(unsigned ms, std::function<void()> fn);

  // Pure: the delay before retry number `attempt` (0-based), given a random
  // value in [0,1): min(max, min * 2^attempt) scaled into [50%, 100%].
  static unsigned backoff_ms(unsigned attempt, unsigned min_ms, unsigned max_ms, double random01);

 private:
  struct Impl;
  template <typename Make>
  void send_when_open(Make make);
  std::shared_ptr<Impl> impl_;
  std::thread thread_;
  std::mutex mutex_;  // a leaf: guards impl_ and thread_
};

}  // namespace webrtclive
