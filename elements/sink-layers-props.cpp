// SPDX-License-Identifier: LGPL-2.1-or-later
#include "sink-layers-props.h"

#include <cmath>

namespace webrtclive {

namespace {

enum Offset { kVideoLayers, kSwitching, kDownLoss, kDownDelay, kUpAfter, kMinDwell, kConsumerKeyframes };

}  // namespace

void install_layer_properties(GObjectClass *klass, guint first) {
  auto flags = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  auto ready = static_cast<GParamFlags>(flags | GST_PARAM_MUTABLE_READY);
  auto playing = static_cast<GParamFlags>(flags | GST_PARAM_MUTABLE_PLAYING);
  const EstimatorSettings d;
  g_object_class_install_property(
      klass, first + kVideoLayers,
      g_param_spec_string(
          "video-layers", "Video Layers",
          "Layer ladder for raw video: WIDTHxHEIGHT@KBPS,... top layer first, bitrates decreasing, at most 4 (e.g. "
          "1280x720@2500,640x360@800,320x180@250). Each layer is one shared encoder, made when a viewer first needs "
          "it; each viewer gets the layer its link carries. Empty = one layer at video-bitrate",
          "", ready));
  g_object_class_install_property(
      klass, first + kSwitching,
      g_param_spec_boolean("layer-switching", "Layer Switching",
                           "Move each viewer between the layers by its feedback (TWCC, else receiver reports); off: "
                           "viewers stay on the top layer unless the set-layer action moves them",
                           TRUE, playing));
  g_object_class_install_property(
      klass, first + kDownLoss,
      g_param_spec_double("layer-down-loss", "Layer Down Loss",
                          "Fraction of a viewer's packets lost (over 1 s, held 250 ms) that moves it a layer down",
                          0.01, 1.0, d.loss_down, playing));
  g_object_class_install_property(
      klass, first + kDownDelay,
      g_param_spec_uint("layer-down-delay", "Layer Down Delay",
                        "Queuing delay on a viewer's link, in ms over its lowest (held 500 ms), that moves it a layer "
                        "down",
                        10, 5000, static_cast<guint>(d.qdelay_down_us / 1000), playing));
  g_object_class_install_property(
      klass, first + kUpAfter,
      g_param_spec_uint("layer-up-after", "Layer Up After",
                        "Clean feedback, in ms, before a viewer tries the next layer up (doubled after each failed "
                        "try, up to 4x)",
                        500, 600000, static_cast<guint>(d.clean_us / 1000), playing));
  g_object_class_install_property(
      klass, first + kMinDwell,
      g_param_spec_uint("layer-min-dwell", "Layer Min Dwell", "Least time, in ms, between two switches of a viewer", 0,
                        60000, static_cast<guint>(d.min_dwell_us / 1000), playing));
  g_object_class_install_property(
      klass, first + kConsumerKeyframes,
      g_param_spec_uint("consumer-keyframe-interval", "Consumer Keyframe Interval",
                        "Least time, in ms, between two keyframe requests (PLI/FIR) of one consumer that are passed "
                        "on to its encoder; more are dropped, so a lossy viewer cannot flood the viewers of its layer",
                        0, 60000, SinkSettings{}.consumer_keyframe_interval_ms, playing));
}

bool set_layer_property(GstElement *element, guint first, guint id, const GValue *value, SinkSettings &s) {
  if (id < first || id >= first + kLayerProperties) return false;
  switch (id - first) {
    case kVideoLayers: {
      const char *text = g_value_get_string(value);
      std::string error;
      if (auto ladder = parse_video_layers(text ? text : "", &error))
        s.video_layers = std::move(*ladder);
      else
        GST_ELEMENT_WARNING(element, LIBRARY, SETTINGS, ("%s; keeping '%s'.", error.c_str(),
                                                         to_string(s.video_layers).c_str()),
                            (nullptr));
      break;
    }
    case kSwitching:
      s.layer_switching = g_value_get_boolean(value);
      break;
    case kDownLoss:
      s.estimator.loss_down = g_value_get_double(value);
      break;
    case kDownDelay:
      s.estimator.qdelay_down_us = int64_t{g_value_get_uint(value)} * 1000;
      break;
    case kUpAfter:
      s.estimator.clean_us = int64_t{g_value_get_uint(value)} * 1000;
      s.estimator.clean_max_us = 4 * s.estimator.clean_us;
      break;
    case kMinDwell:
      s.estimator.min_dwell_us = int64_t{g_value_get_uint(value)} * 1000;
      break;
    case kConsumerKeyframes:
      s.consumer_keyframe_interval_ms = g_value_get_uint(value);
      break;
  }
  return true;
}

bool get_layer_property(guint first, guint id, const SinkSettings &s, GValue *value) {
  if (id < first || id >= first + kLayerProperties) return false;
  switch (id - first) {
    case kVideoLayers:
      g_value_set_string(value, to_string(s.video_layers).c_str());
      break;
    case kSwitching:
      g_value_set_boolean(value, s.layer_switching);
      break;
    case kDownLoss:
      g_value_set_double(value, s.estimator.loss_down);
      break;
    case kDownDelay:
      g_value_set_uint(value, static_cast<guint>(s.estimator.qdelay_down_us / 1000));
      break;
    case kUpAfter:
      g_value_set_uint(value, static_cast<guint>(s.estimator.clean_us / 1000));
      break;
    case kMinDwell:
      g_value_set_uint(value, static_cast<guint>(s.estimator.min_dwell_us / 1000));
      break;
    case kConsumerKeyframes:
      g_value_set_uint(value, s.consumer_keyframe_interval_ms);
      break;
  }
  return true;
}

}  // namespace webrtclive
