// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Per-test watchdog: if a test is still running after `seconds`, print every
// thread's backtrace (gdb attached to this process) and abort.
#pragma once

#include <glib.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

namespace webrtclive::test {

class Watchdog {
 public:
  Watchdog(const char *name, int seconds) : name_(name) {
    thread_ = std::thread([this, seconds] {
      std::unique_lock lock(mutex_);
      if (cv_.wait_for(lock, std::chrono::seconds(seconds), [this] { return done_; })) return;
      fire(seconds);
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
  Watchdog(const Watchdog &) = delete;
  Watchdog &operator=(const Watchdog &) = delete;

 private:
  void fire(int seconds) {
    std::fprintf(stderr, "WATCHDOG: test %s still running after %d s; backtraces of every thread:\n", name_.c_str(),
                 seconds);
    std::fflush(stderr);
#ifdef PR_SET_PTRACER
    prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
#endif
    std::string pid = std::to_string(getpid());
    const char *argv[] = {"gdb", "-p", pid.c_str(), "-batch", "-nx", "-ex", "thread apply all bt", nullptr};
    gchar *out = nullptr;
    gchar *err = nullptr;
    if (g_spawn_sync(nullptr, const_cast<gchar **>(argv), nullptr, G_SPAWN_SEARCH_PATH, nullptr, nullptr, &out, &err,
                     nullptr, nullptr)) {
      std::fprintf(stderr, "%s\n%s\n", out ? out : "", err ? err : "");
    } else {
      std::fprintf(stderr, "WATCHDOG: could not run gdb for backtraces\n");
    }
    g_free(out);
    g_free(err);
    std::fflush(stderr);
    std::abort();
  }

  std::string name_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

}  // namespace webrtclive::test
