// SPDX-License-Identifier: LGPL-2.1-or-later
//
// FanOut, KeyframeControl and ConsumerChain driven directly, in a pipeline
// of their own (no webrtcbin, no network): live videotestsrc inputs, shared
// VP8 encoder branches, consumers that are fakesinks or consumer chains.
// The test's main thread plays the control thread (its GMainContext runs the
// keyframe timers and captured requests).
#include <glib.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "../stamp/watchdog.h"
#include "consumer-chain.h"
#include "fanout.h"
#include "keyframes.h"
#include "pad-probe.h"

using namespace webrtclive;
using webrtclive::test::Watchdog;

namespace {

constexpr int kWatchdogSeconds = 40;
constexpr unsigned kMinKeyframeIntervalMs = 500;

// Runs the default context until `cond` holds or `timeout_ms` passed.
bool wait_until(const std::function<bool()> &cond, int timeout_ms) {
  gint64 end = g_get_monotonic_time() + gint64(timeout_ms) * 1000;
  while (!cond()) {
    if (g_get_monotonic_time() > end) return false;
    while (g_main_context_iteration(nullptr, FALSE)) {
    }
    g_usleep(5000);
  }
  return true;
}

void spin(int ms) {
  wait_until([] { return false; }, ms);
}

// What reaches a pad: buffers (with the width of the caps they came
// under and whether they are delta units) and upstream force-key-unit events.
struct Recorder {
  struct Seen {
    int width;
    bool delta;
  };
  std::mutex mutex;
  std::vector<Seen> buffers;
  int width = 0;
  std::atomic<int> count{0};
  std::atomic<int> force_key_units{0};
  ProbeHandle probe;

  void watch(GstPad *pad) {
    probe = add_probe(pad,
                      probe_types({GST_PAD_PROBE_TYPE_BUFFER, GST_PAD_PROBE_TYPE_BUFFER_LIST,
                                   GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
                                   GST_PAD_PROBE_TYPE_EVENT_UPSTREAM}),
                      [this](GstPad *, GstPadProbeInfo *info) {
                        std::lock_guard lock(mutex);
                        if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {  // RTP packets of a frame
                          GstBuffer *b = gst_buffer_list_get(GST_PAD_PROBE_INFO_BUFFER_LIST(info), 0);
                          buffers.push_back({width, b && GST_BUFFER_FLAG_IS_SET(b, GST_BUFFER_FLAG_DELTA_UNIT)});
                          count++;
                          return GST_PAD_PROBE_OK;
                        }
                        if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
                          GstBuffer *b = GST_PAD_PROBE_INFO_BUFFER(info);
                          buffers.push_back({width, GST_BUFFER_FLAG_IS_SET(b, GST_BUFFER_FLAG_DELTA_UNIT)});
                          count++;
                          return GST_PAD_PROBE_OK;
                        }
                        GstEvent *ev = GST_PAD_PROBE_INFO_EVENT(info);
                        if (GST_EVENT_TYPE(ev) == GST_EVENT_CAPS) {
                          GstCaps *caps = nullptr;
                          gst_event_parse_caps(ev, &caps);
                          gst_structure_get_int(gst_caps_get_structure(caps, 0), "width", &width);
                        } else if (GST_EVENT_TYPE(ev) == GST_EVENT_CUSTOM_UPSTREAM &&
                                   gst_structure_has_name(gst_event_get_structure(ev), "GstForceKeyUnit")) {
                          force_key_units++;
                        }
                        return GST_PAD_PROBE_OK;
                      });
  }
  std::vector<Seen> snapshot() {
    std::lock_guard lock(mutex);
    return buffers;
  }
};

struct Fixture {
  GstElement *pipeline = nullptr;
  GstElement *fan = nullptr;  // plays the element: FanOut's bin
  GstPadTemplate *templ = nullptr;
  std::shared_ptr<KeyframeControl> keyframes = std::make_shared<KeyframeControl>();
  std::shared_ptr<FanOut> fanout;
  std::atomic<int> inputs_ready{0};

