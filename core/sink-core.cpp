// SPDX-License-Identifier: LGPL-2.1-or-later
#include "sink-core.h"

#include "util.h"
#include "webrtc-util.h"

#include <gst/sdp/sdp.h>
#include <gst/video/video.h>
#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>


#include <future>

GST_DEBUG_CATEGORY_EXTERN(webrtclivesink_debug);
#define GST_CAT_DEFAULT webrtclivesink_debug

namespace webrtclive {

namespace {
constexpr GstClockTime kConsumerQueueTime = 500 * GST_MSECOND;
constexpr guint kConnectTimeoutS = 30;

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

std::string short_id(const std::string &id) { return id.substr(0, 8); }

}  // namespace

// ---- the objects ------------------------------------------------------------

struct SinkCore::Input {
  std::string name;
  MediaKind kind = MediaKind::Video;
  GstPad *ghost = nullptr;                 // owned by the element
  std::optional<InputFormat> format;       // mutex_
  bool failed = false;                     // mutex_: caps it cannot send
  std::atomic<bool> eos{false};
  GstElement *head_tee = nullptr;          // mutex_, written once
  GstElement *raw_tee = nullptr;           // control thread
  std::shared_ptr<Branch> passthrough;     // control thread
  std::map<CodecId, std::shared_ptr<Branch>> encoders;  // control thread
  // The SSRC every consumer's stream of this input gets. Each consumer is
  // an RTP session of its own, so one SSRC for all is fine, and it keeps
  // webrtcbin 1.22 from making a GQuark of a new SSRC per session (its RTX
  // ssrc-map names fields after SSRCs; quarks are never freed).
  const guint ssrc = g_random_int_range(1, G_MAXINT32);
};

struct SinkCore::Branch {
  std::string input_name;
  CodecId codec = CodecId::H264;
  bool passthrough = false;
  GstElement *tee = nullptr;     // fan-out to consumers
  GRef<GstPad> tee_sink;         // force-key-unit events are pushed upstream from here
  GstElement *encoder = nullptr;
  std::atomic<int> consumers{0};
  KeyframeThrottle throttle{500 * 1000};
  GSource *timer = nullptr;      // control thread
};

struct ConsumerStream {
  std::shared_ptr<SinkCore::Input> input;
  std::vector<OfferedCodec> offered;
  unsigned mline = 0;
  guint ssrc = 0;  // announced in the offer, used by the payloader
  GRef<GstPad> webrtc_pad;
  std::shared_ptr<SinkCore::Branch> branch;
  GRef<GstPad> tee_pad;
  GstPad *ghost = nullptr;  // the consumer bin's sink pad for this stream
  GRef<GstPad> queue_src;   // held (gate) until the DTLS check passed
  gulong gate = 0;
  GstElement *queue = nullptr;
  GstElement *pay = nullptr;
  GstElement *setter = nullptr;  // capssetter, H.264 only
};

struct SinkCore::Consumer {
  enum class State { Offering, Answered, Connected };
  std::string sid;
  std::string peer;
  GRef<GstElement> bin;        // everything of this consumer lives in here
  GRef<GstElement> webrtcbin;
  std::vector<ConsumerStream> streams;
  State state = State::Offering;
  GSource *connect_timer = nullptr;
  GSource *liveness_timer = nullptr;  // control thread, while connected
  // Monotonic time of the consumer's last RTCP packet (rtpbin's thread writes).
  std::shared_ptr<std::atomic<gint64>> last_rtcp = std::make_shared<std::atomic<gint64>>(0);
  // Set once the DTLS identity check passed: until then nothing the peer
  // sends on a data channel is acted on (webrtcbin's threads read it).
  std::shared_ptr<std::atomic<bool>> verified = std::make_shared<std::atomic<bool>>(false);
  std::string offer;   // control thread: what the answer must match
  unsigned remote_candidates = 0;  // control thread
  std::string answer;  // control thread: for the DTLS fingerprint check

};

// Passed to webrtcbin callbacks: they run on webrtcbin's threads and only
// post to the control thread by session id.
struct CallbackCtx {
  std::weak_ptr<SinkCore> core;
  std::string sid;
};

// ---- lifetime ----------------------------------------------------------------

SinkCore::SinkCore(GstElement *element, Hooks hooks)
    : element_(element), bin_(GST_BIN(element)), hooks_(std::move(hooks)) {}

SinkCore::~SinkCore() { stop(); }

template <typename Fn>
void SinkCore::post(Fn &&fn) {
  std::weak_ptr<SinkCore> weak = weak_from_this();
  post_to(control_.context(), [weak, fn = std::forward<Fn>(fn)]() mutable {
    auto self = weak.lock();
    if (self && self->running_) fn();
  });
}

bool SinkCore::start(std::unique_ptr<ProducerSignaller> signaller, std::string *error) {
  if (running_) return true;
  running_ = true;
  control_.start();

  std::weak_ptr<SinkCore> weak = weak_from_this();
  ProducerSignaller::Callbacks cb;
  cb.session_requested = [this, weak](const std::string &sid, const std::string &peer,
                                      const std::optional<std::string> &offer) {
    if (auto self = weak.lock()) post([this, sid, peer, offer] { on_session_requested(sid, peer, offer); });
  };
  cb.remote_sdp = [this, weak](const std::string &sid, const protocol::Sdp &sdp) {
    if (auto self = weak.lock()) post([this, sid, sdp] { on_remote_sdp(sid, sdp); });
  };
  cb.remote_ice = [this, weak](const std::string &sid, const protocol::Ice &ice) {
    if (auto self = weak.lock()) post([this, sid, ice] { on_remote_ice(sid, ice); });
  };
  cb.session_ended = [this, weak](const std::string &sid, const std::optional<std::string> &reason) {
    if (auto self = weak.lock())
      post([this, sid, reason] { remove_consumer(sid, reason ? "consumer left: " + *reason : "consumer left"); });
  };
  cb.error = [this, weak](const std::string &message, bool fatal) {
    if (!weak.lock()) return;
    if (fatal)
      GST_ELEMENT_ERROR(element_, RESOURCE, FAILED, ("%s", message.c_str()), (nullptr));
    else
      GST_ELEMENT_WARNING(element_, RESOURCE, FAILED, ("%s", message.c_str()), (nullptr));
  };

  // Published before start(): a signaller may deliver sessions from inside it.
  std::shared_ptr<ProducerSignaller> sig(std::move(signaller));
  {
    std::lock_guard lock(mutex_);
    signaller_ = sig;
  }
  if (!sig->start(std::move(cb), error)) {
    stop();
    return false;
  }
  return true;
}

void SinkCore::stop() {
  if (!running_) return;
  std::shared_ptr<ProducerSignaller> sig;
  {
    std::lock_guard lock(mutex_);
    sig = std::move(signaller_);
  }
  // No more signalling callbacks after this.
  if (sig) sig->stop();

  // Let the control thread finish what it is doing, then end every consumer.
  control_.stop([this] {
    std::vector<std::string> sids;
    {
      std::lock_guard lock(mutex_);
      for (auto &[sid, c] : consumers_) sids.push_back(sid);
      pending_sessions_.clear();
    }
    for (auto &sid : sids) remove_consumer(sid, "element stopped");
    running_ = false;
  });

  std::unique_lock lock(mutex_);
  teardown_done_.wait(lock, [this] { return teardowns_in_flight_ == 0; });
  // Branches outlive a stop/start cycle: forget timers (their context is
  // gone) and any coalesced request, or the throttle would wait forever for
  // a timer that never fires.
  for (auto &input : inputs_) {
    input->eos = false;
    std::vector<Branch *> branches;
    for (auto &[codec, b] : input->encoders) branches.push_back(b.get());
    if (input->passthrough) branches.push_back(input->passthrough.get());
    for (Branch *b : branches) {
      if (b->timer) g_source_destroy(b->timer);  // borrowed: the context held the reference
      b->timer = nullptr;
      b->throttle.reset();
    }
  }
}

std::vector<std::string> SinkCore::urls() const {
  std::lock_guard lock(mutex_);
  return signaller_ ? signaller_->urls() : std::vector<std::string>{};
}

SinkSettings SinkCore::settings() const {
  std::lock_guard lock(mutex_);
  return settings_;
}

void SinkCore::update_settings(const std::function<void(SinkSettings &)> &fn) {
  std::lock_guard lock(mutex_);
  fn(settings_);
}

SinkStats SinkCore::stats() const {
  std::lock_guard lock(mutex_);
  SinkStats s = stats_;
  s.consumers = consumers_.size();
  return s;
}

// ---- inputs (application and streaming threads) --------------------------------

GstPad *SinkCore::add_input(GstPadTemplate *templ, MediaKind kind, const char *name) {
  auto input = std::make_shared<Input>();
  input->name = name;
  input->kind = kind;
  GstPad *ghost = gst_ghost_pad_new_no_target_from_template(name, templ);
  input->ghost = ghost;
  struct ProbeCtx {
    std::weak_ptr<SinkCore> core;
    std::weak_ptr<Input> input;
  };
  auto *ctx = new ProbeCtx{weak_from_this(), input};
  gst_pad_add_probe(
      ghost,
      static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM | GST_PAD_PROBE_TYPE_BUFFER |
                                   GST_PAD_PROBE_TYPE_BUFFER_LIST),
      [](GstPad *pad, GstPadProbeInfo *info, gpointer data) {
        auto *c = static_cast<ProbeCtx *>(data);
        auto core = c->core.lock();
        auto in = c->input.lock();
        if (!core || !in) return GST_PAD_PROBE_OK;
        return core->on_input_probe(*in, pad, info);
      },
      ctx, destroy_heap<ProbeCtx>);
  // Caps this element cannot send are refused at the caps event, with a
  // sentence that names them (on_input_probe). For that, upstream must get
  // that far: when what it proposes matches nothing in the template, the caps
  // query answers with its own proposal instead of "nothing" (after which
  // upstream would fail alone with a bare not-negotiated).
  gst_pad_add_probe(
      ghost, GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM,
      [](GstPad *pad, GstPadProbeInfo *info, gpointer) {
        GstQuery *q = GST_PAD_PROBE_INFO_QUERY(info);
        if (GST_QUERY_TYPE(q) == GST_QUERY_ACCEPT_CAPS) {
          gst_query_set_accept_caps_result(q, TRUE);
          return GST_PAD_PROBE_HANDLED;
        }
        if (GST_QUERY_TYPE(q) != GST_QUERY_CAPS) return GST_PAD_PROBE_OK;
        GstCaps *filter = nullptr;
        gst_query_parse_caps(q, &filter);
        if (!filter) return GST_PAD_PROBE_OK;
        GstCaps *templ = gst_pad_get_pad_template_caps(pad);
        bool matches = gst_caps_can_intersect(templ, filter);
        gst_caps_unref(templ);
        if (matches) return GST_PAD_PROBE_OK;
        gst_query_set_caps_result(q, filter);
        return GST_PAD_PROBE_HANDLED;
      },
      nullptr, nullptr);
  std::lock_guard lock(mutex_);
  inputs_.push_back(input);
  return ghost;
}

