// SPDX-License-Identifier: LGPL-2.1-or-later
//
// SrcCore: everything webrtclivesrc does, behind the GObject shell. It is a
// consumer of one producer at a time, or of every matching producer at once
// (producers=all):
//
//   signalling ─▶ control thread ─▶ Session (webrtcbin, answerer) ─pad-added─▶ depay ▶ [parse] ▶ [decoder] ─▶ ghost src pad
//
// One producer: the element's src pads (video_%u / audio_%u) outlive
// sessions: when the producer goes away and comes back, the same pads are fed
// again, so the downstream pipeline stays linked.
// Every producer (core/src-pads.cpp): each producer's pads are its own
// (video_<key>_%u, audio_<key>_%u, key = its peer id), added when its media
// arrives, and ended (EOS) and removed when it leaves; a new producer's pad
// that nobody linked is linked to the mixer that took the earlier pads of
// its kind (compositor, audiomixer), and compositor pads are laid out as a
// grid.
//
// Threads: the transport's thread (signalling) and webrtcbin's threads only
// post to the control thread; pad-added runs on a streaming thread and builds
// that pad's chain there (once per pad and session); teardown runs on the
// element's call_async pool. mutex_ is a leaf lock.
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
#include "gobj.h"
#include "session.h"
#include "consumer-signaller.h"
#include "data-channels.h"
#include "metrics.h"
#include "stats-poller.h"

namespace webrtclive {

struct SrcSettings {
  std::string peer_id;        // consume this producer
  std::string producer_name;  // or the first whose meta.name is this
  unsigned latency_ms = 100;
  bool eos_on_loss = false;
  unsigned peer_timeout_s = 20;  // no RTCP from the producer this long: it is gone
  IceConfig ice_servers;  // STUN/TURN, TURN secret, transport policy
  std::vector<std::string> ice_addresses;
  // The producer this src chose to consume: no rate limit by default (a
  // flood only costs it messages from its own 4 MiB queue); the size bound
  // is webrtcbin's own SCTP message limit.
  DataLimits data_limits{.max_message_bytes = 256 * 1024, .max_messages_per_second = 0};
  unsigned stats_interval_ms = 0;  // a webrtclive-stats bus message for the session this often; 0 = none
  // producers=all: a session with every matching producer at once, up to
  // max_producers (a server may list thousands; the rest wait).
  bool all_producers = false;
  unsigned max_producers = 16;
  // producers=all: compositor pads laid out as a grid on this canvas.
  bool grid_layout = true;
  unsigned layout_width = 1280, layout_height = 720;
};

class SrcCore : public std::enable_shared_from_this<SrcCore> {
 public:
  explicit SrcCore(GstElement *element);
  ~SrcCore();

  // Application thread (change_state). The signaller finds the producer
  // (ProtocolConsumer, or an application's through the factory).
  [[nodiscard]] bool start(std::unique_ptr<ConsumerSignaller> signaller, std::string *error);
  void stop();

  // A message from the producer on a data channel (webrtcbin's thread).
  using DataHook = std::function<void(const std::string &producer, const std::string &label, GBytes *data, bool text)>;
  void set_data_hook(DataHook hook) { data_hook_ = std::move(hook); }  // before start()
  // Any thread: a message to the producer on its open channel `label`.
  bool send_data(const std::string &label, GBytes *data, bool text);

  SrcSettings settings() const;
  void update_settings(const std::function<void(SrcSettings &)> &fn);
  std::vector<std::string> urls() const;
  bool handle_child_error(GstMessage *msg);

  // Figures (core/src-stats.cpp), any thread: GET /metrics of the embedded
  // server; reading them keeps get-stats polled for 30 s (StatsPoller).
  void write_metrics(MetricsText &out);

  struct Link;

 private:
  // control thread
  void on_session_started(const std::string &sid, const std::string &peer, const std::string &name);
  void on_remote_sdp(const std::string &sid, const protocol::Sdp &sdp);
  void on_remote_ice(const std::string &sid, const protocol::Ice &ice);
  void lose_link(const std::shared_ptr<Link> &link, const std::string &reason, bool tell_server,
                 EndReason kind = EndReason::Normal);
  // core/src-stats.cpp (control thread)
  void stats_tick(bool post);
  void on_link_stats(const std::shared_ptr<Link> &link, const GstStructure *stats, bool post);
  void count_link_end(const Link &link, EndReason kind);  // under mutex_
  std::shared_ptr<Link> current(const std::string &sid);
  std::vector<std::shared_ptr<Link>> links() const;

  // streaming thread (webrtcbin pad-added)
  void on_pad_added(const std::shared_ptr<Link> &link, GstPad *pad);
  void push_data(const DataChannelSpec &channel, GBytes *data, bool text);
  void teardown(std::shared_ptr<Link> link);

  // core/src-pads.cpp: the element's media pads.
  GstPad *ghost_for(const Link &link, MediaKind kind, unsigned index);  // streaming thread
  void tag_first_buffer(const Link &link, GstPad *ghost);
  bool link_to_mixer(GstPad *ghost, MediaKind kind);
  void end_pads(const Link &link, const std::vector<GstPad *> &ghosts);  // call_async pool
  void lay_out();

  template <typename Fn>
  void post(Fn &&fn);
  std::shared_ptr<ConsumerSignaller> signaller() const;

  GstElement *element_;
  GstBin *bin_;

  // Lock order: pad_added_mutex_ (held while one pad's chain is built, on a
  // streaming thread) → layout_mutex_ → mutex_ (a leaf).
  std::mutex pad_added_mutex_;
  mutable std::mutex mutex_;
  SrcSettings settings_;
  std::shared_ptr<ConsumerSignaller> signaller_;
  std::map<std::string, GstPad *> pads_;  // "video_0", "data_0" -> ghost pad (owned by the element)
  // producers=all: where the earlier pads of each kind went (mutex_): the
  // mixer a new producer's unlinked pad is linked to.
  GWeakRef mixers_[2];
  std::mutex layout_mutex_;  // one lay_out() at a time; taken before mutex_
  struct DataSource;
  std::map<std::string, std::shared_ptr<DataSource>> data_sources_;  // by channel label (mutex_)
  DataHook data_hook_;
  std::map<std::string, std::shared_ptr<Link>> links_;  // by session id; control thread writes, others read (mutex_)
  unsigned link_seq_ = 0;                                // order of arrival (tiles; mutex_)
  unsigned teardowns_in_flight_ = 0;
  std::condition_variable teardown_done_;

  // control thread
  bool finished_ = false;  // EOS sent (eos_on_loss)

  // Figures (mutex_); ended sessions' counts are folded in so counters
  // never go down.
  struct Figures {
    SessionCounts sessions;
    StatsTotals ended;  // of ended sessions
  } figures_;
  StatsPoller stats_poller_;  // control thread

  // Its ECDSA DTLS certificate (core/dtls-certificate.h): set by start()
  // before the control thread runs, read there.
  std::shared_ptr<const std::string> certificate_pem_;
  ControlLoop control_;
  std::atomic<bool> running_{false};
};

}  // namespace webrtclive
