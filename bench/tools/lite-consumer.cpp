// SPDX-License-Identifier: LGPL-2.1-or-later
//
// lite-consumer: many cheap WebRTC consumers of one webrtclivesink in ONE
// process, for load tests where the sink, not the consumers, must be what is
// measured (issue 11). Each consumer does what a browser's receiver does on
// the wire — signalling, ICE, DTLS, SRTP, RTCP receiver reports — and counts
// packets, frames, keyframes and late frames, but decodes nothing.
//
//   lite-consumer --url ws://127.0.0.1:PORT/ws [--producer NAME] [--count N]
//                 [--join-interval-ms M] [--seconds S] [--report-ms R] [--verbose] [--srtp-builtin]
//
//   --count N              consumers (1)
//   --join-interval-ms M   one consumer joins every M ms; 0 = all at once (a join storm) (0)
//   --seconds S            run S seconds after the first join, close every session, exit 0
//                          (0 = until SIGTERM/SIGINT, which do the same)
//   --report-ms R          period of "report" lines (1000)
//   --producer NAME        the producer whose meta.name is NAME ("" = the first one listed)
//   --verbose              offers, answers and signalling errors on stderr
//   --srtp-builtin         leave libsrtp's own AES and HMAC (Debian's: NSS, ~2x the CPU per
//                          packet) instead of ours on OpenSSL (core/srtp-crypto.cpp)
//   --tamper-fingerprint   self-test of the DTLS identity check: expect another certificate
//                          than the offer's; every consumer must fail ("failed", DTLS ...
//                          is not the one its SDP announced) and receive nothing
//
// Setup errors (bad option, no DTLS context) exit 2 with a message on stderr.
//
// Output: JSON lines on stdout, times in ms, "id" is the consumer's index:
//   {"event":"joined","id":3,"ms_to_first_packet":212,"ms_to_first_keyframe":230,"ms_to_dtls":190,
//    "codec":"H264"}                once per consumer, at its first complete keyframe; all from the
//                                   moment its startSession went out
//   {"event":"failed","id":3,"reason":"..."}   it gave up (bad offer, DTLS fingerprint mismatch,
//                                   ICE/DTLS failure, not connected within 20 s)
//   {"event":"ended","id":3,"reason":"..."}    the sink (or signalling) ended its session
//   {"event":"report","t_ms":..,"consumers":N,"connected":n,"receiving":r,"joined":j,
//    "fps_min":..,"fps_avg":..,"kbps_avg":..,"frames":..,"late":..,"late_ms_max":..,"packets":..,
//    "srtp_errors":..,"rtcp_in":..,"rtcp_out":..,"cpu_pct":..,"threads":..,"rss_kb":..,
//    "per":[{"id":0,"packets":..,"frames":..,"keyframes":..,"late":..,"fps":..},...]}
//       every --report-ms: connected = DTLS up, receiving = got a packet in the interval,
//       fps_* over the consumers connected for the whole interval (0 if none), kbps_avg
//       (RTP bitrate) over the connected ones, totals since the start,
//       late_ms_max the worst lateness seen in the interval, cpu_pct this process's CPU in
//       the interval (% of one core)
//   {"event":"exit","consumers":N,"joined":j,"failed":f,"ended":e,"wall_s":..,"cpu_s":..,
//    "steady_s":..,"steady_cpu_pct":..,"steady_cpu_pct_per_consumer":..,"threads_max":..,
//    "rss_kb":..,"frames":..,"late":..,"srtp_crypto":"openssl"|"libsrtp"}
//       last line; "steady" is from the last join (every consumer joined or failed) to the
//       end, before the sessions are closed (0 if that never happened).
//
// Lateness: a frame's arrival (its marker packet) minus its RTP time (90 kHz), relative to
// the smallest such offset seen so far on that consumer; more than 50 ms is late.
//
// Threads: every NiceAgent, DTLS and SRTP context and timer is on the main thread's
// GMainContext (libnice makes no thread of its own); each consumer's signalling
// (ProtocolConsumer over WsTransport) has its client thread, whose callbacks are posted to
// the main thread.
#include <agent.h>
#include <glib-unix.h>
#include <gst/gst.h>
#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "gobj.h"
#include "lite-dtls.h"
#include "lite-rtp.h"
#include "lite-sdp.h"
#include "protocol-consumer.h"
#include "transport.h"