void SinkCore::remove_input(GstPad *pad) {
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

GstPadProbeReturn SinkCore::on_input_probe(Input &input, GstPad *pad, GstPadProbeInfo *info) {
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
  post([this] { on_input_ready(); });
  return GST_PAD_PROBE_OK;
}

bool SinkCore::build_input_head(Input &input, const InputFormat &fmt, std::string *error) {
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
  GstPad *target = gst_element_get_static_pad(chain.front(), "sink");
  gst_ghost_pad_set_target(GST_GHOST_PAD(input.ghost), target);
  gst_object_unref(target);
  std::lock_guard lock(mutex_);
  input.head_tee = tee;
  return true;
}

void SinkCore::post_input_eos() {
  {
    std::lock_guard lock(mutex_);
    for (auto &in : inputs_)
      if (!in->eos) return;
  }
  // Every input ended: this bin is a sink, so it announces EOS itself (EOS
  // messages of its children are filtered out, see the element).
  gst_element_post_message(element_, gst_message_new_eos(GST_OBJECT(element_)));
}

// ---- control thread: sessions ---------------------------------------------------

std::vector<OfferedCodec> SinkCore::codecs_to_offer(const Input &input, const SinkSettings &s) const {
  std::vector<OfferedCodec> out;
  const InputFormat &fmt = *input.format;
  bool pass = !fmt.raw && passthrough_is_browser_safe(fmt);
  if (pass) {
    OfferedCodec c{*fmt.codec, codec_info(*fmt.codec).default_pt, true, {}};
    if (c.codec == CodecId::H264) c.profile_level_id = h264_profile_level_id(fmt.h264_profile, fmt.h264_level);
    out.push_back(c);
  }
  if (!fmt.raw && !s.transcode) return out;
  if (!fmt.raw) {
    GstElementFactory *dec = gst_element_factory_find(codec_info(*fmt.codec).decoder);
    if (!dec) return out;
    gst_object_unref(dec);
  }
  const auto &order = input.kind == MediaKind::Video ? s.video_codecs : s.audio_codecs;
  for (CodecId id : order) {
    if (pass && id == *fmt.codec) continue;
    GstElementFactory *f = gst_element_factory_find(codec_info(id).encoder);
    if (!f) continue;
    gst_object_unref(f);
    out.push_back(OfferedCodec{id, codec_info(id).default_pt, false, id == CodecId::H264 ? "42e01f" : ""});
  }
  return out;
}

void SinkCore::on_session_requested(const std::string &sid, const std::string &peer,
                                    const std::optional<std::string> &offer) {
  auto sig = [this] {
    std::lock_guard lock(mutex_);
    return signaller_;
  }();
  if (offer) {
    if (sig) sig->end_session(sid, std::string("webrtclivesink makes the offer; offers from consumers are not supported"));
    return;
  }
  bool wait = false;
  std::string refusal;
  {
    std::lock_guard lock(mutex_);
    // Admission: every consumer costs a webrtcbin (~6 threads, ~13 FDs); a
    // process out of descriptors aborts inside GLib (GWakeup), taking every
    // viewer with it. Refuse the newcomer instead.
    const size_t serving = consumers_.size() + pending_sessions_.size();
    if (settings_.max_consumers && serving >= settings_.max_consumers)
      refusal = "the producer serves at most " + std::to_string(settings_.max_consumers) + " consumers";
    else if (auto shortage = descriptor_shortage(kDescriptorsPerSession))
      refusal = "the producer cannot take another consumer: " + *shortage;
    if (!refusal.empty()) stats_.consumers_refused++;
  }
  if (!refusal.empty()) {
    GST_WARNING_OBJECT(element_, "refusing session %s of %s: %s", sid.c_str(), peer.c_str(), refusal.c_str());
    if (sig) sig->end_session(sid, refusal);
    return;
  }
  {
    std::lock_guard lock(mutex_);
    if (inputs_.empty()) {
      wait = true;
    } else {
      for (auto &in : inputs_)
        if (!in->format && !in->failed) wait = true;
    }
    if (wait) {
      pending_sessions_.push_back(sid + "\n" + peer);
      GST_INFO_OBJECT(element_, "session %s waits for input caps", sid.c_str());
      return;
    }
  }
  create_consumer(sid, peer);
}

void SinkCore::on_input_ready() {
  std::vector<std::string> ready;
  {
    std::lock_guard lock(mutex_);
    for (auto &in : inputs_)
      if (!in->format && !in->failed) return;
    ready.swap(pending_sessions_);
  }
  for (auto &entry : ready) {
    auto nl = entry.find('\n');
    create_consumer(entry.substr(0, nl), entry.substr(nl + 1));
  }
}

void SinkCore::create_consumer(const std::string &sid, const std::string &peer) {
  SinkSettings s = settings();
  auto consumer = std::make_shared<Consumer>();
  consumer->sid = sid;
  consumer->peer = peer;
  {
    std::lock_guard lock(mutex_);
    unsigned mline = 0;
    for (auto &in : inputs_) {
      if (!in->format) continue;  // failed input
      ConsumerStream cs;
      cs.input = in;
      cs.offered = codecs_to_offer(*in, s);
      cs.mline = mline++;
      if (cs.offered.empty()) continue;
      consumer->streams.push_back(std::move(cs));
    }
  }
  auto sig = [this] {
    std::lock_guard lock(mutex_);
    return signaller_;
  }();
  if (consumer->streams.empty()) {
    std::string reason = "this producer has nothing a browser can take (pre-encoded input that is not browser-safe "
                         "and transcoding is off)";
    GST_ELEMENT_WARNING(element_, STREAM, CODEC_NOT_FOUND, ("Consumer %s refused: %s", peer.c_str(), reason.c_str()),
                        (nullptr));
    if (sig) sig->end_session(sid, reason);
    return;
  }
  // Renumber m-lines: they follow the order transceivers are made in.
  for (unsigned i = 0; i < consumer->streams.size(); i++) consumer->streams[i].mline = i;

  GstElement *webrtc = make("webrtcbin", "consumer-" + short_id(sid) + "-" + std::to_string(next_consumer_++));
  if (!webrtc) {
    GST_ELEMENT_ERROR(element_, CORE, MISSING_PLUGIN, ("element 'webrtcbin' is missing (gstreamer1.0-plugins-bad)"),
                      (nullptr));
    if (sig) sig->end_session(sid, std::string("producer is missing webrtcbin"));
    return;
  }
  consumer->webrtcbin = GRef<GstElement>::ref(webrtc);
  g_object_set(webrtc, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, nullptr);
  configure_ice(element_, webrtc, IceSettings{s.stun_server, s.turn_servers, s.ice_addresses});

  for (auto &cs : consumer->streams) {
    GstPad *pad = gst_element_request_pad_simple(webrtc, "sink_%u");
    cs.webrtc_pad = GRef<GstPad>::adopt(pad);
    GstWebRTCRTPTransceiver *trans = nullptr;
    g_object_get(pad, "transceiver", &trans, nullptr);
    GstCaps *prefs = gst_caps_new_empty();
    // The SSRC is chosen now and announced in the offer (a=ssrc with msid):
    // peers that route RTP by signalled SSRC (werift, and browsers before
    // the first packet) know the stream before it arrives.
    cs.ssrc = cs.input->ssrc;
    for (auto &c : cs.offered) {
      CapsPtr one = offer_caps(c);
      gst_caps_set_simple(one.get(), "ssrc", G_TYPE_UINT, cs.ssrc, nullptr);
      gst_caps_append(prefs, one.release());
    }
    g_object_set(trans, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY, "codec-preferences", prefs,
                 nullptr);
    if (cs.input->kind == MediaKind::Video) g_object_set(trans, "do-nack", TRUE, nullptr);
    gst_caps_unref(prefs);
    gst_object_unref(trans);
  }

  auto make_ctx = [&] { return new CallbackCtx{weak_from_this(), sid}; };
  g_signal_connect_data(
      webrtc, "on-ice-candidate",
      G_CALLBACK(+[](GstElement *, guint mline, gchar *candidate, gpointer data) {
        auto *ctx = static_cast<CallbackCtx *>(data);
        auto core = ctx->core.lock();
        if (!core) return;
        std::shared_ptr<ProducerSignaller> sig;
        {
          std::lock_guard lock(core->mutex_);
          sig = core->signaller_;
        }
        if (sig) sig->send_ice(ctx->sid, protocol::Ice{candidate, mline});
      }),
      make_ctx(), [](gpointer d, GClosure *) { delete static_cast<CallbackCtx *>(d); }, GConnectFlags(0));
  g_signal_connect_data(
      webrtc, "notify::connection-state",
      G_CALLBACK(+[](GstElement *w, GParamSpec *, gpointer data) {
        auto *ctx = static_cast<CallbackCtx *>(data);
        auto core = ctx->core.lock();
        if (!core) return;
        GstWebRTCPeerConnectionState state;
        g_object_get(w, "connection-state", &state, nullptr);
        std::string sid = ctx->sid;
        SinkCore *self = core.get();
        core->post([self, sid, state] { self->on_connection_state(sid, state); });
      }),
      make_ctx(), [](gpointer d, GClosure *) { delete static_cast<CallbackCtx *>(d); }, GConnectFlags(0));

  GstElement *cbin = gst_bin_new(("consumer-" + short_id(sid)).c_str());
  consumer->bin = GRef<GstElement>::ref(cbin);
  {
    std::lock_guard lock(mutex_);
    consumers_[sid] = consumer;
  }
  gst_bin_add(GST_BIN(cbin), webrtc);
  // A consumer that vanishes without a word is noticed by its RTCP stopping.
  track_rtcp(webrtc, consumer->last_rtcp);
  gst_bin_add(bin_, cbin);
  gst_element_sync_state_with_parent(cbin);
  if (s.control) {
    // gstwebrtc-api turns a producer channel labelled "control" into its
    // remote controller: mouse and keyboard on the <video> come back here
    // as navigation events for the pipeline.
    GObject *channel = nullptr;
    g_signal_emit_by_name(webrtc, "create-data-channel", "control", nullptr, &channel);
    if (channel) {
      struct ControlCtx {
        std::weak_ptr<SinkCore> core;
        std::shared_ptr<std::atomic<bool>> verified;
      };
      g_signal_connect_data(
          channel, "on-message-string",
          G_CALLBACK(+[](GObject *ch, gchar *text, gpointer data) {
            auto *ctx = static_cast<ControlCtx *>(data);
            auto core = ctx->core.lock();
            if (!core || !text) return;
            // SCTP can deliver before the control thread has checked the
            // peer's DTLS certificate: such a peer is not trusted yet.
            std::string reply = ctx->verified->load()
                                    ? core->handle_control_message(text)
                                    : protocol::control_response(-1, "the connection is not verified yet");
            g_signal_emit_by_name(ch, "send-string", reply.c_str());
          }),
          new ControlCtx{weak_from_this(), consumer->verified},
          [](gpointer d, GClosure *) { delete static_cast<ControlCtx *>(d); }, GConnectFlags(0));
      g_object_unref(channel);
    }
  }

  GST_INFO_OBJECT(element_, "consumer %s (session %s): offering %zu stream(s)", peer.c_str(), sid.c_str(),
                  consumer->streams.size());
  if (hooks_.consumer_added) hooks_.consumer_added(peer, sid, webrtc);

  // A consumer that never connects must not hold resources forever
  // (webrtcbin 1.22 has no ICE consent freshness).
  std::weak_ptr<SinkCore> weak = weak_from_this();
  GSource *timer = g_timeout_source_new_seconds(kConnectTimeoutS);
  auto *tctx = new CallbackCtx{weak, sid};
  g_source_set_callback(
      timer,
      [](gpointer data) -> gboolean {
        auto *ctx = static_cast<CallbackCtx *>(data);
        if (auto core = ctx->core.lock()) {
          std::shared_ptr<Consumer> c;
          {
            std::lock_guard lock(core->mutex_);
            auto it = core->consumers_.find(ctx->sid);
            if (it != core->consumers_.end()) c = it->second;
          }
          if (c) {
            c->connect_timer = nullptr;
            if (c->state != Consumer::State::Connected)
              core->fail_consumer(ctx->sid, "did not connect within " + std::to_string(kConnectTimeoutS) + " s");
          }
        }
        return G_SOURCE_REMOVE;
      },
      tctx, destroy_heap<CallbackCtx>);
  g_source_attach(timer, control_.context());
  consumer->connect_timer = timer;  // borrowed: the source holds itself until it fires or is destroyed
  g_source_unref(timer);

  GstPromise *promise = gst_promise_new_with_change_func(
      [](GstPromise *p, gpointer data) {
        auto *ctx = static_cast<CallbackCtx *>(data);
        auto core = ctx->core.lock();
        if (!core) return;
        const GstStructure *reply = gst_promise_get_reply(p);
        GstWebRTCSessionDescription *offer = nullptr;
        if (reply) gst_structure_get(reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &offer, nullptr);
        std::string sid = ctx->sid;
        SinkCore *self = core.get();
        if (!offer) {
          core->post([self, sid] { self->fail_consumer(sid, "webrtcbin could not create an offer"); });
          return;
        }
        GstElement *w = nullptr;
        std::shared_ptr<ProducerSignaller> sig;
        {
          std::lock_guard lock(core->mutex_);
          auto it = core->consumers_.find(sid);
          if (it != core->consumers_.end()) w = GST_ELEMENT(gst_object_ref(it->second->webrtcbin.get()));
          sig = core->signaller_;
        }
        if (w) {
          // Queued on webrtcbin's task queue first, so that a fast answer's
          // set-remote-description (queued later) finds the local offer
          // applied; candidates only come once this callback returned, so
          // the offer still leaves before any of them.
          g_signal_emit_by_name(w, "set-local-description", offer, nullptr);
          gchar *text = gst_sdp_message_as_text(offer->sdp);
          // Kept before it leaves, so the answer finds it (same thread).
          std::string kept = text;
          core->post([self, sid, kept] {
            std::lock_guard lock(self->mutex_);
            if (auto it = self->consumers_.find(sid); it != self->consumers_.end()) it->second->offer = kept;
          });
          if (sig) sig->send_sdp(sid, protocol::Sdp{"offer", text});
          g_free(text);
          gst_object_unref(w);
        }
        gst_webrtc_session_description_free(offer);
      },
      make_ctx(), destroy_heap<CallbackCtx>);
  g_signal_emit_by_name(webrtc, "create-offer", nullptr, promise);
  gst_promise_unref(promise);
}

// The one door from the shared stream into a consumer's bin. Whatever goes
// wrong behind it (a refused caps event, a payloader error, a flushing
// webrtcbin) is reported once, ends that consumer, and is answered with OK:
// a tee returns a branch's fatal flow to the shared encoder and would stop
// every other consumer with it.
GstPad *SinkCore::make_isolating_pad(GstElement *consumer_bin, GstPad *target, const std::string &sid,
                                     unsigned mline) {
  struct IsoCtx {
    std::weak_ptr<SinkCore> core;
    std::string sid;
    std::atomic<bool> reported{false};
    void report(const std::string &what) {
      if (reported.exchange(true)) return;
      auto c = core.lock();
      if (!c) return;
      SinkCore *self = c.get();
      std::string id = sid;
      c->post([self, id, what] { self->fail_consumer(id, what); });
    }
  };
  std::string name = "sink_" + std::to_string(mline);
  GstPad *ghost = gst_ghost_pad_new(name.c_str(), target);
  auto *ctx = new IsoCtx{weak_from_this(), sid};
  // Owned by the pad (object data); element_private is the fast path.
  g_object_set_data_full(G_OBJECT(ghost), "webrtclive-isolation", ctx, destroy_heap<IsoCtx>);
  gst_pad_set_element_private(ghost, ctx);
  gst_pad_set_chain_function(
      ghost,
      [](GstPad *pad, GstObject *parent, GstBuffer *buf) -> GstFlowReturn {
        GstFlowReturn ret = gst_proxy_pad_chain_default(pad, parent, buf);
        if (ret < GST_FLOW_OK && ret != GST_FLOW_FLUSHING)
          static_cast<IsoCtx *>(gst_pad_get_element_private(pad))
              ->report(std::string("its stream failed: ") + gst_flow_get_name(ret));
        return GST_FLOW_OK;
      });
  gst_pad_set_chain_list_function(ghost, [](GstPad *pad, GstObject *parent, GstBufferList *list) -> GstFlowReturn {
    GstFlowReturn ret = gst_proxy_pad_chain_list_default(pad, parent, list);
    if (ret < GST_FLOW_OK && ret != GST_FLOW_FLUSHING)
      static_cast<IsoCtx *>(gst_pad_get_element_private(pad))
          ->report(std::string("its stream failed: ") + gst_flow_get_name(ret));
    return GST_FLOW_OK;
  });
  gst_pad_set_event_function(ghost, [](GstPad *pad, GstObject *parent, GstEvent *event) -> gboolean {
    bool sticky = GST_EVENT_IS_STICKY(event);
    const char *type = GST_EVENT_TYPE_NAME(event);
    gboolean ok = gst_pad_event_default(pad, parent, event);
    if (!ok && sticky && GST_PAD_IS_ACTIVE(pad)) {
      static_cast<IsoCtx *>(gst_pad_get_element_private(pad))->report(std::string("it refused the ") + type + " event");
      return TRUE;
    }
    return ok || sticky;
  });
  // Serialized queries wait in the queue until everything before them left
  // it; a consumer whose webrtcbin holds its data (no DTLS yet) would hold
  // the query, and the tee, which asks every branch, and the shared encoder
  // with it. Each new consumer makes the encoder re-negotiate and ask for
  // allocation, so answer those here: a payloader needs no pool from us.
  gst_pad_set_query_function(ghost, [](GstPad *pad, GstObject *parent, GstQuery *query) -> gboolean {
    if (GST_QUERY_IS_SERIALIZED(query)) return GST_QUERY_TYPE(query) == GST_QUERY_ALLOCATION;
    return gst_pad_query_default(pad, parent, query);
  });
  gst_pad_set_active(ghost, TRUE);
  gst_element_add_pad(consumer_bin, ghost);
  return ghost;
}

void SinkCore::on_remote_sdp(const std::string &sid, const protocol::Sdp &sdp) {
  std::shared_ptr<Consumer> c;
  {
    std::lock_guard lock(mutex_);
    auto it = consumers_.find(sid);
    if (it != consumers_.end()) c = it->second;
  }
  if (!c) return;
  if (sdp.type != "answer" || c->state != Consumer::State::Offering) {
    fail_consumer(sid, "expected an SDP answer, got " + sdp.type);
    return;
  }
  GstSDPMessage *msg = parse_remote_sdp(sdp.sdp);
  if (!msg) {
    fail_consumer(sid, "the answer is not valid SDP");
    return;
  }
  // Check every m-line before webrtcbin sees the answer: webrtcbin 1.22
  // aborts the process on a rejected bundled m-line.
  std::vector<OfferedCodec> chosen;
  for (auto &cs : c->streams) {
    AnswerChoice choice = choose_from_answer(msg, cs.mline, cs.offered);
    if (!choice.accepted) {
      gst_sdp_message_free(msg);
      fail_consumer(sid, choice.why);
      return;
    }
    chosen.push_back(*choice.codec);
  }
  // And the answer's shape: m-line count, kinds, mids, BUNDLE order.
  GstSDPMessage *offer = parse_remote_sdp(c->offer);
  std::string bad = offer ? check_answer_structure(offer, msg) : "no offer was sent yet";
  if (offer) gst_sdp_message_free(offer);
  if (!bad.empty()) {
    gst_sdp_message_free(msg);
    fail_consumer(sid, "unacceptable answer: " + bad);
    return;
  }
  c->state = Consumer::State::Answered;
  c->answer = sdp.sdp;
  GstWebRTCSessionDescription *answer = gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_ANSWER, msg);
  GstPromise *promise = gst_promise_new_with_change_func(
      [](GstPromise *p, gpointer data) {
        auto *ctx = static_cast<CallbackCtx *>(data);
        const GstStructure *reply = gst_promise_get_reply(p);
        GError *err = nullptr;
        if (reply && gst_structure_has_field(reply, "error")) gst_structure_get(reply, "error", G_TYPE_ERROR, &err, nullptr);
        if (!err) return;
        std::string why = std::string("webrtcbin refused the answer: ") + err->message;
        g_error_free(err);
        if (auto core = ctx->core.lock()) {
          SinkCore *self = core.get();
          std::string sid = ctx->sid;
          core->post([self, sid, why] { self->fail_consumer(sid, why); });
        }
      },
      new CallbackCtx{weak_from_this(), sid}, destroy_heap<CallbackCtx>);
  g_signal_emit_by_name(c->webrtcbin.get(), "set-remote-description", answer, promise);
  gst_promise_unref(promise);
  gst_webrtc_session_description_free(answer);

  // Feed each m-line from the shared stream of the codec the consumer chose.
  for (size_t i = 0; i < c->streams.size(); i++) {
    ConsumerStream &cs = c->streams[i];
    std::string error;
    auto branch = get_branch(*cs.input, chosen[i], &error);
    if (!branch) {
      fail_consumer(sid, error);
      return;
    }
    const CodecInfo &info = codec_info(chosen[i].codec);
    GstElement *queue = make("queue");
    g_object_set(queue, "leaky", 2 /* downstream */, "max-size-buffers", 0, "max-size-bytes", 0, "max-size-time",
                 kConsumerQueueTime, nullptr);
    GstElement *pay = make(info.payloader);
    if (!pay) {
      gst_object_unref(queue);
      fail_consumer(sid, std::string("element '") + info.payloader + "' is missing");
      return;
    }
    g_object_set(pay, "pt", chosen[i].pt, "mtu", 1200, "ssrc", cs.ssrc, nullptr);
    if (chosen[i].codec == CodecId::H264)
      g_object_set(pay, "config-interval", -1, "aggregate-mode", 1 /* zero-latency */, nullptr);
    if (chosen[i].codec == CodecId::VP8 || chosen[i].codec == CodecId::VP9)
      gst_util_set_object_arg(G_OBJECT(pay), "picture-id-mode", "15-bit");
    GstBin *cbin = GST_BIN(c->bin.get());
    gst_bin_add_many(cbin, queue, pay, nullptr);
    gst_element_link(queue, pay);
    GstPad *pay_src = gst_element_get_static_pad(pay, "src");
    // webrtcbin 1.22 checks the caps it receives against the transceiver's
    // codec preferences, comparing fmtp strings literally: a stream whose SPS
    // says 42c015 is refused against an offered 42e01f, although both are
    // constrained baseline. The m-line is negotiated by now, so the payloader
    // may produce what it likes and a capssetter restates the offered
    // profile-level-id (see docs/webrtcbin-notes.md).
    gst_pad_add_probe(
        pay_src, GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM,
        [](GstPad *, GstPadProbeInfo *info, gpointer) {
          GstQuery *q = GST_PAD_PROBE_INFO_QUERY(info);
          if (GST_QUERY_TYPE(q) == GST_QUERY_ACCEPT_CAPS) {
            gst_query_set_accept_caps_result(q, TRUE);
            return GST_PAD_PROBE_HANDLED;
          }
          if (GST_QUERY_TYPE(q) == GST_QUERY_CAPS) {
            GstCaps *filter = nullptr;
            gst_query_parse_caps(q, &filter);
            GstCaps *any = gst_caps_from_string("application/x-rtp");
            GstCaps *result = filter ? gst_caps_intersect(any, filter) : gst_caps_ref(any);
            gst_query_set_caps_result(q, result);
            gst_caps_unref(result);
            gst_caps_unref(any);
            return GST_PAD_PROBE_HANDLED;
          }
          return GST_PAD_PROBE_OK;
        },
        nullptr, nullptr);
    gst_object_unref(pay_src);
    GstElement *last = pay;
    GstElement *setter = nullptr;
    if (chosen[i].codec == CodecId::H264 && (setter = make("capssetter"))) {
      std::string pli = chosen[i].profile_level_id.empty() ? "42e01f" : chosen[i].profile_level_id;
      GstCaps *set = gst_caps_new_simple("application/x-rtp", "profile-level-id", G_TYPE_STRING, pli.c_str(), nullptr);
      g_object_set(setter, "caps", set, "join", TRUE, "replace", FALSE, nullptr);
      gst_caps_unref(set);
      gst_bin_add(cbin, setter);
      gst_element_link(pay, setter);
      last = setter;
    }
    GstPad *last_src = gst_element_get_static_pad(last, "src");
    GstPadLinkReturn lr = gst_pad_link(last_src, cs.webrtc_pad.get());
    gst_object_unref(last_src);
    cs.queue = queue;
    cs.pay = pay;
    cs.setter = setter;
    cs.branch = branch;
    if (lr != GST_PAD_LINK_OK) {
      fail_consumer(sid, "could not link the payloader to webrtcbin");
      return;
    }

    GstPad *qsink = gst_element_get_static_pad(queue, "sink");
    // A consumer's keyframe requests (PLI/FIR) go to the shared coalescer,
    // never straight to the shared encoder.
    struct KfCtx {
      std::weak_ptr<SinkCore> core;
      std::weak_ptr<Branch> branch;
    };
    gst_pad_add_probe(
        qsink, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
        [](GstPad *, GstPadProbeInfo *info, gpointer data) {
          GstEvent *ev = GST_PAD_PROBE_INFO_EVENT(info);
          if (!gst_video_event_is_force_key_unit(ev)) return GST_PAD_PROBE_OK;
          auto *k = static_cast<KfCtx *>(data);
          if (auto core = k->core.lock()) {
            SinkCore *self = core.get();
            std::weak_ptr<Branch> wb = k->branch;
            core->post([self, wb] {
              if (auto b = wb.lock()) self->request_keyframe(b);
            });
          }
          return GST_PAD_PROBE_DROP;
        },
        new KfCtx{weak_from_this(), branch}, destroy_heap<KfCtx>);
    // No media leaves for a peer whose DTLS identity was not checked: the
    // queue's output is held until then. The leaky queue meanwhile keeps the
    // last 500 ms, recent keyframe included, which the consumer gets the
    // moment the check passes (a join does not wait for a forced keyframe
    // that the coalescer may delay).
    cs.queue_src = GRef<GstPad>::adopt(gst_element_get_static_pad(queue, "src"));
    cs.gate = gst_pad_add_probe(
        cs.queue_src.get(),
        static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BLOCK | GST_PAD_PROBE_TYPE_BUFFER |
                                     GST_PAD_PROBE_TYPE_BUFFER_LIST),
        [](GstPad *, GstPadProbeInfo *, gpointer) { return GST_PAD_PROBE_OK; }, nullptr, nullptr);
    if (cs.input->kind == MediaKind::Video) {
      // Start each consumer on a keyframe: what it would decode before one
      // is garbage.
      GstPad *qsrc = gst_element_get_static_pad(queue, "src");
      gst_pad_add_probe(
          qsrc, GST_PAD_PROBE_TYPE_BUFFER,
          [](GstPad *, GstPadProbeInfo *info, gpointer) {
            GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
            if (GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT)) return GST_PAD_PROBE_DROP;
            return GST_PAD_PROBE_REMOVE;
          },
          nullptr, nullptr);
      gst_object_unref(qsrc);
    }
    if (setter) gst_element_sync_state_with_parent(setter);
    gst_element_sync_state_with_parent(pay);
    gst_element_sync_state_with_parent(queue);
    cs.ghost = make_isolating_pad(c->bin.get(), qsink, sid, cs.mline);
    gst_object_unref(qsink);
    GstPad *tee_pad = gst_element_request_pad_simple(branch->tee, "src_%u");
    cs.tee_pad = GRef<GstPad>::adopt(tee_pad);
    gst_pad_link(tee_pad, cs.ghost);
    branch->consumers++;
    GST_INFO_OBJECT(element_, "consumer %s: m-line %u gets %s%s", c->peer.c_str(), cs.mline, info.name,
                    chosen[i].passthrough ? " (as it is)" : "");
  }
}

