// SPDX-License-Identifier: LGPL-2.1-or-later
//
// One consumer m-line's chain, from a shared branch to its webrtcbin:
//
//   ghost(isolating, holding) ▶ payloader [▶ capssetter] ▶ webrtcbin sink pad
//
// No thread of its own: the shared branch's streaming thread (the tee's)
// payloads for every consumer and hands the packets to webrtcbin, whose own
// queue is the thread boundary (decision 88).
//
// Isolation: whatever goes wrong behind the ghost pad is reported once and
// answered with OK, and serialized queries are answered at the ghost pad, so
// one consumer never stops or holds the shared tee (see docs/architecture.md).
// Holding: until the peer's DTLS identity is checked (`verified`), nothing
// passes the ghost pad; it keeps what came since the last keyframe (at most
// kHoldTime of it) and, once verified, sends that first: the consumer
// starts on the keyframe it was given at its join, without a thread to wait
// in and without blocking the tee.
//
// Threads: built on the control thread; the ghost pad's chain runs on the
// branch's streaming thread (its stream lock serializes it); on_failure is
// called on a streaming thread, at most once, and must only post.
#pragma once

#include <gst/gst.h>

#include <atomic>
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
    // Set once the peer's DTLS identity matched (Session::verified()); null:
    // nothing is held.
    std::shared_ptr<const std::atomic<bool>> verified;
    std::function<void(const std::string &what)> on_failure;
  };

  // Longest span (PTS) of media held for a consumer not verified yet; a GOP
  // longer than this is dropped whole and the consumer waits for the next
  // keyframe (one is asked for when it connects).
  static constexpr GstClockTime kHoldTime = 500 * GST_MSECOND;
  static constexpr unsigned kHoldBuffers = 256;

  // Null (and a sentence in `error`) when an element is missing or a link
  // fails; elements already added stay in the bin, which goes with its consumer.
  [[nodiscard]] static std::unique_ptr<ConsumerChain> build(const Config &config, std::string *error);

  ConsumerChain(const ConsumerChain &) = delete;
  ConsumerChain &operator=(const ConsumerChain &) = delete;

  GstPad *sink_pad() const { return ghost_.get(); }  // attach this to a shared branch
  GstPad *head() const { return pay_sink_.get(); }   // the payloader's sink pad, behind the ghost
  GstElement *payloader() const { return pay_.get(); }

 private:
  ConsumerChain() = default;

  GRef<GstElement> pay_;
  GRef<GstElement> setter_;  // capssetter, H.264 only
  GRef<GstPad> pay_sink_;
  GRef<GstPad> ghost_;
};

// The one door from the shared stream into a consumer's bin: a ghost pad on
// `bin` targeting `target`. Flow errors and refused sticky events become one
// call of `on_failure` and OK; serialized queries are answered here. With
// `verified`, buffers are held as ConsumerChain describes until it is set.
GstPad *make_isolating_pad(GstElement *bin, GstPad *target, const std::string &name,
                           std::function<void(const std::string &what)> on_failure,
                           std::shared_ptr<const std::atomic<bool>> verified = nullptr);

}  // namespace webrtclive
