// SPDX-License-Identifier: LGPL-2.1-or-later
//
// webrtclivestampread: the GObject shell. Reads the time webrtclivestamp
// painted into a decoded frame (layout in stamp-code.h), and reports
// latency = now - stamp per frame on the bus and as running statistics.
#include "gstwebrtclivestampread.h"

#include <optional>

#include "latency-stats.h"
#include "stamp-code.h"
#include "stamp-frame.h"

GST_DEBUG_CATEGORY(webrtclivestampread_debug);
#define GST_CAT_DEFAULT webrtclivestampread_debug

using namespace webrtclive;

namespace {

constexpr guint kDefaultBlockSize = stamp::kDefaultBlockSize;
constexpr gboolean kDefaultPostMessages = TRUE;

enum {
  PROP_0,
  PROP_BLOCK_SIZE,
  PROP_POST_MESSAGES,
  PROP_STATS,
};

GstStaticPadTemplate sink_template =
    GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS(WEBRTCLIVE_STAMP_CAPS));
GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS(WEBRTCLIVE_STAMP_CAPS));

// All guarded by the object lock: the streaming thread writes, any thread
// reads 'stats'.
struct Private {
  guint block_size = kDefaultBlockSize;
  bool post_messages = kDefaultPostMessages;
  bool warned = false;       // the too-small warning was posted for the current caps / block size
  bool summary_due = false;  // frames arrived since the last summary was logged
  guint64 frames = 0;        // every frame seen since start
  stamp::LatencyStats stats;
};

}  // namespace

struct _GstWebRTCLiveStampRead {
  GstVideoFilter parent;
  Private *priv;
};

G_DEFINE_TYPE(GstWebRTCLiveStampRead, gst_webrtc_live_stamp_read, GST_TYPE_VIDEO_FILTER)

GST_ELEMENT_REGISTER_DEFINE_WITH_CODE(webrtclivestampread, "webrtclivestampread", GST_RANK_NONE,
                                      GST_TYPE_WEBRTC_LIVE_STAMP_READ,
                                      GST_DEBUG_CATEGORY_INIT(webrtclivestampread_debug, "webrtclivestampread", 0,
                                                              "webrtclivestampread"));

static stamp::LatencySummary take_summary(GstWebRTCLiveStampRead *self, bool for_log) {
  GST_OBJECT_LOCK(self);
  if (for_log) self->priv->summary_due = false;
  stamp::LatencyStats copy = self->priv->stats;  // sort the copy outside the lock
  GST_OBJECT_UNLOCK(self);
  return copy.summary();
}

static void log_summary(GstWebRTCLiveStampRead *self) {
  GST_OBJECT_LOCK(self);
  bool due = self->priv->summary_due;
  GST_OBJECT_UNLOCK(self);
  if (!due) return;
  stamp::LatencySummary s = take_summary(self, true);
  GST_INFO_OBJECT(self,
                  "latency over %" G_GUINT64_FORMAT " frames (%" G_GUINT64_FORMAT
                  " without a valid stamp): min %.1f ms, median %.1f ms, mean %.1f ms, p95 %.1f ms, max %.1f ms",
                  s.count, s.invalid, s.min / 1000.0, s.median / 1000.0, s.mean / 1000.0, s.p95 / 1000.0,
                  s.max / 1000.0);
}

static void gst_webrtc_live_stamp_read_init(GstWebRTCLiveStampRead *self) {
  self->priv = new Private();
  // Reading never changes the frame; dropping late frames would bias the statistics.
  gst_base_transform_set_passthrough(GST_BASE_TRANSFORM(self), TRUE);
  gst_base_transform_set_qos_enabled(GST_BASE_TRANSFORM(self), FALSE);
}

static void gst_webrtc_live_stamp_read_finalize(GObject *object) {
  delete GST_WEBRTC_LIVE_STAMP_READ(object)->priv;
  G_OBJECT_CLASS(gst_webrtc_live_stamp_read_parent_class)->finalize(object);
}

