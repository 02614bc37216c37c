// SPDX-License-Identifier: LGPL-2.1-or-later
#include "session.h"

#include "pad-probe.h"
#include "twcc.h"

#include <algorithm>

#include "codecs.h"
#include "control-loop.h"
#include "util.h"

#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>

GST_DEBUG_CATEGORY_STATIC(webrtclive_session_debug);
#define GST_CAT_DEFAULT webrtclive_session_debug

namespace webrtclive {

namespace {

void init_debug() {
  static gsize once = 0;
  if (g_once_init_enter(&once)) {
    GST_DEBUG_CATEGORY_INIT(webrtclive_session_debug, "webrtclivesession", 0, "webrtclive sessions (webrtcbin)");
    g_once_init_leave(&once, 1);
  }
}

using Weak = std::weak_ptr<Session>;

// A promise whose reply is handed, with the session, to `fn` on webrtcbin's
// thread; nothing happens once the session is gone.
template <typename Fn>
GstPromise *promise_for(const std::shared_ptr<Session> &session, Fn fn) {
  struct Ctx {
    Weak session;
    Fn fn;
  };
  return gst_promise_new_with_change_func(
      [](GstPromise *p, gpointer data) {
        auto *ctx = static_cast<Ctx *>(data);
        if (auto s = ctx->session.lock()) ctx->fn(s, gst_promise_get_reply(p));
      },
      new Ctx{session, std::move(fn)}, destroy_heap<Ctx>);
}

std::string reply_error(const GstStructure *reply) {
  if (!reply || !gst_structure_has_field(reply, "error")) return {};
  GError *err = nullptr;
  gst_structure_get(reply, "error", G_TYPE_ERROR, &err, nullptr);
  ErrorPtr owned(err);
  return err ? err->message : "unknown error";
}

// Each m-line of an answer with port 0 (rejected): webrtcbin 1.22 aborts
// the process on a rejected bundled m-line.
std::optional<guint> rejected_mline(const GstSDPMessage *answer) {
  for (guint i = 0; i < gst_sdp_message_medias_len(answer); i++)
    if (gst_sdp_media_get_port(gst_sdp_message_get_media(answer, i)) == 0) return i;
  return std::nullopt;
}

// Every DTLS transport webrtcbin makes takes the certificate: its
// dtlssrtpdec's "pem" (bound both ways to the transport's "certificate",
// which the SDP fingerprint is made from). Set when the transport's bin joins
// webrtcbin, before any DTLS state change (dtlsdec makes its connection
// again for the new agent; docs/webrtcbin-notes.md).
void use_certificate(GstElement *webrtcbin, std::shared_ptr<const std::string> pem) {
  g_signal_connect_data(
      webrtcbin, "deep-element-added",
      G_CALLBACK(+[](GstBin *, GstBin *, GstElement *element, gpointer data) {
        GstElementFactory *f = gst_element_get_factory(element);
        if (f && g_str_equal(GST_OBJECT_NAME(f), "dtlssrtpdec"))
          g_object_set(element, "pem", static_cast<std::shared_ptr<const std::string> *>(data)->get()->c_str(), nullptr);
      }),
      new std::shared_ptr<const std::string>(std::move(pem)),
      [](gpointer data, GClosure *) { delete static_cast<std::shared_ptr<const std::string> *>(data); },
      GConnectFlags(0));
}

}  // namespace

std::shared_ptr<Session> Session::create(GMainContext *context, SessionConfig config, Events events,
                                         GstElement *existing) {
  init_debug();
  std::shared_ptr<Session> s(new Session(context, std::move(config), std::move(events)));
  if (existing) {
    s->webrtcbin_ = GRef<GstElement>::ref(existing);
    s->adopted_ = true;
  } else {
    GstElement *w = gst_element_factory_make("webrtcbin", s->config_.name.empty() ? nullptr : s->config_.name.c_str());
    if (!w) return nullptr;
    s->webrtcbin_ = GRef<GstElement>::ref(w);  // sinks the floating ref: the owner adds it to a bin
    g_object_set(w, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, nullptr);
    if (s->config_.latency_ms) g_object_set(w, "latency", s->config_.latency_ms, nullptr);
    if (s->config_.certificate_pem) {
      if (auto fp = pem_fingerprint(*s->config_.certificate_pem, "sha-256")) {
        use_certificate(w, s->config_.certificate_pem);
        s->local_fingerprint_ = "sha-256 " + *fp;
      }
    }
  }
  if (s->config_.configure_ice) configure_ice(s->config_.owner, s->webrtcbin_.get(), s->config_.ice);
  DataChannels::Events dev;
  Weak weak = s;
  dev.state = [weak](const DataChannelSpec &channel, bool open, bool announced) {
    if (auto self = weak.lock(); self && self->state_ != State::Closed && self->events_.channel_state)
      self->events_.channel_state(channel, open, announced);
  };
  dev.message = [weak](const DataChannelSpec &channel, GBytes *data, bool text) {
    if (auto self = weak.lock(); self && self->events_.data) self->events_.data(channel, data, text);
  };
  dev.dropped = [weak](const std::string &label, const std::string &why) {
    if (auto self = weak.lock(); self && self->state_ != State::Closed && self->events_.data_dropped)
      self->events_.data_dropped(label, why);
  };
  s->channels_ = DataChannels::create(context, s->webrtcbin_.get(), s->config_.data_limits, s->verified_, std::move(dev));
  return s;
}

Session::Session(GMainContext *context, SessionConfig config, Events events)
    : context_(g_main_context_ref(context)), config_(std::move(config)), events_(std::move(events)) {}

Session::~Session() {
  // Handlers hold only weak references; disconnecting spares an adopted
  // webrtcbin (which outlives us) dead closures.
  for (gulong h : handlers_) g_signal_handler_disconnect(webrtcbin_.get(), h);
  for (auto &g : gates_)
    if (g.probe) gst_pad_remove_probe(g.pad.get(), g.probe);
}

template <typename Fn>
void Session::post(Fn &&fn) {
  Weak weak = weak_from_this();
  post_to(context_.get(), [weak, fn = std::forward<Fn>(fn)]() mutable {
    auto self = weak.lock();
    if (self && self->state_ != State::Closed) fn(*self);
  });
}

void Session::fail(EndReason kind, const std::string &reason) {
  if (state_ == State::Closed) return;
  GST_INFO_OBJECT(config_.owner, "session %s: %s", GST_OBJECT_NAME(webrtcbin_.get()), reason.c_str());
  close();
  // From the main loop, never from inside a method the owner is running.
  auto cb = events_.failed;
  post_to(context_.get(), [cb, kind, reason] {
    if (cb) cb(kind, reason);
  });
}

void Session::close() {
  if (state_ == State::Closed) return;
  state_ = State::Closed;
  channels_->close();
  for (GSource **t : {&connect_timer_, &liveness_timer_}) {
    if (*t) g_source_destroy(*t);
    *t = nullptr;
  }
}

GRef<GObject> Session::create_data_channel(const std::string &label, GstStructure *options) {
  GObject *channel = nullptr;
  g_signal_emit_by_name(webrtcbin_.get(), "create-data-channel", label.c_str(), options, &channel);
  return GRef<GObject>::adopt(channel);
}

void Session::connect_signals() {
  auto connect = [this](const char *signal, GCallback cb) {
    handlers_.push_back(g_signal_connect_data(webrtcbin_.get(), signal, cb, new Weak(weak_from_this()),
                                              [](gpointer d, GClosure *) { delete static_cast<Weak *>(d); },
                                              GConnectFlags(0)));
  };
  using IceCb = void (*)(GstElement *, guint, gchar *, Weak *);
  IceCb on_ice = [](GstElement *, guint mline, gchar *candidate, Weak *weak) {
    if (auto s = weak->lock()) {
      protocol::Ice ice{candidate ? candidate : "", mline};
      s->post([ice](Session &self) {
        if (self.events_.local_candidate) self.events_.local_candidate(ice);
      });
    }
  };
  connect("on-ice-candidate", G_CALLBACK(on_ice));
  connect("notify::connection-state", G_CALLBACK(+[](GstElement *w, GParamSpec *, Weak *weak) {
            auto s = weak->lock();
            if (!s) return;
            GstWebRTCPeerConnectionState state;
            g_object_get(w, "connection-state", &state, nullptr);
            s->post([state](Session &self) { self.on_connection_state(state); });
          }));
  connect("pad-added", G_CALLBACK(+[](GstElement *, GstPad *pad, Weak *weak) {
            auto s = weak->lock();
            if (!s) return;
            // A sink pad the owner requests after start() (an answerer's,
            // from its answer hook, on the control thread): gated before
            // anything can be linked to it. Not for an adopted webrtcbin,
            // whose application may request pads from any thread.
            if (GST_PAD_IS_SINK(pad)) {
              if (!s->adopted_ && s->config_.gate_media && !s->verified_->load()) s->gate_pad(pad);
              return;
            }
            if (s->events_.pad_added) s->events_.pad_added(pad);
          }));
}

// No buffer reaches webrtcbin before the peer is verified; events (caps)
// pass, so the offer can be made. Upstream waits at the probe, and a leaky
// queue before it (webrtclivesink) keeps only the most recent data.
void Session::gate_sink_pads() {
  GstIterator *it = gst_element_iterate_sink_pads(webrtcbin_.get());
  GValue item = G_VALUE_INIT;
  while (gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
    gate_pad(GST_PAD(g_value_get_object(&item)));
    g_value_reset(&item);
  }
  g_value_unset(&item);
  gst_iterator_free(it);
}

// Idempotent: a pad gated already is skipped.
void Session::gate_pad(GstPad *pad) {
  if (std::any_of(gates_.begin(), gates_.end(), [pad](const Gate &g) { return g.pad.get() == pad; })) return;
  Gate g;
  g.pad = GRef<GstPad>::ref(pad);
  if (config_.gate_drops) {
    g.probe = add_probe_fn(pad, static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
                           [verified = verified_](GstPad *, GstPadProbeInfo *) {
                             return verified->load() ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
                           });
  } else {
    g.probe = gst_pad_add_probe(
        pad,
        static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BLOCK | GST_PAD_PROBE_TYPE_BUFFER |
                                     GST_PAD_PROBE_TYPE_BUFFER_LIST),
        [](GstPad *, GstPadProbeInfo *, gpointer) { return GST_PAD_PROBE_OK; }, nullptr, nullptr);
  }
  gates_.push_back(std::move(g));
}

