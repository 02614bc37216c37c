// SPDX-License-Identifier: LGPL-2.1-or-later
#include "reports.h"

#include <json-glib/json-glib.h>

#include <memory>

namespace webrtclive::protocol {

namespace {
struct Builder {
  JsonBuilder *b = json_builder_new();
  ~Builder() { g_object_unref(b); }
  void str(const char *key, const std::string &v) {
    json_builder_set_member_name(b, key);
    if (v.empty())
      json_builder_add_null_value(b);
    else
      json_builder_add_string_value(b, v.c_str());
  }
  void num(const char *key, double v, bool known = true) {
    json_builder_set_member_name(b, key);
    if (known)
      json_builder_add_double_value(b, v);
    else
      json_builder_add_null_value(b);
  }
  void count(const char *key, uint64_t v) {
    json_builder_set_member_name(b, key);
    json_builder_add_int_value(b, static_cast<gint64>(v));
  }
};
}  // namespace

std::string consumers_report_json(const std::string &producer, const std::vector<ConsumerReport> &consumers) {
  Builder j;
  json_builder_begin_object(j.b);
  j.str("producer", producer);
  json_builder_set_member_name(j.b, "consumers");
  json_builder_begin_array(j.b);
  for (const auto &c : consumers) {
    json_builder_begin_object(j.b);
    j.str("id", c.id);
    j.str("session", c.session);
    j.str("codec", c.codec);
    j.num("connected_s", c.connected_s);
    j.str("family", c.family);
    j.str("local_candidate", c.local_candidate);
    j.str("remote_candidate", c.remote_candidate);
    j.str("remote_address", c.remote_address);
    j.str("protocol", c.protocol);
    j.num("bitrate_bps", c.bitrate_bps, c.bitrate_bps >= 0);
    j.num("rtt_ms", c.rtt_ms, c.rtt_ms >= 0);
    j.num("fraction_lost", c.fraction_lost, c.fraction_lost >= 0);
    j.num("packets_lost", static_cast<double>(c.packets_lost), c.packets_lost >= 0);
    j.num("jitter_ms", c.jitter_ms, c.jitter_ms >= 0);
    j.count("bytes_sent", c.bytes_sent);
    j.count("packets_sent", c.packets_sent);
    j.count("nacks", c.nacks);
    j.count("plis", c.plis);
    j.count("firs", c.firs);
    j.count("keyframe_requests", c.plis + c.firs);
    j.num("first_packet_ms", c.first_packet_ms, c.first_packet_ms >= 0);
    j.num("layer", c.layer, c.layer >= 0);
    j.count("layers", c.layers);
    j.str("layer_size", c.layer_size);
    j.str("estimate_source", c.estimate_source);
    j.num("estimate_kbps", c.estimate_kbps, c.estimate_kbps >= 0);
    json_builder_end_object(j.b);
  }
  json_builder_end_array(j.b);
  json_builder_end_object(j.b);
  JsonNode *root = json_builder_get_root(j.b);
  gchar *text = json_to_string(root, FALSE);
  std::string out(text);
  g_free(text);
  json_node_unref(root);
  return out;
}

}  // namespace webrtclive::protocol