namespace {

using webrtclive::post_to;
namespace protocol = webrtclive::protocol;

constexpr gint64 kLateUs = 50 * 1000;
constexpr gint64 kConnectTimeoutUs = 20 * G_USEC_PER_SEC;
constexpr gint64 kRtcpIntervalUs = G_USEC_PER_SEC;

struct Options {
  std::string url, producer;
  int count = 1;
  int join_interval_ms = 0;
  int seconds = 0;
  int report_ms = 1000;
  bool verbose = false;
  bool srtp_builtin = false;
  bool tamper_fingerprint = false;
};

std::string json_str(const std::string &s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += char(c);
    } else if (c < 0x20) {
      char buf[8];
      snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += char(c);
    }
  }
  return out + "\"";
}

void emit(const std::string &line) {
  fputs(line.c_str(), stdout);
  fputc('\n', stdout);
  fflush(stdout);
}

double cpu_seconds() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// "Threads:" and "VmRSS:" of /proc/self/status.
void proc_status(long *threads, long *rss_kb) {
  *threads = *rss_kb = 0;
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return;
  char line[256];
  while (fgets(line, sizeof line, f)) {
    if (!strncmp(line, "Threads:", 8)) *threads = atol(line + 8);
    if (!strncmp(line, "VmRSS:", 6)) *rss_kb = atol(line + 6);
  }
  fclose(f);
}

struct App;

struct Consumer {
  enum class Phase { Signalling, Negotiating, Connecting, Receiving, Failed, Ended };

  int id = 0;
  App *app = nullptr;
  std::unique_ptr<webrtclive::ProtocolConsumer> signaller;
  std::string session_id;
  Phase phase = Phase::Signalling;
  gint64 t_start = 0, t_dtls = 0, t_first_packet = 0, t_first_keyframe = 0;

  NiceAgent *agent = nullptr;
  guint stream = 0;
  std::unique_ptr<lite::DtlsSrtp> dtls;
  lite::Offer offer;
  std::vector<std::string> early_candidates;  // trickled before the offer was applied

  // Media: the chosen video and audio payload types, and their sources.
  int video_pt = -1, audio_pt = -1;
  lite::Codec video_codec = lite::Codec::Other;
  std::string video_encoding;
  lite::SourceStats video, audio;
  uint32_t our_ssrc = g_random_int();
  gint64 next_rr_us = 0;

  // Counters (totals) and the frame being received.
  uint64_t packets = 0, bytes = 0, frames = 0, keyframes = 0, late = 0, srtp_errors = 0;
  uint64_t rtcp_in = 0, rtcp_out = 0;  // SRTCP packets received (accepted) and sent
  uint64_t frames_prev = 0, packets_prev = 0, bytes_prev = 0;
  bool frame_open = false, frame_key = false;
  uint32_t frame_ts = 0, last_frame_ts = 0;
  int64_t ext_ts = 0;
  bool have_base = false;
  int64_t base_offset_us = 0;
  gint64 late_max_us = 0;  // in the current report interval

  ~Consumer() { drop_media(); }

  void start();
  void on_offer(const protocol::Sdp &sdp);
  void on_remote_ice(const protocol::Ice &ice);
  void add_remote_candidate(const std::string &candidate);
  void on_component_state(guint state);
  void on_datagram(uint8_t *buf, guint len);
  void on_rtp(uint8_t *buf, int len, gint64 now);
  void on_rtcp(uint8_t *buf, int len, gint64 now);
  void send_rr(gint64 now);
  void tick(gint64 now);
  void fail(const std::string &why);
  void ended(const std::string &why);
  void drop_media();
  void send_datagram(const uint8_t *data, size_t len) {
    if (agent) nice_agent_send(agent, stream, 1, guint(len), reinterpret_cast<const gchar *>(data));
  }
};

struct App {
  Options opt;
  GMainContext *context = nullptr;
  GMainLoop *loop = nullptr;
  std::unique_ptr<lite::DtlsContext> dtls;
  std::vector<std::unique_ptr<Consumer>> consumers;
  int started = 0;
  bool stopping = false;
  gint64 t0 = 0;
  // CPU bookkeeping.
  double cpu_prev = 0;
  gint64 report_prev_us = 0;
  double steady_cpu0 = 0;
  gint64 steady_t0 = 0;
  long threads_max = 0;

