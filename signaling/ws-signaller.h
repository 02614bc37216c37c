// SPDX-License-Identifier: LGPL-2.1-or-later
//
// A ProducerSignaller over a WebSocket to any compatible signalling server.
// It registers as a producer, and when the server goes away it keeps what is
// already streaming (sessions live in webrtcbin, not in the socket), reports
// a warning, reconnects with backoff and registers again.
#pragma once

#include <mutex>
#include <set>

#include "client.h"
#include "signaller.h"

namespace webrtclive {

class WsProducerSignaller : public ProducerSignaller {
 public:
  struct Options {
    WsClient::Options client;
    protocol::Meta meta;
  };
  explicit WsProducerSignaller(Options options) : options_(std::move(options)) {}
  ~WsProducerSignaller() override { stop(); }

  bool start(Callbacks callbacks, std::string *error) override;
  void stop() override;
  void send_sdp(const std::string &session_id, const protocol::Sdp &sdp) override;
  void send_ice(const std::string &session_id, const protocol::Ice &ice) override;
  void end_session(const std::string &session_id, const std::optional<std::string> &reason) override;
  std::vector<std::string> urls() const override { return {}; }

 private:
  void on_message(const protocol::ServerMessage &msg);
  bool known(const std::string &session_id);

  Options options_;
  Callbacks callbacks_;
  WsClient client_;
  std::mutex mutex_;
  // Sessions started through the current connection: after a reconnect the
  // server knows none of the old ones, so messages for those are not sent.
  std::set<std::string> sessions_;
};

}  // namespace webrtclive
