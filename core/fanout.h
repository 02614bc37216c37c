// SPDX-License-Identifier: LGPL-2.1-or-later
//
// FanOut: the media side of webrtclivesink. Inputs come in through ghost
// pads; every consumer stream is fed from a shared branch:
//
//  input ─ghost─▶ [h264parse] ▶ head tee ─┬──────────────────────────▶ passthrough branch
//                                          └▶ queue ▶ decoder ▶ raw tee   (pre-encoded input only)
//  raw tee ─▶ queue(leaky,3) ▶ convert ▶ encoder ▶ caps ▶ out tee        one per BranchKey
//  branch tee ─▶ queue(leaky) ▶ group tee ─▶ consumer sink pads      fanout-threads groups per branch
//                                            (attach / detach / switch_to)
//
// A branch exists per (input, codec, layer), created on first use and kept;
// with no consumer attached an encoder branch drops frames before the
// encoder, so an idle encoder costs nothing.
//
// Threads: add_input/remove_input on the application thread; the input
// probes (caps classification, building the head, EOS) on streaming
// threads; attach/detach/switch_to/request_keyframe on the control thread;
// relinks in IDLE probes (streaming threads); releasing tee pads and
// detach's `done` on the element's call_async pool. mutex_ is a leaf, never
// held while calling hooks or GStreamer API that can call back.
#pragma once

#include <gst/gst.h>

#include <atomic>
#include <compare>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "codecs.h"
#include "gobj.h"
#include "keyframes.h"
#include "video-layers.h"

namespace webrtclive {

struct BranchKey {
  std::string input;  // the input pad's name
  CodecId codec = CodecId::H264;
  unsigned layer = 0;  // index into Settings::layers (video); 0 = the top layer
  auto operator<=>(const BranchKey &) const = default;
};

class FanOut : public std::enable_shared_from_this<FanOut> {
 public:
  struct Settings {
    EncoderSettings encoder;
    unsigned min_keyframe_interval_ms = 500;
    // The video ladder (raw video only): BranchKey::layer indexes it, each
    // layer's encoder scales to its size and runs at its bitrate. Empty: one
    // layer, the input's size at encoder.video_bitrate_kbps.
    std::vector<VideoLayer> layers;
    // Threads that run the consumers' send paths, per branch (each takes a
    // share of its consumers); 0 = the branch's own streaming thread runs
    // them all.
    unsigned fanout_threads = 2;
  };
  // Called only while the owner lives (the element holding this is in NULL
  // before it goes, so no streaming thread is left to call).
  struct Hooks {
    std::function<Settings()> settings;  // read when a branch is created
    std::function<void(const std::string &input, const char *codec, GstElement *encoder)> encoder_setup;
    std::function<void()> input_ready;  // streaming thread: an input's caps are known; post, never block
  };

  // What is known about an input (a snapshot).
  struct InputInfo {
    std::string name;
    MediaKind kind = MediaKind::Video;
    std::optional<InputFormat> format;  // none yet, or refused
    bool failed = false;                // caps it cannot send
    // The SSRC every consumer's stream of this input gets. Each consumer is
    // an RTP session of its own, so one SSRC for all is fine, and it keeps
    // webrtcbin 1.22 from making a GQuark of a new SSRC per session (its RTX
    // ssrc-map names fields after SSRCs; quarks are never freed).
    guint ssrc = 0;
  };

  struct Branch;
  struct Group;
  struct Input;

  // One consumer pad fed by one branch.
  class Attachment {
   public:
    BranchKey key() const;  // control thread
    GstPad *consumer_sink() const { return sink_.get(); }

   private:
    friend class FanOut;
    GRef<GstPad> sink_;
    std::shared_ptr<Branch> branch_;  // control thread
    std::shared_ptr<Group> group_;    // control thread (null: on the branch tee)
    GRef<GstElement> tee_;            // control thread: the tee it hangs off (its group's)
    GRef<GstPad> tee_pad_;            // control thread
    std::mutex mutex_;                // leaf: what IDLE probes and the control thread share below
    bool relinking_ = false;
    bool detached_ = false;
    std::function<void()> after_relink_;
  };

  [[nodiscard]] static std::shared_ptr<FanOut> create(GstElement *element, std::shared_ptr<KeyframeControl> keyframes,
                                                      Hooks hooks);
  ~FanOut();
  FanOut(const FanOut &) = delete;
  FanOut &operator=(const FanOut &) = delete;

  // Application thread: the element's request pads. The ghost pad is
  // owned by the caller, who adds it to the element.
  GstPad *add_input(GstPadTemplate *templ, MediaKind kind, const char *name);
  void remove_input(GstPad *pad);

  // Any thread.
  std::vector<InputInfo> inputs() const;
  std::vector<GRef<GstPad>> input_pads(MediaKind kind) const;
  unsigned encoders() const { return encoders_; }
  // After the element stopped: inputs may end again.
  void restart();

  // Control thread. Requests a pad on the key's branch (creating the branch
  // on first use) and links it to `consumer_sink`. Null and a sentence in
  // `error` when the branch cannot be made.
  [[nodiscard]] std::shared_ptr<Attachment> attach(const BranchKey &key, GstPad *consumer_sink, std::string *error);
  // Unlinks once the tee pad is idle (no buffer is cut in half), then
  // releases it and calls `done` on the element's call_async pool.
  void detach(const std::shared_ptr<Attachment> &a, std::function<void()> done);
  // Relinks the consumer onto another branch once the old tee pad is idle;
  // it gets no delta frame of the new branch before a keyframe, and one
  // keyframe is asked of the new branch. False (and why) when the branch
  // cannot be made or the attachment is detached or still relinking.
  [[nodiscard]] bool switch_to(const std::shared_ptr<Attachment> &a, const BranchKey &key, std::string *error);
  void request_keyframe(const Attachment &a);

 private:
  FanOut(GstElement *element, std::shared_ptr<KeyframeControl> keyframes, Hooks hooks);

  GstPadProbeReturn on_input_probe(Input &input, GstPad *pad, GstPadProbeInfo *info);
  bool build_input_head(Input &input, const InputFormat &fmt, std::string *error);
  void post_input_eos();
  std::shared_ptr<Input> find_input(const std::string &name) const;
  std::shared_ptr<Branch> get_branch(const BranchKey &key, std::string *error);
  std::shared_ptr<Branch> make_encoder_branch(Input &input, const BranchKey &key, std::string *error);
  std::shared_ptr<Group> pick_group(Branch &b);
  GstElement *raw_tee_for(Input &input, std::string *error);
  void unlink_and_release(const std::shared_ptr<Attachment> &a, GRef<GstPad> tee_pad, std::function<void()> done);

  GstElement *element_;
  GstBin *bin_;
  std::shared_ptr<KeyframeControl> keyframes_;
  Hooks hooks_;
  std::atomic<unsigned> encoders_{0};

  mutable std::mutex mutex_;  // leaf
  std::vector<std::shared_ptr<Input>> inputs_;
};

}  // namespace webrtclive
