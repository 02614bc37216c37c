// SPDX-License-Identifier: LGPL-2.1-or-later
//
// From a GstWebRTCLiveSignallable (the `signaller` property of an element)
// to the C++ signaller the element's core talks to:
//
//  - built-in types (GstWebRTCLiveEmbeddedSignaller, GstWebRTCLiveWsSignaller):
//    the protocol driver (ProtocolProducer / ProtocolConsumer) over the
//    transport their properties describe, with no GObject signal in between;
//    the object's `urls` property follows the driver while it lives.
//  - any other implementation (GstWebRTCLiveAppSignaller, an application's
//    own): an adapter that calls the interface's methods and turns its
//    signals into the callbacks. Producer role: session-requested,
//    session-description, handle-ice, session-ended, error. Consumer role:
//    session-started, session-description, handle-ice, session-ended, error.
//
// The object's properties are read when the factory runs (call it at each
// start). Settings that cannot be used (an unreadable JWT key...) make the
// returned signaller's start() fail with the reason.
//
// Adapters: signals may be emitted from any thread, also while stop() runs.
// Callbacks are called with no lock held; stop() (and the destructor) wait
// for callbacks under way on other threads, so none runs after it returned;
// a callback may call stop() on its own signaller.
#pragma once

#include <memory>

#include "consumer-signaller.h"
#include "gstwebrtclivesignallable.h"
#include "protocol-consumer.h"
#include "protocol.h"
#include "server.h"
#include "signaller.h"

namespace webrtclive {

// What an element adds to its embedded server: its figures on GET /metrics
// and its own endpoints (SignallingServer::Options). Ignored for every
// other kind of signaller.
struct EmbeddedServerExtras {
  std::function<void(MetricsText &)> metrics;
  std::vector<SignallingServer::Options::Endpoint> endpoints;
  ClientIceSource client_ice;  // GET /ice-servers.json (SignallingServer::Options)
  // WHEP for a producer's server (the sink), WHIP for a consumer's (the src).
  bool whep = false;
  bool whip = false;
};

// `meta` is what the producer registers with (e.g. Meta::from_name("cam")).
[[nodiscard]] std::unique_ptr<ProducerSignaller> make_producer_signaller(GstWebRTCLiveSignallable *signaller,
                                                                         const protocol::Meta &meta,
                                                                         const EmbeddedServerExtras &extras = {});

// `options` as for ProtocolConsumer. For a foreign signaller, `meta` goes to
// its start(); `peer_id`, `once` and one session at a time are enforced by
// the adapter (a session-started that breaks them is ended); it chooses its
// producer by its own means, so `producer_name` and `rediscover_ms` are its
// business and producer_found is never called.
[[nodiscard]] std::unique_ptr<ConsumerSignaller> make_consumer_signaller(GstWebRTCLiveSignallable *signaller,
                                                                         const ProtocolConsumer::Options &options,
                                                                         const EmbeddedServerExtras &extras = {});

}  // namespace webrtclive
