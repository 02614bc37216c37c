// SPDX-License-Identifier: LGPL-2.1-or-later
#include "signaller-factory.h"

#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>
#include <variant>

#include "client-common.h"
#include "gobj.h"
#include "janus-publisher.h"
#include "janus-subscriber.h"
#include "protocol-producer.h"
#include "signallable-builtins.h"
#include "transport.h"

namespace webrtclive {

namespace {

// ---- signals of a signallable -> callbacks, safely -------------------------------

// Handlers connected to the object hold a Handle on the State, never the
// adapter. A handler copies the callbacks under `mutex`, notes its thread in
// `callers`, and calls the copy without the lock; disconnect() clears
// `alive`, then waits until no other thread is inside a callback (the
// calling thread may be: a callback stopping its own signaller), then
// disconnects the handlers.
template <typename Callbacks, typename Ext = std::monostate>
class SignalBridge {
 public:
  struct State {
    std::mutex mutex;  // a leaf: guards the fields below; never held while calling out
    std::condition_variable idle;
    Callbacks cb;
    bool alive = false;
    std::multiset<std::thread::id> callers;  // threads inside a callback
    Ext ext;                                  // the adapter's own bookkeeping
  };
  struct Handle {
    std::shared_ptr<State> state;

    // fn(callbacks) without the lock, if still alive.
    template <typename Fn>
    void with(Fn &&fn) {
      Callbacks copy;
      auto me = std::this_thread::get_id();
      {
        std::lock_guard lock(state->mutex);
        if (!state->alive) return;
        copy = state->cb;
        state->callers.insert(me);
      }
      fn(copy);
      copy = Callbacks{};  // captures die before stop() may return
      std::lock_guard lock(state->mutex);
      state->callers.erase(state->callers.find(me));
      state->idle.notify_all();
    }
    // fn(ext) under the lock; `dead` when no longer alive.
    template <typename R, typename Fn>
    R locked(R dead, Fn &&fn) {
      std::lock_guard lock(state->mutex);
      return state->alive ? fn(state->ext) : dead;
    }
  };

  explicit SignalBridge(GstWebRTCLiveSignallable *signaller)
      : obj_(GRef<GObject>::ref(G_OBJECT(signaller))), state_(std::make_shared<State>()) {}
  ~SignalBridge() { disconnect(); }

  GstWebRTCLiveSignallable *object() const { return GST_WEBRTC_LIVE_SIGNALLABLE(obj_.get()); }
  void arm(Callbacks cb, Ext ext = {}) {
    std::lock_guard lock(state_->mutex);
    state_->cb = std::move(cb);
    state_->ext = std::move(ext);
    state_->alive = true;
  }
  // `cb`'s last argument is the Handle*.
  void connect(const char *signal, GCallback cb) {
    handlers_.push_back(g_signal_connect_data(
        obj_.get(), signal, cb, new Handle{state_}, [](gpointer d, GClosure *) { delete static_cast<Handle *>(d); },
        GConnectFlags(0)));
  }
  void disconnect() {
    {
      std::unique_lock lock(state_->mutex);
      state_->alive = false;
      auto me = std::this_thread::get_id();
      state_->idle.wait(lock, [&] { return state_->callers.size() == state_->callers.count(me); });
    }
    for (gulong h : handlers_) g_signal_handler_disconnect(obj_.get(), h);
    handlers_.clear();
  }
  template <typename R, typename Fn>
  R locked(R dead, Fn &&fn) {
    return Handle{state_}.locked(dead, std::forward<Fn>(fn));
  }

