// SPDX-License-Identifier: LGPL-2.1-or-later
#include "fanout.h"

#include <gst/video/video.h>

#include "pad-probe.h"

namespace webrtclive {

GST_DEBUG_CATEGORY_STATIC(fanout_debug);
#define GST_CAT_DEFAULT fanout_debug

namespace {

GstElement *make(const char *factory, const std::string &name = {}) {
  return gst_element_factory_make(factory, name.empty() ? nullptr : name.c_str());
}

bool add_and_link(GstBin *bin, const std::vector<GstElement *> &chain) {
  for (auto *e : chain) gst_bin_add(bin, e);
  for (size_t i = 1; i < chain.size(); i++)
    if (!gst_element_link(chain[i - 1], chain[i])) return false;
  return true;
}

void sync_all(const std::vector<GstElement *> &chain) {
  // Downstream first, so no element pushes into one that is not running.
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) gst_element_sync_state_with_parent(*it);
}

// Runs `fn` on the element's call_async pool: off the streaming thread
// that asked, so a pad may be released there.
template <typename F>
void call_async(GstElement *element, F &&fn) {
  using Fn = std::decay_t<F>;
  gst_element_call_async(
      element, [](GstElement *, gpointer data) { (*static_cast<Fn *>(data))(); }, new Fn(std::forward<F>(fn)),
      [](gpointer data) { delete static_cast<Fn *>(data); });
}

// One-shot IDLE probe: `fn` runs once the pad pushes nothing (at once
// when it is idle already).
template <typename F>
void when_idle(GstPad *pad, F &&fn) {
  auto once = std::make_shared<std::atomic<bool>>(false);
  add_probe_fn(pad, GST_PAD_PROBE_TYPE_IDLE, [once, fn = std::forward<F>(fn)](GstPad *p, GstPadProbeInfo *) mutable {
    if (!once->exchange(true)) fn(p);
    return GST_PAD_PROBE_REMOVE;
  });
}

}  // namespace

struct FanOut::Input {
  std::string name;
  MediaKind kind = MediaKind::Video;
  GstPad *ghost = nullptr;            // owned by the element
  std::optional<InputFormat> format;  // mutex_
  bool failed = false;                // mutex_: caps it cannot send
  std::atomic<bool> eos{false};
  GstElement *head_tee = nullptr;     // mutex_, written once
  GstElement *raw_tee = nullptr;      // control thread
  std::shared_ptr<Branch> passthrough;                                // control thread
  std::map<std::pair<CodecId, unsigned>, std::shared_ptr<Branch>> encoders;  // control thread
  const guint ssrc = g_random_int_range(1, G_MAXINT32);
};

// A share of a branch's consumers with a thread of its own: branch tee ▶
// queue (leaky, 500 ms) ▶ group tee ▶ consumers. The group's thread runs
// their payloaders and webrtcbins' send paths (decision 89).
struct FanOut::Group {
  GRef<GstElement> queue;
  GRef<GstElement> tee;
  int consumers = 0;  // control thread
};

struct FanOut::Branch {
  BranchKey key;
  bool passthrough = false;
  GRef<GstElement> tee;  // the branch's output: feeds its groups (or, with fanout-threads 0, the consumers)
  std::vector<std::shared_ptr<Group>> groups;  // control thread
  GstElement *encoder = nullptr;
  std::atomic<int> consumers{0};
  std::shared_ptr<KeyframeControl::Target> keyframes;
  ProbeHandle idle;  // drops frames before the encoder while no consumer is attached
};

BranchKey FanOut::Attachment::key() const { return branch_->key; }

std::shared_ptr<FanOut> FanOut::create(GstElement *element, std::shared_ptr<KeyframeControl> keyframes, Hooks hooks) {
  static std::once_flag once;
  std::call_once(once, [] { GST_DEBUG_CATEGORY_INIT(fanout_debug, "webrtclivefanout", 0, "webrtclive fan-out"); });
  return std::shared_ptr<FanOut>(new FanOut(element, std::move(keyframes), std::move(hooks)));
}

