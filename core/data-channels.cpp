// SPDX-License-Identifier: LGPL-2.1-or-later
#include "data-channels.h"

#include "control-loop.h"
#include "util.h"

#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>

#include <algorithm>
#include <cstring>

GST_DEBUG_CATEGORY_STATIC(webrtclive_data_debug);
#define GST_CAT_DEFAULT webrtclive_data_debug

namespace webrtclive {

namespace {
// A flood must not become a flood of reports: one per channel and second.
constexpr gint64 kReportIntervalUs = G_USEC_PER_SEC;
}  // namespace

struct DataChannels::Channel {
  std::weak_ptr<DataChannels> owner;
  GRef<GObject> obj;
  std::string label;
  DataChannelSpec spec;  // as negotiated
  bool announced = false;
  // mutex_ of the owner:
  bool open = false;
  double tokens = 0;
  gint64 refilled_us = 0;
  guint64 dropped_unreported = 0;
  gint64 reported_us = 0;
  bool flush_pending = false;  // a report of the suppressed drops is scheduled
  std::string last_why;
  std::vector<gulong> handlers;
};

std::shared_ptr<DataChannels> DataChannels::create(GMainContext *context, GstElement *webrtcbin, DataLimits limits,
                                                   std::shared_ptr<const std::atomic<bool>> verified, Events events) {
  static gsize once = 0;
  if (g_once_init_enter(&once)) {
    GST_DEBUG_CATEGORY_INIT(webrtclive_data_debug, "webrtclivedata", 0, "webrtclive data channels");
    g_once_init_leave(&once, 1);
  }
  return std::shared_ptr<DataChannels>(
      new DataChannels(context, webrtcbin, limits, std::move(verified), std::move(events)));
}

DataChannels::DataChannels(GMainContext *context, GstElement *webrtcbin, DataLimits limits,
                           std::shared_ptr<const std::atomic<bool>> verified, Events events)
    : context_(g_main_context_ref(context)),
      webrtcbin_(GRef<GstElement>::ref(webrtcbin)),
      limits_(limits),
      verified_(std::move(verified)),
      events_(std::move(events)) {}

DataChannels::~DataChannels() { close(); }

template <typename Fn>
void DataChannels::post(Fn &&fn) {
  std::weak_ptr<DataChannels> weak = weak_from_this();
  post_to(context_.get(), [weak, fn = std::forward<Fn>(fn)]() mutable {
    if (auto self = weak.lock(); self && !self->closed_) fn(*self);
  });
}

bool DataChannels::check(const DataChannelSpec &spec, std::string *why) {
  if (spec.label.empty() || spec.label.size() > 65535) {
    *why = "a data channel needs a label of 1 to 65535 bytes";
    return false;
  }
  if (spec.max_retransmits >= 0 && spec.max_packet_lifetime >= 0) {
    *why = "data channel '" + spec.label + "': max-retransmits and max-packet-lifetime cannot both be set";
    return false;
  }
  return true;
}

void DataChannels::announce(const std::vector<DataChannelSpec> &specs) {
  for (const auto &spec : specs) {
    std::string why;
    if (!check(spec, &why)) {
      GST_WARNING_OBJECT(webrtcbin_.get(), "%s", why.c_str());
      continue;
    }
    GstStructure *options = gst_structure_new("options", "ordered", G_TYPE_BOOLEAN, spec.ordered, nullptr);
    if (spec.max_retransmits >= 0) gst_structure_set(options, "max-retransmits", G_TYPE_INT, spec.max_retransmits, nullptr);
    if (spec.max_packet_lifetime >= 0)
      gst_structure_set(options, "max-packet-lifetime", G_TYPE_INT, spec.max_packet_lifetime, nullptr);
    GObject *channel = nullptr;
    g_signal_emit_by_name(webrtcbin_.get(), "create-data-channel", spec.label.c_str(), options, &channel);
    gst_structure_free(options);
    if (!channel) {
      GST_WARNING_OBJECT(webrtcbin_.get(), "webrtcbin did not create data channel '%s'", spec.label.c_str());
      continue;
    }
    wire(channel, true);
    g_object_unref(channel);
  }
}

void DataChannels::watch() {
  on_data_channel_ = g_signal_connect_data(
      webrtcbin_.get(), "on-data-channel", G_CALLBACK(+[](GstElement *, GObject *channel, gpointer data) {
        if (auto self = static_cast<std::weak_ptr<DataChannels> *>(data)->lock(); self && !self->closed_)
          self->wire(channel, false);
      }),
      new std::weak_ptr<DataChannels>(weak_from_this()),
      [](gpointer d, GClosure *) { delete static_cast<std::weak_ptr<DataChannels> *>(d); }, GConnectFlags(0));
}

void DataChannels::wire(GObject *obj, bool announced) {
  auto ch = std::make_shared<Channel>();
  ch->owner = weak_from_this();
  ch->obj = GRef<GObject>::ref(obj);
  ch->announced = announced;
  gchar *label = nullptr;
  g_object_get(obj, "label", &label, nullptr);
  ch->label = take_string(label);
  gboolean ordered = TRUE;
  gint max_retransmits = -1, max_packet_lifetime = -1;
  g_object_get(obj, "ordered", &ordered, "max-retransmits", &max_retransmits, "max-packet-lifetime",
               &max_packet_lifetime, nullptr);
  ch->spec = DataChannelSpec{ch->label, ordered != FALSE, max_retransmits, max_packet_lifetime};
  ch->tokens = limits_.max_messages_per_second;
  ch->refilled_us = g_get_monotonic_time();
  using Weak = std::weak_ptr<Channel>;
  auto connect = [&](const char *signal, GCallback cb) {
    ch->handlers.push_back(g_signal_connect_data(obj, signal, cb, new Weak(ch),
                                                 [](gpointer d, GClosure *) { delete static_cast<Weak *>(d); },
                                                 GConnectFlags(0)));
  };
  connect("on-open", G_CALLBACK(+[](GObject *, Weak *weak) {
            auto c = weak->lock();
            if (auto self = c ? c->owner.lock() : nullptr) self->on_state(*c, true);
          }));
  connect("on-close", G_CALLBACK(+[](GObject *, Weak *weak) {
            auto c = weak->lock();
            if (auto self = c ? c->owner.lock() : nullptr) self->on_state(*c, false);
          }));
  connect("on-message-data", G_CALLBACK(+[](GObject *, GBytes *data, Weak *weak) {
            auto c = weak->lock();
            auto self = c ? c->owner.lock() : nullptr;
            if (self && data) self->on_message(*c, data, false);
          }));
  connect("on-message-string", G_CALLBACK(+[](GObject *, gchar *text, Weak *weak) {
            auto c = weak->lock();
            auto self = c ? c->owner.lock() : nullptr;
            if (!self || !text) return;
            GBytes *bytes = g_bytes_new(text, strlen(text));
            self->on_message(*c, bytes, true);
            g_bytes_unref(bytes);
          }));
  {
    std::lock_guard lock(mutex_);
    channels_.push_back(ch);
  }
  GST_INFO_OBJECT(webrtcbin_.get(), "data channel '%s' (%s)", ch->label.c_str(), announced ? "ours" : "the peer's");
  GstWebRTCDataChannelState state;
  g_object_get(obj, "ready-state", &state, nullptr);
  if (state == GST_WEBRTC_DATA_CHANNEL_STATE_OPEN) on_state(*ch, true);
}

// State changes go to the control context, in the order they happened.
void DataChannels::on_state(Channel &c, bool open) {
  if (closed_) return;
  {
    std::lock_guard lock(mutex_);
    if (c.open == open) return;
    c.open = open;
  }
  DataChannelSpec spec = c.spec;
  bool announced = c.announced;
  post([spec, open, announced](DataChannels &s) {
    if (s.events_.state) s.events_.state(spec, open, announced);
  });
}

void DataChannels::on_message(Channel &c, GBytes *data, bool text) {
  if (closed_) return;
  std::string why;
  const gsize size = g_bytes_get_size(data);
  const gint64 now = g_get_monotonic_time();
  bool report = false;
  guint64 dropped = 0;
  {
    std::lock_guard lock(mutex_);
    if (!verified_->load())
      why = "the peer is not verified yet (its DTLS certificate was not checked)";
    else if (size > limits_.max_message_bytes)
      why = "a message of " + std::to_string(size) + " bytes; at most " + std::to_string(limits_.max_message_bytes) +
            " are accepted";
    else if (const double rate = limits_.max_messages_per_second; rate > 0) {
      c.tokens = std::min(rate, c.tokens + (now - c.refilled_us) * rate / G_USEC_PER_SEC);
      c.refilled_us = now;
      if (c.tokens < 1)
        why = "more than " + std::to_string(limits_.max_messages_per_second) + " messages per second";
      else
        c.tokens -= 1;
    }
    bool schedule = false;
    gint64 wait_us = 0;
    if (!why.empty()) {
      c.dropped_unreported++;
      c.last_why = why;
      if (now - c.reported_us >= kReportIntervalUs) {
        report = true;
        dropped = std::exchange(c.dropped_unreported, 0);
        c.reported_us = now;
      } else if (!c.flush_pending) {
        // Suppressed: said at the end of this interval, with the count.
        c.flush_pending = schedule = true;
        wait_us = c.reported_us + kReportIntervalUs - now;
      }
    }
    if (schedule) {
      std::weak_ptr<DataChannels> weak = weak_from_this();
      std::weak_ptr<Channel> weak_c;
      for (auto &ch : channels_)
        if (ch.get() == &c) weak_c = ch;
      GSource *t = g_timeout_source_new(std::max<gint64>(1, wait_us / 1000));
      auto *ctx = new std::pair<std::weak_ptr<DataChannels>, std::weak_ptr<Channel>>(weak, weak_c);
      g_source_set_callback(
          t,
          [](gpointer d) -> gboolean {
            auto *p = static_cast<std::pair<std::weak_ptr<DataChannels>, std::weak_ptr<Channel>> *>(d);
            auto self = p->first.lock();
            auto ch = p->second.lock();
            if (self && ch) self->flush_drops(*ch);
            return G_SOURCE_REMOVE;
          },
          ctx, [](gpointer d) { delete static_cast<std::pair<std::weak_ptr<DataChannels>, std::weak_ptr<Channel>> *>(d); });
      g_source_attach(t, context_.get());
      g_source_unref(t);
    }
  }
  if (why.empty()) {
    if (events_.message) events_.message(c.spec, data, text);
    return;
  }
  if (!report) return;
  if (dropped > 1) why += " (" + std::to_string(dropped) + " messages dropped since the last report)";
  std::string label = c.label;
  post([label, why](DataChannels &s) {
    if (s.events_.dropped) s.events_.dropped(label, why);
  });
}

// Control context: the drops suppressed since the last report, if any.
void DataChannels::flush_drops(Channel &c) {
  guint64 dropped;
  std::string why;
  {
    std::lock_guard lock(mutex_);
    c.flush_pending = false;
    dropped = std::exchange(c.dropped_unreported, 0);
    why = c.last_why;
    c.reported_us = g_get_monotonic_time();
  }
  if (!dropped || closed_ || !events_.dropped) return;
  events_.dropped(c.label, why + " (" + std::to_string(dropped) + " messages dropped since the last report)");
}

bool DataChannels::send(const std::string &label, GBytes *data, bool text) {
  if (closed_) return false;
  GRef<GObject> obj;
  {
    std::lock_guard lock(mutex_);
    for (auto &c : channels_)
      if (c->open && c->label == label) obj = c->obj;
  }
  if (!obj) return false;
  if (text) {
    gsize size = 0;
    auto *p = static_cast<const char *>(g_bytes_get_data(data, &size));
    std::string s(p ? p : "", size);
    g_signal_emit_by_name(obj.get(), "send-string", s.c_str());
  } else {
    g_signal_emit_by_name(obj.get(), "send-data", data);
  }
  return true;
}

std::vector<std::string> DataChannels::open_labels() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (auto &c : channels_)
    if (c->open) out.push_back(c->label);
  return out;
}

void DataChannels::close() {
  if (closed_.exchange(true)) return;
  std::vector<std::shared_ptr<Channel>> channels;
  {
    std::lock_guard lock(mutex_);
    channels.swap(channels_);
  }
  for (auto &c : channels)
    for (gulong h : c->handlers) g_signal_handler_disconnect(c->obj.get(), h);
  if (on_data_channel_) g_signal_handler_disconnect(webrtcbin_.get(), on_data_channel_);
  on_data_channel_ = 0;
}

}  // namespace webrtclive