 private:
  GRef<GObject> obj_;
  std::shared_ptr<State> state_;
  std::vector<gulong> handlers_;
};

std::optional<std::string> opt(const gchar *s) { return s ? std::optional<std::string>(s) : std::nullopt; }

bool call_start(GstWebRTCLiveSignallable *obj, const std::string &meta, std::string *error) {
  GError *err = nullptr;
  if (gst_webrtc_live_signallable_start(obj, meta.c_str(), &err)) return true;
  *error = err ? err->message : "the signaller did not start";
  if (err) g_error_free(err);
  return false;
}

std::vector<std::string> call_get_urls(GstWebRTCLiveSignallable *obj) {
  std::vector<std::string> out;
  gchar **v = gst_webrtc_live_signallable_get_urls(obj);
  for (gchar **u = v; u && *u; u++) out.emplace_back(*u);
  g_strfreev(v);
  return out;
}

// ---- producer role ----------------------------------------------------------------

class ProducerAdapter : public ProducerSignaller {
 public:
  ProducerAdapter(GstWebRTCLiveSignallable *signaller, std::string meta) : bridge_(signaller), meta_(std::move(meta)) {}
  ~ProducerAdapter() override { stop(); }

  bool start(Callbacks callbacks, std::string *error) override {
    bridge_.arm(std::move(callbacks));
    bridge_.connect("session-requested", G_CALLBACK(+[](GObject *, const gchar *sid, const gchar *peer,
                                                         const gchar *offer, Bridge::Handle *h) {
                      h->with([&](Callbacks &cb) {
                        if (cb.session_requested) cb.session_requested(sid ? sid : "", peer ? peer : "", opt(offer));
                      });
                    }));
    bridge_.connect("session-description",
                    G_CALLBACK(+[](GObject *, const gchar *sid, const gchar *type, const gchar *sdp, Bridge::Handle *h) {
                      h->with([&](Callbacks &cb) {
                        if (cb.remote_sdp && sid && type && sdp) cb.remote_sdp(sid, protocol::Sdp{type, sdp});
                      });
                    }));
    bridge_.connect("handle-ice",
                    G_CALLBACK(+[](GObject *, const gchar *sid, guint mline, const gchar *cand, Bridge::Handle *h) {
                      h->with([&](Callbacks &cb) {
                        if (cb.remote_ice && sid && cand) cb.remote_ice(sid, protocol::Ice{cand, mline});
                      });
                    }));
    bridge_.connect("session-ended",
                    G_CALLBACK(+[](GObject *, const gchar *sid, const gchar *reason, Bridge::Handle *h) {
                      h->with([&](Callbacks &cb) {
                        if (cb.session_ended && sid) cb.session_ended(sid, opt(reason));
                      });
                    }));
    bridge_.connect("error", G_CALLBACK(+[](GObject *, const gchar *message, gboolean fatal, Bridge::Handle *h) {
                      h->with([&](Callbacks &cb) {
                        if (cb.error) cb.error(message ? message : "signalling error", fatal);
                      });
                    }));
    if (!call_start(bridge_.object(), meta_, error)) {
      bridge_.disconnect();
      return false;
    }
    started_ = true;
    return true;
  }
  void stop() override {
    if (started_.exchange(false)) gst_webrtc_live_signallable_stop(bridge_.object());
    bridge_.disconnect();
  }
  void send_sdp(const std::string &sid, const protocol::Sdp &sdp) override {
    gst_webrtc_live_signallable_send_sdp(bridge_.object(), sid.c_str(), sdp.type.c_str(), sdp.sdp.c_str());
  }
  void send_ice(const std::string &sid, const protocol::Ice &ice) override {
    gst_webrtc_live_signallable_send_ice(bridge_.object(), sid.c_str(), ice.sdp_mline_index, ice.candidate.c_str());
  }
  void end_session(const std::string &sid, const std::optional<std::string> &reason) override {
    gst_webrtc_live_signallable_end_session(bridge_.object(), sid.c_str(), reason ? reason->c_str() : nullptr);
  }
  std::vector<std::string> urls() const override { return call_get_urls(bridge_.object()); }

 private:
  using Bridge = SignalBridge<Callbacks>;
  Bridge bridge_;
  std::string meta_;
  std::atomic<bool> started_{false};
};

// ---- consumer role ----------------------------------------------------------------

struct ConsumerBook {
  std::string peer_id;  // filter ("" = any)
  bool once = false;
  std::string sid;    // the current session
  bool done = false;  // `once` and a session ended
};

class ConsumerAdapter : public ConsumerSignaller {
 public:
  ConsumerAdapter(GstWebRTCLiveSignallable *signaller, const ProtocolConsumer::Options &options)
      : bridge_(signaller), options_(options) {}
  ~ConsumerAdapter() override { stop(); }