void SinkCore::on_remote_ice(const std::string &sid, const protocol::Ice &ice) {
  std::shared_ptr<Consumer> c;
  {
    std::lock_guard lock(mutex_);
    auto it = consumers_.find(sid);
    if (it != consumers_.end()) c = it->second;
  }
  if (!c) return;
  CandidateVerdict v =
      check_remote_candidate(ice.candidate, ice.sdp_mline_index, count_mlines(c->offer), c->remote_candidates++);
  if (v.kind == CandidateVerdict::EndSession) {
    fail_consumer(sid, "refused: " + v.why);
    return;
  }
  if (v.kind == CandidateVerdict::Ignore) {
    GST_DEBUG_OBJECT(element_, "consumer %s: ignoring %s", c->peer.c_str(), v.why.c_str());
    return;
  }
  g_signal_emit_by_name(c->webrtcbin.get(), "add-ice-candidate", ice.sdp_mline_index, ice.candidate.c_str());
}

void SinkCore::on_connection_state(const std::string &sid, int state) {
  std::shared_ptr<Consumer> c;
  {
    std::lock_guard lock(mutex_);
    auto it = consumers_.find(sid);
    if (it != consumers_.end()) c = it->second;
  }
  if (!c) return;
  GST_INFO_OBJECT(element_, "consumer %s: connection state %d", c->peer.c_str(), state);
  if (state == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED && c->state != Consumer::State::Connected) {
    if (auto mismatch = check_dtls_fingerprint(c->webrtcbin.get(), c->answer)) {
      fail_consumer(sid, "DTLS check failed: " + *mismatch);
      return;
    }
    GST_INFO_OBJECT(element_, "consumer %s: DTLS certificate matches the fingerprint of its answer", c->peer.c_str());
    for (auto &cs : c->streams)
      if (cs.gate) {
        gst_pad_remove_probe(cs.queue_src.get(), cs.gate);
        cs.gate = 0;
      }
    c->state = Consumer::State::Connected;
    c->verified->store(true);
    watch_liveness(c);
    // The transport is up: one keyframe (with headers) for this consumer's
    // video, through the coalescer shared with everyone else.
    for (auto &cs : c->streams)
      if (cs.branch && cs.input->kind == MediaKind::Video) request_keyframe(cs.branch);
  } else if (state == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED) {
    fail_consumer(sid, "the connection failed (ICE or DTLS)");
  }
}

