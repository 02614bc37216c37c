// SPDX-License-Identifier: LGPL-2.1-or-later
#include "src-producers-props.h"

namespace webrtclive {

namespace {

enum Offset { PRODUCERS, MAX_PRODUCERS, LAYOUT, LAYOUT_WIDTH, LAYOUT_HEIGHT };

GType producers_mode_get_type() {
  static GType type = 0;
  static const GEnumValue values[] = {
      {0, "One producer at a time, on video_%u / audio_%u pads kept across producers", "one"},
      {1, "Every matching producer at once, each on its own video_<key>_%u / audio_<key>_%u pads", "all"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter(&type)) g_once_init_leave(&type, g_enum_register_static("GstWebRTCLiveSrcProducers", values));
  return type;
}

GType layout_get_type() {
  static GType type = 0;
  static const GEnumValue values[] = {
      {0, "Leave the compositor's pads as they are", "none"},
      {1, "Lay the producers' video out as a grid of equal tiles", "grid"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter(&type)) g_once_init_leave(&type, g_enum_register_static("GstWebRTCLiveSrcLayout", values));
  return type;
}

}  // namespace

void install_producers_properties(GObjectClass *klass, guint first, GParamFlags flags) {
  g_object_class_install_property(
      klass, first + PRODUCERS,
      g_param_spec_enum("producers", "Producers",
                        "Consume one producer at a time, or every producer of the server that matches peer-id / "
                        "producer-name at once (a room: each on its own pads, ended with EOS and removed when it "
                        "leaves; producers of this element's own pipeline are skipped)",
                        producers_mode_get_type(), 0, flags));
  g_object_class_install_property(
      klass, first + MAX_PRODUCERS,
      g_param_spec_uint("max-producers", "Max Producers",
                        "producers=all: producers consumed at once; more wait until one leaves", 1, 256, 16, flags));
  g_object_class_install_property(
      klass, first + LAYOUT,
      g_param_spec_enum("layout", "Layout",
                        "producers=all: how the video pads linked to a compositor are placed (xpos, ypos, width, "
                        "height of its pads)",
                        layout_get_type(), 1, flags));
  g_object_class_install_property(
      klass, first + LAYOUT_WIDTH,
      g_param_spec_uint("layout-width", "Layout Width", "layout=grid: width of the canvas the tiles share", 16, 7680,
                        1280, flags));
  g_object_class_install_property(
      klass, first + LAYOUT_HEIGHT,
      g_param_spec_uint("layout-height", "Layout Height", "layout=grid: height of the canvas the tiles share", 16,
                        4320, 720, flags));
  gst_type_mark_as_plugin_api(producers_mode_get_type(), static_cast<GstPluginAPIFlags>(0));
  gst_type_mark_as_plugin_api(layout_get_type(), static_cast<GstPluginAPIFlags>(0));
}

bool set_producers_property(guint first, guint id, const GValue *value, SrcSettings &s) {
  if (id < first || id >= first + kProducersProperties) return false;
  switch (id - first) {
    case PRODUCERS:
      s.all_producers = g_value_get_enum(value) == 1;
      break;
    case MAX_PRODUCERS:
      s.max_producers = g_value_get_uint(value);
      break;
    case LAYOUT:
      s.grid_layout = g_value_get_enum(value) == 1;
      break;
    case LAYOUT_WIDTH:
      s.layout_width = g_value_get_uint(value);
      break;
    case LAYOUT_HEIGHT:
      s.layout_height = g_value_get_uint(value);
      break;
  }
  return true;
}

bool get_producers_property(guint first, guint id, const SrcSettings &s, GValue *value) {
  if (id < first || id >= first + kProducersProperties) return false;
  switch (id - first) {
    case PRODUCERS:
      g_value_set_enum(value, s.all_producers ? 1 : 0);
      break;
    case MAX_PRODUCERS:
      g_value_set_uint(value, s.max_producers);
      break;
    case LAYOUT:
      g_value_set_enum(value, s.grid_layout ? 1 : 0);
      break;
    case LAYOUT_WIDTH:
      g_value_set_uint(value, s.layout_width);
      break;
    case LAYOUT_HEIGHT:
      g_value_set_uint(value, s.layout_height);
      break;
  }
  return true;
}

}  // namespace webrtclive
