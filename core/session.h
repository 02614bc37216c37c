// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Session: ONE webrtcbin and everything about negotiating and watching it,
// in either role. It is the only code in the project that calls
// create-offer, create-answer, set-local-description,
// set-remote-description or add-ice-candidate; webrtclivesink (one Session
// per consumer), webrtclivesrc (one per producer) and webrtclivesignaller
// (around the application's webrtcbin) all go through it, so all of them get
// the same checks:
//
//  - every remote description is parsed and validated before webrtcbin
//    sees it (parse_remote_sdp, m-line count, answer structure against our
//    offer, rejected m-lines, plus the owner's own check);
//  - remote candidates are bounded in size and count and filtered (mDNS);
//  - no media leaves before the peer's DTLS certificate matched the
//    fingerprint of its SDP (CVE-2026-14935): buffers are held at the
//    webrtcbin's sink pads until then;
//  - a peer that never connects (connect timeout) or falls silent (no
//    RTCP for peer-timeout) ends the session.
//
// Threads: a Session lives on its owner's control context (a GMainContext
// with its own thread, common/control-loop.h). Every method is called there
// and every event but `pad_added` is delivered there, always from the main
// loop (never from inside a method), so an owner may end the session from
// any event. webrtcbin's callbacks only post to that context. Session holds
// no lock of its own.
#pragma once

#include <gst/gst.h>
#include <gst/sdp/sdp.h>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "data-channels.h"
#include "gobj.h"
#include "protocol.h"
#include "webrtc-stats.h"
#include "webrtc-util.h"

namespace webrtclive {

enum class SessionRole { Offerer, Answerer };

struct SessionConfig {
  SessionRole role = SessionRole::Offerer;
  std::string name;                // webrtcbin's name (NULL = GStreamer picks one)
  GstElement *owner = nullptr;     // for warnings and logs (not referenced)
  IceSettings ice;                 // applied to a webrtcbin the session creates
  bool configure_ice = true;       // false: leave an adopted webrtcbin's ICE alone
  unsigned latency_ms = 0;         // receiving jitterbuffer; 0 = webrtcbin's default
  unsigned connect_timeout_s = 30; // not connected by then: failed; 0 = never
  unsigned peer_timeout_s = 20;    // no RTCP this long once connected: failed; 0 = never
  unsigned max_remote_mlines = 8;  // a remote offer with more is refused (each costs a decoder chain)
  bool gate_media = true;          // hold outgoing media until the DTLS identity check passed
  // Drop it instead of holding it (never block the thread that pushes):
  // for an owner that keeps what it needs itself (webrtclivesink's
  // ConsumerChain holds the GOP since the join on the shared thread).
  bool gate_drops = false;
  // PEM (certificate then key) for webrtcbin's DTLS (core/dtls-certificate.h):
  // the owner element's ECDSA identity, shared by its sessions; null =
  // GStreamer's process-wide RSA certificate. Not applied to an adopted webrtcbin.
  std::shared_ptr<const std::string> certificate_pem;
  std::vector<DataChannelSpec> channels;  // offerer: negotiated in the offer
  DataLimits data_limits;                 // for every message the peer sends on any channel
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  struct Events {
    // Our SDP, to send to the peer. Posted before any local candidate.
    std::function<void(const protocol::Sdp &)> local_description;
    std::function<void(const protocol::Ice &)> local_candidate;
    // ICE and DTLS are up and the peer's certificate matches its SDP.
    std::function<void()> connected;
    // The session is over (a sentence for the user and the peer); once.
    // No event follows; the owner ends the signalling session and tears down.
    std::function<void(EndReason kind, const std::string &reason)> failed;
    // A receiving pad appeared: called on webrtcbin's streaming thread.
    std::function<void(GstPad *pad)> pad_added;
    // Data channels (core/data-channels.h): state and drops on the control
    // thread; messages on webrtcbin's thread, in order per channel, only
    // from a verified peer and within config.data_limits.
    std::function<void(const DataChannelSpec &channel, bool open, bool announced)> channel_state;
    std::function<void(const DataChannelSpec &channel, GBytes *data, bool text)> data;
    std::function<void(const std::string &label, const std::string &why)> data_dropped;
  };
  // Owner-specific checks, on the control thread, before webrtcbin sees the
  // description: return why it is refused ("" = fine). The answer check sees
  // our offer too; the offer hook may edit the offer (e.g. drop codecs).
  using AnswerCheck = std::function<std::string(const GstSDPMessage *answer, const GstSDPMessage *offer)>;
  using OfferHook = std::function<std::string(GstSDPMessage *offer)>;
  // Answerer: once webrtcbin applied the offer and before it answers, on the
  // control thread: the owner requests its sink pads (`sink_<mline>`), sets
  // their transceivers (direction, codec-preferences) and links what feeds
  // them. Sees the offer as webrtcbin got it (after the offer hook). Return
  // why the session cannot go on ("" = answer). Pads requested here are
  // gated like those requested before start() (at pad-added, before the
  // owner can link anything to them).
  using AnswerHook = std::function<std::string(const GstSDPMessage *offer)>;

