// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_WEBRTC_LIVE_SINK (gst_webrtc_live_sink_get_type())
G_DECLARE_FINAL_TYPE(GstWebRTCLiveSink, gst_webrtc_live_sink, GST, WEBRTC_LIVE_SINK, GstBin)

GST_ELEMENT_REGISTER_DECLARE(webrtclivesink);

G_END_DECLS
