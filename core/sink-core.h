// SPDX-License-Identifier: LGPL-2.1-or-later
//
// SinkCore: what webrtclivesink does, behind the GObject shell: sessions
// and their negotiation, orchestrating the media side, which lives in
// FanOut (inputs, shared branches), KeyframeControl and ConsumerChain.
//
//  input pad ─▶ FanOut ─▶ shared branch per (input, codec, layer) ─▶ per consumer:
//           ConsumerChain: isolating pad ▶ queue(leaky) ▶ payloader ▶ webrtcbin (one per consumer)
//
// Threads (see docs/architecture.md):
//  - the control thread (own GMainContext) runs every decision: sessions,
//    negotiation, creating branches, keyframe coalescing. Signalling
//    callbacks and webrtcbin callbacks only post to it.
//  - streaming threads run pad probes only: they read atomics and post.
//  - teardown of a consumer (state NULL, remove) runs on the element's
//    call_async pool, so a slow webrtcbin shutdown delays nobody.
//  - the application thread calls add_input/start/stop and property setters.
// Lock order: mutex_ is a leaf; it is never held while calling into
// GStreamer in a way that can call back into this class.
#pragma once

#include <gst/gst.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "codecs.h"
#include "control-loop.h"
#include "fanout.h"
#include "gobj.h"
#include "keyframes.h"
#include "layer-estimator.h"
#include "video-layers.h"
#include "metrics.h"
#include "session.h"
#include "stats-poller.h"
#include "talkback.h"
#include "signaller.h"
#include "webrtc-stats.h"

namespace webrtclive {

struct ConsumerStream;  // core/sink-consumer.h

struct SinkSettings {
  std::vector<CodecId> video_codecs{CodecId::H264, CodecId::VP8, CodecId::VP9};
  std::vector<CodecId> audio_codecs{CodecId::Opus};
  unsigned video_bitrate_kbps = 2000;
  unsigned audio_bitrate_kbps = 64;
  unsigned keyframe_interval_frames = 60;
  unsigned min_keyframe_interval_ms = 500;
  // One consumer's own keyframe requests (PLI/FIR) are passed on at most
  // this often; then the encoder's throttle coalesces them with everyone's.
  unsigned consumer_keyframe_interval_ms = 1000;
  // Threads per shared stream that run the consumers' send paths (payloader,
  // RTP session, SRTP, sendmsg), each for a share of them; 0 = the stream's
  // own thread runs them all (FanOut::Settings::fanout_threads).
  unsigned fanout_threads = 2;
  unsigned peer_timeout_s = 20;  // no RTCP from a connected consumer for this long: it is gone
  unsigned max_consumers = 0;    // 0 = as many as the process's file descriptors allow
  bool transcode = true;
  bool control = false;  // offer the gstwebrtc-api "control" data channel (navigation events upstream)
  IceConfig ice_servers;  // STUN/TURN, TURN secret, transport policy
  std::vector<std::string> ice_addresses;
  DataLimits data_limits;  // every message a consumer sends on a data channel
  bool talkback = false;   // consumers may send audio, mixed into the "talkback" pad
  double talkback_threshold_db = -45;  // level above which a consumer counts as talking
  unsigned stats_interval_ms = 0;  // a webrtclive-stats bus message per consumer this often; 0 = none
  CodecLimit codec_limit;  // the signaller's (a Janus room's codecs): nothing else is offered; set by start()
  // The video layer ladder (raw video input; core/sink-layers.cpp): empty =
  // one layer at video_bitrate_kbps. Fixed while the element runs.
  std::vector<VideoLayer> video_layers;
  bool layer_switching = true;  // each viewer's layer follows its feedback (else only set-layer moves it)
  EstimatorSettings estimator;  // thresholds of that (layer-down-loss, ...)
};

struct SinkStats {
  unsigned consumers = 0;
  unsigned encoders = 0;
  uint64_t keyframe_requests = 0;
  uint64_t keyframes_forced = 0;
  uint64_t consumers_refused = 0;  // max-consumers or descriptors
};

class SinkCore : public std::enable_shared_from_this<SinkCore> {
 public:
  struct Hooks {
    std::function<void(const std::string &peer_id, const std::string &session_id, GstElement *webrtcbin)>
        consumer_added;
    std::function<void(const std::string &peer_id, const std::string &session_id, GstElement *webrtcbin,
                       const std::string &reason)>
        consumer_removed;
    std::function<void(const std::string &input, const char *codec, GstElement *encoder)> encoder_setup;
    // A message from a consumer on a data channel (webrtcbin's thread).
    std::function<void(const std::string &peer_id, const std::string &label, GBytes *data, bool text)> data_received;
    // A consumer's data channel opened or closed (control thread);
    // `announced`: one of ours (a data_%u pad), else the consumer's own.
    std::function<void(const std::string &peer_id, const std::string &session_id, const DataChannelSpec &channel,
                       bool open, bool announced)>
        channel_state;
    // One consumer's figures, every stats-interval (control thread; the
    // structure is the bus message's, see core/sink-stats.cpp).
    std::function<void(GstStructure *figures)> consumer_stats;
  };

