// SPDX-License-Identifier: LGPL-2.1-or-later
#include "sink-core.h"

#include "twcc.h"
#include "local-producers.h"
#include "dtls-certificate.h"

#include "consumer-chain.h"
#include "sink-consumer.h"

#include <algorithm>
#include "session.h"
#include "util.h"
#include "webrtc-util.h"

#include <gst/sdp/sdp.h>
#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>


#include <future>

GST_DEBUG_CATEGORY_EXTERN(webrtclivesink_debug);
#define GST_CAT_DEFAULT webrtclivesink_debug

namespace webrtclive {

namespace {
constexpr guint kConnectTimeoutS = 30;

std::string short_id(const std::string &id) { return id.substr(0, 8); }

}  // namespace

// ---- the objects ------------------------------------------------------------

// ---- lifetime ----------------------------------------------------------------

SinkCore::SinkCore(GstElement *element, Hooks hooks)
    : element_(element),
      bin_(GST_BIN(element)),
      hooks_(std::move(hooks)),
      stats_poller_([this] { return settings().stats_interval_ms; }, [this](bool post) { stats_tick(post); }) {
  FanOut::Hooks fh;
  fh.settings = [this] {
    SinkSettings s = settings();
    return FanOut::Settings{
        EncoderSettings{s.video_bitrate_kbps, s.audio_bitrate_kbps, s.keyframe_interval_frames},
        s.min_keyframe_interval_ms, s.video_layers, s.fanout_threads};
  };
  fh.encoder_setup = [this](const std::string &input, const char *codec, GstElement *encoder) {
    if (hooks_.encoder_setup) hooks_.encoder_setup(input, codec, encoder);
  };
  fh.input_ready = [this] { post([this] { on_input_ready(); }); };
  fanout_ = FanOut::create(element, keyframes_, std::move(fh));
}

SinkCore::~SinkCore() { stop(); }

bool SinkCore::start(std::unique_ptr<ProducerSignaller> signaller, std::string *error) {
  if (running_) return true;
  SinkSettings settings_now = settings();
  if (settings_now.talkback && !talkback_) {
    GstPadTemplate *templ = gst_element_class_get_pad_template(GST_ELEMENT_GET_CLASS(element_), "talkback");
    talkback_ = templ ? Talkback::create(element_, templ, error) : nullptr;
    if (!talkback_) {
      if (!templ) *error = "this element has no talkback pad template";
      return false;
    }
  }
  if (talkback_) talkback_->set_threshold_db(settings_now.talkback_threshold_db);
  unsigned ms = 0;
  certificate_pem_ = prepare_element_crypto(element_, &ms);  // its sessions share the certificate
  if (ms) GST_INFO_OBJECT(element_, "made the process's DTLS certificate before any viewer came (%u ms)", ms);
  running_ = true;
  control_.start();
  keyframes_->set_context(control_.context());
  post([this] {
    stats_poller_.start(control_.context());
    start_layers();
  });

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
      post([this, sid, reason] {
        remove_consumer(sid, reason ? "consumer left: " + *reason : "consumer left", EndReason::Normal);
      });
  };
  cb.registered = [this, weak](const std::string &peer_id) {
    if (weak.lock()) register_local_producer(peer_id, element_);
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
  SinkSettings limited;
  {
    std::lock_guard lock(mutex_);
    signaller_ = sig;
    settings_.codec_limit = sig->accepted_codecs();
    limited = settings_;
  }
  warn_codec_limit(limited);
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
  forget_local_producers(element_);

  // Let the control thread finish what it is doing, then end every consumer.
  control_.stop([this] {
    std::vector<std::string> sids;
    {
      std::lock_guard lock(mutex_);
      for (auto &[sid, c] : consumers_) sids.push_back(sid);
      pending_sessions_.clear();
    }
    for (auto &sid : sids) remove_consumer(sid, "element stopped", EndReason::Normal);
    stats_poller_.stop();
    stop_layers();
    running_ = false;
  });

  std::unique_lock lock(mutex_);
  teardown_done_.wait(lock, [this] { return teardowns_in_flight_ == 0; });
  lock.unlock();
  // Branches outlive a stop/start cycle: forget timers (their context is
  // gone) and any coalesced request, or the throttle would wait forever for
  // a timer that never fires.
  fanout_->restart();
  keyframes_->reset();
}

std::shared_ptr<ProducerSignaller> SinkCore::signaller() const {
  std::lock_guard lock(mutex_);
  return signaller_;
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
  s.encoders = fanout_->encoders();
  s.keyframe_requests = keyframes_->requests();
  s.keyframes_forced = keyframes_->forced();
  return s;
}

// ---- inputs (application thread) ------------------------------------------------

GstPad *SinkCore::add_input(GstPadTemplate *templ, MediaKind kind, const char *name) {
  return fanout_->add_input(templ, kind, name);
}

void SinkCore::remove_input(GstPad *pad) { fanout_->remove_input(pad); }

// ---- control thread: sessions ---------------------------------------------------

// A signaller that takes none of the codecs the sink may send for a kind:
// said once at start, or that kind would silently never be sent.
void SinkCore::warn_codec_limit(const SinkSettings &s) {
  auto check = [this](const std::vector<CodecId> &mine, const std::vector<std::string> &theirs, const char *kind,
                      const char *property) {
    if (theirs.empty() || !limit_codecs(mine, theirs).empty()) return;
    std::string list;
    for (auto &t : theirs) list += (list.empty() ? "" : ",") + t;
    GST_ELEMENT_WARNING(element_, RESOURCE, SETTINGS,
                        ("The signaller's consumers take only the %s codecs %s, and %s has none of them: no %s will "
                         "be sent.",
                         kind, list.c_str(), property, kind),
                        (nullptr));
  };
  check(s.video_codecs, s.codec_limit.video, "video", "video-codecs");
  check(s.audio_codecs, s.codec_limit.audio, "audio", "audio-codecs");
}

std::vector<OfferedCodec> SinkCore::codecs_to_offer(const FanOut::InputInfo &input, const SinkSettings &s) const {
  const bool video = input.kind == MediaKind::Video;
  auto codecs = deliverable_codecs(*input.format,
                                   limit_codecs(video ? s.video_codecs : s.audio_codecs,
                                                video ? s.codec_limit.video : s.codec_limit.audio),
                                   s.transcode);
  // With a layer ladder, TWCC on every video m-line: each viewer's feedback
  // drives its layer (core/sink-layers.cpp). Without one nothing would read
  // it, and every packet would cost rtpsession a record (decision 85).
  if (video && s.video_layers.size() > 1)
    for (auto &c : codecs) c.twcc_ext = kTwccOfferId;
  return codecs;
}

void SinkCore::on_session_requested(const std::string &sid, const std::string &peer,
                                    const std::optional<std::string> &offer) {
  auto sig = signaller();
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
    auto inputs = fanout_->inputs();
    std::lock_guard lock(mutex_);
    if (inputs.empty()) {
      wait = data_inputs_.empty();  // data only: nothing to wait for
    } else {
      for (auto &in : inputs)
        if (!in.format && !in.failed) wait = true;
    }
    if (wait) {
      pending_sessions_.push_back(PendingSession{sid, peer, offer});
      GST_INFO_OBJECT(element_, "session %s waits for input caps", sid.c_str());
      return;
    }
  }
  create_consumer(sid, peer, offer);
}

