// SPDX-License-Identifier: LGPL-2.1-or-later
//
// webrtclivestamp: the GObject shell. Paints the wall-clock time into each
// raw frame (layout in stamp-code.h) for webrtclivestampread, or a browser,
// to measure glass-to-glass latency.
#include "gstwebrtclivestamp.h"

#include "stamp-code.h"
#include "stamp-frame.h"

GST_DEBUG_CATEGORY(webrtclivestamp_debug);
#define GST_CAT_DEFAULT webrtclivestamp_debug

using namespace webrtclive;

namespace {

constexpr guint kDefaultBlockSize = stamp::kDefaultBlockSize;

enum {
  PROP_0,
  PROP_BLOCK_SIZE,
};

GstStaticPadTemplate sink_template =
    GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS(WEBRTCLIVE_STAMP_CAPS));
GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS(WEBRTCLIVE_STAMP_CAPS));

// Guarded by the object lock (block_size, warned) or streaming thread only (stamped).
struct Private {
  guint block_size = kDefaultBlockSize;
  bool warned = false;  // the too-small warning was posted for the current caps / block size
  guint64 stamped = 0;
};

}  // namespace

struct _GstWebRTCLiveStamp {
  GstVideoFilter parent;
  Private *priv;
};

G_DEFINE_TYPE(GstWebRTCLiveStamp, gst_webrtc_live_stamp, GST_TYPE_VIDEO_FILTER)

GST_ELEMENT_REGISTER_DEFINE_WITH_CODE(webrtclivestamp, "webrtclivestamp", GST_RANK_NONE, GST_TYPE_WEBRTC_LIVE_STAMP,
                                      GST_DEBUG_CATEGORY_INIT(webrtclivestamp_debug, "webrtclivestamp", 0,
                                                              "webrtclivestamp"));

static void gst_webrtc_live_stamp_init(GstWebRTCLiveStamp *self) {
  self->priv = new Private();
  // A stamper that drops late frames would hide the latency it is there to show.
  gst_base_transform_set_qos_enabled(GST_BASE_TRANSFORM(self), FALSE);
}

static void gst_webrtc_live_stamp_finalize(GObject *object) {
  delete GST_WEBRTC_LIVE_STAMP(object)->priv;
  G_OBJECT_CLASS(gst_webrtc_live_stamp_parent_class)->finalize(object);
}

static void gst_webrtc_live_stamp_set_property(GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec) {
  auto *self = GST_WEBRTC_LIVE_STAMP(object);
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_BLOCK_SIZE:
      self->priv->block_size = g_value_get_uint(value);
      self->priv->warned = false;
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_webrtc_live_stamp_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec) {
  auto *self = GST_WEBRTC_LIVE_STAMP(object);
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_BLOCK_SIZE:
      g_value_set_uint(value, self->priv->block_size);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK(self);
}

static gboolean gst_webrtc_live_stamp_set_info(GstVideoFilter *filter, GstCaps *, GstVideoInfo *in_info, GstCaps *,
                                               GstVideoInfo *) {
  auto *self = GST_WEBRTC_LIVE_STAMP(filter);
  GST_OBJECT_LOCK(self);
  self->priv->warned = false;
  GST_OBJECT_UNLOCK(self);
  GST_DEBUG_OBJECT(self, "stamping %s %dx%d", gst_video_format_to_string(GST_VIDEO_INFO_FORMAT(in_info)),
                   GST_VIDEO_INFO_WIDTH(in_info), GST_VIDEO_INFO_HEIGHT(in_info));
  return TRUE;
}

static GstFlowReturn gst_webrtc_live_stamp_transform_frame_ip(GstVideoFilter *filter, GstVideoFrame *frame) {
  auto *self = GST_WEBRTC_LIVE_STAMP(filter);
  Private *p = self->priv;
  const int width = GST_VIDEO_FRAME_WIDTH(frame);
  const int height = GST_VIDEO_FRAME_HEIGHT(frame);

  GST_OBJECT_LOCK(self);
  const int block = static_cast<int>(p->block_size);
  const bool fits = stamp::fits(width, height, block);
  const bool warn = !fits && !p->warned;
  if (warn) p->warned = true;
  GST_OBJECT_UNLOCK(self);

  if (!fits) {
    if (warn) {
      const stamp::Size g = stamp::grid_size(block);
      GST_ELEMENT_WARNING(self, STREAM, FORMAT,
                          ("The %dx%d frames are too small for the latency stamp, which needs %dx%d pixels at "
                           "block-size %d; frames pass through unstamped.",
                           width, height, g.width, g.height, block),
                          ("lower block-size (minimum %d) or stamp before scaling down", stamp::kMinBlockSize));
    }
    return GST_FLOW_OK;
  }

  const gint64 now = g_get_real_time();
  const stamp::Bits bits = stamp::encode(static_cast<uint64_t>(now));
  if (stamp::is_rgb(frame)) {
    for (int c = 0; c < 3; ++c)
      stamp::paint(bits, block, stamp::component(frame, c), stamp::kRgbBlack, stamp::kRgbWhite);
  } else {
    stamp::paint(bits, block, stamp::component(frame, 0), stamp::kLumaBlack, stamp::kLumaWhite);
    // Neutral chroma under the grid, rounded out to whole chroma samples.
    const stamp::Size g = stamp::grid_size(block);
    const GstVideoFormatInfo *finfo = frame->info.finfo;
    for (int c = 1; c < 3; ++c)
      stamp::fill(stamp::component(frame, c), 0, 0, GST_VIDEO_FORMAT_INFO_SCALE_WIDTH(finfo, c, g.width),
                  GST_VIDEO_FORMAT_INFO_SCALE_HEIGHT(finfo, c, g.height), stamp::kChromaNeutral);
  }
  ++p->stamped;
  GST_LOG_OBJECT(self, "frame %" G_GUINT64_FORMAT " stamped %" G_GINT64_FORMAT " us", p->stamped, now);
  return GST_FLOW_OK;
}

static void gst_webrtc_live_stamp_class_init(GstWebRTCLiveStampClass *klass) {
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  GstVideoFilterClass *filter_class = GST_VIDEO_FILTER_CLASS(klass);
  gobject_class->finalize = gst_webrtc_live_stamp_finalize;
  gobject_class->set_property = gst_webrtc_live_stamp_set_property;
  gobject_class->get_property = gst_webrtc_live_stamp_get_property;
  filter_class->set_info = gst_webrtc_live_stamp_set_info;
  filter_class->transform_frame_ip = gst_webrtc_live_stamp_transform_frame_ip;

  auto playing = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);
  g_object_class_install_property(
      gobject_class, PROP_BLOCK_SIZE,
      g_param_spec_uint("block-size", "Block Size",
                        "Side of each square of the stamp, in pixels; the stamp is a grid of 24 x 3 squares at the "
                        "top-left corner, so frames must be at least 24 x block-size pixels wide and 3 x block-size "
                        "high (smaller frames pass unstamped); the reader's block-size must be the same",
                        stamp::kMinBlockSize, stamp::kMaxBlockSize, kDefaultBlockSize, playing));

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(
      element_class, "WebRTC Live Latency Stamp", "Filter/Video",
      "Paints the wall-clock time into each raw frame as black and white squares that survive encoding, for "
      "webrtclivestampread or a browser to measure glass-to-glass latency",
      "gst-webrtc-live developers");
}
