// SPDX-License-Identifier: LGPL-2.1-or-later
//
// What the factories (signaller-factory.cpp) read of the built-in
// signallers: their settings, taken under the object lock, so a C++ driver
// can be built without going through the GObject interface. Not public API.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "client.h"
#include "gstwebrtclivesignallable.h"
#include "server.h"

namespace webrtclive::builtin {

// The embedded server's options (port, address, access); false and why when
// they cannot be used (e.g. an unreadable JWT key).
bool embedded_options(GstWebRTCLiveEmbeddedSignaller *self, SignallingServer::Options *options, std::string *error);
WsClient::Options ws_options(GstWebRTCLiveWsSignaller *self);
// Where the built-in's `urls` property reads from while a factory-built
// driver serves for it (empty function = none). Other types: ignored.
void attach_urls(GstWebRTCLiveSignallable *signaller, std::function<std::vector<std::string>()> urls);

}  // namespace webrtclive::builtin