  void start_next();
  void report();
  void check_steady(gint64 now);
  void shutdown();
};

void Consumer::start() {
  webrtclive::WsClient::Options ws;
  ws.url = app->opt.url;
  webrtclive::ProtocolConsumer::Options po;
  po.meta = protocol::Meta::from_name("lite-consumer-" + std::to_string(id));
  po.producer_name = app->opt.producer;
  po.once = true;
  signaller = std::make_unique<webrtclive::ProtocolConsumer>(std::make_unique<webrtclive::WsTransport>(ws), po);
  // Callbacks come on the signaller's thread: posted to the main thread.
  GMainContext *ctx = app->context;
  webrtclive::ConsumerSignaller::Callbacks cb;
  cb.producer_found = [this, ctx](const std::string &, const std::string &) {
    gint64 now = g_get_monotonic_time();  // startSession has just been sent
    post_to(ctx, [this, now] {
      if (!app->stopping && !t_start) t_start = now;
    });
  };
  cb.session_started = [this, ctx](const std::string &sid, const std::string &, const std::string &) {
    post_to(ctx, [this, sid] {
      if (!app->stopping) session_id = sid;
    });
  };
  cb.remote_sdp = [this, ctx](const std::string &sid, const protocol::Sdp &sdp) {
    post_to(ctx, [this, sid, sdp] {
      if (!app->stopping && sid == session_id) on_offer(sdp);
    });
  };
  cb.remote_ice = [this, ctx](const std::string &sid, const protocol::Ice &ice) {
    post_to(ctx, [this, sid, ice] {
      if (!app->stopping && sid == session_id) on_remote_ice(ice);
    });
  };
  cb.session_ended = [this, ctx](const std::string &sid, const std::string &reason) {
    post_to(ctx, [this, sid, reason] {
      if (!app->stopping && sid == session_id) ended(reason);
    });
  };
  cb.error = [this](const std::string &message, bool fatal) {
    // (Consumer 0 speaks for all: a server that is not there is said once, not N times.)
    if (app->opt.verbose || fatal || id == 0) fprintf(stderr, "consumer %d: signalling: %s\n", id, message.c_str());
  };
  std::string error;
  if (!signaller->start(std::move(cb), &error)) {
    fprintf(stderr, "lite-consumer: cannot start signalling: %s\n", error.c_str());
    exit(2);
  }
}

