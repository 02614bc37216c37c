// SPDX-License-Identifier: LGPL-2.1-or-later
#include "talkback.h"

#include <cmath>
#include <vector>

GST_DEBUG_CATEGORY_STATIC(webrtclive_talkback_debug);
#define GST_CAT_DEFAULT webrtclive_talkback_debug

namespace webrtclive {

namespace {
constexpr const char *kCaps = "audio/x-raw, format=(string)S16LE, layout=(string)interleaved, rate=(int)48000, channels=(int)1";
// How long the mixer waits for a talker's audio: a consumer's jitterbuffer
// (webrtcbin's default 200 ms) comes before it, the silent source does not.
constexpr GstClockTime kMixerLatency = 300 * GST_MSECOND;
// A talker stays "talking" through pauses shorter than this.
constexpr gint64 kQuietAfterUs = 500 * 1000;

GstElement *make(const char *factory, const char *name = nullptr) { return gst_element_factory_make(factory, name); }

GstElement *caps_filter() {
  GstElement *f = make("capsfilter");
  GstCaps *caps = gst_caps_from_string(kCaps);
  g_object_set(f, "caps", caps, nullptr);
  gst_caps_unref(caps);
  return f;
}

bool link_all(const std::vector<GstElement *> &chain) {
  for (size_t i = 1; i < chain.size(); i++)
    if (!gst_element_link(chain[i - 1], chain[i])) return false;
  return true;
}
}  // namespace

struct Talkback::Input {
  Talkback *owner = nullptr;  // outlives its inputs
  std::string id;
  GRef<GstPad> mixer_pad;
  bool talking = false;  // the streaming thread of this input only
  gint64 loud_us = 0;
};

std::unique_ptr<Talkback> Talkback::create(GstElement *element, GstPadTemplate *templ, std::string *error) {
  static gsize once = 0;
  if (g_once_init_enter(&once)) {
    GST_DEBUG_CATEGORY_INIT(webrtclive_talkback_debug, "webrtclivetalkback", 0, "webrtclive talkback mixer");
    g_once_init_leave(&once, 1);
  }
  GstElement *silence = make("audiotestsrc", "talkback-silence");
  GstElement *mixer = make("audiomixer", "talkback-mixer");
  if (!silence || !mixer) {
    if (silence) gst_object_unref(gst_object_ref_sink(silence));
    if (mixer) gst_object_unref(gst_object_ref_sink(mixer));
    *error = "talkback needs audiotestsrc and audiomixer (gstreamer1.0-plugins-base)";
    return nullptr;
  }
  std::unique_ptr<Talkback> t(new Talkback());
  t->element_ = element;
  g_object_set(silence, "is-live", TRUE, nullptr);
  gst_util_set_object_arg(G_OBJECT(silence), "wave", "silence");
  // Not ignore-inactive-pads: in 1.22 a live audiomixer that times out
  // while every pad is still "inactive" (none has had its first buffer,
  // e.g. the silence before PLAYING) returns EOS and its pad never flows
  // again (docs/webrtcbin-notes.md). The silent pad is active from its
  // first buffer on, so a mixer that waits for every pad up to its latency
  // loses nothing.
  g_object_set(mixer, "latency", kMixerLatency, nullptr);
  GstElement *in_caps = caps_filter();
  GstElement *out_caps = caps_filter();
  std::vector<GstElement *> chain{silence, in_caps, mixer, out_caps};
  for (auto *e : chain) gst_bin_add(GST_BIN(element), e);
  if (!link_all(chain)) {
    *error = "could not link the talkback mixer";
    return nullptr;
  }
  t->mixer_ = GRef<GstElement>::ref(mixer);
  GstPad *target = gst_element_get_static_pad(out_caps, "src");
  GstPad *ghost = gst_ghost_pad_new_from_template("talkback", target, templ);
  gst_object_unref(target);
  gst_pad_set_active(ghost, TRUE);
  gst_element_add_pad(element, ghost);
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) gst_element_sync_state_with_parent(*it);
  return t;
}

Talkback::~Talkback() = default;

void Talkback::set_threshold_db(double db) {
  std::lock_guard lock(mutex_);
  threshold_db_ = db;
}

