// SPDX-License-Identifier: LGPL-2.1-or-later
#include "webrtc-util.h"

namespace webrtclive {

void configure_ice(GstElement *element, GstElement *webrtcbin, const IceSettings &ice) {
  if (!ice.stun_server.empty()) g_object_set(webrtcbin, "stun-server", ice.stun_server.c_str(), nullptr);
  for (auto &turn : ice.turn_servers) {
    gboolean ok = FALSE;
    g_signal_emit_by_name(webrtcbin, "add-turn-server", turn.c_str(), &ok);
    if (!ok) GST_ELEMENT_WARNING(element, RESOURCE, SETTINGS, ("Ignoring an invalid TURN server URL."), (nullptr));
  }
  if (ice.ice_addresses.empty()) return;
  GObject *agent = nullptr;
  g_object_get(webrtcbin, "ice-agent", &agent, nullptr);
  if (!agent) return;
  for (auto &addr : ice.ice_addresses) {
    gboolean ok = FALSE;
    g_signal_emit_by_name(agent, "add-local-ip-address", addr.c_str(), &ok);
    if (!ok)
      GST_ELEMENT_WARNING(element, RESOURCE, SETTINGS, ("ICE cannot use local address '%s'.", addr.c_str()),
                          (nullptr));
  }
  g_object_unref(agent);
}

}  // namespace webrtclive
