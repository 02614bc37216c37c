// SPDX-License-Identifier: LGPL-2.1-or-later
//
// webrtclivestamp and webrtclivestampread in real pipelines (through H.264,
// VP8, a conversion to BGRA, a frame too small) and, with GstHarness, in
// every supported format and several block sizes.
#include <gst/check/gstharness.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include <cstdint>
#include <string>
#include <vector>

#include "gobj.h"
#include "watchdog.h"

using webrtclive::GRef;
using webrtclive::StructurePtr;
using webrtclive::test::Watchdog;

namespace {

constexpr int kPipelineWatchdogSeconds = 60;
constexpr int kHarnessWatchdogSeconds = 30;
constexpr gint64 kMaxLatencyUs = 2 * G_USEC_PER_SEC;

struct Reading {
  gint64 latency = 0;
  gint64 stamp = 0;
  guint64 frame = 0;
};

struct Run {
  bool eos = false;
  std::vector<std::string> errors;
  std::vector<std::string> warnings;  // "element: message"
  std::vector<Reading> readings;
  guint frames_at_sink = 0;
  StructurePtr stats;  // the reader's 'stats' after EOS, if there is a reader
};

void on_handoff(GstElement *, GstBuffer *, GstPad *, gpointer data) { ++*static_cast<guint *>(data); }

// Runs `description` (ending in "fakesink name=sink", optionally with a
// reader named "read") to EOS or error, collecting what the bus says.
Run run_pipeline(const std::string &description) {
  Run run;
  GError *error = nullptr;
  auto pipeline = GRef<GstElement>::adopt(gst_parse_launch(description.c_str(), &error));
  if (error) g_error("cannot build '%s': %s", description.c_str(), error->message);
  g_assert_nonnull(pipeline.get());

  auto sink = GRef<GstElement>::adopt(gst_bin_get_by_name(GST_BIN(pipeline.get()), "sink"));
  g_assert_nonnull(sink.get());
  g_object_set(sink.get(), "signal-handoffs", TRUE, nullptr);
  g_signal_connect(sink.get(), "handoff", G_CALLBACK(on_handoff), &run.frames_at_sink);

  auto bus = GRef<GstBus>::adopt(gst_element_get_bus(pipeline.get()));
  g_assert_cmpint(gst_element_set_state(pipeline.get(), GST_STATE_PLAYING), !=, GST_STATE_CHANGE_FAILURE);
  const auto types =
      static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_WARNING | GST_MESSAGE_ELEMENT);
  for (bool done = false; !done;) {
    GstMessage *msg = gst_bus_timed_pop_filtered(bus.get(), 30 * GST_SECOND, types);
    if (!msg) {
      run.errors.push_back("no EOS within 30 s");
      break;
    }
    switch (GST_MESSAGE_TYPE(msg)) {
      case GST_MESSAGE_EOS:
        run.eos = true;
        done = true;
        break;
      case GST_MESSAGE_ERROR:
      case GST_MESSAGE_WARNING: {
        GError *err = nullptr;
        gchar *dbg = nullptr;
        if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR)
          gst_message_parse_error(msg, &err, &dbg);
        else
          gst_message_parse_warning(msg, &err, &dbg);
        std::string text = std::string(GST_OBJECT_NAME(GST_MESSAGE_SRC(msg))) + ": " + err->message;
        g_test_message("%s %s (%s)", GST_MESSAGE_TYPE_NAME(msg), text.c_str(), dbg ? dbg : "");
        if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
          run.errors.push_back(text);
          done = true;
        } else {
          run.warnings.push_back(text);
        }
        g_error_free(err);
        g_free(dbg);
        break;
      }
      case GST_MESSAGE_ELEMENT: {
        const GstStructure *s = gst_message_get_structure(msg);
        if (gst_structure_has_name(s, "webrtclive-latency")) {
          Reading r;
          g_assert_true(gst_structure_get_int64(s, "latency", &r.latency));
          g_assert_true(gst_structure_get_int64(s, "stamp", &r.stamp));
          g_assert_true(gst_structure_get_uint64(s, "frame", &r.frame));
          run.readings.push_back(r);
        }
        break;
      }
      default:
        break;
    }
    gst_message_unref(msg);
  }

  if (auto read = GRef<GstElement>::adopt(gst_bin_get_by_name(GST_BIN(pipeline.get()), "read"))) {
    GstStructure *stats = nullptr;
    g_object_get(read.get(), "stats", &stats, nullptr);
    run.stats.reset(stats);
  }
  gst_element_set_state(pipeline.get(), GST_STATE_NULL);
  return run;
}