void Session::open_gate() {
  for (auto &g : gates_)
    if (g.probe) gst_pad_remove_probe(g.pad.get(), g.probe);
  gates_.clear();
}

void Session::start() {
  if (state_ != State::New) return;
  state_ = State::Negotiating;
  connect_signals();
  if (config_.gate_media) gate_sink_pads();
  // webrtcbin 1.22 has no ICE consent freshness: silence is how a peer that
  // vanished is noticed.
  track_rtcp(webrtcbin_.get(), last_rtcp_);
  if (config_.connect_timeout_s) {
    Weak weak = weak_from_this();
    unsigned secs = config_.connect_timeout_s;
    GSource *t = g_timeout_source_new_seconds(secs);
    g_source_set_callback(
        t,
        [](gpointer data) -> gboolean {
          auto *w = static_cast<std::pair<Weak, unsigned> *>(data);
          if (auto s = w->first.lock()) {
            s->connect_timer_ = nullptr;
            if (s->state_ == State::Negotiating) s->fail(EndReason::Timeout, "did not connect within " + std::to_string(w->second) + " s");
          }
          return G_SOURCE_REMOVE;
        },
        new std::pair<Weak, unsigned>(weak, secs), destroy_heap<std::pair<Weak, unsigned>>);
    g_source_attach(t, context_.get());
    connect_timer_ = t;
    g_source_unref(t);
  }
  channels_->watch();
  if (config_.role == SessionRole::Offerer) {
    channels_->announce(config_.channels);
    make_offer();
  }
}

