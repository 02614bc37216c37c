// SPDX-License-Identifier: LGPL-2.1-or-later
//
// GET /metrics text (Prometheus exposition 0.0.4) as the writer produces it,
// and the figures read from webrtcbin's get-stats: two structures captured
// from GStreamer 1.22 (tests/unit/data, the element test's two sessions
// after 30 VP8 packets), so the parser is checked against what 1.22 really
// sends, including its swapped candidate types and its receive-side codec
// entry without a mime type.
#include <gst/gst.h>
#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>

#include <cmath>
#include <iterator>
#include <set>
#include <string>

#include "metrics.h"
#include "unit-helpers.h"
#include "webrtc-stats.h"

using namespace webrtclive;

namespace {

void test_family_once_and_escaping() {
  MetricsText m;
  m.family("x_total", "counter", "Help with \\ and\nnewline.");
  m.sample("x_total", {{"type", "a\"b\\c\nd"}}, 3);
  m.family("x_total", "counter", "again");  // announced once
  m.sample("x_total", {{"type", "plain"}}, 4);
  const std::string expected =
      "# HELP x_total Help with \\\\ and\\nnewline.\n"
      "# TYPE x_total counter\n"
      "x_total{type=\"a\\\"b\\\\c\\nd\"} 3\n"
      "x_total{type=\"plain\"} 4\n";
  UNIT_ASSERT_STR_EQ(m.text(), expected);
}

void test_numbers() {
  UNIT_ASSERT_STR_EQ(MetricsText::number(NAN), "NaN");
  UNIT_ASSERT_STR_EQ(MetricsText::number(INFINITY), "+Inf");
  UNIT_ASSERT_STR_EQ(MetricsText::number(-INFINITY), "-Inf");
  UNIT_ASSERT_STR_EQ(MetricsText::number(12345678901.0), "12345678901");
  UNIT_ASSERT_STR_EQ(MetricsText::number(0.25), "0.25");
  UNIT_ASSERT_STR_EQ(MetricsText::number(1795997920.37), "1795997920.37");
}

void test_histogram_is_cumulative() {
  MetricHistogram h({0.1, 0.5, 1});
  for (double v : {0.05, 0.1, 0.3, 0.7, 3.0}) h.observe(v);
  MetricsText m;
  m.histogram("join_seconds", "Join.", h);
  const std::string expected =
      "# HELP join_seconds Join.\n# TYPE join_seconds histogram\n"
      "join_seconds_bucket{le=\"0.1\"} 2\n"
      "join_seconds_bucket{le=\"0.5\"} 3\n"
      "join_seconds_bucket{le=\"1\"} 4\n"
      "join_seconds_bucket{le=\"+Inf\"} 5\n"
      "join_seconds_sum 4.15\n"
      "join_seconds_count 5\n";
  UNIT_ASSERT_STR_EQ(m.text(), expected);
}

void test_summary_quantiles() {
  MetricsText m;
  m.summary("rtt_seconds", "RTT.", {0.4, 0.1, 0.3, 0.2});
  UNIT_ASSERT_CONTAINS(m.text(), "rtt_seconds{quantile=\"0.5\"} 0.2\n");
  UNIT_ASSERT_CONTAINS(m.text(), "rtt_seconds{quantile=\"0.99\"} 0.4\n");
  UNIT_ASSERT_CONTAINS(m.text(), "rtt_seconds_count 4\n");
  MetricsText empty;
  empty.summary("none", "Nothing.", {});
  UNIT_ASSERT_CONTAINS(empty.text(), "none{quantile=\"0.5\"} NaN\n");
  UNIT_ASSERT_CONTAINS(empty.text(), "none_count 0\n");
}

void test_process_figures() {
  MetricsText m;
  write_process_metrics(m);
  for (const char *name : {"process_cpu_seconds_total ", "process_resident_memory_bytes ", "process_threads ",
                           "process_open_fds ", "process_start_time_seconds "})
    UNIT_ASSERT_CONTAINS(m.text(), name);
  g_assert_true(m.text().find("process_threads 0\n") == std::string::npos);
}

GstStructure *load(const char *file) {
  gchar *path = g_build_filename(g_getenv("DATA_DIR") ? g_getenv("DATA_DIR") : "tests/unit/data", file, nullptr);
  gchar *text = nullptr;
  g_assert_true(g_file_get_contents(path, &text, nullptr, nullptr));
  GstStructure *s = gst_structure_from_string(text, nullptr);
  g_assert_nonnull(s);
  g_free(text);
  g_free(path);
  return s;
}

void test_sender_stats_122() {
  GstStructure *raw = load("webrtcbin-1.22-stats-offerer.txt");
  PeerStats s = parse_webrtc_stats(raw);
  gst_structure_free(raw);
  g_assert_cmpuint(s.streams.size(), ==, 1);  // ours; the peer's SSRC known from RTCP only is no stream
  UNIT_ASSERT_STR_EQ(s.main_codec(), "VP8");
  g_assert_cmpuint(s.bytes(true), ==, 29096);
  g_assert_cmpuint(s.packets(true), ==, 30);
  g_assert_cmpfloat_with_epsilon(s.rtt_ms(), 1.0528564453125, 1e-9);  // round-trip-time 0.0010528564453125 s
  g_assert_cmpfloat_with_epsilon(s.fraction_lost(), 0, 1e-12);
  g_assert_cmpfloat_with_epsilon(s.jitter_ms(), 163 * 1000.0 / 90000, 1e-9);  // rb-jitter in clock units
  g_assert_cmpuint(s.plis(), ==, 0);
  // The selected pair's ids, not 1.22's swapped `type` fields.
  UNIT_ASSERT_STR_EQ(s.local_candidate_type, "host");
  UNIT_ASSERT_STR_EQ(s.remote_candidate_type, "host");
  UNIT_ASSERT_STR_EQ(s.address_family, "ipv4");
  g_assert_true(g_str_has_prefix(s.remote_address.c_str(), "127.0.0.1:"));
  UNIT_ASSERT_STR_EQ(s.protocol, "udp");
}

// Later in a session, 1.22's outbound-rtp loses its remote-id: the
// receiver report is found through its local-id.
void test_live_sender_stats_122() {
  GstStructure *raw = load("webrtcbin-1.22-stats-live-sender.txt");
  PeerStats s = parse_webrtc_stats(raw);
  gst_structure_free(raw);
  g_assert_cmpuint(s.streams.size(), ==, 1);
  UNIT_ASSERT_STR_EQ(s.main_codec(), "H264");
  g_assert_cmpfloat_with_epsilon(s.rtt_ms(), 1.9683837890625, 1e-9);
  g_assert_cmpfloat_with_epsilon(s.fraction_lost(), 0, 1e-12);
  g_assert_cmpfloat(s.jitter_ms(), >=, 0);
  g_assert_cmpuint(s.packets(true), >, 100);
}

void test_receiver_stats_122() {
  GstStructure *raw = load("webrtcbin-1.22-stats-answerer.txt");
  PeerStats s = parse_webrtc_stats(raw);
  gst_structure_free(raw);
  g_assert_cmpuint(s.packets(false), ==, 30);
  g_assert_cmpuint(s.bytes(false), ==, 29096);
  // 1.22's receive-side codec entry has no mime type: the kind stands in.
  UNIT_ASSERT_STR_EQ(s.main_codec(), "video");
  g_assert_cmpfloat(s.jitter_ms(), >=, 0);
  UNIT_ASSERT_STR_EQ(s.remote_candidate_type, "host");
}

void test_nothing_known() {
  PeerStats s = parse_webrtc_stats(nullptr);
  g_assert_cmpfloat(s.rtt_ms(), ==, -1);
  UNIT_ASSERT_STR_EQ(s.main_codec(), "");
  GstStructure *garbage = gst_structure_new("application/x-webrtc-stats", "x", G_TYPE_STRING, "y", nullptr);
  s = parse_webrtc_stats(garbage);
  gst_structure_free(garbage);
  g_assert_true(s.streams.empty());
}

void test_end_reason_labels() {
  std::set<std::string> labels;
  for (EndReason r : kAllEndReasons) labels.insert(end_reason_label(r));
  g_assert_cmpuint(labels.size(), ==, std::size(kAllEndReasons));
  g_assert_true(labels.count("dtls-mismatch") && labels.count("ice-failed") && labels.count("timeout") &&
                labels.count("rejected") && labels.count("normal"));
}

}  // namespace

