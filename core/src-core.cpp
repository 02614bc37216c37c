// SPDX-License-Identifier: LGPL-2.1-or-later
#include "src-core.h"
#include "src-link.h"
#include "dtls-certificate.h"

#include "util.h"
#include "webrtc-util.h"

#include <gst/app/gstappsrc.h>

#include <gst/sdp/sdp.h>
#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>

#include <condition_variable>
#include <future>

GST_DEBUG_CATEGORY_EXTERN(webrtclivesrc_debug);
#define GST_CAT_DEFAULT webrtclivesrc_debug

namespace webrtclive {

using namespace protocol;

namespace {

void set_if_exists(GstElement *e, const char *prop, gboolean value) {
  if (g_object_class_find_property(G_OBJECT_GET_CLASS(e), prop)) g_object_set(e, prop, value, nullptr);
}

}  // namespace

// Audio, video and data m-lines a producer may offer (cameras offer 1-3).
constexpr guint kMaxOfferMlines = 8;

SrcCore::SrcCore(GstElement *element)
    : element_(element),
      bin_(GST_BIN(element)),
      stats_poller_([this] { return settings().stats_interval_ms; }, [this](bool post) { stats_tick(post); }) {
  for (auto &m : mixers_) g_weak_ref_init(&m, nullptr);
}

SrcCore::~SrcCore() {
  stop();
  for (auto &m : mixers_) g_weak_ref_clear(&m);
}

template <typename Fn>
void SrcCore::post(Fn &&fn) {
  std::weak_ptr<SrcCore> weak = weak_from_this();
  post_to(control_.context(), [weak, fn = std::forward<Fn>(fn)]() mutable {
    auto self = weak.lock();
    if (self && self->running_) fn();
  });
}

std::shared_ptr<ConsumerSignaller> SrcCore::signaller() const {
  std::lock_guard lock(mutex_);
  return signaller_;
}

SrcSettings SrcCore::settings() const {
  std::lock_guard lock(mutex_);
  return settings_;
}

void SrcCore::update_settings(const std::function<void(SrcSettings &)> &fn) {
  std::lock_guard lock(mutex_);
  fn(settings_);
}

std::vector<std::string> SrcCore::urls() const {
  auto sig = signaller();
  return sig ? sig->urls() : std::vector<std::string>{};
}

bool SrcCore::start(std::unique_ptr<ConsumerSignaller> signaller, std::string *error) {
  if (running_) return true;
  unsigned ms = 0;
  certificate_pem_ = prepare_element_crypto(element_, &ms);  // its sessions share the certificate
  if (ms) GST_INFO_OBJECT(element_, "made the process's DTLS certificate before the producer came (%u ms)", ms);
  running_ = true;
  finished_ = false;
  control_.start();
  post([this] { stats_poller_.start(control_.context()); });
  // Signalling callbacks come from the signaller's thread: only post.
  std::weak_ptr<SrcCore> weak = weak_from_this();
  ConsumerSignaller::Callbacks cb;
  cb.producer_found = [this, weak](const std::string &peer, const std::string &name) {
    if (!weak.lock()) return;
    GST_INFO_OBJECT(element_, "consuming producer %s (%s)", peer.c_str(), name.c_str());
    auto *st = gst_structure_new("webrtclive-producer-found", "peer-id", G_TYPE_STRING, peer.c_str(), "name",
                                 G_TYPE_STRING, name.c_str(), nullptr);
    gst_element_post_message(element_, gst_message_new_element(GST_OBJECT(element_), st));
  };
  cb.session_started = [this, weak](const std::string &sid, const std::string &peer, const std::string &name) {
    if (weak.lock()) post([this, sid, peer, name] { on_session_started(sid, peer, name); });
  };
  cb.remote_sdp = [this, weak](const std::string &sid, const Sdp &sdp) {
    if (weak.lock()) post([this, sid, sdp] { on_remote_sdp(sid, sdp); });
  };
  cb.remote_ice = [this, weak](const std::string &sid, const Ice &ice) {
    if (weak.lock()) post([this, sid, ice] { on_remote_ice(sid, ice); });
  };
  cb.session_ended = [this, weak](const std::string &sid, const std::string &reason) {
    if (weak.lock())
      post([this, sid, reason] {
        if (auto l = current(sid)) lose_link(l, reason, false);
      });
  };
  cb.error = [this, weak](const std::string &message, bool fatal) {
    if (!weak.lock()) return;
    if (fatal)
      GST_ELEMENT_ERROR(element_, RESOURCE, READ, ("Signalling: %s", message.c_str()), (nullptr));
    else
      GST_ELEMENT_WARNING(element_, RESOURCE, READ, ("Signalling: %s", message.c_str()), (nullptr));
  };
  std::shared_ptr<ConsumerSignaller> sig(std::move(signaller));
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

void SrcCore::stop() {
  if (!running_) return;
  std::shared_ptr<ConsumerSignaller> sig;
  {
    std::lock_guard lock(mutex_);
    sig = std::move(signaller_);
  }
  // No signalling callback after this returns.
  if (sig) sig->stop();
  control_.stop([this] {
    std::map<std::string, std::shared_ptr<Link>> all;
    {
      std::lock_guard lock(mutex_);
      all.swap(links_);
    }
    for (auto &[sid, s] : all) {
      s->session->close();
      {
        std::lock_guard lock(mutex_);
        count_link_end(*s, EndReason::Normal);
      }
      teardown(s);
    }
    stats_poller_.stop();
    running_ = false;
  });
  std::unique_lock lock(mutex_);
  teardown_done_.wait(lock, [this] { return teardowns_in_flight_ == 0; });
}

// ---- control thread: the session with the producer --------------------------------

void SrcCore::on_session_started(const std::string &sid, const std::string &peer, const std::string &name) {
  if (current(sid)) return;
  if (finished_) {
    if (auto sig = signaller()) sig->end_session(sid, "the stream has ended");
    return;
  }
  SrcSettings s = settings();
  // One producer at a time, or one session per producer: an older session
  // it replaces is ended first.
  for (auto &old : links())
    if (!s.all_producers || old->producer == peer) lose_link(old, "the signaller started another session", true);
  auto link = std::make_shared<Link>();
  link->sid = sid;
  link->producer = peer;
  link->name = name;
  for (char c : peer) link->key += g_ascii_isalnum(c) || c == '-' ? c : '_';
  SessionConfig config;
  config.role = SessionRole::Answerer;
  config.owner = element_;
  config.certificate_pem = certificate_pem_;
  config.ice = IceSettings{s.ice_servers, s.ice_addresses};
  config.latency_ms = s.latency_ms;
  config.peer_timeout_s = s.peer_timeout_s;
  config.connect_timeout_s = 0;  // the producer's side times out; we wait for it to come back
  config.max_remote_mlines = kMaxOfferMlines;
  config.data_limits = s.data_limits;
  std::weak_ptr<SrcCore> weak = weak_from_this();
  std::weak_ptr<Link> weak_link = link;
  Session::Events events;
  events.local_description = [this, weak, sid](const Sdp &sdp) {
    if (!weak.lock()) return;
    if (auto sig = signaller()) sig->send_sdp(sid, sdp);
  };
  events.local_candidate = [this, weak, sid](const Ice &ice) {
    if (!weak.lock()) return;
    if (auto sig = signaller()) sig->send_ice(sid, ice);
  };
  events.failed = [this, weak, weak_link](EndReason kind, const std::string &why) {
    auto self = weak.lock();
    auto l = weak_link.lock();
    if (!self || !l) return;
    lose_link(l, why, true, kind);  // on the control thread (Session's context)
  };
  events.data = [this, weak, peer](const DataChannelSpec &channel, GBytes *data, bool text) {
    if (!weak.lock()) return;
    push_data(channel, data, text);
    if (data_hook_) data_hook_(peer, channel.label, data, text);
  };
  events.data_dropped = [this, weak](const std::string &label, const std::string &why) {
    if (weak.lock())
      GST_ELEMENT_WARNING(element_, STREAM, FAILED,
                          ("Dropped a message from the producer on data channel '%s': %s.", label.c_str(), why.c_str()),
                          (nullptr));
  };
  events.pad_added = [this, weak, weak_link](GstPad *pad) {
    auto self = weak.lock();
    auto l = weak_link.lock();
    if (self && l) on_pad_added(l, pad);
  };
  auto session = Session::create(control_.context(), config, std::move(events));
  if (!session) {
    GST_ELEMENT_ERROR(element_, CORE, MISSING_PLUGIN, ("element 'webrtcbin' is missing (gstreamer1.0-plugins-bad)"),
                      (nullptr));
    return;
  }
  // Only offers this plugin can take: the answer lists what we depayload.
  session->set_offer_hook([](GstSDPMessage *offer) {
    keep_receivable_codecs(offer);
    return std::string();
  });
  link->session = session;
  link->webrtcbin = GRef<GstElement>::ref(session->webrtcbin());
  {
    std::lock_guard lock(mutex_);
    link->seq = link_seq_++;
    links_[sid] = link;
    figures_.sessions.started++;
  }
  gst_bin_add(bin_, session->webrtcbin());
  // webrtcbin holds sinks (nicesink), which made this bin a "sink" for its
  // parent: the pipeline would then wait for an EOS from this source that
  // never comes. It is a source, whatever it contains.
  GST_OBJECT_LOCK(element_);
  GST_OBJECT_FLAG_UNSET(element_, GST_ELEMENT_FLAG_SINK);
  GST_OBJECT_UNLOCK(element_);
  gst_element_sync_state_with_parent(session->webrtcbin());
  session->start();
  GST_INFO_OBJECT(element_, "session %s with producer %s", sid.c_str(), peer.c_str());
}

std::shared_ptr<SrcCore::Link> SrcCore::current(const std::string &sid) {
  std::lock_guard lock(mutex_);
  auto it = links_.find(sid);
  return it != links_.end() ? it->second : nullptr;
}

std::vector<std::shared_ptr<SrcCore::Link>> SrcCore::links() const {
  std::vector<std::shared_ptr<Link>> all;
  std::lock_guard lock(mutex_);
  for (auto &[sid, l] : links_) all.push_back(l);
  return all;
}

void SrcCore::on_remote_sdp(const std::string &sid, const Sdp &sdp) {
  if (auto l = current(sid)) (void)l->session->set_remote_description(sdp);
}

void SrcCore::on_remote_ice(const std::string &sid, const Ice &ice) {
  if (auto l = current(sid)) l->session->add_remote_candidate(ice);
}

void SrcCore::lose_link(const std::shared_ptr<Link> &l, const std::string &reason, bool tell_server,
                        EndReason kind) {
  {
    std::lock_guard lock(mutex_);
    auto it = links_.find(l->sid);
    if (it == links_.end() || it->second != l) return;  // already lost
    links_.erase(it);
    count_link_end(*l, kind);
  }
  l->session->close();
  if (tell_server)
    if (auto sig = signaller()) sig->end_session(l->sid, reason);
  SrcSettings set = settings();
  auto *st = gst_structure_new("webrtclive-producer-lost", "peer-id", G_TYPE_STRING, l->producer.c_str(), "reason",
                               G_TYPE_STRING, reason.c_str(), nullptr);
  gst_element_post_message(element_, gst_message_new_element(GST_OBJECT(element_), st));
  // The signaller looks for the producer again by itself, unless this was
  // the last session (eos mode: it was made with `once`).
  if (set.all_producers) {
    GST_INFO_OBJECT(element_, "producer %s (%s) left: %s", l->producer.c_str(), l->name.c_str(), reason.c_str());
  } else if (set.eos_on_loss) {
    GST_ELEMENT_WARNING(element_, RESOURCE, READ, ("Producer went away (%s); ending the stream.", reason.c_str()),
                        (nullptr));
    finished_ = true;
  } else {
    GST_ELEMENT_WARNING(element_, RESOURCE, READ,
                        ("Producer went away (%s); waiting for it to come back.", reason.c_str()), (nullptr));
  }
  teardown(l);
}

// ---- data channels: one sometimes pad per label, kept across sessions ------------

// An appsrc inside the bin behind a ghost pad data_N. Messages are pushed
// from webrtcbin's data-channel thread and must never block it: the appsrc
// queues up to 4 MiB and then drops the oldest (a downstream that stalls
// loses messages, the session does not).
struct SrcCore::DataSource {
  GRef<GstElement> appsrc;
  CapsPtr text_caps, binary_caps;
};

namespace {
constexpr guint64 kDataQueueBytes = 4 * 1024 * 1024;

CapsPtr data_caps(const DataChannelSpec &ch, bool text) {
  GstCaps *caps = text ? gst_caps_new_simple("text/x-raw", "format", G_TYPE_STRING, "utf8", nullptr)
                       : gst_caps_new_empty_simple("application/octet-stream");
  gst_caps_set_simple(caps, "label", G_TYPE_STRING, ch.label.c_str(), "ordered", G_TYPE_BOOLEAN, ch.ordered,
                      "max-retransmits", G_TYPE_INT, ch.max_retransmits, "max-packet-lifetime", G_TYPE_INT,
                      ch.max_packet_lifetime, nullptr);
  return CapsPtr(caps);
}
}  // namespace

// webrtcbin's thread (the first message may come before the channel's open
// event reached the control thread, so the pad is made here).
void SrcCore::push_data(const DataChannelSpec &ch, GBytes *data, bool text) {
  std::shared_ptr<DataSource> src;
  {
    std::lock_guard lock(mutex_);
    if (auto it = data_sources_.find(ch.label); it != data_sources_.end()) src = it->second;
  }
  if (!src) {
    std::lock_guard serial(pad_added_mutex_);  // one pad at a time, as for media
    {
      std::lock_guard lock(mutex_);
      if (auto it = data_sources_.find(ch.label); it != data_sources_.end()) src = it->second;
    }
    if (!src) {
      src = std::make_shared<DataSource>();
      GstElement *appsrc = gst_element_factory_make("appsrc", nullptr);
      g_object_set(appsrc, "is-live", TRUE, "format", GST_FORMAT_TIME, "do-timestamp", TRUE, "block", FALSE,
                   "max-bytes", kDataQueueBytes, nullptr);
      gst_util_set_object_arg(G_OBJECT(appsrc), "leaky-type", "downstream");
      src->appsrc = GRef<GstElement>::ref(appsrc);
      src->text_caps = data_caps(ch, true);
      src->binary_caps = data_caps(ch, false);
      unsigned index;
      {
        std::lock_guard lock(mutex_);
        index = data_sources_.size();
        data_sources_[ch.label] = src;
      }
      std::string name = "data_" + std::to_string(index);
      gst_bin_add(bin_, appsrc);
      GstPad *target = gst_element_get_static_pad(appsrc, "src");
      GstPad *ghost = gst_ghost_pad_new_from_template(
          name.c_str(), target, gst_element_class_get_pad_template(GST_ELEMENT_GET_CLASS(element_), "data_%u"));
      // An application may use data-received alone and leave the pad
      // unlinked: its messages are then dropped here, not a not-linked
      // error for the whole pipeline.
      gst_pad_add_probe(
          target, GST_PAD_PROBE_TYPE_BUFFER,
          [](GstPad *, GstPadProbeInfo *, gpointer ghost) {
            return gst_pad_is_linked(GST_PAD(ghost)) ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
          },
          ghost, nullptr);
      gst_object_unref(target);
      {
        std::lock_guard lock(mutex_);
        pads_[name] = ghost;
      }
      gst_element_sync_state_with_parent(appsrc);
      gst_pad_set_active(ghost, TRUE);
      gst_element_add_pad(element_, ghost);
      GST_INFO_OBJECT(element_, "%s: data channel '%s' from the producer", name.c_str(), ch.label.c_str());
    }
  }
  GstBuffer *buf = gst_buffer_new_wrapped_bytes(data);
  GstSample *sample = gst_sample_new(buf, text ? src->text_caps.get() : src->binary_caps.get(), nullptr, nullptr);
  gst_app_src_push_sample(GST_APP_SRC(src->appsrc.get()), sample);
  gst_sample_unref(sample);
  gst_buffer_unref(buf);
}

// To every producer with that channel open (producers=all: all of them).
bool SrcCore::send_data(const std::string &label, GBytes *data, bool text) {
  bool sent = false;
  for (auto &l : links()) sent |= l->session->send_data(label, data, text);
  return sent;
}

// ---- streaming thread: pads ------------------------------------------------------

void SrcCore::on_pad_added(const std::shared_ptr<Link> &session, GstPad *pad) {
  // webrtcbin exposes audio and video on two streaming threads, often in the
  // same millisecond (both are released together when the producer's DTLS
  // gate opens). Built one at a time: the decode-or-not decision below asks
  // the ghost pad's peer, which gst-launch links from its pad-added handler;
  // with two pads added at once that link could still be missing (measured:
  // 1 run in 7 decoded H.264 that downstream wanted encoded).
  std::lock_guard serial(pad_added_mutex_);
  GstCaps *caps = gst_pad_get_current_caps(pad);
  if (!caps) caps = gst_pad_query_caps(pad, nullptr);
  const GstStructure *st = caps && !gst_caps_is_empty(caps) ? gst_caps_get_structure(caps, 0) : nullptr;
  const char *enc = st ? gst_structure_get_string(st, "encoding-name") : nullptr;
  auto codec = enc ? codec_from_encoding_name(enc) : std::nullopt;
  gchar *caps_str = caps ? gst_caps_to_string(caps) : g_strdup("no caps");
  if (caps) gst_caps_unref(caps);
  if (!codec) {
    GST_ELEMENT_WARNING(element_, STREAM, CODEC_NOT_FOUND, ("The producer sends a stream this element cannot take."),
                        ("%s", caps_str));
    g_free(caps_str);
    return;
  }
  g_free(caps_str);
  const CodecId id = *codec;
  const CodecInfo &info = codec_info(id);
  unsigned index;
  {
    std::lock_guard lock(mutex_);
    index = info.kind == MediaKind::Video ? session->video++ : session->audio++;
  }
  GstPad *ghost = ghost_for(*session, info.kind, index);

  // Decoded by default; the encoded stream when downstream takes it but not
  // raw media (e.g. `webrtclivesrc ! video/x-h264 ! ...`).
  bool decode = true;
  if (GstCaps *peer = gst_pad_peer_query_caps(ghost, nullptr)) {
    GstCaps *raw = gst_caps_from_string(info.kind == MediaKind::Video ? "video/x-raw" : "audio/x-raw");
    GstCaps *encoded = gst_caps_from_string(info.encoded_caps);
    if (!gst_caps_is_any(peer) && !gst_caps_can_intersect(peer, raw) && gst_caps_can_intersect(peer, encoded))
      decode = false;
    gst_caps_unref(raw);
    gst_caps_unref(encoded);
    gst_caps_unref(peer);
  }

  std::vector<GstElement *> chain;
  GstElement *depay = gst_element_factory_make(depayloader_for(id), nullptr);
  if (!depay) {
    GST_ELEMENT_ERROR(element_, CORE, MISSING_PLUGIN, ("Element '%s' is missing.", depayloader_for(id)), (nullptr));
    return;
  }
  // Ask the producer for a keyframe (PLI) when packets are lost, and do not
  // output anything before the first one.
  set_if_exists(depay, "request-keyframe", TRUE);
  set_if_exists(depay, "wait-for-keyframe", TRUE);
  chain.push_back(depay);
  if (const char *p = parser_for(id))
    if (GstElement *parse = gst_element_factory_make(p, nullptr)) chain.push_back(parse);
  if (decode) {
    GstElement *dec = gst_element_factory_make(info.decoder, nullptr);
    if (!dec && id == CodecId::H264) dec = gst_element_factory_make("openh264dec", nullptr);
    if (!dec) {
      for (auto *e : chain) gst_object_unref(gst_object_ref_sink(e));  // floating, never added
      GST_ELEMENT_ERROR(element_, CORE, MISSING_PLUGIN, ("No decoder for %s (element '%s').", info.name, info.decoder),
                        (nullptr));
      return;
    }
    // A decoder that meets corrupt data asks upstream for a keyframe, which
    // rtpbin turns into a PLI to the producer.
    set_if_exists(dec, "automatic-request-sync-points", TRUE);
    set_if_exists(dec, "discard-corrupted-frames", TRUE);
    chain.push_back(dec);
  }
  for (auto *e : chain) gst_bin_add(bin_, e);
  for (size_t i = 1; i < chain.size(); i++) gst_element_link(chain[i - 1], chain[i]);
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) gst_element_sync_state_with_parent(*it);
  GstPad *last = gst_element_get_static_pad(chain.back(), "src");
  gst_ghost_pad_set_target(GST_GHOST_PAD(ghost), last);
  gst_object_unref(last);
  GstPad *sink = gst_element_get_static_pad(depay, "sink");
  GstPadLinkReturn lr = gst_pad_link(pad, sink);
  gst_object_unref(sink);
  {
    std::lock_guard lock(mutex_);
    for (auto *e : chain) session->elements.push_back(e);
    session->ghosts.push_back(ghost);
  }
  if (lr != GST_PAD_LINK_OK)
    GST_ELEMENT_WARNING(element_, CORE, NEGOTIATION, ("Could not link the received %s stream.", info.name), (nullptr));
  tag_first_buffer(*session, ghost);
  lay_out();  // producers=all with layout=grid
  // The pipeline's latency was computed before this stream existed: asked
  // again, a mixer downstream waits for this stream's jitterbuffer too (seen
  // in the room test: compositor's latency 67 → 133 ms after the first
  // producer). Posted after the chain is linked.
  gst_element_post_message(element_, gst_message_new_latency(GST_OBJECT(element_)));
  GST_INFO_OBJECT(element_, "%s: %s from the producer%s", GST_PAD_NAME(ghost), info.name,
                  decode ? ", decoded" : ", not decoded (downstream takes it encoded)");
}

// Control thread: stop the session's elements on the call_async pool, then
// leave the ghost pads without target (downstream stays linked) or, in EOS
// mode, end them.
void SrcCore::teardown(std::shared_ptr<Link> session) {
  {
    std::lock_guard lock(mutex_);
    teardowns_in_flight_++;
  }
  struct Job {
    std::weak_ptr<SrcCore> core;
    std::shared_ptr<Link> session;
    bool eos;  // one producer, eos mode: every pad ends
    bool own;  // producers=all: this producer's pads end and go
  };
  auto *job = new Job{weak_from_this(), std::move(session), finished_, settings().all_producers};
  gst_element_call_async(
      element_,
      [](GstElement *, gpointer data) {
        auto *j = static_cast<Job *>(data);
        auto core = j->core.lock();
        if (!core) return;
        // webrtcbin first: once it is NULL no pad-added can still be
        // building a chain, so the snapshot below is complete.
        GstElement *w = j->session->webrtcbin.get();
        stop_child(w);
        std::vector<GstElement *> elements;
        std::vector<GstPad *> ghosts;
        std::vector<GstPad *> all_pads;
        {
          std::lock_guard lock(core->mutex_);
          elements = j->session->elements;
          ghosts = j->session->ghosts;
          for (auto &[name, pad] : core->pads_) all_pads.push_back(pad);
        }
        for (auto *e : elements) stop_child(e);
        GST_DEBUG_OBJECT(core->element_, "session %s stopped; %s %zu pad(s)", j->session->sid.c_str(),
                         j->eos || j->own ? "ending" : "detaching", ghosts.size());
        for (auto *g : ghosts) {
          // The next session may already feed this pad: only detach our own.
          GstPad *target = gst_ghost_pad_get_target(GST_GHOST_PAD(g));
          bool ours = false;
          if (target) {
            GstObject *owner = gst_pad_get_parent(target);
            ours = owner && std::find(elements.begin(), elements.end(), GST_ELEMENT(owner)) != elements.end();
            if (owner) gst_object_unref(owner);
            gst_object_unref(target);
          }
          if (ours) gst_ghost_pad_set_target(GST_GHOST_PAD(g), nullptr);
        }
        if (j->own)
          core->end_pads(*j->session, ghosts);  // this producer's pads only: EOS, then gone
        else if (j->eos)
          for (auto *pad : all_pads) gst_pad_push_event(pad, gst_event_new_eos());
        for (auto *e : elements) gst_bin_remove(core->bin_, e);
        gst_bin_remove(core->bin_, w);
        GST_OBJECT_LOCK(core->element_);
        GST_OBJECT_FLAG_UNSET(core->element_, GST_ELEMENT_FLAG_SINK);
        GST_OBJECT_UNLOCK(core->element_);
        std::lock_guard lock(core->mutex_);
        core->teardowns_in_flight_--;
        core->teardown_done_.notify_all();
      },
      job, destroy_heap<Job>);
}

bool SrcCore::handle_child_error(GstMessage *msg) {
  // Snapshot under the lock; walk the hierarchy without it (object locks).
  std::shared_ptr<Link> s;
  for (auto &l : links()) {
    std::vector<GstElement *> elements;
    {
      std::lock_guard lock(mutex_);
      elements = l->elements;
    }
    bool ours = GST_MESSAGE_SRC(msg) == GST_OBJECT(l->webrtcbin.get()) ||
                gst_object_has_as_ancestor(GST_MESSAGE_SRC(msg), GST_OBJECT(l->webrtcbin.get()));
    for (auto *e : elements) ours |= GST_MESSAGE_SRC(msg) == GST_OBJECT(e);
    if (ours) s = l;
  }
  if (!s) return false;
  GError *err = nullptr;
  gst_message_parse_error(msg, &err, nullptr);
  std::string why = std::string("receiving failed: ") + (err ? err->message : "?");
  if (err) g_error_free(err);
  std::weak_ptr<Link> weak_link = s;
  post([this, why, weak_link] {
    if (auto l = weak_link.lock()) lose_link(l, why, true, EndReason::Error);
  });
  return true;
}

}  // namespace webrtclive
