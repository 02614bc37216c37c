// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Talkback: what consumers say, mixed into one src pad of webrtclivesink.
//
//   audiotestsrc (silence, live) ─▶ audiomixer ─▶ S16LE 48 kHz mono ─▶ ghost src pad "talkback"
//   consumer bin: webrtcbin src pad ▶ rtpopusdepay ▶ opusdec ▶ convert ▶ resample ▶ S16LE 48 kHz mono ─┘
//
// The silent source keeps the pad flowing while nobody talks; the mixer
// waits `kMixerLatency` for late talkers (each consumer's jitterbuffer adds
// its own latency before them). A probe on each consumer's decoded audio
// tells who is talking: a bus message `webrtclive-talking` (consumer-id,
// talking, level in dBFS) when its level crosses the threshold.
//
// Threads: create() and the pad on the application thread (start);
// attach() on webrtcbin's streaming thread (pad-added); detach() on the
// call_async pool (teardown). mutex_ is a leaf.
#pragma once

#include <gst/gst.h>

#include <memory>
#include <mutex>
#include <string>

#include "gobj.h"

namespace webrtclive {

class Talkback {
 public:
  struct Input;  // one consumer's branch into the mixer

  // Builds the mixer in `element` (a bin) and adds its "talkback" pad from
  // `templ`; null (and why) when an element is missing.
  [[nodiscard]] static std::unique_ptr<Talkback> create(GstElement *element, GstPadTemplate *templ,
                                                        std::string *error);
  ~Talkback();

  void set_threshold_db(double db);

  // Decodes `pad` (Opus RTP from a consumer's webrtcbin) inside `consumer_bin`
  // and mixes it in. Null (and why) when it cannot.
  [[nodiscard]] std::shared_ptr<Input> attach(GstElement *consumer_bin, GstPad *pad, const std::string &consumer_id,
                                              std::string *error);
  // Refuses the consumer's audio from now on: its pushes return FLUSHING and
  // a query it has waiting in the mixer returns. Call before stopping its
  // bin, which otherwise waits for that query's thread (a mixer whose task
  // has stopped never answers it).
  void stop(const std::shared_ptr<Input> &input);
  // Releases the consumer's mixer pad (its bin is stopped by its owner).
  void detach(const std::shared_ptr<Input> &input);

 private:
  Talkback() = default;
  GstElement *element_ = nullptr;  // the sink (owns everything below)
  GRef<GstElement> mixer_;
  std::mutex mutex_;
  double threshold_db_ = -45.0;
  unsigned next_ = 0;
};

}  // namespace webrtclive