  bool start(Callbacks callbacks, std::string *error) override {
    bridge_.arm(std::move(callbacks), ConsumerBook{options_.peer_id, options_.once});
    bridge_.connect("session-started", G_CALLBACK(on_session_started));
    bridge_.connect("session-description",
                    G_CALLBACK(+[](GObject *, const gchar *sid, const gchar *type, const gchar *sdp, Bridge::Handle *h) {
                      if (!sid || !type || !sdp || !current(h, sid)) return;
                      h->with([&](Callbacks &cb) {
                        if (cb.remote_sdp) cb.remote_sdp(sid, protocol::Sdp{type, sdp});
                      });
                    }));
    bridge_.connect("handle-ice",
                    G_CALLBACK(+[](GObject *, const gchar *sid, guint mline, const gchar *cand, Bridge::Handle *h) {
                      if (!sid || !cand || !current(h, sid)) return;
                      h->with([&](Callbacks &cb) {
                        if (cb.remote_ice) cb.remote_ice(sid, protocol::Ice{cand, mline});
                      });
                    }));
    bridge_.connect("session-ended",
                    G_CALLBACK(+[](GObject *, const gchar *sid, const gchar *reason, Bridge::Handle *h) {
                      if (!sid || !forget(*h, sid)) return;
                      h->with([&](Callbacks &cb) {
                        if (cb.session_ended) cb.session_ended(sid, reason ? reason : "the producer ended the session");
                      });
                    }));
    bridge_.connect("error", G_CALLBACK(+[](GObject *, const gchar *message, gboolean fatal, Bridge::Handle *h) {
                      h->with([&](Callbacks &cb) {
                        if (cb.error) cb.error(message ? message : "signalling error", fatal);
                      });
                    }));
    if (!call_start(bridge_.object(), options_.meta.to_json(), error)) {
      bridge_.disconnect();
      return false;
    }
    started_ = true;
    return true;
  }
  void stop() override {
    if (started_.exchange(false)) gst_webrtc_live_signallable_stop(bridge_.object());
    bridge_.disconnect();
  }
  void send_sdp(const std::string &sid, const protocol::Sdp &sdp) override {
    gst_webrtc_live_signallable_send_sdp(bridge_.object(), sid.c_str(), sdp.type.c_str(), sdp.sdp.c_str());
  }
  void send_ice(const std::string &sid, const protocol::Ice &ice) override {
    gst_webrtc_live_signallable_send_ice(bridge_.object(), sid.c_str(), ice.sdp_mline_index, ice.candidate.c_str());
  }
  void end_session(const std::string &sid, const std::optional<std::string> &reason) override {
    if (!bridge_.locked(false, [&](ConsumerBook &b) { return forget_locked(b, sid); })) return;
    gst_webrtc_live_signallable_end_session(bridge_.object(), sid.c_str(), reason ? reason->c_str() : nullptr);
  }
  std::vector<std::string> urls() const override { return call_get_urls(bridge_.object()); }

 private:
  using Bridge = SignalBridge<Callbacks, ConsumerBook>;

  enum class Verdict { Dead, Take, Refuse };
  static void on_session_started(GstWebRTCLiveSignallable *obj, const gchar *sid, const gchar *peer,
                                 Bridge::Handle *h) {
    if (!sid) return;
    std::string p = peer ? peer : "";
    Verdict verdict = h->locked(Verdict::Dead, [&](ConsumerBook &b) {
      if (!b.sid.empty() || b.done || (!b.peer_id.empty() && b.peer_id != p)) return Verdict::Refuse;
      b.sid = sid;
      return Verdict::Take;
    });
    if (verdict == Verdict::Refuse)
      gst_webrtc_live_signallable_end_session(obj, sid, "not the session this consumer wants");
    if (verdict != Verdict::Take) return;
    h->with([&](Callbacks &cb) {
      if (cb.session_started) cb.session_started(sid, p, "");
    });
  }

