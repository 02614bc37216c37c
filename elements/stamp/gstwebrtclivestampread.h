// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS

#define GST_TYPE_WEBRTC_LIVE_STAMP_READ (gst_webrtc_live_stamp_read_get_type())
G_DECLARE_FINAL_TYPE(GstWebRTCLiveStampRead, gst_webrtc_live_stamp_read, GST, WEBRTC_LIVE_STAMP_READ, GstVideoFilter)

GST_ELEMENT_REGISTER_DECLARE(webrtclivestampread);

G_END_DECLS