  SinkCore(GstElement *element, Hooks hooks);
  ~SinkCore();

  // Application thread (request_new_pad / release_pad).
  GstPad *add_input(GstPadTemplate *templ, MediaKind kind, const char *name);
  void remove_input(GstPad *pad);

  // Application thread (change_state). start() runs the control thread and
  // the signaller; stop() ends every consumer and waits until they are gone.
  [[nodiscard]] bool start(std::unique_ptr<ProducerSignaller> signaller, std::string *error);
  void stop();

  std::vector<std::string> urls() const;
  SinkSettings settings() const;
  void update_settings(const std::function<void(SinkSettings &)> &fn);
  SinkStats stats() const;

  // Data channels (core/sink-data.cpp). A data input is one channel offered
  // to every consumer that joins after it was added; `spec` is read when a
  // consumer joins (pad properties may change until then).
  void add_data_input(GstPad *pad, std::function<DataChannelSpec()> spec);
  void remove_data_input(GstPad *pad);
  // Any thread (a data pad's streaming thread, an action signal): `data` on
  // channel `label` to the consumer with that peer id, or to every consumer
  // ("" ). Returns how many consumers it was handed to.
  unsigned send_data(const std::string &peer_id, const std::string &label, GBytes *data, bool text);

  // Messages from children that concern one consumer: turn its errors into
  // a warning and its removal. Returns true if the message was consumed.
  bool handle_child_error(GstMessage *msg);

  // A message on a consumer's "control" data channel (any thread); returns
  // the JSON reply (gstwebrtc-api's ControlResponseMessage).
  std::string handle_control_message(const std::string &text);

  // Figures (core/sink-stats.cpp), any thread. The per-consumer ones come
  // from each webrtcbin's get-stats, polled on the control thread every
  // stats-interval, and every second while someone reads them (want_stats
  // keeps that going for 30 s; the first read after a quiet spell returns
  // what is known and starts the polling).
  void write_metrics(MetricsText &out);
  std::string consumers_json(const std::string &producer);
  void want_stats();

  // Any thread: ends that consumer's session ("removed by the
  // application"). False when no consumer has this peer id.
  bool kick_consumer(const std::string &peer_id);

  // Any thread (core/sink-layers.cpp): puts that consumer's video on layer
  // `layer` of the ladder (0 = top) and holds it there; -1 gives it back to
  // its feedback. False when no consumer has this peer id or no such layer.
  bool set_layer(const std::string &peer_id, int layer);

  struct Consumer;