void Consumer::on_offer(const protocol::Sdp &sdp) {
  if (phase != Phase::Signalling) return;
  if (sdp.type != "offer") return fail("expected an offer, got a " + sdp.type);
  if (app->opt.verbose) fprintf(stderr, "consumer %d: offer:\n%s\n", id, sdp.sdp.c_str());
  std::string error;
  if (!lite::parse_offer(sdp.sdp, &offer, &error)) return fail(error);
  if (app->opt.tamper_fingerprint) offer.fingerprint[0] = offer.fingerprint[0] == '0' ? '1' : '0';
  for (const auto &ml : offer.mlines) {
    if (ml.kind == "video" && video_pt < 0) {
      video_pt = ml.pt;
      video_encoding = ml.encoding;
      video_codec = lite::codec_from_name(ml.encoding);
      video.clock_rate = ml.clock_rate;
    } else if (ml.kind == "audio" && audio_pt < 0) {
      audio_pt = ml.pt;
      audio.clock_rate = ml.clock_rate;
    }
  }
  phase = Phase::Negotiating;

  agent = nice_agent_new_full(app->context, NICE_COMPATIBILITY_RFC5245, NICE_AGENT_OPTION_ICE_TRICKLE);
  g_object_set(agent, "controlling-mode", FALSE, "ice-tcp", FALSE, nullptr);
  if (g_object_class_find_property(G_OBJECT_GET_CLASS(agent), "upnp")) g_object_set(agent, "upnp", FALSE, nullptr);
  NiceAddress local;
  nice_address_init(&local);
  nice_address_set_from_string(&local, "127.0.0.1");
  nice_agent_add_local_address(agent, &local);
  stream = nice_agent_add_stream(agent, 1);
  g_signal_connect(agent, "component-state-changed",
                   G_CALLBACK(+[](NiceAgent *, guint, guint component, guint state, gpointer self) {
                     if (component == 1) static_cast<Consumer *>(self)->on_component_state(state);
                   }),
                   this);
  nice_agent_attach_recv(
      agent, stream, 1, app->context,
      [](NiceAgent *, guint, guint, guint len, gchar *buf, gpointer self) {
        static_cast<Consumer *>(self)->on_datagram(reinterpret_cast<uint8_t *>(buf), len);
      },
      this);
  if (!nice_agent_gather_candidates(agent, stream)) return fail("libnice could not gather a candidate on 127.0.0.1");
  nice_agent_set_remote_credentials(agent, stream, offer.ice_ufrag.c_str(), offer.ice_pwd.c_str());

  gchar *ufrag = nullptr, *pwd = nullptr;
  nice_agent_get_local_credentials(agent, stream, &ufrag, &pwd);
  std::string answer = lite::make_answer(offer, ufrag, pwd, app->dtls->fingerprint());
  g_free(ufrag);
  g_free(pwd);
  if (app->opt.verbose) fprintf(stderr, "consumer %d: answer:\n%s\n", id, answer.c_str());
  signaller->send_sdp(session_id, protocol::Sdp{"answer", answer});
  // Our host candidates exist as soon as gathering started: trickled after the answer.
  GSList *locals = nice_agent_get_local_candidates(agent, stream, 1);
  for (GSList *l = locals; l; l = l->next) {
    gchar *line = nice_agent_generate_local_candidate_sdp(agent, static_cast<NiceCandidate *>(l->data));
    if (line && g_str_has_prefix(line, "a=")) signaller->send_ice(session_id, protocol::Ice{line + 2, 0});
    g_free(line);
  }
  g_slist_free_full(locals, reinterpret_cast<GDestroyNotify>(nice_candidate_free));

  for (const auto &c : offer.candidates) add_remote_candidate(c);
  for (const auto &c : early_candidates) add_remote_candidate(c);
  early_candidates.clear();
  dtls = std::make_unique<lite::DtlsSrtp>(*app->dtls, offer.fingerprint_hash, offer.fingerprint,
                                          [this](const uint8_t *d, size_t n) { send_datagram(d, n); });
  phase = Phase::Connecting;
}

void Consumer::on_remote_ice(const protocol::Ice &ice) {
  if (phase == Phase::Failed || phase == Phase::Ended) return;
  if (!agent) {
    if (early_candidates.size() < 64) early_candidates.push_back(ice.candidate);
    return;
  }
  add_remote_candidate(ice.candidate);
}

void Consumer::add_remote_candidate(const std::string &candidate) {
  // Only UDP on component 1 (rtcp-mux, bundle); mDNS never appears here.
  const std::string line = candidate.rfind("a=", 0) == 0 ? candidate : "a=" + candidate;
  NiceCandidate *c = nice_agent_parse_remote_candidate_sdp(agent, stream, line.c_str());
  if (!c) return;
  if (c->component_id == 1 && c->transport == NICE_CANDIDATE_TRANSPORT_UDP) {
    GSList one = {c, nullptr};
    nice_agent_set_remote_candidates(agent, stream, 1, &one);
  }
  nice_candidate_free(c);
}

void Consumer::on_component_state(guint state) {
  if (phase != Phase::Connecting) return;
  if (state == NICE_COMPONENT_STATE_FAILED) return fail("ICE failed");
  if ((state == NICE_COMPONENT_STATE_CONNECTED || state == NICE_COMPONENT_STATE_READY) &&
      dtls->state() == lite::DtlsSrtp::State::New)
    dtls->start();
}

