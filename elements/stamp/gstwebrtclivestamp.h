// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS

#define GST_TYPE_WEBRTC_LIVE_STAMP (gst_webrtc_live_stamp_get_type())
G_DECLARE_FINAL_TYPE(GstWebRTCLiveStamp, gst_webrtc_live_stamp, GST, WEBRTC_LIVE_STAMP, GstVideoFilter)

GST_ELEMENT_REGISTER_DECLARE(webrtclivestamp);

G_END_DECLS