// The send rate of a reading: measured over at least 250 ms, so a second
// get-stats a few ms after another (stats-interval and a /metrics read
// together) never reads as 0 bit/s; 12500 bytes a second is 100 kbit/s.
void test_rate_interval() {
  auto at = [](uint64_t bytes) {
    PeerStats p;
    RtpStreamStats s;
    s.outbound = true;
    s.bytes = bytes;
    p.streams.push_back(s);
    return p;
  };
  StatsReading r;
  r.update(at(0), 1000000, true);
  g_assert_cmpfloat(r.bitrate_bps, ==, -1);  // one reading is not a rate
  r.update(at(6250), 1500000, true);
  g_assert_cmpfloat(r.bitrate_bps, ==, 100000);
  r.update(at(6250), 1505000, true);  // 5 ms later, no packet in between
  g_assert_cmpfloat(r.bitrate_bps, ==, 100000);
  r.update(at(12500), 2000000, true);
  g_assert_cmpfloat(r.bitrate_bps, ==, 100000);
  r.update(at(100), 2500000, true);  // counters went back (a new stream): start again
  g_assert_cmpfloat(r.bitrate_bps, ==, 100000);
  r.update(at(6350), 3000000, true);
  g_assert_cmpfloat(r.bitrate_bps, ==, 100000);
  g_assert_cmpint(r.at_us, ==, 3000000);
}

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  g_type_ensure(GST_TYPE_WEBRTC_STATS_TYPE);  // the dumps name its values
  g_test_init(&argc, &argv, nullptr);
  g_test_add_func("/metrics/family-once-and-escaping", test_family_once_and_escaping);
  g_test_add_func("/metrics/numbers", test_numbers);
  g_test_add_func("/metrics/histogram-cumulative", test_histogram_is_cumulative);
  g_test_add_func("/metrics/summary-quantiles", test_summary_quantiles);
  g_test_add_func("/metrics/process", test_process_figures);
  g_test_add_func("/webrtc-stats/sender-1.22", test_sender_stats_122);
  g_test_add_func("/webrtc-stats/live-sender-1.22", test_live_sender_stats_122);
  g_test_add_func("/webrtc-stats/receiver-1.22", test_receiver_stats_122);
  g_test_add_func("/webrtc-stats/nothing-known", test_nothing_known);
  g_test_add_func("/webrtc-stats/end-reasons", test_end_reason_labels);
  g_test_add_func("/webrtc-stats/rate-over-a-quarter-second", test_rate_interval);
  return g_test_run();
}
