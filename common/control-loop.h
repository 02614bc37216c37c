// SPDX-License-Identifier: LGPL-2.1-or-later
//
// A thread running its own GMainContext: where an element makes its
// decisions (see docs/architecture.md). Others post work to it with post_to().
#pragma once

#include <functional>
#include <future>
#include <thread>

#include "gobj.h"

namespace webrtclive {

class ControlLoop {
 public:
  ControlLoop() = default;
  ControlLoop(const ControlLoop &) = delete;
  ControlLoop &operator=(const ControlLoop &) = delete;
  ~ControlLoop() { stop([] {}); }

  void start() {
    context_.reset(g_main_context_new());
    loop_.reset(g_main_loop_new(context_.get(), FALSE));
    thread_ = std::thread([ctx = context_.get(), loop = loop_.get()] {
      g_main_context_push_thread_default(ctx);
      g_main_loop_run(loop);
      g_main_context_pop_thread_default(ctx);
    });
  }

  // Runs `last` on the loop's thread once everything posted before it ran,
  // then ends the loop and joins the thread. Work posted later never runs
  // (its sources are freed with the context). Idempotent.
  void stop(const std::function<void()> &last) {
    if (!thread_.joinable()) return;
    std::promise<void> done;
    post_to(context_.get(), [&] {
      last();
      g_main_loop_quit(loop_.get());
      done.set_value();
    });
    done.get_future().wait();
    thread_.join();
  }

  GMainContext *context() const { return context_.get(); }

 private:
  MainContextPtr context_;
  MainLoopPtr loop_;
  std::thread thread_;
};

}  // namespace webrtclive
