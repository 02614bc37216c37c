// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The baselines of bench/scale.mjs (issue 11), written the way an
// application author would without webrtclivesink:
//
//   --mode tee           (B) one x264 encoder, `tee` → `queue leaky=downstream
//                        max-size-time=500ms` → rtph264pay → one webrtcbin per
//                        viewer, stock settings
//   --mode per-consumer  (P) one pipeline branch AND one x264 encoder per viewer
//                        (how gst-plugins-rs webrtcsink works)
//
// Same source as the harness gives webrtclivesink (videotestsrc snow 1280x720 at
// 30 fps, x264 ultrafast/zerolatency at --bitrate kbit/s, keyframe every 60
// frames), same signalling: the project's embedded server and protocol driver
// (ProtocolProducer over an EmbeddedTransport), so the same lightweight
// consumers join it. The webrtcbin plumbing is plain: offer, answer,
// candidates, nothing else (no DTLS check, no liveness, no limits).
//
//   scale-baseline --mode tee|per-consumer --port P [--bitrate 2000] [--name bench]
// Prints {"event":"urls","urls":[...]} once listening; SIGINT/SIGTERM or
// stdin EOF stops it.
#include <gst/gst.h>
#define GST_USE_UNSTABLE_API
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>
#include <glib-unix.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>

#include "protocol-producer.h"
#include "transport.h"

using namespace webrtclive;