void Consumer::on_datagram(uint8_t *buf, guint len) {
  if (len == 0 || !dtls || phase == Phase::Failed || phase == Phase::Ended) return;
  const gint64 now = g_get_monotonic_time();
  const uint8_t b = buf[0];
  if (b >= 20 && b <= 63) {  // DTLS (RFC 7983)
    // A ClientHello cannot come to a client; a peer that starts first just waits for ours.
    if (dtls->state() == lite::DtlsSrtp::State::New) dtls->start();
    dtls->on_datagram(buf, len);
    switch (dtls->state()) {
      case lite::DtlsSrtp::State::Connected:
        if (phase == Phase::Connecting) {
          phase = Phase::Receiving;
          t_dtls = now;
          next_rr_us = now + g_random_int_range(0, 200) * 1000;
        }
        break;
      case lite::DtlsSrtp::State::Failed:
        return fail(dtls->error());
      case lite::DtlsSrtp::State::Closed:
        return ended(dtls->error());
      default:
        break;
    }
    return;
  }
  if (b < 128 || b > 191 || phase != Phase::Receiving || len < 8) return;  // not RTP/RTCP, or too early
  // RTCP packet types 192..223 sit where RTP's marker bit and payload type are (RFC 5761).
  if (buf[1] >= 192 && buf[1] <= 223)
    on_rtcp(buf, int(len), now);
  else
    on_rtp(buf, int(len), now);
}

void Consumer::on_rtp(uint8_t *buf, int len, gint64 now) {
  if (!dtls->unprotect_rtp(buf, &len)) {
    srtp_errors++;
    return;
  }
  lite::RtpPacket p;
  if (!lite::parse_rtp(buf, size_t(len), &p)) return;
  packets++;
  bytes += uint64_t(len);
  if (!t_first_packet) t_first_packet = now;
  if (p.pt == audio_pt) {
    if (!audio.seen) audio.ssrc = p.ssrc;
    if (p.ssrc == audio.ssrc) audio.on_packet(p.seq, p.ts, now);
    return;
  }
  if (p.pt != video_pt) return;  // (retransmissions and FEC were not negotiated)
  if (!video.seen) video.ssrc = p.ssrc;
  if (p.ssrc != video.ssrc) return;
  video.on_packet(p.seq, p.ts, now);
  if (!frame_open || p.ts != frame_ts) {
    frame_open = true;
    frame_ts = p.ts;
    frame_key = false;
  }
  if (!frame_key && lite::is_keyframe(video_codec, p.payload, p.payload_len)) frame_key = true;
  if (!p.marker) return;
  // A whole frame (its last packet): count it, and how late it is.
  frame_open = false;
  frames++;
  ext_ts = frames == 1 ? int64_t(p.ts) : ext_ts + int32_t(p.ts - last_frame_ts);
  last_frame_ts = p.ts;
  const int64_t offset = now - ext_ts * 1000000 / int64_t(video.clock_rate);
  if (!have_base || offset < base_offset_us) {
    have_base = true;
    base_offset_us = offset;
  }
  const int64_t lateness = offset - base_offset_us;
  if (lateness > late_max_us) late_max_us = lateness;
  if (lateness > kLateUs) late++;
  if (frame_key) {
    keyframes++;
    if (!t_first_keyframe) {
      t_first_keyframe = now;
      char line[256];
      snprintf(line, sizeof line,
               "{\"event\":\"joined\",\"id\":%d,\"ms_to_first_packet\":%.1f,\"ms_to_first_keyframe\":%.1f,"
               "\"ms_to_dtls\":%.1f,\"codec\":%s}",
               id, double(t_first_packet - t_start) / 1000, double(t_first_keyframe - t_start) / 1000,
               double(t_dtls - t_start) / 1000, json_str(video_encoding).c_str());
      emit(line);
      app->check_steady(now);
    }
  }
}

void Consumer::on_rtcp(uint8_t *buf, int len, gint64 now) {
  if (!dtls->unprotect_rtcp(buf, &len)) {
    srtp_errors++;
    return;
  }
  rtcp_in++;
  lite::SourceStats *sources[] = {&video, &audio};
  lite::read_sender_reports(buf, size_t(len), sources, 2, now);
}

void Consumer::send_rr(gint64 now) {
  uint8_t buf[8 + 24 * 2 + 8 + 64 + 4 + SRTP_MAX_TRAILER_LEN];
  lite::SourceStats *sources[] = {&video, &audio};
  int len = int(lite::build_receiver_report(buf, our_ssrc, sources, 2, "lite-" + std::to_string(id), now));
  if (!dtls->protect_rtcp(buf, &len)) return;
  send_datagram(buf, size_t(len));
  rtcp_out++;
}