guint64 stat_u64(const GstStructure *s, const char *field) {
  guint64 v = 0;
  g_assert_true(gst_structure_get_uint64(s, field, &v));
  return v;
}

gint64 stat_i64(const GstStructure *s, const char *field) {
  gint64 v = 0;
  g_assert_true(gst_structure_get_int64(s, field, &v));
  return v;
}

// 60 frames stamped, coded, decoded and read: all of them read, in order,
// with sane latencies and statistics that agree with the messages.
void check_full_run(const std::string &middle) {
  const gint64 before = g_get_real_time();
  Run run = run_pipeline(
      "videotestsrc num-buffers=60 ! video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! "
      "webrtclivestamp ! " +
      middle + " ! webrtclivestampread name=read ! fakesink name=sink");
  const gint64 after = g_get_real_time();
  for (auto &e : run.errors) g_test_message("error: %s", e.c_str());
  g_assert_true(run.errors.empty());
  g_assert_true(run.eos);
  g_assert_true(run.warnings.empty());
  g_assert_cmpuint(run.frames_at_sink, ==, 60);

  g_assert_cmpuint(run.readings.size(), >=, 55);
  gint64 last_stamp = 0;
  guint64 last_frame = 0;
  for (size_t i = 0; i < run.readings.size(); ++i) {
    const Reading &r = run.readings[i];
    g_assert_cmpint(r.latency, >=, 0);
    g_assert_cmpint(r.latency, <, kMaxLatencyUs);
    g_assert_cmpint(r.stamp, >=, before);  // a real time stamped during this run
    g_assert_cmpint(r.stamp, <=, after);
    if (i > 0) {
      g_assert_cmpint(r.stamp, >, last_stamp);
      g_assert_cmpuint(r.frame, >, last_frame);
    }
    last_stamp = r.stamp;
    last_frame = r.frame;
  }

  g_assert_nonnull(run.stats.get());
  const GstStructure *s = run.stats.get();
  g_test_message("stats: %s", webrtclive::take_string(gst_structure_to_string(s)).c_str());
  g_assert_cmpuint(stat_u64(s, "count"), ==, run.readings.size());
  g_assert_cmpuint(stat_u64(s, "invalid"), ==, 0);
  const gint64 min = stat_i64(s, "min"), max = stat_i64(s, "max"), mean = stat_i64(s, "mean");
  const gint64 median = stat_i64(s, "median"), p95 = stat_i64(s, "p95");
  g_assert_cmpint(min, >=, 0);
  g_assert_cmpint(min, <=, median);
  g_assert_cmpint(median, <=, p95);
  g_assert_cmpint(p95, <=, max);
  g_assert_cmpint(max, <, kMaxLatencyUs);
  g_assert_cmpint(mean, >=, min);
  g_assert_cmpint(mean, <=, max);
  g_assert_cmpint(median, <, 500 * 1000);  // a local encode + decode takes milliseconds
}

void test_pipeline_h264() {
  Watchdog w("pipeline/h264", kPipelineWatchdogSeconds);
  check_full_run("x264enc tune=zerolatency speed-preset=ultrafast ! avdec_h264");
}

void test_pipeline_vp8() {
  Watchdog w("pipeline/vp8", kPipelineWatchdogSeconds);
  check_full_run("vp8enc deadline=1 ! vp8dec");
}

void test_pipeline_bgra() {
  Watchdog w("pipeline/bgra", kPipelineWatchdogSeconds);
  check_full_run(
      "x264enc tune=zerolatency speed-preset=ultrafast ! avdec_h264 ! videoconvert ! video/x-raw,format=BGRA");
}