// Control thread: drops the consumer once it has sent no RTCP for
// peer-timeout seconds.
void SinkCore::watch_liveness(const std::shared_ptr<Consumer> &c) {
  unsigned timeout_s = settings().peer_timeout_s;
  if (timeout_s == 0) return;
  std::weak_ptr<SinkCore> weak_core = weak_from_this();
  std::weak_ptr<Consumer> weak_c = c;
  c->liveness_timer = watch_rtcp_silence(control_.context(), c->last_rtcp, timeout_s, [weak_core, weak_c, timeout_s] {
    auto core = weak_core.lock();
    auto consumer = weak_c.lock();
    if (!core || !consumer) return;
    consumer->liveness_timer = nullptr;
    core->fail_consumer(consumer->sid, "no RTCP from it for " + std::to_string(timeout_s) + " s: gone without a word");
  });
}

void SinkCore::fail_consumer(const std::string &sid, const std::string &reason) {
  std::shared_ptr<ProducerSignaller> sig;
  std::string peer;
  {
    std::lock_guard lock(mutex_);
    auto it = consumers_.find(sid);
    if (it != consumers_.end()) peer = it->second->peer;
    sig = signaller_;
  }
  GST_ELEMENT_WARNING(element_, STREAM, FAILED,
                      ("Consumer %s dropped: %s", peer.empty() ? sid.c_str() : peer.c_str(), reason.c_str()),
                      ("session %s", sid.c_str()));
  if (sig) sig->end_session(sid, reason);
  remove_consumer(sid, reason);
}