void SinkCore::on_input_ready() {
  std::vector<PendingSession> ready;
  {
    auto inputs = fanout_->inputs();
    std::lock_guard lock(mutex_);
    for (auto &in : inputs)
      if (!in.format && !in.failed) return;
    ready.swap(pending_sessions_);
  }
  for (auto &p : ready) create_consumer(p.sid, p.peer, p.offer);
}

void SinkCore::create_consumer(const std::string &sid, const std::string &peer,
                               const std::optional<std::string> &offer) {
  if (offer) {
    create_answering_consumer(sid, peer, *offer);
    return;
  }
  SinkSettings s = settings();
  std::vector<ConsumerStream> streams;
  for (auto &info : fanout_->inputs()) {
    auto in = std::make_shared<const FanOut::InputInfo>(std::move(info));
    if (!in->format) continue;  // failed input
    ConsumerStream cs;
    cs.input = in;
    cs.offered = codecs_to_offer(*in, s);
    if (cs.offered.empty()) continue;
    // m-lines follow the order transceivers are made in.
    cs.mline = static_cast<unsigned>(streams.size());
    streams.push_back(std::move(cs));
  }
  if (streams.empty() && data_channels().empty()) {
    std::string reason = "this producer has nothing a browser can take (pre-encoded input that is not browser-safe "
                         "and transcoding is off)";
    GST_ELEMENT_WARNING(element_, STREAM, CODEC_NOT_FOUND, ("Consumer %s refused: %s", peer.c_str(), reason.c_str()),
                        (nullptr));
    if (auto sig = signaller()) sig->end_session(sid, reason);
    return;
  }
  auto consumer = open_consumer(sid, peer, SessionRole::Offerer, s, !streams.empty());
  if (!consumer) return;
  consumer->streams = std::move(streams);
  GstElement *webrtc = consumer->webrtcbin.get();
  const bool talkback = talkback_ != nullptr;
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
    // With talkback the audio m-line is sendrecv: the consumer may answer
    // with its microphone on it.
    const bool talk = talkback && cs.input->kind == MediaKind::Audio;
    g_object_set(trans, "direction",
                 talk ? GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDRECV : GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY,
                 "codec-preferences", prefs, nullptr);
    if (cs.input->kind == MediaKind::Video) g_object_set(trans, "do-nack", TRUE, nullptr);
    gst_caps_unref(prefs);
    gst_object_unref(trans);
  }
  if (talkback && std::none_of(consumer->streams.begin(), consumer->streams.end(),
                               [](const ConsumerStream &cs) { return cs.input->kind == MediaKind::Audio; })) {
    // No audio input to share an m-line with: one of its own, after the media.
    GstCaps *opus = gst_caps_from_string(
        "application/x-rtp, media=(string)audio, encoding-name=(string)OPUS, clock-rate=(int)48000, payload=(int)111");
    GstWebRTCRTPTransceiver *trans = nullptr;
    g_signal_emit_by_name(webrtc, "add-transceiver", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDRECV, opus, &trans);
    gst_caps_unref(opus);
    if (trans) gst_object_unref(trans);
  }
  // Which codec each m-line got, read before webrtcbin sees the answer
  // (webrtcbin 1.22 aborts the process on a rejected bundled m-line).
  std::weak_ptr<Consumer> weak_c = consumer;
  consumer->session->set_answer_check([weak_c](const GstSDPMessage *answer, const GstSDPMessage *) -> std::string {
    auto c = weak_c.lock();
    if (!c) return "the consumer is gone";
    c->chosen.clear();
    for (auto &cs : c->streams) {
      AnswerChoice choice = choose_from_answer(answer, cs.mline, cs.offered);
      if (!choice.accepted) return choice.why;
      c->chosen.push_back(*choice.codec);
    }
    return {};
  });
  launch_consumer(consumer, s);
  watch_first_packet(consumer);
}