 private:
  // control thread
  void on_session_requested(const std::string &sid, const std::string &peer, const std::optional<std::string> &offer);
  void create_consumer(const std::string &sid, const std::string &peer, const std::optional<std::string> &offer);
  // The shared steps of both roles: a Consumer with its Session (null: the
  // session was ended), then its bin in ours and the Session started.
  std::shared_ptr<Consumer> open_consumer(const std::string &sid, const std::string &peer, SessionRole role,
                                          const SinkSettings &s, bool media);
  void launch_consumer(const std::shared_ptr<Consumer> &c, const SinkSettings &s);
  // Each stream's chain for its chosen codec, attached to the shared branch.
  bool attach_streams(const std::shared_ptr<Consumer> &c);
  // core/sink-answer.cpp: a consumer that sent an offer.
  void create_answering_consumer(const std::string &sid, const std::string &peer, const std::string &offer);
  std::string plan_answer(const std::shared_ptr<Consumer> &c, GstSDPMessage *offer);
  std::string set_up_answer(const std::shared_ptr<Consumer> &c, const GstSDPMessage *offer);
  void on_remote_sdp(const std::string &sid, const protocol::Sdp &sdp);
  void on_remote_ice(const std::string &sid, const protocol::Ice &ice);
  void on_connected(const std::string &sid);
  void on_input_ready();
  void fail_consumer(const std::string &sid, const std::string &reason, EndReason kind = EndReason::Error);
  void remove_consumer(const std::string &sid, const std::string &reason, EndReason kind);
  std::vector<OfferedCodec> codecs_to_offer(const FanOut::InputInfo &input, const SinkSettings &s) const;
  void warn_codec_limit(const SinkSettings &s);
  std::vector<DataChannelSpec> data_channels() const;
  void data_events(Session::Events &ev, const std::string &sid, const std::string &peer);
  void on_talkback_pad(const std::string &sid, GstPad *pad);
  // core/sink-layers.cpp (control thread)
  void watch_layers(const std::shared_ptr<Consumer> &c, size_t stream, const OfferedCodec &chosen);
  void on_twcc(const std::string &sid, size_t stream, std::vector<TwccPacket> packets);
  void layers_tick();
  void evaluate_layer(Consumer &c, ConsumerStream &cs, gint64 now);
  bool move_layer(Consumer &c, ConsumerStream &cs, unsigned layer, SwitchReason why, gint64 now);
  void ask_keyframe_later(const ConsumerStream &cs, gint64 hold_us);
  void feed_receiver_reports(Consumer &c, const PeerStats &stats, gint64 now);
  void add_layer_figures(Consumer &c, GstStructure *figures);
  void summarize_layer(Consumer &c);
  void start_layers();
  void stop_layers();
  // core/sink-stats.cpp (control thread)
  void stats_tick(bool post);
  void on_consumer_stats(const std::string &sid, const GstStructure *stats, bool post);
  void watch_first_packet(const std::shared_ptr<Consumer> &c);
  void count_session_start(Consumer &c);  // under mutex_
  void count_session_end(const Consumer &c, EndReason kind);  // under mutex_

  // any thread
  template <typename Fn>
  void post(Fn &&fn);
  std::shared_ptr<ProducerSignaller> signaller() const;
  void teardown(std::shared_ptr<Consumer> consumer, const std::string &reason);
  void finish_teardown(const std::shared_ptr<Consumer> &consumer, const std::string &reason);

  GstElement *element_;
  GstBin *bin_;
  Hooks hooks_;

  mutable std::mutex mutex_;
  SinkSettings settings_;
  std::map<std::string, std::shared_ptr<Consumer>> consumers_;  // by session id
  struct PendingSession {
    std::string sid, peer;
    std::optional<std::string> offer;  // the consumer's, when it offers
  };
  std::vector<PendingSession> pending_sessions_;  // waiting for input caps
  struct DataInput {
    GstPad *pad;  // owned by the element
    std::function<DataChannelSpec()> spec;
  };
  std::vector<DataInput> data_inputs_;
  std::shared_ptr<ProducerSignaller> signaller_;
  SinkStats stats_;
  // Figures of sessions (mutex_), for /metrics: ended consumers' counts are
  // folded in here so counters never go down.
  struct Figures {
    SessionCounts sessions;
    MetricHistogram join_first_packet{{0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2, 5}};
    StatsTotals ended;  // of ended consumers
  } figures_;
  StatsPoller stats_poller_;  // started and stopped on the control thread
  unsigned teardowns_in_flight_ = 0;
  std::condition_variable teardown_done_;

  std::shared_ptr<KeyframeControl> keyframes_ = std::make_shared<KeyframeControl>();
  std::shared_ptr<FanOut> fanout_;  // inputs and shared branches
  std::unique_ptr<Talkback> talkback_;  // application thread creates it (start), kept until the element goes
  // Its ECDSA DTLS certificate (core/dtls-certificate.h): set by start()
  // before the control thread runs, read there.
  std::shared_ptr<const std::string> certificate_pem_;
  GSource *layers_timer_ = nullptr;  // control thread (borrowed: owned by the context)
  unsigned layers_ticks_ = 0;
  ControlLoop control_;
  std::atomic<bool> running_{false};
  unsigned next_consumer_ = 0;
};

}  // namespace webrtclive