namespace {

struct App {
  GstElement *pipeline = nullptr;
  GstElement *tee = nullptr;
  GMainLoop *loop = nullptr;
  GMainContext *context = nullptr;
  bool per_consumer = false;
  unsigned bitrate = 2000;
  std::unique_ptr<ProtocolProducer> signaller;
  struct Viewer {
    GstElement *bin = nullptr;
    GstElement *webrtcbin = nullptr;
    GstPad *tee_pad = nullptr;
  };
  std::map<std::string, Viewer> viewers;  // by session id (main loop only)
};

App app;

// Work from the signalling thread and webrtcbin's threads runs on the main loop.
template <typename F>
void on_main(F fn) {
  auto *heap = new F(std::move(fn));
  g_main_context_invoke_full(
      app.context, G_PRIORITY_DEFAULT,
      [](gpointer d) -> gboolean {
        (*static_cast<F *>(d))();
        return G_SOURCE_REMOVE;
      },
      heap, [](gpointer d) { delete static_cast<F *>(d); });
}

std::string encoder_desc(unsigned bitrate) {
  return "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=60 bitrate=" + std::to_string(bitrate) +
         " ! video/x-h264,profile=constrained-baseline";
}

void on_offer_created(GstPromise *promise, gpointer data) {
  std::string sid = *static_cast<std::string *>(data);
  const GstStructure *reply = gst_promise_get_reply(promise);
  GstWebRTCSessionDescription *offer = nullptr;
  if (reply) gst_structure_get(reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &offer, nullptr);
  gst_promise_unref(promise);
  if (!offer) return;
  gchar *text = gst_sdp_message_as_text(offer->sdp);
  std::string sdp = text;
  g_free(text);
  on_main([sid, offer, sdp] {
    auto it = app.viewers.find(sid);
    if (it != app.viewers.end()) {
      g_signal_emit_by_name(it->second.webrtcbin, "set-local-description", offer, nullptr);
      app.signaller->send_sdp(sid, protocol::Sdp{"offer", sdp});
    }
    gst_webrtc_session_description_free(offer);
  });
}

void add_viewer(const std::string &sid) {
  App::Viewer v;
  const std::string desc = std::string("queue leaky=downstream max-size-time=500000000 max-size-buffers=0 "
                                       "max-size-bytes=0 ! ") +
                           (app.per_consumer ? "videoconvert ! " + encoder_desc(app.bitrate) + " ! " : "") +
                           "rtph264pay config-interval=-1 pt=96 ! "
                           "application/x-rtp,media=video,encoding-name=H264,payload=96,clock-rate=90000 ! "
                           "webrtcbin name=w bundle-policy=max-bundle";
  GError *err = nullptr;
  v.bin = gst_parse_bin_from_description(desc.c_str(), TRUE, &err);
  if (!v.bin) {
    g_printerr("cannot build a viewer: %s\n", err->message);
    g_error_free(err);
    return;
  }
  v.webrtcbin = gst_bin_get_by_name(GST_BIN(v.bin), "w");
  // Loopback only (libnice leaves `lo` out otherwise); no UPnP search.
  GObject *ice = nullptr;
  g_object_get(v.webrtcbin, "ice-agent", &ice, nullptr);
  if (ice) {
    gboolean ok = FALSE;
    g_signal_emit_by_name(ice, "add-local-ip-address", "127.0.0.1", &ok);
    GObject *nice = nullptr;
    if (g_object_class_find_property(G_OBJECT_GET_CLASS(ice), "agent")) g_object_get(ice, "agent", &nice, nullptr);
    if (nice) {
      g_object_set(nice, "upnp", FALSE, nullptr);
      g_object_unref(nice);
    }
    g_object_unref(ice);
  }
  auto *sid_heap = new std::string(sid);
  g_signal_connect_data(
      v.webrtcbin, "on-ice-candidate",
      G_CALLBACK(+[](GstElement *, guint mline, gchar *candidate, gpointer d) {
        app.signaller->send_ice(*static_cast<std::string *>(d), protocol::Ice{candidate, mline});
      }),
      sid_heap, [](gpointer d, GClosure *) { delete static_cast<std::string *>(d); }, GConnectFlags(0));
  gst_bin_add(GST_BIN(app.pipeline), v.bin);
  v.tee_pad = gst_element_request_pad_simple(app.tee, "src_%u");
  GstPad *sink = gst_element_get_static_pad(v.bin, "sink");
  gst_pad_link(v.tee_pad, sink);
  gst_object_unref(sink);
  gst_element_sync_state_with_parent(v.bin);
  app.viewers[sid] = v;
  auto *promise_sid = new std::string(sid);
  GstPromise *promise = gst_promise_new_with_change_func(on_offer_created, promise_sid,
                                                         [](gpointer d) { delete static_cast<std::string *>(d); });
  g_signal_emit_by_name(v.webrtcbin, "create-offer", nullptr, promise);
}

void remove_viewer(const std::string &sid) {
  auto it = app.viewers.find(sid);
  if (it == app.viewers.end()) return;
  App::Viewer v = it->second;
  app.viewers.erase(it);
  GstPad *sink = gst_element_get_static_pad(v.bin, "sink");
  gst_pad_unlink(v.tee_pad, sink);
  gst_object_unref(sink);
  gst_element_release_request_pad(app.tee, v.tee_pad);
  gst_object_unref(v.tee_pad);
  gst_element_set_locked_state(v.bin, TRUE);
  gst_element_set_state(v.bin, GST_STATE_NULL);
  gst_bin_remove(GST_BIN(app.pipeline), v.bin);
  gst_object_unref(v.webrtcbin);
}

void set_answer(const std::string &sid, const std::string &text) {
  auto it = app.viewers.find(sid);
  if (it == app.viewers.end()) return;
  GstSDPMessage *sdp = nullptr;
  gst_sdp_message_new_from_text(text.c_str(), &sdp);
  if (!sdp) return;
  GstWebRTCSessionDescription *answer = gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_ANSWER, sdp);
  g_signal_emit_by_name(it->second.webrtcbin, "set-remote-description", answer, nullptr);
  gst_webrtc_session_description_free(answer);
}