bool Session::send_data(const std::string &label, GBytes *data, bool text) { return channels_->send(label, data, text); }

std::vector<std::string> Session::open_channels() const { return channels_->open_labels(); }

// webrtcbin 1.22 writes the fingerprint of the DTLS certificate its
// transport had when the description was made; the element's own
// certificate reaches the transport's dtlssrtpdec only when its bin joins
// webrtcbin, after that (docs/webrtcbin-notes.md). The handshake uses the
// element's certificate, so its fingerprint is the one to announce; a
// mismatch still fails closed at the peer's identity check.
void Session::stamp_fingerprint(GstSDPMessage *sdp) const {
  if (local_fingerprint_.empty()) return;
  auto stamp = [this](auto get_n, auto get, auto replace) {
    for (guint i = 0; i < get_n(); i++) {
      const GstSDPAttribute *a = get(i);
      if (a && a->key && g_str_equal(a->key, "fingerprint")) {
        GstSDPAttribute fresh;
        gst_sdp_attribute_set(&fresh, "fingerprint", local_fingerprint_.c_str());
        replace(i, &fresh);
      }
    }
  };
  stamp([sdp] { return gst_sdp_message_attributes_len(sdp); }, [sdp](guint i) { return gst_sdp_message_get_attribute(sdp, i); },
        [sdp](guint i, GstSDPAttribute *a) { gst_sdp_message_replace_attribute(sdp, i, a); });
  for (guint m = 0; m < gst_sdp_message_medias_len(sdp); m++) {
    auto *media = const_cast<GstSDPMedia *>(gst_sdp_message_get_media(sdp, m));
    stamp([media] { return gst_sdp_media_attributes_len(media); }, [media](guint i) { return gst_sdp_media_get_attribute(media, i); },
          [media](guint i, GstSDPAttribute *a) { gst_sdp_media_replace_attribute(media, i, a); });
  }
}

