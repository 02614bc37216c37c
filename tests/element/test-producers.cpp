// SPDX-License-Identifier: LGPL-2.1-or-later
//
// webrtclivesrc producers=all against our own server (a webrtclivesink's
// embedded one) with two webrtclivesink producers, in one process but three
// pipelines: both arrive on their own pads, are linked to one compositor
// and one audiomixer (gst-launch syntax links the first pad of each kind,
// the src the later ones) and laid out as a grid; one stops: its pads get
// EOS and go, its tile goes, the other keeps flowing; it comes back and
// appears again. And a src in the same pipeline as a sink never consumes it.
#include <gst/gst.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "pipeline-helpers.h"
#include "../stamp/watchdog.h"

using namespace webrtclive;
using namespace webrtclive::test;

namespace {

std::string sink_pipeline(const char *name, const char *pattern, const std::string &extra) {
  return std::string("videotestsrc is-live=true pattern=") + pattern +
         " ! video/x-raw,width=320,height=240,framerate=30/1 ! webrtclivesink name=" + name +
         " ice-addresses=127.0.0.1 video-codecs=vp8 " + extra + " audiotestsrc is-live=true wave=silence ! " + name +
         ".";
}

// What the src's pads saw: added, removed, EOS, the producer each carries
// (from the sticky webrtclive-producer event), buffers.
struct Pads {
  std::mutex mutex;
  std::condition_variable cv;
  std::set<std::string> present, removed, eos;
  std::map<std::string, std::string> producer_name;  // pad -> meta.name
  std::map<std::string, unsigned> buffers;

