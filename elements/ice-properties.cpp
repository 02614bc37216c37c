// SPDX-License-Identifier: LGPL-2.1-or-later
#include "ice-properties.h"

#include <string>

namespace webrtclive {

GType ice_transport_policy_get_type() {
  static GType type = 0;
  static const GEnumValue values[] = {
      {0, "Every candidate type (host, server-reflexive, relay)", "all"},
      {1, "Only relay candidates: all media goes through a TURN server", "relay"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter(&type))
    g_once_init_leave(&type, g_enum_register_static("GstWebRTCLiveIceTransportPolicy", values));
  return type;
}

void install_ice_properties(GObjectClass *klass, const IcePropIds &ids, GParamFlags flags) {
  const auto wo = static_cast<GParamFlags>((flags & ~G_PARAM_READABLE) | G_PARAM_WRITABLE);
  g_object_class_install_property(
      klass, ids.stun_server,
      g_param_spec_string("stun-server", "STUN Server",
                          "STUN server as stun://host:port or stun:host:port (port 3478 when left out); NULL = none "
                          "(no public server is ever used by default)",
                          nullptr, flags));
  g_object_class_install_property(
      klass, ids.turn_servers,
      g_param_spec_string(
          "turn-servers", "TURN Servers",
          "Comma-separated TURN servers (at most 8): turn://user:password@host:port (UDP), "
          "turn://user:password@host:port?transport=tcp (TCP), turns://user:password@host:port (TLS), or the "
          "RTCIceServer spelling turn:host:port[?transport=tcp] / turns:host:port; user and password "
          "percent-escaped. With turn-secret, leave out user:password@. Passwords are never logged; empty = none",
          "", flags));
  g_object_class_install_property(
      klass, ids.turn_secret,
      g_param_spec_string("turn-secret", "TURN Secret",
                          "Shared secret of the TURN servers (coturn's static-auth-secret, TURN REST scheme): every "
                          "session and every viewer that asks /ice-servers.json gets its own time-limited "
                          "credentials. Write-only, never logged; at most 256 bytes; NULL = the credentials in "
                          "turn-servers",
                          nullptr, wo));
  g_object_class_install_property(
      klass, ids.turn_credential_ttl,
      g_param_spec_uint("turn-credential-ttl", "TURN Credential TTL",
                        "Seconds the credentials made from turn-secret stay valid (a relayed session must not "
                        "outlive them by much: the TURN server refuses its allocation refresh after that)",
                        kMinTurnCredentialTtl, kMaxTurnCredentialTtl, kDefaultTurnCredentialTtl, flags));
  g_object_class_install_property(
      klass, ids.transport_policy,
      g_param_spec_enum("ice-transport-policy", "ICE Transport Policy",
                        "Which candidates ICE may use: all, or relay only (through the TURN servers: relay needs "
                        "turn-servers); also what the served pages are told to use",
                        GST_TYPE_WEBRTC_LIVE_ICE_TRANSPORT_POLICY, 0, flags));
}

std::function<void(IceConfig &)> ice_property_change(GstElement *element, const IcePropIds &ids, guint prop_id,
                                                     const GValue *value) {
  if (prop_id == ids.turn_credential_ttl) {
    const unsigned v = g_value_get_uint(value);
    return [v](IceConfig &c) { c.turn_credential_ttl = v; };
  }
  if (prop_id == ids.transport_policy) {
    std::string v = g_value_get_enum(value) == 1 ? "relay" : "all";
    return [v](IceConfig &c) { c.transport_policy = v; };
  }
  const std::string text = g_value_get_string(value) ? g_value_get_string(value) : "";
  std::string why;
  if (prop_id == ids.turn_secret) {
    if (text.size() > kMaxTurnSecretBytes) {
      GST_ELEMENT_WARNING(element, RESOURCE, SETTINGS,
                          ("Ignoring a turn-secret of %zu bytes (at most %zu).", text.size(), kMaxTurnSecretBytes),
                          (nullptr));
      return {};
    }
    return [text](IceConfig &c) { c.turn_secret = text; };
  }
  if (prop_id == ids.stun_server) {
    if (!text.empty()) {
      auto u = parse_ice_url(text, &why);
      if (u && u->scheme != IceUrl::Scheme::Stun) why = "not a stun: URL";
      if (!u || u->scheme != IceUrl::Scheme::Stun) {
        GST_ELEMENT_WARNING(element, RESOURCE, SETTINGS, ("Ignoring stun-server: %s.", why.c_str()), (nullptr));
        return {};
      }
    }
    return [text](IceConfig &c) { c.stun_server = text; };
  }
  auto list = parse_turn_list(text, &why);
  if (!list) {
    GST_ELEMENT_WARNING(element, RESOURCE, SETTINGS, ("Ignoring turn-servers: %s.", why.c_str()), (nullptr));
    return {};
  }
  return [v = std::move(*list)](IceConfig &c) { c.turn_servers = v; };
}

void get_ice_property(const IcePropIds &ids, guint prop_id, const IceConfig &config, GValue *value) {
  if (prop_id == ids.stun_server) {
    g_value_set_string(value, config.stun_server.empty() ? nullptr : config.stun_server.c_str());
  } else if (prop_id == ids.turn_servers) {
    std::string list;
    for (const auto &t : config.turn_servers) list += (list.empty() ? "" : ",") + t;
    g_value_set_string(value, list.c_str());
  } else if (prop_id == ids.turn_credential_ttl) {
    g_value_set_uint(value, config.turn_credential_ttl);
  } else if (prop_id == ids.transport_policy) {
    g_value_set_enum(value, config.transport_policy == "relay" ? 1 : 0);
  }
}

}  // namespace webrtclive
