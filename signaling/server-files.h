// SPDX-License-Identifier: LGPL-2.1-or-later
//
// What SignallingServer reads from the machine: its IPv4 interface
// addresses (for the URLs it prints) and a PEM certificate with its key.
#pragma once

#include <gio/gio.h>

#include <string>
#include <vector>

#include "gobj.h"

namespace webrtclive {

// Up, non-loopback IPv4 addresses.
std::vector<std::string> interface_addresses();

// Loads a PEM certificate (its chain may follow) and its private key; on
// failure (unreadable, not PEM, only one given, a key that is not the
// certificate's) says which file and why.
GRef<GTlsCertificate> load_certificate(const std::string &cert_file, const std::string &key_file, std::string *error);

}  // namespace webrtclive
