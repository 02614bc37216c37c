// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The STUN/TURN properties webrtclivesink and webrtclivesrc share:
// stun-server, turn-servers, turn-secret, turn-credential-ttl and
// ice-transport-policy. Values are validated here (signaling/ice-servers.h);
// a refused one is an element warning that never repeats a password or the
// secret, and the previous value stays.
#pragma once

#include <gst/gst.h>

#include <functional>
#include <memory>

#include "ice-servers.h"

namespace webrtclive {

#define GST_TYPE_WEBRTC_LIVE_ICE_TRANSPORT_POLICY (webrtclive::ice_transport_policy_get_type())
GType ice_transport_policy_get_type();

// The element's own ids for the five properties.
struct IcePropIds {
  guint stun_server, turn_servers, turn_secret, turn_credential_ttl, transport_policy;
  bool has(guint id) const {
    return id == stun_server || id == turn_servers || id == turn_secret || id == turn_credential_ttl ||
           id == transport_policy;
  }
};

void install_ice_properties(GObjectClass *klass, const IcePropIds &ids, GParamFlags flags);

// The change `value` makes to an IceConfig, to apply under the element's
// settings lock; empty when refused (then warned about on `element`).
std::function<void(IceConfig &)> ice_property_change(GstElement *element, const IcePropIds &ids, guint prop_id,
                                                     const GValue *value);

// GET /ice-servers.json of an element's embedded server: made per request
// from the element's settings at that moment (weakly: the core owns the server).
template <typename Core>
ClientIceSource client_ice_of(std::weak_ptr<Core> weak) {
  return [weak] {
    auto core = weak.lock();
    return core ? make_client_ice(core->settings().ice_servers, g_get_real_time() / G_USEC_PER_SEC) : ClientIce{};
  };
}

// turn-secret is write-only: nothing else is readable in clear.
void get_ice_property(const IcePropIds &ids, guint prop_id, const IceConfig &config, GValue *value);

}  // namespace webrtclive