FanOut::FanOut(GstElement *element, std::shared_ptr<KeyframeControl> keyframes, Hooks hooks)
    : element_(element), bin_(GST_BIN(element)), keyframes_(std::move(keyframes)), hooks_(std::move(hooks)) {}

FanOut::~FanOut() = default;

// ---- inputs (application and streaming threads) ----------------------------------

GstPad *FanOut::add_input(GstPadTemplate *templ, MediaKind kind, const char *name) {
  auto input = std::make_shared<Input>();
  input->name = name;
  input->kind = kind;
  GstPad *ghost = gst_ghost_pad_new_no_target_from_template(name, templ);
  input->ghost = ghost;
  std::weak_ptr<FanOut> weak_self = weak_from_this();
  std::weak_ptr<Input> weak_input = input;
  add_probe_fn(ghost,
               probe_types({GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, GST_PAD_PROBE_TYPE_BUFFER,
                            GST_PAD_PROBE_TYPE_BUFFER_LIST}),
               [weak_self, weak_input](GstPad *pad, GstPadProbeInfo *info) {
                 auto self = weak_self.lock();
                 auto in = weak_input.lock();
                 if (!self || !in) return GST_PAD_PROBE_OK;
                 return self->on_input_probe(*in, pad, info);
               });
  // Caps this element cannot send are refused at the caps event, with a
  // sentence that names them (on_input_probe). For that, upstream must get
  // that far: when what it proposes matches nothing in the template, the caps
  // query answers with its own proposal instead of "nothing" (after which
  // upstream would fail alone with a bare not-negotiated).
  add_probe_fn(ghost, GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM, [](GstPad *pad, GstPadProbeInfo *info) {
    GstQuery *q = GST_PAD_PROBE_INFO_QUERY(info);
    if (GST_QUERY_TYPE(q) == GST_QUERY_ACCEPT_CAPS) {
      gst_query_set_accept_caps_result(q, TRUE);
      return GST_PAD_PROBE_HANDLED;
    }
    if (GST_QUERY_TYPE(q) != GST_QUERY_CAPS) return GST_PAD_PROBE_OK;
    GstCaps *filter = nullptr;
    gst_query_parse_caps(q, &filter);
    if (!filter) return GST_PAD_PROBE_OK;
    CapsPtr templ(gst_pad_get_pad_template_caps(pad));
    if (gst_caps_can_intersect(templ.get(), filter)) return GST_PAD_PROBE_OK;
    gst_query_set_caps_result(q, filter);
    return GST_PAD_PROBE_HANDLED;
  });
  std::lock_guard lock(mutex_);
  inputs_.push_back(input);
  return ghost;
}

void FanOut::remove_input(GstPad *pad) {
  std::lock_guard lock(mutex_);
  for (auto it = inputs_.begin(); it != inputs_.end(); ++it) {
    if ((*it)->ghost == pad) {
      // Its elements stay until the element stops: consumers already
      // negotiated a transceiver for it and simply receive nothing more.
      inputs_.erase(it);
      return;
    }
  }
}

std::vector<FanOut::InputInfo> FanOut::inputs() const {
  std::lock_guard lock(mutex_);
  std::vector<InputInfo> out;
  for (auto &in : inputs_) out.push_back(InputInfo{in->name, in->kind, in->format, in->failed, in->ssrc});
  return out;
}

std::vector<GRef<GstPad>> FanOut::input_pads(MediaKind kind) const {
  std::lock_guard lock(mutex_);
  std::vector<GRef<GstPad>> out;
  for (auto &in : inputs_)
    if (in->kind == kind) out.push_back(GRef<GstPad>::ref(in->ghost));
  return out;
}

void FanOut::restart() {
  std::lock_guard lock(mutex_);
  for (auto &in : inputs_) in->eos = false;
}

std::shared_ptr<FanOut::Input> FanOut::find_input(const std::string &name) const {
  std::lock_guard lock(mutex_);
  for (auto &in : inputs_)
    if (in->name == name) return in;
  return nullptr;
}

