// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_WEBRTC_LIVE_SIGNALLER (gst_webrtc_live_signaller_get_type())
G_DECLARE_FINAL_TYPE(GstWebRTCLiveSignaller, gst_webrtc_live_signaller, GST,
                     WEBRTC_LIVE_SIGNALLER, GstElement)

GST_ELEMENT_REGISTER_DECLARE(webrtclivesignaller);

G_END_DECLS
