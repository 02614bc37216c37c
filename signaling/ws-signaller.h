// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The old name of "ProtocolProducer over a WsTransport", kept only for code
// not yet moved to ProtocolProducer (elements/
// gstwebrtclivesignallerelement.cpp). No protocol code lives here: new code
// builds a ProtocolProducer (protocol-producer.h) directly.
#pragma once

#include <memory>

#include "protocol-producer.h"
#include "transport.h"

namespace webrtclive {

class WsProducerSignaller : public ProtocolProducer {
 public:
  struct Options {
    WsClient::Options client;
    protocol::Meta meta;
  };
  explicit WsProducerSignaller(Options options)
      : ProtocolProducer(std::make_unique<WsTransport>(std::move(options.client)), std::move(options.meta)) {}
};

}  // namespace webrtclive
