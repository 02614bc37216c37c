// SPDX-License-Identifier: LGPL-2.1-or-later
//
// A test helper that connects a producer and a consumer in one process with
// no server: two GstWebRTCLiveAppSignaller objects (the plugin's public
// "bring your own signalling" type, as a Python app would use it), each
// method call on one side becoming the matching signal on the other.
//
//   DirectSignaller direct;
//   g_object_set(sink, "signaller", direct.producer(), nullptr);
//   g_object_set(src, "signaller", direct.consumer(), nullptr);
//
// Once both have started, one session begins: the consumer hears
// session-started, the producer session-requested; SDP, ICE and the end of
// the session then pass straight across. The consumer side may instead be
// a test's own peer (`on_producer_sdp` / `on_producer_ice` and the
// `to_producer_*` calls), e.g. a bare Session.
#pragma once

#include <gst/gst.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace webrtclive::test {

class DirectSignaller {
 public:
  static constexpr const char *kSession = "direct-session-1";

  DirectSignaller() {
    GType type = g_type_from_name("GstWebRTCLiveAppSignaller");
    g_assert(type);  // the plugin is loaded (make a webrtclive element first)
    producer_ = G_OBJECT(g_object_ref_sink(g_object_new(type, nullptr)));
    consumer_ = G_OBJECT(g_object_ref_sink(g_object_new(type, nullptr)));
    wire(producer_, true);
    wire(consumer_, false);
  }
  ~DirectSignaller() {
    for (auto &[obj, id] : handlers_) g_signal_handler_disconnect(obj, id);
    g_object_unref(producer_);
    g_object_unref(consumer_);
  }
  DirectSignaller(const DirectSignaller &) = delete;
  DirectSignaller &operator=(const DirectSignaller &) = delete;

  GObject *producer() const { return producer_; }
  GObject *consumer() const { return consumer_; }

  // A consumer that is not an element: it is "started" at once, and hears
  // the producer through these instead of signals.
  // `offers`: the session waits for request_session(offer).
  void use_own_consumer(std::function<void(const std::string &type, const std::string &sdp)> on_sdp,
                        std::function<void(guint mline, const std::string &candidate)> on_ice, bool offers = false) {
    std::lock_guard lock(mutex_);
    own_sdp_ = std::move(on_sdp);
    own_ice_ = std::move(on_ice);
    own_offers_ = offers;
    started_[1] = true;
  }
  // An own consumer that offers (as a WHEP player behind a gateway): the
  // session begins with its offer in session-requested, once both started.
  void request_session(const std::string &offer) {
    bool begin;
    {
      std::lock_guard lock(mutex_);
      offer_ = offer;
      begin = started_[0] && started_[1] && !begun_;
      begun_ |= begin;
    }
    if (begin) g_signal_emit_by_name(producer_, "session-requested", kSession, "direct-consumer", offer.c_str());
  }
  void to_producer_sdp(const std::string &type, const std::string &sdp) {
    g_signal_emit_by_name(producer_, "session-description", kSession, type.c_str(), sdp.c_str());
  }
  void to_producer_ice(guint mline, const std::string &candidate) {
    g_signal_emit_by_name(producer_, "handle-ice", kSession, mline, candidate.c_str());
  }

 private:
  struct Side {
    DirectSignaller *self;
    bool producer;
  };

  void wire(GObject *obj, bool producer) {
    auto *side = new Side{this, producer};
    sides_.emplace_back(side);
    auto connect = [&](const char *signal, GCallback cb) {
      handlers_.emplace_back(obj, g_signal_connect(obj, signal, cb, side));
    };
    connect("start", G_CALLBACK(+[](GObject *, const gchar *, Side *s) { s->self->started(s->producer); }));
    connect("stop", G_CALLBACK(+[](GObject *, Side *s) { s->self->stopped(s->producer); }));
    connect("send-sdp", G_CALLBACK(+[](GObject *, const gchar *sid, const gchar *type, const gchar *sdp, Side *s) {
              s->self->sdp(s->producer, sid, type, sdp);
            }));
    connect("send-ice", G_CALLBACK(+[](GObject *, const gchar *sid, guint mline, const gchar *cand, Side *s) {
              s->self->ice(s->producer, sid, mline, cand);
            }));
    connect("end-session", G_CALLBACK(+[](GObject *, const gchar *sid, const gchar *reason, Side *s) {
              g_signal_emit_by_name(s->producer ? s->self->consumer_ : s->self->producer_, "session-ended", sid,
                                    reason);
            }));
  }

  void started(bool producer) {
    bool begin;
    bool own;
    std::string offer;
    {
      std::lock_guard lock(mutex_);
      started_[producer ? 0 : 1] = true;
      begin = started_[0] && started_[1] && !begun_ && (!own_offers_ || !offer_.empty());
      begun_ |= begin;
      own = static_cast<bool>(own_sdp_);
      offer = offer_;
    }
    if (!begin) return;
    // The consumer first: it must know the session before the offer comes.
    if (!own) g_signal_emit_by_name(consumer_, "session-started", kSession, "direct-producer");
    g_signal_emit_by_name(producer_, "session-requested", kSession, "direct-consumer",
                          offer.empty() ? nullptr : offer.c_str());
  }

  void stopped(bool producer) {
    bool tell;
    {
      std::lock_guard lock(mutex_);
      started_[producer ? 0 : 1] = false;
      tell = begun_;
      begun_ = false;
      offer_.clear();
    }
    if (tell)
      g_signal_emit_by_name(producer ? consumer_ : producer_, "session-ended", kSession,
                            producer ? "the producer stopped" : "the consumer stopped");
  }

  void sdp(bool from_producer, const gchar *sid, const gchar *type, const gchar *text) {
    if (from_producer && own_sdp_) {
      own_sdp_(type, text);
      return;
    }
    g_signal_emit_by_name(from_producer ? consumer_ : producer_, "session-description", sid, type, text);
  }

  void ice(bool from_producer, const gchar *sid, guint mline, const gchar *cand) {
    if (from_producer && own_ice_) {
      own_ice_(mline, cand);
      return;
    }
    g_signal_emit_by_name(from_producer ? consumer_ : producer_, "handle-ice", sid, mline, cand);
  }

  GObject *producer_;
  GObject *consumer_;
  std::mutex mutex_;  // leaf: never held while emitting
  bool started_[2] = {false, false};
  bool begun_ = false;
  bool own_offers_ = false;
  std::string offer_;  // an own consumer's offer, once made
  std::function<void(const std::string &, const std::string &)> own_sdp_;
  std::function<void(guint, const std::string &)> own_ice_;
  std::vector<std::unique_ptr<Side>> sides_;
  std::vector<std::pair<GObject *, gulong>> handlers_;
};

}  // namespace webrtclive::test