  Fixture() {
    pipeline = gst_pipeline_new(nullptr);
    fan = gst_bin_new("fan");
    gst_bin_add(GST_BIN(pipeline), fan);
    templ = gst_pad_template_new("video_%u", GST_PAD_SINK, GST_PAD_REQUEST, GST_CAPS_ANY);
    keyframes->set_context(g_main_context_default());
    FanOut::Hooks hooks;
    hooks.settings = [] {
      FanOut::Settings s;
      s.encoder.video_bitrate_kbps = 300;
      // A long GOP: every keyframe in these tests is one that was asked for.
      s.encoder.keyframe_interval_frames = 10000;
      s.min_keyframe_interval_ms = kMinKeyframeIntervalMs;
      return s;
    };
    hooks.input_ready = [this] { inputs_ready++; };
    fanout = FanOut::create(fan, keyframes, std::move(hooks));
  }
  ~Fixture() {
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(pipeline);
    gst_object_unref(templ);
  }

  void add_input(const char *name, int width, int height) {
    GstPad *ghost = fanout->add_input(templ, MediaKind::Video, name);
    gst_element_add_pad(fan, ghost);
    GstElement *src = gst_element_factory_make("videotestsrc", nullptr);
    g_object_set(src, "is-live", TRUE, nullptr);
    GstElement *cf = gst_element_factory_make("capsfilter", nullptr);
    GstCaps *caps = gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING, "I420", "width", G_TYPE_INT, width,
                                        "height", G_TYPE_INT, height, "framerate", GST_TYPE_FRACTION, 30, 1, nullptr);
    g_object_set(cf, "caps", caps, nullptr);
    gst_caps_unref(caps);
    gst_bin_add_many(GST_BIN(pipeline), src, cf, nullptr);
    g_assert_true(gst_element_link(src, cf));
    GRef<GstPad> cf_src = GRef<GstPad>::adopt(gst_element_get_static_pad(cf, "src"));
    g_assert_cmpint(gst_pad_link(cf_src.get(), ghost), ==, GST_PAD_LINK_OK);
  }

  void play(int inputs) {
    gst_element_set_state(pipeline, GST_STATE_PLAYING);
    g_assert_true(wait_until([&] { return inputs_ready >= inputs; }, 10000));
  }

  // A consumer that is only a sink: buffers straight from the tee.
  GstPad *fakesink() {
    GstElement *sink = gst_element_factory_make("fakesink", nullptr);
    g_object_set(sink, "sync", FALSE, "async", FALSE, nullptr);
    gst_bin_add(GST_BIN(fan), sink);
    gst_element_sync_state_with_parent(sink);
    return gst_element_get_static_pad(sink, "sink");  // the bin holds the element; the test drops this ref
  }

  std::shared_ptr<FanOut::Attachment> attach(const BranchKey &key, GstPad *sink) {
    std::string error;
    auto a = fanout->attach(key, sink, &error);
    if (!a) g_error("attach: %s", error.c_str());
    return a;
  }

  GstElement *encoder(const char *name) { return gst_bin_get_by_name(GST_BIN(fan), name); }
};

// A consumer bin with a consumer chain ending in `end` (a fakesink's pad
// when null).
struct ChainConsumer {
  GstElement *bin = nullptr;
  std::unique_ptr<ConsumerChain> chain;
  GRef<GstPad> end;
  std::atomic<int> failures{0};
  std::string failure;
  std::mutex mutex;

  ChainConsumer(Fixture &f, unsigned mline, GstPad *custom_end = nullptr,
                std::shared_ptr<const std::atomic<bool>> verified = nullptr) {
    bin = gst_bin_new(nullptr);
    gst_bin_add(GST_BIN(f.fan), bin);
    if (custom_end) {
      end = GRef<GstPad>::ref(custom_end);
    } else {
      GstElement *sink = gst_element_factory_make("fakesink", nullptr);
      g_object_set(sink, "sync", FALSE, "async", FALSE, nullptr);
      gst_bin_add(GST_BIN(bin), sink);
      end = GRef<GstPad>::adopt(gst_element_get_static_pad(sink, "sink"));
    }
    gst_element_sync_state_with_parent(bin);
    ConsumerChain::Config cfg;
    cfg.bin = bin;
    cfg.mline = mline;
    cfg.codec = OfferedCodec{CodecId::VP8, 96, false, {}};
    cfg.ssrc = 1234;
    cfg.webrtc_pad = end.get();
    cfg.verified = std::move(verified);
    cfg.on_failure = [this](const std::string &what) {
      std::lock_guard lock(mutex);
      failure = what;
      failures++;
    };
    std::string error;
    chain = ConsumerChain::build(cfg, &error);
    if (!chain) g_error("ConsumerChain::build: %s", error.c_str());
  }
};