std::shared_ptr<SinkCore::Consumer> SinkCore::open_consumer(const std::string &sid, const std::string &peer,
                                                            SessionRole role, const SinkSettings &s, bool media) {
  auto consumer = std::make_shared<Consumer>();
  consumer->sid = sid;
  consumer->peer = peer;
  consumer->requested_us = g_get_monotonic_time();
  SessionConfig config;
  config.role = role;
  config.name = "consumer-" + short_id(sid) + "-" + std::to_string(next_consumer_++);
  config.owner = element_;
  config.certificate_pem = certificate_pem_;
  config.ice = IceSettings{s.ice_servers, s.ice_addresses};
  if (auto sig = signaller()) config.ice.learnt = sig->ice_servers();
  config.connect_timeout_s = kConnectTimeoutS;
  // Its ConsumerChains hold the media until the DTLS check on the shared
  // thread: the Session's gate must never block that thread (decision 88).
  config.gate_drops = true;
  // Without media there is no RTCP to watch: a data-only consumer is kept
  // until it leaves (SCTP has its own heartbeats).
  config.peer_timeout_s = media ? s.peer_timeout_s : 0;
  config.channels = data_channels();
  config.data_limits = s.data_limits;
  std::weak_ptr<SinkCore> weak = weak_from_this();
  Session::Events ev;
  ev.local_description = [weak, sid](const protocol::Sdp &sdp) {
    if (auto core = weak.lock())
      if (auto sig = core->signaller()) sig->send_sdp(sid, sdp);
  };
  ev.local_candidate = [weak, sid](const protocol::Ice &ice) {
    if (auto core = weak.lock())
      if (auto sig = core->signaller()) sig->send_ice(sid, ice);
  };
  ev.connected = [weak, sid] {
    if (auto core = weak.lock()) core->on_connected(sid);
  };
  ev.failed = [weak, sid](EndReason kind, const std::string &why) {
    if (auto core = weak.lock(); core && core->running_) core->fail_consumer(sid, why, kind);
  };
  data_events(ev, sid, peer);
  if (talkback_)
    ev.pad_added = [weak, sid](GstPad *pad) {
      if (auto core = weak.lock()) core->on_talkback_pad(sid, pad);
    };
  consumer->session = Session::create(control_.context(), config, std::move(ev));
  if (!consumer->session) {
    GST_ELEMENT_ERROR(element_, CORE, MISSING_PLUGIN, ("element 'webrtcbin' is missing (gstreamer1.0-plugins-bad)"),
                      (nullptr));
    if (auto sig = signaller()) sig->end_session(sid, std::string("producer is missing webrtcbin"));
    return nullptr;
  }
  consumer->webrtcbin = GRef<GstElement>::ref(consumer->session->webrtcbin());
  return consumer;
}