  static bool forget_locked(ConsumerBook &b, const std::string &sid) {
    if (b.sid.empty() || b.sid != sid) return false;
    b.sid.clear();
    if (b.once) b.done = true;
    return true;
  }
  static bool forget(Bridge::Handle &h, const std::string &sid) {
    return h.locked(false, [&](ConsumerBook &b) { return forget_locked(b, sid); });
  }
  static bool current(Bridge::Handle *h, const std::string &sid) {
    return h->locked(false, [&](ConsumerBook &b) { return !b.sid.empty() && b.sid == sid; });
  }

  Bridge bridge_;
  ProtocolConsumer::Options options_;
  std::atomic<bool> started_{false};
};

// ---- built-ins: the driver itself, its URLs shown by the object ---------------------

template <typename Base, typename Driver>
class Attached : public Base {
 public:
  Attached(GstWebRTCLiveSignallable *obj, std::shared_ptr<Driver> driver)
      : obj_(GRef<GObject>::ref(G_OBJECT(obj))), driver_(std::move(driver)) {
    std::weak_ptr<Driver> weak = driver_;
    builtin::attach_urls(GST_WEBRTC_LIVE_SIGNALLABLE(obj_.get()), [weak] {
      auto d = weak.lock();
      return d ? d->urls() : std::vector<std::string>{};
    });
  }
  ~Attached() override {
    builtin::attach_urls(GST_WEBRTC_LIVE_SIGNALLABLE(obj_.get()), nullptr);
    driver_->stop();
  }
  bool start(typename Base::Callbacks callbacks, std::string *error) override {
    return driver_->start(std::move(callbacks), error);
  }
  void stop() override { driver_->stop(); }
  void send_sdp(const std::string &sid, const protocol::Sdp &sdp) override { driver_->send_sdp(sid, sdp); }
  void send_ice(const std::string &sid, const protocol::Ice &ice) override { driver_->send_ice(sid, ice); }
  void end_session(const std::string &sid, const std::optional<std::string> &reason) override {
    driver_->end_session(sid, reason);
  }
  std::vector<std::string> urls() const override { return driver_->urls(); }

 private:
  GRef<GObject> obj_;
  std::shared_ptr<Driver> driver_;
};

// Settings that cannot be used: start() says why.
template <typename Base>
class Refused : public Base {
 public:
  explicit Refused(std::string why) : why_(std::move(why)) {}
  bool start(typename Base::Callbacks, std::string *error) override {
    *error = why_;
    return false;
  }
  void stop() override {}
  void send_sdp(const std::string &, const protocol::Sdp &) override {}
  void send_ice(const std::string &, const protocol::Ice &) override {}
  void end_session(const std::string &, const std::optional<std::string> &) override {}