// Too small for the grid: one warning from each element, all frames pass,
// nothing read.
void test_too_small() {
  Watchdog w("too-small", kPipelineWatchdogSeconds);
  Run run = run_pipeline(
      "videotestsrc num-buffers=20 ! video/x-raw,format=I420,width=64,height=32 ! webrtclivestamp name=stamp ! "
      "webrtclivestampread name=read ! fakesink name=sink");
  g_assert_true(run.errors.empty());
  g_assert_true(run.eos);
  g_assert_cmpuint(run.frames_at_sink, ==, 20);
  g_assert_cmpuint(run.readings.size(), ==, 0);
  int from_stamp = 0;
  for (auto &text : run.warnings)
    if (g_str_has_prefix(text.c_str(), "stamp: ")) ++from_stamp;
  g_assert_cmpint(from_stamp, ==, 1);
  g_assert_cmpuint(run.warnings.size(), ==, 2);  // and one from the reader
  g_assert_cmpuint(stat_u64(run.stats.get(), "count"), ==, 0);
  g_assert_cmpuint(stat_u64(run.stats.get(), "invalid"), ==, 20);
}

// The stamper leaves a too-small frame's bytes exactly as they were.
void test_too_small_untouched() {
  Watchdog w("too-small-untouched", kHarnessWatchdogSeconds);
  GstHarness *h = gst_harness_new("webrtclivestamp");
  gst_harness_set_src_caps_str(h, "video/x-raw,format=I420,width=64,height=32,framerate=30/1");
  GstVideoInfo info;
  gst_video_info_set_format(&info, GST_VIDEO_FORMAT_I420, 64, 32);
  std::vector<uint8_t> data(info.size);
  for (auto &b : data) b = static_cast<uint8_t>(g_test_rand_int_range(0, 256));
  GstBuffer *in = gst_buffer_new_memdup(data.data(), data.size());
  GstBuffer *out = gst_harness_push_and_pull(h, in);
  g_assert_nonnull(out);
  g_assert_cmpint(gst_buffer_memcmp(out, 0, data.data(), data.size()), ==, 0);
  gst_buffer_unref(out);
  gst_harness_teardown(h);
}

GstBuffer *noise_frame(const GstVideoInfo &info) {
  std::vector<uint8_t> data(info.size);
  for (auto &b : data) b = static_cast<uint8_t>(g_test_rand_int_range(0, 256));
  return gst_buffer_new_memdup(data.data(), data.size());
}

// Pushes `frames` noise frames through stamp ! read with the given settings;
// returns the reader's stats.
StructurePtr harness_run(const char *format, int width, int height, guint stamp_block, guint read_block, int frames,
                         GstBuffer **last_out = nullptr) {
  std::string launch = "webrtclivestamp block-size=" + std::to_string(stamp_block) +
                       " ! webrtclivestampread name=read post-messages=false block-size=" + std::to_string(read_block);
  GstHarness *h = gst_harness_new_parse(launch.c_str());
  std::string caps = std::string("video/x-raw,format=") + format + ",width=" + std::to_string(width) +
                     ",height=" + std::to_string(height) + ",framerate=30/1";
  gst_harness_set_src_caps_str(h, caps.c_str());
  GstVideoInfo info;
  gst_video_info_set_format(&info, gst_video_format_from_string(format), width, height);
  for (int i = 0; i < frames; ++i) {
    GstBuffer *out = gst_harness_push_and_pull(h, noise_frame(info));
    g_assert_nonnull(out);
    if (last_out && i == frames - 1)
      *last_out = out;
    else
      gst_buffer_unref(out);
  }
  auto read = GRef<GstElement>::adopt(gst_harness_find_element(h, "webrtclivestampread"));
  GstStructure *stats = nullptr;
  g_object_get(read.get(), "stats", &stats, nullptr);
  gst_harness_teardown(h);
  return StructurePtr(stats);
}

