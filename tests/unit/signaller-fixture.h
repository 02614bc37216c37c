// SPDX-License-Identifier: LGPL-2.1-or-later
//
// For the protocol driver tests: a real SignallingServer on a free loopback
// port, an event log that callbacks write to from their threads and the test
// waits on, and a watchdog that prints every thread's backtrace and aborts
// when a test hangs (a deadlock must fail, not stall the suite).
#pragma once

#include <glib.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "client.h"
#include "server.h"
#include "unit-helpers.h"

namespace sigtest {

using namespace std::chrono_literals;

// Arms on construction, disarms on destruction.
class Watchdog {
 public:
  explicit Watchdog(std::chrono::seconds limit = std::chrono::seconds(15)) {
    thread_ = std::thread([this, limit] {
      std::unique_lock lock(mutex_);
      if (cv_.wait_for(lock, limit, [this] { return done_; })) return;
      fprintf(stderr, "watchdog: test still running after %lld s; backtraces:\n", static_cast<long long>(limit.count()));
      std::string cmd = "gdb -batch -nx -p " + std::to_string(getpid()) + " -ex 'thread apply all bt' 1>&2 2>/dev/null";
      if (system(cmd.c_str()) != 0) fprintf(stderr, "watchdog: (no gdb to print backtraces)\n");
      abort();
    });
  }
  ~Watchdog() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

// Events as short strings ("started sid peer name"), in order.
class Log {
 public:
  void add(std::string event) {
    std::lock_guard lock(mutex_);
    events_.push_back(std::move(event));
    cv_.notify_all();
  }
  // How many events start with `prefix`.
  size_t count(const std::string &prefix) {
    std::lock_guard lock(mutex_);
    return count_locked(prefix);
  }
  // Waits until `n` events start with `prefix`; returns the n-th, or fails the test.
  std::string wait(const std::string &prefix, size_t n = 1, std::chrono::milliseconds timeout = 5000ms) {
    std::unique_lock lock(mutex_);
    if (!cv_.wait_for(lock, timeout, [&] { return count_locked(prefix) >= n; })) {
      std::string all;
      for (auto &e : events_) all += "\n    " + e;
      unit::fail(__FILE__, __LINE__, G_STRFUNC,
                 "no " + std::to_string(n) + "x '" + prefix + "' within " + std::to_string(timeout.count()) +
                     " ms; events:" + all);
      return {};
    }
    size_t seen = 0;
    for (auto &e : events_)
      if (e.rfind(prefix, 0) == 0 && ++seen == n) return e;
    return {};
  }
  std::vector<std::string> all() {
    std::lock_guard lock(mutex_);
    return events_;
  }

 private:
  size_t count_locked(const std::string &prefix) {
    size_t n = 0;
    for (auto &e : events_) n += e.rfind(prefix, 0) == 0;
    return n;
  }
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::string> events_;
};

// The n-th space-separated word of an event (0 = its kind).
inline std::string word(const std::string &event, unsigned n) {
  size_t start = 0;
  for (unsigned i = 0; i < n; i++) {
    start = event.find(' ', start);
    if (start == std::string::npos) return {};
    start++;
  }
  size_t end = event.find(' ', start);
  return event.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

// A standalone server on a free loopback port, for WebSocket peers.
struct Server {
  webrtclive::SignallingServer server;
  Server() {
    webrtclive::SignallingServer::Options o;
    o.address = "127.0.0.1";
    o.port = 0;
    std::string error;
    if (!server.start(o, &error)) g_error("cannot start the server: %s", error.c_str());
  }
  std::string url() const { return "ws://127.0.0.1:" + std::to_string(server.port()) + "/"; }
};

inline webrtclive::WsClient::Options ws(const std::string &url) {
  webrtclive::WsClient::Options o;
  o.url = url;
  o.backoff_min_ms = 50;
  o.backoff_max_ms = 200;
  return o;
}

inline webrtclive::SignallingServer::Options loopback() {
  webrtclive::SignallingServer::Options o;
  o.address = "127.0.0.1";
  o.port = 0;
  return o;
}

}  // namespace sigtest
