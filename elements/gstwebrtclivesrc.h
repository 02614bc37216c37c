// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_WEBRTC_LIVE_SRC (gst_webrtc_live_src_get_type())
G_DECLARE_FINAL_TYPE(GstWebRTCLiveSrc, gst_webrtc_live_src, GST, WEBRTC_LIVE_SRC, GstBin)

GST_ELEMENT_REGISTER_DECLARE(webrtclivesrc);

G_END_DECLS
