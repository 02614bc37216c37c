// SPDX-License-Identifier: LGPL-2.1-or-later
//
// GstWebRTCLiveDataPad: a `data_%u` request pad of webrtclivesink. Each
// buffer pushed on it is one message on its data channel, to every consumer:
// text when the caps are text/x-raw (format=utf8), binary otherwise. Its
// properties say how the channel is negotiated; set them before PLAYING (a
// consumer's offer takes them when it joins).
#pragma once

#include <gst/gst.h>

#include "data-channels.h"

G_BEGIN_DECLS

#define GST_TYPE_WEBRTC_LIVE_DATA_PAD (gst_webrtc_live_data_pad_get_type())
G_DECLARE_FINAL_TYPE(GstWebRTCLiveDataPad, gst_webrtc_live_data_pad, GST, WEBRTC_LIVE_DATA_PAD, GstPad)

G_END_DECLS

// The channel this pad stands for, as its properties say now.
webrtclive::DataChannelSpec gst_webrtc_live_data_pad_spec(GstWebRTCLiveDataPad *pad);
// Whether buffers are text (the pad's current caps are text/x-raw).
bool gst_webrtc_live_data_pad_is_text(GstWebRTCLiveDataPad *pad);
