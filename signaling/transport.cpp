// SPDX-License-Identifier: LGPL-2.1-or-later
#include "transport.h"

#include <thread>

namespace webrtclive {

bool WsTransport::start(Callbacks callbacks, std::string *error) {
  WsClient::Callbacks cb;
  cb.connected = std::move(callbacks.connected);
  cb.message = std::move(callbacks.message);
  cb.disconnected = std::move(callbacks.disconnected);
  cb.bad_message = std::move(callbacks.bad_message);
  return client_.start(options_, std::move(cb), error);
}

bool EmbeddedTransport::start(Callbacks callbacks, std::string *error) {
  std::lock_guard lock(mutex_);
  if (server_) return true;
  auto server = std::make_unique<SignallingServer>();
  if (!server->start(options_, error)) return false;
  auto first = std::make_shared<bool>(true);  // only touched on the server thread
  peer_ = server->add_local_peer([on_message = std::move(callbacks.message), connected = std::move(callbacks.connected),
                                  first](const protocol::ServerMessage &m) {
    if (*first && connected) connected();
    *first = false;
    if (on_message) on_message(m);
  });
  server_ = std::move(server);
  alive_ = std::make_shared<std::atomic<bool>>(true);
  return true;
}

void EmbeddedTransport::stop() {
  std::unique_ptr<SignallingServer> server;
  std::shared_ptr<SignallingServer::LocalPeer> peer;
  {
    std::lock_guard lock(mutex_);
    server = std::move(server_);
    peer = std::move(peer_);
    if (alive_) *alive_ = false;
    alive_.reset();
  }
  // Drop the peer first: its destructor waits for a callback under way
  // (unless that callback is the caller), and none starts after it.
  peer.reset();
  if (!server) return;
  if (server->on_server_thread()) {
    // Called from inside one of our callbacks: the server thread cannot
    // join itself. A reaper stops (and frees) it once the callback returned.
    std::thread([s = std::move(server)] { s->stop(); }).detach();
    return;
  }
  server->stop();
}

void EmbeddedTransport::send(protocol::ClientMessage msg) {
  std::lock_guard lock(mutex_);
  if (peer_) peer_->send(std::move(msg));
}

void EmbeddedTransport::call_later(unsigned ms, std::function<void()> fn) {
  std::lock_guard lock(mutex_);
  if (!server_) return;
  struct Job {
    std::shared_ptr<std::atomic<bool>> alive;
    std::function<void()> fn;
  };
  GSource *source = g_timeout_source_new(ms);
  g_source_set_callback(
      source,
      [](gpointer d) -> gboolean {
        auto *job = static_cast<Job *>(d);
        if (*job->alive && job->fn) job->fn();
        return G_SOURCE_REMOVE;
      },
      new Job{alive_, std::move(fn)}, [](gpointer d) { delete static_cast<Job *>(d); });
  g_source_attach(source, server_->context());
  g_source_unref(source);
}

std::vector<std::string> EmbeddedTransport::urls() const {
  std::lock_guard lock(mutex_);
  return server_ ? server_->urls() : std::vector<std::string>{};
}

unsigned EmbeddedTransport::port() const {
  std::lock_guard lock(mutex_);
  return server_ ? server_->port() : 0;
}

}  // namespace webrtclive
