// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The old name of "ProtocolProducer over an EmbeddedTransport", kept only
// for code not yet moved to ProtocolProducer (elements/
// gstwebrtclivesignallerelement.cpp). No protocol code lives here: new code
// builds a ProtocolProducer (protocol-producer.h) directly.
#pragma once

#include <memory>

#include "protocol-producer.h"
#include "transport.h"

namespace webrtclive {

class EmbeddedSignaller : public ProtocolProducer {
 public:
  struct Options {
    SignallingServer::Options server;
    protocol::Meta meta;  // the producer's meta (e.g. {"name": "..."})
  };
  explicit EmbeddedSignaller(Options options)
      : ProtocolProducer(std::make_unique<EmbeddedTransport>(std::move(options.server)), std::move(options.meta)) {}
  unsigned port() const { return static_cast<EmbeddedTransport &>(transport()).port(); }
};

}  // namespace webrtclive