void Session::on_local_description(const protocol::Sdp &sdp) {
  local_sdp_ = sdp.sdp;
  if (events_.local_description) events_.local_description(sdp);
}

void Session::make_offer() {
  GstPromise *promise = promise_for(shared_from_this(), [](const std::shared_ptr<Session> &s, const GstStructure *reply) {
    GstWebRTCSessionDescription *offer = nullptr;
    if (reply) gst_structure_get(reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &offer, nullptr);
    if (!offer) {
      std::string why = reply_error(reply);
      s->post([why](Session &self) {
        self.fail(EndReason::Error, "webrtcbin could not create an offer" + (why.empty() ? std::string() : ": " + why));
      });
      return;
    }
    // Queued on webrtcbin's task queue now, so a fast answer's
    // set-remote-description (queued later) finds the offer applied; and
    // posted now, from this callback: candidates only start once it
    // returned, so the offer reaches the owner before any of them.
    s->stamp_fingerprint(offer->sdp);
    g_signal_emit_by_name(s->webrtcbin_.get(), "set-local-description", offer, nullptr);
    protocol::Sdp sdp{"offer", take_string(gst_sdp_message_as_text(offer->sdp))};
    gst_webrtc_session_description_free(offer);
    s->post([sdp](Session &self) { self.on_local_description(sdp); });
  });
  g_signal_emit_by_name(webrtcbin_.get(), "create-offer", nullptr, promise);
  gst_promise_unref(promise);
}

std::string Session::check_answer(const GstSDPMessage *answer) {
  GstSDPMessage *offer = parse_remote_sdp(local_sdp_);
  if (!offer) return "no offer was sent yet";
  std::string why = answer_check_ ? answer_check_(answer, offer) : std::string();
  if (why.empty()) {
    why = check_answer_structure(offer, answer);
    if (!why.empty()) why = "unacceptable answer: " + why;
  }
  if (auto i = rejected_mline(answer); why.empty() && i)
    why = "the peer rejected a stream (m-line " + std::to_string(*i) + ")";
  gst_sdp_message_free(offer);
  return why;
}

