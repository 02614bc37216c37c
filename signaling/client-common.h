// SPDX-License-Identifier: LGPL-2.1-or-later
//
// What the clients of a remote server share (WsClient: the signalling
// WebSocket; WhipClient: WHIP over HTTP): the retry schedule, how a URL is
// shown, and the TLS options (a CA file, or accept any certificate).
#pragma once

#include <libsoup/soup.h>

#include <string>

namespace webrtclive {

// The delay before retry number `attempt` (0-based), given a random value
// in [0,1): min(max, min * 2^attempt) scaled into [50%, 100%].
unsigned backoff_ms(unsigned attempt, unsigned min_ms, unsigned max_ms, double random01);

// What may be logged or shown of a URL: no query (it may carry ?token=) and
// no user:password@.
std::string shown_url(const std::string &url);

// The TLS options of a client's SoupSession: `ca_file` (PEM bundle; empty =
// the system store) becomes its tls-database. False and why when the file
// cannot be read.
bool apply_ca_file(SoupSession *session, const std::string &ca_file, std::string *error);
// Lets `msg` accept any server certificate (insecure-tls: tests, self-signed).
void accept_any_certificate(SoupMessage *msg);

}  // namespace webrtclive
