// SPDX-License-Identifier: LGPL-2.1-or-later
//
// webrtclivesink's properties for the video layer ladder (issue 15):
// video-layers, layer-switching, layer-down-loss, layer-down-delay,
// layer-up-after, layer-min-dwell, consumer-keyframe-interval. Consecutive property ids from `first`.
#pragma once

#include <gst/gst.h>

#include "sink-core.h"

namespace webrtclive {

constexpr guint kLayerProperties = 7;

void install_layer_properties(GObjectClass *klass, guint first);
// True when `id` is one of them (then applied to / read from `s`). A
// video-layers value that is not a ladder is refused with a warning on
// `element` and leaves the setting as it was.
bool set_layer_property(GstElement *element, guint first, guint id, const GValue *value, SinkSettings &s);
bool get_layer_property(guint first, guint id, const SinkSettings &s, GValue *value);

}  // namespace webrtclive
