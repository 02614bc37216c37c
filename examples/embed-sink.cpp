// SPDX-License-Identifier: LGPL-2.1-or-later
//
// webrtclivesink inside an application (C++, GStreamer's C API only).
//
//   videotestsrc is-live=true ! videoconvert ! webrtclivesink
//
// Viewers open the printed URL. The application follows them through the
// sink's signals (consumer-added / consumer-removed: peer id and that
// consumer's webrtcbin) and bus messages (webrtclive-consumer-removed says
// why), and with --kick-after N removes each consumer N seconds after it
// joined, with the action signal remove-consumer. Stops on Ctrl-C
// (SIGINT), SIGTERM or after --seconds; exits 0 unless the pipeline failed.
//
//   GST_PLUGIN_PATH=build/plugin build/examples/embed-sink --port 8080 --kick-after 30
//
// Threads: consumer-added / consumer-removed come from the sink's control
// thread; they only print and hand the peer id to the main loop
// (g_timeout_add_seconds is thread-safe). The main loop emits
// remove-consumer and reads the bus.
#include <gst/gst.h>
#include <glib-unix.h>

#include <csignal>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

namespace {

// RAII for the few references this program holds.
struct GstObjectUnref {
  void operator()(gpointer p) const { gst_object_unref(p); }
};
using ElementPtr = std::unique_ptr<GstElement, GstObjectUnref>;
using BusPtr = std::unique_ptr<GstBus, GstObjectUnref>;
struct LoopUnref {
  void operator()(GMainLoop *l) const { g_main_loop_unref(l); }
};

struct Options {
  guint port = 8080;
  std::string address = "0.0.0.0";
  std::string ice_addresses;  // empty: ICE's defaults
  guint kick_after_s = 0;     // 0: never kick
  guint seconds = 0;          // 0: until a signal
};

struct App {
  Options options;
  GstElement *pipeline = nullptr;  // owned by main()
  GstElement *sink = nullptr;      // owned by the pipeline
  GMainLoop *loop = nullptr;
  int exit_code = 0;
};

std::mutex print_mutex;  // lines from the control thread and the main loop stay whole
void say(const std::string &line) {
  std::lock_guard lock(print_mutex);
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

// ---- the sink's signals (control thread) -------------------------------------

struct Kick {
  App *app;
  std::string peer_id;
};

gboolean kick(gpointer data) {  // main loop
  auto *k = static_cast<Kick *>(data);
  gboolean removed = FALSE;
  g_signal_emit_by_name(k->app->sink, "remove-consumer", k->peer_id.c_str(), &removed);
  // FALSE: the consumer had left already.
  say("kicked " + k->peer_id + ": remove-consumer returned " + (removed ? "TRUE" : "FALSE"));
  return G_SOURCE_REMOVE;
}

void on_consumer_added(GstElement *, const gchar *peer_id, GstElement *webrtcbin, gpointer data) {
  auto *app = static_cast<App *>(data);
  // The consumer's own webrtcbin, already in the sink: for get-stats, data
  // channels, or properties of its own.
  say(std::string("consumer-added ") + peer_id + " (" + GST_OBJECT_NAME(webrtcbin) + ")");
  if (app->options.kick_after_s)
    g_timeout_add_seconds_full(G_PRIORITY_DEFAULT, app->options.kick_after_s, kick, new Kick{app, peer_id},
                               [](gpointer k) { delete static_cast<Kick *>(k); });
}

void on_consumer_removed(GstElement *, const gchar *peer_id, GstElement *webrtcbin, gpointer) {
  say(std::string("consumer-removed ") + peer_id + " (" + GST_OBJECT_NAME(webrtcbin) + ")");
}

// ---- main loop ----------------------------------------------------------------

gboolean on_bus_message(GstBus *, GstMessage *msg, gpointer data) {
  auto *app = static_cast<App *>(data);
  switch (GST_MESSAGE_TYPE(msg)) {
    case GST_MESSAGE_ERROR: {
      GError *err = nullptr;
      gchar *debug = nullptr;
      gst_message_parse_error(msg, &err, &debug);
      say(std::string("error from ") + GST_OBJECT_NAME(GST_MESSAGE_SRC(msg)) + ": " + err->message);
      g_clear_error(&err);
      g_free(debug);
      app->exit_code = 1;
      g_main_loop_quit(app->loop);
      break;
    }
    case GST_MESSAGE_WARNING: {
      GError *err = nullptr;
      gst_message_parse_warning(msg, &err, nullptr);
      say(std::string("warning: ") + err->message);
      g_clear_error(&err);
      break;
    }
    case GST_MESSAGE_ELEMENT: {
      // The bus message carries what the signal does not: why it ended.
      const GstStructure *s = gst_message_get_structure(msg);
      if (gst_structure_has_name(s, "webrtclive-consumer-removed")) {
        const gchar *peer = gst_structure_get_string(s, "peer-id");
        const gchar *reason = gst_structure_get_string(s, "reason");
        say(std::string("consumer ") + (peer ? peer : "?") + " ended: " + (reason ? reason : "?"));
      }
      break;
    }
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

gboolean on_stop(gpointer data) {
  auto *app = static_cast<App *>(data);
  say("stopping");
  g_main_loop_quit(app->loop);
  return G_SOURCE_CONTINUE;
}

bool parse_options(int *argc, char ***argv, Options *o) {
  gint port = static_cast<gint>(o->port), kick_after = 0, seconds = 0;
  gchar *address = nullptr, *ice = nullptr;
  GOptionEntry entries[] = {
      {"port", 0, 0, G_OPTION_ARG_INT, &port, "Viewer page and signalling port (0 = a free one)", "PORT"},
      {"address", 0, 0, G_OPTION_ARG_STRING, &address, "Address the embedded server listens on", "IP"},
      {"ice-addresses", 0, 0, G_OPTION_ARG_STRING, &ice, "Local IPs ICE may use (127.0.0.1 for loopback)", "IPS"},
      {"kick-after", 0, 0, G_OPTION_ARG_INT, &kick_after, "Remove each consumer this many seconds after it joined",
       "S"},
      {"seconds", 0, 0, G_OPTION_ARG_INT, &seconds, "Stop after this long (default: until Ctrl-C)", "S"},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};
  GOptionContext *ctx = g_option_context_new("- webrtclivesink in an application");
  g_option_context_add_main_entries(ctx, entries, nullptr);
  g_option_context_add_group(ctx, gst_init_get_option_group());
  GError *err = nullptr;
  bool ok = g_option_context_parse(ctx, argc, argv, &err);
  g_option_context_free(ctx);
  if (!ok) {
    std::fprintf(stderr, "%s\n", err->message);
    g_clear_error(&err);
  } else if (port < 0 || port > 65535 || kick_after < 0 || seconds < 0) {
    std::fprintf(stderr, "--port, --kick-after and --seconds take numbers from 0 on (port up to 65535)\n");
    ok = false;
  } else {
    o->port = static_cast<guint>(port);
    o->kick_after_s = static_cast<guint>(kick_after);
    o->seconds = static_cast<guint>(seconds);
    if (address) o->address = address;
    if (ice) o->ice_addresses = ice;
  }
  g_free(address);
  g_free(ice);
  return ok;
}

}  // namespace

int main(int argc, char **argv) {
  App app;
  if (!parse_options(&argc, &argv, &app.options)) return 2;  // gst_init ran through the option group
  if (!gst_element_factory_find("webrtclivesink")) {
    std::fprintf(stderr, "webrtclivesink not found: set GST_PLUGIN_PATH to the build's plugin directory\n");
    return 1;
  }

  // By hand rather than gst_parse_launch: the application keeps each element.
  ElementPtr pipeline(gst_pipeline_new("embed-sink"));
  GstElement *src = gst_element_factory_make("videotestsrc", nullptr);
  GstElement *convert = gst_element_factory_make("videoconvert", nullptr);
  GstElement *sink = gst_element_factory_make("webrtclivesink", "sink");
  if (!src || !convert || !sink) {
    std::fprintf(stderr, "videotestsrc or videoconvert missing (gstreamer1.0-plugins-base)\n");
    return 1;
  }
  gst_object_ref_sink(pipeline.get());
  g_object_set(src, "is-live", TRUE, nullptr);
  g_object_set(sink, "port", app.options.port, "address", app.options.address.c_str(), nullptr);
  if (!app.options.ice_addresses.empty()) g_object_set(sink, "ice-addresses", app.options.ice_addresses.c_str(), nullptr);
  gst_bin_add_many(GST_BIN(pipeline.get()), src, convert, sink, nullptr);
  if (!gst_element_link_many(src, convert, sink, nullptr)) {
    std::fprintf(stderr, "could not link videotestsrc ! videoconvert ! webrtclivesink\n");
    return 1;
  }

  std::unique_ptr<GMainLoop, LoopUnref> loop(g_main_loop_new(nullptr, FALSE));
  app.pipeline = pipeline.get();
  app.sink = sink;
  app.loop = loop.get();
  g_signal_connect(sink, "consumer-added", G_CALLBACK(on_consumer_added), &app);
  g_signal_connect(sink, "consumer-removed", G_CALLBACK(on_consumer_removed), &app);
  BusPtr bus(gst_element_get_bus(pipeline.get()));
  const guint bus_watch = gst_bus_add_watch(bus.get(), on_bus_message, &app);
  const guint sigint = g_unix_signal_add(SIGINT, on_stop, &app);
  const guint sigterm = g_unix_signal_add(SIGTERM, on_stop, &app);
  if (app.options.seconds) g_timeout_add_seconds(app.options.seconds, on_stop, &app);

  if (gst_element_set_state(pipeline.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    // The reason (the port is taken, ...) is an ERROR on the bus.
    GstMessage *msg = gst_bus_pop_filtered(bus.get(), GST_MESSAGE_ERROR);
    if (msg) {
      on_bus_message(bus.get(), msg, &app);
      gst_message_unref(msg);
    }
    std::fprintf(stderr, "could not start the pipeline\n");
    app.exit_code = 1;
  } else {
    gchar **urls = nullptr;
    g_object_get(sink, "urls", &urls, nullptr);
    gchar *joined = urls ? g_strjoinv(" ", urls) : g_strdup("");
    say(std::string("serving on ") + joined);
    g_free(joined);
    g_strfreev(urls);
    if (app.options.kick_after_s) say("each consumer is removed " + std::to_string(app.options.kick_after_s) + " s after it joined");
    g_main_loop_run(loop.get());
  }

  // NULL ends every session (consumer-removed for each) and stops the server.
  gst_element_set_state(pipeline.get(), GST_STATE_NULL);
  g_source_remove(bus_watch);
  g_source_remove(sigint);
  g_source_remove(sigterm);
  say("stopped");
  return app.exit_code;
}
