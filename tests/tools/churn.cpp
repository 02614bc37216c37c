// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Join/leave churn against a producer: N times, a webrtclivesrc (a real
// receiving webrtcbin) consumes the producer at SERVER until its first
// encoded video buffer arrives, then stops. One JSON line per cycle:
//   {"cycle": i, "ms": join-to-first-buffer-and-stop}
// Used by tests/e2e/churn.mjs, which watches the producer's process.
//
//   churn SERVER-URL CYCLES
#include <gst/gst.h>

#include <cstdio>
#include <cstdlib>

namespace {

struct Cycle {
  GMainLoop *loop;
  bool got = false;
};

GstPadProbeReturn on_buffer(GstPad *, GstPadProbeInfo *, gpointer data) {
  auto *c = static_cast<Cycle *>(data);
  if (!c->got) {
    c->got = true;
    g_main_loop_quit(c->loop);
  }
  return GST_PAD_PROBE_REMOVE;
}

gboolean on_timeout(gpointer data) {
  g_main_loop_quit(static_cast<Cycle *>(data)->loop);
  return G_SOURCE_REMOVE;
}

}  // namespace

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  if (argc != 3) {
    fprintf(stderr, "usage: %s SERVER-URL CYCLES\n", argv[0]);
    return 2;
  }
  const int cycles = atoi(argv[2]);
  gchar *desc = g_strdup_printf(
      "webrtclivesrc name=s server=%s ice-addresses=127.0.0.1 s.video_0 ! video/x-h264 ! fakesink name=f", argv[1]);
  GMainLoop *loop = g_main_loop_new(nullptr, FALSE);
  for (int i = 0; i < cycles; i++) {
    const gint64 t0 = g_get_monotonic_time();
    GError *err = nullptr;
    GstElement *p = gst_parse_launch(desc, &err);
    if (!p || err) {
      fprintf(stderr, "churn: %s\n", err ? err->message : "?");
      return 1;
    }
    Cycle c{loop};
    GstElement *sink = gst_bin_get_by_name(GST_BIN(p), "f");
    GstPad *pad = gst_element_get_static_pad(sink, "sink");
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, on_buffer, &c, nullptr);
    gst_object_unref(pad);
    gst_object_unref(sink);
    gst_element_set_state(p, GST_STATE_PLAYING);
    guint timer = g_timeout_add_seconds(15, on_timeout, &c);
    g_main_loop_run(loop);
    if (!c.got) {
      fprintf(stderr, "churn: cycle %d: no video within 15 s\n", i);
      return 1;
    }
    g_source_remove(timer);
    gst_element_set_state(p, GST_STATE_NULL);
    gst_object_unref(p);
    printf("{\"cycle\":%d,\"ms\":%.1f}\n", i, (g_get_monotonic_time() - t0) / 1000.0);
    fflush(stdout);
  }
  g_free(desc);
  g_main_loop_unref(loop);
  return 0;
}