GstPadProbeReturn FanOut::on_input_probe(Input &input, GstPad *pad, GstPadProbeInfo *info) {
  if (info->type & (GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST)) {
    std::lock_guard lock(mutex_);
    if (!input.failed) return GST_PAD_PROBE_OK;
    // Caps were refused: tell upstream, like any sink would.
    gst_mini_object_unref(GST_MINI_OBJECT(info->data));
    info->data = nullptr;
    GST_PAD_PROBE_INFO_FLOW_RETURN(info) = GST_FLOW_NOT_NEGOTIATED;
    return GST_PAD_PROBE_HANDLED;
  }
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT(info);
  if (GST_EVENT_TYPE(event) == GST_EVENT_FLUSH_STOP) input.eos = false;
  if (GST_EVENT_TYPE(event) == GST_EVENT_EOS) {
    input.eos = true;
    post_input_eos();
    return GST_PAD_PROBE_OK;
  }
  if (GST_EVENT_TYPE(event) != GST_EVENT_CAPS) return GST_PAD_PROBE_OK;

  GstCaps *caps = nullptr;
  gst_event_parse_caps(event, &caps);
  std::string why;
  auto fmt = classify_input(caps, input.kind, &why);
  {
    std::lock_guard lock(mutex_);
    if (input.format && fmt) {
      bool same_kind = input.format->raw == fmt->raw && input.format->codec == fmt->codec;
      if (same_kind) {
        input.format = fmt;  // e.g. a new resolution: the encoders adapt
        return GST_PAD_PROBE_OK;
      }
      why = "cannot switch from one input format to another while running (" +
            std::string(input.format->raw ? "raw" : codec_info(*input.format->codec).name) + " before)";
      fmt.reset();
    }
    if (!fmt) input.failed = true;
  }
  if (!fmt) {
    GST_ELEMENT_ERROR(element_, STREAM, WRONG_TYPE,
                      ("Input %s of %s %s.", input.name.c_str(), GST_ELEMENT_NAME(element_), why.c_str()),
                      ("refused caps on %s:%s", GST_DEBUG_PAD_NAME(pad)));
    GST_PAD_PROBE_INFO_FLOW_RETURN(info) = GST_FLOW_NOT_NEGOTIATED;
    gst_event_unref(event);
    info->data = nullptr;
    return GST_PAD_PROBE_HANDLED;
  }
  std::string error;
  if (!build_input_head(input, *fmt, &error)) {
    GST_ELEMENT_ERROR(element_, CORE, MISSING_PLUGIN, ("Input %s: %s", input.name.c_str(), error.c_str()),
                      (nullptr));
    std::lock_guard lock(mutex_);
    input.failed = true;
    return GST_PAD_PROBE_OK;
  }
  {
    std::lock_guard lock(mutex_);
    input.format = fmt;
  }
  GST_INFO_OBJECT(element_, "input %s: %" GST_PTR_FORMAT, input.name.c_str(), caps);
  if (hooks_.input_ready) hooks_.input_ready();
  return GST_PAD_PROBE_OK;
}

bool FanOut::build_input_head(Input &input, const InputFormat &fmt, std::string *error) {
  std::vector<GstElement *> chain;
  if (fmt.codec == CodecId::H264) {
    GstElement *parse = make("h264parse");
    if (!parse) {
      *error = "element 'h264parse' is missing (gstreamer1.0-plugins-bad)";
      return false;
    }
    // SPS/PPS before every IDR, so any consumer can start at any keyframe.
    g_object_set(parse, "config-interval", -1, nullptr);
    chain.push_back(parse);
  }
  GstElement *tee = make("tee", input.name + "-tee");
  g_object_set(tee, "allow-not-linked", TRUE, nullptr);
  chain.push_back(tee);
  add_and_link(bin_, chain);
  sync_all(chain);
  GRef<GstPad> target = GRef<GstPad>::adopt(gst_element_get_static_pad(chain.front(), "sink"));
  gst_ghost_pad_set_target(GST_GHOST_PAD(input.ghost), target.get());
  std::lock_guard lock(mutex_);
  input.head_tee = tee;
  return true;
}

