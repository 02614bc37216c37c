// SPDX-License-Identifier: LGPL-2.1-or-later
#include "keyframes.h"

#include <gst/video/video.h>

#include <algorithm>

namespace webrtclive {

GST_DEBUG_CATEGORY_STATIC(keyframes_debug);
#define GST_CAT_DEFAULT keyframes_debug

namespace {
void init_debug() {
  static std::once_flag once;
  std::call_once(once, [] {
    GST_DEBUG_CATEGORY_INIT(keyframes_debug, "webrtclivekeyframes", 0, "webrtclive keyframe control");
  });
}
}  // namespace

// ---- KeyframeThrottle -------------------------------------------------------------

KeyframeThrottle::Decision KeyframeThrottle::request(int64_t now_us) {
  requests_++;
  Decision d;
  if (pending_) return d;  // one is already scheduled: it serves this request too
  if (!last_sent_us_ || now_us - *last_sent_us_ >= interval_us_) {
    last_sent_us_ = now_us;
    sent_++;
    d.send_now = true;
    return d;
  }
  pending_ = true;
  d.schedule_in_us = *last_sent_us_ + interval_us_ - now_us;
  return d;
}

void KeyframeThrottle::fire(int64_t now_us) {
  pending_ = false;
  last_sent_us_ = now_us;
  sent_++;
}

// ---- KeyframeControl ----------------------------------------------------------------

KeyframeControl::Target::~Target() {
  if (timer_) g_source_destroy(timer_);
}

void KeyframeControl::Target::send() {
  GST_DEBUG("forcing a keyframe on %s", name_.c_str());
  gst_pad_push_event(pad_.get(), gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
  counters_->forced++;
}

KeyframeControl::~KeyframeControl() { reset(); }

void KeyframeControl::set_context(GMainContext *context) {
  std::lock_guard lock(where_->mutex);
  where_->context.reset(context ? g_main_context_ref(context) : nullptr);
}

void KeyframeControl::reset() {
  std::vector<std::shared_ptr<Target>> live;
  {
    std::lock_guard lock(mutex_);
    std::erase_if(targets_, [](const std::weak_ptr<Target> &w) { return w.expired(); });
    for (auto &w : targets_)
      if (auto t = w.lock()) live.push_back(std::move(t));
  }
  for (auto &t : live) {
    if (t->timer_) g_source_destroy(t->timer_);
    t->timer_ = nullptr;
    t->throttle_.reset();
  }
}

std::shared_ptr<KeyframeControl::Target> KeyframeControl::add_target(std::string name, GstPad *pad, bool video,
                                                                      unsigned min_interval_ms) {
  init_debug();
  std::shared_ptr<Target> t(new Target(std::move(name), pad, video, int64_t(min_interval_ms) * 1000, counters_));
  std::lock_guard lock(mutex_);
  std::erase_if(targets_, [](const std::weak_ptr<Target> &w) { return w.expired(); });
  targets_.push_back(t);
  return t;
}

void KeyframeControl::request(const std::shared_ptr<Target> &target) {
  counters_->requests++;
  if (!target->video_) return;
  auto d = target->throttle_.request(g_get_monotonic_time());
  if (d.send_now) {
    target->send();
    return;
  }
  if (!d.schedule_in_us) return;  // coalesced into the one already scheduled
  GMainContext *ctx = where_->get();
  if (!ctx) return;
  GSource *t = g_timeout_source_new(std::max<int64_t>(1, *d.schedule_in_us / 1000));
  std::weak_ptr<Target> weak = target;
  g_source_set_callback(
      t,
      [](gpointer data) -> gboolean {
        if (auto tg = static_cast<std::weak_ptr<Target> *>(data)->lock()) {
          tg->timer_ = nullptr;
          tg->throttle_.fire(g_get_monotonic_time());
          tg->send();
        }
        return G_SOURCE_REMOVE;
      },
      new std::weak_ptr<Target>(weak), [](gpointer d) { delete static_cast<std::weak_ptr<Target> *>(d); });
  g_source_attach(t, ctx);
  target->timer_ = t;
  g_source_unref(t);
}

ProbeHandle KeyframeControl::capture_requests(GstPad *pad, std::function<void()> on_request) {
  init_debug();
  // The context is looked up per event: it changes when the element restarts.
  return add_probe(pad, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
                   [where = where_, on_request = std::move(on_request)](GstPad *, GstPadProbeInfo *info) {
                     GstEvent *ev = GST_PAD_PROBE_INFO_EVENT(info);
                     if (!gst_video_event_is_force_key_unit(ev)) return GST_PAD_PROBE_OK;
                     std::lock_guard lock(where->mutex);
                     if (where->context) post_to(where->context.get(), on_request);
                     return GST_PAD_PROBE_DROP;
                   });
}

void KeyframeControl::drop_deltas_until_keyframe(GstPad *pad) {
  add_probe_fn(pad, GST_PAD_PROBE_TYPE_BUFFER, [](GstPad *p, GstPadProbeInfo *info) {
    // A tee pushes to pads not linked yet (a switch in flight): those
    // buffers go nowhere and must not count as the first keyframe.
    if (!gst_pad_is_linked(p)) return GST_PAD_PROBE_OK;
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
    if (GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT)) return GST_PAD_PROBE_DROP;
    return GST_PAD_PROBE_REMOVE;
  });
}

}  // namespace webrtclive