void SinkCore::launch_consumer(const std::shared_ptr<Consumer> &consumer, const SinkSettings &s) {
  const std::string &sid = consumer->sid;
  GstElement *webrtc = consumer->webrtcbin.get();
  GstElement *cbin = gst_bin_new(("consumer-" + short_id(sid)).c_str());
  consumer->bin = GRef<GstElement>::ref(cbin);
  {
    std::lock_guard lock(mutex_);
    consumers_[sid] = consumer;
    count_session_start(*consumer);
  }
  gst_bin_add(GST_BIN(cbin), webrtc);
  gst_bin_add(bin_, cbin);
  gst_element_sync_state_with_parent(cbin);
  if (s.control && consumer->session->config().role == SessionRole::Offerer) {
    // gstwebrtc-api turns a producer channel labelled "control" into its
    // remote controller: mouse and keyboard on the <video> come back here
    // as navigation events for the pipeline.
    consumer->control_channel = consumer->session->create_data_channel("control");
    if (GObject *channel = consumer->control_channel.get()) {
      struct ControlCtx {
        std::weak_ptr<SinkCore> core;
        std::shared_ptr<const std::atomic<bool>> verified;
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
          new ControlCtx{weak_from_this(), consumer->session->verified()},
          [](gpointer d, GClosure *) { delete static_cast<ControlCtx *>(d); }, GConnectFlags(0));
    }
  }

  GST_INFO_OBJECT(element_, "consumer %s (session %s): %s", consumer->peer.c_str(), sid.c_str(),
                  consumer->session->config().role == SessionRole::Offerer
                      ? ("offering " + std::to_string(consumer->streams.size()) + " stream(s)").c_str()
                      : "answering its offer");
  if (hooks_.consumer_added) hooks_.consumer_added(consumer->peer, sid, webrtc);
  consumer->session->start();
}

void SinkCore::on_remote_sdp(const std::string &sid, const protocol::Sdp &sdp) {
  std::shared_ptr<Consumer> c;
  {
    std::lock_guard lock(mutex_);
    auto it = consumers_.find(sid);
    if (it != consumers_.end()) c = it->second;
  }
  if (!c) return;
  // An answering consumer's only description was its offer: anything more
  // is refused by its Session (no renegotiation).
  if (!c->session->set_remote_description(sdp)) return;  // refused: `failed` follows
  attach_streams(c);
}