const BranchKey kVp8{"video_0", CodecId::VP8, 0};

void test_two_consumers_one_encoder() {
  Watchdog w("two-consumers-one-encoder", kWatchdogSeconds);
  Fixture f;
  f.add_input("video_0", 320, 240);
  f.play(1);
  Recorder r1, r2;
  GRef<GstPad> s1 = GRef<GstPad>::adopt(f.fakesink()), s2 = GRef<GstPad>::adopt(f.fakesink());
  r1.watch(s1.get());
  r2.watch(s2.get());
  auto a1 = f.attach(kVp8, s1.get());
  auto a2 = f.attach(kVp8, s2.get());
  g_assert_true(a1->key() == kVp8);
  g_assert_true(wait_until([&] { return r1.count >= 10 && r2.count >= 10; }, 10000));
  g_assert_cmpuint(f.fanout->encoders(), ==, 1);
}

void test_detach_leaves_other_receiving() {
  Watchdog w("detach-leaves-other", kWatchdogSeconds);
  Fixture f;
  f.add_input("video_0", 320, 240);
  f.play(1);
  Recorder r1, r2;
  GRef<GstPad> s1 = GRef<GstPad>::adopt(f.fakesink()), s2 = GRef<GstPad>::adopt(f.fakesink());
  r1.watch(s1.get());
  r2.watch(s2.get());
  auto a1 = f.attach(kVp8, s1.get());
  auto a2 = f.attach(kVp8, s2.get());
  g_assert_true(wait_until([&] { return r1.count >= 5 && r2.count >= 5; }, 10000));
  std::atomic<bool> done{false};
  f.fanout->detach(a1, [&] { done = true; });
  g_assert_true(wait_until([&] { return done.load(); }, 5000));
  g_assert_false(gst_pad_is_linked(s1.get()));
  int r1_after = r1.count, r2_after = r2.count;
  g_assert_true(wait_until([&] { return r2.count >= r2_after + 10; }, 10000));
  g_assert_cmpint(r1.count, ==, r1_after);

  // The last consumer leaves: the branch idles, and a newcomer revives it.
  done = false;
  f.fanout->detach(a2, [&] { done = true; });
  g_assert_true(wait_until([&] { return done.load(); }, 5000));
  Recorder r3;
  GRef<GstPad> s3 = GRef<GstPad>::adopt(f.fakesink());
  r3.watch(s3.get());
  auto a3 = f.attach(kVp8, s3.get());
  f.fanout->request_keyframe(*a3);
  g_assert_true(wait_until([&] { return r3.count >= 5; }, 10000));
  g_assert_cmpuint(f.fanout->encoders(), ==, 1);
}