  template <typename Pred>
  bool wait(int ms, Pred pred) {
    std::unique_lock lock(mutex);
    return cv.wait_for(lock, std::chrono::milliseconds(ms), [&] { return pred(); });
  }
  // Present pads of producer `name` (by kind prefix).
  unsigned of(const std::string &name, const char *prefix) {
    unsigned n = 0;
    for (auto &p : present)
      if (g_str_has_prefix(p.c_str(), prefix) && producer_name[p] == name) n++;
    return n;
  }
};

void watch_pads(GstElement *src, Pads *pads) {
  g_signal_connect(src, "pad-added", G_CALLBACK(+[](GstElement *, GstPad *pad, Pads *pads) {
                     {
                       std::lock_guard lock(pads->mutex);
                       pads->present.insert(GST_PAD_NAME(pad));
                     }
                     gst_pad_add_probe(
                         pad, static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
                         [](GstPad *pad, GstPadProbeInfo *info, gpointer data) {
                           auto *pads = static_cast<Pads *>(data);
                           std::lock_guard lock(pads->mutex);
                           std::string name = GST_PAD_NAME(pad);
                           if (GST_PAD_PROBE_INFO_TYPE(info) & GST_PAD_PROBE_TYPE_BUFFER) {
                             pads->buffers[name]++;
                           } else if (GstEvent *ev = GST_PAD_PROBE_INFO_EVENT(info)) {
                             if (GST_EVENT_TYPE(ev) == GST_EVENT_EOS) pads->eos.insert(name);
                             const GstStructure *s = gst_event_get_structure(ev);
                             if (s && gst_structure_has_name(s, "webrtclive-producer"))
                               pads->producer_name[name] = gst_structure_get_string(s, "name");
                           }
                           pads->cv.notify_all();
                           return GST_PAD_PROBE_OK;
                         },
                         pads, nullptr);
                     pads->cv.notify_all();
                   }),
                   pads);
  g_signal_connect(src, "pad-removed", G_CALLBACK(+[](GstElement *, GstPad *pad, Pads *pads) {
                     std::lock_guard lock(pads->mutex);
                     pads->present.erase(GST_PAD_NAME(pad));
                     pads->removed.insert(GST_PAD_NAME(pad));
                     pads->cv.notify_all();
                   }),
                   pads);
}

// The compositor's sink pads as "xpos,ypos,width,height" strings.
std::set<std::string> tiles(GstElement *compositor) {
  std::set<std::string> out;
  GstIterator *it = gst_element_iterate_sink_pads(compositor);
  GValue v = G_VALUE_INIT;
  while (gst_iterator_next(it, &v) == GST_ITERATOR_OK) {
    int x, y, w, h;
    g_object_get(g_value_get_object(&v), "xpos", &x, "ypos", &y, "width", &w, "height", &h, nullptr);
    out.insert(std::to_string(x) + "," + std::to_string(y) + "," + std::to_string(w) + "," + std::to_string(h));
    g_value_reset(&v);
  }
  g_value_unset(&v);
  gst_iterator_free(it);
  return out;
}

// Polls `pred` until it holds or `ms` pass (for what no signal announces).
template <typename Pred>
bool eventually(int ms, Pred pred) {
  const gint64 end = g_get_monotonic_time() + ms * 1000;
  while (!pred()) {
    if (g_get_monotonic_time() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

unsigned count_sink_pads(GstElement *e) {
  GST_OBJECT_LOCK(e);
  unsigned n = e->numsinkpads;
  GST_OBJECT_UNLOCK(e);
  return n;
}

void test_all_producers_room() {
  test::Watchdog dog("producers-all", 90);
  GstElement *a = launch(sink_pipeline("a", "ball", "port=0 address=127.0.0.1"));
  gst_element_set_state(a, GST_STATE_PLAYING);
  const std::string url = ws_url_of(by_name(a, "a"));
  GstElement *b = launch(sink_pipeline("b", "smpte", "server=" + url));
  GstElement *rx = launch("webrtclivesrc name=src producers=all ice-addresses=127.0.0.1 server=" + url +
                          " ! compositor name=c ! fakesink name=out sync=false async=false "
                          "src. ! audiomixer name=m ! fakesink sync=false async=false");
  Pads pads;
  watch_pads(by_name(rx, "src"), &pads);
  watch_bus(a);
  watch_bus(b);
  const gint64 t0 = g_get_monotonic_time();
  gst_element_set_state(b, GST_STATE_PLAYING);
  gst_element_set_state(rx, GST_STATE_PLAYING);

  // Both producers, each on its own video and audio pad, flowing.
  g_assert_true(pads.wait(20000, [&] {
    return pads.of("a", "video_") == 1 && pads.of("b", "video_") == 1 && pads.of("a", "audio_") == 1 &&
           pads.of("b", "audio_") == 1 && [&] {
             for (auto &p : pads.present)
               if (pads.buffers[p] < 20) return false;
             return true;
           }();
  }));
  g_test_message("both producers' video and audio flowing %.2f s after start",
                 (g_get_monotonic_time() - t0) / 1e6);
  std::string b_video;
  {
    std::lock_guard lock(pads.mutex);
    for (auto &p : pads.present) {
      g_test_message("pad %s from producer %s", p.c_str(), pads.producer_name[p].c_str());
      g_assert_true(g_regex_match_simple("^(video|audio)_[0-9a-f-]{36}_0$", p.c_str(), GRegexCompileFlags(0),
                                         GRegexMatchFlags(0)));
      if (pads.producer_name[p] == "b" && g_str_has_prefix(p.c_str(), "video_")) b_video = p;
    }
  }
  GstElement *compositor = by_name(rx, "c"), *mixer = by_name(rx, "m");
  g_assert_true(eventually(2000, [&] {
    return count_sink_pads(compositor) == 2 && count_sink_pads(mixer) == 2 &&
           tiles(compositor) == std::set<std::string>{"0,0,640,720", "640,0,640,720"};
  }));

  // b stops: its pads end and go, its tile and mix input go, a flows on.
  unwatch_bus(b);
  const gint64 t1 = g_get_monotonic_time();
  gst_element_set_state(b, GST_STATE_NULL);
  g_assert_true(pads.wait(20000, [&] { return pads.of("b", "video_") == 0 && pads.of("b", "audio_") == 0; }));
  g_test_message("b's pads removed %.2f s after it stopped", (g_get_monotonic_time() - t1) / 1e6);
  {
    std::lock_guard lock(pads.mutex);
    g_assert_true(pads.eos.count(b_video) == 1);
    g_assert_true(pads.removed.count(b_video) == 1);
    g_assert_cmpuint(pads.present.size(), ==, 2);
  }
  g_assert_true(eventually(2000, [&] {
    return count_sink_pads(compositor) == 1 && count_sink_pads(mixer) == 1 &&
           tiles(compositor) == std::set<std::string>{"0,0,1280,720"};
  }));
  unsigned before;
  {
    std::lock_guard lock(pads.mutex);
    before = 0;
    for (auto &p : pads.present) before += pads.buffers[p];
  }
  g_assert_true(pads.wait(5000, [&] {
    unsigned now = 0;
    for (auto &p : pads.present) now += pads.buffers[p];
    return now >= before + 40;
  }));

  // b comes back (a new peer id): new pads, a tile again.
  gst_element_set_state(b, GST_STATE_PLAYING);
  g_assert_true(pads.wait(20000, [&] { return pads.of("b", "video_") == 1 && pads.of("b", "audio_") == 1; }));
  g_assert_true(eventually(5000, [&] {
    return count_sink_pads(compositor) == 2 && tiles(compositor) == std::set<std::string>{"0,0,640,720", "640,0,640,720"};
  }));

  unwatch_bus(a);
  stop_all({rx, b, a});
}

// A src in the pipeline of a sink never consumes that sink (its own
// composite), only the others.
void test_own_pipeline_skipped() {
  test::Watchdog dog("producers-own", 60);
  GstElement *a = launch(sink_pipeline("a", "ball", "port=0 address=127.0.0.1"));
  gst_element_set_state(a, GST_STATE_PLAYING);
  const std::string url = ws_url_of(by_name(a, "a"));
  GstElement *src = gst_element_factory_make("webrtclivesrc", "src");
  gst_util_set_object_arg(G_OBJECT(src), "producers", "all");
  g_object_set(src, "ice-addresses", "127.0.0.1", "server", url.c_str(), nullptr);
  Pads pads;
  watch_pads(src, &pads);
  Received rx;
  count_src_pads(a, src, &rx);  // each pad to a fakesink
  gst_bin_add(GST_BIN(a), src);
  gst_element_sync_state_with_parent(src);
  GstElement *b = launch(sink_pipeline("b", "smpte", "server=" + url));
  gst_element_set_state(b, GST_STATE_PLAYING);
  g_assert_true(pads.wait(20000, [&] { return pads.of("b", "video_") == 1; }));
  std::this_thread::sleep_for(std::chrono::seconds(2));
  {
    std::lock_guard lock(pads.mutex);
    for (auto &p : pads.present) g_assert_cmpstr(pads.producer_name[p].c_str(), ==, "b");
  }
  stop_all({b, a});
}

}  // namespace

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  g_test_init(&argc, &argv, nullptr);
  load_plugin();
  g_test_add_func("/producers/all-room", test_all_producers_room);
  g_test_add_func("/producers/own-pipeline-skipped", test_own_pipeline_skipped);
  return g_test_run();
}