void FanOut::post_input_eos() {
  {
    std::lock_guard lock(mutex_);
    for (auto &in : inputs_)
      if (!in->eos) return;
  }
  // Every input ended: this bin is a sink, so it announces EOS itself (EOS
  // messages of its children are filtered out, see the element).
  gst_element_post_message(element_, gst_message_new_eos(GST_OBJECT(element_)));
}

// ---- control thread: shared branches ----------------------------------------------

GstElement *FanOut::raw_tee_for(Input &input, std::string *error) {
  if (input.raw_tee) return input.raw_tee;
  GstElement *head;
  InputFormat fmt;
  {
    std::lock_guard lock(mutex_);
    head = input.head_tee;
    fmt = *input.format;
  }
  if (fmt.raw) return input.raw_tee = head;
  // Pre-encoded input that some consumer cannot take: decode it once, for
  // all such consumers.
  const CodecInfo &info = codec_info(*fmt.codec);
  GstElement *queue = make("queue");
  GstElement *dec = make(info.decoder);
  if (!dec) {
    gst_object_unref(queue);
    *error = std::string("element '") + info.decoder + "' is missing; cannot transcode";
    return nullptr;
  }
  g_object_set(queue, "leaky", 2, "max-size-buffers", 5, "max-size-bytes", 0, "max-size-time", 0, nullptr);
  GstElement *tee = make("tee", input.name + "-decoded-tee");
  g_object_set(tee, "allow-not-linked", TRUE, nullptr);
  std::vector<GstElement *> chain{queue, dec, tee};
  add_and_link(bin_, chain);
  sync_all(chain);
  GRef<GstPad> src = GRef<GstPad>::adopt(gst_element_request_pad_simple(head, "src_%u"));
  GRef<GstPad> sink = GRef<GstPad>::adopt(gst_element_get_static_pad(queue, "sink"));
  gst_pad_link(src.get(), sink.get());
  // The decoder can only start on a keyframe.
  GRef<GstPad> head_sink = GRef<GstPad>::adopt(gst_element_get_static_pad(head, "sink"));
  gst_pad_push_event(head_sink.get(), gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
  GST_INFO_OBJECT(element_, "input %s: transcoding %s", input.name.c_str(), info.name);
  return input.raw_tee = tee;
}

std::shared_ptr<FanOut::Branch> FanOut::get_branch(const BranchKey &key, std::string *error) {
  auto input = find_input(key.input);
  InputFormat fmt;
  {
    std::lock_guard lock(mutex_);
    if (input && input->format) fmt = *input->format;
    else input.reset();
  }
  if (!input) {
    *error = "no input " + key.input + " with known caps";
    return nullptr;
  }
  // The same rule as the offer's (deliverable_codecs).
  bool passthrough = key.layer == 0 && delivered_as_is(fmt, key.codec);
  if (passthrough) {
    if (!input->passthrough) {
      auto b = std::make_shared<Branch>();
      b->key = key;
      b->passthrough = true;
      {
        std::lock_guard lock(mutex_);
        b->tee = GRef<GstElement>::ref(input->head_tee);
      }
      GRef<GstPad> tee_sink = GRef<GstPad>::adopt(gst_element_get_static_pad(b->tee.get(), "sink"));
      unsigned interval = hooks_.settings ? hooks_.settings().min_keyframe_interval_ms : 500;
      b->keyframes = keyframes_->add_target(key.input + "/" + codec_info(key.codec).name, tee_sink.get(),
                                            input->kind == MediaKind::Video, interval);
      input->passthrough = b;
    }
    return input->passthrough;
  }
  auto it = input->encoders.find({key.codec, key.layer});
  if (it != input->encoders.end()) return it->second;
  auto b = make_encoder_branch(*input, key, error);
  if (b) input->encoders[{key.codec, key.layer}] = b;
  return b;
}

std::shared_ptr<FanOut::Branch> FanOut::make_encoder_branch(Input &input, const BranchKey &key, std::string *error) {
  GstElement *src_tee = raw_tee_for(input, error);
  if (!src_tee) return nullptr;
  Settings s = hooks_.settings ? hooks_.settings() : Settings{};
  const CodecInfo &info = codec_info(key.codec);
  std::string prefix = input.name + "-" + info.name + "-" + (key.layer ? std::to_string(key.layer) + "-" : "");
  GstElement *enc = make(info.encoder, prefix + "encoder");
  if (!enc) {
    *error = std::string("element '") + info.encoder + "' is missing";
    return nullptr;
  }
  const bool video = info.kind == MediaKind::Video;
  if (video && key.layer > 0 && key.layer >= s.layers.size()) {
    gst_object_unref(enc);
    *error = "there is no video layer " + std::to_string(key.layer);
    return nullptr;
  }
  std::optional<VideoLayer> layer;
  if (video && key.layer < s.layers.size()) {
    layer = s.layers[key.layer];
    s.encoder.video_bitrate_kbps = layer->kbps;
  }
  std::vector<GstElement *> chain;
  GstElement *queue = make("queue", prefix + "queue");
  // Leaky: an encoder that cannot keep up drops raw frames; it never
  // blocks the input or the other codecs' encoders.
  g_object_set(queue, "leaky", 2, "max-size-buffers", 3, "max-size-bytes", 0, "max-size-time", 0, nullptr);
  chain.push_back(queue);
  if (video) {
    if (layer) {
      // Scaled first (fewer pixels to convert), to the layer's size.
      chain.push_back(make("videoscale"));
      GstElement *size = make("capsfilter", prefix + "size");
      CapsPtr caps(gst_caps_new_simple("video/x-raw", "width", G_TYPE_INT, int(layer->width), "height", G_TYPE_INT,
                                       int(layer->height), nullptr));
      g_object_set(size, "caps", caps.get(), nullptr);
      chain.push_back(size);
    }
    chain.push_back(make("videoconvert"));
  } else {
    chain.push_back(make("audioconvert"));
    chain.push_back(make("audioresample"));
    GstElement *cf = make("capsfilter");
    CapsPtr rate(gst_caps_from_string("audio/x-raw,rate=48000"));
    g_object_set(cf, "caps", rate.get(), nullptr);
    chain.push_back(cf);
  }
  chain.push_back(enc);
  configure_encoder(key.codec, enc, s.encoder);
  GstElement *cf = make("capsfilter", prefix + "caps");
  g_object_set(cf, "caps", encoder_output_caps(key.codec).get(), nullptr);
  chain.push_back(cf);
  GstElement *tee = make("tee", prefix + "tee");
  g_object_set(tee, "allow-not-linked", TRUE, nullptr);
  chain.push_back(tee);

  if (hooks_.encoder_setup) hooks_.encoder_setup(input.name, info.name, enc);
  if (!add_and_link(bin_, chain)) {
    *error = std::string("could not link the ") + info.name + " encoder";
    return nullptr;
  }

  auto b = std::make_shared<Branch>();
  b->key = key;
  b->tee = GRef<GstElement>::ref(tee);
  b->encoder = enc;
  GRef<GstPad> tee_sink = GRef<GstPad>::adopt(gst_element_get_static_pad(tee, "sink"));
  b->keyframes = keyframes_->add_target(input.name + "/" + info.name, tee_sink.get(), info.kind == MediaKind::Video,
                                        s.min_keyframe_interval_ms);

  // With no consumer left the branch idles: frames are dropped before the
  // encoder, which then costs nothing. The next consumer gets a keyframe.
  GRef<GstPad> qsrc = GRef<GstPad>::adopt(gst_element_get_static_pad(queue, "src"));
  std::weak_ptr<Branch> weak = b;
  b->idle = add_probe(qsrc.get(), GST_PAD_PROBE_TYPE_BUFFER, [weak](GstPad *, GstPadProbeInfo *) {
    auto br = weak.lock();
    return (br && br->consumers > 0) ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
  });

  sync_all(chain);
  GRef<GstPad> src = GRef<GstPad>::adopt(gst_element_request_pad_simple(src_tee, "src_%u"));
  GRef<GstPad> sink = GRef<GstPad>::adopt(gst_element_get_static_pad(queue, "sink"));
  gst_pad_link(src.get(), sink.get());
  encoders_++;
  GST_INFO_OBJECT(element_, "input %s: shared %s encoder created (layer %u%s)", input.name.c_str(), info.name,
                  key.layer, layer ? (": " + to_string(std::vector<VideoLayer>{*layer})).c_str() : "");
  return b;
}

// ---- control thread: consumers ----------------------------------------------------

std::shared_ptr<FanOut::Attachment> FanOut::attach(const BranchKey &key, GstPad *consumer_sink, std::string *error) {
  auto branch = get_branch(key, error);
  if (!branch) return nullptr;
  auto a = std::make_shared<Attachment>();
  a->sink_ = GRef<GstPad>::ref(consumer_sink);
  a->branch_ = branch;
  a->group_ = pick_group(*branch);
  a->tee_ = a->group_ ? a->group_->tee : branch->tee;
  a->tee_pad_ = GRef<GstPad>::adopt(gst_element_request_pad_simple(a->tee_.get(), "src_%u"));
  if (gst_pad_link(a->tee_pad_.get(), consumer_sink) != GST_PAD_LINK_OK) {
    gst_element_release_request_pad(a->tee_.get(), a->tee_pad_.get());
    *error = "could not link the shared " + std::string(codec_info(key.codec).name) + " stream to the consumer";
    return nullptr;
  }
  branch->consumers++;
  if (a->group_) a->group_->consumers++;
  return a;
}

// Control thread: the group of `b` a new consumer joins: the one with the
// fewest consumers, or a new one while there are fewer than fanout-threads
// and none is empty. Null with fanout-threads 0 (consumers on the branch tee).
std::shared_ptr<FanOut::Group> FanOut::pick_group(Branch &b) {
  const unsigned max = hooks_.settings ? hooks_.settings().fanout_threads : 2;
  if (max == 0) return nullptr;
  std::shared_ptr<Group> best;
  for (auto &g : b.groups)
    if (!best || g->consumers < best->consumers) best = g;
  if (best && (best->consumers == 0 || b.groups.size() >= max)) return best;
  auto g = std::make_shared<Group>();
  const std::string prefix = std::string(GST_OBJECT_NAME(b.tee.get())) + "-group" + std::to_string(b.groups.size());
  GstElement *queue = make("queue", prefix + "-queue");
  // Leaky: a group that falls behind loses its own frames (its consumers
  // then wait for a keyframe), never the branch's other groups'.
  g_object_set(queue, "leaky", 2, "max-size-buffers", 0, "max-size-bytes", 0, "max-size-time", 500 * GST_MSECOND,
               nullptr);
  GstElement *tee = make("tee", prefix + "-tee");
  g_object_set(tee, "allow-not-linked", TRUE, nullptr);
  std::vector<GstElement *> chain{queue, tee};
  add_and_link(bin_, chain);
  sync_all(chain);
  g->queue = GRef<GstElement>::ref(queue);
  g->tee = GRef<GstElement>::ref(tee);
  GRef<GstPad> src = GRef<GstPad>::adopt(gst_element_request_pad_simple(b.tee.get(), "src_%u"));
  GRef<GstPad> sink = GRef<GstPad>::adopt(gst_element_get_static_pad(queue, "sink"));
  gst_pad_link(src.get(), sink.get());
  b.groups.push_back(g);
  return g;
}

void FanOut::unlink_and_release(const std::shared_ptr<Attachment> &a, GRef<GstPad> tee_pad,
                                std::function<void()> done) {
  GRef<GstElement> tee = a->tee_;
  GRef<GstPad> sink = a->sink_;
  GstElement *element = element_;
  when_idle(tee_pad.get(), [element, tee, sink, tee_pad, done = std::move(done)](GstPad *pad) {
    gst_pad_unlink(pad, sink.get());
    call_async(element, [tee, tee_pad, done] {
      gst_element_release_request_pad(tee.get(), tee_pad.get());
      if (done) done();
    });
  });
}

void FanOut::detach(const std::shared_ptr<Attachment> &a, std::function<void()> done) {
  {
    std::lock_guard lock(a->mutex_);
    if (a->detached_) return;
    a->detached_ = true;
    a->branch_->consumers--;
    if (a->group_) a->group_->consumers--;
    if (a->relinking_) {
      // The relink in flight links the new pad or not, then hands over.
      std::weak_ptr<FanOut> weak = weak_from_this();
      GRef<GstPad> pad = a->tee_pad_;
      a->after_relink_ = [weak, a, pad, done = std::move(done)]() mutable {
        if (auto self = weak.lock()) self->unlink_and_release(a, pad, std::move(done));
      };
      return;
    }
  }
  unlink_and_release(a, a->tee_pad_, std::move(done));
}

bool FanOut::switch_to(const std::shared_ptr<Attachment> &a, const BranchKey &key, std::string *error) {
  {
    std::lock_guard lock(a->mutex_);
    if (a->detached_ || a->relinking_) {
      *error = a->detached_ ? "the consumer is detached" : "the consumer is still switching";
      return false;
    }
  }
  auto branch = get_branch(key, error);
  if (!branch) return false;
  if (branch == a->branch_) return true;
  auto old_branch = a->branch_;
  GRef<GstPad> old_pad = a->tee_pad_;
  GRef<GstElement> old_tee = a->tee_;
  auto group = pick_group(*branch);
  GRef<GstElement> new_tee = group ? group->tee : branch->tee;
  GRef<GstPad> new_pad = GRef<GstPad>::adopt(gst_element_request_pad_simple(new_tee.get(), "src_%u"));
  // The new branch's GOP is elsewhere: nothing of it reaches the consumer
  // before its next keyframe (asked for below).
  if (codec_info(key.codec).kind == MediaKind::Video) KeyframeControl::drop_deltas_until_keyframe(new_pad.get());
  {
    std::lock_guard lock(a->mutex_);
    a->relinking_ = true;
  }
  a->branch_ = branch;
  a->tee_pad_ = new_pad;
  a->tee_ = new_tee;
  branch->consumers++;
  old_branch->consumers--;
  if (a->group_) a->group_->consumers--;
  a->group_ = group;
  if (group) group->consumers++;
  GstElement *element = element_;
  when_idle(old_pad.get(), [a, element, old_tee, old_pad, new_pad](GstPad *pad) {
    gst_pad_unlink(pad, a->sink_.get());
    bool detached;
    {
      std::lock_guard lock(a->mutex_);
      detached = a->detached_;
    }
    // A detach meanwhile waits in after_relink_ while relinking_ holds.
    if (!detached && gst_pad_link(new_pad.get(), a->sink_.get()) != GST_PAD_LINK_OK)
      GST_WARNING_OBJECT(element, "could not relink %s:%s", GST_DEBUG_PAD_NAME(a->sink_.get()));
    std::function<void()> then;
    {
      std::lock_guard lock(a->mutex_);
      a->relinking_ = false;
      then = std::move(a->after_relink_);
    }
    call_async(element, [old_tee, old_pad] { gst_element_release_request_pad(old_tee.get(), old_pad.get()); });
    if (then) then();
  });
  GST_INFO_OBJECT(element_, "switching %s:%s from %s/%s/%u to %s/%s/%u", GST_DEBUG_PAD_NAME(a->sink_.get()),
                  old_branch->key.input.c_str(), codec_info(old_branch->key.codec).name, old_branch->key.layer,
                  key.input.c_str(), codec_info(key.codec).name, key.layer);
  keyframes_->request(branch->keyframes);
  return true;
}

void FanOut::request_keyframe(const Attachment &a) { keyframes_->request(a.branch_->keyframes); }

}  // namespace webrtclive
