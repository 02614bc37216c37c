// SPDX-License-Identifier: LGPL-2.1-or-later
//
// What the clients of a remote server share (WsClient: the signalling
// WebSocket; WhipClient: WHIP over HTTP): the retry schedule, how a URL is
// shown, and the TLS options (a CA file, or accept any certificate).
#pragma once

#include <libsoup/soup.h>

#include <functional>
#include <string>
#include <thread>

#include "gobj.h"

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

// A one-shot timer: `fn` runs on `context` after `ms`. Returns the source,
// owned by the context (g_source_destroy() cancels it; it is freed with the
// context). `fn` holds its owner weakly and checks it.
GSource *one_shot(GMainContext *context, unsigned ms, std::function<void()> fn);

// ---- a client's thread ----------------------------------------------------------
// Each client owns a thread with its own GMainContext where every libsoup
// object of the client lives and every callback runs.

// A new context and its loop, and a SoupSession made with that context as
// the thread default (so it belongs to it), TLS options applied. False and
// why when the CA file cannot be read.
bool new_client_session(MainContextPtr *context, MainLoopPtr *loop, GRef<SoupSession> *session,
                        const std::string &ca_file, std::string *error);
// Runs `loop` on a new thread until it quits, then `after` on that thread,
// then lets cancellations and close frames settle. `after` must hold the
// owner of `context` and `loop` (the thread may outlive its client: below).
std::thread run_client_thread(GMainContext *context, GMainLoop *loop, std::function<void()> after);
// Ends the thread `t`: `ending` is posted to it and must quit the loop (at
// once, or after a last request). Then joins; called from the thread itself
// (a callback stopping its own client), detaches instead and returns false:
// the loop ends after the callback under way and the thread exits by itself.
bool end_client_thread(GMainContext *context, std::thread &t, std::function<void()> ending);

}  // namespace webrtclive