bool Session::set_remote_description(const protocol::Sdp &sdp) {
  if (state_ == State::Closed) return false;
  const bool offerer = config_.role == SessionRole::Offerer;
  const char *expected = offerer ? "answer" : "offer";
  if (state_ != State::Negotiating || remote_set_ || sdp.type != expected) {
    fail(EndReason::Rejected, std::string("expected an SDP ") + expected + ", got " + (sdp.type.empty() ? "nothing" : sdp.type) +
         (remote_set_ ? " (renegotiation is not supported)" : ""));
    return false;
  }
  GstSDPMessage *msg = parse_remote_sdp(sdp.sdp);
  if (!msg) {
    fail(EndReason::Rejected, std::string("the ") + expected + " is not valid SDP");
    return false;
  }
  std::string why;
  if (offerer) {
    why = check_answer(msg);
  } else if (gst_sdp_message_medias_len(msg) > config_.max_remote_mlines) {
    // Each m-line gets a depayloader and decoder chain: an offer with
    // dozens is an attack on this pipeline, not a camera.
    why = "the offer has " + std::to_string(gst_sdp_message_medias_len(msg)) + " m-lines; at most " +
          std::to_string(config_.max_remote_mlines) + " are accepted";
  } else if (offer_hook_) {
    why = offer_hook_(msg);
  }
  if (!why.empty()) {
    gst_sdp_message_free(msg);
    fail(EndReason::Rejected, why);
    return false;
  }
  remote_set_ = true;
  remote_sdp_ = sdp.sdp;
  if (!offerer) applied_offer_ = take_string(gst_sdp_message_as_text(msg));
  auto *desc =
      gst_webrtc_session_description_new(offerer ? GST_WEBRTC_SDP_TYPE_ANSWER : GST_WEBRTC_SDP_TYPE_OFFER, msg);
  GstPromise *promise = promise_for(shared_from_this(), [offerer](const std::shared_ptr<Session> &s,
                                                                  const GstStructure *reply) {
    std::string err = reply_error(reply);
    if (!err.empty()) {
      s->post([err, offerer](Session &self) {
        self.fail(EndReason::Rejected, std::string("webrtcbin refused the ") + (offerer ? "answer: " : "offer: ") + err);
      });
      return;
    }
    if (!offerer) s->post([](Session &self) { self.prepare_answer(); });
  });
  g_signal_emit_by_name(webrtcbin_.get(), "set-remote-description", desc, promise);
  gst_promise_unref(promise);
  gst_webrtc_session_description_free(desc);
  return true;
}

// Control thread, once the offer is applied: the owner sets up what it
// sends, then webrtcbin answers.
void Session::prepare_answer() {
  if (answer_hook_) {
    GstSDPMessage *offer = parse_remote_sdp(applied_offer_);
    std::string why = offer ? answer_hook_(offer) : "the offer is gone";
    if (offer) gst_sdp_message_free(offer);
    if (state_ == State::Closed) return;  // the owner ended it meanwhile
    if (!why.empty()) {
      fail(EndReason::Rejected, why);
      return;
    }
  }
  answer();
}