 private:
  std::string why_;
};

// The transport a built-in's properties describe; nullptr for other types.
std::unique_ptr<SignallingTransport> builtin_transport(GstWebRTCLiveSignallable *signaller,
                                                      const EmbeddedServerExtras &extras, std::string *error) {
  if (GST_IS_WEBRTC_LIVE_EMBEDDED_SIGNALLER(signaller)) {
    SignallingServer::Options o;
    if (!builtin::embedded_options(GST_WEBRTC_LIVE_EMBEDDED_SIGNALLER(signaller), &o, error)) return nullptr;
    o.metrics = extras.metrics;
    o.endpoints = extras.endpoints;
    o.client_ice = extras.client_ice;
    o.whep = extras.whep;
    o.whip = extras.whip;
    return std::make_unique<EmbeddedTransport>(std::move(o));
  }
  if (GST_IS_WEBRTC_LIVE_WS_SIGNALLER(signaller))
    return std::make_unique<WsTransport>(builtin::ws_options(GST_WEBRTC_LIVE_WS_SIGNALLER(signaller)));
  return nullptr;
}

// The URL of a WebSocket signaller when it names a Janus server (janus://,
// januss://), else "".
std::string janus_url(GstWebRTCLiveSignallable *signaller) {
  if (!GST_IS_WEBRTC_LIVE_WS_SIGNALLER(signaller)) return {};
  std::string url = builtin::ws_options(GST_WEBRTC_LIVE_WS_SIGNALLER(signaller)).url;
  return janus::is_janus_url(url) ? url : std::string();
}

// The connection to Janus: the URL's target, the WebSocket signaller's
// TLS, headers, connect timeout and backoff.
janus::Connection::Options janus_options(GstWebRTCLiveSignallable *signaller, janus::Target target) {
  janus::Connection::Options o;
  o.ws = builtin::ws_options(GST_WEBRTC_LIVE_WS_SIGNALLER(signaller));
  o.target = std::move(target);
  return o;
}

bool is_builtin(GstWebRTCLiveSignallable *signaller) {
  return GST_IS_WEBRTC_LIVE_EMBEDDED_SIGNALLER(signaller) || GST_IS_WEBRTC_LIVE_WS_SIGNALLER(signaller);
}

}  // namespace

std::unique_ptr<ProducerSignaller> make_producer_signaller(GstWebRTCLiveSignallable *signaller,
                                                           const protocol::Meta &meta,
                                                           const EmbeddedServerExtras &extras) {
  if (!is_builtin(signaller)) return std::make_unique<ProducerAdapter>(signaller, meta.to_json());
  std::string why;
  if (std::string url = janus_url(signaller); !url.empty()) {
    // A Janus VideoRoom: we publish into it (janus-publisher.h).
    auto target = janus::parse_url(url, &why);
    if (!target) return std::make_unique<Refused<ProducerSignaller>>("server " + shown_url(url) + ": " + why);
    JanusPublisher::Options o;
    o.display = janus::display_name(target->display.empty() ? meta.name() : target->display);
    o.janus = janus_options(signaller, std::move(*target));
    return std::make_unique<JanusPublisher>(std::move(o));
  }
  auto transport = builtin_transport(signaller, extras, &why);
  if (!transport) return std::make_unique<Refused<ProducerSignaller>>(why);
  return std::make_unique<Attached<ProducerSignaller, ProtocolProducer>>(
      signaller, std::make_shared<ProtocolProducer>(std::move(transport), meta));
}

std::unique_ptr<ConsumerSignaller> make_consumer_signaller(GstWebRTCLiveSignallable *signaller,
                                                           const ProtocolConsumer::Options &options,
                                                           const EmbeddedServerExtras &extras) {
  if (!is_builtin(signaller)) return std::make_unique<ConsumerAdapter>(signaller, options);
  std::string why;
  if (std::string url = janus_url(signaller); !url.empty()) {
    // A Janus VideoRoom: we subscribe to its publishers (janus-subscriber.h).
    // feed= chooses them, else the element's producer-name / peer-id.
    auto target = janus::parse_url(url, &why);
    if (!target) return std::make_unique<Refused<ConsumerSignaller>>("server " + shown_url(url) + ": " + why);
    JanusSubscriber::Options o;
    o.display = janus::display_name(target->display.empty() ? options.meta.name() : target->display);
    o.feed = !target->feed.empty() ? target->feed : !options.producer_name.empty() ? options.producer_name
                                                                                 : options.peer_id;
    // The src's producers=all and max-producers (one publisher otherwise).
    o.max_sessions = std::clamp(options.max_sessions, 1u, unsigned(janus::kMaxPublishers));
    o.once = options.once;
    if (options.accept)
      o.accept = [accept = options.accept](const std::string &id) { return accept(id, protocol::Meta{}); };
    o.janus = janus_options(signaller, std::move(*target));
    return std::make_unique<JanusSubscriber>(std::move(o));
  }
  auto transport = builtin_transport(signaller, extras, &why);
  if (!transport) return std::make_unique<Refused<ConsumerSignaller>>(why);
  return std::make_unique<Attached<ConsumerSignaller, ProtocolConsumer>>(
      signaller, std::make_shared<ProtocolConsumer>(std::move(transport), options));
}

}  // namespace webrtclive