void test_switch_starts_on_keyframe() {
  Watchdog w("switch", kWatchdogSeconds);
  Fixture f;
  f.add_input("video_0", 320, 240);
  f.add_input("video_1", 160, 120);
  f.play(2);
  const BranchKey other{"video_1", CodecId::VP8, 0};
  // The other branch runs, mid-GOP, for someone else.
  Recorder bystander, mover;
  GRef<GstPad> sb = GRef<GstPad>::adopt(f.fakesink()), sm = GRef<GstPad>::adopt(f.fakesink());
  bystander.watch(sb.get());
  mover.watch(sm.get());
  auto ab = f.attach(other, sb.get());
  auto am = f.attach(kVp8, sm.get());
  g_assert_true(wait_until([&] { return bystander.count >= 15 && mover.count >= 5; }, 10000));
  uint64_t forced = f.keyframes->forced();

  std::string error;
  g_assert_true(f.fanout->switch_to(am, other, &error));
  g_assert_true(am->key() == other);
  g_assert_cmpuint(f.keyframes->forced(), ==, forced + 1);
  g_assert_true(wait_until(
      [&] {
        for (auto &s : mover.snapshot())
          if (s.width == 160) return true;
        return false;
      },
      10000));
  spin(300);
  auto seen = mover.snapshot();
  size_t first_new = 0;
  while (first_new < seen.size() && seen[first_new].width != 160) first_new++;
  g_assert_cmpuint(first_new, <, seen.size());
  g_assert_false(seen[first_new].delta);  // starts on a keyframe
  for (size_t i = first_new; i < seen.size(); i++) g_assert_cmpint(seen[i].width, ==, 160);
  g_assert_cmpuint(f.fanout->encoders(), ==, 2);

  // And back; a switch to the branch it is on is a no-op.
  g_assert_true(wait_until([&] { return f.fanout->switch_to(am, kVp8, &error); }, 5000));
  g_assert_true(f.fanout->switch_to(am, kVp8, &error) || error == "the consumer is still switching");
  std::atomic<bool> done{false};
  f.fanout->detach(am, [&] { done = true; });
  g_assert_true(wait_until([&] { return done.load(); }, 5000));
  g_assert_false(gst_pad_is_linked(sm.get()));
  g_assert_false(f.fanout->switch_to(am, other, &error));
}

void test_keyframe_requests_coalesced() {
  Watchdog w("keyframes-coalesced", kWatchdogSeconds);
  Fixture f;
  f.add_input("video_0", 320, 240);
  f.play(1);
  // PLI/FIR arrive at a consumer's queue as upstream force-key-unit events.
  ChainConsumer c(f, 0);
  auto a = f.attach(kVp8, c.chain->sink_pad());
  ProbeHandle capture = f.keyframes->capture_requests(c.chain->head(), [&] { f.fanout->request_keyframe(*a); });
  GRef<GstElement> enc = GRef<GstElement>::adopt(f.encoder("video_0-vp8-encoder"));
  g_assert_nonnull(enc.get());
  Recorder at_encoder;
  GRef<GstPad> enc_src = GRef<GstPad>::adopt(gst_element_get_static_pad(enc.get(), "src"));
  at_encoder.watch(enc_src.get());
  g_assert_true(wait_until([&] { return at_encoder.count >= 5; }, 10000));

  const int n = 10;
  for (int i = 0; i < n; i++) {
    GstEvent *ev = gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, i);
    gst_pad_push_event(c.end.get(), ev);  // from the "webrtcbin" end, upstream
    g_usleep(10 * 1000);
  }
  g_assert_true(wait_until([&] { return f.keyframes->requests() >= uint64_t(n); }, 5000));
  spin(kMinKeyframeIntervalMs + 400);
  g_assert_cmpuint(f.keyframes->requests(), ==, n);
  g_assert_cmpint(at_encoder.force_key_units, >=, 1);
  g_assert_cmpint(at_encoder.force_key_units, <=, 2);
  g_assert_cmpuint(f.keyframes->forced(), ==, uint64_t(at_encoder.force_key_units));
}

void test_chain_deltas() {
  Watchdog w("chain-deltas", kWatchdogSeconds);
  Fixture f;
  f.add_input("video_0", 320, 240);
  f.play(1);
  Recorder first;
  GRef<GstPad> s = GRef<GstPad>::adopt(f.fakesink());
  first.watch(s.get());
  auto a0 = f.attach(kVp8, s.get());
  g_assert_true(wait_until([&] { return first.count >= 10; }, 10000));  // mid-GOP now

  ChainConsumer c(f, 0);
  KeyframeControl::drop_deltas_until_keyframe(c.chain->head());
  Recorder in, out;
  in.watch(c.chain->sink_pad());
  GRef<GstPad> pay_sink = GRef<GstPad>::adopt(gst_element_get_static_pad(c.chain->payloader(), "sink"));
  out.watch(pay_sink.get());
  auto a = f.attach(kVp8, c.chain->sink_pad());
  g_assert_true(wait_until([&] { return in.count >= 5; }, 10000));
  spin(300);
  g_assert_cmpint(out.count, ==, 0);  // deltas only so far
  f.fanout->request_keyframe(*a);
  g_assert_true(wait_until([&] { return out.count >= 5; }, 10000));
  auto seen_in = in.snapshot();
  g_assert_true(seen_in.front().delta);
  g_assert_false(out.snapshot().front().delta);
  g_assert_cmpint(c.failures, ==, 0);
}

