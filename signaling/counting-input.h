// SPDX-License-Identifier: LGPL-2.1-or-later
//
// An input stream that counts what it reads from its base stream and fails
// the read (G_IO_ERROR_MESSAGE_TOO_LARGE) once more than `limit` bytes have
// been read past what the owner says was delivered. Pollable, as libsoup
// needs. The server puts it under every connection it accepts
// (connection-guard.h), so that a WebSocket message reassembled from endless
// continuation frames is stopped at the read that passes the limit.
#pragma once

#include <gio/gio.h>

#include <atomic>
#include <cstdint>
#include <memory>

namespace webrtclive {

struct ReadBudget {
  uint64_t read = 0;       // bytes read from the base stream
  uint64_t delivered = 0;  // bytes the owner accounted for (whole messages)
  uint64_t limit = 0;      // 0 = no limit (until the connection is a WebSocket)
  bool tripped = false;
};

// A new stream over `base` (which must be pollable); it holds a reference
// to it and closes it when closed.
GInputStream *counting_input_new(GInputStream *base, std::shared_ptr<ReadBudget> budget);

}  // namespace webrtclive
