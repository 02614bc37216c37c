// SPDX-License-Identifier: LGPL-2.1-or-later
//
// RAII for GLib / GStreamer references. Every reference that crosses a
// function boundary in this project travels in one of these. Construction is
// explicit about ownership: adopt() takes a reference the caller already owns
// (a "transfer full" return value), ref() adds one.
#pragma once

#include <gst/gst.h>

#include <memory>
#include <string>
#include <utility>

namespace webrtclive {

template <typename T>
struct GObjectUnref {
  void operator()(T *p) const { g_object_unref(p); }
};

// Owning pointer to any GObject (GstElement, GstPad, SoupServer, ...).
template <typename T>
class GRef {
 public:
  GRef() = default;
  static GRef adopt(T *p) { return GRef(p); }
  static GRef ref(T *p) { return GRef(p ? static_cast<T *>(g_object_ref(p)) : nullptr); }
  GRef(const GRef &o) : p_(o.p_ ? static_cast<T *>(g_object_ref(o.p_)) : nullptr) {}
  GRef(GRef &&o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  GRef &operator=(GRef o) noexcept {
    std::swap(p_, o.p_);
    return *this;
  }
  ~GRef() {
    if (p_) g_object_unref(p_);
  }
  T *get() const { return p_; }
  T *operator->() const { return p_; }
  explicit operator bool() const { return p_ != nullptr; }
  [[nodiscard]] T *release() { return std::exchange(p_, nullptr); }
  void reset() { *this = GRef(); }

 private:
  explicit GRef(T *p) : p_(p) {}
  T *p_ = nullptr;
};

struct GFreeDeleter {
  void operator()(gpointer p) const { g_free(p); }
};
using GCharPtr = std::unique_ptr<gchar, GFreeDeleter>;

struct CapsDeleter {
  void operator()(GstCaps *c) const { gst_caps_unref(c); }
};
using CapsPtr = std::unique_ptr<GstCaps, CapsDeleter>;

struct StructureDeleter {
  void operator()(GstStructure *s) const { gst_structure_free(s); }
};
using StructurePtr = std::unique_ptr<GstStructure, StructureDeleter>;

struct ErrorDeleter {
  void operator()(GError *e) const { g_error_free(e); }
};
using ErrorPtr = std::unique_ptr<GError, ErrorDeleter>;

struct PromiseDeleter {
  void operator()(GstPromise *p) const { gst_promise_unref(p); }
};
using PromisePtr = std::unique_ptr<GstPromise, PromiseDeleter>;

struct MainContextDeleter {
  void operator()(GMainContext *c) const { g_main_context_unref(c); }
};
using MainContextPtr = std::unique_ptr<GMainContext, MainContextDeleter>;

struct MainLoopDeleter {
  void operator()(GMainLoop *l) const { g_main_loop_unref(l); }
};
using MainLoopPtr = std::unique_ptr<GMainLoop, MainLoopDeleter>;

inline std::string take_string(gchar *s) {
  GCharPtr owned(s);
  return s ? std::string(s) : std::string();
}

// Runs `fn` on `context`'s thread (or at once when the caller owns it).
// The functor is moved to the heap and destroyed after it ran, or with the
// context if it never runs.
template <typename Fn>
void invoke_on(GMainContext *context, Fn &&fn, gint priority = G_PRIORITY_DEFAULT) {
  using F = std::decay_t<Fn>;
  auto *heap = new F(std::forward<Fn>(fn));
  g_main_context_invoke_full(
      context, priority,
      [](gpointer data) -> gboolean {
        (*static_cast<F *>(data))();
        return G_SOURCE_REMOVE;
      },
      heap, [](gpointer data) { delete static_cast<F *>(data); });
}

// Queues `fn` to run on `context`'s thread from its main loop, never at once,
// even when the caller is that thread (so callers may hold locks or be in the
// middle of a callback that must not be re-entered).
template <typename Fn>
void post_to(GMainContext *context, Fn &&fn, gint priority = G_PRIORITY_DEFAULT) {
  using F = std::decay_t<Fn>;
  GSource *source = g_idle_source_new();
  g_source_set_priority(source, priority);
  g_source_set_callback(
      source,
      [](gpointer data) -> gboolean {
        (*static_cast<F *>(data))();
        return G_SOURCE_REMOVE;
      },
      new F(std::forward<Fn>(fn)), [](gpointer data) { delete static_cast<F *>(data); });
  g_source_attach(source, context);
  g_source_unref(source);
}

}  // namespace webrtclive