static void gst_webrtc_live_stamp_read_set_property(GObject *object, guint prop_id, const GValue *value,
                                                    GParamSpec *pspec) {
  auto *self = GST_WEBRTC_LIVE_STAMP_READ(object);
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_BLOCK_SIZE:
      self->priv->block_size = g_value_get_uint(value);
      self->priv->warned = false;
      break;
    case PROP_POST_MESSAGES:
      self->priv->post_messages = g_value_get_boolean(value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_webrtc_live_stamp_read_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec) {
  auto *self = GST_WEBRTC_LIVE_STAMP_READ(object);
  if (prop_id == PROP_STATS) {
    stamp::LatencySummary s = take_summary(self, false);
    g_value_take_boxed(value, gst_structure_new("webrtclivestampread-stats", "count", G_TYPE_UINT64, s.count, "invalid",
                                                G_TYPE_UINT64, s.invalid, "min", G_TYPE_INT64, s.min, "max",
                                                G_TYPE_INT64, s.max, "mean", G_TYPE_INT64, s.mean, "median",
                                                G_TYPE_INT64, s.median, "p95", G_TYPE_INT64, s.p95, nullptr));
    return;
  }
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_BLOCK_SIZE:
      g_value_set_uint(value, self->priv->block_size);
      break;
    case PROP_POST_MESSAGES:
      g_value_set_boolean(value, self->priv->post_messages);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK(self);
}

static gboolean gst_webrtc_live_stamp_read_start(GstBaseTransform *trans) {
  auto *self = GST_WEBRTC_LIVE_STAMP_READ(trans);
  GST_OBJECT_LOCK(self);
  self->priv->stats.reset();
  self->priv->frames = 0;
  self->priv->summary_due = false;
  GST_OBJECT_UNLOCK(self);
  return TRUE;
}

static gboolean gst_webrtc_live_stamp_read_stop(GstBaseTransform *trans) {
  log_summary(GST_WEBRTC_LIVE_STAMP_READ(trans));
  return TRUE;
}

static gboolean gst_webrtc_live_stamp_read_sink_event(GstBaseTransform *trans, GstEvent *event) {
  if (GST_EVENT_TYPE(event) == GST_EVENT_EOS) log_summary(GST_WEBRTC_LIVE_STAMP_READ(trans));
  return GST_BASE_TRANSFORM_CLASS(gst_webrtc_live_stamp_read_parent_class)->sink_event(trans, event);
}

static gboolean gst_webrtc_live_stamp_read_set_info(GstVideoFilter *filter, GstCaps *, GstVideoInfo *in_info, GstCaps *,
                                                    GstVideoInfo *) {
  auto *self = GST_WEBRTC_LIVE_STAMP_READ(filter);
  GST_OBJECT_LOCK(self);
  self->priv->warned = false;
  GST_OBJECT_UNLOCK(self);
  GST_DEBUG_OBJECT(self, "reading %s %dx%d", gst_video_format_to_string(GST_VIDEO_INFO_FORMAT(in_info)),
                   GST_VIDEO_INFO_WIDTH(in_info), GST_VIDEO_INFO_HEIGHT(in_info));
  return TRUE;
}

static GstFlowReturn gst_webrtc_live_stamp_read_transform_frame_ip(GstVideoFilter *filter, GstVideoFrame *frame) {
  const gint64 now = g_get_real_time();  // before any work of ours
  auto *self = GST_WEBRTC_LIVE_STAMP_READ(filter);
  Private *p = self->priv;
  const int width = GST_VIDEO_FRAME_WIDTH(frame);
  const int height = GST_VIDEO_FRAME_HEIGHT(frame);

  GST_OBJECT_LOCK(self);
  const int block = static_cast<int>(p->block_size);
  const bool post = p->post_messages;
  const guint64 frame_no = p->frames++;
  p->summary_due = true;
  const bool fits = stamp::fits(width, height, block);
  const bool warn = !fits && !p->warned;
  if (warn) p->warned = true;
  if (!fits) p->stats.add_invalid();
  GST_OBJECT_UNLOCK(self);

  if (!fits) {
    if (warn) {
      const stamp::Size g = stamp::grid_size(block);
      GST_ELEMENT_WARNING(self, STREAM, FORMAT,
                          ("The %dx%d frames are too small to hold a latency stamp of %dx%d pixels at block-size %d; "
                           "no latency can be read.",
                           width, height, g.width, g.height, block),
                          (nullptr));
    }
    return GST_FLOW_OK;
  }

  std::optional<uint64_t> stamp_us;
  if (stamp::is_rgb(frame)) {
    const stamp::ConstComponent rgb[3] = {stamp::const_component(frame, 0), stamp::const_component(frame, 1),
                                          stamp::const_component(frame, 2)};
    stamp_us = stamp::decode(stamp::sample(rgb, block));
  } else {
    const stamp::ConstComponent luma[1] = {stamp::const_component(frame, 0)};
    stamp_us = stamp::decode(stamp::sample(luma, block));
  }

  if (stamp_us && !stamp::plausible(*stamp_us, now)) {
    GST_DEBUG_OBJECT(self, "frame %" G_GUINT64_FORMAT ": stamp %" G_GUINT64_FORMAT " us is more than an hour off",
                     frame_no, *stamp_us);
    stamp_us.reset();
  }
  if (!stamp_us) {
    GST_OBJECT_LOCK(self);
    p->stats.add_invalid();
    GST_OBJECT_UNLOCK(self);
    GST_DEBUG_OBJECT(self, "frame %" G_GUINT64_FORMAT ": no valid stamp", frame_no);
    return GST_FLOW_OK;
  }

  const gint64 stamp = static_cast<gint64>(*stamp_us);
  const gint64 latency = now - stamp;
  GST_OBJECT_LOCK(self);
  p->stats.add(latency);
  GST_OBJECT_UNLOCK(self);
  GST_LOG_OBJECT(self, "frame %" G_GUINT64_FORMAT ": latency %" G_GINT64_FORMAT " us", frame_no, latency);

  if (post) {
    GstStructure *s = gst_structure_new("webrtclive-latency", "latency", G_TYPE_INT64, latency, "stamp", G_TYPE_INT64,
                                        stamp, "frame", G_TYPE_UINT64, frame_no, nullptr);
    gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), s));
  }
  return GST_FLOW_OK;
}