void Consumer::tick(gint64 now) {
  if (phase == Phase::Signalling || phase == Phase::Connecting) {
    if (dtls) dtls->tick();
    if (dtls && dtls->state() == lite::DtlsSrtp::State::Failed) return fail(dtls->error());
    if (t_start && now - t_start > kConnectTimeoutUs) return fail("not connected 20 s after startSession");
  } else if (phase == Phase::Receiving && now >= next_rr_us) {
    send_rr(now);
    next_rr_us = now + kRtcpIntervalUs;
  }
}

void Consumer::fail(const std::string &why) {
  if (phase == Phase::Failed || phase == Phase::Ended) return;
  phase = Phase::Failed;
  emit("{\"event\":\"failed\",\"id\":" + std::to_string(id) + ",\"reason\":" + json_str(why) + "}");
  if (!session_id.empty()) signaller->end_session(session_id, why);
  // Not from inside libnice's callbacks: the agent goes from the main loop.
  post_to(app->context, [this] { drop_media(); });
  app->check_steady(g_get_monotonic_time());
}

void Consumer::ended(const std::string &why) {
  if (phase == Phase::Failed || phase == Phase::Ended) return;
  phase = Phase::Ended;
  emit("{\"event\":\"ended\",\"id\":" + std::to_string(id) + ",\"reason\":" + json_str(why) + "}");
  post_to(app->context, [this] { drop_media(); });
  app->check_steady(g_get_monotonic_time());
}

void Consumer::drop_media() {
  dtls.reset();
  if (agent) {
    nice_agent_attach_recv(agent, stream, 1, app->context, nullptr, nullptr);
    g_signal_handlers_disconnect_by_data(agent, this);
    g_object_unref(agent);
    agent = nullptr;
  }
}

void App::start_next() {
  if (stopping || started >= opt.count) return;
  auto c = std::make_unique<Consumer>();
  c->id = started++;
  c->app = this;
  consumers.push_back(std::move(c));
  consumers.back()->start();
}

// Steady state begins when every consumer has joined or given up.
void App::check_steady(gint64 now) {
  if (steady_t0 || started < opt.count) return;
  for (auto &c : consumers)
    if (!c->t_first_keyframe && c->phase != Consumer::Phase::Failed && c->phase != Consumer::Phase::Ended) return;
  steady_t0 = now;
  steady_cpu0 = cpu_seconds();
}

void App::report() {
  const gint64 now = g_get_monotonic_time();
  const double interval_s = double(now - report_prev_us) / 1e6;
  const double cpu = cpu_seconds();
  const double cpu_pct = interval_s > 0 ? 100 * (cpu - cpu_prev) / interval_s : 0;
  report_prev_us = now;
  cpu_prev = cpu;
  long threads, rss;
  proc_status(&threads, &rss);
  threads_max = std::max(threads_max, threads);
  int connected = 0, receiving = 0, joined = 0;
  double fps_min = -1, fps_sum = 0, kbps_sum = 0;
  uint64_t frames = 0, late = 0, packets = 0, errors = 0, rtcp_in = 0, rtcp_out = 0;
  gint64 late_max = 0;
  std::string per;
  int whole = 0;  // connected for the whole interval: the ones fps_* are over
  for (auto &c : consumers) {
    const double fps = interval_s > 0 ? double(c->frames - c->frames_prev) / interval_s : 0;
    if (c->phase == Consumer::Phase::Receiving) {
      connected++;
      if (c->t_dtls <= now - gint64(interval_s * 1e6)) {
        whole++;
        fps_min = fps_min < 0 ? fps : std::min(fps_min, fps);
        fps_sum += fps;
      }
      if (c->packets > c->packets_prev) receiving++;
      kbps_sum += interval_s > 0 ? double(c->bytes - c->bytes_prev) * 8 / 1000 / interval_s : 0;
    }
    if (c->t_first_keyframe) joined++;
    frames += c->frames, late += c->late, packets += c->packets, errors += c->srtp_errors;
    rtcp_in += c->rtcp_in, rtcp_out += c->rtcp_out;
    late_max = std::max(late_max, c->late_max_us);
    char item[200];
    snprintf(item, sizeof item, "%s{\"id\":%d,\"packets\":%llu,\"frames\":%llu,\"keyframes\":%llu,\"late\":%llu,\"fps\":%.1f}",
             per.empty() ? "" : ",", c->id, (unsigned long long)c->packets, (unsigned long long)c->frames,
             (unsigned long long)c->keyframes, (unsigned long long)c->late, fps);
    per += item;
    c->frames_prev = c->frames;
    c->packets_prev = c->packets;
    c->bytes_prev = c->bytes;
    c->late_max_us = 0;
  }
  char head[600];
  snprintf(head, sizeof head,
           "{\"event\":\"report\",\"t_ms\":%lld,\"consumers\":%zu,\"connected\":%d,\"receiving\":%d,\"joined\":%d,"
           "\"fps_min\":%.1f,\"fps_avg\":%.1f,\"kbps_avg\":%.0f,\"frames\":%llu,\"late\":%llu,\"late_ms_max\":%.1f,\"packets\":%llu,"
           "\"srtp_errors\":%llu,\"rtcp_in\":%llu,\"rtcp_out\":%llu,\"cpu_pct\":%.2f,\"threads\":%ld,\"rss_kb\":%ld,\"per\":[",
           (long long)((now - t0) / 1000), consumers.size(), connected, receiving, joined,
           fps_min < 0 ? 0 : fps_min, whole ? fps_sum / whole : 0, connected ? kbps_sum / connected : 0, (unsigned long long)frames,
           (unsigned long long)late, double(late_max) / 1000, (unsigned long long)packets,
           (unsigned long long)errors, (unsigned long long)rtcp_in, (unsigned long long)rtcp_out, cpu_pct, threads,
           rss);
  emit(head + per + "]}");
}