void SinkCore::remove_consumer(const std::string &sid, const std::string &reason) {
  std::shared_ptr<Consumer> c;
  {
    std::lock_guard lock(mutex_);
    auto it = consumers_.find(sid);
    if (it == consumers_.end()) {
      // Maybe it was still waiting for input caps.
      for (auto p = pending_sessions_.begin(); p != pending_sessions_.end(); ++p)
        if (p->compare(0, sid.size(), sid) == 0) {
          pending_sessions_.erase(p);
          break;
        }
      return;
    }
    c = it->second;
    consumers_.erase(it);
    teardowns_in_flight_++;
  }
  for (GSource **t : {&c->connect_timer, &c->liveness_timer}) {
    if (*t) g_source_destroy(*t);
    *t = nullptr;
  }
  GST_INFO_OBJECT(element_, "removing consumer %s: %s", c->peer.c_str(), reason.c_str());
  teardown(c, reason);
}

// Unlinks the consumer from the shared tees (waiting for each tee pad to be
// idle, so no buffer is cut in half), then finishes on the call_async pool.
void SinkCore::teardown(std::shared_ptr<Consumer> consumer, const std::string &reason) {
  struct Pending {
    std::weak_ptr<SinkCore> core;
    std::shared_ptr<Consumer> consumer;
    std::string reason;
    std::atomic<int> left{0};
  };
  auto pending = std::make_shared<Pending>();
  pending->core = weak_from_this();
  pending->consumer = consumer;
  pending->reason = reason;
  int linked = 0;
  for (auto &cs : consumer->streams)
    if (cs.tee_pad) linked++;
  pending->left = linked + 1;

  auto finish_one = [](const std::shared_ptr<Pending> &p) {
    if (--p->left != 0) return;
    auto core = p->core.lock();
    if (!core) return;
    auto *heap = new std::shared_ptr<Pending>(p);
    gst_element_call_async(
        core->element_,
        [](GstElement *, gpointer data) {
          auto &pp = *static_cast<std::shared_ptr<Pending> *>(data);
          if (auto c = pp->core.lock()) c->finish_teardown(pp->consumer, pp->reason);
        },
        heap, [](gpointer d) { delete static_cast<std::shared_ptr<Pending> *>(d); });
  };

  for (auto &cs : consumer->streams) {
    if (!cs.tee_pad) continue;
    if (cs.branch) cs.branch->consumers--;
    struct Idle {
      std::shared_ptr<Pending> pending;
      GstPad *queue_sink;
      void (*finish)(const std::shared_ptr<Pending> &);
      std::atomic<bool> done{false};
    };
    auto *idle = new Idle{pending, GST_PAD(gst_object_ref(cs.ghost)), finish_one};
    gst_pad_add_probe(
        cs.tee_pad.get(), GST_PAD_PROBE_TYPE_IDLE,
        [](GstPad *pad, GstPadProbeInfo *, gpointer data) {
          auto *i = static_cast<Idle *>(data);
          if (i->done.exchange(true)) return GST_PAD_PROBE_REMOVE;
          gst_pad_unlink(pad, i->queue_sink);
          i->finish(i->pending);
          return GST_PAD_PROBE_REMOVE;
        },
        idle,
        [](gpointer d) {
          auto *i = static_cast<Idle *>(d);
          gst_object_unref(i->queue_sink);
          delete i;
        });
  }
  finish_one(pending);
}