// Feeds each m-line from the shared stream of the codec the consumer chose.
bool SinkCore::attach_streams(const std::shared_ptr<Consumer> &c) {
  const std::string sid = c->sid;
  const std::vector<OfferedCodec> chosen = c->chosen;
  std::weak_ptr<SinkCore> weak = weak_from_this();
  for (size_t i = 0; i < c->streams.size() && i < chosen.size(); i++) {
    ConsumerStream &cs = c->streams[i];
    ConsumerChain::Config cfg;
    cfg.bin = c->bin.get();
    cfg.mline = cs.mline;
    cfg.codec = chosen[i];
    cfg.ssrc = cs.ssrc;
    cfg.webrtc_pad = cs.webrtc_pad.get();
    cfg.verified = c->session->verified();
    cfg.on_failure = [weak, sid](const std::string &what) {
      if (auto core = weak.lock()) core->post([self = core.get(), sid, what] { self->fail_consumer(sid, what); });
    };
    std::string error;
    cs.chain = ConsumerChain::build(cfg, &error);
    if (!cs.chain) {
      fail_consumer(sid, error);
      return false;
    }
    // A consumer's keyframe requests (PLI/FIR) go to the shared coalescer,
    // never straight to the shared encoder.
    std::weak_ptr<Consumer> weak_c = c;
    cs.keyframe_capture = keyframes_->capture_requests(cs.chain->head(), [weak, weak_c, i] {
      auto core = weak.lock();
      auto consumer = weak_c.lock();
      if (!core || !core->running_ || !consumer || i >= consumer->streams.size()) return;
      // One viewer's PLIs are its own: a lossy link asks for a keyframe
      // with every loss, and its layer's other viewers would pay for each.
      ConsumerStream &stream = consumer->streams[i];
      const gint64 now = g_get_monotonic_time();
      const gint64 interval = gint64{core->settings().consumer_keyframe_interval_ms} * 1000;
      if (now < stream.requests_held_until_us ||
          (stream.last_request_us && now - stream.last_request_us < interval)) {
        stream.requests_dropped++;
        return;
      }
      stream.last_request_us = now;
      if (auto &a = stream.attachment) core->fanout_->request_keyframe(*a);
    });
    // Start each consumer on a keyframe: what it would decode before one
    // is garbage.
    if (cs.input->kind == MediaKind::Video) KeyframeControl::drop_deltas_until_keyframe(cs.chain->head());
    cs.attachment = fanout_->attach(BranchKey{cs.input->name, chosen[i].codec, 0}, cs.chain->sink_pad(), &error);
    if (!cs.attachment) {
      fail_consumer(sid, error);
      return false;
    }
    GST_INFO_OBJECT(element_, "consumer %s: m-line %u gets %s (pt %d)%s", c->peer.c_str(), cs.mline,
                    codec_info(chosen[i].codec).name, chosen[i].pt, chosen[i].passthrough ? " (as it is)" : "");
    watch_layers(c, i, chosen[i]);
  }
  return true;
}

void SinkCore::on_remote_ice(const std::string &sid, const protocol::Ice &ice) {
  std::shared_ptr<Consumer> c;
  {
    std::lock_guard lock(mutex_);
    auto it = consumers_.find(sid);
    if (it != consumers_.end()) c = it->second;
  }
  if (!c) return;
  c->session->add_remote_candidate(ice);
}

// webrtcbin's streaming thread: a consumer's microphone (talkback).
void SinkCore::on_talkback_pad(const std::string &sid, GstPad *pad) {
  std::shared_ptr<Consumer> c;
  {
    std::lock_guard lock(mutex_);
    auto it = consumers_.find(sid);
    if (it != consumers_.end()) c = it->second;
  }
  if (!c || !talkback_) return;
  std::string error;
  auto input = talkback_->attach(c->bin.get(), pad, c->peer, &error);
  if (!input) {
    GST_ELEMENT_WARNING(element_, STREAM, FAILED, ("Talkback from consumer %s: %s.", c->peer.c_str(), error.c_str()),
                        (nullptr));
    return;
  }
  std::lock_guard lock(mutex_);
  c->talk = std::move(input);
}

