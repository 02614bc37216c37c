// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Views of a mapped GstVideoFrame's components for the stamp code, and the
// caps both stamp elements accept. Shared by webrtclivestamp and
// webrtclivestampread only.
#pragma once

#include <gst/video/video.h>

#include "stamp-code.h"

// 8-bit formats whose luma (YUV) or R, G, B (RGB) are separate components.
#define WEBRTCLIVE_STAMP_CAPS GST_VIDEO_CAPS_MAKE("{ I420, YV12, NV12, NV21, Y42B, Y444, RGBA, BGRA, RGBx, BGRx }")

namespace webrtclive::stamp {

inline Component component(GstVideoFrame *frame, int c) {
  return {static_cast<uint8_t *>(GST_VIDEO_FRAME_COMP_DATA(frame, c)), GST_VIDEO_FRAME_COMP_STRIDE(frame, c),
          GST_VIDEO_FRAME_COMP_PSTRIDE(frame, c)};
}

inline ConstComponent const_component(const GstVideoFrame *frame, int c) {
  return {static_cast<const uint8_t *>(GST_VIDEO_FRAME_COMP_DATA(frame, c)), GST_VIDEO_FRAME_COMP_STRIDE(frame, c),
          GST_VIDEO_FRAME_COMP_PSTRIDE(frame, c)};
}

inline bool is_rgb(const GstVideoFrame *frame) { return GST_VIDEO_INFO_IS_RGB(&frame->info); }

}  // namespace webrtclive::stamp
