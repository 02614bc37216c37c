// SPDX-License-Identifier: LGPL-2.1-or-later
#include "server-metrics.h"

namespace webrtclive {

std::string server_metrics(const ServerFigures &f, const std::function<void(MetricsText &)> &owner) {
  MetricsText m;
  const Hub::Counters &c = f.hub.counters();
  m.gauge("webrtclive_signalling_connections", "WebSocket connections open now.", static_cast<double>(f.connections));
  m.counter("webrtclive_signalling_connections_total", "WebSocket connections that joined since the server started.",
            static_cast<double>(f.connections_total));
  m.counters("webrtclive_signalling_refused_total", "WebSocket upgrades refused, by reason (origin, token).", "reason",
             f.refused);
  m.gauge("webrtclive_signalling_peers", "Peers in the hub (WebSocket and in-process).",
          static_cast<double>(f.hub.peer_count()));
  m.gauge("webrtclive_signalling_producers", "Peers registered as producers.",
          static_cast<double>(f.hub.count_role(protocol::Role::Producer)));
  m.gauge("webrtclive_signalling_consumers", "Peers registered as consumers.",
          static_cast<double>(f.hub.count_role(protocol::Role::Consumer)));
  m.gauge("webrtclive_signalling_sessions", "Signalling sessions open now.", static_cast<double>(f.hub.session_count()));
  m.counter("webrtclive_signalling_sessions_started_total", "Signalling sessions started.",
            static_cast<double>(c.sessions_started));
  m.counter("webrtclive_signalling_sessions_ended_total", "Signalling sessions ended.",
            static_cast<double>(c.sessions_ended));
  m.counters("webrtclive_signalling_messages_total",
             "Signalling messages received, by type (\"invalid\": did not parse).", "type", c.messages);
  m.counters("webrtclive_signalling_errors_total",
             "Signalling messages answered with an error, by the type of the message that caused it.", "type",
             c.errors);
  m.gauge("webrtclive_uptime_seconds", "Seconds since the server started.",
          static_cast<double>(g_get_monotonic_time() - f.started_us) / G_USEC_PER_SEC);
  if (owner) owner(m);
  write_process_metrics(m);
  return m.take();
}

}  // namespace webrtclive