void SinkCore::finish_teardown(const std::shared_ptr<Consumer> &c, const std::string &reason) {
  for (auto &cs : c->streams) {
    if (cs.tee_pad && cs.branch) gst_element_release_request_pad(cs.branch->tee, cs.tee_pad.get());
  }
  GstElement *w = c->webrtcbin.get();
  retire_child(bin_, c->bin.get());
  // GstBin drops the SINK flag with its last sink child; this bin is a sink
  // whether or not consumers exist.
  GST_OBJECT_LOCK(element_);
  GST_OBJECT_FLAG_SET(element_, GST_ELEMENT_FLAG_SINK);
  GST_OBJECT_UNLOCK(element_);
  if (hooks_.consumer_removed) hooks_.consumer_removed(c->peer, c->sid, w, reason);
  std::lock_guard lock(mutex_);
  teardowns_in_flight_--;
  teardown_done_.notify_all();
}

bool SinkCore::handle_child_error(GstMessage *msg) {
  // Snapshot under the lock, test ancestry without it: walking parents takes
  // object locks, and a property setter may hold the element's while it
  // waits for mutex_.
  std::vector<std::pair<std::string, GRef<GstElement>>> bins;
  {
    std::lock_guard lock(mutex_);
    for (auto &[id, c] : consumers_)
      if (c->bin) bins.emplace_back(id, c->bin);
  }
  std::string sid;
  for (auto &[id, bin] : bins) {
    if (GST_MESSAGE_SRC(msg) == GST_OBJECT(bin.get()) ||
        gst_object_has_as_ancestor(GST_MESSAGE_SRC(msg), GST_OBJECT(bin.get()))) {
      sid = id;
      break;
    }
  }
  if (sid.empty()) return false;
  GError *err = nullptr;
  gst_message_parse_error(msg, &err, nullptr);
  std::string why = std::string("webrtcbin error: ") + (err ? err->message : "unknown");
  if (err) g_error_free(err);
  post([this, sid, why] { fail_consumer(sid, why); });
  return true;
}

