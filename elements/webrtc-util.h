// SPDX-License-Identifier: LGPL-2.1-or-later
//
// What every element does to a webrtcbin it creates or is given.
#pragma once

#include <gst/gst.h>

#include <string>
#include <vector>

namespace webrtclive {

struct IceSettings {
  std::string stun_server;
  std::vector<std::string> turn_servers;
  std::vector<std::string> ice_addresses;  // empty = libnice's own choice
};

// Applies STUN/TURN and the local addresses ICE may use; each value webrtcbin
// or libnice refuses becomes a WARNING on `element` (TURN URLs are not
// repeated in it: they carry passwords).
void configure_ice(GstElement *element, GstElement *webrtcbin, const IceSettings &ice);

}  // namespace webrtclive
