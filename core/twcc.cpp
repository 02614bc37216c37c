// SPDX-License-Identifier: LGPL-2.1-or-later
#include "twcc.h"

#include <gst/rtp/rtp.h>

#include <algorithm>
#include <cstdlib>
#include <string>

namespace webrtclive {

int twcc_extmap_id(const GstSDPMedia *m) {
  for (guint i = 0; i < gst_sdp_media_attributes_len(m); i++) {
    const GstSDPAttribute *a = gst_sdp_media_get_attribute(m, i);
    if (g_strcmp0(a->key, "extmap") != 0 || !a->value) continue;
    // "<id>[/<direction>] <uri> [<attributes>]"
    char *end = nullptr;
    long id = std::strtol(a->value, &end, 10);
    if (end == a->value || id < 1 || id > 14) continue;
    while (*end && *end != ' ') end++;
    while (*end == ' ') end++;
    std::string uri(end);
    uri = uri.substr(0, uri.find(' '));
    if (uri == kTwccUri) return static_cast<int>(id);
  }
  return 0;
}

void add_twcc_extmap(GstCaps *caps, int id) {
  std::string field = "extmap-" + std::to_string(id);
  for (guint i = 0; i < gst_caps_get_size(caps); i++)
    gst_structure_set(gst_caps_get_structure(caps, i), field.c_str(), G_TYPE_STRING, kTwccUri, nullptr);
}

unsigned answer_twcc(const GstSDPMessage *offer, GstSDPMessage *answer) {
  unsigned added = 0;
  const guint n = std::min(gst_sdp_message_medias_len(offer), gst_sdp_message_medias_len(answer));
  for (guint i = 0; i < n; i++) {
    const GstSDPMedia *o = gst_sdp_message_get_media(offer, i);
    GstSDPMedia *a = const_cast<GstSDPMedia *>(gst_sdp_message_get_media(answer, i));
    const int id = twcc_extmap_id(o);
    if (!id || gst_sdp_media_get_port(a) == 0 || twcc_extmap_id(a)) continue;
    const std::string value = std::to_string(id) + " " + kTwccUri;
    gst_sdp_media_add_attribute(a, "extmap", value.c_str());
    added++;
  }
  return added;
}

bool add_twcc_extension(GstElement *payloader, int id) {
  GstRTPHeaderExtension *ext = gst_rtp_header_extension_create_from_uri(kTwccUri);
  if (!ext) return false;
  gst_rtp_header_extension_set_id(ext, id);
  g_signal_emit_by_name(payloader, "add-extension", ext);
  gst_object_unref(ext);
  return true;
}

bool is_twcc_event(GstEvent *event) {
  return GST_EVENT_TYPE(event) == GST_EVENT_CUSTOM_UPSTREAM &&
         gst_event_has_name(event, "RTPTWCCPackets");
}

std::vector<TwccPacket> twcc_packets(GstEvent *event, size_t max, uint32_t *skipped) {
  std::vector<TwccPacket> out;
  const GstStructure *s = gst_event_get_structure(event);
  const GValue *list = s ? gst_structure_get_value(s, "packets") : nullptr;
  if (!list) return out;
  // 1.22 puts a GValueArray there; a GstValueList or GstValueArray is read
  // the same way.
  guint n = 0;
  const GValueArray *varray = nullptr;
  if (G_VALUE_HOLDS(list, G_TYPE_VALUE_ARRAY)) {
    varray = static_cast<const GValueArray *>(g_value_get_boxed(list));
    n = varray ? varray->n_values : 0;
  } else if (GST_VALUE_HOLDS_LIST(list)) {
    n = gst_value_list_get_size(list);
  } else if (GST_VALUE_HOLDS_ARRAY(list)) {
    n = gst_value_array_get_size(list);
  } else {
    return out;
  }
  out.reserve(std::min<size_t>(n, max));
  for (guint i = 0; i < n; i++) {
    if (out.size() >= max) {
      *skipped += n - i;
      break;
    }
    const GValue *v = varray                        ? &varray->values[i]
                      : GST_VALUE_HOLDS_LIST(list) ? gst_value_list_get_value(list, i)
                                                   : gst_value_array_get_value(list, i);
    const GstStructure *p = GST_VALUE_HOLDS_STRUCTURE(v) ? gst_value_get_structure(v) : nullptr;
    guint seq = 0, size = 0;
    guint64 local = GST_CLOCK_TIME_NONE, remote = GST_CLOCK_TIME_NONE;
    gboolean lost = FALSE;
    if (!p || !gst_structure_get_uint(p, "seqnum", &seq) || seq > 0xffff) {
      (*skipped)++;
      continue;
    }
    gst_structure_get_uint64(p, "local-ts", &local);
    gst_structure_get_uint64(p, "remote-ts", &remote);
    gst_structure_get_uint(p, "size", &size);
    gst_structure_get_boolean(p, "lost", &lost);
    TwccPacket t;
    t.seqnum = static_cast<uint16_t>(seq);
    t.local_ts_ns = local;
    t.remote_ts_ns = lost ? TwccPacket::kNoTime : remote;
    t.size = size;
    t.lost = lost;
    out.push_back(t);
  }
  return out;
}

}  // namespace webrtclive
