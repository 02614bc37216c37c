// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Small pipeline helpers shared by the element tests.
#pragma once

#include <gst/gst.h>

#include <chrono>
#include <condition_variable>
#include <initializer_list>
#include <map>
#include <mutex>
#include <string>

namespace webrtclive::test {

inline GstElement *launch(const std::string &description) {
  GError *err = nullptr;
  GstElement *p = gst_parse_launch_full(description.c_str(), nullptr, GST_PARSE_FLAG_FATAL_ERRORS, &err);
  if (err) g_error("%s: %s", description.c_str(), err->message);
  return p;
}

inline GstElement *by_name(GstElement *bin, const char *name) {
  GstElement *e = gst_bin_get_by_name(GST_BIN(bin), name);
  g_assert_nonnull(e);
  gst_object_unref(e);  // the bin keeps it
  return e;
}

// Fails the test when `m` is an ERROR or WARNING.
inline void fail_on_problem(GstMessage *m) {
  if (GST_MESSAGE_TYPE(m) != GST_MESSAGE_ERROR && GST_MESSAGE_TYPE(m) != GST_MESSAGE_WARNING) return;
  GError *err = nullptr;
  gchar *dbg = nullptr;
  if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR)
    gst_message_parse_error(m, &err, &dbg);
  else
    gst_message_parse_warning(m, &err, &dbg);
  g_error("%s from %s: %s (%s)", GST_MESSAGE_TYPE_NAME(m), GST_OBJECT_NAME(GST_MESSAGE_SRC(m)), err->message,
          dbg ? dbg : "");
}

// The ws:// URL of a sink's embedded server (its first http:// URL).
inline std::string ws_url_of(GstElement *sink) {
  gchar **urls = nullptr;
  g_object_get(sink, "urls", &urls, nullptr);
  g_assert_true(urls && urls[0]);
  std::string url = std::string("ws") + (urls[0] + 4);  // http://... -> ws://...
  g_strfreev(urls);
  return url;
}

// A counter of a sink's `stats` structure (uint or uint64 fields).
inline guint64 sink_stat(GstElement *sink, const char *field) {
  GstStructure *st = nullptr;
  g_object_get(sink, "stats", &st, nullptr);
  guint64 n = 0;
  guint u = 0;
  if (!gst_structure_get_uint64(st, field, &n) && gst_structure_get_uint(st, field, &u)) n = u;
  gst_structure_free(st);
  return n;
}

// Fails the test on an ERROR or WARNING message of `pipeline`.
inline void watch_bus(GstElement *pipeline) {
  GstBus *bus = gst_element_get_bus(pipeline);
  gst_bus_set_sync_handler(
      bus,
      [](GstBus *, GstMessage *m, gpointer) {
        fail_on_problem(m);
        return GST_BUS_DROP;
      },
      nullptr, nullptr);
  gst_object_unref(bus);
}

// At the end of a test: what stopping one side makes the other say is fine.
inline void unwatch_bus(GstElement *pipeline) {
  GstBus *bus = gst_element_get_bus(pipeline);
  gst_bus_set_sync_handler(bus, nullptr, nullptr, nullptr);
  gst_object_unref(bus);
}

// Buffers and caps per src pad, counted at a fakesink linked on pad-added.
struct Received {
  std::mutex mutex;
  std::condition_variable cv;
  std::map<std::string, unsigned> buffers;
  std::map<std::string, std::string> caps;

  bool wait_for(const std::string &pad, unsigned n, int ms) {
    std::unique_lock lock(mutex);
    return cv.wait_for(lock, std::chrono::milliseconds(ms), [&] { return buffers[pad] >= n; });
  }
};

inline void count_src_pads(GstElement *pipeline, GstElement *src, Received *rx) {
  struct Ctx {
    GstElement *pipeline;
    Received *rx;
  };
  g_signal_connect_data(
      src, "pad-added", G_CALLBACK(+[](GstElement *, GstPad *pad, Ctx *c) {
        GstElement *sink = gst_element_factory_make("fakesink", nullptr);
        g_object_set(sink, "sync", FALSE, "async", FALSE, nullptr);
        gst_bin_add(GST_BIN(c->pipeline), sink);
        gst_element_sync_state_with_parent(sink);
        GstPad *sinkpad = gst_element_get_static_pad(sink, "sink");
        gst_pad_add_probe(
            sinkpad, GST_PAD_PROBE_TYPE_BUFFER,
            [](GstPad *p, GstPadProbeInfo *, gpointer data) {
              auto *rx = static_cast<Received *>(data);
              GstPad *peer = gst_pad_get_peer(p);
              std::string name = peer ? GST_PAD_NAME(peer) : "?";
              GstCaps *caps = gst_pad_get_current_caps(p);
              {
                std::lock_guard lock(rx->mutex);
                rx->buffers[name]++;
                if (caps) rx->caps[name] = gst_structure_get_name(gst_caps_get_structure(caps, 0));
              }
              rx->cv.notify_all();
              if (caps) gst_caps_unref(caps);
              if (peer) gst_object_unref(peer);
              return GST_PAD_PROBE_OK;
            },
            c->rx, nullptr);
        g_assert_cmpint(gst_pad_link(pad, sinkpad), ==, GST_PAD_LINK_OK);
        gst_object_unref(sinkpad);
      }),
      new Ctx{pipeline, rx}, [](gpointer d, GClosure *) { delete static_cast<Ctx *>(d); }, GConnectFlags(0));
}

// Loads the plugin (and registers its types) before any test runs.
inline void load_plugin() {
  GstElement *probe = gst_element_factory_make("webrtclivesink", nullptr);
  if (!probe) g_error("webrtclivesink not found: is GST_PLUGIN_PATH set to the built plugin?");
  gst_object_unref(gst_object_ref_sink(probe));
}

// Stops and frees the pipelines, in order.
inline void stop_all(std::initializer_list<GstElement *> pipelines) {
  for (GstElement *p : pipelines) gst_element_set_state(p, GST_STATE_NULL);
  for (GstElement *p : pipelines) gst_object_unref(p);
}

}  // namespace webrtclive::test
