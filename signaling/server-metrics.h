// SPDX-License-Identifier: LGPL-2.1-or-later
//
// What GET /metrics of a SignallingServer (embedded or standalone) shows:
// the hub's peers, sessions and messages, the WebSocket connections, the
// process, and then whatever its owner adds (the sink's consumers, say).
#pragma once

#include <glib.h>

#include <functional>
#include <map>
#include <string>

#include "hub.h"
#include "metrics.h"

namespace webrtclive {

inline constexpr char kMetricsContentType[] = "text/plain; version=0.0.4; charset=utf-8";

struct ServerFigures {
  const Hub &hub;
  size_t connections;                                 // open WebSockets
  uint64_t connections_total;                         // that ever joined
  const std::map<std::string, uint64_t> &refused;     // upgrades refused, by reason
  gint64 started_us;                                  // monotonic
};

std::string server_metrics(const ServerFigures &f, const std::function<void(MetricsText &)> &owner);

}  // namespace webrtclive