static void gst_webrtc_live_stamp_read_class_init(GstWebRTCLiveStampReadClass *klass) {
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS(klass);
  GstVideoFilterClass *filter_class = GST_VIDEO_FILTER_CLASS(klass);
  gobject_class->finalize = gst_webrtc_live_stamp_read_finalize;
  gobject_class->set_property = gst_webrtc_live_stamp_read_set_property;
  gobject_class->get_property = gst_webrtc_live_stamp_read_get_property;
  trans_class->start = gst_webrtc_live_stamp_read_start;
  trans_class->stop = gst_webrtc_live_stamp_read_stop;
  trans_class->sink_event = gst_webrtc_live_stamp_read_sink_event;
  trans_class->passthrough_on_same_caps = TRUE;
  filter_class->set_info = gst_webrtc_live_stamp_read_set_info;
  filter_class->transform_frame_ip = gst_webrtc_live_stamp_read_transform_frame_ip;

  auto playing = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);
  auto ro = static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_property(
      gobject_class, PROP_BLOCK_SIZE,
      g_param_spec_uint("block-size", "Block Size",
                        "Side of each square of the stamp, in pixels; must be the block-size of the "
                        "webrtclivestamp that painted it (the frame size must not change in between)",
                        stamp::kMinBlockSize, stamp::kMaxBlockSize, kDefaultBlockSize, playing));
  g_object_class_install_property(
      gobject_class, PROP_POST_MESSAGES,
      g_param_spec_boolean("post-messages", "Post Messages",
                           "Post an element message 'webrtclive-latency' (latency and stamp in microseconds, frame "
                           "number) on the bus for every frame with a valid stamp",
                           kDefaultPostMessages, playing));
  g_object_class_install_property(
      gobject_class, PROP_STATS,
      g_param_spec_boxed("stats", "Statistics",
                         "Latency since the element started: count (frames with a valid stamp), invalid (frames "
                         "without one), and min, max, mean, median, p95 over the valid frames, in microseconds "
                         "(0 while count is 0)",
                         GST_TYPE_STRUCTURE, ro));

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(
      element_class, "WebRTC Live Latency Stamp Reader", "Filter/Video",
      "Reads the time webrtclivestamp painted into decoded frames and reports the glass-to-glass latency per frame "
      "and as statistics",
      "gst-webrtc-live developers");
}
