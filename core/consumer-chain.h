// SPDX-License-Identifier: LGPL-2.1-or-later
//
// One consumer m-line's chain, from a shared branch to its webrtcbin:
//
//   ghost(isolating) ▶ queue(leaky, 500 ms) ▶ payloader [▶ capssetter] ▶ webrtcbin sink pad
//
// Isolation: whatever goes wrong behind the ghost pad is reported once and
// answered with OK, and serialized queries are answered at the ghost pad, so
// one consumer never stops or holds the shared tee (see docs/architecture.md).
// Until the peer's DTLS identity is checked, its Session holds buffers at
// the webrtcbin's sink pad; the leaky queue meanwhile keeps the last 500 ms.
//
// Threads: built on the control thread; on_failure is called on a
// streaming thread, at most once, and must only post.
#pragma once

#include <gst/gst.h>

#include <functional>
#include <memory>
#include <string>

#include "codecs.h"
#include "gobj.h"
#include "pad-probe.h"

namespace webrtclive {

class ConsumerChain {
 public:
  struct Config {
    GstElement *bin = nullptr;      // the consumer's bin; the chain's elements and ghost pad go in here
    unsigned mline = 0;             // names the ghost pad sink_<mline>
    OfferedCodec codec{};           // what the consumer chose
    guint ssrc = 0;                 // announced in the offer
    GstPad *webrtc_pad = nullptr;   // where the chain ends (a webrtcbin sink pad)
    std::function<void(const std::string &what)> on_failure;
  };

  // Null (and a sentence in `error`) when an element is missing or a link
  // fails; elements already added stay in the bin, which goes with its consumer.
  [[nodiscard]] static std::unique_ptr<ConsumerChain> build(const Config &config, std::string *error);

  ConsumerChain(const ConsumerChain &) = delete;
  ConsumerChain &operator=(const ConsumerChain &) = delete;

  GstPad *sink_pad() const { return ghost_.get(); }  // attach this to a shared branch
  GstPad *queue_sink() const { return queue_sink_.get(); }
  GstPad *queue_src() const { return queue_src_.get(); }
  GstElement *queue() const { return queue_.get(); }
  GstElement *payloader() const { return pay_.get(); }

 private:
  ConsumerChain() = default;

  GRef<GstElement> queue_;
  GRef<GstElement> pay_;
  GRef<GstElement> setter_;  // capssetter, H.264 only
  GRef<GstPad> queue_sink_;
  GRef<GstPad> queue_src_;
  GRef<GstPad> ghost_;
};

// The one door from the shared stream into a consumer's bin: a ghost pad on
// `bin` targeting `target`. Flow errors and refused sticky events become one
// call of `on_failure` and OK; serialized queries are answered here.
GstPad *make_isolating_pad(GstElement *bin, GstPad *target, const std::string &name,
                           std::function<void(const std::string &what)> on_failure);

}  // namespace webrtclive