void App::shutdown() {
  if (stopping) return;
  const gint64 now = g_get_monotonic_time();
  const double cpu = cpu_seconds();
  long threads, rss;
  proc_status(&threads, &rss);
  threads_max = std::max(threads_max, threads);
  stopping = true;
  int joined = 0, failed = 0, ended = 0;
  uint64_t frames = 0, late = 0;
  for (auto &c : consumers) {
    joined += c->t_first_keyframe != 0;
    failed += c->phase == Consumer::Phase::Failed;
    ended += c->phase == Consumer::Phase::Ended;
    frames += c->frames, late += c->late;
    if (c->dtls) c->dtls->close();  // close_notify: the sink sees the end at once
    if (!c->session_id.empty() && c->phase != Consumer::Phase::Ended) c->signaller->end_session(c->session_id, {});
  }
  for (auto &c : consumers) c->signaller->stop();  // each sends its endSession first
  for (auto &c : consumers) c->drop_media();
  const double steady_s = steady_t0 ? double(now - steady_t0) / 1e6 : 0;
  const double steady_pct = steady_s > 0 ? 100 * (cpu - steady_cpu0) / steady_s : 0;
  char line[700];
  snprintf(line, sizeof line,
           "{\"event\":\"exit\",\"consumers\":%zu,\"joined\":%d,\"failed\":%d,\"ended\":%d,\"wall_s\":%.2f,"
           "\"cpu_s\":%.3f,\"steady_s\":%.2f,\"steady_cpu_pct\":%.2f,\"steady_cpu_pct_per_consumer\":%.4f,"
           "\"threads_max\":%ld,\"rss_kb\":%ld,\"frames\":%llu,\"late\":%llu,\"srtp_crypto\":\"%s\"}",
           consumers.size(), joined, failed, ended, double(now - t0) / 1e6, cpu, steady_s, steady_pct,
           consumers.empty() ? 0.0 : steady_pct / double(consumers.size()), threads_max, rss,
           (unsigned long long)frames, (unsigned long long)late, dtls->srtp_crypto());
  emit(line);
  g_main_loop_quit(loop);
}

bool parse_int(const char *s, int min, int *out) {
  char *end = nullptr;
  long v = strtol(s, &end, 10);
  if (!*s || *end || v < min || v > 1000000) return false;
  *out = int(v);
  return true;
}

[[noreturn]] void usage(const char *why) {
  fprintf(stderr,
          "lite-consumer: %s\nusage: lite-consumer --url ws://HOST:PORT/ws [--producer NAME] [--count N] "
          "[--join-interval-ms M] [--seconds S] [--report-ms R] [--verbose] [--srtp-builtin] [--tamper-fingerprint]\n",
          why);
  exit(2);
}

}  // namespace