std::shared_ptr<Talkback::Input> Talkback::attach(GstElement *consumer_bin, GstPad *pad, const std::string &id,
                                                  std::string *error) {
  // The queue at the end keeps a consumer's thread off the mixer: a mixer
  // that waits never holds that consumer's webrtcbin.
  GstElement *queue = make("queue");
  if (queue)
    g_object_set(queue, "leaky", 2, "max-size-buffers", 0, "max-size-bytes", 0, "max-size-time",
                 guint64(500 * GST_MSECOND), nullptr);
  std::vector<GstElement *> chain{make("rtpopusdepay"), make("opusdec"), make("audioconvert"), make("audioresample"),
                                  caps_filter(), queue};
  for (auto *e : chain)
    if (!e) {
      for (auto *x : chain)
        if (x) gst_object_unref(gst_object_ref_sink(x));
      *error = "talkback needs rtpopusdepay and opusdec (gstreamer1.0-plugins-good / -base)";
      return nullptr;
    }
  for (auto *e : chain) gst_bin_add(GST_BIN(consumer_bin), e);
  if (!link_all(chain)) {
    *error = "could not link a talkback decoder";
    return nullptr;
  }
  auto input = std::make_shared<Input>();
  input->owner = this;
  input->id = id;
  unsigned n;
  {
    std::lock_guard lock(mutex_);
    n = next_++;
  }
  GstPad *last = gst_element_get_static_pad(chain.back(), "src");
  GstPad *ghost = gst_ghost_pad_new(("talkback_" + std::to_string(n)).c_str(), last);
  // Who is talking: RMS of each decoded buffer against the threshold.
  gst_pad_add_probe(
      last, GST_PAD_PROBE_TYPE_BUFFER,
      [](GstPad *, GstPadProbeInfo *info, gpointer data) {
        Input *in = static_cast<std::shared_ptr<Input> *>(data)->get();
        GstMapInfo map;
        GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
        if (!gst_buffer_map(buf, &map, GST_MAP_READ)) return GST_PAD_PROBE_OK;
        const auto *s = reinterpret_cast<const gint16 *>(map.data);
        const gsize n = map.size / 2;
        double sum = 0;
        for (gsize i = 0; i < n; i++) sum += double(s[i]) * s[i];
        gst_buffer_unmap(buf, &map);
        const double db = n ? 10 * std::log10(sum / n / (32768.0 * 32768.0) + 1e-12) : -120;
        double threshold;
        {
          std::lock_guard lock(in->owner->mutex_);
          threshold = in->owner->threshold_db_;
        }
        GST_LOG("consumer %s: %.1f dBFS, %" GST_TIME_FORMAT, in->id.c_str(), db,
                GST_TIME_ARGS(GST_BUFFER_PTS(buf)));
        const gint64 now = g_get_monotonic_time();
        bool changed = false;
        if (db > threshold) {
          in->loud_us = now;
          changed = !in->talking;
          in->talking = true;
        } else if (in->talking && now - in->loud_us > kQuietAfterUs) {
          in->talking = false;
          changed = true;
        }
        if (changed) {
          GstElement *element = in->owner->element_;
          GST_INFO_OBJECT(element, "consumer %s %s (%.1f dBFS)", in->id.c_str(),
                          in->talking ? "talks" : "is quiet", db);
          gst_element_post_message(
              element, gst_message_new_element(GST_OBJECT(element),
                                               gst_structure_new("webrtclive-talking", "consumer-id", G_TYPE_STRING,
                                                                 in->id.c_str(), "talking", G_TYPE_BOOLEAN,
                                                                 in->talking, "level", G_TYPE_DOUBLE, db, nullptr)));
        }
        return GST_PAD_PROBE_OK;
      },
      new std::shared_ptr<Input>(input), [](gpointer d) { delete static_cast<std::shared_ptr<Input> *>(d); });
  gst_object_unref(last);
  gst_pad_set_active(ghost, TRUE);
  gst_element_add_pad(consumer_bin, ghost);
  input->mixer_pad = GRef<GstPad>::adopt(gst_element_request_pad_simple(mixer_.get(), "sink_%u"));
  if (!input->mixer_pad || gst_pad_link(ghost, input->mixer_pad.get()) != GST_PAD_LINK_OK) {
    *error = "could not link a talker to the mixer";
    detach(input);
    return nullptr;
  }
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) gst_element_sync_state_with_parent(*it);
  GstPad *sink = gst_element_get_static_pad(chain.front(), "sink");
  GstPadLinkReturn lr = gst_pad_link(pad, sink);
  gst_object_unref(sink);
  if (lr != GST_PAD_LINK_OK) {
    *error = "could not link the consumer's audio to its talkback decoder";
    detach(input);
    return nullptr;
  }
  GST_INFO_OBJECT(element_, "consumer %s: talkback mixed in", id.c_str());
  return input;
}

void Talkback::stop(const std::shared_ptr<Input> &input) {
  if (!input || !input->mixer_pad) return;
  // flush-start is not serialized: it wakes aggregator's waiting query
  // without the stream lock that query's thread holds.
  gst_pad_send_event(input->mixer_pad.get(), gst_event_new_flush_start());
}

void Talkback::detach(const std::shared_ptr<Input> &input) {
  if (!input || !input->mixer_pad) return;
  gst_element_release_request_pad(mixer_.get(), input->mixer_pad.get());
  input->mixer_pad.reset();
}

}  // namespace webrtclive