// Control thread: its Session connected and checked its DTLS identity (media
// flows from now on).
void SinkCore::on_connected(const std::string &sid) {
  std::shared_ptr<Consumer> c;
  {
    std::lock_guard lock(mutex_);
    auto it = consumers_.find(sid);
    if (it != consumers_.end()) c = it->second;
  }
  if (!c) return;
  GST_INFO_OBJECT(element_, "consumer %s: connected; DTLS certificate matches the fingerprint of its answer",
                  c->peer.c_str());
  // One keyframe (with headers) for this consumer's video, through the
  // coalescer shared with everyone else.
  for (auto &cs : c->streams)
    if (cs.attachment && cs.input->kind == MediaKind::Video) fanout_->request_keyframe(*cs.attachment);
}

void SinkCore::fail_consumer(const std::string &sid, const std::string &reason, EndReason kind) {
  std::shared_ptr<ProducerSignaller> sig = signaller();
  std::string peer;
  {
    std::lock_guard lock(mutex_);
    auto it = consumers_.find(sid);
    if (it != consumers_.end()) peer = it->second->peer;
  }
  GST_ELEMENT_WARNING(element_, STREAM, FAILED,
                      ("Consumer %s dropped: %s", peer.empty() ? sid.c_str() : peer.c_str(), reason.c_str()),
                      ("session %s", sid.c_str()));
  if (sig) sig->end_session(sid, reason);
  remove_consumer(sid, reason, kind);
}

void SinkCore::remove_consumer(const std::string &sid, const std::string &reason, EndReason kind) {
  std::shared_ptr<Consumer> c;
  {
    std::lock_guard lock(mutex_);
    auto it = consumers_.find(sid);
    if (it == consumers_.end()) {
      // Maybe it was still waiting for input caps.
      for (auto p = pending_sessions_.begin(); p != pending_sessions_.end(); ++p)
        if (p->sid == sid) {
          pending_sessions_.erase(p);
          break;
        }
      return;
    }
    c = it->second;
    consumers_.erase(it);
    count_session_end(*c, kind);
    teardowns_in_flight_++;
  }
  c->session->close();
  GST_INFO_OBJECT(element_, "removing consumer %s: %s", c->peer.c_str(), reason.c_str());
  teardown(c, reason);
}

// Detaches the consumer from the shared branches (each waits for its tee pad
// to be idle, so no buffer is cut in half), then finishes on the call_async
// pool once every stream is off.
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
  int attached = 0;
  for (auto &cs : consumer->streams)
    if (cs.attachment) attached++;
  pending->left = attached + 1;

  // finish_teardown runs once every stream is off, on the call_async pool:
  // a detach's `done` is called there; the last call from here moves there.
  auto finish_one = [pending](bool on_pool) {
    if (--pending->left != 0) return;
    auto core = pending->core.lock();
    if (!core) return;
    if (on_pool) {
      core->finish_teardown(pending->consumer, pending->reason);
      return;
    }
    gst_element_call_async(
        core->element_,
        [](GstElement *, gpointer data) {
          auto &pp = *static_cast<std::shared_ptr<Pending> *>(data);
          if (auto c = pp->core.lock()) c->finish_teardown(pp->consumer, pp->reason);
        },
        new std::shared_ptr<Pending>(pending), [](gpointer d) { delete static_cast<std::shared_ptr<Pending> *>(d); });
  };

  for (auto &cs : consumer->streams) {
    cs.keyframe_capture.reset();
    if (cs.attachment) fanout_->detach(cs.attachment, [finish_one] { finish_one(true); });
  }
  finish_one(false);
}

void SinkCore::finish_teardown(const std::shared_ptr<Consumer> &c, const std::string &reason) {
  GstElement *w = c->webrtcbin.get();
  std::shared_ptr<Talkback::Input> talk;
  {
    std::lock_guard lock(mutex_);
    talk = std::move(c->talk);
  }
  if (talk) talkback_->stop(talk);  // before its bin stops (core/talkback.h)
  retire_child(bin_, c->bin.get());
  if (talk) talkback_->detach(talk);
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
    for (auto &pad : fanout_->input_pads(MediaKind::Video))
      gst_pad_push_event(pad.get(), gst_event_new_navigation(gst_structure_copy(s)));
    gst_structure_free(s);
  }
  return protocol::control_response(req.id, error);
}

}  // namespace webrtclive
