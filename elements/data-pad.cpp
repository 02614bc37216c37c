// SPDX-License-Identifier: LGPL-2.1-or-later
#include "data-pad.h"

#include <string>

struct _GstWebRTCLiveDataPad {
  GstPad parent;
  gchar *label;  // NULL = the pad's name
  gboolean ordered;
  gint max_retransmits;
  gint max_packet_lifetime;
  gboolean text;  // from the caps event
};

G_DEFINE_TYPE(GstWebRTCLiveDataPad, gst_webrtc_live_data_pad, GST_TYPE_PAD)

enum { PROP_0, PROP_LABEL, PROP_ORDERED, PROP_MAX_RETRANSMITS, PROP_MAX_PACKET_LIFETIME };

static void gst_webrtc_live_data_pad_init(GstWebRTCLiveDataPad *self) {
  self->ordered = TRUE;
  self->max_retransmits = -1;
  self->max_packet_lifetime = -1;
}

static void data_pad_finalize(GObject *object) {
  g_free(GST_WEBRTC_LIVE_DATA_PAD(object)->label);
  G_OBJECT_CLASS(gst_webrtc_live_data_pad_parent_class)->finalize(object);
}

static void data_pad_set_property(GObject *object, guint id, const GValue *value, GParamSpec *pspec) {
  auto *self = GST_WEBRTC_LIVE_DATA_PAD(object);
  GST_OBJECT_LOCK(self);
  switch (id) {
    case PROP_LABEL:
      g_free(self->label);
      self->label = g_value_dup_string(value);
      break;
    case PROP_ORDERED: self->ordered = g_value_get_boolean(value); break;
    case PROP_MAX_RETRANSMITS: self->max_retransmits = g_value_get_int(value); break;
    case PROP_MAX_PACKET_LIFETIME: self->max_packet_lifetime = g_value_get_int(value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
  GST_OBJECT_UNLOCK(self);
}

static void data_pad_get_property(GObject *object, guint id, GValue *value, GParamSpec *pspec) {
  auto *self = GST_WEBRTC_LIVE_DATA_PAD(object);
  GST_OBJECT_LOCK(self);
  switch (id) {
    case PROP_LABEL: g_value_set_string(value, self->label ? self->label : GST_OBJECT_NAME(self)); break;
    case PROP_ORDERED: g_value_set_boolean(value, self->ordered); break;
    case PROP_MAX_RETRANSMITS: g_value_set_int(value, self->max_retransmits); break;
    case PROP_MAX_PACKET_LIFETIME: g_value_set_int(value, self->max_packet_lifetime); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_webrtc_live_data_pad_class_init(GstWebRTCLiveDataPadClass *klass) {
  GObjectClass *oc = G_OBJECT_CLASS(klass);
  oc->finalize = data_pad_finalize;
  oc->set_property = data_pad_set_property;
  oc->get_property = data_pad_get_property;
  auto flags = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  g_object_class_install_property(
      oc, PROP_LABEL,
      g_param_spec_string("label", "Label", "The data channel's label (what the consumer sees); NULL = the pad's name",
                          nullptr, flags));
  g_object_class_install_property(
      oc, PROP_ORDERED,
      g_param_spec_boolean("ordered", "Ordered",
                           "Messages arrive in the order they were sent (FALSE: as soon as they arrive)", TRUE, flags));
  g_object_class_install_property(
      oc, PROP_MAX_RETRANSMITS,
      g_param_spec_int("max-retransmits", "Max Retransmits",
                       "How often a lost message is sent again; -1 = until it arrives (reliable). ordered=false "
                       "max-retransmits=0 is the unreliable mode. Not together with max-packet-lifetime",
                       -1, 65535, -1, flags));
  g_object_class_install_property(
      oc, PROP_MAX_PACKET_LIFETIME,
      g_param_spec_int("max-packet-lifetime", "Max Packet Lifetime",
                       "Milliseconds a message may be retransmitted for; -1 = no limit. Not together with "
                       "max-retransmits",
                       -1, 65535, -1, flags));
}

webrtclive::DataChannelSpec gst_webrtc_live_data_pad_spec(GstWebRTCLiveDataPad *self) {
  webrtclive::DataChannelSpec spec;
  GST_OBJECT_LOCK(self);
  spec.label = self->label ? self->label : GST_OBJECT_NAME(self);
  spec.ordered = self->ordered;
  spec.max_retransmits = self->max_retransmits;
  spec.max_packet_lifetime = self->max_packet_lifetime;
  GST_OBJECT_UNLOCK(self);
  return spec;
}

bool gst_webrtc_live_data_pad_is_text(GstWebRTCLiveDataPad *self) {
  GstCaps *caps = gst_pad_get_current_caps(GST_PAD(self));
  bool text = caps && !gst_caps_is_empty(caps) &&
              gst_structure_has_name(gst_caps_get_structure(caps, 0), "text/x-raw");
  if (caps) gst_caps_unref(caps);
  return text;
}