int main(int argc, char **argv) {
  App app;
  for (int i = 1; i < argc; i++) {
    const std::string a = argv[i];
    auto value = [&]() -> const char * {
      if (i + 1 >= argc) usage((a + " needs a value").c_str());
      return argv[++i];
    };
    bool ok = true;
    if (a == "--url") app.opt.url = value();
    else if (a == "--producer") app.opt.producer = value();
    else if (a == "--count") ok = parse_int(value(), 1, &app.opt.count);
    else if (a == "--join-interval-ms") ok = parse_int(value(), 0, &app.opt.join_interval_ms);
    else if (a == "--seconds") ok = parse_int(value(), 0, &app.opt.seconds);
    else if (a == "--report-ms") ok = parse_int(value(), 10, &app.opt.report_ms);
    else if (a == "--verbose") app.opt.verbose = true;
    else if (a == "--srtp-builtin") app.opt.srtp_builtin = true;
    else if (a == "--tamper-fingerprint") app.opt.tamper_fingerprint = true;
    else usage(("unknown option " + a).c_str());
    if (!ok) usage(("bad value for " + a).c_str());
  }
  if (app.opt.url.empty()) usage("--url is required");
  if (app.opt.url.rfind("ws://", 0) != 0 && app.opt.url.rfind("wss://", 0) != 0)
    usage("--url must start with ws:// or wss://");

  // GStreamer only for the signalling library's debug categories: no registry, no plugins.
  g_setenv("GST_REGISTRY_DISABLE", "yes", TRUE);
  // libsoup would ask libproxy and dconf (a thread of each) about proxies for
  // what is meant to be a loopback connection: no proxy, unless told otherwise.
  g_setenv("GIO_USE_PROXY_RESOLVER", "dummy", FALSE);
  gst_init(nullptr, nullptr);
  signal(SIGPIPE, SIG_IGN);

  std::string error;
  app.dtls = lite::DtlsContext::create(app.opt.srtp_builtin, &error);
  if (!app.dtls) {
    fprintf(stderr, "lite-consumer: %s\n", error.c_str());
    return 2;
  }
  if (!app.opt.srtp_builtin && std::string(app.dtls->srtp_crypto()) != "openssl")
    fprintf(stderr, "lite-consumer: libsrtp refused the OpenSSL AES/HMAC; using its own (slower)\n");
  app.context = g_main_context_default();
  app.loop = g_main_loop_new(app.context, FALSE);
  app.t0 = app.report_prev_us = g_get_monotonic_time();
  app.cpu_prev = cpu_seconds();

  auto on_signal = +[](gpointer data) -> gboolean {
    static_cast<App *>(data)->shutdown();
    return G_SOURCE_REMOVE;
  };
  g_unix_signal_add(SIGTERM, on_signal, &app);
  g_unix_signal_add(SIGINT, on_signal, &app);

  // Joins: one at once, the others every --join-interval-ms (all at once for 0).
  if (app.opt.join_interval_ms == 0) {
    while (app.started < app.opt.count) app.start_next();
  } else {
    app.start_next();
    g_timeout_add(guint(app.opt.join_interval_ms), +[](gpointer data) -> gboolean {
      auto *a = static_cast<App *>(data);
      a->start_next();
      return a->started < a->opt.count && !a->stopping ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
    }, &app);
  }
  // Housekeeping: DTLS retransmissions, connect timeouts, receiver reports.
  g_timeout_add(100, +[](gpointer data) -> gboolean {
    auto *a = static_cast<App *>(data);
    if (a->stopping) return G_SOURCE_REMOVE;
    const gint64 now = g_get_monotonic_time();
    for (auto &c : a->consumers) c->tick(now);
    return G_SOURCE_CONTINUE;
  }, &app);
  g_timeout_add(guint(app.opt.report_ms), +[](gpointer data) -> gboolean {
    auto *a = static_cast<App *>(data);
    if (a->stopping) return G_SOURCE_REMOVE;
    a->report();
    return G_SOURCE_CONTINUE;
  }, &app);
  if (app.opt.seconds > 0)
    g_timeout_add(guint(app.opt.seconds) * 1000, +[](gpointer data) -> gboolean {
      static_cast<App *>(data)->shutdown();
      return G_SOURCE_REMOVE;
    }, &app);

  g_main_loop_run(app.loop);
  app.consumers.clear();
  g_main_loop_unref(app.loop);
  return 0;
}