// ---- any thread: the control data channel ---------------------------------------

namespace {
// gstwebrtc-api's event names -> GstNavigation's.
const char *navigation_name(const std::string &e) {
  if (e == "MouseMove") return "mouse-move";
  if (e == "MouseButtonPress") return "mouse-button-press";
  if (e == "MouseButtonRelease") return "mouse-button-release";
  if (e == "MouseScroll") return "mouse-scroll";
  if (e == "KeyPress") return "key-press";
  if (e == "KeyRelease") return "key-release";
  if (e == "TouchDown") return "touch-down";
  if (e == "TouchMotion") return "touch-motion";
  if (e == "TouchUp") return "touch-up";
  return nullptr;
}

}  // namespace

// A message on gstwebrtc-api's control channel; the reply to send back.
// Parsing and the reply's JSON belong to the protocol library.
std::string SinkCore::handle_control_message(const std::string &text) {
  protocol::ControlRequest req = protocol::parse_control(text);
  std::string error = req.error;
  const char *nav = req.navigation ? navigation_name(req.navigation->event) : nullptr;
  if (req.navigation && !nav) error = "unknown navigation event '" + req.navigation->event + "'";
  if (nav) {
    const protocol::NavigationRequest &ev = *req.navigation;
    GstStructure *s = gst_structure_new("application/x-gst-navigation", "event", G_TYPE_STRING, nav, "pointer_x",
                                        G_TYPE_DOUBLE, ev.x, "pointer_y", G_TYPE_DOUBLE, ev.y, nullptr);
    if (ev.button) gst_structure_set(s, "button", G_TYPE_INT, *ev.button, nullptr);
    if (ev.key) gst_structure_set(s, "key", G_TYPE_STRING, ev.key->c_str(), nullptr);
    if (ev.event == "MouseScroll")
      gst_structure_set(s, "delta_pointer_x", G_TYPE_DOUBLE, ev.delta_x, "delta_pointer_y", G_TYPE_DOUBLE,
                        ev.delta_y, nullptr);
    // Upstream, into the user's pipeline, from every video input (the
    // protocol's optional `mid` would pick one; we have one per kind).
    std::vector<GstPad *> pads;
    {
      std::lock_guard lock(mutex_);
      for (auto &in : inputs_)
        if (in->kind == MediaKind::Video) pads.push_back(GST_PAD(gst_object_ref(in->ghost)));
    }
    for (auto *pad : pads) {
      gst_pad_push_event(pad, gst_event_new_navigation(gst_structure_copy(s)));
      gst_object_unref(pad);
    }
    gst_structure_free(s);
  }
  return protocol::control_response(req.id, error);
}

// ---- control thread: shared branches --------------------------------------------

