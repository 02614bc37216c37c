// SPDX-License-Identifier: LGPL-2.1-or-later
//
// A ProducerSignaller that runs its own SignallingServer (viewer page +
// WebSocket on one port) and registers the producer in it, in-process.
// Callbacks run on the server thread.
#pragma once

#include <memory>
#include <mutex>

#include "server.h"
#include "signaller.h"

namespace webrtclive {

class EmbeddedSignaller : public ProducerSignaller {
 public:
  struct Options {
    SignallingServer::Options server;
    protocol::Meta meta;  // the producer's meta (e.g. {"name": "..."})
  };
  explicit EmbeddedSignaller(Options options) : options_(std::move(options)) {}
  ~EmbeddedSignaller() override { stop(); }

  bool start(Callbacks callbacks, std::string *error) override;
  void stop() override;
  void send_sdp(const std::string &session_id, const protocol::Sdp &sdp) override;
  void send_ice(const std::string &session_id, const protocol::Ice &ice) override;
  void end_session(const std::string &session_id, const std::optional<std::string> &reason) override;
  std::vector<std::string> urls() const override;
  unsigned port() const;

 private:
  void on_message(const protocol::ServerMessage &msg);
  void send(protocol::ClientMessage msg);

  Options options_;
  Callbacks callbacks_;
  std::unique_ptr<SignallingServer> server_;
  std::shared_ptr<SignallingServer::LocalPeer> peer_;
  mutable std::mutex mutex_;  // guards server_ and peer_ pointers
};

}  // namespace webrtclive
