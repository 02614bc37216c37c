// SPDX-License-Identifier: LGPL-2.1-or-later
#include "server-access.h"

#include "hub.h"
#include "protocol.h"
#include "server-files.h"
#include "util.h"

namespace webrtclive {

namespace {

enum Offset {
  TOKEN,
  ALLOWED_ORIGINS,
  JWT_KEY_FILE,
  JWT_ALGORITHM,
  MAX_CONNECTIONS,
  MAX_PER_ADDRESS,
  MAX_SESSIONS,
  MAX_MESSAGE,
  REQUEST_TIMEOUT,
  CERT_FILE,
  KEY_FILE,
};
static_assert(KEY_FILE + 1 == kAccessProperties);

std::string str(const GValue *v) { return g_value_get_string(v) ? g_value_get_string(v) : ""; }
const char *opt(const std::string &s) { return s.empty() ? nullptr : s.c_str(); }

}  // namespace

void install_access_properties(GObjectClass *klass, guint first, GParamFlags flags) {
  const ServerAccess d;
  g_object_class_install_property(
      klass, first + TOKEN,
      g_param_spec_string("token", "Token",
                          "When set, clients must present it to use the embedded server's signalling WebSocket "
                          "(pages pass it on as the subprotocol webrtclive.token.TOKEN; other clients send "
                          "\"Authorization: Bearer TOKEN\"), others get HTTP 401; reads back masked; NULL = none",
                          nullptr, flags));
  g_object_class_install_property(
      klass, first + ALLOWED_ORIGINS,
      g_param_spec_string("allowed-origins", "Allowed Origins",
                          "Comma-separated web origins (e.g. \"https://app.example\"; \"*\" = any) whose pages may "
                          "open the embedded server's signalling WebSocket besides its own pages; browsers send "
                          "their page's Origin, others get HTTP 403 (no cross-site WebSocket hijacking). Clients "
                          "that send no Origin (not browsers) are accepted. NULL = same origin only",
                          nullptr, flags));
  g_object_class_install_property(
      klass, first + JWT_KEY_FILE,
      g_param_spec_string("jwt-key-file", "JWT Key File",
                          "When set, clients of the embedded server must present a JSON Web Token signed with the key "
                          "in this file (the HS256 secret, or the PEM public key for RS256/ES256); its \"webrtclive\" "
                          "claim grants roles and producer names, and the connection closes when it expires "
                          "(docs/security.md). A client presenting 'token' instead may do all. NULL = no JWT",
                          nullptr, flags));
  g_object_class_install_property(
      klass, first + JWT_ALGORITHM,
      g_param_spec_string("jwt-algorithm", "JWT Algorithm",
                          "The one algorithm accepted for tokens checked with jwt-key-file: HS256, RS256 or ES256",
                          "HS256", flags));
  g_object_class_install_property(
      klass, first + MAX_CONNECTIONS,
      g_param_spec_uint("max-connections", "Max Connections",
                        "Most TCP connections the embedded server keeps open; more are answered 503 and closed", 1,
                        G_MAXINT, d.limits.max_connections, flags));
  g_object_class_install_property(
      klass, first + MAX_PER_ADDRESS,
      g_param_spec_uint("max-connections-per-address", "Max Connections Per Address",
                        "Most TCP connections from one IP address (a NAT puts many viewers behind one); more are "
                        "answered 503 and closed",
                        1, G_MAXINT, d.limits.max_per_address, flags));
  g_object_class_install_property(
      klass, first + MAX_SESSIONS,
      g_param_spec_uint("max-sessions-per-connection", "Max Sessions Per Connection",
                        "Most sessions one signalling connection may have started and not ended (a viewer page needs "
                        "one); more startSession requests get an error",
                        1, 4096, d.hub.max_sessions_per_peer, flags));
  g_object_class_install_property(
      klass, first + MAX_MESSAGE,
      g_param_spec_uint("max-message-size", "Max Message Size",
                        "Largest signalling message in bytes (a 16-m-line SDP is ~20 KB); larger ones get an error, "
                        "and a WebSocket message assembled from frames past twice this closes the connection",
                        4096, 16 * 1024 * 1024, static_cast<guint>(d.hub.max_message_bytes), flags));
  g_object_class_install_property(
      klass, first + REQUEST_TIMEOUT,
      g_param_spec_uint("request-timeout", "Request Timeout",
                        "Seconds from accepting a connection to its whole HTTP request; slower or silent ones are "
                        "closed (slowloris)",
                        1, 3600, d.limits.request_timeout_s, flags));
  g_object_class_install_property(
      klass, first + CERT_FILE,
      g_param_spec_string("cert-file", "Certificate File",
                          "PEM file with the TLS certificate (its chain may follow) of the embedded server: with "
                          "key-file set too, the page, the signalling WebSocket, /health and /metrics are served "
                          "as https:// and wss:// on the one port (browsers allow camera publishing only in a "
                          "secure context). An unreadable file, or a key that is not this certificate's, is an "
                          "element error. NULL = plain http:// and ws://",
                          nullptr, flags));
  g_object_class_install_property(
      klass, first + KEY_FILE,
      g_param_spec_string("key-file", "Key File",
                          "PEM file with the private key of cert-file (unencrypted; keep it readable only by the "
                          "pipeline's user). NULL = no TLS",
                          nullptr, flags));
}

bool set_access_property(ServerAccess &a, guint first, guint id, const GValue *v) {
  if (id < first || id >= first + kAccessProperties) return false;
  switch (id - first) {
    case TOKEN: a.token = str(v); break;
    case ALLOWED_ORIGINS: a.allowed_origins = str(v); break;
    case JWT_KEY_FILE: a.jwt_key_file = str(v); break;
    case JWT_ALGORITHM: a.jwt_algorithm = str(v).empty() ? "HS256" : str(v); break;
    case MAX_CONNECTIONS: a.limits.max_connections = g_value_get_uint(v); break;
    case MAX_PER_ADDRESS: a.limits.max_per_address = g_value_get_uint(v); break;
    case MAX_SESSIONS: a.hub.max_sessions_per_peer = g_value_get_uint(v); break;
    case MAX_MESSAGE: a.hub.max_message_bytes = g_value_get_uint(v); break;
    case REQUEST_TIMEOUT: a.limits.request_timeout_s = g_value_get_uint(v); break;
    case CERT_FILE: a.cert_file = str(v); break;
    case KEY_FILE: a.key_file = str(v); break;
  }
  return true;
}

bool get_access_property(const ServerAccess &a, guint first, guint id, GValue *v) {
  if (id < first || id >= first + kAccessProperties) return false;
  switch (id - first) {
    case TOKEN: g_value_set_string(v, a.token.empty() ? nullptr : "*****"); break;  // never handed out
    case ALLOWED_ORIGINS: g_value_set_string(v, opt(a.allowed_origins)); break;
    case JWT_KEY_FILE: g_value_set_string(v, opt(a.jwt_key_file)); break;
    case JWT_ALGORITHM: g_value_set_string(v, a.jwt_algorithm.c_str()); break;
    case MAX_CONNECTIONS: g_value_set_uint(v, a.limits.max_connections); break;
    case MAX_PER_ADDRESS: g_value_set_uint(v, a.limits.max_per_address); break;
    case MAX_SESSIONS: g_value_set_uint(v, a.hub.max_sessions_per_peer); break;
    case MAX_MESSAGE: g_value_set_uint(v, static_cast<guint>(a.hub.max_message_bytes)); break;
    case REQUEST_TIMEOUT: g_value_set_uint(v, a.limits.request_timeout_s); break;
    case CERT_FILE: g_value_set_string(v, opt(a.cert_file)); break;
    case KEY_FILE: g_value_set_string(v, opt(a.key_file)); break;
  }
  return true;
}

bool apply_access(const ServerAccess &access, SignallingServer::Options &options, std::string *error) {
  options.token = access.token;
  options.allowed_origins = split_list(access.allowed_origins);
  options.limits = access.limits;
  options.hub = access.hub;
  // Loaded here rather than by the server, so that a bad file fails the
  // element's start like a bad JWT key does.
  if (!access.cert_file.empty() || !access.key_file.empty()) {
    options.tls_certificate = load_certificate(access.cert_file, access.key_file, error);
    if (!options.tls_certificate) return false;
  }
  if (access.jwt_key_file.empty()) return true;
  return load_jwt_config(access.jwt_algorithm, access.jwt_key_file, &options.jwt, error);
}

}  // namespace webrtclive