GstElement *SinkCore::raw_tee_for(Input &input, std::string *error) {
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
  GstPad *src = gst_element_request_pad_simple(head, "src_%u");
  GstPad *sink = gst_element_get_static_pad(queue, "sink");
  gst_pad_link(src, sink);
  gst_object_unref(sink);
  gst_object_unref(src);
  // The decoder can only start on a keyframe.
  GstPad *head_sink = gst_element_get_static_pad(head, "sink");
  gst_pad_push_event(head_sink, gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
  gst_object_unref(head_sink);
  GST_INFO_OBJECT(element_, "input %s: transcoding %s", input.name.c_str(), info.name);
  return input.raw_tee = tee;
}

std::shared_ptr<SinkCore::Branch> SinkCore::get_branch(Input &input, const OfferedCodec &codec, std::string *error) {
  if (codec.passthrough) {
    if (!input.passthrough) {
      auto b = std::make_shared<Branch>();
      b->input_name = input.name;
      b->codec = codec.codec;
      b->passthrough = true;
      {
        std::lock_guard lock(mutex_);
        b->tee = input.head_tee;
      }
      b->tee_sink = GRef<GstPad>::adopt(gst_element_get_static_pad(b->tee, "sink"));
      b->throttle.set_interval(int64_t(settings().min_keyframe_interval_ms) * 1000);
      input.passthrough = b;
    }
    return input.passthrough;
  }
  auto it = input.encoders.find(codec.codec);
  if (it != input.encoders.end()) return it->second;
  auto b = make_encoder_branch(input, codec.codec, error);
  if (b) input.encoders[codec.codec] = b;
  return b;
}

std::shared_ptr<SinkCore::Branch> SinkCore::make_encoder_branch(Input &input, CodecId codec, std::string *error) {
  GstElement *src_tee = raw_tee_for(input, error);
  if (!src_tee) return nullptr;
  SinkSettings s = settings();
  const CodecInfo &info = codec_info(codec);
  std::string prefix = input.name + "-" + info.name + "-";
  GstElement *enc = make(info.encoder, prefix + "encoder");
  if (!enc) {
    *error = std::string("element '") + info.encoder + "' is missing";
    return nullptr;
  }
  std::vector<GstElement *> chain;
  GstElement *queue = make("queue", prefix + "queue");
  // Leaky: an encoder that cannot keep up drops raw frames; it never
  // blocks the input or the other codecs' encoders.
  g_object_set(queue, "leaky", 2, "max-size-buffers", 3, "max-size-bytes", 0, "max-size-time", 0, nullptr);
  chain.push_back(queue);
  GstCaps *caps = nullptr;
  if (info.kind == MediaKind::Video) {
    chain.push_back(make("videoconvert"));
    chain.push_back(enc);
    switch (codec) {
      case CodecId::H264:
        gst_util_set_object_arg(G_OBJECT(enc), "tune", "zerolatency");
        gst_util_set_object_arg(G_OBJECT(enc), "speed-preset", "ultrafast");
        g_object_set(enc, "bitrate", s.video_bitrate_kbps, "key-int-max", s.keyframe_interval_frames, nullptr);
        // Constrained baseline: what Safari/iOS and every browser decode.
        caps = gst_caps_from_string("video/x-h264,profile=constrained-baseline,stream-format=byte-stream");
        break;
      case CodecId::VP8:
      case CodecId::VP9:
        gst_util_set_object_arg(G_OBJECT(enc), "end-usage", "cbr");
        g_object_set(enc, "deadline", G_GINT64_CONSTANT(1), "target-bitrate", s.video_bitrate_kbps * 1000,
                     "keyframe-max-dist", s.keyframe_interval_frames, "lag-in-frames", 0, "cpu-used",
                     codec == CodecId::VP8 ? 4 : 8, nullptr);
        if (codec == CodecId::VP9) g_object_set(enc, "row-mt", TRUE, nullptr);
        caps = gst_caps_from_string(info.encoded_caps);
        break;
      default:
        break;
    }
  } else {
    chain.push_back(make("audioconvert"));
    chain.push_back(make("audioresample"));
    GstElement *cf = make("capsfilter");
    GstCaps *rate = gst_caps_from_string("audio/x-raw,rate=48000");
    g_object_set(cf, "caps", rate, nullptr);
    gst_caps_unref(rate);
    chain.push_back(cf);
    chain.push_back(enc);
    g_object_set(enc, "bitrate", s.audio_bitrate_kbps * 1000, nullptr);
    caps = gst_caps_from_string(info.encoded_caps);
  }
  GstElement *cf = make("capsfilter", prefix + "caps");
  g_object_set(cf, "caps", caps, nullptr);
  gst_caps_unref(caps);
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
  b->input_name = input.name;
  b->codec = codec;
  b->tee = tee;
  b->encoder = enc;
  b->tee_sink = GRef<GstPad>::adopt(gst_element_get_static_pad(tee, "sink"));
  b->throttle.set_interval(int64_t(s.min_keyframe_interval_ms) * 1000);

  // With no consumer left the branch idles: frames are dropped before the
  // encoder, which then costs nothing. The next consumer gets a keyframe.
  GstPad *qsrc = gst_element_get_static_pad(queue, "src");
  gst_pad_add_probe(
      qsrc, GST_PAD_PROBE_TYPE_BUFFER,
      [](GstPad *, GstPadProbeInfo *, gpointer data) {
        auto *wb = static_cast<std::weak_ptr<Branch> *>(data);
        auto b = wb->lock();
        return (b && b->consumers > 0) ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
      },
      new std::weak_ptr<Branch>(b), destroy_heap<std::weak_ptr<Branch>>);
  gst_object_unref(qsrc);

  sync_all(chain);
  GstPad *src = gst_element_request_pad_simple(src_tee, "src_%u");
  GstPad *sink = gst_element_get_static_pad(queue, "sink");
  gst_pad_link(src, sink);
  gst_object_unref(sink);
  gst_object_unref(src);
  {
    std::lock_guard lock(mutex_);
    stats_.encoders++;
  }
  GST_INFO_OBJECT(element_, "input %s: shared %s encoder created", input.name.c_str(), info.name);
  return b;
}

void SinkCore::request_keyframe(const std::shared_ptr<Branch> &branch) {
  auto send = [this](Branch &b) {
    GST_DEBUG_OBJECT(element_, "forcing a keyframe on %s/%s", b.input_name.c_str(), codec_info(b.codec).name);
    gst_pad_push_event(b.tee_sink.get(), gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
    std::lock_guard lock(mutex_);
    stats_.keyframes_forced++;
  };
  {
    std::lock_guard lock(mutex_);
    stats_.keyframe_requests++;
  }
  if (codec_info(branch->codec).kind != MediaKind::Video) return;
  auto d = branch->throttle.request(g_get_monotonic_time());
  if (d.send_now) {
    send(*branch);
    return;
  }
  if (!d.schedule_in_us) return;  // coalesced into the one already scheduled
  std::weak_ptr<Branch> weak = branch;
  GSource *t = g_timeout_source_new(std::max<int64_t>(1, *d.schedule_in_us / 1000));
  struct TimerCtx {
    std::weak_ptr<Branch> branch;
    std::function<void(Branch &)> send;
  };
  g_source_set_callback(
      t,
      [](gpointer data) -> gboolean {
        auto *tc = static_cast<TimerCtx *>(data);
        if (auto b = tc->branch.lock()) {
          b->timer = nullptr;
          b->throttle.fire(g_get_monotonic_time());
          tc->send(*b);
        }
        return G_SOURCE_REMOVE;
      },
      new TimerCtx{weak, send}, destroy_heap<TimerCtx>);
  g_source_attach(t, control_.context());
  branch->timer = t;
  g_source_unref(t);
}

}  // namespace webrtclive