  // Creates the webrtcbin (not yet in any bin: the owner adds it), or adopts
  // the application's `existing` one (webrtclivesignaller).
  [[nodiscard]] static std::shared_ptr<Session> create(GMainContext *context, SessionConfig config, Events events,
                                                       GstElement *existing = nullptr);
  ~Session();
  Session(const Session &) = delete;
  Session &operator=(const Session &) = delete;

  GstElement *webrtcbin() const { return webrtcbin_.get(); }
  const SessionConfig &config() const { return config_; }

  void set_answer_check(AnswerCheck check) { answer_check_ = std::move(check); }
  void set_offer_hook(OfferHook hook) { offer_hook_ = std::move(hook); }
  void set_answer_hook(AnswerHook hook) { answer_hook_ = std::move(hook); }
  // Before connected (e.g. from a hook, once the owner knows the session
  // carries no media, so there is no RTCP to watch): 0 = never.
  void set_peer_timeout(unsigned seconds) { config_.peer_timeout_s = seconds; }

  // Offerer: before start(). A data channel negotiated in the offer.
  // (An answerer opens config.channels in-band once its answer is applied,
  // when the offer has an application m-line.)
  GRef<GObject> create_data_channel(const std::string &label, GstStructure *options = nullptr);

  // Watches the webrtcbin; the offerer makes its offer. The owner has
  // requested its pads (sink_%u, transceivers) and put the webrtcbin in a
  // running bin by now.
  void start();

  // The peer's description: an answer for the offerer, an offer for the
  // answerer. False when it was refused (then `failed` follows).
  [[nodiscard]] bool set_remote_description(const protocol::Sdp &sdp);
  void add_remote_candidate(const protocol::Ice &ice);

  // Any thread: a message on our open channel `label` (false: none open).
  bool send_data(const std::string &label, GBytes *data, bool text);
  std::vector<std::string> open_channels() const;

  // webrtcbin's statistics (the get-stats structure, one field per RTC stats
  // entry), delivered to `done` on the control context; nothing once the
  // session is closed or gone.
  void request_stats(std::function<void(const GstStructure *stats)> done);

  // Stops watching: timers off, no more events. The owner stops and removes
  // the webrtcbin (and whatever it linked to it). Idempotent.
  void close();

  // Set once the DTLS check passed; webrtcbin's threads may read it (e.g. to
  // refuse data-channel messages from a peer not verified yet).
  std::shared_ptr<const std::atomic<bool>> verified() const { return verified_; }
  bool is_connected() const { return state_ == State::Connected; }
  // The peer's SDP text, once set.
  const std::string &remote_sdp() const { return remote_sdp_; }

 private:
  enum class State { New, Negotiating, Connected, Closed };

  Session(GMainContext *context, SessionConfig config, Events events);
  template <typename Fn>
  void post(Fn &&fn);
  void fail(EndReason kind, const std::string &reason);
  void connect_signals();
  void gate_sink_pads();
  void gate_pad(GstPad *pad);
  void open_gate();
  void make_offer();
  void prepare_answer();
  void answer();
  void on_connection_state(int state);
  void stamp_fingerprint(GstSDPMessage *sdp) const;  // our certificate's, in a local description
  void on_local_description(const protocol::Sdp &sdp);
  std::string check_answer(const GstSDPMessage *answer);

  // A reference: a webrtcbin callback may post after the owner stopped its
  // loop (and would otherwise find the context freed with the owner).
  MainContextPtr context_;
  SessionConfig config_;
  Events events_;
  AnswerCheck answer_check_;
  OfferHook offer_hook_;
  AnswerHook answer_hook_;
  std::string applied_offer_;  // the offer as webrtcbin got it (after offer_hook_)
  GRef<GstElement> webrtcbin_;
  bool adopted_ = false;
  State state_ = State::New;
  bool remote_set_ = false;
  std::string local_fingerprint_;  // "sha-256 AB:..." of config_.certificate_pem, or empty
  std::string local_sdp_;   // our description as sent
  std::string remote_sdp_;  // theirs, for the DTLS fingerprint check
  unsigned remote_candidates_ = 0;
  std::vector<gulong> handlers_;
  struct Gate {
    GRef<GstPad> pad;
    gulong probe = 0;
  };
  std::vector<Gate> gates_;
  GSource *connect_timer_ = nullptr;   // borrowed: owned by context_
  GSource *liveness_timer_ = nullptr;  // borrowed: owned by context_
  std::shared_ptr<std::atomic<gint64>> last_rtcp_ = std::make_shared<std::atomic<gint64>>(0);
  std::shared_ptr<std::atomic<bool>> verified_ = std::make_shared<std::atomic<bool>>(false);
  std::shared_ptr<DataChannels> channels_;
};

}  // namespace webrtclive
