// SPDX-License-Identifier: LGPL-2.1-or-later
//
// RAII for pad probes and callbacks that outlive nothing they point at.
// A probe's callable is owned by the probe (freed with it, by GStreamer), so
// no context struct is ever leaked or freed twice; a ProbeHandle removes a
// long-lived probe when its owner goes.
#pragma once

#include <gst/gst.h>

#include <memory>
#include <type_traits>
#include <utility>

#include "gobj.h"

namespace webrtclive {

// Installs `fn(GstPad *, GstPadProbeInfo *) -> GstPadProbeReturn` on `pad`.
// For probes that remove themselves (return GST_PAD_PROBE_REMOVE) or that
// live as long as the pad; anything else goes in a ProbeHandle.
template <typename F>
gulong add_probe_fn(GstPad *pad, GstPadProbeType type, F &&fn) {
  using Fn = std::decay_t<F>;
  return gst_pad_add_probe(
      pad, type,
      [](GstPad *p, GstPadProbeInfo *info, gpointer data) -> GstPadProbeReturn {
        return (*static_cast<Fn *>(data))(p, info);
      },
      new Fn(std::forward<F>(fn)), [](gpointer data) { delete static_cast<Fn *>(data); });
}

// A probe that is removed with this handle (move-only).
class ProbeHandle {
 public:
  ProbeHandle() = default;
  ProbeHandle(GstPad *pad, gulong id) : pad_(GRef<GstPad>::ref(pad)), id_(id) {}
  ProbeHandle(ProbeHandle &&o) noexcept : pad_(std::move(o.pad_)), id_(std::exchange(o.id_, 0)) {}
  ProbeHandle &operator=(ProbeHandle &&o) noexcept {
    if (this != &o) {
      reset();
      pad_ = std::move(o.pad_);
      id_ = std::exchange(o.id_, 0);
    }
    return *this;
  }
  ProbeHandle(const ProbeHandle &) = delete;
  ProbeHandle &operator=(const ProbeHandle &) = delete;
  ~ProbeHandle() { reset(); }

  void reset() {
    if (id_ && pad_) gst_pad_remove_probe(pad_.get(), id_);
    id_ = 0;
    pad_.reset();
  }
  explicit operator bool() const { return id_ != 0; }

 private:
  GRef<GstPad> pad_;
  gulong id_ = 0;
};

template <typename F>
[[nodiscard]] ProbeHandle add_probe(GstPad *pad, GstPadProbeType type, F &&fn) {
  return ProbeHandle(pad, add_probe_fn(pad, type, std::forward<F>(fn)));
}

// `fn(T &, args...)` while `owner` lives, a no-op after.
template <typename T, typename F>
auto weak_bind(std::weak_ptr<T> owner, F fn) {
  return [owner = std::move(owner), fn = std::move(fn)](auto &&...args) {
    if (auto o = owner.lock()) fn(*o, std::forward<decltype(args)>(args)...);
  };
}

inline GstPadProbeType probe_types(std::initializer_list<GstPadProbeType> types) {
  unsigned t = 0;
  for (auto x : types) t |= x;
  return static_cast<GstPadProbeType>(t);
}

}  // namespace webrtclive