gboolean quit(gpointer) {
  g_main_loop_quit(app.loop);
  return G_SOURCE_REMOVE;
}

}  // namespace

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  std::string mode = "tee", name = "bench";
  unsigned port = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--mode")) mode = argv[i + 1];
    else if (!strcmp(argv[i], "--port")) port = static_cast<unsigned>(atoi(argv[i + 1]));
    else if (!strcmp(argv[i], "--bitrate")) app.bitrate = static_cast<unsigned>(atoi(argv[i + 1]));
    else if (!strcmp(argv[i], "--name")) name = argv[i + 1];
  }
  if (mode != "tee" && mode != "per-consumer") {
    g_printerr("usage: scale-baseline --mode tee|per-consumer --port P [--bitrate KBPS] [--name NAME]\n");
    return 2;
  }
  app.per_consumer = mode == "per-consumer";
  app.context = g_main_context_default();
  app.loop = g_main_loop_new(app.context, FALSE);
  const std::string src = "videotestsrc is-live=true pattern=snow ! video/x-raw,width=1280,height=720,framerate=30/1 ! ";
  const std::string desc = app.per_consumer ? src + "tee name=t allow-not-linked=true"
                                            : src + encoder_desc(app.bitrate) + " ! tee name=t allow-not-linked=true";
  GError *err = nullptr;
  app.pipeline = gst_parse_launch(desc.c_str(), &err);
  if (!app.pipeline) {
    g_printerr("pipeline: %s\n", err->message);
    return 1;
  }
  app.tee = gst_bin_get_by_name(GST_BIN(app.pipeline), "t");
  // Errors and warnings, printed: what a user of this app would see.
  GstBus *bus = gst_element_get_bus(app.pipeline);
  gst_bus_add_watch(bus, +[](GstBus *, GstMessage *m, gpointer) -> gboolean {
    if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR || GST_MESSAGE_TYPE(m) == GST_MESSAGE_WARNING) {
      GError *e = nullptr;
      gchar *dbg = nullptr;
      if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR) gst_message_parse_error(m, &e, &dbg);
      else gst_message_parse_warning(m, &e, &dbg);
      g_printerr("%s from %s: %s (%s)\n", GST_MESSAGE_TYPE_NAME(m), GST_OBJECT_NAME(m->src), e->message, dbg ? dbg : "");
      g_error_free(e);
      g_free(dbg);
    }
    return G_SOURCE_CONTINUE;
  }, nullptr);
  gst_object_unref(bus);
  gst_element_set_state(app.pipeline, GST_STATE_PLAYING);

  SignallingServer::Options o;
  o.address = "127.0.0.1";
  o.port = port;
  auto transport = std::make_unique<EmbeddedTransport>(o);
  app.signaller = std::make_unique<ProtocolProducer>(std::move(transport), protocol::Meta::from_name(name));
  ProducerSignaller::Callbacks cb;
  cb.session_requested = [](const std::string &sid, const std::string &, const std::optional<std::string> &) {
    on_main([sid] { add_viewer(sid); });
  };
  cb.remote_sdp = [](const std::string &sid, const protocol::Sdp &sdp) {
    if (sdp.type == "answer") on_main([sid, text = sdp.sdp] { set_answer(sid, text); });
  };
  cb.remote_ice = [](const std::string &sid, const protocol::Ice &ice) {
    on_main([sid, ice] {
      auto it = app.viewers.find(sid);
      if (it != app.viewers.end())
        g_signal_emit_by_name(it->second.webrtcbin, "add-ice-candidate", ice.sdp_mline_index, ice.candidate.c_str());
    });
  };
  cb.session_ended = [](const std::string &sid, const std::optional<std::string> &) {
    on_main([sid] { remove_viewer(sid); });
  };
  cb.error = [](const std::string &message, bool) { g_printerr("signalling: %s\n", message.c_str()); };
  std::string error;
  if (!app.signaller->start(std::move(cb), &error)) {
    g_printerr("%s\n", error.c_str());
    return 1;
  }
  std::string urls;
  for (auto &u : app.signaller->urls()) urls += std::string(urls.empty() ? "" : ",") + "\"" + u + "\"";
  printf("{\"event\":\"urls\",\"urls\":[%s]}\n", urls.c_str());
  fflush(stdout);
  g_unix_signal_add(SIGINT, quit, nullptr);
  g_unix_signal_add(SIGTERM, quit, nullptr);
  GIOChannel *in = g_io_channel_unix_new(0);
  g_io_add_watch(in, static_cast<GIOCondition>(G_IO_IN | G_IO_HUP), +[](GIOChannel *ch, GIOCondition, gpointer) -> gboolean {
    gchar buf[256];
    gsize n = 0;
    if (g_io_channel_read_chars(ch, buf, sizeof buf, &n, nullptr) != G_IO_STATUS_NORMAL || n == 0) {
      g_main_loop_quit(app.loop);
      return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
  }, nullptr);
  g_main_loop_run(app.loop);
  app.signaller->stop();
  while (!app.viewers.empty()) remove_viewer(app.viewers.begin()->first);
  gst_element_set_state(app.pipeline, GST_STATE_NULL);
  gst_object_unref(app.tee);
  gst_object_unref(app.pipeline);
  g_io_channel_unref(in);
  return 0;
}
