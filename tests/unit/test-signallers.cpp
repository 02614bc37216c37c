// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The factories of signallers/signaller-factory.h: adapters over an
// application signaller (GstWebRTCLiveAppSignaller, driven here by emitting
// its signals from other threads) in both roles, a callback that stops its
// own adapter, and the built-ins turned into protocol drivers that talk to
// each other.
#include <glib.h>
#include <gst/gst.h>

#include <glib/gstdio.h>

#include <memory>
#include <thread>

#include "gstwebrtclivesignallable.h"
#include "signaller-factory.h"
#include "signaller-fixture.h"

using namespace webrtclive;
using namespace webrtclive::protocol;
using namespace sigtest;

namespace {

GstWebRTCLiveSignallable *app_signaller(Log &calls) {
  auto *obj = GST_WEBRTC_LIVE_SIGNALLABLE(g_object_new(GST_TYPE_WEBRTC_LIVE_APP_SIGNALLER, nullptr));
  g_signal_connect(obj, "start", G_CALLBACK(+[](GObject *, const gchar *meta, Log *l) { l->add(std::string("start ") + meta); }),
                   &calls);
  g_signal_connect(obj, "stop", G_CALLBACK(+[](GObject *, Log *l) { l->add("stop"); }), &calls);
  g_signal_connect(obj, "send-sdp", G_CALLBACK(+[](GObject *, const gchar *sid, const gchar *type, const gchar *, Log *l) {
                     l->add(std::string("send-sdp ") + sid + " " + type);
                   }),
                   &calls);
  g_signal_connect(obj, "end-session", G_CALLBACK(+[](GObject *, const gchar *sid, const gchar *, Log *l) {
                     l->add(std::string("end-session ") + sid);
                   }),
                   &calls);
  return obj;
}

// Emits from another thread, as an application's network thread would.
template <typename Fn>
void from_thread(Fn &&fn) {
  std::thread(std::forward<Fn>(fn)).join();
}

void test_producer_adapter() {
  Watchdog wd;
  Log calls, events;
  GstWebRTCLiveSignallable *obj = app_signaller(calls);
  auto producer = make_producer_signaller(obj, Meta::from_name("cam"));
  ProducerSignaller::Callbacks cb;
  cb.session_requested = [&](const std::string &sid, const std::string &peer, const std::optional<std::string> &offer) {
    events.add("requested " + sid + " " + peer + (offer ? " offer" : ""));
  };
  cb.remote_sdp = [&](const std::string &sid, const Sdp &sdp) { events.add("sdp " + sid + " " + sdp.type); };
  cb.session_ended = [&](const std::string &sid, const std::optional<std::string> &r) {
    events.add("ended " + sid + " " + r.value_or("-"));
  };
  std::string error;
  g_assert_true(producer->start(std::move(cb), &error));
  UNIT_ASSERT_CONTAINS(calls.wait("start "), "\"cam\"");
  from_thread([obj] { g_signal_emit_by_name(obj, "session-requested", "s1", "p1", nullptr); });
  events.wait("requested s1 p1");
  producer->send_sdp("s1", Sdp{"offer", "v=0"});
  calls.wait("send-sdp s1 offer");
  from_thread([obj] { g_signal_emit_by_name(obj, "session-description", "s1", "answer", "v=0"); });
  events.wait("sdp s1 answer");
  from_thread([obj] { g_signal_emit_by_name(obj, "session-ended", "s1", "gone"); });
  events.wait("ended s1 gone");
  producer->stop();
  calls.wait("stop");
  // Stopped: signals reach nobody.
  g_signal_emit_by_name(obj, "session-requested", "s2", "p2", nullptr);
  g_assert_cmpuint(events.count("requested "), ==, 1);
  producer.reset();
  g_object_unref(obj);
}

// A handler that stops its own signaller from inside the callback, on the
// thread that emits: returns, and nothing more is delivered.
void test_adapter_stop_inside_callback() {
  Watchdog wd;
  Log calls, events;
  GstWebRTCLiveSignallable *obj = app_signaller(calls);
  auto producer = make_producer_signaller(obj, Meta::from_name("cam"));
  ProducerSignaller *raw = producer.get();
  ProducerSignaller::Callbacks cb;
  cb.session_requested = [&, raw](const std::string &sid, const std::string &, const std::optional<std::string> &) {
    events.add("requested " + sid);
    raw->stop();
    events.add("stopped");
  };
  std::string error;
  g_assert_true(producer->start(std::move(cb), &error));
  from_thread([obj] { g_signal_emit_by_name(obj, "session-requested", "s1", "p1", nullptr); });
  events.wait("stopped");
  calls.wait("stop");
  from_thread([obj] { g_signal_emit_by_name(obj, "session-requested", "s2", "p1", nullptr); });
  g_assert_cmpuint(events.count("requested "), ==, 1);
  producer.reset();
  g_object_unref(obj);
}

void test_consumer_adapter() {
  Watchdog wd;
  Log calls, events;
  GstWebRTCLiveSignallable *obj = app_signaller(calls);
  ProtocolConsumer::Options o;
  o.meta = Meta::from_name("viewer");
  o.peer_id = "cam-id";
  o.once = true;
  auto consumer = make_consumer_signaller(obj, o);
  ConsumerSignaller::Callbacks cb;
  cb.session_started = [&](const std::string &sid, const std::string &peer, const std::string &) {
    events.add("started " + sid + " " + peer);
  };
  cb.remote_sdp = [&](const std::string &sid, const Sdp &sdp) { events.add("sdp " + sid + " " + sdp.type); };
  cb.remote_ice = [&](const std::string &sid, const Ice &ice) {
    events.add("ice " + sid + " " + std::to_string(ice.sdp_mline_index));
  };
  cb.session_ended = [&](const std::string &sid, const std::string &reason) { events.add("ended " + sid + " " + reason); };
  cb.error = [&](const std::string &m, bool fatal) { events.add("error " + m + (fatal ? " fatal" : "")); };
  std::string error;
  g_assert_true(consumer->start(std::move(cb), &error));
  UNIT_ASSERT_CONTAINS(calls.wait("start "), "\"viewer\"");
  // Not the producer asked for: ended by the adapter.
  from_thread([obj] { g_signal_emit_by_name(obj, "session-started", "s0", "someone-else"); });
  calls.wait("end-session s0");
  from_thread([obj] {
    g_signal_emit_by_name(obj, "session-started", "s1", "cam-id");
    g_signal_emit_by_name(obj, "session-description", "s1", "offer", "v=0");
    g_signal_emit_by_name(obj, "handle-ice", "s1", 1u, "candidate:1");
    g_signal_emit_by_name(obj, "handle-ice", "other", 0u, "candidate:2");  // not our session
    g_signal_emit_by_name(obj, "error", "bad luck", FALSE);
  });
  events.wait("started s1 cam-id");
  events.wait("sdp s1 offer");
  events.wait("ice s1 1");
  events.wait("error bad luck");
  g_assert_cmpuint(events.count("ice "), ==, 1);
  consumer->send_sdp("s1", Sdp{"answer", "v=0"});
  calls.wait("send-sdp s1 answer");
  from_thread([obj] { g_signal_emit_by_name(obj, "session-ended", "s1", nullptr); });
  UNIT_ASSERT_CONTAINS(events.wait("ended s1"), "the producer ended the session");
  // `once`: a second session is refused.
  from_thread([obj] { g_signal_emit_by_name(obj, "session-started", "s2", "cam-id"); });
  calls.wait("end-session s2");
  g_assert_cmpuint(events.count("started "), ==, 1);
  consumer->stop();
  calls.wait("stop");
  consumer.reset();
  g_object_unref(obj);
}

// The built-ins become protocol drivers: an embedded signaller (producer)
// and a WebSocket signaller (consumer) find each other, and the embedded
// one's `urls` property shows the driver's server while it runs.
void test_builtins() {
  Watchdog wd;
  auto *emb = GST_WEBRTC_LIVE_SIGNALLABLE(
      g_object_new(GST_TYPE_WEBRTC_LIVE_EMBEDDED_SIGNALLER, "port", 0u, "address", "127.0.0.1", nullptr));
  auto producer = make_producer_signaller(emb, Meta::from_name("cam"));
  Log p_events, c_events;
  ProducerSignaller::Callbacks pcb;
  pcb.session_requested = [&](const std::string &sid, const std::string &, const std::optional<std::string> &) {
    p_events.add("requested " + sid);
  };
  std::string error;
  g_assert_true(producer->start(std::move(pcb), &error));
  auto urls = producer->urls();
  g_assert_false(urls.empty());
  gchar **prop = nullptr;
  g_object_get(emb, "urls", &prop, nullptr);
  g_assert_nonnull(prop);
  g_assert_nonnull(prop[0]);
  std::string page = prop[0];  // http://127.0.0.1:PORT/
  g_strfreev(prop);
  std::string ws_url = "ws" + page.substr(4);

  auto *wsobj = GST_WEBRTC_LIVE_SIGNALLABLE(g_object_new(GST_TYPE_WEBRTC_LIVE_WS_SIGNALLER, "uri", ws_url.c_str(), nullptr));
  ProtocolConsumer::Options o;
  o.meta = Meta::from_name("viewer");
  o.producer_name = "cam";
  auto consumer = make_consumer_signaller(wsobj, o);
  ConsumerSignaller::Callbacks ccb;
  ccb.session_started = [&](const std::string &sid, const std::string &, const std::string &name) {
    c_events.add("started " + sid + " " + name);
  };
  g_assert_true(consumer->start(std::move(ccb), &error));
  std::string sid = word(c_events.wait("started "), 1);
  UNIT_ASSERT_STR_EQ(word(p_events.wait("requested "), 1), sid);
  consumer->stop();
  producer->stop();
  producer.reset();
  g_object_get(emb, "urls", &prop, nullptr);
  g_assert_true(!prop || !prop[0]);
  g_strfreev(prop);

  // Settings that cannot be used: start() fails and says why.
  g_object_set(emb, "jwt-key-file", "/nonexistent/key.pem", nullptr);
  auto refused = make_producer_signaller(emb, Meta::from_name("cam"));
  error.clear();
  g_assert_false(refused->start({}, &error));
  g_assert_false(error.empty());
  consumer.reset();
  g_object_unref(wsobj);
  g_object_unref(emb);
}

// A self-signed EC certificate and its key made by openssl in `dir`:
// {cert path, key path}.
std::pair<std::string, std::string> self_signed(const std::string &dir, const std::string &name) {
  std::string cert = dir + "/" + name + ".pem", key = dir + "/" + name + ".key";
  gchar *out = nullptr, *err = nullptr;  // captured: stdout here is TAP
  int status = 0;
  std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=" +
                    name + " -keyout " + key + " -out " + cert;
  g_assert_true(g_spawn_command_line_sync(cmd.c_str(), &out, &err, &status, nullptr) && status == 0);
  g_free(out);
  g_free(err);
  return {cert, key};
}

// start() of the embedded signaller with these cert-file/key-file: the
// error ("" when it started; then its first URL is in *url).
std::string start_with_tls(const char *cert, const char *key, std::string *url = nullptr) {
  auto *emb = GST_WEBRTC_LIVE_SIGNALLABLE(g_object_new(GST_TYPE_WEBRTC_LIVE_EMBEDDED_SIGNALLER, "port", 0u, "address",
                                                       "127.0.0.1", "cert-file", cert, "key-file", key, nullptr));
  auto producer = make_producer_signaller(emb, Meta::from_name("cam"));
  std::string error;
  if (producer->start({}, &error)) {
    if (url) *url = producer->urls().at(0);
    producer->stop();
  }
  producer.reset();
  g_object_unref(emb);
  return error;
}

// cert-file/key-file: https URLs with a matching pair; a start error naming
// the file for a key of another certificate, an unreadable file, one alone.
void test_tls_files() {
  Watchdog wd;
  gchar *tmp = g_dir_make_tmp("webrtclive-tls-XXXXXX", nullptr);
  const std::string dir = tmp;
  g_free(tmp);
  auto [cert, key] = self_signed(dir, "a");
  auto [other_cert, other_key] = self_signed(dir, "b");
  std::string url;
  UNIT_ASSERT_STR_EQ(start_with_tls(cert.c_str(), key.c_str(), &url), std::string());
  g_assert_true(g_str_has_prefix(url.c_str(), "https://127.0.0.1:"));

  std::string e = start_with_tls(cert.c_str(), other_key.c_str());
  g_assert_true(e.find("does not belong") != std::string::npos && e.find(other_key) != std::string::npos);
  const std::string missing = dir + "/missing.pem";
  e = start_with_tls(missing.c_str(), key.c_str());
  g_assert_true(e.find(missing) != std::string::npos);
  e = start_with_tls(nullptr, key.c_str());
  g_assert_true(e.find("without a certificate file") != std::string::npos);
  for (const auto &f : {cert, key, other_cert, other_key}) g_remove(f.c_str());
  g_rmdir(dir.c_str());
}

}  // namespace

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  g_test_init(&argc, &argv, nullptr);
  g_test_add_func("/signallers/producer-adapter", test_producer_adapter);
  g_test_add_func("/signallers/adapter-stop-inside-callback", test_adapter_stop_inside_callback);
  g_test_add_func("/signallers/consumer-adapter", test_consumer_adapter);
  g_test_add_func("/signallers/builtins", test_builtins);
  g_test_add_func("/signallers/tls-files", test_tls_files);
  return g_test_run();
}
