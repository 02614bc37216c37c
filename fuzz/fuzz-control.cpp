// SPDX-License-Identifier: LGPL-2.1-or-later
// libFuzzer target: gstwebrtc-api control-channel messages and the reply.
#include <json-glib/json-glib.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "protocol.h"

using namespace webrtclive::protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string text(reinterpret_cast<const char *>(data), size);
  ControlRequest r = parse_control(text);
  if (r.navigation.has_value() == !r.error.empty()) abort();  // one or the other
  // The reply is always valid JSON, whatever the error text holds.
  JsonNode *n = json_from_string(control_response(r.id, r.error).c_str(), nullptr);
  if (!n) abort();
  json_node_unref(n);
  return 0;
}