void test_formats() {
  Watchdog w("formats", kHarnessWatchdogSeconds);
  for (const char *format : {"I420", "YV12", "NV12", "NV21", "Y42B", "Y444", "RGBA", "BGRA", "RGBx", "BGRx"}) {
    g_test_message("format %s", format);
    GstBuffer *out = nullptr;
    StructurePtr s = harness_run(format, 322, 242, 8, 8, 5, &out);
    g_assert_cmpuint(stat_u64(s.get(), "count"), ==, 5);
    g_assert_cmpuint(stat_u64(s.get(), "invalid"), ==, 0);

    // The painted values themselves: pure black/white, neutral chroma under the grid.
    GstVideoInfo info;
    gst_video_info_set_format(&info, gst_video_format_from_string(format), 322, 242);
    GstVideoFrame frame;
    g_assert_true(gst_video_frame_map(&frame, &info, out, GST_MAP_READ));
    auto at = [&](int c, int x, int y) {
      const auto *d = static_cast<const uint8_t *>(GST_VIDEO_FRAME_COMP_DATA(&frame, c));
      return d[y * GST_VIDEO_FRAME_COMP_STRIDE(&frame, c) + x * GST_VIDEO_FRAME_COMP_PSTRIDE(&frame, c)];
    };
    if (GST_VIDEO_INFO_IS_RGB(&info)) {
      for (int c = 0; c < 3; ++c) {
        g_assert_true(at(c, 3, 3) == 0 || at(c, 3, 3) == 255);
        g_assert_cmpuint(at(c, 3, 3), ==, at(0, 3, 3));
      }
    } else {
      g_assert_true(at(0, 3, 3) == 16 || at(0, 3, 3) == 235);
      for (int c = 1; c < 3; ++c) {
        // The grid (192x24 at block-size 8) in chroma samples.
        const int cw = GST_VIDEO_FORMAT_INFO_SCALE_WIDTH(info.finfo, c, 192);
        const int ch = GST_VIDEO_FORMAT_INFO_SCALE_HEIGHT(info.finfo, c, 24);
        g_assert_cmpuint(at(c, 0, 0), ==, 128);
        g_assert_cmpuint(at(c, cw - 1, ch - 1), ==, 128);
      }
    }
    gst_video_frame_unmap(&frame);
    gst_buffer_unref(out);
  }
}

void test_block_sizes() {
  Watchdog w("block-sizes", kHarnessWatchdogSeconds);
  for (guint block : {4u, 5u, 8u, 13u}) {
    StructurePtr s = harness_run("I420", 320, 240, block, block, 3);
    g_assert_cmpuint(stat_u64(s.get(), "count"), ==, 3);
    g_assert_cmpuint(stat_u64(s.get(), "invalid"), ==, 0);
  }
  // A reader with another block size finds nothing valid (and claims nothing).
  StructurePtr s = harness_run("I420", 320, 240, 8, 12, 4);
  g_assert_cmpuint(stat_u64(s.get(), "count"), ==, 0);
  g_assert_cmpuint(stat_u64(s.get(), "invalid"), ==, 4);
}

// Unstamped frames count as invalid and never produce a reading.
void test_unstamped_frames_invalid() {
  Watchdog w("unstamped-frames-invalid", kHarnessWatchdogSeconds);
  GstHarness *h = gst_harness_new("webrtclivestampread");
  gst_harness_set_src_caps_str(h, "video/x-raw,format=I420,width=320,height=240,framerate=30/1");
  GstVideoInfo info;
  gst_video_info_set_format(&info, GST_VIDEO_FORMAT_I420, 320, 240);
  for (int i = 0; i < 10; ++i) gst_buffer_unref(gst_harness_push_and_pull(h, noise_frame(info)));
  GstStructure *stats = nullptr;
  g_object_get(h->element, "stats", &stats, nullptr);
  StructurePtr s(stats);
  g_assert_cmpuint(stat_u64(s.get(), "count"), ==, 0);
  g_assert_cmpuint(stat_u64(s.get(), "invalid"), ==, 10);
  g_assert_cmpint(stat_i64(s.get(), "median"), ==, 0);
  gst_harness_teardown(h);
}

}  // namespace

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, nullptr);
  gst_init(&argc, &argv);
  for (const char *name : {"webrtclivestamp", "webrtclivestampread"}) {
    auto factory = GRef<GstElementFactory>::adopt(gst_element_factory_find(name));
    if (!factory) g_error("element %s not found: is GST_PLUGIN_PATH the build's plugin directory?", name);
  }
  g_test_add_func("/stamp/pipeline/h264", test_pipeline_h264);
  g_test_add_func("/stamp/pipeline/vp8", test_pipeline_vp8);
  g_test_add_func("/stamp/pipeline/bgra", test_pipeline_bgra);
  g_test_add_func("/stamp/pipeline/too-small", test_too_small);
  g_test_add_func("/stamp/harness/too-small-untouched", test_too_small_untouched);
  g_test_add_func("/stamp/harness/formats", test_formats);
  g_test_add_func("/stamp/harness/block-sizes", test_block_sizes);
  g_test_add_func("/stamp/harness/unstamped-frames-invalid", test_unstamped_frames_invalid);
  int ret = g_test_run();
  gst_deinit();
  return ret;
}