void Session::answer() {
  GstPromise *promise = promise_for(shared_from_this(), [](const std::shared_ptr<Session> &s, const GstStructure *reply) {
    GstWebRTCSessionDescription *answer = nullptr;
    if (reply) gst_structure_get(reply, "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &answer, nullptr);
    if (!answer) {
      std::string why = reply_error(reply);
      s->post([why](Session &self) {
        self.fail(EndReason::Rejected, "webrtcbin could not answer the offer" + (why.empty() ? std::string() : ": " + why));
      });
      return;
    }
    // webrtcbin 1.22 aborts on a rejected bundled m-line: an answer of
    // ours that rejects one is never applied (the owner answers unwanted
    // m-lines inactive instead).
    if (auto i = rejected_mline(answer->sdp)) {
      gst_webrtc_session_description_free(answer);
      std::string why = "webrtcbin rejected m-line " + std::to_string(*i) + " of the offer in its answer";
      s->post([why](Session &self) { self.fail(EndReason::Rejected, why); });
      return;
    }
    // TWCC, when offered, answered (webrtcbin 1.22 drops the extmap).
    if (GstSDPMessage *offer = parse_remote_sdp(s->applied_offer_)) {
      answer_twcc(offer, answer->sdp);
      gst_sdp_message_free(offer);
    }
    // As for the offer: applied first, then posted, before any candidate.
    s->stamp_fingerprint(answer->sdp);
    g_signal_emit_by_name(s->webrtcbin_.get(), "set-local-description", answer, nullptr);
    protocol::Sdp sdp{"answer", take_string(gst_sdp_message_as_text(answer->sdp))};
    gst_webrtc_session_description_free(answer);
    s->post([sdp](Session &self) {
      self.on_local_description(sdp);
      // Our channels, in-band (DCEP) once SCTP is up, when the offer
      // negotiated an SCTP association at all.
      if (!self.config_.channels.empty() && self.applied_offer_.find("m=application") != std::string::npos)
        self.channels_->announce(self.config_.channels);
    });
  });
  g_signal_emit_by_name(webrtcbin_.get(), "create-answer", nullptr, promise);
  gst_promise_unref(promise);
}

void Session::add_remote_candidate(const protocol::Ice &ice) {
  if (state_ == State::Closed) return;
  const std::string &sdp = remote_sdp_.empty() ? local_sdp_ : remote_sdp_;
  CandidateVerdict v = check_remote_candidate(ice.candidate, ice.sdp_mline_index, count_mlines(sdp),
                                              remote_candidates_++);
  if (v.kind == CandidateVerdict::EndSession) {
    fail(EndReason::Rejected, "refused: " + v.why);
    return;
  }
  if (v.kind == CandidateVerdict::Ignore) {
    GST_DEBUG_OBJECT(config_.owner, "%s: ignoring %s", GST_OBJECT_NAME(webrtcbin_.get()), v.why.c_str());
    return;
  }
  g_signal_emit_by_name(webrtcbin_.get(), "add-ice-candidate", ice.sdp_mline_index, ice.candidate.c_str());
}

void Session::request_stats(std::function<void(const GstStructure *)> done) {
  if (state_ == State::Closed) return;
  GstPromise *promise = promise_for(shared_from_this(), [done](const std::shared_ptr<Session> &s,
                                                               const GstStructure *reply) {
    // The reply belongs to the promise: copied for the control thread.
    std::shared_ptr<GstStructure> copy(reply ? gst_structure_copy(reply) : gst_structure_new_empty("stats"),
                                       gst_structure_free);
    s->post([done, copy](Session &) { done(copy.get()); });
  });
  g_signal_emit_by_name(webrtcbin_.get(), "get-stats", nullptr, promise);
  gst_promise_unref(promise);
}

void Session::on_connection_state(int state) {
  GST_DEBUG_OBJECT(config_.owner, "%s: connection state %d", GST_OBJECT_NAME(webrtcbin_.get()), state);
  if (state == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED) {
    fail(EndReason::IceFailed, "the connection failed (ICE or DTLS)");
    return;
  }
  if (state != GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED || state_ != State::Negotiating) return;
  // GStreamer before 1.28.5 does not compare the peer's certificate with
  // the fingerprint of its SDP (CVE-2026-14935); until this passes, nothing
  // of ours has left.
  if (auto mismatch = check_dtls_fingerprint(webrtcbin_.get(), remote_sdp_)) {
    fail(EndReason::DtlsMismatch, "DTLS check failed: " + *mismatch);
    return;
  }
  GST_INFO_OBJECT(config_.owner, "%s: DTLS certificate matches the fingerprint of the peer's SDP",
                  GST_OBJECT_NAME(webrtcbin_.get()));
  state_ = State::Connected;
  verified_->store(true);
  open_gate();
  if (connect_timer_) g_source_destroy(connect_timer_);
  connect_timer_ = nullptr;
  if (unsigned timeout_s = config_.peer_timeout_s) {
    Weak weak = weak_from_this();
    liveness_timer_ = watch_rtcp_silence(context_.get(), last_rtcp_, timeout_s, [weak, timeout_s] {
      auto s = weak.lock();
      if (!s) return;
      s->liveness_timer_ = nullptr;
      s->fail(EndReason::Timeout, "no RTCP from the peer for " + std::to_string(timeout_s) + " s: gone without a word");
    });
  }
  if (events_.connected) events_.connected();
}

}  // namespace webrtclive
