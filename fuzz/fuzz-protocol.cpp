// SPDX-License-Identifier: LGPL-2.1-or-later
// libFuzzer target: the signalling protocol parser (every message a client
// or a server can send), with a round trip for whatever parses.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "protocol.h"

using namespace webrtclive::protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string text(reinterpret_cast<const char *>(data), size);
  if (auto c = parse_client(text)) {
    auto again = parse_client(to_json(*c.message));
    if (!again || !(*again.message == *c.message)) abort();  // what we write, we read back the same
  }
  if (auto s = parse_server(text)) {
    auto again = parse_server(to_json(*s.message));
    if (!again || !(*again.message == *s.message)) abort();
  }
  return 0;
}