// A consumer not verified yet (its DTLS check pending) gets nothing, and
// nothing waits on it: the shared thread keeps running for the others. Once
// verified it starts with the keyframe it was given at its join, held since.
void test_chain_holds_until_verified() {
  Watchdog w("chain-holds", kWatchdogSeconds);
  Fixture f;
  f.add_input("video_0", 320, 240);
  f.play(1);
  auto verified = std::make_shared<std::atomic<bool>>(false);
  ChainConsumer held(f, 0, nullptr, verified);
  ChainConsumer other(f, 1);
  Recorder in, out, r_other;
  in.watch(held.chain->sink_pad());
  out.watch(held.chain->head());
  r_other.watch(other.end.get());
  auto ah = f.attach(kVp8, held.chain->sink_pad());
  auto ao = f.attach(kVp8, other.chain->sink_pad());
  f.fanout->request_keyframe(*ah);  // the join's keyframe
  g_assert_true(wait_until([&] { return in.count >= 8 && r_other.count >= 8; }, 10000));
  spin(200);
  g_assert_cmpint(out.count, ==, 0);  // nothing before the check
  const int in_before = in.count;
  *verified = true;
  g_assert_true(wait_until([&] { return out.count >= in_before; }, 10000));
  auto seen = out.snapshot();
  g_assert_false(seen.front().delta);  // the held keyframe first
  g_assert_cmpint(held.failures, ==, 0);
}

GstFlowReturn refuse(GstPad *, GstObject *, GstBuffer *buf) {
  gst_buffer_unref(buf);
  return GST_FLOW_ERROR;
}

void test_failing_consumer_isolated() {
  Watchdog w("failing-consumer", kWatchdogSeconds);
  Fixture f;
  f.add_input("video_0", 320, 240);
  f.play(1);
  GstPad *bad_end = gst_pad_new("bad", GST_PAD_SINK);
  gst_pad_set_chain_function(bad_end, refuse);
  gst_pad_set_active(bad_end, TRUE);
  ChainConsumer bad(f, 0, bad_end);
  ChainConsumer good(f, 1);
  Recorder r;
  r.watch(good.end.get());
  auto ab = f.attach(kVp8, bad.chain->sink_pad());
  auto ag = f.attach(kVp8, good.chain->sink_pad());
  f.fanout->request_keyframe(*ag);
  g_assert_true(wait_until([&] { return bad.failures > 0 && r.count >= 5; }, 10000));
  int after = r.count;
  g_assert_true(wait_until([&] { return r.count >= after + 20; }, 10000));
  g_assert_cmpint(bad.failures, ==, 1);  // reported once
  {
    std::lock_guard lock(bad.mutex);
    g_assert_true(bad.failure.find("its stream failed") == 0);
  }
  gst_pad_set_active(bad_end, FALSE);
  gst_object_unref(bad_end);
}

}  // namespace

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  g_test_init(&argc, &argv, nullptr);
  g_test_add_func("/fanout/two-consumers-one-encoder", test_two_consumers_one_encoder);
  g_test_add_func("/fanout/detach-leaves-other-receiving", test_detach_leaves_other_receiving);
  g_test_add_func("/fanout/switch-starts-on-keyframe", test_switch_starts_on_keyframe);
  g_test_add_func("/keyframes/requests-coalesced", test_keyframe_requests_coalesced);
  g_test_add_func("/consumer-chain/deltas-dropped-until-keyframe", test_chain_deltas);
  g_test_add_func("/consumer-chain/failing-consumer-isolated", test_failing_consumer_isolated);
  g_test_add_func("/consumer-chain/holds-until-verified", test_chain_holds_until_verified);
  return g_test_run();
}
